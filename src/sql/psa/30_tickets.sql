-- Service desk: boards, statuses, priorities, categories, tickets, resources, comments.

CREATE TABLE psa.boards (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    board_id            uuid NOT NULL DEFAULT gen_random_uuid(),
    board_name          text NOT NULL,
    description         text,
    display_order       integer NOT NULL DEFAULT 0,
    is_default          boolean NOT NULL DEFAULT false,
    is_inactive         boolean NOT NULL DEFAULT false,
    default_assigned_to uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, board_id),
    UNIQUE (tenant, board_name),
    FOREIGN KEY (tenant, default_assigned_to) REFERENCES psa.users (tenant, user_id),
    CHECK (board_name <> '')
);
CREATE UNIQUE INDEX boards_one_default ON psa.boards (tenant) WHERE is_default;
COMMENT ON TABLE psa.boards IS 'Ticket boards (queues; Alga''s former "channels"). At most one default board per tenant.';
COMMENT ON COLUMN psa.boards.board_name IS 'Board name (Service Desk, Projects, ...).';
COMMENT ON COLUMN psa.boards.is_default IS 'New tickets without a board go here.';
COMMENT ON COLUMN psa.boards.default_assigned_to IS 'User new tickets on this board are assigned to when none is given.';

CREATE TABLE psa.statuses (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    status_id           uuid NOT NULL DEFAULT gen_random_uuid(),
    name                text NOT NULL,
    status_type         text NOT NULL,
    board_id            uuid,
    order_number        integer NOT NULL DEFAULT 0,
    is_closed           boolean NOT NULL DEFAULT false,
    is_default          boolean NOT NULL DEFAULT false,
    color               text,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, status_id),
    UNIQUE NULLS NOT DISTINCT (tenant, status_type, board_id, name),
    FOREIGN KEY (tenant, board_id) REFERENCES psa.boards (tenant, board_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, created_by) REFERENCES psa.users (tenant, user_id),
    CHECK (status_type IN ('ticket', 'interaction', 'project', 'project_task')),
    CONSTRAINT statuses_board_only_for_tickets CHECK (board_id IS NULL OR status_type = 'ticket'),
    CHECK (name <> ''),
    CHECK (color IS NULL OR color ~ '^#[0-9A-Fa-f]{6}$')
);
CREATE UNIQUE INDEX statuses_one_default ON psa.statuses (tenant, status_type, coalesce(board_id, '00000000-0000-0000-0000-000000000000'))
    WHERE is_default;
COMMENT ON TABLE psa.statuses IS 'Statuses of tickets, interactions, projects and project tasks (status_type); ticket statuses may be specific to a board.';
COMMENT ON COLUMN psa.statuses.name IS 'Status name (New, In Progress, Closed, ...).';
COMMENT ON COLUMN psa.statuses.status_type IS 'ticket, interaction, project or project_task: what the status applies to.';
COMMENT ON COLUMN psa.statuses.board_id IS 'For ticket statuses: the board they belong to (NULL: every board).';
COMMENT ON COLUMN psa.statuses.order_number IS 'Display order.';
COMMENT ON COLUMN psa.statuses.is_closed IS 'Setting an item to this status closes it.';
COMMENT ON COLUMN psa.statuses.is_default IS 'Status given to new items (one per type and board).';

CREATE TABLE psa.priorities (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    priority_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    priority_name       text NOT NULL,
    item_type           text NOT NULL DEFAULT 'ticket',
    order_number        integer NOT NULL DEFAULT 0,
    color               text,
    is_default          boolean NOT NULL DEFAULT false,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, priority_id),
    UNIQUE (tenant, item_type, priority_name),
    FOREIGN KEY (tenant, created_by) REFERENCES psa.users (tenant, user_id),
    CHECK (item_type IN ('ticket', 'project_task')),
    CHECK (priority_name <> ''),
    CHECK (color IS NULL OR color ~ '^#[0-9A-Fa-f]{6}$')
);
COMMENT ON TABLE psa.priorities IS 'Priorities of tickets and project tasks (Low, Medium, High, Critical, ...).';
COMMENT ON COLUMN psa.priorities.priority_name IS 'Priority name.';
COMMENT ON COLUMN psa.priorities.item_type IS 'ticket or project_task.';
COMMENT ON COLUMN psa.priorities.order_number IS 'Rank: higher is more urgent.';

