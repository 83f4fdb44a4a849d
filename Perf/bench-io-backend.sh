#!/usr/bin/env bash
# epoll vs io_uring, side by side in one run, alternating the order every round:
#   1. GET /health on the bare runtime: two `chain serve` processes, one per backend, wrk -t2
#      -c$CONNS against each in turn (tracing off, as in Perf/bench-health.sh);
#   2. the whole chain through the nginx gateway (Perf/lib-chain.sh: three services, PostgreSQL,
#      every span exported), started with CHAIN_SERVE_FLAGS="--io-backend B" for each backend
#      in turn, wrk posting Perf/process.lua at $CHAIN_CONNS connections.
# Reports req/s and CPU per request (user+system of the server processes: the /health server;
# the three services for the chain), medians over the rounds.
# Environment: ROUNDS (3), DURATION (10s), WARMUP (2s), CONNS (64), CHAIN_ROUNDS (2),
# CHAIN_CONNS (64), LOOPS (2), SKIP_BUILD=1, BACKENDS ("epoll uring"): the variants compared,
# each a backend with optional environment for its servers after a colon, e.g.
# BACKENDS="epoll uring uring:CHAIN_URING_SEND=0" (io_uring without its batched sends).
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
. Perf/lib-wrk.sh
hold_build_lock

