package analyze

import (
	"fmt"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// slowdownAlike is how much slower each of the queue's statements ran in a
// stretch than at baseline. CPU starvation slows the claim, the enqueue and
// the complete alike; a cause that makes only the claim read more (dead
// tuples, a missing index) leaves the other two as they were.
type slowdownAlike struct {
	// Factors are window mean / baseline mean per statement role, for the
	// roles the run measured ("claim", "enqueue", "complete").
	Factors map[string]float64
}

// statementsAlike measures slowdownAlike over frames fr.
func (sc *scene) statementsAlike(fr []frame) slowdownAlike {
	out := slowdownAlike{Factors: map[string]float64{}}
	roles := []struct {
		name string
		has  func(*frame) bool
		get  func(*frame) float64
	}{
		{"claim", func(f *frame) bool { return f.HasClaim }, func(f *frame) float64 { return f.ClaimMeanMs }},
		{"enqueue", func(f *frame) bool { return f.EnqMeanMs > 0 }, func(f *frame) float64 { return f.EnqMeanMs }},
		{"complete", func(f *frame) bool { return f.CompMeanMs > 0 }, func(f *frame) float64 { return f.CompMeanMs }},
	}
	for _, r := range roles {
		base := sc.baseMedian("role_ms:"+r.name, r.has, r.get)
		has := r.has
		if r.name != "claim" {
			// An enqueue or complete that waited on a lock measures the
			// lock, not the server: when a claim slowed by dead tuples
			// holds rows it re-checked and found taken, the completes of
			// those rows wait for it, and counting their time would read
			// as "everything slowed alike" (CI, TestPreparedXact: the
			// claim 2 s a call, the complete as slow behind it, and the
			// held horizon read "not yet enough to slow the claim").
			has = func(f *frame) bool { return r.has(f) && !workloadWaitedOnLocks(f) }
		}
		win, ok := winMean(fr, has, r.get)
		if ok && base > 0 {
			out.Factors[r.name] = win / base
		}
	}
	return out
}

// workloadWaitedOnLocks reports whether any workload session waited on a
// heavyweight lock at f.
func workloadWaitedOnLocks(f *frame) bool {
	return f.HasLocks && (f.RowLockWorkload > 0 || f.RelLockWorkload > 0)
}

// Score is in [0,1]: the least-slowed statement's factor, so that all of
// them must be slower. With only the claim measured it counts for half:
// the claim alone slows for many reasons.
func (a slowdownAlike) Score() float64 {
	if len(a.Factors) == 0 {
		return 0
	}
	least := 0.0
	first := true
	for _, f := range a.Factors {
		if first || f < least {
			least, first = f, false
		}
	}
	s := ramp(least, 1.2, 1.8)
	if len(a.Factors) == 1 {
		s *= 0.5
	}
	return s
}

// ClaimExcess is how much more the claim slowed than the enqueue and the
// complete (claim factor over the larger of theirs); ok is false when
// neither was measured. A cause that acts on the claim alone (dead tuples
// it steps over) explains only this excess: when everything slowed alike,
// something else slowed everything.
func (a slowdownAlike) ClaimExcess() (float64, bool) {
	c, ok := a.Factors["claim"]
	if !ok {
		return 0, false
	}
	other := 0.0
	for _, r := range []string{"enqueue", "complete"} {
		other = max(other, a.Factors[r])
	}
	if other <= 0 {
		return 0, false
	}
	return c / max(other, 1), true
}

// ordered lists the measured roles in a fixed order.
func (a slowdownAlike) ordered() []string {
	var out []string
	for _, r := range []string{"claim", "enqueue", "complete"} {
		if _, ok := a.Factors[r]; ok {
			out = append(out, r)
		}
	}
	return out
}

// phrase reads like "every statement ran slower alike (claim 2.1x, enqueue
// 2.4x, complete 2.2x)", "every statement ran slower (claim 4.8x, complete
// 1.3x)" when one slowed more than twice as much as another, or "" when
// they did not all slow.
func (a slowdownAlike) phrase() string {
	if a.Score() == 0 || len(a.Factors) < 2 {
		return ""
	}
	var parts []string
	lo, hi := 0.0, 0.0
	for i, r := range a.ordered() {
		f := a.Factors[r]
		parts = append(parts, fmt.Sprintf("%s %.1fx", r, f))
		if i == 0 {
			lo, hi = f, f
		}
		lo, hi = min(lo, f), max(hi, f)
	}
	how := "every statement ran slower alike ("
	if hi > 2*lo {
		how = "every statement ran slower ("
	}
	return how + strings.Join(parts, ", ") + ")"
}

func (a slowdownAlike) evidence() (runrec.Evidence, bool) {
	if len(a.Factors) == 0 {
		return runrec.Evidence{}, false
	}
	var parts []string
	least := 0.0
	for i, r := range a.ordered() {
		parts = append(parts, fmt.Sprintf("%s %.2fx", r, a.Factors[r]))
		if i == 0 || a.Factors[r] < least {
			least = a.Factors[r]
		}
	}
	return runrec.Evidence{Signal: "pg_stat_statements.slowdown_alike", Value: round(least, 2), Baseline: ptr(1.0),
		Detail: "mean time per call against baseline: " + strings.Join(parts, ", ")}, true
}
