-- Definitions: validation (every problem at once, with Alga's codes and step
-- paths), publishing into immutable versions and materialized steps, keys,
-- drafts, pausing, deleting, payload schemas.
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
SET algawf.tenant = '00000000-0000-0000-0000-0000000000e1';

-- run inline and report (algawf.run is volatile: call it once, not per row)
CREATE FUNCTION pg_temp.run_now(wf text, payload jsonb DEFAULT '{}')
RETURNS TABLE (workflow_version int, status text, vars jsonb, meta jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    r uuid := algawf.run(wf, payload, true);
BEGIN
    RETURN QUERY SELECT x.workflow_version, x.status, x.vars, x.meta FROM algawf.workflow_runs x WHERE x.run_id = r;
END $$;

-- a valid definition has no problems
SELECT * FROM algawf.validate('{"name": "ok", "steps": [
  {"id": "a", "type": "transform.assign", "config": {"assign": {"vars.x": {"$expr": "1 + 1"}}}}]}');

-- the shape of the definition itself
SELECT * FROM algawf.validate('[]');
SELECT * FROM algawf.validate('{}');
SELECT * FROM algawf.validate('{"name": 5, "id": "", "version": 0, "steps": {}, "functionSet": "x",
                                "trigger": {"type": "sometimes"}}');
SELECT * FROM algawf.validate('{"name": "t", "steps": [], "trigger": {"type": "event"}}');
SELECT * FROM algawf.validate('{"name": "t", "steps": [], "trigger": {"type": "recurring", "cron": "* * * * *"}}');
SELECT * FROM algawf.validate('{"name": "t", "steps": [], "trigger": {"type": "event", "eventName": "TICKET_CREATED",
                                "payloadMapping": {"id": {"$expr": "payload.ticket_id"}, "bad": {"$expr": ")"}}}}');

-- every problem of the steps, reported together with its path
SELECT * FROM algawf.validate($d$ {"name": "everything wrong", "steps": [
  "not an object",
  {"type": "transform.assign", "config": {"assign": {}}},
  {"id": "dup", "type": "state.set", "config": {"state": "A"}},
  {"id": "dup", "type": "state.set", "config": {}},
  {"id": "n1", "type": "no.such.node"},
  {"id": "n2", "type": "control.nope"},
  {"id": "a1", "type": "transform.assign", "config": {"assign": {
      "nowhere.x": 1, "vars.__proto__.polluted": 1, "payload.constructor": 2, "vars.": 3, "vars.ok": {"$expr": "1 +"},
      "/a/prototype": 4}}},
  {"id": "a2", "type": "transform.assign"},
  {"id": "if1", "type": "control.if", "then": "no"},
  {"id": "if2", "type": "control.if", "condition": {"$expr": ""}, "then": [
      {"id": "nested-bad", "type": "action.call", "config": {}}]},
  {"id": "fe", "type": "control.forEach", "items": {"$expr": "[1"}, "body": [], "onItemError": "maybe"},
  {"id": "tc", "type": "control.tryCatch", "catch": []},
  {"id": "ac1", "type": "action.call", "config": {"actionId": "no.such", "version": 1}},
  {"id": "ac2", "type": "action.call", "config": {"actionId": "transform.parse_json", "version": 1,
      "inputMapping": {"source": 42}, "saveAs": "vars.__proto__"}},
  {"id": "ac3", "type": "action.call", "config": {"actionId": "transform.parse_json", "version": 1,
      "inputMapping": {"other": {"$secret": "NO_SUCH_SECRET"}}}},
  {"id": "ac4", "type": "action.call", "config": {"actionId": "transform.parse_json", "version": 1,
      "inputMapping": {"source": {"$expr": "payload.body"}}, "idempotencyKey": {"$expr": "a &&"}}},
  {"id": "ew", "type": "event.wait", "config": {"eventName": "X", "filters": [{"path": "a", "op": "~"}, {"path": "b", "op": "in", "value": 1}],
      "timeoutMs": -5, "assign": {"bad": {"$expr": "1"}}}},
  {"id": "tw", "type": "time.wait", "config": {"mode": "later"}},
  {"id": "ht", "type": "human.task", "config": {"taskType": "approval", "title": {"$expr": "\"t\""}}},
  {"id": "ht2", "type": "human.task", "config": {"taskType": "approval", "title": "x", "assignee": {"type": "team", "id": 7}}},
  {"id": "cw1", "type": "control.callWorkflow", "workflowId": "no-such-workflow"},
  {"id": "cw2", "type": "control.callWorkflow"},
  {"id": "r1", "type": "state.set", "config": {"state": "x"}, "retry": {"maxAttempts": 0, "backoffMs": -1, "retryOn": ["Nope"]},
      "onError": {"policy": "ignore"}},
  {"id": "ret", "type": "control.return"}
]} $d$);

