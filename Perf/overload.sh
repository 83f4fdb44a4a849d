#!/usr/bin/env bash
# Overload: does the chain shed instead of collapsing? The local stack of scripts/up.sh (spans
# exported at 100 %), k6 through the nginx gateway: first the peak (closed model, 64 virtual
# users), then an open model (fixed arrival rate) at 1x, 2x and 4x that peak. Reports, per step,
# goodput (200s per second), refusals (503), other errors, and the latency of the admitted
# (2xx) requests. Goals (issue 10): goodput at 4x >= 0.9 x peak, admitted p99 at 4x <= 3 x p99 at 1x.
# The load generator shares the machine's cores with the chain: read ratios, not absolute figures.
# Environment: DURATION (20s per step), WARMUP (5s), MULTIPLES ("1 2 4"), CHAIN_SERVE_FLAGS
# (e.g. "--max-in-flight 64"), SKIP_BUILD=1.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
MULTIPLES=${MULTIPLES:-1 2 4}
URL=http://127.0.0.1:${CHAIN_PORT:-8080}/api/v1/process
[[ -n "${SKIP_BUILD:-}" ]] || build_release
. Perf/lib-chain.sh
K6=$(perf_k6)
TMP=$(mktemp -d /tmp/chain-overload.XXXXXX)
cleanup() { stop_bench_chain; rm -rf "$TMP"; }
trap cleanup EXIT
start_bench_chain "$TMP"

# k6_run NAME ENV...: one k6 run; its summary lands in $TMP/NAME.json, and user-service's
# /metrics before and after it in $TMP/NAME.before and $TMP/NAME.after.
k6_run() {
    local name=$1; shift
    curl -sf http://127.0.0.1:5001/metrics >"$TMP/$name.before"
    env "$@" URL="$URL" "$K6" run --quiet --no-color --summary-export "$TMP/$name.json" Perf/overload.js \
        >"$TMP/$name.log" 2>&1 9>&- || { tail -n 20 "$TMP/$name.log" >&2; return 1; }
    curl -sf http://127.0.0.1:5001/metrics >"$TMP/$name.after"
}

# server_side NAME: "p50 p99" (ms) of the 200s user-service answered during run NAME.
server_side() {
    python3 Perf/histogram-delta.py "$TMP/$1.before" "$TMP/$1.after" | awk '{ print $2, $3 }'
}

# summary NAME SECONDS: "goodput refused other p50 p90 p99 p99.9 dropped" from a k6 summary.
summary() {
    python3 - "$TMP/$1.json" "$2" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]; secs = float(sys.argv[2])
def count(name): return m.get(name, {}).get("count", 0)
ok, refused, total = count("http_reqs{status:200}"), count("http_reqs{status:503}"), count("http_reqs")
lat = m.get("http_req_duration{expected_response:true}", {})
def q(k): return f'{lat.get(k, float("nan")):.2f}'
print(f'{ok / secs:.0f} {refused / secs:.0f} {total - ok - refused} {q("p(50)")} {q("p(90)")} {q("p(99)")} {q("p(99.9)")} {count("dropped_iterations")}')
PY
}

secs=${DURATION%s}
k6_run warmup MODE=closed VUS=64 DURATION="$WARMUP"
k6_run peak MODE=closed VUS=64 DURATION="$DURATION"
read -r peak _ _ p50 _ p99 _ _ <<<"$(summary peak "$secs")"
printf '## Overload: open-model load at multiples of the peak\n\n'
printf '%s, %s cores, k6 %s through the gateway, Perf/overload.js, `chain serve` flags: `%s`.\n\n' \
    "$(date -u +%F)" "$(nproc)" "$("$K6" version | awk '{ print $2; exit }')" "${CHAIN_SERVE_FLAGS:-(defaults)}"
printf 'Admitted latency twice: as k6 sees it (queueing in the generator and the gateway included) and\n'
printf 'as user-service answered its 200s (its own histogram, buckets interpolated).\n\n'
printf '| load | offered/s | sent/s | goodput/s | goodput / peak | 503/s | other errors | k6 p50 ms | k6 p99 ms | k6 p99.9 ms | server p50 ms | server p99 ms |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
read -r s50 s99 <<<"$(server_side peak)"
printf '| peak (closed, 64 VUs) | - | - | %s | 1.00 | - | - | %s | %s | - | %s | %s |\n' "$peak" "$p50" "$p99" "$s50" "$s99"
k99_1='' s99_1=''
for m in $MULTIPLES; do
    rate=$((peak * m))
    k6_run "open$m" MODE=open RATE="$rate" DURATION="$DURATION"
    read -r good refused other q50 _ q99 q999 dropped <<<"$(summary "open$m" "$secs")"
    read -r s50 s99 <<<"$(server_side "open$m")"
    [[ -z "$k99_1" ]] && k99_1=$q99 s99_1=$s99
    sent=$(awk -v r="$rate" -v d="$dropped" -v s="$secs" 'BEGIN { printf "%.0f", r - d / s }')
    printf '| %sx | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$m" "$rate" "$sent" "$good" \
        "$(awk -v a="$good" -v b="$peak" 'BEGIN { printf "%.2f", a / b }')" "$refused" "$other" "$q50" "$q99" "$q999" "$s50" "$s99"
done
shed=$(curl -s http://127.0.0.1:5001/metrics | awk '/^http_server_requests_shed_total/ { print $2 }')
last=${MULTIPLES##* }
printf '\nuser-service `http_server_requests_shed_total` after the runs: %s. Admitted p99 at %sx / at 1x: %s (k6), %s (server).\n' \
    "${shed:-?}" "$last" "$(awk -v a="$q99" -v b="$k99_1" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
    "$(awk -v a="$s99" -v b="$s99_1" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
printf '"sent/s" is what k6 managed to start (offered less its dropped iterations: every virtual user was waiting).\n'
