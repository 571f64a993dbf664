// Package layout holds no code: its test checks the module's import rules,
// so that the walk from `pgqtune run` to report.json never steps back.
//
//   - analyze/... and sqlload/... (the pure analysis and the workload
//     driver) import nothing under internal/: test harnesses that drive the
//     pipeline or start clusters live under internal/ beside what they
//     drive (internal/pipeline/faults, internal/adaptertest);
//   - only cmd/ and internal/ import internal/pipeline: the session is the
//     top of the graph, below the CLI;
//   - units imports no other pgqtune package, so every layer can use it;
//   - compare (the comparison of two runs, its statistics and the --fail-if
//     gate) imports neither report nor results nor internal/: report renders
//     a comparison, results finds the previous run, compare only computes;
//   - report imports neither results nor internal/: it only renders;
//   - each queue adapter is a package under sqlload/adapter that registers
//     itself; sqlload imports none of them, and only sqlload/adapter/river
//     (and the real-library suite, internal/reallibs) imports River;
//   - internal/synthrun (the synthetic runs of the report and compare
//     tests) is imported by tests only.
//
// The rules apply to non-test files; a package's tests may use
// internal/pgtest and internal/pgserver to start a cluster.
package layout
