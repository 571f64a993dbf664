package sqlload

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Pressure kinds: the standard ways a database gets in a queue's way.
const (
	// PressureHoldXmin: one session idles in a REPEATABLE READ transaction
	// holding an xid and a snapshot, so vacuum cannot remove dead jobs.
	PressureHoldXmin = "hold_xmin"
	// PressureReaders: N sessions run long REPEATABLE READ readers over
	// the queue table (an analytics query, a pg_dump).
	PressureReaders = "readers"
	// PressureLockTable: one session holds ACCESS EXCLUSIVE on the queue
	// table (a careless ALTER TABLE or a manual LOCK).
	PressureLockTable = "lock_table"
	// PressureCheckpoints: CHECKPOINT in a loop (every interval): full-page
	// images inflate WAL and I/O.
	PressureCheckpoints = "checkpoints"
	// PressureCPUHog: N sessions run CPU-bound queries.
	PressureCPUHog = "cpu_hog"
)

// PressureKinds lists the pressure kinds.
var PressureKinds = []string{PressureHoldXmin, PressureReaders, PressureLockTable, PressureCheckpoints, PressureCPUHog}

// PressureAppName is the application_name of pressure sessions, so the
// sampler (and a DBA) can tell them from the workload.
const PressureAppName = "pgqtune-pressure"

// Pressure is a standard load put on the database beside the workload.
type Pressure struct {
	Kind string `yaml:"kind"`
	// Sessions for readers and cpu_hog (default 2).
	Sessions int `yaml:"sessions,omitempty"`
	// Interval between checkpoints (default 1s).
	Interval Duration `yaml:"interval,omitempty"`
	// Table for lock_table and readers, schema-qualified and quoted as
	// needed (default: the adapter's first queue table).
	Table string `yaml:"table,omitempty"`
}

// StartPressure starts p against dsn and returns once it is in effect (the
// lock is held, the snapshot taken, the sessions started). stop ends it,
// releasing locks and snapshots, and returns the first error the pressure's
// sessions hit (nil when they only stopped). Cancelling ctx stops it too.
// p.Table defaults to schema's "job" table (the skiplocked adapter's).
func StartPressure(ctx context.Context, dsn, schema string, p Pressure) (stop func() error, err error) {
	table := p.Table
	if table == "" {
		table = QualifiedName(schema, "job")
	}
	sessions := max(p.Sessions, 1)
	if p.Sessions == 0 && (p.Kind == PressureReaders || p.Kind == PressureCPUHog) {
		sessions = 2
	}
	interval := p.Interval.D()
	if interval <= 0 {
		interval = time.Second
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlload: pressure %s: parse DSN: %w", p.Kind, err)
	}
	cfg.RuntimeParams["application_name"] = PressureAppName + ":" + p.Kind

	pctx, cancel := context.WithCancel(ctx)
	ps := &pressureRun{cancel: cancel}
	connect := func() (*pgx.Conn, error) {
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("sqlload: pressure %s: connect: %w", p.Kind, err)
		}
		return c, nil
	}
	var ready []chan error
	start := func(body func(ctx context.Context, c *pgx.Conn, ready chan<- error) error) error {
		c, err := connect()
		if err != nil {
			return err
		}
		r := make(chan error, 1)
		ready = append(ready, r)
		ps.wg.Add(1)
		go func() {
			defer ps.wg.Done()
			defer c.Close(context.Background())
			err := body(pctx, c, r)
			if err != nil && pctx.Err() == nil {
				ps.setErr(fmt.Errorf("sqlload: pressure %s: %w", p.Kind, err))
			}
			select {
			case r <- err:
			default:
			}
		}()
		return nil
	}
	switch p.Kind {
	case PressureHoldXmin:
		err = start(holdXmin)
	case PressureLockTable:
		err = start(func(ctx context.Context, c *pgx.Conn, ready chan<- error) error {
			return lockTable(ctx, c, table, ready)
		})
	case PressureReaders:
		for i := 0; i < sessions && err == nil; i++ {
			err = start(func(ctx context.Context, c *pgx.Conn, ready chan<- error) error { return reader(ctx, c, table, ready) })
		}
	case PressureCheckpoints:
		err = start(func(ctx context.Context, c *pgx.Conn, ready chan<- error) error {
			return checkpoints(ctx, c, interval, ready)
		})
	case PressureCPUHog:
		for i := 0; i < sessions && err == nil; i++ {
			err = start(cpuHog)
		}
	default:
		err = fmt.Errorf("sqlload: unknown pressure %q", p.Kind)
	}
	if err == nil {
		for _, r := range ready {
			if err != nil {
				break
			}
			select {
			case err = <-r:
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
	}
	if err != nil {
		_ = ps.stop()
		return nil, err
	}
	return ps.stop, nil
}

// pressureRun is a running pressure.
type pressureRun struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
}

func (p *pressureRun) setErr(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

func (p *pressureRun) stop() error {
	p.cancel()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// holdXmin takes an xid and a snapshot and idles in the transaction: the
// classic forgotten BEGIN in a psql window.
func holdXmin(ctx context.Context, c *pgx.Conn, ready chan<- error) error {
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `/* pgqtune pressure hold_xmin */ SELECT txid_current()`); err != nil {
		return err
	}
	ready <- nil
	<-ctx.Done()
	return tx.Rollback(context.Background())
}

// lockTable holds ACCESS EXCLUSIVE on table until stopped.
func lockTable(ctx context.Context, c *pgx.Conn, table string, ready chan<- error) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `/* pgqtune pressure lock_table */ LOCK TABLE `+table+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		return err
	}
	ready <- nil
	<-ctx.Done()
	return tx.Rollback(context.Background())
}

// reader scans table again and again inside one REPEATABLE READ
// transaction, so its snapshot (and xmin) stays old all along.
func reader(ctx context.Context, c *pgx.Conn, table string, ready chan<- error) error {
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	q := `/* pgqtune pressure readers */ SELECT count(*), sum(pg_column_size(t.*)) FROM ` + table + " AS t"
	for first := true; ; first = false {
		if _, err := tx.Exec(ctx, q); err != nil {
			return ignoreCancel(ctx, err)
		}
		if first {
			ready <- nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// checkpoints forces a checkpoint every interval.
func checkpoints(ctx context.Context, c *pgx.Conn, interval time.Duration, ready chan<- error) error {
	for first := true; ; first = false {
		if _, err := c.Exec(ctx, `/* pgqtune pressure checkpoints */ CHECKPOINT`); err != nil {
			return ignoreCancel(ctx, err)
		}
		if first {
			ready <- nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// cpuHog keeps one backend busy on pure computation until stopped (pgx
// cancels the running query when ctx ends).
func cpuHog(ctx context.Context, c *pgx.Conn, ready chan<- error) error {
	ready <- nil
	for ctx.Err() == nil {
		_, err := c.Exec(ctx, `/* pgqtune pressure cpu_hog */ SELECT sum(sqrt(i::float8)) FROM generate_series(1, 20000000) AS i`)
		if err != nil {
			return ignoreCancel(ctx, err)
		}
	}
	return nil
}

func ignoreCancel(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
