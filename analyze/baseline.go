package analyze

import "math"

// baseline is the run's normal: medians over measured slots that are not
// warm-up, not a deliberate pressure and not inside an event.
type baseline struct {
	Rate     float64 // completed jobs/s
	Sigma    float64 // robust spread of Rate
	ByTarget map[float64]rateBase
	P99Ms    float64 // median of per-second p99 (0 unknown)
	Depth    float64 // median depth (-1 unknown)
	OldestS  float64 // median oldest pending age (-1 unknown)
	Enqueued float64
	ClaimMs  float64 // claim statement's median mean time (0 unknown)
	Slots    int
}

// rateBase is the baseline of one open-loop target rate.
type rateBase struct {
	Rate, Sigma float64
	N           int
}

// minBaseSlots is how many slots a baseline needs before exclusions are
// honoured; with fewer it falls back to every measured slot.
const minBaseSlots = 10

// computeBaseline fills sc.base and sc.baseFrames, leaving out slots in
// exclude (events of a previous pass) when enough slots remain.
func (sc *scene) computeBaseline(exclude []bool) {
	slots := sc.tl.Slots
	pick := func(usePressure, useExcluded bool) []int {
		var idx []int
		for i := range slots {
			s := &slots[i]
			if !s.Measured || (s.Pressure && !usePressure) || (exclude != nil && exclude[i] && !useExcluded) {
				continue
			}
			idx = append(idx, i)
		}
		return idx
	}
	// Excluded events stay excluded while a few quiet seconds remain: a
	// short baseline (noted) beats one made of the fault itself.
	minQuiet := max(3, int(math.Ceil(sc.opts.MinWindowS/sc.tl.StepS)))
	idx := pick(false, false)
	if len(idx) < minQuiet {
		idx = pick(true, false)
	}
	if len(idx) < minQuiet {
		idx = pick(true, true)
	}
	in := make([]bool, len(slots))
	for _, i := range idx {
		in[i] = true
	}
	b := baselineOf(slots, idx, sc.opts)
	// A fault that lasts most of the run would become its own baseline:
	// the first third of the measured run, when it has enough seconds,
	// may stand for normal rate instead.
	early := idx[:len(idx)/3]
	if len(early) >= minBaseSlots {
		e := baselineOf(slots, early, sc.opts)
		if e.Rate > b.Rate*(1+sc.opts.MinDropPct/100) {
			b.Rate, b.Sigma, b.ByTarget = e.Rate, e.Sigma, e.ByTarget
		}
	}
	// For the "lower is better" signals, a quiet stretch anywhere in the
	// run shows what normal looks like even when a fault covers most of it.
	level := func(get func(*slot) float64, factor float64, cur float64) float64 {
		vals := make([]float64, 0, len(idx))
		for _, i := range idx {
			if v := get(&slots[i]); v >= 0 {
				vals = append(vals, v)
			}
		}
		if low := lowLevel(vals, sc.tl.StepS, sc.opts.MinWindowS); low*factor < cur {
			return low
		}
		return cur
	}
	b.P99Ms = level(func(s *slot) float64 { return s.P99Ms }, sc.opts.LatencyFactor, b.P99Ms)
	if b.Depth >= 0 {
		b.Depth = level(func(s *slot) float64 { return s.Depth }, sc.opts.BacklogFactor, b.Depth)
	}
	if b.OldestS >= 0 {
		b.OldestS = level(func(s *slot) float64 { return s.OldestS }, sc.opts.BacklogFactor, b.OldestS)
	}
	sc.baseFrames = sc.baseFrames[:0]
	sc.baseCache = nil
	var claim []float64
	for k := range sc.frames {
		f := &sc.frames[k]
		// A delta sampled at T covers the slot before T.
		si := f.Slot - 1
		if si < 0 || si >= len(in) || !in[si] {
			continue
		}
		sc.baseFrames = append(sc.baseFrames, k)
		if f.HasClaim {
			claim = append(claim, f.ClaimMeanMs)
		}
	}
	if len(claim) > 0 {
		b.ClaimMs = median(claim)
		if low := lowLevel(claim, sc.samplerStep(), sc.opts.MinWindowS); low*sc.opts.ClaimFactor < b.ClaimMs {
			b.ClaimMs = low
		}
	}
	sc.base = b
}

