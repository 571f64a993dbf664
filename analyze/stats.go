package analyze

import (
	"math"

	"gonum.org/v1/gonum/stat"

	pq "github.com/pgqtune/pgqtune/analyze/quantile"
)

// median returns the median of xs (0 for none). xs is not modified.
func median(xs []float64) float64 { return pq.Median(xs) }

// quantile returns the q-quantile of xs by linear interpolation (0 for none).
func quantile(xs []float64, q float64) float64 { return pq.Of(xs, q) }

// mad is the median absolute deviation scaled to a normal sigma.
func mad(xs []float64, med float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	d := make([]float64, len(xs))
	for i, x := range xs {
		d[i] = math.Abs(x - med)
	}
	return 1.4826 * median(d)
}

// mean is the arithmetic mean (0 for none).
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return stat.Mean(xs, nil)
}

// ramp maps x to [0,1]: 0 at or below lo, 1 at or above hi.
func ramp(x, lo, hi float64) float64 {
	switch {
	case x <= lo:
		return 0
	case x >= hi:
		return 1
	}
	return (x - lo) / (hi - lo)
}

// ratio is a/b guarded for a zero baseline: growth from nothing counts as
// the given factor when a is positive.
func ratio(a, b, fromZero float64) float64 {
	if b <= 0 {
		if a > 0 {
			return fromZero
		}
		return 1
	}
	return a / b
}

// round rounds to the given number of decimals so output is stable.
func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }
