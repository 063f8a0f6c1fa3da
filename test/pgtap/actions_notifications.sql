-- notifications.send_in_app through the dispatcher: rows and output on success,
-- error codes on failure, dedupe keys, tenant isolation and the family switch.
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

SELECT is((SELECT category || ' ' || array_to_string(permissions, ',') || ' ' || (idempotency ->> 'mode')
             FROM algawf.catalog WHERE action_id = 'notifications.send_in_app'),
          'Notifications email:create ' || (SELECT idempotency ->> 'mode' FROM algawf.catalog WHERE action_id = 'notifications.send_in_app'),
          'notifications.send_in_app: registered in the Notifications palette group, permission email:create');
SELECT ok((SELECT jsonb_array_length(examples) > 0 AND available FROM algawf.catalog WHERE action_id = 'notifications.send_in_app'),
          'notifications.send_in_app: has an example and is available');

SELECT pg_temp.as_user('tom');
SELECT pg_temp.run('notifications.send_in_app', '{"recipients": {"role_names": ["manager"], "user_ids": ["0000000a-0001-0000-0000-000000000003"]},
    "title": "SLA breached: TIC001002", "body": "VPN ticket breached its SLA", "severity": "warning",
    "link": "/msp/tickets/0000000a-0009-0000-0000-000000000002", "dedupe_key": "sla:TIC001002"}') AS n \gset
SELECT is((:'n'::jsonb) ->> 'delivered_count', '2', 'send_in_app: a user and the members of a role (by name, any case)');
SELECT set_eq($$SELECT user_id::text FROM psa.internal_notifications WHERE title = 'SLA breached: TIC001002'$$,
              ARRAY['0000000a-0001-0000-0000-000000000003', '0000000a-0001-0000-0000-000000000005'],
              'send_in_app: one notification row per recipient');
SELECT results_eq($$SELECT DISTINCT message, type, link, category, metadata ->> 'dedupe_key', is_read FROM psa.internal_notifications
                    WHERE title = 'SLA breached: TIC001002'$$,
    $$VALUES ('VPN ticket breached its SLA', 'warning', '/msp/tickets/0000000a-0009-0000-0000-000000000002', 'workflows', 'sla:TIC001002', false)$$,
    'send_in_app: body, severity, deep link, category and dedupe key stored, unread');
SELECT set_eq($$SELECT internal_notification_id::text FROM psa.internal_notifications WHERE title = 'SLA breached: TIC001002'$$,
              ARRAY(SELECT jsonb_array_elements_text((:'n'::jsonb) -> 'notification_ids')), 'send_in_app: the output lists the ids');
SELECT is((SELECT count(*)::int FROM psa.audit_logs WHERE operation = 'workflow_action:notifications.send_in_app'
                                                    AND changed_data -> 'notification_ids' = (:'n'::jsonb) -> 'notification_ids'), 1,
          'send_in_app: an audit row naming the notifications');

-- the same dedupe key again, with one more role.  With action-provided idempotency keys (the
-- dedupe key is the call's key) the dispatcher replays the first call; without them the action
-- itself skips the users who already have the notification.  Either way nobody gets it twice.
SELECT pg_temp.run('notifications.send_in_app', '{"recipients": {"role_names": ["Manager", "Technician"]}, "title": "SLA breached: TIC001002",
    "body": "again", "dedupe_key": "sla:TIC001002"}') AS n2 \gset
SELECT is((SELECT count(*)::int FROM psa.internal_notifications WHERE title = 'SLA breached: TIC001002'
             AND user_id IN ('0000000a-0001-0000-0000-000000000003', '0000000a-0001-0000-0000-000000000005')), 2,
          'send_in_app: the same dedupe key notifies nobody twice');
SELECT CASE WHEN (SELECT idempotency ->> 'mode' FROM algawf.catalog WHERE action_id = 'notifications.send_in_app') = 'actionProvided'
    THEN collect_tap(
        is((:'n2'::jsonb) -> 'notification_ids', (:'n'::jsonb) -> 'notification_ids', 'send_in_app: the same dedupe key replays the first call'),
        is((SELECT count(*)::int FROM psa.internal_notifications WHERE title = 'SLA breached: TIC001002'), 2, '... and writes nothing'))
    ELSE collect_tap(
        is((:'n2'::jsonb) ->> 'delivered_count', '1', 'send_in_app: with the same dedupe key only the new recipient (Tina) gets it'),
        is((:'n2'::jsonb) ->> 'deduplicated_count', '2', 'send_in_app: the two who have it are skipped'))
    END;
UPDATE psa.internal_notifications SET deleted_at = now() WHERE user_id = '0000000a-0001-0000-0000-000000000005' AND title = 'SLA breached: TIC001002';
SELECT is(pg_temp.run('notifications.send_in_app', '{"recipients": {"role_names": ["Manager"]}, "title": "SLA breached: TIC001002", "body": "x",
    "dedupe_key": "sla:TIC001002:again"}') ->> 'delivered_count', '1', 'send_in_app: another dedupe key notifies again');
SELECT is(pg_temp.run('notifications.send_in_app', '{"recipients": {"role_ids": ["0000000a-0002-0000-0000-000000000004"]}, "title": "No key", "body": "x"}') ->> 'delivered_count',
          '1', 'send_in_app: by role id, without a dedupe key');

SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {"user_ids": ["0000000b-0001-0000-0000-000000000003"]}, "title": "x", "body": "x"}'),
          'NOT_FOUND', 'send_in_app: a user of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {"role_names": ["Janitor"]}, "title": "x", "body": "x"}'),
          'NOT_FOUND', 'send_in_app: an unknown role name is NOT_FOUND');
