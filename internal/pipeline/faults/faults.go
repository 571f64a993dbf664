package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/internal/pipeline"
	"github.com/pgqtune/pgqtune/runrec"
)

// AppName is the application_name of fault sessions: not the workload.
const AppName = "pgqtune-fault"

// Window is when a fault was in effect (wall clock, UTC).
type Window struct{ Start, End time.Time }

// Fault is something done to the database while the workload runs.
type Fault struct {
	// After is how long after the load starts the fault begins; For how
	// long it lasts (0: until the load ends).
	After, For time.Duration
	// Setup, when set, runs after the schema is migrated and before the
	// load (to give the queue table a history, say).
	Setup func(ctx context.Context, t pipeline.Target) error
	// Background, when set, starts with the load and runs to its end: the
	// steady activity a fault needs to bite on (a writer dirtying pages
	// for checkpoints to flush), present before, during and after it.
	Background func(ctx context.Context, t pipeline.Target) (stop func(), err error)
	// Start begins the fault and returns a function that ends it. Start
	// must return promptly once the fault is in effect.
	Start func(ctx context.Context, t pipeline.Target) (stop func(), err error)
}

// Scenario writes an open-loop skiplocked scenario: 5 s of warm-up, then
// rate jobs/s for main, and returns its path.
func Scenario(t testing.TB, rate float64, main time.Duration) string {
	return ScenarioProfile(t, "constant", rate, main)
}

// ScenarioProfile is Scenario with the main phase's load profile ("max"
// runs closed loop: as fast as the workers go).
func ScenarioProfile(t testing.TB, profile string, rate float64, main time.Duration) string {
	t.Helper()
	y := fmt.Sprintf(`name: fault
adapter: skiplocked
rate: %g
producers: 2
consumers: 4
enqueue_batch: 1
dequeue_batch: 10
phases:
  - name: warmup
    profile: constant
    duration: 5s
    warmup: true
  - name: main
    profile: %s
    duration: %s
`, rate, profile, main)
	p := filepath.Join(t.TempDir(), "fault.yaml")
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Run runs the scenario against dsn with f injected (f may be nil for a
// control run) and returns the outcome and the fault's window. The run
// directory is kept, and logged, when the test fails (or always with
// PGQTUNE_KEEP_RUNS set).
func Run(t *testing.T, dsn, scenario string, f *Fault) (*pipeline.Outcome, Window) {
	t.Helper()
	dir := KeptDir(t, "pgqtune-fault-*")
	var (
		mu     sync.Mutex
		win    Window
		errF   error
		doneCh = make(chan struct{})
	)
	opts := pipeline.RunOptions{DSN: dsn, Scenario: scenario, Out: filepath.Join(dir, "run")}
	if f != nil && f.Setup != nil {
		opts.BeforeWorkload = f.Setup
	}
	if f != nil {
		opts.OnStart = func(ctx context.Context, tg pipeline.Target) {
			defer close(doneCh)
			if f.Background != nil {
				stopBG, err := f.Background(ctx, tg)
				if err != nil {
					mu.Lock()
					errF = err
					mu.Unlock()
					return
				}
				defer stopBG()
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(f.After):
			}
			start := time.Now().UTC()
			stop, err := f.Start(ctx, tg)
			mu.Lock()
			win.Start, errF = start, err
			mu.Unlock()
			if err != nil {
				return
			}
			if f.For > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(f.For):
				}
			} else {
				<-ctx.Done()
			}
			stop()
			mu.Lock()
			win.End = time.Now().UTC()
			mu.Unlock()
		}
	} else {
		close(doneCh)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := pipeline.Run(ctx, opts)
	if err != nil {
		t.Fatalf("pipeline.Run: %v", err)
	}
	<-doneCh
	mu.Lock()
	defer mu.Unlock()
	if errF != nil {
		t.Fatalf("inject fault: %v", errF)
	}
	return out, win
}

// Describe renders the findings for a failure message.
func Describe(r *runrec.Report) string {
	if r == nil {
		return "(no report)"
	}
	b, _ := json.MarshalIndent(struct {
		Baseline float64          `json:"baseline"`
		Findings []runrec.Finding `json:"findings"`
		Notes    []string         `json:"notes"`
	}{r.Throughput.Baseline, r.Findings, r.Notes}, "", "  ")
	return string(b)
}

// RequireCause fails t unless the report has a finding of one of causes
// whose window overlaps w, and returns it.
func RequireCause(t *testing.T, out *pipeline.Outcome, w Window, causes ...string) runrec.Finding {
	t.Helper()
	for _, f := range out.Report.Findings {
		for _, c := range causes {
			if f.Cause == c && f.Start.Before(w.End.Add(time.Second)) && w.Start.Before(f.End.Add(time.Second)) {
				t.Logf("%s %s %s-%s conf %.2f: %s", f.ID, f.Cause, f.Start.Format("15:04:05"), f.End.Format("15:04:05"), f.Confidence, f.Summary)
				return f
			}
		}
	}
	t.Fatalf("no %v finding overlapping the fault %s-%s; report:\n%s", causes,
		w.Start.Format("15:04:05"), w.End.Format("15:04:05"), Describe(out.Report))
	return runrec.Finding{}
}

// Connect opens a fault session on dsn.
func Connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("faults: parse DSN: %w", err)
	}
	cfg.RuntimeParams["application_name"] = AppName
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("faults: connect: %w", err)
	}
	return c, nil
}

