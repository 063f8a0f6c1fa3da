-- tickets.*: service tickets (psa.tickets, comments, resources, documents,
-- entity links, tags).  Each implementation runs as algawf_service under
-- row-level security for the call's tenant (the dispatcher sees to it); every
-- id in the input is looked up in that tenant, so another tenant's id is
-- NOT_FOUND.  Events (TICKET_CREATED, ...) come from the psa table triggers,
-- not from here.

-- ---------------------------------------------------------------------------
-- Shared pieces of the family.

-- Resolves {type: user|team|queue, id} to the ticket columns it sets:
-- user -> assigned_to; team -> assigned_team_id and its manager as assigned_to;
-- queue (a board) -> board_id and the board's default assignee.
CREATE FUNCTION algawf._act_ticket_assignee(ctx jsonb, assignee jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    kind text := assignee ->> 'type';
    id uuid := (assignee ->> 'id')::uuid;
    tm psa.teams;
    b psa.boards;
BEGIN
    IF kind = 'user' THEN
        PERFORM algawf._act_user_check(ctx, id, 'assignee');
        RETURN jsonb_build_object('type', kind, 'id', id, 'assigned_to', id);
    ELSIF kind = 'team' THEN
        SELECT x.* INTO tm FROM psa.teams x WHERE x.tenant = t AND x.team_id = id;
        IF NOT FOUND THEN
            PERFORM algawf._act_not_found('team', 'team_id', id::text);
        END IF;
        RETURN jsonb_build_object('type', kind, 'id', id, 'assigned_to', tm.manager_id, 'assigned_team_id', id);
    ELSIF kind = 'queue' THEN
        SELECT x.* INTO b FROM psa.boards x WHERE x.tenant = t AND x.board_id = id;
        IF NOT FOUND THEN
            PERFORM algawf._act_not_found('queue (board)', 'board_id', id::text);
        END IF;
        IF b.is_inactive THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('board "%s" is inactive', b.board_name), format('board_id = %s', id));
        END IF;
        RETURN jsonb_build_object('type', kind, 'id', id, 'assigned_to', b.default_assigned_to, 'board_id', id);
    END IF;
    PERFORM algawf._act_fail('VALIDATION_ERROR', format('unknown assignee type "%s"', kind), NULL, 'Use user, team or queue.');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION algawf._act_ticket_assignee(jsonb, jsonb) IS
    'Internal: resolves an assignee {type: user|team|queue, id} to {assigned_to, assigned_team_id?, board_id?}; NOT_FOUND for unknown ids.';

-- Team members become additional resources of the ticket (except the assignee).
CREATE FUNCTION algawf._act_ticket_team_resources(ctx jsonb, ticket_id uuid, team_id uuid, assigned_to uuid)
    RETURNS integer
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
    WITH ins AS (
        INSERT INTO psa.ticket_resources (tenant, ticket_id, assigned_to, additional_user_id, role)
        SELECT m.tenant, _act_ticket_team_resources.ticket_id, _act_ticket_team_resources.assigned_to, m.user_id, 'team_member'
          FROM psa.team_members m
          JOIN psa.users u ON u.tenant = m.tenant AND u.user_id = m.user_id AND NOT u.is_inactive
         WHERE m.tenant = algawf._act_tenant(ctx) AND m.team_id = _act_ticket_team_resources.team_id
           AND m.user_id IS DISTINCT FROM _act_ticket_team_resources.assigned_to
        ON CONFLICT DO NOTHING
        RETURNING 1)
    SELECT count(*)::integer FROM ins
$$;
COMMENT ON FUNCTION algawf._act_ticket_team_resources(jsonb, uuid, uuid, uuid) IS
    'Internal: adds the active members of a team (other than the assignee) as ticket_resources (role team_member); returns how many were added.';

-- Board, status, priority, category and subcategory of a ticket: each must
-- exist in the tenant (NOT_FOUND) and fit the others (VALIDATION_ERROR).
CREATE FUNCTION algawf._act_ticket_check_refs(ctx jsonb, board_id uuid, status_id uuid, priority_id uuid,
                                              category_id uuid, subcategory_id uuid)
    RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    b psa.boards;
    s psa.statuses;
    p psa.priorities;
    c psa.categories;
    sc psa.categories;
BEGIN
    IF board_id IS NOT NULL THEN
        SELECT x.* INTO b FROM psa.boards x WHERE x.tenant = t AND x.board_id = _act_ticket_check_refs.board_id;
        IF NOT FOUND THEN
            PERFORM algawf._act_not_found('board', 'board_id', board_id::text);
        END IF;
    END IF;
    IF status_id IS NOT NULL THEN
        SELECT x.* INTO s FROM psa.statuses x WHERE x.tenant = t AND x.status_id = _act_ticket_check_refs.status_id;
        IF NOT FOUND THEN
            PERFORM algawf._act_not_found('status', 'status_id', status_id::text);
        END IF;
        IF s.status_type <> 'ticket' THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('status "%s" is a %s status, not a ticket status', s.name, s.status_type),
                                     format('status_id = %s', status_id));
        END IF;
        IF s.board_id IS NOT NULL AND s.board_id IS DISTINCT FROM _act_ticket_check_refs.board_id THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('status "%s" belongs to another board', s.name),
                                     format('status_id = %s, board_id = %s', status_id, board_id),
                                     'Use a status of the ticket''s board or one shared by all boards.');
        END IF;
    END IF;
    IF priority_id IS NOT NULL THEN
        SELECT x.* INTO p FROM psa.priorities x WHERE x.tenant = t AND x.priority_id = _act_ticket_check_refs.priority_id;
        IF NOT FOUND THEN
            PERFORM algawf._act_not_found('priority', 'priority_id', priority_id::text);
        END IF;
        IF p.item_type <> 'ticket' THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('priority "%s" is for %s items, not tickets', p.priority_name, p.item_type),
                                     format('priority_id = %s', priority_id));
        END IF;
    END IF;
    IF category_id IS NOT NULL THEN
        SELECT x.* INTO c FROM psa.categories x WHERE x.tenant = t AND x.category_id = _act_ticket_check_refs.category_id;
        IF NOT FOUND THEN
            PERFORM algawf._act_not_found('category', 'category_id', category_id::text);
        END IF;
        IF c.board_id IS NOT NULL AND c.board_id IS DISTINCT FROM _act_ticket_check_refs.board_id THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('category "%s" belongs to another board', c.category_name),
                                     format('category_id = %s, board_id = %s', category_id, board_id));
        END IF;
    END IF;
    IF subcategory_id IS NOT NULL THEN
        SELECT x.* INTO sc FROM psa.categories x WHERE x.tenant = t AND x.category_id = _act_ticket_check_refs.subcategory_id;
        IF NOT FOUND THEN
            PERFORM algawf._act_not_found('subcategory', 'subcategory_id', subcategory_id::text);
        END IF;
        IF sc.parent_category IS DISTINCT FROM _act_ticket_check_refs.category_id THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('subcategory "%s" is not under the ticket''s category', sc.category_name),
                                     format('subcategory_id = %s, category_id = %s', subcategory_id, coalesce(category_id::text, 'null')),
                                     'Give the parent category as category_id.');
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION algawf._act_ticket_check_refs(jsonb, uuid, uuid, uuid, uuid, uuid) IS
    'Internal: checks a ticket''s board, status (a ticket status of that board or of all boards), priority (ticket priority), category (of that board) and subcategory (under the category).';

-- Attaches a document to a ticket from {file_id} (a stored file), {document_id}
-- (an existing document) or {url} (recorded as a linked file; not downloaded).
CREATE FUNCTION algawf._act_ticket_attach(ctx jsonb, ticket_id uuid, source jsonb, filename text)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    actor uuid := algawf._act_actor(ctx);
    f psa.external_files;
    d psa.documents;
    url text := source ->> 'url';
    name text;
BEGIN
    IF source ? 'document_id' THEN
        SELECT x.* INTO d FROM psa.documents x WHERE x.tenant = t AND x.document_id = (source ->> 'document_id')::uuid;
        IF NOT FOUND THEN
            PERFORM algawf._act_not_found('document', 'document_id', source ->> 'document_id');
        END IF;
    ELSE
        IF source ? 'file_id' THEN
            SELECT x.* INTO f FROM psa.external_files x
             WHERE x.tenant = t AND x.file_id = (source ->> 'file_id')::uuid AND NOT x.is_deleted;
            IF NOT FOUND THEN
                PERFORM algawf._act_not_found('file', 'file_id', source ->> 'file_id');
            END IF;
        ELSE
            IF url !~* '^https?://[^/[:space:]]+' THEN
                PERFORM algawf._act_fail('VALIDATION_ERROR', 'an attachment URL must be http(s)', format('url = %s', url));
            END IF;
            name := coalesce(NULLIF(filename, ''),
                             NULLIF(substring(split_part(split_part(url, '?', 1), '#', 1) FROM '[^/]+$'), ''),
                             'attachment');
            INSERT INTO psa.external_files (tenant, file_name, original_name, mime_type, file_size, storage_path, uploaded_by_id)
            VALUES (t, name, name, 'application/octet-stream', 0, url, actor)
            RETURNING * INTO f;
        END IF;
        INSERT INTO psa.documents (tenant, document_name, document_type, file_id, mime_type, file_size, created_by, edited_by)
        VALUES (t, coalesce(NULLIF(filename, ''), f.original_name, f.file_name), 'file', f.file_id, f.mime_type, f.file_size,
                actor, actor)
        RETURNING * INTO d;
    END IF;
    INSERT INTO psa.document_associations (tenant, document_id, entity_id, entity_type)
    VALUES (t, d.document_id, _act_ticket_attach.ticket_id, 'ticket')
    ON CONFLICT DO NOTHING;
    RETURN jsonb_build_object('attachment_id', d.document_id, 'filename', d.document_name,
                              'mime_type', d.mime_type, 'storage_ref', d.file_id);
