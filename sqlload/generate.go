package sqlload

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// runPhases runs the scenario's phases in order, applying pressures, and
// records their spans. It returns when the last phase ends or ctx is done.
func (d *driver) runPhases(ctx context.Context) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x9e3779b97f4a7c15))
	tables := d.ad.Tables()
	// planned is when the next phase's schedule begins. Open-loop phases
	// follow the plan, not the clock: a phase that fell behind hands its
	// lag on to the next, which starts where the plan says it starts.
	planned := time.Now()
	for i := range d.sc.Phases {
		ph := &d.sc.Phases[i]
		if i > 0 && d.sc.Phases[i-1].Warmup && !ph.Warmup {
			d.resetMeasured()
		}
		d.phase.Store(&phaseInfo{name: ph.Name, warmup: ph.Warmup})
		now := time.Now()
		span := runrec.PhaseSpan{Name: ph.Name, Start: now.UTC(), Warmup: ph.Warmup, Profile: ph.Profile, TargetRate: d.sc.TargetRate(ph)}
		d.phaseH.reset()
		compBefore := d.allComp.Load()
		open := isOpenLoop(ph.Profile)
		from := now
		if open {
			from = planned
		}
		stop := func() {}
		if ph.Pressure != nil {
			span.Pressure = ph.Pressure.Kind
			stop = d.startPressure(ctx, ph, tables)
			if open {
				// The pressure lasts the phase's planned time even when the
				// schedule is still catching up on jobs it delayed.
				t := time.AfterFunc(time.Until(from.Add(ph.Duration.D())), stop)
				defer t.Stop()
			}
		}
		d.runProfile(ctx, rng, ph, from)
		stop()
		span.End = time.Now().UTC()
		if secs := span.End.Sub(span.Start).Seconds(); secs > 0 {
			span.JobsPerS = round2(float64(d.allComp.Load()-compBefore) / secs)
		}
		span.P99Ms = d.phaseH.percentiles().P99
		d.spans = append(d.spans, span)
		if ctx.Err() != nil {
			return
		}
		planned = time.Now()
		if open {
			planned = from.Add(ph.Duration.D())
		}
	}
}

// isOpenLoop tells the profiles whose jobs follow a fixed schedule.
func isOpenLoop(profile string) bool {
	switch profile {
	case ProfileConstant, ProfileRamp, ProfileSpike, ProfileBurst:
		return true
	}
	return false
}

// startPressure starts the phase's pressure and returns an idempotent stop.
func (d *driver) startPressure(ctx context.Context, ph *Phase, tables []string) func() {
	pr := *ph.Pressure
	if pr.Table == "" && len(tables) > 0 {
		pr.Table = tables[0]
	}
	stop, err := StartPressure(ctx, d.p.DSN, d.schema, pr)
	if err != nil {
		d.note("phase %s: pressure %s did not start: %v", ph.Name, pr.Kind, err)
		return func() {}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if err := stop(); err != nil {
				d.note("phase %s: pressure %s: %v", ph.Name, pr.Kind, err)
			}
		})
	}
}

