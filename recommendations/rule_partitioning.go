package recommendations

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// partitionKeyCols are immutable timestamp columns a queue table is best
// range-partitioned on, in order of preference: rows never move between
// partitions, and old partitions hold only finished jobs.
var partitionKeyCols = []string{"created_at", "enqueued_at", "inserted_at", "created", "run_at", "scheduled_at"}

// partitioningRule recommends time-range partitioning, with retention by
// dropping old partitions, for queue tables where finished rows pile up or
// retention runs as large DELETEs.
func partitioningRule(f *facts, out *output) {
	if f.in.Catalog == nil {
		return
	}
	for i := range f.in.Catalog.Tables {
		t := &f.in.Catalog.Tables[i]
		if t.Kind != "table" {
			continue
		}
		tf := f.table(t.Name)
		if tf == nil || !tf.Queue {
			continue
		}
		depth := maxDepth(f)
		accumulating := tf.LiveLast >= 100000 && (depth < 0 || float64(tf.LiveLast) >= 10*float64(max(depth, 1)))
		retention := retentionDeletes(f, t)
		findings := f.findingsOn(t.Name, "bloat", "vacuum_lag", "missing_index")
		if !accumulating && retention == nil {
			continue
		}
		if retention == nil && len(findings) == 0 {
			// Finished rows are kept but nothing suffers yet.
			continue
		}
		if lib, _ := f.foreignLibrary(t.Name); lib != nil {
			// The library's migrations define the table and its statements
			// name it: renaming or partitioning it breaks the library.
			out.note("%s keeps %s rows pgqtune would partition away, but %s's migrations own the table: prune its finished or failed jobs with %s's own tools instead", t.Name, fmtNum(float64(tf.LiveLast)), lib.Name, lib.Name)
			continue
		}
		key := ""
		for _, c := range partitionKeyCols {
			if col := t.Column(c); col != nil && strings.HasPrefix(col.Type, "timestamp") {
				key = c
				break
			}
		}
		if key == "" {
			out.note("%s would benefit from range partitioning, but has no creation-time column to partition on: add one (created_at timestamptz NOT NULL DEFAULT now()) or partition by ranges of its increasing id", t.Name)
			continue
		}
		out.add(partitionRec(f, t, tf, key, depth, retention, findings))
	}
}

func partitionRec(f *facts, t *TableInfo, tf *tableFacts, key string, depth int64, retention *stmtFacts, findings []runrec.Finding) runrec.Recommendation {
	insPerDay := f.PerSec(tf.Ins) * 86400
	interval, step, format := "1 day", 24*time.Hour, "20060102"
	if insPerDay > 50e6 {
		interval, step, format = "1 hour", time.Hour, "2006010215"
	}
	start := f.in.Run.Meta.StartedAt.UTC().Truncate(step)
	if f.in.Run.Meta.StartedAt.IsZero() {
		start = f.in.Catalog.SnapshotAt.UTC().Truncate(step)
	}
	name := quoteQualified(t.Name)
	newName := t.Name + "_p"
	qNew := quoteQualified(newName)
	var b strings.Builder
	fmt.Fprintf(&b, "-- Outline: review, then run in a maintenance window. Partition key %s (set once at insert, so rows never move).\n", key)
	fmt.Fprintf(&b, "CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE) PARTITION BY RANGE (%s);\n", qNew, name, quoteIdent(key))
	var pkCols []string
	for _, ix := range t.Indexes {
		if ix.Primary {
			pkCols = ix.Columns
		}
	}
	if len(pkCols) > 0 {
		fmt.Fprintf(&b, "-- A unique key on a partitioned table must include the partition key.\nALTER TABLE %s ADD PRIMARY KEY (%s, %s);\n", qNew, strings.Join(pkCols, ", "), quoteIdent(key))
	}
	for _, ix := range t.Indexes {
		if ix.Primary || ix.Unique {
			continue
		}
		cols := strings.Join(append([]string{}, ix.Columns...), ", ")
		stmt := fmt.Sprintf("CREATE INDEX ON %s (%s)", qNew, cols)
		if ix.Predicate != "" {
			stmt += " WHERE " + ix.Predicate
		}
		fmt.Fprintf(&b, "%s;\n", stmt)
	}
	partName := func(at time.Time) string { return bareName(t.Name) + "_p_" + at.Format(format) }
	if f.in.Catalog.HasExtension("pg_partman") {
		v := f.in.Catalog.Extensions["pg_partman"]
		if strings.HasPrefix(v, "4.") {
			fmt.Fprintf(&b, "SELECT partman.create_parent(p_parent_table => '%s', p_control => '%s', p_type => 'native', p_interval => '%s', p_premake => 4);\n", newName, key, intervalPartman4(interval))
		} else {
			fmt.Fprintf(&b, "SELECT partman.create_parent(p_parent_table => '%s', p_control => '%s', p_interval => '%s', p_premake => 4);\n", newName, key, interval)
		}
		fmt.Fprintf(&b, "UPDATE partman.part_config SET retention = '7 days', retention_keep_table = false, infinite_time_partitions = true WHERE parent_table = '%s';\n", newName)
		b.WriteString("-- run partman.run_maintenance_proc() from pg_cron or the background worker to create and drop partitions.\n")
	} else {
		for i := 0; i < 4; i++ {
			at := start.Add(time.Duration(i) * step)
			fmt.Fprintf(&b, "CREATE TABLE %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s');\n", quoteQualified(schemaOf(t.Name)+partName(at)), qNew,
				at.Format("2006-01-02 15:04:05+00"), at.Add(step).Format("2006-01-02 15:04:05+00"))
		}
		fmt.Fprintf(&b, "CREATE TABLE %s PARTITION OF %s DEFAULT;\n", quoteQualified(newName+"_default"), qNew)
		b.WriteString("-- create the next partitions ahead of time from a scheduled job (or install pg_partman).\n")
	}
	fmt.Fprintf(&b, "-- Switch: move the unfinished jobs, then swap names.\nBEGIN;\nLOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n", name)
	fmt.Fprintf(&b, "INSERT INTO %s SELECT * FROM %s%s;\n", qNew, name, unfinishedFilter(t))
	fmt.Fprintf(&b, "ALTER TABLE %s RENAME TO %s;\nALTER TABLE %s RENAME TO %s;\nCOMMIT;\n", name, quoteIdent(bareName(t.Name)+"_old"), qNew, quoteIdent(bareName(t.Name)))
	old := partName(start.Add(-7 * 24 * time.Hour))
	fmt.Fprintf(&b, "-- Retention, instead of DELETE: once a partition holds only finished jobs,\n-- ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY; DROP TABLE %s;",
		name, quoteQualified(schemaOf(t.Name)+old), quoteQualified(schemaOf(t.Name)+old))

	var why []string
	if len(findings) > 0 {
		why = append(why, fmt.Sprintf("Finding(s) %s show the cost of the table's size on the queue.", strings.Join(ids(findings), ", ")))
	}
	if tf.LiveLast >= 100000 {
		d := "unknown"
		if depth >= 0 {
			d = itoa(depth)
		}
		why = append(why, fmt.Sprintf("%s holds %s live rows (%s at the start of the run) while at most %s jobs were waiting: finished jobs accumulate in the table the workers scan.",
			t.Name, itoa(tf.LiveLast), itoa(tf.LiveFirst), d))
	}
	if retention != nil {
		why = append(why, fmt.Sprintf("Retention runs as DELETE (queryid %d, %s rows per call, %s ms mean): every deleted row is a dead tuple for vacuum and a dead entry in every index.",
			retention.QueryID, fmtNum(retention.RowsPerCall()), fmtNum(retention.MeanMs())))
	}
	why = append(why, fmt.Sprintf("At %s inserts per day, %s partitions on %s keep each one small; dropping or detaching a whole old partition removes its rows without dead tuples or vacuum work.",
		fmtNum(insPerDay), interval, key))
	return runrec.Recommendation{
		Kind:           runrec.RecPartitioning,
		Target:         t.Name,
		SQL:            b.String(),
		Rationale:      strings.Join(why, " "),
		FindingIDs:     ids(findings),
		ExpectedImpact: "The claim's scans and indexes cover only recent partitions; retention costs a metadata change instead of DELETE + vacuum, and the table stops bloating.",
		Risk: "A migration, not a setting: the switch takes an ACCESS EXCLUSIVE lock while unfinished jobs are copied, the primary key gains the partition key " +
			"(foreign keys referencing it must change), and queries without the key scan every partition. Rehearse it on a copy first.",
		Rollback: fmt.Sprintf("Before old rows are dropped: BEGIN; ALTER TABLE %s RENAME TO %s; ALTER TABLE %s RENAME TO %s; COMMIT; then copy back jobs enqueued since the switch.",
			name, quoteIdent(bareName(newName)), quoteQualified(t.Name+"_old"), quoteIdent(bareName(t.Name))),
	}
}

