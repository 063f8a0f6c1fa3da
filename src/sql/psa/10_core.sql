-- Tenants, users, teams, RBAC and the per-tenant number generator.

CREATE TABLE psa.tenants (
    tenant          uuid NOT NULL DEFAULT gen_random_uuid(),
    client_name     text NOT NULL,
    phone_number    text,
    email           text NOT NULL,
    industry        text,
    plan            text,
    settings        jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant),
    CHECK (client_name <> '')
);
COMMENT ON TABLE psa.tenants IS 'Tenants: one row per MSP using the system. Every other table references it by its tenant column.';
COMMENT ON COLUMN psa.tenants.tenant IS 'The tenant id: the value of algawf.tenant and the first column of every key.';
COMMENT ON COLUMN psa.tenants.client_name IS 'The MSP''s own name.';
COMMENT ON COLUMN psa.tenants.email IS 'Main contact address of the MSP.';
COMMENT ON COLUMN psa.tenants.settings IS 'Free-form tenant settings (time zone, locale, ...).';

CREATE TABLE psa.users (
    tenant          uuid NOT NULL REFERENCES psa.tenants (tenant),
    user_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    username        text NOT NULL,
    first_name      text,
    last_name       text,
    email           text,
    phone           text,
    timezone        text,
    user_type       text NOT NULL DEFAULT 'internal',
    contact_id      uuid,           -- no FK: users <-> contacts would be circular, see the comment
    hashed_password text,
    is_inactive     boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, user_id),
    UNIQUE (tenant, username),
    CHECK (user_type IN ('internal', 'client')),
    CHECK (username <> '')
);
CREATE INDEX users_email_idx ON psa.users (tenant, lower(email));
COMMENT ON TABLE psa.users IS 'PSA users: MSP staff (user_type internal) and client portal users (user_type client).';
COMMENT ON COLUMN psa.users.user_id IS 'User id; the actor of workflow runs (algawf.user) is one of these.';
COMMENT ON COLUMN psa.users.username IS 'Login name, unique per tenant.';
COMMENT ON COLUMN psa.users.email IS 'E-mail address (notifications, assignment mails).';
COMMENT ON COLUMN psa.users.user_type IS 'internal (MSP staff) or client (portal user of a client).';
COMMENT ON COLUMN psa.users.contact_id IS 'For client users: the contact (psa.contacts.contact_name_id) they log in as. Deliberately not a foreign key: users -> contacts -> clients -> users would be a cycle, and pg_dump cannot restore the data of extension tables linked in a cycle.';
COMMENT ON COLUMN psa.users.hashed_password IS 'Password hash for local logins; NULL for SSO-only users.';
COMMENT ON COLUMN psa.users.is_inactive IS 'Deactivated users keep their history but cannot be assigned or act.';

CREATE TABLE psa.teams (
    tenant          uuid NOT NULL REFERENCES psa.tenants (tenant),
    team_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    team_name       text NOT NULL,
    manager_id      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, team_id),
    UNIQUE (tenant, team_name),
    FOREIGN KEY (tenant, manager_id) REFERENCES psa.users (tenant, user_id)
);
COMMENT ON TABLE psa.teams IS 'Teams of MSP users (assignment targets, schedules).';
COMMENT ON COLUMN psa.teams.manager_id IS 'The team manager (a user).';

CREATE TABLE psa.team_members (
    tenant          uuid NOT NULL REFERENCES psa.tenants (tenant),
    team_id         uuid NOT NULL,
    user_id         uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, team_id, user_id),
    FOREIGN KEY (tenant, team_id) REFERENCES psa.teams (tenant, team_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, user_id) REFERENCES psa.users (tenant, user_id) ON DELETE CASCADE
);
CREATE INDEX team_members_user_idx ON psa.team_members (tenant, user_id);
COMMENT ON TABLE psa.team_members IS 'Membership of users in teams.';

CREATE TABLE psa.roles (
    tenant          uuid NOT NULL REFERENCES psa.tenants (tenant),
    role_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    role_name       text NOT NULL,
    description     text,
    msp             boolean NOT NULL DEFAULT true,
    client          boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, role_id),
    UNIQUE (tenant, role_name)
);
COMMENT ON TABLE psa.roles IS 'RBAC roles (Admin, Technician, ...). Users get permissions through user_roles -> role_permissions.';
COMMENT ON COLUMN psa.roles.msp IS 'Role applies to MSP (internal) users.';
COMMENT ON COLUMN psa.roles.client IS 'Role applies to client portal users.';

CREATE TABLE psa.permissions (
    tenant          uuid NOT NULL REFERENCES psa.tenants (tenant),
    permission_id   uuid NOT NULL DEFAULT gen_random_uuid(),
    resource        text NOT NULL,
    action          text NOT NULL,
    msp             boolean NOT NULL DEFAULT true,
    client          boolean NOT NULL DEFAULT false,
    description     text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, permission_id),
    UNIQUE (tenant, resource, action),
    CHECK (resource ~ '^[a-z][a-z0-9_]*$'),
    CHECK (action ~ '^[a-z][a-z0-9_]*$')
);
COMMENT ON TABLE psa.permissions IS 'RBAC permissions: a resource (ticket, contact, workflow, ...) and an action (read, create, update, delete, approve, ...). Actions declare them as resource:action.';
COMMENT ON COLUMN psa.permissions.resource IS 'What is acted on: ticket, client, contact, interaction, user_schedule, project_task, timeentry, billing, email, workflow, ...';
COMMENT ON COLUMN psa.permissions.action IS 'What is done: read, create, update, delete, approve, ...';

