package sqlload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// producer enqueues the batches the schedule hands it.
func (d *driver) producer() {
	for b := range d.batches {
		d.enqueue(b)
		d.recycle(b.jobs)
	}
}

// recycle keeps a sent batch's slice for the closed loop's next batch (no
// allocation per batch); the spare slot holds one per producer.
func (d *driver) recycle(jobs []NewJob) {
	select {
	case d.spare <- jobs[:0]:
	default:
	}
}

// batchOf returns an empty batch with room for n jobs, reused when one is
// spare.
func (d *driver) batchOf(n int) []NewJob {
	select {
	case jobs := <-d.spare:
		if cap(jobs) >= n {
			return jobs
		}
	default:
	}
	return make([]NewJob, 0, n)
}

// enqueue writes one batch, retrying errors that certainly did not commit.
// A batch whose outcome is unknown is not re-sent (that could duplicate its
// jobs): the ledger settles it at the end from what the queue shows.
func (d *driver) enqueue(b batch) {
	n := int64(len(b.jobs))
	for attempt := 0; ; attempt++ {
		t0 := time.Now()
		err := d.ad.Enqueue(d.callCtx, &EnqueueParams{Jobs: b.jobs, Method: b.method})
		if err == nil {
			d.measMu.RLock()
			d.enqH.record(time.Since(t0))
			d.measEnq.Add(n)
			d.measMu.RUnlock()
			d.ledger.markEnqueued(b.jobs)
			for i := range b.jobs {
				d.wakeAt(b.jobs[i].RunAt)
			}
			d.backlog.Add(n)
			d.c.enqueued.Add(n)
			d.acked.Add(n)
			return
		}
		if errors.Is(err, ErrUnsupported) && b.method != InsertDefault {
			// Nothing was sent: fall back to the adapter's own method.
			d.note("insert method %s: %v; using the adapter's default", b.method, err)
			b.method = InsertDefault
			continue
		}
		d.c.errors.Add(1)
		if d.hctx.Err() != nil {
			d.ledger.markUnsure(b.jobs)
			d.acked.Add(n)
			return
		}
		switch classify(err) {
		case errPermanent:
			d.note("enqueue failed: %v", err)
			d.fail(fmt.Errorf("sqlload: %w", err))
			d.acked.Add(n)
			return
		case errUnknownOutcome:
			// Those jobs count as enqueued only if the queue shows them.
			d.retried("enqueue outcome unknown, batch not re-sent", err)
			d.ledger.markUnsure(b.jobs)
			d.acked.Add(n)
			return
		}
		d.retried("enqueue retried", err)
		if !sleepCtx(d.hctx, backoff(attempt)) {
			d.ledger.markUnsure(b.jobs)
			d.acked.Add(n)
			return
		}
	}
}

// consumer claims, works and finishes jobs until stop is closed, then
// finishes the batch in hand.
func (d *driver) consumer(id int, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(id)))
	idle := d.sc.PollInterval.D()
	if d.sc.Wakeup == "notify" {
		idle = max(idle, 500*time.Millisecond)
	}
	var (
		// empty counts queues in a row found empty: a consumer idles only
		// once every queue came back empty, or a wake-up that went to the
		// wrong queue would leave a runnable job waiting a poll interval.
		empty int
		// jobs were claimed together with the last completion when carried
		// is set (possibly none: that queue was empty).
		jobs    []*Job
		carried bool
		// woken is the wake channel taken before the last claim, so a
		// wake-up landing between an empty claim and the wait is not lost.
		woken <-chan struct{}
	)
	for i := id; ; i++ {
		select {
		case <-stop:
			if len(jobs) > 0 {
				d.work(rng, jobs, nil)
			}
			return
		default:
		}
		if !carried {
			if d.paused.Load() {
				d.idle(stop, nil, 10*time.Millisecond)
				continue
			}
			woken = d.wake.wait()
			q := d.queues[i%len(d.queues)]
			err := retry(d.hctx, func() error {
				t0 := time.Now()
				var err error
				jobs, err = d.ad.Dequeue(d.callCtx, &DequeueParams{Queue: q, Limit: d.sc.DequeueBatch})
				if err == nil {
					d.deqH.record(time.Since(t0))
				}
				return err
			}, d.countErr("dequeue"), stop)
			if err != nil {
				return
			}
		}
		carried = false
		if len(jobs) == 0 {
			if empty++; empty >= len(d.queues) {
				empty = 0
				d.idle(stop, woken, idle)
			}
			continue
		}
		empty = 0
		var then *DequeueParams
		if d.chain != nil && !d.paused.Load() {
			then = &DequeueParams{Queue: d.queues[(i+1)%len(d.queues)], Limit: d.sc.DequeueBatch}
			woken = d.wake.wait()
		}
		jobs, carried = d.work(rng, jobs, then)
	}
}

