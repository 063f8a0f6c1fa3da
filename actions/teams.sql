-- teams.*: Microsoft Teams: activity feed notifications (Microsoft Graph),
-- proactive bot messages (Bot Framework).  Declarative HTTP actions: each call
-- becomes an outbox request sent by the background worker.
--
-- Connection: the tenant's psa.teams_integrations row, active, with the bot's
-- Microsoft app id (app_id), the Entra tenant (tenant_id_ms) and the name of
-- the tenant secret holding the app's client secret (bot_secret_name).  Two
-- OAuth2 client-credential logins, cached separately: "graph" (scope
-- https://graph.microsoft.com/.default at
-- login.microsoftonline.com/<tenant_id_ms>) and "bot" (scope
-- https://api.botframework.com/.default at
-- login.microsoftonline.com/<settings.bot_tenant, default botframework.com>).
-- settings.login_url, settings.graph_url and settings.app_url override the
-- Microsoft endpoints and the link notifications open (tests point them at
-- a fake).  Whom to reach comes from psa.teams_user_links,
-- psa.teams_conversation_refs and psa.teams_channel_installations.

CREATE FUNCTION algawf._teams_connection(tenant uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t psa.teams_integrations;
    login text;
    s jsonb;
BEGIN
    SELECT x.* INTO t FROM psa.teams_integrations x WHERE x.tenant = _teams_connection.tenant;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('connected', false, 'reason', 'no Microsoft Teams integration is configured (psa.teams_integrations)');
    END IF;
    IF NOT t.is_active THEN
        RETURN jsonb_build_object('connected', false, 'reason', 'the Microsoft Teams integration is not active');
    END IF;
    IF t.bot_secret_name IS NULL THEN
        RETURN jsonb_build_object('connected', false, 'reason', 'the Microsoft Teams integration has no bot_secret_name (the secret holding the app''s client secret)');
    END IF;
    s := t.settings;
    login := rtrim(coalesce(s ->> 'login_url', 'https://login.microsoftonline.com'), '/');
    RETURN jsonb_build_object(
        'connected', true,
        'baseUrl', rtrim(coalesce(s ->> 'graph_url', 'https://graph.microsoft.com'), '/'),
        'appId', t.app_id, 'tenantIdMs', t.tenant_id_ms,
        'appUrl', coalesce(s ->> 'app_url', 'https://teams.microsoft.com'),
        'settings', s,
        'auth', jsonb_build_object(
            'graph', jsonb_build_object('scheme', 'oauth2_client_credentials',
                'tokenUrl', login || '/' || t.tenant_id_ms || '/oauth2/v2.0/token',
                'clientId', t.app_id, 'clientSecret', jsonb_build_object('$secret', t.bot_secret_name),
                'scope', 'https://graph.microsoft.com/.default'),
            'bot', jsonb_build_object('scheme', 'oauth2_client_credentials',
                'tokenUrl', login || '/' || coalesce(s ->> 'bot_tenant', 'botframework.com') || '/oauth2/v2.0/token',
                'clientId', t.app_id, 'clientSecret', jsonb_build_object('$secret', t.bot_secret_name),
                'scope', 'https://api.botframework.com/.default')))
        || CASE WHEN s ? 'rate_limit' THEN jsonb_build_object('rateLimit', s -> 'rate_limit') ELSE '{}' END;
END
$$;
COMMENT ON FUNCTION algawf._teams_connection(uuid) IS
    'Microsoft Teams module resolver: the tenant''s active psa.teams_integrations row; Graph and Bot Framework client-credential logins with the app id and the secret named by bot_secret_name.';

SELECT algawf.register_integration('{
  "name": "teams", "label": "Microsoft Teams",
  "description": "Microsoft Teams: activity feed notifications, direct messages and channel posts from the tenant''s bot.",
  "resolver": "algawf._teams_connection",
  "rateLimit": {"requests": 30, "perSeconds": 1}
}');

-- the recipient of a notification: the PSA user's linked Microsoft account
CREATE FUNCTION algawf._teams_prepare_user(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    u uuid := (input ->> 'user_id')::uuid;
    l psa.teams_user_links;
BEGIN
    PERFORM 1 FROM psa.users x WHERE x.tenant = t AND x.user_id = u;
    IF NOT FOUND THEN
        PERFORM algawf._act_not_found('user', 'user_id', u::text);
    END IF;
    SELECT x.* INTO l FROM psa.teams_user_links x WHERE x.tenant = t AND x.user_id = u;
    IF NOT FOUND THEN
        PERFORM algawf._act_fail('NOT_FOUND', format('user %s has no linked Microsoft account, so Teams cannot notify them', u),
            'psa.teams_user_links has no row for the user.',
            'Link the user to their Microsoft Entra account (INSERT INTO psa.teams_user_links (tenant, user_id, ms_user_id) ...), e.g. by having them sign in to the PSA with Microsoft.');
    END IF;
    RETURN jsonb_build_object('ms_user_id', l.ms_user_id, 'activity_type',
        CASE coalesce(input ->> 'category', 'escalation')
            WHEN 'assignment' THEN 'assignmentCreated' WHEN 'customer_reply' THEN 'customerReplyReceived'
            WHEN 'approval_request' THEN 'approvalRequested' WHEN 'sla_risk' THEN 'slaRiskDetected'
            ELSE 'workEscalated' END);
END
$$;
COMMENT ON FUNCTION algawf._teams_prepare_user(jsonb, jsonb) IS
    'Prepare hook of teams.notify_user: the user''s Microsoft account (psa.teams_user_links) and the activity type; NOT_FOUND with a remedy when the user is not linked.';

SELECT algawf.register_action($def${
  "id": "teams.notify_user", "version": 1,
  "label": "Notify user", "category": "Teams",
  "description": "Send a Teams activity feed notification (Microsoft Graph sendActivityNotification) to a PSA user linked to a Microsoft account.",
  "inputSchema": {"type": "object", "required": ["user_id", "title"], "additionalProperties": false, "properties": {
    "user_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "user"},
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "message": {"type": "string", "minLength": 1, "maxLength": 2000},
    "link": {"type": "string", "format": "uri"},
    "category": {"type": "string", "enum": ["assignment", "customer_reply", "approval_request", "escalation", "sla_risk"], "default": "escalation"}}},
  "outputSchema": {"type": "object", "required": ["delivered", "user_id", "activity_type"], "properties": {
    "delivered": {"type": "boolean"}, "user_id": {"type": "string"}, "activity_type": {"type": "string"}}},
  "permissions": ["email:create"],
  "sideEffectful": true,
  "availability": {"integration": "teams"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 2000},
  "redact": ["message"],
  "examples": [{"title": "Escalation to Tom", "input": {"user_id": "0000000a-0001-0000-0000-000000000003", "title": "TIC001003 escalated", "message": "Server down at Globex"}}],
  "implementation": {"kind": "http", "prepare": "algawf._teams_prepare_user", "request": {
    "method": "POST", "auth": "graph",
    "url": "/v1.0/users/{{ $prepared.ms_user_id }}/teamwork/sendActivityNotification",
    "body": {"$expr": "{'topic': {'source': 'text', 'value': title, 'webUrl': link ?? $connection.appUrl}, 'activityType': $prepared.activity_type, 'previewText': {'content': message ?? title}, 'templateParameters': [{'name': 'title', 'value': title}]}"},
    "expectStatus": [200, 202, 204],
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Microsoft Graph could not find user {{ $input.user_id }}'s account, or the Teams app is not installed for them",
                "hint": "Install the PSA's Teams app for the user (or the organization) and check psa.teams_user_links."},
               {"status": 403, "code": "PERMISSION_DENIED", "message": "Microsoft Graph refused the notification: the app lacks the TeamsActivity.Send permission",
                "hint": "Grant the app registration the TeamsActivity.Send application permission with admin consent."}],
    "response": "{'delivered': true, 'user_id': $input.user_id, 'activity_type': $prepared.activity_type}"}}
}$def$);

