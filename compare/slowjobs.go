package compare

import (
	"math"

	"github.com/pgqtune/pgqtune/runrec"
)

// SlowJobsTest is the latency gate: how many jobs of each run were slower
// than the threshold (BASE's p99 raised by the tolerance), counted from the
// per-second percentiles, and a two-proportion z-test on those shares.
//
// Jobs, not seconds, are the unit: a 10-second stall in an open-loop run
// leaves only two or three slow seconds (the backlog completes in a burst
// afterwards) but thousands of late jobs, and those are what a queue's
// users feel.
type SlowJobsTest struct {
	ThresholdMs  float64 `json:"threshold_ms"`
	TolerancePct float64 `json:"tolerance_pct"`
	BaseSlow     int64   `json:"base_slow_jobs"`
	BaseJobs     int64   `json:"base_jobs"`
	NewSlow      int64   `json:"new_slow_jobs"`
	NewJobs      int64   `json:"new_jobs"`
	Z            float64 `json:"z"`
	P            float64 `json:"p"`
	// BaseP99Ms and NewP99Ms are the runs' overall p99 (the effect size).
	BaseP99Ms float64 `json:"base_p99_ms"`
	NewP99Ms  float64 `json:"new_p99_ms"`
	ChangePct Num     `json:"p99_change_pct"`
	// Significant is P < alpha; Regression also needs the overall p99 to
	// have risen by more than the tolerance.
	Significant bool `json:"significant"`
	Regression  bool `json:"regression"`
	// Note says why the test could not be run, when it could not.
	Note string `json:"note,omitempty"`
}

// BaseSharePct is the share of BASE's jobs slower than the threshold.
func (t SlowJobsTest) BaseSharePct() float64 { return share(t.BaseSlow, t.BaseJobs) }

// NewSharePct is the share of NEW's jobs slower than the threshold.
func (t SlowJobsTest) NewSharePct() float64 { return share(t.NewSlow, t.NewJobs) }

func share(k, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n) * 100
}

// slowJobsTest runs the latency gate on two runs.
func slowJobsTest(base, next *RunData, tolPct, alpha float64) SlowJobsTest {
	t := SlowJobsTest{TolerancePct: tolPct, P: 1,
		BaseP99Ms: base.Report.Throughput.LatencyMs.P99, NewP99Ms: next.Report.Throughput.LatencyMs.P99}
	t.ChangePct = Num(PctChange(t.BaseP99Ms, t.NewP99Ms))
	bt, nt := base.latencyTicks(), next.latencyTicks()
	if len(bt) == 0 || len(nt) == 0 || t.BaseP99Ms <= 0 {
		t.Note = "no per-second latency recorded in both runs"
		return t
	}
	t.ThresholdMs = t.BaseP99Ms * (1 + tolPct/100)
	t.BaseSlow, t.BaseJobs = countSlow(bt, t.ThresholdMs)
	t.NewSlow, t.NewJobs = countSlow(nt, t.ThresholdMs)
	t.Z, t.P = twoProportionZ(t.BaseSlow, t.BaseJobs, t.NewSlow, t.NewJobs)
	t.Significant = t.P < alpha
	t.Regression = t.Significant && float64(t.ChangePct) > tolPct
	return t
}

// latencyTick is one second's completions and their latency percentiles.
type latencyTick struct {
	jobs int64
	p    runrec.Percentiles
}

// latencyTicks are the measured seconds that completed jobs.
func (d *RunData) latencyTicks() []latencyTick {
	var out []latencyTick
	if d.Run != nil && len(d.Run.Workload) > 0 {
		for _, w := range d.Run.Workload {
			if w.Warmup || w.LatencyMs == nil {
				continue
			}
			n := w.LatencyMs.Count
			if n <= 0 {
				n = w.Completed
			}
			if n > 0 {
				out = append(out, latencyTick{jobs: n, p: *w.LatencyMs})
			}
		}
		return out
	}
	for _, s := range d.Report.Throughput.Series {
		if s.P99Ms != nil && s.Completed > 0 && s.Phase != warmupPhase {
			out = append(out, latencyTick{jobs: s.Completed, p: runrec.Percentiles{P99: *s.P99Ms}})
		}
	}
	return out
}

// countSlow is a lower bound of the jobs slower than threshold: in a
// second whose p50 is above it at least half its jobs were, whose p95 is
// above it at least 5%, and so on.
func countSlow(ticks []latencyTick, threshold float64) (slow, jobs int64) {
	for _, t := range ticks {
		jobs += t.jobs
		frac := 0.0
		switch p := t.p; {
		case p.P50 > threshold:
			frac = 0.5
		case p.P90 > threshold:
			frac = 0.1
		case p.P95 > threshold:
			frac = 0.05
		case p.P99 > threshold:
			frac = 0.01
		case p.P999 > threshold:
			frac = 0.001
		}
		k := int64(math.Floor(frac * float64(t.jobs)))
		if k == 0 && (t.p.Max > threshold || frac > 0) {
			k = 1 // at least the slowest job
		}
		slow += k
	}
	return slow, jobs
}

// twoProportionZ tests whether the second share (k2 of n2) is larger than
// the first (k1 of n1), one-sided, with the pooled normal approximation.
func twoProportionZ(k1, n1, k2, n2 int64) (z, p float64) {
	if n1 == 0 || n2 == 0 {
		return 0, 1
	}
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	pool := float64(k1+k2) / float64(n1+n2)
	se := math.Sqrt(pool * (1 - pool) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		return 0, 1
	}
	z = (p2 - p1) / se
	return z, normalSF(z)
}
