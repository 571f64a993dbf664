package compare

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/units"
)

// Options tune Compare.
type Options struct {
	// MaxRegressionPct is the largest drop of mean throughput (in percent)
	// that is tolerated; a significant drop beyond it is a regression.
	// Zero means DefaultMaxRegressionPct.
	MaxRegressionPct float64
	// MaxLatencyRegressionPct also gates on the per-second p99 latency
	// rising significantly by more than this percentage. In an open-loop
	// run a stall shows here rather than in throughput: the backlog is
	// worked off afterwards and the mean rate recovers. Zero means
	// DefaultMaxLatencyRegressionPct; negative turns the gate off.
	MaxLatencyRegressionPct float64
	// Alpha is the significance level (default 0.05).
	Alpha float64
	// AllowIncomparable compares runs whose workload or server differ
	// instead of refusing.
	AllowIncomparable bool
}

// DefaultMaxRegressionPct is the tolerated throughput drop when none is
// given.
const DefaultMaxRegressionPct = 10

// DefaultMaxLatencyRegressionPct is the tolerated rise of per-second p99
// latency when none is given: wide, because p99 of one second is noisy.
const DefaultMaxLatencyRegressionPct = 50

// ErrIncomparable is returned (wrapped, with the reasons) when two runs
// measured different things and AllowIncomparable is not set.
var ErrIncomparable = errors.New("runs are not comparable")

// Delta is one figure in both runs.
type Delta struct {
	Name      string  `json:"name"`
	Unit      string  `json:"unit"`
	Base      float64 `json:"base"`
	New       float64 `json:"new"`
	ChangePct Num     `json:"change_pct"`
	// HigherIsBetter says which direction is an improvement.
	HigherIsBetter bool `json:"higher_is_better"`
}

// QueryDelta is one normalized statement's time in both runs.
type QueryDelta struct {
	Text        string  `json:"text"`
	Tag         string  `json:"tag,omitempty"`
	BaseCalls   int64   `json:"base_calls"`
	NewCalls    int64   `json:"new_calls"`
	BaseMeanMs  float64 `json:"base_mean_ms"`
	NewMeanMs   float64 `json:"new_mean_ms"`
	BaseTotalMs float64 `json:"base_total_ms"`
	NewTotalMs  float64 `json:"new_total_ms"`
	// MeanChangePct is the change of the mean time per call (NaN when the
	// statement ran in only one of the runs).
	MeanChangePct Num `json:"mean_change_pct"`
}

// SignificanceTest is the statistical evidence for one series.
type SignificanceTest struct {
	Series string `json:"series"`
	NBase  int    `json:"n_base"`
	NNew   int    `json:"n_new"`
	// Change is the two-sided rank test for any difference.
	Change       MannWhitney `json:"change"`
	TolerancePct float64     `json:"tolerance_pct"`
	// MeanChangePct and its bootstrap 95% interval.
	MeanChangePct Num `json:"mean_change_pct"`
	CILowPct      Num `json:"ci_low_pct"`
	CIHighPct     Num `json:"ci_high_pct"`
	// Significant is a change either test sees: the rank test
	// (Change.P < alpha) catches a shift of the whole run, the bootstrap
	// interval of the mean (excluding zero) catches a fault confined to
	// part of it, whose seconds are too few to move the ranks. Noise is
	// kept out by the effect size: Regression also needs the mean to be
	// worse by more than the tolerance.
	Significant bool `json:"significant"`
	Regression  bool `json:"regression"`
}

// Comparison is what `pgqtune compare` reports.
type Comparison struct {
	BaseDir string `json:"base_dir"`
	NewDir  string `json:"new_dir"`
	BaseID  string `json:"base_id"`
	NewID   string `json:"new_id"`
	// PreviousStartedAt is set when the comparison is a report's "compared
	// with the previous run" section.
	PreviousStartedAt time.Time `json:"-"`
	// Incomparable lists why the runs measured different things (empty when
	// they are comparable).
	Incomparable []string `json:"incomparable,omitempty"`
	// SettingsChanged lists server settings that differ (allowed: that is
	// usually what is being compared).
	SettingsChanged []string           `json:"settings_changed,omitempty"`
	Throughput      []Delta            `json:"throughput"`
	Latency         []Delta            `json:"latency"`
	Tests           []SignificanceTest `json:"tests"`
	// Latency99 is the latency gate (nil when turned off).
	Latency99    *SlowJobsTest `json:"latency_gate,omitempty"`
	Queries      []QueryDelta  `json:"queries,omitempty"`
	Phases       []PhaseDelta  `json:"phases,omitempty"`
	BaseFindings []string      `json:"base_findings"`
	NewFindings  []string      `json:"new_findings"`
	Regression   bool          `json:"regression"`
	Verdict      string        `json:"verdict"`

	// BaseSeries and NewSeries are the per-second completed series the
	// throughput test compared (for sparklines; not in the JSON).
	BaseSeries, NewSeries []float64 `json:"-"`
}

