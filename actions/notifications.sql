-- Notifications family: notifications.send_in_app (psa.internal_notifications,
-- the bell menu of MSP users).

CREATE FUNCTION algawf._act_notifications_send_in_app(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    rcpt jsonb := coalesce(input -> 'recipients', '{}');
    dedupe text := nullif(btrim(input ->> 'dedupe_key'), '');
    users uuid[] := '{}';
    uid uuid;
    role_ids uuid[];
    missing text;
    ids uuid[] := '{}';
    skipped uuid[] := '{}';
    nid uuid;
BEGIN
    -- explicit users: each must be an active user of the tenant
    FOR uid IN SELECT (jsonb_array_elements_text(coalesce(rcpt -> 'user_ids', '[]')))::uuid LOOP
        PERFORM algawf._ops_user(uid, 'recipients.user_ids', false);
        users := users || uid;
    END LOOP;

    -- roles by id and by name: each must exist; their active members receive it
    SELECT string_agg(x::text, ', ') INTO missing
      FROM jsonb_array_elements_text(coalesce(rcpt -> 'role_ids', '[]')) x
     WHERE NOT EXISTS (SELECT 1 FROM psa.roles r WHERE r.tenant = t AND r.role_id = x::uuid);
    IF missing IS NOT NULL THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('recipients.role_ids: role %s not found', missing));
    END IF;
    SELECT string_agg(quote_literal(x), ', ') INTO missing
      FROM jsonb_array_elements_text(coalesce(rcpt -> 'role_names', '[]')) x
     WHERE NOT EXISTS (SELECT 1 FROM psa.roles r WHERE r.tenant = t AND lower(r.role_name) = lower(btrim(x)));
    IF missing IS NOT NULL THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('recipients.role_names: no role named %s', missing), NULL,
            'The tenant''s roles: ' || coalesce((SELECT string_agg(r.role_name, ', ' ORDER BY r.role_name) FROM psa.roles r WHERE r.tenant = t), '(none)'));
    END IF;
    SELECT coalesce(array_agg(r.role_id), '{}') INTO role_ids FROM psa.roles r
     WHERE r.tenant = t
       AND (r.role_id::text IN (SELECT jsonb_array_elements_text(coalesce(rcpt -> 'role_ids', '[]')))
            OR lower(r.role_name) IN (SELECT lower(btrim(jsonb_array_elements_text(coalesce(rcpt -> 'role_names', '[]'))))));
    users := users || ARRAY(SELECT ur.user_id FROM psa.user_roles ur JOIN psa.users u USING (tenant, user_id)
                             WHERE ur.tenant = t AND ur.role_id = ANY (role_ids) AND NOT u.is_inactive
                             ORDER BY u.username);
    users := ARRAY(SELECT DISTINCT ON (x.u) x.u FROM unnest(users) WITH ORDINALITY x(u, n) ORDER BY x.u, x.n);
    IF cardinality(users) = 0 THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'no recipients: the roles have no active members', NULL,
                                 'Name users in recipients.user_ids, or roles that have active members.');
    END IF;

    FOREACH uid IN ARRAY users LOOP
        -- the dedupe key: a user who already has this notification (not deleted) does not get it again
        IF dedupe IS NOT NULL AND EXISTS (
               SELECT 1 FROM psa.internal_notifications n
                WHERE n.tenant = t AND n.user_id = uid AND n.metadata ->> 'dedupe_key' = dedupe AND n.deleted_at IS NULL) THEN
            skipped := skipped || uid;
            CONTINUE;
        END IF;
        INSERT INTO psa.internal_notifications (tenant, user_id, template_name, title, message, type, category, link, metadata)
        VALUES (t, uid, 'workflow-custom', input ->> 'title', input ->> 'body', coalesce(input ->> 'severity', 'info'),
                coalesce(input ->> 'category', 'workflows'), input ->> 'link',
                jsonb_strip_nulls(jsonb_build_object('source', 'workflow', 'dedupe_key', dedupe,
                    'run_id', ctx ->> 'runId', 'workflow_id', ctx ->> 'workflowId', 'step_path', ctx ->> 'stepPath')))
        RETURNING internal_notification_id INTO nid;
        ids := ids || nid;
    END LOOP;

    IF cardinality(ids) > 0 THEN
        PERFORM algawf._ops_audit(ctx, 'internal_notifications', array_to_string(ids, ','), jsonb_build_object(
            'notification_ids', to_jsonb(ids), 'user_ids', to_jsonb(users), 'title', input ->> 'title',
            'severity', coalesce(input ->> 'severity', 'info'), 'dedupe_key', dedupe));
    END IF;

    RETURN jsonb_build_object(
        'notification_ids', to_jsonb(ids),
        'delivered_count', cardinality(ids),
        'deduplicated_count', cardinality(skipped),
        'recipient_user_ids', to_jsonb(users));
