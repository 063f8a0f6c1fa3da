/*
 * explain.c — algawf.explain(run_id): the run as an EXPLAIN ANALYZE-style
 * tree.  One line per step of the run's version, in definition order and
 * nested like the definition, with what the run did there: status, attempts,
 * iterations, time, what it waits for, the error (category, code, message).
 * Step inputs and outputs are never shown, so neither are secrets nor
 * redacted fields.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "definition.h"
#include "interp.h"
#include "jval_pg.h"
#include "tenancy.h"

typedef struct StepStats
{
	char		path[NAMEDATALEN * 8];
	int			rows;
	int			failed;
	int			max_attempt;
	int			iterations;
	double		total_ms;
	char	   *last_status;
	char	   *last_error;
	char	   *wait;
	char	   *children;
} StepStats;

static char *
error_line(Jsonb *jb)
{
	JvArena		a;
	Jv		   *e;
	char	   *cat,
			   *code,
			   *msg;

	jv_arena_init_pg(&a, CurrentMemoryContext);
	e = jv_from_jsonb(&a, jb);
	cat = jv_cstring(jv_get(e, "category"));
	code = jv_cstring(jv_get(e, "code"));
	msg = jv_cstring(jv_get(e, "message"));
	return psprintf("%s %s: %s", cat ? cat : "Error", code ? code : "", msg ? msg : "");
}

static char *
fmt_ms(double ms)
{
	return psprintf("%.3f ms", ms);
}

static void
emit(List **lines, int indent, const char *fmt,...)
	pg_attribute_printf(3, 4);

static void
emit(List **lines, int indent, const char *fmt,...)
{
	StringInfoData b;
	va_list		args;

	initStringInfo(&b);
	appendStringInfoSpaces(&b, indent);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&b, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&b, needed);
	}
	*lines = lappend(*lines, b.data);
}

static void
explain_block(WfBlock *b, HTAB *stats, int indent, List **lines);

static void
explain_step(WfStep *s, HTAB *stats, int indent, List **lines)
{
	bool		found;
	StepStats  *st = hash_search(stats, s->path, HASH_FIND, &found);
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "->  %s %s (%s", s->path, s->id, s->type);
	if (s->kind == WS_ACTION_CALL && s->action_id)
		appendStringInfo(&b, " %s@%d", s->action_id, s->action_version);
	if (s->kind == WS_CALL_WORKFLOW && s->workflow_ref)
		appendStringInfo(&b, " %s", s->workflow_ref);
	appendStringInfoString(&b, ")");
	if (!found)
		appendStringInfoString(&b, "  (never executed)");
	else
	{
		appendStringInfo(&b, "  %s", st->last_status);
		if (st->max_attempt > 1)
			appendStringInfo(&b, "  attempts=%d", st->max_attempt);
		if (st->iterations > 1 || (st->rows > 1 && st->max_attempt <= 1))
			appendStringInfo(&b, "  loops=%d", st->rows);
		if (st->failed > 0 && strcmp(st->last_status, "FAILED") != 0)
			appendStringInfo(&b, "  failed=%d", st->failed);
		appendStringInfo(&b, "  time=%s", fmt_ms(st->total_ms));
	}
	*lines = lappend(*lines, b.data);
	if (found && st->wait)
		emit(lines, indent + 6, "Waiting: %s", st->wait);
	if (found && st->last_error)
		emit(lines, indent + 6, "Error: %s", st->last_error);
	if (found && st->children)
		emit(lines, indent + 6, "Child runs: %s", st->children);
	switch (s->kind)
	{
		case WS_IF:
			if (s->then_block.n)
			{
				emit(lines, indent + 6, "then:");
				explain_block(&s->then_block, stats, indent + 6, lines);
			}
			if (s->else_block.n)
			{
				emit(lines, indent + 6, "else:");
				explain_block(&s->else_block, stats, indent + 6, lines);
			}
			break;
		case WS_FOREACH:
			emit(lines, indent + 6, "for each %s:", s->item_var ? s->item_var : "item");
			explain_block(&s->body, stats, indent + 6, lines);
			break;
		case WS_TRYCATCH:
			emit(lines, indent + 6, "try:");
			explain_block(&s->try_block, stats, indent + 6, lines);
			if (s->catch_block.n)
			{
				emit(lines, indent + 6, "catch%s%s:", s->capture_as ? " as " : "",
					 s->capture_as ? s->capture_as : "");
				explain_block(&s->catch_block, stats, indent + 6, lines);
			}
			break;
		default:
			break;
	}
}

static void
explain_block(WfBlock *b, HTAB *stats, int indent, List **lines)
{
	int			i;

	for (i = 0; i < b->n; i++)
	{
		StringInfoData pre;

		initStringInfo(&pre);
		appendStringInfoSpaces(&pre, indent);
		{
			List	   *one = NIL;

			explain_step(b->steps[i], stats, indent, &one);
			/* the step line itself gets the indent; nested lines carry theirs */
			if (one != NIL)
			{
				char	   *first = linitial(one);

				linitial(one) = psprintf("%s%s", pre.data, first);
				*lines = list_concat(*lines, one);
			}
		}
	}
}

