package recommendations

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v5"
)

// Statement is a hot statement's text parsed into the parts the rules use.
type Statement struct {
	QueryID int64  `json:"queryid"`
	Text    string `json:"text"`
	// Fingerprint groups statements that differ only in constants.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Command is "select", "update", "delete", "insert" or "other".
	Command string `json:"command"`
	// Target is the relation an UPDATE/DELETE/INSERT writes, as written.
	Target string `json:"target,omitempty"`
	// SetColumns are the columns an UPDATE sets.
	SetColumns []string `json:"set_columns,omitempty"`
	// Relations are every relation the statement reads or writes, as written.
	Relations []string `json:"relations,omitempty"`
	// Claim is the locking SELECT (FOR UPDATE ...) inside the statement:
	// the dequeue's claim, wherever it sits (CTE, subquery, top level).
	Claim *Query `json:"claim,omitempty"`
	// Locks are every locking SELECT inside the statement, in parse order
	// (Claim is the first). A library's claim may lock more than its jobs
	// (graphile-worker locks its job queues too): facts picks the one on
	// the queue the recorded statement role names.
	Locks []*Query `json:"-"`
	// Where is the top-level filter of a DELETE/UPDATE/SELECT without a
	// locking clause.
	Where []Predicate `json:"where,omitempty"`
	// Notify is set when the statement calls pg_notify or is a NOTIFY.
	Notify bool `json:"notify,omitempty"`
	// ParseError is why the text could not be parsed ("" when it could).
	ParseError string `json:"parse_error,omitempty"`
}

// Query is one SELECT's access shape: which relation, filtered how, in
// which order, how many rows and with which row lock.
type Query struct {
	Relation string      `json:"relation"`
	Filters  []Predicate `json:"filters,omitempty"`
	OrderBy  []SortKey   `json:"order_by,omitempty"`
	// Limit is the LIMIT expression as written ("$2" once normalized).
	Limit string `json:"limit,omitempty"`
	// Lock is "FOR UPDATE", "FOR NO KEY UPDATE", "FOR SHARE" or
	// "FOR KEY SHARE".
	Lock       string `json:"lock,omitempty"`
	SkipLocked bool   `json:"skip_locked,omitempty"`
	NoWait     bool   `json:"nowait,omitempty"`
}

// Predicate is one conjunct of a WHERE clause on a column.
type Predicate struct {
	Column string `json:"column"`
	// Op is "=", "<", "<=", ">", ">=", "<>", "in", "is null",
	// "is not null", "other", or "wrapped" when the column sits inside a
	// function or expression (then Value is the whole comparison).
	Op string `json:"op"`
	// Value is the compared expression deparsed ("$1", "now()", "'x'").
	Value string `json:"value,omitempty"`
	// Expr is the expression wrapping the column (Op "wrapped").
	Expr string `json:"expr,omitempty"`
}

// SortKey is one ORDER BY item on a column.
type SortKey struct {
	Column string `json:"column"`
	Desc   bool   `json:"desc,omitempty"`
}

// Equality reports whether p pins the column to one value.
func (p Predicate) Equality() bool { return p.Op == "=" || p.Op == "is null" }

// Range reports whether p bounds the column from one side.
func (p Predicate) Range() bool {
	switch p.Op {
	case "<", "<=", ">", ">=":
		return true
	}
	return false
}

// ParseStatement parses one (normalized) statement text. It never fails: a
// text pg_query cannot parse comes back with ParseError set.
func ParseStatement(queryID int64, text string) Statement {
	st := Statement{QueryID: queryID, Text: text, Command: "other"}
	if fp, err := pg_query.Fingerprint(text); err == nil {
		st.Fingerprint = fp
	}
	tree, err := pg_query.Parse(text)
	if err != nil {
		st.ParseError = err.Error()
		return st
	}
	if len(tree.Stmts) == 0 {
		st.ParseError = "empty statement"
		return st
	}
	p := &parser{st: &st, seen: map[string]bool{}}
	p.top(tree.Stmts[0].Stmt)
	return st
}

type parser struct {
	st   *Statement
	seen map[string]bool
}

func (p *parser) rel(rv *pg_query.RangeVar) string {
	if rv == nil {
		return ""
	}
	name := rv.Relname
	if rv.Schemaname != "" {
		name = rv.Schemaname + "." + name
	}
	if !p.seen[name] {
		p.seen[name] = true
		p.st.Relations = append(p.st.Relations, name)
	}
	return name
}

