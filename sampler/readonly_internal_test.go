package sampler

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgqtune/pgqtune/internal/pgtest"
)

// TestReadOnlySession proves that a ReadOnly sampler's session cannot
// write: observe mode must never change the target.
func TestReadOnlySession(t *testing.T) {
	dsn := pgtest.NewDB(t)
	ctx := context.Background()
	if _, err := pgtest.Pool(t, dsn).Exec(ctx, `CREATE TABLE jobs (id int); CREATE SEQUENCE x`); err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, Config{DSN: dsn, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, sql := range []string{`INSERT INTO jobs VALUES (1)`, `DELETE FROM jobs`, `CREATE TABLE must_not_exist (id int)`, `SELECT nextval('x')`, `CREATE TEMP TABLE t (id int)`} {
		_, err = s.env.conn.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
			t.Errorf("%s through the sampler's session: err = %v, want read_only_sql_transaction (25006)", sql, err)
		}
	}
	var app string
	if err := s.env.conn.QueryRow(ctx, `SHOW application_name`).Scan(&app); err != nil || app != ApplicationName {
		t.Errorf("application_name = %q, %v", app, err)
	}

	rw, err := New(ctx, Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if _, err := rw.env.conn.Exec(ctx, `CREATE TEMP TABLE t (id int)`); err != nil {
		t.Errorf("without ReadOnly the same write works: %v", err)
	}
}

// TestConnectThenSet covers the pooler fallback: the session settings are
// applied after connecting and read-only still holds.
func TestConnectThenSet(t *testing.T) {
	dsn := pgtest.NewDB(t)
	ctx := context.Background()
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pc.RuntimeParams["application_name"] = ApplicationName
	pc.RuntimeParams["default_transaction_read_only"] = "on"
	pc.RuntimeParams["lock_timeout"] = "200"
	conn, err := connectThenSet(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ro, lt string
	if err := conn.QueryRow(ctx, `SELECT current_setting('default_transaction_read_only'), current_setting('lock_timeout')`).Scan(&ro, &lt); err != nil {
		t.Fatal(err)
	}
	if ro != "on" || lt != "200ms" {
		t.Errorf("read-only %q, lock_timeout %q", ro, lt)
	}
	_, err = conn.Exec(ctx, `CREATE TABLE x (id int)`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Errorf("write: %v, want 25006", err)
	}
}
