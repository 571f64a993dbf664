package analyze_test

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/runrec"
)

// dayRun builds a 24-hour run at 1 s: 86,400 ticks and samples with 50
// statements each and an hour-apart lock stall. Statement slices are drawn
// from a pool of 600 distinct ticks so the input fits in memory next to the
// analysis; every sample still carries 50 entries to walk.
func dayRun() *runrec.Run {
	const secs = 86400
	pool := newSynth(600, 50)
	r := &runrec.Run{Meta: pool.run.Meta}
	r.Meta.EndedAt = synthT0.Add(secs * time.Second)
	r.Meta.Phases = []runrec.PhaseSpan{
		{Name: "warmup", Start: synthT0, End: synthT0.Add(5 * time.Second), Warmup: true, TargetRate: synthBaseRate},
		{Name: "steady", Start: synthT0.Add(5 * time.Second), End: r.Meta.EndedAt, TargetRate: synthBaseRate},
	}
	r.Workload = make([]runrec.WorkloadTick, secs)
	r.Samples = make([]runrec.Sample, secs)
	for i := 0; i < secs; i++ {
		k := i % 600
		tk := pool.run.Workload[k]
		tk.T = synthT0.Add(time.Duration(i) * time.Second)
		tk.Warmup = i < 5
		lat := *tk.LatencyMs
		tk.LatencyMs = &lat
		r.Workload[i] = tk
		sm := pool.run.Samples[k]
		sm.T = tk.T.Add(time.Second)
		if i >= 600 {
			stm := sm.Statements
			if stm[0].Text != "" {
				stm = append([]runrec.StatementDelta(nil), stm...)
				for j := range stm {
					stm[j].Text = ""
				}
			}
			sm.Statements = stm
		}
		r.Samples[i] = sm
	}
	// One 12-second lock stall an hour.
	for h := 1; h < 24; h++ {
		from := h * 3600
		for i := from; i < from+12; i++ {
			tk := &r.Workload[i]
			tk.Completed, tk.Dequeued = 0, 0
			tk.Depth = int64(200 * (i - from + 1))
			tk.OldestPendingAgeS = float64(i - from + 1)
			tk.LatencyMs.P99 = 1000 * float64(i-from+1)
			held := float64(i - from + 1)
			r.Samples[i].Locks = &runrec.Locks{Waiting: 4, ByMode: map[string]int{"relation:RowExclusiveLock": 4},
				Waits: []runrec.LockWait{{PID: 3000, LockType: "relation", Mode: "RowExclusiveLock", Relation: synthQueue, WaitingS: held, BlockedBy: []int{4242}, Workload: true}},
				Blockers: []runrec.LockBlocker{{PID: 4242, ModeHeld: "AccessExclusiveLock", Relation: synthQueue, State: "idle in transaction",
					Query: "LOCK TABLE pgqtune.job IN ACCESS EXCLUSIVE MODE", HeldS: held, Blocked: 4}}}
		}
	}
	return r
}

// heapObjects reads the live heap object bytes.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkAnalyzeDay analyzes a 24-hour run; it reports the peak live
// heap during the analysis beyond the input run (analysis-peak-MB) and the
// total with the input (total-peak-MB), polled every 2 ms.
func BenchmarkAnalyzeDay(b *testing.B) {
	r := dayRun()
	runtime.GC()
	before := heapObjects()
	b.ReportAllocs()
	b.ResetTimer()
	var peak uint64
	for n := 0; n < b.N; n++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(2 * time.Millisecond)
			defer t.Stop()
			for {
				if h := heapObjects(); h > peak {
					peak = h
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		res, err := analyze.Analyze(r, analyze.DefaultOptions())
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Findings) < 23 {
			b.Fatalf("want the 23 hourly stalls, got %d findings", len(res.Findings))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(peak-min(peak, before))/(1<<20), "analysis-peak-MB")
	b.ReportMetric(float64(peak)/(1<<20), "total-peak-MB")
	b.ReportMetric(float64(before)/(1<<20), "input-MB")
}
