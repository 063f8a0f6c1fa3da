/*
 * events.c — emitting an event: record it, resume the runs waiting for it,
 * start the runs of the workflows it triggers; and algawf.emit().
 *
 * Everything happens in the caller's transaction, as the extension owner
 * (algawf_ev_enter), with every statement filtered on the event's tenant.
 *
 *   1. An event named by the caller (event_id) is inserted first with
 *      ON CONFLICT DO NOTHING: a redelivery does nothing and returns the same
 *      id; concurrent deliveries of one id serialize on the primary key.
 *      Events without a caller id get a random id and are inserted last,
 *      with their counts, in one statement.
 *   2. Waits: every WAITING event.wait of the tenant for this event name and
 *      correlation key whose filters the payload passes is resolved, its run
 *      made runnable (lock order: run, then wait, as everywhere in the
 *      engine).  The resolution is what algawf.deliver_event() writes:
 *      {eventName, payload, eventId, correlationKey}.
 *   3. Triggers: every published, unpaused workflow whose trigger is
 *      {type: "event", eventName: <this event>} gets a run, with the payload
 *      mapped by trigger.payloadMapping (expressions see the root "event":
 *      {name, payload, correlationKey, eventId, tenantId}) and validated by
 *      the engine against the version's payload schema.  The run's
 *      trigger_fire_key is "event:<event id>:<workflow id>", so one event
 *      starts a workflow at most once.  A workflow that cannot be started
 *      (payload invalid for it, mapping error) is skipped: the error is
 *      recorded in algawf.event_trigger_failures and raised as a WARNING, and
 *      the caller's change stands.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/md5.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/uuid.h"

#include "events.h"
#include "guc.h"
#include "interp.h"
#include "jsonschema_pg.h"
#include "jval_pg.h"
#include "stmt.h"
#include "tenancy.h"

/* the expression language (expr_pg.h once that branch is merged) */
typedef struct AlgawfExpr AlgawfExpr;
extern AlgawfExpr *algawf_expr_cached(const char *src, int funcset);
extern Jsonb *algawf_expr_eval(AlgawfExpr *e, Jsonb *input, Jsonb *bindings);

#define NIL_TENANT "00000000-0000-0000-0000-000000000000"

static WfStmt st_event_insert_dedup = {
	"INSERT INTO algawf.workflow_runtime_events AS e "
	"(tenant, event_id, event_name, correlation_key, payload, source) "
	"VALUES ($1, $2, $3, $4, $5, $6) "
	"ON CONFLICT ON CONSTRAINT workflow_runtime_events_pkey DO NOTHING RETURNING 1",
	6, {UUIDOID, UUIDOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID}
};

static WfStmt st_event_insert = {
	"INSERT INTO algawf.workflow_runtime_events "
	"(tenant, event_id, event_name, correlation_key, payload, source, resumed_runs, started_runs) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
	8, {UUIDOID, UUIDOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID, INT4OID, INT4OID}
};

static WfStmt st_event_counts = {
	"UPDATE algawf.workflow_runtime_events e SET resumed_runs = $3, started_runs = $4 "
	"WHERE e.tenant = $1 AND e.event_id = $2",
	4, {UUIDOID, UUIDOID, INT4OID, INT4OID}
};

static WfStmt st_waits = {
	"SELECT x.wait_id, x.run_id, x.filters FROM algawf.workflow_run_waits x "
	"WHERE x.tenant = $1 AND x.kind = 'event' AND x.status = 'WAITING' "
	"  AND x.event_name = $2 AND x.correlation_key = coalesce($3, '') "
	"ORDER BY x.created_at",
	3, {UUIDOID, TEXTOID, TEXTOID}
};

