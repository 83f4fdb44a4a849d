"""The chain's two multi-row INSERTs (SQL.multiRow in Sources/ChainServices/Services/SQL.swift),
BATCHES batches of ROWS rows each on one connection, in one of these forms:
  text        the chain's statements, arrays in text format
  binary      the chain's statements, arrays in binary format (as PGArrayBinary sends them)
  ordinality  binary, FROM unnest(...) WITH ORDINALITY ... ORDER BY ord (the chain's form
              until the unnests moved into the SELECT list)
  unordered   binary, FROM unnest(...) without WITH ORDINALITY and ORDER BY
  subscripts  binary, rows taken by index: ($n::type[])[i] FROM generate_subscripts(...)
Prints the backend's pid first, so Perf/pg-array-format.sh can read that backend's callgrind
file. Usage: pg-array-format.py URL BATCHES ROWS MODE"""
import random
import re
import sys

import psycopg
from psycopg.types.json import Jsonb

url, batches, rows, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ORDERS_INTO = "INSERT INTO orders (user_id, action, items, subtotal_cents, discount_cents, tax_cents, total_cents, trace_id) "
AUDIT_INTO = "INSERT INTO audit_logs (trace_id, user_id, order_id, action, status, details) "
if mode in ("text", "binary"):
    ORDERS = ORDERS_INTO + ("SELECT unnest($1::bigint[]), unnest($2::text[]), unnest($3::jsonb[]), unnest($4::bigint[]), "
                            "unnest($5::bigint[]), unnest($6::bigint[]), unnest($7::bigint[]), unnest($8::text[]) RETURNING id")
    AUDIT = AUDIT_INTO + ("SELECT unnest($1::text[]), unnest($2::bigint[]), unnest($3::bigint[]), unnest($4::text[]), "
                          "'completed', unnest($5::jsonb[]) RETURNING id")
elif mode in ("ordinality", "unordered"):
    numbered = mode == "ordinality"
    ORDERS = ORDERS_INTO + ("SELECT u, a, i, s, d, x, t, tr FROM unnest($1::bigint[], $2::text[], $3::jsonb[], $4::bigint[], "
                            "$5::bigint[], $6::bigint[], $7::bigint[], $8::text[]) "
                            + ("WITH ORDINALITY AS r(u, a, i, s, d, x, t, tr, ord) ORDER BY ord" if numbered
                               else "AS r(u, a, i, s, d, x, t, tr)") + " RETURNING id")
    AUDIT = AUDIT_INTO + ("SELECT t, u, o, a, 'completed', d FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], "
                          "$5::jsonb[]) " + ("WITH ORDINALITY AS r(t, u, o, a, d, ord) ORDER BY ord" if numbered
                                             else "AS r(t, u, o, a, d)") + " RETURNING id")
elif mode == "subscripts":
    # The first array is named again at the end for generate_subscripts, so the row lists below
    # repeat it as a ninth (sixth) parameter.
    ORDERS = ORDERS_INTO + ("SELECT ($1::bigint[])[g.i], ($2::text[])[g.i], ($3::jsonb[])[g.i], ($4::bigint[])[g.i], "
                            "($5::bigint[])[g.i], ($6::bigint[])[g.i], ($7::bigint[])[g.i], ($8::text[])[g.i] "
                            "FROM generate_subscripts($9::bigint[], 1) AS g(i) ORDER BY g.i RETURNING id")
    AUDIT = AUDIT_INTO + ("SELECT ($1::text[])[g.i], ($2::bigint[])[g.i], ($3::bigint[])[g.i], ($4::text[])[g.i], "
                          "'completed', ($5::jsonb[])[g.i] FROM generate_subscripts($6::text[], 1) AS g(i) ORDER BY g.i RETURNING id")
else:
    sys.exit(f"unknown mode {mode}: text, binary, ordinality, unordered or subscripts")

# psycopg's placeholders: %b sends a parameter in binary format, %t in text format (`binary=`
# of execute is the results' format only).
placeholder = "%t" if mode == "text" else "%b"
ORDERS, AUDIT = (re.sub(r"\$\d", placeholder, s) for s in (ORDERS, AUDIT))
again = mode == "subscripts"

random.seed(1)   # the same rows in every mode
with psycopg.connect(url, autocommit=True) as c:
    print(c.execute("SELECT pg_backend_pid()").fetchone()[0], flush=True)
    for _ in range(batches):
        users = [random.randint(1, 10000) for _ in range(rows)]
        # API.md's pricing items for user u: 1 + u % 3 of them.
        items = [Jsonb([{"sku": f"SKU-{u}-{k}", "quantity": 1 + k % 2, "unit_price_cents": 500 + (u * 31 + k * 17) % 5000}
                        for k in range(1 + u % 3)]) for u in users]
        traces = ["%032x" % random.getrandbits(128) for _ in range(rows)]
        c.execute(ORDERS, [users, ["purchase"] * rows, items, [1000] * rows, [50] * rows, [78] * rows, [1028] * rows, traces] + [users] * again,
                  prepare=True).fetchall()
        c.execute(AUDIT, [traces, users, [1] * rows, ["purchase"] * rows, [Jsonb({"total_cents": 1028, "item_count": 2})] * rows] + [traces] * again,
                  prepare=True).fetchall()
