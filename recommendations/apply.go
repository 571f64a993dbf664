package recommendations

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

// ErrNotApplicable is returned for a recommendation whose SQL is not
// something to execute: an application change or query rewrite (advice in
// comments), a session-level SET, or a partitioning outline (a migration to
// rehearse by hand).
var ErrNotApplicable = errors.New("recommendation cannot be applied automatically")

// Statements splits a recommendation's SQL into the statements to execute,
// leaving out comments. It returns ErrNotApplicable for what cannot be
// applied automatically (see ErrNotApplicable).
func Statements(r runrec.Recommendation) ([]string, error) {
	if r.Kind == runrec.RecApplication || r.Kind == runrec.RecQuery || r.Kind == runrec.RecPartitioning {
		return nil, fmt.Errorf("%s (%s): %w", r.ID, r.Kind, ErrNotApplicable)
	}
	parts, err := pg_query.SplitWithParser(r.SQL, true)
	if err != nil {
		return nil, fmt.Errorf("%s: split SQL: %w", r.ID, err)
	}
	var out []string
	for _, p := range parts {
		if stripComments(p) != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no SQL statement: %w", r.ID, ErrNotApplicable)
	}
	session := true
	for _, st := range out {
		up := strings.ToUpper(stripComments(st))
		session = session && (strings.HasPrefix(up, "SET ") || strings.HasPrefix(up, "RESET "))
	}
	if session {
		// A SET lasts for the session that runs it: applying it on
		// validate's own connection would change nothing measured.
		return nil, fmt.Errorf("%s: a session-level setting, to be set in the application's sessions: %w", r.ID, ErrNotApplicable)
	}
	return out, nil
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
	}
	return strings.TrimSpace(b.String())
}

// Apply executes the recommendations' SQL on dsn, one statement at a time
// outside any transaction block (CREATE INDEX CONCURRENTLY and ALTER SYSTEM
// require that). It reports whether a changed setting waits for a restart.
// Callers decide where this may run: `pgqtune validate` only applies to a
// scratch cluster unless told --apply-to-target.
func Apply(ctx context.Context, dsn string, recs []runrec.Recommendation) (needRestart bool, err error) {
	var all []string
	for _, r := range recs {
		st, err := Statements(r)
		if err != nil {
			return false, err
		}
		all = append(all, st...)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return false, fmt.Errorf("apply: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, s := range all {
		// Simple protocol: one statement, no implicit transaction around
		// it beyond its own.
		if _, err := conn.Exec(ctx, s, pgx.QueryExecModeSimpleProtocol); err != nil {
			return false, fmt.Errorf("apply %q: %w", truncate(s, 80), err)
		}
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) > 0 FROM pg_catalog.pg_settings WHERE pending_restart").Scan(&needRestart); err != nil {
		return false, fmt.Errorf("apply: check pending restart: %w", err)
	}
	return needRestart, nil
}

// Retarget rewrites the database-level statements of recs (ALTER DATABASE
// name ...) from the recorded database to another one, for applying them
// on a scratch database during validation. It returns copies.
func Retarget(recs []runrec.Recommendation, from, to string) []runrec.Recommendation {
	out := append([]runrec.Recommendation(nil), recs...)
	if from == "" || from == to {
		return out
	}
	old, repl := "ALTER DATABASE "+quoteIdent(from)+" ", "ALTER DATABASE "+quoteIdent(to)+" "
	for i := range out {
		out[i].SQL = strings.ReplaceAll(out[i].SQL, old, repl)
		out[i].Rollback = strings.ReplaceAll(out[i].Rollback, old, repl)
	}
	return out
}