-- publishing refuses an invalid definition and lists all its problems
SELECT algawf.create_workflow('{"name": "bad", "steps": [
  {"id": "x", "type": "nope"}, {"id": "x", "type": "transform.assign", "config": {"assign": {"oops": 1}}}]}');
-- but it can be kept as a draft
SELECT algawf.create_workflow('{"id": "e1000000-0000-0000-0000-000000000001", "name": "Draft First",
  "steps": [{"id": "x", "type": "nope"}]}', publish => false);
SELECT key, name, status, published_version FROM algawf.workflow_definitions
 WHERE workflow_id = 'e1000000-0000-0000-0000-000000000001';
SELECT algawf.publish('e1000000-0000-0000-0000-000000000001');
SELECT algawf.run('e1000000-0000-0000-0000-000000000001');

-- fix the draft, publish: version 1; publishing again without changes keeps it
SELECT algawf.update_workflow('e1000000-0000-0000-0000-000000000001', '{"name": "Draft First",
  "description": "now valid", "designer": {"canvas": {"x": 10, "y": 20}}, "steps": [
  {"id": "check", "type": "control.if", "condition": {"$expr": "payload.n > 0"}, "ui": {"collapsed": true},
   "then": [{"id": "conv", "type": "action.call", "config": {"actionId": "transform.parse_json", "version": 1,
             "inputMapping": {"source": {"$expr": "payload.body"}}, "saveAs": "parsed", "designerTileKind": "transform"}}],
   "else": [{"id": "loop", "type": "control.forEach", "items": {"$expr": "[1]"}, "itemVar": "i", "body": [
             {"id": "in-loop", "type": "state.set", "config": {"state": "looping"}}]}]},
  {"id": "safe", "type": "control.tryCatch", "try": [{"id": "t", "type": "state.set", "config": {"state": "x"}}],
   "catch": [{"id": "c", "type": "state.set", "config": {"state": "y"}}]}]}');
SELECT algawf.publish('e1000000-0000-0000-0000-000000000001');
SELECT algawf.publish('e1000000-0000-0000-0000-000000000001');
SELECT status, published_version, description FROM algawf.workflow_definitions
 WHERE workflow_id = 'e1000000-0000-0000-0000-000000000001';
-- designer-only fields are kept in the stored definition
SELECT definition->'designer', definition#>'{steps,0,ui}', definition#>'{steps,0,then,0,config,designerTileKind}'
  FROM algawf.workflow_definition_versions WHERE workflow_id = 'e1000000-0000-0000-0000-000000000001';
-- one row per step path
SELECT version, step_path, step_id, parent_path, branch, position, depth, step_type, action_id, action_version,
       config ? 'then' AS kept_nested
  FROM algawf.workflow_steps WHERE workflow_id = 'e1000000-0000-0000-0000-000000000001' ORDER BY version, step_path;
-- and it runs
SELECT status, vars FROM pg_temp.run_now('e1000000-0000-0000-0000-000000000001', '{"n": 1, "body": "{\"a\": [1, 2]}"}');

