-- algawf_psa: the PSA tables.  Creation on a database without algawf, sample
-- data, numbering, the ticket trigger, RBAC, CHECK constraints, tenant-scoped
-- foreign keys and a row-level security smoke test.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS algawf CASCADE;
DROP EXTENSION IF EXISTS algawf_psa CASCADE;
DROP ROLE IF EXISTS regress_psa_reader;
DROP ROLE IF EXISTS regress_psa_service;
RESET client_min_messages;
RESET algawf.tenant;

-- the PSA extension on its own
CREATE EXTENSION algawf_psa;
SELECT extnamespace::regnamespace, extrelocatable FROM pg_extension WHERE extname = 'algawf_psa';
SELECT count(*) AS tenants_before_sample FROM psa.tenants;

-- every table: RLS enabled and forced, one policy, a comment; all but the
-- reference table are dumped by pg_dump
SELECT count(*) AS tables,
       count(*) FILTER (WHERE relrowsecurity AND relforcerowsecurity) AS rls_forced,
       count(*) FILTER (WHERE obj_description(oid, 'pg_class') IS NOT NULL) AS commented
  FROM pg_class WHERE relnamespace = 'psa'::regnamespace AND relkind = 'r';
SELECT count(*) AS tenant_tables,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t
                                       AND p.polname = 'tenant_isolation')) AS with_policy
  FROM psa.tenant_tables() t;
SELECT c.relname AS not_keyed_on_tenant
  FROM pg_class c WHERE c.relnamespace = 'psa'::regnamespace AND c.relkind = 'r'
   AND c.oid NOT IN (SELECT * FROM psa.tenant_tables());
SELECT array_length(extconfig, 1) AS dumped_tables FROM pg_extension WHERE extname = 'algawf_psa';
-- the policy expression
SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polrelid = 'psa.tickets'::regclass;
-- every foreign key starts with tenant on both sides
SELECT count(*) AS foreign_keys,
       count(*) FILTER (WHERE a.attname = 'tenant' AND fa.attname = 'tenant') AS tenant_first
  FROM pg_constraint con
  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
  JOIN pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = con.confkey[1]
 WHERE con.contype = 'f' AND con.connamespace = 'psa'::regnamespace;
SELECT type_name FROM psa.system_interaction_types ORDER BY display_order;

-- sample data, twice: idempotent
SELECT psa.load_sample_data();
SELECT psa.load_sample_data();
SELECT t.client_name,
       (SELECT count(*) FROM psa.users u WHERE u.tenant = t.tenant) AS users,
       (SELECT count(*) FROM psa.roles r WHERE r.tenant = t.tenant) AS roles,
       (SELECT count(*) FROM psa.permissions p WHERE p.tenant = t.tenant) AS permissions,
       (SELECT count(*) FROM psa.clients c WHERE c.tenant = t.tenant) AS clients,
       (SELECT count(*) FROM psa.contacts c WHERE c.tenant = t.tenant) AS contacts,
       (SELECT count(*) FROM psa.boards b WHERE b.tenant = t.tenant) AS boards,
       (SELECT count(*) FROM psa.statuses s WHERE s.tenant = t.tenant) AS statuses,
       (SELECT count(*) FROM psa.priorities p WHERE p.tenant = t.tenant) AS priorities,
       (SELECT count(*) FROM psa.categories c WHERE c.tenant = t.tenant) AS categories,
       (SELECT count(*) FROM psa.tickets k WHERE k.tenant = t.tenant) AS tickets
  FROM psa.tenants t ORDER BY t.tenant;
SELECT u.username, string_agg(r.role_name, ',') AS roles
  FROM psa.users u JOIN psa.user_roles ur USING (tenant, user_id) JOIN psa.roles r USING (tenant, role_id)
 GROUP BY u.tenant, u.user_id, u.username ORDER BY u.tenant, u.user_id;
SELECT s.name, s.status_type, s.is_closed, s.is_default FROM psa.statuses s
 WHERE s.tenant = '00000000-0000-0000-0000-00000000000a' ORDER BY s.status_type, s.order_number;
SELECT k.ticket_number, k.title, s.name AS status, p.priority_name, k.is_closed
  FROM psa.tickets k JOIN psa.statuses s USING (tenant, status_id) JOIN psa.priorities p USING (tenant, priority_id)
 WHERE k.tenant = '00000000-0000-0000-0000-00000000000a' ORDER BY k.ticket_number;
SELECT host, port, security, from_address, is_default FROM psa.email_provider_configs ORDER BY tenant;
SELECT provider, is_active FROM psa.rmm_integrations ORDER BY tenant, provider;