SELECT matches(pg_temp.msg('notifications.send_in_app', '{"recipients": {"role_names": ["Janitor"]}, "title": "x", "body": "x"}'),
          'no role named ''Janitor''', 'send_in_app: ... naming the role');
SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {"role_ids": ["0000000b-0002-0000-0000-000000000004"]}, "title": "x", "body": "x"}'),
          'NOT_FOUND', 'send_in_app: a role of another tenant is NOT_FOUND');
SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {}, "title": "x", "body": "x"}'),
          'VALIDATION_ERROR', 'send_in_app: no recipients is a VALIDATION_ERROR');
SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {"user_ids": ["0000000a-0001-0000-0000-000000000003"]}, "title": "x", "body": "x", "severity": "critical"}'),
          'VALIDATION_ERROR', 'send_in_app: an unknown severity is a VALIDATION_ERROR');
SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {"user_ids": ["0000000a-0001-0000-0000-000000000003"]}, "title": "x", "body": "x", "link": "javascript:alert(1)"}'),
          'VALIDATION_ERROR', 'send_in_app: a javascript: link is a VALIDATION_ERROR');
SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {"user_ids": ["0000000a-0001-0000-0000-000000000003"]}, "title": "", "body": "x"}'),
          'VALIDATION_ERROR', 'send_in_app: an empty title is a VALIDATION_ERROR');
INSERT INTO psa.roles (tenant, role_id, role_name) VALUES ('00000000-0000-0000-0000-00000000000a', '0000000a-0002-0000-0000-0000000000ee', 'Empty Role');
SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {"role_names": ["Empty Role"]}, "title": "x", "body": "x"}'),
          'VALIDATION_ERROR', 'send_in_app: a role without members gives no recipients: VALIDATION_ERROR');
UPDATE psa.users SET is_inactive = true WHERE user_id = '0000000a-0001-0000-0000-000000000004';
SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {"user_ids": ["0000000a-0001-0000-0000-000000000004"]}, "title": "x", "body": "x"}'),
          'VALIDATION_ERROR', 'send_in_app: an inactive user is a VALIDATION_ERROR');
SELECT is(pg_temp.run('notifications.send_in_app', '{"recipients": {"role_names": ["Technician"]}, "title": "inactive skipped", "body": "x"}') -> 'recipient_user_ids',
          '["0000000a-0001-0000-0000-000000000003"]', 'send_in_app: inactive members of a role are skipped');
SELECT pg_temp.as_user('nobody');
SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {"user_ids": ["0000000a-0001-0000-0000-000000000003"]}, "title": "x", "body": "x"}'),
          'PERMISSION_DENIED', 'send_in_app: a user without email:create is refused');

-- tenant B cannot see or reach tenant A's users
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000b';
SELECT set_config('algawf.user', '0000000b-0001-0000-0000-000000000001', true) IS NULL AS x \gset
SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {"user_ids": ["0000000a-0001-0000-0000-000000000003"]}, "title": "x", "body": "x"}'),
          'NOT_FOUND', 'send_in_app: from tenant B, a user of tenant A is NOT_FOUND');
SELECT is(pg_temp.run('notifications.send_in_app', '{"recipients": {"role_names": ["Manager"]}, "title": "B only", "body": "x"}') -> 'recipient_user_ids',
          '["0000000b-0001-0000-0000-000000000005"]', 'send_in_app: tenant B''s Manager role reaches only tenant B''s manager');

-- family switch
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SELECT pg_temp.as_user('alice');
SELECT lives_ok($$SELECT algawf.set_family_enabled('notifications', false)$$, 'the notifications family can be switched off');
SELECT is((SELECT available FROM algawf.catalog WHERE action_id = 'notifications.send_in_app'), false, 'switched off: unavailable in the catalog');
SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {"user_ids": ["0000000a-0001-0000-0000-000000000003"]}, "title": "x", "body": "x"}'),
          'INTEGRATION_INACTIVE', 'switched off: calls fail with INTEGRATION_INACTIVE');
SELECT matches(pg_temp.msg('notifications.send_in_app', '{"recipients": {"user_ids": ["0000000a-0001-0000-0000-000000000003"]}, "title": "x", "body": "x"}'),
          'family "notifications" is disabled', 'switched off: the error names the family');
SELECT lives_ok($$SELECT algawf.set_family_enabled('notifications', true)$$, 'switched back on');
SELECT is(pg_temp.code('notifications.send_in_app', '{"recipients": {"user_ids": ["0000000a-0001-0000-0000-000000000003"]}, "title": "x", "body": "x"}'),
          NULL, 'switched on: calls work again');

SELECT * FROM finish();
ROLLBACK;
