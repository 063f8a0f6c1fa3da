-- CRM activity: interaction types and interactions (calls, e-mails, meetings, notes).

CREATE TABLE psa.system_interaction_types (
    type_id             uuid NOT NULL,
    type_name           text NOT NULL UNIQUE,
    icon                text,
    display_order       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (type_id)
);
COMMENT ON TABLE psa.system_interaction_types IS 'Built-in interaction types shared by all tenants (Call, Email, Meeting, Note). Read-only reference data.';
COMMENT ON COLUMN psa.system_interaction_types.type_name IS 'Call, Email, Meeting or Note.';
INSERT INTO psa.system_interaction_types (type_id, type_name, icon, display_order) VALUES
    ('00000000-0000-0000-0001-000000000001', 'Call', 'phone', 1),
    ('00000000-0000-0000-0001-000000000002', 'Email', 'mail', 2),
    ('00000000-0000-0000-0001-000000000003', 'Meeting', 'users', 3),
    ('00000000-0000-0000-0001-000000000004', 'Note', 'sticky-note', 4);

CREATE TABLE psa.interaction_types (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    type_id             uuid NOT NULL DEFAULT gen_random_uuid(),
    type_name           text NOT NULL,
    icon                text,
    display_order       integer NOT NULL DEFAULT 0,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, type_id),
    UNIQUE (tenant, type_name),
    FOREIGN KEY (tenant, created_by) REFERENCES psa.users (tenant, user_id),
    CHECK (type_name <> '')
);
COMMENT ON TABLE psa.interaction_types IS 'Tenant-defined interaction types (in addition to psa.system_interaction_types).';

CREATE TABLE psa.interactions (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    interaction_id      uuid NOT NULL DEFAULT gen_random_uuid(),
    type_id             uuid NOT NULL,
    contact_name_id     uuid,
    client_id           uuid,
    ticket_id           uuid,
    user_id             uuid NOT NULL,
    title               text NOT NULL,
    notes               text,
    interaction_date    timestamptz NOT NULL DEFAULT now(),
    start_time          timestamptz,
    end_time            timestamptz,
    duration            integer,
    status_id           uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, interaction_id),
    FOREIGN KEY (tenant, contact_name_id) REFERENCES psa.contacts (tenant, contact_name_id),
    FOREIGN KEY (tenant, client_id) REFERENCES psa.clients (tenant, client_id),
    FOREIGN KEY (tenant, ticket_id) REFERENCES psa.tickets (tenant, ticket_id) ON DELETE SET NULL (ticket_id),
    FOREIGN KEY (tenant, user_id) REFERENCES psa.users (tenant, user_id),
    FOREIGN KEY (tenant, status_id) REFERENCES psa.statuses (tenant, status_id),
    CHECK (title <> ''),
    CHECK (duration IS NULL OR duration >= 0),
    CONSTRAINT interactions_end_after_start CHECK (end_time IS NULL OR start_time IS NULL OR end_time >= start_time),
    CONSTRAINT interactions_about_something CHECK (contact_name_id IS NOT NULL OR client_id IS NOT NULL OR ticket_id IS NOT NULL)
);
CREATE INDEX interactions_contact_idx ON psa.interactions (tenant, contact_name_id, interaction_date);
CREATE INDEX interactions_client_idx ON psa.interactions (tenant, client_id, interaction_date);
CREATE INDEX interactions_ticket_idx ON psa.interactions (tenant, ticket_id);
CREATE INDEX interactions_user_idx ON psa.interactions (tenant, user_id, interaction_date);
COMMENT ON TABLE psa.interactions IS 'CRM activity: calls, e-mails, meetings and notes with a contact, a client or about a ticket.';
COMMENT ON COLUMN psa.interactions.type_id IS 'A psa.system_interaction_types or psa.interaction_types type_id (checked by a trigger).';
COMMENT ON COLUMN psa.interactions.contact_name_id IS 'The contact involved.';
COMMENT ON COLUMN psa.interactions.client_id IS 'The client involved.';
COMMENT ON COLUMN psa.interactions.ticket_id IS 'The ticket it is about, if any.';
COMMENT ON COLUMN psa.interactions.user_id IS 'The MSP user who had or logged the interaction.';
COMMENT ON COLUMN psa.interactions.title IS 'Short summary.';
COMMENT ON COLUMN psa.interactions.notes IS 'Details.';
COMMENT ON COLUMN psa.interactions.interaction_date IS 'When it happened.';
COMMENT ON COLUMN psa.interactions.duration IS 'Duration in minutes.';
COMMENT ON COLUMN psa.interactions.status_id IS 'A status of status_type interaction.';

-- The type must be a system type or one of the tenant's: checked after the row is
-- written (a constraint trigger), so that row-level security refuses a row of another
-- tenant before this check looks for that tenant's types.
CREATE FUNCTION psa.interactions_type_ref() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM psa.system_interaction_types s WHERE s.type_id = NEW.type_id)
       AND NOT EXISTS (SELECT 1 FROM psa.interaction_types t
                        WHERE t.tenant = NEW.tenant AND t.type_id = NEW.type_id) THEN
        RAISE EXCEPTION 'interaction type % does not exist', NEW.type_id
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Use a type_id of psa.system_interaction_types or of the tenant''s psa.interaction_types.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION psa.interactions_type_ref() IS
    'Constraint trigger on psa.interactions: type_id must be a system interaction type or one of the tenant''s interaction types.';
CREATE CONSTRAINT TRIGGER interactions_type_ref AFTER INSERT OR UPDATE OF tenant, type_id ON psa.interactions
    FOR EACH ROW EXECUTE FUNCTION psa.interactions_type_ref();

CREATE FUNCTION psa.interactions_before_write() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM psa._status_is_closed(NEW.tenant, NEW.status_id, 'interaction');
    IF NEW.duration IS NULL AND NEW.start_time IS NOT NULL AND NEW.end_time IS NOT NULL THEN
        NEW.duration := (extract(epoch FROM NEW.end_time - NEW.start_time) / 60)::integer;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION psa.interactions_before_write() IS
    'BEFORE INSERT OR UPDATE on psa.interactions: checks the status type, derives duration from start/end, touches updated_at.';
CREATE TRIGGER interactions_before_write BEFORE INSERT OR UPDATE ON psa.interactions
    FOR EACH ROW EXECUTE FUNCTION psa.interactions_before_write();
