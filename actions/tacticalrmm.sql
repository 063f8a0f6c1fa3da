-- tacticalrmm.*: Tactical RMM (its REST API): agents, scripts, remote
-- execution.  Declarative HTTP actions: each call becomes an outbox request
-- sent by the background worker.
--
-- Connection: the tenant's psa.rmm_integrations row with provider
-- 'tacticalrmm', active and connected (connected_at set), with instance_url
-- the API's address (https://api.example.com, self-hosted).  Authentication
-- (settings.auth_mode): 'api_key' (default) sends the X-API-KEY header from the
-- tenant secret tacticalrmm_api_key; 'knox' logs in at <instance>/v2/login/
-- with the secrets tacticalrmm_username / tacticalrmm_password (an account
-- without TOTP) and sends "Authorization: Token <knox token>", logging in again
-- when the token expires or is refused.  settings.api_key_secret,
-- settings.username_secret, settings.password_secret rename the secrets.

CREATE FUNCTION algawf._tacticalrmm_connection(tenant uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c jsonb := algawf.rmm_connection(tenant, 'tacticalrmm');
    s jsonb;
    base text;
BEGIN
    IF NOT coalesce((c ->> 'connected')::boolean, false) THEN
        RETURN c;
    END IF;
    s := coalesce(c -> 'settings', '{}');
    base := regexp_replace(coalesce(c ->> 'baseUrl', ''), '/api$', '');
    IF base = '' THEN
        RETURN jsonb_build_object('connected', false,
                                  'reason', 'the tacticalrmm integration has no instance URL (psa.rmm_integrations.instance_url)');
    END IF;
    RETURN c || jsonb_build_object('baseUrl', base, 'auth', jsonb_build_object('default',
        CASE WHEN coalesce(s ->> 'auth_mode', 'api_key') = 'knox' THEN
            jsonb_build_object('scheme', 'knox', 'loginUrl', base || '/v2/login/',
                'username', jsonb_build_object('$secret', coalesce(s ->> 'username_secret', 'tacticalrmm_username')),
                'password', jsonb_build_object('$secret', coalesce(s ->> 'password_secret', 'tacticalrmm_password')))
        ELSE
            jsonb_build_object('scheme', 'header', 'name', 'X-API-KEY',
                'value', jsonb_build_object('$secret', coalesce(s ->> 'api_key_secret', 'tacticalrmm_api_key')))
        END))
        || CASE WHEN s ? 'rate_limit' THEN jsonb_build_object('rateLimit', s -> 'rate_limit') ELSE '{}' END;
END
$$;
COMMENT ON FUNCTION algawf._tacticalrmm_connection(uuid) IS
    'Tactical RMM module resolver: the tenant''s active and connected psa.rmm_integrations row (provider tacticalrmm) with its instance URL; X-API-KEY from the secret tacticalrmm_api_key, or Knox login (settings.auth_mode = knox) with tacticalrmm_username / tacticalrmm_password.';

SELECT algawf.register_integration('{
  "name": "tacticalrmm", "label": "Tactical RMM",
  "description": "Tactical RMM: agents, scripts, remote execution.",
  "resolver": "algawf._tacticalrmm_connection",
  "rateLimit": {"requests": 20, "perSeconds": 1}
}');

CREATE FUNCTION algawf._tacticalrmm_find_local(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    WITH d AS (
        SELECT a.* FROM psa.assets a
         WHERE a.tenant = algawf._act_tenant(ctx) AND a.rmm_provider = 'tacticalrmm'
           AND (input ->> 'asset_id' IS NULL OR a.asset_id = (input ->> 'asset_id')::uuid)
           AND (input ->> 'agent_id' IS NULL OR a.rmm_device_id = input ->> 'agent_id')
           AND (input ->> 'query' IS NULL OR a.name ILIKE '%' || (input ->> 'query') || '%'
                OR a.asset_tag ILIKE '%' || (input ->> 'query') || '%' OR a.serial_number ILIKE '%' || (input ->> 'query') || '%')
         ORDER BY a.name, a.asset_id
         LIMIT coalesce((input ->> 'limit')::int, 50))
    SELECT jsonb_build_object('agents', coalesce(jsonb_agg(jsonb_build_object(
               'agent_id', d.rmm_device_id, 'asset_id', d.asset_id, 'hostname', coalesce(d.attributes ->> 'hostname', d.name),
               'organization_id', d.attributes ->> 'organization_id',
               'agent_online', CASE d.agent_status WHEN 'online' THEN true WHEN 'offline' THEN false END,
               'last_seen_at', algawf._act_iso(d.last_seen_at), 'os_name', d.attributes ->> 'os_name', 'source', 'local')), '[]'),
           'count', count(*))
      FROM d
$$;
COMMENT ON FUNCTION algawf._tacticalrmm_find_local(jsonb, jsonb) IS
    'tacticalrmm.agents.find without live: the Tactical RMM agents synced into psa.assets.';

SELECT algawf.register_action($def${
  "id": "tacticalrmm.agents.find", "version": 1,
  "label": "Find agents", "category": "Tactical RMM",
  "description": "Find Tactical RMM agents: the agents synced into PSA assets, or with live = true straight from Tactical RMM (one agent by agent_id or asset_id, else every agent, filtered by host name).",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "agent_id": {"type": "string", "minLength": 1},
    "asset_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "asset"},
    "query": {"type": "string", "minLength": 1},
    "live": {"type": "boolean", "default": false},
    "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}},
  "outputSchema": {"type": "object", "required": ["agents", "count"], "properties": {
    "agents": {"type": "array", "items": {"$ref": "#/$defs/agent"}}, "count": {"type": "integer"}},
    "$defs": {"agent": {"type": "object", "required": ["agent_id", "source"], "properties": {
      "agent_id": {"type": "string"}, "asset_id": {"type": ["string", "null"]}, "hostname": {"type": ["string", "null"]},
      "organization_id": {"type": ["string", "null"]}, "agent_online": {"type": ["boolean", "null"]},
      "last_seen_at": {"type": ["string", "null"]}, "os_name": {"type": ["string", "null"]},
      "source": {"type": "string", "enum": ["local", "tacticalrmm"]}}}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "tacticalrmm"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "Live agents named like GLOBEX", "input": {"live": true, "query": "globex"}}],
  "implementation": {"kind": "http",
    "local": {"when": "$not(live = true)", "function": "algawf._tacticalrmm_find_local"},
    "prepare": "algawf._rmm_prepare_device",
    "request": {
      "method": "GET",
      "url": {"$expr": "$prepared.device_id ? '/agents/' & $encodeUrlComponent($prepared.device_id) & '/' : '/agents/'"},
      "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Tactical RMM agent {{ $prepared.device_id }} not found"}],
      "response": "($a := [$[$not($exists($input.query)) or $contains($lowercase(hostname ?? ''), $lowercase($input.query))].{'agent_id': agent_id, 'asset_id': null, 'hostname': hostname ?? null, 'organization_id': client_id ? $string(client_id) : null, 'agent_online': $exists(status) and status != null ? $lowercase(status) = 'online' : null, 'last_seen_at': last_seen ?? null, 'os_name': operating_system ?? null, 'source': 'tacticalrmm'}]; $a := [$a[[0..($input.limit ?? 50) - 1]]]; {'agents': $a, 'count': $count($a)})"
    }}
}$def$);

