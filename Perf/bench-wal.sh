#!/usr/bin/env bash
# PostgreSQL's write cost per chain request, for the capacity model (infra/k8s/CAPACITY.md): the
# local stack of Perf/lib-chain.sh (spans exported to a cheap receiver), wrk with Perf/process.lua
# through the gateway at CONNS connections for DURATION, and PostgreSQL's own counters before
# and after: WAL bytes and records (pg_stat_wal, pg_current_wal_lsn), WAL syncs (one per group
# commit), transactions committed (pg_stat_database), per request.
# Environment: DURATION (8s), CONNS ("64 256"), PG_PORT (55432), SKIP_BUILD=1.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

DURATION=${DURATION:-8s}
CONNS=${CONNS:-64 256}
PG_PORT=${PG_PORT:-55432}
export PG_PORT
[[ -n "${SKIP_BUILD:-}" ]] || swift build -c release --product chain >&2
TMP=$(mktemp -d /tmp/chain-bench-wal.XXXXXX)
. Perf/lib-chain.sh
cleanup() { stop_bench_chain; rm -rf "$TMP"; }
trap cleanup EXIT
start_bench_chain "$TMP"

q() { psql -X -q -tA -h 127.0.0.1 -p "$PG_PORT" -U postgres -d chain -c "$1"; }
snapshot() {
    q "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn, w.wal_records, w.wal_fpi, w.wal_sync, w.wal_write,
              (SELECT sum(xact_commit) FROM pg_stat_database)
       FROM pg_stat_wal w" | tr '|' ' '
}

printf '## PostgreSQL write cost per request\n\n%s, %s cores, wrk -t2 -d%s through the gateway, Perf/process.lua, fsync=on.\n\n' "$(date -u +%F)" "$(nproc)" "$DURATION"
printf '| connections | req/s | WAL bytes/req | WAL records/req | full-page images/req | WAL syncs/req | commits/req |\n|---:|---:|---:|---:|---:|---:|---:|\n'
for c in $CONNS; do
    wrk -t2 -c"$c" -d2s -s Perf/process.lua http://127.0.0.1:8080/api/v1/process >/dev/null 2>&1 || true
    q "CHECKPOINT" >/dev/null
    before=$(snapshot)
    wrk -t2 -c"$c" -d"$DURATION" -s Perf/process.lua http://127.0.0.1:8080/api/v1/process >"$TMP/wrk.txt" 2>&1
    after=$(snapshot)
    python3 - "$before" "$after" "$TMP/wrk.txt" "$c" <<'PY'
import re, sys
b = list(map(float, sys.argv[1].split())); a = list(map(float, sys.argv[2].split()))
text = open(sys.argv[3]).read()
n = int(re.search(r"(\d+) requests in", text).group(1)); rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
d = [y - x for x, y in zip(b, a)]
print(f"| {sys.argv[4]} | {rps:,.0f} | {d[0] / n:,.0f} | {d[1] / n:.1f} | {d[2] / n:.2f} | {d[3] / n:.3f} | {d[5] / n:.2f} |")
PY
done
