package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScenariosCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := pgqtune(t, ctx, nil, "scenarios")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, name := range []string{"baseline", "peak", "ramp", "saturation", "soak", "burst", "burndown", "resilience"} {
		if !strings.Contains(r.stdout, "\n"+name+" ") {
			t.Fatalf("built-in %s not listed:\n%s", name, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "skiplocked") {
		t.Fatalf("adapters not listed:\n%s", r.stdout)
	}

	r = pgqtune(t, ctx, nil, "scenarios", "--show", "saturation")
	if r.code != 0 || !strings.Contains(r.stdout, "profile: steps") {
		t.Fatalf("--show saturation: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nphases:\n  - {name: a, profile: constant, duration: 1s, rate: -3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{"no-such-scenario", bad} {
		r = pgqtune(t, ctx, nil, "scenarios", "--show", arg)
		if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Fatalf("--show %s: exit %d, stderr %q: want exit 2 and one line", arg, r.code, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, bad+":3:") {
		t.Fatalf("error does not name file:line: %q", r.stderr)
	}
}
