package analyze

import (
	"github.com/pgqtune/pgqtune/runrec"
)

// outageWindows returns one window per server restart the sampler saw,
// from its first sample without the server to the first one after. A
// restart rolls back every transaction in flight, resets the statistics
// and empties shared buffers: a DBA wants to know about it even when the
// queue had the headroom to hide it from the rate, so it is a finding
// whether or not a drop covers it (explained() folds it into one that
// does).
func (sc *scene) outageWindows() []*window {
	var out []*window
	for i := range sc.frames {
		f := &sc.frames[i]
		if f.RestartedAt.IsZero() {
			continue
		}
		first := i
		for first > 0 && sc.frames[first-1].Down {
			first--
		}
		// A sample at T covers the slot before T.
		i0 := clampSlot(sc.frames[first].Slot-1, len(sc.tl.Slots))
		i1 := clampSlot(f.Slot-1, len(sc.tl.Slots))
		if i0 < 0 || i1 < i0 {
			continue
		}
		w := &window{I0: i0, I1: i1, Only: []string{CauseUnavailable}}
		sc.measure(w)
		w.Kind = runrec.FindingOutage
		out = append(out, w)
	}
	return out
}

func clampSlot(i, n int) int {
	if n == 0 {
		return -1
	}
	return min(max(i, 0), n-1)
}
