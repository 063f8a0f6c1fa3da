-- The action registry, per-tenant action families, integration availability
-- overrides, invocations and the audit log.  The dispatcher (src/dispatch.c)
-- reads and writes these tables; users read them through algawf.catalog and
-- the invocation/audit tables' row-level security.

-- ---------------------------------------------------------------------------
-- algawf.actions: the registry.
--
-- The one table without a tenant column: an action is code (a SQL function, a
-- declarative HTTP request, a built-in C function) shipped with the extension
-- or registered by a DBA, and the same code serves every tenant, so its
-- definition is global.  What varies per tenant -- whether the family is
-- switched on, whether the integration it needs is connected -- lives in
-- algawf.action_families and algawf.integrations, which are tenant-keyed.
-- Everyone may read the registry; it is written only by
-- algawf.register_action(), which checks every definition.
CREATE TABLE algawf.actions (
    action_id       text NOT NULL,
    version         integer NOT NULL,
    family          text NOT NULL GENERATED ALWAYS AS (split_part(action_id, '.', 1)) STORED,
    label           text NOT NULL,
    description     text NOT NULL DEFAULT '',
    category        text NOT NULL,
    input_schema    jsonb NOT NULL,
    output_schema   jsonb NOT NULL,
    permissions     text[] NOT NULL DEFAULT '{}',
    side_effectful  boolean NOT NULL,
    idempotency     text NOT NULL DEFAULT 'engineProvided',
    idempotency_key text,
    retry_hint      jsonb,
    redact          text[] NOT NULL DEFAULT '{}',
    availability    jsonb,
    integration     text GENERATED ALWAYS AS (availability ->> 'integration') STORED,
    examples        jsonb NOT NULL DEFAULT '[]',
    timeout_ms      integer NOT NULL DEFAULT 30000,
    implementation  text NOT NULL,
    impl            jsonb NOT NULL,
    sql_function    regprocedure,
    builtin_name    text,
    definition      jsonb NOT NULL,
    shipped         boolean NOT NULL DEFAULT false,
    registered_at   timestamptz,
    registered_by   name,
    PRIMARY KEY (action_id, version),
    CONSTRAINT actions_id_format CHECK (action_id ~ '^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$' AND length(action_id) <= 200),
    CONSTRAINT actions_version_positive CHECK (version >= 1),
    CONSTRAINT actions_label_nonempty CHECK (label <> ''),
    CONSTRAINT actions_category_nonempty CHECK (category <> ''),
    CONSTRAINT actions_schemas_are_objects CHECK (jsonb_typeof(input_schema) = 'object' AND jsonb_typeof(output_schema) = 'object'),
    CONSTRAINT actions_permission_format CHECK (array_position(permissions, NULL) IS NULL),
    CONSTRAINT actions_idempotency_mode CHECK (
        (idempotency = 'engineProvided' AND idempotency_key IS NULL)
        OR (idempotency = 'actionProvided' AND idempotency_key IS NOT NULL)),
    CONSTRAINT actions_examples_array CHECK (jsonb_typeof(examples) = 'array'),
    CONSTRAINT actions_timeout_range CHECK (timeout_ms BETWEEN 1 AND 3600000),
    CONSTRAINT actions_implementation_kind CHECK (implementation IN ('sql', 'http', 'smtp', 'builtin')),
    CONSTRAINT actions_sql_has_function CHECK ((implementation = 'sql') = (sql_function IS NOT NULL)),
    CONSTRAINT actions_builtin_has_name CHECK ((implementation = 'builtin') = (builtin_name IS NOT NULL)),
    CONSTRAINT actions_registration_known CHECK (shipped OR (registered_at IS NOT NULL AND registered_by IS NOT NULL))
);
CREATE INDEX actions_family_idx ON algawf.actions (family);
CREATE INDEX actions_sql_function_idx ON algawf.actions (sql_function) WHERE sql_function IS NOT NULL;

COMMENT ON TABLE algawf.actions IS
    'The action registry: one row per action id and version. Global (no tenant column): the same code serves every tenant; per-tenant enablement is in algawf.action_families and algawf.integrations. Readable by everyone, written only by algawf.register_action().';
