package adaptertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sqlload"
)

// RunBundle is one scenario Drive ran.
type RunBundle struct {
	// Res is what sqlload.Run returned.
	Res *sqlload.Result
	// Ticks are the run's per-second ticks, in order.
	Ticks []runrec.WorkloadTick
	// Progress is what the driver printed.
	Progress string
	// DSN is the fresh database the scenario ran in.
	DSN string
}

// LoadYAML loads a scenario body from a temp file or fails the test.
func LoadYAML(t *testing.T, body string) *sqlload.Scenario {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := sqlload.LoadScenario(path)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// Drive runs sc with the real driver (sqlload.Setup, then sqlload.Run) on
// a fresh database, with during (when not nil) running beside it, and
// checks what every run must hold whatever the adapter: integrity exact (no
// job lost or duplicated, the books add up), ticks in time order and
// counting what the books say. An adapter's end-to-end tests call it; the
// adapter must be registered (imported) by the test.
func Drive(t *testing.T, ctx context.Context, sc *sqlload.Scenario, during func(ctx context.Context, dsn string)) *RunBundle {
	t.Helper()
	dsn := pgtest.NewDB(t)
	if err := sqlload.Setup(ctx, dsn, "pgqtune", sc); err != nil {
		t.Fatal(err)
	}
	b := &RunBundle{DSN: dsn}
	var mu sync.Mutex
	var out strings.Builder
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if during != nil {
		go during(hctx, dsn)
	}
	res, err := sqlload.Run(ctx, &sqlload.RunParams{
		DSN: dsn, Schema: "pgqtune", Scenario: sc,
		OnTick:   func(tk runrec.WorkloadTick) { mu.Lock(); b.Ticks = append(b.Ticks, tk); mu.Unlock() },
		Progress: &out,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	b.Res, b.Progress = res, out.String()
	in := res.Integrity
	t.Logf("%s: integrity %+v, e2e p50 %.1f p99 %.1f ms, notes %v", sc.Name, in, res.LatencyMs.P50, res.LatencyMs.P99, res.Notes)
	if in.Lost != 0 || in.Duplicated != 0 {
		t.Fatalf("integrity broken: %+v", in)
	}
	if in.Enqueued == 0 || in.Enqueued != in.Completed+in.Pending+in.Failed {
		t.Fatalf("integrity does not add up: %+v", in)
	}
	for i := 1; i < len(b.Ticks); i++ {
		if !b.Ticks[i].T.After(b.Ticks[i-1].T) {
			t.Fatalf("tick %d at %v is not after %v", i, b.Ticks[i].T, b.Ticks[i-1].T)
		}
	}
	var enq, comp int64
	for _, tk := range b.Ticks {
		enq += tk.Enqueued
		comp += tk.Completed
	}
	// Ticks count completion events: a job redelivered after its claim
	// expired and finished again is one job in the books but two
	// completions in the ticks (a redelivered failure is none).
	if enq < in.Enqueued-in.Pending-in.Failed || comp < in.Completed || comp > in.Completed+in.Redelivered {
		t.Fatalf("ticks count %d enqueued, %d completed; integrity says %+v", enq, comp, in)
	}
	return b
}

// KillWorkload returns a Drive companion that terminates the driver's
// sessions every 150 ms for d (or until its ctx ends), counting the kills.
func KillWorkload(t *testing.T, killed *atomic.Int64, d time.Duration) func(ctx context.Context, dsn string) {
	return func(ctx context.Context, dsn string) {
		pool := MustPool(t, dsn)
		defer pool.Close()
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		for ctx.Err() == nil {
			var n int64
			err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
				FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()`, sqlload.DefaultAppName).Scan(&n)
			if err == nil {
				killed.Add(n)
			}
			time.Sleep(150 * time.Millisecond)
		}
	}
}

// MustPool opens a pool on dsn or fails the test; the caller closes it.
func MustPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return pool
}
