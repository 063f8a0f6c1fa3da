-- Integration modules without the network: module registry, availability
-- (fail closed: no connection, inactive, not connected, resolver error, no
-- module, override), catalog flags, request template checks at registration,
-- the requests the actions would send (algawf.http_preview), local answers,
-- prepare hooks' errors, permissions, the templates.  Sending is tested by
-- test/e2e/integration_*.sh against the fake vendor server.
BEGIN;
SELECT * FROM no_plan();

SELECT ok(psa.load_sample_data() IS NOT NULL, 'sample data loaded');
SELECT is(set_config('algawf.tenant', '00000000-0000-0000-0000-00000000000a', true),
          '00000000-0000-0000-0000-00000000000a', 'acting for tenant A');
SELECT is(set_config('algawf.user', '0000000a-0001-0000-0000-000000000001', true),
          '0000000a-0001-0000-0000-000000000001', 'as Alice (Admin)');

CREATE FUNCTION pg_temp.try(a text, i jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT algawf.try_action(a, i) $$;
CREATE FUNCTION pg_temp.code(a text, i jsonb) RETURNS text LANGUAGE sql AS $$ SELECT algawf.try_action(a, i) -> 'error' ->> 'code' $$;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
CREATE FUNCTION pg_temp.def(id text, request jsonb, extra jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('id', id, 'label', 'Test', 'category', 'Test',
        'inputSchema', '{"type": "object"}'::jsonb, 'outputSchema', '{}'::jsonb, 'sideEffectful', false,
        'implementation', jsonb_build_object('kind', 'http', 'request', request)) || extra
$$;

-- ---------------------------------------------------------------------------
-- the modules and their actions
SELECT is((SELECT array_agg(name ORDER BY name) FROM algawf.integration_modules),
          ARRAY['huntress', 'levelio', 'ninjaone', 'tacticalrmm', 'teams'], 'five integration modules are registered');
SELECT ok((SELECT bool_and(shipped) FROM algawf.integration_modules), 'they are shipped (recreated by CREATE EXTENSION, not dumped)');
SELECT is((SELECT count(*)::int FROM algawf.actions WHERE family IN ('ninjaone', 'tacticalrmm', 'levelio', 'huntress', 'teams')),
          31, '31 integration actions');
SELECT is((SELECT count(*)::int FROM algawf.actions WHERE family = f.f), f.n, 'family ' || f.f || ': ' || f.n || ' actions')
  FROM (VALUES ('ninjaone', 8), ('tacticalrmm', 6), ('levelio', 8), ('huntress', 6), ('teams', 3)) AS f(f, n);
SELECT ok((SELECT bool_and(integration = family AND implementation = 'http' AND impl ? 'request')
             FROM algawf.actions WHERE family IN ('ninjaone', 'tacticalrmm', 'levelio', 'huntress', 'teams')),
          'each is a declarative http action needing its own integration');
SELECT ok((SELECT bool_and(jsonb_array_length(examples) > 0)
             FROM algawf.actions WHERE family IN ('ninjaone', 'tacticalrmm', 'levelio', 'huntress', 'teams')),
          'each has an example');
SELECT ok((SELECT bool_and(side_effectful) FROM algawf.actions
            WHERE action_id IN ('ninjaone.devices.sync', 'ninjaone.devices.reboot', 'ninjaone.devices.run_script', 'ninjaone.alerts.reset',
                                'tacticalrmm.agents.run_script', 'tacticalrmm.agents.run_command', 'tacticalrmm.agents.reboot',
                                'levelio.alerts.resolve', 'levelio.automations.trigger', 'huntress.incidents.resolve',
                                'teams.notify_user', 'teams.send_dm', 'teams.post_to_channel')),
          'the actions that change something are side-effectful (audited)');
SELECT is((SELECT permissions FROM algawf.actions WHERE action_id = 'tacticalrmm.agents.run_command'),
          ARRAY['rmm:execute_command'], 'run_command needs rmm:execute_command');

-- ---------------------------------------------------------------------------
-- availability: fail closed
SELECT is(algawf.integration_active(m), false, m || ': inactive sample row, unavailable')
  FROM unnest(ARRAY['ninjaone', 'tacticalrmm', 'levelio', 'huntress', 'teams']) m;
SELECT is((SELECT count(*)::int FROM algawf.catalog WHERE family IN ('ninjaone', 'tacticalrmm', 'levelio', 'huntress', 'teams') AND available),
          0, 'the catalog flags every integration action unavailable');
SELECT is((SELECT unavailable_reason FROM algawf.catalog WHERE action_id = 'huntress.account.get'),
          'integration huntress is not active for this tenant', 'with the reason');
SELECT is((SELECT reason FROM algawf.integration_status WHERE integration = 'huntress'),
          'the huntress integration is not active', 'integration_status gives the resolver''s reason');

UPDATE psa.rmm_integrations SET is_active = true, connected_at = NULL, instance_url = 'http://127.0.0.1:18119/ninja'
 WHERE tenant = algawf.current_tenant() AND provider = 'ninjaone';
SELECT is(algawf.integration_active('ninjaone'), false, 'active but not connected: unavailable');
SELECT is((SELECT reason FROM algawf.integration_status WHERE integration = 'ninjaone'),
          'the ninjaone integration is active but not connected (connected_at is not set)', 'and says why');
SELECT is(pg_temp.code('ninjaone.alerts.list_active', '{}'), 'INTEGRATION_INACTIVE', 'a call fails with INTEGRATION_INACTIVE');
SELECT is(pg_temp.try('ninjaone.alerts.list_active', '{}') -> 'error' ->> 'message',
          'integration "ninjaone" is not active for this tenant', 'naming the integration');

UPDATE psa.rmm_integrations SET connected_at = now() WHERE tenant = algawf.current_tenant() AND provider = 'ninjaone';
SELECT is(algawf.integration_active('ninjaone'), true, 'active and connected: available');
SELECT is((SELECT count(*)::int FROM algawf.catalog WHERE family = 'ninjaone' AND available), 8, 'all eight NinjaOne actions available');
SELECT is((SELECT count(*)::int FROM algawf.catalog WHERE family = 'huntress' AND available), 0, 'the other modules still not');

-- tenant B does not see A's connection
SELECT is(set_config('algawf.tenant', '00000000-0000-0000-0000-00000000000b', true), '00000000-0000-0000-0000-00000000000b', 'tenant B');
SELECT is(algawf.integration_active('ninjaone'), false, 'A''s connection is A''s only');
SELECT is(set_config('algawf.tenant', '00000000-0000-0000-0000-00000000000a', true), '00000000-0000-0000-0000-00000000000a', 'tenant A again');

UPDATE psa.rmm_integrations SET is_active = true, connected_at = now(), instance_url = NULL
 WHERE tenant = algawf.current_tenant() AND provider = 'tacticalrmm';
SELECT is(algawf.integration_active('tacticalrmm'), false, 'Tactical RMM without an instance URL: unavailable');
SELECT matches((SELECT reason FROM algawf.integration_status WHERE integration = 'tacticalrmm'), 'no instance URL', 'the reason says so');

UPDATE psa.teams_integrations SET is_active = true, app_id = 'teams-app', tenant_id_ms = 'contoso', bot_secret_name = NULL
 WHERE tenant = algawf.current_tenant();
SELECT is(algawf.integration_active('teams'), false, 'Teams active without the bot secret name: unavailable');
UPDATE psa.teams_integrations SET bot_secret_name = 'TEAMS_BOT_SECRET',
       settings = '{"login_url": "http://127.0.0.1:18119/login", "graph_url": "http://127.0.0.1:18119/graph"}'
 WHERE tenant = algawf.current_tenant();
SELECT is(algawf.integration_active('teams'), true, 'Teams active: available');

-- the override switches a connected integration off
SELECT lives_ok($$SELECT algawf.set_integration_active('ninjaone', false, 'maintenance')$$, 'override off');
SELECT is(pg_temp.code('ninjaone.alerts.list_active', '{}'), 'INTEGRATION_INACTIVE', 'the override wins');
SELECT lives_ok($$SELECT algawf.set_integration_active('ninjaone', NULL)$$, 'override removed');

-- a resolver that fails, a module without resolver output, no module at all
CREATE FUNCTION pg_temp.broken_connection(tenant uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the vendor settings are corrupt';
END
$$;
CREATE FUNCTION pg_temp.null_connection(tenant uuid) RETURNS jsonb LANGUAGE sql AS $$ SELECT NULL::jsonb $$;
SELECT is(algawf.register_integration(format('{"name": "brokenmod", "label": "Broken", "resolver": "%s.broken_connection"}',
                                             pg_my_temp_schema()::regnamespace)::jsonb), 'brokenmod', 'a module whose resolver raises');
SELECT is(algawf.register_integration(format('{"name": "nullmod", "label": "Null", "resolver": "%s.null_connection"}',
                                             pg_my_temp_schema()::regnamespace)::jsonb), 'nullmod', 'a module whose resolver returns nothing');
SELECT is(algawf.integration_active('brokenmod'), false, 'resolver error: unavailable (fail closed)');
SELECT matches((SELECT reason FROM algawf.integration_status WHERE integration = 'brokenmod'),
               'the brokenmod resolver failed: the vendor settings are corrupt', 'the reason quotes the error');
SELECT is(algawf.integration_active('nullmod'), false, 'no connection from the resolver: unavailable');
SELECT is(algawf.integration_active('nosuchmod'), false, 'no module: unavailable');
SELECT is(algawf.register_action(pg_temp.def('brokenmod.ping', '{"method": "GET", "url": "/ping"}',
                                             '{"availability": {"integration": "brokenmod"}}')), 'brokenmod.ping@1', 'an action of the broken module');
SELECT is(pg_temp.code('brokenmod.ping', '{}'), 'INTEGRATION_INACTIVE', 'its calls fail INTEGRATION_INACTIVE');
SELECT is((SELECT available FROM algawf.catalog WHERE action_id = 'brokenmod.ping'), false, 'and the catalog flags it');

-- register_integration checks its definition
SELECT matches(pg_temp.err($$SELECT algawf.register_integration('{"name": "x", "label": "X", "resolver": "nope.nope"}')$$),
               '^42883 invalid integration definition x: resolver "nope.nope" is not a function', 'an unknown resolver is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_integration('{"name": "Bad Name", "label": "X", "resolver": "algawf._huntress_connection"}')$$),
               '^22023 invalid integration definition: "name"', 'a bad name is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_integration('{"name": "huntress", "label": "X", "resolver": "algawf._huntress_connection"}')$$),
               '^23505 integration "huntress" is already registered', 'registered modules are not replaced silently');
SELECT matches(pg_temp.err($$SELECT algawf.register_integration('{"name": "y", "label": "Y", "resolver": "algawf._huntress_connection", "rateLimit": {"requests": 0, "perSeconds": 1}}')$$),
               '^22023 .*rateLimit', 'a bad rate limit is refused');
SELECT matches(pg_temp.err($$SELECT algawf.register_integration('{"name": "y", "label": "Y", "resolver": "algawf._huntress_connection", "oops": 1}')$$),
               '^22023 invalid integration definition: unknown key "oops"', 'unknown keys are refused');

-- a published workflow calling a disconnected integration loads; its run fails naming the integration
SELECT lives_ok($$SELECT algawf.create_workflow('{"id": "c1000000-0000-0000-0000-000000000001", "name": "Huntress account", "version": 1,
  "steps": [{"id": "acct", "type": "action.call", "config": {"actionId": "huntress.account.get", "version": 1, "inputMapping": {}, "saveAs": "acct"}}]}')$$,
  'a workflow calling the disconnected Huntress module is published');
CREATE TEMP TABLE disconnected_run AS SELECT algawf.run('c1000000-0000-0000-0000-000000000001'::uuid, '{}', true) AS run_id;
SELECT is((SELECT status FROM algawf.runs WHERE run_id = (SELECT run_id FROM disconnected_run)),
          'FAILED', 'its run fails');
SELECT is((SELECT error ->> 'code' FROM algawf.runs WHERE workflow_id = 'c1000000-0000-0000-0000-000000000001'),
          'INTEGRATION_INACTIVE', 'with INTEGRATION_INACTIVE');
SELECT is((SELECT error ->> 'message' FROM algawf.runs WHERE workflow_id = 'c1000000-0000-0000-0000-000000000001'),
          'integration "huntress" is not active for this tenant', 'and a message naming the integration');

-- ---------------------------------------------------------------------------
-- request templates are checked at registration
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$, pg_temp.def('t.a', '{"method": "GET", "url": "/x", "oops": 1}'))),
               '^22023 .*unknown key "oops"', 'an unknown request key');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$, pg_temp.def('t.a', '{"method": "FETCH", "url": "/x"}'))),
               '^22023 .*"method" must be one of', 'a bad method');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$, pg_temp.def('t.a', '{"method": "GET", "url": "x/y"}'))),
               '^22023 .*"url" must start with /', 'a url that is neither a path nor http(s)');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$, pg_temp.def('t.a', '{"method": "GET", "url": "/x/{{ a + }}"}'))),
               '^22023 .*S0', 'a url hole that does not compile');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$, pg_temp.def('t.a', '{"method": "GET", "url": "/x", "response": "{"}'))),
               '^22023 .*S0', 'a response expression that does not compile');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$, pg_temp.def('t.a', '{"method": "GET", "url": "/x", "query": {"q": {"$expr": "$map(x, function($v) { $v })"}}}'))),
               '^22023 .*U1001', 'an expression outside the subset');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$, pg_temp.def('t.a', '{"method": "GET", "url": "/x", "errors": [{"status": 404, "code": "GONE"}]}'))),
               '^22023 .*"code" must be one of the error model', 'an error rule with an unknown code');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$, pg_temp.def('t.a', '{"method": "GET", "url": "/x", "paginate": {"style": "offset"}}'))),
               '^22023 .*"paginate.style"', 'an unknown pagination style');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$, pg_temp.def('t.a', '{"method": "GET", "url": "/x", "paginate": {"style": "cursor"}}'))),
               '^22023 .*cursor pagination needs', 'cursor pagination without next/param');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$, pg_temp.def('t.a', '{"method": "GET", "url": "/x", "rateLimit": {"requests": 5000}}'))),
               '^22023 .*"rateLimit"', 'a rate limit out of range');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$, pg_temp.def('t.a', '{"method": "GET", "url": "/x", "then": [{"name": "n", "url": "/y", "method": "GET", "paginate": {}}]}'))),
               '^22023 .*unknown key "paginate" in a follow-up request', 'a follow-up request with a key it cannot have');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$, pg_temp.def('t.a', '{"method": "GET", "url": "/x", "body": {}, "form": {}}'))),
               '^22023 .*give "body" or "form"', 'body and form together');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$,
                                  pg_temp.def('t.a', '{"method": "GET", "url": "/x"}') || '{"implementation": {"kind": "http", "request": {"method": "GET", "url": "/x"}, "prepare": "nope.nope"}}')),
               '^42883|^22023 .*does not exist', 'a prepare hook that does not exist');
