package analyze

import (
	"fmt"
	"sort"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseCPU, scoreCPU) }

// scoreCPU: presence is non-workload backends running on CPU (active with
// no wait event) or more runnable backends than cores; the effect is every
// statement slower alike (enqueue and complete as well as the claim: CPU
// starves them all, where dead tuples or a missing index slow only the
// claim) and the host's CPUs busy where they can be read; or the claim
// taking longer for each buffer it reads, which is time spent waiting for
// a core (where reading more, as over dead tuples, costs time in
// proportion). It scores on the effect.
func scoreCPU(sc *scene, w *window) verdict {
	fr := sc.windowFrames(w)
	host := func(f *frame) bool { return f.HasHost }
	act := func(f *frame) bool { return f.HasActivity }
	busy := func(f *frame) float64 { return f.CPUBusyPct }
	winBusy, hasHost := winMean(fr, host, busy)
	baseBusy := sc.baseMean("cpu_busy", host, busy)
	foreign := func(f *frame) float64 { return f.ActiveForeign }
	winForeign, hasAct := winMean(fr, act, foreign)
	baseForeign := sc.baseMean("active_foreign", act, foreign)
	foreignCPU := func(f *frame) float64 { return f.ForeignOnCPU }
	winForeignCPU, _ := winMean(fr, act, foreignCPU)
	baseForeignCPU := sc.baseMean("foreign_on_cpu", act, foreignCPU)
	cpus := winMax(fr, host, func(f *frame) float64 { return f.CPUs })
	if cpus == 0 {
		cpus = 2 // unknown host: a conservative small server
	}
	onCPU := func(f *frame) float64 { return f.CPUWaiters }
	winOnCPU, _ := winMean(fr, act, onCPU)
	baseOnCPU := sc.baseMean("on_cpu", act, onCPU)

	// Presence: foreign backends on CPU, counted against the cores (two
	// hogs take both cores of a 2-core server), or database backends on
	// CPU beyond the cores, which is contention wherever the server runs.
	// Foreign backends on CPU are taken at the busiest quarter of the
	// window's seconds as well as on average (not the workload's own, whose
	// spread is noise, nor foreign ones waiting, which use no CPU): a drop outlasts the hogs while the backlog drains, and
	// those seconds, with no hog left, dilute a mean (under make
	// test-stress hogs on CPU in 8 of 17 seconds averaged 3.7 against a
	// baseline of 5 that had caught their first second).
	busiest := func(get func(*frame) float64, avg float64) float64 {
		return max(avg, winQuantile(fr, act, get, 0.75))
	}
	sForeign, sForeignCPU := 0.0, 0.0
	if hasAct {
		sForeignCPU = ramp((busiest(foreignCPU, winForeignCPU)-baseForeignCPU)/cpus, 0.25, 0.75)
		sForeign = max(sForeignCPU, 0.6*ramp(winForeign-baseForeign, 0.5, max(1, cpus/2)))
	}
	sRunq := ramp((winOnCPU-baseOnCPU)/cpus, 0.5, 1.5)
	presence := max(sForeign, sRunq)
	// Effect: the host's CPU busier than at baseline (other tenants may
	// keep it busy all along), and every statement slower alike.
	sHost := 0.0
	if hasHost {
		sHost = ramp(winBusy, 80, 95) * ramp(winBusy-baseBusy, 5, 25)
	}
	alike := sc.statementsAlike(fr)
	perBuf, perBufOK := sc.claimTimePerBuffer(fr)
	sPerBuf := 0.0
	if perBufOK {
		sPerBuf = ramp(perBuf, 1.5, 3)
	}
	effect := noisyOr(0.7*alike.Score(), 0.45*max(sHost, sRunq), 0.6*sPerBuf)
	score := presence * (0.25 + 0.75*effect)
	if presence == 0 && sHost > 0 {
		// Busy host, no backend to show for it: something outside the
		// database, weak on its own.
		score = 0.3 * sHost * (0.5 + 0.5*alike.Score())
	}
	if score == 0 {
		return verdict{}
	}
	v := verdict{Score: score}
	if hasHost {
		load := winMax(fr, host, func(f *frame) float64 { return f.Load1 })
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "host.cpu_busy_pct", Value: round(winBusy, 1), Baseline: ptr(round(baseBusy, 1)),
			Detail: fmt.Sprintf("CPU %.0f%% busy (baseline %.0f%%), load up to %.1f on %.0f CPUs", winBusy, baseBusy, load, cpus)})
	}
	if hasAct {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_activity.active_non_workload", Value: round(winForeign, 1), Baseline: ptr(round(baseForeign, 1)),
			Detail: fmt.Sprintf("%.1f non-workload backends active on average, %.1f of them on CPU with no wait event (%.1f in the busiest quarter of the seconds; baseline %.1f); %.1f backends on CPU in all (baseline %.1f)",
				winForeign, winForeignCPU, busiest(foreignCPU, winForeignCPU), baseForeign, winOnCPU, baseOnCPU)})
	}
	if ev, ok := alike.evidence(); ok {
		v.Evidence = append(v.Evidence, ev)
	}
	if sPerBuf > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_statements.claim_ms_per_buffer", Value: round(perBuf, 2), Baseline: ptr(1.0),
			Detail: fmt.Sprintf("each claim took %.1fx as long per shared buffer it read as at baseline", perBuf)})
	}
	top := sc.foreignBackends(w)
	for i, b := range top {
		if i == 3 {
			break
		}
		v.PIDs = append(v.PIDs, b.PID)
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_activity.non_workload", Value: float64(b.PID),
			Detail: fmt.Sprintf("pid %d (%s) active in %d samples, query running up to %s: %s", b.PID, cmpOr(b.ApplicationName, "no application_name"), b.seen, dur(b.QueryAgeS), clip(b.Query, 160))})
	}
	switch {
	case sHost > 0:
		v.Summary = fmt.Sprintf("the CPUs were saturated (%.0f%% busy, baseline %.0f%%)", winBusy, baseBusy)
	case sForeignCPU > 0 && sForeignCPU >= sRunq:
		v.Summary = fmt.Sprintf("non-workload backends ran on CPU beside the workload (%.1f on average, %.1f in the busiest quarter of the seconds, baseline %.1f) on %.0f CPUs",
			winForeignCPU, busiest(foreignCPU, winForeignCPU), baseForeignCPU, cpus)
	default:
		v.Summary = fmt.Sprintf("%.1f database backends competed for %.0f CPUs (baseline %.1f)", winOnCPU, cpus, baseOnCPU)
	}
	if len(top) > 0 {
		v.Summary += fmt.Sprintf(" with %d non-workload backends running queries such as pid %d: %s", len(top), top[0].PID, clip(top[0].Query, 100))
	}
	if p := alike.phrase(); p != "" {
		v.Summary += "; " + p
	} else if sPerBuf > 0 {
		v.Summary += fmt.Sprintf("; each claim took %.1fx as long per buffer it read", perBuf)
	}
	return v
}