// Hold runs stmts in one transaction and keeps it open until stop; the
// classic forgotten BEGIN in a psql window.
func Hold(iso pgx.TxIsoLevel, stmts ...string) func(ctx context.Context, t pipeline.Target) (func(), error) {
	return func(ctx context.Context, t pipeline.Target) (func(), error) {
		c, err := Connect(ctx, t.DSN)
		if err != nil {
			return nil, err
		}
		tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: iso})
		if err != nil {
			c.Close(context.Background())
			return nil, fmt.Errorf("faults: begin: %w", err)
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				c.Close(context.Background())
				return nil, fmt.Errorf("faults: %s: %w", s, err)
			}
		}
		return func() {
			tx.Rollback(context.Background())
			c.Close(context.Background())
		}, nil
	}
}

// Loop runs body on n sessions over and over until stop.
func Loop(n int, body func(ctx context.Context, c *pgx.Conn) error) func(ctx context.Context, t pipeline.Target) (func(), error) {
	return func(ctx context.Context, t pipeline.Target) (func(), error) {
		lctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		conns := make([]*pgx.Conn, 0, n)
		for i := 0; i < n; i++ {
			c, err := Connect(ctx, t.DSN)
			if err != nil {
				cancel()
				for _, c := range conns {
					c.Close(context.Background())
				}
				return nil, err
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			wg.Add(1)
			go func(c *pgx.Conn) {
				defer wg.Done()
				defer c.Close(context.Background())
				for lctx.Err() == nil {
					if err := body(lctx, c); err != nil && lctx.Err() == nil {
						time.Sleep(50 * time.Millisecond)
					}
				}
			}(c)
		}
		return func() { cancel(); wg.Wait() }, nil
	}
}

// Exec runs stmts once on a fresh session (DDL faults); stop does nothing
// unless undo statements are given.
func Exec(stmts []string, undo ...string) func(ctx context.Context, t pipeline.Target) (func(), error) {
	return func(ctx context.Context, t pipeline.Target) (func(), error) {
		c, err := Connect(ctx, t.DSN)
		if err != nil {
			return nil, err
		}
		defer c.Close(context.Background())
		for _, s := range stmts {
			if _, err := c.Exec(ctx, s); err != nil {
				return nil, fmt.Errorf("faults: %s: %w", s, err)
			}
		}
		return func() {
			if len(undo) == 0 {
				return
			}
			c, err := Connect(context.Background(), t.DSN)
			if err != nil {
				return
			}
			defer c.Close(context.Background())
			for _, s := range undo {
				c.Exec(context.Background(), s)
			}
		}, nil
	}
}

// KeptDir makes a temporary run directory named by pattern that is removed
// after the test, unless the test failed or PGQTUNE_KEEP_RUNS is set: then
// it is kept and logged for inspection. A failed test also logs the run's
// per-second frames (analyze.FrameTable), since on a CI host the kept
// directory is gone with the machine.
func KeptDir(t *testing.T, pattern string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logFrames(t, dir)
		}
		if t.Failed() || os.Getenv("PGQTUNE_KEEP_RUNS") != "" {
			t.Logf("run directory kept: %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}

// logFrames logs the per-second frames of the run recorded under dir (in
// dir/run or dir itself), when there is one.
func logFrames(t *testing.T, dir string) {
	for _, d := range []string{filepath.Join(dir, "run"), dir} {
		if _, err := os.Stat(filepath.Join(d, runrec.MetaFile)); err != nil {
			continue
		}
		r, err := runrec.Load(d)
		if err != nil {
			t.Logf("frames of %s: %v", d, err)
			return
		}
		t.Logf("per-second frames of %s:\n%s", d, analyze.FrameTable(r, analyze.DefaultOptions()))
		return
	}
}