static WfStmt st_lock_run = {
	"SELECT 1 FROM algawf.workflow_runs r "
	"WHERE r.tenant = $1 AND r.run_id = $2 AND r.status IN ('RUNNING', 'WAITING') FOR UPDATE",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_resolve_wait = {
	"UPDATE algawf.workflow_run_waits x "
	"SET status = 'RESOLVED', resolved_at = clock_timestamp(), resolution = $3 "
	"WHERE x.tenant = $1 AND x.wait_id = $2 AND x.status = 'WAITING'",
	3, {UUIDOID, UUIDOID, JSONBOID}
};

static WfStmt st_wake_run = {
	"UPDATE algawf.workflow_runs r "
	"SET status = 'RUNNING', runnable_at = clock_timestamp(), updated_at = clock_timestamp() "
	"WHERE r.tenant = $1 AND r.run_id = $2 AND r.status IN ('RUNNING', 'WAITING')",
	2, {UUIDOID, UUIDOID}
};

/*
 * The fast way to start a run of an event-triggered workflow (no mapping):
 * the same row as the engine's wf_create_run() inserts, written here in one
 * statement that also checks the workflow is still published at the cached
 * version and not paused.  0 rows: the cache was behind (or the run exists),
 * and start_one() takes over.  Keep it in step with wf_create_run().
 */
static WfStmt st_run_fast = {
	"INSERT INTO algawf.workflow_runs (tenant, run_id, workflow_id, workflow_version, status, runnable_at, "
	"  input, payload, trigger_type, trigger_event_id, trigger_fire_key, trigger_metadata, root_run_id, "
	"  call_depth, actor) "
	"SELECT d.tenant, $2, d.workflow_id, d.published_version, 'RUNNING', clock_timestamp(), "
	"       $4, $4, 'event', $5, $6, $7, $2, 0, $8 "
	"  FROM algawf.workflow_definitions d "
	" WHERE d.tenant = $1 AND d.workflow_id = $3 AND d.published_version = $9 "
	"   AND d.status = 'published' AND NOT d.is_paused",
	9, {UUIDOID, UUIDOID, UUIDOID, JSONBOID, UUIDOID, TEXTOID, JSONBOID, UUIDOID, INT4OID}
};

/* the same, for events named by the caller: a run may exist already */
static WfStmt st_run_fast_dedup = {
	"INSERT INTO algawf.workflow_runs (tenant, run_id, workflow_id, workflow_version, status, runnable_at, "
	"  input, payload, trigger_type, trigger_event_id, trigger_fire_key, trigger_metadata, root_run_id, "
	"  call_depth, actor) "
	"SELECT d.tenant, $2, d.workflow_id, d.published_version, 'RUNNING', clock_timestamp(), "
	"       $4, $4, 'event', $5, $6, $7, $2, 0, $8 "
	"  FROM algawf.workflow_definitions d "
	" WHERE d.tenant = $1 AND d.workflow_id = $3 AND d.published_version = $9 "
	"   AND d.status = 'published' AND NOT d.is_paused "
	"ON CONFLICT (tenant, trigger_fire_key) WHERE trigger_fire_key IS NOT NULL DO NOTHING",
	9, {UUIDOID, UUIDOID, UUIDOID, JSONBOID, UUIDOID, TEXTOID, JSONBOID, UUIDOID, INT4OID}
};

static WfStmt st_failure = {
	"INSERT INTO algawf.event_trigger_failures (tenant, event_id, event_name, workflow_id, error) "
	"VALUES ($1, $2, $3, $4, $5)",
	5, {UUIDOID, UUIDOID, TEXTOID, UUIDOID, JSONBOID}
};

static WfStmt st_catalog_schema = {
	"SELECT s.schema, c.payload_schema_ref FROM algawf.event_catalog c "
	"JOIN algawf.payload_schemas s ON s.ref = c.payload_schema_ref "
	"  AND s.tenant IN ($1, '" NIL_TENANT "') "
	"WHERE c.tenant IN ($1, '" NIL_TENANT "') AND c.event_type = $2 "
	"ORDER BY c.tenant = $1 DESC, s.tenant = $1 DESC LIMIT 1",
	2, {UUIDOID, TEXTOID}
};

/* ---- small helpers --------------------------------------------------------- */

static bool
is_canonical_uuid(const char *s)
{
	int			i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++)
	{
		char		c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (c != '-')
				return false;
		}
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

pg_uuid_t
algawf_event_uuid(const char *event_id)
{
	pg_uuid_t	u;

	if (is_canonical_uuid(event_id))
		return *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(event_id)));
	else
	{
		const char *errstr = NULL;
		char	   *name = psprintf("algawf.event:%s", event_id);

		if (!pg_md5_binary(name, strlen(name), u.data, &errstr))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not compute the event id: %s", errstr ? errstr : "MD5 failed")));
		/* RFC 4122 name-based (MD5) UUID */
		u.data[6] = (u.data[6] & 0x0f) | 0x30;
		u.data[8] = (u.data[8] & 0x3f) | 0x80;
		pfree(name);
	}
	return u;
}

