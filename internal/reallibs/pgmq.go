package reallibs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PgmqQueue is the queue the harness creates with pgmq.create.
const PgmqQueue = "reallibs"

// pgmqWorkload is the real pgmq extension driven by its own SQL API:
// pgmq.send / send_batch, pgmq.read, pgmq.archive.
type pgmqWorkload struct {
	pool *pgxpool.Pool
	o    Options
}

func preparePgmq(ctx context.Context, dsn string, o Options) (*pgmqWorkload, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("reallibs: pgmq: %w", err)
	}
	cfg.MaxConns = int32(cmp.Or(o.Workers, 4) + 2)
	cfg.ConnConfig.RuntimeParams["application_name"] = "pgmq-load"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("reallibs: pgmq: connect: %w", err)
	}
	w := &pgmqWorkload{pool: pool, o: o}
	// CREATE EXTENSION needs pgmq's files in the server's extension
	// directory: pgtest.RequirePgmq puts them there.
	if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pgmq`); err != nil {
		w.Close()
		return nil, fmt.Errorf("reallibs: pgmq: %w: CREATE EXTENSION pgmq: %w", ErrUnavailable, err)
	}
	// pgmq.create re-creates the queue's indexes (IF NOT EXISTS): on a
	// queue that exists already it would undo a dropped claim index, and
	// the run meant to go without it would have it.
	if _, err := pool.Exec(ctx, `SELECT pgmq.create($1)
		WHERE NOT EXISTS (SELECT 1 FROM pgmq.list_queues() WHERE queue_name = $1)`, PgmqQueue); err != nil {
		w.Close()
		return nil, fmt.Errorf("reallibs: pgmq: create queue: %w", err)
	}
	if err := w.sendBatch(ctx, o.Scheduled, 86400); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.sendBatch(ctx, o.Backlog, 0); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// sendBatch sends n messages with pgmq.send_batch, visible after delay
// seconds.
func (w *pgmqWorkload) sendBatch(ctx context.Context, n, delay int) error {
	for done := 0; done < n; {
		k := min(20000, n-done)
		_, err := w.pool.Exec(ctx, `SELECT count(*) FROM pgmq.send_batch($1,
			ARRAY(SELECT jsonb_build_object('i', g) FROM generate_series(1, $2::int) g), $3::int)`, PgmqQueue, k, delay)
		if err != nil {
			return fmt.Errorf("reallibs: pgmq: send_batch %d: %w", k, err)
		}
		done += k
	}
	return nil
}

func (w *pgmqWorkload) Run(ctx context.Context) (*Result, error) {
	r := &Result{Library: string(Pgmq)}
	if err := w.pool.QueryRow(ctx, `SELECT extversion FROM pg_extension WHERE extname = 'pgmq'`).Scan(&r.Version); err != nil {
		return nil, fmt.Errorf("reallibs: pgmq: version: %w", err)
	}
	r.StartedAt = time.Now().UnixMilli()
	wctx, stop := context.WithTimeout(ctx, w.o.deadline())
	defer stop()
	var (
		mu        sync.Mutex
		completed atomic.Int64
		sent      atomic.Int64
		wg        sync.WaitGroup
		errs      []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
		stop()
	}
	done := func(n int) {
		mu.Lock()
		defer mu.Unlock()
		c := completed.Add(int64(n))
		r.LastCompletedAt = time.Now().UnixMilli()
		if r.FirstCompletedAt == 0 {
			r.FirstCompletedAt = r.LastCompletedAt
		}
		if w.o.Jobs > 0 && c >= int64(w.o.Jobs) && r.DoneAt == 0 {
			r.DoneAt = r.LastCompletedAt
			stop()
		}
	}
	for range cmp.Or(w.o.Workers, 4) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.read(wctx, done); err != nil {
				fail(err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := produce(wctx, w.o.Rate, &sent, func(ctx context.Context, _ int) error {
			_, err := w.pool.Exec(ctx, `SELECT pgmq.send($1, '{}'::jsonb)`, PgmqQueue)
			return err
		})
		if err != nil {
			fail(fmt.Errorf("reallibs: pgmq: send: %w", err))
		}
	}()
	<-wctx.Done()
	r.StoppingAt = time.Now().UnixMilli()
	wg.Wait()
	r.Completed, r.Sent = completed.Load(), sent.Load()
	// Ending the sessions flushes their statistics now (see riverWorkload).
	w.pool.Close()
	r.EndedAt = time.Now().UnixMilli()
	return r, errors.Join(append(errs, ctx.Err())...)
}

// read is one reader: pgmq.read a batch, archive it, again; a short sleep
// when the queue is empty.
func (w *pgmqWorkload) read(ctx context.Context, done func(int)) error {
	qty := cmp.Or(w.o.Batch, 10)
	poll := cmp.Or(w.o.Poll, 50*time.Millisecond)
	for ctx.Err() == nil {
		rows, err := w.pool.Query(ctx, `SELECT msg_id FROM pgmq.read($1, 30, $2)`, PgmqQueue, qty)
		var ids []int64
		if err == nil {
			ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
		if err == nil && len(ids) > 0 {
			// Archive outlives ctx: a read batch is always finished, so
			// that the count is what pgmq holds as archived.
			var n int
			err = w.pool.QueryRow(context.WithoutCancel(ctx), `SELECT count(*) FROM pgmq.archive($1, $2::bigint[])`, PgmqQueue, ids).Scan(&n)
			if err == nil {
				done(n)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reallibs: pgmq: read/archive: %w", err)
		}
		if len(ids) == 0 {
			select {
			case <-ctx.Done():
			case <-time.After(poll):
			}
		}
	}
	return nil
}

func (w *pgmqWorkload) Close() { w.pool.Close() }
