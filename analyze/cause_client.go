package analyze

import (
	"fmt"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseClientBound, scoreClientBound) }

// scoreClientBound: throughput fell while the database got no busier — the
// producers sent less, or the workers asked for less work. Only drops can
// be client-bound; a slower claim is the database's doing.
func scoreClientBound(sc *scene, w *window) verdict {
	if !w.Drop || w.Slowdown {
		return verdict{}
	}
	fr := sc.windowFrames(w)
	act := func(f *frame) bool { return f.HasActivity }
	active := func(f *frame) float64 { return f.Active }
	winAct, ok := winMean(fr, act, active)
	baseAct := sc.baseMean("active", act, active)
	quiet := 1.0
	if ok {
		quiet = 1 - ramp(winAct/max(baseAct, 0.5), 0.9, 1.5)
	}
	var enq, expEnq float64
	for i := w.I0; i <= w.I1; i++ {
		enq += sc.tl.Slots[i].Enqueued
	}
	enq /= float64(w.I1 - w.I0 + 1)
	expEnq = sc.base.Enqueued
	e := 0.0
	if expEnq > 0 {
		e = ramp(1-enq/expEnq, 0.2, 0.6)
	}
	claim := func(f *frame) bool { return f.HasClaim }
	calls := func(f *frame) float64 { return f.ClaimCalls }
	winCalls, okC := winMean(fr, claim, calls)
	baseCalls := sc.baseMean("claim_calls", claim, calls)
	c := 0.0
	if okC && baseCalls > 0 {
		c = ramp(1-winCalls/baseCalls, 0.2, 0.6)
	} else if !okC && baseCalls > 0 {
		c = 1 // nobody claimed at all
	}
	lockFree := 1 - ramp(winMax(fr, func(f *frame) bool { return f.HasLocks }, func(f *frame) float64 { return f.RelLockWaits + f.RowLockWaits }), 0, 2)
	score := quiet * lockFree * noisyOr(0.6*e, 0.55*c)
	if score == 0 {
		return verdict{}
	}
	v := verdict{Score: score}
	v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "workload.enqueued_per_s", Value: round(enq, 1), Baseline: ptr(round(expEnq, 1)),
		Detail: fmt.Sprintf("producers enqueued %s jobs/s (baseline %s)", num(enq), num(expEnq))})
	if ok {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_activity.active", Value: round(winAct, 1), Baseline: ptr(round(baseAct, 1)),
			Detail: fmt.Sprintf("%.1f backends active on average (baseline %.1f): the database was not busier", winAct, baseAct)})
	}
	if baseCalls > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_statements.claim_calls_per_s", Value: round(winCalls, 1), Baseline: ptr(round(baseCalls, 1)),
			Detail: fmt.Sprintf("workers claimed %s times/s (baseline %s)", num(winCalls), num(baseCalls))})
	}
	if e >= c {
		v.Summary = fmt.Sprintf("the producers slowed down (%s jobs/s enqueued, baseline %s) while the database stayed idle", num(enq), num(expEnq))
	} else {
		v.Summary = fmt.Sprintf("the workers asked for less work (%s claims/s, baseline %s) while the database stayed idle", num(winCalls), num(baseCalls))
	}
	return v
}
