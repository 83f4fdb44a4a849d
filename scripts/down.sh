#!/usr/bin/env bash
# Stop what ./scripts/up.sh started, and nothing else: every pidfile in .run/, in the reverse
# of the order up.sh started them. SIGTERM, then SIGKILL after STOP_TIMEOUT (10 s).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

STOP_TIMEOUT=${STOP_TIMEOUT:-10}

names=()
if [[ -f "$CHAIN_STARTED_LIST" ]]; then
    mapfile -t names < <(tac "$CHAIN_STARTED_LIST")
fi
# Pidfiles up.sh wrote but did not list (an interrupted run): stop them too, after the others.
shopt -s nullglob
for f in "$CHAIN_RUN_DIR"/*.pid; do
    n=$(basename "$f" .pid)
    printf '%s\n' "${names[@]}" | grep -qxF "$n" || names+=("$n")
done
shopt -u nullglob

rc=0
stopped=0
for n in "${names[@]}"; do
    [[ -n "$n" ]] || continue
    pidfile=$(daemon_pidfile "$n")
    if pid=$(pidfile_pid "$pidfile") && pid_running "$pid"; then
        info "stopping $n (pid $pid)"
        if stop_pidfile "$pidfile" "$STOP_TIMEOUT"; then
            stopped=$((stopped + 1))
        else
            rc=1
        fi
    else
        rm -f "$pidfile"
        log "$n: not running"
    fi
done
((rc == 0)) && rm -f "$CHAIN_STARTED_LIST"
log "stopped $stopped process(es)"
exit "$rc"
