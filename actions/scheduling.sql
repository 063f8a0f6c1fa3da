-- Scheduling family: scheduling.assign_user and scheduling.create_entry
-- (psa.schedule_entries, schedule_entry_assignees, schedule_conflicts).

-- The work item a schedule entry is for: checked in the tenant, with a
-- default title.  Returns {type, id, title}.
CREATE FUNCTION algawf._sched_work_item(link jsonb, field text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    typ text := link ->> 'type';
    id uuid := (link ->> 'id')::uuid;
    title text;
BEGIN
    IF typ = 'ticket' THEN
        SELECT k.ticket_number || ': ' || k.title INTO title FROM psa.tickets k WHERE k.tenant = t AND k.ticket_id = id;
    ELSIF typ = 'project_task' THEN
        SELECT pt.task_name INTO title FROM psa.project_tasks pt WHERE pt.tenant = t AND pt.task_id = id;
    ELSIF typ = 'interaction' THEN
        SELECT i.title INTO title FROM psa.interactions i WHERE i.tenant = t AND i.interaction_id = id;
    END IF;
    IF title IS NULL THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('%s: %s %s not found', field, replace(typ, '_', ' '), id));
    END IF;
    RETURN jsonb_build_object('type', typ, 'id', id, 'title', title);
END
$$;
COMMENT ON FUNCTION algawf._sched_work_item(jsonb, text) IS
    'Internal: checks a schedule link {type: ticket|project_task|interaction, id} in the tenant (NOT_FOUND otherwise) and returns it with a title.';

-- Entries of a user overlapping [s, e) that still count (not cancelled or completed).
CREATE FUNCTION algawf._sched_overlaps(user_id uuid, s timestamptz, e timestamptz, except_entry uuid DEFAULT NULL)
    RETURNS TABLE (entry_id uuid, scheduled_start timestamptz, scheduled_end timestamptz)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT se.entry_id, se.scheduled_start, se.scheduled_end
      FROM psa.schedule_entries se
      JOIN psa.schedule_entry_assignees a ON a.tenant = se.tenant AND a.entry_id = se.entry_id
     WHERE se.tenant = (SELECT algawf.current_tenant()) AND a.user_id = $1
       AND se.status NOT IN ('cancelled', 'completed')
       AND se.scheduled_start < $3 AND se.scheduled_end > $2
       AND se.entry_id IS DISTINCT FROM $4
     ORDER BY se.scheduled_start, se.entry_id
$$;
COMMENT ON FUNCTION algawf._sched_overlaps(uuid, timestamptz, timestamptz, uuid) IS
    'Internal: a user''s schedule entries (not cancelled or completed) overlapping a window.';

-- ---------------------------------------------------------------------------
-- scheduling.assign_user

