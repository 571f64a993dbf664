// Package synthrun builds the synthetic runs the report and compare tests
// share: a recorded run (run.json, workload and samples) and the report the
// pipeline would build for it, from a seed, so golden files and the
// testdata run directories are reproducible. It is test support: no
// non-test code imports it.
package synthrun

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// Start is when every synthetic run starts: fixed, so golden files
// do not change from one day to the next.
var Start = time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)

// Runs are the synthetic runs compare's testdata/runs directories are
// generated from (go test ./compare -update) and results' history tests
// use: one minute each, 5% per-second noise.
var Runs = map[string]Synth{
	// base and same are two runs of one scenario: same distribution.
	"base": {ID: "synthetic-base", Seed: 11, Seconds: 60, Rate: 800, Noise: 0.05, P99Ms: 9},
	"same": {ID: "synthetic-same", Seed: 12, Seconds: 60, Rate: 800, Noise: 0.05, P99Ms: 9},
	// regressed has a 40% lower mean throughput and slower claims.
	"regressed": {ID: "synthetic-regressed", Seed: 13, Seconds: 60, Rate: 480, Noise: 0.05, P99Ms: 15, QueryMs: 1.6},
	// fault is base with an injected 30-second lock stall (-60%).
	"fault": {ID: "synthetic-fault", Seed: 14, Seconds: 60, Rate: 800, Noise: 0.05, P99Ms: 9,
		DropFrom: 20, DropTo: 50, DropPct: 60, WithFinding: true, WithR: true},
	// stall is base with a 10-second stall that the open-loop backlog
	// makes up for afterwards: the mean rate holds, latency does not.
	"stall": {ID: "synthetic-stall", Seed: 16, Seconds: 60, Rate: 800, Noise: 0.05, P99Ms: 9, DropFrom: 20, DropTo: 30},
	// otherbatch ran a different workload (batch size 50).
	"otherbatch": {ID: "synthetic-otherbatch", Seed: 15, Seconds: 60, Rate: 800, Noise: 0.05, P99Ms: 9,
		Workload: map[string]any{"adapter": "skiplocked", "batch_size": 50.0, "consumers": 8.0, "producers": 2.0, "completion": "delete"}},
}

// Synth describes a synthetic run: Seconds of workload around Rate jobs/s
// with Noise (relative standard deviation), optionally a lock-contention
// drop of DropPct over [DropFrom, DropTo) seconds.
type Synth struct {
	ID                 string
	Seed               uint64
	Seconds            int
	Rate, Noise        float64
	DropFrom, DropTo   int
	DropPct            float64
	P99Ms              float64
	ServerVersion      string
	Workload           map[string]any
	QueryMs            float64 // mean ms of the claim statement
	WithFinding, WithR bool
}

// Build makes the recorded run and the report the pipeline would build for
// it.
func (s Synth) Build() (*runrec.Report, *runrec.Run) {
	s = s.withDefaults()
	rng := rand.New(rand.NewPCG(s.Seed, 7))
	run := &runrec.Run{Meta: s.meta()}
	var series []runrec.SeriesPoint
	var sum float64
	dead := int64(0)
	for i := range s.Seconds {
		tick, point, smp := s.second(rng, i, &dead)
		run.Workload = append(run.Workload, tick)
		series = append(series, point)
		run.Samples = append(run.Samples, smp)
		sum += float64(tick.Completed)
	}
	p := runrec.Percentiles{P50: s.P99Ms / 5, P95: s.P99Ms / 2, P99: s.P99Ms * 1.4, Max: s.P99Ms * 9, Count: int64(sum)}
	if s.DropTo > s.DropFrom {
		// Jobs of the slow window are more than 1% of the run: they set
		// the overall p99.
		p.P99, p.Max = s.P99Ms*6, s.P99Ms*9
	}
	run.Meta.LatencyMs = &p
	run.Meta.Integrity = &runrec.Integrity{Enqueued: int64(sum) + 25, Completed: int64(sum), Pending: 25}

	rep := s.report(run, series, sum, p)
	if s.WithFinding {
		rep.Findings = s.findings()
		rep.Phases = s.phases()
	}
	if s.WithR {
		rep.Recommendations = recommendations()
	}
	return rep, run
}

