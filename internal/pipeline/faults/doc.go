// Package faults is the test harness of the fault-injection tests of
// analyze's cause attribution: it runs a real workload through pipeline.Run
// against a test database, injects a fault for a known window from OnStart,
// and checks that the report names the expected cause over an overlapping
// window.
//
// The tests live in this package (faults_test.go: per-database faults) and
// in faults/cluster (checkpoints and CPU: cluster-wide signals, fsync on),
// each package with its own cluster, so the two run in parallel under
// `go test ./...` in about four minutes each at most. It sits beside the
// pipeline it drives, so that analyze never imports upwards.
package faults
