// Package compare is pgqtune's CI gate: it compares two runs (Compare) and
// checks one run against --fail-if conditions (Threshold).
//
// A comparison holds the deltas of throughput, latency and per-query time
// (runrec.StatementStats of each run), the changed settings and phases, and
// the tests that keep noise from being called a regression: a Mann-Whitney
// U test and a bootstrap interval on the per-second completed series
// (stats.go), and a two-proportion test of the jobs slower than the base
// run's p99 (slowjobs.go). Runs that measured different things are refused
// (ErrIncomparable) unless Options.AllowIncomparable.
//
// It only computes. report renders a comparison (report.WriteComparison, and
// the "compared with the previous run" section), results finds the previous
// run a new report is compared with, and report.LoadRunDir reads a run
// directory into a RunData; WriteJSON is the comparison's JSON document.
package compare
