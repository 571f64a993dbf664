package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/runrec"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pgqtune-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "pgqtune")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build pgqtune: %v\n%s", err, out)
		os.Exit(1)
	}
	// Commands that default to ./pgqtune-runs write there: run every test
	// from a scratch directory so nothing lands in the source tree. Paths
	// to the repository's testdata are made absolute before this.
	work := filepath.Join(dir, "cwd")
	if err := os.Mkdir(work, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.Chdir(work); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pgtest.Main(m, pgserver.Options{})
}

type result struct {
	code           int
	stdout, stderr string
}

func pgqtune(t testing.TB, ctx context.Context, env []string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(ctx, binary, args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.Env = append(os.Environ(), env...)
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run pgqtune %v: %v", args, err)
	}
	return result{code, so.String(), se.String()}
}

func loadReport(t testing.TB, dir string) *runrec.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, runrec.ReportJSON))
	if err != nil {
		t.Fatal(err)
	}
	if err := runrec.ValidateJSON(b); err != nil {
		t.Fatalf("report.json does not follow the contract: %v", err)
	}
	var rep runrec.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t.Run("throwaway cluster end to end", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "run")
		r := pgqtune(t, ctx, nil, "run", "--duration", "5s", "--out", out, "-P", "1", "--fail-if", "lost>0")
		if r.code != 0 || !strings.Contains(r.stdout, "fail-if lost>0: ok, lost = 0 jobs") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		// -P 1: a progress line every second of the 5 s run (and one at
		// the end), pgbench style.
		if n := strings.Count(r.stderr, "progress: "); n < 4 {
			t.Fatalf("%d progress lines with -P 1:\n%s", n, r.stderr)
		}
		rep := loadReport(t, out)
		if rep.SchemaVersion != 1 || rep.Run.Mode != "run" {
			t.Fatalf("schema_version=%d mode=%q", rep.SchemaVersion, rep.Run.Mode)
		}
		// Every report names the build that wrote it.
		if rep.PgqtuneVersion == "" {
			t.Fatal("report.json has no pgqtune_version")
		}
		in := rep.Integrity
		if in == nil || in.Completed == 0 {
			t.Fatalf("no completed jobs: %+v", in)
		}
		if in.Lost != 0 || in.Duplicated != 0 || in.Enqueued != in.Completed+in.Pending {
			t.Fatalf("jobs not accounted for: %+v", in)
		}
		if len(rep.Throughput.Series) < 3 {
			t.Fatalf("throughput series has %d points", len(rep.Throughput.Series))
		}
		for _, f := range []string{runrec.ReportMD, runrec.ReportHTML, runrec.SamplesFile, runrec.WorkloadFile} {
			if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
				t.Fatalf("%s missing or empty (%v)", f, err)
			}
		}
		for _, want := range []string{"jobs/s", "p99", out} {
			if !strings.Contains(r.stdout, want) {
				t.Fatalf("summary lacks %q:\n%s", want, r.stdout)
			}
		}
		// The sampler recorded its one decision about the statements.
		var meta runrec.Meta
		if err := runrec.ReadJSON(filepath.Join(out, runrec.MetaFile), &meta); err != nil {
			t.Fatal(err)
		}
		claims := 0
		for _, sr := range meta.StatementRoles {
			if sr.Role == "claim" {
				claims++
				if sr.Library != "pgqtune-skiplocked" || sr.Queue != "pgqtune.job" || !strings.Contains(sr.Text, "SKIP LOCKED") {
					t.Errorf("claim recorded as %+v", sr)
				}
			}
		}
		if claims == 0 || !slices.Contains(meta.Libraries, "pgqtune-skiplocked") {
			t.Fatalf("run.json: libraries %v, statement roles %+v", meta.Libraries, meta.StatementRoles)
		}
		// analyze on the saved run reproduces the findings without a database.
		before := rep
		a := pgqtune(t, ctx, nil, "analyze", out)
		if a.code != 0 {
			t.Fatalf("analyze exit %d: %s", a.code, a.stderr)
		}
		after := loadReport(t, out)
		if len(after.Findings) != len(before.Findings) || after.Throughput.Baseline != before.Throughput.Baseline {
			t.Fatalf("analyze changed the report: findings %d -> %d, baseline %v -> %v",
				len(before.Findings), len(after.Findings), before.Throughput.Baseline, after.Throughput.Baseline)
		}
	})

	t.Run("against a DSN, in its own schema, which it removes", func(t *testing.T) {
		dsn := pgtest.NewDB(t)
		out := filepath.Join(t.TempDir(), "run")
		r := pgqtune(t, ctx, nil, "run", "--dsn", dsn, "--duration", "4s", "--out", out, "-q", "--store", dsn)
		if r.code != 0 {
			t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
		}
		// --store kept the report in the shared results schema.
		h := pgqtune(t, ctx, nil, "history", "--store", dsn)
		if h.code != 0 || !strings.Contains(h.stdout, filepath.Base(loadReport(t, out).Run.ID)) {
			t.Fatalf("history --store does not list the run: exit %d\n%s\n%s", h.code, h.stdout, h.stderr)
		}
		rep := loadReport(t, out)
		if rep.Integrity == nil || rep.Integrity.Completed == 0 || rep.Integrity.Lost != 0 {
			t.Fatalf("integrity: %+v", rep.Integrity)
		}
		pool := pgtest.Pool(t, dsn)
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgqtune'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("schema pgqtune left behind (n=%d err=%v)", n, err)
		}
	})

	t.Run("refuses a schema it did not create", func(t *testing.T) {
		dsn := pgtest.NewDB(t)
		pool := pgtest.Pool(t, dsn)
		if _, err := pool.Exec(ctx, "CREATE SCHEMA pgqtune; CREATE TABLE pgqtune.precious (x int)"); err != nil {
			t.Fatal(err)
		}
		r := pgqtune(t, ctx, nil, "run", "--dsn", dsn, "--duration", "2s", "--out", filepath.Join(t.TempDir(), "r"), "-q")
		if r.code != 2 || !strings.Contains(r.stderr, "not created by pgqtune") {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM pgqtune.precious").Scan(&n); err != nil {
			t.Fatalf("precious table touched: %v", err)
		}
	})
}

func TestBadInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const secret = "s3cr3t-Pa55"
	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown flag", []string{"run", "--bogus"}, nil, "unknown flag: --bogus"},
		{"unknown command", []string{"frobnicate"}, nil, "unknown command"},
		{"negative duration", []string{"run", "--duration", "-5s"}, nil, "--duration"},
		{"bad duration", []string{"run", "--duration", "soon"}, nil, "--duration"},
		{"unknown scenario", []string{"run", "--scenario", "no-such-scenario", "--duration", "1s"}, nil, "no-such-scenario"},
		{"unreachable server, URL DSN", []string{"run", "--dsn", "postgres://bob:" + secret + "@127.0.0.1:1/app", "--duration", "1s", "--out", "@TMP@"}, nil, "127.0.0.1:1"},
		{"unreachable server, key=value DSN", []string{"run", "--dsn", "host=127.0.0.1 port=1 user=bob password=" + secret, "--duration", "1s", "--out", "@TMP@"}, nil, "127.0.0.1:1"},
		{"unreachable server, PGPASSWORD", []string{"observe", "--dsn", "postgres://bob@127.0.0.1:1/app", "--duration", "1s", "--out", "@TMP@"}, []string{"PGPASSWORD=" + secret}, "127.0.0.1:1"},
		{"observe without target", []string{"observe", "--duration", "1s"}, []string{"PGHOST=", "PGQTUNE_DSN="}, "--dsn"},
		{"analyze a non-run directory", []string{"analyze", "@TMP@"}, nil, "not a run directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string(nil), c.args...)
			for i, a := range args {
				if a == "@TMP@" {
					args[i] = t.TempDir()
				}
			}
			start := time.Now()
			r := pgqtune(t, ctx, c.env, args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("want one line containing %q, got %q", c.want, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Fatalf("password leaked: %q", r.stderr)
			}
			if el := time.Since(start); el > 15*time.Second {
				t.Logf("took %s (the contract is an error within 10s)", el)
			}
		})
	}
}

func TestInterrupt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, sig := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(sig.sig.String(), func(t *testing.T) {
			dsn := pgtest.NewDB(t)
			out := filepath.Join(t.TempDir(), "run")
			cmd := exec.CommandContext(ctx, binary, "run", "--dsn", dsn, "--duration", "60s", "--out", out, "-q")
			var se bytes.Buffer
			cmd.Stderr = &se
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait until samples are being recorded, then interrupt.
			deadline := time.Now().Add(45 * time.Second)
			for time.Now().Before(deadline) {
				if fi, err := os.Stat(filepath.Join(out, runrec.WorkloadFile)); err == nil && fi.Size() > 0 {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			time.Sleep(2 * time.Second)
			_ = cmd.Process.Signal(sig.sig)
			err := cmd.Wait()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != sig.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, sig.code, se.String())
			}
			rep := loadReport(t, out)
			if rep.Integrity == nil || rep.Integrity.Completed == 0 {
				t.Fatalf("partial report has no completed jobs: %+v", rep.Integrity)
			}
			if rep.Integrity.Lost != 0 || rep.Integrity.Duplicated != 0 {
				t.Fatalf("integrity after interrupt: %+v", rep.Integrity)
			}
		})
	}
}