static void
push_key(JsonbParseState **st, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &v);
}

static void
push_string(JsonbParseState **st, const char *key, const char *s)
{
	JsonbValue	v;

	push_key(st, key);
	if (s == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvString;
		v.val.string.val = (char *) s;
		v.val.string.len = strlen(s);
	}
	pushJsonbValue(st, WJB_VALUE, &v);
}

static void
push_jsonb(JsonbParseState **st, const char *key, Jsonb *j)
{
	JsonbValue	v;

	push_key(st, key);
	v.type = jbvBinary;
	v.val.binary.data = &j->root;
	v.val.binary.len = VARSIZE(j) - VARHDRSZ;
	pushJsonbValue(st, WJB_VALUE, &v);
}

static char *
uuid_str(const pg_uuid_t *u)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(u)));
}

/* ---- payloadMapping ------------------------------------------------------ */

typedef struct MapCtx
{
	Jsonb	   *input;			/* {"event": {...}} */
	int			funcset;
} MapCtx;

static JsonbValue *map_value(MapCtx *mc, JsonbValue *v);

static JsonbValue *
binary_value(Jsonb *j)
{
	JsonbValue *r = palloc(sizeof(JsonbValue));

	if (JB_ROOT_IS_SCALAR(j))
	{
		JsonbValue	tmp;

		if (!JsonbExtractScalar(&j->root, &tmp))
			elog(ERROR, "could not extract a jsonb scalar");
		*r = tmp;
		return r;
	}
	r->type = jbvBinary;
	r->val.binary.data = &j->root;
	r->val.binary.len = VARSIZE(j) - VARHDRSZ;
	return r;
}

/* {"$expr": "..."} -> the expression's source; else NULL */
static const char *
expr_source(JsonbContainer *c, const char **secret)
{
	JsonbValue *v;

	*secret = NULL;
	if (!JsonContainerIsObject(c) || JsonContainerSize(c) != 1)
		return NULL;
	v = getKeyJsonValueFromContainer(c, "$expr", 5, NULL);
	if (v && v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	v = getKeyJsonValueFromContainer(c, "$secret", 7, NULL);
	if (v && v->type == jbvString)
		*secret = pnstrdup(v->val.string.val, v->val.string.len);
	return NULL;
}

/* NULL = undefined (the key is left out) */
static JsonbValue *
map_value(MapCtx *mc, JsonbValue *v)
{
	JsonbContainer *c;
	const char *src;
	const char *secret;
	JsonbParseState *st = NULL;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	k;
	JsonbValue	x;
	JsonbValue *res = NULL;
	bool		is_object;

	if (v->type != jbvBinary)
		return v;
	c = v->val.binary.data;
	src = expr_source(c, &secret);
	if (src)
	{
		Jsonb	   *r = algawf_expr_eval(algawf_expr_cached(src, mc->funcset), mc->input, NULL);

		return r ? binary_value(r) : NULL;
	}
	if (secret)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("trigger.payloadMapping cannot use secrets ({\"$secret\": \"%s\"})", secret),
				 errhint("Resolve secrets in the steps that need them (action inputs), not in the run's payload.")));

	is_object = JsonContainerIsObject(c);
	pushJsonbValue(&st, is_object ? WJB_BEGIN_OBJECT : WJB_BEGIN_ARRAY, NULL);
	it = JsonbIteratorInit(c);
	tok = JsonbIteratorNext(&it, &x, true);	/* BEGIN */
	while ((tok = JsonbIteratorNext(&it, &x, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			JsonbValue *m;

			k = x;
			tok = JsonbIteratorNext(&it, &x, true);
			m = map_value(mc, &x);
			if (m)
			{
				pushJsonbValue(&st, WJB_KEY, &k);
				pushJsonbValue(&st, WJB_VALUE, m);
			}
		}
		else if (tok == WJB_ELEM)
		{
			JsonbValue *m = map_value(mc, &x);
			JsonbValue	null;

			if (m == NULL)
			{
				null.type = jbvNull;
				m = &null;
			}
			pushJsonbValue(&st, WJB_ELEM, m);
		}
	}
	res = pushJsonbValue(&st, is_object ? WJB_END_OBJECT : WJB_END_ARRAY, NULL);
	return binary_value(JsonbValueToJsonb(res));
}

