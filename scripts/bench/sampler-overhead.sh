#!/usr/bin/env bash
# make bench hook: what does sampling pg_stat_* every second cost the
# workload? The same closed-loop run (scripts/bench/max.yaml) with the
# sampler (analyze/collect at 1 s, samples JSON-encoded as a run writes
# them) and without, interleaved BENCH_REPS times on bench.sh's cluster.
# Run by scripts/bench.sh with DSN, BENCHTOOL, BENCH_* in the environment.
set -euo pipefail
: "${DSN:?run me from scripts/bench.sh}" "${BENCHTOOL:?}"
CONNS=${BENCH_CONNS:-8}
BATCH=${BENCH_BATCH:-10}
DUR=${BENCH_DURATION:-15}
REPS=${BENCH_REPS:-3}
PSQL=("$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$DSN")

one() { # $1: sampler interval ("0" = none); prints jobs/s
	"${PSQL[@]}" -c "TRUNCATE pgqtune.job, pgqtune.job_archive" -c "CHECKPOINT"
	"$BENCHTOOL" driver --dsn "$DSN" --schema pgqtune --scenario scripts/bench/max.yaml \
		--duration "${DUR}s" --pool "$CONNS" --batch "$BATCH" \
		--producers "$(((CONNS + 2) / 3))" --consumers "$((CONNS - (CONNS + 2) / 3))" --sampler "$1" |
		sed -n 's/.*"jobs_per_s":\([0-9.]*\).*/\1/p' | awk '{ printf "%.1f\n", $1 }'
}

echo "sampler overhead: closed loop, $CONNS connections, ${DUR}s x $REPS interleaved"
printf "%-4s %18s %18s %9s\n" rep "no sampler jobs/s" "sampler 1s jobs/s" overhead
costs=()
for rep in $(seq 1 "$REPS"); do
	off=$(one 0)
	on=$(one 1s)
	cost=$(awk -v a="$off" -v b="$on" 'BEGIN { printf "%.1f", (a > 0 ? (a - b) / a * 100 : 0) }')
	costs+=("$cost")
	printf "%-4s %18s %18s %8s%%\n" "$rep" "$off" "$on" "$cost"
done
median=$(printf "%s\n" "${costs[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }')
echo "sampler overhead (median of $REPS): ${median}% of closed-loop throughput (negative = within noise)"
