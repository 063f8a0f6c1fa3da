-- The interpreter: every control step and data step, their error paths, and
-- what a run records.  Runs execute inline (run(..., wait => true)).
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE EXTENSION IF NOT EXISTS algawf CASCADE;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'engine_tester') THEN
        CREATE ROLE engine_tester IN ROLE algawf_admin, algawf_operator, algawf_approver, algawf_service;
    END IF;
END $$;
-- as a role that is not a superuser, so that row-level security applies
SET ROLE engine_tester;
SET algawf.tenant = '00000000-0000-0000-0000-0000000000e2';

-- a helper: run a definition inline, return status, vars and error
CREATE FUNCTION pg_temp.go(def jsonb, payload jsonb DEFAULT '{}')
RETURNS TABLE (status text, vars jsonb, meta jsonb, error jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    r uuid;
BEGIN
    r := algawf.run(algawf.create_workflow(def), payload, true);
    RETURN QUERY SELECT x.status, x.vars, x.meta,
        CASE WHEN x.error IS NULL THEN NULL
             ELSE jsonb_build_object('category', x.error->'category', 'code', x.error->'code',
                                     'message', x.error->'message', 'stepPath', x.error->'stepPath') END
      FROM algawf.workflow_runs x WHERE x.run_id = r;
END $$;

CREATE FUNCTION pg_temp.last_steps(n int DEFAULT 50)
RETURNS TABLE (seq int, step_path text, step_type text, status text, attempt int, iter int, code text)
LANGUAGE sql AS $$
    SELECT s.seq, s.step_path, s.step_type, s.status, s.attempt, s.iteration, s.error->>'code'
      FROM algawf.workflow_run_steps s
     WHERE s.run_id = (SELECT run_id FROM algawf.workflow_runs ORDER BY created_at DESC LIMIT 1)
     ORDER BY s.seq LIMIT n
$$;

-- transform.assign: every root, nested creation, later entries see earlier ones,
-- undefined removes the key, JSON pointers write into payload
SELECT * FROM pg_temp.go('{"name": "assign", "steps": [
  {"id": "a", "type": "transform.assign", "config": {"assign": {
     "vars.x": {"$expr": "payload.n * 2"},
     "vars.deep.er.still": {"$expr": "vars.x + 1"},
     "vars.gone": {"$expr": "payload.missing"},
     "payload.added": "literal",
     "/pointer~1key/x": {"$expr": "true"},
     "meta.tag": "m"}}},
  {"id": "b", "type": "transform.assign", "config": {"assign": {
     "vars.bare": {"$expr": "x + deep.er.still"},
     "vars.sys": {"$expr": "system.workflowVersion"},
     "vars.fromPayload": {"$expr": "payload.added & \"/\" & $string(payload.`pointer/key`.x)"}}}},
  {"id": "s", "type": "state.set", "config": {"state": "DONE"}}
]}', '{"n": 21}');

-- control.if: then, else, missing else, undefined condition is false, non-boolean fails
SELECT status, vars FROM pg_temp.go('{"name": "if", "steps": [
  {"id": "i1", "type": "control.if", "condition": {"$expr": "payload.n > 1"},
   "then": [{"id": "t1", "type": "transform.assign", "config": {"assign": {"vars.a": "then"}}}],
   "else": [{"id": "e1", "type": "transform.assign", "config": {"assign": {"vars.a": "else"}}}]},
  {"id": "i2", "type": "control.if", "condition": {"$expr": "payload.n > 100"},
   "then": [{"id": "t2", "type": "transform.assign", "config": {"assign": {"vars.b": "then"}}}]},
  {"id": "i3", "type": "control.if", "condition": {"$expr": "payload.nothing"},
   "then": [{"id": "t3", "type": "transform.assign", "config": {"assign": {"vars.c": "then"}}}],
   "else": [{"id": "e3", "type": "transform.assign", "config": {"assign": {"vars.c": "else"}}}]}
]}', '{"n": 5}');
SELECT * FROM pg_temp.go('{"name": "if-bad", "steps": [
  {"id": "i", "type": "control.if", "condition": {"$expr": "payload.n"}, "then": []}]}', '{"n": 5}');

