#!/usr/bin/env bash
# The span pipeline's cost, in one run:
#   1. recording + enqueueing one span (ns), a consumer thread draining the ring;
#   2. exporter throughput (spans/s encoded as OTLP protobuf and POSTed) to a receiver that
#      costs little: nginx answering 200 on /v1/traces;
#   3. GET /health req/s with tracing at 100 % (spans exported to that receiver) vs
#      OTEL_SDK_DISABLED=true, same wrk settings, alternating, ROUNDS rounds; and the server's
#      CPU time per request (all its threads, from /proc/PID/stat), steadier than req/s when wrk,
#      the receiver and the server share the cores;
#   4. the whole chain through the gateway (Perf/bench-chain.sh at 64 connections, every span
#      exported) vs the same with OTEL_SDK_DISABLED=true in the services, alternating,
#      CHAIN_ROUNDS rounds: req/s and CPU per request summed over every process but wrk.
# Environment: ROUNDS (3), DURATION (8s), CONNS (64), CHAIN_ROUNDS (3; 0 skips part 4),
# CHAIN_DURATION (8s), SKIP_BUILD=1, CHAIN_BIN (parts 1-3 only).
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
. Perf/lib-wrk.sh
. Perf/lib-chain.sh
hold_build_lock "$SELF" "$@"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
CONNS=${CONNS:-64}
[[ -n "${SKIP_BUILD:-}" ]] || swift build -c release --product chain >&2
BIN=${CHAIN_BIN:-.build/release/chain}   # CHAIN_BIN: another build, to compare two
TMP=$(mktemp -d /tmp/chain-bench-tracing.XXXXXX)
pids=()
# Servers start inside $(...) subshells, so their pids go to files, read back here.
cleanup() {
    local p
    for p in "${pids[@]}" $(cat "$TMP"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

# A cheap OTLP receiver: nginx reads the body and answers 200 with an empty response message.
RECV=$(free_port)
start_span_receiver "$TMP/nginx" "$RECV"
pids+=("$BENCH_RECV_PID")
wait_http "http://127.0.0.1:$RECV/v1/traces" 10 || true

printf '## Span pipeline\n\n%s, %s cores.\n\n' "$(date -u +%F)" "$(nproc)"
rec=$("$BIN" bench-spans --count 2000000)
printf -- '- Record + enqueue one span (start, 3 attributes, end; a thread draining): `%s`\n' "$rec"
exp=$("$BIN" bench-spans --count 500000 --endpoint "http://127.0.0.1:$RECV")
printf -- '- Exporter to nginx `return 200` on /v1/traces: `%s`\n\n' "$exp"

start_server() { # name env...
    local name=$1 port; shift
    port=$(free_port)
    env "$@" "$BIN" serve --host 127.0.0.1 --port "$port" --loops 2 >"$TMP/$name.log" 2>&1 9>&- &
    echo $! >"$TMP/$name.pid"
    wait_http "http://127.0.0.1:$port/health" 10
    echo "$port"
}
P_ON=$(start_server traced OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$RECV" OTEL_SERVICE_NAME=bench)
P_OFF=$(start_server untraced OTEL_SDK_DISABLED=true)

# CPU time of a server process (all its threads: loops and exporter), in clock ticks.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
TICK=$(getconf CLK_TCK)

declare -A RPS CPU
for ((r = 1; r <= ROUNDS; r++)); do
    order="on off"; ((r % 2 == 0)) && order="off on"
    for t in $order; do
        port=$P_ON pid=$(cat "$TMP/traced.pid")
        [[ $t == off ]] && port=$P_OFF pid=$(cat "$TMP/untraced.pid")
        run_wrk "http://127.0.0.1:$port/health" 2s "$CONNS" "$TMP/warm.txt" 2
        c0=$(cpu_ticks "$pid")
        run_wrk "http://127.0.0.1:$port/health" "$DURATION" "$CONNS" "$TMP/wrk-$t-$r.txt" 2
        c1=$(cpu_ticks "$pid")
        read -r rps _ <<<"$(wrk_parse "$TMP/wrk-$t-$r.txt")"
        reqs=$(awk '/requests in/ { print $1; exit }' "$TMP/wrk-$t-$r.txt")
        RPS[$t,$r]=$rps
        CPU[$t,$r]=$(awk -v d="$((c1 - c0))" -v hz="$TICK" -v n="$reqs" 'BEGIN { printf "%.2f", d / hz * 1e6 / n }')
    done
done
printf '| round | traced (100 %%, exported) req/s | OTEL_SDK_DISABLED req/s | traced / untraced | traced µs CPU/req | untraced µs CPU/req | CPU traced / untraced |\n|---|---:|---:|---:|---:|---:|---:|\n'
for ((r = 1; r <= ROUNDS; r++)); do
    printf '| %d | %s | %s | %s | %s | %s | %s |\n' "$r" "$(fmt_rps "${RPS[on,$r]}")" "$(fmt_rps "${RPS[off,$r]}")" \
        "$(ratio "${RPS[on,$r]}" "${RPS[off,$r]}")" "${CPU[on,$r]}" "${CPU[off,$r]}" "$(ratio "${CPU[on,$r]}" "${CPU[off,$r]}")"
done
metrics=$(curl -s "http://127.0.0.1:$P_ON/metrics" | grep -E '^chain_spans_(started|exported|dropped)_total' | tr '\n' ' ')
printf '\nSpan counters of the traced server after the run: `%s`\n' "$metrics"

# --- 4. the whole chain, traced vs OTEL_SDK_DISABLED -------------------------------------------
CHAIN_ROUNDS=${CHAIN_ROUNDS:-3}
CHAIN_DURATION=${CHAIN_DURATION:-8s}
((CHAIN_ROUNDS > 0)) || exit 0
declare -A CRPS CCPU CP99
for ((r = 1; r <= CHAIN_ROUNDS; r++)); do
    order="on off"; ((r % 2 == 0)) && order="off on"
    for t in $order; do
        disabled=false; [[ $t == off ]] && disabled=true
        OTEL_SDK_DISABLED=$disabled SKIP_BUILD=1 CONNS=64 DURATION="$CHAIN_DURATION" Perf/bench-chain.sh \
            >"$TMP/chain-$t-$r.txt" 2>&1 || { tail -n 20 "$TMP/chain-$t-$r.txt" >&2; exit 1; }
        read -r CRPS[$t,$r] CP99[$t,$r] CCPU[$t,$r] <<<"$(python3 Perf/chain-summary.py "$TMP/chain-$t-$r.txt" "$CHAIN_DURATION")"
    done
done
printf '\n### The whole chain (Perf/bench-chain.sh, wrk -c64 through the gateway, %s per run)\n\n' "$CHAIN_DURATION"
printf '| round | traced req/s | untraced req/s | traced / untraced | traced p99 ms | untraced p99 ms | traced µs CPU/req | untraced µs CPU/req | CPU traced / untraced |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for ((r = 1; r <= CHAIN_ROUNDS; r++)); do
    printf '| %d | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$r" "$(fmt_rps "${CRPS[on,$r]}")" "$(fmt_rps "${CRPS[off,$r]}")" \
        "$(ratio "${CRPS[on,$r]}" "${CRPS[off,$r]}")" "${CP99[on,$r]}" "${CP99[off,$r]}" \
        "${CCPU[on,$r]}" "${CCPU[off,$r]}" "$(ratio "${CCPU[on,$r]}" "${CCPU[off,$r]}")"
done
