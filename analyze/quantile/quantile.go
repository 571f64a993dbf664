// Package quantile is pgqtune's one quantile: linear interpolation between
// the closest ranks of the sorted sample (Hyndman and Fan's type 7, the
// default of R and NumPy), which every recorded figure and golden file was
// computed with. gonum's stat.Quantile offers the empirical CDF and type 4
// only (type 4 makes the median of 1, 2, 3, 4 be 2, not 2.5), so this one
// small function stays; means, variances and distributions come from gonum.
package quantile

import (
	"math"
	"slices"
)

// Of returns the q-quantile of xs (0 <= q <= 1) without modifying xs; 0
// for an empty sample.
func Of(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Sorted(s, q)
}

// Median is Of(xs, 0.5).
func Median(xs []float64) float64 { return Of(xs, 0.5) }

// Sorted is Of for an already sorted sample (not checked).
func Sorted(s []float64, q float64) float64 {
	if len(s) == 0 {
		return 0
	}
	pos := q * float64(len(s)-1)
	lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
	if hi >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}
