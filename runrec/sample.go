package runrec

import "time"

// Sample is one sampler tick: what each collector saw, as deltas since the
// previous tick for counters and as values for gauges. A nil section means
// that collector did not produce data this tick (see Status for why).
//
// Counter deltas are only filled when the previous snapshot is comparable
// (no reset, no counter going backwards); otherwise the section is nil for
// that tick and its Status is StatusReset.
type Sample struct {
	// T is when the tick started (UTC).
	T time.Time `json:"t"`
	// IntervalS is the time the deltas cover, in seconds.
	IntervalS float64 `json:"interval_s"`
	// Skipped is true when the previous tick overran and this tick stands in
	// for one or more ticks that were not taken.
	Skipped int `json:"skipped,omitempty"`
	// Status maps a collector name to why it has no data this tick (see
	// CollectorStatus and StatusKind), and the key "server" to the
	// sampler's connection being unavailable, reconnected or restarted.
	// Collectors that are ok may be left out.
	Status map[string]CollectorStatus `json:"status,omitempty"`

	Database     *DatabaseStats   `json:"database,omitempty"`
	Statements   []StatementDelta `json:"statements,omitempty"`
	Activity     *Activity        `json:"activity,omitempty"`
	Locks        *Locks           `json:"locks,omitempty"`
	WAL          *WALStats        `json:"wal,omitempty"`
	Checkpointer *CheckpointStats `json:"checkpointer,omitempty"`
	Tables       []TableStats     `json:"tables,omitempty"`
	Indexes      []IndexStats     `json:"indexes,omitempty"`
	Vacuums      []VacuumProgress `json:"vacuums,omitempty"`
	XminHolders  []XminHolder     `json:"xmin_holders,omitempty"`
	Queues       []QueueHealth    `json:"queues,omitempty"`
	Notify       *float64         `json:"notify_queue_usage,omitempty"`
	Host         *HostStats       `json:"host,omitempty"`
	// Settings holds pg_settings values that changed since the previous
	// tick (all tracked settings on the first tick).
	Settings map[string]string `json:"settings,omitempty"`
	// Reloptions maps a queue table to its reloptions when they changed.
	Reloptions map[string][]string `json:"reloptions,omitempty"`
}

// DatabaseStats are pg_stat_database deltas for the target database.
type DatabaseStats struct {
	XactCommit     int64   `json:"xact_commit"`
	XactRollback   int64   `json:"xact_rollback"`
	BlksRead       int64   `json:"blks_read"`
	BlksHit        int64   `json:"blks_hit"`
	TupReturned    int64   `json:"tup_returned"`
	TupFetched     int64   `json:"tup_fetched"`
	TupInserted    int64   `json:"tup_inserted"`
	TupUpdated     int64   `json:"tup_updated"`
	TupDeleted     int64   `json:"tup_deleted"`
	TempFiles      int64   `json:"temp_files"`
	TempBytes      int64   `json:"temp_bytes"`
	Deadlocks      int64   `json:"deadlocks"`
	Conflicts      int64   `json:"conflicts"`
	BlkReadTimeMs  float64 `json:"blk_read_time_ms"`
	BlkWriteTimeMs float64 `json:"blk_write_time_ms"`
	// NumBackends is a gauge: connections to this database now.
	NumBackends int64 `json:"numbackends"`
}

// StatementDelta is one pg_stat_statements entry's change over the tick.
// Only entries with calls in the interval are recorded.
type StatementDelta struct {
	QueryID int64  `json:"queryid"`
	UserID  uint32 `json:"userid"`
	DBID    uint32 `json:"dbid"`
	// Text is the normalized query text, written only the first time the
	// entry appears in the run (readers keep a map by QueryID).
	Text string `json:"text,omitempty"`

	Calls             int64   `json:"calls"`
	TotalExecMs       float64 `json:"total_exec_ms"`
	Rows              int64   `json:"rows"`
	SharedBlksHit     int64   `json:"shared_blks_hit"`
	SharedBlksRead    int64   `json:"shared_blks_read"`
	SharedBlksDirtied int64   `json:"shared_blks_dirtied"`
	SharedBlksWritten int64   `json:"shared_blks_written"`
	TempBlksRead      int64   `json:"temp_blks_read"`
	TempBlksWritten   int64   `json:"temp_blks_written"`
	WALRecords        int64   `json:"wal_records"`
	WALFPI            int64   `json:"wal_fpi"`
	WALBytes          int64   `json:"wal_bytes"`
}

