#!/usr/bin/env bash
# System calls and context switches per chain request under load, per service, counted by the
# kernel's tracepoints (`perf stat -e syscalls:sys_enter_*`): what Perf/count-per-request.sh's
# strace counts for one request at a time, here with the batching that load brings. The stack
# of Perf/lib-chain.sh (every span exported), wrk -t2 -cCONNS through the gateway
# (Perf/process.lua), `perf stat -p` on each service process for the same DURATION.
#
#   Perf/syscalls-per-request.sh              # DURATION=10s CONNS=64
#
# Needs perf with tracepoints (kernel.perf_event_paranoid ≤ 1 or root); no hardware counters.
# Environment: DURATION (10s), CONNS (64), SKIP_BUILD=1.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
SECS=${DURATION%s}
CALLS=(read write readv writev recvfrom sendto recvmsg sendmsg epoll_wait epoll_pwait epoll_ctl poll io_uring_enter futex)
EVENTS=raw_syscalls:sys_enter,sched:sched_switch
for c in "${CALLS[@]}"; do EVENTS+=",syscalls:sys_enter_$c"; done
perf stat -e "$EVENTS" -- true >/dev/null 2>&1 || die "perf cannot count syscall tracepoints here"
[[ -n "${SKIP_BUILD:-}" ]] || build_release
TMP=$(mktemp -d /tmp/chain-syscalls.XXXXXX)
. Perf/lib-chain.sh
cleanup() { stop_bench_chain; rm -rf "$TMP"; }
trap cleanup EXIT
rm -rf .run/pg   # a fresh database: old rows make the inserts dearer
start_bench_chain "$TMP"
URL=http://127.0.0.1:8080/api/v1/process
wrk -t2 -c"$CONNS" -d2s -s Perf/process.lua "$URL" >/dev/null 2>&1 9>&- || true   # warm-up

STATS=()
for s in user order audit; do
    perf stat -x, -e "$EVENTS" -p "$(pidfile_pid .run/$s-service.pid)" -o "$TMP/$s.stat" -- sleep "$SECS" 9>&- &
    STATS+=($!)
done
wrk -t2 -c"$CONNS" -d"$DURATION" -s Perf/process.lua "$URL" >"$TMP/wrk.txt" 9>&-
wait "${STATS[@]}"   # only perf's: the receiver started by start_bench_chain runs on
n=$(awk '/requests in/ { print $1 }' "$TMP/wrk.txt")
[[ "${n:-0}" -gt 0 ]] || die "wrk completed no request"

printf '## System calls per chain request under load\n\n'
printf '%s, %s cores, wrk -t2 -c%s -d%s through the gateway, %s requests (%s req/s); `perf stat` of each service process over the same %s s.\n\n' \
    "$(date -u +%F)" "$(nproc)" "$CONNS" "$DURATION" "$n" "$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$TMP/wrk.txt")" "$SECS"
printf '| per request | user-service | order-service | audit-service |\n|---|---:|---:|---:|\n'
for ev in raw_syscalls:sys_enter sched:sched_switch "${CALLS[@]/#/syscalls:sys_enter_}"; do
    row=''; any=0
    for s in user order audit; do
        v=$(awk -F, -v e="$ev" -v n="$n" '$3 == e && $1 ~ /^[0-9]+$/ { printf "%.2f", $1 / n }' "$TMP/$s.stat")
        row+=" ${v:-0} |"; [[ "${v:-0}" != 0.00 && -n "$v" ]] && any=1
    done
    label=${ev#syscalls:sys_enter_}
    case $ev in raw_syscalls:sys_enter) label='all system calls' ;; sched:sched_switch) label='context switches' ;; esac
    ((any)) && printf '| %s |%s\n' "$label" "$row"
done
