#!/usr/bin/env bash
# The background worker's life cycle on a private cluster (its database is not
# shared with pg_cron, so DROP DATABASE can be tried): the processes and their
# names, the extension absent or being created, wake at commit, SIGHUP,
# SIGTERM, DROP EXTENSION and DROP DATABASE while the executors are connected,
# statistics after the worker's transactions, a fast shutdown with HTTP in flight.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/worker_lib.bash"

PORT=$(( ${PGPORT:-54329} + 171 ))
trap 'pc_stop; fake_stop' EXIT
pc_start lifecycle "$PORT" "shared_preload_libraries = 'algawf'" "algawf.database = 'wk'" "algawf.workers = 2" \
    "algawf.lease_duration = '5s'" || { echo "not ok 1 - private cluster starts"; exit 1; }
fake_start 18091 || echo "# fake server did not start"

# ---- processes --------------------------------------------------------------
ok $(wait_for 10 '[ "$(pcq -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = '"'"'algawf launcher'"'"'")" = 1 ]'; echo $?) \
    "the launcher runs (backend_type 'algawf launcher')"
sleep 1
is "$(pcq -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'algawf executor'")" 0 \
    "no executors while algawf.database does not exist"
grep -q 'database "wk" does not exist; background execution waits' "$PC_DIR/server.log"
ok $? "the launcher says it waits for the database"
pcq -d postgres -c "CREATE DATABASE wk"
ok $(wait_for 10 '[ "$(pcq -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = '"'"'algawf executor'"'"' AND datname = '"'"'wk'"'"'")" = 2 ]'; echo $?) \
    "CREATE DATABASE wakes the launcher: 2 executors connected to wk"
is "$(pcq -d postgres -c "SELECT string_agg(application_name, ',' ORDER BY application_name) FROM pg_stat_activity WHERE backend_type = 'algawf executor'")" \
    "algawf executor 1,algawf executor 2" "executors are named in pg_stat_activity"

# ---- the extension absent, then being created -------------------------------
pcq -d wk -c "CREATE EXTENSION pgcrypto" -c "CREATE EXTENSION algawf_psa"
# an open transaction creating the extension: the executors neither see nor wait for it
( pcq -d wk -c "BEGIN" -c "CREATE EXTENSION algawf" -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null ) &
creator=$!
sleep 1
is "$(pcq -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'algawf executor' AND wait_event_type = 'Lock'")" 0 \
    "executors do not wait on the extension being created"
wait $creator
ok $(wait_for 5 '[ "$(pcq -d wk -c "SELECT string_agg(DISTINCT state, '"'"','"'"') FROM algawf.worker_status")" = idle ]'; echo $?) \
    "after CREATE EXTENSION commits the executors are idle and ready"
is "$(pcq -d wk -c "SELECT value FROM algawf.status() WHERE item = 'background execution'")" "on: 2 of 2 executors running" \
    "status() says background execution is on"
ok $(grep -E 'algawf executor (ERROR|FATAL)' "$PC_DIR/server.log" >/dev/null; [ $? -ne 0 ]; echo $?) "no executor error so far"

# ---- wake at commit -----------------------------------------------------------
pcq -d wk >/dev/null <<'SQL'
SET algawf.tenant = '00000000-0000-0000-0000-00000000aa01';
SELECT algawf.create_workflow('{"id": "aa000000-0000-0000-0000-000000000001", "key": "quick", "name": "quick",
  "steps": [{"id": "a", "type": "transform.assign", "config": {"assign": {"vars.done": true}}}]}');
SQL
t0=$(now_ms)
run=$(pcq -d wk -c "SET algawf.tenant = '00000000-0000-0000-0000-00000000aa01'" -c "SELECT algawf.run('quick', '{}')")
ok $(wait_for 5 '[ "$(pcq -d wk -c "SELECT status FROM algawf.workflow_runs WHERE run_id = '"'"'$run'"'"'")" = SUCCEEDED ]'; echo $?) \
    "a queued run is executed by the worker"
lat=$(pcq -d wk -c "SELECT round(extract(epoch FROM completed_at - created_at) * 1000) FROM algawf.workflow_runs WHERE run_id = '$run'")
ok $([ "$lat" -lt 1000 ]; echo $?) "it starts at commit, not at a polling interval (queued to done in ${lat} ms)"

# ---- schedules fire on the executors' timer (no pg_cron here) ------------------------
pcq -d wk >/dev/null <<'SQL'
SET algawf.tenant = '00000000-0000-0000-0000-00000000aa01';
SELECT algawf.create_workflow('{"id": "aa000000-0000-0000-0000-000000000002", "key": "yearly", "name": "yearly",
  "trigger": {"type": "recurring", "cron": "0 0 1 1 *", "timezone": "UTC"},
  "steps": [{"id": "a", "type": "transform.assign", "config": {"assign": {"vars.fired": true}}}]}');
