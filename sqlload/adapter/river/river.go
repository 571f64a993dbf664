// Package river is the river queue adapter (sqlload.RegisterAdapter name
// "river"): it drives the real River library (riverqueue/river v0.51, pgx v5
// driver): River's own migrations (rivermigrate) in the run's schema,
// River's inserts, and River's producers, fetch loop, completer and retry
// policy calling the driver's handler, so River users benchmark the queue
// they run. It implements sqlload.Worker: the driver calls Work instead of
// Dequeue/Complete/Fail. It is the only package of pgqtune's driver that
// imports River (internal/layout checks that).
//
// Each job is a River job of kind "pgqtune" whose args are the driver's
// payload document ({"seq", "t", "pad"}), which is how integrity survives a
// library that owns the job rows: Pending and Lookup read the seq back from
// river_job.args.
//
// NewJob.Priority p maps to River priority 1+p, clamped to River's 1..4
// (1 runs first); Config.MaxAttempts becomes each job's max_attempts.
//
// River's workers are goroutines, not connections: a producer fetches at
// most once per fetch_cooldown, up to MaxWorkers minus the jobs it runs, so
// River's throughput per queue is bounded by about MaxWorkers/fetch_cooldown
// (4 workers and River's 100 ms cooldown cap a queue at 40 jobs/s). The
// driver's consumer count is therefore not River's MaxWorkers: River users
// run tens to hundreds, and so does the adapter (max_workers).
//
// Settings:
//
//	insert: multirow (default) | copy | single
//	    River's InsertMany (one multi-row INSERT), InsertManyFast (COPY) or
//	    one Insert per job in one transaction.
//	fetch_cooldown: River's default "100ms"
//	    the least time between two fetches of a queue's producer.
//	fetch_poll_interval: River's default "1s"
//	    how often a producer polls when no notification arrived.
//	poll_only: false (default) | true
//	    no LISTEN/NOTIFY: producers only poll.
//	retry_backoff: River's policy by default (attempt^4 seconds)
//	    a fixed backoff for failed attempts instead, e.g. "100ms".
//	max_workers: 100 (default, as in River's documentation)
//	    River's QueueConfig.MaxWorkers for every queue; 0 means the
//	    driver's consumer count.
package river

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/pgqtune/pgqtune/sqlload"
)

// init registers the adapter under the name "river".
func init() {
	sqlload.RegisterAdapter("river", newRiver)
	sqlload.DescribeAdapter("river", "when you run River: the real River library drives its own schema")
}

//go:embed sql/*.sql
var sqlFiles embed.FS

// loadSQL returns this adapter's sql/name.sql for schema (sqlload.LoadSQL).
func loadSQL(name, schema string) string { return sqlload.LoadSQL(sqlFiles, name, schema) }

// riverSchemaName is what River's Config.Schema accepts.
var riverSchemaName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// riverKind is the kind of every job the driver inserts.
const riverKind = "pgqtune"

type adapter struct {
	pool          *pgxpool.Pool
	dsn           string
	schema        string
	queues        []string
	maxAttempts   int
	insert        sqlload.InsertMethod
	fetchCooldown time.Duration
	fetchPoll     time.Duration
	pollOnly      bool
	retryBackoff  time.Duration
	maxWorkers    int // per queue; 0 = WorkParams.Workers spread over the queues
	logger        *slog.Logger

	stats, pending, lookup string

	mu       sync.Mutex
	inserter *river.Client[pgx.Tx] // insert-only client, built by Setup
}

// riverArgs are the job args: the driver's payload document.
type riverArgs struct {
	Seq int64  `json:"seq"`
	T   int64  `json:"t"`
	Pad string `json:"pad,omitempty"`
}

// Kind is River's job kind.
func (riverArgs) Kind() string { return riverKind }

