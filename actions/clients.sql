-- clients.*: the MSP's customers (psa.clients, client_locations, tags, notes,
-- interactions).  Implementations run as algawf_service under row-level
-- security for the call's tenant; every id in the input is looked up in that
-- tenant (another tenant's id is NOT_FOUND).

-- ---------------------------------------------------------------------------
-- Shared pieces of the family.

-- A client name must be unique in the tenant (case-insensitive, trimmed).
CREATE FUNCTION algawf._act_client_name_check(ctx jsonb, client_name text, except_id uuid DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    other psa.clients;
BEGIN
    SELECT c.* INTO other FROM psa.clients c
     WHERE c.tenant = algawf._act_tenant(ctx) AND lower(btrim(c.client_name)) = lower(btrim(_act_client_name_check.client_name))
       AND c.client_id IS DISTINCT FROM except_id
     LIMIT 1;
    IF FOUND THEN
        PERFORM algawf._act_fail('CONFLICT', format('a client named "%s" already exists', other.client_name),
                                 format('client_id = %s%s', other.client_id, CASE WHEN other.is_inactive THEN ' (archived)' ELSE '' END),
                                 'Use the existing client (clients.find by name), or choose another name.');
    END IF;
END
$$;
COMMENT ON FUNCTION algawf._act_client_name_check(jsonb, text, uuid) IS
    'Internal: CONFLICT when another client of the tenant has the same name (case-insensitive).';

-- The client's default location from the flat address fields of clients.create
-- / clients.update (address, address_2, city, state, zip, country, country_code,
-- phone_no, email): updated when there is one, created otherwise.  NULL when
-- none of the fields is given.
CREATE FUNCTION algawf._act_client_location_upsert(ctx jsonb, client_id uuid, f jsonb) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    loc psa.client_locations;
    cc text;
BEGIN
    IF NOT (f ?| ARRAY['address', 'address_2', 'city', 'state', 'zip', 'country', 'country_code', 'phone_no']) THEN
        RETURN NULL;
    END IF;
    cc := upper(coalesce(f ->> 'country_code', CASE WHEN f ->> 'country' ~ '^[A-Za-z]{2}$' THEN f ->> 'country' END));

    SELECT l.* INTO loc FROM psa.client_locations l
     WHERE l.tenant = t AND l.client_id = _act_client_location_upsert.client_id
     ORDER BY l.is_default DESC, l.created_at LIMIT 1 FOR UPDATE;
    IF FOUND THEN
        UPDATE psa.client_locations l SET
            address_line1 = CASE WHEN f ? 'address' THEN coalesce(f ->> 'address', '') ELSE l.address_line1 END,
            address_line2 = CASE WHEN f ? 'address_2' THEN f ->> 'address_2' ELSE l.address_line2 END,
            city = CASE WHEN f ? 'city' THEN coalesce(f ->> 'city', '') ELSE l.city END,
            state_province = CASE WHEN f ? 'state' THEN f ->> 'state' ELSE l.state_province END,
            postal_code = CASE WHEN f ? 'zip' THEN f ->> 'zip' ELSE l.postal_code END,
            country_name = CASE WHEN f ? 'country' AND f ->> 'country' !~ '^[A-Za-z]{2}$' THEN f ->> 'country' ELSE l.country_name END,
            country_code = coalesce(cc, l.country_code),
            phone = CASE WHEN f ? 'phone_no' THEN f ->> 'phone_no' ELSE l.phone END,
            email = CASE WHEN f ? 'email' THEN f ->> 'email' ELSE l.email END
         WHERE l.tenant = t AND l.location_id = loc.location_id;
        RETURN loc.location_id;
    END IF;

    INSERT INTO psa.client_locations (tenant, client_id, location_name, address_line1, address_line2, city, state_province,
                                      postal_code, country_code, country_name, phone, email, is_default, is_billing_address,
                                      is_shipping_address)
    VALUES (t, client_id, 'Main Office', coalesce(f ->> 'address', ''), f ->> 'address_2', coalesce(f ->> 'city', ''),
            f ->> 'state', f ->> 'zip', coalesce(cc, 'US'),
            CASE WHEN f ->> 'country' !~ '^[A-Za-z]{2}$' THEN f ->> 'country' END,
            f ->> 'phone_no', f ->> 'email', true, true, true)
    RETURNING location_id INTO loc.location_id;
    RETURN loc.location_id;
END
$$;
COMMENT ON FUNCTION algawf._act_client_location_upsert(jsonb, uuid, jsonb) IS
    'Internal: writes the address fields of clients.create/update to the client''s default location (created when missing); NULL when no address field is given.';

-- Archiving a client deactivates its contacts and their client portal users.
CREATE FUNCTION algawf._act_client_deactivate_people(ctx jsonb, client_id uuid) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    ids uuid[];
    nusers integer;
BEGIN
    WITH u AS (
        UPDATE psa.contacts c SET is_inactive = true
         WHERE c.tenant = t AND c.client_id = _act_client_deactivate_people.client_id AND NOT c.is_inactive
        RETURNING c.contact_name_id)
    SELECT coalesce(array_agg(contact_name_id), '{}') INTO ids FROM u;
    UPDATE psa.users x SET is_inactive = true
     WHERE x.tenant = t AND x.user_type = 'client' AND NOT x.is_inactive
       AND x.contact_id IN (SELECT c.contact_name_id FROM psa.contacts c
                             WHERE c.tenant = t AND c.client_id = _act_client_deactivate_people.client_id);
    GET DIAGNOSTICS nusers = ROW_COUNT;
    RETURN jsonb_build_object('contacts', cardinality(ids), 'users', nusers);
END
$$;
COMMENT ON FUNCTION algawf._act_client_deactivate_people(jsonb, uuid) IS
    'Internal: deactivates the active contacts of a client and their client portal users; returns {contacts, users} counts.';

CREATE FUNCTION algawf._act_client_primary_contact(ctx jsonb, client_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT algawf._act_contact_summary(c)
      FROM psa.contacts c
     WHERE c.tenant = algawf._act_tenant(ctx) AND c.client_id = _act_client_primary_contact.client_id
     ORDER BY c.is_inactive, c.created_at, c.contact_name_id
     LIMIT 1
$$;
COMMENT ON FUNCTION algawf._act_client_primary_contact(jsonb, uuid) IS
    'Internal: the client''s primary contact (its oldest active contact), or NULL.';

-- ---------------------------------------------------------------------------
-- clients.find

CREATE FUNCTION algawf._act_clients_find(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    c psa.clients;
    matched text;
    res jsonb;
BEGIN
    IF input ? 'client_id' THEN
        matched := 'client_id';
        SELECT x.* INTO c FROM psa.clients x WHERE x.tenant = t AND x.client_id = (input ->> 'client_id')::uuid;
    ELSIF input ? 'name' THEN
        matched := 'name';
        SELECT x.* INTO c FROM psa.clients x WHERE x.tenant = t AND lower(x.client_name) = lower(btrim(input ->> 'name'))
         ORDER BY x.is_inactive, x.created_at LIMIT 1;
    ELSE
        matched := 'external_ref';
        SELECT x.* INTO c FROM psa.clients x WHERE x.tenant = t AND x.properties ->> 'external_ref' = input ->> 'external_ref'
         ORDER BY x.is_inactive, x.created_at LIMIT 1;
    END IF;

    IF c.client_id IS NULL THEN
        IF coalesce(input ->> 'on_not_found', 'return_null') = 'error' THEN
            PERFORM algawf._act_fail('NOT_FOUND', 'client not found', format('%s = %s', matched, input ->> matched));
        END IF;
        RETURN jsonb_build_object('client', NULL, 'primary_contact', NULL, 'matched_by', NULL);
    END IF;

    res := jsonb_build_object('client', algawf._act_client_summary(c), 'matched_by', matched,
                              'primary_contact', CASE WHEN coalesce((input ->> 'include_primary_contact')::boolean, false)
                                                      THEN algawf._act_client_primary_contact(ctx, c.client_id) END);
    IF coalesce((input ->> 'include_tags')::boolean, false) THEN
        res := res || jsonb_build_object('tags', algawf._act_tags_of(ctx, 'client', c.client_id));
    END IF;
    IF coalesce((input ->> 'include_locations')::boolean, false) THEN
        res := res || jsonb_build_object('locations', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'location_id', l.location_id, 'location_name', l.location_name, 'address_line1', l.address_line1,
                       'address_line2', l.address_line2, 'city', l.city, 'state_province', l.state_province,
                       'postal_code', l.postal_code, 'country_code', l.country_code, 'phone', l.phone, 'email', l.email,
                       'is_default', l.is_default) ORDER BY l.is_default DESC, l.created_at)
              FROM psa.client_locations l WHERE l.tenant = t AND l.client_id = c.client_id), '[]'));
    END IF;
    RETURN res;
