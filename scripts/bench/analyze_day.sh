#!/usr/bin/env bash
# Analysis speed and memory on a 24-hour run at 1 s (86,400 samples with ~50
# statements each): targets <= 2 s and <= 300 MB peak. No database needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== analyze: 24-hour run (BenchmarkAnalyzeDay; targets <= 2 s, <= 300 MB peak)"
${GO:-go} test ./analyze -run '^$' -bench 'AnalyzeDay' -benchtime 3x -benchmem | grep -E 'Benchmark|ok|FAIL'
