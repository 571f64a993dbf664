package recommendations

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// Without hypopg every index recommendation is checked on a scratch copy
// of its table; one the generic plan of the claim does not use is removed
// and comes back as a note. Not parallel: it switches hypopg off for the
// package while it runs.
func TestScratchPlanCheck(t *testing.T) {
	q := newQueueDB(t, 20000, 200, true)
	in := missingIndexInput(t, q)
	recs, _ := Recommend(in)
	recs = append(recs, runrec.Recommendation{ID: "R99", Kind: runrec.RecIndex, Target: "pgqtune.job",
		SQL: "CREATE INDEX CONCURRENTLY IF NOT EXISTS job_last_error_idx ON pgqtune.job (last_error);"})
	saved := hypopgExtension
	hypopgExtension = ""
	defer func() { hypopgExtension = saved }()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	kept, notes := ValidateWithHypopg(ctx, q.dsn, in, recs)
	var claim *runrec.Recommendation
	for i := range kept {
		if strings.Contains(kept[i].SQL, "last_error") {
			t.Errorf("an index the claim cannot use was kept: %+v", kept[i])
		}
		if strings.Contains(kept[i].SQL, "job_queue_priority_run_at_pending_pgq_idx") {
			claim = &kept[i]
		}
	}
	if claim == nil || claim.Validation == nil || claim.Validation.Method != "scratch" || !strings.Contains(claim.Validation.Note, "the plan uses it") {
		t.Fatalf("claim index check: %+v\nnotes %v", claim, notes)
	}
	joined := strings.Join(notes, "\n")
	if !strings.Contains(joined, "not recommended: CREATE INDEX CONCURRENTLY IF NOT EXISTS job_last_error_idx") {
		t.Errorf("notes = %v", notes)
	}
	var n int
	if err := q.pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = 'pgqtune' AND tablename = 'job'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the check left indexes on the target: %d %v", n, err)
	}
}
