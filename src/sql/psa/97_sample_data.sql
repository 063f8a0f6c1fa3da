-- Sample data for the demo, the tests and the documentation: two tenants with
-- users, roles, permissions, clients, contacts, boards, statuses, priorities,
-- categories and tickets.  Fixed ids (see doc/psa.md) so tests can name them:
--   <tenant letter>-prefixed ids: 0000000a-... for Acme MSP, 0000000b-... for Beacon IT,
--   second group = kind: 0001 users, 0002 roles, 0003 clients, 0004 contacts,
--   0005 boards, 0006 statuses, 0007 priorities, 0008 categories, 0009 tickets,
--   000a teams, 000b locations, 000c comments, 000d email providers,
--   000e services, 000f interaction types.
-- Loaded only on demand, never by CREATE EXTENSION.

CREATE FUNCTION psa.load_sample_data() RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ta constant uuid := '00000000-0000-0000-0000-00000000000a';
    tb constant uuid := '00000000-0000-0000-0000-00000000000b';
    t uuid;
    l text;             -- 'a' or 'b': the id prefix of the tenant
    result text;
BEGIN
    INSERT INTO psa.tenants (tenant, client_name, email, phone_number, industry, plan, settings) VALUES
        (ta, 'Acme MSP', 'office@acme-msp.example', '+1 555 0100', 'Managed IT services', 'pro', '{"timezone": "America/New_York"}'),
        (tb, 'Beacon IT', 'hello@beacon-it.example', '+44 20 7946 0000', 'Managed IT services', 'basic', '{"timezone": "Europe/London"}')
    ON CONFLICT DO NOTHING;

    -- users
    INSERT INTO psa.users (tenant, user_id, username, first_name, last_name, email, phone, timezone) VALUES
        (ta, '0000000a-0001-0000-0000-000000000001', 'alice.admin', 'Alice', 'Anders', 'alice@acme-msp.example', '+1 555 0111', 'America/New_York'),
        (ta, '0000000a-0001-0000-0000-000000000002', 'dan.dispatch', 'Dan', 'Diaz', 'dan@acme-msp.example', '+1 555 0112', 'America/New_York'),
        (ta, '0000000a-0001-0000-0000-000000000003', 'tom.tech', 'Tom', 'Tran', 'tom@acme-msp.example', '+1 555 0113', 'America/New_York'),
        (ta, '0000000a-0001-0000-0000-000000000004', 'tina.tech', 'Tina', 'Torres', 'tina@acme-msp.example', '+1 555 0114', 'America/Chicago'),
        (ta, '0000000a-0001-0000-0000-000000000005', 'mia.manager', 'Mia', 'Meyer', 'mia@acme-msp.example', '+1 555 0115', 'America/New_York'),
        (tb, '0000000b-0001-0000-0000-000000000001', 'bob.admin', 'Bob', 'Baker', 'bob@beacon-it.example', '+44 20 7946 0001', 'Europe/London'),
        (tb, '0000000b-0001-0000-0000-000000000003', 'bea.tech', 'Bea', 'Brown', 'bea@beacon-it.example', '+44 20 7946 0003', 'Europe/London'),
        (tb, '0000000b-0001-0000-0000-000000000005', 'max.manager', 'Max', 'Moore', 'max@beacon-it.example', '+44 20 7946 0005', 'Europe/London')
    ON CONFLICT DO NOTHING;

    FOREACH t IN ARRAY ARRAY[ta, tb] LOOP
        l := CASE t WHEN ta THEN 'a' ELSE 'b' END;

        -- roles
        INSERT INTO psa.roles (tenant, role_id, role_name, description)
        SELECT t, format('0000000%s-0002-0000-0000-00000000000%s', l, n)::uuid, name, descr
          FROM (VALUES (1, 'Admin', 'Full access, including deletes and workflow administration'),
                       (2, 'Dispatcher', 'Triage and scheduling'),
                       (3, 'Technician', 'Works tickets, logs time and activity'),
                       (4, 'Manager', 'Everything but deletes; approves time and workflow tasks')) v (n, name, descr)
        ON CONFLICT DO NOTHING;

        -- permissions: resource x action
        INSERT INTO psa.permissions (tenant, resource, action, description)
        SELECT t, r.resource, a.action, format('%s %s', initcap(a.action), replace(r.resource, '_', ' '))
          FROM unnest(ARRAY['ticket', 'client', 'contact', 'interaction', 'user_schedule', 'project',
                            'project_task', 'timeentry', 'billing', 'email', 'workflow', 'asset', 'user']) r (resource)
         CROSS JOIN unnest(ARRAY['read', 'create', 'update', 'delete', 'approve']) a (action)
         WHERE a.action <> 'approve' OR r.resource IN ('timeentry', 'workflow', 'billing')
        ON CONFLICT DO NOTHING;

        -- role -> permissions
        INSERT INTO psa.role_permissions (tenant, role_id, permission_id)
        SELECT t, r.role_id, p.permission_id
          FROM psa.roles r JOIN psa.permissions p ON p.tenant = r.tenant
         WHERE r.tenant = t
           AND CASE r.role_name
                 WHEN 'Admin' THEN true
                 WHEN 'Manager' THEN p.action <> 'delete'
                 WHEN 'Dispatcher' THEN p.action = 'read'
                      OR (p.action IN ('create', 'update')
                          AND p.resource IN ('ticket', 'contact', 'interaction', 'user_schedule'))
                 WHEN 'Technician' THEN
                      (p.action = 'read' AND p.resource NOT IN ('billing', 'workflow', 'user'))
                      OR (p.action IN ('create', 'update')
                          AND p.resource IN ('ticket', 'interaction', 'timeentry', 'project_task'))
                      OR (p.resource, p.action) = ('email', 'create')
                 ELSE false
               END
        ON CONFLICT DO NOTHING;

        -- boards, statuses, priorities, categories
        INSERT INTO psa.boards (tenant, board_id, board_name, description, display_order, is_default)
        SELECT t, format('0000000%s-0005-0000-0000-00000000000%s', l, n)::uuid, name, descr, n, n = 1
          FROM (VALUES (1, CASE l WHEN 'a' THEN 'Service Desk' ELSE 'Help Desk' END, 'Incoming requests and incidents'),
                       (2, 'Network Ops', 'Network monitoring and changes')) v (n, name, descr)
         WHERE l = 'a' OR n = 1
        ON CONFLICT DO NOTHING;

        INSERT INTO psa.statuses (tenant, status_id, name, status_type, order_number, is_closed, is_default, color)
        SELECT t, format('0000000%s-0006-0000-0000-0000000000%s', l, n)::uuid, name, typ, ord, closed, dflt, color
          FROM (VALUES ('01', 'New', 'ticket', 1, false, true, '#3B82F6'),
                       ('02', 'In Progress', 'ticket', 2, false, false, '#F59E0B'),
                       ('03', 'Waiting on Customer', 'ticket', 3, false, false, '#8B5CF6'),
                       ('04', 'Closed', 'ticket', 4, true, false, '#6B7280'),
                       ('11', 'Planned', 'interaction', 1, false, true, NULL),
                       ('12', 'Completed', 'interaction', 2, true, false, NULL),
                       ('21', 'Active', 'project', 1, false, true, NULL),
                       ('22', 'Completed', 'project', 2, true, false, NULL),
                       ('31', 'To Do', 'project_task', 1, false, true, NULL),
                       ('32', 'In Progress', 'project_task', 2, false, false, NULL),
                       ('33', 'Done', 'project_task', 3, true, false, NULL)) v (n, name, typ, ord, closed, dflt, color)
        ON CONFLICT DO NOTHING;

        INSERT INTO psa.priorities (tenant, priority_id, priority_name, order_number, color, is_default)
        SELECT t, format('0000000%s-0007-0000-0000-00000000000%s', l, n)::uuid, name, n, color, n = 2
          FROM (VALUES (1, 'Low', '#10B981'), (2, 'Medium', '#3B82F6'),
                       (3, 'High', '#F59E0B'), (4, 'Critical', '#EF4444')) v (n, name, color)
        ON CONFLICT DO NOTHING;

        INSERT INTO psa.categories (tenant, category_id, category_name, parent_category, board_id, display_order)
        SELECT t, format('0000000%s-0008-0000-0000-00000000000%s', l, n)::uuid, name,
               CASE WHEN parent IS NOT NULL THEN format('0000000%s-0008-0000-0000-00000000000%s', l, parent)::uuid END,
               format('0000000%s-0005-0000-0000-000000000001', l)::uuid, n
          FROM (VALUES (1, 'Hardware', NULL), (2, 'Software', NULL), (3, 'Network', NULL),
                       (4, 'Printers', 1), (5, 'E-mail', 2)) v (n, name, parent)
        ON CONFLICT DO NOTHING;

        -- a service and the outbound mail setup (the tests' SMTP sink on 127.0.0.1:2525)
        INSERT INTO psa.service_catalog (tenant, service_id, service_name, description, billing_method, default_rate)
        VALUES (t, format('0000000%s-000e-0000-0000-000000000001', l)::uuid, 'Remote Support',
                'Hourly remote support', 'hourly', 12500)
        ON CONFLICT DO NOTHING;

        INSERT INTO psa.email_provider_configs (tenant, provider_id, provider_name, host, port, security,
                                                from_address, from_name, is_default)
        VALUES (t, format('0000000%s-000d-0000-0000-000000000001', l)::uuid, 'Local SMTP sink', '127.0.0.1', 2525, 'none',
                CASE l WHEN 'a' THEN 'support@acme-msp.example' ELSE 'support@beacon-it.example' END,
                CASE l WHEN 'a' THEN 'Acme MSP Support' ELSE 'Beacon IT Support' END, true)
        ON CONFLICT DO NOTHING;
        INSERT INTO psa.tenant_email_domains (tenant, domain, verified, verified_at)
        VALUES (t, CASE l WHEN 'a' THEN 'acme-msp.example' ELSE 'beacon-it.example' END, true, '2024-01-01 00:00:00+00')
        ON CONFLICT DO NOTHING;

        -- integrations: present but not connected
        INSERT INTO psa.teams_integrations (tenant) VALUES (t) ON CONFLICT DO NOTHING;
    END LOOP;

    -- user roles
    INSERT INTO psa.user_roles (tenant, user_id, role_id) VALUES
        (ta, '0000000a-0001-0000-0000-000000000001', '0000000a-0002-0000-0000-000000000001'),
        (ta, '0000000a-0001-0000-0000-000000000002', '0000000a-0002-0000-0000-000000000002'),
        (ta, '0000000a-0001-0000-0000-000000000003', '0000000a-0002-0000-0000-000000000003'),
        (ta, '0000000a-0001-0000-0000-000000000004', '0000000a-0002-0000-0000-000000000003'),
        (ta, '0000000a-0001-0000-0000-000000000005', '0000000a-0002-0000-0000-000000000004'),
        (tb, '0000000b-0001-0000-0000-000000000001', '0000000b-0002-0000-0000-000000000001'),
        (tb, '0000000b-0001-0000-0000-000000000003', '0000000b-0002-0000-0000-000000000003'),
        (tb, '0000000b-0001-0000-0000-000000000005', '0000000b-0002-0000-0000-000000000004')
    ON CONFLICT DO NOTHING;

    INSERT INTO psa.teams (tenant, team_id, team_name, manager_id) VALUES
        (ta, '0000000a-000a-0000-0000-000000000001', 'Tier 1', '0000000a-0001-0000-0000-000000000005')
    ON CONFLICT DO NOTHING;
    INSERT INTO psa.team_members (tenant, team_id, user_id) VALUES
        (ta, '0000000a-000a-0000-0000-000000000001', '0000000a-0001-0000-0000-000000000003'),
        (ta, '0000000a-000a-0000-0000-000000000001', '0000000a-0001-0000-0000-000000000004')
    ON CONFLICT DO NOTHING;

    -- clients, locations, contacts
    INSERT INTO psa.clients (tenant, client_id, client_name, client_type, url, billing_email, account_manager_id, properties) VALUES
        (ta, '0000000a-0003-0000-0000-000000000001', 'Globex Corporation', 'company', 'https://globex.example', 'ap@globex.example', '0000000a-0001-0000-0000-000000000005', '{"industry": "Manufacturing", "size": 250}'),
        (ta, '0000000a-0003-0000-0000-000000000002', 'Initech', 'company', 'https://initech.example', 'billing@initech.example', '0000000a-0001-0000-0000-000000000005', '{"industry": "Software", "size": 80}'),
        (ta, '0000000a-0003-0000-0000-000000000003', 'Umbrella Clinic', 'company', 'https://umbrella-clinic.example', NULL, NULL, '{"industry": "Healthcare", "size": 30}'),
        (tb, '0000000b-0003-0000-0000-000000000001', 'Wayne Logistics', 'company', 'https://wayne-logistics.example', NULL, '0000000b-0001-0000-0000-000000000005', '{"industry": "Logistics"}'),
        (tb, '0000000b-0003-0000-0000-000000000002', 'Stark Dental', 'company', NULL, NULL, NULL, '{"industry": "Healthcare"}')
    ON CONFLICT DO NOTHING;

    INSERT INTO psa.client_locations (tenant, location_id, client_id, location_name, address_line1, city, state_province, postal_code, country_code, country_name, phone, is_default, is_billing_address) VALUES
        (ta, '0000000a-000b-0000-0000-000000000001', '0000000a-0003-0000-0000-000000000001', 'Head office', '1 Globex Way', 'Springfield', 'OR', '97477', 'US', 'United States', '+1 555 0200', true, true),
        (ta, '0000000a-000b-0000-0000-000000000002', '0000000a-0003-0000-0000-000000000002', 'Main office', '4120 Freidrich Lane', 'Austin', 'TX', '78744', 'US', 'United States', '+1 555 0300', true, true),
        (tb, '0000000b-000b-0000-0000-000000000001', '0000000b-0003-0000-0000-000000000001', 'Depot', '7 Dock Road', 'London', NULL, 'E16 1AA', 'GB', 'United Kingdom', '+44 20 7946 0100', true, true)
    ON CONFLICT DO NOTHING;

    INSERT INTO psa.contacts (tenant, contact_name_id, full_name, client_id, phone_number, email, role) VALUES
        (ta, '0000000a-0004-0000-0000-000000000001', 'John Smith', '0000000a-0003-0000-0000-000000000001', '+1 555 0201', 'john.smith@globex.example', 'IT Manager'),
        (ta, '0000000a-0004-0000-0000-000000000002', 'Jane Doe', '0000000a-0003-0000-0000-000000000001', '+1 555 0202', 'jane.doe@globex.example', 'Office Manager'),
        (ta, '0000000a-0004-0000-0000-000000000003', 'Peter Gibbons', '0000000a-0003-0000-0000-000000000002', '+1 555 0301', 'peter.gibbons@initech.example', 'Software Engineer'),
        (ta, '0000000a-0004-0000-0000-000000000004', 'Bill Lumbergh', '0000000a-0003-0000-0000-000000000002', '+1 555 0302', 'bill.lumbergh@initech.example', 'Division VP'),
        (ta, '0000000a-0004-0000-0000-000000000005', 'Grace Lee', '0000000a-0003-0000-0000-000000000003', '+1 555 0401', 'grace.lee@umbrella-clinic.example', 'Practice Manager'),
        (tb, '0000000b-0004-0000-0000-000000000001', 'Lucius Fox', '0000000b-0003-0000-0000-000000000001', '+44 20 7946 0101', 'lucius.fox@wayne-logistics.example', 'CTO'),
        (tb, '0000000b-0004-0000-0000-000000000002', 'Pepper Potts', '0000000b-0003-0000-0000-000000000002', '+44 20 7946 0201', 'pepper@stark-dental.example', 'Owner')
    ON CONFLICT DO NOTHING;

    -- tickets, with explicit numbers (a trigger numbering them would burn numbers on re-runs)
    INSERT INTO psa.tickets (tenant, ticket_id, ticket_number, title, client_id, contact_name_id, board_id, status_id,
                             priority_id, category_id, subcategory_id, entered_by, assigned_to, entered_at, attributes) VALUES
        (ta, '0000000a-0009-0000-0000-000000000001', 'TIC001001', 'Printer on 2nd floor jams',
         '0000000a-0003-0000-0000-000000000001', '0000000a-0004-0000-0000-000000000002', '0000000a-0005-0000-0000-000000000001',
         '0000000a-0006-0000-0000-000000000001', '0000000a-0007-0000-0000-000000000002', '0000000a-0008-0000-0000-000000000001',
         '0000000a-0008-0000-0000-000000000004', '0000000a-0001-0000-0000-000000000002', NULL, '2024-03-01 09:00:00+00',
         '{"description": "The HP printer on the 2nd floor jams on every duplex job."}'),
        (ta, '0000000a-0009-0000-0000-000000000002', 'TIC001002', 'VPN drops every few minutes',
         '0000000a-0003-0000-0000-000000000001', '0000000a-0004-0000-0000-000000000001', '0000000a-0005-0000-0000-000000000002',
         '0000000a-0006-0000-0000-000000000002', '0000000a-0007-0000-0000-000000000003', '0000000a-0008-0000-0000-000000000003',
         NULL, '0000000a-0001-0000-0000-000000000002', '0000000a-0001-0000-0000-000000000003', '2024-03-02 10:30:00+00',
         '{"description": "Remote staff lose the VPN tunnel several times an hour."}'),
        (ta, '0000000a-0009-0000-0000-000000000003', 'TIC001003', 'New hire laptop setup',
         '0000000a-0003-0000-0000-000000000002', '0000000a-0004-0000-0000-000000000004', '0000000a-0005-0000-0000-000000000001',
         '0000000a-0006-0000-0000-000000000003', '0000000a-0007-0000-0000-000000000001', '0000000a-0008-0000-0000-000000000001',
         NULL, '0000000a-0001-0000-0000-000000000002', '0000000a-0001-0000-0000-000000000004', '2024-03-03 14:00:00+00',
         '{"description": "Set up a laptop for the new hire starting Monday."}'),
        (ta, '0000000a-0009-0000-0000-000000000004', 'TIC001004', 'Outlook cannot open shared mailbox',
         '0000000a-0003-0000-0000-000000000002', '0000000a-0004-0000-0000-000000000003', '0000000a-0005-0000-0000-000000000001',
         '0000000a-0006-0000-0000-000000000004', '0000000a-0007-0000-0000-000000000002', '0000000a-0008-0000-0000-000000000002',
         '0000000a-0008-0000-0000-000000000005', '0000000a-0001-0000-0000-000000000002', '0000000a-0001-0000-0000-000000000003', '2024-02-20 08:15:00+00',
         '{"description": "Shared mailbox support@ fails to load in Outlook."}'),
        (ta, '0000000a-0009-0000-0000-000000000005', 'TIC001005', 'Server room temperature alarm',
         '0000000a-0003-0000-0000-000000000003', '0000000a-0004-0000-0000-000000000005', '0000000a-0005-0000-0000-000000000001',
         '0000000a-0006-0000-0000-000000000001', '0000000a-0007-0000-0000-000000000004', '0000000a-0008-0000-0000-000000000001',
         NULL, '0000000a-0001-0000-0000-000000000001', NULL, '2024-03-04 07:45:00+00',
         '{"description": "Temperature sensor reports 31 C in the server room."}'),
        (tb, '0000000b-0009-0000-0000-000000000001', 'TIC001001', 'Warehouse scanners offline',
         '0000000b-0003-0000-0000-000000000001', '0000000b-0004-0000-0000-000000000001', '0000000b-0005-0000-0000-000000000001',
         '0000000b-0006-0000-0000-000000000001', '0000000b-0007-0000-0000-000000000003', '0000000b-0008-0000-0000-000000000003',
         NULL, '0000000b-0001-0000-0000-000000000001', '0000000b-0001-0000-0000-000000000003', '2024-03-05 06:00:00+00',
         '{"description": "Handheld scanners in the depot cannot reach the WMS."}'),
        (tb, '0000000b-0009-0000-0000-000000000002', 'TIC001002', 'Reception PC slow',
         '0000000b-0003-0000-0000-000000000002', '0000000b-0004-0000-0000-000000000002', '0000000b-0005-0000-0000-000000000001',
         '0000000b-0006-0000-0000-000000000002', '0000000b-0007-0000-0000-000000000001', '0000000b-0008-0000-0000-000000000001',
         NULL, '0000000b-0001-0000-0000-000000000001', '0000000b-0001-0000-0000-000000000003', '2024-03-05 09:20:00+00',
         '{"description": "The reception PC takes ten minutes to boot."}')
    ON CONFLICT DO NOTHING;

    UPDATE psa.tickets
       SET closed_at = '2024-02-21 16:00:00+00', closed_by = '0000000a-0001-0000-0000-000000000003'
     WHERE tenant = ta AND ticket_id = '0000000a-0009-0000-0000-000000000004' AND closed_by IS NULL;

    -- continue numbering after the sample tickets
    INSERT INTO psa.next_number AS n (tenant, entity_type, prefix, last_number)
    SELECT tk.tenant, 'TICKET', 'TIC', max(substr(tk.ticket_number, 4)::bigint)
      FROM psa.tickets tk
     WHERE tk.tenant IN (ta, tb) AND tk.ticket_number ~ '^TIC[0-9]+$'
     GROUP BY tk.tenant
    ON CONFLICT (tenant, entity_type) DO UPDATE SET last_number = greatest(n.last_number, excluded.last_number);

    INSERT INTO psa.comments (tenant, comment_id, ticket_id, user_id, contact_id, author_type, note, is_internal, is_resolution, created_at) VALUES
        (ta, '0000000a-000c-0000-0000-000000000001', '0000000a-0009-0000-0000-000000000002', '0000000a-0001-0000-0000-000000000003', NULL, 'internal',
         'Firewall logs show IKE rekey failures; checking the lifetime settings.', true, false, '2024-03-02 11:00:00+00'),
        (ta, '0000000a-000c-0000-0000-000000000002', '0000000a-0009-0000-0000-000000000004', '0000000a-0001-0000-0000-000000000003', NULL, 'internal',
         'Re-granted FullAccess on the shared mailbox and rebuilt the Outlook profile.', false, true, '2024-02-21 16:00:00+00'),
        (ta, '0000000a-000c-0000-0000-000000000003', '0000000a-0009-0000-0000-000000000003', NULL, '0000000a-0004-0000-0000-000000000004', 'client',
         'The new hire now starts on Wednesday instead.', false, false, '2024-03-04 09:00:00+00')
    ON CONFLICT DO NOTHING;

    INSERT INTO psa.interaction_types (tenant, type_id, type_name, icon, display_order) VALUES
        (ta, '0000000a-000f-0000-0000-000000000001', 'Site Visit', 'map-pin', 10)
    ON CONFLICT DO NOTHING;

    INSERT INTO psa.rmm_integrations (tenant, provider, instance_url) VALUES
        (ta, 'ninjaone', 'https://app.ninjarmm.com'),
        (ta, 'tacticalrmm', NULL),
        (ta, 'levelio', 'https://api.level.io'),
        (ta, 'huntress', 'https://api.huntress.io'),
        (tb, 'huntress', 'https://api.huntress.io')
    ON CONFLICT DO NOTHING;

    SELECT format('psa sample data: %s tenants, %s users, %s clients, %s contacts, %s tickets',
                  (SELECT count(*) FROM psa.tenants WHERE tenant IN (ta, tb)),
                  (SELECT count(*) FROM psa.users WHERE tenant IN (ta, tb)),
                  (SELECT count(*) FROM psa.clients WHERE tenant IN (ta, tb)),
                  (SELECT count(*) FROM psa.contacts WHERE tenant IN (ta, tb)),
                  (SELECT count(*) FROM psa.tickets WHERE tenant IN (ta, tb)))
      INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION psa.load_sample_data() IS
    'Loads the sample data set (tenants Acme MSP 00000000-0000-0000-0000-00000000000a and Beacon IT ...0b, with users, roles, permissions, clients, contacts, boards, statuses, priorities, categories, tickets). Idempotent. Owner only by default.';
REVOKE ALL ON FUNCTION psa.load_sample_data() FROM PUBLIC;
