package quantile_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/analyze/quantile"
)

func TestOf(t *testing.T) {
	xs := []float64{4, 1, 3, 2}
	for _, tc := range []struct{ q, want float64 }{{0, 1}, {0.5, 2.5}, {0.25, 1.75}, {1, 4}} {
		if got := quantile.Of(xs, tc.q); got != tc.want {
			t.Errorf("q=%v: %v, want %v", tc.q, got, tc.want)
		}
	}
	if xs[0] != 4 {
		t.Error("Of sorted its input")
	}
	if quantile.Median(nil) != 0 || quantile.Median([]float64{7}) != 7 {
		t.Error("empty or single sample")
	}
}
