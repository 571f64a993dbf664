package compare_test

import (
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/compare"
	"github.com/pgqtune/pgqtune/runrec"
)

func TestThreshold(t *testing.T) {
	rep := &runrec.Report{
		Throughput: runrec.Throughput{Mean: 790, Baseline: 812, LatencyMs: runrec.Percentiles{P50: 2, P95: 9, P99: 612, Max: 900}},
		Integrity:  &runrec.Integrity{Lost: 0},
		Findings:   []runrec.Finding{{ID: "F1"}},
	}
	for _, tc := range []struct {
		expr   string
		failed bool
		got    float64
	}{
		{"p99>500ms", true, 612},
		{"p99 > 0.7s", false, 612},
		{"p99>=612", true, 612},
		{"jobs_per_s<800", true, 790},
		{"jobs_per_s<700", false, 790},
		{"baseline<=812", true, 812},
		{"findings>0", true, 1},
		{"lost>0", false, 0},
	} {
		th, err := compare.ParseThreshold(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		failed, got, err := th.Check(rep)
		if err != nil || failed != tc.failed || got != tc.got {
			t.Errorf("%s: failed=%v got=%v err=%v, want failed=%v got=%v", tc.expr, failed, got, err, tc.failed, tc.got)
		}
	}
	th, _ := compare.ParseThreshold("p99>500ms")
	if d := th.Describe(612); d != "p99 = 612 ms (fail if > 500 ms)" {
		t.Errorf("describe: %q", d)
	}
	for expr, want := range map[string]string{
		"p99":            "want METRIC<VALUE",
		"p42>1":          `unknown metric "p42"`,
		"p99>soon":       "not a duration",
		"jobs_per_s<abc": `"abc" is not a number`,
		"p99>":           "no value",
	} {
		if _, err := compare.ParseThreshold(expr); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", expr, err, want)
		}
	}
	// Latency not measured (observe mode): an error, never a pass.
	th, _ = compare.ParseThreshold("p99>500ms")
	if _, _, err := th.Check(&runrec.Report{}); err == nil {
		t.Error("a threshold on a figure the run does not have passed")
	}
}
