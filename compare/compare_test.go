package compare_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/compare"
	"github.com/pgqtune/pgqtune/internal/synthrun"
	"github.com/pgqtune/pgqtune/report"
)

// update regenerates testdata/runs from synthrun.Runs.
var update = flag.Bool("update", false, "rewrite the synthetic run directories in testdata")

// runDir returns testdata/runs/name, regenerating it with -update.
func runDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("testdata", "runs", name)
	if *update {
		s, ok := synthrun.Runs[name]
		if !ok {
			t.Fatalf("no synthetic run %q", name)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		rep, run := s.Build()
		synthrun.WriteRunDir(t, dir, run)
		if err := report.Write(dir, rep, run); err != nil {
			t.Fatal(err)
		}
		// The charts are not needed to compare; keep testdata small.
		_ = os.Remove(filepath.Join(dir, "report.html"))
		_ = os.Remove(filepath.Join(dir, "report.md"))
	}
	return dir
}

func loadRun(t *testing.T, name string) *compare.RunData {
	t.Helper()
	d, err := report.LoadRunDir(runDir(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCompare(t *testing.T) {
	for name := range synthrun.Runs {
		runDir(t, name) // regenerate all with -update, whichever subtests run
	}
	text := func(t *testing.T, c *compare.Comparison) string {
		t.Helper()
		var b bytes.Buffer
		if err := report.WriteComparison(&b, c); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteJSON(&bytes.Buffer{}); err != nil {
			t.Fatalf("JSON: %v", err)
		}
		return b.String()
	}

	t.Run("two runs from the same distribution: no significant change", func(t *testing.T) {
		c, err := compare.Compare(loadRun(t, "base"), loadRun(t, "same"), compare.Options{MaxRegressionPct: 10})
		if err != nil {
			t.Fatal(err)
		}
		out := text(t, c)
		if c.Regression || !strings.Contains(c.Verdict, "no significant change") {
			t.Fatalf("verdict %q\n%s", c.Verdict, out)
		}
	})
	t.Run("a 40% lower mean is a significant regression", func(t *testing.T) {
		c, err := compare.Compare(loadRun(t, "base"), loadRun(t, "regressed"), compare.Options{MaxRegressionPct: 10})
		if err != nil {
			t.Fatal(err)
		}
		out := text(t, c)
		if !c.Regression || !strings.HasPrefix(c.Verdict, "REGRESSION") {
			t.Fatalf("verdict %q\n%s", c.Verdict, out)
		}
		if ch := float64(c.Tests[0].MeanChangePct); ch > -35 || ch < -45 {
			t.Fatalf("mean change %v, want about -40%%", ch)
		}
		// Per-query time: the claim statement doubled.
		if len(c.Queries) == 0 || !strings.HasPrefix(c.Queries[0].Text, "WITH next AS") || float64(c.Queries[0].MeanChangePct) < 50 {
			t.Fatalf("queries %+v", c.Queries)
		}
		if !strings.Contains(out, "per-query time") {
			t.Fatalf("no per-query section:\n%s", out)
		}
	})
	t.Run("a 40% drop within a 50% tolerance is not a regression", func(t *testing.T) {
		c, err := compare.Compare(loadRun(t, "base"), loadRun(t, "regressed"), compare.Options{MaxRegressionPct: 50, MaxLatencyRegressionPct: -1})
		if err != nil {
			t.Fatal(err)
		}
		if c.Regression {
			t.Fatalf("verdict %q", c.Verdict)
		}
	})
	t.Run("an injected fault is flagged and its finding listed", func(t *testing.T) {
		c, err := compare.Compare(loadRun(t, "base"), loadRun(t, "fault"), compare.Options{MaxRegressionPct: 10})
		if err != nil {
			t.Fatal(err)
		}
		out := text(t, c)
		if !c.Regression || len(c.NewFindings) != 1 || !strings.Contains(out, "lock_contention") {
			t.Fatalf("verdict %q\n%s", c.Verdict, out)
		}
	})
	t.Run("an improvement is not a regression", func(t *testing.T) {
		c, err := compare.Compare(loadRun(t, "regressed"), loadRun(t, "base"), compare.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Regression || !strings.Contains(c.Verdict, "improved") {
			t.Fatalf("verdict %q", c.Verdict)
		}
	})
	t.Run("a stall made up for afterwards is a latency regression by default", func(t *testing.T) {
		c, err := compare.Compare(loadRun(t, "base"), loadRun(t, "stall"), compare.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Regression || !strings.Contains(c.Verdict, "p99 latency") || c.Tests[0].Regression {
			t.Fatalf("verdict %q\n%s", c.Verdict, text(t, c))
		}
		c, err = compare.Compare(loadRun(t, "base"), loadRun(t, "stall"), compare.Options{MaxLatencyRegressionPct: -1})
		if err != nil {
			t.Fatal(err)
		}
		if c.Regression {
			t.Fatalf("latency gate off: verdict %q", c.Verdict)
		}
	})
	t.Run("latency gate", func(t *testing.T) {
		c, err := compare.Compare(loadRun(t, "base"), loadRun(t, "regressed"), compare.Options{MaxRegressionPct: 90, MaxLatencyRegressionPct: 20})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Regression || !strings.Contains(c.Verdict, "p99 latency") {
			t.Fatalf("verdict %q", c.Verdict)
		}
	})
	t.Run("a different workload is refused unless allowed", func(t *testing.T) {
		_, err := compare.Compare(loadRun(t, "base"), loadRun(t, "otherbatch"), compare.Options{})
		if !errors.Is(err, compare.ErrIncomparable) || !strings.Contains(err.Error(), "batch_size") {
			t.Fatalf("err = %v", err)
		}
		c, err := compare.Compare(loadRun(t, "base"), loadRun(t, "otherbatch"), compare.Options{AllowIncomparable: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Incomparable) != 1 || !strings.Contains(text(t, c), "warning: not comparable") {
			t.Fatalf("incomparable %v", c.Incomparable)
		}
	})
	t.Run("a different server major version is refused", func(t *testing.T) {
		b, n := loadRun(t, "base"), loadRun(t, "same")
		n.Report.Run.ServerVersion = "16.4"
		if _, err := compare.Compare(b, n, compare.Options{}); !errors.Is(err, compare.ErrIncomparable) {
			t.Fatalf("err = %v", err)
		}
		n.Report.Run.ServerVersion = "15.9" // a minor update is the same server
		if _, err := compare.Compare(b, n, compare.Options{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("report.json alone is enough", func(t *testing.T) {
		b, n := loadRun(t, "base"), loadRun(t, "regressed")
		b.Run, n.Run = nil, nil
		c, err := compare.Compare(b, n, compare.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Regression || len(c.Queries) != 0 {
			t.Fatalf("verdict %q queries %d", c.Verdict, len(c.Queries))
		}
	})
}

func TestCompareNoiseIsNotARegression(t *testing.T) {
	// 100 pairs of runs from one distribution (5% per-second noise on
	// throughput, 10% on p99): the gate must stay quiet on every one.
	for i := range 100 {
		b, _ := synthrun.Synth{ID: "b", Seed: uint64(1000 + 2*i), Seconds: 60, Rate: 800, Noise: 0.05, P99Ms: 9}.Build()
		n, _ := synthrun.Synth{ID: "n", Seed: uint64(1001 + 2*i), Seconds: 60, Rate: 800, Noise: 0.05, P99Ms: 9}.Build()
		c, err := compare.Compare(&compare.RunData{Report: b}, &compare.RunData{Report: n}, compare.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Regression {
			t.Fatalf("pair %d: %s", i, c.Verdict)
		}
	}
}

func TestComparePhasesAndSparklines(t *testing.T) {
	b, _ := synthrun.Golden()
	n, _ := synthrun.Golden()
	n.Phases[1].JobsPerS, n.Phases[1].DropPct = 700, 12.5
	c, err := compare.Compare(&compare.RunData{Dir: "b", Report: b}, &compare.RunData{Dir: "n", Report: n}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Phases) != 2 || c.Phases[1].Name != "lock" || c.Phases[1].BaseJobsPerS != 320 || c.Phases[1].NewJobsPerS != 700 {
		t.Fatalf("phases %+v", c.Phases)
	}
	var out bytes.Buffer
	if err := report.WriteComparison(&out, c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"phases (jobs/s, drop, recovery)", "lock_table", "12.5%", "completed/s per second (same scale", "\n  base  ", "\n  new   "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("comparison lacks %q:\n%s", want, out.String())
		}
	}
}