COMMENT ON COLUMN algawf.actions.action_id IS 'Dotted id, e.g. tickets.create; the part before the first dot is the family.';
COMMENT ON COLUMN algawf.actions.version IS 'Registered versions are immutable: published workflows pin them.';
COMMENT ON COLUMN algawf.actions.family IS 'The part of action_id before the first dot; switched per tenant with algawf.set_family_enabled().';
COMMENT ON COLUMN algawf.actions.input_schema IS 'JSON Schema (algawf subset) the input is validated against before the action runs.';
COMMENT ON COLUMN algawf.actions.output_schema IS 'JSON Schema the output is validated against; a mismatch fails the call and rolls back its writes.';
COMMENT ON COLUMN algawf.actions.permissions IS 'PSA permissions the actor needs, each "resource:action" (e.g. ticket:create), checked with psa.user_has_permission().';
COMMENT ON COLUMN algawf.actions.side_effectful IS 'True when the action changes something: it then writes an audit row and claims its idempotency key before running.';
COMMENT ON COLUMN algawf.actions.idempotency IS 'engineProvided (key from tenant, run, step, action and input hash) or actionProvided (key from idempotency_key).';
COMMENT ON COLUMN algawf.actions.idempotency_key IS 'actionProvided only: expression over the input whose value is the idempotency key.';
COMMENT ON COLUMN algawf.actions.retry_hint IS 'Advice for step retry policies (free-form object, e.g. {"retryable": true, "maxAttempts": 3}).';
COMMENT ON COLUMN algawf.actions.redact IS 'Dotted paths (with [*] for array items) replaced by "[REDACTED]" in stored inputs and outputs.';
COMMENT ON COLUMN algawf.actions.availability IS 'e.g. {"integration": "ninjaone"}: the action is available only to tenants with that integration active.';
COMMENT ON COLUMN algawf.actions.integration IS 'availability->>''integration'', for indexing and the catalog.';
COMMENT ON COLUMN algawf.actions.examples IS 'Array of {title?, input, output?} examples shown in the catalog.';
COMMENT ON COLUMN algawf.actions.timeout_ms IS 'Default timeout of one call, when the step does not give one.';
COMMENT ON COLUMN algawf.actions.implementation IS 'sql | http | smtp | builtin.';
COMMENT ON COLUMN algawf.actions.impl IS 'The implementation object as registered.';
COMMENT ON COLUMN algawf.actions.sql_function IS 'implementation = sql: the function (ctx jsonb, input jsonb) RETURNS jsonb.';
COMMENT ON COLUMN algawf.actions.builtin_name IS 'implementation = builtin: the C function''s name in the dispatcher''s table.';
COMMENT ON COLUMN algawf.actions.definition IS 'The definition passed to algawf.register_action(), verbatim.';
COMMENT ON COLUMN algawf.actions.shipped IS 'Registered by the extension''s own script (not dumped by pg_dump; CREATE EXTENSION recreates it).';
COMMENT ON COLUMN algawf.actions.registered_at IS 'When a user registered it; NULL for the extension''s own actions (they are as old as the installed version).';
COMMENT ON COLUMN algawf.actions.registered_by IS 'The role that registered it; NULL for the extension''s own actions.';

-- users' registrations survive pg_dump/restore; the shipped catalog is recreated by CREATE EXTENSION
SELECT pg_catalog.pg_extension_config_dump('algawf.actions', 'WHERE NOT shipped');

ALTER TABLE algawf.actions ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.actions FORCE ROW LEVEL SECURITY;
CREATE POLICY registry_read ON algawf.actions FOR SELECT USING (true);
GRANT SELECT ON algawf.actions TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Per-tenant switches for whole families of actions (default: on).
CREATE TABLE algawf.action_families (
    tenant      uuid NOT NULL,
    family      text NOT NULL,
    enabled     boolean NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  name NOT NULL DEFAULT current_user,
    PRIMARY KEY (tenant, family),
    CONSTRAINT action_families_family_format CHECK (family ~ '^[a-z][a-z0-9_]*$')
);
COMMENT ON TABLE algawf.action_families IS
    'Per-tenant enablement of action families (tickets, contacts, transform, ninjaone, ...). A family without a row is enabled.';
COMMENT ON COLUMN algawf.action_families.family IS 'The part of an action id before the first dot.';
COMMENT ON COLUMN algawf.action_families.enabled IS 'false: every action of the family fails with INTEGRATION_INACTIVE for this tenant and is unavailable in algawf.catalog.';
SELECT pg_catalog.pg_extension_config_dump('algawf.action_families', '');

ALTER TABLE algawf.action_families ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.action_families FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON algawf.action_families
    USING (tenant = (SELECT algawf.current_tenant()))
    WITH CHECK (tenant = (SELECT algawf.current_tenant()));
GRANT SELECT ON algawf.action_families TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON algawf.action_families TO algawf_admin;

-- ---------------------------------------------------------------------------
-- Integration availability overrides.  Normally an integration is available
-- when the PSA has an active connection for the tenant (psa.rmm_integrations,
-- psa.teams_integrations); a row here overrides that, in either direction.
CREATE TABLE algawf.integrations (
    tenant      uuid NOT NULL,
    integration text NOT NULL,
    active      boolean NOT NULL,
    note        text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  name NOT NULL DEFAULT current_user,
    PRIMARY KEY (tenant, integration),
    CONSTRAINT integrations_name_format CHECK (integration ~ '^[a-z][a-z0-9_]*$')
);
COMMENT ON TABLE algawf.integrations IS
    'Per-tenant overrides of integration availability: active = false switches an integration off even when connected; active = true marks one available that is configured outside the PSA tables.';
