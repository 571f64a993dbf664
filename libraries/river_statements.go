package libraries

import "strings"

func init() { classifiers[River] = classifyRiver }

// riverQueries maps the names River's driver gives its queries
// (riverdriver/riverpgxv5/internal/dbsqlc/*.sql, sent with their leading
// "-- name: X" comment) to their roles.
var riverQueries = map[string]Role{
	"JobGetAvailable":              RoleClaim,
	"JobInsertFast":                RoleEnqueue,
	"JobInsertFastMany":            RoleEnqueue,
	"JobInsertFastManyNoReturning": RoleEnqueue,
	"JobInsertFull":                RoleEnqueue,
	"JobInsertFullMany":            RoleEnqueue,
	"JobSetStateIfRunning":         RoleComplete,
	"JobSetStateIfRunningMany":     RoleComplete,
	"JobSetCompleteIfRunningMany":  RoleComplete,
	"PGAdvisoryXactLock":           RoleLock,
}

func riverJobTable(rel string) bool { return bare(rel) == "river_job" }

// classifyRiver knows River's statements by their sqlc names: the claim
// is JobGetAvailable (WITH locked_jobs AS (SELECT ... FROM river_job WHERE
// state = 'available' ... FOR UPDATE SKIP LOCKED) UPDATE river_job SET
// state = 'running' ...), enqueues are the JobInsert* family, completions
// (and failures: one statement records every outcome) are
// JobSetStateIfRunningMany. The other Job* queries are its maintenance
// services (scheduler, rescuer, cleaner, counts) or user actions; Leader*
// and the river_queue/river_leader statements keep its bookkeeping rows.
// Without the name (a text cut short or rewritten), the shapes on
// river_job decide.
func classifyRiver(text string) Role {
	s := shapeOf(text)
	if s.sqlcName != "" {
		if r, ok := riverQueries[s.sqlcName]; ok {
			return r
		}
		switch {
		case strings.HasPrefix(s.sqlcName, "Leader"), strings.HasPrefix(s.sqlcName, "Queue"),
			strings.HasPrefix(s.sqlcName, "Client"):
			return RoleLock
		default:
			return RoleMaintenance
		}
	}
	if !s.parsed {
		return RoleOther
	}
	if s.advisoryOnly() {
		return RoleLock
	}
	for _, l := range s.locks {
		if l.exclusive() && l.skip && riverJobTable(l.rel) && len(s.writesTo("update", "river_job")) > 0 &&
			len(s.writesTo("delete", "river_job")) == 0 {
			return RoleClaim
		}
	}
	for _, w := range s.writes {
		switch {
		case riverJobTable(w.rel) && w.command == "insert":
			return RoleEnqueue
		case riverJobTable(w.rel) && w.command == "update" && w.byID && !strings.Contains(s.lower, "for update"):
			return RoleComplete
		case riverJobTable(w.rel):
			return RoleMaintenance
		case bare(w.rel) == "river_leader" || bare(w.rel) == "river_queue" || bare(w.rel) == "river_client":
			return RoleLock
		}
	}
	if s.stats() && len(s.rels) > 0 && riverJobTable(s.rels[0]) {
		return RoleMaintenance
	}
	return RoleOther
}
