#!/usr/bin/env bash
# A private PostgreSQL 15 installation and a throwaway cluster, for the test suite,
# the demo and development.  Nothing is written to the system's PostgreSQL
# directories: the server binaries are copied into tmp_check/install and algawf
# is installed there (make install DESTDIR=...), like PostgreSQL's own temp-install.
#
#   test/dev-cluster.sh start PORT   build, install privately, initdb, start
#   test/dev-cluster.sh install      rebuild and reinstall into the private tree
#   test/dev-cluster.sh restart PORT restart (reloads algawf.so)
#   test/dev-cluster.sh stop         stop the cluster
#   test/dev-cluster.sh psql PORT [psql args...]
#   test/dev-cluster.sh env PORT     print the variables for using the cluster
#
# TMP_CHECK overrides the directory (default ./tmp_check).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SYS_PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
TC=${TMP_CHECK:-$ROOT/tmp_check}
INST=$TC/install
PGBIN=$INST/usr/lib/postgresql/15/bin
DATA=$TC/data
SOCK=$TC/sock
LOG=$TC/server.log

as_pg() {
    # The server refuses to run as root: run its tools as the postgres OS user.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

do_install() {
    make -s PG_CONFIG=$SYS_PG_CONFIG >/dev/null
    if [ ! -x "$PGBIN/postgres" ]; then
        mkdir -p "$INST/usr/lib/postgresql" "$INST/usr/share/postgresql"
        cp -a /usr/lib/postgresql/15 "$INST/usr/lib/postgresql/"
        cp -a /usr/share/postgresql/15 "$INST/usr/share/postgresql/"
    fi
    make -s PG_CONFIG=$SYS_PG_CONFIG install DESTDIR="$INST" >/dev/null
}

do_start() {
    local port=$1
    do_install
    if [ ! -f "$DATA/PG_VERSION" ]; then
        mkdir -p "$DATA" "$SOCK"
        [ "$(id -u)" = 0 ] && chown postgres: "$DATA" "$SOCK" "$TC"
        as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$DATA/postgresql.conf" <<CONF
# --- throwaway cluster for algawf
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
shared_preload_libraries = 'algawf, pg_cron'
cron.database_name = 'algawf_test'
cron.host = '$SOCK'
algawf.database = 'algawf_test'
max_worker_processes = 32
fsync = off
full_page_writes = off
log_min_messages = warning
log_line_prefix = '%m [%p] %b '
CONF
    fi
    sed -i "s/^port = .*//" "$DATA/postgresql.conf"
    echo "port = $port" >> "$DATA/postgresql.conf"
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null
    as_pg "$PGBIN/createdb" -h "$SOCK" -p "$port" -U postgres algawf_test 2>/dev/null || true
}

do_stop() {
    if [ -f "$DATA/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null || true
    fi
}

cmd=${1:-}
case "$cmd" in
    start) do_start "${2:?port}" ;;
    install) do_install ;;
    restart) do_stop; do_start "${2:?port}" ;;
    stop) do_stop ;;
    clean) do_stop; rm -rf "$TC" ;;
    psql) port=${2:?port}; shift 2; exec "$PGBIN/psql" -X -h "$SOCK" -p "$port" -U postgres "$@" ;;
    env) echo "export PGHOST=$SOCK PGPORT=${2:?port} PGUSER=postgres PGDATABASE=algawf_test PATH=$PGBIN:\$PATH" ;;
    *) echo "usage: $0 start PORT | install | restart PORT | stop | clean | psql PORT [args] | env PORT" >&2; exit 2 ;;
esac
