package recommendations

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/libraries"
	"github.com/pgqtune/pgqtune/runrec"
)

// applicationRule recommends changes to how the workers use the queue:
// SKIP LOCKED where the claim blocks, fewer workers when they mostly wait on
// each other, batched claims when per-job round trips dominate, and
// LISTEN/NOTIFY instead of tight polling.
func applicationRule(f *facts, out *output) {
	skipLockedRule(f, out)
	workersRule(f, out)
	lockTimeoutRule(f, out)
	batchRule(f, out)
	pollingRule(f, out)
}

func rowLockWaits(f *facts) int {
	return f.WaitMax["Lock:transactionid"] + f.WaitMax["Lock:tuple"]
}

func skipLockedRule(f *facts, out *output) {
	c := f.Claim
	if c == nil || c.Claim.SkipLocked || c.Claim.NoWait || f.claimLibrary() != nil {
		return // a library's claim is its own to write
	}
	fids := f.findingIDs(runrec.CauseRowLock, runrec.CauseLock)
	waits := rowLockWaits(f)
	if len(fids) == 0 && waits == 0 {
		return
	}
	fixed := *c.Claim
	fixed.SkipLocked = true
	out.add(runrec.Recommendation{
		Kind:   runrec.RecApplication,
		Target: c.Claim.Relation,
		SQL:    fmt.Sprintf("-- in the workers' claim query (queryid %d):\n-- before: ... %s\n-- after:  ... %s", c.QueryID, c.Claim.String(), fixed.String()),
		Rationale: fmt.Sprintf("The claim locks its rows with %s but without SKIP LOCKED, so concurrent workers queue behind the first one on the same rows: up to %d sessions waited on row locks at once%s.",
			c.Claim.Lock, waits, citeFindings(fids)),
		FindingIDs:     orEmpty(fids),
		ExpectedImpact: "Workers skip rows another worker holds and claim the next ones: no row-lock waits, throughput scales with workers.",
		Risk:           "Claims are no longer strictly in order under concurrency (a locked job is passed over until released); code relying on strict FIFO must tolerate that.",
		Rollback:       "Remove SKIP LOCKED from the claim query.",
	})
}

func workersRule(f *facts, out *output) {
	fids := f.findingIDs(runrec.CauseRowLock)
	consumers := workloadInt(f, "consumers")
	waiters := min(f.MaxRowWaiters, consumers)
	if len(fids) == 0 || waiters < 4 || consumers <= 0 || waiters*2 < consumers {
		return
	}
	want := max(1, consumers-waiters+1)
	if lib := f.claimLibrary(); lib != nil {
		if k := firstKnob(lib, workerKnobs); k != nil {
			out.add(knobRec(lib, k, runrec.RecApplication, "workers", fmt.Sprintf("%d in total across the workers (from %d)", want, consumers),
				fmt.Sprintf("Up to %d of the %d workers waited on each other's row locks at the same moment%s: the extra workers add contention, not throughput.", waiters, consumers, citeFindings(fids)),
				"Fewer lock waits and context switches; throughput holds or rises while latency falls.",
				"Fewer workers lower peak capacity if the waits had another cause.", fids))
		}
		return
	}
	out.add(runrec.Recommendation{
		Kind:   runrec.RecApplication,
		Target: "workers",
		SQL:    fmt.Sprintf("-- run %d workers instead of %d (or cap the pool at %d connections)", want, consumers, want),
		Rationale: fmt.Sprintf("Up to %d of the %d workers waited on each other's row locks at the same moment%s: the extra workers add contention, not throughput.",
			waiters, consumers, citeFindings(fids)),
		FindingIDs:     fids,
		ExpectedImpact: "Fewer lock waits and context switches; throughput holds or rises while latency falls.",
		Risk:           "Fewer workers lower peak capacity if the waits had another cause; with SKIP LOCKED in the claim the waits (and this advice) go away.",
		Rollback:       fmt.Sprintf("Return to %d workers.", consumers),
	})
}

