#!/usr/bin/env bash
# shellcheck disable=SC2016  # the backticks in printf formats are markdown, not expansions
# The anatomy of the low-load tail (issue 15): why 1 request in 100 is slow when the chain is far
# from busy. The local stack of scripts/up.sh with spans written to its span files (every span,
# 100 %), k6 posting Perf/overload.js through the gateway at a fixed arrival rate (RATE/s for
# DURATION after WARMUP); perf records PostgreSQL's WAL flushes (fdatasync) at the same time.
# Perf/tail-anatomy.py then reads the spans: each span's p50/p99, the span where the slowest 1 %
# spent their time, whether they are spread out or come in episodes, and the WAL flushes during
# each episode. Prints markdown on stdout.
# Environment: RATE (325), DURATION (20s), WARMUP (5s), PG_SET ("name=value ...": PostgreSQL
# settings applied with ALTER SYSTEM for this run only, e.g. synchronous_commit=off, to compare),
# SKIP_BUILD=1, PG_PORT (up.sh's). Without perf (or without the tracepoints), no flush column.
# Stops a local stack that is running (scripts/down.sh) and replaces its span files.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

RATE=${RATE:-325}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
PG_SET=${PG_SET:-}
[[ "$RATE" =~ ^[1-9][0-9]*$ ]] || die "RATE=$RATE: arrivals per second, a whole number"
[[ "$DURATION" =~ ^[1-9][0-9]*s$ ]] || die "DURATION=$DURATION: whole seconds (20s)"
read -r -a pg_set <<<"$PG_SET"
for kv in "${pg_set[@]}"; do
    [[ "$kv" =~ ^[a-z_]+=[A-Za-z0-9_.]+$ ]] || die "PG_SET: name=value pairs, not '$kv'"
done
# pg_settings SET|RESET: apply or undo PG_SET, then reload.
pg_settings() {
    local kv sql=()
    for kv in "${pg_set[@]}"; do
        if [[ $1 == SET ]]; then sql+=(-c "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'"); else sql+=(-c "ALTER SYSTEM RESET ${kv%%=*}"); fi
    done
    ((${#sql[@]} == 0)) || "${PSQL[@]}" "${sql[@]}" -c 'SELECT pg_reload_conf()' >/dev/null
}

[[ -n "${SKIP_BUILD:-}" ]] || build_release
. Perf/lib-chain.sh
K6=$(perf_k6)
TMP=$(mktemp -d /tmp/chain-tail.XXXXXX)
PSQL=(psql -h 127.0.0.1 -p "${PG_PORT:-55432}" -U postgres -d chain -qAt)
PERF_PID=''
cleanup() {
    if [[ -n "$PERF_PID" ]]; then kill -TERM "$PERF_PID" 2>/dev/null || true; fi
    pg_settings RESET 2>/dev/null || true
    SKIP_PACKAGES=1 bash scripts/down.sh >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SKIP_PACKAGES=1 bash scripts/down.sh >/dev/null 2>&1 || true
rm -f .run/spans-*.jsonl
info "starting the chain (scripts/up.sh, spans to .run/spans-*.jsonl)"
SKIP_PACKAGES=1 SKIP_BUILD=1 OTEL_EXPORTER_OTLP_ENDPOINT='' bash scripts/up.sh >"$TMP/up.log" 2>&1 9>&- \
    || { cat "$TMP/up.log" >&2; exit 1; }
pg_settings SET

k6() { env URL="http://127.0.0.1:${CHAIN_PORT:-8080}/api/v1/process" MODE=open RATE="$RATE" "$@" \
    "$K6" run --quiet --no-color Perf/overload.js >"$TMP/k6.log" 2>&1 9>&- || { tail -n 20 "$TMP/k6.log" >&2; exit 1; }; }
info "warm-up: $RATE/s for $WARMUP"
k6 DURATION="$WARMUP"
sleep 1
since=$(date +%s%N)
offset=$(python3 -c 'import time; print(time.time_ns() - time.monotonic_ns())')
FSYNC=()
if command -v perf >/dev/null && perf record -q -k CLOCK_MONOTONIC -a -e syscalls:sys_enter_fdatasync \
        -o "$TMP/probe.data" true >/dev/null 2>&1; then
    perf record -q -k CLOCK_MONOTONIC -m 16M -a -e syscalls:sys_enter_fdatasync,syscalls:sys_exit_fdatasync \
        -o "$TMP/fsync.data" 9>&- >/dev/null 2>&1 &
    PERF_PID=$!
else
    warn "perf cannot record syscalls:sys_enter_fdatasync here: no WAL flush column"
fi
info "measured: $RATE/s for $DURATION"
k6 DURATION="$DURATION"
sleep 1   # the exporters' last batches reach the span files (200 ms schedule)
if [[ -n "$PERF_PID" ]]; then
    kill -TERM "$PERF_PID"   # not INT: a background job of a script ignores SIGINT
    wait "$PERF_PID" || true
    PERF_PID=''
    perf script -i "$TMP/fsync.data" -F comm,tid,time,event 2>/dev/null >"$TMP/fsync.txt"
    FSYNC=(--fsync "$TMP/fsync.txt" --offset "$offset")
fi
pg_settings RESET   # ALTER SYSTEM outlives the server: undo it while PostgreSQL still runs
pg_set=()
SKIP_PACKAGES=1 bash scripts/down.sh >/dev/null 2>&1   # the exporters flush their rings on exit

printf '## The low-load tail: %s/s for %s\n\n' "$RATE" "$DURATION"
printf '%s, %s cores; command: `RATE=%s DURATION=%s%s Perf/tail-anatomy.sh`; k6 through the gateway, every span to the span files.\n\n' \
    "$(date -u '+%F %H:%M UTC')" "$(nproc)" "$RATE" "$DURATION" "${PG_SET:+ PG_SET=\"$PG_SET\"}"
python3 Perf/tail-anatomy.py .run/spans-*.jsonl --since "$since" "${FSYNC[@]}"
