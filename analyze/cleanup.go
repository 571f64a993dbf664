package analyze

import (
	"math"
	"sort"

	"github.com/pgqtune/pgqtune/runrec"
)

// cleanupWindows finds spans where a queue table's dead tuples stayed above
// the autovacuum trigger for longer than autovacuum should have needed
// (two naptimes plus DeadTupGraceS) while still rising: not a drop yet, but
// every claim now steps over the garbage.
func (sc *scene) cleanupWindows() []*window {
	_, _, naptime, _ := sc.autovacuumSettings()
	grace := 2*naptime + sc.opts.DeadTupGraceS
	thr, scale, _, _ := sc.autovacuumSettings()
	type pt struct {
		slot       int
		dead, live float64
		trig       float64
	}
	series := map[string][]pt{}
	for i := range sc.frames {
		f := &sc.frames[i]
		if !sc.isMeasuredFrame(f) {
			continue
		}
		for _, t := range sc.samples[f.sampleIndex].Tables {
			if !sc.q.isQueue(t.Relation) {
				continue
			}
			series[t.Relation] = append(series[t.Relation], pt{slot: f.Slot - 1, dead: float64(t.DeadTup), live: float64(t.LiveTup), trig: thr + scale*float64(t.LiveTup)})
		}
	}
	tables := make([]string, 0, len(series))
	for t := range series {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	var out []*window
	for _, t := range tables {
		ps := series[t]
		start := -1
		flush := func(end int) {
			if start < 0 {
				return
			}
			a, b := ps[start], ps[end]
			secs := float64(b.slot-a.slot+1) * sc.tl.StepS
			// Rising over the span and clearly past the trigger at its end.
			if secs >= grace && b.dead > a.dead && b.dead >= 2*math.Max(b.trig, 50) {
				w := &window{I0: a.slot, I1: b.slot, Kind: runrec.FindingWholeRun, Table: t,
					Only: []string{CauseXmin, CauseVacuumLag}}
				sc.measure(w)
				w.Kind = runrec.FindingWholeRun
				w.JobsDelayed = 0
				out = append(out, w)
			}
			start = -1
		}
		for i, p := range ps {
			if p.dead > math.Max(p.trig, 50) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 {
				flush(i - 1)
			}
		}
		if start >= 0 {
			flush(len(ps) - 1)
		}
	}
	return out
}
