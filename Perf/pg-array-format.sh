#!/usr/bin/env bash
# PostgreSQL's instructions for the chain's multi-row INSERTs with their arrays in text format
# (array_in parses every element) against binary format (PGArrayBinary): a private PostgreSQL
# under valgrind's callgrind (every backend counted, deterministic where wall clocks are not),
# Perf/pg-array-format.py sending BATCHES batches of ROWS rows of INSERT orders and INSERT
# audit_logs in each format on a connection of its own (psycopg from PyPI, in .venv-perf).
# Prints each backend's instructions per row of both tables, each format twice (ABBA):
# PGArrayBinary's lever, priced where the server does the work (Perf/RESULTS.md). Environment: BATCHES (300), ROWS (10).
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

BATCHES=${BATCHES:-300}
ROWS=${ROWS:-10}
VENV=.venv-perf
command -v valgrind >/dev/null || die "valgrind is needed (apt-get install valgrind)"
{ [[ -x $VENV/bin/pip ]] || python3 -m venv "$VENV"; } >&2
"$VENV/bin/python" -c 'import psycopg' 2>/dev/null || "$VENV/bin/pip" install -q 'psycopg[binary]' >&2

DIR=$(mktemp -d /tmp/chain-pg-array.XXXXXX)
PGBIN=/usr/lib/postgresql/15/bin
URL=$(bash scripts/pg.sh start "$DIR" "$(free_port)")   # initdb, the schema and the seed users
bash scripts/pg.sh stop "$DIR"
PORT=$(free_port)
mkdir -p "$DIR/cg" && chown postgres:postgres "$DIR/cg"
runuser -u postgres -- valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$DIR/cg/%p.out" \
    "$PGBIN/postgres" -D "$DIR/data" -p "$PORT" -k "$DIR" -c listen_addresses=127.0.0.1 >"$DIR/server.log" 2>&1 &
SERVER=$!
trap 'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1; wait "$SERVER"; rm -rf "$DIR"' EXIT
URL="postgresql://postgres@127.0.0.1:$PORT/chain"
for _ in $(seq 1 120); do pg_isready -q -h 127.0.0.1 -p "$PORT" && break; sleep 1; done

# A first connection in each format warms the server's shared caches, so the order of the
# measured ones does not matter.
for mode in text binary; do "$VENV/bin/python" Perf/pg-array-format.py "$URL" 20 "$ROWS" "$mode" >/dev/null; done

printf '| arrays | backend instructions per row (one INSERT orders row and one INSERT audit_logs row) |\n|---|---:|\n'
for mode in text binary binary text; do
    pid=$("$VENV/bin/python" Perf/pg-array-format.py "$URL" "$BATCHES" "$ROWS" "$mode" | head -n 1)
    # The backend writes its counts when it exits, after the client closed.
    for _ in $(seq 1 60); do grep -q '^totals:' "$DIR/cg/$pid.out" 2>/dev/null && break; sleep 1; done
    total=$(awk '/^totals:/ { print $2 }' "$DIR/cg/$pid.out")
    printf '| %s | %s |\n' "$mode" "$((total / (BATCHES * ROWS)))"
done
