package sqlload_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sqlload"
)

// TestRunSurvivesTerminatedConnections kills the driver's sessions again
// and again while it runs: the pool must reconnect, claims and completions
// must be retried, and the books must still balance exactly.
func TestRunSurvivesTerminatedConnections(t *testing.T) {
	t.Parallel()
	for _, v := range []struct{ name, completion, chain, expire string }{
		{"delete", "delete", "false", "off"},
		{"archive", "archive", "false", "off"},
		// A killed session mid-pipeline loses the completion and the
		// claim together; the driver completes the batch again alone.
		{"delete, complete_and_claim", "delete", "true", "off"},
		// Claims whose reply died with the session are expired and run
		// again: nothing is left pending after the drain.
		{"delete, expire_after", "delete", "false", "3s"},
	} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			sc := loadYAML(t, `name: killed
complete_and_claim: `+v.chain+`
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
drain: 3m
adapter_settings: {completion: `+v.completion+`, expire_after: `+v.expire+`}
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
			t.Logf("terminated %d sessions; the driver saw %d errors; books %+v", killed.Load(), errs, b.res.Integrity)
			if killed.Load() < 5 || errs == 0 {
				t.Fatalf("the fault did not bite: %d sessions terminated, %d errors seen", killed.Load(), errs)
			}
			// What holds however slow the machine is: nothing lost, nothing
			// completed twice by one claim, every job accounted for, and
			// (the drain runs until the backlog is empty) nothing pending
			// when claims expire. How many got done in 4 s is the machine's
			// business. Completions after an expiry are redeliveries.
			in := b.res.Integrity
			if in.Completed == 0 || in.Lost != 0 || in.Duplicated != 0 || in.Enqueued != in.Completed+in.Pending+in.Failed {
				t.Fatalf("books do not balance: %+v", in)
			}
			if v.expire != "off" && in.Pending != 0 {
				t.Fatalf("with expire_after %s, %d jobs still pending after the drain: %+v", v.expire, in.Pending, in)
			}
		})
	}
}

// TestRunCancel: a cancelled context ends the run early, is not an error,
// and still returns exact books.
func TestRunCancel(t *testing.T) {
	t.Parallel()
	sc := load(t, "baseline", sqlload.Overrides{Duration: 5 * time.Minute})
	dsn := newDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := sqlload.Setup(ctx, dsn, "pgqtune", sc); err != nil {
		t.Fatal(err)
	}
	steady := 0
	res, err := sqlload.Run(ctx, &sqlload.RunParams{DSN: dsn, Schema: "pgqtune", Scenario: sc,
		OnTick: func(tk runrec.WorkloadTick) {
			// Cancel two seconds into the measured phase, however long
			// setting up took.
			if tk.Phase == "steady" {
				if steady++; steady == 2 {
					cancel()
				}
			}
		}})
	if err != nil {
		t.Fatalf("a cancelled run is not an error: %v", err)
	}
	if len(res.Phases) != 2 || res.Phases[1].Name != "steady" {
		t.Fatalf("phases %+v: want the warm-up and the interrupted steady phase", res.Phases)
	}
	if d := res.Phases[1].End.Sub(res.Phases[1].Start); d > time.Minute {
		t.Fatalf("steady phase ran %v after cancel", d)
	}
	in := res.Integrity
	if in.Completed == 0 || in.Lost != 0 || in.Duplicated != 0 || in.Enqueued != in.Completed+in.Pending+in.Failed {
		t.Fatalf("integrity after cancel: %+v", in)
	}
}

// TestRunLeftoverJobs: jobs an earlier run left pending share its sequence
// numbers; a second run on the same queue must not mistake them for its own
// (which would read as duplicates).
func TestRunLeftoverJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sc := loadYAML(t, `name: twice
rate: 200
enqueue_batch: 50
phases:
  - {name: steady, profile: constant, duration: 2s}
`)
	dsn := newDB(t)
	if err := sqlload.Setup(ctx, dsn, "pgqtune", sc); err != nil {
		t.Fatal(err)
	}
	pool := mustPool(t, dsn)
	defer pool.Close()
	// Leftovers with seqs 1..100, as an interrupted run leaves them.
	if _, err := pool.Exec(ctx, `INSERT INTO pgqtune.job (payload)
		SELECT jsonb_build_object('seq', i, 't', 0) FROM generate_series(1, 100) i`); err != nil {
		t.Fatal(err)
	}
	res, err := sqlload.Run(ctx, &sqlload.RunParams{DSN: dsn, Schema: "pgqtune", Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	in := res.Integrity
	t.Logf("integrity %+v, notes %v", in, res.Notes)
	if in.Lost != 0 || in.Duplicated != 0 || in.Enqueued != in.Completed+in.Pending+in.Failed {
		t.Fatalf("leftovers confused the books: %+v", in)
	}
	if in.Enqueued < 300 || in.Enqueued > 450 {
		t.Fatalf("enqueued %d: the leftovers must not be counted as this run's", in.Enqueued)
	}
	if res.LatencyMs.Max > 60_000 {
		t.Fatalf("leftovers (intended at the epoch) leaked into latency: max %.0f ms", res.LatencyMs.Max)
	}
	found := false
	for _, n := range res.Notes {
		found = found || strings.Contains(n, "100 job(s) from before this run")
	}
	if !found {
		t.Fatalf("no note about the leftovers: %v", res.Notes)
	}
}

// TestRunNoCoordinatedOmission: while a lock stalls every insert and claim,
// the open-loop schedule keeps its intended times: the stall shows as
// schedule lag and as latency of the jobs intended during it, and the jobs
// are all sent once the lock goes (the rate is not quietly lowered).
func TestRunNoCoordinatedOmission(t *testing.T) {
	t.Parallel()
	sc := loadYAML(t, `name: stalled
rate: 100
enqueue_batch: 5
dequeue_batch: 5
drain: 5s
phases:
  - {name: before, profile: constant, duration: 2s}
  - {name: locked, profile: constant, duration: 2s, pressure: lock_table}
  - {name: after, profile: constant, duration: 2s}
`)
	b := drive(t, context.Background(), sc, nil)
	var maxLag float64
	for _, tk := range b.ticks {
		maxLag = max(maxLag, tk.ScheduleLagMs)
	}
	in := b.res.Integrity
	t.Logf("max schedule lag %.0f ms, e2e max %.0f ms, enqueued %d", maxLag, b.res.LatencyMs.Max, in.Enqueued)
	if maxLag < 500 {
		t.Fatalf("a 2 s lock on the queue table left the schedule lag at %.0f ms", maxLag)
	}
	if b.res.LatencyMs.Max < 1000 {
		t.Fatalf("jobs intended during a 2 s stall report a max latency of %.0f ms", b.res.LatencyMs.Max)
	}
	// 6 s at 100 jobs/s: the stalled second's jobs are sent late, not dropped.
	if in.Enqueued < 590 || in.Enqueued > 600 {
		t.Fatalf("enqueued %d jobs, want the schedule's 600", in.Enqueued)
	}
}
