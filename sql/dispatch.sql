-- The action registry and dispatcher: register_action and its refusals,
-- call_action / try_action, error model, secrets, redaction, idempotency,
-- permissions, families, integrations, row-level security inside actions,
-- catalog and search.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS algawf CASCADE;
DROP EXTENSION IF EXISTS algawf_psa CASCADE;
DROP SCHEMA IF EXISTS regress_actions CASCADE;
DROP ROLE IF EXISTS regress_dispatch_admin;
CREATE EXTENSION algawf CASCADE;
RESET client_min_messages;
SELECT length(psa.load_sample_data()) > 0 AS sample_data_loaded;
SET algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SET algawf."user" = '0000000a-0001-0000-0000-000000000001';

-- the shipped catalog
SELECT c.family, count(*) AS actions, bool_and(c.available) AS available, bool_and(a.shipped) AS shipped
  FROM algawf.catalog c JOIN algawf.actions a USING (action_id, version)
 WHERE c.family = 'transform' GROUP BY c.family;

-- built-in transforms through the dispatcher
SELECT algawf.call_action('transform.concat_text', '{"values": ["Ticket", 42, true, null], "separator": " "}');
SELECT algawf.call_action('transform.split_text', '{"text": "a,,b", "delimiter": ",", "removeEmpty": true}');
SELECT algawf.call_action('transform.regex_replace', '{"text": "2024-05-01", "pattern": "(\\d+)-(\\d+)-(\\d+)", "replacement": "$3/$2/$1"}');
SELECT algawf.call_action('transform.pick_fields', '{"source": {"a": 1, "b": 2}, "fields": ["b"]}');

-- failures raise with SQLSTATE by category, the code in DETAIL, the remedy in HINT
SELECT algawf.call_action('transform.split_text', '{"text": "a"}');
SELECT algawf.call_action('transform.parse_json', '{"source": "{oops"}');
SELECT algawf.call_action('transform.regex_match', '{"text": "x", "pattern": "x", "requireMatch": false, "flags": "y"}');
SELECT algawf.call_action('transform.nope', '{}');
-- try_action returns the error instead
SELECT algawf.try_action('transform.regex_match', '{"text": "abc", "pattern": "z", "requireMatch": true}') - 'invocationId';

