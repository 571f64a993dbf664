package report_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/internal/synthrun"
	"github.com/pgqtune/pgqtune/report"
)

// BenchmarkWrite renders a one-hour soak (3600 workload seconds and
// samples, a finding, two recommendations) into all three files.
func BenchmarkWrite(b *testing.B) {
	rep, run := synthrun.Synth{ID: "soak", Seed: 5, Seconds: 3600, Rate: 800, Noise: 0.05, P99Ms: 9,
		DropFrom: 1800, DropTo: 1860, DropPct: 50, WithFinding: true, WithR: true}.Build()
	dir := b.TempDir()
	b.ResetTimer()
	for b.Loop() {
		if err := report.Write(dir, rep, run); err != nil {
			b.Fatal(err)
		}
	}
}