// withDefaults fills what s leaves out: Postgres 15.8, the skiplocked
// baseline's workload, a 0.8 ms claim.
func (s Synth) withDefaults() Synth {
	if s.ServerVersion == "" {
		s.ServerVersion = "15.8"
	}
	if s.Workload == nil {
		s.Workload = map[string]any{"adapter": "skiplocked", "batch_size": 10.0, "consumers": 8.0, "producers": 2.0, "completion": "delete"}
	}
	if s.QueryMs == 0 {
		s.QueryMs = 0.8
	}
	return s
}

// meta is the recorded run.json.
func (s Synth) meta() runrec.Meta {
	start := Start
	return runrec.Meta{
		ID: s.ID, Mode: "run", Scenario: "baseline", StartedAt: start,
		EndedAt: start.Add(time.Duration(s.Seconds) * time.Second), ServerVersion: s.ServerVersion,
		ServerVersionNum: 150008, Settings: map[string]string{"max_wal_size": "1GB", "autovacuum_naptime": "60s", "shared_buffers": "128MB"},
		Target: "127.0.0.1:5432/pgqtune", Schema: "pgqtune", QueueTables: []string{"pgqtune.job"},
		Workload: s.Workload, SamplerIntervalS: 1,
		ScenarioYAML: "name: baseline\nduration: 2m\nadapter: skiplocked\n",
	}
}

// second is second i of the run: its workload tick, its point of the
// report's series and its sample. dead carries the queue table's dead
// tuples from second to second (autovacuum clears most every 45 s).
func (s Synth) second(rng *rand.Rand, i int, dead *int64) (runrec.WorkloadTick, runrec.SeriesPoint, runrec.Sample) {
	const claim = int64(-4242)
	start := Start
	t := start.Add(time.Duration(i) * time.Second)
	rate := s.Rate
	inDrop := i >= s.DropFrom && i < s.DropTo
	if inDrop {
		rate *= 1 - s.DropPct/100
	}
	done := int64(math.Max(0, math.Round(rate*(1+s.Noise*rng.NormFloat64()))))
	enq := int64(math.Round(s.Rate * (1 + s.Noise/2*rng.NormFloat64())))
	depth := int64(20 + rng.IntN(10))
	p99 := s.P99Ms * (1 + 0.1*rng.NormFloat64())
	if inDrop {
		depth += int64(i-s.DropFrom) * int64(s.Rate*s.DropPct/100)
		p99 *= 6
	}
	lat := &runrec.Percentiles{P50: p99 / 5, P95: p99 / 2, P99: p99, Max: p99 * 1.5, Count: done}
	tick := runrec.WorkloadTick{T: t, Enqueued: enq, Dequeued: done, Completed: done,
		Depth: depth, OldestPendingAgeS: float64(depth) / s.Rate, LatencyMs: lat}
	d, p := depth, p99
	point := runrec.SeriesPoint{T: t, Enqueued: enq, Completed: done, Depth: &d, P99Ms: &p}

	waiting := 0
	if inDrop {
		waiting = 6 + rng.IntN(3)
	}
	*dead += done
	autovac := int64(0)
	if i%45 == 44 {
		*dead, autovac = *dead/20, 1
	}
	ckpt := &runrec.CheckpointStats{}
	if i == s.DropFrom+10 {
		ckpt.Requested = 1
	}
	text := ""
	if i == 0 {
		text = "WITH next AS (SELECT id FROM pgqtune.job WHERE queue = $1 AND state = $2 ORDER BY priority, run_at LIMIT $3 FOR UPDATE SKIP LOCKED) UPDATE pgqtune.job j SET state = $4 FROM next WHERE j.id = next.id RETURNING j.id"
	}
	calls := done/10 + 1
	qms := s.QueryMs * (1 + 0.05*rng.NormFloat64())
	if inDrop {
		qms *= 8
	}
	smp := runrec.Sample{T: t, IntervalS: 1,
		Database:     &runrec.DatabaseStats{XactCommit: done * 2, NumBackends: 12},
		Activity:     &runrec.Activity{Total: 12, Active: 8 + waiting, ByWait: map[string]int{"CPU": 4, "Lock:relation": waiting}},
		Locks:        &runrec.Locks{Waiting: waiting},
		WAL:          &runrec.WALStats{LSNBytes: done * 900, HasStatWAL: true, Bytes: done * 1000, Records: done * 4},
		Checkpointer: ckpt,
		Tables: []runrec.TableStats{{Relation: "pgqtune.job", Queue: true, LiveTup: depth, DeadTup: *dead, Autovacuum: autovac,
			Ins: enq, Upd: done, Del: done, IdxScan: calls}},
		Statements: []runrec.StatementDelta{
			{QueryID: claim, Text: text, Calls: calls, TotalExecMs: float64(calls) * qms, Rows: done},
			{QueryID: 99, Text: textIf(i == 0, "INSERT INTO pgqtune.job (queue, payload) SELECT $1, $2 FROM generate_series($3, $4)"), Calls: enq / 10, TotalExecMs: float64(enq/10) * 0.3, Rows: enq},
			{QueryID: 7, Text: textIf(i == 0, "/* pgqtune */ SELECT count(*) FROM pg_stat_activity"), Calls: 1, TotalExecMs: 0.2, Rows: 1},
		},
	}
	return tick, point, smp
}

