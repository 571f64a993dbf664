package sqlload

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Adapter is one queue design driven by the workload: a built-in table
// (skiplocked, pgmq) or a real library (River). A new queue design is one
// new package under sqlload/adapter implementing Adapter and calling
// RegisterAdapter in its init, imported by sqlload/adapter/all.
//
// The driver gives every job a sequence number (NewJob.Seq, unique within a
// run) and keeps the accounting itself; an adapter's only duties are to
// store Seq and IntendedAt with the job and hand them back on Dequeue, and
// to keep the rules below, which are what lets the driver prove that no job
// was lost or run twice even when connections die mid-run:
//
//   - Complete and Fail are idempotent: calling them again with the same
//     jobs after an error whose outcome is unknown (the connection died
//     around the commit) succeeds and changes nothing for jobs the first
//     call already finished.
//   - A job returned by Dequeue is invisible to every other Dequeue until it
//     is completed or failed (or, for visibility-timeout designs such as
//     pgmq, until its timeout expires: it then comes back with
//     Job.Redelivered set).
//   - Pending lists every job still waiting, scheduled or in flight, so at
//     the end every enqueued Seq is completed, failed for good, or pending.
//
// Every method takes the context first and must return promptly when it is
// cancelled (pgx cancels the server-side query). Methods are called
// concurrently from many goroutines; an Adapter holds no per-call state.
type Adapter interface {
	// Setup creates the adapter's tables (migrations) in Config.Schema. It
	// is idempotent.
	Setup(ctx context.Context) error
	// Enqueue inserts a batch of new jobs, all or none.
	Enqueue(ctx context.Context, p *EnqueueParams) error
	// Dequeue claims up to p.Limit runnable jobs of p.Queue (run_at <= now),
	// best priority first, then oldest, skipping jobs others hold. It
	// returns an empty slice, not an error, when nothing is runnable.
	Dequeue(ctx context.Context, p *DequeueParams) ([]*Job, error)
	// Complete finishes a batch of claimed jobs in the adapter's completion
	// mode (delete, update or archive). Idempotent, see above.
	Complete(ctx context.Context, p *CompleteParams) error
	// Fail records a failed attempt: with p.RetryAt set the jobs become
	// runnable again at that time (backoff); with it zero they are failed
	// for good. Idempotent, see above.
	Fail(ctx context.Context, p *FailParams) error
	// Stats reads the queue's depth and the age of its oldest runnable job.
	Stats(ctx context.Context) (QueueStats, error)
	// Pending returns the Seq of every job still waiting, scheduled,
	// retrying or in flight (claimed but not finished), in any order.
	Pending(ctx context.Context) ([]int64, error)
	// Tables names the adapter's queue tables, schema-qualified, for the
	// sampler and the report (e.g. "pgqtune.job").
	Tables() []string
	// Close releases what the adapter opened (not Config.Pool, which the
	// driver owns).
	Close(ctx context.Context) error
}

// Worker is an optional capability of adapters whose library runs its own
// workers (River): instead of calling Dequeue/Complete/Fail the driver calls
// Work once, and the library calls p.Handle for every job it fetches. A nil
// return from Handle means the job succeeded and the library completes it;
// an error means the attempt failed and the library retries it with its own
// backoff (or discards it after its max attempts), which the adapter reports
// by calling p.Failed.
type Worker interface {
	// Work runs the library's workers until ctx is cancelled, then stops
	// them, letting jobs in flight finish (and be completed in the database)
	// before it returns. A cancelled ctx is not an error.
	Work(ctx context.Context, p *WorkParams) error
}

// CompleteClaimer is an optional capability: finish one batch and claim the
// next in one round trip and one transaction (the two statements pipelined),
// as a worker that asks for its next jobs while acknowledging its last ones
// does. It takes one commit per batch off the consumer's path. Either both
// take effect or neither does; the completion stays idempotent, so after an
// error the driver simply completes the batch again on its own.
type CompleteClaimer interface {
	// CompleteAndClaim completes c.Jobs and claims up to d.Limit jobs of
	// d.Queue, with Complete's and Dequeue's semantics.
	CompleteAndClaim(ctx context.Context, c *CompleteParams, d *DequeueParams) ([]*Job, error)
}

// Maintainer is an optional capability of queue designs that run periodic
// maintenance, such as pg-boss's expiration of jobs claimed too long ago:
// the driver calls Maintain every MaintainEvery while the workload runs.
type Maintainer interface {
	// MaintainEvery is the interval; 0 turns maintenance off.
	MaintainEvery() time.Duration
	// Maintain runs one round and returns how many jobs it changed.
	Maintain(ctx context.Context) (int64, error)
}

// Lookuper is an optional capability: which of a set of Seqs exist in the
// queue. The driver itself never re-sends a batch whose commit outcome is
// unknown (it settles those from completions and Pending at the end, which
// needs no lookup and cannot duplicate a job); Lookup serves tests and tools
// that want to ask the queue directly.
type Lookuper interface {
	// Lookup returns which of seqs exist in the queue in any state
	// (waiting, in flight, completed and kept, archived).
	Lookup(ctx context.Context, seqs []int64) ([]int64, error)
}

// Notifier is an optional capability of adapters that send a Postgres
// NOTIFY when jobs are enqueued (setting notify: true). Consumers whose
// Dequeue came back empty then wait for a notification on Channel (or the
// poll interval, whichever comes first) instead of only polling.
type Notifier interface {
	// Channel is the LISTEN channel, or "" when notifications are off.
	Channel() string
}

