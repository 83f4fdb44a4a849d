#!/usr/bin/env bash
# Stop what ./scripts/up.sh started, and nothing else: every pidfile in .run/, in the reverse
# of the order up.sh started them. SIGTERM, then SIGKILL after STOP_TIMEOUT (10 s).
# The private PostgreSQL (.run/pg, "postgres" in the list) is stopped with scripts/pg.sh stop.
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
    grep -qxF "$n" <<<"$(printf '%s\n' "${names[@]}")" || names+=("$n")   # no pipe: pipefail + grep -q
done
shopt -u nullglob
PG_DIR="$CHAIN_RUN_DIR/pg"
PG_PIDFILE="$PG_DIR/data/postmaster.pid"
# A cluster up.sh started but did not list (interrupted run): last, like the first component.
if pidfile_alive "$PG_PIDFILE" && ! grep -qxF postgres <<<"$(printf '%s\n' "${names[@]}")"; then
    names+=(postgres)
fi

rc=0
stopped=0
for n in "${names[@]}"; do
    [[ -n "$n" ]] || continue
    if [[ $n == postgres ]]; then
        if pid=$(pidfile_pid "$PG_PIDFILE") && pid_running "$pid"; then
            info "stopping postgres (pid $pid, scripts/pg.sh stop)"
            scripts/pg.sh stop "$PG_DIR"
            if wait_pid_exit "$pid" "$STOP_TIMEOUT"; then stopped=$((stopped + 1)); else err "postgres (pid $pid) did not stop"; rc=1; fi
        else
            log "postgres: not running"
        fi
        continue
    fi
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
