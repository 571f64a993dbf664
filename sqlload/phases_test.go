package sqlload_test

import (
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sqlload"
)

func TestPhaseResults(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	// 0-2 warm-up, 2-7 steady at 100/s, 7-12 pressure at 40/s with the
	// backlog climbing, 12-20 recovery: depth back to normal at second 15.
	var ticks []runrec.WorkloadTick
	for s := 0; s < 20; s++ {
		tk := runrec.WorkloadTick{T: t0.Add(time.Duration(s) * time.Second), Completed: 100, Depth: 5}
		switch {
		case s >= 7 && s < 12:
			tk.Completed, tk.Depth = 40, int64(60*(s-6))
		case s >= 12 && s < 15:
			tk.Completed, tk.Depth = 160, int64(300-100*(s-11))
		}
		ticks = append(ticks, tk)
	}
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	spans := []runrec.PhaseSpan{
		{Name: "warmup", Start: at(0), End: at(2), Warmup: true},
		{Name: "steady", Start: at(2), End: at(7)},
		{Name: "lock", Start: at(7), End: at(12), Pressure: "lock_table"},
		{Name: "recovery", Start: at(12), End: at(20)},
	}
	got := sqlload.PhaseResults(ticks, spans)
	if len(got) != 3 {
		t.Fatalf("got %d results, want 3 (warm-up excluded): %+v", len(got), got)
	}
	if got[0].JobsPerS != 100 || got[0].DropPct != 0 {
		t.Fatalf("steady = %+v", got[0])
	}
	lock := got[1]
	if lock.JobsPerS != 40 || lock.DropPct != 60 || lock.Pressure != "lock_table" {
		t.Fatalf("lock = %+v", lock)
	}
	// Depth is 200 in second 12, 100 in 13 and 0 in 14; the limit is
	// 5 + 2 + 10 = 17, first met in the tick of second 14, which ends 3 s
	// after the phase.
	if lock.RecoveryS == nil || *lock.RecoveryS != 3 {
		t.Fatalf("lock recovery = %v, want 3", deref(lock.RecoveryS))
	}
	if got[2].RecoveryS == nil || *got[2].RecoveryS != 0 {
		t.Fatalf("recovery phase's own recovery = %v, want 0", deref(got[2].RecoveryS))
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
