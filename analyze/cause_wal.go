package analyze

import (
	"fmt"

	"github.com/pgqtune/pgqtune/runrec"
)

func init() { register(CauseWALWrite, scoreWALWrite) }

// scoreWALWrite: active backends wait on WAL write/flush far more than at
// baseline, and WAL sync time per second rose.
func scoreWALWrite(sc *scene, w *window) verdict {
	fr := sc.windowFrames(w)
	act := func(f *frame) bool { return f.HasActivity }
	share := func(f *frame) float64 { return f.WALWaiters / max(f.Active, 1) }
	winShare, ok := winMean(fr, act, share)
	if !ok {
		return verdict{}
	}
	baseShare := sc.baseMean("wal_wait_share", act, share)
	s1 := ramp(winShare-baseShare, 0.1, 0.4)
	wal := func(f *frame) bool { return f.HasWAL }
	syncMs := func(f *frame) float64 { return f.WALSyncMs }
	winSync, _ := winMean(fr, wal, syncMs)
	baseSync := sc.baseMean("wal_sync_ms", wal, syncMs)
	s2 := ramp(ratio(winSync, baseSync, 5), 2, 5) * ramp(winSync, 50, 300)
	score := noisyOr(0.75*s1, 0.5*s2)
	if score == 0 {
		return verdict{}
	}
	v := verdict{Score: score}
	waits := sc.waitCounts(w, isWALWait)
	v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_activity.wal_waits_share", Value: round(winShare, 2), Baseline: ptr(round(baseShare, 2)),
		Detail: fmt.Sprintf("%.0f%% of active backends waited on WAL (baseline %.0f%%): %s", 100*winShare, 100*baseShare, waits)})
	if winSync > 0 {
		v.Evidence = append(v.Evidence, runrec.Evidence{Signal: "pg_stat_wal.write_sync_ms_per_s", Value: round(winSync, 1), Baseline: ptr(round(baseSync, 1)),
			Detail: fmt.Sprintf("WAL write+sync took %s ms per second (baseline %s)", num(winSync), num(baseSync))})
	}
	v.Summary = fmt.Sprintf("commits waited on WAL flush: %.0f%% of active backends in WAL waits (baseline %.0f%%)", 100*winShare, 100*baseShare)
	return v
}
