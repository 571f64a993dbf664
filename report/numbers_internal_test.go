package report

import (
	"strings"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// secondsRun is a run of n whole seconds at 200 jobs/s, with sampler ticks
// 1.001 s after each second starts (the sampler's own clock), and a last
// partial second of 20 jobs in 0.09 s.
func secondsRun(n int) *runrec.Run {
	t0 := time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)
	run := &runrec.Run{Meta: runrec.Meta{ID: "r", StartedAt: t0}}
	for i := range n {
		t := t0.Add(time.Duration(i) * time.Second)
		run.Workload = append(run.Workload, runrec.WorkloadTick{T: t, Enqueued: 200, Completed: 200, Depth: 5})
		run.Samples = append(run.Samples, runrec.Sample{T: t.Add(1001 * time.Millisecond), IntervalS: 1})
	}
	run.Workload = append(run.Workload, runrec.WorkloadTick{T: t0.Add(time.Duration(n) * time.Second), Enqueued: 20, Completed: 20, Depth: 0, CoveredS: 0.09})
	return run
}

func TestTimelineOneColumnPerSecond(t *testing.T) {
	run := secondsRun(35)
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

func TestCompletedSeriesLeavesPartialSecondsOut(t *testing.T) {
	d := &RunData{Run: secondsRun(10), Report: &runrec.Report{}}
	s := d.CompletedSeries()
	if len(s) != 10 || mean(s) != 200 {
		t.Fatalf("series %v: want 10 seconds of 200 (the 0.09 s sliver is not a second)", s)
	}
}

func TestLatencyCountUnits(t *testing.T) {
	for name, want := range map[string]string{"enqueue": "calls", "dequeue": "calls", "complete": "calls", "queue_wait": "jobs", "end_to_end": "jobs"} {
		if got := (opView{Name: name}).CountUnit(); got != want {
			t.Errorf("%s counts %s, want %s", name, got, want)
		}
	}
}

func TestChartPointsHaveHoverValues(t *testing.T) {
	run := secondsRun(35)
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