// Describer is an optional capability: Describe returns the adapter's
// effective settings (defaults filled in) for the run's comparability
// record, e.g. {"completion": "delete", "insert": "multirow"}.
type Describer interface {
	Describe() map[string]any
}

// InsertMethod is how Enqueue writes a batch.
type InsertMethod string

// Insert methods. An adapter that cannot do one returns an error wrapping
// ErrUnsupported.
const (
	InsertDefault  InsertMethod = ""         // the adapter's own choice
	InsertSingle   InsertMethod = "single"   // one INSERT per job, one transaction per batch
	InsertMultiRow InsertMethod = "multirow" // one INSERT ... SELECT FROM unnest(...) per batch
	InsertCopy     InsertMethod = "copy"     // COPY FROM STDIN per batch
)

// ErrUnsupported is wrapped by adapters asked for something their design
// cannot do (an insert method, a completion mode).
var ErrUnsupported = errors.New("not supported by this adapter")

// NewJob is a job to enqueue.
type NewJob struct {
	// Seq is the driver's sequence number, unique within the run. The
	// adapter stores it with the job and returns it from Dequeue and
	// Pending.
	Seq int64
	// Queue is the queue name (Config.Queues holds them all).
	Queue string
	// Priority: lower runs first (0 is the default, as in pg-boss/River
	// order: the adapter maps it onto its own scale).
	Priority int16
	// RunAt is when the job becomes runnable; zero means now. A future
	// RunAt is a delayed (scheduled) job.
	RunAt time.Time
	// IntendedAt is when the open-loop schedule meant to send the job; the
	// adapter stores it and returns it in Job.IntendedAt so end-to-end
	// latency is measured from the intended time (no coordinated omission).
	IntendedAt time.Time
	// PayloadSize is the size in bytes of filler data to carry, so that row
	// width matches the scenario. The adapter decides how to store it.
	PayloadSize int
}

// EnqueueParams are Enqueue's arguments.
type EnqueueParams struct {
	// Jobs belongs to the driver, which reuses it for a later batch once
	// Enqueue returns: an adapter copies what it keeps.
	Jobs   []NewJob
	Method InsertMethod
}

// Job is a claimed job.
type Job struct {
	// ID is the adapter's own key (job.id, msg_id, river_job.id).
	ID int64
	// Seq and IntendedAt are what NewJob carried.
	Seq        int64
	IntendedAt time.Time
	Queue      string
	// Attempt counts deliveries including this one (1 on the first).
	Attempt int
	// ReadyAt is when the job became runnable (its run_at): the time it
	// began waiting in the queue, for the queue-wait histogram.
	ReadyAt time.Time
	// Redelivered is set when the job was claimed again after a visibility
	// timeout expired (pgmq) rather than through Fail.
	Redelivered bool
	// Handle is adapter-private data (e.g. a pgmq queue table name).
	Handle any
}

// DequeueParams are Dequeue's arguments.
type DequeueParams struct {
	Queue string
	Limit int
}

// CompleteParams are Complete's arguments.
type CompleteParams struct {
	Jobs []*Job
}

// FailParams are Fail's arguments.
type FailParams struct {
	Jobs []*Job
	// RetryAt is when the jobs run again; zero fails them for good.
	RetryAt time.Time
	// Error is recorded as the jobs' last error.
	Error string
}

// WorkParams are Worker.Work's arguments.
type WorkParams struct {
	// Queues to work and the number of concurrent workers in all.
	Queues  []string
	Workers int
	// Handle runs one job (simulated work; may return an error to fail it).
	Handle func(ctx context.Context, j *Job) error
	// Failed is called by the adapter when the library records a failed
	// attempt: retry says whether the job will run again.
	Failed func(j *Job, retry bool)
}

// QueueStats is the queue's state at one moment.
type QueueStats struct {
	// Depth is the number of runnable jobs waiting (not delayed, not in
	// flight).
	Depth int64
	// Scheduled is the number of jobs waiting for a future run_at
	// (delayed jobs and retries in backoff).
	Scheduled int64
	// InFlight is the number of claimed, unfinished jobs; adapters may
	// leave it 0 (the driver counts its own in-flight jobs).
	InFlight int64
	// OldestPendingAge is how long the oldest runnable job has waited
	// (0 when none).
	OldestPendingAge time.Duration
}

// Config is what a Factory gets.
type Config struct {
	// Pool is the driver's pool (application_name set). Nil when the
	// factory is only asked to validate settings (LoadScenario): factories
	// must not touch the database; Setup does the DDL.
	Pool *pgxpool.Pool
	// DSN is the target, for libraries that open their own connections.
	DSN string
	// Schema is where the adapter's tables live (search_path is not set on
	// Pool's sessions: qualify names with it).
	Schema string
	// Queues are the queue names the scenario uses (at least one).
	Queues []string
	// MaxAttempts is how many deliveries a job gets before it fails for
	// good (library adapters configure their retry policy with it).
	MaxAttempts int
	// Settings are the scenario's adapter.settings.
	Settings Settings
	// Notify is set when the scenario wants LISTEN/NOTIFY wake-ups
	// (wakeup: notify): adapters that can send NOTIFY on enqueue should,
	// and implement Notifier.
	Notify bool
}

// Factory builds an adapter. It validates c.Settings (unknown keys and bad
// values are errors naming the key) and must not touch the database.
type Factory func(ctx context.Context, c *Config) (Adapter, error)
