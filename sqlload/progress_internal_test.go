package sqlload

import (
	"os"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

func ExampleFormatProgress() {
	ticks := []runrec.WorkloadTick{
		{Enqueued: 200, Completed: 198, Depth: 12, LatencyMs: &runrec.Percentiles{P99: 8.5}, Phase: "steady"},
		{Enqueued: 200, Completed: 202, Depth: -1, Errors: 1, ScheduleLagMs: 0.4, LatencyMs: &runrec.Percentiles{P99: 11.25}, Phase: "steady"},
	}
	FormatProgress(os.Stdout, 10*time.Second, ticks)
	ticks[1].Depth = 3
	FormatProgress(os.Stdout, 15*time.Second, ticks[1:])
	// Output:
	// progress: 10.0 s, 200.0 jobs/s in, 200.0 jobs/s done, p99 11.2 ms, depth ?, lag 0.4 ms, errors 1 [steady]
	// progress: 15.0 s, 200.0 jobs/s in, 202.0 jobs/s done, p99 11.2 ms, depth 3, lag 0.4 ms, errors 1 [steady]
}
