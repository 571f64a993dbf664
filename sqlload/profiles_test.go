package sqlload_test

import (
	"context"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/internal/adaptertest"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sqlload"
)

// loadYAML loads a scenario body from a temp file or fails the test.
func loadYAML(t *testing.T, body string) *sqlload.Scenario {
	t.Helper()
	return adaptertest.LoadYAML(t, body)
}

func TestRunBuiltinProfiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, name := range []string{"peak", "ramp", "burst", "max", "soak"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc := load(t, name, sqlload.Overrides{Duration: 3 * time.Second})
			if name == "peak" {
				sc.FailureRate = 0.2 // enough failed attempts to see retries
			}
			b := drive(t, ctx, sc, nil)
			if name == "peak" {
				var failed, retried int64
				for _, tk := range b.ticks {
					failed += tk.Failed
					retried += tk.Retried
				}
				if failed == 0 || retried == 0 {
					t.Fatalf("failure_rate 0.2 gave failed=%d retried=%d", failed, retried)
				}
			}
			if b.res.Completed == 0 {
				t.Fatalf("%s completed nothing after warm-up", name)
			}
			measured := 0
			for _, p := range b.res.Phases {
				if !p.Warmup {
					measured++
					if p.JobsPerS <= 0 {
						t.Fatalf("phase %s: %v jobs/s", p.Name, p.JobsPerS)
					}
				}
			}
			if measured == 0 {
				t.Fatalf("no measured phase in %+v", b.res.Phases)
			}
			if b.res.Workload["adapter"] != "skiplocked" || b.res.Workload["server_version"] == nil {
				t.Fatalf("comparability record incomplete: %v", b.res.Workload)
			}
		})
	}
}

func TestRunSpike(t *testing.T) {
	t.Parallel()
	sc := loadYAML(t, `name: spiky
rate: 50
phases:
  - {name: spiky, profile: spike, spike_x: 8, every: 2s, spike_duration: 500ms, duration: 4s}
`)
	b := drive(t, context.Background(), sc, nil)
	// 50 jobs/s for 1.5 s and 400 jobs/s for 0.5 s, twice: ~550 jobs.
	if in := b.res.Integrity.Enqueued; in < 400 || in > 700 {
		t.Fatalf("spike enqueued %d jobs, want ~550", in)
	}
	var peak float64
	for _, tk := range b.ticks {
		peak = max(peak, tk.TargetRate)
	}
	if peak != 400 {
		t.Fatalf("peak target rate %g, want 400", peak)
	}
}

func TestRunBurndown(t *testing.T) {
	t.Parallel()
	sc := loadYAML(t, `name: small-burndown
insert_method: copy
dequeue_batch: 50
work_time: 0s
phases:
  - {name: burndown, profile: burndown, jobs: 3000, duration: 60s}
`)
	b := drive(t, context.Background(), sc, nil)
	in := b.res.Integrity
	if in.Enqueued != 3000 || in.Completed != 3000 || in.Pending != 0 {
		t.Fatalf("burndown integrity %+v, want 3000 enqueued and completed", in)
	}
	ph := b.res.Phases[0]
	if ph.End.Sub(ph.Start) >= 60*time.Second {
		t.Fatalf("burndown ran to its cap instead of ending when the backlog was gone: %+v", ph)
	}
	if b.res.Workload["insert_method"] != "copy" {
		t.Fatalf("insert method not recorded: %v", b.res.Workload["insert_method"])
	}
}

// TestRunBurndownEveryAdapter: the backlog goes in before any consumer runs,
// whether the driver claims (skiplocked, pgmq) or the library's own workers
// do (River), and all of it is worked off.
func TestRunBurndownEveryAdapter(t *testing.T) {
	t.Parallel()
	for _, name := range sqlload.Adapters() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc := loadYAML(t, `name: burndown-`+name+`
adapter: `+name+`
enqueue_batch: 500
dequeue_batch: 50
work_time: 0s
phases:
  - {name: burndown, profile: burndown, jobs: 2000, duration: 60s}
`)
			b := drive(t, context.Background(), sc, nil)
			in := b.res.Integrity
			if in.Enqueued != 2000 || in.Completed != 2000 {
				t.Fatalf("%s burndown: %+v", name, in)
			}
			// Nothing completes while the backlog is being inserted.
			var enq int64
			for _, tk := range b.ticks {
				if enq < 2000 && tk.Completed > 0 && enq+tk.Enqueued < 2000 {
					t.Fatalf("jobs completed before the insert finished: %+v", b.ticks)
				}
				enq += tk.Enqueued
			}
		})
	}
}

