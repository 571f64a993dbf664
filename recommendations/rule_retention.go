package recommendations

import (
	"fmt"
	"strings"

	"github.com/pgqtune/pgqtune/libraries"
	"github.com/pgqtune/pgqtune/runrec"
)

// retentionBatch is how many finished jobs one retention DELETE removes:
// small enough that each batch is a short transaction with few row locks
// and little WAL, large enough that the per-statement cost is negligible.
const retentionBatch = 5000

// finishedAtCols are columns that record when a job finished, in order of
// preference.
var finishedAtCols = []string{"finished_at", "completed_at", "finalized_at", "done_at", "archived_at"}

// retentionRule tells how to get rid of finished jobs without hurting the
// queue: batched DELETEs (moving the rows to an archive table when there
// is one) for a plain table, partition rotation that skips any partition
// still holding an unfinished job for a partitioned one. A library's table
// is left to the library's own cleanup.
func retentionRule(f *facts, out *output) {
	if f.in.Catalog == nil {
		return
	}
	for i := range f.in.Catalog.Tables {
		t := &f.in.Catalog.Tables[i]
		tf := f.table(t.Name)
		if tf == nil || !tf.Queue || t.Kind == "partition" {
			continue
		}
		big := retentionDeletes(f, t)
		if !accumulating(f, tf) && (big == nil || big.RowsPerCall() < 2*retentionBatch) {
			continue
		}
		if lib := libraryOwnedTable(t); lib != "" {
			if p := libraries.ByName(lib); p != nil && p.Has(libraries.FeatureCleanup) {
				out.note("%s keeps finished jobs: %s deletes or archives them itself; shorten its retention setting rather than deleting from its table", t.Name, lib)
			} else {
				out.note("%s keeps finished jobs: %s owns the table, so use its own cleanup (or its documented retention settings) rather than deleting from its table", t.Name, lib)
			}
			continue
		}
		col, done := finishedStates(t)
		if col == "" {
			out.note("%s keeps finished jobs, but no state column tells finished from unfinished ones: retention cannot be outlined safely", t.Name)
			continue
		}
		finished := fmt.Sprintf("%s IN (%s)", quoteIdent(col), strings.Join(done, ", "))
		unfinished := fmt.Sprintf("%s NOT IN (%s)", quoteIdent(col), strings.Join(done, ", "))
		fids := ids(f.findingsOn(t.Name, runrec.CauseBloat, runrec.CauseVacuumLag))
		if t.Kind == "partitioned" {
			key := partitionKeyColumn(t)
			if key == "" {
				continue
			}
			out.add(runrec.Recommendation{
				Kind:   runrec.RecPartitioning,
				Target: t.Name + ": retention",
				SQL: fmt.Sprintf("-- Run daily (pg_cron or the application's scheduler). It drops only partitions wholly older than %d days and holding no unfinished job.\n%s",
					retentionDays, rotationSQL(t.Name, unfinished, f.serverVersionNum())),
				Rationale: fmt.Sprintf("%s is partitioned on %s and holds %s live rows: finished jobs are best removed a partition at a time, which leaves no dead tuples behind. "+
					"A partition that still holds a job not in (%s) is skipped and named, so retention never drops work still to run.",
					t.Name, key, itoa(tf.LiveLast), strings.Join(done, ", ")),
				FindingIDs:     orEmpty(fids),
				ExpectedImpact: "The table stays as small as the retention window; no DELETE, no dead tuples, no vacuum work for retention.",
				Risk:           "DETACH takes a brief ACCESS EXCLUSIVE lock on the parent (lock_timeout bounds the wait; the job retries the next day). Dropped partitions are gone: archive them first if finished jobs must be kept.",
				Rollback:       "-- A dropped partition cannot be restored; restore from a backup if needed.",
			})
			continue
		}
		out.add(batchedDeleteRec(f, t, tf, big, finished, fids))
	}
}