END
$fn$;
COMMENT ON FUNCTION algawf._act_clients_find(jsonb, jsonb) IS 'Implementation of the action clients.find.';

SELECT algawf.register_action($json${
  "id": "clients.find", "version": 1,
  "label": "Find Client", "category": "Clients",
  "description": "Look a client up by id, by name (case-insensitive) or by a reference from another system (properties.external_ref), optionally with its primary contact, tags and locations. Returns client: null when there is none, or fails with NOT_FOUND when on_not_found is error.",
  "inputSchema": {"type": "object", "additionalProperties": false,
    "anyOf": [{"required": ["client_id"]}, {"required": ["name"]}, {"required": ["external_ref"]}],
    "properties": {
    "client_id": {"type": "string", "format": "uuid", "description": "Client id.", "x-workflow-picker-kind": "client"},
    "name": {"type": "string", "minLength": 1, "description": "Exact client name (case-insensitive)."},
    "external_ref": {"type": "string", "pattern": "^[A-Za-z0-9._:-]+$", "description": "properties.external_ref."},
    "include_primary_contact": {"type": "boolean", "default": false, "description": "Also return the oldest active contact."},
    "include_tags": {"type": "boolean", "default": false},
    "include_locations": {"type": "boolean", "default": false},
    "on_not_found": {"enum": ["return_null", "error"], "default": "return_null", "description": "What to do when no client matches."}}},
  "outputSchema": {"type": "object", "required": ["client", "primary_contact"], "properties": {
    "client": {"anyOf": [{"$ref": "#/$defs/client"}, {"type": "null"}]},
    "primary_contact": {"anyOf": [{"$ref": "#/$defs/contact"}, {"type": "null"}]},
    "matched_by": {"type": ["string", "null"]},
    "tags": {"type": "array", "items": {"type": "string"}},
    "locations": {"type": "array", "items": {"type": "object"}}},
    "$defs": {
      "client": {"type": "object", "required": ["client_id", "client_name", "is_inactive"], "properties": {
        "client_id": {"type": "string", "format": "uuid"}, "client_name": {"type": "string"}, "client_type": {"type": "string"},
        "url": {"type": ["string", "null"]}, "billing_email": {"type": ["string", "null"]},
        "account_manager_id": {"type": ["string", "null"]}, "is_inactive": {"type": "boolean"},
        "properties": {"type": "object"}, "created_at": {"type": "string"}, "updated_at": {"type": "string"}}},
      "contact": {"type": "object", "required": ["contact_name_id", "full_name"], "properties": {
        "contact_name_id": {"type": "string", "format": "uuid"}, "full_name": {"type": "string"},
        "email": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]}, "role": {"type": ["string", "null"]},
        "client_id": {"type": ["string", "null"]}, "is_inactive": {"type": "boolean"}}}}},
  "permissions": ["client:read"],
  "sideEffectful": false,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"title": "By name, with the primary contact", "input": {"name": "globex corporation", "include_primary_contact": true}}],
  "implementation": {"kind": "sql", "function": "algawf._act_clients_find"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- clients.search

CREATE FUNCTION algawf._act_clients_search(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    f jsonb := coalesce(input -> 'filters', '{}');
    q text := NULLIF(btrim(input ->> 'query'), '');
    pat text;
    page integer := coalesce((input ->> 'page')::integer, 1);
    size integer := coalesce((input ->> 'page_size')::integer, 25);
    sort_desc boolean := coalesce(f ->> 'sort_order', 'asc') = 'desc';
    sort_by text := coalesce(f ->> 'sort_by', 'name');
    total bigint;
    rows jsonb;
BEGIN
    pat := '%' || replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    WITH m AS (
        SELECT c.client_id, c.client_name, c.updated_at, c.created_at FROM psa.clients c
         WHERE c.tenant = t
           AND (coalesce((f ->> 'include_inactive')::boolean, false) OR NOT c.is_inactive)
           AND (q IS NULL OR c.client_name ILIKE pat OR c.billing_email ILIKE pat OR c.url ILIKE pat)
           AND (f ->> 'client_type' IS NULL OR c.client_type = f ->> 'client_type')
           AND (f ->> 'account_manager_id' IS NULL OR c.account_manager_id = (f ->> 'account_manager_id')::uuid)
           AND (f -> 'tags' IS NULL OR jsonb_array_length(f -> 'tags') = 0 OR EXISTS (
                   SELECT 1 FROM psa.tag_mappings tm JOIN psa.tag_definitions td ON td.tenant = tm.tenant AND td.tag_id = tm.tag_id
                    WHERE tm.tenant = c.tenant AND tm.tagged_type = 'client' AND tm.tagged_id = c.client_id
                      AND lower(td.tag_text) IN (SELECT lower(e) FROM jsonb_array_elements_text(f -> 'tags') e)))
    ),
    o AS (
        SELECT m.client_id,
               row_number() OVER (ORDER BY
                   CASE WHEN NOT sort_desc AND sort_by = 'name' THEN lower(m.client_name) END ASC,
                   CASE WHEN sort_desc AND sort_by = 'name' THEN lower(m.client_name) END DESC,
                   CASE WHEN NOT sort_desc AND sort_by = 'updated_at' THEN m.updated_at END ASC,
                   CASE WHEN sort_desc AND sort_by = 'updated_at' THEN m.updated_at END DESC,
                   CASE WHEN NOT sort_desc AND sort_by = 'created_at' THEN m.created_at END ASC,
                   CASE WHEN sort_desc AND sort_by = 'created_at' THEN m.created_at END DESC,
                   m.client_id) AS n,
               count(*) OVER () AS total
          FROM m
    )
    SELECT coalesce(jsonb_agg(algawf._act_client_summary(c) ORDER BY o.n)
                    FILTER (WHERE o.n > (page - 1) * size AND o.n <= page * size), '[]'),
           coalesce(max(o.total), 0)
      INTO rows, total
      FROM o JOIN psa.clients c ON c.tenant = t AND c.client_id = o.client_id;
    RETURN jsonb_build_object('clients', rows, 'first_client', rows -> 0, 'page', page, 'page_size', size,
                              'total', total, 'has_more', page * size < total);
END
$fn$;
COMMENT ON FUNCTION algawf._act_clients_search(jsonb, jsonb) IS 'Implementation of the action clients.search.';

SELECT algawf.register_action($json${
  "id": "clients.search", "version": 1,
  "label": "Search Clients", "category": "Clients",
  "description": "Search the client list by part of a name, billing e-mail or web address, filtered by tags, client type, account manager and archived state, sorted and paged.",
  "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
    "query": {"type": "string", "minLength": 1, "description": "Text to look for (case-insensitive substring of name, billing e-mail or URL); leave out to list all."},
    "filters": {"type": "object", "additionalProperties": false, "properties": {
      "include_inactive": {"type": "boolean", "default": false, "description": "Include archived clients."},
      "tags": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "Only clients with any of these tags."},
      "client_type": {"enum": ["company", "individual"]},
      "account_manager_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "user"},
      "sort_by": {"enum": ["name", "updated_at", "created_at"], "default": "name"},
      "sort_order": {"enum": ["asc", "desc"], "default": "asc"}}},
    "page": {"type": "integer", "minimum": 1, "default": 1},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}}},
  "outputSchema": {"type": "object", "required": ["clients", "first_client", "page", "page_size", "total"], "properties": {
    "clients": {"type": "array", "items": {"type": "object"}},
    "first_client": {"type": ["object", "null"]},
    "page": {"type": "integer"}, "page_size": {"type": "integer"},
    "total": {"type": "integer", "description": "Matches over all pages."},
    "has_more": {"type": "boolean"}}},
  "permissions": ["client:read"],
  "sideEffectful": false,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"title": "Active clients whose name contains 'tech'", "input": {"query": "tech", "page_size": 10}}],
  "implementation": {"kind": "sql", "function": "algawf._act_clients_search"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- clients.create

CREATE FUNCTION algawf._act_clients_create(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    c psa.clients;
    loc uuid;
    tags jsonb;
BEGIN
    PERFORM algawf._act_client_name_check(ctx, input ->> 'client_name');
    IF input ->> 'account_manager_id' IS NOT NULL THEN
        PERFORM algawf._act_user_check(ctx, (input ->> 'account_manager_id')::uuid, 'account manager');
    END IF;

    INSERT INTO psa.clients (tenant, client_name, client_type, url, billing_email, account_manager_id, is_tax_exempt,
                             billing_cycle, properties, notes)
    VALUES (t, btrim(input ->> 'client_name'), coalesce(input ->> 'client_type', 'company'), input ->> 'url', input ->> 'email',
            (input ->> 'account_manager_id')::uuid, coalesce((input ->> 'is_tax_exempt')::boolean, false),
            coalesce(input ->> 'billing_cycle', 'monthly'),
            coalesce(input -> 'properties', '{}') || jsonb_strip_nulls(jsonb_build_object('external_ref', input -> 'external_ref')),
            input ->> 'notes')
    RETURNING * INTO c;

    loc := algawf._act_client_location_upsert(ctx, c.client_id, input);
    tags := algawf._act_tags_add(ctx, 'client', c.client_id, input -> 'tags');

    PERFORM algawf._act_audit(ctx, 'clients', c.client_id,
                              jsonb_build_object('client_id', c.client_id, 'client_name', c.client_name, 'location_id', loc));
    RETURN jsonb_build_object('client', algawf._act_client_summary(c), 'location_id', loc,
                              'tags', (tags -> 'added') || (tags -> 'existing'));
END
$fn$;
COMMENT ON FUNCTION algawf._act_clients_create(jsonb, jsonb) IS 'Implementation of the action clients.create.';

SELECT algawf.register_action($json${
  "id": "clients.create", "version": 1,
  "label": "Create Client", "category": "Clients",
  "description": "Add a client (a company or an individual) with its billing e-mail, web address, account manager, main office address and tags. A client with the same name already in the tenant fails with CONFLICT.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["client_name"], "properties": {
    "client_name": {"type": "string", "minLength": 1, "maxLength": 255, "description": "Name (unique in the tenant, case-insensitive)."},
    "client_type": {"enum": ["company", "individual"], "default": "company"},
    "url": {"type": "string", "format": "uri", "description": "Web site."},
    "email": {"type": "string", "format": "email", "description": "Billing e-mail address."},
    "phone_no": {"type": "string", "description": "Main office phone."},
    "address": {"type": "string", "description": "Main office street address."},
    "address_2": {"type": "string"},
    "city": {"type": "string"},
    "state": {"type": "string", "description": "State or province."},
    "zip": {"type": "string", "description": "Postal code."},
    "country": {"type": "string", "description": "Country name, or its ISO code."},
    "country_code": {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166 alpha-2 code (default US)."},
    "account_manager_id": {"type": "string", "format": "uuid", "description": "The MSP user who manages the account.", "x-workflow-picker-kind": "user"},
    "billing_cycle": {"enum": ["weekly", "bi-weekly", "monthly", "quarterly", "semi-annually", "annually"], "default": "monthly"},
    "is_tax_exempt": {"type": "boolean", "default": false},
    "notes": {"type": "string", "description": "Free-text notes (the notes column; clients.add_note appends to the notes document)."},
    "properties": {"type": "object", "description": "More properties (industry, size, ...)."},
    "external_ref": {"type": "string", "pattern": "^[A-Za-z0-9._:-]+$", "description": "Reference in another system (properties.external_ref; clients.find looks it up)."},
    "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 100}, "description": "Tags; missing tag definitions are created."},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Your key for this create: a second call with the same key returns the first client."}}},
  "outputSchema": {"type": "object", "required": ["client", "tags"], "properties": {
    "client": {"type": "object", "required": ["client_id", "client_name"], "properties": {
      "client_id": {"type": "string", "format": "uuid"}, "client_name": {"type": "string"}}},
    "location_id": {"type": ["string", "null"], "format": "uuid", "description": "The main office location, when an address was given."},
    "tags": {"type": "array", "items": {"type": "object", "properties": {
      "tag_id": {"type": "string", "format": "uuid"}, "tag_text": {"type": "string"}, "mapping_id": {"type": "string", "format": "uuid"}}}}}},
  "permissions": ["client:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [
    {"title": "A new managed-services customer",
     "input": {"client_name": "Vandelay Industries", "url": "https://vandelay.example", "email": "ap@vandelay.example",
               "address": "129 West 81st Street", "city": "New York", "state": "NY", "zip": "10024", "country_code": "US",
               "account_manager_id": "0000000a-0001-0000-0000-000000000005", "tags": ["managed", "new"]}}],
  "implementation": {"kind": "sql", "function": "algawf._act_clients_create"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- clients.update

CREATE FUNCTION algawf._act_clients_update(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    p jsonb := input -> 'patch';
    old psa.clients := algawf._act_client_get(ctx, (input ->> 'client_id')::uuid, true);
    nw psa.clients;
    loc uuid;
    people jsonb;
    changed text[] := '{}';
    k text;
BEGIN
    IF input ? 'expected_updated_at' AND old.updated_at <> (input ->> 'expected_updated_at')::timestamptz
       AND date_trunc('milliseconds', old.updated_at) <> (input ->> 'expected_updated_at')::timestamptz THEN
        PERFORM algawf._act_fail('CONFLICT', 'the client was changed since expected_updated_at',
                                 format('expected_updated_at = %s, updated_at = %s', input ->> 'expected_updated_at',
                                        algawf._act_iso(old.updated_at)),
                                 'Read the client again (clients.find) and retry with its updated_at.');
    END IF;
    IF p ? 'client_name' THEN
        PERFORM algawf._act_client_name_check(ctx, p ->> 'client_name', old.client_id);
    END IF;
    IF p ->> 'account_manager_id' IS NOT NULL THEN
        PERFORM algawf._act_user_check(ctx, (p ->> 'account_manager_id')::uuid, 'account manager');
    END IF;

    UPDATE psa.clients c SET
        client_name = CASE WHEN p ? 'client_name' THEN btrim(p ->> 'client_name') ELSE c.client_name END,
        client_type = CASE WHEN p ? 'client_type' THEN p ->> 'client_type' ELSE c.client_type END,
        url = CASE WHEN p ? 'url' THEN p ->> 'url' ELSE c.url END,
        billing_email = CASE WHEN p ? 'email' THEN p ->> 'email' ELSE c.billing_email END,
        account_manager_id = CASE WHEN p ? 'account_manager_id' THEN (p ->> 'account_manager_id')::uuid ELSE c.account_manager_id END,
        billing_cycle = CASE WHEN p ? 'billing_cycle' THEN p ->> 'billing_cycle' ELSE c.billing_cycle END,
        is_tax_exempt = CASE WHEN p ? 'is_tax_exempt' THEN (p ->> 'is_tax_exempt')::boolean ELSE c.is_tax_exempt END,
        is_inactive = CASE WHEN p ? 'is_inactive' THEN (p ->> 'is_inactive')::boolean ELSE c.is_inactive END,
        notes = CASE WHEN p ? 'notes' THEN p ->> 'notes' ELSE c.notes END,
        properties = CASE WHEN NOT p ? 'properties' THEN c.properties
                          WHEN jsonb_typeof(p -> 'properties') = 'null' THEN '{}'
                          ELSE c.properties || (p -> 'properties') END
     WHERE c.tenant = t AND c.client_id = old.client_id
    RETURNING * INTO nw;

    loc := algawf._act_client_location_upsert(ctx, old.client_id, p);
    IF loc IS NOT NULL THEN
        changed := changed || 'location'::text;
    END IF;
    IF nw.is_inactive AND NOT old.is_inactive THEN
        people := algawf._act_client_deactivate_people(ctx, old.client_id);
    END IF;

    FOREACH k IN ARRAY ARRAY['client_name', 'client_type', 'url', 'billing_email', 'account_manager_id', 'billing_cycle',
                             'is_tax_exempt', 'is_inactive', 'notes', 'properties'] LOOP
        IF to_jsonb(old) -> k IS DISTINCT FROM to_jsonb(nw) -> k THEN
            changed := changed || k;
        END IF;
    END LOOP;

    PERFORM algawf._act_audit(ctx, 'clients', old.client_id,
                              jsonb_build_object('client_id', old.client_id, 'changed_fields', to_jsonb(changed),
                                                 'before', (SELECT jsonb_object_agg(f, to_jsonb(old) -> f) FROM unnest(changed) f WHERE f <> 'location'),
                                                 'after', (SELECT jsonb_object_agg(f, to_jsonb(nw) -> f) FROM unnest(changed) f WHERE f <> 'location'),
                                                 'deactivated', people));
    RETURN jsonb_build_object('client_before', algawf._act_client_summary(old),
                              'client_after', algawf._act_client_summary(nw),
                              'changed_fields', to_jsonb(changed));
END
$fn$;
COMMENT ON FUNCTION algawf._act_clients_update(jsonb, jsonb) IS 'Implementation of the action clients.update.';

SELECT algawf.register_action($json${
  "id": "clients.update", "version": 1,
  "label": "Edit Client", "category": "Clients",
  "description": "Change a client's name, type, web address, billing e-mail, account manager, billing cycle, tax status, notes, properties or main office address. Setting is_inactive archives it (with its contacts and portal users). A name another client already has fails with CONFLICT.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["client_id", "patch"], "properties": {
    "client_id": {"type": "string", "format": "uuid", "description": "The client.", "x-workflow-picker-kind": "client"},
    "patch": {"type": "object", "additionalProperties": false, "minProperties": 1, "description": "Fields to change; fields left out stay as they are.", "properties": {
      "client_name": {"type": "string", "minLength": 1, "maxLength": 255},
      "client_type": {"enum": ["company", "individual"]},
      "url": {"type": ["string", "null"], "format": "uri"},
      "email": {"type": ["string", "null"], "format": "email", "description": "Billing e-mail."},
      "account_manager_id": {"type": ["string", "null"], "format": "uuid", "x-workflow-picker-kind": "user"},
      "billing_cycle": {"enum": ["weekly", "bi-weekly", "monthly", "quarterly", "semi-annually", "annually"]},
      "is_tax_exempt": {"type": "boolean"},
      "is_inactive": {"type": "boolean", "description": "true archives the client."},
      "notes": {"type": ["string", "null"]},
      "properties": {"type": ["object", "null"], "description": "Merged into the current properties; null clears them."},
      "phone_no": {"type": ["string", "null"]}, "address": {"type": ["string", "null"]}, "address_2": {"type": ["string", "null"]},
      "city": {"type": ["string", "null"]}, "state": {"type": ["string", "null"]}, "zip": {"type": ["string", "null"]},
      "country": {"type": ["string", "null"]}, "country_code": {"type": "string", "pattern": "^[A-Za-z]{2}$"}}},
    "expected_updated_at": {"type": "string", "format": "date-time", "description": "The client's updated_at as you read it; a different current value fails with CONFLICT."}}},
  "outputSchema": {"type": "object", "required": ["client_before", "client_after", "changed_fields"], "properties": {
    "client_before": {"type": "object"}, "client_after": {"type": "object"},
    "changed_fields": {"type": "array", "items": {"type": "string"}}}},
  "permissions": ["client:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"title": "New billing address and e-mail",
                "input": {"client_id": "0000000a-0003-0000-0000-000000000003", "patch": {"email": "billing@umbrella-clinic.example", "city": "Raccoon City"}}}],
  "implementation": {"kind": "sql", "function": "algawf._act_clients_update"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- clients.archive

CREATE FUNCTION algawf._act_clients_archive(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    old psa.clients := algawf._act_client_get(ctx, (input ->> 'client_id')::uuid, true);
    nw psa.clients;
    people jsonb := '{"contacts": 0, "users": 0}';
BEGIN
    IF NOT old.is_inactive THEN
        UPDATE psa.clients c SET is_inactive = true WHERE c.tenant = t AND c.client_id = old.client_id RETURNING * INTO nw;
        IF coalesce((input ->> 'deactivate_contacts')::boolean, true) THEN
            people := algawf._act_client_deactivate_people(ctx, old.client_id);
        END IF;
        PERFORM algawf._act_audit(ctx, 'clients', old.client_id,
                                  jsonb_build_object('client_id', old.client_id, 'is_inactive', true, 'deactivated', people),
                                  jsonb_strip_nulls(jsonb_build_object('reason', input ->> 'reason')));
    ELSE
        nw := old;
    END IF;
    RETURN jsonb_build_object('client_id', old.client_id, 'archived', NOT old.is_inactive,
                              'previous_is_inactive', old.is_inactive, 'current_is_inactive', nw.is_inactive,
                              'archived_at', CASE WHEN NOT old.is_inactive THEN algawf._act_iso(nw.updated_at) END,
                              'contacts_deactivated', (people ->> 'contacts')::integer,
                              'users_deactivated', (people ->> 'users')::integer);
END
$fn$;
COMMENT ON FUNCTION algawf._act_clients_archive(jsonb, jsonb) IS 'Implementation of the action clients.archive.';

SELECT algawf.register_action($json${
  "id": "clients.archive", "version": 1,
  "label": "Archive Client", "category": "Clients",
  "description": "Mark a client inactive (archived), and by default its contacts and their client portal logins too. Archiving an archived client changes nothing (archived: false).",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["client_id"], "properties": {
    "client_id": {"type": "string", "format": "uuid", "description": "The client.", "x-workflow-picker-kind": "client"},
    "deactivate_contacts": {"type": "boolean", "default": true, "description": "Also deactivate the client's contacts and portal users."},
    "reason": {"type": "string", "description": "Kept in the audit log."}}},
  "outputSchema": {"type": "object", "required": ["client_id", "archived", "previous_is_inactive", "current_is_inactive"], "properties": {
    "client_id": {"type": "string", "format": "uuid"},
    "archived": {"type": "boolean", "description": "true when this call archived it."},
    "previous_is_inactive": {"type": "boolean"}, "current_is_inactive": {"type": "boolean"},
    "archived_at": {"type": ["string", "null"], "format": "date-time"},
    "contacts_deactivated": {"type": "integer"}, "users_deactivated": {"type": "integer"}}},
  "permissions": ["client:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"input": {"client_id": "0000000a-0003-0000-0000-000000000003", "reason": "contract ended"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_clients_archive"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- clients.delete

CREATE FUNCTION algawf._act_clients_delete(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    c psa.clients;
    deps jsonb;
    cid uuid := (input ->> 'client_id')::uuid;
BEGIN
    IF NOT coalesce((input ->> 'confirm')::boolean, false) THEN
        PERFORM algawf._act_fail('VALIDATION_ERROR', 'deleting a client needs confirm: true');
    END IF;
    SELECT x.* INTO c FROM psa.clients x WHERE x.tenant = t AND x.client_id = cid FOR UPDATE;
    IF NOT FOUND THEN
        IF input ->> 'on_not_found' = 'return_false' THEN
            RETURN jsonb_build_object('deleted', false, 'client_id', cid, 'dependencies', '[]'::jsonb);
        END IF;
        PERFORM algawf._act_not_found('client', 'client_id', cid::text);
    END IF;

    deps := algawf._act_dependencies(ctx, 'psa.clients'::regclass, cid);
    IF jsonb_array_length(deps) > 0 THEN
        PERFORM algawf._act_fail('CONFLICT', format('client "%s" is still referenced by %s', c.client_name,
                                                    (SELECT string_agg(format('%s (%s)', replace(d ->> 'table', 'psa.', ''), d ->> 'count'), ', ')
                                                       FROM jsonb_array_elements(deps) d)),
                                 deps::text, 'Archive the client instead (clients.archive), or move or delete what refers to it first.');
    END IF;

    -- what refers to the client without a foreign key
    DELETE FROM psa.tag_mappings m WHERE m.tenant = t AND m.tagged_type = 'client' AND m.tagged_id = cid;
    DELETE FROM psa.entity_links l WHERE l.tenant = t AND ((l.source_type = 'client' AND l.source_id = cid)
                                                           OR (l.target_type = 'client' AND l.target_id = cid));
    DELETE FROM psa.document_associations a WHERE a.tenant = t AND a.entity_type = 'client' AND a.entity_id = cid;
    DELETE FROM psa.clients x WHERE x.tenant = t AND x.client_id = cid;
    -- its notes document, now referenced by nothing
    DELETE FROM psa.documents d WHERE d.tenant = t AND d.document_id = c.notes_document_id
       AND NOT EXISTS (SELECT 1 FROM psa.document_associations a WHERE a.tenant = t AND a.document_id = d.document_id);

    PERFORM algawf._act_audit(ctx, 'clients', cid, jsonb_build_object('client_id', cid, 'client_name', c.client_name, 'deleted', true));
    RETURN jsonb_build_object('deleted', true, 'client_id', cid, 'dependencies', '[]'::jsonb);
END
$fn$;
COMMENT ON FUNCTION algawf._act_clients_delete(jsonb, jsonb) IS 'Implementation of the action clients.delete.';

SELECT algawf.register_action($json${
  "id": "clients.delete", "version": 1,
  "label": "Delete Client", "category": "Clients",
  "description": "Permanently delete a client with its locations, tags and notes. Needs confirm: true. A client that still has contacts, tickets, interactions, projects, assets or quotes is not deleted (CONFLICT, naming what is left): archive it instead.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["client_id", "confirm"], "properties": {
    "client_id": {"type": "string", "format": "uuid", "description": "The client.", "x-workflow-picker-kind": "client"},
    "confirm": {"const": true, "description": "Must be true: deleting cannot be undone."},
    "on_not_found": {"enum": ["error", "return_false"], "default": "error", "description": "return_false: a missing client is deleted: false instead of NOT_FOUND."}}},
  "outputSchema": {"type": "object", "required": ["deleted", "client_id"], "properties": {
    "deleted": {"type": "boolean"}, "client_id": {"type": "string", "format": "uuid"},
    "dependencies": {"type": "array", "items": {"type": "object"}}}},
  "permissions": ["client:delete"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"title": "Delete a client if it is still there (a client with contacts or tickets fails with CONFLICT)",
                "input": {"client_id": "0000000a-0003-0000-0000-0000000000dd", "confirm": true, "on_not_found": "return_false"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_clients_delete"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- clients.duplicate

CREATE FUNCTION algawf._act_clients_duplicate(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    src psa.clients := algawf._act_client_get(ctx, (input ->> 'source_client_id')::uuid);
    dup psa.clients;
    tags jsonb := '{"added": [], "existing": []}';
    nloc integer := 0;
BEGIN
    PERFORM algawf._act_client_name_check(ctx, input ->> 'client_name');
    INSERT INTO psa.clients (tenant, client_name, client_type, url, billing_email, account_manager_id, is_tax_exempt,
                             billing_cycle, properties, notes)
    VALUES (t, btrim(input ->> 'client_name'), src.client_type, src.url, src.billing_email, src.account_manager_id,
            src.is_tax_exempt, src.billing_cycle, src.properties - 'external_ref', src.notes)
    RETURNING * INTO dup;

    IF coalesce((input ->> 'copy_tags')::boolean, true) THEN
        tags := algawf._act_tags_add(ctx, 'client', dup.client_id, algawf._act_tags_of(ctx, 'client', src.client_id));
    END IF;
    IF coalesce((input ->> 'copy_locations')::boolean, false) THEN
        INSERT INTO psa.client_locations (tenant, client_id, location_name, address_line1, address_line2, city, state_province,
                                          postal_code, country_code, country_name, phone, email, is_default, is_billing_address,
                                          is_shipping_address, is_active, notes)
        SELECT l.tenant, dup.client_id, l.location_name, l.address_line1, l.address_line2, l.city, l.state_province,
               l.postal_code, l.country_code, l.country_name, l.phone, l.email, l.is_default, l.is_billing_address,
               l.is_shipping_address, l.is_active, l.notes
          FROM psa.client_locations l WHERE l.tenant = t AND l.client_id = src.client_id;
        GET DIAGNOSTICS nloc = ROW_COUNT;
    END IF;

    PERFORM algawf._act_audit(ctx, 'clients', dup.client_id,
                              jsonb_build_object('source_client_id', src.client_id, 'duplicate_client_id', dup.client_id,
                                                 'copied_locations', nloc));
    RETURN jsonb_build_object('source_client', algawf._act_client_summary(src),
                              'duplicate_client', algawf._act_client_summary(dup),
                              'copied_tags', jsonb_array_length(tags -> 'added') + jsonb_array_length(tags -> 'existing'),
                              'copied_locations', nloc);
END
$fn$;
COMMENT ON FUNCTION algawf._act_clients_duplicate(jsonb, jsonb) IS 'Implementation of the action clients.duplicate.';

SELECT algawf.register_action($json${
  "id": "clients.duplicate", "version": 1,
  "label": "Duplicate Client", "category": "Clients",
  "description": "Create a new client from an existing one (type, web address, billing e-mail, account manager, billing settings, properties and notes; optionally its tags and locations) under a new, unused name. Contacts, tickets and history are not copied.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["source_client_id", "client_name"], "properties": {
    "source_client_id": {"type": "string", "format": "uuid", "description": "The client to copy.", "x-workflow-picker-kind": "client"},
    "client_name": {"type": "string", "minLength": 1, "maxLength": 255, "description": "Name of the new client (must be unused)."},
    "copy_tags": {"type": "boolean", "default": true},
    "copy_locations": {"type": "boolean", "default": false},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Your key: a second call with the same key returns the first copy."}}},
  "outputSchema": {"type": "object", "required": ["source_client", "duplicate_client", "copied_tags", "copied_locations"], "properties": {
    "source_client": {"type": "object"},
    "duplicate_client": {"type": "object", "required": ["client_id", "client_name"], "properties": {
      "client_id": {"type": "string", "format": "uuid"}, "client_name": {"type": "string"}}},
    "copied_tags": {"type": "integer"}, "copied_locations": {"type": "integer"}}},
  "permissions": ["client:read", "client:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [{"input": {"source_client_id": "0000000a-0003-0000-0000-000000000001", "client_name": "Globex Europe", "copy_locations": true}}],
  "implementation": {"kind": "sql", "function": "algawf._act_clients_duplicate"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- clients.add_tag

CREATE FUNCTION algawf._act_clients_add_tag(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    c psa.clients := algawf._act_client_get(ctx, (input ->> 'client_id')::uuid);
    r jsonb;
BEGIN
    r := algawf._act_tags_add(ctx, 'client', c.client_id, input -> 'tags');
    IF jsonb_array_length(r -> 'added') > 0 THEN
        PERFORM algawf._act_audit(ctx, 'clients', c.client_id, jsonb_build_object('client_id', c.client_id, 'tags_added', r -> 'added'));
    END IF;
    RETURN jsonb_build_object('client_id', c.client_id, 'added', r -> 'added', 'existing', r -> 'existing',
                              'added_count', jsonb_array_length(r -> 'added'),
                              'existing_count', jsonb_array_length(r -> 'existing'));
END
$fn$;
COMMENT ON FUNCTION algawf._act_clients_add_tag(jsonb, jsonb) IS 'Implementation of the action clients.add_tag.';

SELECT algawf.register_action($json${
  "id": "clients.add_tag", "version": 1,
  "label": "Tag Client", "category": "Clients",
  "description": "Put one or more tags on a client; tags it already has are reported as existing, unknown tags are created.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["client_id", "tags"], "properties": {
    "client_id": {"type": "string", "format": "uuid", "description": "The client.", "x-workflow-picker-kind": "client"},
    "tags": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1, "maxLength": 100}, "description": "Tag texts."},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500}}},
  "outputSchema": {"type": "object", "required": ["client_id", "added", "existing", "added_count", "existing_count"], "properties": {
    "client_id": {"type": "string", "format": "uuid"},
    "added": {"type": "array", "items": {"type": "object"}}, "existing": {"type": "array", "items": {"type": "object"}},
    "added_count": {"type": "integer"}, "existing_count": {"type": "integer"}}},
  "permissions": ["client:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [{"input": {"client_id": "0000000a-0003-0000-0000-000000000002", "tags": ["VIP", "renewal-2025"]}}],
  "implementation": {"kind": "sql", "function": "algawf._act_clients_add_tag"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- clients.assign_to_ticket

CREATE FUNCTION algawf._act_clients_assign_to_ticket(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    c psa.clients := algawf._act_client_get(ctx, (input ->> 'client_id')::uuid);
    old psa.tickets := algawf._act_ticket_get(ctx, (input ->> 'ticket_id')::uuid, true);
    nw psa.tickets;
    v_contact uuid;
    v_location uuid;
    cm psa.comments;
BEGIN
    IF input ->> 'contact_id' IS NOT NULL THEN
        v_contact := (input ->> 'contact_id')::uuid;
        IF NOT EXISTS (SELECT 1 FROM psa.contacts x WHERE x.tenant = t AND x.contact_name_id = v_contact) THEN
            PERFORM algawf._act_not_found('contact', 'contact_id', v_contact::text);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM psa.contacts x WHERE x.tenant = t AND x.contact_name_id = v_contact AND x.client_id = c.client_id) THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('the contact does not belong to client %s', c.client_name),
                                     format('contact_id = %s, client_id = %s', v_contact, c.client_id));
        END IF;
    ELSIF NOT input ? 'contact_id' THEN
        -- keep the requester only if they belong to the new client
        SELECT x.contact_name_id INTO v_contact FROM psa.contacts x
         WHERE x.tenant = t AND x.contact_name_id = old.contact_name_id AND x.client_id = c.client_id;
    END IF;
    IF input ->> 'location_id' IS NOT NULL THEN
        v_location := (input ->> 'location_id')::uuid;
        IF NOT EXISTS (SELECT 1 FROM psa.client_locations x WHERE x.tenant = t AND x.location_id = v_location) THEN
            PERFORM algawf._act_not_found('location', 'location_id', v_location::text);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM psa.client_locations x WHERE x.tenant = t AND x.location_id = v_location AND x.client_id = c.client_id) THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('the location does not belong to client %s', c.client_name),
                                     format('location_id = %s, client_id = %s', v_location, c.client_id));
        END IF;
    ELSIF NOT input ? 'location_id' THEN
        SELECT x.location_id INTO v_location FROM psa.client_locations x
         WHERE x.tenant = t AND x.location_id = old.location_id AND x.client_id = c.client_id;
    END IF;

    UPDATE psa.tickets k SET client_id = c.client_id, contact_name_id = v_contact, location_id = v_location,
                             updated_by = algawf._act_actor(ctx)
     WHERE k.tenant = t AND k.ticket_id = old.ticket_id
    RETURNING * INTO nw;

    IF input ->> 'comment' IS NOT NULL THEN
        cm := algawf._act_ticket_comment(ctx, old.ticket_id, input ->> 'comment', true, false,
                                         jsonb_strip_nulls(jsonb_build_object('reason', input ->> 'reason')));
    END IF;

    PERFORM algawf._act_audit(ctx, 'tickets', old.ticket_id,
                              jsonb_build_object('ticket_id', old.ticket_id,
                                                 'before', jsonb_build_object('client_id', old.client_id, 'contact_name_id', old.contact_name_id, 'location_id', old.location_id),
                                                 'after', jsonb_build_object('client_id', nw.client_id, 'contact_name_id', nw.contact_name_id, 'location_id', nw.location_id)),
                              jsonb_strip_nulls(jsonb_build_object('reason', input ->> 'reason')));
    RETURN jsonb_build_object('ticket_id', nw.ticket_id,
                              'previous_client_id', old.client_id, 'current_client_id', nw.client_id,
                              'previous_contact_id', old.contact_name_id, 'current_contact_id', nw.contact_name_id,
                              'previous_location_id', old.location_id, 'current_location_id', nw.location_id,
                              'comment_id', cm.comment_id);
END
$fn$;
COMMENT ON FUNCTION algawf._act_clients_assign_to_ticket(jsonb, jsonb) IS 'Implementation of the action clients.assign_to_ticket.';

SELECT algawf.register_action($json${
  "id": "clients.assign_to_ticket", "version": 1,
  "label": "Move Ticket to Client", "category": "Clients",
  "description": "Put a ticket under a client, optionally setting (or clearing, with null) its contact and location. A contact or location that does not belong to the client is refused; when left out, the ticket's current ones are kept if they belong to the client and cleared otherwise.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["client_id", "ticket_id"], "properties": {
    "client_id": {"type": "string", "format": "uuid", "description": "The client.", "x-workflow-picker-kind": "client"},
    "ticket_id": {"type": "string", "format": "uuid", "description": "The ticket.", "x-workflow-picker-kind": "ticket"},
    "contact_id": {"type": ["string", "null"], "format": "uuid", "description": "A contact of the client (null clears).", "x-workflow-picker-kind": "contact", "x-workflow-picker-dependencies": ["client_id"]},
    "location_id": {"type": ["string", "null"], "format": "uuid", "description": "A location of the client (null clears).", "x-workflow-picker-kind": "client-location", "x-workflow-picker-dependencies": ["client_id"]},
    "reason": {"type": "string", "description": "Kept in the audit log."},
    "comment": {"type": "string", "minLength": 1, "description": "An internal comment to add to the ticket."}}},
  "outputSchema": {"type": "object", "required": ["ticket_id", "previous_client_id", "current_client_id"], "properties": {
    "ticket_id": {"type": "string", "format": "uuid"},
    "previous_client_id": {"type": ["string", "null"]}, "current_client_id": {"type": ["string", "null"]},
    "previous_contact_id": {"type": ["string", "null"]}, "current_contact_id": {"type": ["string", "null"]},
    "previous_location_id": {"type": ["string", "null"]}, "current_location_id": {"type": ["string", "null"]},
    "comment_id": {"type": ["string", "null"]}}},
  "permissions": ["ticket:update", "client:read"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [{"input": {"client_id": "0000000a-0003-0000-0000-000000000002", "ticket_id": "0000000a-0009-0000-0000-000000000005",
                          "contact_id": "0000000a-0004-0000-0000-000000000003", "comment": "Logged under the wrong client."}}],
  "implementation": {"kind": "sql", "function": "algawf._act_clients_assign_to_ticket"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- clients.add_note

CREATE FUNCTION algawf._act_clients_add_note(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    c psa.clients := algawf._act_client_get(ctx, (input ->> 'client_id')::uuid, true);
    r jsonb;
BEGIN
    r := algawf._act_note_append(ctx, 'client', c.client_id, c.notes_document_id, c.client_name || ' Notes', input ->> 'body');
    IF (r ->> 'created_document')::boolean THEN
        UPDATE psa.clients x SET notes_document_id = (r ->> 'document_id')::uuid
         WHERE x.tenant = c.tenant AND x.client_id = c.client_id;
    END IF;
    PERFORM algawf._act_audit(ctx, 'documents', (r ->> 'document_id')::uuid,
                              jsonb_build_object('client_id', c.client_id, 'document_id', r -> 'document_id',
                                                 'created_document', r -> 'created_document'));
    RETURN jsonb_build_object('client_id', c.client_id) || r;
END
$fn$;
COMMENT ON FUNCTION algawf._act_clients_add_note(jsonb, jsonb) IS 'Implementation of the action clients.add_note.';

SELECT algawf.register_action($json${
  "id": "clients.add_note", "version": 1,
  "label": "Add Client Note", "category": "Clients",
  "description": "Append a note to the client's notes document (created on first use). Notes are only ever added, never edited.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["client_id", "body"], "properties": {
    "client_id": {"type": "string", "format": "uuid", "description": "The client.", "x-workflow-picker-kind": "client"},
    "body": {"type": "string", "minLength": 1, "description": "Note text."},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Your key: a second call with the same key does not add the note twice."}}},
  "outputSchema": {"type": "object", "required": ["client_id", "document_id", "created_document", "updated_at"], "properties": {
    "client_id": {"type": "string", "format": "uuid"}, "document_id": {"type": "string", "format": "uuid"},
    "created_document": {"type": "boolean"}, "note_count": {"type": "integer", "description": "Notes in the document now."},
    "updated_at": {"type": "string", "format": "date-time"}}},
  "permissions": ["client:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [{"input": {"client_id": "0000000a-0003-0000-0000-000000000001", "body": "Renewal call booked for March."}}],
  "implementation": {"kind": "sql", "function": "algawf._act_clients_add_note"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- clients.add_interaction

CREATE FUNCTION algawf._act_clients_add_interaction(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    c psa.clients := algawf._act_client_get(ctx, (input ->> 'client_id')::uuid);
    ct psa.contacts;
    tk psa.tickets;
    r psa.interactions;
BEGIN
    IF input ->> 'contact_id' IS NOT NULL THEN
        ct := algawf._act_contact_get(ctx, (input ->> 'contact_id')::uuid);
        IF ct.client_id IS DISTINCT FROM c.client_id THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('contact %s does not belong to client %s', ct.full_name, c.client_name),
                                     format('contact_id = %s, client_id = %s', ct.contact_name_id, c.client_id));
        END IF;
    END IF;
    IF input ->> 'ticket_id' IS NOT NULL THEN
        tk := algawf._act_ticket_get(ctx, (input ->> 'ticket_id')::uuid);
        IF tk.client_id IS NOT NULL AND tk.client_id <> c.client_id THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('ticket %s belongs to another client', tk.ticket_number),
                                     format('ticket_id = %s, client_id = %s', tk.ticket_id, c.client_id));
        END IF;
    END IF;
    r := algawf._act_interaction_create(ctx, c.client_id, ct.contact_name_id, tk.ticket_id,
                                        coalesce(input ->> 'type_id', input ->> 'interaction_type_id')::uuid,
                                        input ->> 'title', input ->> 'notes',
                                        (input ->> 'start_time')::timestamptz, (input ->> 'end_time')::timestamptz,
                                        (input ->> 'duration')::integer, (input ->> 'status_id')::uuid,
                                        (input ->> 'interaction_date')::timestamptz);
    PERFORM algawf._act_audit(ctx, 'interactions', r.interaction_id,
                              jsonb_build_object('interaction_id', r.interaction_id, 'client_id', r.client_id,
                                                 'contact_id', r.contact_name_id, 'ticket_id', r.ticket_id, 'type_id', r.type_id));
    RETURN algawf._act_interaction_output(r);
END
$fn$;
COMMENT ON FUNCTION algawf._act_clients_add_interaction(jsonb, jsonb) IS 'Implementation of the action clients.add_interaction.';

SELECT algawf.register_action($json${
  "id": "clients.add_interaction", "version": 1,
  "label": "Log Client Interaction", "category": "Clients",
  "description": "Log a call, e-mail, meeting, note or site visit with a client (optionally with one of its contacts and about one of its tickets), owned by the acting user.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["client_id", "title"],
    "anyOf": [{"required": ["type_id"]}, {"required": ["interaction_type_id"]}],
    "properties": {
    "client_id": {"type": "string", "format": "uuid", "description": "The client.", "x-workflow-picker-kind": "client"},
    "type_id": {"type": "string", "format": "uuid", "description": "Interaction type: system (Call 00000000-0000-0000-0001-000000000001, Email ...02, Meeting ...03, Note ...04) or the tenant's.", "x-workflow-picker-kind": "interaction-type"},
    "interaction_type_id": {"type": "string", "format": "uuid", "description": "Same as type_id."},
    "title": {"type": "string", "minLength": 1, "description": "Subject."},
    "contact_id": {"type": ["string", "null"], "format": "uuid", "description": "A contact of the client.", "x-workflow-picker-kind": "contact", "x-workflow-picker-dependencies": ["client_id"]},
    "ticket_id": {"type": ["string", "null"], "format": "uuid", "description": "A ticket of the client.", "x-workflow-picker-kind": "ticket"},
    "notes": {"type": "string"},
    "interaction_date": {"type": "string", "format": "date-time", "description": "When it happened (default: start_time or now)."},
    "start_time": {"type": "string", "format": "date-time"},
    "end_time": {"type": "string", "format": "date-time"},
    "duration": {"type": "integer", "minimum": 0, "description": "Minutes (default: from start_time and end_time)."},
    "status_id": {"type": "string", "format": "uuid", "description": "Interaction status (default: the default one).", "x-workflow-picker-kind": "interaction-status"},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Your key: a second call with the same key does not log twice."}}},
  "outputSchema": {"type": "object", "required": ["interaction_id", "client_id", "type_id", "title", "interaction_date", "user_id"], "properties": {
    "interaction_id": {"type": "string", "format": "uuid"}, "client_id": {"type": ["string", "null"]},
    "contact_id": {"type": ["string", "null"]}, "ticket_id": {"type": ["string", "null"]},
    "type_id": {"type": "string", "format": "uuid"}, "status_id": {"type": ["string", "null"]},
    "title": {"type": "string"}, "notes": {"type": ["string", "null"]},
    "interaction_date": {"type": "string", "format": "date-time"},
    "start_time": {"type": ["string", "null"]}, "end_time": {"type": ["string", "null"]},
    "duration": {"type": ["integer", "null"]}, "user_id": {"type": "string", "format": "uuid"}}},
  "permissions": ["interaction:create", "client:read"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [{"title": "A phone call with John Smith",
                "input": {"client_id": "0000000a-0003-0000-0000-000000000001", "type_id": "00000000-0000-0000-0001-000000000001",
                          "contact_id": "0000000a-0004-0000-0000-000000000001", "title": "Quarterly review call",
                          "start_time": "2024-03-05T15:00:00Z", "end_time": "2024-03-05T15:30:00Z"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_clients_add_interaction"}
}$json$::jsonb);