// report is the report the pipeline would build for run, without findings
// or recommendations.
func (s Synth) report(run *runrec.Run, series []runrec.SeriesPoint, sum float64, p runrec.Percentiles) *runrec.Report {
	return &runrec.Report{
		SchemaVersion: runrec.SchemaVersion,
		Run: runrec.RunInfo{ID: s.ID, Mode: "run", Scenario: "baseline", StartedAt: Start, EndedAt: run.Meta.EndedAt,
			ServerVersion: s.ServerVersion, Settings: run.Meta.Settings, Workload: s.Workload,
			QueueTables: run.Meta.QueueTables, Target: run.Meta.Target},
		Throughput: runrec.Throughput{Unit: "jobs/s", Baseline: s.Rate, Series: series, LatencyMs: p,
			Mean: math.Round(sum/float64(s.Seconds)*10) / 10,
			Operations: map[string]runrec.Percentiles{
				"enqueue":  {P50: 0.4, P95: 0.9, P99: 1.6, Max: 12, Count: int64(sum)},
				"dequeue":  {P50: 0.7, P95: 2.1, P99: 5.5, Max: 80, Count: int64(sum)},
				"complete": {P50: 0.3, P95: 0.8, P99: 1.2, Max: 9, Count: int64(sum)},
			}},
		Integrity: run.Meta.Integrity,
		Notes:     []string{"pg_stat_statements texts are normalized: parameters appear as $n"},
	}
}

// findings is the lock-contention finding the analysis writes for the drop.
func (s Synth) findings() []runrec.Finding {
	base := 0.0
	return []runrec.Finding{{
		ID: "F1", Cause: runrec.CauseLock, Kind: runrec.FindingDrop,
		Start: Start.Add(time.Duration(s.DropFrom) * time.Second), End: Start.Add(time.Duration(s.DropTo) * time.Second),
		ThroughputDropPct: s.DropPct, Confidence: 0.9,
		Summary: "An ACCESS EXCLUSIVE lock on pgqtune.job held by pid 4242 (LOCK TABLE pgqtune.job) stalled every consumer for 30 s.",
		Evidence: []runrec.Evidence{
			{Signal: "pg_locks.waiting", Value: 7, Baseline: &base, Detail: "AccessExclusiveLock on pgqtune.job held by pid 4242: LOCK TABLE pgqtune.job IN ACCESS EXCLUSIVE MODE"},
			{Signal: "pg_stat_activity.wait_event", Value: 7, Detail: "Lock:relation | 7 workload sessions"},
		},
		Objects: []string{"pgqtune.job"}, PIDs: []int{4242},
		Alternatives: []runrec.CauseScore{{Cause: runrec.CauseRowLock, Score: 0.2}},
		Contributing: []runrec.Contributor{{Cause: runrec.CauseXmin, Score: 0.35,
			Summary: "also: pid 5151 (idle in transaction, psql) held the xmin horizon for 20 s: 5,295 dead tuples on pgqtune.job, not yet enough to slow the claim."}},
	}}
}

// phases are the scenario's phases around the drop.
func (s Synth) phases() []runrec.PhaseResult {
	return []runrec.PhaseResult{
		{Name: "steady", Start: Start, End: Start.Add(time.Duration(s.DropFrom) * time.Second), JobsPerS: s.Rate},
		{Name: "lock", Pressure: "lock_table", Start: Start.Add(time.Duration(s.DropFrom) * time.Second),
			End: Start.Add(time.Duration(s.DropTo) * time.Second), JobsPerS: s.Rate * (1 - s.DropPct/100), DropPct: s.DropPct,
			RecoveryS: ptr(4.0), P99Ms: s.P99Ms * 6},
	}
}

