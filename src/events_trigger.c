/*
 * events_trigger.c — algawf.emit_trigger(): one generic C row trigger that
 * emits Alga's events from row changes, parameterized by its arguments:
 *
 *   emit_trigger(family, tenant_column [, created, updated, deleted])
 *
 * family is ticket, ticket_comment, client, contact, interaction,
 * appointment, project_task, time_entry (Alga's tables and payload shapes)
 * or generic (any table: the three event names are given).  It is attached
 * as an AFTER ROW trigger by algawf.attach_events() — to the algawf_psa
 * tables at install, and to users' own tables.
 *
 * Fast path (nobody listens): find the tenant column (usually attribute 1),
 * read it from the tuple, ask the subscription cache whether the tenant
 * listens to any event this change can produce.  No SPI, no allocation.
 *
 * Slow path: as the extension owner with a pinned search_path (the trigger
 * fires for any role that may write the table; the event layer's tables are
 * the extension's), build each wanted event's payload in Alga's shape —
 * {tenantId, occurredAt, actorUserId, <ids>, ..., changes: {field:
 * {previous, new}}} — and emit it (events.c).  Only events somebody listens
 * to are built and recorded.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/sysattr.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/bitmapset.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/formatting.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "events.h"
#include "guc.h"
#include "interp.h"

/* ---- families ------------------------------------------------------------ */

typedef enum FamilyId
{
	FAM_TICKET,
	FAM_COMMENT,
	FAM_CLIENT,
	FAM_CONTACT,
	FAM_INTERACTION,
	FAM_APPOINTMENT,
	FAM_PROJECT_TASK,
	FAM_TIME_ENTRY,
	FAM_GENERIC
} FamilyId;

typedef struct EvFamily
{
	FamilyId	id;
	const char *name;			/* trigger argument, attach_events(family) */
	const char *table;			/* Alga's (and algawf_psa's) table name */
	const char *alt_table;		/* an older Alga name, or NULL */
	uint32		insert_mask;
	uint32		update_mask;
	const char *required[4];	/* columns attach_events insists on */
} EvFamily;

#define TICKET_UPDATE_EVENTS (EV_BIT(EV_TICKET_UPDATED) | EV_BIT(EV_TICKET_STATUS_CHANGED) | \
	EV_BIT(EV_TICKET_PRIORITY_CHANGED) | EV_BIT(EV_TICKET_ASSIGNED) | EV_BIT(EV_TICKET_UNASSIGNED) | \
	EV_BIT(EV_TICKET_CLOSED) | EV_BIT(EV_TICKET_REOPENED))

static const EvFamily families[] = {
	{FAM_TICKET, "ticket", "tickets", NULL,
		EV_BIT(EV_TICKET_CREATED) | EV_BIT(EV_TICKET_ASSIGNED), TICKET_UPDATE_EVENTS,
	{"ticket_id", NULL}},
	{FAM_COMMENT, "ticket_comment", "comments", NULL,
		EV_BIT(EV_TICKET_COMMENT_ADDED), 0,
	{"comment_id", "ticket_id", NULL}},
	{FAM_CLIENT, "client", "clients", "companies",
		EV_BIT(EV_CLIENT_CREATED), EV_BIT(EV_CLIENT_UPDATED),
	{"client_id", NULL}},
	{FAM_CONTACT, "contact", "contacts", NULL,
		EV_BIT(EV_CONTACT_CREATED), EV_BIT(EV_CONTACT_UPDATED) | EV_BIT(EV_CONTACT_ARCHIVED),
	{"contact_name_id", NULL}},
	{FAM_INTERACTION, "interaction", "interactions", NULL,
		EV_BIT(EV_INTERACTION_LOGGED), 0,
	{"interaction_id", NULL}},
	{FAM_APPOINTMENT, "appointment", "schedule_entries", NULL,
		EV_BIT(EV_APPOINTMENT_CREATED), 0,
	{"entry_id", "scheduled_start", "scheduled_end", NULL}},
	{FAM_PROJECT_TASK, "project_task", "project_tasks", NULL,
		EV_BIT(EV_PROJECT_TASK_CREATED), 0,
	{"task_id", NULL}},
	{FAM_TIME_ENTRY, "time_entry", "time_entries", NULL,
		EV_BIT(EV_TICKET_TIME_ENTRY_ADDED), 0,
	{"entry_id", "work_item_id", "work_item_type", NULL}},
	{FAM_GENERIC, "generic", NULL, NULL, 0, 0, {NULL}}
};

#define NFAMILIES ((int) lengthof(families))

static const EvFamily *
family_by_name(const char *name)
{
	int			i;

	for (i = 0; i < NFAMILIES; i++)
		if (strcmp(families[i].name, name) == 0)
			return &families[i];
	return NULL;
}

/* 1-based attribute number of a live column, 0 if none */
static int
find_column(TupleDesc desc, const char *name)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return i + 1;
	}
	return 0;
}

/* ---- row context ---------------------------------------------------------- */

typedef struct RowCtx
{
	TriggerData *td;
	Relation	rel;
	TupleDesc	desc;
	const EvFamily *fam;
	HeapTuple	newt;			/* INSERT/UPDATE: the new row */
	HeapTuple	oldt;			/* UPDATE/DELETE: the old row */
	bool		is_insert;
	bool		is_update;
	bool		is_delete;
	int			tenant_col;
	pg_uuid_t	tenant;
	SubsEntry  *subs;
	char	   *source;			/* schema.table */
	char	   *now;			/* occurredAt */
	char	   *actor;			/* actor user id, or NULL */
	/* UPDATE: what changed (computed on first use) */
	bool		changes_done;
	int			nchanges;
	Jsonb	   *changes;
	Jsonb	   *fields;
} RowCtx;

static bool
wanted(RowCtx *rc, int ev)
{
	return (rc->subs->known_mask & EV_BIT(ev)) != 0;
}

/* the value of a column (false when the column is missing or NULL) */
static bool
col_get(RowCtx *rc, HeapTuple t, const char *col, Datum *d, Oid *typid)
{
	int			attno;
	bool		isnull;

	if (t == NULL)
		return false;
	attno = find_column(rc->desc, col);
	if (attno == 0)
		return false;
	*d = heap_getattr(t, attno, rc->desc, &isnull);
	if (typid)
		*typid = TupleDescAttr(rc->desc, attno - 1)->atttypid;
	return !isnull;
}

static char *
ts_iso(TimestampTz t)
{
	return wf_iso_time(t);
}

static char *
ts_local_iso(Timestamp t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(t) || timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		return pstrdup("");
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03d",
					tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
					(int) (fsec / 1000));
}

