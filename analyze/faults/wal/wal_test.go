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
//
// The queue alone touches a handful of hot pages, so forced checkpoints
// cost it nothing (measured: 4 checkpoints/s left a 150 jobs/s run
// untouched). What checkpoints do to a real database is make every first
// change to a page after each of them write a full-page image: so a
// second application updates random rows of a 40 MB table all run long
// (500 a transaction), and during the fault each of its updates writes
// 8 kB of WAL instead of a hundred bytes, which the queue's commits must
// then wait behind.
func TestCheckpointLoop(t *testing.T) {
	out, w := faults.Run(t, pgtest.NewDB(t), faults.Scenario(t, 150, 25*time.Second), &faults.Fault{
		After: 10 * time.Second, For: 12 * time.Second,
		Setup: func(ctx context.Context, tg pipeline.Target) error {
			c, err := faults.Connect(ctx, tg.DSN)
			if err != nil {
				return err
			}
			defer c.Close(context.Background())
			for _, s := range []string{
				"CREATE TABLE public.side (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL)",
				"INSERT INTO public.side SELECT g, 0, repeat('x', 150) FROM generate_series(1, 200000) g",
				"VACUUM ANALYZE public.side",
				"CHECKPOINT",
			} {
				if _, err := c.Exec(ctx, s); err != nil {
					return err
				}
			}
			return nil
		},
		Background: faults.Loop(1, func(ctx context.Context, c *pgx.Conn) error {
			_, err := c.Exec(ctx, "UPDATE public.side SET v = v + 1 WHERE id IN (SELECT 1 + (random() * 199999)::int FROM generate_series(1, 500))")
			return err
		}),
		Start: faults.Loop(1, func(ctx context.Context, c *pgx.Conn) error {
			_, err := c.Exec(ctx, "CHECKPOINT")
			if err == nil {
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
			return err
		}),
	})
	faults.RequireCause(t, out, w, analyze.CauseCheckpoint)
}
