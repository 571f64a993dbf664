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
//     that leave the rate intact, plus dead tuples piling up past the
//     autovacuum trigger; adjacent windows merge.
//  4. attribution: every cause code scores every window from the frames
//     inside it against the baseline frames; one file per cause
//     (cause_*.go). The best score wins when it clears a floor, otherwise
//     the cause is "unknown"; the rest are ranked alternatives.
//  5. whole-run findings (HOT ratio near zero on a heavily updated queue
//     table), phases, the throughput series and notes.
package analyze
