package faults_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/internal/pipeline"
	"github.com/pgqtune/pgqtune/internal/pipeline/faults"
)

// The cluster vacuums eagerly (naptime 1 s) and allows prepared transactions so that, without a fault,
// dead tuples never outlive a couple of seconds: a disabled autovacuum or
// a held snapshot then stands out within a 30-second run.
func TestMain(m *testing.M) {
	pgtest.Main(m, pgserver.Options{Settings: map[string]string{
		"autovacuum_naptime": "1s",
		// Prepared transactions are one kind of xmin holder tested here.
		"max_prepared_transactions": "4",
	}})
}

const (
	rate = 150
	main = 25 * time.Second
	// Faults start 10 s into the load (5 s after warm-up) and last 12 s.
	after = 10 * time.Second
	span  = 12 * time.Second
)

func run(t *testing.T, f *faults.Fault) (*pipeline.Outcome, faults.Window) {
	t.Helper()
	return faults.Run(t, pgtest.NewDB(t), faults.Scenario(t, rate, main), f)
}

func table(t pipeline.Target) string { return pgx.Identifier{t.Schema, "job"}.Sanitize() }

// TestControl: the same workload with no fault names no cause; every
// named cause here is a false positive. A drop left unexplained
// ("unknown") is what an overloaded host does to any workload (seen under
// make test-stress: 150 -> 96 jobs/s for 3 s with nothing in the
// database to show for it); it is logged, not failed.
func TestControl(t *testing.T) {
	out, _ := run(t, nil)
	named := 0
	for _, f := range out.Report.Findings {
		if f.Cause == analyze.CauseUnknown {
			t.Logf("unexplained %s %s-%s: %s", f.Kind, f.Start.Format("15:04:05"), f.End.Format("15:04:05"), f.Summary)
			continue
		}
		named++
	}
	if named > 0 {
		t.Fatalf("control run names %d cause(s):\n%s", named, faults.Describe(out.Report))
	}
	if out.Report.Throughput.Baseline < rate*0.8 {
		t.Errorf("baseline %.1f jobs/s, want about %d", out.Report.Throughput.Baseline, rate)
	}
}

// TestLockTable: ACCESS EXCLUSIVE on the queue table -> lock_contention,
// naming the blocking pid.
func TestLockTable(t *testing.T) {
	var pid int
	out, w := run(t, &faults.Fault{After: after, For: span, Start: func(ctx context.Context, tg pipeline.Target) (func(), error) {
		stop, err := faults.Hold(pgx.ReadCommitted, "LOCK TABLE "+table(tg)+" IN ACCESS EXCLUSIVE MODE")(ctx, tg)
		return stop, err
	}})
	f := faults.RequireCause(t, out, w, analyze.CauseLock)
	_ = pid
	if len(f.PIDs) == 0 || len(f.Evidence) == 0 {
		t.Errorf("lock finding without blocker pid or evidence: %+v", f)
	}
}

// TestHoldXmin: an idle-in-transaction REPEATABLE READ session holding a
// snapshot while the workload updates rows -> xmin_horizon.
func TestHoldXmin(t *testing.T) {
	out, w := run(t, &faults.Fault{After: after, For: span, Start: func(ctx context.Context, tg pipeline.Target) (func(), error) {
		return faults.Hold(pgx.RepeatableRead, "SELECT txid_current()", "SELECT count(*) FROM "+table(tg))(ctx, tg)
	}})
	faults.RequireCause(t, out, w, analyze.CauseXmin)
}

// TestVacuumOff: autovacuum disabled on the queue table -> vacuum_lag.
func TestVacuumOff(t *testing.T) {
	var undo string
	out, w := run(t, &faults.Fault{After: after, Start: func(ctx context.Context, tg pipeline.Target) (func(), error) {
		undo = "ALTER TABLE " + table(tg) + " RESET (autovacuum_enabled)"
		return faults.Exec([]string{"ALTER TABLE " + table(tg) + " SET (autovacuum_enabled = false)"}, undo)(ctx, tg)
	}})
	faults.RequireCause(t, out, w, analyze.CauseVacuumLag)
}

// TestDropClaimIndex: the dequeue index dropped (and recreated 12 s
// later) -> missing_index. The table keeps a history of 200,000 completed
// jobs, as queues that archive late do, so that without the partial index
// every claim reads them all.
func TestDropClaimIndex(t *testing.T) {
	out, w := run(t, &faults.Fault{After: after, Setup: func(ctx context.Context, tg pipeline.Target) error {
		c, err := faults.Connect(ctx, tg.DSN)
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		for _, s := range []string{
			"INSERT INTO " + table(tg) + " (state, finished_at) SELECT 'completed', now() FROM generate_series(1, 200000)",
			"VACUUM ANALYZE " + table(tg),
		} {
			if _, err := c.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	}, Start: func(ctx context.Context, tg pipeline.Target) (func(), error) {
		idx := pgx.Identifier{tg.Schema, "job_claim_idx"}.Sanitize()
		return faults.Exec([]string{"DROP INDEX " + idx},
			"CREATE INDEX job_claim_idx ON "+table(tg)+" (queue, priority, run_at) WHERE state = 'pending'")(ctx, tg)
	}, For: span})
	faults.RequireCause(t, out, w, analyze.CauseMissingIndex)
}

// TestHotRowForUpdate: foreign sessions lock the jobs the workers are
// working on with FOR UPDATE and no SKIP LOCKED, and sit on them: the
// workers' completions wait on their transactions -> row_lock_contention.
func TestHotRowForUpdate(t *testing.T) {
	out, w := run(t, &faults.Fault{After: after, For: span, Start: func(ctx context.Context, tg pipeline.Target) (func(), error) {
		return faults.Loop(3, func(ctx context.Context, c *pgx.Conn) error {
			tx, err := c.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(context.Background())
			if _, err := tx.Exec(ctx, "SELECT id FROM "+table(tg)+" WHERE state IN ('active', 'pending') ORDER BY id DESC LIMIT 20 FOR UPDATE"); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "SELECT pg_sleep(0.7)"); err != nil {
				return err
			}
			return tx.Commit(ctx)
		})(ctx, tg)
	}})
	faults.RequireCause(t, out, w, analyze.CauseRowLock)
}

// TestCPUHog: CPU-bound foreign queries -> cpu_saturation. A light queue
// shrugs off CPU hogs entirely (the scheduler favours its short bursts:
// measured here, 16 hogs on 2 cores left an open-loop 300 jobs/s run
// untouched), so 24 hogs run while the queue runs near what the machine
// sustains with fsync off (1,000 jobs/s; about 2,500 closed loop alone)
// and take the cores it needs. Their queries are short (a fraction of a
// second each) so that they do not also hold the xmin horizon back, and
// loop in PL/pgSQL so that they spill nothing to temp files.
func TestCPUHog(t *testing.T) {
	out, w := faults.Run(t, pgtest.NewDB(t), faults.Scenario(t, 1000, main), &faults.Fault{After: after, For: span, Start: faults.Loop(24,
		func(ctx context.Context, c *pgx.Conn) error {
			_, err := c.Exec(ctx, "DO $$DECLARE x float8 := 0; BEGIN FOR i IN 1..300000 LOOP x := x + sqrt(i); END LOOP; END$$")
			return err
		})})
	faults.RequireCause(t, out, w, analyze.CauseCPU)
}
