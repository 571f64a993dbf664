// Package skiplocked is the built-in skiplocked queue adapter
// (sqlload.RegisterAdapter name "skiplocked"): a pg-boss-style job table
// (migrations/skiplocked): a state column, a partial claim index, claims
// with FOR UPDATE SKIP LOCKED. It is the driver's hot path: its enqueue,
// claim and complete go through pgconn with parameters already encoded as
// text array literals (arraylit.go) and the claim's columns read raw
// (rawexec.go), and it implements sqlload.PoolOnly.
//
// Settings:
//
//	completion: delete (default) | update | archive
//	    delete removes the row; update keeps it as state 'completed' (the
//	    table grows, as with pg-boss before its archiver runs); archive
//	    moves it to job_archive in the same statement.
//	insert: multirow (default) | single | copy
//	    how Enqueue writes a batch when the scenario does not say.
//	notify: false (default) | true
//	    NOTIFY pgqtune_<schema> with the queue name in the enqueue
//	    transaction, so consumers can wait on LISTEN instead of polling.
//	expire_after: off (default) | a duration such as "30s"
//	    pg-boss's expiration: jobs claimed longer ago than this and not
//	    finished go back to pending (checked every quarter of it, at
//	    least every second) and count as redelivered when claimed again.
//	    It brings back jobs whose claim committed but whose reply was lost
//	    with a connection; keep it well above dequeue_batch x the longest
//	    work_time, or jobs still being worked run twice (and the run
//	    reports them as duplicated, as at-least-once delivery would).
package skiplocked

import (
	"context"
	"embed"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/migrations"
	"github.com/pgqtune/pgqtune/sqlload"
)

// init registers the adapter under the name "skiplocked".
func init() {
	sqlload.RegisterAdapter("skiplocked", newSkipLocked)
	sqlload.DescribeAdapter("skiplocked", "for a home-grown job table claimed with FOR UPDATE SKIP LOCKED (pg-boss-like, pgqtune's own schema, no Node needed)")
}

//go:embed sql/*.sql
var sqlFiles embed.FS

// loadSQL returns this adapter's sql/name.sql for schema (sqlload.LoadSQL).
func loadSQL(name, schema string) string { return sqlload.LoadSQL(sqlFiles, name, schema) }

type adapter struct {
	pool       *pgxpool.Pool
	dsn        string
	schema     string
	completion string
	insert     sqlload.InsertMethod
	channel    string
	maxAtt     int
	expire     time.Duration

	claim, enqueue, complete, fail, stats, pending, lookup, expireSQL string

	// The hot statements, sent through pgconn (rawexec.go).
	claimStmt, enqueueStmt, completeStmt preparedSQL
	maxAttText                           []byte
}

func newSkipLocked(_ context.Context, c *sqlload.Config) (sqlload.Adapter, error) {
	s := c.Settings
	if err := s.Check("completion", "insert", "notify", "expire_after"); err != nil {
		return nil, err
	}
	completion, err := s.String("completion", "delete", "delete", "update", "archive")
	if err != nil {
		return nil, err
	}
	insert, err := s.String("insert", string(sqlload.InsertMultiRow), string(sqlload.InsertMultiRow), string(sqlload.InsertSingle), string(sqlload.InsertCopy))
	if err != nil {
		return nil, err
	}
	notify, err := s.Bool("notify", false)
	if err != nil {
		return nil, err
	}
	var expire time.Duration
	if v, ok := s["expire_after"]; ok && v != "off" {
		if expire, err = s.Duration("expire_after", 0); err != nil {
			return nil, err
		}
		if expire < time.Second {
			return nil, &sqlload.SettingError{Key: "expire_after", Msg: fmt.Sprintf("%v is under a second: every job in flight would expire", expire)}
		}
	}
	a := &adapter{
		pool: c.Pool, dsn: c.DSN, schema: c.Schema, completion: completion,
		insert: sqlload.InsertMethod(insert), maxAtt: max(c.MaxAttempts, 1), expire: expire,
	}
	if notify || c.Notify {
		a.channel = "pgqtune_" + c.Schema
	}
	a.claim = loadSQL("skiplocked_claim", c.Schema)
	a.enqueue = loadSQL("skiplocked_enqueue", c.Schema)
	a.complete = loadSQL("skiplocked_complete_"+completion, c.Schema)
	a.fail = loadSQL("skiplocked_fail", c.Schema)
	a.stats = loadSQL("skiplocked_stats", c.Schema)
	a.pending = loadSQL("skiplocked_pending", c.Schema)
	a.lookup = loadSQL("skiplocked_lookup", c.Schema)
	a.expireSQL = loadSQL("skiplocked_expire", c.Schema)
	a.claimStmt, a.enqueueStmt, a.completeStmt = newPreparedSQL(a.claim), newPreparedSQL(a.enqueue), newPreparedSQL(a.complete)
	a.maxAttText = strconv.AppendInt(nil, int64(a.maxAtt), 10)
	return a, nil
}

