-- Integration modules and declarative HTTP actions: the module registry with
-- each module's availability resolver, the connection a resolver describes
-- (base URL, settings, auth configurations naming tenant secrets), the token
-- cache of OAuth2 / Knox schemes, per integration and tenant rate limits, and
-- the outbox columns and functions a declarative request needs.  The C side is
-- src/http_decl*.c, src/auth*.c, src/ratelimit*.c; the vendor modules are
-- actions/ninjaone.sql, tacticalrmm.sql, levelio.sql, huntress.sql, teams.sql.

-- ---------------------------------------------------------------------------
-- The module registry.  Global like algawf.actions: a module is code; what
-- varies per tenant is its connection, which the resolver reads.

CREATE TABLE algawf.integration_modules (
    name            text NOT NULL,
    label           text NOT NULL,
    description     text NOT NULL DEFAULT '',
    resolver        regprocedure NOT NULL,
    rate_limit      jsonb,
    definition      jsonb NOT NULL,
    shipped         boolean NOT NULL DEFAULT false,
    registered_at   timestamptz,
    registered_by   name,
    PRIMARY KEY (name),
    CONSTRAINT integration_modules_name_format CHECK (name ~ '^[a-z][a-z0-9_]*$' AND length(name) <= 63),
    CONSTRAINT integration_modules_label_nonempty CHECK (label <> ''),
    CONSTRAINT integration_modules_rate_limit CHECK (rate_limit IS NULL OR jsonb_typeof(rate_limit) = 'object'),
    CONSTRAINT integration_modules_registration_known CHECK (shipped OR (registered_at IS NOT NULL AND registered_by IS NOT NULL))
);
COMMENT ON TABLE algawf.integration_modules IS
    'Integration modules (NinjaOne, Tactical RMM, Level, Huntress, Microsoft Teams, ...): one row per module, registered by its actions/<module>.sql file with algawf.register_integration(). The resolver decides, per tenant, whether the module is connected and how to reach it. Global (no tenant column), readable by everyone.';
COMMENT ON COLUMN algawf.integration_modules.name IS 'The name actions declare in availability.integration (and their family, by convention).';
COMMENT ON COLUMN algawf.integration_modules.resolver IS 'Function (tenant uuid) RETURNS jsonb: the tenant''s connection {connected, reason?, baseUrl?, settings?, auth?: {name: auth configuration}, rateLimit?}.';
COMMENT ON COLUMN algawf.integration_modules.rate_limit IS 'Default request limit of the module per tenant: {"requests": N, "perSeconds": P}; NULL: none.';
COMMENT ON COLUMN algawf.integration_modules.shipped IS 'Installed by the extension (recreated by CREATE EXTENSION, so not dumped; registered_at/by are NULL so a restore recreates them identically).';
SELECT pg_catalog.pg_extension_config_dump('algawf.integration_modules', 'WHERE NOT shipped');
ALTER TABLE algawf.integration_modules ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.integration_modules FORCE ROW LEVEL SECURITY;
CREATE POLICY registry_read ON algawf.integration_modules FOR SELECT USING (true);
COMMENT ON POLICY registry_read ON algawf.integration_modules IS 'Everyone reads the module registry; only algawf.register_integration() writes it.';
GRANT SELECT ON algawf.integration_modules TO PUBLIC;

CREATE FUNCTION algawf._creating_extension() RETURNS boolean
    AS 'MODULE_PATHNAME', 'algawf_creating_extension'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION algawf._creating_extension() IS 'Internal: true while CREATE EXTENSION / ALTER EXTENSION runs a script (shipped registry rows).';

CREATE FUNCTION algawf.register_integration(definition jsonb, replace boolean DEFAULT false) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d jsonb := definition;
    n text := definition ->> 'name';
    r regprocedure;
    k text;
    rl jsonb := definition -> 'rateLimit';
