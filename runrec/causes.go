package runrec

// Cause codes: a Finding's Cause, a Contributor's and a CauseScore's. This
// file is the one place each code is spelled; analyze names the causes with
// these constants, recommendations matches findings by them, report colours
// them, and runrec/report.schema.json pins "cause" to exactly this list (a
// test in internal/layout checks both, and that no other non-test Go file spells a
// code as a string literal). README.md's cause table defines each code; add
// a code only with a clear definition there.
const (
	// CauseLock: sessions wait on heavyweight locks on queue objects.
	CauseLock = "lock_contention"
	// CauseRowLock: waits on tuple/transaction locks (hot rows, FOR UPDATE
	// without SKIP LOCKED).
	CauseRowLock = "row_lock_contention"
	// CauseXmin: a long or idle-in-transaction session, replication slot or
	// prepared transaction holds back cleanup.
	CauseXmin = "xmin_horizon"
	// CauseVacuumLag: autovacuum disabled, throttled or not keeping up, with
	// no xmin holder to blame.
	CauseVacuumLag = "vacuum_lag"
	// CauseBloat: table/index growth makes each dequeue read more pages.
	CauseBloat = "bloat"
	// CauseMissingIndex: sequential scans / rows examined per dequeue grow
	// on a queue table.
	CauseMissingIndex = "missing_index"
	// CauseCheckpoint: requested checkpoints, full-page-image WAL surges.
	CauseCheckpoint = "checkpoint_pressure"
	// CauseWALWrite: commits wait on WAL write/flush.
	CauseWALWrite = "wal_write"
	// CauseCPU: non-workload queries or too many active backends saturate
	// the CPU.
	CauseCPU = "cpu_saturation"
	// CauseIO: reads from disk or temp files surge.
	CauseIO = "io_saturation"
	// CauseConnections: clients wait for connections / max_connections
	// reached.
	CauseConnections = "connection_saturation"
	// CauseClientBound: the database is not the bottleneck; the workers are.
	CauseClientBound = "client_bound"
	// CauseUnavailable: the server could not be reached or restarted during
	// the window.
	CauseUnavailable = "server_unavailable"
	// CauseUnknown: a drop is real but no signal explains it.
	CauseUnknown = "unknown"
)

// AllCauses returns every cause code a report.json may carry, in the order
// of README.md's cause table (CauseUnknown last). The slice is new on each
// call.
func AllCauses() []string {
	return []string{
		CauseLock, CauseRowLock, CauseXmin, CauseVacuumLag, CauseBloat,
		CauseMissingIndex, CauseCheckpoint, CauseWALWrite, CauseCPU, CauseIO,
		CauseConnections, CauseClientBound, CauseUnavailable, CauseUnknown,
	}
}

// FindingKinds returns every Finding.Kind value (the Finding* constants).
// The slice is new on each call.
func FindingKinds() []string {
	return []string{FindingDrop, FindingLatency, FindingBacklog, FindingSlowdown,
		FindingTrend, FindingWholeRun, FindingOutage}
}