// PoolOnly marks the adapter as sqlload.PoolOnly: every call of the
// adapter goes through the run's pool.
func (a *adapter) PoolOnly() {}

func (a *adapter) Setup(ctx context.Context) error {
	if err := migrations.Up(ctx, a.dsn, "skiplocked", a.schema); err != nil {
		return fmt.Errorf("skiplocked: setup: %w", err)
	}
	return nil
}

func (a *adapter) Tables() []string {
	return []string{sqlload.QualifiedName(a.schema, "job"), sqlload.QualifiedName(a.schema, "job_archive")}
}

func (a *adapter) Channel() string { return a.channel }

func (a *adapter) Describe() map[string]any {
	expire := "off"
	if a.expire > 0 {
		expire = a.expire.String()
	}
	return map[string]any{"completion": a.completion, "insert": string(a.insert), "notify": a.channel != "", "expire_after": expire}
}

// MaintainEvery is how often Maintain runs: a quarter of expire_after, at
// least every second; 0 when expiration is off.
func (a *adapter) MaintainEvery() time.Duration {
	if a.expire <= 0 {
		return 0
	}
	return max(a.expire/4, time.Second)
}

// Maintain expires jobs claimed longer ago than expire_after.
func (a *adapter) Maintain(ctx context.Context) (int64, error) {
	if a.expire <= 0 {
		return 0, nil
	}
	tag, err := a.pool.Exec(ctx, a.expireSQL, a.expire.Seconds())
	if err != nil {
		return 0, fmt.Errorf("skiplocked: expire jobs active for over %v: %w", a.expire, err)
	}
	return tag.RowsAffected(), nil
}

func (a *adapter) Enqueue(ctx context.Context, p *sqlload.EnqueueParams) error {
	if len(p.Jobs) == 0 {
		return nil
	}
	method := p.Method
	if method == sqlload.InsertDefault {
		method = a.insert
	}
	var err error
	switch method {
	case sqlload.InsertMultiRow:
		err = a.enqueueMultiRow(ctx, p.Jobs)
	case sqlload.InsertSingle:
		err = a.enqueueSingle(ctx, p.Jobs)
	case sqlload.InsertCopy:
		err = a.enqueueCopy(ctx, p.Jobs)
	default:
		err = fmt.Errorf("insert method %q: %w", method, sqlload.ErrUnsupported)
	}
	if err != nil {
		return fmt.Errorf("skiplocked: enqueue %d jobs (%s): %w", len(p.Jobs), method, err)
	}
	return nil
}

