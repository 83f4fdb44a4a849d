#!/usr/bin/env bash
# The span pipeline's cost, in one run:
#   1. recording + enqueueing one span (ns), a consumer thread draining the ring;
#   2. exporter throughput (spans/s encoded as OTLP protobuf and POSTed) to a receiver that
#      costs little: nginx answering 200 on /v1/traces;
#   3. GET /health req/s with tracing at 100 % (spans exported to that receiver) vs
#      OTEL_SDK_DISABLED=true, same wrk settings, alternating, ROUNDS rounds; and the server's
#      CPU time per request (all its threads, from /proc/PID/stat), steadier than req/s when wrk,
#      the receiver and the server share the cores.
# Environment: ROUNDS (3), DURATION (8s), CONNS (64), SKIP_BUILD=1, CHAIN_BIN.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
. Perf/lib-wrk.sh
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
mkdir -p "$TMP/nginx/logs"
cat >"$TMP/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_buffer_size 4m;
    client_max_body_size 64m;
    client_body_temp_path $TMP/nginx/body;
    server {
        listen 127.0.0.1:$RECV;
        location = /v1/traces { default_type application/x-protobuf; return 200 ''; }
    }
}
CONF
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log" 9>&- &
pids+=($!)
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
    for t in on off; do
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
