-- The dispatcher and the registry: registration checks, secrets, redaction,
-- idempotency, permissions, families, integrations, row-level security inside
-- SQL actions, error mapping, timeouts, audit, catalog and search.
BEGIN;
SELECT * FROM no_plan();

SELECT ok(psa.load_sample_data() IS NOT NULL, 'sample data loaded');
SELECT is(set_config('algawf.tenant', '00000000-0000-0000-0000-00000000000a', true),
          '00000000-0000-0000-0000-00000000000a', 'acting for tenant A');
SELECT is(set_config('algawf.user', '0000000a-0001-0000-0000-000000000001', true),
          '0000000a-0001-0000-0000-000000000001', 'as Alice (Admin)');

-- ---------------------------------------------------------------------------
-- fixtures: SQL actions in a scratch schema
CREATE SCHEMA disp;
GRANT USAGE ON SCHEMA disp TO algawf_service;
CREATE TABLE disp.effects (n serial PRIMARY KEY, tenant uuid NOT NULL, note text);
GRANT ALL ON disp.effects TO algawf_service;
GRANT USAGE ON SEQUENCE disp.effects_n_seq TO algawf_service;
CREATE TABLE disp.switch (fail boolean NOT NULL);
INSERT INTO disp.switch VALUES (false);
GRANT SELECT ON disp.switch TO algawf_service;

CREATE FUNCTION disp.bump(ctx jsonb, input jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    k int;
BEGIN
    IF (SELECT fail FROM disp.switch) THEN
        RAISE EXCEPTION 'switched off' USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO disp.effects (tenant, note) VALUES ((ctx ->> 'tenantId')::uuid, input ->> 'note') RETURNING n INTO k;
    RETURN jsonb_build_object('effect_id', k, 'note', input ->> 'note', 'echo', input, 'ran_as', current_user::text,
                              'key', ctx ->> 'idempotencyKey', 'actor', ctx ->> 'actorUserId');
END
$$;
CREATE FUNCTION disp.peek(ctx jsonb, input jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('tickets', (SELECT count(*) FROM psa.tickets),
                              'foreign', (SELECT count(*) FROM psa.tickets WHERE tenant <> (ctx ->> 'tenantId')::uuid),
                              'ran_as', current_user::text)
$$;
CREATE FUNCTION disp.raise(ctx jsonb, input jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO disp.effects (tenant, note) VALUES ((ctx ->> 'tenantId')::uuid, 'rolled back');
    IF input ? 'sleep' THEN
        PERFORM pg_sleep((input ->> 'sleep')::float8);
    END IF;
    IF input ? 'tenant' THEN
        PERFORM set_config('algawf.tenant', input ->> 'tenant', true);
    END IF;
    IF input ? 'role' THEN
        EXECUTE 'SET ROLE ' || (input ->> 'role');
    END IF;
    IF input ? 'write_b' THEN
        UPDATE psa.tickets SET title = 'hijacked' WHERE tenant = '00000000-0000-0000-0000-00000000000b';
        INSERT INTO disp.effects (tenant, note) VALUES ('00000000-0000-0000-0000-00000000000b', 'ok');
        INSERT INTO psa.tag_definitions (tenant, tag_text, tagged_type)
        VALUES ('00000000-0000-0000-0000-00000000000b', 'planted', 'ticket');
    END IF;
    IF input ? 'sqlstate' THEN
        RAISE EXCEPTION 'failed with %', input ->> 'message' USING ERRCODE = input ->> 'sqlstate';
    END IF;
    IF input ? 'output' THEN
        RETURN input -> 'output';
    END IF;
    RETURN '{}';
END
$$;
CREATE FUNCTION disp.wrong_args(a jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT a $$;
CREATE FUNCTION disp.definer(ctx jsonb, input jsonb) RETURNS jsonb LANGUAGE sql SECURITY DEFINER AS $$ SELECT '{}'::jsonb $$;
CREATE FUNCTION disp.private(ctx jsonb, input jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
REVOKE ALL ON FUNCTION disp.private(jsonb, jsonb) FROM PUBLIC;

-- a definition builder
CREATE FUNCTION pg_temp.def(id text, fn text, extra jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('id', id, 'version', 1, 'label', initcap(replace(id, '.', ' ')), 'category', 'Test',
                              'description', 'test action ' || id,
                              'inputSchema', '{"type": "object"}'::jsonb, 'outputSchema', '{"type": "object"}'::jsonb,
                              'sideEffectful', false,
                              'implementation', jsonb_build_object('kind', 'sql', 'function', fn)) || extra
$$;
-- SQLSTATE, message and detail of an error, or 'ok'
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    m text;
    d text;
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS OR query_canceled THEN
    GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ' ' || m || coalesce(' | ' || d, '');
END
$$;
-- run a query as another role; its single value, or 'ERROR <sqlstate>'
CREATE FUNCTION pg_temp.as_role(r text, q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    res text;
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', r);
    BEGIN
        EXECUTE q INTO res;
    EXCEPTION WHEN OTHERS THEN
        RESET ROLE;
        RETURN 'ERROR ' || SQLSTATE;
    END;
    RESET ROLE;
    RETURN coalesce(res, 'null');
END
$$;
CREATE FUNCTION pg_temp.try(action text, input jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT algawf.try_action(action, input)
$$;
CREATE FUNCTION pg_temp.code(action text, input jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT algawf.try_action(action, input) -> 'error' ->> 'code'
$$;

-- ---------------------------------------------------------------------------
-- register_action: accepted definitions
SELECT is(algawf.register_action(pg_temp.def('disp.bump', 'disp.bump',
            '{"sideEffectful": true, "permissions": ["client:create"], "redact": ["note", "echo.deep[*].pin"],
              "inputSchema": {"type": "object", "properties": {"note": {"type": "string"}}}}')),
          'disp.bump@1', 'register_action returns id@version');
SELECT is(algawf.register_action(pg_temp.def('disp.peek', 'disp.peek(jsonb, jsonb)')), 'disp.peek@1',
          'a function named with its argument types');
SELECT is(algawf.register_action(pg_temp.def('disp.raise', 'disp.raise', '{"sideEffectful": true, "timeoutMs": 5000}')),
          'disp.raise@1', 'a side-effectful action with a timeout');
SELECT is(algawf.register_action(jsonb_build_object(
            'id', 'disp.alga_shape', 'version', 2, 'side_effectful', false,
            'ui', jsonb_build_object('label', 'Alga shaped', 'category', 'Test', 'description', 'ui block'),
            'input_schema', '{"type": "object"}'::jsonb, 'output_schema', '{"type": "object"}'::jsonb,
            'implementation', jsonb_build_object('kind', 'builtin', 'name', 'transform.build_array'))),
          'disp.alga_shape@2', 'snake_case keys and an Alga ui block are accepted');
SELECT is((SELECT label || '/' || category || '/' || family FROM algawf.actions WHERE action_id = 'disp.alga_shape'),
          'Alga shaped/Test/disp', 'label and category come from ui; family from the id');
SELECT is((SELECT shipped FROM algawf.actions WHERE action_id = 'disp.bump'), false, 'user registrations are not shipped');
SELECT is((SELECT bool_and(shipped) FROM algawf.actions WHERE family = 'transform'), true, 'the extension''s own actions are shipped');
SELECT ok((SELECT 'WHERE NOT shipped' = ANY (extcondition) FROM pg_extension WHERE extname = 'algawf'),
          'pg_dump keeps users'' registrations (config dump WHERE NOT shipped)');

-- register_action: refusals
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.bad_schema', 'disp.peek',
                  '{"inputSchema": {"type": "object", "properties": {"x": {"type": "strnig"}}}}'))$$),
               '^22023 .*\| .*/properties/x/type', 'a bad input schema is refused with its schema path');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.bad_out', 'disp.peek',
                  '{"outputSchema": {"type": "object", "required": "x"}}'))$$),
               '^22023 ', 'a bad output schema is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.peek', 'disp.peek'))$$),
               '^23505 action disp.peek version 1 is already registered', 'a duplicate id/version is refused');
