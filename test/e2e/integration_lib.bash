# Shared by the integration_*.sh end-to-end scripts (sourced after lib.bash):
# the fake vendor server (test/fakes/http_server.pl --routes
# test/fakes/vendors.pl) on a loopback port, the host allowlist opened for it,
# tenant B of the sample data acting as Bob (Admin), and helpers to call
# actions, wait for their results and read what the fake received.
#
# The suite's cluster runs the background worker for this database, which
# sends the requests; everything a script changes is put back when it exits.

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=00000000-0000-0000-0000-00000000000b
BOB=0000000b-0001-0000-0000-000000000001
BCLIENT=0000000b-0003-0000-0000-000000000001

# qb SQL...: as tenant B, Bob acting
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_for SECONDS 'shell condition': true once the condition holds
wait_for() {
    local limit=$1; shift
    local end=$(( $(now_ms) + limit * 1000 ))
    while [ "$(now_ms)" -lt $end ]; do
        if eval "$@"; then return 0; fi
        sleep 0.1
    done
    return 1
}
qb() { PGOPTIONS="-c algawf.tenant=$B -c algawf.user=$BOB -c client_min_messages=warning" q "$@"; }

# vendor_start PORT: the fake vendors; VLOG is its request log (one JSON object a line)
vendor_start() {
    VPORT=$1
    VLOG=$TMP_CHECK/vendor_$1.jsonl
    : > "$VLOG"
    perl "$E2E_ROOT/test/fakes/http_server.pl" --port "$VPORT" --log "$VLOG" --routes "$E2E_ROOT/test/fakes/vendors.pl" \
        --pidfile "$TMP_CHECK/vendor_$1.pid" > "$TMP_CHECK/vendor_$1.out" 2>&1 &
    local i
    for i in $(seq 1 50); do
        curl -s -o /dev/null "http://127.0.0.1:$VPORT/_state" && return 0
        sleep 0.1
    done
    return 1
}
vendor_stop() { [ -n "${VPORT:-}" ] && [ -f "$TMP_CHECK/vendor_$VPORT.pid" ] && kill "$(cat "$TMP_CHECK/vendor_$VPORT.pid")" 2>/dev/null; true; }
# sql_each SQL...: each statement on its own (cleanup: one failing does not stop the others)
sql_each() { local s; for s in "$@"; do qb -c "$s" >/dev/null 2>&1; done; true; }
# vendor PATH [JSON]: a control call (/_fault, /_reset, /_revoke, /_state)
vendor() { curl -s -X POST -H 'Content-Type: application/json' -d "${2:-{\}}" "http://127.0.0.1:$VPORT$1"; }
vstate() { curl -s "http://127.0.0.1:$VPORT/_state"; }
# vreq SELECT-LIST WHERE: over the logged requests r (jsonb) in arrival order n
vreq() {
    local data
    data=$(cat "$VLOG")
    printf '%s\n' "SELECT $1 FROM (SELECT x.r::jsonb AS r, x.n FROM unnest(string_to_array(:'data', E'\\n')) WITH ORDINALITY AS x(r, n) WHERE x.r <> '') s WHERE $2 ORDER BY n;" \
        | q -v "data=$data" -f -
}
# vagg AGGREGATE WHERE: one aggregate over the logged requests; vcount WHERE
vagg() {
    local data
    data=$(cat "$VLOG")
    printf '%s\n' "SELECT $1 FROM (SELECT x.r::jsonb AS r, x.n FROM unnest(string_to_array(:'data', E'\\n')) WITH ORDINALITY AS x(r, n) WHERE x.r <> '') s WHERE $2;" \
        | q -v "data=$data" -f -
}
vcount() { vagg "count(*)" "$1"; }
# vwindow PATH WINDOW_MS MARK: the most requests to PATH (after request MARK) in any window of WINDOW_MS
vwindow() {
    local data
    data=$(cat "$VLOG")
    printf '%s\n' "WITH l AS (SELECT x.r::jsonb AS r, x.n FROM unnest(string_to_array(:'data', E'\\n')) WITH ORDINALITY AS x(r, n) WHERE x.r <> ''),
         s AS (SELECT (r->>'t')::bigint AS t FROM l WHERE n > $3 AND r->>'path' = '$1')
    SELECT max((SELECT count(*) FROM s s2 WHERE s2.t >= s1.t AND s2.t < s1.t + $2)) FROM s s1;" | q -v "data=$data" -f -
}
vmark() { VMARK=$(grep -c '' "$VLOG"); }     # requests from here on: "n > $VMARK"

