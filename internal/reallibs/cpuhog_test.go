package reallibs_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/internal/pipeline/faults"
	"github.com/pgqtune/pgqtune/internal/reallibs"
	"github.com/pgqtune/pgqtune/runrec"
)

// cpuHogQuery keeps one core busy for as long as it runs, holding a
// snapshot (and so the xmin horizon) all along: the report a user runs in
// psql beside the queue. The set-returning function sits in the select
// list so that nothing is materialized or spilled to temp files.
const cpuHogQuery = "SELECT count(g) FROM (SELECT generate_series(1, 100000000000) AS g) s"

// startCPUHogs runs n cpuHogQuery sessions on dsn until the returned stop.
// A backend busy on CPU does not notice its client leaving, so each query
// is bounded by statement_timeout and stop cancels them on the server: a
// hog never outlives the test on a shared machine.
func startCPUHogs(ctx context.Context, dsn string, n int, bound time.Duration) (func(), error) {
	var conns []*pgx.Conn
	closeAll := func() {
		for _, c := range conns {
			c.Close(context.Background())
		}
	}
	for i := 0; i < n; i++ {
		c, err := faults.Connect(ctx, dsn)
		if err != nil {
			closeAll()
			return nil, err
		}
		conns = append(conns, c)
		if _, err := c.Exec(ctx, fmt.Sprintf("SET statement_timeout = %d", bound.Milliseconds())); err != nil {
			closeAll()
			return nil, fmt.Errorf("cpu hog: %w", err)
		}
	}
	hctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func(c *pgx.Conn) {
			defer wg.Done()
			for hctx.Err() == nil {
				_, _ = c.Exec(hctx, cpuHogQuery)
			}
		}(c)
	}
	return func() {
		cancel()
		if c, err := faults.Connect(context.Background(), dsn); err == nil {
			for _, h := range conns {
				_, _ = c.Exec(context.Background(), "SELECT pg_cancel_backend($1)", int(h.PgConn().PID()))
			}
			c.Close(context.Background())
		}
		wg.Wait()
		closeAll()
	}, nil
}

// TestCPUHog is issue 14's case on a real library: two sessions running
// long CPU-bound queries in River's database for 20 s, beside River
// working an open-loop stream of jobs. The queries take the cores and,
// being long, hold the xmin horizon: observe names cpu_saturation over
// the fault, with xmin_horizon at most contributing, never a finding's
// cause.
//
// River runs in this process (pg-boss and graphile-worker need Node, and
// start slower), at 300 jobs/s with 10 workers: enough that two hogs on a
// 2-core host slow every statement, little enough that a busy host keeps
// up before them.
func TestCPUHog(t *testing.T) {
	dsn := pgtest.NewDB(t)
	o := reallibs.Options{Workers: 10, Rate: 300}
	// 14 s before the hogs, 20 s of them, and the catch-up after. River's
	// first seconds (its fetch ramping up over a table so small the
	// planner scans it) can dip below the rate: the hogs start well after,
	// so that dip is a window of its own and the baseline has seconds
	// enough.
	after, hold := 14*time.Second, 20*time.Second
	o.Jobs = int(o.Rate * 42)
	o.Deadline = 55 * time.Second
	w := prepare(t, reallibs.River, dsn, o)
	ctx := context.Background()
	watch, err := reallibs.Observe(ctx, dsn, runDir(t), w, &reallibs.Fault{After: after, For: hold,
		Start: func(ctx context.Context) (func(), error) { return startCPUHogs(ctx, dsn, 2, hold+5*time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	out := watch.Outcome
	win := faults.Window{Start: watch.FaultStart.UTC(), End: watch.FaultEnd.UTC()}
	f := faults.RequireCause(t, out, win, analyze.CauseCPU)
	for _, g := range out.Report.Findings {
		overlaps := g.Start.Before(win.End.Add(time.Second)) && win.Start.Before(g.End.Add(time.Second))
		if overlaps && g.Cause == analyze.CauseXmin && g.Kind != runrec.FindingWholeRun {
			t.Errorf("%s names xmin_horizon as the cause of the CPU hogs' %s:\n%s", g.ID, g.Kind, faults.Describe(out.Report))
		}
	}
	// The finding's first lines, as `pgqtune report` prints them.
	lines := []string{fmt.Sprintf("%s %s (%s, confidence %.2f): %s", f.ID, f.Cause, f.Kind, f.Confidence, f.Summary)}
	for _, c := range f.Contributing {
		lines = append(lines, fmt.Sprintf("  contributing: %s (score %.2f): %s", c.Cause, c.Score, c.Summary))
	}
	t.Logf("%s %s:\n%s", watch.Result.Library, watch.Result.Version, strings.Join(lines, "\n"))
}
