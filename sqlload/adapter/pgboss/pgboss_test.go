package pgboss_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/internal/adaptertest"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/sqlload"
	"github.com/pgqtune/pgqtune/sqlload/adapter/pgboss"
)

func TestPgBoss(t *testing.T) {
	if _, err := pgboss.Dir(context.Background()); err != nil {
		t.Skip(err)
	}
	adaptertest.Run(t, "pgboss")
}

// TestPgBossOtherMajor: a pg-boss v11+ schema (version 25 and up, with the
// shared job_common table) or a pre-v10 one is refused with a message
// saying what it gets instead, and nothing is written to it.
func TestPgBossOtherMajor(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDB(t)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, sql := range []string{
		`CREATE SCHEMA boss11`, `CREATE TABLE boss11.version (version int)`, `INSERT INTO boss11.version VALUES (26)`,
		`CREATE TABLE boss11.job_common (id uuid)`,
		`CREATE SCHEMA boss9`, `CREATE TABLE boss9.version (version int)`, `INSERT INTO boss9.version VALUES (20)`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	f, err := sqlload.LookupAdapter("pgboss")
	if err != nil {
		t.Fatal(err)
	}
	for schema, want := range map[string][]string{
		"boss11": {"version 26", "v11 or later", "job_common", "pgqtune observe", "validate", "v10"},
		"boss9":  {"version 20", "older than pg-boss v10", "observe"},
	} {
		a, err := f(ctx, &sqlload.Config{Pool: pool, DSN: dsn, Schema: schema, Queues: []string{"q"}, MaxAttempts: 1,
			Settings: sqlload.Settings{"schema": schema}})
		if err != nil {
			t.Fatal(err)
		}
		err = a.Setup(ctx)
		if err == nil {
			t.Fatalf("%s: Setup accepted an unsupported pg-boss schema", schema)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", schema, err, w)
			}
		}
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`, schema).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (schema == "boss11" && n != 2) || (schema == "boss9" && n != 1) {
			t.Errorf("%s: Setup wrote to the schema (%d relations)", schema, n)
		}
	}
}
