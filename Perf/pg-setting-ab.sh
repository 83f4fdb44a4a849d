#!/usr/bin/env bash
# A PostgreSQL setting against the server's default, under the chain's load, in one stack:
#   Perf/pg-setting-ab.sh "commit_delay=30 commit_siblings=1"
# Starts the stack of scripts/up.sh (spans exported to a cheap receiver, Perf/lib-chain.sh) on a
# new database, then for ROUNDS rounds runs wrk -t2 -cCONNS through the gateway (Perf/process.lua)
# with the settings off (ALTER SYSTEM RESET) and on (ALTER SYSTEM SET), in alternating order,
# reloading in between. Per run: req/s and PostgreSQL's CPU per request (/proc), split by the
# service whose backends used it (application_name). Only settings a reload applies (not
# shared_buffers and the like); a setting the services pass at connect (plan_cache_mode) wins
# over the server's. Environment: ROUNDS (3), DURATION (10s), CONNS (64), SKIP_BUILD=1.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

SETTINGS=${1:?usage: Perf/pg-setting-ab.sh "name=value [name=value ...]"}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
[[ -n "${SKIP_BUILD:-}" ]] || build_release
. Perf/lib-chain.sh
TMP=$(mktemp -d /tmp/chain-pg-setting.XXXXXX)
PSQL=(psql -X -q -At -h 127.0.0.1 -p "${PG_PORT:-55432}" -U postgres -d chain)
cleanup() {
    # ALTER SYSTEM outlives the server: take the settings back before the stack stops.
    for kv in $SETTINGS; do "${PSQL[@]}" -c "ALTER SYSTEM RESET ${kv%%=*}" 2>/dev/null || true; done
    stop_bench_chain
    rm -rf "$TMP"
}
trap cleanup EXIT
rm -rf .run/pg   # a new database: old rows make inserts dearer (RESULTS.md, "each run on a new database")
start_bench_chain "$TMP"
URL=http://127.0.0.1:${CHAIN_PORT:-8080}/api/v1/process
wrk -t2 -c"$CONNS" -d2s -s Perf/process.lua "$URL" >/dev/null 2>&1 || true   # warm-up

apply() {   # apply on|off
    local kv
    for kv in $SETTINGS; do
        if [[ $1 == on ]]; then "${PSQL[@]}" -c "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'"
        else "${PSQL[@]}" -c "ALTER SYSTEM RESET ${kv%%=*}"; fi
    done
    "${PSQL[@]}" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 1
}
printf '%s, %s cores, `Perf/pg-setting-ab.sh "%s"`: wrk -t2 -c%s -d%s through the gateway, CPU (/proc) per request.\n\n' \
    "$(date -u '+%F %H:%M UTC')" "$(nproc)" "$SETTINGS" "$CONNS" "$DURATION"
printf '| round | settings | req/s | PostgreSQL µs | user-service backends | order-service backends | audit-service backends |\n|---:|---|---:|---:|---:|---:|---:|\n'
for ((r = 1; r <= ROUNDS; r++)); do
    order="off on"; ((r % 2 == 0)) && order="on off"
    for mode in $order; do
        apply "$mode"
        pg_roles "${PG_PORT:-55432}" >"$TMP/before"
        wrk -t2 -c"$CONNS" -d"$DURATION" -s Perf/process.lua "$URL" >"$TMP/wrk" 2>&1 || { cat "$TMP/wrk" >&2; die "wrk failed"; }
        pg_roles "${PG_PORT:-55432}" >"$TMP/after"
        n=$(awk '/requests in/ { print $1 }' "$TMP/wrk")
        [[ "${n:-0}" -gt 0 ]] || die "wrk completed no request"
        awk -v r="$r" -v m="$mode" -v n="$n" -v hz="$(getconf CLK_TCK)" -v rps="$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$TMP/wrk")" '
            NR == FNR { b[$1] = $3; next }
            { d = ($3 - b[$1]) * 1e6 / hz / n; s[$2] += d; tot += d }
            END { printf "| %d | %s | %s | %.1f | %.1f | %.1f | %.1f |\n", r, m, rps, tot, s["user-service"], s["order-service"], s["audit-service"] }' \
            "$TMP/before" "$TMP/after"
    done
done