SELECT is(algawf.register_action(pg_temp.def('disp.peek', 'disp.peek', '{"description": "replaced"}'), replace => true),
          'disp.peek@1', 'replace => true replaces');
SELECT is((SELECT description FROM algawf.actions WHERE action_id = 'disp.peek'), 'replaced', 'the replacement is stored');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.peek', '{"implementation": {"kind": "python"}}'))$$),
               '^22023 .*unknown implementation kind "python"', 'an unknown implementation kind is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.peek', '{"implementation": {"kind": "builtin", "name": "nope"}}'))$$),
               '^22023 .*unknown builtin "nope"', 'an unknown builtin is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.missing'))$$),
               '^22023 .*function disp.missing\(jsonb, jsonb\) does not exist', 'a missing function is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.wrong_args(jsonb)'))$$),
               '^22023 .*must take exactly \(ctx jsonb, input jsonb\)', 'a function with the wrong signature is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.definer'))$$),
               '^22023 .*SECURITY DEFINER .*bypasses row-level security', 'a SECURITY DEFINER superuser function is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.private'))$$),
               '^22023 .*algawf_service may not execute', 'a function algawf_service cannot execute is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('Disp.X', 'disp.peek'))$$),
               '^22023 .*is not a valid action id', 'a malformed id is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.peek', '{"sideEfectful": true}'))$$),
               '^22023 .*unknown key "sideEfectful"', 'an unknown key is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.peek', '{"permissions": ["ticket"]}'))$$),
               '^22023 .*"ticket" is not a permission', 'a malformed permission is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.peek', '{"redact": ["a[b]"]}'))$$),
               '^22023 .*redact path', 'a malformed redact path is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.peek',
                  '{"inputSchema": {"type": "object", "required": ["a"]}, "examples": [{"input": {}}]}'))$$),
               '^22023 .*example does not match the schema', 'an example that breaks the schema is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.peek', '{"idempotency": {"mode": "actionProvided"}}'))$$),
               '^22023 .*needs a key expression', 'actionProvided without a key expression is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.peek') - 'sideEffectful')$$),
               '^22023 .*"sideEffectful" is required', 'sideEffectful is required');
SELECT matches(pg_temp.err($$SELECT algawf.register_action(pg_temp.def('disp.x', 'disp.peek', '{"availability": {"plan": "pro"}}'))$$),
               '^22023 .*unknown availability key', 'unknown availability conditions are refused');
SELECT is(pg_temp.err($$INSERT INTO algawf.actions (action_id, version) VALUES ('disp.y', 1)$$) ~ '^(42501|23502)', true,
          'the registry table is not written directly');

CREATE ROLE disp_operator;
GRANT algawf_operator TO disp_operator;
SELECT is(pg_temp.as_role('disp_operator', $$SELECT algawf.register_action(pg_temp.def('disp.z', 'disp.peek'))::text$$),
          'ERROR 42501', 'only algawf_admin registers actions');
SELECT is(pg_temp.as_role('disp_operator', $$SELECT count(*)::text FROM algawf.actions WHERE action_id = 'disp.peek'$$),
          '1', 'everyone reads the registry');

-- ---------------------------------------------------------------------------
-- the happy path, idempotent replay, audit
UPDATE disp.switch SET fail = false;
SELECT is(algawf.call_action('disp.bump', '{"note": "first"}', idempotency_key => 'bump-1') ->> 'ran_as',
          'algawf_service', 'SQL actions run as algawf_service');