SELECT algawf.register_action($def${
  "id": "tacticalrmm.agents.get", "version": 1,
  "label": "Get agent", "category": "Tactical RMM",
  "description": "One Tactical RMM agent by its agent id.",
  "inputSchema": {"type": "object", "required": ["agent_id"], "additionalProperties": false, "properties": {
    "agent_id": {"type": "string", "minLength": 1}}},
  "outputSchema": {"type": "object", "required": ["agent"], "properties": {
    "agent": {"type": "object", "required": ["agent_id", "source"], "properties": {
      "agent_id": {"type": "string"}, "asset_id": {"type": ["string", "null"]}, "hostname": {"type": ["string", "null"]},
      "organization_id": {"type": ["string", "null"]}, "agent_online": {"type": ["boolean", "null"]},
      "last_seen_at": {"type": ["string", "null"]}, "os_name": {"type": ["string", "null"]},
      "source": {"type": "string", "enum": ["local", "tacticalrmm"]}}}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "tacticalrmm"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "An agent", "input": {"agent_id": "AgEnT-ONE"}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/agents/{{ agent_id }}/",
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Tactical RMM agent {{ $input.agent_id }} not found"}],
    "response": "{'agent': {'agent_id': agent_id, 'asset_id': null, 'hostname': hostname ?? null, 'organization_id': client_id ? $string(client_id) : null, 'agent_online': $exists(status) and status != null ? $lowercase(status) = 'online' : null, 'last_seen_at': last_seen ?? null, 'os_name': operating_system ?? null, 'source': 'tacticalrmm'}}"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "tacticalrmm.scripts.list", "version": 1,
  "label": "List scripts", "category": "Tactical RMM",
  "description": "The Tactical RMM script library (id, name, shell, category), optionally those whose name contains query, to pick a script id for run_script.",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "query": {"type": "string", "minLength": 1},
    "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}}},
  "outputSchema": {"type": "object", "required": ["scripts", "count"], "properties": {
    "scripts": {"type": "array", "items": {"type": "object", "required": ["id", "name"], "properties": {
      "id": {"type": ["integer", "null"]}, "name": {"type": ["string", "null"]}, "shell": {"type": ["string", "null"]},
      "category": {"type": ["string", "null"]}, "description": {"type": ["string", "null"]}}}},
    "count": {"type": "integer"}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "tacticalrmm"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "Disk scripts", "input": {"query": "disk"}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/scripts/",
    "response": "($s := [$[$not($exists($input.query)) or $contains($lowercase(name ?? ''), $lowercase($input.query))].{'id': id ?? null, 'name': name ?? null, 'shell': shell ?? null, 'category': category ?? null, 'description': description ?? null}]; $s := [$s[[0..($input.limit ?? 100) - 1]]]; {'scripts': $s, 'count': $count($s)})"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "tacticalrmm.agents.run_script", "version": 1,
  "label": "Run script", "category": "Tactical RMM",
  "description": "Run a stored script on a Tactical RMM agent and return its output (POST /agents/{agent_id}/runscript/ with output wait; the call lasts as long as the script, up to timeout seconds).",
  "inputSchema": {"type": "object", "required": ["agent_id", "script_id"], "additionalProperties": false, "properties": {
    "agent_id": {"type": "string", "minLength": 1},
    "script_id": {"type": "integer", "minimum": 1},
    "args": {"type": "array", "items": {"type": "string"}, "default": []},
    "timeout": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 90},
    "run_as_user": {"type": "boolean", "default": false},
    "wait_for_output": {"type": "boolean", "default": true}}},
  "outputSchema": {"type": "object", "required": ["run_requested", "agent_id", "output"], "properties": {
    "run_requested": {"type": "boolean"}, "agent_id": {"type": "string"}, "output": {"type": ["string", "null"]},
    "vendor_response": {}}},
  "permissions": ["asset:update"],
  "sideEffectful": true,
  "availability": {"integration": "tacticalrmm"},
  "retryHint": {"retryable": true, "maxAttempts": 2, "backoffMs": 5000},
  "examples": [{"title": "Free disk space", "input": {"agent_id": "AgEnT-ONE", "script_id": 90, "timeout": 120}}],
  "implementation": {"kind": "http", "request": {
    "method": "POST", "url": "/agents/{{ agent_id }}/runscript/",
    "body": {"$expr": "{'output': wait_for_output = false ? 'forget' : 'wait', 'emails': [], 'emailMode': 'default', 'custom_field': null, 'save_all_output': false, 'script': script_id, 'args': [args], 'env_vars': [], 'run_as_user': run_as_user = true, 'timeout': timeout ?? 90}"},
    "timeoutMs": 600000,
    "retry": {"onTimeout": false, "maxAttempts": 2},
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Tactical RMM agent {{ $input.agent_id }} (or script {{ $input.script_id }}) not found"},
               {"status": 400, "code": "VALIDATION_ERROR", "message": "Tactical RMM could not run script {{ $input.script_id }} on agent {{ $input.agent_id }}: {{ $type($) = 'string' ? $ : $string($) }}",
                "hint": "The agent must be online; check the script id with tacticalrmm.scripts.list."}],
    "response": "{'run_requested': true, 'agent_id': $input.agent_id, 'output': $type($) = 'string' ? $ : (output ?? stdout ?? result ?? null), 'vendor_response': $ ?? null}"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "tacticalrmm.agents.run_command", "version": 1,
  "label": "Run command", "category": "Tactical RMM",
  "description": "Run a raw shell command on a Tactical RMM agent and return its output (POST /agents/{agent_id}/cmd/). Needs the rmm:execute_command permission.",
  "inputSchema": {"type": "object", "required": ["agent_id", "command"], "additionalProperties": false, "properties": {
    "agent_id": {"type": "string", "minLength": 1},
    "command": {"type": "string", "minLength": 1, "maxLength": 10000},
    "shell": {"type": "string", "enum": ["powershell", "cmd", "bash", "shell"], "default": "powershell"},
    "timeout": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 30},
    "run_as_user": {"type": "boolean", "default": false}}},
  "outputSchema": {"type": "object", "required": ["run_requested", "agent_id", "output"], "properties": {
    "run_requested": {"type": "boolean"}, "agent_id": {"type": "string"}, "output": {"type": ["string", "null"]},
    "vendor_response": {}}},
  "permissions": ["rmm:execute_command"],
  "sideEffectful": true,
  "availability": {"integration": "tacticalrmm"},
  "retryHint": {"retryable": false},
  "examples": [{"title": "Disk usage", "input": {"agent_id": "AgEnT-ONE", "command": "Get-PSDrive C"}}],
  "implementation": {"kind": "http", "request": {
    "method": "POST", "url": "/agents/{{ agent_id }}/cmd/",
    "body": {"$expr": "{'shell': shell ?? 'powershell', 'cmd': command, 'timeout': timeout ?? 30, 'run_as_user': run_as_user = true}"},
    "timeoutMs": 600000,
    "retry": {"onTimeout": false, "maxAttempts": 1},
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Tactical RMM agent {{ $input.agent_id }} not found"},
               {"status": 400, "code": "VALIDATION_ERROR", "message": "Tactical RMM could not run the command on agent {{ $input.agent_id }}: {{ $type($) = 'string' ? $ : $string($) }}",
                "hint": "The agent must be online."}],
    "response": "{'run_requested': true, 'agent_id': $input.agent_id, 'output': $type($) = 'string' ? $ : (output ?? stdout ?? result ?? null), 'vendor_response': $ ?? null}"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "tacticalrmm.agents.reboot", "version": 1,
  "label": "Reboot agent", "category": "Tactical RMM",
  "description": "Reboot a Tactical RMM agent now (POST /agents/{agent_id}/reboot/).",
  "inputSchema": {"type": "object", "required": ["agent_id"], "additionalProperties": false, "properties": {
    "agent_id": {"type": "string", "minLength": 1}}},
  "outputSchema": {"type": "object", "required": ["reboot_requested", "agent_id"], "properties": {
    "reboot_requested": {"type": "boolean"}, "agent_id": {"type": "string"}}},
  "permissions": ["asset:update"],
  "sideEffectful": true,
  "availability": {"integration": "tacticalrmm"},
  "retryHint": {"retryable": true, "maxAttempts": 2, "backoffMs": 5000},
  "examples": [{"title": "Reboot an agent", "input": {"agent_id": "AgEnT-ONE"}}],
  "implementation": {"kind": "http", "request": {
    "method": "POST", "url": "/agents/{{ agent_id }}/reboot/",
    "retry": {"onTimeout": false},
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Tactical RMM agent {{ $input.agent_id }} not found"}],
    "response": "{'reboot_requested': true, 'agent_id': $input.agent_id}"}}
}$def$);
