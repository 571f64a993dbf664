package recommendations

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// minUpdatesPerS is the update rate from which a table's HOT ratio matters.
const minUpdatesPerS = 20

// fillfactorRule recommends a fillfactor below 100 for queue tables with
// heavy updates and a low HOT ratio, when the updates could be HOT (they do
// not set indexed columns). When they set indexed columns it says so
// instead: free space in the page cannot make those updates HOT.
func fillfactorRule(f *facts, out *output) {
	for _, tf := range f.queueTables() {
		if f.PerSec(tf.Upd) < minUpdatesPerS {
			continue
		}
		hot := float64(tf.HotUpd) / float64(tf.Upd)
		if hot >= 0.5 {
			continue
		}
		if lib, lt := f.foreignLibrary(tf.Name); lt != nil && !lt.HOT {
			// Free space cannot make an update HOT when it changes an
			// indexed column, and the library's schema decides that.
			out.note("%s: %s updates/s with %s HOT, and no fillfactor can change that: %s (%s's schema)", tf.Name, fmtNum(f.PerSec(tf.Upd)), fmtPct(hot), lt.HOTWhy, lib.Name)
			continue
		}
		var t *TableInfo
		if f.in.Catalog != nil {
			t = f.in.Catalog.Table(tf.Name)
		}
		if t == nil {
			out.note("%s: %s updates/s with %s HOT, but no catalog snapshot to size a fillfactor from", tf.Name, fmtNum(f.PerSec(tf.Upd)), fmtPct(hot))
			continue
		}
		cur := 100.0
		if v := t.Reloption("fillfactor"); v != "" {
			fmt.Sscan(v, &cur)
		}
		eligible, blocked, blockers := hotEligibleUpdates(f, t, out.plannedIndexed[t.Name])
		if eligible+blocked == 0 {
			eligible = tf.Upd // no statement text: assume the updates could be HOT
		}
		share := float64(eligible) / float64(eligible+blocked)
		if share < 0.3 {
			if len(f.findingsOn(tf.Name, runrec.CauseBloat, runrec.CauseVacuumLag)) == 0 {
				continue // by design of the queue, and nothing suffers from it here
			}
			out.note("%s: %s of updates are HOT, but %s of the updated rows come from statements that set indexed columns (%s): they can never be HOT, so fillfactor would not raise the HOT ratio (that is the HOT trade-off of indexing them)",
				tf.Name, fmtPct(hot), fmtPct(1-share), strings.Join(blockers, "; "))
			continue
		}
		perRow := float64(tf.Upd) / math.Max(1, float64(tf.Ins))
		hotPerRow := perRow * share
		sz := sizeFillfactor(f, t, tf, share, hotPerRow)
		n := sz.fillfactor
		if n >= cur {
			continue
		}
		rowsPerPage := math.Floor(8168 * n / 100 / float64(max(t.RowWidth, 32)))
		why := []string{fmt.Sprintf("%s took %s updates/s during the run, only %s of them HOT (%s updates per inserted row).",
			tf.Name, fmtNum(f.PerSec(tf.Upd)), fmtPct(hot), fmtNum(perRow))}
		if ff := f.findingsOn(tf.Name, runrec.CauseBloat, runrec.CauseVacuumLag); len(ff) > 0 {
			why = append(why, fmt.Sprintf("Finding(s) %s show the table growing or vacuum lagging.", strings.Join(ids(ff), ", ")))
		}
		why = append(why, fmt.Sprintf("A non-HOT update writes a new entry into every index; a HOT one needs free space on the same heap page. %s "+
			"Reserving room for those versions only (%s of a row per row, not a full row per row: pruning frees the space of versions no snapshot needs) gives fillfactor %.0f, which still fits %s rows of about %d bytes per page.",
			sz.why, fmtNum(sz.versionsPerRow), n, fmtNum(rowsPerPage), t.RowWidth))
		if len(blockers) > 0 {
			why = append(why, fmt.Sprintf("Updates only stay HOT while they set no indexed column: %s cannot be HOT however much space is free.", strings.Join(blockers, "; ")))
		} else {
			why = append(why, "The updated columns are not indexed, so with free space these updates can be HOT; keep it that way (an index on an updated column, partial predicates included, makes them non-HOT).")
		}
		out.add(runrec.Recommendation{
			Kind:       runrec.RecFillfactor,
			Target:     tf.Name,
			SQL:        withLockTimeout(fmt.Sprintf("ALTER TABLE %s SET (fillfactor = %.0f);", quoteQualified(tf.Name), n)),
			Rationale:  strings.Join(why, " "),
			FindingIDs: ids(f.findingsOn(tf.Name, runrec.CauseBloat, runrec.CauseVacuumLag)),
			ExpectedImpact: fmt.Sprintf("HOT ratio rises from %s towards %s of updates; fewer index writes, less WAL and less index bloat. Applies to pages written from now on: existing pages take it as the queue turns over and rows are rewritten (or at once with pg_repack; "+vacuumFullWarning+").",
				fmtPct(hot), fmtPct(share)),
			Risk: fmt.Sprintf("The table takes about %s more space for the same rows and sequential scans read that much more; ALTER TABLE ... SET takes a brief SHARE UPDATE EXCLUSIVE lock.",
				fmtPct(100/n-1)),
			Rollback: withLockTimeout(fmt.Sprintf("ALTER TABLE %s SET (fillfactor = %.0f);", quoteQualified(tf.Name), cur)),
		})
	}
}

