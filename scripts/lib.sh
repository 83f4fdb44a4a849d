# shellcheck shell=bash
# Shared helpers for the project's shell tooling. Source it, don't run it:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Nothing here kills by process name: processes are stopped through pidfiles only.

[[ -n "${CHAIN_LIB_SH_LOADED:-}" ]] && return 0
CHAIN_LIB_SH_LOADED=1

# Repository root (the directory above scripts/).
CHAIN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CHAIN_ROOT

# Swift lives in /opt/swift on the project machines; make it reachable without a login shell.
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    PATH="/opt/swift/usr/bin:$PATH"
    export PATH
fi

# Never prompt: CI runs us with no stdin.
export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------------------------------------
# Package lists (one place, so up.sh and test.sh install the same thing).

# What the Swift toolchain itself needs to build and link on Debian 12 (already present on a
# machine where Swift was installed by the usual instructions; cheap to check).
CHAIN_TOOLCHAIN_PACKAGES=(
    git binutils gcc libc6-dev libgcc-12-dev libstdc++-12-dev libcurl4 libxml2 libedit2
    libsqlite3-0 libncurses6 libpython3.11 tzdata unzip zlib1g-dev uuid-dev
)
# What the project needs (build, run, test, benchmark).
CHAIN_PROJECT_PACKAGES=(
    build-essential pkg-config libpq-dev liburing-dev libssl-dev postgresql nginx-light wrk
    curl python3 python3-venv ca-certificates prometheus zlib1g-dev
    docker-compose   # only to validate infra/docker-compose.yaml (`docker-compose config`)
    debootstrap      # scripts/image-check.sh: the Dockerfile's runtime stage as a Debian root
    linux-perf       # Perf/profile.sh: perf record -e cpu-clock -g for the flame graphs
)

# ---------------------------------------------------------------------------------------------
# Logging. Everything goes to stderr so stdout stays clean for data (e.g. the bench table).

if [[ -t 2 && -z "${NO_COLOR:-}" && "${TERM:-dumb}" != dumb ]]; then
    _c_bold=$'\033[1m' _c_red=$'\033[31m' _c_yellow=$'\033[33m' _c_green=$'\033[32m' _c_off=$'\033[0m'
else
    _c_bold='' _c_red='' _c_yellow='' _c_green='' _c_off=''
fi

log()     { printf '%s\n' "$*" >&2; }
info()    { printf '==> %s\n' "$*" >&2; }
ok()      { printf '%s ok%s  %s\n' "$_c_green" "$_c_off" "$*" >&2; }
warn()    { printf '%swarning:%s %s\n' "$_c_yellow" "$_c_off" "$*" >&2; }
err()     { printf '%serror:%s %s\n' "$_c_red" "$_c_off" "$*" >&2; }
die()     { err "$*"; exit 1; }
section() {
    printf '\n%s==================== %s ====================%s\n' "$_c_bold" "$*" "$_c_off" >&2
}

# ---------------------------------------------------------------------------------------------
# Privileges.

# as_root CMD...: run CMD as root (directly when we are root, else through sudo -n).
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n -E "$@"
    else
        die "need root to run: $* (no sudo available)"
    fi
}

# ---------------------------------------------------------------------------------------------
# Debian packages.

_chain_apt_updated=''

# pkg_installed PKG: true when dpkg says PKG is installed.
pkg_installed() {
    local status
    status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
    [[ "$status" == *" ok installed" ]]
}

# need_packages PKG...: install those of PKG... that are missing. Runs `apt-get update` at most
# once per process, and only when something has to be installed.
need_packages() {
    command -v dpkg-query >/dev/null 2>&1 || die "need_packages: not a Debian system (no dpkg-query)"
    local missing=() p
    for p in "$@"; do
        pkg_installed "$p" || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        log "packages: all ${#} present"
        return 0
    fi
    info "installing missing packages: ${missing[*]}"
    if [[ -z "$_chain_apt_updated" ]]; then
        as_root apt-get update -q </dev/null || die "apt-get update failed"
        _chain_apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" </dev/null || die "apt-get install failed: ${missing[*]}"
}

# need_project_packages: everything the project needs, toolchain support included.
need_project_packages() {
    need_packages "${CHAIN_TOOLCHAIN_PACKAGES[@]}" "${CHAIN_PROJECT_PACKAGES[@]}"
}

# ---------------------------------------------------------------------------------------------
# Check scripts (e2e.sh, stack-check.sh, image-check.sh): one "PASS name" / "FAIL name: why"
# line per check on stdout, and finish_checks closing with "N passed, M failed".
PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); printf 'PASS  %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL  %s\n' "$*"; }

# add_checks FILE: counts the PASS/FAIL lines another checker wrote to FILE.
add_checks() {
    PASSED=$((PASSED + $(grep -c '^PASS' "$1")))
    FAILED=$((FAILED + $(grep -c '^FAIL' "$1")))
}

# finish_checks: the closing count; exits 0 when nothing failed, 1 otherwise.
finish_checks() {
    printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
    ((FAILED == 0)) && exit 0 || exit 1
}

