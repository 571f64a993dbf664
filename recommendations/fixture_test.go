package recommendations

import (
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// runBuilder builds a recorded run tick by tick for rule tests: what the
// sampler would have written, without a database.
type runBuilder struct {
	run *runrec.Run
	t0  time.Time
}

func newRun(queueTables ...string) *runBuilder {
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	return &runBuilder{t0: t0, run: &runrec.Run{Meta: runrec.Meta{
		ID: "test", Mode: "run", Scenario: "test", StartedAt: t0, ServerVersion: "15.10", ServerVersionNum: 150010,
		Target: "127.0.0.1:5432/pgqtune", Schema: "pgqtune", QueueTables: queueTables,
	}}}
}

// ticks appends n one-second samples; fill sets each one's contents (i is
// the tick's index in the whole run).
func (b *runBuilder) ticks(n int, fill func(i int, s *runrec.Sample)) *runBuilder {
	for k := 0; k < n; k++ {
		i := len(b.run.Samples)
		s := runrec.Sample{T: b.t0.Add(time.Duration(i) * time.Second), IntervalS: 1}
		if fill != nil {
			fill(i, &s)
		}
		b.run.Samples = append(b.run.Samples, s)
		b.run.Workload = append(b.run.Workload, runrec.WorkloadTick{T: s.T, Completed: 100, Enqueued: 100, Depth: 10})
	}
	return b
}

// stmt is a statement delta whose text is recorded on the first tick only,
// as the sampler does.
func stmt(i int, qid int64, text string, calls int64, execMs float64, rows, blks int64) runrec.StatementDelta {
	d := runrec.StatementDelta{QueryID: qid, Calls: calls, TotalExecMs: execMs, Rows: rows, SharedBlksHit: blks}
	if i == 0 {
		d.Text = text
	}
	return d
}

func finding(id, cause string, objects ...string) runrec.Finding {
	return runrec.Finding{ID: id, Cause: cause, Objects: objects, Confidence: 0.9, ThroughputDropPct: 50}
}
