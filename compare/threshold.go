package compare

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pgqtune/pgqtune/runrec"
	"github.com/pgqtune/pgqtune/units"
)

// Threshold is one pass/fail condition on a finished run, as written on the
// command line: "p99>500ms", "jobs_per_s<800", "findings>0". The run fails
// when the condition holds (k6's thresholds read the other way round; ours
// read like the words "fail if").
type Threshold struct {
	// Expr is the condition as given.
	Expr   string
	Metric string
	Op     string
	// Value is in the metric's unit (ms for latencies).
	Value float64
}

// thresholdMetrics are the metrics a threshold can name, with their unit
// and how to read them from a report (ok false: not measured in this run).
var thresholdMetrics = map[string]struct {
	unit string
	get  func(*runrec.Report) (float64, bool)
}{
	"p50": {"ms", latency(func(p runrec.Percentiles) float64 { return p.P50 })},
	"p95": {"ms", latency(func(p runrec.Percentiles) float64 { return p.P95 })},
	"p99": {"ms", latency(func(p runrec.Percentiles) float64 { return p.P99 })},
	"max": {"ms", latency(func(p runrec.Percentiles) float64 { return p.Max })},
	"jobs_per_s": {"jobs/s", func(r *runrec.Report) (float64, bool) {
		return r.Throughput.Mean, r.Throughput.Mean > 0 || len(r.Throughput.Series) > 0
	}},
	"baseline": {"jobs/s", func(r *runrec.Report) (float64, bool) { return r.Throughput.Baseline, true }},
	"findings": {"", func(r *runrec.Report) (float64, bool) { return float64(len(r.Findings)), true }},
	"lost": {"jobs", func(r *runrec.Report) (float64, bool) {
		if r.Integrity == nil {
			return 0, false
		}
		return float64(r.Integrity.Lost), true
	}},
	"duplicated": {"jobs", func(r *runrec.Report) (float64, bool) {
		if r.Integrity == nil {
			return 0, false
		}
		return float64(r.Integrity.Duplicated), true
	}},
}

func latency(f func(runrec.Percentiles) float64) func(*runrec.Report) (float64, bool) {
	return func(r *runrec.Report) (float64, bool) {
		return f(r.Throughput.LatencyMs), r.Throughput.LatencyMs.Measured()
	}
}

// ThresholdMetrics lists the metric names a threshold accepts, for help
// and error text.
const ThresholdMetrics = "p50, p95, p99, max (end-to-end latency), jobs_per_s (mean completed), baseline, findings, lost, duplicated"

// ParseThreshold reads "METRIC OP VALUE" (OP one of > >= < <=; spaces
// allowed; latencies take ms, s or a bare number of milliseconds).
func ParseThreshold(expr string) (Threshold, error) {
	s := strings.ReplaceAll(expr, " ", "")
	i := strings.IndexAny(s, "<>")
	if i <= 0 {
		return Threshold{}, fmt.Errorf("%q: want METRIC<VALUE or METRIC>VALUE, e.g. 'p99>500ms' or 'jobs_per_s<800'", expr)
	}
	t := Threshold{Expr: expr, Metric: strings.ToLower(s[:i]), Op: s[i : i+1]}
	rest := s[i+1:]
	if strings.HasPrefix(rest, "=") {
		t.Op += "="
		rest = rest[1:]
	}
	m, ok := thresholdMetrics[t.Metric]
	if !ok {
		return Threshold{}, fmt.Errorf("%q: unknown metric %q; known: %s", expr, t.Metric, ThresholdMetrics)
	}
	v, err := thresholdValue(rest, m.unit)
	if err != nil {
		return Threshold{}, fmt.Errorf("%q: %w", expr, err)
	}
	t.Value = v
	return t, nil
}

// thresholdValue reads a number, with a duration unit for latencies.
func thresholdValue(s, unit string) (float64, error) {
	if s == "" {
		return 0, errors.New("no value after the comparison")
	}
	if unit == "ms" && strings.IndexFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' || r == 'µ' }) >= 0 {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like 500ms or 1.5s", s)
		}
		return float64(d) / float64(time.Millisecond), nil
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "jobs/s"), "/s")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		if unit == "ms" {
			return 0, fmt.Errorf("%q is not a number or a duration like 500ms", s)
		}
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// Check evaluates t on rep. failed is true when the condition holds; got
// is the run's value. A metric the run did not measure (latency in observe
// mode) is an error: a CI gate must not pass on a figure that is not there.
func (t Threshold) Check(rep *runrec.Report) (failed bool, got float64, err error) {
	m := thresholdMetrics[t.Metric]
	got, ok := m.get(rep)
	if !ok {
		return false, 0, fmt.Errorf("--fail-if %q: this run has no %s figure", t.Expr, t.Metric)
	}
	switch t.Op {
	case ">":
		failed = got > t.Value
	case ">=":
		failed = got >= t.Value
	case "<":
		failed = got < t.Value
	case "<=":
		failed = got <= t.Value
	}
	return failed, got, nil
}

// Describe says what the run measured against the threshold, e.g.
// "p99 = 612 ms (fail if > 500 ms)".
func (t Threshold) Describe(got float64) string {
	u := thresholdMetrics[t.Metric].unit
	sp := ""
	if u != "" {
		sp = " " + u
	}
	return fmt.Sprintf("%s = %s%s (fail if %s %s%s)", t.Metric, units.Num(got), sp, t.Op, units.Num(t.Value), sp)
}