# need_swift: fail clearly when there is no Swift toolchain.
need_swift() {
    command -v swift >/dev/null 2>&1 \
        || die "swift not found (expected on PATH or at /opt/swift/usr/bin); install Swift 6.x first"
}

# ---------------------------------------------------------------------------------------------
# The build lock: the machines are small and shared, so every swift build / swift test /
# benchmark run goes through one lock. Re-entrant: a child of a locked script does not wait on
# its own parent.

CHAIN_BUILD_LOCK="${CHAIN_BUILD_LOCK:-/tmp/chain-build.lock}"

# with_build_lock CMD...: run CMD holding the build lock.
with_build_lock() {
    if [[ -n "${CHAIN_BUILD_LOCK_HELD:-}" ]] || ! command -v flock >/dev/null 2>&1; then
        "$@"
    else
        _announce_lock_wait
        CHAIN_BUILD_LOCK_HELD=1 flock "$CHAIN_BUILD_LOCK" "$@"
    fi
}

_announce_lock_wait() {
    flock -n "$CHAIN_BUILD_LOCK" true 2>/dev/null \
        || log "waiting for $CHAIN_BUILD_LOCK (another build, test or benchmark is running)..."
}

# hold_build_lock: call at the top of a script that must hold the lock for its whole run (the
# benchmarks). Takes the lock on fd 9 of the current shell, so it is released when the script
# exits; children see CHAIN_BUILD_LOCK_HELD and don't wait again. Start long-lived children with
# `9>&-` so that a straggler cannot keep the lock.
hold_build_lock() {
    [[ -n "${CHAIN_BUILD_LOCK_HELD:-}" ]] && return 0
    command -v flock >/dev/null 2>&1 || return 0
    _announce_lock_wait
    exec 9>>"$CHAIN_BUILD_LOCK"
    flock 9
    export CHAIN_BUILD_LOCK_HELD=1
}

# build_release: release build of the `chain` product; prints nothing on stdout.
build_release() {
    need_swift
    info "swift build -c release --product chain"
    (cd "$CHAIN_ROOT" && with_build_lock swift build -c release --product chain </dev/null) >&2
}

# chain_bin: path of the release binary.
chain_bin() {
    printf '%s\n' "${CHAIN_BIN:-$CHAIN_ROOT/.build/release/chain}"
}

# ---------------------------------------------------------------------------------------------
# Ports and HTTP.

# port_in_use PORT: true when something listens on 127.0.0.1:PORT (or on any address).
port_in_use() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        [[ -n "$(ss -Htln "sport = :$port" 2>/dev/null)" ]]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

# free_port: print a TCP port nobody listens on, below the kernel's ephemeral range so that
# outgoing connections (wrk, clients) cannot be handed the same number.
free_port() {
    local i port
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        port_in_use "$port" || { printf '%s\n' "$port"; return 0; }
    done
    die "free_port: no free port found"
}

# wait_http URL TIMEOUT_SECONDS [PID]: wait until URL answers 2xx. With PID, give up as soon as
# that process is gone. Returns 1 on timeout.
wait_http() {
    local url=$1 timeout=${2:-30} pid=${3:-}
    local deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
            return 0
        fi
        if [[ -n "$pid" ]] && ! pid_running "$pid"; then
            err "wait_http: process $pid exited before $url answered"
            return 1
        fi
        sleep 0.2
    done
    err "wait_http: $url did not answer within ${timeout}s"
    return 1
}

# ---------------------------------------------------------------------------------------------
# Processes and pidfiles.

