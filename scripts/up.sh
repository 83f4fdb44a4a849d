#!/usr/bin/env bash
# Start the local stack in the background: ./scripts/up.sh     Stop it: ./scripts/down.sh
#
# Installs the missing Debian packages, builds the release binary, starts every component that
# is not already running, and waits until each answers its health check. Runtime state lives
# in .run/: one pidfile per component (.run/NAME.pid), logs in .run/logs/NAME.log.
# Re-running is safe: running components are left alone.
#
# Components: postgres (private cluster in .run/pg, port PG_PORT, migrated), user/order/audit
# services on 127.0.0.1:5001-5003, the nginx gateway (infra/nginx/chain.conf) on CHAIN_PORT,
# Prometheus (infra/prometheus/prometheus.yml) on 127.0.0.1:PROMETHEUS_PORT.
#
# CHAIN_REPLICAS=N (1) runs N processes of each service: replica r on 5001-5003 + 10 x (r - 1)
# (user 5001, 5011, ...), every replica in the gateway's upstreams, and the hops user -> order ->
# audit through a service proxy (infra/nginx/service-proxy.conf: order-service on 127.0.0.1:5102,
# audit-service on 127.0.0.1:5103, round-robin over the replicas, as a Kubernetes Service);
# Prometheus then scrapes every replica (.run/prometheus.yml). Change it after ./scripts/down.sh.
#
# Environment: CHAIN_PORT (8080), PROMETHEUS_PORT (9090), PG_PORT (55432), SKIP_PACKAGES=1,
# SKIP_BUILD=1, HEALTH_TIMEOUT (30 s), OTEL_EXPORTER_OTLP_ENDPOINT (passed to the services),
# CHAIN_SERVE_FLAGS (more `chain serve` flags for the three services, e.g. "--max-in-flight 64"),
# CHAIN_LOOPS (each service process's event loops; default: the cores over the processes).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

CHAIN_PORT=${CHAIN_PORT:-8080}          # the nginx gateway
PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}
PG_PORT=${PG_PORT:-55432}
USER_PORT=5001 ORDER_PORT=5002 AUDIT_PORT=5003   # fixed: infra/prometheus/prometheus.yml scrapes them
REPLICAS=${CHAIN_REPLICAS:-1}
[[ "$REPLICAS" =~ ^[1-9]$ ]] || die "CHAIN_REPLICAS=$REPLICAS: 1 to 9"
ORDER_VIP_PORT=5102 AUDIT_VIP_PORT=5103          # the service proxy's hops (CHAIN_REPLICAS > 1)
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-30}
# The services share this machine with each other, PostgreSQL and nginx: one loop per core in
# each of them would put three or more loop threads on every core. With the cores divided, each
# service's queries meet in fewer database connections, so a batch carries more of them; on 2
# cores that cut PostgreSQL's CPU per request by 30 % (Perf/RESULTS.md, "loops per service").
LOOPS=${CHAIN_LOOPS:-$(( ($(nproc) + 3 * REPLICAS - 1) / (3 * REPLICAS) ))}
[[ "$LOOPS" =~ ^[1-9][0-9]*$ ]] || die "CHAIN_LOOPS=$LOOPS: a positive number"
PG_DIR="$CHAIN_RUN_DIR/pg"
DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/chain"

# --- the components, in start order (down.sh stops them in reverse) -------------------------
# To add one: append its name here and give it a case in each component_* function below.
# Replica r > 1 of a service is NAME-r (user-service-2, on 5011).
COMPONENTS=(postgres)
for svc in user order audit; do
    COMPONENTS+=("$svc-service")
    for ((r = 2; r <= REPLICAS; r++)); do COMPONENTS+=("$svc-service-$r"); done
done
((REPLICAS > 1)) && COMPONENTS+=(service-proxy)
COMPONENTS+=(gateway prometheus)

