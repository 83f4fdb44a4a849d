#!/usr/bin/env bash
# Private memory of the chain's service processes (RssAnon in /proc/PID/status), idle and under
# the chain benchmark's load: the local stack of scripts/up.sh with every span exported at 100 %
# (Perf/lib-chain.sh), wrk -t2 -cCONNS through the nginx gateway with Perf/process.lua. Per run:
#   idle    after the services answered one /process request and then rested 2 s
#   load    the highest RssAnon seen (sampled every 0.25 s) during the DURATION run
#   ring    the most spans seen waiting in one loop's ring (chain_span_ring_occupancy, sampled)
#   dropped chain_spans_dropped_total after the run (must be 0), out of chain_spans_started_total
# Several builds compare side by side: CHAIN_BINS="/tmp/chain-before /tmp/chain-after" runs them
# alternately, ROUNDS times. Environment: CHAIN_BINS (.build/release/chain), ROUNDS (1),
# DURATION (10s), CONNS (64), CHAIN_SERVE_FLAGS (passed to the services by up.sh).
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock

CHAIN_BINS=${CHAIN_BINS:-.build/release/chain}
ROUNDS=${ROUNDS:-1}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
SERVICES=(user-service order-service audit-service)
declare -A METRICS_PORT=([user-service]=5001 [order-service]=5002 [audit-service]=5003)
TMP=$(mktemp -d /tmp/chain-bench-memory.XXXXXX)
. Perf/lib-chain.sh
SAMPLER=''
cleanup() {
    [[ -n "$SAMPLER" ]] && kill "$SAMPLER" 2>/dev/null || true
    stop_bench_chain
    rm -rf "$TMP"
}
trap cleanup EXIT

kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
metric() { curl -s "http://127.0.0.1:${METRICS_PORT[$1]}/metrics" | awk -v n="$2" '$1 == n { printf "%d", $2 }'; }

printf '%s, %s cores, wrk -t2 -c%s -d%s through the gateway, Perf/process.lua, spans exported at 100 %%.\n\n' \
    "$(date -u +%F)" "$(nproc)" "$CONNS" "$DURATION"
printf '| build | service | RssAnon idle MiB | RssAnon under load (max) MiB | RssFile idle MiB | req/s | ring max | spans started | spans dropped |\n'
printf '|---|---|---:|---:|---:|---:|---:|---:|---:|\n'
for ((round = 1; round <= ROUNDS; round++)); do
    for bin in $CHAIN_BINS; do
        CHAIN_BIN=$(readlink -f "$bin") start_bench_chain "$TMP/stack"
        curl -fsS -o /dev/null -X POST http://127.0.0.1:8080/api/v1/process \
            -H 'Content-Type: application/json' -d '{"user_id": 1, "action": "purchase"}'
        sleep 2
        declare -A pid=() idle=() file=() peak=()
        for s in "${SERVICES[@]}"; do
            pid[$s]=$(pidfile_pid "$(daemon_pidfile "$s")")
            idle[$s]=$(kib "${pid[$s]}" RssAnon)
            file[$s]=$(kib "${pid[$s]}" RssFile)
        done
        # The sampler writes "service kib ring" lines (ring: the fullest loop's span ring); the
        # highest per service are the load figures.
        (while :; do
            for s in "${SERVICES[@]}"; do
                ring=$(curl -s --max-time 1 "http://127.0.0.1:${METRICS_PORT[$s]}/metrics" \
                    | awk '$1 ~ /^chain_span_ring_occupancy/ && $2 > m { m = $2 } END { print m + 0 }')
                echo "$s $(kib "${pid[$s]}" RssAnon) $ring"
            done
            sleep 0.25
        done) >"$TMP/samples" 2>/dev/null 9>&- &
        SAMPLER=$!
        wrk -t2 -c"$CONNS" -d"$DURATION" -s Perf/process.lua http://127.0.0.1:8080/api/v1/process \
            >"$TMP/wrk.txt" 2>&1 </dev/null 9>&-
        kill "$SAMPLER" 2>/dev/null || true
        wait "$SAMPLER" 2>/dev/null || true
        SAMPLER=''
        rps=$(awk '/Requests\/sec/ { printf "%d", $2 }' "$TMP/wrk.txt")
        sleep 1   # the exporters' last batches
        for s in "${SERVICES[@]}"; do
            peak[$s]=$(awk -v s="$s" '$1 == s && $2 > m { m = $2 } END { print m + 0 }' "$TMP/samples")
            ringmax=$(awk -v s="$s" '$1 == s && $3 > m { m = $3 } END { print m + 0 }' "$TMP/samples")
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$bin" "$s" "$(mib "${idle[$s]}")" \
                "$(mib "${peak[$s]}")" "$(mib "${file[$s]}")" "$rps" "$ringmax" \
                "$(metric "$s" chain_spans_started_total)" "$(metric "$s" chain_spans_dropped_total)"
        done
        stop_bench_chain
    done
done
