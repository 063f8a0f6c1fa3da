/*
 * status.c — SQL access to the workers' shared state: the rows of
 * algawf.worker_status, the facts algawf.status() reports, and the
 * wake-up calls for SQL-level code.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "guc.h"
#include "shmem.h"
#include "wake.h"

#define WS_COLS 16

PG_FUNCTION_INFO_V1(algawf_worker_status);
Datum
algawf_worker_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	WorkerSlot *copy;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (algawf_shared == NULL)
		PG_RETURN_NULL();

	n = algawf_shared->nslots;
	copy = palloc(sizeof(WorkerSlot) * n);
	SpinLockAcquire(&algawf_shared->mutex);
	memcpy(copy, algawf_shared->slots, sizeof(WorkerSlot) * n);
	SpinLockRelease(&algawf_shared->mutex);

	for (i = 0; i < n; i++)
	{
		WorkerSlot *s = &copy[i];
		Datum		v[WS_COLS];
		bool		nulls[WS_COLS];
		int			k = 0;

		if (i >= algawf_workers)
			break;
		memset(nulls, 0, sizeof(nulls));
		v[k] = Int32GetDatum(i + 1);
		k++;
		v[k] = Int32GetDatum(s->pid);
		nulls[k++] = (s->pid == 0);
		v[k++] = CStringGetTextDatum(algawf_worker_state_name(s->pid == 0 ? WS_STOPPED : s->state));
		v[k] = TimestampTzGetDatum(s->state_since);
		nulls[k++] = (s->state_since == 0);
		v[k] = UUIDPGetDatum(&s->current_run);
		nulls[k++] = !(s->pid != 0 && s->has_run);
		v[k] = UUIDPGetDatum(&s->current_tenant);
		nulls[k++] = !(s->pid != 0 && s->has_run);
		v[k++] = Int64GetDatum(s->runs_done);
		v[k++] = Int32GetDatum(s->pid != 0 ? s->http_inflight : 0);
		v[k++] = Int64GetDatum(s->http_done);
		v[k++] = Int64GetDatum(s->wakeups);
		v[k++] = Int64GetDatum(s->rounds);
		v[k++] = Int64GetDatum(s->errors);
		v[k] = CStringGetTextDatum(s->last_error);
		nulls[k++] = (s->last_error[0] == '\0');
		v[k] = TimestampTzGetDatum(s->last_error_at);
		nulls[k++] = (s->last_error_at == 0);
		v[k] = TimestampTzGetDatum(s->started_at);
		nulls[k++] = (s->started_at == 0);
		v[k] = TimestampTzGetDatum(s->sleep_until);
		nulls[k++] = !(s->pid != 0 && s->state == WS_IDLE && s->sleep_until != 0);
		Assert(k == WS_COLS);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

static void
push_kv(JsonbParseState **st, const char *key, JsonbValue *val)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &k);
	pushJsonbValue(st, WJB_VALUE, val);
}

static void
push_bool(JsonbParseState **st, const char *key, bool b)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = b;
	push_kv(st, key, &v);
}

static void
push_int(JsonbParseState **st, const char *key, int64 i)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(i);
	push_kv(st, key, &v);
}

static void
push_text(JsonbParseState **st, const char *key, const char *s)
{
	JsonbValue	v;

	if (s == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvString;
		v.val.string.val = (char *) s;
		v.val.string.len = strlen(s);
	}
	push_kv(st, key, &v);
}

/*
 * Facts for algawf.status(): {preloaded, workers, database, launcher_pid,
 * served_database_oid, this_database_served, executors_running, db_busy,
 * ext_busy, boot_time, next_deadline}
 */
PG_FUNCTION_INFO_V1(algawf_background_info);
Datum
algawf_background_info(PG_FUNCTION_ARGS)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;
	bool		preloaded = algawf_shared != NULL;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_bool(&st, "preloaded", preloaded);
	push_int(&st, "workers", algawf_workers);
	push_text(&st, "database", algawf_database);
	if (preloaded)
	{
		pid_t		launcher;
		Oid			db;
		int			db_busy,
					ext_busy,
					running = 0,
					i;
		TimestampTz boot;
		uint64		deadline = pg_atomic_read_u64(&algawf_shared->deadline);

		SpinLockAcquire(&algawf_shared->mutex);
		launcher = algawf_shared->launcher_pid;
		db = algawf_shared->database;
		db_busy = algawf_shared->db_busy;
		ext_busy = algawf_shared->ext_busy;
		boot = algawf_shared->boot_time;
		for (i = 0; i < algawf_shared->nslots; i++)
			if (algawf_shared->slots[i].pid != 0)
				running++;
		SpinLockRelease(&algawf_shared->mutex);

		push_int(&st, "launcher_pid", launcher);
		push_bool(&st, "database_found", OidIsValid(db));
		push_bool(&st, "this_database_served", OidIsValid(db) && db == MyDatabaseId);
		push_int(&st, "executors_running", running);
		push_int(&st, "db_busy", db_busy);
		push_int(&st, "ext_busy", ext_busy);
		push_text(&st, "boot_time", timestamptz_to_str(boot));
		push_text(&st, "next_deadline", deadline ? timestamptz_to_str((TimestampTz) deadline) : NULL);
	}
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}

/* how many executors are alive for this database (0 when not preloaded) */
PG_FUNCTION_INFO_V1(algawf_executors_running);
Datum
algawf_executors_running(PG_FUNCTION_ARGS)
{
	int			running = 0;
	int			i;

	if (algawf_shared == NULL)
		PG_RETURN_INT32(0);
	SpinLockAcquire(&algawf_shared->mutex);
	if (algawf_shared->database == MyDatabaseId)
		for (i = 0; i < algawf_shared->nslots; i++)
			if (algawf_shared->slots[i].pid != 0)
				running++;
	SpinLockRelease(&algawf_shared->mutex);
	PG_RETURN_INT32(running);
}

/* SQL-level code that queues or resumes a run: wake an executor at commit */
PG_FUNCTION_INFO_V1(algawf_wake_sql);
Datum
algawf_wake_sql(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		algawf_wake_at_commit();
	else
		algawf_wake_at(PG_GETARG_TIMESTAMPTZ(0));
	PG_RETURN_VOID();
}

/* the lease-owner prefix of this server start (see executor.c), or NULL */
PG_FUNCTION_INFO_V1(algawf_boot_id);
Datum
algawf_boot_id(PG_FUNCTION_ARGS)
{
	if (algawf_shared == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%lx", (unsigned long) algawf_shared->boot_time)));
}
