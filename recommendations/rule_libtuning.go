package recommendations

import (
	"fmt"
	"math"
	"strings"

	"github.com/pgqtune/pgqtune/libraries"
	"github.com/pgqtune/pgqtune/runrec"
)

// Knob roles: which of a library's knobs answers which application advice.
var (
	workerKnobs    = []string{"concurrentJobs", "MaxWorkers", "worker_count", "max_threads", "threads"}
	batchKnobs     = []string{"batchSize", "qty", "localQueue.size", "maximum_buffer_size"}
	pollKnobs      = []string{"pollingIntervalSeconds", "pollInterval", "FetchPollInterval", "read_with_poll", "poll_interval", "polling_interval"}
	retentionKnobs = []string{"archiveCompletedAfterSeconds", "CompletedJobRetentionPeriod", "cleanup_preserved_jobs_before_seconds_ago", "clear_finished_jobs_after", "archive vs delete", "DELETE_PERMAFAILED_JOBS"}
)

// firstKnob returns the first of names the library has.
func firstKnob(p *libraries.Profile, names []string) *libraries.Knob {
	for _, n := range names {
		if k := p.Knob(n); k != nil {
			return k
		}
	}
	return nil
}

// claimLibrary is the foreign library whose claim statement the run's
// claim is (nil for pgqtune's own table or an unknown one).
func (f *facts) claimLibrary() *libraries.Profile {
	if f.Claim == nil || f.Claim.Claim == nil {
		return nil
	}
	p, _ := f.foreignLibrary(f.qualified(f.Claim.Claim.Relation))
	return p
}

// knobRec is advice in the library's own terms: the option, where it is
// set, its documented default and the value the run suggests. There is no
// SQL: the change is in the application's configuration.
func knobRec(p *libraries.Profile, k *libraries.Knob, kind, target, value, why, impact, risk string, fids []string) runrec.Recommendation {
	def := k.Default
	if def == "" {
		def = "not documented"
	}
	return runrec.Recommendation{
		Kind:   kind,
		Target: target,
		SQL:    "",
		Rationale: fmt.Sprintf("%s Set %s's %s to %s (set in %s; default %s): it controls %s.",
			why, p.Name, k.Name, value, k.Where, def, k.About),
		FindingIDs:     orEmpty(fids),
		ExpectedImpact: impact,
		Risk:           risk,
		Rollback:       fmt.Sprintf("Set %s back to its previous value (default %s).", k.Name, def),
	}
}

// libraryRetentionRule answers bloat and vacuum lag on a library's job
// table with the library's own retention, sized from the run's job rate,
// instead of partitioning or rewriting a table the library owns.
func libraryRetentionRule(f *facts, out *output) {
	done := map[string]bool{}
	for _, tf := range f.queueTables() {
		p, lt := f.foreignLibrary(tf.Name)
		if p == nil || lt == nil || !lt.Jobs || done[p.Name] {
			continue
		}
		fs := f.findingsOn(tf.Name, runrec.CauseBloat, runrec.CauseVacuumLag)
		if len(fs) == 0 {
			continue
		}
		k := firstKnob(p, retentionKnobs)
		if k == nil {
			continue
		}
		done[p.Name] = true
		jobsPerS := 0.0
		if f.Claim != nil {
			jobsPerS = f.PerSec(f.Claim.Rows)
		}
		value := "a shorter period"
		sized := ""
		if jobsPerS > 0 {
			// Keep about 100k finished jobs: enough for inspection, few
			// enough that the table and its indexes stay in memory.
			secs := math.Max(300, math.Min(86400, 100000/jobsPerS))
			secs = math.Round(secs/60) * 60
			value = fmt.Sprintf("%.0f seconds", secs)
			sized = fmt.Sprintf(" At the %s jobs/s of this run that keeps about %s finished jobs in the table.", fmtNum(jobsPerS), fmtNum(secs*jobsPerS))
		}
		why := fmt.Sprintf("Finding(s) %s: %s grows or vacuum lags behind the finished jobs it keeps (%s live rows at the end of the run). %s owns this table: its retention, not partitioning or a table swap, is the fix.%s",
			strings.Join(ids(fs), ", "), tf.Name, itoa(tf.LiveLast), p.Name, sized)
		out.add(knobRec(p, k, runrec.RecConfig, tf.Name, value, why,
			"Fewer finished rows in the job table: smaller heap and indexes, shorter vacuums, claims read fewer dead entries.",
			"Finished jobs are kept for a shorter time for inspection; "+p.Retention+".", ids(fs)))
	}
}