allow_loopback() {
    q -c "ALTER SYSTEM SET algawf.http_allowed_hosts = '127.0.0.1'" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 0.5
}
restore_hosts() { q -c "ALTER SYSTEM RESET algawf.http_allowed_hosts" -c "SELECT pg_reload_conf()" >/dev/null 2>&1; true; }

# call ACTION INPUT [KEY]: try_action's answer {ok, output | error, deferred, invocationId}
call() {
    local inp=${2//\'/\'\'}
    if [ -n "${3:-}" ]; then
        qb -c "SELECT algawf.try_action('$1', '$inp', idempotency_key => '$3')"
    else
        qb -c "SELECT algawf.try_action('$1', '$inp')"
    fi
}
# result INVOCATION [WAIT_MS]: {status, ok, output | error}
result() { qb -c "SELECT algawf.invocation_result('$1', ${2:-20000})"; }
# run_action ACTION INPUT [KEY]: call, and when the call was deferred (sent by the worker) wait for it
run_action() {
    local t
    t=$(call "$@") || return 1
    if [ "$(jget "$t" deferred)" = true ]; then
        result "$(jget "$t" invocationId)"
    else
        q -c "SELECT jsonb_build_object('status', CASE WHEN (r->>'ok')::boolean THEN 'SUCCEEDED' ELSE 'FAILED' END) || (r - 'deferred' - 'invocationId')
                FROM (SELECT '$(printf '%s' "$t" | sed "s/'/''/g")'::jsonb AS r) x"
    fi
}
# jget JSON PATH...: a value of a JSON document (text)
jget() {
    local j=$1 IFS=,
    shift
    [ -z "$j" ] && return 0
    q -c "SELECT '$(printf '%s' "$j" | sed "s/'/''/g")'::jsonb #>> '{$*}'"
}

# wait_run RUN [SECONDS]: until the run is no longer RUNNING/WAITING-for-an-action; its status
wait_run() {
    local end=$(( $(date +%s) + ${2:-30} )) s
    while [ "$(date +%s)" -lt "$end" ]; do
        s=$(qb -c "SELECT status FROM algawf.runs WHERE run_id = '$1'")
        case "$s" in SUCCEEDED|FAILED|CANCELED) echo "$s"; return 0 ;; esac
        sleep 0.2
    done
    echo "${s:-TIMEOUT}"
}

# no credential value anywhere the database keeps calls
secret_free() {   # secret_free VALUE...: 0 when none of the values is stored in clear
    local v n=0
    for v in "$@"; do
        n=$(( n + $(qb -c "SELECT
            (SELECT count(*) FROM algawf.workflow_action_invocations i
              WHERE concat(i.input::text, i.output::text, i.error::text, i.idempotency_key) LIKE '%' || '$v' || '%')
          + (SELECT count(*) FROM algawf.http_requests h
              WHERE concat(h.url, h.headers::text, h.body, h.body_json::text, h.decl::text, h.decl_state::text, h.error::text) LIKE '%' || '$v' || '%')
          + (SELECT count(*) FROM algawf.workflow_run_logs l WHERE l::text LIKE '%' || '$v' || '%')
          + (SELECT count(*) FROM algawf.integration_tokens t WHERE encode(coalesce(t.access_token, ''), 'escape') LIKE '%' || '$v' || '%')") ))
    done
    [ "$n" -eq 0 ]
}
