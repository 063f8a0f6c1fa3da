-- Helpers shared by the SQL implementations of the business actions
-- (actions/tickets.sql, clients.sql, contacts.sql, ...).  All internal
-- (underscore names), SECURITY INVOKER: they run as the dispatcher runs the
-- action -- as algawf_service under row-level security for the call's tenant --
-- so they can never reach another tenant's rows.

-- ---------------------------------------------------------------------------
-- Errors.  The dispatcher maps SQLSTATEs to the error codes of DESIGN §7; this
-- is the one place that knows which SQLSTATE carries which code.
CREATE FUNCTION algawf._act_fail(code text, message text, detail text DEFAULT NULL, hint text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    state text := CASE code
                      WHEN 'NOT_FOUND' THEN 'P0002'            -- no_data_found
                      WHEN 'CONFLICT' THEN '23505'             -- unique_violation
                      WHEN 'VALIDATION_ERROR' THEN '22023'     -- invalid_parameter_value
                      WHEN 'PERMISSION_DENIED' THEN '42501'    -- insufficient_privilege
                      ELSE 'XX000'                             -- internal_error
                  END;
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
COMMENT ON FUNCTION algawf._act_fail(text, text, text, text) IS
    'Internal: raises an action error with the SQLSTATE the dispatcher maps to code (NOT_FOUND P0002, CONFLICT 23505, VALIDATION_ERROR 22023, PERMISSION_DENIED 42501, else XX000 INTERNAL_ERROR).';

CREATE FUNCTION algawf._act_not_found(what text, id_name text, id text)
    RETURNS void
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT algawf._act_fail('NOT_FOUND', format('%s not found', what), format('%s = %s', id_name, id),
                            format('Check that the %s exists in this tenant.', what));
$$;
COMMENT ON FUNCTION algawf._act_not_found(text, text, text) IS
    'Internal: raises NOT_FOUND "<what> not found" with the id in DETAIL.';

-- ---------------------------------------------------------------------------
-- Call context.

CREATE FUNCTION algawf._act_tenant(ctx jsonb) RETURNS uuid
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf.current_tenant();
BEGIN
    IF t IS NULL OR (ctx ->> 'tenantId') IS DISTINCT FROM t::text THEN
        PERFORM algawf._act_fail('PERMISSION_DENIED', 'the action is not running for a tenant',
                                 format('call context tenant %s, session tenant %s',
                                        coalesce(ctx ->> 'tenantId', 'none'), coalesce(t::text, 'none')));
    END IF;
    RETURN t;
END
$$;
COMMENT ON FUNCTION algawf._act_tenant(jsonb) IS
    'Internal: the tenant the action runs for (algawf.current_tenant(), which must equal ctx.tenantId); PERMISSION_DENIED otherwise.';

CREATE FUNCTION algawf._act_actor(ctx jsonb) RETURNS uuid
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$ SELECT NULLIF(ctx ->> 'actorUserId', '')::uuid $$;
COMMENT ON FUNCTION algawf._act_actor(jsonb) IS 'Internal: the acting PSA user of the call (ctx.actorUserId), or NULL.';

CREATE FUNCTION algawf._act_iso(ts timestamptz) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;
COMMENT ON FUNCTION algawf._act_iso(timestamptz) IS
    'Internal: an RFC 3339 UTC timestamp with microseconds (2024-03-01T09:00:00.000000Z), the date-time format of action outputs; NULL stays NULL.';

CREATE FUNCTION algawf._act_source(ctx jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'source', 'workflow',
        'run_id', ctx ->> 'runId',
        'workflow_id', ctx ->> 'workflowId',
        'step_path', ctx ->> 'stepPath',
        'action', (ctx ->> 'actionId') || '@' || (ctx ->> 'actionVersion'),
        'invocation_id', ctx ->> 'invocationId'))
$$;
COMMENT ON FUNCTION algawf._act_source(jsonb) IS
    'Internal: {source: "workflow", run_id, workflow_id, step_path, action, invocation_id} for metadata columns of rows an action writes.';

