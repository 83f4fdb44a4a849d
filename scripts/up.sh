#!/usr/bin/env bash
# Start the local stack in the background: ./scripts/up.sh     Stop it: ./scripts/down.sh
#
# Installs the missing Debian packages, builds the release binary, starts every component that
# is not already running, and waits until each answers its health check. Runtime state lives
# in .run/: one pidfile per component (.run/NAME.pid), logs in .run/logs/NAME.log.
# Re-running is safe: running components are left alone.
#
# Environment: CHAIN_PORT (8080), SKIP_PACKAGES=1, SKIP_BUILD=1, HEALTH_TIMEOUT (30 s).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

CHAIN_PORT=${CHAIN_PORT:-8080}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-30}

# --- the components, in start order (down.sh stops them in reverse) -------------------------
# To add one (postgres, user/order/audit services, nginx gateway, prometheus...): append its
# name here and give it a case in each component_* function below.
COMPONENTS=(chain)

component_port() {
    case $1 in
        chain) echo "$CHAIN_PORT" ;;
        *) die "unknown component $1" ;;
    esac
}

component_health_url() {
    case $1 in
        chain) echo "http://127.0.0.1:$CHAIN_PORT/health" ;;
        *) die "unknown component $1" ;;
    esac
}

component_start() {
    case $1 in
        chain) start_daemon chain "$(chain_bin)" serve --port "$CHAIN_PORT" --host 127.0.0.1 ;;
        *) die "unknown component $1" ;;
    esac
}

# --- main ------------------------------------------------------------------------------------
section "packages"
if [[ -n "${SKIP_PACKAGES:-}" ]]; then
    log "SKIP_PACKAGES set: not checking Debian packages"
else
    need_project_packages
fi

to_start=()
for c in "${COMPONENTS[@]}"; do
    pidfile=$(daemon_pidfile "$c")
    if pidfile_alive "$pidfile"; then
        log "$c: already running (pid $(pidfile_pid "$pidfile"))"
    else
        rm -f "$pidfile"
        to_start+=("$c")
    fi
done

if ((${#to_start[@]})); then
    section "build"
    if [[ -n "${SKIP_BUILD:-}" ]]; then
        log "SKIP_BUILD set: using $(chain_bin)"
    else
        build_release
    fi
    [[ -x "$(chain_bin)" ]] || die "no binary at $(chain_bin)"

    section "start"
    for c in "${to_start[@]}"; do
        port=$(component_port "$c")
        if port_in_use "$port"; then
            die "$c: port $port is already in use by another process (not started by up.sh)"
        fi
        component_start "$c"
        pidfile=$(daemon_pidfile "$c")
        if ! wait_http "$(component_health_url "$c")" "$HEALTH_TIMEOUT" "$(pidfile_pid "$pidfile")"; then
            err "$c did not become healthy; last lines of $(daemon_logfile "$c"):"
            tail -n 30 "$(daemon_logfile "$c")" >&2 || true
            stop_pidfile "$pidfile" 5 || true
            die "up failed (./scripts/down.sh stops whatever did start)"
        fi
        ok "$c healthy on 127.0.0.1:$port"
    done
else
    log "everything is already running (./scripts/down.sh && ./scripts/up.sh to restart)"
fi

section "ready"
cat <<EOF
The stack is up. Try:

    curl -s http://127.0.0.1:$CHAIN_PORT/health

Logs:  .run/logs/   (tail -f .run/logs/chain.log)
Stop:  ./scripts/down.sh
EOF
