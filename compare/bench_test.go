package compare_test

import (
	"testing"

	"github.com/pgqtune/pgqtune/compare"
	"github.com/pgqtune/pgqtune/internal/synthrun"
)

// BenchmarkCompare compares two one-hour runs (the bootstrap dominates).
func BenchmarkCompare(b *testing.B) {
	br, brun := synthrun.Synth{ID: "a", Seed: 6, Seconds: 3600, Rate: 800, Noise: 0.05, P99Ms: 9}.Build()
	nr, nrun := synthrun.Synth{ID: "b", Seed: 7, Seconds: 3600, Rate: 800, Noise: 0.05, P99Ms: 9}.Build()
	base, next := &compare.RunData{Report: br, Run: brun}, &compare.RunData{Report: nr, Run: nrun}
	b.ResetTimer()
	for b.Loop() {
		if _, err := compare.Compare(base, next, compare.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
