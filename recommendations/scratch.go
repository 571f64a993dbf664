package recommendations

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

// maxScratchRows caps the rows a scratch copy of a queue table gets.
const maxScratchRows = 20000

// scratchOne checks an index recommendation without hypopg: inside a
// transaction that is rolled back, it builds a temporary table with the
// columns the catalog snapshot recorded, fills it with rows drawn from
// the recorded most common values (so the state column's skew is kept),
// analyzes it, builds the index on it for real, and explains the claim
// rewritten to read that table, under a generic plan. Nothing outlives the
// rollback.
func scratchOne(ctx context.Context, conn *pgx.Conn, f *facts, rec runrec.Recommendation) (*hypoResult, error) {
	t := f.in.Catalog.Table(rec.Target)
	if t == nil || len(t.Columns) == 0 {
		return nil, fmt.Errorf("no catalog snapshot of %s to build a scratch copy from", rec.Target)
	}
	m := createIndexRe.FindStringSubmatch(rec.SQL)
	if m == nil {
		return nil, fmt.Errorf("not a single CREATE INDEX")
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	const scratch = "pg_temp.pgqtune_scratch"
	var cols, vals []string
	for _, c := range t.Columns {
		if c.Type == "" {
			continue
		}
		cols = append(cols, quoteIdent(c.Name)+" "+c.Type)
		vals = append(vals, scratchValue(c))
	}
	steps := []string{
		"SET LOCAL plan_cache_mode = force_generic_plan",
		fmt.Sprintf("CREATE TEMP TABLE pgqtune_scratch (%s) ON COMMIT DROP", strings.Join(cols, ", ")),
		fmt.Sprintf("INSERT INTO %s SELECT %s FROM pg_catalog.generate_series(1, %d)", scratch, strings.Join(vals, ", "),
			int(math.Max(1000, math.Min(maxScratchRows, math.Max(t.Reltuples, float64(t.LiveTup)))))),
		"ANALYZE " + scratch,
	}
	for _, s := range steps {
		if _, err := tx.Exec(ctx, s); err != nil {
			return nil, fmt.Errorf("scratch copy of %s: %s: %w", t.Name, firstWords(s), err)
		}
	}
	text := f.Claim.Text
	for _, rel := range []string{f.Claim.Claim.Relation, t.Parent, t.Name} {
		text = onPartition(text, rel, "", scratch)
	}
	cost := func() (float64, string, error) {
		name := nextStmtName()
		if _, err := tx.Exec(ctx, PrepareClaim(name, text, f.Claim.Claim, indexPredicate(rec.SQL))); err != nil {
			return 0, "", fmt.Errorf("prepare the claim on the scratch copy: %w", err)
		}
		var types []string
		if err := tx.QueryRow(ctx, "SELECT parameter_types::text[] FROM pg_catalog.pg_prepared_statements WHERE name = $1", name).Scan(&types); err != nil {
			return 0, "", fmt.Errorf("read parameter types: %w", err)
		}
		e := "EXPLAIN (FORMAT JSON) EXECUTE " + name
		if len(types) > 0 {
			e += "(" + strings.Join(paramValues(f, types, rec.Target), ", ") + ")"
		}
		c, plan, err := explainCost(ctx, tx, e)
		if err == nil {
			_, err = tx.Exec(ctx, "DEALLOCATE "+name)
		}
		return c, plan, err
	}
	before, _, err := cost()
	if err != nil {
		return nil, err
	}
	// The recommended statement itself, on the scratch table: it must
	// build on this server's version.
	build := fmt.Sprintf("CREATE %sINDEX pgqtune_scratch_idx ON %s %s", m[1], scratch, onAfterTable(m[4]))
	if _, err := tx.Exec(ctx, build); err != nil {
		return nil, fmt.Errorf("the index does not build on this server: %w", err)
	}
	after, plan, err := cost()
	if err != nil {
		return nil, err
	}
	used := strings.Contains(plan, `"pgqtune_scratch_idx"`)
	note := fmt.Sprintf("generic-plan cost of the claim statement (queryid %d) on a scratch copy of %s built from the catalog snapshot: %s without the index, %s with it", f.Claim.QueryID, t.Name, fmtNum(before), fmtNum(after))
	if used {
		note += "; the plan uses it"
	} else {
		note += "; the planner does not choose it"
	}
	return &hypoResult{Validation: runrec.Validation{Method: "scratch", Before: round2(before), After: round2(after), Unit: "cost", Note: note}, used: used}, nil
}

var onTableRe = regexp.MustCompile(`(?is)^ON\s+(?:ONLY\s+)?\S+\s+(.*)$`)

// onAfterTable is what follows "ON table" in a CREATE INDEX tail.
func onAfterTable(tail string) string {
	if m := onTableRe.FindStringSubmatch(tail); m != nil {
		return m[1]
	}
	return tail
}

// scratchValue is a SQL expression giving one column a plausible random
// value: the recorded most common values with their frequencies (the
// remainder split over the enum labels or a type default), or a value of
// its type.
func scratchValue(c Column) string {
	typ := c.Type
	def := neutralScratch(typ, c.Labels)
	if len(c.MostCommon) == 0 || len(c.MostCommon) != len(c.MostCommonFreq) {
		return def
	}
	var b strings.Builder
	b.WriteString("(SELECT CASE")
	acc := 0.0
	for i, v := range c.MostCommon {
		acc += c.MostCommonFreq[i]
		fmt.Fprintf(&b, " WHEN r < %g THEN %s::%s", acc, quoteLiteral(v), typ)
	}
	fmt.Fprintf(&b, " ELSE %s END FROM (SELECT random() AS r) x)", def)
	return b.String()
}

func neutralScratch(typ string, labels []string) string {
	switch {
	case len(labels) > 0:
		var qs []string
		for _, l := range labels {
			qs = append(qs, quoteLiteral(l))
		}
		return fmt.Sprintf("((ARRAY[%s])[1 + floor(random() * %d)::int])::%s", strings.Join(qs, ", "), len(labels), typ)
	case strings.HasPrefix(typ, "timestamp"):
		return fmt.Sprintf("(now() - random() * interval '1 day')::%s", typ)
	case typ == "integer", typ == "bigint", typ == "smallint":
		return fmt.Sprintf("(random() * 1000)::int::%s", typ)
	case typ == "numeric", typ == "real", typ == "double precision":
		return fmt.Sprintf("(random() * 1000)::%s", typ)
	case typ == "text", strings.HasPrefix(typ, "character"):
		return fmt.Sprintf("md5(random()::text)::%s", typ)
	case typ == "boolean":
		return "random() < 0.5"
	case typ == "uuid":
		return "md5(random()::text)::uuid"
	case typ == "json", typ == "jsonb":
		return fmt.Sprintf("'{}'::%s", typ)
	case typ == "interval":
		return "interval '15 minutes'"
	}
	return "NULL::" + typ
}

func firstWords(s string) string {
	if f := strings.Fields(s); len(f) > 3 {
		return strings.Join(f[:3], " ")
	}
	return s
}