UPDATE algawf.schedules SET next_fire_at = now() + interval '2 seconds';
SQL
ok $(wait_for 6 '[ "$(pcq -d wk -c "SELECT count(*) FROM algawf.workflow_runs WHERE workflow_id = '"'"'aa000000-0000-0000-0000-000000000002'"'"' AND status = '"'"'SUCCEEDED'"'"'")" = 1 ]'; echo $?) \
    "a schedule due in 2 s fires on an executor's timer and its run succeeds"
late=$(pcq -d wk -c "SELECT round(extract(epoch FROM r.created_at - (r.trigger_metadata->>'scheduledFor')::timestamptz) * 1000) FROM algawf.workflow_runs r WHERE r.workflow_id = 'aa000000-0000-0000-0000-000000000002'")
ok $([ -n "$late" ] && [ "$late" -ge 0 ] && [ "$late" -lt 1000 ]; echo $?) "... on time (${late} ms after its slot)"
is "$(pcq -d wk -c "SELECT to_char(next_fire_at AT TIME ZONE 'UTC', 'MM-DD HH24:MI') FROM algawf.schedules WHERE workflow_id = 'aa000000-0000-0000-0000-000000000002'")" \
    "01-01 00:00" "and the schedule is re-armed for its next slot"

# ---- statistics after the worker's transactions --------------------------------
pcq -d wk -c "SET algawf.tenant = '00000000-0000-0000-0000-00000000aa01'" -c "SELECT count(algawf.run('quick', '{}')) FROM generate_series(1, 50)" >/dev/null
wait_for 10 '[ "$(pcq -d wk -c "SELECT count(*) FROM algawf.workflow_runs WHERE status = '"'"'SUCCEEDED'"'"'")" = 51 ]'
ok $(wait_for 5 '[ "$(pcq -d wk -c "SELECT n_tup_upd >= 50 FROM pg_stat_user_tables WHERE relid = '"'"'algawf.workflow_runs'"'"'::regclass")" = t ]'; echo $?) \
    "the executors' writes reach the statistics (autovacuum sees them)"

# ---- SIGHUP: the executors reload their settings ----------------------------------
# a request inserted directly (bypassing the action's own check) is judged by the executor's setting
pcq -d wk -c "INSERT INTO algawf.http_requests (tenant, method, url, idempotency_key) VALUES ('00000000-0000-0000-0000-00000000aa01', 'GET', 'http://127.0.0.1:18091/json', 'hup-1')"
wait_for 5 '[ "$(pcq -d wk -c "SELECT status FROM algawf.http_requests WHERE idempotency_key = '"'"'hup-1'"'"'")" != pending ]'
is "$(pcq -d wk -c "SELECT status || ' ' || (error->>'code') FROM algawf.http_requests WHERE idempotency_key = 'hup-1'")" "failed PERMISSION_DENIED" \
    "before the reload the executor refuses a host that is not allowed"
pcq -d wk -c "ALTER SYSTEM SET algawf.http_allowed_hosts = '127.0.0.1:18091'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
pcq -d wk -c "INSERT INTO algawf.http_requests (tenant, method, url, idempotency_key) VALUES ('00000000-0000-0000-0000-00000000aa01', 'GET', 'http://127.0.0.1:18091/json', 'hup-2')"
wait_for 5 '[ "$(pcq -d wk -c "SELECT status FROM algawf.http_requests WHERE idempotency_key = '"'"'hup-2'"'"'")" = done ]'
is "$(pcq -d wk -c "SELECT status || ' ' || response_status FROM algawf.http_requests WHERE idempotency_key = 'hup-2'")" "done 200" \
    "after SIGHUP (pg_reload_conf) the executor sends it"

# ---- SIGTERM: an executor waiting on a slow HTTP call stops at once --------------
pcq -d wk -c "INSERT INTO algawf.http_requests (tenant, method, url, idempotency_key, timeout_ms) VALUES ('00000000-0000-0000-0000-00000000aa01', 'GET', 'http://127.0.0.1:18091/hang', 'term-1', 60000)"
wait_for 5 '[ "$(pcq -d wk -c "SELECT sum(http_inflight) FROM algawf.worker_status")" = 1 ]'
victim=$(pcq -d wk -c "SELECT pid FROM algawf.worker_status WHERE http_inflight = 1")
t0=$(now_ms)
kill -TERM "$victim"
wait_for 5 '! kill -0 '"$victim"' 2>/dev/null'
took=$(( $(now_ms) - t0 ))
ok $([ "$took" -lt 2000 ]; echo $?) "SIGTERM stops an executor with HTTP in flight promptly (${took} ms)"
ok $(wait_for 15 '[ "$(pcq -d wk -c "SELECT count(*) FROM algawf.worker_status WHERE pid IS NOT NULL")" = 2 ]'; echo $?) \
    "the launcher starts a new executor in its place"
