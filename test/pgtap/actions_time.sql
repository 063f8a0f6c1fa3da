-- time.create_entry through the dispatcher.
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

-- a weekly period with a draft sheet for Tina and a submitted one for Tom
INSERT INTO psa.time_periods (tenant, period_id, start_date, end_date) VALUES
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0012-0000-0000-000000000001', '2030-03-04', '2030-03-11'),
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0012-0000-0000-000000000002', '2030-03-11', '2030-03-18');
INSERT INTO psa.time_sheets (tenant, id, period_id, user_id, approval_status, submission_date) VALUES
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0013-0000-0000-000000000001', '0000000a-0012-0000-0000-000000000002',
     '0000000a-0001-0000-0000-000000000003', 'SUBMITTED', now());

SELECT is((SELECT category || ' ' || array_to_string(permissions, ',') FROM algawf.catalog WHERE action_id = 'time.create_entry'),
          'Time timeentry:create', 'time.create_entry: Time group, timeentry:create');

SELECT pg_temp.as_user('tom');
SELECT pg_temp.run('time.create_entry', '{"start": "2030-03-05T14:00:00Z", "end": "2030-03-05T14:40:00Z",
    "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"}, "service_id": "0000000a-000e-0000-0000-000000000001",
    "notes": "Reconfigured IKE lifetimes"}') AS e1 \gset
SELECT is((:'e1'::jsonb) ->> 'total_minutes', '40', 'create_entry: minutes from start and end');
SELECT is((:'e1'::jsonb) ->> 'billable_minutes', '40', 'create_entry: billable by default');
SELECT is((:'e1'::jsonb) ->> 'time_period_id', '0000000a-0012-0000-0000-000000000001', 'create_entry: the period containing the start');
SELECT ok((:'e1'::jsonb) ->> 'time_sheet_id' IS NOT NULL, 'create_entry: attached to a time sheet');
SELECT results_eq(format($$SELECT user_id::text, period_id::text, approval_status FROM psa.time_sheets WHERE id = %L$$, (:'e1'::jsonb) ->> 'time_sheet_id'),
    $$VALUES ('0000000a-0001-0000-0000-000000000003', '0000000a-0012-0000-0000-000000000001', 'DRAFT')$$,
    'create_entry: Tom''s draft time sheet for the period was created');
SELECT results_eq(format($$SELECT user_id::text, work_item_type, work_item_id::text, service_id::text, start_time, end_time, billable_duration, notes, approval_status
                           FROM psa.time_entries WHERE entry_id = %L$$, (:'e1'::jsonb) ->> 'time_entry_id'),
    $$VALUES ('0000000a-0001-0000-0000-000000000003', 'ticket', '0000000a-0009-0000-0000-000000000002', '0000000a-000e-0000-0000-000000000001',
              '2030-03-05T14:00:00Z'::timestamptz, '2030-03-05T14:40:00Z'::timestamptz, 40, 'Reconfigured IKE lifetimes', 'DRAFT')$$,
    'create_entry: the time entry row');
SELECT is((SELECT count(*)::int FROM psa.audit_logs WHERE record_id = (:'e1'::jsonb) ->> 'time_entry_id'), 1, 'create_entry: an audit row');
SELECT pg_temp.run('time.create_entry', '{"start": "2030-03-06T09:00:00Z", "duration_minutes": 20, "rounding_minutes": 15, "billable": false}') AS e2 \gset
SELECT is((:'e2'::jsonb) ->> 'total_minutes', '30', 'create_entry: a duration rounded up to 15 minutes');
SELECT is((:'e2'::jsonb) ->> 'end', '2030-03-06T09:30:00.000Z', 'create_entry: end from the duration');
SELECT is((:'e2'::jsonb) ->> 'billable_minutes', '0', 'create_entry: non-billable');
SELECT is((:'e2'::jsonb) ->> 'time_sheet_id', (:'e1'::jsonb) ->> 'time_sheet_id', 'create_entry: the same sheet for the same period');
SELECT is((:'e2'::jsonb) ->> 'work_item_type', 'ad_hoc', 'create_entry: no link is ad hoc');
SELECT is(pg_temp.run('time.create_entry', '{"start": "2031-01-01T09:00:00Z", "duration_minutes": 10}') ->> 'time_sheet_id', NULL,
          'create_entry: no period covers the date: no time sheet');
SELECT is(pg_temp.run('time.create_entry', '{"start": "2030-03-05T16:00:00Z", "duration_minutes": 60, "billable_minutes": 45}') ->> 'billable_minutes', '45',
          'create_entry: part of the time billable');