static bool
mapping_present(Jsonb *mapping)
{
	return mapping != NULL && JB_ROOT_IS_OBJECT(mapping) && JB_ROOT_COUNT(mapping) > 0;
}

static Jsonb *
event_context(const EmitRequest *req, const pg_uuid_t *event_id)
{
	JsonbParseState *st = NULL;
	JsonbValue *r;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_key(&st, "event");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_string(&st, "name", req->event_type);
	push_string(&st, "eventId", uuid_str(event_id));
	push_string(&st, "correlationKey", req->correlation_key);
	push_string(&st, "tenantId", uuid_str(&req->tenant));
	push_jsonb(&st, "payload", req->payload);
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	r = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(r);
}

static Jsonb *
apply_mapping(MapCtx *mc, Jsonb *mapping)
{
	JsonbValue	v;
	JsonbValue *m;

	v.type = jbvBinary;
	v.val.binary.data = &mapping->root;
	v.val.binary.len = VARSIZE(mapping) - VARHDRSZ;
	m = map_value(mc, &v);
	return JsonbValueToJsonb(m);
}

/* ---- the three steps ----------------------------------------------------- */

static Jsonb *
resolution_for(const EmitRequest *req, const pg_uuid_t *event_id)
{
	JsonbParseState *st = NULL;
	JsonbValue *r;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_string(&st, "eventName", req->event_type);
	push_jsonb(&st, "payload", req->payload);
	push_string(&st, "eventId", uuid_str(event_id));
	push_string(&st, "correlationKey", req->correlation_key);
	r = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(r);
}

static int
resume_waits(const EmitRequest *req, const pg_uuid_t *event_id)
{
	Datum		v[3];
	char		n[3] = {' ', ' ', ' '};
	SPITupleTable *tt;
	uint64		count;
	uint64		i;
	int			resumed = 0;
	JvArena		arena;
	Jv		   *payload = NULL;
	Jsonb	   *resolution = NULL;

	v[0] = UUIDPGetDatum(&req->tenant);
	v[1] = CStringGetTextDatum(req->event_type);
	if (req->correlation_key)
		v[2] = CStringGetTextDatum(req->correlation_key);
	else
		n[2] = 'n';
	count = wf_stmt_exec(&st_waits, v, n, false, 0);
	if (count == 0)
		return 0;
	tt = SPI_tuptable;
	jv_arena_init_pg(&arena, CurrentMemoryContext);
	for (i = 0; i < count; i++)
	{
		bool		isnull;
		pg_uuid_t	wait_id = *DatumGetUUIDP(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
		pg_uuid_t	run_id = *DatumGetUUIDP(SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull));
		Datum		filters = SPI_getbinval(tt->vals[i], tt->tupdesc, 3, &isnull);
		Datum		w[3];

		if (!isnull)
		{
			if (payload == NULL)
				payload = jv_from_jsonb(&arena, req->payload);
			if (!wf_event_filters_match(jv_from_jsonb(&arena, DatumGetJsonbP(filters)), payload))
				continue;
		}
		w[0] = UUIDPGetDatum(&req->tenant);
		w[1] = UUIDPGetDatum(&run_id);
		if (wf_stmt_exec(&st_lock_run, w, NULL, false, 1) == 0)
			continue;
		if (resolution == NULL)
			resolution = resolution_for(req, event_id);
		w[1] = UUIDPGetDatum(&wait_id);
		w[2] = JsonbPGetDatum(resolution);
		if (wf_stmt_exec(&st_resolve_wait, w, NULL, false, 0) == 0)
			continue;
		w[1] = UUIDPGetDatum(&run_id);
		wf_stmt_exec(&st_wake_run, w, NULL, false, 0);
		resumed++;
	}
	return resumed;
}

static Jsonb *
error_json(ErrorData *ed)
{
	JsonbParseState *st = NULL;
	JsonbValue *r;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_string(&st, "code", unpack_sql_state(ed->sqlerrcode));
	push_string(&st, "message", ed->message ? ed->message : "");
	if (ed->detail)
		push_string(&st, "detail", ed->detail);
	if (ed->hint)
		push_string(&st, "hint", ed->hint);
	r = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(r);
}

