package sampler

import (
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/runrec"
)

// collector owns one statistics view: its query, its previous snapshot and
// its delta. Each collector also has a typed collect method returning what
// it read this tick, its reading:
//
//	collect(ctx, e *env) (xxxReading, error)
//
// (the indexes collector also takes the tables it reads, the host
// collector reads /proc and takes nothing). The signatures differ, so the
// tick (Sampler.steps) calls each by name. A reading returned with an
// error holds what was read before the failure, which the tick records as
// well.
type collector interface {
	// name is the key of the collector in runrec.Sample.Status.
	name() string
	// forget drops the previous snapshot (after a reconnect the next tick is
	// a new baseline rather than a delta over the gap).
	forget()
}

// reading is what one collector read in one tick.
type reading interface {
	// record writes the reading's own part of the sample (and nothing of
	// any other collector's).
	record(smp *runrec.Sample)
	// status is the collector's status for a tick it ran without an error:
	// zero Kind when ok, statusReset when its counters went down (the tick
	// is a new baseline), or why it cannot run.
	status() runrec.CollectorStatus
}

// outcome is the status part of a reading; readings embed it.
type outcome struct{ st runrec.CollectorStatus }

func (o outcome) status() runrec.CollectorStatus { return o.st }

// missingHinter is implemented by collectors that need an extension or a
// newer server, to name it in their "missing:" status.
type missingHinter interface {
	missingHint() string
}

// env is what the sampler learned about the session, which collectors only
// read: the connection, the server, the session's privileges, and the
// queue list. The sampler alone writes it: identify at start and on a
// reconnect, setQueues when the queue collector's reading found queues or
// partitions.
type env struct {
	// mu guards the queue list against readers outside Run
	// (Sampler.QueueTables); Run's goroutine is the only writer.
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
	// note records a note for the run (what was detected late, what is
	// not seen).
	note func(string)
}

// version is server_version_num.
func (e *env) version() int { return e.info.VersionNum }
