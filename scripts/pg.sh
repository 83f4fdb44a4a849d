#!/usr/bin/env bash
# A private PostgreSQL for tests and the local chain: its own data directory, port and socket
# directory; it never touches a system cluster.
#
#   scripts/pg.sh start DIR [PORT]   initdb if needed, start, create database "chain", load
#                                    infra/schema.sql; prints DATABASE_URL on stdout
#   scripts/pg.sh stop DIR           fast shutdown
#   scripts/pg.sh restart DIR        pg_ctl restart -m fast (used by the fault tests)
#
# PostgreSQL refuses to run as root, so the server runs as the "postgres" user on a directory
# that user owns.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[[ -x "$PGBIN/pg_ctl" ]] || { echo "pg.sh: no PostgreSQL server binaries (install postgresql)" >&2; exit 1; }

# The server must not inherit our descriptors: a caller's lock file (flock) would stay held by
# the postmaster for as long as it runs.
close_inherited_fds() {
    local fd
    for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null || true
    done
}

as_pg() {
    if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}

cmd=${1:?usage: pg.sh start|stop|restart DIR [PORT]}
dir=$(readlink -m "${2:?data directory}")
port=${3:-54329}

close_inherited_fds

case $cmd in
start)
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    # The parents must be traversable by postgres.
    d=$dir
    while [[ $d != / ]]; do d=$(dirname "$d"); chmod o+x "$d" 2>/dev/null || true; done
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! as_pg "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on" start >/dev/null \
            || { tail -n 30 "$dir/server.log" >&2; exit 1; }
    fi
    export PGOPTIONS="-c client_min_messages=warning"
    psql=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
    if [[ -z $("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'chain'") ]]; then
        "${psql[@]}" -d postgres -c "CREATE DATABASE chain" >/dev/null
    fi
    "${psql[@]}" -d chain -f infra/schema.sql >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/chain"
    ;;
stop)
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
restart)
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w restart >/dev/null
    ;;
*)
    echo "usage: pg.sh start|stop|restart DIR [PORT]" >&2
    exit 2
    ;;
esac
