package libraries

import "strings"

func init() { classifiers[PGMQ] = classifyPGMQ }

// pgmqFuncs are pgmq's SQL functions (pgmq 1.x, pgmq--*.sql).
var pgmqFuncs = []string{"read", "read_with_poll", "pop", "send", "send_batch", "archive", "delete", "set_vt",
	"metrics", "metrics_all", "list_queues", "purge_queue", "create", "create_non_partitioned", "create_partitioned",
	"create_unlogged", "drop_queue", "detach_archive", "convert_archive_partitioned", "enable_notify_insert",
	"disable_notify_insert"}

func pgmqQueueTable(rel string) bool { return strings.HasPrefix(bare(rel), "q_") }

// classifyPGMQ knows pgmq 1.x. With pg_stat_statements.track = top (the
// default) only the function calls are seen: select * from
// pgmq.read($1,$2,$3) claims (so do read_with_poll and pop), send and
// send_batch enqueue, archive and delete complete, set_vt pushes a message's
// visibility out (a retry later: fail). With track = all the statements
// inside them are seen too, on the queue's q_<name> table: the
// SELECT ... FOR UPDATE SKIP LOCKED of read/pop, INSERT INTO q_ of send,
// DELETE FROM q_ (into a_<name> for archive) by msg_id, UPDATE q_ SET vt by
// msg_id of set_vt.
func classifyPGMQ(text string) Role {
	s := shapeOf(text)
	switch {
	case s.funcIn("pgmq", "read", "read_with_poll", "pop"):
		return RoleClaim
	case s.funcIn("pgmq", "send", "send_batch"):
		return RoleEnqueue
	case s.funcIn("pgmq", "archive", "delete"):
		return RoleComplete
	case s.funcIn("pgmq", "set_vt"):
		return RoleFail
	case s.funcIn("pgmq", pgmqFuncs...):
		return RoleMaintenance
	case !s.parsed:
		return RoleOther
	}
	for _, l := range s.locks {
		if l.exclusive() && l.skip && pgmqQueueTable(l.rel) {
			return RoleClaim
		}
	}
	for _, w := range s.writes {
		if !pgmqQueueTable(w.rel) {
			continue
		}
		switch w.command {
		case "insert":
			return RoleEnqueue
		case "delete":
			if w.byID {
				return RoleComplete
			}
			return RoleMaintenance // purge_queue
		case "update":
			if w.byID {
				return RoleFail
			}
			return RoleMaintenance
		}
	}
	if s.stats() {
		for _, r := range s.rels {
			if pgmqQueueTable(r) || strings.HasPrefix(bare(r), "a_") {
				return RoleMaintenance // metrics
			}
		}
	}
	return RoleOther
}
