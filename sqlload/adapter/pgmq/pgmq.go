// Package pgmq is the pgmq queue adapter (sqlload.RegisterAdapter name
// "pgmq"). It has pgmq's semantics: one table per queue (msg_id,
// read_ct, enqueued_at, vt, message jsonb), a read that hides messages for a
// visibility timeout instead of marking them taken, delete or archive on
// completion, and messages whose timeout expires before they are finished
// read again (counted as redeliveries).
//
// pgmq has no priorities (pgmq/pgmq#202): it reads in msg_id order. The
// adapter does what a pgmq producer that cares can do, and no more: it sends
// each batch in priority order (stable), so within one send the more urgent
// messages get the lower msg_ids and are read first; across sends, msg_id
// (FIFO) order rules, exactly as in pgmq.
//
// By default it uses the built-in pgmq-shaped tables (migrations/pgmq) in
// the run's schema, with the statements pgmq's functions run. When the real
// extension is installed on the target it can drive it instead, through
// pgmq.create/send_batch/read/delete/archive/set_vt, so pgmq users measure
// the queue they run.
//
// Settings:
//
//	completion: delete (default) | archive
//	    pgmq.delete or pgmq.archive (to a_<queue>) when a job finishes.
//	    Jobs that fail for good are always archived (pgmq has no failed
//	    state; the archive is its dead-letter table).
//	visibility_timeout: "30s" (default)
//	    how long a read message stays hidden; whole seconds with the
//	    extension, whose vt is an integer.
//	extension: auto (default) | on | off
//	    auto uses the pgmq extension when pg_extension lists it and the
//	    built-in tables otherwise; on requires it (Setup fails without it);
//	    off always uses the built-in tables. Describe records the choice.
//	queue_prefix: "pgqtune_" (default)
//	    extension mode only: the scenario's queue q becomes pgmq queue
//	    <prefix>q, so a run never touches the target's own queues.
//	notify: false (default) | true
//	    NOTIFY pgqtune_<schema> with the queue name in the send's
//	    transaction (what pgmq 1.6's enable_notify_insert trigger does, on
//	    pgqtune's channel), so consumers can wait on LISTEN instead of
//	    polling (scenario wakeup: notify).
package pgmq

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/migrations"
	"github.com/pgqtune/pgqtune/sqlload"
)

// init registers the adapter under the name "pgmq".
func init() {
	sqlload.RegisterAdapter("pgmq", newPgmq)
	sqlload.DescribeAdapter("pgmq", "when you run pgmq: the real extension when installed (extension: auto), otherwise pgmq-shaped tables")
}

//go:embed sql/*.sql
var sqlFiles embed.FS

// loadSQL returns this adapter's sql/name.sql for schema (sqlload.LoadSQL).
func loadSQL(name, schema string) string { return sqlload.LoadSQL(sqlFiles, name, schema) }