SELECT matches(pg_temp.err(format($$SELECT algawf.register_action(%L)$$,
                                  pg_temp.def('t.a', '{"method": "GET", "url": "/x"}') || '{"implementation": {"kind": "http", "request": {"method": "GET", "url": "/x"}, "cache": true}}')),
               '^22023 .*unknown key "cache" in an http implementation', 'an unknown implementation key');
SELECT is(algawf.register_action(pg_temp.def('t.ok', '{"method": "POST", "url": "https://api.example.com/v1/items/{{ id }}", "headers": {"X-Trace": "{{ $input.trace }}"}, "body": {"name": {"$expr": "name"}, "key": {"$secret": "ITEMS_KEY"}}, "expectStatus": [200, 201], "response": "{''id'': id}", "retry": {"maxAttempts": 2, "onTimeout": false}}')),
          't.ok@1', 'a valid template registers');

-- ---------------------------------------------------------------------------
-- what would be sent: algawf.http_preview (no network)
SELECT algawf.set_secret('ninjaone_client_id', 'ninja-client');
SELECT algawf.set_secret('ninjaone_client_secret', 'ninja-secret');
SELECT is(algawf.http_preview('ninjaone.devices.reboot', '{"device_id": 101, "mode": "FORCED", "reason": "Updates"}')
            - 'problem' - 'integration',
          '{"url": "http://127.0.0.1:18119/ninja/v2/device/101/reboot/FORCED", "auth": {"name": "default", "scheme": "oauth2_client_credentials"},
            "body": {"reason": "Updates"}, "method": "POST", "headers": {"Accept": "application/json", "Content-Type": "application/json"},
            "rateLimit": {"bucket": "ninjaone", "windowMs": 1000, "requests": 10}}'::jsonb,
          'NinjaOne reboot: POST /v2/device/{id}/reboot/{mode}, OAuth2, a JSON body, the module''s rate limit');
