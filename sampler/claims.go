package sampler

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/libraries"
)

//go:embed sql/claim_statements.sql
var claimStatementsSQL string

// claimTables returns the tables that the claim statements in
// pg_stat_statements lock, busiest statement first, as names to_regclass
// accepts. Which statements are claims is the one decision
// (libraries.DecideRoles) made with no queue table known: a statement that
// locks rows FOR UPDATE SKIP LOCKED; a foreign-key check or a FOR SHARE
// lock never makes its table a queue.
func claimTables(ctx context.Context, e *env) ([]string, error) {
	var schema string
	err := e.conn.QueryRow(ctx, extensionSQL, "pg_stat_statements").Scan(&schema, new(string))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find pg_stat_statements: %w", err)
	}
	q := strings.ReplaceAll(claimStatementsSQL, "{{pgss}}", pgx.Identifier{schema}.Sanitize())
	rows, err := e.conn.Query(ctx, q, e.dbOID)
	if err != nil {
		return nil, fmt.Errorf("read claim statements: %w", err)
	}
	texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read claim statements: %w", err)
	}
	return claimedRelations(texts), nil
}

// claimedRelations are the relations the claims among texts (busiest
// first) lock, in that order, without repeats or catalog tables.
func claimedRelations(texts []string) []string {
	stmts := make([]libraries.Statement, len(texts))
	for i, t := range texts {
		stmts[i] = libraries.Statement{QueryID: int64(i), Text: t}
	}
	var out []string
	for _, d := range libraries.DecideRoles(nil, stmts) {
		if d.Role != libraries.RoleClaim || d.Queue == "" || strings.HasPrefix(d.Queue, "pg_") || slices.Contains(out, d.Queue) {
			continue
		}
		out = append(out, d.Queue)
	}
	for i, n := range out {
		out[i] = pgx.Identifier(strings.SplitN(n, ".", 2)).Sanitize()
	}
	return out
}
