package pgmq

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/migrations"
	"github.com/pgqtune/pgqtune/sqlload"
)

// PgbenchScripts writes the pgmq adapter's statements as pgbench scripts:
// the built-in tables' send, read and delete/archive (the same .sql files
// the driver runs, with the message arrays built server-side), or, with
// extension: on, calls to pgmq.send_batch / read / delete / archive. pgbench
// cannot choose a table per transaction, so the scripts work the first queue
// only (the others are created by setup.sql).
func (a *adapter) PgbenchScripts(p *sqlload.PgbenchParams) (map[string]string, error) {
	queues := p.Queues
	if len(queues) == 0 {
		queues = a.queueNames
	}
	ext := a.extMode == "on"
	schema := p.Schema
	if ext {
		schema = "pgmq"
	}
	a = &adapter{schema: schema, prefix: a.prefix, completion: a.completion, vt: a.vt, queueNames: queues}
	q := a.builtinQueue(queues[0])
	if ext {
		q = a.extQueue(queues[0])
	}

	var setup strings.Builder
	if ext {
		setup.WriteString("-- Creates the scenario's queues with the pgmq extension (it must be installed).\n")
		for _, name := range queues {
			fmt.Fprintf(&setup, "SELECT pgmq.create(%s);\n", quoteLiteral(a.prefix+name))
		}
	} else {
		ident := pgx.Identifier{schema}.Sanitize()
		fmt.Fprintf(&setup, "-- Creates the built-in pgmq tables in schema %s (pgqtune's migrations).\nCREATE SCHEMA IF NOT EXISTS %s;\nSET search_path = %s;\n", schema, ident, ident)
		ups, err := migrations.UpSQL("pgmq")
		if err != nil {
			return nil, fmt.Errorf("pgmq: pgbench scripts: %w", err)
		}
		for _, u := range ups {
			u = strings.ReplaceAll(u, "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ")
			u = strings.ReplaceAll(u, "CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ")
			u = strings.ReplaceAll(u, "VALUES ('default');", "VALUES ('default') ON CONFLICT DO NOTHING;")
			setup.WriteString(u)
		}
		for _, name := range queues[1:] {
			add := a.builtinQueue(name).expand(loadSQL("pgmq_add_queue", schema))
			setup.WriteString(strings.ReplaceAll(add, "{name}", quoteLiteral(name)) + "\n")
		}
	}

	batch, claimN := max(p.EnqueueBatch, 1), max(p.DequeueBatch, 1)
	pad := max(p.PayloadBytes-60, 0)
	msgs := fmt.Sprintf("ARRAY(SELECT jsonb_build_object('seq', 0, 't', (extract(epoch FROM clock_timestamp()) * 1e6)::bigint, 'pad', repeat('x', %d)) FROM generate_series(1, %d))", pad, batch)
	vtSecs := int(max(a.vt.Seconds(), 1))

	var enqueue, read, finish string
	if ext {
		enqueue = fmt.Sprintf("SELECT count(*) FROM pgmq.send_batch(%s, %s, 0);\n", quoteLiteral(q.pgmq), msgs)
		read = fmt.Sprintf("SELECT msg_id FROM pgmq.read(%s, %d, %d)", quoteLiteral(q.pgmq), vtSecs, claimN)
		fn := "delete"
		if a.completion == "archive" {
			fn = "archive"
		}
		finish = fmt.Sprintf("SELECT count(*) FROM pgmq.%s(%s, :ids::bigint[]);\n", fn, quoteLiteral(q.pgmq))
	} else {
		enqueue = strings.NewReplacer("$1::jsonb[]", msgs, "$2::float8[]", fmt.Sprintf("array_fill(0::float8, ARRAY[%d])", batch)).
			Replace(sqlload.StripComments(q.send)) + ";\n"
		read = strings.NewReplacer("$1", fmt.Sprint(claimN), "$2::float8", fmt.Sprint(vtSecs)).Replace(sqlload.StripComments(q.read))
		if a.completion == "archive" {
			finish = strings.NewReplacer("$1::bigint[]", ":ids::bigint[]", "$2::text", "NULL::text").Replace(sqlload.StripComments(q.archive)) + ";\n"
		} else {
			finish = strings.ReplaceAll(sqlload.StripComments(q.del), "$1::bigint[]", ":ids::bigint[]") + ";\n"
		}
	}
	return map[string]string{
		"setup.sql":   setup.String(),
		"enqueue.sql": fmt.Sprintf("-- pgqtune pgmq send: one batch of %d messages into %s.\n", batch, q.pgmq) + enqueue,
		"consume.sql": fmt.Sprintf("-- pgqtune pgmq read (visibility timeout %ds) of up to %d messages from %s, then %s.\n", vtSecs, claimN, q.pgmq, a.completion) +
			"WITH claimed AS (\n" + read + "\n)\nSELECT quote_literal(coalesce(array_agg(msg_id), '{}')) AS ids FROM claimed\n\\gset\n" + finish,
	}, nil
}
