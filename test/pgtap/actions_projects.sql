-- projects.create_task through the dispatcher.
BEGIN;
SELECT no_plan();

SELECT psa.load_sample_data() IS NOT NULL AS loaded \gset
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SET LOCAL client_min_messages = warning;

-- actors: alice (Admin), dan (Dispatcher), tom and tina (Technicians), mia (Manager), a user without roles
INSERT INTO psa.users (tenant, user_id, username, first_name, last_name)
VALUES ('00000000-0000-0000-0000-00000000000a', '0000000a-0001-0000-0000-0000000000ff', 'no.roles', 'Nora', 'Noroles');
CREATE FUNCTION pg_temp.as_user(u text) RETURNS text LANGUAGE sql AS $$
    SELECT '# acting as ' || u || ' ' || set_config('algawf.user', CASE u
        WHEN 'alice' THEN '0000000a-0001-0000-0000-000000000001' WHEN 'dan' THEN '0000000a-0001-0000-0000-000000000002'
        WHEN 'tom' THEN '0000000a-0001-0000-0000-000000000003' WHEN 'tina' THEN '0000000a-0001-0000-0000-000000000004'
        WHEN 'mia' THEN '0000000a-0001-0000-0000-000000000005'
        WHEN 'nobody' THEN '0000000a-0001-0000-0000-0000000000ff' END, true);
$$;
CREATE FUNCTION pg_temp.run(action text, input jsonb) RETURNS jsonb
    LANGUAGE sql AS $$ SELECT algawf.call_action(action, input) $$;
CREATE FUNCTION pg_temp.code(action text, input jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT algawf.try_action(action, input) -> 'error' ->> 'code' $$;
CREATE FUNCTION pg_temp.msg(action text, input jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT algawf.try_action(action, input) -> 'error' ->> 'message' $$;

-- a project with two phases (the first completed) and one of tenant B
INSERT INTO psa.projects (tenant, project_id, project_name, client_id, assigned_to) VALUES
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0010-0000-0000-000000000001', 'VPN rebuild', '0000000a-0003-0000-0000-000000000001', '0000000a-0001-0000-0000-000000000005'),
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0010-0000-0000-000000000002', 'Old office move', '0000000a-0003-0000-0000-000000000002', NULL);
UPDATE psa.projects SET is_inactive = true WHERE project_id = '0000000a-0010-0000-0000-000000000002';
INSERT INTO psa.projects (tenant, project_id, project_name, client_id) VALUES
    ('00000000-0000-0000-0000-00000000000b', '0000000b-0010-0000-0000-000000000001', 'Beacon project', '0000000b-0003-0000-0000-000000000001');
INSERT INTO psa.project_phases (tenant, phase_id, project_id, phase_name, status, order_number, wbs_code) VALUES
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0011-0000-0000-000000000001', '0000000a-0010-0000-0000-000000000001', 'Assessment', 'completed', 1, '1'),
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0011-0000-0000-000000000002', '0000000a-0010-0000-0000-000000000001', 'Build', 'active', 2, '2'),
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0011-0000-0000-000000000003', '0000000a-0010-0000-0000-000000000002', 'Move', 'active', 1, '1');

SELECT is((SELECT category || ' ' || array_to_string(permissions, ',') FROM algawf.catalog WHERE action_id = 'projects.create_task'),
          'Projects project_task:create', 'projects.create_task: Projects group, project_task:create');

SELECT pg_temp.as_user('tom');
SELECT pg_temp.run('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "title": "Replace VPN concentrator",
    "description": "Swap the ASA for the new appliance", "assignee": {"type": "user", "id": "0000000a-0001-0000-0000-000000000003"},
    "estimated_hours": 4, "due_date": "2030-03-10T17:00:00Z", "priority_id": "0000000a-0007-0000-0000-000000000003",
    "link_ticket_id": "0000000a-0009-0000-0000-000000000002"}') AS t1 \gset
SELECT is((:'t1'::jsonb) ->> 'phase_id', '0000000a-0011-0000-0000-000000000002', 'create_task: the first open phase by default');
SELECT is((:'t1'::jsonb) ->> 'wbs_code', '2.1', 'create_task: WBS code from the phase');
SELECT is((:'t1'::jsonb) ->> 'status_id', '0000000a-0006-0000-0000-000000000031', 'create_task: the default task status (To Do)');
SELECT is((:'t1'::jsonb) ->> 'url', '/msp/projects/0000000a-0010-0000-0000-000000000001?task=' || ((:'t1'::jsonb) ->> 'task_id'), 'create_task: a URL');
SELECT results_eq(format($$SELECT task_name, description, assigned_to::text, estimated_hours, due_date, priority_id::text FROM psa.project_tasks WHERE task_id = %L$$,
                         (:'t1'::jsonb) ->> 'task_id'),
    $$VALUES ('Replace VPN concentrator', 'Swap the ASA for the new appliance', '0000000a-0001-0000-0000-000000000003', 4.00::numeric(10,2),
              '2030-03-10T17:00:00Z'::timestamptz, '0000000a-0007-0000-0000-000000000003')$$, 'create_task: the task row');
SELECT is((SELECT source_type || ':' || source_id || ' ' || link_type || ' ' || target_type FROM psa.entity_links WHERE target_id = ((:'t1'::jsonb) ->> 'task_id')::uuid),
          'ticket:0000000a-0009-0000-0000-000000000002 related project_task', 'create_task: linked to the ticket');
SELECT is((SELECT count(*)::int FROM psa.audit_logs WHERE record_id = (:'t1'::jsonb) ->> 'task_id'), 1, 'create_task: an audit row');
SELECT pg_temp.run('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "phase_id": "0000000a-0011-0000-0000-000000000001",
    "title": "Close assessment", "assignee": {"type": "team", "id": "0000000a-000a-0000-0000-000000000001"}, "status_id": "0000000a-0006-0000-0000-000000000033"}') AS t2 \gset
SELECT is((:'t2'::jsonb) ->> 'assigned_to', '0000000a-0001-0000-0000-000000000005', 'create_task: a team assignee means its manager');
SELECT is((:'t2'::jsonb) ->> 'wbs_code', '1.1', 'create_task: in the given phase');
SELECT is(pg_temp.run('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "title": "Second"}') ->> 'wbs_code',
          '2.2', 'create_task: WBS numbers count up within the phase');

SELECT is(pg_temp.code('projects.create_task', '{"project_id": "0000000b-0010-0000-0000-000000000001", "title": "x"}'),
          'NOT_FOUND', 'create_task: a project of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "phase_id": "0000000a-0011-0000-0000-000000000003", "title": "x"}'),
          'VALIDATION_ERROR', 'create_task: a phase of another project is a VALIDATION_ERROR');
SELECT is(pg_temp.code('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000002", "title": "x"}'),
          'VALIDATION_ERROR', 'create_task: an inactive project is a VALIDATION_ERROR');
SELECT is(pg_temp.code('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "title": "x", "status_id": "0000000a-0006-0000-0000-000000000001"}'),
          'VALIDATION_ERROR', 'create_task: a ticket status is a VALIDATION_ERROR');
SELECT is(pg_temp.code('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "title": "x", "assignee": {"type": "user", "id": "0000000b-0001-0000-0000-000000000003"}}'),
          'NOT_FOUND', 'create_task: an assignee of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "title": "x", "link_ticket_id": "0000000b-0009-0000-0000-000000000001"}'),
          'NOT_FOUND', 'create_task: a ticket of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "title": "x", "priority_id": "0000000b-0007-0000-0000-000000000001"}'),
          'NOT_FOUND', 'create_task: a priority of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "title": ""}'),
          'VALIDATION_ERROR', 'create_task: an empty title is a VALIDATION_ERROR');