# replica_ports BASE: the ports of a service's replicas (5001 -> "5001 5011" with 2 replicas).
replica_ports() {
    local r out=''
    for ((r = 1; r <= REPLICAS; r++)); do out+="${out:+ }$(($1 + 10 * (r - 1)))"; done
    echo "$out"
}
# component_replica NAME: "SERVICE PORT" of a service replica (user-service-2 -> "user 5011").
component_replica() {
    local svc=${1%%-*} r=1 base
    [[ $1 =~ -([0-9]+)$ ]] && r=${BASH_REMATCH[1]}
    case $svc in user) base=$USER_PORT ;; order) base=$ORDER_PORT ;; audit) base=$AUDIT_PORT ;; esac
    echo "$svc $((base + 10 * (r - 1)))"
}
# Where user- and order-service find the next hop.
if ((REPLICAS > 1)); then
    ORDER_URL="http://127.0.0.1:$ORDER_VIP_PORT" AUDIT_URL="http://127.0.0.1:$AUDIT_VIP_PORT"
else
    ORDER_URL="http://127.0.0.1:$ORDER_PORT" AUDIT_URL="http://127.0.0.1:$AUDIT_PORT"
fi

component_port() {
    case $1 in
        postgres) echo "$PG_PORT" ;;
        user-service*|order-service*|audit-service*) component_replica "$1" | cut -d' ' -f2 ;;
        service-proxy) echo "$ORDER_VIP_PORT" ;;
        gateway) echo "$CHAIN_PORT" ;;
        prometheus) echo "$PROMETHEUS_PORT" ;;
        *) die "unknown component $1" ;;
    esac
}

# component_pidfile NAME: where its pid lives (postgres keeps its own postmaster.pid).
component_pidfile() {
    case $1 in
        postgres) echo "$PG_DIR/data/postmaster.pid" ;;
        *) daemon_pidfile "$1" ;;
    esac
}

component_health_url() {
    case $1 in
        user-service*|order-service*|audit-service*) echo "http://127.0.0.1:$(component_port "$1")/health" ;;
        service-proxy) echo "$AUDIT_URL/health" ;;   # through it to an audit-service replica
        gateway) echo "http://127.0.0.1:$CHAIN_PORT/health" ;;
        prometheus) echo "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" ;;
        *) die "unknown component $1" ;;
    esac
}

# component_wait NAME: wait until it is healthy.
component_wait() {
    case $1 in
        postgres) pidfile_alive "$(component_pidfile postgres)" ;;   # pg.sh start already waited
        *) wait_http "$(component_health_url "$1")" "$HEALTH_TIMEOUT" "$(pidfile_pid "$(component_pidfile "$1")")" ;;
    esac
}

# start_service NAME SERVICE PORT [NEXT_URL]: a chain service. Spans go to the collector named by
# OTEL_EXPORTER_OTLP_ENDPOINT when set, else to .run/spans-NAME.jsonl.
start_service() {
    local name=$1 svc=$2 port=$3 next=${4:-} args=()
    [[ -n "$next" ]] && args=(--next-service-url "$next")
    read -r -a extra <<<"${CHAIN_SERVE_FLAGS:-}"
    args+=("${extra[@]}")
    start_daemon "$name" env -u OTEL_SERVICE_NAME \
        CHAIN_SPAN_FILE="$CHAIN_RUN_DIR/spans-$name.jsonl" DATABASE_URL="$DATABASE_URL" \
        ${next:+NEXT_SERVICE_URL="$next"} \
        "$(chain_bin)" serve --service "$svc" --host 127.0.0.1 --port "$port" --loops "$LOOPS" \
        --database-url "$DATABASE_URL" "${args[@]}"
}

