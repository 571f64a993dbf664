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

	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sampler"
	"github.com/pgqtune/pgqtune/sqlload"
	_ "github.com/pgqtune/pgqtune/sqlload/adapter/all" // every adapter a scenario may name
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

// driverFlags are `benchtool driver`'s flags.
type driverFlags struct {
	dsn, schema, scenario, cpuProfile string
	duration, samplerEvery            time.Duration
	producers, consumers, pool, batch int
	progress                          bool
}

func parseDriverFlags(args []string) (*driverFlags, error) {
	f := &driverFlags{}
	fs := flag.NewFlagSet("driver", flag.ContinueOnError)
	fs.StringVar(&f.dsn, "dsn", "", "target database")
	fs.StringVar(&f.schema, "schema", "pgqtune", "schema of the queue tables")
	fs.StringVar(&f.scenario, "scenario", "scripts/bench/max.yaml", "scenario name or YAML file")
	fs.DurationVar(&f.duration, "duration", 0, "override the scenario's duration")
	fs.IntVar(&f.producers, "producers", 0, "override producers")
	fs.IntVar(&f.consumers, "consumers", 0, "override consumers")
	fs.DurationVar(&f.samplerEvery, "sampler", 0, "also run the sampler at this interval (0 = no sampler)")
	fs.IntVar(&f.pool, "pool", 0, "override the connection pool size (connections)")
	fs.IntVar(&f.batch, "batch", 0, "override enqueue and dequeue batch sizes")
	fs.BoolVar(&f.progress, "progress", false, "print the driver's progress line to stderr")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return f, nil
}

// driver runs pgqtune's workload driver (sqlload.Run, the code `pgqtune run`
// uses) on a scenario file and prints its completed jobs/s over the
// non-warm-up seconds. With --sampler it also runs the statistics sampler
// (package sampler) at that interval, for the sampler-overhead comparison.
func driver(args []string) error {
	f, err := parseDriverFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	sc, err := benchScenario(f)
	if err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	// No sqlload.Setup here: Run applies the adapter's migrations itself,
	// and a second pass would be CPU counted against the driver per job.

	stopSampler := func() int { return 0 }
	if f.samplerEvery > 0 {
		s, err := sampler.New(ctx, sampler.Config{DSN: f.dsn, Interval: f.samplerEvery, WorkloadApps: []string{"pgqtune-workload"}, HostStats: true})
		if err != nil {
			return fmt.Errorf("driver: sampler: %w", err)
		}
		defer s.Close()
		stopSampler = runSampler(ctx, s)
		defer stopSampler() // before Close, when the load never ran
	}

	var (
		mu        sync.Mutex
		completed int64
		seconds   int
	)
	p := &sqlload.RunParams{DSN: f.dsn, Schema: f.schema, Scenario: sc,
		OnTick: func(t runrec.WorkloadTick) {
			if t.Warmup {
				return
			}
			mu.Lock()
			completed += t.Completed
			seconds++
			mu.Unlock()
		}}
	if f.progress {
		p.Progress = os.Stderr
	}
	if f.cpuProfile != "" {
		stopProfile, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return fmt.Errorf("driver: %w", err)
		}
		defer stopProfile()
	}
	res, err := sqlload.Run(ctx, p)
	samples := stopSampler()
	if err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	out := summarize(sc, res, completed, seconds)
	if f.samplerEvery > 0 {
		out.SamplerS, out.Samples = f.samplerEvery.Seconds(), samples
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	if out.Lost != 0 || out.Duplicated != 0 {
		return fmt.Errorf("driver: integrity broken: %d lost, %d duplicated", out.Lost, out.Duplicated)
	}
	return nil
}

// benchScenario loads the scenario with the flags' overrides. Connections
// and batch sizes are what the comparison with pgbench pins; the CLI has
// no flags for them, so they are set here.
func benchScenario(f *driverFlags) (*sqlload.Scenario, error) {
	sc, err := sqlload.LoadScenario(f.scenario)
	if err != nil {
		return nil, err
	}
	if err := sc.Apply(sqlload.Overrides{Duration: f.duration, Producers: f.producers, Consumers: f.consumers}); err != nil {
		return nil, err
	}
	if f.pool > 0 {
		sc.PoolSize = f.pool
	}
	if f.batch > 0 {
		sc.EnqueueBatch, sc.DequeueBatch = f.batch, f.batch
	}
	return sc, nil
}

// runSampler runs the sampler until the returned stop is called; stop
// waits for it and returns the number of samples taken. Each sample is
// encoded as pipeline.Run would write it, so its cost is in the
// comparison, and then discarded.
func runSampler(ctx context.Context, s *sampler.Sampler) (stop func() int) {
	sampCtx, cancel := context.WithCancel(ctx)
	enc := json.NewEncoder(devNull{})
	var samples int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = s.Run(sampCtx, func(smp runrec.Sample) error {
			samples++
			return enc.Encode(smp)
		})
	}()
	return func() int {
		cancel()
		wg.Wait()
		return samples
	}
}

// startCPUProfile writes a CPU profile to path until the returned stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// summarize is the driver's result: completed jobs over the measured
// phases' own span (the last tick is a partial second, so a tick count
// would understate the rate), integrity, p99 and each operation's median.
func summarize(sc *sqlload.Scenario, res *sqlload.Result, completed int64, seconds int) driverResult {
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
	return out
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }
