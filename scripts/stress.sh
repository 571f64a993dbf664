#!/usr/bin/env bash
# make test-stress: the whole test suite with two CPU-bound processes beside
# it, the way a busy shared CI host runs it. Every test must pass anyway:
# tests assert what holds however slow the machine is, never a speed.
#
# Usage: scripts/stress.sh [PKGS...]   (default ./..., as `make test`)
# Knobs (environment): STRESS_HOGS (2) CPU-bound processes, GO (go),
# STRESS_TIMEOUT (20m, go test -timeout).
#
# The hogs are started here and killed here, by PID, on any exit (including
# Ctrl-C and a failing suite). The script exits with go test's status and
# prints how long the suite took.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
HOGS=${STRESS_HOGS:-2}
TIMEOUT=${STRESS_TIMEOUT:-20m}
export CGO_ENABLED=${CGO_ENABLED:-1}
if (($# == 0)); then set -- ./...; fi

pids=()
stop_hogs() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	pids=()
}
trap stop_hogs EXIT
trap 'stop_hogs; exit 130' INT
trap 'stop_hogs; exit 143' TERM

for ((i = 0; i < HOGS; i++)); do
	# A pure CPU spinner: no I/O, no memory, one core each.
	yes >/dev/null &
	pids+=("$!")
done
echo "stress: ${HOGS} CPU-bound processes running beside the suite (pids ${pids[*]})"

start=$(date +%s)
status=0
$GO test -count=1 -timeout "$TIMEOUT" "$@" || status=$?
took=$(($(date +%s) - start))
stop_hogs
echo "stress: go test $* exited ${status} after ${took} s with ${HOGS} CPU hogs"
exit "$status"
