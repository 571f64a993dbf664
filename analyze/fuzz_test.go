package analyze_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/runrec"
)

// fuzzT0 anchors the fuzzed runs.
var fuzzT0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// specialsF and specialsI are the values hostile stream bytes pick from.
var (
	specialsF = []float64{0, -1, math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64, 1e-300, 5e9}
	specialsI = []int64{0, -1, math.MaxInt64, math.MinInt64, 1 << 53, 7}
)

// baseRun is a plausible steady run of n seconds: workload ticks and
// samples with database, activity, queue table, statement and WAL data.
func baseRun(n int) *runrec.Run {
	run := &runrec.Run{Meta: runrec.Meta{ID: "fuzz", Mode: "run", Scenario: "fuzz", StartedAt: fuzzT0,
		EndedAt: fuzzT0.Add(time.Duration(n) * time.Second), SamplerIntervalS: 1,
		QueueTables: []string{"pgqtune.job"}}}
	for i := 0; i < n; i++ {
		t := fuzzT0.Add(time.Duration(i) * time.Second)
		run.Workload = append(run.Workload, runrec.WorkloadTick{T: t, Enqueued: 100, Dequeued: 100, Completed: 100 - int64(i%3),
			Depth: 5, OldestPendingAgeS: 0.05, TargetRate: 100,
			LatencyMs: &runrec.Percentiles{P50: 2, P95: 5, P99: 9, Max: 12, Count: 100}})
		run.Samples = append(run.Samples, runrec.Sample{T: t, IntervalS: 1,
			Database: &runrec.DatabaseStats{XactCommit: 300, BlksHit: 5000, BlksRead: 3, TupInserted: 100, TupDeleted: 100, NumBackends: 8},
			Activity: &runrec.Activity{Total: 8, Active: 3, MaxConnections: 100, ByWait: map[string]int{"Lock:transactionid": i % 2}},
			Tables:   []runrec.TableStats{{Relation: "pgqtune.job", Queue: true, LiveTup: 5, DeadTup: int64(i * 10), HeapBytes: 8192 * int64(i+1)}},
			Statements: []runrec.StatementDelta{{QueryID: 42, Text: "/* pgqtune claim */ UPDATE pgqtune.job SET ... FOR UPDATE SKIP LOCKED",
				Calls: 100, TotalExecMs: 30, Rows: 100, SharedBlksHit: 400}},
			Queues: []runrec.QueueHealth{{Table: "pgqtune.job", Depth: 5, OldestPendingAgeS: 0.05, InFlight: 2}},
		})
	}
	return run
}

// mutate applies the operations encoded in ops (4 bytes each) to run:
// hostile numbers, gaps, duplicates, counters going backwards and
// timestamps out of order.
func mutate(run *runrec.Run, ops []byte) {
	for len(ops) >= 4 {
		op, a, b, c := ops[0], int(ops[1]), int(ops[2]), ops[3]
		ops = ops[4:]
		nw, ns := len(run.Workload), len(run.Samples)
		f := specialsF[int(c)%len(specialsF)]
		v := specialsI[int(c)%len(specialsI)]
		switch op % 14 {
		case 0:
			if nw > 0 {
				run.Workload[a%nw].Completed = v
			}
		case 1:
			if nw > 0 {
				tk := &run.Workload[a%nw]
				if c%5 == 0 {
					tk.LatencyMs = nil
				} else {
					tk.LatencyMs = &runrec.Percentiles{P50: f, P95: f, P99: f, Max: f, Count: v}
				}
			}
		case 2:
			if ns > 0 {
				s := &run.Samples[a%ns]
				s.T = s.T.Add(time.Duration(int8(c)) * time.Second)
			}
		case 3:
			if nw > 0 {
				i := a % nw
				j := min(nw, i+b%30+1)
				run.Workload = append(run.Workload[:i], run.Workload[j:]...)
			}
		case 4:
			if ns > 0 {
				i := a % ns
				j := min(ns, i+b%30+1)
				run.Samples = append(run.Samples[:i], run.Samples[j:]...)
			}
		case 5:
			if nw > 0 {
				i := a % nw
				run.Workload = append(run.Workload[:i+1], run.Workload[i:]...)
			}
		case 6:
			if ns > 0 && run.Samples[a%ns].Database != nil {
				d := run.Samples[a%ns].Database
				d.XactCommit, d.BlksRead, d.TupDeleted, d.TempBytes, d.BlkReadTimeMs = v, v, v, v, f
			}
		case 7:
			if ns > 0 {
				run.Samples[a%ns].IntervalS = f
			}
		case 8:
			run.Meta.SamplerIntervalS = f
		case 9:
			if nw > 1 {
				i, j := a%nw, b%nw
				run.Workload[i], run.Workload[j] = run.Workload[j], run.Workload[i]
			}
		case 10:
			if ns > 0 && run.Samples[a%ns].Activity != nil {
				act := run.Samples[a%ns].Activity
				act.Total, act.MaxConnections, act.Active = int(v), b-1, int(c)-100
			}
		case 11:
			if nw > 0 {
				// Up to a day either way. A tick years away (the zero time)
				// makes the timeline allocate a slot per second of the span;
				// pipeline.Analyze refuses such runs before they get here.
				tk := &run.Workload[a%nw]
				tk.T = tk.T.Add(time.Duration(int8(c)) * 11 * time.Minute)
			}
		case 12:
			if ns > 0 && len(run.Samples[a%ns].Statements) > 0 {
				st := &run.Samples[a%ns].Statements[0]
				st.Calls, st.TotalExecMs, st.Rows = v, f, v
			}
		case 13:
			if ns > 0 && len(run.Samples[a%ns].Tables) > 0 {
				tb := &run.Samples[a%ns].Tables[0]
				tb.DeadTup, tb.LiveTup, tb.HeapBytes = v, int64(b)-100, v
			}
		}
	}
}

