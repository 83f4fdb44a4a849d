#!/usr/bin/env bash
# PostgreSQL's instructions for the chain's multi-row INSERTs, in several forms: a private
# PostgreSQL under valgrind's callgrind (every backend counted, deterministic where wall clocks
# are not), Perf/pg-array-format.py sending BATCHES batches of ROWS rows of INSERT orders and
# INSERT audit_logs in each form on a connection of its own (psycopg from PyPI, in .venv-perf).
# Prints each backend's instructions per row of both tables, the forms in MODES then again in
# reverse (ABBA). The forms (pg-array-format.py): the chain's statements with text or binary
# arrays (PGArrayBinary's lever), ordinality and unordered (FROM unnest(...), with and without
# ORDER BY: the form before the unnests moved into the SELECT list), subscripts (rows by index).
# With BREAKDOWN=1, also where each backend's instructions go: the server functions in
# BREAKDOWN_FUNCS, inclusive, per row (Perf/RESULTS.md).
#   BATCHES=600 Perf/pg-array-format.sh
#   MODES="binary ordinality" BREAKDOWN=1 Perf/pg-array-format.sh
# Environment: BATCHES (300), ROWS (10), MODES ("text binary"), BREAKDOWN, BREAKDOWN_FUNCS.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

BATCHES=${BATCHES:-300}
ROWS=${ROWS:-10}
read -r -a MODES <<<"${MODES:-text binary}"
BREAKDOWN_FUNCS=${BREAKDOWN_FUNCS:-RI_FKey_check_ins array_recv jsonb_recv ExecInsertIndexTuples ExecMakeTableFunctionResult heap_insert XLogInsert CommitTransactionCommand}
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

# A first connection in each form warms the server's shared caches, so the order of the
# measured ones does not matter.
for mode in "${MODES[@]}"; do "$VENV/bin/python" Perf/pg-array-format.py "$URL" 20 "$ROWS" "$mode" >/dev/null; done

# breakdown FILE: "name per-row ..." for each of BREAKDOWN_FUNCS (inclusive instructions).
breakdown() {
    callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null | awk -v funcs="$BREAKDOWN_FUNCS" -v n=$((BATCHES * ROWS)) '
        BEGIN { split(funcs, f, " "); for (i in f) want[f[i]] = 1 }
        { name = $0; sub(/ \[.*/, "", name); sub(/.*:/, "", name); v = $1; gsub(",", "", v)
          if (name in want && !(name in seen)) { seen[name] = 1; out = out sprintf(" %s %d", name, v / n) } }
        END { print substr(out, 2) }'
}

printf '| form | backend instructions per row (one INSERT orders row and one INSERT audit_logs row) |\n|---|---:|\n'
order=("${MODES[@]}")
for ((i = ${#MODES[@]} - 1; i >= 0; i--)); do order+=("${MODES[i]}"); done
for mode in "${order[@]}"; do
    pid=$("$VENV/bin/python" Perf/pg-array-format.py "$URL" "$BATCHES" "$ROWS" "$mode" | head -n 1)
    # The backend writes its counts when it exits, after the client closed.
    for _ in $(seq 1 60); do grep -q '^totals:' "$DIR/cg/$pid.out" 2>/dev/null && break; sleep 1; done
    total=$(awk '/^totals:/ { print $2 }' "$DIR/cg/$pid.out")
    printf '| %s | %s |\n' "$mode" "$((total / (BATCHES * ROWS)))"
    if [[ -n "${BREAKDOWN:-}" ]]; then
        printf '%s: %s\n' "$mode" "$(breakdown "$DIR/cg/$pid.out")" >>"$DIR/breakdown.txt"
    fi
done
if [[ -f "$DIR/breakdown.txt" ]]; then
    printf '\nInclusive instructions per row, by server function:\n\n'
    cat "$DIR/breakdown.txt"
fi