# its request is still 'sending' under the dead executor's lease; once the lease (5 s) lapses it is sent again
ok $(wait_for 15 '[ "$(pcq -d wk -c "SELECT attempt FROM algawf.http_requests WHERE idempotency_key = '"'"'term-1'"'"'")" = 2 ]'; echo $?) \
    "the request of the stopped executor is taken over after its lease lapsed"
is "$(grep -c '"idempotency-key":"term-1"' "$FAKE_LOG")" 2 "both sends carry the same Idempotency-Key"

# ---- DROP EXTENSION while the executors work ----------------------------------------
pcq -d wk -c "SET algawf.tenant = '00000000-0000-0000-0000-00000000aa01'" -c "SELECT count(algawf.run('quick', '{}')) FROM generate_series(1, 2000)" >/dev/null
sleep 0.2
t0=$(now_ms)
pcq -d wk -c "SET lock_timeout = '10s'" -c "DROP EXTENSION algawf CASCADE"
rc=$?
took=$(( $(now_ms) - t0 ))
ok $([ $rc -eq 0 ] && [ "$took" -lt 3000 ]; echo $?) "DROP EXTENSION during a backlog is not blocked by the executors (${took} ms)"
sleep 0.5
is "$(pcq -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'algawf executor' AND datname = 'wk'")" 2 \
    "the executors stay connected, with nothing to do"
pcq -d wk -c "CREATE EXTENSION algawf"
# (one executor may still be sending the /hang request it took over from the one stopped above)
ok $(wait_for 5 '[ "$(pcq -d wk -c "SELECT count(*) FROM algawf.worker_status WHERE state NOT IN ('"'"'idle'"'"', '"'"'sending'"'"')")" = 0 ]'; echo $?) \
    "CREATE EXTENSION again: the executors pick up"
pcq -d wk >/dev/null <<'SQL'
SET algawf.tenant = '00000000-0000-0000-0000-00000000aa01';
SELECT algawf.create_workflow('{"id": "aa000000-0000-0000-0000-000000000001", "key": "quick", "name": "quick",
  "steps": [{"id": "a", "type": "transform.assign", "config": {"assign": {"vars.done": true}}}]}');
SELECT algawf.run('quick', '{}');
SQL
ok $(wait_for 5 '[ "$(pcq -d wk -c "SELECT count(*) FROM algawf.workflow_runs WHERE status = '"'"'SUCCEEDED'"'"'")" = 1 ]'; echo $?) \
    "and runs move again"

# ---- DROP DATABASE while the executors are connected -------------------------------
t0=$(now_ms)
pcq -d postgres -c "DROP DATABASE wk"
rc=$?
took=$(( $(now_ms) - t0 ))
ok $([ $rc -eq 0 ] && [ "$took" -lt 3000 ]; echo $?) "DROP DATABASE with the executors connected succeeds (${took} ms)"
is "$(pcq -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'algawf executor'")" 0 "the executors left"
is "$(pcq -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'algawf launcher'")" 1 "the launcher stays"
pcq -d postgres -c "CREATE DATABASE wk"
ok $(wait_for 10 '[ "$(pcq -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = '"'"'algawf executor'"'"'")" = 2 ]'; echo $?) \
    "a new database of that name gets executors again"

# ---- fast shutdown with a slow HTTP call in flight --------------------------------------
pcq -d wk -c "CREATE EXTENSION algawf CASCADE" 2>/dev/null
pcq -d wk -c "INSERT INTO algawf.http_requests (tenant, method, url, idempotency_key, timeout_ms) VALUES ('00000000-0000-0000-0000-00000000aa01', 'GET', 'http://127.0.0.1:18091/hang', 'stop-1', 60000)"
wait_for 5 '[ "$(pcq -d wk -c "SELECT status FROM algawf.http_requests WHERE idempotency_key = '"'"'stop-1'"'"'")" = sending ]'
t0=$(now_ms)
pc_ctl -m fast stop
took=$(( $(now_ms) - t0 ))
ok $([ "$took" -lt 5000 ]; echo $?) "pg_ctl stop -m fast is not held up by the worker (${took} ms)"

n=$(grep -cE 'algawf (executor|launcher) (ERROR|PANIC)' "$PC_DIR/server.log")
is "$n" 0 "no ERROR from the worker in the server log"
[ "$n" -gt 0 ] && grep -E 'algawf (executor|launcher) (ERROR|PANIC)' "$PC_DIR/server.log" | head -5 | sed 's/^/# /'
done_testing
