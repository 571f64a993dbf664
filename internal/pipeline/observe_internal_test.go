package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

func TestRecordCommand(t *testing.T) {
	t.Setenv("PGPASSWORD", "pgpass-secret")
	args := []string{"node", "load.js", "--dsn", "postgres://app:url-secret@db:5432/app",
		"host=db password=kv-secret dbname=app", "--token=pgpass-secret"}
	env := []string{"HOME=/home/app", "API_TOKEN=env-secret", "PGPASSWORD=pgpass-secret", "EMPTY="}
	c := recordCommand(args, "/srv/app", env, "postgres://monitor:dsn-secret@db:5432/app")
	joined := strings.Join(c.Args, " ") + " " + strings.Join(c.EnvNames, " ") + " " + c.Dir
	for _, s := range []string{"url-secret", "kv-secret", "pgpass-secret", "env-secret", "dsn-secret", "/home/app"} {
		if strings.Contains(joined, s) {
			t.Errorf("recorded command holds %q: %+v", s, c)
		}
	}
	if !c.PasswordMasked || c.Args[3] != "postgres://app:"+runrec.PasswordMask+"@db:5432/app" {
		t.Errorf("args = %q, masked %v", c.Args, c.PasswordMasked)
	}
	if want := []string{"API_TOKEN", "EMPTY", "HOME", "PGPASSWORD"}; !slices.Equal(c.EnvNames, want) {
		t.Errorf("env names = %v, want %v", c.EnvNames, want)
	}
	if c.Dir != "/srv/app" || c.Args[0] != "node" || c.Args[1] != "load.js" {
		t.Errorf("command = %+v", c)
	}
	plain := recordCommand([]string{"pgbench", "-t", "10"}, "/tmp", nil, "postgres://u@h/db")
	if plain.PasswordMasked || !slices.Equal(plain.Args, []string{"pgbench", "-t", "10"}) {
		t.Errorf("a command without passwords changed: %+v", plain)
	}
}

// TestDSNEnv: the variables that held the observed database's DSN are
// recorded by name only; observe gives a command without one its DSN in
// PGQTUNE_DSN; validate fills them with its --dsn when unset and refuses
// one that names another database.
func TestDSNEnv(t *testing.T) {
	const observed = "postgres://monitor:dsn-secret@db:5432/app"
	env := []string{
		"DATABASE_URL=postgres://app:app-secret@db:5432/app?sslmode=disable",
		"KV_DSN=host=db port=5432 dbname=app user=app password=kv-secret",
		"OTHER_DB=postgres://app@db:5432/reports",
		"PGHOST=db", "HOME=/home/app",
	}
	c := recordCommand([]string{"node", "load.js"}, "/srv/app", withDSNEnv(env, observed), observed)
	if want := []string{"DATABASE_URL", "KV_DSN", DSNEnvVar}; !slices.Equal(c.DSNEnv, want) {
		t.Errorf("DSN env = %v, want %v", c.DSNEnv, want)
	}
	for _, s := range []string{"app-secret", "kv-secret", "dsn-secret"} {
		if strings.Contains(strings.Join(c.EnvNames, " ")+strings.Join(c.DSNEnv, " "), s) {
			t.Errorf("recorded env holds %q", s)
		}
	}
	// A PGQTUNE_DSN the user set is left as it is.
	if got := withDSNEnv([]string{DSNEnvVar + "=postgres://x@y/z"}, observed); !slices.Equal(got, []string{DSNEnvVar + "=postgres://x@y/z"}) {
		t.Errorf("withDSNEnv replaced the user's %s: %v", DSNEnvVar, got)
	}
	if got := withDSNEnv([]string{DSNEnvVar + "="}, observed); !slices.Equal(got, []string{DSNEnvVar + "=" + observed}) {
		t.Errorf("withDSNEnv left an empty %s: %v", DSNEnvVar, got)
	}

	const given = "postgres://admin:admin-secret@db:5432/app"
	out, filled, err := commandEnv([]string{"HOME=/root", "KV_DSN=", "DATABASE_URL=postgres://app@db:5432/app"}, c.DSNEnv, given)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"KV_DSN", DSNEnvVar}; !slices.Equal(filled, want) {
		t.Errorf("filled %v, want %v", filled, want)
	}
	for _, kv := range []string{"KV_DSN=" + given, DSNEnvVar + "=" + given, "DATABASE_URL=postgres://app@db:5432/app", "HOME=/root"} {
		if !slices.Contains(out, kv) {
			t.Errorf("re-run env %v lacks %s", out, kv)
		}
	}
	_, _, err = commandEnv([]string{"DATABASE_URL=postgres://app@staging:5432/app"}, c.DSNEnv, given)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") || strings.Contains(err.Error(), "admin-secret") {
		t.Errorf("a DSN variable naming another database: err = %v, want a refusal naming DATABASE_URL without the password", err)
	}
}

// TestNoEmptyRunDir: an observation that cannot reach its database records
// nothing, and leaves none of the directories it made behind (a test once
// left cmd/pgqtune/pgqtune-runs/… in the source tree); a directory that
// was there before stays.
func TestNoEmptyRunDir(t *testing.T) {
	root := t.TempDir()
	kept := filepath.Join(root, "kept")
	if err := os.Mkdir(kept, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{filepath.Join(root, "a", "b", "run"), kept} {
		_, err := Observe(context.Background(), ObserveOptions{DSN: "postgres://u@127.0.0.1:1/x?connect_timeout=2", Duration: time.Second, Out: out})
		if err == nil {
			t.Fatalf("observe of an unreachable server to %s succeeded", out)
		}
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "kept" {
		t.Errorf("left behind in %s: %v; want only the directory that was there before", root, entries)
	}
}
