// Package collect is pgqtune's sampler: once per interval it reads the
// statistics views a DBA looks at when a Postgres-backed queue slows down and
// turns them into one runrec.Sample.
//
// Each statistics view has its own collector (one file, its SQL in sql/, its
// snapshot type and its delta). Counters become deltas against the previous
// tick and are dropped for a tick (status kind runrec.StatusReset) when a
// counter went down or stats_reset changed; gauges are recorded as they are.
// A collector that cannot run (missing extension, missing privilege, older
// server) records why in Sample.Status (a runrec.CollectorStatus: a kind to
// switch on and the text people read) and in Notes, and the others go on.
//
// The sampler uses one dedicated connection (application_name
// pgqtune-sampler, short statement_timeout and lock_timeout), queries outside
// any transaction block so that Postgres 15+ never serves it a cached stats
// snapshot, and in read-only mode runs with default_transaction_read_only on.
// A lost connection is retried with backoff; the ticks in between are
// recorded with Status["server"] (unavailable, then reconnected or
// restarted) so the gap is visible.
//
// The sampler also decides, once, what the workload's statements do for
// its queues (roles.go): which are each queue's claim, enqueue and
// complete, and which only look like a claim (a deferred foreign-key check,
// a library's lock of its bookkeeping rows, a stats query). The decision is
// libraries.DecideRoles over every statement text seen and the queue tables
// with the libraries that own them; it is made again whenever a new text or
// queue appears, and the last one (Sampler.StatementRoles, Libraries) is
// what run.json records. Nothing downstream re-derives it from SQL text.
package collect
