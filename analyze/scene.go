package analyze

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// scene is everything attribution reads: the run, its timeline, frames
// and the baseline they are compared against.
type scene struct {
	run     *runrec.Run
	opts    Options
	tl      *timeline
	q       *queueInfo
	samples []*runrec.Sample // time order
	frames  []frame          // samples[i] reduced
	base    baseline
	// baseFrames are indices of frames inside baseline slots.
	baseFrames []int
	// baseCache memoizes baseline statistics by signal name: every window
	// asks for the same ones.
	baseCache map[string]float64
}

// newScene sorts the samples, reduces them to frames and lays out the
// timeline.
func newScene(run *runrec.Run, opts Options) *scene {
	sc := &scene{run: run, opts: opts}
	sc.tl = buildTimeline(run, opts)
	sc.q = findQueue(run)
	sc.samples = make([]*runrec.Sample, len(run.Samples))
	for i := range run.Samples {
		sc.samples[i] = &run.Samples[i]
	}
	sort.SliceStable(sc.samples, func(a, b int) bool { return sc.samples[a].T.Before(sc.samples[b].T) })
	if len(sc.tl.Slots) == 0 && len(sc.samples) > 0 {
		sc.tl.T0 = sc.samples[0].T
	}
	sc.frames = make([]frame, len(sc.samples))
	for i, s := range sc.samples {
		sc.frames[i] = makeFrame(s, sc.tl, sc.q)
		sc.frames[i].sampleIndex = i
	}
	return sc
}

// frameRange returns the frames whose slot lies in [i0, i1] (slots), by
// binary search on time.
func (sc *scene) frameRange(i0, i1 int) []frame {
	lo := sort.Search(len(sc.frames), func(k int) bool { return sc.frames[k].Slot >= i0 })
	hi := sort.Search(len(sc.frames), func(k int) bool { return sc.frames[k].Slot > i1 })
	return sc.frames[lo:hi]
}

// windowFrames are the frames covering window w: a delta sampled at T
// describes the second before T, so the range runs one slot past the end.
func (sc *scene) windowFrames(w *window) []frame {
	return sc.frameRange(w.I0, w.I1+1)
}

// windowSamples are the raw samples behind windowFrames, for evidence.
func (sc *scene) windowSamples(w *window) []*runrec.Sample {
	fr := sc.windowFrames(w)
	out := make([]*runrec.Sample, len(fr))
	for i := range fr {
		out[i] = sc.samples[fr[i].sampleIndex]
	}
	return out
}

// baseVals collects get(f) over baseline frames where has(f).
func (sc *scene) baseVals(has func(*frame) bool, get func(*frame) float64) []float64 {
	out := make([]float64, 0, len(sc.baseFrames))
	for _, i := range sc.baseFrames {
		f := &sc.frames[i]
		if has == nil || has(f) {
			out = append(out, get(f))
		}
	}
	return out
}

// baseMean is the normal level of get over baseline frames where has; key
// names the signal for the cache. It is the lower quartile of the means of
// consecutive stretches (at least MinWindowS each) rather than the plain
// mean: a cause often starts before its symptom shows (checkpoints pile up
// seconds before commits slow), and those seconds are in the baseline; a
// lower quartile stays at the quiet level while a quarter or more of the
// baseline is quiet. With few stretches it is the plain mean.
func (sc *scene) baseMean(key string, has func(*frame) bool, get func(*frame) float64) float64 {
	return sc.cached("mean:"+key, func() float64 {
		vals := sc.baseVals(has, get)
		size := max(int(math.Ceil(sc.opts.MinWindowS/sc.samplerStep())), len(vals)/48, 1)
		if len(vals) < 4*size {
			return mean(vals)
		}
		var means []float64
		for i := 0; i+size <= len(vals); i += size {
			means = append(means, mean(vals[i:i+size]))
		}
		return quantile(means, 0.25)
	})
}

// baseMedian is the median of get over baseline frames where has.
func (sc *scene) baseMedian(key string, has func(*frame) bool, get func(*frame) float64) float64 {
	return sc.cached("median:"+key, func() float64 { return median(sc.baseVals(has, get)) })
}

