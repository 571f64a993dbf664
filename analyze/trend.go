package analyze

import (
	"math"

	"github.com/pgqtune/pgqtune/runrec"
)

// trendWindow looks for a slow degradation over a long run: per-minute
// medians of completed jobs/s (or of the claim statement's mean time) that
// slide steadily from the first minutes to the last.
func (sc *scene) trendWindow(events []*window) *window {
	var idx []int
	inEvent := eventMask(len(sc.tl.Slots), events)
	for i := range sc.tl.Slots {
		if sc.tl.Slots[i].Measured && !sc.tl.Slots[i].Pressure {
			idx = append(idx, i)
		}
	}
	if len(idx) < 2 {
		return nil
	}
	span := float64(idx[len(idx)-1]-idx[0]+1) * sc.tl.StepS
	if span < sc.opts.TrendMinS {
		return nil
	}
	bucket := max(1, int(60/sc.tl.StepS))
	var rates []float64
	var cur []float64
	for k, i := range idx {
		if !inEvent[i] {
			cur = append(cur, sc.tl.Slots[i].Completed)
		}
		if (k+1)%bucket == 0 && len(cur) > 0 {
			rates = append(rates, median(cur))
			cur = cur[:0]
		}
	}
	if len(rates) < 3 {
		return nil
	}
	w := &window{I0: idx[0], I1: idx[len(idx)-1], Kind: runrec.FindingTrend}
	first, last := rates[0], rates[len(rates)-1]
	slope, r2 := linfit(rates)
	drop := 0.0
	if first > 0 {
		drop = 100 * (first - last) / first
	}
	steady := r2 >= 0.6 && slope < 0
	// Open-loop runs hold their rate; look at the claim time instead.
	claims := sc.claimByMinute(bucket)
	cf := 0.0
	if len(claims) >= 3 && claims[0] > 0 {
		cs, cr2 := linfit(claims)
		if cs > 0 && cr2 >= 0.6 {
			cf = claims[len(claims)-1] / claims[0]
		}
	}
	if !(steady && drop >= sc.opts.MinDropPct) && cf < sc.opts.ClaimFactor {
		return nil
	}
	sc.measure(w)
	w.Kind = runrec.FindingTrend
	w.DropPct = math.Max(0, drop)
	w.ExpRate, w.WinRate = first, last
	w.ClaimFactor = math.Max(w.ClaimFactor, cf)
	w.Slowdown = cf >= sc.opts.ClaimFactor
	w.Drop = steady && drop >= sc.opts.MinDropPct
	return w
}

// claimByMinute is the claim statement's median mean time per bucket of
// frames.
func (sc *scene) claimByMinute(bucket int) []float64 {
	var out, cur []float64
	k := 0
	for i := range sc.frames {
		f := &sc.frames[i]
		if !sc.isMeasuredFrame(f) || !f.HasClaim {
			continue
		}
		cur = append(cur, f.ClaimMeanMs)
		k++
		if k%bucket == 0 {
			out = append(out, median(cur))
			cur = cur[:0]
		}
	}
	return out
}

// linfit fits y = a + b*x over x = 0..n-1 and returns b and R².
func linfit(ys []float64) (float64, float64) {
	n := float64(len(ys))
	var sx, sy, sxx, sxy, syy float64
	for i, y := range ys {
		x := float64(i)
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
		syy += y * y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0, 0
	}
	b := (n*sxy - sx*sy) / den
	vy := n*syy - sy*sy
	if vy <= 0 {
		return b, 0
	}
	r := (n*sxy - sx*sy) / math.Sqrt(den*vy)
	return b, r * r
}
