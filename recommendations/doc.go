// Package recommendations turns a run's findings, its recorded statistics, a
// snapshot of the queue tables' catalog and the parsed hot statements into
// concrete changes a DBA can apply: CREATE INDEX CONCURRENTLY, per-table
// reloptions, server settings, partitioning outlines and application changes.
//
// Every rule is one file (rule_*.go) and a pure function of an Input, so the
// rules run the same on a live run and on a saved run directory (catalog.json
// stands in for the database). Every recommendation cites the findings or the
// measured numbers that justify it, states its expected impact, its risk and
// how to roll it back; a steady, well-tuned run gets none (or only ones marked
// informational).
//
// Two validations back recommendations with measurements: ValidateWithHypopg
// compares the planner's cost of the hot statement with and without a
// hypothetical index, and Rerun (driven by `pgqtune validate`) repeats the
// run's scenario on a scratch cluster with and without the change,
// interleaving the repetitions, and tests whether the difference is real.
package recommendations
