package sqlload_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgqtune/pgqtune/sqlload"
)

func TestBuiltins(t *testing.T) {
	t.Parallel()
	want := []string{"baseline", "burndown", "burst", "max", "peak", "ramp", "resilience", "saturation", "soak"}
	got := map[string]sqlload.ScenarioInfo{}
	for _, b := range sqlload.Builtins() {
		got[b.Name] = b
	}
	for _, n := range want {
		b, ok := got[n]
		if !ok {
			t.Fatalf("built-in %s missing (have %v)", n, got)
		}
		if b.Description == "" || strings.HasPrefix(b.Description, "BROKEN") || b.Duration <= 0 {
			t.Fatalf("built-in %s: %+v", n, b)
		}
	}
	t.Run("each round-trips through YAML()", func(t *testing.T) {
		for _, n := range want {
			sc, err := sqlload.LoadScenario(n)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), n+".yaml")
			if err := os.WriteFile(path, []byte(sc.YAML()), 0o644); err != nil {
				t.Fatal(err)
			}
			again, err := sqlload.LoadScenario(path)
			if err != nil {
				t.Fatalf("%s: its own YAML does not load: %v\n%s", n, err, sc.YAML())
			}
			if again.YAML() != sc.YAML() {
				t.Fatalf("%s: YAML changed on reload:\n%s\n---\n%s", n, sc.YAML(), again.YAML())
			}
		}
	})
	t.Run("saturation has a steps phase and resilience every pressure", func(t *testing.T) {
		sc, _ := sqlload.LoadScenario("saturation")
		if !hasProfile(sc, sqlload.ProfileSteps) {
			t.Fatal("saturation has no steps phase")
		}
		sc, _ = sqlload.LoadScenario("resilience")
		seen := map[string]bool{}
		for _, p := range sc.Phases {
			if p.Pressure != nil {
				seen[p.Pressure.Kind] = true
			}
		}
		for _, k := range sqlload.PressureKinds {
			if !seen[k] {
				t.Fatalf("resilience does not apply %s", k)
			}
		}
	})
}

func hasProfile(sc *sqlload.Scenario, profile string) bool {
	for _, p := range sc.Phases {
		if p.Profile == profile {
			return true
		}
	}
	return false
}

// writeScenario writes body to a temp file and loads it.
func writeScenario(t *testing.T, body string) (*sqlload.Scenario, string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := sqlload.LoadScenario(path)
	return sc, path, err
}

const goodScenario = `name: mine
adapter: skiplocked
rate: 100
phases:
  - name: steady
    profile: constant
    duration: 2s
`

func TestLoadScenarioErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		line       int
		want       string
	}{
		{"unknown top-level field", "name: x\nratee: 5\nphases: []\n", 2, `unknown field ratee`},
		{"unknown phase field", "name: x\nphases:\n  - name: a\n    profile: constant\n    duraton: 5s\n", 5, "duraton"},
		{"zero rate", "name: x\nrate: 0\nphases:\n  - {name: a, profile: constant, duration: 1s}\n", 4, "needs a rate"},
		{"negative phase rate", "name: x\nphases:\n  - name: a\n    profile: constant\n    duration: 1s\n    rate: -5\n", 6, "rates must be"},
		{"zero batch", "name: x\nenqueue_batch: 0\nphases:\n  - {name: a, profile: constant, duration: 1s}\n", 2, "enqueue_batch: 0 is outside"},
		{"silly batch", "name: x\ndequeue_batch: 1000000\nphases:\n  - {name: a, profile: constant, duration: 1s}\n", 2, "dequeue_batch"},
		{"unknown adapter", "name: x\nadapter: kafka\nphases:\n  - {name: a, profile: constant, duration: 1s}\n", 2, `unknown adapter "kafka"`},
		{"bad adapter setting", "name: x\nadapter: skiplocked\nadapter_settings:\n  completion: shred\nphases:\n  - {name: a, profile: constant, duration: 1s}\n", 4, "completion"},
		{"unknown adapter setting", "name: x\nadapter_settings:\n  colour: red\nphases:\n  - {name: a, profile: constant, duration: 1s}\n", 3, "unknown setting"},
		{"unknown profile", "name: x\nphases:\n  - name: a\n    profile: wobble\n    duration: 1s\n", 4, `"wobble" is not one of`},
		{"unknown pressure", "name: x\nphases:\n  - name: a\n    profile: constant\n    duration: 1s\n    pressure: earthquake\n", 6, "earthquake"},
		{"unknown pressure field", "name: x\nphases:\n  - name: a\n    profile: constant\n    duration: 1s\n    pressure: {kind: readers, sesions: 3}\n", 6, "sesions"},
		{"duration without unit", "name: x\nphases:\n  - name: a\n    profile: constant\n    duration: 30\n", 5, "needs a unit"},
		{"missing duration", "name: x\nphases:\n  - name: a\n    profile: constant\n", 3, "duration: required"},
		{"not yaml", "name: [unclosed\n", 1, ""},
		{"not a mapping", "- just\n- a list\n", 1, "mapping"},
		{"wrong type", "name: x\nproducers: many\nphases:\n  - {name: a, profile: constant, duration: 1s}\n", 2, "many"},
		{"failure rate 1", "name: x\nfailure_rate: 1\nphases:\n  - {name: a, profile: constant, duration: 1s}\n", 2, "failure_rate"},
		{"steps without step", "name: x\nphases:\n  - name: a\n    profile: steps\n    step_duration: 1s\n", 4, "increment"},
		{"duplicate phase", "name: x\nphases:\n  - {name: a, profile: constant, duration: 1s}\n  - {name: a, profile: constant, duration: 1s}\n", 4, "used twice"},
		{"bad work_time dist", "name: x\nwork_time: {dist: pareto, mean: 1ms}\nphases:\n  - {name: a, profile: constant, duration: 1s}\n", 2, "pareto"},
		{"complete_and_claim on river", "name: x\nadapter: river\ncomplete_and_claim: true\nphases:\n  - {name: a, profile: constant, duration: 1s}\n", 3, "complete_and_claim"},
		{"empty", "", 0, "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, path, err := writeScenario(t, c.body)
			if err == nil {
				t.Fatal("loaded without error")
			}
			var se *sqlload.ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *ScenarioError: %v", err, err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			if se.File != path || se.Line != c.line {
				t.Fatalf("error at %s:%d, want %s:%d (%s)", se.File, se.Line, path, c.line, msg)
			}
			if !strings.Contains(msg, c.want) {
				t.Fatalf("error %q does not mention %q", msg, c.want)
			}
			if strings.Contains(msg, "sqlload.") {
				t.Fatalf("error leaks Go type names: %q", msg)
			}
		})
	}
	t.Run("unknown name", func(t *testing.T) {
		_, err := sqlload.LoadScenario("no-such-scenario")
		if err == nil || !strings.Contains(err.Error(), "baseline") {
			t.Fatalf("err = %v, want one listing the built-ins", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := sqlload.LoadScenario("/nonexistent/x.yaml")
		if err == nil || !strings.Contains(err.Error(), "/nonexistent/x.yaml") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestScenarioDefaultsAndApply(t *testing.T) {
	t.Parallel()
	sc, _, err := writeScenario(t, goodScenario)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Producers != 2 || sc.Consumers != 4 || sc.EnqueueBatch != 10 || sc.Wakeup != "poll" || sc.MaxAttempts != 3 {
		t.Fatalf("defaults not filled: %+v", sc)
	}
	if got := sc.QueueTables("pgqtune"); len(got) == 0 || got[0] != "pgqtune.job" {
		t.Fatalf("QueueTables = %v", got)
	}

	t.Run("rate rescales absolute phase rates", func(t *testing.T) {
		sc := load(t, "ramp", sqlload.Overrides{Rate: 400})
		ph := sc.Phases[1]
		if got := sc.TargetRate(&ph); got != 200 {
			t.Fatalf("ramp start = %g, want 200 (0.5 x 400)", got)
		}
	})
	t.Run("duration scales measured phases, keeps warm-up", func(t *testing.T) {
		sc := load(t, "resilience", sqlload.Overrides{Duration: 22 * time.Second})
		var measured time.Duration
		for _, p := range sc.Phases {
			if p.Warmup {
				if p.Duration.D() != 3*time.Second {
					t.Fatalf("warm-up changed to %v", p.Duration)
				}
				continue
			}
			measured += p.Duration.D()
		}
		if measured < 21*time.Second || measured > 23*time.Second {
			t.Fatalf("measured phases last %v, want ~22s", measured)
		}
	})
	t.Run("adapter override drops the old adapter's settings", func(t *testing.T) {
		sc := load(t, "soak", sqlload.Overrides{Adapter: "skiplocked", Producers: 3, Consumers: 5})
		if sc.AdapterSettings["completion"] != "update" || sc.Producers != 3 || sc.Consumers != 5 {
			t.Fatalf("same adapter must keep its settings: %+v", sc)
		}
		if err := sc.Apply(sqlload.Overrides{Adapter: "pgmq"}); err != nil {
			t.Fatal(err)
		}
		if sc.Adapter != "pgmq" || len(sc.AdapterSettings) != 0 {
			t.Fatalf("adapter %q settings %v", sc.Adapter, sc.AdapterSettings)
		}
		if !strings.Contains(sc.YAML(), "adapter: pgmq") {
			t.Fatalf("YAML does not record the override:\n%s", sc.YAML())
		}
	})
	t.Run("bad overrides are errors and change nothing", func(t *testing.T) {
		sc := load(t, "baseline", sqlload.Overrides{})
		before := sc.YAML()
		for _, o := range []sqlload.Overrides{{Rate: -1}, {Adapter: "kafka"}, {Duration: -time.Second}, {Producers: -2}} {
			if err := sc.Apply(o); err == nil {
				t.Fatalf("override %+v accepted", o)
			} else if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
		}
		if sc.YAML() != before {
			t.Fatal("a failed Apply changed the scenario")
		}
	})
}