SELECT is(algawf.http_preview('ninjaone.devices.find', '{"live": true, "limit": 5, "query": "class in (WINDOWS_SERVER)"}') ->> 'url',
          'http://127.0.0.1:18119/ninja/v2/devices?df=class%20in%20%28WINDOWS_SERVER%29&pageSize=5', 'NinjaOne device list: pageSize and df, encoded');
SELECT is(algawf.http_preview('ninjaone.devices.find', '{"live": true, "device_id": 103}') ->> 'url',
          'http://127.0.0.1:18119/ninja/v2/device/103', 'one NinjaOne device by id');
SELECT is(algawf.http_preview('ninjaone.devices.run_script', '{"device_id": 101, "action_uid": "f1e2d3c4-0000-4000-8000-00000000000a", "parameters": "-Force"}') -> 'body',
          '{"uid": "f1e2d3c4-0000-4000-8000-00000000000a", "type": "ACTION", "runAs": "system", "parameters": "-Force"}',
          'run_script: a built-in action by uid, parameters, runAs');
SELECT is(algawf.http_preview('ninjaone.alerts.reset', '{"alert_uid": "a/b"}') ->> 'url',
          'http://127.0.0.1:18119/ninja/v2/alert/a%2Fb/reset', 'template holes are percent-encoded');
