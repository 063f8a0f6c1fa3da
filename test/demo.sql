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
