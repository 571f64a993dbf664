package recommendations

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

// partitionKeyCols are immutable timestamp columns a queue table is best
// range-partitioned on, in order of preference: rows never move between
// partitions, and old partitions hold only finished jobs.
var partitionKeyCols = []string{"created_at", "enqueued_at", "inserted_at", "created", "run_at", "scheduled_at"}

// retentionDays is how long finished jobs are kept in the outlines.
const retentionDays = 7

// partitioningRule recommends time-range partitioning, with retention by
// dropping old partitions, for queue tables where finished rows pile up or
// retention runs as large DELETEs. It never outlines a swap of a table a
// queue library owns.
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
		retention := retentionDeletes(f, t)
		findings := f.findingsOn(t.Name, runrec.CauseBloat, runrec.CauseVacuumLag, runrec.CauseMissingIndex)
		if !accumulating(f, tf) && retention == nil {
			continue
		}
		if retention == nil && len(findings) == 0 {
			// Finished rows are kept but nothing suffers yet.
			continue
		}
		if lib := libraryOwnedTable(t); lib != "" {
			out.note("%s holds finished jobs, but %s owns the table: swapping it for a partitioned copy would fight %s's migrations and code; use %s's own retention settings instead",
				t.Name, lib, lib, lib)
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
		if ix := uniqueWithoutKey(t, key); ix != nil {
			out.note("%s would benefit from range partitioning on %s, but its unique index %s (%s) does not contain %s: a partitioned table can only enforce uniqueness that includes the partition key, so partitioning would silently weaken it; not outlined",
				t.Name, key, ix.Name, strings.Join(ix.Columns, ", "), key)
			continue
		}
		rec, err := partitionRec(f, t, tf, key, depth, retention, findings)
		if err != nil {
			out.note("%s: partitioning outline not written: %v", t.Name, err)
			continue
		}
		out.add(rec)
	}
}

// accumulating reports whether finished rows pile up in the table: many
// live rows while few jobs waited.
func accumulating(f *facts, tf *tableFacts) bool {
	depth := maxDepth(f)
	return tf.LiveLast >= 100000 && (depth < 0 || float64(tf.LiveLast) >= 10*float64(max(depth, 1)))
}

// uniqueWithoutKey returns a unique, non-primary index whose keys do not
// contain key (Postgres refuses it on a table partitioned by key).
func uniqueWithoutKey(t *TableInfo, key string) *Index {
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		if !ix.Unique || ix.Primary {
			continue
		}
		has := false
		for _, c := range ix.Columns {
			if strings.Trim(c, `"`) == key {
				has = true
			}
		}
		if !has {
			return ix
		}
	}
	return nil
}

// partitionPlan is the names and ranges one partitioning recommendation
// uses throughout its SQL.
type partitionPlan struct {
	t          *TableInfo
	key        string
	interval   string        // the partition width, as SQL and pg_partman spell it
	step       time.Duration // the same width
	format     string        // the time layout of a partition's name suffix
	start      time.Time     // the first partition's lower bound
	version    int           // server_version_num, 0 when unknown
	schema     string        // "schema." of the table ("" when none)
	base       string        // the table's bare name
	name       string        // the table, quoted
	newName    string        // the partitioned table's name, unquoted
	qNew       string        // the same, quoted
	unfinished string        // " WHERE <unfinished jobs>", or ""
}

// indexRename is an index rebuilt on the partitioned table under a
// temporary name that the switch gives back.
type indexRename struct{ old, tmp string }

