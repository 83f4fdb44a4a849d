#!/usr/bin/env bash
# The project's test command: ./scripts/test.sh
#
# Works on a fresh Debian 12 machine with Swift in /opt/swift (or on PATH), as root or with
# passwordless sudo, non-interactive (CI=true, no stdin). Stages:
#   setup       install the missing Debian packages (not counted as a stage)
#   build       swift build --build-tests
#   scripts     shellcheck -S warning on every shell script of the repository
#   unit tests  swift test
#   io_uring    swift test again with CHAIN_IO_BACKEND=uring: every loop the tests make, and every
#               `chain serve` they start, on the io_uring backend (skipped when the kernel refuses it)
#   fuzz        scripts/fuzz.sh ${FUZZ_SECONDS:-60}   (skipped when the script does not exist)
#   smoke       scripts/smoke.sh                      (release build, real server, real sockets)
#   newcomer    scripts/newcomer.sh                   (README's up.sh/curl/trace/down.sh on a fresh clone)
#   w3c         scripts/w3c-trace-context.sh          (when the w3c/trace-context suite is found)
#   end-to-end  scripts/e2e.sh                        (the whole chain, nginx, Prometheus, dashboards)
#   replicas    CHAIN_REPLICAS=2 scripts/e2e.sh       (the same checks, two replicas of each service; each served)
#   profile     Perf/profile.sh, 3 s                  (a flame graph per component, the CPU-per-request table)
#   curve       Perf/latency-curve.sh, 2 steps of 3 s (a row per step with numeric percentiles, the plot),
#               then Perf/tail-anatomy.sh at 100/s for 4 s (the spans read back, the slow chains in time)
#   stack       scripts/stack-check.sh                (the compose stack, validated without Docker)
#   image       scripts/image-check.sh                (the Dockerfile's chain image, rebuilt with debootstrap)
#   kubernetes  scripts/k8s-check.sh                  (infra/k8s rendered and validated without a cluster)
# Stops at the first failing stage, exits non-zero, and always ends with "N passed, M failed".
#
# Environment: FUZZ_SECONDS (60), SWIFT_TEST_FLAGS (extra `swift test` flags), SKIP_PACKAGES=1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
exec </dev/null

LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/chain-test.XXXXXX")
passed=0
failed=0
skipped=()
failed_stage=''
started=$SECONDS

