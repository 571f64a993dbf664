package analyze_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// The injectors below write the signature each fault leaves in the
// sampler's data, as seen on a real cluster: second i's tick and the
// sample taken at its end.

// lockTable: pid 4242 holds ACCESS EXCLUSIVE on the queue table; every
// worker queues behind it and completions stop.
func (s *synth) lockTable(from, to int) {
	s.stall(from, to, 0)
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		held := float64(i - from + 1)
		var waits []runrec.LockWait
		for p := 0; p < 4; p++ {
			waits = append(waits, runrec.LockWait{PID: 3000 + p, LockType: "relation", Mode: "RowExclusiveLock", Relation: synthQueue,
				WaitingS: held, Query: claimText, BlockedBy: []int{4242}, Workload: true})
		}
		sm.Locks = &runrec.Locks{Waiting: 4, ByMode: map[string]int{"relation:RowExclusiveLock": 4}, Waits: waits,
			Blockers: []runrec.LockBlocker{{PID: 4242, ModeHeld: "AccessExclusiveLock", Relation: synthQueue, State: "idle in transaction",
				Query: "LOCK TABLE pgqtune.job IN ACCESS EXCLUSIVE MODE", ApplicationName: "psql", XactAgeS: held, HeldS: held, Blocked: 4}}}
		sm.Activity.Active = 4
		sm.Activity.ByWait = map[string]int{"Lock:relation": 4}
		blockClaim(sm, held)
	})
}

// blockClaim makes the claim's one call in the second take waitedS.
func blockClaim(sm *runrec.Sample, waitedS float64) {
	for k := range sm.Statements {
		if sm.Statements[k].QueryID == claimID {
			sm.Statements[k].Calls = 1
			sm.Statements[k].TotalExecMs = waitedS * 1000
			sm.Statements[k].SharedBlksHit = 6
		}
	}
}

// rowLocks: pid 6161 holds a hot row with FOR UPDATE; workers updating it
// wait on its transaction id.
func (s *synth) rowLocks(from, to int) {
	s.stall(from, to, 0.4)
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		held := float64(i - from + 1)
		var waits []runrec.LockWait
		for p := 0; p < 3; p++ {
			waits = append(waits, runrec.LockWait{PID: 3100 + p, LockType: "transactionid", Mode: "ShareLock",
				WaitingS: held, Query: "UPDATE pgqtune.job SET state = $1, finished_at = now() WHERE id = $2", BlockedBy: []int{6161}, Workload: true})
		}
		sm.Locks = &runrec.Locks{Waiting: 3, ByMode: map[string]int{"transactionid:ShareLock": 3}, Waits: waits,
			Blockers: []runrec.LockBlocker{{PID: 6161, Relation: synthQueue, State: "idle in transaction",
				Query: "SELECT * FROM pgqtune.job WHERE id = $1 FOR UPDATE", ApplicationName: "hotrow", XactAgeS: held, HeldS: held, Blocked: 3}}}
		sm.Activity.Active = 4
		sm.Activity.ByWait = map[string]int{"Lock:transactionid": 3, "CPU": 1}
	})
}

// holdXmin: pid 5151 sits idle in a REPEATABLE READ transaction; autovacuum
// runs but removes nothing, dead tuples climb and the claim steps over them:
// its index scan visits the dead entries and their heap pages, so it reads
// more buffers per call as they grow.
func (s *synth) holdXmin(from, to int) {
	s.holdXminWith(from, to, func(age float64) runrec.XminHolder {
		return runrec.XminHolder{Kind: runrec.XminBackendIdleInXact, PID: 5151, Name: "psql", State: "idle in transaction",
			Query: "SELECT count(*) FROM pgqtune.job", XminAge: int64(age * 400), AgeS: age}
	})
}

// holdXminWith is holdXmin with another kind of holder, given its state
// age seconds into the hold.
func (s *synth) holdXminWith(from, to int, holder func(age float64) runrec.XminHolder) {
	dead := float64(s.smp(from).Tables[0].DeadTup)
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		age := float64(i - from + 1)
		dead += float64(tk.Completed)
		t := &sm.Tables[0]
		t.DeadTup = int64(dead)
		t.Autovacuum = 0
		if (i-from)%3 == 2 {
			t.Autovacuum = 1
		}
		h := holder(age)
		sm.XminHolders = []runrec.XminHolder{h}
		if h.Kind == runrec.XminBackendIdleInXact {
			sm.Activity.IdleInXact = 1
		}
		setClaimMean(sm, 0.3+0.0015*dead)
		setClaimBlocks(sm, 6+dead/100)
		tk.LatencyMs.P99 += dead / 500
	})
	s.smp(to).Tables[0].DeadTup = 10
	s.smp(to).Tables[0].Autovacuum = 1
}

