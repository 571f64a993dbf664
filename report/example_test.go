package report_test

import (
	"os"
	"time"

	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/runrec"
)

func ExampleSummary() {
	start := time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)
	rep := &runrec.Report{
		Run: runrec.RunInfo{ID: "20260314-092600-baseline", Mode: "run", Scenario: "baseline",
			StartedAt: start, EndedAt: start.Add(2 * time.Minute), ServerVersion: "15.8"},
		Throughput: runrec.Throughput{Unit: "jobs/s", Baseline: 812, Mean: 640,
			LatencyMs: runrec.Percentiles{P50: 1.2, P95: 4, P99: 9.1, Max: 40.2}},
		Integrity: &runrec.Integrity{Enqueued: 48210, Completed: 48190, Pending: 20},
		Findings: []runrec.Finding{{ID: "F1", Cause: "lock_contention", Start: start.Add(50 * time.Second),
			End: start.Add(80 * time.Second), ThroughputDropPct: 63.5,
			Summary: "AccessExclusiveLock on public.jobs held by pid 4242 stalled every consumer."}},
		Recommendations: []runrec.Recommendation{{ID: "R1", Kind: "application"}},
	}
	report.Summary(os.Stdout, rep, "pgqtune-runs/20260314-092600-baseline")
	// Output:
	// pgqtune run · baseline · 20260314-092600-baseline · 2m00s · PostgreSQL 15.8
	//   throughput  812 jobs/s baseline, 640 mean
	//   latency     p50 1.20 ms  p95 4 ms  p99 9.10 ms  max 40.2 ms
	//   integrity   ok: 48210 enqueued, 48190 completed, 20 pending, 0 lost, 0 duplicated
	//   findings    1
	//     F1  lock_contention        09:26:50–09:27:20  -63.5%  AccessExclusiveLock on public.jobs held by pid 4242 stalled every consumer.
	//   recommendations 1 (R1 application)
	//   report      pgqtune-runs/20260314-092600-baseline/report.html
	//               pgqtune-runs/20260314-092600-baseline/report.md, pgqtune-runs/20260314-092600-baseline/report.json
}
