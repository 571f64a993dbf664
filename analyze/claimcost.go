package analyze

import (
	"gonum.org/v1/gonum/stat"
)

// claimCost is how the claim's cost per call moved with the queue tables'
// dead tuples over a stretch of frames: the effect a held horizon or a
// starved vacuum has on a queue, as opposed to their mere presence.
type claimCost struct {
	// Signal is what was measured: "buffers" (shared blocks per claim,
	// from pg_stat_statements) when the run has them, else "ms" (mean
	// claim time, which CPU contention moves too), "" when neither.
	Signal string
	// Base is the baseline cost, Late the mean over the stretch's last
	// third; Ratio is Late/Base.
	Base, Late, Ratio float64
	// Corr is the Pearson correlation of cost and dead tuples over the
	// stretch (0 when either is flat).
	Corr float64
	// Alpha and Beta fit cost = Alpha + Beta*dead by least squares.
	Alpha, Beta float64
	// DeadFirst and DeadLast are the dead tuples at the stretch's ends,
	// DeadMax their peak within it.
	DeadFirst, DeadLast, DeadMax float64
	// N is the number of frames that had both.
	N int
}

// Effect rates in [0,1] whether the claim got dearer as dead tuples grew:
// its cost rose over baseline, and rose with them. Milliseconds count for
// less than buffers, since anything slowing the server moves them.
func (c claimCost) Effect() float64 {
	if c.Signal == "" || c.N < 3 || c.DeadMax <= c.DeadFirst {
		return 0
	}
	// A claim several times dearer while the dead tuples grow is the
	// effect even when second-to-second noise keeps the correlation
	// modest (a held horizon slowed the claim 10x with correlation 0.44);
	// the statements-alike discount is what tells a CPU hog apart.
	e := ramp(c.Ratio, 1.25, 2) * max(ramp(c.Corr, 0.3, 0.7), ramp(c.Ratio, 2, 5))
	if c.Signal == "ms" {
		e *= 0.7
	}
	return e
}

// claimCostOver measures claimCost over frames fr, in buffers when the run
// recorded them, else in milliseconds.
func (sc *scene) claimCostOver(fr []frame) claimCost {
	if c := sc.claimCostIn(fr, "buffers"); c.Signal != "" {
		return c
	}
	return sc.claimCostIn(fr, "ms")
}

// claimCostIn measures claimCost over frames fr in one signal ("buffers"
// or "ms"); Signal is "" when the baseline has none of it.
func (sc *scene) claimCostIn(fr []frame, signal string) claimCost {
	c := claimCost{Signal: signal}
	has := func(f *frame) bool { return f.HasClaim && f.HasTables }
	get := func(f *frame) float64 { return f.ClaimBlks }
	if signal == "ms" {
		get = func(f *frame) float64 { return f.ClaimMeanMs }
	}
	c.Base = sc.baseLow("claim_cost:"+signal, has, get)
	if c.Base <= 0 {
		return claimCost{}
	}
	// Each second is weighted by its claim calls: a second in which one
	// claim stalled behind something else says little about how cost
	// follows the dead tuples, and the statistics it is compared with
	// (n_dead_tup) lag while backends are stuck.
	var xs, ys, ws []float64
	for i := range fr {
		if f := &fr[i]; has(f) {
			xs = append(xs, f.DeadTup)
			ys = append(ys, get(f))
			ws = append(ws, f.ClaimCalls*f.intervalSecs)
		}
	}
	c.N = len(xs)
	if c.N < 3 {
		return c
	}
	c.DeadFirst, c.DeadLast = xs[0], xs[len(xs)-1]
	for _, x := range xs {
		c.DeadMax = max(c.DeadMax, x)
	}
	k := len(ys) - max(1, len(ys)/3)
	c.Late = stat.Mean(ys[k:], ws[k:])
	c.Ratio = c.Late / c.Base
	if stat.Variance(xs, ws) > 0 && stat.Variance(ys, ws) > 0 {
		c.Corr = stat.Correlation(xs, ys, ws)
		c.Alpha, c.Beta = stat.LinearRegression(xs, ys, ws, false)
	}
	return c
}
