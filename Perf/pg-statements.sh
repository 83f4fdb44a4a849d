#!/usr/bin/env bash
# What PostgreSQL runs per chain request under load: the local stack of scripts/up.sh (spans
# exported at 100 % to a cheap receiver, as Perf/bench-chain.sh), PostgreSQL restarted with
# pg_stat_statements, wrk -t2 through the gateway (Perf/process.lua); then per request: the
# transactions committed (pg_stat_database, one per pipeline batch) and each statement's calls
# and rows (pg_stat_statements). Counts, not times: they compare batching designs where the
# machine's CPU-time noise cannot.
# Environment: CONNS (64), DURATION (8s), SKIP_BUILD=1; CHAIN_SERVE_FLAGS and the services'
# CHAIN_PG_* variables pass through to scripts/up.sh.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

CONNS=${CONNS:-64}
DURATION=${DURATION:-8s}
[[ -n "${SKIP_BUILD:-}" ]] || build_release
TMP=$(mktemp -d /tmp/chain-pg-statements.XXXXXX)
. Perf/lib-chain.sh
PSQL=(psql -X -q -h 127.0.0.1 -p "${PG_PORT:-55432}" -U postgres -d chain -tA)
cleanup() {
    # ALTER SYSTEM outlives the server: take it back before the stack stops.
    "${PSQL[@]}" -c "ALTER SYSTEM RESET shared_preload_libraries" 2>/dev/null || true
    stop_bench_chain
    rm -rf "$TMP"
}
trap cleanup EXIT
start_bench_chain "$TMP"
"${PSQL[@]}" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
bash scripts/pg.sh restart .run/pg   # the services reconnect by themselves
"${PSQL[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
url=http://127.0.0.1:8080/api/v1/process
for _ in $(seq 1 60); do curl -fs -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d '{"user_id": 1, "action": "warm"}' "$url" && break; sleep 0.5; done
wrk -t2 -c"$CONNS" -d2s -s Perf/process.lua "$url" >/dev/null 2>&1 || true
"${PSQL[@]}" -c "SELECT pg_stat_statements_reset()" >/dev/null
commits() { "${PSQL[@]}" -c "SELECT sum(xact_commit) FROM pg_stat_database WHERE datname = 'chain'"; }
c0=$(commits)
wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s Perf/process.lua "$url" >"$TMP/wrk.txt"
c1=$(commits)
n=$(awk '/requests in/ { print $1 }' "$TMP/wrk.txt")
non2xx=$(awk '/Non-2xx/ { print $NF }' "$TMP/wrk.txt")
printf '%s, wrk -t2 -c%s -d%s through the gateway: %s requests (%s req/s, %s non-2xx), `chain serve` flags: `%s`, CHAIN_PG_BATCHES_IN_FLIGHT=%s, CHAIN_PG_GATHER_MS=%s.\n\n' \
    "$(date -u '+%F %H:%M UTC')" "$CONNS" "$DURATION" "$n" "$(awk '/Requests\/sec/ { print $2 }' "$TMP/wrk.txt")" \
    "${non2xx:-0}" "${CHAIN_SERVE_FLAGS:-}" "${CHAIN_PG_BATCHES_IN_FLIGHT:-default}" "${CHAIN_PG_GATHER_MS:-default}"
printf '| statement | form | calls per request | rows per call |\n|---|---|---:|---:|\n'
"${PSQL[@]}" -F'|' -c "SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 60),
    CASE WHEN query ~ 'unnest\(|= ANY\(' THEN 'multi-row' ELSE 'single' END, calls, rows FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'chain') AND query !~ 'pg_stat|xact_commit'
    ORDER BY calls DESC" >"$TMP/stmts.txt"
awk -F'|' -v n="$n" '{ printf "| `%s` | %s | %.3f | %.1f |\n", $1, $2, $3 / n, $4 / $3; calls += $3 }
    END { printf "| **all statements** | | **%.3f** | |\n", calls / n }' "$TMP/stmts.txt"
awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN { printf "| **transactions committed** | | **%.3f** | |\n", (b - a) / n }'
