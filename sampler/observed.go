package sampler

import (
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// ObservedTick turns one sample into the workload tick of observe mode: jobs
// enqueued and completed over the sample's interval as the database saw
// them (summed over the queue tables), the total depth and the oldest
// waiting job's age. prev may be nil; it supplies depth when cur has none
// (a tick whose queue queries failed). Counts are not rescaled when a tick
// covers more than a second (skipped ticks): totals must add up.
func ObservedTick(prev, cur *runrec.Sample) runrec.WorkloadTick {
	t := runrec.WorkloadTick{Depth: -1, OldestPendingAgeS: -1}
	if cur == nil {
		return t
	}
	t.T = cur.T.Truncate(time.Second)
	depthKnown := false
	var depth int64
	for _, q := range cur.Queues {
		t.Enqueued += q.Enqueued
		t.Completed += q.Completed
		t.Dequeued += q.Dequeued
		if q.Depth >= 0 {
			depth += q.Depth
			depthKnown = true
		}
		if q.OldestPendingAgeS > t.OldestPendingAgeS {
			t.OldestPendingAgeS = q.OldestPendingAgeS
		}
	}
	if depthKnown {
		t.Depth = depth
	} else if prev != nil {
		for _, q := range prev.Queues {
			if q.Depth >= 0 {
				t.Depth = max(t.Depth, 0) + q.Depth
			}
		}
	}
	return t
}
