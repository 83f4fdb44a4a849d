#!/bin/sh
# The compose stack's `bench` profile (infra/docker-compose.yaml, service loadgen, image
# grafana/k6): docker compose --profile bench up loadgen
#   1. waits for the gateway,
#   2. k6 runs Perf/k6/bench.js: BENCH_RATE arrivals/s for BENCH_DURATION (an open model), prints
#      p50/p90/p99/p99.9 of the answers with the time window,
#   3. waits for the span metrics to be flushed and scraped (BENCH_METRICS_LAG, 25 s),
#   4. k6 runs Perf/k6/report.js: Prometheus' server-side percentiles of the same window, per
#      service and for the gateway.
# Both reports go to stdout and to BENCH_RESULTS (bench-results/ at the repository root):
# <stamp>-client.{txt,json}, <stamp>-server.{txt,json}, <stamp>-window.env.
# Exit status: the bench's k6 (non-zero when it could not run or a threshold failed), else the
# report's.
set -eu
URL=${BENCH_URL:-http://gateway:8080/api/v1/process}
RESULTS=${BENCH_RESULTS:-/bench-results}
WAIT=${BENCH_WAIT:-120}
LAG=${BENCH_METRICS_LAG:-25}
DIR=$(dirname "$0")
HEALTH="${URL%%/api/*}/health"
BENCH_STAMP=$(date -u +%Y%m%dT%H%M%SZ)
export BENCH_STAMP BENCH_RESULTS="$RESULTS" BENCH_METRICS_LAG="$LAG"

if ! touch "$RESULTS/.write-test" 2>/dev/null; then
    echo "compose-k6-bench: cannot write to $RESULTS (BENCH_USER in infra/.env must own bench-results/)" >&2
    exit 1
fi
rm -f "$RESULTS/.write-test"

i=0
until wget -q -O /dev/null -T 2 "$HEALTH"; do
    i=$((i + 1))
    if [ "$i" -ge "$WAIT" ]; then echo "compose-k6-bench: $HEALTH not healthy after ${WAIT}s" >&2; exit 1; fi
    sleep 1
done

rc=0
k6 run --quiet "$DIR/k6/bench.js" || rc=$?
if [ ! -f "$RESULTS/$BENCH_STAMP-window.env" ]; then
    echo "compose-k6-bench: k6 wrote no window (exit $rc)" >&2
    exit "$([ "$rc" -ne 0 ] && echo "$rc" || echo 1)"
fi
# shellcheck source=/dev/null   # written by the k6 run above
. "$RESULTS/$BENCH_STAMP-window.env"
export BENCH_START BENCH_END
echo "compose-k6-bench: waiting ${LAG}s for the span metrics of the window to reach Prometheus"
sleep "$LAG"
rc2=0
k6 run --quiet "$DIR/k6/report.js" || rc2=$?
echo "compose-k6-bench: results in bench-results/$BENCH_STAMP-*"
[ "$rc" -ne 0 ] && exit "$rc"
exit "$rc2"
