package sampler_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
)

// The cluster allows prepared transactions and logical slots so that every
// kind of xmin holder and lock blocker can be produced for real.
func TestMain(m *testing.M) {
	pgtest.Main(m, pgserver.Options{Settings: map[string]string{
		"max_prepared_transactions": "10",
		"wal_level":                 "logical",
		"max_replication_slots":     "10",
		"max_wal_senders":           "10",
	}})
}

// testInterval is short so tests take a few seconds; statistics that
// Postgres flushes lazily are forced with pg_stat_force_next_flush().
const testInterval = 300 * time.Millisecond

// bundle is what a test needs around one sampler.
type bundle struct {
	dsn  string
	pool *pgxpool.Pool
	s    *sampler.Sampler
}

// setup makes a fresh database, lets prep create what the test needs, and
// starts a sampler on it.
func setup(t *testing.T, cfg sampler.Config, prep func(p *pgxpool.Pool)) *bundle {
	t.Helper()
	dsn := pgtest.NewDB(t)
	pool := pgtest.Pool(t, dsn)
	if prep != nil {
		prep(pool)
		// The scene's rows are not the workload's.
		pgtest.FlushStats(t, pool)
	}
	if cfg.DSN == "" {
		cfg.DSN = dsn
	}
	if cfg.Interval == 0 {
		cfg.Interval = testInterval
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := sampler.New(ctx, cfg)
	if err != nil {
		t.Fatalf("sampler.New: %v", err)
	}
	t.Cleanup(s.Close)
	return &bundle{dsn: dsn, pool: pool, s: s}
}

// recorder runs a sampler in the background and keeps its samples.
type recorder struct {
	mu      sync.Mutex
	samples []runrec.Sample
	cancel  context.CancelFunc
	done    chan error
}

func record(t *testing.T, s *sampler.Sampler) *recorder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	r := &recorder{cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- s.Run(ctx, func(smp runrec.Sample) error {
			r.mu.Lock()
			r.samples = append(r.samples, smp)
			r.mu.Unlock()
			return nil
		})
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop ends Run and returns every sample taken. Run must end without error.
func (r *recorder) stop(t *testing.T) []runrec.Sample {
	t.Helper()
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
		if err := <-r.done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]runrec.Sample(nil), r.samples...)
}

// waitFor polls the samples taken so far until ok is true for one of them
// (returning it) or the deadline passes (failing the test with what).
func (r *recorder) waitFor(t *testing.T, what string, ok func(runrec.Sample) bool) runrec.Sample {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	seen := 0
	for time.Now().Before(deadline) {
		r.mu.Lock()
		ss := r.samples[seen:]
		seen = len(r.samples)
		r.mu.Unlock()
		for _, s := range ss {
			if ok(s) {
				return s
			}
		}
		time.Sleep(testInterval / 3)
	}
	r.mu.Lock()
	if n := len(r.samples); n > 0 {
		last := r.samples[n-1]
		t.Logf("last sample: status %v locks %+v", last.Status, last.Locks)
	}
	r.mu.Unlock()
	t.Fatalf("no sample showed %s in 20s", what)
	return runrec.Sample{}
}

// ticks waits until n more samples were taken.
func (r *recorder) ticks(t *testing.T, n int) {
	t.Helper()
	r.mu.Lock()
	want := len(r.samples) + n
	r.mu.Unlock()
	r.waitFor(t, "enough ticks", func(runrec.Sample) bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.samples) >= want
	})
}

// execer is a pool or a connection.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// exec runs sql on the pool and fails the test on error.
func exec(t *testing.T, p execer, sql string, args ...any) {
	t.Helper()
	if _, err := p.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", firstLine(sql), err)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// conn opens a dedicated session (for holding locks and transactions).
func conn(t *testing.T, dsn, app string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = app
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func pid(t *testing.T, c *pgx.Conn) int {
	t.Helper()
	return int(c.PgConn().PID())
}
