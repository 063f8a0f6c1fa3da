-- CRM family: activities (psa.interactions), interaction types, activity tags,
-- and quotes (psa.quotes / quote_items / quote_activities) up to conversion
-- into draft contracts and invoices.
--
-- Implementation functions first (algawf._act_crm_<name>(ctx, input)), then
-- their registrations.  Every function runs as algawf_service under
-- row-level security for the run's tenant; ids from the input are looked up
-- in that tenant and reported NOT_FOUND otherwise.  Errors use the SQLSTATEs
-- of algawf._ops_fail (src/sql/algawf/55_action_support_ops.sql).

-- ---------------------------------------------------------------------------
-- shared pieces

-- An activity as actions return it (NULL when it does not exist in the tenant).
CREATE FUNCTION algawf._crm_activity(activity_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'activity_id', i.interaction_id,
        'type_id', i.type_id,
        'type_name', coalesce(it.type_name, sit.type_name),
        'status_id', i.status_id,
        'status_name', st.name,
        'is_closed', coalesce(st.is_closed, false),
        'client_id', i.client_id,
        'client_name', c.client_name,
        'contact_id', i.contact_name_id,
        'contact_name', ct.full_name,
        'ticket_id', i.ticket_id,
        'ticket_number', tk.ticket_number,
        'title', i.title,
        'notes_preview', CASE WHEN length(n.flat) > 180 THEN left(n.flat, 180) || '…' ELSE nullif(n.flat, '') END,
        'interaction_date', algawf._ops_iso(i.interaction_date),
        'start_time', algawf._ops_iso(i.start_time),
        'end_time', algawf._ops_iso(i.end_time),
        'duration', i.duration,
        'user_id', i.user_id,
        'user_name', algawf._ops_user_name(u),
        'tags', coalesce((SELECT jsonb_agg(td.tag_text ORDER BY td.tag_text)
                            FROM psa.tag_mappings tm
                            JOIN psa.tag_definitions td ON td.tenant = tm.tenant AND td.tag_id = tm.tag_id
                           WHERE tm.tenant = i.tenant AND tm.tagged_type = 'interaction'
                             AND tm.tagged_id = i.interaction_id), '[]'))
      FROM psa.interactions i
      CROSS JOIN LATERAL (SELECT btrim(regexp_replace(coalesce(i.notes, ''), '\s+', ' ', 'g')) AS flat) n
      LEFT JOIN psa.interaction_types it ON it.tenant = i.tenant AND it.type_id = i.type_id
      LEFT JOIN psa.system_interaction_types sit ON sit.type_id = i.type_id
      LEFT JOIN psa.statuses st ON st.tenant = i.tenant AND st.status_id = i.status_id
      LEFT JOIN psa.clients c ON c.tenant = i.tenant AND c.client_id = i.client_id
      LEFT JOIN psa.contacts ct ON ct.tenant = i.tenant AND ct.contact_name_id = i.contact_name_id
      LEFT JOIN psa.tickets tk ON tk.tenant = i.tenant AND tk.ticket_id = i.ticket_id
      LEFT JOIN psa.users u ON u.tenant = i.tenant AND u.user_id = i.user_id
     WHERE i.tenant = (SELECT algawf.current_tenant()) AND i.interaction_id = $1
$$;
COMMENT ON FUNCTION algawf._crm_activity(uuid) IS
    'Internal: an activity (psa.interactions row) with its type, status, client, contact, ticket, user and tags, as CRM actions return it.';

-- The activity or NOT_FOUND.
CREATE FUNCTION algawf._crm_activity_required(activity_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a jsonb := algawf._crm_activity(activity_id);
BEGIN
    IF a IS NULL THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('activity %s not found', activity_id), NULL,
                                 'Use an activity_id (psa.interactions.interaction_id) of this tenant, e.g. from crm.find_activities.');
    END IF;
    RETURN a;
END
$$;
COMMENT ON FUNCTION algawf._crm_activity_required(uuid) IS 'Internal: algawf._crm_activity(), NOT_FOUND when the activity is not in the tenant.';

-- A system or tenant interaction type, else NOT_FOUND.
CREATE FUNCTION algawf._crm_interaction_type(type_id uuid, field text) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    name text;
BEGIN
    SELECT s.type_name INTO name FROM psa.system_interaction_types s WHERE s.type_id = _crm_interaction_type.type_id;
    IF name IS NULL THEN
        SELECT t.type_name INTO name FROM psa.interaction_types t
         WHERE t.tenant = (SELECT algawf.current_tenant()) AND t.type_id = _crm_interaction_type.type_id;
    END IF;
    IF name IS NULL THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('%s: interaction type %s not found', field, type_id), NULL,
                                 'Use a type_id of psa.system_interaction_types (Call, Email, Meeting, Note) or of the tenant''s psa.interaction_types.');
    END IF;
    RETURN name;
END
$$;
COMMENT ON FUNCTION algawf._crm_interaction_type(uuid, text) IS
    'Internal: the name of a system or tenant interaction type; NOT_FOUND otherwise.';

-- Puts tags on an activity (creating tag definitions of tagged_type
-- interaction as needed, matching existing ones case-insensitively); returns
-- the tags that were not on it yet.
CREATE FUNCTION algawf._crm_tag_activity(activity_id uuid, tags text[], actor uuid) RETURNS text[]
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    tag text;
    existing text;
    tid uuid;
    added text[] := '{}';
BEGIN
    FOREACH tag IN ARRAY coalesce(tags, '{}') LOOP
        tag := btrim(tag);
        CONTINUE WHEN tag = '';
        IF length(tag) > 100 THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', format('tag "%s..." is longer than 100 characters', left(tag, 20)));
        END IF;
        SELECT d.tag_id, d.tag_text INTO tid, existing FROM psa.tag_definitions d
         WHERE d.tenant = t AND d.tagged_type = 'interaction' AND lower(d.tag_text) = lower(tag)
         ORDER BY d.created_at LIMIT 1;
        tag := coalesce(existing, tag);
        IF tid IS NULL THEN
            INSERT INTO psa.tag_definitions (tenant, tag_text, tagged_type)
            VALUES (t, tag, 'interaction')
            ON CONFLICT (tenant, tagged_type, tag_text) DO UPDATE SET tag_text = EXCLUDED.tag_text
            RETURNING tag_id INTO tid;
        END IF;
        INSERT INTO psa.tag_mappings (tenant, tag_id, tagged_id, tagged_type, created_by)
        VALUES (t, tid, activity_id, 'interaction', actor)
        ON CONFLICT (tenant, tag_id, tagged_id) DO NOTHING;
        IF FOUND AND NOT tag = ANY (added) THEN
            added := added || tag;
        END IF;
        tid := NULL;
    END LOOP;
    RETURN added;
END
$$;
COMMENT ON FUNCTION algawf._crm_tag_activity(uuid, text[], uuid) IS
    'Internal: tags an activity (tag definitions of tagged_type interaction are created as needed); returns the tags newly put on it.';

-- A quote as actions return it (NULL when it does not exist in the tenant).
CREATE FUNCTION algawf._crm_quote(quote_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'quote_id', q.quote_id,
        'quote_number', q.quote_number,
        'status', q.status,
        'client_id', q.client_id,
        'client_name', c.client_name,
        'contact_id', q.contact_name_id,
        'title', q.title,
        'quote_date', q.quote_date,
        'valid_until', q.valid_until,
        'currency_code', q.currency_code,
        'subtotal', q.subtotal,
        'tax', q.tax,
        'total_amount', q.total_amount,
        'sent_at', algawf._ops_iso(q.sent_at),
        'item_count', (SELECT count(*) FROM psa.quote_items qi WHERE qi.tenant = q.tenant AND qi.quote_id = q.quote_id))
      FROM psa.quotes q
      LEFT JOIN psa.clients c ON c.tenant = q.tenant AND c.client_id = q.client_id
     WHERE q.tenant = (SELECT algawf.current_tenant()) AND q.quote_id = $1
$$;
COMMENT ON FUNCTION algawf._crm_quote(uuid) IS 'Internal: a quote summary (number, status, client, amounts in cents) as CRM actions return it.';

-- The quote row, locked for update, or NOT_FOUND.
CREATE FUNCTION algawf._crm_quote_for_update(quote_id uuid) RETURNS psa.quotes
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q psa.quotes;
BEGIN
    SELECT * INTO q FROM psa.quotes x
     WHERE x.tenant = (SELECT algawf.current_tenant()) AND x.quote_id = _crm_quote_for_update.quote_id
       FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('quote %s not found', quote_id), NULL,
                                 'Use a quote_id of this tenant, e.g. from crm.find_quotes or crm.create_quote.');
    END IF;
    RETURN q;
END
$$;
COMMENT ON FUNCTION algawf._crm_quote_for_update(uuid) IS 'Internal: locks and returns a quote of the current tenant; NOT_FOUND otherwise.';

-- Whether the tenant requires approval before a quote of this total is sent:
-- psa.tenants.settings -> 'quote_approval_required' (boolean) or
-- 'quote_approval_threshold' (cents: totals at or above it need approval).
CREATE FUNCTION algawf._crm_quote_needs_approval(total_amount bigint) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((
        SELECT coalesce((tn.settings ->> 'quote_approval_required')::boolean, false)
               OR (jsonb_typeof(tn.settings -> 'quote_approval_threshold') = 'number'
                   AND $1 >= (tn.settings ->> 'quote_approval_threshold')::numeric)
          FROM psa.tenants tn
         WHERE tn.tenant = (SELECT algawf.current_tenant())), false)
$$;
COMMENT ON FUNCTION algawf._crm_quote_needs_approval(bigint) IS
    'Internal: the tenant''s quote approval rule (psa.tenants.settings quote_approval_required, quote_approval_threshold in cents) applied to a quote total.';

CREATE FUNCTION algawf._crm_quote_activity(q psa.quotes, activity_type text, description text, actor uuid, metadata jsonb)
    RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO psa.quote_activities (tenant, quote_id, activity_type, description, performed_by, metadata)
    VALUES (q.tenant, q.quote_id, activity_type, description, actor, metadata);