func partitionRec(f *facts, t *TableInfo, tf *tableFacts, key string, depth int64, retention *stmtFacts, findings []runrec.Finding) (runrec.Recommendation, error) {
	insPerDay := f.PerSec(tf.Ins) * 86400
	p := newPartitionPlan(f, t, key, insPerDay)
	var b strings.Builder
	fmt.Fprintf(&b, "-- Outline: rehearse on a copy, then run in a quiet moment. Partition key %s (set once at insert, so rows never move).\n", key)
	renames, err := p.writeNewTable(&b)
	if err != nil {
		return runrec.Recommendation{}, err
	}
	p.writePartitions(&b, f)
	b.WriteString("-- 2. The switch: a short ACCESS EXCLUSIVE lock while the unfinished jobs are copied and the names swapped.\n")
	b.WriteString(lockTimeoutSQL)
	fmt.Fprintf(&b, "BEGIN;\nLOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n", p.name)
	fmt.Fprintf(&b, "INSERT INTO %s SELECT * FROM %s%s;\n", p.qNew, p.name, p.unfinished)
	swap, back := p.switchNames(renames)
	b.WriteString(strings.Join(swap, "\n") + "\n")
	b.WriteString("COMMIT;\n")
	p.writeRetention(&b)

	why, impact, risk := partitionCase(f, p, tf, depth, retention, findings, insPerDay)
	return runrec.Recommendation{
		Kind:           runrec.RecPartitioning,
		Target:         t.Name,
		SQL:            b.String(),
		Rationale:      strings.Join(why, " "),
		FindingIDs:     ids(findings),
		ExpectedImpact: impact,
		Risk:           risk,
		Rollback: fmt.Sprintf("-- Before the old table is dropped: swap the names back, then copy back the jobs enqueued since the switch.\n%sBEGIN;\nLOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n%s\nCOMMIT;",
			lockTimeoutSQL, p.name, strings.Join(back, "\n")),
	}, nil
}

// newPartitionPlan picks the partition width from the insert rate (hourly
// above 50 million a day) and the first range from the run's start.
func newPartitionPlan(f *facts, t *TableInfo, key string, insPerDay float64) *partitionPlan {
	p := &partitionPlan{t: t, key: key, interval: "1 day", step: 24 * time.Hour, format: "20060102"}
	if insPerDay > 50e6 {
		p.interval, p.step, p.format = "1 hour", time.Hour, "2006010215"
	}
	var startAt time.Time
	if f.in.Run != nil {
		startAt = f.in.Run.Meta.StartedAt
	}
	if startAt.IsZero() {
		startAt = f.in.Catalog.SnapshotAt
	}
	p.start = startAt.UTC().Truncate(p.step)
	p.version = f.serverVersionNum()
	p.schema = schemaOf(t.Name)
	p.base = bareName(t.Name)
	p.name = quoteQualified(t.Name)
	p.newName = t.Name + "_p"
	p.qNew = quoteQualified(p.newName)
	p.unfinished = unfinishedFilter(t)
	return p
}

// writeNewTable writes step 1: the partitioned table, its primary key with
// the partition key added, and every other index rebuilt from its own
// definition under a temporary name.
func (p *partitionPlan) writeNewTable(b *strings.Builder) ([]indexRename, error) {
	t := p.t
	b.WriteString("-- 1. The new table, empty: nothing here locks the live one for long.\n")
	b.WriteString(lockTimeoutSQL)
	fmt.Fprintf(b, "CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (%s);\n", p.qNew, p.name, quoteIdent(p.key))
	var pkCols []string
	for _, ix := range t.Indexes {
		if ix.Primary {
			pkCols = ix.Columns
		}
	}
	if len(pkCols) > 0 {
		cols := append([]string{}, pkCols...)
		if !containsStr(cols, p.key) {
			cols = append(cols, quoteIdent(p.key))
		}
		fmt.Fprintf(b, "-- A unique key on a partitioned table must include the partition key.\nALTER TABLE %s ADD PRIMARY KEY (%s);\n", p.qNew, strings.Join(cols, ", "))
	}
	// Every other index is rebuilt from its own definition (method, order,
	// INCLUDE, predicate, uniqueness kept), under a temporary name that the
	// switch gives back.
	var renames []indexRename
	for _, ix := range t.Indexes {
		if ix.Primary {
			continue
		}
		tmp := bareName(ix.Name) + "_p"
		def, err := rebuildIndex(ix, t, p.newName, tmp)
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", ix.Name, err)
		}
		fmt.Fprintf(b, "%s;\n", def)
		renames = append(renames, indexRename{ix.Name, tmp})
	}
	return renames, nil
}

