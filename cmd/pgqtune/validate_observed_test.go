package main_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/runrec"
)

// claimScript is a home-grown queue's worker loop as a pgbench script: claim
// the next pending job with SKIP LOCKED, complete it, enqueue one more so the
// backlog stays as deep for the next repetition. Its claim wants an index
// on (priority DESC, run_at) WHERE state = 'pending'.
const claimScript = `BEGIN;
WITH c AS (SELECT id FROM app.jobs WHERE state = 'pending' AND run_at <= now() ORDER BY priority DESC, run_at LIMIT 1 FOR UPDATE SKIP LOCKED) UPDATE app.jobs j SET state = 'running' FROM c WHERE j.id = c.id RETURNING j.id AS job_id \gset
UPDATE app.jobs SET state = 'completed', finished_at = now() WHERE id = :job_id;
COMMIT;
INSERT INTO app.jobs (state) VALUES ('pending');
`

// Secrets the observed command is given; neither may be written anywhere.
const (
	dsnSecret = "hunter2-dsn-secret"
	envSecret = "value-of-an-env-var-never-stored"
)

// withPassword puts a password into a pgtest DSN (the cluster trusts
// 127.0.0.1, so it is sent nowhere, but pgqtune must still never write it).
func withPassword(dsn string) string {
	return strings.Replace(dsn, "://postgres@", "://postgres:"+dsnSecret+"@", 1)
}