// phaseDeltas pairs the phases both runs have, in BASE's order.
func phaseDeltas(base, next []runrec.PhaseResult) []PhaseDelta {
	var out []PhaseDelta
	for _, b := range base {
		for _, n := range next {
			if n.Name != b.Name {
				continue
			}
			out = append(out, PhaseDelta{Name: b.Name, Pressure: cmp.Or(b.Pressure, n.Pressure),
				BaseJobsPerS: b.JobsPerS, NewJobsPerS: n.JobsPerS, BaseDropPct: b.DropPct, NewDropPct: n.DropPct,
				BaseRecoveryS: b.RecoveryS, NewRecoveryS: n.RecoveryS})
			break
		}
	}
	return out
}

// PhaseDelta is one scenario phase in both runs, matched by name.
type PhaseDelta struct {
	Name          string   `json:"name"`
	Pressure      string   `json:"pressure,omitempty"`
	BaseJobsPerS  float64  `json:"base_jobs_per_s"`
	NewJobsPerS   float64  `json:"new_jobs_per_s"`
	BaseDropPct   float64  `json:"base_drop_pct"`
	NewDropPct    float64  `json:"new_drop_pct"`
	BaseRecoveryS *float64 `json:"base_recovery_s,omitempty"`
	NewRecoveryS  *float64 `json:"new_recovery_s,omitempty"`
}

// maxQueryRows bounds the per-query table of a comparison.
const maxQueryRows = 10

// Compare compares NEW with BASE. It refuses (ErrIncomparable) runs whose
// workload, scenario, mode or server major version differ unless
// o.AllowIncomparable is set.
func Compare(base, next *RunData, o Options) (*Comparison, error) {
	o.MaxRegressionPct = cmp.Or(o.MaxRegressionPct, DefaultMaxRegressionPct)
	o.MaxLatencyRegressionPct = cmp.Or(o.MaxLatencyRegressionPct, DefaultMaxLatencyRegressionPct)
	o.Alpha = cmp.Or(o.Alpha, 0.05)
	b, n := base.Report, next.Report
	c := &Comparison{BaseDir: base.Dir, NewDir: next.Dir, BaseID: b.Run.ID, NewID: n.Run.ID}
	c.Incomparable = incomparable(base, next)
	if len(c.Incomparable) > 0 && !o.AllowIncomparable {
		return c, fmt.Errorf("%w: %s (use --allow-incomparable to compare anyway)", ErrIncomparable, strings.Join(c.Incomparable, "; "))
	}
	for _, k := range slices.Sorted(maps.Keys(mergeKeys(b.Run.Settings, n.Run.Settings))) {
		if b.Run.Settings[k] != n.Run.Settings[k] {
			c.SettingsChanged = append(c.SettingsChanged, fmt.Sprintf("%s: %s -> %s", k, orDash(b.Run.Settings[k]), orDash(n.Run.Settings[k])))
		}
	}
	bs, ns := base.CompletedSeries(), next.CompletedSeries()
	c.Throughput = []Delta{
		delta("mean completed", b.Throughput.Unit, seriesMean(bs, b.Throughput.Mean), seriesMean(ns, n.Throughput.Mean), true),
		delta("baseline", b.Throughput.Unit, b.Throughput.Baseline, n.Throughput.Baseline, true),
	}
	if b.Throughput.MaxSustainable != nil && n.Throughput.MaxSustainable != nil {
		c.Throughput = append(c.Throughput, delta("max sustainable", b.Throughput.Unit, *b.Throughput.MaxSustainable, *n.Throughput.MaxSustainable, true))
	}
	bl, nl := b.Throughput.LatencyMs, n.Throughput.LatencyMs
	c.Latency = []Delta{
		delta("p50", "ms", bl.P50, nl.P50, false),
		delta("p95", "ms", bl.P95, nl.P95, false),
		delta("p99", "ms", bl.P99, nl.P99, false),
		delta("max", "ms", bl.Max, nl.Max, false),
	}
	tp := significance("completed jobs/s per second", bs, ns, o.MaxRegressionPct, o.Alpha, true)
	c.Tests = append(c.Tests, tp)
	c.Regression = tp.Regression
	if o.MaxLatencyRegressionPct > 0 {
		lt := slowJobsTest(base, next, o.MaxLatencyRegressionPct, o.Alpha)
		c.Latency99 = &lt
		c.Regression = c.Regression || lt.Regression
	}
	c.Queries = queryDeltas(runrec.StatementStats(base.Run), runrec.StatementStats(next.Run))
	c.BaseFindings, c.NewFindings = findingLines(base), findingLines(next)
	c.Phases = phaseDeltas(b.Phases, n.Phases)
	c.BaseSeries, c.NewSeries = bs, ns
	c.Verdict = verdict(c, tp, o)
	return c, nil
}