component_start() {
    case $1 in
        postgres)
            local url
            url=$(scripts/pg.sh start "$PG_DIR" "$PG_PORT") || return 1
            [[ "$url" == "$DATABASE_URL" ]] || warn "pg.sh printed $url (expected $DATABASE_URL)"
            grep -qxF postgres "$CHAIN_STARTED_LIST" 2>/dev/null || echo postgres >>"$CHAIN_STARTED_LIST"
            log "postgres: started in ${PG_DIR#"$CHAIN_ROOT"/}, $DATABASE_URL"
            info "chain migrate"
            # The first writer of .run/logs/ on a fresh clone: start_daemon has not run yet.
            mkdir -p "$(dirname "$(daemon_logfile migrate)")"
            "$(chain_bin)" migrate --database-url "$DATABASE_URL" >>"$(daemon_logfile migrate)" 2>&1 \
                || { tail -n 20 "$(daemon_logfile migrate)" >&2; return 1; }
            ;;
        user-service*|order-service*|audit-service*)
            local svc port
            read -r svc port <<<"$(component_replica "$1")"
            case $svc in
                user) start_service "$1" user "$port" "$ORDER_URL" ;;
                order) start_service "$1" order "$port" "$AUDIT_URL" ;;
                audit) start_service "$1" audit "$port" ;;
            esac
            ;;
        service-proxy)
            local dir="$CHAIN_RUN_DIR/service-proxy"
            mkdir -p "$dir/tmp"
            chmod 755 "$CHAIN_RUN_DIR" "$dir"
            render_nginx_conf infra/nginx/service-proxy.conf "$dir/nginx.conf" "$dir" 0 "$(replica_ports "$USER_PORT")" \
                "$(replica_ports "$ORDER_PORT")" "$(replica_ports "$AUDIT_PORT")" "$ORDER_VIP_PORT" "$AUDIT_VIP_PORT"
            nginx -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" || return 1
            start_daemon service-proxy nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;'
            ;;
        gateway)
            local dir="$CHAIN_RUN_DIR/nginx"
            mkdir -p "$dir/tmp"
            chmod 755 "$CHAIN_RUN_DIR" "$dir"
            render_nginx_conf infra/nginx/chain.conf "$dir/nginx.conf" "$dir" "$CHAIN_PORT" "$(replica_ports "$USER_PORT")" \
                "$(replica_ports "$ORDER_PORT")" "$(replica_ports "$AUDIT_PORT")"
            nginx -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" || return 1
            start_daemon gateway nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;'
            ;;
        prometheus)
            local conf="$CHAIN_ROOT/infra/prometheus/prometheus.yml"
            mkdir -p "$CHAIN_RUN_DIR/prometheus"
            if ((REPLICAS > 1)); then
                conf="$CHAIN_RUN_DIR/prometheus.yml"
                render_prometheus_conf "$conf" "$(replica_ports "$USER_PORT")" "$(replica_ports "$ORDER_PORT")" "$(replica_ports "$AUDIT_PORT")"
            fi
            start_daemon prometheus prometheus --config.file="$conf" \
                --storage.tsdb.path="$CHAIN_RUN_DIR/prometheus" \
                --web.listen-address="127.0.0.1:$PROMETHEUS_PORT"
            ;;
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
    pidfile=$(component_pidfile "$c")
    if pidfile_alive "$pidfile"; then
        log "$c: already running (pid $(pidfile_pid "$pidfile"))"
    else
        [[ $c == postgres ]] || rm -f "$pidfile"
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
        if ! component_start "$c" || ! component_wait "$c"; then
            err "$c did not become healthy; last lines of its log:"
            if [[ $c == postgres ]]; then
                tail -n 30 "$PG_DIR/server.log" >&2 || true
            else
                tail -n 30 "$(daemon_logfile "$c")" >&2 || true
                stop_pidfile "$(component_pidfile "$c")" 5 || true
            fi
            die "up failed (./scripts/down.sh stops whatever did start)"
        fi
        ok "$c healthy on 127.0.0.1:$port"
    done
else
    log "everything is already running (./scripts/down.sh && ./scripts/up.sh to restart)"
fi

section "ready"
cat <<EOF
The chain is up: gateway http://localhost:$CHAIN_PORT -> user :$(replica_ports "$USER_PORT" | tr ' ' ,) -> order :$(replica_ports "$ORDER_PORT" | tr ' ' ,) -> audit :$(replica_ports "$AUDIT_PORT" | tr ' ' ,),
PostgreSQL $DATABASE_URL, Prometheus http://127.0.0.1:$PROMETHEUS_PORT. Try:

    curl -X POST http://localhost:$CHAIN_PORT/api/v1/process -H 'Content-Type: application/json' -d '{"user_id": 1001, "action": "test_trace"}'

See its trace (the trace_id of the response), a waterfall across the three services:

    $(chain_bin) trace <trace_id>

Logs:  .run/logs/   (tail -f .run/logs/user-service.log), PostgreSQL: .run/pg/server.log
Spans: .run/spans-*.jsonl (or OTEL_EXPORTER_OTLP_ENDPOINT=http://host:4318 ./scripts/up.sh)
Stop:  ./scripts/down.sh
EOF
