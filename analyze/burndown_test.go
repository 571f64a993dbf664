package analyze_test

import (
	"math"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/runrec"
)

// burndownRun shapes a synthetic run as a burndown: 6 s loading the
// backlog with the consumers paused, then 20 s working it off at rate with
// nothing enqueued, every job's latency the time it waited in the backlog.
func burndownRun(rate float64, stall func(i int) float64) *runrec.Run {
	s := newSynth(27, 5)
	r := s.run
	r.Meta.Scenario = "burndown"
	r.Meta.Phases = []runrec.PhaseSpan{{Name: "burndown", Profile: "burndown", Start: synthT0, End: synthT0.Add(27 * time.Second)}}
	depth := 0.0
	for i := range r.Workload {
		tk := s.tick(i)
		tk.Phase, tk.Warmup, tk.TargetRate = "burndown", false, 0
		tk.Enqueued, tk.Completed = 0, 0
		if i < 6 {
			tk.Enqueued = 150000
		} else {
			f := 1.0
			if stall != nil {
				f = stall(i)
			}
			tk.Completed = int64(math.Min(depth, rate*f*(1+0.02*math.Sin(float64(i)))))
		}
		depth += float64(tk.Enqueued - tk.Completed)
		tk.Dequeued, tk.Depth = tk.Completed, int64(depth)
		tk.OldestPendingAgeS = float64(i)
		wait := float64(i) * 1000
		tk.LatencyMs = &runrec.Percentiles{P50: wait / 2, P90: wait * 0.9, P95: wait * 0.95, P99: wait * 0.99, Max: wait, Count: tk.Completed}
		scaleStatements(s.smp(i), float64(tk.Completed+tk.Enqueued)/synthBaseRate)
	}
	return r
}

func TestBurndown(t *testing.T) {
	t.Run("the work-off is the measured part; waiting in the backlog is no finding", func(t *testing.T) {
		res, err := analyze.Analyze(burndownRun(50000, nil), analyze.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(res.Baseline-50000) > 2500 || math.Abs(res.Mean-50000) > 2500 {
			t.Fatalf("baseline %.0f, mean %.0f jobs/s; want about the 50000 jobs/s work-off rate", res.Baseline, res.Mean)
		}
		for _, f := range res.Findings {
			t.Errorf("steady burndown: %s %s %v-%v: %s", f.Kind, f.Cause, f.Start.Format("15:04:05"), f.End.Format("15:04:05"), f.Summary)
		}
	})
	t.Run("a stall inside the work-off is a drop", func(t *testing.T) {
		run := burndownRun(50000, func(i int) float64 {
			if i >= 12 && i < 17 {
				return 0.2
			}
			return 1
		})
		res, err := analyze.Analyze(run, analyze.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		var drop *runrec.Finding
		for i := range res.Findings {
			if res.Findings[i].Kind == runrec.FindingDrop {
				drop = &res.Findings[i]
			}
		}
		if drop == nil {
			t.Fatalf("no drop found for a 5 s stall to 20%% in the work-off: %+v", res.Findings)
		}
		if s := drop.Start.Sub(synthT0); s < 11*time.Second || s > 13*time.Second || drop.ThroughputDropPct < 60 {
			t.Fatalf("drop at +%v, %.0f%%; want from about +12s, about 80%%", s, drop.ThroughputDropPct)
		}
	})
}

// TestObservedDrain: pgqtune watched an application's workers work off a
// backlog it had enqueued before the observation began: nothing enqueued
// all run, the depth large. Those seconds are work, not the tail of a
// drain: a stall in them is a drop.
func TestObservedDrain(t *testing.T) {
	s := newSynth(36, 5)
	r := s.run
	r.Meta.Mode = "observe"
	r.Meta.Phases = nil
	depth := 40000.0
	for i := range r.Workload {
		tk := s.tick(i)
		tk.Phase, tk.Warmup, tk.TargetRate, tk.LatencyMs = "", false, 0, nil
		rate := 1500.0
		if i >= 14 && i < 20 {
			rate = 100
		}
		tk.Enqueued, tk.Completed = 0, int64(rate*(1+0.02*math.Sin(float64(i))))
		depth -= float64(tk.Completed)
		tk.Dequeued, tk.Depth = tk.Completed, int64(depth)
		scaleStatements(s.smp(i), float64(tk.Completed)/synthBaseRate)
	}
	res, err := analyze.Analyze(r, analyze.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.Baseline-1500) > 100 {
		t.Fatalf("baseline %.0f jobs/s; want about the 1500 jobs/s the workers drained at", res.Baseline)
	}
	var drop *runrec.Finding
	for i := range res.Findings {
		if res.Findings[i].Kind == runrec.FindingDrop {
			drop = &res.Findings[i]
		}
	}
	if drop == nil {
		t.Fatalf("no drop found for a 6 s stall of an observed drain: %+v", res.Findings)
	}
	if s := drop.Start.Sub(synthT0); s < 13*time.Second || s > 15*time.Second {
		t.Fatalf("drop at +%v; want from about +14s", s)
	}
}
