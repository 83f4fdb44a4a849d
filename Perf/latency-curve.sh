#!/usr/bin/env bash
# shellcheck disable=SC2016  # the backticks in printf formats are markdown, not expansions
# Latency as users feel it (issue 15): the latency curve of the chain under an open-model load.
# The local stack of scripts/up.sh (spans exported at 100 %), k6 through the nginx gateway: first
# the peak (closed model, 64 virtual users, as Perf/overload.sh), then a fixed arrival rate
# (constant-arrival-rate, Perf/overload.js MODE=open) at STEPS percent of that peak, each step a
# WARMUP at its rate then STEP_DURATION measured. Per step: offered and achieved (2xx) rate,
# client p50/p90/p99/p99.9 of the 2xx answers (k6), errors (non-2xx, dropped iterations), the
# server side from user-service's own histogram (http_server_request_duration_seconds, /process,
# 200; scraped before and after the step, Perf/histogram-delta.py), their difference (the
# gateway, the network and k6), and, when the services expose it, the event-loop iteration
# busy time (chain_loop_iteration_seconds: p99 and the highest bucket reached, worst service).
# Prints a markdown section on stdout (table, command, date, k6 version, cores, the goals'
# verdicts) and plots the curve to CURVE_PNG (matplotlib from PyPI into .venv-perf).
# Goals (client side): p99 <= 3x p50 up to 50 % of the peak, p99.9 <= 10x p50 up to 75 %.
# The load generator shares the machine's cores with the chain: k6's figures include its own
# scheduling delays.
# Environment: STEP_DURATION (30s), WARMUP (5s: once closed-model before the peak, and before each
# step at its rate), STEPS ("10 25 50 75 90 100"), PEAK_VUS (64), CURVE_PNG
# (Perf/latency-curve.png), OUT (also write the markdown there), CHAIN_SERVE_FLAGS, SKIP_BUILD=1,
# MAX_VUS (2000, k6's virtual users for the open model).
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

STEP_DURATION=${STEP_DURATION:-30s}
WARMUP=${WARMUP:-5s}
STEPS=${STEPS:-10 25 50 75 90 100}
PEAK_VUS=${PEAK_VUS:-64}
CURVE_PNG=${CURVE_PNG:-Perf/latency-curve.png}
OUT=${OUT:-}
URL=http://127.0.0.1:${CHAIN_PORT:-8080}/api/v1/process
SERVICE_PORTS=(5001 5002 5003)   # user, order, audit (scripts/up.sh, one replica each)

# seconds DURATION: k6's duration (30s, 2m or plain seconds) in seconds.
seconds() {
    case $1 in
        *ms) die "STEP_DURATION/WARMUP: whole seconds or minutes, not $1" ;;
        *s) echo "${1%s}" ;; *m) echo $((${1%m} * 60)) ;; *) echo "$1" ;;
    esac
}
secs=$(seconds "$STEP_DURATION")
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || die "STEP_DURATION=$STEP_DURATION: a whole number of seconds (30s) or minutes (1m)"
for p in $STEPS; do
    [[ "$p" =~ ^[1-9][0-9]*$ ]] || die "STEPS: percentages of the peak as integers, not '$p'"
done
command=$(printf 'STEP_DURATION=%s WARMUP=%s STEPS="%s"%s%s Perf/latency-curve.sh' "$STEP_DURATION" "$WARMUP" "$STEPS" \
    "${CHAIN_SERVE_FLAGS:+ CHAIN_SERVE_FLAGS=\"$CHAIN_SERVE_FLAGS\"}" "${SKIP_BUILD:+ SKIP_BUILD=1}")

[[ -n "${SKIP_BUILD:-}" ]] || build_release
. Perf/lib-chain.sh
K6=$(perf_k6)
VENV="$CHAIN_ROOT/.venv-perf"
if ! "$VENV/bin/python" -c 'import matplotlib' 2>/dev/null; then
    info "installing matplotlib into $VENV"
    "$VENV/bin/pip" install -q matplotlib >&2