/* text of a value as it appears in payloads (ids, timestamps in ISO 8601 UTC) */
static char *
datum_text(Datum d, Oid typid)
{
	Oid			out;
	bool		varlena;

	typid = getBaseType(typid);
	if (typid == TIMESTAMPTZOID)
		return ts_iso(DatumGetTimestampTz(d));
	if (typid == TIMESTAMPOID)
		return ts_local_iso(DatumGetTimestamp(d));
	getTypeOutputInfo(typid, &out, &varlena);
	return OidOutputFunctionCall(out, d);
}

static char *
col_text(RowCtx *rc, HeapTuple t, const char *col)
{
	Datum		d;
	Oid			typid;

	if (!col_get(rc, t, col, &d, &typid))
		return NULL;
	return datum_text(d, typid);
}

static bool
col_bool(RowCtx *rc, HeapTuple t, const char *col, bool *out)
{
	Datum		d;
	Oid			typid;

	if (!col_get(rc, t, col, &d, &typid) || getBaseType(typid) != BOOLOID)
		return false;
	*out = DatumGetBool(d);
	return true;
}

/* did the column change in this UPDATE? (missing column: no) */
static bool
col_changed(RowCtx *rc, const char *col)
{
	int			attno = find_column(rc->desc, col);
	Form_pg_attribute a;
	bool		n1;
	bool		n2;
	Datum		d1;
	Datum		d2;

	if (attno == 0 || !rc->is_update)
		return false;
	a = TupleDescAttr(rc->desc, attno - 1);
	d1 = heap_getattr(rc->oldt, attno, rc->desc, &n1);
	d2 = heap_getattr(rc->newt, attno, rc->desc, &n2);
	if (n1 || n2)
		return n1 != n2;
	return !datum_image_eq(d1, d2, a->attbyval, a->attlen);
}

/* ---- JSON building ------------------------------------------------------- */

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
push_text_value(JsonbParseState **st, JsonbIteratorToken seq, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	pushJsonbValue(st, seq, &v);
}

static void
push_jsonb_value(JsonbParseState **st, JsonbIteratorToken seq, Jsonb *j)
{
	JsonbValue	v;

	if (JB_ROOT_IS_SCALAR(j))
	{
		if (!JsonbExtractScalar(&j->root, &v))
			elog(ERROR, "could not extract a jsonb scalar");
	}
	else
	{
		v.type = jbvBinary;
		v.val.binary.data = &j->root;
		v.val.binary.len = VARSIZE(j) - VARHDRSZ;
	}
	pushJsonbValue(st, seq, &v);
}

/* a column value as JSON: numbers, booleans, jsonb as themselves, timestamps ISO 8601, the rest as text */
static void
push_datum(JsonbParseState **st, JsonbIteratorToken seq, Datum d, bool isnull, Oid typid)
{
	JsonbValue	v;

	if (isnull)
	{
		v.type = jbvNull;
		pushJsonbValue(st, seq, &v);
		return;
	}
	typid = getBaseType(typid);
	switch (typid)
	{
		case BOOLOID:
			v.type = jbvBool;
			v.val.boolean = DatumGetBool(d);
			break;
		case INT2OID:
			v.type = jbvNumeric;
			v.val.numeric = int64_to_numeric(DatumGetInt16(d));
			break;
		case INT4OID:
			v.type = jbvNumeric;
			v.val.numeric = int64_to_numeric(DatumGetInt32(d));
			break;
		case INT8OID:
			v.type = jbvNumeric;
			v.val.numeric = int64_to_numeric(DatumGetInt64(d));
			break;
		case NUMERICOID:
			if (numeric_is_nan(DatumGetNumeric(d)) || numeric_is_inf(DatumGetNumeric(d)))
			{
				push_text_value(st, seq, datum_text(d, typid));
				return;
			}
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(d);
			break;
		case FLOAT4OID:
		case FLOAT8OID:
			{
				double		f = typid == FLOAT4OID ? (double) DatumGetFloat4(d) : DatumGetFloat8(d);

				if (isnan(f) || isinf(f))
				{
					push_text_value(st, seq, datum_text(d, typid));
					return;
				}
				v.type = jbvNumeric;
				v.val.numeric = DatumGetNumeric(DirectFunctionCall1(float8_numeric, Float8GetDatum(f)));
			}
			break;
		case JSONBOID:
			push_jsonb_value(st, seq, DatumGetJsonbP(d));
			return;
		case JSONOID:
			push_jsonb_value(st, seq,
							 DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																CStringGetDatum(TextDatumGetCString(d)))));
			return;
		default:
			push_text_value(st, seq, datum_text(d, typid));
			return;
	}
	pushJsonbValue(st, seq, &v);
}

static void
pb_str(JsonbParseState **st, const char *key, const char *s)
{
	if (s == NULL)
		return;
	push_key(st, key);
	push_text_value(st, WJB_VALUE, s);
}

static void
pb_bool(JsonbParseState **st, const char *key, bool b)
{
	JsonbValue	v;

	push_key(st, key);
	v.type = jbvBool;
	v.val.boolean = b;
	pushJsonbValue(st, WJB_VALUE, &v);
}

static void
pb_int(JsonbParseState **st, const char *key, int64 n)
{
	JsonbValue	v;

	push_key(st, key);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(n);
	pushJsonbValue(st, WJB_VALUE, &v);
}

static void
pb_jsonb(JsonbParseState **st, const char *key, Jsonb *j)
{
	push_key(st, key);
	push_jsonb_value(st, WJB_VALUE, j);
}

/* key: the column's value, when the column exists and is not NULL */
static void
pb_col(JsonbParseState **st, RowCtx *rc, const char *key, HeapTuple t, const char *col)
{
	Datum		d;
	Oid			typid;

	if (!col_get(rc, t, col, &d, &typid))
		return;
	push_key(st, key);
	push_datum(st, WJB_VALUE, d, false, typid);
}

/* {tenantId, occurredAt, actorUserId?, actorType?, ... */
static void
pb_begin(JsonbParseState **st, RowCtx *rc)
{
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	pb_str(st, "tenantId", DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&rc->tenant))));
	pb_str(st, "occurredAt", rc->now);
	if (rc->actor)
	{
		pb_str(st, "actorUserId", rc->actor);
		pb_str(st, "actorType", "USER");
	}
}

static Jsonb *
pb_end(JsonbParseState **st)
{
	return JsonbValueToJsonb(pushJsonbValue(st, WJB_END_OBJECT, NULL));
}

