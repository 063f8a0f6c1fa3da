-- Roles.  They are cluster-wide, so they are created only when missing and are
-- not members of the extension: dropping algawf must not drop users' grants.
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

COMMENT ON SCHEMA algawf IS 'algawf: workflow definitions, runs, approvals and the action catalog';
GRANT USAGE ON SCHEMA algawf TO PUBLIC;
