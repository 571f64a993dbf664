package recommendations

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

func TestApply(t *testing.T) {
	t.Parallel()
	q := newQueueDB(t, 100, 10, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var db string
	if err := q.pool.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	recs := []runrec.Recommendation{
		{ID: "R1", Kind: runrec.RecIndex, SQL: "CREATE INDEX CONCURRENTLY IF NOT EXISTS job_claim_x ON pgqtune.job (queue, priority, run_at) WHERE state = 'pending';"},
		{ID: "R2", Kind: runrec.RecAutovacuum, SQL: "-- per table\nALTER TABLE pgqtune.job SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500);"},
		{ID: "R3", Kind: runrec.RecConfig, SQL: "ALTER DATABASE pgqtune SET work_mem = '64MB';", Rollback: "ALTER DATABASE pgqtune RESET work_mem;"},
	}
	restart, err := Apply(ctx, q.dsn, Retarget(recs, "pgqtune", db))
	if err != nil {
		t.Fatal(err)
	}
	if restart {
		t.Error("no restart needed for these")
	}
	var n int
	if err := q.pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE indexname = 'job_claim_x'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("index not created: %d %v", n, err)
	}
	var opts []string
	if err := q.pool.QueryRow(ctx, `SELECT reloptions FROM pg_class WHERE oid = 'pgqtune.job'::regclass`).Scan(&opts); err != nil || len(opts) != 2 {
		t.Fatalf("reloptions = %v %v", opts, err)
	}
	var cfg []string
	if err := q.pool.QueryRow(ctx, `SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = $1)`, db).Scan(&cfg); err != nil || len(cfg) != 1 || cfg[0] != "work_mem=64MB" {
		t.Fatalf("database setting = %v %v", cfg, err)
	}
	if recs[2].SQL != "ALTER DATABASE pgqtune SET work_mem = '64MB';" {
		t.Error("Retarget changed its input")
	}

	t.Run("application changes and outlines are refused", func(t *testing.T) {
		for _, r := range []runrec.Recommendation{{ID: "R9", Kind: runrec.RecApplication, SQL: "-- use SKIP LOCKED"}, {ID: "R8", Kind: runrec.RecPartitioning, SQL: "CREATE TABLE x ();"}, {ID: "R7", Kind: runrec.RecConfig, SQL: "-- nothing"}} {
			if _, err := Apply(ctx, q.dsn, []runrec.Recommendation{r}); !errors.Is(err, ErrNotApplicable) {
				t.Errorf("%s: err = %v", r.ID, err)
			}
		}
	})
}
