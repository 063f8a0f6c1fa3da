-- CRM actions through the dispatcher (algawf.call_action / try_action):
-- rows written and outputs on success, the error code on each failure,
-- tenant isolation, audit rows and the family switch.
BEGIN;
SELECT no_plan();

SELECT psa.load_sample_data() IS NOT NULL AS loaded \gset
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SET LOCAL client_min_messages = warning;

-- actors: alice (Admin), dan (Dispatcher), tom (Technician), mia (Manager), and a user without roles
CREATE FUNCTION pg_temp.as_user(u text) RETURNS text LANGUAGE sql AS $$
    SELECT '# acting as ' || u || ' ' || set_config('algawf.user', CASE u
        WHEN 'alice' THEN '0000000a-0001-0000-0000-000000000001' WHEN 'dan' THEN '0000000a-0001-0000-0000-000000000002'
        WHEN 'tom' THEN '0000000a-0001-0000-0000-000000000003' WHEN 'mia' THEN '0000000a-0001-0000-0000-000000000005'
        WHEN 'nobody' THEN '0000000a-0001-0000-0000-0000000000ff' END, true);
$$;
INSERT INTO psa.users (tenant, user_id, username, first_name, last_name)
VALUES ('00000000-0000-0000-0000-00000000000a', '0000000a-0001-0000-0000-0000000000ff', 'no.roles', 'Nora', 'Noroles');
CREATE FUNCTION pg_temp.run(action text, input jsonb) RETURNS jsonb
    LANGUAGE sql AS $$ SELECT algawf.call_action('crm.' || action, input) $$;
CREATE FUNCTION pg_temp.code(action text, input jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT algawf.try_action('crm.' || action, input) -> 'error' ->> 'code' $$;
CREATE FUNCTION pg_temp.msg(action text, input jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT algawf.try_action('crm.' || action, input) -> 'error' ->> 'message' $$;

-- ---------------------------------------------------------------- catalog
SELECT set_eq($$SELECT action_id FROM algawf.catalog WHERE family = 'crm'$$,
    ARRAY['crm.create_activity_note', 'crm.find_activities', 'crm.update_activity', 'crm.schedule_activity',
          'crm.send_quote', 'crm.create_interaction_type', 'crm.update_activity_status', 'crm.create_quote',
          'crm.find_quotes', 'crm.submit_quote_for_approval', 'crm.approve_quote', 'crm.convert_quote', 'crm.tag_activity'],
    'the CRM actions are registered');
SELECT is_empty($$SELECT action_id FROM algawf.catalog WHERE family = 'crm'
                   AND (version <> 1 OR category <> 'CRM' OR description = '' OR permissions = '{}'
                        OR jsonb_array_length(examples) = 0 OR implementation <> 'sql' OR NOT available)$$,
                'each has version 1, category CRM, a description, permissions, an example, an SQL implementation, and is available');
SELECT is_empty($$SELECT c.action_id FROM algawf.catalog c
                   WHERE c.family = 'crm' AND c.side_effectful
                     AND (c.action_id ~ '(create|schedule|send|convert)' ) <> (c.input_schema #> '{properties,idempotency_key}' IS NOT NULL)$$,
                'creates and sends take an idempotency_key, updates do not');
SELECT is_empty($$SELECT c.action_id || ' ' || p.key FROM algawf.catalog c, jsonb_each(c.input_schema -> 'properties') p
                   WHERE c.family = 'crm' AND p.key LIKE '%client_id' AND p.value ->> 'x-workflow-picker-kind' IS DISTINCT FROM 'client'$$,
                'client ids carry the client picker hint');

-- ---------------------------------------------------------------- create_activity_note
SELECT pg_temp.as_user('tom');
SELECT pg_temp.run('create_activity_note', '{"target": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"},
    "body": "Customer confirmed the VPN\nis stable.", "title": "VPN check", "tags": ["follow-up", "VPN", "follow-up"]}') AS note \gset
SELECT is((:'note'::jsonb) ->> 'target_type', 'ticket', 'create_activity_note: output names the target');
SELECT is((:'note'::jsonb) #>> '{target_summary,ticket_number}', 'TIC001002', 'create_activity_note: target summary has the ticket number');
SELECT is((:'note'::jsonb) ->> 'client_id', '0000000a-0003-0000-0000-000000000001', 'create_activity_note: client derived from the ticket');
SELECT is((:'note'::jsonb) -> 'tags', '["follow-up", "VPN"]', 'create_activity_note: tags applied once each');
SELECT results_eq(
    format($$SELECT i.title, i.notes, i.user_id::text, i.contact_name_id::text, s.type_name
              FROM psa.interactions i JOIN psa.system_interaction_types s ON s.type_id = i.type_id
             WHERE i.interaction_id = %L$$, (:'note'::jsonb) ->> 'note_id'),
    $$VALUES ('VPN check', E'Customer confirmed the VPN\nis stable.', '0000000a-0001-0000-0000-000000000003',
              '0000000a-0004-0000-0000-000000000001', 'Note')$$,
    'create_activity_note: the interaction row (type Note, by the actor, contact from the ticket)');
SELECT is((SELECT count(*)::int FROM psa.tag_mappings WHERE tagged_id = ((:'note'::jsonb) ->> 'note_id')::uuid), 2,
          'create_activity_note: two tag mappings');
SELECT is((SELECT count(*)::int FROM psa.audit_logs WHERE operation = 'workflow_action:crm.create_activity_note'
                                                    AND record_id = (:'note'::jsonb) ->> 'note_id'), 1,
          'create_activity_note: a psa.audit_logs row');
SELECT is((SELECT outcome FROM algawf.audit_log WHERE action_id = 'crm.create_activity_note' ORDER BY at DESC LIMIT 1),
          'SUCCEEDED', 'create_activity_note: an algawf.audit_log row');
SELECT is(pg_temp.code('create_activity_note', '{"target": {"type": "ticket", "id": "0000000b-0009-0000-0000-000000000001"}, "body": "x"}'),
          'NOT_FOUND', 'create_activity_note: a ticket of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('create_activity_note', '{"target": {"type": "contact", "id": "0000000a-0004-0000-0000-000000000099"}, "body": "x"}'),
          'NOT_FOUND', 'create_activity_note: an unknown contact is NOT_FOUND');
SELECT is(pg_temp.code('create_activity_note', '{"target": {"type": "client", "id": "0000000a-0003-0000-0000-000000000001"}, "body": ""}'),
          'VALIDATION_ERROR', 'create_activity_note: an empty body is a VALIDATION_ERROR');
SELECT is(pg_temp.code('create_activity_note', '{"target": {"type": "project", "id": "0000000a-0003-0000-0000-000000000001"}, "body": "x"}'),
          'VALIDATION_ERROR', 'create_activity_note: an unknown target type is a VALIDATION_ERROR');
SELECT is(pg_temp.code('create_activity_note', '{"target": {"type": "client", "id": "0000000a-0003-0000-0000-000000000001"}, "body": "x", "type_id": "0000000b-000f-0000-0000-000000000001"}'),
          'NOT_FOUND', 'create_activity_note: an unknown interaction type is NOT_FOUND');
SELECT pg_temp.as_user('nobody');
SELECT is(pg_temp.code('create_activity_note', '{"target": {"type": "client", "id": "0000000a-0003-0000-0000-000000000001"}, "body": "x"}'),
          'PERMISSION_DENIED', 'create_activity_note: a user without interaction:create is refused');
SELECT is((SELECT outcome || ' ' || error_code FROM algawf.audit_log WHERE action_id = 'crm.create_activity_note' ORDER BY at DESC LIMIT 1),
          'FAILED PERMISSION_DENIED', 'create_activity_note: the refusal is audited');

-- ---------------------------------------------------------------- find_activities
SELECT pg_temp.as_user('dan');
SELECT pg_temp.run('create_activity_note', '{"target": {"type": "client", "id": "0000000a-0003-0000-0000-000000000002"}, "body": "Initech called about invoices"}') AS note2 \gset
SELECT is(pg_temp.run('find_activities', '{"ticket_id": "0000000a-0009-0000-0000-000000000002"}') #>> '{activities,0,activity_id}',
          (:'note'::jsonb) ->> 'note_id', 'find_activities: by ticket');
SELECT is(pg_temp.run('find_activities', '{"ticket_id": "0000000a-0009-0000-0000-000000000002"}') #> '{activities,0,tags}',
          '["VPN", "follow-up"]', 'find_activities: activities carry their tags');
SELECT is(pg_temp.run('find_activities', '{"tag": "vpn"}') ->> 'count', '1', 'find_activities: by tag, any case');
SELECT is(pg_temp.run('find_activities', '{"client_id": "0000000a-0003-0000-0000-000000000002"}') #>> '{activities,0,notes_preview}',
          'Initech called about invoices', 'find_activities: by client, with a notes preview');
SELECT is(pg_temp.run('find_activities', '{"date_from": "2000-01-01T00:00:00Z", "limit": 1}') ->> 'count', '1',
          'find_activities: a date range alone is enough; the limit applies');
SELECT is(pg_temp.run('find_activities', '{"user_id": "0000000a-0001-0000-0000-000000000004"}') ->> 'count', '0',
          'find_activities: no match is an empty list');
SELECT is(pg_temp.code('find_activities', '{"limit": 5}'), 'VALIDATION_ERROR', 'find_activities: no filter is a VALIDATION_ERROR');
SELECT is(pg_temp.code('find_activities', '{"client_id": "0000000a-0003-0000-0000-000000000002", "limit": 500}'),
          'VALIDATION_ERROR', 'find_activities: the limit is capped at 200');
SELECT is(pg_temp.code('find_activities', '{"date_from": "2025-01-01T00:00:00Z", "date_to": "2024-01-01T00:00:00Z"}'),
          'VALIDATION_ERROR', 'find_activities: date_from after date_to is a VALIDATION_ERROR');
SELECT is(pg_temp.code('find_activities', '{"user_id": "0000000a-0001-0000-0000-000000000004", "on_empty": "error"}'),
          'NOT_FOUND', 'find_activities: on_empty error gives NOT_FOUND');
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000b';
SELECT set_config('algawf.user', '0000000b-0001-0000-0000-000000000001', true) IS NULL AS x \gset
SELECT is(pg_temp.run('find_activities', '{"ticket_id": "0000000a-0009-0000-0000-000000000002"}') ->> 'count', '0',
          'find_activities: tenant B sees none of tenant A''s activities');
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000a';

-- ---------------------------------------------------------------- update_activity
SELECT pg_temp.as_user('tom');
SELECT pg_temp.run('update_activity', format('{"activity_id": "%s", "patch": {"title": "VPN verified", "status_id": "0000000a-0006-0000-0000-000000000012",
    "start_time": "2024-03-02T10:00:00Z", "end_time": "2024-03-02T10:45:00Z"}, "reason": "call done"}', (:'note'::jsonb) ->> 'note_id')::jsonb) AS upd \gset
SELECT is((:'upd'::jsonb) -> 'changed_fields', '["duration", "end_time", "start_time", "status_id", "title"]',
          'update_activity: changed fields, sorted, including the re-derived duration');
SELECT is((:'upd'::jsonb) #>> '{activity_before,title}', 'VPN check', 'update_activity: before');
SELECT is((:'upd'::jsonb) #>> '{activity_after,title}', 'VPN verified', 'update_activity: after');
SELECT is((:'upd'::jsonb) #>> '{activity_after,status_name}', 'Completed', 'update_activity: status name resolved');
SELECT is((SELECT duration FROM psa.interactions WHERE interaction_id = ((:'note'::jsonb) ->> 'note_id')::uuid), 45,
          'update_activity: duration derived from the new times');
SELECT is((SELECT changed_data #>> '{before,title}' FROM psa.audit_logs WHERE operation = 'workflow_action:crm.update_activity'
             AND record_id = (:'note'::jsonb) ->> 'note_id' ORDER BY "timestamp" LIMIT 1),
          'VPN check', 'update_activity: the audit row keeps the old values');
SELECT is(pg_temp.run('update_activity', format('{"activity_id": "%s", "patch": {"title": "VPN verified"}}', (:'note'::jsonb) ->> 'note_id')::jsonb) -> 'changed_fields',
          '[]', 'update_activity: a patch that changes nothing reports no changed fields');
SELECT is(pg_temp.code('update_activity', format('{"activity_id": "%s", "patch": {}}', (:'note'::jsonb) ->> 'note_id')::jsonb),
          'VALIDATION_ERROR', 'update_activity: an empty patch is a VALIDATION_ERROR');
SELECT is(pg_temp.code('update_activity', format('{"activity_id": "%s", "patch": {"status_id": "0000000a-0006-0000-0000-000000000002"}}', (:'note'::jsonb) ->> 'note_id')::jsonb),
          'VALIDATION_ERROR', 'update_activity: a ticket status is a VALIDATION_ERROR');
SELECT matches(pg_temp.msg('update_activity', format('{"activity_id": "%s", "patch": {"status_id": "0000000a-0006-0000-0000-000000000002"}}', (:'note'::jsonb) ->> 'note_id')::jsonb),
          'is a ticket status, not a interaction status', 'update_activity: the message says why');
SELECT is(pg_temp.code('update_activity', format('{"activity_id": "%s", "patch": {"end_time": "2024-03-02T09:00:00Z"}}', (:'note'::jsonb) ->> 'note_id')::jsonb),
          'VALIDATION_ERROR', 'update_activity: an end before the start is a VALIDATION_ERROR');
SELECT is(pg_temp.code('update_activity', '{"activity_id": "00000000-0000-4000-8000-000000000001", "patch": {"title": "x"}}'),
          'NOT_FOUND', 'update_activity: an unknown activity is NOT_FOUND');
SELECT is(pg_temp.code('update_activity', format('{"activity_id": "%s", "patch": {"type_id": "00000000-0000-4000-8000-000000000009"}}', (:'note'::jsonb) ->> 'note_id')::jsonb),
          'NOT_FOUND', 'update_activity: an unknown type is NOT_FOUND');
SELECT is(pg_temp.code('update_activity', format('{"activity_id": "%s", "patch": {"visibility": "internal"}}', (:'note'::jsonb) ->> 'note_id')::jsonb),
          'VALIDATION_ERROR', 'update_activity: an unknown patch field is a VALIDATION_ERROR');

-- ---------------------------------------------------------------- schedule_activity
SELECT pg_temp.run('schedule_activity', format('{"contact_id": "0000000a-0004-0000-0000-000000000003", "type_id": "00000000-0000-0000-0001-000000000003",
    "title": "Quarterly review", "start_time": "%s", "end_time": "%s", "tags": ["qbr"]}',
    algawf._ops_iso(date_trunc('hour', now() + interval '2 days')),
    algawf._ops_iso(date_trunc('hour', now() + interval '2 days') + interval '90 minutes'))::jsonb) AS sched \gset
SELECT is((:'sched'::jsonb) #>> '{activity,client_id}', '0000000a-0003-0000-0000-000000000002', 'schedule_activity: client from the contact');
SELECT is((:'sched'::jsonb) #>> '{activity,status_name}', 'Planned', 'schedule_activity: default status Planned');
SELECT is((:'sched'::jsonb) #>> '{activity,duration}', '90', 'schedule_activity: duration derived from start and end');
SELECT is((:'sched'::jsonb) #>> '{activity,type_name}', 'Meeting', 'schedule_activity: type');
SELECT is((:'sched'::jsonb) #>> '{activity,user_id}', '0000000a-0001-0000-0000-000000000003', 'schedule_activity: owned by the actor by default');
SELECT ok(jsonb_typeof((:'sched'::jsonb) -> 'event_emitted') = 'boolean', 'schedule_activity: reports whether INTERACTION_LOGGED was emitted');
SELECT ok((SELECT start_time > now() FROM psa.interactions WHERE interaction_id = ((:'sched'::jsonb) #>> '{activity,activity_id}')::uuid),
          'schedule_activity: the interaction row is in the future');
SELECT is(pg_temp.run('schedule_activity', format('{"client_id": "0000000a-0003-0000-0000-000000000001", "type_id": "00000000-0000-0000-0001-000000000001",
    "title": "Call back", "start_time": "%s", "duration": 15, "assigned_user_id": "0000000a-0001-0000-0000-000000000004"}',
    to_char((now() + interval '1 day') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))::jsonb) #>> '{activity,user_name}',
    'Tina Torres', 'schedule_activity: end derived from a duration; assigned to another technician');
SELECT is(pg_temp.code('schedule_activity', '{"client_id": "0000000a-0003-0000-0000-000000000001", "type_id": "00000000-0000-0000-0001-000000000001",
    "title": "Too late", "start_time": "2020-01-01T10:00:00Z"}'), 'VALIDATION_ERROR', 'schedule_activity: a past start is a VALIDATION_ERROR');
SELECT is(pg_temp.code('schedule_activity', '{"client_id": "0000000a-0003-0000-0000-000000000001", "contact_id": "0000000a-0004-0000-0000-000000000003",
    "type_id": "00000000-0000-0000-0001-000000000001", "title": "x", "start_time": "2099-01-01T10:00:00Z"}'),
    'VALIDATION_ERROR', 'schedule_activity: a contact of another client is a VALIDATION_ERROR');
SELECT is(pg_temp.code('schedule_activity', '{"type_id": "00000000-0000-0000-0001-000000000001", "title": "x", "start_time": "2099-01-01T10:00:00Z"}'),
    'VALIDATION_ERROR', 'schedule_activity: neither client nor contact is a VALIDATION_ERROR');
SELECT is(pg_temp.code('schedule_activity', '{"client_id": "0000000b-0003-0000-0000-000000000001", "type_id": "00000000-0000-0000-0001-000000000001",
    "title": "x", "start_time": "2099-01-01T10:00:00Z"}'), 'NOT_FOUND', 'schedule_activity: a client of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('schedule_activity', '{"client_id": "0000000a-0003-0000-0000-000000000001", "type_id": "00000000-0000-0000-0001-000000000001",
    "title": "x", "start_time": "2099-01-01T10:00:00Z", "assigned_user_id": "0000000b-0001-0000-0000-000000000003"}'),
    'NOT_FOUND', 'schedule_activity: an assignee of another tenant is NOT_FOUND');

-- ---------------------------------------------------------------- create_interaction_type
SELECT pg_temp.run('create_interaction_type', '{"type_name": "  Onboarding   Call ", "icon": "phone"}') AS itype \gset
SELECT is((:'itype'::jsonb) ->> 'created', 'true', 'create_interaction_type: created');
SELECT is((:'itype'::jsonb) #>> '{interaction_type,type_name}', 'Onboarding Call', 'create_interaction_type: name normalised');
SELECT is((SELECT type_name FROM psa.interaction_types WHERE type_id = ((:'itype'::jsonb) #>> '{interaction_type,type_id}')::uuid),
          'Onboarding Call', 'create_interaction_type: the row');
SELECT is(pg_temp.run('create_interaction_type', '{"type_name": "onboarding call"}') #>> '{interaction_type,type_id}',
          (:'itype'::jsonb) #>> '{interaction_type,type_id}', 'create_interaction_type: the same name (any case) returns the existing type');
SELECT is(pg_temp.run('create_interaction_type', '{"type_name": "onboarding call"}') ->> 'created', 'false', '... with created = false');
SELECT is(pg_temp.code('create_interaction_type', '{"type_name": "meeting"}'), 'CONFLICT',
          'create_interaction_type: a built-in type name is a CONFLICT');
SELECT is(pg_temp.code('create_interaction_type', '{"type_name": ""}'), 'VALIDATION_ERROR',
          'create_interaction_type: an empty name is a VALIDATION_ERROR');
SELECT is(pg_temp.code('create_interaction_type', '{"type_name": "   "}'), 'VALIDATION_ERROR',
          'create_interaction_type: a blank name is a VALIDATION_ERROR');

-- ---------------------------------------------------------------- update_activity_status
SELECT pg_temp.run('update_activity_status', format('{"activity_id": "%s", "status_name": "completed"}', (:'sched'::jsonb) #>> '{activity,activity_id}')::jsonb) AS st \gset
SELECT is((:'st'::jsonb) ->> 'previous_status_name', 'Planned', 'update_activity_status: previous status');
SELECT is((:'st'::jsonb) ->> 'status_name', 'Completed', 'update_activity_status: new status by name');
SELECT is((:'st'::jsonb) ->> 'changed', 'true', 'update_activity_status: changed');
SELECT is((SELECT status_id::text FROM psa.interactions WHERE interaction_id = ((:'sched'::jsonb) #>> '{activity,activity_id}')::uuid),
          '0000000a-0006-0000-0000-000000000012', 'update_activity_status: the row');
SELECT is(pg_temp.run('update_activity_status', format('{"activity_id": "%s", "status_id": "0000000a-0006-0000-0000-000000000012"}', (:'sched'::jsonb) #>> '{activity,activity_id}')::jsonb) ->> 'changed',
          'false', 'update_activity_status: the same status again changes nothing');
SELECT is(pg_temp.code('update_activity_status', format('{"activity_id": "%s", "status_id": "0000000a-0006-0000-0000-000000000021"}', (:'sched'::jsonb) #>> '{activity,activity_id}')::jsonb),
          'VALIDATION_ERROR', 'update_activity_status: a project status is a VALIDATION_ERROR');
SELECT is(pg_temp.code('update_activity_status', format('{"activity_id": "%s", "status_name": "Abandoned"}', (:'sched'::jsonb) #>> '{activity,activity_id}')::jsonb),
          'NOT_FOUND', 'update_activity_status: an unknown status name is NOT_FOUND');
SELECT is(pg_temp.code('update_activity_status', format('{"activity_id": "%s", "status_name": "Completed", "status_id": "0000000a-0006-0000-0000-000000000012"}', (:'sched'::jsonb) #>> '{activity,activity_id}')::jsonb),
          'VALIDATION_ERROR', 'update_activity_status: both status_id and status_name is a VALIDATION_ERROR');

-- ---------------------------------------------------------------- tag_activity
SELECT is(pg_temp.run('tag_activity', format('{"activity_id": "%s", "tags": ["renewal", "QBR"]}', (:'sched'::jsonb) #>> '{activity,activity_id}')::jsonb) -> 'added',
          '["renewal"]', 'tag_activity: only new tags are added (qbr exists, any case)');
SELECT is(pg_temp.run('tag_activity', format('{"activity_id": "%s", "tags": ["vip"], "mode": "replace"}', (:'sched'::jsonb) #>> '{activity,activity_id}')::jsonb) -> 'removed',
          '["qbr", "renewal"]', 'tag_activity: replace removes the other tags');
SELECT is((SELECT array_agg(d.tag_text) FROM psa.tag_mappings m JOIN psa.tag_definitions d USING (tenant, tag_id)
            WHERE m.tagged_id = ((:'sched'::jsonb) #>> '{activity,activity_id}')::uuid), ARRAY['vip'], 'tag_activity: the mappings');
SELECT is(pg_temp.code('tag_activity', '{"activity_id": "00000000-0000-4000-8000-000000000001", "tags": ["x"]}'),
          'NOT_FOUND', 'tag_activity: an unknown activity is NOT_FOUND');
SELECT is(pg_temp.code('tag_activity', format('{"activity_id": "%s", "tags": []}', (:'sched'::jsonb) #>> '{activity,activity_id}')::jsonb),
          'VALIDATION_ERROR', 'tag_activity: no tags is a VALIDATION_ERROR');
SELECT is(pg_temp.code('tag_activity', format('{"activity_id": "%s", "tags": ["  "]}', (:'sched'::jsonb) #>> '{activity,activity_id}')::jsonb),
          'VALIDATION_ERROR', 'tag_activity: blank tags are a VALIDATION_ERROR');

-- ---------------------------------------------------------------- quotes
SELECT pg_temp.as_user('mia');
SELECT pg_temp.run('create_quote', '{"client_id": "0000000a-0003-0000-0000-000000000001", "contact_id": "0000000a-0004-0000-0000-000000000001",
    "title": "Managed services renewal", "tax_rate_percent": 10, "valid_days": 14,
    "items": [{"service_id": "0000000a-000e-0000-0000-000000000001", "quantity": 10},
              {"description": "Onboarding", "unit_price": 50000},
              {"description": "Optional training", "unit_price": 99900, "is_optional": true}]}') AS q \gset
SELECT is((:'q'::jsonb) #>> '{quote,status}', 'draft', 'create_quote: a draft');
SELECT matches((:'q'::jsonb) #>> '{quote,quote_number}', '^Q[0-9]{6}$', 'create_quote: numbered');
SELECT is((:'q'::jsonb) #>> '{quote,subtotal}', '175000', 'create_quote: subtotal from the service rate and the prices, optional lines excluded');
SELECT is((:'q'::jsonb) #>> '{quote,tax}', '17500', 'create_quote: tax');
SELECT is((:'q'::jsonb) #>> '{quote,total_amount}', '192500', 'create_quote: total');
SELECT is((:'q'::jsonb) #>> '{quote,valid_until}', (current_date + 14)::text, 'create_quote: valid_until from valid_days');
SELECT results_eq(format($$SELECT description, quantity::float8, unit_price, total_price, is_optional FROM psa.quote_items
                           WHERE quote_id = %L ORDER BY display_order$$, (:'q'::jsonb) #>> '{quote,quote_id}'),
    $$VALUES ('Remote Support', 10::float8, 12500::bigint, 125000::bigint, false), ('Onboarding', 1, 50000, 50000, false),
             ('Optional training', 1, 99900, 99900, true)$$, 'create_quote: the item rows');
SELECT is((SELECT activity_type FROM psa.quote_activities WHERE quote_id = ((:'q'::jsonb) #>> '{quote,quote_id}')::uuid), 'created',
          'create_quote: a created activity');
SELECT is(pg_temp.code('create_quote', '{"client_id": "0000000a-0003-0000-0000-000000000001", "title": "x", "items": [{"service_id": "0000000b-000e-0000-0000-000000000001"}]}'),
          'NOT_FOUND', 'create_quote: a service of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('create_quote', '{"client_id": "0000000a-0003-0000-0000-000000000001", "contact_id": "0000000a-0004-0000-0000-000000000003", "title": "x"}'),
          'VALIDATION_ERROR', 'create_quote: a contact of another client is a VALIDATION_ERROR');
SELECT is(pg_temp.code('create_quote', '{"client_id": "0000000a-0003-0000-0000-000000000001", "title": "x", "items": [{"quantity": 2}]}'),
          'VALIDATION_ERROR', 'create_quote: an item without description or service is a VALIDATION_ERROR');
SELECT is(pg_temp.code('create_quote', '{"client_id": "0000000a-0003-0000-0000-000000000001", "title": "x", "currency_code": "usd"}'),
          'VALIDATION_ERROR', 'create_quote: a lower-case currency is a VALIDATION_ERROR');
SELECT pg_temp.as_user('tom');
SELECT is(pg_temp.code('create_quote', '{"client_id": "0000000a-0003-0000-0000-000000000001", "title": "x"}'),
          'PERMISSION_DENIED', 'create_quote: a technician (no billing:create) is refused');

SELECT pg_temp.as_user('mia');
SELECT is(pg_temp.run('find_quotes', '{"client_id": "0000000a-0003-0000-0000-000000000001", "status": "draft"}') #>> '{first_quote,quote_id}',
          (:'q'::jsonb) #>> '{quote,quote_id}', 'find_quotes: by client and status');
SELECT is(pg_temp.run('find_quotes', format('{"quote_number": "%s"}', (:'q'::jsonb) #>> '{quote,quote_number}')::jsonb) ->> 'count', '1',
          'find_quotes: by number');
SELECT is(pg_temp.run('find_quotes', '{"status": ["sent", "accepted"]}') ->> 'count', '0', 'find_quotes: none sent yet');
SELECT is(pg_temp.code('find_quotes', '{"limit": 1000}'), 'VALIDATION_ERROR', 'find_quotes: the limit is capped at 100');
SELECT is(pg_temp.code('find_quotes', '{"status": "sent", "on_empty": "error"}'), 'NOT_FOUND', 'find_quotes: on_empty error gives NOT_FOUND');

-- approval rules: this tenant requires approval from 1000.00 on
UPDATE psa.tenants SET settings = settings || '{"quote_approval_threshold": 100000}' WHERE tenant = '00000000-0000-0000-0000-00000000000a';
SELECT is(pg_temp.code('send_quote', format('{"quote_id": "%s"}', (:'q'::jsonb) #>> '{quote,quote_id}')::jsonb),
          'VALIDATION_ERROR', 'send_quote: a draft above the approval threshold cannot be sent');
SELECT is(pg_temp.run('submit_quote_for_approval', format('{"quote_id": "%s", "comment": "10 seats"}', (:'q'::jsonb) #>> '{quote,quote_id}')::jsonb) ->> 'new_status',
          'pending_approval', 'submit_quote_for_approval: draft -> pending_approval');
SELECT is(pg_temp.run('submit_quote_for_approval', format('{"quote_id": "%s"}', (:'q'::jsonb) #>> '{quote,quote_id}')::jsonb) ->> 'no_op',
          'true', 'submit_quote_for_approval: already pending is a no-op');
SELECT is((SELECT count(*)::int FROM psa.quote_activities WHERE quote_id = ((:'q'::jsonb) #>> '{quote,quote_id}')::uuid AND activity_type = 'submitted'),
          1, 'submit_quote_for_approval: one submitted activity');
SELECT is(pg_temp.code('submit_quote_for_approval', '{"quote_id": "00000000-0000-4000-8000-000000000002"}'), 'NOT_FOUND',
          'submit_quote_for_approval: an unknown quote is NOT_FOUND');
SELECT pg_temp.run('create_quote', '{"client_id": "0000000a-0003-0000-0000-000000000002", "title": "Empty"}') AS q2 \gset
SELECT is(pg_temp.code('submit_quote_for_approval', format('{"quote_id": "%s"}', (:'q2'::jsonb) #>> '{quote,quote_id}')::jsonb),
          'VALIDATION_ERROR', 'submit_quote_for_approval: a quote without items is a VALIDATION_ERROR');
SELECT pg_temp.as_user('tom');
SELECT is(pg_temp.code('approve_quote', format('{"quote_id": "%s", "decision": "approved"}', (:'q'::jsonb) #>> '{quote,quote_id}')::jsonb),
          'PERMISSION_DENIED', 'approve_quote: a technician (no billing:approve) is refused');
SELECT pg_temp.as_user('mia');
SELECT is(pg_temp.code('approve_quote', format('{"quote_id": "%s", "decision": "approved"}', (:'q2'::jsonb) #>> '{quote,quote_id}')::jsonb),
          'VALIDATION_ERROR', 'approve_quote: a draft is not pending approval');
SELECT is(pg_temp.code('approve_quote', format('{"quote_id": "%s", "decision": "maybe"}', (:'q'::jsonb) #>> '{quote,quote_id}')::jsonb),
          'VALIDATION_ERROR', 'approve_quote: the decision is approved or rejected');
SELECT is(pg_temp.run('approve_quote', format('{"quote_id": "%s", "decision": "approved", "comment": "fine"}', (:'q'::jsonb) #>> '{quote,quote_id}')::jsonb) ->> 'new_status',
          'approved', 'approve_quote: pending -> approved');

SELECT pg_temp.run('send_quote', format('{"quote_id": "%s", "email_addresses": ["cfo@globex.example"], "message": "As discussed."}', (:'q'::jsonb) #>> '{quote,quote_id}')::jsonb) AS sent \gset
SELECT is((:'sent'::jsonb) ->> 'new_status', 'sent', 'send_quote: approved -> sent');
SELECT is((:'sent'::jsonb) -> 'recipients', '["ap@globex.example", "cfo@globex.example", "john.smith@globex.example"]',
          'send_quote: recipients are the given addresses, the contact and the billing address');
SELECT is((:'sent'::jsonb) ->> 'email_queued', 'true', 'send_quote: the quote e-mail is queued');
SELECT ok((SELECT sent_at IS NOT NULL AND status = 'sent' FROM psa.quotes WHERE quote_id = ((:'q'::jsonb) #>> '{quote,quote_id}')::uuid),
          'send_quote: the quote row is sent with sent_at');
SELECT results_eq(format($$SELECT message ->> 'subject', envelope -> 'recipients', entity_type, status
                             FROM algawf.email_outbox WHERE message_id = %L$$, (:'sent'::jsonb) ->> 'message_id'),
    format($$VALUES ('Quote %s: Managed services renewal', '["ap@globex.example", "cfo@globex.example", "john.smith@globex.example"]'::jsonb, 'quote', 'pending')$$,
           (:'q'::jsonb) #>> '{quote,quote_number}'),
    'send_quote: the outbox row (subject rendered, all recipients, about the quote)');
SELECT matches((SELECT message ->> 'text' FROM algawf.email_outbox WHERE message_id = (:'sent'::jsonb) ->> 'message_id'),
               'As discussed\.(.|\n)*Total: 1925\.00 USD', 'send_quote: the body has the message and the total');
SELECT is((SELECT metadata ->> 'message_id' FROM psa.quote_activities WHERE quote_id = ((:'q'::jsonb) #>> '{quote,quote_id}')::uuid AND activity_type = 'sent'),
          (:'sent'::jsonb) ->> 'message_id', 'send_quote: the sent activity records the message');
SELECT is(pg_temp.run('send_quote', format('{"quote_id": "%s"}', (:'q'::jsonb) #>> '{quote,quote_id}')::jsonb) ->> 'no_op',
          'true', 'send_quote: sending again is a no-op');
SELECT is((SELECT count(*)::int FROM algawf.email_outbox WHERE entity_id = ((:'q'::jsonb) #>> '{quote,quote_id}')::uuid), 1,
          '... and queues no second e-mail');
SELECT is(pg_temp.code('send_quote', format('{"quote_id": "%s", "no_op_if_already_sent": false}', (:'q'::jsonb) #>> '{quote,quote_id}')::jsonb),
          'VALIDATION_ERROR', 'send_quote: with no_op_if_already_sent false, a sent quote is a VALIDATION_ERROR');
SELECT is(pg_temp.code('send_quote', '{"quote_id": "00000000-0000-4000-8000-000000000002"}'), 'NOT_FOUND', 'send_quote: an unknown quote is NOT_FOUND');
SELECT pg_temp.as_user('dan');
SELECT is(pg_temp.code('send_quote', format('{"quote_id": "%s"}', (:'q2'::jsonb) #>> '{quote,quote_id}')::jsonb),
          'PERMISSION_DENIED', 'send_quote: a dispatcher (no billing:update) is refused');
SELECT pg_temp.as_user('mia');
SELECT is(pg_temp.run('send_quote', format('{"quote_id": "%s"}', (:'q2'::jsonb) #>> '{quote,quote_id}')::jsonb) ->> 'email_queued',
          'true', 'send_quote: a draft below the threshold is sent without approval (Initech billing address)');

SELECT pg_temp.run('convert_quote', format('{"quote_id": "%s", "target": "both", "billing_frequency": "annually", "contract_name": "Globex MSA"}', (:'q'::jsonb) #>> '{quote,quote_id}')::jsonb) AS conv \gset
SELECT is((:'conv'::jsonb) #>> '{quote,status}', 'converted', 'convert_quote: the quote is converted');
SELECT results_eq(format($$SELECT contract_name, status, billing_frequency, total_amount, client_id::text FROM psa.contracts WHERE contract_id = %L$$, (:'conv'::jsonb) ->> 'contract_id'),
    $$VALUES ('Globex MSA', 'draft', 'annually', 175000::bigint, '0000000a-0003-0000-0000-000000000001')$$, 'convert_quote: a draft contract');
SELECT is((SELECT count(*)::int FROM psa.contract_lines WHERE contract_id = ((:'conv'::jsonb) ->> 'contract_id')::uuid), 2,
          'convert_quote: contract lines for the non-optional items');
SELECT results_eq(format($$SELECT status, total_amount, contract_id::text, invoice_number FROM psa.invoices WHERE invoice_id = %L$$, (:'conv'::jsonb) ->> 'invoice_id'),
    format($$VALUES ('draft', 192500::bigint, %L, %L)$$, (:'conv'::jsonb) ->> 'contract_id', (:'conv'::jsonb) ->> 'invoice_number'),
    'convert_quote: a draft invoice linked to the contract');
SELECT matches((:'conv'::jsonb) ->> 'invoice_number', '^INV[0-9]{6}$', 'convert_quote: the invoice is numbered');
SELECT is((SELECT sum(total_price)::bigint FROM psa.invoice_items WHERE invoice_id = ((:'conv'::jsonb) ->> 'invoice_id')::uuid), 175000::bigint,
          'convert_quote: invoice items');
SELECT is(pg_temp.code('convert_quote', format('{"quote_id": "%s", "target": "invoice"}', (:'q'::jsonb) #>> '{quote,quote_id}')::jsonb),
          'VALIDATION_ERROR', 'convert_quote: a converted quote cannot be converted again');
SELECT pg_temp.run('create_quote', '{"client_id": "0000000a-0003-0000-0000-000000000002", "title": "Draft", "items": [{"description": "x", "unit_price": 100}]}') AS q3 \gset
SELECT is(pg_temp.code('convert_quote', format('{"quote_id": "%s", "target": "invoice"}', (:'q3'::jsonb) #>> '{quote,quote_id}')::jsonb),
          'VALIDATION_ERROR', 'convert_quote: a draft cannot be converted');
SELECT is(pg_temp.code('convert_quote', '{"quote_id": "00000000-0000-4000-8000-000000000002", "target": "invoice"}'), 'NOT_FOUND',
          'convert_quote: an unknown quote is NOT_FOUND');
SELECT is(pg_temp.code('convert_quote', format('{"quote_id": "%s", "target": "order"}', (:'q3'::jsonb) #>> '{quote,quote_id}')::jsonb),
          'VALIDATION_ERROR', 'convert_quote: the target is contract, invoice or both');

-- ---------------------------------------------------------------- idempotency (action-provided keys)
-- two statements: a count in the same statement would not see the calls' own inserts
SELECT CASE WHEN (SELECT idempotency ->> 'mode' FROM algawf.catalog WHERE action_id = 'crm.create_activity_note') = 'actionProvided'
    THEN is(pg_temp.run('create_activity_note', '{"target": {"type": "client", "id": "0000000a-0003-0000-0000-000000000003"}, "body": "once", "idempotency_key": "note-once"}') ->> 'note_id',
            pg_temp.run('create_activity_note', '{"target": {"type": "client", "id": "0000000a-0003-0000-0000-000000000003"}, "body": "once", "idempotency_key": "note-once"}') ->> 'note_id',
            'create_activity_note: the same idempotency_key returns the first note')
    ELSE skip('action-provided idempotency keys need the expression language', 1) END;
SELECT CASE WHEN (SELECT idempotency ->> 'mode' FROM algawf.catalog WHERE action_id = 'crm.create_activity_note') = 'actionProvided'
    THEN is((SELECT count(*)::int FROM psa.interactions WHERE notes = 'once'), 1, '... and writes one row')
    ELSE skip('action-provided idempotency keys need the expression language', 1) END;

-- ---------------------------------------------------------------- family switch
SELECT lives_ok($$SELECT algawf.set_family_enabled('crm', false)$$, 'the crm family can be switched off');
SELECT is_empty($$SELECT action_id FROM algawf.catalog WHERE family = 'crm' AND available$$, 'switched off: no crm action is available');
SELECT is((SELECT DISTINCT unavailable_reason FROM algawf.catalog WHERE family = 'crm'), 'family crm is disabled for this tenant',
          'switched off: the catalog says why');
SELECT is(pg_temp.code('find_quotes', '{}'), 'INTEGRATION_INACTIVE', 'switched off: a call fails with INTEGRATION_INACTIVE');
SELECT matches(pg_temp.msg('find_quotes', '{}'), 'family "crm" is disabled', 'switched off: the error names the family');
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000b';
SELECT ok((SELECT bool_and(available) FROM algawf.catalog WHERE family = 'crm'), 'the switch is per tenant: tenant B still has crm');
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SELECT lives_ok($$SELECT algawf.set_family_enabled('crm', true)$$, 'the crm family can be switched back on');
SELECT is(pg_temp.code('find_quotes', '{}'), NULL, 'switched on: calls work again');

SELECT * FROM finish();
ROLLBACK;
