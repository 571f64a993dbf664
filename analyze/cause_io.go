package analyze

import (
	"fmt"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseIO, scoreIO) }

// scoreIO: blocks read from disk, temp files, iowait or backends waiting on
// data file reads surged against baseline.
func scoreIO(sc *scene, w *window) verdict {
	fr := sc.windowFrames(w)
	db := func(f *frame) bool { return f.HasDB }
	host := func(f *frame) bool { return f.HasHost }
	act := func(f *frame) bool { return f.HasActivity }
	rd := func(f *frame) float64 { return f.BlksRead }
	tmp := func(f *frame) float64 { return f.TempBytes }
	iow := func(f *frame) float64 { return f.IOWaitPct }
	iob := func(f *frame) float64 { return f.IOWaiters }
	winRd, _ := winMean(fr, db, rd)
	baseRd := sc.baseMean("blks_read", db, rd)
	winTmp, _ := winMean(fr, db, tmp)
	baseTmp := sc.baseMean("temp_bytes", db, tmp)
	winIOW, _ := winMean(fr, host, iow)
	baseIOW := sc.baseMean("iowait", host, iow)
	winIOB, _ := winMean(fr, act, iob)
	baseIOB := sc.baseMean("io_waiters", act, iob)
	s1 := ramp(ratio(winRd, baseRd, 10), 3, 10) * ramp(winRd, 200, 2000)
	s2 := ramp(winTmp-baseTmp, 1<<20, 32<<20)
	s3 := ramp(winIOW-baseIOW, 10, 30)
	s4 := ramp(winIOB-baseIOB, 0.5, 2)
	score := noisyOr(0.6*s1, 0.5*s2, 0.5*s3, 0.6*s4)
	if score == 0 {
		return verdict{}
	}
	v := verdict{Score: score}
	v.Evidence = append(v.Evidence,
		runrec.Evidence{Signal: "pg_stat_database.blks_read_per_s", Value: round(winRd, 0), Baseline: ptr(round(baseRd, 0)),
			Detail: fmt.Sprintf("%s blocks/s read from outside shared buffers (baseline %s)", num(winRd), num(baseRd))})
	if winTmp > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_database.temp_bytes_per_s", Value: round(winTmp, 0), Baseline: ptr(round(baseTmp, 0)),
			Detail: fmt.Sprintf("%s/s written to temp files (baseline %s/s)", bytesStr(winTmp), bytesStr(baseTmp))})
	}
	if winIOW > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "host.iowait_pct", Value: round(winIOW, 1), Baseline: ptr(round(baseIOW, 1)),
			Detail: fmt.Sprintf("iowait %.0f%% (baseline %.0f%%)", winIOW, baseIOW)})
	}
	if winIOB > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_activity.io_waits", Value: round(winIOB, 1), Baseline: ptr(round(baseIOB, 1)),
			Detail: sc.waitCounts(w, func(k string) bool { return strings.HasPrefix(k, "IO:") && !isWALWait(k) })})
	}
	v.Summary = fmt.Sprintf("reads from disk rose to %s blocks/s (baseline %s)", num(winRd), num(baseRd))
	if s2 > s1 {
		v.Summary = fmt.Sprintf("queries spilled %s/s to temp files (baseline %s/s)", bytesStr(winTmp), bytesStr(baseTmp))
	}
	return v
}
