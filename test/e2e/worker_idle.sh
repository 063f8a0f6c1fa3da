#!/usr/bin/env bash
# No polling when idle: over an idle minute the executors run no statement
# (pg_stat_statements) and do not wake, although a timer is pending; the
# timer itself is kept to the millisecond range; without any timer they
# sleep indefinitely.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/worker_lib.bash"

PORT=$(( ${PGPORT:-54329} + 172 ))
trap 'pc_stop' EXIT
pc_start idle "$PORT" "shared_preload_libraries = 'algawf, pg_stat_statements'" "algawf.database = 'wk'" \
    "algawf.workers = 2" "pg_stat_statements.track = 'all'" || { echo "not ok 1 - private cluster starts"; exit 1; }
pcq -d postgres -c "CREATE DATABASE wk"
pcq -d wk -c "CREATE EXTENSION pg_stat_statements" -c "CREATE EXTENSION algawf CASCADE" 2>/dev/null
wait_for 10 '[ "$(pcq -d wk -c "SELECT count(*) FROM algawf.worker_status WHERE state = '"'"'idle'"'"'")" = 2 ]'

# a run parked on a timer 2 minutes away, and a run waiting 3 seconds
pcq -d wk >/dev/null <<'SQL'
SET algawf.tenant = '00000000-0000-0000-0000-00000000bb01';
SELECT algawf.create_workflow('{"id": "bb000000-0000-0000-0000-000000000001", "key": "later", "name": "later", "steps": [
  {"id": "w", "type": "time.wait", "config": {"mode": "duration", "durationMs": 120000}},
  {"id": "a", "type": "transform.assign", "config": {"assign": {"vars.done": true}}}]}');
SELECT algawf.create_workflow('{"id": "bb000000-0000-0000-0000-000000000002", "key": "soon", "name": "soon", "steps": [
  {"id": "w", "type": "time.wait", "config": {"mode": "duration", "durationMs": 3000}},
  {"id": "a", "type": "transform.assign", "config": {"assign": {"vars.done": true}}}]}');
SELECT algawf.run('later', '{}');
SQL
wait_for 5 '[ "$(pcq -d wk -c "SELECT status FROM algawf.workflow_runs")" = WAITING ]'
is "$(pcq -d wk -c "SELECT status FROM algawf.workflow_runs")" WAITING "the run is parked on its 2-minute timer"
ok $(wait_for 5 '[ "$(pcq -d wk -c "SELECT count(*) FROM algawf.worker_status WHERE state = '"'"'idle'"'"' AND sleeping_until IS NOT NULL")" -ge 1 ]'; echo $?) \
    "idle executors sleep until the timer (sleeping_until)"
is "$(pcq -d wk -c "SELECT bool_and(sleeping_until <= (SELECT runnable_at FROM algawf.workflow_runs) + interval '1 second') FROM algawf.worker_status WHERE sleeping_until IS NOT NULL")" t \
    "... and not beyond it"

# a timer 3 s away wakes an executor on time (no polling interval involved)
run=$(pcq -d wk -c "SET algawf.tenant = '00000000-0000-0000-0000-00000000bb01'" -c "SELECT algawf.run('soon', '{}')")
wait_for 10 '[ "$(pcq -d wk -c "SELECT status FROM algawf.workflow_runs WHERE run_id = '"'"'$run'"'"'")" = SUCCEEDED ]'
late=$(pcq -d wk -c "SELECT round(extract(epoch FROM completed_at - created_at) * 1000) - 3000 FROM algawf.workflow_runs WHERE run_id = '$run'")
ok $([ -n "$late" ] && [ "$late" -ge 0 ] && [ "$late" -lt 1000 ]; echo $?) "a 3 s timer fires on time (${late} ms late)"

ok $([ "$(pcq -d wk -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE '%algawf executor%'")" -gt 0 ]; echo $?) \
    "pg_stat_statements does see the executors' statements when they work"

# the idle minute
sleep 1
wake0=$(pcq -d wk -c "SELECT sum(wakeups) FROM algawf.worker_status")
pcq -d wk -c "SELECT pg_stat_statements_reset()" >/dev/null
sleep 60
stmts=$(pcq -d wk -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                      WHERE d.datname = 'wk' AND s.query NOT LIKE '%pg_stat_statements%'")
wake1=$(pcq -d wk -c "SELECT sum(wakeups) FROM algawf.worker_status")
is "$stmts" 0 "no statement ran in the worker's database over an idle minute (pg_stat_statements)"
is "$wake1" "$wake0" "the executors did not wake once in that minute"
[ "$stmts" != 0 ] && pcq -d wk -c "SELECT query, calls FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'" | head -5 | sed 's/^/# /'
done_testing