CREATE TABLE psa.categories (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    category_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    category_name       text NOT NULL,
    parent_category     uuid,
    board_id            uuid,
    description         text,
    display_order       integer NOT NULL DEFAULT 0,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, category_id),
    FOREIGN KEY (tenant, board_id) REFERENCES psa.boards (tenant, board_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, created_by) REFERENCES psa.users (tenant, user_id),
    CHECK (category_name <> ''),
    CONSTRAINT categories_not_own_parent CHECK (parent_category IS DISTINCT FROM category_id)
);
CREATE INDEX categories_board_idx ON psa.categories (tenant, board_id);
CREATE INDEX categories_parent_idx ON psa.categories (tenant, parent_category);
CREATE CONSTRAINT TRIGGER categories_parent_ref AFTER INSERT OR UPDATE OF parent_category ON psa.categories
    FOR EACH ROW EXECUTE FUNCTION psa.check_self_ref('parent_category', 'category_id');
CREATE CONSTRAINT TRIGGER categories_parent_deleted AFTER DELETE ON psa.categories
    FOR EACH ROW EXECUTE FUNCTION psa.self_ref_deleted('parent_category', 'category_id', 'restrict');
COMMENT ON TABLE psa.categories IS 'Ticket categories and subcategories (a subcategory has a parent_category).';
COMMENT ON COLUMN psa.categories.parent_category IS 'The parent category of a subcategory; NULL for top-level categories. Checked by a constraint trigger (a parent with subcategories cannot be deleted).';
COMMENT ON COLUMN psa.categories.board_id IS 'The board the category is offered on.';

