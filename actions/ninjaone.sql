-- ninjaone.*: NinjaOne RMM (public API v2): devices, scripts, alerts.
-- Declarative HTTP actions: each call becomes an outbox request sent by the
-- background worker.
--
-- Connection: the tenant's psa.rmm_integrations row with provider 'ninjaone',
-- active and connected (connected_at set); instance_url is the region's base
-- (https://app.ninjarmm.com, https://eu.ninjarmm.com, https://ca.ninjarmm.com,
-- https://oc.ninjarmm.com, ...).  Authentication: OAuth2 against
-- <instance>/ws/oauth/token, client credentials by default (settings.auth_mode
-- 'refresh_token' uses a refresh token instead); the client id, secret and
-- refresh token are tenant secrets named by settings.client_id_secret,
-- settings.client_secret_secret, settings.refresh_token_secret (defaults
-- ninjaone_client_id, ninjaone_client_secret, ninjaone_refresh_token).  Tokens
-- are cached per tenant and fetched again on 401.  settings.organization_map
-- ({"<NinjaOne organization id>": "<psa client_id>"}) tells devices.sync which
-- client a device belongs to.

CREATE FUNCTION algawf._ninjaone_connection(tenant uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c jsonb := algawf.rmm_connection(tenant, 'ninjaone');
    s jsonb;
    base text;
    auth jsonb;
BEGIN
    IF NOT coalesce((c ->> 'connected')::boolean, false) THEN
        RETURN c;
    END IF;
    s := coalesce(c -> 'settings', '{}');
    base := coalesce(nullif(c ->> 'baseUrl', ''), 'https://app.ninjarmm.com');
    auth := jsonb_build_object(
        'tokenUrl', base || '/ws/oauth/token',
        'clientId', jsonb_build_object('$secret', coalesce(s ->> 'client_id_secret', 'ninjaone_client_id')),
        'clientSecret', jsonb_build_object('$secret', coalesce(s ->> 'client_secret_secret', 'ninjaone_client_secret')),
        'scope', coalesce(s ->> 'scope', 'monitoring management control'));
    IF coalesce(s ->> 'auth_mode', 'client_credentials') = 'refresh_token' THEN
        auth := auth || jsonb_build_object('scheme', 'oauth2_refresh_token',
            'refreshToken', jsonb_build_object('$secret', coalesce(s ->> 'refresh_token_secret', 'ninjaone_refresh_token')));
    ELSE
        auth := auth || jsonb_build_object('scheme', 'oauth2_client_credentials');
    END IF;
    RETURN c || jsonb_build_object('baseUrl', base, 'auth', jsonb_build_object('default', auth))
             || CASE WHEN s ? 'rate_limit' THEN jsonb_build_object('rateLimit', s -> 'rate_limit') ELSE '{}' END;
END
$$;
COMMENT ON FUNCTION algawf._ninjaone_connection(uuid) IS
    'NinjaOne module resolver: the tenant''s active and connected psa.rmm_integrations row (provider ninjaone); OAuth2 client credentials (or refresh token, settings.auth_mode) at <instance_url>/ws/oauth/token with the secrets ninjaone_client_id / ninjaone_client_secret (/ ninjaone_refresh_token).';

SELECT algawf.register_integration('{
  "name": "ninjaone", "label": "NinjaOne",
  "description": "NinjaOne RMM: devices, scripts, alerts.",
  "resolver": "algawf._ninjaone_connection",
  "rateLimit": {"requests": 10, "perSeconds": 1}
}');

-- devices.find without live: the devices synced into psa.assets
CREATE FUNCTION algawf._ninjaone_find_local(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    WITH d AS (
        SELECT a.* FROM psa.assets a
         WHERE a.tenant = algawf._act_tenant(ctx) AND a.rmm_provider = 'ninjaone'
           AND (input ->> 'asset_id' IS NULL OR a.asset_id = (input ->> 'asset_id')::uuid)
           AND (input ->> 'device_id' IS NULL OR a.rmm_device_id = input ->> 'device_id')
           AND (input ->> 'query' IS NULL OR a.name ILIKE '%' || (input ->> 'query') || '%'
                OR a.asset_tag ILIKE '%' || (input ->> 'query') || '%' OR a.serial_number ILIKE '%' || (input ->> 'query') || '%')
         ORDER BY a.name, a.asset_id
         LIMIT coalesce((input ->> 'limit')::int, 50))
    SELECT jsonb_build_object('devices', coalesce(jsonb_agg(jsonb_build_object(
               'external_device_id', d.rmm_device_id, 'asset_id', d.asset_id,
               'organization_id', d.attributes ->> 'organization_id', 'hostname', d.attributes ->> 'hostname',
               'display_name', d.name, 'dns_name', d.attributes ->> 'dns_name',
               'agent_online', coalesce(d.agent_status, 'online') = 'online',
               'last_seen_at', algawf._act_iso(d.last_seen_at), 'os_name', d.attributes ->> 'os_name',
               'node_class', d.attributes ->> 'node_class', 'source', 'local')), '[]'),
           'count', count(*))
      FROM d
$$;
COMMENT ON FUNCTION algawf._ninjaone_find_local(jsonb, jsonb) IS
    'ninjaone.devices.find without live: the NinjaOne devices synced into psa.assets.';

SELECT algawf.register_action($def${
  "id": "ninjaone.devices.find", "version": 1,
  "label": "Find devices", "category": "NinjaOne",
  "description": "Find NinjaOne devices: the devices synced into PSA assets, or with live = true straight from NinjaOne (one device by device_id or asset_id, else the device list, filtered by a NinjaOne device filter in query).",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "device_id": {"type": "integer", "minimum": 1},
    "asset_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "asset"},
    "query": {"type": "string", "minLength": 1, "description": "local: part of the name, tag or serial; live: a NinjaOne device filter (df), e.g. class in (WINDOWS_SERVER)"},
    "live": {"type": "boolean", "default": false},
    "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}},
  "outputSchema": {"type": "object", "required": ["devices", "count"], "properties": {
    "devices": {"type": "array", "items": {"type": "object", "required": ["external_device_id", "agent_online", "source"], "properties": {
      "external_device_id": {"type": "string"}, "asset_id": {"type": ["string", "null"]}, "organization_id": {"type": ["string", "null"]},
      "hostname": {"type": ["string", "null"]}, "display_name": {"type": ["string", "null"]}, "dns_name": {"type": ["string", "null"]},
      "agent_online": {"type": "boolean"}, "last_seen_at": {"type": ["string", "null"]}, "os_name": {"type": ["string", "null"]},
      "node_class": {"type": ["string", "null"]}, "source": {"type": "string", "enum": ["local", "ninjaone"]}}}},
    "count": {"type": "integer"}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "ninjaone"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "Live lookup of one device", "input": {"device_id": 101, "live": true}},
               {"title": "Synced devices named like dc", "input": {"query": "dc"}}],
  "implementation": {"kind": "http",
    "local": {"when": "$not(live = true)", "function": "algawf._ninjaone_find_local"},
    "prepare": "algawf._rmm_prepare_device",
    "request": {
      "method": "GET",
      "url": {"$expr": "$prepared.device_id ? '/v2/device/' & $encodeUrlComponent($string($prepared.device_id)) : '/v2/devices'"},
      "query": {"pageSize": {"$expr": "$not($prepared.device_id) ? (limit ?? 50)"},
                "df": {"$expr": "$not($prepared.device_id) ? query"}},
      "errors": [{"status": 404, "code": "NOT_FOUND", "message": "NinjaOne device {{ $prepared.device_id }} not found"}],
      "response": "($d := [$.{'external_device_id': $string(id), 'asset_id': null, 'organization_id': organizationId ? $string(organizationId) : null, 'hostname': systemName ?? null, 'display_name': displayName ?? systemName ?? null, 'dns_name': dnsName ?? null, 'agent_online': $not(offline = true), 'last_seen_at': lastContact ? $fromMillis($round(lastContact * 1000)) : null, 'os_name': os.name ?? null, 'node_class': nodeClass ?? null, 'source': 'ninjaone'}]; $d := [$d[[0..($input.limit ?? 50) - 1]]]; {'devices': $d, 'count': $count($d)})"
    }}
}$def$);

-- devices.sync: the device's details upserted into psa.assets
CREATE FUNCTION algawf._ninjaone_sync_device(ctx jsonb, data jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    d jsonb := data -> 'output';
    org text := d ->> 'organizationId';
    client uuid;
    cls text := d ->> 'nodeClass';
    kind text;
    asset uuid;
    created boolean;
BEGIN
    client := coalesce((data #>> '{input,client_id}')::uuid,
                       (data #>> ARRAY['connection', 'settings', 'organization_map', coalesce(org, '')])::uuid);
    IF client IS NULL THEN
        PERFORM algawf._act_fail('VALIDATION_ERROR',
            format('NinjaOne device %s belongs to organization %s, which is not mapped to a PSA client', d ->> 'id', coalesce(org, '?')),
            NULL, 'Pass client_id, or map the organization in psa.rmm_integrations.settings.organization_map ({"<organization id>": "<client_id>"}).');
    END IF;
    PERFORM 1 FROM psa.clients c WHERE c.tenant = t AND c.client_id = client;
    IF NOT FOUND THEN
        PERFORM algawf._act_not_found('client', 'client_id', client::text);
    END IF;
    kind := CASE WHEN cls LIKE '%SERVER%' THEN 'server'
                 WHEN cls LIKE '%WORKSTATION%' OR cls LIKE '%LAPTOP%' OR cls = 'MAC' THEN 'workstation'
                 WHEN cls LIKE 'NMS%' OR cls LIKE '%NETWORK%' THEN 'network_device'
                 WHEN cls IN ('ANDROID', 'APPLE_IOS', 'APPLE_IPADOS') THEN 'mobile_device'
                 ELSE 'unknown' END;
    INSERT INTO psa.assets AS a (tenant, client_id, asset_type, name, serial_number, rmm_provider, rmm_device_id,
                                 agent_status, last_seen_at, attributes)
    VALUES (t, client, kind, coalesce(nullif(d ->> 'displayName', ''), d ->> 'systemName', 'NinjaOne device ' || (d ->> 'id')),
            d #>> '{system,serialNumber}', 'ninjaone', d ->> 'id',
            CASE WHEN (d ->> 'offline')::boolean THEN 'offline' ELSE 'online' END,
            CASE WHEN d ? 'lastContact' THEN to_timestamp((d ->> 'lastContact')::double precision) END,
            jsonb_strip_nulls(jsonb_build_object('hostname', d ->> 'systemName', 'dns_name', d ->> 'dnsName',
                                                 'os_name', d #>> '{os,name}', 'node_class', cls, 'organization_id', org,
                                                 'location_id', d ->> 'locationId')))
    ON CONFLICT (tenant, rmm_provider, rmm_device_id) DO UPDATE
        SET asset_type = EXCLUDED.asset_type, name = EXCLUDED.name, serial_number = EXCLUDED.serial_number,
            agent_status = EXCLUDED.agent_status, last_seen_at = EXCLUDED.last_seen_at,
            attributes = a.attributes || EXCLUDED.attributes, updated_at = now()
    RETURNING a.asset_id, (xmax = 0) INTO asset, created;
    PERFORM algawf._act_audit(ctx, 'assets', asset, jsonb_build_object('rmm_provider', 'ninjaone', 'rmm_device_id', d ->> 'id',
                                                                      'created', created));
    RETURN jsonb_build_object('synced', true, 'external_device_id', d ->> 'id', 'asset_id', asset, 'created', created);
END
$$;
COMMENT ON FUNCTION algawf._ninjaone_sync_device(jsonb, jsonb) IS
    'Finish hook of ninjaone.devices.sync: upserts the NinjaOne device into psa.assets (rmm_provider ninjaone, rmm_device_id).';

SELECT algawf.register_action($def${
  "id": "ninjaone.devices.sync", "version": 1,
  "label": "Sync device", "category": "NinjaOne",
  "description": "Fetch one NinjaOne device and create or update its PSA asset (rmm_provider ninjaone). The client comes from client_id or from the integration's settings.organization_map.",
  "inputSchema": {"type": "object", "required": ["device_id"], "additionalProperties": false, "properties": {
    "device_id": {"type": "integer", "minimum": 1},
    "client_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "client"}}},
  "outputSchema": {"type": "object", "required": ["synced", "external_device_id", "asset_id"], "properties": {
    "synced": {"type": "boolean"}, "external_device_id": {"type": "string"}, "asset_id": {"type": ["string", "null"], "format": "uuid"},
    "created": {"type": "boolean"}}},
  "permissions": ["asset:update"],
  "sideEffectful": true,
  "availability": {"integration": "ninjaone"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "Sync a device into Globex's assets", "input": {"device_id": 101, "client_id": "0000000a-0003-0000-0000-000000000001"}}],
  "implementation": {"kind": "http", "finish": "algawf._ninjaone_sync_device",
    "request": {"method": "GET", "url": "/v2/device/{{ device_id }}",
      "errors": [{"status": 404, "code": "NOT_FOUND", "message": "NinjaOne device {{ $input.device_id }} not found"}]}}
}$def$);

SELECT algawf.register_action($def${
  "id": "ninjaone.devices.reboot", "version": 1,
  "label": "Reboot device", "category": "NinjaOne",
  "description": "Send a reboot command to a NinjaOne device (POST /v2/device/{id}/reboot/{NORMAL|FORCED}).",
  "inputSchema": {"type": "object", "required": ["device_id"], "additionalProperties": false, "properties": {
    "device_id": {"type": "integer", "minimum": 1},
    "mode": {"type": "string", "enum": ["NORMAL", "FORCED"], "default": "NORMAL"},
    "reason": {"type": "string", "maxLength": 500}}},
  "outputSchema": {"type": "object", "required": ["reboot_requested", "external_device_id"], "properties": {
    "reboot_requested": {"type": "boolean"}, "external_device_id": {"type": "string"}, "mode": {"type": "string"}}},
  "permissions": ["asset:update"],
  "sideEffectful": true,
  "availability": {"integration": "ninjaone"},
  "retryHint": {"retryable": true, "maxAttempts": 2, "backoffMs": 2000},
  "examples": [{"title": "Reboot a device", "input": {"device_id": 101, "reason": "Pending updates"}}],
  "implementation": {"kind": "http", "request": {
    "method": "POST", "url": "/v2/device/{{ device_id }}/reboot/{{ mode ?? 'NORMAL' }}",
    "body": {"reason": {"$expr": "reason ?? 'Requested by a workflow'"}},
    "retry": {"onTimeout": false},
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "NinjaOne device {{ $input.device_id }} not found"}],
    "response": "{'reboot_requested': true, 'external_device_id': $string($input.device_id), 'mode': $input.mode ?? 'NORMAL'}"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "ninjaone.devices.scripting_options", "version": 1,
  "label": "Scripting options", "category": "NinjaOne",
  "description": "The scripts and built-in actions a NinjaOne device can run (GET /v2/device/{id}/scripting/options): pick the script id or action uid for run_script.",
  "inputSchema": {"type": "object", "required": ["device_id"], "additionalProperties": false, "properties": {
    "device_id": {"type": "integer", "minimum": 1},
    "lang": {"type": "string", "minLength": 2, "maxLength": 10}}},
  "outputSchema": {"type": "object", "required": ["scripts", "count"], "properties": {
    "scripts": {"type": "array", "items": {"type": "object", "required": ["type", "name"], "properties": {
      "type": {"type": "string"}, "id": {"type": ["integer", "null"]}, "uid": {"type": ["string", "null"]},
      "name": {"type": ["string", "null"]}, "language": {"type": ["string", "null"]}, "description": {"type": ["string", "null"]}}}},
    "categories": {"type": "array", "items": {"type": "object"}},
    "count": {"type": "integer"}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "ninjaone"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "What can device 101 run", "input": {"device_id": 101}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v2/device/{{ device_id }}/scripting/options",
    "query": {"lang": {"$expr": "lang"}},
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "NinjaOne device {{ $input.device_id }} not found"}],
    "response": "($s := [scripts.{'type': type ?? 'SCRIPT', 'id': id ?? null, 'uid': uid ?? null, 'name': name ?? null, 'language': language ?? null, 'description': description ?? null}]; {'scripts': $s, 'categories': [categories], 'count': $count($s)})"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "ninjaone.devices.run_script", "version": 1,
  "label": "Run script", "category": "NinjaOne",
  "description": "Run a script (type SCRIPT, script_id) or a built-in action (type ACTION, action_uid) on a NinjaOne device (POST /v2/device/{id}/script/run). NinjaOne runs it asynchronously: the output is in the device's activities.",
  "inputSchema": {"type": "object", "required": ["device_id"], "additionalProperties": false,
    "anyOf": [{"required": ["script_id"]}, {"required": ["action_uid"]}],
    "properties": {
      "device_id": {"type": "integer", "minimum": 1},
      "type": {"type": "string", "enum": ["SCRIPT", "ACTION"], "default": "SCRIPT"},
      "script_id": {"type": "integer", "minimum": 1},
      "action_uid": {"type": "string", "format": "uuid"},
      "parameters": {"type": "string", "maxLength": 10000},
      "run_as": {"type": "string", "enum": ["system", "SR_MAPPED_NETWORK_DRIVE", "SR_CURRENT_LOGGED_ON_USER", "SR_LOCAL_ADMINISTRATOR", "SR_DOMAIN_ADMINISTRATOR"], "default": "system"}}},
  "outputSchema": {"type": "object", "required": ["run_requested", "external_device_id", "type"], "properties": {
    "run_requested": {"type": "boolean"}, "external_device_id": {"type": "string"}, "type": {"type": "string"}}},
  "permissions": ["asset:update"],
  "sideEffectful": true,
  "availability": {"integration": "ninjaone"},
  "retryHint": {"retryable": true, "maxAttempts": 2, "backoffMs": 2000},
  "redact": ["parameters"],
  "examples": [{"title": "Clear temp files", "input": {"device_id": 101, "script_id": 7}}],
  "implementation": {"kind": "http", "request": {
    "method": "POST", "url": "/v2/device/{{ device_id }}/script/run",
    "body": {"$expr": "{'type': type ?? ($exists(action_uid) ? 'ACTION' : 'SCRIPT'), 'id': script_id, 'uid': action_uid, 'parameters': parameters, 'runAs': run_as ?? 'system'}"},
    "retry": {"onTimeout": false},
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "NinjaOne device {{ $input.device_id }} (or the script) not found"},
               {"status": 400, "code": "VALIDATION_ERROR", "message": "NinjaOne refused to run the script on device {{ $input.device_id }}: {{ $string(resultCode ?? error ?? $) }}",
                "hint": "Check the script id / action uid with ninjaone.devices.scripting_options."}],
    "response": "{'run_requested': true, 'external_device_id': $string($input.device_id), 'type': $input.type ?? ($exists($input.action_uid) ? 'ACTION' : 'SCRIPT')}"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "ninjaone.alerts.list_active", "version": 1,
  "label": "List active alerts", "category": "NinjaOne",
  "description": "The active NinjaOne alerts (triggered conditions), newest first, optionally of one device. Always live (algawf keeps no local alert table).",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "device_id": {"type": "integer", "minimum": 1},
    "source_type": {"type": "string", "minLength": 1},
    "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    "live": {"type": "boolean", "default": true, "description": "accepted for Alga compatibility; alerts are always read live"}}},
  "outputSchema": {"type": "object", "required": ["alerts", "count"], "properties": {
    "alerts": {"type": "array", "items": {"$ref": "#/$defs/alert"}}, "count": {"type": "integer"}},
    "$defs": {"alert": {"type": "object", "required": ["alert_id", "external_alert_id", "acknowledged"], "properties": {
      "alert_id": {"type": "string"}, "external_alert_id": {"type": "string"}, "status": {"type": ["string", "null"]},
      "severity": {"type": ["string", "null"]}, "priority": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
      "message": {"type": ["string", "null"]}, "device_id": {"type": ["string", "null"]}, "asset_id": {"type": ["string", "null"]},
      "source_type": {"type": ["string", "null"]}, "created_at": {"type": ["string", "null"]}, "updated_at": {"type": ["string", "null"]},
      "acknowledged": {"type": "boolean"}}}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "ninjaone"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "Active alerts of device 101", "input": {"device_id": 101}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v2/alerts",
    "query": {"sourceType": {"$expr": "source_type"}, "deviceFilter": {"$expr": "device_id ? 'id = ' & device_id"}},
    "response": "($a := [$[$not($exists($input.device_id)) or deviceId = $input.device_id]^(>createTime).{'alert_id': uid, 'external_alert_id': uid, 'status': 'active', 'severity': severity ?? null, 'priority': priority ?? null, 'title': sourceName ?? null, 'message': message ?? null, 'device_id': deviceId ? $string(deviceId) : null, 'asset_id': null, 'source_type': sourceType ?? null, 'created_at': createTime ? $fromMillis($round(createTime * 1000)) : null, 'updated_at': updateTime ? $fromMillis($round(updateTime * 1000)) : null, 'acknowledged': false}]; $a := [$a[[0..($input.limit ?? 50) - 1]]]; {'alerts': $a, 'count': $count($a)})"}}
}$def$);

CREATE FUNCTION algawf._ninjaone_alert_found(ctx jsonb, data jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF jsonb_typeof(data #> '{output,alert}') IS DISTINCT FROM 'object' THEN
        PERFORM algawf._act_fail('NOT_FOUND',
            format('NinjaOne alert %s is not active (not found)', coalesce(data #>> '{input,alert_uid}', data #>> '{input,external_alert_id}')),
            NULL, 'ninjaone.alerts.list_active lists the active alerts; a reset alert is gone.');
    END IF;
    RETURN data -> 'output';
END
$$;
COMMENT ON FUNCTION algawf._ninjaone_alert_found(jsonb, jsonb) IS 'Finish hook of ninjaone.alerts.get: NOT_FOUND when no active alert has the uid.';

SELECT algawf.register_action($def${
  "id": "ninjaone.alerts.get", "version": 1,
  "label": "Get alert", "category": "NinjaOne",
  "description": "One active NinjaOne alert by its uid (alert_uid or external_alert_id).",
  "inputSchema": {"type": "object", "additionalProperties": false,
    "anyOf": [{"required": ["alert_uid"]}, {"required": ["external_alert_id"]}],
    "properties": {"alert_uid": {"type": "string", "minLength": 1}, "external_alert_id": {"type": "string", "minLength": 1}}},
  "outputSchema": {"type": "object", "required": ["alert"], "properties": {
    "alert": {"type": "object", "required": ["alert_id", "external_alert_id", "acknowledged"], "properties": {
      "alert_id": {"type": "string"}, "external_alert_id": {"type": "string"}, "status": {"type": ["string", "null"]},
      "severity": {"type": ["string", "null"]}, "priority": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
      "message": {"type": ["string", "null"]}, "device_id": {"type": ["string", "null"]}, "asset_id": {"type": ["string", "null"]},
      "source_type": {"type": ["string", "null"]}, "created_at": {"type": ["string", "null"]}, "updated_at": {"type": ["string", "null"]},
      "acknowledged": {"type": "boolean"}}}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "ninjaone"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "An alert", "input": {"alert_uid": "a1b2c3d4-0000-4000-8000-000000000001"}}],
  "implementation": {"kind": "http", "finish": "algawf._ninjaone_alert_found", "request": {
    "method": "GET", "url": "/v2/alerts",
    "response": "($u := $input.alert_uid ?? $input.external_alert_id; {'alert': $[uid = $u][0].{'alert_id': uid, 'external_alert_id': uid, 'status': 'active', 'severity': severity ?? null, 'priority': priority ?? null, 'title': sourceName ?? null, 'message': message ?? null, 'device_id': deviceId ? $string(deviceId) : null, 'asset_id': null, 'source_type': sourceType ?? null, 'created_at': createTime ? $fromMillis($round(createTime * 1000)) : null, 'updated_at': updateTime ? $fromMillis($round(updateTime * 1000)) : null, 'acknowledged': false}} )"}}
}$def$);

SELECT algawf.register_action($def${
  "id": "ninjaone.alerts.reset", "version": 1,
  "label": "Reset alert", "category": "NinjaOne",
  "description": "Reset (acknowledge and clear) a NinjaOne alert (POST /v2/alert/{uid}/reset).",
  "inputSchema": {"type": "object", "additionalProperties": false,
    "anyOf": [{"required": ["alert_uid"]}, {"required": ["external_alert_id"]}],
    "properties": {"alert_uid": {"type": "string", "minLength": 1}, "external_alert_id": {"type": "string", "minLength": 1}}},
  "outputSchema": {"type": "object", "required": ["acknowledged", "alert_id"], "properties": {
    "acknowledged": {"type": "boolean"}, "alert_id": {"type": "string"}}},
  "permissions": ["asset:update"],
  "sideEffectful": true,
  "availability": {"integration": "ninjaone"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 1000},
  "examples": [{"title": "Reset an alert", "input": {"alert_uid": "a1b2c3d4-0000-4000-8000-000000000001"}}],
  "implementation": {"kind": "http", "request": {
    "method": "POST", "url": "/v2/alert/{{ alert_uid ?? external_alert_id }}/reset",
    "expectStatus": [200, 204],
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "NinjaOne alert {{ $input.alert_uid ?? $input.external_alert_id }} not found (already reset?)"}],
    "response": "{'acknowledged': true, 'alert_id': $input.alert_uid ?? $input.external_alert_id}"}}
}$def$);