SELECT matches(algawf.http_preview('ninjaone.alerts.list_active', '{}') ->> 'problem',
               'is not in algawf.http_allowed_hosts', 'the SSRF allowlist is checked (nothing is allowed here)');
SELECT is(pg_temp.code('ninjaone.alerts.list_active', '{}'), 'PERMISSION_DENIED', 'and a call to a host not allowed is refused');
SELECT matches(pg_temp.try('ninjaone.alerts.list_active', '{}') -> 'error' ->> 'hint', 'algawf.http_allowed_hosts', 'with a hint');

UPDATE psa.rmm_integrations SET is_active = true, connected_at = now(), instance_url = 'http://127.0.0.1:18119/huntress'
 WHERE tenant = algawf.current_tenant() AND provider = 'huntress';
SELECT is(algawf.http_preview('huntress.incidents.find', '{"status": "sent", "severity": "critical", "limit": 700}') ->> 'url',
          'http://127.0.0.1:18119/huntress/v1/incident_reports?limit=500&status=sent&severity=critical', 'Huntress incidents: filters, page size capped at 500');
SELECT is(algawf.http_preview('huntress.incidents.find', '{}') -> 'rateLimit', '{"bucket": "huntress", "windowMs": 60000, "requests": 60}',
          'Huntress: 60 requests a minute per tenant');