CREATE TABLE psa.role_permissions (
    tenant          uuid NOT NULL REFERENCES psa.tenants (tenant),
    role_id         uuid NOT NULL,
    permission_id   uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, role_id, permission_id),
    FOREIGN KEY (tenant, role_id) REFERENCES psa.roles (tenant, role_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, permission_id) REFERENCES psa.permissions (tenant, permission_id) ON DELETE CASCADE
);
CREATE INDEX role_permissions_permission_idx ON psa.role_permissions (tenant, permission_id);
COMMENT ON TABLE psa.role_permissions IS 'Which permissions each role grants.';

CREATE TABLE psa.user_roles (
    tenant          uuid NOT NULL REFERENCES psa.tenants (tenant),
    user_id         uuid NOT NULL,
    role_id         uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, user_id, role_id),
    FOREIGN KEY (tenant, user_id) REFERENCES psa.users (tenant, user_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, role_id) REFERENCES psa.roles (tenant, role_id) ON DELETE CASCADE
);
CREATE INDEX user_roles_role_idx ON psa.user_roles (tenant, role_id);
COMMENT ON TABLE psa.user_roles IS 'Which roles each user holds.';

-- Per-tenant numbering (TIC001001, PRJ001001, ...), as Alga's next_number table.
CREATE TABLE psa.next_number (
    tenant          uuid NOT NULL REFERENCES psa.tenants (tenant),
    entity_type     text NOT NULL,
    prefix          text NOT NULL DEFAULT '',
    padding_length  integer NOT NULL DEFAULT 6,
    initial_value   bigint NOT NULL DEFAULT 1000,
    last_number     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, entity_type),
    CHECK (entity_type ~ '^[A-Z][A-Z0-9_]*$'),
    CHECK (padding_length BETWEEN 0 AND 18),
    CHECK (last_number >= 0)
);
COMMENT ON TABLE psa.next_number IS 'Per-tenant number generator state: one row per entity type (TICKET, PROJECT, QUOTE, ...). Use psa.next_number(entity).';
COMMENT ON COLUMN psa.next_number.entity_type IS 'Upper-case entity name: TICKET, PROJECT, QUOTE, INVOICE, ...';
COMMENT ON COLUMN psa.next_number.prefix IS 'Text put before the number (TIC, PRJ, Q-, ...).';
COMMENT ON COLUMN psa.next_number.padding_length IS 'The number is left-padded with zeros to this many digits.';
COMMENT ON COLUMN psa.next_number.initial_value IS 'Numbering starts after this value (the first number is initial_value + 1).';
COMMENT ON COLUMN psa.next_number.last_number IS 'The last number handed out (0: none yet); the next is greatest(last_number, initial_value) + 1.';

CREATE FUNCTION psa.next_number(for_tenant uuid, entity text) RETURNS text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e text := upper(btrim(entity));
    r record;
BEGIN
    IF for_tenant IS NULL THEN
        RAISE EXCEPTION 'no tenant is set'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'SET algawf.tenant = ''<tenant uuid>'' first.';
    END IF;
    IF e IS NULL OR e !~ '^[A-Z][A-Z0-9_]*$' THEN
        RAISE EXCEPTION 'invalid entity type for a number: %', coalesce(quote_literal(entity), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use an upper-case name such as TICKET, PROJECT or QUOTE.';
    END IF;
    -- One statement: the row lock taken by the upsert serialises concurrent callers.
    INSERT INTO psa.next_number AS n (tenant, entity_type, prefix, last_number)
    VALUES (for_tenant, e,
            CASE e WHEN 'TICKET' THEN 'TIC' WHEN 'PROJECT' THEN 'PRJ' WHEN 'QUOTE' THEN 'Q'
                   WHEN 'INVOICE' THEN 'INV' ELSE left(e, 3) END,
            1001)
    ON CONFLICT (tenant, entity_type)
        DO UPDATE SET last_number = greatest(n.last_number, n.initial_value) + 1
    RETURNING n.prefix, n.padding_length, n.last_number INTO r;
    RETURN r.prefix || lpad(r.last_number::text, greatest(r.padding_length, length(r.last_number::text)), '0');
END
$$;
COMMENT ON FUNCTION psa.next_number(uuid, text) IS
    'Hands out the next number of an entity type for a tenant (TIC001001, TIC001002, ...); concurrency-safe, gap-free within committed transactions.';

CREATE FUNCTION psa.next_number(entity text) RETURNS text
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$ SELECT psa.next_number(psa.current_tenant(), entity) $$;
COMMENT ON FUNCTION psa.next_number(text) IS
    'Hands out the next number of an entity type (TICKET -> TIC001001, ...) for the current tenant (algawf.tenant).';