// setClaimMean sets the claim statement's mean time in a sample.
func setClaimMean(sm *runrec.Sample, ms float64) {
	for k := range sm.Statements {
		st := &sm.Statements[k]
		if st.QueryID == claimID {
			st.TotalExecMs = ms * float64(st.Calls)
		}
	}
}

// setClaimBlocks sets the claim statement's shared blocks per call.
func setClaimBlocks(sm *runrec.Sample, perCall float64) {
	for k := range sm.Statements {
		st := &sm.Statements[k]
		if st.QueryID == claimID {
			st.SharedBlksHit = int64(perCall * float64(st.Calls))
		}
	}
}

// vacuumOff: autovacuum_enabled=false on the queue table from `from`.
func (s *synth) vacuumOff(from int) {
	s.smp(from).Reloptions = map[string][]string{synthQueue: {"autovacuum_enabled=false"}}
	dead := float64(s.smp(from).Tables[0].DeadTup)
	s.each(from, len(s.run.Samples), func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		dead += float64(tk.Completed)
		sm.Tables[0].DeadTup = int64(dead)
		sm.Tables[0].Autovacuum = 0
		sm.Tables[0].LastAutovacuumAgeS = float64(i - from + 1)
		setClaimMean(sm, 0.3+0.00003*dead)
	})
}

// checkpoints: CHECKPOINT in a loop; every checkpoint is followed by
// full-page images, WAL volume jumps and commits slow down.
func (s *synth) checkpoints(from, to int) {
	s.stall(from, to, 0.55)
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		tk.LatencyMs.P99 = 120
		sm.Checkpointer = &runrec.CheckpointStats{Requested: 1, BuffersWritten: 2500, WriteTimeMs: 400, SyncTimeMs: 150}
		w := sm.WAL
		w.FPI = w.Records / 2
		w.Bytes *= 6
		w.LSNBytes = w.Bytes
	})
}

// cpuHog: three foreign sessions run CPU-bound queries on a 2-CPU host;
// every statement of the queue waits for a core and runs 2.5x slower.
func (s *synth) cpuHog(from, to int) {
	s.stall(from, to, 0.5)
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		slowAll(sm, 2.5)
		tk.LatencyMs.P99 = 90
		sm.Host.CPUBusyPct = 99
		sm.Host.Load1 = 6
		sm.Activity.Active = 5
		sm.Activity.ActiveNonWorkload = 3
		sm.Activity.ByWait = map[string]int{"CPU": 5}
		sm.Activity.NonWorkload = nil
		for p := 0; p < 3; p++ {
			sm.Activity.NonWorkload = append(sm.Activity.NonWorkload, runrec.Backend{PID: 7001 + p, ApplicationName: "hog", State: "active",
				Query: "SELECT count(*) FROM generate_series(1, 100000000) g, LATERAL md5(g::text)", QueryAgeS: float64(i - from + 1)})
		}
	})
}

// slowAll makes every statement of the workload take factor times longer
// per call.
func slowAll(sm *runrec.Sample, factor float64) {
	for k := range sm.Statements {
		st := &sm.Statements[k]
		if st.QueryID == claimID || st.QueryID == enqueueID || st.QueryID == completeID {
			st.TotalExecMs *= factor
		}
	}
}

// holdXminBy makes the hogs' long queries hold the horizon as well: their
// snapshots keep the dead tuples the workload makes, which pile up (vacuum
// runs in vain) without yet making the claim read more.
func (s *synth) holdXminBy(from, to int, pid int, query string) {
	dead := float64(s.smp(from).Tables[0].DeadTup)
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		age := float64(i - from + 1)
		dead += float64(tk.Completed)
		sm.Tables[0].DeadTup = int64(dead)
		sm.Tables[0].Autovacuum = 0
		if (i-from)%3 == 2 {
			sm.Tables[0].Autovacuum = 1
		}
		sm.XminHolders = []runrec.XminHolder{{Kind: runrec.XminBackendActive, PID: pid, Name: "hog", State: "active",
			Query: query, XminAge: int64(age * 300), AgeS: age}}
	})
	s.smp(to).Tables[0].DeadTup = 10
	s.smp(to).Tables[0].Autovacuum = 1
}

