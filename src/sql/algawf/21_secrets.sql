-- Tenant secrets: API keys, passwords and tokens that workflow steps reference
-- as {"$secret": "NAME"}.  Stored encrypted (pgcrypto pgp_sym_encrypt, AES-256)
-- with a per-database key kept in a separate table that only the extension
-- owner can read; decrypted only by the dispatcher, for the call that
-- references them; never returned in clear by any SQL function or view.

-- The key.  Created by the first algawf.set_secret() rather than at install, so
-- that pg_dump/restore (which dumps this row) keeps existing secrets decryptable.
CREATE TABLE algawf.secret_keys (
    key_id      integer PRIMARY KEY DEFAULT 1,
    key         text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT secret_keys_single CHECK (key_id = 1),
    CONSTRAINT secret_keys_length CHECK (length(key) >= 32)
);
COMMENT ON TABLE algawf.secret_keys IS
    'The per-database key that encrypts algawf.tenant_secrets. Readable only by the extension owner (row-level security with no policy, no grants). Not per tenant: one key per database. pg_dump includes it, so treat dumps as secret.';
COMMENT ON COLUMN algawf.secret_keys.key IS 'Passphrase for pgp_sym_encrypt/pgp_sym_decrypt (64 random hex digits).';
ALTER TABLE algawf.secret_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.secret_keys FORCE ROW LEVEL SECURITY;
REVOKE ALL ON algawf.secret_keys FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('algawf.secret_keys', '');

CREATE TABLE algawf.tenant_secrets (
    tenant          uuid NOT NULL,
    name            text NOT NULL,
    value           bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      name NOT NULL DEFAULT session_user,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      name NOT NULL DEFAULT session_user,
    last_used_at    timestamptz,
    PRIMARY KEY (tenant, name),
    CONSTRAINT tenant_secrets_name_format CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_.-]*$' AND length(name) <= 200)
);
COMMENT ON TABLE algawf.tenant_secrets IS
    'Per-tenant secrets, encrypted at rest. Set with algawf.set_secret(), listed (names only) by algawf.secrets, referenced from workflows as {"$secret": "NAME"}.';
COMMENT ON COLUMN algawf.tenant_secrets.name IS 'Letters, digits, _ . - ; starts with a letter or _.';
COMMENT ON COLUMN algawf.tenant_secrets.value IS 'pgp_sym_encrypt(value, key from algawf.secret_keys): readable by the extension owner only.';
COMMENT ON COLUMN algawf.tenant_secrets.last_used_at IS 'When an action call last resolved the secret (to the minute).';
ALTER TABLE algawf.tenant_secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.tenant_secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON algawf.tenant_secrets
    USING (tenant = (SELECT algawf.current_tenant()))
    WITH CHECK (tenant = (SELECT algawf.current_tenant()));
REVOKE ALL ON algawf.tenant_secrets FROM PUBLIC;
-- everything but the value
GRANT SELECT (tenant, name, created_at, created_by, updated_at, updated_by, last_used_at)
    ON algawf.tenant_secrets TO PUBLIC;
COMMENT ON POLICY tenant_isolation ON algawf.tenant_secrets IS 'Rows of the current tenant only (algawf.current_tenant()); the value column is the owner''s alone.';
SELECT pg_catalog.pg_extension_config_dump('algawf.tenant_secrets', '');

CREATE VIEW algawf.secrets WITH (security_invoker = true) AS
    SELECT s.name, s.created_at, s.created_by, s.updated_at, s.updated_by, s.last_used_at
      FROM algawf.tenant_secrets s
     WHERE s.tenant = algawf.current_tenant();
COMMENT ON VIEW algawf.secrets IS
    'The current tenant''s secrets: names and timestamps, never values.';
GRANT SELECT ON algawf.secrets TO PUBLIC;

CREATE FUNCTION algawf.set_secret(name text, value text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf.require_tenant();
    k text;
    nsp text;
    encrypted bytea;
BEGIN
    IF name IS NULL OR name !~ '^[A-Za-z_][A-Za-z0-9_.-]*$' OR length(name) > 200 THEN
        RAISE EXCEPTION 'invalid secret name "%"', name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Letters, digits, _ . - (starting with a letter or _), at most 200 characters.';
    END IF;
    IF value IS NULL THEN
        RAISE EXCEPTION 'the value of secret "%" must not be null', name
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Use algawf.delete_secret() to remove a secret.';
    END IF;

    SELECT sk.key INTO k FROM algawf.secret_keys sk WHERE sk.key_id = 1;
    IF NOT FOUND THEN
        INSERT INTO algawf.secret_keys (key_id, key)
        VALUES (1, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''))
        ON CONFLICT ON CONSTRAINT secret_keys_pkey DO NOTHING;
        SELECT sk.key INTO STRICT k FROM algawf.secret_keys sk WHERE sk.key_id = 1;
    END IF;

    SELECT quote_ident(n.nspname) INTO STRICT nsp
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pgcrypto';
    EXECUTE format('SELECT %s.pgp_sym_encrypt($1, $2, %L)', nsp, 'cipher-algo=aes256')
        INTO encrypted USING value, k;

    INSERT INTO algawf.tenant_secrets AS s (tenant, name, value, created_by, updated_by)
    VALUES (t, set_secret.name, encrypted, session_user, session_user)
    ON CONFLICT ON CONSTRAINT tenant_secrets_pkey DO UPDATE
        SET value = EXCLUDED.value, updated_at = now(), updated_by = session_user;
END
$$;
COMMENT ON FUNCTION algawf.set_secret(text, text) IS
    'Creates or replaces a secret of the current tenant (encrypted at rest; referenced from workflows as {"$secret": "NAME"}).';
REVOKE ALL ON FUNCTION algawf.set_secret(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.set_secret(text, text) TO algawf_admin, algawf_service;

CREATE FUNCTION algawf.delete_secret(name text) RETURNS boolean
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    WITH d AS (
        DELETE FROM algawf.tenant_secrets s
         WHERE s.tenant = algawf.require_tenant() AND s.name = $1
        RETURNING 1)
    SELECT count(*) > 0 FROM d;
$$;
COMMENT ON FUNCTION algawf.delete_secret(text) IS
    'Removes a secret of the current tenant; returns whether it existed. Steps that reference it then fail with NOT_FOUND.';
REVOKE ALL ON FUNCTION algawf.delete_secret(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.delete_secret(text) TO algawf_admin, algawf_service;
