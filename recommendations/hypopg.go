package recommendations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

// createIndexRe matches the CREATE INDEX statements the index rule writes,
// capturing what follows the index name (ON ... [WHERE ...]).
var createIndexRe = regexp.MustCompile(`(?is)^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(IF\s+NOT\s+EXISTS\s+)?\S+\s+(ON\s+.*?);?\s*$`)

// ValidateWithHypopg fills a "hypopg" Validation into every CREATE INDEX
// recommendation: the planner's cost for the hot claim statement before and
// after creating the index hypothetically. It works inside one transaction
// that is rolled back: if hypopg is available but not installed, it is
// created there and vanishes with the rollback, so nothing on the target
// changes. It returns notes on what could not be validated.
func ValidateWithHypopg(ctx context.Context, dsn string, in *Input, recs []runrec.Recommendation) []string {
	var todo []int
	for i, r := range recs {
		if r.Kind == runrec.RecIndex && createIndexRe.MatchString(r.SQL) {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 || in == nil {
		return nil
	}
	f := newFacts(in)
	if f.Claim == nil || f.Claim.Text == "" {
		return []string{"hypopg validation skipped: the claim statement's text was not recorded"}
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return []string{"hypopg validation skipped: " + err.Error()}
	}
	cfg.RuntimeParams["application_name"] = "pgqtune-hypopg"
	cfg.RuntimeParams["statement_timeout"] = "30000"
	cfg.RuntimeParams["lock_timeout"] = "2000"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return []string{"hypopg validation skipped: connect: " + redactErr(err)}
	}
	defer conn.Close(context.WithoutCancel(ctx))

	var notes []string
	for _, i := range todo {
		v, err := hypopgOne(ctx, conn, f, recs[i])
		if err != nil {
			notes = append(notes, fmt.Sprintf("hypopg validation of %s skipped: %v", recs[i].ID, err))
			if errors.Is(err, errNoHypopg) {
				break
			}
			continue
		}
		recs[i].Validation = v
	}
	return notes
}

var errNoHypopg = errors.New("hypopg is not installed and cannot be created here")

func hypopgOne(ctx context.Context, conn *pgx.Conn, f *facts, rec runrec.Recommendation) (*runrec.Validation, error) {
	m := createIndexRe.FindStringSubmatch(rec.SQL)
	hypo := "CREATE " + m[1] + "INDEX " + m[4]
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	// Everything below is rolled back: the extension (if created here), the
	// prepared statement's effects and the hypothetical index.
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = force_custom_plan"); err != nil {
		return nil, fmt.Errorf("set plan_cache_mode: %w", err)
	}
	if _, err := tx.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS hypopg"); err != nil {
		return nil, fmt.Errorf("%w (%v)", errNoHypopg, oneLineErr(err))
	}
	// Prepared statements outlive a rollback: clear the previous round's.
	if _, err := tx.Exec(ctx, "DEALLOCATE ALL"); err != nil {
		return nil, fmt.Errorf("deallocate: %w", err)
	}
	if _, err := tx.Exec(ctx, "PREPARE pgqtune_hot AS "+f.Claim.Text); err != nil {
		return nil, fmt.Errorf("prepare the claim statement: %w", err)
	}
	var types []string
	if err := tx.QueryRow(ctx, "SELECT parameter_types::text[] FROM pg_catalog.pg_prepared_statements WHERE name = 'pgqtune_hot'").Scan(&types); err != nil {
		return nil, fmt.Errorf("read parameter types: %w", err)
	}
	explain := "EXPLAIN (FORMAT JSON) EXECUTE pgqtune_hot"
	if len(types) > 0 {
		explain += "(" + strings.Join(paramValues(f, types), ", ") + ")"
	}
	before, _, err := explainCost(ctx, tx, explain)
	if err != nil {
		return nil, err
	}
	var hypoName string
	if err := tx.QueryRow(ctx, "SELECT indexname FROM hypopg_create_index($1)", hypo).Scan(&hypoName); err != nil {
		return nil, fmt.Errorf("hypopg_create_index: %w", err)
	}
	after, plan, err := explainCost(ctx, tx, explain)
	if err != nil {
		return nil, err
	}
	used := strings.Contains(plan, hypoName)
	note := fmt.Sprintf("planner cost of the claim statement (queryid %d) with the hypothetical index: %s -> %s", f.Claim.QueryID, fmtNum(before), fmtNum(after))
	if used {
		note += "; the plan uses it"
	} else {
		note += "; the planner does not choose it at the table's current size and statistics"
	}
	return &runrec.Validation{Method: "hypopg", Before: round2(before), After: round2(after), Unit: "cost", Note: note}, nil
}

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
func paramValues(f *facts, types []string) []string {
	byParam := map[string]string{}
	var t *TableInfo
	if f.Claim.Claim != nil {
		_, t, _ = f.resolveTable(f.Claim.Claim.Relation)
		for _, p := range f.Claim.Claim.Filters {
			byParam[p.Value] = p.Column
		}
	}
	out := make([]string, len(types))
	for i, typ := range types {
		param := fmt.Sprintf("$%d", i+1)
		v := ""
		if f.Claim.Claim != nil && f.Claim.Claim.Limit == param {
			v = fmt.Sprint(int64(math.Max(1, math.Round(f.Claim.RowsPerCall()))))
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

// redactErr drops anything after "password" from a connection error.
func redactErr(err error) string {
	s := oneLineErr(err)
	if i := strings.Index(strings.ToLower(s), "password="); i >= 0 {
		s = s[:i] + "password=***"
	}
	return s
}
