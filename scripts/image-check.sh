#!/usr/bin/env bash
# The chain image of infra/Dockerfile, rebuilt without Docker (a stage of scripts/test.sh):
#   - builds the binary with the flags of the Dockerfile's `swift build` line (static Swift
#     runtime) into .build-static;
#   - makes a minimal Debian root with debootstrap and exactly the packages the Dockerfile's
#     `chain` stage installs (cached in /tmp by package list);
#   - adds the stage's user and files, then runs as that user inside the root: `chain migrate`,
#     `chain serve --service audit`, the compose file's health check command, /metrics, SIGTERM.
# It proves the runtime stage's package list is complete for the binary the build stage makes.
# Needs root (chroot, mount) and DATABASE_URL (scripts/test.sh's private PostgreSQL).
# Prints one line per check and "N passed, M failed"; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

[[ -n "${DATABASE_URL:-}" ]] || { fail "DATABASE_URL not set (run through scripts/test.sh)"; finish_checks; }
[[ $(id -u) == 0 ]] || { fail "needs root (debootstrap, chroot)"; finish_checks; }
command -v debootstrap >/dev/null 2>&1 || need_packages debootstrap

# --- what the Dockerfile says ---------------------------------------------------------------
stage=$(awk '/^FROM .* AS chain$/ {on = 1; next} /^FROM / {on = 0} on' infra/Dockerfile)
base=$(awk '/^FROM .* AS chain$/ {print $2}' infra/Dockerfile)
pkgs=$(printf '%s\n' "$stage" | tr -d '\\' | tr -s ' \n' '\n\n' |
    awk '/^--no-install-recommends$/ {on = 1; next} on && /^&&$/ {exit} on && NF {print}' | paste -sd, -)
uid=$(printf '%s\n' "$stage" | sed -n 's/.*--uid \([0-9]*\).*/\1/p' | head -n 1)
build_flags=$(sed -n 's/^RUN swift build \(-c release[^&\\]*\).*/\1/p' infra/Dockerfile | head -n 1 | sed 's/ *$//')
case $base in
    debian:12*) suite=bookworm ;;
    *) fail "runtime base $base: only debian:12 (bookworm) is handled here"; finish_checks ;;
esac
if [[ -n "$pkgs" && -n "$uid" && "$build_flags" == *--static-swift-stdlib* ]]; then
    pass "Dockerfile: runtime $base ($suite) with $pkgs, user $uid; build: swift build $build_flags"
else
    fail "Dockerfile: could not read the chain stage (packages '$pkgs', uid '$uid', build '$build_flags')"; finish_checks
fi

# --- the binary, built as the Dockerfile builds it --------------------------------------------
# shellcheck disable=SC2086  # the flags are words
if with_build_lock swift build $build_flags --scratch-path .build-static >/tmp/chain-image-build.log 2>&1; then
    pass "swift build $build_flags"
else
    fail "swift build $build_flags: $(tail -n 5 /tmp/chain-image-build.log | tr '\n' ' ')"; finish_checks
fi
BIN=.build-static/release/chain
swift_libs=$(ldd "$BIN" | grep -c 'libswift\|libFoundation\|libdispatch' || true)
[[ "$swift_libs" == 0 ]] && pass "the binary needs no Swift runtime library" \
    || fail "the binary still links $swift_libs Swift libraries: $(ldd "$BIN" | grep -o 'libswift[^ ]*\|libFoundation[^ ]*' | tr '\n' ' ')"

# --- the root file system -----------------------------------------------------------------------
ROOTFS="/tmp/chain-rootfs-$suite-$(printf '%s' "$pkgs" | sha256sum | cut -c1-12)"
if [[ ! -f "$ROOTFS/.complete" ]]; then
    umount "$ROOTFS/proc" 2>/dev/null || true   # never rm -rf through a mounted /proc
    rm -rf "$ROOTFS"
    if debootstrap --variant=minbase --include="$pkgs" "$suite" "$ROOTFS" http://deb.debian.org/debian \
        >/tmp/chain-debootstrap.log 2>&1; then
        touch "$ROOTFS/.complete"
    else
        fail "debootstrap $suite with $pkgs: $(tail -n 5 /tmp/chain-debootstrap.log | tr '\n' ' ')"; finish_checks
    fi
fi
pass "minimal $suite root with $pkgs ($ROOTFS)"
chroot "$ROOTFS" id -u "$uid" >/dev/null 2>&1 ||
    chroot "$ROOTFS" useradd --system --uid "$uid" --no-create-home --shell /usr/sbin/nologin chain 2>/dev/null
install -m 755 "$BIN" "$ROOTFS/usr/local/bin/chain"
install -D -m 644 infra/schema.sql "$ROOTFS/usr/share/chain/schema.sql"
mountpoint -q "$ROOTFS/proc" || mount -t proc proc "$ROOTFS/proc"
PID=''
cleanup() {
    [[ -n "$PID" ]] && stop_pid "$PID" 5 >/dev/null 2>&1
    umount "$ROOTFS/proc" 2>/dev/null || true
}
trap cleanup EXIT
in_root() { chroot --userspec="$uid:$uid" "$ROOTFS" "$@"; }

# --- run it as the image would ------------------------------------------------------------------
if in_root /usr/local/bin/chain migrate --database-url "$DATABASE_URL" >/tmp/chain-image-migrate.log 2>&1; then
    pass "chain migrate as uid $uid in the root"
else
    fail "chain migrate: $(tail -n 3 /tmp/chain-image-migrate.log | tr '\n' ' ')"
fi
PORT=$(free_port)
# chroot itself, not the in_root function: $! must be chain's pid (chroot execs it).
chroot --userspec="$uid:$uid" "$ROOTFS" /usr/local/bin/chain serve --service audit --loops 2 --port "$PORT" --database-url "$DATABASE_URL" \
    </dev/null >/tmp/chain-image-serve.log 2>&1 9>&- &
PID=$!
# The compose file's health check for audit-service, with this run's port.
health=$(awk '/^  audit-service:/ {on = 1} on && /test:/ {print; exit}' infra/docker-compose.yaml |
    sed 's/.*\[\(.*\)\].*/\1/; s/"CMD", //; s/"//g; s/, / /g; s/:5003/:'"$PORT"'/')
ok=''
for _ in $(seq 50); do
    # shellcheck disable=SC2086  # the command's words
    if in_root $health 2>/dev/null; then ok=1; break; fi
    sleep 0.2
done
[[ -n "$ok" ]] && pass "the compose health check passes in the root: $health" \
    || fail "health check '$health' never passed: $(tail -n 5 /tmp/chain-image-serve.log | tr '\n' ' ')"
running_uid=$(awk '/^Uid:/ {print $2}' "/proc/$PID/status" 2>/dev/null)
[[ "$running_uid" == "$uid" ]] && pass "chain serve runs as uid $uid" || fail "chain serve runs as uid '$running_uid'"
if in_root curl -fsS "http://127.0.0.1:$PORT/metrics" 2>/dev/null | grep -q '^db_client_connections{service="audit-service",state="ready"} [1-9]'; then
    pass "/metrics in the root: the pool's connections are ready"
else
    fail "/metrics: no ready database connections"
fi
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=''
[[ $rc == 0 ]] && pass "SIGTERM: chain serve exits 0" || fail "SIGTERM: exit $rc"
finish_checks
