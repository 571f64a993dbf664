package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/analyze"
	"github.com/pgqtune/pgqtune/internal/version"
	"github.com/pgqtune/pgqtune/recommendations"
	"github.com/pgqtune/pgqtune/results"
	"github.com/pgqtune/pgqtune/runrec"
)

// Analyze re-runs analysis, recommendations and the reports on a saved run
// directory, without a database. Validation results already recorded in the
// directory's report.json are kept for recommendations that did not change.
func Analyze(ctx context.Context, dir string) (*Outcome, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, badInputf("%s is not a run directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, runrec.MetaFile)); err != nil {
		return nil, badInputf("%s is not a run directory (no %s)", dir, runrec.MetaFile)
	}
	rep, run, err := analyzeDir(ctx, dir, "")
	if err != nil {
		return nil, err
	}
	if err := writeReport(dir, rep, run); err != nil {
		return nil, err
	}
	return &Outcome{Dir: dir, Report: rep, Run: run, Interrupted: run.Meta.Interrupted}, nil
}

// analyzeDir loads dir and builds its report. With a DSN (the server still
// up) index recommendations are also checked with hypopg.
func analyzeDir(ctx context.Context, dir, dsn string) (*runrec.Report, *runrec.Run, error) {
	run, err := runrec.Load(dir)
	if err != nil {
		return nil, nil, badInput(err)
	}
	if err := checkTimes(run); err != nil {
		return nil, nil, err
	}
	res, err := analyze.Analyze(run, analyze.DefaultOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("analyze %s: %w", dir, err)
	}
	var notes []string
	in := &recommendations.Input{Run: run, Findings: res.Findings}
	if cat, err := recommendations.LoadCatalog(dir); err != nil {
		notes = append(notes, "catalog.json unreadable: "+err.Error())
	} else {
		in.Catalog = cat
	}
	recs, rnotes := recommendations.Recommend(in)
	notes = append(notes, rnotes...)
	if dsn != "" && len(recs) > 0 {
		var hnotes []string
		recs, hnotes = recommendations.ValidateWithHypopg(ctx, dsn, in, recs)
		notes = append(notes, hnotes...)
	}
	keepValidations(dir, recs)
	if dsn == "" {
		for _, r := range recs {
			if r.Kind == runrec.RecIndex && strings.HasPrefix(strings.TrimSpace(r.SQL), "CREATE") && r.Validation == nil {
				notes = append(notes, "index recommendations were not checked against the claim's plan here (no database to run hypopg or a scratch copy on): pgqtune checks them when the run ends, or run `pgqtune validate`")
				break
			}
		}
	}

	rep := buildReport(run, res, recs, notes)
	return rep, run, nil
}

// keepValidations copies validation results from an existing report.json to
// recommendations with the same id and SQL, so re-analysis does not forget
// what `validate` or hypopg measured.
func keepValidations(dir string, recs []runrec.Recommendation) {
	var old runrec.Report
	if err := runrec.ReadJSON(filepath.Join(dir, runrec.ReportJSON), &old); err != nil {
		return
	}
	prev := map[string]runrec.Recommendation{}
	for _, r := range old.Recommendations {
		prev[r.ID] = r
	}
	for i := range recs {
		if p, ok := prev[recs[i].ID]; ok && p.SQL == recs[i].SQL && p.Validation != nil && recs[i].Validation == nil {
			recs[i].Validation = p.Validation
		}
	}
}

// buildReport assembles the report.json contract from the run's metadata,
// the analysis and the recommendations.
func buildReport(run *runrec.Run, res *analyze.Result, recs []runrec.Recommendation, notes []string) *runrec.Report {
	m := run.Meta
	rep := &runrec.Report{
		SchemaVersion:  runrec.SchemaVersion,
		PgqtuneVersion: version.String(),
		Run: runrec.RunInfo{
			ID:            m.ID,
			Mode:          m.Mode,
			Scenario:      m.Scenario,
			StartedAt:     m.StartedAt.UTC(),
			EndedAt:       m.EndedAt.UTC(),
			ServerVersion: m.ServerVersion,
			Settings:      m.Settings,
			Workload:      m.Workload,
			QueueTables:   m.QueueTables,
			Target:        m.Target,
		},
		Throughput: runrec.Throughput{
			Unit:           "jobs/s",
			Baseline:       res.Baseline,
			Mean:           res.Mean,
			Series:         res.Series,
			Operations:     m.Operations,
			MaxSustainable: m.MaxSustainable,
			Knee:           m.Knee,
		},
		Integrity:       m.Integrity,
		Phases:          res.Phases,
		Findings:        res.Findings,
		Recommendations: recs,
	}
	if rep.Run.EndedAt.IsZero() {
		// A run killed before it could finish: the last thing recorded.
		rep.Run.EndedAt = lastSeen(run)
	}
	if rep.Run.Settings == nil {
		rep.Run.Settings = map[string]string{}
	}
	if m.LatencyMs != nil {
		rep.Throughput.LatencyMs = *m.LatencyMs
	} else {
		rep.Throughput.LatencyMs = latencyFromTicks(run.Workload)
	}
	if rep.Throughput.Series == nil {
		rep.Throughput.Series = []runrec.SeriesPoint{}
	}
	if rep.Findings == nil {
		rep.Findings = []runrec.Finding{}
	}
	if rep.Recommendations == nil {
		rep.Recommendations = []runrec.Recommendation{}
	}
	all := append([]string{}, m.Notes...)
	all = append(all, res.Notes...)
	all = append(all, notes...)
	if m.Interrupted != "" {
		all = append([]string{"run ended early (" + m.Interrupted + "): the report covers what was recorded"}, all...)
	}
	rep.Notes = dedupe(all)
	return rep
}