// dropIndex: the claim index is dropped; every claim scans the table.
func (s *synth) dropIndex(from int) {
	n := len(s.run.Samples)
	s.stall(from, n, 0.6)
	s.each(from, n, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		sm.Indexes = slices.DeleteFunc(slices.Clone(sm.Indexes), func(ix runrec.IndexStats) bool { return ix.Index == "pgqtune.job_claim_idx" })
		var claims int64
		for _, st := range sm.Statements {
			if st.QueryID == claimID {
				claims = st.Calls
			}
		}
		t := &sm.Tables[0]
		t.SeqScan = claims
		t.SeqTupRead = claims * 5000
		t.IdxScan -= claims
		setClaimMean(sm, 4.5)
		tk.LatencyMs.P99 = 60
	})
}

// producersSlow: the producers send 30% of the usual rate; the database
// idles.
func (s *synth) producersSlow(from, to int) {
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		tk.Enqueued = int64(float64(tk.Enqueued) * 0.3)
		tk.Completed = int64(float64(tk.Completed) * 0.3)
		tk.Dequeued = tk.Completed
		tk.Depth = 1
		scaleStatements(sm, 0.3)
		sm.Activity.Active = 1
		sm.Activity.ByWait = map[string]int{"CPU": 1}
		sm.Host.CPUBusyPct = 15
	})
}

// restart: the server is down in [from,to): the sampler records errors
// (and misses a few ticks), the driver errors, and counters are reset
// when it returns.
func (s *synth) restart(from, to int) {
	s.stall(from, to, 0)
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		tk.Errors = 40
		*sm = runrec.Sample{T: sm.T, IntervalS: 1, Status: map[string]runrec.CollectorStatus{
			"server": unavailable("failed to connect to `host=127.0.0.1`: dial error: connect: connection refused")}}
	})
	back := s.smp(to)
	back.Status = map[string]runrec.CollectorStatus{"server": reconnected(8), "database": statusReset, "statements": statusReset, "wal": statusReset, "checkpointer": statusReset}
	back.Database, back.Statements, back.WAL, back.Checkpointer = nil, nil, nil, nil
	back.Skipped = 3
	s.run.Samples = slices.Delete(s.run.Samples, from+2, from+5)
}

// statusReset is a collector's status on a tick after its counters reset.
var statusReset = runrec.CollectorStatus{Kind: runrec.StatusReset}

// unavailable is the server's status on a tick without a connection, as the
// sampler writes it.
func unavailable(why string) runrec.CollectorStatus {
	return runrec.CollectorStatus{Kind: runrec.StatusUnavailable, Detail: "unavailable: " + why}
}

// reconnected is the server's status on the first tick after a reconnect
// that was down for downS seconds.
func reconnected(downS float64) runrec.CollectorStatus {
	return runrec.CollectorStatus{Kind: runrec.StatusReconnected, Detail: fmt.Sprintf("reconnected after %.1fs", downS)}
}

// restarted is the server's status on the first tick after a reconnect to
// a server that started again at back.
func restarted(back time.Time, downS float64) runrec.CollectorStatus {
	return runrec.CollectorStatus{Kind: runrec.StatusRestarted, RestartedAt: back,
		Detail: fmt.Sprintf("restarted at %s, reconnected after %.1fs", back.Format(time.RFC3339), downS)}
}

// resetsAndGaps: a stats reset at 30 s and a sampler overrun at 38-40 s
// in an otherwise steady run.
func (s *synth) resetsAndGaps() {
	r := s.smp(30)
	r.Status = map[string]runrec.CollectorStatus{"database": statusReset, "statements": statusReset}
	r.Database, r.Statements = nil, nil
	s.smp(40).Skipped = 2
	s.smp(40).IntervalS = 3
	s.run.Samples = slices.Delete(s.run.Samples, 38, 40)
}

// toObserve drops the driver's ticks and puts the queue's state in the
// samples' queue health instead, as observe mode records it.
func (s *synth) toObserve() {
	for i := range s.run.Samples {
		tk := s.tick(i)
		s.run.Samples[i].Queues = []runrec.QueueHealth{{Table: synthQueue, Depth: tk.Depth, OldestPendingAgeS: tk.OldestPendingAgeS,
			Enqueued: tk.Enqueued, Completed: tk.Completed}}
	}
	s.run.Workload = nil
	s.run.Meta.Mode = "observe"
}

// walWaits: commits queue on WAL flush (a slow disk under the WAL).
func (s *synth) walWaits(from, to int) {
	s.stall(from, to, 0.5)
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		tk.LatencyMs.P99 = 150
		sm.Activity.Active = 6
		sm.Activity.ByWait = map[string]int{"LWLock:WALWrite": 3, "IO:WALSync": 2, "CPU": 1}
		sm.WAL.SyncTimeMs = 800
		sm.WAL.WriteTimeMs = 100
	})
}

