package collect

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed sql/claim_statements.sql
var claimStatementsSQL string

// fromRE finds the tables a statement reads (FROM/UPDATE/JOIN targets,
// optionally schema-qualified, optionally quoted).
var fromRE = regexp.MustCompile(`(?i)\b(?:from|join|update)\s+((?:"[^"]+"|[a-z_][a-z0-9_$]*)(?:\.(?:"[^"]+"|[a-z_][a-z0-9_$]*))?)`)

// claimTables returns the tables that FOR UPDATE SKIP LOCKED statements in
// pg_stat_statements read, most used first, as names to_regclass accepts.
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
	count := map[string]int{}
	for _, t := range texts {
		if strings.Contains(t, "/* pgqtune */") {
			continue
		}
		for _, m := range fromRE.FindAllStringSubmatch(t, -1) {
			count[m[1]]++
		}
	}
	var out []string
	for n := range count {
		if !strings.HasPrefix(strings.ToLower(n), "pg_") {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if count[out[i]] != count[out[j]] {
			return count[out[i]] > count[out[j]]
		}
		return out[i] < out[j]
	})
	return out, nil
}

// isClaim tells whether a normalized statement claims jobs with SKIP LOCKED.
func isClaim(text string) bool {
	return strings.Contains(strings.ToLower(text), "skip locked")
}