static Jsonb *
trigger_metadata(const EmitRequest *req, const pg_uuid_t *event_id)
{
	JsonbParseState *st = NULL;
	JsonbValue *r;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_string(&st, "eventName", req->event_type);
	push_string(&st, "eventId", uuid_str(event_id));
	push_string(&st, "correlationKey", req->correlation_key);
	push_string(&st, "source", req->source);
	r = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(r);
}

/* start one workflow; false (with the error recorded) when it could not be */
static bool
start_one(const EmitRequest *req, const pg_uuid_t *event_id, pg_uuid_t workflow_id,
		  Jsonb *mapping, const char *function_set, Jsonb **context, Jsonb *metadata,
		  bool *duplicate)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = false;

	*duplicate = false;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		WfRunRequest rr;
		Jsonb	   *payload = req->payload;

		if (mapping_present(mapping))
		{
			MapCtx		mc;

			if (*context == NULL)
				*context = event_context(req, event_id);
			mc.input = *context;
			mc.funcset = (function_set && strcmp(function_set, "alga") == 0) ? FUNCSET_ALGA : FUNCSET_EXTENDED;
			payload = apply_mapping(&mc, mapping);
		}
		memset(&rr, 0, sizeof(rr));
		rr.tenant = req->tenant;
		rr.workflow_id = workflow_id;
		rr.version = 0;
		rr.payload = payload;
		rr.trigger_type = "event";
		rr.fire_key = psprintf("event:%s:%s", uuid_str(event_id), uuid_str(&workflow_id));
		rr.has_event_id = true;
		rr.event_id = *event_id;
		rr.trigger_metadata = metadata;
		(void) wf_create_run(&rr);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		ok = true;
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(oldcxt);
		ed = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;

		/* never swallow a cancel or shutdown */
		if (ed->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			ed->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
			ed->sqlerrcode == ERRCODE_OUT_OF_MEMORY)
			ReThrowError(ed);

		if (ed->sqlerrcode == ERRCODE_UNIQUE_VIOLATION && ed->constraint_name &&
			strstr(ed->constraint_name, "trigger_fire_key") != NULL)
			*duplicate = true;	/* this event already started it */
		else
		{
			Datum		v[5];

			v[0] = UUIDPGetDatum(&req->tenant);
			v[1] = UUIDPGetDatum(event_id);
			v[2] = CStringGetTextDatum(req->event_type);
			v[3] = UUIDPGetDatum(&workflow_id);
			v[4] = JsonbPGetDatum(error_json(ed));
			wf_stmt_exec(&st_failure, v, NULL, false, 0);
			ereport(WARNING,
					(errcode(ed->sqlerrcode),
					 errmsg("event %s did not start workflow %s: %s",
							req->event_type, uuid_str(&workflow_id), ed->message),
					 ed->detail ? errdetail("%s", ed->detail) : 0,
					 errhint("The failure is recorded in algawf.event_trigger_failures; the event itself was recorded.")));
		}
		FreeErrorData(ed);
	}
	PG_END_TRY();
	return ok;
}

/* record a workflow that could not take the event (no exception involved) */
static void
record_failure(const EmitRequest *req, const pg_uuid_t *event_id, const pg_uuid_t *workflow_id,
			   int sqlerrcode, const char *message, const char *detail)
{
	JsonbParseState *st = NULL;
	Datum		v[5];

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_string(&st, "code", unpack_sql_state(sqlerrcode));
	push_string(&st, "message", message);
	if (detail)
		push_string(&st, "detail", detail);
	v[0] = UUIDPGetDatum(&req->tenant);
	v[1] = UUIDPGetDatum(event_id);
	v[2] = CStringGetTextDatum(req->event_type);
	v[3] = UUIDPGetDatum(workflow_id);
	v[4] = JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL)));
	wf_stmt_exec(&st_failure, v, NULL, false, 0);
	ereport(WARNING,
			(errcode(sqlerrcode),
			 errmsg("event %s did not start workflow %s: %s", req->event_type, uuid_str(workflow_id), message),
			 detail ? errdetail("%s", detail) : 0,
			 errhint("The failure is recorded in algawf.event_trigger_failures; the event itself was recorded.")));
}

