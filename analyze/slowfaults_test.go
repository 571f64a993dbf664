package analyze_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/runrec"
)

// evidenceOf returns f's evidence with signal, failing t without it.
func evidenceOf(t *testing.T, f runrec.Finding, signal string) runrec.Evidence {
	t.Helper()
	for _, e := range f.Evidence {
		if e.Signal == signal {
			return e
		}
	}
	t.Fatalf("%s has no %s evidence: %+v", f.ID, signal, f.Evidence)
	return runrec.Evidence{}
}

// TestSlowFaults: faults that do not cut throughput in a short run are
// whole_run findings that say how fast they grow.
func TestSlowFaults(t *testing.T) {
	t.Run("autovacuum starved: enabled, never ran past its threshold", func(t *testing.T) {
		s := newSynth(70, 20)
		s.vacuumOff(20)
		s.smp(20).Reloptions = nil // enabled, just never comes
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseVacuumLag, 20, 70)
		if f.Kind != runrec.FindingWholeRun || !strings.Contains(f.Summary, "never ran") {
			t.Errorf("want a whole_run finding saying autovacuum never ran: %s %s", f.Kind, f.Summary)
		}
		e := evidenceOf(t, f, "pg_stat_user_tables.n_dead_tup_per_min")
		// 200 jobs/s completed, one dead tuple each: 12,000 a minute.
		if e.Value < 10000 || e.Value > 14000 || !strings.Contains(e.Detail, "doubles in") {
			t.Errorf("growth = %v (%s), want about 12,000 a minute and a doubling time", e.Value, e.Detail)
		}
	})

	t.Run("autovacuum off with a claim whose cost does not move says it cannot tell", func(t *testing.T) {
		s := newSynth(70, 20)
		s.vacuumOff(20)
		s.each(20, 70, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) { setClaimMean(sm, 0.32) })
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseVacuumLag, 20, 70)
		e := evidenceOf(t, f, "pg_stat_user_tables.n_dead_tup_per_min")
		if !strings.Contains(e.Detail, "cannot be told") {
			t.Errorf("a flat claim cost cannot give a doubling time: %s", e.Detail)
		}
	})

	t.Run("autovacuum off stays a whole_run finding beside a drop it caused late in the run", func(t *testing.T) {
		s := newSynth(70, 20)
		s.vacuumOff(20)
		s.stall(42, 70, 0.4)
		res := analyzeRun(t, s.run)
		var whole, drop bool
		for _, f := range res.Findings {
			if f.Cause == analyze.CauseVacuumLag {
				whole = whole || f.Kind == runrec.FindingWholeRun
				drop = drop || f.Kind == runrec.FindingDrop
			}
		}
		if !whole {
			for _, f := range res.Findings {
				t.Logf("%s %s %s-%s: %s", f.Kind, f.Cause, f.Start.Format("15:04:05"), f.End.Format("15:04:05"), f.Summary)
			}
			t.Fatalf("no whole_run vacuum_lag finding beside the drop (drop found: %v)", drop)
		}
	})

	t.Run("max_wal_size too small for the WAL rate is a checkpoint storm", func(t *testing.T) {
		s := newSynth(60, 20)
		s.run.Meta.Settings["max_wal_size"] = "32MB"
		s.run.Meta.Settings["checkpoint_timeout"] = "5min"
		s.checkpointsOnly(20, 40)
		s.each(20, 40, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
			sm.WAL.Bytes *= 4
			sm.WAL.LSNBytes = sm.WAL.Bytes
		})
		res := analyzeRun(t, s.run)
		f := requireCause(t, res, analyze.CauseCheckpoint, 20, 40)
		if f.Kind != runrec.FindingWholeRun {
			t.Errorf("kind = %s, want whole_run", f.Kind)
		}
		e := evidenceOf(t, f, "wal.bytes_per_checkpoint_timeout")
		if !strings.Contains(e.Detail, "not the timer") {
			t.Errorf("WAL per checkpoint_timeout should exceed max_wal_size: %s", e.Detail)
		}
		x := evidenceOf(t, f, "wal.extra_bytes")
		if x.Value <= 0 {
			t.Errorf("extra WAL = %v", x.Value)
		}
		evidenceOf(t, f, "checkpoints.requested_vs_timed")
		checkGolden(t, "checkpoint_storm", res)
	})

	// TestCheckpointStorm's case on a loaded host: the storm runs all run
	// long, so the baseline requests as many checkpoints as the storm, and
	// commits waiting on WAL make a drop named wal_write in the middle,
	// with the checkpoints contributing. The storm is still a whole_run
	// finding of its own.
	t.Run("a storm all run long is whole_run even beside a wal_write drop it contributed to", func(t *testing.T) {
		s := newSynth(60, 20)
		s.run.Meta.Settings["max_wal_size"] = "32MB"
		s.checkpointsOnly(0, 60)
		s.walWaits(15, 45)
		res := analyzeRun(t, s.run)
		requireCause(t, res, analyze.CauseWALWrite, 15, 45)
		var storm *runrec.Finding
		for i := range res.Findings {
			if f := &res.Findings[i]; f.Cause == analyze.CauseCheckpoint && f.Kind == runrec.FindingWholeRun {
				storm = f
			}
		}
		if storm == nil {
			b, _ := json.MarshalIndent(res.Findings, "", "  ")
			t.Fatalf("no whole_run checkpoint_pressure finding:\n%s", b)
		}
		evidenceOf(t, *storm, "checkpoints.requested_vs_timed")
	})
}
