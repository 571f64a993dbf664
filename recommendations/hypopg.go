package recommendations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/internal/connstr"
	"github.com/pgqtune/pgqtune/runrec"
)

// createIndexRe matches the CREATE INDEX statements the index rule writes,
// capturing what follows the index name (ON ... [WHERE ...]).
var createIndexRe = regexp.MustCompile(`(?is)^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(IF\s+NOT\s+EXISTS\s+)?\S+\s+(ON\s+.*?);?\s*$`)

// ValidateWithHypopg checks every CREATE INDEX recommendation before it is
// shown: the index is created hypothetically (which also checks that the
// statement is valid on the target's version) and the recorded claim is
// explained under a generic plan (plan_cache_mode = force_generic_plan,
// PREPARE with the claim's $n, EXPLAIN EXECUTE), as the workers' prepared
// claim runs. A candidate the planner does not use is removed: it comes
// back as a note saying why. The ones kept carry a "hypopg" Validation with
// the plan's cost before and after. It works inside one transaction that is
// rolled back: if hypopg is available but not installed, it is created
// there and vanishes with the rollback, so nothing on the target changes.
// It returns the recommendations kept (renumbered R1, R2, ... when one was
// removed) and notes on what could not be checked.
func ValidateWithHypopg(ctx context.Context, dsn string, in *Input, recs []runrec.Recommendation) ([]runrec.Recommendation, []string) {
	var todo []int
	for i, r := range recs {
		if r.Kind == runrec.RecIndex && createIndexRe.MatchString(r.SQL) {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 || in == nil {
		return recs, nil
	}
	f := newFacts(in)
	if f.Claim == nil || f.Claim.Text == "" {
		return recs, []string{"index check skipped: the claim statement's text was not recorded, so no index recommendation could be checked against its plan"}
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return recs, []string{"index check skipped: " + connstr.Redact(oneLineErr(err), dsn)}
	}
	cfg.RuntimeParams["application_name"] = "pgqtune-hypopg"
	cfg.RuntimeParams["statement_timeout"] = "30000"
	cfg.RuntimeParams["lock_timeout"] = "2000"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return recs, []string{"index check skipped: connect: " + connstr.Redact(oneLineErr(err), dsn)}
	}
	defer conn.Close(context.WithoutCancel(ctx))

	var notes []string
	drop := map[int]bool{}
	noHypopg := hypopgExtension == ""
	for _, i := range todo {
		if why := notForClaim(f, recs[i]); why != "" || !claimReads(f, recs[i].Target) {
			if why == "" {
				why = fmt.Sprintf("the recorded claim (queryid %d) does not read %s", f.Claim.QueryID, recs[i].Target)
			}
			notes = append(notes, fmt.Sprintf("%s (%s) is not planner-checked: %s", recs[i].ID, recs[i].Target, why))
			continue
		}
		var v *hypoResult
		var err error
		if !noHypopg {
			v, err = hypopgOne(ctx, conn, f, recs[i])
			if errors.Is(err, errNoHypopg) {
				noHypopg = true
				notes = append(notes, fmt.Sprintf("hypopg is not available (%v): index recommendations are checked on scratch copies of their tables built from the catalog snapshot", err))
			}
		}
		if noHypopg {
			v, err = scratchOne(ctx, conn, f, recs[i])
		}
		if err != nil {
			notes = append(notes, fmt.Sprintf("planner check of %s skipped: %v", recs[i].ID, err))
			continue
		}
		if !v.used {
			drop[i] = true
			notes = append(notes, fmt.Sprintf("not recommended: %s (%s) — the planner does not use it for the claim (queryid %d) under a generic plan (cost %s with it, %s without), so it would cost every write and help no claim",
				strings.TrimSuffix(recs[i].SQL, ";"), recs[i].Target, f.Claim.QueryID, fmtNum(v.After), fmtNum(v.Before)))
			continue
		}
		recs[i].Validation = &v.Validation
	}
	if len(drop) == 0 {
		return recs, notes
	}
	var kept []runrec.Recommendation
	for i, r := range recs {
		if !drop[i] {
			kept = append(kept, r)
		}
	}
	for i := range kept {
		kept[i].ID = fmt.Sprintf("R%d", i+1)
	}
	if kept == nil {
		kept = []runrec.Recommendation{}
	}
	return kept, notes
}

// notForClaim says why an index recommendation is not one the claim's plan
// should use ("" when it is): a library's own non-claim index (a policy or
// uniqueness index the library needs whatever the claim does).
func notForClaim(f *facts, rec runrec.Recommendation) string {
	lib, _ := f.foreignLibrary(rec.Target)
	if lib == nil {
		return ""
	}
	m := indexNameRe.FindStringSubmatch(rec.SQL)
	if m == nil {
		return ""
	}
	if ix := lib.IndexFor(rec.Target, strings.Trim(m[1], `"`)); ix != nil && !ix.Claim {
		return fmt.Sprintf("it is %s's own index, which %s's other statements rely on, not the claim's", lib.Name, lib.Name)
	}
	return ""
}

// claimReads reports whether the claim reads table, itself or as the
// partitioned parent of it.
func claimReads(f *facts, table string) bool {
	if f.Claim.Claim == nil {
		return false
	}
	ct := f.qualified(f.Claim.Claim.Relation)
	if ct == table {
		return true
	}
	t := f.in.Catalog.Table(table)
	return t != nil && t.Parent != "" && t.Parent == ct
}

var indexNameRe = regexp.MustCompile(`(?i)INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(\S+)\s+ON\s`)

var stmtSeq atomic.Int64

// nextStmtName is a prepared statement name no other check uses.
func nextStmtName() string { return fmt.Sprintf("pgqtune_check_%d", stmtSeq.Add(1)) }

// hypopgExtension is the extension the check creates; tests empty it to
// exercise the scratch-table check.
var hypopgExtension = "hypopg"

var errNoHypopg = errors.New("hypopg is not installed and cannot be created here")

type hypoResult struct {
	runrec.Validation
	used bool
}

func hypopgOne(ctx context.Context, conn *pgx.Conn, f *facts, rec runrec.Recommendation) (*hypoResult, error) {
	m := createIndexRe.FindStringSubmatch(rec.SQL)
	hypo := "CREATE " + m[1] + "INDEX " + m[4]
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	// Everything below is rolled back: the extension (if created here), the
	// prepared statement's effects and the hypothetical index.
	defer tx.Rollback(context.WithoutCancel(ctx))
	// The workers run the claim as a prepared statement: after five
	// executions Postgres may switch to a generic plan that knows none of
	// the $n values, so an index is only an answer if that plan uses it.
	if _, err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = force_generic_plan"); err != nil {
		return nil, fmt.Errorf("set plan_cache_mode: %w", err)
	}
	if _, err := tx.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+hypopgExtension); err != nil {
		return nil, fmt.Errorf("%w (%v)", errNoHypopg, oneLineErr(err))
	}
	// Prepared statements outlive a rollback: each round uses its own name
	// and deallocates it (DEALLOCATE ALL would also drop the driver's).
	name := nextStmtName()
	text, via := f.Claim.Text, ""
	if t := f.in.Catalog.Table(rec.Target); t != nil && t.Parent != "" && f.Claim.Claim != nil {
		// hypopg's indexes are not seen when the planner reaches a
		// partition through its parent: plan the claim on the partition
		// the index is for, which holds exactly the rows the parent's
		// pruning would lead the claim to.
		text = onPartition(text, f.Claim.Claim.Relation, t.Parent, t.Name)
		via = fmt.Sprintf(" (planned on partition %s: hypopg is not seen through the partitioned parent)", t.Name)
	}
	prepare := PrepareClaim(name, text, f.Claim.Claim, indexPredicate(rec.SQL))
	if _, err := tx.Exec(ctx, prepare); err != nil {
		return nil, fmt.Errorf("prepare the claim statement: %w", err)
	}
	var types []string
	if err := tx.QueryRow(ctx, "SELECT parameter_types::text[] FROM pg_catalog.pg_prepared_statements WHERE name = $1", name).Scan(&types); err != nil {
		return nil, fmt.Errorf("read parameter types: %w", err)
	}
	explain := "EXPLAIN (FORMAT JSON) EXECUTE " + name
	if len(types) > 0 {
		explain += "(" + strings.Join(paramValues(f, types, rec.Target), ", ") + ")"
	}
	before, _, err := explainCost(ctx, tx, explain)
	if err != nil {
		return nil, err
	}
	var hypoName string
	if err := tx.QueryRow(ctx, "SELECT indexname FROM hypopg_create_index($1)", hypo).Scan(&hypoName); err != nil {
		return nil, fmt.Errorf("the index does not build on this server: hypopg_create_index: %w", err)
	}
	// The generic plan is cached by the first EXECUTE, and a hypothetical
	// index does not invalidate it: prepare the claim again.
	if _, err := tx.Exec(ctx, "DEALLOCATE "+name); err != nil {
		return nil, fmt.Errorf("deallocate: %w", err)
	}
	if _, err := tx.Exec(ctx, prepare); err != nil {
		return nil, fmt.Errorf("prepare the claim statement: %w", err)
	}
	after, plan, err := explainCost(ctx, tx, explain)
	if err == nil {
		_, err = tx.Exec(ctx, "DEALLOCATE "+name)
	}
	if err != nil {
		return nil, err
	}
	used := strings.Contains(plan, hypoName)
	note := fmt.Sprintf("generic-plan cost of the claim statement (queryid %d)%s with the hypothetical index: %s -> %s", f.Claim.QueryID, via, fmtNum(before), fmtNum(after))
	if used {
		note += "; the plan uses it"
	} else {
		note += "; the planner does not choose it"
	}
	return &hypoResult{Validation: runrec.Validation{Method: "hypopg", Before: round2(before), After: round2(after), Unit: "cost", Note: note}, used: used}, nil
}

