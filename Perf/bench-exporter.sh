#!/usr/bin/env bash
# GET /health servers of different builds or span settings, all started at once and loaded one at
# a time in turn (the order rotating every round), and where each server's CPU goes per request:
# its loops' and its span exporter's, from each thread's /proc/PID/task/TID/schedstat
# (nanoseconds, where /proc's clock ticks are too coarse for a thread that runs 2 % of the
# time). Spans go to a cheap receiver (nginx answering 200 on /v1/traces).
#
#   Perf/bench-exporter.sh 'NAME|BIN|ENV...' ...
#   ROUNDS=4 Perf/bench-exporter.sh "base|/tmp/base/chain|" "new|.build/release/chain|" \
#       "off|.build/release/chain|OTEL_SDK_DISABLED=true" \
#       "batch512|.build/release/chain|OTEL_BSP_MAX_EXPORT_BATCH_SIZE=512 CHAIN_SPAN_RING_SIZE=1024"
#
# Environment: ROUNDS (3), DURATION (6, seconds), CONNS (64), RATIOS ("A/B ...": for each pair of
# names, the median and quartiles of A's req/s over B's, round by round). Prints a line per
# server per round (req/s, loops' and exporter's µs of CPU a request), each server's spans
# dropped, and the ratios. The machines here swing between a slow and a fast state for tens of
# seconds at a time; short rounds (DURATION=1, ROUNDS=40) put a traced server and an untraced
# one in the same state in most rounds, and the median ratio leaves out the rounds that straddle
# a swing (Perf/RESULTS.md, "issue 14: tracing's cost in one-second pairs").
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
. Perf/lib-chain.sh
hold_build_lock "$SELF" "$@"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-6}
CONNS=${CONNS:-64}
(($# > 0)) || die "usage: Perf/bench-exporter.sh 'NAME|BIN|ENV...' ..."
for t in wrk nginx curl; do command -v $t >/dev/null || die "$t is needed (apt-get install wrk nginx-light curl)"; done
TMP=$(mktemp -d /tmp/chain-bench-exporter.XXXXXX)
names=() ports=() pids=()
cleanup() {
    kill "${pids[@]}" "$BENCH_RECV_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
RECV=$(free_port)
start_span_receiver "$TMP/nginx" "$RECV"

for spec in "$@"; do
    IFS='|' read -r name bin envs <<<"$spec"
    port=$(free_port)
    # shellcheck disable=SC2086 # ENV... is a list of NAME=VALUE words
    env OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$RECV" OTEL_SERVICE_NAME=bench $envs \
        "$bin" serve --host 127.0.0.1 --port "$port" --loops 2 >"$TMP/$name.log" 2>&1 9>&- &
    pids+=("$!") names+=("$name") ports+=("$port")
    wait_http "http://127.0.0.1:$port/health" 30 || { cat "$TMP/$name.log" >&2; die "$name did not start"; }
done

# "COMM NANOSECONDS" for each thread of PID.
threads() {
    local t
    for t in /proc/"$1"/task/*; do echo "$(cat "$t/comm") $(cut -d' ' -f1 "$t/schedstat")"; done | sort
}

n=${#names[@]}
for ((r = 0; r < ROUNDS; r++)); do
    for ((k = 0; k < n; k++)); do
        i=$(((k + r) % n))
        url="http://127.0.0.1:${ports[$i]}/health"
        wrk -t2 -c"$CONNS" -d1s "$url" >/dev/null 2>&1
        threads "${pids[$i]}" >"$TMP/t0"
        wrk -t2 -c"$CONNS" -d"${DURATION}s" "$url" >"$TMP/wrk.txt" 2>&1
        threads "${pids[$i]}" >"$TMP/t1"
        reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk.txt")
        rps=$(awk '/Requests\/sec/ { print $2 }' "$TMP/wrk.txt")
        join "$TMP/t0" "$TMP/t1" | awk -v r="$r" -v name="${names[$i]}" -v n="$reqs" -v rps="$rps" '
            { d = $3 - $2; if ($1 ~ /^loop-/) loops += d; else if ($1 == "otlp-exporter") ex += d }
            END { printf "round %d  %-12s %9.0f req/s  loops %6.3f µs/req  exporter %6.3f µs/req\n", r, name, rps, loops / 1e3 / n, ex / 1e3 / n }'
        echo "$r ${names[$i]} $rps" >>"$TMP/rps"
    done
done
for ((i = 0; i < n; i++)); do
    printf '%-12s %s\n' "${names[$i]}" "$(curl -s "http://127.0.0.1:${ports[$i]}/metrics" | grep -E '^chain_spans_dropped_total' || echo 'no metrics')"
done
for pair in ${RATIOS:-}; do
    awk -v a="${pair%/*}" -v b="${pair#*/}" '$2 == a { x[$1] = $3 } $2 == b { y[$1] = $3 }
        END { for (r in x) if ((r in y) && y[r] > 0) print x[r] / y[r] }' "$TMP/rps" | sort -g |
        awk -v p="$pair" '{ v[NR] = $1 }
            END {
                if (NR == 0) { printf "%s: no rounds\n", p; exit }
                m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%s req/s, per round: median %.3f, quartiles %.3f-%.3f, %d rounds\n", p, m, v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)], NR
            }'
done
