-- Events: algawf.emit() (recording, dedup), the event catalog, the row
-- triggers on the psa tables and their payloads (with changes), and
-- attach_events on users' own tables.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS algawf CASCADE;
DROP EXTENSION IF EXISTS algawf_psa CASCADE;
DROP TABLE IF EXISTS public.ev_orders, public.tickets, public.ev_plain;
CREATE EXTENSION algawf CASCADE;
RESET client_min_messages;
SELECT psa.load_sample_data() IS NOT NULL AS sample_data;

-- payloads without the volatile parts: timestamps become "<time>"
CREATE FUNCTION pg_temp.masked(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE jsonb_typeof(j)
        WHEN 'object' THEN (SELECT coalesce(jsonb_object_agg(k, pg_temp.masked(v)), '{}') FROM jsonb_each(j) e(k, v))
        WHEN 'array' THEN (SELECT coalesce(jsonb_agg(pg_temp.masked(v)), '[]') FROM jsonb_array_elements(j) e(v))
        WHEN 'string' THEN CASE WHEN j #>> '{}' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d' THEN '"<time>"' ELSE j END
        ELSE j END
$$;
CREATE FUNCTION pg_temp.events() RETURNS TABLE (event_name text, correlation_key text, source text, payload jsonb)
    LANGUAGE sql AS $$
    SELECT e.event_name, e.correlation_key, e.source, pg_temp.masked(e.payload - 'tenantId')
      FROM algawf.workflow_runtime_events e ORDER BY e.received_at, e.event_name
$$;

-- ---------------------------------------------------------------------------
-- The catalog: Alga's events, each with a payload schema that compiles
SELECT event_type, payload_schema_ref, category, built_in FROM algawf.event_types ORDER BY category, event_type;
SELECT count(*) AS schema_problems
  FROM algawf.event_types e, algawf.check_schema(e.payload_schema) p;
SELECT payload_schema->'required' AS required, payload_schema->'properties'->'changes' AS changes
  FROM algawf.event_types WHERE event_type = 'TICKET_UPDATED';
-- the psa tables carry the trigger
SELECT * FROM algawf.event_attachments ORDER BY table_name::text;

-- ---------------------------------------------------------------------------
-- algawf.emit: recording and deduplication
SELECT algawf.emit('ORDER_SHIPPED', '{"orderId": 1}');       -- no tenant
SET algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SELECT algawf.emit('ORDER_SHIPPED', '{"orderId": 1}', 'order-1', 'shipment-1') = algawf.event_uuid('shipment-1') AS named_id;
SELECT algawf.emit('ORDER_SHIPPED', '{"orderId": 1}', 'order-1', 'shipment-1') = algawf.event_uuid('shipment-1') AS same_id;
SELECT event_name, correlation_key, source, payload, resumed_runs, started_runs
  FROM algawf.workflow_runtime_events;                         -- recorded once
SELECT algawf.event_uuid('0000000A-0000-4000-8000-000000000001') AS uuid_ids_are_kept,
       algawf.event_uuid('shipment-1')::text ~ '^[0-9a-f]{8}-[0-9a-f]{4}-3' AS md5_based;
SELECT algawf.emit('ORDER_SHIPPED', '[1, 2]');
SELECT algawf.emit('', '{}');
SELECT algawf.emit('ORDER_SHIPPED', '{}', NULL, '');
-- a payload that does not match the catalog's schema is refused
SELECT algawf.emit('TICKET_CREATED', '{"tenantId": "a", "occurredAt": "yesterday"}');
SELECT algawf.emit('TICKET_CREATED', '{"tenantId": "a", "occurredAt": "2024-05-01T10:00:00Z",
                                       "ticketId": "0000000a-0009-0000-0000-000000000001"}') IS NOT NULL AS valid_emit;
-- tenants' own event types: registered with a schema, then validated
SELECT algawf.register_schema('payload.OrderShipped.v1', '{"type": "object", "required": ["orderId"],
                                                           "properties": {"orderId": {"type": "integer"}}}');
SELECT algawf.register_event_type('ORDER_SHIPPED', 'payload.OrderShipped.v1', 'Order shipped', 'An order left the warehouse', 'Orders');
SELECT event_type, label, payload_schema_ref, built_in FROM algawf.event_types WHERE NOT built_in;
SELECT algawf.emit('ORDER_SHIPPED', '{"orderId": "one"}');
SELECT algawf.register_event_type('ORDER_LOST', 'payload.Nope.v1');
-- nothing listens: nothing was started
SELECT count(*) AS runs FROM algawf.workflow_runs;
TRUNCATE algawf.workflow_runtime_events;

-- ---------------------------------------------------------------------------
-- Row triggers: one workflow per built-in event makes every event wanted
DO $$
DECLARE
    e text;
BEGIN
    FOR e IN SELECT event_type FROM algawf.event_types WHERE built_in ORDER BY 1 LOOP
        PERFORM algawf.create_workflow(jsonb_build_object(
            'id', 'on-' || lower(e), 'name', 'On ' || e, 'version', 1,
            'trigger', jsonb_build_object('type', 'event', 'eventName', e),
            'steps', '[{"id": "s", "type": "state.set", "config": {"state": "seen"}}]'::jsonb));
    END LOOP;
END
$$;
SELECT count(*) AS subscribed FROM algawf.event_subscriptions() WHERE triggers;

-- tickets: created (and assigned), actor from algawf.user
SET algawf."user" = '0000000a-0001-0000-0000-000000000002';
INSERT INTO psa.tickets (tenant, ticket_id, title, client_id, contact_name_id, board_id, status_id, priority_id,
                         assigned_to, entered_by, attributes)
VALUES (psa.current_tenant(), '0000000a-0009-0000-0000-0000000000e1', 'Laptop will not boot',
        '0000000a-0003-0000-0000-000000000001', '0000000a-0004-0000-0000-000000000001',
        '0000000a-0005-0000-0000-000000000001', '0000000a-0006-0000-0000-000000000001',
        '0000000a-0007-0000-0000-000000000002', '0000000a-0001-0000-0000-000000000003',
        '0000000a-0001-0000-0000-000000000002', '{"description": "Black screen after the logo"}');
SELECT * FROM pg_temp.events();
TRUNCATE algawf.workflow_runtime_events;

-- updated: status, priority, assignee and a jsonb attribute at once; the
-- actor is the row's updated_by when algawf.user is not set
RESET algawf."user";
UPDATE psa.tickets
   SET status_id = '0000000a-0006-0000-0000-000000000002', priority_id = '0000000a-0007-0000-0000-000000000004',
       assigned_to = '0000000a-0001-0000-0000-000000000004', updated_by = '0000000a-0001-0000-0000-000000000005',
       attributes = attributes || '{"description": "Black screen, fan spins", "model": "T14"}'
 WHERE ticket_id = '0000000a-0009-0000-0000-0000000000e1';
SELECT * FROM pg_temp.events();
TRUNCATE algawf.workflow_runtime_events;

-- closed, then reopened, then unassigned; touching only updated_at emits nothing
UPDATE psa.tickets SET status_id = '0000000a-0006-0000-0000-000000000004', closed_by = '0000000a-0001-0000-0000-000000000004'
 WHERE ticket_id = '0000000a-0009-0000-0000-0000000000e1';
UPDATE psa.tickets SET status_id = '0000000a-0006-0000-0000-000000000001'
 WHERE ticket_id = '0000000a-0009-0000-0000-0000000000e1';
UPDATE psa.tickets SET assigned_to = NULL WHERE ticket_id = '0000000a-0009-0000-0000-0000000000e1';
UPDATE psa.tickets SET updated_at = now() WHERE ticket_id = '0000000a-0009-0000-0000-0000000000e1';
SELECT event_name, payload FROM pg_temp.events();
TRUNCATE algawf.workflow_runtime_events;

-- comments, clients, contacts, interactions, schedule entries, project tasks, time entries
INSERT INTO psa.comments (tenant, comment_id, ticket_id, contact_id, author_type, note, created_at)
VALUES (psa.current_tenant(), '0000000a-000c-0000-0000-0000000000e1', '0000000a-0009-0000-0000-0000000000e1',
        '0000000a-0004-0000-0000-000000000001', 'client', 'Still broken', '2030-01-02 09:00+00');
INSERT INTO psa.clients (tenant, client_id, client_name, created_at)
VALUES (psa.current_tenant(), '0000000a-0003-0000-0000-0000000000e1', 'Hooli', '2030-01-02 09:00+00');
UPDATE psa.clients SET url = 'https://hooli.example', properties = '{"tier": "gold"}'
 WHERE client_id = '0000000a-0003-0000-0000-0000000000e1';
INSERT INTO psa.contacts (tenant, contact_name_id, full_name, client_id, email, phone_number)
VALUES (psa.current_tenant(), '0000000a-0004-0000-0000-0000000000e1', 'Gavin Belson',
        '0000000a-0003-0000-0000-0000000000e1', 'gavin@hooli.example', '+1 555 0100');
UPDATE psa.contacts SET is_inactive = true WHERE contact_name_id = '0000000a-0004-0000-0000-0000000000e1';
INSERT INTO psa.interactions (tenant, interaction_id, type_id, contact_name_id, user_id, title, interaction_date,
                              status_id, duration)
VALUES (psa.current_tenant(), '0000000a-0010-0000-0000-0000000000e1', '00000000-0000-0000-0001-000000000001',
        '0000000a-0004-0000-0000-0000000000e1', '0000000a-0001-0000-0000-000000000003', 'Follow-up call',
        '2030-01-02 10:00+00', '0000000a-0006-0000-0000-000000000012', 15);
INSERT INTO psa.schedule_entries (tenant, entry_id, title, scheduled_start, scheduled_end, work_item_type,
                                  work_item_id, created_by)
VALUES (psa.current_tenant(), '0000000a-0011-0000-0000-0000000000e1', 'On-site visit', '2030-01-03 09:00+00',
        '2030-01-03 10:30+00', 'ticket', '0000000a-0009-0000-0000-0000000000e1', '0000000a-0001-0000-0000-000000000002');
INSERT INTO psa.projects (tenant, project_id, project_name, client_id)
VALUES (psa.current_tenant(), '0000000a-0012-0000-0000-0000000000e1', 'Office move', '0000000a-0003-0000-0000-000000000001');
INSERT INTO psa.project_phases (tenant, phase_id, project_id, phase_name)
VALUES (psa.current_tenant(), '0000000a-0013-0000-0000-0000000000e1', '0000000a-0012-0000-0000-0000000000e1', 'Planning');
INSERT INTO psa.project_tasks (tenant, task_id, phase_id, task_name, status_id, assigned_to, due_date)
VALUES (psa.current_tenant(), '0000000a-0014-0000-0000-0000000000e1', '0000000a-0013-0000-0000-0000000000e1',
        'Count the desks', '0000000a-0006-0000-0000-000000000031', '0000000a-0001-0000-0000-000000000004',
        '2030-02-01 17:00+00');
INSERT INTO psa.time_entries (tenant, entry_id, user_id, work_item_type, work_item_id, start_time, end_time,
                              billable_duration)
VALUES (psa.current_tenant(), '0000000a-0015-0000-0000-0000000000e1', '0000000a-0001-0000-0000-000000000003',
        'ticket', '0000000a-0009-0000-0000-0000000000e1', '2030-01-03 09:00+00', '2030-01-03 10:30+00', 60),
       (psa.current_tenant(), '0000000a-0015-0000-0000-0000000000e2', '0000000a-0001-0000-0000-000000000003',
        'ad_hoc', NULL, '2030-01-03 11:00+00', '2030-01-03 11:30+00', 0);
SELECT * FROM pg_temp.events();
-- every event started its workflow
SELECT count(*) AS events, sum(started_runs) AS runs_started FROM algawf.workflow_runtime_events;
TRUNCATE algawf.workflow_runtime_events;

-- another tenant's changes start none of tenant A's workflows, and tenant B
-- listens to nothing, so nothing is even recorded
INSERT INTO psa.tickets (tenant, title, client_id, board_id, status_id, priority_id)
VALUES ('00000000-0000-0000-0000-00000000000b', 'Beacon ticket', '0000000b-0003-0000-0000-000000000001',
        '0000000b-0005-0000-0000-000000000001', '0000000b-0006-0000-0000-000000000001',
        '0000000b-0007-0000-0000-000000000002');
SELECT count(*) AS events_of_b FROM algawf.workflow_runtime_events;

-- ---------------------------------------------------------------------------
-- attach_events on users' own tables
-- a table shaped like Alga's tickets (an existing Alga PSA schema): the ticket family
CREATE TABLE public.tickets (LIKE psa.tickets INCLUDING DEFAULTS);
SELECT algawf.attach_events('public.tickets');
INSERT INTO public.tickets (tenant, ticket_id, ticket_number, title, entered_at)
VALUES ('00000000-0000-0000-0000-00000000000a', '0000000a-0009-0000-0000-0000000000e2', 'ALGA-1', 'From Alga',
        '2030-01-04 08:00+00');
SELECT * FROM pg_temp.events();
TRUNCATE algawf.workflow_runtime_events;

-- any table with a uuid tenant column: the generic family, with an event prefix
CREATE TABLE public.ev_orders (
    tenant      uuid NOT NULL,
    order_id    int NOT NULL,
    amount      numeric NOT NULL,
    shipped     boolean NOT NULL DEFAULT false,
    placed_at   timestamptz NOT NULL DEFAULT '2030-01-05 12:00+00',
    PRIMARY KEY (tenant, order_id)
);
SELECT algawf.attach_events('public.ev_orders', event_prefix => 'ORDER');
SELECT * FROM algawf.event_attachments WHERE family = 'generic';
SELECT event_type, label, built_in FROM algawf.event_types WHERE event_type LIKE 'ORDER\_%' ORDER BY 1;
SELECT algawf.create_workflow(jsonb_build_object('id', 'on-order-' || x, 'name', 'On order ' || x, 'version', 1,
           'trigger', jsonb_build_object('type', 'event', 'eventName', 'ORDER_' || x),
           'steps', '[{"id": "s", "type": "state.set", "config": {"state": "seen"}}]'::jsonb)) IS NOT NULL AS created
  FROM unnest(ARRAY['CREATED', 'UPDATED', 'DELETED']) x;
INSERT INTO public.ev_orders (tenant, order_id, amount) VALUES ('00000000-0000-0000-0000-00000000000a', 1, 99.50);
UPDATE public.ev_orders SET shipped = true WHERE order_id = 1;
UPDATE public.ev_orders SET shipped = true WHERE order_id = 1;    -- no change: no event
DELETE FROM public.ev_orders WHERE order_id = 1;
SELECT * FROM pg_temp.events();
TRUNCATE algawf.workflow_runtime_events;

-- what attach_events refuses
CREATE TABLE public.ev_plain (id int);
SELECT algawf.attach_events('public.ev_plain');
SELECT algawf.attach_events('public.ev_orders', family => 'ticket');
SELECT algawf.attach_events('public.ev_orders', family => 'invoice');
SELECT algawf.attach_events('psa.tickets', event_prefix => 'X');
SELECT algawf.attach_events('algawf.runs');
-- detaching
SELECT algawf.detach_events('public.ev_orders'), algawf.detach_events('public.ev_orders');
INSERT INTO public.ev_orders (tenant, order_id, amount) VALUES ('00000000-0000-0000-0000-00000000000a', 2, 1);
SELECT count(*) AS events_after_detach FROM algawf.workflow_runtime_events;

-- the switch for restores and bulk loads (superuser)
SET algawf.emit_events = off;
UPDATE psa.tickets SET title = 'Quiet' WHERE ticket_id = '0000000a-0009-0000-0000-0000000000e1';
RESET algawf.emit_events;
SELECT count(*) AS events_while_off FROM algawf.workflow_runtime_events;

-- ---------------------------------------------------------------------------
-- dropping algawf leaves the psa tables working (the triggers go with it)
RESET algawf.tenant;
SET client_min_messages = warning;
DROP TABLE public.ev_orders, public.tickets, public.ev_plain;
DROP EXTENSION algawf;
RESET client_min_messages;
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgname = 'algawf_events';
INSERT INTO psa.tickets (tenant, title, client_id, board_id, status_id, priority_id)
VALUES ('00000000-0000-0000-0000-00000000000a', 'After the drop', '0000000a-0003-0000-0000-000000000001',
        '0000000a-0005-0000-0000-000000000001', '0000000a-0006-0000-0000-000000000001',
        '0000000a-0007-0000-0000-000000000002')
RETURNING title;
SET client_min_messages = warning;
DROP EXTENSION algawf_psa CASCADE;
DROP EXTENSION IF EXISTS pgcrypto;
RESET client_min_messages;