$$;
COMMENT ON FUNCTION algawf._crm_quote_activity(psa.quotes, text, text, uuid, jsonb) IS 'Internal: appends a psa.quote_activities row.';

-- ---------------------------------------------------------------------------
-- crm.create_activity_note

CREATE FUNCTION algawf._act_crm_create_activity_note(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    actor uuid := algawf._ops_actor(ctx);
    target_type text := input #>> '{target,type}';
    target_id uuid := (input #>> '{target,id}')::uuid;
    client_id uuid;
    contact_id uuid;
    ticket_id uuid;
    summary jsonb;
    type_id uuid;
    note_id uuid;
    added text[];
    r record;
BEGIN
    PERFORM algawf._ops_user(actor, 'actor');
    IF target_type = 'client' THEN
        SELECT c.client_id, c.client_name INTO r FROM psa.clients c WHERE c.tenant = t AND c.client_id = target_id;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('target.id: client %s not found', target_id));
        END IF;
        client_id := r.client_id;
        summary := jsonb_build_object('client_id', r.client_id, 'client_name', r.client_name);
    ELSIF target_type = 'contact' THEN
        SELECT c.contact_name_id, c.full_name, c.email, c.client_id INTO r
          FROM psa.contacts c WHERE c.tenant = t AND c.contact_name_id = target_id;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('target.id: contact %s not found', target_id));
        END IF;
        contact_id := r.contact_name_id;
        client_id := r.client_id;
        summary := jsonb_build_object('contact_id', r.contact_name_id, 'full_name', r.full_name,
                                      'email', r.email, 'client_id', r.client_id);
    ELSE
        SELECT k.ticket_id, k.ticket_number, k.title, k.client_id, k.contact_name_id INTO r
          FROM psa.tickets k WHERE k.tenant = t AND k.ticket_id = target_id;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('target.id: ticket %s not found', target_id));
        END IF;
        ticket_id := r.ticket_id;
        client_id := r.client_id;
        contact_id := r.contact_name_id;
        summary := jsonb_build_object('ticket_id', r.ticket_id, 'ticket_number', r.ticket_number,
                                      'title', r.title, 'client_id', r.client_id);
    END IF;

    IF input ? 'type_id' THEN
        type_id := (input ->> 'type_id')::uuid;
        PERFORM algawf._crm_interaction_type(type_id, 'type_id');
    ELSE
        SELECT s.type_id INTO STRICT type_id FROM psa.system_interaction_types s WHERE s.type_name = 'Note';
    END IF;

    INSERT INTO psa.interactions (tenant, type_id, contact_name_id, client_id, ticket_id, user_id, title, notes,
                                  interaction_date, start_time, end_time, duration)
    VALUES (t, type_id, contact_id, client_id, ticket_id, actor,
            coalesce(nullif(btrim(input ->> 'title'), ''), 'Note'), input ->> 'body',
            now(), now(), now(), 0)
    RETURNING interaction_id INTO note_id;

    IF jsonb_typeof(input -> 'tags') = 'array' THEN
        added := algawf._crm_tag_activity(note_id, ARRAY(SELECT jsonb_array_elements_text(input -> 'tags')), actor);
    END IF;

    PERFORM algawf._ops_audit(ctx, 'interactions', note_id::text,
        jsonb_build_object('interaction_id', note_id, 'target', input -> 'target', 'type_id', type_id,
                           'tags', to_jsonb(coalesce(added, '{}'))));

    RETURN jsonb_build_object(
        'note_id', note_id,
        'activity_id', note_id,
        'created_at', algawf._ops_iso(now()),
        'target_type', target_type,
        'target_id', target_id,
        'client_id', client_id,
        'contact_id', contact_id,
        'ticket_id', ticket_id,
        'target_summary', summary,
        'tags', to_jsonb(coalesce(added, '{}')));
END
$$;
COMMENT ON FUNCTION algawf._act_crm_create_activity_note(jsonb, jsonb) IS
    'Implementation of crm.create_activity_note: a Note interaction on a client, contact or ticket, with optional tags.';

-- ---------------------------------------------------------------------------
-- crm.find_activities

CREATE FUNCTION algawf._act_crm_find_activities(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    f_client uuid := (input ->> 'client_id')::uuid;
    f_contact uuid := (input ->> 'contact_id')::uuid;
    f_ticket uuid := (input ->> 'ticket_id')::uuid;
    f_user uuid := (input ->> 'user_id')::uuid;
    f_type uuid := (input ->> 'type_id')::uuid;
    f_status uuid := (input ->> 'status_id')::uuid;
    f_tag text := nullif(btrim(input ->> 'tag'), '');
    d_from timestamptz := (input ->> 'date_from')::timestamptz;
    d_to timestamptz := (input ->> 'date_to')::timestamptz;
    lim int := least(greatest(coalesce((input ->> 'limit')::int, 25), 1), 200);
    found_rows jsonb;
BEGIN
    IF num_nulls(f_client, f_contact, f_ticket, f_user, f_type, f_status, f_tag, d_from, d_to) = 9 THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'at least one filter or a date range is required', NULL,
                                 'Give client_id, contact_id, ticket_id, user_id, type_id, status_id, tag, date_from or date_to.');
    END IF;
    IF d_from > d_to THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'date_from must not be after date_to');
    END IF;

    SELECT coalesce(jsonb_agg(algawf._crm_activity(x.interaction_id) ORDER BY x.interaction_date DESC, x.interaction_id), '[]')
      INTO found_rows
      FROM (SELECT i.interaction_id, i.interaction_date
              FROM psa.interactions i
             WHERE i.tenant = t
               AND (f_client IS NULL OR i.client_id = f_client)
               AND (f_contact IS NULL OR i.contact_name_id = f_contact)
               AND (f_ticket IS NULL OR i.ticket_id = f_ticket)
               AND (f_user IS NULL OR i.user_id = f_user)
               AND (f_type IS NULL OR i.type_id = f_type)
               AND (f_status IS NULL OR i.status_id = f_status)
               AND (d_from IS NULL OR i.interaction_date >= d_from)
               AND (d_to IS NULL OR i.interaction_date <= d_to)
               AND (f_tag IS NULL OR EXISTS (
                        SELECT 1 FROM psa.tag_mappings tm
                          JOIN psa.tag_definitions td ON td.tenant = tm.tenant AND td.tag_id = tm.tag_id
                         WHERE tm.tenant = i.tenant AND tm.tagged_type = 'interaction'
                           AND tm.tagged_id = i.interaction_id AND lower(td.tag_text) = lower(f_tag)))
             ORDER BY i.interaction_date DESC, i.interaction_id
             LIMIT lim) x;

    IF jsonb_array_length(found_rows) = 0 AND input ->> 'on_empty' = 'error' THEN
        PERFORM algawf._ops_fail('NOT_FOUND', 'no CRM activities matched the filters', NULL,
                                 'Widen the filters, or use on_empty "return_empty" to get an empty list.');
    END IF;

    RETURN jsonb_build_object(
        'activities', found_rows,
        'count', jsonb_array_length(found_rows),
        'limit', lim,
        'matched_filters', jsonb_build_object(
            'client_id', f_client, 'contact_id', f_contact, 'ticket_id', f_ticket, 'user_id', f_user,
            'type_id', f_type, 'status_id', f_status, 'tag', f_tag,
            'date_from', algawf._ops_iso(d_from), 'date_to', algawf._ops_iso(d_to)));
END
$$;
COMMENT ON FUNCTION algawf._act_crm_find_activities(jsonb, jsonb) IS
    'Implementation of crm.find_activities: activities matching at least one filter or a date range, newest first, at most 200.';

-- ---------------------------------------------------------------------------
-- crm.update_activity

CREATE FUNCTION algawf._act_crm_update_activity(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    id uuid := (input ->> 'activity_id')::uuid;
    patch jsonb := coalesce(input -> 'patch', '{}');
    before_sum jsonb;
    after_sum jsonb;
    before_row jsonb;
    after_row jsonb;
    cur psa.interactions;
    new_start timestamptz;
    new_end timestamptz;
    changed text[];
BEGIN
    IF jsonb_typeof(patch) <> 'object' OR NOT EXISTS (SELECT 1 FROM jsonb_object_keys(patch)) THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'patch must change at least one field', NULL,
                                 'Editable fields: title, notes, status_id, type_id, interaction_date, start_time, end_time, duration.');
    END IF;

    SELECT * INTO cur FROM psa.interactions i WHERE i.tenant = t AND i.interaction_id = id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('activity %s not found', id));
    END IF;
    before_sum := algawf._crm_activity(id);
    before_row := to_jsonb(cur);

    IF patch ? 'status_id' AND jsonb_typeof(patch -> 'status_id') = 'string' THEN
        PERFORM algawf._ops_status((patch ->> 'status_id')::uuid, 'interaction', 'patch.status_id');
    END IF;
    IF patch ? 'type_id' THEN
        PERFORM algawf._crm_interaction_type((patch ->> 'type_id')::uuid, 'patch.type_id');
    END IF;

    new_start := CASE WHEN patch ? 'start_time' THEN (patch ->> 'start_time')::timestamptz ELSE cur.start_time END;
    new_end := CASE WHEN patch ? 'end_time' THEN (patch ->> 'end_time')::timestamptz ELSE cur.end_time END;
    IF new_start > new_end THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'start_time must not be after end_time',
                                 format('start_time %s, end_time %s', algawf._ops_iso(new_start), algawf._ops_iso(new_end)));
    END IF;

    UPDATE psa.interactions i SET
        title = CASE WHEN patch ? 'title' THEN patch ->> 'title' ELSE i.title END,
        notes = CASE WHEN patch ? 'notes' THEN patch ->> 'notes' ELSE i.notes END,
        status_id = CASE WHEN patch ? 'status_id' THEN (patch ->> 'status_id')::uuid ELSE i.status_id END,
        type_id = CASE WHEN patch ? 'type_id' THEN (patch ->> 'type_id')::uuid ELSE i.type_id END,
        interaction_date = CASE WHEN patch ? 'interaction_date' THEN (patch ->> 'interaction_date')::timestamptz
                                ELSE i.interaction_date END,
        start_time = new_start,
        end_time = new_end,
        -- a new start or end re-derives the duration unless the patch gives one
        duration = CASE WHEN patch ? 'duration' THEN (patch ->> 'duration')::int
                        WHEN (patch ? 'start_time' OR patch ? 'end_time') THEN NULL
                        ELSE i.duration END
     WHERE i.tenant = t AND i.interaction_id = id
    RETURNING to_jsonb(i.*) INTO after_row;

    SELECT coalesce(array_agg(k ORDER BY k), '{}') INTO changed
      FROM unnest(ARRAY['title', 'notes', 'status_id', 'type_id', 'interaction_date', 'start_time', 'end_time', 'duration']) k
     WHERE (before_row -> k) IS DISTINCT FROM (after_row -> k);
    after_sum := algawf._crm_activity(id);

    PERFORM algawf._ops_audit(ctx, 'interactions', id::text, jsonb_build_object(
        'activity_id', id, 'changed_fields', to_jsonb(changed), 'reason', input ->> 'reason',
        'before', (SELECT jsonb_object_agg(k, before_row -> k) FROM unnest(changed) k),
        'after', (SELECT jsonb_object_agg(k, after_row -> k) FROM unnest(changed) k)));

    RETURN jsonb_build_object('activity_before', before_sum, 'activity_after', after_sum,
                              'changed_fields', to_jsonb(changed));
