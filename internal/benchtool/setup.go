package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/pgqtune/pgqtune/migrations"
)

// setup applies a queue schema (a migrations set) so pgbench has tables to
// work on before the driver has run.
func setup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	dsn := fs.String("dsn", "", "target database")
	set := fs.String("set", "skiplocked", "migrations set")
	schema := fs.String("schema", "pgqtune", "schema")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := migrations.Up(context.Background(), *dsn, *set, *schema); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	return nil
}
