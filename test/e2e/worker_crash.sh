#!/usr/bin/env bash
# Crashes under load lose no run and duplicate no effect: an executor killed
# with SIGKILL in the middle of 2,000 queued runs (the postmaster then resets
# every process), and a `pg_ctl -m immediate` restart in the middle of 2,000
# more.  Each run writes one row through an SQL action, in the same
# transaction as its state; afterwards every run has succeeded exactly once
# and there is exactly one row per run.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/worker_lib.bash"

q -c "SELECT 1" >/dev/null || { echo "not ok 1 - the suite's cluster answers"; echo "1..1"; exit 1; }
T=00000000-0000-0000-0000-00000000dd01
WF=dd000000-0000-0000-0000-000000000001
up() { q -c "SELECT count(*) FROM algawf.worker_status WHERE pid IS NOT NULL" 2>/dev/null; }
done_runs() { q -c "SELECT count(*) FROM algawf.workflow_runs WHERE tenant = '$T' AND status = 'SUCCEEDED'" 2>/dev/null || echo 0; }

q >/dev/null 2>&1 <<SQL
DELETE FROM algawf.workflow_runs WHERE tenant = '$T';
DELETE FROM algawf.workflow_definitions WHERE tenant = '$T';
DROP SCHEMA IF EXISTS e2e_crash CASCADE;
SQL
q >/dev/null <<SQL
CREATE SCHEMA e2e_crash;
CREATE TABLE e2e_crash.effects (run_id uuid NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
GRANT USAGE ON SCHEMA e2e_crash TO algawf_service;
GRANT INSERT ON e2e_crash.effects TO algawf_service;
CREATE FUNCTION e2e_crash.effect(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS \$\$ INSERT INTO e2e_crash.effects (run_id) VALUES ((ctx ->> 'runId')::uuid) RETURNING jsonb_build_object('ok', true) \$\$;
SELECT algawf.register_action('{"id": "e2ecrash.effect", "version": 1, "label": "Write a row", "category": "Test",
  "inputSchema": {"type": "object"}, "outputSchema": {"type": "object"}, "sideEffectful": true,
  "implementation": {"kind": "sql", "function": "e2e_crash.effect"}}', true);
SET algawf.tenant = '$T';
SELECT algawf.create_workflow('{"id": "$WF", "key": "crash", "name": "crash", "steps": [
  {"id": "a", "type": "transform.assign", "config": {"assign": {"vars.before": true}}},
  {"id": "e", "type": "action.call", "config": {"actionId": "e2ecrash.effect", "version": 1, "inputMapping": {"n": 1}}},
  {"id": "b", "type": "transform.assign", "config": {"assign": {"vars.after": true}}}]}');
SQL
ok $? "an SQL action writing one row per run, and a workflow calling it"

check() {   # check TOTAL LABEL
    local total=$1 label=$2
    ok $(wait_for 90 '[ "$(done_runs)" = '"$total"' ]'; echo $?) "$label: all $total runs succeed"
    is "$(q -c "SELECT count(*) FROM algawf.workflow_runs WHERE tenant = '$T' AND status <> 'SUCCEEDED'")" 0 "$label: no run is left behind or failed"
    is "$(q -c "SELECT count(*) || ' ' || count(DISTINCT run_id) FROM e2e_crash.effects")" "$total $total" \
        "$label: exactly one effect row per run"
    is "$(q -c "SELECT count(*) FROM (SELECT run_id, step_path FROM algawf.workflow_run_steps WHERE tenant = '$T'
                                       GROUP BY 1, 2 HAVING count(*) > 1) d")" 0 "$label: no step was recorded twice"
    is "$(q -c "SELECT count(*) FROM algawf.workflow_run_steps WHERE tenant = '$T'")" "$(( total * 3 ))" \
        "$label: 3 step rows per run"
}

# ---- SIGKILL of an executor ------------------------------------------------------
q -c "SET algawf.tenant = '$T'" -c "SELECT count(algawf.run('crash', '{}')) FROM generate_series(1, 2000)" >/dev/null
wait_for 30 '[ "$(done_runs)" -ge 300 ]'
victim=$(q -c "SELECT pid FROM algawf.worker_status WHERE pid IS NOT NULL ORDER BY runs_done DESC LIMIT 1")
before=$(done_runs)
kill -KILL "$victim"
ok $? "SIGKILL executor $victim after $before of 2000 runs"
sleep 1
ok $(wait_for 30 '[ "$(up)" = 2 ]'; echo $?) "after the crash reset the executors are back"
check 2000 "after SIGKILL"

# ---- pg_ctl -m immediate -------------------------------------------------------------
q -c "SET algawf.tenant = '$T'" -c "SELECT count(algawf.run('crash', '{}')) FROM generate_series(1, 2000)" >/dev/null
wait_for 30 '[ "$(done_runs)" -ge 2300 ]'
before=$(done_runs)
as_pg "$PGBIN_DIR/pg_ctl" -D "$TMP_CHECK/data" -m immediate -w stop >/dev/null
ok $? "immediate shutdown after $before of 4000 runs"
bash "$E2E_ROOT/test/dev-cluster.sh" start "$PGPORT" >/dev/null 2>&1
ok $(wait_for 30 '[ "$(up)" = 2 ]'; echo $?) "restarted; the executors are back"
check 4000 "after an immediate restart"

q -c "DROP SCHEMA e2e_crash CASCADE" >/dev/null 2>&1
done_testing
