package libraries

import (
	"regexp"
	"strings"
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v5"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// shape is what a statement does, read from its parse tree: which tables it
// writes and how, which rows it locks, which functions it calls. Statement
// classifiers work on shapes rather than on substrings of the text, so a
// comment, a CTE or a quoted name does not change the answer.
type shape struct {
	// text is the statement as given; lower is it lower-cased.
	text, lower string
	// parsed is false when pg_query could not parse the text (truncated
	// texts, a library's dialect); classifiers then fall back to the text.
	parsed bool
	// command is the top-level statement: select, insert, update, delete
	// or other.
	command string
	// writes are every INSERT, UPDATE and DELETE in the statement, CTEs and
	// subqueries included, outermost first.
	writes []write
	// locks are the row-locking SELECTs, outermost first.
	locks []lock
	// rels are every relation named (see relName).
	rels []string
	// funcs are the functions called, lower-cased as written ("pgmq.read").
	funcs []string
	// only is set when a relation is named with ONLY, and riOperator when a
	// comparison is spelled OPERATOR(pg_catalog.=): together they are how
	// Postgres' referential-integrity triggers write their queries.
	only, riOperator bool
	// aggregate is set when the top-level SELECT list calls count/sum/...
	aggregate bool
	// sqlcName is the query's name from a leading sqlc "-- name: X" comment
	// (River's driver sends its queries with it).
	sqlcName string
}

// write is one data-changing statement inside a statement.
type write struct {
	command string // insert, update, delete
	rel     string // see relName
	sets    []string
	// byID is set when the WHERE picks rows by an id column (= $1, IN,
	// ANY, or a join on id): the statement finishes given jobs rather than
	// sweeping by age or state.
	byID bool
	// returning is set when the statement returns rows.
	returning bool
}

// lock is one row-locking SELECT.
type lock struct {
	rel      string // the locked relation (see relName)
	strength string // "update", "no key update", "share", "key share"
	skip     bool   // SKIP LOCKED
}

// exclusive reports whether the lock is one a claim takes (FOR UPDATE or
// FOR NO KEY UPDATE); FOR SHARE and FOR KEY SHARE only keep a row alive.
func (l lock) exclusive() bool { return l.strength == "update" || l.strength == "no key update" }

var sqlcNameRE = regexp.MustCompile(`(?m)^\s*--\s*name:\s*([A-Za-z0-9_]+)`)

// shapeCache memoizes parses: the sampler and the loader decide over the
// same few dozen texts again and again.
var shapeCache struct {
	sync.Mutex
	m map[string]*shape
}

const shapeCacheMax = 4096

// shapeOf parses text (cached).
func shapeOf(text string) *shape {
	shapeCache.Lock()
	s, ok := shapeCache.m[text]
	shapeCache.Unlock()
	if ok {
		return s
	}
	s = parseShape(text)
	shapeCache.Lock()
	if shapeCache.m == nil || len(shapeCache.m) >= shapeCacheMax {
		shapeCache.m = map[string]*shape{}
	}
	shapeCache.m[text] = s
	shapeCache.Unlock()
	return s
}

func parseShape(text string) *shape {
	s := &shape{text: text, lower: strings.ToLower(text), command: "other"}
	if m := sqlcNameRE.FindStringSubmatch(text); m != nil {
		s.sqlcName = m[1]
	}
	tree, err := pg_query.Parse(text)
	if err != nil || len(tree.Stmts) == 0 {
		return s
	}
	s.parsed = true
	top := tree.Stmts[0].Stmt
	switch {
	case top.GetSelectStmt() != nil:
		s.command = "select"
		for _, t := range top.GetSelectStmt().TargetList {
			if rt := t.GetResTarget(); rt != nil && isAggregate(rt.Val) {
				s.aggregate = true
			}
		}
	case top.GetInsertStmt() != nil:
		s.command = "insert"
	case top.GetUpdateStmt() != nil:
		s.command = "update"
	case top.GetDeleteStmt() != nil:
		s.command = "delete"
	}
	seen := map[string]bool{}
	walk(top, func(m proto.Message) {
		switch n := m.(type) {
		case *pg_query.RangeVar:
			name := relName(n)
			if !seen[name] {
				seen[name] = true
				s.rels = append(s.rels, name)
			}
			if !n.Inh {
				s.only = true
			}
		case *pg_query.FuncCall:
			s.funcs = append(s.funcs, funcName(n.Funcname))
		case *pg_query.A_Expr:
			if len(n.Name) == 2 && n.Name[0].GetString_().GetSval() == "pg_catalog" {
				s.riOperator = true
			}
		case *pg_query.SelectStmt:
			s.locks = append(s.locks, locksOf(n)...)
		case *pg_query.InsertStmt:
			s.writes = append(s.writes, write{command: "insert", rel: relName(n.Relation), returning: len(n.ReturningList) > 0})
		case *pg_query.UpdateStmt:
			w := write{command: "update", rel: relName(n.Relation), byID: byID(n.WhereClause), returning: len(n.ReturningList) > 0}
			for _, t := range n.TargetList {
				if rt := t.GetResTarget(); rt != nil {
					w.sets = append(w.sets, strings.ToLower(rt.Name))
				}
			}
			s.writes = append(s.writes, w)
		case *pg_query.DeleteStmt:
			s.writes = append(s.writes, write{command: "delete", rel: relName(n.Relation), byID: byID(n.WhereClause), returning: len(n.ReturningList) > 0})
		}
	})
	return s
}

// walk calls fn on every parse-tree message below n, parents before
// children, in field order: the outer SELECT of a statement comes before
// the subqueries inside it.
func walk(n *pg_query.Node, fn func(proto.Message)) {
	if n == nil {
		return
	}
	walkMsg(n.ProtoReflect(), fn)
}

func walkMsg(m protoreflect.Message, fn func(proto.Message)) {
	if !m.IsValid() {
		return
	}
	if _, isNode := m.Interface().(*pg_query.Node); !isNode {
		fn(m.Interface())
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walkMsg(l.Get(i).Message(), fn)
			}
		case fd.Message() != nil && !fd.IsMap():
			walkMsg(v.Message(), fn)
		}
		return true
	})
}