-- Alga-style business audit row (psa.audit_logs); the dispatcher's own
-- algawf.audit_log row records who/where, this one records what changed.
CREATE FUNCTION algawf._act_audit(ctx jsonb, table_name text, record_id uuid, changed jsonb,
                                  details jsonb DEFAULT '{}')
    RETURNS void
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO psa.audit_logs (tenant, user_id, operation, table_name, record_id, changed_data, details)
    VALUES (algawf._act_tenant(ctx), algawf._act_actor(ctx),
            'workflow_action:' || (ctx ->> 'actionId'), table_name, record_id::text,
            coalesce(changed, '{}'),
            algawf._act_source(ctx) || jsonb_build_object('action_id', ctx ->> 'actionId',
                                                          'action_version', (ctx ->> 'actionVersion')::integer)
                || coalesce(details, '{}'));
$$;
COMMENT ON FUNCTION algawf._act_audit(jsonb, text, uuid, jsonb, jsonb) IS
    'Internal: writes the psa.audit_logs row of a side effect (operation workflow_action:<action id>, the table and record changed, the change, and run/step/invocation details).';

-- ---------------------------------------------------------------------------
-- Summaries shared by several families.

CREATE FUNCTION algawf._act_client_summary(c psa.clients) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN c.client_id IS NULL THEN NULL ELSE jsonb_build_object(
        'client_id', c.client_id,
        'client_name', c.client_name,
        'client_type', c.client_type,
        'url', c.url,
        'billing_email', c.billing_email,
        'account_manager_id', c.account_manager_id,
        'is_inactive', c.is_inactive,
        'properties', c.properties,
        'created_at', algawf._act_iso(c.created_at),
        'updated_at', algawf._act_iso(c.updated_at)) END
$$;
COMMENT ON FUNCTION algawf._act_client_summary(psa.clients) IS 'Internal: the client summary object of action outputs.';

CREATE FUNCTION algawf._act_contact_summary(c psa.contacts) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN c.contact_name_id IS NULL THEN NULL ELSE jsonb_build_object(
        'contact_name_id', c.contact_name_id,
        'full_name', c.full_name,
        'email', c.email,
        'phone', c.phone_number,
        'role', c.role,
        'client_id', c.client_id,
        'is_inactive', c.is_inactive,
        'created_at', algawf._act_iso(c.created_at),
        'updated_at', algawf._act_iso(c.updated_at)) END
$$;
COMMENT ON FUNCTION algawf._act_contact_summary(psa.contacts) IS 'Internal: the contact summary object of action outputs.';

-- ---------------------------------------------------------------------------
-- Tags: find or create the tag definitions, map them onto an entity.

