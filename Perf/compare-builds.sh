#!/usr/bin/env bash
# Two builds side by side, alternating in one session: this checkout against BASE_REF (built in a
# git worktree), with Perf/bench-health.sh (GET /health, the runtime alone) and
# Perf/bench-chain.sh (the whole chain through the gateway at 64 connections). Each round runs
# both builds, in alternating order; the summary gives the medians and the ratios new/base.
#
#   Perf/compare-builds.sh e03f86d             # 3 rounds
#   ROUNDS=5 Perf/compare-builds.sh main~4
#
# Environment: ROUNDS (3), HEALTH_DURATION (6s), CHAIN_DURATION (8s), BASE_DIR (the worktree,
# /tmp/chain-base-<sha>), SKIP_BUILD=1 (both release builds exist already).
# Holds /tmp/chain-build.lock for the whole run.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."
. scripts/lib.sh
hold_build_lock "$SELF" "$@"

BASE_REF=${1:?usage: Perf/compare-builds.sh BASE_REF}
ROUNDS=${ROUNDS:-3}
HEALTH_DURATION=${HEALTH_DURATION:-6s}
CHAIN_DURATION=${CHAIN_DURATION:-8s}
SHA=$(git rev-parse --short "$BASE_REF")
BASE_DIR=${BASE_DIR:-/tmp/chain-base-$SHA}
NEW_DIR=$PWD

[[ -d "$BASE_DIR" ]] || git worktree add -q --detach "$BASE_DIR" "$SHA"
if [[ -z "${SKIP_BUILD:-}" ]]; then
    for d in "$BASE_DIR" "$NEW_DIR"; do (cd "$d" && swift build -c release --product chain >&2); done
fi
OUT=$(mktemp -d /tmp/chain-compare.XXXXXX)

# health BUILD_DIR: "req/s cpu-µs-per-request" of chain in one bench-health round.
health() {
    CHAIN_BIN="$1/.build/release/chain" SKIP_BUILD=1 ROUNDS=1 DURATION="$HEALTH_DURATION" \
        Perf/bench-health.sh >"$OUT/health.txt" 2>&1
    awk '/round 1 +chain/ { for (i = 1; i <= NF; i++) { if ($i == "req/s") r = $(i-1); if ($i == "µs/req") c = $(i-1) } }
         END { gsub(",", "", r); print r, c }' "$OUT/health.txt"
}

# chain BUILD_DIR: "req/s p99-ms cpu-µs-per-request" through the gateway at 64 connections.
# Each run starts from a new database (the schema and seed only): a checkout's .run/pg keeps
# every row its runs inserted, and inserts into tables of millions of rows (a random index
# leaf each, full-page images in the WAL after every checkpoint) cost the database far more
# than into fresh ones. Two worktrees' databases of different ages made two builds look level.
chain() {
    rm -rf "$1/.run/pg"   # bench-chain stopped its stack when it ended: nothing runs on it
    (cd "$1" && SKIP_BUILD=1 CONNS=64 DURATION="$CHAIN_DURATION" Perf/bench-chain.sh) >"$OUT/chain.txt" 2>&1
    python3 Perf/chain-summary.py "$OUT/chain.txt" "$CHAIN_DURATION"
}

printf 'round build health_rps health_cpu_us chain_rps chain_p99_ms chain_cpu_us\n' >"$OUT/rows"
for ((r = 1; r <= ROUNDS; r++)); do
    order="base new"; (( r % 2 == 0 )) && order="new base"
    for b in $order; do
        dir=$BASE_DIR; [[ $b == new ]] && dir=$NEW_DIR
        h=$(health "$dir"); c=$(chain "$dir")
        log "round $r $b: health $h | chain $c"
        printf '%s %s %s %s\n' "$r" "$b" "$h" "$c" >>"$OUT/rows"
    done
done

python3 - "$OUT/rows" "$SHA" "$(git rev-parse --short HEAD)" "$ROUNDS" "$HEALTH_DURATION" "$CHAIN_DURATION" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
base_sha, new_sha, rounds, hd, cd = sys.argv[2:]
cols = ["health req/s", "health CPU µs/req", "chain req/s", "chain p99 ms", "chain CPU µs/req"]
med = {b: [statistics.median(float(r[2 + i]) for r in rows if r[1] == b) for i in range(5)] for b in ("base", "new")}
print(f"## {base_sha} (base) vs {new_sha} (new), alternating, {rounds} rounds\n")
print(f"`Perf/compare-builds.sh {base_sha}`: bench-health 1 round x {hd} per build per round (chain alone, 2 loops, wrk -c64);")
print(f"bench-chain through the gateway at 64 connections, {cd}; CPU per request summed over every process but wrk.\n")
print("| build | " + " | ".join(cols) + " |")
print("|---|" + "---:|" * len(cols))
for b in ("base", "new"):
    print(f"| {b} | " + " | ".join(f"{v:,.1f}" if v < 100 else f"{v:,.0f}" for v in med[b]) + " |")
print("| new/base | " + " | ".join(f"{n / b:.2f}x" if b else "-" for n, b in zip(med["new"], med["base"])) + " |")
print("\nEvery round:\n")
for r in rows:
    print("- round " + r[0] + " " + r[1] + ": " + ", ".join(f"{c} {v}" for c, v in zip(cols, r[2:])))
PY