func (p *parser) top(n *pg_query.Node) {
	switch {
	case n.GetSelectStmt() != nil:
		p.st.Command = "select"
		s := n.GetSelectStmt()
		if len(s.LockingClause) == 0 {
			p.st.Where = predicates(s.WhereClause)
		}
		p.walk(n)
	case n.GetUpdateStmt() != nil:
		u := n.GetUpdateStmt()
		p.st.Command = "update"
		p.st.Target = p.rel(u.Relation)
		for _, t := range u.TargetList {
			if rt := t.GetResTarget(); rt != nil {
				p.st.SetColumns = append(p.st.SetColumns, rt.Name)
			}
		}
		p.st.Where = predicates(u.WhereClause)
		p.walk(n)
	case n.GetDeleteStmt() != nil:
		d := n.GetDeleteStmt()
		p.st.Command = "delete"
		p.st.Target = p.rel(d.Relation)
		p.st.Where = predicates(d.WhereClause)
		p.walk(n)
	case n.GetInsertStmt() != nil:
		p.st.Command = "insert"
		p.st.Target = p.rel(n.GetInsertStmt().Relation)
		p.walk(n)
	case n.GetNotifyStmt() != nil:
		p.st.Notify = true
	default:
		p.walk(n)
	}
}

// walk visits every node below n, recording relations, the locking SELECT
// and pg_notify calls.
func (p *parser) walk(n *pg_query.Node) {
	if n == nil {
		return
	}
	switch {
	case n.GetSelectStmt() != nil:
		p.selectStmt(n.GetSelectStmt())
	case n.GetUpdateStmt() != nil:
		u := n.GetUpdateStmt()
		p.rel(u.Relation)
		p.withClause(u.WithClause)
		p.walkList(u.FromClause)
		p.walk(u.WhereClause)
		p.walkList(u.TargetList)
		p.walkList(u.ReturningList)
	case n.GetDeleteStmt() != nil:
		d := n.GetDeleteStmt()
		p.rel(d.Relation)
		p.withClause(d.WithClause)
		p.walkList(d.UsingClause)
		p.walk(d.WhereClause)
	case n.GetInsertStmt() != nil:
		i := n.GetInsertStmt()
		p.rel(i.Relation)
		p.withClause(i.WithClause)
		p.walk(i.SelectStmt)
	case n.GetRangeVar() != nil:
		p.rel(n.GetRangeVar())
	case n.GetRangeSubselect() != nil:
		p.walk(n.GetRangeSubselect().Subquery)
	case n.GetJoinExpr() != nil:
		j := n.GetJoinExpr()
		p.walk(j.Larg)
		p.walk(j.Rarg)
		p.walk(j.Quals)
	case n.GetSubLink() != nil:
		p.walk(n.GetSubLink().Testexpr)
		p.walk(n.GetSubLink().Subselect)
	case n.GetBoolExpr() != nil:
		p.walkList(n.GetBoolExpr().Args)
	case n.GetAExpr() != nil:
		p.walk(n.GetAExpr().Lexpr)
		p.walk(n.GetAExpr().Rexpr)
	case n.GetResTarget() != nil:
		p.walk(n.GetResTarget().Val)
	case n.GetFuncCall() != nil:
		f := n.GetFuncCall()
		if funcName(f) == "pg_notify" {
			p.st.Notify = true
		}
		p.walkList(f.Args)
	case n.GetCommonTableExpr() != nil:
		p.walk(n.GetCommonTableExpr().Ctequery)
	case n.GetTypeCast() != nil:
		p.walk(n.GetTypeCast().Arg)
	case n.GetCoalesceExpr() != nil:
		p.walkList(n.GetCoalesceExpr().Args)
	}
}

func (p *parser) walkList(ns []*pg_query.Node) {
	for _, n := range ns {
		p.walk(n)
	}
}

func (p *parser) withClause(w *pg_query.WithClause) {
	if w != nil {
		p.walkList(w.Ctes)
	}
}

