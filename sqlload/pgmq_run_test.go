package sqlload_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/sqlload"
)

// killWorkload terminates the driver's sessions every 150 ms for d (or
// until ctx ends), counting the kills.
func killWorkload(t *testing.T, killed *atomic.Int64, d time.Duration) func(ctx context.Context, dsn string) {
	return func(ctx context.Context, dsn string) {
		pool := mustPool(t, dsn)
		defer pool.Close()
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		for ctx.Err() == nil {
			var n int64
			err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
				FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()`, sqlload.DefaultAppName).Scan(&n)
			if err == nil {
				killed.Add(n)
			}
			time.Sleep(150 * time.Millisecond)
		}
	}
}

// TestPgmqRun drives the pgmq adapter end to end with the real driver:
// delayed jobs, failures with retries, two queues, LISTEN/NOTIFY wake-ups,
// and (second case) its
// sessions killed again and again. The books must balance exactly.
func TestPgmqRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		kill bool
	}{{"steady", false}, {"killed sessions", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := loadYAML(t, `name: pgmq-run
adapter: pgmq
adapter_settings: {completion: archive, visibility_timeout: 20s, notify: true}
wakeup: notify
rate: 300
producers: 2
consumers: 3
enqueue_batch: 5
dequeue_batch: 5
queues: 2
work_time: 1ms
failure_rate: 0.05
retry_backoff: 10ms
delayed: {share: 0.1, by: 300ms}
poll_interval: 20ms
drain: 3m
phases:
  - {name: steady, profile: constant, duration: 4s}
`)
			var killed atomic.Int64
			var during func(context.Context, string)
			if tc.kill {
				during = killWorkload(t, &killed, time.Minute)
			}
			b := drive(t, context.Background(), sc, during)
			var errs, retried int64
			for _, tk := range b.ticks {
				errs += tk.Errors
				retried += tk.Retried
			}
			if tc.kill && (killed.Load() < 5 || errs == 0) {
				t.Fatalf("the fault did not bite: %d sessions terminated, %d errors seen", killed.Load(), errs)
			}
			// What holds however slow the machine is: the books balance,
			// nothing is lost or duplicated, and failures were retried. How
			// many jobs got done in 4 s is not asserted. Sessions killed
			// under a claim leave it invisible for the 20 s visibility
			// timeout, so pending may be non-zero then; the drain (until
			// the backlog is empty, at most 3 min) works off the rest.
			in := b.res.Integrity
			if in.Completed == 0 || in.Lost != 0 || in.Duplicated != 0 || in.Enqueued != in.Completed+in.Pending+in.Failed {
				t.Fatalf("books do not balance: %+v", in)
			}
			if in.Pending != 0 {
				t.Fatalf("%d jobs still pending after the drain: %+v", in.Pending, in)
			}
			if retried == 0 {
				t.Fatalf("no failed job was retried (%+v)", in)
			}
		})
	}
}
