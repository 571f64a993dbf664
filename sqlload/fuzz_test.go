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

// FuzzLoadScenario feeds arbitrary YAML to the scenario parser: it never
// panics; a rejected file gets one *ScenarioError line naming the file; an
// accepted scenario has a sane plan and survives a round trip through its
// own YAML and a duration override.
//
// Fuzz it with -fuzzminimizetime 2s: minimizing each new input at the
// default (a minute) takes up most of a short run:
//
//	go test ./sqlload -run '^$' -fuzz '^FuzzLoadScenario$' -fuzztime 60s -fuzzminimizetime 2s
func FuzzLoadScenario(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("scenarios", "*.yaml"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"name: x\nphases: []\n",
		"name: x\nphases:\n  - {name: a, profile: constant, duration: 9223372036s}\n",
		"name: x\nrate: .nan\nphases:\n  - {name: a, profile: constant, duration: 1s}\n",
		"name: x\nrate: -1\nphases:\n  - {name: a, profile: steps, duration: 1s, step: 0, step_duration: 0s}\n",
		"name: &a x\nadapter: *a\n",
		"- 1\n- 2\n",
		"name: x\nwork_time: {dist: exp, mean: 1h}\nphases:\n  - {name: a, profile: spike, duration: 1s, spike_x: 1e308}\n",
		"name: x\nunknown_field: 1\n",
		"name: \"\\u0000\"\nphases:\n  - {name: a, profile: constant, duration: 1s}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "s.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sc, err := sqlload.LoadScenario(path)
		if err != nil {
			var se *sqlload.ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("error is not a *ScenarioError: %T %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), path) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("want one line starting with the file name, got %q", err)
			}
			return
		}
		if sc.TotalDuration() < 0 {
			t.Fatalf("accepted a scenario lasting %s", sc.TotalDuration())
		}
		for _, p := range sc.Phases {
			if r := sc.TargetRate(&p); r < 0 || r != r {
				t.Fatalf("phase %s has target rate %v", p.Name, r)
			}
		}
		again := filepath.Join(t.TempDir(), "again.yaml")
		if err := os.WriteFile(again, []byte(sc.YAML()), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlload.LoadScenario(again); err != nil {
			t.Fatalf("an accepted scenario does not reload from its own YAML: %v\n%s", err, sc.YAML())
		}
		if err := sc.Apply(sqlload.Overrides{Duration: 10 * time.Second}); err != nil {
			t.Logf("duration override refused: %v", err)
		} else if d := sc.TotalDuration(); d <= 0 {
			t.Fatalf("after a 10s override the scenario lasts %s", d)
		}
	})
}
