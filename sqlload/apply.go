package sqlload

import (
	"errors"
	"fmt"
	"time"
)

// Overrides are command-line values that replace a scenario's own.
type Overrides struct {
	// Adapter replaces the adapter; the scenario's adapter settings are
	// dropped when the adapter changes (they belong to the old one).
	Adapter string
	// Duration replaces the measured length: a one-phase scenario gets it
	// as its duration; a phased one has its non-warm-up phases scaled so
	// they add up to it (the warm-up keeps its length).
	Duration time.Duration
	// Rate replaces the base rate; absolute phase rates scale with it.
	Rate float64
	// Producers and Consumers replace the worker counts.
	Producers, Consumers int
}

// Apply applies o (zero fields leave values alone) and re-validates. Errors
// name the flag.
func (s *Scenario) Apply(o Overrides) error {
	c := s.clone()
	if o.Adapter != "" && o.Adapter != c.Adapter {
		c.Adapter, c.AdapterSettings = o.Adapter, nil
	}
	if o.Rate < 0 {
		return fmt.Errorf("--rate: %g jobs/s must be > 0", o.Rate)
	}
	if o.Rate > 0 {
		if o.Rate > maxRate {
			return fmt.Errorf("--rate: %g jobs/s is above %g", o.Rate, maxRate)
		}
		f := o.Rate / c.Rate
		if c.Rate == 0 {
			f = 1
		}
		for i := range c.Phases {
			p := &c.Phases[i]
			for _, r := range []*float64{&p.Rate, &p.To, &p.Step, &p.MaxRate, &p.SpikeRate} {
				*r *= f
			}
		}
		c.Rate = o.Rate
	}
	if o.Producers < 0 || o.Consumers < 0 {
		return errors.New("--producers/--consumers: must be > 0")
	}
	if o.Producers > 0 {
		c.Producers = o.Producers
	}
	if o.Consumers > 0 {
		c.Consumers = o.Consumers
	}
	if o.Duration < 0 {
		return fmt.Errorf("--duration: %v must be > 0", o.Duration)
	}
	if o.Duration > 0 {
		c.scaleTo(o.Duration)
	}
	if err := c.validate(); err != nil {
		var pe *pathError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s (after command-line overrides): %s", s.Source, pe.Error())
		}
		return fmt.Errorf("%s (after command-line overrides): %w", s.Source, err)
	}
	*s = *c
	return nil
}

// scaleTo makes the measured (non-warm-up) phases last d in all. Steps and
// burndown phases have no fixed length: d caps them instead.
func (s *Scenario) scaleTo(d time.Duration) {
	var measured time.Duration
	n := 0
	for i := range s.Phases {
		if !s.Phases[i].Warmup {
			measured += s.Phases[i].Duration.D()
			n++
		}
	}
	for i := range s.Phases {
		p := &s.Phases[i]
		if p.Warmup {
			continue
		}
		switch {
		case measured > 0:
			p.Duration = Duration(time.Duration(float64(d) * float64(p.Duration) / float64(measured)).Round(time.Millisecond))
		default:
			p.Duration = Duration(d / time.Duration(n))
		}
		if p.Profile == ProfileSteps && p.StepDuration.D() > p.Duration.D() {
			p.StepDuration = p.Duration
		}
		if p.Profile == ProfileSpike && p.Every.D() > p.Duration.D() {
			// Keep at least one spike in the shortened phase.
			p.Every = p.Duration
			if p.SpikeDuration >= p.Every {
				p.SpikeDuration = p.Every / 3
			}
		}
	}
}

// clone deep-copies the scenario.
func (s *Scenario) clone() *Scenario {
	c := *s
	if s.AdapterSettings != nil {
		c.AdapterSettings = make(Settings, len(s.AdapterSettings))
		for k, v := range s.AdapterSettings {
			c.AdapterSettings[k] = v
		}
	}
	c.Phases = make([]Phase, len(s.Phases))
	for i, p := range s.Phases {
		if p.Pressure != nil {
			pp := *p.Pressure
			p.Pressure = &pp
		}
		c.Phases[i] = p
	}
	return &c
}