END
$$;
COMMENT ON FUNCTION algawf._act_ticket_attach(jsonb, uuid, jsonb, text) IS
    'Internal: associates a document with a ticket, creating the document for a stored file or a URL (a URL is recorded as the file''s storage path, not downloaded); returns {attachment_id, filename, mime_type, storage_ref}.';

CREATE FUNCTION algawf._act_ticket_summary(k psa.tickets, with_attributes boolean DEFAULT false) RETURNS jsonb
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'ticket_id', k.ticket_id,
        'ticket_number', k.ticket_number,
        'title', k.title,
        'description', k.attributes ->> 'description',
        'url', k.url,
        'client_id', k.client_id,
        'client_name', (SELECT c.client_name FROM psa.clients c WHERE c.tenant = k.tenant AND c.client_id = k.client_id),
        'contact_name_id', k.contact_name_id,
        'contact_name', (SELECT c.full_name FROM psa.contacts c WHERE c.tenant = k.tenant AND c.contact_name_id = k.contact_name_id),
        'location_id', k.location_id,
        'board_id', k.board_id,
        'board_name', (SELECT b.board_name FROM psa.boards b WHERE b.tenant = k.tenant AND b.board_id = k.board_id),
        'status_id', k.status_id,
        'status_name', (SELECT s.name FROM psa.statuses s WHERE s.tenant = k.tenant AND s.status_id = k.status_id),
        'priority_id', k.priority_id,
        'priority_name', (SELECT p.priority_name FROM psa.priorities p WHERE p.tenant = k.tenant AND p.priority_id = k.priority_id),
        'category_id', k.category_id,
        'subcategory_id', k.subcategory_id,
        'assigned_to', k.assigned_to,
        'assigned_team_id', k.assigned_team_id,
        'entered_by', k.entered_by,
        'entered_at', algawf._act_iso(k.entered_at),
        'updated_at', algawf._act_iso(k.updated_at),
        'due_date', algawf._act_iso(k.due_date),
        'closed_at', algawf._act_iso(k.closed_at),
        'is_closed', k.is_closed)
        || CASE WHEN with_attributes THEN jsonb_build_object('attributes', k.attributes) ELSE '{}' END
$$;
COMMENT ON FUNCTION algawf._act_ticket_summary(psa.tickets, boolean) IS 'Internal: the ticket object of tickets.find (with names of the referenced rows).';

-- ---------------------------------------------------------------------------
-- tickets.create

CREATE FUNCTION algawf._act_tickets_create(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    actor uuid := algawf._act_actor(ctx);
    v_client psa.clients;
    v_contact psa.contacts;
    v_location psa.client_locations;
    asg jsonb := '{}';
    v_board uuid := (input ->> 'board_id')::uuid;
    v_status uuid := (input ->> 'status_id')::uuid;
    v_priority uuid := (input ->> 'priority_id')::uuid;
    v_assigned uuid := (input ->> 'assigned_to')::uuid;
    attrs jsonb;
    tk psa.tickets;
    cm psa.comments;
    a jsonb;
    attachments jsonb := '[]';
    tags jsonb;
    resources integer := 0;
BEGIN
    SELECT c.* INTO v_client FROM psa.clients c WHERE c.tenant = t AND c.client_id = (input ->> 'client_id')::uuid;
    IF NOT FOUND THEN
        PERFORM algawf._act_not_found('client', 'client_id', input ->> 'client_id');
    END IF;
    IF input ->> 'contact_id' IS NOT NULL THEN
        SELECT c.* INTO v_contact FROM psa.contacts c WHERE c.tenant = t AND c.contact_name_id = (input ->> 'contact_id')::uuid;
        IF NOT FOUND THEN
            PERFORM algawf._act_not_found('contact', 'contact_id', input ->> 'contact_id');
        END IF;
        IF v_contact.client_id IS DISTINCT FROM v_client.client_id THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('contact %s does not belong to client %s', v_contact.full_name, v_client.client_name),
                                     format('contact_id = %s, client_id = %s', v_contact.contact_name_id, v_client.client_id));
        END IF;
    END IF;
    IF input ->> 'location_id' IS NOT NULL THEN
        SELECT l.* INTO v_location FROM psa.client_locations l WHERE l.tenant = t AND l.location_id = (input ->> 'location_id')::uuid;
        IF NOT FOUND OR v_location.client_id <> v_client.client_id THEN
            PERFORM algawf._act_not_found('location of the client', 'location_id', input ->> 'location_id');
        END IF;
    END IF;

    -- assignment: assignee {type, id} wins over the flat assigned_to
    IF input ? 'assignee' THEN
        asg := algawf._act_ticket_assignee(ctx, input -> 'assignee');
        v_assigned := (asg ->> 'assigned_to')::uuid;
        IF asg ? 'board_id' THEN
            IF v_board IS NOT NULL AND v_board <> (asg ->> 'board_id')::uuid THEN
                PERFORM algawf._act_fail('VALIDATION_ERROR', 'board_id and the queue assignee name different boards',
                                         format('board_id = %s, queue = %s', v_board, asg ->> 'board_id'));
            END IF;
            v_board := (asg ->> 'board_id')::uuid;
        END IF;
    ELSIF v_assigned IS NOT NULL THEN
        PERFORM algawf._act_user_check(ctx, v_assigned, 'assignee');
    END IF;

    -- defaults: the tenant's default board, the board's (or the shared) default
    -- ticket status, the default ticket priority
    IF v_board IS NULL THEN
        SELECT b.board_id INTO v_board FROM psa.boards b
         WHERE b.tenant = t AND NOT b.is_inactive ORDER BY b.is_default DESC, b.display_order, b.board_name LIMIT 1;
    ELSIF EXISTS (SELECT 1 FROM psa.boards b WHERE b.tenant = t AND b.board_id = v_board AND b.is_inactive) THEN
        PERFORM algawf._act_fail('VALIDATION_ERROR', 'the board is inactive', format('board_id = %s', v_board));
    END IF;
    IF v_status IS NULL THEN
        SELECT s.status_id INTO v_status FROM psa.statuses s
         WHERE s.tenant = t AND s.status_type = 'ticket' AND NOT s.is_closed
           AND (s.board_id IS NULL OR s.board_id = v_board)
         ORDER BY s.board_id IS NULL, s.is_default DESC, s.order_number LIMIT 1;
    END IF;
    IF v_priority IS NULL THEN
        SELECT p.priority_id INTO v_priority FROM psa.priorities p
         WHERE p.tenant = t AND p.item_type = 'ticket' ORDER BY p.is_default DESC, p.order_number LIMIT 1;
    END IF;
    PERFORM algawf._act_ticket_check_refs(ctx, v_board, v_status, v_priority,
                                          (input ->> 'category_id')::uuid, (input ->> 'subcategory_id')::uuid);

    attrs := coalesce(input -> 'attributes', '{}')
             || jsonb_strip_nulls(jsonb_build_object(
                    'description', coalesce(input ->> 'description', ''),
                    'custom_fields', input -> 'custom_fields',
                    'external_ref', input -> 'external_ref',
                    'source', algawf._act_source(ctx)));

    INSERT INTO psa.tickets (tenant, title, url, client_id, contact_name_id, location_id, board_id, status_id, priority_id,
                             category_id, subcategory_id, entered_by, updated_by, assigned_to, assigned_team_id, due_date,
                             attributes)
    VALUES (t, input ->> 'title', input ->> 'url', v_client.client_id, v_contact.contact_name_id, v_location.location_id,
            v_board, v_status, v_priority, (input ->> 'category_id')::uuid, (input ->> 'subcategory_id')::uuid,
            actor, actor, v_assigned, (asg ->> 'assigned_team_id')::uuid, (input ->> 'due_date')::timestamptz, attrs)
    RETURNING * INTO tk;

    IF tk.assigned_team_id IS NOT NULL THEN
        resources := algawf._act_ticket_team_resources(ctx, tk.ticket_id, tk.assigned_team_id, tk.assigned_to);
    END IF;

    tags := algawf._act_tags_add(ctx, 'ticket', tk.ticket_id, input -> 'tags');
    IF jsonb_array_length(tags -> 'added') + jsonb_array_length(tags -> 'existing') > 0 THEN
        UPDATE psa.tickets k SET attributes = k.attributes || jsonb_build_object('tags', algawf._act_tags_of(ctx, 'ticket', tk.ticket_id))
         WHERE k.tenant = t AND k.ticket_id = tk.ticket_id;
    END IF;

    IF input -> 'initial_comment' ->> 'body' IS NOT NULL THEN
        cm := algawf._act_ticket_comment(ctx, tk.ticket_id, input -> 'initial_comment' ->> 'body',
                                         coalesce(input -> 'initial_comment' ->> 'visibility', 'public') = 'internal');
    END IF;

    FOR a IN SELECT e FROM jsonb_array_elements(coalesce(input -> 'attachments', '[]')) AS e LOOP
        attachments := attachments || algawf._act_ticket_attach(ctx, tk.ticket_id, a -> 'source', a ->> 'filename');
    END LOOP;

    PERFORM algawf._act_audit(ctx, 'tickets', tk.ticket_id,
                              jsonb_build_object('ticket_id', tk.ticket_id, 'ticket_number', tk.ticket_number,
                                                 'title', tk.title, 'client_id', tk.client_id));

    RETURN jsonb_build_object(
        'ticket_id', tk.ticket_id,
        'ticket_number', tk.ticket_number,
        'url', tk.url,
        'created_at', algawf._act_iso(tk.entered_at),
        'client_id', tk.client_id,
        'contact_id', tk.contact_name_id,
        'board_id', tk.board_id,
        'status_id', tk.status_id,
        'priority_id', tk.priority_id,
        'assigned_to', tk.assigned_to,
        'assigned_team_id', tk.assigned_team_id,
        'additional_resources', resources,
        'tags', algawf._act_tags_of(ctx, 'ticket', tk.ticket_id),
        'comment_id', cm.comment_id,
        'attachments', attachments);
