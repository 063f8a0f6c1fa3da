/*
 * subscriptions.c — "does anyone listen to these events for this tenant?",
 * answered from a backend-local cache, so that a row trigger on a table
 * nobody subscribes to costs one hash lookup.
 *
 * What is cached, per tenant: every event type that
 *   - a published, unpaused workflow names in trigger.eventName (SUB_TRIGGER),
 *   - an event.wait step of a published version waits for (SUB_WAIT; waits
 *     are resumed even for paused workflows, so pausing does not remove it).
 * Built-in events also set a bit in a mask, so the trigger's check is one AND.
 *
 * Invalidation.  Chosen: a relcache invalidation of algawf.workflow_definitions,
 * sent by statement triggers on workflow_definitions (INSERT, DELETE,
 * TRUNCATE, UPDATE OF status/is_paused/trigger/published_version) and on
 * workflow_steps (INSERT, DELETE, TRUNCATE), and received through
 * CacheRegisterRelcacheCallback, which bumps a backend-local generation
 * number.  Why this and not the alternatives:
 *   - it needs no shared memory, so it works whether or not algawf is in
 *     shared_preload_libraries (the worker's shmem exists only then);
 *   - it is transactional for free: other backends receive the message only
 *     when the publishing transaction commits (nothing if it rolls back), and
 *     the publishing backend itself sees it at its next CommandCounterIncrement
 *     (so "publish, then INSERT" in one transaction fires), and again at abort;
 *   - checking costs nothing per row: sinval messages are processed when a
 *     transaction starts and when a relation lock is first taken, which
 *     happens anyway before the trigger runs;
 *   - a sinval queue overflow ("reset") calls every callback with InvalidOid,
 *     which also bumps the generation, so nothing is ever missed.
 * A generation read from a one-row table once per transaction would cost a
 * table access per transaction even on the no-subscriber path.
 *
 * An entry is loaded with the latest snapshot (not the transaction's), and
 * stamped with the generation read *before* the query: an invalidation that
 * arrives during the load leaves the entry stale, so it is loaded again.
 *
 * Known limit: a transaction already running when another session publishes
 * sees the new subscription from its next statement that takes a new
 * relation lock (usually the next statement), like any catalog change.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "events.h"
#include "jsonschema_pg.h"
#include "tenancy.h"

const char *const algawf_event_names[EV_COUNT] = {
	"TICKET_CREATED",
	"TICKET_UPDATED",
	"TICKET_STATUS_CHANGED",
	"TICKET_PRIORITY_CHANGED",
	"TICKET_ASSIGNED",
	"TICKET_UNASSIGNED",
	"TICKET_CLOSED",
	"TICKET_REOPENED",
	"TICKET_COMMENT_ADDED",
	"CLIENT_CREATED",
	"CLIENT_UPDATED",
	"CONTACT_CREATED",
	"CONTACT_UPDATED",
	"CONTACT_ARCHIVED",
	"INTERACTION_LOGGED",
	"APPOINTMENT_CREATED",
	"PROJECT_TASK_CREATED",
	"TICKET_TIME_ENTRY_ADDED"
};

static HTAB *subs_hash = NULL;
static MemoryContext subs_cxt = NULL;
static List *subs_retired = NIL;	/* contexts of replaced entries, freed at transaction end */
static uint64 subs_generation = 1;
static Oid	subs_relid = InvalidOid;	/* algawf.workflow_definitions */
static SubsEntry *subs_last = NULL; /* the entry used last: skips hashing */
static SPIPlanPtr subs_plan = NULL;
static SPIPlanPtr subs_wf_plan = NULL;

static int64 stat_loads = 0;
static int64 stat_hits = 0;
static int64 stat_invalidations = 0;

static const char *SUBS_SQL =
"/* algawf: event subscriptions of a tenant */ "
"SELECT d.trigger->>'eventName', 1 FROM algawf.workflow_definitions d "
" WHERE d.tenant = $1 AND d.status = 'published' AND NOT d.is_paused "
"   AND d.trigger->>'type' = 'event' AND d.trigger->>'eventName' IS NOT NULL "
"UNION ALL "
"SELECT DISTINCT coalesce(s.config->'config'->>'eventName', s.config->>'eventName'), 2 "
"  FROM algawf.workflow_steps s "
" WHERE s.tenant = $1 AND s.step_type = 'event.wait' "
"   AND coalesce(s.config->'config'->>'eventName', s.config->>'eventName') IS NOT NULL";

