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
			// Dead tuples must pile up as work goes on, not merely sit
			// there while nothing runs (a locked table makes no garbage).
			ups := 0
			for k := start + 1; k <= end; k++ {
				if ps[k].dead > ps[k-1].dead {
					ups++
				}
			}
			secs := float64(b.slot-a.slot+1) * sc.tl.StepS
			// Rising over the span, by more than the trigger, and far
			// past it at the end.
			trig := math.Max(b.trig, 50)
			if secs >= grace && b.dead-a.dead >= 2*trig && b.dead >= 4*trig && 2*ups >= end-start {
				w := &window{I0: a.slot, I1: b.slot, Kind: runrec.FindingWholeRun, Table: t,
					Only: []string{CauseXmin, CauseVacuumLag}}
				sc.measure(w)
				w.Kind = runrec.FindingWholeRun
				w.JobsDelayed = 0
				out = append(out, w)
			}
			start = -1
		}
		peak := 0.0
		for i, p := range ps {
			// A vacuum that cut the pile by a third is keeping up: the
			// span ends there, and a new one may start above the trigger.
			cut := start >= 0 && p.dead < peak*2/3
			if p.dead > math.Max(p.trig, 50) && !cut {
				if start < 0 {
					start, peak = i, p.dead
				}
				peak = math.Max(peak, p.dead)
				continue
			}
			if start >= 0 {
				flush(i - 1)
			}
			if cut && p.dead > math.Max(p.trig, 50) {
				start, peak = i, p.dead
			}
		}
		if start >= 0 {
			flush(len(ps) - 1)
		}
	}
	return out
}
