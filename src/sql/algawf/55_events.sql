-- Events: algawf.emit(), the row triggers that emit Alga's events
-- (algawf.emit_trigger, attached with algawf.attach_events), the subscription
-- cache's invalidation, the event catalog's payload schemas, webhooks.
-- See doc/events.md and the comments in src/events.c, src/subscriptions.c,
-- src/events_trigger.c and src/webhooks.c.

-- ---------------------------------------------------------------------------
-- Tables

CREATE TABLE algawf.event_trigger_failures (
    tenant          uuid NOT NULL,
    failure_id      uuid NOT NULL DEFAULT gen_random_uuid(),
    event_id        uuid NOT NULL,
    event_name      text NOT NULL,
    workflow_id     uuid NOT NULL,
    error           jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant, failure_id)
);
CREATE INDEX event_trigger_failures_workflow_idx ON algawf.event_trigger_failures (tenant, workflow_id, created_at DESC);
COMMENT ON TABLE algawf.event_trigger_failures IS
    'Events that could not start a workflow they trigger (payload invalid for the workflow''s payload schema, payloadMapping error). The event itself was recorded and the change that emitted it stands.';
COMMENT ON COLUMN algawf.event_trigger_failures.event_id IS 'The event (algawf.workflow_runtime_events.event_id).';
COMMENT ON COLUMN algawf.event_trigger_failures.error IS '{code (SQLSTATE), message, detail?, hint?}';

CREATE TABLE algawf.webhooks (
    tenant              uuid NOT NULL,
    webhook_id          uuid NOT NULL,
    workflow_id         uuid NOT NULL,
    token_hash          bytea NOT NULL CHECK (length(token_hash) = 32),
    token_hint          text NOT NULL,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    revoked_at          timestamptz,
    last_delivery_at    timestamptz,
    PRIMARY KEY (tenant, webhook_id),
    FOREIGN KEY (tenant, workflow_id) REFERENCES algawf.workflow_definitions (tenant, workflow_id) ON DELETE CASCADE
);
CREATE INDEX webhooks_workflow_idx ON algawf.webhooks (tenant, workflow_id);
COMMENT ON TABLE algawf.webhooks IS
    'Webhook tokens of workflows (algawf.create_webhook): only the SHA-256 of each token''s secret is stored.';
COMMENT ON COLUMN algawf.webhooks.token_hash IS 'SHA-256 of the token''s secret part; the token itself is shown once and never stored.';
COMMENT ON COLUMN algawf.webhooks.token_hint IS 'The last four characters of the token, to tell tokens apart.';
COMMENT ON COLUMN algawf.webhooks.revoked_at IS 'Set by algawf.revoke_webhook(); a revoked token is refused.';
COMMENT ON COLUMN algawf.webhooks.last_delivery_at IS 'Last accepted delivery (updated at most once a minute).';

SELECT algawf.enable_tenant_isolation('algawf.event_trigger_failures');
SELECT algawf.enable_tenant_isolation('algawf.webhooks');
SELECT pg_catalog.pg_extension_config_dump('algawf.webhooks', '');

GRANT SELECT ON algawf.event_trigger_failures TO algawf_admin, algawf_operator;
GRANT SELECT, INSERT, UPDATE, DELETE ON algawf.event_trigger_failures, algawf.webhooks TO algawf_service;
GRANT SELECT (tenant, webhook_id, workflow_id, token_hint, created_by, created_at, revoked_at, last_delivery_at)
    ON algawf.webhooks TO algawf_admin, algawf_operator;

-- ---------------------------------------------------------------------------
-- Emitting

CREATE FUNCTION algawf.emit(event_type text, payload jsonb, correlation_key text DEFAULT NULL,
                            event_id text DEFAULT NULL)
    RETURNS uuid
    AS 'MODULE_PATHNAME', 'algawf_emit'
    LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION algawf.emit(text, jsonb, text, text) IS
    'Emits an event for the current tenant in the caller''s transaction: records it (a repeated event_id does nothing and returns the same id), resumes the runs waiting for it (event.wait: event name, correlation key, filters) and starts runs of the published, unpaused workflows whose trigger.eventName is event_type (payloadMapping applied, payload validated). Returns the event''s id. A payload that does not match the event type''s catalog schema is refused.';

