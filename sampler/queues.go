package sampler

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/libraries"
)

var (
	//go:embed sql/queue_candidates.sql
	queueCandidatesSQL string
	//go:embed sql/queue_members.sql
	queueMembersSQL string
)

// Queue systems the sampler recognizes by their tables' shape: the
// libraries package's names, so a recorded System is a library name.
const (
	SystemSkipLocked     = libraries.SkipLocked
	SystemPGMQ           = libraries.PGMQ
	SystemRiver          = libraries.River
	SystemPGBoss         = libraries.PGBoss
	SystemGraphileWorker = libraries.GraphileWorker
	SystemQue            = libraries.Que
	SystemGoodJob        = libraries.GoodJob
	SystemSolidQueue     = libraries.SolidQueue
	// SystemTable is a table of unknown shape (named, or found from its
	// SKIP LOCKED claim statements): enqueues are its inserts, completions
	// its deletes or the rows its claim statements return, its depth its
	// row count.
	SystemTable = "table"
)

// queueKind is what the sampler knows about one queue system's table: how
// to tell a waiting job and when it became runnable. Predicates are
// constants written here, never user input.
type queueKind struct {
	system string
	// match tells whether a table (schema, name, columns) is this system's.
	match func(schema, name string, cols []string) bool
	// pending is the predicate of jobs waiting to run; timeCol is when a
	// waiting job became runnable, for the oldest job's age.
	pending, timeCol string
	// inflight is the predicate of claimed, unfinished jobs ("" when claims
	// delete the row or are not visible in the table).
	inflight string
	// completeByDelete: finishing a job deletes its row (completions are the
	// table's deleted tuples); otherwise completions are inserts minus the
	// growth of waiting plus in-flight jobs.
	completeByDelete bool
	note             string
}

// queueKinds are checked in order; the first match wins. Their table names
// are also listed in sql/queue_candidates.sql, which reads only those.
var queueKinds = []queueKind{
	{
		system: SystemPGBoss,
		match: func(schema, name string, cols []string) bool {
			return name == "job" && hasCols(cols, "name", "state", "start_after", "singleton_key")
		},
		pending: "state IN ('created', 'retry') AND start_after <= now()", timeCol: "start_after",
		inflight: "state = 'active'",
	},
	{
		system: SystemSkipLocked,
		match: func(schema, name string, cols []string) bool {
			return name == "job" && hasCols(cols, "queue", "state", "run_at", "priority", "attempts", "max_attempts")
		},
		pending: "state = 'pending'", timeCol: "run_at",
		inflight: "state = 'active'",
	},
	{
		system: SystemRiver,
		match: func(schema, name string, cols []string) bool {
			return name == "river_job" && hasCols(cols, "state", "scheduled_at", "kind")
		},
		pending: "state = 'available'", timeCol: "scheduled_at",
		inflight: "state = 'running'",
	},
	{
		system: SystemPGMQ,
		match: func(schema, name string, cols []string) bool {
			return strings.HasPrefix(name, "q_") && hasCols(cols, "msg_id", "read_ct", "enqueued_at", "vt", "message")
		},
		pending: "vt <= now()", timeCol: "enqueued_at",
		completeByDelete: true,
	},
	{
		system: SystemGraphileWorker,
		match: func(schema, name string, cols []string) bool {
			return schema == "graphile_worker" && (name == "_private_jobs" || name == "jobs") &&
				hasCols(cols, "run_at", "attempts", "max_attempts", "locked_at")
		},
		pending: "locked_at IS NULL AND run_at <= now() AND attempts < max_attempts", timeCol: "run_at",
		inflight: "locked_at IS NOT NULL", completeByDelete: true,
	},
	{
		system: SystemQue,
		match: func(schema, name string, cols []string) bool {
			return name == "que_jobs" && hasCols(cols, "run_at", "job_class", "error_count")
		},
		pending: "run_at <= now()", timeCol: "run_at",
		completeByDelete: true,
	},
	{
		system: SystemGoodJob,
		match: func(schema, name string, cols []string) bool {
			return name == "good_jobs" && hasCols(cols, "finished_at", "performed_at", "scheduled_at", "created_at")
		},
		pending:  "finished_at IS NULL AND performed_at IS NULL AND coalesce(scheduled_at, created_at) <= now()",
		timeCol:  "created_at",
		inflight: "performed_at IS NOT NULL AND finished_at IS NULL",
	},
	{
		system: SystemSolidQueue,
		match: func(schema, name string, cols []string) bool {
			return name == "solid_queue_ready_executions" && hasCols(cols, "job_id", "queue_name", "created_at")
		},
		pending: "true", timeCol: "created_at",
		completeByDelete: true,
		note:             "solid_queue: completions are claims (rows leaving solid_queue_ready_executions)",
	},
}

