-- Tenancy: which roles may act for which tenant.  Every row-level security
-- policy in algawf and algawf_psa is keyed on algawf.current_tenant().

CREATE TABLE algawf.tenant_roles (
    tenant      uuid NOT NULL,
    member      regrole NOT NULL,
    added_at    timestamptz NOT NULL DEFAULT now(),
    added_by    name NOT NULL DEFAULT current_user,
    PRIMARY KEY (tenant, member)
);
COMMENT ON TABLE algawf.tenant_roles IS
    'Roles allowed to act for a tenant: a session may set algawf.tenant to a tenant only when its role is a member of one of these roles (or holds algawf_service).';
COMMENT ON COLUMN algawf.tenant_roles.member IS 'A role; its members (with inheritance) act for the tenant.';
SELECT pg_catalog.pg_extension_config_dump('algawf.tenant_roles', '');

ALTER TABLE algawf.tenant_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.tenant_roles FORCE ROW LEVEL SECURITY;
-- a role sees the memberships it holds, nothing else
CREATE POLICY own_memberships ON algawf.tenant_roles FOR SELECT
    USING (pg_catalog.pg_has_role(member, 'USAGE'));
GRANT SELECT ON algawf.tenant_roles TO PUBLIC;

CREATE FUNCTION algawf.current_tenant() RETURNS uuid
    AS 'MODULE_PATHNAME', 'algawf_current_tenant'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION algawf.current_tenant() IS
    'The algawf.tenant setting when the current role may act for that tenant, else NULL (and so no rows).';

CREATE FUNCTION algawf.require_tenant() RETURNS uuid
    AS 'MODULE_PATHNAME', 'algawf_require_tenant'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION algawf.require_tenant() IS
    'Like current_tenant(), but raises insufficient_privilege with a hint instead of returning NULL.';

CREATE FUNCTION algawf.add_tenant_member(tenant uuid, member regrole) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO algawf.tenant_roles (tenant, member) VALUES ($1, $2)
    ON CONFLICT DO NOTHING;
$$;
COMMENT ON FUNCTION algawf.add_tenant_member(uuid, regrole) IS
    'Lets the members of a role act for a tenant (SET algawf.tenant = ...). Owner only by default.';
REVOKE ALL ON FUNCTION algawf.add_tenant_member(uuid, regrole) FROM PUBLIC;

CREATE FUNCTION algawf.remove_tenant_member(tenant uuid, member regrole) RETURNS boolean
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    WITH d AS (DELETE FROM algawf.tenant_roles r WHERE r.tenant = $1 AND r.member = $2 RETURNING 1)
    SELECT count(*) > 0 FROM d;
$$;
COMMENT ON FUNCTION algawf.remove_tenant_member(uuid, regrole) IS
    'Revokes a role''s access to a tenant; returns whether a membership was removed.';
REVOKE ALL ON FUNCTION algawf.remove_tenant_member(uuid, regrole) FROM PUBLIC;
