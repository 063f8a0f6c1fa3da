-- scheduling.assign_user and scheduling.create_entry through the dispatcher: rows and
-- outputs on success, conflict modes, error codes, tenant isolation, family switch.
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

SELECT set_eq($$SELECT action_id FROM algawf.catalog WHERE family = 'scheduling'$$,
              ARRAY['scheduling.assign_user', 'scheduling.create_entry'], 'the scheduling actions are registered');
SELECT is_empty($$SELECT action_id FROM algawf.catalog WHERE family = 'scheduling'
                   AND (category <> 'Scheduling' OR permissions <> '{user_schedule:create}' OR jsonb_array_length(examples) = 0
                        OR NOT side_effectful OR NOT available)$$,
                'both: Scheduling group, user_schedule:create, an example, side-effectful, available');

-- ---------------------------------------------------------------- assign_user
SELECT pg_temp.as_user('dan');
SELECT pg_temp.run('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003",
    "window": {"start": "2030-03-05T14:00:00Z", "end": "2030-03-05T16:00:00Z", "timezone": "America/New_York"},
    "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"}, "notes": "Bring a spare router"}') AS a1 \gset
SELECT is((:'a1'::jsonb) ->> 'start', '2030-03-05T14:00:00.000Z', 'assign_user: start');
SELECT is((:'a1'::jsonb) ->> 'end', '2030-03-05T16:00:00.000Z', 'assign_user: end');
SELECT is((:'a1'::jsonb) ->> 'shifted', 'false', 'assign_user: not shifted');
SELECT is((:'a1'::jsonb) ->> 'assigned_user_name', 'Tom Tran', 'assign_user: the technician''s name');
SELECT results_eq(format($$SELECT title, status, work_item_type, work_item_id::text, notes, created_by::text FROM psa.schedule_entries WHERE entry_id = %L$$,
                         (:'a1'::jsonb) ->> 'schedule_event_id'),
    $$VALUES ('TIC001002: VPN drops every few minutes', 'scheduled', 'ticket', '0000000a-0009-0000-0000-000000000002',
              'Bring a spare router', '0000000a-0001-0000-0000-000000000002')$$,
    'assign_user: the schedule entry (title from the ticket, created by the actor)');
SELECT is((SELECT array_agg(user_id::text) FROM psa.schedule_entry_assignees WHERE entry_id = ((:'a1'::jsonb) ->> 'entry_id')::uuid),
          ARRAY['0000000a-0001-0000-0000-000000000003'], 'assign_user: the assignee row');
SELECT is((SELECT count(*)::int FROM psa.audit_logs WHERE record_id = (:'a1'::jsonb) ->> 'entry_id'), 1, 'assign_user: an audit row');

SELECT is(pg_temp.code('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003",
    "window": {"start": "2030-03-05T15:00:00Z", "end": "2030-03-05T15:30:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"}}'),
    'CONFLICT', 'assign_user: an overlapping booking fails with CONFLICT (conflict_mode fail, the default)');
SELECT matches(pg_temp.msg('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003",
    "window": {"start": "2030-03-05T15:00:00Z", "end": "2030-03-05T15:30:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"}}'),
    'tom.tech is already scheduled', 'assign_user: ... naming the technician');
SELECT pg_temp.run('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003",
    "window": {"start": "2030-03-05T15:00:00Z", "end": "2030-03-05T15:30:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000001"},
    "conflict_mode": "shift"}') AS a2 \gset