CREATE FUNCTION algawf._act_tags_add(ctx jsonb, tagged_type text, tagged_id uuid, tags jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    t uuid := algawf._act_tenant(ctx);
    actor uuid := algawf._act_actor(ctx);
    txt text;
    seen text[] := '{}';
    def psa.tag_definitions;
    map_id uuid;
    added jsonb := '[]';
    existing jsonb := '[]';
    h text;
BEGIN
    FOR txt IN SELECT btrim(e) FROM jsonb_array_elements_text(coalesce(tags, '[]')) AS e LOOP
        CONTINUE WHEN txt = '' OR lower(txt) = ANY (seen);
        seen := seen || lower(txt);
        IF length(txt) > 100 THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', 'a tag is longer than 100 characters',
                                     format('tag "%s..."', left(txt, 40)));
        END IF;

        -- an existing definition matches case-insensitively ("vip" reuses "VIP")
        SELECT d.* INTO def FROM psa.tag_definitions d
         WHERE d.tenant = t AND d.tagged_type = _act_tags_add.tagged_type AND lower(d.tag_text) = lower(txt)
         ORDER BY d.tag_text = txt DESC, d.created_at
         LIMIT 1;
        IF NOT FOUND THEN
            h := md5(txt);
            INSERT INTO psa.tag_definitions (tenant, tag_text, tagged_type, background_color, text_color)
            VALUES (t, txt, _act_tags_add.tagged_type,
                    -- a pastel colour derived from the text (stable across tenants)
                    format('#%s%s%s',
                           lpad(to_hex(170 + get_byte(decode(h, 'hex'), 0) / 3), 2, '0'),
                           lpad(to_hex(170 + get_byte(decode(h, 'hex'), 1) / 3), 2, '0'),
                           lpad(to_hex(170 + get_byte(decode(h, 'hex'), 2) / 3), 2, '0')),
                    '#2C3E50')
            ON CONFLICT (tenant, tagged_type, tag_text) DO NOTHING;
            SELECT d.* INTO STRICT def FROM psa.tag_definitions d
             WHERE d.tenant = t AND d.tagged_type = _act_tags_add.tagged_type AND d.tag_text = txt;
        END IF;

        INSERT INTO psa.tag_mappings (tenant, tag_id, tagged_id, tagged_type, created_by)
        VALUES (t, def.tag_id, _act_tags_add.tagged_id, _act_tags_add.tagged_type, actor)
        ON CONFLICT (tenant, tag_id, tagged_id) DO NOTHING
        RETURNING mapping_id INTO map_id;
        IF map_id IS NOT NULL THEN
            added := added || jsonb_build_object('tag_id', def.tag_id, 'tag_text', def.tag_text, 'mapping_id', map_id);
        ELSE
            SELECT m.mapping_id INTO map_id FROM psa.tag_mappings m
             WHERE m.tenant = t AND m.tag_id = def.tag_id AND m.tagged_id = _act_tags_add.tagged_id;
            existing := existing || jsonb_build_object('tag_id', def.tag_id, 'tag_text', def.tag_text, 'mapping_id', map_id);
        END IF;
        map_id := NULL;
    END LOOP;
    RETURN jsonb_build_object('added', added, 'existing', existing);
END
$$;
COMMENT ON FUNCTION algawf._act_tags_add(jsonb, text, uuid, jsonb) IS
    'Internal: maps the tags (a JSON array of strings; trimmed, de-duplicated case-insensitively) onto an entity, creating missing tag definitions; idempotent. Returns {added: [{tag_id, tag_text, mapping_id}], existing: [...]}.';

CREATE FUNCTION algawf._act_tags_of(ctx jsonb, tagged_type text, tagged_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(jsonb_agg(d.tag_text ORDER BY d.tag_text), '[]')
      FROM psa.tag_mappings m
      JOIN psa.tag_definitions d ON d.tenant = m.tenant AND d.tag_id = m.tag_id
     WHERE m.tenant = algawf._act_tenant(ctx) AND m.tagged_type = _act_tags_of.tagged_type
       AND m.tagged_id = _act_tags_of.tagged_id
$$;
COMMENT ON FUNCTION algawf._act_tags_of(jsonb, text, uuid) IS 'Internal: the tag texts mapped onto an entity, sorted.';

-- ---------------------------------------------------------------------------
-- Notes documents (clients.add_note, contacts.add_note): append-only.  A note
-- is a block appended to the document's block_data (BlockNote paragraphs, as
-- Alga stores them) and to its plain-text content; nothing is ever rewritten.

CREATE FUNCTION algawf._act_note_append(ctx jsonb, entity_type text, entity_id uuid, document_id uuid,
                                        document_name text, body text)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    t uuid := algawf._act_tenant(ctx);
    actor uuid := algawf._act_actor(ctx);
    now_ts timestamptz := clock_timestamp();
    block jsonb;
    doc_id uuid := document_id;
    created boolean := false;
    blocks integer;
