package compare

import (
	"testing"

	"github.com/pgqtune/pgqtune/internal/synthrun"
	"github.com/pgqtune/pgqtune/runrec"
)

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

func TestCompletedSeriesLeavesPartialSecondsOut(t *testing.T) {
	d := &RunData{Run: synthrun.Seconds(10), Report: &runrec.Report{}}
	s := d.CompletedSeries()
	if len(s) != 10 || mean(s) != 200 {
		t.Fatalf("series %v: want 10 seconds of 200 (the 0.09 s sliver is not a second)", s)
	}
}