func intervalPartman4(iv string) string {
	if iv == "1 hour" {
		return "hourly"
	}
	return "daily"
}

// unfinishedFilter is the WHERE clause selecting jobs still to run, when
// the state column and its finished values are known.
func unfinishedFilter(t *TableInfo) string {
	for _, c := range t.Columns {
		if !stateColRe.MatchString(c.Name) {
			continue
		}
		var done []string
		for _, v := range pendingValueCandidates(t, c.Name) {
			switch strings.ToLower(v) {
			case "completed", "complete", "done", "finished", "succeeded", "archived", "cancelled", "canceled", "discarded":
				done = append(done, quoteLiteral(v))
			}
		}
		if len(done) > 0 {
			return fmt.Sprintf(" WHERE %s NOT IN (%s)", quoteIdent(c.Name), strings.Join(done, ", "))
		}
	}
	return ""
}

// pendingValueCandidates lists the values a state column is known to take.
func pendingValueCandidates(t *TableInfo, col string) []string {
	var out []string
	if c := t.Column(col); c != nil {
		out = append(out, c.Labels...)
	}
	for _, chk := range t.Checks {
		if strings.Contains(chk, col) {
			for _, m := range literalRe.FindAllStringSubmatch(chk, -1) {
				out = appendUnique(out, m[1])
			}
		}
	}
	if c := t.Column(col); c != nil {
		for _, v := range c.MostCommon {
			out = appendUnique(out, v)
		}
	}
	return out
}

// retentionDeletes is the DELETE on t that removes many rows per call by a
// range on a time column, if the run had one.
func retentionDeletes(f *facts, t *TableInfo) *stmtFacts {
	for _, s := range f.Statements {
		if s.Command != "delete" || s.Target == "" || f.in.Catalog.Table(s.Target) != t || s.RowsPerCall() < 100 {
			continue
		}
		for _, p := range s.Where {
			if p.Range() {
				return s
			}
		}
	}
	return nil
}

// maxDepth is the deepest the queue got (-1 when unknown).
func maxDepth(f *facts) int64 {
	d := int64(-1)
	if f.in.Run == nil {
		return d
	}
	for _, w := range f.in.Run.Workload {
		if w.Depth > d {
			d = w.Depth
		}
	}
	return int64(math.Max(float64(d), -1))
}
