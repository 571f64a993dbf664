package reallibs_test

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/internal/pgtest"
	"github.com/pgqtune/pgqtune/internal/pipeline/faults"
	"github.com/pgqtune/pgqtune/internal/reallibs"
	"github.com/pgqtune/pgqtune/recommendations"
	"github.com/pgqtune/pgqtune/runrec"
)

// libCase is how each library is loaded. Rates and sizes are chosen so
// that a busy 2-core machine keeps up at the rate with the index and does
// not without it.
type libCase struct {
	lib reallibs.Library
	// steady is the open-loop workload of the throughput and lock case;
	// miss the one of the missing-index case, whose workers must fall
	// behind its rate once the claim scans the table.
	steady, miss reallibs.Options
	// scheduled jobs (due in a day), or retained completed ones, are the
	// rows a claim without its index reads; drain sizes the saturated runs
	// that measure the index's worth.
	scheduled, retained int
	// failed jobs (graphile-worker: permanently failed) are the rows a
	// claim without its partial indexes reads.
	failed               int
	drainWith, drainWout int
	// saturated is the worker setup of the drains.
	saturated reallibs.Options
}

var cases = []libCase{
	{
		lib: reallibs.PgBoss,
		// 4 loops of 25 every 0.5 s: up to 200 jobs/s when fetches are fast.
		steady: reallibs.Options{Workers: 4, Batch: 25, Rate: 100},
		// 60 loops of 1 every 0.5 s: up to 120 jobs/s with the fetch index;
		// without it each fetch reads the 300,000 retained jobs (80 ms on
		// an idle core), and 2 cores fetch 25 jobs/s at best.
		miss:     reallibs.Options{Workers: 60, Batch: 1, Rate: 100},
		retained: 300000, drainWith: 500, drainWout: 150,
		saturated: reallibs.Options{Workers: 60, Batch: 2},
	},
	{
		lib: reallibs.Graphile,
		// graphile-worker claims one job per query: 30 jobs/s keeps a
		// busy 2-core machine ahead of the rate.
		steady: reallibs.Options{Workers: 8, Rate: 30},
		// graphile's claim indexes are partial on is_available: jobs due
		// tomorrow are in them (their claim walked all 250,000 index entries
		// with the index as without: the planner chose a seq scan either
		// way), permanently failed jobs are not. With jobs_main_index a
		// claim over failed jobs reads only the runnable ones (about 2 ms);
		// without it, a seq scan of them all. 250,000 were too few: 16
		// workers still scanned them 38 times a second, about the rate the
		// producer reached; over 600,000, 2 cores claim well below 60/s.
		miss:   reallibs.Options{Workers: 16, Rate: 60},
		failed: 600000, drainWith: 1000, drainWout: 100,
		saturated: reallibs.Options{Workers: 16},
	},
	{
		lib:    reallibs.River,
		steady: reallibs.Options{Workers: 10, Rate: 100},
		// River fetches every 5 ms (the harness's FetchCooldown), up to
		// its free workers at a time: at an open-loop 100 jobs/s a quiet
		// 2-core host kept up even when each fetch read the 300,000
		// completed jobs (10 fetches/s of ~40 ms). Draining a backlog
		// instead makes the fetch the bound on any machine: with its index
		// River drains it at hundreds to thousands of jobs/s, without it
		// at the rate the seq scans allow. The backlog outlasts the run at
		// either speed; the deadline ends it.
		miss:     reallibs.Options{Workers: 10, Backlog: 40000},
		retained: 300000, drainWith: 1000, drainWout: 100,
		saturated: reallibs.Options{Workers: 10},
	},
	{
		lib:       reallibs.Pgmq,
		steady:    reallibs.Options{Workers: 4, Batch: 10, Rate: 100},
		miss:      reallibs.Options{Workers: 4, Batch: 10, Rate: 100},
		scheduled: 200000, drainWith: 1000, drainWout: 150,
		saturated: reallibs.Options{Workers: 4, Batch: 10},
	},
}

