package recommendations

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// missingIndexInput is a run on q's database where the claim scanned the
// whole table every time, with the catalog snapshotted from q.
func missingIndexInput(t *testing.T, q *queueDB) *Input {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cat, err := SnapshotCatalog(ctx, q.dsn, []string{"pgqtune.job"})
	if err != nil {
		t.Fatal(err)
	}
	run := newRun("pgqtune.job").ticks(30, func(i int, s *runrec.Sample) {
		s.Statements = []runrec.StatementDelta{stmt(i, q.qid, q.claim, 50, 400, 50, 30000)}
		s.Tables = []runrec.TableStats{{Relation: "pgqtune.job", Queue: true, LiveTup: 20000, DeadTup: 300,
			SeqScan: 50, SeqTupRead: 50 * 20000, Ins: 50, Upd: 100, HotUpd: 0}}
	}).run
	return &Input{Run: run, Catalog: cat, Findings: []runrec.Finding{finding("F1", "missing_index", "pgqtune.job")}}
}

func TestValidateWithHypopg(t *testing.T) {
	t.Parallel()
	q := newQueueDB(t, 20000, 200, true)
	in := missingIndexInput(t, q)
	recs, _ := Recommend(in)
	var idx *runrec.Recommendation
	for i := range recs {
		if recs[i].Kind == runrec.RecIndex && strings.HasPrefix(recs[i].SQL, "CREATE INDEX") {
			idx = &recs[i]
		}
	}
	if idx == nil {
		t.Fatalf("no index recommendation in %+v", recs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recs, notes := ValidateWithHypopg(ctx, q.dsn, in, recs)
	if len(notes) != 0 {
		t.Fatalf("notes = %v", notes)
	}
	v := idx.Validation
	if v == nil || v.Method != "hypopg" || v.Unit != "cost" {
		t.Fatalf("validation = %+v", v)
	}
	t.Logf("%s\n%s\n%+v", idx.SQL, idx.Rationale, *v)
	if !(v.After < v.Before/2) || !strings.Contains(v.Note, "the plan uses it") {
		t.Fatalf("hypothetical index did not cut the cost enough: %+v", v)
	}
	t.Run("leaves nothing behind on the target", func(t *testing.T) {
		var n int
		if err := q.pool.QueryRow(ctx, `SELECT count(*) FROM pg_extension WHERE extname = 'hypopg'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("hypopg left installed: %d %v", n, err)
		}
		if err := q.pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE tablename = 'job' AND schemaname = 'pgqtune'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("indexes on job = %d (want only the pkey), %v", n, err)
		}
	})
}
