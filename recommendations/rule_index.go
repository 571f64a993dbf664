package recommendations

import (
	"fmt"
	"strings"

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
	ci := designClaimIndex(c.Claim, table, t)
	if len(ci.Columns) == 0 && ci.Predicate == "" {
		out.note("claim statement %d has no column filter or order an index could serve", c.QueryID)
		return
	}
	findings := f.findingsOn(table, "missing_index")
	bloat := f.findingsOn(table, "bloat")

	var partialCover *Index
	if t != nil {
		for i, ix := range t.Indexes {
			switch covers(ix, ci) {
			case coversFull:
				if len(findings) > 0 {
					out.note("claim on %s is already served by %s (filter and order); the missing_index finding(s) %s point elsewhere: check for a bloated or invalid index", table, ix.Name, strings.Join(ids(findings), ", "))
				}
				return
			case coversFilter:
				partialCover = &t.Indexes[i]
			}
		}
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
	// Postgres builds no index on a partitioned table CONCURRENTLY (nor
	// drops one): there the plain statement is the one that runs.
	partitioned := t != nil && t.Kind == "partitioned"
	concurrently := "CONCURRENTLY "
	if partitioned {
		concurrently = ""
	}
	sql := fmt.Sprintf("CREATE INDEX %sIF NOT EXISTS %s ON %s (%s)", concurrently, quoteIdent(name), quoteQualified(table), strings.Join(cols, ", "))
	if ci.Predicate != "" {
		sql += " WHERE " + ci.Predicate
	}
	sql += ";"

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
	switch {
	case partialCover != nil:
		why = append(why, fmt.Sprintf("Existing index %s matches the filter but not the claim order (%s), so every claim sorts all matching rows before LIMIT.", partialCover.Name, orderString(ci.Order)))
	case t != nil:
		why = append(why, fmt.Sprintf("No valid btree index on %s has the equality columns (%s) followed by the claim order (%s).", table, strings.Join(ci.Eq, ", "), orderString(ci.Order)))
	}
	why = append(why, "The index puts the equality columns first and the ORDER BY columns next, so the scan starts at the first runnable job in claim order and stops after LIMIT unlocked rows.")
	if ci.Predicate != "" {
		why = append(why, fmt.Sprintf("It is partial on %s, so it holds only waiting jobs and stays small however many finished rows the table keeps.", ci.Predicate))
	} else if ci.StateCol != "" {
		out.note("could not tell which value of %s.%s marks a runnable job: the index is recommended without a partial predicate", table, ci.StateCol)
	}
	why = append(why, hotTradeOff(f, t, tf, ci, harmful))

	impact := "Claims read about LIMIT index entries instead of scanning the table"
	if seqPerClaim > 0 {
		impact += fmt.Sprintf(" (%s rows read per claim now)", fmtNum(seqPerClaim))
	}
	impact += "; claim time and CPU fall and throughput rises where the claim was the bottleneck."
	rec := runrec.Recommendation{
		Kind:           runrec.RecIndex,
		Target:         table,
		SQL:            sql,
		Rationale:      strings.Join(why, " "),
		FindingIDs:     append(ids(findings), ids(bloat)...),
		ExpectedImpact: impact,
		Risk: "CREATE INDEX CONCURRENTLY scans the table twice and waits for running transactions, but does not block the queue; " +
			"it cannot run inside a transaction block, and if it fails it leaves an INVALID index to drop. Every insert and non-HOT update also maintains this index.",
		Rollback: fmt.Sprintf("DROP INDEX %sIF EXISTS %s;", concurrently, quoteQualified(schemaOf(table)+name)),
	}
	if partitioned {
		rec.Risk = fmt.Sprintf("%s is partitioned (%d partitions) and Postgres cannot build an index on a partitioned table CONCURRENTLY: this statement builds it on every partition "+
			"while holding a SHARE lock that blocks inserts, updates and deletes (sends, claims, completions) until it is done. "+
			"To keep the queue running, build it in steps: CREATE INDEX ... ON ONLY %s (an invalid parent index), CREATE INDEX CONCURRENTLY the same index on each partition, "+
			"then ALTER INDEX parent ATTACH PARTITION each one. Every insert and non-HOT update also maintains this index.", table, t.Partitions, table)
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
