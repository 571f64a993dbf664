package recommendations

import (
	"regexp"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"
)

// claimIndex is the index that serves a claim query: equality columns
// first, then the claim's order, partial on the waiting state where the
// state column and its waiting value are known.
type claimIndex struct {
	Table     string   // schema.table
	Columns   []string // key columns in order
	Desc      []bool
	StateCol  string // "" when no state column was recognized
	Pending   string // the waiting state's value ("" when unknown)
	Predicate string // "state = 'pending'" or ""
	// Eq are the claim's equality columns, Order its ORDER BY columns.
	Eq    []string
	Order []SortKey
}

// pendingWords are the names queue libraries give the runnable state, in
// order of preference. "available" comes first: River's enum has both, and
// its "pending" is a state jobs are not claimed from.
var pendingWords = []string{"available", "pending", "queued", "ready", "created", "new", "waiting", "scheduled", "retry", "retryable"}

var stateColRe = regexp.MustCompile(`^(state|status|job_state|job_status)$`)

// designClaimIndex derives the index a claim query needs from its shape and
// the table's catalog entry (nil when no snapshot).
func designClaimIndex(q *Query, table string, t *TableInfo) claimIndex {
	ci := claimIndex{Table: table}
	for _, p := range q.Filters {
		if p.Equality() || p.Op == "in" {
			ci.Eq = appendUnique(ci.Eq, p.Column)
		}
	}
	ci.Order = q.OrderBy
	// The state column: a recognized name or an enum with a runnable label.
	for _, c := range ci.Eq {
		if stateColRe.MatchString(c) {
			ci.StateCol = c
			break
		}
		if t != nil {
			if col := t.Column(c); col != nil && len(col.Labels) > 0 && pickPending(col.Labels) != "" {
				ci.StateCol = c
				break
			}
		}
	}
	if ci.StateCol != "" {
		ci.Pending = pendingValue(t, ci.StateCol)
	}
	partial := ci.StateCol != "" && ci.Pending != ""
	if partial {
		ci.Predicate = quoteIdent(ci.StateCol) + " = " + quoteLiteral(ci.Pending)
	}
	// Equality columns first: the scan then starts at the one matching
	// value and reads index order from there. IN lists go last among them
	// because they break the order the scan returns.
	var eqs, ins []string
	for _, p := range q.Filters {
		if partial && p.Column == ci.StateCol {
			continue
		}
		switch {
		case p.Equality():
			eqs = appendUnique(eqs, p.Column)
		case p.Op == "in":
			ins = appendUnique(ins, p.Column)
		}
	}
	ci.Columns = append(eqs, ins...)
	allDesc := len(q.OrderBy) > 0
	for _, k := range q.OrderBy {
		allDesc = allDesc && k.Desc
	}
	for _, k := range q.OrderBy {
		if contains(ci.Columns, k.Column) {
			continue
		}
		ci.Columns = append(ci.Columns, k.Column)
	}
	if len(q.OrderBy) == 0 {
		// No order: the range filter (run_at <= now()) is the next best key.
		for _, p := range q.Filters {
			if p.Range() && !contains(ci.Columns, p.Column) {
				ci.Columns = append(ci.Columns, p.Column)
				break
			}
		}
	}
	ci.Desc = make([]bool, len(ci.Columns))
	mixed := false
	for _, k := range q.OrderBy {
		if k.Desc != allDesc && k.Desc {
			mixed = true
		}
	}
	if mixed {
		// Mixed directions need them in the index; uniform ones are served
		// by a backward scan.
		for i, c := range ci.Columns {
			for _, k := range q.OrderBy {
				if k.Column == c {
					ci.Desc[i] = k.Desc
				}
			}
		}
	}
	return ci
}

// pendingValue finds the runnable state's value from an existing partial
// index predicate, the enum labels, the CHECK constraint or the most common
// values, in that order.
func pendingValue(t *TableInfo, col string) string {
	if t == nil {
		return ""
	}
	for _, ix := range t.Indexes {
		for _, p := range predicateOf(ix.Predicate) {
			if p.Column == col && p.Op == "=" {
				if v := literalValue(p.Value); v != "" && pickPending([]string{v}) != "" {
					return v
				}
			}
		}
	}
	var cands []string
	if c := t.Column(col); c != nil {
		cands = append(cands, c.Labels...)
	}
	for _, chk := range t.Checks {
		if strings.Contains(chk, col) {
			for _, m := range literalRe.FindAllStringSubmatch(chk, -1) {
				cands = append(cands, strings.ReplaceAll(m[1], "''", "'"))
			}
		}
	}
	if c := t.Column(col); c != nil {
		cands = append(cands, c.MostCommon...)
	}
	return pickPending(cands)
}

