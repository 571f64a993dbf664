package libraries

func init() { classifiers[Que] = classifyQue }

func queJobTable(rel string) bool { return bare(rel) == "que_jobs" }

// classifyQue knows Que (0.x to 2.x, lib/que/sql.rb): its claim locks a
// job with an advisory lock, not a row lock — a recursive CTE over
// que_jobs calling pg_try_advisory_lock(id) — or with FOR UPDATE SKIP
// LOCKED in forks; INSERT INTO que_jobs enqueues; finishing a job deletes
// it or sets finished_at/expired_at by id; an error bumps error_count and
// last_error_message. pg_advisory_unlock and the que_lockers rows are its
// locks.
func classifyQue(text string) Role {
	s := shapeOf(text)
	if !s.parsed {
		return RoleOther
	}
	reads := false
	for _, r := range s.rels {
		if queJobTable(r) {
			reads = true
		}
	}
	if reads && len(s.writes) == 0 && s.hasFunc("pg_try_advisory_lock") {
		return RoleClaim
	}
	for _, l := range s.locks {
		if l.exclusive() && l.skip && queJobTable(l.rel) {
			return RoleClaim
		}
	}
	for _, w := range s.writes {
		switch {
		case bare(w.rel) == "que_lockers":
			return RoleLock
		case !queJobTable(w.rel):
		case w.command == "insert":
			return RoleEnqueue
		case w.command == "delete" && w.byID:
			return RoleComplete
		case w.command == "update" && w.byID && setsError(w.sets):
			return RoleFail
		case w.command == "update" && w.byID:
			return RoleComplete
		default:
			return RoleMaintenance
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