SELECT is((:'a2'::jsonb) ->> 'shifted', 'true', 'assign_user shift: moved');
SELECT is((:'a2'::jsonb) ->> 'start', '2030-03-05T16:00:00.000Z', 'assign_user shift: starts when the conflict ends');
SELECT is((:'a2'::jsonb) ->> 'end', '2030-03-05T16:30:00.000Z', 'assign_user shift: keeps its length');
SELECT is(pg_temp.run('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003",
    "window": {"start": "2030-03-05T14:30:00Z", "end": "2030-03-05T15:30:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000003"},
    "conflict_mode": "shift"}') ->> 'start', '2030-03-05T16:30:00.000Z', 'assign_user shift: past several back-to-back conflicts');
SELECT pg_temp.run('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003",
    "window": {"start": "2030-03-05T14:00:00Z", "end": "2030-03-05T15:00:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000005"},
    "conflict_mode": "override", "title": "Emergency: server room"}') AS a3 \gset
SELECT is((:'a3'::jsonb) -> 'conflicting_entry_ids', jsonb_build_array((:'a1'::jsonb) ->> 'entry_id'), 'assign_user override: double-books and names the conflict');
SELECT results_eq(format($$SELECT entry_id_2::text, user_id::text, conflict_type, resolved, resolution ->> 'action' FROM psa.schedule_conflicts WHERE entry_id_1 = %L$$,
                         (:'a3'::jsonb) ->> 'entry_id'),
    format($$VALUES (%L, '0000000a-0001-0000-0000-000000000003', 'overlap', false, 'override')$$, (:'a1'::jsonb) ->> 'entry_id'),
    'assign_user override: a schedule_conflicts row');
UPDATE psa.schedule_entries SET status = 'cancelled' WHERE entry_id = ((:'a3'::jsonb) ->> 'entry_id')::uuid;
UPDATE psa.schedule_entries SET status = 'cancelled' WHERE entry_id = ((:'a1'::jsonb) ->> 'entry_id')::uuid;
SELECT is(pg_temp.run('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003",
    "window": {"start": "2030-03-05T14:00:00Z", "end": "2030-03-05T15:00:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000005"}}') ->> 'shifted',
    'false', 'assign_user: cancelled entries do not conflict');

SELECT is(pg_temp.code('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000002",
    "window": {"start": "2030-04-01T14:00:00Z", "end": "2030-04-01T15:00:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"}}'),
    'PERMISSION_DENIED', 'assign_user: a user without the Technician role cannot be scheduled');
SELECT is(pg_temp.run('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000002", "required_role": "dispatcher",
    "window": {"start": "2030-04-01T14:00:00Z", "end": "2030-04-01T15:00:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"}}') ->> 'assigned_user_name',
    'Dan Diaz', 'assign_user: another required role can be named');
SELECT is(pg_temp.code('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003",
    "window": {"start": "2030-04-01T15:00:00Z", "end": "2030-04-01T14:00:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"}}'),
    'VALIDATION_ERROR', 'assign_user: an end before the start is a VALIDATION_ERROR');
SELECT is(pg_temp.code('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003",
    "window": {"start": "2030-04-01T14:00:00Z", "end": "2030-04-01T15:00:00Z"}, "link": {"type": "ticket", "id": "0000000b-0009-0000-0000-000000000001"}}'),
    'NOT_FOUND', 'assign_user: a ticket of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('scheduling.assign_user', '{"user_id": "0000000b-0001-0000-0000-000000000003",
    "window": {"start": "2030-04-01T14:00:00Z", "end": "2030-04-01T15:00:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"}}'),
    'NOT_FOUND', 'assign_user: a user of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003",
    "window": {"start": "2030-04-01T14:00:00Z", "end": "2030-04-01T15:00:00Z"}, "link": {"type": "project_task", "id": "0000000a-0009-0000-0000-000000000002"}}'),
    'NOT_FOUND', 'assign_user: a ticket id given as a project task is NOT_FOUND');
SELECT is(pg_temp.code('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003", "conflict_mode": "ignore",
    "window": {"start": "2030-04-01T14:00:00Z", "end": "2030-04-01T15:00:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"}}'),
    'VALIDATION_ERROR', 'assign_user: conflict_mode is fail, shift or override');
SELECT pg_temp.as_user('tom');
SELECT is(pg_temp.code('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003",
    "window": {"start": "2030-04-02T14:00:00Z", "end": "2030-04-02T15:00:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"}}'),
    'PERMISSION_DENIED', 'assign_user: a technician (no user_schedule:create) cannot book');

-- ---------------------------------------------------------------- create_entry
SELECT pg_temp.as_user('dan');
SELECT pg_temp.run('scheduling.create_entry', '{"title": "Server room inspection", "start": "2030-03-06T13:00:00Z", "end": "2030-03-06T15:00:00Z",
    "assigned_user_ids": ["0000000a-0001-0000-0000-000000000003", "0000000a-0001-0000-0000-000000000004", "0000000a-0001-0000-0000-000000000003"],
    "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000005"}, "status": "confirmed", "notes": "Badge at reception"}') AS e1 \gset
SELECT results_eq(format($$SELECT title, scheduled_start, scheduled_end, status, work_item_type, work_item_id::text, notes FROM psa.schedule_entries WHERE entry_id = %L$$,
                         (:'e1'::jsonb) ->> 'entry_id'),
    $$VALUES ('Server room inspection', '2030-03-06T13:00:00Z'::timestamptz, '2030-03-06T15:00:00Z'::timestamptz, 'confirmed', 'ticket',
              '0000000a-0009-0000-0000-000000000005', 'Badge at reception')$$, 'create_entry: the entry row');
SELECT set_eq(format($$SELECT user_id::text FROM psa.schedule_entry_assignees WHERE entry_id = %L$$, (:'e1'::jsonb) ->> 'entry_id'),
              ARRAY['0000000a-0001-0000-0000-000000000003', '0000000a-0001-0000-0000-000000000004'], 'create_entry: the two assignees (duplicates ignored)');
SELECT is((:'e1'::jsonb) ->> 'status', 'confirmed', 'create_entry: output status');
SELECT is(pg_temp.run('scheduling.create_entry', '{"title": "Overlapping", "start": "2030-03-06T14:00:00Z", "end": "2030-03-06T14:30:00Z",
    "assigned_user_ids": ["0000000a-0001-0000-0000-000000000004"]}') -> 'overlapping_entry_ids',
    jsonb_build_array((:'e1'::jsonb) ->> 'entry_id'), 'create_entry: an ad hoc entry; overlaps are reported');