// batchedDeleteRec is retention for a plain table: finished jobs deleted
// in batches, each its own short transaction, moved to the archive table
// when the schema has one.
func batchedDeleteRec(f *facts, t *TableInfo, tf *tableFacts, big *stmtFacts, finished string, fids []string) runrec.Recommendation {
	name := quoteQualified(t.Name)
	cond := finished
	if c := firstColumn(t, finishedAtCols...); c != "" {
		cond += fmt.Sprintf(" AND %s < now() - interval '%d days'", quoteIdent(c), retentionDays)
	}
	// The batch is picked by primary key when it is one column, else by
	// ctid; SKIP LOCKED leaves rows a worker holds alone.
	pick, in := "ctid", "ctid = ANY(ARRAY("
	if pk := primaryKey(t); len(pk) == 1 {
		pick, in = pk[0], pk[0]+" IN ("
	}
	sub := fmt.Sprintf("SELECT %s FROM %s WHERE %s LIMIT %d FOR UPDATE SKIP LOCKED", pick, name, cond, retentionBatch)
	closing := ")"
	if pick == "ctid" {
		closing = "))"
	}
	del := fmt.Sprintf("DELETE FROM %s WHERE %s%s%s", name, in, sub, closing)
	var b strings.Builder
	b.WriteString("-- Run from a scheduler (pg_cron, or the application), repeating the statement until it deletes fewer rows than the batch; each batch is its own short transaction.\n")
	archive := archiveTable(f, t)
	if archive != nil {
		cols := commonColumns(t, archive)
		fmt.Fprintf(&b, "-- Finished jobs move to %s rather than vanish.\nWITH moved AS (\n  %s\n  RETURNING %s\n)\nINSERT INTO %s (%s) SELECT %s FROM moved;",
			archive.Name, del, cols, quoteQualified(archive.Name), cols, cols)
	} else {
		b.WriteString(del + ";")
	}
	why := []string{}
	if len(fids) > 0 {
		why = append(why, fmt.Sprintf("Finding(s) %s show the table's size costing the queue.", strings.Join(fids, ", ")))
	}
	if big != nil {
		why = append(why, fmt.Sprintf("Retention ran as one DELETE of %s rows per call (queryid %d, %s ms mean): one long transaction holding that many row locks, and a burst of dead tuples vacuum must catch up with while the claim reads past them.",
			fmtNum(big.RowsPerCall()), big.QueryID, fmtNum(big.MeanMs())))
	} else {
		why = append(why, fmt.Sprintf("%s holds %s live rows while few jobs wait: finished jobs are kept and nothing removes them.", t.Name, itoa(tf.LiveLast)))
	}
	why = append(why, fmt.Sprintf("Deleting %d finished jobs at a time keeps each transaction short and lets autovacuum reclaim the space as it goes; the partitioning recommendation (when given) removes even that cost.", retentionBatch))
	return runrec.Recommendation{
		Kind:           runrec.RecApplication,
		Target:         t.Name + ": retention",
		SQL:            b.String(),
		Rationale:      strings.Join(why, " "),
		FindingIDs:     orEmpty(fids),
		ExpectedImpact: "Finished jobs leave the table steadily in small batches; the table and its indexes stop growing, and no single statement stalls the workers.",
		Risk:           "Each deleted row is a dead tuple until vacuum: keep autovacuum keeping up with the table (see the autovacuum advice). Deleted jobs are gone unless archived.",
		Rollback:       "-- Stop the scheduled job; deleted rows are only in the archive table (if any) or backups.",
	}
}

// rotationSQL drops, one partition at a time, the partitions of parent
// whose range ends before the retention cutoff and which hold no row
// matching unfinished; a partition with unfinished jobs is skipped with a
// NOTICE. Everything runs in one DO block, so a paste cannot drop a
// partition the check did not clear.
func rotationSQL(parent, unfinished string, version int) string {
	var b strings.Builder
	b.WriteString(lockTimeoutSQL)
	if version == 0 || version >= 140000 {
		b.WriteString("-- (PG14+: ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY avoids even the brief lock, but cannot run inside this block; with no DEFAULT partition it is allowed.)\n")
	}
	fmt.Fprintf(&b, `DO $rotate$
DECLARE
  part regclass;
  busy boolean;
BEGIN
  FOR part IN
    SELECT c.oid::regclass FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = %s::regclass
       AND (regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
           <= date_trunc('day', now()) - interval '%d days'
  LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %%s WHERE %s)', part) INTO busy;
    IF busy THEN
      RAISE NOTICE 'retention: %% still holds unfinished jobs, kept', part;
      CONTINUE;
    END IF;
    EXECUTE format('ALTER TABLE %s DETACH PARTITION %%s', part);
    EXECUTE format('DROP TABLE %%s', part);
  END LOOP;
END
$rotate$;`, quoteLiteral(parent), retentionDays, strings.ReplaceAll(unfinished, "'", "''"), strings.ReplaceAll(quoteQualified(parent), "'", "''"))
	return b.String()
}

// partitionKeyColumn is the column of a one-column range partition key.
func partitionKeyColumn(t *TableInfo) string {
	pk := strings.TrimSpace(t.PartitionKey)
	if !strings.HasPrefix(strings.ToUpper(pk), "RANGE (") || !strings.HasSuffix(pk, ")") {
		return ""
	}
	col := strings.TrimSpace(pk[len("RANGE (") : len(pk)-1])
	if strings.ContainsAny(col, ",( ") {
		return ""
	}
	return strings.Trim(col, `"`)
}

func firstColumn(t *TableInfo, names ...string) string {
	for _, n := range names {
		if t.Column(n) != nil {
			return n
		}
	}
	return ""
}

func primaryKey(t *TableInfo) []string {
	for _, ix := range t.Indexes {
		if ix.Primary {
			return ix.Columns
		}
	}
	return nil
}

// archiveTable is the table <table>_archive in the snapshot, if any.
func archiveTable(f *facts, t *TableInfo) *TableInfo {
	a := f.in.Catalog.Table(t.Name + "_archive")
	if a == nil || a == t || len(commonColumns(t, a)) == 0 {
		return nil
	}
	return a
}

// commonColumns lists, quoted and comma-separated, the archive's columns
// the table also has, in the archive's order.
func commonColumns(t, archive *TableInfo) string {
	var cols []string
	for _, c := range archive.Columns {
		if t.Column(c.Name) != nil {
			cols = append(cols, quoteIdent(c.Name))
		}
	}
	return strings.Join(cols, ", ")
}