static void
emit(RowCtx *rc, int ev, Jsonb *payload, const char *correlation_key)
{
	EmitRequest req;
	EmitResult	res;

	memset(&req, 0, sizeof(req));
	req.tenant = rc->tenant;
	req.event_type = algawf_event_names[ev];
	req.payload = payload;
	req.correlation_key = correlation_key;
	req.source = rc->source;
	req.sub = algawf_subs_find(rc->subs, req.event_type);
	algawf_emit_event(&req, &res);
}

static void
emit_named(RowCtx *rc, const char *name, Jsonb *payload, const char *correlation_key)
{
	EmitRequest req;
	EmitResult	res;

	memset(&req, 0, sizeof(req));
	req.tenant = rc->tenant;
	req.event_type = name;
	req.payload = payload;
	req.correlation_key = correlation_key;
	req.source = rc->source;
	req.sub = algawf_subs_find(rc->subs, name);
	algawf_emit_event(&req, &res);
}

/* ---- changes -------------------------------------------------------------- */

static bool
ignored_change(const char *col, int attno, RowCtx *rc)
{
	return attno == rc->tenant_col ||
		strcmp(col, "updated_at") == 0 || strcmp(col, "updated_by") == 0;
}

static void
push_change(JsonbParseState **ch, JsonbParseState **fl, const char *path,
			Datum od, bool on, Datum nd, bool nn, Oid typid)
{
	push_key(ch, path);
	pushJsonbValue(ch, WJB_BEGIN_OBJECT, NULL);
	push_key(ch, "previous");
	push_datum(ch, WJB_VALUE, od, on, typid);
	push_key(ch, "new");
	push_datum(ch, WJB_VALUE, nd, nn, typid);
	pushJsonbValue(ch, WJB_END_OBJECT, NULL);
	push_text_value(fl, WJB_ELEM, path);
}

/* a jsonb value of an object member, as a Jsonb (NULL when absent) */
static Jsonb *
member(Jsonb *obj, const char *key, int klen)
{
	JsonbValue *v = getKeyJsonValueFromContainer(&obj->root, key, klen, NULL);

	return v ? JsonbValueToJsonb(v) : NULL;
}

/* attributes.description-style changes for two jsonb objects */
static int
jsonb_object_changes(JsonbParseState **ch, JsonbParseState **fl, const char *col, Jsonb *o, Jsonb *n)
{
	int			count = 0;
	int			pass;

	for (pass = 0; pass < 2; pass++)
	{
		Jsonb	   *src = pass == 0 ? n : o;
		JsonbIterator *it = JsonbIteratorInit(&src->root);
		JsonbValue	v;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			char	   *key;
			Jsonb	   *ov;
			Jsonb	   *nv;

			if (tok != WJB_KEY)
				continue;
			key = pnstrdup(v.val.string.val, v.val.string.len);
			ov = member(o, key, v.val.string.len);
			nv = member(n, key, v.val.string.len);
			if (pass == 1 && nv != NULL)
				continue;		/* seen in the first pass */
			if (ov && nv && DatumGetBool(DirectFunctionCall2(jsonb_eq, JsonbPGetDatum(ov), JsonbPGetDatum(nv))))
				continue;
			push_change(ch, fl, psprintf("%s.%s", col, key),
						ov ? JsonbPGetDatum(ov) : (Datum) 0, ov == NULL,
						nv ? JsonbPGetDatum(nv) : (Datum) 0, nv == NULL, JSONBOID);
			count++;
		}
	}
	return count;
}

static void
compute_changes(RowCtx *rc)
{
	JsonbParseState *ch = NULL;
	JsonbParseState *fl = NULL;
	int			i;

	if (rc->changes_done)
		return;
	rc->changes_done = true;
	pushJsonbValue(&ch, WJB_BEGIN_OBJECT, NULL);
	pushJsonbValue(&fl, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < rc->desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(rc->desc, i);
		const char *col = NameStr(a->attname);
		bool		on;
		bool		nn;
		Datum		od;
		Datum		nd;

		if (a->attisdropped || ignored_change(col, i + 1, rc))
			continue;
		od = heap_getattr(rc->oldt, i + 1, rc->desc, &on);
		nd = heap_getattr(rc->newt, i + 1, rc->desc, &nn);
		if (on && nn)
			continue;
		if (!on && !nn && datum_image_eq(od, nd, a->attbyval, a->attlen))
			continue;
		if (!on && !nn && getBaseType(a->atttypid) == JSONBOID &&
			JB_ROOT_IS_OBJECT(DatumGetJsonbP(od)) && JB_ROOT_IS_OBJECT(DatumGetJsonbP(nd)))
		{
			rc->nchanges += jsonb_object_changes(&ch, &fl, col, DatumGetJsonbP(od), DatumGetJsonbP(nd));
			continue;
		}
		push_change(&ch, &fl, col, od, on, nd, nn, a->atttypid);
		rc->nchanges++;
	}
	rc->changes = JsonbValueToJsonb(pushJsonbValue(&ch, WJB_END_OBJECT, NULL));
	rc->fields = JsonbValueToJsonb(pushJsonbValue(&fl, WJB_END_ARRAY, NULL));
}

/* updatedFields + changes of the whole update */
static void
pb_changes(JsonbParseState **st, RowCtx *rc)
{
	compute_changes(rc);
	pb_jsonb(st, "updatedFields", rc->fields);
	pb_jsonb(st, "changes", rc->changes);
}

/* updatedFields + changes of one column */
static void
pb_column_change(JsonbParseState **st, RowCtx *rc, const char *col)
{
	JsonbParseState *ch = NULL;
	JsonbParseState *fl = NULL;
	int			attno = find_column(rc->desc, col);
	bool		on;
	bool		nn;
	Datum		od;
	Datum		nd;

	if (attno == 0)
		return;
	od = heap_getattr(rc->oldt, attno, rc->desc, &on);
	nd = heap_getattr(rc->newt, attno, rc->desc, &nn);
	pushJsonbValue(&ch, WJB_BEGIN_OBJECT, NULL);
	pushJsonbValue(&fl, WJB_BEGIN_ARRAY, NULL);
	push_change(&ch, &fl, col, od, on, nd, nn, TupleDescAttr(rc->desc, attno - 1)->atttypid);
	pb_jsonb(st, "updatedFields", JsonbValueToJsonb(pushJsonbValue(&fl, WJB_END_ARRAY, NULL)));
	pb_jsonb(st, "changes", JsonbValueToJsonb(pushJsonbValue(&ch, WJB_END_OBJECT, NULL)));
}

/* ---- lookups (names and parent ids the row does not carry) ----------------- */

typedef enum Lookup
{
	LK_INTERACTION_TYPE,
	LK_CONTACT_CLIENT,
	LK_TICKET_CLIENT,
	LK_STATUS_NAME,
	LK_PHASE_PROJECT,
	LK_COUNT
} Lookup;

