package recommendations

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
)

// Arms of a rerun validation.
const (
	ArmWithout = "without"
	ArmWith    = "with"
)

// Measurement is one repetition of the scenario.
type Measurement struct {
	Arm string `json:"arm"`
	Rep int    `json:"rep"`
	Dir string `json:"dir,omitempty"`
	// JobsPerS is the mean completed jobs/s over the measured part.
	JobsPerS float64 `json:"jobs_per_s"`
	// P99Ms is the end-to-end p99 latency.
	P99Ms float64 `json:"p99_ms"`
	// DeadPerMin is each queue table's dead-tuple slope (n_dead_tup per
	// minute, least squares over the run); DeadMax its peak.
	DeadPerMin map[string]float64 `json:"dead_per_min,omitempty"`
	DeadMax    map[string]int64   `json:"dead_max,omitempty"`
}

// Measure reads a Measurement from a finished run's report and samples.
func Measure(rep *runrec.Report, run *runrec.Run) Measurement {
	m := Measurement{DeadPerMin: map[string]float64{}, DeadMax: map[string]int64{}}
	if rep != nil {
		m.JobsPerS = rep.Throughput.Mean
		if m.JobsPerS == 0 {
			m.JobsPerS = rep.Throughput.Baseline
		}
		m.P99Ms = rep.Throughput.LatencyMs.P99
	}
	if run != nil {
		f := newFacts(&Input{Run: run})
		for name, tf := range f.Tables {
			if tf.Queue {
				m.DeadPerMin[name] = tf.DeadSlopePerMin
				m.DeadMax[name] = tf.DeadMax
			}
		}
	}
	return m
}

// MeasureObserved reads a Measurement from an observed repetition: the
// completed jobs/s the sampler counted from the database side (the
// per-second series observe records), over the seconds from the first to
// the last tick with completions, so the workload command's start-up and
// the tick after it exits do not dilute the rate. Observe measures no
// latency: P99Ms stays 0.
func MeasureObserved(run *runrec.Run) Measurement {
	m := Measure(nil, run)
	if run == nil {
		return m
	}
	// The samples carry exact times; the ticks built from them are
	// truncated to the second.
	done := make([]int64, len(run.Samples))
	first, last := -1, -1
	for i := range run.Samples {
		for _, q := range run.Samples[i].Queues {
			done[i] += q.Completed
		}
		if done[i] > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return m
	}
	var total int64
	for _, d := range done[first : last+1] {
		total += d
	}
	// Sample i counts what completed since sample i-1: the span starts at
	// the sample before the first one with completions.
	start := run.Samples[first].T.Add(-time.Duration(math.Max(run.Meta.SamplerIntervalS, 0.1) * float64(time.Second)))
	if first > 0 {
		start = run.Samples[first-1].T
	}
	secs := run.Samples[last].T.Sub(start).Seconds()
	if secs <= 0 {
		return m
	}
	m.JobsPerS = float64(total) / secs
	return m
}

// RunOnce runs the scenario once for an arm: the caller puts the target in
// the recorded state in both arms and applies the recommendations in the
// "with" arm, after the queue is set up and before the load starts.
type RunOnce func(ctx context.Context, arm string, rep int) (*Measurement, error)

// RerunOptions configure Rerun.
type RerunOptions struct {
	// Reps is the number of repetitions per arm (default 3).
	Reps int
	// Run runs one repetition.
	Run RunOnce
	// Progress receives one line per repetition (nil: quiet).
	Progress io.Writer
	// Where says where the repetitions ran, for the validation's note;
	// default "on a scratch cluster".
	Where string
}

// Comparison is one metric, without vs with.
type Comparison struct {
	Metric string `json:"metric"`
	Unit   string `json:"unit"`
	// LowerIsBetter tells which way the recommendation should move it.
	LowerIsBetter bool      `json:"lower_is_better,omitempty"`
	Without       []float64 `json:"without"`
	With          []float64 `json:"with"`
	Before        float64   `json:"before"` // mean without
	After         float64   `json:"after"`  // mean with
	ChangePct     float64   `json:"change_pct"`
	// P is the one-sided p-value for a change in the better direction (-1
	// with fewer than 2 reps per arm: no test): the recommendation predicts
	// the direction, so the test asks only whether it moved that way.
	P           float64 `json:"p"`
	Significant bool    `json:"significant"`
	// Test names the test behind P: "paired t on log ratios" when every
	// repetition gave both arms a positive value, else "Welch".
	Test string `json:"test,omitempty"`
}

