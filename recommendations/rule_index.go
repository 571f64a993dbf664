package recommendations

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pgqtune/pgqtune/libraries"
	"github.com/pgqtune/pgqtune/runrec"
)

// indexRule recommends the index the claim statement needs (unless one
// already covers it), REINDEX for bloated queue indexes, and DROP for unused
// or duplicate indexes on write-heavy queue tables.
func indexRule(f *facts, out *output) {
	claimIndexRule(f, out)
	dropped := dropIndexRule(f, out)
	reindexRule(f, out, dropped)
}

// resolveTable maps a relation as written in a statement to the catalog
// table and the run's table statistics.
func (f *facts) resolveTable(rel string) (string, *TableInfo, *tableFacts) {
	t := f.in.Catalog.Table(rel)
	name := rel
	if t != nil {
		name = t.Name
	}
	tf := f.table(name)
	if tf != nil && t == nil {
		name = tf.Name
	}
	return name, t, tf
}

func claimIndexRule(f *facts, out *output) {
	c := f.Claim
	if c == nil || c.Claim.Relation == "" {
		return
	}
	table, t, tf := f.resolveTable(c.Claim.Relation)
	lib, ok := claimIndexWanted(f, out, c, table)
	if !ok {
		return
	}
	ci := designClaimIndex(c.Claim, table, t)
	if len(ci.Columns) == 0 && ci.Predicate == "" {
		out.note("claim statement %d has no column filter or order an index could serve", c.QueryID)
		return
	}
	findings := f.findingsOn(table, runrec.CauseMissingIndex)
	bloat := f.findingsOn(table, runrec.CauseBloat)

	// A partitioned parent holds no rows: the partitions' indexes serve
	// the claim, and CONCURRENTLY is refused on the parent itself.
	parts := f.partitionsOf(table)
	partialCover, served := claimServed(out, table, t, parts, ci, findings)
	if served {
		return
	}

	// Evidence the claim scans more than it returns.
	var seqPerClaim, blksPerClaim float64
	if tf != nil && c.Calls > 0 {
		seqPerClaim = float64(tf.SeqTupRead) / float64(c.Calls)
	}
	blksPerClaim = c.BlksPerCall()
	rowsPerClaim := c.RowsPerCall()
	harmful := len(findings) > 0 || seqPerClaim > 100 || (blksPerClaim > 50 && blksPerClaim > 20*max(rowsPerClaim, 1))

	name := indexName(bareName(table), ci)
	var cols []string
	for i, col := range ci.Columns {
		s := quoteIdent(col)
		if ci.Desc[i] {
			s += " DESC"
		}
		cols = append(cols, s)
	}
	body := "(" + strings.Join(cols, ", ") + ")"
	if ci.Predicate != "" {
		body += " WHERE " + ci.Predicate
	}
	sql := fmt.Sprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s %s;", quoteIdent(name), quoteQualified(table), body)
	rollback := fmt.Sprintf("DROP INDEX CONCURRENTLY IF EXISTS %s;", quoteQualified(schemaOf(table)+name))
	target := table
	var partWhy string
	if t != nil && t.Kind == "partitioned" {
		sql, rollback, target, partWhy = partitionedIndexSQL(f, t, parts, name, body, findings)
	}

	var why []string
	why = append(why, fmt.Sprintf("The claim statement (queryid %d, %s calls, %s ms mean) reads %s %s.",
		c.QueryID, itoa(c.Calls), fmtNum(c.MeanMs()), table, c.Claim.String()))
	if len(findings) > 0 {
		why = append(why, fmt.Sprintf("Finding(s) %s attribute throughput drops to missing_index on %s.", strings.Join(ids(findings), ", "), table))
	}
	if tf != nil && tf.SeqScan > 0 {
		why = append(why, fmt.Sprintf("During the run %s took %s sequential scans reading %s rows (%s rows per claim) while a claim returned %s rows on average and touched %s buffers.",
			table, itoa(tf.SeqScan), itoa(tf.SeqTupRead), fmtNum(seqPerClaim), fmtNum(rowsPerClaim), fmtNum(blksPerClaim)))
	} else {
		why = append(why, fmt.Sprintf("A claim returned %s rows on average and touched %s buffers.", fmtNum(rowsPerClaim), fmtNum(blksPerClaim)))
	}
	why = append(why, claimIndexDesign(out, table, t, ci, partialCover)...)
	if partWhy != "" {
		why = append(why, partWhy)
	}
	why = append(why, hotTradeOff(f, t, tf, ci, harmful))
	if lib != nil {
		why = append(why, libraryLabel(lib, table))
	}

	impact := "Claims read about LIMIT index entries instead of scanning the table"
	if seqPerClaim > 0 {
		impact += fmt.Sprintf(" (%s rows read per claim now)", fmtNum(seqPerClaim))
	}
	impact += "; claim time and CPU fall and throughput rises where the claim was the bottleneck."
	rec := runrec.Recommendation{
		Kind:           runrec.RecIndex,
		Target:         target,
		SQL:            sql,
		Rationale:      strings.Join(why, " "),
		FindingIDs:     append(ids(findings), ids(bloat)...),
		ExpectedImpact: impact,
		Risk: "CREATE INDEX CONCURRENTLY scans the table twice and waits for running transactions, but does not block the queue; " +
			"it cannot run inside a transaction block, and if it fails it leaves an INVALID index to drop. Every insert and non-HOT update also maintains this index.",
		Rollback: rollback,
	}
	if lib != nil {
		rec.Risk += " " + lib.Name + " does not know about this index: " + lib.Upgrade + "."
	}
	if !harmful {
		rec.Informational = true
		rec.Rationale += " No finding and no scan evidence in this run shows the claim suffering yet, so this is informational."
	} else {
		cols := append([]string{}, ci.Columns...)
		if ci.Predicate != "" {
			cols = append(cols, ci.StateCol)
		}
		out.plannedIndexed[table] = append(out.plannedIndexed[table], cols...)
	}
	out.add(rec)
}

