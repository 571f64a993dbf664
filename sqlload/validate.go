package sqlload

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// pathError is a scenario value that makes no sense, located by its path in
// the document (e.g. phases, 2, rate) so the loader can name its line.
type pathError struct {
	path []any
	msg  string
}

func (e *pathError) Error() string { return pathString(e.path) + ": " + e.msg }

func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch v := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

func perr(msg string, path ...any) *pathError { return &pathError{path: path, msg: msg} }

// Limits that keep a scenario sane on a laptop and catch typos (a batch of
// 1e6 is a mistake, not a workload).
const (
	maxWorkers     = 1000
	maxBatch       = 10000
	maxQueues      = 100
	maxRate        = 1e6
	maxTotal       = 24 * time.Hour
	maxJobs        = 100_000_000
	defaultBackoff = 100 * time.Millisecond
)

// validate checks every value and that the adapter exists and accepts its
// settings. It fills nothing in: defaults are applied by withDefaults.
func (s *Scenario) validate() error {
	if s.Name == "" {
		return perr("required", "name")
	}
	f, err := LookupAdapter(s.Adapter)
	if s.Adapter == "" {
		return perr("required (one of "+strings.Join(Adapters(), ", ")+")", "adapter")
	}
	if err != nil {
		return perr(err.Error(), "adapter")
	}
	ad, err := f(context.Background(), s.adapterConfig(nil, "", "pgqtune"))
	if err != nil {
		var se *SettingError
		if errors.As(err, &se) {
			return perr(se.Msg, "adapter_settings", se.Key)
		}
		return perr(err.Error(), "adapter_settings")
	}
	if _, ok := ad.(CompleteClaimer); s.CompleteAndClaim && !ok {
		return perr(fmt.Sprintf("the %s adapter cannot complete a batch and claim the next in one transaction", s.Adapter), "complete_and_claim")
	}
	ints := []struct {
		name   string
		v      int
		lo, hi int
	}{
		{"producers", s.Producers, 1, maxWorkers},
		{"consumers", s.Consumers, 1, maxWorkers},
		{"enqueue_batch", s.EnqueueBatch, 1, maxBatch},
		{"dequeue_batch", s.DequeueBatch, 1, maxBatch},
	}
	for _, c := range ints {
		if c.v < c.lo || c.v > c.hi {
			return perr(fmt.Sprintf("%d is outside [%d, %d]", c.v, c.lo, c.hi), c.name)
		}
	}
	if s.ClientProcs < 0 || s.ClientProcs > 1024 {
		return perr(fmt.Sprintf("%d is outside [0, 1024] (0 = a quarter of the cores, at least one)", s.ClientProcs), "client_procs")
	}
	if s.PoolSize != 0 && (s.PoolSize < 2 || s.PoolSize > 2*maxWorkers) {
		return perr(fmt.Sprintf("%d is outside [2, %d] (0 = producers + consumers + 2)", s.PoolSize, 2*maxWorkers), "pool_size")
	}
	if s.Queues < 0 || s.Queues > maxQueues {
		return perr(fmt.Sprintf("%d is outside [1, %d]", s.Queues, maxQueues), "queues")
	}
	methods := []string{"", string(InsertSingle), string(InsertMultiRow), string(InsertCopy)}
	if !slices.Contains(methods, s.InsertMethod) {
		return perr(fmt.Sprintf("%q is not one of single, multirow, copy", s.InsertMethod), "insert_method")
	}
	if !(s.Rate >= 0 && s.Rate <= maxRate) { // NaN fails too
		return perr(fmt.Sprintf("%g jobs/s is outside (0, %g]", s.Rate, maxRate), "rate")
	}
	if !(s.FailureRate >= 0 && s.FailureRate < 1) {
		return perr(fmt.Sprintf("%g is outside [0, 1)", s.FailureRate), "failure_rate")
	}
	if s.MaxAttempts < 0 || s.MaxAttempts > 100 {
		return perr(fmt.Sprintf("%d is outside [1, 100]", s.MaxAttempts), "max_attempts")
	}
	if s.Priorities < 0 || s.Priorities > 1000 {
		return perr(fmt.Sprintf("%d is outside [1, 1000]", s.Priorities), "priorities")
	}
	if !(s.Delayed.Share >= 0 && s.Delayed.Share <= 1) {
		return perr(fmt.Sprintf("%g is outside [0, 1]", s.Delayed.Share), "delayed", "share")
	}
	if s.Delayed.Share > 0 && s.Delayed.By <= 0 {
		return perr("a share of delayed jobs needs `by` (how far in the future), e.g. 2s", "delayed")
	}
	if s.Wakeup != "" && s.Wakeup != "poll" && s.Wakeup != "notify" {
		return perr(fmt.Sprintf("%q is not one of poll, notify", s.Wakeup), "wakeup")
	}
	if s.WorkTime.Kind != "" && s.WorkTime.Kind != DistFixed && s.WorkTime.Kind != DistUniform && s.WorkTime.Kind != DistExponential {
		return perr(fmt.Sprintf("dist %q is not one of fixed, uniform, exponential", s.WorkTime.Kind), "work_time")
	}
	if s.WorkTime.Mean.D() > time.Minute || s.WorkTime.Max.D() > time.Minute {
		return perr("more than a minute per job is not a queue benchmark", "work_time")
	}
	if s.PayloadBytes.Max > 1<<20 {
		return perr("more than 1 MiB per job is not a queue benchmark", "payload_bytes")
	}
	if len(s.Phases) == 0 {
		return perr("at least one phase is required", "phases")
	}
	names := map[string]bool{}
	for i := range s.Phases {
		if err := s.validatePhase(i); err != nil {
			return err
		}
		p := &s.Phases[i]
		if names[p.Name] {
			return perr(fmt.Sprintf("phase name %q is used twice", p.Name), "phases", i, "name")
		}
		names[p.Name] = true
	}
	if d := s.TotalDuration(); d > maxTotal {
		return perr(fmt.Sprintf("phases last %v in all, more than %v", d, maxTotal), "phases")
	}
	return nil
}

