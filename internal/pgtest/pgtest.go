// Package pgtest gives test binaries one throwaway PostgreSQL cluster
// (started in TestMain) and a fresh database per test.
//
//	func TestMain(m *testing.M) { pgtest.Main(m, pgserver.Options{}) }
//
//	func TestX(t *testing.T) {
//		dsn := pgtest.NewDB(t)  // a new database with pg_stat_statements
//		...
//	}
package pgtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/internal/pgserver"
)

var (
	server *pgserver.Server
	dbSeq  atomic.Int64
)

// Main starts the binary's cluster, runs the tests, stops the cluster and
// exits with the tests' code. A test binary without a cluster (no server
// binaries) fails loudly rather than skipping: tests are real here.
func Main(m *testing.M, opts pgserver.Options) {
	os.Exit(run(m, opts))
}

func run(m *testing.M, opts pgserver.Options) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	s, err := pgserver.Start(ctx, opts)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: start cluster:", err)
		return 1
	}
	server = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: stop cluster:", err)
	}
	return code
}

// Server returns the binary's cluster (nil outside pgtest.Main).
func Server() *pgserver.Server { return server }

// NewDB creates a fresh database for t and returns its DSN. The database is
// dropped when t passes and kept for inspection when it fails.
func NewDB(t testing.TB) string {
	t.Helper()
	if server == nil {
		t.Fatal("pgtest: no cluster; call pgtest.Main from TestMain")
	}
	name := fmt.Sprintf("t%d_%s", dbSeq.Add(1), sanitize(t.Name()))
	if len(name) > 60 {
		name = name[:60]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := server.CreateDatabase(ctx, name, ""); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pgtest: kept database %s for inspection (%s)", name, server.DSN(name))
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		pool, err := pgxpool.New(ctx, server.DSN("postgres"))
		if err != nil {
			return
		}
		defer pool.Close()
		_, _ = pool.Exec(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
	})
	return server.DSN(name)
}

// Pool opens a pgxpool on dsn that is closed when t ends.
func Pool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatalf("pgtest: open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// FlushStats makes every idle session of pool flush its pending table and
// statement counters now. A backend flushes them at most once a second,
// and an idle one up to 10 s later: rows a test inserted to set a scene
// would otherwise land in a sampler's tick taken after it started, as
// though the workload had written them. pg_stat_force_next_flush makes the
// flush happen before the session reports ready for the next query.
func FlushStats(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	for _, c := range pool.AcquireAllIdle(ctx) {
		_, err := c.Exec(ctx, "SELECT pg_stat_force_next_flush()")
		c.Release()
		if err != nil {
			t.Fatalf("pgtest: flush statistics: %v", err)
		}
	}
}