COMMENT ON COLUMN algawf.integrations.integration IS 'Integration name as actions declare it in availability.integration (ninjaone, tacticalrmm, level, huntress, teams, ...).';
SELECT pg_catalog.pg_extension_config_dump('algawf.integrations', '');

ALTER TABLE algawf.integrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.integrations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON algawf.integrations
    USING (tenant = (SELECT algawf.current_tenant()))
    WITH CHECK (tenant = (SELECT algawf.current_tenant()));
GRANT SELECT ON algawf.integrations TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON algawf.integrations TO algawf_admin;

-- ---------------------------------------------------------------------------
-- One row per action call that got as far as the dispatcher.
CREATE TABLE algawf.workflow_action_invocations (
    tenant           uuid NOT NULL,
    invocation_id    uuid NOT NULL DEFAULT gen_random_uuid(),
    run_id           uuid,
    workflow_id      text,
    workflow_version integer,
    step_path        text,
    action_id        text NOT NULL,
    action_version   integer NOT NULL,
    idempotency_key  text,
    status           text NOT NULL,
    attempt          integer NOT NULL DEFAULT 1,
    actor            uuid,
    input            jsonb,
    output           jsonb,
    error            jsonb,
    error_code       text,
    correlation_id   text,
    started_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at      timestamptz,
    duration_ms      double precision,
    PRIMARY KEY (tenant, invocation_id),
    CONSTRAINT invocations_status CHECK (status IN ('RUNNING', 'DEFERRED', 'SUCCEEDED', 'FAILED')),
    CONSTRAINT invocations_attempt_positive CHECK (attempt >= 1),
    CONSTRAINT invocations_finished CHECK ((status IN ('SUCCEEDED', 'FAILED')) = (finished_at IS NOT NULL)),
    CONSTRAINT invocations_error_code CHECK (
        (status = 'FAILED') = (error_code IS NOT NULL)
        AND (error_code IS NULL OR error_code IN ('VALIDATION_ERROR', 'PERMISSION_DENIED', 'NOT_FOUND', 'CONFLICT',
                                                  'RATE_LIMITED', 'TRANSIENT_FAILURE', 'INTEGRATION_INACTIVE',
                                                  'INTERNAL_ERROR'))),
    CONSTRAINT invocations_key_length CHECK (length(idempotency_key) <= 1000)
);
-- The idempotency key is unique per tenant and action among invocations that
-- did not fail: a retry after a FAILED attempt reuses the key.
CREATE UNIQUE INDEX workflow_action_invocations_key_idx
    ON algawf.workflow_action_invocations (tenant, action_id, idempotency_key)
    WHERE status <> 'FAILED' AND idempotency_key IS NOT NULL;
CREATE INDEX workflow_action_invocations_run_idx
    ON algawf.workflow_action_invocations (tenant, run_id, step_path) WHERE run_id IS NOT NULL;
CREATE INDEX workflow_action_invocations_action_idx
    ON algawf.workflow_action_invocations (tenant, action_id, started_at);
CREATE INDEX workflow_action_invocations_started_idx
    ON algawf.workflow_action_invocations (started_at);

COMMENT ON TABLE algawf.workflow_action_invocations IS
    'Every action call: action, idempotency key, status, attempt, redacted input and output, error (category, code, message, hint), timings.';
COMMENT ON COLUMN algawf.workflow_action_invocations.run_id IS 'The workflow run, or NULL for algawf.call_action().';
COMMENT ON COLUMN algawf.workflow_action_invocations.idempotency_key IS 'Unique per tenant and action among invocations that have not FAILED.';
COMMENT ON COLUMN algawf.workflow_action_invocations.status IS 'RUNNING (executing; holds the key) | DEFERRED (external request queued) | SUCCEEDED | FAILED.';
COMMENT ON COLUMN algawf.workflow_action_invocations.input IS 'The input with secrets and declared/sensitive paths replaced by "[REDACTED]".';
COMMENT ON COLUMN algawf.workflow_action_invocations.output IS 'The output, redacted the same way; an idempotent replay returns this stored value.';
COMMENT ON COLUMN algawf.workflow_action_invocations.error IS '{category, code, message, detail, hint, retryable} when FAILED (redacted).';
COMMENT ON COLUMN algawf.workflow_action_invocations.error_code IS 'error->>''code'', for statistics.';
COMMENT ON COLUMN algawf.workflow_action_invocations.correlation_id IS 'External request id (HTTP outbox), when any.';

ALTER TABLE algawf.workflow_action_invocations ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.workflow_action_invocations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON algawf.workflow_action_invocations
    USING (tenant = (SELECT algawf.current_tenant()))
    WITH CHECK (tenant = (SELECT algawf.current_tenant()));
