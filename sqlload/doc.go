// Package sqlload is pgqtune's workload driver: it makes a Postgres job
// queue sweat on purpose and measures it without lying.
//
// A scenario (built-in or YAML, see LoadScenario) names a queue adapter and
// a list of phases, each with a load profile (constant, ramp, steps, spike,
// max, burndown) and optionally a pressure (hold_xmin, readers, lock_table,
// checkpoints, cpu_hog). Run drives it: open-loop producers enqueue at their
// intended send times (latency is measured from those times, so a stalled
// database shows up as latency, not as a quietly lower rate), consumers
// claim, work and complete jobs, and every second one runrec.WorkloadTick
// goes to the caller. Every job carries a sequence number, and at the end
// each one is accounted for: completed exactly once, failed for good, or
// still pending — lost and duplicated are both zero or the driver says so.
//
// The scenario format, profiles, pressures and what is measured are
// described for DBAs in scenarios/README.md.
//
// The driver is meant to cost the machine less than the database it loads:
// per job it allocates once per batch (array parameters are built as text
// literals in a pooled buffer), locks its integrity ledger and histograms
// once per batch, and while a run lasts caps GOMAXPROCS at the scenario's
// client_procs (procs.go), because an I/O-bound Go client given every core
// spends more CPU in the scheduler than on its work. The skiplocked
// adapter sends its hot statements through pgconn with their parameters
// already encoded and reads the claim's columns raw
// (sqlload/adapter/skiplocked/rawexec.go), skipping pgx's per-call encode
// and scan planning. BenchmarkDriverMax and
// `make bench` measure client CPU per completed job against pgbench's.
//
// The Go runtime's own costs are kept out of the way too: the workload's
// connections read and write their sockets with raw system calls
// (rawio_linux.go), so the runtime's monitor thread is not woken from deep
// sleep after every moment all workers waited on the network (that cycle
// was half the process's context switches and a fifth of its CPU per job),
// and the skiplocked workers' calls get a context that never ends, the run's
// end interrupting the pool's connections once (connset.go), instead of
// pgconn watching each call's context. What remains beyond pgbench's cost
// is user time in pgx's protocol handling and the scheduler (epoll,
// goroutine wake-ups); the system calls per job are pgbench's.
//
// Queue designs are Adapters (adapter.go), registered by name, and every
// adapter passes the shared suite in internal/adaptertest. Each adapter is
// a package of its own under sqlload/adapter (skiplocked, pgmq, river,
// pgboss), with its embedded SQL (LoadSQL) and its tests, that registers
// itself in its init, as River keeps one driver per package: sqlload
// imports no adapter and no queue library, and sqlload/adapter/all imports
// every adapter for the programs that offer them all (the CLI, the
// pipeline, benchtool). What adapters share from the driver is exported
// and small: RetrySetup and ConnectionLost (retry.go), CollectInt64s and
// JobIDs (rows.go), LoadSQL and QualifiedName (sqlfiles.go), EncodePayload
// and AppendPayload (payload.go), StripComments (export.go) and the
// PoolOnly capability (connset.go).
package sqlload
