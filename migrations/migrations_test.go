package migrations_test

import (
	"context"
	"testing"

	"github.com/pgqtune/pgqtune/internal/pgserver"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m, pgserver.Options{}) }

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	for _, set := range migrations.Sets() {
		t.Run(set+" up, down, up again in a chosen schema", func(t *testing.T) {
			dsn := pgtest.NewDB(t)
			pool := pgtest.Pool(t, dsn)
			schema := "Mixed Case; schema"
			if err := migrations.Up(ctx, dsn, set, schema); err != nil {
				t.Fatal(err)
			}
			var tables int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename NOT LIKE 'schema_migrations%'`, schema).Scan(&tables); err != nil {
				t.Fatal(err)
			}
			if tables == 0 {
				t.Fatalf("no tables created in schema %q", schema)
			}
			v, err := migrations.Version(ctx, dsn, set, schema)
			if err != nil || v == 0 {
				t.Fatalf("version=%d err=%v", v, err)
			}
			// Nothing leaks into public.
			var public int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&public); err != nil {
				t.Fatal(err)
			}
			if public != 0 {
				t.Fatalf("%d tables created in public", public)
			}
			if err := migrations.Down(ctx, dsn, set, schema); err != nil {
				t.Fatal(err)
			}
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename NOT LIKE 'schema_migrations%'`, schema).Scan(&tables); err != nil {
				t.Fatal(err)
			}
			if tables != 0 {
				t.Fatalf("%d tables left after down", tables)
			}
			if err := migrations.Up(ctx, dsn, set, schema); err != nil {
				t.Fatalf("up after down: %v", err)
			}
		})
	}
	t.Run("unknown set", func(t *testing.T) {
		if err := migrations.Up(ctx, pgtest.NewDB(t), "nope", "x"); err == nil {
			t.Fatal("expected an error for an unknown set")
		}
	})
}
