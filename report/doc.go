// Package report renders a pgqtune run: report.json (the schema_version 1
// contract, normalized by runrec.Normalize and validated by
// runrec.ValidateJSON before it is written), report.md for a terminal, pull request or ticket, and a
// self-contained report.html whose charts are SVG drawn with gonum/plot.
//
// It also renders a comparison of two runs (WriteComparison), which package
// compare computes; a rendered report shows a comparison with an earlier run
// only when given one (Options.Previous) and never scans sibling run
// directories. LoadRunDir reads a run directory (report.json validated, and
// the recorded run when present) for compare. The history of runs, the
// shared results store and the previous-run lookup are package results.
//
// Rendering never needs a database: everything comes from the runrec.Report
// the pipeline built and the runrec.Run recorded beside it.
package report
