#!/usr/bin/env bash
# The cost of the Idempotency-Key check per request: the local stack of scripts/up.sh (as
# Perf/bench-chain.sh), wrk straight to user-service, rounds alternating without the header
# (Perf/process.lua) and with a new key on every request (Perf/process-idempotency.lua: a claim
# and a recorded outcome per request, never a replay), same run, same load.
# Reports req/s, p50/p99 and CPU per request of user-service and PostgreSQL for each round.
# Environment: DURATION (10s), CONNS (64), ROUNDS (3), SKIP_BUILD=1.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
. Perf/lib-wrk.sh
hold_build_lock "$SELF" "$@"

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-3}
[[ -n "${SKIP_BUILD:-}" ]] || swift build -c release --product chain >&2
TMP=$(mktemp -d /tmp/chain-bench-idem.XXXXXX)
. Perf/lib-chain.sh
cleanup() { stop_bench_chain; rm -rf "$TMP"; }
trap cleanup EXIT
start_bench_chain "$TMP"

USER_PID=$(cat .run/user-service.pid); PG_PID=$(head -1 .run/pg/data/postmaster.pid)
URL=http://127.0.0.1:5001/process
RUN=$(date +%s)-$$

printf '## Idempotency-Key: cost per request\n\n%s, %s cores, wrk -t2 -c%s -d%s straight to user-service, rounds alternating.\n\n' \
    "$(date -u +%F)" "$(nproc)" "$CONNS" "$DURATION"
printf '| round | Idempotency-Key | req/s | p50 ms | p99 ms | non-2xx | user-service CPU µs/req | PostgreSQL CPU µs/req |\n|---:|---|---:|---:|---:|---:|---:|---:|\n'
wrk -t2 -c"$CONNS" -d2s -s Perf/process.lua "$URL" >/dev/null 2>&1 || true
hz=$(getconf CLK_TCK)
for r in $(seq "$ROUNDS"); do
    for mode in without with; do
        script=Perf/process.lua; args=()
        [[ $mode == with ]] && { script=Perf/process-idempotency.lua; args=(-- "$RUN-$r"); }
        u0=$(cpu_of "$USER_PID"); p0=$(cpu_of "$PG_PID")
        wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$script" "$URL" "${args[@]}" >"$TMP/wrk.txt" 2>&1
        u1=$(cpu_of "$USER_PID"); p1=$(cpu_of "$PG_PID")
        rps=$(awk '/Requests\/sec/ { print $2 }' "$TMP/wrk.txt")
        total=$(awk '/requests in/ { print $1 }' "$TMP/wrk.txt")
        p50=$(awk '$1 == "50%" { print $2 }' "$TMP/wrk.txt"); p99=$(awk '$1 == "99%" { print $2 }' "$TMP/wrk.txt")
        non2xx=$(awk '/Non-2xx/ { print $NF }' "$TMP/wrk.txt"); non2xx=${non2xx:-0}
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$r" "$mode" "$rps" "$p50" "$p99" "$non2xx" \
            "$(python3 -c "print(f'{($u1 - $u0) / $hz / $total * 1e6:.0f}')")" \
            "$(python3 -c "print(f'{($p1 - $p0) / $hz / $total * 1e6:.0f}')")"
    done
done
keys=$(psql -X -At -h 127.0.0.1 -p "${PG_PORT:-55432}" -U postgres -d chain -c "SELECT count(*) FROM idempotency_keys WHERE key LIKE '$RUN-%' AND state = 'done'" 2>/dev/null || echo '?')
printf '\nKeys recorded as done in this run: %s\n' "$keys"
