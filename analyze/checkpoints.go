package analyze

import (
	"math"

	"github.com/pgqtune/pgqtune/runrec"
)

// checkpointWindows finds stretches where checkpoints were requested more
// often than checkpoint_warning allows (the interval at which Postgres
// itself logs "checkpoints are occurring too frequently"): at least three
// requested checkpoints, each within checkpoint_warning of the previous.
// Each forced checkpoint makes the next change to every page write a full
// page image, so this costs WAL and I/O whether or not the queue slowed
// yet; it is a finding of its own, like dead tuples piling up.
func (sc *scene) checkpointWindows() []*window {
	warn := 30.0
	if v, ok := sc.setting("checkpoint_warning"); ok {
		warn = parseSeconds(v, warn)
	}
	if warn <= 0 {
		warn = 30
	}
	type ck struct {
		slot int
		n    float64
	}
	var cks []ck
	for i := range sc.frames {
		f := &sc.frames[i]
		if f.HasCkpt && f.CkptReq > 0 && sc.isMeasuredFrame(f) {
			cks = append(cks, ck{f.Slot - 1, f.CkptReq * f.intervalSecs})
		}
	}
	var out []*window
	flush := func(run []ck) {
		total := 0.0
		for _, c := range run {
			total += c.n
		}
		if total < 3 {
			return
		}
		w := &window{I0: run[0].slot, I1: run[len(run)-1].slot, Only: []string{CauseCheckpoint}}
		sc.measure(w)
		w.Kind = runrec.FindingWholeRun
		w.Drop, w.JobsDelayed = false, 0
		out = append(out, w)
	}
	var run []ck
	for _, c := range cks {
		if len(run) > 0 && float64(c.slot-run[len(run)-1].slot)*sc.tl.StepS > math.Max(warn, 1) {
			flush(run)
			run = run[:0]
		}
		run = append(run, c)
	}
	if len(run) > 0 {
		flush(run)
	}
	return out
}

// setting reads a server setting from run.json or the first sample that
// recorded it.
func (sc *scene) setting(name string) (string, bool) {
	if v, ok := sc.run.Meta.Settings[name]; ok {
		return v, true
	}
	for _, s := range sc.samples {
		if v, ok := s.Settings[name]; ok {
			return v, true
		}
	}
	return "", false
}
