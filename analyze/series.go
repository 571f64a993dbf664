package analyze

import "github.com/pgqtune/pgqtune/runrec"

// series is the throughput series of the report, one point per slot that
// has a tick.
func (sc *scene) series() []runrec.SeriesPoint {
	out := make([]runrec.SeriesPoint, 0, len(sc.tl.Slots))
	for i := range sc.tl.Slots {
		s := &sc.tl.Slots[i]
		if !s.Present {
			continue
		}
		p := runrec.SeriesPoint{T: s.T, Phase: s.Phase}
		if tk := s.tick; tk != nil {
			p.Enqueued, p.Completed = tk.Enqueued, tk.Completed
		} else {
			p.Enqueued, p.Completed = int64(s.Enqueued*sc.tl.StepS), int64(s.Completed*sc.tl.StepS)
		}
		if s.Depth >= 0 {
			d := int64(s.Depth)
			p.Depth = &d
		}
		if s.P99Ms >= 0 {
			v := s.P99Ms
			p.P99Ms = &v
		}
		out = append(out, p)
	}
	return out
}