// runProfile runs one phase's load profile. Open-loop profiles schedule
// their jobs over [from, from+duration) and return once every one of them
// has been handed to a producer, however late; the others run until their
// own end or the phase's duration cap.
func (d *driver) runProfile(ctx context.Context, rng *rand.Rand, ph *Phase, from time.Time) {
	dur := ph.Duration.D()
	capped := ctx
	if dur > 0 {
		var cancel context.CancelFunc
		capped, cancel = context.WithDeadline(ctx, from.Add(dur))
		defer cancel()
	}
	base := d.sc.TargetRate(ph)
	switch ph.Profile {
	case ProfileConstant:
		d.openLoop(ctx, rng, from, dur, func(time.Duration) float64 { return base })
	case ProfileRamp:
		to := d.sc.phaseRate(ph.To, ph.ToX, 1)
		d.openLoop(ctx, rng, from, dur, func(t time.Duration) float64 {
			return base + (to-base)*min(float64(t)/float64(dur), 1)
		})
	case ProfileSpike:
		spike := d.sc.phaseRate(ph.SpikeRate, ph.SpikeX, 1)
		every, sd := ph.Every.D(), ph.SpikeDuration.D()
		d.openLoop(ctx, rng, from, dur, func(t time.Duration) float64 {
			if t%every >= every-sd {
				return spike
			}
			return base
		})
	case ProfileBurst:
		d.setTarget(base)
		d.emitAt(ctx, rng, from, ph.Jobs, d.sc.EnqueueBatch, InsertMethod(d.sc.InsertMethod))
		d.openLoop(ctx, rng, from, dur, func(time.Duration) float64 { return base })
	case ProfileSteps:
		d.steps(capped, rng, ph, base)
	case ProfileMax:
		d.closedLoop(capped, rng, cmpOr(ph.MaxDepth, 5000))
	case ProfileBurndown:
		d.burndown(capped, rng, ph)
	}
	d.dueNs.Store(0)
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// openLoop schedules jobs at their intended send times following rateAt
// (jobs/s as a function of time into the phase), for dur, and hands them
// to producers a full enqueue batch at a time: the batch leaves when its
// last job is due, so batching costs the earlier jobs latency, as it does
// in real producers. When producers cannot keep up the schedule does not
// bend: the next batches are already due, the lag shows in ScheduleLagMs
// and in every job's latency (measured from its intended time).
func (d *driver) openLoop(ctx context.Context, rng *rand.Rand, from time.Time, dur time.Duration, rateAt func(time.Duration) float64) {
	end := from.Add(dur)
	next := from
	size := d.sc.EnqueueBatch
	method := InsertMethod(d.sc.InsertMethod)
	for next.Before(end) {
		jobs := make([]NewJob, 0, size)
		last := next
		for len(jobs) < size && next.Before(end) {
			jobs = append(jobs, d.newJob(rng, next))
			last = next
			r := rateAt(next.Sub(from))
			next = next.Add(time.Duration(float64(time.Second) / r))
		}
		d.setTarget(rateAt(last.Sub(from)))
		// The batch is due when its last job is; until a producer takes
		// it, every moment past that is schedule lag.
		d.dueNs.Store(last.UnixNano())
		if wait := time.Until(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if !d.send(ctx, batch{jobs: jobs, method: method}) {
			return
		}
	}
}

// emitAt sends n jobs, all intended at t, in batches of size.
func (d *driver) emitAt(ctx context.Context, rng *rand.Rand, t time.Time, n, size int, method InsertMethod) bool {
	for n > 0 {
		k := min(n, size)
		jobs := make([]NewJob, k)
		for i := range jobs {
			jobs[i] = d.newJob(rng, t)
		}
		if !d.send(ctx, batch{jobs: jobs, method: method}) {
			return false
		}
		n -= k
	}
	return true
}

// closedLoop enqueues as fast as the producers go, keeping the backlog
// under maxDepth so the run measures the queue rather than a table growing
// without bound.
func (d *driver) closedLoop(ctx context.Context, rng *rand.Rand, maxDepth int) {
	d.setTarget(0)
	for ctx.Err() == nil {
		if d.backlog.Load() >= int64(maxDepth) {
			// Woken by the next completion (or, should that signal be
			// missed, by the timer).
			t := time.NewTimer(20 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-d.room:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		now := time.Now()
		jobs := d.batchOf(d.sc.EnqueueBatch)
		for range d.sc.EnqueueBatch {
			jobs = append(jobs, d.newJob(rng, now))
		}
		if !d.send(ctx, batch{jobs: jobs, method: InsertMethod(d.sc.InsertMethod)}) {
			return
		}
	}
}

// burndown inserts the backlog with consumers paused, then lets them work
// it off; the phase ends when the backlog is gone (or at its duration cap).
func (d *driver) burndown(ctx context.Context, rng *rand.Rand, ph *Phase) {
	d.setTarget(0)
	method := InsertMethod(d.sc.InsertMethod)
	if method == InsertDefault {
		method = InsertCopy
	}
	size := max(d.sc.EnqueueBatch, 1000)
	d.paused.Store(true)
	want := d.acked.Load() + int64(ph.Jobs)
	ok := d.emitAt(ctx, rng, time.Now(), ph.Jobs, size, method)
	for ok && d.acked.Load() < want && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	d.paused.Store(false)
	d.wake.wake()
	for d.backlog.Load() > 0 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// steps raises the rate step by step (adding step, or multiplying by
// step_factor) until the queue stops keeping up (the backlog grows by more
// than a tenth of the step's jobs plus the jobs legitimately in transit, the
// producers fall a second behind, or
// the step's p99 passes the SLO). With refine > 0 it then lets the backlog
// drain at the last good rate and climbs again from there in refine finer
// steps towards the failing rate, so a coarse geometric search still ends
// with a precise knee. It records the highest throughput sustained and the
// first rate that was not.
func (d *driver) steps(ctx context.Context, rng *rand.Rand, ph *Phase, start float64) {
	step := d.sc.phaseRate(ph.Step, ph.StepX, 0)
	limit := d.sc.phaseRate(ph.MaxRate, ph.MaxX, 0)
	next := func(r float64) float64 {
		if ph.StepFactor > 1 {
			return r * ph.StepFactor
		}
		return r + step
	}
	var best *float64
	var good float64 // the last rate that passed
	failAt := 0.0
	for r := start; ctx.Err() == nil; r = next(r) {
		if limit > 0 && r > limit+1e-9 {
			d.note("steps: no knee found up to max rate %.0f jobs/s", limit)
			break
		}
		achieved, reason, verdict := d.step(ctx, rng, ph, r)
		if !verdict {
			break
		}
		if reason != "" {
			d.knee = &runrec.Knee{Rate: round2(r), Reason: reason}
			failAt = r
			break
		}
		a := round2(achieved)
		best, good = &a, r
	}
	if failAt > 0 && good > 0 && ph.Refine > 0 && ctx.Err() == nil {
		d.settle(ctx, rng, good)
		inc := (failAt - good) / float64(ph.Refine+1)
		for i := 1; i <= ph.Refine && ctx.Err() == nil; i++ {
			r := good + inc*float64(i)
			achieved, reason, verdict := d.step(ctx, rng, ph, r)
			if !verdict {
				break
			}
			if reason != "" {
				d.knee = &runrec.Knee{Rate: round2(r), Reason: reason}
				break
			}
			if a := round2(achieved); best == nil || a > *best {
				best = &a
			}
		}
	}
	if best != nil {
		d.maxSustainable = best
	} else if d.knee != nil {
		d.note("steps: the first step (%.0f jobs/s) already could not be sustained; lower the starting rate", start)
	}
}

// settle runs at half the given rate until the backlog is back to what it
// was before the failing step (at most 15 s), so the next step starts from
// a queue that keeps up.
func (d *driver) settle(ctx context.Context, rng *rand.Rand, rate float64) {
	limit := int64(2 * d.sc.EnqueueBatch * max(d.sc.Producers, 1))
	deadline := time.Now().Add(15 * time.Second)
	for d.backlog.Load() > limit && time.Now().Before(deadline) && ctx.Err() == nil {
		d.openLoop(ctx, rng, time.Now(), time.Second, func(time.Duration) float64 { return rate / 2 })
	}
}

// step runs one step at rate r and judges it: achieved jobs/s, and a
// reason when the queue did not keep up. verdict is false when the phase
// or run ended mid-step (no judgement possible).
func (d *driver) step(ctx context.Context, rng *rand.Rand, ph *Phase, r float64) (achieved float64, reason string, verdict bool) {
	sd := ph.StepDuration.D()
	slo := d.sc.SLOP99.D()
	from := time.Now()
	compBefore, backlogBefore := d.allComp.Load(), d.backlog.Load()
	d.stepH.reset()
	var maxLag time.Duration
	lagDone := make(chan struct{})
	go func() {
		// The lag is sampled during the step: the producers' health, not
		// only its value at the end.
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-lagDone:
				return
			case <-t.C:
				maxLag = max(maxLag, d.lag())
			}
		}
	}()
	d.openLoop(ctx, rng, from, sd, func(time.Duration) float64 { return r })
	lagDone <- struct{}{}
	if ctx.Err() != nil && time.Since(from) < sd*9/10 {
		return 0, "", false
	}
	secs := time.Since(from).Seconds()
	achieved = float64(d.allComp.Load()-compBefore) / secs
	grew := d.backlog.Load() - backlogBefore
	p99 := d.stepH.percentiles().P99
	switch {
	case maxLag > time.Second:
		reason = fmt.Sprintf("producers fell %.1fs behind schedule at %.0f jobs/s (the driver is the limit: add producers or raise enqueue_batch)", maxLag.Seconds(), r)
	case float64(grew) > 0.1*r*secs+float64(d.inTransit()):
		reason = fmt.Sprintf("backlog grew by %d jobs in the %.0fs step at %.0f jobs/s (completed %.0f jobs/s)", grew, secs, r, achieved)
	case slo > 0 && p99 > float64(slo)/float64(time.Millisecond):
		reason = fmt.Sprintf("p99 %.0f ms passed the SLO of %v at %.0f jobs/s", p99, slo, r)
	}
	return achieved, reason, true
}

// inTransit is how many jobs can legitimately sit between enqueue and
// completion at any instant (a batch per producer and per consumer): backlog
// growth up to that is noise, not falling behind.
func (d *driver) inTransit() int {
	return d.sc.EnqueueBatch*d.sc.Producers + d.sc.DequeueBatch*d.sc.Consumers
}

// lag is how far the open-loop schedule is behind now: 0 when on time or
// between phases.
func (d *driver) lag() time.Duration {
	due := d.dueNs.Load()
	if due == 0 {
		return 0
	}
	return max(time.Since(time.Unix(0, due)), 0)
}

// newJob makes the next job, intended at t.
func (d *driver) newJob(rng *rand.Rand, t time.Time) NewJob {
	seq := d.seq.Add(1)
	j := NewJob{Seq: seq, Queue: d.queues[int(seq)%len(d.queues)], IntendedAt: t}
	if d.sc.Priorities > 1 {
		j.Priority = int16(rng.IntN(d.sc.Priorities))
	}
	if d.sc.Delayed.Share > 0 && rng.Float64() < d.sc.Delayed.Share {
		// A delayed job is intended to run at its run_at: latency counts
		// from then.
		j.RunAt = t.Add(d.sc.Delayed.By.D())
		j.IntendedAt = j.RunAt
	}
	ps := d.sc.PayloadBytes
	j.PayloadSize = ps.Min
	if ps.Max > ps.Min {
		j.PayloadSize += rng.IntN(ps.Max - ps.Min + 1)
	}
	return j
}

// send hands a batch to a producer; false when ctx ended first (the batch
// is dropped unsent: its jobs were never enqueued and are not counted).
func (d *driver) send(ctx context.Context, b batch) bool {
	select {
	case d.batches <- b:
		return true
	case <-ctx.Done():
		return false
	}
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
