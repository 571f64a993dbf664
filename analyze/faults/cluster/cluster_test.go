// Package cluster_test holds the fault tests whose signals are cluster-wide
// (checkpoints, WAL, the host's CPUs): they get their own cluster, with
// fsync on, and run one at a time.
package cluster_test

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

const (
	main  = 25 * time.Second
	after = 10 * time.Second
	span  = 12 * time.Second
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
// What forced checkpoints do to a database is make the next change to
// every page write a full-page image: a second application updates random
// rows of a 40 MB table all run long (500 a transaction), and during the
// fault its WAL fills with full-page images (measured: ~10,000 FPI/s
// against ~0). On this machine the queue itself often does not slow
// (its few hot pages, a fast disk): the finding is then the whole-run
// kind, checkpoints more frequent than checkpoint_warning, which is what
// a DBA acts on (max_wal_size, who runs CHECKPOINT) before it bites.
func TestCheckpointLoop(t *testing.T) {
	out, w := faults.Run(t, pgtest.NewDB(t), faults.Scenario(t, 150, main), &faults.Fault{
		After: after, For: span,
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

// TestCPUHog: CPU-bound foreign queries -> cpu_saturation. A light queue
// shrugs off CPU hogs entirely (the scheduler favours its short bursts:
// measured here, 16 hogs on 2 cores left an open-loop 300 jobs/s run
// untouched), so the queue runs near what the machine sustains (1,500
// jobs/s with fsync off, hence the pgtest cluster of the faults package
// would do as well; here it shares the fsync-on one and still keeps up)
// and the hogs take the cores it needs. Their queries are short (a
// fraction of a second each) so that they do not also hold the xmin
// horizon back, and loop in PL/pgSQL so that they spill nothing to temp
// files.
func TestCPUHog(t *testing.T) {
	out, w := faults.Run(t, pgtest.NewDB(t), faults.Scenario(t, 1500, main), &faults.Fault{After: after, For: span, Start: faults.Loop(16,
		func(ctx context.Context, c *pgx.Conn) error {
			_, err := c.Exec(ctx, "DO $$DECLARE x float8 := 0; BEGIN FOR i IN 1..300000 LOOP x := x + sqrt(i); END LOOP; END$$")
			return err
		})})
	faults.RequireCause(t, out, w, analyze.CauseCPU)
}