CREATE FUNCTION algawf.event_uuid(event_id text) RETURNS uuid
    AS 'MODULE_PATHNAME', 'algawf_event_uuid_sql'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION algawf.event_uuid(text) IS
    'The id algawf.emit() records for an event_id: the UUID itself when it is one, else a name-based (MD5) UUID of the text.';

REVOKE ALL ON FUNCTION algawf.emit(text, jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.emit(text, jsonb, text, text) TO algawf_admin, algawf_operator, algawf_service;

-- ---------------------------------------------------------------------------
-- Row triggers

CREATE FUNCTION algawf.emit_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'algawf_emit_trigger'
    LANGUAGE C;
COMMENT ON FUNCTION algawf.emit_trigger() IS
    'AFTER ROW trigger emitting Alga''s events from row changes; arguments (family, tenant_column [, created, updated, deleted event names for the generic family]). Attach it with algawf.attach_events().';
-- Whoever may attach it may emit events for any tenant a row names:
-- only the owner (and roles the owner grants it to).
REVOKE ALL ON FUNCTION algawf.emit_trigger() FROM PUBLIC;

CREATE FUNCTION algawf._event_family_check(tbl regclass, family text, tenant_column name) RETURNS text
    AS 'MODULE_PATHNAME', 'algawf_event_family_check'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION algawf._event_family_check(regclass, text, name) IS
    'The event family of a table (inferred from its name when family is NULL), after checking it has the tenant column (uuid) and the family''s key columns (internal).';
REVOKE ALL ON FUNCTION algawf._event_family_check(regclass, text, name) FROM PUBLIC;

CREATE FUNCTION algawf._event_trigger_member(trigger_oid oid) RETURNS boolean
    AS 'MODULE_PATHNAME', 'algawf_event_trigger_member'
    LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION algawf._event_trigger_member(oid) IS
    'During CREATE EXTENSION algawf, makes a trigger a member of the extension (so DROP EXTENSION removes it); otherwise does nothing (internal).';
REVOKE ALL ON FUNCTION algawf._event_trigger_member(oid) FROM PUBLIC;

CREATE FUNCTION algawf._register_generic_events(prefix text, tbl regclass) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO algawf.event_catalog AS c (tenant, event_type, label, description, category, source)
    SELECT '00000000-0000-0000-0000-000000000000', $1 || e.suffix,
           initcap(replace(lower($1), '_', ' ')) || ' ' || e.verb,
           format('A row of %s was %s (algawf.attach_events).', $2, e.verb), 'Custom', 'user'
      FROM (VALUES ('_CREATED', 'created'), ('_UPDATED', 'updated'), ('_DELETED', 'deleted')) e(suffix, verb)
    ON CONFLICT ON CONSTRAINT event_catalog_pkey DO NOTHING
$$;
COMMENT ON FUNCTION algawf._register_generic_events(text, regclass) IS
    'Adds <prefix>_CREATED/_UPDATED/_DELETED to the event catalog for every tenant (internal, used by attach_events).';
REVOKE ALL ON FUNCTION algawf._register_generic_events(text, regclass) FROM PUBLIC;

CREATE FUNCTION algawf.attach_events(tbl regclass, family text DEFAULT NULL, event_prefix text DEFAULT NULL,
                                     tenant_column name DEFAULT 'tenant')
    RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fam     text := algawf._event_family_check(tbl, family, tenant_column);
    prefix  text;
    ops     text;
    args    text;
    tgoid   oid;
BEGIN
    IF fam = 'generic' THEN
        prefix := upper(coalesce(event_prefix, (SELECT c.relname FROM pg_class c WHERE c.oid = tbl)));
        IF prefix !~ '^[A-Z][A-Z0-9_]*$' THEN
            RAISE EXCEPTION 'event prefix "%" is not usable', prefix
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Give event_prefix => ''ORDER'' (letters, digits and underscores) to emit ORDER_CREATED, ORDER_UPDATED, ORDER_DELETED.';
        END IF;
        ops := 'INSERT OR UPDATE OR DELETE';
        args := format('%L, %L, %L, %L, %L', fam, tenant_column,
                       prefix || '_CREATED', prefix || '_UPDATED', prefix || '_DELETED');
    ELSE
        IF event_prefix IS NOT NULL THEN
            RAISE EXCEPTION 'event_prefix applies only to the generic family; the % family emits Alga''s events', fam
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        ops := CASE WHEN fam IN ('ticket', 'client', 'contact') THEN 'INSERT OR UPDATE' ELSE 'INSERT' END;
        args := format('%L, %L', fam, tenant_column);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = tbl AND t.tgname = 'algawf_events') THEN
        EXECUTE format('DROP TRIGGER algawf_events ON %s', tbl);
    END IF;
    EXECUTE format('CREATE TRIGGER algawf_events AFTER %s ON %s FOR EACH ROW EXECUTE FUNCTION algawf.emit_trigger(%s)',
                   ops, tbl, args);
    SELECT t.oid INTO tgoid FROM pg_trigger t WHERE t.tgrelid = tbl AND t.tgname = 'algawf_events';
    PERFORM algawf._event_trigger_member(tgoid);
    IF fam = 'generic' THEN
        PERFORM algawf._register_generic_events(prefix, tbl);
    END IF;
    RETURN fam;
