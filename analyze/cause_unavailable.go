package analyze

import (
	"fmt"
	"sort"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseUnavailable, scoreUnavailable) }

// scoreUnavailable: the sampler got nothing (or only errors) for much of
// the window, statistics were reset (a restart), or the workload's
// operations failed.
func scoreUnavailable(sc *scene, w *window) verdict {
	fr := sc.windowFrames(w)
	secs := sc.seconds(w)
	step := sc.samplerStep()
	expected := secs / step
	got := 0.0
	resets := 0
	restarted := sc.restartsEnding(w)
	for i := range fr {
		if !fr[i].Down && fr[i].Errors < 3 {
			got++
		}
		if fr[i].Reset {
			resets++
		}
	}
	missing := clamp01(1 - got/max(expected, 1))
	var errs float64
	for i := w.I0; i <= w.I1; i++ {
		errs += sc.tl.Slots[i].Errors * sc.tl.StepS
	}
	s1 := ramp(missing, 0.25, 0.7)
	s2 := 0.0
	if resets > 0 {
		s2 = 0.6
	}
	s3 := ramp(errs/secs, 1, 20)
	score := noisyOr(s1, s2*max(s1, s3, 0.5), 0.7*s3)
	if len(restarted) > 0 {
		// The postmaster's start time moved: certain, whatever the rest.
		score = max(score, 0.95)
	}
	if score == 0 {
		return verdict{}
	}
	v := verdict{Score: score}
	if missing > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "sampler.missing_ticks", Value: round(missing*expected, 0),
			Detail: fmt.Sprintf("no usable statistics for %s of %s: the sampler could not read the server", dur(missing*secs), dur(secs))})
	}
	for _, t := range restarted {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_postmaster_start_time", Value: 1,
			Detail: fmt.Sprintf("the server restarted: it came back up at %s; every transaction in flight was rolled back, statistics and shared buffers started empty", clock(t))})
	}
	if resets > 0 && len(restarted) == 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "sampler.resets", Value: float64(resets),
			Detail: "statistics counters reset in the window (a server restart or pg_stat_reset)"})
	}
	if errs > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "workload.errors", Value: errs,
			Detail: fmt.Sprintf("the workload saw %s database errors in the window", num(errs))})
	}
	v.Summary = fmt.Sprintf("the server was unreachable or restarting (%s without statistics, %s workload errors)", dur(missing*secs), num(errs))
	if len(restarted) > 0 {
		v.Summary = fmt.Sprintf("the server restarted, back up at %s (%s without statistics, %s workload errors)", clock(restarted[len(restarted)-1]), dur(missing*secs), num(errs))
	}
	return v
}

// restartsEnding returns when the server came back up from restarts seen
// in w, or from an outage that runs on past w's end: the sampler backs off
// while the server is away, so its first sample after a restart may come
// a few seconds after the drop it caused.
func (sc *scene) restartsEnding(w *window) []time.Time {
	var out []time.Time
	lo := sort.Search(len(sc.frames), func(k int) bool { return sc.frames[k].Slot >= w.I0 })
	for k := lo; k < len(sc.frames); k++ {
		f := &sc.frames[k]
		if f.Slot > w.I1+1 && !f.Down && f.RestartedAt.IsZero() {
			break
		}
		if !f.RestartedAt.IsZero() {
			out = append(out, f.RestartedAt)
			if f.Slot > w.I1+1 {
				break
			}
		}
	}
	return out
}

// samplerStep is the sampler's usual tick in seconds.
func (sc *scene) samplerStep() float64 {
	if sc.run.Meta.SamplerIntervalS > 0 {
		return sc.run.Meta.SamplerIntervalS
	}
	return 1
}