// writePartitions writes the partitions: a backlog partition for older
// jobs, then pg_partman's create_parent when it is installed, or four
// ranges by hand.
func (p *partitionPlan) writePartitions(b *strings.Builder, f *facts) {
	partName := func(at time.Time) string { return p.base + "_p_" + at.Format(p.format) }
	backlog := p.schema + p.base + "_p_before"
	noDefault := "no DEFAULT partition: rows outside every range fail loudly instead of piling up unseen"
	if p.version == 0 || p.version >= 140000 {
		noDefault = "no DEFAULT partition: it would forbid DETACH ... CONCURRENTLY"
	}
	if f.in.Catalog.HasExtension("pg_partman") {
		v := f.in.Catalog.Extensions["pg_partman"]
		fmt.Fprintf(b, "-- Jobs older than the first partition pg_partman makes go to a partition of their own (%s).\n", noDefault)
		fmt.Fprintf(b, "CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (MINVALUE) TO ('%s');\n", quoteQualified(backlog), p.qNew, p.start.Format("2006-01-02 15:04:05+00"))
		if strings.HasPrefix(v, "4.") {
			fmt.Fprintf(b, "SELECT partman.create_parent(p_parent_table => %s, p_control => %s, p_type => 'native', p_interval => %s, p_premake => 4, p_start_partition => %s);\n",
				quoteLiteral(p.newName), quoteLiteral(p.key), quoteLiteral(intervalPartman4(p.interval)), quoteLiteral(p.start.Format("2006-01-02 15:04:05+00")))
		} else {
			fmt.Fprintf(b, "SELECT partman.create_parent(p_parent_table => %s, p_control => %s, p_interval => %s, p_premake => 4, p_default_table => false, p_start_partition => %s);\n",
				quoteLiteral(p.newName), quoteLiteral(p.key), quoteLiteral(p.interval), quoteLiteral(p.start.Format("2006-01-02 15:04:05+00")))
		}
		b.WriteString("-- run partman.run_maintenance_proc() from pg_cron or the background worker to create partitions ahead; retention is step 3 below, not partman's, so that no partition with unfinished jobs is dropped.\n")
		return
	}
	fmt.Fprintf(b, "-- Jobs older than the switch go to a partition of their own (%s).\n", noDefault)
	fmt.Fprintf(b, "CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (MINVALUE) TO ('%s');\n", quoteQualified(backlog), p.qNew, p.start.Format("2006-01-02 15:04:05+00"))
	for i := 0; i < 4; i++ {
		at := p.start.Add(time.Duration(i) * p.step)
		fmt.Fprintf(b, "CREATE TABLE %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s');\n", quoteQualified(p.schema+partName(at)), p.qNew,
			at.Format("2006-01-02 15:04:05+00"), at.Add(p.step).Format("2006-01-02 15:04:05+00"))
	}
	fmt.Fprintf(b, "-- From a scheduled job, create each next partition (%s) well ahead of time: with no DEFAULT partition an insert past the last one fails.\n", p.interval)
}