// Backend is one pg_stat_activity row, as evidence.
type Backend struct {
	PID             int    `json:"pid"`
	ApplicationName string `json:"application_name,omitempty"`
	BackendType     string `json:"backend_type,omitempty"`
	State           string `json:"state,omitempty"`
	WaitEventType   string `json:"wait_event_type,omitempty"`
	WaitEvent       string `json:"wait_event,omitempty"`
	Query           string `json:"query,omitempty"`
	// XactAgeS is how long its transaction has been open, in seconds.
	XactAgeS float64 `json:"xact_age_s,omitempty"`
	// QueryAgeS is how long its current (or last) query has run.
	QueryAgeS float64 `json:"query_age_s,omitempty"`
	// XminAge is age(backend_xmin) in transactions.
	XminAge int64 `json:"xmin_age,omitempty"`
	// Workload is true for sessions of the measured workload (the driver's,
	// or in observe mode those touching the queue tables).
	Workload bool `json:"workload,omitempty"`
}

// Activity summarizes pg_stat_activity (client backends; the sampler's own
// session excluded).
type Activity struct {
	Total      int            `json:"total"`
	Active     int            `json:"active"`
	IdleInXact int            `json:"idle_in_transaction"`
	ByState    map[string]int `json:"by_state,omitempty"`
	// ByWait counts active backends by "WaitEventType:WaitEvent" (e.g.
	// "Lock:transactionid", "LWLock:WALWrite", "IO:WALSync"); backends on CPU
	// count as "CPU".
	ByWait            map[string]int `json:"by_wait,omitempty"`
	ActiveNonWorkload int            `json:"active_non_workload"`
	// NonWorkload lists active backends that are not the workload (capped).
	NonWorkload    []Backend `json:"non_workload,omitempty"`
	OldestXact     *Backend  `json:"oldest_xact,omitempty"`
	OldestXmin     *Backend  `json:"oldest_xmin,omitempty"`
	MaxConnections int       `json:"max_connections,omitempty"`
	// WorkloadIdleInXactMaxS is the longest any workload session had sat
	// idle inside a transaction at this tick (now - state_change), 0 when
	// none was: the workload's own pauses, which an
	// idle_in_transaction_session_timeout must stay above.
	WorkloadIdleInXactMaxS float64 `json:"workload_idle_in_xact_max_s,omitempty"`
}

// LockWait is one session waiting on a heavyweight lock.
type LockWait struct {
	PID       int     `json:"pid"`
	LockType  string  `json:"locktype"`
	Mode      string  `json:"mode"`
	Relation  string  `json:"relation,omitempty"`
	WaitingS  float64 `json:"waiting_s"`
	Query     string  `json:"query,omitempty"`
	BlockedBy []int   `json:"blocked_by,omitempty"`
	Workload  bool    `json:"workload,omitempty"`
}

// LockBlocker is a session at the head of a blocking chain. PID 0 is a
// prepared transaction.
type LockBlocker struct {
	PID             int     `json:"pid"`
	ModeHeld        string  `json:"mode_held,omitempty"`
	Relation        string  `json:"relation,omitempty"`
	State           string  `json:"state,omitempty"`
	Query           string  `json:"query,omitempty"`
	ApplicationName string  `json:"application_name,omitempty"`
	XactAgeS        float64 `json:"xact_age_s,omitempty"`
	// HeldS is how long the blocker has held its lock (its transaction age
	// when nothing more precise is known).
	HeldS    float64 `json:"held_s,omitempty"`
	Blocked  int     `json:"blocked"`
	Prepared bool    `json:"prepared,omitempty"`
	// Workload is true for a session of the measured workload, as for
	// LockWait.
	Workload bool `json:"workload,omitempty"`
	// QueryID is pg_stat_activity.query_id of the statement the blocker
	// runs or ran last (Postgres 14+ with query ids computed; 0 unknown):
	// it tells a workload's own claim, holding rows while it runs, from a
	// foreign session holding them.
	QueryID int64 `json:"query_id,omitempty"`
}