// prepare sets lib up on dsn for t, or skips t saying what is missing.
func prepare(t testing.TB, lib reallibs.Library, dsn string, o reallibs.Options) reallibs.Workload {
	t.Helper()
	if lib == reallibs.Pgmq {
		pgtest.RequirePgmq(t)
	}
	// graphile-worker's 600,000 permanently failed jobs took over 3 min to
	// write under make test-stress; a generous bound still ends a stuck
	// preparation.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	w, err := reallibs.Prepare(ctx, lib, dsn, o)
	if reallibs.Unavailable(err) {
		t.Skipf("%s not available here: %v", lib, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

func runDir(t *testing.T) string {
	t.Helper()
	dir := faults.KeptDir(t, "pgqtune-reallibs-*")
	return filepath.Join(dir, "run")
}

// TestLibraries runs each real library under pgqtune observe.
func TestLibraries(t *testing.T) {
	for _, c := range cases {
		t.Run(string(c.lib), func(t *testing.T) {
			t.Run("observe counts what the library completes and names a table lock", func(t *testing.T) { testSteady(t, c) })
			t.Run("a dropped claim index is missing_index and its recreation restores throughput", func(t *testing.T) { testMissingIndex(t, c) })
		})
	}
}

// testSteady: the library at a steady rate, its job table locked ACCESS
// EXCLUSIVE for 5 s in the middle. observe's count of completed jobs over
// the run is the library's own within 10 %, and the lock is named.
func testSteady(t *testing.T, c libCase) {
	dsn := pgtest.NewDB(t)
	o := c.steady
	// 20 s of jobs: after the 5 s lock and the catch-up, several seconds
	// at the rate again show the drop ended.
	o.Jobs = int(o.Rate * 20)
	o.Deadline = 45 * time.Second
	w := prepare(t, c.lib, dsn, o)
	schema, table := reallibs.JobTable(c.lib)
	ctx := context.Background()
	watch, err := reallibs.Observe(ctx, dsn, runDir(t), w, &reallibs.Fault{After: 6 * time.Second, For: 5 * time.Second,
		Start: func(ctx context.Context) (func(), error) { return reallibs.LockTable(ctx, dsn, schema, table) }})
	if err != nil {
		t.Fatal(err)
	}
	res, out := watch.Result, watch.Outcome
	// Every completion of the run falls in the observed window: sampling
	// began Lead before the workers and ended Trail after them.
	obs := reallibs.ObservedCompleted(out, res.Started().Add(-reallibs.Lead), res.Ended().Add(reallibs.Trail))
	secs := res.Ended().Sub(res.Started()).Seconds()
	t.Logf("%s %s: library completed %d jobs in %.1f s (%.1f jobs/s); observe counted %d (%.1f jobs/s); report mean %.1f jobs/s",
		res.Library, res.Version, res.Completed, secs, float64(res.Completed)/secs, obs, float64(obs)/secs, out.Report.Throughput.Mean)
	if res.Completed < int64(o.Jobs) {
		t.Fatalf("the library completed %d jobs, fewer than the %d the run waits for", res.Completed, o.Jobs)
	}
	if d := math.Abs(float64(obs-res.Completed)) / float64(res.Completed); d > 0.10 {
		t.Errorf("observe counted %d completed jobs, the library %d: %.1f %% apart, want within 10 %%", obs, res.Completed, 100*d)
	}
	f := faults.RequireCause(t, out, faults.Window{Start: watch.FaultStart.UTC(), End: watch.FaultEnd.UTC()}, analyze.CauseLock)
	if !mentions(f, schema+"."+table) {
		t.Errorf("lock_contention finding does not name %s.%s: objects %v, summary %q", schema, table, f.Objects, f.Summary)
	}
}

// mentions tells whether a finding names table in its objects or evidence.
func mentions(f runrec.Finding, table string) bool {
	for _, o := range f.Objects {
		if o == table {
			return true
		}
	}
	for _, e := range f.Evidence {
		if strings.Contains(e.Detail, table) {
			return true
		}
	}
	return strings.Contains(f.Summary, table)
}

// testMissingIndex: the library at a steady rate over a large backlog of
// jobs due tomorrow; its claim index dropped in the middle. observe names
// missing_index on the table that held the index; the first
// recommendation recreates it there; applied, it restores >= 1.5x the
// saturated jobs/s of the library without it; and nothing recommended
// drops a library index or rewrites a library table.
func testMissingIndex(t *testing.T, c libCase) {
	dsn := pgtest.NewDB(t)
	ctx := context.Background()
	o := c.miss
	o.Scheduled, o.Retained, o.Failed = c.scheduled, c.retained, c.failed
	// Without the index the workers fall behind and the deadline ends the
	// run: 18 s of the drop after 12 s with the index. The drop covers
	// more than half the run; the baseline is then the first third's
	// rate, which needs 30 measured seconds.
	const dropAfter = 12 * time.Second
	o.Deadline = 30 * time.Second
	o.Jobs = int(o.Rate * 27)
	if o.Rate == 0 {
		// A saturated drain: the backlog is never all done.
		o.Jobs = o.Backlog
	}
	w := prepare(t, c.lib, dsn, o)
	pool := pgtest.Pool(t, dsn)
	ixs, err := reallibs.ClaimIndexes(ctx, pool, c.lib)
	if err != nil {
		t.Fatal(err)
	}
	table := ixs[0].Qualified()
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE "+pgx.Identifier{ixs[0].Schema, ixs[0].Table}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if c.lib == reallibs.Pgmq {
		// pgmq.read orders by msg_id: when the planner walks the primary key
		// instead of the vt index, there is no claim index to drop.
		var plan string
		q := `EXPLAIN (FORMAT TEXT, COSTS OFF) SELECT msg_id FROM pgmq.q_` + reallibs.PgmqQueue +
			` WHERE vt <= clock_timestamp() ORDER BY msg_id LIMIT 10 FOR UPDATE SKIP LOCKED`
		rows, err := pool.Query(ctx, q)
		if err == nil {
			lines, _ := pgx.CollectRows(rows, pgx.RowTo[string])
			plan = strings.Join(lines, " / ")
		}
		if !strings.Contains(plan, ixs[0].Name) {
			t.Skipf("pgmq's read does not use %s here (plan: %s): dropping it cannot slow the claim, so there is no missing index to name", ixs[0].Name, plan)
		}
	}
	watch, err := reallibs.Observe(ctx, dsn, runDir(t), w, &reallibs.Fault{After: dropAfter, For: time.Hour,
		Start: func(ctx context.Context) (func(), error) { return func() {}, reallibs.DropIndexes(ctx, pool, ixs) }})
	if err != nil {
		t.Fatal(err)
	}
	out := watch.Outcome
	t.Logf("%s: completed %d jobs in %.1f s with the index dropped after %s",
		watch.Result.Library, watch.Result.Completed, watch.Result.Ended().Sub(watch.Result.Started()).Seconds(), dropAfter)
	win := faults.Window{Start: watch.FaultStart.UTC(), End: watch.Result.Ended().UTC()}
	if f, ok := contributingOver(out.Report, win, analyze.CauseMissingIndex); ok && !hasCauseOver(out.Report, win, analyze.CauseMissingIndex) {
		// On a saturated 2-core host the Node producers' own statements can
		// make the same seconds read as CPU saturation first (graphile's
		// add_job, seen once in CI-like load); the missing index must then
		// still be named in that finding, and the advice below still holds.
		t.Logf("missing_index named as contributing to %s (%s): %s", f.ID, f.Cause, f.Summary)
	} else if c.lib == reallibs.Graphile && !anyFindingOver(out.Report, win) {
		// graphile-worker's Node producer sets the baseline: on a loaded
		// 2-core host it reached only ~27 jobs/s, which the unindexed
		// claim still kept up with, so there was no drop to name (with a
		// faster producer: 48 -> 9.7 jobs/s, named missing_index). Any
		// drop that is seen must be named; the advice and the restore
		// below must hold either way.
		t.Logf("no drop over the window (baseline %.0f jobs/s was producer-bound): the diagnosis is not exercised this run", out.Report.Throughput.Baseline)
	} else {
		f := faults.RequireCause(t, out, win, analyze.CauseMissingIndex)
		if !mentions(f, table) {
			t.Errorf("missing_index finding does not name %s: objects %v, summary %q", table, f.Objects, f.Summary)
		}
	}

	// The advice (library profiles, branch libadvice).
	recs := out.Report.Recommendations
	for _, r := range recs {
		t.Logf("%s %s %s: %s", r.ID, r.Kind, r.Target, strings.ReplaceAll(r.SQL, "\n", " "))
	}
	checkNoRewrite(t, recs, ixs)
	fix, ok := recreates(recs, ixs)
	if !ok {
		t.Errorf("the first recommendation does not recreate %s on %s (library advice: waits for the libadvice work)", ixs[0].Name, table)
		// The throughput check still runs with the library's own index
		// definition, so that the measurement is proven on its own.
		fix = nil
		for _, ix := range ixs {
			fix = append(fix, ix.Def)
		}
	}
	measureRestore(t, c, dsn, pool, ixs, fix)
}

// recreates returns the first recommendation's statements when it creates
// an index on the table that held the dropped one.
func recreates(recs []runrec.Recommendation, ixs []reallibs.Index) ([]string, bool) {
	if len(recs) == 0 || recs[0].Kind != runrec.RecIndex {
		return nil, false
	}
	stmts, err := recommendations.Statements(recs[0])
	if err != nil {
		return nil, false
	}
	table := ixs[0].Qualified()
	for _, s := range stmts {
		up := strings.ToUpper(s)
		if strings.Contains(up, "CREATE INDEX") && (strings.Contains(s, " "+table+" ") || strings.Contains(s, " "+table+"(") ||
			strings.Contains(s, pgx.Identifier{ixs[0].Schema, ixs[0].Table}.Sanitize())) {
			return stmts, true
		}
	}
	return nil, false
}

// checkNoRewrite fails t for a recommendation that drops one of the
// library's indexes or swaps, partitions or rewrites a library table.
func checkNoRewrite(t *testing.T, recs []runrec.Recommendation, ixs []reallibs.Index) {
	t.Helper()
	schema := ixs[0].Schema
	for _, r := range recs {
		sql := strings.ToUpper(r.SQL)
		if r.Kind == runrec.RecPartitioning && strings.HasPrefix(r.Target, schema+".") {
			t.Errorf("%s partitions library table %s", r.ID, r.Target)
		}
		if strings.Contains(sql, "DROP INDEX") && strings.Contains(r.SQL, schema+".") {
			t.Errorf("%s drops a library index: %s", r.ID, firstLine(r.SQL))
		}
		for _, bad := range []string{"RENAME TO", "ATTACH PARTITION", "DETACH PARTITION", "PARTITION BY", "VACUUM FULL", "CLUSTER "} {
			if strings.Contains(sql, bad) && strings.Contains(r.SQL, schema+".") {
				t.Errorf("%s rewrites library table %s (%s)", r.ID, r.Target, bad)
				break
			}
		}
	}
}

// measureRestore drains backlogs with the library saturated, without the
// index and with fix applied, twice each, interleaved, and wants the
// pooled jobs/s with it at least 1.5x the pooled jobs/s without it.
func measureRestore(t *testing.T, c libCase, dsn string, pool *pgxpool.Pool, ixs []reallibs.Index, fix []string) {
	ctx := context.Background()
	var jobs, secs [2]float64 // [without, with]
	for rep := 0; rep < 2; rep++ {
		for with := 0; with < 2; with++ {
			var before map[string]reallibs.Index
			if with == 1 {
				before = tableIndexes(t, pool, ixs[0])
				apply(t, pool, fix)
			}
			o := c.saturated
			o.Backlog = []int{c.drainWout, c.drainWith}[with]
			o.Jobs, o.Deadline = o.Backlog, 45*time.Second
			r, err := reallibs.Run(ctx, c.lib, dsn, o)
			if err != nil {
				t.Fatal(err)
			}
			if r.DoneAt == 0 {
				t.Fatalf("%s drained %d of %d jobs before the deadline", c.lib, r.Completed, o.Jobs)
			}
			d := float64(r.DoneAt-r.StartedAt) / 1000
			jobs[with] += float64(r.Completed)
			secs[with] += d
			t.Logf("rep %d, index %v: %d jobs in %.2f s = %.0f jobs/s", rep, with == 1, r.Completed, d, float64(r.Completed)/d)
			if with == 1 {
				// Undo the fix, whatever it named its indexes.
				var made []reallibs.Index
				for name, ix := range tableIndexes(t, pool, ixs[0]) {
					if _, ok := before[name]; !ok {
						made = append(made, ix)
					}
				}
				if len(made) == 0 {
					t.Fatalf("applying %q created no index on %s", fix, ixs[0].Qualified())
				}
				if err := reallibs.DropIndexes(ctx, pool, made); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	wout, with := jobs[0]/secs[0], jobs[1]/secs[1]
	t.Logf("%s saturated: %.0f jobs/s without the claim index, %.0f with it: %.1fx", c.lib, wout, with, with/wout)
	if with < 1.5*wout {
		t.Errorf("with the index %.0f jobs/s, without %.0f: %.2fx, want >= 1.5x", with, wout, with/wout)
	}
}

// apply runs a recommendation's statements one by one (CREATE INDEX
// CONCURRENTLY refuses a transaction block), then ANALYZE.
func apply(t *testing.T, pool *pgxpool.Pool, stmts []string) {
	t.Helper()
	ctx := context.Background()
	for _, s := range stmts {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatalf("apply %q: %v", s, err)
		}
	}
}

// tableIndexes lists the indexes on the claim table now.
func tableIndexes(t *testing.T, pool *pgxpool.Pool, ix reallibs.Index) map[string]reallibs.Index {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT n.nspname, t.relname, i.relname, pg_get_indexdef(i.oid)
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = i.relnamespace
		WHERE n.nspname = $1 AND t.relname = $2`, ix.Schema, ix.Table)
	if err != nil {
		t.Fatal(err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (reallibs.Index, error) {
		var ix reallibs.Index
		return ix, r.Scan(&ix.Schema, &ix.Table, &ix.Name, &ix.Def)
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]reallibs.Index{}
	for _, ix := range all {
		out[ix.Name] = ix
	}
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// hasCauseOver reports whether a finding of cause overlaps w.
func hasCauseOver(rep *runrec.Report, w faults.Window, cause string) bool {
	for _, f := range rep.Findings {
		if f.Cause == cause && f.Start.Before(w.End.Add(time.Second)) && w.Start.Before(f.End.Add(time.Second)) {
			return true
		}
	}
	return false
}

// contributingOver returns a finding overlapping w that lists cause among
// its contributing causes.
func contributingOver(rep *runrec.Report, w faults.Window, cause string) (runrec.Finding, bool) {
	for _, f := range rep.Findings {
		if !(f.Start.Before(w.End.Add(time.Second)) && w.Start.Before(f.End.Add(time.Second))) {
			continue
		}
		for _, c := range f.Contributing {
			if c.Cause == cause {
				return f, true
			}
		}
	}
	return runrec.Finding{}, false
}

// anyFindingOver reports whether any finding overlaps w.
func anyFindingOver(rep *runrec.Report, w faults.Window) bool {
	for _, f := range rep.Findings {
		if f.Start.Before(w.End.Add(time.Second)) && w.Start.Before(f.End.Add(time.Second)) {
			return true
		}
	}
	return false
}
