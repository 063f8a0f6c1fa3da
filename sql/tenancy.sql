-- Tenancy: who may act for which tenant.
CREATE EXTENSION IF NOT EXISTS algawf CASCADE;

CREATE ROLE tenancy_alice;
CREATE ROLE tenancy_bob;
CREATE ROLE tenancy_svc IN ROLE algawf_service;
CREATE ROLE tenancy_team;
GRANT tenancy_team TO tenancy_bob;

SELECT algawf.add_tenant_member('00000000-0000-0000-0000-00000000000a', 'tenancy_alice');
SELECT algawf.add_tenant_member('00000000-0000-0000-0000-00000000000b', 'tenancy_team');
-- adding twice is harmless
SELECT algawf.add_tenant_member('00000000-0000-0000-0000-00000000000a', 'tenancy_alice');

-- a malformed tenant id is refused by the setting itself
SET algawf.tenant = 'not-a-uuid';
SET algawf.tenant = '00000000-0000-0000-0000-00000000000a';

SET ROLE tenancy_alice;
SELECT algawf.current_tenant();                 -- alice is a member of A
SET algawf.tenant = '00000000-0000-0000-0000-00000000000b';
SELECT algawf.current_tenant() IS NULL AS not_b; -- but not of B
SELECT algawf.require_tenant();                 -- so this says why
SELECT tenant FROM algawf.tenant_roles ORDER BY 1;  -- sees only her own memberships
-- members cannot grant themselves other tenants
SELECT algawf.add_tenant_member('00000000-0000-0000-0000-00000000000b', 'tenancy_alice');
RESET ROLE;

SET ROLE tenancy_bob;                            -- member through tenancy_team
SELECT algawf.current_tenant();
RESET ROLE;

SET ROLE tenancy_svc;                            -- the service role acts for any tenant
SET algawf.tenant = '00000000-0000-0000-0000-0000000000ff';
SELECT algawf.current_tenant();
RESET ROLE;

RESET algawf.tenant;
SELECT algawf.current_tenant() IS NULL AS unset;
SELECT algawf.require_tenant();

SELECT algawf.remove_tenant_member('00000000-0000-0000-0000-00000000000a', 'tenancy_alice');
SELECT algawf.remove_tenant_member('00000000-0000-0000-0000-00000000000a', 'tenancy_alice');
SET algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SET ROLE tenancy_alice;
SELECT algawf.current_tenant() IS NULL AS removed;
RESET ROLE;
RESET algawf.tenant;

-- GUCs are reserved: a typo is an error, not a silent placeholder
SET algawf.tenatn = 'x';

SELECT algawf.remove_tenant_member('00000000-0000-0000-0000-00000000000b', 'tenancy_team');
DROP ROLE tenancy_alice;
DROP ROLE tenancy_bob;
DROP ROLE tenancy_svc;
DROP ROLE tenancy_team;
