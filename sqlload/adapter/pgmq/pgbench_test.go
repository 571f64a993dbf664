package pgmq_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/sqlload"
	// The built-in baseline scenario, loaded before its adapter is
	// overridden, names skiplocked.
	_ "github.com/pgqtune/pgqtune/sqlload/adapter/skiplocked"
)

// TestPgmqPgbench exports a pgmq scenario and runs the scripts with the real
// psql and pgbench: setup creates the tables (twice: idempotent), enqueue
// sends full batches, consume reads and deletes or archives them.
func TestPgmqPgbench(t *testing.T) {
	for _, completion := range []string{"delete", "archive"} {
		t.Run(completion, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sc, err := sqlload.LoadScenario("baseline")
			if err != nil {
				t.Fatal(err)
			}
			if err := sc.Apply(sqlload.Overrides{Adapter: "pgmq"}); err != nil {
				t.Fatal(err)
			}
			sc.AdapterSettings = sqlload.Settings{"completion": completion}
			dir := t.TempDir()
			if err := sqlload.ExportPgbench(sc, "bench_pgmq", dir); err != nil {
				t.Fatal(err)
			}
			dsn := pgtest.NewDB(t)
			bin := pgtest.Server().BinDir()
			run := func(name string, args ...string) {
				t.Helper()
				out, err := exec.CommandContext(ctx, filepath.Join(bin, name), args...).CombinedOutput()
				if err != nil {
					script, _ := os.ReadFile(filepath.Join(dir, "consume.sql"))
					t.Fatalf("%s %v: %v\n%s\nconsume.sql:\n%s", name, args, err, out, script)
				}
			}
			for i := 0; i < 2; i++ {
				run("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", filepath.Join(dir, "setup.sql"), dsn)
			}
			run("pgbench", "-n", "-f", filepath.Join(dir, "enqueue.sql"), "-c", "2", "-t", "5", dsn)
			pool := pgtest.Pool(t, dsn)
			var live, archived int
			counts := func() {
				t.Helper()
				err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM bench_pgmq.q_default), (SELECT count(*) FROM bench_pgmq.a_default)`).Scan(&live, &archived)
				if err != nil {
					t.Fatal(err)
				}
			}
			counts()
			if want := 2 * 5 * sc.EnqueueBatch; live != want {
				t.Fatalf("%d messages after 10 sends of %d, want %d", live, sc.EnqueueBatch, want)
			}
			run("pgbench", "-n", "-f", filepath.Join(dir, "consume.sql"), "-c", "2", "-t", "3", dsn)
			counts()
			done := 2 * 3 * sc.DequeueBatch
			if live != 2*5*sc.EnqueueBatch-done {
				t.Fatalf("%d messages left after 6 reads of %d", live, sc.DequeueBatch)
			}
			wantArchived := 0
			if completion == "archive" {
				wantArchived = done
			}
			if archived != wantArchived {
				t.Fatalf("%d archived, want %d", archived, wantArchived)
			}
		})
	}
}