// recommendations are what the rules write for the finding.
func recommendations() []runrec.Recommendation {
	sig := true
	// What the rules write for this finding: the application rule's
	// lock_timeout advice for maintenance sessions (advice, not SQL for
	// validate to run, so no validation), and a per-table autovacuum
	// change validated by a re-run (hypopg validates indexes only).
	return []runrec.Recommendation{{
		ID: "R1", Kind: runrec.RecApplication, Target: "pgqtune.job",
		SQL: "-- in migration / maintenance sessions touching pgqtune.job:\n" +
			"SET lock_timeout = '2s';  -- give up instead of queueing the workers behind you; retry later\n" +
			"-- and keep the transaction short: no user think-time or other work between the DDL and COMMIT",
		Rationale:      "Maintenance that takes an ACCESS EXCLUSIVE lock on a queue table stops every consumer; bound how long it may wait and hold.",
		FindingIDs:     []string{"F1"},
		ExpectedImpact: "drops shorter than lock_timeout (2 s) instead of 30 s",
		Risk:           "the maintenance statement fails and must be retried",
		Rollback:       "RESET lock_timeout;",
	}, {
		ID: "R2", Kind: runrec.RecAutovacuum, Target: "pgqtune.job",
		SQL:            "SET lock_timeout = '2s';  -- on a lock timeout error, retry later\nALTER TABLE pgqtune.job SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);",
		Rationale:      "Dead tuples reach tens of thousands between autovacuum runs; vacuum the queue table after a fixed number of changes.",
		FindingIDs:     []string{},
		ExpectedImpact: "dead tuples stay under ~5000",
		Risk:           "more frequent vacuum I/O",
		Rollback:       "SET lock_timeout = '2s';\nALTER TABLE pgqtune.job RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);",
		Validation:     &runrec.Validation{Method: "rerun", Before: 21000, After: 4800, Unit: "dead_tuples/min", Significant: &sig},
	}}
}

func textIf(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

func ptr[T any](v T) *T { return &v }

// Golden is the golden run: two minutes at 800 jobs/s with a 30-second
// lock-contention drop, one finding and two recommendations.
func Golden() (*runrec.Report, *runrec.Run) {
	return Synth{ID: "20260314-092600-golden", Seed: 1, Seconds: 120, Rate: 800, Noise: 0.03,
		DropFrom: 50, DropTo: 80, DropPct: 60, P99Ms: 9, WithFinding: true, WithR: true}.Build()
}

// WriteRunDir writes run.json, workload.jsonl and samples.jsonl of run into
// dir (as the pipeline would), and sets run.Dir.
func WriteRunDir(t testing.TB, dir string, run *runrec.Run) {
	t.Helper()
	run.Dir = dir
	if err := runrec.WriteJSON(filepath.Join(dir, runrec.MetaFile), run.Meta); err != nil {
		t.Fatal(err)
	}
	for name, lines := range map[string][]any{runrec.WorkloadFile: anySlice(run.Workload), runrec.SamplesFile: anySlice(run.Samples)} {
		a, err := runrec.NewAppender(filepath.Join(dir, name), false)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if err := a.Append(l); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i := range s {
		out[i] = s[i]
	}
	return out
}

// Seconds is a run of n whole seconds at 200 jobs/s, with sampler ticks
// 1.001 s after each second starts (the sampler's own clock), and a last
// partial second of 20 jobs in 0.09 s.
func Seconds(n int) *runrec.Run {
	t0 := time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)
	run := &runrec.Run{Meta: runrec.Meta{ID: "r", StartedAt: t0}}
	for i := range n {
		t := t0.Add(time.Duration(i) * time.Second)
		run.Workload = append(run.Workload, runrec.WorkloadTick{T: t, Enqueued: 200, Completed: 200, Depth: 5})
		run.Samples = append(run.Samples, runrec.Sample{T: t.Add(1001 * time.Millisecond), IntervalS: 1})
	}
	run.Workload = append(run.Workload, runrec.WorkloadTick{T: t0.Add(time.Duration(n) * time.Second), Enqueued: 20, Completed: 20, Depth: 0, CoveredS: 0.09})
	return run
}
