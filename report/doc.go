// Package report renders a pgqtune run: report.json (the schema_version 1
// contract, validated against the embedded report.schema.json before it is
// written), report.md for a terminal, pull request or ticket, and a
// self-contained report.html whose charts are SVG drawn with gonum/plot.
//
// It also keeps the history of runs (a results root of run directories, and
// optionally a shared pgqtune_results schema in Postgres) and compares two
// runs for a CI regression gate: deltas of throughput, latency and per-query
// time, and a Mann-Whitney U test on the per-second completed series so that
// noise is not called a regression.
//
// Rendering never needs a database: everything comes from the runrec.Report
// the pipeline built and the runrec.Run recorded beside it.
package report
