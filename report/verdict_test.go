package report_test

import (
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/internal/synthrun"
	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/runrec"
)

// render returns rep as HTML and Markdown.
func render(t *testing.T, rep *runrec.Report, run *runrec.Run) (string, string) {
	t.Helper()
	var h, m strings.Builder
	if err := report.HTML(&h, rep, run); err != nil {
		t.Fatal(err)
	}
	if err := report.Markdown(&m, rep, run); err != nil {
		t.Fatal(err)
	}
	return h.String(), m.String()
}

// before fails unless a occurs in s, and before b.
func before(t *testing.T, what, s, a, b string) {
	t.Helper()
	i, j := strings.Index(s, a), strings.Index(s, b)
	if i < 0 || j < 0 || i > j {
		t.Errorf("%s: %q (at %d) should come before %q (at %d)", what, a, i, b, j)
	}
}

func TestReportLeadsWithItsVerdict(t *testing.T) {
	t.Run("a finding comes first, above the charts", func(t *testing.T) {
		rep, run := synthrun.Golden()
		h, m := render(t, rep, run)
		before(t, "html", h, `<nav class="toc"`, `id="finding-F1"`)
		before(t, "html", h, `id="finding-F1"`, `id="summary"`)
		before(t, "html", h, `id="finding-F1"`, `id="chart-throughput"`)
		before(t, "html", h, `id="rec-R1"`, `id="chart-throughput"`)
		before(t, "md", m, "### F1 · `lock_contention`", "## Summary")
		before(t, "md", m, "## Recommendations", "## Timeline")
		for _, want := range []string{`href="#finding-F1"`, `href="#recommendations"`, "Baseline rate: this run", `Not the scenario named`} {
			if !strings.Contains(h, want) {
				t.Errorf("html lacks %q", want)
			}
		}
		if !strings.Contains(m, "Not the scenario named") || !strings.Contains(m, "Contents: [Findings](#findings)") {
			t.Error("md lacks the baseline definition or the contents line")
		}
	})
	t.Run("no drop says what was checked, first", func(t *testing.T) {
		rep, run := synthrun.Synth{ID: "quiet", Seed: 3, Seconds: 60, Rate: 500, Noise: 0.02, P99Ms: 5}.Build()
		h, m := render(t, rep, run)
		want := "No drop found: checked completed jobs/s in each of 60 seconds against the baseline rate of 500 jobs/s, p99 latency per second, queue depth and the oldest waiting job"
		if !strings.Contains(h, want) || !strings.Contains(m, strings.Replace(want, "No drop found:", "**No drop found:**", 1)) {
			t.Errorf("no verdict %q", want)
		}
		before(t, "html", h, `id="no-drop"`, `id="chart-throughput"`)
		// Nothing to recommend: no "with SQL below".
		if strings.Contains(h, "with SQL below") || !strings.Contains(h, "nothing to change") {
			t.Error(`0 recommendations but the card says "with SQL below"`)
		}
	})
	t.Run("a visible trend that is not a finding is commented", func(t *testing.T) {
		rep, run := synthrun.Synth{ID: "deadtup", Seed: 3, Seconds: 60, Rate: 500, Noise: 0.02, P99Ms: 5}.Build()
		for i := range run.Samples {
			for k := range run.Samples[i].Tables {
				run.Samples[i].Tables[k].DeadTup = int64(1000 + 500*i)
			}
		}
		h, m := render(t, rep, run)
		for name, s := range map[string]string{"html": h, "md": m} {
			if !strings.Contains(s, "Dead tuples on pgqtune.job climbed through the run") {
				t.Errorf("%s: no comment on dead tuples climbing all run", name)
			}
		}
		// The sawtooth of a healthy autovacuum is not a trend.
		rep, run = synthrun.Golden()
		h, _ = render(t, rep, run)
		if strings.Contains(h, "climbed through the run") {
			t.Error("the golden run's sawtooth dead tuples read as a trend")
		}
	})
}
