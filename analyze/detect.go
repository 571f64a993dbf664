package analyze

import (
	"math"

	"github.com/pgqtune/pgqtune/runrec"
)

// window is one event: a span of slots [I0, I1] and what was abnormal in it.
type window struct {
	I0, I1 int
	// D0, D1 bound the seconds that were low (drops only): depth figures
	// of a drop are measured there, not over the catch-up around it.
	D0, D1 int
	Kind   string // runrec.Finding* constant

	Drop, Latency, Backlog, Slowdown bool

	DropPct       float64 // completed jobs/s below expected, percent
	WinRate       float64 // mean completed jobs/s in the window
	ExpRate       float64 // what was expected
	LatencyFactor float64 // max p99 over baseline p99
	MaxP99Ms      float64
	BacklogFactor float64 // max depth (or oldest age) over baseline
	MaxDepth      float64
	MaxOldestS    float64
	ClaimFactor   float64 // max claim mean over baseline
	MaxClaimMs    float64
	JobsDelayed   float64

	// Only restricts attribution to these causes (nil: all).
	Only []string
	// Restart marks an outage window that ended in a server restart.
	Restart bool
	// Table is the queue table a per-table event concerns.
	Table string
}

// run is a span of flagged slots.
type span struct{ I0, I1, N int }

// runsOf groups flagged slots into spans, bridging gaps of up to gap
// unflagged slots, and keeps spans with at least minN flagged slots.
func runsOf(flag []bool, gap, minN int) []span {
	var out []span
	cur := span{I0: -1}
	last := -1
	for i, f := range flag {
		if !f {
			continue
		}
		if cur.I0 >= 0 && i-last-1 <= gap {
			cur.I1 = i
			cur.N++
		} else {
			if cur.I0 >= 0 && cur.N >= minN {
				out = append(out, cur)
			}
			cur = span{I0: i, I1: i, N: 1}
		}
		last = i
	}
	if cur.I0 >= 0 && cur.N >= minN {
		out = append(out, cur)
	}
	return out
}

// detect finds rate, latency, backlog and claim slow-down spans and merges
// them into windows.
func (sc *scene) detect() []*window {
	n := len(sc.tl.Slots)
	if n == 0 {
		return nil
	}
	minN := max(1, int(math.Ceil(sc.opts.MinWindowS/sc.tl.StepS)))
	gapN := max(0, int(math.Round(sc.opts.MergeGapS/sc.tl.StepS)))
	low := make([]bool, n)
	lat := make([]bool, n)
	back := make([]bool, n)
	slow := make([]bool, n)
	b := sc.base
	for i := range sc.tl.Slots {
		s := &sc.tl.Slots[i]
		if !s.Measured {
			continue
		}
		exp, sig := sc.expected(i)
		if exp > 0 {
			short := exp - s.Completed
			low[i] = short > exp*sc.opts.MinDropPct/100 && short > sc.opts.NoiseK*sig
		}
		if s.Burndown {
			// Latency and backlog are the burndown's premise (every job
			// waits in the backlog it starts with): only its rate tells.
			continue
		}
		if b.P99Ms > 0 && s.P99Ms >= 0 {
			lat[i] = s.P99Ms > sc.opts.LatencyFactor*b.P99Ms && s.P99Ms-b.P99Ms > sc.opts.LatencyMinMs
		}
		back[i] = sc.backlogHigh(s)
	}
	for i := range sc.frames {
		f := &sc.frames[i]
		si := f.Slot - 1
		if si < 0 || si >= n || !sc.tl.Slots[si].Measured || !f.HasClaim || b.ClaimMs <= 0 {
			continue
		}
		// A handful of calls in a second says little about the mean.
		if f.ClaimCalls*f.intervalSecs < 3 {
			continue
		}
		if f.ClaimMeanMs > sc.opts.ClaimFactor*b.ClaimMs && f.ClaimMeanMs-b.ClaimMs > sc.opts.ClaimMinMs {
			slow[si] = true
		}
	}
	// Bridge one quiet second inside a span: lumpy batches recover for a
	// moment without the event being over.
	var spans []struct {
		span
		kind int
	}
	for k, flags := range [][]bool{low, lat, back, slow} {
		for _, r := range runsOf(flags, 1, minN) {
			spans = append(spans, struct {
				span
				kind int
			}{r, k})
		}
	}
	if len(spans) == 0 {
		return nil
	}
	merged := make([]bool, n)
	kinds := make([][4]bool, n)
	for _, s := range spans {
		for i := s.I0; i <= s.I1; i++ {
			merged[i] = true
			kinds[i][s.kind] = true
		}
	}
	var out []*window
	for _, r := range runsOf(merged, gapN, 1) {
		w := &window{I0: r.I0, I1: r.I1, D0: -1}
		for i := r.I0; i <= r.I1; i++ {
			if kinds[i][0] {
				if w.D0 < 0 {
					w.D0 = i
				}
				w.D1 = i
			}
			w.Drop = w.Drop || kinds[i][0]
			w.Latency = w.Latency || kinds[i][1]
			w.Backlog = w.Backlog || kinds[i][2]
			w.Slowdown = w.Slowdown || kinds[i][3]
		}
		sc.measure(w)
		out = append(out, w)
	}
	return out
}

