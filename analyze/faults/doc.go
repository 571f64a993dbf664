// Package faults is the test harness of analyze's fault-injection tests:
// it runs a real workload through pipeline.Run against a test database,
// injects a fault for a known window from OnStart, and checks that the
// report names the expected cause over an overlapping window.
//
// The tests live in this package (faults_test.go) and, for the faults that
// need fsync on (checkpoints), in faults/wal, which starts its own cluster.
package faults
