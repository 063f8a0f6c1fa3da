-- email.send through the dispatcher: validation, rendering and the queued message
-- (delivery over SMTP is tested end to end in test/e2e/email_smtp.sh).
BEGIN;
SELECT no_plan();

SELECT psa.load_sample_data() IS NOT NULL AS loaded \gset
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SET LOCAL client_min_messages = warning;

-- actors: alice (Admin), dan (Dispatcher), tom and tina (Technicians), mia (Manager), a user without roles
INSERT INTO psa.users (tenant, user_id, username, first_name, last_name)
VALUES ('00000000-0000-0000-0000-00000000000a', '0000000a-0001-0000-0000-0000000000ff', 'no.roles', 'Nora', 'Noroles');
CREATE FUNCTION pg_temp.as_user(u text) RETURNS text LANGUAGE sql AS $$
    SELECT '# acting as ' || u || ' ' || set_config('algawf.user', CASE u
        WHEN 'alice' THEN '0000000a-0001-0000-0000-000000000001' WHEN 'dan' THEN '0000000a-0001-0000-0000-000000000002'
        WHEN 'tom' THEN '0000000a-0001-0000-0000-000000000003' WHEN 'tina' THEN '0000000a-0001-0000-0000-000000000004'
        WHEN 'mia' THEN '0000000a-0001-0000-0000-000000000005'
        WHEN 'nobody' THEN '0000000a-0001-0000-0000-0000000000ff' END, true);
$$;
CREATE FUNCTION pg_temp.run(action text, input jsonb) RETURNS jsonb
    LANGUAGE sql AS $$ SELECT algawf.call_action(action, input) $$;