-- SQL actions: a scratch schema the service role may use
CREATE SCHEMA regress_actions;
GRANT USAGE ON SCHEMA regress_actions TO algawf_service;
CREATE TABLE regress_actions.notes (n serial PRIMARY KEY, tenant uuid NOT NULL, body text NOT NULL UNIQUE);
GRANT ALL ON regress_actions.notes TO algawf_service;
GRANT USAGE ON SEQUENCE regress_actions.notes_n_seq TO algawf_service;
CREATE FUNCTION regress_actions.add_note(ctx jsonb, input jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    id int;
BEGIN
    INSERT INTO regress_actions.notes (tenant, body) VALUES ((ctx ->> 'tenantId')::uuid, input ->> 'body')
    RETURNING n INTO id;
    RETURN jsonb_build_object('note_id', id, 'body', input ->> 'body');
END
$$;
CREATE FUNCTION regress_actions.count_tickets(ctx jsonb, input jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('tickets', count(*), 'tenants', count(DISTINCT tenant), 'role', current_user::text)
      FROM psa.tickets
$$;

SELECT algawf.register_action($def${
  "id": "regress.add_note", "version": 1, "label": "Add note", "category": "Regress",
  "description": "Adds a note (side effect, needs client:update).",
  "inputSchema": {"type": "object", "required": ["body"], "properties": {"body": {"type": "string", "minLength": 1}, "api_token": {}}},
  "outputSchema": {"type": "object", "required": ["note_id"], "properties": {"note_id": {"type": "integer"}}},
  "permissions": ["client:update"], "sideEffectful": true, "redact": ["body"],
  "retryHint": {"retryable": false},
  "examples": [{"input": {"body": "hello"}, "output": {"note_id": 1, "body": "hello"}}],
  "implementation": {"kind": "sql", "function": "regress_actions.add_note"}
}$def$);
SELECT algawf.register_action($def${
  "id": "regress.count_tickets", "version": 1, "label": "Count tickets", "category": "Regress",
  "inputSchema": {"type": "object"}, "outputSchema": {"type": "object"}, "sideEffectful": false,
  "implementation": {"kind": "sql", "function": "regress_actions.count_tickets"}
}$def$);

-- refusals
SELECT algawf.register_action('{"id": "regress.count_tickets", "version": 1, "label": "x", "category": "x",
  "inputSchema": {}, "outputSchema": {}, "sideEffectful": false,
  "implementation": {"kind": "sql", "function": "regress_actions.count_tickets"}}');
SELECT algawf.register_action('{"id": "regress.bad", "label": "x", "category": "x",
  "inputSchema": {"type": "object", "properties": {"when": {"type": "string", "format": "phone"}}},
  "outputSchema": {}, "sideEffectful": false, "implementation": {"kind": "builtin", "name": "transform.build_array"}}');
SELECT algawf.register_action('{"id": "regress.bad", "label": "x", "category": "x", "inputSchema": {}, "outputSchema": {},
  "sideEffectful": false, "implementation": {"kind": "lambda"}}');
SELECT algawf.register_action('{"id": "regress.bad", "label": "x", "category": "x", "inputSchema": {}, "outputSchema": {},
  "sideEffectful": false, "implementation": {"kind": "sql", "function": "regress_actions.nope"}}');
SELECT algawf.register_action('{"id": "regress.bad", "label": "x", "category": "x", "inputSchema": {}, "outputSchema": {},
  "sideEfectful": false, "implementation": {"kind": "builtin", "name": "transform.build_array"}}');
SELECT algawf.register_action('{"id": "regress.bad", "label": "x", "category": "x", "inputSchema": {}, "outputSchema": {},
  "sideEffectful": true, "permissions": ["tickets"], "implementation": {"kind": "builtin", "name": "transform.build_array"}}');

-- a call, its invocation row (redacted) and its audit row
SELECT algawf.call_action('regress.add_note', '{"body": "printer on fire", "api_token": "t0k3n"}', idempotency_key => 'note-1');
SELECT status, idempotency_key, input, output, error_code
  FROM algawf.workflow_action_invocations WHERE action_id = 'regress.add_note';
SELECT outcome, actor, target_ids, step_path FROM algawf.audit_log WHERE action_id = 'regress.add_note';

-- the same key replays: no second note
SELECT algawf.try_action('regress.add_note', '{"body": "printer on fire"}', idempotency_key => 'note-1') - 'invocationId';
SELECT count(*) AS notes FROM regress_actions.notes;

-- SQL errors map by SQLSTATE: a duplicate body is a unique_violation
SELECT algawf.call_action('regress.add_note', '{"body": "printer on fire"}');
SELECT algawf.call_action('regress.add_note', '{"body": ""}');

-- permissions: Tom is a technician without client:update
SET algawf."user" = '0000000a-0001-0000-0000-000000000003';
SELECT algawf.call_action('regress.add_note', '{"body": "from tom"}');
SET algawf."user" = '0000000a-0001-0000-0000-000000000001';

-- row-level security inside the action: only the current tenant's tickets
SELECT algawf.call_action('regress.count_tickets', '{}');

-- secrets
SELECT algawf.set_secret('SMTP_PASSWORD', 'hunter2-hunter2');
SELECT name, last_used_at IS NULL AS unused FROM algawf.secrets;
SELECT position(convert_to('hunter2', 'UTF8') IN value) AS found_in_clear FROM algawf.tenant_secrets;
SELECT algawf.call_action('transform.concat_text', '{"values": ["pw=", {"$secret": "SMTP_PASSWORD"}]}');
SELECT input, output FROM algawf.workflow_action_invocations
 WHERE action_id = 'transform.concat_text' AND input::text LIKE '%pw=%';
SELECT algawf.call_action('transform.concat_text', '{"values": [{"$secret": "NOT_SET"}]}');
CREATE ROLE regress_dispatch_admin IN ROLE algawf_admin;
SELECT algawf.add_tenant_member('00000000-0000-0000-0000-00000000000a', 'regress_dispatch_admin');
SET ROLE regress_dispatch_admin;
SELECT name FROM algawf.secrets;
SELECT value FROM algawf.tenant_secrets;
SELECT * FROM algawf.secret_keys;
RESET ROLE;
SELECT algawf.delete_secret('SMTP_PASSWORD');

-- redaction as the dispatcher applies it
SELECT algawf.redact('{"to": [{"email": "a@example.com"}], "auth": {"api_key": "k"}, "s": {"$secret": "X"}}', ARRAY['to.email']);

-- families
SELECT algawf.set_family_enabled('regress', false);
SELECT algawf.call_action('regress.count_tickets', '{}');
SELECT action_id, available, unavailable_reason FROM algawf.catalog WHERE family = 'regress' ORDER BY 1;
SELECT algawf.set_family_enabled('regress', true);
\set VERBOSITY terse
SELECT algawf.set_family_enabled('nonesuch', true);
\set VERBOSITY default

-- integrations: fail closed
SELECT algawf.register_action('{"id": "huntress.regress_probe", "label": "Probe", "category": "Security",
  "inputSchema": {}, "outputSchema": {}, "sideEffectful": false, "availability": {"integration": "huntress"},
  "implementation": {"kind": "builtin", "name": "transform.build_array"}}');
SELECT algawf.call_action('huntress.regress_probe', '{}');
SELECT algawf.set_integration_active('huntress', true, 'configured outside the PSA');
SELECT algawf.call_action('huntress.regress_probe', '{}');
SELECT integration, active, decided_by, note, 'huntress.regress_probe' = ANY (actions) AS needed_by_probe
  FROM algawf.integration_status WHERE integration = 'huntress';

-- search
SELECT action_id, label FROM algawf.search_actions('split text') LIMIT 1;
SELECT action_id FROM algawf.search_actions('note') WHERE action_id LIKE 'regress.%';

-- leave the database as found
SET client_min_messages = warning;
RESET algawf."user";
RESET algawf.tenant;
DROP SCHEMA regress_actions CASCADE;
DROP EXTENSION algawf CASCADE;
DROP EXTENSION algawf_psa CASCADE;
DROP EXTENSION IF EXISTS pgcrypto;
DROP ROLE regress_dispatch_admin;
RESET client_min_messages;
