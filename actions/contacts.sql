-- contacts.*: people at clients (psa.contacts, tags, notes, interactions,
-- tickets' requesters).  Implementations run as algawf_service under row-level
-- security for the call's tenant; every id in the input is looked up in that
-- tenant (another tenant's id is NOT_FOUND).

-- ---------------------------------------------------------------------------
-- Shared pieces of the family.

-- A contact's e-mail address is unique in the tenant (case-insensitive).
CREATE FUNCTION algawf._act_contact_email_check(ctx jsonb, email text, except_id uuid DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    other psa.contacts;
BEGIN
    IF email IS NULL THEN
        RETURN;
    END IF;
    SELECT c.* INTO other FROM psa.contacts c
     WHERE c.tenant = algawf._act_tenant(ctx) AND lower(c.email) = lower(btrim(_act_contact_email_check.email))
       AND c.contact_name_id IS DISTINCT FROM except_id
     LIMIT 1;
    IF FOUND THEN
        PERFORM algawf._act_fail('CONFLICT', format('a contact with e-mail %s already exists', other.email),
                                 format('contact_name_id = %s (%s)', other.contact_name_id, other.full_name),
                                 'Use the existing contact (contacts.find by email), or give another address.');
    END IF;
END
$$;
COMMENT ON FUNCTION algawf._act_contact_email_check(jsonb, text, uuid) IS
    'Internal: CONFLICT when another contact of the tenant has the e-mail address (case-insensitive).';

-- The phone number of an input: phone_number, else phone, else the default (or
-- first) entry of Alga's phone_numbers array.
CREATE FUNCTION algawf._act_contact_phone(input jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(input ->> 'phone_number', input ->> 'phone',
                    (SELECT e ->> 'phone_number' FROM jsonb_array_elements(coalesce(input -> 'phone_numbers', '[]'))
                                                 WITH ORDINALITY AS x (e, n)
                      ORDER BY coalesce((e ->> 'is_default')::boolean, false) DESC, n LIMIT 1))
$$;
COMMENT ON FUNCTION algawf._act_contact_phone(jsonb) IS
    'Internal: the phone number given to contacts.create/duplicate (phone_number, phone, or the default entry of phone_numbers).';

CREATE FUNCTION algawf._act_contact_client_check(ctx jsonb, client_id uuid) RETURNS psa.clients
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c psa.clients;
BEGIN
    IF client_id IS NULL THEN
        RETURN NULL;
    END IF;
    c := algawf._act_client_get(ctx, client_id);
    IF c.is_inactive THEN
        PERFORM algawf._act_fail('VALIDATION_ERROR', format('client %s is archived', c.client_name),
                                 format('client_id = %s', c.client_id), 'Reactivate the client first (clients.update is_inactive: false).');
    END IF;
    RETURN c;
END
$$;
COMMENT ON FUNCTION algawf._act_contact_client_check(jsonb, uuid) IS
    'Internal: the (active) client a contact is put under, NOT_FOUND / VALIDATION_ERROR otherwise; NULL for no client.';

-- ---------------------------------------------------------------------------
-- contacts.find

CREATE FUNCTION algawf._act_contacts_find(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    scope uuid := (input ->> 'client_id')::uuid;
    inactive boolean := coalesce((input ->> 'include_inactive')::boolean, true);
    newest boolean := coalesce(input ->> 'match_strategy', 'first_created') = 'most_recent';
    how text := coalesce(input ->> 'phone_match', 'exact');
    min_digits integer := CASE WHEN coalesce(input ->> 'phone_match', 'exact') = 'last10' THEN 10 ELSE 7 END;
    digits text;
    matched text;
    n integer;
    j jsonb;
    c psa.contacts;
BEGIN
    IF input ? 'contact_id' THEN
        matched := 'contact_id';
    ELSIF input ? 'email' THEN
        matched := 'email';
    ELSE
        matched := 'phone';
        digits := regexp_replace(input ->> 'phone', '\D', '', 'g');
        IF length(digits) < min_digits THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR',
                                     format('phone "%s" has %s digits; %s matching needs at least %s', input ->> 'phone',
                                            length(digits), how, min_digits));
        END IF;
    END IF;

    WITH m AS (
        SELECT x.* FROM psa.contacts x
         WHERE x.tenant = t
           AND (scope IS NULL OR x.client_id = scope)
           AND (inactive OR NOT x.is_inactive)
           AND CASE matched
                   WHEN 'contact_id' THEN x.contact_name_id = (input ->> 'contact_id')::uuid
                   WHEN 'email' THEN lower(x.email) = lower(btrim(input ->> 'email'))
                   ELSE CASE how
                            WHEN 'last7' THEN right(regexp_replace(x.phone_number, '\D', '', 'g'), 7) = right(digits, 7)
                            WHEN 'last10' THEN right(regexp_replace(x.phone_number, '\D', '', 'g'), 10) = right(digits, 10)
                            ELSE regexp_replace(x.phone_number, '\D', '', 'g') = digits
                        END
               END)
    SELECT count(*) OVER (), to_jsonb(m) INTO n, j FROM m
     ORDER BY m.is_inactive,
              CASE WHEN newest THEN m.created_at END DESC,
              CASE WHEN NOT newest THEN m.created_at END ASC,
              m.contact_name_id
     LIMIT 1;
    c := jsonb_populate_record(NULL::psa.contacts, j);

    IF c.contact_name_id IS NULL THEN
        IF coalesce(input ->> 'on_not_found', 'return_null') = 'error' THEN
            PERFORM algawf._act_fail('NOT_FOUND', 'contact not found', format('%s = %s', matched, input ->> matched));
        END IF;
        RETURN jsonb_build_object('contact', NULL, 'match_count', 0, 'matched_by', NULL);
    END IF;
    RETURN jsonb_build_object('contact', algawf._act_contact_summary(c), 'match_count', n, 'matched_by', matched);
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_find(jsonb, jsonb) IS 'Implementation of the action contacts.find.';

SELECT algawf.register_action($json${
  "id": "contacts.find", "version": 1,
  "label": "Find Contact", "category": "Contacts",
  "description": "Look a contact up by id, e-mail address (case-insensitive) or phone number (all digits, or only the last 7 or 10, so +1 (555) 020-1 and 5550201 match), optionally within one client. Returns contact: null when there is none, or fails with NOT_FOUND when on_not_found is error.",
  "inputSchema": {"type": "object", "additionalProperties": false,
    "anyOf": [{"required": ["contact_id"]}, {"required": ["email"]}, {"required": ["phone"]}],
    "properties": {
    "contact_id": {"type": "string", "format": "uuid", "description": "Contact id.", "x-workflow-picker-kind": "contact"},
    "email": {"type": "string", "minLength": 3, "description": "E-mail address."},
    "phone": {"type": "string", "minLength": 1, "description": "Phone number in any format."},
    "phone_match": {"enum": ["exact", "last7", "last10"], "default": "exact", "description": "Compare all digits, or only the last 7 or 10."},
    "client_id": {"type": "string", "format": "uuid", "description": "Only contacts of this client.", "x-workflow-picker-kind": "client"},
    "include_inactive": {"type": "boolean", "default": true, "description": "Consider deactivated contacts (after active ones)."},
    "match_strategy": {"enum": ["first_created", "most_recent"], "default": "first_created", "description": "Which of several matches wins."},
    "on_not_found": {"enum": ["return_null", "error"], "default": "return_null"}}},
  "outputSchema": {"type": "object", "required": ["contact", "match_count"], "properties": {
    "contact": {"type": ["object", "null"], "properties": {
      "contact_name_id": {"type": "string", "format": "uuid"}, "full_name": {"type": "string"},
      "email": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]}, "role": {"type": ["string", "null"]},
      "client_id": {"type": ["string", "null"]}, "is_inactive": {"type": "boolean"}}},
    "match_count": {"type": "integer", "description": "How many contacts matched."},
    "matched_by": {"type": ["string", "null"]}}},
  "permissions": ["contact:read"],
  "sideEffectful": false,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"title": "Caller id lookup", "input": {"phone": "(555) 0201", "phone_match": "last7"}},
               {"title": "By e-mail", "input": {"email": "John.Smith@globex.example"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_find"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- contacts.search

CREATE FUNCTION algawf._act_contacts_search(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    f jsonb := coalesce(input -> 'filters', '{}');
    q text := NULLIF(btrim(input ->> 'query'), '');
    pat text;
    qdigits text;
    page integer := coalesce((input ->> 'page')::integer, 1);
    size integer := coalesce((input ->> 'page_size')::integer, 25);
    sort_desc boolean := coalesce(f ->> 'sort_order', 'asc') = 'desc';
    sort_by text := coalesce(f ->> 'sort_by', 'name');
    total bigint;
    rows jsonb;
BEGIN
    pat := '%' || replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    qdigits := NULLIF(regexp_replace(coalesce(q, ''), '\D', '', 'g'), '');
    WITH m AS (
        SELECT c.contact_name_id, c.full_name, c.updated_at, c.created_at FROM psa.contacts c
         WHERE c.tenant = t
           AND (coalesce((f ->> 'include_inactive')::boolean, false) OR NOT c.is_inactive)
           AND (input ->> 'client_id' IS NULL OR c.client_id = (input ->> 'client_id')::uuid)
           AND (q IS NULL OR c.full_name ILIKE pat OR c.email ILIKE pat OR c.role ILIKE pat OR c.phone_number ILIKE pat
                OR (length(qdigits) >= 4 AND regexp_replace(c.phone_number, '\D', '', 'g') LIKE '%' || qdigits || '%'))
           AND (f -> 'tags' IS NULL OR jsonb_array_length(f -> 'tags') = 0 OR EXISTS (
                   SELECT 1 FROM psa.tag_mappings tm JOIN psa.tag_definitions td ON td.tenant = tm.tenant AND td.tag_id = tm.tag_id
                    WHERE tm.tenant = c.tenant AND tm.tagged_type = 'contact' AND tm.tagged_id = c.contact_name_id
                      AND lower(td.tag_text) IN (SELECT lower(e) FROM jsonb_array_elements_text(f -> 'tags') e)))
    ),
    o AS (
        SELECT m.contact_name_id,
               row_number() OVER (ORDER BY
                   CASE WHEN NOT sort_desc AND sort_by = 'name' THEN lower(m.full_name) END ASC,
                   CASE WHEN sort_desc AND sort_by = 'name' THEN lower(m.full_name) END DESC,
                   CASE WHEN NOT sort_desc AND sort_by = 'updated_at' THEN m.updated_at END ASC,
                   CASE WHEN sort_desc AND sort_by = 'updated_at' THEN m.updated_at END DESC,
                   CASE WHEN NOT sort_desc AND sort_by = 'created_at' THEN m.created_at END ASC,
                   CASE WHEN sort_desc AND sort_by = 'created_at' THEN m.created_at END DESC,
                   m.contact_name_id) AS n,
               count(*) OVER () AS total
          FROM m
    )
    SELECT coalesce(jsonb_agg(algawf._act_contact_summary(c) ORDER BY o.n)
                    FILTER (WHERE o.n > (page - 1) * size AND o.n <= page * size), '[]'),
           coalesce(max(o.total), 0)
      INTO rows, total
      FROM o JOIN psa.contacts c ON c.tenant = t AND c.contact_name_id = o.contact_name_id;
    RETURN jsonb_build_object('contacts', rows, 'first_contact', rows -> 0, 'page', page, 'page_size', size,
                              'total', total, 'has_more', page * size < total);
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_search(jsonb, jsonb) IS 'Implementation of the action contacts.search.';

SELECT algawf.register_action($json${
  "id": "contacts.search", "version": 1,
  "label": "Search Contacts", "category": "Contacts",
  "description": "Search contacts by part of their name, e-mail, role or phone number, optionally within one client and by tags, sorted and paged.",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "query": {"type": "string", "minLength": 1, "description": "Text to look for (case-insensitive; digits also match phone numbers in any format); leave out to list all."},
    "client_id": {"type": "string", "format": "uuid", "description": "Only contacts of this client.", "x-workflow-picker-kind": "client"},
    "filters": {"type": "object", "additionalProperties": false, "properties": {
      "include_inactive": {"type": "boolean", "default": false},
      "tags": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "Only contacts with any of these tags."},
      "sort_by": {"enum": ["name", "updated_at", "created_at"], "default": "name"},
      "sort_order": {"enum": ["asc", "desc"], "default": "asc"}}},
    "page": {"type": "integer", "minimum": 1, "default": 1},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}}},
  "outputSchema": {"type": "object", "required": ["contacts", "first_contact", "page", "page_size", "total"], "properties": {
    "contacts": {"type": "array", "items": {"type": "object"}},
    "first_contact": {"type": ["object", "null"]},
    "page": {"type": "integer"}, "page_size": {"type": "integer"}, "total": {"type": "integer"},
    "has_more": {"type": "boolean"}}},
  "permissions": ["contact:read"],
  "sideEffectful": false,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"input": {"query": "doe", "client_id": "0000000a-0003-0000-0000-000000000001"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_search"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- contacts.create

CREATE FUNCTION algawf._act_contacts_create(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    cl psa.clients := algawf._act_contact_client_check(ctx, (input ->> 'client_id')::uuid);
    c psa.contacts;
    tags jsonb;
BEGIN
    PERFORM algawf._act_contact_email_check(ctx, input ->> 'email');
    INSERT INTO psa.contacts (tenant, full_name, client_id, phone_number, email, role, is_inactive, notes)
    VALUES (t, btrim(input ->> 'full_name'), cl.client_id, algawf._act_contact_phone(input), lower(btrim(input ->> 'email')),
            input ->> 'role', coalesce((input ->> 'is_inactive')::boolean, false), input ->> 'notes')
    RETURNING * INTO c;
    tags := algawf._act_tags_add(ctx, 'contact', c.contact_name_id, input -> 'tags');
    PERFORM algawf._act_audit(ctx, 'contacts', c.contact_name_id,
                              jsonb_build_object('contact_id', c.contact_name_id, 'full_name', c.full_name, 'client_id', c.client_id));
    RETURN jsonb_build_object('created', true, 'contact', algawf._act_contact_summary(c),
                              'tags', (tags -> 'added') || (tags -> 'existing'));
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_create(jsonb, jsonb) IS 'Implementation of the action contacts.create.';

SELECT algawf.register_action($json${
  "id": "contacts.create", "version": 1,
  "label": "Create Contact", "category": "Contacts",
  "description": "Add a contact, usually at a client, with e-mail, phone, role, notes and tags. An e-mail address another contact already has fails with CONFLICT.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["full_name"], "properties": {
    "full_name": {"type": "string", "minLength": 1, "maxLength": 255, "description": "Name."},
    "email": {"type": "string", "format": "email", "description": "E-mail address (unique among the tenant's contacts)."},
    "client_id": {"type": ["string", "null"], "format": "uuid", "description": "The client they work for.", "x-workflow-picker-kind": "client"},
    "phone_number": {"type": "string", "description": "Phone number."},
    "phone_numbers": {"type": "array", "description": "Alga's list form: the default (or first) number is used.", "items": {"type": "object", "required": ["phone_number"], "properties": {
      "phone_number": {"type": "string", "minLength": 1}, "is_default": {"type": "boolean"}}}},
    "role": {"type": ["string", "null"], "description": "Job title or role."},
    "notes": {"type": ["string", "null"]},
    "is_inactive": {"type": "boolean", "default": false},
    "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 100}},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Your key: a second call with the same key returns the first contact."}}},
  "outputSchema": {"type": "object", "required": ["created", "contact"], "properties": {
    "created": {"type": "boolean"},
    "contact": {"type": "object", "required": ["contact_name_id", "full_name"], "properties": {
      "contact_name_id": {"type": "string", "format": "uuid"}, "full_name": {"type": "string"}}},
    "tags": {"type": "array", "items": {"type": "object"}}}},
  "permissions": ["contact:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [{"input": {"full_name": "Milton Waddams", "email": "milton@initech.example", "client_id": "0000000a-0003-0000-0000-000000000002",
                          "phone_number": "+1 555 0303", "role": "Collator", "tags": ["basement"]}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_create"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- contacts.update

CREATE FUNCTION algawf._act_contacts_update(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    p jsonb := input -> 'patch';
    old psa.contacts := algawf._act_contact_get(ctx, (input ->> 'contact_id')::uuid, true);
    nw psa.contacts;
    changed text[] := '{}';
    k text;
BEGIN
    IF input ? 'expected_updated_at' AND old.updated_at <> (input ->> 'expected_updated_at')::timestamptz
       AND date_trunc('milliseconds', old.updated_at) <> (input ->> 'expected_updated_at')::timestamptz THEN
        PERFORM algawf._act_fail('CONFLICT', 'the contact was changed since expected_updated_at',
                                 format('expected_updated_at = %s, updated_at = %s', input ->> 'expected_updated_at',
                                        algawf._act_iso(old.updated_at)),
                                 'Read the contact again (contacts.find) and retry with its updated_at.');
    END IF;
    IF p ->> 'email' IS NOT NULL THEN
        PERFORM algawf._act_contact_email_check(ctx, p ->> 'email', old.contact_name_id);
    END IF;
    IF p ->> 'client_id' IS NOT NULL AND (p ->> 'client_id')::uuid IS DISTINCT FROM old.client_id THEN
        PERFORM algawf._act_contact_client_check(ctx, (p ->> 'client_id')::uuid);
    END IF;

    UPDATE psa.contacts c SET
        full_name = CASE WHEN p ? 'full_name' THEN btrim(p ->> 'full_name') ELSE c.full_name END,
        email = CASE WHEN p ? 'email' THEN lower(btrim(p ->> 'email')) ELSE c.email END,
        client_id = CASE WHEN p ? 'client_id' THEN (p ->> 'client_id')::uuid ELSE c.client_id END,
        phone_number = CASE WHEN p ? 'phone_number' THEN p ->> 'phone_number' ELSE c.phone_number END,
        role = CASE WHEN p ? 'role' THEN p ->> 'role' ELSE c.role END,
        notes = CASE WHEN p ? 'notes' THEN p ->> 'notes' ELSE c.notes END,
        is_inactive = CASE WHEN p ? 'is_inactive' THEN (p ->> 'is_inactive')::boolean ELSE c.is_inactive END
     WHERE c.tenant = t AND c.contact_name_id = old.contact_name_id
    RETURNING * INTO nw;

    FOREACH k IN ARRAY ARRAY['full_name', 'email', 'client_id', 'phone_number', 'role', 'notes', 'is_inactive'] LOOP
        IF to_jsonb(old) -> k IS DISTINCT FROM to_jsonb(nw) -> k THEN
            changed := changed || k;
        END IF;
    END LOOP;
    PERFORM algawf._act_audit(ctx, 'contacts', old.contact_name_id,
                              jsonb_build_object('contact_id', old.contact_name_id, 'changed_fields', to_jsonb(changed),
                                                 'before', (SELECT jsonb_object_agg(f, to_jsonb(old) -> f) FROM unnest(changed) f),
                                                 'after', (SELECT jsonb_object_agg(f, to_jsonb(nw) -> f) FROM unnest(changed) f)));
    RETURN jsonb_build_object('contact_before', algawf._act_contact_summary(old),
                              'contact_after', algawf._act_contact_summary(nw),
                              'changed_fields', to_jsonb(changed));
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_update(jsonb, jsonb) IS 'Implementation of the action contacts.update.';

SELECT algawf.register_action($json${
  "id": "contacts.update", "version": 1,
  "label": "Edit Contact", "category": "Contacts",
  "description": "Change a contact's name, e-mail, client, phone, role, notes or active state. An e-mail address another contact has fails with CONFLICT; give expected_updated_at to fail with CONFLICT instead of overwriting someone else's change.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["contact_id", "patch"], "properties": {
    "contact_id": {"type": "string", "format": "uuid", "description": "The contact.", "x-workflow-picker-kind": "contact"},
    "patch": {"type": "object", "additionalProperties": false, "minProperties": 1, "description": "Fields to change; fields left out stay as they are.", "properties": {
      "full_name": {"type": "string", "minLength": 1, "maxLength": 255},
      "email": {"type": ["string", "null"], "format": "email"},
      "client_id": {"type": ["string", "null"], "format": "uuid", "x-workflow-picker-kind": "client"},
      "phone_number": {"type": ["string", "null"]},
      "role": {"type": ["string", "null"]},
      "notes": {"type": ["string", "null"]},
      "is_inactive": {"type": "boolean"}}},
    "expected_updated_at": {"type": "string", "format": "date-time", "description": "The contact's updated_at as you read it."}}},
  "outputSchema": {"type": "object", "required": ["contact_before", "contact_after", "changed_fields"], "properties": {
    "contact_before": {"type": "object"}, "contact_after": {"type": "object"},
    "changed_fields": {"type": "array", "items": {"type": "string"}}}},
  "permissions": ["contact:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"input": {"contact_id": "0000000a-0004-0000-0000-000000000002", "patch": {"role": "Operations Manager", "phone_number": "+1 555 0299"}}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_update"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- contacts.deactivate

CREATE FUNCTION algawf._act_contacts_deactivate(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    old psa.contacts := algawf._act_contact_get(ctx, (input ->> 'contact_id')::uuid, true);
    nw psa.contacts;
    nusers integer := 0;
BEGIN
    IF old.is_inactive THEN
        nw := old;
    ELSE
        UPDATE psa.contacts c SET is_inactive = true WHERE c.tenant = t AND c.contact_name_id = old.contact_name_id RETURNING * INTO nw;
        IF coalesce((input ->> 'deactivate_portal_user')::boolean, true) THEN
            UPDATE psa.users u SET is_inactive = true
             WHERE u.tenant = t AND u.user_type = 'client' AND u.contact_id = old.contact_name_id AND NOT u.is_inactive;
            GET DIAGNOSTICS nusers = ROW_COUNT;
        END IF;
        PERFORM algawf._act_audit(ctx, 'contacts', old.contact_name_id,
                                  jsonb_build_object('contact_id', old.contact_name_id, 'is_inactive', true, 'users_deactivated', nusers),
                                  jsonb_strip_nulls(jsonb_build_object('reason', input ->> 'reason')));
    END IF;
    RETURN jsonb_build_object('contact_id', old.contact_name_id, 'deactivated', NOT old.is_inactive, 'noop', old.is_inactive,
                              'previous_is_inactive', old.is_inactive, 'current_is_inactive', nw.is_inactive,
                              'users_deactivated', nusers, 'contact', algawf._act_contact_summary(nw));
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_deactivate(jsonb, jsonb) IS 'Implementation of the action contacts.deactivate.';

SELECT algawf.register_action($json${
  "id": "contacts.deactivate", "version": 1,
  "label": "Deactivate Contact", "category": "Contacts",
  "description": "Mark a contact inactive (someone who left the client) without deleting anything, and by default disable their client portal login. A contact that is already inactive is left as it is (noop: true).",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["contact_id"], "properties": {
    "contact_id": {"type": "string", "format": "uuid", "description": "The contact.", "x-workflow-picker-kind": "contact"},
    "deactivate_portal_user": {"type": "boolean", "default": true, "description": "Also deactivate their client portal user."},
    "reason": {"type": "string", "description": "Kept in the audit log."}}},
  "outputSchema": {"type": "object", "required": ["contact_id", "deactivated", "noop", "previous_is_inactive", "current_is_inactive", "contact"], "properties": {
    "contact_id": {"type": "string", "format": "uuid"}, "deactivated": {"type": "boolean"}, "noop": {"type": "boolean"},
    "previous_is_inactive": {"type": "boolean"}, "current_is_inactive": {"type": "boolean"},
    "users_deactivated": {"type": "integer"}, "contact": {"type": "object"}}},
  "permissions": ["contact:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"input": {"contact_id": "0000000a-0004-0000-0000-000000000004", "reason": "left the company"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_deactivate"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- contacts.delete

CREATE FUNCTION algawf._act_contacts_delete(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    cid uuid := (input ->> 'contact_id')::uuid;
    c psa.contacts;
    deps jsonb;
    nusers bigint;
BEGIN
    IF NOT coalesce((input ->> 'confirm')::boolean, false) THEN
        PERFORM algawf._act_fail('VALIDATION_ERROR', 'deleting a contact needs confirm: true');
    END IF;
    SELECT x.* INTO c FROM psa.contacts x WHERE x.tenant = t AND x.contact_name_id = cid FOR UPDATE;
    IF NOT FOUND THEN
        IF input ->> 'on_not_found' = 'return_false' THEN
            RETURN jsonb_build_object('deleted', false, 'contact_id', cid, 'dependencies', '[]'::jsonb);
        END IF;
        PERFORM algawf._act_not_found('contact', 'contact_id', cid::text);
    END IF;

    deps := algawf._act_dependencies(ctx, 'psa.contacts'::regclass, cid);
    SELECT count(*) INTO nusers FROM psa.users u WHERE u.tenant = t AND u.contact_id = cid;
    IF nusers > 0 THEN
        deps := deps || jsonb_build_object('table', 'psa.users', 'column', 'contact_id', 'count', nusers);
    END IF;
    IF jsonb_array_length(deps) > 0 THEN
        PERFORM algawf._act_fail('CONFLICT', format('contact %s is still referenced by %s', c.full_name,
                                                    (SELECT string_agg(format('%s (%s)', replace(d ->> 'table', 'psa.', ''), d ->> 'count'), ', ')
                                                       FROM jsonb_array_elements(deps) d)),
                                 deps::text, 'Deactivate the contact instead (contacts.deactivate), or reassign what refers to it first.');
    END IF;

    DELETE FROM psa.tag_mappings m WHERE m.tenant = t AND m.tagged_type = 'contact' AND m.tagged_id = cid;
    DELETE FROM psa.entity_links l WHERE l.tenant = t AND ((l.source_type = 'contact' AND l.source_id = cid)
                                                           OR (l.target_type = 'contact' AND l.target_id = cid));
    DELETE FROM psa.document_associations a WHERE a.tenant = t AND a.entity_type = 'contact' AND a.entity_id = cid;
    DELETE FROM psa.contacts x WHERE x.tenant = t AND x.contact_name_id = cid;
    DELETE FROM psa.documents d WHERE d.tenant = t AND d.document_id = c.notes_document_id
       AND NOT EXISTS (SELECT 1 FROM psa.document_associations a WHERE a.tenant = t AND a.document_id = d.document_id);

    PERFORM algawf._act_audit(ctx, 'contacts', cid,
                              jsonb_build_object('contact_id', cid, 'full_name', c.full_name, 'email', c.email, 'deleted', true));
    RETURN jsonb_build_object('deleted', true, 'contact_id', cid, 'dependencies', '[]'::jsonb);
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_delete(jsonb, jsonb) IS 'Implementation of the action contacts.delete.';

SELECT algawf.register_action($json${
  "id": "contacts.delete", "version": 1,
  "label": "Delete Contact", "category": "Contacts",
  "description": "Permanently delete a contact with their tags and notes. Needs confirm: true. A contact still referenced by tickets, comments, interactions, projects or a portal login is not deleted (CONFLICT, naming what is left): deactivate it instead.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["contact_id", "confirm"], "properties": {
    "contact_id": {"type": "string", "format": "uuid", "description": "The contact.", "x-workflow-picker-kind": "contact"},
    "confirm": {"const": true, "description": "Must be true: deleting cannot be undone."},
    "on_not_found": {"enum": ["error", "return_false"], "default": "error"}}},
  "outputSchema": {"type": "object", "required": ["deleted", "contact_id"], "properties": {
    "deleted": {"type": "boolean"}, "contact_id": {"type": "string", "format": "uuid"},
    "dependencies": {"type": "array", "items": {"type": "object"}}}},
  "permissions": ["contact:delete"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"title": "Delete a contact if it is still there (a contact with tickets fails with CONFLICT)",
                "input": {"contact_id": "0000000a-0004-0000-0000-0000000000dd", "confirm": true, "on_not_found": "return_false"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_delete"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- contacts.duplicate

CREATE FUNCTION algawf._act_contacts_duplicate(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    src psa.contacts := algawf._act_contact_get(ctx, (input ->> 'source_contact_id')::uuid);
    target uuid := CASE WHEN input ? 'target_client_id' THEN (input ->> 'target_client_id')::uuid ELSE src.client_id END;
    dup psa.contacts;
    tags jsonb := '{"added": [], "existing": []}';
BEGIN
    IF target IS NOT NULL THEN
        PERFORM algawf._act_contact_client_check(ctx, target);
    END IF;
    PERFORM algawf._act_contact_email_check(ctx, input ->> 'email');
    INSERT INTO psa.contacts (tenant, full_name, client_id, phone_number, email, role, is_inactive, notes)
    VALUES (t, coalesce(btrim(input ->> 'full_name'), src.full_name), target,
            CASE WHEN input ?| ARRAY['phone_number', 'phone'] THEN algawf._act_contact_phone(input) ELSE src.phone_number END,
            lower(btrim(input ->> 'email')),
            CASE WHEN input ? 'role' THEN input ->> 'role' ELSE src.role END,
            coalesce((input ->> 'is_inactive')::boolean, false),
            CASE WHEN input ? 'notes' THEN input ->> 'notes' ELSE src.notes END)
    RETURNING * INTO dup;
    IF coalesce((input ->> 'copy_tags')::boolean, true) THEN
        tags := algawf._act_tags_add(ctx, 'contact', dup.contact_name_id, algawf._act_tags_of(ctx, 'contact', src.contact_name_id));
    END IF;
    PERFORM algawf._act_audit(ctx, 'contacts', dup.contact_name_id,
                              jsonb_build_object('source_contact_id', src.contact_name_id, 'duplicate_contact_id', dup.contact_name_id));
    RETURN jsonb_build_object('source_contact', algawf._act_contact_summary(src),
                              'duplicate_contact', algawf._act_contact_summary(dup),
                              'copied_tags', jsonb_array_length(tags -> 'added') + jsonb_array_length(tags -> 'existing'));
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_duplicate(jsonb, jsonb) IS 'Implementation of the action contacts.duplicate.';

SELECT algawf.register_action($json${
  "id": "contacts.duplicate", "version": 1,
  "label": "Duplicate Contact", "category": "Contacts",
  "description": "Create a new contact from an existing one (name, client, phone, role, notes, tags), for example the same person at a second client. The copy needs its own e-mail address: one that another contact has fails with CONFLICT.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["source_contact_id", "email"], "properties": {
    "source_contact_id": {"type": "string", "format": "uuid", "description": "The contact to copy.", "x-workflow-picker-kind": "contact"},
    "email": {"type": "string", "format": "email", "description": "The new contact's e-mail address (must be unused)."},
    "full_name": {"type": "string", "minLength": 1, "maxLength": 255, "description": "Default: the source's name."},
    "target_client_id": {"type": ["string", "null"], "format": "uuid", "description": "Client of the copy (default: the source's; null for none).", "x-workflow-picker-kind": "client"},
    "phone_number": {"type": ["string", "null"]},
    "role": {"type": ["string", "null"]},
    "notes": {"type": ["string", "null"]},
    "is_inactive": {"type": "boolean", "default": false},
    "copy_tags": {"type": "boolean", "default": true},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500}}},
  "outputSchema": {"type": "object", "required": ["source_contact", "duplicate_contact", "copied_tags"], "properties": {
    "source_contact": {"type": "object"},
    "duplicate_contact": {"type": "object", "required": ["contact_name_id"], "properties": {"contact_name_id": {"type": "string", "format": "uuid"}}},
    "copied_tags": {"type": "integer"}}},
  "permissions": ["contact:read", "contact:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [{"title": "John Smith also works for Initech",
                "input": {"source_contact_id": "0000000a-0004-0000-0000-000000000001", "email": "john.smith@initech.example",
                          "target_client_id": "0000000a-0003-0000-0000-000000000002"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_duplicate"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- contacts.add_tag

CREATE FUNCTION algawf._act_contacts_add_tag(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    c psa.contacts := algawf._act_contact_get(ctx, (input ->> 'contact_id')::uuid);
    r jsonb;
BEGIN
    r := algawf._act_tags_add(ctx, 'contact', c.contact_name_id, input -> 'tags');
    IF jsonb_array_length(r -> 'added') > 0 THEN
        PERFORM algawf._act_audit(ctx, 'contacts', c.contact_name_id,
                                  jsonb_build_object('contact_id', c.contact_name_id, 'tags_added', r -> 'added'));
    END IF;
    RETURN jsonb_build_object('contact_id', c.contact_name_id, 'added', r -> 'added', 'existing', r -> 'existing',
                              'added_count', jsonb_array_length(r -> 'added'),
                              'existing_count', jsonb_array_length(r -> 'existing'));
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_add_tag(jsonb, jsonb) IS 'Implementation of the action contacts.add_tag.';

SELECT algawf.register_action($json${
  "id": "contacts.add_tag", "version": 1,
  "label": "Tag Contact", "category": "Contacts",
  "description": "Put one or more tags on a contact; unknown tags are created, tags the contact already has are reported as existing (never mapped twice).",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["contact_id", "tags"], "properties": {
    "contact_id": {"type": "string", "format": "uuid", "description": "The contact.", "x-workflow-picker-kind": "contact"},
    "tags": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1, "maxLength": 100}, "description": "Tag texts."},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500}}},
  "outputSchema": {"type": "object", "required": ["contact_id", "added", "existing", "added_count", "existing_count"], "properties": {
    "contact_id": {"type": "string", "format": "uuid"},
    "added": {"type": "array", "items": {"type": "object"}}, "existing": {"type": "array", "items": {"type": "object"}},
    "added_count": {"type": "integer"}, "existing_count": {"type": "integer"}}},
  "permissions": ["contact:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [{"input": {"contact_id": "0000000a-0004-0000-0000-000000000001", "tags": ["decision-maker"]}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_add_tag"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- contacts.assign_to_ticket

CREATE FUNCTION algawf._act_contacts_assign_to_ticket(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    old psa.tickets := algawf._act_ticket_get(ctx, (input ->> 'ticket_id')::uuid, true);
    c psa.contacts := algawf._act_contact_get(ctx, (input ->> 'contact_id')::uuid);
    nw psa.tickets;
    cm psa.comments;
BEGIN
    IF old.client_id IS NOT NULL AND c.client_id IS DISTINCT FROM old.client_id THEN
        PERFORM algawf._act_fail('VALIDATION_ERROR', format('contact %s does not belong to the ticket''s client', c.full_name),
                                 format('contact client_id = %s, ticket client_id = %s', coalesce(c.client_id::text, 'null'), old.client_id),
                                 'Use clients.assign_to_ticket to move the ticket to the contact''s client.');
    END IF;
    UPDATE psa.tickets k SET contact_name_id = c.contact_name_id, updated_by = algawf._act_actor(ctx)
     WHERE k.tenant = t AND k.ticket_id = old.ticket_id
    RETURNING * INTO nw;
    IF input ->> 'comment' IS NOT NULL THEN
        cm := algawf._act_ticket_comment(ctx, old.ticket_id, input ->> 'comment', true, false,
                                         jsonb_strip_nulls(jsonb_build_object('reason', input ->> 'reason')));
    END IF;
    PERFORM algawf._act_audit(ctx, 'tickets', old.ticket_id,
                              jsonb_build_object('ticket_id', old.ticket_id, 'previous_contact_id', old.contact_name_id,
                                                 'current_contact_id', nw.contact_name_id),
                              jsonb_strip_nulls(jsonb_build_object('reason', input ->> 'reason')));
    RETURN jsonb_build_object('ticket_id', nw.ticket_id, 'previous_contact_id', old.contact_name_id,
                              'current_contact_id', nw.contact_name_id, 'noop', old.contact_name_id IS NOT DISTINCT FROM nw.contact_name_id,
                              'comment_id', cm.comment_id);
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_assign_to_ticket(jsonb, jsonb) IS 'Implementation of the action contacts.assign_to_ticket.';

SELECT algawf.register_action($json${
  "id": "contacts.assign_to_ticket", "version": 1,
  "label": "Set Ticket Contact", "category": "Contacts",
  "description": "Make a contact the requester of a ticket. Only the ticket's contact changes; the contact must belong to the ticket's client (move the ticket with clients.assign_to_ticket otherwise).",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["contact_id", "ticket_id"], "properties": {
    "contact_id": {"type": "string", "format": "uuid", "description": "The contact.", "x-workflow-picker-kind": "contact"},
    "ticket_id": {"type": "string", "format": "uuid", "description": "The ticket.", "x-workflow-picker-kind": "ticket"},
    "reason": {"type": "string", "description": "Kept in the audit log."},
    "comment": {"type": "string", "minLength": 1, "description": "An internal comment to add to the ticket."}}},
  "outputSchema": {"type": "object", "required": ["ticket_id", "previous_contact_id", "current_contact_id"], "properties": {
    "ticket_id": {"type": "string", "format": "uuid"},
    "previous_contact_id": {"type": ["string", "null"]}, "current_contact_id": {"type": ["string", "null"]},
    "noop": {"type": "boolean"}, "comment_id": {"type": ["string", "null"]}}},
  "permissions": ["ticket:update", "contact:read"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"input": {"contact_id": "0000000a-0004-0000-0000-000000000001", "ticket_id": "0000000a-0009-0000-0000-000000000001"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_assign_to_ticket"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- contacts.add_note

CREATE FUNCTION algawf._act_contacts_add_note(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    c psa.contacts := algawf._act_contact_get(ctx, (input ->> 'contact_id')::uuid, true);
    r jsonb;
BEGIN
    r := algawf._act_note_append(ctx, 'contact', c.contact_name_id, c.notes_document_id, c.full_name || ' Notes', input ->> 'body');
    IF (r ->> 'created_document')::boolean THEN
        UPDATE psa.contacts x SET notes_document_id = (r ->> 'document_id')::uuid
         WHERE x.tenant = c.tenant AND x.contact_name_id = c.contact_name_id;
    END IF;
    PERFORM algawf._act_audit(ctx, 'documents', (r ->> 'document_id')::uuid,
                              jsonb_build_object('contact_id', c.contact_name_id, 'document_id', r -> 'document_id',
                                                 'created_document', r -> 'created_document'));
    RETURN jsonb_build_object('contact_id', c.contact_name_id) || r;
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_add_note(jsonb, jsonb) IS 'Implementation of the action contacts.add_note.';

SELECT algawf.register_action($json${
  "id": "contacts.add_note", "version": 1,
  "label": "Add Contact Note", "category": "Contacts",
  "description": "Append a note to the contact's notes document (created on first use). Notes are only ever added, never edited.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["contact_id", "body"], "properties": {
    "contact_id": {"type": "string", "format": "uuid", "description": "The contact.", "x-workflow-picker-kind": "contact"},
    "body": {"type": "string", "minLength": 1, "description": "Note text."},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Your key: a second call with the same key does not add the note twice."}}},
  "outputSchema": {"type": "object", "required": ["contact_id", "document_id", "created_document", "updated_at"], "properties": {
    "contact_id": {"type": "string", "format": "uuid"}, "document_id": {"type": "string", "format": "uuid"},
    "created_document": {"type": "boolean"}, "note_count": {"type": "integer"},
    "updated_at": {"type": "string", "format": "date-time"}}},
  "permissions": ["contact:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [{"input": {"contact_id": "0000000a-0004-0000-0000-000000000001", "body": "Prefers phone calls before 10am."}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_add_note"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- contacts.add_interaction

CREATE FUNCTION algawf._act_contacts_add_interaction(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    c psa.contacts := algawf._act_contact_get(ctx, (input ->> 'contact_id')::uuid);
    tk psa.tickets;
    r psa.interactions;
BEGIN
    IF input ->> 'ticket_id' IS NOT NULL THEN
        tk := algawf._act_ticket_get(ctx, (input ->> 'ticket_id')::uuid);
        IF tk.client_id IS NOT NULL AND c.client_id IS NOT NULL AND tk.client_id <> c.client_id THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('ticket %s belongs to another client than %s', tk.ticket_number, c.full_name),
                                     format('ticket client_id = %s, contact client_id = %s', tk.client_id, c.client_id));
        END IF;
    END IF;
    r := algawf._act_interaction_create(ctx, c.client_id, c.contact_name_id, tk.ticket_id,
                                        coalesce(input ->> 'interaction_type_id', input ->> 'type_id')::uuid,
                                        input ->> 'title', input ->> 'notes',
                                        (input ->> 'start_time')::timestamptz, (input ->> 'end_time')::timestamptz,
                                        (input ->> 'duration')::integer, (input ->> 'status_id')::uuid,
                                        (input ->> 'interaction_date')::timestamptz);
    PERFORM algawf._act_audit(ctx, 'interactions', r.interaction_id,
                              jsonb_build_object('interaction_id', r.interaction_id, 'contact_id', r.contact_name_id,
                                                 'client_id', r.client_id, 'ticket_id', r.ticket_id, 'type_id', r.type_id));
    RETURN algawf._act_interaction_output(r) || jsonb_build_object('interaction_type_id', r.type_id);
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_add_interaction(jsonb, jsonb) IS 'Implementation of the action contacts.add_interaction.';

SELECT algawf.register_action($json${
  "id": "contacts.add_interaction", "version": 1,
  "label": "Log Contact Interaction", "category": "Contacts",
  "description": "Log a call, e-mail, meeting, note or site visit with a contact (recorded against their client too, optionally about a ticket), owned by the acting user.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["contact_id", "title"],
    "anyOf": [{"required": ["interaction_type_id"]}, {"required": ["type_id"]}],
    "properties": {
    "contact_id": {"type": "string", "format": "uuid", "description": "The contact.", "x-workflow-picker-kind": "contact"},
    "interaction_type_id": {"type": "string", "format": "uuid", "description": "Interaction type: system (Call 00000000-0000-0000-0001-000000000001, Email ...02, Meeting ...03, Note ...04) or the tenant's.", "x-workflow-picker-kind": "interaction-type"},
    "type_id": {"type": "string", "format": "uuid", "description": "Same as interaction_type_id."},
    "title": {"type": "string", "minLength": 1},
    "ticket_id": {"type": ["string", "null"], "format": "uuid", "description": "A ticket of the contact's client.", "x-workflow-picker-kind": "ticket"},
    "notes": {"type": "string"},
    "interaction_date": {"type": "string", "format": "date-time"},
    "start_time": {"type": "string", "format": "date-time"},
    "end_time": {"type": "string", "format": "date-time"},
    "duration": {"type": "integer", "minimum": 0, "description": "Minutes (default: from start_time and end_time)."},
    "status_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "interaction-status"},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500}}},
  "outputSchema": {"type": "object", "required": ["interaction_id", "contact_id", "interaction_type_id", "title", "interaction_date", "user_id"], "properties": {
    "interaction_id": {"type": "string", "format": "uuid"}, "contact_id": {"type": "string", "format": "uuid"},
    "client_id": {"type": ["string", "null"]}, "ticket_id": {"type": ["string", "null"]},
    "interaction_type_id": {"type": "string", "format": "uuid"}, "type_id": {"type": "string", "format": "uuid"},
    "status_id": {"type": ["string", "null"]}, "title": {"type": "string"}, "notes": {"type": ["string", "null"]},
    "interaction_date": {"type": "string", "format": "date-time"},
    "start_time": {"type": ["string", "null"]}, "end_time": {"type": ["string", "null"]},
    "duration": {"type": ["integer", "null"]}, "user_id": {"type": "string", "format": "uuid"}}},
  "permissions": ["interaction:create", "contact:read"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [{"input": {"contact_id": "0000000a-0004-0000-0000-000000000002", "interaction_type_id": "00000000-0000-0000-0001-000000000002",
                          "title": "Sent the printer quote", "ticket_id": "0000000a-0009-0000-0000-000000000001"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_add_interaction"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- contacts.add_to_client / contacts.move_to_client

CREATE FUNCTION algawf._act_contacts_set_client(ctx jsonb, c psa.contacts, client psa.clients) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nw psa.contacts := c;
    noop boolean := c.client_id IS NOT DISTINCT FROM client.client_id;
BEGIN
    IF NOT noop THEN
        UPDATE psa.contacts x SET client_id = client.client_id
         WHERE x.tenant = c.tenant AND x.contact_name_id = c.contact_name_id
        RETURNING * INTO nw;
        PERFORM algawf._act_audit(ctx, 'contacts', c.contact_name_id,
                                  jsonb_build_object('contact_id', c.contact_name_id, 'previous_client_id', c.client_id,
                                                     'current_client_id', nw.client_id));
    END IF;
    RETURN jsonb_build_object('contact_id', c.contact_name_id, 'previous_client_id', c.client_id,
                              'current_client_id', nw.client_id, 'noop', noop, 'contact', algawf._act_contact_summary(nw));
END
$$;
COMMENT ON FUNCTION algawf._act_contacts_set_client(jsonb, psa.contacts, psa.clients) IS
    'Internal: puts a contact under a client (no-op when it already is); the output of contacts.add_to_client / move_to_client.';

CREATE FUNCTION algawf._act_contacts_add_to_client(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    cl psa.clients := algawf._act_contact_client_check(ctx, (input ->> 'client_id')::uuid);
    c psa.contacts := algawf._act_contact_get(ctx, (input ->> 'contact_id')::uuid, true);
BEGIN
    IF c.client_id IS NOT NULL AND c.client_id <> cl.client_id THEN
        PERFORM algawf._act_fail('CONFLICT', format('contact %s already belongs to another client', c.full_name),
                                 format('current client_id = %s, requested client_id = %s', c.client_id, cl.client_id),
                                 'Use contacts.move_to_client to move a contact between clients.');
    END IF;
    RETURN algawf._act_contacts_set_client(ctx, c, cl);
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_add_to_client(jsonb, jsonb) IS 'Implementation of the action contacts.add_to_client.';

SELECT algawf.register_action($json${
  "id": "contacts.add_to_client", "version": 1,
  "label": "Add Contact to Client", "category": "Contacts",
  "description": "Put a contact who has no client under a client. Already there: nothing changes (noop: true). A contact of another client fails with CONFLICT (use contacts.move_to_client).",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["contact_id", "client_id"], "properties": {
    "contact_id": {"type": "string", "format": "uuid", "description": "The contact.", "x-workflow-picker-kind": "contact"},
    "client_id": {"type": "string", "format": "uuid", "description": "The client.", "x-workflow-picker-kind": "client"}}},
  "outputSchema": {"type": "object", "required": ["contact_id", "previous_client_id", "current_client_id", "noop", "contact"], "properties": {
    "contact_id": {"type": "string", "format": "uuid"},
    "previous_client_id": {"type": ["string", "null"]}, "current_client_id": {"type": ["string", "null"]},
    "noop": {"type": "boolean"}, "contact": {"type": "object"}}},
  "permissions": ["contact:update", "client:read"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"input": {"contact_id": "0000000a-0004-0000-0000-000000000001", "client_id": "0000000a-0003-0000-0000-000000000001"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_add_to_client"}
}$json$::jsonb);

CREATE FUNCTION algawf._act_contacts_move_to_client(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    cl psa.clients := algawf._act_contact_client_check(ctx, (input ->> 'target_client_id')::uuid);
    c psa.contacts := algawf._act_contact_get(ctx, (input ->> 'contact_id')::uuid, true);
BEGIN
    IF input ? 'expected_current_client_id'
       AND (input ->> 'expected_current_client_id')::uuid IS DISTINCT FROM c.client_id THEN
        PERFORM algawf._act_fail('CONFLICT', format('contact %s is not under the expected client', c.full_name),
                                 format('expected_current_client_id = %s, current client_id = %s',
                                        coalesce(input ->> 'expected_current_client_id', 'null'), coalesce(c.client_id::text, 'null')),
                                 'Someone moved the contact meanwhile: look it up again.');
    END IF;
    RETURN algawf._act_contacts_set_client(ctx, c, cl);
END
$fn$;
COMMENT ON FUNCTION algawf._act_contacts_move_to_client(jsonb, jsonb) IS 'Implementation of the action contacts.move_to_client.';

SELECT algawf.register_action($json${
  "id": "contacts.move_to_client", "version": 1,
  "label": "Move Contact to Client", "category": "Contacts",
  "description": "Move a contact to another client (someone changed employer within your client base). Give expected_current_client_id to fail with CONFLICT when the contact is not where you think it is. Their existing tickets stay with the old client.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["contact_id", "target_client_id"], "properties": {
    "contact_id": {"type": "string", "format": "uuid", "description": "The contact.", "x-workflow-picker-kind": "contact"},
    "target_client_id": {"type": "string", "format": "uuid", "description": "The new client.", "x-workflow-picker-kind": "client"},
    "expected_current_client_id": {"type": ["string", "null"], "format": "uuid", "description": "Where the contact should be now (null: no client).", "x-workflow-picker-kind": "client"}}},
  "outputSchema": {"type": "object", "required": ["contact_id", "previous_client_id", "current_client_id", "noop", "contact"], "properties": {
    "contact_id": {"type": "string", "format": "uuid"},
    "previous_client_id": {"type": ["string", "null"]}, "current_client_id": {"type": ["string", "null"]},
    "noop": {"type": "boolean"}, "contact": {"type": "object"}}},
  "permissions": ["contact:update", "client:read"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"input": {"contact_id": "0000000a-0004-0000-0000-000000000004", "target_client_id": "0000000a-0003-0000-0000-000000000001",
                          "expected_current_client_id": "0000000a-0003-0000-0000-000000000002"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_contacts_move_to_client"}
}$json$::jsonb);
