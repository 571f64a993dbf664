package sqlload

import (
	"fmt"
	"time"
)

// Scenario is a workload: which queue, how many workers doing what, and a
// list of phases, each with a load profile and optionally a pressure. It is
// read from YAML (LoadScenario), strictly: unknown fields are errors.
//
// Rates: the scenario's Rate is its base rate in jobs/s. A phase gives its
// rate either absolutely (rate: 300) or relative to the base (rate_x: 1.5,
// the default being rate_x: 1), so `--rate` rescales a whole scenario.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	// Adapter names the queue adapter (skiplocked, pgmq, river, ...) and
	// AdapterSettings are its settings (see each adapter's file).
	Adapter         string   `yaml:"adapter"`
	AdapterSettings Settings `yaml:"adapter_settings,omitempty"`

	// Rate is the base enqueue rate, jobs/s.
	Rate float64 `yaml:"rate,omitempty"`
	// Producers enqueue, Consumers claim and work; PoolSize is the
	// driver's connection pool (default producers + consumers + 2).
	Producers int `yaml:"producers"`
	Consumers int `yaml:"consumers"`
	PoolSize  int `yaml:"pool_size,omitempty"`
	// ClientProcs caps the driver's GOMAXPROCS while it runs (0 = a
	// quarter of the cores, at least one): an I/O-bound client given every
	// core burns CPU in the Go scheduler that the server could use.
	ClientProcs int `yaml:"client_procs,omitempty"`
	// EnqueueBatch and DequeueBatch are jobs per enqueue / claim call.
	EnqueueBatch int `yaml:"enqueue_batch"`
	DequeueBatch int `yaml:"dequeue_batch"`
	// InsertMethod is single, multirow or copy ("" = the adapter's choice).
	InsertMethod string `yaml:"insert_method,omitempty"`
	// Queues is the number of queues (named default, q2, q3, ...); jobs
	// are spread evenly, consumers claim round-robin.
	Queues int `yaml:"queues,omitempty"`

	// WorkTime is the simulated work per job: "2ms" or a distribution.
	WorkTime Dist `yaml:"work_time,omitempty"`
	// PayloadBytes is the job document's size: 200 or {min: 100, max: 4000}.
	PayloadBytes SizeDist `yaml:"payload_bytes,omitempty"`
	// FailureRate is the share of attempts that fail (then retry with
	// exponential backoff from RetryBackoff, up to MaxAttempts).
	FailureRate  float64  `yaml:"failure_rate,omitempty"`
	MaxAttempts  int      `yaml:"max_attempts,omitempty"`
	RetryBackoff Duration `yaml:"retry_backoff,omitempty"`
	// Priorities: jobs get a priority drawn uniformly from 0..Priorities-1.
	Priorities int `yaml:"priorities,omitempty"`
	// Delayed is the share of jobs scheduled in the future, and how far.
	Delayed Delayed `yaml:"delayed,omitempty"`
	// Wakeup is how idle consumers learn about new jobs: poll (sleep
	// PollInterval) or notify (LISTEN/NOTIFY, PollInterval as fallback).
	Wakeup       string   `yaml:"wakeup,omitempty"`
	PollInterval Duration `yaml:"poll_interval,omitempty"`
	// CompleteAndClaim makes each consumer complete a batch and claim its
	// next one in one round trip and one transaction (pipelined), instead
	// of a commit for each: fewer commits per job, the pattern of workers
	// that fetch while they acknowledge. Adapters that can do it implement
	// CompleteClaimer.
	CompleteAndClaim bool `yaml:"complete_and_claim,omitempty"`
	// SLOP99 is the end-to-end p99 a steps profile must stay under.
	SLOP99 Duration `yaml:"slo_p99,omitempty"`
	// Drain is how long consumers keep working off the backlog after the
	// last phase (producers stopped); 0 = stop at once.
	Drain Duration `yaml:"drain,omitempty"`

	Phases []Phase `yaml:"phases"`

	// Source is where the scenario came from (file path or builtin:NAME).
	Source string `yaml:"-"`
}