finish() {
    local rc=$?
    trap - EXIT INT TERM
    if ((rc != 0 && failed == 0)); then
        # Died outside a stage (setup, or a signal).
        failed=1
        failed_stage=${failed_stage:-setup}
    fi
    if [[ -n "${PG_TEST_DIR:-}" ]]; then
        bash scripts/pg.sh stop "$PG_TEST_DIR" || true
        rm -rf "$PG_TEST_DIR"
    fi
    xctest_summary=$(cat "$LOG_DIR/xctest.summary" 2>/dev/null || true)
    rm -rf "$LOG_DIR"
    printf '\n'
    section "summary"
    if ((${#skipped[@]})); then
        printf 'skipped: %s\n' "${skipped[@]}"
    fi
    if [[ -n "$failed_stage" ]]; then
        printf 'FAILED stage: %s\n' "$failed_stage"
    fi
    printf 'total time: %ss\n' $((SECONDS - started))
    # The closing line counts the XCTest cases plus the other stages (build, fuzz, smoke).
    local xt=0 xf=0 xs=0 np=$passed nf=$failed
    printf 'stages: %d passed, %d failed\n' "$passed" "$failed"
    if [[ -n "$xctest_summary" ]]; then
        read -r xt xf xs <<<"$xctest_summary"
        # The unit-test stage is replaced by its test cases.
        if [[ "$failed_stage" == "unit tests" ]]; then
            nf=$((nf - 1 + (xf > 0 ? xf : 1)))
        else
            np=$((np - 1))
            nf=$((nf + xf))
        fi
        np=$((np + xt - xf - xs))
    fi
    if ((xs > 0)); then
        printf '%d passed, %d failed, %d skipped\n' "$np" "$nf" "$xs"
    else
        printf '%d passed, %d failed\n' "$np" "$nf"
    fi
    ((failed == 0)) || exit 1
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_stage NAME FUNCTION: run FUNCTION in a subshell with errexit in force (an `if` around a
# function would silently disable set -e inside it), count the result, stop on failure.
run_stage() {
    local name=$1 fn=$2 t0=$SECONDS rc
    section "$name"
    set +e
    (set -e; "$fn")
    rc=$?
    set -e
    if ((rc == 0)); then
        passed=$((passed + 1))
        ok "$name ($((SECONDS - t0))s)"
    else
        failed=$((failed + 1))
        failed_stage=$name
        err "$name failed (exit $rc, $((SECONDS - t0))s)"
        exit 1
    fi
}

stage_build() {
    need_swift
    swift --version
    with_build_lock swift build --build-tests 2>&1 | tee "$LOG_DIR/build.log"
}

stage_unit_tests() {
    local rc=0 flags=()
    read -r -a flags <<<"${SWIFT_TEST_FLAGS:-}"
    with_build_lock swift test "${flags[@]}" 2>&1 | tee "$LOG_DIR/test.log" || rc=$?
    printf '\n--- test summary ---\n'
    # XCTest: the line after "Test Suite 'All tests' (or 'Selected tests') passed/failed"; swift-testing: "Test run with".
    grep -A1 -E "^Test Suite '(All|Selected) tests' (passed|failed)" "$LOG_DIR/test.log" \
        | grep -E 'Executed [0-9]+ tests?' | tail -n 1 || true
    grep -E 'Test run with [0-9]+ tests?' "$LOG_DIR/test.log" | tail -n 1 || true
    grep -A1 -E "^Test Suite '(All|Selected) tests' (passed|failed)" "$LOG_DIR/test.log" \
        | awk '/Executed [0-9]+ tests?/ {
              t = 0; f = 0; sk = 0
              for (i = 1; i <= NF; i++) {
                  if ($i == "Executed") t = $(i + 1)
                  if ($i ~ /^skipped/) sk = $(i - 2)
                  if ($i ~ /^failures?$/) f = $(i - 1)
              }
              print t, f, sk
          }' | tail -n 1 >"$LOG_DIR/xctest.summary" || true
    if ((rc != 0)); then
        printf 'failures:\n'
        grep -E ': error: |error: -\[|✘ Test .* (failed|recorded an issue)' "$LOG_DIR/test.log" \
            | head -n 50 || true
    fi
    return "$rc"
}

# uring_refusal: prints why this kernel refuses io_uring to this process (io_uring_disabled,
# seccomp, no io_uring at all); prints nothing when io_uring_setup succeeds.
uring_refusal() {
    python3 - <<'PY'
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)         # struct io_uring_params, zeroed
fd = libc.syscall(425, 4, params)                 # io_uring_setup (425 on every architecture)
if fd >= 0:
    os.close(fd)
else:
    e = ctypes.get_errno()
    try:
        sysctl = open("/proc/sys/kernel/io_uring_disabled").read().strip()
    except OSError:
        sysctl = "absent"
    print(f"io_uring_setup failed: {os.strerror(e)} (kernel.io_uring_disabled: {sysctl})")
PY
}

stage_unit_tests_uring() {
    # The test matrix's second column: the same suite, the same binary, every loop on io_uring.
    local rc=0 flags=()
    read -r -a flags <<<"${SWIFT_TEST_FLAGS:-}"
    CHAIN_IO_BACKEND=uring with_build_lock swift test --skip-build "${flags[@]}" >"$LOG_DIR/test-uring.log" 2>&1 || rc=$?
    grep -A1 -E "^Test Suite '(All|Selected) tests' (passed|failed)" "$LOG_DIR/test-uring.log" \
        | grep -E 'Executed [0-9]+ tests?' | tail -n 1 || true
    if ((rc != 0)); then
        printf 'failures:\n'
        grep -E ': error: |error: -\[' "$LOG_DIR/test-uring.log" | head -n 50 || true
    fi
    return "$rc"
}

stage_tsan() {
    # The lock-free span ring, the loop's cross-thread queue, the poller's recovery (both
    # backends in IOBackendTests) and the server's admission counters (read by the metrics thread) under ThreadSanitizer
    # (a separate scratch path: sanitized objects must not mix with the normal build).
    # The same suites run again with every loop on io_uring (the matrix switch), where it works.
    local rc=0 filter='SpanRingTests|EventLoopTests|TracerTests|PollerRecoveryTests|IOBackendTests|ServerHardeningTests'
    with_build_lock swift test --scratch-path .build-tsan --sanitize=thread --filter "$filter" >"$LOG_DIR/tsan.log" 2>&1 || rc=$?
    if ((rc == 0)) && [[ -z "$(uring_refusal)" ]]; then
        CHAIN_IO_BACKEND=uring with_build_lock swift test --skip-build --scratch-path .build-tsan --sanitize=thread \
            --filter "$filter" >>"$LOG_DIR/tsan.log" 2>&1 || rc=$?
    fi
    grep -E 'Executed [0-9]+ tests|SUMMARY: ThreadSanitizer' "$LOG_DIR/tsan.log" | tail -n 5 || true
    if ((rc != 0)); then
        printf 'failures:\n'
        grep -E ': error: |error: -\[' "$LOG_DIR/tsan.log" | head -n 50 || true
    fi
    if grep -q 'WARNING: ThreadSanitizer' "$LOG_DIR/tsan.log"; then
        grep -A30 -m1 'WARNING: ThreadSanitizer' "$LOG_DIR/tsan.log"
        return 1
    fi
    return "$rc"
}

stage_fuzz() {
    # fuzz.sh compiles and then burns the cores for FUZZ_SECONDS: hold the build lock throughout.
    # libFuzzer prints a line per new input: keep the log, show its end.
    local rc=0
    with_build_lock bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}" >"$LOG_DIR/fuzz.log" 2>&1 || rc=$?
    grep -vE '^#[0-9]+' "$LOG_DIR/fuzz.log" | tail -n 25
    return "$rc"
}

stage_e2e() {
    # The whole chain through nginx, with a real OTLP receiver and a real Prometheus
    # (smoke has just built the release binary).
    SKIP_BUILD=1 bash scripts/e2e.sh
}

stage_e2e_uring() {
    # The test matrix's second column for the whole chain: every end-to-end check again with the
    # services' loops on io_uring (an explicit `uring` never falls back: a refusal fails here).
    CHAIN_IO_BACKEND=uring SKIP_BUILD=1 bash scripts/e2e.sh
}
stage_replicas() {
    # Horizontal scaling on one machine: two processes of each service behind the gateway, the
    # hops through infra/nginx/service-proxy.conf; every end-to-end check again, and each
    # replica's own /metrics must show it served.
    CHAIN_REPLICAS=2 SKIP_BUILD=1 bash scripts/e2e.sh
}

stage_profile() {
    # Perf/profile.sh in short (smoke has just built the release binary): a non-empty flame graph
    # per component, our Swift frames demangled in the services', and the CPU-per-request table
    # with a positive figure for every part and for each service's PostgreSQL backends.
    local out=$LOG_DIR/profile c row
    # PostgreSQL on a free port, not up.sh's 55432: a cluster someone left running there (or
    # another checkout's stack) must not fail the tests.
    PG_PORT=$(free_port) DURATION=3s WARMUP=1s SKIP_BUILD=1 OUT_DIR=$out bash Perf/profile.sh >/dev/null 2>"$LOG_DIR/profile.log" \
        || { tail -n 30 "$LOG_DIR/profile.log"; return 1; }
    cat "$out/cpu-per-request.md"
    for c in user-service order-service audit-service gateway postgres; do
        [[ -s $out/$c.svg ]] || { err "no flame graph $c.svg"; return 1; }
    done
    for c in user-service order-service audit-service; do
        grep -q 'ServerConnection\.[a-z]' "$out/$c.svg" || { err "$c.svg: no demangled ServerConnection frame"; return 1; }
    done
    for row in 'PostgreSQL' 'user-service' 'order-service' 'audit-service' 'nginx gateway'; do
        grep -qE "^\| ${row}[^|]* \| [1-9][0-9]* µs \| [0-9]+ % \|$" "$out/cpu-per-request.md" \
            || { err "cpu-per-request.md: no row with positive µs for $row"; return 1; }
    done
    # PostgreSQL's part split by service: its backends named by the services' application_name.
    for c in user-service order-service audit-service; do
        grep -qE "^\| backends of $c \| [1-9][0-9]* µs \|$" "$out/cpu-per-request.md" \
            || { err "cpu-per-request.md: no PostgreSQL row for $c's backends"; return 1; }
    done
    pg_statements_short
}

pg_statements_short() {
    # Perf/pg-statements.sh in short: each of the chain's three statements was counted (alone or
    # in its multi-row form) and the totals per request are plausible: some statements and at
    # most 6 (the three and a deadline guard before each write, unbatched), some commits and at
    # most 4 (a batch each).
    local md=$LOG_DIR/pg-statements.md stmt total commits
    PG_PORT=$(free_port) CONNS=16 DURATION=3s SKIP_BUILD=1 bash Perf/pg-statements.sh >"$md" 2>"$LOG_DIR/pg-statements.log" \
        || { cat "$md"; tail -n 30 "$LOG_DIR/pg-statements.log"; return 1; }
    cat "$md"
    for stmt in 'SELECT id, name, email, tier FROM users WHERE id' 'INSERT INTO orders' 'INSERT INTO audit_logs'; do
        grep -qE "^\| \`${stmt}[^|]*\` \| (single|multi-row) \| [0-9]+\.[0-9]{3} \| [0-9]+\.[0-9] \|$" "$md" || { err "pg statements: no row for $stmt"; return 1; }
    done
    total=$(awk -F'|' '/all statements/ { gsub(/[ *]/, "", $4); print $4 }' "$md")
    commits=$(awk -F'|' '/transactions committed/ { gsub(/[ *]/, "", $4); print $4 }' "$md")
    python3 -c "import sys; t, c = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if 0 < t <= 6 and 0 < c <= 4 else 1)" \
        "${total:-0}" "${commits:-0}" || { err "pg statements: $total statements and $commits commits per request"; return 1; }
}

stage_curve() {
    # Perf/latency-curve.sh in short (smoke has just built the release binary): the peak, then 25 %
    # and 100 % of it for 3 s each. A row per step whose seven percentiles (client and server)
    # and two differences are numbers, the event-loop columns too, both goals evaluated, and a
    # valid PNG, written into the log directory (not over the committed Perf/latency-curve.png).
    local md=$LOG_DIR/curve.md png=$LOG_DIR/curve.png pct
    PG_PORT=$(free_port) STEP_DURATION=3s WARMUP=2s STEPS="25 100" SKIP_BUILD=1 CURVE_PNG=$png bash Perf/latency-curve.sh \
        >"$md" 2>"$LOG_DIR/curve.log" || { cat "$md"; tail -n 30 "$LOG_DIR/curve.log"; return 1; }
    cat "$md"
    for pct in 25 100; do
        grep -qE "^\| $pct % \| [1-9][0-9]* \| [0-9]+ \|( [0-9]+\.[0-9]+ \|){7}( -?[0-9]+\.[0-9]+ \|){2} [0-9]+ \| [0-9]+ \|" "$md" \
            || { err "latency curve: no row with numeric percentiles for $pct %"; return 1; }
    done
    # The services expose chain_loop_iteration_seconds: its columns must be there and numeric.
    grep -q '| loop busy p99 µs |' "$md" || { err "latency curve: no event-loop columns"; return 1; }
    [[ $(grep -cE '\| [0-9]+ \((user|order|audit)\) \| (≤ [0-9.e+-]+|\+Inf) \((user|order|audit)\) \|$' "$md") -eq 2 ]] \
        || { err "latency curve: no numeric event-loop columns on both rows"; return 1; }
    [[ $(grep -cE '^- \*\*(pass|miss)\*\* p99' "$md") -eq 2 ]] || { err "latency curve: not two goal verdicts"; return 1; }
    python3 - "$png" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
length, kind, width, height = struct.unpack(">I4sII", data[8:24])
assert kind == b"IHDR" and width > 0 and height > 0, "no IHDR"
assert data[-8:-4] == b"IEND", "truncated (no IEND)"
print(f"{sys.argv[1]}: PNG {width}x{height}, {len(data)} bytes")
PY
    tail_anatomy_short
}

tail_anatomy_short() {
    # Perf/tail-anatomy.sh in short: 100/s for 4 s. Every chain's spans are read back (at least
    # 90 % of the arrivals), each database statement has numeric p50/p99, the slow chains are
    # broken down and placed in time, and the WAL flushes are there unless perf cannot record.
    local md=$LOG_DIR/tail.md log=$LOG_DIR/tail.log n stmt
    PG_PORT=$(free_port) RATE=100 DURATION=4s WARMUP=1s SKIP_BUILD=1 bash Perf/tail-anatomy.sh >"$md" 2>"$log" \
        || { cat "$md"; tail -n 30 "$log"; return 1; }
    cat "$md"
    n=$(awk 'NR == 5 && / chains\. Span durations/ { print $1 }' "$md")
    if ! [[ "$n" =~ ^[0-9]+$ ]] || ((n < 360 || n > 410)); then
        err "tail anatomy: ${n:-no} chains read back of 400"; return 1
    fi
    # shellcheck disable=SC2016  # the backticks are the report's markdown
    for stmt in 'user | `SELECT users`' 'order | `INSERT orders`' 'audit | `INSERT audit_logs`'; do
        if ! grep -F "| $stmt |" "$md" | grep -qE '\| [0-9]+\.[0-9]{2} \| [0-9]+\.[0-9]{2} \| [0-9]+\.[0-9] \|$'; then
            err "tail anatomy: no numeric row for $stmt"; return 1
        fi
    done
    grep -qE '^The slowest 1%: [0-9]+ chains of [0-9.]+ ms or more\.$' "$md" || { err "tail anatomy: no slow-chain breakdown"; return 1; }
    grep -qE '^In time: the [0-9]+ slow chains fall in [0-9]+ episodes' "$md" || { err "tail anatomy: slow chains not placed in time"; return 1; }
    if ! grep -qE '^WAL flushes \(PostgreSQL.s fdatasync, perf\): [1-9][0-9]*, median' "$md" \
        && ! grep -q 'perf cannot record' "$log"; then
        err "tail anatomy: perf recorded but no WAL flush was found"; return 1
    fi
}

stage_smoke() {
    bash scripts/smoke.sh
}

stage_newcomer() {
    bash scripts/newcomer.sh
}

stage_w3c() {
    SKIP_BUILD=1 bash scripts/w3c-trace-context.sh "$W3C_SUITE"
}

stage_stack() {
    bash scripts/stack-check.sh
}

# Every shell script (the test command's own included) at shellcheck's warning level: quoting,
# unset or unused variables, `cd` without a way out. Style notes are not failures.
stage_scripts() {
    need_packages shellcheck
    local scripts=()
    mapfile -t scripts < <(find scripts Perf infra Tests -name '*.sh' | sort)
    scripts+=(.ci/run)
    shellcheck -S warning -x "${scripts[@]}"
    log "shellcheck: ${#scripts[@]} scripts, no warnings"
}

stage_image() {
    bash scripts/image-check.sh
}

stage_kubernetes() {
    bash scripts/k8s-check.sh
}

section "setup"
log "repo: $CHAIN_ROOT   CI=${CI:-}   cores: $(nproc)"
if [[ -n "${SKIP_PACKAGES:-}" ]]; then
    log "SKIP_PACKAGES set: not checking Debian packages"
else
    need_project_packages
fi

run_stage "build" stage_build
run_stage "scripts" stage_scripts

# A private PostgreSQL for the database tests: own directory, own port, stopped at exit.
section "postgresql"
PG_TEST_DIR=$(mktemp -d /tmp/chain-pg.XXXXXX)
DATABASE_URL=$(bash scripts/pg.sh start "$PG_TEST_DIR" "$(free_port)")
export PG_TEST_DIR DATABASE_URL
log "DATABASE_URL=$DATABASE_URL"

run_stage "unit tests" stage_unit_tests
URING_REFUSAL=$(uring_refusal)
if [[ -z "$URING_REFUSAL" ]]; then
    run_stage "unit tests on io_uring" stage_unit_tests_uring
else
    skipped+=("unit tests on io_uring ($URING_REFUSAL)")
fi
run_stage "thread sanitizer" stage_tsan
if [[ -f scripts/fuzz.sh ]]; then
    run_stage "fuzz" stage_fuzz
else
    skipped+=("fuzz (scripts/fuzz.sh not present)")
fi
run_stage "smoke" stage_smoke
run_stage "newcomer" stage_newcomer
# `|| true`: with no mirror, ls fails, and under pipefail and errexit the assignment would end
# the run here instead of skipping the stage.
W3C_SUITE=${W3C_TRACE_CONTEXT_DIR:-$(ls -d /work/.mirror/w3c+trace-context* 2>/dev/null | head -n 1 || true)}
if [[ -n "$W3C_SUITE" ]]; then
    run_stage "w3c trace-context" stage_w3c
else
    skipped+=("w3c trace-context (no suite: set W3C_TRACE_CONTEXT_DIR to a w3c/trace-context checkout)")
fi
run_stage "end-to-end" stage_e2e
if [[ -z "$URING_REFUSAL" ]]; then
    run_stage "end-to-end on io_uring" stage_e2e_uring
else
    skipped+=("end-to-end on io_uring ($URING_REFUSAL)")
fi
run_stage "replicas" stage_replicas
run_stage "profile" stage_profile
run_stage "latency curve" stage_curve
run_stage "stack" stage_stack
run_stage "runtime image" stage_image
run_stage "kubernetes" stage_kubernetes