// significance tests NEW against BASE for one per-second series.
// higherIsBetter says whether a drop (throughput) or a rise (latency) is the
// bad direction.
func significance(name string, base, next []float64, tolPct, alpha float64, higherIsBetter bool) SignificanceTest {
	st := SignificanceTest{Series: name, NBase: len(base), NNew: len(next), TolerancePct: tolPct}
	st.Change = MannWhitneyU(base, next, TwoSided)
	st.MeanChangePct = Num(PctChange(mean(base), mean(next)))
	lo, hi := BootstrapMeanChange(base, next, 0.95, 2000)
	st.CILowPct, st.CIHighPct = Num(lo), Num(hi)
	st.Significant = st.Change.P < alpha || lo > 0 || hi < 0
	worse := float64(st.MeanChangePct) < -tolPct
	if !higherIsBetter {
		worse = float64(st.MeanChangePct) > tolPct
	}
	st.Regression = st.Significant && worse
	return st
}

func verdict(c *Comparison, tp SignificanceTest, o Options) string {
	if c.Regression {
		var parts []string
		for _, t := range c.Tests {
			if t.Regression {
				parts = append(parts, fmt.Sprintf("%s %s (95%% CI %s..%s, Mann-Whitney p%s), beyond the %s%% tolerance",
					t.Series, units.SignedPct(float64(t.MeanChangePct)), units.SignedPct(float64(t.CILowPct)), units.SignedPct(float64(t.CIHighPct)), FormatP(t.Change.P), units.Num(t.TolerancePct)))
			}
		}
		if l := c.Latency99; l != nil && l.Regression {
			parts = append(parts, fmt.Sprintf("p99 latency %s -> %s ms (%s); %s%% of jobs slower than %s ms against %s%% (p%s), beyond the %s%% tolerance",
				units.Num(l.BaseP99Ms), units.Num(l.NewP99Ms), units.SignedPct(float64(l.ChangePct)), units.Num(l.NewSharePct()), units.Num(l.ThresholdMs),
				units.Num(l.BaseSharePct()), FormatP(l.P), units.Num(l.TolerancePct)))
		}
		return "REGRESSION: " + strings.Join(parts, "; ")
	}
	switch {
	case tp.NBase < 2 || tp.NNew < 2:
		return "no significant change (too few seconds recorded to test)"
	case !tp.Significant:
		return fmt.Sprintf("no significant change: mean completed/s %s (Mann-Whitney p%s)", units.SignedPct(float64(tp.MeanChangePct)), FormatP(tp.Change.P))
	case tp.MeanChangePct > 0:
		return fmt.Sprintf("no significant change for the worse: mean completed/s improved %s (Mann-Whitney p%s)", units.SignedPct(float64(tp.MeanChangePct)), FormatP(tp.Change.P))
	default:
		return fmt.Sprintf("no significant change beyond the %s%% tolerance: mean completed/s %s is detectable (p%s) but within it",
			units.Num(o.MaxRegressionPct), units.SignedPct(float64(tp.MeanChangePct)), FormatP(tp.Change.P))
	}
}

// FormatP spells a p-value after "p": "<0.001" or "=0.042".
func FormatP(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return fmt.Sprintf("=%.3f", p)
}

// incomparable lists what makes two runs measure different things.
func incomparable(base, next *RunData) []string {
	b, n := base.Report.Run, next.Report.Run
	var why []string
	if b.Mode != n.Mode {
		why = append(why, fmt.Sprintf("mode differs (%s vs %s)", b.Mode, n.Mode))
	}
	if b.Scenario != n.Scenario {
		why = append(why, fmt.Sprintf("scenario differs (%s vs %s)", b.Scenario, n.Scenario))
	}
	if mb, mn := majorVersion(b.ServerVersion), majorVersion(n.ServerVersion); mb != mn {
		why = append(why, fmt.Sprintf("server version differs (%s vs %s)", orDash(b.ServerVersion), orDash(n.ServerVersion)))
	}
	for _, k := range slices.Sorted(maps.Keys(mergeKeys(b.Workload, n.Workload))) {
		if ignoredWorkloadKey(k) {
			continue
		}
		bv, bok := b.Workload[k]
		nv, nok := n.Workload[k]
		if !bok || !nok {
			// Recorded by only one run: a field a newer pgqtune added
			// (client_procs, ...), not a workload the other run lacked.
			continue
		}
		if canonical(bv) != canonical(nv) {
			why = append(why, fmt.Sprintf("workload %s differs (%s vs %s)", k, describe(bv, bok), describe(nv, nok)))
		}
	}
	return why
}