// pgmqQueueName is what pgmq accepts as a queue name (it builds table names
// from it); 47 leaves room for the "q_"/"a_" prefixes and pgmq's own limit.
var pgmqQueueName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,46}$`)

type adapter struct {
	pool       *pgxpool.Pool
	dsn        string
	schema     string
	completion string
	vt         time.Duration
	extMode    string
	prefix     string
	queueNames []string
	channel    string // NOTIFY channel, "" when notify is off

	// Set by Setup: which backend runs, and the per-queue statements.
	mu         sync.RWMutex
	ext        bool
	extVersion string
	queues     map[string]*pgmqQueue

	// failedAt remembers, per message, the delivery (read_ct) that Fail
	// scheduled a retry for: the next read of that message is a retry, any
	// other re-read is a redelivery after an expired visibility timeout.
	// Entries live only while a retried message is in the queue.
	failedAt sync.Map // msg_id int64 -> pgmqRetry
}

// pgmqRetry is a failed delivery waiting for its backoff. pgmq's tables
// cannot tell a message hidden for a retry from one a reader holds (both
// have read_ct > 0 and vt in the future), so Stats counts retries from here.
type pgmqRetry struct {
	attempt int
	at      time.Time
}

// pgmqQueue is one queue's tables and statements; Job.Handle points to it.
type pgmqQueue struct {
	name  string // the scenario's queue name
	pgmq  string // the queue's name in pgmq (prefixed in extension mode)
	table string // quoted, schema-qualified q_ table
	arch  string // quoted, schema-qualified a_ table

	send, read, del, archive, setVT, stats, pending, lookup string
}

func newPgmq(_ context.Context, c *sqlload.Config) (sqlload.Adapter, error) {
	s := c.Settings
	if err := s.Check("completion", "visibility_timeout", "extension", "queue_prefix", "notify"); err != nil {
		return nil, err
	}
	completion, err := s.String("completion", "delete", "delete", "archive")
	if err != nil {
		return nil, err
	}
	vt, err := s.Duration("visibility_timeout", 30*time.Second)
	if err != nil {
		return nil, err
	}
	extMode, err := s.String("extension", "auto", "auto", "on", "off")
	if err != nil {
		return nil, err
	}
	prefix, err := s.String("queue_prefix", "pgqtune_")
	if err != nil {
		return nil, err
	}
	notify, err := s.Bool("notify", false)
	if err != nil {
		return nil, err
	}
	channel := ""
	if notify {
		channel = "pgqtune_" + c.Schema
	}
	queues := c.Queues
	if len(queues) == 0 {
		queues = []string{"default"}
	}
	for _, q := range queues {
		if !pgmqQueueName.MatchString(q) {
			return nil, fmt.Errorf("pgmq: queue name %q: want lower-case letters, digits and underscores (at most 47), as pgmq requires", q)
		}
		if extMode != "off" && !pgmqQueueName.MatchString(prefix+q) {
			return nil, &sqlload.SettingError{Key: "queue_prefix", Msg: fmt.Sprintf("%q + queue %q is not a valid pgmq queue name", prefix, q)}
		}
	}
	return &adapter{
		pool: c.Pool, dsn: c.DSN, schema: c.Schema, completion: completion,
		vt: vt, extMode: extMode, prefix: prefix, queueNames: queues, channel: channel,
	}, nil
}

// Setup picks the backend (see the extension setting) and creates the
// queues: the built-in tables through migrations/pgmq plus one table pair
// per extra queue, or pgmq.create in extension mode.
func (a *adapter) Setup(ctx context.Context) error {
	var version string
	err := sqlload.RetrySetup(ctx, func() (err error) { version, err = pgmqDetect(ctx, a); return err })
	if err != nil {
		return fmt.Errorf("pgmq: setup: %w", err)
	}
	ext := false
	switch a.extMode {
	case "on":
		if version == "" {
			return fmt.Errorf("pgmq: setup: extension: on, but the pgmq extension is not installed in this database (CREATE EXTENSION pgmq, or use extension: auto/off for the built-in tables)")
		}
		ext = true
	case "auto":
		ext = version != ""
	}
	queues := map[string]*pgmqQueue{}
	if ext {
		for _, name := range a.queueNames {
			q := a.extQueue(name)
			err := sqlload.RetrySetup(ctx, func() error {
				_, err := a.pool.Exec(ctx, `/* pgqtune pgmq create */ SELECT pgmq.create($1::text)`, q.pgmq)
				return err
			})
			if err != nil {
				return fmt.Errorf("pgmq: setup: pgmq.create(%s): %w", q.pgmq, err)
			}
			queues[name] = q
		}
	} else {
		if err := sqlload.RetrySetup(ctx, func() error { return migrations.Up(ctx, a.dsn, "pgmq", a.schema) }); err != nil {
			return fmt.Errorf("pgmq: setup: %w", err)
		}
		for _, name := range a.queueNames {
			q := a.builtinQueue(name)
			if name != "default" {
				sql := strings.ReplaceAll(q.expand(loadSQL("pgmq_add_queue", a.schema)), "{name}", quoteLiteral(name))
				err := sqlload.RetrySetup(ctx, func() error { _, err := a.pool.Exec(ctx, sql); return err })
				if err != nil {
					return fmt.Errorf("pgmq: setup: add queue %s: %w", name, err)
				}
			}
			queues[name] = q
		}
	}
	a.mu.Lock()
	a.ext, a.extVersion, a.queues = ext, version, queues
	a.mu.Unlock()
	return nil
}

// ExtensionVersion returns the installed version of the pgmq extension
// in the database pool is connected to, or "" when it is not installed.
func ExtensionVersion(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	var v string
	err := pool.QueryRow(ctx, `/* pgqtune pgmq detect */ SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pgmq'`).Scan(&v)
	if err == pgx.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("detect pgmq extension: %w", err)
	}
	return v, nil
}

// pgmqDetect is how Setup finds the extension; tests replace it to point
// extension mode at a stand-in (the extension is not installable there).
var pgmqDetect = func(ctx context.Context, a *adapter) (string, error) {
	return ExtensionVersion(ctx, a.pool)
}

func (a *adapter) builtinQueue(name string) *pgmqQueue {
	q := &pgmqQueue{
		name: name, pgmq: name,
		table: pgx.Identifier{a.schema, "q_" + name}.Sanitize(),
		arch:  pgx.Identifier{a.schema, "a_" + name}.Sanitize(),
	}
	load := func(f string) string { return q.expand(loadSQL(f, a.schema)) }
	q.send, q.read, q.del, q.archive = load("pgmq_send"), load("pgmq_read"), load("pgmq_delete"), load("pgmq_archive")
	q.setVT, q.stats, q.pending, q.lookup = load("pgmq_set_vt"), load("pgmq_stats"), load("pgmq_pending"), load("pgmq_lookup")
	return q
}

func (a *adapter) extQueue(name string) *pgmqQueue {
	q := &pgmqQueue{
		name: name, pgmq: a.prefix + name,
		table: pgx.Identifier{"pgmq", "q_" + a.prefix + name}.Sanitize(),
		arch:  pgx.Identifier{"pgmq", "a_" + a.prefix + name}.Sanitize(),
	}
	load := func(f string) string { return q.expand(loadSQL(f, "pgmq")) }
	q.send, q.read, q.del, q.archive = load("pgmq_ext_send"), load("pgmq_ext_read"), load("pgmq_ext_delete"), load("pgmq_ext_archive")
	q.setVT, q.stats, q.pending, q.lookup = load("pgmq_ext_set_vt"), load("pgmq_stats"), load("pgmq_pending"), load("pgmq_lookup")
	return q
}

func (q *pgmqQueue) expand(sql string) string {
	return strings.NewReplacer("{q}", q.table, "{a}", q.arch).Replace(sql)
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// queue returns the queue's statements; before Setup (or for a queue the
// scenario did not declare) it is an error, not a panic.
func (a *adapter) queue(name string) (*pgmqQueue, bool, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	q, ok := a.queues[name]
	if !ok {
		if a.queues == nil {
			return nil, false, fmt.Errorf("pgmq: queue %s: Setup has not run", name)
		}
		return nil, false, fmt.Errorf("pgmq: unknown queue %q (declared: %s)", name, strings.Join(a.queueNames, ", "))
	}
	return q, a.ext, nil
}

// Tables names the live and archive table of every queue.
func (a *adapter) Tables() []string {
	a.mu.RLock()
	ext := a.ext
	a.mu.RUnlock()
	var out []string
	for _, name := range a.queueNames {
		q := a.builtinQueue(name)
		if ext {
			q = a.extQueue(name)
		}
		out = append(out, q.table, q.arch)
	}
	return out
}

// Channel is the LISTEN channel consumers wait on (notify: true), or "".
func (a *adapter) Channel() string { return a.channel }

// Describe records the effective settings, including which backend ran.
func (a *adapter) Describe() map[string]any {
	a.mu.RLock()
	defer a.mu.RUnlock()
	d := map[string]any{
		"completion":           a.completion,
		"visibility_timeout_s": a.vt.Seconds(),
		"extension":            a.extMode,
		"backend":              "builtin",
		"insert":               string(sqlload.InsertMultiRow),
		"priorities":           "ignored (pgmq has none)",
		"notify":               a.channel != "",
	}
	if a.ext {
		d["backend"] = "extension " + a.extVersion
		d["queue_prefix"] = a.prefix
	}
	return d
}

// Enqueue sends a batch: pgmq.send_batch's statement (or the function
// itself in extension mode). Methods single and copy are the built-in
// tables' only; the extension offers neither.
func (a *adapter) Enqueue(ctx context.Context, p *sqlload.EnqueueParams) error {
	if len(p.Jobs) == 0 {
		return nil
	}
	byQueue := map[string][]sqlload.NewJob{}
	for _, j := range p.Jobs {
		byQueue[j.Queue] = append(byQueue[j.Queue], j)
	}
	for _, jobs := range byQueue {
		slices.SortStableFunc(jobs, func(x, y sqlload.NewJob) int { return cmp.Compare(x.Priority, y.Priority) })
	}
	method := p.Method
	if method == sqlload.InsertDefault {
		method = sqlload.InsertMultiRow
	}
	if method == sqlload.InsertCopy {
		// COPY needs an explicit transaction to cover several queues.
		err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
			for name, jobs := range byQueue {
				q, ext, err := a.queue(name)
				if err != nil {
					return err
				}
				if ext {
					return fmt.Errorf("insert method %q with the pgmq extension: %w", method, sqlload.ErrUnsupported)
				}
				if err := a.sendCopy(ctx, tx, q, jobs); err != nil {
					return err
				}
				if a.channel != "" {
					if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, a.channel, name); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("pgmq: send %d messages (%s): %w", len(p.Jobs), method, err)
		}
		return nil
	}
	// Every other method is one pipelined batch: one round trip, and one
	// implicit transaction (the extended protocol commits at the batch's
	// single Sync), so the whole send is all or none across queues.
	b := &pgx.Batch{}
	for name, jobs := range byQueue {
		q, ext, err := a.queue(name)
		if err != nil {
			return err
		}
		switch {
		case ext && method == sqlload.InsertMultiRow:
			a.sendExt(b, q, jobs)
		case method == sqlload.InsertMultiRow:
			a.sendMultiRow(b, q, jobs)
		case method == sqlload.InsertSingle && !ext:
			a.sendSingle(b, q, jobs)
		default:
			return fmt.Errorf("pgmq: send (%s, extension %v): %w", method, ext, sqlload.ErrUnsupported)
		}
	}
	// Postgres delivers the notifications at commit: a listener never
	// wakes before the messages are visible.
	for name := range byQueue {
		if a.channel != "" {
			b.Queue(`SELECT pg_notify($1, $2)`, a.channel, name)
		}
	}
	if err := a.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("pgmq: send %d messages (%s): %w", len(p.Jobs), method, err)
	}
	return nil
}

// delaySeconds is how long after now the job becomes readable (0 for
// immediate jobs and for run_at times already past).
func delaySeconds(j *sqlload.NewJob, now time.Time) float64 {
	if j.RunAt.IsZero() {
		return 0
	}
	return max(j.RunAt.Sub(now).Seconds(), 0)
}

func (a *adapter) sendMultiRow(b *pgx.Batch, q *pgmqQueue, jobs []sqlload.NewJob) {
	now := time.Now()
	msgs := make([]string, len(jobs))
	delays := make([]float64, len(jobs))
	for i := range jobs {
		msgs[i] = string(sqlload.EncodePayload(&jobs[i]))
		delays[i] = delaySeconds(&jobs[i], now)
	}
	b.Queue(q.send, msgs, delays)
}

func (a *adapter) sendSingle(b *pgx.Batch, q *pgmqQueue, jobs []sqlload.NewJob) {
	now := time.Now()
	sql := `/* pgqtune pgmq send single */ INSERT INTO ` + q.table + ` (vt, message) VALUES (clock_timestamp() + make_interval(secs => $1::float8), $2::jsonb)`
	for i := range jobs {
		b.Queue(sql, delaySeconds(&jobs[i], now), string(sqlload.EncodePayload(&jobs[i])))
	}
}

// sendCopy uses COPY, which cannot evaluate clock_timestamp(): vt comes from
// the client's clock here, the one place it does.
func (a *adapter) sendCopy(ctx context.Context, tx pgx.Tx, q *pgmqQueue, jobs []sqlload.NewJob) error {
	now := time.Now()
	schema, table := a.schema, "q_"+q.name
	_, err := tx.CopyFrom(ctx, pgx.Identifier{schema, table}, []string{"vt", "message"},
		pgx.CopyFromSlice(len(jobs), func(i int) ([]any, error) {
			vt := now
			if j := &jobs[i]; j.RunAt.After(now) {
				vt = j.RunAt
			}
			return []any{vt, string(sqlload.EncodePayload(&jobs[i]))}, nil
		}))
	return err
}

// sendExt groups the batch by delay, since pgmq.send_batch takes one delay
// (whole seconds, rounded up so no message becomes visible early).
func (a *adapter) sendExt(b *pgx.Batch, q *pgmqQueue, jobs []sqlload.NewJob) {
	now := time.Now()
	byDelay := map[int32][]string{}
	for i := range jobs {
		j := &jobs[i]
		d := int32(math.Ceil(delaySeconds(j, now)))
		msg := sqlload.EncodePayload(j)
		if d > 0 {
			// pgmq.read will not say when a delayed message became
			// readable: carry it in the message (see pgmq_ext_read.sql).
			msg = append(strconv.AppendInt(append(msg[:len(msg)-1], `,"r":`...), now.Add(time.Duration(d)*time.Second).UnixMicro(), 10), '}')
		}
		byDelay[d] = append(byDelay[d], string(msg))
	}
	for d, msgs := range byDelay {
		b.Queue(q.send, q.pgmq, msgs, d)
	}
}

// Dequeue is pgmq.read: up to p.Limit visible messages, hidden for the
// visibility timeout.
func (a *adapter) Dequeue(ctx context.Context, p *sqlload.DequeueParams) ([]*sqlload.Job, error) {
	q, ext, err := a.queue(p.Queue)
	if err != nil {
		return nil, err
	}
	var rows pgx.Rows
	if ext {
		rows, err = a.pool.Query(ctx, q.read, q.pgmq, int32(math.Ceil(a.vt.Seconds())), p.Limit)
	} else {
		rows, err = a.pool.Query(ctx, q.read, p.Limit, a.vt.Seconds())
	}
	if err != nil {
		return nil, fmt.Errorf("pgmq: read from %s: %w", q.pgmq, err)
	}
	now := time.Now()
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*sqlload.Job, error) {
		j := &sqlload.Job{Queue: p.Queue, Handle: q}
		var t, runAt int64
		dest := []any{&j.ID, &j.Seq, &t, &j.Attempt, &j.ReadyAt}
		if ext {
			dest = append(dest, &runAt)
		}
		if err := r.Scan(dest...); err != nil {
			return nil, err
		}
		j.IntendedAt = time.UnixMicro(t)
		var retry pgmqRetry
		if j.Attempt > 1 {
			prev, retried := a.failedAt.LoadAndDelete(j.ID)
			if retried {
				retry = prev.(pgmqRetry)
			}
			j.Redelivered = !retried || retry.attempt != j.Attempt-1
		}
		if ext {
			// ReadyAt is enqueued_at here; refine it with what is known.
			switch {
			case j.Attempt == 1 && runAt > 0:
				j.ReadyAt = time.UnixMicro(runAt)
			case j.Attempt > 1 && !j.Redelivered:
				j.ReadyAt = retry.at
			case j.Redelivered:
				// When the timeout expired is not recorded: count no wait.
				j.ReadyAt = now
			}
		}
		return j, nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgmq: read from %s: %w", q.pgmq, err)
	}
	return jobs, nil
}

// byHandle groups jobs by queue, keeping Dequeue's order within each.
func pgmqByQueue(jobs []*sqlload.Job) (map[*pgmqQueue][]*sqlload.Job, error) {
	out := map[*pgmqQueue][]*sqlload.Job{}
	for _, j := range jobs {
		q, ok := j.Handle.(*pgmqQueue)
		if !ok {
			return nil, fmt.Errorf("pgmq: job %d (seq %d) was not read by the pgmq adapter", j.ID, j.Seq)
		}
		out[q] = append(out[q], j)
	}
	return out, nil
}

// Complete deletes or archives the messages (pgmq.delete / pgmq.archive).
func (a *adapter) Complete(ctx context.Context, p *sqlload.CompleteParams) error {
	if err := a.finish(ctx, p.Jobs, a.completion == "archive", nil); err != nil {
		return fmt.Errorf("pgmq: complete %d messages (%s): %w", len(p.Jobs), a.completion, err)
	}
	return nil
}

func (a *adapter) finish(ctx context.Context, jobs []*sqlload.Job, archive bool, failure *string) error {
	groups, err := pgmqByQueue(jobs)
	if err != nil {
		return err
	}
	for q, js := range groups {
		_, ext, err := a.queue(q.name)
		if err != nil {
			return err
		}
		switch {
		case ext && archive:
			_, err = a.pool.Exec(ctx, q.archive, q.pgmq, sqlload.JobIDs(js))
		case ext:
			_, err = a.pool.Exec(ctx, q.del, q.pgmq, sqlload.JobIDs(js))
		case archive:
			_, err = a.pool.Exec(ctx, q.archive, sqlload.JobIDs(js), failure)
		default:
			_, err = a.pool.Exec(ctx, q.del, sqlload.JobIDs(js))
		}
		if err != nil {
			return err
		}
		for _, j := range js {
			a.failedAt.Delete(j.ID)
		}
	}
	return nil
}

