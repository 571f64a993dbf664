package libraries

import "strings"

func init() { classifiers[SolidQueue] = classifySolidQueue }

// classifySolidQueue knows solid_queue (app/models/solid_queue/*.rb): a
// worker claims with SELECT ... FROM solid_queue_ready_executions ...
// FOR UPDATE SKIP LOCKED, then moves the rows to
// solid_queue_claimed_executions (INSERT there, DELETE from ready: the
// claim's second step, no role of its own); enqueue is INSERT INTO
// solid_queue_jobs and solid_queue_ready_executions; completion deletes the
// claimed execution by id and sets solid_queue_jobs.finished_at; a failure
// inserts into solid_queue_failed_executions. The dispatcher's locks on
// scheduled executions, the semaphores and process heartbeats are
// maintenance and locks.
func classifySolidQueue(text string) Role {
	s := shapeOf(text)
	if !s.parsed {
		return RoleOther
	}
	for _, l := range s.locks {
		if l.exclusive() && bare(l.rel) == "solid_queue_ready_executions" {
			return RoleClaim
		}
	}
	for _, w := range s.writes {
		b := bare(w.rel)
		switch {
		case b == "solid_queue_failed_executions" && w.command == "insert":
			return RoleFail
		case (b == "solid_queue_jobs" || b == "solid_queue_ready_executions") && w.command == "insert":
			return RoleEnqueue
		case b == "solid_queue_claimed_executions" && w.command == "delete" && w.byID:
			return RoleComplete
		case b == "solid_queue_jobs" && w.command == "update" && contains(w.sets, "finished_at"):
			return RoleComplete
		case b == "solid_queue_semaphores" || b == "solid_queue_blocked_executions":
			return RoleLock
		case strings.HasPrefix(b, "solid_queue_"):
			return RoleMaintenance
		}
	}
	for _, l := range s.locks {
		if l.exclusive() && strings.HasPrefix(bare(l.rel), "solid_queue_") {
			return RoleMaintenance // the dispatcher's scheduled and blocked executions
		}
	}
	if s.stats() && len(s.rels) > 0 && strings.HasPrefix(bare(s.rels[0]), "solid_queue_") {
		return RoleMaintenance
	}
	return RoleOther
}
