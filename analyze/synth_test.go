package analyze_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// synthT0 is the start of every synthetic run, so golden files are stable.
var synthT0 = time.Date(2026, 1, 2, 14, 0, 0, 0, time.UTC)

const (
	synthQueue    = "pgqtune.job"
	claimID       = int64(1001)
	claimText     = "WITH c AS (SELECT id FROM pgqtune.job WHERE queue = $1 AND state = $2 AND run_at <= now() ORDER BY priority, run_at LIMIT $3 FOR UPDATE SKIP LOCKED) UPDATE pgqtune.job j SET state = $4, started_at = now() FROM c WHERE j.id = c.id RETURNING j.id, j.payload"
	enqueueID     = int64(1002)
	completeID    = int64(1003)
	synthBaseRate = 200.0
)

// synth builds a steady open-loop run: rate jobs/s for secs seconds, 5 s
// of warm-up, one sample per second with every collector filled, and a
// handful of other statements (nStmts in all). Faults are injected by
// editing the ticks and samples afterwards.
type synth struct {
	run  *runrec.Run
	rng  *rand.Rand
	rate float64
	// keepCalls leaves statement calls alone in a stall (the database
	// sees the same work; the jobs just do not finish).
	keepCalls bool
}

func newSynth(secs int, nStmts int) *synth {
	rng := rand.New(rand.NewPCG(7, 11))
	s := &synth{rng: rng, rate: synthBaseRate}
	r := &runrec.Run{Meta: runrec.Meta{
		ID: "synthetic", Mode: "run", Scenario: "baseline",
		StartedAt: synthT0, EndedAt: synthT0.Add(time.Duration(secs) * time.Second),
		ServerVersion: "15.10", ServerVersionNum: 150010,
		Settings:         map[string]string{"autovacuum_naptime": "1s", "autovacuum_vacuum_threshold": "50", "autovacuum_vacuum_scale_factor": "0.2"},
		Schema:           "pgqtune",
		QueueTables:      []string{synthQueue},
		SamplerIntervalS: 1,
		Phases: []runrec.PhaseSpan{
			{Name: "warmup", Start: synthT0, End: synthT0.Add(5 * time.Second), Warmup: true, TargetRate: s.rate},
			{Name: "steady", Start: synthT0.Add(5 * time.Second), End: synthT0.Add(time.Duration(secs) * time.Second), TargetRate: s.rate},
		},
	}}
	dead := 0.0
	for i := 0; i < secs; i++ {
		t := synthT0.Add(time.Duration(i) * time.Second)
		n := int64(math.Round(s.rate + rng.NormFloat64()*6))
		c := int64(math.Round(s.rate + rng.NormFloat64()*6))
		p99 := 8 + rng.Float64()*3
		r.Workload = append(r.Workload, runrec.WorkloadTick{
			T: t, Phase: phaseName(i), Warmup: i < 5, Enqueued: n, Dequeued: c, Completed: c,
			Depth: int64(2 + rng.IntN(6)), OldestPendingAgeS: 0.02 + rng.Float64()*0.03, TargetRate: s.rate,
			LatencyMs: &runrec.Percentiles{P50: 2 + rng.Float64(), P90: 4, P95: 5, P99: p99, Max: p99 + 5, Count: c},
		})
		// Dead tuples climb by the completed jobs and autovacuum (naptime
		// 1s, trigger 50 + 0.2*live) clears them every few seconds.
		dead += float64(c)
		vac := int64(0)
		if dead > 600 {
			dead = 10
			vac = 1
		}
		r.Samples = append(r.Samples, s.sample(t.Add(time.Second), i, c, n, dead, vac, nStmts))
	}
	s.run = r
	return s
}

func phaseName(i int) string {
	if i < 5 {
		return "warmup"
	}
	return "steady"
}