SELECT is(algawf.http_preview('huntress.account.get', '{}') -> 'auth', '{"name": "default", "scheme": "basic"}', 'Huntress: Basic auth');
UPDATE psa.rmm_integrations SET settings = '{"rate_limit": {"requests": 30, "perSeconds": 60}}'
 WHERE tenant = algawf.current_tenant() AND provider = 'huntress';
SELECT is(algawf.http_preview('huntress.account.get', '{}') -> 'rateLimit', '{"bucket": "huntress", "windowMs": 60000, "requests": 30}',
          'a tenant may lower it (settings.rate_limit)');

UPDATE psa.rmm_integrations SET instance_url = 'http://127.0.0.1:18119/tactical/api', settings = '{}'
 WHERE tenant = algawf.current_tenant() AND provider = 'tacticalrmm';
SELECT is(algawf.http_preview('tacticalrmm.agents.get', '{"agent_id": "a b/c"}') ->> 'url',
          'http://127.0.0.1:18119/tactical/agents/a%20b%2Fc/', 'Tactical: /agents/{agent_id}/ below the API (a trailing /api is dropped)');
SELECT is(algawf.http_preview('tacticalrmm.agents.get', '{"agent_id": "x"}') -> 'auth', '{"name": "default", "scheme": "header"}', 'Tactical: an API key header');
SELECT is(algawf.http_preview('tacticalrmm.agents.run_script', '{"agent_id": "AgEnT-ONE", "script_id": 90, "args": ["-All"], "timeout": 120}') -> 'body',
          '{"args": ["-All"], "emails": [], "output": "wait", "script": 90, "timeout": 120, "env_vars": [], "emailMode": "default", "run_as_user": false, "custom_field": null, "save_all_output": false}',
          'Tactical run_script: waits for the output');
