package pgmq

import (
	"context"
	"fmt"
	"os"
)

// ShimPrefix is the queue_prefix that makes a test's pgmq adapter find
// a stand-in for the pgmq extension (testdata/pgmq_shim.sql, installed into
// its database on the spot) instead of looking in pg_extension: the real
// extension cannot be installed here, and extension mode still deserves a
// run through the shared suite. Other tests are untouched.
const ShimPrefix = "shim_"

// RealPrefix is the queue_prefix that makes a test's pgmq adapter run
// CREATE EXTENSION pgmq (the real 1.5.2, made installable by
// pgtest.RequirePgmq) in its fresh database before detecting it: the
// adapter itself never creates extensions on a target.
const RealPrefix = "real_"

func init() {
	detect := pgmqDetect
	pgmqDetect = func(ctx context.Context, a *adapter) (string, error) {
		if a.prefix == RealPrefix {
			if _, err := a.pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pgmq`); err != nil {
				return "", fmt.Errorf("create extension pgmq: %w", err)
			}
		}
		if a.prefix != ShimPrefix {
			return detect(ctx, a)
		}
		var exists bool
		if err := a.pool.QueryRow(ctx, `SELECT to_regnamespace('pgmq') IS NOT NULL`).Scan(&exists); err != nil {
			return "", err
		}
		if !exists {
			shim, err := os.ReadFile("testdata/pgmq_shim.sql")
			if err != nil {
				return "", fmt.Errorf("read pgmq shim: %w", err)
			}
			if _, err := a.pool.Exec(ctx, string(shim)); err != nil {
				return "", fmt.Errorf("install pgmq shim: %w", err)
			}
		}
		return "shim", nil
	}
}
