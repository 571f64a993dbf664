package sqlload_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/sqlload"
)

// benchMax is `make bench`'s pipelined driver (scripts/bench/max.yaml with
// complete_and_claim): 4 producers and 4 consumers on 8 connections,
// batches of 10, closed loop.
const benchMax = `name: bench-max
adapter: skiplocked
adapter_settings:
  completion: delete
  insert: multirow
producers: 4
consumers: 4
pool_size: 8
enqueue_batch: 10
dequeue_batch: 10
payload_bytes: 200
work_time: 0s
complete_and_claim: true
phases:
  - name: max
    profile: max
    duration: 10s
    max_depth: 200
`

// BenchmarkDriverMax measures what the driver costs its own process: CPU
// time (user + system, getrusage) per completed job over whole runs of the
// closed-loop skiplocked workload, integrity checked. Wall time and jobs/s
// depend on the server and whatever else the machine runs; CPU per job is
// the driver's own figure. Profile it with
//
//	go test ./sqlload -run '^$' -bench DriverMax -benchtime 1x -cpuprofile cpu.out
func BenchmarkDriverMax(b *testing.B) {
	path := filepath.Join(b.TempDir(), "max.yaml")
	if err := os.WriteFile(path, []byte(benchMax), 0o644); err != nil {
		b.Fatal(err)
	}
	sc, err := sqlload.LoadScenario(path)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	dsn := pgtest.NewDB(b)
	if err := sqlload.Setup(ctx, dsn, "pgqtune", sc); err != nil {
		b.Fatal(err)
	}
	var jobs int64
	var cpu, wall time.Duration
	b.ResetTimer()
	for range b.N {
		c0, t0 := cpuTime(b), time.Now()
		res, err := sqlload.Run(ctx, &sqlload.RunParams{DSN: dsn, Schema: "pgqtune", Scenario: sc})
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - c0
		wall += time.Since(t0)
		if in := res.Integrity; in.Lost != 0 || in.Duplicated != 0 {
			b.Fatalf("integrity broken: %+v", in)
		}
		jobs += res.Completed
	}
	if jobs == 0 {
		b.Fatal("no job completed")
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(jobs), "cpu-µs/job")
	b.ReportMetric(float64(jobs)/wall.Seconds(), "jobs/s")
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
