-- Helpers shared by the CRM, Email, Notifications, Scheduling, Projects and
-- Time action families (actions/crm.sql ... actions/time.sql).
--
-- Internal (names start with "_"): SECURITY INVOKER, pinned search_path, run
-- by the dispatcher as algawf_service under row-level security for the run's
-- tenant.  Errors are raised with the SQLSTATE the dispatcher maps to the
-- standard codes (src/dispatch.c, map_error):
--
--   NOT_FOUND          P0002 no_data_found
--   VALIDATION_ERROR   22023 invalid_parameter_value
--   CONFLICT           23P01 exclusion_violation
--   PERMISSION_DENIED  42501 insufficient_privilege
--   TRANSIENT_FAILURE  40001 serialization_failure
--   INTERNAL_ERROR     P0001 raise_exception (anything unmapped)

CREATE FUNCTION algawf._ops_fail(code text, message text, detail text DEFAULT NULL, hint text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    state text := CASE code
        WHEN 'NOT_FOUND' THEN 'P0002'
        WHEN 'VALIDATION_ERROR' THEN '22023'
        WHEN 'CONFLICT' THEN '23P01'
        WHEN 'PERMISSION_DENIED' THEN '42501'
        WHEN 'TRANSIENT_FAILURE' THEN '40001'
        ELSE 'P0001' END;
BEGIN
    IF detail IS NOT NULL AND hint IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = detail, HINT = hint;
    ELSIF detail IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = detail;
    ELSIF hint IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, HINT = hint;
    ELSE
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message;
    END IF;
END
$$;
COMMENT ON FUNCTION algawf._ops_fail(text, text, text, text) IS
    'Internal: raises an action error with the SQLSTATE the dispatcher maps to code (NOT_FOUND, VALIDATION_ERROR, CONFLICT, PERMISSION_DENIED, TRANSIENT_FAILURE; anything else INTERNAL_ERROR).';

-- ISO 8601 in UTC with milliseconds, as JSON date-time.
CREATE FUNCTION algawf._ops_iso(ts timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
COMMENT ON FUNCTION algawf._ops_iso(timestamptz) IS
    'Internal: a timestamp as an RFC 3339 date-time in UTC with milliseconds (2024-03-01T09:00:00.000Z); NULL stays NULL.';

-- The acting user of the call (the run's actor), or NULL.
CREATE FUNCTION algawf._ops_actor(ctx jsonb) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT nullif(ctx ->> 'actorUserId', '')::uuid $$;
COMMENT ON FUNCTION algawf._ops_actor(jsonb) IS
    'Internal: the acting PSA user of an action call (ctx.actorUserId), or NULL.';

-- An active user of the current tenant; NOT_FOUND otherwise (inactive users are
-- VALIDATION_ERROR: they exist but cannot be assigned).
CREATE FUNCTION algawf._ops_user(user_id uuid, field text, internal_only boolean DEFAULT true)
    RETURNS psa.users
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    u psa.users;
BEGIN
    SELECT * INTO u FROM psa.users x
     WHERE x.tenant = (SELECT algawf.current_tenant()) AND x.user_id = _ops_user.user_id;
    IF NOT FOUND THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('%s: user %s not found', field, user_id),
                                 NULL, 'Use a user_id of psa.users in this tenant.');
    END IF;
    IF u.is_inactive THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', format('%s: user %s (%s) is inactive', field, user_id, u.username));
    END IF;
    IF internal_only AND u.user_type <> 'internal' THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', format('%s: user %s (%s) is a client portal user, not MSP staff', field, user_id, u.username));
    END IF;
    RETURN u;
END
$$;
COMMENT ON FUNCTION algawf._ops_user(uuid, text, boolean) IS
    'Internal: the active (internal, by default) user of the current tenant, or NOT_FOUND / VALIDATION_ERROR naming the input field.';

CREATE FUNCTION algawf._ops_user_name(u psa.users) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce(nullif(btrim(concat_ws(' ', u.first_name, u.last_name)), ''), u.email, u.username) $$;
COMMENT ON FUNCTION algawf._ops_user_name(psa.users) IS 'Internal: a user''s display name (first and last name, else e-mail, else user name).';

-- The actor must hold resource:action (for checks that depend on the input,
-- beyond the action's declared permissions, which the dispatcher checks).
CREATE FUNCTION algawf._ops_require_permission(ctx jsonb, resource text, action text, why text)
    RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    actor uuid := algawf._ops_actor(ctx);
BEGIN
    IF actor IS NULL OR NOT psa.user_has_permission(actor, resource, action) THEN
        PERFORM algawf._ops_fail('PERMISSION_DENIED',
            format('user %s lacks permission %s:%s, needed to %s', coalesce(actor::text, '(none)'), resource, action, why),
            NULL,
            format('Give the acting user a role with %s:%s, or run the workflow as a user who has it.', resource, action));
    END IF;
END
$$;
COMMENT ON FUNCTION algawf._ops_require_permission(jsonb, text, text, text) IS
    'Internal: PERMISSION_DENIED unless the call''s actor holds resource:action (input-dependent checks; declared permissions are checked by the dispatcher).';

-- One psa.audit_logs row per side effect (Alga's writeRunAudit).
CREATE FUNCTION algawf._ops_audit(ctx jsonb, table_name text, record_id text, changed jsonb DEFAULT '{}')
    RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO psa.audit_logs (tenant, user_id, operation, table_name, record_id, changed_data, details)
    VALUES ((SELECT algawf.current_tenant()), algawf._ops_actor(ctx),
            'workflow_action:' || coalesce(ctx ->> 'actionId', 'unknown'),
            table_name, record_id, coalesce(changed, '{}'),
            jsonb_strip_nulls(jsonb_build_object(
                'action_id', ctx ->> 'actionId',
                'action_version', ctx -> 'actionVersion',
                'run_id', ctx ->> 'runId',
                'workflow_id', ctx ->> 'workflowId',
                'workflow_version', ctx -> 'workflowVersion',
                'step_path', ctx ->> 'stepPath',
                'invocation_id', ctx ->> 'invocationId')));
$$;
COMMENT ON FUNCTION algawf._ops_audit(jsonb, text, text, jsonb) IS
    'Internal: writes the psa.audit_logs row of an action''s side effect (operation workflow_action:<action id>, the changed data, and the run, step and invocation in details).';

-- Emits a business event for workflows (e.g. INTERACTION_LOGGED): through
-- algawf.emit() (starts triggered workflows and resumes waiting runs) when the
-- event machinery is installed, else algawf.deliver_event() (resumes waiting
-- runs); a build with neither records nothing.  Returns whether it was emitted.
CREATE FUNCTION algawf._ops_emit(event_type text, payload jsonb, correlation_key text DEFAULT NULL,
                                 event_id text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF to_regprocedure('algawf.emit(text,jsonb,text,text)') IS NOT NULL THEN
        EXECUTE 'SELECT algawf.emit($1, $2, $3, $4)' USING event_type, payload, correlation_key, event_id;
        RETURN true;
    ELSIF to_regprocedure('algawf.deliver_event(text,jsonb,text,uuid)') IS NOT NULL THEN
        EXECUTE 'SELECT algawf.deliver_event($1, $2, $3)' USING event_type, payload, correlation_key;
        RETURN true;
    END IF;
    RETURN false;
END
$$;
COMMENT ON FUNCTION algawf._ops_emit(text, jsonb, text, text) IS
    'Internal: emits a business event through algawf.emit() (or algawf.deliver_event()); returns whether it was emitted.';

-- Whether row changes of a table already emit events (algawf.attach_events):
-- an action writing to it then must not emit the same event again.
CREATE FUNCTION algawf._ops_table_emits(tbl regclass) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                    WHERE g.tgrelid = $1 AND NOT g.tgisinternal AND g.tgenabled <> 'D'
                      AND g.tgfoid = pg_catalog.to_regproc('algawf.emit_trigger'))
$$;
COMMENT ON FUNCTION algawf._ops_table_emits(regclass) IS
    'Internal: whether the table has algawf''s event trigger (algawf.attach_events), so its inserts already emit events.';

-- {{ path }} templates: each placeholder is a dotted path into data
-- (a.b.c, a.items[0].name); strings are inserted as they are, numbers and
-- booleans as JSON text, objects and arrays as JSON, missing values and null
-- as "".  With html, inserted values are HTML-escaped.  Anything that is not
-- a path is handed to algawf.eval() when the expression language is
-- installed, else refused (VALIDATION_ERROR).
CREATE FUNCTION algawf._ops_render(template text, data jsonb, html boolean DEFAULT false, field text DEFAULT 'template')
    RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    out text := '';
    rest text := template;
    open_at int;
    close_at int;
    expr text;
    path text[];
    v jsonb;
    s text;
BEGIN
    IF template IS NULL THEN
        RETURN NULL;
    END IF;
    LOOP
        open_at := strpos(rest, '{{');
        EXIT WHEN open_at = 0;
        close_at := strpos(substr(rest, open_at + 2), '}}');
        IF close_at = 0 THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', format('%s: "{{" without a closing "}}"', field),
                                     format('Near: %s', left(substr(rest, open_at), 40)));
        END IF;
        out := out || substr(rest, 1, open_at - 1);
        expr := btrim(substr(rest, open_at + 2, close_at - 1));
        rest := substr(rest, open_at + 2 + close_at + 1);

        IF expr ~ '^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*|\[[0-9]+\])*$' THEN
            path := regexp_split_to_array(regexp_replace(expr, '\[([0-9]+)\]', '.\1', 'g'), '\.');
            v := data #> path;
        ELSIF to_regprocedure('algawf.eval(text,jsonb,jsonb,text)') IS NOT NULL THEN
            BEGIN
                EXECUTE 'SELECT algawf.eval($1, $2)' INTO v USING expr, coalesce(data, '{}');
            EXCEPTION WHEN OTHERS THEN
                PERFORM algawf._ops_fail('VALIDATION_ERROR', format('%s: expression {{%s}} failed: %s', field, expr, SQLERRM));
            END;
        ELSE
            PERFORM algawf._ops_fail('VALIDATION_ERROR', format('%s: {{%s}} is not a path', field, expr), NULL,
                                     'Write a dotted path into template_data, e.g. {{ticket.number}} or {{items[0].name}}.');
        END IF;

        s := CASE
            WHEN v IS NULL OR jsonb_typeof(v) = 'null' THEN ''
            WHEN jsonb_typeof(v) = 'string' THEN v #>> '{}'
            ELSE v::text END;
        IF html THEN
            s := replace(replace(replace(replace(replace(s, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;');
        END IF;
        out := out || s;
    END LOOP;
    RETURN out || rest;
END
$$;
COMMENT ON FUNCTION algawf._ops_render(text, jsonb, boolean, text) IS
    'Internal: renders {{ path }} placeholders of a template against data (HTML-escaping values when html); other expressions go to algawf.eval() when available.';

-- A status of the given type in the current tenant, else VALIDATION_ERROR
-- (unknown id, or a status of another type).
CREATE FUNCTION algawf._ops_status(status_id uuid, status_type text, field text) RETURNS psa.statuses
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s psa.statuses;
BEGIN
    SELECT * INTO s FROM psa.statuses x
     WHERE x.tenant = (SELECT algawf.current_tenant()) AND x.status_id = _ops_status.status_id;
    IF NOT FOUND THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('%s: status %s not found', field, status_id));
    END IF;
    IF s.status_type <> _ops_status.status_type THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR',
            format('%s: status %s (%s) is a %s status, not a %s status', field, status_id, s.name, s.status_type, _ops_status.status_type));
    END IF;
    RETURN s;
END
$$;
COMMENT ON FUNCTION algawf._ops_status(uuid, text, text) IS
    'Internal: the status of the given status_type in the current tenant; NOT_FOUND for an unknown id, VALIDATION_ERROR for a status of another type.';

-- The default status of a type (is_default, else the first by order).
CREATE FUNCTION algawf._ops_default_status(status_type text) RETURNS uuid
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.status_id FROM psa.statuses s
     WHERE s.tenant = (SELECT algawf.current_tenant()) AND s.status_type = $1 AND s.board_id IS NULL
     ORDER BY s.is_default DESC, s.order_number, s.name
     LIMIT 1
$$;
COMMENT ON FUNCTION algawf._ops_default_status(text) IS 'Internal: the default status of a status_type in the current tenant (NULL when there is none).';

REVOKE ALL ON FUNCTION algawf._ops_fail(text, text, text, text), algawf._ops_iso(timestamptz),
    algawf._ops_actor(jsonb), algawf._ops_user(uuid, text, boolean), algawf._ops_user_name(psa.users),
    algawf._ops_require_permission(jsonb, text, text, text), algawf._ops_audit(jsonb, text, text, jsonb),
    algawf._ops_emit(text, jsonb, text, text), algawf._ops_table_emits(regclass), algawf._ops_render(text, jsonb, boolean, text),
    algawf._ops_status(uuid, text, text), algawf._ops_default_status(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf._ops_fail(text, text, text, text), algawf._ops_iso(timestamptz),
    algawf._ops_actor(jsonb), algawf._ops_user(uuid, text, boolean), algawf._ops_user_name(psa.users),
    algawf._ops_require_permission(jsonb, text, text, text), algawf._ops_audit(jsonb, text, text, jsonb),
    algawf._ops_emit(text, jsonb, text, text), algawf._ops_table_emits(regclass), algawf._ops_render(text, jsonb, boolean, text),
    algawf._ops_status(uuid, text, text), algawf._ops_default_status(text)
    TO algawf_service, algawf_admin;

-- Registration of the shipped actions of these families.  A definition may
-- use "@name" string values for schema fragments shared by several actions
-- (given in fragments).  actionProvided idempotency keys need the expression
-- language; a build without it registers the action with engine-provided
-- keys instead (with a NOTICE) rather than failing CREATE EXTENSION.
CREATE FUNCTION algawf._ops_register(definition jsonb, fragments jsonb DEFAULT '{}') RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    txt text := definition::text;
    k text;
    v jsonb;
BEGIN
    FOR k, v IN SELECT * FROM jsonb_each(fragments) LOOP
        txt := replace(txt, format('"@%s"', k), v::text);
    END LOOP;
    RETURN algawf.register_action(txt::jsonb);
END
$$;
COMMENT ON FUNCTION algawf._ops_register(jsonb, jsonb) IS
    'Internal (install script): registers an action definition after substituting "@name" schema fragments.';
REVOKE ALL ON FUNCTION algawf._ops_register(jsonb, jsonb) FROM PUBLIC;
