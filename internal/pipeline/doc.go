// Package pipeline wires pgqtune's pieces into its end-to-end jobs:
//
//   - Run: start (or reach) a server, set up the queue, drive the workload
//     while the sampler records statistics, then analyze, recommend and report.
//   - Observe: the same without the driver, against someone else's workload,
//     read-only.
//   - ExportPgbench: only write the scenario's SQL as pgbench scripts (no
//     database, no run directory).
//   - Analyze: re-run analysis, recommendations and reports on a saved run
//     directory without a database.
//   - Validate: prove recommendations by re-running a recorded workload
//     without and with them, interleaved: a scenario on a scratch cluster
//     (or --dsn), or an observed run's recorded command on the database it
//     watched, each recommendation undone by its rollback between
//     repetitions.
//
// Run and Observe share one skeleton, session (session.go): the run
// directory proved writable before the database is touched, run.json, the
// sampler, the recorder of samples and ticks (recorder.go), and at the end
// run.json again and the conclusion (conclude: catalog, analysis, reports,
// store). run.go and observe.go hold only what differs: Run opens its
// target (a throwaway cluster or --dsn, pgqtune's schema claimed, the queue
// set up) and drives the load; Observe runs and watches a workload command.
// Validate re-runs a recorded workload through Run (or the recorded command),
// so it has no skeleton of its own.
//
// It owns no analysis and no queue or sampling SQL: the workload, pgqtune's
// queue schemas and its schema claim (sqlload/schema.go) are sqlload's, the
// sampling queries the sampler's, the analysis analyze's, the rules
// recommendations', the run-directory contract and report.json types
// runrec's, rendering report's, comparing runs compare's, and history, the
// results store and the previous-run lookup results'. What SQL it does run is session plumbing: a
// connection check (target.go), dropping a validation's scratch database
// (validate_scenario.go) and checking that an index is not there yet before
// an observed validation applies it (validate_observed.go).
//
// The CLI (cmd/pgqtune) parses flags, maps errors to exit codes and calls
// this package for run, observe, analyze and validate; the commands that only
// read run directories (report, compare, history) call report, compare and
// results directly.
package pipeline
