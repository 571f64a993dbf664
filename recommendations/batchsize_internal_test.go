package recommendations

import (
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/runrec"
)

// TestClaimBatchSize: the batch comes from the run's measurements, not a
// constant: the claim rate sets it, a slow claim against short jobs raises
// it, and long jobs cap it so a batch's work stays under a second.
func TestClaimBatchSize(t *testing.T) {
	run := func(work string) *facts {
		r := &runrec.Run{Meta: runrec.Meta{Workload: map[string]any{"work_time": work}}}
		return &facts{in: &Input{Run: r}, DurationS: 10}
	}
	claim := func(calls, rows int64, totalMs float64) *stmtFacts {
		return &stmtFacts{Calls: calls, Rows: rows, TotalExecMs: totalMs}
	}
	for _, tc := range []struct {
		name string
		f    *facts
		c    *stmtFacts
		want int
		why  string
	}{
		// 400 jobs/s, fast claim, unknown job time: 400/20 = 20.
		{"rate", run("random"), claim(4000, 4000, 400), 20, "claims/s"},
		// 100 jobs/s would be 5, but a 2 ms claim per 1 ms job needs 20.
		{"slow claim, short jobs", run("1ms"), claim(1000, 1000, 2000), 20, "tenth"},
		// 2000 jobs/s would be 50, but 100 ms jobs cap it at 10.
		{"long jobs cap it", run("100ms"), claim(20000, 20000, 2000), 10, "under a second"},
		// Never below 2.
		{"floor", run("random"), claim(10, 10, 1), 2, "between 2 and 50"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := claimBatchSize(tc.f, tc.c)
			if got != tc.want || !strings.Contains(why, tc.why) {
				t.Fatalf("batch %d (%s), want %d mentioning %q", got, why, tc.want, tc.why)
			}
		})
	}
}