// baseLow is the normal level of a "lower is better" signal (a cost per
// call): the median over baseline frames where has, or the level of its
// quietest stretches when that is ClaimFactor times lower. A fault lasting
// most of a short run leaves the baseline made mostly of its own seconds
// (a 20 s hold in a 32 s run put the claim's median at 1,069 buffers
// against 60 before it), and a cost measured against that shows none.
func (sc *scene) baseLow(key string, has func(*frame) bool, get func(*frame) float64) float64 {
	return sc.cached("low:"+key, func() float64 {
		vals := sc.baseVals(has, get)
		med := median(vals)
		if low := lowLevel(vals, sc.samplerStep(), sc.opts.MinWindowS); low*sc.opts.ClaimFactor < med {
			return low
		}
		return med
	})
}

// baseQuantile is the q-quantile of get over baseline frames.
func (sc *scene) baseQuantile(key string, q float64, has func(*frame) bool, get func(*frame) float64) float64 {
	return sc.cached(fmt.Sprintf("q%v:%s", q, key), func() float64 { return quantile(sc.baseVals(has, get), q) })
}

func (sc *scene) cached(key string, fn func() float64) float64 {
	if v, ok := sc.baseCache[key]; ok {
		return v
	}
	if sc.baseCache == nil {
		sc.baseCache = map[string]float64{}
	}
	v := fn()
	sc.baseCache[key] = v
	return v
}

// winMean is the mean of get over fr where has (and whether any had data).
func winMean(fr []frame, has func(*frame) bool, get func(*frame) float64) (float64, bool) {
	var s float64
	n := 0
	for i := range fr {
		if has == nil || has(&fr[i]) {
			s += get(&fr[i])
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return s / float64(n), true
}

// winQuantile is the q-quantile of get over fr where has (0 when none).
func winQuantile(fr []frame, has func(*frame) bool, get func(*frame) float64, q float64) float64 {
	var xs []float64
	for i := range fr {
		if f := &fr[i]; has == nil || has(f) {
			xs = append(xs, get(f))
		}
	}
	if len(xs) == 0 {
		return 0
	}
	return quantile(xs, q)
}

// winMax is the max of get over fr where has.
func winMax(fr []frame, has func(*frame) bool, get func(*frame) float64) float64 {
	m := 0.0
	for i := range fr {
		if has == nil || has(&fr[i]) {
			m = max(m, get(&fr[i]))
		}
	}
	return m
}

// winFrac is the fraction of fr (where has) for which pred holds.
func winFrac(fr []frame, has func(*frame) bool, pred func(*frame) bool) float64 {
	n, k := 0, 0
	for i := range fr {
		if has == nil || has(&fr[i]) {
			n++
			if pred(&fr[i]) {
				k++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

// seconds is the wall time a window covers.
func (sc *scene) seconds(w *window) float64 {
	return float64(w.I1-w.I0+1) * sc.tl.StepS
}

// startTime and endTime bound a window (end exclusive).
func (sc *scene) startTime(w *window) time.Time { return sc.tl.slotTime(w.I0) }
func (sc *scene) endTime(w *window) time.Time   { return sc.tl.slotTime(w.I1 + 1) }

// noisyOr combines independent pieces of evidence in [0,1].
func noisyOr(xs ...float64) float64 {
	p := 1.0
	for _, x := range xs {
		p *= 1 - clamp01(x)
	}
	return 1 - p
}

// withBaseSlots runs fn with the baseline frames narrowed to slots
// [i0, i1] (a trend's start), restoring them afterwards.
func (sc *scene) withBaseSlots(i0, i1 int, fn func() runrec.Finding) runrec.Finding {
	saved, savedCache := sc.baseFrames, sc.baseCache
	var narrowed []int
	for _, k := range saved {
		if s := sc.frames[k].Slot - 1; s >= i0 && s <= i1 {
			narrowed = append(narrowed, k)
		}
	}
	if len(narrowed) > 0 {
		sc.baseFrames, sc.baseCache = narrowed, nil
	}
	defer func() { sc.baseFrames, sc.baseCache = saved, savedCache }()
	return fn()
}
