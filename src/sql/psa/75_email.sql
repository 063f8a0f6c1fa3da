-- Outbound e-mail: SMTP provider configurations and the tenant's sender domains.

CREATE TABLE psa.email_provider_configs (
    tenant                  uuid NOT NULL REFERENCES psa.tenants (tenant),
    provider_id             uuid NOT NULL DEFAULT gen_random_uuid(),
    provider_name           text NOT NULL DEFAULT 'SMTP',
    provider_type           text NOT NULL DEFAULT 'smtp',
    host                    text NOT NULL,
    port                    integer NOT NULL DEFAULT 587,
    security                text NOT NULL DEFAULT 'starttls',
    username                text,
    password_secret_name    text,
    from_address            text NOT NULL,
    from_name               text,
    reply_to_address        text,
    is_default              boolean NOT NULL DEFAULT false,
    is_active               boolean NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, provider_id),
    UNIQUE (tenant, provider_name),
    CHECK (provider_type IN ('smtp')),
    CHECK (port BETWEEN 1 AND 65535),
    CHECK (security IN ('none', 'starttls', 'tls')),
    CHECK (host <> ''),
    CHECK (from_address ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    CHECK (password_secret_name IS NULL OR password_secret_name ~ '^[A-Za-z_][A-Za-z0-9_.-]*$')
);
CREATE UNIQUE INDEX email_provider_configs_one_default ON psa.email_provider_configs (tenant) WHERE is_default;
COMMENT ON TABLE psa.email_provider_configs IS 'SMTP servers a tenant sends mail through (email.send uses the default active one). The password is an algawf tenant secret, referenced by name.';
COMMENT ON COLUMN psa.email_provider_configs.provider_type IS 'smtp (the only transport so far).';
COMMENT ON COLUMN psa.email_provider_configs.host IS 'SMTP server host name or address.';
COMMENT ON COLUMN psa.email_provider_configs.port IS 'SMTP port (25, 465, 587, ...).';
COMMENT ON COLUMN psa.email_provider_configs.security IS 'none (plain), starttls (upgrade after connecting) or tls (implicit TLS, smtps).';
COMMENT ON COLUMN psa.email_provider_configs.username IS 'SMTP AUTH user, if the server needs one.';
COMMENT ON COLUMN psa.email_provider_configs.password_secret_name IS 'Name of the algawf tenant secret holding the SMTP password (never the password itself).';
COMMENT ON COLUMN psa.email_provider_configs.from_address IS 'Default sender address.';
COMMENT ON COLUMN psa.email_provider_configs.is_default IS 'The provider used when none is named (one per tenant).';
COMMENT ON COLUMN psa.email_provider_configs.is_active IS 'Inactive providers are not used.';

CREATE TABLE psa.tenant_email_domains (
    tenant                  uuid NOT NULL REFERENCES psa.tenants (tenant),
    domain                  text NOT NULL,
    verified                boolean NOT NULL DEFAULT false,
    verified_at             timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, domain),
    CHECK (domain = lower(domain) AND domain ~ '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$'),
    CONSTRAINT tenant_email_domains_verified_at_only_when_verified CHECK (verified OR verified_at IS NULL)
);
COMMENT ON TABLE psa.tenant_email_domains IS 'Domains a tenant sends mail from (and recognises as its own in inbound mail).';
COMMENT ON COLUMN psa.tenant_email_domains.domain IS 'Lower-case domain name.';
COMMENT ON COLUMN psa.tenant_email_domains.verified IS 'Ownership verified (DNS).';
