package recommendations

import (
	"math"
	"testing"
)

func TestWelch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		a, b   []float64
		lo, hi float64
	}{
		// Reference values from R's t.test(a, b) (Welch).
		{"clearly different", []float64{100, 102, 98}, []float64{200, 205, 195}, 0, 0.001},
		{"overlapping", []float64{100, 110, 90}, []float64{105, 95, 112}, 0.5, 1},
		{"identical constants", []float64{5, 5}, []float64{5, 5}, 1, 1},
		{"different constants", []float64{5, 5}, []float64{6, 6}, 0, 0},
	}
	for _, c := range cases {
		if p := welch(c.a, c.b); p < c.lo || p > c.hi {
			t.Errorf("%s: p = %v, want in [%v, %v]", c.name, p, c.lo, c.hi)
		}
	}
	// t = -2.5, df = 8 (equal n and variance): two-sided p = 0.03694.
	if p := welch([]float64{1, 2, 3, 4, 5}, []float64{3.5, 4.5, 5.5, 6.5, 7.5}); math.Abs(p-0.03694) > 0.0005 {
		t.Errorf("p = %v, want 0.03694", p)
	}
	if !math.IsNaN(welch([]float64{1}, []float64{2, 3})) {
		t.Error("one value per arm must give NaN")
	}
}

// TestPairedLogT: the paired t-test on log ratios against a hand-checked
// value (R: t.test(c(1,2,3,4)) gives t = 3.873, df = 3, p = 0.0305), a
// noisy case (every repetition about 4x faster with the fix, on a host
// whose load halved or doubled whole repetitions), and the cases it
// leaves to Welch's test.
func TestPairedLogT(t *testing.T) {
	without := []float64{1, 1, 1, 1}
	with := []float64{math.E, math.Exp(2), math.Exp(3), math.Exp(4)}
	p, up, ok := pairedLogT(without, with)
	if !ok || !up || math.Abs(p-0.0305) > 0.0005 {
		t.Errorf("pairedLogT = %.4f, up %v, ok %v; want 0.0305, up", p, up, ok)
	}
	without = []float64{30, 80, 40, 70}
	with = []float64{130, 310, 150, 300}
	if p, up, ok := pairedLogT(without, with); !ok || !up || p/2 >= 0.05 {
		t.Errorf("paired one-sided p = %.4f (up %v, ok %v); want < 0.05", p/2, up, ok)
	}
	if _, _, ok := pairedLogT([]float64{0, 1}, []float64{1, 2}); ok {
		t.Error("a zero value is not a ratio: want ok false")
	}
	if _, _, ok := pairedLogT([]float64{1, 2, 3}, []float64{1, 2}); ok {
		t.Error("unpaired arms: want ok false")
	}
}