END
$$;
COMMENT ON FUNCTION algawf.attach_events(regclass, text, text, name) IS
    'Attaches the event trigger (algawf_events, AFTER ROW, C) to a table and returns its family: ticket, ticket_comment, client, contact, interaction, appointment, project_task, time_entry (tables with Alga''s columns, e.g. an existing Alga PSA schema; inferred from the table name) or generic (any table with a uuid tenant column: <PREFIX>_CREATED/_UPDATED/_DELETED with the row). Replaces an existing algawf_events trigger.';
REVOKE ALL ON FUNCTION algawf.attach_events(regclass, text, text, name) FROM PUBLIC;

CREATE FUNCTION algawf.detach_events(tbl regclass) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = tbl AND t.tgname = 'algawf_events') THEN
        RETURN false;
    END IF;
    EXECUTE format('DROP TRIGGER algawf_events ON %s', tbl);
    RETURN true;
END
$$;
COMMENT ON FUNCTION algawf.detach_events(regclass) IS
    'Removes the event trigger from a table; returns whether there was one.';
REVOKE ALL ON FUNCTION algawf.detach_events(regclass) FROM PUBLIC;

CREATE VIEW algawf.event_attachments AS
SELECT t.tgrelid::regclass AS table_name,
       a.args[1] AS family,
       a.args[2] AS tenant_column,
       CASE WHEN a.args[1] = 'generic' THEN a.args[3:5] END AS event_names,
       t.tgenabled <> 'D' AS enabled
  FROM pg_catalog.pg_trigger t
  CROSS JOIN LATERAL (SELECT pg_catalog.array_remove(pg_catalog.string_to_array(
                          pg_catalog.encode(t.tgargs, 'escape'), '\000'), '') AS args) a
 WHERE t.tgfoid = 'algawf.emit_trigger()'::regprocedure;
COMMENT ON VIEW algawf.event_attachments IS
    'Tables with the event trigger: family, tenant column, the generic family''s event names, and whether the trigger is enabled.';
GRANT SELECT ON algawf.event_attachments TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Subscription cache (src/subscriptions.c)

CREATE FUNCTION algawf._event_subscriptions_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'algawf_subscriptions_changed'
    LANGUAGE C;
