package runrec

import "time"

// Meta is run.json: what ran, against what, and the driver's end-of-run
// totals that cannot be rebuilt from per-second ticks (merged histograms,
// integrity). It is written at start and rewritten (atomically) at the end.
type Meta struct {
	ID       string `json:"id"`
	Mode     string `json:"mode"` // "run" or "observe"
	Scenario string `json:"scenario"`
	// ScenarioYAML is the scenario as actually used (flags applied).
	ScenarioYAML string `json:"scenario_yaml,omitempty"`

	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at,omitempty"`

	ServerVersion    string            `json:"server_version"`
	ServerVersionNum int               `json:"server_version_num"`
	Settings         map[string]string `json:"settings"`
	// Target is host:port/db, never with a password.
	Target string `json:"target"`
	// Schema is where the built-in queue tables live (run mode).
	Schema      string   `json:"schema,omitempty"`
	QueueTables []string `json:"queue_tables,omitempty"`
	// Workload records what makes results comparable.
	Workload map[string]any `json:"workload,omitempty"`
	// Command is the workload command observe ran (observe -- COMMAND), so
	// that validate can run it again; nil when observe only watched.
	Command *Command `json:"command,omitempty"`
	// SamplerInterval is the sampler's tick, in seconds.
	SamplerIntervalS float64 `json:"sampler_interval_s,omitempty"`

	Phases []PhaseSpan `json:"phases,omitempty"`

	// Libraries are the queue libraries the sampler detected (libraries
	// package names).
	Libraries []string `json:"libraries,omitempty"`
	// StatementRoles are the sampler's decisions about which statements are
	// each queue's claim, enqueue and complete (see StatementRole).
	StatementRoles []StatementRole `json:"statement_roles,omitempty"`

	// End-of-run totals from the driver (run mode).
	Integrity      *Integrity             `json:"integrity,omitempty"`
	LatencyMs      *Percentiles           `json:"latency_ms,omitempty"`
	Operations     map[string]Percentiles `json:"operations,omitempty"`
	MaxSustainable *float64               `json:"max_sustainable,omitempty"`
	Knee           *Knee                  `json:"knee,omitempty"`

	// Interrupted is set when the run ended early (signal, lost server).
	Interrupted string   `json:"interrupted,omitempty"`
	Notes       []string `json:"notes,omitempty"`
}

// PhaseSpan is when a scenario phase ran.
type PhaseSpan struct {
	Name     string    `json:"name"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Pressure string    `json:"pressure,omitempty"`
	Warmup   bool      `json:"warmup,omitempty"`
	// Profile is the phase's load profile (constant, max, burndown, ...).
	Profile string `json:"profile,omitempty"`
	// TargetRate is the phase's intended enqueue rate (0 closed loop).
	TargetRate float64 `json:"target_rate,omitempty"`
	// JobsPerS and P99Ms are the driver's measurements over the phase:
	// completed jobs/s and end-to-end p99 (run mode).
	JobsPerS float64 `json:"jobs_per_s,omitempty"`
	P99Ms    float64 `json:"p99_ms,omitempty"`
}

// Command is a workload command as observe ran it. It never holds a
// secret: passwords in its arguments are replaced by PasswordMask, and of
// its environment only the variable names are kept.
type Command struct {
	// Args is the command and its arguments, passwords masked.
	Args []string `json:"args"`
	// Dir is the working directory it ran in.
	Dir string `json:"dir"`
	// EnvNames are the names of the environment variables it was given,
	// sorted; never their values.
	EnvNames []string `json:"env_names,omitempty"`
	// DSNEnv names the variables among EnvNames whose value was a
	// connection string for the observed database (same host, port and
	// database; the value itself is not kept): validate gives the re-run
	// command its own --dsn in them, so a load script that reads its DSN
	// from the environment loads the database validate changes.
	DSNEnv []string `json:"dsn_env,omitempty"`
	// PasswordMasked says that Args had passwords masked: validate puts the
	// password of its own --dsn back in their place.
	PasswordMasked bool `json:"password_masked,omitempty"`
}

// PasswordMask stands in for a password removed from a recorded command.
const PasswordMask = "*****"
