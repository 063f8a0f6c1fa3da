-- The registry and dispatcher's SQL surface: register_action, call_action /
-- try_action, families, integration availability, redaction.

CREATE FUNCTION algawf.register_action(definition jsonb, replace boolean DEFAULT false) RETURNS text
    AS 'MODULE_PATHNAME', 'algawf_register_action'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION algawf.register_action(jsonb, boolean) IS
    'Checks an action definition (id, version, label, schemas, permissions, idempotency, implementation, ...) and adds it to the registry; returns "id@version". Registered versions are immutable unless replace => true.';
REVOKE ALL ON FUNCTION algawf.register_action(jsonb, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.register_action(jsonb, boolean) TO algawf_admin;

CREATE FUNCTION algawf.call_action(action_id text, input jsonb, version integer DEFAULT 1,
                                   idempotency_key text DEFAULT NULL, timeout_ms integer DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'algawf_call_action'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION algawf.call_action(text, jsonb, integer, text, integer) IS
    'Runs one action call for the current tenant with algawf.user as the actor, through the dispatcher (validation, permissions, idempotency, invocation and audit rows); returns the output or raises the action''s error (SQLSTATE by category, detail with the code, hint with the remedy).';
REVOKE ALL ON FUNCTION algawf.call_action(text, jsonb, integer, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.call_action(text, jsonb, integer, text, integer)
    TO algawf_admin, algawf_operator, algawf_service;

CREATE FUNCTION algawf.try_action(action_id text, input jsonb, version integer DEFAULT 1,
                                  idempotency_key text DEFAULT NULL, timeout_ms integer DEFAULT NULL,
                                  run_id uuid DEFAULT NULL, step_path text DEFAULT NULL,
                                  attempt integer DEFAULT 1)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'algawf_try_action'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION algawf.try_action(text, jsonb, integer, text, integer, uuid, text, integer) IS
    'Like call_action but never raises for an action failure: returns {ok, output | error {category, code, message, detail, hint, retryable}, replayed, deferred, invocationId}, and the failed invocation row is kept. run_id/step_path/attempt make the call stand in for a step of a run (engine idempotency key tenant:run:step:action@version:sha256(input)).';
REVOKE ALL ON FUNCTION algawf.try_action(text, jsonb, integer, text, integer, uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.try_action(text, jsonb, integer, text, integer, uuid, text, integer)
    TO algawf_admin, algawf_operator, algawf_service;

CREATE FUNCTION algawf.complete_invocation(invocation_id uuid, result jsonb) RETURNS boolean
    AS 'MODULE_PATHNAME', 'algawf_complete_invocation'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION algawf.complete_invocation(uuid, jsonb) IS
    'Records the outcome of a DEFERRED invocation of the current tenant (an external request the worker sent): result {"ok": true, "output": ...} or {"ok": false, "error": {category, code, message, detail?, hint?, retryable?}}. Redacts, audits side-effectful actions; false when it was already finished.';
REVOKE ALL ON FUNCTION algawf.complete_invocation(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.complete_invocation(uuid, jsonb) TO algawf_service;

CREATE FUNCTION algawf.check_action(action_id text, version integer DEFAULT 1, input jsonb DEFAULT NULL,
                                    OUT code text, OUT message text)
    AS 'MODULE_PATHNAME', 'algawf_check_action_sql'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION algawf.check_action(text, integer, jsonb) IS
    'The publish-time check of a step''s action reference for the current tenant: (NULL, NULL) when fine, else UNKNOWN_ACTION (not registered, or its family disabled) or INVALID_ACTION_CONFIG (a required input field missing, a literal of the wrong type; {"$expr"}/{"$secret"} values count as present).';
GRANT EXECUTE ON FUNCTION algawf.check_action(text, integer, jsonb) TO PUBLIC;

CREATE FUNCTION algawf.redact(value jsonb, paths text[] DEFAULT '{}') RETURNS jsonb
    AS 'MODULE_PATHNAME', 'algawf_redact_sql'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION algawf.redact(jsonb, text[]) IS
    'The redaction the dispatcher applies before storing: {"$secret": ...} markers, keys matching secret|token|password|api_key|authorization, and the given paths ("a.b", "items[*].token", "*.password") become "[REDACTED]".';
GRANT EXECUTE ON FUNCTION algawf.redact(jsonb, text[]) TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Families

CREATE FUNCTION algawf.set_family_enabled(family text, enabled boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf.require_tenant();
    known text;
BEGIN
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must be true or false' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM algawf.actions a WHERE a.family = set_family_enabled.family) THEN
        SELECT string_agg(DISTINCT a.family, ', ' ORDER BY a.family) INTO known FROM algawf.actions a;
        RAISE EXCEPTION 'unknown action family "%"', family
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('Registered families: %s.', coalesce(known, '(none)'));
    END IF;
    INSERT INTO algawf.action_families AS f (tenant, family, enabled, updated_at, updated_by)
    VALUES (t, set_family_enabled.family, set_family_enabled.enabled, now(), session_user)
    ON CONFLICT ON CONSTRAINT action_families_pkey DO UPDATE
        SET enabled = EXCLUDED.enabled, updated_at = now(), updated_by = session_user;
END
$$;
COMMENT ON FUNCTION algawf.set_family_enabled(text, boolean) IS
    'Switches a family of actions (the part of the id before the first dot: tickets, transform, ninjaone, ...) on or off for the current tenant. Calls of a disabled family fail with INTEGRATION_INACTIVE naming the family.';
REVOKE ALL ON FUNCTION algawf.set_family_enabled(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.set_family_enabled(text, boolean) TO algawf_admin;

CREATE FUNCTION algawf.family_enabled(family text) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT f.enabled FROM algawf.action_families f
                      WHERE f.tenant = algawf.current_tenant() AND f.family = $1), true);
$$;
COMMENT ON FUNCTION algawf.family_enabled(text) IS 'Whether a family of actions is enabled for the current tenant (default true).';

-- ---------------------------------------------------------------------------
-- Integration availability: fail closed.

CREATE FUNCTION algawf.integration_active(integration text) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf.current_tenant();
    o boolean;
BEGIN
    IF t IS NULL OR integration IS NULL THEN
        RETURN false;
    END IF;
    SELECT i.active INTO o FROM algawf.integrations i
     WHERE i.tenant = t AND i.integration = integration_active.integration;
    IF FOUND THEN
        RETURN o;
    END IF;
    -- the integration module's resolver decides (algawf.register_integration);
    -- no module, no resolver, or an error in it: unavailable
    RETURN coalesce((algawf._integration_connection(integration_active.integration, t) ->> 'connected')::boolean, false);
EXCEPTION WHEN OTHERS THEN
    RETURN false;
END
$$;
COMMENT ON FUNCTION algawf.integration_active(text) IS
    'Whether an integration is available to the current tenant: an algawf.integrations override if any, else what the integration module''s resolver says (for the shipped modules: an active and connected psa.rmm_integrations row for ninjaone, tacticalrmm, levelio, huntress; an active psa.teams_integrations row for teams); false when there is no module, no resolver or the resolver fails (fail closed).';

CREATE FUNCTION algawf.set_integration_active(integration text, active boolean, note text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf.require_tenant();
BEGIN
    IF active IS NULL THEN
        DELETE FROM algawf.integrations i WHERE i.tenant = t AND i.integration = set_integration_active.integration;
        RETURN;
    END IF;
    INSERT INTO algawf.integrations AS i (tenant, integration, active, note, updated_at, updated_by)
    VALUES (t, set_integration_active.integration, set_integration_active.active, set_integration_active.note,
            now(), session_user)
    ON CONFLICT ON CONSTRAINT integrations_pkey DO UPDATE
        SET active = EXCLUDED.active, note = EXCLUDED.note, updated_at = now(), updated_by = session_user;
END
$$;
COMMENT ON FUNCTION algawf.set_integration_active(text, boolean, text) IS
    'Overrides an integration''s availability for the current tenant (true or false); NULL removes the override so the PSA connection decides again.';
REVOKE ALL ON FUNCTION algawf.set_integration_active(text, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.set_integration_active(text, boolean, text) TO algawf_admin;

CREATE VIEW algawf.integration_status AS
    WITH t AS (SELECT algawf.current_tenant() AS tenant),
    names AS (
        SELECT a.integration AS name FROM algawf.actions a WHERE a.integration IS NOT NULL
        UNION SELECT i.integration FROM algawf.integrations i, t WHERE i.tenant = t.tenant
        UNION SELECT r.provider FROM psa.rmm_integrations r, t WHERE r.tenant = t.tenant
        UNION SELECT 'teams' FROM psa.teams_integrations ti, t WHERE ti.tenant = t.tenant
    )
    SELECT n.name AS integration,
           algawf.integration_active(n.name) AS active,
           CASE WHEN o.integration IS NOT NULL THEN 'override' ELSE 'psa' END AS decided_by,
           o.note,
           ARRAY(SELECT DISTINCT a.action_id FROM algawf.actions a WHERE a.integration = n.name ORDER BY 1) AS actions
      FROM names n
      CROSS JOIN t
      LEFT JOIN algawf.integrations o ON o.tenant = t.tenant AND o.integration = n.name
     WHERE t.tenant IS NOT NULL;
COMMENT ON VIEW algawf.integration_status IS
    'Integrations the registry or the current tenant knows, whether each is available (fail closed), what decided it, and the actions that need it.';
GRANT SELECT ON algawf.integration_status TO PUBLIC;
