package recommendations

import (
	"fmt"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// minChurnPerS is the rate of updates and deletes from which a queue table
// counts as hot: vacuum visits it constantly.
const minChurnPerS = 20

// hotQueueRule sets two per-table options that suit a small, constantly
// churning queue table: vacuum_truncate = off (vacuum's truncation of the
// emptied tail takes an ACCESS EXCLUSIVE lock, stalls every claim while it
// waits for it, and is undone by the next inserts) and
// autovacuum_vacuum_cost_delay = 0 (no throttling on a table that small;
// throttling only lets dead tuples pile up between visits). It is
// informational unless a finding shows vacuum or locks hurting the table.
func hotQueueRule(f *facts, out *output) {
	if f.in.Catalog == nil || f.serverVersionNum() != 0 && f.serverVersionNum() < 120000 {
		return // vacuum_truncate exists from PG12
	}
	if len(f.findingIDs(runrec.CauseXmin)) > 0 {
		return // no vacuum setting helps while the horizon is held
	}
	for _, tf := range f.queueTables() {
		t := f.in.Catalog.Table(tf.Name)
		if t == nil || t.Kind == "partitioned" {
			continue
		}
		churn := f.PerSec(tf.Upd + tf.Del)
		if churn < minChurnPerS || tf.Autovacuums+tf.Vacuums == 0 && !vacuumSeen(f, tf.Name) {
			continue
		}
		if t.HeapBytes > 1<<30 {
			continue // unthrottled vacuum of a large table would compete with the workload
		}
		var opts, reset, why []string
		if !isOff(t.Reloption("vacuum_truncate")) {
			opts = append(opts, "vacuum_truncate = off")
			reset = append(reset, "vacuum_truncate")
			why = append(why, "Each vacuum that empties the table's tail truncates it, taking an ACCESS EXCLUSIVE lock that queues every claim behind it (and, on replicas, cancels queries when replayed); the next inserts extend the table again, so on a queue the truncation buys nothing.")
		}
		if t.Reloption("autovacuum_vacuum_cost_delay") == "" && !plannedOption(out, tf.Name, "autovacuum_vacuum_cost_delay") {
			opts = append(opts, "autovacuum_vacuum_cost_delay = 0")
			reset = append(reset, "autovacuum_vacuum_cost_delay")
			why = append(why, fmt.Sprintf("The table is %s: an unthrottled vacuum of it takes moments, while cost-based sleeps stretch each visit and let dead tuples pile up meanwhile.", fmtBytes(float64(t.HeapBytes))))
		}
		if len(opts) == 0 {
			continue
		}
		fids := ids(f.findingsOn(tf.Name, runrec.CauseVacuumLag, runrec.CauseBloat, runrec.CauseLock))
		lead := fmt.Sprintf("%s took %s updates and deletes per second and was vacuumed %s time(s) during the %s s run.",
			tf.Name, fmtNum(churn), itoa(tf.Autovacuums+tf.Vacuums), fmtNum(f.DurationS))
		out.add(runrec.Recommendation{
			Kind:           runrec.RecAutovacuum,
			Target:         tf.Name,
			SQL:            withLockTimeout(fmt.Sprintf("ALTER TABLE %s SET (%s);", quoteQualified(tf.Name), strings.Join(opts, ", "))),
			Rationale:      lead + " " + strings.Join(why, " "),
			FindingIDs:     orEmpty(fids),
			ExpectedImpact: "Vacuum visits of the queue table finish quickly and never take an ACCESS EXCLUSIVE lock to truncate it.",
			Risk:           "The table keeps its high-water size on disk (it is reused, not returned). Unthrottled vacuum uses more I/O while it runs: fine for a small table, not for a large one.",
			Rollback:       withLockTimeout(fmt.Sprintf("ALTER TABLE %s RESET (%s);", quoteQualified(tf.Name), strings.Join(reset, ", "))),
			Informational:  len(fids) == 0,
		})
	}
}

// plannedOption reports whether an earlier recommendation already sets a
// reloption on table.
func plannedOption(out *output, table, option string) bool {
	for _, r := range out.recs {
		if r.Target == table && strings.Contains(r.SQL, option) {
			return true
		}
	}
	return false
}
