-- Clients (the MSP's customers), their locations and contacts.

CREATE TABLE psa.clients (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    client_id           uuid NOT NULL DEFAULT gen_random_uuid(),
    client_name         text NOT NULL,
    client_type         text NOT NULL DEFAULT 'company',
    url                 text,
    billing_email       text,
    account_manager_id  uuid,
    is_inactive         boolean NOT NULL DEFAULT false,
    is_tax_exempt       boolean NOT NULL DEFAULT false,
    billing_cycle       text NOT NULL DEFAULT 'monthly',
    properties          jsonb NOT NULL DEFAULT '{}',
    notes               text,
    notes_document_id   uuid,       -- FK added with psa.documents
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, client_id),
    FOREIGN KEY (tenant, account_manager_id) REFERENCES psa.users (tenant, user_id),
    CHECK (client_name <> ''),
    CHECK (client_type IN ('company', 'individual')),
    CHECK (billing_cycle IN ('weekly', 'bi-weekly', 'monthly', 'quarterly', 'semi-annually', 'annually'))
);
CREATE INDEX clients_name_idx ON psa.clients (tenant, lower(client_name));
COMMENT ON TABLE psa.clients IS 'Clients: the MSP''s customers (companies or individuals).';
COMMENT ON COLUMN psa.clients.client_id IS 'Client id.';
COMMENT ON COLUMN psa.clients.client_name IS 'Display name of the client.';
COMMENT ON COLUMN psa.clients.client_type IS 'company or individual.';
COMMENT ON COLUMN psa.clients.url IS 'Web site.';
COMMENT ON COLUMN psa.clients.account_manager_id IS 'The MSP user managing the account.';
COMMENT ON COLUMN psa.clients.is_inactive IS 'Inactive clients are kept for history; new tickets should not be opened for them.';
COMMENT ON COLUMN psa.clients.properties IS 'Free-form properties (industry, size, ...).';
COMMENT ON COLUMN psa.clients.notes IS 'Plain-text notes.';
COMMENT ON COLUMN psa.clients.notes_document_id IS 'Rich notes kept as a document (psa.documents).';

CREATE TABLE psa.client_locations (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    location_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    client_id           uuid NOT NULL,
    location_name       text,
    address_line1       text NOT NULL,
    address_line2       text,
    city                text NOT NULL,
    state_province      text,
    postal_code         text,
    country_code        text NOT NULL,
    country_name        text,
    phone               text,
    email               text,
    is_default          boolean NOT NULL DEFAULT false,
    is_billing_address  boolean NOT NULL DEFAULT false,
    is_shipping_address boolean NOT NULL DEFAULT false,
    is_active           boolean NOT NULL DEFAULT true,
    notes               text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, location_id),
    FOREIGN KEY (tenant, client_id) REFERENCES psa.clients (tenant, client_id) ON DELETE CASCADE,
    CHECK (country_code ~ '^[A-Z]{2}$')
);
CREATE INDEX client_locations_client_idx ON psa.client_locations (tenant, client_id);
CREATE UNIQUE INDEX client_locations_one_default ON psa.client_locations (tenant, client_id) WHERE is_default;
COMMENT ON TABLE psa.client_locations IS 'Addresses of a client (at most one default per client).';
COMMENT ON COLUMN psa.client_locations.country_code IS 'ISO 3166-1 alpha-2 country code.';
COMMENT ON COLUMN psa.client_locations.is_default IS 'The client''s main location.';

CREATE TABLE psa.contacts (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    contact_name_id     uuid NOT NULL DEFAULT gen_random_uuid(),
    full_name           text NOT NULL,
    client_id           uuid,
    phone_number        text,
    email               text,
    role                text,
    is_inactive         boolean NOT NULL DEFAULT false,
    notes               text,
    notes_document_id   uuid,       -- FK added with psa.documents
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, contact_name_id),
    FOREIGN KEY (tenant, client_id) REFERENCES psa.clients (tenant, client_id),
    CHECK (full_name <> ''),
    CHECK (email IS NULL OR email ~ '^[^@[:space:]]+@[^@[:space:]]+$')
);
CREATE INDEX contacts_client_idx ON psa.contacts (tenant, client_id);
CREATE INDEX contacts_email_idx ON psa.contacts (tenant, lower(email));
COMMENT ON TABLE psa.contacts IS 'Contacts: people at clients (ticket requesters, approvers, ...). Alga calls the key contact_name_id.';
COMMENT ON COLUMN psa.contacts.contact_name_id IS 'Contact id (Alga''s name for it).';
COMMENT ON COLUMN psa.contacts.full_name IS 'The contact''s full name.';
COMMENT ON COLUMN psa.contacts.client_id IS 'The client the contact works for (NULL: not attached to a client).';
COMMENT ON COLUMN psa.contacts.phone_number IS 'Phone number.';
COMMENT ON COLUMN psa.contacts.email IS 'E-mail address; looked up case-insensitively.';
COMMENT ON COLUMN psa.contacts.role IS 'Job title or role at the client.';
COMMENT ON COLUMN psa.contacts.is_inactive IS 'Inactive contacts are kept for history.';
COMMENT ON COLUMN psa.contacts.notes IS 'Plain-text notes.';
COMMENT ON COLUMN psa.contacts.notes_document_id IS 'Rich notes kept as a document (psa.documents), as Alga does.';
