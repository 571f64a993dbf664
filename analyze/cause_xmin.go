package analyze

import (
	"fmt"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseXmin, scoreXmin) }

// xminHolderScore rates how long something held the cleanup horizon in the
// window beyond what the baseline saw.
func (sc *scene) xminHolderScore(w *window) float64 {
	fr := sc.windowFrames(w)
	win := winMax(fr, nil, func(f *frame) float64 { return f.XminAgeS })
	base := sc.baseQuantile("xmin_age_s", 0.9, nil, func(f *frame) float64 { return f.XminAgeS })
	return ramp(win-base, sc.opts.XminMinAgeS, 3*sc.opts.XminMinAgeS)
}

// scoreXmin: a session, slot or prepared transaction held the xmin horizon
// while dead tuples piled up on a queue table (or the claim slowed, since
// it must step over the rows it cannot see as dead).
func scoreXmin(sc *scene, w *window) verdict {
	hold := sc.xminHolderScore(w)
	ds := sc.deadTuples(w.I0, w.I1+1)
	dead, worst := sc.deadScore(ds)
	if hold == 0 && worst != nil && worst.Vacuums >= 3 && dead > 0 &&
		winMax(sc.windowFrames(w), nil, func(f *frame) float64 { return f.XminAgeS }) >= 1 {
		// No single long holder, but vacuum kept running in vain while
		// sessions kept taking snapshots that outlived each other.
		hold = 0.5
	}
	if hold == 0 {
		return verdict{}
	}
	slow := ramp(w.ClaimFactor, 1.5, 3)
	inVain := 0.0 // vacuum ran and dead tuples still grew: the horizon, not vacuum
	if worst != nil && worst.Vacuums > 0 && dead > 0 {
		inVain = 1
	}
	if worst == nil || worst.Growth() <= 0 {
		// A claim slowed by something else (a lock) is not stepping over
		// dead rows.
		slow = 0
	}
	v := verdict{Score: noisyOr(0.5*hold, 0.5*dead, 0.4*slow, 0.3*inVain)}
	h := sc.oldestHolder(w)
	if h != nil {
		v.Summary = holderDetail(h) + " and held back cleanup"
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "xmin_holder.age_s", Value: round(h.AgeS, 1), Detail: holderDetail(h)})
		if h.PID != 0 {
			v.PIDs = append(v.PIDs, h.PID)
		}
	} else {
		v.Summary = "a session held back the xmin horizon and cleanup"
	}
	if worst != nil && worst.Growth() > 0 {
		d := fmt.Sprintf("n_dead_tup on %s rose from %s to %s (autovacuum trigger %s) and could not be removed", worst.Table, num(worst.First), num(worst.Last), num(worst.Trigger))
		if worst.Vacuums > 0 {
			d += fmt.Sprintf("; %d vacuums ran in the window without cutting it", worst.Vacuums)
		}
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_user_tables.n_dead_tup", Value: worst.Last, Baseline: ptr(worst.First), Detail: d})
		v.Objects = append(v.Objects, worst.Table)
		v.Summary += fmt.Sprintf(": %s dead tuples on %s", num(worst.Growth()), worst.Table)
	}
	return v
}

// oldestHolder is the xmin holder with the greatest age in the window,
// falling back to pg_stat_activity's oldest xmin backend.
func (sc *scene) oldestHolder(w *window) *runrec.XminHolder {
	var best *runrec.XminHolder
	for _, s := range sc.windowSamples(w) {
		for i := range s.XminHolders {
			h := s.XminHolders[i]
			if best == nil || h.AgeS > best.AgeS || (h.AgeS == best.AgeS && h.XminAge > best.XminAge) {
				best = &h
			}
		}
		if a := s.Activity; a != nil && a.OldestXmin != nil && (best == nil || a.OldestXmin.XactAgeS > best.AgeS) {
			b := a.OldestXmin
			kind := runrec.XminBackendActive
			if strings.HasPrefix(b.State, "idle in transaction") {
				kind = runrec.XminBackendIdleInXact
			}
			best = &runrec.XminHolder{Kind: kind, PID: b.PID, Name: b.ApplicationName, State: b.State, Query: b.Query, XminAge: b.XminAge, AgeS: b.XactAgeS}
		}
	}
	return best
}

// holderDetail reads like "pid 4242 (idle in transaction, psql) held the
// xmin horizon for 35 s (1,204 transactions behind): BEGIN ...".
func holderDetail(h *runrec.XminHolder) string {
	var who string
	switch h.Kind {
	case runrec.XminSlot, runrec.XminSlotCatalog:
		who = fmt.Sprintf("replication slot %q", h.Name)
	case runrec.XminPrepared:
		who = fmt.Sprintf("prepared transaction %q", h.Name)
	case runrec.XminStandby:
		who = "a standby's hot_standby_feedback"
		if h.Name != "" {
			who += " (" + h.Name + ")"
		}
	default:
		who = fmt.Sprintf("pid %d", h.PID)
		var tags []string
		if h.State != "" {
			tags = append(tags, h.State)
		}
		if h.Name != "" {
			tags = append(tags, h.Name)
		}
		if len(tags) > 0 {
			who += " (" + strings.Join(tags, ", ") + ")"
		}
	}
	s := who + " held the xmin horizon"
	if h.AgeS > 0 {
		s += " for " + dur(h.AgeS)
	}
	if h.XminAge > 0 {
		s += fmt.Sprintf(" (%s transactions behind)", num(float64(h.XminAge)))
	}
	if h.Query != "" {
		s += ": " + clip(h.Query, 160)
	}
	return s
}