PG_FUNCTION_INFO_V1(algawf_explain);
Datum
algawf_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	pg_uuid_t  *tenant = algawf_tenant_require();
	pg_uuid_t  *run_id;
	Oid			types[2] = {UUIDOID, UUIDOID};
	Datum		args[2];
	int			rc;
	bool		isnull;
	HeapTuple	tup;
	TupleDesc	td;
	pg_uuid_t	wf;
	int			version;
	char	   *status;
	char	   *hash;
	WfDef	   *def;
	HTAB	   *stats;
	HASHCTL		hctl;
	List	   *lines = NIL;
	ListCell   *lc;
	uint64		i;
	Datum		d;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	run_id = PG_GETARG_UUID_P(0);
	SPI_connect();
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(run_id);
	rc = SPI_execute_with_args(
							   "SELECT r.workflow_id, r.workflow_version, r.status, v.definition_hash, d.name, d.key, "
							   "  round((extract(epoch FROM coalesce(r.completed_at, clock_timestamp()) - r.started_at) * 1000)::numeric, 3)::text, "
							   "  r.steps_executed, r.segments, r.error, r.trigger_type, r.parent_run_id::text, "
							   "  r.current_path, r.runnable_at, r.started_at IS NULL "
							   "FROM algawf.workflow_runs r "
							   "JOIN algawf.workflow_definition_versions v ON v.tenant = r.tenant "
							   "  AND v.workflow_id = r.workflow_id AND v.version = r.workflow_version "
							   "JOIN algawf.workflow_definitions d ON d.tenant = r.tenant AND d.workflow_id = r.workflow_id "
							   "WHERE r.tenant = $1 AND r.run_id = $2",
							   2, types, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("run %s does not exist", DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(run_id))))));
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	wf = *DatumGetUUIDP(SPI_getbinval(tup, td, 1, &isnull));
	version = DatumGetInt32(SPI_getbinval(tup, td, 2, &isnull));
	status = SPI_getvalue(tup, td, 3);
	hash = SPI_getvalue(tup, td, 4);
	{
		char	   *dur = SPI_getvalue(tup, td, 7);
		bool		queued = DatumGetBool(SPI_getbinval(tup, td, 15, &isnull));
		char	   *parent = SPI_getvalue(tup, td, 12);

		emit(&lines, 0, "Run %s of \"%s\" (%s) v%d  %s%s",
			 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(run_id))),
			 SPI_getvalue(tup, td, 5), SPI_getvalue(tup, td, 6), version, status,
			 queued ? " (queued)" : "");
		emit(&lines, 2, "Trigger: %s%s%s  Steps executed: %s  Segments: %s  Time: %s",
			 SPI_getvalue(tup, td, 11), parent ? "  Parent run: " : "", parent ? parent : "",
			 SPI_getvalue(tup, td, 8), SPI_getvalue(tup, td, 9),
			 dur ? psprintf("%s ms", dur) : "not started");
		d = SPI_getbinval(tup, td, 10, &isnull);
		if (!isnull)
			emit(&lines, 2, "Error: %s%s%s", error_line(DatumGetJsonbP(d)),
				 SPI_getvalue(tup, td, 13) ? " at " : "",
				 SPI_getvalue(tup, td, 13) ? SPI_getvalue(tup, td, 13) : "");
		d = SPI_getbinval(tup, td, 14, &isnull);
		if (!isnull && strcmp(status, "WAITING") == 0)
			emit(&lines, 2, "Wakes at: %s", wf_iso_time(DatumGetTimestampTz(d)));
	}

	wf_cache_trim();
	def = wf_cache_get(tenant, &wf, version, hash);

	memset(&hctl, 0, sizeof(hctl));
	hctl.keysize = sizeof(((StepStats *) 0)->path);
	hctl.entrysize = sizeof(StepStats);
	hctl.hcxt = CurrentMemoryContext;
	stats = hash_create("algawf explain", 64, &hctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	rc = SPI_execute_with_args(
							   "SELECT step_path, count(*), count(*) FILTER (WHERE status = 'FAILED'), max(attempt), "
							   "  count(DISTINCT iteration), coalesce(sum(duration_ms), 0), "
							   "  (array_agg(status ORDER BY seq DESC))[1], "
							   "  (array_agg(error ORDER BY seq DESC) FILTER (WHERE error IS NOT NULL))[1] "
							   "FROM algawf.workflow_run_steps WHERE tenant = $1 AND run_id = $2 GROUP BY step_path",
							   2, types, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "algawf: explain query failed");
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *path;
		StepStats  *st;
		bool		found;

		tup = SPI_tuptable->vals[i];
		td = SPI_tuptable->tupdesc;
		path = SPI_getvalue(tup, td, 1);
		if (strlen(path) >= sizeof(st->path))
			continue;
		st = hash_search(stats, path, HASH_ENTER, &found);
		st->rows = DatumGetInt64(SPI_getbinval(tup, td, 2, &isnull));
		st->failed = DatumGetInt64(SPI_getbinval(tup, td, 3, &isnull));
		st->max_attempt = DatumGetInt32(SPI_getbinval(tup, td, 4, &isnull));
		st->iterations = DatumGetInt64(SPI_getbinval(tup, td, 5, &isnull));
		st->total_ms = DatumGetFloat8(SPI_getbinval(tup, td, 6, &isnull));
		st->last_status = SPI_getvalue(tup, td, 7);
		d = SPI_getbinval(tup, td, 8, &isnull);
		st->last_error = isnull ? NULL : error_line(DatumGetJsonbP(d));
		st->wait = NULL;
		st->children = NULL;
	}

	rc = SPI_execute_with_args(
							   "SELECT step_path, kind, event_name, correlation_key, timeout_at, "
							   "  (SELECT a.title || ' [' || coalesce(a.assignee_type || ' ' || a.assignee_id, 'unassigned') || ']' "
							   "     FROM algawf.approvals a WHERE a.tenant = w.tenant AND a.task_id = w.task_id), "
							   "  task_id::text, child_run_id::text "
							   "FROM algawf.workflow_run_waits w WHERE tenant = $1 AND run_id = $2 AND status = 'WAITING'",
							   2, types, args, NULL, true, 0);
	for (i = 0; rc == SPI_OK_SELECT && i < SPI_processed; i++)
	{
		StepStats  *st;
		bool		found;
		char	   *kind;
		char	   *timeout;
		StringInfoData b;

		tup = SPI_tuptable->vals[i];
		td = SPI_tuptable->tupdesc;
		st = hash_search(stats, SPI_getvalue(tup, td, 1), HASH_FIND, &found);
		if (!found)
			continue;
		kind = SPI_getvalue(tup, td, 2);
		d = SPI_getbinval(tup, td, 5, &isnull);
		timeout = isnull ? NULL : wf_iso_time(DatumGetTimestampTz(d));
		initStringInfo(&b);
		if (strcmp(kind, "event") == 0)
			appendStringInfo(&b, "event %s with key \"%s\"", SPI_getvalue(tup, td, 3),
							 SPI_getvalue(tup, td, 4) ? SPI_getvalue(tup, td, 4) : "");
		else if (strcmp(kind, "human") == 0)
			appendStringInfo(&b, "human task %s %s", SPI_getvalue(tup, td, 7),
							 SPI_getvalue(tup, td, 6) ? SPI_getvalue(tup, td, 6) : "");
		else if (strcmp(kind, "child") == 0)
			appendStringInfo(&b, "child run %s", SPI_getvalue(tup, td, 8));
		else if (strcmp(kind, "retry") == 0)
			appendStringInfoString(&b, "retry back-off");
		else if (strcmp(kind, "time") == 0)
			appendStringInfoString(&b, "timer");
		else
			appendStringInfoString(&b, "external call");
		if (timeout)
			appendStringInfo(&b, strcmp(kind, "event") == 0 || strcmp(kind, "human") == 0 ?
							 ", times out at %s" : " until %s", timeout);
		st->wait = b.data;
	}

	rc = SPI_execute_with_args(
							   "SELECT parent_step_path, string_agg(run_id::text || ' ' || status, ', ' ORDER BY created_at) "
							   "FROM algawf.workflow_runs WHERE tenant = $1 AND parent_run_id = $2 GROUP BY parent_step_path",
							   2, types, args, NULL, true, 0);
	for (i = 0; rc == SPI_OK_SELECT && i < SPI_processed; i++)
	{
		StepStats  *st;
		bool		found;

		tup = SPI_tuptable->vals[i];
		td = SPI_tuptable->tupdesc;
		st = hash_search(stats, SPI_getvalue(tup, td, 1), HASH_FIND, &found);
		if (found)
			st->children = SPI_getvalue(tup, td, 2);
	}

	explain_block(&def->root, stats, 2, &lines);

	foreach(lc, lines)
	{
		Datum		value = CStringGetTextDatum((char *) lfirst(lc));
		bool		null = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &null);
	}
	SPI_finish();
	return (Datum) 0;
}
