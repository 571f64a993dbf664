package sqlload_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/internal/adaptertest"
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

// drive runs sc on a fresh database with adaptertest.Drive, which checks
// what every run must hold: integrity exact, ticks well-formed.
func drive(t *testing.T, ctx context.Context, sc *sqlload.Scenario, during func(ctx context.Context, dsn string)) *runBundle {
	t.Helper()
	r := adaptertest.Drive(t, ctx, sc, during)
	return &runBundle{res: r.Res, ticks: r.Ticks, progress: r.Progress, dsn: r.DSN}
}

// killWorkload terminates the driver's sessions every 150 ms for d (or
// until ctx ends), counting the kills (adaptertest.KillWorkload).
func killWorkload(t *testing.T, killed *atomic.Int64, d time.Duration) func(ctx context.Context, dsn string) {
	return adaptertest.KillWorkload(t, killed, d)
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
	return adaptertest.MustPool(t, dsn)
}

func newDB(t *testing.T) string { return pgtest.NewDB(t) }
