package compare

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pgqtune/pgqtune/analyze/quantile"
)

// Alternative hypotheses of a one- or two-sided test.
const (
	TwoSided = "two-sided"
	// Less is "the second sample tends to be smaller than the first".
	Less = "less"
	// Greater is "the second sample tends to be larger than the first".
	Greater = "greater"
)

// MannWhitney is the result of a Mann-Whitney U test of two samples.
type MannWhitney struct {
	N1, N2 int `json:"-"`
	// U is the statistic of the first sample.
	U float64 `json:"u"`
	Z float64 `json:"z"`
	P float64 `json:"p"`
	// Alternative is TwoSided, Less or Greater.
	Alternative string `json:"alternative"`
}

// MannWhitneyU tests whether y tends to differ from x (TwoSided), be smaller
// (Less) or larger (Greater), with the normal approximation, a tie
// correction and a continuity correction. It needs no distribution
// assumption, so a skewed per-second throughput series is fine; it does
// assume independent observations, which neighbouring seconds are only
// roughly, so callers pair it with a minimum effect size. With fewer than
// two observations in either sample, or all values tied, P is 1.
func MannWhitneyU(x, y []float64, alternative string) MannWhitney {
	r := MannWhitney{N1: len(x), N2: len(y), P: 1, Alternative: alternative}
	n1, n2 := float64(len(x)), float64(len(y))
	if len(x) < 2 || len(y) < 2 {
		return r
	}
	type obs struct {
		v     float64
		first bool
	}
	all := make([]obs, 0, len(x)+len(y))
	for _, v := range x {
		all = append(all, obs{v, true})
	}
	for _, v := range y {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	var r1, tieTerm float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		// Positions i..j-1 share the average of ranks i+1..j.
		rank := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			if all[k].first {
				r1 += rank
			}
		}
		t := float64(j - i)
		tieTerm += t*t*t - t
		i = j
	}
	n := n1 + n2
	r.U = r1 - n1*(n1+1)/2
	mu := n1 * n2 / 2
	sigma := math.Sqrt(n1 * n2 / 12 * ((n + 1) - tieTerm/(n*(n-1))))
	if sigma == 0 {
		return r
	}
	switch alternative {
	case Less:
		// y smaller means x larger: U of x above its mean.
		r.Z = (r.U - mu - 0.5) / sigma
		r.P = normalSF(r.Z)
	case Greater:
		r.Z = (r.U - mu + 0.5) / sigma
		r.P = 1 - normalSF(r.Z)
	default:
		r.Alternative = TwoSided
		r.Z = (math.Abs(r.U-mu) - 0.5) / sigma
		r.P = math.Min(1, 2*normalSF(r.Z))
	}
	return r
}

// normalSF is the standard normal survival function, P(Z > z).
func normalSF(z float64) float64 { return distuv.UnitNormal.Survival(z) }

// BootstrapMeanChange estimates a confidence interval, at level conf, for
// the relative change of the mean from x to y, in percent, by resampling
// both series with replacement. The generator is seeded from the data so
// the same two runs always print the same interval.
func BootstrapMeanChange(x, y []float64, conf float64, resamples int) (lo, hi float64) {
	if len(x) == 0 || len(y) == 0 || resamples <= 0 {
		return math.NaN(), math.NaN()
	}
	rng := rand.New(rand.NewPCG(uint64(len(x))*1_000_003+uint64(len(y)), math.Float64bits(mean(x))^math.Float64bits(mean(y))))
	changes := make([]float64, 0, resamples)
	for range resamples {
		var sx, sy float64
		for range x {
			sx += x[rng.IntN(len(x))]
		}
		for range y {
			sy += y[rng.IntN(len(y))]
		}
		mx, my := sx/float64(len(x)), sy/float64(len(y))
		if mx == 0 {
			continue
		}
		changes = append(changes, (my-mx)/mx*100)
	}
	if len(changes) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(changes)
	alpha := (1 - conf) / 2
	return quantileSorted(changes, alpha), quantileSorted(changes, 1-alpha)
}

// quantileSorted is the q-quantile of the sorted sample s.
func quantileSorted(s []float64, q float64) float64 { return quantile.Sorted(s, q) }

// mean is the arithmetic mean (NaN for none).
func mean(s []float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	return stat.Mean(s, nil)
}