// RerunResult is the outcome of a rerun validation.
type RerunResult struct {
	Measurements []Measurement `json:"measurements"`
	Throughput   Comparison    `json:"throughput"`
	P99          Comparison    `json:"p99"`
	// Dead compares each queue table's dead-tuple slope.
	Dead []Comparison `json:"dead,omitempty"`
	// Where the repetitions ran ("on a scratch cluster", "on the target
	// ...").
	Where string `json:"where,omitempty"`
}

// alpha is the significance level of the rerun's tests.
const alpha = 0.05

// Rerun runs the scenario Reps times per arm, interleaved in ABBA order
// (without, with, with, without, ...) so drift in the machine's speed hits
// both arms alike, and compares throughput, p99 and dead-tuple growth over
// the repetitions: a paired t-test on each repetition's with/without
// ratio, or Welch's t-test where a value is missing or zero.
func Rerun(ctx context.Context, o RerunOptions) (*RerunResult, error) {
	reps := o.Reps
	if reps <= 0 {
		reps = 3
	}
	res := &RerunResult{Where: o.Where}
	if res.Where == "" {
		res.Where = "on a scratch cluster"
	}
	for i := 0; i < reps; i++ {
		order := []string{ArmWithout, ArmWith}
		if i%2 == 1 {
			order = []string{ArmWith, ArmWithout}
		}
		for _, arm := range order {
			m, err := o.Run(ctx, arm, i+1)
			if err != nil {
				return res, fmt.Errorf("rerun %s #%d: %w", arm, i+1, err)
			}
			m.Arm, m.Rep = arm, i+1
			res.Measurements = append(res.Measurements, *m)
			if o.Progress != nil {
				// An observed repetition measures no latency: no "p99 0 ms".
				p99 := ""
				if m.P99Ms > 0 {
					p99 = ", p99 " + fmtNum(m.P99Ms) + " ms"
				}
				fmt.Fprintf(o.Progress, "  %-7s #%d: %s jobs/s%s%s\n", arm, i+1, fmtNum(m.JobsPerS), p99, deadLine(m))
			}
		}
	}
	res.Throughput = compare("throughput", "jobs/s", false, res.Measurements, func(m Measurement) (float64, bool) { return m.JobsPerS, true })
	res.P99 = compare("p99", "ms", true, res.Measurements, func(m Measurement) (float64, bool) { return m.P99Ms, true })
	tables := map[string]bool{}
	for _, m := range res.Measurements {
		for t := range m.DeadPerMin {
			tables[t] = true
		}
	}
	var names []string
	for t := range tables {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		if !anyDead(res.Measurements, t) {
			// A table that never holds a row (pg-boss's partitioned
			// parent) has nothing to compare.
			continue
		}
		res.Dead = append(res.Dead, compare("dead tuples "+t, "dead_tuples/min", true, res.Measurements, func(m Measurement) (float64, bool) {
			v, ok := m.DeadPerMin[t]
			return v, ok
		}))
	}
	return res, nil
}

// anyDead reports whether any repetition saw dead tuples grow (or shrink)
// on table.
func anyDead(ms []Measurement, table string) bool {
	for _, m := range ms {
		if m.DeadPerMin[table] != 0 {
			return true
		}
	}
	return false
}

func deadLine(m *Measurement) string {
	var parts []string
	for t, v := range m.DeadPerMin {
		if v == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s dead %s/min", t, fmtNum(v)))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return ""
	}
	return ", " + strings.Join(parts, ", ")
}

func compare(metric, unit string, lowerIsBetter bool, ms []Measurement, get func(Measurement) (float64, bool)) Comparison {
	c := Comparison{Metric: metric, Unit: unit, LowerIsBetter: lowerIsBetter}
	for _, m := range ms {
		v, ok := get(m)
		if !ok {
			continue
		}
		if m.Arm == ArmWith {
			c.With = append(c.With, v)
		} else {
			c.Without = append(c.Without, v)
		}
	}
	c.Before, _ = meanVar(c.Without)
	c.After, _ = meanVar(c.With)
	if c.Before != 0 {
		c.ChangePct = (c.After - c.Before) / math.Abs(c.Before) * 100
	}
	p, up, paired := pairedLogT(c.Without, c.With)
	c.P = p
	c.Test = "paired t on log ratios"
	if !paired {
		c.P, up, c.Test = welch(c.Without, c.With), c.After > c.Before, "Welch"
	}
	if math.IsNaN(c.P) {
		c.Test = ""
	} else {
		better := up
		if lowerIsBetter {
			better = !up
		}
		if better {
			c.P /= 2
		} else {
			c.P = 1 - c.P/2
		}
	}
	c.Significant = !math.IsNaN(c.P) && c.P < alpha
	if math.IsNaN(c.P) {
		c.P = -1 // JSON has no NaN
	}
	return c
}

