# Shared by the worker_*.sh end-to-end scripts (sourced after lib.bash):
# a private throwaway cluster with its own settings, the fake HTTP server,
# and waiting helpers.
#
# Private clusters listen on a Unix socket only (no TCP port to collide on),
# in $TMP_CHECK/pc_NAME, and use the suite's private PostgreSQL install.

PGBIN_DIR=$(dirname "$(command -v postgres 2>/dev/null || command -v pg_ctl)")
E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# pc_start NAME PORT "conf lines"...: initdb and start; sets PC_DIR PC_SOCK PC_PORT
pc_start() {
    local name=$1 port=$2; shift 2
    PC_DIR=$TMP_CHECK/pc_$name
    PC_SOCK=$PC_DIR/sock
    PC_PORT=$port
    rm -rf "$PC_DIR"; mkdir -p "$PC_DIR/sock"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$PC_DIR"
    as_pg "$PGBIN_DIR/initdb" -D "$PC_DIR/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null || return 1
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$PC_SOCK'"
        echo "port = $port"
        echo "fsync = off"
        echo "max_worker_processes = 16"
        echo "log_line_prefix = '%m [%p] %b '"
        printf '%s\n' "$@"
    } >> "$PC_DIR/data/postgresql.conf"
    as_pg "$PGBIN_DIR/pg_ctl" -D "$PC_DIR/data" -l "$PC_DIR/server.log" -w -t 60 start >/dev/null
}
pc_stop() { [ -n "${PC_DIR:-}" ] && [ -f "$PC_DIR/data/postmaster.pid" ] && as_pg "$PGBIN_DIR/pg_ctl" -D "$PC_DIR/data" -m immediate -w stop >/dev/null 2>&1; true; }
pc_ctl() { as_pg "$PGBIN_DIR/pg_ctl" -D "$PC_DIR/data" -l "$PC_DIR/server.log" -w -t 60 "$@" >/dev/null; }
pcq() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$PC_SOCK" -p "$PC_PORT" -U postgres "$@"; }

# fake_start PORT: the fake HTTP server, its request log in $FAKE_LOG
fake_start() {
    FAKE_PORT=$1
    FAKE_LOG=$TMP_CHECK/fake_$1.jsonl
    : > "$FAKE_LOG"
    perl "$E2E_ROOT/test/fakes/http_server.pl" --port "$FAKE_PORT" --log "$FAKE_LOG" \
        --pidfile "$TMP_CHECK/fake_$1.pid" >"$TMP_CHECK/fake_$1.out" 2>&1 &
    local i
    for i in $(seq 1 50); do
        curl -s -o /dev/null "http://127.0.0.1:$FAKE_PORT/json" && return 0
        sleep 0.1
    done
    return 1
}
fake_stop() { [ -n "${FAKE_PORT:-}" ] && [ -f "$TMP_CHECK/fake_$FAKE_PORT.pid" ] && kill "$(cat "$TMP_CHECK/fake_$FAKE_PORT.pid")" 2>/dev/null; true; }

# wait_for SECONDS 'shell condition': true once the condition holds
wait_for() {
    local limit=$1; shift
    local end=$(( $(date +%s%N) / 1000000 + limit * 1000 ))
    while [ $(( $(date +%s%N) / 1000000 )) -lt $end ]; do
        if eval "$@"; then return 0; fi
        sleep 0.1
    done
    return 1
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