// claimIndexWanted says whether pgqtune designs an index for the claim on
// table, noting why not when it does not: a library's claim index is
// already recommended or in place, or the locking statement reads a
// library's bookkeeping table. It returns the foreign library owning
// table, if any.
func claimIndexWanted(f *facts, out *output, c *stmtFacts, table string) (*libraries.Profile, bool) {
	if out.libraryClaimFixed[table] {
		out.note("claim on %s: the library's own claim index is recommended for recreation above; no other index is designed for it", table)
		return nil, false
	}
	lib, libTable := f.foreignLibrary(table)
	if lib != nil && libTable != nil && !libTable.Jobs {
		// A locking SELECT on a library's bookkeeping table (graphile-
		// worker's job-queue lock) is not where its jobs are claimed.
		out.note("the locking statement %d reads %s, %s's bookkeeping table, not its jobs: no index is designed for it", c.QueryID, table, lib.Name)
		return nil, false
	}
	if lib != nil && out.libraryClaimFixed[lib.Name] {
		out.note("claim on %s: %s's own claim index is recommended for recreation above; no other index is designed for it", table, lib.Name)
		return nil, false
	}
	if lib != nil {
		if served := libraryClaimIndexes(f, lib, table); served != "" {
			out.note("claim on %s is served by %s's own index %s; pgqtune adds no index to a library table whose claim index is in place", table, lib.Name, served)
			return nil, false
		}
	}
	return lib, true
}

// claimServed says whether every table holding the claim's rows (t, or its
// partitions) already has an index covering ci's filter and order, and
// returns an index that covers the filter only, if one does.
func claimServed(out *output, table string, t *TableInfo, parts []*TableInfo, ci claimIndex, findings []runrec.Finding) (partialCover *Index, served bool) {
	if t == nil {
		return nil, false
	}
	holders := []*TableInfo{t}
	if t.Kind == "partitioned" && len(parts) > 0 {
		holders = parts
	}
	n := 0
	for _, h := range holders {
		full := false
		for i, ix := range h.Indexes {
			switch covers(ix, ci) {
			case coversFull:
				full = true
			case coversFilter:
				partialCover = &h.Indexes[i]
			}
			if full {
				if n == 0 && len(holders) == 1 && len(findings) > 0 {
					out.note("claim on %s is already served by %s (filter and order); the missing_index finding(s) %s point elsewhere: check for a bloated or invalid index", table, ix.Name, strings.Join(ids(findings), ", "))
				}
				break
			}
		}
		if full {
			n++
		}
	}
	return partialCover, n == len(holders)
}