// lockTimeoutRule answers lock_contention caused by a session holding a
// strong lock on a queue table (a migration, a manual LOCK, an idle
// transaction after DDL): such sessions should give up instead of stalling
// the queue.
func lockTimeoutRule(f *facts, out *output) {
	for _, fd := range f.in.Findings {
		if fd.Cause != runrec.CauseLock {
			continue
		}
		detail := ""
		for _, e := range fd.Evidence {
			if e.Signal == "pg_locks.blocker" {
				detail = e.Detail
				break
			}
		}
		target := "queue tables"
		if len(fd.Objects) > 0 {
			target = strings.Join(fd.Objects, ", ")
		}
		why := fmt.Sprintf("Finding %s: %s", fd.ID, fd.Summary)
		if detail != "" && !strings.Contains(fd.Summary, detail) {
			why += " (" + detail + ")"
		}
		why += " Every claim queued behind that lock. Schema changes and maintenance on a live queue table must give up quickly and retry rather than hold or wait for a strong lock, and must not sit idle in a transaction after taking one."
		out.add(runrec.Recommendation{
			Kind:   runrec.RecApplication,
			Target: target,
			SQL: "-- in migration / maintenance sessions touching " + target + ":\n" +
				"SET lock_timeout = '2s';  -- give up instead of queueing the workers behind you; retry later\n" +
				"-- and keep the transaction short: no user think-time or other work between the DDL and COMMIT",
			Rationale:      why,
			FindingIDs:     []string{fd.ID},
			ExpectedImpact: "A blocked or blocking DDL stalls the queue for at most the lock timeout instead of until it finishes.",
			Risk:           "Migrations may fail with lock_timeout and need a retry loop; some (adding a column with a volatile default, rewriting the table) still need a maintenance window.",
			Rollback:       "RESET lock_timeout;",
		})
		return // one is enough: the advice is the same for every window
	}
}

func batchRule(f *facts, out *output) {
	c := f.Claim
	if c == nil || c.RowsPerCall() >= 2 || c.RowsPerCall() < 0.5 {
		return
	}
	fids := f.findingIDs(runrec.CauseWALWrite, runrec.CauseCPU)
	if len(fids) == 0 {
		return
	}
	claimsPerS := f.PerSec(c.Calls)
	if lib := f.claimLibrary(); lib != nil {
		k := firstKnob(lib, batchKnobs)
		if k == nil {
			out.note("%s claims about one job per statement; it has no batch option pgqtune knows of", lib.Name)
			return
		}
		batch, sizing := claimBatchSize(f, c)
		out.add(knobRec(lib, k, runrec.RecApplication, f.qualified(c.Claim.Relation), fmt.Sprint(batch),
			fmt.Sprintf("The claim returned %s rows per call at %s calls/s: each job costs its own claim and completion transaction and WAL flush%s. %s", fmtNum(c.RowsPerCall()), fmtNum(claimsPerS), citeFindings(fids), sizing),
			fmt.Sprintf("About %d times fewer claim statements and commits per job; WAL flushes and CPU per job fall with them.", batch),
			"A worker holds several jobs at once: a crash re-delivers the whole batch after the library's expiry, and a slow job delays the others of its batch.", fids))
		return
	}
	batch, sizing := claimBatchSize(f, c)
	out.add(runrec.Recommendation{
		Kind:   runrec.RecApplication,
		Target: c.Claim.Relation,
		SQL:    fmt.Sprintf("-- claim jobs in batches: %s with LIMIT %d instead of ~1 row per call, and complete them in one statement (WHERE id = ANY($1))", c.Claim.String(), batch),
		Rationale: fmt.Sprintf("The claim returned %s rows per call at %s calls/s: each job costs its own claim and completion transaction and WAL flush%s. %s",
			fmtNum(c.RowsPerCall()), fmtNum(claimsPerS), citeFindings(fids), sizing),
		FindingIDs:     fids,
		ExpectedImpact: "Commits and round trips per job fall by about the batch size; WAL flushes and CPU per job fall with them.",
		Risk:           "A worker holds several jobs at once: a crash re-delivers the whole batch, and a slow job delays the others of its batch unless completed individually.",
		Rollback:       "Go back to LIMIT 1.",
	})
}

