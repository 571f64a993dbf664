package recommendations

import (
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// meanVar returns the sample mean and (n-1) variance.
func meanVar(xs []float64) (mean, variance float64) {
	switch len(xs) {
	case 0:
		return 0, 0
	case 1:
		return xs[0], 0
	}
	return stat.MeanVariance(xs, nil)
}

// welch runs Welch's two-sample t-test and returns the two-sided p-value
// (NaN when either sample has fewer than two values). Identical constant
// samples give p = 1; different constant samples give p = 0.
func welch(a, b []float64) float64 {
	if len(a) < 2 || len(b) < 2 {
		return math.NaN()
	}
	ma, va := meanVar(a)
	mb, vb := meanVar(b)
	na, nb := float64(len(a)), float64(len(b))
	se2 := va/na + vb/nb
	if se2 == 0 {
		if ma == mb {
			return 1
		}
		return 0
	}
	t := (ma - mb) / math.Sqrt(se2)
	// Welch-Satterthwaite degrees of freedom.
	df := se2 * se2 / ((va/na)*(va/na)/(na-1) + (vb/nb)*(vb/nb)/(nb-1))
	return 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t))
}

// pairedLogT runs a paired t-test on the log ratios with[i]/without[i] and
// returns the two-sided p-value and whether the with arm is the higher
// one; ok is false when the arms are not pairs of positive values (then
// Welch's test on the values is the one to use). Throughput, latency and
// dead-tuple rates vary by factors on a busy host (a neighbour's load
// halves a repetition rather than taking 10 jobs/s off it), and Rerun
// runs each repetition's two arms back to back, so their ratio cancels
// what the host was doing at the time.
func pairedLogT(without, with []float64) (p float64, up, ok bool) {
	if len(without) != len(with) || len(with) < 2 {
		return 0, false, false
	}
	d := make([]float64, len(with))
	for i := range with {
		if with[i] <= 0 || without[i] <= 0 {
			return 0, false, false
		}
		d[i] = math.Log(with[i] / without[i])
	}
	m, v := meanVar(d)
	up = m > 0
	if v == 0 {
		if m == 0 {
			return 1, false, true
		}
		return 0, up, true
	}
	n := float64(len(d))
	t := m / math.Sqrt(v/n)
	return 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Survival(math.Abs(t)), up, true
}
