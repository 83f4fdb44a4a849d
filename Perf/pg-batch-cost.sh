#!/usr/bin/env bash
# PostgreSQL's CPU per chain request against the rows a batch carries, without the services:
# pgbench replays what B chain requests cost the database when they share every batch (the
# user-service's multi-row SELECT in one pipeline batch; the deadline guard and the multi-row
# INSERT orders in the next; the guard and the multi-row INSERT audit_logs in the third: three
# Syncs, as the services' pipelines send them), for each B in BATCHES, on a private PostgreSQL
# with the chain's schema. CPU is the server's: the machine's busy time less pgbench's;
# autovacuum is off, so a vacuum of the growing tables does not land in one run and not another.
# Environment: BATCHES ("1 6 32"), CLIENTS (4), SECONDS_EACH (8), ROUNDS (2), GUARD (1; 0 leaves
# the deadline guards out, to price them).
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

BATCHES=${BATCHES:-1 6 32}
CLIENTS=${CLIENTS:-4}
SECONDS_EACH=${SECONDS_EACH:-8}
ROUNDS=${ROUNDS:-2}
GUARD=${GUARD:-1}
command -v pgbench >/dev/null || die "pgbench is needed (apt-get install postgresql-contrib or postgresql-client)"
DIR=$(mktemp -d /tmp/chain-pg-batch.XXXXXX)
URL=$(bash scripts/pg.sh start "$DIR" "$(free_port)")
trap 'bash scripts/pg.sh stop "$DIR"; rm -rf "$DIR"' EXIT
psql -X -q "$URL" -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null

# The machine's busy CPU ticks (user, nice, system, irq, softirq of every core): the server's
# CPU is that, over a run, less pgbench's own. Per process it cannot be had: pgbench's backends
# come and go with its connections.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# script B: the pgbench script of B requests sharing each batch (values as the seed's requests).
script() {
    local b=$1 i u='' items='' det='' tr='' ac='' n=''
    for i in $(seq 1 "$b"); do
        echo "\\set u$i random(1, 10000)"
        u+=":u$i,"; ac+="'purchase',"; n+="3998,"
        items+="'[{\"sku\": \"SKU-1\", \"qty\": 2, \"unit_price_cents\": 1999}]',"
        det+="'{\"total_cents\": 4498, \"item_count\": 2}',"; tr+="'0af7651916cd43dd8448eb211c80319c',"
    done
    u=${u%,}; ac=${ac%,}; n=${n%,}; items=${items%,}; det=${det%,}; tr=${tr%,}
    local guard="SELECT CASE WHEN clock_timestamp() <= now() + interval '10 s' THEN 0 ELSE 1 / (random() * 0)::int END;"
    [[ $GUARD == 1 ]] || guard=''
    cat <<SQL
\\startpipeline
SELECT id, name, email, tier FROM users WHERE id = ANY(ARRAY[$u]::bigint[]);
\\endpipeline
\\startpipeline
$guard
INSERT INTO orders (user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id) SELECT unnest(ARRAY[$u]::bigint[]), unnest(ARRAY[$ac]::text[]), unnest(ARRAY[$items]::jsonb[]), unnest(ARRAY[$n]::bigint[]), unnest(ARRAY[$n]::bigint[]), unnest(ARRAY[$n]::bigint[]), unnest(ARRAY[$n]::bigint[]), unnest(ARRAY[$tr]::text[]) RETURNING id;
\\endpipeline
\\startpipeline
$guard
INSERT INTO audit_logs (trace_id, user_id, order_id, action, status, details) SELECT unnest(ARRAY[$tr]::text[]), unnest(ARRAY[$u]::bigint[]), unnest(ARRAY[$u]::bigint[]), unnest(ARRAY[$ac]::text[]), 'completed', unnest(ARRAY[$det]::jsonb[]) RETURNING id;
\\endpipeline
SQL
}

printf '%s, %s cores, pgbench -M prepared -c %s, %s s per run, deadline guards %s, the server'"'"'s CPU = busy CPU (/proc/stat) - pgbench'"'"'s.\n\n' \
    "$(date -u '+%F %H:%M UTC')" "$(nproc)" "$CLIENTS" "$SECONDS_EACH" "$([[ $GUARD == 1 ]] && echo on || echo off)"
printf '| round | requests per batch | requests/s | server CPU µs per request |\n|---:|---:|---:|---:|\n'
for r in $(seq 1 "$ROUNDS"); do
    for b in $BATCHES; do
        script "$b" >"$DIR/b$b.sql"
        pgbench -n -M prepared -c "$CLIENTS" -j 1 -T 2 -f "$DIR/b$b.sql" "$URL" >/dev/null 2>&1   # warm-up
        t0=$(busy_ticks)
        TIMEFORMAT='%U %S'
        { time pgbench -n -M prepared -c "$CLIENTS" -j 1 -T "$SECONDS_EACH" -f "$DIR/b$b.sql" "$URL" >"$DIR/out" 2>&1; } 2>"$DIR/time"
        t1=$(busy_ticks)
        tx=$(awk '/number of transactions actually processed/ { split($NF, a, "/"); print a[1] }' "$DIR/out")
        [[ "$tx" =~ ^[0-9]+$ && "$tx" -gt 0 ]] || { cat "$DIR/out" >&2; die "pgbench ran no transaction"; }
        awk -v r="$r" -v b="$b" -v tx="$tx" -v s="$SECONDS_EACH" -v dt="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" \
            -v client="$(awk '{ print $1 + $2 }' "$DIR/time")" \
            'BEGIN { printf "| %d | %d | %.0f | %.0f |\n", r, b, tx * b / s, (dt / hz - client) * 1e6 / (tx * b) }'
    done
done
