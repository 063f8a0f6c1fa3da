-- The workflow templates gallery: ready-made Alga V2 definitions for common
-- MSP automations.  algawf.templates lists them with whether the current
-- tenant can use them; algawf.instantiate() turns one into a workflow of the
-- tenant (created and published through algawf.create_workflow).

CREATE TABLE algawf.workflow_templates (
    template_id     text NOT NULL,
    name            text NOT NULL,
    description     text NOT NULL,
    category        text NOT NULL,
    definition      jsonb NOT NULL,
    variables       jsonb NOT NULL DEFAULT '[]',
    sample_payload  jsonb,
    shipped         boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (template_id),
    CONSTRAINT workflow_templates_id_format CHECK (template_id ~ '^[a-z][a-z0-9-]*$' AND length(template_id) <= 100),
    CONSTRAINT workflow_templates_definition CHECK (jsonb_typeof(definition) = 'object' AND jsonb_typeof(definition -> 'steps') = 'array'
                                                    AND NOT definition ? 'id'),
    CONSTRAINT workflow_templates_variables CHECK (jsonb_typeof(variables) = 'array')
);
COMMENT ON TABLE algawf.workflow_templates IS
    'Workflow templates (the gallery): global Alga V2 definitions, no tenant column (like the action registry: the same gallery for every tenant); readable by everyone, written by the extension owner. Instantiate one with algawf.instantiate().';
COMMENT ON COLUMN algawf.workflow_templates.template_id IS 'The template''s name for algawf.instantiate(), e.g. email-ticket-triage.';
COMMENT ON COLUMN algawf.workflow_templates.definition IS 'The Alga V2 definition (no id: every instance gets its own; the name is given at instantiation).';
COMMENT ON COLUMN algawf.workflow_templates.variables IS 'Workflow variables the definition reads as env.NAME: [{name, description, required, example}]; set them with algawf.set_variable().';
COMMENT ON COLUMN algawf.workflow_templates.sample_payload IS 'A payload to try a manual run with (sample data ids), or NULL for event-triggered templates.';
COMMENT ON COLUMN algawf.workflow_templates.shipped IS 'Installed by the extension (recreated by CREATE EXTENSION, so not dumped).';

SELECT pg_catalog.pg_extension_config_dump('algawf.workflow_templates', 'WHERE NOT shipped');
ALTER TABLE algawf.workflow_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.workflow_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY gallery_read ON algawf.workflow_templates FOR SELECT USING (true);
GRANT SELECT ON algawf.workflow_templates TO PUBLIC;

