package sqlload

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/pgtest"
)

// TestConnSetInterrupt: the interrupt fails a worker's call in flight (a
// query that would sleep a minute) whose context never ends, refuses the
// workers' new connections, and leaves other callers (the integrity check
// after an interrupted run) able to connect and query.
func TestConnSetInterrupt(t *testing.T) {
	dsn := pgtest.NewDB(t)
	ctx := context.Background()
	conns := newConnSet()
	pool, err := openPool(ctx, dsn, "connset-test", 4, conns)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	wctx := workerCtx(ctx)
	if err := pool.Ping(wctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	started := time.Now()
	go func() {
		_, err := pool.Exec(wctx, "SELECT pg_sleep(60)")
		done <- err
	}()
	// The call is in flight once its backend shows it.
	for {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Since(started) > 30*time.Second {
			t.Fatal("the sleeping query never showed up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	conns.interrupt()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the interrupted call succeeded")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the interrupt did not end the call in flight")
	}
	// Connections taken after the interrupt are new ones: a worker's is
	// refused, anyone else's works.
	pool.Reset()
	if err := pool.Ping(wctx); !errors.Is(err, errInterrupted) {
		t.Fatalf("a worker's connection after the interrupt: %v, want errInterrupted", err)
	}
	var one int
	if err := pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("a query after the interrupt: %d, %v", one, err)
	}
}
