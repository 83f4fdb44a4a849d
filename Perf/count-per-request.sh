#!/usr/bin/env bash
# Deterministic per-request counts of the chain's services, for comparing builds where wall
# clocks are too noisy: user-space instructions (valgrind callgrind, every thread of each
# service process) and syscalls (strace -c -f), per `POST /process`, over N sequential requests
# after 200 warm-up ones. The three services run as three processes (`--loops 1
# --db-connections 1`) on ports 16001-16003 against a private PostgreSQL (port 55481).
#
#   Perf/count-per-request.sh [BIN...]        # default: this checkout's release build
#   N=1000 Perf/count-per-request.sh /tmp/base/.build/release/chain .build/release/chain
#   SHOW_SYSCALLS=1 ...                       # also each service's syscalls per request, by name
#   KEEP_CALLGRIND=DIR ...                    # keep the callgrind files (DIR/SERVICE-N.out, N: the binary's place)
#   CALLGRIND_OPTS=--dump-instr=yes ...       # more valgrind options (per-instruction costs, say)
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
N=${N:-500}
BINS=("$@"); [[ ${#BINS[@]} -gt 0 ]] || BINS=(.build/release/chain)
for t in valgrind callgrind_control strace; do command -v $t >/dev/null || die "$t is needed (apt-get install valgrind strace)"; done
TMP=$(mktemp -d /tmp/chain-count.XXXXXX)
PGDIR=$TMP/pg
DB=$(bash scripts/pg.sh start "$PGDIR" 55481)
trap 'bash scripts/pg.sh stop "$PGDIR" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
"${BINS[0]}" migrate --database-url "$DB" >/dev/null
declare -A PORT=([user]=16001 [order]=16002 [audit]=16003)
declare -A NEXT=([user]=http://127.0.0.1:16002 [order]=http://127.0.0.1:16003 [audit]='')

# start WRAP... : the three services, each under WRAP (empty: plain); pids in SVC_PIDS.
start() {
    SVC_PIDS=()
    for s in audit order user; do
        local extra=(); [[ -n ${NEXT[$s]} ]] && extra=(--next-service-url "${NEXT[$s]}")
        CHAIN_SPAN_FILE=$TMP/spans-$s.jsonl "$@" "$BIN" serve --service $s --port ${PORT[$s]} --host 127.0.0.1 \
            --loops 1 --db-connections 1 --database-url "$DB" "${extra[@]}" >"$TMP/$s.log" 2>&1 &
        SVC_PIDS+=($!)
    done
    for s in audit order user; do
        for _ in $(seq 1 240); do curl -fs -o /dev/null "http://127.0.0.1:${PORT[$s]}/health" && break; sleep 0.5; done
    done
    python3 Perf/process-load.py 16001 200 0
}
stop() { kill -INT "${SVC_PIDS[@]}" 2>/dev/null || true; wait "${SVC_PIDS[@]}" 2>/dev/null || true; }

printf '| binary | service | instructions/request | syscalls/request |\n|---|---|---:|---:|\n'
BIN_NO=0
for b in "${BINS[@]}"; do
    BIN_NO=$((BIN_NO + 1))
    BIN=$TMP/chain-$BIN_NO   # any path: a binary outside a .build/release/ tree too
    strip --strip-debug -o "$BIN" "$b"   # valgrind 3.19 cannot read Swift's DWARF 5
    start valgrind --tool=callgrind --compress-strings=no ${CALLGRIND_OPTS:-} --callgrind-out-file="$TMP/cg-%p.out"
    for p in "${SVC_PIDS[@]}"; do callgrind_control -z "$p" >/dev/null 2>&1; done
    python3 Perf/process-load.py 16001 "$N" 1000
    for p in "${SVC_PIDS[@]}"; do callgrind_control -d "$p" >/dev/null 2>&1; done
    declare -A IR=(); i=0
    for s in audit order user; do
        f=$(ls -t "$TMP"/cg-"${SVC_PIDS[$i]}".out.* | head -1)
        IR[$s]=$(awk '/^(summary|totals):/ { print $2; exit }' "$f"); i=$((i + 1))
        [[ -n ${KEEP_CALLGRIND:-} ]] && mkdir -p "$KEEP_CALLGRIND" && cp "$f" "$KEEP_CALLGRIND/$s-$BIN_NO.out"
    done
    stop
    start
    i=0
    for s in audit order user; do strace -c -f -p "${SVC_PIDS[$i]}" -o "$TMP/strace-$s.txt" 2>/dev/null & i=$((i + 1)); done
    sleep 1
    python3 Perf/process-load.py 16001 "$N" 5000
    sleep 0.5; pkill -INT -f "strace -c -f -p" || true; sleep 1
    stop
    for s in user order audit; do
        sc=$(awk '/total$/ { print $4 }' "$TMP/strace-$s.txt")
        printf '| %s | %s-service | %s | %s |\n' "$b" "$s" "$(( ${IR[$s]} / N ))" "$(awk -v c="$sc" -v n="$N" 'BEGIN { printf "%.2f", c / n }')"
    done
    if [[ ${SHOW_SYSCALLS:-0} = 1 ]]; then
        for s in user order audit; do
            awk -v s="$s" -v n="$N" '$NF ~ /^[a-z_0-9]+$/ && $NF != "total" && $4 ~ /^[0-9]+$/ {
                printf "  %s-service %-16s %.2f/request\n", s, $NF, $4 / n }' "$TMP/strace-$s.txt"
        done
    fi
done