CREATE FUNCTION pg_temp.code(action text, input jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT algawf.try_action(action, input) -> 'error' ->> 'code' $$;
CREATE FUNCTION pg_temp.msg(action text, input jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT algawf.try_action(action, input) -> 'error' ->> 'message' $$;

SELECT results_eq($$SELECT category, permissions, side_effectful, redact, retry_hint -> 'retryOn' FROM algawf.catalog WHERE action_id = 'email.send'$$,
    $$VALUES ('Email', '{email:create}'::text[], true, '{text,html,template_data}'::text[], '["TransientError"]'::jsonb)$$,
    'email.send: Email group, email:create, bodies redacted, retry hint for transient failures');

SELECT pg_temp.as_user('tom');
SELECT pg_temp.run('email.send', '{"to": [{"email": "John.Smith@GLOBEX.example", "name": "John Smith"}, "jane.doe@globex.example"],
    "cc": ["peter.gibbons@initech.example"], "bcc": [{"email": "audit@acme-msp.example"}], "reply_to": "helpdesk@acme-msp.example",
    "subject": "Ticket {{ticket.number}}: {{ticket.title}}", "text": "Hi {{contact.first}}, total {{amount}} (missing: [{{nope.x}}])",
    "html": "<p>{{ticket.title}} {{items[1]}}</p>",
    "template_data": {"ticket": {"number": "TIC001002", "title": "VPN <drops> & \"reconnects\""}, "contact": {"first": "John"},
                      "amount": 12.5, "items": ["a", "b"]}}') AS sent \gset
SELECT is((:'sent'::jsonb) ->> 'status', 'queued', 'email.send: queued');
SELECT is((:'sent'::jsonb) ->> 'from', 'support@acme-msp.example', 'email.send: from the default provider');
SELECT is((:'sent'::jsonb) ->> 'provider_id', '0000000a-000d-0000-0000-000000000001', 'email.send: the default provider');
SELECT is((:'sent'::jsonb) ->> 'recipient_count', '4', 'email.send: four recipients');
SELECT matches((:'sent'::jsonb) ->> 'message_id', '^<[0-9a-f-]{36}@acme-msp\.example>$', 'email.send: a Message-ID on the sender domain');
SELECT results_eq(format($$SELECT status, attempts, message ->> 'subject', message ->> 'text', message ->> 'html',
                                  message -> 'to', message -> 'cc', message -> 'reply_to', message ? 'bcc',
                                  envelope -> 'recipients', server, action_id, actor::text
                             FROM algawf.email_outbox WHERE message_id = %L$$, (:'sent'::jsonb) ->> 'message_id'),
    $$VALUES ('pending', 0, 'Ticket TIC001002: VPN <drops> & "reconnects"', 'Hi John, total 12.5 (missing: [])',
              '<p>VPN &lt;drops&gt; &amp; &quot;reconnects&quot; b</p>',
              '[{"name": "John Smith", "email": "John.Smith@globex.example"}, {"email": "jane.doe@globex.example"}]'::jsonb,
              '[{"email": "peter.gibbons@initech.example"}]'::jsonb, '{"email": "helpdesk@acme-msp.example"}'::jsonb, false,
              '["John.Smith@globex.example", "audit@acme-msp.example", "jane.doe@globex.example", "peter.gibbons@initech.example"]'::jsonb,
              '{"host": "127.0.0.1", "port": 2525, "security": "none"}'::jsonb, 'email.send', '0000000a-0001-0000-0000-000000000003')$$,
    'email.send: the outbox row (rendered subject, text, escaped html; bcc only in the envelope; the server; who)');
SELECT is((SELECT count(*)::int FROM psa.audit_logs WHERE operation = 'workflow_action:email.send' AND changed_data ->> 'message_id' = (:'sent'::jsonb) ->> 'message_id'),
          1, 'email.send: an audit row');
SELECT results_eq(format($$SELECT input ->> 'text', input ->> 'html', input ->> 'template_data', input ->> 'subject'
                             FROM algawf.workflow_action_invocations WHERE output ->> 'message_id' = %L$$, (:'sent'::jsonb) ->> 'message_id'),
    $$VALUES ('[REDACTED]', '[REDACTED]', '[REDACTED]', 'Ticket {{ticket.number}}: {{ticket.title}}')$$,
    'email.send: bodies and template data are redacted in the invocation row');

-- provider selection and the sender domain
INSERT INTO psa.email_provider_configs (tenant, provider_id, provider_name, host, port, security, username, password_secret_name,
                                        from_address, is_default, is_active)
VALUES ('00000000-0000-0000-0000-00000000000a', '0000000a-000d-0000-0000-000000000002', 'Office 365', 'smtp.office365.example', 587,
        'starttls', 'mailer@acme-msp.example', 'O365_PASSWORD', 'noreply@acme-msp.example', false, true),
       ('00000000-0000-0000-0000-00000000000a', '0000000a-000d-0000-0000-000000000003', 'Old relay', 'relay.example', 25,
        'none', NULL, NULL, 'relay@acme-msp.example', false, false);
SELECT is(pg_temp.run('email.send', '{"to": ["a@globex.example"], "subject": "s", "text": "t", "provider_id": "0000000a-000d-0000-0000-000000000002"}') ->> 'from',
          'noreply@acme-msp.example', 'email.send: a named provider and its sender');
SELECT is((SELECT server FROM algawf.email_outbox WHERE provider_id = '0000000a-000d-0000-0000-000000000002'),
          '{"host": "smtp.office365.example", "port": 587, "security": "starttls", "username": "mailer@acme-msp.example", "password_secret": "O365_PASSWORD"}',
          'email.send: STARTTLS and the secret''s name (never a password) in the outbox');
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "subject": "s", "text": "t", "provider_id": "0000000a-000d-0000-0000-000000000003"}'),
          'VALIDATION_ERROR', 'email.send: an inactive provider is a VALIDATION_ERROR');
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "subject": "s", "text": "t", "provider_id": "0000000b-000d-0000-0000-000000000001"}'),
          'NOT_FOUND', 'email.send: a provider of another tenant is NOT_FOUND');
SELECT is(pg_temp.run('email.send', '{"to": ["a@globex.example"], "from": {"email": "billing@acme-msp.example", "name": "Acme Billing"}, "subject": "s", "html": "<p>t</p>"}') ->> 'from',
          'billing@acme-msp.example', 'email.send: another sender on a verified tenant domain');
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "from": "support@beacon-it.example", "subject": "s", "text": "t"}'),
          'VALIDATION_ERROR', 'email.send: another tenant''s domain is refused');
SELECT matches(pg_temp.msg('email.send', '{"to": ["a@globex.example"], "from": "x@gmail.example", "subject": "s", "text": "t"}'),
          'gmail\.example is not a verified sender domain', 'email.send: ... naming the domain');
INSERT INTO psa.tenant_email_domains (tenant, domain, verified) VALUES ('00000000-0000-0000-0000-00000000000a', 'unverified.example', false);
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "from": "x@unverified.example", "subject": "s", "text": "t"}'),
          'VALIDATION_ERROR', 'email.send: an unverified tenant domain is refused');

