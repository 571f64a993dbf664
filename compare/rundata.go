package compare

import "github.com/pgqtune/pgqtune/runrec"

// RunData is a run directory as history and compare read it: the report
// and, when the recorded files are there, the run itself.
type RunData struct {
	Dir    string
	Report *runrec.Report
	// Run is nil when only report.json is present (e.g. a report copied
	// out of CI without its samples).
	Run *runrec.Run
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
