package pgserver_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/internal/pgserver"
)

func TestServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t.Run("two clusters at once, each with pg_stat_statements", func(t *testing.T) {
		a, err := pgserver.Start(ctx, pgserver.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Stop()
		b, err := pgserver.Start(ctx, pgserver.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Stop()
		if a.Port() == b.Port() {
			t.Fatalf("both clusters on port %d", a.Port())
		}
		for _, s := range []*pgserver.Server{a, b} {
			conn, err := pgx.Connect(ctx, s.DSN(""))
			if err != nil {
				t.Fatal(err)
			}
			var preload, ioTiming string
			var n int
			if err := conn.QueryRow(ctx, `SELECT current_setting('shared_preload_libraries'), current_setting('track_io_timing'),
				(SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements')`).Scan(&preload, &ioTiming, &n); err != nil {
				t.Fatal(err)
			}
			conn.Close(ctx)
			if !strings.Contains(preload, "pg_stat_statements") || ioTiming != "on" || n != 1 {
				t.Fatalf("preload=%q track_io_timing=%q extension count=%d", preload, ioTiming, n)
			}
			if !strings.HasPrefix(s.DSN(""), "postgres://postgres@127.0.0.1:") {
				t.Fatalf("DSN not on loopback: %s", s.DSN(""))
			}
		}
	})

	t.Run("stop removes files", func(t *testing.T) {
		s, err := pgserver.Start(ctx, pgserver.Options{})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Dir(s.DataDir())
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("cluster directory %s still exists (err=%v)", dir, err)
		}
	})

	t.Run("restart keeps the port and data", func(t *testing.T) {
		s, err := pgserver.Start(ctx, pgserver.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Stop()
		conn, err := pgx.Connect(ctx, s.DSN(""))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
		for _, mode := range []string{"fast", "immediate"} {
			if err := s.Restart(ctx, mode); err != nil {
				t.Fatalf("restart %s: %v", mode, err)
			}
			conn, err := pgx.Connect(ctx, s.DSN(""))
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM kept").Scan(&n); err != nil || n != 1 {
				t.Fatalf("after %s restart: n=%d err=%v", mode, n, err)
			}
			conn.Close(ctx)
		}
	})

	t.Run("a killed owner's cluster is reaped by the next start", func(t *testing.T) {
		if os.Getenv("PGSERVER_CHILD") != "" {
			t.Skip("child")
		}
		// Not t.TempDir: its parent is private to root, and the server
		// runs as an unprivileged user.
		base, err := os.MkdirTemp("", "pgserver-reap-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(base)
		if err := os.Chmod(base, 0o755); err != nil {
			t.Fatal(err)
		}
		// A child process starts a cluster and is killed with SIGKILL.
		cmd := exec.Command(os.Args[0], "-test.run", "TestHelperStartAndHang")
		cmd.Env = append(os.Environ(), "PGSERVER_CHILD=1", "PGSERVER_BASE="+base)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		var got string
		deadline := time.Now().Add(time.Minute)
		for !strings.Contains(got, "READY") && time.Now().Before(deadline) {
			n, err := out.Read(buf)
			got += string(buf[:n])
			if err != nil {
				break
			}
		}
		if !strings.Contains(got, "READY") {
			_ = cmd.Process.Kill()
			t.Fatalf("child did not start a cluster: %q", got)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		left, _ := filepath.Glob(filepath.Join(base, "pgqtune-pg-*"))
		if len(left) != 1 {
			t.Fatalf("expected the killed child's cluster dir, found %v", left)
		}
		s, err := pgserver.Start(ctx, pgserver.Options{BaseDir: base})
		if err != nil {
			t.Fatalf("start after a killed owner: %v", err)
		}
		defer s.Stop()
		if _, err := os.Stat(left[0]); !os.IsNotExist(err) {
			t.Fatalf("stale cluster %s was not reaped", left[0])
		}
	})
}

// TestHelperStartAndHang is the child of the reaping test: it starts a
// cluster, says READY and waits to be killed.
func TestHelperStartAndHang(t *testing.T) {
	if os.Getenv("PGSERVER_CHILD") == "" {
		t.Skip("only runs as the child of TestServer")
	}
	s, err := pgserver.Start(context.Background(), pgserver.Options{BaseDir: os.Getenv("PGSERVER_BASE")})
	if err != nil {
		t.Fatal(err)
	}
	_ = s
	os.Stdout.WriteString("READY\n")
	time.Sleep(2 * time.Minute)
}
