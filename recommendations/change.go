package recommendations

import (
	"errors"
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

// Scope says where the change one statement makes lives, and so what has
// to undo it when a validation repetition ends.
type Scope int

const (
	// ScopeObject is a change to schema objects (an index, a table's
	// storage parameters): it lives and dies with the schema.
	ScopeObject Scope = iota
	// ScopeDatabase is ALTER DATABASE ... SET / RESET: it outlives the
	// schema and applies to new sessions of that database.
	ScopeDatabase
	// ScopeSystem is ALTER SYSTEM: it outlives the database and applies to
	// the whole server after a reload (or a restart).
	ScopeSystem
	// ScopeSession is SET / RESET: it lasts for the session that ran it.
	ScopeSession
	// ScopeCall is a function call (pg_reload_conf(), pg_terminate_backend()):
	// an action, not a state to undo.
	ScopeCall
)

// String names the scope.
func (s Scope) String() string {
	switch s {
	case ScopeObject:
		return "object"
	case ScopeDatabase:
		return "database"
	case ScopeSystem:
		return "system"
	case ScopeSession:
		return "session"
	case ScopeCall:
		return "call"
	}
	return fmt.Sprintf("Scope(%d)", int(s))
}

// Change is one statement of a recommendation (or of its rollback),
// classified from its parse tree rather than from its text.
type Change struct {
	SQL   string
	Scope Scope
	// Setting is the parameter an ALTER SYSTEM / ALTER DATABASE / SET
	// statement changes ("" otherwise).
	Setting string
	// Index is the schema-qualified name of the index a CREATE INDEX
	// statement creates ("" otherwise, or when unnamed).
	Index string
}

// ErrNoRollback is returned for a recommendation whose rollback is not SQL
// that undoes it: prose ("None: the session is gone"), a session-level
// RESET, or nothing at all. Validation on a live target refuses those: it
// could not put the target back between repetitions.
var ErrNoRollback = errors.New("recommendation has no safe rollback")

// Changes splits sql into statements and classifies each from its parse
// tree. Comments are left out.
func Changes(sql string) ([]Change, error) {
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	parts, err := pg_query.SplitWithParser(sql, true)
	if err != nil {
		return nil, fmt.Errorf("split: %w", err)
	}
	var texts []string
	for _, p := range parts {
		if stripComments(p) != "" {
			texts = append(texts, p)
		}
	}
	if len(texts) != len(tree.Stmts) {
		return nil, fmt.Errorf("split %d statements but parsed %d", len(texts), len(tree.Stmts))
	}
	out := make([]Change, 0, len(tree.Stmts))
	for i, raw := range tree.Stmts {
		c := Change{SQL: texts[i], Scope: ScopeObject}
		switch n := raw.Stmt.GetNode().(type) {
		case *pg_query.Node_AlterSystemStmt:
			c.Scope = ScopeSystem
			c.Setting = n.AlterSystemStmt.GetSetstmt().GetName()
		case *pg_query.Node_AlterDatabaseSetStmt:
			c.Scope = ScopeDatabase
			c.Setting = n.AlterDatabaseSetStmt.GetSetstmt().GetName()
		case *pg_query.Node_VariableSetStmt:
			c.Scope = ScopeSession
			c.Setting = n.VariableSetStmt.GetName()
		case *pg_query.Node_SelectStmt:
			c.Scope = ScopeCall
		case *pg_query.Node_IndexStmt:
			if name := n.IndexStmt.GetIdxname(); name != "" {
				c.Index = name
				if schema := n.IndexStmt.GetRelation().GetSchemaname(); schema != "" {
					c.Index = schema + "." + name
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// RecChanges classifies the statements Apply would execute for r.
func RecChanges(r runrec.Recommendation) ([]Change, error) {
	if _, err := Statements(r); err != nil {
		return nil, err
	}
	ch, err := Changes(r.SQL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.ID, err)
	}
	return ch, nil
}

// Outlives reports whether r changes something a fresh schema does not
// reset: a database- or server-wide setting.
func Outlives(r runrec.Recommendation) bool {
	ch, err := Changes(r.SQL)
	if err != nil {
		return false
	}
	for _, c := range ch {
		if c.Scope == ScopeDatabase || c.Scope == ScopeSystem {
			return true
		}
	}
	return false
}

// RollbackOf returns r with its rollback as its SQL, ready for Apply, when
// the rollback is SQL that undoes every change r makes; otherwise an error
// wrapping ErrNoRollback says why not. A setting changed by ALTER SYSTEM or
// ALTER DATABASE must be reset at the same scope; an index or table change
// needs at least one object-level statement.
func RollbackOf(r runrec.Recommendation) (runrec.Recommendation, error) {
	do, err := RecChanges(r)
	if err != nil {
		return runrec.Recommendation{}, err
	}
	undo, err := Changes(r.Rollback)
	if err != nil || len(undo) == 0 {
		return runrec.Recommendation{}, fmt.Errorf("%s: its rollback %q is not SQL to run: %w", r.ID, truncate(r.Rollback, 60), ErrNoRollback)
	}
	undone := func(c Change) bool {
		for _, u := range undo {
			switch {
			case c.Scope == ScopeObject && u.Scope == ScopeObject:
				return true
			case c.Scope == u.Scope && c.Setting == u.Setting && c.Setting != "":
				return true
			}
		}
		return false
	}
	for _, c := range do {
		if c.Scope == ScopeCall || c.Scope == ScopeSession {
			// pg_reload_conf() is undone by the reset before the next
			// reload; a session SET never reaches Apply (Statements).
			if c.Scope == ScopeCall && !reloadCall(c.SQL) {
				return runrec.Recommendation{}, fmt.Errorf("%s: %q is an action that cannot be taken back: %w", r.ID, truncate(c.SQL, 60), ErrNoRollback)
			}
			continue
		}
		if !undone(c) {
			return runrec.Recommendation{}, fmt.Errorf("%s: its rollback does not undo %q (%s-wide): %w", r.ID, truncate(c.SQL, 60), c.Scope, ErrNoRollback)
		}
	}
	return runrec.Recommendation{ID: r.ID, Kind: r.Kind, Target: r.Target, SQL: r.Rollback}, nil
}

// reloadCall reports whether sql is SELECT pg_reload_conf(): the only call
// a settings recommendation makes, harmless to repeat.
func reloadCall(sql string) bool {
	tree, err := pg_query.Parse(sql)
	if err != nil || len(tree.Stmts) != 1 {
		return false
	}
	sel := tree.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.GetTargetList()) != 1 || len(sel.GetFromClause()) != 0 {
		return false
	}
	fc := sel.GetTargetList()[0].GetResTarget().GetVal().GetFuncCall()
	if fc == nil || len(fc.GetFuncname()) == 0 {
		return false
	}
	name := fc.GetFuncname()[len(fc.GetFuncname())-1].GetString_().GetSval()
	return name == "pg_reload_conf"
}