// sample is one steady sampler tick.
func (s *synth) sample(t time.Time, i int, completed, enqueued int64, dead float64, vac int64, nStmts int) runrec.Sample {
	rng := s.rng
	claimMs := 0.3 + rng.Float64()*0.05
	claims := completed/10 + 1
	stm := []runrec.StatementDelta{
		{QueryID: claimID, Calls: claims, TotalExecMs: claimMs * float64(claims), Rows: completed, SharedBlksHit: claims * 6},
		{QueryID: enqueueID, Calls: enqueued, TotalExecMs: 0.1 * float64(enqueued), Rows: enqueued, SharedBlksHit: enqueued * 3, WALRecords: enqueued * 2, WALBytes: enqueued * 300},
		{QueryID: completeID, Calls: completed, TotalExecMs: 0.12 * float64(completed), Rows: completed, SharedBlksHit: completed * 4, WALRecords: completed * 2, WALBytes: completed * 250},
	}
	for k := 3; k < nStmts; k++ {
		stm = append(stm, runrec.StatementDelta{QueryID: int64(2000 + k), Calls: 1 + int64(rng.IntN(3)), TotalExecMs: 0.5, Rows: 1, SharedBlksHit: 10})
	}
	if i == 0 {
		stm[0].Text = claimText
		stm[1].Text = "INSERT INTO pgqtune.job (queue, payload) VALUES ($1, $2)"
		stm[2].Text = "UPDATE pgqtune.job SET state = $1, finished_at = now() WHERE id = $2"
		for k := 3; k < len(stm); k++ {
			stm[k].Text = fmt.Sprintf("SELECT * FROM app.table_%d WHERE id = $1", k)
		}
	}
	records := float64(enqueued+completed) * 4
	return runrec.Sample{
		T: t, IntervalS: 1,
		Database: &runrec.DatabaseStats{XactCommit: enqueued + completed + claims, BlksHit: 5000, BlksRead: int64(rng.IntN(5)),
			TupInserted: enqueued, TupUpdated: 2 * completed, NumBackends: 12},
		Statements: stm,
		Activity: &runrec.Activity{Total: 12, Active: 2 + rng.IntN(2), IdleInXact: 0,
			ByState: map[string]int{"active": 2, "idle": 10},
			ByWait:  map[string]int{"CPU": 2, "Client:ClientRead": 1}, MaxConnections: 100},
		Locks: &runrec.Locks{},
		WAL: &runrec.WALStats{LSNBytes: int64(records * 120), HasStatWAL: true, Records: int64(records), FPI: int64(records * 0.02),
			Bytes: int64(records * 120), Write: 20, Sync: 20, WriteTimeMs: 2, SyncTimeMs: 10},
		Checkpointer: &runrec.CheckpointStats{BuffersClean: 3},
		Tables: []runrec.TableStats{{
			Relation: synthQueue, Queue: true, LiveTup: 1000 + int64(i), DeadTup: int64(dead), HeapBytes: 8 << 20, IndexBytes: 2 << 20,
			IdxScan: claims + completed, IdxTupFetch: completed * 2, Ins: enqueued, Upd: 2 * completed, HotUpd: completed / 2, Autovacuum: vac,
			HeapBlksHit: 3000, IdxBlksHit: 1000,
		}},
		Indexes: []runrec.IndexStats{
			{Relation: synthQueue, Index: "pgqtune.job_claim_idx", Definition: "CREATE INDEX job_claim_idx ON pgqtune.job USING btree (queue, priority, run_at) WHERE (state = 'pending'::text)", SizeBytes: 1 << 20, IdxScan: claims},
			{Relation: synthQueue, Index: "pgqtune.job_pkey", Definition: "CREATE UNIQUE INDEX job_pkey ON pgqtune.job USING btree (id)", SizeBytes: 1 << 20, IdxScan: completed},
		},
		Host: &runrec.HostStats{CPUs: 2, CPUBusyPct: 40 + rng.Float64()*10, IOWaitPct: 1, Load1: 1.2, ProcsRunning: 2},
	}
}

// sec returns the workload tick and sample indices of second i.
func (s *synth) tick(i int) *runrec.WorkloadTick { return &s.run.Workload[i] }
func (s *synth) smp(i int) *runrec.Sample        { return &s.run.Samples[i] }

// each runs fn for every second in [from, to).
func (s *synth) each(from, to int, fn func(i int, tk *runrec.WorkloadTick, sm *runrec.Sample)) {
	for i := from; i < to && i < len(s.run.Workload); i++ {
		fn(i, s.tick(i), s.smp(i))
	}
}

// stall cuts completions to frac of normal in [from,to) and lets the
// backlog catch up afterwards; depth and latency follow.
func (s *synth) stall(from, to int, frac float64) {
	backlog := 0.0
	for i := from; i < len(s.run.Workload); i++ {
		tk, sm := s.tick(i), s.smp(i)
		if i < to {
			c := int64(float64(tk.Completed) * frac)
			backlog += float64(tk.Completed - c)
			tk.Completed, tk.Dequeued = c, c
			age := float64(i - from + 1)
			tk.Depth += int64(backlog)
			tk.OldestPendingAgeS = age
			tk.LatencyMs.P99 = age * 1000
			tk.LatencyMs.Max = age*1000 + 50
			if !s.keepCalls {
				scaleStatements(sm, frac)
			}
			continue
		}
		if backlog <= 0 {
			break
		}
		extra := math.Min(backlog, s.rate*0.5)
		backlog -= extra
		tk.Completed += int64(extra)
		tk.Depth += int64(backlog)
	}
}

// scaleStatements scales the workload's statement calls by frac.
func scaleStatements(sm *runrec.Sample, frac float64) {
	for k := range sm.Statements {
		st := &sm.Statements[k]
		if st.QueryID == claimID || st.QueryID == completeID {
			calls := int64(math.Max(1, float64(st.Calls)*frac))
			st.TotalExecMs *= float64(calls) / float64(st.Calls)
			st.SharedBlksHit = st.SharedBlksHit * calls / st.Calls
			st.Calls = calls
		}
	}
}