// queKindFor returns the kind matching a table, or nil.
func queueKindFor(schema, name string, cols []string) *queueKind {
	for i := range queueKinds {
		if queueKinds[i].match(schema, name, cols) {
			return &queueKinds[i]
		}
	}
	return nil
}

func hasCols(cols []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(cols, w) {
			return false
		}
	}
	return true
}

// queueTable is one queue the sampler watches.
type queueTable struct {
	// Name is schema.table (the partitioned parent for pg-boss 10+).
	Name string
	// System is the recognized queue system (Systemxxx constants).
	System string
	// Members are the tables whose tuple counters make up the queue: the
	// leaf partitions of a partitioned table, else the table itself.
	Members []string

	oid         uint32
	memberOIDs  []uint32
	partitioned bool
	ident       string // quoted schema.table for SQL
	kind        *queueKind
}

// candidate is a table that might be a queue.
type candidate struct {
	oid          uint32
	schema, name string
	partitioned  bool
	cols         []string
}

// resolveQueues finds the queue tables: the named ones (any shape; unknown
// shapes are watched as plain tables) or, when none are named, every table
// of a known queue system, else the tables that FOR UPDATE SKIP LOCKED
// statements claim from. The notes say what was found.
func resolveQueues(ctx context.Context, e *env, named []string) ([]queueTable, []string, error) {
	var notes []string
	var oids []uint32
	for _, n := range named {
		oid, err := lookupTable(ctx, e, pgx.Identifier(strings.SplitN(n, ".", 2)).Sanitize(), n)
		if err != nil {
			return nil, nil, err
		}
		oids = append(oids, oid)
	}
	out, err := queuesOf(ctx, e, oids, len(named) > 0, &notes)
	if err != nil {
		return nil, nil, err
	}
	how := "detected queue tables: "
	if len(out) == 0 && len(named) == 0 {
		if oids, err = claimedTables(ctx, e); err != nil {
			notes = append(notes, "looking for SKIP LOCKED claim statements: "+err.Error())
		} else if len(oids) > 0 {
			if out, err = queuesOf(ctx, e, oids, true, &notes); err != nil {
				return nil, nil, err
			}
			how = "queue tables detected from their FOR UPDATE SKIP LOCKED claim statements: "
		}
	}
	switch {
	case len(out) == 0 && len(named) == 0:
		notes = append(notes, "no queue tables detected (looked for pg-boss, pgmq, River, graphile-worker, Que, good_job, solid_queue, pgqtune's own and SKIP LOCKED claim statements): name them with --queue-table SCHEMA.TABLE")
	case len(named) == 0:
		var found []string
		for _, q := range out {
			s := q.Name + " (" + q.System
			if len(q.Members) > 1 {
				s += fmt.Sprintf(", %d partitions counted as one queue", len(q.Members))
			}
			found = append(found, s+")")
		}
		notes = append(notes, how+strings.Join(found, ", "))
	}
	return out, notes, nil
}