SELECT is((SELECT count(*) FROM disp.effects WHERE note = 'first'), 1::bigint, 'the side effect happened once');
SELECT is((algawf.try_action('disp.bump', '{"note": "first"}', idempotency_key => 'bump-1') ->> 'replayed')::boolean,
          true, 'the same key replays');
SELECT is((SELECT count(*) FROM disp.effects WHERE note = 'first'), 1::bigint, 'the replay did not run the action again');
SELECT is((algawf.try_action('disp.bump', '{"note": "other input"}', idempotency_key => 'bump-1') -> 'output' ->> 'effect_id')::int,
          (SELECT min(n) FROM disp.effects WHERE note = 'first'), 'a replay returns the stored output, whatever the input');
SELECT is((SELECT count(*) FROM algawf.workflow_action_invocations WHERE action_id = 'disp.bump' AND idempotency_key = 'bump-1'),
          1::bigint, 'one invocation row per key');
SELECT is((SELECT count(*) FROM algawf.audit_log WHERE action_id = 'disp.bump' AND outcome = 'SUCCEEDED'),
          1::bigint, 'one audit row for the side-effectful call (none for replays)');
SELECT is((SELECT target_ids ? 'effect_id' FROM algawf.audit_log WHERE action_id = 'disp.bump' AND outcome = 'SUCCEEDED'),
          true, 'the audit row names the target ids found in the output');
SELECT is((SELECT actor::text || ' ' || step_path FROM algawf.audit_log WHERE action_id = 'disp.bump' AND outcome = 'SUCCEEDED'),
          '0000000a-0001-0000-0000-000000000001 call_action', 'the audit row names the actor and the step');
SELECT is((SELECT count(*) FROM algawf.audit_log WHERE action_id = 'disp.peek'), 0::bigint, 'actions without side effects are not audited');
SELECT is(pg_temp.err($$UPDATE algawf.audit_log SET outcome = 'FAILED'$$) ~ '^42501', true, 'the audit log is append-only');

-- a FAILED attempt keeps the key free for the retry
UPDATE disp.switch SET fail = true;
SELECT is(algawf.try_action('disp.bump', '{"note": "retry me"}', idempotency_key => 'bump-2') -> 'error' ->> 'code',
          'TRANSIENT_FAILURE', 'first attempt fails (serialization_failure)');
SELECT is((algawf.try_action('disp.bump', '{"note": "retry me"}', idempotency_key => 'bump-2') -> 'error' ->> 'retryable')::boolean,
          true, 'transient failures are retryable');
UPDATE disp.switch SET fail = false;
SELECT is((algawf.try_action('disp.bump', '{"note": "retry me"}', idempotency_key => 'bump-2', attempt => 3) ->> 'ok')::boolean,
          true, 'the retry with the same key succeeds');
SELECT is((SELECT string_agg(status || '#' || attempt, ',' ORDER BY started_at) FROM algawf.workflow_action_invocations
            WHERE action_id = 'disp.bump' AND idempotency_key = 'bump-2'),
          'FAILED#1,FAILED#1,SUCCEEDED#3', 'failed attempts and the success share the key');
SELECT is((SELECT count(*) FROM disp.effects WHERE note = 'retry me'), 1::bigint, 'the effect happened once');

-- engine-provided keys: tenant:run:step:action@version:sha256(input)
SELECT is((algawf.try_action('disp.bump', '{"note": "engine"}', run_id => '11111111-1111-1111-1111-111111111111',
                             step_path => 'root.steps[0]') ->> 'ok')::boolean, true, 'a step of a run');
SELECT is((SELECT idempotency_key FROM algawf.workflow_action_invocations WHERE action_id = 'disp.bump' AND run_id IS NOT NULL),
          '00000000-0000-0000-0000-00000000000a:11111111-1111-1111-1111-111111111111:root.steps[0]:disp.bump@1:'
          || encode(sha256(convert_to('{"note": "engine"}'::jsonb::text, 'UTF8')), 'hex'),
          'the engine key');
SELECT is((algawf.try_action('disp.bump', '{"note": "engine"}', run_id => '11111111-1111-1111-1111-111111111111',
                             step_path => 'root.steps[0]') ->> 'replayed')::boolean, true, 'the same step and input replays');
SELECT is((algawf.try_action('disp.bump', '{"note": "engine 2"}', run_id => '11111111-1111-1111-1111-111111111111',
                             step_path => 'root.steps[0]') ->> 'replayed')::boolean, false, 'another input is another call');
SELECT is((SELECT count(*) FROM disp.effects WHERE note LIKE 'engine%'), 2::bigint, 'two effects for two inputs');
SELECT is((algawf.try_action('disp.bump', '{"note": "no run"}') ->> 'ok')::boolean
          AND (algawf.try_action('disp.bump', '{"note": "no run"}') ->> 'replayed')::boolean = false, true,
          'call_action without a run or key does not deduplicate');