static const char *SUBS_WF_SQL =
"/* algawf: workflows triggered by events, of a tenant */ "
"SELECT d.trigger->>'eventName', d.workflow_id, v.version, v.published_by, "
"       CASE WHEN jsonb_typeof(d.trigger->'payloadMapping') = 'object' "
"             AND d.trigger->'payloadMapping' <> '{}' THEN d.trigger->'payloadMapping' END, "
"       v.function_set, v.payload_schema "
"  FROM algawf.workflow_definitions d "
"  JOIN algawf.workflow_definition_versions v ON v.tenant = d.tenant "
"   AND v.workflow_id = d.workflow_id AND v.version = d.published_version "
" WHERE d.tenant = $1 AND d.status = 'published' AND NOT d.is_paused "
"   AND d.trigger->>'type' = 'event' AND d.trigger->>'eventName' IS NOT NULL "
" ORDER BY d.created_at, d.workflow_id";

int
algawf_event_index(const char *name)
{
	int			i;

	for (i = 0; i < EV_COUNT; i++)
		if (strcmp(name, algawf_event_names[i]) == 0)
			return i;
	return -1;
}

/* ---- privileged sections ------------------------------------------------- */

static Oid
ev_owner(void)
{
	Oid			nsp = get_namespace_oid("algawf", false);
	HeapTuple	tup;
	Oid			owner;

	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for namespace %u", nsp);
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Act as the extension owner (who bypasses row-level security; every
 * statement of the event layer filters on the tenant explicitly) with a
 * search_path that user objects cannot hijack.  Errors unwind all of this
 * with the (sub)transaction.
 */
void
algawf_ev_enter(EvPriv *p, bool connect_spi)
{
	Oid			owner = ev_owner();

	GetUserIdAndSecContext(&p->save_user, &p->save_sec);
	SetUserIdAndSecContext(owner, p->save_sec | SECURITY_LOCAL_USERID_CHANGE);
	p->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	p->spi = connect_spi;
	if (connect_spi)
		SPI_connect();
}

void
algawf_ev_leave(EvPriv *p)
{
	if (p->spi)
		SPI_finish();
	AtEOXact_GUC(true, p->guc_level);
	SetUserIdAndSecContext(p->save_user, p->save_sec);
}

/* ---- the cache ----------------------------------------------------------- */

static void
subs_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == subs_relid)
	{
		subs_generation++;
		stat_invalidations++;
		/* the table may have been dropped (DROP EXTENSION): look it up again */
		subs_relid = InvalidOid;
	}
}

/*
 * A reload replaces an entry's data while a caller up the stack (an emit
 * whose statement fired a trigger that emits in turn) may still be using the
 * old data: the old context is kept until the transaction ends.
 */
static void
subs_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT &&
		event != XACT_EVENT_PREPARE)
		return;
	foreach(lc, subs_retired)
		MemoryContextDelete((MemoryContext) lfirst(lc));
	if (subs_retired)
	{
		MemoryContext old = MemoryContextSwitchTo(subs_cxt);

		list_free(subs_retired);
		subs_retired = NIL;
		MemoryContextSwitchTo(old);
	}
}

