#!/usr/bin/env bash
# Validates the compose stack without a Docker engine (a stage of scripts/test.sh):
#   docker-compose config      infra/docker-compose.yaml parses (Debian's docker-compose 1.29)
#   Tests/stack/check_stack.py pinned images, health checks, ordering, mounts, profiles,
#                              collector/Tempo component names, Grafana provisioning, dashboards
#   Tests/stack/check_load.py  the stack under its bench load (issue 12): Tempo and collector
#                              sized from Perf/RESULTS.md's peak (infra/tempo/CAPACITY.md), span
#                              metrics before tail sampling, Tempo behind a forward connector,
#                              every service-graph edge, least privilege, the bench profile
#   promtool check config      both Prometheus configs
#   promtool check rules       every PromQL expression of the dashboards (Tests/stack/dashboard_rules.py)
#   check_pg_roles.sh          the services' database role on a private PostgreSQL: what it may
#                              do (SELECT, INSERT, the upsert) and what it may not
#   nginx -t                   the local gateway (chain.conf), the replicas' service proxy
#                              (service-proxy.conf) and the compose gateway
#                              (gateway.compose.conf without its otel lines, which need the module,
#                              without `resolve` on upstream servers, which Debian's nginx 1.22 lacks,
#                              and with the services' names pointed at 127.0.0.1)
# Prints one line per check and "N passed, M failed"; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

WORK=$(mktemp -d /tmp/chain-stack.XXXXXX)
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT

# run NAME CMD...: one check, its output shown only when it fails.
run() {
    local name=$1; shift
    if "$@" >"$WORK/out" 2>&1; then pass "$name"; else fail "$name: $(tail -n 5 "$WORK/out" | tr '\n' ' ')"; fi
}

for t in docker-compose promtool nginx; do
    command -v "$t" >/dev/null 2>&1 || fail "setup: $t not installed"
done
run "docker-compose config parses infra/docker-compose.yaml" \
    docker-compose -f infra/docker-compose.yaml config -q
run "docker-compose config parses it with docker-compose.postgres-port.yaml" \
    docker-compose -f infra/docker-compose.yaml -f infra/docker-compose.postgres-port.yaml config -q
run "docker-compose config parses it with TRACE_SAMPLING=on" \
    env TRACE_SAMPLING=on docker-compose -f infra/docker-compose.yaml config -q
for p in infra/prometheus/prometheus.yml infra/prometheus/prometheus.compose.yml; do
    run "promtool check config $p" promtool check config "$p"
done

# The local gateway, rendered as scripts/up.sh does.
mkdir -p "$WORK/local/tmp"
sed -e "s|@RUN_DIR@|$WORK/local|g; s|@GATEWAY_PORT@|18080|g; s|@USER_PORT@|5001|g" \
    -e "s|@ORDER_PORT@|5002|g; s|@AUDIT_PORT@|5003|g" infra/nginx/chain.conf >"$WORK/local/nginx.conf"
cp infra/nginx/chain-routes.conf "$WORK/local/"
run "nginx -t: infra/nginx/chain.conf with chain-routes.conf" \
    nginx -t -p "$WORK/local" -c "$WORK/local/nginx.conf" -e "$WORK/local/error.log"

# The replicas' service proxy (CHAIN_REPLICAS > 1), rendered as scripts/up.sh does.
mkdir -p "$WORK/proxy/tmp"
render_nginx_conf infra/nginx/service-proxy.conf "$WORK/proxy/nginx.conf" "$WORK/proxy" 0 "5001 5011" "5002 5012" \
    "5003 5013" 15102 15103
run "nginx -t: infra/nginx/service-proxy.conf (two replicas)" \
    nginx -t -p "$WORK/proxy" -c "$WORK/proxy/nginx.conf" -e "$WORK/proxy/error.log"

# The compose gateway: everything but the otel module's lines, with a writable pid file.
mkdir -p "$WORK/compose"
awk '
    /^[ \t]*#/ { next }
    /^load_module/ { next }
    /^[ \t]*otel_exporter[ \t]*\{/ { skip = 1 }
    skip { if ($0 ~ /\}/) skip = 0; next }
    /^[ \t]*otel_/ { next }
    { print }
' infra/nginx/gateway.compose.conf |
    sed -e "s|\$otel_trace_id|\$request_id|; s|^pid .*|pid $WORK/compose/nginx.pid;|" \
        -e "s#\(user\|order\|audit\)-service:#127.0.0.1:#; s# resolve max_fails# max_fails#" >"$WORK/compose/nginx.conf"
cp infra/nginx/chain-routes.conf "$WORK/compose/"
if grep -qE '^[[:space:]]*otel_|ngx_otel' "$WORK/compose/nginx.conf"; then
    fail "nginx -t: gateway.compose.conf: otel lines left after stripping"
else
    run "nginx -t: infra/nginx/gateway.compose.conf (otel lines removed)" \
        nginx -t -p "$WORK/compose" -c "$WORK/compose/nginx.conf" -e "$WORK/compose/error.log"
fi

# The database roles of the compose stack on a private PostgreSQL, when its binaries are here.
if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    Tests/stack/check_pg_roles.sh "$WORK/pg" >"$WORK/pg.txt" 2>&1
    cat "$WORK/pg.txt"
    add_checks "$WORK/pg.txt"
else
    fail "setup: PostgreSQL server binaries not installed (Tests/stack/check_pg_roles.sh)"
fi

PY=$(scripts/otlp-venv.sh) || { fail "setup: scripts/otlp-venv.sh"; PY=''; }
if [[ -n "$PY" ]]; then
    "$PY" Tests/stack/check_stack.py . >"$WORK/static.txt" 2>&1
    cat "$WORK/static.txt"
    add_checks "$WORK/static.txt"
    grep -q -e '^Traceback' -e '^[A-Za-z]*Error' "$WORK/static.txt" && fail "check_stack.py crashed"
    if "$PY" Tests/stack/dashboard_rules.py . >"$WORK/dashboard-rules.yml" 2>"$WORK/out"; then
        run "promtool check rules: every PromQL expression of grafana-dashboards/ parses" \
            promtool check rules "$WORK/dashboard-rules.yml"
    else
        fail "Tests/stack/dashboard_rules.py: $(tail -n 3 "$WORK/out" | tr '\n' ' ')"
    fi
    "$PY" Tests/stack/check_load.py . >"$WORK/load.txt" 2>&1
    cat "$WORK/load.txt"
    add_checks "$WORK/load.txt"
    grep -q -e '^Traceback' -e '^[A-Za-z]*Error' "$WORK/load.txt" && fail "check_load.py crashed"
fi
finish_checks
