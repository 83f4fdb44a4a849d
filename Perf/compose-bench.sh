#!/bin/sh
# The compose stack's `bench-closed` profile (infra/docker-compose.yaml, service loadgen-closed) runs this in
# its container; it also runs against the local chain: BENCH_URL=http://127.0.0.1:8080/api/v1/process.
# Waits for the gateway, warms up for BENCH_WARMUP, then wrk posts the seed's request with user ids
# 1..10000 (Perf/process.lua) for BENCH_DURATION and prints wrk's report with the latency
# distribution. Exit status: wrk's, or 1 when the gateway never became healthy or any request
# failed (socket errors or non-2xx answers).
# Environment: BENCH_URL, BENCH_DURATION (60s), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
# BENCH_WARMUP (5s), BENCH_WAIT (seconds to wait for the gateway, 120).
set -eu
URL=${BENCH_URL:-http://gateway:8080/api/v1/process}
DURATION=${BENCH_DURATION:-60s}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
WAIT=${BENCH_WAIT:-120}
WARMUP=${BENCH_WARMUP:-5s}
DIR=$(dirname "$0")
HEALTH="${URL%%/api/*}/health"

i=0
until curl -fsS -o /dev/null --max-time 2 "$HEALTH"; do
    i=$((i + 1))
    if [ "$i" -ge "$WAIT" ]; then echo "compose-bench: $HEALTH not healthy after ${WAIT}s" >&2; exit 1; fi
    sleep 1
done

echo "compose-bench: warm-up $WARMUP, then wrk -t$THREADS -c$CONNS -d$DURATION -s process.lua $URL"
wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$DIR/process.lua" "$URL" >/dev/null
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
# Not `wrk ... | tee`: a pipeline's status is its last command's (tee's), and dash has no
# pipefail; wrk's own status is kept.
rc=0
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$DIR/process.lua" "$URL" >"$OUT" || rc=$?
cat "$OUT"
if [ "$rc" -ne 0 ]; then
    echo "compose-bench: wrk failed (exit $rc)" >&2
    exit "$rc"
fi
if grep -q -e "Socket errors" -e "Non-2xx" "$OUT"; then
    echo "compose-bench: some requests failed (see above)" >&2
    exit 1
fi
