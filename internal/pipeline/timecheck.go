package pipeline

import (
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// maxRunSpan bounds the time a recorded run may cover. The analysis lays
// every second of the span on a timeline, so one corrupt timestamp (the
// zero time, a clock years off) would otherwise ask for billions of slots.
const maxRunSpan = 8 * 24 * time.Hour

// runSlack is how far outside run.json's start and end a record may lie
// (clock steps, the sampler's last tick).
const runSlack = time.Hour

// checkTimes refuses a run whose records carry timestamps that cannot be
// its own, naming the file and record.
func checkTimes(run *runrec.Run) error {
	m := run.Meta
	bounded := !m.StartedAt.IsZero() && !m.EndedAt.IsZero() && !m.EndedAt.Before(m.StartedAt)
	lo, hi := m.StartedAt.Add(-runSlack), m.EndedAt.Add(runSlack)
	var first, last time.Time
	check := func(file string, i int, t time.Time) error {
		if t.IsZero() || (bounded && (t.Before(lo) || t.After(hi))) {
			return badInputf("%s record %d: timestamp %s lies outside the run (%s to %s)", file, i+1,
				t.UTC().Format(time.RFC3339), m.StartedAt.UTC().Format(time.RFC3339), m.EndedAt.UTC().Format(time.RFC3339))
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
		if last.Sub(first) > maxRunSpan {
			return badInputf("%s record %d: timestamp %s makes the run span more than %s", file, i+1,
				t.UTC().Format(time.RFC3339), maxRunSpan)
		}
		return nil
	}
	for i, tk := range run.Workload {
		if err := check(runrec.WorkloadFile, i, tk.T); err != nil {
			return err
		}
	}
	for i, s := range run.Samples {
		if err := check(runrec.SamplesFile, i, s.T); err != nil {
			return err
		}
	}
	return nil
}
