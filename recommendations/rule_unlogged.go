package recommendations

import (
	"fmt"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// unloggedRule offers UNLOGGED queue tables when the queue is WAL-bound
// (wal_write or checkpoint_pressure findings) and its tables are pgqtune's
// or the user's own. It is always informational: only the owner knows
// whether the jobs are disposable, and the change rewrites the table.
func unloggedRule(f *facts, out *output) {
	// WAL-bound means commits waiting on WAL flush, or checkpoints forced
	// by WAL volume (the config rule then resized them); requested
	// checkpoints with little WAL are not the queue's doing.
	fids := f.findingIDs(runrec.CauseWALWrite)
	for _, r := range out.recs {
		if r.Target == "server: checkpoints" {
			fids = append(fids, r.FindingIDs...)
		}
	}
	if f.in.Catalog == nil || len(fids) == 0 {
		return
	}
	for _, tf := range f.queueTables() {
		t := f.in.Catalog.Table(tf.Name)
		if t == nil || t.Unlogged || t.Kind != "table" {
			continue
		}
		if lib := libraryOwnedTable(t); lib != "" {
			continue // a table rewrite of a library's table: never
		}
		name := quoteQualified(t.Name)
		out.add(runrec.Recommendation{
			Kind:   runrec.RecConfig,
			Target: t.Name + ": unlogged",
			SQL: "-- Only if every job in the table can be lost (caches, notifications, jobs re-enqueued by their producer); it rewrites the table.\n" +
				withLockTimeout(fmt.Sprintf("ALTER TABLE %s SET UNLOGGED;", name)),
			Rationale: fmt.Sprintf("Finding(s) %s show the queue limited by WAL: every enqueue, claim and completion on %s writes WAL and waits for its flush. An UNLOGGED table writes no WAL for its rows.",
				strings.Join(fids, ", "), t.Name),
			FindingIDs:     fids,
			ExpectedImpact: "Queue operations stop generating WAL: commits of queue work no longer wait on WAL flushes, and checkpoints carry less.",
			Risk: "After a crash (not a clean restart) Postgres empties an unlogged table: every queued and in-flight job is lost. " +
				"Unlogged tables are not replicated: replicas and failover targets see it empty, so after a failover the queue starts empty. " +
				"SET UNLOGGED rewrites the table under an ACCESS EXCLUSIVE lock for its whole duration (lock_timeout bounds only the wait), and a table referenced by a logged table's foreign key cannot be made unlogged.",
			Rollback:      withLockTimeout(fmt.Sprintf("ALTER TABLE %s SET LOGGED;  -- rewrites the table and writes all of it to WAL", name)),
			Informational: true,
		})
	}
}