// Load profiles.
const (
	ProfileConstant = "constant" // open loop at rate
	ProfileRamp     = "ramp"     // rate -> to, linearly
	ProfileSteps    = "steps"    // rate, rate+step, ... until the queue cannot keep up
	ProfileSpike    = "spike"    // rate, with spike_rate for spike_duration every `every`
	ProfileBurst    = "burst"    // `jobs` at once at the start, then rate
	ProfileMax      = "max"      // closed loop: as fast as the producers go, backlog capped
	ProfileBurndown = "burndown" // insert `jobs` first, then work them off
)

// Profiles lists the load profiles.
var Profiles = []string{ProfileConstant, ProfileRamp, ProfileSteps, ProfileSpike, ProfileBurst, ProfileMax, ProfileBurndown}

// Phase is one stretch of a scenario.
type Phase struct {
	Name     string   `yaml:"name"`
	Profile  string   `yaml:"profile"`
	Duration Duration `yaml:"duration,omitempty"`
	// Warmup phases are excluded from every figure: histograms and
	// counters reset when they end.
	Warmup bool `yaml:"warmup,omitempty"`

	// Rate (absolute) or RateX (× the scenario's base rate).
	Rate  float64 `yaml:"rate,omitempty"`
	RateX float64 `yaml:"rate_x,omitempty"`
	// To / ToX: the ramp's final rate.
	To  float64 `yaml:"to,omitempty"`
	ToX float64 `yaml:"to_x,omitempty"`
	// Step / StepX (added) or StepFactor (multiplied), StepDuration,
	// MaxRate / MaxX and Refine (finer steps between the last good rate and
	// the knee): the steps profile.
	Step         float64  `yaml:"step,omitempty"`
	StepX        float64  `yaml:"step_x,omitempty"`
	StepFactor   float64  `yaml:"step_factor,omitempty"`
	Refine       int      `yaml:"refine,omitempty"`
	StepDuration Duration `yaml:"step_duration,omitempty"`
	MaxRate      float64  `yaml:"max_rate,omitempty"`
	MaxX         float64  `yaml:"max_x,omitempty"`
	// SpikeRate / SpikeX, Every, SpikeDuration: the spike profile.
	SpikeRate     float64  `yaml:"spike_rate,omitempty"`
	SpikeX        float64  `yaml:"spike_x,omitempty"`
	Every         Duration `yaml:"every,omitempty"`
	SpikeDuration Duration `yaml:"spike_duration,omitempty"`
	// Jobs is the burst size, or the burndown's backlog.
	Jobs int `yaml:"jobs,omitempty"`
	// MaxDepth caps the backlog of the max profile (default 5000) so a
	// closed-loop run measures the queue, not an ever-growing table.
	MaxDepth int `yaml:"max_depth,omitempty"`

	// Pressure applied while the phase runs.
	Pressure *Pressure `yaml:"pressure,omitempty"`
}

// Delayed describes delayed (scheduled) jobs.
type Delayed struct {
	Share float64  `yaml:"share,omitempty"`
	By    Duration `yaml:"by,omitempty"`
}

// IsZero lets yaml omit an unset Delayed.
func (d Delayed) IsZero() bool { return d.Share == 0 && d.By == 0 }

// Duration is a time.Duration written as "5s" in YAML.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// QueueNames returns the scenario's queue names.
func (s *Scenario) QueueNames() []string {
	n := max(s.Queues, 1)
	out := []string{"default"}
	for i := 2; i <= n; i++ {
		out = append(out, fmt.Sprintf("q%d", i))
	}
	return out
}

// phaseRate resolves an absolute-or-relative rate against the base.
func (s *Scenario) phaseRate(abs, rel, def float64) float64 {
	switch {
	case abs > 0:
		return abs
	case rel > 0:
		return rel * s.Rate
	default:
		return def * s.Rate
	}
}

// TargetRate is the phase's starting rate in jobs/s (0 for closed loop and
// burndown).
func (s *Scenario) TargetRate(p *Phase) float64 {
	switch p.Profile {
	case ProfileMax, ProfileBurndown:
		return 0
	}
	return s.phaseRate(p.Rate, p.RateX, 1)
}

// TotalDuration is the planned length of all phases (burndown phases count
// their duration cap; steps phases their full staircase).
func (s *Scenario) TotalDuration() time.Duration {
	var d time.Duration
	for i := range s.Phases {
		d += s.Phases[i].Duration.D()
	}
	return d
}