-- numbering
SELECT psa.next_number('TICKET');                       -- no tenant set
SET algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SELECT psa.next_number('PROJECT'), psa.next_number('project'), psa.next_number('Quote');
SELECT psa.next_number('bad entity');
SELECT psa.next_number('00000000-0000-0000-0000-00000000000b', 'PROJECT');
UPDATE psa.next_number SET prefix = 'INC-', padding_length = 3, initial_value = 5000
 WHERE tenant = '00000000-0000-0000-0000-00000000000a' AND entity_type = 'PROJECT';
SELECT psa.next_number('PROJECT');
UPDATE psa.next_number SET padding_length = 2
 WHERE tenant = '00000000-0000-0000-0000-00000000000a' AND entity_type = 'PROJECT';
SELECT psa.next_number('PROJECT');                      -- never truncated

-- the ticket trigger: numbers, closes and reopens
INSERT INTO psa.tickets (tenant, title, client_id, status_id)
VALUES ('00000000-0000-0000-0000-00000000000a', 'Trigger-numbered ticket',
        '0000000a-0003-0000-0000-000000000001', '0000000a-0006-0000-0000-000000000001')
RETURNING ticket_number, is_closed, closed_at;
INSERT INTO psa.tickets (tenant, title, client_id)
VALUES ('00000000-0000-0000-0000-00000000000b', 'Tenant B numbering', '0000000b-0003-0000-0000-000000000001')
RETURNING ticket_number;
INSERT INTO psa.tickets (tenant, ticket_number, title)
VALUES ('00000000-0000-0000-0000-00000000000a', 'EXT-42', 'Explicit number kept')
RETURNING ticket_number;
UPDATE psa.tickets SET status_id = '0000000a-0006-0000-0000-000000000004',
                       closed_by = '0000000a-0001-0000-0000-000000000003'
 WHERE tenant = '00000000-0000-0000-0000-00000000000a' AND ticket_number = 'TIC001006'
RETURNING is_closed, closed_at IS NOT NULL AS has_closed_at, closed_by IS NOT NULL AS has_closed_by,
          updated_at > entered_at AS touched;
UPDATE psa.tickets SET status_id = '0000000a-0006-0000-0000-000000000002'
 WHERE tenant = '00000000-0000-0000-0000-00000000000a' AND ticket_number = 'TIC001006'
RETURNING is_closed, closed_at, closed_by;
-- a ticket cannot take an interaction status
UPDATE psa.tickets SET status_id = '0000000a-0006-0000-0000-000000000012'
 WHERE tenant = '00000000-0000-0000-0000-00000000000a' AND ticket_number = 'TIC001006';
-- duplicate number in a tenant
INSERT INTO psa.tickets (tenant, ticket_number, title)
VALUES ('00000000-0000-0000-0000-00000000000a', 'TIC001001', 'Duplicate');
-- projects and quotes are numbered too
INSERT INTO psa.projects (tenant, project_name, client_id, status_id)
VALUES ('00000000-0000-0000-0000-00000000000a', 'Office move', '0000000a-0003-0000-0000-000000000001',
        '0000000a-0006-0000-0000-000000000021')
RETURNING project_number;
INSERT INTO psa.quotes (tenant, title, client_id)
VALUES ('00000000-0000-0000-0000-00000000000a', 'Firewall refresh', '0000000a-0003-0000-0000-000000000002')
RETURNING quote_number, status;

-- RBAC
SELECT u.username, psa.user_has_permission(u.user_id, 'ticket', 'read') AS ticket_read,
       psa.user_has_permission(u.user_id, 'ticket', 'update') AS ticket_update,
       psa.user_has_permission(u.user_id, 'ticket', 'delete') AS ticket_delete,
       psa.user_has_permission(u.user_id, 'workflow', 'approve') AS workflow_approve,
       psa.user_has_permission(u.user_id, 'user_schedule', 'update') AS schedule_update,
       psa.user_has_permission(u.user_id, 'email', 'create') AS email_create
  FROM psa.users u WHERE u.tenant = '00000000-0000-0000-0000-00000000000a' ORDER BY u.user_id;
SELECT psa.user_has_permission('0000000a-0001-0000-0000-000000000003', 'nosuch', 'read');
-- a user of tenant B is not found while tenant A is current
SELECT psa.user_has_permission('0000000b-0001-0000-0000-000000000001', 'ticket', 'read');
UPDATE psa.users SET is_inactive = true WHERE user_id = '0000000a-0001-0000-0000-000000000004'
RETURNING username, updated_at > created_at AS updated_at_touched;
SELECT psa.user_has_permission('0000000a-0001-0000-0000-000000000004', 'ticket', 'read') AS inactive_user;
UPDATE psa.users SET is_inactive = false WHERE user_id = '0000000a-0001-0000-0000-000000000004';
SELECT * FROM psa.user_permissions('0000000a-0001-0000-0000-000000000003') WHERE resource IN ('ticket', 'email');
RESET algawf.tenant;