// FuzzAnalyze runs the analysis on hostile sample streams: it never
// panics, and what it returns is a usable result (findings that encode as
// JSON, confidences in [0, 1]) or an error.
//
// Fuzz it with -fuzzminimizetime 2s: minimizing each new input at the
// default (a minute) takes up most of a short run:
//
//	go test ./analyze -run '^$' -fuzz '^FuzzAnalyze$' -fuzztime 60s -fuzzminimizetime 2s
func FuzzAnalyze(f *testing.F) {
	f.Add(uint16(60), []byte{})
	f.Add(uint16(60), []byte{0, 30, 0, 0, 0, 31, 0, 0, 0, 32, 0, 0, 0, 33, 0, 0, 0, 34, 0, 0})      // a drop to zero
	f.Add(uint16(60), []byte{0, 30, 0, 2, 1, 31, 0, 2, 6, 12, 0, 3, 7, 13, 0, 2, 8, 0, 0, 2})       // MaxInt64, NaN
	f.Add(uint16(90), []byte{3, 20, 15, 0, 4, 40, 20, 0, 2, 50, 0, 200, 9, 5, 70, 0, 11, 10, 0, 0}) // gaps, disorder
	f.Add(uint16(30), []byte{6, 10, 0, 1, 6, 11, 0, 0, 12, 12, 0, 3, 13, 14, 0, 1, 10, 15, 0, 3})   // counters backwards
	f.Add(uint16(2), []byte{5, 0, 0, 0, 5, 0, 0, 0, 8, 0, 0, 0})
	f.Add(uint16(1), []byte{3, 0, 0, 0})
	f.Add(uint16(400), []byte{1, 100, 0, 4, 1, 101, 0, 5, 1, 102, 0, 3, 10, 120, 0, 2})
	f.Fuzz(func(t *testing.T, n uint16, ops []byte) {
		run := baseRun(int(n % 600))
		mutate(run, ops)
		res, err := analyze.Analyze(run, analyze.DefaultOptions())
		if err != nil {
			return
		}
		if res == nil {
			t.Fatal("nil result without an error")
		}
		for _, fd := range res.Findings {
			if !(fd.Confidence >= 0 && fd.Confidence <= 1) {
				t.Fatalf("finding %s has confidence %v", fd.ID, fd.Confidence)
			}
		}
		if _, err := json.Marshal(res.Findings); err != nil {
			t.Fatalf("findings do not encode: %v", err)
		}
		if _, err := json.Marshal(res.Phases); err != nil {
			t.Fatalf("phases do not encode: %v", err)
		}
	})
}