func (p *parser) selectStmt(s *pg_query.SelectStmt) {
	if s == nil {
		return
	}
	p.withClause(s.WithClause)
	if s.Larg != nil || s.Rarg != nil {
		p.selectStmt(s.Larg)
		p.selectStmt(s.Rarg)
		return
	}
	before := p.st.Claim
	p.walkList(s.FromClause)
	p.walk(s.WhereClause)
	p.walkList(s.TargetList)
	// The outer locking SELECT is the claim, not one nested in its WHERE
	// (graphile-worker's job-queue lock inside its job claim), and a FOR
	// KEY SHARE select (Postgres' own foreign-key check) never is. Every
	// locking SELECT is kept in Locks, for facts to pick the one on the
	// queue the recorded claim role names.
	if len(s.LockingClause) > 0 {
		q := claimQuery(s)
		p.st.Locks = append(p.st.Locks, q)
		if before == nil && !keyShareOnly(s) {
			p.st.Claim = q
		}
	}
}

// keyShareOnly reports whether every row lock of s is FOR KEY SHARE: the
// lock Postgres' own foreign-key checks take on the referenced row
// (SELECT 1 FROM ONLY parent x WHERE key = $1 FOR KEY SHARE OF x, run at
// every insert into the referencing table, e.g. pg-boss's send and its
// deferred foreign key to pgboss.queue). It never claims a job.
func keyShareOnly(s *pg_query.SelectStmt) bool {
	for _, n := range s.LockingClause {
		lc := n.GetLockingClause()
		if lc == nil || lc.Strength != pg_query.LockClauseStrength_LCS_FORKEYSHARE {
			return false
		}
	}
	return true
}

// claimQuery reads a locking SELECT over one relation.
func claimQuery(s *pg_query.SelectStmt) *Query {
	q := &Query{}
	for _, f := range s.FromClause {
		if rv := f.GetRangeVar(); rv != nil {
			q.Relation = rv.Relname
			if rv.Schemaname != "" {
				q.Relation = rv.Schemaname + "." + rv.Relname
			}
			break
		}
	}
	q.Filters = predicates(s.WhereClause)
	for _, n := range s.SortClause {
		sb := n.GetSortBy()
		if sb == nil {
			continue
		}
		col := columnName(sb.Node)
		if col == "" {
			continue
		}
		q.OrderBy = append(q.OrderBy, SortKey{Column: col, Desc: sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC})
	}
	if s.LimitCount != nil {
		q.Limit = deparseExpr(s.LimitCount)
	}
	lc := s.LockingClause[0].GetLockingClause()
	if lc != nil {
		switch lc.Strength {
		case pg_query.LockClauseStrength_LCS_FORUPDATE:
			q.Lock = "FOR UPDATE"
		case pg_query.LockClauseStrength_LCS_FORNOKEYUPDATE:
			q.Lock = "FOR NO KEY UPDATE"
		case pg_query.LockClauseStrength_LCS_FORSHARE:
			q.Lock = "FOR SHARE"
		case pg_query.LockClauseStrength_LCS_FORKEYSHARE:
			q.Lock = "FOR KEY SHARE"
		}
		q.SkipLocked = lc.WaitPolicy == pg_query.LockWaitPolicy_LockWaitSkip
		q.NoWait = lc.WaitPolicy == pg_query.LockWaitPolicy_LockWaitError
	}
	return q
}

// predicates splits a WHERE clause into its AND-ed conjuncts on columns.
// Conjuncts that do not compare a column (OR groups, EXISTS...) are left out:
// an index can only serve the AND-ed column comparisons anyway.
func predicates(n *pg_query.Node) []Predicate {
	if n == nil {
		return nil
	}
	if b := n.GetBoolExpr(); b != nil {
		if b.Boolop != pg_query.BoolExprType_AND_EXPR {
			return nil
		}
		var out []Predicate
		for _, a := range b.Args {
			out = append(out, predicates(a)...)
		}
		return out
	}
	if nt := n.GetNullTest(); nt != nil {
		col := columnName(nt.Arg)
		if col == "" {
			return nil
		}
		op := "is null"
		if nt.Nulltesttype == pg_query.NullTestType_IS_NOT_NULL {
			op = "is not null"
		}
		return []Predicate{{Column: col, Op: op}}
	}
	e := n.GetAExpr()
	if e == nil {
		return nil
	}
	op := ""
	if len(e.Name) == 1 {
		op = e.Name[0].GetString_().GetSval()
	}
	lcol, rcol := columnName(e.Lexpr), columnName(e.Rexpr)
	switch e.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		if lcol == "" && rcol != "" {
			lcol, op = rcol, flipOp(op)
			e = &pg_query.A_Expr{Lexpr: e.Rexpr, Rexpr: e.Lexpr}
		}
		if lcol == "" {
			// A column inside a function or expression (lower(queue) =
			// $1): no plain index on the column can serve it.
			cmp := deparseExpr(e.Lexpr) + " " + op + " " + deparseExpr(e.Rexpr)
			if inner := wrappedColumn(e.Lexpr); inner != "" {
				return []Predicate{{Column: inner, Op: "wrapped", Value: cmp, Expr: deparseExpr(e.Lexpr)}}
			}
			if inner := wrappedColumn(e.Rexpr); inner != "" {
				return []Predicate{{Column: inner, Op: "wrapped", Value: cmp, Expr: deparseExpr(e.Rexpr)}}
			}
			return nil
		}
		switch op {
		case "=", "<", "<=", ">", ">=", "<>":
		case "!=":
			op = "<>"
		default:
			op = "other"
		}
		return []Predicate{{Column: lcol, Op: op, Value: deparseExpr(e.Rexpr)}}
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_IN:
		if lcol == "" || (op != "=" && op != "") {
			return nil
		}
		v := deparseExpr(e.Rexpr)
		if l := e.Rexpr.GetList(); l != nil {
			// IN (a, b) holds a bare list, which deparses to nothing.
			var items []string
			for _, it := range l.Items {
				items = append(items, deparseExpr(it))
			}
			v = "(" + strings.Join(items, ", ") + ")"
		}
		return []Predicate{{Column: lcol, Op: "in", Value: v}}
	}
	return nil
}

