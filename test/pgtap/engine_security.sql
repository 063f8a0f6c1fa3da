-- The engine's security model: which role may do what, tenant isolation of
-- the run functions (SECURITY DEFINER, explicit tenant filters), and catalog
-- hygiene (comments, pinned search_path).
BEGIN;
SELECT * FROM no_plan();

CREATE ROLE eng_admin IN ROLE algawf_admin;
CREATE ROLE eng_operator IN ROLE algawf_operator;
CREATE ROLE eng_approver IN ROLE algawf_approver;
CREATE ROLE eng_operator_b IN ROLE algawf_operator;
CREATE ROLE eng_nobody;
SELECT algawf.add_tenant_member('00000000-0000-0000-0000-0000000000c1', r)
  FROM unnest(ARRAY['eng_admin', 'eng_operator', 'eng_approver', 'eng_nobody']::regrole[]) r;
SELECT algawf.add_tenant_member('00000000-0000-0000-0000-0000000000c2', 'eng_operator_b');

SET LOCAL algawf.tenant = '00000000-0000-0000-0000-0000000000c1';

-- catalog hygiene -----------------------------------------------------------------------
SELECT is_empty($$
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'algawf' AND c.relkind IN ('r', 'v') AND obj_description(c.oid, 'pg_class') IS NULL$$,
    'every table and view of algawf has a comment');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'algawf' AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every function of algawf has a comment');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'algawf' AND p.prosecdef
       AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')$$,
    'every SECURITY DEFINER function pins its search_path');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'algawf' AND p.prosecdef AND has_function_privilege('public', p.oid, 'EXECUTE')
       AND p.proname IN ('run', 'run_segment', 'run_pending', 'cancel', 'retry', 'decide', 'deliver_event', 'resume_wait')$$,
    'the run-state functions are not executable by PUBLIC');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'algawf' AND c.relkind = 'v'
       AND c.relname IN ('runs', 'run_steps', 'queue', 'stat_workflows', 'stat_actions', 'variables', 'pending_approvals')
       AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)$$,
    'the engine''s views are security_invoker (row-level security applies to the caller)');
SELECT ok((SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'algawf' AND p.polname = 'tenant_isolation'
             AND c.relname IN ('workflow_definitions', 'workflow_definition_versions', 'workflow_steps',
                               'workflow_runs', 'workflow_run_steps', 'workflow_run_waits', 'workflow_run_logs',
                               'workflow_runtime_events', 'approvals', 'schedules', 'workflow_variables',
                               'event_catalog', 'payload_schemas', 'http_requests')) = 14,
          'the 14 engine tables carry the tenant_isolation policy');
SELECT ok((SELECT array_agg(c::regclass::text) FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'algawf')
          @> ARRAY['algawf.workflow_definitions', 'algawf.workflow_definition_versions', 'algawf.workflow_steps',
                   'algawf.schedules', 'algawf.workflow_variables', 'algawf.event_catalog', 'algawf.payload_schemas'],
          'definitions, versions, steps, schedules, variables and the catalog are dumped with the data');
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname = 'algawf' AND c.relkind = 'S'),
          'no sequence (the hot path allocates no global ids)');

-- admin: defines and publishes; cannot run ------------------------------------------------
SET LOCAL ROLE eng_admin;
SELECT lives_ok($$SELECT algawf.create_workflow('{"id": "c1000000-0000-0000-0000-000000000001", "key": "sec", "name": "sec",
    "steps": [{"id": "w", "type": "event.wait", "config": {"eventName": "GO", "correlationKey": "k"}}]}')$$,
    'admin creates and publishes a workflow');
SELECT lives_ok($$SELECT algawf.set_variable('v', '1')$$, 'admin sets variables');
SELECT throws_ok($$SELECT algawf.run('sec')$$, '42501', NULL, 'admin alone cannot run workflows');
SELECT throws_ok($$SELECT algawf.decide('c1000000-0000-0000-0000-0000000000ff', 'approved')$$, '42501', NULL,
                 'admin alone cannot decide');
