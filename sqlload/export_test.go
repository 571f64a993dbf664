package sqlload_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/sqlload"
)

// TestExportPgbench writes the baseline's scripts and runs them with the
// real psql and pgbench: the exported SQL must create the queue, enqueue
// full batches and claim and complete them.
func TestExportPgbench(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sc := load(t, "baseline", sqlload.Overrides{})
	dir := t.TempDir()
	if err := sqlload.ExportPgbench(sc, "bench q", dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"setup.sql", "enqueue.sql", "consume.sql", "run.sh", "scenario.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("missing %s: %v", f, err)
		}
	}
	runSh, _ := os.ReadFile(filepath.Join(dir, "run.sh"))
	if !strings.Contains(string(runSh), "-R 20.00") || !strings.Contains(string(runSh), "-c 4") {
		t.Fatalf("run.sh does not carry the scenario's rate (200 jobs/s = 20 tx/s of 10) and consumers:\n%s", runSh)
	}

	dsn := pgtest.NewDB(t)
	bin := pgtest.Server().BinDir()
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, filepath.Join(bin, name), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	run("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", filepath.Join(dir, "setup.sql"), dsn)
	run("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", filepath.Join(dir, "setup.sql"), dsn) // idempotent
	run("pgbench", "-n", "-f", filepath.Join(dir, "enqueue.sql"), "-c", "2", "-t", "5", dsn)
	pool := mustPool(t, dsn)
	defer pool.Close()
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM "bench q".job WHERE state = 'pending'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 2*5*sc.EnqueueBatch {
		t.Fatalf("%d jobs after 10 enqueue transactions of %d", n, sc.EnqueueBatch)
	}
	run("pgbench", "-n", "-f", filepath.Join(dir, "consume.sql"), "-c", "2", "-t", "3", dsn)
	if n := count(); n != 100-2*3*sc.DequeueBatch {
		t.Fatalf("%d jobs left after 6 claims of %d", n, sc.DequeueBatch)
	}
	var active int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM "bench q".job WHERE state <> 'pending'`).Scan(&active); err != nil {
		t.Fatal(err)
	}
	if active != 0 {
		t.Fatalf("%d claimed jobs were not completed (delete mode)", active)
	}

	t.Run("adapters without an exporter say so", func(t *testing.T) {
		bad := load(t, "baseline", sqlload.Overrides{})
		bad.Adapter = "no-such"
		if err := sqlload.ExportPgbench(bad, "x", t.TempDir()); err == nil {
			t.Fatal("exported an unknown adapter")
		}
	})
}
