package compare_test

import (
	"fmt"

	"github.com/pgqtune/pgqtune/compare"
)

func ExampleMannWhitneyU() {
	base := []float64{812, 798, 805, 820, 801, 809, 795, 816}
	next := []float64{640, 655, 610, 802, 630, 648, 622, 641} // one second still fast
	r := compare.MannWhitneyU(base, next, compare.Less)
	fmt.Printf("U=%.0f p=%.4f\n", r.U, r.P)
	// Output:
	// U=61 p=0.0014
}