// backlogHigh reports whether the queue depth or oldest pending age of s
// is well above baseline and worth more than BacklogMinS of work.
func (sc *scene) backlogHigh(s *slot) bool {
	b := sc.base
	if s.Depth >= 0 && b.Depth >= 0 && b.Rate > 0 {
		if s.Depth > sc.opts.BacklogFactor*math.Max(b.Depth, 1) && s.Depth > b.Rate*sc.opts.BacklogMinS {
			return true
		}
	}
	if s.OldestS >= 0 && b.OldestS >= 0 {
		if s.OldestS > sc.opts.BacklogFactor*math.Max(b.OldestS, 0.1) && s.OldestS > sc.opts.BacklogMinS {
			return true
		}
	}
	return false
}

// measure fills a window's depth figures and kind.
func (sc *scene) measure(w *window) {
	b := sc.base
	d0, d1 := w.I0, w.I1
	if w.Drop && w.D0 >= 0 {
		d0, d1 = w.D0, w.D1
	}
	var got, exp float64
	for i := d0; i <= d1; i++ {
		s := &sc.tl.Slots[i]
		if !s.Measured {
			continue
		}
		e, _ := sc.expected(i)
		got += s.Completed
		exp += e
		w.JobsDelayed += math.Max(0, e-s.Completed) * sc.tl.StepS
	}
	for i := w.I0; i <= w.I1; i++ {
		s := &sc.tl.Slots[i]
		if !s.Measured {
			continue
		}
		if s.P99Ms > w.MaxP99Ms {
			w.MaxP99Ms = s.P99Ms
		}
		w.MaxDepth = math.Max(w.MaxDepth, s.Depth)
		w.MaxOldestS = math.Max(w.MaxOldestS, s.OldestS)
	}
	nSlots := float64(d1 - d0 + 1)
	w.WinRate = got / nSlots
	w.ExpRate = exp / nSlots
	if exp > 0 {
		w.DropPct = math.Max(0, 100*(exp-got)/exp)
	}
	if b.P99Ms > 0 && w.MaxP99Ms > 0 {
		w.LatencyFactor = w.MaxP99Ms / b.P99Ms
	}
	if b.Depth >= 0 && w.MaxDepth > 0 {
		w.BacklogFactor = w.MaxDepth / math.Max(b.Depth, 1)
	}
	if b.OldestS >= 0 && w.MaxOldestS > 0 {
		w.BacklogFactor = math.Max(w.BacklogFactor, w.MaxOldestS/math.Max(b.OldestS, 0.1))
	}
	for _, f := range sc.windowFrames(w) {
		if f.HasClaim {
			w.MaxClaimMs = math.Max(w.MaxClaimMs, f.ClaimMeanMs)
		}
	}
	if b.ClaimMs > 0 && w.MaxClaimMs > 0 {
		w.ClaimFactor = w.MaxClaimMs / b.ClaimMs
	}
	if !w.Drop && b.Depth >= 0 {
		// Below saturation a fault delays jobs rather than losing them:
		// the extra depth is the jobs that waited longer than usual.
		w.JobsDelayed = math.Max(0, w.MaxDepth-b.Depth)
	}
	switch {
	case w.Drop && w.DropPct >= sc.opts.MinDropPct/2:
		w.Kind = runrec.FindingDrop
	case w.Latency:
		w.Kind = runrec.FindingLatency
	case w.Backlog:
		w.Kind = runrec.FindingBacklog
	case w.Slowdown:
		w.Kind = runrec.FindingSlowdown
	default:
		w.Kind = runrec.FindingDrop
	}
}

// eventMask marks the slots covered by windows.
func eventMask(n int, ws []*window) []bool {
	m := make([]bool, n)
	for _, w := range ws {
		for i := max(0, w.I0); i <= w.I1 && i < n; i++ {
			m[i] = true
		}
	}
	return m
}
