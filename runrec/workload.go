package runrec

import "time"

// WorkloadTick is one second of the workload as the driver (run mode) or the
// database side (observe mode) counted it.
type WorkloadTick struct {
	// T is the start of the second (UTC).
	T time.Time `json:"t"`
	// Phase is the scenario phase this second belongs to ("" when unphased).
	Phase string `json:"phase,omitempty"`
	// Warmup marks seconds excluded from every figure.
	Warmup bool `json:"warmup,omitempty"`
	// CoveredS is the wall-clock time the tick covers when that is less
	// than a whole second: the driver's first tick (it starts mid-second)
	// and its last (it stops mid-second). 0 means a whole second. A
	// partial tick's counts are not a rate: 20 jobs in 0.09 s is not a
	// second of 20 jobs/s, so every per-second figure leaves it out (see
	// Partial).
	CoveredS float64 `json:"covered_s,omitempty"`

	Enqueued    int64 `json:"enqueued"`
	Dequeued    int64 `json:"dequeued"`
	Completed   int64 `json:"completed"`
	Failed      int64 `json:"failed,omitempty"`
	Retried     int64 `json:"retried,omitempty"`
	Redelivered int64 `json:"redelivered,omitempty"`
	// Errors counts database errors the driver saw (and retried).
	Errors int64 `json:"errors,omitempty"`
	// ConnWaits counts operations that had to wait for a pool connection.
	ConnWaits int64 `json:"conn_waits,omitempty"`

	// Depth is the queue depth at the end of the second (-1 unknown).
	Depth int64 `json:"depth"`
	// OldestPendingAgeS is the oldest waiting job's age (-1 unknown).
	OldestPendingAgeS float64 `json:"oldest_pending_age_s"`
	// ScheduleLagMs is how far open-loop producers were behind their
	// intended send times at the end of the second.
	ScheduleLagMs float64 `json:"schedule_lag_ms,omitempty"`
	// TargetRate is the intended enqueue rate this second (0 closed loop).
	TargetRate float64 `json:"target_rate,omitempty"`

	// LatencyMs are end-to-end (intended enqueue time -> completion)
	// percentiles of the jobs completed in this second; nil when none.
	LatencyMs *Percentiles `json:"latency_ms,omitempty"`
}

// Partial reports whether the tick covers less than a whole second. Its
// jobs still count in totals (integrity), never in a jobs/s figure.
func (t *WorkloadTick) Partial() bool { return t.CoveredS > 0 && t.CoveredS < 0.999 }

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90,omitempty"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9,omitempty"`
	Max  float64 `json:"max"`
	// Count is the number of observations.
	Count int64 `json:"count,omitempty"`
}

// Measured tells a latency of zero (observe mode, nothing completed) from
// a real one.
func (p Percentiles) Measured() bool {
	return p.Count > 0 || p.P50 > 0 || p.P99 > 0 || p.Max > 0
}
