package sqlload

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// lineError is a scenario error at a YAML line; LoadScenario prefixes the
// file name.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// checkKeys rejects mapping keys not in allowed: yaml.v3 forgets KnownFields
// inside custom unmarshalers, so the short/long-form types check their own.
func checkKeys(n *yaml.Node, what string, allowed ...string) error {
	if n.Kind != yaml.MappingNode {
		return &lineError{n.Line, fmt.Sprintf("%s: want a mapping", what)}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			return &lineError{k.Line, fmt.Sprintf("%s: unknown field %q (known: %s)", what, k.Value, strings.Join(allowed, ", "))}
		}
	}
	return nil
}

// UnmarshalYAML reads "250ms", "5s", "2m".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &lineError{n.Line, "want a duration such as \"5s\""}
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		if _, nerr := strconv.ParseFloat(n.Value, 64); nerr == nil {
			return &lineError{n.Line, fmt.Sprintf("duration %q needs a unit, e.g. %ss", n.Value, n.Value)}
		}
		return &lineError{n.Line, fmt.Sprintf("bad duration %q (want e.g. \"5s\", \"250ms\")", n.Value)}
	}
	if v < 0 {
		return &lineError{n.Line, fmt.Sprintf("duration %q is negative", n.Value)}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as "5s".
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Work-time distributions.
const (
	DistFixed       = "fixed"
	DistUniform     = "uniform"
	DistExponential = "exponential"
)

// Dist is a work-time distribution: "2ms" (fixed), {dist: uniform, min:
// 1ms, max: 5ms} or {dist: exponential, mean: 2ms}.
type Dist struct {
	Kind string   `yaml:"dist,omitempty"`
	Mean Duration `yaml:"mean,omitempty"`
	Min  Duration `yaml:"min,omitempty"`
	Max  Duration `yaml:"max,omitempty"`
}

// IsZero lets yaml omit an unset Dist.
func (d Dist) IsZero() bool { return d == Dist{} }

// UnmarshalYAML reads the short ("2ms") or long form.
func (d *Dist) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var v Duration
		if err := v.UnmarshalYAML(n); err != nil {
			return err
		}
		*d = Dist{Kind: DistFixed, Mean: v}
		return nil
	}
	if err := checkKeys(n, "work_time", "dist", "mean", "min", "max"); err != nil {
		return err
	}
	type plain Dist
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*d = Dist(p)
	kinds := []string{DistFixed, DistUniform, DistExponential}
	if !slices.Contains(kinds, d.Kind) {
		return &lineError{n.Line, fmt.Sprintf("work_time: dist %q is not one of %s", d.Kind, strings.Join(kinds, ", "))}
	}
	if d.Kind == DistUniform && d.Max < d.Min {
		return &lineError{n.Line, "work_time: max is below min"}
	}
	return nil
}

// MarshalYAML writes a fixed distribution in the short form.
func (d Dist) MarshalYAML() (any, error) {
	if d.Kind == DistFixed || d.Kind == "" {
		return d.Mean.String(), nil
	}
	type plain Dist
	return plain(d), nil
}

// SizeDist is a payload size in bytes: 200 or {min: 100, max: 4000}
// (uniform).
type SizeDist struct {
	Min int `yaml:"min"`
	Max int `yaml:"max"`
}

// IsZero lets yaml omit an unset SizeDist.
func (d SizeDist) IsZero() bool { return d == SizeDist{} }

// UnmarshalYAML reads the short (200) or long form.
func (d *SizeDist) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		v, err := strconv.Atoi(n.Value)
		if err != nil || v < 0 {
			return &lineError{n.Line, fmt.Sprintf("payload_bytes: want a size in bytes, got %q", n.Value)}
		}
		*d = SizeDist{Min: v, Max: v}
		return nil
	}
	if err := checkKeys(n, "payload_bytes", "min", "max"); err != nil {
		return err
	}
	type plain SizeDist
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	if p.Min < 0 || p.Max < p.Min {
		return &lineError{n.Line, "payload_bytes: want 0 <= min <= max"}
	}
	*d = SizeDist(p)
	return nil
}

// MarshalYAML writes a fixed size in the short form.
func (d SizeDist) MarshalYAML() (any, error) {
	if d.Min == d.Max {
		return d.Min, nil
	}
	type plain SizeDist
	return plain(d), nil
}

// UnmarshalYAML reads "hold_xmin" or {kind: readers, sessions: 4}.
func (p *Pressure) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*p = Pressure{Kind: n.Value}
	} else {
		if err := checkKeys(n, "pressure", "kind", "sessions", "interval", "table"); err != nil {
			return err
		}
		type plain Pressure
		var v plain
		if err := n.Decode(&v); err != nil {
			return err
		}
		*p = Pressure(v)
	}
	if !slices.Contains(PressureKinds, p.Kind) {
		return &lineError{n.Line, fmt.Sprintf("pressure %q is not one of %s", p.Kind, strings.Join(PressureKinds, ", "))}
	}
	if p.Sessions < 0 || p.Sessions > 64 {
		return &lineError{n.Line, fmt.Sprintf("pressure sessions %d is outside [1, 64]", p.Sessions)}
	}
	return nil
}

// MarshalYAML writes a pressure with only its kind in the short form.
func (p Pressure) MarshalYAML() (any, error) {
	if p.Sessions == 0 && p.Interval == 0 && p.Table == "" {
		return p.Kind, nil
	}
	type plain Pressure
	return plain(p), nil
}

// draw returns one work time from the distribution.
func (d Dist) draw(rng interface {
	Float64() float64
	ExpFloat64() float64
}) time.Duration {
	switch d.Kind {
	case DistUniform:
		return d.Min.D() + time.Duration(rng.Float64()*float64(d.Max.D()-d.Min.D()))
	case DistExponential:
		return time.Duration(rng.ExpFloat64() * float64(d.Mean.D()))
	default:
		return d.Mean.D()
	}
}