fi
TMP=$(mktemp -d /tmp/chain-curve.XXXXXX)
cleanup() { stop_bench_chain; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
info "starting the chain (scripts/up.sh, spans to a local receiver)"
start_bench_chain "$TMP"

# scrape FILE: each service's /metrics into FILE.PORT.
scrape() {
    local port
    for port in "${SERVICE_PORTS[@]}"; do
        curl -sf "http://127.0.0.1:$port/metrics" >"$1.$port"
    done
}

# k6_run NAME ENV...: one k6 run of Perf/overload.js; its summary lands in $TMP/NAME.json, the
# services' /metrics before and after it in $TMP/NAME.before.PORT and $TMP/NAME.after.PORT.
k6_run() {
    local name=$1; shift
    scrape "$TMP/$name.before"
    env "$@" URL="$URL" "$K6" run --quiet --no-color --summary-export "$TMP/$name.json" Perf/overload.js \
        >"$TMP/$name.log" 2>&1 9>&- || { tail -n 20 "$TMP/$name.log" >&2; return 1; }
    scrape "$TMP/$name.after"
}

# client NAME: "achieved/s p50 p90 p99 p99.9 errors dropped" from k6's summary of run NAME:
# the 2xx answers per second and their latency (ms), the other answers (non-2xx, timeouts) and
# the arrivals k6 could not start (every virtual user busy).
client() {
    python3 - "$TMP/$1.json" "$secs" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]; secs = float(sys.argv[2])
def count(name): return m.get(name, {}).get("count", 0)
ok, total = count("http_reqs{expected_response:true}"), count("http_reqs")
lat = m.get("http_req_duration{expected_response:true}", {})
def q(k): return f'{lat.get(k, float("nan")):.2f}' if ok else "nan"
print(f'{ok / secs:.0f} {q("p(50)")} {q("p(90)")} {q("p(99)")} {q("p(99.9)")} {total - ok:.0f} {count("dropped_iterations"):.0f}')
PY
}

# server NAME: "p50 p90 p99" (ms) of the 200s user-service answered on /process during run NAME.
server() {
    python3 Perf/histogram-delta.py --q 0.5,0.9,0.99 "$TMP/$1.before.5001" "$TMP/$1.after.5001" | awk '{ print $2, $3, $4 }'
}

# loop_busy NAME: "P99<tab>MAX" (µs) of chain_loop_iteration_seconds during run NAME, the worst
# service's (each over all its loops, from its own /metrics: the histogram has only a `loop`
# label; MAX: the upper bound of the highest bucket an iteration reached), each followed by that
# service's name ("420 (order)", "≤ 5000 (user)"); "absent" when no service exposes it.
loop_busy() {
    local port
    for port in "${SERVICE_PORTS[@]}"; do
        printf '%s ' "$(service_of "$port")"
        python3 Perf/histogram-delta.py --metric chain_loop_iteration_seconds --q 0.99 --max-bucket --unit us \
            "$TMP/$1.before.$port" "$TMP/$1.after.$port"
    done | awk '
        $2 == "absent" { absent++; next }
        {
            # $1 service, $2 count, $3 p99, $4 highest bucket
            if ($3 != "nan" && (p99 == "" || $3 + 0 > p99 + 0)) { p99 = $3; p99s = $1 }
            mb = ($4 == "inf") ? 1e300 : $4 + 0
            if ($4 != "nan" && (max == "" || mb > maxv)) { max = $4; maxv = mb; maxs = $1 }
        }
        END {
            if (absent == NR) { print "absent"; exit }
            printf "%s\t%s\n", (p99 == "" ? "-" : sprintf("%.0f", p99) " (" p99s ")"), (max == "" ? "-" : (max == "inf" ? "+Inf" : "≤ " max) " (" maxs ")")
        }'
}
service_of() { case $1 in 5001) echo user ;; 5002) echo order ;; 5003) echo audit ;; *) echo "$1" ;; esac; }

diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan") print "nan"; else printf "%.2f", a - b }'; }