# pid_running PID: true when PID exists and is not a zombie.
pid_running() {
    local pid=$1 stat
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 0
    stat=${stat##*) }            # after "pid (comm) "
    [[ "${stat%% *}" != Z ]]
}

# pidfile_pid FILE: print the pid in FILE (first line; works for nginx and postmaster.pid).
pidfile_pid() {
    local pid
    [[ -r "$1" ]] || return 1
    IFS= read -r pid <"$1" || [[ -n "$pid" ]] || return 1
    pid=${pid//[[:space:]]/}
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "$pid"
}

# pidfile_alive FILE: true when FILE names a running process.
pidfile_alive() {
    local pid
    pid=$(pidfile_pid "$1") || return 1
    pid_running "$pid"
}

# wait_pid_exit PID TIMEOUT_SECONDS: wait for PID to go away. Returns 1 on timeout.
wait_pid_exit() {
    local pid=$1 timeout=${2:-10}
    local deadline=$((SECONDS + timeout))
    while pid_running "$pid"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# stop_pid PID [TIMEOUT=10] [SIGNAL=TERM]: signal PID, wait, SIGKILL after TIMEOUT.
stop_pid() {
    local pid=$1 timeout=${2:-10} sig=${3:-TERM}
    pid_running "$pid" || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    if ! wait_pid_exit "$pid" "$timeout"; then
        warn "pid $pid ignored SIG$sig for ${timeout}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_pid_exit "$pid" 5 || { err "pid $pid survived SIGKILL"; return 1; }
    fi
}

# stop_pidfile FILE [TIMEOUT=10] [SIGNAL=TERM]: stop the process named by FILE and remove FILE.
# A missing file or a stale pid is not an error.
stop_pidfile() {
    local file=$1 timeout=${2:-10} sig=${3:-TERM} pid
    [[ -e "$file" ]] || return 0
    if pid=$(pidfile_pid "$file") && pid_running "$pid"; then
        stop_pid "$pid" "$timeout" "$sig" || return 1
    fi
    rm -f "$file"
}

# ---------------------------------------------------------------------------------------------
# Background services for the local stack (scripts/up.sh, scripts/down.sh).

CHAIN_RUN_DIR="${CHAIN_RUN_DIR:-$CHAIN_ROOT/.run}"
CHAIN_STARTED_LIST="$CHAIN_RUN_DIR/started"   # names up.sh started, in order; down.sh reverses it

# start_daemon NAME CMD...: start CMD detached from this shell and its terminal (own session),
# stdout/stderr appended to $CHAIN_RUN_DIR/logs/NAME.log, pid in $CHAIN_RUN_DIR/NAME.pid, NAME
# recorded in the started list. Prints nothing on stdout.
start_daemon() {
    local name=$1 pid
    shift
    local logfile="$CHAIN_RUN_DIR/logs/$name.log" pidfile="$CHAIN_RUN_DIR/$name.pid"
    mkdir -p "$CHAIN_RUN_DIR/logs"
    printf '=== %s: starting: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$logfile"
    # A background job of a non-interactive shell is not a process-group leader, so setsid(1)
    # calls setsid() in place without forking: $! is the daemon's own pid.
    setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$pidfile"
    if ! grep -qxF "$name" "$CHAIN_STARTED_LIST" 2>/dev/null; then
        echo "$name" >>"$CHAIN_STARTED_LIST"
    fi
    log "$name: started, pid $pid, log ${logfile#"$CHAIN_ROOT"/}"
}

# daemon_pidfile NAME / daemon_logfile NAME: where start_daemon keeps them.
daemon_pidfile() { printf '%s\n' "$CHAIN_RUN_DIR/$1.pid"; }
daemon_logfile() { printf '%s\n' "$CHAIN_RUN_DIR/logs/$1.log"; }

# ---------------------------------------------------------------------------------------------
# nginx templates of the local chain (infra/nginx/chain.conf, infra/nginx/service-proxy.conf).

# render_nginx_conf TEMPLATE OUT RUN_DIR GATEWAY_PORT "USER_PORTS" "ORDER_PORTS" "AUDIT_PORTS" [ORDER_VIP AUDIT_VIP]
# Writes TEMPLATE to OUT with its placeholders filled. A line naming `@USER_PORT@` (or ORDER,
# AUDIT) is repeated once per port of the list: one upstream `server` line per replica
# (CHAIN_REPLICAS). chain-routes.conf is copied beside OUT.
render_nginx_conf() {
    local template=$1 out=$2 run_dir=$3 gw=$4 users=$5 orders=$6 audits=$7 ovip=${8:-} avip=${9:-}
    awk -v users="$users" -v orders="$orders" -v audits="$audits" '
        function expand(line, ph, list,    n, i, a) {
            n = split(list, a, " ")
            for (i = 1; i <= n; i++) { l = line; gsub(ph, a[i], l); print l }
        }
        /^[ \t]*#/ { print; next }
        /@USER_PORT@/ { expand($0, "@USER_PORT@", users); next }
        /@ORDER_PORT@/ { expand($0, "@ORDER_PORT@", orders); next }
        /@AUDIT_PORT@/ { expand($0, "@AUDIT_PORT@", audits); next }
        { print }
    ' "$template" | sed -e "s|@RUN_DIR@|$run_dir|g; s|@GATEWAY_PORT@|$gw|g" \
        -e "s|@ORDER_VIP_PORT@|$ovip|g; s|@AUDIT_VIP_PORT@|$avip|g" >"$out"
    cp "$CHAIN_ROOT/infra/nginx/chain-routes.conf" "$(dirname "$out")/chain-routes.conf"
}

# render_prometheus_conf OUT "USER_PORTS" "ORDER_PORTS" "AUDIT_PORTS" [SCRAPE_INTERVAL]
# infra/prometheus/prometheus.yml with each service's target list set to 127.0.0.1:PORT of each
# of its replicas (and, when given, a scrape interval and timeout of SCRAPE_INTERVAL).
render_prometheus_conf() {
    local out=$1 users=$2 orders=$3 audits=$4 every=${5:-} t
    _targets() { local p s=''; for p in $1; do s+="${s:+\", \"}127.0.0.1:$p"; done; printf '%s' "$s"; }
    t=$(sed -e "s|127.0.0.1:5001|$(_targets "$users")|; s|127.0.0.1:5002|$(_targets "$orders")|" \
            -e "s|127.0.0.1:5003|$(_targets "$audits")|" "$CHAIN_ROOT/infra/prometheus/prometheus.yml")
    if [[ -n "$every" ]]; then
        t=$(sed -e "s|scrape_interval: 5s|scrape_interval: $every|; s|scrape_timeout: 4s|scrape_timeout: $every|" <<<"$t")
    fi
    printf '%s\n' "$t" >"$out"
}