BEGIN
    IF d IS NULL OR jsonb_typeof(d) <> 'object' THEN
        RAISE EXCEPTION 'the integration definition must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR k IN SELECT jsonb_object_keys(d) LOOP
        IF k NOT IN ('name', 'label', 'description', 'resolver', 'rateLimit') THEN
            RAISE EXCEPTION 'invalid integration definition: unknown key "%"', k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Keys: name, label, description, resolver, rateLimit.';
        END IF;
    END LOOP;
    IF n IS NULL OR n !~ '^[a-z][a-z0-9_]*$' OR length(n) > 63 THEN
        RAISE EXCEPTION 'invalid integration definition: "name" must be a lower-case identifier, got %', coalesce(quote_literal(n), 'nothing')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(d ->> 'label', '') = '' THEN
        RAISE EXCEPTION 'invalid integration definition %: "label" is required', n USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        r := to_regprocedure(coalesce(d ->> 'resolver', '') || CASE WHEN d ->> 'resolver' LIKE '%(%' THEN '' ELSE '(uuid)' END);
    EXCEPTION WHEN OTHERS THEN
        r := NULL;
    END;
    IF r IS NULL THEN
        RAISE EXCEPTION 'invalid integration definition %: resolver "%" is not a function (tenant uuid)', n, d ->> 'resolver'
            USING ERRCODE = 'undefined_function',
                  HINT = 'The resolver is a schema-qualified function (tenant uuid) RETURNS jsonb, e.g. "my_schema.acme_connection".';
    END IF;
    IF (SELECT p.prorettype FROM pg_proc p WHERE p.oid = r::oid) <> 'jsonb'::regtype THEN
        RAISE EXCEPTION 'invalid integration definition %: resolver % must return jsonb', n, r USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF rl IS NOT NULL AND (jsonb_typeof(rl) <> 'object'
                           OR jsonb_typeof(rl -> 'requests') <> 'number' OR jsonb_typeof(rl -> 'perSeconds') <> 'number'
                           OR (rl ->> 'requests')::numeric NOT BETWEEN 1 AND 1000
                           OR (rl ->> 'perSeconds')::numeric NOT BETWEEN 1 AND 86400) THEN
        RAISE EXCEPTION 'invalid integration definition %: "rateLimit" must be {"requests": 1..1000, "perSeconds": 1..86400}', n
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM algawf.integration_modules m WHERE m.name = n) AND NOT replace THEN
        RAISE EXCEPTION 'integration "%" is already registered', n
            USING ERRCODE = 'unique_violation',
                  HINT = 'Pass replace => true to change it.';
    END IF;
    INSERT INTO algawf.integration_modules AS m (name, label, description, resolver, rate_limit, definition, shipped,
                                                 registered_at, registered_by)
    VALUES (n, d ->> 'label', coalesce(d ->> 'description', ''), r, rl, d, algawf._creating_extension(),
            CASE WHEN NOT algawf._creating_extension() THEN now() END,
            CASE WHEN NOT algawf._creating_extension() THEN session_user END)
    ON CONFLICT (name) DO UPDATE
        SET label = EXCLUDED.label, description = EXCLUDED.description, resolver = EXCLUDED.resolver,
            rate_limit = EXCLUDED.rate_limit, definition = EXCLUDED.definition, shipped = EXCLUDED.shipped,
            registered_at = EXCLUDED.registered_at, registered_by = EXCLUDED.registered_by;
    RETURN n;
END
$$;
COMMENT ON FUNCTION algawf.register_integration(jsonb, boolean) IS
    'Registers an integration module: {name, label, description?, resolver: "schema.fn" (a function (tenant uuid) RETURNS jsonb describing the tenant''s connection), rateLimit?: {requests, perSeconds}}; returns the name. Actions name the module in availability.integration.';
