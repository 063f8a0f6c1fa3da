/*
 * tenancy.c — algawf.current_tenant(): the key of every row-level security
 * policy in both extensions.
 *
 * The algawf.tenant setting is honoured only when the *outer* role (the one the
 * session runs as, not a SECURITY DEFINER function's owner) is a member of the
 * tenant in algawf.tenant_roles, or holds algawf_service.  Reading tenant_roles
 * here, below the SQL level, keeps the check independent of that table's own
 * privileges and of whichever function happens to be executing.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/uuid.h"

#include "guc.h"
#include "tenancy.h"

/* one answer per (transaction, command, outer role, setting) */
static LocalTransactionId cached_lxid = InvalidLocalTransactionId;
static CommandId cached_cid = InvalidCommandId;
static Oid	cached_role = InvalidOid;
static char cached_setting[40];
static bool cached_valid = false;
static pg_uuid_t cached_tenant;

static bool
role_holds_tenant(Oid role, const pg_uuid_t *tenant)
{
	Oid			nsp = get_namespace_oid("algawf", true);
	Oid			relid;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	bool		found = false;

	if (!OidIsValid(nsp))
		return false;
	relid = get_relname_relid("tenant_roles", nsp);
	if (!OidIsValid(relid))
		return false;

	rel = table_open(relid, AccessShareLock);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(tenant));
	scan = systable_beginscan(rel, InvalidOid, false,
							  ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot(),
							  1, &key);
	while (!found && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		member = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull);

		if (!isnull && has_privs_of_role(role, DatumGetObjectId(member)))
			found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

bool
algawf_tenant_get(pg_uuid_t *out)
{
	Oid			role = GetOuterUserId();
	Oid			service;
	pg_uuid_t  *tenant;

	if (algawf_tenant == NULL || algawf_tenant[0] == '\0')
		return false;

	if (cached_lxid == MyProc->lxid && cached_cid == GetCurrentCommandId(false) &&
		cached_role == role && strcmp(cached_setting, algawf_tenant) == 0)
	{
		if (cached_valid)
			*out = cached_tenant;
		return cached_valid;
	}

	tenant = DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(algawf_tenant)));
	service = get_role_oid("algawf_service", true);
	cached_valid = (OidIsValid(service) && has_privs_of_role(role, service)) ||
		role_holds_tenant(role, tenant);
	cached_tenant = *tenant;
	cached_lxid = MyProc->lxid;
	cached_cid = GetCurrentCommandId(false);
	cached_role = role;
	strlcpy(cached_setting, algawf_tenant, sizeof(cached_setting));
	if (cached_valid)
		*out = cached_tenant;
	return cached_valid;
}

pg_uuid_t *
algawf_tenant_require(void)
{
	pg_uuid_t  *t = palloc(sizeof(pg_uuid_t));

	if (algawf_tenant == NULL || algawf_tenant[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("no tenant is set"),
				 errhint("SET algawf.tenant = '<tenant uuid>' first.")));
	if (!algawf_tenant_get(t))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" is not a member of tenant %s",
						GetUserNameFromId(GetOuterUserId(), false), algawf_tenant),
				 errhint("An owner grants access with SELECT algawf.add_tenant_member('%s', '<role>').",
						 algawf_tenant)));
	return t;
}

PG_FUNCTION_INFO_V1(algawf_current_tenant);
Datum
algawf_current_tenant(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *t = palloc(sizeof(pg_uuid_t));

	if (!algawf_tenant_get(t))
		PG_RETURN_NULL();
	PG_RETURN_UUID_P(t);
}

PG_FUNCTION_INFO_V1(algawf_require_tenant);
Datum
algawf_require_tenant(PG_FUNCTION_ARGS)
{
	PG_RETURN_UUID_P(algawf_tenant_require());
}
