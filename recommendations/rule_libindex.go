package recommendations

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pgqtune/pgqtune/libraries"
	"github.com/pgqtune/pgqtune/runrec"
)

// libraryIndexRule compares every snapshotted table a queue library owns
// with the indexes that library creates on it, and recommends recreating
// each one that is missing or INVALID: that index, with its definition,
// CONCURRENTLY, on the table that holds it (for pg-boss v10 the queue's
// partition, never the partitioned parent). It runs before every other
// rule, so when a missing_index finding names the table its recreation
// is the first recommendation.
func libraryIndexRule(f *facts, out *output) {
	if f.in.Catalog == nil {
		return
	}
	type miss struct {
		rec     runrec.Recommendation
		claim   bool
		finding bool
		table   string
	}
	var todo []miss
	for i := range f.in.Catalog.Tables {
		t := &f.in.Catalog.Tables[i]
		p, pt := f.foreignLibrary(t.Name)
		if p == nil || pt == nil {
			continue
		}
		// A library that keeps its indexes on partitions (pg-boss v10)
		// lists them under the partition pattern; a partition the library
		// did not make (pg_partman children of a pgmq queue) inherits its
		// parent's indexes under generated names, so it is not compared.
		if (t.Kind == "partition" || t.Parent != "") != (pt.Parent != "") {
			continue
		}
		findings := f.findingsOn(t.Name, runrec.CauseMissingIndex)
		if t.Parent != "" {
			findings = append(findings, f.findingsOn(t.Parent, runrec.CauseMissingIndex)...)
		}
		for _, ix := range p.IndexesOn(t.Name) {
			if len(ix.Columns) == 0 {
				continue // a name pattern only: owned, not an expectation
			}
			name := ix.NameFor(pt.Pattern, p.Canonical(t.Name))
			have := findIndex(t, name)
			if have != nil && have.Valid {
				continue
			}
			if ix.Optional && have == nil {
				continue // only some versions create it
			}
			if have == nil {
				if other := sameShapeIndex(t, ix); other != nil {
					out.note("%s's index %s on %s is not there by that name, but %s has its keys and predicate", p.Name, name, t.Name, other.Name)
					continue
				}
			}
			rec := recreateLibraryIndex(f, p, t, ix, name, have, findings)
			todo = append(todo, miss{rec: rec, claim: ix.Claim, finding: len(findings) > 0, table: t.Name})
			if ix.Claim {
				out.libraryClaimFixed[p.Name] = true
				out.libraryClaimFixed[t.Name] = true
				if t.Parent != "" {
					out.libraryClaimFixed[t.Parent] = true
				}
			}
		}
	}
	// The claim's index on a table a finding names first, then other
	// claim indexes, then the rest; by table name within each.
	sort.SliceStable(todo, func(i, j int) bool {
		a, b := todo[i], todo[j]
		if a.finding != b.finding {
			return a.finding
		}
		if a.claim != b.claim {
			return a.claim
		}
		return a.table < b.table
	})
	for _, m := range todo {
		out.add(m.rec)
	}
}

// findIndex returns t's index named name (schema-qualified or not).
func findIndex(t *TableInfo, name string) *Index {
	for i := range t.Indexes {
		if bareName(t.Indexes[i].Name) == name {
			return &t.Indexes[i]
		}
	}
	return nil
}

func sameShapeIndex(t *TableInfo, want libraries.Index) *Index {
	for i := range t.Indexes {
		if sameShape(t.Indexes[i], want) {
			return &t.Indexes[i]
		}
	}
	return nil
}

func recreateLibraryIndex(f *facts, p *libraries.Profile, t *TableInfo, ix libraries.Index, name string, have *Index, findings []runrec.Finding) runrec.Recommendation {
	qualified := quoteQualified(t.Schema + "." + name)
	sql := libraryIndexDDL(ix, t.Name, name)
	state := "is missing"
	if have != nil {
		state = "is INVALID (a failed or interrupted CREATE INDEX CONCURRENTLY left it; the planner ignores it but every write still maintains it)"
		if f.in.Catalog.ServerVersionNum >= 120000 || f.in.Catalog.ServerVersionNum == 0 {
			sql = fmt.Sprintf("REINDEX INDEX CONCURRENTLY %s;", qualified)
		} else {
			sql = fmt.Sprintf("DROP INDEX CONCURRENTLY IF EXISTS %s;\n%s", qualified, sql)
		}
	}
	var why []string
	what := "one of its indexes"
	if ix.Claim {
		what = "the index its claim (fetch) statement reads"
	}
	why = append(why, fmt.Sprintf("%s creates %s on %s: %s. It %s.", p.Name, name, t.Name, what, state))
	if t.Parent != "" {
		why = append(why, fmt.Sprintf("%s is a partition of %s; %s keeps this index on each partition, and Postgres refuses CREATE INDEX CONCURRENTLY on a partitioned parent, so the index is recreated on the partition itself.", t.Name, t.Parent, p.Name))
	}
	if len(findings) > 0 {
		why = append(why, fmt.Sprintf("Finding(s) %s attribute throughput drops to missing_index on %s.", strings.Join(ids(findings), ", "), t.Name))
	}
	if tf := f.table(t.Name); tf != nil && tf.SeqScan > 0 {
		why = append(why, fmt.Sprintf("During the run %s took %s sequential scans reading %s rows.", t.Name, itoa(tf.SeqScan), itoa(tf.SeqTupRead)))
	}
	why = append(why, fmt.Sprintf("The definition is the one %s gives it (%s): keys (%s)%s%s.", p.Name, p.Versions,
		strings.Join(ix.Columns, ", "), incl(ix.Include), pred(ix.Where)))
	impact := fmt.Sprintf("%s's statements get back the index they were written for", p.Name)
	if ix.Claim {
		impact = "Each fetch reads the waiting jobs of its queue from the index instead of scanning the table: claim time and CPU fall and throughput returns to what it was with the index"
	}
	risk := "CREATE INDEX CONCURRENTLY scans the table twice and waits for running transactions but does not block the queue; it cannot run inside a transaction block, and if it fails it leaves an INVALID index to drop and build again. Run it with statement_timeout = 0."
	if ix.Unique {
		risk += fmt.Sprintf(" The index is UNIQUE: if rows that break %s's rule arrived while it was missing, the build fails until they are resolved.", p.Name)
	}
	return runrec.Recommendation{
		Kind:           runrec.RecIndex,
		Target:         t.Name,
		SQL:            sql,
		Rationale:      strings.Join(why, " "),
		FindingIDs:     ids(findings),
		ExpectedImpact: impact + ".",
		Risk:           risk,
		Rollback:       fmt.Sprintf("DROP INDEX CONCURRENTLY IF EXISTS %s;", qualified),
	}
}

func incl(cols []string) string {
	if len(cols) == 0 {
		return ""
	}
	return " INCLUDE (" + strings.Join(cols, ", ") + ")"
}

func pred(where string) string {
	if where == "" {
		return ""
	}
	return ", partial on " + where
}
