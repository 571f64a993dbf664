package reallibs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// riverArgs is the harness's one River job kind.
type riverArgs struct {
	I int `json:"i"`
}

func (riverArgs) Kind() string { return "pgqtune_reallibs" }

// riverWorker does nothing: the workload is River's own claiming and
// completing.
type riverWorker struct {
	river.WorkerDefaults[riverArgs]
}

func (riverWorker) Work(context.Context, *river.Job[riverArgs]) error { return nil }

// riverWorkload is River (the Go library) in the public schema, migrated
// by rivermigrate, its backlog inserted, its client not started.
type riverWorkload struct {
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
	o      Options
}

func prepareRiver(ctx context.Context, dsn string, o Options) (*riverWorkload, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("reallibs: river: connect: %w", err)
	}
	w := &riverWorkload{pool: pool, o: o}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: logger})
	if err == nil {
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("reallibs: river: migrate: %w", err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, riverWorker{})
	w.client, err = river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:  logger,
		Workers: workers,
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cmp.Or(o.Workers, 10)}},
		// A short cooldown lets a fetch follow the last at once: River is
		// then bound by its fetch query, which is what the tests measure.
		FetchCooldown:     5 * time.Millisecond,
		FetchPollInterval: cmp.Or(o.Poll, time.Second),
		JobTimeout:        -1,
	})
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("reallibs: river: client: %w", err)
	}
	if o.Retained > 0 {
		// River keeps completed jobs until its JobCleaner deletes them
		// (a day by default); InsertManyFast cannot write finished jobs.
		_, err := pool.Exec(ctx, riverRetainedSQL, riverArgs{}.Kind(), o.Retained)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("reallibs: river: %d retained jobs: %w", o.Retained, err)
		}
	}
	if err := w.insert(ctx, o.Scheduled, time.Now().Add(24*time.Hour)); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.insert(ctx, o.Backlog, time.Time{}); err != nil {
		w.Close()
		return nil, err
	}
	// A backend flushes its table counters at most once a second, and an
	// idle one up to 10 s later: the backlog's inserts would then land in
	// an observed tick as jobs enqueued (and, with the depth unchanged,
	// completed) during the run. Ending the sessions flushes them now.
	pool.Reset()
	return w, nil
}

// insert adds n jobs with River's InsertManyFast (COPY), due at at (zero:
// now).
func (w *riverWorkload) insert(ctx context.Context, n int, at time.Time) error {
	for done := 0; done < n; {
		k := min(20000, n-done)
		params := make([]river.InsertManyParams, k)
		for i := range params {
			params[i] = river.InsertManyParams{Args: riverArgs{I: done + i}, InsertOpts: &river.InsertOpts{ScheduledAt: at}}
		}
		if _, err := w.client.InsertManyFast(ctx, params); err != nil {
			return fmt.Errorf("reallibs: river: insert %d jobs: %w", k, err)
		}
		done += k
	}
	return nil
}

func (w *riverWorkload) Run(ctx context.Context) (*Result, error) {
	r := &Result{Library: string(River), Version: "v0.51.2"}
	events, cancelSub := w.client.SubscribeConfig(&river.SubscribeConfig{Kinds: []river.EventKind{river.EventKindJobCompleted}, ChanSize: 1 << 20})
	defer cancelSub()
	r.StartedAt = time.Now().UnixMilli()
	// The client outlives ctx's cancellation so that Stop finishes the
	// jobs in flight and records their completion.
	if err := w.client.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("reallibs: river: start: %w", err)
	}
	deadline := time.NewTimer(w.o.deadline())
	defer deadline.Stop()
	pctx, stopProducer := context.WithCancel(ctx)
	var sent atomic.Int64
	perr := make(chan error, 1)
	go func() {
		perr <- produce(pctx, w.o.Rate, &sent, func(ctx context.Context, i int) error { return w.insert(ctx, 1, time.Time{}) })
	}()
	count := func(*river.Event) {
		r.Completed++
		r.LastCompletedAt = time.Now().UnixMilli()
		if r.FirstCompletedAt == 0 {
			r.FirstCompletedAt = r.LastCompletedAt
		}
		if w.o.Jobs > 0 && r.Completed >= int64(w.o.Jobs) && r.DoneAt == 0 {
			r.DoneAt = r.LastCompletedAt
		}
	}
loop:
	for r.DoneAt == 0 {
		select {
		case e, ok := <-events:
			if !ok {
				break loop
			}
			count(e)
		case <-deadline.C:
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	r.StoppingAt = time.Now().UnixMilli()
	stopProducer()
	err := <-perr
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if serr := w.client.Stop(stopCtx); serr != nil && !errors.Is(serr, context.Canceled) {
		err = errors.Join(err, fmt.Errorf("reallibs: river: stop: %w", serr))
	}
	// Completions recorded while stopping are River's too.
	for drained := false; !drained; {
		select {
		case e, ok := <-events:
			if !ok {
				drained = true
				break
			}
			count(e)
		default:
			drained = true
		}
	}
	r.Sent = sent.Load()
	// Closing the pool ends its sessions, which flushes their statistics
	// now: an idle session keeps up to 10 s of counts to itself, and a
	// watching observe would miss them.
	w.pool.Close()
	r.EndedAt = time.Now().UnixMilli()
	if err != nil {
		return r, err
	}
	return r, ctx.Err()
}

func (w *riverWorkload) Close() { w.pool.Close() }

// produce calls send rate times a second (open loop: every 50 ms it sends
// what the rate owes by then) until ctx ends.
func produce(ctx context.Context, rate float64, sent *atomic.Int64, send func(ctx context.Context, i int) error) error {
	if rate <= 0 {
		return nil
	}
	t0 := time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		owed := int64(time.Since(t0).Seconds()*rate) - sent.Load()
		for i := int64(0); i < owed; i++ {
			if err := send(ctx, int(sent.Load())); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			sent.Add(1)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