func newRiver(_ context.Context, c *sqlload.Config) (sqlload.Adapter, error) {
	s := c.Settings
	if err := s.Check("insert", "fetch_cooldown", "fetch_poll_interval", "poll_only", "retry_backoff", "max_workers"); err != nil {
		return nil, err
	}
	insert, err := s.String("insert", string(sqlload.InsertMultiRow), string(sqlload.InsertMultiRow), string(sqlload.InsertCopy), string(sqlload.InsertSingle))
	if err != nil {
		return nil, err
	}
	cooldown, err := s.Duration("fetch_cooldown", river.FetchCooldownDefault)
	if err != nil {
		return nil, err
	}
	poll, err := s.Duration("fetch_poll_interval", river.FetchPollIntervalDefault)
	if err != nil {
		return nil, err
	}
	if poll < cooldown {
		return nil, &sqlload.SettingError{Key: "fetch_poll_interval", Msg: fmt.Sprintf("%v is shorter than fetch_cooldown %v (River refuses that)", poll, cooldown)}
	}
	pollOnly, err := s.Bool("poll_only", false)
	if err != nil {
		return nil, err
	}
	backoff, err := s.Duration("retry_backoff", 0)
	if err != nil {
		return nil, err
	}
	maxWorkers, err := s.Int("max_workers", 100, 0, river.QueueNumWorkersMax)
	if err != nil {
		return nil, err
	}
	if !riverSchemaName.MatchString(c.Schema) {
		return nil, fmt.Errorf("river: schema %q: River accepts only letters, digits and underscores, not starting with a digit", c.Schema)
	}
	queues := c.Queues
	if len(queues) == 0 {
		queues = []string{river.QueueDefault}
	}
	return &adapter{
		pool: c.Pool, dsn: c.DSN, schema: c.Schema, queues: queues, maxAttempts: max(c.MaxAttempts, 1),
		insert: sqlload.InsertMethod(insert), fetchCooldown: cooldown, fetchPoll: poll, pollOnly: pollOnly,
		retryBackoff: backoff, maxWorkers: maxWorkers,
		// River logs recoverable trouble (a lost listener, a retried fetch)
		// at warn; the driver counts its own errors, so only River's errors
		// show, and only the first few: a flapping server must not bury the
		// progress line.
		logger:  slog.New(newRiverLogLimit(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}), 5)),
		stats:   loadSQL("river_stats", c.Schema),
		pending: loadSQL("river_pending", c.Schema),
		lookup:  loadSQL("river_lookup", c.Schema),
	}, nil
}

// Setup runs River's own migrations (all of them, to the version this
// library release expects) into the run's schema and builds the insert
// client.
func (a *adapter) Setup(ctx context.Context) error {
	// DDL is the tool's, not the workload's: it runs on its own small pool
	// under its own application_name, so neither the sampler nor a fault
	// aimed at the workload's sessions mistakes it for the queue's traffic.
	setupPool, err := a.setupPool(ctx)
	if err != nil {
		return err
	}
	defer setupPool.Close()
	err = sqlload.RetrySetup(ctx, func() error {
		_, err := setupPool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{a.schema}.Sanitize())
		return err
	})
	if err != nil {
		return fmt.Errorf("river: setup: create schema %s: %w", a.schema, err)
	}
	m, err := rivermigrate.New(riverpgxv5.New(setupPool), &rivermigrate.Config{Schema: a.schema, Logger: a.logger})
	if err != nil {
		return fmt.Errorf("river: setup: migrator: %w", err)
	}
	// rivermigrate runs each migration in its own transaction and records
	// it, so running it again after a lost connection resumes where it was.
	if err := sqlload.RetrySetup(ctx, func() error { _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); return err }); err != nil {
		return fmt.Errorf("river: setup: migrate up in %s: %w", a.schema, err)
	}
	client, err := river.NewClient(riverpgxv5.New(a.pool), &river.Config{Schema: a.schema, Logger: a.logger, MaxAttempts: a.maxAttempts})
	if err != nil {
		return fmt.Errorf("river: setup: insert client: %w", err)
	}
	a.mu.Lock()
	a.inserter = client
	a.mu.Unlock()
	return nil
}

// riverLogLimit passes on the first records its budget allows (shared by
// every logger derived from it), then says once that it stops.
type riverLogLimit struct {
	inner  slog.Handler
	budget *riverLogBudget
}

type riverLogBudget struct {
	mu   sync.Mutex
	left int
}

func newRiverLogLimit(inner slog.Handler, n int) *riverLogLimit {
	return &riverLogLimit{inner: inner, budget: &riverLogBudget{left: n}}
}

func (h *riverLogLimit) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *riverLogLimit) Handle(ctx context.Context, r slog.Record) error {
	h.budget.mu.Lock()
	h.budget.left--
	left := h.budget.left
	h.budget.mu.Unlock()
	switch {
	case left >= 0:
		return h.inner.Handle(ctx, r)
	case left == -1:
		return h.inner.Handle(ctx, slog.NewRecord(r.Time, r.Level, "river: further River errors are not shown", 0))
	}
	return nil
}

func (h *riverLogLimit) WithAttrs(as []slog.Attr) slog.Handler {
	return &riverLogLimit{inner: h.inner.WithAttrs(as), budget: h.budget}
}

func (h *riverLogLimit) WithGroup(name string) slog.Handler {
	return &riverLogLimit{inner: h.inner.WithGroup(name), budget: h.budget}
}

// riverVersion is the River release built in, for the comparability record.
func riverVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/riverqueue/river" {
				return m.Version
			}
		}
	}
	return "(unknown version)"
}