-- CHECK constraints refuse bad values
\set VERBOSITY terse
INSERT INTO psa.statuses (tenant, name, status_type)
VALUES ('00000000-0000-0000-0000-00000000000a', 'Odd', 'invoice');
INSERT INTO psa.statuses (tenant, name, status_type, board_id)
VALUES ('00000000-0000-0000-0000-00000000000a', 'Odd', 'interaction', '0000000a-0005-0000-0000-000000000001');
INSERT INTO psa.statuses (tenant, name, status_type, is_default)
VALUES ('00000000-0000-0000-0000-00000000000a', 'Second default', 'ticket', true);
INSERT INTO psa.users (tenant, username, user_type)
VALUES ('00000000-0000-0000-0000-00000000000a', 'robot', 'bot');
INSERT INTO psa.schedule_entries (tenant, title, scheduled_start, scheduled_end, status)
VALUES ('00000000-0000-0000-0000-00000000000a', 'Visit', '2024-03-01 10:00+00', '2024-03-01 11:00+00', 'done');
INSERT INTO psa.schedule_entries (tenant, title, scheduled_start, scheduled_end)
VALUES ('00000000-0000-0000-0000-00000000000a', 'Backwards', '2024-03-01 10:00+00', '2024-03-01 09:00+00');
INSERT INTO psa.time_entries (tenant, user_id, start_time, end_time, billable_duration, approval_status)
VALUES ('00000000-0000-0000-0000-00000000000a', '0000000a-0001-0000-0000-000000000003',
        '2024-03-01 10:00+00', '2024-03-01 11:00+00', 60, 'PAID');
INSERT INTO psa.time_entries (tenant, user_id, start_time, end_time, billable_duration)
VALUES ('00000000-0000-0000-0000-00000000000a', '0000000a-0001-0000-0000-000000000003',
        '2024-03-01 10:00+00', '2024-03-01 11:00+00', 90);
INSERT INTO psa.quotes (tenant, title, client_id, status)
VALUES ('00000000-0000-0000-0000-00000000000a', 'Q', '0000000a-0003-0000-0000-000000000001', 'won');
INSERT INTO psa.email_provider_configs (tenant, provider_name, host, port, security, from_address)
VALUES ('00000000-0000-0000-0000-00000000000a', 'Bad', 'smtp.example', 587, 'ssl', 'x@acme-msp.example');
INSERT INTO psa.rmm_integrations (tenant, provider)
VALUES ('00000000-0000-0000-0000-00000000000a', 'kaseya');
INSERT INTO psa.interactions (tenant, type_id, user_id, title, client_id)
VALUES ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000000ff', '0000000a-0001-0000-0000-000000000003',
        'Unknown type', '0000000a-0003-0000-0000-000000000001');
INSERT INTO psa.next_number (tenant, entity_type) VALUES ('00000000-0000-0000-0000-00000000000a', 'lower');
\set VERBOSITY default

-- a valid interaction with a system type, duration derived from start/end
INSERT INTO psa.interactions (tenant, type_id, user_id, title, contact_name_id, start_time, end_time, status_id)
VALUES ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0001-000000000001',
        '0000000a-0001-0000-0000-000000000003', 'Follow-up call', '0000000a-0004-0000-0000-000000000001',
        '2024-03-02 10:00+00', '2024-03-02 10:25+00', '0000000a-0006-0000-0000-000000000012')
RETURNING title, duration;