// idle waits for a wake-up (NOTIFY, or a delayed job coming due), the poll
// interval or stop. woken is the wake channel taken before the claim that
// came back empty; nil takes the current one.
func (d *driver) idle(stop <-chan struct{}, woken <-chan struct{}, wait time.Duration) {
	if woken == nil {
		woken = d.wake.wait()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-stop:
	case <-t.C:
	case <-woken:
	}
}

// work runs a claimed batch: simulated work per job, then one Complete for
// the successes and one Fail for the failures (retried until they succeed:
// adapters make them idempotent). With then set (complete_and_claim) the
// successes are completed together with the claim of the next batch, which
// work returns with claimed set.
func (d *driver) work(rng *rand.Rand, jobs []*Job, then *DequeueParams) (next []*Job, claimed bool) {
	claimedAt := time.Now()
	d.c.dequeued.Add(int64(len(jobs)))
	var waitBuf [64]time.Duration
	waits := waitBuf[:0]
	var redelivered int64
	for _, j := range jobs {
		if j.Redelivered {
			redelivered++
		}
		if !j.ReadyAt.IsZero() && claimedAt.After(j.ReadyAt) {
			waits = append(waits, claimedAt.Sub(j.ReadyAt))
		}
	}
	if redelivered > 0 {
		d.c.redelivered.Add(redelivered)
	}
	d.waitH.recordAll(waits)
	// Without failures (the common case) the batch is completed as
	// claimed: no per-batch copy.
	ok, failed := jobs, []*Job(nil)
	if d.sc.FailureRate > 0 {
		ok = make([]*Job, 0, len(jobs))
	}
	for _, j := range jobs {
		if w := d.sc.WorkTime.draw(rng); w > 0 {
			time.Sleep(w)
		}
		if d.sc.FailureRate > 0 {
			if rng.Float64() < d.sc.FailureRate {
				failed = append(failed, j)
			} else {
				ok = append(ok, j)
			}
		}
	}
	if len(ok) > 0 && then != nil {
		next, claimed = d.completeAndClaim(ok, then)
	}
	if len(ok) > 0 && !claimed {
		err := retry(d.hctx, func() error {
			t0 := time.Now()
			err := d.ad.Complete(d.callCtx, &CompleteParams{Jobs: ok})
			if err == nil {
				d.compH.record(time.Since(t0))
			}
			return err
		}, d.countErr("complete"), nil)
		if err == nil {
			d.finished(ok, false)
		}
	}
	if len(failed) > 0 {
		d.failJobs(failed)
	}
	return next, claimed
}

// completeAndClaim completes ok and claims the next batch in one
// transaction. Its one round trip counts in both the complete and the
// dequeue histograms: it is what each of them cost the worker. On an error
// nothing is retried here: the caller completes ok on its own (idempotent)
// and the next claim goes through Dequeue.
func (d *driver) completeAndClaim(ok []*Job, then *DequeueParams) ([]*Job, bool) {
	t0 := time.Now()
	next, err := d.chain.CompleteAndClaim(d.callCtx, &CompleteParams{Jobs: ok}, then)
	if err != nil {
		if d.hctx.Err() == nil {
			d.countErr("complete and claim")(err)
		}
		return nil, false
	}
	rt := time.Since(t0)
	d.compH.record(rt)
	d.deqH.record(rt)
	d.finished(ok, false)
	return next, true
}

// failJobs records failed attempts: retried with exponential backoff while
// attempts remain, failed for good after.
func (d *driver) failJobs(jobs []*Job) {
	var again, final []*Job
	for _, j := range jobs {
		if j.Attempt < max(d.sc.MaxAttempts, 1) {
			again = append(again, j)
		} else {
			final = append(final, j)
		}
	}
	if len(again) > 0 {
		d.failGroup(again, time.Now().Add(d.retryDelay(again[0].Attempt)))
	}
	if len(final) > 0 {
		d.failGroup(final, time.Time{})
	}
}

// failGroup sends one Fail call (retried until it succeeds).
func (d *driver) failGroup(jobs []*Job, retryAt time.Time) {
	p := &FailParams{Jobs: jobs, RetryAt: retryAt, Error: "simulated failure"}
	defer d.wakeAt(retryAt)
	if err := retry(d.hctx, func() error { return d.ad.Fail(d.callCtx, p) }, d.countErr("fail"), nil); err != nil {
		return
	}
	d.c.failed.Add(int64(len(jobs)))
	if retryAt.IsZero() {
		d.finished(jobs, true)
	} else {
		d.c.retried.Add(int64(len(jobs)))
	}
}

// wakeAt wakes idle consumers when a delayed job or a retry becomes
// runnable: no NOTIFY announces that moment, so without this a LISTENing
// consumer would only find it at its fallback poll (what a queue without a
// scheduler does; River and pg-boss run one).
func (d *driver) wakeAt(t time.Time) {
	if d.sc.Wakeup != "notify" || t.IsZero() {
		return
	}
	time.AfterFunc(time.Until(t)+time.Millisecond, d.wake.wake)
}

