package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/pgqtune/pgqtune/analyze/quantile"
	"github.com/pgqtune/pgqtune/runrec"
)

// trendMinS mirrors analyze's TrendMinS: the shortest run in which the
// analysis looks for a slow slide.
const trendMinS = 180

// baselineDefinition says what "baseline" means wherever the report shows
// it: the run's own normal rate, not the scenario called baseline.
const baselineDefinition = "Baseline rate: this run's normal completed jobs/s, the median of its measured seconds with warm-up, pressure phases and the drops found left out. Findings are measured against it. (Not the scenario named \"baseline\".)"

// BaselineDefinition is what the word means here, for the templates.
func (v *view) BaselineDefinition() string { return baselineDefinition }

// Checked lists what the analysis looked at, for the "no drop found"
// verdict: only what this run recorded.
func (v *view) Checked() []string {
	var out []string
	if n := len(v.Rep.Throughput.Series); n > 0 {
		s := fmt.Sprintf("completed jobs/s in each of %d seconds", n)
		if b := v.Rep.Throughput.Baseline; b > 0 {
			s += fmt.Sprintf(" against the baseline rate of %s jobs/s", fmtNum(b))
		}
		out = append(out, s)
	}
	if hasData(v.TL.P99) {
		out = append(out, "p99 latency per second")
	}
	if hasData(v.TL.Depth) {
		out = append(out, "queue depth and the oldest waiting job")
	}
	if v.Run != nil && len(v.Run.Samples) > 0 {
		if len(v.Statements) > 0 {
			out = append(out, "the claim statement's mean time")
		}
		out = append(out, "sampler gaps (server availability)")
	}
	if len(v.Rep.Throughput.Series) >= trendMinS {
		out = append(out, "a slow slide over the whole run")
	}
	return out
}

// CheckedText is Checked as one phrase.
func (v *view) CheckedText() string {
	c := v.Checked()
	switch len(c) {
	case 0:
		return "nothing was recorded to check"
	case 1:
		return c[0]
	}
	return strings.Join(c[:len(c)-1], ", ") + " and " + c[len(c)-1]
}

// RecsSub is the line under the recommendations count: "with SQL below"
// only when there is SQL below.
func (v *view) RecsSub() string {
	if len(v.Recs) == 0 {
		return "nothing to change"
	}
	if slices.ContainsFunc(v.Recs, func(r recView) bool { return r.SQL != "" }) {
		return "with SQL below"
	}
	return "see below"
}

// Trends are movements a reader sees on the charts that are not findings
// (they did not slow the queue in this run), each said once in a sentence,
// so a climbing line is not left unexplained.
func (v *view) Trends() []string {
	var out []string
	covered := func(causes ...string) bool {
		return slices.ContainsFunc(v.Rep.Findings, func(f runrec.Finding) bool { return slices.Contains(causes, f.Cause) })
	}
	tl := v.TL
	if !covered(runrec.CauseVacuumLag, runrec.CauseXmin, runrec.CauseBloat) {
		for _, name := range tl.Tables {
			if lo, hi, ok := climbing(tl.DeadTup[name], 1000); ok {
				out = append(out, fmt.Sprintf("Dead tuples on %s climbed through the run (from about %s to %s) without slowing the queue: autovacuum is not keeping up. Not a finding in this run; a longer run may turn it into one (vacuum_lag or xmin_horizon).", name, fmtNum(lo), fmtNum(hi)))
			}
		}
	}
	if !slices.ContainsFunc(v.Rep.Findings, func(f runrec.Finding) bool { return f.Kind == runrec.FindingBacklog }) {
		if lo, hi, ok := climbing(measuredOnly(tl.Depth, tl.Warmup), 100); ok {
			out = append(out, fmt.Sprintf("Queue depth grew through the run (from about %s to %s jobs): consumers fell behind producers, slowly. Not a finding in this run.", fmtNum(lo), fmtNum(hi)))
		}
	}
	if !slices.ContainsFunc(v.Rep.Findings, func(f runrec.Finding) bool { return f.Kind == runrec.FindingLatency }) {
		if lo, hi, ok := climbing(measuredOnly(tl.P99, tl.Warmup), 0); ok && hi >= 2*lo {
			out = append(out, fmt.Sprintf("p99 latency rose through the run (from about %s to %s) without a drop in throughput. Not a finding in this run.", fmtMs(lo), fmtMs(hi)))
		}
	}
	return out
}

// measuredOnly blanks warm-up seconds.
func measuredOnly(vals []float64, warm []bool) []float64 {
	out := slices.Clone(vals)
	for i := range out {
		if i < len(warm) && warm[i] {
			out[i] = math.NaN()
		}
	}
	return out
}

// climbing reports whether vals rose steadily over the run: at least 20
// known values, a straight-line fit explaining most of the variance
// (R² >= 0.6), a rising slope, the last fifth's median at least twice the
// first fifth's, and the last above floor. lo and hi are those medians.
func climbing(vals []float64, floor float64) (lo, hi float64, ok bool) {
	var xs, ys []float64
	for i, v := range vals {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			xs, ys = append(xs, float64(i)), append(ys, v)
		}
	}
	if len(ys) < 20 {
		return 0, 0, false
	}
	k := len(ys) / 5
	lo, hi = medianOf(ys[:k]), medianOf(ys[len(ys)-k:])
	alpha, slope := stat.LinearRegression(xs, ys, nil, false)
	r2 := stat.RSquared(xs, ys, nil, alpha, slope)
	if slope <= 0 || r2 < 0.6 || hi < 2*math.Max(lo, 1e-9) || hi < floor {
		return lo, hi, false
	}
	return lo, hi, true
}

// medianOf is the median of xs (not modified).
func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return quantile.Sorted(s, 0.5)
}
