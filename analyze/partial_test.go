package analyze_test

import (
	"math"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/runrec"
)

// TestPartialLastSecond: the driver's last tick covers a sliver of a
// second. Counted as a whole second, its 20 jobs read as a drop to 20
// jobs/s: a fake dip at the end of the series, a lower steady phase and a
// lower mean. Left out, the figures are those of the whole seconds.
func TestPartialLastSecond(t *testing.T) {
	const secs = 40
	whole := newSynth(secs, 3)
	// The figures of the whole measured seconds (after 5 s of warm-up).
	var sum float64
	for _, tk := range whole.run.Workload[5:] {
		sum += float64(tk.Completed)
	}
	wantMean := sum / float64(secs-5)
	withSliver := func(covered float64) *analyze.Result {
		s := newSynth(secs, 3)
		last := s.run.Workload[secs-1]
		s.run.Workload = append(s.run.Workload, runrec.WorkloadTick{
			T: last.T.Add(time.Second), Phase: last.Phase, Enqueued: 20, Dequeued: 20, Completed: 20,
			Depth: 3, OldestPendingAgeS: 0.02, TargetRate: last.TargetRate, CoveredS: covered,
		})
		s.run.Meta.Phases[1].End = s.run.Meta.Phases[1].End.Add(time.Second)
		res, err := analyze.Analyze(s.run, analyze.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	steady := func(r *analyze.Result) float64 {
		for _, p := range r.Phases {
			if p.Name == "steady" {
				return p.JobsPerS
			}
		}
		t.Fatalf("no steady phase in %+v", r.Phases)
		return 0
	}

	got := withSliver(0.09)
	if len(got.Series) != secs {
		t.Errorf("series has %d points, want %d: the 0.09 s sliver is not a second", len(got.Series), secs)
	}
	if math.Abs(got.Mean-wantMean) > 0.01 || math.Abs(steady(got)-wantMean) > 0.051 {
		t.Errorf("mean %v, steady phase %v: want %.2f, the whole seconds' mean", got.Mean, steady(got), wantMean)
	}
	if got.Baseline < 195 || len(got.Findings) != 0 {
		t.Errorf("baseline %v, findings %+v: want about 200 and none", got.Baseline, got.Findings)
	}

	// The same 20 jobs over a whole second are a real slow second: they
	// count (this is what the check above guards against).
	if full := withSliver(0); steady(full) >= steady(got) || len(full.Series) != secs+1 {
		t.Errorf("a whole second of 20 jobs: steady %v (want below %v), %d points", steady(full), steady(got), len(full.Series))
	}
}