static const struct
{
	const char *table;			/* must exist in the row's schema */
	const char *sql;			/* %s = the row's schema; $1 tenant, $2 id */
}			lookups[LK_COUNT] = {
	{"interaction_types",
		"SELECT t.type_name FROM %s.interaction_types t WHERE t.tenant = $1 AND t.type_id = $2 "
		"UNION ALL SELECT s.type_name FROM %s.system_interaction_types s WHERE s.type_id = $2 LIMIT 1"},
	{"contacts", "SELECT c.client_id::text FROM %s.contacts c WHERE c.tenant = $1 AND c.contact_name_id = $2"},
	{"tickets", "SELECT t.client_id::text FROM %s.tickets t WHERE t.tenant = $1 AND t.ticket_id = $2"},
	{"statuses", "SELECT s.name FROM %s.statuses s WHERE s.tenant = $1 AND s.status_id = $2"},
	{"project_phases", "SELECT p.project_id::text FROM %s.project_phases p WHERE p.tenant = $1 AND p.phase_id = $2"},
};

#define LOOKUP_SCHEMAS 4

typedef struct LookupPlan
{
	Oid			nsp;
	SPIPlanPtr	plan;
} LookupPlan;

static LookupPlan lookup_plans[LK_COUNT][LOOKUP_SCHEMAS];

static SPIPlanPtr
lookup_plan(Lookup k, Oid nsp)
{
	int			i;
	char	   *q;
	const char *schema;
	SPIPlanPtr	p;
	Oid			types[2] = {UUIDOID, UUIDOID};

	for (i = 0; i < LOOKUP_SCHEMAS; i++)
		if (lookup_plans[k][i].plan && lookup_plans[k][i].nsp == nsp)
			return lookup_plans[k][i].plan;
	if (!OidIsValid(get_relname_relid(lookups[k].table, nsp)) ||
		(k == LK_INTERACTION_TYPE && !OidIsValid(get_relname_relid("system_interaction_types", nsp))))
		return NULL;
	schema = quote_identifier(get_namespace_name(nsp));
	q = psprintf(lookups[k].sql, schema, schema);
	p = SPI_prepare(q, 2, types);
	if (p == NULL)
		return NULL;
	SPI_keepplan(p);
	for (i = 0; i < LOOKUP_SCHEMAS; i++)
		if (lookup_plans[k][i].plan == NULL)
			break;
	if (i == LOOKUP_SCHEMAS)
	{
		i = LOOKUP_SCHEMAS - 1;
		SPI_freeplan(lookup_plans[k][i].plan);
	}
	lookup_plans[k][i].nsp = nsp;
	lookup_plans[k][i].plan = p;
	return p;
}

