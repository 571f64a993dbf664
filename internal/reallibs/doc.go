// Package reallibs drives the queue libraries pgqtune's users run, each
// with its own API, so that tests and benchmarks can check pgqtune's
// observe against the library's own count:
//
//   - pg-boss 10.4.2 (Node): js/pgboss/load.js, new PgBoss, createQueue,
//     send / insert, work; installed with npm into the user cache by the
//     pgboss adapter's own install (sqlload/adapter/pgboss: pgboss.Dir),
//     the script beside pg-boss's setup script;
//   - graphile-worker 0.16.6 (Node): js/graphile-worker/load.js, run with a
//     task list, makeWorkerUtils().addJob, graphile_worker.add_jobs for
//     backlogs; its package.json and package-lock.json pin it, cached the
//     same way (sqlload/nodepkg);
//   - River v0.51.2 through its Go library: rivermigrate, InsertManyFast,
//     a Client counting EventKindJobCompleted;
//   - pgmq as the real extension: pgmq.create, send / send_batch, read,
//     archive (pgtest.RequirePgmq installs its files on a test cluster).
//
// Prepare sets a library up on a database (its schema by its own
// migrations, its queue, a backlog) and returns a Workload; Workload.Run
// starts the workers and a producer and returns a Result, the library's
// own account. Observe runs a workload while pipeline.Observe (what
// `pgqtune observe` runs) watches the database, injecting a Fault mid-run.
// ClaimIndexes names the index each library's claim relies on. Without
// node or npm, or when npm ci fails, Prepare's error satisfies Unavailable
// and names what is missing: tests skip on it.
//
// # The pg-boss load command
//
// Script(ctx, PgBoss) returns `node <cache>/pgboss-10.4.2/load.js`, a
// workload any `pgqtune observe -- COMMAND` can run:
//
//	PGQTUNE_DSN=postgres://... node ~/.cache/pgqtune/pgboss-10.4.2/load.js --rate 100 --jobs 2000
//
// The DSN comes from PGQTUNE_DSN (or --dsn DSN, which ps shows); `pgqtune
// observe --dsn DSN -- node load.js ...` sets PGQTUNE_DSN itself, and
// validate gives a re-run its own --dsn there. With --backlog N --jobs N
// each invocation brings and drains its own backlog, so validate can run
// it again and again (cmd/pgqtune's TestValidateObservedPgBoss). Flags:
//
//	--queue NAME       queue, created with createQueue when missing (pgqtune)
//	--workers N        work() registrations, each its own fetch loop (4)
//	--batch N          batchSize of each fetch (10)
//	--poll S           pollingIntervalSeconds, at least 0.5 (0.5)
//	--rate R           send R jobs/s while working (0: no producer)
//	--backlog N        insert N runnable jobs before the workers start (0)
//	--scheduled N      insert N jobs due in a day before starting (0)
//	--jobs N           stop once N jobs completed (0: only the deadline)
//	--deadline S       stop after S seconds at most (60)
//	--wait-start FILE  print {"ready":true} once set up, then start only
//	                   when FILE exists
//
// It prints one JSON line, the Result: {"library":"pg-boss",
// "version":"10.4.2","completed":N,"sent":M,"started_at":ms,...}. The
// graphile-worker script takes the same flags but --queue, --workers and
// --batch; --concurrency N and --poll MS (pollInterval) are its own.
// Each fetch loop of pg-boss 10 waits out its polling interval between
// fetches, so its throughput is at most workers x batch / poll until the
// database is the bound.
package reallibs