END
$$;
COMMENT ON FUNCTION algawf._act_crm_update_activity(jsonb, jsonb) IS
    'Implementation of crm.update_activity: patches an activity (status and type validated) and returns it before and after with the changed fields.';

-- ---------------------------------------------------------------------------
-- crm.schedule_activity

CREATE FUNCTION algawf._act_crm_schedule_activity(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
<<fn>>
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    actor uuid := algawf._ops_actor(ctx);
    client_id uuid := (input ->> 'client_id')::uuid;
    contact_id uuid := (input ->> 'contact_id')::uuid;
    ticket_id uuid := (input ->> 'ticket_id')::uuid;
    type_id uuid := (input ->> 'type_id')::uuid;
    status_id uuid := (input ->> 'status_id')::uuid;
    owner_id uuid := coalesce((input ->> 'assigned_user_id')::uuid, actor);
    start_ts timestamptz := (input ->> 'start_time')::timestamptz;
    end_ts timestamptz := (input ->> 'end_time')::timestamptz;
    minutes int := (input ->> 'duration')::int;
    type_name text;
    r record;
    id uuid;
    activity jsonb;
    emitted boolean;
BEGIN
    IF start_ts <= now() THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'start_time must be in the future',
                                 format('start_time %s is not after now (%s)', algawf._ops_iso(start_ts), algawf._ops_iso(now())),
                                 'Use crm.create_activity_note to log something that already happened.');
    END IF;
    IF end_ts IS NOT NULL AND end_ts < start_ts THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'end_time must not be before start_time');
    END IF;
    IF end_ts IS NOT NULL AND minutes IS NOT NULL
       AND minutes <> (extract(epoch FROM end_ts - start_ts) / 60)::int THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'duration does not match start_time and end_time', NULL,
                                 'Give end_time or duration; the other is derived.');
    END IF;
    IF end_ts IS NULL THEN
        end_ts := start_ts + make_interval(mins => coalesce(minutes, 0));
    END IF;
    minutes := coalesce(minutes, (extract(epoch FROM end_ts - start_ts) / 60)::int);

    IF contact_id IS NOT NULL THEN
        SELECT c.client_id INTO r FROM psa.contacts c WHERE c.tenant = t AND c.contact_name_id = contact_id;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('contact_id: contact %s not found', contact_id));
        END IF;
        IF client_id IS NOT NULL AND r.client_id IS DISTINCT FROM client_id THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', 'contact_id does not belong to client_id');
        END IF;
        client_id := coalesce(client_id, r.client_id);
    END IF;
    IF client_id IS NULL THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'a client is required: give client_id, or a contact_id of a client');
    END IF;
    PERFORM 1 FROM psa.clients c WHERE c.tenant = t AND c.client_id = fn.client_id;
    IF NOT FOUND THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('client_id: client %s not found', client_id));
    END IF;
    IF ticket_id IS NOT NULL THEN
        SELECT k.client_id, k.contact_name_id INTO r FROM psa.tickets k WHERE k.tenant = t AND k.ticket_id = fn.ticket_id;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('ticket_id: ticket %s not found', ticket_id));
        END IF;
        IF r.client_id IS NOT NULL AND r.client_id <> client_id THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', 'ticket_id belongs to another client');
        END IF;
    END IF;

    type_name := algawf._crm_interaction_type(type_id, 'type_id');
    IF status_id IS NULL THEN
        status_id := algawf._ops_default_status('interaction');
        IF status_id IS NULL THEN
            PERFORM algawf._ops_fail('INTERNAL_ERROR', 'no default interaction status is configured', NULL,
                                     'Mark one psa.statuses row of status_type interaction is_default, or pass status_id.');
        END IF;
    ELSE
        PERFORM algawf._ops_status(status_id, 'interaction', 'status_id');
    END IF;
    PERFORM algawf._ops_user(owner_id, 'assigned_user_id');

    INSERT INTO psa.interactions (tenant, type_id, contact_name_id, client_id, ticket_id, user_id, title, notes,
                                  interaction_date, start_time, end_time, duration, status_id)
    VALUES (t, type_id, contact_id, client_id, ticket_id, owner_id, input ->> 'title', input ->> 'notes',
            start_ts, start_ts, end_ts, minutes, status_id)
    RETURNING interaction_id INTO id;

    IF jsonb_typeof(input -> 'tags') = 'array' THEN
        PERFORM algawf._crm_tag_activity(id, ARRAY(SELECT jsonb_array_elements_text(input -> 'tags')), actor);
    END IF;
    activity := algawf._crm_activity(id);

    -- INTERACTION_LOGGED: psa.interactions emits it itself when algawf's event
    -- triggers are attached to it; otherwise the action emits it
    IF algawf._ops_table_emits('psa.interactions') THEN
        emitted := true;
    ELSE
        emitted := algawf._ops_emit('INTERACTION_LOGGED', jsonb_strip_nulls(jsonb_build_object(
            'tenantId', t,
            'occurredAt', algawf._ops_iso(now()),
            'actorUserId', algawf._ops_actor(ctx),
            'actorType', 'USER',
            'interactionId', id,
            'clientId', client_id,
            'contactId', contact_id,
            'ticketId', ticket_id,
            'interactionType', type_name,
            'channel', lower(type_name),
            'interactionOccurredAt', activity ->> 'interaction_date',
            'loggedByUserId', owner_id,
            'subject', input ->> 'title',
            'outcome', activity ->> 'status_name',
            'durationMinutes', minutes)), id::text);
    END IF;

    PERFORM algawf._ops_audit(ctx, 'interactions', id::text, jsonb_build_object(
        'activity_id', id, 'client_id', client_id, 'contact_id', contact_id, 'ticket_id', ticket_id,
        'status_id', status_id, 'type_id', type_id, 'start_time', algawf._ops_iso(start_ts),
        'end_time', algawf._ops_iso(end_ts), 'duration', minutes, 'assigned_user_id', owner_id));

    RETURN jsonb_build_object('activity', activity, 'event_emitted', emitted);
END
$$;
COMMENT ON FUNCTION algawf._act_crm_schedule_activity(jsonb, jsonb) IS
    'Implementation of crm.schedule_activity: a future interaction with a client/contact (default status, derived duration); emits INTERACTION_LOGGED.';

-- ---------------------------------------------------------------------------
-- crm.create_interaction_type

CREATE FUNCTION algawf._act_crm_create_interaction_type(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    name text := regexp_replace(btrim(input ->> 'type_name'), '\s+', ' ', 'g');
    r psa.interaction_types;
    created boolean := false;
BEGIN
    IF name = '' THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'type_name must not be blank');
    END IF;
    IF EXISTS (SELECT 1 FROM psa.system_interaction_types s WHERE lower(s.type_name) = lower(name)) THEN
        PERFORM algawf._ops_fail('CONFLICT', format('"%s" is a built-in interaction type', name), NULL,
                                 'Use the system type (psa.system_interaction_types) or choose another name.');
    END IF;
    SELECT * INTO r FROM psa.interaction_types x WHERE x.tenant = t AND lower(x.type_name) = lower(name);
    IF NOT FOUND THEN
        INSERT INTO psa.interaction_types (tenant, type_name, icon, display_order, created_by)
        VALUES (t, name, input ->> 'icon', coalesce((input ->> 'display_order')::int, 0), algawf._ops_actor(ctx))
        RETURNING * INTO r;
        created := true;
        PERFORM algawf._ops_audit(ctx, 'interaction_types', r.type_id::text,
                                  jsonb_build_object('type_id', r.type_id, 'type_name', r.type_name));
    END IF;
    RETURN jsonb_build_object(
        'interaction_type', jsonb_build_object('type_id', r.type_id, 'type_name', r.type_name, 'icon', r.icon,
                                               'display_order', r.display_order, 'is_system', false),
        'created', created);
END
$$;
COMMENT ON FUNCTION algawf._act_crm_create_interaction_type(jsonb, jsonb) IS
    'Implementation of crm.create_interaction_type: a tenant interaction type; an existing one of the same name (any case) is returned with created = false.';

-- ---------------------------------------------------------------------------
-- crm.update_activity_status