// queuesOf reads candidate tables (all, or only oids when given) and keeps
// those of a known shape, or all of them when keepUnknown.
func queuesOf(ctx context.Context, e *env, oids []uint32, keepUnknown bool, notes *[]string) ([]queueTable, error) {
	if oids == nil {
		oids = []uint32{}
	}
	rows, err := e.conn.Query(ctx, queueCandidatesSQL, oids)
	if err != nil {
		return nil, fmt.Errorf("collect: find queue tables: %w", err)
	}
	var cands []candidate
	var c candidate
	_, err = pgx.ForEachRow(rows, []any{&c.oid, &c.schema, &c.name, &c.partitioned, &c.cols}, func() error {
		cands = append(cands, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("collect: find queue tables: %w", err)
	}
	var out []queueTable
	for _, c := range cands {
		k := queueKindFor(c.schema, c.name, c.cols)
		if k == nil && !keepUnknown {
			continue
		}
		q := queueTable{Name: c.schema + "." + c.name, oid: c.oid, ident: pgx.Identifier{c.schema, c.name}.Sanitize(), kind: k}
		if k != nil {
			q.System = k.system
			if k.note != "" {
				*notes = append(*notes, k.note)
			}
		} else {
			q.System = SystemTable
			*notes = append(*notes, fmt.Sprintf("queue table %s has no known queue shape: enqueued = inserted rows, completed = deleted rows (or the rows its SKIP LOCKED claim statements return when it never deletes), depth = its row count (unknown when done jobs stay in it)", q.Name))
		}
		q.partitioned = c.partitioned
		if c.partitioned {
			if err := loadMembers(ctx, e, &q); err != nil {
				return nil, err
			}
		} else {
			q.Members, q.memberOIDs = []string{q.Name}, []uint32{q.oid}
		}
		if n := pgbossV11Note(q); n != "" {
			*notes = append(*notes, n)
		}
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// claimedTables resolves the tables SKIP LOCKED statements read.
func claimedTables(ctx context.Context, e *env) ([]uint32, error) {
	names, err := claimTables(ctx, e)
	if err != nil {
		return nil, err
	}
	var oids []uint32
	for _, n := range names {
		var oid *uint32
		if err := e.conn.QueryRow(ctx, "SELECT to_regclass($1)::oid /* pgqtune */", n).Scan(&oid); err != nil {
			continue // not a name to_regclass can parse
		}
		if oid != nil && !slices.Contains(oids, *oid) {
			oids = append(oids, *oid)
		}
	}
	return oids, nil
}

// lookupTable resolves a quoted table name (search_path when unqualified);
// name is how the user wrote it, for the error.
func lookupTable(ctx context.Context, e *env, ident, name string) (uint32, error) {
	var oid *uint32
	if err := e.conn.QueryRow(ctx, "SELECT to_regclass($1)::oid /* pgqtune */", ident).Scan(&oid); err != nil {
		return 0, fmt.Errorf("collect: look up queue table %s: %w", name, err)
	}
	if oid == nil {
		return 0, fmt.Errorf("collect: queue table %s does not exist", name)
	}
	return *oid, nil
}

func loadMembers(ctx context.Context, e *env, q *queueTable) error {
	rows, err := e.conn.Query(ctx, queueMembersSQL, q.oid)
	if err != nil {
		return fmt.Errorf("collect: partitions of %s: %w", q.Name, err)
	}
	q.Members, q.memberOIDs = nil, nil
	var oid uint32
	var name string
	_, err = pgx.ForEachRow(rows, []any{&oid, &name}, func() error {
		q.Members = append(q.Members, name)
		q.memberOIDs = append(q.memberOIDs, oid)
		return nil
	})
	if err != nil {
		return fmt.Errorf("collect: partitions of %s: %w", q.Name, err)
	}
	return nil
}

// setQueues records the queues and the names derived from them. Only the
// sampler calls it (Sampler.setQueues), between collectors.
func (e *env) setQueues(qs []queueTable) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.queues = qs
	e.queueRels = map[string]bool{}
	e.queueOIDs = nil
	e.queueNames, e.queueSchemas = nil, nil
	for _, q := range qs {
		e.queueRels[q.Name] = true
		e.queueOIDs = append(e.queueOIDs, q.oid)
		schema, bare, _ := strings.Cut(q.Name, ".")
		e.queueNames = append(e.queueNames, strings.ToLower(bare))
		if q.System != SystemTable && q.System != SystemSkipLocked && schema != "public" && !slices.Contains(e.queueSchemas, strings.ToLower(schema)) {
			e.queueSchemas = append(e.queueSchemas, strings.ToLower(schema))
		}
		for i, m := range q.Members {
			e.queueRels[m] = true
			if q.memberOIDs[i] != q.oid {
				e.queueOIDs = append(e.queueOIDs, q.memberOIDs[i])
			}
		}
	}
}

// pgbossV11Note says what a pg-boss v11+ schema gets: its job table's
// default partition job_common holds every queue not given a partition of
// its own, where v10 made one partition per queue.
func pgbossV11Note(q queueTable) string {
	if q.System != SystemPGBoss {
		return ""
	}
	schema, _, _ := strings.Cut(q.Name, ".")
	if !slices.Contains(q.Members, schema+".job_common") {
		return ""
	}
	return fmt.Sprintf("%s is a pg-boss v11+ schema (shared partition %s.job_common): recognized as pg-boss; its queues are counted as one queue over %s and its %d partitions, and its fetch, insert, complete and fail statements are recognized on job_common as on v10's per-queue partitions", q.Name, schema, q.Name, len(q.Members))
}
