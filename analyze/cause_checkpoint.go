package analyze

import (
	"fmt"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseCheckpoint, scoreCheckpoint) }

// scoreCheckpoint: requested checkpoints (or a timed one) in the window,
// with the full-page-image surge that follows each checkpoint.
func scoreCheckpoint(sc *scene, w *window) verdict {
	fr := sc.windowFrames(w)
	ck := func(f *frame) bool { return f.HasCkpt }
	var req, timed, bufs float64
	for i := range fr {
		if f := &fr[i]; f.HasCkpt {
			req += f.CkptReq * f.intervalSecs
			timed += f.CkptTimed * f.intervalSecs
			bufs += f.CkptBuffers * f.intervalSecs
		}
	}
	secs := sc.seconds(w)
	baseReq := sc.baseMean("ckpt_req", ck, func(f *frame) float64 { return f.CkptReq }) * secs
	s1 := ramp(req-baseReq, 0, 2)
	if w.Kind == runrec.FindingWholeRun {
		// A storm that lasts the whole run is in the baseline too: its
		// measure is Postgres' own warning, three or more checkpoints
		// each requested within checkpoint_warning of the last (how the
		// window was found), not a count above the baseline's.
		s1 = max(s1, ramp(req, 2, 4))
	}
	s1t := 0.5 * ramp(timed, 0, 1)
	wal := func(f *frame) bool { return f.HasWAL && f.WALRecords > 0 }
	fpiShare := func(f *frame) float64 { return f.WALFPI / f.WALRecords }
	winFPI, okW := winMean(fr, wal, fpiShare)
	baseFPI := sc.baseMedian("fpi_share", wal, fpiShare)
	s2 := 0.0
	if okW {
		s2 = ramp(ratio(winFPI, baseFPI, 5), 1.5, 4) * ramp(winFPI, 0.02, 0.1)
	}
	score := 0.65*max(s1, s1t) + 0.35*s2*max(s1, s1t, 0.3)
	if score == 0 {
		return verdict{}
	}
	v := verdict{Score: score}
	if req+timed > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_bgwriter.checkpoints_req", Value: req, Baseline: ptr(round(baseReq, 2)),
			Detail: fmt.Sprintf("%s requested and %s timed checkpoints in the window (%s expected at the baseline rate), writing %s buffers",
				num(req), num(timed), num(baseReq), num(bufs))})
	}
	if okW {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_wal.fpi_share", Value: round(winFPI, 3), Baseline: ptr(round(baseFPI, 3)),
			Detail: fmt.Sprintf("full-page images were %.0f%% of WAL records (baseline %.0f%%)", 100*winFPI, 100*baseFPI)})
	}
	// The full-page-image share is worth a clause only when it moved.
	fpi := ""
	if okW && s2 > 0 {
		fpi = fmt.Sprintf(" and full-page images rose to %.0f%% of WAL records (baseline %.0f%%)", 100*winFPI, 100*baseFPI)
	}
	v.Summary = fmt.Sprintf("%s checkpoints were forced in %s%s", num(req), dur(secs), fpi)
	if req == 0 {
		v.Summary = "a checkpoint ran" + fpi
	}
	if w.Kind == runrec.FindingWholeRun && req > 0 {
		// A storm that has not cut throughput yet: say what it costs.
		c := sc.checkpointCostOver(w)
		v.Evidence = append(v.Evidence, c.evidence()...)
		v.Summary += ": " + c.phrase()
	}
	return v
}
