// Package sampler is pgqtune's sampler: once per interval it reads the
// statistics views a DBA looks at when a Postgres-backed queue slows down and
// turns them into one runrec.Sample. It imports only runrec and libraries
// (it lived in analyze/collect; its errors still begin "collect:", a text
// recorded in samples' server status, kept so that samples read the same).
//
// Each statistics view has its own collector (one file, its SQL in sql/, its
// snapshot type and its delta). Counters become deltas against the previous
// tick and are dropped for a tick (status kind runrec.StatusReset) when a
// counter went down or stats_reset changed; gauges are recorded as they are.
// A collector that cannot run (missing extension, missing privilege, older
// server) records why in Sample.Status (a runrec.CollectorStatus: a kind to
// switch on and the text people read) and in Notes, and the others go on.
//
// # One tick
//
// Collectors share no mutable state. What they read is env (collector.go):
// the session, the server's version and settings, the session's
// privileges, and the queue list, all written by the Sampler alone. Each
// collector keeps its own previous snapshot and returns what it read this
// tick as a typed reading (tablesReading, statementsReading, queuesReading,
// activityReading, ...), which writes only its own part of the sample.
// Sampler.steps lists the collectors in tick order and says what flows
// between them, in the open:
//
//   - the indexes collector reads the indexes of the tables the tables
//     reading sampled;
//   - new statement texts in the statements reading go to the statement-role
//     decision (roles.go) as soon as they are read;
//   - queues the queue collector found (late, or new partitions) become the
//     queue list before the settings collector reads their reloptions.
//
// After the collectors, one derive step (derive.go) computes what needs
// several readings: it folds the tables' and statements' cumulative
// counters into those of the first tick, and computes each queue's health
// (enqueued, dequeued, completed) from the queue reading's levels (depth,
// in flight, oldest pending age), the tables reading's deltas and the rows
// the claim statements returned (statements reading plus the role
// decision's claims). The queue accounting that spans ticks (the last
// levels, carries, totals) is the derive step's state, not a collector's.
// A tick cut short by a lost connection still derives from what was read
// before it.
//
// # The session
//
// The sampler uses one dedicated connection (application_name
// pgqtune-sampler, short statement_timeout and lock_timeout), queries outside
// any transaction block so that Postgres 15+ never serves it a cached stats
// snapshot, and in read-only mode runs with default_transaction_read_only on.
// A lost connection is retried with backoff; the ticks in between are
// recorded with Status["server"] (unavailable, then reconnected or
// restarted) so the gap is visible.
//
// # Statement roles
//
// The sampler also decides, once, what the workload's statements do for
// its queues (roles.go): which are each queue's claim, enqueue and
// complete, and which only look like a claim (a deferred foreign-key check,
// a library's lock of its bookkeeping rows, a stats query). The decision is
// libraries.DecideRoles over every statement text seen and the queue tables
// with the libraries that own them; it is made again whenever a new text or
// queue appears, and the last one (Sampler.StatementRoles, Libraries) is
// what run.json records. Nothing downstream re-derives it from SQL text.
package sampler