-- actionProvided keys (need the expression language)
CREATE FUNCTION pg_temp.action_provided_keys() RETURNS SETOF text LANGUAGE plpgsql AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'eval' AND pronamespace = 'algawf'::regnamespace) THEN
        RETURN NEXT skip('the expression language is not part of this build', 6);
        RETURN;
    END IF;
    RETURN NEXT is(algawf.register_action(pg_temp.def('disp.keyed', 'disp.bump',
                     '{"sideEffectful": true, "idempotency": {"mode": "actionProvided", "key": "''note:'' & note"}}')),
                   'disp.keyed@1', 'an action with its own key expression');
    RETURN NEXT is((algawf.try_action('disp.keyed', '{"note": "k1"}') ->> 'replayed')::boolean, false, 'first call runs');
    RETURN NEXT is((algawf.try_action('disp.keyed', '{"note": "k1", "extra": 1}') ->> 'replayed')::boolean, true,
                   'the same key from another input replays');
    RETURN NEXT is((SELECT idempotency_key FROM algawf.workflow_action_invocations WHERE action_id = 'disp.keyed'), 'note:k1',
                   'the key is the expression''s value');
    RETURN NEXT is((SELECT count(*) FROM disp.effects WHERE note = 'k1'), 1::bigint, 'one effect');
    RETURN NEXT matches(pg_temp.err($q$SELECT algawf.register_action(pg_temp.def('disp.badkey', 'disp.bump',
                          '{"idempotency": {"mode": "actionProvided", "key": "note &"}}'))$q$),
                        '^22023 .*idempotency key expression does not compile.*idempotency.key', 'a key expression that does not compile is refused');
END
$fn$;
SELECT * FROM pg_temp.action_provided_keys();

-- ---------------------------------------------------------------------------
-- permissions
SELECT is(set_config('algawf.user', '0000000a-0001-0000-0000-000000000003', true), '0000000a-0001-0000-0000-000000000003', 'as Tom (Technician)');
SELECT is(pg_temp.code('disp.bump', '{"note": "tom"}'), 'PERMISSION_DENIED', 'an actor without client:create is refused');
SELECT matches(pg_temp.try('disp.bump', '{"note": "tom"}') -> 'error' ->> 'message', 'lacks permission client:create',
               'the message names the permission');
SELECT is((SELECT count(*) FROM disp.effects WHERE note = 'tom'), 0::bigint, 'nothing ran');
SELECT is((SELECT count(*) FROM algawf.audit_log WHERE action_id = 'disp.bump' AND error_code = 'PERMISSION_DENIED') > 0, true,
          'refusals of side-effectful actions are audited');
SELECT is(set_config('algawf.user', '0000000b-0001-0000-0000-000000000001', true), '0000000b-0001-0000-0000-000000000001', 'as Bob, tenant B''s admin');
SELECT is(pg_temp.code('disp.bump', '{"note": "bob"}'), 'PERMISSION_DENIED', 'another tenant''s admin holds nothing here');
SELECT is(set_config('algawf.user', '', true), '', 'no actor');
SELECT is(pg_temp.code('disp.bump', '{"note": "nobody"}'), 'PERMISSION_DENIED', 'an action needing a permission needs an actor');
SELECT is(pg_temp.code('disp.peek', '{}'), NULL, 'actions without permissions need no actor');
SELECT is(set_config('algawf.user', '0000000a-0001-0000-0000-000000000001', true), '0000000a-0001-0000-0000-000000000001', 'as Alice again');

-- ---------------------------------------------------------------------------
-- row-level security inside SQL actions
SELECT is(algawf.call_action('disp.peek', '{}'),
          jsonb_build_object('tickets', (SELECT count(*) FROM psa.tickets WHERE tenant = '00000000-0000-0000-0000-00000000000a'),
                             'foreign', 0, 'ran_as', 'algawf_service'),
          'an SQL action sees exactly its tenant''s rows');
SELECT is(pg_temp.code('disp.raise', '{"write_b": true}'), 'PERMISSION_DENIED', 'writing another tenant''s rows fails (RLS check)');
SELECT is((SELECT count(*) FROM psa.tickets WHERE title = 'hijacked'), 0::bigint, 'no other tenant''s row was changed');
SELECT is((SELECT count(*) FROM disp.effects WHERE tenant = '00000000-0000-0000-0000-00000000000b'), 0::bigint,
          'the failed action''s own writes were rolled back');
SELECT is(pg_temp.code('disp.raise', '{"tenant": "00000000-0000-0000-0000-00000000000b"}'), 'PERMISSION_DENIED',
          'an action cannot switch algawf.tenant');
SELECT matches(pg_temp.try('disp.raise', '{"tenant": "00000000-0000-0000-0000-00000000000b"}') -> 'error' ->> 'message',
               'cannot be changed while an action runs', 'and is told why');
SELECT is(pg_temp.code('disp.raise', '{"role": "postgres"}'), 'PERMISSION_DENIED', 'an action cannot SET ROLE');
SELECT is(current_setting('algawf.tenant'), '00000000-0000-0000-0000-00000000000a', 'the caller''s tenant is unchanged');
SELECT is(current_user::text, 'postgres', 'the caller''s role is unchanged');
SELECT is(set_config('algawf.tenant', '00000000-0000-0000-0000-00000000000b', true), '00000000-0000-0000-0000-00000000000b', 'tenant B');
SELECT is(algawf.call_action('disp.peek', '{}') ->> 'tickets',
          (SELECT count(*)::text FROM psa.tickets WHERE tenant = '00000000-0000-0000-0000-00000000000b'), 'the same action sees B''s rows for B');
SELECT is(set_config('algawf.tenant', '00000000-0000-0000-0000-00000000000a', true), '00000000-0000-0000-0000-00000000000a', 'tenant A again');
CREATE ROLE disp_stranger;
GRANT algawf_operator TO disp_stranger;
SELECT is(pg_temp.as_role('disp_stranger', $$SELECT algawf.call_action('disp.peek', '{}')::text$$), 'ERROR 42501',
          'a role that is not a member of the tenant cannot call actions for it');

