package sampler_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

func TestLocks(t *testing.T) {
	mk := func(p *pgxpool.Pool) {
		exec(t, p, `CREATE TABLE jobs (id int PRIMARY KEY, state text)`)
		exec(t, p, `INSERT INTO jobs SELECT g, 'pending' FROM generate_series(1, 10) g`)
	}

	t.Run("a relation lock wait names the blocker, its mode and query", func(t *testing.T) {
		b := setup(t, sampler.Config{}, mk)
		holder := conn(t, b.dsn, "migration-tool")
		exec(t, holder, `BEGIN`)
		exec(t, holder, `LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE`)
		waiter := conn(t, b.dsn, "worker")
		done := make(chan error, 1)
		go func() {
			_, err := waiter.Exec(context.Background(), `SELECT count(*) FROM jobs`)
			done <- err
		}()
		r := record(t, b.s)
		got := r.waitFor(t, "a waiting lock", func(s runrec.Sample) bool { return s.Locks != nil && s.Locks.Waiting > 0 })
		exec(t, holder, `ROLLBACK`)
		if err := <-done; err != nil {
			t.Fatalf("waiter: %v", err)
		}
		l := got.Locks
		if l.ByMode["relation:AccessShareLock"] != 1 {
			t.Errorf("by mode = %v, want one relation:AccessShareLock wait", l.ByMode)
		}
		if len(l.Waits) != 1 || l.Waits[0].PID != pid(t, waiter) || l.Waits[0].Relation != "public.jobs" ||
			!slices.Equal(l.Waits[0].BlockedBy, []int{pid(t, holder)}) {
			t.Errorf("waits = %+v, want the worker waiting on jobs, blocked by %d", l.Waits, pid(t, holder))
		}
		if len(l.Blockers) != 1 {
			t.Fatalf("blockers = %+v, want one", l.Blockers)
		}
		bl := l.Blockers[0]
		if bl.PID != pid(t, holder) || bl.ModeHeld != "AccessExclusiveLock" || bl.Relation != "public.jobs" ||
			bl.ApplicationName != "migration-tool" || !strings.Contains(bl.Query, "LOCK TABLE jobs") ||
			bl.State != "idle in transaction" || bl.Blocked != 1 {
			t.Errorf("blocker = %+v", bl)
		}
	})

	t.Run("a chain is blamed on its head", func(t *testing.T) {
		b := setup(t, sampler.Config{}, mk)
		head := conn(t, b.dsn, "head")
		exec(t, head, `BEGIN`)
		exec(t, head, `UPDATE jobs SET state = 'active' WHERE id = 1`)
		mid := conn(t, b.dsn, "mid")
		tail := conn(t, b.dsn, "tail")
		errs := make(chan error, 2)
		go func() {
			_, err := mid.Exec(context.Background(), `BEGIN; LOCK TABLE jobs IN EXCLUSIVE MODE; COMMIT`)
			errs <- err
		}()
		r := record(t, b.s)
		r.waitFor(t, "the first wait", func(s runrec.Sample) bool { return s.Locks != nil && s.Locks.Waiting == 1 })
		go func() {
			_, err := tail.Exec(context.Background(), `UPDATE jobs SET state = 'x' WHERE id = 2`)
			errs <- err
		}()
		got := r.waitFor(t, "two waits", func(s runrec.Sample) bool { return s.Locks != nil && s.Locks.Waiting == 2 })
		exec(t, head, `ROLLBACK`)
		for i := 0; i < 2; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if len(got.Locks.Blockers) != 1 || got.Locks.Blockers[0].PID != pid(t, head) || got.Locks.Blockers[0].Blocked != 2 {
			t.Errorf("blockers = %+v, want only the head (pid %d) blocking 2", got.Locks.Blockers, pid(t, head))
		}
	})

	t.Run("a workload session holding rows while it runs is known by its query id", func(t *testing.T) {
		b := setup(t, sampler.Config{WorkloadApps: []string{"pgqtune-workload"}}, mk)
		holder := conn(t, b.dsn, "pgqtune-workload")
		holderPID := pid(t, holder)
		// Runs before the connection's own cleanup, on any failure too.
		t.Cleanup(func() { _, _ = b.pool.Exec(context.Background(), `SELECT pg_cancel_backend($1)`, holderPID) })
		held := make(chan error, 1)
		go func() {
			// One statement that locks a row, then runs on holding it,
			// as a slow claim does.
			_, err := holder.Exec(context.Background(),
				`SELECT pg_sleep(60) FROM (SELECT id FROM jobs WHERE id = 4 FOR UPDATE) j`)
			held <- err
		}()
		// The row is locked once the holder sleeps (the lock is taken
		// before the projection runs); the worker must not update it
		// first, however slowly the holder starts.
		deadline := time.Now().Add(60 * time.Second)
		for sleeping := false; !sleeping; {
			if time.Now().After(deadline) {
				t.Fatal("the holder did not reach its sleep in 60 s")
			}
			select {
			case err := <-held:
				t.Fatalf("holder ended before it slept: %v", err)
			case <-time.After(50 * time.Millisecond):
			}
			var ev string
			if err := b.pool.QueryRow(context.Background(),
				`SELECT coalesce(wait_event, '') FROM pg_stat_activity WHERE pid = $1`, holderPID).Scan(&ev); err != nil {
				t.Fatal(err)
			}
			sleeping = ev == "PgSleep"
		}
		w := conn(t, b.dsn, "worker")
		done := make(chan error, 1)
		r := record(t, b.s)
		go func() {
			_, err := w.Exec(context.Background(), `UPDATE jobs SET state = 'done' WHERE id = 4`)
			done <- err
		}()
		got := r.waitFor(t, "a wait on the running holder", func(s runrec.Sample) bool { return s.Locks != nil && len(s.Locks.Blockers) > 0 })
		exec(t, b.pool, `SELECT pg_cancel_backend($1)`, holderPID)
		<-held
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		bl := got.Locks.Blockers[0]
		if bl.PID != holderPID || bl.State != "active" || !bl.Workload || bl.QueryID == 0 {
			t.Errorf("blocker = %+v, want the running workload session with its query id", bl)
		}
	})

	t.Run("a prepared transaction blocks as pid 0", func(t *testing.T) {
		b := setup(t, sampler.Config{}, mk)
		p := conn(t, b.dsn, "two-phase")
		exec(t, p, `BEGIN`)
		exec(t, p, `UPDATE jobs SET state = 'active' WHERE id = 3`)
		exec(t, p, `PREPARE TRANSACTION 'pgqtune_locks_test'`)
		t.Cleanup(func() { _, _ = b.pool.Exec(context.Background(), `ROLLBACK PREPARED 'pgqtune_locks_test'`) })
		w := conn(t, b.dsn, "worker")
		done := make(chan error, 1)
		go func() {
			_, err := w.Exec(context.Background(), `UPDATE jobs SET state = 'done' WHERE id = 3`)
			done <- err
		}()
		r := record(t, b.s)
		got := r.waitFor(t, "a wait on the prepared transaction", func(s runrec.Sample) bool { return s.Locks != nil && s.Locks.Waiting > 0 })
		exec(t, b.pool, `ROLLBACK PREPARED 'pgqtune_locks_test'`)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got.Locks.ByMode["transactionid:ShareLock"] != 1 {
			t.Errorf("by mode = %v, want a transactionid:ShareLock wait", got.Locks.ByMode)
		}
		if len(got.Locks.Blockers) != 1 {
			t.Fatalf("blockers = %+v", got.Locks.Blockers)
		}
		bl := got.Locks.Blockers[0]
		if bl.PID != 0 || !bl.Prepared || !strings.Contains(bl.Query, "pgqtune_locks_test") || bl.HeldS <= 0 {
			t.Errorf("blocker = %+v, want the prepared transaction", bl)
		}
	})
}