CREATE FUNCTION algawf._act_crm_update_activity_status(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    id uuid := (input ->> 'activity_id')::uuid;
    cur psa.interactions;
    prev psa.statuses;
    st psa.statuses;
BEGIN
    SELECT * INTO cur FROM psa.interactions i WHERE i.tenant = t AND i.interaction_id = id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('activity %s not found', id));
    END IF;
    IF input ? 'status_id' THEN
        st := algawf._ops_status((input ->> 'status_id')::uuid, 'interaction', 'status_id');
    ELSE
        SELECT * INTO st FROM psa.statuses s
         WHERE s.tenant = t AND s.status_type = 'interaction' AND lower(s.name) = lower(btrim(input ->> 'status_name'));
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('status_name: no interaction status named "%s"', input ->> 'status_name'),
                NULL, 'The tenant''s interaction statuses: ' ||
                      coalesce((SELECT string_agg(s.name, ', ' ORDER BY s.order_number) FROM psa.statuses s
                                 WHERE s.tenant = t AND s.status_type = 'interaction'), '(none)'));
        END IF;
    END IF;
    SELECT * INTO prev FROM psa.statuses s WHERE s.tenant = t AND s.status_id = cur.status_id;

    IF cur.status_id IS DISTINCT FROM st.status_id THEN
        UPDATE psa.interactions i SET status_id = st.status_id WHERE i.tenant = t AND i.interaction_id = id;
        PERFORM algawf._ops_audit(ctx, 'interactions', id::text, jsonb_build_object(
            'activity_id', id, 'before', jsonb_build_object('status_id', cur.status_id),
            'after', jsonb_build_object('status_id', st.status_id), 'reason', input ->> 'reason'));
    END IF;

    RETURN jsonb_build_object(
        'activity_id', id,
        'previous_status_id', cur.status_id,
        'previous_status_name', prev.name,
        'status_id', st.status_id,
        'status_name', st.name,
        'is_closed', st.is_closed,
        'changed', cur.status_id IS DISTINCT FROM st.status_id);
END
$$;
COMMENT ON FUNCTION algawf._act_crm_update_activity_status(jsonb, jsonb) IS
    'Implementation of crm.update_activity_status: sets an activity''s status (by id or name, interaction statuses only).';

-- ---------------------------------------------------------------------------
-- crm.tag_activity

CREATE FUNCTION algawf._act_crm_tag_activity(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    id uuid := (input ->> 'activity_id')::uuid;
    tags text[] := ARRAY(SELECT jsonb_array_elements_text(input -> 'tags'));
    added text[];
    removed text[] := '{}';
BEGIN
    PERFORM 1 FROM psa.interactions i WHERE i.tenant = t AND i.interaction_id = id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('activity %s not found', id));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM unnest(tags) x WHERE btrim(x) <> '') THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'tags must hold at least one non-blank tag');
    END IF;

    IF coalesce(input ->> 'mode', 'add') = 'replace' THEN
        WITH d AS (
            DELETE FROM psa.tag_mappings tm
             USING psa.tag_definitions td
             WHERE tm.tenant = t AND tm.tagged_type = 'interaction' AND tm.tagged_id = id
               AND td.tenant = tm.tenant AND td.tag_id = tm.tag_id
               AND lower(td.tag_text) <> ALL (ARRAY(SELECT lower(btrim(x)) FROM unnest(tags) x))
            RETURNING td.tag_text)
        SELECT coalesce(array_agg(tag_text ORDER BY tag_text), '{}') INTO removed FROM d;
    END IF;
    added := algawf._crm_tag_activity(id, tags, algawf._ops_actor(ctx));

    IF cardinality(added) > 0 OR cardinality(removed) > 0 THEN
        PERFORM algawf._ops_audit(ctx, 'tag_mappings', id::text, jsonb_build_object(
            'activity_id', id, 'added', to_jsonb(added), 'removed', to_jsonb(removed)));
    END IF;

    RETURN jsonb_build_object(
        'activity_id', id,
        'added', to_jsonb(added),
        'removed', to_jsonb(removed),
        'tags', algawf._crm_activity(id) -> 'tags');
END
$$;
COMMENT ON FUNCTION algawf._act_crm_tag_activity(jsonb, jsonb) IS
    'Implementation of crm.tag_activity: adds tags to an activity (or replaces its tags with mode replace).';

-- ---------------------------------------------------------------------------
-- crm.create_quote

CREATE FUNCTION algawf._act_crm_create_quote(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
<<fn>>
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    actor uuid := algawf._ops_actor(ctx);
    client_id uuid := (input ->> 'client_id')::uuid;
    contact_id uuid := (input ->> 'contact_id')::uuid;
    ticket_id uuid := (input ->> 'ticket_id')::uuid;
    project_id uuid := (input ->> 'project_id')::uuid;
    quote_date date := coalesce((input ->> 'quote_date')::date, current_date);
    valid_until date := coalesce((input ->> 'valid_until')::date,
                                 quote_date + coalesce((input ->> 'valid_days')::int, 30));
    tax_rate numeric := coalesce((input ->> 'tax_rate_percent')::numeric, 0);
    item jsonb;
    n int := 0;
    svc_id uuid;
    svc_name text;
    svc_rate bigint;
    qty numeric;
    price bigint;
    descr text;
    q psa.quotes;
    subtotal bigint := 0;
    r record;
BEGIN
    PERFORM 1 FROM psa.clients c WHERE c.tenant = t AND c.client_id = fn.client_id;
    IF NOT FOUND THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('client_id: client %s not found', client_id));
    END IF;
    IF contact_id IS NOT NULL THEN
        SELECT c.client_id INTO r FROM psa.contacts c WHERE c.tenant = t AND c.contact_name_id = contact_id;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('contact_id: contact %s not found', contact_id));
        END IF;
        IF r.client_id IS DISTINCT FROM client_id THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', 'contact_id does not belong to client_id');
        END IF;
    END IF;
    IF ticket_id IS NOT NULL THEN
        PERFORM 1 FROM psa.tickets k WHERE k.tenant = t AND k.ticket_id = fn.ticket_id;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('ticket_id: ticket %s not found', ticket_id));
        END IF;
    END IF;
    IF project_id IS NOT NULL THEN
        PERFORM 1 FROM psa.projects p WHERE p.tenant = t AND p.project_id = fn.project_id;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('project_id: project %s not found', project_id));
        END IF;
    END IF;
    IF valid_until < quote_date THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'valid_until must not be before quote_date');
    END IF;

    INSERT INTO psa.quotes (tenant, client_id, contact_name_id, title, description, status, quote_date, valid_until,
                            currency_code, ticket_id, project_id, created_by)
    VALUES (t, client_id, contact_id, input ->> 'title', input ->> 'description', 'draft', quote_date, valid_until,
            coalesce(input ->> 'currency_code', 'USD'), ticket_id, project_id, actor)
    RETURNING * INTO q;

    FOR item IN SELECT value FROM jsonb_array_elements(coalesce(input -> 'items', '[]')) LOOP
        n := n + 1;
        svc_id := NULL;
        svc_name := NULL;
        svc_rate := NULL;
        IF item ? 'service_id' THEN
            SELECT s.service_id, s.service_name, s.default_rate INTO svc_id, svc_name, svc_rate
              FROM psa.service_catalog s WHERE s.tenant = t AND s.service_id = (item ->> 'service_id')::uuid;
            IF NOT FOUND THEN
                PERFORM algawf._ops_fail('NOT_FOUND', format('items[%s].service_id: service %s not found', n - 1, item ->> 'service_id'));
            END IF;
        END IF;
        descr := coalesce(nullif(btrim(item ->> 'description'), ''), svc_name);
        IF descr IS NULL THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', format('items[%s] needs a description or a service_id', n - 1));
        END IF;
        qty := coalesce((item ->> 'quantity')::numeric, 1);
        price := coalesce((item ->> 'unit_price')::bigint, svc_rate, 0);
        INSERT INTO psa.quote_items (tenant, quote_id, service_id, description, quantity, unit_price, total_price,
                                     is_optional, display_order)
        VALUES (t, q.quote_id, svc_id, descr, qty, price, round(qty * price)::bigint,
                coalesce((item ->> 'is_optional')::boolean, false), n);
        IF NOT coalesce((item ->> 'is_optional')::boolean, false) THEN
            subtotal := subtotal + round(qty * price)::bigint;
        END IF;
    END LOOP;

    UPDATE psa.quotes x SET subtotal = fn.subtotal,
                            tax = round(fn.subtotal * tax_rate / 100)::bigint,
                            total_amount = fn.subtotal + round(fn.subtotal * tax_rate / 100)::bigint
     WHERE x.tenant = t AND x.quote_id = q.quote_id
    RETURNING * INTO q;

    PERFORM algawf._crm_quote_activity(q, 'created', 'Quote created by a workflow', actor,
                                       jsonb_build_object('workflow_source', 'crm.create_quote', 'run_id', ctx ->> 'runId'));
    PERFORM algawf._ops_audit(ctx, 'quotes', q.quote_id::text, jsonb_build_object(
        'quote_id', q.quote_id, 'quote_number', q.quote_number, 'client_id', client_id,
        'items', n, 'total_amount', q.total_amount));

    RETURN jsonb_build_object(
        'quote', algawf._crm_quote(q.quote_id),
        'items', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'quote_item_id', qi.quote_item_id, 'service_id', qi.service_id, 'description', qi.description,
                        'quantity', qi.quantity, 'unit_price', qi.unit_price, 'total_price', qi.total_price,
                        'is_optional', qi.is_optional) ORDER BY qi.display_order), '[]')
                    FROM psa.quote_items qi WHERE qi.tenant = t AND qi.quote_id = q.quote_id),
        'approval_required', algawf._crm_quote_needs_approval(q.total_amount));
END
$$;
COMMENT ON FUNCTION algawf._act_crm_create_quote(jsonb, jsonb) IS
    'Implementation of crm.create_quote: a draft quote with its items (prices in cents, service default rates) and totals.';

-- ---------------------------------------------------------------------------
-- crm.find_quotes

