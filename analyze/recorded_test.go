package analyze_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/runrec"
)

// TestRecordedRuns re-analyzes run directories recorded by the fault tests
// on a busy machine, where a synthetic run would not have shown the case.
func TestRecordedRuns(t *testing.T) {
	cases := []struct {
		dir string
		// The fault's span (UTC clock times of the recording) and the
		// cause the finding over it must name first.
		from, to string
		cause    string
		// Causes no finding over the fault may name first.
		not []string
	}{
		// An idle transaction held the horizon for 20 s of a 32 s run
		// (make test-stress, two CPU hogs beside it). The claim read
		// 60-100 buffers before and 4,600 by the hold's end; the planner
		// also scanned the small table sequentially, before, during
		// the drain and after. The fault is most of the run, so the
		// baseline was made mostly of the hold's own seconds, and the
		// claim's cost was measured partly over the drain after the
		// hold ended: xmin_horizon read as "not yet enough to slow the
		// claim" and missing_index was named instead.
		{dir: "idle_xmin_short", from: "01:22:47", to: "01:23:07", cause: analyze.CauseXmin, not: []string{analyze.CauseMissingIndex, analyze.CauseCPU}},
		// Hot rows locked FOR UPDATE 0.7 s at a time (make test-stress):
		// the snapshots of sessions stuck behind them kept 11 vacuums
		// from cutting 1,376 dead tuples, and the claim read 15 -> 230
		// buffers. The horizon is the locks' consequence.
		{dir: "hot_row_loaded", from: "07:13:20", to: "07:13:32", cause: analyze.CauseRowLock, not: []string{analyze.CauseXmin}},
		// Twelve CPU hogs for 13 s on a host at load 11-15 (make
		// test-stress, with builds beside it): the sampler skipped 6
		// ticks, the baseline had 3 seconds, one of them the hogs'
		// first, and the host was 100 % busy before as after. The drop
		// outlasted the hogs by 10 s of draining, which diluted their
		// mean (3.7 on CPU against a baseline of 5): client_bound was
		// named, cpu_saturation not at all.
		{dir: "cpu_hog_loaded", from: "06:20:16", to: "06:20:29", cause: analyze.CauseCPU, not: []string{analyze.CauseClientBound}},
		// Two CPU hogs for 20 s beside River, observed (make test-stress,
		// on a host already 100 % busy): River lost only 6 % in bursts
		// of 0 and 969 jobs a second, so the window is a slowdown (the
		// claim 9.6x slower). Its lowest seconds came after the hogs
		// ended, and attributing those alone named xmin_horizon: the
		// hogs' own snapshot held the horizon, and the claim read 89 ->
		// 371 buffers.
		{dir: "river_cpu_hog_slowdown", from: "11:41:35", to: "11:41:55", cause: analyze.CauseCPU, not: []string{analyze.CauseXmin}},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			r, err := runrec.Load(filepath.Join("testdata", "recorded", tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			res, err := analyze.Analyze(r, analyze.DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			day := r.Meta.StartedAt.UTC().Format("2006-01-02 ")
			from, _ := time.Parse("2006-01-02 15:04:05", day+tc.from)
			to, _ := time.Parse("2006-01-02 15:04:05", day+tc.to)
			found := false
			for _, f := range res.Findings {
				if !(f.Start.Before(to) && f.End.After(from)) {
					continue
				}
				for _, c := range tc.not {
					if f.Cause == c {
						t.Errorf("%s over the fault names %s: %s", f.ID, c, f.Summary)
					}
				}
				found = found || f.Cause == tc.cause
			}
			if !found {
				t.Errorf("no %s finding over %s-%s: %+v", tc.cause, tc.from, tc.to, res.Findings)
			}
			// One finding per fault: the pile of dead tuples the hold
			// left is told by the drop it caused, not again as a
			// whole-run finding of the same cause.
			n := 0
			for _, f := range res.Findings {
				if f.Cause == tc.cause {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d %s findings, want 1", n, tc.cause)
			}
		})
	}
}
