-- Runs: action calls through the dispatcher, retries and back-off, the
-- subtransaction per action, exactly-once segments, cancel and retry, the
-- concurrency limit, auto-pause, the maximum duration, segment budgets,
-- variables, and the statistics views.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE EXTENSION IF NOT EXISTS algawf CASCADE;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'engine_tester') THEN
        CREATE ROLE engine_tester IN ROLE algawf_admin, algawf_operator, algawf_approver, algawf_service;
    END IF;
END $$;
SET algawf.tenant = '00000000-0000-0000-0000-0000000000e4';

-- test actions: one that records each call, one that fails the first N calls
-- with a transient error (a sequence, so the count survives rollbacks)
CREATE SCHEMA engine_runs_t;
GRANT USAGE ON SCHEMA engine_runs_t TO algawf_service;
CREATE TABLE engine_runs_t.calls (n int, note text);
GRANT ALL ON engine_runs_t.calls TO algawf_service;
CREATE SEQUENCE engine_runs_t.attempts;
GRANT ALL ON SEQUENCE engine_runs_t.attempts TO algawf_service;
CREATE FUNCTION engine_runs_t.record(ctx jsonb, input jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO engine_runs_t.calls VALUES ((input->>'n')::int, input->>'note');
    IF input ? 'fail' THEN
        RAISE EXCEPTION 'asked to fail: %', input->>'fail'
            USING ERRCODE = CASE input->>'fail' WHEN 'transient' THEN '40001' WHEN 'conflict' THEN '23505' ELSE 'P0001' END;
    END IF;
    RETURN jsonb_build_object('calls', (SELECT count(*) FROM engine_runs_t.calls));
END $$;
CREATE FUNCTION engine_runs_t.flaky(ctx jsonb, input jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    k bigint := nextval('engine_runs_t.attempts');
BEGIN
    INSERT INTO engine_runs_t.calls VALUES (k::int, 'flaky');
    IF k <= (input->>'failures')::int THEN
        RAISE EXCEPTION 'flaky call % fails', k USING ERRCODE = '40001';
    END IF;
    RETURN jsonb_build_object('attempt', k);
END $$;
SELECT algawf.register_action('{"id": "engine_runs_t.record", "version": 1, "label": "Record", "category": "Test",
  "description": "records a call", "sideEffectful": true, "idempotency": {"mode": "engineProvided"},
  "inputSchema": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}, "note": {"type": "string"},
                  "fail": {"type": "string"}}},
  "outputSchema": {"type": "object"}, "implementation": {"kind": "sql", "function": "engine_runs_t.record"}}');
SELECT algawf.register_action('{"id": "engine_runs_t.flaky", "version": 1, "label": "Flaky", "category": "Test",
  "description": "fails the first calls", "sideEffectful": false, "idempotency": {"mode": "engineProvided"},
  "inputSchema": {"type": "object", "required": ["failures"], "properties": {"failures": {"type": "integer"}}},
  "outputSchema": {"type": "object"}, "implementation": {"kind": "sql", "function": "engine_runs_t.flaky"}}');
GRANT USAGE ON SCHEMA engine_runs_t TO engine_tester;
GRANT ALL ON engine_runs_t.calls, engine_runs_t.attempts TO engine_tester;
-- as a role that is not a superuser, so that row-level security applies
SET ROLE engine_tester;

CREATE FUNCTION pg_temp.go(def jsonb, payload jsonb DEFAULT '{}')
RETURNS TABLE (status text, vars jsonb, error text)
LANGUAGE plpgsql AS $$
DECLARE
    r uuid := algawf.run(algawf.create_workflow(def), payload, true);
BEGIN
    RETURN QUERY SELECT x.status, x.vars,
        x.error->>'category' || ' ' || (x.error->>'code') || ' at ' || (x.error->>'stepPath')
      FROM algawf.workflow_runs x WHERE x.run_id = r;
END $$;
CREATE FUNCTION pg_temp.steps(r uuid)
RETURNS TABLE (step_id text, status text, attempt int, code text)
LANGUAGE sql AS $$
    SELECT s.step_id, s.status, s.attempt, s.error->>'code' FROM algawf.run_steps s WHERE s.run_id = r ORDER BY s.seq
