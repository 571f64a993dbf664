package sqlload

import (
	"runtime"
	"testing"
)

// TestLimitProcs: runs cap GOMAXPROCS while they last, overlapping runs
// share the cap (the larger request wins, never above the original), and
// the last one to end restores the original whatever the order.
func TestLimitProcs(t *testing.T) {
	orig := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(orig)
	runtime.GOMAXPROCS(4)
	a := limitProcs(1)
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Fatalf("GOMAXPROCS %d under a run asking for 1", got)
	}
	b := limitProcs(2)
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Fatalf("GOMAXPROCS %d with overlapping runs asking for 1 and 2", got)
	}
	c := limitProcs(64)
	if got := runtime.GOMAXPROCS(0); got != 4 {
		t.Fatalf("GOMAXPROCS %d: a run asking for 64 raised it above the original 4", got)
	}
	a()
	c()
	a() // restoring twice is harmless
	b()
	if got := runtime.GOMAXPROCS(0); got != 4 {
		t.Fatalf("GOMAXPROCS %d after every run ended, want the original 4", got)
	}
}
