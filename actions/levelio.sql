-- levelio.*: Level (level.io) RMM, API v2: devices, alerts, patch updates,
-- automations.  Declarative HTTP actions: each call becomes an outbox request
-- sent by the background worker.
--
-- Connection: the tenant's psa.rmm_integrations row with provider 'levelio',
-- active and connected (connected_at set); instance_url the API base (default
-- https://api.level.io).  Authentication: the API key itself in the
-- Authorization header (no Bearer prefix), from the tenant secret
-- levelio_api_key (settings.api_key_secret renames it).  Lists are paginated
-- with starting_after (every page is fetched, up to limit).

CREATE FUNCTION algawf._levelio_connection(tenant uuid) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN coalesce((c ->> 'connected')::boolean, false) THEN
        c || jsonb_build_object(
            'baseUrl', coalesce(nullif(c ->> 'baseUrl', ''), 'https://api.level.io'),
            'auth', jsonb_build_object('default', jsonb_build_object(
                'scheme', 'header', 'name', 'Authorization',
                'value', jsonb_build_object('$secret', coalesce(c #>> '{settings,api_key_secret}', 'levelio_api_key')))))
          || CASE WHEN c -> 'settings' ? 'rate_limit' THEN jsonb_build_object('rateLimit', c #> '{settings,rate_limit}') ELSE '{}' END
        ELSE c END
      FROM algawf.rmm_connection(tenant, 'levelio') c
$$;
COMMENT ON FUNCTION algawf._levelio_connection(uuid) IS
    'Level module resolver: the tenant''s active and connected psa.rmm_integrations row (provider levelio); the API key (secret levelio_api_key) in the Authorization header.';

SELECT algawf.register_integration('{
  "name": "levelio", "label": "Level",
  "description": "Level (level.io) RMM: devices, alerts, patch updates, automations.",
  "resolver": "algawf._levelio_connection",
  "rateLimit": {"requests": 10, "perSeconds": 1}
}');

CREATE FUNCTION algawf._levelio_find_local(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    WITH d AS (
        SELECT a.* FROM psa.assets a
         WHERE a.tenant = algawf._act_tenant(ctx) AND a.rmm_provider = 'levelio'
           AND (input ->> 'asset_id' IS NULL OR a.asset_id = (input ->> 'asset_id')::uuid)
           AND (input ->> 'device_id' IS NULL OR a.rmm_device_id = input ->> 'device_id')
           AND (input ->> 'group_id' IS NULL OR a.attributes ->> 'group_id' = input ->> 'group_id')
           AND (input ->> 'query' IS NULL OR a.name ILIKE '%' || (input ->> 'query') || '%'
                OR a.asset_tag ILIKE '%' || (input ->> 'query') || '%' OR a.serial_number ILIKE '%' || (input ->> 'query') || '%')
         ORDER BY a.name, a.asset_id
         LIMIT coalesce((input ->> 'limit')::int, 50))
    SELECT jsonb_build_object('devices', coalesce(jsonb_agg(jsonb_build_object(
               'device_id', d.rmm_device_id, 'asset_id', d.asset_id, 'hostname', coalesce(d.attributes ->> 'hostname', d.name),
               'nickname', d.attributes ->> 'nickname', 'group_id', d.attributes ->> 'group_id',
               'online', CASE d.agent_status WHEN 'online' THEN true WHEN 'offline' THEN false END,
               'platform', d.attributes ->> 'platform', 'os_name', d.attributes ->> 'os_name', 'serial_number', d.serial_number,
               'last_seen_at', algawf._act_iso(d.last_seen_at), 'security_score', (d.attributes ->> 'security_score')::numeric,
               'source', 'local')), '[]'),
           'count', count(*))
      FROM d
$$;
COMMENT ON FUNCTION algawf._levelio_find_local(jsonb, jsonb) IS
    'levelio.devices.find without live: the Level devices synced into psa.assets.';

SELECT algawf.register_action($def${
  "id": "levelio.devices.find", "version": 1,
  "label": "Find devices", "category": "Level",
  "description": "Find Level devices: the devices synced into PSA assets, or with live = true straight from Level (one device by device_id or asset_id, else every device of the account or of group_id, filtered by host name).",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "device_id": {"type": "string", "minLength": 1},
    "asset_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "asset"},
    "group_id": {"type": "string", "minLength": 1},
    "query": {"type": "string", "minLength": 1},
    "live": {"type": "boolean", "default": false},
    "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}},
  "outputSchema": {"type": "object", "required": ["devices", "count"], "properties": {
    "devices": {"type": "array", "items": {"$ref": "#/$defs/device"}}, "count": {"type": "integer"}},
    "$defs": {"device": {"type": "object", "required": ["device_id", "source"], "properties": {
      "device_id": {"type": "string"}, "asset_id": {"type": ["string", "null"]}, "hostname": {"type": ["string", "null"]},
      "nickname": {"type": ["string", "null"]}, "group_id": {"type": ["string", "null"]}, "online": {"type": ["boolean", "null"]},
      "platform": {"type": ["string", "null"]}, "os_name": {"type": ["string", "null"]}, "serial_number": {"type": ["string", "null"]},
      "last_seen_at": {"type": ["string", "null"]}, "security_score": {"type": ["number", "null"]},
      "source": {"type": "string", "enum": ["local", "levelio"]}}}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "levelio"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "Live devices of a group", "input": {"live": true, "group_id": "grp-1"}}],
  "implementation": {"kind": "http",
    "local": {"when": "$not(live = true)", "function": "algawf._levelio_find_local"},
    "prepare": "algawf._rmm_prepare_device",
    "request": {
      "method": "GET",
      "url": {"$expr": "$prepared.device_id ? '/v2/devices/' & $encodeUrlComponent($prepared.device_id) : '/v2/devices'"},
      "query": {"include_operating_system": "true", "include_security": "true",
                "group_id": {"$expr": "$not($prepared.device_id) ? group_id"},
                "limit": {"$expr": "$not($prepared.device_id) ? 100"}},
      "paginate": {"style": "starting_after", "items": "$prepared.device_id ? $ : data",
                   "maxItems": "$exists(query) ? 10000 : (limit ?? 50)", "maxPages": 50},
      "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Level device {{ $prepared.device_id }} not found"}],
      "response": "($d := [$items[$not($exists($input.query)) or $contains($lowercase(hostname ?? ''), $lowercase($input.query))].{'device_id': $string(id), 'asset_id': null, 'hostname': hostname ?? null, 'nickname': nickname ?? null, 'group_id': group_id ? $string(group_id) : null, 'online': $type(online) = 'boolean' ? online : null, 'platform': platform ?? null, 'os_name': operating_system.full_operating_system ?? null, 'serial_number': serial_number ?? null, 'last_seen_at': last_seen_at ?? null, 'security_score': $type(security_score) = 'number' ? security_score : null, 'source': 'levelio'}]; $d := [$d[[0..($input.limit ?? 50) - 1]]]; {'devices': $d, 'count': $count($d)})"
    }}
}$def$);

SELECT algawf.register_action($def${
  "id": "levelio.devices.get", "version": 1,
  "label": "Get device", "category": "Level",
  "description": "One Level device with its operating system and security details.",
  "inputSchema": {"type": "object", "required": ["device_id"], "additionalProperties": false, "properties": {
    "device_id": {"type": "string", "minLength": 1}}},
  "outputSchema": {"type": "object", "required": ["device"], "properties": {
    "device": {"type": "object", "required": ["device_id", "source"], "properties": {
      "device_id": {"type": "string"}, "asset_id": {"type": ["string", "null"]}, "hostname": {"type": ["string", "null"]},
      "nickname": {"type": ["string", "null"]}, "group_id": {"type": ["string", "null"]}, "online": {"type": ["boolean", "null"]},
      "platform": {"type": ["string", "null"]}, "os_name": {"type": ["string", "null"]}, "serial_number": {"type": ["string", "null"]},
      "last_seen_at": {"type": ["string", "null"]}, "security_score": {"type": ["number", "null"]},
      "source": {"type": "string", "enum": ["local", "levelio"]}}}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "levelio"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "A device", "input": {"device_id": "dev-1"}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v2/devices/{{ device_id }}",
    "query": {"include_operating_system": "true", "include_security": "true"},
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Level device {{ $input.device_id }} not found"}],
    "response": "{'device': {'device_id': $string(id), 'asset_id': null, 'hostname': hostname ?? null, 'nickname': nickname ?? null, 'group_id': group_id ? $string(group_id) : null, 'online': $type(online) = 'boolean' ? online : null, 'platform': platform ?? null, 'os_name': operating_system.full_operating_system ?? null, 'serial_number': serial_number ?? null, 'last_seen_at': last_seen_at ?? null, 'security_score': $type(security_score) = 'number' ? security_score : null, 'source': 'levelio'}}"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "levelio.alerts.list_active", "version": 1,
  "label": "List active alerts", "category": "Level",
  "description": "The active (unresolved) Level alerts, optionally of one device. Always live (algawf keeps no local alert table).",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "device_id": {"type": "string", "minLength": 1},
    "live": {"type": "boolean", "default": true, "description": "accepted for Alga compatibility; alerts are always read live"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}},
  "outputSchema": {"type": "object", "required": ["alerts", "count"], "properties": {
    "alerts": {"type": "array", "items": {"type": "object", "required": ["alert_id", "is_resolved"], "properties": {
      "alert_id": {"type": "string"}, "device_id": {"type": ["string", "null"]}, "device_hostname": {"type": ["string", "null"]},
      "name": {"type": ["string", "null"]}, "description": {"type": ["string", "null"]}, "severity": {"type": ["string", "null"]},
      "is_resolved": {"type": "boolean"}, "started_at": {"type": ["string", "null"]}, "resolved_at": {"type": ["string", "null"]}}}},
    "count": {"type": "integer"}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "levelio"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "Active alerts of a device", "input": {"device_id": "dev-1"}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v2/alerts",
    "query": {"status": "active", "device_id": {"$expr": "device_id"}, "limit": 100},
    "paginate": {"style": "starting_after", "maxItems": "limit ?? 50", "maxPages": 50},
    "response": "($a := [$items.{'alert_id': $string(id), 'device_id': device_id ? $string(device_id) : null, 'device_hostname': device_hostname ?? null, 'name': name ?? null, 'description': description ?? null, 'severity': severity ?? null, 'is_resolved': is_resolved = true, 'started_at': started_at ?? null, 'resolved_at': resolved_at ?? null}]; {'alerts': $a, 'count': $count($a)})"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "levelio.alerts.resolve", "version": 1,
  "label": "Resolve alert", "category": "Level",
  "description": "Resolve a Level alert so Level and the ticket agree (POST /v2/alerts/{id}/resolve).",
  "inputSchema": {"type": "object", "required": ["alert_id"], "additionalProperties": false, "properties": {
    "alert_id": {"type": "string", "minLength": 1}}},
  "outputSchema": {"type": "object", "required": ["resolved", "alert_id"], "properties": {
    "resolved": {"type": "boolean"}, "alert_id": {"type": "string"}}},
  "permissions": ["asset:update"],
  "sideEffectful": true,
  "availability": {"integration": "levelio"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "Resolve an alert", "input": {"alert_id": "alrt-1"}}],
  "implementation": {"kind": "http", "request": {
    "method": "POST", "url": "/v2/alerts/{{ alert_id }}/resolve",
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Level alert {{ $input.alert_id }} not found"}],
    "response": "{'resolved': true, 'alert_id': $input.alert_id}"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "levelio.updates.list", "version": 1,
  "label": "List updates", "category": "Level",
  "description": "Patch updates Level reports (available or installed), optionally of one device.",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "device_id": {"type": "string", "minLength": 1},
    "status": {"type": "string", "enum": ["available", "installed"]},
    "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}}},
  "outputSchema": {"type": "object", "required": ["updates", "count"], "properties": {
    "updates": {"type": "array", "items": {"type": "object", "required": ["update_id"], "properties": {
      "update_id": {"type": "string"}, "device_id": {"type": ["string", "null"]}, "device_hostname": {"type": ["string", "null"]},
      "name": {"type": ["string", "null"]}, "category": {"type": ["string", "null"]}, "is_available": {"type": ["boolean", "null"]},
      "installed_on": {"type": ["string", "null"]}}}},
    "count": {"type": "integer"}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "levelio"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "Available updates of a device", "input": {"device_id": "dev-1", "status": "available"}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v2/updates",
    "query": {"device_id": {"$expr": "device_id"}, "status": {"$expr": "status"}, "limit": 100},
    "paginate": {"style": "starting_after", "maxItems": "limit ?? 100", "maxPages": 50},
    "response": "($u := [$items.{'update_id': $string(id), 'device_id': device_id ? $string(device_id) : null, 'device_hostname': device_hostname ?? null, 'name': name ?? null, 'category': category ?? null, 'is_available': $type(is_available) = 'boolean' ? is_available : null, 'installed_on': installed_on ?? null}]; {'updates': $u, 'count': $count($u)})"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "levelio.automations.list", "version": 1,
  "label": "List automations", "category": "Level",
  "description": "Level automations with their webhook trigger token (null: the automation has no webhook trigger, so automations.trigger cannot start it).",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "query": {"type": "string", "minLength": 1},
    "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}},
  "outputSchema": {"type": "object", "required": ["automations", "count"], "properties": {
    "automations": {"type": "array", "items": {"type": "object", "required": ["automation_id", "webhook_token"], "properties": {
      "automation_id": {"type": "string"}, "name": {"type": ["string", "null"]}, "description": {"type": ["string", "null"]},
      "group_id": {"type": ["string", "null"]}, "group_name": {"type": ["string", "null"]},
      "webhook_token": {"type": ["string", "null"]}, "webhook_requires_authorization": {"type": ["boolean", "null"]}}}},
    "count": {"type": "integer"}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "levelio"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "Automations about disks", "input": {"query": "disk"}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v2/automations",
    "query": {"limit": 100},
    "paginate": {"style": "starting_after", "maxPages": 50},
    "then": [{"name": "webhooks", "method": "GET", "url": "/v2/automations/webhooks"}],
    "response": "($w := $results.webhooks.data ?? $results.webhooks; $a := [$items[$not($exists($input.query)) or $contains($lowercase(name ?? ''), $lowercase($input.query))].($id := $string(id); $h := $w[$string(automation_id) = $id][0]; {'automation_id': $id, 'name': name ?? null, 'description': description ?? null, 'group_id': group_id ? $string(group_id) : null, 'group_name': group_name ?? null, 'webhook_token': $h ? $split($h.url, '/')[-1] : null, 'webhook_requires_authorization': $type($h.requires_authorization_header) = 'boolean' ? $h.requires_authorization_header : null})]; $a := [$a[[0..($input.limit ?? 50) - 1]]]; {'automations': $a, 'count': $count($a)})"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "levelio.automations.trigger", "version": 1,
  "label": "Trigger automation", "category": "Level",
  "description": "Start a Level automation through its webhook trigger, optionally on some devices only. Give the webhook_token (levelio.automations.list) or the automation_id; an automation without a webhook trigger cannot be started this way and fails with NOT_FOUND saying so.",
  "inputSchema": {"type": "object", "additionalProperties": false,
    "anyOf": [{"required": ["webhook_token"]}, {"required": ["automation_id"]}],
    "properties": {
      "webhook_token": {"type": "string", "minLength": 1},
      "automation_id": {"type": "string", "minLength": 1},
      "device_ids": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 500, "default": []}}},
  "outputSchema": {"type": "object", "required": ["triggered", "webhook_token"], "properties": {
    "triggered": {"type": "boolean"}, "webhook_token": {"type": "string"}, "automation_id": {"type": ["string", "null"]},
    "run_id": {"type": ["string", "null"]}, "vendor_response": {}}},
  "permissions": ["asset:update"],
  "sideEffectful": true,
  "availability": {"integration": "levelio"},
  "retryHint": {"retryable": true, "maxAttempts": 2, "backoffMs": 2000},
  "examples": [{"title": "Clean up two devices' disks", "input": {"automation_id": "auto-1", "device_ids": ["dev-1", "dev-2"]}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v2/automations/webhooks",
    "then": [{"name": "trigger", "method": "POST",
              "require": "($w := $main.data ?? $main; $exists($w[($input.webhook_token and $split(url, '/')[-1] = $input.webhook_token) or ($input.automation_id and $string(automation_id) = $input.automation_id)]))",
              "error": {"code": "NOT_FOUND",
                        "message": "{{ $input.automation_id ? 'Level automation ' & $input.automation_id & ' has no webhook trigger' : 'No Level automation has the webhook token ' & $input.webhook_token }}",
                        "hint": "Add a Webhook trigger to the automation in Level (Automations > Triggers); levelio.automations.list shows each automation's webhook_token (null when it has none)."},
              "url": {"$expr": "($w := $main.data ?? $main; $h := $w[($input.webhook_token and $split(url, '/')[-1] = $input.webhook_token) or ($input.automation_id and $string(automation_id) = $input.automation_id)][0]; '/v2/automations/webhooks/' & $encodeUrlComponent($split($h.url, '/')[-1]))"},
              "body": {"$expr": "$count(device_ids) > 0 ? {'device_ids': device_ids} : {}"}}],
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Level has no automation webhook {{ $input.webhook_token ?? $input.automation_id }}",
                "hint": "The automation needs a Webhook trigger in Level; levelio.automations.list shows the tokens."}],
    "response": "($w := $main.data ?? $main; $h := $w[($input.webhook_token and $split(url, '/')[-1] = $input.webhook_token) or ($input.automation_id and $string(automation_id) = $input.automation_id)][0]; {'triggered': true, 'webhook_token': $split($h.url, '/')[-1], 'automation_id': $h.automation_id ? $string($h.automation_id) : null, 'run_id': $results.trigger.run_id ?? $results.trigger.id ?? null, 'vendor_response': $results.trigger ?? null})"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "levelio.automations.run_status", "version": 1,
  "label": "Get automation run", "category": "Level",
  "description": "The status of a Level automation run, with its steps when include_steps is true.",
  "inputSchema": {"type": "object", "required": ["run_id"], "additionalProperties": false, "properties": {
    "run_id": {"type": "string", "minLength": 1},
    "include_steps": {"type": "boolean", "default": false}}},
  "outputSchema": {"type": "object", "required": ["run", "steps"], "properties": {
    "run": {"type": "object", "required": ["run_id", "status"], "properties": {
      "run_id": {"type": "string"}, "automation_id": {"type": ["string", "null"]}, "automation_name": {"type": ["string", "null"]},
      "device_id": {"type": ["string", "null"]}, "device_hostname": {"type": ["string", "null"]}, "status": {"type": ["string", "null"]},
      "started_at": {"type": ["string", "null"]}, "ended_at": {"type": ["string", "null"]}}},
    "steps": {}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "levelio"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "A run with its steps", "input": {"run_id": "run-1", "include_steps": true}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v2/automation-runs/{{ run_id }}",
    "query": {"include_steps": {"$expr": "include_steps = true ? 'true'"}},
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Level automation run {{ $input.run_id }} not found"}],
    "response": "{'run': {'run_id': $string(id), 'automation_id': automation_id ? $string(automation_id) : null, 'automation_name': automation_name ?? null, 'device_id': device_id ? $string(device_id) : null, 'device_hostname': device_hostname ?? null, 'status': status ?? null, 'started_at': started_at ?? null, 'ended_at': ended_at ?? null}, 'steps': $input.include_steps = true ? (steps ?? null) : null}"}}
}$def$);