// setupPool opens a two-connection pool on the target for Setup's DDL.
func (a *adapter) setupPool(ctx context.Context) (*pgxpool.Pool, error) {
	dsn := a.dsn
	if dsn == "" {
		dsn = a.pool.Config().ConnConfig.ConnString()
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("river: setup: parse DSN: %w", err)
	}
	cfg.MaxConns = 2
	cfg.ConnConfig.RuntimeParams["application_name"] = "pgqtune-setup"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("river: setup: connect: %w", err)
	}
	return pool, nil
}

// Tables names River's job table, the one the queue lives in.
func (a *adapter) Tables() []string {
	return []string{pgx.Identifier{a.schema, "river_job"}.Sanitize()}
}

// Describe records River's effective settings.
func (a *adapter) Describe() map[string]any {
	d := map[string]any{
		"library":           "github.com/riverqueue/river " + riverVersion() + " (riverpgxv5)",
		"insert":            string(a.insert),
		"fetch_cooldown_ms": float64(a.fetchCooldown) / float64(time.Millisecond),
		"fetch_poll_ms":     float64(a.fetchPoll) / float64(time.Millisecond),
		"poll_only":         a.pollOnly,
		"max_workers":       a.maxWorkers,
		"completion":        "river (state completed, rows kept until the JobCleaner's retention)",
		"retry_policy":      "river default (attempt^4 s)",
	}
	if a.retryBackoff > 0 {
		d["retry_policy"] = "fixed " + a.retryBackoff.String()
	}
	return d
}

func (a *adapter) client() (*river.Client[pgx.Tx], error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inserter == nil {
		return nil, errors.New("river: Setup has not run")
	}
	return a.inserter, nil
}

// Enqueue inserts the batch through River: InsertMany, InsertManyFast
// (COPY) or Insert per job, always in one transaction.
func (a *adapter) Enqueue(ctx context.Context, p *sqlload.EnqueueParams) error {
	if len(p.Jobs) == 0 {
		return nil
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	method := p.Method
	if method == sqlload.InsertDefault {
		method = a.insert
	}
	params := make([]river.InsertManyParams, len(p.Jobs))
	for i := range p.Jobs {
		params[i] = a.insertParams(&p.Jobs[i])
	}
	err = pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		switch method {
		case sqlload.InsertMultiRow:
			_, err := c.InsertManyTx(ctx, tx, params)
			return err
		case sqlload.InsertCopy:
			_, err := c.InsertManyFastTx(ctx, tx, params)
			return err
		case sqlload.InsertSingle:
			for _, ip := range params {
				if _, err := c.InsertTx(ctx, tx, ip.Args, ip.InsertOpts); err != nil {
					return err
				}
			}
			return nil
		}
		return fmt.Errorf("insert method %q: %w", method, sqlload.ErrUnsupported)
	})
	if err != nil {
		return fmt.Errorf("river: insert %d jobs (%s): %w", len(p.Jobs), method, err)
	}
	return nil
}

func (a *adapter) insertParams(j *sqlload.NewJob) river.InsertManyParams {
	fields := riverArgs{Seq: j.Seq, T: j.IntendedAt.UnixMicro()}
	const overhead = len(`{"seq":,"t":,"pad":""}`) + 2*19
	if pad := j.PayloadSize - overhead; pad > 0 {
		fields.Pad = padding(pad)
	}
	return river.InsertManyParams{Args: fields, InsertOpts: &river.InsertOpts{
		Queue:       j.Queue,
		Priority:    min(max(1+int(j.Priority), 1), 4),
		ScheduledAt: j.RunAt,
		MaxAttempts: a.maxAttempts,
	}}
}

var (
	padMu  sync.Mutex
	padStr string
)

// padding returns n filler bytes, sharing one backing string so payloads
// cost no allocation per job.
func padding(n int) string {
	padMu.Lock()
	defer padMu.Unlock()
	if len(padStr) < n {
		padStr = strings.Repeat("x", max(n, 4096))
	}
	return padStr[:n]
}