UPDATE psa.rmm_integrations SET settings = '{"auth_mode": "knox"}' WHERE tenant = algawf.current_tenant() AND provider = 'tacticalrmm';
SELECT is(algawf.http_preview('tacticalrmm.agents.get', '{"agent_id": "x"}') -> 'auth', '{"name": "default", "scheme": "knox"}', 'Tactical: Knox login when configured');

UPDATE psa.rmm_integrations SET is_active = true, connected_at = now(), instance_url = 'http://127.0.0.1:18119/level'
 WHERE tenant = algawf.current_tenant() AND provider = 'levelio';
SELECT is(algawf.http_preview('levelio.devices.find', '{"live": true, "group_id": "grp-1"}') ->> 'url',
          'http://127.0.0.1:18119/level/v2/devices?limit=100&group_id=grp-1&include_security=true&include_operating_system=true',
          'Level devices: the group, 100 a page, with OS and security');
SELECT is(algawf.http_preview('levelio.automations.trigger', '{"automation_id": "auto-1"}') ->> 'url',
          'http://127.0.0.1:18119/level/v2/automations/webhooks', 'Level trigger: first the webhooks (to find the automation''s token)');
SELECT is(algawf.http_preview('levelio.alerts.resolve', '{"alert_id": "alrt-1"}') ->> 'method', 'POST', 'Level alert resolve is a POST');

-- ---------------------------------------------------------------------------
-- local answers (no request): synced assets
INSERT INTO psa.assets (tenant, client_id, asset_type, name, rmm_provider, rmm_device_id, agent_status, attributes)
VALUES (algawf.current_tenant(), '0000000a-0003-0000-0000-000000000001', 'server', 'Globex DC', 'ninjaone', '101', 'online',
        '{"hostname": "GLOBEX-DC01", "organization_id": "1", "os_name": "Windows Server 2022"}'),
       (algawf.current_tenant(), '0000000a-0003-0000-0000-000000000001', 'workstation', 'GLOBEX-FS01', 'tacticalrmm', 'AgEnT-ONE', 'offline', '{}');
SELECT is(algawf.call_action('ninjaone.devices.find', '{"query": "globex"}') -> 'devices' -> 0 ->> 'external_device_id', '101',
          'NinjaOne find without live: the synced asset');
SELECT is(algawf.call_action('ninjaone.devices.find', '{"query": "globex"}') -> 'devices' -> 0 ->> 'source', 'local', 'marked local');
SELECT is(algawf.call_action('tacticalrmm.agents.find', '{}') -> 'agents' -> 0 -> 'agent_online', 'false', 'Tactical find without live: the offline agent');
SELECT is(algawf.call_action('levelio.devices.find', '{}') ->> 'count', '0', 'Level find without live: nothing synced');
SELECT is(pg_temp.code('tacticalrmm.agents.find', '{"live": true, "asset_id": "0000000a-0003-0000-0000-000000000001"}'), 'NOT_FOUND',
          'a live lookup by an asset that is not a synced device: NOT_FOUND');

