#!/usr/bin/env bash
# The README's first command as a newcomer runs it: a pristine `git clone` of HEAD (nothing in
# .run/, no .build), then, inside the clone and exactly as the README writes them:
#   - the first command of the README's first code block (./scripts/up.sh), twice (the second
#     run must leave the running stack alone),
#   - the README's `curl` (the code block up.sh's output is described by),
#   - the `chain trace <trace_id>` line up.sh prints, with the response's trace_id,
# checks that the trace shows user-service, order-service and audit-service, runs
# ./scripts/down.sh, and checks that no process up.sh started is left and that its ports are free.
#
# It tests the committed HEAD: uncommitted changes of the working tree are not in the clone.
# The clone gets the dependency checkouts of this tree's .build (no network needed), not its
# build products: a copied .build fails to build in another directory ("precompiled file ...
# was compiled with module cache path '/work/main/.build/...'"), and without its module caches
# it is a full rebuild anyway. So the clone's up.sh does a full release build: 55 s of the
# stage's 64 s on the project's 2-core machine.
#
# Usage: scripts/newcomer.sh       (NEWCOMER_KEEP=1 keeps the clone for a post-mortem)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# up.sh's fixed ports (see scripts/up.sh): gateway, Prometheus, PostgreSQL, the three services.
PORTS=(8080 9090 55432 5001 5002 5003)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chain-newcomer.XXXXXX")
CLONE="$WORK/chain"
failures=0

check() { # check DESCRIPTION CONDITION-COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else err "FAIL: $what"; failures=$((failures + 1)); fi
}

