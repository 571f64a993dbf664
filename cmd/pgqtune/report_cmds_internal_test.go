package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the command line in-process and returns its exit code (as
// main would), stdout and the error text.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return exitOK, out.String(), ""
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, out.String(), err.Error()
	}
	if isCobraUsage(err) {
		return exitUsage, out.String(), err.Error()
	}
	return exitFailure, out.String(), err.Error()
}

// reportRuns is compare's synthetic run directories (internal/synthrun), absolute:
// TestMain moves the tests into a scratch working directory.
var reportRuns = mustAbs(filepath.Join("..", "..", "compare", "testdata", "runs"))

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}

// runs are the synthetic run directories of the report package's tests.
func runs(name string) string { return filepath.Join(reportRuns, name) }

func TestCompareCommand(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		inOutput string
		inError  string
	}{
		{"same distribution", []string{"compare", runs("base"), runs("same")}, exitOK, "no significant change", ""},
		{"40% lower mean", []string{"compare", runs("base"), runs("regressed"), "--max-regression", "10"}, exitFailure, "REGRESSION", "REGRESSION"},
		{"injected fault", []string{"compare", runs("base"), runs("fault")}, exitFailure, "lock_contention", "REGRESSION"},
		{"within a wide tolerance", []string{"compare", runs("base"), runs("regressed"), "--max-regression", "60", "--max-latency-regression", "0"}, exitOK, "no significant change", ""},
		{"latency stall", []string{"compare", runs("base"), runs("stall")}, exitFailure, "p99 latency", "REGRESSION"},
		{"different workload", []string{"compare", runs("base"), runs("otherbatch")}, exitUsage, "", "batch_size"},
		{"different workload allowed", []string{"compare", runs("base"), runs("otherbatch"), "--allow-incomparable"}, exitOK, "warning: not comparable", ""},
		{"json", []string{"compare", runs("base"), runs("regressed"), "--format", "json"}, exitFailure, `"regression": true`, ""},
		{"missing run", []string{"compare", runs("base"), runs("nope")}, exitUsage, "", "nope is not a directory"},
		{"bad tolerance", []string{"compare", runs("base"), runs("same"), "--max-regression", "150"}, exitUsage, "", "--max-regression"},
		{"one argument", []string{"compare", runs("base")}, exitUsage, "", "missing NEW_RUN_DIR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errText := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.inOutput) || !strings.Contains(errText, tc.inError) {
				t.Fatalf("exit %d (want %d), error %q (want %q)\n%s", code, tc.code, errText, tc.inError, out)
			}
		})
	}
}

func TestReportCommand(t *testing.T) {
	t.Run("json is the validated contract", func(t *testing.T) {
		code, out, errText := runCLI(t, "report", runs("fault"), "--format", "json")
		var m map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &m) != nil || m["schema_version"] != 1.0 {
			t.Fatalf("exit %d %s\n%.200s", code, errText, out)
		}
	})
	t.Run("md by default", func(t *testing.T) {
		code, out, _ := runCLI(t, "report", runs("fault"))
		if code != 0 || !strings.Contains(out, "### F1 · `lock_contention`") || !strings.Contains(out, "```sql") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
	t.Run("html is written and its path printed", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.html")
		code, out, errText := runCLI(t, "report", runs("fault"), "--format", "html", "--out", path)
		b, err := os.ReadFile(path)
		if code != 0 || err != nil || strings.TrimSpace(out) != path || !bytes.Contains(b, []byte(`id="chart-throughput"`)) {
			t.Fatalf("exit %d %s %v out %q", code, errText, err, out)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, args := range [][]string{
			{"report", t.TempDir()},
			{"report", runs("fault"), "--format", "pdf"},
		} {
			if code, _, errText := runCLI(t, args...); code != exitUsage || errText == "" {
				t.Errorf("%v: exit %d %q", args, code, errText)
			}
		}
	})
}

func TestHistoryCommand(t *testing.T) {
	code, out, errText := runCLI(t, "history", "--root", reportRuns)
	if code != 0 || !strings.Contains(out, "synthetic-fault") || !strings.Contains(out, "1 (lock_contention)") {
		t.Fatalf("exit %d %s\n%s", code, errText, out)
	}
	empty := t.TempDir()
	code, out, _ = runCLI(t, "history", "--root", empty)
	if code != 0 || !strings.HasPrefix(out, "no runs under "+empty+" (") {
		t.Fatalf("empty root: exit %d %q, want where it looked", code, out)
	}
	if code, _, _ := runCLI(t, "history", "--push"); code != exitUsage {
		t.Fatalf("--push without --store: exit %d", code)
	}
}