CREATE TABLE psa.tickets (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    ticket_id           uuid NOT NULL DEFAULT gen_random_uuid(),
    ticket_number       text NOT NULL,
    title               text NOT NULL,
    url                 text,
    client_id           uuid,
    contact_name_id     uuid,
    location_id         uuid,
    board_id            uuid,
    status_id           uuid,
    priority_id         uuid,
    category_id         uuid,
    subcategory_id      uuid,
    entered_by          uuid,
    updated_by          uuid,
    assigned_to         uuid,
    assigned_team_id    uuid,
    closed_by           uuid,
    entered_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    closed_at           timestamptz,
    due_date            timestamptz,
    is_closed           boolean NOT NULL DEFAULT false,
    attributes          jsonb NOT NULL DEFAULT '{}',
    email_metadata      jsonb,
    PRIMARY KEY (tenant, ticket_id),
    UNIQUE (tenant, ticket_number),
    FOREIGN KEY (tenant, client_id) REFERENCES psa.clients (tenant, client_id),
    FOREIGN KEY (tenant, contact_name_id) REFERENCES psa.contacts (tenant, contact_name_id),
    FOREIGN KEY (tenant, location_id) REFERENCES psa.client_locations (tenant, location_id),
    FOREIGN KEY (tenant, board_id) REFERENCES psa.boards (tenant, board_id),
    FOREIGN KEY (tenant, status_id) REFERENCES psa.statuses (tenant, status_id),
    FOREIGN KEY (tenant, priority_id) REFERENCES psa.priorities (tenant, priority_id),
    FOREIGN KEY (tenant, category_id) REFERENCES psa.categories (tenant, category_id),
    FOREIGN KEY (tenant, subcategory_id) REFERENCES psa.categories (tenant, category_id),
    FOREIGN KEY (tenant, entered_by) REFERENCES psa.users (tenant, user_id),
    FOREIGN KEY (tenant, updated_by) REFERENCES psa.users (tenant, user_id),
    FOREIGN KEY (tenant, assigned_to) REFERENCES psa.users (tenant, user_id),
    FOREIGN KEY (tenant, assigned_team_id) REFERENCES psa.teams (tenant, team_id),
    FOREIGN KEY (tenant, closed_by) REFERENCES psa.users (tenant, user_id),
    CHECK (title <> ''),
    CHECK (jsonb_typeof(attributes) = 'object'),
    CONSTRAINT tickets_closed_at_only_when_closed CHECK (closed_at IS NULL OR is_closed)
);
CREATE INDEX tickets_client_idx ON psa.tickets (tenant, client_id);
CREATE INDEX tickets_contact_idx ON psa.tickets (tenant, contact_name_id);
CREATE INDEX tickets_status_idx ON psa.tickets (tenant, status_id);
CREATE INDEX tickets_assigned_idx ON psa.tickets (tenant, assigned_to) WHERE NOT is_closed;
CREATE INDEX tickets_board_open_idx ON psa.tickets (tenant, board_id, entered_at) WHERE NOT is_closed;
CREATE INDEX tickets_entered_idx ON psa.tickets (tenant, entered_at);
COMMENT ON TABLE psa.tickets IS 'Service tickets. ticket_number is filled from psa.next_number(''TICKET'') when omitted; is_closed and closed_at follow the status.';
COMMENT ON COLUMN psa.tickets.ticket_id IS 'Ticket id.';
COMMENT ON COLUMN psa.tickets.ticket_number IS 'Human-facing number (TIC001001), unique per tenant; generated when NULL.';
COMMENT ON COLUMN psa.tickets.title IS 'Ticket title (subject).';
COMMENT ON COLUMN psa.tickets.url IS 'Link to an external system, if any.';
COMMENT ON COLUMN psa.tickets.client_id IS 'The client the ticket is for.';
COMMENT ON COLUMN psa.tickets.contact_name_id IS 'The contact who asked (requester).';
COMMENT ON COLUMN psa.tickets.location_id IS 'The client location concerned.';
COMMENT ON COLUMN psa.tickets.board_id IS 'The board (queue) the ticket is on.';
COMMENT ON COLUMN psa.tickets.status_id IS 'A status of status_type ticket.';
COMMENT ON COLUMN psa.tickets.priority_id IS 'Priority.';
COMMENT ON COLUMN psa.tickets.category_id IS 'Category.';
COMMENT ON COLUMN psa.tickets.subcategory_id IS 'Subcategory (a category whose parent is category_id).';
COMMENT ON COLUMN psa.tickets.entered_by IS 'User who created the ticket.';
COMMENT ON COLUMN psa.tickets.updated_by IS 'User who last changed it.';
COMMENT ON COLUMN psa.tickets.assigned_to IS 'Primary assignee (further ones in psa.ticket_resources).';
COMMENT ON COLUMN psa.tickets.assigned_team_id IS 'Team the ticket is assigned to.';
COMMENT ON COLUMN psa.tickets.closed_by IS 'User who closed it.';
COMMENT ON COLUMN psa.tickets.entered_at IS 'Creation time.';
COMMENT ON COLUMN psa.tickets.updated_at IS 'Last change time (maintained by a trigger).';
COMMENT ON COLUMN psa.tickets.closed_at IS 'When it was closed; set when the status becomes a closed one, cleared on reopening.';
COMMENT ON COLUMN psa.tickets.due_date IS 'When it is due.';
COMMENT ON COLUMN psa.tickets.is_closed IS 'Copied from the status''s is_closed by a trigger.';
COMMENT ON COLUMN psa.tickets.attributes IS 'Free-form attributes; Alga keeps the description under the key "description".';
COMMENT ON COLUMN psa.tickets.email_metadata IS 'For tickets opened from e-mail: message id, thread, sender.';

CREATE TABLE psa.ticket_resources (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    assignment_id       uuid NOT NULL DEFAULT gen_random_uuid(),
    ticket_id           uuid NOT NULL,
    assigned_to         uuid,
    additional_user_id  uuid NOT NULL,
    role                text,
    assigned_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, assignment_id),
    UNIQUE (tenant, ticket_id, additional_user_id),
    FOREIGN KEY (tenant, ticket_id) REFERENCES psa.tickets (tenant, ticket_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, assigned_to) REFERENCES psa.users (tenant, user_id),
    FOREIGN KEY (tenant, additional_user_id) REFERENCES psa.users (tenant, user_id)
);
CREATE INDEX ticket_resources_user_idx ON psa.ticket_resources (tenant, additional_user_id);
COMMENT ON TABLE psa.ticket_resources IS 'Additional users working on a ticket besides its primary assignee.';
COMMENT ON COLUMN psa.ticket_resources.assigned_to IS 'The primary assignee at the time of the assignment.';
COMMENT ON COLUMN psa.ticket_resources.additional_user_id IS 'The additional user.';
COMMENT ON COLUMN psa.ticket_resources.role IS 'What the additional user does (helper, reviewer, ...).';