$$;
-- run a statement, report its error with ids masked
CREATE FUNCTION pg_temp.try(q text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    msg text;
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    RETURN regexp_replace(msg, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g');
END $$;
CREATE FUNCTION pg_temp.latest() RETURNS uuid
LANGUAGE sql AS $$ SELECT run_id FROM algawf.workflow_runs ORDER BY created_at DESC LIMIT 1 $$;

-- an action call: mapped input (expressions, templates), saveAs, the invocation id on the step row
SELECT * FROM pg_temp.go('{"name": "call", "steps": [
  {"id": "rec", "type": "action.call", "config": {"actionId": "engine_runs_t.record", "version": 1,
     "inputMapping": {"n": {"$expr": "payload.n + 1"}, "note": "ticket {{payload.ticket}}"}, "saveAs": "rec"}}]}',
  '{"n": 1, "ticket": "T-100"}');
SELECT n, note FROM engine_runs_t.calls;
SELECT action_id, action_version, status, invocation_id IS NOT NULL AS has_invocation FROM algawf.run_steps
 WHERE run_id = pg_temp.latest();

-- a failing action's writes vanish, its failure is recorded (not retryable: no retry)
TRUNCATE engine_runs_t.calls;
SELECT * FROM pg_temp.go('{"name": "fails", "steps": [
  {"id": "rec", "type": "action.call", "retry": {"maxAttempts": 3, "backoffMs": 0},
   "config": {"actionId": "engine_runs_t.record", "version": 1, "inputMapping": {"n": 1, "fail": "hard"}}}]}');
SELECT count(*) AS writes_left FROM engine_runs_t.calls;
SELECT * FROM pg_temp.steps(pg_temp.latest());
-- input the action's schema refuses: a ValidationError before it runs
SELECT * FROM pg_temp.go('{"name": "bad-input", "steps": [
  {"id": "rec", "type": "action.call", "config": {"actionId": "engine_runs_t.record", "version": 1,
     "inputMapping": {"n": {"$expr": "\"one\""}}}}]}');

-- retries: transient failures are retried (immediately with backoffMs 0) until they succeed
SELECT * FROM pg_temp.go('{"name": "retry-ok", "steps": [
  {"id": "f", "type": "action.call", "retry": {"maxAttempts": 5, "backoffMs": 0},
   "config": {"actionId": "engine_runs_t.flaky", "version": 1, "inputMapping": {"failures": 2}, "saveAs": "out"}}]}');
SELECT * FROM pg_temp.steps(pg_temp.latest());
-- ... or until maxAttempts
SELECT setval('engine_runs_t.attempts', 1, false);
SELECT * FROM pg_temp.go('{"name": "retry-exhausted", "steps": [
  {"id": "f", "type": "action.call", "retry": {"maxAttempts": 2, "backoffMs": 0},
   "config": {"actionId": "engine_runs_t.flaky", "version": 1, "inputMapping": {"failures": 5}}}]}');
SELECT * FROM pg_temp.steps(pg_temp.latest());
-- retryOn narrows the categories: a TransientError is not retried when only ActionError is listed
SELECT setval('engine_runs_t.attempts', 1, false);
SELECT * FROM pg_temp.go('{"name": "retry-on", "steps": [
  {"id": "f", "type": "action.call", "retry": {"maxAttempts": 5, "backoffMs": 0, "retryOn": ["ActionError"]},
   "config": {"actionId": "engine_runs_t.flaky", "version": 1, "inputMapping": {"failures": 1}}}]}');
-- a back-off parks the run (WAITING) until the retry is due
SELECT setval('engine_runs_t.attempts', 1, false);
SELECT algawf.run(algawf.create_workflow('{"name": "backoff", "steps": [
  {"id": "f", "type": "action.call", "retry": {"maxAttempts": 3, "backoffMs": 500, "backoffMultiplier": 2, "jitter": false, "maxDelayMs": 1000},
   "config": {"actionId": "engine_runs_t.flaky", "version": 1, "inputMapping": {"failures": 1}}}]}'), '{}', true) AS r \gset
SELECT status, waiting_for FROM algawf.runs WHERE run_id = :'r';
SELECT algawf.run_pending();
SELECT pg_sleep(0.55);
SELECT algawf.run_pending();
SELECT status FROM algawf.runs WHERE run_id = :'r';
SELECT * FROM pg_temp.steps(:'r');
SELECT message, context->>'delayMs' AS delay_ms FROM algawf.workflow_run_logs WHERE run_id = :'r' AND message LIKE 'Retry%';
-- onError continue: the failure is recorded and the run goes on
SELECT status, vars->>'next' AS next FROM pg_temp.go('{"name": "continue", "steps": [
  {"id": "rec", "type": "action.call", "onError": {"policy": "continue"},
   "config": {"actionId": "engine_runs_t.record", "version": 1, "inputMapping": {"n": 1, "fail": "conflict"}}},
  {"id": "next", "type": "transform.assign", "config": {"assign": {"vars.next": {"$expr": "error.data.code"}}}}]}');

