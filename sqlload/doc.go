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
// spends more CPU in the scheduler than on its work. BenchmarkDriverMax and
// `make bench` measure client CPU per completed job against pgbench's.
//
// Queue designs are Adapters (adapter.go), registered by name; the built-in
// skiplocked adapter is in skiplocked.go, and every adapter passes the
// shared suite in internal/adaptertest.
package sqlload