BEGIN
    IF body IS NULL OR btrim(body) = '' THEN
        PERFORM algawf._act_fail('VALIDATION_ERROR', 'the note body is empty');
    END IF;
    block := jsonb_build_object(
        'id', gen_random_uuid(),
        'type', 'paragraph',
        'props', jsonb_build_object('created_at', algawf._act_iso(now_ts), 'created_by', actor),
        'content', jsonb_build_array(jsonb_build_object('type', 'text', 'text', body)));

    IF doc_id IS NOT NULL THEN
        UPDATE psa.documents d
           SET block_data = CASE WHEN jsonb_typeof(d.block_data) = 'array' THEN d.block_data ELSE '[]' END || block,
               content = CASE WHEN coalesce(d.content, '') = '' THEN body ELSE d.content || E'\n\n' || body END,
               edited_by = actor,
               updated_at = now_ts
         WHERE d.tenant = t AND d.document_id = doc_id
        RETURNING jsonb_array_length(d.block_data) INTO blocks;
        IF NOT FOUND THEN
            doc_id := NULL;     -- dangling reference: start a new document
        END IF;
    END IF;

    IF doc_id IS NULL THEN
        INSERT INTO psa.documents (tenant, document_name, document_type, content, block_data, created_by, edited_by,
                                   entered_at, updated_at)
        VALUES (t, document_name, 'note', body, jsonb_build_array(block), actor, actor, now_ts, now_ts)
        RETURNING psa.documents.document_id INTO doc_id;
        INSERT INTO psa.document_associations (tenant, document_id, entity_id, entity_type)
        VALUES (t, doc_id, _act_note_append.entity_id, _act_note_append.entity_type)
        ON CONFLICT DO NOTHING;
        created := true;
        blocks := 1;
    END IF;

    RETURN jsonb_build_object('document_id', doc_id, 'created_document', created,
                              'note_count', blocks, 'updated_at', algawf._act_iso(now_ts));
END
$$;
COMMENT ON FUNCTION algawf._act_note_append(jsonb, text, uuid, uuid, text, text) IS
    'Internal: appends a note block to an entity''s notes document (creating the document and its association when there is none); returns {document_id, created_document, note_count, updated_at}. The caller stores a new document id on the entity.';

-- ---------------------------------------------------------------------------
-- Ticket comments written by actions.

CREATE FUNCTION algawf._act_ticket_comment(ctx jsonb, ticket_id uuid, body text, is_internal boolean,
                                           is_resolution boolean DEFAULT false, metadata jsonb DEFAULT '{}')
    RETURNS psa.comments
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO psa.comments (tenant, ticket_id, user_id, author_type, note, is_internal, is_resolution, metadata)
    VALUES (algawf._act_tenant(ctx), ticket_id, algawf._act_actor(ctx), 'internal', body,
            coalesce(is_internal, false), coalesce(is_resolution, false),
            algawf._act_source(ctx) || coalesce(metadata, '{}'))
    RETURNING *;
$$;
COMMENT ON FUNCTION algawf._act_ticket_comment(jsonb, uuid, text, boolean, boolean, jsonb) IS
    'Internal: adds a comment to a ticket as the acting user (author_type internal), with the run/step in metadata.';

-- ---------------------------------------------------------------------------
-- Interactions (clients.add_interaction, contacts.add_interaction).

CREATE FUNCTION algawf._act_interaction_create(ctx jsonb, client_id uuid, contact_id uuid, ticket_id uuid,
                                               type_id uuid, title text, notes text,
                                               start_time timestamptz, end_time timestamptz, duration integer,
                                               status_id uuid, interaction_date timestamptz)
    RETURNS psa.interactions
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    t uuid := algawf._act_tenant(ctx);
    st psa.statuses;
    r psa.interactions;
    at_ts timestamptz := coalesce(interaction_date, start_time, clock_timestamp());