// relName is schema.table (or table) as the parser resolved it: unquoted
// names folded to lower case, quoted ones kept.
func relName(rv *pg_query.RangeVar) string {
	if rv == nil {
		return ""
	}
	if rv.Schemaname != "" {
		return rv.Schemaname + "." + rv.Relname
	}
	return rv.Relname
}

func funcName(parts []*pg_query.Node) string {
	var names []string
	for _, p := range parts {
		names = append(names, strings.ToLower(p.GetString_().GetSval()))
	}
	return strings.Join(names, ".")
}

func isAggregate(n *pg_query.Node) bool {
	if n == nil {
		return false
	}
	if tc := n.GetTypeCast(); tc != nil {
		return isAggregate(tc.Arg)
	}
	f := n.GetFuncCall()
	if f == nil {
		return false
	}
	switch funcName(f.Funcname) {
	case "count", "sum", "avg", "min", "max", "pg_catalog.count":
		return true
	}
	return false
}

// locksOf reads the locking clauses of one SELECT: FOR UPDATE OF x locks
// the relation aliased x, a bare FOR UPDATE every relation of its FROM
// (the first one is recorded).
func locksOf(s *pg_query.SelectStmt) []lock {
	if len(s.LockingClause) == 0 {
		return nil
	}
	alias := map[string]string{}
	var first string
	for _, f := range s.FromClause {
		collectAliases(f, alias, &first)
	}
	var out []lock
	for _, n := range s.LockingClause {
		lc := n.GetLockingClause()
		if lc == nil {
			continue
		}
		l := lock{skip: lc.WaitPolicy == pg_query.LockWaitPolicy_LockWaitSkip}
		switch lc.Strength {
		case pg_query.LockClauseStrength_LCS_FORUPDATE:
			l.strength = "update"
		case pg_query.LockClauseStrength_LCS_FORNOKEYUPDATE:
			l.strength = "no key update"
		case pg_query.LockClauseStrength_LCS_FORSHARE:
			l.strength = "share"
		case pg_query.LockClauseStrength_LCS_FORKEYSHARE:
			l.strength = "key share"
		}
		if len(lc.LockedRels) == 0 {
			l.rel = first
			out = append(out, l)
			continue
		}
		for _, r := range lc.LockedRels {
			rv := r.GetRangeVar()
			if rv == nil {
				continue
			}
			name := rv.Relname
			if real, ok := alias[name]; ok {
				name = real
			}
			l.rel = name
			out = append(out, l)
		}
	}
	return out
}