// setupBacklog creates app.jobs holding 40000 finished jobs and 3000
// pending ones, without the index its claim needs: every claim reads past
// the finished rows.
func setupBacklog(t *testing.T, ctx context.Context, dsn string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, sql := range []string{
		`CREATE SCHEMA app`,
		`CREATE TABLE app.jobs (id bigserial PRIMARY KEY, queue text NOT NULL DEFAULT 'default',
			state text NOT NULL DEFAULT 'pending', priority int NOT NULL DEFAULT 0,
			run_at timestamptz NOT NULL DEFAULT now(), payload jsonb NOT NULL DEFAULT '{}', finished_at timestamptz)`,
		`INSERT INTO app.jobs (state, finished_at) SELECT 'completed', now() FROM generate_series(1, 40000)`,
		`INSERT INTO app.jobs (state) SELECT 'pending' FROM generate_series(1, 3000)`,
		`VACUUM ANALYZE app.jobs`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// observeCommand observes `pgbench ... claimScript` on dsn and returns the
// run directory.
func observeCommand(t *testing.T, ctx context.Context, dsn string, env []string) string {
	t.Helper()
	if _, err := exec.LookPath("pgbench"); err != nil {
		t.Skip("pgbench is not installed (Debian: postgresql-client; scripts/deps.sh installs it)")
	}
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "claim.sql"), []byte(claimScript), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "observed")
	r := pgqtune(t, ctx, env, "observe", "--dsn", dsn, "--interval", "100ms", "--out", dir, "-q", "--",
		"pgbench", withPassword(dsn), "-n", "-f", filepath.Join(work, "claim.sql"), "-c", "4", "-j", "2", "-t", "100")
	if r.code != 0 {
		t.Fatalf("observe exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return dir
}

// assertNoSecret fails when a file under dir holds one of the secrets.
func assertNoSecret(t testing.TB, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range []string{dsnSecret, envSecret} {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds the secret %q", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestValidateObserved: observe a pgbench workload command on a queue
// table whose claim index is missing, then validate the index
// recommendation on the observed database by re-running the command. The
// test asserts the significance and direction of the measured change, not
// its size.
func TestValidateObserved(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dsn := pgtest.NewDB(t)
	setupBacklog(t, ctx, dsn)
	env := []string{"PGQTUNE_TEST_SECRET=" + envSecret}
	dir := observeCommand(t, ctx, dsn, env)

	run, err := runrec.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := run.Meta.Command
	if c == nil || c.Args[0] != "pgbench" || !c.PasswordMasked || c.Dir == "" {
		t.Fatalf("recorded command = %+v", c)
	}
	if !slices.Contains(c.EnvNames, "PGQTUNE_TEST_SECRET") {
		t.Errorf("env names %v lack PGQTUNE_TEST_SECRET", c.EnvNames)
	}
	for _, n := range c.EnvNames {
		if strings.Contains(n, "=") {
			t.Errorf("env name %q carries a value", n)
		}
	}
	assertNoSecret(t, dir)

	rep := loadReport(t, dir)
	rec := findRec(rep, runrec.RecIndex, "CREATE INDEX CONCURRENTLY")
	if rec == nil || !strings.Contains(rec.SQL, "app.jobs") || !strings.Contains(rec.SQL, "WHERE state = 'pending'") {
		t.Fatalf("no index recommendation for app.jobs' claim: %+v\nnotes %v", rep.Recommendations, rep.Notes)
	}

	t.Run("refuses a recommendation without a safe rollback", func(t *testing.T) {
		bad := copyRun(t, dir)
		editReport(t, bad, func(r *runrec.Report) {
			for i := range r.Recommendations {
				if r.Recommendations[i].ID == rec.ID {
					r.Recommendations[i].Rollback = "None needed: drop it by hand if you must."
				} else {
					// Only rec is left for validate to choose by default.
					r.Recommendations[i].Informational = true
				}
			}
		})
		r := pgqtune(t, ctx, nil, "validate", bad, "--dsn", withPassword(dsn), "--apply-to-target", "--recommendation", rec.ID, "-q")
		if r.code != 2 || !strings.Contains(r.stderr, "no safe rollback") {
			t.Fatalf("exit %d, stderr %q; want 2 naming the missing rollback", r.code, r.stderr)
		}
		// Unnamed, it is left out; with nothing else to validate, refused.
		r = pgqtune(t, ctx, nil, "validate", bad, "--dsn", withPassword(dsn), "--apply-to-target", "-q")
		if r.code != 2 || !strings.Contains(r.stderr, rec.ID+" left out") || !strings.Contains(r.stderr, "no safe rollback") {
			t.Fatalf("exit %d, stderr %q; want 2 saying %s was left out for its rollback", r.code, r.stderr, rec.ID)
		}
		assertIndexAbsent(t, ctx, dsn)
	})
	t.Run("refuses another database", func(t *testing.T) {
		other := strings.Replace(dsn, "/"+dbName(t, dsn)+"?", "/postgres?", 1)
		r := pgqtune(t, ctx, nil, "validate", dir, "--dsn", other, "--apply-to-target", "--recommendation", rec.ID, "-q")
		if r.code != 2 || !strings.Contains(r.stderr, "observed") {
			t.Fatalf("exit %d, stderr %q; want 2 naming the observed database", r.code, r.stderr)
		}
	})

	// Four interleaved repetitions per arm, each 400 claims sampled every
	// 100 ms: the sampler's tick bounds how exactly a short repetition's
	// span is known, and three per arm of 200 claims at 250 ms once gave
	// p = 0.04 for a threefold gain on a loaded machine.
	r := pgqtune(t, ctx, env, "validate", dir, "--dsn", withPassword(dsn), "--apply-to-target",
		"--recommendation", rec.ID, "--reps", "4", "-q")
	if r.code != 0 {
		t.Fatalf("validate exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	t.Logf("%s", r.stdout)
	after := loadReport(t, dir)
	v := findRec(after, runrec.RecIndex, "CREATE INDEX CONCURRENTLY").Validation
	if v == nil || v.Method != "rerun" || v.Unit != "jobs/s" || v.Significant == nil {
		t.Fatalf("rerun validation = %+v", v)
	}
	// The claim reads 40000 finished rows without the index and a few
	// index pages with it: the direction holds however busy the machine.
	if v.After <= v.Before || !*v.Significant {
		t.Fatalf("index: %.1f -> %.1f jobs/s, significant %v; want a significant gain\n%s", v.Before, v.After, *v.Significant, r.stdout)
	}
	if !strings.Contains(v.Note, "observed database") {
		t.Errorf("note does not say where it ran: %q", v.Note)
	}
	// Every "with" repetition was rolled back: the target is as found.
	assertIndexAbsent(t, ctx, dsn)
	assertNoSecret(t, dir)
	md, err := os.ReadFile(filepath.Join(dir, runrec.ReportMD))
	if err != nil || !strings.Contains(string(md), "rerun") {
		t.Errorf("report.md was not re-rendered with the validation (err %v)", err)
	}
}

// TestValidateObservedNoCommand: an observation that only watched (no
// -- COMMAND) has nothing to re-run: exit 2, the reason, nothing changed.
func TestValidateObservedNoCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn := pgtest.NewDB(t)
	dir := filepath.Join(t.TempDir(), "watched")
	if r := pgqtune(t, ctx, nil, "observe", "--dsn", dsn, "--duration", "2s", "--out", dir, "-q"); r.code != 0 {
		t.Fatalf("observe exit %d: %s", r.code, r.stderr)
	}
	r := pgqtune(t, ctx, nil, "validate", dir, "--dsn", dsn, "--apply-to-target", "-q")
	if r.code != 2 || !strings.Contains(r.stderr, "without a recorded command") {
		t.Fatalf("exit %d, stderr %q; want 2 saying no command was recorded", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, runrec.ValidateDir)); err == nil {
		t.Errorf("a refused validate left %s behind", runrec.ValidateDir)
	}
}

func assertIndexAbsent(t *testing.T, ctx context.Context, dsn string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = 'app' AND tablename = 'jobs' AND indexname <> 'jobs_pkey'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("app.jobs has %d index(es) beyond its primary key: a recommendation was left applied", n)
	}
}

func dbName(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}

// copyRun copies a run directory's top-level files.
func copyRun(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(dir))
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// editReport rewrites dir's report.json through fn.
func editReport(t *testing.T, dir string, fn func(*runrec.Report)) {
	t.Helper()
	path := filepath.Join(dir, runrec.ReportJSON)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep runrec.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	fn(&rep)
	if err := runrec.WriteJSON(path, &rep); err != nil {
		t.Fatal(err)
	}
}
