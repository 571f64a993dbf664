package analyze_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/runrec"
)

// TestOpenLoopLowerSteps: a steps or ramp scenario sends less in its early
// seconds on purpose. Completing what was sent is normal, not a drop.
func TestOpenLoopLowerSteps(t *testing.T) {
	s := newSynth(120, 5)
	// Steps of 4 s (as the saturation scenario's 5 s steps, too short to
	// have a baseline of their own), from 10% of the rate up to 90%.
	for i := 5; i < 65; i++ {
		f := 0.1 + 0.8*float64((i-5)/4)/15
		tk := s.tick(i)
		tk.TargetRate = s.rate * f
		c := int64(float64(tk.Completed) * f)
		tk.Completed, tk.Dequeued, tk.Enqueued = c, c, c
		scaleStatements(s.smp(i), f)
	}
	res, err := analyze.Analyze(s.run, analyze.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.Kind == runrec.FindingDrop || f.Kind == runrec.FindingTrend {
			t.Errorf("lower open-loop steps reported as %s %s %v-%v: %s", f.Kind, f.Cause, f.Start, f.End, f.Summary)
		}
	}
}