func (a *adapter) enqueueMultiRow(ctx context.Context, jobs []sqlload.NewJob) error {
	lit := getLiteralBuf()
	defer putLiteralBuf(lit)
	if a.channel == "" {
		c, err := a.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer c.Release()
		if _, err := a.enqueueStmt.prepareOn(ctx, c.Conn()); err != nil {
			return err
		}
		arrays := lit.enqueueArrayBytes(jobs)
		params := [5][]byte{arrays[0], arrays[1], arrays[2], arrays[3], a.maxAttText}
		_, err = c.Conn().PgConn().ExecPrepared(ctx, a.enqueueStmt.name, params[:], nil, nil).Close()
		return err
	}
	queues, prios, runAt, docs := lit.enqueueArrays(jobs)
	b := &pgx.Batch{}
	b.Queue(a.enqueue, queues, prios, runAt, docs, a.maxAtt)
	a.queueNotify(b, jobs)
	return a.pool.SendBatch(ctx, b).Close()
}

func (a *adapter) enqueueSingle(ctx context.Context, jobs []sqlload.NewJob) error {
	return pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for i := range jobs {
			j := &jobs[i]
			var runAt *time.Time
			if !j.RunAt.IsZero() {
				runAt = &j.RunAt
			}
			b.Queue(`/* pgqtune skiplocked enqueue single */ INSERT INTO `+a.q("job")+
				` (queue, priority, run_at, payload, max_attempts) VALUES ($1, $2, coalesce($3, now()), $4, $5)`,
				j.Queue, j.Priority, runAt, string(sqlload.EncodePayload(j)), a.maxAtt)
		}
		a.queueNotify(b, jobs)
		return tx.SendBatch(ctx, b).Close()
	})
}

func (a *adapter) enqueueCopy(ctx context.Context, jobs []sqlload.NewJob) error {
	now := time.Now()
	return pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{a.schema, "job"},
			[]string{"queue", "priority", "run_at", "payload", "max_attempts"},
			pgx.CopyFromSlice(len(jobs), func(i int) ([]any, error) {
				j := &jobs[i]
				runAt := j.RunAt
				if runAt.IsZero() {
					runAt = now
				}
				return []any{j.Queue, j.Priority, runAt, string(sqlload.EncodePayload(j)), a.maxAtt}, nil
			}))
		if err != nil {
			return err
		}
		if a.channel != "" {
			b := &pgx.Batch{}
			a.queueNotify(b, jobs)
			return tx.SendBatch(ctx, b).Close()
		}
		return nil
	})
}

// queueNotify adds one NOTIFY per distinct queue of the batch; Postgres
// delivers them at commit, so a listener never wakes before the rows are
// visible.
func (a *adapter) queueNotify(b *pgx.Batch, jobs []sqlload.NewJob) {
	if a.channel == "" {
		return
	}
	seen := map[string]bool{}
	for i := range jobs {
		if q := jobs[i].Queue; !seen[q] {
			seen[q] = true
			b.Queue(`SELECT pg_notify($1, $2)`, a.channel, q)
		}
	}
}

func (a *adapter) Dequeue(ctx context.Context, p *sqlload.DequeueParams) ([]*sqlload.Job, error) {
	jobs, err := a.completeAndClaim(ctx, nil, p)
	if err != nil {
		return nil, fmt.Errorf("skiplocked: claim from %s: %w", p.Queue, err)
	}
	return jobs, nil
}

// CompleteAndClaim sends the completion and the next claim as one batch
// ended by a single Sync, so Postgres runs both in one implicit transaction
// with one commit.
func (a *adapter) CompleteAndClaim(ctx context.Context, c *sqlload.CompleteParams, d *sqlload.DequeueParams) ([]*sqlload.Job, error) {
	jobs, err := a.completeAndClaim(ctx, c.Jobs, d)
	if err != nil {
		return nil, fmt.Errorf("skiplocked: complete %d jobs (%s) and claim from %s: %w", len(c.Jobs), a.completion, d.Queue, err)
	}
	return jobs, nil
}

