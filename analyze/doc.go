// Package analyze turns a recorded run (runrec.Run: the workload timeline and
// the sampler's per-tick statistics) into findings: when the queue got
// slower, by how much, and which database-level cause explains it, with
// evidence a DBA can act on.
//
// It is a pure function of the recorded data: no database is touched, so
// `pgqtune analyze RUN_DIR` reproduces a run's findings exactly, and the
// tests drive it from synthetic runs with golden outputs.
//
// The pipeline is:
//
//  1. timeline: workload ticks become fixed slots (rates per second); sampler
//     ticks become frames, the handful of numbers per tick every cause reads.
//  2. baseline: the median completed rate (and p99, depth, claim time) over
//     measured slots, excluding warm-up, pressure phases and the events
//     themselves (found in a first pass).
//  3. events: (a) drops and stalls in completed jobs/s, (b) slow
//     degradations, (c) p99 latency, backlog and claim-statement slow-downs
//     that leave the rate intact; adjacent windows merge. Conditions that
//     have not slowed the queue yet are findings of the whole-run kind:
//     dead tuples rising past the autovacuum trigger for longer than
//     autovacuum needs, checkpoints forced more often than
//     checkpoint_warning, a HOT ratio near zero on a heavily updated queue
//     table over a long run.
//  4. attribution: every cause code scores every window from the frames
//     inside it against the baseline frames; one file per cause
//     (cause_*.go, registered in init: a new cause is one new file). The
//     best score wins when it clears MinCauseScore, otherwise the cause is
//     "unknown"; the rest are ranked alternatives. A named cause's
//     confidence is its score discounted by the runner-up's; an unknown
//     finding's confidence is how sure it is that nothing explains it.
//     Other causes that clear MinCauseScore on their own evidence are
//     listed as contributing.
//  5. phases, the throughput series and notes (collectors without data,
//     counter resets, sampler gaps, a short baseline).
//
// A cause scores on its effect, not its presence: an xmin holder or a
// foreign query is often there while something else costs the
// throughput. xmin_horizon needs the dead tuples it keeps growing and the
// claim's buffers per call rising with them (weighted correlation over
// the hold, claimcost.go), beyond what the enqueue and complete slowed;
// cpu_saturation needs non-workload backends on CPU and every statement
// slower alike (alike.go), or the claim taking longer per buffer it reads,
// with the host's CPU busy where it is read.
// A holder present without that effect is named as contributing, "not
// yet enough to slow the claim".
//
// When two causes both show their effect and one is a consequence of the
// other, the consequence yields (verdict.YieldsTo) and is listed as
// contributing, not as a rival in the confidence: a horizon held by a
// query that is itself busy on CPU yields to cpu_saturation (the same
// CPU-bound queries in the queue's database made the skiplocked claim
// read 38 -> 5,347 buffers and cut throughput, where on a quiet host an
// idle transaction making it read as much did not), and queue tables that
// grew while a horizon was held yield to xmin_horizon. Row locks held by
// the workload's own claim while it runs (known by the blocker's query id)
// yield to whatever slowed the claim: a claim that re-checks a row another
// worker took keeps its lock until it ends, so that worker's complete
// waits as long as the claim runs. An enqueue or complete that waited on
// a lock does not count in "every statement slower alike".
//
// Slow faults (autovacuum off or starved, a checkpoint storm) are
// whole-run findings that quantify their growth (slowfaults.go):
// dead tuples a minute and when the claim's cost doubles at that rate,
// or the extra WAL and checkpoint writes and max_wal_size against the
// WAL rate.
//
// Baselines are built to survive the faults they measure: an open-loop
// run's rate is capped at and, when the median falls short, taken from
// its target; the noise is read on the quieter side of the rate; "lower is
// better" signals (p99, claim time, depth, and every cause's signal) use
// the lower quartile of short-stretch levels, which holds while a quarter
// of the run is normal. Limits: a closed-loop run faulted for more than
// half of its measured time, or any run faulted for more than three
// quarters, takes the fault for normal.
package analyze
