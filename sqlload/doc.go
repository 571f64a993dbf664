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
// already encoded and reads the claim's columns raw (rawexec.go), skipping
// pgx's per-call encode and scan planning. BenchmarkDriverMax and
// `make bench` measure client CPU per completed job against pgbench's.
//
// What is left of the gap to pgbench is mostly the Go runtime, not the
// driver's own work: per round trip the driver makes the same system calls
// as pgbench (one write, two reads, one poll), but each time its only P
// goes idle and wakes again, the runtime's sysmon thread is woken from deep
// sleep by the first system call and sleeps again in 20 µs steps: about
// half the process's context switches (measured with perf sched_switch).
//
// Queue designs are Adapters (adapter.go), registered by name; the built-in
// skiplocked adapter is in skiplocked.go, and every adapter passes the
// shared suite in internal/adaptertest.
package sqlload
