#!/usr/bin/env bash
# The compose stack's database roles on a real PostgreSQL (a private cluster, scripts/pg.sh):
# infra/schema.sql loaded by the superuser, then infra/postgres/app-role.sql as the compose
# init does (psql -v app_password=...); then, as chain_app, every statement of
# Sources/ChainServices/Services/SQL.swift's kinds must work and anything else must be refused.
# Prints PASS/FAIL lines; exit 1 on any failure. Usage: check_pg_roles.sh WORKDIR
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
dir=${1:?work directory}
# A free port below the kernel's ephemeral range (a fixed one there can be taken by any client
# socket): the first of 25400..25499 nothing listens on or is bound to.
port=$(python3 -c '
import socket
for p in range(25400, 25500):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()
')
[[ -n $port ]] || { printf 'FAIL  pg roles: no free port in 25400..25499\n'; exit 1; }
failed=0
ok()  { printf 'PASS  %s\n' "$*"; }
bad() { printf 'FAIL  %s\n' "$*"; failed=1; }
trap 'scripts/pg.sh stop "$dir" >/dev/null 2>&1' EXIT
scripts/pg.sh start "$dir" "$port" >/dev/null || { bad "pg roles: private PostgreSQL did not start"; exit 1; }
psql_as() { local who=$1; shift; psql -X -q -h 127.0.0.1 -p "$port" -d chain -U "$who" -v ON_ERROR_STOP=1 "$@"; }
if psql_as postgres -v app_password=check -f infra/postgres/app-role.sql >/dev/null 2>&1; then
    ok "pg roles: infra/postgres/app-role.sql applies after infra/schema.sql"
else
    bad "pg roles: infra/postgres/app-role.sql failed"; exit 1
fi
allowed=(
    "SELECT id, name, email, tier FROM users WHERE id = 5"
    "INSERT INTO users (id, name, email, tier) VALUES (20001, 'n', 'a@b.c', 'standard') ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING id, name, email, tier"
    "INSERT INTO orders (user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id) VALUES (5, 'a', '[]'::jsonb, 1, 0, 0, 1, 't') RETURNING id"
    "INSERT INTO audit_logs (trace_id, user_id, order_id, action, status, details) VALUES ('t', 5, 1, 'a', 'completed', '{}'::jsonb) RETURNING id"
    "SELECT id, user_id, action, items, trace_id, created_at FROM orders WHERE id > 0 ORDER BY id LIMIT 5"
    "SELECT id, trace_id, details FROM audit_logs WHERE id > 0 AND ('' = '' OR trace_id = '') ORDER BY id LIMIT 5"
    "INSERT INTO idempotency_keys AS k (key, request_hash, token, state, trace_id, expires_at) VALUES ('k1', 'h', gen_random_uuid()::text, 'in_flight', 't', now() + interval '24 hours') ON CONFLICT (key) DO UPDATE SET state = 'in_flight' RETURNING token"
    "UPDATE idempotency_keys SET state = 'done', status = 200, response = '{}' WHERE key = 'k1'"
    "WITH claim AS (INSERT INTO idempotency_rows (service, token, row_id, expires_at) VALUES ('order', 'tok', nextval(pg_get_serial_sequence('orders', 'id')), now() + interval '25 hours') ON CONFLICT (service, token) DO NOTHING RETURNING row_id) INSERT INTO orders (id, user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id) SELECT row_id, 5, 'a', '[]'::jsonb, 1, 0, 0, 1, 't' FROM claim RETURNING id"
    "WITH d AS (DELETE FROM orders WHERE id = -1 RETURNING id) DELETE FROM idempotency_rows WHERE service = 'order' AND row_id IN (SELECT id FROM d)"
    "DELETE FROM users WHERE id = 20001"
    "DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys WHERE expires_at < now() LIMIT 500 FOR UPDATE SKIP LOCKED)"
)
refused=(
    "UPDATE users SET name = 'x' WHERE id = 5"
    "UPDATE orders SET total_cents = 0"
    "DELETE FROM audit_logs"
    "TRUNCATE orders"
    "CREATE TABLE extra (id int)"
    "DROP TABLE users"
    "ALTER TABLE users ADD COLUMN extra int"
    "SELECT setval('orders_id_seq', 1)"
    "CREATE DATABASE other"
)
for q in "${allowed[@]}"; do
    if out=$(psql_as chain_app -c "$q" 2>&1); then ok "pg roles: chain_app may: ${q:0:60}"; else bad "pg roles: chain_app may: $q ($out)"; fi
done
for q in "${refused[@]}"; do
    if psql_as chain_app -c "$q" >/dev/null 2>&1; then bad "pg roles: chain_app must not: $q"; else ok "pg roles: chain_app must not: $q"; fi
done
exit $failed
