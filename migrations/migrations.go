// Package migrations applies pgqtune's embedded schemas with golang-migrate.
//
// Each set (a directory here: one queue design, or the results store) has its
// own numbered NNN_name.up.sql / .down.sql files and its own migrations table,
// and is applied into a schema chosen at run time: the migrator's sessions
// set search_path to that schema, so the SQL files use unqualified names.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

//go:embed */*.sql
var files embed.FS

// Sets lists the migration sets that exist.
func Sets() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// Up applies every migration of set into schema, creating the schema if it
// does not exist.
func Up(ctx context.Context, dsn, set, schema string) error {
	m, closeFn, err := open(ctx, dsn, set, schema, true)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrations: up %s in schema %s: %w", set, schema, err)
	}
	return nil
}

// Down reverts every migration of set in schema (the schema itself stays).
func Down(ctx context.Context, dsn, set, schema string) error {
	m, closeFn, err := open(ctx, dsn, set, schema, false)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := m.Down(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrations: down %s in schema %s: %w", set, schema, err)
	}
	return nil
}

// Version returns the applied version of set in schema (0 when none).
func Version(ctx context.Context, dsn, set, schema string) (uint, error) {
	m, closeFn, err := open(ctx, dsn, set, schema, false)
	if err != nil {
		return 0, err
	}
	defer closeFn()
	v, dirty, err := m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("migrations: version of %s in schema %s: %w", set, schema, err)
	}
	if dirty {
		return v, fmt.Errorf("migrations: %s in schema %s is dirty at version %d", set, schema, v)
	}
	return v, nil
}

func open(ctx context.Context, dsn, set, schema string, create bool) (*migrate.Migrate, func(), error) {
	sub, err := fs.Sub(files, set)
	if err != nil {
		return nil, nil, fmt.Errorf("migrations: set %s: %w", set, err)
	}
	if _, err := fs.Stat(files, set); err != nil {
		return nil, nil, fmt.Errorf("migrations: unknown set %q", set)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("migrations: parse DSN: %w", err)
	}
	if create {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("migrations: connect: %w", err)
		}
		_, err = conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
		conn.Close(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("migrations: create schema %s: %w", schema, err)
		}
	}
	cfg.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	db := stdlib.OpenDB(*cfg)
	drv, err := migratepgx.WithInstance(db, &migratepgx.Config{
		SchemaName:      schema,
		MigrationsTable: "schema_migrations_" + set,
	})
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrations: open driver for %s in %s: %w", set, schema, err)
	}
	src, err := iofs.New(sub, ".")
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrations: open source %s: %w", set, err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrations: init %s: %w", set, err)
	}
	return m, func() { m.Close(); _ = closeDB(db) }, nil
}

func closeDB(db *sql.DB) error { return db.Close() }

// UpSQL returns the text of set's up migrations in order, for tools that
// replay them by hand (pgqtune's pgbench export). The SQL uses unqualified
// names: run it with search_path set to the target schema.
func UpSQL(set string) ([]string, error) {
	entries, err := fs.ReadDir(files, set)
	if err != nil {
		return nil, fmt.Errorf("migrations: unknown set %q", set)
	}
	var out []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".up.sql") {
			continue
		}
		b, err := files.ReadFile(set + "/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("migrations: read %s/%s: %w", set, e.Name(), err)
		}
		out = append(out, string(b))
	}
	return out, nil
}