static void
subs_init(void)
{
	HASHCTL		ctl;

	if (subs_hash)
		return;
	subs_cxt = AllocSetContextCreate(TopMemoryContext, "algawf event subscriptions",
									 ALLOCSET_SMALL_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(pg_uuid_t);
	ctl.entrysize = sizeof(SubsEntry);
	ctl.hcxt = subs_cxt;
	subs_hash = hash_create("algawf event subscriptions", 64, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(subs_relcache_callback, (Datum) 0);
	RegisterXactCallback(subs_xact_callback, NULL);
}

static Oid
workflow_definitions_relid(void)
{
	Oid			nsp = get_namespace_oid("algawf", true);

	if (!OidIsValid(nsp))
		return InvalidOid;
	return get_relname_relid("workflow_definitions", nsp);
}

static void
subs_clear(SubsEntry *e)
{
	if (e->cxt)
	{
		MemoryContext old = MemoryContextSwitchTo(subs_cxt);

		subs_retired = lappend(subs_retired, e->cxt);
		MemoryContextSwitchTo(old);
	}
	e->cxt = NULL;
	e->names = NULL;
	e->nnames = 0;
	e->known_mask = 0;
	e->generation = 0;
}

static SPIPlanPtr
subs_prepare(const char *sql)
{
	Oid			argtypes[1] = {UUIDOID};
	SPIPlanPtr	plan = SPI_prepare(sql, 1, argtypes);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for an event subscription query: %s",
			 SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	return plan;
}

static SubsName *
subs_name(SubsName *names, int *n, const char *name, MemoryContext cxt)
{
	int			j;

	for (j = 0; j < *n; j++)
		if (strcmp(names[j].name, name) == 0)
			return &names[j];
	names[*n].name = MemoryContextStrdup(cxt, name);
	names[*n].flags = 0;
	names[*n].nworkflows = 0;
	names[*n].workflows = NULL;
	return &names[(*n)++];
}

static Jsonb *
copy_jsonb(Datum d, MemoryContext cxt)
{
	Jsonb	   *j = DatumGetJsonbP(d);
	Jsonb	   *c = MemoryContextAlloc(cxt, VARSIZE(j));

	memcpy(c, j, VARSIZE(j));
	return c;
}

static void
subs_load(SubsEntry *e)
{
	EvPriv		priv;
	uint64		gen;
	Datum		arg;
	uint64		i;
	int			n = 0;
	SubsName   *names;
	MemoryContext cxt;
	SPITupleTable *tt;
	uint64		nwf;
	Snapshot	snap;

	subs_clear(e);

	algawf_ev_enter(&priv, true);
	if (!OidIsValid(subs_relid))
		subs_relid = workflow_definitions_relid();
	gen = subs_generation;
	if (subs_plan == NULL)
		subs_plan = subs_prepare(SUBS_SQL);
	if (subs_wf_plan == NULL)
		subs_wf_plan = subs_prepare(SUBS_WF_SQL);
	arg = UUIDPGetDatum(&e->tenant);
	snap = RegisterSnapshot(GetLatestSnapshot());

	/* the workflows triggered by events */
	if (SPI_execute_snapshot(subs_wf_plan, &arg, NULL, snap, InvalidSnapshot, true, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "event subscription query failed");
	tt = SPI_tuptable;
	nwf = SPI_processed;
	/* the event types: triggers and waits */
	if (SPI_execute_snapshot(subs_plan, &arg, NULL, snap, InvalidSnapshot, true, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "event subscription query failed");
	UnregisterSnapshot(snap);

	cxt = AllocSetContextCreate(subs_cxt, "algawf event subscriptions of a tenant", ALLOCSET_SMALL_SIZES);
	names = MemoryContextAllocZero(cxt, sizeof(SubsName) * (SPI_processed + 1));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		SubsName   *sn;
		int			k;

		if (isnull)
			continue;
		sn = subs_name(names, &n, TextDatumGetCString(d), cxt);
		sn->flags |= (uint8) DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		k = algawf_event_index(sn->name);
		if (k >= 0)
			e->known_mask |= EV_BIT(k);
	}
	for (i = 0; i < nwf; i++)
	{
		HeapTuple	t = tt->vals[i];
		TupleDesc	td = tt->tupdesc;
		bool		isnull;
		char	   *name = TextDatumGetCString(SPI_getbinval(t, td, 1, &isnull));
		SubsName   *sn = NULL;
		SubsWorkflow *w;
		Datum		d;
		int			j;

		for (j = 0; j < n; j++)
			if (strcmp(names[j].name, name) == 0)
				sn = &names[j];
		if (sn == NULL)
			continue;			/* cannot happen: both queries see one snapshot */
		if (sn->workflows == NULL)
			sn->workflows = MemoryContextAllocZero(cxt, sizeof(SubsWorkflow) * nwf);
		w = &sn->workflows[sn->nworkflows++];
		w->workflow_id = *DatumGetUUIDP(SPI_getbinval(t, td, 2, &isnull));
		w->version = DatumGetInt32(SPI_getbinval(t, td, 3, &isnull));
		d = SPI_getbinval(t, td, 4, &isnull);
		w->has_publisher = !isnull;
		if (!isnull)
			w->published_by = *DatumGetUUIDP(d);
		d = SPI_getbinval(t, td, 5, &isnull);
		w->mapping = isnull ? NULL : copy_jsonb(d, cxt);
		d = SPI_getbinval(t, td, 6, &isnull);
		w->function_set = isnull ? NULL : MemoryContextStrdup(cxt, TextDatumGetCString(d));
		d = SPI_getbinval(t, td, 7, &isnull);
		w->payload_schema = isnull ? NULL : copy_jsonb(d, cxt);
		w->schema_ok = w->payload_schema == NULL || algawf_schema_check(w->payload_schema) == NIL;
	}
	algawf_ev_leave(&priv);

	e->cxt = cxt;
	e->names = names;
	e->nnames = n;
	e->generation = gen;
	stat_loads++;
}

static SubsEntry *
subs_entry(const pg_uuid_t *tenant)
{
	SubsEntry  *e = subs_last;

	if (e == NULL || memcmp(e->tenant.data, tenant->data, UUID_LEN) != 0)
	{
		bool		found;

		subs_init();
		e = hash_search(subs_hash, tenant, HASH_ENTER, &found);
		if (!found)
		{
			e->generation = 0;
			e->known_mask = 0;
			e->nnames = 0;
			e->names = NULL;
			e->cxt = NULL;
		}
		subs_last = e;
	}
	if (e->generation != subs_generation)
		subs_load(e);
	else
		stat_hits++;
	return e;
}

bool
algawf_subs_wanted(const pg_uuid_t *tenant, uint32 mask, const char *name)
{
	SubsEntry  *e = subs_entry(tenant);
	int			i;

	if (e->nnames == 0)
		return false;
	if (e->known_mask & mask)
		return true;
	if (name)
		for (i = 0; i < e->nnames; i++)
			if (strcmp(e->names[i].name, name) == 0)
				return true;
	return false;
}

SubsEntry *
algawf_subs_get(const pg_uuid_t *tenant)
{
	return subs_entry(tenant);
}

const SubsName *
algawf_subs_find(const SubsEntry *e, const char *name)
{
	int			i;

	for (i = 0; i < e->nnames; i++)
		if (strcmp(e->names[i].name, name) == 0)
			return &e->names[i];
	return NULL;
}

uint8
algawf_subs_flags(const SubsEntry *e, const char *name)
{
	const SubsName *sn = algawf_subs_find(e, name);

	return sn ? sn->flags : 0;
}

/* ---- SQL ------------------------------------------------------------------ */

/*
 * Statement trigger on workflow_definitions and workflow_steps: tell every
 * backend (at commit) and this one (at the next command) that
 * subscriptions may have changed.
 */
PG_FUNCTION_INFO_V1(algawf_subscriptions_changed);
Datum
algawf_subscriptions_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			relid;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("algawf._event_subscriptions_changed() must be called as a trigger")));
	relid = get_relname_relid("workflow_definitions", RelationGetNamespace(td->tg_relation));
	if (OidIsValid(relid))
		CacheInvalidateRelcacheByRelid(relid);
	return PointerGetDatum(NULL);
}

/* what the current tenant listens to, from the cache */
PG_FUNCTION_INFO_V1(algawf_event_subscriptions);
Datum
algawf_event_subscriptions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	pg_uuid_t  *tenant = algawf_tenant_require();
	SubsEntry  *e;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	e = subs_entry(tenant);
	for (i = 0; i < e->nnames; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(e->names[i].name);
		values[1] = BoolGetDatum((e->names[i].flags & SUB_TRIGGER) != 0);
		values[2] = BoolGetDatum((e->names[i].flags & SUB_WAIT) != 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* counters of this backend's cache */
PG_FUNCTION_INFO_V1(algawf_event_cache_stats);
Datum
algawf_event_cache_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int64GetDatum((int64) subs_generation);
	values[1] = Int32GetDatum(subs_hash ? (int32) hash_get_num_entries(subs_hash) : 0);
	values[2] = Int64GetDatum(stat_loads);
	values[3] = Int64GetDatum(stat_hits);
	values[4] = Int64GetDatum(stat_invalidations);
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
}