// Locks summarizes pg_locks.
type Locks struct {
	Waiting int `json:"waiting"`
	// ByMode counts waiting locks by "locktype:Mode", e.g.
	// "relation:AccessExclusiveLock", "transactionid:ShareLock", "tuple:ExclusiveLock".
	ByMode   map[string]int `json:"by_mode,omitempty"`
	Waits    []LockWait     `json:"waits,omitempty"`
	Blockers []LockBlocker  `json:"blockers,omitempty"`
}

// WALStats are WAL deltas: LSN movement always, pg_stat_wal (14+) when present.
type WALStats struct {
	// LSNBytes is pg_current_wal_lsn() movement over the interval.
	LSNBytes    int64   `json:"lsn_bytes"`
	HasStatWAL  bool    `json:"has_stat_wal"`
	Records     int64   `json:"records"`
	FPI         int64   `json:"fpi"`
	Bytes       int64   `json:"bytes"`
	BuffersFull int64   `json:"buffers_full"`
	Write       int64   `json:"write"`
	Sync        int64   `json:"sync"`
	WriteTimeMs float64 `json:"write_time_ms"`
	SyncTimeMs  float64 `json:"sync_time_ms"`
}

// CheckpointStats are checkpoint deltas (pg_stat_bgwriter up to 16,
// pg_stat_checkpointer from 17).
type CheckpointStats struct {
	Timed          int64   `json:"timed"`
	Requested      int64   `json:"requested"`
	BuffersWritten int64   `json:"buffers_written"`
	WriteTimeMs    float64 `json:"write_time_ms"`
	SyncTimeMs     float64 `json:"sync_time_ms"`
	BuffersBackend int64   `json:"buffers_backend,omitempty"`
	BuffersClean   int64   `json:"buffers_clean,omitempty"`
}

// TableStats are one table's statistics: counters as deltas, sizes and
// tuple counts as gauges.
type TableStats struct {
	Relation string `json:"relation"` // schema.table
	Queue    bool   `json:"queue,omitempty"`

	// Gauges.
	LiveTup            int64   `json:"n_live_tup"`
	DeadTup            int64   `json:"n_dead_tup"`
	ModSinceAnalyze    int64   `json:"n_mod_since_analyze"`
	HeapBytes          int64   `json:"heap_bytes"`
	IndexBytes         int64   `json:"index_bytes"`
	ToastBytes         int64   `json:"toast_bytes"`
	LastAutovacuumAgeS float64 `json:"last_autovacuum_age_s,omitempty"`

	// Deltas.
	SeqScan      int64 `json:"seq_scan"`
	SeqTupRead   int64 `json:"seq_tup_read"`
	IdxScan      int64 `json:"idx_scan"`
	IdxTupFetch  int64 `json:"idx_tup_fetch"`
	Ins          int64 `json:"n_tup_ins"`
	Upd          int64 `json:"n_tup_upd"`
	HotUpd       int64 `json:"n_tup_hot_upd"`
	Del          int64 `json:"n_tup_del"`
	Vacuum       int64 `json:"vacuum_count"`
	Autovacuum   int64 `json:"autovacuum_count"`
	Analyze      int64 `json:"analyze_count"`
	Autoanalyze  int64 `json:"autoanalyze_count"`
	HeapBlksRead int64 `json:"heap_blks_read"`
	HeapBlksHit  int64 `json:"heap_blks_hit"`
	IdxBlksRead  int64 `json:"idx_blks_read"`
	IdxBlksHit   int64 `json:"idx_blks_hit"`
}

