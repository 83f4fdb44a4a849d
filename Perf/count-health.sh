#!/usr/bin/env bash
# Deterministic instructions per `GET /health` (the runtime and one SERVER span, no database),
# traced and untraced, for comparing builds where wall clocks are too noisy: `chain serve --loops
# 1` under valgrind callgrind (every thread: the loop and the span exporter), N requests over
# four keep-alive connections (Perf/health-load.py) after 2,000 warm-up ones.
#
#   Perf/count-health.sh [BIN...]                 # default: this checkout's release build
#   N=50000 Perf/count-health.sh /tmp/base/.build/release/chain .build/release/chain
#
# Per binary, two runs: spans exported as OTLP protobuf to a receiver that costs little (nginx
# answering 200 on /v1/traces, started here), and OTEL_SDK_DISABLED=true. Prints instructions per
# request for each, and their difference: what tracing costs a request.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
. Perf/lib-chain.sh
N=${N:-20000}
BINS=("$@"); [[ ${#BINS[@]} -gt 0 ]] || BINS=(.build/release/chain)
for t in valgrind callgrind_control nginx; do command -v $t >/dev/null || die "$t is needed (apt-get install valgrind nginx-light)"; done
TMP=$(mktemp -d /tmp/chain-count-health.XXXXXX)
RECV=$(free_port)
start_span_receiver "$TMP/nginx" "$RECV"
RECV_PID=$BENCH_RECV_PID
trap 'kill "$RECV_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT

# count BIN ENV...: instructions per request of BIN serving /health under ENV.
count() {
    local bin=$1 port; shift
    port=$(free_port)
    env "$@" valgrind --tool=callgrind --callgrind-out-file="$TMP/cg-%p.out" "$bin" serve --host 127.0.0.1 \
        --port "$port" --loops 1 >"$TMP/serve.log" 2>&1 &
    local pid=$!
    wait_http "http://127.0.0.1:$port/health" 120 || { cat "$TMP/serve.log" >&2; die "the server did not start"; }
    python3 Perf/health-load.py "$port" 2000 4 >/dev/null
    callgrind_control -z "$pid" >/dev/null 2>&1
    python3 Perf/health-load.py "$port" "$N" 4 >/dev/null
    callgrind_control -d "$pid" >/dev/null 2>&1
    kill -INT "$pid"; wait "$pid" 2>/dev/null || true
    local f; f=$(ls -t "$TMP"/cg-"$pid".out.* | head -1)
    awk -v n="$N" '/^(summary|totals):/ { printf "%d", $2 / n; exit }' "$f"
    rm -f "$TMP"/cg-"$pid".out*
}

printf '| binary | traced (exported) | OTEL_SDK_DISABLED | tracing costs |\n|---|---:|---:|---:|\n'
for b in "${BINS[@]}"; do
    bin=$TMP/chain-$RANDOM
    strip --strip-debug -o "$bin" "$b"   # valgrind 3.19 cannot read Swift's DWARF 5
    on=$(count "$bin" OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$RECV" OTEL_SERVICE_NAME=bench)
    off=$(count "$bin" OTEL_SDK_DISABLED=true)
    printf '| %s | %s | %s | %s |\n' "$b" "$on" "$off" "$((on - off))"
done