/* text result of a lookup by the value of a uuid column, or NULL */
static char *
lookup(RowCtx *rc, Lookup k, HeapTuple t, const char *col)
{
	Datum		id;
	Oid			typid;
	Datum		args[2];
	SPIPlanPtr	p;
	bool		isnull;
	Datum		r;

	if (!col_get(rc, t, col, &id, &typid) || getBaseType(typid) != UUIDOID)
		return NULL;
	p = lookup_plan(k, RelationGetNamespace(rc->rel));
	if (p == NULL)
		return NULL;
	args[0] = UUIDPGetDatum(&rc->tenant);
	args[1] = id;
	if (SPI_execute_plan(p, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed == 0)
		return NULL;
	r = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? NULL : TextDatumGetCString(r);
}

/* ---- the families' events -------------------------------------------------- */

static void
ticket_ids(JsonbParseState **st, RowCtx *rc, HeapTuple t)
{
	pb_col(st, rc, "ticketId", t, "ticket_id");
	pb_col(st, rc, "ticketNumber", t, "ticket_number");
	pb_col(st, rc, "title", t, "title");
}

static void
ticket_events(RowCtx *rc)
{
	JsonbParseState *st = NULL;
	char	   *key = col_text(rc, rc->newt, "ticket_id");
	bool		oc;
	bool		nc;
	bool		have_closed;

	if (rc->is_insert)
	{
		if (wanted(rc, EV_TICKET_CREATED))
		{
			char	   *desc = NULL;
			Datum		d;
			Oid			typid;

			pb_begin(&st, rc);
			ticket_ids(&st, rc, rc->newt);
			pb_col(&st, rc, "createdByUserId", rc->newt, "entered_by");
			pb_col(&st, rc, "createdAt", rc->newt, "entered_at");
			pb_col(&st, rc, "clientId", rc->newt, "client_id");
			pb_col(&st, rc, "contactId", rc->newt, "contact_name_id");
			pb_col(&st, rc, "boardId", rc->newt, "board_id");
			pb_col(&st, rc, "statusId", rc->newt, "status_id");
			pb_col(&st, rc, "priorityId", rc->newt, "priority_id");
			pb_col(&st, rc, "categoryId", rc->newt, "category_id");
			pb_col(&st, rc, "subcategoryId", rc->newt, "subcategory_id");
			pb_col(&st, rc, "assignedToUserId", rc->newt, "assigned_to");
			pb_col(&st, rc, "assignedTeamId", rc->newt, "assigned_team_id");
			pb_col(&st, rc, "dueDate", rc->newt, "due_date");
			if (col_get(rc, rc->newt, "attributes", &d, &typid) && getBaseType(typid) == JSONBOID &&
				JB_ROOT_IS_OBJECT(DatumGetJsonbP(d)))
			{
				JsonbValue *v = getKeyJsonValueFromContainer(&DatumGetJsonbP(d)->root,
															 "description", 11, NULL);

				if (v && v->type == jbvString)
					desc = pnstrdup(v->val.string.val, v->val.string.len);
			}
			pb_str(&st, "description", desc);
			emit(rc, EV_TICKET_CREATED, pb_end(&st), key);
		}
		if (wanted(rc, EV_TICKET_ASSIGNED) && col_text(rc, rc->newt, "assigned_to"))
		{
			pb_begin(&st, rc);
			ticket_ids(&st, rc, rc->newt);
			pb_col(&st, rc, "assignedToUserId", rc->newt, "assigned_to");
			pb_str(&st, "assignedByUserId", rc->actor);
			pb_col(&st, rc, "newAssigneeId", rc->newt, "assigned_to");
			pb_str(&st, "newAssigneeType", "user");
			pb_str(&st, "assignedAt", rc->now);
			emit(rc, EV_TICKET_ASSIGNED, pb_end(&st), key);
		}
		return;
	}

	/* UPDATE */
	if (wanted(rc, EV_TICKET_UPDATED))
	{
		compute_changes(rc);
		if (rc->nchanges > 0)
		{
			pb_begin(&st, rc);
			ticket_ids(&st, rc, rc->newt);
			pb_col(&st, rc, "updatedByUserId", rc->newt, "updated_by");
			pb_changes(&st, rc);
			emit(rc, EV_TICKET_UPDATED, pb_end(&st), key);
		}
	}
	if (wanted(rc, EV_TICKET_STATUS_CHANGED) && col_changed(rc, "status_id") &&
		col_text(rc, rc->oldt, "status_id") && col_text(rc, rc->newt, "status_id"))
	{
		pb_begin(&st, rc);
		ticket_ids(&st, rc, rc->newt);
		pb_col(&st, rc, "previousStatusId", rc->oldt, "status_id");
		pb_col(&st, rc, "newStatusId", rc->newt, "status_id");
		pb_str(&st, "changedAt", rc->now);
		emit(rc, EV_TICKET_STATUS_CHANGED, pb_end(&st), key);
	}
	if (wanted(rc, EV_TICKET_PRIORITY_CHANGED) && col_changed(rc, "priority_id") &&
		col_text(rc, rc->oldt, "priority_id") && col_text(rc, rc->newt, "priority_id"))
	{
		pb_begin(&st, rc);
		ticket_ids(&st, rc, rc->newt);
		pb_col(&st, rc, "previousPriorityId", rc->oldt, "priority_id");
		pb_col(&st, rc, "newPriorityId", rc->newt, "priority_id");
		pb_str(&st, "changedAt", rc->now);
		emit(rc, EV_TICKET_PRIORITY_CHANGED, pb_end(&st), key);
	}
	if (col_changed(rc, "assigned_to"))
	{
		char	   *prev = col_text(rc, rc->oldt, "assigned_to");
		char	   *cur = col_text(rc, rc->newt, "assigned_to");

		if (cur && wanted(rc, EV_TICKET_ASSIGNED))
		{
			pb_begin(&st, rc);
			ticket_ids(&st, rc, rc->newt);
			pb_str(&st, "assignedToUserId", cur);
			pb_str(&st, "assignedByUserId", rc->actor);
			if (prev)
			{
				pb_str(&st, "previousAssigneeId", prev);
				pb_str(&st, "previousAssigneeType", "user");
			}
			pb_str(&st, "newAssigneeId", cur);
			pb_str(&st, "newAssigneeType", "user");
			pb_str(&st, "assignedAt", rc->now);
			pb_column_change(&st, rc, "assigned_to");
			emit(rc, EV_TICKET_ASSIGNED, pb_end(&st), key);
		}
		else if (!cur && prev && wanted(rc, EV_TICKET_UNASSIGNED))
		{
			pb_begin(&st, rc);
			ticket_ids(&st, rc, rc->newt);
			pb_str(&st, "previousAssigneeId", prev);
			pb_str(&st, "previousAssigneeType", "user");
			pb_str(&st, "unassignedAt", rc->now);
			emit(rc, EV_TICKET_UNASSIGNED, pb_end(&st), key);
		}
	}

	/* closed / reopened: is_closed flips (or closed_at appears/disappears) */
	have_closed = col_bool(rc, rc->oldt, "is_closed", &oc) && col_bool(rc, rc->newt, "is_closed", &nc);
	if (!have_closed)
	{
		oc = col_text(rc, rc->oldt, "closed_at") != NULL;
		nc = col_text(rc, rc->newt, "closed_at") != NULL;
	}
	if (!oc && nc && wanted(rc, EV_TICKET_CLOSED))
	{
		char	   *by = col_text(rc, rc->newt, "closed_by");
		char	   *at = col_text(rc, rc->newt, "closed_at");

		pb_begin(&st, rc);
		ticket_ids(&st, rc, rc->newt);
		pb_str(&st, "closedByUserId", by ? by : rc->actor);
		pb_str(&st, "closedAt", at ? at : rc->now);
		pb_changes(&st, rc);
		emit(rc, EV_TICKET_CLOSED, pb_end(&st), key);
	}
	else if (oc && !nc && wanted(rc, EV_TICKET_REOPENED))
	{
		pb_begin(&st, rc);
		ticket_ids(&st, rc, rc->newt);
		pb_col(&st, rc, "previousStatusId", rc->oldt, "status_id");
		pb_col(&st, rc, "newStatusId", rc->newt, "status_id");
		pb_str(&st, "reopenedAt", rc->now);
		emit(rc, EV_TICKET_REOPENED, pb_end(&st), key);
	}
}

static void
comment_events(RowCtx *rc)
{
	JsonbParseState *st = NULL;
	char	   *user = col_text(rc, rc->newt, "user_id");
	char	   *contact = col_text(rc, rc->newt, "contact_id");
	bool		b;

	if (!rc->is_insert || !wanted(rc, EV_TICKET_COMMENT_ADDED))
		return;
	pb_begin(&st, rc);
	if (rc->actor == NULL && user == NULL && contact)
	{
		/* a client wrote it */
		pb_str(&st, "actorContactId", contact);
		pb_str(&st, "actorType", "CONTACT");
	}
	pb_col(&st, rc, "ticketId", rc->newt, "ticket_id");
	pb_col(&st, rc, "commentId", rc->newt, "comment_id");
	if (col_bool(rc, rc->newt, "is_internal", &b))
		pb_str(&st, "visibility", b ? "internal" : "public");
	if (user)
	{
		pb_str(&st, "authorId", user);
		pb_str(&st, "authorType", "user");
	}
	else if (contact)
	{
		pb_str(&st, "authorId", contact);
		pb_str(&st, "authorType", "contact");
	}
	if (col_bool(rc, rc->newt, "is_resolution", &b))
		pb_bool(&st, "isResolution", b);
	pb_col(&st, rc, "createdAt", rc->newt, "created_at");
	emit(rc, EV_TICKET_COMMENT_ADDED, pb_end(&st), col_text(rc, rc->newt, "ticket_id"));
}

static void
client_events(RowCtx *rc)
{
	JsonbParseState *st = NULL;
	char	   *key = col_text(rc, rc->newt, "client_id");
	bool		inactive;

	if (rc->is_insert && wanted(rc, EV_CLIENT_CREATED))
	{
		pb_begin(&st, rc);
		pb_col(&st, rc, "clientId", rc->newt, "client_id");
		pb_col(&st, rc, "clientName", rc->newt, "client_name");
		pb_col(&st, rc, "clientType", rc->newt, "client_type");
		if (col_bool(rc, rc->newt, "is_inactive", &inactive))
			pb_str(&st, "status", inactive ? "inactive" : "active");
		pb_str(&st, "createdByUserId", rc->actor);
		pb_col(&st, rc, "createdAt", rc->newt, "created_at");
		emit(rc, EV_CLIENT_CREATED, pb_end(&st), key);
	}
	else if (rc->is_update && wanted(rc, EV_CLIENT_UPDATED))
	{
		compute_changes(rc);
		if (rc->nchanges == 0)
			return;
		pb_begin(&st, rc);
		pb_col(&st, rc, "clientId", rc->newt, "client_id");
		pb_col(&st, rc, "clientName", rc->newt, "client_name");
		pb_str(&st, "updatedByUserId", rc->actor);
		pb_col(&st, rc, "updatedAt", rc->newt, "updated_at");
		pb_changes(&st, rc);
		emit(rc, EV_CLIENT_UPDATED, pb_end(&st), key);
	}
}

static void
contact_events(RowCtx *rc)
{
	JsonbParseState *st = NULL;
	char	   *key = col_text(rc, rc->newt, "contact_name_id");
	bool		was;
	bool		is;

	if (rc->is_insert)
	{
		if (!wanted(rc, EV_CONTACT_CREATED))
			return;
		pb_begin(&st, rc);
		pb_col(&st, rc, "contactId", rc->newt, "contact_name_id");
		pb_col(&st, rc, "clientId", rc->newt, "client_id");
		pb_col(&st, rc, "fullName", rc->newt, "full_name");
		pb_col(&st, rc, "email", rc->newt, "email");
		pb_col(&st, rc, "defaultPhoneNumber", rc->newt, "phone_number");
		pb_col(&st, rc, "role", rc->newt, "role");
		pb_str(&st, "createdByUserId", rc->actor);
		pb_col(&st, rc, "createdAt", rc->newt, "created_at");
		emit(rc, EV_CONTACT_CREATED, pb_end(&st), key);
		return;
	}
	if (wanted(rc, EV_CONTACT_UPDATED))
	{
		compute_changes(rc);
		if (rc->nchanges > 0)
		{
			pb_begin(&st, rc);
			pb_col(&st, rc, "contactId", rc->newt, "contact_name_id");
			pb_col(&st, rc, "clientId", rc->newt, "client_id");
			pb_str(&st, "updatedByUserId", rc->actor);
			pb_col(&st, rc, "updatedAt", rc->newt, "updated_at");
			pb_changes(&st, rc);
			emit(rc, EV_CONTACT_UPDATED, pb_end(&st), key);
		}
	}
	if (wanted(rc, EV_CONTACT_ARCHIVED) &&
		col_bool(rc, rc->oldt, "is_inactive", &was) && col_bool(rc, rc->newt, "is_inactive", &is) &&
		!was && is)
	{
		pb_begin(&st, rc);
		pb_col(&st, rc, "contactId", rc->newt, "contact_name_id");
		pb_col(&st, rc, "clientId", rc->newt, "client_id");
		pb_str(&st, "archivedByUserId", rc->actor);
		pb_str(&st, "archivedAt", rc->now);
		emit(rc, EV_CONTACT_ARCHIVED, pb_end(&st), key);
	}
}

static void
interaction_events(RowCtx *rc)
{
	JsonbParseState *st = NULL;
	char	   *client;
	char	   *type;
	char	   *outcome;

	if (!rc->is_insert || !wanted(rc, EV_INTERACTION_LOGGED))
		return;
	client = col_text(rc, rc->newt, "client_id");
	if (client == NULL)
		client = lookup(rc, LK_CONTACT_CLIENT, rc->newt, "contact_name_id");
	if (client == NULL)
		client = lookup(rc, LK_TICKET_CLIENT, rc->newt, "ticket_id");
	type = lookup(rc, LK_INTERACTION_TYPE, rc->newt, "type_id");
	outcome = lookup(rc, LK_STATUS_NAME, rc->newt, "status_id");

	pb_begin(&st, rc);
	pb_col(&st, rc, "interactionId", rc->newt, "interaction_id");
	pb_str(&st, "clientId", client);
	pb_col(&st, rc, "contactId", rc->newt, "contact_name_id");
	pb_col(&st, rc, "ticketId", rc->newt, "ticket_id");
	pb_str(&st, "interactionType", type);
	if (type)
		pb_str(&st, "channel", str_tolower(type, strlen(type), DEFAULT_COLLATION_OID));
	pb_col(&st, rc, "interactionOccurredAt", rc->newt, "interaction_date");
	pb_col(&st, rc, "loggedByUserId", rc->newt, "user_id");
	pb_col(&st, rc, "subject", rc->newt, "title");
	pb_str(&st, "outcome", outcome);
	pb_col(&st, rc, "durationMinutes", rc->newt, "duration");
	emit(rc, EV_INTERACTION_LOGGED, pb_end(&st), col_text(rc, rc->newt, "interaction_id"));
}

static void
appointment_events(RowCtx *rc)
{
	JsonbParseState *st = NULL;
	char	   *wtype = col_text(rc, rc->newt, "work_item_type");

	if (!rc->is_insert || !wanted(rc, EV_APPOINTMENT_CREATED))
		return;
	pb_begin(&st, rc);
	pb_col(&st, rc, "appointmentId", rc->newt, "entry_id");
	if (wtype && strcmp(wtype, "ticket") == 0)
		pb_col(&st, rc, "ticketId", rc->newt, "work_item_id");
	pb_col(&st, rc, "startAt", rc->newt, "scheduled_start");
	pb_col(&st, rc, "endAt", rc->newt, "scheduled_end");
	pb_str(&st, "timezone", "UTC");
	pb_col(&st, rc, "createdByUserId", rc->newt, "created_by");
	pb_col(&st, rc, "createdAt", rc->newt, "created_at");
	pb_col(&st, rc, "title", rc->newt, "title");
	pb_col(&st, rc, "status", rc->newt, "status");
	pb_str(&st, "workItemType", wtype);
	pb_col(&st, rc, "workItemId", rc->newt, "work_item_id");
	emit(rc, EV_APPOINTMENT_CREATED, pb_end(&st), col_text(rc, rc->newt, "entry_id"));
}

static void
project_task_events(RowCtx *rc)
{
	JsonbParseState *st = NULL;

	if (!rc->is_insert || !wanted(rc, EV_PROJECT_TASK_CREATED))
		return;
	pb_begin(&st, rc);
	pb_col(&st, rc, "taskId", rc->newt, "task_id");
	pb_str(&st, "projectId", lookup(rc, LK_PHASE_PROJECT, rc->newt, "phase_id"));
	pb_col(&st, rc, "phaseId", rc->newt, "phase_id");
	pb_col(&st, rc, "title", rc->newt, "task_name");
	pb_col(&st, rc, "dueDate", rc->newt, "due_date");
	pb_str(&st, "status", lookup(rc, LK_STATUS_NAME, rc->newt, "status_id"));
	pb_col(&st, rc, "statusId", rc->newt, "status_id");
	pb_col(&st, rc, "assignedToUserId", rc->newt, "assigned_to");
	pb_str(&st, "createdByUserId", rc->actor);
	pb_col(&st, rc, "createdAt", rc->newt, "created_at");
	emit(rc, EV_PROJECT_TASK_CREATED, pb_end(&st), col_text(rc, rc->newt, "task_id"));
}

static void
time_entry_events(RowCtx *rc)
{
	JsonbParseState *st = NULL;
	char	   *wtype = col_text(rc, rc->newt, "work_item_type");
	char	   *ticket = col_text(rc, rc->newt, "work_item_id");
	Datum		s;
	Datum		e;
	Datum		b;
	Oid			t1;
	Oid			t2;
	Oid			t3;

	if (!rc->is_insert || !wanted(rc, EV_TICKET_TIME_ENTRY_ADDED) ||
		wtype == NULL || strcmp(wtype, "ticket") != 0 || ticket == NULL)
		return;
	pb_begin(&st, rc);
	pb_str(&st, "ticketId", ticket);
	pb_col(&st, rc, "timeEntryId", rc->newt, "entry_id");
	if (col_get(rc, rc->newt, "start_time", &s, &t1) && col_get(rc, rc->newt, "end_time", &e, &t2) &&
		getBaseType(t1) == TIMESTAMPTZOID && getBaseType(t2) == TIMESTAMPTZOID)
		pb_int(&st, "minutes",
			   (int64) rint((double) (DatumGetTimestampTz(e) - DatumGetTimestampTz(s)) / USECS_PER_MINUTE));
	if (col_get(rc, rc->newt, "billable_duration", &b, &t3) && getBaseType(t3) == INT4OID)
	{
		pb_bool(&st, "billable", DatumGetInt32(b) > 0);
		pb_int(&st, "billableMinutes", DatumGetInt32(b));
	}
	pb_col(&st, rc, "userId", rc->newt, "user_id");
	pb_col(&st, rc, "serviceId", rc->newt, "service_id");
	pb_col(&st, rc, "createdAt", rc->newt, "created_at");
	emit(rc, EV_TICKET_TIME_ENTRY_ADDED, pb_end(&st), ticket);
}

/* generic: {.., table, operation, id?, record, updatedFields?, changes?} */
static void
generic_events(RowCtx *rc, const char *name)
{
	JsonbParseState *st = NULL;
	HeapTuple	row = rc->is_delete ? rc->oldt : rc->newt;
	Bitmapset  *pk = RelationGetIndexAttrBitmap(rc->rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	char	   *id = NULL;
	int			x = -1;
	int			npk = 0;
	int			i;

	while ((x = bms_next_member(pk, x)) >= 0)
	{
		int			attno = x + FirstLowInvalidHeapAttributeNumber;

		if (attno == rc->tenant_col || attno <= 0)
			continue;
		npk++;
		if (npk == 1)
			id = col_text(rc, row, NameStr(TupleDescAttr(rc->desc, attno - 1)->attname));
	}
	if (npk != 1)
		id = NULL;
	if (rc->is_update)
	{
		compute_changes(rc);
		if (rc->nchanges == 0)
			return;
	}

	pb_begin(&st, rc);
	pb_str(&st, "table", rc->source);
	pb_str(&st, "operation", rc->is_insert ? "INSERT" : rc->is_update ? "UPDATE" : "DELETE");
	pb_str(&st, "id", id);
	push_key(&st, "record");
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < rc->desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(rc->desc, i);
		bool		isnull;
		Datum		d;

		if (a->attisdropped)
			continue;
		d = heap_getattr(row, i + 1, rc->desc, &isnull);
		push_key(&st, NameStr(a->attname));
		push_datum(&st, WJB_VALUE, d, isnull, a->atttypid);
	}
	pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	if (rc->is_update)
		pb_changes(&st, rc);
	emit_named(rc, name, pb_end(&st), id);
}

/* ---- actor ----------------------------------------------------------------- */

static char *
uuid_column_text(RowCtx *rc, HeapTuple t, const char *col)
{
	Datum		d;
	Oid			typid;

	if (!col_get(rc, t, col, &d, &typid) || getBaseType(typid) != UUIDOID)
		return NULL;
	return DatumGetCString(DirectFunctionCall1(uuid_out, d));
}

/*
 * The PSA user acting: the algawf.user setting when set, else the row's
 * updated_by (updates) or entered_by / created_by / user_id (inserts).
 */
static char *
row_actor(RowCtx *rc)
{
	static const char *const insert_cols[] = {"entered_by", "created_by", "user_id"};
	int			i;

	if (algawf_user && algawf_user[0])
		return DatumGetCString(DirectFunctionCall1(uuid_out,
												   DirectFunctionCall1(uuid_in, CStringGetDatum(algawf_user))));
	if (rc->is_update)
		return uuid_column_text(rc, rc->newt, "updated_by");
	if (rc->is_insert)
		for (i = 0; i < (int) lengthof(insert_cols); i++)
		{
			char	   *a = uuid_column_text(rc, rc->newt, insert_cols[i]);

			if (a)
				return a;
		}
	return NULL;
}

/* ---- the trigger ------------------------------------------------------------ */

static void
emit_row(TriggerData *td, const EvFamily *fam, int tenant_col, const pg_uuid_t *tenant,
		 const char *generic_name)
{
	RowCtx		rc;
	EvPriv		priv;

	memset(&rc, 0, sizeof(rc));
	rc.td = td;
	rc.rel = td->tg_relation;
	rc.desc = RelationGetDescr(td->tg_relation);
	rc.fam = fam;
	rc.is_insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	rc.is_update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	rc.is_delete = TRIGGER_FIRED_BY_DELETE(td->tg_event);
	rc.newt = rc.is_update ? td->tg_newtuple : rc.is_insert ? td->tg_trigtuple : NULL;
	rc.oldt = rc.is_insert ? NULL : td->tg_trigtuple;
	rc.tenant_col = tenant_col;
	rc.tenant = *tenant;
	rc.source = psprintf("%s.%s", get_namespace_name(RelationGetNamespace(rc.rel)),
						 RelationGetRelationName(rc.rel));
	rc.now = wf_iso_time(GetCurrentTimestamp());
	rc.actor = row_actor(&rc);

	algawf_ev_enter(&priv, true);
	rc.subs = algawf_subs_get(tenant);
	switch (fam->id)
	{
		case FAM_TICKET:
			ticket_events(&rc);
			break;
		case FAM_COMMENT:
			comment_events(&rc);
			break;
		case FAM_CLIENT:
			client_events(&rc);
			break;
		case FAM_CONTACT:
			contact_events(&rc);
			break;
		case FAM_INTERACTION:
			interaction_events(&rc);
			break;
		case FAM_APPOINTMENT:
			appointment_events(&rc);
			break;
		case FAM_PROJECT_TASK:
			project_task_events(&rc);
			break;
		case FAM_TIME_ENTRY:
			time_entry_events(&rc);
			break;
		case FAM_GENERIC:
			generic_events(&rc, generic_name);
			break;
	}
	algawf_ev_leave(&priv);
}

PG_FUNCTION_INFO_V1(algawf_emit_trigger);
Datum
algawf_emit_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Trigger    *tg;
	const EvFamily *fam;
	TupleDesc	desc;
	HeapTuple	row;
	uint32		mask;
	const char *name = NULL;
	int			tcol;
	bool		isnull;
	Datum		d;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("algawf.emit_trigger() must be an AFTER ... FOR EACH ROW trigger"),
				 errhint("Attach it with SELECT algawf.attach_events('schema.table').")));
	tg = td->tg_trigger;
	if (tg->tgnargs < 2 || (fam = family_by_name(tg->tgargs[0])) == NULL ||
		(fam->id == FAM_GENERIC && tg->tgnargs < 5))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" has invalid arguments for algawf.emit_trigger()", tg->tgname),
				 errhint("Attach it with SELECT algawf.attach_events('schema.table').")));

	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		row = td->tg_trigtuple;
		mask = fam->insert_mask;
		if (fam->id == FAM_GENERIC)
			name = tg->tgargs[2];
	}
	else if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		row = td->tg_newtuple;
		mask = fam->update_mask;
		if (fam->id == FAM_GENERIC)
			name = tg->tgargs[3];
	}
	else if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
	{
		row = td->tg_trigtuple;
		mask = 0;
		if (fam->id == FAM_GENERIC)
			name = tg->tgargs[4];
	}
	else
		return PointerGetDatum(NULL);
	if (!algawf_emit_events || (mask == 0 && (name == NULL || name[0] == '\0')))
		return PointerGetDatum(NULL);

	/* the tenant: usually the first column */
	desc = RelationGetDescr(td->tg_relation);
	if (desc->natts > 0 && !TupleDescAttr(desc, 0)->attisdropped &&
		strcmp(NameStr(TupleDescAttr(desc, 0)->attname), tg->tgargs[1]) == 0)
		tcol = 1;
	else if ((tcol = find_column(desc, tg->tgargs[1])) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table \"%s\" has no tenant column \"%s\"",
						RelationGetRelationName(td->tg_relation), tg->tgargs[1]),
				 errhint("Attach the events again with SELECT algawf.attach_events(...).")));
	d = heap_getattr(row, tcol, desc, &isnull);
	if (isnull)
		return PointerGetDatum(NULL);

	if (!algawf_subs_wanted(DatumGetUUIDP(d), mask, name))
		return PointerGetDatum(NULL);

	emit_row(td, fam, tcol, DatumGetUUIDP(d), name);
	return PointerGetDatum(NULL);
}