END
$$;
COMMENT ON FUNCTION algawf._act_notifications_send_in_app(jsonb, jsonb) IS
    'Implementation of notifications.send_in_app: one psa.internal_notifications row per recipient (users and members of roles), skipping users who already have one with the same dedupe key.';
REVOKE ALL ON FUNCTION algawf._act_notifications_send_in_app(jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf._act_notifications_send_in_app(jsonb, jsonb) TO algawf_service, algawf_admin;

SELECT algawf._ops_register($def${
  "id": "notifications.send_in_app", "version": 1,
  "label": "Send In-App Notification", "category": "Notifications",
  "description": "Notify technicians, dispatchers or managers in the PSA's notification bell: named users and/or everyone with a role, with a title, a message, a severity and a link to the ticket or page. A dedupe key stops the same notice reaching someone twice.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["recipients", "title", "body"], "properties": {
    "recipients": {"type": "object", "additionalProperties": false,
      "anyOf": [{"required": ["user_ids"]}, {"required": ["role_ids"]}, {"required": ["role_names"]}],
      "description": "Users and/or roles (users with the role receive it); at least one",
      "properties": {
        "user_ids": {"type": "array", "minItems": 1, "maxItems": 200, "items": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "user"}},
        "role_ids": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "role"}},
        "role_names": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "string", "minLength": 1}, "description": "Role names, any case (Manager, Technician, ...)"}}},
    "title": {"type": "string", "minLength": 1, "maxLength": 255, "description": "Headline"},
    "body": {"type": "string", "minLength": 1, "maxLength": 5000, "description": "Message text"},
    "severity": {"enum": ["info", "success", "warning", "error"], "default": "info"},
    "link": {"type": "string", "maxLength": 2000, "pattern": "^(/|https?://)", "description": "Deep link: a path in the PSA (/msp/tickets/...) or an http(s) URL"},
    "category": {"type": "string", "maxLength": 50, "default": "workflows", "description": "Grouping in the bell menu"},
    "dedupe_key": {"type": "string", "minLength": 1, "maxLength": 200,
                   "description": "Users who already have a notification with this key (not deleted) are skipped; also the call's idempotency key"}}},
  "outputSchema": {"type": "object", "required": ["notification_ids", "delivered_count", "deduplicated_count"], "properties": {
    "notification_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
    "delivered_count": {"type": "integer"},
    "deduplicated_count": {"type": "integer", "description": "Recipients skipped because of the dedupe key"},
    "recipient_user_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}}}},
  "permissions": ["email:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "dedupe_key"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"title": "Warn the managers about an SLA breach",
                "input": {"recipients": {"role_names": ["Manager"]}, "title": "SLA breached: TIC001002",
                          "body": "VPN drops every few minutes has breached its response SLA.", "severity": "warning",
                          "link": "/msp/tickets/0000000a-0009-0000-0000-000000000002", "dedupe_key": "sla:0000000a-0009-0000-0000-000000000002"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_notifications_send_in_app"}
}$def$);