// switchNames returns the renames of the switch (the table, its indexes
// and its serial's sequence move to the new table) and those that undo it,
// for the rollback.
func (p *partitionPlan) switchNames(renames []indexRename) (swap, back []string) {
	name, base, schema := p.name, p.base, p.schema
	swap = append(swap, fmt.Sprintf("ALTER TABLE %s RENAME TO %s;", name, quoteIdent(base+"_old")), fmt.Sprintf("ALTER TABLE %s RENAME TO %s;", p.qNew, quoteIdent(base)))
	back = append(back, fmt.Sprintf("ALTER TABLE %s RENAME TO %s;", name, quoteIdent(bareName(p.newName))), fmt.Sprintf("ALTER TABLE %s RENAME TO %s;", quoteQualified(schema+base+"_old"), quoteIdent(base)))
	for _, r := range renames {
		swap = append(swap, fmt.Sprintf("ALTER INDEX %s RENAME TO %s;", quoteQualified(r.old), quoteIdent(bareName(r.old)+"_old")),
			fmt.Sprintf("ALTER INDEX %s RENAME TO %s;", quoteQualified(schema+r.tmp), quoteIdent(bareName(r.old))))
		back = append(back, fmt.Sprintf("ALTER INDEX %s RENAME TO %s;", quoteQualified(r.old), quoteIdent(r.tmp)),
			fmt.Sprintf("ALTER INDEX %s RENAME TO %s;", quoteQualified(r.old+"_old"), quoteIdent(bareName(r.old))))
	}
	for _, c := range p.t.Columns {
		if seq := ownedSequence(c.Default); seq != "" {
			// The sequence moves with the column: dropping the old table
			// later must not take it (and the new table's default) along.
			swap = append(swap, fmt.Sprintf("ALTER SEQUENCE %s OWNED BY %s.%s;", seq, name, quoteIdent(c.Name)))
			back = append(back, fmt.Sprintf("ALTER SEQUENCE %s OWNED BY %s.%s;", seq, name, quoteIdent(c.Name)))
		}
	}
	return swap, back
}

// writeRetention writes step 3: the readiness query, the daily rotation
// that drops old partitions holding no unfinished job, and the old table's
// drop.
func (p *partitionPlan) writeRetention(b *strings.Builder) {
	name, key, unfinished := p.name, p.key, p.unfinished
	cutoff := fmt.Sprintf("date_trunc('day', now()) - interval '%d days'", retentionDays)
	fmt.Fprintf(b, "-- 3. Retention, instead of DELETE. Readiness first: unfinished jobs in the partitions retention would drop (every one must show 0).\n")
	if unfinished != "" {
		fmt.Fprintf(b, "SELECT tableoid::regclass AS partition, count(*) AS unfinished FROM %s WHERE %s < %s AND%s GROUP BY 1;\n",
			name, quoteIdent(key), cutoff, strings.TrimPrefix(unfinished, " WHERE"))
	} else {
		fmt.Fprintf(b, "-- (no state column tells finished from unfinished jobs: check with the application which rows are still to run)\nSELECT tableoid::regclass AS partition, count(*) AS rows FROM %s WHERE %s < %s GROUP BY 1;\n",
			name, quoteIdent(key), cutoff)
	}
	if unfinished != "" {
		fmt.Fprintf(b, "-- Then daily (pg_cron or a scheduler): drop the partitions wholly older than %d days that hold no unfinished job; any that still do are skipped and named.\n%s\n",
			retentionDays, rotationSQL(p.t.Name, strings.TrimPrefix(unfinished, " WHERE "), p.version))
	}
	fmt.Fprintf(b, "-- Once no job needs the old table: DROP TABLE %s;", quoteQualified(p.schema+p.base+"_old"))
}

// partitionCase is the recommendation's rationale, expected impact and
// risk.
func partitionCase(f *facts, p *partitionPlan, tf *tableFacts, depth int64, retention *stmtFacts, findings []runrec.Finding, insPerDay float64) (why []string, impact, risk string) {
	t, key := p.t, p.key
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
	why = append(why, fmt.Sprintf("At %s inserts per day, %s partitions on %s keep each one small; dropping a whole old partition removes its rows without dead tuples or vacuum work. "+
		"The readiness query shows whether an old partition still holds an unfinished job, and the rotation skips any that does.",
		fmtNum(insPerDay), p.interval, key))

	impact = "Retention costs a metadata change instead of DELETE + vacuum, and the table stops bloating with finished jobs. "
	if claimPrunes(f, t, key) {
		impact += fmt.Sprintf("The claim filters on %s, so the planner prunes its scans to the partitions that can hold runnable jobs.", key)
	} else {
		impact += fmt.Sprintf("The claim has no predicate on %s, so it still visits every partition's index (each small, and cheap when empty of runnable jobs); the gain is in retention and bloat, not in pruning.", key)
	}
	risk = "A migration, not a setting: the switch takes an ACCESS EXCLUSIVE lock while unfinished jobs are copied (lock_timeout makes it give up rather than stall the workers; retry), " +
		"the primary key gains the partition key (foreign keys referencing it must change), queries without the key visit every partition, " +
		"and an insert past the last partition fails, so the next partitions must be created ahead by a scheduled job. Rehearse it on a copy first."
	return why, impact, risk
}