// hotEligibleUpdates splits the rows the run's UPDATE statements changed on
// t into those that set no indexed column and those that do, naming the
// latter's columns and indexes. planned are columns a recommended new
// index will cover.
func hotEligibleUpdates(f *facts, t *TableInfo, planned []string) (eligible, blocked int64, blockers []string) {
	indexed := map[string][]string{}
	for _, ix := range t.Indexes {
		for _, c := range indexedColumns(ix) {
			indexed[c] = append(indexed[c], ix.Name)
		}
	}
	for _, c := range planned {
		indexed[c] = appendUnique(indexed[c], "the index recommended above")
	}
	seen := map[string]bool{}
	for _, s := range f.Statements {
		if s.Command != "update" || s.Target == "" || f.in.Catalog.Table(s.Target) != t {
			continue
		}
		var hits []string
		for _, c := range s.SetColumns {
			if ixs, ok := indexed[c]; ok {
				hits = append(hits, fmt.Sprintf("%s (in %s)", c, strings.Join(ixs, ", ")))
			}
		}
		if len(hits) == 0 {
			eligible += s.Rows
			continue
		}
		blocked += s.Rows
		for _, h := range hits {
			if !seen[h] {
				seen[h] = true
				blockers = append(blockers, h)
			}
		}
	}
	sort.Strings(blockers)
	return eligible, blocked, blockers
}

// fillfactorSizing is a fillfactor and how it was reached.
type fillfactorSizing struct {
	fillfactor     float64
	versionsPerRow float64 // new versions per row the pages lacked room for
	why            string
}

// sizeFillfactor sizes the free space a page must keep from what the run
// measured: HOT-eligible updates per page, and the share of them that did
// not find room on their page. On PG16+ that share is
// n_tup_newpage_upd (updates whose new version went to another page); before
// it, the eligible updates that were not HOT. A page needs room only for
// the versions it lacked room for, since pruning reclaims the rest.
func sizeFillfactor(f *facts, t *TableInfo, tf *tableFacts, share, hotPerRow float64) fillfactorSizing {
	pages := float64(t.Pages)
	if pages <= 0 {
		pages = math.Max(1, float64(t.HeapBytes)/8192)
	}
	eligiblePerS := f.PerSec(tf.Upd) * share
	perPage := eligiblePerS / pages
	missFrom := ""
	var miss float64
	if v := f.serverVersionNum(); t.NewPageUpd != nil && t.Upd > 0 && (v == 0 || v >= 160000) {
		// n_tup_newpage_upd counts every update that left its page; the
		// ones that set an indexed column may be among them, so it bounds
		// the eligible misses from above.
		miss = math.Min(1, float64(*t.NewPageUpd)/(float64(t.Upd)*math.Max(share, 0.01)))
		missFrom = fmt.Sprintf("n_tup_newpage_upd: %s of %s updates since the statistics reset moved to another page", itoa(*t.NewPageUpd), itoa(t.Upd))
	} else {
		hotOfEligible := math.Min(1, float64(tf.HotUpd)/math.Max(1, float64(tf.Upd)*share))
		miss = 1 - hotOfEligible
		missFrom = fmt.Sprintf("%s of the HOT-eligible updates were not HOT in the run", fmtPct(miss))
	}
	versions := math.Min(1, hotPerRow) * miss
	n := 100 / (1 + versions)
	n = math.Max(50, math.Min(95, math.Floor(n/5)*5))
	why := fmt.Sprintf("The run made %s HOT-eligible updates per heap page per second (%s/s over %s pages, %s per row); %s.",
		fmtNum(perPage), fmtNum(eligiblePerS), fmtNum(pages), fmtNum(hotPerRow), missFrom)
	return fillfactorSizing{fillfactor: n, versionsPerRow: versions, why: why}
}
