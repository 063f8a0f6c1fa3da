/*
 * definitions_pg.c — SQL entry points over definitions: the checks behind
 * algawf.validate()/publish() and the step list publish materializes into
 * algawf.workflow_steps.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "definition.h"
#include "guc.h"
#include "jval_pg.h"
#include "jvutil.h"
#include "tenancy.h"

typedef struct Ordered
{
	WfProblem  *p;
	int			step;			/* index of the step in document order; -1 for the definition */
	int			seq;
} Ordered;

static int
ordered_cmp(const void *a, const void *b)
{
	const Ordered *x = a;
	const Ordered *y = b;

	if (x->step != y->step)
		return x->step < y->step ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* problems in document order (a step's own problems in the order found) */
static Ordered *
order_problems(WfDef *def, List *problems)
{
	Ordered    *o = palloc(sizeof(Ordered) * (list_length(problems) + 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, problems)
	{
		WfProblem  *p = lfirst(lc);
		int			i;

		o[n].p = p;
		o[n].seq = n;
		o[n].step = -1;
		for (i = 0; i < def->nsteps; i++)
			if (strcmp(def->all[i]->path, p->path) == 0)
			{
				o[n].step = i;
				break;
			}
		n++;
	}
	qsort(o, n, sizeof(Ordered), ordered_cmp);
	return o;
}

PG_FUNCTION_INFO_V1(algawf_check_definition);
Datum
algawf_check_definition(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	pg_uuid_t  *tenant = algawf_tenant_require();
	pg_uuid_t  *self = PG_ARGISNULL(1) ? NULL : PG_GETARG_UUID_P(1);
	List	   *problems = NIL;
	WfDef	   *def;
	Ordered    *ordered;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("definition must not be NULL")));
	SPI_connect();
	def = wf_parse(PG_GETARG_JSONB_P(0), algawf_function_set, &problems, CurrentMemoryContext);
	if (def->json->type == JV_OBJECT)
		wf_check(def, tenant, self, &problems);
	ordered = order_problems(def, problems);
	for (i = 0; i < list_length(problems); i++)
	{
		WfProblem  *p = ordered[i].p;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(p->severity);
		values[1] = CStringGetTextDatum(p->path);
		values[2] = CStringGetTextDatum(p->code);
		values[3] = CStringGetTextDatum(p->message);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

/* the step's JSON without its nested step lists */
static Jsonb *
step_config(WfStep *s)
{
	static const char *const nested[] = {"then", "else", "body", "try", "catch", NULL};
	JvArena		a;
	Jv		   *o;
	int			i;

	jv_arena_init_pg(&a, CurrentMemoryContext);
	o = jv_copy(&a, s->json);
	if (o == NULL)
		elog(ERROR, "algawf: out of memory copying a step");
	if (s->kind == WS_IF || s->kind == WS_FOREACH || s->kind == WS_TRYCATCH)
		for (i = 0; nested[i]; i++)
			jv_object_remove(o, nested[i], strlen(nested[i]));
	return jv_to_jsonb(o);
}

PG_FUNCTION_INFO_V1(algawf_definition_steps);
Datum
algawf_definition_steps(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *problems = NIL;
	WfDef	   *def;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	def = wf_parse(PG_GETARG_JSONB_P(0), algawf_function_set, &problems, CurrentMemoryContext);
	for (i = 0; i < def->nsteps; i++)
	{
		WfStep	   *s = def->all[i];
		Datum		values[11];
		bool		nulls[11];

		memset(nulls, false, sizeof(nulls));
		values[0] = CStringGetTextDatum(s->path);
		values[1] = CStringGetTextDatum(s->id);
		if (s->parent)
			values[2] = CStringGetTextDatum(s->parent->path);
		else
			nulls[2] = true;
		values[3] = CStringGetTextDatum(wf_branch_name(s->branch));
		values[4] = Int32GetDatum(s->position);
		values[5] = Int32GetDatum(s->depth);
		values[6] = CStringGetTextDatum(s->type);
		if (s->name)
			values[7] = CStringGetTextDatum(s->name);
		else
			nulls[7] = true;
		if (s->kind == WS_ACTION_CALL && s->action_id)
		{
			values[8] = CStringGetTextDatum(s->action_id);
			values[9] = Int32GetDatum(s->action_version);
		}
		else
			nulls[8] = nulls[9] = true;
		values[10] = JsonbPGetDatum(step_config(s));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
