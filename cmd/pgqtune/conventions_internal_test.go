package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

func TestVersionFlag(t *testing.T) {
	code, out, errText := runCLI(t, "--version")
	if code != exitOK || !strings.HasPrefix(out, "pgqtune ") || out != versionLine() {
		t.Fatalf("--version: exit %d %q %q", code, out, errText)
	}
	_, sub, _ := runCLI(t, "version")
	if sub != out {
		t.Fatalf("--version %q and version %q differ", out, sub)
	}
}

func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "__start_pgqtune",
		"zsh":  "#compdef pgqtune",
		"fish": "complete -c pgqtune",
	} {
		code, out, errText := runCLI(t, "completion", shell)
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("completion %s: exit %d %q, script lacks %q", shell, code, errText, want)
		}
	}
}

func TestFailIf(t *testing.T) {
	t.Run("a bad condition is bad input, before anything runs", func(t *testing.T) {
		code, _, errText := runCLI(t, "run", "--fail-if", "p99>abc", "--dsn", "postgres://127.0.0.1:1/x")
		if code != exitUsage || !strings.Contains(errText, "--fail-if") || strings.Contains(errText, "127.0.0.1") {
			t.Fatalf("exit %d %q", code, errText)
		}
	})
	t.Run("a condition that holds exits 1 and says which", func(t *testing.T) {
		ts, err := parseThresholds([]string{"p99>500ms", "jobs_per_s<800"})
		if err != nil {
			t.Fatal(err)
		}
		rep := &runrec.Report{Throughput: runrec.Throughput{Mean: 900, LatencyMs: runrec.Percentiles{P50: 1, P95: 2, P99: 612, Max: 700}}}
		cmd := newRoot()
		var out strings.Builder
		cmd.SetOut(&out)
		err = checkThresholds(cmd, ts, rep)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitFailure || !strings.Contains(err.Error(), "p99 = 612 ms (fail if > 500 ms)") {
			t.Fatalf("err %v", err)
		}
		if !strings.Contains(out.String(), "fail-if jobs_per_s<800: ok, jobs_per_s = 900 jobs/s") {
			t.Fatalf("output %q", out.String())
		}
		rep.Throughput.LatencyMs.P99 = 100
		if err := checkThresholds(cmd, ts, rep); err != nil {
			t.Fatalf("all conditions false: %v", err)
		}
	})
}

func TestProgressFlag(t *testing.T) {
	for _, args := range [][]string{
		{"run", "-P", "0"},
		{"observe", "--progress", "-1", "--dsn", "postgres://127.0.0.1:1/x", "--duration", "1s"},
		{"run", "-P", "soon"},
	} {
		if code, _, errText := runCLI(t, args...); code != exitUsage || !strings.Contains(errText, "progress") {
			t.Errorf("%v: exit %d %q", args, code, errText)
		}
	}
}

func TestErrorsForPeople(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		args      []string
		want      string
		forbidden []string
	}{
		{[]string{"run", "--rate", "abc"}, `--rate: "abc" is not a number`, []string{"strconv", "ParseFloat"}},
		{[]string{"run", "--duration", "soon"}, `--duration: "soon" is not a duration`, []string{"time: invalid"}},
		{[]string{"report"}, "report: missing RUN_DIR", []string{"accepts", "arg(s)"}},
		{[]string{"analyze"}, "analyze: missing RUN_DIR", []string{"accepts"}},
		{[]string{"compare", runs("base")}, "compare: missing NEW_RUN_DIR", []string{"accepts"}},
		{[]string{"report", empty}, empty + " has no report.json", []string{"report: load", "open "}},
		{[]string{"compare", runs("base"), empty}, empty + " has no report.json", []string{"report: load", "open "}},
		{[]string{"report", runs("base"), "--format", "html", "--out", "/proc/nope/r.html"}, "cannot write /proc/nope/r.html: no such file or directory", []string{".report-"}},
	} {
		code, _, errText := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(errText, tc.want) {
			t.Errorf("%v: exit %d %q, want %q", tc.args, code, errText, tc.want)
		}
		for _, f := range tc.forbidden {
			if strings.Contains(errText, f) {
				t.Errorf("%v: %q shows %q", tc.args, errText, f)
			}
		}
	}

	// Many differences are a list, one a line.
	_, _, errText := runCLI(t, "compare", runs("base"), runs("otherbatch"))
	if lines := strings.Split(errText, "\n"); len(lines) < 2 || !strings.HasPrefix(lines[1], "  - ") || !strings.Contains(errText, "--allow-incomparable") {
		t.Errorf("refusal is not a list: %q", errText)
	}
}