// retryDelay is the backoff before attempt+1: retry_backoff × 2^(attempt-1),
// capped at a minute.
func (d *driver) retryDelay(attempt int) time.Duration {
	b := d.sc.RetryBackoff.D()
	if b <= 0 {
		b = defaultBackoff
	}
	return min(b<<min(max(attempt-1, 0), 20), time.Minute)
}

// finished accounts for jobs completed (or failed for good): the ledger
// and each histogram are locked once per batch, not once per job.
func (d *driver) finished(jobs []*Job, failed bool) {
	now := time.Now()
	n := int64(len(jobs))
	// Only a Seq's first finish leaves the backlog: a redelivered or
	// duplicate one would count it out twice and end the drain early.
	// Ticks count completion events, redeliveries included.
	first, dups := d.ledger.finishAll(jobs, failed)
	d.backlog.Add(-first)
	select {
	case d.room <- struct{}{}:
	default:
	}
	if failed {
		return
	}
	for _, seq := range dups {
		d.note("job seq %d completed twice by the same claim", seq)
	}
	var e2eBuf [64]time.Duration
	e2e := e2eBuf[:0]
	for _, j := range jobs {
		if j.Seq <= d.ledger.base {
			continue // an earlier run's job: its latency is not this run's
		}
		e2e = append(e2e, now.Sub(j.IntendedAt))
	}
	d.c.completed.Add(n)
	d.allComp.Add(n)
	d.measMu.RLock()
	defer d.measMu.RUnlock()
	d.measComp.Add(n)
	d.e2eH.recordAll(e2e)
	d.tickH.recordAll(e2e)
	d.stepH.recordAll(e2e)
	d.phaseH.recordAll(e2e)
}

// workParams adapts the driver to a Worker adapter (the library fetches,
// the driver's handler simulates the work and accounts for the job).
func (d *driver) workParams() *WorkParams {
	return &WorkParams{
		Queues:  d.queues,
		Workers: d.sc.Consumers,
		Handle: func(ctx context.Context, j *Job) error {
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(j.Seq)))
			now := time.Now()
			d.c.dequeued.Add(1)
			if !j.ReadyAt.IsZero() && now.After(j.ReadyAt) {
				d.waitH.record(now.Sub(j.ReadyAt))
			}
			if w := d.sc.WorkTime.draw(rng); w > 0 {
				time.Sleep(w)
			}
			if d.sc.FailureRate > 0 && rng.Float64() < d.sc.FailureRate {
				return errors.New("simulated failure")
			}
			d.finished([]*Job{j}, false)
			return nil
		},
		Failed: func(j *Job, retry bool) {
			d.c.failed.Add(1)
			if retry {
				d.c.retried.Add(1)
				return
			}
			d.finished([]*Job{j}, true)
		},
	}
}

// countErr returns the error hook of a retried operation.
func (d *driver) countErr(op string) func(error) bool {
	return func(err error) bool {
		d.c.errors.Add(1)
		if tooManyConnections(err) {
			d.c.refused.Add(1)
		}
		if classify(err) == errPermanent {
			d.note("%s failed: %v", op, err)
			d.fail(fmt.Errorf("sqlload: %s: %w", op, err))
			return false
		}
		d.retried(op+" retried", err)
		return true
	}
}

// tooManyConnections says whether err is the server refusing a connection
// because every slot is taken.
func tooManyConnections(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "53300"
}

// retry runs f until it succeeds, onErr says stop, ctx ends, or stop is
// closed (nil stop: never).
func retry(ctx context.Context, f func() error, onErr func(error) bool, stop <-chan struct{}) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !onErr(err) {
			return err
		}
		select {
		case <-stop:
			return err
		default:
		}
		if !sleepCtx(ctx, backoff(attempt)) {
			return err
		}
	}
}

func backoff(attempt int) time.Duration {
	return min(10*time.Millisecond<<min(attempt, 7), time.Second)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Error classes for the driver's retry decisions.
const (
	errTransient      = iota // did not commit; retry
	errUnknownOutcome        // the connection died: it may have committed
	errPermanent             // the database rejects the statement itself
)

// classify sorts an error. A server error response means the statement
// (and its transaction) did not commit; its SQLSTATE class says whether
// trying again can help. A transport error before anything was sent is
// safe to retry; after, the outcome is unknown.
func classify(err error) int {
	if errors.Is(err, ErrUnsupported) {
		return errPermanent
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code[:2] {
		case "08", "40", "53", "55", "57", "58", "XX":
			return errTransient
		}
		return errPermanent
	}
	if pgconn.SafeToRetry(err) {
		return errTransient
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errUnknownOutcome
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return errTransient
	}
	return errUnknownOutcome
}

// maintain runs the adapter's periodic maintenance until ctx ends. Jobs it
// hands back (expired claims) wake idle consumers; a failed round is
// counted as an error and tried again at the next interval.
func (d *driver) maintain(ctx context.Context, m Maintainer) {
	every := m.MaintainEvery()
	for sleepCtx(ctx, every) {
		n, err := m.Maintain(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			d.c.errors.Add(1)
			d.retried("queue maintenance retried", err)
		case n > 0:
			d.wake.wake()
		}
	}
}