// Work runs a River client with the driver's handler as its worker until
// ctx is cancelled, then stops it softly: River lets running jobs finish and
// flushes their completions before Stop returns.
func (a *adapter) Work(ctx context.Context, p *sqlload.WorkParams) error {
	if _, err := a.client(); err != nil {
		return err
	}
	queues := p.Queues
	if len(queues) == 0 {
		queues = a.queues
	}
	per := a.maxWorkers
	if per == 0 {
		per = max((p.Workers+len(queues)-1)/len(queues), 1)
	}
	qc := make(map[string]river.QueueConfig, len(queues))
	for _, q := range queues {
		qc[q] = river.QueueConfig{MaxWorkers: per}
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &riverWorker{params: p, backoff: a.retryBackoff}); err != nil {
		return fmt.Errorf("river: add worker: %w", err)
	}
	newClient := func() (*river.Client[pgx.Tx], error) {
		return river.NewClient(riverpgxv5.New(a.pool), &river.Config{
			Schema:            a.schema,
			Logger:            a.logger,
			Queues:            qc,
			Workers:           workers,
			MaxAttempts:       a.maxAttempts,
			FetchCooldown:     a.fetchCooldown,
			FetchPollInterval: a.fetchPoll,
			PollOnly:          a.pollOnly,
			// The driver's handler may sleep for the scenario's work time;
			// River's one-minute default would cancel long simulated jobs.
			JobTimeout: -1,
		})
	}
	// Start with a context that outlives ctx: cancelling the start context
	// would hard-stop River, while the driver wants in-flight jobs finished.
	// Start checks the database; when the connection is lost under it (a
	// restarting server, a terminated session), a fresh client tries again
	// until ctx ends, as a River deployment's supervisor would.
	runCtx := context.WithoutCancel(ctx)
	var client *river.Client[pgx.Tx]
	for attempt := 0; ; attempt++ {
		c, err := newClient()
		if err != nil {
			return fmt.Errorf("river: work client: %w", err)
		}
		err = c.Start(runCtx)
		if err == nil {
			client = c
			break
		}
		if !sqlload.ConnectionLost(err) {
			return fmt.Errorf("river: start workers: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(min(time.Duration(50<<min(attempt, 5))*time.Millisecond, time.Second)):
		}
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(runCtx, 30*time.Second)
	defer cancel()
	if err := client.Stop(stopCtx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("river: stop workers: %w", err)
	}
	return nil
}

// riverWorker hands River's jobs to the driver.
type riverWorker struct {
	river.WorkerDefaults[riverArgs]
	params  *sqlload.WorkParams
	backoff time.Duration
}

// Work converts River's job to the driver's and runs the handler; a failed
// attempt is reported before River records it, with whether River will
// retry it.
func (w *riverWorker) Work(ctx context.Context, job *river.Job[riverArgs]) error {
	j := &sqlload.Job{
		ID:         job.ID,
		Seq:        job.Args.Seq,
		IntendedAt: time.UnixMicro(job.Args.T),
		Queue:      job.Queue,
		Attempt:    job.Attempt,
		ReadyAt:    job.ScheduledAt,
		Handle:     job.JobRow,
	}
	err := w.params.Handle(ctx, j)
	if err != nil && w.params.Failed != nil {
		w.params.Failed(j, job.Attempt < job.MaxAttempts)
	}
	return err
}

// NextRetry applies the retry_backoff setting; the zero time means River's
// own policy.
func (w *riverWorker) NextRetry(*river.Job[riverArgs]) time.Time {
	if w.backoff <= 0 {
		return time.Time{}
	}
	return time.Now().Add(w.backoff)
}

// Dequeue is not how River is driven (see Work): River's producers fetch.
func (a *adapter) Dequeue(context.Context, *sqlload.DequeueParams) ([]*sqlload.Job, error) {
	return nil, fmt.Errorf("river: dequeue: River fetches jobs itself (use Work): %w", sqlload.ErrUnsupported)
}

// Complete is River's completer's job (see Work).
func (a *adapter) Complete(context.Context, *sqlload.CompleteParams) error {
	return fmt.Errorf("river: complete: River completes jobs itself (use Work): %w", sqlload.ErrUnsupported)
}

// Fail is River's retry policy's job (see Work).
func (a *adapter) Fail(context.Context, *sqlload.FailParams) error {
	return fmt.Errorf("river: fail: River retries jobs itself (use Work): %w", sqlload.ErrUnsupported)
}

// Stats reads river_job's unfinished rows.
func (a *adapter) Stats(ctx context.Context) (sqlload.QueueStats, error) {
	var s sqlload.QueueStats
	var age float64
	if err := a.pool.QueryRow(ctx, a.stats).Scan(&s.Depth, &s.Scheduled, &s.InFlight, &age); err != nil {
		return s, fmt.Errorf("river: stats: %w", err)
	}
	s.OldestPendingAge = time.Duration(age * float64(time.Second))
	return s, nil
}

// Pending lists the seq of every River job not yet finalized.
func (a *adapter) Pending(ctx context.Context) ([]int64, error) {
	return sqlload.CollectInt64s(ctx, a.pool, "river: pending", a.pending)
}

// Lookup returns which of seqs River has in any state.
func (a *adapter) Lookup(ctx context.Context, seqs []int64) ([]int64, error) {
	docs := make([]string, len(seqs))
	for i, s := range seqs {
		docs[i] = `{"seq":` + strconv.FormatInt(s, 10) + `}`
	}
	return sqlload.CollectInt64s(ctx, a.pool, "river: lookup", a.lookup, docs)
}

// Close has nothing to release: the work client stops in Work and the
// insert client holds no connections of its own.
func (a *adapter) Close(context.Context) error { return nil }