// tempSpill: a foreign report sorts on disk and reads cold tables.
func (s *synth) tempSpill(from, to int) {
	s.stall(from, to, 0.5)
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		sm.Database.TempFiles = 4
		sm.Database.TempBytes = 96 << 20
		sm.Database.BlksRead = 6000
		sm.Host.IOWaitPct = 45
		sm.Activity.Active = 5
		sm.Activity.ByWait = map[string]int{"IO:DataFileRead": 3, "CPU": 2}
	})
}

// poolWaits: the workers wait for pool connections; the server is at
// max_connections.
func (s *synth) poolWaits(from, to int) {
	s.stall(from, to, 0.4)
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		tk.ConnWaits = 80
		sm.Activity.Total = 99
		sm.Database.NumBackends = 99
	})
}

// noHOT: every update on the queue table is a non-HOT update.
func (s *synth) noHOT() {
	for i := range s.run.Samples {
		for k := range s.run.Samples[i].Tables {
			s.run.Samples[i].Tables[k].HotUpd = 0
		}
	}
}

// slowBloat: over the run the queue table and its index grow tenfold and
// each claim reads ever more pages; a closed-loop rate slides with it.
func (s *synth) slowBloat() {
	n := len(s.run.Workload)
	for i := range s.run.Workload {
		f := float64(i) / float64(n)
		tk := &s.run.Workload[i]
		tk.TargetRate = 0
		tk.Completed = int64(float64(tk.Completed) * (1 - 0.5*f))
		tk.Enqueued = tk.Completed
		sm := &s.run.Samples[i]
		t := &sm.Tables[0]
		t.HeapBytes = int64(float64(8<<20) * (1 + 9*f))
		t.IndexBytes = int64(float64(2<<20) * (1 + 9*f))
		for k := range sm.Statements {
			st := &sm.Statements[k]
			if st.QueryID == claimID {
				st.SharedBlksHit = int64(float64(st.Calls) * 6 * (1 + 15*f))
				st.TotalExecMs = float64(st.Calls) * 0.3 * (1 + 5*f)
			}
		}
	}
	for k := range s.run.Meta.Phases {
		s.run.Meta.Phases[k].TargetRate = 0
	}
}

// checkpointsOnly: CHECKPOINT in a loop on a server with headroom: WAL
// fills with full-page images but the queue does not slow.
func (s *synth) checkpointsOnly(from, to int) {
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		sm.Checkpointer = &runrec.CheckpointStats{Requested: 2, BuffersWritten: 800}
		sm.WAL.FPI = sm.WAL.Records / 3
	})
}

// claimHoldsRows: the claim runs for seconds (it steps over dead tuples)
// and, locking rows it then finds already claimed (READ COMMITTED re-checks
// the newest version and keeps the lock), holds rows other workers are
// completing: their complete waits on the claim's transaction id. The
// blockers are the workload's own sessions running the claim.
func (s *synth) claimHoldsRows(from, to int) {
	s.each(from, to, func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample) {
		held := float64(i-from) + 1.5
		var waits []runrec.LockWait
		for p := 0; p < 2; p++ {
			waits = append(waits, runrec.LockWait{PID: 3200 + p, LockType: "transactionid", Mode: "ShareLock",
				WaitingS: held, Query: "UPDATE pgqtune.job SET state = $1, finished_at = now() WHERE id = $2", BlockedBy: []int{3300 + p}, Workload: true})
		}
		var blockers []runrec.LockBlocker
		for p := 0; p < 2; p++ {
			blockers = append(blockers, runrec.LockBlocker{PID: 3300 + p, State: "active", Query: claimText, QueryID: claimID, Workload: true,
				ApplicationName: "pgqtune-workload", XactAgeS: held, HeldS: held, Blocked: 1})
		}
		sm.Locks = &runrec.Locks{Waiting: 2, ByMode: map[string]int{"transactionid:ShareLock": 2}, Waits: waits, Blockers: blockers}
		sm.Activity.Active = 6
		sm.Activity.ByWait = map[string]int{"Lock:transactionid": 2, "CPU": 4}
		for k := range sm.Statements {
			st := &sm.Statements[k]
			if st.QueryID == completeID {
				// The completes that got through waited for the claim.
				st.TotalExecMs = float64(st.Calls) * held * 400
			}
		}
		setClaimMean(sm, 2000)
	})
}
