#!/usr/bin/env bash
# PostgreSQL through chain's pipeline client vs pgbench, in one run, against one private server:
#   Perf/bench-db.sh            # 10 s per run, 2 connections, 2 client threads
# Environment: SECONDS_PER_RUN (10), CLIENTS (2 = loops x 1 connection = pgbench -c 2 -j 2),
# DEPTH (64 queries outstanding per loop), SKIP_BUILD=1.
# Runs, for the point select on users and the insert into audit_logs:
#   pgbench -n -M prepared -c C -j C (custom script, the same statement)
#   chain bench-db --depth 1                    (one query at a time per loop: no pipelining)
#   chain bench-db --depth D --sync-each-query  (pipelining, one Sync per query)
#   chain bench-db --depth D                    (pipelining + one Sync per loop iteration)
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

T=${SECONDS_PER_RUN:-10}
C=${CLIENTS:-2}
D=${DEPTH:-64}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[[ -n "${SKIP_BUILD:-}" ]] || swift build -c release --product chain >&2
BIN=.build/release/chain

DIR=$(mktemp -d /tmp/chain-benchdb.XXXXXX)
trap 'bash scripts/pg.sh stop "$DIR"; rm -rf "$DIR"' EXIT
URL=$(bash scripts/pg.sh start "$DIR" "$(free_port)")
log "database: $URL"

cat >"$DIR/select.sql" <<'SQL'
\set id random(1, 10000)
SELECT id, name, email, tier FROM users WHERE id = :id;
SQL
cat >"$DIR/insert.sql" <<'SQL'
\set id random(1, 10000)
INSERT INTO audit_logs (trace_id, user_id, action, status, details) VALUES ('pgbench', :id, 'bench', 'completed', '{}');
SQL

pgbench_qps() {   # script
    "$PGBIN/pgbench" -n -M prepared -c "$C" -j "$C" -T "$T" -f "$DIR/$1.sql" "$URL" 2>/dev/null \
        | awk '/^tps = / { printf "%d\n", $3 }'
}
chain_qps() {     # kind extra-args...
    local kind=$1; shift
    "$BIN" bench-db --url "$URL" --loops "$C" --connections 1 --seconds "$T" --kind "$kind" "$@" \
        | sed -n 's/.*qps=\([0-9]*\).*/\1/p'
}

printf '## PostgreSQL: chain pipeline client vs pgbench\n\n'
printf '%s, %s cores, %s connections / client threads, %s s per run, depth %s.\n\n' "$(date -u +%F)" "$(nproc)" "$C" "$T" "$D"
printf '| query | pgbench -M prepared | chain depth 1 | chain pipelined, Sync per query | chain pipelined + batched | best / pgbench |\n'
printf '|---|---:|---:|---:|---:|---:|\n'
for kind in select insert; do
    pg=$(pgbench_qps "$kind")
    one=$(chain_qps "$kind" --depth 1)
    pipe=$(chain_qps "$kind" --depth "$D" --sync-each-query)
    batch=$(chain_qps "$kind" --depth "$D")
    ratio=$(awk -v a="$batch" -v b="$pg" 'BEGIN { printf "%.2f", a / b }')
    printf '| %s | %s | %s | %s | %s | %s |\n' "$kind" "$pg" "$one" "$pipe" "$batch" "$ratio"
done