SELECT is(pg_temp.code('time.create_entry', '{"start": "2030-03-12T09:00:00Z", "duration_minutes": 30}'),
          'CONFLICT', 'create_entry: Tom''s sheet for that week is submitted: CONFLICT');
SELECT is(pg_temp.run('time.create_entry', '{"start": "2030-03-12T09:00:00Z", "duration_minutes": 30, "attach_to_timesheet": false}') ->> 'time_sheet_id', NULL,
          'create_entry: ... unless not attached');
SELECT is(pg_temp.code('time.create_entry', '{"start": "2030-03-05T14:00:00Z", "end": "2030-03-05T13:00:00Z"}'),
          'VALIDATION_ERROR', 'create_entry: an end before the start is a VALIDATION_ERROR');
SELECT is(pg_temp.code('time.create_entry', '{"start": "2030-03-05T14:00:00Z", "end": "2030-03-05T15:00:00Z", "duration_minutes": 60}'),
          'VALIDATION_ERROR', 'create_entry: end and duration together are a VALIDATION_ERROR');
SELECT is(pg_temp.code('time.create_entry', '{"start": "2030-03-05T14:00:00Z"}'),
          'VALIDATION_ERROR', 'create_entry: neither end nor duration is a VALIDATION_ERROR');
SELECT is(pg_temp.code('time.create_entry', '{"start": "2030-03-05T14:00:00Z", "end": "2030-03-07T14:00:00Z"}'),
          'VALIDATION_ERROR', 'create_entry: more than a day is a VALIDATION_ERROR');
SELECT is(pg_temp.code('time.create_entry', '{"start": "2030-03-05T14:00:00Z", "duration_minutes": 30, "billable_minutes": 31}'),
          'VALIDATION_ERROR', 'create_entry: more billable than worked is a VALIDATION_ERROR');
SELECT is(pg_temp.code('time.create_entry', '{"start": "2030-03-05T14:00:00Z", "duration_minutes": 30, "link": {"type": "ticket", "id": "0000000b-0009-0000-0000-000000000001"}}'),
          'NOT_FOUND', 'create_entry: a ticket of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('time.create_entry', '{"start": "2030-03-05T14:00:00Z", "duration_minutes": 30, "service_id": "0000000b-000e-0000-0000-000000000001"}'),
          'NOT_FOUND', 'create_entry: a service of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('time.create_entry', '{"start": "2030-03-05T14:00:00Z", "duration_minutes": 30, "time_sheet_id": "0000000a-0013-0000-0000-000000000001"}'),
          'VALIDATION_ERROR', 'create_entry: an explicit time sheet of another period is a VALIDATION_ERROR');
SELECT is(pg_temp.code('time.create_entry', '{"user_id": "0000000a-0001-0000-0000-000000000004", "start": "2030-03-05T14:00:00Z", "duration_minutes": 30}'),
          'PERMISSION_DENIED', 'create_entry: a technician cannot log time for someone else (needs timeentry:approve)');
SELECT pg_temp.as_user('mia');
SELECT is(pg_temp.run('time.create_entry', '{"user_id": "0000000a-0001-0000-0000-000000000004", "start": "2030-03-05T14:00:00Z", "duration_minutes": 30}') ->> 'user_id',
          '0000000a-0001-0000-0000-000000000004', 'create_entry: a manager can log time for a technician');
SELECT is(pg_temp.code('time.create_entry', '{"user_id": "0000000b-0001-0000-0000-000000000003", "start": "2030-03-05T14:00:00Z", "duration_minutes": 30}'),
          'NOT_FOUND', 'create_entry: a user of another tenant is NOT_FOUND');
SELECT pg_temp.as_user('dan');
SELECT is(pg_temp.code('time.create_entry', '{"start": "2030-03-05T14:00:00Z", "duration_minutes": 30}'),
          'PERMISSION_DENIED', 'create_entry: a dispatcher (no timeentry:create) is refused');

SELECT pg_temp.as_user('tom');
SELECT lives_ok($$SELECT algawf.set_family_enabled('time', false)$$, 'the time family can be switched off');
SELECT is((SELECT available FROM algawf.catalog WHERE action_id = 'time.create_entry'), false, 'switched off: unavailable');
SELECT is(pg_temp.code('time.create_entry', '{"start": "2030-03-05T14:00:00Z", "duration_minutes": 30}'), 'INTEGRATION_INACTIVE', 'switched off: INTEGRATION_INACTIVE');
SELECT matches(pg_temp.msg('time.create_entry', '{"start": "2030-03-05T14:00:00Z", "duration_minutes": 30}'), 'family "time" is disabled', 'switched off: names the family');
SELECT lives_ok($$SELECT algawf.set_family_enabled('time', true)$$, 'switched back on');

SELECT * FROM finish();
ROLLBACK;
