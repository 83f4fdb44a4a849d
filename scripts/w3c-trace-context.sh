#!/usr/bin/env bash
# The official w3c/trace-context test suite (test/test.py) against `chain serve
# --enable-test-endpoints`, at SPEC_LEVEL=1 and SPEC_LEVEL=2 (STRICT_LEVEL stays at its default, 2).
#
#   scripts/w3c-trace-context.sh [SUITE]        SUITE, or W3C_TRACE_CONTEXT_DIR: a checkout of
#                                               w3c/trace-context, its test/ folder, or its git dir
#
# The suite is not the project's code and is never copied into the repository: a git dir is
# exported (git archive HEAD test) into a temporary folder. Its one dependency, aiohttp, goes into
# .venv-w3c (python3 -m venv, from PyPI). Prints "level L: P of N passed" per level; exits
# non-zero when a test fails. SKIP_BUILD=1 reuses .build/release/chain (CHAIN_BIN=path).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

SUITE=${1:-${W3C_TRACE_CONTEXT_DIR:-}}
[[ -n "$SUITE" ]] || die "usage: scripts/w3c-trace-context.sh SUITE_DIR (or W3C_TRACE_CONTEXT_DIR)"
[[ -e "$SUITE" ]] || die "no such directory: $SUITE"
VENV="${W3C_VENV:-$CHAIN_ROOT/.venv-w3c}"
PIP_SPEC='aiohttp>=3.8,<4'

TMP=$(mktemp -d "${TMPDIR:-/tmp}/chain-w3c.XXXXXX")
PIDFILE="$TMP/chain.pid"
cleanup() {
    local rc=$?
    stop_pidfile "$PIDFILE" 5 || true
    ((rc == 0)) || { log "--- last lines of the server log ---"; tail -n 20 "$TMP/chain.log" >&2 2>/dev/null || true; }
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the suite's test/ folder ----------------------------------------------------------------
# A mirror holds the git dir one level down (e.g. /work/.mirror/w3c+trace-context/repo).
is_git_dir() { git --git-dir="$1" rev-parse --git-dir >/dev/null 2>&1 && [[ -e "$1/HEAD" ]]; }
if [[ -f "$SUITE/test.py" ]]; then
    TEST_DIR=$SUITE
elif [[ -f "$SUITE/test/test.py" ]]; then
    TEST_DIR=$SUITE/test
else
    gitdir=''
    for d in "$SUITE" "$SUITE"/*; do is_git_dir "$d" && { gitdir=$d; break; }; done
    [[ -n "$gitdir" ]] || die "$SUITE: neither test/test.py nor a git dir of w3c/trace-context"
    git --git-dir="$gitdir" archive HEAD test | tar -x -C "$TMP"
    TEST_DIR=$TMP/test
    log "suite: $gitdir at $(git --git-dir="$gitdir" log -1 --format='%h %cs %s')"
fi
[[ -f "$TEST_DIR/test.py" ]] || die "no test.py in $TEST_DIR"

# --- python with aiohttp ---------------------------------------------------------------------
PY="$VENV/bin/python"
if ! "$PY" -c 'import aiohttp' 2>/dev/null; then
    info "creating $VENV with $PIP_SPEC"
    rm -rf "$VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$PY" -m pip install --quiet --disable-pip-version-check --no-input "$PIP_SPEC" >&2
fi

# --- the runs --------------------------------------------------------------------------------
[[ -n "${SKIP_BUILD:-}" ]] || build_release
BIN=$(chain_bin)
[[ -x "$BIN" ]] || die "no binary at $BIN"

# serve NAME ARGS...: `chain serve ARGS... --enable-test-endpoints` on a free port; prints the port.
serve() {
    local name=$1 port
    shift
    port=$(free_port)
    env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT -u OTEL_SERVICE_NAME \
        CHAIN_SPAN_FILE="$TMP/spans-$name.jsonl" \
        "$BIN" serve --host 127.0.0.1 --port "$port" --enable-test-endpoints "$@" \
        </dev/null >>"$TMP/chain.log" 2>&1 &
    echo $! >"$PIDFILE"
    wait_http "http://127.0.0.1:$port/health" 30 "$!" >&2 || die "$name: chain serve did not become healthy"
    log "$name: chain serve $* --enable-test-endpoints on 127.0.0.1:$port"
    printf '%s\n' "$port"
}

rc=0
results=()
# run_suite LABEL LEVEL PORT: one run of test.py; appends "LABEL, level L: P of N passed".
run_suite() {
    local label=$1 level=$2 port=$3 harness_port status=0 ran skipped failed=0 n total log="$TMP/run.log"
    harness_port=$(free_port)
    info "$label: SPEC_LEVEL=$level python test.py http://127.0.0.1:$port/test"
    (cd "$TEST_DIR" && SPEC_LEVEL=$level HARNESS_PORT=$harness_port timeout 300 \
        "$PY" test.py "http://127.0.0.1:$port/test") >"$log" 2>&1 || status=$?
    grep -vE ' \.\.\. ok$|^[a-z_]+ \(__main__\.[A-Za-z0-9_.]+\)$|^harness sends' "$log" >&2 || true
    ran=$(sed -nE 's/^Ran ([0-9]+) tests? .*/\1/p' "$log")
    skipped=$(grep -oE 'skipped=[0-9]+' "$log" | tail -n 1 | cut -d= -f2 || true)
    for n in $(grep -oE '(failures|errors)=[0-9]+' "$log" | cut -d= -f2); do failed=$((failed + n)); done
    ran=${ran:-0} skipped=${skipped:-0}
    total=$((ran - skipped))   # unittest counts a skipped test (one above the level) as run
    results+=("$label, level $level: $((total - failed)) of $total passed")
    if ((status != 0 || ran == 0 || failed != 0)); then rc=1; fi
}

# The bare runtime, as the README documents the endpoint.
port=$(serve runtime)
run_suite "chain serve" 1 "$port"
run_suite "chain serve" 2 "$port"
stop_pidfile "$PIDFILE" 10

# A real service of the chain (it needs its database; test.sh exports one).
if [[ -n "${DATABASE_URL:-}" ]]; then
    port=$(serve audit --service audit --database-url "$DATABASE_URL")
    run_suite "chain serve --service audit" 2 "$port"
    stop_pidfile "$PIDFILE" 10
else
    results+=("chain serve --service audit: not run (no DATABASE_URL)")
fi
printf '%s\n' "${results[@]}"
exit "$rc"
