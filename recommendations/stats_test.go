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