func (s *Scenario) validatePhase(i int) error {
	p := &s.Phases[i]
	at := func(field string) []any { return []any{"phases", i, field} }
	if p.Name == "" {
		return perr("required", at("name")...)
	}
	if !slices.Contains(Profiles, p.Profile) {
		return perr(fmt.Sprintf("%q is not one of %s", p.Profile, strings.Join(Profiles, ", ")), at("profile")...)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"rate", p.Rate}, {"rate_x", p.RateX}, {"to", p.To}, {"to_x", p.ToX}, {"step", p.Step}, {"step_x", p.StepX},
		{"max_rate", p.MaxRate}, {"max_x", p.MaxX}, {"spike_rate", p.SpikeRate}, {"spike_x", p.SpikeX},
		{"step_factor", p.StepFactor}} {
		if !(r.v >= 0) || math.IsInf(r.v, 0) {
			return perr(fmt.Sprintf("%g: rates must be finite and > 0", r.v), at(r.name)...)
		}
	}
	if p.Rate > 0 && p.RateX > 0 {
		return perr("give rate or rate_x, not both", at("rate_x")...)
	}
	needsRate := p.Profile != ProfileMax && p.Profile != ProfileBurndown
	if needsRate {
		if p.Rate == 0 && s.Rate == 0 {
			return perr("needs a rate: set the phase's rate or the scenario's base rate", at("rate")...)
		}
		if r := s.TargetRate(p); !(r > 0 && r <= maxRate) {
			return perr(fmt.Sprintf("%g jobs/s is outside (0, %g]", r, maxRate), at("rate")...)
		}
	}
	if p.Profile != ProfileBurndown && p.Profile != ProfileSteps && p.Duration <= 0 {
		return perr("required and > 0 (e.g. 30s)", at("duration")...)
	}
	if p.Jobs < 0 || p.Jobs > maxJobs {
		return perr(fmt.Sprintf("%d is outside [1, %d]", p.Jobs, maxJobs), at("jobs")...)
	}
	if p.MaxDepth < 0 {
		return perr("must be > 0", at("max_depth")...)
	}
	switch p.Profile {
	case ProfileRamp:
		if p.To == 0 && p.ToX == 0 {
			return perr("a ramp needs its final rate: to or to_x", at("profile")...)
		}
	case ProfileSteps:
		if p.Step == 0 && p.StepX == 0 && p.StepFactor == 0 {
			return perr("steps need an increment: step, step_x or step_factor", at("profile")...)
		}
		if p.StepFactor != 0 && (p.StepFactor <= 1 || p.StepFactor > 10) {
			return perr(fmt.Sprintf("%g is outside (1, 10]", p.StepFactor), at("step_factor")...)
		}
		if p.StepFactor != 0 && (p.Step != 0 || p.StepX != 0) {
			return perr("give step (or step_x) or step_factor, not both", at("step_factor")...)
		}
		if p.Refine < 0 || p.Refine > 20 {
			return perr(fmt.Sprintf("%d is outside [0, 20]", p.Refine), at("refine")...)
		}
		if p.StepDuration.D() < time.Second {
			return perr("steps need step_duration >= 1s", at("step_duration")...)
		}
	case ProfileSpike:
		if p.SpikeRate == 0 && p.SpikeX == 0 {
			return perr("a spike needs spike_rate or spike_x", at("profile")...)
		}
		if p.Every <= 0 || p.SpikeDuration <= 0 || p.SpikeDuration >= p.Every {
			return perr("a spike needs 0 < spike_duration < every", at("every")...)
		}
	case ProfileBurst, ProfileBurndown:
		if p.Jobs == 0 {
			return perr(fmt.Sprintf("a %s needs jobs > 0", p.Profile), at("jobs")...)
		}
	}
	if p.Pressure != nil && p.Warmup {
		return perr("a warm-up phase cannot apply a pressure (it is excluded from every figure)", at("pressure")...)
	}
	return nil
}

// adapterConfig is the Config the scenario gives its adapter.
func (s *Scenario) adapterConfig(pool *pgxpool.Pool, dsn, schema string) *Config {
	return &Config{
		Pool: pool, DSN: dsn, Schema: schema, Queues: s.QueueNames(),
		MaxAttempts: max(s.MaxAttempts, 1), Settings: s.AdapterSettings,
		Notify: s.Wakeup == "notify",
	}
}