-- input validation
SELECT is(pg_temp.code('email.send', '{"to": [], "subject": "s", "text": "t"}'), 'VALIDATION_ERROR', 'email.send: no recipient');
SELECT is(pg_temp.code('email.send', '{"to": ["not an address"], "subject": "s", "text": "t"}'), 'VALIDATION_ERROR', 'email.send: a malformed address');
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "subject": "s"}'), 'VALIDATION_ERROR', 'email.send: no body');
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "subject": "", "text": "t"}'), 'VALIDATION_ERROR', 'email.send: an empty subject');
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "subject": "{{blank}}", "text": "t", "template_data": {"blank": " "}}'),
          'VALIDATION_ERROR', 'email.send: a subject that renders empty');
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "subject": "Hi {{name}}", "text": "t", "template_data": {"name": "x\nBcc: victim@evil.example"}}'),
          'VALIDATION_ERROR', 'email.send: a line break in the rendered subject (header injection)');
SELECT is(pg_temp.code('email.send', '{"to": [{"email": "a@globex.example", "name": "A\r\nBcc: victim@evil.example"}], "subject": "s", "text": "t"}'),
          'VALIDATION_ERROR', 'email.send: a line break in a display name (header injection)');
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "subject": "s", "text": "{{unclosed"}'), 'VALIDATION_ERROR', 'email.send: an unclosed placeholder');
SELECT is(pg_temp.code('email.send', format('{"to": %s, "subject": "s", "text": "t"}',
              (SELECT jsonb_agg('u' || i || '@globex.example') FROM generate_series(1, 101) i))::jsonb),
          'VALIDATION_ERROR', 'email.send: more than 100 recipients');
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "subject": "s", "text": "t", "attachments": []}'),
          'VALIDATION_ERROR', 'email.send: unknown input fields are refused');

-- no provider at all
UPDATE psa.email_provider_configs SET is_active = false WHERE tenant = '00000000-0000-0000-0000-00000000000a';
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "subject": "s", "text": "t"}'), 'NOT_FOUND',
          'email.send: no active provider is NOT_FOUND');
UPDATE psa.email_provider_configs SET is_active = true WHERE provider_id IN ('0000000a-000d-0000-0000-000000000001', '0000000a-000d-0000-0000-000000000002');

-- permissions and tenants
SELECT pg_temp.as_user('dan');
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "subject": "s", "text": "t"}'), 'PERMISSION_DENIED',
          'email.send: a dispatcher (no email:create) cannot send');
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000b';
SELECT set_config('algawf.user', '0000000b-0001-0000-0000-000000000003', true) IS NULL AS x \gset
SELECT is(pg_temp.run('email.send', '{"to": ["lucius.fox@wayne-logistics.example"], "subject": "s", "text": "t"}') ->> 'from',
          'support@beacon-it.example', 'email.send: tenant B sends through its own provider');
SET LOCAL ROLE algawf_service;
SELECT is((SELECT count(*)::int FROM algawf.email_outbox WHERE message ->> 'subject' LIKE 'Ticket TIC001002%'), 0,
          'email.send: tenant B does not see tenant A''s outbox (row-level security)');
RESET ROLE;

-- family switch
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SELECT pg_temp.as_user('tom');
SELECT lives_ok($$SELECT algawf.set_family_enabled('email', false)$$, 'the email family can be switched off');
SELECT is((SELECT available FROM algawf.catalog WHERE action_id = 'email.send'), false, 'switched off: unavailable');
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "subject": "s", "text": "t"}'), 'INTEGRATION_INACTIVE', 'switched off: INTEGRATION_INACTIVE');
SELECT matches(pg_temp.msg('email.send', '{"to": ["a@globex.example"], "subject": "s", "text": "t"}'), 'family "email" is disabled', 'switched off: names the family');
SELECT lives_ok($$SELECT algawf.set_family_enabled('email', true)$$, 'switched back on');
SELECT is(pg_temp.code('email.send', '{"to": ["a@globex.example"], "subject": "s", "text": "t"}'), NULL, 'switched on: sends again');

-- deliver_email is a procedure that commits: it refuses to run inside this transaction
SELECT throws_ok($$CALL algawf.deliver_email()$$, '25001', NULL, 'deliver_email refuses to run inside a transaction block');

SELECT * FROM finish();
ROLLBACK;
