// Package cluster_test holds the fault tests that need a cluster of their
// own with fsync on (checkpoints).
package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/internal/pipeline"
	"github.com/pgqtune/pgqtune/internal/pipeline/faults"
	"github.com/pgqtune/pgqtune/runrec"
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

// sideTable gives the queue's server a second application: a 40 MB table
// whose random rows it updates, dirtying pages for checkpoints to flush.
func sideTable(ctx context.Context, tg pipeline.Target) error {
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
}

// sideWriter updates 500 random rows of public.side a transaction.
var sideWriter = faults.Loop(1, func(ctx context.Context, c *pgx.Conn) error {
	_, err := c.Exec(ctx, "UPDATE public.side SET v = v + 1 WHERE id IN (SELECT 1 + (random() * 199999)::int FROM generate_series(1, 500))")
	return err
})

// TestCheckpointStorm: max_wal_size at its floor (32 MB) for a server whose
// second application writes WAL fast: checkpoints are requested by WAL
// volume, not the timer, all run long. A whole_run checkpoint_pressure
// finding says so with the extra WAL and writes quantified.
//
// On a loaded host the storm also slows commits (a drop named wal_write,
// the checkpoints contributing), and, lasting the whole run, it is in the
// baseline too: neither may hide the whole-run finding (once both did).
func TestCheckpointStorm(t *testing.T) {
	dsn := pgtest.NewDB(t)
	setWAL := func(sql string) {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		for _, s := range []string{sql, "SELECT pg_reload_conf()"} {
			if _, err := c.Exec(context.Background(), s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	setWAL("ALTER SYSTEM SET max_wal_size = '32MB'")
	t.Cleanup(func() { setWAL("ALTER SYSTEM RESET max_wal_size") })
	out, w := faults.Run(t, dsn, faults.Scenario(t, 150, main), &faults.Fault{
		Setup: sideTable, Background: sideWriter, Start: faults.Exec(nil),
	})
	var f *runrec.Finding
	for i := range out.Report.Findings {
		if g := &out.Report.Findings[i]; g.Cause == analyze.CauseCheckpoint && g.Kind == runrec.FindingWholeRun {
			f = g
		}
	}
	if f == nil {
		t.Fatalf("no whole_run checkpoint_pressure finding over %s-%s; report:\n%s", w.Start.Format("15:04:05"), w.End.Format("15:04:05"), faults.Describe(out.Report))
	}
	t.Logf("%s: %s", f.ID, f.Summary)
	signals := map[string]bool{}
	for _, e := range f.Evidence {
		signals[e.Signal] = true
	}
	for _, s := range []string{"checkpoints.requested_vs_timed", "wal.bytes_per_checkpoint_timeout"} {
		if !signals[s] {
			t.Errorf("whole_run checkpoint finding lacks %s evidence: %+v", s, f.Evidence)
		}
	}
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
		Setup:      sideTable,
		Background: sideWriter,
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
