package libraries

func init() { classifiers[GraphileWorker] = classifyGraphileWorker }

// graphileJobTable is graphile-worker's job table: _private_jobs from 0.14
// (jobs before).
func graphileJobTable(rel string) bool { b := bare(rel); return b == "_private_jobs" || b == "jobs" }

// graphileQueueTable is its named-queue bookkeeping table.
func graphileQueueTable(rel string) bool {
	b := bare(rel)
	return b == "_private_job_queues" || b == "job_queues"
}

// classifyGraphileWorker knows graphile-worker 0.16+ (src/sql/getJob.ts,
// completeJob(s).ts, failJob(s).ts, resetLockedAt.ts, and the add_job(s)
// functions of sql/0000NN.sql):
//   - getJob: with j as (select ... from _private_jobs as jobs where
//     is_available ... order by priority, run_at limit 1 for update skip
//     locked) [, q as (update _private_job_queues ...)] update _private_jobs
//     set attempts, locked_by, locked_at ... returning * — the claim. Its
//     filter nests "job_queue_id in (select id from _private_job_queues ...
//     for update skip locked)": that inner lock is the job-queue lock, not
//     the claim, and a statement whose only lock is on _private_job_queues
//     is a lock;
//   - add_job / add_jobs (and INSERT INTO _private_jobs inside them) —
//     enqueue;
//   - delete from _private_jobs where id = $1 (or = any($1)) — complete,
//     as are complete_jobs(...);
//   - update _private_jobs set last_error ... where id — fail, and
//     fail_job(...);
//   - resetLockedAt's sweep of stale locks, counts, the other functions —
//     maintenance.
func classifyGraphileWorker(text string) Role {
	s := shapeOf(text)
	switch {
	case s.funcIn("graphile_worker", "get_job", "get_jobs"):
		return RoleClaim
	case s.funcIn("graphile_worker", "add_job", "add_jobs"):
		return RoleEnqueue
	case s.funcIn("graphile_worker", "complete_job", "complete_jobs"):
		return RoleComplete
	case s.funcIn("graphile_worker", "fail_job", "fail_jobs"):
		return RoleFail
	case s.funcIn("graphile_worker", "reschedule_jobs", "force_unlock_workers", "remove_job", "permanently_fail_jobs"):
		return RoleMaintenance
	case !s.parsed:
		return RoleOther
	}
	jobLock, queueLock := false, false
	for _, l := range s.locks {
		switch {
		case !l.exclusive():
		case graphileJobTable(l.rel):
			jobLock = true
		case graphileQueueTable(l.rel):
			queueLock = true
		}
	}
	if jobLock && len(s.writesTo("update", "_private_jobs", "jobs")) > 0 {
		return RoleClaim
	}
	for _, w := range s.writes {
		if !graphileJobTable(w.rel) {
			continue
		}
		switch w.command {
		case "insert":
			return RoleEnqueue
		case "delete":
			if w.byID {
				return RoleComplete
			}
			return RoleMaintenance
		case "update":
			if w.byID && setsError(w.sets) {
				return RoleFail
			}
			return RoleMaintenance
		}
	}
	if queueLock || len(s.writesTo("", "_private_job_queues", "job_queues")) > 0 {
		return RoleLock
	}
	if s.stats() {
		for _, r := range s.rels {
			if graphileJobTable(r) {
				return RoleMaintenance
			}
		}
	}
	return RoleOther
}
