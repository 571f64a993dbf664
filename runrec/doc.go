// Package runrec holds the plain data types of a pgqtune run directory and of
// its report.json contract, and reads and writes them.
//
// Every other package talks through these types: sqlload appends one
// WorkloadTick per second, the sampler (package sampler) appends one Sample
// per tick, analyze turns both into Findings, recommendations turns findings
// into Recommendations, and report renders a Report. Keeping them here, with
// little logic beyond reading and writing, means nothing imports in a circle and
// analysis can be re-run on a saved directory without a database.
//
// A run directory holds:
//
//	run.json         Meta: what ran, against what, with which settings
//	workload.jsonl   one WorkloadTick per second (append-only)
//	samples.jsonl    one Sample per sampler tick (append-only)
//	report.json      the schema_version 1 contract (Report)
//	report.md, report.html
//
// Beside the types sit the few derivations every reader needs the same way:
// statement roles (roles_derive.go) and statement totals over a run
// (StatementStats, statements.go), which the report's per-query table and
// compare's per-query deltas both read.
//
// It also owns the names every other package shares: the file names above,
// DefaultRoot (the results root, pgqtune-runs), and the cause codes and
// finding kinds (causes.go, report.go), which report.schema.json pins.
//
// The report.json contract itself is here too, so that report only renders:
// report.schema.json (embedded as SchemaJSON, checked by ValidateJSON,
// schema.go) and Normalize (normalize.go), which turns a Report into what the
// schema requires (UTC times, empty lists rather than null, finite numbers)
// before anything writes, renders or stores it.
//
// The run-directory files change only additively: a reader of this version
// loads every directory an earlier version wrote. The one change of form so
// far is Sample.Status: each entry was the human text alone ("reset",
// "error: ...", "restarted at <time>, ...") and is now a CollectorStatus
// object {"kind", "detail", "restarted_at"} (status.go), whose UnmarshalJSON
// still reads the old strings, mapping their prefixes to the same kinds
// analyze used to read from them. Builds from before the object form cannot
// read a samples.jsonl line that carries one.
//
// The .jsonl files are appended a line at a time and synced, so a crash or a
// kill loses at most the line in flight; readers skip a torn last line.
package runrec