func pollingRule(f *facts, out *output) {
	c := f.Claim
	if c == nil || c.Calls == 0 {
		return
	}
	claimsPerS := f.PerSec(c.Calls)
	if c.RowsPerCall() >= 0.5 || claimsPerS < 50 {
		return
	}
	for _, s := range f.Statements {
		if s.Notify {
			return // already woken by NOTIFY
		}
	}
	fids := f.findingIDs(runrec.CauseCPU)
	if lib := f.claimLibrary(); lib != nil {
		if lib.Has(libraries.FeatureListenNotify) {
			return // the library already wakes its workers with NOTIFY
		}
		k := firstKnob(lib, pollKnobs)
		if k == nil || len(fids) == 0 {
			return
		}
		empty := claimsPerS * math.Max(0, 1-c.RowsPerCall())
		value := fmt.Sprintf("%s times its current value", fmtNum(math.Ceil(empty/10)))
		if k.Name == "read_with_poll" {
			value = "max_poll_seconds 5 (the server waits for messages instead of the client asking again)"
		}
		out.add(knobRec(lib, k, runrec.RecApplication, f.qualified(c.Claim.Relation), value,
			fmt.Sprintf("%s claims per second returned %s rows on average: about %s polls/s found nothing and cost a statement (%s ms each)%s; %s has no LISTEN/NOTIFY wake-up, so its poll interval sets that rate.",
				fmtNum(claimsPerS), fmtNum(c.RowsPerCall()), fmtNum(empty), fmtNum(c.MeanMs()), citeFindings(fids), lib.Name),
			"Idle workers poll less: fewer empty claims, less CPU; a new job waits up to the poll interval before it starts.",
			"Longer pick-up latency for jobs enqueued while workers are idle.", fids))
		return
	}
	rec := runrec.Recommendation{
		Kind:   runrec.RecApplication,
		Target: c.Claim.Relation,
		SQL: "-- producers, in the enqueue transaction:  SELECT pg_notify('jobs', '');\n" +
			"-- workers: LISTEN jobs; claim until a claim returns no row, then wait for a notification (with a timeout of a few seconds as a safety net)",
		Rationale: fmt.Sprintf("%s claims per second returned %s rows on average: most polls found nothing and cost a statement (%s ms each)%s.",
			fmtNum(claimsPerS), fmtNum(c.RowsPerCall()), fmtNum(c.MeanMs()), citeFindings(fids)),
		FindingIDs:     orEmpty(fids),
		ExpectedImpact: "Idle workers stop polling: fewer statements, less CPU, and jobs start as soon as they are enqueued instead of at the next poll.",
		Risk:           "NOTIFY takes a global lock at commit and its queue is bounded (8 GB); under very high enqueue rates notify per batch, not per job. Connection poolers in transaction mode do not support LISTEN.",
		Rollback:       "Go back to polling.",
	}
	if len(fids) == 0 {
		rec.Informational = true
	}
	out.add(rec)
}

func citeFindings(fids []string) string {
	if len(fids) == 0 {
		return ""
	}
	return " (finding(s) " + strings.Join(fids, ", ") + ")"
}

// workloadInt reads an integer knob the driver recorded in run.json.
func workloadInt(f *facts, key string) int {
	if f.in.Run == nil {
		return 0
	}
	switch v := f.in.Run.Meta.Workload[key].(type) {
	case float64:
		return int(v)
	case int:
		return v
	case int64:
		return int(v)
	}
	return 0
}

// claimBatchSize sizes a claim batch from the run: large enough that the
// whole workload makes about 20 claims/s, and that the claim's own time is
// under a tenth of the work it hands out; small enough that a batch's work
// (when the job time is known) stays under a second, because a batch's
// jobs wait for each other and a crash re-delivers all of them. The
// sentence says which measurements decided it.
func claimBatchSize(f *facts, c *stmtFacts) (int, string) {
	jobsPerS := f.PerSec(c.Rows)
	b := math.Ceil(jobsPerS / 20)
	why := fmt.Sprintf("A batch of %%d makes the %s jobs/s about %s claims/s", fmtNum(jobsPerS), fmtNum(jobsPerS/math.Max(b, 1)))
	work, known := jobTime(f)
	if known && work > 0 {
		perJobClaim := c.MeanMs() / math.Max(c.RowsPerCall(), 1)
		if need := math.Ceil(10 * perJobClaim / (float64(work) / float64(time.Millisecond))); need > b {
			b = need
			why = fmt.Sprintf("A batch of %%d keeps the claim's %s ms per call under a tenth of the %s of work it hands out", fmtNum(c.MeanMs()), work)
		}
		if cap := math.Floor(float64(time.Second) / float64(work)); cap < b {
			b = cap
			why = fmt.Sprintf("A batch of %%d keeps a batch's work (%s per job) under a second", work)
		}
	}
	n := int(math.Max(2, math.Min(50, b)))
	return n, fmt.Sprintf(why+" (measured claim: %s ms per call; batch kept between 2 and 50).", n, fmtNum(c.MeanMs()))
}

// jobTime is the work each job took, when the run recorded it as a fixed
// duration (a scenario's work_time); observed runs do not know it.
func jobTime(f *facts) (time.Duration, bool) {
	if f.in.Run == nil {
		return 0, false
	}
	s, _ := f.in.Run.Meta.Workload["work_time"].(string)
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, false
	}
	return d, true
}
