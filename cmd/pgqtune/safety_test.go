package main_test

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/runrec"
)

// baseRun is a recorded run shipped with the report package's tests.
var baseRun = func() string {
	// Absolute: TestMain moves the tests into a scratch working directory.
	p, err := filepath.Abs(filepath.Join("..", "..", "compare", "testdata", "runs", "base"))
	if err != nil {
		panic(err)
	}
	return p
}()

// TestEveryBadValue walks every subcommand's flags and arguments with a
// value that makes no sense: each gets exit 2 and one line naming what is
// wrong, and none reaches a database (the DSNs point at a closed port).
func TestEveryBadValue(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel) // after the parallel subtests
	const nowhere = "postgres://bob@127.0.0.1:1/app"
	file := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A run whose timeline holds a record from year 1 (a corrupt line).
	corrupt := filepath.Join(t.TempDir(), "corrupt")
	copyDir(t, baseRun, corrupt)
	appendLine(t, filepath.Join(corrupt, runrec.WorkloadFile), `{"t":"0001-01-01T00:00:00Z","enqueued":1,"dequeued":1,"completed":1,"depth":0,"oldest_pending_age_s":0}`)

	cases := []struct {
		args []string
		want string
	}{
		// run
		{[]string{"run", "--adapter", "bogus"}, `"bogus"`},
		{[]string{"run", "--consumers", "-1"}, "--consumers"},
		{[]string{"run", "--producers", "-3"}, "--producers"},
		{[]string{"run", "--rate", "-5"}, "--rate"},
		{[]string{"run", "--rate", "NaN"}, "--rate"},
		{[]string{"run", "--rate", "Inf"}, "--rate"},
		{[]string{"run", "--rate", "fast"}, "--rate"},
		{[]string{"run", "--duration", "0s"}, "--duration"},
		{[]string{"run", "--interval", "0s"}, "--interval"},
		{[]string{"run", "--interval", "-1s"}, "--interval"},
		{[]string{"run", "--interval", "x"}, "--interval"},
		{[]string{"run", "--metrics-addr", "no:such:addr"}, "--metrics-addr"},
		{[]string{"run", "--out", file + "/run"}, file},
		{[]string{"run", "--scenario", "/nonexistent/s.yaml"}, "/nonexistent/s.yaml"},
		{[]string{"run", "--export-pgbench", file + "/x"}, "--export-pgbench"},
		{[]string{"run", "--schema", ""}, "--schema"},
		{[]string{"run", "--keep=maybe"}, "--keep"},
		{[]string{"run", "extra"}, "extra"},
		// observe
		{[]string{"observe", "--dsn", nowhere, "--duration", "1s", "--queue-table", "nodot"}, "--queue-table"},
		{[]string{"observe", "--dsn", nowhere, "--duration", "-1s"}, "--duration"},
		{[]string{"observe", "--dsn", nowhere}, "--duration"},
		{[]string{"observe", "--dsn", nowhere, "--duration", "1s", "--metrics-addr", "bad::"}, "--metrics-addr"},
		{[]string{"observe", "--dsn", nowhere, "--duration", "1s", "--out", file + "/run"}, file},
		{[]string{"observe", "--dsn", "postgres://[::1", "--duration", "1s"}, "DSN"},
		// analyze
		{[]string{"analyze"}, "missing RUN_DIR"},
		{[]string{"analyze", "a", "b"}, "too many arguments, want only RUN_DIR"},
		{[]string{"analyze", "/nonexistent"}, "/nonexistent"},
		{[]string{"analyze", file}, file},
		{[]string{"analyze", corrupt}, runrec.WorkloadFile},
		// report
		{[]string{"report"}, "missing RUN_DIR"},
		{[]string{"report", "--format", "pdf", baseRun}, "--format"},
		{[]string{"report", "/nonexistent"}, "/nonexistent"},
		{[]string{"report", "--format", "html", "-o", file + "/r.html", baseRun}, file},
		// compare
		{[]string{"compare", baseRun}, "missing NEW_RUN_DIR"},
		{[]string{"compare", "--max-regression", "-5", baseRun, baseRun}, "--max-regression"},
		{[]string{"compare", "--max-regression", "NaN", baseRun, baseRun}, "--max-regression"},
		{[]string{"compare", "--max-latency-regression", "-1", baseRun, baseRun}, "--max-latency-regression"},
		{[]string{"compare", "--alpha", "2", baseRun, baseRun}, "--alpha"},
		{[]string{"compare", "--alpha", "NaN", baseRun, baseRun}, "--alpha"},
		{[]string{"compare", "--format", "xml", baseRun, baseRun}, "--format"},
		{[]string{"compare", "/nonexistent", baseRun}, "/nonexistent"},
		// history
		{[]string{"history", "--format", "xml"}, "--format"},
		{[]string{"history", "--limit", "-1"}, "--limit"},
		{[]string{"history", "--limit", "x"}, "--limit"},
		{[]string{"history", "--push"}, "--push"},
		{[]string{"history", "--root", "/nonexistent"}, "--root"},
		{[]string{"history", "--root", file}, "--root"},
		// validate
		{[]string{"validate"}, "missing RUN_DIR"},
		{[]string{"validate", "--reps", "0", baseRun}, "--reps"},
		{[]string{"validate", "--duration", "-1s", baseRun}, "--duration"},
		{[]string{"validate", "--dsn", nowhere, baseRun}, "--apply-to-target"},
		{[]string{"validate", "--recommendation", "R99", baseRun}, "R99"},
		{[]string{"validate", "/nonexistent"}, "/nonexistent"},
		// scenarios
		{[]string{"scenarios", "--show", "nosuch"}, "nosuch"},
		{[]string{"scenarios", "--show", file}, file},
		{[]string{"scenarios", "extra"}, "extra"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			r := pgqtune(t, ctx, []string{"PGQTUNE_DSN=", "PGHOST=", "PGQTUNE_RESULTS_DSN="}, c.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("want one line naming %q, got %q", c.want, r.stderr)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Fatalf("crashed: %s", r.stderr)
			}
		})
	}
}