// foreignBackend is a non-workload backend seen active in a window.
type foreignBackend struct {
	runrec.Backend
	seen int
}

// foreignBackends lists non-workload active backends in w, most often seen
// first.
func (sc *scene) foreignBackends(w *window) []foreignBackend {
	m := map[int]*foreignBackend{}
	for _, s := range sc.windowSamples(w) {
		if s.Activity == nil {
			continue
		}
		for _, b := range s.Activity.NonWorkload {
			if b.Workload {
				continue
			}
			fb := m[b.PID]
			if fb == nil {
				fb = &foreignBackend{Backend: b}
				m[b.PID] = fb
			}
			fb.seen++
			fb.QueryAgeS = max(fb.QueryAgeS, b.QueryAgeS)
		}
	}
	out := make([]foreignBackend, 0, len(m))
	for _, b := range m {
		out = append(out, *b)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].seen != out[b].seen {
			return out[a].seen > out[b].seen
		}
		return out[a].PID < out[b].PID
	})
	return out
}

// claimTimePerBuffer is how many times longer the claim took per shared
// buffer it read in frames fr than at baseline (window means over
// baseline medians); ok is false without buffers. A claim that reads more
// (dead tuples, a missing index) takes longer in proportion, about the
// same time per buffer or less; one that waits for a core takes longer
// for the same reads.
func (sc *scene) claimTimePerBuffer(fr []frame) (float64, bool) {
	has := func(f *frame) bool { return f.HasClaim && f.ClaimBlks > 0 }
	ms := func(f *frame) float64 { return f.ClaimMeanMs }
	blks := func(f *frame) float64 { return f.ClaimBlks }
	baseMs, baseBlks := sc.baseMedian("role_ms:claim_with_blks", has, ms), sc.baseMedian("claim_blks_nonzero", has, blks)
	winMs, ok1 := winMean(fr, has, ms)
	winBlks, ok2 := winMean(fr, has, blks)
	if !ok1 || !ok2 || baseMs <= 0 || baseBlks <= 0 || winBlks <= 0 {
		return 0, false
	}
	return (winMs / winBlks) / (baseMs / baseBlks), true
}