// claimPrunes reports whether the claim on t bounds the partition key, so
// the planner can skip partitions.
func claimPrunes(f *facts, t *TableInfo, key string) bool {
	if f.Claim == nil || f.Claim.Claim == nil || f.in.Catalog.Table(f.Claim.Claim.Relation) != t {
		return false
	}
	for _, p := range f.Claim.Claim.Filters {
		if p.Column == key && (p.Range() || p.Equality()) {
			return true
		}
	}
	return false
}

// rebuildIndex writes ix's definition for the table newTable under the name
// newIndex, from pg_get_indexdef when the snapshot has it (so GIN, DESC,
// INCLUDE, opclasses and predicates survive), else from its parts.
func rebuildIndex(ix Index, t *TableInfo, newTable, newIndex string) (string, error) {
	schema, rel, _ := strings.Cut(newTable, ".")
	if rel == "" {
		schema, rel = "", newTable
	}
	if ix.Definition != "" {
		tree, err := pg_query.Parse(ix.Definition)
		if err != nil {
			return "", fmt.Errorf("parse definition: %w", err)
		}
		if len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetIndexStmt() == nil {
			return "", fmt.Errorf("definition is not one CREATE INDEX: %s", ix.Definition)
		}
		st := tree.Stmts[0].Stmt.GetIndexStmt()
		st.Idxname = newIndex
		st.Relation.Schemaname = schema
		st.Relation.Relname = rel
		st.Concurrent = false // the new table is empty and unused
		out, err := pg_query.Deparse(tree)
		if err != nil {
			return "", fmt.Errorf("deparse definition: %w", err)
		}
		return out, nil
	}
	var cols []string
	for i, c := range ix.Columns {
		s := c
		if i < len(ix.Desc) && ix.Desc[i] {
			s += " DESC"
		}
		cols = append(cols, s)
	}
	s := "CREATE "
	if ix.Unique {
		s += "UNIQUE "
	}
	s += fmt.Sprintf("INDEX %s ON %s", quoteIdent(newIndex), quoteQualified(newTable))
	if ix.Method != "" && ix.Method != "btree" {
		s += " USING " + ix.Method
	}
	s += " (" + strings.Join(cols, ", ") + ")"
	if len(ix.Include) > 0 {
		s += " INCLUDE (" + strings.Join(ix.Include, ", ") + ")"
	}
	if ix.Predicate != "" {
		s += " WHERE " + ix.Predicate
	}
	return s, nil
}

// ownedSequence returns the sequence a nextval() default draws from, or "".
func ownedSequence(def string) string {
	m := nextvalRe.FindStringSubmatch(def)
	if m == nil {
		return ""
	}
	return m[1]
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s || strings.Trim(x, `"`) == s {
			return true
		}
	}
	return false
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
	col, done := finishedStates(t)
	if col == "" {
		return ""
	}
	return fmt.Sprintf(" WHERE %s NOT IN (%s)", quoteIdent(col), strings.Join(done, ", "))
}

// finishedStates names t's state column and its finished values (quoted
// literals), or "" when they are not known.
func finishedStates(t *TableInfo) (string, []string) {
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
			return c.Name, done
		}
	}
	return "", nil
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

// nextvalRe matches a serial column's default and captures its sequence.
var nextvalRe = regexp.MustCompile(`^nextval\('((?:[^']|'')+)'::regclass\)$`)
