package results

import (
	"path/filepath"

	"github.com/pgqtune/pgqtune/compare"
	"github.com/pgqtune/pgqtune/report"
	"github.com/pgqtune/pgqtune/runrec"
)

// Previous finds, among the run directories beside dir (the results root),
// the newest run of the same scenario and mode that started before rep, and
// compares rep with it on the per-second series: the baseline that
// report.Options.Previous renders. Only report.json and workload.jsonl files
// are read (never the samples), so this stays cheap beside long soaks. It
// returns nil when there is none.
func Previous(dir string, rep *runrec.Report, run *runrec.Run) *compare.Comparison {
	if dir == "" || rep == nil || rep.Run.StartedAt.IsZero() {
		return nil
	}
	rep = runrec.Normalize(rep)
	self, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	entries, err := History(filepath.Dir(self))
	if err != nil {
		return nil
	}
	for _, e := range entries { // newest first
		if e.Status != "" || e.ID == rep.Run.ID || e.Scenario != rep.Run.Scenario || e.Mode != rep.Run.Mode ||
			!e.StartedAt.Before(rep.Run.StartedAt) {
			continue
		}
		if abs, err := filepath.Abs(e.Dir); err != nil || abs == self {
			continue
		}
		prev, err := report.Load(e.Dir)
		if err != nil {
			continue
		}
		base := &compare.RunData{Dir: e.Dir, Report: prev, Run: workloadOnly(e.Dir)}
		next := &compare.RunData{Dir: dir, Report: rep}
		if run != nil {
			next.Run = &runrec.Run{Workload: run.Workload}
		}
		c, err := compare.Compare(base, next, compare.Options{AllowIncomparable: true})
		if err != nil {
			return nil
		}
		c.PreviousStartedAt = prev.Run.StartedAt
		return c
	}
	return nil
}

// Write renders rep into dir (a run directory under a results root) as
// report.Write does, with the comparison with the previous run of the same
// scenario found beside it (Previous).
func Write(dir string, rep *runrec.Report, run *runrec.Run) error {
	return report.WriteWith(dir, rep, run, report.Options{Previous: Previous(dir, rep, run)})
}

// workloadOnly reads a run's per-second workload ticks alone (nil when
// unreadable: the comparison falls back to the report's series).
func workloadOnly(dir string) *runrec.Run {
	ticks, err := runrec.ReadLines[runrec.WorkloadTick](filepath.Join(dir, runrec.WorkloadFile))
	if err != nil || len(ticks) == 0 {
		return nil
	}
	return &runrec.Run{Dir: dir, Workload: ticks}
}