-- control.forEach: locals, itemVar restored after the loop, nested loops
SELECT status, vars FROM pg_temp.go('{"name": "loop", "steps": [
  {"id": "init", "type": "transform.assign", "config": {"assign": {"vars.seen": {"$expr": "[]"}, "vars.it": "before"}}},
  {"id": "l", "type": "control.forEach", "items": {"$expr": "payload.items"}, "itemVar": "it", "body": [
     {"id": "b", "type": "transform.assign", "config": {"assign": {"vars.seen": {"$expr":
        "$append(vars.seen, [{\"item\": it, \"i\": local.index, \"n\": local.length, \"first\": local.isFirst, \"last\": local.isLast}])"}}}}]},
  {"id": "outer", "type": "control.forEach", "items": {"$expr": "[1, 2]"}, "itemVar": "o", "body": [
     {"id": "inner", "type": "control.forEach", "items": {"$expr": "[\"a\", \"b\"]"}, "itemVar": "in", "body": [
        {"id": "pair", "type": "transform.assign", "config": {"assign": {"vars.pairs": {"$expr": "$append(vars.pairs ? vars.pairs : [], [$string(o) & in])"}}}}]}]}
]}', '{"items": ["x", "y", "z"]}');
SELECT step_path, status, count(*), array_agg(iter ORDER BY seq) FROM pg_temp.last_steps()
 GROUP BY step_path, status ORDER BY min(seq);

-- empty and undefined items skip the body; non-array items fail (ValidationError)
SELECT status, vars FROM pg_temp.go('{"name": "loop-empty", "steps": [
  {"id": "l1", "type": "control.forEach", "items": {"$expr": "[]"}, "itemVar": "x", "body": [
     {"id": "b1", "type": "transform.assign", "config": {"assign": {"vars.ran": true}}}]},
  {"id": "l2", "type": "control.forEach", "items": {"$expr": "payload.none"}, "itemVar": "x", "body": [
     {"id": "b2", "type": "transform.assign", "config": {"assign": {"vars.ran": true}}}]}]}');
SELECT * FROM pg_temp.go('{"name": "loop-bad", "steps": [
  {"id": "l", "type": "control.forEach", "items": {"$expr": "{\"a\": 1}"}, "itemVar": "x", "body": [
     {"id": "b", "type": "transform.assign", "config": {"assign": {"vars.ran": true}}}]}]}');

-- onItemError: continue skips the failing item, the others run
SELECT status, vars FROM pg_temp.go('{"name": "loop-continue", "steps": [
  {"id": "l", "type": "control.forEach", "items": {"$expr": "[1, 0, 2]"}, "itemVar": "d", "onItemError": "continue", "body": [
     {"id": "check", "type": "control.if", "condition": {"$expr": "d = 0 ? \"boom\" : true"}, "then": [
        {"id": "ok", "type": "transform.assign", "config": {"assign": {"vars.done": {"$expr": "$append(vars.done ? vars.done : [], [d])"}}}}]}]}]}');
SELECT * FROM pg_temp.last_steps();

-- control.tryCatch: captureErrorAs, the error root, a failure in catch goes to the outer try
SELECT status, vars->'err'->>'category' AS category, vars->'err'->>'code' AS code,
       vars->'err'->>'stepPath' AS step_path, vars->>'errName' AS err_name, vars->>'after' AS after,
       vars->'outerErr'->>'stepPath' AS outer_path
  FROM pg_temp.go('{"name": "try", "steps": [
  {"id": "t", "type": "control.tryCatch", "captureErrorAs": "err",
   "try": [{"id": "boom", "type": "control.if", "condition": {"$expr": "\"x\""}, "then": []},
           {"id": "skipped", "type": "transform.assign", "config": {"assign": {"vars.skipped": true}}}],
   "catch": [{"id": "c", "type": "transform.assign", "config": {"assign": {"vars.errName": {"$expr": "error.name"}}}}]},
  {"id": "outer", "type": "control.tryCatch", "captureErrorAs": "outerErr",
   "try": [{"id": "inner", "type": "control.tryCatch",
            "try": [{"id": "f1", "type": "control.forEach", "items": {"$expr": "1"}, "itemVar": "x", "body": []}],
            "catch": [{"id": "f2", "type": "control.forEach", "items": {"$expr": "\"s\""}, "itemVar": "x", "body": []}]}],
   "catch": []},
  {"id": "after", "type": "transform.assign", "config": {"assign": {"vars.after": "yes"}}}]}');
SELECT * FROM pg_temp.last_steps();

-- an uncaught failure fails the run; the error names the step
SELECT * FROM pg_temp.go('{"name": "uncaught", "steps": [
  {"id": "a", "type": "transform.assign", "config": {"assign": {"vars.a": 1}}},
  {"id": "bad", "type": "transform.assign", "config": {"assign": {"vars.b": {"$expr": "$number(\"not a number\") + $undefinedFunction()"}}}},
  {"id": "never", "type": "transform.assign", "config": {"assign": {"vars.c": 1}}}]}');