// completeAndClaim completes done (none: a plain claim) and claims up to
// d.Limit jobs in one round trip and one transaction.
func (a *adapter) completeAndClaim(ctx context.Context, done []*sqlload.Job, d *sqlload.DequeueParams) ([]*sqlload.Job, error) {
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	if len(done) > 0 {
		if _, err := a.completeStmt.prepareOn(ctx, conn.Conn()); err != nil {
			return nil, err
		}
	}
	claim, err := a.claimStmt.prepareOn(ctx, conn.Conn())
	if err != nil {
		return nil, err
	}
	lit := getLiteralBuf()
	defer putLiteralBuf(lit)
	var limit [20]byte
	var b pgconn.Batch
	if len(done) > 0 {
		b.ExecPrepared(a.completeStmt.name, [][]byte{lit.idsLiteralBytes(done)}, nil, nil)
	}
	// The claim's result columns are known from its Prepare: no Describe
	// (and no RowDescription to decode) per claim, as pgx's statement
	// cache does.
	b.ExecStatement(claim, [][]byte{[]byte(d.Queue), strconv.AppendInt(limit[:0], int64(d.Limit), 10)}, nil, binaryResults)
	mrr := conn.Conn().PgConn().ExecBatch(ctx, &b)
	var jobs []*sqlload.Job
	var readErr error
	for i := 0; mrr.NextResult(); i++ {
		rr := mrr.ResultReader()
		if i == 0 && len(done) > 0 {
			_, _ = rr.Close() // the completion (its error, if any, ends the batch)
			continue
		}
		jobs, readErr = readClaimed(rr, d.Queue, d.Limit)
	}
	if err := mrr.Close(); err != nil {
		return nil, err
	}
	if readErr != nil {
		return nil, readErr
	}
	return jobs, nil
}

func (a *adapter) Complete(ctx context.Context, p *sqlload.CompleteParams) error {
	if len(p.Jobs) == 0 {
		return nil
	}
	if err := a.completeOnly(ctx, p.Jobs); err != nil {
		return fmt.Errorf("skiplocked: complete %d jobs (%s): %w", len(p.Jobs), a.completion, err)
	}
	return nil
}

func (a *adapter) completeOnly(ctx context.Context, jobs []*sqlload.Job) error {
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := a.completeStmt.prepareOn(ctx, conn.Conn()); err != nil {
		return err
	}
	lit := getLiteralBuf()
	defer putLiteralBuf(lit)
	_, err = conn.Conn().PgConn().ExecPrepared(ctx, a.completeStmt.name, [][]byte{lit.idsLiteralBytes(jobs)}, nil, nil).Close()
	return err
}

func (a *adapter) Fail(ctx context.Context, p *sqlload.FailParams) error {
	if len(p.Jobs) == 0 {
		return nil
	}
	atts := make([]int32, len(p.Jobs))
	for i, j := range p.Jobs {
		atts[i] = int32(j.Attempt)
	}
	var retryAt *time.Time
	if !p.RetryAt.IsZero() {
		retryAt = &p.RetryAt
	}
	if _, err := a.pool.Exec(ctx, a.fail, sqlload.JobIDs(p.Jobs), atts, retryAt, p.Error); err != nil {
		return fmt.Errorf("skiplocked: fail %d jobs: %w", len(p.Jobs), err)
	}
	return nil
}

func (a *adapter) Stats(ctx context.Context) (sqlload.QueueStats, error) {
	var s sqlload.QueueStats
	var age float64
	if err := a.pool.QueryRow(ctx, a.stats).Scan(&s.Depth, &s.Scheduled, &age); err != nil {
		return s, fmt.Errorf("skiplocked: stats: %w", err)
	}
	s.OldestPendingAge = time.Duration(age * float64(time.Second))
	return s, nil
}

func (a *adapter) Pending(ctx context.Context) ([]int64, error) {
	return sqlload.CollectInt64s(ctx, a.pool, "skiplocked: pending", a.pending)
}

func (a *adapter) Lookup(ctx context.Context, seqs []int64) ([]int64, error) {
	return sqlload.CollectInt64s(ctx, a.pool, "skiplocked: lookup", a.lookup, seqs)
}

func (a *adapter) Close(context.Context) error { return nil }

func (a *adapter) q(table string) string { return pgx.Identifier{a.schema, table}.Sanitize() }
