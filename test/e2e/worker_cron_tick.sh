#!/usr/bin/env bash
# Without the workers (algawf not in shared_preload_libraries) schedules still
# fire: CREATE EXTENSION registers algawf.tick() as a pg_cron job, and the tick
# fires the schedule and executes its run.  status() says why the workers are
# off and how to turn them on.  (Takes up to a minute: pg_cron's finest
# schedule.)
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/worker_lib.bash"

PORT=$(( ${PGPORT:-54329} + 173 ))
trap 'pc_stop' EXIT
SOCKDIR=$TMP_CHECK/pc_crontick/sock
pc_start crontick "$PORT" "shared_preload_libraries = 'pg_cron'" "cron.database_name = 'wk'" "cron.host = '$SOCKDIR'" \
    || { echo "not ok 1 - private cluster starts"; exit 1; }
pcq -d postgres -c "CREATE DATABASE wk"
pc_ctl -m fast restart      # pg_cron's launcher connects to wk once it exists
pcq -d wk -c "CREATE EXTENSION pg_cron" -c "CREATE EXTENSION algawf CASCADE" 2>/dev/null

is "$(pcq -d wk -c "SELECT schedule || ' ' || database FROM cron.job WHERE jobname = 'algawf-tick'")" "* * * * * wk" \
    "CREATE EXTENSION registered the pg_cron job algawf-tick"
is "$(pcq -d wk -c "SELECT value FROM algawf.status() WHERE item = 'background execution'")" \
    "off: algawf is not in shared_preload_libraries" "status(): background execution is off"
pcq -d wk -c "SELECT hint FROM algawf.status() WHERE item = 'background execution'" | grep -q "Add algawf to shared_preload_libraries"
ok $? "... and says how to turn it on"
is "$(pcq -d wk -c "SELECT value FROM algawf.status() WHERE item = 'pg_cron tick'")" "scheduled every minute (job algawf-tick)" \
    "status(): the pg_cron tick is scheduled"

pcq -d wk >/dev/null <<'SQL'
SET algawf.tenant = '00000000-0000-0000-0000-00000000ff01';
SELECT algawf.create_workflow('{"id": "ff000000-0000-0000-0000-000000000001", "key": "minutely", "name": "minutely",
  "trigger": {"type": "recurring", "cron": "* * * * *", "timezone": "UTC"},
  "steps": [{"id": "a", "type": "transform.assign", "config": {"assign": {"vars.ticked": true}}}]}');
SQL
is "$(pcq -d wk -c "SELECT count(*) FROM algawf.schedules WHERE next_fire_at IS NOT NULL")" 1 "the recurring schedule is armed"
ok $(wait_for 75 '[ "$(pcq -d wk -c "SELECT count(*) FROM algawf.workflow_runs WHERE status = '"'"'SUCCEEDED'"'"'")" -ge 1 ]'; echo $?) \
    "within a minute pg_cron's tick fires the schedule and executes the run"
is "$(pcq -d wk -c "SELECT trigger_type || ' ' || (vars->>'ticked') FROM algawf.workflow_runs ORDER BY created_at LIMIT 1")" "recurring true" \
    "the run is the schedule's"
ok $([ "$(pcq -d wk -c "SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'algawf-tick' AND d.status = 'succeeded'")" -ge 1 ]; echo $?) \
    "pg_cron records the tick as succeeded"

# dropping algawf leaves no failing job behind: the job's command removes the job
cmd=$(pcq -d wk -c "SELECT command FROM cron.job WHERE jobname = 'algawf-tick'")
pcq -d wk -c "DROP EXTENSION algawf CASCADE"
pcq -d wk -c "$cmd"
ok $? "after DROP EXTENSION algawf the job's command runs without error"
is "$(pcq -d wk -c "SELECT count(*) FROM cron.job WHERE jobname = 'algawf-tick'")" 0 "... and unschedules the job"
done_testing
