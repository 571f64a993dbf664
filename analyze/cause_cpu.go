package analyze

import (
	"fmt"
	"sort"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseCPU, scoreCPU) }

// scoreCPU: the host's CPUs were busy well beyond baseline, with foreign
// (non-workload) backends active or more runnable backends than CPUs.
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
	cpus := winMax(fr, host, func(f *frame) float64 { return f.CPUs })
	if cpus == 0 {
		cpus = 2 // unknown host: a conservative small server
	}
	onCPU := func(f *frame) float64 { return f.CPUWaiters }
	winOnCPU, _ := winMean(fr, act, onCPU)
	baseOnCPU := sc.baseMean("on_cpu", act, onCPU)
	// The host's CPU counts only if it got busier than at baseline (other
	// tenants may keep it busy all along); database backends on CPU beyond
	// the cores are contention wherever the server runs.
	s1 := 0.0
	if hasHost {
		s1 = ramp(winBusy, 80, 95) * ramp(winBusy-baseBusy, 5, 25)
	}
	s2 := 0.0
	if hasAct {
		s2 = ramp(winForeign-baseForeign, 0.5, max(1, cpus/2))
	}
	s3 := ramp((winOnCPU-baseOnCPU)/cpus, 0.5, 1.5)
	score := noisyOr(0.6*s1, 0.6*s3) * (0.6 + 0.4*s2)
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
			Detail: fmt.Sprintf("%.1f non-workload backends active on average (baseline %.1f); %.1f backends on CPU (baseline %.1f)", winForeign, baseForeign, winOnCPU, baseOnCPU)})
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
	case s1 > 0:
		v.Summary = fmt.Sprintf("the CPUs were saturated (%.0f%% busy, baseline %.0f%%)", winBusy, baseBusy)
	default:
		v.Summary = fmt.Sprintf("%.1f database backends competed for %.0f CPUs (baseline %.1f)", winOnCPU, cpus, baseOnCPU)
	}
	if len(top) > 0 {
		v.Summary += fmt.Sprintf(" with %d non-workload backends running queries such as pid %d: %s", len(top), top[0].PID, clip(top[0].Query, 100))
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
