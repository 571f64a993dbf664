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
	idx := pick(false, false)
	if len(idx) < minBaseSlots {
		idx = pick(false, true)
	}
	if len(idx) < minBaseSlots {
		idx = pick(true, true)
	}
	in := make([]bool, len(slots))
	for _, i := range idx {
		in[i] = true
	}
	b := baselineOf(slots, idx)
	// A fault that lasts most of the run would become its own baseline:
	// the first third of the measured run, when it has enough seconds,
	// may stand for normal instead (higher rate, lower latency wins).
	early := idx[:len(idx)/3]
	if len(early) >= minBaseSlots {
		e := baselineOf(slots, early)
		if e.Rate > b.Rate*(1+sc.opts.MinDropPct/100) {
			b.Rate, b.Sigma, b.ByTarget = e.Rate, e.Sigma, e.ByTarget
		}
		if e.P99Ms > 0 && e.P99Ms*sc.opts.LatencyFactor < b.P99Ms {
			b.P99Ms = e.P99Ms
		}
		if e.Depth >= 0 && e.Depth*sc.opts.BacklogFactor < b.Depth {
			b.Depth = e.Depth
		}
		if e.OldestS >= 0 && e.OldestS*sc.opts.BacklogFactor < b.OldestS {
			b.OldestS = e.OldestS
		}
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
		if k := len(claim) / 3; k >= minBaseSlots {
			if e := median(claim[:k]); e*sc.opts.ClaimFactor < b.ClaimMs {
				b.ClaimMs = e
			}
		}
	}
	sc.base = b
}

// baselineOf computes the medians over the given slots.
func baselineOf(slots []slot, idx []int) baseline {
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
	b.Rate = median(rates)
	b.Sigma = mad(rates, b.Rate)
	b.Enqueued = median(enq)
	for k, v := range byT {
		m := median(v)
		b.ByTarget[k] = rateBase{Rate: m, Sigma: mad(v, m), N: len(v)}
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
	}
	return sc.base.Rate, sc.base.Sigma
}