CREATE FUNCTION algawf._act_scheduling_assign_user(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    uid uuid := (input ->> 'user_id')::uuid;
    u psa.users;
    mode text := coalesce(input ->> 'conflict_mode', 'fail');
    need_role text := coalesce(nullif(btrim(input ->> 'required_role'), ''), 'Technician');
    s timestamptz := (input #>> '{window,start}')::timestamptz;
    e timestamptz := (input #>> '{window,end}')::timestamptz;
    item jsonb;
    clash record;
    latest timestamptz;
    shifted boolean := false;
    rounds int := 0;
    overridden uuid[] := '{}';
    id uuid;
BEGIN
    IF e <= s THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'window.end must be after window.start',
                                 format('start %s, end %s', algawf._ops_iso(s), algawf._ops_iso(e)));
    END IF;
    IF e - s > interval '14 days' THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'the window is longer than 14 days');
    END IF;
    u := algawf._ops_user(uid, 'user_id');
    IF NOT EXISTS (SELECT 1 FROM psa.user_roles ur JOIN psa.roles r USING (tenant, role_id)
                    WHERE ur.tenant = t AND ur.user_id = uid AND lower(r.role_name) = lower(need_role)) THEN
        PERFORM algawf._ops_fail('PERMISSION_DENIED',
            format('user %s (%s) does not have the %s role and cannot be scheduled for this work', uid, u.username, need_role),
            NULL, format('Assign a user with the %s role, or give that role to %s.', need_role, u.username));
    END IF;
    item := algawf._sched_work_item(input -> 'link', 'link.id');

    SELECT count(*) AS n, max(o.scheduled_end) AS last_end, array_agg(o.entry_id) AS ids INTO clash
      FROM algawf._sched_overlaps(uid, s, e) o;
    IF clash.n > 0 AND mode = 'fail' THEN
        PERFORM algawf._ops_fail('CONFLICT',
            format('%s is already scheduled in that window (%s entr%s)', u.username, clash.n, CASE WHEN clash.n = 1 THEN 'y' ELSE 'ies' END),
            format('Conflicting entries: %s', array_to_string(clash.ids, ', ')),
            'Use conflict_mode "shift" to move the slot after the conflicts, or "override" to double-book and record the conflict.');
    ELSIF clash.n > 0 AND mode = 'shift' THEN
        -- move the slot to the end of the latest conflict until it fits (at most 20 moves)
        WHILE clash.n > 0 LOOP
            rounds := rounds + 1;
            IF rounds > 20 THEN
                PERFORM algawf._ops_fail('CONFLICT', format('no free slot for %s found after 20 moves', u.username));
            END IF;
            latest := clash.last_end;
            e := latest + (e - s);
            s := latest;
            shifted := true;
            SELECT count(*) AS n, max(o.scheduled_end) AS last_end, array_agg(o.entry_id) AS ids INTO clash
              FROM algawf._sched_overlaps(uid, s, e) o;
        END LOOP;
    END IF;

    INSERT INTO psa.schedule_entries (tenant, title, scheduled_start, scheduled_end, status, notes, work_item_id,
                                      work_item_type, created_by)
    VALUES (t, coalesce(nullif(btrim(input ->> 'title'), ''), item ->> 'title'), s, e, 'scheduled', input ->> 'notes',
            (item ->> 'id')::uuid, item ->> 'type', algawf._ops_actor(ctx))
    RETURNING entry_id INTO id;
    INSERT INTO psa.schedule_entry_assignees (tenant, entry_id, user_id) VALUES (t, id, uid);

    IF clash.n > 0 AND mode = 'override' THEN
        INSERT INTO psa.schedule_conflicts (tenant, entry_id_1, entry_id_2, user_id, conflict_type, resolution)
        SELECT t, id, x, uid, 'overlap',
               jsonb_build_object('action', 'override', 'by', algawf._ops_actor(ctx), 'at', algawf._ops_iso(now()),
                                  'source', ctx ->> 'actionId')
          FROM unnest(clash.ids) x;
        overridden := clash.ids;
    END IF;

    PERFORM algawf._ops_audit(ctx, 'schedule_entries', id::text, jsonb_build_object(
        'entry_id', id, 'user_id', uid, 'start', algawf._ops_iso(s), 'end', algawf._ops_iso(e),
        'link', input -> 'link', 'conflict_mode', mode, 'shifted', shifted, 'overridden', to_jsonb(overridden)));

    RETURN jsonb_build_object(
        'schedule_event_id', id,
        'entry_id', id,
        'assigned_user_id', uid,
        'assigned_user_name', algawf._ops_user_name(u),
        'start', algawf._ops_iso(s),
        'end', algawf._ops_iso(e),
        'shifted', shifted,
        'conflicting_entry_ids', to_jsonb(overridden),
        'work_item', item);
END
$$;
COMMENT ON FUNCTION algawf._act_scheduling_assign_user(jsonb, jsonb) IS
    'Implementation of scheduling.assign_user: a schedule entry for a technician on a ticket or project task, with conflict handling fail | shift | override.';

-- ---------------------------------------------------------------------------
-- scheduling.create_entry

CREATE FUNCTION algawf._act_scheduling_create_entry(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    s timestamptz := (input ->> 'start')::timestamptz;
    e timestamptz := (input ->> 'end')::timestamptz;
    item jsonb;
    users uuid[];
    uid uuid;
    n int := 0;
    id uuid;
    clashes uuid[];
BEGIN
    IF e <= s THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'end must be after start',
                                 format('start %s, end %s', algawf._ops_iso(s), algawf._ops_iso(e)));
    END IF;
    users := ARRAY(SELECT DISTINCT x::uuid FROM jsonb_array_elements_text(input -> 'assigned_user_ids') x);
    FOREACH uid IN ARRAY users LOOP
        PERFORM algawf._ops_user(uid, format('assigned_user_ids (%s)', uid));
    END LOOP;
    IF input ? 'link' THEN
        item := algawf._sched_work_item(input -> 'link', 'link.id');
    END IF;

    SELECT coalesce(array_agg(DISTINCT o.entry_id), '{}') INTO clashes
      FROM unnest(users) x(u), algawf._sched_overlaps(x.u, s, e) o;

    INSERT INTO psa.schedule_entries (tenant, title, scheduled_start, scheduled_end, status, notes, work_item_id,
                                      work_item_type, is_private, created_by)
    VALUES (t, input ->> 'title', s, e, coalesce(input ->> 'status', 'scheduled'), input ->> 'notes',
            (item ->> 'id')::uuid, coalesce(item ->> 'type', 'ad_hoc'), coalesce((input ->> 'is_private')::boolean, false),
            algawf._ops_actor(ctx))
    RETURNING entry_id INTO id;
    INSERT INTO psa.schedule_entry_assignees (tenant, entry_id, user_id) SELECT t, id, x FROM unnest(users) x;

    PERFORM algawf._ops_audit(ctx, 'schedule_entries', id::text, jsonb_build_object(
        'entry_id', id, 'assigned_user_ids', to_jsonb(users), 'start', algawf._ops_iso(s), 'end', algawf._ops_iso(e),
        'link', input -> 'link', 'status', coalesce(input ->> 'status', 'scheduled')));

    RETURN jsonb_build_object(
        'entry_id', id,
        'title', input ->> 'title',
        'start', algawf._ops_iso(s),
        'end', algawf._ops_iso(e),
        'status', coalesce(input ->> 'status', 'scheduled'),
        'assigned_user_ids', to_jsonb(users),
        'work_item_type', coalesce(item ->> 'type', 'ad_hoc'),
        'work_item_id', item ->> 'id',
        'overlapping_entry_ids', to_jsonb(clashes));
END
$$;
COMMENT ON FUNCTION algawf._act_scheduling_create_entry(jsonb, jsonb) IS
    'Implementation of scheduling.create_entry: a schedule entry for one or more users, optionally for a ticket, project task or interaction.';

REVOKE ALL ON FUNCTION algawf._sched_work_item(jsonb, text), algawf._sched_overlaps(uuid, timestamptz, timestamptz, uuid),
    algawf._act_scheduling_assign_user(jsonb, jsonb), algawf._act_scheduling_create_entry(jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf._sched_work_item(jsonb, text), algawf._sched_overlaps(uuid, timestamptz, timestamptz, uuid),
    algawf._act_scheduling_assign_user(jsonb, jsonb), algawf._act_scheduling_create_entry(jsonb, jsonb)
    TO algawf_service, algawf_admin;

DO $reg$
DECLARE
    frag constant jsonb := $frag${
      "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200,
        "description": "Optional key of your own: a second call with the same key returns the first call's result instead of booking again. Without it, the step's own run and path key the call."}
    }$frag$;
BEGIN

PERFORM algawf._ops_register($def${
  "id": "scheduling.assign_user", "version": 1,
  "label": "Assign Technician (Schedule)", "category": "Scheduling",
  "description": "Book a technician on the dispatch board for a ticket or project task in a time window. When the technician is already booked: fail, shift the slot to their next free time, or double-book and record the conflict.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["user_id", "window", "link"], "properties": {
    "user_id": {"type": "string", "format": "uuid", "description": "The technician (must have the required role)", "x-workflow-picker-kind": "user"},
    "window": {"type": "object", "additionalProperties": false, "required": ["start", "end"], "properties": {
      "start": {"type": "string", "format": "date-time"},
      "end": {"type": "string", "format": "date-time", "description": "After start; at most 14 days later"},
      "timezone": {"type": "string", "description": "IANA time zone (informational)"}}},
    "link": {"type": "object", "additionalProperties": false, "required": ["type", "id"], "properties": {
      "type": {"enum": ["ticket", "project_task"]},
      "id": {"type": "string", "format": "uuid", "x-workflow-picker-kind-from": "type"}}},
    "title": {"type": "string", "maxLength": 255, "description": "Default: the ticket number and title, or the task name"},
    "notes": {"type": "string"},
    "conflict_mode": {"enum": ["fail", "shift", "override"], "default": "fail",
                      "description": "fail: CONFLICT error; shift: move after the conflicts; override: book anyway and record schedule_conflicts"},
    "required_role": {"type": "string", "minLength": 1, "default": "Technician", "description": "Role the user must hold"},
    "idempotency_key": "@idempotency_key"}},
  "outputSchema": {"type": "object", "required": ["schedule_event_id", "assigned_user_id", "start", "end", "shifted"], "properties": {
    "schedule_event_id": {"type": "string", "format": "uuid", "description": "The schedule entry"},
    "entry_id": {"type": "string", "format": "uuid"},
    "assigned_user_id": {"type": "string", "format": "uuid"},
    "assigned_user_name": {"type": "string"},
    "start": {"type": "string", "format": "date-time"},
    "end": {"type": "string", "format": "date-time"},
    "shifted": {"type": "boolean", "description": "The slot was moved (conflict_mode shift)"},
    "conflicting_entry_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}, "description": "Entries double-booked (conflict_mode override)"},
    "work_item": {"type": "object"}}},
  "permissions": ["user_schedule:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"title": "Book Tom on the VPN ticket tomorrow morning",
                "input": {"user_id": "0000000a-0001-0000-0000-000000000003",
                          "window": {"start": "2030-03-05T14:00:00Z", "end": "2030-03-05T16:00:00Z", "timezone": "America/New_York"},
                          "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"}, "conflict_mode": "shift"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_scheduling_assign_user"}
}$def$, frag);