-- ---------------------------------------------------------------------------
-- error mapping by SQLSTATE
CREATE TEMP TABLE mapping (sqlstate text, code text, category text, retryable boolean);
INSERT INTO mapping VALUES
    ('23505', 'CONFLICT', 'ActionError', false),
    ('23P01', 'CONFLICT', 'ActionError', false),
    ('40001', 'TRANSIENT_FAILURE', 'TransientError', true),
    ('40P01', 'TRANSIENT_FAILURE', 'TransientError', true),
    ('55P03', 'TRANSIENT_FAILURE', 'TransientError', true),
    ('53200', 'TRANSIENT_FAILURE', 'TransientError', true),
    ('42501', 'PERMISSION_DENIED', 'ActionError', false),
    ('23503', 'NOT_FOUND', 'ActionError', false),
    ('P0002', 'NOT_FOUND', 'ActionError', false),
    ('23514', 'VALIDATION_ERROR', 'ValidationError', false),
    ('23502', 'VALIDATION_ERROR', 'ValidationError', false),
    ('22P02', 'VALIDATION_ERROR', 'ValidationError', false),
    ('22003', 'VALIDATION_ERROR', 'ValidationError', false),
    ('P0001', 'INTERNAL_ERROR', 'ActionError', false),
    ('XX000', 'INTERNAL_ERROR', 'ActionError', false);
SELECT is(r.error ->> 'code', m.code, 'SQLSTATE ' || m.sqlstate || ' -> ' || m.code)
  FROM mapping m,
       LATERAL (SELECT pg_temp.try('disp.raise', jsonb_build_object('sqlstate', m.sqlstate, 'message', 'x')) -> 'error' AS error) r;
SELECT is(r.error ->> 'category', m.category, 'SQLSTATE ' || m.sqlstate || ' -> ' || m.category)
  FROM mapping m,
       LATERAL (SELECT pg_temp.try('disp.raise', jsonb_build_object('sqlstate', m.sqlstate, 'message', 'x')) -> 'error' AS error) r;
SELECT is((r.error ->> 'retryable')::boolean, m.retryable, 'SQLSTATE ' || m.sqlstate || ' retryable = ' || m.retryable)
  FROM mapping m,
       LATERAL (SELECT pg_temp.try('disp.raise', jsonb_build_object('sqlstate', m.sqlstate, 'message', 'x')) -> 'error' AS error) r;
SELECT is((SELECT count(*) FROM disp.effects WHERE note = 'rolled back'), 0::bigint, 'every failed call''s writes were rolled back');
SELECT is(pg_temp.try('disp.raise', '{"sqlstate": "23505", "message": "dup"}') -> 'error' ->> 'message', 'failed with dup',
          'the action''s own message is kept');
SELECT ok(length(pg_temp.try('disp.raise', '{"sqlstate": "23505", "message": "dup"}') -> 'error' ->> 'hint') > 0,
          'every error carries a remediation hint');

-- call_action raises with SQLSTATE by category, the code in DETAIL, the remedy in HINT
SELECT matches(pg_temp.err($$SELECT algawf.call_action('disp.raise', '{"sqlstate": "23505", "message": "dup"}')$$),
               '^38000 action disp.raise@1 failed: failed with dup \| CONFLICT \(ActionError\) at call_action',
               'ActionError -> 38000');
SELECT matches(pg_temp.err($$SELECT algawf.call_action('disp.raise', '{"sqlstate": "40001", "message": "x"}')$$),
               '^40001 ', 'TransientError -> 40001');
SELECT matches(pg_temp.err($$SELECT algawf.call_action('transform.split_text', '{}')$$),
               '^22023 .*VALIDATION_ERROR \(ValidationError\)', 'ValidationError -> 22023');
SELECT matches(pg_temp.err($$SELECT algawf.call_action('disp.raise', '{"sleep": 2}', timeout_ms => 100)$$),
               '^57014 action disp.raise@1 failed: action disp.raise@1 timed out after 100 ms', 'TimeoutError -> 57014');

-- timeouts, output validation, unknown actions
SELECT is(algawf.try_action('disp.raise', '{"sleep": 2}', timeout_ms => 100) -> 'error' ->> 'category', 'TimeoutError',
          'a call past its timeout is a TimeoutError');
SELECT is((SELECT count(*) FROM disp.effects WHERE note = 'rolled back'), 0::bigint, 'and its writes are rolled back');
SELECT is(algawf.register_action(pg_temp.def('disp.strict_out', 'disp.raise',
             '{"outputSchema": {"type": "object", "required": ["id"]}}')), 'disp.strict_out@1', 'an action with a strict output schema');
SELECT is(pg_temp.code('disp.strict_out', '{"output": {"nope": 1}}'), 'INTERNAL_ERROR', 'output that breaks the schema fails the call');
SELECT matches(pg_temp.try('disp.strict_out', '{"output": {"nope": 1}}') -> 'error' ->> 'message',
               'output of disp.strict_out@1 does not match its output schema at "/id"', 'naming the path');
SELECT is((SELECT count(*) FROM disp.effects WHERE note = 'rolled back'), 0::bigint, 'and its writes are rolled back');
SELECT is(pg_temp.code('disp.strict_out', '{"output": {"id": 1}}'), NULL, 'conforming output passes');
SELECT is(pg_temp.code('disp.nope', '{}'), 'NOT_FOUND', 'an unknown action');
SELECT is(algawf.try_action('disp.peek', '{}', version => 9) -> 'error' ->> 'message', 'action disp.peek version 9 is not registered',
          'an unknown version');
SELECT is(pg_temp.code('disp.bump', '{"note": 5}'), 'VALIDATION_ERROR', 'input is validated against the schema');
SELECT matches(pg_temp.try('disp.bump', '{"note": 5}') -> 'error' ->> 'message', 'at "/note"', 'naming the path');

