package analyze

import (
	"fmt"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseConnections, scoreConnections) }

// scoreConnections: workers waited for a pool connection, or the server
// ran near max_connections.
func scoreConnections(sc *scene, w *window) verdict {
	var waits, errs, n float64
	var baseWaits, bn float64
	for i := range sc.tl.Slots {
		s := &sc.tl.Slots[i]
		if !s.Measured {
			continue
		}
		if i >= w.I0 && i <= w.I1 {
			waits += s.ConnWaits
			errs += s.Errors
			n++
		} else {
			baseWaits += s.ConnWaits
			bn++
		}
	}
	if n > 0 {
		waits /= n
		errs /= n
	}
	if bn > 0 {
		baseWaits /= bn
	}
	fr := sc.windowFrames(w)
	act := func(f *frame) bool { return f.HasActivity && f.MaxConn > 0 }
	use := winMax(fr, act, func(f *frame) float64 { return f.Total / f.MaxConn })
	maxConn := winMax(fr, act, func(f *frame) float64 { return f.MaxConn })
	total := winMax(fr, act, func(f *frame) float64 { return f.Total })
	// A few waits a second in a window where throughput fell already name
	// the pool or max_connections: refused connections (53300) count here,
	// and the activity view can miss a full server the sampler shares.
	s1 := ramp(waits-baseWaits, 0.5, 5)
	s2 := ramp(use, 0.85, 0.97)
	score := noisyOr(0.8*s1, 0.8*s2, 0.3*ramp(errs, 1, 10)*s2)
	if score == 0 {
		return verdict{}
	}
	v := verdict{Score: score}
	if waits > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "workload.conn_waits_per_s", Value: round(waits, 1), Baseline: ptr(round(baseWaits, 1)),
			Detail: fmt.Sprintf("%s operations/s waited for a pool connection (baseline %s)", num(waits), num(baseWaits))})
	}
	if maxConn > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_activity.connections", Value: total, Baseline: ptr(maxConn),
			Detail: fmt.Sprintf("%s of max_connections %s in use", num(total), num(maxConn))})
	}
	v.Summary = fmt.Sprintf("clients waited for connections (%s waits/s, %s of %s connections in use)", num(waits), num(total), num(maxConn))
	return v
}