// TestSecretsNeverLeak runs and observes with a password in the DSN (URL
// form, key=value form and PGPASSWORD) and scans everything the runs left
// for it: stdout, stderr, every file of the run directories and the server
// log. The test cluster trusts local connections, so the password is
// ignored by the server, which is all a leak test needs.
func TestSecretsNeverLeak(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const secret = "Sup3r-s3cret-PW"
	dsn := pgtest.NewDB(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("postgres", secret)
	kv := fmt.Sprintf("host=127.0.0.1 port=%s dbname=%s user=postgres password=%s sslmode=disable", u.Port(), strings.TrimPrefix(u.Path, "/"), secret)
	root := t.TempDir()
	runs := []struct {
		name string
		env  []string
		args []string
	}{
		{"run, URL DSN", nil, []string{"run", "--dsn", u.String(), "--duration", "4s", "--out", filepath.Join(root, "run-url")}},
		{"observe, key=value DSN", nil, []string{"observe", "--dsn", kv, "--duration", "3s", "--out", filepath.Join(root, "observe-kv")}},
		{"observe, PGPASSWORD", []string{"PGPASSWORD=" + secret}, []string{"observe", "--dsn", dsn, "--duration", "3s", "--out", filepath.Join(root, "observe-env")}},
		{"run, no such database", nil, []string{"run", "--dsn", strings.Replace(u.String(), u.Path, "/no_such_db", 1), "--duration", "2s", "--out", filepath.Join(root, "nodb")}},
	}
	for _, rr := range runs {
		r := pgqtune(t, ctx, rr.env, rr.args...)
		t.Logf("%s: exit %d", rr.name, r.code)
		if strings.Contains(r.stdout, secret) || strings.Contains(r.stderr, secret) {
			t.Errorf("%s: the password is in the output:\n%s\n%s", rr.name, r.stdout, r.stderr)
		}
		if want := map[bool]int{true: 2, false: 0}[strings.Contains(rr.name, "no such")]; r.code != want {
			t.Errorf("%s: exit %d: %s", rr.name, r.code, r.stderr)
		}
	}
	files := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("the password is in %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("only %d files written: the runs did not produce what is scanned", files)
	}
	log, err := os.ReadFile(pgtest.Server().LogFile())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(log), secret) {
		t.Error("the password is in the server log")
	}
}