GRANT SELECT ON algawf.workflow_action_invocations TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Audit log: one row per execution (or refusal) of a side-effectful action.
CREATE TABLE algawf.audit_log (
    tenant           uuid NOT NULL,
    audit_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    at               timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor            uuid,
    db_role          name NOT NULL DEFAULT session_user,
    action_id        text NOT NULL,
    action_version   integer NOT NULL,
    outcome          text NOT NULL,
    error_code       text,
    target_ids       jsonb NOT NULL DEFAULT '{}',
    run_id           uuid,
    workflow_id      text,
    workflow_version integer,
    step_path        text,
    invocation_id    uuid,
    PRIMARY KEY (tenant, audit_id),
    CONSTRAINT audit_log_outcome CHECK (outcome IN ('SUCCEEDED', 'FAILED', 'DEFERRED')),
    CONSTRAINT audit_log_error CHECK ((outcome = 'FAILED') = (error_code IS NOT NULL)),
    CONSTRAINT audit_log_targets_object CHECK (jsonb_typeof(target_ids) = 'object')
);
CREATE INDEX audit_log_at_idx ON algawf.audit_log (tenant, at);
CREATE INDEX audit_log_run_idx ON algawf.audit_log (tenant, run_id) WHERE run_id IS NOT NULL;
CREATE INDEX audit_log_targets_idx ON algawf.audit_log USING gin (target_ids jsonb_path_ops);

COMMENT ON TABLE algawf.audit_log IS
    'Append-only record of side-effectful action calls: who (actor, database role), what (action, target ids from the output), where (run, step), outcome.';
COMMENT ON COLUMN algawf.audit_log.actor IS 'The PSA user the run acted as (psa.users.user_id).';
COMMENT ON COLUMN algawf.audit_log.db_role IS 'The database session role that ran the call.';
COMMENT ON COLUMN algawf.audit_log.target_ids IS 'Identifiers found in the output: every id / *_id / *Id field, keyed by its path (e.g. {"ticket_id": "..."}).';
COMMENT ON COLUMN algawf.audit_log.outcome IS 'SUCCEEDED | FAILED (with error_code) | DEFERRED (external request queued).';

ALTER TABLE algawf.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON algawf.audit_log
    USING (tenant = (SELECT algawf.current_tenant()))
    WITH CHECK (tenant = (SELECT algawf.current_tenant()));
GRANT SELECT ON algawf.audit_log TO algawf_admin, algawf_operator, algawf_service;

CREATE FUNCTION algawf.audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'algawf.audit_log is append-only'
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Old rows are removed by retention (algawf.purge), not by UPDATE or DELETE.';
END
$$;
COMMENT ON FUNCTION algawf.audit_log_append_only() IS 'Trigger: refuses UPDATE on algawf.audit_log.';
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON algawf.audit_log
    FOR EACH ROW EXECUTE FUNCTION algawf.audit_log_append_only();

COMMENT ON INDEX algawf.actions_family_idx IS 'Actions by family (set_family_enabled, the catalog).';
COMMENT ON INDEX algawf.actions_sql_function_idx IS 'Which actions a SQL function implements.';
COMMENT ON INDEX algawf.workflow_action_invocations_key_idx IS
    'Idempotency: one non-FAILED invocation per tenant, action and key; FAILED attempts do not hold the key, so retries reuse it.';
COMMENT ON INDEX algawf.workflow_action_invocations_run_idx IS 'A run''s invocations, by step.';
COMMENT ON INDEX algawf.workflow_action_invocations_action_idx IS 'Per-action statistics over time.';
COMMENT ON INDEX algawf.workflow_action_invocations_started_idx IS 'Retention (purge by age).';
COMMENT ON INDEX algawf.audit_log_at_idx IS 'A tenant''s audit trail by time.';
COMMENT ON INDEX algawf.audit_log_run_idx IS 'A run''s audit rows.';
COMMENT ON INDEX algawf.audit_log_targets_idx IS 'Audit rows by target id: target_ids @> ''{"ticket_id": "..."}''.';
COMMENT ON POLICY registry_read ON algawf.actions IS 'Everyone reads the registry; only algawf.register_action() (as the owner) writes it.';
COMMENT ON POLICY tenant_isolation ON algawf.action_families IS 'Rows of the current tenant only (algawf.current_tenant()).';
COMMENT ON POLICY tenant_isolation ON algawf.integrations IS 'Rows of the current tenant only (algawf.current_tenant()).';
COMMENT ON POLICY tenant_isolation ON algawf.workflow_action_invocations IS 'Rows of the current tenant only (algawf.current_tenant()).';
COMMENT ON POLICY tenant_isolation ON algawf.audit_log IS 'Rows of the current tenant only (algawf.current_tenant()).';
