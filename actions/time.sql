-- Time family: time.create_entry (psa.time_entries, attached to the user's
-- time sheet for the period).

CREATE FUNCTION algawf._act_time_create_entry(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
<<fn>>
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    actor uuid := algawf._ops_actor(ctx);
    user_id uuid := coalesce((input ->> 'user_id')::uuid, actor);
    u psa.users;
    s timestamptz := (input ->> 'start')::timestamptz;
    e timestamptz := (input ->> 'end')::timestamptz;
    minutes int;
    billable_minutes int;
    rounding int := coalesce((input ->> 'rounding_minutes')::int, 1);
    item jsonb;
    service_id uuid := (input ->> 'service_id')::uuid;
    period psa.time_periods;
    sheet psa.time_sheets;
    attach boolean := coalesce((input ->> 'attach_to_timesheet')::boolean, true);
    entry psa.time_entries;
BEGIN
    IF fn.user_id IS DISTINCT FROM actor THEN
        PERFORM algawf._ops_require_permission(ctx, 'timeentry', 'approve', 'log time for another user');
    END IF;
    u := algawf._ops_user(fn.user_id, 'user_id');

    -- start/end or start/duration_minutes (rounded up to rounding_minutes)
    IF e IS NOT NULL AND input ? 'duration_minutes' THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', 'give end or duration_minutes, not both');
    END IF;
    IF e IS NOT NULL THEN
        IF e <= s THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', 'end must be after start',
                                     format('start %s, end %s', algawf._ops_iso(s), algawf._ops_iso(e)));
        END IF;
        minutes := ceil(extract(epoch FROM e - s) / 60)::int;
    ELSE
        minutes := (input ->> 'duration_minutes')::int;
    END IF;
    minutes := ((minutes + rounding - 1) / rounding) * rounding;
    IF minutes > 24 * 60 THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', format('%s minutes is more than a day', minutes), NULL,
                                 'Split work longer than 24 hours into several entries.');
    END IF;
    e := s + make_interval(mins => minutes);
    billable_minutes := CASE WHEN NOT coalesce((input ->> 'billable')::boolean, true) THEN 0
                             ELSE coalesce((input ->> 'billable_minutes')::int, minutes) END;
    IF billable_minutes > minutes THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', format('billable_minutes (%s) exceeds the time worked (%s)', billable_minutes, minutes));
    END IF;

    IF input ? 'link' THEN
        item := algawf._sched_work_item(input -> 'link', 'link.id');
    END IF;
    IF service_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM psa.service_catalog sc
                                              WHERE sc.tenant = t AND sc.service_id = fn.service_id AND sc.is_active) THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('service_id: active service %s not found', service_id));
    END IF;

    -- the time sheet: the one given, or the user's sheet for the period containing the start
    IF input ? 'time_sheet_id' THEN
        SELECT * INTO sheet FROM psa.time_sheets ts WHERE ts.tenant = t AND ts.id = (input ->> 'time_sheet_id')::uuid;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('time_sheet_id: time sheet %s not found', input ->> 'time_sheet_id'));
        END IF;
        SELECT * INTO period FROM psa.time_periods tp WHERE tp.tenant = t AND tp.period_id = sheet.period_id;
        IF sheet.user_id <> fn.user_id THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', 'time_sheet_id: the time sheet belongs to another user');
        END IF;
        IF NOT ((s AT TIME ZONE coalesce(u.timezone, 'UTC'))::date >= period.start_date
                AND (s AT TIME ZONE coalesce(u.timezone, 'UTC'))::date < period.end_date) THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', 'time_sheet_id: the entry is outside the time sheet''s period',
                                     format('period %s to %s', period.start_date, period.end_date));
        END IF;
    ELSIF attach THEN
        SELECT * INTO period FROM psa.time_periods tp
         WHERE tp.tenant = t AND (s AT TIME ZONE coalesce(u.timezone, 'UTC'))::date >= tp.start_date
           AND (s AT TIME ZONE coalesce(u.timezone, 'UTC'))::date < tp.end_date
         ORDER BY tp.start_date DESC LIMIT 1;
        IF FOUND THEN
            INSERT INTO psa.time_sheets (tenant, period_id, user_id)
            VALUES (t, period.period_id, fn.user_id)
            ON CONFLICT ON CONSTRAINT time_sheets_tenant_period_id_user_id_key DO NOTHING;
            SELECT * INTO sheet FROM psa.time_sheets ts
             WHERE ts.tenant = t AND ts.period_id = period.period_id AND ts.user_id = fn.user_id;
        END IF;
    END IF;
    IF sheet.id IS NOT NULL AND sheet.approval_status IN ('SUBMITTED', 'APPROVED') THEN
        PERFORM algawf._ops_fail('CONFLICT',
            format('the time sheet for %s to %s is %s: no more time can be added to it', period.start_date, period.end_date, lower(sheet.approval_status)),
            NULL, 'Ask the approver to request changes on the time sheet, or pass attach_to_timesheet: false.');
    END IF;

    INSERT INTO psa.time_entries (tenant, user_id, work_item_id, work_item_type, service_id, time_sheet_id,
                                  start_time, end_time, billable_duration, notes)
    VALUES (t, fn.user_id, (item ->> 'id')::uuid, coalesce(item ->> 'type', 'ad_hoc'), fn.service_id, sheet.id,
            s, e, billable_minutes, input ->> 'notes')
    RETURNING * INTO entry;

    PERFORM algawf._ops_audit(ctx, 'time_entries', entry.entry_id::text, jsonb_build_object(
        'entry_id', entry.entry_id, 'user_id', fn.user_id, 'minutes', minutes, 'billable_minutes', billable_minutes,
        'link', input -> 'link', 'time_sheet_id', sheet.id));

    RETURN jsonb_build_object(
        'time_entry_id', entry.entry_id,
        'user_id', fn.user_id,
        'start', algawf._ops_iso(entry.start_time),
        'end', algawf._ops_iso(entry.end_time),
        'total_minutes', minutes,
        'billable_minutes', billable_minutes,
        'work_item_type', entry.work_item_type,
        'work_item_id', entry.work_item_id,
        'service_id', entry.service_id,
        'time_sheet_id', sheet.id,
        'time_period_id', period.period_id,
        'approval_status', entry.approval_status);
