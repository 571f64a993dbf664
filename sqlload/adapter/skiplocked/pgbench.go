package skiplocked

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/migrations"
	"github.com/pgqtune/pgqtune/sqlload"
)

// PgbenchScripts writes the skiplocked adapter's own statements (the same
// files the driver runs) as pgbench scripts.
func (a *adapter) PgbenchScripts(p *sqlload.PgbenchParams) (map[string]string, error) {
	ups, err := migrations.UpSQL("skiplocked")
	if err != nil {
		return nil, err
	}
	ident := pgx.Identifier{p.Schema}.Sanitize()
	setup := fmt.Sprintf("-- Creates the skiplocked queue in schema %s (pgqtune's migrations).\nCREATE SCHEMA IF NOT EXISTS %s;\nSET search_path = %s;\n", p.Schema, ident, ident)
	for _, u := range ups {
		setup += strings.ReplaceAll(u, "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ")
	}
	setup = strings.ReplaceAll(setup, "CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ")

	queueExpr := "'default'"
	if len(p.Queues) > 1 {
		var cases []string
		for i, q := range p.Queues {
			cases = append(cases, fmt.Sprintf("WHEN %d THEN '%s'", i+1, q))
		}
		queueExpr = "CASE :q " + strings.Join(cases, " ") + " END"
	}
	pad := max(p.PayloadBytes-60, 0)
	enqueue := fmt.Sprintf(`-- pgqtune skiplocked enqueue: one multi-row insert of %d jobs (the driver's
-- unnest insert, with the arrays built server-side).
\set q random(1, %d)
\set prio random(0, %d)
INSERT INTO %s.job (queue, priority, run_at, payload, max_attempts)
SELECT %s, :prio, now(),
       jsonb_build_object('seq', 0, 't', (extract(epoch FROM clock_timestamp()) * 1e6)::bigint, 'pad', repeat('x', %d)),
       %d
  FROM generate_series(1, %d);
`, p.EnqueueBatch, len(p.Queues), p.Priorities-1, ident, queueExpr, pad, p.MaxAttempts, p.EnqueueBatch)

	claim := sqlload.StripComments(loadSQL("skiplocked_claim", p.Schema))
	claim = strings.ReplaceAll(claim, "$1", queueExpr)
	claim = strings.ReplaceAll(claim, "$2", fmt.Sprint(p.DequeueBatch))
	complete := sqlload.StripComments(a.complete)
	complete = strings.ReplaceAll(complete, "$1", ":ids::bigint[]")
	consume := fmt.Sprintf(`-- pgqtune skiplocked consume: the driver's claim, then its completion (%s).
\set q random(1, %d)
WITH claimed AS (
%s
)
SELECT quote_literal(coalesce(array_agg(id), '{}')) AS ids FROM claimed
\gset
%s;
`, a.completion, len(p.Queues), claim, complete)
	return map[string]string{"setup.sql": setup, "enqueue.sql": enqueue, "consume.sql": consume}, nil
}
