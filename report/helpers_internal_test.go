package report

import (
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
