package sqlload

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// CollectInt64s runs a one-column bigint query (an adapter's Pending or
// Lookup) and returns its values; errors are wrapped with op, which names
// the adapter and the operation ("pgmq: pending in q").
func CollectInt64s(ctx context.Context, pool *pgxpool.Pool, op, sql string, args ...any) ([]int64, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// JobIDs returns the adapters' own keys (Job.ID) of jobs, in order, as the
// bigint[] parameter of a completion or failure statement.
func JobIDs(jobs []*Job) []int64 {
	out := make([]int64, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}