RESET ROLE;

-- operator: runs, reads, cancels, retries; cannot define or write run state ------------------
SET LOCAL ROLE eng_operator;
SELECT lives_ok($$SELECT algawf.run('sec', '{}', true)$$, 'operator runs a workflow');
SELECT is((SELECT status FROM algawf.runs), 'WAITING', 'operator reads its tenant''s runs');
SELECT throws_ok($$SELECT algawf.create_workflow('{"name": "x", "steps": []}')$$, '42501', NULL,
                 'operator cannot create workflows');
SELECT throws_ok($$UPDATE algawf.workflow_runs SET status = 'SUCCEEDED'$$, '42501', NULL,
                 'operator cannot write run state directly');
SELECT throws_ok($$INSERT INTO algawf.workflow_run_steps (tenant, run_id, seq, step_path, step_id, step_type, status, started_at)
                   VALUES ('00000000-0000-0000-0000-0000000000c1', gen_random_uuid(), 1, 'x', 'x', 'x', 'SUCCEEDED', now())$$,
                 '42501', NULL, 'operator cannot forge step rows');
SELECT throws_ok($$SELECT algawf.run_segment((SELECT run_id FROM algawf.workflow_runs))$$, '42501', NULL,
                 'run_segment is for the worker (algawf_service)');
SELECT lives_ok($$SELECT algawf.deliver_event('GO', '{}', 'k')$$, 'operator delivers events');
SELECT is(algawf.run_pending(), 1, 'operator drains the queue inline');
SELECT is((SELECT status FROM algawf.runs), 'SUCCEEDED', 'the run completed');
SELECT lives_ok($$SELECT algawf.explain((SELECT run_id FROM algawf.runs))$$, 'operator explains runs');
RESET ROLE;

-- the run belongs to tenant c1: an operator of c2 can neither see nor touch it -----------------
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-0000000000c2';
SET LOCAL ROLE eng_operator_b;
SELECT is((SELECT count(*) FROM algawf.runs), 0::bigint, 'c2 sees no runs of c1');
SELECT throws_ok(format('SELECT algawf.cancel(%L)', (SELECT run_id FROM algawf.workflow_runs WHERE tenant = '00000000-0000-0000-0000-0000000000c1' LIMIT 1)),
                 '42704', NULL, 'c2 cannot cancel a run of c1');
SELECT throws_ok($$SELECT algawf.run('sec')$$, '42704', NULL, 'c2 cannot run c1''s workflow');
RESET ROLE;
-- (the superuser saw that run id; ordinary roles get it from their own tenant only)

-- a role that is not a member of the tenant it names gets nothing
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-0000000000c1';
SET LOCAL ROLE eng_operator_b;
SELECT throws_ok($$SELECT algawf.run('sec')$$, '42501', NULL, 'no membership, no runs');
RESET ROLE;
SET LOCAL ROLE eng_nobody;
SELECT throws_ok($$SELECT algawf.run('sec')$$, '42501', NULL, 'a member without algawf_operator cannot run');
SELECT throws_ok($$SELECT count(*) FROM algawf.workflow_runs$$, '42501', NULL, 'nor read run state without grants');
RESET ROLE;

-- approver: decides, reads approvals; cannot run --------------------------------------------
SET LOCAL ROLE eng_approver;
SELECT throws_ok($$SELECT algawf.run('sec')$$, '42501', NULL, 'approver cannot run workflows');
SELECT lives_ok($$SELECT count(*) FROM algawf.pending_approvals$$, 'approver reads pending approvals');
RESET ROLE;

-- no tenant set: an explicit error, not an empty result
RESET algawf.tenant;
SET LOCAL ROLE eng_operator;
SELECT throws_ok($$SELECT algawf.run('sec')$$, '42501', 'no tenant is set', 'no tenant set');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