-- a changed draft becomes version 2; runs pin the version they started on
SELECT algawf.run('e1000000-0000-0000-0000-000000000001', '{"n": 0}') AS pinned \gset
SELECT algawf.update_workflow('e1000000-0000-0000-0000-000000000001',
  '{"name": "Draft First", "steps": [{"id": "only", "type": "state.set", "config": {"state": "v2"}}]}');
SELECT algawf.publish('e1000000-0000-0000-0000-000000000001');
SELECT algawf.run_pending();
SELECT workflow_version, status, meta FROM algawf.workflow_runs WHERE run_id = :'pinned';
SELECT workflow_version, status, meta FROM pg_temp.run_now('e1000000-0000-0000-0000-000000000001');
SELECT version, count(*) FROM algawf.workflow_steps
 WHERE workflow_id = 'e1000000-0000-0000-0000-000000000001' GROUP BY version ORDER BY version;

-- keys: explicit, from a non-UUID id, from the name (made unique)
SELECT algawf.create_workflow(d) IS NOT NULL AS created
  FROM unnest(ARRAY['{"key": "my-key", "name": "Keyed", "steps": []}',
                    '{"id": "alga-style-id", "name": "Alga id", "steps": []}',
                    '{"name": "Same Name!", "steps": []}',
                    '{"name": "Same Name!", "steps": []}']::jsonb[]) d;
SELECT name, key FROM algawf.workflow_definitions WHERE name IN ('Keyed', 'Alga id', 'Same Name!') ORDER BY key;
SELECT algawf.create_workflow('{"key": "my-key", "name": "Again", "steps": []}');
SELECT algawf.create_workflow('{"id": "e1000000-0000-0000-0000-000000000001", "name": "Again", "steps": []}');
SELECT status FROM pg_temp.run_now('my-key');
SELECT status FROM pg_temp.run_now('alga-style-id');
SELECT algawf.run('no-such-key');

-- pausing: no new runs until resumed
SELECT algawf.set_paused('e1000000-0000-0000-0000-000000000001', true);
SELECT is_paused, paused_reason IS NOT NULL FROM algawf.workflow_definitions WHERE workflow_id = 'e1000000-0000-0000-0000-000000000001';
SELECT algawf.run('e1000000-0000-0000-0000-000000000001');
SELECT algawf.set_paused('e1000000-0000-0000-0000-000000000001', false);
SELECT status FROM pg_temp.run_now('e1000000-0000-0000-0000-000000000001');
SELECT algawf.set_paused('e1000000-0000-0000-0000-0000000000ff', true);

-- options
SELECT algawf.configure_workflow('e1000000-0000-0000-0000-000000000001',
  '{"concurrencyLimit": 2, "autoPauseOnFailure": true, "failureRateThreshold": 0.75, "failureRateMinRuns": 4, "runMaxDuration": "2 hours"}');
SELECT concurrency_limit, auto_pause_on_failure, failure_rate_threshold, failure_rate_min_runs, run_max_duration
  FROM algawf.workflow_definitions WHERE workflow_id = 'e1000000-0000-0000-0000-000000000001';
SELECT algawf.configure_workflow('e1000000-0000-0000-0000-000000000001', '{"colour": "blue"}');

-- payload schemas: a registered ref validates payloads; an unknown ref warns at publish
SELECT algawf.register_schema('payload.TicketEvent.v1', '{"type": "object", "required": ["ticketId"],
  "properties": {"ticketId": {"type": "string", "format": "uuid"}, "priority": {"enum": ["low", "high"]}}}');
SELECT algawf.register_schema('bad', '[]');
SELECT algawf.create_workflow('{"id": "e1000000-0000-0000-0000-000000000002", "name": "Typed",
  "payloadSchemaRef": "payload.TicketEvent.v1", "steps": []}');
SELECT payload_schema_ref, payload_schema IS NOT NULL AS has_schema, warnings
  FROM algawf.workflow_definition_versions WHERE workflow_id = 'e1000000-0000-0000-0000-000000000002';
