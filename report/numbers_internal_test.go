package report

import (
	"strings"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/synthrun"
	"github.com/pgqtune/pgqtune/runrec"
)

func TestTimelineOneColumnPerSecond(t *testing.T) {
	run := synthrun.Seconds(35)
	rep := &runrec.Report{Run: runrec.RunInfo{StartedAt: run.Meta.StartedAt}}
	v := buildView(rep, run, Options{})
	g := v.grid()
	// 35 workload seconds and samples up to 35.001 s: 36 seconds seen, one
	// column each.
	if g.width != 36 || g.column1() != time.Second {
		t.Fatalf("grid of %d columns of %s, want 36 of 1s", g.width, g.column1())
	}
	for _, r := range v.SparkRows() {
		if r.Label != "completed/s" {
			continue
		}
		line := []rune(r.Line)
		// Every workload second has its own column: 35 full bars, then the
		// column of the partial second, which is left out (blank).
		if got := string(line[:35]); got != strings.Repeat("█", 35) {
			t.Errorf("completed/s %q: a column with no sample, or a partial second drawn as a drop", r.Line)
		}
		if len(line) != 36 || line[35] != ' ' {
			t.Errorf("completed/s %q: want 36 columns, the last blank", r.Line)
		}
		return
	}
	t.Fatal("no completed/s row")
}

func TestLatencyCountUnits(t *testing.T) {
	for name, want := range map[string]string{"enqueue": "calls", "dequeue": "calls", "complete": "calls", "queue_wait": "jobs", "end_to_end": "jobs"} {
		if got := (opView{Name: name}).CountUnit(); got != want {
			t.Errorf("%s counts %s, want %s", name, got, want)
		}
	}
}

func TestChartPointsHaveHoverValues(t *testing.T) {
	run := synthrun.Seconds(35)
	rep := &runrec.Report{SchemaVersion: 1, Run: runrec.RunInfo{ID: "r", StartedAt: run.Meta.StartedAt}, Throughput: runrec.Throughput{Unit: "jobs/s", Baseline: 200}}
	var b strings.Builder
	if err := HTML(&b, rep, run); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{
		`<g class="hover"`,
		`<title>09:26:05 · completed/s: 200 jobs/s</title>`,
		`<title>09:26:34 · jobs waiting: 5`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

func TestWorkloadValuesAsADBAWritesThem(t *testing.T) {
	type sizeDist struct{ Min, Max int } // as sqlload records payload_bytes
	wl := plainJSON(map[string]any{
		"payload_bytes":      sizeDist{200, 200},
		"profiles":           []string{"constant", "constant"},
		"reloptions":         map[string][]string{"pgqtune.job": {}},
		"complete_and_claim": true,
		"adapter":            "skiplocked",
	})
	for key, want := range map[string]string{
		"payload_bytes":      "200 B",
		"profiles":           "constant (all 2 phases)",
		"reloptions":         "none (defaults)",
		"complete_and_claim": "on",
		"adapter":            "skiplocked",
	} {
		if got := formatAny(key, wl[key]); got != want {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
	for key, tc := range map[string]struct {
		v    any
		want string
	}{
		"payload_bytes": {sizeDist{100, 4096}, "100 B–4 kB"},
		"profiles":      {[]string{"ramp", "constant", "burst"}, "ramp → constant → burst"},
		"reloptions":    {map[string][]string{"pgqtune.job": {"fillfactor=70"}, "pgqtune.archive": nil}, "pgqtune.job: fillfactor=70"},
	} {
		if got := formatAny(key, plainJSON(map[string]any{key: tc.v})[key]); got != tc.want {
			t.Errorf("%s: %q, want %q", key, got, tc.want)
		}
	}
}
