package report_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/report"
)

// BenchmarkWrite renders a one-hour soak (3600 workload seconds and
// samples, a finding, two recommendations) into all three files.
func BenchmarkWrite(b *testing.B) {
	rep, run := synth{ID: "soak", Seed: 5, Seconds: 3600, Rate: 800, Noise: 0.05, P99Ms: 9,
		DropFrom: 1800, DropTo: 1860, DropPct: 50, WithFinding: true, WithR: true}.build()
	dir := b.TempDir()
	b.ResetTimer()
	for b.Loop() {
		if err := report.Write(dir, rep, run); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompare compares two one-hour runs (the bootstrap dominates).
func BenchmarkCompare(b *testing.B) {
	br, brun := synth{ID: "a", Seed: 6, Seconds: 3600, Rate: 800, Noise: 0.05, P99Ms: 9}.build()
	nr, nrun := synth{ID: "b", Seed: 7, Seconds: 3600, Rate: 800, Noise: 0.05, P99Ms: 9}.build()
	base, next := &report.RunData{Report: br, Run: brun}, &report.RunData{Report: nr, Run: nrun}
	b.ResetTimer()
	for b.Loop() {
		if _, err := report.Compare(base, next, report.CompareOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
