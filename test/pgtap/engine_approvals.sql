-- Approvals against the PSA RBAC model (psa.load_sample_data(), tenant A):
-- a role-assigned task may be decided only by members of that role who hold
-- workflow:approve; a user-assigned task only by that user.
BEGIN;
SELECT * FROM no_plan();
DO $$ BEGIN PERFORM psa.load_sample_data(); END $$;
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000a';
-- alice: Admin; dan: Dispatcher; tom: Technician; mia: Manager (holds workflow:approve)
CREATE TEMP TABLE u (name text PRIMARY KEY, id uuid);
INSERT INTO u VALUES ('alice', '0000000a-0001-0000-0000-000000000001'), ('dan', '0000000a-0001-0000-0000-000000000002'),
                     ('tom', '0000000a-0001-0000-0000-000000000003'), ('mia', '0000000a-0001-0000-0000-000000000005');
CREATE FUNCTION pg_temp.as_user(who text) RETURNS void LANGUAGE sql AS
$$ SELECT set_config('algawf.user', (SELECT id::text FROM u WHERE name = who), true) $$;
CREATE FUNCTION pg_temp.try_decide(who text, task uuid, d text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.as_user(who);
    PERFORM algawf.decide(task, d);
    RETURN 'decided';
EXCEPTION WHEN others THEN
    RETURN SQLSTATE;
END $$;

SELECT ok(psa.user_has_permission((SELECT id FROM u WHERE name = 'mia'), 'workflow', 'approve'), 'mia holds workflow:approve');
SELECT ok(NOT psa.user_has_permission((SELECT id FROM u WHERE name = 'tom'), 'workflow', 'approve'), 'tom does not');

SELECT lives_ok($$SELECT algawf.create_workflow('{"id": "a0000000-0000-0000-0000-0000000000e1", "key": "po-approval",
  "name": "Purchase order approval", "steps": [
  {"id": "ask", "type": "human.task", "config": {"taskType": "approval",
     "title": {"$expr": "\"PO \" & payload.po & \" for $\" & $string(payload.amount)"},
     "assignee": {"type": "role", "id": {"$expr": "payload.amount > 1000 ? \"Manager\" : \"Technician\""}},
     "contextData": {"amount": {"$expr": "payload.amount"}}}},
  {"id": "result", "type": "transform.assign", "config": {"assign": {"vars.outcome": {"$expr": "vars.event.decision"}}}}]}')$$,
  'a role-assigned approval workflow publishes');

-- a big PO goes to the Manager role
DO $$ BEGIN PERFORM pg_temp.as_user('alice'); END $$;
CREATE TEMP TABLE r1 AS SELECT algawf.run('po-approval', '{"po": "PO-7", "amount": 5000}', true) AS run_id;
SELECT is((SELECT status FROM algawf.workflow_runs WHERE run_id = (SELECT run_id FROM r1)), 'WAITING', 'the run waits for the approval');
SELECT is((SELECT assignee_type || ':' || assignee_id FROM algawf.approvals WHERE run_id = (SELECT run_id FROM r1)),
          'role:0000000a-0002-0000-0000-000000000004', 'assigned to the Manager role (resolved by name)');
SELECT is((SELECT title FROM algawf.approvals WHERE run_id = (SELECT run_id FROM r1)), 'PO PO-7 for $5000', 'title is an expression');
CREATE TEMP TABLE t1 AS SELECT task_id FROM algawf.approvals WHERE run_id = (SELECT run_id FROM r1);

DO $$ BEGIN PERFORM pg_temp.as_user('mia'); END $$;
SELECT is((SELECT count(*) FROM algawf.pending_approvals WHERE task_id = (SELECT task_id FROM t1)), 1::bigint,
          'mia (Manager) sees it among her pending approvals');
DO $$ BEGIN PERFORM pg_temp.as_user('tom'); END $$;
SELECT is((SELECT count(*) FROM algawf.pending_approvals WHERE task_id = (SELECT task_id FROM t1)), 0::bigint,
          'tom (Technician) does not');
SELECT is(pg_temp.try_decide('tom', (SELECT task_id FROM t1), 'approved'), '42501', 'tom may not decide it');
SELECT is(pg_temp.try_decide('alice', (SELECT task_id FROM t1), 'approved'), '42501',
          'alice may not either: she holds workflow:approve, but not the Manager role');
SELECT is(pg_temp.try_decide('mia', (SELECT task_id FROM t1), 'approved'), 'decided', 'mia decides');
SELECT is(pg_temp.try_decide('mia', (SELECT task_id FROM t1), 'rejected'), '55000', 'once only');
SELECT is(algawf.run_pending(), 1, 'the run resumes');
SELECT is((SELECT vars->>'outcome' FROM algawf.workflow_runs WHERE run_id = (SELECT run_id FROM r1)), 'approved',
          'with the decision');
SELECT is((SELECT vars->'event'->>'decidedBy' FROM algawf.workflow_runs WHERE run_id = (SELECT run_id FROM r1)),
          '0000000a-0001-0000-0000-000000000005', 'decidedBy is mia');

-- a small PO goes to the Technician role, whose members lack workflow:approve: nobody there may decide
DO $$ BEGIN PERFORM pg_temp.as_user('alice'); END $$;
CREATE TEMP TABLE r2 AS SELECT algawf.run('po-approval', '{"po": "PO-8", "amount": 50}', true) AS run_id;
CREATE TEMP TABLE t2 AS SELECT task_id FROM algawf.approvals WHERE run_id = (SELECT run_id FROM r2);
SELECT is(pg_temp.try_decide('tom', (SELECT task_id FROM t2), 'approved'), '42501',
          'a Technician may not decide without workflow:approve');
DO $$ BEGIN PERFORM pg_temp.as_user('tom'); END $$;
SELECT is((SELECT count(*) FROM algawf.pending_approvals WHERE task_id = (SELECT task_id FROM t2)), 1::bigint,
          'though it shows among the role''s pending approvals');

-- an unknown role fails the step with a ValidationError
SELECT lives_ok($$SELECT algawf.create_workflow('{"key": "bad-role", "name": "bad role", "steps": [
  {"id": "ask", "type": "human.task", "config": {"taskType": "approval", "title": "x",
     "assignee": {"type": "role", "id": "Astronaut"}}}]}')$$, 'publishes (the role is resolved at run time)');
CREATE TEMP TABLE r3 AS SELECT algawf.run('bad-role', '{}', true) AS run_id;
SELECT is((SELECT error->>'category' || ' ' || (error->>'code') FROM algawf.workflow_runs WHERE run_id = (SELECT run_id FROM r3)),
          'ValidationError NOT_FOUND', 'an unknown role fails the run');

-- the other tenant's users cannot decide tenant A's tasks (bob is an Admin of tenant B)
SET LOCAL algawf."user" = '0000000b-0001-0000-0000-000000000001';
SELECT throws_ok(format('SELECT algawf.decide(%L, ''approved'')', (SELECT task_id FROM t2)), '42501', NULL,
                 'a user of tenant B may not decide in tenant A');

SELECT * FROM finish();
ROLLBACK;