-- ---------------------------------------------------------------------------
-- Teams: actionable errors when the link, the conversation or the installation is missing
SELECT is(pg_temp.code('teams.notify_user', '{"user_id": "0000000a-0001-0000-0000-000000000003", "title": "x"}'), 'NOT_FOUND', 'notify_user: user not linked');
SELECT matches(pg_temp.try('teams.notify_user', '{"user_id": "0000000a-0001-0000-0000-000000000003", "title": "x"}') -> 'error' ->> 'message',
               'has no linked Microsoft account', 'the message says the account is not linked');
SELECT matches(pg_temp.try('teams.notify_user', '{"user_id": "0000000a-0001-0000-0000-000000000003", "title": "x"}') -> 'error' ->> 'hint',
               'teams_user_links', 'the hint says how to link it');
SELECT is(pg_temp.code('teams.notify_user', '{"user_id": "0000000a-0001-0000-0000-0000000000ff", "title": "x"}'), 'NOT_FOUND', 'notify_user: unknown user');
SELECT is(pg_temp.code('teams.send_dm', '{"user_id": "0000000a-0001-0000-0000-000000000003", "message": "x"}'), 'NOT_FOUND', 'send_dm: no conversation');
SELECT matches(pg_temp.try('teams.send_dm', '{"user_id": "0000000a-0001-0000-0000-000000000003", "message": "x"}') -> 'error' ->> 'hint',
               'must open the PSA''s bot in Teams', 'the hint says the user must open the bot');
SELECT is(pg_temp.code('teams.post_to_channel', '{"channel_id": "19:nope@thread.tacv2", "message": "x"}'), 'NOT_FOUND', 'post_to_channel: app not installed');
SELECT matches(pg_temp.try('teams.post_to_channel', '{"channel_id": "19:nope@thread.tacv2", "message": "x"}') -> 'error' ->> 'message',
               'the Teams app is not installed in channel 19:nope@thread.tacv2', 'naming the channel');

INSERT INTO psa.teams_user_links (tenant, user_id, ms_user_id) VALUES (algawf.current_tenant(), '0000000a-0001-0000-0000-000000000003', 'aad-tom');
INSERT INTO psa.teams_conversation_refs (tenant, conversation_id, conversation_type, user_id, service_url)
VALUES (algawf.current_tenant(), 'a:1tomPersonal', 'personal', '0000000a-0001-0000-0000-000000000003', 'http://127.0.0.1:18119/bot/');
INSERT INTO psa.teams_channel_installations (tenant, team_id_ms, channel_id_ms, service_url)
VALUES (algawf.current_tenant(), 'team-1', '19:esc@thread.tacv2', 'http://127.0.0.1:18119/bot');
SELECT is(algawf.http_preview('teams.notify_user', '{"user_id": "0000000a-0001-0000-0000-000000000003", "title": "P1", "category": "sla_risk"}') - 'problem' - 'rateLimit' - 'integration',
          '{"url": "http://127.0.0.1:18119/graph/v1.0/users/aad-tom/teamwork/sendActivityNotification", "auth": {"name": "graph", "scheme": "oauth2_client_credentials"},
            "body": {"topic": {"value": "P1", "source": "text", "webUrl": "https://teams.microsoft.com"}, "previewText": {"content": "P1"}, "activityType": "slaRiskDetected", "templateParameters": [{"name": "title", "value": "P1"}]},
            "method": "POST", "headers": {"Accept": "application/json", "Content-Type": "application/json"}}',
          'notify_user: Graph sendActivityNotification for the linked account');
SELECT is(algawf.http_preview('teams.send_dm', '{"user_id": "0000000a-0001-0000-0000-000000000003", "message": "hi"}') ->> 'url',
          'http://127.0.0.1:18119/bot/v3/conversations/a%3A1tomPersonal/activities', 'send_dm: the stored conversation at its service URL');
SELECT is(algawf.http_preview('teams.send_dm', '{"user_id": "0000000a-0001-0000-0000-000000000003", "message": "hi"}') -> 'auth',
          '{"name": "bot", "scheme": "oauth2_client_credentials"}', 'with the bot''s token');
