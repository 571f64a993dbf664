// Package pipeline wires pgqtune's pieces into its four end-to-end jobs:
//
//   - Run: start (or reach) a server, set up the queue, drive the workload
//     while the sampler records statistics, then analyze, recommend and report.
//   - Observe: the same without the driver, against someone else's workload,
//     read-only.
//   - Analyze: re-run analysis, recommendations and reports on a saved run
//     directory without a database.
//   - Validate: prove recommendations by re-running a recorded workload
//     without and with them, interleaved: a scenario on a scratch cluster
//     (or --dsn), or an observed run's recorded command on the database it
//     watched, each recommendation undone by its rollback between
//     repetitions.
//
// It owns no SQL and no analysis of its own: those live in sqlload,
// analyze/collect, analyze, recommendations and report. The CLI only parses
// flags and calls this package.
package pipeline
