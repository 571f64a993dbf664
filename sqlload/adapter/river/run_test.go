package river_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/adaptertest"
)

// TestRiverRun drives the river adapter end to end with the real driver:
// River's producers and completer, failures retried by River, and (second
// case) the workload's sessions killed again and again for 3 s of the 4 s
// run. The books must balance exactly once the fault is over.
//
// The kills stop before the run does on purpose: River's completer tries a
// batch 3 times (sleeping 1, 2 then 4 s) before queueing it again, so with
// every session killed each 150 ms through the shutdown, completions can
// miss River's 30 s stop; those jobs stay "running" and River's rescuer
// would run them again (at-least-once), which the integrity check rightly
// reports as duplicated.
func TestRiverRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		kill bool
	}{{"steady", false}, {"killed sessions", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := adaptertest.LoadYAML(t, `name: river-run
adapter: river
adapter_settings: {fetch_cooldown: 10ms, fetch_poll_interval: 100ms, retry_backoff: 50ms}
rate: 300
producers: 2
consumers: 3
enqueue_batch: 5
dequeue_batch: 5
work_time: 1ms
failure_rate: 0.05
drain: 10s
phases:
  - {name: steady, profile: constant, duration: 4s}
`)
			var killed atomic.Int64
			var during func(context.Context, string)
			if tc.kill {
				during = adaptertest.KillWorkload(t, &killed, 3*time.Second)
			}
			b := adaptertest.Drive(t, context.Background(), sc, during)
			var errs, failed int64
			for _, tk := range b.Ticks {
				errs += tk.Errors
				failed += tk.Failed
			}
			if tc.kill && killed.Load() < 5 {
				t.Fatalf("the fault did not bite: %d sessions terminated", killed.Load())
			}
			t.Logf("terminated %d sessions, %d errors seen, %d failed attempts", killed.Load(), errs, failed)
			// Progress, not speed: most of what was enqueued got done, even
			// with sessions dying under the driver.
			in := b.Res.Integrity
			if in.Completed < 100 || 2*in.Completed < in.Enqueued || failed == 0 {
				t.Fatalf("%d of %d jobs completed, %d failed: want most of them and some failed", in.Completed, in.Enqueued, failed)
			}
		})
	}
}
