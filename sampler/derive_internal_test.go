package sampler

import (
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

// TestDeriveQueueFoundLate: derive needs no database. A queue found after
// the sampler started is counted from the first tick's counters on the
// tick it is found, then from each tick's deltas; dequeues and
// completions follow its levels.
func TestDeriveQueueFoundLate(t *testing.T) {
	kind := queueKindFor("pgqtune", "job", []string{"queue", "state", "run_at", "priority", "attempts", "max_attempts"})
	if kind == nil || kind.system != SystemSkipLocked {
		t.Fatalf("kind %+v, want skiplocked", kind)
	}
	q := queueTable{Name: "pgqtune.job", System: SystemSkipLocked, Members: []string{"pgqtune.job"}, memberOIDs: []uint32{7}, kind: kind}
	counters := func(ins, del int64) map[uint32]tableSnap {
		s := tableSnap{name: q.Name}
		s.ints[4], s.ints[7] = ins, del
		return map[uint32]tableSnap{7: s}
	}
	levels := func(depth, inflight int64, found bool) queueLevels {
		return queueLevels{q: q, found: found, depthSampled: true, inflightSampled: true,
			health: runrec.QueueHealth{Table: q.Name, System: q.System, Depth: depth, InFlight: inflight, OldestPendingAgeS: -1}}
	}
	var d derived

	// Tick 1: no queue known yet; the tables' counters are the baseline.
	first := counters(10, 0)
	var smp runrec.Sample
	d.derive(&readings{tables: tablesReading{read: first, latest: first}}, nil, 0, &smp)
	if len(smp.Queues) != 0 {
		t.Fatalf("tick 1: queues %+v before any was found", smp.Queues)
	}

	// Tick 2: the queue is found; 15 inserted since tick 1, 8 waiting and
	// 2 running.
	now := counters(25, 0)
	smp = runrec.Sample{}
	d.derive(&readings{
		tables: tablesReading{read: now, latest: now},
		queues: queuesReading{found: true, levels: []queueLevels{levels(8, 2, true)}},
	}, nil, 1, &smp)
	if len(smp.Queues) != 1 {
		t.Fatalf("tick 2: %d queues, want 1", len(smp.Queues))
	}
	if got := smp.Queues[0]; got.Enqueued != 15 || got.Dequeued != 7 || got.Completed != 5 || got.Depth != 8 {
		t.Errorf("tick 2 (found): %+v; want enqueued 15, dequeued 7, completed 5, depth 8", got)
	}

	// Tick 3: 3 inserted over the tick, 6 waiting, 2 running.
	smp = runrec.Sample{}
	d.derive(&readings{
		tables: tablesReading{rows: []runrec.TableStats{{Relation: q.Name, Ins: 3, Queue: true}}},
		queues: queuesReading{levels: []queueLevels{levels(6, 2, false)}},
	}, nil, 1, &smp)
	if got := smp.Queues[0]; got.Enqueued != 3 || got.Dequeued != 5 || got.Completed != 5 {
		t.Errorf("tick 3: %+v; want enqueued 3, dequeued 5, completed 5", got)
	}

	// A failed queue reading forgets the last levels: the next tick has no
	// reference to count dequeues against.
	smp = runrec.Sample{}
	d.derive(&readings{queuesFailed: true}, nil, 1, &smp)
	smp = runrec.Sample{}
	d.derive(&readings{
		tables: tablesReading{rows: []runrec.TableStats{{Relation: q.Name, Ins: 4, Queue: true}}},
		queues: queuesReading{levels: []queueLevels{levels(5, 1, false)}},
	}, nil, 1, &smp)
	if got := smp.Queues[0]; got.Enqueued != 4 || got.Dequeued != 0 || got.Completed != 0 {
		t.Errorf("after a failed reading: %+v; want enqueued 4 and nothing counted against the forgotten levels", got)
	}
}