PERFORM algawf._ops_register($def${
  "id": "scheduling.create_entry", "version": 1,
  "label": "Create Schedule Entry", "category": "Scheduling",
  "description": "Put an appointment on the dispatch board for one or more users: a time window, optionally for a ticket, project task or activity, with a status and notes.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["title", "start", "end", "assigned_user_ids"], "properties": {
    "title": {"type": "string", "minLength": 1, "maxLength": 255},
    "start": {"type": "string", "format": "date-time"},
    "end": {"type": "string", "format": "date-time", "description": "After start"},
    "assigned_user_ids": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "user"}},
    "link": {"type": "object", "additionalProperties": false, "required": ["type", "id"], "description": "What the entry is for (none: ad hoc)", "properties": {
      "type": {"enum": ["ticket", "project_task", "interaction"]},
      "id": {"type": "string", "format": "uuid", "x-workflow-picker-kind-from": "type"}}},
    "status": {"enum": ["scheduled", "confirmed", "in_progress", "completed", "cancelled"], "default": "scheduled"},
    "notes": {"type": "string"},
    "is_private": {"type": "boolean", "default": false},
    "idempotency_key": "@idempotency_key"}},
  "outputSchema": {"type": "object", "required": ["entry_id", "start", "end", "status", "assigned_user_ids"], "properties": {
    "entry_id": {"type": "string", "format": "uuid"},
    "title": {"type": "string"},
    "start": {"type": "string", "format": "date-time"},
    "end": {"type": "string", "format": "date-time"},
    "status": {"type": "string"},
    "assigned_user_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
    "work_item_type": {"type": "string"},
    "work_item_id": {"type": ["string", "null"], "format": "uuid"},
    "overlapping_entry_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}, "description": "Other entries of the assignees in the same window (informational)"}}},
  "permissions": ["user_schedule:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"title": "On-site visit for two technicians",
                "input": {"title": "Server room inspection", "start": "2030-03-06T13:00:00Z", "end": "2030-03-06T15:00:00Z",
                          "assigned_user_ids": ["0000000a-0001-0000-0000-000000000003", "0000000a-0001-0000-0000-000000000004"],
                          "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000005"}, "status": "confirmed"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_scheduling_create_entry"}
}$def$, frag);

END
$reg$;
