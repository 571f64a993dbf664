package reallibs

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var (
	//go:embed sql/claim_indexes.sql
	claimIndexesSQL string
	//go:embed sql/pgboss_retained.sql
	pgbossRetainedSQL string
	//go:embed sql/river_retained.sql
	riverRetainedSQL string
)

// Index is one of a library's indexes as the catalog holds it.
type Index struct {
	Schema, Table, Name string
	// Def is pg_get_indexdef: the statement that recreates it.
	Def string
}

// Qualified is schema.table, as pgqtune's reports name tables.
func (ix Index) Qualified() string { return ix.Schema + "." + ix.Table }

// ClaimIndexes returns the indexes lib's claim relies on, on the table
// that holds them:
//   - pg-boss 10: the queue partition's fetch index <partition>_i5;
//   - graphile-worker: jobs_main_index and jobs_no_queue_index on
//     graphile_worker._private_jobs;
//   - River: river_job_prioritized_fetching_index on river_job;
//   - pgmq: the queue table's vt index, q_<queue>_vt_idx.
func ClaimIndexes(ctx context.Context, pool *pgxpool.Pool, lib Library) ([]Index, error) {
	var schema string
	var names []string
	switch lib {
	case PgBoss:
		var part string
		if err := pool.QueryRow(ctx, `SELECT partition_name FROM pgboss.queue WHERE name = $1`, "pgqtune").Scan(&part); err != nil {
			return nil, fmt.Errorf("reallibs: pg-boss partition of queue pgqtune: %w", err)
		}
		schema, names = "pgboss", []string{part + "_i5"}
	case Graphile:
		schema, names = "graphile_worker", []string{"jobs_main_index", "jobs_no_queue_index"}
	case River:
		schema, names = "public", []string{"river_job_prioritized_fetching_index"}
	case Pgmq:
		schema, names = "pgmq", []string{"q_" + PgmqQueue + "_vt_idx"}
	default:
		return nil, fmt.Errorf("reallibs: unknown library %q", lib)
	}
	rows, err := pool.Query(ctx, claimIndexesSQL, schema, names)
	if err != nil {
		return nil, fmt.Errorf("reallibs: %s claim indexes: %w", lib, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Index, error) {
		var ix Index
		return ix, r.Scan(&ix.Schema, &ix.Table, &ix.Name, &ix.Def)
	})
	if err != nil {
		return nil, fmt.Errorf("reallibs: %s claim indexes: %w", lib, err)
	}
	if len(out) != len(names) {
		return nil, fmt.Errorf("reallibs: %s claim indexes: found %d of %v in schema %s", lib, len(out), names, schema)
	}
	return out, nil
}

// DropIndexes drops ixs CONCURRENTLY, so that the fault is the missing
// index alone: a plain DROP INDEX queues for ACCESS EXCLUSIVE behind
// autovacuum and stops every claim behind it, a lock fault of its own.
// An index on a partitioned table cannot be dropped concurrently; it is
// dropped plainly.
func DropIndexes(ctx context.Context, pool *pgxpool.Pool, ixs []Index) error {
	for _, ix := range ixs {
		name := pgx.Identifier{ix.Schema, ix.Name}.Sanitize()
		if _, err := pool.Exec(ctx, "DROP INDEX CONCURRENTLY "+name); err != nil {
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "0A000" { // feature_not_supported
				return fmt.Errorf("reallibs: drop index %s: %w", ix.Name, err)
			}
			if _, err := pool.Exec(ctx, "DROP INDEX "+name); err != nil {
				return fmt.Errorf("reallibs: drop index %s: %w", ix.Name, err)
			}
		}
	}
	return nil
}

// LockTable holds ACCESS EXCLUSIVE on table (schema.table, quoted as
// needed) until stop: the forgotten LOCK TABLE of a migration.
func LockTable(ctx context.Context, dsn, schema, table string) (stop func(), err error) {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("reallibs: lock: connect: %w", err)
	}
	tx, err := c.Begin(ctx)
	if err == nil {
		_, err = tx.Exec(ctx, "LOCK TABLE "+pgx.Identifier{schema, table}.Sanitize()+" IN ACCESS EXCLUSIVE MODE")
	}
	if err != nil {
		c.Close(context.Background())
		return nil, fmt.Errorf("reallibs: lock %s.%s: %w", schema, table, err)
	}
	return func() {
		_ = tx.Rollback(context.Background())
		c.Close(context.Background())
	}, nil
}

// JobTable is the table lib's jobs live in, as its claim reads it: the
// pg-boss partitioned parent (a lock on it blocks every partition), the
// graphile-worker private jobs table, River's river_job, the pgmq queue.
func JobTable(lib Library) (schema, table string) {
	switch lib {
	case PgBoss:
		return "pgboss", "job"
	case Graphile:
		return "graphile_worker", "_private_jobs"
	case River:
		return "public", "river_job"
	default:
		return "pgmq", "q_" + PgmqQueue
	}
}