BEGIN
    IF NOT EXISTS (SELECT 1 FROM psa.system_interaction_types s WHERE s.type_id = _act_interaction_create.type_id)
       AND NOT EXISTS (SELECT 1 FROM psa.interaction_types it
                        WHERE it.tenant = t AND it.type_id = _act_interaction_create.type_id) THEN
        PERFORM algawf._act_fail('NOT_FOUND', 'interaction type not found', format('type_id = %s', type_id),
                                 'Use a type of psa.system_interaction_types (Call, Email, Meeting, Note) or of the tenant''s psa.interaction_types.');
    END IF;
    IF status_id IS NOT NULL THEN
        SELECT s.* INTO st FROM psa.statuses s WHERE s.tenant = t AND s.status_id = _act_interaction_create.status_id;
        IF NOT FOUND THEN
            PERFORM algawf._act_not_found('status', 'status_id', status_id::text);
        ELSIF st.status_type <> 'interaction' THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('status "%s" is a %s status, not an interaction status', st.name, st.status_type),
                                     format('status_id = %s', status_id));
        END IF;
    ELSE
        SELECT s.* INTO st FROM psa.statuses s
         WHERE s.tenant = t AND s.status_type = 'interaction'
         ORDER BY s.is_default DESC, s.order_number
         LIMIT 1;
    END IF;
    IF start_time IS NOT NULL AND end_time IS NOT NULL AND end_time < start_time THEN
        PERFORM algawf._act_fail('VALIDATION_ERROR', 'end_time is before start_time');
    END IF;

    INSERT INTO psa.interactions (tenant, type_id, contact_name_id, client_id, ticket_id, user_id, title, notes,
                                  interaction_date, start_time, end_time, duration, status_id)
    VALUES (t, type_id, contact_id, client_id, ticket_id, algawf._act_actor(ctx), title, notes,
            at_ts, start_time, end_time, duration, st.status_id)
    RETURNING * INTO r;
    RETURN r;
END
$$;
COMMENT ON FUNCTION algawf._act_interaction_create(jsonb, uuid, uuid, uuid, uuid, text, text, timestamptz, timestamptz, integer, uuid, timestamptz) IS
    'Internal: logs an interaction owned by the acting user after checking its type (system or tenant) and status (interaction status; the default one when not given).';

CREATE FUNCTION algawf._act_interaction_output(r psa.interactions) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'interaction_id', r.interaction_id,
        'client_id', r.client_id,
        'contact_id', r.contact_name_id,
        'ticket_id', r.ticket_id,
        'type_id', r.type_id,
        'status_id', r.status_id,
        'title', r.title,
        'notes', r.notes,
        'interaction_date', algawf._act_iso(r.interaction_date),
        'start_time', algawf._act_iso(r.start_time),
        'end_time', algawf._act_iso(r.end_time),
        'duration', r.duration,
        'user_id', r.user_id)
$$;
COMMENT ON FUNCTION algawf._act_interaction_output(psa.interactions) IS 'Internal: the interaction object of action outputs.';

-- ---------------------------------------------------------------------------
-- Guarded deletes: rows of other tables that still reference a record.
-- Walks the foreign keys that point at the table (skipping ON DELETE CASCADE /
-- SET NULL / SET DEFAULT, which a delete handles by itself), so tables added
-- later are covered without changing the actions.

