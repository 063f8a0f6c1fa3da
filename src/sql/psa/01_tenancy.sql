-- The tenant a session acts for.  The same C function as algawf.current_tenant():
-- the algawf.tenant setting, honoured only when the session's role is a member of
-- that tenant (algawf.tenant_roles) or holds algawf_service; otherwise NULL, and
-- every policy below then matches no row.  Defined here, against the shared
-- library, because algawf_psa is created before the algawf schema exists.
CREATE FUNCTION psa.current_tenant() RETURNS uuid
    AS '$libdir/algawf', 'algawf_current_tenant'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION psa.current_tenant() IS
    'The algawf.tenant setting when the current role may act for that tenant, else NULL (and so no rows). Same as algawf.current_tenant().';

-- Shared trigger function: keeps updated_at current on tables that have one.
CREATE FUNCTION psa.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION psa.touch_updated_at() IS 'BEFORE UPDATE trigger: sets updated_at to now().';
