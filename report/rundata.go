package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pgqtune/pgqtune/runrec"
)

// RunData is a run directory as history and compare read it: the report
// and, when the recorded files are there, the run itself.
type RunData struct {
	Dir    string
	Report *runrec.Report
	// Run is nil when only report.json is present (e.g. a report copied
	// out of CI without its samples).
	Run *runrec.Run
}

// LoadRunDir reads dir's report.json (validated) and, when present, its
// run.json and recorded series.
func LoadRunDir(dir string) (*RunData, error) {
	rep, err := Load(dir)
	if err != nil {
		return nil, err
	}
	d := &RunData{Dir: dir, Report: rep}
	if _, err := os.Stat(filepath.Join(dir, runrec.MetaFile)); err == nil {
		run, err := runrec.Load(dir)
		if err != nil {
			return nil, fmt.Errorf("report: load run %s: %w", dir, err)
		}
		d.Run = run
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("report: load run %s: %w", dir, err)
	}
	return d, nil
}

// warmupPhase is the phase name the built-in scenarios give their warm-up;
// report.json's series has no warm-up flag of its own.
const warmupPhase = "warmup"

// CompletedSeries is the per-second completed jobs of the measured part of
// the run: warm-up seconds are left out (by the recorded ticks' flag, or by
// the phase name when only report.json is there), and so are partial
// seconds (the driver's first and last ticks).
func (d *RunData) CompletedSeries() []float64 {
	var out []float64
	if d.Run != nil && len(d.Run.Workload) > 0 {
		for _, w := range d.Run.Workload {
			if !w.Warmup && !w.Partial() {
				out = append(out, float64(w.Completed))
			}
		}
		return out
	}
	for _, p := range d.Report.Throughput.Series {
		if p.Phase != warmupPhase {
			out = append(out, float64(p.Completed))
		}
	}
	return out
}
