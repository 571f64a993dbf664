package analyze

import (
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// frame is one sampler tick reduced to the numbers causes score on.
// Counter-derived fields are per second; -1 means the collector had no data.
type frame struct {
	T    time.Time
	Slot int
	Gap  bool // ticks were skipped before this one
	// Errors counts collectors that failed this tick; Reset is set when a
	// counter reset made a section nil.
	Errors int
	// Resets counts collectors whose counters reset this tick; Reset is
	// set when it looks like a server restart (most of them at once, or
	// the sampler reconnected).
	Resets int
	Reset  bool
	// RestartedAt is when the server came back up, on the first sample
	// after a restart (zero otherwise).
	RestartedAt time.Time
	// Down is set when the sampler could not reach the server at all.
	Down bool

	HasLocks        bool
	RelLockWaits    float64 // heavyweight relation/object lock waiters
	RelLockWorkload float64 // ... of which workload sessions
	RowLockWaits    float64 // tuple / transactionid waiters
	RowLockWorkload float64

	HasActivity   bool
	Active        float64
	ActiveForeign float64 // active non-workload backends
	CPUWaiters    float64 // active and on CPU
	ForeignOnCPU  float64 // active non-workload backends with no wait event
	WALWaiters    float64 // active, waiting on WAL write/flush/insert
	IOWaiters     float64 // active, waiting on data file reads
	LockWaiters   float64 // active, waiting on any heavyweight lock
	ClientWaiters float64 // active, waiting on the client
	IdleInXact    float64
	Total         float64
	MaxConn       float64

	XminAgeS float64 // oldest xmin holder's age in seconds
	XminXact float64 // its age in transactions

	HasTables   bool
	DeadTup     float64 // gauge, queue tables
	LiveTup     float64
	Vacuums     float64 // (auto)vacuums finished on queue tables this tick
	Vacuuming   bool    // a vacuum on a queue table is in progress
	SeqScan     float64 // per second, queue tables
	SeqTupRead  float64
	IdxScan     float64
	RelBytes    float64 // gauge, queue tables heap+index+toast
	Upd, HotUpd float64

	HasClaim    bool
	ClaimCalls  float64 // per second
	ClaimMeanMs float64
	ClaimBlks   float64 // shared blocks per call
	// EnqMeanMs and CompMeanMs are the enqueue and complete statements'
	// mean execution times (0 when not seen this tick).
	EnqMeanMs  float64
	CompMeanMs float64

	HasCkpt      bool
	CkptReq      float64 // per second
	CkptTimed    float64
	CkptBuffers  float64
	HasWAL       bool
	WALBytes     float64 // per second
	WALFPI       float64
	WALRecords   float64
	WALSyncMs    float64 // per second of wall time
	HasDB        bool
	BlksRead     float64 // per second
	TempBytes    float64
	TempFiles    float64
	XactCommit   float64
	NumBackends  float64
	HasHost      bool
	CPUBusyPct   float64
	IOWaitPct    float64
	Load1        float64
	CPUs         float64
	sampleIndex  int
	intervalSecs float64
}

func makeFrame(s *runrec.Sample, tl *timeline, q *queueInfo) frame {
	f := frame{T: s.T, Slot: tl.slotOf(s.T), Gap: s.Skipped > 0}
	iv := s.IntervalS
	if iv <= 0 {
		iv = 1
	}
	f.intervalSecs = iv
	f.addStatus(s)
	f.addLocks(s)
	f.addActivity(s)
	f.addHolders(s)
	f.addTables(s, q, iv)
	f.addStatements(s, q, iv)
	f.addServer(s, iv)
	f.Reset = f.Reset || f.Resets >= 3
	return f
}

// addStatus reads the collectors' status: resets, errors, and the server
// being unavailable, reconnected or restarted.
func (f *frame) addStatus(s *runrec.Sample) {
	for name, st := range s.Status {
		switch {
		case st.Kind == runrec.StatusReset:
			f.Resets++
		case st.Kind == runrec.StatusError:
			f.Errors++
		case name == "server" && st.Kind == runrec.StatusUnavailable:
			f.Down = true
		case name == "server" && st.Kind == runrec.StatusReconnected:
			f.Reset = true
		case name == "server" && st.Kind == runrec.StatusRestarted:
			f.Reset = true
			// A restart whose time is unknown is dated by the sample that
			// saw it.
			f.RestartedAt = st.RestartedAt
			if f.RestartedAt.IsZero() {
				f.RestartedAt = s.T
			}
		}
	}
}

// addLocks counts lock waiters on rows and on relations.
func (f *frame) addLocks(s *runrec.Sample) {
	if l := s.Locks; l != nil {
		f.HasLocks = true
		if len(l.Waits) > 0 {
			for _, w := range l.Waits {
				if isRowLock(w.LockType) {
					f.RowLockWaits++
					if w.Workload {
						f.RowLockWorkload++
					}
				} else {
					f.RelLockWaits++
					if w.Workload {
						f.RelLockWorkload++
					}
				}
			}
		} else {
			for k, n := range l.ByMode {
				lt, _, _ := strings.Cut(k, ":")
				if isRowLock(lt) {
					f.RowLockWaits += float64(n)
				} else {
					f.RelLockWaits += float64(n)
				}
			}
		}
	}
}

// addActivity reads pg_stat_activity: sessions, waiters by kind, foreign
// sessions on CPU and the oldest xmin.
func (f *frame) addActivity(s *runrec.Sample) {
	if a := s.Activity; a != nil {
		f.HasActivity = true
		f.Active = float64(a.Active)
		f.ActiveForeign = float64(a.ActiveNonWorkload)
		f.IdleInXact = float64(a.IdleInXact)
		f.Total = float64(a.Total)
		f.MaxConn = float64(a.MaxConnections)
		for k, n := range a.ByWait {
			switch {
			case k == "CPU" || k == "" || k == ":":
				f.CPUWaiters += float64(n)
			case isWALWait(k):
				f.WALWaiters += float64(n)
			case strings.HasPrefix(k, "IO:DataFile") || strings.HasPrefix(k, "IO:Buf") || strings.HasPrefix(k, "IO:Temp"):
				f.IOWaiters += float64(n)
			case strings.HasPrefix(k, "Lock:"):
				f.LockWaiters += float64(n)
			case strings.HasPrefix(k, "Client:"):
				f.ClientWaiters += float64(n)
			}
		}
		for _, b := range a.NonWorkload {
			if !b.Workload && b.State == "active" && b.WaitEventType == "" {
				f.ForeignOnCPU++
			}
		}
		if a.OldestXmin != nil {
			f.XminAgeS = a.OldestXmin.XactAgeS
			f.XminXact = float64(a.OldestXmin.XminAge)
		}
	}
}

// addHolders raises the xmin age to that of the oldest holder of the queue
// tables' horizon.
func (f *frame) addHolders(s *runrec.Sample) {
	for _, h := range s.XminHolders {
		if !holdsQueueTables(h) {
			continue
		}
		if a := holderAgeS(s, h); a > f.XminAgeS {
			f.XminAgeS = a
		}
		if float64(h.XminAge) > f.XminXact {
			f.XminXact = float64(h.XminAge)
		}
	}
}

// addTables sums the queue tables' statistics, per second (iv is the
// sample's interval).
func (f *frame) addTables(s *runrec.Sample, q *queueInfo, iv float64) {
	if len(s.Tables) > 0 {
		f.HasTables = true
		for i := range s.Tables {
			t := &s.Tables[i]
			if !q.isQueue(t.Relation) {
				continue
			}
			f.DeadTup += float64(t.DeadTup)
			f.LiveTup += float64(t.LiveTup)
			f.Vacuums += float64(t.Vacuum + t.Autovacuum)
			f.SeqScan += float64(t.SeqScan) / iv
			f.SeqTupRead += float64(t.SeqTupRead) / iv
			f.IdxScan += float64(t.IdxScan) / iv
			f.RelBytes += float64(t.HeapBytes + t.IndexBytes + t.ToastBytes)
			f.Upd += float64(t.Upd) / iv
			f.HotUpd += float64(t.HotUpd) / iv
		}
	}
	for _, v := range s.Vacuums {
		if q.isQueue(v.Relation) {
			f.Vacuuming = true
		}
	}
}

// addStatements reads the enqueue, complete and claim statements' times,
// and the claim's calls and buffers.
func (f *frame) addStatements(s *runrec.Sample, q *queueInfo, iv float64) {
	f.EnqMeanMs = meanMs(s.Statements, q.EnqueueID)
	f.CompMeanMs = meanMs(s.Statements, q.CompleteID)
	if len(q.ClaimID) > 0 && s.Statements != nil {
		var calls, ms, blks float64
		for j := range s.Statements {
			st := &s.Statements[j]
			if !q.ClaimID[st.QueryID] {
				continue
			}
			calls += float64(st.Calls)
			ms += st.TotalExecMs
			blks += float64(st.SharedBlksHit + st.SharedBlksRead)
		}
		if calls > 0 {
			f.HasClaim = true
			f.ClaimCalls = calls / iv
			f.ClaimMeanMs = ms / calls
			f.ClaimBlks = blks / calls
		}
	}
}

// addServer reads the server-wide rates: checkpoints, WAL, the database's
// reads, temp files and commits, and the host.
func (f *frame) addServer(s *runrec.Sample, iv float64) {
	if c := s.Checkpointer; c != nil {
		f.HasCkpt = true
		f.CkptReq = float64(c.Requested) / iv
		f.CkptTimed = float64(c.Timed) / iv
		f.CkptBuffers = float64(c.BuffersWritten) / iv
	}
	if w := s.WAL; w != nil {
		f.HasWAL = true
		f.WALBytes = float64(max(w.Bytes, w.LSNBytes)) / iv
		f.WALFPI = float64(w.FPI) / iv
		f.WALRecords = float64(w.Records) / iv
		f.WALSyncMs = (w.SyncTimeMs + w.WriteTimeMs) / iv
	}
	if d := s.Database; d != nil {
		f.HasDB = true
		f.BlksRead = float64(d.BlksRead) / iv
		f.TempBytes = float64(d.TempBytes) / iv
		f.TempFiles = float64(d.TempFiles) / iv
		f.XactCommit = float64(d.XactCommit) / iv
		f.NumBackends = float64(d.NumBackends)
	}
	if h := s.Host; h != nil {
		f.HasHost = true
		f.CPUBusyPct = h.CPUBusyPct
		f.IOWaitPct = h.IOWaitPct
		f.Load1 = h.Load1
		f.CPUs = float64(h.CPUs)
	}
}

// meanMs is the mean execution time per call of the statements in ids
// (0 when none ran).
func meanMs(sts []runrec.StatementDelta, ids map[int64]bool) float64 {
	if len(ids) == 0 {
		return 0
	}
	var calls, ms float64
	for i := range sts {
		if ids[sts[i].QueryID] {
			calls += float64(sts[i].Calls)
			ms += sts[i].TotalExecMs
		}
	}
	if calls == 0 {
		return 0
	}
	return ms / calls
}

// isRowLock reports whether a pg_locks locktype is a row-level wait: a
// tuple lock or waiting for another transaction to end (hot rows).
func isRowLock(locktype string) bool {
	return locktype == "tuple" || locktype == "transactionid"
}

// isWALWait reports whether a "Type:Event" wait is on WAL write or flush.
func isWALWait(k string) bool {
	switch k {
	case "LWLock:WALWrite", "LWLock:WALInsert", "LWLock:WALBufMapping",
		"IO:WALSync", "IO:WALWrite", "IO:WALInitSync", "IO:WALInitWrite":
		return true
	}
	return false
}