-- foreign keys never cross tenants: a tenant B ticket for a tenant A client
INSERT INTO psa.tickets (tenant, title, client_id)
VALUES ('00000000-0000-0000-0000-00000000000b', 'Cross-tenant', '0000000a-0003-0000-0000-000000000001');
-- nor do self references: a tenant B subcategory under a tenant A category
INSERT INTO psa.categories (tenant, category_name, parent_category)
VALUES ('00000000-0000-0000-0000-00000000000b', 'Cross-tenant', '0000000a-0008-0000-0000-000000000001');
-- a category with subcategories cannot be deleted
INSERT INTO psa.categories (tenant, category_id, category_name) VALUES
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0008-0000-0000-0000000000f1', 'Parent');
INSERT INTO psa.categories (tenant, category_id, category_name, parent_category) VALUES
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0008-0000-0000-0000000000f2', 'Child', '0000000a-0008-0000-0000-0000000000f1');
DELETE FROM psa.categories WHERE category_id = '0000000a-0008-0000-0000-0000000000f1';
DELETE FROM psa.categories WHERE category_id IN ('0000000a-0008-0000-0000-0000000000f1', '0000000a-0008-0000-0000-0000000000f2');
-- deleting a recurring series deletes its occurrences
INSERT INTO psa.schedule_entries (tenant, entry_id, title, scheduled_start, scheduled_end, is_recurring, recurrence_pattern) VALUES
    ('00000000-0000-0000-0000-00000000000a', '0000000a-0010-0000-0000-000000000001', 'Weekly check',
     '2024-03-04 09:00+00', '2024-03-04 10:00+00', true, '{"frequency": "weekly", "interval": 1}');
INSERT INTO psa.schedule_entries (tenant, title, scheduled_start, scheduled_end, original_entry_id) VALUES
    ('00000000-0000-0000-0000-00000000000a', 'Weekly check (moved)', '2024-03-11 11:00+00', '2024-03-11 12:00+00',
     '0000000a-0010-0000-0000-000000000001');
DELETE FROM psa.schedule_entries WHERE entry_id = '0000000a-0010-0000-0000-000000000001';
SELECT count(*) AS schedule_entries_left FROM psa.schedule_entries;

-- row-level security smoke test (the full matrix lives in the pgTAP suite)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS algawf CASCADE;
RESET client_min_messages;
CREATE ROLE regress_psa_reader;
GRANT algawf_operator TO regress_psa_reader;
CREATE ROLE regress_psa_service;
GRANT algawf_service TO regress_psa_service;
SELECT algawf.add_tenant_member('00000000-0000-0000-0000-00000000000a', 'regress_psa_reader');

SET ROLE regress_psa_reader;
SELECT count(*) AS no_tenant_set FROM psa.tickets;
SET algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SELECT (SELECT count(*) FROM psa.tenants) AS tenants, (SELECT count(*) FROM psa.tickets) AS tickets,
       (SELECT count(*) FROM psa.contacts) AS contacts,
       (SELECT count(DISTINCT tenant) FROM psa.users) AS user_tenants;
SELECT psa.user_has_permission('0000000a-0001-0000-0000-000000000005', 'workflow', 'approve');
SELECT count(*) AS system_types FROM psa.system_interaction_types;
SET algawf.tenant = '00000000-0000-0000-0000-00000000000b';   -- not a member: nothing
SELECT (SELECT count(*) FROM psa.tenants) AS tenants, (SELECT count(*) FROM psa.tickets) AS tickets;
SET algawf.tenant = '00000000-0000-0000-0000-00000000000a';
INSERT INTO psa.tenants (tenant, client_name, email) VALUES (gen_random_uuid(), 'X', 'x@example.com');
UPDATE psa.tickets SET title = 'nope';
RESET ROLE;

SET ROLE regress_psa_service;
SET algawf.tenant = '00000000-0000-0000-0000-00000000000b';
SELECT count(*) AS tenant_b_tickets FROM psa.tickets;
INSERT INTO psa.tickets (tenant, title, client_id)
VALUES ('00000000-0000-0000-0000-00000000000b', 'Opened by the service', '0000000b-0003-0000-0000-000000000002')
RETURNING ticket_number;
SELECT psa.next_number('TICKET');
-- writing another tenant's rows is refused, reading them yields nothing
INSERT INTO psa.tickets (tenant, ticket_number, title)
VALUES ('00000000-0000-0000-0000-00000000000a', 'X-1', 'Into tenant A');
WITH u AS (UPDATE psa.tickets SET title = 'moved' WHERE tenant = '00000000-0000-0000-0000-00000000000a' RETURNING 1)
SELECT count(*) AS tenant_a_rows_updated FROM u;
UPDATE psa.tickets SET tenant = '00000000-0000-0000-0000-00000000000a'
 WHERE ticket_id = '0000000b-0009-0000-0000-000000000001';
SELECT psa.load_sample_data();
RESET ROLE;
RESET algawf.tenant;

SELECT algawf.remove_tenant_member('00000000-0000-0000-0000-00000000000a', 'regress_psa_reader');
DROP ROLE regress_psa_reader;
DROP ROLE regress_psa_service;

-- leave the database as found: later files create the extensions themselves
SET client_min_messages = warning;
DROP EXTENSION algawf CASCADE;
DROP EXTENSION algawf_psa CASCADE;
DROP EXTENSION IF EXISTS pgcrypto;
RESET client_min_messages;
