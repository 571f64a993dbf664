package recommendations

import (
	"fmt"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// minWritesPerS is the write rate from which a queue table counts as write
// heavy: below it an extra index costs too little to be worth a change.
const minWritesPerS = 20

// dropIndexRule recommends DROP INDEX CONCURRENTLY for indexes on
// write-heavy queue tables that no scan used during the run (and never
// since the statistics were reset), and for indexes another index makes
// redundant. It returns the names of the indexes it recommends dropping.
func dropIndexRule(f *facts, out *output) map[string]bool {
	dropped := map[string]bool{}
	if f.in.Catalog == nil || f.DurationS < 20 {
		return dropped
	}
	for _, t := range f.in.Catalog.Tables {
		tf := f.table(t.Name)
		if tf == nil {
			continue
		}
		writes := f.PerSec(tf.Ins + tf.Upd - tf.HotUpd + tf.Del)
		if writes < minWritesPerS {
			continue
		}
		entriesPerS := f.PerSec(tf.Ins + tf.Upd - tf.HotUpd)
		cost := fmt.Sprintf("On %s every insert and non-HOT update (%s/s in this run) writes an entry into each index, and vacuum must clean each index too.", t.Name, fmtNum(entriesPerS))
		lib, _ := f.foreignLibrary(t.Name)
		for _, ix := range t.Indexes {
			if ix.Primary || ix.Unique || ix.Constraint != "" || !ix.Valid {
				continue
			}
			if lib != nil && lib.OwnsIndex(t.Name, ix.Name) {
				// The library's migrations created it and its statements
				// (some this run never exercised) rely on it: never advise
				// dropping it, whatever this run's scans say.
				if scans, seen := tf.IndexScans[ix.Name]; seen && scans == 0 && ix.IdxScan == 0 {
					out.note("%s (%s's own index on %s) had no scans in this run; it is left alone: %s creates and relies on it", ix.Name, lib.Name, t.Name, lib.Name)
				}
				continue
			}
			if by := redundantWith(ix, t.Indexes); by != nil {
				dropped[ix.Name] = true
				out.add(dropRec(&t, ix, fmt.Sprintf("%s (%s) is redundant: %s (%s) has the same leading keys and predicate and serves every scan it could. %s",
					ix.Name, strings.Join(ix.Columns, ", "), by.Name, strings.Join(by.Columns, ", "), cost), entriesPerS))
				continue
			}
			scans, seen := tf.IndexScans[ix.Name]
			if seen && scans == 0 && ix.IdxScan == 0 {
				dropped[ix.Name] = true
				out.add(dropRec(&t, ix, fmt.Sprintf("%s (%s) had no index scans during the %s s run and none since statistics were last reset. %s",
					ix.Name, fmtBytes(float64(ix.SizeBytes)), fmtNum(f.DurationS), cost), entriesPerS))
			}
		}
	}
	return dropped
}

func dropRec(t *TableInfo, ix Index, why string, entriesPerS float64) runrec.Recommendation {
	table := t.Name
	// An index on a partitioned table cannot be dropped CONCURRENTLY.
	concurrently := "CONCURRENTLY "
	if t.Kind == "partitioned" {
		concurrently = ""
	}
	r := runrec.Recommendation{
		Kind:      runrec.RecIndex,
		Target:    ix.Name,
		SQL:       fmt.Sprintf("DROP INDEX %sIF EXISTS %s;", concurrently, quoteQualified(ix.Name)),
		Rationale: why,
		ExpectedImpact: fmt.Sprintf("About %s fewer index entries written per second, less WAL, a smaller vacuum, and (if the index covers a column the workload updates) more HOT updates.",
			fmtNum(entriesPerS)),
		Risk:     "A query this run did not exercise (a report, a rare admin path, another replica's reads) may rely on it: check pg_stat_user_indexes.idx_scan on every node over a full business cycle first.",
		Rollback: concurrentDef(ix.Definition) + ";",
	}
	if lib := managedBy(table); lib != "" {
		// Only indexes the library did not create get here (its own are
		// never dropped): one a user or pgqtune added on its table.
		r.Rationale += fmt.Sprintf(" It is not one of %s's own indexes: it was added on a table %s owns.", lib, lib)
	}
	return r
}

// redundantWith returns an index that makes ix redundant: same method and
// predicate, and ix's keys (with directions) are a prefix of its keys. Of two
// identical indexes the one with the greater name is the redundant one, so
// exactly one of them is dropped.
func redundantWith(ix Index, all []Index) *Index {
	for i := range all {
		o := &all[i]
		if o.Name == ix.Name || !o.Valid || o.Method != ix.Method || o.Predicate != ix.Predicate || len(o.Columns) < len(ix.Columns) {
			continue
		}
		prefix := true
		for k, c := range ix.Columns {
			if o.Columns[k] != c || descAt(o, k) != descAt(&ix, k) {
				prefix = false
				break
			}
		}
		if !prefix {
			continue
		}
		if len(o.Columns) == len(ix.Columns) && len(o.Include) == len(ix.Include) && !o.Unique && !o.Primary && o.Name > ix.Name {
			continue // identical: keep the first name, drop the other
		}
		return o
	}
	return nil
}

func descAt(ix *Index, k int) bool { return k < len(ix.Desc) && ix.Desc[k] }

// concurrentDef turns pg_get_indexdef's CREATE [UNIQUE] INDEX into the
// CONCURRENTLY form, so a rollback does not block writes while it builds.
func concurrentDef(def string) string {
	for _, p := range []string{"CREATE UNIQUE INDEX ", "CREATE INDEX "} {
		if strings.HasPrefix(def, p) && !strings.Contains(def, " ON ONLY ") {
			return p + "CONCURRENTLY " + strings.TrimPrefix(def, p)
		}
	}
	return def
}