ROUNDS=${ROUNDS:-3}
CHAIN_ROUNDS=${CHAIN_ROUNDS:-2}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNS=${CONNS:-64}
CHAIN_CONNS=${CHAIN_CONNS:-64}
LOOPS=${LOOPS:-2}
read -r -a BACKENDS <<<"${BACKENDS:-epoll uring}"
backend_of() { printf '%s\n' "${1%%:*}"; }
# env_of VARIANT: its NAME=VALUE words (none for a bare backend).
env_of() { if [[ $1 == *:* ]]; then printf '%s\n' "${1#*:}" | tr ',' ' '; fi; }
TMP=$(mktemp -d /tmp/chain-bench-io.XXXXXX)
. Perf/lib-chain.sh
cleanup() {
    stop_wrk
    stop_bench_chain
    local f
    for f in "$TMP"/*.pid; do [[ -e "$f" ]] && { stop_pidfile "$f" 10 || true; }; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ -n "${SKIP_BUILD:-}" ]] || build_release
BIN=$(chain_bin)
HZ=$(getconf CLK_TCK)
secs=${DURATION%s}
declare -A RPS CPU

# order R: the backends, reversed on even rounds.
order() {
    if (($1 % 2)); then echo "${BACKENDS[@]}"; return; fi
    local i out=(); for ((i = ${#BACKENDS[@]} - 1; i >= 0; i--)); do out+=("${BACKENDS[i]}"); done
    echo "${out[@]}"
}
# per_request TICKS RPS: µs of CPU per request over one run of $DURATION.
per_request() { awk -v d="$1" -v hz="$HZ" -v rps="$2" -v s="$secs" 'BEGIN { printf "%.2f", d / hz * 1e6 / (rps * s) }'; }

section "GET /health: ${ROUNDS} rounds x ${DURATION}, ${CONNS} connections, ${LOOPS} loops"
export OTEL_SDK_DISABLED=true
declare -A PORT
n=0
declare -A FILE
for b in "${BACKENDS[@]}"; do
    PORT[$b]=$(free_port)
    FILE[$b]="$TMP/variant$((n++))"
    # shellcheck disable=SC2046
    env $(env_of "$b") "$BIN" serve --io-backend "$(backend_of "$b")" --port "${PORT[$b]}" --loops "$LOOPS" --host 127.0.0.1 </dev/null >"${FILE[$b]}.log" 2>&1 9>&- &
    echo $! >"${FILE[$b]}.pid"
    wait_http "http://127.0.0.1:${PORT[$b]}/health" 30 "$(cat "${FILE[$b]}.pid")" || { cat "${FILE[$b]}.log" >&2; die "$b did not start"; }
    grep -q "on $(backend_of "$b")" "${FILE[$b]}.log" || die "$b: the log does not say it runs on $(backend_of "$b"): $(cat "${FILE[$b]}.log")"
done
for ((r = 1; r <= ROUNDS; r++)); do
    for b in $(order "$r"); do
        url="http://127.0.0.1:${PORT[$b]}/health"
        run_wrk "$url" "$WARMUP" "$CONNS" "$TMP/warm.txt"
        c0=$(cpu_of "$(cat "${FILE[$b]}.pid")")
        run_wrk "$url" "$DURATION" "$CONNS" "$TMP/wrk.txt"
        c1=$(cpu_of "$(cat "${FILE[$b]}.pid")")
        read -r rps _ p99 errs non2xx < <(wrk_parse "$TMP/wrk.txt")
        ((errs + non2xx == 0)) || die "health $b round $r: $errs socket errors, $non2xx non-2xx"
        RPS[health,$b,$r]=$rps CPU[health,$b,$r]=$(per_request $((c1 - c0)) "$rps")
        log "round $r  health  $b  $(fmt_rps "$rps") req/s  p99 $p99 ms  ${CPU[health,$b,$r]} µs/req"
    done
done
for b in "${BACKENDS[@]}"; do stop_pidfile "${FILE[$b]}.pid" 10 || true; done
unset OTEL_SDK_DISABLED

section "the chain through the gateway: ${CHAIN_ROUNDS} rounds x ${DURATION}, ${CHAIN_CONNS} connections"
for ((r = 1; r <= CHAIN_ROUNDS; r++)); do
    for b in $(order "$r"); do
        # shellcheck disable=SC2046
        for e in $(env_of "$b"); do export "${e?}"; done
        CHAIN_SERVE_FLAGS="--io-backend $(backend_of "$b")" start_bench_chain "$TMP/chain-$r-$RANDOM"
        for e in $(env_of "$b"); do unset "${e%%=*}"; done
        grep -q "on $(backend_of "$b")" .run/logs/user-service.log || die "user-service does not say it runs on $b"
        url="http://127.0.0.1:8080/api/v1/process"
        wrk -t2 -c"$CHAIN_CONNS" -d"$WARMUP" -s Perf/process.lua "$url" >/dev/null 2>&1 </dev/null 9>&- || true
        svc=(); for n in user-service order-service audit-service; do svc+=("$(cat ".run/$n.pid")"); done
        c0=0; for p in "${svc[@]}"; do c0=$((c0 + $(cpu_of "$p"))); done
        wrk -t2 -c"$CHAIN_CONNS" -d"$DURATION" --latency -s Perf/process.lua "$url" >"$TMP/wrk.txt" 2>&1 </dev/null 9>&-
        c1=0; for p in "${svc[@]}"; do c1=$((c1 + $(cpu_of "$p"))); done
        read -r rps _ p99 errs non2xx < <(wrk_parse "$TMP/wrk.txt")
        ((errs + non2xx == 0)) || log "chain $b round $r: $errs socket errors, $non2xx non-2xx"
        RPS[chain,$b,$r]=$rps CPU[chain,$b,$r]=$(per_request $((c1 - c0)) "$rps")
        log "round $r  chain   $b  $(fmt_rps "$rps") req/s  p99 $p99 ms  ${CPU[chain,$b,$r]} µs/req (3 services)"
        stop_bench_chain
    done
done

med() { # med KIND BACKEND ARRAY ROUNDS
    local -n a=$3; local v=() i
    for ((i = 1; i <= $4; i++)); do v+=("${a[$1,$2,$i]}"); done
    median "${v[@]}"
}
printf '## epoll vs io_uring\n\n%s, %s cores, `Perf/bench-io-backend.sh`: %s, %s warm-up, alternating.\n\n' \
    "$(date -u +%F)" "$(nproc)" "$DURATION" "$WARMUP"
printf '| load | backend | req/s (median) | CPU µs/request (median) | rounds (req/s; µs/req) |\n|---|---|---:|---:|---|\n'
for kind in health chain; do
    n=$ROUNDS; [[ $kind == chain ]] && n=$CHAIN_ROUNDS
    for b in "${BACKENDS[@]}"; do
        rounds=''; for ((i = 1; i <= n; i++)); do rounds+="$(fmt_rps "${RPS[$kind,$b,$i]}"); ${CPU[$kind,$b,$i]}  "; done
        label="GET /health, wrk -c$CONNS, --loops $LOOPS"
        [[ $kind == chain ]] && label="POST /api/v1/process via gateway, wrk -c$CHAIN_CONNS (CPU: 3 services)"
        printf '| %s | %s | %s | %s | %s |\n' "$label" "$b" "$(fmt_rps "$(med "$kind" "$b" RPS "$n")")" "$(med "$kind" "$b" CPU "$n")" "$rounds"
    done
done
