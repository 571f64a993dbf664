package analyze_test

import (
	"strings"
	"testing"

	"github.com/pgqtune/pgqtune/analyze"
)

// TestFrameTable: one line per tick after the header, with the second's
// clock time and the claim's figures.
func TestFrameTable(t *testing.T) {
	s := newSynth(30, 5)
	s.holdXmin(10, 20)
	out := analyze.FrameTable(s.run, analyze.DefaultOptions())
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1+len(s.run.Samples) {
		t.Fatalf("%d lines for %d samples:\n%s", len(lines), len(s.run.Samples), out)
	}
	if !strings.HasPrefix(lines[0], "time ") || !strings.Contains(lines[0], "claim_ms") {
		t.Errorf("header = %q", lines[0])
	}
	first := s.run.Samples[0].T.UTC().Format("15:04:05")
	if !strings.HasPrefix(lines[1], first) {
		t.Errorf("first line %q does not start with %s", lines[1], first)
	}
	// The hold's last second has dead tuples piled up and a horizon
	// 10 s old.
	if !strings.Contains(lines[20], " 10.0 ") {
		t.Errorf("line of the hold's last second shows no 10 s horizon: %q", lines[20])
	}
}