-- a failing step leaves the data as it was (its earlier assignments are undone)
SELECT status, vars FROM pg_temp.go('{"name": "atomic", "steps": [
  {"id": "t", "type": "control.tryCatch", "try": [
    {"id": "half", "type": "transform.assign", "config": {"assign": {
        "vars.first": "set", "vars.second": {"$expr": "$error(\"stop\")"}}}}],
   "catch": [{"id": "c", "type": "transform.assign", "config": {"assign": {"vars.caught": true}}}]}]}');

-- onError: continue records the failure and goes on
SELECT status, vars->>'after' AS after, vars ? 'error' AS error_in_vars FROM pg_temp.go('{"name": "on-error", "steps": [
  {"id": "x", "type": "control.if", "onError": {"policy": "continue"}, "condition": {"$expr": "42"}, "then": []},
  {"id": "y", "type": "transform.assign", "config": {"assign": {"vars.after": {"$expr": "error.data.code"}}}}]}');
SELECT * FROM pg_temp.last_steps();

-- control.return ends the run at once, from inside loops too
SELECT status, vars FROM pg_temp.go('{"name": "return", "steps": [
  {"id": "l", "type": "control.forEach", "items": {"$expr": "[1, 2, 3]"}, "itemVar": "i", "body": [
     {"id": "a", "type": "transform.assign", "config": {"assign": {"vars.last": {"$expr": "i"}}}},
     {"id": "stop", "type": "control.if", "condition": {"$expr": "i = 2"}, "then": [{"id": "r", "type": "control.return"}]}]},
  {"id": "never", "type": "transform.assign", "config": {"assign": {"vars.never": true}}}]}');
SELECT * FROM pg_temp.last_steps();

-- control.callWorkflow: input and output mapping, child rows, failures
SELECT algawf.create_workflow('{"id": "e2000000-0000-0000-0000-000000000001", "key": "child-double", "name": "child",
  "steps": [{"id": "c", "type": "transform.assign", "config": {"assign": {"vars.doubled": {"$expr": "payload.x * 2"}}}},
            {"id": "maybe-fail", "type": "control.if", "condition": {"$expr": "payload.x < 0"},
             "then": [{"id": "f", "type": "transform.assign", "config": {"assign": {"vars.f": {"$expr": "$error(\"negative\")"}}}}]}]}');
SELECT status, vars FROM pg_temp.go('{"name": "parent", "steps": [
  {"id": "call", "type": "control.callWorkflow", "workflowId": "child-double", "workflowVersion": 1,
   "inputMapping": {"x": {"$expr": "payload.v"}},
   "outputMapping": {"vars.result": {"$expr": "vars.childRun.vars.doubled"}, "fromChildPayload": {"$expr": "vars.childRun.payload.x"}}},
  {"id": "after", "type": "transform.assign", "config": {"assign": {"vars.childRunGone": {"$expr": "$not($exists(vars.childRun))"}}}}]}',
  '{"v": 21}');
SELECT r.status, r.trigger_type, r.call_depth, r.parent_step_path, r.payload,
       (SELECT p.payload FROM algawf.workflow_runs p WHERE p.run_id = r.parent_run_id) AS parent_payload
  FROM algawf.workflow_runs r WHERE r.parent_run_id = (SELECT run_id FROM algawf.workflow_runs WHERE vars ? 'result');
SELECT * FROM pg_temp.go('{"name": "parent-fails", "steps": [
  {"id": "call", "type": "control.callWorkflow", "workflowId": "e2000000-0000-0000-0000-000000000001",
   "inputMapping": {"x": -1}}]}');
SELECT status, vars->'e'->>'message' AS caught FROM pg_temp.go('{"name": "parent-catches", "steps": [
  {"id": "t", "type": "control.tryCatch", "captureErrorAs": "e", "try": [
    {"id": "call", "type": "control.callWorkflow", "workflowId": "child-double", "inputMapping": {"x": -5}}], "catch": []}]}');

-- a step type the definition cannot have is refused at publish, not at run time
SELECT algawf.create_workflow('{"name": "unknown", "steps": [{"id": "u", "type": "made.up"}]}');

-- every step of a run leaves one row per attempt; control steps close after their blocks
SELECT step_type, status, count(*) FROM algawf.run_steps GROUP BY 1, 2 ORDER BY 1, 2;

-- leave the database as this test found it (other tests expect to install the extensions)
RESET ROLE;
DROP EXTENSION algawf CASCADE;
DROP EXTENSION algawf_psa CASCADE;
DROP EXTENSION IF EXISTS pgcrypto;