END
$$;
COMMENT ON FUNCTION algawf._act_time_create_entry(jsonb, jsonb) IS
    'Implementation of time.create_entry: a time entry (start/end or start/duration), billable or not, linked to a ticket, task or activity, attached to the user''s time sheet for the period.';
REVOKE ALL ON FUNCTION algawf._act_time_create_entry(jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf._act_time_create_entry(jsonb, jsonb) TO algawf_service, algawf_admin;

SELECT algawf._ops_register($def${
  "id": "time.create_entry", "version": 1,
  "label": "Create Time Entry", "category": "Time",
  "description": "Log time worked by a technician (start and end, or start and a duration), billable or not, against a ticket, project task or activity, and put it on their time sheet for the period.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["start"],
    "oneOf": [{"required": ["end"]}, {"required": ["duration_minutes"]}],
    "description": "Give end or duration_minutes.",
    "properties": {
      "user_id": {"type": "string", "format": "uuid", "description": "Whose time (default: the workflow's actor; someone else's needs timeentry:approve)", "x-workflow-picker-kind": "user"},
      "start": {"type": "string", "format": "date-time"},
      "end": {"type": "string", "format": "date-time", "description": "After start"},
      "duration_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
      "rounding_minutes": {"type": "integer", "minimum": 1, "maximum": 60, "default": 1, "description": "Round the duration up to a multiple of this (e.g. 6 or 15)"},
      "billable": {"type": "boolean", "default": true},
      "billable_minutes": {"type": "integer", "minimum": 0, "description": "Default: all the time worked when billable"},
      "link": {"type": "object", "additionalProperties": false, "required": ["type", "id"], "description": "What the time was spent on (none: ad hoc)", "properties": {
        "type": {"enum": ["ticket", "project_task", "interaction"]},
        "id": {"type": "string", "format": "uuid", "x-workflow-picker-kind-from": "type"}}},
      "service_id": {"type": "string", "format": "uuid", "description": "Service the time is billed as", "x-workflow-picker-kind": "service"},
      "notes": {"type": "string", "maxLength": 10000},
      "attach_to_timesheet": {"type": "boolean", "default": true, "description": "Put it on the user's time sheet for the period containing start (created when missing)"},
      "time_sheet_id": {"type": "string", "format": "uuid", "description": "A specific time sheet of the user", "x-workflow-picker-kind": "time-sheet"},
      "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200,
        "description": "Optional key of your own: a second call with the same key returns the first entry instead of logging the time twice. Without it, the step's own run and path key the call."}}},
  "outputSchema": {"type": "object", "required": ["time_entry_id", "user_id", "start", "end", "total_minutes", "billable_minutes"], "properties": {
    "time_entry_id": {"type": "string", "format": "uuid"},
    "user_id": {"type": "string", "format": "uuid"},
    "start": {"type": "string", "format": "date-time"},
    "end": {"type": "string", "format": "date-time"},
    "total_minutes": {"type": "integer"},
    "billable_minutes": {"type": "integer"},
    "work_item_type": {"type": "string"},
    "work_item_id": {"type": ["string", "null"], "format": "uuid"},
    "service_id": {"type": ["string", "null"], "format": "uuid"},
    "time_sheet_id": {"type": ["string", "null"], "format": "uuid", "description": "null when no time period covers the date (or attach_to_timesheet is false)"},
    "time_period_id": {"type": ["string", "null"], "format": "uuid"},
    "approval_status": {"type": "string"}}},
  "permissions": ["timeentry:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"title": "Half an hour of remote support on a ticket",
                "input": {"start": "2024-03-02T10:00:00Z", "duration_minutes": 30, "billable": true,
                          "link": {"type": "ticket", "id": "0000000a-0009-0000-0000-000000000002"},
                          "service_id": "0000000a-000e-0000-0000-000000000001", "notes": "Reconfigured IKE lifetimes"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_time_create_entry"}
}$def$);