COMMENT ON FUNCTION algawf._event_subscriptions_changed() IS
    'Statement trigger: invalidates every backend''s event subscription cache (at commit; this backend at its next command).';
REVOKE ALL ON FUNCTION algawf._event_subscriptions_changed() FROM PUBLIC;

CREATE TRIGGER algawf_event_subscriptions
    AFTER INSERT OR DELETE OR TRUNCATE ON algawf.workflow_definitions
    FOR EACH STATEMENT EXECUTE FUNCTION algawf._event_subscriptions_changed();
CREATE TRIGGER algawf_event_subscriptions_update
    AFTER UPDATE OF status, is_paused, trigger, published_version ON algawf.workflow_definitions
    FOR EACH STATEMENT EXECUTE FUNCTION algawf._event_subscriptions_changed();
CREATE TRIGGER algawf_event_subscriptions
    AFTER INSERT OR DELETE OR TRUNCATE ON algawf.workflow_steps
    FOR EACH STATEMENT EXECUTE FUNCTION algawf._event_subscriptions_changed();

CREATE FUNCTION algawf.event_subscriptions()
    RETURNS TABLE (event_type text, triggers boolean, waits boolean)
    AS 'MODULE_PATHNAME', 'algawf_event_subscriptions'
    LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION algawf.event_subscriptions() IS
    'The event types the current tenant listens to, from this backend''s cache: triggers = a published, unpaused workflow is triggered by it; waits = a published version has an event.wait step for it. Row triggers for other event types do almost nothing.';
REVOKE ALL ON FUNCTION algawf.event_subscriptions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.event_subscriptions() TO algawf_admin, algawf_operator, algawf_service;

CREATE FUNCTION algawf.event_cache_stats(OUT generation bigint, OUT tenants int, OUT loads bigint,
                                         OUT hits bigint, OUT invalidations bigint)
    AS 'MODULE_PATHNAME', 'algawf_event_cache_stats'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION algawf.event_cache_stats() IS
    'This backend''s event subscription cache: generation (bumped by each invalidation), tenants cached, loads (queries run), hits (answers from the cache), invalidations received.';

-- ---------------------------------------------------------------------------
-- The event catalog: Alga's events with their payload schemas (nil tenant = built in)

DO $$
DECLARE
    nil  constant uuid := '00000000-0000-0000-0000-000000000000';
    uid  constant jsonb := '{"type": "string", "format": "uuid"}';
    ts   constant jsonb := '{"type": "string", "format": "date-time"}';
    str  constant jsonb := '{"type": "string"}';
    nes  constant jsonb := '{"type": "string", "minLength": 1}';
    asg  constant jsonb := '{"type": "string", "enum": ["user", "team"]}';
    chg  constant jsonb := '{"type": "object", "additionalProperties": {"type": "object", "properties": {"previous": true, "new": true}}}';
    flds constant jsonb := '{"type": "array", "items": {"type": "string"}}';
    base constant jsonb := jsonb_build_object(
        'tenantId', '{"type": "string", "minLength": 1}'::jsonb, 'occurredAt', ts, 'actorUserId', uid,
        'actorContactId', uid, 'actorType', '{"type": "string", "enum": ["USER", "CONTACT", "SYSTEM"]}'::jsonb);
    e    record;