SELECT is(pg_temp.code('scheduling.create_entry', '{"title": "Backwards", "start": "2030-03-06T15:00:00Z", "end": "2030-03-06T13:00:00Z",
    "assigned_user_ids": ["0000000a-0001-0000-0000-000000000003"]}'), 'VALIDATION_ERROR', 'create_entry: an end before the start is refused');
SELECT is(pg_temp.code('scheduling.create_entry', '{"title": "Empty", "start": "2030-03-06T15:00:00Z", "end": "2030-03-06T15:00:00Z",
    "assigned_user_ids": ["0000000a-0001-0000-0000-000000000003"]}'), 'VALIDATION_ERROR', 'create_entry: an empty window is refused');
SELECT is(pg_temp.code('scheduling.create_entry', '{"title": "Unknown", "start": "2030-03-06T13:00:00Z", "end": "2030-03-06T15:00:00Z",
    "assigned_user_ids": ["0000000a-0001-0000-0000-000000000003", "0000000a-0001-0000-0000-0000000000aa"]}'), 'NOT_FOUND', 'create_entry: an unknown user is refused');
SELECT matches(pg_temp.msg('scheduling.create_entry', '{"title": "Unknown", "start": "2030-03-06T13:00:00Z", "end": "2030-03-06T15:00:00Z",
    "assigned_user_ids": ["0000000a-0001-0000-0000-0000000000aa"]}'), '0000000a-0001-0000-0000-0000000000aa not found', 'create_entry: ... naming it');
SELECT is(pg_temp.code('scheduling.create_entry', '{"title": "Cross tenant", "start": "2030-03-06T13:00:00Z", "end": "2030-03-06T15:00:00Z",
    "assigned_user_ids": ["0000000b-0001-0000-0000-000000000003"]}'), 'NOT_FOUND', 'create_entry: a user of another tenant is refused');
SELECT is(pg_temp.code('scheduling.create_entry', '{"title": "No users", "start": "2030-03-06T13:00:00Z", "end": "2030-03-06T15:00:00Z",
    "assigned_user_ids": []}'), 'VALIDATION_ERROR', 'create_entry: at least one assignee');
SELECT is(pg_temp.code('scheduling.create_entry', '{"title": "Bad status", "start": "2030-03-06T13:00:00Z", "end": "2030-03-06T15:00:00Z",
    "assigned_user_ids": ["0000000a-0001-0000-0000-000000000003"], "status": "done"}'), 'VALIDATION_ERROR', 'create_entry: an unknown status is refused');
SELECT is(pg_temp.code('scheduling.create_entry', '{"title": "Bad link", "start": "2030-03-06T13:00:00Z", "end": "2030-03-06T15:00:00Z",
    "assigned_user_ids": ["0000000a-0001-0000-0000-000000000003"], "link": {"type": "interaction", "id": "0000000a-0009-0000-0000-000000000005"}}'),
    'NOT_FOUND', 'create_entry: an unknown activity link is NOT_FOUND');
SELECT pg_temp.as_user('nobody');
SELECT is(pg_temp.code('scheduling.create_entry', '{"title": "x", "start": "2030-03-06T13:00:00Z", "end": "2030-03-06T15:00:00Z",
    "assigned_user_ids": ["0000000a-0001-0000-0000-000000000003"]}'), 'PERMISSION_DENIED', 'create_entry: needs user_schedule:create');

-- family switch
SELECT pg_temp.as_user('dan');
SELECT lives_ok($$SELECT algawf.set_family_enabled('scheduling', false)$$, 'the scheduling family can be switched off');
SELECT is_empty($$SELECT 1 FROM algawf.catalog WHERE family = 'scheduling' AND available$$, 'switched off: unavailable in the catalog');
SELECT is(pg_temp.code('scheduling.create_entry', '{"title": "x", "start": "2030-03-07T13:00:00Z", "end": "2030-03-07T15:00:00Z",
    "assigned_user_ids": ["0000000a-0001-0000-0000-000000000003"]}'), 'INTEGRATION_INACTIVE', 'switched off: calls fail with INTEGRATION_INACTIVE');
SELECT matches(pg_temp.msg('scheduling.assign_user', '{"user_id": "0000000a-0001-0000-0000-000000000003",
    "window": {"start": "2030-04-02T14:00:00Z", "end": "2030-04-02T15:00:00Z"}, "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"}}'),
    'family "scheduling" is disabled', 'switched off: the error names the family');
SELECT lives_ok($$SELECT algawf.set_family_enabled('scheduling', true)$$, 'switched back on');
SELECT ok((SELECT bool_and(available) FROM algawf.catalog WHERE family = 'scheduling'), 'switched on: available again');

SELECT * FROM finish();
ROLLBACK;
