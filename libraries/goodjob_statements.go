package libraries

func init() { classifiers[GoodJob] = classifyGoodJob }

func goodJobTable(rel string) bool { return bare(rel) == "good_jobs" }

// classifyGoodJob knows good_job (lib/good_job/job.rb, ActiveRecord
// statements): its claim selects the next good_jobs row and takes
// pg_try_advisory_lock on it (or, from 4.x with the skiplocked strategy,
// FOR NO KEY UPDATE SKIP LOCKED and an UPDATE setting locked_by_id);
// INSERT INTO good_jobs enqueues; UPDATE good_jobs SET finished_at by id
// completes (with error set: fails); performed_at set by id is the claim's
// second step (no role); the process, batch and setting tables are
// bookkeeping.
func classifyGoodJob(text string) Role {
	s := shapeOf(text)
	if !s.parsed {
		return RoleOther
	}
	reads := false
	for _, r := range s.rels {
		if goodJobTable(r) {
			reads = true
		}
	}
	if reads && len(s.writes) == 0 && s.hasFunc("pg_try_advisory_lock") {
		return RoleClaim
	}
	for _, l := range s.locks {
		if l.exclusive() && l.skip && goodJobTable(l.rel) {
			return RoleClaim
		}
	}
	for _, w := range s.writes {
		switch {
		case bare(w.rel) == "good_job_processes":
			return RoleMaintenance
		case !goodJobTable(w.rel):
		case w.command == "insert":
			return RoleEnqueue
		case w.command == "update" && w.byID && setsError(w.sets) && contains(w.sets, "finished_at"):
			return RoleFail
		case w.command == "update" && w.byID && contains(w.sets, "finished_at"):
			return RoleComplete
		case w.command == "update" && contains(w.sets, "locked_by_id") && len(s.locks) > 0:
			return RoleClaim
		case w.command == "delete" && !w.byID:
			return RoleMaintenance // cleanup of preserved jobs
		}
	}
	if s.advisoryOnly() {
		return RoleLock
	}
	if reads && s.stats() {
		return RoleMaintenance
	}
	return RoleOther
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
