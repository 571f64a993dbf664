package analyze

import (
	"fmt"
	"sort"

	"github.com/pgqtune/pgqtune/runrec"
)

// hotFindings flags queue tables updated heavily over a long run with a HOT
// ratio near zero: every update writes new index entries and leaves a dead
// heap tuple behind, which becomes bloat and vacuum work later. They are
// not events, so they carry no window figures.
func (sc *scene) hotFindings() []runrec.Finding {
	var first, last int = -1, -1
	for i := range sc.tl.Slots {
		if sc.tl.Slots[i].Measured {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 || float64(last-first+1)*sc.tl.StepS < sc.opts.WholeRunMinS {
		return nil
	}
	upd := map[string]int64{}
	hot := map[string]int64{}
	for i := range sc.frames {
		f := &sc.frames[i]
		if !sc.isMeasuredFrame(f) {
			continue
		}
		for _, t := range sc.samples[f.sampleIndex].Tables {
			if sc.q.isQueue(t.Relation) {
				upd[t.Relation] += t.Upd
				hot[t.Relation] += t.HotUpd
			}
		}
	}
	tables := make([]string, 0, len(upd))
	for t := range upd {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	var out []runrec.Finding
	w := &window{I0: first, I1: last}
	for _, t := range tables {
		u, h := upd[t], hot[t]
		if u < sc.opts.HotMinUpdates {
			continue
		}
		r := float64(h) / float64(u)
		if r >= sc.opts.HotMaxRatio {
			continue
		}
		conf := round(0.5+0.4*(1-r/sc.opts.HotMaxRatio), 2)
		out = append(out, runrec.Finding{
			Cause:      CauseBloat,
			Kind:       runrec.FindingWholeRun,
			Start:      sc.startTime(w),
			End:        sc.endTime(w),
			Confidence: conf,
			Summary: fmt.Sprintf("Only %.1f%% of the %s updates on %s were HOT over the run: each update writes new index entries and a dead tuple, "+
				"so the table and its indexes bloat and vacuum works harder (room on the page via fillfactor, or not indexing updated columns, would let updates stay HOT).",
				100*r, num(float64(u)), t),
			Evidence: []runrec.Evidence{{Signal: "pg_stat_user_tables.hot_update_ratio", Value: round(r, 4),
				Detail: fmt.Sprintf("%s of %s updates on %s were HOT", num(float64(h)), num(float64(u)), t)}},
			Objects: []string{t},
			PIDs:    []int{},
		})
	}
	return out
}