UPDATE psa.project_phases SET status = 'completed' WHERE phase_id = '0000000a-0011-0000-0000-000000000002';
SELECT is(pg_temp.code('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "title": "x"}'),
          'NOT_FOUND', 'create_task: a project without an open phase (and no phase_id) is NOT_FOUND');
SELECT pg_temp.as_user('dan');
SELECT is(pg_temp.code('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "phase_id": "0000000a-0011-0000-0000-000000000002", "title": "x"}'),
          'PERMISSION_DENIED', 'create_task: a dispatcher (no project_task:create) is refused');

SELECT pg_temp.as_user('tom');
SELECT lives_ok($$SELECT algawf.set_family_enabled('projects', false)$$, 'the projects family can be switched off');
SELECT is((SELECT available FROM algawf.catalog WHERE action_id = 'projects.create_task'), false, 'switched off: unavailable');
SELECT is(pg_temp.code('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "phase_id": "0000000a-0011-0000-0000-000000000002", "title": "x"}'),
          'INTEGRATION_INACTIVE', 'switched off: INTEGRATION_INACTIVE');
SELECT matches(pg_temp.msg('projects.create_task', '{"project_id": "0000000a-0010-0000-0000-000000000001", "phase_id": "0000000a-0011-0000-0000-000000000002", "title": "x"}'),
          'family "projects" is disabled', 'switched off: the error names the family');
SELECT lives_ok($$SELECT algawf.set_family_enabled('projects', true)$$, 'switched back on');

SELECT * FROM finish();
ROLLBACK;
