package report

import (
	"github.com/pgqtune/pgqtune/runrec"
	"strings"
	"testing"
)

func TestNiceTicks(t *testing.T) {
	labels := func(lo, hi float64) string {
		var out []string
		for _, tk := range (niceTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 250, "0 50 100 150 200 250"},
		{0, 1.0, "0 0.2 0.4 0.6 0.8 1.0"},
		{0, 43000, "0 10k 20k 30k 40k"},
		{0, 12, "0 5 10"},
		{0, 0.03, "0 0.01 0.02 0.03"},
		{5, 5, "5"},
	} {
		if got := labels(tc.lo, tc.hi); got != tc.want {
			t.Errorf("%v..%v: %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestStripSQLComments(t *testing.T) {
	for _, tc := range []struct{ in, text, tag string }{
		{"/* pgqtune skiplocked claim */ -- Claims jobs\n-- more\nSELECT 1", "SELECT 1", "pgqtune skiplocked claim"},
		{"SELECT '--not a comment', \"a/*b\" FROM t -- tail", "SELECT '--not a comment', \"a/*b\" FROM t", ""},
		{"SELECT /* outer /* inner */ still */ 2", "SELECT 2", "outer /* inner */ still"},
		{"SELECT 'it''s' /* x */", "SELECT 'it''s'", "x"},
		{"SELECT 1 /* unterminated", "SELECT 1", "unterminated"},
	} {
		text, tag := stripSQLComments(tc.in)
		if text != tc.text || tag != tc.tag {
			t.Errorf("%q: got (%q, %q), want (%q, %q)", tc.in, text, tag, tc.text, tc.tag)
		}
	}
}

func TestCountSlow(t *testing.T) {
	ticks := []latencyTick{
		{jobs: 1000, p: runrec.Percentiles{P50: 5, P95: 8, P99: 9, Max: 12}},        // none above 100
		{jobs: 1000, p: runrec.Percentiles{P50: 5, P95: 8, P99: 150, Max: 300}},     // >= 1%
		{jobs: 1000, p: runrec.Percentiles{P50: 200, P95: 800, P99: 900, Max: 990}}, // >= 50%
		{jobs: 10, p: runrec.Percentiles{P50: 5, P95: 8, P99: 9, Max: 101}},         // the slowest one
	}
	slow, jobs := countSlow(ticks, 100)
	if jobs != 3010 || slow != 10+500+1 {
		t.Fatalf("slow %d of %d", slow, jobs)
	}
	if _, p := twoProportionZ(0, 4000, 0, 6000); p != 1 {
		t.Fatalf("no slow jobs anywhere: p=%v", p)
	}
	if z, p := twoProportionZ(40, 4000, 1170, 6000); z < 20 || p > 1e-6 {
		t.Fatalf("1%% vs 19.5%%: z=%v p=%v", z, p)
	}
	if _, p := twoProportionZ(60, 6000, 40, 4000); p < 0.4 {
		t.Fatalf("same share: p=%v", p)
	}
}
