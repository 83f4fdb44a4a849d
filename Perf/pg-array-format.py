"""The chain's two multi-row INSERTs (SQL.multiRow in Sources/ChainServices/Services/SQL.swift),
BATCHES batches of ROWS rows each on one connection, with the arrays in text or binary format.
Prints the backend's pid first, so Perf/pg-array-format.sh can read that backend's callgrind
file. Usage: pg-array-format.py URL BATCHES ROWS text|binary"""
import random
import re
import sys

import psycopg
from psycopg.types.json import Jsonb

url, batches, rows, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ORDERS = """INSERT INTO orders (user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id)
SELECT u, a, i, s, d, x, t, tr FROM unnest($1::bigint[], $2::text[], $3::jsonb[], $4::bigint[], $5::bigint[],
$6::bigint[], $7::bigint[], $8::text[]) WITH ORDINALITY AS r(u, a, i, s, d, x, t, tr, ord) ORDER BY ord RETURNING id"""
AUDIT = """INSERT INTO audit_logs (trace_id, user_id, order_id, action, status, details)
SELECT t, u, o, a, 'completed', d FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::jsonb[])
WITH ORDINALITY AS r(t, u, o, a, d, ord) ORDER BY ord RETURNING id"""
# psycopg's placeholders: %b sends a parameter in binary format, %t in text format (`binary=`
# of execute is the results' format only).
placeholder = "%b" if mode == "binary" else "%t"
ORDERS, AUDIT = (re.sub(r"\$\d", placeholder, s) for s in (ORDERS, AUDIT))

random.seed(1)   # the same rows in both modes
with psycopg.connect(url, autocommit=True) as c:
    print(c.execute("SELECT pg_backend_pid()").fetchone()[0], flush=True)
    binary = False   # results in text format, as the services read them
    for _ in range(batches):
        users = [random.randint(1, 10000) for _ in range(rows)]
        # API.md's pricing items for user u: 1 + u % 3 of them.
        items = [Jsonb([{"sku": f"SKU-{u}-{k}", "quantity": 1 + k % 2, "unit_price_cents": 500 + (u * 31 + k * 17) % 5000}
                        for k in range(1 + u % 3)]) for u in users]
        traces = ["%032x" % random.getrandbits(128) for _ in range(rows)]
        c.execute(ORDERS, [users, ["purchase"] * rows, items, [1000] * rows, [50] * rows, [78] * rows, [1028] * rows, traces],
                  binary=binary, prepare=True).fetchall()
        c.execute(AUDIT, [traces, users, [1] * rows, ["purchase"] * rows, [Jsonb({"total_cents": 1028, "item_count": 2})] * rows],
                  binary=binary, prepare=True).fetchall()
