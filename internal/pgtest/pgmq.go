package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// PgmqDirEnv names a directory holding pgmq.control and pgmq--*.sql, used
// instead of searching for shared/third_party/pgmq.
const PgmqDirEnv = "PGQTUNE_PGMQ_DIR"

var (
	pgmqOnce sync.Once
	pgmqErr  error
)

// RequirePgmq makes CREATE EXTENSION pgmq possible on the binary's cluster:
// it copies pgmq's control and SQL files (from $PGQTUNE_PGMQ_DIR, or the
// first shared/third_party/pgmq found walking up from the working
// directory) into the server's extension directory, once per binary. When
// the files or the permission to install them are missing the test is
// skipped, saying why: a clone outside this workplace has no pgmq.
func RequirePgmq(t testing.TB) {
	t.Helper()
	pgmqOnce.Do(func() { pgmqErr = installPgmq() })
	if pgmqErr != nil {
		t.Skipf("pgmq extension not available: %v", pgmqErr)
	}
}

func installPgmq() error {
	src, err := findPgmqDir()
	if err != nil {
		return err
	}
	if server == nil {
		return errors.New("no test cluster (pgtest.Main did not run)")
	}
	out, err := exec.Command(filepath.Join(server.BinDir(), "pg_config"), "--sharedir").Output()
	if err != nil {
		return fmt.Errorf("pg_config --sharedir: %w", err)
	}
	dst := filepath.Join(strings.TrimSpace(string(out)), "extension")
	files, _ := filepath.Glob(filepath.Join(src, "pgmq--*.sql"))
	files = append(files, filepath.Join(src, "pgmq.control"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read %s: %w", f, err)
		}
		// Write to a temporary name and rename: parallel test binaries may
		// install at the same moment, and the server must never read half a
		// file.
		tmp := filepath.Join(dst, "."+filepath.Base(f)+fmt.Sprintf(".%d", os.Getpid()))
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return fmt.Errorf("install %s into %s: %w", filepath.Base(f), dst, err)
		}
		if err := os.Rename(tmp, filepath.Join(dst, filepath.Base(f))); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("install %s into %s: %w", filepath.Base(f), dst, err)
		}
	}
	return nil
}

func findPgmqDir() (string, error) {
	ok := func(d string) bool {
		_, err := os.Stat(filepath.Join(d, "pgmq.control"))
		return err == nil
	}
	if d := os.Getenv(PgmqDirEnv); d != "" {
		if !ok(d) {
			return "", fmt.Errorf("$%s=%s has no pgmq.control", PgmqDirEnv, d)
		}
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if d := filepath.Join(dir, "shared", "third_party", "pgmq"); ok(d) {
			return d, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no shared/third_party/pgmq above the working directory, and $%s is unset", PgmqDirEnv)
		}
		dir = parent
	}
}
