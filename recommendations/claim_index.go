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
	Table    string   // schema.table
	Columns  []string // key columns in order
	Desc     []bool
	StateCol string // "" when no state column was recognized
	Pending  string // the waiting state's value ("" when unknown)
	// StateIn are the literal states of state IN ('a', 'b') ("" for
	// other shapes).
	StateIn   []string
	Predicate string // "state = 'pending'", "state < 'active'" or ""
	// Eq are the claim's equality columns, Order its ORDER BY columns.
	Eq    []string
	Order []SortKey
	// Filters are the claim's WHERE conjuncts.
	Filters []Predicate
}

// pendingWords are the names queue libraries give the runnable state, in
// order of preference. "available" comes first: River's enum has both, and
// its "pending" is a state jobs are not claimed from.
var pendingWords = []string{"available", "pending", "queued", "ready", "created", "new", "waiting", "scheduled", "retry", "retryable"}

var stateColRe = regexp.MustCompile(`^(state|status|job_state|job_status)$`)

// designClaimIndex derives the index a claim query needs from its shape and
// the table's catalog entry (nil when no snapshot).
//
// The partial predicate is only ever one the claim implies: the state
// column compared with a literal (state = 'x', state < 'active', state IN
// ('a', 'b')) gives that comparison; state = $n gives state = the runnable
// value when the catalog names it (the claim's $n is that constant);
// state IN ($n, ...) or = ANY($n) gives none, and the column is then no key
// either (a list of values breaks the order the scan returns).
func designClaimIndex(q *Query, table string, t *TableInfo) claimIndex {
	ci := claimIndex{Table: table, Filters: q.Filters}
	for _, p := range q.Filters {
		if p.Equality() {
			ci.Eq = appendUnique(ci.Eq, p.Column)
		}
	}
	ci.Order = q.OrderBy
	// The state column: a recognized name or an enum with a runnable label.
	var statePred *Predicate
	for i, p := range q.Filters {
		if stateColRe.MatchString(p.Column) {
			ci.StateCol, statePred = p.Column, &q.Filters[i]
			break
		}
		if t != nil {
			if col := t.Column(p.Column); col != nil && len(col.Labels) > 0 && pickPending(col.Labels) != "" {
				ci.StateCol, statePred = p.Column, &q.Filters[i]
				break
			}
		}
	}
	if statePred != nil {
		lit := literalValue(statePred.Value)
		switch {
		case statePred.Op == "=" && lit != "":
			ci.Pending = lit
			ci.Predicate = quoteIdent(ci.StateCol) + " = " + quoteLiteral(lit)
		case statePred.Op == "=":
			ci.Pending = pendingValue(t, ci.StateCol)
			if ci.Pending != "" {
				ci.Predicate = quoteIdent(ci.StateCol) + " = " + quoteLiteral(ci.Pending)
			}
		case statePred.Range() && lit != "" && isLiteral(statePred.Value):
			ci.Predicate = quoteIdent(ci.StateCol) + " " + statePred.Op + " " + quoteLiteral(lit)
		case statePred.Op == "in":
			if vals := literalList(statePred.Value); len(vals) > 0 {
				var qs []string
				for _, v := range vals {
					qs = append(qs, quoteLiteral(v))
				}
				ci.Predicate = quoteIdent(ci.StateCol) + " IN (" + strings.Join(qs, ", ") + ")"
				ci.StateIn = vals
			}
		}
	}
	partial := ci.Predicate != ""
	// Equality columns first: the scan then starts at the one matching
	// value and reads index order from there.
	var eqs []string
	for _, p := range q.Filters {
		if p.Column == ci.StateCol && (partial || p.Op == "in") {
			continue
		}
		if p.Equality() {
			eqs = appendUnique(eqs, p.Column)
		}
	}
	ci.Columns = eqs
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
			if p.Range() && p.Column != ci.StateCol && !contains(ci.Columns, p.Column) {
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

// isLiteral reports whether a deparsed value is a string literal (possibly
// cast), not a parameter or an expression.
func isLiteral(v string) bool {
	v = strings.TrimSpace(v)
	return strings.HasPrefix(v, "'")
}

// literalList returns the values of a literal list ('a', 'b' in any of the
// forms IN (...) or ARRAY[...] deparse to), or nil when any member is not a
// literal ($n, an expression).
func literalList(v string) []string {
	if strings.Contains(v, "$") {
		return nil
	}
	var out []string
	for _, m := range literalRe.FindAllStringSubmatch(v, -1) {
		out = append(out, strings.ReplaceAll(m[1], "''", "'"))
	}
	return out
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
		if !implied(p, ci) {
			return coversNone // a predicate the claim does not imply
		}
		if p.Equality() && contains(ci.Eq, p.Column) {
			pinned[p.Column] = true
		}
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

// implied reports whether the claim ci implies the index predicate
// conjunct p, so the planner can use the partial index for it.
func implied(p Predicate, ci claimIndex) bool {
	if p.Column == "" {
		return false
	}
	if p.Column == ci.StateCol && ci.Predicate != "" {
		want := predicateOf(ci.Predicate)
		if len(want) == 1 && want[0].Op == p.Op {
			if p.Op == "in" {
				have := literalList(p.Value)
				for _, v := range ci.StateIn {
					if !contains(have, v) {
						return false
					}
				}
				return len(have) > 0
			}
			return literalValue(want[0].Value) == literalValue(p.Value)
		}
		if p.Op == "=" && len(want) == 1 && want[0].Op == "=" {
			return literalValue(want[0].Value) == literalValue(p.Value)
		}
		// state = 'x' under a claim of state IN ('x') is implied too.
		if p.Op == "in" && len(ci.StateIn) == 0 && ci.Pending != "" {
			return contains(literalList(p.Value), ci.Pending)
		}
		return false
	}
	if p.Equality() && contains(ci.Eq, p.Column) {
		if p.Column == ci.StateCol && ci.Pending != "" {
			if v := literalValue(p.Value); v != "" && v != ci.Pending {
				return false // partial on another state
			}
		}
		return true
	}
	for _, c := range ci.Filters {
		if c.Column == p.Column && c.Op == p.Op && (p.Op == "is null" || p.Op == "is not null" ||
			isLiteral(c.Value) && literalValue(c.Value) == literalValue(p.Value)) {
			return true
		}
	}
	return false
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