-- the personal conversation of a PSA user with the bot
CREATE FUNCTION algawf._teams_prepare_dm(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    u uuid := (input ->> 'user_id')::uuid;
    r psa.teams_conversation_refs;
BEGIN
    PERFORM 1 FROM psa.users x WHERE x.tenant = t AND x.user_id = u;
    IF NOT FOUND THEN
        PERFORM algawf._act_not_found('user', 'user_id', u::text);
    END IF;
    SELECT x.* INTO r FROM psa.teams_conversation_refs x
     WHERE x.tenant = t AND x.user_id = u AND x.conversation_type = 'personal'
     ORDER BY x.updated_at DESC LIMIT 1;
    IF NOT FOUND THEN
        PERFORM algawf._act_fail('NOT_FOUND', format('user %s has no conversation with the bot, so Teams cannot message them', u),
            'psa.teams_conversation_refs has no personal conversation for the user.',
            'The user must open the PSA''s bot in Teams once (or install the app for them): the bot then stores the conversation reference.');
    END IF;
    RETURN jsonb_build_object('conversation_id', r.conversation_id, 'service_url', rtrim(r.service_url, '/'));
END
$$;
COMMENT ON FUNCTION algawf._teams_prepare_dm(jsonb, jsonb) IS
    'Prepare hook of teams.send_dm: the user''s personal conversation reference with the bot; NOT_FOUND with a remedy when there is none.';

SELECT algawf.register_action($def${
  "id": "teams.send_dm", "version": 1,
  "label": "Send direct message", "category": "Teams",
  "description": "Send a proactive bot message (Bot Framework) to a PSA user in their personal chat with the bot, through the stored conversation reference.",
  "inputSchema": {"type": "object", "required": ["user_id", "message"], "additionalProperties": false, "properties": {
    "user_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "user"},
    "message": {"type": "string", "minLength": 1, "maxLength": 20000}}},
  "outputSchema": {"type": "object", "required": ["sent", "user_id", "conversation_id"], "properties": {
    "sent": {"type": "boolean"}, "user_id": {"type": "string"}, "conversation_id": {"type": "string"},
    "activity_id": {"type": ["string", "null"]}}},
  "permissions": ["email:create"],
  "sideEffectful": true,
  "availability": {"integration": "teams"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 2000},
  "redact": ["message"],
  "examples": [{"title": "A direct message to Tom", "input": {"user_id": "0000000a-0001-0000-0000-000000000003", "message": "You are on call tonight."}}],
  "implementation": {"kind": "http", "prepare": "algawf._teams_prepare_dm", "request": {
    "method": "POST", "auth": "bot", "base": "$prepared.service_url",
    "url": "/v3/conversations/{{ $prepared.conversation_id }}/activities",
    "body": {"type": "message", "textFormat": "markdown", "text": {"$expr": "message"}},
    "expectStatus": [200, 201, 202],
    "errors": [{"status": 404, "code": "NOT_FOUND", "message": "Teams no longer knows user {{ $input.user_id }}'s conversation with the bot",
                "hint": "The user must open the bot in Teams again (the stored conversation reference is stale)."},
               {"status": 403, "code": "PERMISSION_DENIED", "message": "Teams refused the message to user {{ $input.user_id }}: the bot is not allowed in that conversation",
                "hint": "Reinstall the PSA's Teams app for the user."}],
    "response": "{'sent': true, 'user_id': $input.user_id, 'conversation_id': $prepared.conversation_id, 'activity_id': id ?? null}"}}
}$def$);

-- the channel: where the bot is installed, and the service URL to post to
CREATE FUNCTION algawf._teams_prepare_channel(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    i psa.teams_channel_installations;
    url text;
BEGIN
    SELECT x.* INTO i FROM psa.teams_channel_installations x
     WHERE x.tenant = t AND x.channel_id_ms = input ->> 'channel_id' AND x.is_active;
    IF NOT FOUND THEN
        PERFORM algawf._act_fail('NOT_FOUND', format('the Teams app is not installed in channel %s', input ->> 'channel_id'),
            'psa.teams_channel_installations has no active row for the channel.',
            'Install the PSA''s Teams app in the team that owns the channel, or pick an installed channel: SELECT channel_id_ms, team_name, channel_name FROM psa.teams_channel_installations;');
    END IF;
    url := coalesce(input ->> 'service_url', i.service_url,
                    (SELECT r.service_url FROM psa.teams_conversation_refs r WHERE r.tenant = t ORDER BY r.updated_at DESC LIMIT 1));
    IF url IS NULL THEN
        PERFORM algawf._act_fail('NOT_FOUND', 'no Teams service URL is known for this tenant yet', NULL,
            'Have the bot receive one message in the team (Teams then sends the service URL), or pass service_url.');
    END IF;
    RETURN jsonb_build_object('service_url', rtrim(url, '/'), 'team_id', i.team_id_ms, 'channel_name', i.channel_name);
END
$$;
COMMENT ON FUNCTION algawf._teams_prepare_channel(jsonb, jsonb) IS
    'Prepare hook of teams.post_to_channel: the installation of the bot in the channel and the service URL; NOT_FOUND with a remedy when the app is not installed there.';

SELECT algawf.register_action($def${
  "id": "teams.post_to_channel", "version": 1,
  "label": "Post to channel", "category": "Teams",
  "description": "Start a new conversation (a post) in a Teams channel where the PSA's app is installed (Bot Framework).",
  "inputSchema": {"type": "object", "required": ["channel_id", "message"], "additionalProperties": false, "properties": {
    "channel_id": {"type": "string", "minLength": 1, "description": "The channel's id, 19:...@thread.tacv2"},
    "message": {"type": "string", "minLength": 1, "maxLength": 20000},
    "service_url": {"type": "string", "format": "uri"}}},
  "outputSchema": {"type": "object", "required": ["posted", "channel_id", "conversation_id"], "properties": {
    "posted": {"type": "boolean"}, "channel_id": {"type": "string"}, "conversation_id": {"type": ["string", "null"]},
    "activity_id": {"type": ["string", "null"]}}},
  "permissions": ["email:create"],
  "sideEffectful": true,
  "availability": {"integration": "teams"},
  "retryHint": {"retryable": true, "maxAttempts": 3, "backoffMs": 2000},
  "examples": [{"title": "Escalation post", "input": {"channel_id": "19:escalations@thread.tacv2", "message": "**P1** Globex server down"}}],
  "implementation": {"kind": "http", "prepare": "algawf._teams_prepare_channel", "request": {
    "method": "POST", "auth": "bot", "base": "$prepared.service_url",
    "url": "/v3/conversations",
    "body": {"$expr": "{'isGroup': true, 'channelData': {'channel': {'id': channel_id}, 'tenant': {'id': $connection.tenantIdMs}}, 'activity': {'type': 'message', 'textFormat': 'markdown', 'text': message}}"},
    "expectStatus": [200, 201, 202],
    "errors": [{"status": [403, 404], "code": "PERMISSION_DENIED",
                "message": "Teams rejected the post in channel {{ $input.channel_id }}: the app is not installed in that team, or the channel id is wrong",
                "hint": "Install the PSA's Teams app in the team and use the channel's 19:...@thread.tacv2 id."}],
    "response": "{'posted': true, 'channel_id': $input.channel_id, 'conversation_id': id ?? null, 'activity_id': activityId ?? null}"}}
}$def$);
