package sqlload

import (
	"runtime"
	"sync"
)

// The driver is I/O-bound: its goroutines spend their time waiting on round
// trips. Given every core, Go's scheduler keeps threads spinning and wakes
// them for each goroutine a reply makes runnable, and that hand-off costs
// more CPU than the driver's own work: measured on 2 cores, client CPU per
// job drops by about a third with one P. On a machine the database shares,
// that CPU is taken from the server being measured. So while a run lasts,
// GOMAXPROCS is capped at the scenario's client_procs (default: a quarter
// of the cores, at least one; one core drives tens of thousands of jobs/s).

// procsCap is the process-wide cap shared by concurrent runs: the first run
// to start saves GOMAXPROCS, each raises the cap to what it needs, the last
// to end restores it.
var procsCap struct {
	mu    sync.Mutex
	users int
	prev  int // GOMAXPROCS before the first run
	cur   int // the cap now in force
}

// clientProcs is the number of Ps a run of s asks for.
func (s *Scenario) clientProcs() int {
	if s.ClientProcs > 0 {
		return s.ClientProcs
	}
	return max(1, runtime.NumCPU()/4)
}

// limitProcs caps GOMAXPROCS at n (never above what it was) until the
// returned function is called.
func limitProcs(n int) (restore func()) {
	procsCap.mu.Lock()
	defer procsCap.mu.Unlock()
	if procsCap.users == 0 {
		procsCap.prev = runtime.GOMAXPROCS(0)
		procsCap.cur = 0
	}
	procsCap.users++
	if want := min(max(n, procsCap.cur), procsCap.prev); want != procsCap.cur {
		procsCap.cur = want
		runtime.GOMAXPROCS(want)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			procsCap.mu.Lock()
			defer procsCap.mu.Unlock()
			if procsCap.users--; procsCap.users == 0 {
				runtime.GOMAXPROCS(procsCap.prev)
			}
		})
	}
}
