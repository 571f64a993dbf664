package sqlload

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// statsCache reads the queue's depth in its own goroutine, so a depth query
// stuck behind a lock (lock_table) never delays a tick: the tick reports the
// depth as unknown instead. Counting a big backlog is not free, so the
// query runs at most every second and never takes more than a fifth of one
// backend's time: after a query of d it waits max(1s, 4d), at most 10 s. A
// reading older than statsFresh is not reported at all: a depth from twenty
// seconds ago (a query that sat five seconds behind a lock) would read as a
// backlog that never drained.
type statsCache struct {
	mu  sync.Mutex
	st  QueueStats
	at  time.Time
	err error
}

// statsFresh is how old a queue reading may be and still stand for a tick.
const statsFresh = 2 * time.Second

func newStatsCache() *statsCache { return &statsCache{} }

func (c *statsCache) loop(ctx context.Context, ad Adapter) {
	for ctx.Err() == nil {
		t0 := time.Now()
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		st, err := ad.Stats(qctx)
		cancel()
		took := time.Since(t0)
		wait := max(time.Second-took, min(4*took, 10*time.Second))
		c.mu.Lock()
		if err == nil {
			c.st, c.at = st, time.Now()
		}
		c.err = err
		c.mu.Unlock()
		if !sleepCtx(ctx, wait) {
			return
		}
	}
}

// get returns the latest stats when they are fresh (read within the last
// statsFresh).
func (c *statsCache) get() (QueueStats, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st, !c.at.IsZero() && time.Since(c.at) < statsFresh
}

// tickLoop emits one WorkloadTick per wall-clock second until stop closes,
// then a last one for the partial second.
func (d *driver) tickLoop(stop <-chan struct{}, stats *statsCache) {
	from := time.Now()
	secStart := from.Truncate(time.Second)
	phase := d.phase.Load()
	n := 0
	for {
		next := secStart.Add(time.Second)
		t := time.NewTimer(time.Until(next))
		final := false
		select {
		case <-stop:
			final = true
			t.Stop()
		case <-t.C:
		}
		tick := d.collectTick(secStart, phase, stats)
		// The first and last ticks cover part of a second: say how much,
		// so no jobs/s figure reads them as whole seconds.
		if covered := coveredPart(from, secStart, next, time.Now()); covered < time.Second-time.Millisecond {
			tick.CoveredS = max(round2(covered.Seconds()), 0.01)
		}
		d.ticks = append(d.ticks, tick)
		if d.p.OnTick != nil {
			d.p.OnTick(tick)
		}
		n++
		if d.p.Progress != nil && (n%d.progressEvery() == 0 || final) {
			d.progress(tick)
		}
		if final {
			return
		}
		secStart = next
		phase = d.phase.Load()
	}
}

// coveredPart is how much of the second [secStart, next) the driver ran:
// from its start (from) to now.
func coveredPart(from, secStart, next, now time.Time) time.Duration {
	if from.After(secStart) {
		secStart = from
	}
	if now.Before(next) {
		next = now
	}
	return next.Sub(secStart)
}

// collectTick swaps out the second's counters.
func (d *driver) collectTick(t time.Time, phase *phaseInfo, stats *statsCache) runrec.WorkloadTick {
	tick := runrec.WorkloadTick{
		T:           t.UTC(),
		Phase:       phase.name,
		Warmup:      phase.warmup,
		Enqueued:    d.c.enqueued.Swap(0),
		Dequeued:    d.c.dequeued.Swap(0),
		Completed:   d.c.completed.Swap(0),
		Failed:      d.c.failed.Swap(0),
		Retried:     d.c.retried.Swap(0),
		Redelivered: d.c.redelivered.Swap(0),
		Errors:      d.c.errors.Swap(0),
		Depth:       -1,
		// Producers' lag behind their schedule, now.
		ScheduleLagMs:     round2(float64(d.lag()) / 1e6),
		TargetRate:        round2(d.target()),
		OldestPendingAgeS: -1,
	}
	// Acquires that found no idle connection, and connections the server
	// refused: the pool (or max_connections) is what the workers waited on.
	waits := d.pool.Stat().EmptyAcquireCount()
	tick.ConnWaits = max(waits-d.lastWaits, 0) + d.c.refused.Swap(0)
	d.lastWaits = waits
	if st, ok := stats.get(); ok {
		tick.Depth = st.Depth
		tick.OldestPendingAgeS = round2(st.OldestPendingAge.Seconds())
	}
	if p := d.tickH.snapshotReset(); p.Count > 0 {
		tick.LatencyMs = &p
	}
	return tick
}

// progressEvery is the seconds between progress lines (pgbench -P).
func (d *driver) progressEvery() int {
	if d.p.ProgressEvery > 0 {
		return d.p.ProgressEvery
	}
	return 5
}

// progress prints a pgbench -P style line over the seconds since the last.
func (d *driver) progress(tick runrec.WorkloadTick) {
	k := min(d.progressEvery(), len(d.ticks))
	FormatProgress(d.p.Progress, time.Since(d.start), d.ticks[len(d.ticks)-k:])
}

// FormatProgress writes one progress line, the same for run and observe:
// rates in and out and the worst p99 over recent ticks, then the latest
// tick's depth, schedule lag, errors and phase. "?" marks a depth that was
// not known.
func FormatProgress(w io.Writer, elapsed time.Duration, recent []runrec.WorkloadTick) {
	if len(recent) == 0 {
		return
	}
	var enq, comp, errs int64
	var p99 float64
	for _, t := range recent {
		enq += t.Enqueued
		comp += t.Completed
		errs += t.Errors
		if t.LatencyMs != nil {
			p99 = max(p99, t.LatencyMs.P99)
		}
	}
	last := recent[len(recent)-1]
	depth := "?"
	if last.Depth >= 0 {
		depth = fmt.Sprint(last.Depth)
	}
	phase := ""
	if last.Phase != "" {
		phase = " [" + last.Phase + "]"
	}
	k := float64(len(recent))
	fmt.Fprintf(w, "progress: %.1f s, %.1f jobs/s in, %.1f jobs/s done, p99 %.1f ms, depth %s, lag %.1f ms, errors %d%s\n",
		elapsed.Seconds(), float64(enq)/k, float64(comp)/k, p99, depth, last.ScheduleLagMs, errs, phase)
}