REVOKE ALL ON FUNCTION algawf.register_integration(jsonb, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.register_integration(jsonb, boolean) TO algawf_admin;

-- The tenant's connection as the module's resolver describes it (secrets as
-- {"$secret": NAME} markers, never values); NULL when there is no module.
CREATE FUNCTION algawf._integration_connection(integration text, tenant uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r regprocedure;
    c jsonb;
BEGIN
    SELECT m.resolver INTO r FROM algawf.integration_modules m WHERE m.name = integration;
    IF NOT FOUND OR tenant IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT %s($1)', r::oid::regproc) INTO c USING tenant;
    IF c IS NULL OR jsonb_typeof(c) <> 'object' THEN
        RETURN jsonb_build_object('connected', false, 'reason', format('the %s resolver gave no connection', integration));
    END IF;
    RETURN c || jsonb_build_object('integration', integration,
                                   'rateLimit', coalesce(c -> 'rateLimit',
                                                         (SELECT m.rate_limit FROM algawf.integration_modules m WHERE m.name = integration),
                                                         'null'));
END
$$;
COMMENT ON FUNCTION algawf._integration_connection(text, uuid) IS
    'Internal: the module''s resolver output for a tenant, with the module''s rate limit; NULL when no module has that name. Errors propagate (callers decide: integration_active() fails closed).';
REVOKE ALL ON FUNCTION algawf._integration_connection(text, uuid) FROM PUBLIC;

CREATE FUNCTION algawf._integration_reason(integration text, tenant uuid) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c jsonb;
BEGIN
    c := algawf._integration_connection(integration, tenant);
    IF c IS NULL THEN
        RETURN format('no integration module "%s" is registered', integration);
    END IF;
    IF coalesce((c ->> 'connected')::boolean, false) THEN
        RETURN NULL;
    END IF;
    RETURN coalesce(c ->> 'reason', 'not connected');
EXCEPTION WHEN OTHERS THEN
    RETURN format('the %s resolver failed: %s', integration, SQLERRM);
END
$$;
COMMENT ON FUNCTION algawf._integration_reason(text, uuid) IS
    'Internal: why an integration is not available to a tenant according to its resolver (NULL when connected).';
REVOKE ALL ON FUNCTION algawf._integration_reason(text, uuid) FROM PUBLIC;

-- integration_status (22_dispatch.sql) with the modules and the resolver's reason
CREATE OR REPLACE VIEW algawf.integration_status AS
    WITH t AS (SELECT algawf.current_tenant() AS tenant),
    names AS (
        SELECT a.integration AS name FROM algawf.actions a WHERE a.integration IS NOT NULL
        UNION SELECT i.integration FROM algawf.integrations i, t WHERE i.tenant = t.tenant
        UNION SELECT r.provider FROM psa.rmm_integrations r, t WHERE r.tenant = t.tenant
        UNION SELECT 'teams' FROM psa.teams_integrations ti, t WHERE ti.tenant = t.tenant
        UNION SELECT m.name FROM algawf.integration_modules m
    )
    SELECT n.name AS integration,
           algawf.integration_active(n.name) AS active,
           CASE WHEN o.integration IS NOT NULL THEN 'override' ELSE 'psa' END AS decided_by,
           o.note,
           ARRAY(SELECT DISTINCT a.action_id FROM algawf.actions a WHERE a.integration = n.name ORDER BY 1) AS actions,
           CASE WHEN o.integration IS NOT NULL THEN NULL ELSE algawf._integration_reason(n.name, t.tenant) END AS reason
      FROM names n
      CROSS JOIN t
      LEFT JOIN algawf.integrations o ON o.tenant = t.tenant AND o.integration = n.name
     WHERE t.tenant IS NOT NULL;
COMMENT ON VIEW algawf.integration_status IS
    'Integrations the registry or the current tenant knows, whether each is available (fail closed), what decided it, the actions that need it, and (when unavailable) the module resolver''s reason.';

-- A connection for the RMM modules: the tenant's psa.rmm_integrations row of
-- the provider, active and connected (connected_at set), with its instance URL.
CREATE FUNCTION algawf.rmm_connection(tenant uuid, provider text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r psa.rmm_integrations;
BEGIN
    SELECT x.* INTO r FROM psa.rmm_integrations x WHERE x.tenant = rmm_connection.tenant AND x.provider = rmm_connection.provider;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('connected', false, 'reason', format('no %s integration is configured (psa.rmm_integrations)', provider));
    END IF;
    IF NOT r.is_active THEN
        RETURN jsonb_build_object('connected', false, 'reason', format('the %s integration is not active', provider),
                                  'integrationId', r.integration_id);
    END IF;
    IF r.connected_at IS NULL THEN
        RETURN jsonb_build_object('connected', false, 'reason', format('the %s integration is active but not connected (connected_at is not set)', provider),
                                  'integrationId', r.integration_id);
    END IF;
    RETURN jsonb_build_object('connected', true, 'integrationId', r.integration_id,
                              'baseUrl', rtrim(r.instance_url, '/'), 'settings', r.settings);
END
$$;
COMMENT ON FUNCTION algawf.rmm_connection(uuid, text) IS
    'For RMM module resolvers: {connected, reason?, integrationId, baseUrl (psa.rmm_integrations.instance_url), settings} of a tenant''s provider row; connected only when the row is active and connected (connected_at set).';
REVOKE ALL ON FUNCTION algawf.rmm_connection(uuid, text) FROM PUBLIC;

-- For RMM modules live device lookups: the vendor device id from the input
-- (device_id / agent_id) or from a synced asset (asset_id).
CREATE FUNCTION algawf._rmm_prepare_device(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    provider text := split_part(ctx ->> 'actionId', '.', 1);
    dev text := coalesce(input ->> 'device_id', input ->> 'agent_id');
BEGIN
    IF input ->> 'asset_id' IS NOT NULL THEN
        SELECT a.rmm_device_id INTO dev FROM psa.assets a
         WHERE a.tenant = algawf._act_tenant(ctx) AND a.asset_id = (input ->> 'asset_id')::uuid AND a.rmm_provider = provider;
        IF NOT FOUND THEN
            PERFORM algawf._act_fail('NOT_FOUND', format('asset %s is not a synced %s device', input ->> 'asset_id', provider),
                                     NULL, format('Sync the device first (%s), or pass its device id.', provider || '.devices.sync'));
        END IF;
    END IF;
    RETURN jsonb_build_object('device_id', dev);
END
$$;
COMMENT ON FUNCTION algawf._rmm_prepare_device(jsonb, jsonb) IS
    'Prepare hook of RMM device lookups: the vendor device id, from the input or from a synced asset (asset_id).';

-- ---------------------------------------------------------------------------
-- The token cache of the OAuth2 and Knox schemes.

CREATE TABLE algawf.integration_tokens (
    tenant          uuid NOT NULL,
    auth_key        text NOT NULL,
    config_hash     text NOT NULL DEFAULT '',
    access_token    bytea,
    refresh_token   bytea,
    fingerprint     text,
    expires_at      timestamptz,
    refreshing_until timestamptz,
    refreshed_at    timestamptz,
    refresh_count   bigint NOT NULL DEFAULT 0,
    invalidated_at  timestamptz,
    PRIMARY KEY (tenant, auth_key)
);
COMMENT ON TABLE algawf.integration_tokens IS
    'Access tokens (and rotated refresh tokens) of integrations that log in (OAuth2 client credentials / refresh token, Tactical RMM Knox), per tenant and auth configuration, encrypted like tenant secrets. Only the extension owner reads the token columns.';
COMMENT ON COLUMN algawf.integration_tokens.auth_key IS '<integration>:<auth configuration name>.';
COMMENT ON COLUMN algawf.integration_tokens.config_hash IS 'Hash of the auth configuration and of when its secrets last changed: a changed secret makes the cached token stale.';
COMMENT ON COLUMN algawf.integration_tokens.access_token IS 'pgp_sym_encrypt(token) under algawf.secret_keys.';
COMMENT ON COLUMN algawf.integration_tokens.refresh_token IS 'A refresh token the endpoint rotated (encrypted), used instead of the configured one.';
COMMENT ON COLUMN algawf.integration_tokens.fingerprint IS 'Short hash of the access token: a 401 invalidates the token only if it is still the one that was refused.';
COMMENT ON COLUMN algawf.integration_tokens.refreshing_until IS 'Lease of the executor fetching a new token (others wait for it instead of logging in too).';
ALTER TABLE algawf.integration_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.integration_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON algawf.integration_tokens
    USING (tenant = (SELECT algawf.current_tenant()))
    WITH CHECK (tenant = (SELECT algawf.current_tenant()));
COMMENT ON POLICY tenant_isolation ON algawf.integration_tokens IS 'Rows of the current tenant only (algawf.current_tenant()); the token columns are the owner''s alone.';
REVOKE ALL ON algawf.integration_tokens FROM PUBLIC;
GRANT SELECT (tenant, auth_key, fingerprint, expires_at, refreshed_at, refresh_count, invalidated_at)
    ON algawf.integration_tokens TO algawf_admin, algawf_operator;
GRANT DELETE ON algawf.integration_tokens TO algawf_admin;

CREATE FUNCTION algawf._secret_key() RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
BEGIN
    SELECT sk.key INTO k FROM algawf.secret_keys sk WHERE sk.key_id = 1;
    IF NOT FOUND THEN
        INSERT INTO algawf.secret_keys (key_id, key)
        VALUES (1, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''))
        ON CONFLICT ON CONSTRAINT secret_keys_pkey DO NOTHING;
        SELECT sk.key INTO STRICT k FROM algawf.secret_keys sk WHERE sk.key_id = 1;
    END IF;
    RETURN k;
END
$$;
COMMENT ON FUNCTION algawf._secret_key() IS 'Internal: the database''s secret key (created when missing).';
REVOKE ALL ON FUNCTION algawf._secret_key() FROM PUBLIC;

CREATE FUNCTION algawf._token_crypt(value text, decrypt_value bytea) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsp text;
    r text;
BEGIN
    SELECT quote_ident(n.nspname) INTO STRICT nsp
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgcrypto';
    IF decrypt_value IS NOT NULL THEN
        EXECUTE format('SELECT %s.pgp_sym_decrypt($1, $2)', nsp) INTO r USING decrypt_value, algawf._secret_key();
        RETURN r;
    END IF;
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT encode(%s.pgp_sym_encrypt($1, $2, %L), ''base64'')', nsp, 'cipher-algo=aes256')
        INTO r USING value, algawf._secret_key();
    RETURN r;
END
$$;
COMMENT ON FUNCTION algawf._token_crypt(text, bytea) IS 'Internal: encrypts a token (base64 of the ciphertext) or decrypts one.';
REVOKE ALL ON FUNCTION algawf._token_crypt(text, bytea) FROM PUBLIC;

-- A usable cached token: the decrypted token and fingerprint, or no row.
CREATE FUNCTION algawf._token_get(p_tenant uuid, p_key text, p_hash text,
                                  OUT access_token text, OUT refresh_token text, OUT fingerprint text,
                                  OUT expires_at timestamptz, OUT usable boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r algawf.integration_tokens;
BEGIN
    SELECT x.* INTO r FROM algawf.integration_tokens x WHERE x.tenant = p_tenant AND x.auth_key = p_key;
    IF NOT FOUND OR r.config_hash <> p_hash THEN
        usable := false;
        RETURN;
    END IF;
    IF r.refresh_token IS NOT NULL THEN
        refresh_token := algawf._token_crypt(NULL, r.refresh_token);
    END IF;
    usable := r.access_token IS NOT NULL AND r.invalidated_at IS NULL AND r.expires_at > now() + interval '30 seconds';
    IF usable THEN
        access_token := algawf._token_crypt(NULL, r.access_token);
        fingerprint := r.fingerprint;
        expires_at := r.expires_at;
    END IF;
END
$$;
COMMENT ON FUNCTION algawf._token_get(uuid, text, text) IS 'Internal: the cached token of an auth configuration when it is still valid for 30 seconds and the configuration has not changed; the rotated refresh token if any.';
REVOKE ALL ON FUNCTION algawf._token_get(uuid, text, text) FROM PUBLIC;

-- Take the lease of fetching a new token: true for one caller at a time.
CREATE FUNCTION algawf._token_lease(p_tenant uuid, p_key text, p_seconds int) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO algawf.integration_tokens AS x (tenant, auth_key, refreshing_until)
    VALUES (p_tenant, p_key, clock_timestamp() + p_seconds * interval '1 second')
    ON CONFLICT (tenant, auth_key) DO UPDATE
        SET refreshing_until = EXCLUDED.refreshing_until
      WHERE x.refreshing_until IS NULL OR x.refreshing_until < clock_timestamp();
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION algawf._token_lease(uuid, text, int) IS 'Internal: claims the right to fetch a new token for p_seconds; false while another executor holds it.';
REVOKE ALL ON FUNCTION algawf._token_lease(uuid, text, int) FROM PUBLIC;

CREATE FUNCTION algawf._token_put(p_tenant uuid, p_key text, p_hash text, p_access text, p_refresh text,
                                  p_fingerprint text, p_expires_at timestamptz) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO algawf.integration_tokens AS x (tenant, auth_key, config_hash, access_token, refresh_token, fingerprint,
                                                expires_at, refreshing_until, refreshed_at, refresh_count)
    VALUES (p_tenant, p_key, p_hash, decode(algawf._token_crypt(p_access, NULL), 'base64'),
            decode(algawf._token_crypt(p_refresh, NULL), 'base64'), p_fingerprint, p_expires_at, NULL, now(), 1)
    ON CONFLICT (tenant, auth_key) DO UPDATE
        SET config_hash = EXCLUDED.config_hash, access_token = EXCLUDED.access_token,
            refresh_token = coalesce(EXCLUDED.refresh_token, CASE WHEN x.config_hash = EXCLUDED.config_hash THEN x.refresh_token END),
            fingerprint = EXCLUDED.fingerprint, expires_at = EXCLUDED.expires_at, refreshing_until = NULL,
            refreshed_at = now(), refresh_count = x.refresh_count + 1, invalidated_at = NULL;
END
$$;
COMMENT ON FUNCTION algawf._token_put(uuid, text, text, text, text, text, timestamptz) IS 'Internal: stores a fetched token (encrypted) and releases the lease.';
REVOKE ALL ON FUNCTION algawf._token_put(uuid, text, text, text, text, text, timestamptz) FROM PUBLIC;

CREATE FUNCTION algawf._token_release(p_tenant uuid, p_key text) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE algawf.integration_tokens SET refreshing_until = NULL WHERE tenant = p_tenant AND auth_key = p_key;
$$;
COMMENT ON FUNCTION algawf._token_release(uuid, text) IS 'Internal: gives up the lease after a failed token fetch.';
REVOKE ALL ON FUNCTION algawf._token_release(uuid, text) FROM PUBLIC;

CREATE FUNCTION algawf._token_invalidate(p_tenant uuid, p_key text, p_fingerprint text) RETURNS boolean
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    WITH u AS (
        UPDATE algawf.integration_tokens SET invalidated_at = now()
         WHERE tenant = p_tenant AND auth_key = p_key AND fingerprint = p_fingerprint AND invalidated_at IS NULL
        RETURNING 1)
    SELECT count(*) > 0 FROM u;
$$;
COMMENT ON FUNCTION algawf._token_invalidate(uuid, text, text) IS 'Internal: marks the cached token refused by the API (401) as unusable, if it is still the one that was sent.';
REVOKE ALL ON FUNCTION algawf._token_invalidate(uuid, text, text) FROM PUBLIC;

-- When the secrets an auth configuration names last changed (for config_hash).
CREATE FUNCTION algawf._secrets_changed(p_tenant uuid, p_names text[]) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT string_agg(s.name || '@' || extract(epoch FROM s.updated_at)::text, ',' ORDER BY s.name)
      FROM algawf.tenant_secrets s WHERE s.tenant = p_tenant AND s.name = ANY (p_names);
$$;
COMMENT ON FUNCTION algawf._secrets_changed(uuid, text[]) IS 'Internal: name@updated_at of the named secrets of a tenant.';
REVOKE ALL ON FUNCTION algawf._secrets_changed(uuid, text[]) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Rate limits: per tenant and bucket (an integration, or a bucket an action
-- names), the send times still inside the window.  Shared by every executor:
-- a send takes the row lock, so the limit holds across executors and nodes.

CREATE TABLE algawf.rate_limits (
    tenant          uuid NOT NULL,
    bucket          text NOT NULL,
    sends           bigint[] NOT NULL DEFAULT '{}',
    requests        int NOT NULL,
    window_ms       bigint NOT NULL,
    delayed         bigint NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, bucket)
);
COMMENT ON TABLE algawf.rate_limits IS
    'Request limits of integrations per tenant (at most `requests` sends in any `window_ms`): the send times (Unix ms) still inside the window. Executors take a row''s lock to send, so the limit holds across them.';
COMMENT ON COLUMN algawf.rate_limits.sends IS 'Unix ms of the sends inside the window, oldest first.';
COMMENT ON COLUMN algawf.rate_limits.delayed IS 'How many sends had to wait for the window (counter).';
ALTER TABLE algawf.rate_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.rate_limits FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON algawf.rate_limits
    USING (tenant = (SELECT algawf.current_tenant()))
    WITH CHECK (tenant = (SELECT algawf.current_tenant()));
COMMENT ON POLICY tenant_isolation ON algawf.rate_limits IS 'Rows of the current tenant only (algawf.current_tenant()).';
REVOKE ALL ON algawf.rate_limits FROM PUBLIC;
GRANT SELECT ON algawf.rate_limits TO algawf_admin, algawf_operator;

-- ---------------------------------------------------------------------------
-- The outbox, for declarative requests.

ALTER TABLE algawf.http_requests
    ADD COLUMN decl       jsonb,
    ADD COLUMN decl_state jsonb;
CREATE INDEX http_requests_invocation_idx ON algawf.http_requests (tenant, invocation_id) WHERE invocation_id IS NOT NULL;
COMMENT ON INDEX algawf.http_requests_invocation_idx IS 'A declarative call finds its request by its invocation (a repeated call answers from it).';
COMMENT ON COLUMN algawf.http_requests.decl IS
    'For a declarative action: {action, version, integration, auth (configuration, secrets as markers), authName, input, prepared, connection, request (the template), rate}. NULL for http.request.';
COMMENT ON COLUMN algawf.http_requests.decl_state IS
    'For a declarative action: pages fetched, items collected, cursor, retries ({page, items, cursor, transient, auth, phase}).';

-- The final result of a declarative request: the row done or failed, the
-- waiting run resumed with the mapped result ({ok, output} | {ok: false, error}).
CREATE FUNCTION algawf._decl_finish(p_tenant uuid, p_request uuid, p_owner text, p_status text,
    p_response_status int, p_response_headers jsonb, p_response_body text, p_response_json jsonb,
    p_result jsonb, p_state jsonb, p_elapsed_ms int) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    UPDATE algawf.http_requests
       SET status = p_status, response_status = p_response_status, response_headers = p_response_headers,
           response_body = p_response_body, response_json = p_response_json,
           error = CASE WHEN p_status = 'failed' THEN p_result -> 'error' END,
           decl_state = p_state, elapsed_ms = p_elapsed_ms, completed_at = clock_timestamp(),
           lease_owner = NULL, lease_expires_at = NULL
     WHERE tenant = p_tenant AND request_id = p_request AND status = 'sending' AND lease_owner = p_owner
    RETURNING run_id, step_path INTO r;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF r.run_id IS NULL THEN
        RETURN true;
    END IF;
    PERFORM 1 FROM algawf.workflow_runs x
     WHERE x.tenant = p_tenant AND x.run_id = r.run_id AND x.status IN ('RUNNING', 'WAITING') FOR UPDATE;
    IF FOUND THEN
        UPDATE algawf.workflow_run_waits w
           SET status = 'RESOLVED', resolution = p_result, resolved_at = clock_timestamp()
         WHERE w.tenant = p_tenant AND w.run_id = r.run_id AND w.kind = 'action'
           AND w.step_path = r.step_path AND w.status = 'WAITING';
        IF FOUND THEN
            PERFORM algawf._wake(p_tenant, r.run_id);
        END IF;
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION algawf._decl_finish(uuid, uuid, text, text, int, jsonb, text, jsonb, jsonb, jsonb, int) IS
    'Internal: an executor records the final result of a declarative request (if it still holds the lease) and resumes the run waiting for it with the mapped result.';
REVOKE ALL ON FUNCTION algawf._decl_finish(uuid, uuid, text, text, int, jsonb, text, jsonb, jsonb, jsonb, int) FROM PUBLIC;

-- Put a declarative request back in the queue: a retry, the next page, after a token.
CREATE FUNCTION algawf._decl_requeue(p_tenant uuid, p_request uuid, p_owner text, p_delay_ms bigint,
    p_state jsonb, p_url text, p_body_json jsonb, p_response_status int, p_error jsonb,
    p_keep_attempt boolean DEFAULT false, p_method text DEFAULT NULL, p_headers jsonb DEFAULT NULL,
    p_body text DEFAULT NULL) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE algawf.http_requests
       SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
           next_attempt_at = clock_timestamp() + greatest(p_delay_ms, 0) * interval '1 millisecond',
           attempt = CASE WHEN p_keep_attempt THEN greatest(attempt - 1, 0) ELSE 0 END,
           decl_state = coalesce(p_state, decl_state), url = coalesce(p_url, url),
           body_json = CASE WHEN p_url IS NOT NULL THEN p_body_json ELSE body_json END,
           body = CASE WHEN p_method IS NOT NULL THEN p_body ELSE body END,
           method = coalesce(p_method, method), headers = coalesce(p_headers, headers),
           response_status = coalesce(p_response_status, response_status),
           error = coalesce(p_error, error)
     WHERE tenant = p_tenant AND request_id = p_request AND status = 'sending' AND lease_owner = p_owner;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION algawf._decl_requeue(uuid, uuid, text, bigint, jsonb, text, jsonb, int, jsonb, boolean, text, jsonb, text) IS
    'Internal: an executor puts a declarative request back in the queue (retry after a delay, next page, a follow-up request, after fetching a token, rate limit wait).';
REVOKE ALL ON FUNCTION algawf._decl_requeue(uuid, uuid, text, bigint, jsonb, text, jsonb, int, jsonb, boolean, text, jsonb, text) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- For users

CREATE FUNCTION algawf.invocation_result(invocation_id uuid, wait_ms integer DEFAULT 0) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf.require_tenant();
    deadline timestamptz := clock_timestamp() + greatest(coalesce(wait_ms, 0), 0) * interval '1 millisecond';
    r record;
BEGIN
    LOOP
        SELECT i.status, i.output, i.error INTO r
          FROM algawf.workflow_action_invocations i
         WHERE i.tenant = t AND i.invocation_id = invocation_result.invocation_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'invocation % does not exist for this tenant', invocation_id
                USING ERRCODE = 'undefined_object';
        END IF;
        EXIT WHEN r.status NOT IN ('DEFERRED', 'RUNNING') OR clock_timestamp() >= deadline;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN jsonb_build_object('status', r.status, 'ok', r.status = 'SUCCEEDED')
        || CASE WHEN r.status = 'SUCCEEDED' THEN jsonb_build_object('output', r.output) ELSE '{}' END
        || CASE WHEN r.error IS NOT NULL THEN jsonb_build_object('error', r.error) ELSE '{}' END;
END
$$;
COMMENT ON FUNCTION algawf.invocation_result(uuid, integer) IS
    'The outcome of an invocation of the current tenant: {status, ok, output | error}; waits up to wait_ms while it is DEFERRED (an HTTP request the worker has not answered yet). Call it in a new transaction after the one that made the call has committed.';
REVOKE ALL ON FUNCTION algawf.invocation_result(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.invocation_result(uuid, integer) TO algawf_admin, algawf_operator, algawf_service;

CREATE FUNCTION algawf.http_preview(action_id text, input jsonb, version integer DEFAULT 1) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'algawf_http_preview'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION algawf.http_preview(text, jsonb, integer) IS
    'The request a declarative HTTP action would send for this input and the current tenant''s connection, without sending it: {method, url, headers, body, auth, rateLimit}. Secrets and credentials are shown as "[REDACTED]" / the auth scheme''s name.';
REVOKE ALL ON FUNCTION algawf.http_preview(text, jsonb, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.http_preview(text, jsonb, integer) TO algawf_admin, algawf_operator, algawf_service;
