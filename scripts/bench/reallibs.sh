#!/usr/bin/env bash
# The real libraries' throughput with and without their claim index
# (pg-boss 10.4.2, graphile-worker 0.16.6, River, pgmq), each draining a
# backlog saturated over the same history of rows its claim must skip: the
# timings the real-library tests only compare. Then the same for pg-boss as
# `pgqtune validate --apply-to-target` measures it on an observed run (the
# binary re-running the recorded `node load.js`, 4 interleaved repetitions
# per arm; TestValidateObservedPgBoss asserts only its significance). Both
# run on their test binary's own throwaway cluster, not $DSN. Skips a
# library whose Node install or pgmq files are missing, saying so.
set -euo pipefail
go test -count=1 -run '^$' -bench 'ClaimIndex' -benchtime "${BENCH_REALLIBS_REPS:-2}x" -timeout 20m ./internal/reallibs/ |
	awk '/^Benchmark/ {
		for (i = 2; i <= NF; i++) { if ($i == "jobs/s-without-index") wo = $(i-1); if ($i == "jobs/s-with-index") w = $(i-1) }
		printf "  %-40s %6.0f jobs/s without the claim index, %6.0f with it\n", $1, wo, w
	} /SKIP|skipped/ { print "  " $0 }'
echo "  pgqtune validate --apply-to-target of an observed pg-boss run (fetch index _i5 dropped, 300,000 retained jobs):"
go test -count=1 -run '^$' -bench 'ValidateObservedPgBoss' -benchtime 1x -timeout 10m ./cmd/pgqtune/ |
	awk '/^Benchmark/ {
		for (i = 2; i <= NF; i++) { if ($i == "jobs/s-without-index") wo = $(i-1); if ($i == "jobs/s-with-index") w = $(i-1) }
		printf "  %-40s %6.0f jobs/s without the fetch index, %6.0f with it\n", $1, wo, w
	} /throughput .* jobs\/s/ { sub(/^[ \t]*[^ ]*_test.go:[0-9]+: /, ""); print "    " $0 } /SKIP|skipped/ { print "  " $0 }'