// claimIndexDesign explains the index's shape: what existing indexes lack,
// the column order, and the partial predicate (noting when the claim's
// state values could not be read).
func claimIndexDesign(out *output, table string, t *TableInfo, ci claimIndex, partialCover *Index) []string {
	var why []string
	switch {
	case partialCover != nil:
		why = append(why, fmt.Sprintf("Existing index %s matches the filter but not the claim order (%s), so every claim sorts all matching rows before LIMIT.", partialCover.Name, orderString(ci.Order)))
	case t != nil:
		why = append(why, fmt.Sprintf("No valid btree index on %s has the equality columns (%s) followed by the claim order (%s).", table, strings.Join(ci.Eq, ", "), orderString(ci.Order)))
	}
	why = append(why, "The index puts the equality columns first and the ORDER BY columns next, so the scan starts at the first runnable job in claim order and stops after LIMIT unlocked rows.")
	if ci.Predicate != "" {
		why = append(why, fmt.Sprintf("It is partial on %s, exactly as the claim filters, so it holds only waiting jobs and stays small however many finished rows the table keeps.", ci.Predicate))
	} else if ci.StateCol != "" {
		out.note("could not tell from the claim on %s which values of %s it reads (a parameter or a list of parameters): the index is recommended without a partial predicate", table, ci.StateCol)
	}
	return why
}

// libraryClaimIndexes names the library's claim indexes in place on table
// (or on every snapshotted partition of it), "" when one is missing or
// the library has none for it.
func libraryClaimIndexes(f *facts, lib *libraries.Profile, table string) string {
	holders := []string{table}
	for _, p := range f.partitionsOf(table) {
		if len(holders) == 1 && holders[0] == table {
			holders = nil
		}
		holders = append(holders, p.Name)
	}
	var names []string
	for _, h := range holders {
		t := f.in.Catalog.Table(h)
		if t == nil {
			return ""
		}
		found := false
		for _, ix := range t.Indexes {
			if li := lib.IndexFor(h, ix.Name); li != nil && li.Claim && ix.Valid {
				found = true
				if len(names) < 3 {
					names = appendUnique(names, ix.Name)
				}
			}
		}
		if !found {
			return ""
		}
	}
	return strings.Join(names, ", ")
}