-- ---------------------------------------------------------------------------
-- secrets
SELECT lives_ok($$SELECT algawf.set_secret('NINJA_API_KEY', 'n1nja-s3cret-value')$$, 'set_secret');
SELECT lives_ok($$SELECT algawf.set_secret('NINJA_API_KEY', 'n1nja-s3cret-value-2')$$, 'set_secret replaces');
SELECT is((SELECT array_agg(name) FROM algawf.secrets), ARRAY['NINJA_API_KEY'], 'the secrets view lists names');
SELECT is((SELECT count(*) FROM information_schema.columns WHERE table_schema = 'algawf' AND table_name = 'secrets'
            AND column_name IN ('value', 'tenant')), 0::bigint, 'the view has no value column');
SELECT is((SELECT position(convert_to('n1nja-s3cret-value', 'UTF8') IN value) FROM algawf.tenant_secrets WHERE name = 'NINJA_API_KEY'),
          0, 'the stored bytes do not contain the value');
SELECT is((SELECT count(*) FROM algawf.secret_keys), 1::bigint, 'a key was created on first use');
SELECT matches(pg_temp.err($$SELECT algawf.set_secret('bad name', 'x')$$), '^22023 ', 'secret names are checked');
CREATE ROLE disp_admin;
GRANT algawf_admin TO disp_admin;
SELECT algawf.add_tenant_member('00000000-0000-0000-0000-00000000000a', 'disp_admin');
SELECT is(pg_temp.as_role('disp_admin', $$SELECT name FROM algawf.secrets$$), 'NINJA_API_KEY', 'a tenant admin lists the names');
SELECT is(pg_temp.as_role('disp_admin', $$SELECT value::text FROM algawf.tenant_secrets$$), 'ERROR 42501', 'but cannot read values');
SELECT is(pg_temp.as_role('disp_admin', $$SELECT key FROM algawf.secret_keys$$), 'ERROR 42501', 'nor the key');
SELECT is(pg_temp.as_role('disp_admin', $$SELECT name FROM algawf.tenant_secrets$$), 'NINJA_API_KEY', 'names are readable in the table too');
SELECT is(pg_temp.as_role('disp_admin', $$SELECT algawf.set_secret('ADMIN_SET', 'v')::text$$), '', 'a tenant admin sets secrets');
SELECT is(pg_temp.as_role('disp_operator', $$SELECT algawf.set_secret('OP_SET', 'v')::text$$), 'ERROR 42501', 'an operator does not');
SELECT is(set_config('algawf.tenant', '00000000-0000-0000-0000-00000000000b', true), '00000000-0000-0000-0000-00000000000b', 'tenant B');
SELECT is((SELECT count(*) FROM algawf.secrets), 0::bigint, 'tenant B sees none of A''s secrets');
SELECT is(pg_temp.code('disp.peek', '{"k": {"$secret": "NINJA_API_KEY"}}'), 'NOT_FOUND', 'nor can B use them');
SELECT is(set_config('algawf.tenant', '00000000-0000-0000-0000-00000000000a', true), '00000000-0000-0000-0000-00000000000a', 'tenant A again');

-- a secret in use: resolved for the implementation, redacted everywhere else
SELECT is(algawf.register_action(pg_temp.def('disp.echo', 'disp.raise', '{"sideEffectful": true}')), 'disp.echo@1', 'an echoing action');
SELECT is(algawf.call_action('disp.echo', '{"output": {"auth": {"$secret": "NINJA_API_KEY"}, "header": "x"}}'),
          '{"auth": "[REDACTED]", "header": "x"}', 'the value never comes back out of the action');
SELECT is(algawf.call_action('disp.bump', '{"note": {"$secret": "NINJA_API_KEY"}}') -> 'echo' ->> 'note', '[REDACTED]',
          'not even inside other strings');
SELECT is((SELECT count(*) FROM disp.effects WHERE note = 'n1nja-s3cret-value-2'), 1::bigint, 'but the implementation got the clear value');
SELECT is((SELECT input FROM algawf.workflow_action_invocations WHERE action_id = 'disp.echo' ORDER BY started_at DESC LIMIT 1),
          '{"output": {"auth": "[REDACTED]", "header": "x"}}', 'the stored input holds no secret');
SELECT is((SELECT count(*) FROM algawf.workflow_action_invocations
            WHERE (input::text || coalesce(output::text, '') || coalesce(error::text, '')) LIKE '%n1nja%'), 0::bigint,
          'no invocation row holds the value');
SELECT is(pg_temp.try('disp.raise', '{"sqlstate": "P0001", "message": {"$secret": "NINJA_API_KEY"}}') -> 'error' ->> 'message',
          'failed with [REDACTED]', 'an error message quoting the value is scrubbed');
SELECT ok((SELECT last_used_at IS NOT NULL FROM algawf.secrets WHERE name = 'NINJA_API_KEY'), 'last_used_at is tracked');
SELECT is(pg_temp.code('disp.peek', '{"k": {"$secret": "NOPE"}}'), 'NOT_FOUND', 'a missing secret');
SELECT matches(pg_temp.try('disp.peek', '{"k": {"$secret": "NOPE"}}') -> 'error' ->> 'hint', 'set_secret\(''NOPE''',
               'the hint says how to set it');
SELECT is(algawf.delete_secret('ADMIN_SET'), true, 'delete_secret');
SELECT is(algawf.delete_secret('ADMIN_SET'), false, 'delete_secret of a missing secret');

-- ---------------------------------------------------------------------------
-- redaction
SELECT is(algawf.redact('{"a": 1, "api_key": "k", "Authorization": "Bearer x", "nested": {"password": "p", "ok": [{"token": 1}]}}'),
          '{"a": 1, "api_key": "[REDACTED]", "Authorization": "[REDACTED]", "nested": {"password": "[REDACTED]", "ok": [{"token": "[REDACTED]"}]}}',
          'redact: sensitive keys at any depth');
