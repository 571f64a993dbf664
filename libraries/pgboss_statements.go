package libraries

import "regexp"

func init() { classifiers[PGBoss] = classifyPGBoss }

// pgbossPartition is the name pg-boss 10+ gives a queue's partition of its
// job table: "j" and the hex SHA-224 of the queue name.
var pgbossPartition = regexp.MustCompile(`^j[0-9a-f]{56}$`)

// pgbossJobTables are the tables that hold pg-boss jobs: the job table
// (partitioned by queue name from v10), v11's shared default partition
// job_common, and the per-queue partitions.
func pgbossJobTable(rel string) bool {
	b := bare(rel)
	return b == "job" || b == "job_common" || pgbossPartition.MatchString(b)
}

// classifyPGBoss knows pg-boss 10's statements (src/plans.js) and v11's
// (src/plans.ts, which fetch from job_common or a queue's partition):
//   - fetch: WITH next AS (SELECT ... FROM job WHERE name = $1 AND state <
//     'active' ... FOR UPDATE [OF j] SKIP LOCKED) ... UPDATE job SET state =
//     'active' — the claim;
//   - send / insert: INSERT INTO job ... — the enqueue;
//   - complete: WITH results AS (UPDATE job SET completed_on, state, output
//     WHERE id IN ...) SELECT COUNT(*) FROM results — the complete, though
//     it ends in a count;
//   - fail: WITH deleted_jobs AS (DELETE FROM job WHERE id IN ...),
//     retried_jobs AS (INSERT INTO job ...) ... — the fail;
//   - expire (fail by timeout), archive, drop, countStates, queue size,
//     version stamps, cancel/resume/retry/delete by id — maintenance;
//   - SELECT pg_advisory_xact_lock(...) around maintenance — a lock;
//   - every send's commit runs the deferred foreign-key check of job.name
//     against queue: SELECT 1 FROM ONLY "pgboss"."queue" x WHERE "name"
//     OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x — never the claim.
func classifyPGBoss(text string) Role {
	s := shapeOf(text)
	if !s.parsed {
		return RoleOther
	}
	if s.fkCheck() {
		return RoleFKCheck
	}
	if s.advisoryOnly() {
		return RoleLock
	}
	for _, l := range s.locks {
		if l.exclusive() && l.skip && pgbossJobTable(l.rel) {
			return RoleClaim
		}
	}
	var ins, del, upd []write
	for _, w := range s.writes {
		switch {
		case bare(w.rel) == "archive":
			return RoleMaintenance
		case !pgbossJobTable(w.rel):
		case w.command == "insert":
			ins = append(ins, w)
		case w.command == "delete":
			del = append(del, w)
		case w.command == "update":
			upd = append(upd, w)
		}
	}
	switch {
	case len(del) > 0 && len(ins) > 0:
		// failJobs: retried or failed jobs are deleted and re-inserted.
		if del[0].byID {
			return RoleFail
		}
		return RoleMaintenance // failJobsByTimeout: the expire sweep
	case len(del) > 0:
		return RoleMaintenance // deleteJobs, purgeQueue
	case len(upd) > 0:
		// complete sets completed_on, state and output by id; cancel and
		// resume set completed_on and state too (constants normalize
		// alike), but they are rare user actions and never a claim, so an
		// UPDATE by id stamping completed_on counts as a completion.
		if upd[0].byID && containsAll(upd[0].sets, "state", "start_after") {
			return RoleFail // a retry scheduled in place (pgqtune's pgboss adapter)
		}
		if upd[0].byID && containsAll(upd[0].sets, "state", "completed_on") {
			return RoleComplete
		}
		return RoleMaintenance // retry, expiry sweeps
	case len(ins) > 0:
		return RoleEnqueue
	}
	if s.stats() {
		for _, r := range s.rels {
			if pgbossJobTable(r) || bare(r) == "archive" {
				return RoleMaintenance
			}
		}
	}
	for _, w := range s.writes {
		if bare(w.rel) == "version" {
			return RoleMaintenance // trySetMaintenanceTime and friends
		}
	}
	return RoleOther
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
