package reallibs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pgqtune/pgqtune/internal/pipeline"
)

// Watch is one workload run under pgqtune observe.
type Watch struct {
	// Outcome is observe's: the run directory and its report.
	Outcome *pipeline.Outcome
	// Result is the library's own account of the same workload.
	Result *Result
	// Fault is when During's fault was in effect (zero without one).
	FaultStart, FaultEnd time.Time
}

// Fault is done to the database while a watched workload runs.
type Fault struct {
	// After is how long after the workers start the fault begins.
	After time.Duration
	// For is how long it lasts.
	For time.Duration
	// Start begins it and returns what ends it.
	Start func(ctx context.Context) (stop func(), err error)
}

// Lead is how long observe samples before the workers start, and Trail
// how long after they stopped: the first sample is a baseline, and the
// last completions are counted one tick after they happen.
const (
	Lead  = 2 * time.Second
	Trail = 3 * time.Second
)

// Observe runs w while pgqtune observe (pipeline.Observe, as `pgqtune
// observe --dsn DSN` runs it) watches dsn, writing the run directory out.
// Sampling starts before the workers and ends Trail after them; f, when
// set, is injected mid-run.
func Observe(ctx context.Context, dsn, out string, w Workload, f *Fault) (*Watch, error) {
	octx, stopObserve := context.WithCancel(ctx)
	defer stopObserve()
	started := make(chan struct{})
	var once sync.Once
	type observed struct {
		out *pipeline.Outcome
		err error
	}
	obs := make(chan observed, 1)
	go func() {
		o, err := pipeline.Observe(octx, pipeline.ObserveOptions{
			DSN: dsn, Out: out,
			// The first progress line comes once the sampler is set up.
			Progress: writerFunc(func() { once.Do(func() { close(started) }) }),
		})
		obs <- observed{o, err}
	}()
	select {
	case <-started:
	case o := <-obs:
		return nil, fmt.Errorf("reallibs: observe ended before the workload: %w", o.err)
	}
	time.Sleep(Lead)

	watch := &Watch{}
	var fwg sync.WaitGroup
	var ferr error
	wctx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	if f != nil {
		fwg.Add(1)
		go func() {
			defer fwg.Done()
			select {
			case <-wctx.Done():
				return
			case <-time.After(f.After):
			}
			watch.FaultStart = time.Now()
			stop, err := f.Start(wctx)
			if err != nil {
				ferr = err
				return
			}
			select {
			case <-wctx.Done():
			case <-time.After(f.For):
			}
			stop()
			watch.FaultEnd = time.Now()
		}()
	}
	res, err := w.Run(wctx)
	stopWork()
	fwg.Wait()
	if err == nil {
		err = ferr
	}
	time.Sleep(Trail)
	stopObserve()
	o := <-obs
	if err != nil {
		return nil, err
	}
	if o.err != nil {
		return nil, fmt.Errorf("reallibs: observe: %w", o.err)
	}
	watch.Outcome, watch.Result = o.out, res
	return watch, nil
}

// writerFunc calls f on every write.
type writerFunc func()

func (f writerFunc) Write(p []byte) (int, error) { f(); return len(p), nil }

// ObservedCompleted sums observe's completed jobs over the series points
// in (from, to]: each point counts the second before it.
func ObservedCompleted(o *pipeline.Outcome, from, to time.Time) int64 {
	var n int64
	for _, p := range o.Report.Throughput.Series {
		if p.T.After(from) && !p.T.After(to) {
			n += p.Completed
		}
	}
	return n
}