# Every pid the clone's up.sh recorded (its pidfiles and the postmaster's).
clone_pids() {
    local f
    for f in "$CLONE"/.run/*.pid "$CLONE"/.run/pg/data/postmaster.pid; do
        [[ -e "$f" ]] && pidfile_pid "$f"
    done
    return 0
}

cleanup() {
    local rc=$?
    # A failed run must not leave the clone's stack behind (it holds the fixed ports).
    if [[ -x "$CLONE/scripts/down.sh" ]] && [[ -n "$(clone_pids)" ]]; then
        (cd "$CLONE" && ./scripts/down.sh >/dev/null 2>&1) || true
    fi
    if [[ -n "${NEWCOMER_KEEP:-}" ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for p in "${PORTS[@]}"; do
    port_in_use "$p" && die "port $p is in use before the run: up.sh needs 8080, 9090, 55432 and 5001-5003 free"
done

# --- a pristine clone of HEAD ----------------------------------------------------------------
head=$(git rev-parse --short HEAD)
if [[ -n "$(git status --porcelain --untracked-files=no)" ]]; then
    log "the working tree has uncommitted changes: they are not tested, the clone is HEAD ($head)"
fi
info "git clone of HEAD $head into $CLONE"
git clone -q --no-hardlinks "$CHAIN_ROOT" "$CLONE"
[[ ! -e "$CLONE/.run" && ! -e "$CLONE/.build" ]] || die "the clone is not pristine"
# The resolved dependencies only (SwiftPM would otherwise fetch them from the network).
if [[ -d .build/checkouts ]]; then
    mkdir -p "$CLONE/.build"
    cp -a .build/checkouts .build/repositories .build/workspace-state.json "$CLONE/.build/"
fi

# --- the README's commands -------------------------------------------------------------------
# The first line of the first code block, comment removed.
first_command=$(awk '/^```sh$/ {inside = 1; next} inside {print; exit}' README.md)
first_command=$(sed -E 's/[[:space:]]*#.*$//' <<<"$first_command")
[[ "$first_command" == ./scripts/up.sh ]] || die "the README's first command is '$first_command', expected ./scripts/up.sh"
# The curl of the block that shows what up.sh prints: from "curl -X POST" to the end of its
# backslash-continued lines.
readme_curl=$(awk '/^curl -X POST / {on = 1} on {print; if ($0 !~ /\\$/) exit}' README.md)
[[ -n "$readme_curl" ]] || die "no 'curl -X POST' command in README.md"

info "$first_command   (in the clone)"
t0=$SECONDS
# Run as the README says; the test's own environment (DATABASE_URL of test.sh, a span file,
# an OTLP endpoint) must not leak into it.
# TMPDIR: SwiftPM leaves lock files named after the clone's path there.
mkdir -p "$WORK/tmp"
if ! (cd "$CLONE" && TMPDIR="$WORK/tmp" env -u DATABASE_URL -u CHAIN_SPAN_FILE -u CHAIN_BIN -u CHAIN_RUN_DIR \
        -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_EXPORTER_OTLP_TRACES_ENDPOINT -u SKIP_BUILD \
        bash -c "$first_command" >"$WORK/up.out" 2>"$WORK/up.err"); then
    tail -n 30 "$WORK/up.err" >&2
    die "$first_command failed on a fresh clone ($((SECONDS - t0))s)"
fi
ok "$first_command on a fresh clone ($((SECONDS - t0))s, release build included)"
pids=$(clone_pids | sort -u | tr '\n' ' ')
log "started: pids $pids"
# The README: "Re-running up.sh is safe": a second run leaves everything alone.
check "a second $first_command leaves the running stack alone" bash -c "cd '$CLONE' && TMPDIR='$WORK/tmp' \
    bash -c '$first_command' >'$WORK/up2.out' 2>&1 && grep -q 'everything is already running' '$WORK/up2.out'"

info "the README's curl"
response=$(cd "$CLONE" && bash -c "$readme_curl -sS --max-time 10")
log "$response"
trace_id=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["trace_id"])' "$response" 2>/dev/null || true)
check "the README's curl answers with a trace_id (got '$trace_id')" \
    bash -c "[[ '$trace_id' =~ ^[0-9a-f]{32}$ ]]"

# The printed line, indented, ending in "trace <trace_id>".
trace_line=$(grep -E ' trace <trace_id>$' "$WORK/up.out" | head -n 1 | sed -E 's/^[[:space:]]+//')
[[ -n "$trace_line" ]] || die "up.sh did not print a 'chain trace <trace_id>' line"
trace_cmd=${trace_line/<trace_id>/$trace_id}
info "$trace_cmd"
# Spans reach .run/spans-*.jsonl after the exporter's batch delay: poll, don't sleep a guess.
services_seen() { grep -q user-service "$1" && grep -q order-service "$1" && grep -q audit-service "$1"; }
for _ in $(seq 60); do
    (cd "$CLONE" && env -u CHAIN_SPAN_FILE bash -c "$trace_cmd") >"$WORK/trace.txt" 2>&1 || true
    services_seen "$WORK/trace.txt" && break
    sleep 0.5
done
cat "$WORK/trace.txt" >&2
check "the printed chain trace command shows user-service, order-service and audit-service" \
    services_seen "$WORK/trace.txt"

# --- down, and nothing left ------------------------------------------------------------------
info "./scripts/down.sh"
check "./scripts/down.sh succeeds" bash -c "cd '$CLONE' && ./scripts/down.sh >'$WORK/down.out' 2>&1"
left=()
for pid in $pids; do
    pid_running "$pid" && left+=("$pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-60))")
done
# Children that have no pidfile (postgres backends, nginx workers) name the clone's directory.
for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    ((pid == $$)) && continue
    cmd=$(tr '\0' ' ' <"$f" 2>/dev/null) || continue
    [[ "$cmd" == *"$CLONE/"* ]] && pid_running "$pid" && left+=("$pid (${cmd:0:60})")
done
check "no process up.sh started is left running (left: ${left[*]:-none})" test "${#left[@]}" -eq 0
busy=()
for p in "${PORTS[@]}"; do port_in_use "$p" && busy+=("$p"); done
check "its ports are free again (busy: ${busy[*]:-none})" test "${#busy[@]}" -eq 0

((failures == 0)) || die "newcomer: $failures check(s) failed"
ok "newcomer: the README's commands work on a fresh clone of $head"