/*
 * Start one workflow without a payloadMapping: validate the payload against
 * the cached schema, insert the run.  Returns 1 started, 0 failed (recorded),
 * -1 the cache was behind (the caller falls back to start_one()).
 */
static int
start_fast(const EmitRequest *req, const pg_uuid_t *event_id, const SubsWorkflow *w, Jsonb *metadata)
{
	Datum		v[9];
	char		n[9] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	pg_uuid_t	run_id;

	if (w->payload_schema && !w->schema_ok)
		return -1;				/* let the engine raise (and start_one record) why */
	if (w->payload_schema)
	{
		List	   *errs = NIL;

		if (algawf_schema_validate(algawf_schema_cached(w->payload_schema), req->payload, false, &errs) > 0)
		{
			StringInfoData buf;
			ListCell   *lc;

			initStringInfo(&buf);
			foreach(lc, errs)
			{
				AlgawfSchemaError *e = lfirst(lc);

				appendStringInfo(&buf, "%s%s: %s", buf.len ? "\n" : "",
								 e->path && e->path[0] ? e->path : "/", e->message);
			}
			record_failure(req, event_id, &w->workflow_id, ERRCODE_INVALID_PARAMETER_VALUE,
						   "payload does not match the workflow's payload schema", buf.data);
			return 0;
		}
	}
	run_id = wf_new_uuid();
	v[0] = UUIDPGetDatum(&req->tenant);
	v[1] = UUIDPGetDatum(&run_id);
	v[2] = UUIDPGetDatum(&w->workflow_id);
	v[3] = JsonbPGetDatum(req->payload);
	v[4] = UUIDPGetDatum(event_id);
	v[5] = CStringGetTextDatum(psprintf("event:%s:%s", uuid_str(event_id), uuid_str(&w->workflow_id)));
	v[6] = JsonbPGetDatum(metadata);
	if (w->has_publisher)
		v[7] = UUIDPGetDatum(&w->published_by);
	else
		n[7] = 'n';
	v[8] = Int32GetDatum(w->version);
	/* trigger events have fresh random ids: no run can exist for them yet */
	return wf_stmt_exec(req->has_event_id ? &st_run_fast_dedup : &st_run_fast, v, n, false, 0) == 1 ? 1 : -1;
}

static void
start_runs(const EmitRequest *req, const pg_uuid_t *event_id, EmitResult *res)
{
	Jsonb	   *context = NULL;
	Jsonb	   *metadata;
	int			i;

	if (req->sub == NULL || req->sub->nworkflows == 0)
		return;
	metadata = trigger_metadata(req, event_id);
	for (i = 0; i < req->sub->nworkflows; i++)
	{
		const SubsWorkflow *w = &req->sub->workflows[i];
		int			r = -1;
		bool		duplicate;

		if (w->mapping == NULL)
			r = start_fast(req, event_id, w, metadata);
		if (r < 0)
		{
			/* a mapping to evaluate, or the cache was behind: the engine's way, in a subtransaction */
			r = start_one(req, event_id, w->workflow_id, w->mapping, w->function_set, &context, metadata,
						  &duplicate) ? 1 : duplicate ? -1 : 0;
		}
		if (r > 0)
			res->started++;
		else if (r == 0)
			res->failed++;
	}
}

