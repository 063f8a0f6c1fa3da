COMMENT ON SCHEMA psa IS 'Alga PSA-compatible business tables (tickets, clients, contacts, ...) that algawf actions act on';
GRANT USAGE ON SCHEMA psa TO PUBLIC;

-- Roles.  algawf_psa is created before algawf (which requires it), so the roles
-- both extensions grant to are created here; algawf's own 00_roles piece is then
-- a no-op.  They are cluster-wide and not members of the extension: dropping
-- it must not drop users' grants.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['algawf_admin', 'algawf_operator', 'algawf_approver', 'algawf_service'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$$;