func lastSeen(run *runrec.Run) time.Time {
	var t time.Time
	if n := len(run.Workload); n > 0 {
		t = run.Workload[n-1].T.Add(time.Second)
	}
	if n := len(run.Samples); n > 0 && run.Samples[n-1].T.After(t) {
		t = run.Samples[n-1].T
	}
	return cmp.Or(t, run.Meta.StartedAt).UTC()
}

// latencyFromTicks approximates run-wide percentiles from per-second ones
// when the driver's merged histogram is not available (observe mode, or a
// killed run): the max of maxima, and count-weighted medians of the rest.
func latencyFromTicks(ticks []runrec.WorkloadTick) runrec.Percentiles {
	var out runrec.Percentiles
	type wv struct {
		v float64
		w int64
	}
	var p50, p95, p99 []wv
	for _, t := range ticks {
		if t.Warmup || t.LatencyMs == nil {
			continue
		}
		l := t.LatencyMs
		w := max(l.Count, 1)
		p50 = append(p50, wv{l.P50, w})
		p95 = append(p95, wv{l.P95, w})
		p99 = append(p99, wv{l.P99, w})
		out.Max = max(out.Max, l.Max)
		out.Count += l.Count
	}
	wmedian := func(xs []wv) float64 {
		if len(xs) == 0 {
			return 0
		}
		sort.Slice(xs, func(i, j int) bool { return xs[i].v < xs[j].v })
		var total, acc int64
		for _, x := range xs {
			total += x.w
		}
		for _, x := range xs {
			acc += x.w
			if acc*2 >= total {
				return x.v
			}
		}
		return xs[len(xs)-1].v
	}
	out.P50, out.P95, out.P99 = wmedian(p50), wmedian(p95), wmedian(p99)
	return out
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, x := range xs {
		if x == "" || seen[x] {
			continue
		}
		seen[x] = true
		out = append(out, x)
	}
	return out
}

func writeReport(dir string, rep *runrec.Report, run *runrec.Run) error {
	if err := results.Write(dir, rep, run); err != nil {
		return fmt.Errorf("write report in %s: %w", dir, err)
	}
	return nil
}

// conclude ends a run or an observation whose samples are recorded in dir:
// it reads the catalog while the server is still up (so analyze can re-run
// the rules later without a database), analyzes, writes the reports and
// stores them when store is set. hypoDSN, when not empty, lets hypopg check
// index recommendations.
func conclude(ctx context.Context, dir, catalogDSN, hypoDSN, store string, tables []string) (*runrec.Report, *runrec.Run, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	cat, cerr := recommendations.SnapshotCatalog(cctx, catalogDSN, tables)
	cancel()
	if cerr == nil {
		if err := recommendations.SaveCatalog(dir, cat); err != nil {
			return nil, nil, err
		}
	}
	rep, run, err := analyzeDir(ctx, dir, hypoDSN)
	if err != nil {
		return nil, nil, err
	}
	if cerr != nil {
		rep.Notes = append(rep.Notes, "catalog snapshot failed, recommendations limited: "+redact(cerr.Error(), catalogDSN))
	}
	if err := writeReport(dir, rep, run); err != nil {
		return nil, nil, err
	}
	if err := storeReport(ctx, store, rep); err != nil {
		return nil, nil, err
	}
	return rep, run, nil
}

// storeReport keeps rep in the shared results store at dsn (when set). The
// run directory is already written, so a store failure loses nothing local.
func storeReport(ctx context.Context, dsn string, rep *runrec.Report) error {
	if dsn == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := results.Store(ctx, dsn, rep); err != nil {
		return fmt.Errorf("store the report in %s (the run directory is complete): %s", Describe(dsn), redact(err.Error(), dsn))
	}
	return nil
}
