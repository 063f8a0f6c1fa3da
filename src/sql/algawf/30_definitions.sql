-- Definitions: create, update, validate, publish, pause, delete; payload
-- schemas; variables.  These run as the caller (SECURITY INVOKER) under
-- row-level security: algawf_admin holds the table privileges they need.

CREATE FUNCTION algawf.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(pg_catalog.current_setting('algawf.user', true), '')::uuid $$;
COMMENT ON FUNCTION algawf.current_user_id() IS
    'The PSA user acting in this session (the algawf.user setting), or NULL.';

CREATE FUNCTION algawf._check_definition(definition jsonb, workflow_id uuid DEFAULT NULL)
    RETURNS TABLE (severity text, path text, code text, message text)
    AS 'MODULE_PATHNAME', 'algawf_check_definition'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION algawf._check_definition(jsonb, uuid) IS
    'Every problem of a definition (errors and warnings) with its step path and code; workflow_id is the workflow being published (for recursion checks). Used by validate() and publish().';

CREATE FUNCTION algawf._definition_steps(definition jsonb)
    RETURNS TABLE (step_path text, step_id text, parent_path text, branch text, "position" int,
                   depth int, step_type text, name text, action_id text, action_version int, config jsonb)
    AS 'MODULE_PATHNAME', 'algawf_definition_steps'
    LANGUAGE C IMMUTABLE STRICT;
COMMENT ON FUNCTION algawf._definition_steps(jsonb) IS
    'The steps of a definition, one row per step path (what publish() stores in algawf.workflow_steps).';

CREATE FUNCTION algawf.validate(definition jsonb)
    RETURNS TABLE (path text, code text, message text)
    LANGUAGE sql VOLATILE
AS $$
    SELECT c.path, c.code, c.message FROM algawf._check_definition($1) c WHERE c.severity = 'error'
$$;
COMMENT ON FUNCTION algawf.validate(jsonb) IS
    'Every problem that would prevent publishing the definition: step path, Alga code (INVALID_WORKFLOW_DEFINITION, DUPLICATE_STEP_ID, UNKNOWN_NODE_TYPE, UNKNOWN_ACTION, INVALID_CONFIG, INVALID_ACTION_CONFIG, INVALID_EXPR, INVALID_ASSIGN_PATH, SECRET_NOT_FOUND, UNKNOWN_WORKFLOW, RECURSIVE_WORKFLOW, ...) and message. No rows: publishable.';

-- payload schemas ----------------------------------------------------------

CREATE FUNCTION algawf.resolve_schema_ref(ref text) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.schema FROM algawf.payload_schemas s
    WHERE s.ref = $1
      AND s.tenant IN (algawf.require_tenant(), '00000000-0000-0000-0000-000000000000'::uuid)
    ORDER BY s.tenant = '00000000-0000-0000-0000-000000000000'::uuid
    LIMIT 1
$$;
COMMENT ON FUNCTION algawf.resolve_schema_ref(text) IS
    'The payload schema a payloadSchemaRef names: the tenant''s own registration, else the built-in one; NULL when unknown.';

