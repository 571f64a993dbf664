package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/pgqtune/pgqtune/analyze/collect"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sqlload"
)

// driverResult is what `benchtool driver` prints (one JSON line), for
// bench.sh to compare with pgbench.
type driverResult struct {
	Scenario   string  `json:"scenario"`
	Seconds    float64 `json:"seconds"`
	Completed  int64   `json:"completed"`
	JobsPerS   float64 `json:"jobs_per_s"`
	Lost       int64   `json:"lost"`
	Duplicated int64   `json:"duplicated"`
	SamplerS   float64 `json:"sampler_interval_s,omitempty"`
	Samples    int     `json:"samples,omitempty"`
	P99Ms      float64 `json:"p99_ms"`
	// OpP50Ms is each operation's median round trip (enqueue, dequeue,
	// complete), to tell a slow server from an idle client.
	OpP50Ms     map[string]float64 `json:"op_p50_ms,omitempty"`
	Connections int                `json:"connections"`
}

// driver runs pgqtune's workload driver (sqlload.Run, the code `pgqtune run`
// uses) on a scenario file and prints its completed jobs/s over the
// non-warm-up seconds. With --sampler it also runs the statistics sampler
// (analyze/collect) at that interval, for the sampler-overhead comparison.
func driver(args []string) error {
	fs := flag.NewFlagSet("driver", flag.ContinueOnError)
	dsn := fs.String("dsn", "", "target database")
	schema := fs.String("schema", "pgqtune", "schema of the queue tables")
	scenario := fs.String("scenario", "scripts/bench/max.yaml", "scenario name or YAML file")
	duration := fs.Duration("duration", 0, "override the scenario's duration")
	producers := fs.Int("producers", 0, "override producers")
	consumers := fs.Int("consumers", 0, "override consumers")
	samplerEvery := fs.Duration("sampler", 0, "also run the sampler at this interval (0 = no sampler)")
	pool := fs.Int("pool", 0, "override the connection pool size (connections)")
	batch := fs.Int("batch", 0, "override enqueue and dequeue batch sizes")
	progress := fs.Bool("progress", false, "print the driver's progress line to stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	sc, err := sqlload.LoadScenario(*scenario)
	if err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	if err := sc.Apply(sqlload.Overrides{Duration: *duration, Producers: *producers, Consumers: *consumers}); err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	// Connections and batch sizes are what the comparison with pgbench
	// pins; the CLI has no flags for them, so they are set here.
	if *pool > 0 {
		sc.PoolSize = *pool
	}
	if *batch > 0 {
		sc.EnqueueBatch, sc.DequeueBatch = *batch, *batch
	}
	// No sqlload.Setup here: Run applies the adapter's migrations itself,
	// and a second pass would be CPU counted against the driver per job.

	var samples int
	var wg sync.WaitGroup
	sampCtx, stopSampler := context.WithCancel(ctx)
	defer stopSampler()
	if *samplerEvery > 0 {
		s, err := collect.New(ctx, collect.Config{DSN: *dsn, Interval: *samplerEvery, WorkloadApps: []string{"pgqtune-workload"}, HostStats: true})
		if err != nil {
			return fmt.Errorf("driver: sampler: %w", err)
		}
		defer s.Close()
		// The sampler's output is encoded as pipeline.Run would write it,
		// so its cost is in the comparison, and then discarded.
		enc := json.NewEncoder(devNull{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Run(sampCtx, func(smp runrec.Sample) error {
				samples++
				return enc.Encode(smp)
			})
		}()
	}

	var (
		mu        sync.Mutex
		completed int64
		seconds   int
	)
	p := &sqlload.RunParams{DSN: *dsn, Schema: *schema, Scenario: sc,
		OnTick: func(t runrec.WorkloadTick) {
			if t.Warmup {
				return
			}
			mu.Lock()
			completed += t.Completed
			seconds++
			mu.Unlock()
		}}
	if *progress {
		p.Progress = os.Stderr
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("driver: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("driver: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := sqlload.Run(ctx, p)
	stopSampler()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	// The rate is over the measured phases' own span: the last tick is a
	// partial second, so a tick count would understate it.
	var span time.Duration
	for _, ph := range res.Phases {
		if !ph.Warmup {
			span += ph.End.Sub(ph.Start)
		}
	}
	if span <= 0 {
		span = time.Duration(seconds) * time.Second
	}
	out := driverResult{
		Scenario: sc.Name, Seconds: span.Seconds(), Completed: completed,
		Lost: res.Integrity.Lost, Duplicated: res.Integrity.Duplicated,
		P99Ms: res.LatencyMs.P99, Connections: sc.PoolSize,
	}
	if span > 0 {
		out.JobsPerS = float64(completed) / span.Seconds()
	}
	for op, p := range res.Operations {
		if op == "enqueue" || op == "dequeue" || op == "complete" {
			if out.OpP50Ms == nil {
				out.OpP50Ms = map[string]float64{}
			}
			out.OpP50Ms[op] = p.P50
		}
	}
	if *samplerEvery > 0 {
		out.SamplerS, out.Samples = samplerEvery.Seconds(), samples
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	if out.Lost != 0 || out.Duplicated != 0 {
		return fmt.Errorf("driver: integrity broken: %d lost, %d duplicated", out.Lost, out.Duplicated)
	}
	return nil
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }
