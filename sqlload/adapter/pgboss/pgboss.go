// Package pgboss is the pgboss queue adapter (sqlload.RegisterAdapter
// name "pgboss"): it drives an existing pg-boss v10 schema (schema version
// 24) with statements of pg-boss's own shapes: sends through the
// partitioned job table, pg-boss's fetch CTE, completion by id list, and
// retry/fail by state. pgqtune never writes pg-boss DDL: when the schema or
// a queue is missing, Setup runs pg-boss 10.4.2 itself (Node, npm, cached
// install) to migrate and create the queues. Use it when you run pg-boss;
// use skiplocked for a home-grown job table.
//
// Settings:
//
//	schema: pgboss (default)
//	    pg-boss's schema on the target.
package pgboss

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/sqlload"
	"github.com/pgqtune/pgqtune/sqlload/nodepkg"
)

// init registers the adapter under the name "pgboss".
func init() {
	sqlload.RegisterAdapter("pgboss", newPgBoss)
	sqlload.DescribeAdapter("pgboss", "when you run pg-boss v10: its own schema, send/fetch/complete, partitions and queue foreign key (throwaway cluster: needs Node, npm)")
}

//go:embed sql/*.sql
var sqlFiles embed.FS

// loadSQL returns this adapter's sql/name.sql for schema (sqlload.LoadSQL).
func loadSQL(name, schema string) string { return sqlload.LoadSQL(sqlFiles, name, schema) }

// pgbossSchemaVersion is the pgboss.version of pg-boss 10.x.
const pgbossSchemaVersion = 24

// pgbossRelease is the pg-boss release Setup installs.
const pgbossRelease = "10.4.2"

//go:embed pgbossjs/package.json pgbossjs/package-lock.json pgbossjs/setup.js
var pgbossJS embed.FS

type adapter struct {
	pool   *pgxpool.Pool
	dsn    string
	schema string
	queues []string
	maxAtt int

	send, fetch, complete, fail, pending, stats, lookup string
}

func newPgBoss(_ context.Context, c *sqlload.Config) (sqlload.Adapter, error) {
	s := c.Settings
	if err := s.Check("schema"); err != nil {
		return nil, err
	}
	schema, err := s.String("schema", "pgboss")
	if err != nil {
		return nil, err
	}
	a := &adapter{pool: c.Pool, dsn: c.DSN, schema: schema, queues: c.Queues, maxAtt: max(c.MaxAttempts, 1)}
	a.send = loadSQL("pgboss_send", schema)
	a.fetch = loadSQL("pgboss_fetch", schema)
	a.complete = loadSQL("pgboss_complete", schema)
	a.fail = loadSQL("pgboss_fail", schema)
	a.pending = loadSQL("pgboss_pending", schema)
	a.stats = loadSQL("pgboss_stats", schema)
	a.lookup = loadSQL("pgboss_lookup", schema)
	return a, nil
}

// Setup checks the schema version and the queues, and has pg-boss itself
// create whatever is missing.
func (a *adapter) Setup(ctx context.Context) error {
	ok, err := a.ready(ctx)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	if err := Install(ctx, a.dsn, a.schema, a.queues); err != nil {
		return err
	}
	if ok, err = a.ready(ctx); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("pgboss: setup: pg-boss ran but schema %s still lacks a queue of %v", a.schema, a.queues)
	}
	return nil
}

// ready reports whether the schema is a supported pg-boss one holding every
// queue; an unsupported version is an error.
func (a *adapter) ready(ctx context.Context) (bool, error) {
	var v *int
	err := a.pool.QueryRow(ctx, `SELECT CASE WHEN to_regclass($1) IS NULL THEN NULL ELSE 0 END`, a.schema+".version").Scan(&v)
	if err != nil {
		return false, fmt.Errorf("pgboss: setup: look for %s.version: %w", a.schema, err)
	}
	if v == nil {
		return false, nil
	}
	var ver int
	if err := a.pool.QueryRow(ctx, `SELECT version FROM `+pgx.Identifier{a.schema, "version"}.Sanitize()).Scan(&ver); err != nil {
		return false, fmt.Errorf("pgboss: setup: read %s.version: %w", a.schema, err)
	}
	if ver != pgbossSchemaVersion {
		return false, unsupportedPgBoss(a.schema, ver)
	}
	var n int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{a.schema, "queue"}.Sanitize()+` WHERE name = ANY($1)`, a.queues).Scan(&n); err != nil {
		return false, fmt.Errorf("pgboss: setup: read queues: %w", err)
	}
	return n == len(a.queues), nil
}

// unsupportedPgBoss says what a schema of another pg-boss major gets: the
// adapter does not drive it (its statements are v10's, and a v11+ schema
// keeps queues in one shared job_common table with other indexes), but
// observe watches it and validate --apply-to-target re-runs the observed
// workload.
func unsupportedPgBoss(schema string, ver int) error {
	if ver > pgbossSchemaVersion {
		return fmt.Errorf("pgboss: schema %s is at version %d, a pg-boss v11 or later schema (queues share one job_common table unless given their own partition): --adapter pgboss drives pg-boss v10 schemas (version %d) only and leaves this one untouched. "+
			"For this schema use 'pgqtune observe --dsn DSN -- YOUR_PGBOSS_WORKLOAD' (read-only) and prove its recommendations with 'pgqtune validate RUN_DIR --dsn DSN --apply-to-target'; "+
			"to drive pg-boss v10, name another schema (adapter_settings: {schema: NAME}) or run without --dsn on a throwaway cluster where pg-boss %s creates its own", schema, ver, pgbossSchemaVersion, pgbossRelease)
	}
	return fmt.Errorf("pgboss: schema %s is at version %d, older than pg-boss v10 (version %d): --adapter pgboss drives v10 schemas only and leaves this one untouched; upgrade pg-boss, or use 'pgqtune observe' on it", schema, ver, pgbossSchemaVersion)
}

// Install has pg-boss 10.4.2 migrate schema on dsn and create the
// queues, installing it with npm into the user cache once. Without Node or
// npm it returns an error whose message is one line naming what is missing.
func Install(ctx context.Context, dsn, schema string, queues []string) error {
	dir, err := Dir(ctx)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(dir, "setup.js"), schema}, queues...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PGQTUNE_DSN="+dsn)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgboss: setup: pg-boss %s start/createQueue: %w: %s", pgbossRelease, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Dir returns the cached pg-boss install (node_modules, setup.js),
// making it when missing.
func Dir(ctx context.Context) (string, error) {
	files, err := fs.Sub(pgbossJS, "pgbossjs")
	if err != nil {
		return "", fmt.Errorf("pgboss: embedded files: %w", err)
	}
	dir, err := nodepkg.Install(ctx, nodepkg.Package{Name: "pgboss-" + pgbossRelease, Files: files, Marker: "node_modules/pg-boss/package.json"})
	if nodepkg.IsMissingTool(err) {
		return "", fmt.Errorf("pgboss: %w; or create pg-boss %s's schema and queues yourself and pass --dsn", err, pgbossRelease)
	}
	if err != nil {
		return "", fmt.Errorf("pgboss: install pg-boss %s: %w", pgbossRelease, err)
	}
	return dir, nil
}

// Tables names the parent job table and each queue's partition (pg-boss
// names it 'j' || sha224(queue)).
func (a *adapter) Tables() []string {
	out := []string{sqlload.QualifiedName(a.schema, "job")}
	for _, q := range a.queues {
		h := sha256.Sum224([]byte(q))
		out = append(out, sqlload.QualifiedName(a.schema, "j"+hex.EncodeToString(h[:])))
	}
	return out
}

// Describe records the adapter's settings.
func (a *adapter) Describe() map[string]any {
	return map[string]any{"library": "pg-boss " + pgbossRelease + " schema (version 24)", "schema": a.schema, "completion": "update (state completed)"}
}

func (a *adapter) Enqueue(ctx context.Context, p *sqlload.EnqueueParams) error {
	if len(p.Jobs) == 0 {
		return nil
	}
	if p.Method != sqlload.InsertDefault && p.Method != sqlload.InsertMultiRow {
		return fmt.Errorf("pgboss: send %d jobs: insert method %q: %w", len(p.Jobs), p.Method, sqlload.ErrUnsupported)
	}
	n := len(p.Jobs)
	names, data, prios, runAt := make([]string, n), make([]string, n), make([]int32, n), make([]*time.Time, n)
	for i := range p.Jobs {
		j := &p.Jobs[i]
		// pg-boss runs higher priority first; the driver's lower first.
		names[i], data[i], prios[i] = j.Queue, string(sqlload.EncodePayload(j)), -int32(j.Priority)
		if !j.RunAt.IsZero() {
			runAt[i] = &j.RunAt
		}
	}
	if _, err := a.pool.Exec(ctx, a.send, names, data, prios, runAt, a.maxAtt-1); err != nil {
		return fmt.Errorf("pgboss: send %d jobs: %w", n, err)
	}
	return nil
}