func TestRunSteps(t *testing.T) {
	t.Parallel()
	// One consumer taking one job at a time with 10 ms of work: ~90 jobs/s
	// at most, so the staircase must stop around there.
	sc := loadYAML(t, `name: small-steps
rate: 20
consumers: 1
dequeue_batch: 1
enqueue_batch: 1
work_time: 10ms
poll_interval: 5ms
slo_p99: 2s
phases:
  - name: steps
    profile: steps
    step: 40
    step_duration: 1s
    duration: 30s
`)
	b := drive(t, context.Background(), sc, nil)
	if b.res.Knee == nil || b.res.MaxSustainable == nil {
		t.Fatalf("no knee/max sustainable: knee=%v max=%v notes=%v", b.res.Knee, b.res.MaxSustainable, b.res.Notes)
	}
	t.Logf("max sustainable %.1f jobs/s, knee %+v", *b.res.MaxSustainable, *b.res.Knee)
	if b.res.Knee.Rate > 300 || b.res.Knee.Reason == "" {
		t.Fatalf("knee %+v: a single 10 ms consumer cannot sustain that", *b.res.Knee)
	}
	if *b.res.MaxSustainable <= 0 || *b.res.MaxSustainable >= b.res.Knee.Rate {
		t.Fatalf("max sustainable %.1f must be below the knee rate %.1f", *b.res.MaxSustainable, b.res.Knee.Rate)
	}
}

func TestRunStepsFactorRefine(t *testing.T) {
	t.Parallel()
	// Geometric steps (x2) overshoot a ~90 jobs/s consumer; the refinement
	// pass must then find a knee between the last good rate and the
	// overshoot.
	sc := loadYAML(t, `name: factor-steps
rate: 40
consumers: 1
dequeue_batch: 1
enqueue_batch: 1
work_time: 10ms
poll_interval: 5ms
slo_p99: 2s
phases:
  - name: steps
    profile: steps
    step_factor: 2
    refine: 3
    step_duration: 2s
    duration: 40s
`)
	b := drive(t, context.Background(), sc, nil)
	if b.res.Knee == nil || b.res.MaxSustainable == nil {
		t.Fatalf("no knee/max sustainable: knee=%v max=%v notes=%v", b.res.Knee, b.res.MaxSustainable, b.res.Notes)
	}
	t.Logf("max sustainable %.1f jobs/s, knee %+v", *b.res.MaxSustainable, *b.res.Knee)
	// The coarse steps are 40, 80, 160: a 10 ms consumer (< 100 jobs/s)
	// fails at 160 at the latest; the refinement climbs from the last good
	// coarse rate, so the knee lands below 160 and above what was sustained.
	if b.res.Knee.Rate >= 160 || *b.res.MaxSustainable >= b.res.Knee.Rate {
		t.Fatalf("knee %+v, max sustainable %.1f", *b.res.Knee, *b.res.MaxSustainable)
	}
}

func TestRunNotifyDelayedQueues(t *testing.T) {
	t.Parallel()
	sc := loadYAML(t, `name: knobs
rate: 150
queues: 2
priorities: 3
producers: 2
consumers: 3
wakeup: notify
poll_interval: 5s
delayed: {share: 0.2, by: 300ms}
failure_rate: 0.3
max_attempts: 2
retry_backoff: 20ms
payload_bytes: {min: 50, max: 2000}
work_time: {dist: uniform, min: 0s, max: 2ms}
drain: 5s
phases:
  - {name: steady, profile: constant, duration: 3s}
`)
	listening := make(chan bool, 1)
	b := drive(t, context.Background(), sc, func(ctx context.Context, dsn string) {
		pool := mustPool(t, dsn)
		defer pool.Close()
		for ctx.Err() == nil {
			var n int
			_ = pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'`, sqlload.DefaultAppName).Scan(&n)
			if n > 0 {
				listening <- true
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	select {
	case <-listening:
	default:
		t.Fatal("no LISTEN session seen during a wakeup: notify run")
	}
	in := b.res.Integrity
	if in.Failed == 0 {
		t.Fatalf("failure_rate 0.3 with max_attempts 2 failed nothing for good: %+v", in)
	}
	if in.Pending != 0 {
		t.Fatalf("drain left %d jobs pending", in.Pending)
	}
}

func TestRunResilience(t *testing.T) {
	t.Parallel()
	sc := load(t, "resilience", sqlload.Overrides{Duration: 8 * time.Second})
	b := drive(t, context.Background(), sc, nil)
	seen := map[string]bool{}
	for _, p := range b.res.Phases {
		if p.Pressure != "" {
			seen[p.Pressure] = true
		}
	}
	for _, k := range sqlload.PressureKinds {
		if !seen[k] {
			t.Fatalf("pressure %s not recorded in phases %+v", k, b.res.Phases)
		}
	}
	for _, n := range b.res.Notes {
		if len(n) > 8 && n[:6] == "phase " {
			t.Fatalf("a pressure failed: %s", n)
		}
	}
	// The phases as the report measures them (analyze is the one place
	// phase figures come from).
	res, err := analyze.Analyze(&runrec.Run{Meta: runrec.Meta{Mode: "run", Phases: b.res.Phases}, Workload: b.ticks}, analyze.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Phases) != len(b.res.Phases) {
		t.Fatalf("%d phase results for %d phases", len(res.Phases), len(b.res.Phases))
	}
}