// IndexStats are one index's statistics.
type IndexStats struct {
	Relation   string `json:"relation"` // schema.table
	Index      string `json:"index"`    // schema.index
	Definition string `json:"definition,omitempty"`
	SizeBytes  int64  `json:"size_bytes"`
	IdxScan    int64  `json:"idx_scan"`
	TupRead    int64  `json:"idx_tup_read"`
	TupFetch   int64  `json:"idx_tup_fetch"`
}

// VacuumProgress is one pg_stat_progress_vacuum row.
type VacuumProgress struct {
	PID              int    `json:"pid"`
	Relation         string `json:"relation"`
	Phase            string `json:"phase"`
	Auto             bool   `json:"auto"`
	HeapBlksTotal    int64  `json:"heap_blks_total"`
	HeapBlksScanned  int64  `json:"heap_blks_scanned"`
	HeapBlksVacuumed int64  `json:"heap_blks_vacuumed"`
	IndexVacuumCount int64  `json:"index_vacuum_count"`
	NumDeadTuples    int64  `json:"num_dead_tuples"`
}

// Xmin holder kinds.
const (
	XminBackendActive     = "backend_active"
	XminBackendIdleInXact = "backend_idle_in_transaction"
	XminBackendIdle       = "backend_other"
	XminSlot              = "replication_slot"
	XminSlotCatalog       = "replication_slot_catalog"
	XminPrepared          = "prepared_transaction"
	XminStandby           = "standby_feedback"
)

// XminHolder is something that holds back the cleanup horizon.
type XminHolder struct {
	Kind string `json:"kind"`
	PID  int    `json:"pid,omitempty"`
	// Name is the slot name, the prepared transaction's gid or the
	// application_name.
	Name  string `json:"name,omitempty"`
	State string `json:"state,omitempty"`
	Query string `json:"query,omitempty"`
	// XminAge is the horizon's age in transactions.
	XminAge int64 `json:"xmin_age"`
	// AgeS is how long it has held it, in seconds (transaction age, prepare
	// time, ...), 0 when unknown.
	AgeS float64 `json:"age_s,omitempty"`
	// IdleS is how long a backend has been in its current state
	// (now - state_change): for an idle-in-transaction holder, how long it
	// has sat idle, which is what idle_in_transaction_session_timeout
	// measures. 0 when unknown.
	IdleS float64 `json:"idle_s,omitempty"`
}

// QueueHealth is the state of one queue table, read from the table itself.
type QueueHealth struct {
	Table string `json:"table"`
	// Depth is the number of jobs waiting (-1 when unknown).
	Depth int64 `json:"depth"`
	// OldestPendingAgeS is the age of the oldest waiting job (-1 unknown).
	OldestPendingAgeS float64 `json:"oldest_pending_age_s"`
	// Enqueued and Completed are jobs added and finished over the interval
	// as the database sees them (tuple counters or statement calls).
	Enqueued  int64  `json:"enqueued"`
	Completed int64  `json:"completed"`
	Note      string `json:"note,omitempty"`
	// Dequeued is jobs that left the waiting state over the interval
	// (inserted minus the growth of depth), when depth is counted.
	Dequeued int64 `json:"dequeued,omitempty"`
	// InFlight is the number of claimed, unfinished jobs (-1 unknown).
	InFlight int64 `json:"in_flight,omitempty"`
	// System is the recognized queue system ("pgmq", "river", ...).
	System string `json:"system,omitempty"`
}

// HostStats are from /proc when the server runs on this host.
type HostStats struct {
	CPUs         int     `json:"cpus"`
	CPUBusyPct   float64 `json:"cpu_busy_pct"`
	IOWaitPct    float64 `json:"iowait_pct"`
	Load1        float64 `json:"load1"`
	ProcsRunning int     `json:"procs_running"`
}
