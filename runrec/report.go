package runrec

import "time"

// SchemaVersion is the version of the report.json contract written here.
const SchemaVersion = 1

// Report is report.json, schema_version 1. It is a contract other tools
// parse: fields may be added, never renamed or removed. The JSON Schema is
// report.schema.json beside it (SchemaJSON, ValidateJSON), and Normalize
// makes a Report what that schema requires.
type Report struct {
	SchemaVersion int `json:"schema_version"`
	// PgqtuneVersion is the version of pgqtune that wrote the report
	// (added in schema_version 1; absent from older reports).
	PgqtuneVersion  string           `json:"pgqtune_version,omitempty"`
	Run             RunInfo          `json:"run"`
	Throughput      Throughput       `json:"throughput"`
	Integrity       *Integrity       `json:"integrity,omitempty"`
	Phases          []PhaseResult    `json:"phases,omitempty"`
	Findings        []Finding        `json:"findings"`
	Recommendations []Recommendation `json:"recommendations"`
	Notes           []string         `json:"notes"`
}

// RunInfo says what ran, against what.
type RunInfo struct {
	ID            string            `json:"id"`
	Mode          string            `json:"mode"` // "run" or "observe"
	Scenario      string            `json:"scenario"`
	StartedAt     time.Time         `json:"started_at"`
	EndedAt       time.Time         `json:"ended_at"`
	ServerVersion string            `json:"server_version"`
	Settings      map[string]string `json:"settings"`
	// Workload records what makes two runs comparable (adapter and its
	// settings, batch sizes, insert method, connections, reloptions...).
	Workload map[string]any `json:"workload,omitempty"`
	// QueueTables are the queue tables measured.
	QueueTables []string `json:"queue_tables,omitempty"`
	// Target describes the server without secrets (host:port/db).
	Target string `json:"target,omitempty"`
}

// Throughput is the run's throughput and latency.
type Throughput struct {
	Unit     string        `json:"unit"` // "jobs/s"
	Baseline float64       `json:"baseline"`
	Series   []SeriesPoint `json:"series"`
	// LatencyMs is end-to-end latency over the measured part of the run.
	LatencyMs      Percentiles `json:"latency_ms"`
	MaxSustainable *float64    `json:"max_sustainable,omitempty"`
	Knee           *Knee       `json:"knee,omitempty"`
	// Operations are per-operation latencies (enqueue, dequeue, complete,
	// queue_wait, end_to_end).
	Operations map[string]Percentiles `json:"operations,omitempty"`
	// Mean is the mean completed jobs/s over the measured part of the run.
	Mean float64 `json:"mean,omitempty"`
}

// SeriesPoint is one second of the throughput series.
type SeriesPoint struct {
	T         time.Time `json:"t"`
	Enqueued  int64     `json:"enqueued"`
	Completed int64     `json:"completed"`
	Depth     *int64    `json:"depth,omitempty"`
	P99Ms     *float64  `json:"p99_ms,omitempty"`
	Phase     string    `json:"phase,omitempty"`
}

// Knee is where a steps scenario stopped keeping up.
type Knee struct {
	Rate   float64 `json:"rate"`
	Reason string  `json:"reason"`
}

// Integrity accounts for every job the driver enqueued (run mode).
type Integrity struct {
	Enqueued  int64 `json:"enqueued"`
	Completed int64 `json:"completed"`
	Pending   int64 `json:"pending"`
	Lost      int64 `json:"lost"`
	// Duplicated counts true duplicates: the same claim completed twice,
	// or a job completed that was never enqueued.
	Duplicated int64 `json:"duplicated"`
	// Redelivered counts jobs completed again after their claim expired
	// (expire_after, a visibility timeout) while the first worker still
	// ran: at-least-once delivery, which the verdict allows.
	Redelivered int64 `json:"redelivered,omitempty"`
	Failed      int64 `json:"failed,omitempty"`
}

