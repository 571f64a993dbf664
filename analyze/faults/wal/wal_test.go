package wal_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/analyze/faults"
	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/internal/pipeline"
)

// Checkpoints only cost something when pages must reach the disk: this
// binary's cluster keeps fsync on, and full_page_writes (the default).
func TestMain(m *testing.M) {
	pgtest.Main(m, pgserver.Options{Fsync: true, Settings: map[string]string{
		"autovacuum_naptime": "1s",
	}})
}

// TestCheckpointLoop: CHECKPOINT in a loop -> checkpoint_pressure.
func TestCheckpointLoop(t *testing.T) {
	out, w := faults.Run(t, pgtest.NewDB(t), faults.Scenario(t, 150, 25*time.Second), &faults.Fault{
		After: 10 * time.Second, For: 12 * time.Second,
		Start: func(ctx context.Context, tg pipeline.Target) (func(), error) {
			return faults.Loop(1, func(ctx context.Context, c *pgx.Conn) error {
				_, err := c.Exec(ctx, "CHECKPOINT")
				if err == nil {
					select {
					case <-ctx.Done():
					case <-time.After(200 * time.Millisecond):
					}
				}
				return err
			})(ctx, tg)
		}})
	faults.RequireCause(t, out, w, analyze.CauseCheckpoint)
}