-- The action ids a definition calls (action.call steps at any depth).
CREATE FUNCTION algawf._template_actions(definition jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(DISTINCT a #>> '{}' ORDER BY a #>> '{}'), '{}')
      FROM jsonb_path_query(definition, 'strict $.**.actionId') a
     WHERE jsonb_typeof(a) = 'string'
$$;
COMMENT ON FUNCTION algawf._template_actions(jsonb) IS 'Internal: the action ids called by a definition''s action.call steps, at any depth.';

CREATE VIEW algawf.templates WITH (security_invoker = true) AS
    SELECT t.template_id AS template,
           t.name,
           t.description,
           t.category,
           coalesce(t.definition #>> '{trigger,type}', 'manual') AS trigger_type,
           t.definition #>> '{trigger,eventName}' AS trigger_event,
           x.actions AS action_ids,
           ARRAY(SELECT DISTINCT split_part(a, '.', 1) FROM unnest(x.actions) a ORDER BY 1) AS families,
           t.variables,
           t.sample_payload,
           r.reason IS NULL AS available,
           r.reason AS unavailable_reason,
           t.definition
      FROM algawf.workflow_templates t
     CROSS JOIN LATERAL (SELECT algawf._template_actions(t.definition) AS actions) x
     CROSS JOIN LATERAL (
         SELECT CASE
             WHEN algawf.current_tenant() IS NULL THEN 'no tenant is set (SET algawf.tenant)'
             WHEN EXISTS (SELECT 1 FROM unnest(x.actions) a WHERE NOT EXISTS (SELECT 1 FROM algawf.actions r WHERE r.action_id = a))
                 THEN 'actions not installed: ' || (SELECT string_agg(a, ', ' ORDER BY a) FROM unnest(x.actions) a
                                                     WHERE NOT EXISTS (SELECT 1 FROM algawf.actions r WHERE r.action_id = a))
             WHEN EXISTS (SELECT 1 FROM unnest(x.actions) a WHERE NOT algawf.family_enabled(split_part(a, '.', 1)))
                 THEN 'families disabled for this tenant: ' ||
                      (SELECT string_agg(DISTINCT split_part(a, '.', 1), ', ') FROM unnest(x.actions) a
                        WHERE NOT algawf.family_enabled(split_part(a, '.', 1)))
             END AS reason) r;
COMMENT ON VIEW algawf.templates IS
    'The workflow templates gallery: each template with its trigger, the actions and families it uses, the variables it reads, a sample payload, and whether the current tenant can instantiate it (actions installed, families enabled).';
GRANT SELECT ON algawf.templates TO PUBLIC;

CREATE FUNCTION algawf.instantiate(template text, name text, active boolean DEFAULT false) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t algawf.workflow_templates;
    wf uuid;
BEGIN
    SELECT * INTO t FROM algawf.workflow_templates w WHERE w.template_id = instantiate.template;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow template "%" does not exist', template
            USING ERRCODE = 'undefined_object',
                  HINT = 'The templates: ' || coalesce((SELECT string_agg(w.template_id, ', ' ORDER BY w.template_id)
                                                         FROM algawf.workflow_templates w), '(none)')
                         || '. SELECT template, name, available FROM algawf.templates;';
    END IF;
    IF name IS NULL OR btrim(name) = '' THEN
        RAISE EXCEPTION 'a workflow name is required'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'e.g. SELECT algawf.instantiate(''csat-survey'', ''CSAT survey'');';
    END IF;
    IF to_regprocedure('algawf.create_workflow(jsonb,boolean)') IS NULL THEN
        RAISE EXCEPTION 'the workflow engine is not installed'
            USING ERRCODE = 'feature_not_supported';
    END IF;

    -- created and published as version 1 (the engine validates it, and refuses
    -- actions of families switched off for the tenant); paused unless active
    EXECUTE 'SELECT algawf.create_workflow($1, true)' INTO wf
        USING t.definition || jsonb_build_object('name', btrim(name),
                                                 'description', coalesce(t.definition ->> 'description', t.description),
                                                 'templateId', t.template_id);
    IF NOT coalesce(active, false) THEN
        EXECUTE 'SELECT algawf.set_paused($1, true)' USING wf;
    END IF;
    RETURN wf;
END
$$;
COMMENT ON FUNCTION algawf.instantiate(text, text, boolean) IS
    'Creates a workflow of the current tenant from a template of the gallery (algawf.templates) under the given name, published as version 1; it stays paused (no runs, no triggers) until active => true or algawf.set_paused(id, false). Returns the workflow id.';
REVOKE ALL ON FUNCTION algawf.instantiate(text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.instantiate(text, text, boolean) TO algawf_admin;

-- ---------------------------------------------------------------------------
-- The shipped templates

-- (created_at is set to a fixed value at the end: CREATE EXTENSION recreates the shipped
-- rows identically, e.g. when a dump is restored)
INSERT INTO algawf.workflow_templates (template_id, name, category, description, variables, sample_payload, shipped, definition)
VALUES
-- 1 ---------------------------------------------------------------------------
('email-ticket-triage', 'E-mail to ticket triage', 'Service desk',
 'Turns an e-mail from a known contact into a ticket for their client, acknowledges it on the ticket (public comment), assigns it to the triage technician and notifies them; mail from unknown senders is flagged to the dispatchers. Start it from the inbound mail processor (algawf.run or a webhook) with {from: {email, name}, subject, body, message_id}.',
 '[{"name": "triage_assignee_id", "required": false, "description": "User id new tickets are assigned to; without it the Dispatcher role is notified instead.", "example": "0000000a-0001-0000-0000-000000000003"}]',
 '{"from": {"email": "john.smith@globex.example", "name": "John Smith"}, "subject": "Outlook keeps asking for my password", "body": "Since this morning Outlook prompts for my password every few minutes.", "message_id": "<CAB1234@globex.example>"}',
 true,
 $tpl${
  "name": "E-mail to ticket triage",
  "description": "New ticket from an inbound e-mail: find the sender, create the ticket, acknowledge, assign, notify.",
  "steps": [
    {"id": "find-sender", "type": "action.call", "name": "Find the sender",
     "config": {"actionId": "contacts.find", "version": 1,
                "inputMapping": {"email": {"$expr": "payload.from.email"}, "include_inactive": false},
                "saveAs": "sender"}},
    {"id": "known-sender", "type": "control.if", "name": "Sender is a contact of a client?",
     "condition": {"$expr": "$boolean(vars.sender.contact.client_id)"},
     "then": [
       {"id": "create-ticket", "type": "action.call", "name": "Create the ticket",
        "config": {"actionId": "tickets.create", "version": 1,
                   "inputMapping": {"client_id": {"$expr": "vars.sender.contact.client_id"},
                                    "contact_id": {"$expr": "vars.sender.contact.contact_name_id"},
                                    "title": {"$expr": "$substring($trim(coalesce(payload.subject, \"(no subject)\")), 0, 255)"},
                                    "description": {"$expr": "coalesce(payload.body, \"\")"},
                                    "idempotency_key": {"$expr": "$exists(payload.message_id) ? \"email:\" & payload.message_id : system.runId & \":create-ticket\""}},
                   "saveAs": "ticket"}},
       {"id": "acknowledge", "type": "action.call", "name": "Acknowledge (public comment)",
        "config": {"actionId": "tickets.add_comment", "version": 1,
                   "inputMapping": {"idempotency_key": "{{system.runId}}:acknowledge", "ticket_id": {"$expr": "vars.ticket.ticket_id"}, "visibility": "public",
                                    "body": "Hello {{vars.sender.contact.full_name}}, we received your request and opened ticket {{vars.ticket.ticket_number}}. A technician will be in touch shortly."}}},
       {"id": "has-assignee", "type": "control.if", "name": "Triage technician configured?",
        "condition": {"$expr": "$exists(env.triage_assignee_id)"},
        "then": [
          {"id": "assign", "type": "action.call", "name": "Assign the triage technician",
           "config": {"actionId": "tickets.assign", "version": 1,
                      "inputMapping": {"ticket_id": {"$expr": "vars.ticket.ticket_id"},
                                       "assignee": {"type": "user", "id": {"$expr": "env.triage_assignee_id"}},
                                       "reason": "E-mail triage"}}},
          {"id": "notify-assignee", "type": "action.call", "name": "Notify the technician",
           "config": {"actionId": "notifications.send_in_app", "version": 1,
                      "inputMapping": {"recipients": {"user_ids": [{"$expr": "env.triage_assignee_id"}]},
                                       "title": "New ticket {{vars.ticket.ticket_number}} from {{vars.sender.contact.full_name}}",
                                       "body": {"$expr": "$substring(coalesce(payload.subject, \"(no subject)\"), 0, 5000)"},
                                       "link": "/msp/tickets/{{vars.ticket.ticket_id}}",
                                       "dedupe_key": "triage:{{vars.ticket.ticket_id}}"}}}],
        "else": [
          {"id": "notify-dispatch", "type": "action.call", "name": "Notify the dispatchers",
           "config": {"actionId": "notifications.send_in_app", "version": 1,
                      "inputMapping": {"recipients": {"role_names": ["Dispatcher"]},
                                       "title": "Unassigned ticket {{vars.ticket.ticket_number}}",
                                       "body": {"$expr": "$substring(coalesce(payload.subject, \"(no subject)\"), 0, 5000)"},
                                       "link": "/msp/tickets/{{vars.ticket.ticket_id}}",
                                       "dedupe_key": "triage:{{vars.ticket.ticket_id}}"}}}]}],
     "else": [
       {"id": "unknown-sender", "type": "action.call", "name": "Flag the unknown sender",
        "config": {"actionId": "notifications.send_in_app", "version": 1,
                   "inputMapping": {"dedupe_key": "{{system.runId}}:unknown-sender", "recipients": {"role_names": ["Dispatcher"]}, "severity": "warning",
                                    "title": "E-mail from an unknown sender: {{payload.from.email}}",
                                    "body": {"$expr": "$substring(coalesce(payload.subject, \"(no subject)\"), 0, 5000)"}}}},
       {"id": "unknown", "type": "state.set", "config": {"state": "UNKNOWN_SENDER"}}]}
  ]}$tpl$),

-- 2 ---------------------------------------------------------------------------
('sla-breach-escalation', 'SLA breach escalation', 'Service desk',
 'When a ticket breaches its SLA: an internal note on the ticket, its priority raised to the escalation priority, and the managers notified (once per ticket and breach). Start it from your SLA monitor with {ticket_id, breach: "response" | "resolution"}.',
 '[{"name": "sla_escalation_priority_id", "required": false, "description": "Priority breached tickets are raised to (e.g. Critical); without it the priority is left alone.", "example": "0000000a-0007-0000-0000-000000000004"},
   {"name": "sla_manager_role", "required": false, "description": "Role to notify (default Manager).", "example": "Manager"}]',
 '{"ticket_id": "0000000a-0009-0000-0000-000000000001", "breach": "response"}',
 true,
 $tpl${
  "name": "SLA breach escalation",
  "description": "Internal note, raise priority, notify the managers.",
  "steps": [
    {"id": "find-ticket", "type": "action.call", "name": "Find the ticket",
     "config": {"actionId": "tickets.find", "version": 1,
                "inputMapping": {"ticket_id": {"$expr": "payload.ticket_id"}, "on_not_found": "error"},
                "saveAs": "found"}},
    {"id": "still-open", "type": "control.if", "name": "Closed meanwhile?",
     "condition": {"$expr": "vars.found.ticket.is_closed"},
     "then": [{"id": "closed", "type": "state.set", "config": {"state": "ALREADY_CLOSED"}},
              {"id": "stop", "type": "control.return"}]},
    {"id": "internal-note", "type": "action.call", "name": "Internal note",
     "config": {"actionId": "tickets.add_comment", "version": 1,
                "inputMapping": {"idempotency_key": "{{system.runId}}:internal-note", "ticket_id": {"$expr": "payload.ticket_id"}, "visibility": "internal",
                                 "body": "SLA {{coalesce(payload.breach, \"response\")}} target breached. The ticket was escalated and the managers notified."}}},
    {"id": "raise", "type": "control.if", "name": "Escalation priority configured and not set yet?",
     "condition": {"$expr": "$exists(env.sla_escalation_priority_id) and vars.found.ticket.priority_id != env.sla_escalation_priority_id"},
     "then": [
       {"id": "raise-priority", "type": "action.call", "name": "Raise the priority",
        "config": {"actionId": "tickets.update_fields", "version": 1,
                   "inputMapping": {"ticket_id": {"$expr": "payload.ticket_id"},
                                    "patch": {"priority_id": {"$expr": "env.sla_escalation_priority_id"}}},
                   "saveAs": "raised"}}]},
    {"id": "notify-managers", "type": "action.call", "name": "Notify the managers",
     "config": {"actionId": "notifications.send_in_app", "version": 1,
                "inputMapping": {"recipients": {"role_names": [{"$expr": "coalesce(env.sla_manager_role, \"Manager\")"}]},
                                 "severity": "warning",
                                 "title": "SLA breached: {{vars.found.ticket.ticket_number}}",
                                 "body": "{{vars.found.ticket.title}} ({{vars.found.ticket.client_name}}) breached its {{coalesce(payload.breach, \"response\")}} SLA.",
                                 "link": "/msp/tickets/{{payload.ticket_id}}",
                                 "dedupe_key": "sla:{{payload.ticket_id}}:{{coalesce(payload.breach, \"response\")}}"},
                "saveAs": "notified"}},
    {"id": "escalated", "type": "state.set", "config": {"state": "ESCALATED"}}
  ]}$tpl$),

-- 3 ---------------------------------------------------------------------------
('auto-dispatch', 'Auto-scheduling dispatch', 'Dispatch',
 'Dispatches a ticket to a technician: assigns the ticket, books the technician on the schedule (moved to their next free slot when busy), notifies the technician in the PSA and e-mails the requester the appointment. Start it with {ticket_id, technician_id, start, duration_minutes}.',
 '[]',
 '{"ticket_id": "0000000a-0009-0000-0000-000000000003", "technician_id": "0000000a-0001-0000-0000-000000000004", "start": "2030-03-05T14:00:00Z", "duration_minutes": 90}',
 true,
 $tpl${
  "name": "Auto-scheduling dispatch",
  "description": "Assign technician, schedule entry, notify technician and requester.",
  "steps": [
    {"id": "find-ticket", "type": "action.call", "name": "Find the ticket",
     "config": {"actionId": "tickets.find", "version": 1,
                "inputMapping": {"ticket_id": {"$expr": "payload.ticket_id"}, "on_not_found": "error"},
                "saveAs": "found"}},
    {"id": "assign", "type": "action.call", "name": "Assign the technician",
     "config": {"actionId": "tickets.assign", "version": 1,
                "inputMapping": {"ticket_id": {"$expr": "payload.ticket_id"},
                                 "assignee": {"type": "user", "id": {"$expr": "payload.technician_id"}},
                                 "reason": "Dispatched"}}},
    {"id": "book", "type": "action.call", "name": "Book the technician",
     "config": {"actionId": "scheduling.assign_user", "version": 1,
                "inputMapping": {"idempotency_key": "{{system.runId}}:book", "user_id": {"$expr": "payload.technician_id"},
                                 "window": {"start": {"$expr": "payload.start"},
                                            "end": {"$expr": "$fromMillis($toMillis(payload.start) + coalesce(payload.duration_minutes, 60) * 60000)"}},
                                 "link": {"type": "ticket", "id": {"$expr": "payload.ticket_id"}},
                                 "conflict_mode": "shift"},
                "saveAs": "booking"}},
    {"id": "notify-technician", "type": "action.call", "name": "Notify the technician",
     "config": {"actionId": "notifications.send_in_app", "version": 1,
                "inputMapping": {"recipients": {"user_ids": [{"$expr": "payload.technician_id"}]},
                                 "title": "You are booked on {{vars.found.ticket.ticket_number}}",
                                 "body": "{{vars.found.ticket.title}} for {{vars.found.ticket.client_name}}, {{vars.booking.start}} to {{vars.booking.end}}.",
                                 "link": "/msp/tickets/{{payload.ticket_id}}",
                                 "dedupe_key": "dispatch:{{vars.booking.entry_id}}"}}},
    {"id": "has-requester", "type": "control.if", "name": "Ticket has a requester?",
     "condition": {"$expr": "$boolean(vars.found.ticket.contact_name_id)"},
     "then": [
       {"id": "find-requester", "type": "action.call", "name": "Find the requester",
        "config": {"actionId": "contacts.find", "version": 1,
                   "inputMapping": {"contact_id": {"$expr": "vars.found.ticket.contact_name_id"}},
                   "saveAs": "requester"}},
       {"id": "has-email", "type": "control.if", "condition": {"$expr": "$boolean(vars.requester.contact.email)"},
        "then": [
          {"id": "email-requester", "type": "action.call", "name": "E-mail the requester",
           "config": {"actionId": "email.send", "version": 1,
                      "inputMapping": {"to": [{"email": {"$expr": "vars.requester.contact.email"},
                                               "name": {"$expr": "vars.requester.contact.full_name"}}],
                                       "subject": "A technician is scheduled for ticket {{vars.found.ticket.ticket_number}}",
                                       "text": "Hello {{vars.requester.contact.full_name}},\n\n{{vars.booking.assigned_user_name}} will work on \"{{vars.found.ticket.title}}\" from {{vars.booking.start}} to {{vars.booking.end}} (UTC).\n",
                                       "idempotency_key": "dispatch:{{vars.booking.entry_id}}"},
                      "saveAs": "mailed"}}]}]},
    {"id": "done", "type": "state.set", "config": {"state": "DISPATCHED"}}
  ]}$tpl$),

-- 4 ---------------------------------------------------------------------------
('post-resolution-follow-up', 'Post-resolution follow-up', 'Customer care',
 'When a ticket is closed: e-mails the requester that it was resolved, logs a follow-up note on the ticket, and, when the follow_up_minutes variable is set, logs that much (non-billable) follow-up time for the technician who closed it.',
 '[{"name": "follow_up_minutes", "required": false, "description": "Minutes of follow-up time to log for the technician who closed the ticket; no time entry when unset.", "example": 15}]',
 NULL,
 true,
 $tpl${
  "name": "Post-resolution follow-up",
  "description": "E-mail the requester, activity note, optional time entry.",
  "trigger": {"type": "event", "eventName": "TICKET_CLOSED"},
  "steps": [
    {"id": "find-ticket", "type": "action.call", "name": "Find the ticket",
     "config": {"actionId": "tickets.find", "version": 1,
                "inputMapping": {"ticket_id": {"$expr": "payload.ticketId"}, "on_not_found": "error"},
                "saveAs": "found"}},
    {"id": "has-requester", "type": "control.if", "condition": {"$expr": "$boolean(vars.found.ticket.contact_name_id)"},
     "then": [
       {"id": "find-requester", "type": "action.call", "name": "Find the requester",
        "config": {"actionId": "contacts.find", "version": 1,
                   "inputMapping": {"contact_id": {"$expr": "vars.found.ticket.contact_name_id"}},
                   "saveAs": "requester"}},
       {"id": "has-email", "type": "control.if", "condition": {"$expr": "$boolean(vars.requester.contact.email)"},
        "then": [
          {"id": "email-requester", "type": "action.call", "name": "E-mail the requester",
           "config": {"actionId": "email.send", "version": 1,
                      "inputMapping": {"to": [{"email": {"$expr": "vars.requester.contact.email"},
                                               "name": {"$expr": "vars.requester.contact.full_name"}}],
                                       "subject": "Ticket {{vars.found.ticket.ticket_number}} resolved: {{vars.found.ticket.title}}",
                                       "text": "Hello {{vars.requester.contact.full_name}},\n\nwe resolved your ticket \"{{vars.found.ticket.title}}\" ({{vars.found.ticket.ticket_number}}). If anything is still not right, just reply to this e-mail.\n",
                                       "html": "<p>Hello {{vars.requester.contact.full_name}},</p><p>we resolved your ticket <b>{{vars.found.ticket.title}}</b> ({{vars.found.ticket.ticket_number}}). If anything is still not right, just reply to this e-mail.</p>",
                                       "idempotency_key": "resolved:{{payload.ticketId}}:{{payload.closedAt}}"},
                      "saveAs": "mailed"}}]}]},
    {"id": "note", "type": "action.call", "name": "Activity note",
     "config": {"actionId": "crm.create_activity_note", "version": 1,
                "inputMapping": {"idempotency_key": "{{system.runId}}:note", "target": {"type": "ticket", "id": {"$expr": "payload.ticketId"}},
                                 "title": "Resolution follow-up",
                                 "body": {"$expr": "$exists(vars.mailed.message_id) ? \"Resolution e-mail sent to \" & vars.requester.contact.email & \" (\" & vars.mailed.message_id & \").\" : \"Ticket resolved; the requester has no e-mail address, no follow-up e-mail was sent.\""},
                                 "tags": ["follow-up"]},
                "saveAs": "noted"}},
    {"id": "log-time", "type": "control.if", "name": "Follow-up time configured?",
     "condition": {"$expr": "$exists(env.follow_up_minutes) and $boolean(payload.closedByUserId)"},
     "then": [
       {"id": "time-entry", "type": "action.call", "name": "Log follow-up time",
        "config": {"actionId": "time.create_entry", "version": 1,
                   "inputMapping": {"idempotency_key": "{{system.runId}}:time-entry", "user_id": {"$expr": "payload.closedByUserId"},
                                    "start": {"$expr": "coalesce(payload.closedAt, nowIso())"},
                                    "duration_minutes": {"$expr": "env.follow_up_minutes"},
                                    "billable": false,
                                    "link": {"type": "ticket", "id": {"$expr": "payload.ticketId"}},
                                    "notes": "Resolution follow-up"},
                   "saveAs": "time"}}]}
  ]}$tpl$),

-- 5 ---------------------------------------------------------------------------
('csat-survey', 'CSAT survey 24 h after close', 'Customer care',
 'A day after a ticket is closed (csat_delay_ms), e-mails the requester a one-click satisfaction survey, unless the ticket was reopened meanwhile; one survey per ticket (the e-mail''s idempotency key), and a note on the ticket.',
 '[{"name": "csat_url", "required": false, "description": "Base URL of your survey page; the links add ?ticket=<id>&score=1..5.", "example": "https://survey.acme-msp.example/csat"},
   {"name": "csat_delay_ms", "required": false, "description": "Delay after closing, in milliseconds (default 86400000, one day).", "example": 86400000}]',
 NULL,
 true,
 $tpl${
  "name": "CSAT survey 24 h after close",
  "description": "Wait a day after close, then e-mail a satisfaction survey.",
  "trigger": {"type": "event", "eventName": "TICKET_CLOSED"},
  "steps": [
    {"id": "wait-a-day", "type": "time.wait", "name": "Wait 24 hours",
     "config": {"mode": "duration", "durationMs": {"$expr": "coalesce(env.csat_delay_ms, 86400000)"}}},
    {"id": "find-ticket", "type": "action.call", "name": "Find the ticket",
     "config": {"actionId": "tickets.find", "version": 1,
                "inputMapping": {"ticket_id": {"$expr": "payload.ticketId"}, "on_not_found": "error"},
                "saveAs": "found"}},
    {"id": "reopened", "type": "control.if", "name": "Reopened meanwhile?",
     "condition": {"$expr": "$not(vars.found.ticket.is_closed)"},
     "then": [{"id": "skip-reopened", "type": "state.set", "config": {"state": "REOPENED"}},
              {"id": "stop-reopened", "type": "control.return"}]},
    {"id": "has-requester", "type": "control.if", "condition": {"$expr": "$boolean(vars.found.ticket.contact_name_id)"},
     "then": [],
     "else": [{"id": "skip-no-contact", "type": "state.set", "config": {"state": "NO_REQUESTER"}},
              {"id": "stop-no-contact", "type": "control.return"}]},
    {"id": "find-requester", "type": "action.call", "name": "Find the requester",
     "config": {"actionId": "contacts.find", "version": 1,
                "inputMapping": {"contact_id": {"$expr": "vars.found.ticket.contact_name_id"}},
                "saveAs": "requester"}},
    {"id": "has-email", "type": "control.if", "condition": {"$expr": "$boolean(vars.requester.contact.email)"},
     "then": [],
     "else": [{"id": "skip-no-email", "type": "state.set", "config": {"state": "NO_REQUESTER"}},
              {"id": "stop-no-email", "type": "control.return"}]},
    {"id": "links", "type": "transform.assign",
     "config": {"assign": {"vars.survey": {"$expr": "coalesce(env.csat_url, \"https://survey.example/csat\") & \"?ticket=\" & payload.ticketId & \"&score=\""}}}},
    {"id": "email-survey", "type": "action.call", "name": "E-mail the survey",
     "config": {"actionId": "email.send", "version": 1,
                "inputMapping": {"to": [{"email": {"$expr": "vars.requester.contact.email"},
                                         "name": {"$expr": "vars.requester.contact.full_name"}}],
                                 "subject": "How did we do on {{vars.found.ticket.ticket_number}}?",
                                 "text": "Hello {{vars.requester.contact.full_name}},\n\nhow satisfied are you with how we handled \"{{vars.found.ticket.title}}\"? Rate us from 1 (poor) to 5 (excellent):\n1: {{vars.survey}}1\n2: {{vars.survey}}2\n3: {{vars.survey}}3\n4: {{vars.survey}}4\n5: {{vars.survey}}5\n",
                                 "html": "<p>Hello {{vars.requester.contact.full_name}},</p><p>how satisfied are you with how we handled <b>{{vars.found.ticket.title}}</b>?</p><p><a href=\"{{vars.survey}}1\">1</a> <a href=\"{{vars.survey}}2\">2</a> <a href=\"{{vars.survey}}3\">3</a> <a href=\"{{vars.survey}}4\">4</a> <a href=\"{{vars.survey}}5\">5</a></p>",
                                 "idempotency_key": "csat:{{payload.ticketId}}"},
                "saveAs": "mailed"}},
    {"id": "note", "type": "action.call", "name": "Note the survey on the ticket",
     "config": {"actionId": "crm.create_activity_note", "version": 1,
                "inputMapping": {"idempotency_key": "{{system.runId}}:note", "target": {"type": "ticket", "id": {"$expr": "payload.ticketId"}},
                                 "title": "CSAT survey sent",
                                 "body": "Satisfaction survey e-mailed to {{vars.requester.contact.email}} ({{vars.mailed.message_id}}).",
                                 "tags": ["csat"]}}},
    {"id": "sent", "type": "state.set", "config": {"state": "SURVEY_SENT"}}
  ]}$tpl$),

-- 6 ---------------------------------------------------------------------------
('contract-renewal-approval', 'Contract renewal approval', 'Sales',
 'Prepares a renewal quote for a client, sends it to a manager for approval, and on approval sends it to the client and converts it into a draft contract; a rejection is recorded on the quote and the author is told. Start it with {client_id, contact_id, title, items, billing_frequency, start_date}.',
 '[{"name": "renewal_approver_role", "required": false, "description": "Role that approves renewals (default Manager).", "example": "Manager"}]',
 '{"client_id": "0000000a-0003-0000-0000-000000000001", "contact_id": "0000000a-0004-0000-0000-000000000001", "title": "Managed services renewal", "items": [{"service_id": "0000000a-000e-0000-0000-000000000001", "quantity": 12}], "billing_frequency": "annually"}',
 true,
 $tpl${
  "name": "Contract renewal approval",
  "description": "Renewal quote, manager approval, send and convert to a draft contract.",
  "steps": [
    {"id": "quote", "type": "action.call", "name": "Prepare the renewal quote",
     "config": {"actionId": "crm.create_quote", "version": 1,
                "inputMapping": {"idempotency_key": "{{system.runId}}:quote", "client_id": {"$expr": "payload.client_id"},
                                 "contact_id": {"$expr": "payload.contact_id"},
                                 "title": {"$expr": "coalesce(payload.title, \"Contract renewal\")"},
                                 "items": {"$expr": "payload.items"},
                                 "valid_days": 30},
                "saveAs": "quote"}},
    {"id": "submit", "type": "action.call", "name": "Submit for approval",
     "config": {"actionId": "crm.submit_quote_for_approval", "version": 1,
                "inputMapping": {"quote_id": {"$expr": "vars.quote.quote.quote_id"}, "comment": "Contract renewal"}}},
    {"id": "approval", "type": "human.task", "name": "Manager approval",
     "config": {"taskType": "approval",
                "title": "Approve renewal {{vars.quote.quote.quote_number}} for {{vars.quote.quote.client_name}}",
                "description": "{{vars.quote.quote.title}}: {{$string(vars.quote.quote.total_amount / 100)}} {{vars.quote.quote.currency_code}}, valid until {{vars.quote.quote.valid_until}}.",
                "contextData": {"quote_id": {"$expr": "vars.quote.quote.quote_id"},
                                "total_amount": {"$expr": "vars.quote.quote.total_amount"}},
                "assignee": {"type": "role", "id": {"$expr": "coalesce(env.renewal_approver_role, \"Manager\")"}},
                "expiresInMs": 604800000,
                "assign": {"vars.decision": {"$expr": "vars.event.decision"},
                           "vars.decision_comment": {"$expr": "coalesce(vars.event.comment, \"\")"}}}},
    {"id": "decided", "type": "control.if", "name": "Approved?",
     "condition": {"$expr": "vars.decision = \"approved\""},
     "then": [
       {"id": "record-approval", "type": "action.call", "name": "Record the approval",
        "config": {"actionId": "crm.approve_quote", "version": 1,
                   "inputMapping": {"quote_id": {"$expr": "vars.quote.quote.quote_id"}, "decision": "approved",
                                    "comment": {"$expr": "vars.decision_comment"}}}},
       {"id": "send", "type": "action.call", "name": "Send the quote to the client",
        "config": {"actionId": "crm.send_quote", "version": 1,
                   "inputMapping": {"idempotency_key": "{{system.runId}}:send", "quote_id": {"$expr": "vars.quote.quote.quote_id"},
                                    "message": "Thank you for renewing with us. Your renewal quote is below."},
                   "saveAs": "sent"}},
       {"id": "convert", "type": "action.call", "name": "Draft the contract",
        "config": {"actionId": "crm.convert_quote", "version": 1,
                   "inputMapping": {"idempotency_key": "{{system.runId}}:convert", "quote_id": {"$expr": "vars.quote.quote.quote_id"}, "target": "contract",
                                    "billing_frequency": {"$expr": "coalesce(payload.billing_frequency, \"annually\")"},
                                    "start_date": {"$expr": "payload.start_date"}},
                   "saveAs": "contract"}},
       {"id": "approved", "type": "state.set", "config": {"state": "APPROVED"}}],
     "else": [
       {"id": "record-rejection", "type": "action.call", "name": "Record the rejection",
        "config": {"actionId": "crm.approve_quote", "version": 1,
                   "inputMapping": {"quote_id": {"$expr": "vars.quote.quote.quote_id"}, "decision": "rejected",
                                    "comment": {"$expr": "vars.decision_comment"}}}},
       {"id": "tell-author", "type": "action.call", "name": "Tell the author",
        "config": {"actionId": "notifications.send_in_app", "version": 1,
                   "inputMapping": {"dedupe_key": "{{system.runId}}:tell-author", "recipients": {"user_ids": [{"$expr": "system.actorUserId"}]}, "severity": "warning",
                                    "title": "Renewal {{vars.quote.quote.quote_number}} rejected",
                                    "body": {"$expr": "\"The renewal quote was rejected\" & (vars.decision_comment = \"\" ? \".\" : \": \" & vars.decision_comment)"},
                                    "link": "/msp/billing/quotes/{{vars.quote.quote.quote_id}}"}}},
       {"id": "rejected", "type": "state.set", "config": {"state": "REJECTED"}}]}
  ]}$tpl$);
UPDATE algawf.workflow_templates SET created_at = 'epoch' WHERE shipped;