CREATE FUNCTION algawf.register_schema(ref text, schema jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF ref IS NULL OR ref = '' THEN
        RAISE EXCEPTION 'schema ref must be a non-empty string' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF schema IS NULL OR jsonb_typeof(schema) <> 'object' THEN
        RAISE EXCEPTION 'a payload schema must be a JSON object' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'For example {"type": "object", "properties": {...}, "required": [...]}.';
    END IF;
    INSERT INTO algawf.payload_schemas (tenant, ref, schema)
    VALUES (algawf.require_tenant(), ref, schema)
    ON CONFLICT ON CONSTRAINT payload_schemas_pkey
    DO UPDATE SET schema = EXCLUDED.schema, updated_at = now();
END
$$;
COMMENT ON FUNCTION algawf.register_schema(text, jsonb) IS
    'Registers (or replaces) a payload schema under a ref, for payloadSchemaRef. Versions published afterwards validate their payloads against it.';

-- definitions ----------------------------------------------------------------

CREATE FUNCTION algawf._is_uuid(s text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT $1 ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' $$;
COMMENT ON FUNCTION algawf._is_uuid(text) IS 'Whether the text is a UUID.';

CREATE FUNCTION algawf.create_workflow(definition jsonb, publish boolean DEFAULT true) RETURNS uuid
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t       uuid := algawf.require_tenant();
    wf      uuid;
    k       text;
    base    text;
    n       int := 1;
BEGIN
    IF definition IS NULL OR jsonb_typeof(definition) <> 'object' THEN
        RAISE EXCEPTION 'a workflow definition must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(definition->'id') = 'string' AND algawf._is_uuid(definition->>'id') THEN
        wf := (definition->>'id')::uuid;
        IF EXISTS (SELECT 1 FROM algawf.workflow_definitions d WHERE d.tenant = t AND d.workflow_id = wf) THEN
            RAISE EXCEPTION 'workflow % already exists', wf USING ERRCODE = 'duplicate_object',
                HINT = 'Change it with algawf.update_workflow() and algawf.publish().';
        END IF;
    ELSE
        wf := gen_random_uuid();
    END IF;

    k := CASE WHEN jsonb_typeof(definition->'key') = 'string' THEN definition->>'key' END;
    IF k IS NULL AND jsonb_typeof(definition->'id') = 'string' AND NOT algawf._is_uuid(definition->>'id') THEN
        k := definition->>'id';
    END IF;
    IF k IS NOT NULL THEN
        IF EXISTS (SELECT 1 FROM algawf.workflow_definitions d WHERE d.tenant = t AND d.key = k) THEN
            RAISE EXCEPTION 'a workflow with key "%" already exists', k USING ERRCODE = 'duplicate_object';
        END IF;
    ELSE
        base := btrim(regexp_replace(lower(coalesce(definition->>'name', 'workflow')), '[^a-z0-9]+', '-', 'g'), '-');
        IF base = '' THEN
            base := 'workflow';
        END IF;
        k := base;
        WHILE EXISTS (SELECT 1 FROM algawf.workflow_definitions d WHERE d.tenant = t AND d.key = k) LOOP
            n := n + 1;
            k := base || '-' || n;
        END LOOP;
    END IF;

    INSERT INTO algawf.workflow_definitions (tenant, workflow_id, key, name, description, draft,
                                             payload_schema_ref, created_by, updated_by)
    VALUES (t, wf, k, coalesce(nullif(definition->>'name', ''), 'Untitled workflow'),
            definition->>'description', definition, definition->>'payloadSchemaRef',
            algawf.current_user_id(), algawf.current_user_id());
    IF publish THEN
        PERFORM algawf.publish(wf);
    END IF;
    RETURN wf;
END
$$;
COMMENT ON FUNCTION algawf.create_workflow(jsonb, boolean) IS
    'Creates a workflow from a definition (Alga V2 JSON) and, by default, publishes it as version 1 (failing with every problem listed if it is invalid). Returns the workflow id.';

CREATE FUNCTION algawf.update_workflow(workflow_id uuid, definition jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf.require_tenant();
BEGIN
    IF definition IS NULL OR jsonb_typeof(definition) <> 'object' THEN
        RAISE EXCEPTION 'a workflow definition must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(definition->'key') = 'string' AND EXISTS (
        SELECT 1 FROM algawf.workflow_definitions d
        WHERE d.tenant = t AND d.key = definition->>'key' AND d.workflow_id <> $1) THEN
        RAISE EXCEPTION 'a workflow with key "%" already exists', definition->>'key' USING ERRCODE = 'duplicate_object';
    END IF;
    UPDATE algawf.workflow_definitions d
       SET draft = definition,
           name = coalesce(nullif(definition->>'name', ''), d.name),
           description = definition->>'description',
           key = CASE WHEN jsonb_typeof(definition->'key') = 'string' THEN definition->>'key' ELSE d.key END,
           draft_updated_at = now(), updated_at = now(), updated_by = algawf.current_user_id()
     WHERE d.tenant = t AND d.workflow_id = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % does not exist', $1 USING ERRCODE = 'undefined_object';
    END IF;
END
$$;
COMMENT ON FUNCTION algawf.update_workflow(uuid, jsonb) IS
    'Replaces the draft definition of a workflow. Runs keep using published versions until algawf.publish() makes a new one.';

CREATE FUNCTION algawf.publish(workflow_id uuid) RETURNS int
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t        uuid := algawf.require_tenant();
    d        algawf.workflow_definitions;
    nerr     int;
    detail   text;
    warns    jsonb;
    hash     text;
    v        int;
    ref      text;
    trig     jsonb;
    run_at   timestamptz;
BEGIN
    SELECT * INTO d FROM algawf.workflow_definitions x WHERE x.tenant = t AND x.workflow_id = $1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % does not exist', $1 USING ERRCODE = 'undefined_object';
    END IF;

    SELECT count(*) FILTER (WHERE c.severity = 'error'),
           string_agg(format('%s: %s: %s', c.path, c.code, c.message), E'\n' ORDER BY c.ord)
               FILTER (WHERE c.severity = 'error'),
           coalesce(jsonb_agg(jsonb_build_object('path', c.path, 'code', c.code, 'message', c.message)
                              ORDER BY c.ord) FILTER (WHERE c.severity = 'warning'), '[]')
      INTO nerr, detail, warns
      FROM algawf._check_definition(d.draft, d.workflow_id) WITH ORDINALITY AS c(severity, path, code, message, ord);
    IF nerr > 0 THEN
        RAISE EXCEPTION 'workflow "%" cannot be published: % problem%', d.name, nerr,
                        CASE WHEN nerr = 1 THEN '' ELSE 's' END
            USING ERRCODE = 'invalid_parameter_value', DETAIL = detail,
                  HINT = 'SELECT * FROM algawf.validate(definition) lists the problems; fix the draft with algawf.update_workflow().';
    END IF;

    trig := d.draft->'trigger';
    IF trig->>'type' = 'schedule' THEN
        BEGIN
            run_at := (trig->>'runAt')::timestamptz;
        EXCEPTION WHEN others THEN
            RAISE EXCEPTION 'workflow "%" cannot be published: 1 problem', d.name
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('root.trigger: INVALID_WORKFLOW_DEFINITION: trigger.runAt "%s" is not a timestamp', trig->>'runAt');
        END;
    END IF;

    hash := encode(sha256(convert_to(d.draft::text, 'UTF8')), 'hex');
    SELECT x.version INTO v FROM algawf.workflow_definition_versions x
     WHERE x.tenant = t AND x.workflow_id = d.workflow_id AND x.version = d.published_version
       AND x.definition_hash = hash;
    IF FOUND THEN
        RETURN v;       -- the draft is what is published already
    END IF;

    SELECT coalesce(max(x.version), 0) + 1 INTO v FROM algawf.workflow_definition_versions x
     WHERE x.tenant = t AND x.workflow_id = d.workflow_id;
    ref := d.draft->>'payloadSchemaRef';
    INSERT INTO algawf.workflow_definition_versions
        (tenant, workflow_id, version, definition, definition_hash, function_set,
         payload_schema_ref, payload_schema, warnings, published_by)
    VALUES (t, d.workflow_id, v, d.draft, hash,
            coalesce(d.draft->>'functionSet', current_setting('algawf.function_set')),
            ref, CASE WHEN ref IS NOT NULL THEN algawf.resolve_schema_ref(ref) END,
            warns, algawf.current_user_id());
    INSERT INTO algawf.workflow_steps (tenant, workflow_id, version, step_path, step_id, parent_path,
                                       branch, position, depth, step_type, name, action_id,
                                       action_version, config)
    SELECT t, d.workflow_id, v, s.step_path, s.step_id, s.parent_path, s.branch, s.position, s.depth,
           s.step_type, s.name, s.action_id, s.action_version, s.config
      FROM algawf._definition_steps(d.draft) s;
    UPDATE algawf.workflow_definitions x
       SET status = 'published', published_version = v, trigger = trig, payload_schema_ref = ref,
           name = coalesce(nullif(d.draft->>'name', ''), x.name),
           updated_at = now(), updated_by = algawf.current_user_id()
     WHERE x.tenant = t AND x.workflow_id = d.workflow_id;

    IF trig->>'type' IN ('schedule', 'recurring') THEN
        INSERT INTO algawf.schedules AS s (tenant, workflow_id, kind, run_at, cron, timezone, next_fire_at)
        VALUES (t, d.workflow_id, trig->>'type', run_at, trig->>'cron', trig->>'timezone', run_at)
        ON CONFLICT ON CONSTRAINT schedules_tenant_workflow_id_key DO UPDATE
           SET kind = EXCLUDED.kind, run_at = EXCLUDED.run_at, cron = EXCLUDED.cron,
               timezone = EXCLUDED.timezone,
               next_fire_at = CASE WHEN s.kind IS DISTINCT FROM EXCLUDED.kind
                                     OR s.run_at IS DISTINCT FROM EXCLUDED.run_at
                                     OR s.cron IS DISTINCT FROM EXCLUDED.cron
                                     OR s.timezone IS DISTINCT FROM EXCLUDED.timezone
                                   THEN EXCLUDED.next_fire_at ELSE s.next_fire_at END,
               updated_at = now();
    ELSE
        DELETE FROM algawf.schedules s WHERE s.tenant = t AND s.workflow_id = d.workflow_id;
    END IF;

    IF jsonb_array_length(warns) > 0 THEN
        RAISE WARNING 'workflow "%" published as version % with % warning%', d.name, v,
                      jsonb_array_length(warns), CASE WHEN jsonb_array_length(warns) = 1 THEN '' ELSE 's' END
            USING DETAIL = (SELECT string_agg(format('%s: %s: %s', w->>'path', w->>'code', w->>'message'), E'\n')
                              FROM jsonb_array_elements(warns) w);
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION algawf.publish(uuid) IS
    'Validates the draft and publishes it as a new immutable version (returned); fails listing every problem when it is invalid. Publishing an unchanged draft returns the current version.';

CREATE FUNCTION algawf.set_paused(workflow_id uuid, paused boolean) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE algawf.workflow_definitions d
       SET is_paused = coalesce(paused, false),
           paused_reason = CASE WHEN paused THEN 'paused by ' || coalesce(algawf.current_user_id()::text, session_user::text) END,
           updated_at = now(), updated_by = algawf.current_user_id()
     WHERE d.tenant = algawf.require_tenant() AND d.workflow_id = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % does not exist', $1 USING ERRCODE = 'undefined_object';
    END IF;
END
$$;
COMMENT ON FUNCTION algawf.set_paused(uuid, boolean) IS
    'Pauses (no new runs start; runs in progress continue) or resumes a workflow.';

CREATE FUNCTION algawf.configure_workflow(workflow_id uuid, options jsonb) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
BEGIN
    FOR k IN SELECT jsonb_object_keys(options) LOOP
        IF k NOT IN ('concurrencyLimit', 'autoPauseOnFailure', 'failureRateThreshold',
                     'failureRateMinRuns', 'runMaxDuration') THEN
            RAISE EXCEPTION 'unknown workflow option "%"', k USING ERRCODE = 'invalid_parameter_value',
                HINT = 'Options: concurrencyLimit, autoPauseOnFailure, failureRateThreshold, failureRateMinRuns, runMaxDuration.';
        END IF;
    END LOOP;
    UPDATE algawf.workflow_definitions d
       SET concurrency_limit = CASE WHEN options ? 'concurrencyLimit'
                                    THEN (options->>'concurrencyLimit')::int ELSE d.concurrency_limit END,
           auto_pause_on_failure = CASE WHEN options ? 'autoPauseOnFailure'
                                        THEN (options->>'autoPauseOnFailure')::boolean ELSE d.auto_pause_on_failure END,
           failure_rate_threshold = CASE WHEN options ? 'failureRateThreshold'
                                         THEN (options->>'failureRateThreshold')::numeric ELSE d.failure_rate_threshold END,
           failure_rate_min_runs = CASE WHEN options ? 'failureRateMinRuns'
                                        THEN (options->>'failureRateMinRuns')::int ELSE d.failure_rate_min_runs END,
           run_max_duration = CASE WHEN options ? 'runMaxDuration'
                                   THEN (options->>'runMaxDuration')::interval ELSE d.run_max_duration END,
           updated_at = now(), updated_by = algawf.current_user_id()
     WHERE d.tenant = algawf.require_tenant() AND d.workflow_id = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % does not exist', $1 USING ERRCODE = 'undefined_object';
    END IF;
END
$$;
COMMENT ON FUNCTION algawf.configure_workflow(uuid, jsonb) IS
    'Sets run settings of a workflow: {"concurrencyLimit": n|null, "autoPauseOnFailure": bool, "failureRateThreshold": 0..1, "failureRateMinRuns": n, "runMaxDuration": "1 hour"|null}.';

CREATE FUNCTION algawf.delete_workflow(workflow_id uuid) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM algawf.workflow_definitions d
     WHERE d.tenant = algawf.require_tenant() AND d.workflow_id = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % does not exist', $1 USING ERRCODE = 'undefined_object';
    END IF;
END
$$;
COMMENT ON FUNCTION algawf.delete_workflow(uuid) IS
    'Deletes a workflow with its versions, steps, schedule, variables and runs.';

-- variables ----------------------------------------------------------------

CREATE FUNCTION algawf.set_variable(name text, value jsonb, workflow_id uuid DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF name IS NULL OR name !~ '^[A-Za-z_][A-Za-z0-9_]*$' THEN
        RAISE EXCEPTION 'invalid variable name %', coalesce(quote_literal(name), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Names are identifiers (letters, digits, _), as expressions read them: env.NAME.';
    END IF;
    IF value IS NULL THEN
        RAISE EXCEPTION 'a variable''s value must not be NULL' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Use ''null''::jsonb for a JSON null, or algawf.delete_variable().';
    END IF;
    INSERT INTO algawf.workflow_variables AS v (tenant, workflow_id, name, value, updated_by)
    VALUES (algawf.require_tenant(), $3, $1, $2, algawf.current_user_id())
    ON CONFLICT ON CONSTRAINT workflow_variables_tenant_workflow_id_name_key
    DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now();
END
$$;
COMMENT ON FUNCTION algawf.set_variable(text, jsonb, uuid) IS
    'Sets a tenant-wide (workflow_id NULL) or per-workflow variable; expressions read it as env.NAME (a workflow''s value over the tenant''s).';

CREATE FUNCTION algawf.delete_variable(name text, workflow_id uuid DEFAULT NULL) RETURNS boolean
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$
    WITH d AS (
        DELETE FROM algawf.workflow_variables v
         WHERE v.tenant = algawf.require_tenant() AND v.name = $1
           AND v.workflow_id IS NOT DISTINCT FROM $2
        RETURNING 1)
    SELECT count(*) > 0 FROM d
$$;
COMMENT ON FUNCTION algawf.delete_variable(text, uuid) IS
    'Deletes a tenant-wide or per-workflow variable; returns whether it existed.';