-- a segment commits with the caller's transaction: rolled back, nothing happened
TRUNCATE engine_runs_t.calls;
SELECT algawf.create_workflow('{"id": "e4000000-0000-0000-0000-000000000001", "name": "once", "steps": [
  {"id": "rec", "type": "action.call", "config": {"actionId": "engine_runs_t.record", "version": 1, "inputMapping": {"n": 1}}},
  {"id": "w", "type": "event.wait", "config": {"eventName": "GO", "correlationKey": {"$expr": "payload.k"}}},
  {"id": "rec2", "type": "action.call", "config": {"actionId": "engine_runs_t.record", "version": 1, "inputMapping": {"n": 2}}}]}');
BEGIN;
SELECT algawf.run('e4000000-0000-0000-0000-000000000001', '{"k": "a"}', true) IS NOT NULL AS started;
SELECT count(*) FROM engine_runs_t.calls;
ROLLBACK;
SELECT count(*) AS calls, (SELECT count(*) FROM algawf.workflow_runs WHERE workflow_id = 'e4000000-0000-0000-0000-000000000001') AS runs
  FROM engine_runs_t.calls;
SELECT algawf.run('e4000000-0000-0000-0000-000000000001', '{"k": "b"}', true) AS r \gset
SELECT status, waiting_for FROM algawf.runs WHERE run_id = :'r';
-- the resuming segment crashes (rolls back): the run is still waiting, n=2 never happened
BEGIN;
SELECT algawf.deliver_event('GO', '{}', 'b');
SELECT algawf.run_pending();
SELECT array_agg(n ORDER BY n) FROM engine_runs_t.calls;
ROLLBACK;
SELECT status, waiting_for, (SELECT array_agg(n ORDER BY n) FROM engine_runs_t.calls) AS calls FROM algawf.runs WHERE run_id = :'r';
-- and re-executes once when it happens again
SELECT algawf.deliver_event('GO', '{}', 'b');
SELECT algawf.run_pending();
SELECT status, (SELECT array_agg(n ORDER BY n) FROM engine_runs_t.calls) AS calls FROM algawf.runs WHERE run_id = :'r';

-- cancel ------------------------------------------------------------------------
SELECT algawf.run('e4000000-0000-0000-0000-000000000001', '{"k": "c"}', true) AS r \gset
SELECT algawf.cancel(:'r', 'no longer needed');
SELECT status, error->>'category' AS category, error->>'message' AS message, completed_at IS NOT NULL AS completed
  FROM algawf.runs WHERE run_id = :'r';
SELECT status FROM algawf.workflow_run_waits WHERE run_id = :'r';
SELECT * FROM pg_temp.steps(:'r');
SELECT algawf.cancel(:'r');                    -- already over: false
SELECT algawf.deliver_event('GO', '{}', 'c');  -- nothing waits any more
SELECT algawf.cancel('e4000000-0000-0000-0000-0000000000ff');
-- canceling a parent cancels the child it waits for
SELECT algawf.create_workflow('{"id": "e4000000-0000-0000-0000-000000000002", "name": "parent of once", "steps": [
  {"id": "call", "type": "control.callWorkflow", "workflowId": "e4000000-0000-0000-0000-000000000001",
   "inputMapping": {"k": {"$expr": "payload.k"}}}]}');
SELECT algawf.run('e4000000-0000-0000-0000-000000000002', '{"k": "d"}', true) AS p \gset
SELECT status, waiting_for FROM algawf.runs WHERE run_id = :'p';
SELECT algawf.cancel(:'p');
SELECT status, trigger_type FROM algawf.runs WHERE parent_run_id = :'p';
-- a parent waits for its child, which resumes it when it ends
SELECT algawf.run('e4000000-0000-0000-0000-000000000002', '{"k": "e"}', true) AS p \gset
SELECT algawf.deliver_event('GO', '{}', 'e');
SELECT algawf.run_pending();
SELECT status FROM algawf.runs WHERE run_id = :'p';
-- canceling the child fails the parent's step with a Cancellation
SELECT algawf.run('e4000000-0000-0000-0000-000000000002', '{"k": "f"}', true) AS p \gset
SELECT algawf.cancel(run_id) FROM algawf.workflow_runs WHERE parent_run_id = :'p';
SELECT algawf.run_pending();
SELECT status, error->>'category' AS category, error->>'message' AS message FROM algawf.runs WHERE run_id = :'p';

