package collect

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

// collector owns one statistics view: its query, its previous snapshot and
// its delta.
type collector interface {
	// name is the key of the collector in runrec.Sample.Status.
	name() string
	// collect reads the view and fills its part of smp. An error that is not
	// a lost connection becomes the collector's Status for this tick.
	collect(ctx context.Context, e *env, smp *runrec.Sample) error
	// forget drops the previous snapshot (after a reconnect the next tick is
	// a new baseline rather than a delta over the gap).
	forget()
}

// missingHinter is implemented by collectors that need an extension or a
// newer server, to name it in their "missing:" status.
type missingHinter interface {
	missingHint() string
}

// env is what collectors share: the session and what was learned at start.
type env struct {
	// mu guards queues against readers outside Run (Sampler.QueueTables);
	// Run's goroutine is the only writer.
	mu        sync.Mutex
	conn      *pgx.Conn
	cfg       Config
	info      ServerInfo
	role      string
	dbName    string
	dbOID     uint32
	pid       int // the sampler's own backend pid, excluded everywhere
	superuser bool
	monitor   bool // member of pg_monitor (or superuser)
	// started is the server's pg_postmaster_start_time(): a reconnect that
	// finds another one found a restarted server.
	started    time.Time
	queues     []queueTable
	queueRels  map[string]bool // every queue table and partition, schema.table
	queueNames []string        // bare table names, for matching query text
	// queueSchemas are the schemas of library queues kept apart from the
	// application's (graphile_worker, pgmq, pgboss): a query that calls a
	// function there (graphile_worker.add_job, pgmq.send) works the queue
	// without naming its table.
	queueSchemas []string
	queueOIDs    []uint32 // queue tables and their partitions
	sampled      []uint32 // tables sampled this tick (set by the tables collector)
	// claims maps the queryids of the statements decided to be claims (see
	// roles.go) to their lowercased text, so that the rows they return count
	// as dequeued jobs of the queue they name.
	claims map[int64]string
	// rs is the statement-role decision (roles.go); its roles and libs are
	// guarded by mu.
	rs roleState
	// Cumulative counters at the sampler's first tick and now, so that a
	// queue found while running can be counted from the start.
	tablesFirst, tablesCur map[uint32]tableSnap
	stmtsFirst, stmtsCur   map[stmtKey]stmtCounters
	// note records a note for the run (what was detected late, what is
	// not seen).
	note func(string)
}

// version is server_version_num.
func (e *env) version() int { return e.info.VersionNum }
