package sqlload_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/sqlload"
)

// pressureDB is a fresh database with the skiplocked queue set up.
func pressureDB(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	sc := load(t, "baseline", sqlload.Overrides{})
	dsn := newDB(t)
	if err := sqlload.Setup(context.Background(), dsn, "pgqtune", sc); err != nil {
		t.Fatal(err)
	}
	pool := mustPool(t, dsn)
	t.Cleanup(pool.Close)
	return dsn, pool
}

// pressureSessions counts sessions of a pressure kind matching cond.
func pressureSessions(t *testing.T, pool *pgxpool.Pool, kind, cond string) int {
	t.Helper()
	var n int
	err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = $1 AND `+cond, sqlload.PressureAppName+":"+kind).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPressures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("lock_table makes a claim wait until it stops", func(t *testing.T) {
		t.Parallel()
		dsn, pool := pressureDB(t)
		stop, err := sqlload.StartPressure(ctx, dsn, "pgqtune", sqlload.Pressure{Kind: sqlload.PressureLockTable})
		if err != nil {
			t.Fatal(err)
		}
		var stopped atomic.Bool
		done := make(chan bool, 1)
		go func() {
			// The claim query's first step: it needs the table.
			_, err := pool.Exec(ctx, `/* claim under lock */ SELECT id FROM pgqtune.job WHERE state = 'pending' LIMIT 1 FOR UPDATE SKIP LOCKED`)
			if err != nil {
				t.Error(err)
			}
			done <- stopped.Load()
		}()
		waitFor(t, "the claim to wait on the lock", func() bool {
			var n int
			_ = pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '/* claim under lock */%'`).Scan(&n)
			return n == 1
		})
		stopped.Store(true)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if finishedAfterStop := <-done; !finishedAfterStop {
			t.Fatal("the claim finished while the table was locked")
		}
	})

	t.Run("hold_xmin idles in a transaction holding xmin", func(t *testing.T) {
		t.Parallel()
		dsn, pool := pressureDB(t)
		stop, err := sqlload.StartPressure(ctx, dsn, "pgqtune", sqlload.Pressure{Kind: sqlload.PressureHoldXmin})
		if err != nil {
			t.Fatal(err)
		}
		if n := pressureSessions(t, pool, "hold_xmin", `state = 'idle in transaction' AND backend_xmin IS NOT NULL AND backend_xid IS NOT NULL`); n != 1 {
			t.Fatalf("%d idle-in-transaction xmin holders, want 1", n)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the holder to go", func() bool { return pressureSessions(t, pool, "hold_xmin", "true") == 0 })
	})

	t.Run("readers hold snapshots in N sessions", func(t *testing.T) {
		t.Parallel()
		dsn, pool := pressureDB(t)
		stop, err := sqlload.StartPressure(ctx, dsn, "pgqtune", sqlload.Pressure{Kind: sqlload.PressureReaders, Sessions: 3})
		if err != nil {
			t.Fatal(err)
		}
		if n := pressureSessions(t, pool, "readers", `backend_xmin IS NOT NULL`); n != 3 {
			t.Fatalf("%d readers holding a snapshot, want 3", n)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("cpu_hog keeps sessions busy", func(t *testing.T) {
		t.Parallel()
		dsn, pool := pressureDB(t)
		stop, err := sqlload.StartPressure(ctx, dsn, "pgqtune", sqlload.Pressure{Kind: sqlload.PressureCPUHog, Sessions: 2})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "two busy hogs", func() bool {
			return pressureSessions(t, pool, "cpu_hog", `state = 'active' AND query LIKE '%cpu_hog%'`) == 2
		})
		if err := stop(); err != nil {
			t.Fatalf("stopping cancels the hogs' queries, which is not an error: %v", err)
		}
	})

	t.Run("checkpoints requests checkpoints", func(t *testing.T) {
		t.Parallel()
		dsn, pool := pressureDB(t)
		var before int64
		if err := pool.QueryRow(ctx, `SELECT checkpoints_req FROM pg_stat_bgwriter`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		stop, err := sqlload.StartPressure(ctx, dsn, "pgqtune", sqlload.Pressure{Kind: sqlload.PressureCheckpoints, Interval: sqlload.Duration(100 * time.Millisecond)})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "requested checkpoints", func() bool {
			var now int64
			_ = pool.QueryRow(ctx, `SELECT checkpoints_req FROM pg_stat_bgwriter`).Scan(&now)
			return now >= before+2
		})
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("bad pressure and bad table are errors", func(t *testing.T) {
		t.Parallel()
		dsn, _ := pressureDB(t)
		if _, err := sqlload.StartPressure(ctx, dsn, "pgqtune", sqlload.Pressure{Kind: "earthquake"}); err == nil {
			t.Fatal("unknown pressure started")
		}
		_, err := sqlload.StartPressure(ctx, dsn, "pgqtune", sqlload.Pressure{Kind: sqlload.PressureLockTable, Table: "pgqtune.nope"})
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("locking a missing table: %v", err)
		}
	})
}