info "warm-up: k6 closed model, $PEAK_VUS VUs, $WARMUP"
k6_run warmup MODE=closed VUS="$PEAK_VUS" DURATION="$WARMUP"
info "peak: k6 closed model, $PEAK_VUS VUs, $STEP_DURATION"
k6_run peak MODE=closed VUS="$PEAK_VUS" DURATION="$STEP_DURATION"
read -r peak p50 _ p99 p999 perr _ <<<"$(client peak)"
read -r s50 s90 s99 <<<"$(server peak)"
((peak > 0)) || die "the peak run had no 2xx answer (see the chain's logs)"
LOOP=1
[[ "$(loop_busy peak)" == absent ]] && LOOP=''

DATA=$TMP/curve.tsv
printf 'pct offered achieved c50 c90 c99 c999 s50 s90 s99 errors dropped\n' >"$DATA"
REPORT=$TMP/report.md
{
    printf '## Latency curve: open-model load at fractions of the peak\n\n'
    printf '%s, %s cores, k6 %s through the nginx gateway (Perf/overload.js), `chain serve` flags: `%s`.\n' \
        "$(date -u '+%F %H:%M UTC')" "$(nproc)" "$("$K6" version | awk '{ print $2; exit }')" "${CHAIN_SERVE_FLAGS:-(defaults)}"
    printf 'Command: `%s`.\n\n' "$command"
    printf 'Peak (closed model, %s VUs, %s): **%s/s** 2xx, client p50 %s ms, p99 %s ms, p99.9 %s ms (server p50 %s, p99 %s), %s errors.\n' \
        "$PEAK_VUS" "$STEP_DURATION" "$peak" "$p50" "$p99" "$p999" "$s50" "$s99" "$perr"
    printf 'Then a fixed arrival rate (constant-arrival-rate, up to %s VUs) per step: %s at the step'"'"'s rate, %s measured.\n' \
        "${MAX_VUS:-2000}" "$WARMUP" "$STEP_DURATION"
    printf 'Client: k6, the 2xx answers. Server: user-service'"'"'s own histogram of its 200s on /process (the\n'
    printf 'whole chain behind the gateway), buckets interpolated. Client - server: the gateway, the network and k6\n'
    printf '(a difference of quantiles, not a quantile of differences). Latencies in ms.\n\n'
    if [[ -n "$LOOP" ]]; then
        printf '| load | offered/s | achieved/s (2xx) | client p50 | p90 | p99 | p99.9 | server p50 | p90 | p99 | client - server p50 | p99 | errors (non-2xx) | dropped | loop busy p99 µs | loop busy max µs |\n'
        printf '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
    else
        printf '| load | offered/s | achieved/s (2xx) | client p50 | p90 | p99 | p99.9 | server p50 | p90 | p99 | client - server p50 | p99 | errors (non-2xx) | dropped |\n'
        printf '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
    fi
} >"$REPORT"
for pct in $STEPS; do
    rate=$(awk -v p="$peak" -v s="$pct" 'BEGIN { r = int(p * s / 100 + 0.5); print (r < 1 ? 1 : r) }')
    info "step $pct % of the peak: $rate/s, $WARMUP warm-up + $STEP_DURATION"
    k6_run "warm$pct" MODE=open RATE="$rate" DURATION="$WARMUP"
    k6_run "step$pct" MODE=open RATE="$rate" DURATION="$STEP_DURATION"
    read -r got c50 c90 c99 c999 errors dropped <<<"$(client "step$pct")"
    read -r s50 s90 s99 <<<"$(server "step$pct")"
    printf '%s %s %s %s %s %s %s %s %s %s %s %s\n' "$pct" "$rate" "$got" "$c50" "$c90" "$c99" "$c999" \
        "$s50" "$s90" "$s99" "$errors" "$dropped" >>"$DATA"
    row=$(printf '| %s %% | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' "$pct" "$rate" "$got" \
        "$c50" "$c90" "$c99" "$c999" "$s50" "$s90" "$s99" "$(diff_ms "$c50" "$s50")" "$(diff_ms "$c99" "$s99")" "$errors" "$dropped")
    if [[ -n "$LOOP" ]]; then
        IFS=$'\t' read -r lp99 lmax <<<"$(loop_busy "step$pct")"
        row+=$(printf ' %s | %s |' "${lp99:--}" "${lmax:--}")
    fi
    printf '%s\n' "$row" >>"$REPORT"
