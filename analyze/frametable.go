package analyze

import (
	"fmt"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// FrameTable renders, one line per sampler tick, the numbers the causes
// are scored on: jobs completed, the claim's calls, time and buffers per
// call, the complete's and enqueue's time, lock waits (all, and the
// workload's), dead tuples on the queue tables, the xmin horizon's age,
// vacuums finished and non-workload backends on CPU. It is for bug
// reports and failing tests: a report says what was concluded, this shows
// what it was read from, second by second.
func FrameTable(run *runrec.Run, opts Options) string {
	if run == nil {
		return ""
	}
	sc := newScene(run, opts)
	var b strings.Builder
	b.WriteString("time      jobs/s claims claim_ms claim_blk comp_ms  enq_ms rowlk(wl) rellk(wl)  dead_tup xmin_s vac fg_cpu\n")
	for i := range sc.frames {
		f := &sc.frames[i]
		rate := "     -"
		if f.Slot >= 0 && f.Slot < len(sc.tl.Slots) && sc.tl.Slots[f.Slot].Present {
			rate = fmt.Sprintf("%6.0f", sc.tl.Slots[f.Slot].Completed)
		}
		fmt.Fprintf(&b, "%s %s %6.0f %8.2f %9.1f %7.2f %7.2f %5.0f(%2.0f) %5.0f(%2.0f) %9.0f %6.1f %3.0f %6.1f\n",
			clock(f.T), rate, f.ClaimCalls, f.ClaimMeanMs, f.ClaimBlks, f.CompMeanMs, f.EnqMeanMs,
			f.RowLockWaits, f.RowLockWorkload, f.RelLockWaits, f.RelLockWorkload, f.DeadTup, f.XminAgeS, f.Vacuums, f.ForeignOnCPU)
	}
	return b.String()
}
