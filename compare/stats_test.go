package compare_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pgqtune/pgqtune/compare"
)

func TestMannWhitneyU(t *testing.T) {
	t.Run("matches the textbook normal approximation", func(t *testing.T) {
		// n1 = n2 = 5, fully separated: U = 0, sigma = sqrt(25*11/12),
		// z = (12.5-0.5)/sigma = 2.5067, two-sided p = 0.012186.
		r := compare.MannWhitneyU([]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, compare.TwoSided)
		if r.U != 0 || math.Abs(r.P-0.012186) > 1e-5 {
			t.Fatalf("U=%v p=%v", r.U, r.P)
		}
		// One-sided in the true direction halves it; the other way is ~1.
		if g := compare.MannWhitneyU([]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, compare.Greater); math.Abs(g.P-0.006093) > 1e-5 {
			t.Fatalf("greater p=%v", g.P)
		}
		if l := compare.MannWhitneyU([]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, compare.Less); l.P < 0.99 {
			t.Fatalf("less p=%v", l.P)
		}
	})
	t.Run("ties are averaged and all-tied is never significant", func(t *testing.T) {
		r := compare.MannWhitneyU([]float64{3, 3, 3}, []float64{3, 3, 3, 3}, compare.TwoSided)
		if r.P != 1 {
			t.Fatalf("p=%v", r.P)
		}
		// Ranks: 1 -> 1; the three 2s -> 3; the three 3s -> 6; 4 -> 8.
		// R1 = 1 + 3 + 3 + 6 = 13, so U1 = 13 - 4*5/2 = 3.
		r = compare.MannWhitneyU([]float64{1, 2, 2, 3}, []float64{2, 3, 3, 4}, compare.TwoSided)
		if r.U != 3 {
			t.Fatalf("U=%v", r.U)
		}
	})
	t.Run("same distribution is rarely significant, a 40% drop always is", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		draw := func(n int, mean float64) []float64 {
			s := make([]float64, n)
			for i := range s {
				s[i] = mean * (1 + 0.05*rng.NormFloat64())
			}
			return s
		}
		falsePositives := 0
		for range 200 {
			if compare.MannWhitneyU(draw(60, 800), draw(60, 800), compare.Less).P < 0.05 {
				falsePositives++
			}
			if p := compare.MannWhitneyU(draw(60, 800), draw(60, 480), compare.Less).P; p > 1e-6 {
				t.Fatalf("40%% drop: p=%v", p)
			}
		}
		// The test's size is 5%: allow generous sampling slack.
		if falsePositives > 25 {
			t.Fatalf("%d/200 false positives at alpha 0.05", falsePositives)
		}
	})
	t.Run("too few observations", func(t *testing.T) {
		if r := compare.MannWhitneyU([]float64{1}, []float64{5, 6}, compare.TwoSided); r.P != 1 {
			t.Fatalf("p=%v", r.P)
		}
	})
}

func TestBootstrapMeanChange(t *testing.T) {
	x := []float64{100, 102, 98, 101, 99, 100, 103, 97}
	y := []float64{60, 61, 59, 60, 62, 58, 60, 60}
	lo, hi := compare.BootstrapMeanChange(x, y, 0.95, 2000)
	if !(lo < -40 && hi > -40 && hi < -37 && lo > -43) {
		t.Fatalf("CI [%v, %v] should bracket -40%%", lo, hi)
	}
	lo2, hi2 := compare.BootstrapMeanChange(x, y, 0.95, 2000)
	if lo != lo2 || hi != hi2 {
		t.Fatal("not deterministic")
	}
}