// TestHostileIdentifiers passes names built to break out of an identifier
// as --schema and --queue-table: the user's table survives, and pgqtune
// either quotes the name correctly or refuses it.
func TestHostileIdentifiers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dsn := pgtest.NewDB(t)
	pool := pgtest.Pool(t, dsn)
	const hostile = `x"; DROP TABLE public.y; --`
	// The hostile queue table exists, so observe really samples it.
	if _, err := pool.Exec(ctx, `CREATE TABLE public.y (id int); INSERT INTO public.y VALUES (1);
		CREATE TABLE public."x""; DROP TABLE public.y; --" (id bigserial PRIMARY KEY, run_at timestamptz DEFAULT now());
		CREATE TABLE public."x; DROP TABLE y; --" (id bigserial PRIMARY KEY, run_at timestamptz DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	survives := func(what string) {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM public.y`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("after %s, table y is gone or changed (n=%d, err=%v)", what, n, err)
		}
	}
	// Without a dot the name is usable: quoted, it is just a strange name.
	// With one (or past 63 bytes) it is refused as bad input.
	for _, c := range []struct {
		schema string
		code   int
	}{{`x"; DROP TABLE y; --`, 0}, {hostile, 2}, {strings.Repeat("s", 64) + `"; DROP TABLE y; --`, 2}} {
		r := pgqtune(t, ctx, nil, "run", "--dsn", dsn, "--schema", c.schema, "--duration", "3s", "--out", filepath.Join(t.TempDir(), "run"), "-q")
		t.Logf("run --schema %q: exit %d %s", c.schema, r.code, strings.TrimSpace(r.stderr))
		if r.code != c.code {
			t.Fatalf("run with --schema %q: exit %d, want %d: %s", c.schema, r.code, c.code, r.stderr)
		}
		survives("run --schema " + c.schema)
		var left int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname LIKE '%DROP TABLE%'`).Scan(&left); err != nil || left != 0 {
			t.Fatalf("the hostile schema was left behind (n=%d, err=%v)", left, err)
		}
	}
	// A name with a double quote is refused by the flag parser (CSV); one
	// without is taken, and must reach the server quoted.
	for _, c := range []struct {
		table string
		code  int
	}{{"public." + hostile, 2}, {"public.x; DROP TABLE y; --", 0}} {
		r := pgqtune(t, ctx, nil, "observe", "--dsn", dsn, "--queue-table", c.table, "--duration", "3s", "--out", filepath.Join(t.TempDir(), "obs"), "-q")
		t.Logf("observe --queue-table %q: exit %d %s", c.table, r.code, strings.TrimSpace(r.stderr))
		if r.code != c.code {
			t.Fatalf("observe with --queue-table %q: exit %d, want %d: %s", c.table, r.code, c.code, r.stderr)
		}
		survives("observe --queue-table " + c.table)
	}
}

// TestObserveOnlyReads logs every statement of a database while observe
// samples it (log_statement = all, set for that database only) and checks
// that each one reads: no DDL, no DML, no statistics resets, no settings
// changed for anyone else.
func TestObserveOnlyReads(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dsn := pgtest.NewDB(t)
	pool := pgtest.Pool(t, dsn)
	if _, err := pool.Exec(ctx, `CREATE TABLE public.jobs (id bigserial PRIMARY KEY, run_at timestamptz NOT NULL DEFAULT now(), locked_at timestamptz);
		INSERT INTO public.jobs (run_at) SELECT now() FROM generate_series(1, 100)`); err != nil {
		t.Fatal(err)
	}
	var db string
	if err := pool.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ALTER DATABASE `+quoteIdent(db)+` SET log_statement = 'all'`); err != nil {
		t.Fatal(err)
	}
	logPath := pgtest.Server().LogFile()
	fi, err := os.Stat(logPath)
	if err != nil {
		t.Fatal(err)
	}
	from := fi.Size()
	r := pgqtune(t, ctx, nil, "observe", "--dsn", dsn, "--queue-table", "public.jobs", "--duration", "3s", "--out", filepath.Join(t.TempDir(), "obs"), "-q")
	if r.code != 0 {
		t.Fatalf("observe: exit %d: %s", r.code, r.stderr)
	}
	stmts := loggedStatements(t, logPath, from)
	if len(stmts) < 10 {
		t.Fatalf("only %d statements logged: log_statement did not catch observe's sessions", len(stmts))
	}
	// EXPLAIN without ANALYZE plans and does not execute (ANALYZE is in writes).
	reads := regexp.MustCompile(`(?is)^[\s(]*(SELECT|SHOW|WITH|EXPLAIN|BEGIN|COMMIT|ROLLBACK|DEALLOCATE|DISCARD|RESET ALL|SET (SESSION )?(statement_timeout|lock_timeout|application_name|default_transaction_read_only|search_path))\b`)
	writes := regexp.MustCompile(`(?i)\b(INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE|COPY|GRANT|REVOKE|COMMENT|VACUUM|ANALYZE|CLUSTER|REINDEX|LOCK|NEXTVAL|SETVAL|PG_TERMINATE_BACKEND|PG_CANCEL_BACKEND|SET_CONFIG)\b|_reset\s*\(`)
	noise := regexp.MustCompile(`(?s)'(?:[^']|'')*'|"(?:[^"]|"")*"|/\*.*?\*/|--[^\n]*`)
	for _, s := range stmts {
		// Literals, quoted names and comments may say anything.
		body := noise.ReplaceAllString(s, " ")
		if !reads.MatchString(body) {
			t.Errorf("observe ran a statement that is not a read: %.600s", body)
		}
		if writes.MatchString(body) {
			t.Errorf("observe ran a writing statement (%q): %.600s", writes.FindString(body), body)
		}
	}
	t.Logf("%d statements logged, all reads", len(stmts))
}

