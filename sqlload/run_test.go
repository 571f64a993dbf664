package sqlload_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/sqlload"
)

// runBundle is one driven scenario.
type runBundle struct {
	res      *sqlload.Result
	ticks    []runrec.WorkloadTick
	progress string
	dsn      string
}

// load reads a scenario and applies overrides, or fails the test.
func load(t *testing.T, name string, o sqlload.Overrides) *sqlload.Scenario {
	t.Helper()
	sc, err := sqlload.LoadScenario(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Apply(o); err != nil {
		t.Fatal(err)
	}
	return sc
}

// drive runs sc on a fresh database and checks what every run must hold:
// integrity exact, ticks well-formed.
func drive(t *testing.T, ctx context.Context, sc *sqlload.Scenario, during func(ctx context.Context, dsn string)) *runBundle {
	t.Helper()
	dsn := pgtest.NewDB(t)
	if err := sqlload.Setup(ctx, dsn, "pgqtune", sc); err != nil {
		t.Fatal(err)
	}
	b := &runBundle{dsn: dsn}
	var mu sync.Mutex
	var out strings.Builder
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if during != nil {
		go during(hctx, dsn)
	}
	res, err := sqlload.Run(ctx, &sqlload.RunParams{
		DSN: dsn, Schema: "pgqtune", Scenario: sc,
		OnTick:   func(tk runrec.WorkloadTick) { mu.Lock(); b.ticks = append(b.ticks, tk); mu.Unlock() },
		Progress: &out,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	b.res, b.progress = res, out.String()
	in := res.Integrity
	t.Logf("%s: integrity %+v, e2e p50 %.1f p99 %.1f ms, notes %v", sc.Name, in, res.LatencyMs.P50, res.LatencyMs.P99, res.Notes)
	if in.Lost != 0 || in.Duplicated != 0 {
		t.Fatalf("integrity broken: %+v", in)
	}
	if in.Enqueued == 0 || in.Enqueued != in.Completed+in.Pending+in.Failed {
		t.Fatalf("integrity does not add up: %+v", in)
	}
	for i := 1; i < len(b.ticks); i++ {
		if !b.ticks[i].T.After(b.ticks[i-1].T) {
			t.Fatalf("tick %d at %v is not after %v", i, b.ticks[i].T, b.ticks[i-1].T)
		}
	}
	var enq, comp int64
	for _, tk := range b.ticks {
		enq += tk.Enqueued
		comp += tk.Completed
	}
	// Ticks count completion events: a job redelivered after its claim
	// expired and finished again is one job in the books but two
	// completions in the ticks (a redelivered failure is none).
	if enq < in.Enqueued-in.Pending-in.Failed || comp < in.Completed || comp > in.Completed+in.Redelivered {
		t.Fatalf("ticks count %d enqueued, %d completed; integrity says %+v", enq, comp, in)
	}
	return b
}

func TestRunBaseline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sc := load(t, "baseline", sqlload.Overrides{Duration: 3 * time.Second})
	b := drive(t, ctx, sc, nil)
	if b.res.LatencyMs.Count == 0 || b.res.LatencyMs.P99 <= 0 {
		t.Fatalf("no latency measured: %+v", b.res.LatencyMs)
	}
	for _, op := range []string{"enqueue", "dequeue", "complete", "queue_wait", "end_to_end"} {
		if b.res.Operations[op].Count == 0 {
			t.Fatalf("operation %s not measured: %v", op, b.res.Operations)
		}
	}
	if len(b.res.Phases) != 2 || !b.res.Phases[0].Warmup || b.res.Phases[1].Name != "steady" {
		t.Fatalf("phases = %+v", b.res.Phases)
	}
	// The 3 s warm-up is excluded from the measured figures, not from the
	// books.
	if b.res.Enqueued >= b.res.Integrity.Enqueued || b.res.Completed >= b.res.Integrity.Completed {
		t.Fatalf("warm-up counted: measured %d/%d, integrity %+v", b.res.Enqueued, b.res.Completed, b.res.Integrity)
	}
	if b.res.LatencyMs.Count != b.res.Completed {
		t.Fatalf("latency histogram has %d observations for %d measured completions", b.res.LatencyMs.Count, b.res.Completed)
	}
	warm := 0
	for _, tk := range b.ticks {
		if tk.Warmup {
			warm++
		}
	}
	if warm < 2 || warm > 4 {
		t.Fatalf("%d warm-up ticks for a 3 s warm-up", warm)
	}
	if !strings.Contains(b.progress, "progress: ") {
		t.Fatalf("no progress line in %q", b.progress)
	}
	t.Log(b.progress)
}

func mustPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

func newDB(t *testing.T) string { return pgtest.NewDB(t) }
