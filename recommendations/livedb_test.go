package recommendations

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/migrations"
)

// queueDB is a test database holding pgqtune's skiplocked queue in schema
// pgqtune, with completed rows piled up and the claim index dropped: the
// missing-index situation.
type queueDB struct {
	dsn   string
	pool  *pgxpool.Pool
	claim string // the claim statement as pg_stat_statements normalized it
	qid   int64
}

func newQueueDB(t *testing.T, completed, pending int, dropClaimIndex bool) *queueDB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	dsn := pgtest.NewDB(t)
	if err := migrations.Up(ctx, dsn, "skiplocked", "pgqtune"); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	pool := pgtest.Pool(t, dsn)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO pgqtune.job (state, finished_at, payload) SELECT 'completed', now(), '{"x": 1}' FROM generate_series(1, $1)`, completed)
	exec(`INSERT INTO pgqtune.job (state) SELECT 'pending' FROM generate_series(1, $1)`, pending)
	if dropClaimIndex {
		exec(`DROP INDEX pgqtune.job_claim_idx`)
	}
	exec(`ANALYZE pgqtune.job`)
	claim, err := os.ReadFile("testdata/skiplocked_claim.sql")
	if err != nil {
		t.Fatal(err)
	}
	// This database's entries only: a reset of all of them (the tests run
	// in parallel on one cluster) emptied another test's between its claim
	// and its read (make test-stress: "no rows in result set").
	exec(`SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`)
	exec(string(claim), "default", 10)
	q := &queueDB{dsn: dsn, pool: pool}
	if err := pool.QueryRow(ctx, `SELECT queryid, query FROM pg_stat_statements WHERE query LIKE '%FOR UPDATE SKIP LOCKED%' AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&q.qid, &q.claim); err != nil {
		t.Fatalf("read claim from pg_stat_statements: %v", err)
	}
	return q
}