var literalRe = regexp.MustCompile(`'((?:[^']|'')*)'`)

func pickPending(cands []string) string {
	for _, w := range pendingWords {
		for _, c := range cands {
			if strings.EqualFold(c, w) {
				return c
			}
		}
	}
	return ""
}

// literalValue unwraps 'x'::text to x.
func literalValue(v string) string {
	if m := literalRe.FindStringSubmatch(v); m != nil {
		return strings.ReplaceAll(m[1], "''", "'")
	}
	return ""
}

// predicateOf parses an index predicate into its conjuncts.
func predicateOf(pred string) []Predicate {
	if pred == "" {
		return nil
	}
	tree, err := pg_query.Parse("SELECT 1 WHERE " + pred)
	if err != nil || len(tree.Stmts) == 0 {
		return []Predicate{{Op: "other"}}
	}
	s := tree.Stmts[0].Stmt.GetSelectStmt()
	if s == nil {
		return []Predicate{{Op: "other"}}
	}
	ps := predicates(s.WhereClause)
	if len(ps) == 0 {
		return []Predicate{{Op: "other"}}
	}
	return ps
}

// coverage is how well an existing index serves a claim.
type coverage int

const (
	coversNone   coverage = iota
	coversFilter          // the equality prefix, but a sort is still needed
	coversFull            // filter and order: the scan stops after LIMIT rows
)

// covers reports how well ix serves the claim ci: its partial predicate must
// be implied by the claim's equality filters, its leading keys must be the
// equality columns (in any order) and the keys after them the claim order.
func covers(ix Index, ci claimIndex) coverage {
	if !ix.Valid || (ix.Method != "" && ix.Method != "btree") {
		return coversNone
	}
	pinned := map[string]bool{}
	for _, p := range predicateOf(ix.Predicate) {
		if p.Op != "=" && p.Op != "is null" || !contains(ci.Eq, p.Column) {
			return coversNone // a predicate the claim does not imply
		}
		if p.Column == ci.StateCol && ci.Pending != "" {
			if v := literalValue(p.Value); v != "" && v != ci.Pending {
				return coversNone // partial on another state
			}
		}
		pinned[p.Column] = true
	}
	need := map[string]bool{}
	for _, c := range ci.Eq {
		if !pinned[c] {
			need[c] = true
		}
	}
	i := 0
	for ; i < len(ix.Columns); i++ {
		c := ix.Columns[i]
		if need[c] {
			delete(need, c)
			continue
		}
		if pinned[c] || contains(ci.Eq, c) {
			continue
		}
		break
	}
	if len(need) > 0 {
		return coversNone
	}
	if len(ci.Order) == 0 {
		return coversFull
	}
	forward, backward := true, true
	for _, k := range ci.Order {
		if contains(ci.Eq, k.Column) {
			continue // pinned by equality: any order
		}
		if i >= len(ix.Columns) || ix.Columns[i] != k.Column {
			return coversFilter
		}
		desc := i < len(ix.Desc) && ix.Desc[i]
		forward = forward && desc == k.Desc
		backward = backward && desc != k.Desc
		i++
	}
	if !forward && !backward {
		return coversFilter
	}
	return coversFull
}

// indexedColumns are the plain columns an index's keys, INCLUDE list and
// predicate mention: updating any of them makes an update non-HOT.
func indexedColumns(ix Index) []string {
	var out []string
	for _, c := range append(append([]string{}, ix.Columns...), ix.Include...) {
		out = appendUnique(out, strings.Trim(c, `"`))
	}
	for _, p := range predicateOf(ix.Predicate) {
		if p.Column != "" {
			out = appendUnique(out, p.Column)
		}
	}
	return out
}

func appendUnique(xs []string, x string) []string {
	if contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