END
$fn$;
COMMENT ON FUNCTION algawf._act_tickets_create(jsonb, jsonb) IS 'Implementation of the action tickets.create.';

SELECT algawf.register_action($json${
  "id": "tickets.create", "version": 1,
  "label": "Create Ticket", "category": "Tickets",
  "description": "Open a service ticket for a client: board, status and priority are checked (defaults when left out), the ticket can be assigned to a technician, a team or a queue, tagged, given custom fields, a first comment and attachments, and gets the tenant's next ticket number (TIC001006, ...).",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["client_id", "title"], "properties": {
    "client_id": {"type": "string", "format": "uuid", "description": "The client the ticket is for.", "x-workflow-picker-kind": "client"},
    "contact_id": {"type": ["string", "null"], "format": "uuid", "description": "The requester: a contact of that client.", "x-workflow-picker-kind": "contact", "x-workflow-picker-dependencies": ["client_id"]},
    "location_id": {"type": ["string", "null"], "format": "uuid", "description": "A location of that client.", "x-workflow-picker-kind": "client-location", "x-workflow-picker-dependencies": ["client_id"]},
    "title": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Ticket subject."},
    "description": {"type": "string", "default": "", "description": "Ticket body (stored as attributes.description)."},
    "board_id": {"type": ["string", "null"], "format": "uuid", "description": "Board (service queue); default: the tenant's default board.", "x-workflow-picker-kind": "board"},
    "status_id": {"type": ["string", "null"], "format": "uuid", "description": "Ticket status of that board; default: the board's default open status.", "x-workflow-picker-kind": "ticket-status", "x-workflow-picker-dependencies": ["board_id"]},
    "priority_id": {"type": ["string", "null"], "format": "uuid", "description": "Ticket priority; default: the default priority (Medium).", "x-workflow-picker-kind": "ticket-priority"},
    "category_id": {"type": ["string", "null"], "format": "uuid", "description": "Category (of the board).", "x-workflow-picker-kind": "ticket-category", "x-workflow-picker-dependencies": ["board_id"]},
    "subcategory_id": {"type": ["string", "null"], "format": "uuid", "description": "Subcategory under category_id.", "x-workflow-picker-kind": "ticket-category", "x-workflow-picker-dependencies": ["category_id"]},
    "assigned_to": {"type": ["string", "null"], "format": "uuid", "description": "Technician to assign (ignored when assignee is given).", "x-workflow-picker-kind": "user"},
    "assignee": {"type": "object", "additionalProperties": false, "required": ["type", "id"], "description": "Assign to a user, a team (its manager becomes the assignee, its members additional resources) or a queue (a board; its default assignee, if any).", "properties": {
      "type": {"enum": ["user", "team", "queue"], "description": "What id names."},
      "id": {"type": "string", "format": "uuid", "description": "user_id, team_id or board_id.", "x-workflow-picker-kind": "assignee"}}},
    "due_date": {"type": ["string", "null"], "format": "date-time", "description": "When the ticket is due."},
    "url": {"type": ["string", "null"], "description": "Link to the ticket in an external system."},
    "external_ref": {"type": "string", "minLength": 1, "description": "Reference in another system (attributes.external_ref; tickets.find looks it up)."},
    "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 100}, "description": "Tags; missing tag definitions are created."},
    "custom_fields": {"type": "object", "description": "Custom field values (attributes.custom_fields)."},
    "attributes": {"type": "object", "description": "More attributes merged into the ticket's attributes."},
    "initial_comment": {"type": "object", "additionalProperties": false, "required": ["body"], "description": "A first comment by the acting user.", "properties": {
      "body": {"type": "string", "minLength": 1, "description": "Comment text."},
      "visibility": {"enum": ["public", "internal"], "default": "public", "description": "internal comments are hidden from the client portal."}}},
    "attachments": {"type": "array", "description": "Files to attach.", "items": {"$ref": "#/$defs/attachment"}},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Your key for this create: a second call with the same key returns the first ticket instead of opening another."}},
    "$defs": {"attachment": {"type": "object", "additionalProperties": false, "required": ["source"], "properties": {
      "source": {"$ref": "#/$defs/source"},
      "filename": {"type": "string", "minLength": 1, "description": "Name to show (default: the file's name)."},
      "visibility": {"enum": ["public", "internal"], "description": "Informational."}}},
      "source": {"type": "object", "additionalProperties": false, "minProperties": 1, "maxProperties": 1, "description": "Exactly one of file_id (a stored file), document_id (an existing document) or url (recorded as a link, not downloaded).", "properties": {
        "file_id": {"type": "string", "format": "uuid", "description": "psa.external_files.file_id"},
        "document_id": {"type": "string", "format": "uuid", "description": "psa.documents.document_id"},
        "url": {"type": "string", "format": "uri", "description": "http(s) URL of the file"}}}}},
  "outputSchema": {"type": "object", "required": ["ticket_id", "ticket_number", "created_at", "board_id", "status_id", "priority_id"], "properties": {
    "ticket_id": {"type": "string", "format": "uuid"},
    "ticket_number": {"type": "string", "description": "The tenant's ticket number, e.g. TIC001006."},
    "url": {"type": ["string", "null"]},
    "created_at": {"type": "string", "format": "date-time"},
    "client_id": {"type": "string", "format": "uuid"},
    "contact_id": {"type": ["string", "null"], "format": "uuid"},
    "board_id": {"type": ["string", "null"], "format": "uuid"},
    "status_id": {"type": ["string", "null"], "format": "uuid"},
    "priority_id": {"type": ["string", "null"], "format": "uuid"},
    "assigned_to": {"type": ["string", "null"], "format": "uuid"},
    "assigned_team_id": {"type": ["string", "null"], "format": "uuid"},
    "additional_resources": {"type": "integer", "description": "Team members added as additional resources."},
    "tags": {"type": "array", "items": {"type": "string"}},
    "comment_id": {"type": ["string", "null"], "format": "uuid", "description": "The initial comment."},
    "attachments": {"type": "array", "items": {"type": "object", "properties": {
      "attachment_id": {"type": "string", "format": "uuid"}, "filename": {"type": "string"},
      "mime_type": {"type": ["string", "null"]}, "storage_ref": {"type": ["string", "null"]}}}}}},
  "permissions": ["ticket:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [
    {"title": "Printer ticket for Globex, default board, status and priority",
     "input": {"client_id": "0000000a-0003-0000-0000-000000000001", "contact_id": "0000000a-0004-0000-0000-000000000001",
               "title": "Printer not working", "description": "The office printer is jammed."}},
    {"title": "High priority, assigned to the Tier 1 team, tagged, with a first comment",
     "input": {"client_id": "0000000a-0003-0000-0000-000000000002", "title": "Email outage",
               "board_id": "0000000a-0005-0000-0000-000000000001", "status_id": "0000000a-0006-0000-0000-000000000001",
               "priority_id": "0000000a-0007-0000-0000-000000000003",
               "assignee": {"type": "team", "id": "0000000a-000a-0000-0000-000000000001"},
               "tags": ["email", "outage"], "custom_fields": {"impact": "all users"},
               "initial_comment": {"body": "Opened by the monitoring workflow.", "visibility": "internal"},
               "idempotency_key": "alert-7731"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_tickets_create"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- tickets.add_comment

CREATE FUNCTION algawf._act_tickets_add_comment(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    tk psa.tickets := algawf._act_ticket_get(ctx, (input ->> 'ticket_id')::uuid);
    visibility text := coalesce(input ->> 'visibility', 'public');
    m text;
    everyone boolean := false;
    mentioned uuid[] := '{}';
    u psa.users;
    cm psa.comments;
    a jsonb;
    attachments jsonb := '[]';
    notified integer := 0;
BEGIN
    FOR m IN SELECT e FROM jsonb_array_elements_text(coalesce(input -> 'mentions', '[]')) AS e LOOP
        IF m = '@everyone' THEN
            everyone := true;
        ELSIF m ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
            u := algawf._act_user_check(ctx, m::uuid, 'mentioned user');
            IF NOT u.user_id = ANY (mentioned) THEN
                mentioned := mentioned || u.user_id;
            END IF;
        ELSE
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('mention "%s" is neither a user id nor @everyone', m));
        END IF;
    END LOOP;

    cm := algawf._act_ticket_comment(ctx, tk.ticket_id, input ->> 'body', visibility = 'internal',
                                     coalesce((input ->> 'is_resolution')::boolean, false),
                                     CASE WHEN cardinality(mentioned) > 0 OR everyone
                                          THEN jsonb_build_object('mentions', to_jsonb(mentioned), 'mention_everyone', everyone)
                                          ELSE '{}' END);

    -- the mentioned users hear about it (not the one writing)
    INSERT INTO psa.internal_notifications (tenant, user_id, template_name, title, message, type, category, link, metadata)
    SELECT t, x.user_id, 'ticket-comment-mention',
           format('You were mentioned on ticket %s', tk.ticket_number),
           left(input ->> 'body', 500), 'info', 'tickets', '/msp/tickets/' || tk.ticket_id,
           jsonb_build_object('ticket_id', tk.ticket_id, 'comment_id', cm.comment_id)
      FROM psa.users x
     WHERE x.tenant = t AND NOT x.is_inactive AND x.user_type = 'internal'
       AND (x.user_id = ANY (mentioned) OR everyone)
       AND x.user_id IS DISTINCT FROM algawf._act_actor(ctx);
    GET DIAGNOSTICS notified = ROW_COUNT;

    FOR a IN SELECT e FROM jsonb_array_elements(coalesce(input -> 'attachments', '[]')) AS e LOOP
        attachments := attachments || algawf._act_ticket_attach(ctx, tk.ticket_id, a -> 'source', a ->> 'filename');
    END LOOP;

    PERFORM algawf._act_audit(ctx, 'comments', cm.comment_id,
                              jsonb_build_object('ticket_id', tk.ticket_id, 'comment_id', cm.comment_id,
                                                 'is_internal', cm.is_internal, 'mentions', to_jsonb(mentioned)));

    RETURN jsonb_build_object(
        'comment_id', cm.comment_id,
        'ticket_id', tk.ticket_id,
        'created_at', algawf._act_iso(cm.created_at),
        'visibility', visibility,
        'mentions', to_jsonb(mentioned),
        'notified', notified,
        'attachments', attachments);
END
$fn$;
COMMENT ON FUNCTION algawf._act_tickets_add_comment(jsonb, jsonb) IS 'Implementation of the action tickets.add_comment.';

SELECT algawf.register_action($json${
  "id": "tickets.add_comment", "version": 1,
  "label": "Add Ticket Comment", "category": "Tickets",
  "description": "Add a public or internal comment to a ticket as the acting user; mentioned technicians (or @everyone) get an in-app notification; files can be attached at the same time.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["ticket_id", "body"], "properties": {
    "ticket_id": {"type": "string", "format": "uuid", "description": "The ticket.", "x-workflow-picker-kind": "ticket"},
    "body": {"type": "string", "minLength": 1, "description": "Comment text."},
    "visibility": {"enum": ["public", "internal"], "default": "public", "description": "internal comments are hidden from the client portal."},
    "is_resolution": {"type": "boolean", "default": false, "description": "Mark the comment as the ticket's resolution."},
    "mentions": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "User ids to notify, or \"@everyone\" for all active technicians.", "x-workflow-picker-kind": "user"},
    "attachments": {"type": "array", "description": "Files to attach to the ticket.", "items": {"type": "object", "additionalProperties": false, "required": ["source"], "properties": {
      "source": {"type": "object", "additionalProperties": false, "minProperties": 1, "maxProperties": 1, "description": "Exactly one of file_id, document_id, url.", "properties": {
        "file_id": {"type": "string", "format": "uuid"}, "document_id": {"type": "string", "format": "uuid"}, "url": {"type": "string", "format": "uri"}}},
      "filename": {"type": "string", "minLength": 1}}}},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Your key for this comment: a second call with the same key does not comment twice."}}},
  "outputSchema": {"type": "object", "required": ["comment_id", "ticket_id", "created_at", "visibility"], "properties": {
    "comment_id": {"type": "string", "format": "uuid"},
    "ticket_id": {"type": "string", "format": "uuid"},
    "created_at": {"type": "string", "format": "date-time"},
    "visibility": {"enum": ["public", "internal"]},
    "mentions": {"type": "array", "items": {"type": "string", "format": "uuid"}},
    "notified": {"type": "integer", "description": "In-app notifications created for mentions."},
    "attachments": {"type": "array", "items": {"type": "object"}}}},
  "permissions": ["ticket:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [
    {"title": "Internal note mentioning a technician",
     "input": {"ticket_id": "0000000a-0009-0000-0000-000000000001", "body": "Toner ordered, arrives tomorrow.",
               "visibility": "internal", "mentions": ["0000000a-0001-0000-0000-000000000003"]}}],
  "implementation": {"kind": "sql", "function": "algawf._act_tickets_add_comment"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- tickets.update_fields

CREATE FUNCTION algawf._act_tickets_update_fields(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    actor uuid := algawf._act_actor(ctx);
    p jsonb := input -> 'patch';
    old psa.tickets := algawf._act_ticket_get(ctx, (input ->> 'ticket_id')::uuid, true);
    nw psa.tickets;
    expected timestamptz := (input ->> 'expected_updated_at')::timestamptz;
    v_board uuid;
    v_category uuid;
    v_contact psa.contacts;
    attrs jsonb;
    changed text[] := '{}';
    tags jsonb;
    k text;
BEGIN
    IF expected IS NOT NULL AND old.updated_at <> expected
       AND date_trunc('milliseconds', old.updated_at) <> expected THEN
        PERFORM algawf._act_fail('CONFLICT', 'the ticket was changed since expected_updated_at',
                                 format('expected_updated_at = %s, updated_at = %s',
                                        input ->> 'expected_updated_at', algawf._act_iso(old.updated_at)),
                                 'Read the ticket again (tickets.find) and retry with its updated_at.');
    END IF;

    v_board := CASE WHEN p ? 'board_id' THEN (p ->> 'board_id')::uuid ELSE old.board_id END;
    v_category := CASE WHEN p ? 'category_id' THEN (p ->> 'category_id')::uuid ELSE old.category_id END;
    IF p ? 'board_id' AND v_board IS NULL THEN
        PERFORM algawf._act_fail('VALIDATION_ERROR', 'board_id cannot be cleared');
    END IF;
    IF p ? 'assigned_to' AND p ->> 'assigned_to' IS NOT NULL THEN
        PERFORM algawf._act_user_check(ctx, (p ->> 'assigned_to')::uuid, 'assignee');
    END IF;
    IF p ->> 'contact_id' IS NOT NULL THEN
        SELECT c.* INTO v_contact FROM psa.contacts c WHERE c.tenant = t AND c.contact_name_id = (p ->> 'contact_id')::uuid;
        IF NOT FOUND THEN
            PERFORM algawf._act_not_found('contact', 'contact_id', p ->> 'contact_id');
        END IF;
        IF old.client_id IS NOT NULL AND v_contact.client_id IS DISTINCT FROM old.client_id THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', 'the contact does not belong to the ticket''s client',
                                     format('contact_id = %s, client_id = %s', v_contact.contact_name_id, old.client_id),
                                     'Use clients.assign_to_ticket to move the ticket to another client.');
        END IF;
    END IF;
    PERFORM algawf._act_ticket_check_refs(
        ctx, v_board,
        CASE WHEN p ? 'status_id' THEN (p ->> 'status_id')::uuid ELSE old.status_id END,
        CASE WHEN p ? 'priority_id' THEN (p ->> 'priority_id')::uuid ELSE old.priority_id END,
        v_category,
        CASE WHEN p ? 'subcategory_id' THEN (p ->> 'subcategory_id')::uuid
             WHEN p ? 'category_id' AND v_category IS DISTINCT FROM old.category_id THEN NULL
             ELSE old.subcategory_id END);

    attrs := old.attributes || coalesce(p -> 'attributes', '{}');
    IF p ? 'description' THEN
        attrs := attrs || jsonb_build_object('description', p -> 'description');
    END IF;
    IF p ? 'custom_fields' THEN
        attrs := attrs || jsonb_build_object('custom_fields',
                                             coalesce(old.attributes -> 'custom_fields', '{}') || p -> 'custom_fields');
    END IF;

    UPDATE psa.tickets k SET
        title = CASE WHEN p ? 'title' THEN p ->> 'title' ELSE k.title END,
        board_id = v_board,
        status_id = CASE WHEN p ? 'status_id' THEN (p ->> 'status_id')::uuid ELSE k.status_id END,
        priority_id = CASE WHEN p ? 'priority_id' THEN (p ->> 'priority_id')::uuid ELSE k.priority_id END,
        assigned_to = CASE WHEN p ? 'assigned_to' THEN (p ->> 'assigned_to')::uuid ELSE k.assigned_to END,
        contact_name_id = CASE WHEN p ? 'contact_id' THEN (p ->> 'contact_id')::uuid ELSE k.contact_name_id END,
        category_id = v_category,
        subcategory_id = CASE WHEN p ? 'subcategory_id' THEN (p ->> 'subcategory_id')::uuid
                              WHEN p ? 'category_id' AND v_category IS DISTINCT FROM old.category_id THEN NULL
                              ELSE k.subcategory_id END,
        due_date = CASE WHEN p ? 'due_date' THEN (p ->> 'due_date')::timestamptz ELSE k.due_date END,
        closed_by = CASE WHEN p ? 'status_id' AND NOT k.is_closed THEN actor ELSE k.closed_by END,
        attributes = attrs,
        updated_by = actor
     WHERE k.tenant = t AND k.ticket_id = old.ticket_id
    RETURNING * INTO nw;
    -- closed_by is only meaningful on a closed ticket (the trigger clears it otherwise)

    IF p ? 'tags' THEN
        DELETE FROM psa.tag_mappings m
         USING psa.tag_definitions d
         WHERE m.tenant = t AND m.tagged_type = 'ticket' AND m.tagged_id = old.ticket_id
           AND d.tenant = m.tenant AND d.tag_id = m.tag_id
           AND NOT lower(d.tag_text) IN (SELECT lower(btrim(e)) FROM jsonb_array_elements_text(p -> 'tags') AS e);
        PERFORM algawf._act_tags_add(ctx, 'ticket', old.ticket_id, p -> 'tags');
        tags := algawf._act_tags_of(ctx, 'ticket', old.ticket_id);
        UPDATE psa.tickets k SET attributes = k.attributes || jsonb_build_object('tags', tags)
         WHERE k.tenant = t AND k.ticket_id = old.ticket_id
        RETURNING * INTO nw;
        IF tags IS DISTINCT FROM coalesce(old.attributes -> 'tags', '[]') THEN
            changed := changed || 'tags'::text;
        END IF;
    END IF;

    FOREACH k IN ARRAY ARRAY['title', 'board_id', 'status_id', 'priority_id', 'assigned_to', 'contact_name_id',
                             'category_id', 'subcategory_id', 'due_date', 'is_closed'] LOOP
        IF to_jsonb(old) -> k IS DISTINCT FROM to_jsonb(nw) -> k THEN
            changed := changed || k;
        END IF;
    END LOOP;
    IF (old.attributes - 'tags') IS DISTINCT FROM (nw.attributes - 'tags') THEN
        changed := changed || 'attributes'::text;
    END IF;

    PERFORM algawf._act_audit(ctx, 'tickets', old.ticket_id,
                              jsonb_build_object('ticket_id', old.ticket_id, 'changed_fields', to_jsonb(changed),
                                                 'before', (SELECT jsonb_object_agg(f, to_jsonb(old) -> f) FROM unnest(changed) f WHERE f <> 'tags'),
                                                 'after', (SELECT jsonb_object_agg(f, to_jsonb(nw) -> f) FROM unnest(changed) f WHERE f <> 'tags')));

    RETURN jsonb_build_object(
        'ticket_id', nw.ticket_id,
        'updated_at', algawf._act_iso(nw.updated_at),
        'status_id', nw.status_id,
        'priority_id', nw.priority_id,
        'assigned_to', nw.assigned_to,
        'is_closed', nw.is_closed,
        'tags', algawf._act_tags_of(ctx, 'ticket', nw.ticket_id),
        'changed_fields', to_jsonb(changed));
END
$fn$;
COMMENT ON FUNCTION algawf._act_tickets_update_fields(jsonb, jsonb) IS 'Implementation of the action tickets.update_fields.';

SELECT algawf.register_action($json${
  "id": "tickets.update_fields", "version": 1,
  "label": "Update Ticket Fields", "category": "Tickets",
  "description": "Change a ticket's title, status, priority, technician, contact, board, category, due date, tags, custom fields or attributes in one step. Give expected_updated_at (from tickets.find) to fail with CONFLICT instead of overwriting someone else's change.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["ticket_id", "patch"], "properties": {
    "ticket_id": {"type": "string", "format": "uuid", "description": "The ticket.", "x-workflow-picker-kind": "ticket"},
    "patch": {"type": "object", "additionalProperties": false, "minProperties": 1, "description": "The fields to change; fields left out stay as they are.", "properties": {
      "title": {"type": "string", "minLength": 1, "maxLength": 500, "description": "New title."},
      "description": {"type": "string", "description": "New description."},
      "board_id": {"type": "string", "format": "uuid", "description": "Move to another board.", "x-workflow-picker-kind": "board"},
      "status_id": {"type": "string", "format": "uuid", "description": "New ticket status (a closed status closes the ticket).", "x-workflow-picker-kind": "ticket-status"},
      "priority_id": {"type": "string", "format": "uuid", "description": "New priority.", "x-workflow-picker-kind": "ticket-priority"},
      "assigned_to": {"type": ["string", "null"], "format": "uuid", "description": "Technician (null unassigns).", "x-workflow-picker-kind": "user"},
      "contact_id": {"type": ["string", "null"], "format": "uuid", "description": "Requester, a contact of the ticket's client (null clears).", "x-workflow-picker-kind": "contact"},
      "category_id": {"type": ["string", "null"], "format": "uuid", "description": "Category (changing it clears the subcategory unless one is given).", "x-workflow-picker-kind": "ticket-category"},
      "subcategory_id": {"type": ["string", "null"], "format": "uuid", "description": "Subcategory under the category.", "x-workflow-picker-kind": "ticket-category"},
      "due_date": {"type": ["string", "null"], "format": "date-time", "description": "Due date (null clears)."},
      "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 100}, "description": "The ticket's tags, replacing the current ones."},
      "custom_fields": {"type": "object", "description": "Custom field values merged into the current ones."},
      "attributes": {"type": "object", "description": "Attributes merged into the current ones."}}},
    "expected_updated_at": {"type": "string", "format": "date-time", "description": "The ticket's updated_at as you read it; a different current value fails with CONFLICT."}}},
  "outputSchema": {"type": "object", "required": ["ticket_id", "updated_at", "changed_fields"], "properties": {
    "ticket_id": {"type": "string", "format": "uuid"},
    "updated_at": {"type": "string", "format": "date-time", "description": "The new concurrency token."},
    "status_id": {"type": ["string", "null"], "format": "uuid"},
    "priority_id": {"type": ["string", "null"], "format": "uuid"},
    "assigned_to": {"type": ["string", "null"], "format": "uuid"},
    "is_closed": {"type": "boolean"},
    "tags": {"type": "array", "items": {"type": "string"}},
    "changed_fields": {"type": "array", "items": {"type": "string"}, "description": "Columns whose value changed."}}},
  "permissions": ["ticket:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [
    {"title": "Raise priority and move to In Progress",
     "input": {"ticket_id": "0000000a-0009-0000-0000-000000000001",
               "patch": {"priority_id": "0000000a-0007-0000-0000-000000000003", "status_id": "0000000a-0006-0000-0000-000000000002"}}}],
  "implementation": {"kind": "sql", "function": "algawf._act_tickets_update_fields"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- tickets.assign

CREATE FUNCTION algawf._act_tickets_assign(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    actor uuid := algawf._act_actor(ctx);
    old psa.tickets := algawf._act_ticket_get(ctx, (input ->> 'ticket_id')::uuid, true);
    nw psa.tickets;
    asg jsonb := algawf._act_ticket_assignee(ctx, input -> 'assignee');
    v_board uuid := coalesce((asg ->> 'board_id')::uuid, old.board_id);
    v_team uuid := CASE WHEN asg ? 'assigned_team_id' THEN (asg ->> 'assigned_team_id')::uuid ELSE old.assigned_team_id END;
    v_status uuid := old.status_id;
    noop boolean;
    cm psa.comments;
    resources integer := 0;
BEGIN
    noop := coalesce((input ->> 'no_op_if_already_assigned')::boolean, true)
            AND old.assigned_to IS NOT DISTINCT FROM (asg ->> 'assigned_to')::uuid
            AND old.board_id IS NOT DISTINCT FROM v_board
            AND old.assigned_team_id IS NOT DISTINCT FROM v_team;
    IF noop THEN
        nw := old;
    ELSE
        -- a queue move keeps the status when it is shared by all boards, else
        -- takes the new board's default open status
        IF v_board IS DISTINCT FROM old.board_id AND EXISTS (
               SELECT 1 FROM psa.statuses s WHERE s.tenant = t AND s.status_id = old.status_id
                  AND s.board_id IS NOT NULL AND s.board_id <> v_board) THEN
            SELECT s.status_id INTO v_status FROM psa.statuses s
             WHERE s.tenant = t AND s.status_type = 'ticket' AND NOT s.is_closed AND (s.board_id IS NULL OR s.board_id = v_board)
             ORDER BY s.board_id IS NULL, s.is_default DESC, s.order_number LIMIT 1;
        END IF;
        UPDATE psa.tickets k
           SET assigned_to = (asg ->> 'assigned_to')::uuid, assigned_team_id = v_team, board_id = v_board,
               status_id = v_status, updated_by = actor
         WHERE k.tenant = t AND k.ticket_id = old.ticket_id
        RETURNING * INTO nw;
        IF asg ->> 'type' = 'team' THEN
            resources := algawf._act_ticket_team_resources(ctx, nw.ticket_id, v_team, nw.assigned_to);
        END IF;
    END IF;

    IF input -> 'comment' ->> 'body' IS NOT NULL THEN
        cm := algawf._act_ticket_comment(ctx, old.ticket_id, input -> 'comment' ->> 'body',
                                         coalesce(input -> 'comment' ->> 'visibility', 'internal') = 'internal', false,
                                         jsonb_strip_nulls(jsonb_build_object('reason', input ->> 'reason')));
    END IF;

    PERFORM algawf._act_audit(ctx, 'tickets', old.ticket_id,
                              jsonb_build_object('ticket_id', old.ticket_id, 'noop', noop, 'assignee', input -> 'assignee',
                                                 'before', jsonb_build_object('assigned_to', old.assigned_to, 'assigned_team_id', old.assigned_team_id, 'board_id', old.board_id),
                                                 'after', jsonb_build_object('assigned_to', nw.assigned_to, 'assigned_team_id', nw.assigned_team_id, 'board_id', nw.board_id)),
                              jsonb_strip_nulls(jsonb_build_object('reason', input ->> 'reason')));

    RETURN jsonb_build_object(
        'ticket_id', nw.ticket_id,
        'assigned_type', asg ->> 'type',
        'assigned_id', asg ->> 'id',
        'assigned_to', nw.assigned_to,
        'assigned_team_id', nw.assigned_team_id,
        'board_id', nw.board_id,
        'noop', noop,
        'additional_resources', resources,
        'comment_id', cm.comment_id,
        'updated_at', algawf._act_iso(nw.updated_at));
END
$fn$;
COMMENT ON FUNCTION algawf._act_tickets_assign(jsonb, jsonb) IS 'Implementation of the action tickets.assign.';

SELECT algawf.register_action($json${
  "id": "tickets.assign", "version": 1,
  "label": "Assign Ticket", "category": "Tickets",
  "description": "Assign a ticket to a technician, a team (its manager is the assignee and its members become additional resources) or a queue (the ticket moves to that board and to the board's default technician, if any); optionally with a comment explaining why.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["ticket_id", "assignee"], "properties": {
    "ticket_id": {"type": "string", "format": "uuid", "description": "The ticket.", "x-workflow-picker-kind": "ticket"},
    "assignee": {"type": "object", "additionalProperties": false, "required": ["type", "id"], "description": "Who takes the ticket.", "properties": {
      "type": {"enum": ["user", "team", "queue"], "description": "user, team, or queue (a board)."},
      "id": {"type": "string", "format": "uuid", "description": "user_id, team_id or board_id.", "x-workflow-picker-kind": "assignee"}}},
    "reason": {"type": "string", "description": "Why (kept in the audit log and the comment's metadata)."},
    "comment": {"type": "object", "additionalProperties": false, "required": ["body"], "description": "A comment to add with the assignment.", "properties": {
      "body": {"type": "string", "minLength": 1},
      "visibility": {"enum": ["public", "internal"], "default": "internal"}}},
    "no_op_if_already_assigned": {"type": "boolean", "default": true, "description": "Change nothing when the ticket already has this assignment."}}},
  "outputSchema": {"type": "object", "required": ["ticket_id", "assigned_type", "assigned_id", "assigned_to", "noop", "updated_at"], "properties": {
    "ticket_id": {"type": "string", "format": "uuid"},
    "assigned_type": {"enum": ["user", "team", "queue"]},
    "assigned_id": {"type": "string", "format": "uuid"},
    "assigned_to": {"type": ["string", "null"], "format": "uuid", "description": "The technician now assigned."},
    "assigned_team_id": {"type": ["string", "null"], "format": "uuid"},
    "board_id": {"type": ["string", "null"], "format": "uuid"},
    "noop": {"type": "boolean", "description": "true when nothing had to change."},
    "additional_resources": {"type": "integer"},
    "comment_id": {"type": ["string", "null"], "format": "uuid"},
    "updated_at": {"type": "string", "format": "date-time"}}},
  "permissions": ["ticket:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [
    {"title": "Give a ticket to Tina",
     "input": {"ticket_id": "0000000a-0009-0000-0000-000000000001", "assignee": {"type": "user", "id": "0000000a-0001-0000-0000-000000000004"},
               "reason": "on site today", "comment": {"body": "Tina is on site today."}}}],
  "implementation": {"kind": "sql", "function": "algawf._act_tickets_assign"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- tickets.close

CREATE FUNCTION algawf._act_tickets_close(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    actor uuid := algawf._act_actor(ctx);
    old psa.tickets := algawf._act_ticket_get(ctx, (input ->> 'ticket_id')::uuid, true);
    nw psa.tickets;
    st psa.statuses;
    notify boolean := coalesce((input ->> 'notify_requester')::boolean, false);
    requester text;
    email_reason text;
    comments jsonb := '[]';
    cm psa.comments;
BEGIN
    IF old.is_closed THEN
        PERFORM algawf._act_fail('CONFLICT', format('ticket %s is already closed', old.ticket_number),
                                 format('closed_at = %s', coalesce(algawf._act_iso(old.closed_at), 'unknown')),
                                 'Reopen it (tickets.update_fields with an open status) before closing it again.');
    END IF;

    IF input ->> 'status_id' IS NOT NULL THEN
        SELECT s.* INTO st FROM psa.statuses s WHERE s.tenant = t AND s.status_id = (input ->> 'status_id')::uuid;
        IF NOT FOUND THEN
            PERFORM algawf._act_not_found('status', 'status_id', input ->> 'status_id');
        END IF;
        IF st.status_type <> 'ticket' OR NOT st.is_closed OR (st.board_id IS NOT NULL AND st.board_id IS DISTINCT FROM old.board_id) THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', format('status "%s" is not a closed ticket status of the ticket''s board', st.name),
                                     format('status_id = %s', st.status_id));
        END IF;
    ELSE
        SELECT s.* INTO st FROM psa.statuses s
         WHERE s.tenant = t AND s.status_type = 'ticket' AND s.is_closed AND (s.board_id IS NULL OR s.board_id = old.board_id)
         ORDER BY s.board_id IS NULL, s.is_default DESC, s.order_number LIMIT 1;
        IF NOT FOUND THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', 'the ticket''s board has no closed status',
                                     format('board_id = %s', old.board_id), 'Add a ticket status with is_closed = true.');
        END IF;
    END IF;

    IF notify THEN
        requester := coalesce(input ->> 'requester_email',
                              (SELECT c.email FROM psa.contacts c WHERE c.tenant = t AND c.contact_name_id = old.contact_name_id));
        IF requester IS NULL THEN
            PERFORM algawf._act_fail('VALIDATION_ERROR', 'the ticket has no requester e-mail address to notify',
                                     format('ticket %s, contact_name_id = %s', old.ticket_number, coalesce(old.contact_name_id::text, 'null')),
                                     'Give requester_email, or set a contact with an e-mail address on the ticket.');
        END IF;
        -- an SQL action cannot send mail itself: the SMTP send happens outside any
        -- transaction, in the email.send action
        email_reason := CASE WHEN EXISTS (SELECT 1 FROM algawf.actions a WHERE a.action_id = 'email.send')
                             THEN 'tickets.close records the notification; send it with an email.send step to requester_email'
                             ELSE 'email.send is not available in this installation; the notification was not sent' END;
    END IF;

    UPDATE psa.tickets k
       SET status_id = st.status_id, closed_by = actor, updated_by = actor,
           attributes = k.attributes || jsonb_strip_nulls(jsonb_build_object(
               'resolution_code', input -> 'resolution' -> 'code',
               'resolution', input -> 'resolution'))
     WHERE k.tenant = t AND k.ticket_id = old.ticket_id
    RETURNING * INTO nw;

    IF input -> 'resolution' ->> 'text' IS NOT NULL AND input ->> 'public_note' IS NULL THEN
        cm := algawf._act_ticket_comment(ctx, old.ticket_id, input -> 'resolution' ->> 'text', false, true);
        comments := comments || to_jsonb(cm.comment_id);
    END IF;
    IF input ->> 'public_note' IS NOT NULL THEN
        cm := algawf._act_ticket_comment(ctx, old.ticket_id, input ->> 'public_note', false, true);
        comments := comments || to_jsonb(cm.comment_id);
    END IF;
    IF input ->> 'internal_note' IS NOT NULL THEN
        cm := algawf._act_ticket_comment(ctx, old.ticket_id, input ->> 'internal_note', true, true);
        comments := comments || to_jsonb(cm.comment_id);
    END IF;

    PERFORM algawf._act_audit(ctx, 'tickets', old.ticket_id,
                              jsonb_build_object('ticket_id', old.ticket_id, 'closed_at', algawf._act_iso(nw.closed_at),
                                                 'status_before', old.status_id, 'status_after', nw.status_id,
                                                 'resolution', input -> 'resolution',
                                                 'notification', CASE WHEN notify THEN jsonb_build_object(
                                                     'to', requester, 'queued', false, 'reason', email_reason) END));

    RETURN jsonb_build_object(
        'ticket_id', nw.ticket_id,
        'ticket_number', nw.ticket_number,
        'closed_at', algawf._act_iso(nw.closed_at),
        'closed_by', nw.closed_by,
        'final_status_id', nw.status_id,
        'resolution_code', input -> 'resolution' -> 'code',
        'comment_ids', comments,
        'requester_email', requester,
        'email_queued', false,
        'email_reason', email_reason);
END
$fn$;
COMMENT ON FUNCTION algawf._act_tickets_close(jsonb, jsonb) IS 'Implementation of the action tickets.close.';

SELECT algawf.register_action($json${
  "id": "tickets.close", "version": 1,
  "label": "Close Ticket", "category": "Tickets",
  "description": "Close a ticket: moves it to the closed status of its board, records the resolution and closing notes (public and/or internal), and when asked names the requester's e-mail address for a closure notification. A ticket that is already closed fails with CONFLICT.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["ticket_id"], "properties": {
    "ticket_id": {"type": "string", "format": "uuid", "description": "The ticket.", "x-workflow-picker-kind": "ticket"},
    "status_id": {"type": ["string", "null"], "format": "uuid", "description": "A specific closed status (default: the board's closed status).", "x-workflow-picker-kind": "ticket-status"},
    "resolution": {"type": "object", "additionalProperties": false, "required": ["code"], "description": "How it was resolved (attributes.resolution).", "properties": {
      "code": {"type": "string", "minLength": 1, "description": "Resolution code, e.g. fixed, duplicate, no_response."},
      "text": {"type": "string", "minLength": 1, "description": "Summary; becomes the public resolution comment when public_note is not given."}}},
    "public_note": {"type": "string", "minLength": 1, "description": "Closing comment the client sees."},
    "internal_note": {"type": "string", "minLength": 1, "description": "Closing comment for technicians only."},
    "notify_requester": {"type": "boolean", "default": false, "description": "Prepare a closure e-mail to the requester (see email_queued in the output)."},
    "requester_email": {"type": "string", "format": "email", "description": "Address to notify instead of the ticket contact's."},
    "email": {"type": "object", "additionalProperties": false, "description": "Subject and body for the notification.", "properties": {
      "subject": {"type": "string"}, "text": {"type": "string"}, "html": {"type": "string"}}}}},
  "outputSchema": {"type": "object", "required": ["ticket_id", "closed_at", "final_status_id", "email_queued"], "properties": {
    "ticket_id": {"type": "string", "format": "uuid"},
    "ticket_number": {"type": "string"},
    "closed_at": {"type": "string", "format": "date-time"},
    "closed_by": {"type": ["string", "null"], "format": "uuid"},
    "final_status_id": {"type": "string", "format": "uuid"},
    "resolution_code": {"type": ["string", "null"]},
    "comment_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
    "requester_email": {"type": ["string", "null"], "description": "Who should be notified (notify_requester)."},
    "email_queued": {"type": "boolean", "description": "Always false: this action does not send mail; follow it with email.send."},
    "email_reason": {"type": ["string", "null"], "description": "Why no e-mail was queued, when one was asked for."}}},
  "permissions": ["ticket:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "redact": ["email.text", "email.html"],
  "examples": [
    {"title": "Close with a resolution and tell the requester",
     "input": {"ticket_id": "0000000a-0009-0000-0000-000000000001", "resolution": {"code": "fixed", "text": "Replaced the fuser unit."},
               "internal_note": "Fuser part number RM2-5425.", "notify_requester": true}}],
  "implementation": {"kind": "sql", "function": "algawf._act_tickets_close"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- tickets.link_entities

CREATE FUNCTION algawf._act_tickets_link_entities(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    tk psa.tickets := algawf._act_ticket_get(ctx, (input ->> 'ticket_id')::uuid);
    etype text := input ->> 'entity_type';
    eid uuid := (input ->> 'entity_id')::uuid;
    ltype text := coalesce(input ->> 'link_type', 'related');
    ename text;
    found_it boolean;
    lk psa.entity_links;
BEGIN
    CASE etype
        WHEN 'ticket' THEN
            SELECT true, x.ticket_number || ' ' || x.title INTO found_it, ename FROM psa.tickets x WHERE x.tenant = t AND x.ticket_id = eid;
        WHEN 'project' THEN
            SELECT true, x.project_name INTO found_it, ename FROM psa.projects x WHERE x.tenant = t AND x.project_id = eid;
        WHEN 'project_task' THEN
            SELECT true, x.task_name INTO found_it, ename FROM psa.project_tasks x WHERE x.tenant = t AND x.task_id = eid;
        WHEN 'asset' THEN
            SELECT true, x.name INTO found_it, ename FROM psa.assets x WHERE x.tenant = t AND x.asset_id = eid;
        WHEN 'client' THEN
            SELECT true, x.client_name INTO found_it, ename FROM psa.clients x WHERE x.tenant = t AND x.client_id = eid;
        WHEN 'contact' THEN
            SELECT true, x.full_name INTO found_it, ename FROM psa.contacts x WHERE x.tenant = t AND x.contact_name_id = eid;
        WHEN 'interaction' THEN
            SELECT true, x.title INTO found_it, ename FROM psa.interactions x WHERE x.tenant = t AND x.interaction_id = eid;
    END CASE;
    IF found_it IS NULL THEN
        PERFORM algawf._act_not_found(replace(etype, '_', ' '), 'entity_id', eid::text);
    END IF;
    IF etype = 'ticket' AND eid = tk.ticket_id THEN
        PERFORM algawf._act_fail('VALIDATION_ERROR', 'a ticket cannot be linked to itself');
    END IF;
    IF EXISTS (SELECT 1 FROM psa.entity_links l
                WHERE l.tenant = t AND l.source_type = 'ticket' AND l.source_id = tk.ticket_id
                  AND l.link_type = ltype AND l.target_type = etype AND l.target_id = eid) THEN
        PERFORM algawf._act_fail('CONFLICT', format('ticket %s is already linked to this %s (%s)', tk.ticket_number, etype, ltype),
                                 format('entity_id = %s', eid));
    END IF;

    INSERT INTO psa.entity_links (tenant, source_type, source_id, target_type, target_id, link_type, created_by)
    VALUES (t, 'ticket', tk.ticket_id, etype, eid, ltype, algawf._act_actor(ctx))
    RETURNING * INTO lk;

    PERFORM algawf._act_audit(ctx, 'entity_links', lk.link_id,
                              jsonb_build_object('ticket_id', tk.ticket_id, 'entity_type', etype, 'entity_id', eid,
                                                 'link_type', ltype, 'metadata', input -> 'metadata'));

    RETURN jsonb_build_object(
        'link_id', lk.link_id,
        'ticket_id', tk.ticket_id,
        'entity_type', etype,
        'entity_id', eid,
        'link_type', ltype,
        'linked_entity_summary', jsonb_build_object('type', etype, 'id', eid, 'name', ename));
END
$fn$;
COMMENT ON FUNCTION algawf._act_tickets_link_entities(jsonb, jsonb) IS 'Implementation of the action tickets.link_entities.';

SELECT algawf.register_action($json${
  "id": "tickets.link_entities", "version": 1,
  "label": "Link Ticket", "category": "Tickets",
  "description": "Link a ticket to another ticket, a project, a project task, an asset, a client, a contact or an interaction (related, parent, child, duplicate, blocks, blocked_by, caused_by). Linking the same pair twice fails with CONFLICT.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["ticket_id", "entity_type", "entity_id"], "properties": {
    "ticket_id": {"type": "string", "format": "uuid", "description": "The ticket.", "x-workflow-picker-kind": "ticket"},
    "entity_type": {"enum": ["ticket", "project", "project_task", "asset", "client", "contact", "interaction"], "description": "What to link to."},
    "entity_id": {"type": "string", "format": "uuid", "description": "Its id.", "x-workflow-picker-kind": "entity", "x-workflow-picker-dependencies": ["entity_type"]},
    "link_type": {"enum": ["related", "parent", "child", "duplicate", "blocks", "blocked_by", "caused_by"], "default": "related", "description": "How the ticket relates to the entity."},
    "metadata": {"type": "object", "description": "Kept in the audit log."}}},
  "outputSchema": {"type": "object", "required": ["link_id", "ticket_id", "entity_type", "entity_id", "link_type", "linked_entity_summary"], "properties": {
    "link_id": {"type": "string", "format": "uuid"},
    "ticket_id": {"type": "string", "format": "uuid"},
    "entity_type": {"type": "string"},
    "entity_id": {"type": "string", "format": "uuid"},
    "link_type": {"type": "string"},
    "linked_entity_summary": {"type": "object", "required": ["type", "id", "name"], "properties": {
      "type": {"type": "string"}, "id": {"type": "string", "format": "uuid"}, "name": {"type": ["string", "null"]}}}}},
  "permissions": ["ticket:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "engineProvided"},
  "examples": [
    {"title": "Mark TIC001003 as related to TIC001001",
     "input": {"ticket_id": "0000000a-0009-0000-0000-000000000003", "entity_type": "ticket",
               "entity_id": "0000000a-0009-0000-0000-000000000001", "link_type": "related"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_tickets_link_entities"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- tickets.add_attachment

CREATE FUNCTION algawf._act_tickets_add_attachment(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    tk psa.tickets := algawf._act_ticket_get(ctx, (input ->> 'ticket_id')::uuid);
    att jsonb;
    cm psa.comments;
BEGIN
    att := algawf._act_ticket_attach(ctx, tk.ticket_id, input -> 'source', input ->> 'filename');
    IF input -> 'comment' ->> 'body' IS NOT NULL THEN
        cm := algawf._act_ticket_comment(ctx, tk.ticket_id, input -> 'comment' ->> 'body',
                                         coalesce(input -> 'comment' ->> 'visibility', 'public') = 'internal', false,
                                         jsonb_build_object('attachment_id', att -> 'attachment_id'));
    END IF;
    PERFORM algawf._act_audit(ctx, 'document_associations', (att ->> 'attachment_id')::uuid,
                              jsonb_build_object('ticket_id', tk.ticket_id, 'document_id', att -> 'attachment_id',
                                                 'source', input -> 'source'));
    RETURN att || jsonb_build_object('ticket_id', tk.ticket_id, 'comment_id', cm.comment_id,
                                     'visibility', coalesce(input ->> 'visibility', 'public'));
END
$fn$;
COMMENT ON FUNCTION algawf._act_tickets_add_attachment(jsonb, jsonb) IS 'Implementation of the action tickets.add_attachment.';

SELECT algawf.register_action($json${
  "id": "tickets.add_attachment", "version": 1,
  "label": "Add Ticket Attachment", "category": "Tickets",
  "description": "Attach a stored file, an existing document or a link (URL) to a ticket, optionally with a comment about it.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["ticket_id", "source"], "properties": {
    "ticket_id": {"type": "string", "format": "uuid", "description": "The ticket.", "x-workflow-picker-kind": "ticket"},
    "source": {"type": "object", "additionalProperties": false, "minProperties": 1, "maxProperties": 1, "description": "Exactly one of file_id (a stored file), document_id (an existing document) or url (recorded as a link, not downloaded).", "properties": {
      "file_id": {"type": "string", "format": "uuid", "description": "psa.external_files.file_id", "x-workflow-picker-kind": "file"},
      "document_id": {"type": "string", "format": "uuid", "description": "psa.documents.document_id", "x-workflow-picker-kind": "document"},
      "url": {"type": "string", "format": "uri", "description": "http(s) URL of the file"}}},
    "filename": {"type": "string", "minLength": 1, "description": "Name to show (default: the file's name or the URL's last segment)."},
    "visibility": {"enum": ["public", "internal"], "default": "public", "description": "Informational (documents have no visibility of their own)."},
    "comment": {"type": "object", "additionalProperties": false, "required": ["body"], "description": "A comment to add with the attachment.", "properties": {
      "body": {"type": "string", "minLength": 1}, "visibility": {"enum": ["public", "internal"], "default": "public"}}},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Your key: a second call with the same key does not attach twice."}}},
  "outputSchema": {"type": "object", "required": ["attachment_id", "ticket_id", "filename"], "properties": {
    "attachment_id": {"type": "string", "format": "uuid", "description": "The document id."},
    "ticket_id": {"type": "string", "format": "uuid"},
    "filename": {"type": "string"},
    "mime_type": {"type": ["string", "null"]},
    "storage_ref": {"type": ["string", "null"], "description": "The stored file's id (external_files.file_id)."},
    "visibility": {"enum": ["public", "internal"]},
    "comment_id": {"type": ["string", "null"], "format": "uuid"}}},
  "permissions": ["ticket:update"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "examples": [
    {"title": "Attach a log file by URL",
     "input": {"ticket_id": "0000000a-0009-0000-0000-000000000002", "source": {"url": "https://files.example/vpn/ike.log"},
               "comment": {"body": "IKE log attached.", "visibility": "internal"}}}],
  "implementation": {"kind": "sql", "function": "algawf._act_tickets_add_attachment"}
}$json$::jsonb);

-- ---------------------------------------------------------------------------
-- tickets.find

CREATE FUNCTION algawf._act_tickets_find(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t uuid := algawf._act_tenant(ctx);
    inc jsonb := coalesce(input -> 'include', '{}');
    tk psa.tickets;
    matched text;
    res jsonb;
BEGIN
    IF input ? 'ticket_id' THEN
        matched := 'ticket_id';
        SELECT k.* INTO tk FROM psa.tickets k WHERE k.tenant = t AND k.ticket_id = (input ->> 'ticket_id')::uuid;
    ELSIF input ? 'ticket_number' THEN
        matched := 'ticket_number';
        SELECT k.* INTO tk FROM psa.tickets k WHERE k.tenant = t AND upper(k.ticket_number) = upper(btrim(input ->> 'ticket_number'));
    ELSE
        matched := 'external_ref';
        SELECT k.* INTO tk FROM psa.tickets k WHERE k.tenant = t AND k.attributes ->> 'external_ref' = input ->> 'external_ref'
         ORDER BY k.entered_at DESC LIMIT 1;
    END IF;

    IF tk.ticket_id IS NULL THEN
        IF coalesce(input ->> 'on_not_found', 'return_null') = 'error' THEN
            PERFORM algawf._act_fail('NOT_FOUND', 'ticket not found',
                                     format('%s = %s', matched, input ->> matched));
        END IF;
        res := jsonb_build_object('ticket', NULL, 'matched_by', NULL);
    ELSE
        res := jsonb_build_object(
            'ticket', algawf._act_ticket_summary(tk, coalesce((inc ->> 'attributes')::boolean, (inc ->> 'custom_fields')::boolean, false)),
            'matched_by', matched);
    END IF;

    IF (inc ->> 'comments')::boolean THEN
        res := res || jsonb_build_object('comments', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'comment_id', c.comment_id, 'note', c.note, 'is_internal', c.is_internal,
                       'is_resolution', c.is_resolution, 'author_type', c.author_type,
                       'user_id', c.user_id, 'contact_id', c.contact_id, 'created_at', algawf._act_iso(c.created_at))
                   ORDER BY c.created_at, c.comment_id)
              FROM (SELECT * FROM psa.comments c WHERE c.tenant = t AND c.ticket_id = tk.ticket_id
                     ORDER BY c.created_at, c.comment_id LIMIT coalesce((inc ->> 'comments_limit')::integer, 50)) c), '[]'));
    END IF;
    IF (inc ->> 'attachments')::boolean THEN
        res := res || jsonb_build_object('attachments', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'document_id', x.document_id, 'document_name', x.document_name, 'file_id', x.file_id,
                       'mime_type', x.mime_type, 'associated_at', algawf._act_iso(x.created_at))
                   ORDER BY x.created_at, x.document_id)
              FROM (SELECT d.document_id, d.document_name, d.file_id, d.mime_type, a.created_at
                      FROM psa.document_associations a
                      JOIN psa.documents d ON d.tenant = a.tenant AND d.document_id = a.document_id
                     WHERE a.tenant = t AND a.entity_type = 'ticket' AND a.entity_id = tk.ticket_id
                     ORDER BY a.created_at, d.document_id
                     LIMIT coalesce((inc ->> 'attachments_limit')::integer, 50)) x), '[]'));
    END IF;
    IF (inc ->> 'tags')::boolean THEN
        res := res || jsonb_build_object('tags', CASE WHEN tk.ticket_id IS NULL THEN '[]'
                                                      ELSE algawf._act_tags_of(ctx, 'ticket', tk.ticket_id) END);
    END IF;
    IF (inc ->> 'links')::boolean THEN
        res := res || jsonb_build_object('links', coalesce((
            SELECT jsonb_agg(jsonb_build_object('link_id', l.link_id, 'link_type', l.link_type,
                                                'entity_type', l.target_type, 'entity_id', l.target_id)
                   ORDER BY l.created_at, l.link_id)
              FROM psa.entity_links l
             WHERE l.tenant = t AND l.source_type = 'ticket' AND l.source_id = tk.ticket_id), '[]'));
    END IF;
    RETURN res;
END
$fn$;
COMMENT ON FUNCTION algawf._act_tickets_find(jsonb, jsonb) IS 'Implementation of the action tickets.find.';

SELECT algawf.register_action($json${
  "id": "tickets.find", "version": 1,
  "label": "Find Ticket", "category": "Tickets",
  "description": "Look a ticket up by id, by ticket number (TIC001001) or by a reference from another system, optionally with its comments, attachments, tags, links and raw attributes. Returns ticket: null when there is none, or fails with NOT_FOUND when on_not_found is error.",
  "inputSchema": {"type": "object", "additionalProperties": false,
    "anyOf": [{"required": ["ticket_id"]}, {"required": ["ticket_number"]}, {"required": ["external_ref"]}],
    "properties": {
    "ticket_id": {"type": "string", "format": "uuid", "description": "Ticket id.", "x-workflow-picker-kind": "ticket"},
    "ticket_number": {"type": "string", "minLength": 1, "description": "Ticket number, e.g. TIC001001 (case-insensitive)."},
    "external_ref": {"type": "string", "minLength": 1, "description": "attributes.external_ref (given to tickets.create); the newest match wins."},
    "on_not_found": {"enum": ["return_null", "error"], "default": "return_null", "description": "What to do when no ticket matches."},
    "include": {"type": "object", "additionalProperties": false, "description": "Related data to return.", "properties": {
      "comments": {"type": "boolean", "default": false},
      "comments_limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
      "attachments": {"type": "boolean", "default": false},
      "attachments_limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
      "attributes": {"type": "boolean", "default": false, "description": "Include ticket.attributes (raw JSON)."},
      "custom_fields": {"type": "boolean", "default": false, "description": "Same as attributes."},
      "tags": {"type": "boolean", "default": false},
      "links": {"type": "boolean", "default": false}}}}},
  "outputSchema": {"type": "object", "required": ["ticket"], "properties": {
    "ticket": {"type": ["object", "null"], "properties": {
      "ticket_id": {"type": "string", "format": "uuid"}, "ticket_number": {"type": "string"}, "title": {"type": "string"},
      "description": {"type": ["string", "null"]}, "url": {"type": ["string", "null"]},
      "client_id": {"type": ["string", "null"]}, "client_name": {"type": ["string", "null"]},
      "contact_name_id": {"type": ["string", "null"]}, "contact_name": {"type": ["string", "null"]},
      "location_id": {"type": ["string", "null"]},
      "board_id": {"type": ["string", "null"]}, "board_name": {"type": ["string", "null"]},
      "status_id": {"type": ["string", "null"]}, "status_name": {"type": ["string", "null"]},
      "priority_id": {"type": ["string", "null"]}, "priority_name": {"type": ["string", "null"]},
      "category_id": {"type": ["string", "null"]}, "subcategory_id": {"type": ["string", "null"]},
      "assigned_to": {"type": ["string", "null"]}, "assigned_team_id": {"type": ["string", "null"]},
      "entered_by": {"type": ["string", "null"]},
      "entered_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
      "due_date": {"type": ["string", "null"]}, "closed_at": {"type": ["string", "null"]},
      "is_closed": {"type": "boolean"}, "attributes": {"type": "object"}}},
    "matched_by": {"type": ["string", "null"]},
    "comments": {"type": "array", "items": {"type": "object"}},
    "attachments": {"type": "array", "items": {"type": "object"}},
    "tags": {"type": "array", "items": {"type": "string"}},
    "links": {"type": "array", "items": {"type": "object"}}}},
  "permissions": ["ticket:read"],
  "sideEffectful": false,
  "idempotency": {"mode": "engineProvided"},
  "examples": [
    {"title": "By number, with comments", "input": {"ticket_number": "TIC001002", "include": {"comments": true}}}],
  "implementation": {"kind": "sql", "function": "algawf._act_tickets_find"}
}$json$::jsonb);
