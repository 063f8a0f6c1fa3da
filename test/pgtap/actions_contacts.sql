-- contacts.* through the dispatcher (algawf.call_action / try_action): permission
-- checks, schema validation and row-level security are all in the path.
BEGIN;
SELECT no_plan();

SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000002';     -- dan.dispatch: contact create/update, read all

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

SELECT set_eq($$SELECT action_id FROM algawf.actions WHERE family = 'contacts'$$,
              ARRAY['contacts.find', 'contacts.search', 'contacts.create', 'contacts.update', 'contacts.deactivate',
                    'contacts.delete', 'contacts.duplicate', 'contacts.add_tag', 'contacts.assign_to_ticket', 'contacts.add_note',
                    'contacts.add_interaction', 'contacts.add_to_client', 'contacts.move_to_client'],
              'the contacts family is registered');
SELECT is((SELECT count(*)::integer FROM algawf.actions
            WHERE family = 'contacts' AND (category <> 'Contacts' OR version <> 1 OR jsonb_array_length(examples) < 1
                                           OR cardinality(permissions) < 1 OR description = '')),
          0, 'every contacts action has version 1, category Contacts, a description, permissions and an example');

-- every example of the catalog runs on the sample data (each undone afterwards)
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000001';     -- alice.admin
SELECT is(pg_temp.dry(a.action_id, e -> 'input') -> 'error', NULL, format('example %s of %s runs', n, a.action_id))
  FROM algawf.actions a, jsonb_array_elements(a.examples) WITH ORDINALITY AS x (e, n)
 WHERE a.family = 'contacts' ORDER BY a.action_id, n;
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000002';

-- ---------------------------------------------------------------------------
-- contacts.find

SELECT is(algawf.call_action('contacts.find', '{"email": " John.Smith@GLOBEX.example "}') -> 'contact' ->> 'contact_name_id',
          '0000000a-0004-0000-0000-000000000001', 'by e-mail, case-insensitive');
SELECT lives_ok($$SELECT pg_temp.run('f1', 'contacts.find', '{"phone": "(555) 0201", "phone_match": "last7"}')$$, 'by phone, last 7 digits');
SELECT is(pg_temp.got('f1') -> 'contact' ->> 'full_name', 'John Smith', 'John Smith');
SELECT is(pg_temp.got('f1') ->> 'match_count', '1', 'one match');
SELECT is(algawf.call_action('contacts.find', '{"phone": "+1-555-0201"}') -> 'contact' ->> 'full_name', 'John Smith',
          'by phone, all digits');
SELECT is(algawf.call_action('contacts.find', '{"phone": "555-0201"}') -> 'contact', 'null', 'exact matching needs all digits');
SELECT is(algawf.call_action('contacts.find', '{"email": "john.smith@globex.example", "client_id": "0000000a-0003-0000-0000-000000000002"}') -> 'contact',
          'null', 'client scope');
SELECT is(algawf.call_action('contacts.find', '{"email": "lucius.fox@wayne-logistics.example"}') -> 'contact', 'null',
          'tenant isolation: a contact of tenant B is not found');
SELECT is(pg_temp.err('contacts.find', '{"contact_id": "0000000b-0004-0000-0000-000000000001", "on_not_found": "error"}'),
          'NOT_FOUND', 'tenant isolation: ... NOT_FOUND with on_not_found: error');
SELECT is(pg_temp.err('contacts.find', '{"phone": "555 0201", "phone_match": "last10"}'), 'VALIDATION_ERROR', 'last10 with 7 digits');
SELECT is(pg_temp.err('contacts.find', '{"phone": "555", "phone_match": "bogus"}'), 'VALIDATION_ERROR', 'unknown phone_match');

-- ---------------------------------------------------------------------------
-- contacts.search

SELECT is(algawf.call_action('contacts.search', '{"query": "doe"}') -> 'first_contact' ->> 'full_name', 'Jane Doe', 'by name');
SELECT is(algawf.call_action('contacts.search', '{"query": "0301"}') -> 'first_contact' ->> 'full_name', 'Peter Gibbons',
          'by phone digits');
SELECT lives_ok($$SELECT pg_temp.run('s1', 'contacts.search', '{"client_id": "0000000a-0003-0000-0000-000000000001", "filters": {"sort_order": "desc"}}')$$,
                'within a client');
SELECT is(pg_temp.got('s1') ->> 'total', '2', 'two contacts at Globex');
SELECT is(pg_temp.got('s1') -> 'contacts' -> 0 ->> 'full_name', 'John Smith', 'sorted by name, descending');
SELECT is(algawf.call_action('contacts.search', '{"query": "pepper"}') ->> 'total', '0', 'tenant B''s contacts are invisible');
SELECT is(pg_temp.err('contacts.search', '{"page": 0}'), 'VALIDATION_ERROR', 'page 0');

-- ---------------------------------------------------------------------------
-- contacts.create

SELECT lives_ok($$SELECT pg_temp.run('c1', 'contacts.create', '{"full_name": "Milton Waddams", "email": "Milton@Initech.example",
    "client_id": "0000000a-0003-0000-0000-000000000002", "role": "Collator",
    "phone_numbers": [{"phone_number": "+1 555 0399"}, {"phone_number": "+1 555 0303", "is_default": true}],
    "tags": ["basement", "stapler"]}')$$, 'contacts.create');
SELECT results_eq(
    $$SELECT full_name, email, client_id, phone_number, role, is_inactive FROM psa.contacts
       WHERE contact_name_id = (pg_temp.got('c1') -> 'contact' ->> 'contact_name_id')::uuid$$,
    $$VALUES ('Milton Waddams', 'milton@initech.example', '0000000a-0003-0000-0000-000000000002'::uuid, '+1 555 0303', 'Collator', false)$$,
    'the contact row (e-mail lower-cased, the default phone number)');
SELECT is((SELECT count(*)::integer FROM psa.tag_mappings
            WHERE tagged_type = 'contact' AND tagged_id = (pg_temp.got('c1') -> 'contact' ->> 'contact_name_id')::uuid), 2, 'tagged');
SELECT is((SELECT count(*)::integer FROM psa.audit_logs WHERE operation = 'workflow_action:contacts.create'), 1, 'audited');
SELECT is(pg_temp.err('contacts.create', '{"full_name": "John Again", "email": "JOHN.SMITH@globex.example"}'), 'CONFLICT',
          'an e-mail address in use');
SELECT is(pg_temp.err('contacts.create', '{"full_name": "X", "client_id": "0000000b-0003-0000-0000-000000000001"}'), 'NOT_FOUND',
          'a client of tenant B');
UPDATE psa.clients SET is_inactive = true WHERE client_id = '0000000a-0003-0000-0000-000000000003';
SELECT is(pg_temp.err('contacts.create', '{"full_name": "X", "client_id": "0000000a-0003-0000-0000-000000000003"}'), 'VALIDATION_ERROR',
          'an archived client');
UPDATE psa.clients SET is_inactive = false WHERE client_id = '0000000a-0003-0000-0000-000000000003';
SELECT is(pg_temp.err('contacts.create', '{"email": "nobody@example.com"}'), 'VALIDATION_ERROR', 'full_name is required');
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000003';     -- tom.tech: contact read only
SELECT is(pg_temp.err('contacts.create', '{"full_name": "X"}'), 'PERMISSION_DENIED', 'a user without contact:create');
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000002';

-- ---------------------------------------------------------------------------
-- contacts.update

SELECT lives_ok($$SELECT pg_temp.run('u1', 'contacts.update', '{"contact_id": "0000000a-0004-0000-0000-000000000002",
    "patch": {"role": "Operations Manager", "phone_number": "+1 555 0299"}}')$$, 'contacts.update');
SELECT results_eq($$SELECT role, phone_number FROM psa.contacts WHERE contact_name_id = '0000000a-0004-0000-0000-000000000002'$$,
                  $$VALUES ('Operations Manager', '+1 555 0299')$$, 'the contact row');
SELECT set_eq($$SELECT jsonb_array_elements_text(pg_temp.got('u1') -> 'changed_fields')$$, ARRAY['role', 'phone_number'], 'changed_fields');
SELECT is(pg_temp.got('u1') -> 'contact_before' ->> 'role', 'Office Manager', 'contact_before');
SELECT is(pg_temp.err('contacts.update', '{"contact_id": "0000000a-0004-0000-0000-000000000002", "patch": {"email": "john.smith@globex.example"}}'),
          'CONFLICT', 'an e-mail address in use');
SELECT is(pg_temp.err('contacts.update', '{"contact_id": "0000000a-0004-0000-0000-000000000002", "patch": {"role": "x"},
                                           "expected_updated_at": "2024-01-01T00:00:00Z"}'), 'CONFLICT', 'a stale expected_updated_at');
SELECT is(pg_temp.err('contacts.update', '{"contact_id": "0000000b-0004-0000-0000-000000000001", "patch": {"role": "x"}}'),
          'NOT_FOUND', 'a contact of tenant B');
SELECT is(pg_temp.err('contacts.update', '{"contact_id": "0000000a-0004-0000-0000-000000000002", "patch": {"shoe_size": 9}}'),
          'VALIDATION_ERROR', 'an unknown field');

-- ---------------------------------------------------------------------------
-- contacts.deactivate

INSERT INTO psa.users (tenant, user_id, username, user_type, contact_id) VALUES
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0001-0000-0000-0000000000c4', 'bill.portal', 'client',
     '0000000a-0004-0000-0000-000000000004');
SELECT lives_ok($$SELECT pg_temp.run('x1', 'contacts.deactivate', '{"contact_id": "0000000a-0004-0000-0000-000000000004", "reason": "left"}')$$,
                'contacts.deactivate');
SELECT is((SELECT is_inactive FROM psa.contacts WHERE contact_name_id = '0000000a-0004-0000-0000-000000000004'), true, 'the contact is inactive');
SELECT is((SELECT is_inactive FROM psa.users WHERE user_id = '0000000a-0001-0000-0000-0000000000c4'), true, 'its portal user too');
SELECT is(pg_temp.got('x1') ->> 'users_deactivated', '1', 'users_deactivated');
SELECT is(algawf.call_action('contacts.deactivate', '{"contact_id": "0000000a-0004-0000-0000-000000000004"}') -> 'noop', 'true',
          'deactivating again is a no-op');
SELECT is(pg_temp.err('contacts.deactivate', '{"contact_id": "0000000b-0004-0000-0000-000000000002"}'), 'NOT_FOUND', 'a contact of tenant B');
SELECT is(pg_temp.err('contacts.deactivate', '{"contact_id": "bill"}'), 'VALIDATION_ERROR', 'not a uuid');

-- ---------------------------------------------------------------------------
-- contacts.duplicate

SELECT lives_ok($$SELECT pg_temp.run('d1', 'contacts.duplicate', '{"source_contact_id": "0000000a-0004-0000-0000-000000000003",
    "email": "peter@globex.example", "target_client_id": "0000000a-0003-0000-0000-000000000001"}')$$, 'contacts.duplicate');
SELECT results_eq(
    $$SELECT full_name, email, client_id, phone_number, role FROM psa.contacts
       WHERE contact_name_id = (pg_temp.got('d1') -> 'duplicate_contact' ->> 'contact_name_id')::uuid$$,
    $$VALUES ('Peter Gibbons', 'peter@globex.example', '0000000a-0003-0000-0000-000000000001'::uuid, '+1 555 0301', 'Software Engineer')$$,
    'the copy, under the target client');
SELECT is(pg_temp.err('contacts.duplicate', '{"source_contact_id": "0000000a-0004-0000-0000-000000000003", "email": "peter.gibbons@initech.example"}'),
          'CONFLICT', 'the source''s e-mail address');
SELECT is(pg_temp.err('contacts.duplicate', '{"source_contact_id": "0000000a-0004-0000-0000-000000000003"}'), 'VALIDATION_ERROR',
          'a new e-mail address is required');
SELECT is(pg_temp.err('contacts.duplicate', '{"source_contact_id": "0000000b-0004-0000-0000-000000000001", "email": "l@x.example"}'),
          'NOT_FOUND', 'a source contact of tenant B');

-- ---------------------------------------------------------------------------
-- contacts.add_tag

SELECT lives_ok($$SELECT pg_temp.run('t1', 'contacts.add_tag', '{"contact_id": "0000000a-0004-0000-0000-000000000001", "tags": ["Decision-Maker", "newsletter"]}')$$,
                'contacts.add_tag');
SELECT is(pg_temp.got('t1') ->> 'added_count', '2', 'two tags added');
SELECT is((SELECT count(*)::integer FROM psa.tag_definitions WHERE tagged_type = 'contact' AND tag_text IN ('Decision-Maker', 'newsletter')), 2,
          'missing tag definitions are created');
SELECT is(algawf.call_action('contacts.add_tag', '{"contact_id": "0000000a-0004-0000-0000-000000000001", "tags": ["decision-maker", "NEWSLETTER"]}') ->> 'existing_count',
          '2', 'adding them again: existing');
SELECT is((SELECT count(*)::integer FROM psa.tag_mappings WHERE tagged_id = '0000000a-0004-0000-0000-000000000001'), 2, '... mapped once');
SELECT is(algawf.call_action('contacts.search', '{"filters": {"tags": ["newsletter"]}}') ->> 'total', '1', 'contacts.search by tag');
SELECT is(pg_temp.err('contacts.add_tag', '{"contact_id": "0000000a-0004-0000-0000-0000000000ff", "tags": ["x"]}'), 'NOT_FOUND', 'an unknown contact');
SELECT is(pg_temp.err('contacts.add_tag', '{"contact_id": "0000000a-0004-0000-0000-000000000001", "tags": ["x", ""]}'), 'VALIDATION_ERROR', 'an empty tag');

-- ---------------------------------------------------------------------------
-- contacts.delete (contact:delete: alice.admin)

SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000001';
SELECT pg_temp.run('z0', 'contacts.create', '{"full_name": "Temp Person", "email": "temp@example.com", "tags": ["temp"]}');
SELECT pg_temp.run('z0n', 'contacts.add_note', format('{"contact_id": "%s", "body": "to be deleted"}', pg_temp.got('z0') -> 'contact' ->> 'contact_name_id')::jsonb);
SELECT lives_ok(format($$SELECT pg_temp.run('z1', 'contacts.delete', '{"contact_id": "%s", "confirm": true}')$$,
                       pg_temp.got('z0') -> 'contact' ->> 'contact_name_id'), 'contacts.delete');
SELECT is(pg_temp.got('z1') -> 'deleted', 'true', 'deleted');
SELECT is((SELECT count(*)::integer FROM psa.contacts WHERE contact_name_id = (pg_temp.got('z0') -> 'contact' ->> 'contact_name_id')::uuid), 0, 'the row is gone');
SELECT is((SELECT count(*)::integer FROM psa.tag_mappings WHERE tagged_id = (pg_temp.got('z0') -> 'contact' ->> 'contact_name_id')::uuid), 0, 'its tags');
SELECT is((SELECT count(*)::integer FROM psa.documents WHERE document_id = (pg_temp.got('z0n') ->> 'document_id')::uuid), 0, 'its notes');
SELECT is(pg_temp.err('contacts.delete', '{"contact_id": "0000000a-0004-0000-0000-000000000001", "confirm": true}'), 'CONFLICT',
          'a contact who is the requester of tickets');
SELECT matches(algawf.try_action('contacts.delete', '{"contact_id": "0000000a-0004-0000-0000-000000000004", "confirm": true}') -> 'error' ->> 'message',
               'comments.*tickets.*users|comments.*users.*tickets|tickets.*comments.*users', 'the error names every dependency');
SELECT is(pg_temp.err('contacts.delete', '{"contact_id": "0000000a-0004-0000-0000-000000000001"}'), 'VALIDATION_ERROR', 'confirm is required');
SELECT is(pg_temp.err('contacts.delete', '{"contact_id": "0000000b-0004-0000-0000-000000000002", "confirm": true}'), 'NOT_FOUND',
          'a contact of tenant B');
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000002';
SELECT is(pg_temp.err('contacts.delete', '{"contact_id": "0000000a-0004-0000-0000-000000000001", "confirm": true}'), 'PERMISSION_DENIED',
          'a user without contact:delete');

-- ---------------------------------------------------------------------------
-- contacts.assign_to_ticket (ticket:update + contact:read)

SELECT lives_ok($$SELECT pg_temp.run('a1', 'contacts.assign_to_ticket', '{"contact_id": "0000000a-0004-0000-0000-000000000001",
    "ticket_id": "0000000a-0009-0000-0000-000000000001"}')$$, 'contacts.assign_to_ticket');
SELECT results_eq($$SELECT contact_name_id, client_id, status_id, assigned_to FROM psa.tickets WHERE ticket_id = '0000000a-0009-0000-0000-000000000001'$$,
                  $$VALUES ('0000000a-0004-0000-0000-000000000001'::uuid, '0000000a-0003-0000-0000-000000000001'::uuid,
                            '0000000a-0006-0000-0000-000000000001'::uuid, NULL::uuid)$$, 'only the contact changed');
SELECT is(pg_temp.got('a1') ->> 'previous_contact_id', '0000000a-0004-0000-0000-000000000002', 'previous_contact_id');
SELECT is(pg_temp.err('contacts.assign_to_ticket', '{"contact_id": "0000000a-0004-0000-0000-000000000003",
    "ticket_id": "0000000a-0009-0000-0000-000000000001"}'), 'VALIDATION_ERROR', 'a contact of another client');
SELECT is(pg_temp.err('contacts.assign_to_ticket', '{"contact_id": "0000000a-0004-0000-0000-000000000001",
    "ticket_id": "0000000b-0009-0000-0000-000000000001"}'), 'NOT_FOUND', 'a ticket of tenant B');

-- ---------------------------------------------------------------------------
-- contacts.add_note

SELECT lives_ok($$SELECT pg_temp.run('n1', 'contacts.add_note', '{"contact_id": "0000000a-0004-0000-0000-000000000001", "body": "Prefers phone calls."}')$$,
                'contacts.add_note');
SELECT lives_ok($$SELECT pg_temp.run('n2', 'contacts.add_note', '{"contact_id": "0000000a-0004-0000-0000-000000000001", "body": "On leave in August."}')$$,
                'contacts.add_note again');
SELECT is(pg_temp.got('n2') ->> 'document_id', pg_temp.got('n1') ->> 'document_id', 'one notes document');
SELECT results_eq(
    $$SELECT d.content, d.block_data -> 0 -> 'content' -> 0 ->> 'text', d.block_data -> 1 -> 'content' -> 0 ->> 'text',
             c.notes_document_id = d.document_id
        FROM psa.documents d JOIN psa.contacts c ON c.tenant = d.tenant AND c.contact_name_id = '0000000a-0004-0000-0000-000000000001'
       WHERE d.document_id = (pg_temp.got('n1') ->> 'document_id')::uuid$$,
    $$VALUES (E'Prefers phone calls.\n\nOn leave in August.', 'Prefers phone calls.', 'On leave in August.', true)$$,
    'notes are appended, the first one kept as it was');
SELECT is((SELECT count(*)::integer FROM psa.document_associations
            WHERE entity_type = 'contact' AND entity_id = '0000000a-0004-0000-0000-000000000001'), 1, 'associated with the contact');
SELECT is(pg_temp.err('contacts.add_note', '{"contact_id": "0000000b-0004-0000-0000-000000000001", "body": "x"}'), 'NOT_FOUND', 'a contact of tenant B');
SELECT is(pg_temp.err('contacts.add_note', '{"contact_id": "0000000a-0004-0000-0000-000000000001"}'), 'VALIDATION_ERROR', 'body is required');

-- ---------------------------------------------------------------------------
-- contacts.add_interaction (interaction:create + contact:read)

SELECT lives_ok($$SELECT pg_temp.run('i1', 'contacts.add_interaction', '{"contact_id": "0000000a-0004-0000-0000-000000000002",
    "interaction_type_id": "00000000-0000-0000-0001-000000000002", "title": "Sent the printer quote",
    "ticket_id": "0000000a-0009-0000-0000-000000000001", "duration": 5}')$$, 'contacts.add_interaction');
SELECT results_eq(
    $$SELECT contact_name_id, client_id, ticket_id, type_id, user_id, duration FROM psa.interactions
       WHERE interaction_id = (pg_temp.got('i1') ->> 'interaction_id')::uuid$$,
    $$VALUES ('0000000a-0004-0000-0000-000000000002'::uuid, '0000000a-0003-0000-0000-000000000001'::uuid,
              '0000000a-0009-0000-0000-000000000001'::uuid, '00000000-0000-0000-0001-000000000002'::uuid,
              '0000000a-0001-0000-0000-000000000002'::uuid, 5)$$, 'the interaction row (under the contact''s client)');
SELECT is(pg_temp.err('contacts.add_interaction', '{"contact_id": "0000000a-0004-0000-0000-000000000002",
    "interaction_type_id": "00000000-0000-0000-0001-000000000002", "title": "x", "ticket_id": "0000000a-0009-0000-0000-000000000003"}'),
    'VALIDATION_ERROR', 'a ticket of another client');
SELECT is(pg_temp.err('contacts.add_interaction', '{"contact_id": "0000000a-0004-0000-0000-000000000002",
    "interaction_type_id": "00000000-0000-0000-0001-000000000002", "title": "x", "status_id": "0000000a-0006-0000-0000-000000000001"}'),
    'VALIDATION_ERROR', 'a ticket status for an interaction');
SELECT is(pg_temp.err('contacts.add_interaction', '{"contact_id": "0000000a-0004-0000-0000-000000000002",
    "interaction_type_id": "00000000-0000-0000-0001-000000000002", "title": "x", "status_id": "0000000b-0006-0000-0000-000000000011"}'),
    'NOT_FOUND', 'a status of tenant B');

-- ---------------------------------------------------------------------------
-- contacts.add_to_client / contacts.move_to_client (contact:update + client:read)

SELECT pg_temp.run('w0', 'contacts.create', '{"full_name": "Walk-in Customer", "email": "walkin@example.com"}');
SELECT lives_ok(format($$SELECT pg_temp.run('w1', 'contacts.add_to_client', '{"contact_id": "%s", "client_id": "0000000a-0003-0000-0000-000000000002"}')$$,
                       pg_temp.got('w0') -> 'contact' ->> 'contact_name_id'), 'contacts.add_to_client');
SELECT is((SELECT client_id FROM psa.contacts WHERE contact_name_id = (pg_temp.got('w0') -> 'contact' ->> 'contact_name_id')::uuid),
          '0000000a-0003-0000-0000-000000000002'::uuid, 'the contact is under the client');
SELECT is(pg_temp.got('w1') -> 'noop', 'false', 'not a no-op');
SELECT is(algawf.call_action('contacts.add_to_client', format('{"contact_id": "%s", "client_id": "0000000a-0003-0000-0000-000000000002"}',
                                                              pg_temp.got('w0') -> 'contact' ->> 'contact_name_id')::jsonb) -> 'noop',
          'true', 'adding again is a no-op');
SELECT is(pg_temp.err('contacts.add_to_client', '{"contact_id": "0000000a-0004-0000-0000-000000000001", "client_id": "0000000a-0003-0000-0000-000000000002"}'),
          'CONFLICT', 'a contact of another client');
SELECT is(pg_temp.err('contacts.add_to_client', '{"contact_id": "0000000a-0004-0000-0000-000000000001", "client_id": "0000000b-0003-0000-0000-000000000001"}'),
          'NOT_FOUND', 'a client of tenant B');

SELECT lives_ok($$SELECT pg_temp.run('v1', 'contacts.move_to_client', '{"contact_id": "0000000a-0004-0000-0000-000000000003",
    "target_client_id": "0000000a-0003-0000-0000-000000000001", "expected_current_client_id": "0000000a-0003-0000-0000-000000000002"}')$$,
    'contacts.move_to_client');
SELECT is((SELECT client_id FROM psa.contacts WHERE contact_name_id = '0000000a-0004-0000-0000-000000000003'),
          '0000000a-0003-0000-0000-000000000001'::uuid, 'moved');
SELECT is((SELECT client_id FROM psa.tickets WHERE ticket_id = '0000000a-0009-0000-0000-000000000004'),
          '0000000a-0003-0000-0000-000000000002'::uuid, 'their tickets stay with the old client');
SELECT is(pg_temp.err('contacts.move_to_client', '{"contact_id": "0000000a-0004-0000-0000-000000000003",
    "target_client_id": "0000000a-0003-0000-0000-000000000002", "expected_current_client_id": "0000000a-0003-0000-0000-000000000002"}'),
    'CONFLICT', 'expected_current_client_id does not match');
SELECT is(pg_temp.err('contacts.move_to_client', '{"contact_id": "0000000a-0004-0000-0000-000000000003",
    "target_client_id": "0000000b-0003-0000-0000-000000000002"}'), 'NOT_FOUND', 'a target client of tenant B');
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000003';     -- tom.tech: no contact:update
SELECT is(pg_temp.err('contacts.move_to_client', '{"contact_id": "0000000a-0004-0000-0000-000000000003",
    "target_client_id": "0000000a-0003-0000-0000-000000000002"}'), 'PERMISSION_DENIED', 'a user without contact:update');

SELECT * FROM finish();
ROLLBACK;
