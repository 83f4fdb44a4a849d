#!/usr/bin/env bash
# GET /health traced (every span exported to a cheap receiver) and untraced
# (OTEL_SDK_DISABLED=true), one server at a time, and where the machine's CPU goes per request:
# wrk's, the server's (all its threads) and the span receiver's, from /proc. Beside
# Perf/bench-tracing.sh, which runs both servers at once and counts the server alone.
#
#   Perf/bench-health-split.sh [BIN]          # default: this checkout's release build
#   ROUNDS=4 DURATION=8 Perf/bench-health-split.sh /tmp/base/.build/release/chain
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. Perf/lib-chain.sh
BIN=${1:-.build/release/chain}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-8}
for t in wrk nginx; do command -v $t >/dev/null || die "$t is needed (apt-get install wrk nginx-light)"; done
TMP=$(mktemp -d /tmp/chain-split.XXXXXX)
RECV=$(free_port)
start_span_receiver "$TMP/nginx" "$RECV"
RECV_PID=$BENCH_RECV_PID
trap 'kill "$RECV_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT

ticks() {   # PID...: user + system clock ticks of every thread of the processes
    local t=0 p f
    for p in "$@"; do
        for f in /proc/"$p"/task/*/stat; do
            [[ -r $f ]] || continue
            t=$((t + $(sed 's/^.*) //' "$f" | awk '{print $12 + $13}')))
        done
    done
    echo "$t"
}

receiver_ticks() {   # the receiver's master and workers
    local pids
    mapfile -t pids < <(echo "$RECV_PID"; pgrep -P "$RECV_PID" || true)
    ticks "${pids[@]}"
}

# one MODE: a line of req/s and CPU µs per request of wrk, the server and the receiver.
one() {
    local mode=$1 port pid wpid env s0 s1 r0 r1 w0 w1 hz
    port=$(free_port)
    if [[ $mode == traced ]]; then env="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$RECV"; else env=OTEL_SDK_DISABLED=true; fi
    env "$env" OTEL_SERVICE_NAME=bench "$BIN" serve --host 127.0.0.1 --port "$port" >"$TMP/serve.log" 2>&1 &
    pid=$!
    wait_http "http://127.0.0.1:$port/health" 60 || { cat "$TMP/serve.log" >&2; die "the server did not start"; }
    wrk -t2 -c64 -d2s "http://127.0.0.1:$port/health" >/dev/null
    s0=$(ticks "$pid"); r0=$(receiver_ticks)
    wrk -t2 -c64 -d"${DURATION}s" "http://127.0.0.1:$port/health" >"$TMP/wrk.txt" &
    wpid=$!
    sleep 0.2; w0=$(ticks "$wpid")
    sleep "$(awk -v d="$DURATION" 'BEGIN { print d - 0.4 }')"; w1=$(ticks "$wpid")
    wait "$wpid"
    s1=$(ticks "$pid"); r1=$(receiver_ticks)
    kill -INT "$pid"; wait "$pid" 2>/dev/null || true
    hz=$(getconf CLK_TCK)
    # wrk's ticks cover DURATION - 0.4 s of the run: scaled to the whole.
    awk -v m="$mode" -v hz="$hz" -v d="$DURATION" -v s=$((s1 - s0)) -v r=$((r1 - r0)) -v w=$((w1 - w0)) '
        /requests in/ { n = $1 } /Requests\/sec/ { rps = $2 }
        END { printf "| %s | %s | %.2f | %.2f | %.2f |\n", m, rps, w / hz * 1e6 / (n * (d - 0.4) / d), s / hz * 1e6 / n, r / hz * 1e6 / n }
    ' "$TMP/wrk.txt"
}

printf '| mode | req/s | wrk µs CPU/req | server µs CPU/req | receiver µs CPU/req |\n|---|---:|---:|---:|---:|\n'
for ((i = 1; i <= ROUNDS; i++)); do one traced; one untraced; done
