#!/usr/bin/env bash
# The whole chain under load: the local stack of scripts/up.sh (three `chain serve --service`
# processes, nginx gateway, PostgreSQL), every span exported at 100 % to a cheap OTLP receiver
# (nginx answering 200 on /v1/traces). wrk posts the seed's request with user ids 1..10000
# (Perf/process.lua) through nginx at 16, 64 and 256 connections, then straight to user-service.
# Reports req/s, p50/p90/p99, CPU seconds and RSS of each process.
# Environment: DURATION (10s), CONNS ("16 64 256"), TARGETS ("gateway direct"), SKIP_BUILD=1.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
. Perf/lib-wrk.sh
hold_build_lock "$SELF" "$@"

DURATION=${DURATION:-10s}
CONNS=${CONNS:-16 64 256}
TARGETS=${TARGETS:-gateway direct}
[[ -n "${SKIP_BUILD:-}" ]] || swift build -c release --product chain >&2
TMP=$(mktemp -d /tmp/chain-bench-chain.XXXXXX)
. Perf/lib-chain.sh
cleanup() { stop_bench_chain; rm -rf "$TMP"; }
trap cleanup EXIT
start_bench_chain "$TMP"

pids() { for n in user-service order-service audit-service gateway postgres; do printf '%s ' "$n:$(cat .run/$n.pid 2>/dev/null || head -1 .run/pg/data/postmaster.pid 2>/dev/null)"; done; }
snapshot() { for pair in $(pids); do printf '%s=%s ' "${pair%%:*}" "$(cpu_of "${pair#*:}")"; done; }
rss() { for pair in $(pids); do printf '%s %s MiB; ' "${pair%%:*}" "$(( $(awk '/VmRSS/ { print $2 }' /proc/${pair#*:}/status 2>/dev/null || echo 0) / 1024 ))"; done; }

printf '## The chain under load\n\n%s, %s cores, wrk -t2 -d%s, Perf/process.lua, spans exported to nginx on /v1/traces.\n\n' "$(date -u +%F)" "$(nproc)" "$DURATION"
printf '| target | connections | req/s | p50 ms | p90 ms | p99 ms | non-2xx | CPU s (user, order, audit, gateway, postgres) |\n|---|---:|---:|---:|---:|---:|---:|---|\n'
for target in $TARGETS; do
    url="http://127.0.0.1:8080/api/v1/process"
    [[ $target == direct ]] && url="http://127.0.0.1:5001/process"
    for c in $CONNS; do
        wrk -t2 -c"$c" -d2s -s Perf/process.lua "$url" >/dev/null 2>&1 || true
        before=$(snapshot)
        wrk -t2 -c"$c" -d"$DURATION" --latency -s Perf/process.lua "$url" >"$TMP/wrk.txt" 2>&1
        after=$(snapshot)
        rps=$(awk '/Requests\/sec/ { print $2 }' "$TMP/wrk.txt")
        p50=$(awk '$1 == "50%" { print $2 }' "$TMP/wrk.txt"); p90=$(awk '$1 == "90%" { print $2 }' "$TMP/wrk.txt"); p99=$(awk '$1 == "99%" { print $2 }' "$TMP/wrk.txt")
        non2xx=$(awk '/Non-2xx/ { print $NF }' "$TMP/wrk.txt"); non2xx=${non2xx:-0}
        cpu=$(python3 - "$before" "$after" "$(getconf CLK_TCK)" <<'PY'
import sys
b = dict(x.split("=") for x in sys.argv[1].split()); a = dict(x.split("=") for x in sys.argv[2].split()); hz = int(sys.argv[3])
print(", ".join(f"{(int(a[k]) - int(b[k])) / hz:.1f}" for k in ["user-service", "order-service", "audit-service", "gateway", "postgres"]))
PY
)
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$target" "$c" "$rps" "$p50" "$p90" "$p99" "$non2xx" "$cpu"
    done
done
printf '\nRSS after the runs: %s\n' "$(rss)"
m=$(curl -s http://127.0.0.1:5001/metrics | grep -E '^chain_spans_(started|exported|dropped)_total' | tr '\n' ' ')
printf '\nuser-service span counters: `%s`\n' "$m"