CREATE FUNCTION algawf._act_crm_find_quotes(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    f_client uuid := (input ->> 'client_id')::uuid;
    f_contact uuid := (input ->> 'contact_id')::uuid;
    f_number text := nullif(btrim(input ->> 'quote_number'), '');
    f_status text[] := CASE jsonb_typeof(input -> 'status')
                         WHEN 'string' THEN ARRAY[input ->> 'status']
                         WHEN 'array' THEN ARRAY(SELECT jsonb_array_elements_text(input -> 'status'))
                       END;
    d_from date := (input ->> 'date_from')::date;
    d_to date := (input ->> 'date_to')::date;
    lim int := least(greatest(coalesce((input ->> 'limit')::int, 25), 1), 100);
    found_rows jsonb;
BEGIN
    IF d_from > d_to THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'date_from must not be after date_to');
    END IF;
    SELECT coalesce(jsonb_agg(algawf._crm_quote(x.quote_id) ORDER BY x.quote_date DESC, x.quote_number DESC), '[]')
      INTO found_rows
      FROM (SELECT q.quote_id, q.quote_date, q.quote_number
              FROM psa.quotes q
             WHERE q.tenant = t
               AND (f_client IS NULL OR q.client_id = f_client)
               AND (f_contact IS NULL OR q.contact_name_id = f_contact)
               AND (f_number IS NULL OR q.quote_number = f_number)
               AND (f_status IS NULL OR q.status = ANY (f_status))
               AND (d_from IS NULL OR q.quote_date >= d_from)
               AND (d_to IS NULL OR q.quote_date <= d_to)
             ORDER BY q.quote_date DESC, q.quote_number DESC
             LIMIT lim) x;
    IF jsonb_array_length(found_rows) = 0 AND input ->> 'on_empty' = 'error' THEN
        PERFORM algawf._ops_fail('NOT_FOUND', 'no quotes matched the filters');
    END IF;
    RETURN jsonb_build_object('quotes', found_rows, 'count', jsonb_array_length(found_rows), 'limit', lim,
                              'first_quote', found_rows -> 0);
END
$$;
COMMENT ON FUNCTION algawf._act_crm_find_quotes(jsonb, jsonb) IS
    'Implementation of crm.find_quotes: quotes by client, contact, number, status and quote date, newest first, at most 100.';

-- ---------------------------------------------------------------------------
-- crm.submit_quote_for_approval

CREATE FUNCTION algawf._act_crm_submit_quote_for_approval(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q psa.quotes := algawf._crm_quote_for_update((input ->> 'quote_id')::uuid);
    actor uuid := algawf._ops_actor(ctx);
    prev text := q.status;
BEGIN
    IF prev = 'pending_approval' THEN
        RETURN jsonb_build_object('quote', algawf._crm_quote(q.quote_id), 'previous_status', prev,
                                  'new_status', prev, 'approval_required', algawf._crm_quote_needs_approval(q.total_amount),
                                  'no_op', true);
    END IF;
    IF prev NOT IN ('draft', 'rejected') THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR',
            format('quote %s is %s: only draft or rejected quotes can be submitted for approval', q.quote_number, prev));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM psa.quote_items qi WHERE qi.tenant = q.tenant AND qi.quote_id = q.quote_id) THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', format('quote %s has no items', q.quote_number), NULL,
                                 'Add items (crm.create_quote items) before submitting the quote.');
    END IF;
    UPDATE psa.quotes x SET status = 'pending_approval' WHERE x.tenant = q.tenant AND x.quote_id = q.quote_id;
    PERFORM algawf._crm_quote_activity(q, 'submitted', coalesce(input ->> 'comment', 'Submitted for approval'), actor,
                                       jsonb_build_object('workflow_source', 'crm.submit_quote_for_approval'));
    PERFORM algawf._ops_audit(ctx, 'quotes', q.quote_id::text, jsonb_build_object(
        'quote_id', q.quote_id, 'before', jsonb_build_object('status', prev),
        'after', jsonb_build_object('status', 'pending_approval')));
    RETURN jsonb_build_object('quote', algawf._crm_quote(q.quote_id), 'previous_status', prev,
                              'new_status', 'pending_approval',
                              'approval_required', algawf._crm_quote_needs_approval(q.total_amount), 'no_op', false);
END
$$;
COMMENT ON FUNCTION algawf._act_crm_submit_quote_for_approval(jsonb, jsonb) IS
    'Implementation of crm.submit_quote_for_approval: draft (or rejected) -> pending_approval; no-op when already pending.';

-- ---------------------------------------------------------------------------
-- crm.approve_quote

CREATE FUNCTION algawf._act_crm_approve_quote(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q psa.quotes := algawf._crm_quote_for_update((input ->> 'quote_id')::uuid);
    actor uuid := algawf._ops_actor(ctx);
    decision text := coalesce(input ->> 'decision', 'approved');
    prev text := q.status;
BEGIN
    IF prev <> 'pending_approval' THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR',
            format('quote %s is %s: only quotes pending approval can be approved or rejected', q.quote_number, prev),
            NULL, 'Submit it first with crm.submit_quote_for_approval.');
    END IF;
    UPDATE psa.quotes x SET status = decision WHERE x.tenant = q.tenant AND x.quote_id = q.quote_id;
    PERFORM algawf._crm_quote_activity(q, decision, coalesce(input ->> 'comment', initcap(decision)), actor,
                                       jsonb_build_object('workflow_source', 'crm.approve_quote'));
    PERFORM algawf._ops_audit(ctx, 'quotes', q.quote_id::text, jsonb_build_object(
        'quote_id', q.quote_id, 'before', jsonb_build_object('status', prev),
        'after', jsonb_build_object('status', decision), 'comment', input ->> 'comment'));
    RETURN jsonb_build_object('quote', algawf._crm_quote(q.quote_id), 'previous_status', prev, 'new_status', decision);
END
$$;
COMMENT ON FUNCTION algawf._act_crm_approve_quote(jsonb, jsonb) IS
    'Implementation of crm.approve_quote: records the approval decision on a quote pending approval (approved or rejected).';

-- ---------------------------------------------------------------------------
-- crm.send_quote

CREATE FUNCTION algawf._act_crm_send_quote(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q psa.quotes := algawf._crm_quote_for_update((input ->> 'quote_id')::uuid);
    actor uuid := algawf._ops_actor(ctx);
    prev text := q.status;
    needs_approval boolean := algawf._crm_quote_needs_approval(q.total_amount);
    recipients text[];
    email jsonb;
    subject text;
    message text;
BEGIN
    IF prev = 'sent' THEN
        IF NOT coalesce((input ->> 'no_op_if_already_sent')::boolean, true) THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', format('quote %s was already sent', q.quote_number), NULL,
                                     'Pass no_op_if_already_sent: true to accept this as success.');
        END IF;
        RETURN jsonb_build_object('quote', algawf._crm_quote(q.quote_id), 'previous_status', prev, 'new_status', prev,
                                  'sent_at', algawf._ops_iso(q.sent_at), 'recipients', '[]'::jsonb,
                                  'email_queued', false, 'message_id', NULL, 'no_op', true);
    END IF;
    IF needs_approval AND prev <> 'approved' THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR',
            format('quote %s is %s: this tenant requires approval, so only approved quotes can be sent', q.quote_number, prev),
            NULL, 'Submit it with crm.submit_quote_for_approval and get it approved first.');
    ELSIF prev NOT IN ('draft', 'approved') THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR',
            format('quote %s is %s: only draft or approved quotes can be sent', q.quote_number, prev));
    END IF;

    -- recipients: the given addresses, the quote's contact, the client's billing address
    SELECT coalesce(array_agg(DISTINCT lower(a)), '{}') INTO recipients
      FROM (SELECT jsonb_array_elements_text(coalesce(input -> 'email_addresses', '[]')) AS a
            UNION ALL SELECT c.email FROM psa.contacts c
                       WHERE c.tenant = q.tenant AND c.contact_name_id = q.contact_name_id AND NOT c.is_inactive
            UNION ALL SELECT cl.billing_email FROM psa.clients cl
                       WHERE cl.tenant = q.tenant AND cl.client_id = q.client_id) x
     WHERE nullif(btrim(a), '') IS NOT NULL;

    UPDATE psa.quotes x SET status = 'sent', sent_at = now() WHERE x.tenant = q.tenant AND x.quote_id = q.quote_id;

    IF cardinality(recipients) > 0 THEN
        subject := coalesce(nullif(input ->> 'subject', ''), 'Quote {{quote_number}}: {{title}}');
        message := coalesce(nullif(input ->> 'message', ''), 'Please find our quote {{quote_number}} below.');
        email := algawf._email_queue(ctx, jsonb_build_object(
            'to', (SELECT jsonb_agg(jsonb_build_object('email', a)) FROM unnest(recipients) a),
            'subject', subject,
            'text', message || E'\n\n{{title}}\nTotal: {{total}} {{currency_code}}\nValid until: {{valid_until}}\n',
            'html', '<p>' || message || '</p><p><strong>{{title}}</strong><br>Total: {{total}} {{currency_code}}<br>'
                    || 'Valid until: {{valid_until}}</p>',
            'template_data', jsonb_build_object(
                'quote_number', q.quote_number, 'title', q.title, 'currency_code', q.currency_code,
                'total', to_char(q.total_amount / 100.0, 'FM999999999990.00'), 'valid_until', q.valid_until),
            'entity', jsonb_build_object('type', 'quote', 'id', q.quote_id)));
    END IF;

    PERFORM algawf._crm_quote_activity(q, 'sent',
        CASE WHEN email IS NOT NULL THEN 'Quote sent to ' || array_to_string(recipients, ', ')
             ELSE 'Quote marked sent (no recipient address)' END,
        actor, jsonb_build_object('recipients', to_jsonb(recipients), 'email_queued', email IS NOT NULL,
                                  'message_id', email ->> 'message_id', 'workflow_source', 'crm.send_quote'));
    PERFORM algawf._ops_audit(ctx, 'quotes', q.quote_id::text, jsonb_build_object(
        'quote_id', q.quote_id, 'before', jsonb_build_object('status', prev), 'after', jsonb_build_object('status', 'sent'),
        'recipients', to_jsonb(recipients), 'message_id', email ->> 'message_id'));

    RETURN jsonb_build_object('quote', algawf._crm_quote(q.quote_id), 'previous_status', prev, 'new_status', 'sent',
                              'sent_at', algawf._ops_iso(now()), 'recipients', to_jsonb(recipients),
                              'email_queued', email IS NOT NULL, 'message_id', email ->> 'message_id', 'no_op', false);
END
$$;
COMMENT ON FUNCTION algawf._act_crm_send_quote(jsonb, jsonb) IS
    'Implementation of crm.send_quote: approval rules, draft/approved only, no-op when already sent; marks the quote sent and queues the quote e-mail.';

-- ---------------------------------------------------------------------------
-- crm.convert_quote

CREATE FUNCTION algawf._act_crm_convert_quote(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q psa.quotes := algawf._crm_quote_for_update((input ->> 'quote_id')::uuid);
    actor uuid := algawf._ops_actor(ctx);
    target text := input ->> 'target';
    prev text := q.status;
    start_d date := coalesce((input ->> 'start_date')::date, current_date);
    end_d date := (input ->> 'end_date')::date;
    contract_id uuid;
    invoice psa.invoices;
BEGIN
    IF prev NOT IN ('approved', 'sent', 'accepted') THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR',
            format('quote %s is %s: only approved, sent or accepted quotes can be converted', q.quote_number, prev));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM psa.quote_items qi WHERE qi.tenant = q.tenant AND qi.quote_id = q.quote_id AND NOT qi.is_optional) THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', format('quote %s has no (non-optional) items to convert', q.quote_number));
    END IF;
    IF end_d < start_d THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'end_date must not be before start_date');
    END IF;

    IF target IN ('contract', 'both') THEN
        INSERT INTO psa.contracts (tenant, contract_name, client_id, description, status, billing_frequency,
                                   start_date, end_date, currency_code, total_amount, quote_id, created_by)
        VALUES (q.tenant, coalesce(nullif(btrim(input ->> 'contract_name'), ''), q.title), q.client_id, q.description,
                'draft', coalesce(input ->> 'billing_frequency', 'monthly'), start_d, end_d, q.currency_code,
                q.subtotal, q.quote_id, actor)
        RETURNING contracts.contract_id INTO contract_id;
        INSERT INTO psa.contract_lines (tenant, contract_id, service_id, description, quantity, rate, total_price, display_order)
        SELECT q.tenant, contract_id, qi.service_id, qi.description, qi.quantity, qi.unit_price, qi.total_price, qi.display_order
          FROM psa.quote_items qi
         WHERE qi.tenant = q.tenant AND qi.quote_id = q.quote_id AND NOT qi.is_optional;
    END IF;
    IF target IN ('invoice', 'both') THEN
        INSERT INTO psa.invoices (tenant, client_id, status, invoice_date, due_date, currency_code, subtotal, tax,
                                  total_amount, quote_id, contract_id, created_by)
        VALUES (q.tenant, q.client_id, 'draft', current_date, current_date + coalesce((input ->> 'due_days')::int, 30),
                q.currency_code, q.subtotal, q.tax, q.total_amount, q.quote_id, contract_id, actor)
        RETURNING * INTO invoice;
        INSERT INTO psa.invoice_items (tenant, invoice_id, service_id, description, quantity, unit_price, total_price, display_order)
        SELECT q.tenant, invoice.invoice_id, qi.service_id, qi.description, qi.quantity, qi.unit_price, qi.total_price, qi.display_order
          FROM psa.quote_items qi
         WHERE qi.tenant = q.tenant AND qi.quote_id = q.quote_id AND NOT qi.is_optional;
    END IF;

    UPDATE psa.quotes x SET status = 'converted',
                            accepted_at = coalesce(x.accepted_at, now())
     WHERE x.tenant = q.tenant AND x.quote_id = q.quote_id;
    PERFORM algawf._crm_quote_activity(q, 'converted', 'Converted to ' || replace(target, 'both', 'contract and invoice'), actor,
        jsonb_strip_nulls(jsonb_build_object('contract_id', contract_id, 'invoice_id', invoice.invoice_id,
                                             'workflow_source', 'crm.convert_quote')));
    PERFORM algawf._ops_audit(ctx, 'quotes', q.quote_id::text, jsonb_build_object(
        'quote_id', q.quote_id, 'before', jsonb_build_object('status', prev), 'after', jsonb_build_object('status', 'converted'),
        'contract_id', contract_id, 'invoice_id', invoice.invoice_id));

    RETURN jsonb_build_object(
        'quote', algawf._crm_quote(q.quote_id),
        'previous_status', prev,
        'contract_id', contract_id,
        'invoice_id', invoice.invoice_id,
        'invoice_number', invoice.invoice_number,
        'total_amount', q.total_amount);
END
$$;
COMMENT ON FUNCTION algawf._act_crm_convert_quote(jsonb, jsonb) IS
    'Implementation of crm.convert_quote: an approved, sent or accepted quote becomes a draft contract, a draft invoice, or both.';

REVOKE ALL ON FUNCTION
    algawf._crm_activity(uuid), algawf._crm_activity_required(uuid), algawf._crm_interaction_type(uuid, text),
    algawf._crm_tag_activity(uuid, text[], uuid), algawf._crm_quote(uuid), algawf._crm_quote_for_update(uuid),
    algawf._crm_quote_needs_approval(bigint), algawf._crm_quote_activity(psa.quotes, text, text, uuid, jsonb),
    algawf._act_crm_create_activity_note(jsonb, jsonb), algawf._act_crm_find_activities(jsonb, jsonb),
    algawf._act_crm_update_activity(jsonb, jsonb), algawf._act_crm_schedule_activity(jsonb, jsonb),
    algawf._act_crm_create_interaction_type(jsonb, jsonb), algawf._act_crm_update_activity_status(jsonb, jsonb),
    algawf._act_crm_tag_activity(jsonb, jsonb), algawf._act_crm_create_quote(jsonb, jsonb),
    algawf._act_crm_find_quotes(jsonb, jsonb), algawf._act_crm_submit_quote_for_approval(jsonb, jsonb),
    algawf._act_crm_approve_quote(jsonb, jsonb), algawf._act_crm_send_quote(jsonb, jsonb),
    algawf._act_crm_convert_quote(jsonb, jsonb)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    algawf._crm_activity(uuid), algawf._crm_activity_required(uuid), algawf._crm_interaction_type(uuid, text),
    algawf._crm_tag_activity(uuid, text[], uuid), algawf._crm_quote(uuid), algawf._crm_quote_for_update(uuid),
    algawf._crm_quote_needs_approval(bigint), algawf._crm_quote_activity(psa.quotes, text, text, uuid, jsonb),
    algawf._act_crm_create_activity_note(jsonb, jsonb), algawf._act_crm_find_activities(jsonb, jsonb),
    algawf._act_crm_update_activity(jsonb, jsonb), algawf._act_crm_schedule_activity(jsonb, jsonb),
    algawf._act_crm_create_interaction_type(jsonb, jsonb), algawf._act_crm_update_activity_status(jsonb, jsonb),
    algawf._act_crm_tag_activity(jsonb, jsonb), algawf._act_crm_create_quote(jsonb, jsonb),
    algawf._act_crm_find_quotes(jsonb, jsonb), algawf._act_crm_submit_quote_for_approval(jsonb, jsonb),
    algawf._act_crm_approve_quote(jsonb, jsonb), algawf._act_crm_send_quote(jsonb, jsonb),
    algawf._act_crm_convert_quote(jsonb, jsonb)
    TO algawf_service, algawf_admin;

-- ---------------------------------------------------------------------------
-- registrations

DO $reg$
DECLARE
    frag constant jsonb := $frag${
      "activity": {"type": "object", "description": "A CRM activity (psa.interactions row) with its names resolved",
        "required": ["activity_id", "type_id", "title", "interaction_date", "tags"],
        "properties": {
          "activity_id": {"type": "string", "format": "uuid"},
          "type_id": {"type": "string", "format": "uuid"},
          "type_name": {"type": ["string", "null"]},
          "status_id": {"type": ["string", "null"], "format": "uuid"},
          "status_name": {"type": ["string", "null"]},
          "is_closed": {"type": "boolean"},
          "client_id": {"type": ["string", "null"], "format": "uuid"},
          "client_name": {"type": ["string", "null"]},
          "contact_id": {"type": ["string", "null"], "format": "uuid"},
          "contact_name": {"type": ["string", "null"]},
          "ticket_id": {"type": ["string", "null"], "format": "uuid"},
          "ticket_number": {"type": ["string", "null"]},
          "title": {"type": "string"},
          "notes_preview": {"type": ["string", "null"], "description": "The notes on one line, at most 180 characters"},
          "interaction_date": {"type": "string", "format": "date-time"},
          "start_time": {"type": ["string", "null"], "format": "date-time"},
          "end_time": {"type": ["string", "null"], "format": "date-time"},
          "duration": {"type": ["integer", "null"], "description": "Minutes"},
          "user_id": {"type": ["string", "null"], "format": "uuid"},
          "user_name": {"type": ["string", "null"]},
          "tags": {"type": "array", "items": {"type": "string"}}}},
      "quote": {"type": "object", "description": "A quote summary (amounts in cents)",
        "required": ["quote_id", "quote_number", "status", "client_id", "title", "total_amount"],
        "properties": {
          "quote_id": {"type": "string", "format": "uuid"},
          "quote_number": {"type": "string"},
          "status": {"enum": ["draft", "pending_approval", "approved", "sent", "accepted", "rejected", "expired", "converted", "cancelled"]},
          "client_id": {"type": "string", "format": "uuid"},
          "client_name": {"type": ["string", "null"]},
          "contact_id": {"type": ["string", "null"], "format": "uuid"},
          "title": {"type": "string"},
          "quote_date": {"type": "string", "format": "date"},
          "valid_until": {"type": ["string", "null"], "format": "date"},
          "currency_code": {"type": "string"},
          "subtotal": {"type": "integer"},
          "tax": {"type": "integer"},
          "total_amount": {"type": "integer"},
          "sent_at": {"type": ["string", "null"], "format": "date-time"},
          "item_count": {"type": "integer"}}},
      "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200,
        "description": "Optional key of your own: a second call with the same key returns the first call's result instead of acting again. Without it, the step's own run and path key the call."}
    }$frag$;
BEGIN

PERFORM algawf._ops_register($def${
  "id": "crm.create_activity_note", "version": 1,
  "label": "Create Activity Note", "category": "CRM",
  "description": "Log a note in the CRM timeline of a client, a contact or a ticket (an interaction of type Note), optionally tagged.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["target", "body"], "properties": {
    "target": {"type": "object", "additionalProperties": false, "required": ["type", "id"],
      "description": "What the note is about",
      "properties": {
        "type": {"enum": ["client", "contact", "ticket"], "description": "Kind of record"},
        "id": {"type": "string", "format": "uuid", "description": "Its id (client_id, contact_name_id or ticket_id)",
               "x-workflow-picker-kind-from": "type"}}},
    "body": {"type": "string", "minLength": 1, "maxLength": 20000, "description": "The note text"},
    "title": {"type": "string", "maxLength": 255, "default": "Note", "description": "Short summary shown in the timeline"},
    "type_id": {"type": "string", "format": "uuid", "description": "Interaction type (default: the system type Note)",
                "x-workflow-picker-kind": "interaction-type"},
    "tags": {"type": "array", "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 100},
             "description": "Tags to put on the note"},
    "idempotency_key": "@idempotency_key"}},
  "outputSchema": {"type": "object", "required": ["note_id", "created_at", "target_type", "target_id"], "properties": {
    "note_id": {"type": "string", "format": "uuid", "description": "The new interaction's id"},
    "activity_id": {"type": "string", "format": "uuid", "description": "Same as note_id"},
    "created_at": {"type": "string", "format": "date-time"},
    "target_type": {"enum": ["client", "contact", "ticket"]},
    "target_id": {"type": "string", "format": "uuid"},
    "client_id": {"type": ["string", "null"], "format": "uuid"},
    "contact_id": {"type": ["string", "null"], "format": "uuid"},
    "ticket_id": {"type": ["string", "null"], "format": "uuid"},
    "target_summary": {"type": "object", "description": "Name/number of the target"},
    "tags": {"type": "array", "items": {"type": "string"}}}},
  "permissions": ["interaction:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"title": "Note on a ticket",
                "input": {"target": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"},
                          "body": "Customer confirmed the VPN is stable since the firmware update.", "tags": ["follow-up"]}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_create_activity_note"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "crm.find_activities", "version": 1,
  "label": "Find CRM Activities", "category": "CRM",
  "description": "Find calls, e-mails, meetings and notes by client, contact, ticket, technician, type, status, tag or date range (newest first).",
  "inputSchema": {"type": "object", "additionalProperties": false,
    "anyOf": [{"required": ["client_id"]}, {"required": ["contact_id"]}, {"required": ["ticket_id"]}, {"required": ["user_id"]},
              {"required": ["type_id"]}, {"required": ["status_id"]}, {"required": ["tag"]},
              {"required": ["date_from"]}, {"required": ["date_to"]}],
    "description": "At least one filter or a date range is required.",
    "properties": {
      "client_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "client"},
      "contact_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "contact", "x-workflow-picker-dependencies": ["client_id"]},
      "ticket_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "ticket"},
      "user_id": {"type": "string", "format": "uuid", "description": "The MSP user who owns the activity", "x-workflow-picker-kind": "user"},
      "type_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "interaction-type"},
      "status_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "interaction-status"},
      "tag": {"type": "string", "minLength": 1, "description": "Only activities with this tag (any case)"},
      "date_from": {"type": "string", "format": "date-time", "description": "Activities on or after"},
      "date_to": {"type": "string", "format": "date-time", "description": "Activities on or before"},
      "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 25, "description": "At most this many (capped at 200)"},
      "on_empty": {"enum": ["return_empty", "error"], "default": "return_empty", "description": "error: fail with NOT_FOUND when nothing matches"}}},
  "outputSchema": {"type": "object", "required": ["activities", "count"], "properties": {
    "activities": {"type": "array", "items": "@activity"},
    "count": {"type": "integer"},
    "limit": {"type": "integer"},
    "matched_filters": {"type": "object"}}},
  "permissions": ["interaction:read"],
  "sideEffectful": false,
  "idempotency": {"mode": "engineProvided"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"title": "Recent activity with a client",
                "input": {"client_id": "0000000a-0003-0000-0000-000000000001", "date_from": "2024-01-01T00:00:00Z", "limit": 10}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_find_activities"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "crm.update_activity", "version": 1,
  "label": "Update CRM Activity", "category": "CRM",
  "description": "Change an activity's title, notes, status, type or times; returns it before and after and which fields changed.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["activity_id", "patch"], "properties": {
    "activity_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "activity"},
    "patch": {"type": "object", "additionalProperties": false, "minProperties": 1,
      "description": "The fields to change (at least one)",
      "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 255},
        "notes": {"type": ["string", "null"]},
        "status_id": {"type": ["string", "null"], "format": "uuid", "description": "An interaction status", "x-workflow-picker-kind": "interaction-status"},
        "type_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "interaction-type"},
        "interaction_date": {"type": "string", "format": "date-time"},
        "start_time": {"type": ["string", "null"], "format": "date-time"},
        "end_time": {"type": ["string", "null"], "format": "date-time"},
        "duration": {"type": ["integer", "null"], "minimum": 0, "description": "Minutes (derived from start and end when they change and this is not given)"}}},
    "reason": {"type": "string", "maxLength": 1000, "description": "Why (kept in the audit log)"}}},
  "outputSchema": {"type": "object", "required": ["activity_before", "activity_after", "changed_fields"], "properties": {
    "activity_before": "@activity",
    "activity_after": "@activity",
    "changed_fields": {"type": "array", "items": {"type": "string"}, "description": "Columns whose value changed, sorted"}}},
  "permissions": ["interaction:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"title": "Mark a call completed",
                "input": {"activity_id": "00000000-0000-4000-8000-000000000001",
                          "patch": {"status_id": "0000000a-0006-0000-0000-000000000012", "notes": "Reached the customer."},
                          "reason": "Follow-up done"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_update_activity"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "crm.schedule_activity", "version": 1,
  "label": "Schedule CRM Activity", "category": "CRM",
  "description": "Plan a future call, meeting or visit with a client or contact (default status, duration derived from the times) and announce it with an INTERACTION_LOGGED event.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["type_id", "title", "start_time"],
    "anyOf": [{"required": ["client_id"]}, {"required": ["contact_id"]}],
    "description": "client_id or contact_id is required.",
    "properties": {
      "client_id": {"type": "string", "format": "uuid", "description": "Required when contact_id is not given", "x-workflow-picker-kind": "client"},
      "contact_id": {"type": "string", "format": "uuid", "description": "The contact; gives the client when client_id is not given",
                     "x-workflow-picker-kind": "contact", "x-workflow-picker-dependencies": ["client_id"]},
      "ticket_id": {"type": "string", "format": "uuid", "description": "A ticket of the same client", "x-workflow-picker-kind": "ticket"},
      "type_id": {"type": "string", "format": "uuid", "description": "Call, Meeting, ... (system or tenant type)", "x-workflow-picker-kind": "interaction-type"},
      "title": {"type": "string", "minLength": 1, "maxLength": 255},
      "notes": {"type": "string"},
      "status_id": {"type": "string", "format": "uuid", "description": "Default: the tenant's default interaction status (Planned)", "x-workflow-picker-kind": "interaction-status"},
      "start_time": {"type": "string", "format": "date-time", "description": "Must be in the future"},
      "end_time": {"type": "string", "format": "date-time", "description": "Default: start_time + duration"},
      "duration": {"type": "integer", "minimum": 0, "maximum": 10080, "description": "Minutes; derived from start and end when not given"},
      "assigned_user_id": {"type": "string", "format": "uuid", "description": "Who owns it (default: the workflow's actor)", "x-workflow-picker-kind": "user"},
      "tags": {"type": "array", "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 100}},
      "idempotency_key": "@idempotency_key"}},
  "outputSchema": {"type": "object", "required": ["activity", "event_emitted"], "properties": {
    "activity": "@activity",
    "event_emitted": {"type": "boolean", "description": "Whether INTERACTION_LOGGED was emitted"}}},
  "permissions": ["interaction:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"title": "Quarterly review meeting",
                "input": {"contact_id": "0000000a-0004-0000-0000-000000000001", "type_id": "00000000-0000-0000-0001-000000000003",
                          "title": "Quarterly business review", "start_time": "2030-01-15T15:00:00Z", "duration": 60}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_schedule_activity"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "crm.create_interaction_type", "version": 1,
  "label": "Create Activity Type", "category": "CRM",
  "description": "Add an activity type of your own (next to Call, Email, Meeting and Note); an existing type of the same name is returned instead of a duplicate.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["type_name"], "properties": {
    "type_name": {"type": "string", "minLength": 1, "maxLength": 100, "description": "Name, unique per tenant (any case)"},
    "icon": {"type": "string", "maxLength": 50, "description": "Icon name (e.g. map-pin)"},
    "display_order": {"type": "integer", "minimum": 0, "default": 0},
    "idempotency_key": "@idempotency_key"}},
  "outputSchema": {"type": "object", "required": ["interaction_type", "created"], "properties": {
    "interaction_type": {"type": "object", "required": ["type_id", "type_name"], "properties": {
      "type_id": {"type": "string", "format": "uuid"}, "type_name": {"type": "string"}, "icon": {"type": ["string", "null"]},
      "display_order": {"type": "integer"}, "is_system": {"type": "boolean"}}},
    "created": {"type": "boolean", "description": "false when a type of that name already existed"}}},
  "permissions": ["interaction:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"input": {"type_name": "Onboarding Call", "icon": "phone"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_create_interaction_type"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "crm.update_activity_status", "version": 1,
  "label": "Update Activity Status", "category": "CRM",
  "description": "Move an activity to another status (Planned, Completed, ...), by status id or name.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["activity_id"],
    "oneOf": [{"required": ["status_id"]}, {"required": ["status_name"]}],
    "description": "Give status_id or status_name.",
    "properties": {
      "activity_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "activity"},
      "status_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "interaction-status"},
      "status_name": {"type": "string", "minLength": 1, "description": "An interaction status name (any case)"},
      "reason": {"type": "string", "maxLength": 1000}}},
  "outputSchema": {"type": "object", "required": ["activity_id", "status_id", "changed"], "properties": {
    "activity_id": {"type": "string", "format": "uuid"},
    "previous_status_id": {"type": ["string", "null"], "format": "uuid"},
    "previous_status_name": {"type": ["string", "null"]},
    "status_id": {"type": "string", "format": "uuid"},
    "status_name": {"type": "string"},
    "is_closed": {"type": "boolean"},
    "changed": {"type": "boolean", "description": "false when it already had that status"}}},
  "permissions": ["interaction:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"input": {"activity_id": "00000000-0000-4000-8000-000000000001", "status_name": "Completed"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_update_activity_status"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "crm.tag_activity", "version": 1,
  "label": "Tag CRM Activity", "category": "CRM",
  "description": "Put tags on an activity (creating the tags as needed), or replace its tags.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["activity_id", "tags"], "properties": {
    "activity_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "activity"},
    "tags": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 100}},
    "mode": {"enum": ["add", "replace"], "default": "add", "description": "replace: remove the activity's other tags"}}},
  "outputSchema": {"type": "object", "required": ["activity_id", "added", "removed", "tags"], "properties": {
    "activity_id": {"type": "string", "format": "uuid"},
    "added": {"type": "array", "items": {"type": "string"}},
    "removed": {"type": "array", "items": {"type": "string"}},
    "tags": {"type": "array", "items": {"type": "string"}, "description": "All its tags now"}}},
  "permissions": ["interaction:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"input": {"activity_id": "00000000-0000-4000-8000-000000000001", "tags": ["renewal", "vip"]}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_tag_activity"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "crm.create_quote", "version": 1,
  "label": "Create Quote", "category": "CRM",
  "description": "Draft a quote for a client with line items (services at their default rate or your price) and totals.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["client_id", "title"], "properties": {
    "client_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "client"},
    "contact_id": {"type": "string", "format": "uuid", "description": "Who receives it", "x-workflow-picker-kind": "contact", "x-workflow-picker-dependencies": ["client_id"]},
    "title": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": {"type": "string"},
    "quote_date": {"type": "string", "format": "date", "description": "Default: today"},
    "valid_until": {"type": "string", "format": "date", "description": "Default: quote_date + valid_days"},
    "valid_days": {"type": "integer", "minimum": 0, "maximum": 3650, "default": 30},
    "currency_code": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "USD"},
    "tax_rate_percent": {"type": "number", "minimum": 0, "maximum": 100, "default": 0},
    "ticket_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "ticket"},
    "project_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "project"},
    "items": {"type": "array", "maxItems": 200, "items": {"type": "object", "additionalProperties": false, "properties": {
      "service_id": {"type": "string", "format": "uuid", "description": "A service of the catalog (its name and rate are the defaults)", "x-workflow-picker-kind": "service"},
      "description": {"type": "string", "minLength": 1},
      "quantity": {"type": "number", "exclusiveMinimum": 0, "default": 1},
      "unit_price": {"type": "integer", "minimum": 0, "description": "Cents"},
      "is_optional": {"type": "boolean", "default": false, "description": "Optional lines are not in the totals"}}}},
    "idempotency_key": "@idempotency_key"}},
  "outputSchema": {"type": "object", "required": ["quote", "items", "approval_required"], "properties": {
    "quote": "@quote",
    "items": {"type": "array", "items": {"type": "object"}},
    "approval_required": {"type": "boolean", "description": "Whether the tenant's rules require approval before sending"}}},
  "permissions": ["billing:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"title": "Renewal quote",
                "input": {"client_id": "0000000a-0003-0000-0000-000000000001", "contact_id": "0000000a-0004-0000-0000-000000000001",
                          "title": "Managed services renewal 2025",
                          "items": [{"service_id": "0000000a-000e-0000-0000-000000000001", "quantity": 10},
                                    {"description": "Onboarding", "unit_price": 50000}]}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_create_quote"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "crm.find_quotes", "version": 1,
  "label": "Find Quotes", "category": "CRM",
  "description": "Find quotes by client, contact, number, status or quote date (newest first).",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "client_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "client"},
    "contact_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "contact"},
    "quote_number": {"type": "string", "minLength": 1},
    "status": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
               "description": "A status or a list of them (draft, pending_approval, approved, sent, ...)"},
    "date_from": {"type": "string", "format": "date"},
    "date_to": {"type": "string", "format": "date"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
    "on_empty": {"enum": ["return_empty", "error"], "default": "return_empty"}}},
  "outputSchema": {"type": "object", "required": ["quotes", "count"], "properties": {
    "quotes": {"type": "array", "items": "@quote"},
    "count": {"type": "integer"},
    "limit": {"type": "integer"},
    "first_quote": {"anyOf": ["@quote", {"type": "null"}]}}},
  "permissions": ["billing:read"],
  "sideEffectful": false,
  "idempotency": {"mode": "engineProvided"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"input": {"client_id": "0000000a-0003-0000-0000-000000000001", "status": ["draft", "pending_approval"]}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_find_quotes"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "crm.submit_quote_for_approval", "version": 1,
  "label": "Submit Quote for Approval", "category": "CRM",
  "description": "Send a draft quote to a manager for approval (status pending_approval); nothing happens if it is already pending.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["quote_id"], "properties": {
    "quote_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "quote"},
    "comment": {"type": "string", "maxLength": 2000}}},
  "outputSchema": {"type": "object", "required": ["quote", "previous_status", "new_status", "no_op"], "properties": {
    "quote": "@quote", "previous_status": {"type": "string"}, "new_status": {"type": "string"},
    "approval_required": {"type": "boolean"}, "no_op": {"type": "boolean"}}},
  "permissions": ["billing:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"input": {"quote_id": "00000000-0000-4000-8000-000000000002", "comment": "Discount above 10%"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_submit_quote_for_approval"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "crm.approve_quote", "version": 1,
  "label": "Record Quote Approval", "category": "CRM",
  "description": "Record a manager's decision on a quote pending approval: approved (it may then be sent) or rejected (back to the author).",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["quote_id", "decision"], "properties": {
    "quote_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "quote"},
    "decision": {"enum": ["approved", "rejected"]},
    "comment": {"type": "string", "maxLength": 2000}}},
  "outputSchema": {"type": "object", "required": ["quote", "previous_status", "new_status"], "properties": {
    "quote": "@quote", "previous_status": {"type": "string"}, "new_status": {"enum": ["approved", "rejected"]}}},
  "permissions": ["billing:approve"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"input": {"quote_id": "00000000-0000-4000-8000-000000000002", "decision": "approved", "comment": "OK for this client"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_approve_quote"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "crm.send_quote", "version": 1,
  "label": "Send Quote", "category": "CRM",
  "description": "Send a quote to the client: checks the tenant's approval rules (draft or approved quotes only), marks it sent and e-mails it to the contact, the client's billing address and any extra addresses. Sending a quote that was already sent does nothing.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["quote_id"], "properties": {
    "quote_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "quote"},
    "email_addresses": {"type": "array", "maxItems": 50, "items": {"type": "string", "format": "email"}, "description": "Extra recipients"},
    "subject": {"type": "string", "maxLength": 998, "description": "Default: Quote {{quote_number}}: {{title}}"},
    "message": {"type": "string", "maxLength": 20000, "description": "Text before the quote summary"},
    "no_op_if_already_sent": {"type": "boolean", "default": true, "description": "false: a quote already sent is a VALIDATION_ERROR"},
    "idempotency_key": "@idempotency_key"}},
  "outputSchema": {"type": "object", "required": ["quote", "previous_status", "new_status", "recipients", "email_queued", "no_op"], "properties": {
    "quote": "@quote",
    "previous_status": {"type": "string"}, "new_status": {"type": "string"},
    "sent_at": {"type": ["string", "null"], "format": "date-time"},
    "recipients": {"type": "array", "items": {"type": "string"}},
    "email_queued": {"type": "boolean", "description": "The quote e-mail is in algawf.email_outbox"},
    "message_id": {"type": ["string", "null"], "description": "Message-ID of the e-mail"},
    "no_op": {"type": "boolean", "description": "true when the quote had already been sent"}}},
  "permissions": ["billing:update", "email:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 1000, "retryOn": ["TransientError"]},
  "examples": [{"input": {"quote_id": "00000000-0000-4000-8000-000000000002", "message": "Thanks for your time today."}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_send_quote"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "crm.convert_quote", "version": 1,
  "label": "Convert Quote", "category": "CRM",
  "description": "Turn an approved, sent or accepted quote into a draft contract, a draft invoice, or both (the quote becomes converted).",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["quote_id", "target"], "properties": {
    "quote_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "quote"},
    "target": {"enum": ["contract", "invoice", "both"]},
    "contract_name": {"type": "string", "minLength": 1, "maxLength": 255, "description": "Default: the quote's title"},
    "billing_frequency": {"enum": ["weekly", "monthly", "quarterly", "annually", "one_time"], "default": "monthly"},
    "start_date": {"type": "string", "format": "date", "description": "Contract start (default: today)"},
    "end_date": {"type": "string", "format": "date"},
    "due_days": {"type": "integer", "minimum": 0, "maximum": 365, "default": 30, "description": "Invoice due after this many days"},
    "idempotency_key": "@idempotency_key"}},
  "outputSchema": {"type": "object", "required": ["quote", "previous_status"], "properties": {
    "quote": "@quote", "previous_status": {"type": "string"},
    "contract_id": {"type": ["string", "null"], "format": "uuid"},
    "invoice_id": {"type": ["string", "null"], "format": "uuid"},
    "invoice_number": {"type": ["string", "null"]},
    "total_amount": {"type": "integer"}}},
  "permissions": ["billing:create", "billing:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"input": {"quote_id": "00000000-0000-4000-8000-000000000002", "target": "both", "billing_frequency": "annually"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_crm_convert_quote"}
}$def$, frag);

END
$reg$;