CREATE TABLE psa.comments (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    comment_id          uuid NOT NULL DEFAULT gen_random_uuid(),
    ticket_id           uuid NOT NULL,
    user_id             uuid,
    contact_id          uuid,
    author_type         text NOT NULL DEFAULT 'internal',
    note                text NOT NULL,
    is_internal         boolean NOT NULL DEFAULT false,
    is_resolution       boolean NOT NULL DEFAULT false,
    metadata            jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, comment_id),
    FOREIGN KEY (tenant, ticket_id) REFERENCES psa.tickets (tenant, ticket_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, user_id) REFERENCES psa.users (tenant, user_id),
    FOREIGN KEY (tenant, contact_id) REFERENCES psa.contacts (tenant, contact_name_id),
    CHECK (author_type IN ('internal', 'client', 'unknown'))
);
CREATE INDEX comments_ticket_idx ON psa.comments (tenant, ticket_id, created_at);
COMMENT ON TABLE psa.comments IS 'Comments on tickets: internal notes, client-visible replies, resolutions.';
COMMENT ON COLUMN psa.comments.user_id IS 'The MSP user (or client portal user) who wrote it.';
COMMENT ON COLUMN psa.comments.contact_id IS 'The contact who wrote it (e-mail replies).';
COMMENT ON COLUMN psa.comments.author_type IS 'internal (MSP staff), client (a client user or contact) or unknown (e.g. an unmatched e-mail sender).';
COMMENT ON COLUMN psa.comments.note IS 'The comment text (markdown or plain text).';
COMMENT ON COLUMN psa.comments.is_internal IS 'Internal notes are not shown to the client.';
COMMENT ON COLUMN psa.comments.is_resolution IS 'This comment is the resolution of the ticket.';
COMMENT ON COLUMN psa.comments.metadata IS 'Origin details (e-mail message id, ...).';

-- Status rows must be of the right type for the item that uses them.  Returns the
-- status's is_closed, or NULL when the status does not exist (the FK reports that).
CREATE FUNCTION psa._status_is_closed(for_tenant uuid, status uuid, expected_type text) RETURNS boolean
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s record;
BEGIN
    IF status IS NULL THEN
        RETURN false;
    END IF;
    SELECT st.status_type, st.is_closed, st.name INTO s
      FROM psa.statuses st WHERE st.tenant = for_tenant AND st.status_id = status;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF s.status_type <> expected_type THEN
        RAISE EXCEPTION 'status "%" has status_type %, not %', s.name, s.status_type, expected_type
            USING ERRCODE = 'check_violation',
                  DETAIL = format('status_id %s', status),
                  HINT = format('Use a status with status_type = %L.', expected_type);
    END IF;
    RETURN s.is_closed;
END
$$;
COMMENT ON FUNCTION psa._status_is_closed(uuid, uuid, text) IS
    'Checks that a status has the expected status_type (raises check_violation otherwise) and returns its is_closed (NULL if it does not exist).';

CREATE FUNCTION psa.tickets_before_write() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    closed boolean;
BEGIN
    IF NEW.ticket_number IS NULL THEN
        NEW.ticket_number := psa.next_number(NEW.tenant, 'TICKET');
    END IF;
    IF TG_OP = 'INSERT' OR NEW.status_id IS DISTINCT FROM OLD.status_id THEN
        closed := coalesce(psa._status_is_closed(NEW.tenant, NEW.status_id, 'ticket'), NEW.is_closed);
        NEW.is_closed := closed;
        IF closed THEN
            NEW.closed_at := coalesce(NEW.closed_at, now());
        ELSE
            NEW.closed_at := NULL;
            NEW.closed_by := NULL;
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION psa.tickets_before_write() IS
    'BEFORE INSERT OR UPDATE on psa.tickets: numbers new tickets, checks the status type, keeps is_closed/closed_at in step with the status, touches updated_at.';
CREATE TRIGGER tickets_before_write BEFORE INSERT OR UPDATE ON psa.tickets
    FOR EACH ROW EXECUTE FUNCTION psa.tickets_before_write();