SELECT is(algawf.redact('{"x": {"$secret": "S"}, "y": [{"$secret": "T"}]}'), '{"x": "[REDACTED]", "y": ["[REDACTED]"]}',
          'redact: secret markers');
SELECT is(algawf.redact('{"body": "hi", "to": [{"email": "a@b", "name": "A"}], "meta": {"x": 1, "y": 2}}',
                        ARRAY['body', 'to.email', 'meta.*']),
          '{"body": "[REDACTED]", "to": [{"email": "[REDACTED]", "name": "A"}], "meta": {"x": "[REDACTED]", "y": "[REDACTED]"}}',
          'redact: declared paths, crossing arrays');
SELECT is(algawf.redact('{"l": [1, 2, 3]}', ARRAY['l[1]']), '{"l": [1, "[REDACTED]", 3]}', 'redact: an array index');
SELECT is(algawf.redact('"plain"'), '"plain"', 'redact: a scalar');
SELECT matches(pg_temp.err($$SELECT algawf.redact('{}', ARRAY['a..b'])$$), '^22023 ', 'redact: a bad path is an error');
SELECT is((SELECT input FROM algawf.workflow_action_invocations
            WHERE action_id = 'disp.bump' AND idempotency_key = 'bump-1'),
          '{"note": "[REDACTED]"}', 'declared redact paths apply to the stored input');
SELECT is((SELECT output -> 'note' FROM algawf.workflow_action_invocations
            WHERE action_id = 'disp.bump' AND idempotency_key = 'bump-1'),
          '"[REDACTED]"', 'and to the stored output');
SELECT is(algawf.call_action('disp.bump', '{"deep": [{"pin": "1234", "keep": 1}]}') -> 'echo', '{"deep": [{"pin": "1234", "keep": 1}]}',
          'the live output is not redacted by paths');
SELECT is((SELECT output -> 'echo' FROM algawf.workflow_action_invocations
            WHERE action_id = 'disp.bump' AND input ? 'deep' ORDER BY started_at DESC LIMIT 1),
          '{"deep": [{"pin": "[REDACTED]", "keep": 1}]}', 'nested declared paths in the stored output');

-- ---------------------------------------------------------------------------
-- families and integrations
SELECT lives_ok($$SELECT algawf.set_family_enabled('disp', false)$$, 'disable a family');
SELECT is(pg_temp.code('disp.peek', '{}'), 'INTEGRATION_INACTIVE', 'a disabled family refuses calls');
SELECT is(pg_temp.try('disp.peek', '{}') -> 'error' ->> 'message', 'action family "disp" is disabled for this tenant', 'naming the family');
SELECT is((SELECT bool_or(available) FROM algawf.catalog WHERE family = 'disp'), false, 'the catalog marks them unavailable');
SELECT is((SELECT DISTINCT unavailable_reason FROM algawf.catalog WHERE family = 'disp'), 'family disp is disabled for this tenant', 'with the reason');
SELECT is(set_config('algawf.tenant', '00000000-0000-0000-0000-00000000000b', true), '00000000-0000-0000-0000-00000000000b', 'tenant B');
SELECT is(pg_temp.code('disp.peek', '{}'), NULL, 'families are per tenant');
SELECT is(set_config('algawf.tenant', '00000000-0000-0000-0000-00000000000a', true), '00000000-0000-0000-0000-00000000000a', 'tenant A again');
SELECT is((algawf.check_action('disp.peek')).code, 'UNKNOWN_ACTION', 'publishing a step of a disabled family is refused');
SELECT lives_ok($$SELECT algawf.set_family_enabled('disp', true)$$, 'enable it again');
SELECT is(pg_temp.code('disp.peek', '{}'), NULL, 'calls work again');
SELECT matches(pg_temp.err($$SELECT algawf.set_family_enabled('nosuch', false)$$), '^22023 unknown action family "nosuch"', 'unknown families are refused');

SELECT is(algawf.register_action(pg_temp.def('ninjaone.disp_probe', 'disp.peek', '{"availability": {"integration": "ninjaone"}}')),
          'ninjaone.disp_probe@1', 'an action needing an integration');
SELECT is(pg_temp.code('ninjaone.disp_probe', '{}'), 'INTEGRATION_INACTIVE', 'no connection: unavailable (fail closed)');
SELECT is((SELECT available FROM algawf.catalog WHERE action_id = 'ninjaone.disp_probe'), false, 'the catalog agrees');
INSERT INTO psa.rmm_integrations (tenant, provider, is_active, connected_at) VALUES ('00000000-0000-0000-0000-00000000000a', 'ninjaone', true, now())
    ON CONFLICT (tenant, provider) DO UPDATE SET is_active = true, connected_at = now();
SELECT is(pg_temp.code('ninjaone.disp_probe', '{}'), NULL, 'an active connection makes it available');
SELECT is((SELECT active FROM algawf.integration_status WHERE integration = 'ninjaone'), true, 'integration_status shows it');
SELECT lives_ok($$SELECT algawf.set_integration_active('ninjaone', false, 'paused by the tests')$$, 'an override switches it off');
SELECT is(pg_temp.code('ninjaone.disp_probe', '{}'), 'INTEGRATION_INACTIVE', 'the override wins');
SELECT is((SELECT decided_by FROM algawf.integration_status WHERE integration = 'ninjaone'), 'override', 'and says so');
SELECT lives_ok($$SELECT algawf.set_integration_active('ninjaone', NULL)$$, 'remove the override');
UPDATE psa.rmm_integrations SET is_active = false WHERE provider = 'ninjaone';
SELECT is(pg_temp.code('ninjaone.disp_probe', '{}'), 'INTEGRATION_INACTIVE', 'an inactive connection: unavailable');
SELECT is(algawf.integration_active('teams'), false, 'teams: present but not connected');

