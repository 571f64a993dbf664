package runrec

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// sanitize replaces values JSON cannot carry (NaN, ±Inf: a ratio over an
// empty window, say) with 0, clamps confidences into [0, 1], and says so in
// a note, so one bad figure never costs the whole report. r is a copy owned
// by Normalize.
func sanitize(r *Report) {
	bad := map[string]bool{}
	fin := func(name string, f *float64) {
		if math.IsNaN(*f) || math.IsInf(*f, 0) {
			*f = 0
			bad[name] = true
		}
	}
	finPtr := func(name string, f **float64) {
		if *f != nil && (math.IsNaN(**f) || math.IsInf(**f, 0)) {
			*f = nil
			bad[name] = true
		}
	}
	pct := func(name string, p *Percentiles) {
		for _, f := range []*float64{&p.P50, &p.P90, &p.P95, &p.P99, &p.P999, &p.Max} {
			fin(name, f)
		}
	}
	fin("throughput.baseline", &r.Throughput.Baseline)
	fin("throughput.mean", &r.Throughput.Mean)
	pct("throughput.latency_ms", &r.Throughput.LatencyMs)
	finPtr("throughput.max_sustainable", &r.Throughput.MaxSustainable)
	for k, p := range r.Throughput.Operations {
		pct("throughput.operations", &p)
		r.Throughput.Operations[k] = p
	}
	for i := range r.Throughput.Series {
		finPtr("throughput.series.p99_ms", &r.Throughput.Series[i].P99Ms)
	}
	for i := range r.Phases {
		p := &r.Phases[i]
		fin("phases.jobs_per_s", &p.JobsPerS)
		fin("phases.drop_pct", &p.DropPct)
		fin("phases.p99_ms", &p.P99Ms)
		finPtr("phases.recovery_s", &p.RecoveryS)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		fin("findings.throughput_drop_pct", &f.ThroughputDropPct)
		fin("findings.confidence", &f.Confidence)
		fin("findings.latency_factor", &f.LatencyFactor)
		fin("findings.backlog_factor", &f.BacklogFactor)
		fin("findings.jobs_delayed", &f.JobsDelayed)
		if f.Confidence < 0 || f.Confidence > 1 {
			f.Confidence = math.Max(0, math.Min(1, f.Confidence))
			bad["findings.confidence (clamped to [0,1])"] = true
		}
		for j := range f.Evidence {
			fin("findings.evidence.value", &f.Evidence[j].Value)
			finPtr("findings.evidence.baseline", &f.Evidence[j].Baseline)
		}
		for j := range f.Alternatives {
			fin("findings.alternatives.score", &f.Alternatives[j].Score)
		}
		for j := range f.Contributing {
			fin("findings.contributing.score", &f.Contributing[j].Score)
		}
	}
	for i := range r.Recommendations {
		if v := r.Recommendations[i].Validation; v != nil {
			fin("recommendations.validation.before", &v.Before)
			fin("recommendations.validation.after", &v.After)
		}
	}
	if len(bad) == 0 {
		return
	}
	names := make([]string, 0, len(bad))
	for n := range bad {
		names = append(names, n)
	}
	sort.Strings(names)
	r.Notes = append(r.Notes, fmt.Sprintf("some figures were not finite numbers and are written as 0 or left out: %s", strings.Join(names, ", ")))
}