SELECT algawf.run('e1000000-0000-0000-0000-000000000002', '{"priority": "urgent"}');
SELECT status FROM pg_temp.run_now('e1000000-0000-0000-0000-000000000002', '{"ticketId": "2b0c1c1e-0000-4000-8000-000000000000"}');
SET client_min_messages = warning;
\set SHOW_CONTEXT never
SELECT algawf.create_workflow('{"id": "e1000000-0000-0000-0000-000000000003", "name": "Untyped",
  "payloadSchemaRef": "payload.Unknown.v9", "steps": []}');
SELECT warnings FROM algawf.workflow_definition_versions WHERE workflow_id = 'e1000000-0000-0000-0000-000000000003';
SELECT status FROM pg_temp.run_now('e1000000-0000-0000-0000-000000000003', '"anything"');

-- schedule triggers keep algawf.schedules in step with the published version
SELECT algawf.create_workflow('{"id": "e1000000-0000-0000-0000-000000000004", "name": "Nightly",
  "trigger": {"type": "recurring", "cron": "0 2 * * *", "timezone": "Europe/Paris"}, "steps": []}');
SELECT kind, cron, timezone, run_at FROM algawf.schedules WHERE workflow_id = 'e1000000-0000-0000-0000-000000000004';
SELECT algawf.update_workflow('e1000000-0000-0000-0000-000000000004', '{"name": "Once",
  "trigger": {"type": "schedule", "runAt": "2030-01-01T00:00:00Z"}, "steps": []}');
SELECT algawf.publish('e1000000-0000-0000-0000-000000000004');
SELECT kind, cron, run_at, next_fire_at FROM algawf.schedules WHERE workflow_id = 'e1000000-0000-0000-0000-000000000004';
SELECT algawf.update_workflow('e1000000-0000-0000-0000-000000000004', '{"name": "Manual", "steps": []}');
SELECT algawf.publish('e1000000-0000-0000-0000-000000000004');
SELECT count(*) FROM algawf.schedules WHERE workflow_id = 'e1000000-0000-0000-0000-000000000004';
SELECT algawf.update_workflow('e1000000-0000-0000-0000-000000000004', '{"name": "Bad time",
  "trigger": {"type": "schedule", "runAt": "someday"}, "steps": []}');
SELECT algawf.publish('e1000000-0000-0000-0000-000000000004');

-- deleting a workflow deletes its versions, steps and runs
SELECT algawf.delete_workflow('e1000000-0000-0000-0000-000000000001');
SELECT count(*) FROM algawf.workflow_definition_versions WHERE workflow_id = 'e1000000-0000-0000-0000-000000000001';
SELECT count(*) FROM algawf.workflow_steps WHERE workflow_id = 'e1000000-0000-0000-0000-000000000001';
SELECT count(*) FROM algawf.workflow_runs WHERE workflow_id = 'e1000000-0000-0000-0000-000000000001';
SELECT algawf.delete_workflow('e1000000-0000-0000-0000-000000000001');

-- another tenant sees none of it (row-level security binds roles that are not superusers)
RESET ROLE;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'engine_def_other') THEN
        CREATE ROLE engine_def_other IN ROLE algawf_admin, algawf_operator;
    END IF;
END $$;
SELECT algawf.add_tenant_member('00000000-0000-0000-0000-0000000000e9', 'engine_def_other');
SET ROLE engine_def_other;
SET algawf.tenant = '00000000-0000-0000-0000-0000000000e9';
SELECT count(*) FROM algawf.workflow_definitions;
SELECT count(*) FROM algawf.runs;
SELECT algawf.run('my-key');
SET algawf.tenant = '00000000-0000-0000-0000-0000000000e1';
SELECT count(*) FROM algawf.workflow_definitions;
RESET ROLE;

-- leave the database as this test found it (other tests expect to install the extensions)
RESET ROLE;
DROP EXTENSION algawf CASCADE;
DROP EXTENSION algawf_psa CASCADE;
DROP EXTENSION IF EXISTS pgcrypto;