-- retry --------------------------------------------------------------------------
SELECT algawf.create_workflow('{"id": "e4000000-0000-0000-0000-000000000003", "name": "needs a variable", "steps": [
  {"id": "a", "type": "transform.assign", "config": {"assign": {"vars.a": "done"}}},
  {"id": "check", "type": "transform.assign", "config": {"assign": {
     "vars.limit": {"$expr": "$exists(env.limit) ? env.limit : $error(\"no limit configured\")"}}}},
  {"id": "c", "type": "transform.assign", "config": {"assign": {"vars.c": {"$expr": "payload.x"}}}}]}');
SELECT algawf.run('e4000000-0000-0000-0000-000000000003', '{"x": 1}', true) AS r \gset
SELECT status, current_path, error->>'message' AS message FROM algawf.runs WHERE run_id = :'r';
SELECT algawf.retry('e4000000-0000-0000-0000-0000000000ff');
SELECT pg_temp.try(format('SELECT algawf.retry(%L)', run_id)) FROM algawf.workflow_runs WHERE status = 'SUCCEEDED' LIMIT 1;
-- a new run from the start, same version and payload
SELECT algawf.retry(:'r') AS r2 \gset
SELECT status, trigger_type, retry_of = :'r' AS retry_of, input FROM algawf.runs WHERE run_id = :'r2';
-- variables: tenant-wide, then per workflow (which wins)
SELECT algawf.set_variable('limit', '100');
SELECT algawf.set_variable('limit', '250', 'e4000000-0000-0000-0000-000000000003');
SELECT algawf.set_variable('region', '"eu"');
SELECT name, scope, workflow_key, value FROM algawf.variables ORDER BY name, scope;
-- resume the failed run at the failed step: earlier steps are not repeated
SELECT algawf.retry(:'r', from_failed_step => true) = :'r' AS same_run;
SELECT algawf.run_segment(:'r');
SELECT status, vars FROM algawf.runs WHERE run_id = :'r';
SELECT * FROM pg_temp.steps(:'r');
SELECT pg_temp.try(format('SELECT algawf.retry(%L, true)', :'r'));
-- without the workflow's own value, the tenant's applies
SELECT algawf.delete_variable('limit', 'e4000000-0000-0000-0000-000000000003');
SELECT algawf.delete_variable('limit', 'e4000000-0000-0000-0000-000000000003');
SELECT algawf.run_segment(:'r2');
SELECT status, vars->>'limit' AS tenant_limit FROM algawf.runs WHERE run_id = :'r2';
SELECT algawf.set_variable('bad name', '1');

-- concurrency limit: runs beyond it stay queued until one ends -------------------------
SELECT algawf.create_workflow('{"id": "e4000000-0000-0000-0000-000000000004", "name": "one at a time", "steps": [
  {"id": "w", "type": "event.wait", "config": {"eventName": "NEXT", "correlationKey": {"$expr": "payload.k"}}}]}');
SELECT algawf.configure_workflow('e4000000-0000-0000-0000-000000000004', '{"concurrencyLimit": 1}');
SELECT algawf.run('e4000000-0000-0000-0000-000000000004', '{"k": "1"}', true) AS c1 \gset
SELECT algawf.run('e4000000-0000-0000-0000-000000000004', '{"k": "2"}', true) AS c2 \gset
SELECT run_id = :'c1' AS first, status, queued, waiting_for FROM algawf.runs
 WHERE workflow_id = 'e4000000-0000-0000-0000-000000000004' ORDER BY created_at;
SELECT algawf.run_segment(:'c2');
SELECT algawf.deliver_event('NEXT', '{}', '1');
SELECT algawf.run_pending();
SELECT run_id = :'c1' AS first, status, queued, waiting_for FROM algawf.runs
 WHERE workflow_id = 'e4000000-0000-0000-0000-000000000004' ORDER BY created_at;