// wrappedColumn is the column inside a function call or arithmetic
// expression (lower(queue), run_at + interval, coalesce(run_at, ...)), or "".
func wrappedColumn(n *pg_query.Node) string {
	if n == nil {
		return ""
	}
	if f := n.GetFuncCall(); f != nil {
		for _, a := range f.Args {
			if c := columnName(a); c != "" {
				return c
			}
		}
	}
	if c := n.GetCoalesceExpr(); c != nil {
		for _, a := range c.Args {
			if col := columnName(a); col != "" {
				return col
			}
		}
	}
	if e := n.GetAExpr(); e != nil {
		if c := columnName(e.Lexpr); c != "" {
			return c
		}
		return columnName(e.Rexpr)
	}
	return ""
}

func flipOp(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
}

// columnName is the column a node refers to (unwrapping casts), or "".
func columnName(n *pg_query.Node) string {
	if n == nil {
		return ""
	}
	if tc := n.GetTypeCast(); tc != nil {
		return columnName(tc.Arg)
	}
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) == 0 {
		return ""
	}
	return cr.Fields[len(cr.Fields)-1].GetString_().GetSval()
}

func funcName(f *pg_query.FuncCall) string {
	if len(f.Funcname) == 0 {
		return ""
	}
	return f.Funcname[len(f.Funcname)-1].GetString_().GetSval()
}

// deparseExpr renders an expression back to SQL by deparsing it inside a
// SELECT; "" when that fails.
func deparseExpr(n *pg_query.Node) string {
	if n == nil {
		return ""
	}
	tree := &pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: &pg_query.Node{Node: &pg_query.Node_SelectStmt{
		SelectStmt: &pg_query.SelectStmt{TargetList: []*pg_query.Node{{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Val: n}}}}},
	}}}}}
	s, err := pg_query.Deparse(tree)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(s, "SELECT ")
}

// String renders the shape compactly for rationales: "WHERE a = $1 AND
// b <= now() ORDER BY c, d LIMIT $2 FOR UPDATE SKIP LOCKED".
func (q *Query) String() string {
	var b strings.Builder
	for i, f := range q.Filters {
		if i == 0 {
			b.WriteString("WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		switch f.Op {
		case "is null", "is not null":
			fmt.Fprintf(&b, "%s %s", f.Column, strings.ToUpper(f.Op))
		case "in":
			fmt.Fprintf(&b, "%s IN (%s)", f.Column, f.Value)
		case "wrapped":
			b.WriteString(f.Value)
		default:
			fmt.Fprintf(&b, "%s %s %s", f.Column, f.Op, f.Value)
		}
	}
	for i, k := range q.OrderBy {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(k.Column)
		if k.Desc {
			b.WriteString(" DESC")
		}
	}
	if q.Limit != "" {
		b.WriteString(" LIMIT " + q.Limit)
	}
	if q.Lock != "" {
		b.WriteString(" " + q.Lock)
		if q.SkipLocked {
			b.WriteString(" SKIP LOCKED")
		}
		if q.NoWait {
			b.WriteString(" NOWAIT")
		}
	}
	return strings.TrimSpace(b.String())
}
