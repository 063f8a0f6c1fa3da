-- tickets.* through the dispatcher (algawf.call_action / try_action): permission
-- checks, schema validation and row-level security are all in the path.
BEGIN;
SELECT no_plan();

SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000002';     -- dan.dispatch: ticket create/update

-- outputs by name, and the error code of a failing call
CREATE TEMP TABLE res (k text PRIMARY KEY, v jsonb);
CREATE FUNCTION pg_temp.run(k text, action text, input jsonb) RETURNS jsonb
    LANGUAGE sql AS $$ INSERT INTO pg_temp.res VALUES (k, algawf.call_action(action, input)) RETURNING v $$;
CREATE FUNCTION pg_temp.got(k text) RETURNS jsonb
    LANGUAGE sql AS $$ SELECT v FROM pg_temp.res WHERE res.k = got.k $$;
CREATE FUNCTION pg_temp.err(action text, input jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT algawf.try_action(action, input) -> 'error' ->> 'code' $$;
-- runs an input and undoes its writes: the try_action result
CREATE FUNCTION pg_temp.dry(action text, input jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
BEGIN
    BEGIN
        r := algawf.try_action(action, input);
        RAISE EXCEPTION 'undo' USING ERRCODE = 'P0001';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN r;
END
$$;

-- a user of tenant A without any role
INSERT INTO psa.users (tenant, user_id, username) VALUES
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0001-0000-0000-0000000000ff', 'nobody');

SELECT has_function('algawf', '_act_tickets_create', ARRAY['jsonb', 'jsonb'], 'tickets.create implementation exists');
SELECT set_eq($$SELECT action_id FROM algawf.actions WHERE family = 'tickets'$$,
              ARRAY['tickets.create', 'tickets.add_comment', 'tickets.update_fields', 'tickets.assign', 'tickets.close',
                    'tickets.link_entities', 'tickets.add_attachment', 'tickets.find'],
              'the tickets family is registered');
SELECT is((SELECT count(*)::integer FROM algawf.actions
            WHERE family = 'tickets' AND (category <> 'Tickets' OR version <> 1 OR jsonb_array_length(examples) < 1
                                          OR cardinality(permissions) < 1 OR description = '')),
          0, 'every tickets action has version 1, category Tickets, a description, permissions and an example');

-- every example of the catalog runs on the sample data (each undone afterwards)
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000001';     -- alice.admin
SELECT is(pg_temp.dry(a.action_id, e -> 'input') -> 'error', NULL, format('example %s of %s runs', n, a.action_id))
  FROM algawf.actions a, jsonb_array_elements(a.examples) WITH ORDINALITY AS x (e, n)
 WHERE a.family = 'tickets' ORDER BY a.action_id, n;
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000002';

-- ---------------------------------------------------------------------------
-- tickets.create

SELECT lives_ok($$SELECT pg_temp.run('c1', 'tickets.create', '{
    "client_id": "0000000a-0003-0000-0000-000000000001", "contact_id": "0000000a-0004-0000-0000-000000000001",
    "title": "Printer not working", "description": "The office printer is jammed.",
    "tags": ["printer", "VIP", "vip"], "custom_fields": {"floor": 2}, "external_ref": "mon-1",
    "initial_comment": {"body": "Opened by a workflow."},
    "attachments": [{"source": {"url": "https://files.example/printer/status.txt"}}]}')$$,
    'tickets.create with defaults, tags, comment and attachment');
SELECT is(pg_temp.got('c1') ->> 'ticket_number',
          (SELECT prefix || lpad(last_number::text, padding_length, '0') FROM psa.next_number
            WHERE tenant = '00000000-0000-0000-0000-00000000000a' AND entity_type = 'TICKET'),
          'the tenant''s next ticket number');
SELECT cmp_ok(pg_temp.got('c1') ->> 'ticket_number', '>', 'TIC001005', '... after the sample tickets');
SELECT is(pg_temp.got('c1') ->> 'board_id', '0000000a-0005-0000-0000-000000000001', 'default board');
SELECT is(pg_temp.got('c1') ->> 'status_id', '0000000a-0006-0000-0000-000000000001', 'default status (New)');
SELECT is(pg_temp.got('c1') ->> 'priority_id', '0000000a-0007-0000-0000-000000000002', 'default priority (Medium)');
SELECT is(pg_temp.got('c1') -> 'tags', '["VIP", "printer"]', 'tags de-duplicated case-insensitively');
SELECT results_eq(
    $$SELECT title, client_id, contact_name_id, entered_by, attributes ->> 'description', attributes -> 'custom_fields',
             attributes ->> 'external_ref', is_closed
        FROM psa.tickets WHERE ticket_id = (pg_temp.got('c1') ->> 'ticket_id')::uuid$$,
    $$VALUES ('Printer not working', '0000000a-0003-0000-0000-000000000001'::uuid, '0000000a-0004-0000-0000-000000000001'::uuid,
              '0000000a-0001-0000-0000-000000000002'::uuid, 'The office printer is jammed.', '{"floor": 2}'::jsonb, 'mon-1', false)$$,
    'the ticket row');
SELECT results_eq(
    $$SELECT note, is_internal, user_id FROM psa.comments WHERE comment_id = (pg_temp.got('c1') ->> 'comment_id')::uuid$$,
    $$VALUES ('Opened by a workflow.', false, '0000000a-0001-0000-0000-000000000002'::uuid)$$,
    'the initial comment (public, by the actor)');
SELECT is((SELECT count(*)::integer FROM psa.tag_mappings
            WHERE tagged_type = 'ticket' AND tagged_id = (pg_temp.got('c1') ->> 'ticket_id')::uuid), 2, 'two tag mappings');
SELECT is((SELECT f.storage_path FROM psa.document_associations a
             JOIN psa.documents d USING (tenant, document_id) JOIN psa.external_files f USING (tenant, file_id)
            WHERE a.entity_type = 'ticket' AND a.entity_id = (pg_temp.got('c1') ->> 'ticket_id')::uuid),
          'https://files.example/printer/status.txt', 'the attachment is a document of the ticket');
SELECT is((SELECT outcome || ' ' || (target_ids ->> 'ticket_id') FROM algawf.audit_log
            WHERE action_id = 'tickets.create' ORDER BY at DESC LIMIT 1),
          'SUCCEEDED ' || (pg_temp.got('c1') ->> 'ticket_id'), 'the dispatcher''s audit row names the ticket');
SELECT is((SELECT count(*)::integer FROM psa.audit_logs
            WHERE operation = 'workflow_action:tickets.create' AND record_id = pg_temp.got('c1') ->> 'ticket_id'),
          1, 'the business audit row (psa.audit_logs)');

SELECT lives_ok($$SELECT pg_temp.run('c2', 'tickets.create', '{
    "client_id": "0000000a-0003-0000-0000-000000000002", "title": "Email outage",
    "priority_id": "0000000a-0007-0000-0000-000000000003",
    "assignee": {"type": "team", "id": "0000000a-000a-0000-0000-000000000001"}}')$$,
    'tickets.create assigned to a team');
SELECT is(pg_temp.got('c2') ->> 'assigned_to', '0000000a-0001-0000-0000-000000000005', 'the team''s manager is the assignee');
SELECT is((SELECT count(*)::integer FROM psa.ticket_resources WHERE ticket_id = (pg_temp.got('c2') ->> 'ticket_id')::uuid),
          2, 'the team''s members are additional resources');

SELECT lives_ok($$SELECT pg_temp.run('c3', 'tickets.create', '{
    "client_id": "0000000a-0003-0000-0000-000000000002", "title": "Core switch down",
    "assignee": {"type": "queue", "id": "0000000a-0005-0000-0000-000000000002"}}')$$,
    'tickets.create into a queue');
SELECT is(pg_temp.got('c3') ->> 'board_id', '0000000a-0005-0000-0000-000000000002', 'the queue is the board');

INSERT INTO res SELECT 'once1', algawf.call_action('tickets.create', '{"client_id": "0000000a-0003-0000-0000-000000000003", "title": "Once"}', 1, 'key-once');
INSERT INTO res SELECT 'once2', algawf.call_action('tickets.create', '{"client_id": "0000000a-0003-0000-0000-000000000003", "title": "Once"}', 1, 'key-once');
SELECT is(pg_temp.got('once2') ->> 'ticket_id', pg_temp.got('once1') ->> 'ticket_id',
          'the same idempotency key returns the first ticket');
SELECT is((SELECT count(*)::integer FROM psa.tickets WHERE title = 'Once'), 1, '... and creates one ticket');

SELECT is(pg_temp.err('tickets.create', '{"client_id": "0000000b-0003-0000-0000-000000000001", "title": "x"}'),
          'NOT_FOUND', 'tenant isolation: a client of tenant B is NOT_FOUND for tenant A');
SELECT is(pg_temp.err('tickets.create', '{"client_id": "0000000a-0003-0000-0000-000000000001", "title": "x",
                                          "contact_id": "0000000a-0004-0000-0000-000000000003"}'),
          'VALIDATION_ERROR', 'a contact of another client');
SELECT is(pg_temp.err('tickets.create', '{"client_id": "0000000a-0003-0000-0000-000000000001", "title": "x",
                                          "status_id": "0000000a-0006-0000-0000-000000000011"}'),
          'VALIDATION_ERROR', 'an interaction status is not a ticket status');
SELECT is(pg_temp.err('tickets.create', '{"client_id": "0000000a-0003-0000-0000-000000000001", "title": "x",
                                          "priority_id": "0000000a-0007-0000-0000-0000000000ff"}'),
          'NOT_FOUND', 'an unknown priority');
SELECT is(pg_temp.err('tickets.create', '{"client_id": "0000000a-0003-0000-0000-000000000001", "title": "x",
                                          "assignee": {"type": "user", "id": "0000000b-0001-0000-0000-000000000003"}}'),
          'NOT_FOUND', 'an assignee of tenant B');
SELECT is(pg_temp.err('tickets.create', '{"client_id": "0000000a-0003-0000-0000-000000000001"}'),
          'VALIDATION_ERROR', 'title is required');
SELECT throws_ok($$SELECT algawf.call_action('tickets.create', '{"client_id": "0000000a-0003-0000-0000-000000000001", "title": ""}')$$,
                 '22023', NULL, 'call_action raises 22023 for a VALIDATION_ERROR');
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-0000000000ff';
SELECT is(pg_temp.err('tickets.create', '{"client_id": "0000000a-0003-0000-0000-000000000001", "title": "x"}'),
          'PERMISSION_DENIED', 'a user without ticket:create');
SELECT is((SELECT outcome || ' ' || error_code FROM algawf.audit_log WHERE action_id = 'tickets.create' ORDER BY at DESC LIMIT 1),
          'FAILED PERMISSION_DENIED', 'the refusal is audited');
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000002';

-- ---------------------------------------------------------------------------
-- tickets.add_comment

SELECT lives_ok($$SELECT pg_temp.run('m1', 'tickets.add_comment', '{
    "ticket_id": "0000000a-0009-0000-0000-000000000001", "body": "Toner ordered.", "visibility": "internal",
    "mentions": ["0000000a-0001-0000-0000-000000000003"]}')$$, 'tickets.add_comment, internal, with a mention');
SELECT results_eq(
    $$SELECT ticket_id, note, is_internal, metadata -> 'mentions' FROM psa.comments WHERE comment_id = (pg_temp.got('m1') ->> 'comment_id')::uuid$$,
    $$VALUES ('0000000a-0009-0000-0000-000000000001'::uuid, 'Toner ordered.', true, '["0000000a-0001-0000-0000-000000000003"]'::jsonb)$$,
    'the comment row');
SELECT is(pg_temp.got('m1') ->> 'notified', '1', 'one notification');
SELECT is((SELECT title FROM psa.internal_notifications
            WHERE user_id = '0000000a-0001-0000-0000-000000000003' AND metadata ->> 'comment_id' = pg_temp.got('m1') ->> 'comment_id'),
          'You were mentioned on ticket TIC001001', 'the mentioned technician is notified');
SELECT is(pg_temp.err('tickets.add_comment', '{"ticket_id": "0000000b-0009-0000-0000-000000000001", "body": "x"}'),
          'NOT_FOUND', 'a ticket of tenant B');
SELECT is(pg_temp.err('tickets.add_comment', '{"ticket_id": "0000000a-0009-0000-0000-000000000001", "body": "x",
                                               "mentions": ["0000000a-0001-0000-0000-0000000000aa"]}'),
          'NOT_FOUND', 'an unknown mentioned user');
SELECT is(pg_temp.err('tickets.add_comment', '{"ticket_id": "0000000a-0009-0000-0000-000000000001", "body": "x", "mentions": ["tom"]}'),
          'VALIDATION_ERROR', 'a mention that is not a user id');
SELECT is(pg_temp.err('tickets.add_comment', '{"ticket_id": "0000000a-0009-0000-0000-000000000001", "body": "x", "visibility": "secret"}'),
          'VALIDATION_ERROR', 'an unknown visibility');

-- ---------------------------------------------------------------------------
-- tickets.update_fields

SELECT lives_ok($$SELECT pg_temp.run('u1', 'tickets.update_fields', '{
    "ticket_id": "0000000a-0009-0000-0000-000000000003",
    "patch": {"priority_id": "0000000a-0007-0000-0000-000000000003", "status_id": "0000000a-0006-0000-0000-000000000002",
              "assigned_to": "0000000a-0001-0000-0000-000000000003", "tags": ["onboarding"], "custom_fields": {"asset": "LT-9"}}}')$$,
    'tickets.update_fields');
SELECT results_eq(
    $$SELECT priority_id, status_id, assigned_to, attributes -> 'custom_fields', updated_by
        FROM psa.tickets WHERE ticket_id = '0000000a-0009-0000-0000-000000000003'$$,
    $$VALUES ('0000000a-0007-0000-0000-000000000003'::uuid, '0000000a-0006-0000-0000-000000000002'::uuid,
              '0000000a-0001-0000-0000-000000000003'::uuid, '{"asset": "LT-9"}'::jsonb, '0000000a-0001-0000-0000-000000000002'::uuid)$$,
    'the ticket row is patched');
SELECT set_eq($$SELECT jsonb_array_elements_text(pg_temp.got('u1') -> 'changed_fields')$$,
              ARRAY['priority_id', 'status_id', 'assigned_to', 'tags', 'attributes'], 'changed_fields');
SELECT is(pg_temp.got('u1') ->> 'updated_at',
          (SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM psa.tickets
            WHERE ticket_id = '0000000a-0009-0000-0000-000000000003'), 'updated_at is the row''s');
SELECT lives_ok(format($$SELECT algawf.call_action('tickets.update_fields', '{"ticket_id": "0000000a-0009-0000-0000-000000000003",
    "patch": {"title": "New hire laptop (Wednesday)"}, "expected_updated_at": "%s"}')$$, pg_temp.got('u1') ->> 'updated_at'),
    'expected_updated_at equal to the current one');
SELECT is(pg_temp.err('tickets.update_fields', '{"ticket_id": "0000000a-0009-0000-0000-000000000003",
    "patch": {"title": "stale"}, "expected_updated_at": "2024-01-01T00:00:00Z"}'), 'CONFLICT', 'a stale expected_updated_at');
SELECT is((SELECT title FROM psa.tickets WHERE ticket_id = '0000000a-0009-0000-0000-000000000003'),
          'New hire laptop (Wednesday)', '... changes nothing');
SELECT is(pg_temp.err('tickets.update_fields', '{"ticket_id": "0000000a-0009-0000-0000-000000000003", "patch": {}}'),
          'VALIDATION_ERROR', 'an empty patch');
SELECT is(pg_temp.err('tickets.update_fields', '{"ticket_id": "0000000a-0009-0000-0000-000000000003",
    "patch": {"subcategory_id": "0000000a-0008-0000-0000-000000000005"}}'), 'VALIDATION_ERROR', 'a subcategory of another category');
SELECT is(pg_temp.err('tickets.update_fields', '{"ticket_id": "0000000a-0009-0000-0000-000000000003",
    "patch": {"status_id": "0000000b-0006-0000-0000-000000000002"}}'), 'NOT_FOUND', 'a status of tenant B');

-- ---------------------------------------------------------------------------
-- tickets.assign

SELECT lives_ok($$SELECT pg_temp.run('a1', 'tickets.assign', '{
    "ticket_id": "0000000a-0009-0000-0000-000000000005", "assignee": {"type": "user", "id": "0000000a-0001-0000-0000-000000000004"},
    "reason": "on site", "comment": {"body": "Tina is on site."}}')$$, 'tickets.assign to a user');
SELECT is((SELECT assigned_to FROM psa.tickets WHERE ticket_id = '0000000a-0009-0000-0000-000000000005'),
          '0000000a-0001-0000-0000-000000000004'::uuid, 'assigned_to is set');
SELECT is((SELECT is_internal FROM psa.comments WHERE comment_id = (pg_temp.got('a1') ->> 'comment_id')::uuid), true,
          'the assignment comment is internal by default');
SELECT is(algawf.call_action('tickets.assign', '{"ticket_id": "0000000a-0009-0000-0000-000000000005",
          "assignee": {"type": "user", "id": "0000000a-0001-0000-0000-000000000004"}}') -> 'noop', 'true', 'the same assignment again is a no-op');
SELECT lives_ok($$SELECT pg_temp.run('a2', 'tickets.assign', '{
    "ticket_id": "0000000a-0009-0000-0000-000000000005", "assignee": {"type": "team", "id": "0000000a-000a-0000-0000-000000000001"}}')$$,
    'tickets.assign to a team');
SELECT results_eq($$SELECT assigned_to, assigned_team_id FROM psa.tickets WHERE ticket_id = '0000000a-0009-0000-0000-000000000005'$$,
                  $$VALUES ('0000000a-0001-0000-0000-000000000005'::uuid, '0000000a-000a-0000-0000-000000000001'::uuid)$$,
                  'the team and its manager');
SELECT is(pg_temp.err('tickets.assign', '{"ticket_id": "0000000a-0009-0000-0000-000000000005",
    "assignee": {"type": "team", "id": "0000000a-000a-0000-0000-0000000000ff"}}'), 'NOT_FOUND', 'an unknown team');
UPDATE psa.users SET is_inactive = true WHERE user_id = '0000000a-0001-0000-0000-000000000004';
SELECT is(pg_temp.err('tickets.assign', '{"ticket_id": "0000000a-0009-0000-0000-000000000005",
    "assignee": {"type": "user", "id": "0000000a-0001-0000-0000-000000000004"}}'), 'VALIDATION_ERROR', 'an inactive user');
UPDATE psa.users SET is_inactive = false WHERE user_id = '0000000a-0001-0000-0000-000000000004';
SELECT is(pg_temp.err('tickets.assign', '{"ticket_id": "0000000a-0009-0000-0000-000000000005",
    "assignee": {"type": "robot", "id": "0000000a-0001-0000-0000-000000000004"}}'), 'VALIDATION_ERROR', 'an unknown assignee type');

-- ---------------------------------------------------------------------------
-- tickets.close

SELECT lives_ok($$SELECT pg_temp.run('x1', 'tickets.close', '{
    "ticket_id": "0000000a-0009-0000-0000-000000000002", "resolution": {"code": "fixed", "text": "Raised the IKE lifetime."},
    "internal_note": "Changed on both firewalls.", "notify_requester": true,
    "email": {"subject": "Your ticket is closed", "text": "Hello John"}}')$$, 'tickets.close');
SELECT results_eq(
    $$SELECT status_id, is_closed, closed_at IS NOT NULL, closed_by, attributes ->> 'resolution_code'
        FROM psa.tickets WHERE ticket_id = '0000000a-0009-0000-0000-000000000002'$$,
    $$VALUES ('0000000a-0006-0000-0000-000000000004'::uuid, true, true, '0000000a-0001-0000-0000-000000000002'::uuid, 'fixed')$$,
    'the ticket is in the closed status with the resolution');
SELECT results_eq(
    $$SELECT note, is_internal, is_resolution FROM psa.comments
       WHERE comment_id IN (SELECT jsonb_array_elements_text(pg_temp.got('x1') -> 'comment_ids')::uuid) ORDER BY is_internal$$,
    $$VALUES ('Raised the IKE lifetime.', false, true), ('Changed on both firewalls.', true, true)$$,
    'the resolution comments');
SELECT is(pg_temp.got('x1') ->> 'requester_email', 'john.smith@globex.example', 'the requester''s address');
SELECT is(pg_temp.got('x1') -> 'email_queued', 'false', 'no e-mail is queued by tickets.close');
SELECT is((SELECT input -> 'email' ->> 'text' FROM algawf.workflow_action_invocations
            WHERE action_id = 'tickets.close' AND status = 'SUCCEEDED' ORDER BY started_at DESC LIMIT 1),
          '[REDACTED]', 'the e-mail body is redacted in the invocation row');
SELECT is(pg_temp.err('tickets.close', '{"ticket_id": "0000000a-0009-0000-0000-000000000002"}'), 'CONFLICT', 'closing a closed ticket');
SELECT throws_ok($$SELECT algawf.call_action('tickets.close', '{"ticket_id": "0000000a-0009-0000-0000-000000000004"}')$$,
                 '38000', NULL, 'call_action raises 38000 for an ActionError (CONFLICT)');
SELECT is(pg_temp.err('tickets.close', '{"ticket_id": "0000000b-0009-0000-0000-000000000002"}'), 'NOT_FOUND', 'a ticket of tenant B');
SELECT is(pg_temp.err('tickets.close', '{"ticket_id": "0000000a-0009-0000-0000-000000000005",
    "status_id": "0000000a-0006-0000-0000-000000000002"}'), 'VALIDATION_ERROR', 'an open status');
UPDATE psa.tickets SET contact_name_id = NULL WHERE ticket_id = '0000000a-0009-0000-0000-000000000005';
SELECT is(pg_temp.err('tickets.close', '{"ticket_id": "0000000a-0009-0000-0000-000000000005", "notify_requester": true}'),
          'VALIDATION_ERROR', 'notify_requester without a requester address');
SELECT is((SELECT is_closed FROM psa.tickets WHERE ticket_id = '0000000a-0009-0000-0000-000000000005'), false,
          '... leaves the ticket open');

-- ---------------------------------------------------------------------------
-- tickets.link_entities

SELECT lives_ok($$SELECT pg_temp.run('l1', 'tickets.link_entities', '{
    "ticket_id": "0000000a-0009-0000-0000-000000000003", "entity_type": "ticket",
    "entity_id": "0000000a-0009-0000-0000-000000000001", "link_type": "related"}')$$, 'tickets.link_entities');
SELECT results_eq(
    $$SELECT source_type, source_id, target_type, target_id, link_type FROM psa.entity_links WHERE link_id = (pg_temp.got('l1') ->> 'link_id')::uuid$$,
    $$VALUES ('ticket', '0000000a-0009-0000-0000-000000000003'::uuid, 'ticket', '0000000a-0009-0000-0000-000000000001'::uuid, 'related')$$,
    'the link row');
SELECT is(pg_temp.got('l1') -> 'linked_entity_summary' ->> 'name', 'TIC001001 Printer on 2nd floor jams', 'the linked entity''s name');
SELECT is(pg_temp.err('tickets.link_entities', '{"ticket_id": "0000000a-0009-0000-0000-000000000003", "entity_type": "ticket",
    "entity_id": "0000000a-0009-0000-0000-000000000001", "link_type": "related"}'), 'CONFLICT', 'the same link twice');
SELECT is(pg_temp.err('tickets.link_entities', '{"ticket_id": "0000000a-0009-0000-0000-000000000003", "entity_type": "project",
    "entity_id": "0000000a-0009-0000-0000-000000000001"}'), 'NOT_FOUND', 'an unknown project');
SELECT is(pg_temp.err('tickets.link_entities', '{"ticket_id": "0000000a-0009-0000-0000-000000000003", "entity_type": "ticket",
    "entity_id": "0000000a-0009-0000-0000-000000000003"}'), 'VALIDATION_ERROR', 'a ticket linked to itself');
SELECT is(pg_temp.err('tickets.link_entities', '{"ticket_id": "0000000a-0009-0000-0000-000000000003", "entity_type": "client",
    "entity_id": "0000000b-0003-0000-0000-000000000001"}'), 'NOT_FOUND', 'a client of tenant B');

-- ---------------------------------------------------------------------------
-- tickets.add_attachment

INSERT INTO psa.external_files (tenant, file_id, file_name, original_name, mime_type, file_size, storage_path)
VALUES ('00000000-0000-0000-0000-00000000000a', '0000000a-00ff-0000-0000-000000000001', 'f1.pdf', 'report.pdf',
        'application/pdf', 1234, 'tenant-a/f1.pdf');
SELECT lives_ok($$SELECT pg_temp.run('f1', 'tickets.add_attachment', '{
    "ticket_id": "0000000a-0009-0000-0000-000000000003", "source": {"file_id": "0000000a-00ff-0000-0000-000000000001"},
    "comment": {"body": "Report attached.", "visibility": "internal"}}')$$, 'tickets.add_attachment of a stored file');
SELECT results_eq(
    $$SELECT d.document_name, d.document_type, d.file_id, d.mime_type, a.entity_type, a.entity_id
        FROM psa.documents d JOIN psa.document_associations a USING (tenant, document_id)
       WHERE d.document_id = (pg_temp.got('f1') ->> 'attachment_id')::uuid$$,
    $$VALUES ('report.pdf', 'file', '0000000a-00ff-0000-0000-000000000001'::uuid, 'application/pdf', 'ticket',
              '0000000a-0009-0000-0000-000000000003'::uuid)$$,
    'the document and its association with the ticket');
SELECT is((SELECT metadata ->> 'attachment_id' FROM psa.comments WHERE comment_id = (pg_temp.got('f1') ->> 'comment_id')::uuid),
          pg_temp.got('f1') ->> 'attachment_id', 'the comment names the attachment');
SELECT is(pg_temp.err('tickets.add_attachment', '{"ticket_id": "0000000a-0009-0000-0000-000000000003",
    "source": {"file_id": "0000000a-00ff-0000-0000-0000000000ff"}}'), 'NOT_FOUND', 'an unknown file');
SELECT is(pg_temp.err('tickets.add_attachment', '{"ticket_id": "0000000a-0009-0000-0000-000000000003",
    "source": {"file_id": "0000000a-00ff-0000-0000-000000000001", "url": "https://x.example/a"}}'), 'VALIDATION_ERROR', 'two sources');
SELECT is(pg_temp.err('tickets.add_attachment', '{"ticket_id": "0000000a-0009-0000-0000-000000000003",
    "source": {"url": "ftp://files.example/a.txt"}}'), 'VALIDATION_ERROR', 'a non-http URL');

-- ---------------------------------------------------------------------------
-- tickets.find (ticket:read)

SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000003';     -- tom.tech
SELECT lives_ok($$SELECT pg_temp.run('q1', 'tickets.find', '{"ticket_number": "tic001003",
    "include": {"comments": true, "attachments": true, "tags": true, "links": true}}')$$, 'tickets.find by number with includes');
SELECT is(pg_temp.got('q1') -> 'ticket' ->> 'ticket_id', '0000000a-0009-0000-0000-000000000003', 'the ticket');
SELECT is(pg_temp.got('q1') -> 'ticket' ->> 'client_name', 'Initech', 'with names');
SELECT is(jsonb_array_length(pg_temp.got('q1') -> 'attachments'), 1, 'its attachment');
SELECT is(pg_temp.got('q1') -> 'tags', '["onboarding"]', 'its tags');
SELECT is(jsonb_array_length(pg_temp.got('q1') -> 'links'), 1, 'its link');
SELECT is(algawf.call_action('tickets.find', '{"external_ref": "mon-1"}') -> 'ticket' ->> 'ticket_id',
          pg_temp.got('c1') ->> 'ticket_id', 'tickets.find by external_ref');
SELECT is(algawf.call_action('tickets.find', '{"ticket_id": "0000000b-0009-0000-0000-000000000001"}') -> 'ticket', 'null',
          'a ticket of tenant B is not found (null)');
SELECT is(pg_temp.err('tickets.find', '{"ticket_number": "TIC009999", "on_not_found": "error"}'), 'NOT_FOUND', 'on_not_found: error');
SELECT is(pg_temp.err('tickets.find', '{"include": {"comments": true}}'), 'VALIDATION_ERROR', 'no identifier');
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-0000000000ff';
SELECT is(pg_temp.err('tickets.find', '{"ticket_number": "TIC001001"}'), 'PERMISSION_DENIED', 'a user without ticket:read');

-- ---------------------------------------------------------------------------
-- as an application role: a tenant member with algawf_operator, not a superuser
-- (the calls run under the role, the assertions after RESET ROLE: pgTAP's own
-- temporary tables belong to the session user)

CREATE ROLE actions_core_app LOGIN IN ROLE algawf_operator;
SELECT algawf.add_tenant_member('00000000-0000-0000-0000-00000000000a', 'actions_core_app');
GRANT ALL ON res TO actions_core_app;
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000002';
SET LOCAL ROLE actions_core_app;
SELECT pg_temp.run('app1', 'tickets.create', '{"client_id": "0000000a-0003-0000-0000-000000000001",
    "title": "Opened by the app", "tags": ["app"], "initial_comment": {"body": "from the app"}}') IS NOT NULL AS created;
INSERT INTO res SELECT 'app2', algawf.call_action('tickets.find', format('{"ticket_id": "%s", "include": {"tags": true}}',
                                                  (SELECT v ->> 'ticket_id' FROM res WHERE k = 'app1'))::jsonb);
INSERT INTO res SELECT 'app3', algawf.try_action('tickets.close', '{"ticket_id": "0000000b-0009-0000-0000-000000000001"}');
RESET ROLE;
SELECT is((SELECT title FROM psa.tickets WHERE ticket_id = (pg_temp.got('app1') ->> 'ticket_id')::uuid), 'Opened by the app',
          'tickets.create as a non-superuser tenant member');
SELECT is(pg_temp.got('app2') -> 'tags', '["app"]', '... tickets.find sees it');
SELECT is(pg_temp.got('app3') -> 'error' ->> 'code', 'NOT_FOUND', '... and tenant B stays out of reach');

SELECT * FROM finish();
ROLLBACK;