// pgbossHandle is a claimed job's pg-boss key.
type pgbossHandle struct {
	id         string
	retryCount int32
}

func (a *adapter) Dequeue(ctx context.Context, p *sqlload.DequeueParams) ([]*sqlload.Job, error) {
	rows, err := a.pool.Query(ctx, a.fetch, p.Queue, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("pgboss: fetch from %s: %w", p.Queue, err)
	}
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*sqlload.Job, error) {
		j := &sqlload.Job{Queue: p.Queue}
		var h pgbossHandle
		var t int64
		if err := r.Scan(&h.id, &j.Seq, &t, &h.retryCount, &j.ReadyAt); err != nil {
			return nil, err
		}
		j.IntendedAt, j.Attempt, j.Handle = time.UnixMicro(t), int(h.retryCount)+1, h
		return j, nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgboss: fetch from %s: %w", p.Queue, err)
	}
	return jobs, nil
}

// byQueue groups jobs by queue: pg-boss's statements name the queue so the
// planner prunes to its partition.
func byQueue(jobs []*sqlload.Job) (map[string][]string, map[string][]int32, error) {
	ids, rcs := map[string][]string{}, map[string][]int32{}
	for _, j := range jobs {
		h, ok := j.Handle.(pgbossHandle)
		if !ok {
			return nil, nil, errors.New("job was not fetched by the pgboss adapter")
		}
		ids[j.Queue] = append(ids[j.Queue], h.id)
		rcs[j.Queue] = append(rcs[j.Queue], h.retryCount)
	}
	return ids, rcs, nil
}

func (a *adapter) Complete(ctx context.Context, p *sqlload.CompleteParams) error {
	ids, _, err := byQueue(p.Jobs)
	if err == nil {
		b := &pgx.Batch{}
		for q, is := range ids {
			b.Queue(a.complete, q, is)
		}
		err = a.pool.SendBatch(ctx, b).Close()
	}
	if err != nil {
		return fmt.Errorf("pgboss: complete %d jobs: %w", len(p.Jobs), err)
	}
	return nil
}

func (a *adapter) Fail(ctx context.Context, p *sqlload.FailParams) error {
	var retryAt *time.Time
	if !p.RetryAt.IsZero() {
		retryAt = &p.RetryAt
	}
	ids, rcs, err := byQueue(p.Jobs)
	if err == nil {
		b := &pgx.Batch{}
		for q, is := range ids {
			b.Queue(a.fail, q, is, rcs[q], retryAt, p.Error)
		}
		err = a.pool.SendBatch(ctx, b).Close()
	}
	if err != nil {
		return fmt.Errorf("pgboss: fail %d jobs: %w", len(p.Jobs), err)
	}
	return nil
}

func (a *adapter) Stats(ctx context.Context) (sqlload.QueueStats, error) {
	var s sqlload.QueueStats
	var age float64
	if err := a.pool.QueryRow(ctx, a.stats, a.queues).Scan(&s.Depth, &s.Scheduled, &s.InFlight, &age); err != nil {
		return s, fmt.Errorf("pgboss: stats: %w", err)
	}
	s.OldestPendingAge = time.Duration(age * float64(time.Second))
	return s, nil
}

func (a *adapter) Pending(ctx context.Context) ([]int64, error) {
	return sqlload.CollectInt64s(ctx, a.pool, "pgboss: pending", a.pending, a.queues)
}

// Lookup returns which of seqs exist in the run's queues in any state.
func (a *adapter) Lookup(ctx context.Context, seqs []int64) ([]int64, error) {
	return sqlload.CollectInt64s(ctx, a.pool, "pgboss: lookup", a.lookup, a.queues, seqs)
}

func (a *adapter) Close(context.Context) error { return nil }