-- ---------------------------------------------------------------------------
-- completing a deferred invocation (the worker's side of HTTP/SMTP actions)
INSERT INTO algawf.workflow_action_invocations (tenant, invocation_id, action_id, action_version, idempotency_key, status, input)
VALUES ('00000000-0000-0000-0000-00000000000a', 'dddddddd-0000-0000-0000-000000000001', 'disp.bump', 1, 'deferred-1', 'DEFERRED', '{}'),
       ('00000000-0000-0000-0000-00000000000a', 'dddddddd-0000-0000-0000-000000000002', 'disp.bump', 1, 'deferred-2', 'DEFERRED', '{}');
SELECT is(algawf.complete_invocation('dddddddd-0000-0000-0000-000000000001', '{"ok": true, "output": {"effect_id": 99, "note": "sent"}}'),
          true, 'complete_invocation records a success');
SELECT is((SELECT status || ' ' || output::text FROM algawf.workflow_action_invocations WHERE invocation_id = 'dddddddd-0000-0000-0000-000000000001'),
          'SUCCEEDED {"note": "[REDACTED]", "effect_id": 99}', 'redacted like any output');
SELECT is((SELECT target_ids FROM algawf.audit_log WHERE invocation_id = 'dddddddd-0000-0000-0000-000000000001'),
          '{"effect_id": 99}', 'and audited');
SELECT is(algawf.complete_invocation('dddddddd-0000-0000-0000-000000000001', '{"ok": false, "error": {"code": "CONFLICT"}}'),
          false, 'a finished invocation is not changed again');
SELECT is((algawf.try_action('disp.bump', '{"note": "again"}', idempotency_key => 'deferred-1') -> 'output' ->> 'effect_id'),
          '99', 'its key now replays the recorded output');
SELECT is(algawf.complete_invocation('dddddddd-0000-0000-0000-000000000002',
            '{"ok": false, "error": {"category": "TransientError", "code": "RATE_LIMITED", "message": "429 from vendor", "retryable": true}}'),
          true, 'complete_invocation records a failure');
SELECT is((SELECT status || ' ' || error_code || ' ' || (error ->> 'category') || ' ' || (error ->> 'retryable')
             FROM algawf.workflow_action_invocations WHERE invocation_id = 'dddddddd-0000-0000-0000-000000000002'),
          'FAILED RATE_LIMITED TransientError true', 'with its error');
SELECT matches(pg_temp.err($$SELECT algawf.complete_invocation('dddddddd-0000-0000-0000-0000000000ff', '{"ok": true}')$$),
               '^42704 ', 'an unknown invocation is an error');
SELECT matches(pg_temp.err($$SELECT algawf.complete_invocation('dddddddd-0000-0000-0000-000000000002', '{"output": 1}')$$),
               '^22023 ', 'the result must say ok');

-- ---------------------------------------------------------------------------
-- the publish-time check of a step's action reference
SELECT is(algawf.check_action('transform.split_text', 1, '{"text": {"$expr": "payload.subject"}, "delimiter": ","}')::text,
          '(,)', 'check_action: a valid reference');
SELECT is((algawf.check_action('transform.nope')).code, 'UNKNOWN_ACTION', 'check_action: an unknown action');
SELECT is((algawf.check_action('transform.split_text', 7)).message, 'action transform.split_text version 7 is not registered',
          'check_action: an unknown version');
SELECT is(algawf.check_action('transform.split_text', 1, '{"text": "a"}')::text,
          ROW('INVALID_ACTION_CONFIG', 'input of transform.split_text@1 is missing required field "delimiter"')::text,
          'check_action: a missing required field');
SELECT is(algawf.check_action('transform.split_text', 1, '{"delimiter": 5}')::text,
          ROW('INVALID_ACTION_CONFIG', 'input field "delimiter" of transform.split_text@1 must be string, not number')::text,
          'check_action: a literal of the wrong type');
SELECT is((algawf.check_action('transform.split_text', 1, '{"delimiter": {"$secret": "SEP"}}')).code, NULL,
          'check_action: a secret counts as present');
SELECT is((algawf.check_action('transform.truncate_text', 1, '{"maxLength": 2.5}')).code, 'INVALID_ACTION_CONFIG',
          'check_action: integer means integer');

-- ---------------------------------------------------------------------------
-- catalog and search
SELECT is((SELECT idempotency FROM algawf.catalog WHERE action_id = 'transform.concat_text'), '{"mode": "engineProvided"}',
          'the catalog shows the idempotency mode');
SELECT is((SELECT permissions FROM algawf.catalog WHERE action_id = 'disp.bump'), ARRAY['client:create'], 'and permissions');
SELECT is((SELECT action_id FROM algawf.search_actions('split') LIMIT 1), 'transform.split_text', 'search by label word');
SELECT is((SELECT action_id FROM algawf.search_actions('regular expression capture groups') LIMIT 1), 'transform.regex_match',
          'search by description words');
SELECT is((SELECT action_id FROM algawf.search_actions('transform.trim_text') LIMIT 1), 'transform.trim_text', 'search by id');
SELECT is((SELECT count(*) FROM algawf.search_actions('zzzqqq')), 0::bigint, 'no match, no rows');
SELECT is((SELECT count(*) FROM algawf.search_actions('')), (SELECT count(DISTINCT action_id) FROM algawf.actions), 'an empty query lists everything');
SELECT ok((SELECT bool_and(score >= 0) FROM algawf.search_actions('text')), 'scores are non-negative');

SELECT * FROM finish();
ROLLBACK;
