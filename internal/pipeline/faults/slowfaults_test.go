package faults_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/internal/pipeline"
	"github.com/pgqtune/pgqtune/internal/pipeline/faults"
	"github.com/pgqtune/pgqtune/runrec"
)

// TestVacuumOffWholeRun: autovacuum disabled on the queue table before the
// load starts and for all of it. Nothing cuts throughput in a short run,
// but the report must say it, as a whole_run finding with the growth
// quantified (dead tuples a minute, and when the claim's cost doubles or
// why that cannot be told).
func TestVacuumOffWholeRun(t *testing.T) {
	out, w := run(t, &faults.Fault{
		Setup: func(ctx context.Context, tg pipeline.Target) error {
			stop, err := faults.Exec([]string{"ALTER TABLE " + table(tg) + " SET (autovacuum_enabled = false)"})(ctx, tg)
			if err == nil {
				stop()
			}
			return err
		},
		Start: faults.Exec(nil),
	})
	var f *runrec.Finding
	for i := range out.Report.Findings {
		g := &out.Report.Findings[i]
		if g.Cause == analyze.CauseVacuumLag && g.Kind == runrec.FindingWholeRun {
			f = g
		}
	}
	if f == nil {
		t.Fatalf("no whole_run vacuum_lag finding over %s-%s; report:\n%s", w.Start.Format("15:04:05"), w.End.Format("15:04:05"), faults.Describe(out.Report))
	}
	t.Logf("%s: %s", f.ID, f.Summary)
	var growth *runrec.Evidence
	for i := range f.Evidence {
		if f.Evidence[i].Signal == "pg_stat_user_tables.n_dead_tup_per_min" {
			growth = &f.Evidence[i]
		}
	}
	if growth == nil || growth.Value <= 0 {
		t.Fatalf("whole_run finding does not quantify the growth: %+v", f.Evidence)
	}
	if !strings.Contains(growth.Detail, "doubles in") && !strings.Contains(growth.Detail, "cannot be told") {
		t.Errorf("growth evidence says nothing of when the claim's cost doubles: %s", growth.Detail)
	}
	if !strings.Contains(f.Summary, "disabled") {
		t.Errorf("summary should say autovacuum is disabled: %s", f.Summary)
	}
}
