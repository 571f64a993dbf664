// Package results keeps the runs of a results root and of the shared results
// store: `pgqtune history` lists them (History, StoredHistory), `history
// --push` stores them (Store, schema pgqtune_results, SQL in sql/), and
// Previous finds the run a new report is compared with (compare.Compare).
//
// report only renders: it shows a comparison with an earlier run when it is
// given one (report.Options.Previous), and never looks for it itself.
// Write is report.Write with that lookup, for a run written into a results
// root.
package results
