#!/usr/bin/env bash
# Analysis speed and memory on a 24-hour run at 1 s (86,400 samples with ~50
# statements each): targets <= 2 s and <= 300 MB peak. No database needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== analyze: 24-hour run (BenchmarkAnalyzeDay; targets <= 2 s, <= 300 MB peak)"
out=$(${GO:-go} test ./analyze -run '^$' -bench 'AnalyzeDay' -benchtime 3x -benchmem)
grep -E 'Benchmark|ok|FAIL' <<<"$out"
# The figure: seconds per analysis and the peak heap of the whole process
# (recorded input included), against the targets.
awk '/^BenchmarkAnalyzeDay/ {
	for (i = 1; i <= NF; i++) {
		if ($(i) == "ns/op") s = $(i - 1) / 1e9
		if ($(i) == "total-peak-MB") mb = $(i - 1)
	}
	ok = (s > 0 && s <= 2 && mb > 0 && mb <= 300)
	printf "analysis of a recorded 24 h run at 1 s: %.2f s, peak %.1f MB — %s ≤ 2 s and ≤ 300 MB\n", s, mb, (ok ? "meets" : "misses")
}' <<<"$out"