BEGIN
    FOR e IN
        SELECT * FROM (VALUES
        ('TICKET_CREATED', 'payload.TicketCreated.v1', 'Ticket created', 'Tickets',
         'A ticket was created (INSERT into tickets).',
         jsonb_build_object('ticketId', uid, 'ticketNumber', str, 'title', str, 'createdByUserId', uid,
             'createdAt', ts, 'clientId', uid, 'contactId', uid, 'boardId', uid, 'statusId', uid,
             'priorityId', uid, 'categoryId', uid, 'subcategoryId', uid, 'assignedToUserId', uid,
             'assignedTeamId', uid, 'dueDate', ts, 'description', str, 'updatedFields', flds, 'changes', chg),
         ARRAY['ticketId']),
        ('TICKET_UPDATED', 'payload.TicketUpdated.v1', 'Ticket updated', 'Tickets',
         'Any column of a ticket changed (updated_at/updated_by alone do not count); changes has each field''s previous and new value.',
         jsonb_build_object('ticketId', uid, 'ticketNumber', str, 'title', str, 'updatedByUserId', uid,
             'updatedFields', flds, 'changes', chg),
         ARRAY['ticketId']),
        ('TICKET_STATUS_CHANGED', 'payload.TicketStatusChanged.v1', 'Ticket status changed', 'Tickets',
         'A ticket''s status_id changed from one status to another.',
         jsonb_build_object('ticketId', uid, 'ticketNumber', str, 'title', str, 'previousStatusId', nes,
             'newStatusId', nes, 'reason', str, 'changedAt', ts),
         ARRAY['ticketId', 'previousStatusId', 'newStatusId']),
        ('TICKET_PRIORITY_CHANGED', 'payload.TicketPriorityChanged.v1', 'Ticket priority changed', 'Tickets',
         'A ticket''s priority_id changed from one priority to another.',
         jsonb_build_object('ticketId', uid, 'ticketNumber', str, 'title', str, 'previousPriorityId', nes,
             'newPriorityId', nes, 'reason', str, 'changedAt', ts),
         ARRAY['ticketId', 'previousPriorityId', 'newPriorityId']),
        ('TICKET_ASSIGNED', 'payload.TicketAssigned.v1', 'Ticket assigned', 'Tickets',
         'A ticket got a (new) assignee: created with assigned_to, or assigned_to changed to a user.',
         jsonb_build_object('ticketId', uid, 'ticketNumber', str, 'title', str, 'assignedToUserId', uid,
             'assignedByUserId', uid, 'previousAssigneeId', uid, 'previousAssigneeType', asg,
             'newAssigneeId', uid, 'newAssigneeType', asg, 'assignedAt', ts, 'updatedFields', flds,
             'changes', chg),
         ARRAY['ticketId']),
        ('TICKET_UNASSIGNED', 'payload.TicketUnassigned.v1', 'Ticket unassigned', 'Tickets',
         'A ticket''s assigned_to was cleared.',
         jsonb_build_object('ticketId', uid, 'ticketNumber', str, 'title', str, 'previousAssigneeId', uid,
             'previousAssigneeType', asg, 'newAssigneeId', uid, 'newAssigneeType', asg,
             'unassignedAt', ts, 'reason', str),
         ARRAY['ticketId', 'previousAssigneeId', 'previousAssigneeType']),
        ('TICKET_CLOSED', 'payload.TicketClosed.v1', 'Ticket closed', 'Tickets',
         'A ticket was closed (is_closed became true, i.e. it moved to a closed status).',
         jsonb_build_object('ticketId', uid, 'ticketNumber', str, 'title', str, 'closedByUserId', uid,
             'closedAt', ts, 'reason', str, 'updatedFields', flds, 'changes', chg),
         ARRAY['ticketId']),
        ('TICKET_REOPENED', 'payload.TicketReopened.v1', 'Ticket reopened', 'Tickets',
         'A closed ticket was reopened (is_closed became false).',
         jsonb_build_object('ticketId', uid, 'ticketNumber', str, 'title', str, 'previousStatusId', nes,
             'newStatusId', nes, 'reopenedAt', ts, 'reason', str),
         ARRAY['ticketId', 'previousStatusId', 'newStatusId']),
        ('TICKET_COMMENT_ADDED', 'payload.TicketCommentAdded.v1', 'Ticket comment added', 'Tickets',
         'A comment was added to a ticket (INSERT into comments).',
         jsonb_build_object('ticketId', uid, 'commentId', uid,
             'visibility', '{"type": "string", "enum": ["public", "internal"]}'::jsonb, 'authorId', uid,
             'authorType', '{"type": "string", "enum": ["user", "contact"]}'::jsonb,
             'isResolution', '{"type": "boolean"}'::jsonb, 'createdAt', ts),
         ARRAY['ticketId']),
        ('CLIENT_CREATED', 'payload.ClientCreated.v1', 'Client created', 'Clients',
         'A client was created (INSERT into clients).',
         jsonb_build_object('clientId', uid, 'clientName', nes, 'clientType', str, 'createdByUserId', uid,
             'createdAt', ts, 'status', str),
         ARRAY['clientId', 'clientName']),
        ('CLIENT_UPDATED', 'payload.ClientUpdated.v1', 'Client updated', 'Clients',
         'Any column of a client changed; changes has each field''s previous and new value.',
         jsonb_build_object('clientId', uid, 'clientName', str, 'updatedByUserId', uid, 'updatedAt', ts,
             'updatedFields', flds, 'changes', chg),
         ARRAY['clientId']),
        ('CONTACT_CREATED', 'payload.ContactCreated.v1', 'Contact created', 'Contacts',
         'A contact was created (INSERT into contacts).',
         jsonb_build_object('contactId', uid, 'clientId', uid, 'fullName', nes,
             'email', '{"type": "string", "format": "email"}'::jsonb, 'defaultPhoneNumber', str, 'role', str,
             'createdByUserId', uid, 'createdAt', ts),
         ARRAY['contactId', 'fullName']),
        ('CONTACT_UPDATED', 'payload.ContactUpdated.v1', 'Contact updated', 'Contacts',
         'Any column of a contact changed; changes has each field''s previous and new value.',
         jsonb_build_object('contactId', uid, 'clientId', uid, 'updatedByUserId', uid, 'updatedAt', ts,
             'updatedFields', flds, 'changes', chg),
         ARRAY['contactId']),
        ('CONTACT_ARCHIVED', 'payload.ContactArchived.v1', 'Contact archived', 'Contacts',
         'A contact was made inactive (is_inactive became true).',
         jsonb_build_object('contactId', uid, 'clientId', uid, 'archivedByUserId', uid, 'archivedAt', ts,
             'reason', str),
         ARRAY['contactId']),
        ('INTERACTION_LOGGED', 'payload.InteractionLogged.v1', 'Interaction logged', 'CRM',
         'A call, e-mail, meeting or note was logged (INSERT into interactions).',
         jsonb_build_object('interactionId', uid, 'clientId', uid, 'contactId', uid, 'ticketId', uid,
             'interactionType', nes, 'channel', nes, 'interactionOccurredAt', ts, 'loggedByUserId', uid,
             'subject', str, 'outcome', str, 'durationMinutes', '{"type": "integer"}'::jsonb),
         ARRAY['interactionId', 'clientId', 'interactionType', 'channel']),
        ('APPOINTMENT_CREATED', 'payload.AppointmentCreated.v1', 'Appointment created', 'Scheduling',
         'Work was scheduled (INSERT into schedule_entries).',
         jsonb_build_object('appointmentId', uid, 'ticketId', uid, 'startAt', ts, 'endAt', ts, 'timezone', nes,
             'assigneeId', uid, 'assigneeType', asg, 'createdByUserId', uid, 'createdAt', ts,
             'location', str, 'title', str, 'status', str, 'workItemType', str, 'workItemId', uid),
         ARRAY['appointmentId', 'startAt', 'endAt', 'timezone']),
        ('PROJECT_TASK_CREATED', 'payload.ProjectTaskCreated.v1', 'Project task created', 'Projects',
         'A task was added to a project phase (INSERT into project_tasks).',
         jsonb_build_object('taskId', uid, 'projectId', uid, 'phaseId', uid, 'title', nes, 'dueDate', str,
             'status', nes, 'statusId', uid, 'assignedToUserId', uid, 'createdByUserId', uid, 'createdAt', ts),
         ARRAY['taskId', 'projectId', 'title', 'status']),
        ('TICKET_TIME_ENTRY_ADDED', 'payload.TicketTimeEntryAdded.v1', 'Time entry added to ticket', 'Time',
         'Time was logged against a ticket (INSERT into time_entries with work_item_type ticket).',
         jsonb_build_object('ticketId', uid, 'timeEntryId', uid,
             'minutes', '{"type": "integer", "minimum": 1}'::jsonb, 'billable', '{"type": "boolean"}'::jsonb,
             'billableMinutes', '{"type": "integer", "minimum": 0}'::jsonb, 'userId', uid, 'serviceId', uid,
             'createdAt', ts),
         ARRAY['ticketId', 'timeEntryId', 'minutes', 'billable'])
        ) AS v(event_type, ref, label, category, description, props, req)
    LOOP
        -- built-in rows carry a fixed timestamp: CREATE EXTENSION recreates
        -- them identically (e.g. when a dump is restored)
        INSERT INTO algawf.payload_schemas AS s (tenant, ref, schema, description, source, created_at, updated_at)
        VALUES (nil, e.ref,
                jsonb_build_object('$schema', 'https://json-schema.org/draft/2020-12/schema',
                                   'title', e.event_type, 'description', 'Payload of ' || e.event_type,
                                   'type', 'object', 'properties', base || e.props,
                                   'required', to_jsonb(ARRAY['tenantId', 'occurredAt'] || e.req)),
                'Payload of ' || e.event_type || ' (Alga PSA)', 'system', 'epoch', 'epoch')
        ON CONFLICT ON CONSTRAINT payload_schemas_pkey DO UPDATE
            SET schema = EXCLUDED.schema, description = EXCLUDED.description, source = 'system',
                created_at = 'epoch', updated_at = 'epoch';
        INSERT INTO algawf.event_catalog AS c (tenant, event_type, label, description, category, payload_schema_ref,
                                               source, created_at)
        VALUES (nil, e.event_type, e.label, e.description, e.category, e.ref, 'system', 'epoch')
        ON CONFLICT ON CONSTRAINT event_catalog_pkey DO UPDATE
            SET label = EXCLUDED.label, description = EXCLUDED.description, category = EXCLUDED.category,
                payload_schema_ref = EXCLUDED.payload_schema_ref, source = 'system', created_at = 'epoch';
    END LOOP;
