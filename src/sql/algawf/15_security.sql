-- Row-level security, grants and pg_dump registration for the engine's tables.
--
-- One mechanism for tenant isolation: algawf.enable_tenant_isolation(table)
-- enables and forces RLS and creates the single policy
--   tenant_isolation USING (tenant = (SELECT algawf.current_tenant()))
--                    WITH CHECK (same)
-- Every tenant table of the extension goes through it (later pieces call it for
-- their own tables).

CREATE FUNCTION algawf.enable_tenant_isolation(tbl regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s '
                   'USING (tenant = (SELECT algawf.current_tenant())) '
                   'WITH CHECK (tenant = (SELECT algawf.current_tenant()))', tbl);
END
$$;
COMMENT ON FUNCTION algawf.enable_tenant_isolation(regclass) IS
    'Enables and forces row-level security on a table with a "tenant" column and creates its tenant_isolation policy (the one mechanism used for every algawf table).';
REVOKE ALL ON FUNCTION algawf.enable_tenant_isolation(regclass) FROM PUBLIC;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'workflow_definitions', 'workflow_definition_versions', 'workflow_steps',
        'workflow_runs', 'workflow_run_steps', 'workflow_run_waits', 'workflow_run_logs',
        'workflow_runtime_events', 'approvals', 'schedules', 'workflow_variables',
        'event_catalog', 'payload_schemas', 'http_requests']
    LOOP
        PERFORM algawf.enable_tenant_isolation(format('algawf.%I', t)::regclass);
    END LOOP;
END
$$;

-- Users' workflows survive pg_dump/restore; run history does not need to.
SELECT pg_catalog.pg_extension_config_dump('algawf.workflow_definitions', '');
SELECT pg_catalog.pg_extension_config_dump('algawf.workflow_definition_versions', '');
SELECT pg_catalog.pg_extension_config_dump('algawf.workflow_steps', '');
SELECT pg_catalog.pg_extension_config_dump('algawf.schedules', '');
SELECT pg_catalog.pg_extension_config_dump('algawf.workflow_variables', '');
SELECT pg_catalog.pg_extension_config_dump('algawf.event_catalog', 'WHERE source = ''user''');
SELECT pg_catalog.pg_extension_config_dump('algawf.payload_schemas', 'WHERE source = ''user''');

-- Grants by role.  Run state is written only through the engine's functions
-- (SECURITY DEFINER, explicit tenant filters), so operators and approvers read
-- it but cannot forge it.
GRANT SELECT, INSERT, UPDATE, DELETE ON
    algawf.workflow_definitions, algawf.workflow_definition_versions, algawf.workflow_steps,
    algawf.workflow_variables, algawf.schedules, algawf.payload_schemas, algawf.event_catalog
    TO algawf_admin;
GRANT SELECT ON
    algawf.workflow_runs, algawf.workflow_run_steps, algawf.workflow_run_waits,
    algawf.workflow_run_logs, algawf.workflow_runtime_events, algawf.approvals
    TO algawf_admin;

GRANT SELECT ON
    algawf.workflow_definitions, algawf.workflow_definition_versions, algawf.workflow_steps,
    algawf.workflow_runs, algawf.workflow_run_steps, algawf.workflow_run_waits,
    algawf.workflow_run_logs, algawf.workflow_runtime_events, algawf.approvals,
    algawf.schedules, algawf.workflow_variables, algawf.event_catalog, algawf.payload_schemas
    TO algawf_operator;

GRANT SELECT ON algawf.approvals, algawf.workflow_runs, algawf.workflow_definitions TO algawf_approver;

GRANT SELECT, INSERT, UPDATE, DELETE ON
    algawf.workflow_definitions, algawf.workflow_definition_versions, algawf.workflow_steps,
    algawf.workflow_runs, algawf.workflow_run_steps, algawf.workflow_run_waits,
    algawf.workflow_run_logs, algawf.workflow_runtime_events, algawf.approvals,
    algawf.schedules, algawf.workflow_variables, algawf.event_catalog, algawf.payload_schemas,
    algawf.http_requests
    TO algawf_service;