-- auto-pause on a failure rate ----------------------------------------------------------
SELECT algawf.create_workflow('{"id": "e4000000-0000-0000-0000-000000000005", "name": "always fails", "steps": [
  {"id": "x", "type": "transform.assign", "config": {"assign": {"vars.x": {"$expr": "$error(\"broken\")"}}}}]}');
SELECT algawf.configure_workflow('e4000000-0000-0000-0000-000000000005',
  '{"autoPauseOnFailure": true, "failureRateThreshold": 0.5, "failureRateMinRuns": 2}');
SELECT algawf.run('e4000000-0000-0000-0000-000000000005', '{}', true) IS NOT NULL AS ran;
SELECT is_paused FROM algawf.workflow_definitions WHERE workflow_id = 'e4000000-0000-0000-0000-000000000005';
SELECT algawf.run('e4000000-0000-0000-0000-000000000005', '{}', true) IS NOT NULL AS ran;
SELECT is_paused, paused_reason FROM algawf.workflow_definitions WHERE workflow_id = 'e4000000-0000-0000-0000-000000000005';
SELECT algawf.run('e4000000-0000-0000-0000-000000000005');

-- maximum run duration: a run past it fails with TimeoutError, even while it waits -----------
SELECT algawf.create_workflow('{"id": "e4000000-0000-0000-0000-000000000006", "name": "slow", "steps": [
  {"id": "w", "type": "time.wait", "config": {"durationMs": 60000}}]}');
SELECT algawf.configure_workflow('e4000000-0000-0000-0000-000000000006', '{"runMaxDuration": "20 milliseconds"}');
SELECT algawf.run('e4000000-0000-0000-0000-000000000006', '{}', true) AS r \gset
SELECT status, waiting_for, runnable_at = deadline_at AS wakes_at_deadline FROM algawf.runs WHERE run_id = :'r';
SELECT pg_sleep(0.03);
SELECT algawf.run_pending();
SELECT status, error->>'category' AS category, error->>'message' AS message FROM algawf.runs WHERE run_id = :'r';
SELECT status FROM algawf.workflow_run_waits WHERE run_id = :'r';
-- a parent that fails at its deadline while waiting for a child cancels the child
SELECT algawf.configure_workflow('e4000000-0000-0000-0000-000000000002', '{"runMaxDuration": "20 milliseconds"}');
SELECT algawf.run('e4000000-0000-0000-0000-000000000002', '{"k": "g"}', true) AS p \gset
SELECT pg_sleep(0.03);
SELECT algawf.run_pending();
SELECT status, error->>'category' AS category FROM algawf.runs WHERE run_id = :'p';
SELECT status, error->>'message' AS message FROM algawf.runs WHERE parent_run_id = :'p';

-- segment budget: a worker's segment yields after algawf.segment_max_steps steps ---------------
SET algawf.segment_max_steps = 3;
SELECT algawf.run(algawf.create_workflow('{"name": "long", "steps": [
  {"id": "l", "type": "control.forEach", "items": {"$expr": "[1, 2, 3, 4, 5]"}, "itemVar": "i", "body": [
    {"id": "a", "type": "transform.assign", "config": {"assign": {"vars.sum": {"$expr": "(vars.sum ? vars.sum : 0) + i"}}}}]}]}')) AS r \gset
SELECT algawf.run_segment(:'r');
SELECT status, queued, steps_executed, segments FROM algawf.runs WHERE run_id = :'r';
SELECT algawf.run_pending();
SELECT status, vars, steps_executed, segments FROM algawf.runs WHERE run_id = :'r';
RESET algawf.segment_max_steps;
SELECT algawf.run_segment(:'r');               -- a finished run: nothing to do
SELECT algawf.run_segment('e4000000-0000-0000-0000-0000000000ff');

-- the statistics views ----------------------------------------------------------------------
SELECT name, runs, succeeded, failures, canceled, active, p50_ms IS NOT NULL AS has_p50, p95_ms >= p50_ms AS p95_ge_p50
  FROM algawf.stat_workflows ORDER BY name;
SELECT action_id, calls, failures, failures_by_code, p95_ms >= p50_ms AS p95_ge_p50 FROM algawf.stat_actions ORDER BY action_id;

-- leave the database as this test found it (other tests expect to install the extensions)
RESET ROLE;
DROP SCHEMA engine_runs_t CASCADE;
DROP EXTENSION algawf CASCADE;
DROP EXTENSION algawf_psa CASCADE;
DROP EXTENSION IF EXISTS pgcrypto;