SELECT is(algawf.http_preview('teams.post_to_channel', '{"channel_id": "19:esc@thread.tacv2", "message": "P1"}') -> 'body' -> 'channelData',
          '{"channel": {"id": "19:esc@thread.tacv2"}, "tenant": {"id": "contoso"}}', 'post_to_channel: a new conversation in the channel');

-- ---------------------------------------------------------------------------
-- permissions: run_command needs rmm:execute_command
UPDATE psa.rmm_integrations SET settings = '{}' WHERE tenant = algawf.current_tenant() AND provider = 'tacticalrmm';
UPDATE psa.rmm_integrations SET instance_url = 'http://127.0.0.1:18119/tactical' WHERE tenant = algawf.current_tenant() AND provider = 'tacticalrmm';
SELECT is(pg_temp.code('tacticalrmm.agents.run_command', '{"agent_id": "AgEnT-ONE", "command": "hostname"}'), 'PERMISSION_DENIED',
          'without rmm:execute_command: refused');
SELECT matches(pg_temp.try('tacticalrmm.agents.run_command', '{"agent_id": "AgEnT-ONE", "command": "hostname"}') -> 'error' ->> 'message',
               'lacks permission rmm:execute_command', 'naming the permission');
INSERT INTO psa.permissions (tenant, permission_id, resource, action)
VALUES (algawf.current_tenant(), '0000000a-00ff-0000-0000-000000000001', 'rmm', 'execute_command');
INSERT INTO psa.role_permissions (tenant, role_id, permission_id)
VALUES (algawf.current_tenant(), '0000000a-0002-0000-0000-000000000001', '0000000a-00ff-0000-0000-000000000001');
SELECT is(pg_temp.code('tacticalrmm.agents.run_command', '{"agent_id": "AgEnT-ONE", "command": "hostname"}'), 'PERMISSION_DENIED',
          'with it, the call gets as far as the host allowlist');
SELECT matches(pg_temp.try('tacticalrmm.agents.run_command', '{"agent_id": "AgEnT-ONE", "command": "hostname"}') -> 'error' ->> 'message',
               'http_allowed_hosts', 'which refuses the host here');

-- ---------------------------------------------------------------------------
-- the templates
SELECT is((SELECT count(*)::int FROM algawf.templates
            WHERE template IN ('rmm-disk-full-remediation', 'huntress-incident-enrichment', 'teams-escalation-on-call') AND available),
          3, 'the three integration templates are in the gallery');
SELECT is((SELECT trigger_event FROM algawf.templates WHERE template = 'huntress-incident-enrichment'), 'TICKET_CREATED',
          'Huntress enrichment starts on TICKET_CREATED');
SELECT isnt(algawf.instantiate('rmm-disk-full-remediation', 'Disk full'), NULL, 'disk-full remediation instantiates (validated and published)');
SELECT isnt(algawf.instantiate('huntress-incident-enrichment', 'Huntress'), NULL, 'Huntress enrichment instantiates');
SELECT isnt(algawf.instantiate('teams-escalation-on-call', 'Escalation'), NULL, 'Teams escalation instantiates');
SELECT is((SELECT families FROM algawf.templates WHERE template = 'rmm-disk-full-remediation'),
          ARRAY['levelio', 'tacticalrmm', 'tickets'], 'disk-full uses Level, Tactical RMM and tickets');

-- ---------------------------------------------------------------------------
-- token cache and rate limits: the token columns are the owner's alone
SELECT ok(NOT has_column_privilege('algawf_operator', 'algawf.integration_tokens', 'access_token', 'SELECT'),
          'operators cannot read cached tokens');
SELECT ok(has_column_privilege('algawf_operator', 'algawf.integration_tokens', 'expires_at', 'SELECT'),
          'but see when they expire');
SELECT ok(NOT has_function_privilege('algawf_admin', 'algawf._token_get(uuid, text, text)', 'EXECUTE'),
          'the token functions are internal');

SELECT * FROM finish();
ROLLBACK;
