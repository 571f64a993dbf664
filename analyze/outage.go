package analyze

import (
	"github.com/pgqtune/pgqtune/runrec"
)

// outageWindows returns one window per stretch the sampler lost the
// server: every restart (told by the postmaster's start time), and every
// loss of at least MinWindowS. A restart rolls back every transaction in
// flight, resets the statistics and empties shared buffers, and a server
// the sampler cannot reach for seconds is an incident of its own: a DBA
// wants both even when the queue had the headroom to hide them from the
// rate, or when the rate only stuttered (killed sessions make choppy
// seconds that no single detector holds for MinWindowS).
func (sc *scene) outageWindows() []*window {
	var out []*window
	n := len(sc.tl.Slots)
	for i := 0; i < len(sc.frames); i++ {
		f := &sc.frames[i]
		if !f.Down && f.RestartedAt.IsZero() {
			continue
		}
		first := i
		for i < len(sc.frames) && sc.frames[i].Down {
			i++
		}
		// i is the first sample after the loss (or past the end).
		restart := i < len(sc.frames) && !sc.frames[i].RestartedAt.IsZero()
		last := min(i, len(sc.frames)-1)
		// A sample at T covers the slot before T.
		i0 := clampSlot(sc.frames[first].Slot-1, n)
		i1 := clampSlot(sc.frames[last].Slot-1, n)
		if i0 < 0 || i1 < i0 {
			continue
		}
		w := &window{I0: i0, I1: i1, Restart: restart}
		if !restart && sc.seconds(w) < sc.opts.MinWindowS {
			continue
		}
		if restart {
			w.Only = []string{CauseUnavailable}
		}
		sc.measure(w)
		w.Kind = runrec.FindingOutage
		out = append(out, w)
	}
	return out
}

// overlapsAny says whether a finding already covers part of f's window.
func overlapsAny(found []runrec.Finding, f runrec.Finding) bool {
	for _, e := range found {
		if e.Start.Before(f.End) && f.Start.Before(e.End) {
			return true
		}
	}
	return false
}

func clampSlot(i, n int) int {
	if n == 0 {
		return -1
	}
	return min(max(i, 0), n-1)
}