// ignoredWorkloadKey says which workload entries do not change what one
// second of the run measures: how long it ran and the random seed.
func ignoredWorkloadKey(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "duration") || k == "seed"
}

func majorVersion(v string) string {
	v = strings.TrimSpace(v)
	i := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		return v
	}
	return v[:i]
}

func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func describe(v any, ok bool) string {
	if !ok {
		return "unset"
	}
	return canonical(v)
}

func mergeKeys[V any](a, b map[string]V) map[string]struct{} {
	out := map[string]struct{}{}
	for k := range a {
		out[k] = struct{}{}
	}
	for k := range b {
		out[k] = struct{}{}
	}
	return out
}

// PctChange is the change from before to after in percent of before (NaN
// when before is 0).
func PctChange(before, after float64) float64 {
	if before == 0 {
		return math.NaN()
	}
	return (after - before) / before * 100
}

func orDash(s string) string { return cmp.Or(s, "-") }

func delta(name, unit string, base, next float64, higherIsBetter bool) Delta {
	return Delta{Name: name, Unit: unit, Base: base, New: next, ChangePct: Num(PctChange(base, next)), HigherIsBetter: higherIsBetter}
}

// seriesMean is the series' mean, or the report's figure when there is no
// series.
func seriesMean(s []float64, fallback float64) float64 {
	if len(s) == 0 {
		return fallback
	}
	return mean(s)
}

// queryDeltas pairs statements by normalized text, the biggest by total
// time in either run first.
func queryDeltas(base, next []runrec.StatementStat) []QueryDelta {
	by := map[string]*QueryDelta{}
	get := func(text string) *QueryDelta {
		q := by[text]
		if q == nil {
			q = &QueryDelta{Text: text}
			by[text] = q
		}
		return q
	}
	var baseSum, newSum float64
	for _, s := range base {
		q := get(s.Text)
		q.Tag = s.Tag
		q.BaseCalls, q.BaseTotalMs, q.BaseMeanMs = s.Calls, s.TotalExecMs, s.MeanMs()
		baseSum += s.TotalExecMs
	}
	for _, s := range next {
		q := get(s.Text)
		q.Tag = cmp.Or(q.Tag, s.Tag)
		q.NewCalls, q.NewTotalMs, q.NewMeanMs = s.Calls, s.TotalExecMs, s.MeanMs()
		newSum += s.TotalExecMs
	}
	out := make([]QueryDelta, 0, len(by))
	for _, q := range by {
		if q.BaseTotalMs < baseSum*runrec.MinStatementShare && q.NewTotalMs < newSum*runrec.MinStatementShare {
			continue // setup and catalog queries: noise
		}
		q.MeanChangePct = Num(math.NaN())
		if q.BaseCalls > 0 && q.NewCalls > 0 {
			q.MeanChangePct = Num(PctChange(q.BaseMeanMs, q.NewMeanMs))
		}
		out = append(out, *q)
	}
	slices.SortFunc(out, func(a, b QueryDelta) int {
		return cmp.Or(cmp.Compare(max(b.BaseTotalMs, b.NewTotalMs), max(a.BaseTotalMs, a.NewTotalMs)), strings.Compare(a.Text, b.Text))
	})
	if len(out) > maxQueryRows {
		out = out[:maxQueryRows]
	}
	return out
}

// clock prints a time of day in UTC ("?" when unknown), as report does.
func clock(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("15:04:05")
}

func findingLines(d *RunData) []string {
	out := []string{}
	for _, f := range d.Report.Findings {
		out = append(out, fmt.Sprintf("%s %s %s-%s -%s", f.ID, f.Cause, clock(f.Start), clock(f.End), units.Pct(f.ThroughputDropPct)))
	}
	return out
}

// Num is a float64 that encodes NaN and infinities (a change from zero, a
// statement seen in one run only) as JSON null instead of failing.
type Num float64

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// Delta returns the named throughput or latency delta ("mean completed",
// "p99", ...), and false when there is none.
func (c *Comparison) Delta(name string) (Delta, bool) {
	for _, d := range append(append([]Delta(nil), c.Throughput...), c.Latency...) {
		if d.Name == name {
			return d, true
		}
	}
	return Delta{}, false
}