/* ---- attach_events support ----------------------------------------------- */

/*
 * algawf._event_family_check(tbl, family, tenant_column) -> family
 * Infers the family from the table name when family is NULL; checks the
 * table has the tenant column (uuid) and the family's key columns.
 */
PG_FUNCTION_INFO_V1(algawf_event_family_check);
Datum
algawf_event_family_check(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Relation	rel;
	const EvFamily *fam = NULL;
	char	   *tenant_col;
	int			attno;
	int			i;
	TupleDesc	desc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tbl must not be NULL")));
	relid = PG_GETARG_OID(0);
	tenant_col = PG_ARGISNULL(2) ? "tenant" : NameStr(*PG_GETARG_NAME(2));
	rel = relation_open(relid, AccessShareLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION && rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", RelationGetRelationName(rel)),
				 errhint("Events can be attached to ordinary and partitioned tables.")));
	if (PG_ARGISNULL(1))
	{
		const char *relname = RelationGetRelationName(rel);

		for (i = 0; i < NFAMILIES; i++)
			if (families[i].table &&
				(strcmp(families[i].table, relname) == 0 ||
				 (families[i].alt_table && strcmp(families[i].alt_table, relname) == 0)))
				fam = &families[i];
		if (fam == NULL)
			fam = family_by_name("generic");
	}
	else
	{
		char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(1));

		fam = family_by_name(name);
		if (fam == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown event family \"%s\"", name),
					 errhint("Families: ticket, ticket_comment, client, contact, interaction, appointment, project_task, time_entry, generic.")));
	}

	desc = RelationGetDescr(rel);
	attno = find_column(desc, tenant_col);
	if (attno == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table \"%s\" has no column \"%s\"", RelationGetRelationName(rel), tenant_col),
				 errhint("Events are per tenant: name the table's tenant column with tenant_column => '...'.")));
	if (getBaseType(TupleDescAttr(desc, attno - 1)->atttypid) != UUIDOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("tenant column \"%s\" of \"%s\" is not of type uuid", tenant_col,
						RelationGetRelationName(rel))));
	for (i = 0; fam->required[i]; i++)
		if (find_column(desc, fam->required[i]) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table \"%s\" has no column \"%s\", which the %s events need",
							RelationGetRelationName(rel), fam->required[i], fam->name),
					 errhint("Use family => 'generic' for tables that do not have Alga's shape.")));
	relation_close(rel, AccessShareLock);
	PG_RETURN_TEXT_P(cstring_to_text(fam->name));
}

/*
 * algawf._event_trigger_member(trigger oid): while CREATE EXTENSION algawf
 * runs, make the trigger a member of the extension, so that DROP EXTENSION
 * removes it and leaves the table working.  A no-op otherwise (users'
 * triggers are ordinary objects that pg_dump dumps).
 */
PG_FUNCTION_INFO_V1(algawf_event_trigger_member);
Datum
algawf_event_trigger_member(PG_FUNCTION_ARGS)
{
	ObjectAddress obj;

	if (!creating_extension)
		PG_RETURN_BOOL(false);
	obj.classId = TriggerRelationId;
	obj.objectId = PG_GETARG_OID(0);
	obj.objectSubId = 0;
	recordDependencyOnCurrentExtension(&obj, false);
	PG_RETURN_BOOL(true);
}