// Fail makes the messages readable again at p.RetryAt (pgmq.set_vt), or
// archives them as dead letters when p.RetryAt is zero.
func (a *adapter) Fail(ctx context.Context, p *sqlload.FailParams) error {
	if len(p.Jobs) == 0 {
		return nil
	}
	if p.RetryAt.IsZero() {
		msg := p.Error
		if err := a.finish(ctx, p.Jobs, true, &msg); err != nil {
			return fmt.Errorf("pgmq: fail %d messages for good (archive): %w", len(p.Jobs), err)
		}
		return nil
	}
	groups, err := pgmqByQueue(p.Jobs)
	if err != nil {
		return err
	}
	for q, js := range groups {
		_, ext, err := a.queue(q.name)
		if err != nil {
			return err
		}
		atts := make([]int32, len(js))
		for i, j := range js {
			atts[i] = int32(j.Attempt)
			// Before the UPDATE: once it commits another reader may take the
			// message at once, and must see it as a retry.
			a.failedAt.Store(j.ID, pgmqRetry{attempt: j.Attempt, at: p.RetryAt})
		}
		if ext {
			secs := int32(math.Ceil(max(time.Until(p.RetryAt).Seconds(), 0)))
			_, err = a.pool.Exec(ctx, q.setVT, q.pgmq, sqlload.JobIDs(js), atts, secs)
		} else {
			_, err = a.pool.Exec(ctx, q.setVT, sqlload.JobIDs(js), atts, p.RetryAt)
		}
		if err != nil {
			return fmt.Errorf("pgmq: fail %d messages (set_vt): %w", len(js), err)
		}
	}
	return nil
}

// Stats is pgmq.metrics' view, summed over the queues.
func (a *adapter) Stats(ctx context.Context) (sqlload.QueueStats, error) {
	var total sqlload.QueueStats
	for _, name := range a.queueNames {
		q, _, err := a.queue(name)
		if err != nil {
			return total, err
		}
		var s sqlload.QueueStats
		var age float64
		if err := a.pool.QueryRow(ctx, q.stats).Scan(&s.Depth, &s.Scheduled, &s.InFlight, &age); err != nil {
			return total, fmt.Errorf("pgmq: stats of %s: %w", q.pgmq, err)
		}
		total.Depth += s.Depth
		total.Scheduled += s.Scheduled
		total.InFlight += s.InFlight
		total.OldestPendingAge = max(total.OldestPendingAge, time.Duration(age*float64(time.Second)))
	}
	// Retries still in backoff were counted as in flight: move them.
	now := time.Now()
	a.failedAt.Range(func(_, v any) bool {
		if r := v.(pgmqRetry); r.at.After(now) && total.InFlight > 0 {
			total.InFlight--
			total.Scheduled++
		}
		return true
	})
	return total, nil
}

// Pending lists the Seq of every message still in a queue table: waiting,
// delayed, in flight or waiting for a retry.
func (a *adapter) Pending(ctx context.Context) ([]int64, error) {
	var out []int64
	for _, name := range a.queueNames {
		q, _, err := a.queue(name)
		if err != nil {
			return nil, err
		}
		seqs, err := sqlload.CollectInt64s(ctx, a.pool, "pgmq: pending in "+q.pgmq, q.pending)
		if err != nil {
			return nil, err
		}
		out = append(out, seqs...)
	}
	return out, nil
}

// Lookup returns which of seqs exist in a queue or its archive. Messages
// already deleted on completion cannot be found: pgmq keeps no trace of them.
func (a *adapter) Lookup(ctx context.Context, seqs []int64) ([]int64, error) {
	var out []int64
	for _, name := range a.queueNames {
		q, _, err := a.queue(name)
		if err != nil {
			return nil, err
		}
		found, err := sqlload.CollectInt64s(ctx, a.pool, "pgmq: lookup in "+q.pgmq, q.lookup, seqs)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// Close has nothing to release: the pool is the driver's.
func (a *adapter) Close(context.Context) error { return nil }
