package recommendations

import (
	"fmt"
	"math"
	"strings"

	"github.com/pgqtune/pgqtune/runrec"
)

// reindexRule recommends REINDEX INDEX CONCURRENTLY for queue-table indexes
// that are several times the size their entries need (and that are not
// recommended for dropping).
func reindexRule(f *facts, out *output, dropped map[string]bool) {
	if f.in.Catalog == nil {
		return
	}
	for _, t := range f.in.Catalog.Tables {
		tf := f.table(t.Name)
		bloat := f.findingsOn(t.Name, runrec.CauseBloat)
		for _, ix := range t.Indexes {
			if dropped[ix.Name] {
				continue
			}
			ideal := idealIndexBytes(ix, &t)
			if ideal <= 0 || ix.SizeBytes < 1<<20 {
				continue
			}
			ratio := float64(ix.SizeBytes) / ideal
			grew := tf != nil && tf.IndexFirst > 0 && float64(tf.IndexLast) > 1.5*float64(tf.IndexFirst)
			if !(ratio >= 5 || ratio >= 3 && (len(bloat) > 0 || grew)) {
				continue
			}
			why := fmt.Sprintf("%s is %s but its %s entries need about %s (%s× bloat, estimated from the entries' average key width at 90%% leaf fill).",
				ix.Name, fmtBytes(float64(ix.SizeBytes)), fmtNum(ix.Reltuples), fmtBytes(ideal), fmtNum(ratio))
			if len(bloat) > 0 {
				why += fmt.Sprintf(" Finding(s) %s attribute drops to bloat on %s.", strings.Join(ids(bloat), ", "), t.Name)
			}
			if grew {
				why += fmt.Sprintf(" The table's indexes grew from %s to %s during the run.", fmtBytes(float64(tf.IndexFirst)), fmtBytes(float64(tf.IndexLast)))
			}
			why += " Queue indexes bloat because every claimed and finished job leaves a dead entry until vacuum, and btree pages emptied out of order are not merged back."
			out.add(runrec.Recommendation{
				Kind:           runrec.RecIndex,
				Target:         ix.Name,
				SQL:            concurrently(fmt.Sprintf("REINDEX INDEX CONCURRENTLY %s;", quoteQualified(ix.Name))),
				Rationale:      why,
				FindingIDs:     ids(bloat),
				ExpectedImpact: fmt.Sprintf("The index shrinks to about %s; index scans touch fewer pages and the claim gets cheaper.", fmtBytes(ideal)),
				Risk: "Builds a new copy next to the old one (needs that much free disk and I/O), waits for running transactions, cannot run in a transaction block; " +
					"a failure leaves an INVALID index named *_ccnew to drop. The bloat returns if vacuum does not keep up: fix that too.",
				Rollback: fmt.Sprintf("-- None needed: the rebuilt index is equivalent. If the rebuild failed, drop the INVALID copy it left:\n-- DROP INDEX CONCURRENTLY IF EXISTS %s;", quoteQualified(ix.Name+"_ccnew")),
			})
		}
	}
}

// idealIndexBytes estimates a btree's size from its entry count and key
// widths: per entry an 8-byte index tuple header, the MAXALIGNed key and a
// 4-byte line pointer, leaves filled to 90%, plus 1% for inner pages. 0 when
// the entry count is unknown.
func idealIndexBytes(ix Index, t *TableInfo) float64 {
	if ix.Reltuples <= 0 || ix.Method != "" && ix.Method != "btree" {
		return 0
	}
	key := 0
	for _, c := range append(append([]string{}, ix.Columns...), ix.Include...) {
		w := 8
		if col := t.Column(strings.Trim(c, `"`)); col != nil && col.AvgWidth > 0 {
			w = col.AvgWidth
		}
		key += w
	}
	entry := 8 + (key+7)/8*8 + 4
	perPage := math.Floor((8192 - 24 - 16) * 0.9 / float64(entry))
	if perPage < 1 {
		return 0
	}
	pages := math.Ceil(ix.Reltuples/perPage)*1.01 + 1
	return pages * 8192
}