CREATE FUNCTION algawf._act_dependencies(ctx jsonb, target regclass, id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    fk record;
    n bigint;
    deps jsonb := '[]';
BEGIN
    FOR fk IN
        SELECT c.conrelid::regclass AS rel, c.conname,
               (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = c.conkey[1]) AS tcol,
               (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = c.conkey[2]) AS col
          FROM pg_constraint c
         WHERE c.contype = 'f' AND c.confrelid = target AND c.confdeltype NOT IN ('c', 'n', 'd')
           AND array_length(c.conkey, 1) = 2
         ORDER BY c.conrelid::regclass::text, c.conname
    LOOP
        EXECUTE format('SELECT count(*) FROM %s WHERE %I = $1 AND %I = $2', fk.rel, fk.tcol, fk.col)
           INTO n USING t, id;
        IF n > 0 THEN
            deps := deps || jsonb_build_object('table', fk.rel::text, 'column', fk.col, 'count', n);
        END IF;
    END LOOP;
    RETURN deps;
END
$$;
COMMENT ON FUNCTION algawf._act_dependencies(jsonb, regclass, uuid) IS
    'Internal: [{table, column, count}] of rows (of the current tenant) whose restricting foreign keys reference the record id of target; [] when a delete would not be blocked.';

-- ---------------------------------------------------------------------------
-- Look-ups shared by the clients and contacts families: the row of the
-- current tenant (locked when asked), or NOT_FOUND.

CREATE FUNCTION algawf._act_client_get(ctx jsonb, client_id uuid, for_update boolean DEFAULT false)
    RETURNS psa.clients
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    r psa.clients;
BEGIN
    IF for_update THEN
        SELECT c.* INTO r FROM psa.clients c WHERE c.tenant = t AND c.client_id = _act_client_get.client_id FOR UPDATE;
    ELSE
        SELECT c.* INTO r FROM psa.clients c WHERE c.tenant = t AND c.client_id = _act_client_get.client_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM algawf._act_not_found('client', 'client_id', coalesce(client_id::text, 'null'));
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION algawf._act_client_get(jsonb, uuid, boolean) IS
    'Internal: the client of the current tenant (locked FOR UPDATE when asked), or NOT_FOUND.';

CREATE FUNCTION algawf._act_contact_get(ctx jsonb, contact_id uuid, for_update boolean DEFAULT false)
    RETURNS psa.contacts
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    r psa.contacts;
BEGIN
    IF for_update THEN
        SELECT c.* INTO r FROM psa.contacts c WHERE c.tenant = t AND c.contact_name_id = _act_contact_get.contact_id FOR UPDATE;
    ELSE
        SELECT c.* INTO r FROM psa.contacts c WHERE c.tenant = t AND c.contact_name_id = _act_contact_get.contact_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM algawf._act_not_found('contact', 'contact_id', coalesce(contact_id::text, 'null'));
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION algawf._act_contact_get(jsonb, uuid, boolean) IS
    'Internal: the contact of the current tenant (locked FOR UPDATE when asked), or NOT_FOUND.';

CREATE FUNCTION algawf._act_ticket_get(ctx jsonb, ticket_id uuid, for_update boolean DEFAULT false)
    RETURNS psa.tickets
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    r psa.tickets;
BEGIN
    IF for_update THEN
        SELECT k.* INTO r FROM psa.tickets k WHERE k.tenant = t AND k.ticket_id = _act_ticket_get.ticket_id FOR UPDATE;
    ELSE
        SELECT k.* INTO r FROM psa.tickets k WHERE k.tenant = t AND k.ticket_id = _act_ticket_get.ticket_id;
    END IF;
    IF NOT FOUND THEN
        PERFORM algawf._act_not_found('ticket', 'ticket_id', coalesce(ticket_id::text, 'null'));
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION algawf._act_ticket_get(jsonb, uuid, boolean) IS
    'Internal: the ticket of the current tenant (locked FOR UPDATE when asked), or NOT_FOUND.';

-- An internal, active user of the tenant (assignees, mentions).
CREATE FUNCTION algawf._act_user_check(ctx jsonb, user_id uuid, what text DEFAULT 'user')
    RETURNS psa.users
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    u psa.users;
BEGIN
    SELECT x.* INTO u FROM psa.users x WHERE x.tenant = algawf._act_tenant(ctx) AND x.user_id = _act_user_check.user_id;
    IF NOT FOUND THEN
        PERFORM algawf._act_not_found(what, 'user_id', coalesce(user_id::text, 'null'));
    END IF;
    IF u.is_inactive THEN
        PERFORM algawf._act_fail('VALIDATION_ERROR', format('%s %s is inactive', what, u.username),
                                 format('user_id = %s', user_id), 'Choose an active user.');
    END IF;
    IF u.user_type <> 'internal' THEN
        PERFORM algawf._act_fail('VALIDATION_ERROR', format('%s %s is a client portal user, not MSP staff', what, u.username),
                                 format('user_id = %s', user_id));
    END IF;
    RETURN u;
END
$$;
COMMENT ON FUNCTION algawf._act_user_check(jsonb, uuid, text) IS
    'Internal: the active internal (MSP staff) user of the current tenant, else NOT_FOUND / VALIDATION_ERROR.';