// loggedStatements returns the statements the server logged after offset
// (log_statement lines: "statement: ..." and "execute <name>: ...").
func loggedStatements(t *testing.T, path string, offset int64) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		t.Fatal(err)
	}
	start := regexp.MustCompile(`LOG:\s+(?:statement|execute [^:]*):\s(.*)$`)
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	cur := -1
	for sc.Scan() {
		line := sc.Text()
		if m := start.FindStringSubmatch(line); m != nil {
			out = append(out, m[1])
			cur = len(out) - 1
			continue
		}
		if strings.HasPrefix(line, "\t") && cur >= 0 { // continuation of a multi-line statement
			out[cur] += "\n" + line
			continue
		}
		cur = -1
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func appendLine(t *testing.T, path, line string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line + "\n"); err != nil {
		t.Fatal(err)
	}
}

// TestHistoryCommandRedactsStoreErrors gives `history --store` results
// stores it cannot use, with a password in the DSN (URL and key=value forms)
// or in PGPASSWORD, and checks that the password never reaches stdout or
// stderr while the command still fails. The last case reuses the password
// as the database name, which the connection error echoes: only redaction
// keeps it out.
func TestHistoryCommandRedactsStoreErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const secret = "Hist0ry-s3cret-PW"
	u, err := url.Parse(pgtest.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	noDB := *u
	noDB.Path = "/" + secret
	cases := []struct {
		name string
		env  []string
		dsn  string
	}{
		{"URL DSN, nothing listening", nil, "postgres://u:" + secret + "@127.0.0.1:1/x?connect_timeout=5"},
		{"key=value DSN, bad sslmode", nil, "host=127.0.0.1 port=1 user=u password=" + secret + " sslmode=bogus"},
		{"PGPASSWORD, no such database", []string{"PGPASSWORD=" + secret}, noDB.String()},
	}
	for _, c := range cases {
		for _, args := range [][]string{
			{"history", "--root", t.TempDir(), "--store", c.dsn},
			{"history", "--root", baseRunRoot(t), "--store", c.dsn, "--push"},
		} {
			r := pgqtune(t, ctx, c.env, args...)
			if r.code == 0 {
				t.Errorf("%s %v: exit 0, want a failure", c.name, args[3:])
			}
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Errorf("%s %v: the password is in the output:\n%s%s", c.name, args[3:], r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, "store") {
				t.Errorf("%s %v: the error does not say what failed: %q", c.name, args[3:], r.stderr)
			}
		}
	}
}

// baseRunRoot returns a results root holding a copy of baseRun's report, for
// `history --push`.
func baseRunRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "base")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{runrec.ReportJSON, runrec.MetaFile} {
		b, err := os.ReadFile(filepath.Join(baseRun, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}