// Measured reports whether any repetition measured the metric: observed
// repetitions measure no latency, and a p99 of 0 in every one is not a
// result.
func (c Comparison) Measured() bool {
	for _, v := range append(append([]float64(nil), c.Without...), c.With...) {
		if v != 0 {
			return true
		}
	}
	return false
}

// String is "jobs/s 812 -> 1630 (+100.7%, p=0.002, significant)".
func (c Comparison) String() string {
	sig := "not significant"
	switch {
	case c.P < 0:
		sig = "one repetition per arm: no significance test"
	case c.Significant:
		sig = fmt.Sprintf("significant improvement, one-sided %s p=%.3g < %.2g", c.testName(), c.P, alpha)
	default:
		sig = fmt.Sprintf("no significant improvement, one-sided %s p=%.3g", c.testName(), c.P)
	}
	return fmt.Sprintf("%s %s -> %s %s (%+.1f%%; %s)", c.Metric, fmtNum(c.Before), fmtNum(c.After), c.Unit, c.ChangePct, sig)
}

// testName is Test, or Welch for comparisons recorded before it was.
func (c Comparison) testName() string {
	if c.Test == "" {
		return "Welch"
	}
	return c.Test
}

// Lines renders each measured metric, one line each. A table's dead-tuple
// growth that none of recs aims at (an index, a batch size) is labelled a
// side measure: more jobs done leave more dead tuples, which is no
// regression of the recommendation.
func (r *RerunResult) Lines(recs []runrec.Recommendation) []string {
	lines := []string{r.Throughput.String()}
	if r.P99.Measured() {
		lines = append(lines, r.P99.String())
	}
	for _, d := range r.Dead {
		aimed := false
		for _, rec := range recs {
			aimed = aimed || (rec.Kind == runrec.RecAutovacuum || rec.Kind == runrec.RecFillfactor) && d.Metric == "dead tuples "+rec.Target
		}
		line := d.String()
		if !aimed {
			line += " [a side measure: dead tuples grow with the jobs done]"
		}
		lines = append(lines, line)
	}
	return lines
}

// OpenLoop reports whether a run's load was open loop (a target rate, not
// as fast as possible): its throughput follows the rate, so a fix shows in
// latency rather than in jobs/s.
func OpenLoop(run *runrec.Run) bool {
	if run == nil {
		return false
	}
	ps, ok := run.Meta.Workload["profiles"].([]any)
	if !ok || len(ps) == 0 {
		return false
	}
	for _, p := range ps {
		switch p {
		case "max", "burndown", "steps":
			return false
		}
	}
	return true
}

// Validation turns the result into a recommendation's rerun validation:
// dead-tuple growth for autovacuum and fillfactor changes on the table they
// target; otherwise throughput, or p99 when the load was open loop (its
// throughput is pinned to the rate). The note carries every metric.
func (r *RerunResult) Validation(rec runrec.Recommendation, reps int, openLoop bool) *runrec.Validation {
	primary := r.Throughput
	if openLoop {
		primary = r.P99
	}
	if rec.Kind == runrec.RecAutovacuum || rec.Kind == runrec.RecFillfactor {
		for _, d := range r.Dead {
			if d.Metric == "dead tuples "+rec.Target {
				primary = d
			}
		}
	}
	var notes []string
	where := r.Where
	if where == "" {
		where = "on a scratch cluster"
	}
	notes = append(notes, fmt.Sprintf("%d interleaved repetitions per arm %s", reps, where))
	notes = append(notes, r.Lines([]runrec.Recommendation{rec})...)
	sig := primary.Significant
	return &runrec.Validation{
		Method:      "rerun",
		Before:      round2(primary.Before),
		After:       round2(primary.After),
		Unit:        primary.Unit,
		Note:        strings.Join(notes, "; "),
		Significant: &sig,
	}
}
