package analyze_test

import (
	"math"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/runrec"
)

// observedDrainRun shapes an observe run of a load test that inserts its
// backlog and drains it: 4 s of loading (the backlog enqueued in the
// third), 16 s working it off at rate with nothing enqueued, 3 s idle
// before the command's exit ends the observation. An observe run records
// no phases and no warm-up: pgqtune did not choose its shape.
func observedDrainRun(rate float64) *runrec.Run {
	s := newSynth(23, 5)
	r := s.run
	r.Meta.Mode, r.Meta.Scenario, r.Meta.Phases = "observe", "observe", nil
	for i := range r.Workload {
		tk := s.tick(i)
		tk.Phase, tk.Warmup, tk.TargetRate, tk.LatencyMs = "", false, 0, nil
		tk.Enqueued, tk.Completed = 0, 0
		switch {
		case i == 2:
			tk.Enqueued = int64(rate * 16)
		case i >= 4 && i < 20:
			tk.Completed = int64(rate * (1 + 0.03*math.Sin(float64(i))))
		}
		tk.Dequeued, tk.Depth, tk.OldestPendingAgeS = tk.Completed, -1, -1
		scaleStatements(s.smp(i), float64(tk.Completed+tk.Enqueued)/synthBaseRate)
	}
	return r
}

// TestObservedDrainDepthUnknown: an observed drain whose depth was not
// sampled (TestObservedDrain's rule needs it) is measured over its
// work-off, as a burndown is: the baseline is the drain rate (not the
// zeros of the loading seconds before it), and neither the loading nor
// the idle end is a drop.
func TestObservedDrainDepthUnknown(t *testing.T) {
	res, err := analyze.Analyze(observedDrainRun(80), analyze.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.Baseline-80) > 5 || math.Abs(res.Mean-80) > 5 {
		t.Fatalf("baseline %.1f, mean %.1f jobs/s; want about the 80 jobs/s drain rate", res.Baseline, res.Mean)
	}
	for _, f := range res.Findings {
		if f.Kind == runrec.FindingDrop {
			t.Errorf("steady observed drain: drop %s %v-%v: %s", f.Cause, f.Start.Sub(synthT0).Round(time.Second), f.End.Sub(synthT0).Round(time.Second), f.Summary)
		}
	}
}
