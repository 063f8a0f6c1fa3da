/*
 * runs_pg.c — SQL entry points for runs: algawf.run(), algawf.run_segment()
 * and the event-filter helper used by algawf.deliver_event().
 *
 * These are SECURITY DEFINER functions (see 31_runs.sql): every statement
 * they run filters on the tenant the caller may act for.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "guc.h"
#include "interp.h"
#include "jval_pg.h"
#include "stmt.h"
#include "tenancy.h"

static WfStmt st_resolve_key = {
	"SELECT workflow_id FROM algawf.workflow_definitions "
	"WHERE tenant = $1 AND (key = $2 OR workflow_id::text = lower($2)) "
	"ORDER BY key = $2 DESC LIMIT 1",
	2, {UUIDOID, TEXTOID}
};

static bool
current_actor(pg_uuid_t *out)
{
	if (algawf_user == NULL || algawf_user[0] == '\0')
		return false;
	*out = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(algawf_user)));
	return true;
}

/* run_id is allocated by the caller outside SPI memory */
static void
run_common(pg_uuid_t *tenant, pg_uuid_t *workflow_id, Jsonb *payload, bool wait, pg_uuid_t *run_id)
{
	WfRunRequest req;

	memset(&req, 0, sizeof(req));
	req.tenant = *tenant;
	req.workflow_id = *workflow_id;
	req.payload = payload;
	req.trigger_type = "manual";
	req.has_actor = current_actor(&req.actor);
	*run_id = wf_create_run(&req);
	if (wait)
	{
		const char *r;

		do
			r = wf_run_segment(tenant, run_id, true, 0);
		while (strcmp(r, "yielded") == 0);
	}
}

PG_FUNCTION_INFO_V1(algawf_run_by_id);
Datum
algawf_run_by_id(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant = algawf_tenant_require();
	pg_uuid_t  *wf;
	Jsonb	   *payload;
	pg_uuid_t  *run_id = palloc(sizeof(pg_uuid_t));

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("workflow_id must not be NULL")));
	wf = PG_GETARG_UUID_P(0);
	payload = PG_ARGISNULL(1) ? DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")))
		: PG_GETARG_JSONB_P(1);
	SPI_connect();
	run_common(tenant, wf, payload, !PG_ARGISNULL(2) && PG_GETARG_BOOL(2), run_id);
	SPI_finish();
	PG_RETURN_UUID_P(run_id);
}

PG_FUNCTION_INFO_V1(algawf_run_by_key);
Datum
algawf_run_by_key(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant = algawf_tenant_require();
	text	   *key;
	Jsonb	   *payload;
	Datum		v[2];
	bool		isnull;
	pg_uuid_t	wf;
	pg_uuid_t  *run_id = palloc(sizeof(pg_uuid_t));

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("workflow_key must not be NULL")));
	key = PG_GETARG_TEXT_PP(0);
	payload = PG_ARGISNULL(1) ? DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")))
		: PG_GETARG_JSONB_P(1);
	SPI_connect();
	v[0] = UUIDPGetDatum(tenant);
	v[1] = PointerGetDatum(key);
	if (wf_stmt_exec(&st_resolve_key, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("workflow \"%s\" does not exist", text_to_cstring(key)),
				 errhint("List workflows with SELECT workflow_id, key, name FROM algawf.workflow_definitions.")));
	wf = *DatumGetUUIDP(wf_result(1, &isnull));
	run_common(tenant, &wf, payload, !PG_ARGISNULL(2) && PG_GETARG_BOOL(2), run_id);
	SPI_finish();
	PG_RETURN_UUID_P(run_id);
}

PG_FUNCTION_INFO_V1(algawf_run_segment);
Datum
algawf_run_segment(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant = algawf_tenant_require();
	const char *r;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("run_id must not be NULL")));
	SPI_connect();
	r = wf_run_segment(tenant, PG_GETARG_UUID_P(0), false, 0);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(r));
}

PG_FUNCTION_INFO_V1(algawf_event_filters_match);
Datum
algawf_event_filters_match(PG_FUNCTION_ARGS)
{
	JvArena		a;
	bool		r;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(true);
	if (PG_ARGISNULL(1))
		PG_RETURN_BOOL(false);
	jv_arena_init_pg(&a, CurrentMemoryContext);
	r = wf_event_filters_match(jv_from_jsonb(&a, PG_GETARG_JSONB_P(0)),
							   jv_from_jsonb(&a, PG_GETARG_JSONB_P(1)));
	PG_RETURN_BOOL(r);
}
