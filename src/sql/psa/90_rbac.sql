-- RBAC checks over users -> user_roles -> roles -> role_permissions -> permissions.
-- SECURITY INVOKER: row-level security limits them to the current tenant.

CREATE FUNCTION psa.user_has_permission(user_id uuid, resource text, action text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1
          FROM psa.users u
          JOIN psa.user_roles ur ON ur.tenant = u.tenant AND ur.user_id = u.user_id
          JOIN psa.roles r ON r.tenant = ur.tenant AND r.role_id = ur.role_id
          JOIN psa.role_permissions rp ON rp.tenant = r.tenant AND rp.role_id = r.role_id
          JOIN psa.permissions p ON p.tenant = rp.tenant AND p.permission_id = rp.permission_id
         WHERE u.user_id = $1
           AND p.resource = $2
           AND p.action = $3
           AND NOT u.is_inactive
           AND (u.tenant = psa.current_tenant() OR psa.current_tenant() IS NULL)
           AND CASE u.user_type WHEN 'client' THEN r.client AND p.client ELSE r.msp AND p.msp END)
$$;
COMMENT ON FUNCTION psa.user_has_permission(uuid, text, text) IS
    'Whether an active user holds resource:action through one of their roles (client users only through client roles and permissions). Sees the current tenant''s rows only (row-level security).';

CREATE FUNCTION psa.user_permissions(user_id uuid)
    RETURNS TABLE (resource text, action text)
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT DISTINCT p.resource, p.action
      FROM psa.users u
      JOIN psa.user_roles ur ON ur.tenant = u.tenant AND ur.user_id = u.user_id
      JOIN psa.roles r ON r.tenant = ur.tenant AND r.role_id = ur.role_id
      JOIN psa.role_permissions rp ON rp.tenant = r.tenant AND rp.role_id = r.role_id
      JOIN psa.permissions p ON p.tenant = rp.tenant AND p.permission_id = rp.permission_id
     WHERE u.user_id = $1
       AND NOT u.is_inactive
       AND (u.tenant = psa.current_tenant() OR psa.current_tenant() IS NULL)
       AND CASE u.user_type WHEN 'client' THEN r.client AND p.client ELSE r.msp AND p.msp END
     ORDER BY 1, 2
$$;
COMMENT ON FUNCTION psa.user_permissions(uuid) IS
    'Every resource:action an active user holds, for the current tenant (row-level security applies).';