// collectAliases maps the aliases (and bare names) of a FROM item's
// relations to their names; first is the first relation met.
func collectAliases(n *pg_query.Node, alias map[string]string, first *string) {
	switch {
	case n.GetRangeVar() != nil:
		rv := n.GetRangeVar()
		name := relName(rv)
		if *first == "" {
			*first = name
		}
		alias[rv.Relname] = name
		if rv.Alias != nil {
			alias[rv.Alias.Aliasname] = name
		}
	case n.GetJoinExpr() != nil:
		collectAliases(n.GetJoinExpr().Larg, alias, first)
		collectAliases(n.GetJoinExpr().Rarg, alias, first)
	}
}

// idColumns name a job by its key in the libraries pgqtune knows.
var idColumns = map[string]bool{"id": true, "msg_id": true, "job_id": true}

// byID reports whether a WHERE clause picks rows by an id column.
func byID(where *pg_query.Node) bool {
	found := false
	walk(where, func(m proto.Message) {
		switch n := m.(type) {
		case *pg_query.A_Expr:
			if isIDColumn(n.Lexpr) || isIDColumn(n.Rexpr) {
				found = true
			}
		case *pg_query.SubLink:
			if isIDColumn(n.Testexpr) {
				found = true
			}
		}
	})
	return found
}

func isIDColumn(n *pg_query.Node) bool {
	if n == nil {
		return false
	}
	if tc := n.GetTypeCast(); tc != nil {
		return isIDColumn(tc.Arg)
	}
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) == 0 {
		return false
	}
	return idColumns[strings.ToLower(cr.Fields[len(cr.Fields)-1].GetString_().GetSval())]
}

// bare is the table part of a possibly schema-qualified name.
func bare(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// schemaOf is the schema part of a qualified name ("" when unqualified).
func schemaOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[:i]
	}
	return ""
}

// hasFunc reports whether the statement calls a function named name
// (qualified as "schema.fn" or bare).
func (s *shape) hasFunc(names ...string) bool {
	for _, f := range s.funcs {
		for _, n := range names {
			if f == n || bare(f) == n && !strings.Contains(n, ".") {
				return true
			}
		}
	}
	return false
}

// funcIn reports whether the statement calls a function of schema whose
// name is one of names.
func (s *shape) funcIn(schema string, names ...string) bool {
	for _, f := range s.funcs {
		if schemaOf(f) != schema {
			continue
		}
		for _, n := range names {
			if bare(f) == n {
				return true
			}
		}
	}
	return false
}

// writesTo returns the writes to a table whose bare name is one of names.
func (s *shape) writesTo(command string, names ...string) []write {
	var out []write
	for _, w := range s.writes {
		if command != "" && w.command != command {
			continue
		}
		for _, n := range names {
			if bare(w.rel) == n {
				out = append(out, w)
				break
			}
		}
	}
	return out
}

// locksOn returns the exclusive locks taken on a table whose bare name is
// one of names.
func (s *shape) locksOn(names ...string) []lock {
	var out []lock
	for _, l := range s.locks {
		if !l.exclusive() {
			continue
		}
		for _, n := range names {
			if bare(l.rel) == n {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

// fkCheck reports whether the statement is one Postgres' foreign-key
// triggers run: SELECT 1 FROM ONLY parent x WHERE key OPERATOR(pg_catalog.=)
// $1 FOR KEY SHARE OF x (and the cascades, which spell their comparisons
// the same way on ONLY tables).
func (s *shape) fkCheck() bool {
	if !s.parsed {
		return strings.Contains(s.lower, "for key share of x") && strings.Contains(s.lower, "operator(pg_catalog.")
	}
	if !s.only || !s.riOperator {
		return false
	}
	for _, l := range s.locks {
		if l.strength == "key share" || l.strength == "share" {
			return true
		}
	}
	return s.command == "update" || s.command == "delete"
}

// advisoryOnly reports whether the statement only takes an advisory lock.
func (s *shape) advisoryOnly() bool {
	if len(s.rels) > 0 || len(s.writes) > 0 {
		return false
	}
	for _, f := range s.funcs {
		if strings.Contains(bare(f), "advisory") {
			return true
		}
	}
	return false
}

// stats reports whether the statement only counts or aggregates rows: a
// SELECT with an aggregate in its list and no write and no lock anywhere.
func (s *shape) stats() bool {
	return s.command == "select" && s.aggregate && len(s.writes) == 0 && len(s.locks) == 0
}
