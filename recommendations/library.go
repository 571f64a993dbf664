package recommendations

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pgqtune/pgqtune/libraries"
)

// library returns the profile of the queue library that owns table and
// the profile's entry for it, preferring the libraries the sampler
// detected in the run. Both are nil for a table no library owns.
func (f *facts) library(table string) (*libraries.Profile, *libraries.Table) {
	p := libraries.Detect(f.detectedLibraries(), table)
	if p == nil {
		return nil, nil
	}
	return p, p.TableFor(p.Canonical(table))
}

// adapterLibrary maps pgqtune's run adapters to the library each drives.
var adapterLibrary = map[string]string{
	"pgboss": libraries.PGBoss, "pgmq": libraries.PGMQ, "river": libraries.River, "skiplocked": libraries.SkipLocked,
}

// detectedLibraries are the libraries the run saw: the sampler's list,
// the systems it recognized queue tables as, and the adapter pgqtune
// drove.
func (f *facts) detectedLibraries() []string {
	if f.in.Run == nil {
		return nil
	}
	if f.detected != nil {
		return f.detected
	}
	out := append([]string{}, f.in.Run.Meta.Libraries...)
	for i := range f.in.Run.Samples {
		for _, q := range f.in.Run.Samples[i].Queues {
			if q.System != "" && libraries.ByName(q.System) != nil {
				out = appendUnique(out, q.System)
			}
		}
	}
	if a, ok := f.in.Run.Meta.Workload["adapter"].(string); ok && adapterLibrary[a] != "" {
		out = appendUnique(out, adapterLibrary[a])
	}
	f.detected = out
	return out
}

// foreignLibrary is library for tables pgqtune does not own: a queue
// library's tables, whose schema its migrations control. It returns nil
// for pgqtune's own table and for tables no library owns.
func (f *facts) foreignLibrary(table string) (*libraries.Profile, *libraries.Table) {
	p, t := f.library(table)
	if p == nil || p.Owned {
		return nil, nil
	}
	return p, t
}

// managedBy names the queue library whose migrations own table, or "".
func managedBy(table string) string {
	if p := libraries.ForTable(table); p != nil && !p.Owned {
		return p.Name
	}
	return ""
}

// libraryLabel is what an index pgqtune adds on a library's table must
// say about itself.
func libraryLabel(p *libraries.Profile, table string) string {
	s := fmt.Sprintf("This index is added by pgqtune on %s, a table %s owns; it is not one of %s's own indexes.", table, p.Name, p.Name)
	if p.Upgrade != "" {
		s += " On upgrades: " + p.Upgrade + "."
	}
	return s
}

var plainKeyRe = regexp.MustCompile(`^([a-z_][a-z0-9_$]*)((?: [a-z_]+_ops)?(?: (?:ASC|DESC))?(?: NULLS (?:FIRST|LAST))?)$`)

// renderKey writes one index key of a profile: a column (quoted, with its
// opclass and order) or an expression in parentheses.
func renderKey(k string) string {
	if m := plainKeyRe.FindStringSubmatch(k); m != nil {
		return quoteIdent(m[1]) + m[2]
	}
	return "(" + k + ")"
}

// libraryIndexDDL renders the CREATE INDEX CONCURRENTLY that recreates a
// library index named name on table (schema.table), from the profile's
// key columns, INCLUDE list and predicate (pgqtune's own rendering, not
// the library's DDL).
func libraryIndexDDL(ix libraries.Index, table, name string) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if ix.Unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX CONCURRENTLY IF NOT EXISTS ")
	b.WriteString(quoteIdent(name))
	b.WriteString(" ON ")
	b.WriteString(quoteQualified(table))
	if ix.Method != "" && ix.Method != "btree" {
		b.WriteString(" USING " + ix.Method)
	}
	var keys []string
	for _, c := range ix.Columns {
		keys = append(keys, renderKey(c))
	}
	b.WriteString(" (" + strings.Join(keys, ", ") + ")")
	if len(ix.Include) > 0 {
		var inc []string
		for _, c := range ix.Include {
			inc = append(inc, quoteIdent(c))
		}
		b.WriteString(" INCLUDE (" + strings.Join(inc, ", ") + ")")
	}
	if ix.Where != "" {
		b.WriteString(" WHERE " + ix.Where)
	}
	b.WriteString(";")
	return b.String()
}

// sameShape reports whether a catalog index has a library index's keys,
// method and partial predicate (so it is that index under another name).
func sameShape(have Index, want libraries.Index) bool {
	if !have.Valid || len(have.Columns) != len(want.Columns) {
		return false
	}
	if m := want.Method; (m == "" || m == "btree") != (have.Method == "" || have.Method == "btree") {
		return false
	}
	for i, c := range want.Columns {
		if normExpr(have.Columns[i]) != normExpr(strings.TrimSuffix(c, " DESC")) && normExpr(have.Columns[i]+" DESC") != normExpr(c) {
			return false
		}
	}
	return (have.Predicate == "") == (want.Where == "")
}

var castRe = regexp.MustCompile(`::[a-z_. ]+`)

// normExpr drops casts, quotes, parentheses and spaces so an expression
// pg_get_indexdef printed compares with the profile's.
func normExpr(s string) string {
	s = castRe.ReplaceAllString(strings.ToLower(s), "")
	return strings.NewReplacer(`"`, "", "(", "", ")", "", " ", "").Replace(s)
}
