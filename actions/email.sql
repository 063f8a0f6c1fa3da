-- Email family: email.send.
--
-- The action validates and renders the message in the run's transaction and
-- queues it in algawf.email_outbox (src/sql/algawf/56_email_outbox.sql); the
-- SMTP sender (src/smtp.c, libcurl smtp:// / smtps:// / STARTTLS) delivers
-- it after commit, outside any transaction.  crm.send_quote queues through
-- the same function.

-- {email, name?} or "address" -> {email, name}; CR/LF (header injection) and
-- malformed addresses are refused.
CREATE FUNCTION algawf._email_address(a jsonb, field text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    email text;
    name text;
BEGIN
    IF jsonb_typeof(a) = 'string' THEN
        email := a #>> '{}';
    ELSIF jsonb_typeof(a) = 'object' THEN
        email := a ->> 'email';
        name := nullif(btrim(a ->> 'name'), '');
    END IF;
    -- domains are case-insensitive (lower-cased); local parts are kept as given
    email := btrim(email);
    email := split_part(email, '@', 1) || '@' || lower(split_part(email, '@', 2));
    IF email IS NULL OR email !~* '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'
       OR length(email) > 254 OR email LIKE '.%' OR email LIKE '%.@%' OR email LIKE '%..%' THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', format('%s: "%s" is not an e-mail address', field, coalesce(email, a::text)));
    END IF;
    IF name ~ '[\r\n]' THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', format('%s: the name contains a line break', field), NULL,
                                 'Line breaks in header fields would inject headers; remove them.');
    END IF;
    RETURN jsonb_strip_nulls(jsonb_build_object('email', email, 'name', left(name, 200)));
END
$$;
COMMENT ON FUNCTION algawf._email_address(jsonb, text) IS
    'Internal: normalises an address ("a@b" or {email, name}) to {email, name}; VALIDATION_ERROR for a malformed address or a name with a line break.';

CREATE FUNCTION algawf._email_addresses(a jsonb, field text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(jsonb_agg(algawf._email_address(e.value, format('%s[%s]', field, e.ordinality - 1)) ORDER BY e.ordinality), '[]')
      FROM jsonb_array_elements(CASE WHEN a IS NULL OR jsonb_typeof(a) = 'null' THEN '[]' WHEN jsonb_typeof(a) = 'array' THEN a ELSE jsonb_build_array(a) END)
           WITH ORDINALITY e
$$;
COMMENT ON FUNCTION algawf._email_addresses(jsonb, text) IS 'Internal: algawf._email_address() over a list (a single address is a list of one).';

-- Validates, renders and queues one message; returns email.send's output.
-- spec: the email.send input (to, cc, bcc, from, reply_to, subject, text,
-- html, template_data, provider_id) plus optional entity {type, id}.
CREATE FUNCTION algawf._email_queue(ctx jsonb, spec jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    p psa.email_provider_configs;
    data jsonb := coalesce(spec -> 'template_data', '{}');
    to_list jsonb := algawf._email_addresses(spec -> 'to', 'to');
    cc_list jsonb := algawf._email_addresses(spec -> 'cc', 'cc');
    bcc_list jsonb := algawf._email_addresses(spec -> 'bcc', 'bcc');
    from_addr jsonb;
    reply_to jsonb;
    from_domain text;
    subject text;
    body_text text;
    body_html text;
    msg_id text;
    recipients jsonb;
    row_id uuid;
BEGIN
    IF jsonb_array_length(to_list) = 0 THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'at least one "to" recipient is required');
    END IF;
    IF jsonb_array_length(to_list) + jsonb_array_length(cc_list) + jsonb_array_length(bcc_list) > 100 THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'too many recipients: at most 100 in to, cc and bcc together');
    END IF;

    -- the provider: the one named, else the tenant's default active one
    IF spec ? 'provider_id' THEN
        SELECT * INTO p FROM psa.email_provider_configs x WHERE x.tenant = t AND x.provider_id = (spec ->> 'provider_id')::uuid;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('provider_id: e-mail provider %s not found', spec ->> 'provider_id'));
        END IF;
        IF NOT p.is_active THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', format('e-mail provider "%s" is inactive', p.provider_name));
        END IF;
    ELSE
        SELECT * INTO p FROM psa.email_provider_configs x WHERE x.tenant = t AND x.is_active
         ORDER BY x.is_default DESC, x.created_at LIMIT 1;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', 'no active e-mail provider is configured for this tenant', NULL,
                                     'Add an SMTP server to psa.email_provider_configs (see the SMTP set-up in the documentation).');
        END IF;
    END IF;

    -- the sender: its domain must be one of the tenant's verified domains
    from_addr := CASE WHEN spec ? 'from' THEN algawf._email_address(spec -> 'from', 'from')
                      ELSE algawf._email_address(jsonb_strip_nulls(jsonb_build_object('email', p.from_address, 'name', p.from_name)),
                                                 'provider from_address') END;
    from_domain := split_part(from_addr ->> 'email', '@', 2);
    IF NOT EXISTS (SELECT 1 FROM psa.tenant_email_domains d WHERE d.tenant = t AND d.domain = from_domain AND d.verified) THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', format('from: %s is not a verified sender domain of this tenant', from_domain), NULL,
            'Send from one of: ' || coalesce((SELECT string_agg(d.domain, ', ' ORDER BY d.domain) FROM psa.tenant_email_domains d
                                               WHERE d.tenant = t AND d.verified), '(none: add the domain to psa.tenant_email_domains and verify it)'));
    END IF;
    reply_to := CASE WHEN spec ? 'reply_to' THEN algawf._email_address(spec -> 'reply_to', 'reply_to')
                     WHEN p.reply_to_address IS NOT NULL THEN algawf._email_address(to_jsonb(p.reply_to_address), 'provider reply_to_address') END;

    subject := btrim(algawf._ops_render(spec ->> 'subject', data, false, 'subject'));
    IF subject ~ '[\r\n]' THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'subject: the rendered subject contains a line break', NULL,
                                 'Line breaks in header fields would inject headers; check the template and template_data.');
    END IF;
    IF subject = '' THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'subject: the rendered subject is empty');
    END IF;
    body_text := algawf._ops_render(spec ->> 'text', data, false, 'text');
    body_html := algawf._ops_render(spec ->> 'html', data, true, 'html');
    IF coalesce(body_text, body_html) IS NULL THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'a text or html body is required');
    END IF;

    msg_id := format('<%s@%s>', gen_random_uuid(), from_domain);
    SELECT jsonb_agg(DISTINCT r.value ->> 'email') INTO recipients
      FROM jsonb_array_elements(to_list || cc_list || bcc_list) r;

    INSERT INTO algawf.email_outbox (tenant, message_id, provider_id, server, envelope, message, action_id, run_id,
                                     step_path, invocation_id, actor, entity_type, entity_id)
    VALUES (t, msg_id, p.provider_id,
            jsonb_strip_nulls(jsonb_build_object('host', p.host, 'port', p.port, 'security', p.security,
                                                 'username', p.username, 'password_secret', p.password_secret_name)),
            jsonb_build_object('from', from_addr ->> 'email', 'recipients', recipients),
            jsonb_strip_nulls(jsonb_build_object(
                'from', from_addr, 'to', to_list, 'cc', nullif(cc_list, '[]'), 'reply_to', reply_to,
                'subject', subject, 'text', body_text, 'html', body_html, 'message_id', msg_id,
                'date', to_char(now() AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS "+0000"'))),
            ctx ->> 'actionId', nullif(ctx ->> 'runId', '')::uuid, ctx ->> 'stepPath',
            nullif(ctx ->> 'invocationId', '')::uuid, algawf._ops_actor(ctx),
            spec #>> '{entity,type}', (spec #>> '{entity,id}')::uuid)
    RETURNING outbox_id INTO row_id;

    PERFORM algawf._ops_audit(ctx, 'email_outbox', row_id::text, jsonb_build_object(
        'message_id', msg_id, 'provider_id', p.provider_id, 'to_count', jsonb_array_length(to_list),
        'cc_count', jsonb_array_length(cc_list), 'bcc_count', jsonb_array_length(bcc_list)));

    RETURN jsonb_build_object(
        'success', true,
        'status', 'queued',
        'message_id', msg_id,
        'outbox_id', row_id,
        'provider_id', p.provider_id,
        'provider_type', p.provider_type,
        'from', from_addr ->> 'email',
        'recipient_count', jsonb_array_length(recipients),
        'queued_at', algawf._ops_iso(now()),
        'sent_at', NULL);
END
$$;
COMMENT ON FUNCTION algawf._email_queue(jsonb, jsonb) IS
    'Internal: validates (recipients, provider, verified sender domain, header injection), renders ({{ }} templates) and queues one message in algawf.email_outbox; returns email.send''s output.';

CREATE FUNCTION algawf._act_email_send(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE sql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$ SELECT algawf._email_queue(ctx, input) $$;
COMMENT ON FUNCTION algawf._act_email_send(jsonb, jsonb) IS
    'Implementation of email.send: validates, renders and queues the message for the SMTP sender.';

REVOKE ALL ON FUNCTION algawf._email_address(jsonb, text), algawf._email_addresses(jsonb, text),
    algawf._email_queue(jsonb, jsonb), algawf._act_email_send(jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf._email_address(jsonb, text), algawf._email_addresses(jsonb, text),
    algawf._email_queue(jsonb, jsonb), algawf._act_email_send(jsonb, jsonb) TO algawf_service, algawf_admin;

DO $reg$
DECLARE
    frag constant jsonb := $frag${
      "address": {"anyOf": [
        {"type": "string", "format": "email"},
        {"type": "object", "additionalProperties": false, "required": ["email"], "properties": {
          "email": {"type": "string", "format": "email"},
          "name": {"type": "string", "maxLength": 200, "description": "Display name"}}}]},
      "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200,
        "description": "Optional key of your own (e.g. \"csat:<ticket id>\"): a second send with the same key returns the first send's result instead of mailing again. Without it, the step's own run and path key the call."}
    }$frag$;
BEGIN

PERFORM algawf._ops_register($def${
  "id": "email.send", "version": 1,
  "label": "Send Email", "category": "Email",
  "description": "E-mail clients or staff through the tenant's SMTP server: to/cc/bcc, subject and text/HTML bodies with {{ }} placeholders filled from template_data, sent from a verified domain of the tenant. Returns the Message-ID; delivery happens right after the step commits and is retried on temporary failures.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["to", "subject"],
    "anyOf": [{"required": ["text"]}, {"required": ["html"]}],
    "description": "A text or an html body (or both) is required.",
    "properties": {
      "to": {"type": "array", "minItems": 1, "maxItems": 100, "items": "@address", "description": "Recipients (\"a@b.example\" or {email, name})"},
      "cc": {"type": "array", "maxItems": 100, "items": "@address"},
      "bcc": {"type": "array", "maxItems": 100, "items": "@address", "description": "Blind copies (not in the headers)"},
      "from": {"allOf": ["@address"], "description": "Sender (default: the provider's from address); its domain must be a verified tenant domain"},
      "reply_to": {"allOf": ["@address"]},
      "subject": {"type": "string", "minLength": 1, "maxLength": 998, "description": "Subject template, e.g. \"Ticket {{ticket.number}} resolved\""},
      "text": {"type": "string", "maxLength": 1000000, "description": "Plain-text body template"},
      "html": {"type": "string", "maxLength": 1000000, "description": "HTML body template ({{ }} values are HTML-escaped)"},
      "template_data": {"type": "object", "description": "Values for the {{ path }} placeholders"},
      "provider_id": {"type": "string", "format": "uuid", "description": "SMTP server to use (default: the tenant's default active one)", "x-workflow-picker-kind": "email-provider"},
      "idempotency_key": "@idempotency_key"}},
  "outputSchema": {"type": "object", "required": ["success", "status", "message_id", "outbox_id", "provider_id"], "properties": {
    "success": {"type": "boolean"},
    "status": {"enum": ["queued", "sent"], "description": "queued: committed with the step, delivered by the SMTP sender (see algawf.email_outbox)"},
    "message_id": {"type": "string", "description": "The Message-ID header"},
    "outbox_id": {"type": "string", "format": "uuid", "description": "The algawf.email_outbox row"},
    "provider_id": {"type": "string", "format": "uuid"},
    "provider_type": {"type": "string"},
    "from": {"type": "string"},
    "recipient_count": {"type": "integer"},
    "queued_at": {"type": "string", "format": "date-time"},
    "sent_at": {"type": ["string", "null"], "format": "date-time"}}},
  "permissions": ["email:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 1000, "retryOn": ["TransientError"]},
  "redact": ["text", "html", "template_data"],
  "examples": [{"title": "Tell the requester their ticket is resolved",
                "input": {"to": [{"email": "john.smith@globex.example", "name": "John Smith"}],
                          "subject": "Ticket {{ticket.number}} resolved",
                          "text": "Hello {{contact.name}},\n\nyour ticket \"{{ticket.title}}\" has been resolved.",
                          "html": "<p>Hello {{contact.name}},</p><p>your ticket <b>{{ticket.title}}</b> has been resolved.</p>",
                          "template_data": {"ticket": {"number": "TIC001002", "title": "VPN drops every few minutes"},
                                            "contact": {"name": "John"}}}}],
  "implementation": {"kind": "sql", "function": "algawf._act_email_send"}
}$def$, frag);

END
$reg$;