// baselineOf computes the medians over the given slots.
func baselineOf(slots []slot, idx []int, opts Options) baseline {
	var rates, enq, p99, depth, oldest []float64
	byT := map[float64][]float64{}
	for _, i := range idx {
		s := &slots[i]
		rates = append(rates, s.Completed)
		enq = append(enq, s.Enqueued)
		if s.Target > 0 {
			k := math.Round(s.Target*10) / 10
			byT[k] = append(byT[k], s.Completed)
		}
		if s.P99Ms >= 0 {
			p99 = append(p99, s.P99Ms)
		}
		if s.Depth >= 0 {
			depth = append(depth, s.Depth)
		}
		if s.OldestS >= 0 {
			oldest = append(oldest, s.OldestS)
		}
	}
	b := baseline{Slots: len(idx), Depth: -1, OldestS: -1, ByTarget: map[float64]rateBase{}}
	var targets []float64
	for _, i := range idx {
		targets = append(targets, slots[i].Target)
	}
	b.Rate, b.Sigma = robustRate(rates, median(targets), opts)
	b.Enqueued = median(enq)
	for k, v := range byT {
		r, sg := robustRate(v, k, opts)
		b.ByTarget[k] = rateBase{Rate: r, Sigma: sg, N: len(v)}
	}
	if len(p99) > 0 {
		b.P99Ms = median(p99)
	}
	if len(depth) > 0 {
		b.Depth = median(depth)
	}
	if len(oldest) > 0 {
		b.OldestS = median(oldest)
	}
	return b
}

// expected is the completed rate slot i should have had, and its spread:
// the baseline of its open-loop target rate when that has enough slots,
// else the run's.
func (sc *scene) expected(i int) (float64, float64) {
	s := &sc.tl.Slots[i]
	if s.Target > 0 {
		if rb, ok := sc.base.ByTarget[math.Round(s.Target*10)/10]; ok && rb.N >= minBaseSlots {
			return rb.Rate, rb.Sigma
		}
		// An open loop sent only Target this second (a ramp or a lower
		// step): completing that much is normal, not a drop.
		if sc.base.Rate > 0 && s.Target < sc.base.Rate {
			return s.Target, sc.base.Sigma * s.Target / sc.base.Rate
		}
	}
	return sc.base.Rate, sc.base.Sigma
}

// robustRate is the normal completed rate of xs (in time order) and its
// spread. The median stands unless an open-loop target says more is
// normal: when the median falls short of the target, a fault may cover
// half the run, and the upper quartile (capped at the target) is the
// better estimate.
func robustRate(xs []float64, target float64, opts Options) (float64, float64) {
	r := median(xs)
	// An open loop cannot complete more than it is sent, except while
	// catching up after a fault.
	if target > 0 && r > target {
		r = target
	}
	if target > 0 && r < target {
		if q := min(quantile(xs, 0.75), target); q > r {
			r = q
		}
	}
	// Two estimates of the noise, each blind to one thing: the seconds
	// within MinDropPct of the rate (a partial fault can fall inside that
	// band), and the seconds above it (a long catch-up surge can dominate
	// those). The smaller is the noise.
	band := opts.MinDropPct / 100
	var near, up []float64
	for _, x := range xs {
		if x >= r*(1-band) && x <= r*(1+band) {
			near = append(near, x)
		}
		if x >= r {
			up = append(up, x-r)
		}
	}
	sigma := mad(near, r)
	if len(up) >= 5 {
		sigma = min(sigma, 1.4826*median(up))
	}
	// And the noise of the quieter stretches, for a fault that wobbles
	// inside the band and a catch-up that fills the upper side.
	const size = 5
	if len(xs) >= 4*size {
		var mads []float64
		for i := 0; i+size <= len(xs); i += size {
			b := xs[i : i+size]
			mads = append(mads, mad(b, median(b)))
		}
		sigma = min(sigma, quantile(mads, 0.25))
	}
	return r, sigma
}

// lowLevel is the lower quartile of the medians of consecutive buckets of
// xs (each at least minS seconds of step-second values, at most 48
// buckets): the level of the quieter stretches, which stands even when a
// fault covers most of the run (up to three quarters of it) and does not
// hang on one lucky bucket. Callers use it only when it is lower than the
// overall median by more than their detection factor, i.e. when the
// series clearly shifted level.
func lowLevel(xs []float64, stepS, minS float64) float64 {
	size := max(int(math.Ceil(minS/stepS)), len(xs)/48, 1)
	if len(xs) < 2*size {
		return median(xs)
	}
	var meds []float64
	for i := 0; i+size <= len(xs); i += size {
		meds = append(meds, median(xs[i:i+size]))
	}
	return quantile(meds, 0.25)
}

// tighten keeps, for the noise and the "lower is better" levels, the
// smaller of this (second-pass) baseline and the first: leaving the events
// out should only ever quiet a baseline, and when it does not, the events
// found were only the deepest part of a fault whose shallower seconds
// still sit in the rest.
func (b *baseline) tighten(first baseline) {
	lower := func(a, f float64) float64 {
		if f > 0 && (a <= 0 || f < a) {
			return f
		}
		return a
	}
	b.Sigma = min(b.Sigma, first.Sigma)
	for k, rb := range b.ByTarget {
		if fb, ok := first.ByTarget[k]; ok {
			rb.Sigma = min(rb.Sigma, fb.Sigma)
			b.ByTarget[k] = rb
		}
	}
	b.P99Ms = lower(b.P99Ms, first.P99Ms)
	b.ClaimMs = lower(b.ClaimMs, first.ClaimMs)
	if first.Depth >= 0 {
		b.Depth = lower(b.Depth, first.Depth)
	}
	if first.OldestS >= 0 {
		b.OldestS = lower(b.OldestS, first.OldestS)
	}
}
