-- huntress.*: Huntress managed security (SOC incident reports, organizations,
-- agents, the account), Huntress API v1.  Declarative HTTP actions: each call
-- becomes an outbox request sent by the background worker.
--
-- Connection: the tenant's psa.rmm_integrations row with provider 'huntress',
-- active and connected (connected_at set); instance_url is the API base
-- (default https://api.huntress.io).  Credentials: HTTP Basic with the API key
-- and secret, tenant secrets named by settings.api_key_secret /
-- settings.api_secret_secret (default huntress_api_key / huntress_api_secret).
-- Huntress allows 60 requests a minute: the module limits each tenant to that
-- (settings.rate_limit may lower it), across all executors.

CREATE FUNCTION algawf._huntress_connection(tenant uuid) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN coalesce((c ->> 'connected')::boolean, false) THEN
        c || jsonb_build_object(
            'baseUrl', coalesce(nullif(c ->> 'baseUrl', ''), 'https://api.huntress.io'),
            'rateLimit', coalesce(c #> '{settings,rate_limit}', '{"requests": 60, "perSeconds": 60}'),
            'auth', jsonb_build_object('default', jsonb_build_object(
                'scheme', 'basic',
                'username', jsonb_build_object('$secret', coalesce(c #>> '{settings,api_key_secret}', 'huntress_api_key')),
                'password', jsonb_build_object('$secret', coalesce(c #>> '{settings,api_secret_secret}', 'huntress_api_secret')))))
        ELSE c END
      FROM algawf.rmm_connection(tenant, 'huntress') c
$$;
COMMENT ON FUNCTION algawf._huntress_connection(uuid) IS
    'Huntress module resolver: the tenant''s active and connected psa.rmm_integrations row (provider huntress), Basic auth from the secrets huntress_api_key / huntress_api_secret (or the names in settings), 60 requests a minute.';

SELECT algawf.register_integration('{
  "name": "huntress", "label": "Huntress",
  "description": "Huntress managed security: SOC incident reports, organizations, agents.",
  "resolver": "algawf._huntress_connection",
  "rateLimit": {"requests": 60, "perSeconds": 60}
}');

SELECT algawf.register_action($def${
  "id": "huntress.incidents.find", "version": 1,
  "label": "Find incident reports", "category": "Huntress",
  "description": "Find Huntress SOC incident reports by status, severity, platform, organization or agent (newest first, all pages up to limit).",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "status": {"type": "string", "enum": ["sent", "closed", "dismissed", "auto_remediating", "deleting", "partner_dismissed"]},
    "severity": {"type": "string", "enum": ["low", "high", "critical"]},
    "platform": {"type": "string", "minLength": 1},
    "organization_id": {"type": "integer", "minimum": 1},
    "agent_id": {"type": "integer", "minimum": 1},
    "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}},
  "outputSchema": {"type": "object", "required": ["incidents", "count"], "properties": {
    "incidents": {"type": "array", "items": {"$ref": "#/$defs/incident"}},
    "count": {"type": "integer"}},
    "$defs": {"incident": {"type": "object", "required": ["incident_id", "status", "severity", "indicator_types"], "properties": {
      "incident_id": {"type": "integer"}, "status": {"type": ["string", "null"]}, "severity": {"type": ["string", "null"]},
      "platform": {"type": ["string", "null"]}, "summary": {"type": ["string", "null"]}, "subject": {"type": ["string", "null"]},
      "organization_id": {"type": ["integer", "null"]}, "agent_id": {"type": ["integer", "null"]},
      "indicator_types": {"type": "array", "items": {"type": "string"}},
      "sent_at": {"type": ["string", "null"]}, "closed_at": {"type": ["string", "null"]}, "updated_at": {"type": ["string", "null"]}}}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "huntress"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 2000},
  "examples": [{"title": "Open critical incidents", "input": {"status": "sent", "severity": "critical", "limit": 10}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v1/incident_reports",
    "query": {"status": {"$expr": "status"}, "severity": {"$expr": "severity"}, "platform": {"$expr": "platform"},
              "organization_id": {"$expr": "organization_id"}, "agent_id": {"$expr": "agent_id"},
              "limit": {"$expr": "$min([limit ?? 50, 500])"}},
    "paginate": {"style": "cursor", "items": "incident_reports", "next": "pagination.next_page_token",
                 "param": "page_token", "maxItems": "limit ?? 50", "maxPages": 20},
    "response": "{'incidents': [$items.{'incident_id': id, 'status': status ?? null, 'severity': severity ?? null, 'platform': platform ?? null, 'summary': summary ?? null, 'subject': subject ?? null, 'organization_id': organization_id ?? null, 'agent_id': agent_id ?? null, 'indicator_types': indicator_types ?? [], 'sent_at': sent_at ?? null, 'closed_at': closed_at ?? null, 'updated_at': updated_at ?? null}], 'count': $count($items)}"
  }}
}$def$);

SELECT algawf.register_action($def${
  "id": "huntress.incidents.get", "version": 1,
  "label": "Get incident report", "category": "Huntress",
  "description": "Get one Huntress incident report, with its full report body for ticket enrichment.",
  "inputSchema": {"type": "object", "required": ["incident_id"], "additionalProperties": false, "properties": {
    "incident_id": {"type": "integer", "minimum": 1}}},
  "outputSchema": {"type": "object", "required": ["incident", "body"], "properties": {
    "incident": {"type": "object", "required": ["incident_id"], "properties": {
      "incident_id": {"type": "integer"}, "status": {"type": ["string", "null"]}, "severity": {"type": ["string", "null"]},
      "platform": {"type": ["string", "null"]}, "summary": {"type": ["string", "null"]}, "subject": {"type": ["string", "null"]},
      "organization_id": {"type": ["integer", "null"]}, "agent_id": {"type": ["integer", "null"]},
      "indicator_types": {"type": "array", "items": {"type": "string"}},
      "sent_at": {"type": ["string", "null"]}, "closed_at": {"type": ["string", "null"]}, "updated_at": {"type": ["string", "null"]}}},
    "body": {"type": ["string", "null"]}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "huntress"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 2000},
  "examples": [{"title": "An incident report", "input": {"incident_id": 421}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v1/incident_reports/{{ incident_id }}",
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Huntress incident report {{ $input.incident_id }} not found",
                "hint": "Check the incident id (huntress.incidents.find lists them)."}],
    "response": "{'incident': incident_report.{'incident_id': id, 'status': status ?? null, 'severity': severity ?? null, 'platform': platform ?? null, 'summary': summary ?? null, 'subject': subject ?? null, 'organization_id': organization_id ?? null, 'agent_id': agent_id ?? null, 'indicator_types': indicator_types ?? [], 'sent_at': sent_at ?? null, 'closed_at': closed_at ?? null, 'updated_at': updated_at ?? null}, 'body': incident_report.body ?? null}"
  }}
}$def$);

SELECT algawf.register_action($def${
  "id": "huntress.incidents.resolve", "version": 1,
  "label": "Resolve incident report", "category": "Huntress",
  "description": "Resolve a Huntress incident report (POST /v1/incident_reports/{id}/resolution) so the SOC and the ticket agree. Needs a user API key that may resolve reports (the default account key is read-only) and every remediation approved.",
  "inputSchema": {"type": "object", "required": ["incident_id"], "additionalProperties": false, "properties": {
    "incident_id": {"type": "integer", "minimum": 1}}},
  "outputSchema": {"type": "object", "required": ["resolved", "incident_id", "status"], "properties": {
    "resolved": {"type": "boolean"}, "incident_id": {"type": "integer"}, "status": {"type": ["string", "null"]}}},
  "permissions": ["asset:update"],
  "sideEffectful": true,
  "availability": {"integration": "huntress"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 2000},
  "examples": [{"title": "Resolve a report", "input": {"incident_id": 421}}],
  "implementation": {"kind": "http", "request": {
    "method": "POST", "url": "/v1/incident_reports/{{ incident_id }}/resolution",
    "expectStatus": [200, 201, 204],
    "errors": [
      {"status": 403, "code": "PERMISSION_DENIED",
       "message": "Huntress rejected the resolution of incident report {{ $input.incident_id }}: the API key may not resolve incident reports",
       "hint": "The default account API key is read-only: create a user-based API key with permission to resolve incident reports and store it in the huntress_api_key / huntress_api_secret secrets."},
      {"status": [409, 422], "code": "CONFLICT",
       "message": "Huntress incident report {{ $input.incident_id }} cannot be resolved: every remediation must be approved and the report status must be sent",
       "hint": "Approve the report's remediations in Huntress first (or it is already resolved)."},
      {"status": 404, "code": "NOT_FOUND", "message": "Huntress incident report {{ $input.incident_id }} not found"}],
    "response": "{'resolved': true, 'incident_id': $input.incident_id, 'status': incident_report.status ?? 'closed'}"
  }}
}$def$);

SELECT algawf.register_action($def${
  "id": "huntress.organizations.list", "version": 1,
  "label": "List organizations", "category": "Huntress",
  "description": "List Huntress organizations (all pages), optionally those whose name contains query, for mapping and filtering.",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "query": {"type": "string", "minLength": 1},
    "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}}},
  "outputSchema": {"type": "object", "required": ["organizations", "count"], "properties": {
    "organizations": {"type": "array", "items": {"type": "object", "required": ["organization_id", "name"], "properties": {
      "organization_id": {"type": "integer"}, "name": {"type": ["string", "null"]}, "agents_count": {"type": ["integer", "null"]}}}},
    "count": {"type": "integer"}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "huntress"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 2000},
  "examples": [{"title": "Organizations named like Globex", "input": {"query": "globex"}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v1/organizations",
    "query": {"limit": 500},
    "paginate": {"style": "cursor", "items": "organizations", "next": "pagination.next_page_token", "param": "page_token", "maxPages": 20},
    "response": "($all := [$items[$not($exists($input.query)) or $contains($lowercase(name), $lowercase($input.query))].{'organization_id': id, 'name': name ?? null, 'agents_count': agents_count ?? null}]; $lim := $input.limit ?? 100; $page := [$all[[0..$lim - 1]]]; {'organizations': $page, 'count': $count($page)})"
  }}
}$def$);

SELECT algawf.register_action($def${
  "id": "huntress.agents.get", "version": 1,
  "label": "Get agent", "category": "Huntress",
  "description": "Get one Huntress agent (host name, platform, OS, organization, last callback) for incident enrichment.",
  "inputSchema": {"type": "object", "required": ["agent_id"], "additionalProperties": false, "properties": {
    "agent_id": {"type": "integer", "minimum": 1}}},
  "outputSchema": {"type": "object", "required": ["agent"], "properties": {
    "agent": {"type": "object", "required": ["agent_id", "hostname"], "properties": {
      "agent_id": {"type": "integer"}, "hostname": {"type": ["string", "null"]}, "platform": {"type": ["string", "null"]},
      "os": {"type": ["string", "null"]}, "version": {"type": ["string", "null"]},
      "organization_id": {"type": ["integer", "null"]}, "last_callback_at": {"type": ["string", "null"]},
      "ipv4_address": {"type": ["string", "null"]}}}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "huntress"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 2000},
  "examples": [{"title": "An agent", "input": {"agent_id": 12}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v1/agents/{{ agent_id }}",
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Huntress agent {{ $input.agent_id }} not found"}],
    "response": "{'agent': agent.{'agent_id': id, 'hostname': hostname ?? null, 'platform': platform ?? null, 'os': os ?? null, 'version': version ?? null, 'organization_id': organization_id ?? null, 'last_callback_at': last_callback_at ?? null, 'ipv4_address': ipv4_address ?? null}}"
  }}
}$def$);

SELECT algawf.register_action($def${
  "id": "huntress.account.get", "version": 1,
  "label": "Get account", "category": "Huntress",
  "description": "Get the connected Huntress account (id, name, subdomain); a cheap way to check the credentials.",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {}},
  "outputSchema": {"type": "object", "required": ["account_id", "name", "subdomain"], "properties": {
    "account_id": {"type": ["integer", "null"]}, "name": {"type": ["string", "null"]}, "subdomain": {"type": ["string", "null"]}}},
  "permissions": ["asset:read"],
  "sideEffectful": false,
  "availability": {"integration": "huntress"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 2000},
  "examples": [{"title": "The account", "input": {}}],
  "implementation": {"kind": "http", "request": {
    "method": "GET", "url": "/v1/account",
    "response": "{'account_id': account.id ?? null, 'name': account.name ?? null, 'subdomain': account.subdomain ?? null}"
  }}
}$def$);