// partitionsOf returns the snapshotted partitions of a partitioned table,
// by name.
func (f *facts) partitionsOf(table string) []*TableInfo {
	if f.in.Catalog == nil {
		return nil
	}
	var out []*TableInfo
	for i := range f.in.Catalog.Tables {
		if f.in.Catalog.Tables[i].Parent == table {
			out = append(out, &f.in.Catalog.Tables[i])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// partitionedIndexSQL writes the index for a partitioned parent, where
// CREATE INDEX CONCURRENTLY is refused: on the one partition a
// missing_index finding names, or else as an index ON ONLY the parent,
// built CONCURRENTLY on each partition and attached to it.
func partitionedIndexSQL(f *facts, t *TableInfo, parts []*TableInfo, name, body string, findings []runrec.Finding) (sql, rollback, target, why string) {
	for _, fd := range findings {
		for _, o := range fd.Objects {
			for _, p := range parts {
				if p.Name == o {
					pname := partIndexName(p.Table, name)
					sql = fmt.Sprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s %s;", quoteIdent(pname), quoteQualified(p.Name), body)
					return sql, fmt.Sprintf("DROP INDEX CONCURRENTLY IF EXISTS %s;", quoteQualified(p.Schema+"."+pname)), p.Name,
						fmt.Sprintf("%s is partitioned and Postgres refuses CREATE INDEX CONCURRENTLY on a partitioned table; finding %s names partition %s, the one the slow claims read, so the index is built there.", t.Name, fd.ID, p.Name)
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s is partitioned: Postgres refuses CREATE INDEX CONCURRENTLY on it, so the index is made on the parent only, built concurrently on each partition, then attached.\n", t.Name)
	fmt.Fprintf(&b, "CREATE INDEX IF NOT EXISTS %s ON ONLY %s %s;\n", quoteIdent(name), quoteQualified(t.Name), body)
	var drops []string
	for _, p := range parts {
		pname := partIndexName(p.Table, name)
		fmt.Fprintf(&b, "CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s %s;\n", quoteIdent(pname), quoteQualified(p.Name), body)
		fmt.Fprintf(&b, "ALTER INDEX %s ATTACH PARTITION %s;\n", quoteQualified(t.Schema+"."+name), quoteQualified(p.Schema+"."+pname))
		drops = append(drops, quoteQualified(p.Schema+"."+pname))
	}
	if len(parts) == 0 {
		fmt.Fprintf(&b, "-- for each partition P of %s: CREATE INDEX CONCURRENTLY P_idx ON P %s; ALTER INDEX %s ATTACH PARTITION P_idx;\n", t.Name, body, quoteQualified(t.Schema+"."+name))
	}
	rollback = fmt.Sprintf("DROP INDEX IF EXISTS %s;  -- a partitioned index cannot be dropped CONCURRENTLY; this drops the attached partition indexes with it under a brief ACCESS EXCLUSIVE lock: set lock_timeout first", quoteQualified(t.Schema+"."+name))
	if len(drops) > 0 && len(drops) <= 3 {
		rollback = "-- the partitions' indexes are attached to the parent's and go with it\n" + rollback
	}
	return strings.TrimSuffix(b.String(), "\n"), rollback, t.Name,
		fmt.Sprintf("%s is partitioned: CREATE INDEX CONCURRENTLY is refused on a partitioned table, so the index is created ON ONLY the parent (invalid until every partition has one), built CONCURRENTLY on each of its %d snapshotted partitions and attached; the parent's index becomes valid when the last one is attached.", t.Name, len(parts))
}

// partIndexName names the index on one partition after the parent's.
func partIndexName(part, name string) string {
	n := strings.TrimSuffix(name, "_pgq_idx")
	if len(part) > 20 {
		part = part[:20]
	}
	n = part + "_" + strings.TrimPrefix(n, part)
	if len(n) > 54 {
		n = n[:54]
	}
	return n + "_pgq_idx"
}

// hotTradeOff says what the index costs in HOT updates, against the
// measured update rate.
func hotTradeOff(f *facts, t *TableInfo, tf *tableFacts, ci claimIndex, harmful bool) string {
	if ci.StateCol == "" {
		return ""
	}
	already := ""
	if t != nil {
		for _, ix := range t.Indexes {
			if contains(indexedColumns(ix), ci.StateCol) {
				already = ix.Name
				break
			}
		}
	}
	rate := ""
	if tf != nil && tf.Upd > 0 {
		rate = fmt.Sprintf(" This run updated %s rows/s on the table with %s of them HOT.", fmtNum(f.PerSec(tf.Upd)), fmtPct(float64(tf.HotUpd)/float64(tf.Upd)))
	}
	if already != "" {
		return fmt.Sprintf("HOT trade-off: %s already indexes %s, so state changes are non-HOT today and this index adds only its own maintenance.%s", already, ci.StateCol, rate)
	}
	verdict := " The claim's saved scans outweigh that when claims read many rows each, as here."
	if !harmful {
		verdict = " Here the claims do not read many rows yet, so weigh that cost before adding it."
	}
	return fmt.Sprintf("HOT trade-off: with %s in an index (the partial predicate counts), every state change becomes a non-HOT update that writes a new entry into every index of the table and leaves more for vacuum.%s%s", ci.StateCol, rate, verdict)
}

func orderString(o []SortKey) string {
	if len(o) == 0 {
		return "none"
	}
	var s []string
	for _, k := range o {
		if k.Desc {
			s = append(s, k.Column+" DESC")
		} else {
			s = append(s, k.Column)
		}
	}
	return strings.Join(s, ", ")
}

func schemaOf(table string) string {
	if i := strings.LastIndexByte(table, '.'); i >= 0 {
		return table[:i+1]
	}
	return ""
}

// indexName is <table>_<cols>_pgq_idx, shortened to Postgres' 63 bytes.
func indexName(table string, ci claimIndex) string {
	n := table + "_" + strings.Join(ci.Columns, "_")
	if ci.Predicate != "" {
		n += "_" + ci.Pending
	}
	n = strings.ToLower(n)
	n = strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, n)
	if len(n) > 54 {
		n = n[:54]
	}
	return n + "_pgq_idx"
}
