// Package pipeline wires pgqtune's pieces into its three end-to-end jobs:
//
//   - Run: start (or reach) a server, set up the queue, drive the workload
//     while the sampler records statistics, then analyze, recommend and report.
//   - Observe: the same without the driver, against someone else's workload,
//     read-only.
//   - Analyze: re-run analysis, recommendations and reports on a saved run
//     directory without a database.
//
// It owns no SQL and no analysis of its own: those live in sqlload,
// analyze/collect, analyze, recommendations and report. The CLI only parses
// flags and calls this package.
package pipeline