// PhaseResult is how one scenario phase went.
type PhaseResult struct {
	Name      string    `json:"name"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Pressure  string    `json:"pressure,omitempty"`
	JobsPerS  float64   `json:"jobs_per_s"`
	DropPct   float64   `json:"drop_pct"`
	RecoveryS *float64  `json:"recovery_s,omitempty"`
	P99Ms     float64   `json:"p99_ms,omitempty"`
}

// Finding kinds.
const (
	FindingDrop     = "drop"      // completed jobs/s fell
	FindingLatency  = "latency"   // p99 latency rose, rate held
	FindingBacklog  = "backlog"   // queue depth / oldest job age grew
	FindingSlowdown = "slowdown"  // claim statement's mean time rose
	FindingTrend    = "trend"     // slow degradation over minutes
	FindingWholeRun = "whole_run" // not a drop yet, but will become one
	FindingOutage   = "outage"    // the server restarted or was unreachable, whether or not the rate fell
)

// Finding is one event (or whole-run condition) with its cause.
type Finding struct {
	ID                string     `json:"id"`
	Cause             string     `json:"cause"`
	Start             time.Time  `json:"start"`
	End               time.Time  `json:"end"`
	ThroughputDropPct float64    `json:"throughput_drop_pct"`
	Confidence        float64    `json:"confidence"`
	Summary           string     `json:"summary"`
	Evidence          []Evidence `json:"evidence"`
	Objects           []string   `json:"objects"`
	PIDs              []int      `json:"pids"`

	// Kind is one of the Finding* constants.
	Kind string `json:"kind,omitempty"`
	// LatencyFactor is p99 in the window over the baseline p99.
	LatencyFactor float64 `json:"latency_factor,omitempty"`
	// BacklogFactor is the queue depth growth factor in the window.
	BacklogFactor float64 `json:"backlog_factor,omitempty"`
	// JobsDelayed estimates jobs not completed on time against baseline.
	JobsDelayed float64 `json:"jobs_delayed,omitempty"`
	// Alternatives are other plausible causes, best first.
	Alternatives []CauseScore `json:"alternatives,omitempty"`
	// Contributing are other causes with their own evidence in the
	// window that did not cost the throughput the named cause did.
	Contributing []Contributor `json:"contributing,omitempty"`
}

// Contributor is a contributing cause: its code, score and one sentence.
type Contributor struct {
	Cause   string  `json:"cause"`
	Score   float64 `json:"score"`
	Summary string  `json:"summary"`
}

// CauseScore is a cause with its score in [0,1].
type CauseScore struct {
	Cause string  `json:"cause"`
	Score float64 `json:"score"`
}

// Evidence is one concrete observation behind a finding.
type Evidence struct {
	Signal string  `json:"signal"`
	Value  float64 `json:"value"`
	Detail string  `json:"detail,omitempty"`
	// Baseline is the signal's normal value, when it has one.
	Baseline *float64 `json:"baseline,omitempty"`
}

// Recommendation kinds.
const (
	RecIndex        = "index"
	RecFillfactor   = "fillfactor"
	RecAutovacuum   = "autovacuum"
	RecPartitioning = "partitioning"
	RecConfig       = "config"
	RecQuery        = "query"
	RecApplication  = "application"
)

// Recommendation is a concrete change with its SQL.
type Recommendation struct {
	ID             string      `json:"id"`
	Kind           string      `json:"kind"`
	Target         string      `json:"target"`
	SQL            string      `json:"sql"`
	Rationale      string      `json:"rationale"`
	FindingIDs     []string    `json:"finding_ids"`
	ExpectedImpact string      `json:"expected_impact"`
	Risk           string      `json:"risk"`
	Rollback       string      `json:"rollback,omitempty"`
	Informational  bool        `json:"informational,omitempty"`
	Validation     *Validation `json:"validation,omitempty"`
	// Rule names the rule that produced it (index, fillfactor, ...).
	Rule string `json:"rule,omitempty"`
}

// Validation is how a recommendation was proven.
type Validation struct {
	Method string  `json:"method"` // "hypopg", "scratch" or "rerun"
	Before float64 `json:"before"`
	After  float64 `json:"after"`
	// Unit of Before/After: "cost", "jobs/s", "ms", "dead_tuples/min".
	Unit string `json:"unit,omitempty"`
	Note string `json:"note,omitempty"`
	// Significant is set by rerun validation from its statistical test.
	Significant *bool `json:"significant,omitempty"`
}
