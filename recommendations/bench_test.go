package recommendations

import (
	"fmt"
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

// BenchmarkRecommend runs every rule over a 24-hour run at 1 s (86,400
// samples with 50 statements each).
func BenchmarkRecommend(b *testing.B) {
	cat := func() *Catalog {
		var t testing.T
		return loadCatalog(&t)
	}()
	texts := make([]string, 50)
	for k := range texts {
		texts[k] = fmt.Sprintf("SELECT x%d FROM pgqtune.job WHERE id = $1", k)
	}
	texts[0] = claimText
	run := newRun("pgqtune.job").ticks(86400, func(i int, s *runrec.Sample) {
		for k := range texts {
			s.Statements = append(s.Statements, stmt(i, int64(-9000-k), texts[k], 10, 1, 10, 50))
		}
		s.Tables = []runrec.TableStats{{Relation: "pgqtune.job", Queue: true, LiveTup: 20200, DeadTup: int64(i % 500), Ins: 100, Upd: 200}}
		s.WAL = &runrec.WALStats{Bytes: 1 << 20, HasStatWAL: true}
	}).run
	dropIndex(cat, "pgqtune.job", "pgqtune.job_claim_idx")
	in := &Input{Run: run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "missing_index", "pgqtune.job")}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		recs, _ := Recommend(in)
		if len(recs) == 0 {
			b.Fatal("no recommendations")
		}
	}
}
