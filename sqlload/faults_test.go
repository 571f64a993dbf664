package sqlload_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/sqlload"
)

// TestRunSurvivesTerminatedConnections kills the driver's sessions again
// and again while it runs: the pool must reconnect, claims and completions
// must be retried, and the books must still balance exactly.
func TestRunSurvivesTerminatedConnections(t *testing.T) {
	t.Parallel()
	for _, completion := range []string{"delete", "archive"} {
		t.Run(completion, func(t *testing.T) {
			t.Parallel()
			sc := loadYAML(t, `name: killed
rate: 300
producers: 2
consumers: 3
enqueue_batch: 5
dequeue_batch: 5
work_time: 1ms
failure_rate: 0.05
retry_backoff: 10ms
wakeup: notify
poll_interval: 20ms
drain: 5s
adapter_settings: {completion: `+completion+`}
phases:
  - {name: steady, profile: constant, duration: 4s}
`)
			var killed atomic.Int64
			b := drive(t, context.Background(), sc, func(ctx context.Context, dsn string) {
				pool := mustPool(t, dsn)
				defer pool.Close()
				for ctx.Err() == nil {
					var n int64
					err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
						FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()`, sqlload.DefaultAppName).Scan(&n)
					if err == nil {
						killed.Add(n)
					}
					time.Sleep(150 * time.Millisecond)
				}
			})
			var errs int64
			for _, tk := range b.ticks {
				errs += tk.Errors
			}
			t.Logf("terminated %d sessions; the driver saw %d errors", killed.Load(), errs)
			if killed.Load() < 5 || errs == 0 {
				t.Fatalf("the fault did not bite: %d sessions terminated, %d errors seen", killed.Load(), errs)
			}
			if b.res.Integrity.Completed < 300 {
				t.Fatalf("only %d jobs completed", b.res.Integrity.Completed)
			}
		})
	}
}

// TestRunCancel: a cancelled context ends the run early, is not an error,
// and still returns exact books.
func TestRunCancel(t *testing.T) {
	t.Parallel()
	sc := load(t, "baseline", sqlload.Overrides{Duration: 5 * time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(4*time.Second, cancel)
	b := drive(t, ctx, sc, nil)
	if len(b.res.Phases) != 2 {
		t.Fatalf("phases %+v: want the warm-up and the interrupted steady phase", b.res.Phases)
	}
	if end := b.res.Phases[1].End; end.Sub(b.res.Phases[1].Start) > time.Minute {
		t.Fatalf("steady phase ran %v after cancel", end.Sub(b.res.Phases[1].Start))
	}
	if b.res.Integrity.Completed == 0 {
		t.Fatal("nothing completed before the cancel")
	}
}