// indexPredicate is the WHERE clause of a CREATE INDEX statement ("" for a
// full index).
func indexPredicate(sql string) string {
	m := indexWhereRe.FindStringSubmatch(sql)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

var indexWhereRe = regexp.MustCompile(`(?is)\)\s+WHERE\s+(.*?);?\s*$`)

// PrepareClaim is the PREPARE statement (named name) of the claim for a
// plan check of an index whose partial predicate is pred.
// pg_stat_statements records constants as $n: where the claim compares a
// column with $n and the predicate compares it the same way with a literal
// (pg-boss's state < 'active', a literal in the library's own SQL), that
// $n is put back as the literal, because a generic plan can only prove a
// partial index's predicate from constants. Every $n keeps its number (the
// ones put back are declared text and left unused), so parameter values
// still line up with the recorded statement.
func PrepareClaim(name, text string, claim *Query, pred string) string {
	maxParam := 0
	for _, m := range paramNumRe.FindAllStringSubmatch(text, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil && n > maxParam {
			maxParam = n
		}
	}
	replaced := map[string]bool{}
	if claim != nil && pred != "" {
		for _, p := range predicateOf(pred) {
			lit := literalValue(p.Value)
			if p.Column == "" || lit == "" {
				continue
			}
			for _, c := range claim.Filters {
				if c.Column != p.Column || c.Op != p.Op || !paramRe.MatchString(c.Value) {
					continue
				}
				re := regexp.MustCompile(regexp.QuoteMeta(c.Value) + `\b`)
				text = re.ReplaceAllString(text, quoteLiteral(lit))
				replaced[c.Value] = true
			}
		}
	}
	if len(replaced) == 0 || maxParam == 0 {
		return "PREPARE " + name + " AS " + text
	}
	types := make([]string, maxParam)
	for i := range types {
		types[i] = "unknown"
		if replaced["$"+strconv.Itoa(i+1)] {
			types[i] = "text"
		}
	}
	return "PREPARE " + name + " (" + strings.Join(types, ", ") + ") AS " + text
}

// onPartition rewrites the claim text to read partition instead of its
// partitioned parent (written as rel in the claim).
func onPartition(text, rel, parent, partition string) string {
	for _, name := range []string{rel, parent} {
		if name == "" {
			continue
		}
		re := regexp.MustCompile(`(?i)(^|[^\w."])` + regexp.QuoteMeta(name) + `\b`)
		text = re.ReplaceAllString(text, "${1}"+quoteQualified(partition))
	}
	return text
}

var paramNumRe = regexp.MustCompile(`\$(\d+)`)

var paramRe = regexp.MustCompile(`^\$\d+$`)

func explainCost(ctx context.Context, tx pgx.Tx, sql string) (float64, string, error) {
	var raw string
	if err := tx.QueryRow(ctx, sql).Scan(&raw); err != nil {
		return 0, "", fmt.Errorf("explain: %w", err)
	}
	var plans []struct {
		Plan struct {
			TotalCost float64 `json:"Total Cost"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(raw), &plans); err != nil || len(plans) == 0 {
		return 0, "", fmt.Errorf("explain: unreadable plan: %v", err)
	}
	return plans[0].Plan.TotalCost, raw, nil
}

// paramValues picks a plausible value for each $n of the claim statement:
// the most common value of the column it is compared with (the runnable
// state for the state column), the mean batch for LIMIT, otherwise a
// neutral value of its type.
func paramValues(f *facts, types []string, target string) []string {
	byParam := map[string]string{}
	var t *TableInfo
	if f.Claim.Claim != nil {
		_, t, _ = f.resolveTable(f.Claim.Claim.Relation)
		for _, p := range f.Claim.Claim.Filters {
			byParam[p.Value] = p.Column
		}
	}
	// The index's own table, when it is a partition: its CHECK constraint
	// or partition bound names the value of the partition key (pg-boss's
	// name = 'queue'), so the plan is the one that queue's claims get.
	var part *TableInfo
	if tt := f.in.Catalog.Table(target); tt != nil && tt.Parent != "" {
		part = tt
	}
	out := make([]string, len(types))
	for i, typ := range types {
		param := fmt.Sprintf("$%d", i+1)
		v := ""
		if f.Claim.Claim != nil && f.Claim.Claim.Limit == param {
			v = fmt.Sprint(int64(math.Max(1, math.Round(f.Claim.RowsPerCall()))))
		} else if col := byParam[param]; col != "" && part != nil && checkValue(part, col) != "" {
			v = quoteLiteral(checkValue(part, col))
		} else if col := byParam[param]; col != "" && t != nil {
			if c := t.Column(col); c != nil {
				if stateColRe.MatchString(col) || len(c.Labels) > 0 {
					v = quoteLiteral(pendingValue(t, col))
				}
				if v == "" || v == "''" {
					v = ""
					if len(c.MostCommon) > 0 {
						v = quoteLiteral(c.MostCommon[0])
					}
				}
			}
		}
		if v == "" {
			v = neutralValue(typ)
		}
		out[i] = v + "::" + typ
	}
	return out
}

// checkValue is the literal a CHECK constraint pins col to (col = 'x'),
// or "".
func checkValue(t *TableInfo, col string) string {
	for _, chk := range t.Checks {
		for _, p := range predicateOf(strings.TrimSuffix(strings.TrimPrefix(chk, "CHECK "), "")) {
			if p.Column == col && p.Op == "=" {
				if v := literalValue(p.Value); v != "" {
					return v
				}
			}
		}
	}
	return ""
}

func neutralValue(typ string) string {
	switch {
	case strings.HasSuffix(typ, "[]"):
		return "'{}'"
	case strings.HasPrefix(typ, "timestamp"), typ == "date":
		return "now()"
	case typ == "text", strings.HasPrefix(typ, "character"), typ == "name":
		return "'default'"
	case typ == "integer", typ == "bigint", typ == "smallint", typ == "numeric", typ == "real", typ == "double precision":
		return "1"
	case typ == "boolean":
		return "true"
	case typ == "json", typ == "jsonb":
		return "'{}'"
	case typ == "interval":
		return "'1 minute'"
	case typ == "uuid":
		return "'00000000-0000-0000-0000-000000000000'"
	}
	return "NULL"
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func oneLineErr(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }
