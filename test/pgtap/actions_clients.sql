-- clients.* through the dispatcher (algawf.call_action / try_action): permission
-- checks, schema validation and row-level security are all in the path.
BEGIN;
SELECT no_plan();

SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000001';     -- alice.admin

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

SELECT set_eq($$SELECT action_id FROM algawf.actions WHERE family = 'clients'$$,
              ARRAY['clients.find', 'clients.search', 'clients.create', 'clients.update', 'clients.archive', 'clients.delete',
                    'clients.duplicate', 'clients.add_tag', 'clients.assign_to_ticket', 'clients.add_note', 'clients.add_interaction'],
              'the clients family is registered');
SELECT is((SELECT count(*)::integer FROM algawf.actions
            WHERE family = 'clients' AND (category <> 'Clients' OR version <> 1 OR jsonb_array_length(examples) < 1
                                          OR cardinality(permissions) < 1 OR description = '')),
          0, 'every clients action has version 1, category Clients, a description, permissions and an example');

-- every example of the catalog runs on the sample data (each undone afterwards)
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000001';     -- alice.admin
SELECT is(pg_temp.dry(a.action_id, e -> 'input') -> 'error', NULL, format('example %s of %s runs', n, a.action_id))
  FROM algawf.actions a, jsonb_array_elements(a.examples) WITH ORDINALITY AS x (e, n)
 WHERE a.family = 'clients' ORDER BY a.action_id, n;
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000001';

-- ---------------------------------------------------------------------------
-- clients.find

