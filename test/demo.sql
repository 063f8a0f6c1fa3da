-- What the demo shows.  Runs against a fresh throwaway cluster.
\pset footer off
\echo '== extensions'
CREATE EXTENSION IF NOT EXISTS algawf CASCADE;
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT extname, extversion FROM pg_extension WHERE extname IN ('algawf', 'algawf_psa', 'pg_cron') ORDER BY 1;

\echo '== sample PSA data (two tenants)'
SELECT psa.load_sample_data();

\echo '== a role that acts for tenant A sees only tenant A'
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_dispatcher') THEN
        CREATE ROLE demo_dispatcher LOGIN IN ROLE algawf_operator;
    END IF;
END $$;
SELECT algawf.add_tenant_member('00000000-0000-0000-0000-00000000000a', 'demo_dispatcher');
SET ROLE demo_dispatcher;
SET algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SELECT ticket_number, title FROM psa.tickets ORDER BY ticket_number LIMIT 5;
SET algawf.tenant = '00000000-0000-0000-0000-00000000000b';
SELECT count(*) AS tenant_b_tickets_visible_to_a_member FROM psa.tickets;
RESET ROLE;
RESET algawf.tenant;

\echo '== business actions: a CRM note and a quote, through the dispatcher'
SET algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SELECT set_config('algawf.user', '0000000a-0001-0000-0000-000000000001', false) IS NOT NULL AS acting_as_alice;
SELECT algawf.call_action('crm.create_activity_note', '{"target": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"},
    "body": "Customer confirmed the VPN is stable.", "idempotency_key": "demo-note"}') -> 'target_summary' AS note_on;
SELECT q -> 'quote' ->> 'quote_number' AS quote, q -> 'quote' ->> 'total_amount' AS total_cents
  FROM algawf.call_action('crm.create_quote', '{"client_id": "0000000a-0003-0000-0000-000000000001", "title": "Managed services renewal",
    "items": [{"service_id": "0000000a-000e-0000-0000-000000000001", "quantity": 10}], "idempotency_key": "demo-quote"}') q;

\echo '== the templates gallery'
SELECT template, trigger_type, available FROM algawf.templates ORDER BY template;
\echo '== a template run end to end: SLA breach escalation on TIC001001'
SELECT algawf.instantiate('sla-breach-escalation', 'SLA escalation (demo)', active => true) AS demo_sla \gset
SELECT algawf.set_variable('sla_escalation_priority_id', '"0000000a-0007-0000-0000-000000000004"');
SELECT algawf.run(:'demo_sla', '{"ticket_id": "0000000a-0009-0000-0000-000000000001", "breach": "response"}', wait => true) AS demo_run \gset
SELECT status, meta ->> 'state' AS state FROM algawf.runs WHERE run_id = :'demo_run';
SELECT k.ticket_number, p.priority_name, c.note AS internal_note
  FROM psa.tickets k JOIN psa.priorities p USING (tenant, priority_id)
  JOIN LATERAL (SELECT note FROM psa.comments c WHERE c.tenant = k.tenant AND c.ticket_id = k.ticket_id AND c.is_internal
                 ORDER BY created_at DESC LIMIT 1) c ON true
 WHERE k.ticket_id = '0000000a-0009-0000-0000-000000000001';
SELECT u.username, n.title FROM psa.internal_notifications n JOIN psa.users u USING (tenant, user_id) WHERE n.title LIKE 'SLA breached%';

\echo '== an ordinary INSERT starts a workflow; the background worker runs it'
SELECT algawf.create_workflow('{
  "id": "demo-new-ticket", "name": "Acknowledge new tickets", "version": 1,
  "trigger": {"type": "event", "eventName": "TICKET_CREATED"},
  "steps": [
    {"id": "ack", "type": "action.call",
     "config": {"actionId": "tickets.add_comment", "version": 1,
                "inputMapping": {"ticket_id": {"$expr": "payload.ticketId"},
                                 "body": {"$expr": "\"We received ticket \" & payload.ticketNumber & \" and are on it.\""},
                                 "visibility": "public"}}},
    {"id": "urgent", "type": "control.if", "condition": {"$expr": "payload.priorityId = \"0000000a-0007-0000-0000-000000000004\""},
     "then": [{"id": "flag", "type": "state.set", "config": {"state": "URGENT"}}],
     "else": [{"id": "normal", "type": "state.set", "config": {"state": "NORMAL"}}]}
  ]}') IS NOT NULL AS published;
INSERT INTO psa.tickets (tenant, title, client_id, contact_name_id, board_id, status_id, priority_id)
VALUES (algawf.current_tenant(), 'Demo: printer on fire', '0000000a-0003-0000-0000-000000000001',
        '0000000a-0004-0000-0000-000000000001', '0000000a-0005-0000-0000-000000000001',
        '0000000a-0006-0000-0000-000000000001', '0000000a-0007-0000-0000-000000000002');
-- wait (at most 10 s) for the worker; nobody calls run() or run_pending()
DO $$ BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN EXISTS (SELECT 1 FROM algawf.runs WHERE workflow_key = 'demo-new-ticket' AND status = 'SUCCEEDED');
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT run_id AS demo_event_run FROM algawf.runs WHERE workflow_key = 'demo-new-ticket' \gset
SELECT status, trigger_type, meta ->> 'state' AS state, round(extract(epoch FROM completed_at - created_at) * 1000) AS ms_from_insert
  FROM algawf.runs WHERE run_id = :'demo_event_run';
SELECT c.note AS public_comment FROM psa.comments c JOIN psa.tickets k USING (tenant, ticket_id)
 WHERE k.title = 'Demo: printer on fire';
\echo '== algawf.explain(run): the run as a DBA sees it'
SELECT * FROM algawf.explain(:'demo_event_run');
SELECT pid, state, runs_done FROM algawf.worker_status;
RESET algawf.tenant;
