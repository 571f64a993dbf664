package reallibs

import (
	"context"
	"fmt"
	"time"
)

// Library names a queue library the harness drives with its own API.
type Library string

// The libraries the harness drives.
const (
	PgBoss   Library = "pg-boss"
	Graphile Library = "graphile-worker"
	River    Library = "river"
	Pgmq     Library = "pgmq"
)

// Libraries lists every library, in the order tests run them.
var Libraries = []Library{PgBoss, Graphile, River, Pgmq}

// Options shape one workload. Zero values take each library's defaults
// noted below.
type Options struct {
	// Workers is the worker count: pg-boss work() registrations (default
	// 4), graphile-worker concurrency (4), River MaxWorkers (10), pgmq
	// reader sessions (4).
	Workers int
	// Batch is the jobs one claim takes: pg-boss batchSize (10), pgmq read
	// qty (10); graphile-worker and River size their own fetches.
	Batch int
	// Poll is the idle polling interval: pg-boss pollingIntervalSeconds
	// (0.5 s, its minimum), graphile-worker pollInterval (2 s), River
	// FetchPollInterval (1 s), pgmq readers' sleep when empty (50 ms).
	Poll time.Duration
	// Rate sends this many jobs/s while the workers run (0: no producer).
	Rate float64
	// Backlog jobs are enqueued, runnable, before the workers start.
	Backlog int
	// Scheduled jobs are enqueued due in a day before the workers start:
	// rows every claim must skip unless its index lets it.
	Scheduled int
	// Failed jobs are enqueued runnable and then permanently failed with
	// the library's own permanentlyFailJobs before the workers start
	// (graphile-worker only): the failures a deployment keeps until someone
	// deletes them. graphile-worker's claim indexes are partial on
	// is_available, which such rows are not, so only a claim without them
	// reads them; jobs due later are in the indexes and cost a claim with
	// them as much as one without.
	Failed int
	// Retained completed jobs are written into the job table before the
	// workers start, as a queue whose archiving lags keeps them: pg-boss
	// (completed jobs stay in the queue's partition until it archives them)
	// and River (until its JobCleaner deletes them). The rows are written
	// with SQL: neither library's insert writes finished jobs, and
	// pg-boss's is far too slow for 100,000s.
	Retained int
	// Jobs stops the workload once this many jobs completed (0: only the
	// deadline).
	Jobs int
	// Deadline bounds the working part (default 60 s).
	Deadline time.Duration
}

func (o Options) deadline() time.Duration {
	if o.Deadline <= 0 {
		return time.Minute
	}
	return o.Deadline
}

// Result is a library's own account of a workload: the jobs it reports
// completed, and when.
type Result struct {
	Library string `json:"library"`
	Version string `json:"version"`
	// Completed is the library's own count: pg-boss jobs its handlers
	// returned (then completed by pg-boss), graphile-worker job:success
	// events, River EventKindJobCompleted events, pgmq messages archived.
	Completed int64 `json:"completed"`
	// Sent is what the rate producer enqueued.
	Sent int64 `json:"sent"`
	// Unix milliseconds: workers started; first and last completion; the
	// Jobs-th completion (0 when the deadline came first); stop begun; all
	// stopped.
	StartedAt        int64 `json:"started_at"`
	FirstCompletedAt int64 `json:"first_completed_at"`
	LastCompletedAt  int64 `json:"last_completed_at"`
	DoneAt           int64 `json:"done_at"`
	StoppingAt       int64 `json:"stopping_at"`
	EndedAt          int64 `json:"ended_at"`
}

// Started is when the workers started.
func (r *Result) Started() time.Time { return time.UnixMilli(r.StartedAt) }

// Ended is when every worker had stopped and its last completion was in.
func (r *Result) Ended() time.Time { return time.UnixMilli(r.EndedAt) }

// JobsPerSecond is the drain rate up to the Jobs-th completion (or the
// last completion when the deadline came first), from the workers' start.
func (r *Result) JobsPerSecond() float64 {
	end := r.DoneAt
	if end == 0 {
		end = r.LastCompletedAt
	}
	if end <= r.StartedAt {
		return 0
	}
	n := r.Completed
	return float64(n) / (float64(end-r.StartedAt) / 1000)
}

// Workload is one prepared workload of a library: its backlog already
// enqueued, its workers not started.
type Workload interface {
	// Run starts the workers (and the producer), waits until Options.Jobs
	// completed or the deadline, stops them and returns the library's
	// count. It may be called once: it ends the workload's sessions, whose
	// statistics Postgres flushes only then or every 10 s when idle.
	Run(ctx context.Context) (*Result, error)
	// Close releases what Prepare made (processes, pools).
	Close()
}

// Prepare sets a library up on dsn (its schema through its own
// migrations, the queue, the backlog) and returns the workload ready to
// start. A missing Node, npm or library install is an error for which
// Unavailable returns true.
func Prepare(ctx context.Context, lib Library, dsn string, o Options) (Workload, error) {
	switch lib {
	case PgBoss, Graphile:
		return prepareNode(ctx, lib, dsn, o)
	case River:
		return prepareRiver(ctx, dsn, o)
	case Pgmq:
		return preparePgmq(ctx, dsn, o)
	}
	return nil, fmt.Errorf("reallibs: unknown library %q", lib)
}

// Run prepares and runs one workload.
func Run(ctx context.Context, lib Library, dsn string, o Options) (*Result, error) {
	w, err := Prepare(ctx, lib, dsn, o)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	return w.Run(ctx)
}
