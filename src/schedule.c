/*
 * schedule.c — starting the run of a schedule's fire, and the trigger that
 * wakes the executors when a table gets a row they must act on at a given
 * time (workflow_runs.runnable_at, schedules.next_fire_at,
 * http_requests.next_attempt_at).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "interp.h"
#include "wake.h"
#include "worker.h"

/*
 * algawf._start_scheduled_run(tenant, workflow_id, payload, kind, fire_key,
 * slot, schedule_id) -> run id, or NULL when a run with this fire key exists
 * already (another process fired the slot).
 */
PG_FUNCTION_INFO_V1(algawf_start_scheduled_run);
Datum
algawf_start_scheduled_run(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant = PG_GETARG_UUID_P(0);
	pg_uuid_t  *workflow = PG_GETARG_UUID_P(1);
	Jsonb	   *payload = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(3));
	char	   *fire_key = text_to_cstring(PG_GETARG_TEXT_PP(4));
	TimestampTz slot = PG_GETARG_TIMESTAMPTZ(5);
	pg_uuid_t  *schedule = PG_GETARG_UUID_P(6);
	pg_uuid_t  *run = palloc(sizeof(pg_uuid_t));
	WfRunRequest req;
	Oid			types[2] = {UUIDOID, TEXTOID};
	Datum		args[2];
	bool		exists;
	StringInfoData meta;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = UUIDPGetDatum(tenant);
	args[1] = CStringGetTextDatum(fire_key);
	if (SPI_execute_with_args("SELECT 1 FROM algawf.workflow_runs WHERE tenant = $1 AND trigger_fire_key = $2",
							  2, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "algawf: fire key lookup failed");
	exists = SPI_processed > 0;
	if (!exists)
	{
		memset(&req, 0, sizeof(req));
		req.tenant = *tenant;
		req.workflow_id = *workflow;
		req.version = 0;
		req.payload = payload ? payload :
			DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
		req.trigger_type = strcmp(kind, "recurring") == 0 ? "recurring" : "schedule";
		req.fire_key = fire_key;
		initStringInfo(&meta);
		appendStringInfo(&meta, "{\"scheduleId\": \"%s\", \"scheduledFor\": \"%s\", \"fireKey\": ",
						 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(schedule))),
						 wf_iso_time(slot));
		escape_json(&meta, fire_key);
		appendStringInfoChar(&meta, '}');
		req.trigger_metadata = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(meta.data)));
		*run = wf_create_run(&req);
	}
	SPI_finish();
	if (exists)
		PG_RETURN_NULL();
	PG_RETURN_UUID_P(run);
}

/*
 * AFTER INSERT OR UPDATE trigger: TG_ARGV[0] names a timestamptz column; when
 * the row's time is now or past, wake an executor at commit, otherwise make
 * sure one wakes by then.  Executors themselves skip it: they look for work
 * again before they sleep.
 */
PG_FUNCTION_INFO_V1(algawf_wake_trigger);
Datum
algawf_wake_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	HeapTuple	tup;
	int			attno;
	bool		isnull;
	Datum		d;

	if (!CALLED_AS_TRIGGER(fcinfo) || td->tg_trigger->tgnargs != 1)
		elog(ERROR, "algawf_wake_trigger: must be a trigger with one argument");
	tup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	if (algawf_is_executor)
		return PointerGetDatum(tup);
	attno = SPI_fnumber(td->tg_relation->rd_att, td->tg_trigger->tgargs[0]);
	if (attno <= 0)
		elog(ERROR, "algawf_wake_trigger: column \"%s\" not found", td->tg_trigger->tgargs[0]);
	d = heap_getattr(tup, attno, td->tg_relation->rd_att, &isnull);
	if (!isnull)
	{
		TimestampTz t = DatumGetTimestampTz(d);

		if (t <= GetCurrentTimestamp())
			algawf_wake_at_commit();
		else
			algawf_wake_at(t);
	}
	return PointerGetDatum(tup);
}
