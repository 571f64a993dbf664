package faultinject_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/internal/pipeline"
	"github.com/pgqtune/pgqtune/runrec"
)

// sentinel creates a table of the user's that every run must leave alone.
func sentinel(t *testing.T, dsn string) {
	t.Helper()
	pool := pgtest.Pool(t, dsn)
	if _, err := pool.Exec(context.Background(), `CREATE TABLE public.keep_me (id int); INSERT INTO public.keep_me VALUES (1)`); err != nil {
		t.Fatal(err)
	}
}

// untouched fails unless the database holds exactly what it held before a
// run: the user's table and no pgqtune schema, and no workload session is
// left behind.
func untouched(t *testing.T, dsn string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var schemas, rows, sessions int
	err = conn.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = 'pgqtune'),
		(SELECT count(*) FROM public.keep_me),
		(SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pgqtune%')`).
		Scan(&schemas, &rows, &sessions)
	if err != nil {
		t.Fatalf("inspect the database: %v", err)
	}
	if schemas != 0 || rows != 1 || sessions != 0 {
		t.Fatalf("database not left as it was: %d pgqtune schemas, %d rows in the user's table, %d pgqtune sessions", schemas, rows, sessions)
	}
}

// readOnlyDir returns a directory this process cannot write into: mode 0555
// for an ordinary user, the immutable attribute for root (whom modes do not
// stop).
func readOnlyDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
			t.Skipf("root cannot make a read-only directory here (chattr +i: %v: %s)", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("chattr", "-i", dir).Run() })
	}
	if f, err := os.Create(filepath.Join(dir, "probe")); err == nil {
		f.Close()
		t.Fatal("the read-only directory took a write")
	}
	return dir
}

// TestRunDirReadOnly: a run directory that cannot be written is bad input,
// found before the database is touched.
func TestRunDirReadOnly(t *testing.T) {
	dsn := pgtest.NewDB(t)
	sentinel(t, dsn)
	ro := readOnlyDir(t)
	for _, out := range []string{ro, filepath.Join(ro, "run")} {
		_, err := pipeline.Run(context.Background(), pipeline.RunOptions{DSN: dsn, Scenario: scenario, Out: out})
		if err == nil {
			t.Fatalf("run into %s succeeded", out)
		}
		t.Logf("error: %v", err)
		if !strings.Contains(err.Error(), out) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("want one line naming %s, got %q", out, err)
		}
		if !errorsIsBadInput(err) {
			t.Fatalf("an unwritable --out is bad input (exit 2), got %v", err)
		}
		untouched(t, dsn)
	}
}

// TestRunDirFull makes every write of the workload timeline fail with
// ENOSPC (the file is /dev/full) once the load runs: the run stops the
// workload at once, returns one line naming the failure, and leaves the
// database as it was (the schema it made is dropped).
func TestRunDirFull(t *testing.T) {
	for _, file := range []string{runrec.WorkloadFile, runrec.SamplesFile} {
		t.Run(file, func(t *testing.T) {
			dsn := pgtest.NewDB(t)
			sentinel(t, dsn)
			out := filepath.Join(t.TempDir(), "run")
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/dev/full", filepath.Join(out, file)); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			var loadRan bool
			_, err := pipeline.Run(context.Background(), pipeline.RunOptions{
				DSN: dsn, Scenario: scenario, Out: out, Duration: 60 * time.Second,
				OnStart: func(context.Context, pipeline.Target) { loadRan = true },
			})
			took := time.Since(start)
			if err == nil {
				t.Fatal("a run that could not record anything succeeded")
			}
			t.Logf("after %s: %v", took.Round(time.Millisecond), err)
			if !loadRan {
				t.Fatal("the load never started: the fault was not mid-run")
			}
			if strings.Contains(err.Error(), "\n") || !errorsIs(err, syscall.ENOSPC) {
				t.Fatalf("want one line carrying ENOSPC, got %q", err)
			}
			// Not a speed check: a workload that was not stopped runs its full
			// 60 s.
			if took > 40*time.Second {
				t.Fatalf("the workload was not stopped: the run took %s", took)
			}
			untouched(t, dsn)
		})
	}
}
