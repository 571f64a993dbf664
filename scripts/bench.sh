#!/usr/bin/env bash
# make bench: how fast is pgqtune's workload driver, and how much memory does
# it need?
#
#  1. On ONE throwaway cluster (fsync on: this measures durable commits),
#     pgbench runs a custom script holding the skiplocked adapter's own
#     statements (enqueue multirow + claim + complete-delete, read from
#     sqlload/adapter/skiplocked/sql) with N clients, and pgqtune's driver runs the same
#     statements with N connections in the closed-loop `max` profile, twice:
#     with each statement its own transaction, as pgbench does, and
#     pipelined (complete_and_claim: a batch's completion and the next claim
#     in one round trip and one commit). The three alternate, REPS times
#     each, on the same tables (truncated and checkpointed before every run).
#     All are counted in completed jobs/s; pgbench's transactions/s (one
#     enqueue + claim + complete of BATCH jobs) and each client's CPU per job
#     are printed too. Targets: the pipelined driver's client CPU per
#     completed job <= 1.5x pgbench's (the figure that holds on a shared
#     machine), and its throughput >= 1.0x pgbench's (said to be too noisy
#     to tell when pgbench's own repetitions spread over 25 %).
#  2. A 1,000,000-job burndown under /usr/bin/time -v: peak RSS (<= 100 MB).
#  3. Every executable scripts/bench/*.sh, with the cluster's DSN in the
#     environment (DSN, BINDIR, BENCHTOOL, PGQTUNE, BENCH_WORK): add a file
#     there to add a benchmark (e.g. sampler-overhead.sh).
#
# Knobs (environment): BENCH_CONNS (8), BENCH_BATCH (10), BENCH_DURATION
# seconds per run (10), BENCH_REPS (5), BENCH_JOBS (1000000),
# BENCH_SKIP_RSS=1, BENCH_SKIP_HOOKS=1.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNS=${BENCH_CONNS:-8}
BATCH=${BENCH_BATCH:-10}
DUR=${BENCH_DURATION:-10}
REPS=${BENCH_REPS:-5}
JOBS=${BENCH_JOBS:-1000000}
GO=${GO:-go}
export CGO_ENABLED=${CGO_ENABLED:-1}

mkdir -p bin
$GO build -o bin/benchtool ./internal/benchtool
BENCHTOOL=$PWD/bin/benchtool
PGQTUNE=$PWD/bin/pgqtune
WORK=$(mktemp -d /tmp/pgqtune-bench.XXXXXX)
chmod 755 "$WORK"

# The cluster lives as long as benchtool serve's stdin stays open: the
# coprocess pipe closes when this script exits, however it exits.
coproc SERVER { exec "$BENCHTOOL" serve --fsync; }
SERVER_PID=$SERVER_PID
cleanup() {
	exec {SERVER[1]}>&- 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
DSN="" BINDIR=""
while IFS= read -r -u "${SERVER[0]}" line; do
	case $line in
	DSN=*) DSN=${line#DSN=} ;;
	BINDIR=*) BINDIR=${line#BINDIR=} ;;
	READY=1) break ;;
	esac
done
if [ -z "$DSN" ]; then
	echo "bench: the throwaway cluster did not start" >&2
	exit 1
fi
PSQL=("$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$DSN")
echo "bench: throwaway cluster (fsync on) at ${DSN%%\?*}; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $("$BINDIR/pgbench" --version)"

# ---- 1. driver vs pgbench, same SQL, same connections -----------------------
"$BENCHTOOL" setup --dsn "$DSN" --set skiplocked --schema pgqtune
mapfile -t PGBENCH_VARS < <("$BENCHTOOL" pgbench-script --sqldir sqlload/adapter/skiplocked/sql --schema pgqtune \
	--batch "$BATCH" --payload 200 --completion delete --out "$WORK/queue.pgbench")

reset_queue() {
	"${PSQL[@]}" -c "TRUNCATE pgqtune.job, pgqtune.job_archive" -c "VACUUM ANALYZE pgqtune.job" -c "CHECKPOINT"
}

# Client CPU per completed job (user + system, microseconds) is measured with
# /usr/bin/time: on a small machine the load generator competes with the
# server for the same cores, so a hungrier client costs throughput.
cpu_us_per_job() { # JOBS; reads $WORK/cpu.txt
	awk -v n="$1" '{ printf "%.1f", (n > 0 ? ($1 + $2) * 1e6 / n : 0) }' "$WORK/cpu.txt"
}

run_pgbench() { # prints completed jobs/s, transactions/s, client CPU us/job
	local out tx tps left done
	out=$(/usr/bin/time -f '%U %S' -o "$WORK/cpu.txt" "$BINDIR/pgbench" -n -M prepared -c "$CONNS" -j "$(nproc)" -T "$DUR" \
		-f "$WORK/queue.pgbench" "${PGBENCH_VARS[@]}" "$DSN" 2>&1) || {
		echo "$out" >&2
		return 1
	}
	tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$out")
	# Jobs a claim missed (another client took them first) are still
	# pending: they were enqueued but not completed, so they do not count.
	left=$("${PSQL[@]}" -At -c "SELECT count(*) FROM pgqtune.job")
	done=$((tx * BATCH - left))
	awk -v tx="$tx" -v tps="$tps" -v b="$BATCH" -v done="$done" -v cpu="$(cpu_us_per_job "$done")" \
		'BEGIN { printf "%.1f %.1f %s\n", tps*b*done/(tx*b), tps, cpu }'
}

run_driver() { # SCENARIO PRODUCERS CONSUMERS; prints completed jobs/s, client CPU us/job
	local out
	out=$(/usr/bin/time -f '%U %S' -o "$WORK/cpu.txt" "$BENCHTOOL" driver --dsn "$DSN" --schema pgqtune --scenario "$1" \
		--duration "${DUR}s" --pool "$CONNS" --batch "$BATCH" --producers "$2" --consumers "$3") || return 1
	echo "$(sed -n 's/.*"jobs_per_s":\([0-9.]*\).*/\1/p' <<<"$out" | awk '{ printf "%.1f", $1 }') $(cpu_us_per_job "$(sed -n 's/.*"completed":\([0-9]*\).*/\1/p' <<<"$out")")"
}

# Two ways for the driver to run the same statements:
#  - "same tx": like the pgbench script, each statement its own transaction
#    (enqueue, claim, complete: 3 commits per batch). Producers and consumers
#    split the connections 1:2, because a consumer commits twice per batch.
#  - "pipelined" (complete_and_claim: true): a consumer sends the completion
#    of one batch and the claim of the next as one pipelined batch, one
#    commit; producers and consumers split the connections evenly.
# The target is for the pipelined driver; "same tx" shows what the driver's
# own overhead costs when it may not save a round trip.
SAME_P=$(((CONNS + 2) / 3))
PIPE_P=$((CONNS / 2))
cp scripts/bench/max.yaml "$WORK/max-pipelined.yaml"
echo "complete_and_claim: true" >>"$WORK/max-pipelined.yaml"

median() {
	printf "%s\n" "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
fmt2() { awk -v v="$1" 'BEGIN { printf "%.2f", v }'; }

echo
echo "== driver vs pgbench: skiplocked enqueue+claim+complete, batch $BATCH, $CONNS connections, ${DUR}s x $REPS interleaved =="
printf "%-4s %11s %14s %14s %6s %14s %6s %26s\n" rep "pgbench tx/s" "pgbench jobs/s" "same-tx jobs/s" ratio "pipelined j/s" ratio "CPU us/job pgb/same/pipe"
ratios=() same_ratios=() pb_all=() pq_all=() pb_cpu=() pq_cpu=() same_cpu=() cpu_ratios=()
for rep in $(seq 1 "$REPS"); do
	reset_queue
	read -r pb_jobs pb_tps pb_c < <(run_pgbench)
	reset_queue
	read -r same_jobs same_c < <(run_driver scripts/bench/max.yaml "$SAME_P" "$((CONNS - SAME_P))")
	reset_queue
	read -r pq_jobs pq_c < <(run_driver "$WORK/max-pipelined.yaml" "$PIPE_P" "$((CONNS - PIPE_P))")
	r=$(ratio "$pq_jobs" "$pb_jobs")
	rs=$(ratio "$same_jobs" "$pb_jobs")
	ratios+=("$r") same_ratios+=("$rs") pb_all+=("$pb_jobs") pq_all+=("$pq_jobs") pb_cpu+=("$pb_c") pq_cpu+=("$pq_c") same_cpu+=("$same_c")
	cpu_ratios+=("$(ratio "$pq_c" "$pb_c")")
	printf "%-4s %11s %14s %14s %5sx %14s %5sx %26s\n" "$rep" "$pb_tps" "$pb_jobs" "$same_jobs" "$rs" "$pq_jobs" "$r" "$pb_c / $same_c / $pq_c"
done
spread() { # (max - min) / median of its arguments, in percent
	printf "%s\n" "$@" | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2); printf "%.0f", (m > 0 ? (a[NR] - a[1]) / m * 100 : 0) }'
}
range_of() { printf "%s\n" "$@" | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }
# The target: client CPU per completed job (user + system of the whole
# process, /usr/bin/time), the driver pipelined against pgbench. Each
# repetition's ratio compares two runs minutes apart at most; the median of
# those ratios is the figure, their range its spread.
cm=$(median "${cpu_ratios[@]}")
verdict=$(awk -v m="$cm" 'BEGIN { print (m <= 1.5 ? "meets" : "misses") }')
echo "client CPU per completed job: driver $(median "${pq_cpu[@]}") µs/job vs pgbench $(median "${pb_cpu[@]}") µs/job: $(fmt2 "$cm")× — $verdict ≤ 1.5× (median of $REPS interleaved repetitions' ratios; range $(range_of "${cpu_ratios[@]}")×, spread driver $(spread "${pq_cpu[@]}")%, pgbench $(spread "${pb_cpu[@]}")%; same transactions as pgbench: $(median "${same_cpu[@]}") µs/job)"
m=$(median "${ratios[@]}")
pb_spread=$(spread "${pb_all[@]}")
if awk -v z="$pb_spread" 'BEGIN { exit !(z > 25) }'; then
	verdict="too noisy to tell (pgbench's own spread ${pb_spread}% > 25%)"
else
	verdict=$(awk -v m="$m" 'BEGIN { print (m >= 1.0 ? "meets" : "misses") }')" the ≥ 1.0× target"
fi
echo "throughput, completed jobs/s driver/pgbench (median of $REPS): pipelined $(fmt2 "$m")× (range $(range_of "${ratios[@]}")×) — $verdict; same transactions as pgbench $(fmt2 "$(median "${same_ratios[@]}")")×"
echo "run-to-run spread of jobs/s (max - min over median): pgbench ${pb_spread}%, pgqtune pipelined $(spread "${pq_all[@]}")%; load average now $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 2. peak RSS of a 1,000,000-job burndown --------------------------------
if [ "${BENCH_SKIP_RSS:-0}" != 1 ]; then
	echo
	echo "== peak RSS: burndown of $JOBS jobs (/usr/bin/time -v) =="
	if [ ! -x /usr/bin/time ]; then
		echo "bench: /usr/bin/time is missing (Debian package 'time'); skipping the RSS measurement"
	else
		reset_queue
		sed "s/jobs: 1000000/jobs: $JOBS/" scripts/bench/burndown-1m.yaml >"$WORK/burndown.yaml"
		# The whole product (driver + sampler + analysis + report) when
		# `pgqtune run` can do it; the driver alone otherwise.
		what="pgqtune run --dsn ... --scenario burndown ($JOBS jobs)"
		if ! /usr/bin/time -v -o "$WORK/time.txt" "$PGQTUNE" run --dsn "$DSN" --schema bench_rss --scenario "$WORK/burndown.yaml" \
			--out "$WORK/burndown-run" -q >"$WORK/run.log" 2>&1; then
			echo "bench: pgqtune run failed ($(tail -n 1 "$WORK/run.log")); measuring the driver alone"
			reset_queue
			what="benchtool driver (sqlload.Run, no sampler) burndown ($JOBS jobs)"
			/usr/bin/time -v -o "$WORK/time.txt" "$BENCHTOOL" driver --dsn "$DSN" --schema pgqtune \
				--scenario "$WORK/burndown.yaml" >"$WORK/run.log"
		fi
		grep -h -m1 -E '"completed"|integrity' "$WORK/run.log" | sed 's/^ */  /' || true
		rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$WORK/time.txt")
		wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): \(.*\)/\1/p' "$WORK/time.txt")
		rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
		verdict=$(awk -v m="$rss_mb" 'BEGIN { print (m <= 100 ? "meets" : "MISSES") }')
		echo "$what: peak RSS ${rss_mb} MB, wall ${wall} — $verdict the <= 100 MB target"
	fi
fi

# ---- 3. hooks ------------------------------------------------------------------
if [ "${BENCH_SKIP_HOOKS:-0}" != 1 ]; then
	for hook in scripts/bench/*.sh; do
		[ -x "$hook" ] || continue
		echo
		echo "== $hook =="
		reset_queue
		DSN=$DSN BINDIR=$BINDIR BENCHTOOL=$BENCHTOOL PGQTUNE=$PGQTUNE BENCH_WORK=$WORK \
			BENCH_CONNS=$CONNS BENCH_BATCH=$BATCH BENCH_DURATION=$DUR BENCH_REPS=$REPS \
			"$hook" || echo "bench: $hook failed (exit $?)"
	done
fi