END
$$;

CREATE FUNCTION algawf._event_types()
    RETURNS TABLE (event_type text, label text, description text, category text, payload_schema_ref text,
                   payload_schema jsonb, built_in boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT DISTINCT ON (c.event_type)
           c.event_type, c.label, c.description, c.category, c.payload_schema_ref,
           (SELECT s.schema FROM algawf.payload_schemas s
             WHERE s.ref = c.payload_schema_ref
               AND s.tenant IN (c.tenant, '00000000-0000-0000-0000-000000000000', algawf.current_tenant())
             ORDER BY s.tenant = '00000000-0000-0000-0000-000000000000' LIMIT 1),
           c.source = 'system'
      FROM algawf.event_catalog c
     WHERE c.tenant = '00000000-0000-0000-0000-000000000000'
        OR c.tenant = algawf.current_tenant()
     ORDER BY c.event_type, c.tenant = '00000000-0000-0000-0000-000000000000'
$$;
COMMENT ON FUNCTION algawf._event_types() IS
    'The event catalog as the current tenant sees it: entries for every tenant and the tenant''s own (internal; use the view algawf.event_types).';

CREATE VIEW algawf.event_types AS SELECT * FROM algawf._event_types();
COMMENT ON VIEW algawf.event_types IS
    'Event types workflows can be triggered by or wait for, each with its payload schema: Alga''s events (built_in), those of tables attached with the generic family, and the current tenant''s own (algawf.register_event_type).';
GRANT SELECT ON algawf.event_types TO PUBLIC;

CREATE FUNCTION algawf.register_event_type(event_type text, payload_schema_ref text DEFAULT NULL,
                                           label text DEFAULT NULL, description text DEFAULT NULL,
                                           category text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF event_type IS NULL OR event_type = '' OR length(event_type) > 200 THEN
        RAISE EXCEPTION 'event_type must be 1 to 200 characters long' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF payload_schema_ref IS NOT NULL AND algawf.resolve_schema_ref(payload_schema_ref) IS NULL THEN
        RAISE EXCEPTION 'payload schema "%" is not registered', payload_schema_ref
            USING ERRCODE = 'undefined_object',
                  HINT = 'Register it first with algawf.register_schema(ref, schema).';
    END IF;
    INSERT INTO algawf.event_catalog AS c (tenant, event_type, label, description, category, payload_schema_ref, source)
    VALUES (algawf.require_tenant(), $1, $3, $4, $5, $2, 'user')
    ON CONFLICT ON CONSTRAINT event_catalog_pkey DO UPDATE
        SET label = EXCLUDED.label, description = EXCLUDED.description, category = EXCLUDED.category,
            payload_schema_ref = EXCLUDED.payload_schema_ref;
END
$$;
COMMENT ON FUNCTION algawf.register_event_type(text, text, text, text, text) IS
    'Adds (or updates) one of the current tenant''s own event types in the catalog; algawf.emit() then validates its payloads against payload_schema_ref.';

-- ---------------------------------------------------------------------------
-- Webhooks (src/webhooks.c)

CREATE FUNCTION algawf.create_webhook(workflow_id uuid) RETURNS text
    AS 'MODULE_PATHNAME', 'algawf_create_webhook'
    LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION algawf.create_webhook(uuid) IS
    'Creates a webhook token for a workflow of the current tenant and returns it. The token is shown only this once (only a hash is stored); pass it to algawf.webhook().';

CREATE FUNCTION algawf.revoke_webhook(workflow_id uuid, webhook_id uuid DEFAULT NULL) RETURNS int
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    WITH r AS (
        UPDATE algawf.webhooks w SET revoked_at = now()
         WHERE w.tenant = algawf.require_tenant() AND w.workflow_id = $1
           AND ($2 IS NULL OR w.webhook_id = $2) AND w.revoked_at IS NULL
        RETURNING 1)
    SELECT count(*)::int FROM r
$$;
COMMENT ON FUNCTION algawf.revoke_webhook(uuid, uuid) IS
    'Revokes the webhook tokens of a workflow (or just one, by webhook_id); returns how many were revoked.';

CREATE FUNCTION algawf.webhook(token text, payload jsonb, delivery_id text DEFAULT NULL) RETURNS uuid
    AS 'MODULE_PATHNAME', 'algawf_webhook'
    LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION algawf.webhook(text, jsonb, text) IS
    'Starts a run of the workflow a webhook token belongs to, with payload (validated against the workflow''s payload schema), and returns the run id. The token names the tenant: no algawf.tenant is needed. A repeated delivery_id returns the first delivery''s run instead of starting another. Bad or revoked tokens raise invalid_authorization_specification (28000).';

REVOKE ALL ON FUNCTION algawf.create_webhook(uuid), algawf.revoke_webhook(uuid, uuid),
    algawf.webhook(text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.create_webhook(uuid), algawf.revoke_webhook(uuid, uuid) TO algawf_admin;
GRANT EXECUTE ON FUNCTION algawf.webhook(text, jsonb, text) TO algawf_service;

-- ---------------------------------------------------------------------------
-- The algawf_psa tables emit Alga's events (the triggers belong to this
-- extension: DROP EXTENSION algawf removes them and leaves the tables working)

SELECT algawf.attach_events(t)
  FROM unnest(ARRAY['psa.tickets', 'psa.comments', 'psa.clients', 'psa.contacts', 'psa.interactions',
                    'psa.schedule_entries', 'psa.project_tasks', 'psa.time_entries']::regclass[]) AS t;