done

{
    printf '\n'
    if [[ -n "$LOOP" ]]; then
        printf '"loop busy" (µs): chain_loop_iteration_seconds, the busy time of one event-loop iteration, over all loops of a service: its p99 and the upper bound of the highest bucket an iteration reached, for the worst of the three services (named).\n'
    else
        printf 'No `chain_loop_iteration_seconds` on the services'"'"' /metrics (this build does not expose it): no event-loop column.\n'
    fi
    printf '"dropped": arrivals k6 could not start (every virtual user waiting); "errors": answers other than 2xx, timeouts included.\n\n'
    printf 'Goals (issue 15, client side, each step against its own p50):\n\n'
    python3 - "$DATA" <<'PY'
import math, sys
lines = open(sys.argv[1]).read().split("\n")
head = lines[0].split()
rows = [dict(zip(head, l.split())) for l in lines[1:] if l.strip()]
def goal(text, q, factor, upto):
    steps = [r for r in rows if int(r["pct"]) <= upto]
    if not steps:
        print(f"- **n/a** {text}: no step at or below {upto} % of the peak")
        return
    parts, ok = [], True
    for r in steps:
        p50, qv = float(r["c50"]), float(r[q])
        ratio = qv / p50 if p50 > 0 and not math.isnan(p50) and not math.isnan(qv) else float("nan")
        good = not math.isnan(ratio) and ratio <= factor
        ok &= good
        parts.append(f'{r["pct"]} %: {ratio:.1f}x' + ("" if good else " (over)"))
    print(f'- **{"pass" if ok else "miss"}** {text}: ' + ", ".join(parts))
goal("p99 <= 3x p50 up to 50 % of peak", "c99", 3, 50)
goal("p99.9 <= 10x p50 up to 75 % of peak", "c999", 10, 75)
PY
} >>"$REPORT"

info "plotting $CURVE_PNG"
mkdir -p "$(dirname "$CURVE_PNG")"
plot_rc=0
"$VENV/bin/python" - "$DATA" "$CURVE_PNG" "$peak" "$(date -u +%F)" "$(nproc)" "$STEP_DURATION" <<'PY' >&2 || plot_rc=$?
import math, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
data, out, peak, day, cores, dur = sys.argv[1:7]
lines = open(data).read().split("\n")
head = lines[0].split()
rows = [dict(zip(head, l.split())) for l in lines[1:] if l.strip()]
x = [int(r["pct"]) for r in rows]
fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
# Server lines dashed, in the colour of the client quantile they sit under.
series = [("c50", "client p50", "-", "o", "C0"), ("c90", "client p90", "-", "s", "C1"),
          ("c99", "client p99", "-", "^", "C2"), ("c999", "client p99.9", "-", "v", "C3"),
          ("s50", "server p50 (user-service)", "--", "o", "C0"), ("s99", "server p99 (user-service)", "--", "^", "C2")]
for key, label, style, marker, colour in series:
    y = [float(r[key]) for r in rows]
    y = [v if v > 0 and not math.isnan(v) else float("nan") for v in y]
    ax.plot(x, y, style, marker=marker, color=colour, label=label)
ax.set_yscale("log")
ax.set_xlabel(f"offered load, % of the peak ({peak} req/s, closed model)")
ax.set_ylabel("latency of the 2xx answers, ms (log)")
ax.set_title(f"chain through the nginx gateway: latency under a fixed arrival rate\n{day}, {cores} cores, k6 on the same machine, {dur} per step")
ax.set_xticks(x)
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize="small")
fig.tight_layout()
fig.savefig(out, format="png")
PY
cat "$REPORT"
[[ -z "$OUT" ]] || cp "$REPORT" "$OUT"
((plot_rc == 0)) || die "the plot failed (exit $plot_rc): no $CURVE_PNG"
printf '\nPlot: %s\n' "$CURVE_PNG"