void
algawf_emit_event(const EmitRequest *req, EmitResult *res)
{
	Datum		v[8];
	char		n[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	memset(res, 0, sizeof(*res));
	res->event_id = req->has_event_id ? req->event_id : wf_new_uuid();

	v[0] = UUIDPGetDatum(&req->tenant);
	v[1] = UUIDPGetDatum(&res->event_id);
	v[2] = CStringGetTextDatum(req->event_type);
	if (req->correlation_key)
		v[3] = CStringGetTextDatum(req->correlation_key);
	else
		n[3] = 'n';
	v[4] = JsonbPGetDatum(req->payload);
	v[5] = CStringGetTextDatum(req->source ? req->source : "emit");

	if (req->has_event_id)
	{
		if (wf_stmt_exec(&st_event_insert_dedup, v, n, false, 0) == 0)
		{
			res->duplicate = true;
			return;
		}
	}

	if (req->sub && (req->sub->flags & SUB_WAIT))
		res->resumed = resume_waits(req, &res->event_id);
	if (req->sub && (req->sub->flags & SUB_TRIGGER))
		start_runs(req, &res->event_id, res);

	if (req->has_event_id)
	{
		if (res->resumed > 0 || res->started > 0)
		{
			Datum		c[4];

			c[0] = v[0];
			c[1] = v[1];
			c[2] = Int32GetDatum(res->resumed);
			c[3] = Int32GetDatum(res->started);
			wf_stmt_exec(&st_event_counts, c, NULL, false, 0);
		}
	}
	else
	{
		v[6] = Int32GetDatum(res->resumed);
		v[7] = Int32GetDatum(res->started);
		wf_stmt_exec(&st_event_insert, v, n, false, 0);
	}
}

/* ---- algawf.emit() --------------------------------------------------------- */

/* raises when the event type has a catalog schema the payload does not match */
static void
check_catalog_schema(const pg_uuid_t *tenant, const char *event_type, Jsonb *payload)
{
	Datum		v[2];
	bool		isnull;
	Datum		d;
	AlgawfSchema *sc;
	List	   *errs = NIL;

	v[0] = UUIDPGetDatum(tenant);
	v[1] = CStringGetTextDatum(event_type);
	if (wf_stmt_exec(&st_catalog_schema, v, NULL, true, 1) == 0)
		return;
	d = wf_result(1, &isnull);
	if (isnull)
		return;
	sc = algawf_schema_cached(DatumGetJsonbP(d));
	if (algawf_schema_validate(sc, payload, false, &errs) > 0)
	{
		StringInfoData buf;
		ListCell   *lc;
		char	   *ref = TextDatumGetCString(wf_result(2, &isnull));

		initStringInfo(&buf);
		foreach(lc, errs)
		{
			AlgawfSchemaError *e = lfirst(lc);

			appendStringInfo(&buf, "%s%s: %s", buf.len ? "\n" : "",
							 e->path && e->path[0] ? e->path : "/", e->message);
		}
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("payload of event %s does not match its schema %s", event_type, ref),
				 errdetail("%s", buf.data),
				 errhint("SELECT payload_schema FROM algawf.event_types WHERE event_type = '%s' shows the schema.",
						 event_type)));
	}
}

PG_FUNCTION_INFO_V1(algawf_emit);
Datum
algawf_emit(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant = algawf_tenant_require();
	EmitRequest req;
	EmitResult	res;
	EvPriv		priv;
	pg_uuid_t  *out;
	char	   *type;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("event_type must not be NULL")));
	type = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (type[0] == '\0' || strlen(type) > 200)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("event_type must be 1 to 200 characters long"),
				 errhint("Alga names events like TICKET_CREATED.")));

	memset(&req, 0, sizeof(req));
	req.tenant = *tenant;
	req.event_type = type;
	req.payload = PG_ARGISNULL(1) ? DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")))
		: PG_GETARG_JSONB_P(1);
	if (!JB_ROOT_IS_OBJECT(req.payload))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an event payload must be a JSON object")));
	req.correlation_key = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (!PG_ARGISNULL(3))
	{
		char	   *eid = text_to_cstring(PG_GETARG_TEXT_PP(3));

		if (eid[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("event_id must not be empty"),
					 errhint("Pass NULL to let algawf generate one.")));
		req.has_event_id = true;
		req.event_id = algawf_event_uuid(eid);
	}
	req.source = "emit";

	algawf_ev_enter(&priv, true);
	check_catalog_schema(tenant, type, req.payload);
	req.sub = algawf_subs_find(algawf_subs_get(tenant), type);
	algawf_emit_event(&req, &res);
	algawf_ev_leave(&priv);

	out = palloc(sizeof(pg_uuid_t));
	*out = res.event_id;
	PG_RETURN_UUID_P(out);
}

PG_FUNCTION_INFO_V1(algawf_event_uuid_sql);
Datum
algawf_event_uuid_sql(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *out = palloc(sizeof(pg_uuid_t));
	char	   *eid = text_to_cstring(PG_GETARG_TEXT_PP(0));

	*out = algawf_event_uuid(eid);
	PG_RETURN_UUID_P(out);
}