SELECT lives_ok($$SELECT pg_temp.run('f1', 'clients.find', '{"name": "  globex corporation ", "include_primary_contact": true,
                                                           "include_tags": true, "include_locations": true}')$$, 'clients.find by name');
SELECT is(pg_temp.got('f1') -> 'client' ->> 'client_id', '0000000a-0003-0000-0000-000000000001', 'the client');
SELECT is(pg_temp.got('f1') -> 'primary_contact' ->> 'full_name', 'John Smith', 'its primary contact');
SELECT is(pg_temp.got('f1') -> 'locations' -> 0 ->> 'city', 'Springfield', 'its location');
SELECT is(algawf.call_action('clients.find', '{"client_id": "0000000b-0003-0000-0000-000000000001"}') -> 'client', 'null',
          'tenant isolation: a client of tenant B is not found');
SELECT is(pg_temp.err('clients.find', '{"client_id": "0000000b-0003-0000-0000-000000000001", "on_not_found": "error"}'),
          'NOT_FOUND', 'tenant isolation: ... NOT_FOUND with on_not_found: error');
SELECT is(pg_temp.err('clients.find', '{"external_ref": "has spaces"}'), 'VALIDATION_ERROR', 'a malformed external_ref');
SELECT is(pg_temp.err('clients.find', '{"include_tags": true}'), 'VALIDATION_ERROR', 'no identifier');

-- ---------------------------------------------------------------------------
-- clients.search

SELECT lives_ok($$SELECT pg_temp.run('s1', 'clients.search', '{"query": "tech"}')$$, 'clients.search');
SELECT is(pg_temp.got('s1') ->> 'total', '1', 'one match');
SELECT is(pg_temp.got('s1') -> 'first_client' ->> 'client_name', 'Initech', 'Initech');
SELECT lives_ok($$SELECT pg_temp.run('s2', 'clients.search', '{"page": 2, "page_size": 1, "filters": {"sort_by": "name", "sort_order": "desc"}}')$$,
                'clients.search, paged and sorted');
SELECT is(pg_temp.got('s2') -> 'clients' -> 0 ->> 'client_name', 'Initech', 'second page of name desc');
SELECT is(pg_temp.got('s2') ->> 'total', '3', 'total over all pages (tenant A only)');
SELECT is(pg_temp.got('s2') -> 'has_more', 'true', 'has_more');
SELECT is(algawf.call_action('clients.search', '{"query": "Wayne"}') ->> 'total', '0', 'tenant B''s clients are invisible');
SELECT is(pg_temp.err('clients.search', '{"page_size": 101}'), 'VALIDATION_ERROR', 'page_size over 100');
SELECT is(pg_temp.err('clients.search', '{"filters": {"sort_by": "size"}}'), 'VALIDATION_ERROR', 'unknown sort_by');

-- ---------------------------------------------------------------------------
-- clients.create

SELECT lives_ok($$SELECT pg_temp.run('c1', 'clients.create', '{
    "client_name": "Vandelay Industries", "url": "https://vandelay.example", "email": "ap@vandelay.example",
    "address": "129 West 81st Street", "city": "New York", "state": "NY", "zip": "10024", "country_code": "us",
    "phone_no": "+1 555 0900", "account_manager_id": "0000000a-0001-0000-0000-000000000005",
    "properties": {"industry": "Import/Export"}, "external_ref": "crm-42", "tags": ["managed", "new"]}')$$, 'clients.create');
SELECT results_eq(
    $$SELECT client_name, url, billing_email, account_manager_id, properties, is_inactive
        FROM psa.clients WHERE client_id = (pg_temp.got('c1') -> 'client' ->> 'client_id')::uuid$$,
    $$VALUES ('Vandelay Industries', 'https://vandelay.example', 'ap@vandelay.example', '0000000a-0001-0000-0000-000000000005'::uuid,
              '{"industry": "Import/Export", "external_ref": "crm-42"}'::jsonb, false)$$,
    'the client row');
SELECT results_eq(
    $$SELECT location_id, address_line1, city, country_code, phone, is_default FROM psa.client_locations
       WHERE client_id = (pg_temp.got('c1') -> 'client' ->> 'client_id')::uuid$$,
    $$SELECT (pg_temp.got('c1') ->> 'location_id')::uuid, '129 West 81st Street', 'New York', 'US', '+1 555 0900', true$$,
    'its default location');
SELECT is(jsonb_array_length(pg_temp.got('c1') -> 'tags'), 2, 'two tags');
SELECT is((SELECT count(*)::integer FROM psa.audit_logs WHERE operation = 'workflow_action:clients.create'), 1, 'audited');
SELECT is(algawf.call_action('clients.find', '{"external_ref": "crm-42"}') -> 'client' ->> 'client_name', 'Vandelay Industries',
          'clients.find by external_ref');
SELECT is(pg_temp.err('clients.create', '{"client_name": "GLOBEX corporation"}'), 'CONFLICT', 'a name in use (case-insensitive)');
SELECT is(pg_temp.err('clients.create', '{"client_name": "Wayne Logistics"}') IS NULL, true,
          'a name used only by tenant B is free');
SELECT is(pg_temp.err('clients.create', '{"client_name": "X Corp", "email": "not-an-address"}'), 'VALIDATION_ERROR', 'a bad e-mail');
SELECT is(pg_temp.err('clients.create', '{"client_name": "Y Corp", "account_manager_id": "0000000b-0001-0000-0000-000000000005"}'),
          'NOT_FOUND', 'an account manager of tenant B');
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000002';     -- dan.dispatch: client read only
SELECT is(pg_temp.err('clients.create', '{"client_name": "Z Corp"}'), 'PERMISSION_DENIED', 'a user without client:create');
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000001';

-- ---------------------------------------------------------------------------
-- clients.update

SELECT lives_ok($$SELECT pg_temp.run('u1', 'clients.update', '{"client_id": "0000000a-0003-0000-0000-000000000002",
    "patch": {"email": "finance@initech.example", "city": "Round Rock", "properties": {"size": 90}}}')$$, 'clients.update');
SELECT results_eq(
    $$SELECT billing_email, properties FROM psa.clients WHERE client_id = '0000000a-0003-0000-0000-000000000002'$$,
    $$VALUES ('finance@initech.example', '{"industry": "Software", "size": 90}'::jsonb)$$, 'the client row (properties merged)');
SELECT is((SELECT city FROM psa.client_locations WHERE location_id = '0000000a-000b-0000-0000-000000000002'), 'Round Rock',
          'the default location');
SELECT set_eq($$SELECT jsonb_array_elements_text(pg_temp.got('u1') -> 'changed_fields')$$,
              ARRAY['billing_email', 'properties', 'location'], 'changed_fields');
SELECT is(pg_temp.got('u1') -> 'client_before' ->> 'billing_email', 'billing@initech.example', 'client_before');
SELECT is(pg_temp.err('clients.update', '{"client_id": "0000000a-0003-0000-0000-000000000002", "patch": {"client_name": "Globex Corporation"}}'),
          'CONFLICT', 'renaming to a name in use');
SELECT is(pg_temp.err('clients.update', '{"client_id": "0000000a-0003-0000-0000-000000000002", "patch": {"notes": "x"},
                                          "expected_updated_at": "2024-01-01T00:00:00Z"}'), 'CONFLICT', 'a stale expected_updated_at');
SELECT is(pg_temp.err('clients.update', '{"client_id": "0000000b-0003-0000-0000-000000000002", "patch": {"notes": "x"}}'),
          'NOT_FOUND', 'a client of tenant B');
SELECT is(pg_temp.err('clients.update', '{"client_id": "0000000a-0003-0000-0000-000000000002", "patch": {}}'),
          'VALIDATION_ERROR', 'an empty patch');

-- ---------------------------------------------------------------------------
-- clients.archive

INSERT INTO psa.users (tenant, user_id, username, user_type, contact_id) VALUES
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0001-0000-0000-0000000000c5', 'grace.portal', 'client',
     '0000000a-0004-0000-0000-000000000005');
SELECT lives_ok($$SELECT pg_temp.run('a1', 'clients.archive', '{"client_id": "0000000a-0003-0000-0000-000000000003", "reason": "contract ended"}')$$,
                'clients.archive');
SELECT is(pg_temp.got('a1') -> 'archived', 'true', 'archived');
SELECT is((SELECT is_inactive FROM psa.clients WHERE client_id = '0000000a-0003-0000-0000-000000000003'), true, 'the client is inactive');
SELECT is((SELECT is_inactive FROM psa.contacts WHERE contact_name_id = '0000000a-0004-0000-0000-000000000005'), true, 'its contact too');
SELECT is((SELECT is_inactive FROM psa.users WHERE user_id = '0000000a-0001-0000-0000-0000000000c5'), true, 'and its portal user');
SELECT is(algawf.call_action('clients.archive', '{"client_id": "0000000a-0003-0000-0000-000000000003"}') -> 'archived', 'false',
          'archiving again changes nothing');
SELECT is(pg_temp.err('clients.archive', '{"client_id": "0000000b-0003-0000-0000-000000000001"}'), 'NOT_FOUND', 'a client of tenant B');
SELECT is(pg_temp.err('clients.archive', '{"reason": "x"}'), 'VALIDATION_ERROR', 'client_id is required');

-- ---------------------------------------------------------------------------
-- clients.delete

SELECT pg_temp.run('d0', 'clients.create', '{"client_name": "Temp Client", "city": "Nowhere", "tags": ["temp"]}');
SELECT pg_temp.run('d0n', 'clients.add_note', format('{"client_id": "%s", "body": "to be deleted"}', pg_temp.got('d0') -> 'client' ->> 'client_id')::jsonb);
SELECT lives_ok(format($$SELECT pg_temp.run('d1', 'clients.delete', '{"client_id": "%s", "confirm": true}')$$,
                       pg_temp.got('d0') -> 'client' ->> 'client_id'), 'clients.delete');
SELECT is(pg_temp.got('d1') -> 'deleted', 'true', 'deleted');
SELECT is((SELECT count(*)::integer FROM psa.clients WHERE client_id = (pg_temp.got('d0') -> 'client' ->> 'client_id')::uuid), 0, 'the client is gone');
SELECT is((SELECT count(*)::integer FROM psa.client_locations WHERE client_id = (pg_temp.got('d0') -> 'client' ->> 'client_id')::uuid), 0, 'its location');
SELECT is((SELECT count(*)::integer FROM psa.tag_mappings WHERE tagged_id = (pg_temp.got('d0') -> 'client' ->> 'client_id')::uuid), 0, 'its tags');
SELECT is((SELECT count(*)::integer FROM psa.documents WHERE document_id = (pg_temp.got('d0n') ->> 'document_id')::uuid), 0, 'its notes');
SELECT is(pg_temp.err('clients.delete', '{"client_id": "0000000a-0003-0000-0000-000000000001", "confirm": true}'),
          'CONFLICT', 'a client with contacts and tickets');
SELECT matches((algawf.try_action('clients.delete', '{"client_id": "0000000a-0003-0000-0000-000000000001", "confirm": true}') -> 'error' ->> 'message'),
               'contacts.*tickets', '... and the error names them');
SELECT is(pg_temp.err('clients.delete', '{"client_id": "0000000a-0003-0000-0000-000000000001", "confirm": false}'),
          'VALIDATION_ERROR', 'confirm must be true');
SELECT is(algawf.call_action('clients.delete', '{"client_id": "0000000b-0003-0000-0000-000000000002", "confirm": true,
                                                 "on_not_found": "return_false"}') -> 'deleted', 'false',
          'tenant isolation: a client of tenant B is not there to delete');
SELECT is(pg_temp.err('clients.delete', '{"client_id": "0000000b-0003-0000-0000-000000000002", "confirm": true}'),
          'NOT_FOUND', '... NOT_FOUND by default');
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000005';     -- mia.manager: no delete
SELECT is(pg_temp.err('clients.delete', '{"client_id": "0000000a-0003-0000-0000-000000000003", "confirm": true}'),
          'PERMISSION_DENIED', 'a user without client:delete');
SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000001';

-- ---------------------------------------------------------------------------
-- clients.duplicate

SELECT lives_ok($$SELECT pg_temp.run('x1', 'clients.duplicate', '{"source_client_id": "0000000a-0003-0000-0000-000000000001",
    "client_name": "Globex Europe", "copy_locations": true}')$$, 'clients.duplicate');
SELECT results_eq(
    $$SELECT client_name, url, account_manager_id, properties FROM psa.clients
       WHERE client_id = (pg_temp.got('x1') -> 'duplicate_client' ->> 'client_id')::uuid$$,
    $$VALUES ('Globex Europe', 'https://globex.example', '0000000a-0001-0000-0000-000000000005'::uuid,
              '{"industry": "Manufacturing", "size": 250}'::jsonb)$$, 'the copy');
SELECT is(pg_temp.got('x1') ->> 'copied_locations', '1', 'one location copied');
SELECT is((SELECT count(*)::integer FROM psa.client_locations
            WHERE client_id = (pg_temp.got('x1') -> 'duplicate_client' ->> 'client_id')::uuid AND city = 'Springfield'), 1, '... with its address');
SELECT is(pg_temp.err('clients.duplicate', '{"source_client_id": "0000000a-0003-0000-0000-000000000001", "client_name": "initech"}'),
          'CONFLICT', 'a name in use');
SELECT is(pg_temp.err('clients.duplicate', '{"source_client_id": "0000000b-0003-0000-0000-000000000001", "client_name": "Wayne II"}'),
          'NOT_FOUND', 'a source client of tenant B');

-- ---------------------------------------------------------------------------
-- clients.add_tag

SELECT lives_ok($$SELECT pg_temp.run('t1', 'clients.add_tag', '{"client_id": "0000000a-0003-0000-0000-000000000002", "tags": ["VIP", "vip", "Renewal"]}')$$,
                'clients.add_tag');
SELECT is(pg_temp.got('t1') ->> 'added_count', '2', 'two tags added');
SELECT is((SELECT count(*)::integer FROM psa.tag_definitions WHERE tagged_type = 'client' AND tag_text IN ('VIP', 'Renewal')), 2,
          'the tag definitions were created');
SELECT is(algawf.call_action('clients.add_tag', '{"client_id": "0000000a-0003-0000-0000-000000000002", "tags": ["renewal"]}') ->> 'existing_count',
          '1', 'the same tag again is reported as existing');
SELECT is((SELECT count(*)::integer FROM psa.tag_mappings WHERE tagged_id = '0000000a-0003-0000-0000-000000000002'), 2, '... and not mapped twice');
SELECT is(pg_temp.err('clients.add_tag', '{"client_id": "0000000a-0003-0000-0000-0000000000ff", "tags": ["x"]}'), 'NOT_FOUND', 'an unknown client');
SELECT is(pg_temp.err('clients.add_tag', '{"client_id": "0000000a-0003-0000-0000-000000000002", "tags": []}'), 'VALIDATION_ERROR', 'no tags');

-- ---------------------------------------------------------------------------
-- clients.assign_to_ticket

SELECT lives_ok($$SELECT pg_temp.run('g1', 'clients.assign_to_ticket', '{"client_id": "0000000a-0003-0000-0000-000000000002",
    "ticket_id": "0000000a-0009-0000-0000-000000000005", "contact_id": "0000000a-0004-0000-0000-000000000003",
    "reason": "wrong client", "comment": "Moved to Initech."}')$$, 'clients.assign_to_ticket');
SELECT results_eq($$SELECT client_id, contact_name_id FROM psa.tickets WHERE ticket_id = '0000000a-0009-0000-0000-000000000005'$$,
                  $$VALUES ('0000000a-0003-0000-0000-000000000002'::uuid, '0000000a-0004-0000-0000-000000000003'::uuid)$$,
                  'the ticket''s client and contact');
SELECT is(pg_temp.got('g1') ->> 'previous_client_id', '0000000a-0003-0000-0000-000000000003', 'previous_client_id');
SELECT is((SELECT is_internal FROM psa.comments WHERE comment_id = (pg_temp.got('g1') ->> 'comment_id')::uuid), true, 'an internal comment');
SELECT is(algawf.call_action('clients.assign_to_ticket', '{"client_id": "0000000a-0003-0000-0000-000000000001",
          "ticket_id": "0000000a-0009-0000-0000-000000000005"}') -> 'current_contact_id', 'null',
          'a contact of the old client is cleared');
SELECT is(pg_temp.err('clients.assign_to_ticket', '{"client_id": "0000000a-0003-0000-0000-000000000001",
    "ticket_id": "0000000a-0009-0000-0000-000000000005", "contact_id": "0000000a-0004-0000-0000-000000000004"}'),
    'VALIDATION_ERROR', 'a contact of another client');
SELECT is(pg_temp.err('clients.assign_to_ticket', '{"client_id": "0000000a-0003-0000-0000-000000000001",
    "ticket_id": "0000000b-0009-0000-0000-000000000001"}'), 'NOT_FOUND', 'a ticket of tenant B');

-- ---------------------------------------------------------------------------
-- clients.add_note

SELECT lives_ok($$SELECT pg_temp.run('n1', 'clients.add_note', '{"client_id": "0000000a-0003-0000-0000-000000000001", "body": "Renewal call booked."}')$$,
                'clients.add_note');
SELECT lives_ok($$SELECT pg_temp.run('n2', 'clients.add_note', '{"client_id": "0000000a-0003-0000-0000-000000000001", "body": "Renewal signed."}')$$,
                'clients.add_note again');
SELECT is(pg_temp.got('n1') -> 'created_document', 'true', 'the first note creates the notes document');
SELECT is(pg_temp.got('n2') ->> 'document_id', pg_temp.got('n1') ->> 'document_id', 'the second appends to it');
SELECT is(pg_temp.got('n2') ->> 'note_count', '2', 'two notes');
SELECT results_eq(
    $$SELECT d.content, jsonb_array_length(d.block_data), c.notes_document_id = d.document_id
        FROM psa.documents d JOIN psa.clients c ON c.tenant = d.tenant AND c.client_id = '0000000a-0003-0000-0000-000000000001'
       WHERE d.document_id = (pg_temp.got('n1') ->> 'document_id')::uuid$$,
    $$VALUES (E'Renewal call booked.\n\nRenewal signed.', 2, true)$$, 'the notes document');
SELECT is(pg_temp.err('clients.add_note', '{"client_id": "0000000b-0003-0000-0000-000000000001", "body": "x"}'), 'NOT_FOUND', 'a client of tenant B');
SELECT is(pg_temp.err('clients.add_note', '{"client_id": "0000000a-0003-0000-0000-000000000001", "body": ""}'), 'VALIDATION_ERROR', 'an empty note');

-- ---------------------------------------------------------------------------
-- clients.add_interaction (interaction:create + client:read)

SET LOCAL algawf."user" = '0000000a-0001-0000-0000-000000000002';     -- dan.dispatch
SELECT lives_ok($$SELECT pg_temp.run('i1', 'clients.add_interaction', '{"client_id": "0000000a-0003-0000-0000-000000000001",
    "type_id": "00000000-0000-0000-0001-000000000001", "contact_id": "0000000a-0004-0000-0000-000000000001",
    "title": "Quarterly review call", "start_time": "2024-03-05T15:00:00Z", "end_time": "2024-03-05T15:30:00Z"}')$$,
    'clients.add_interaction');
SELECT results_eq(
    $$SELECT client_id, contact_name_id, user_id, title, duration, status_id FROM psa.interactions
       WHERE interaction_id = (pg_temp.got('i1') ->> 'interaction_id')::uuid$$,
    $$VALUES ('0000000a-0003-0000-0000-000000000001'::uuid, '0000000a-0004-0000-0000-000000000001'::uuid,
              '0000000a-0001-0000-0000-000000000002'::uuid, 'Quarterly review call', 30, '0000000a-0006-0000-0000-000000000011'::uuid)$$,
    'the interaction row (owner: the actor, duration from the times, default status)');
SELECT is(pg_temp.got('i1') ->> 'interaction_date', '2024-03-05T15:00:00.000000Z', 'interaction_date defaults to start_time');
SELECT is(pg_temp.err('clients.add_interaction', '{"client_id": "0000000a-0003-0000-0000-000000000001",
    "type_id": "00000000-0000-0000-0001-000000000001", "contact_id": "0000000a-0004-0000-0000-000000000003", "title": "x"}'),
    'VALIDATION_ERROR', 'a contact of another client');
SELECT is(pg_temp.err('clients.add_interaction', '{"client_id": "0000000a-0003-0000-0000-000000000001",
    "type_id": "0000000a-000f-0000-0000-0000000000ff", "title": "x"}'), 'NOT_FOUND', 'an unknown interaction type');
SELECT is(pg_temp.err('clients.add_interaction', '{"client_id": "0000000a-0003-0000-0000-000000000001", "title": "x"}'),
          'VALIDATION_ERROR', 'no type');
SET LOCAL algawf."user" = '0000000b-0001-0000-0000-000000000001';     -- bob.admin of tenant B
SELECT is(pg_temp.err('clients.add_interaction', '{"client_id": "0000000a-0003-0000-0000-000000000001",
    "type_id": "00000000-0000-0000-0001-000000000001", "title": "x"}'), 'PERMISSION_DENIED', 'a user of another tenant has no permissions here');

SELECT * FROM finish();
ROLLBACK;
