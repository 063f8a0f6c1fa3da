/*
 * jsonschema_pg.c — the JSON Schema validator inside the backend: PostgreSQL's
 * regular expression engine behind the "pattern" hook, Jsonb <-> Jv, the
 * backend-local cache of compiled schemas, and the SQL functions
 * algawf.validate_json() and algawf.check_schema().
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/pg_collation_d.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "jsonschema.h"
#include "jsonschema_pg.h"
#include "jval_pg.h"

struct AlgawfSchema
{
	MemoryContext cxt;			/* holds this struct, the Jsonb copy, the Jv and the compiled form */
	JsSchema   *js;
	Jsonb	   *source;			/* private copy: the compiled form points into it */
	uint32		hash;
	uint64		last_used;		/* cache LRU clock */
};

/* ---- regex hook: PostgreSQL's engine (ARE, unanchored search, C collation) ---- */

static void *
pg_re_compile(void *ctx, const char *pattern, size_t len, char *errbuf, size_t errbuflen)
{
	regex_t    *re = malloc(sizeof(regex_t));
	pg_wchar   *w;
	int			wlen;
	int			rc;

	if (re == NULL)
	{
		strlcpy(errbuf, "out of memory", errbuflen);
		return NULL;
	}
	w = palloc((len + 1) * sizeof(pg_wchar));
	wlen = pg_mb2wchar_with_len(pattern, w, (int) len);
	rc = pg_regcomp(re, w, wlen, REG_ADVANCED, C_COLLATION_OID);
	pfree(w);
	if (rc != REG_OKAY)
	{
		/* REG_CANCEL means an interrupt, not a bad pattern */
		CHECK_FOR_INTERRUPTS();
		pg_regerror(rc, re, errbuf, errbuflen);
		free(re);
		return NULL;
	}
	return re;
}

static bool
pg_re_match(void *ctx, void *re, const char *s, size_t len)
{
	pg_wchar	stackbuf[256];
	pg_wchar   *w = len < lengthof(stackbuf) ? stackbuf : palloc((len + 1) * sizeof(pg_wchar));
	int			wlen = pg_mb2wchar_with_len(s, w, (int) len);
	int			rc = pg_regexec((regex_t *) re, w, wlen, 0, NULL, 0, NULL, 0);

	if (w != stackbuf)
		pfree(w);
	if (rc != REG_OKAY && rc != REG_NOMATCH)
	{
		char		msg[100];

		CHECK_FOR_INTERRUPTS();
		pg_regerror(rc, (regex_t *) re, msg, sizeof(msg));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("regular expression failed: %s", msg)));
	}
	return rc == REG_OKAY;
}

static void
pg_re_free(void *ctx, void *re)
{
	pg_regfree((regex_t *) re);
	free(re);
}

static void
pg_check(void *ctx)
{
	CHECK_FOR_INTERRUPTS();
	check_stack_depth();
}

static const JsHooks pg_hooks = {pg_re_compile, pg_re_match, pg_re_free, pg_check, NULL};

/* ---- compile ------------------------------------------------------------- */

static void
schema_reset_callback(void *arg)
{
	AlgawfSchema *s = (AlgawfSchema *) arg;

	js_schema_free(s->js);
	s->js = NULL;
}

/* "use x" -> "Use x." for errhint */
static char *
sentence(const char *s)
{
	char	   *r = psprintf("%s%s", s, (*s && s[strlen(s) - 1] == '.') ? "" : ".");

	if (r[0])
		r[0] = pg_toupper((unsigned char) r[0]);
	return r;
}

static char *
problem_text(const JsError *e)
{
	if (e->hint)
		return psprintf("%s (hint: %s)", e->message, e->hint);
	return pstrdup(e->message);
}

/*
 * Compile into a new context under CurrentMemoryContext; on a bad schema,
 * problems and nproblems are set (allocated in the new context, which the
 * caller deletes) and NULL is returned.
 */
static AlgawfSchema *
compile_into(Jsonb *schema, MemoryContext *cxtp, JsError **problems, int *nproblems)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "algawf JSON schema",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	AlgawfSchema *s = palloc0(sizeof(AlgawfSchema));
	MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));
	JvArena		arena;
	Jv		   *root;

	s->cxt = cxt;
	s->source = palloc(VARSIZE(schema));
	memcpy(s->source, schema, VARSIZE(schema));
	s->hash = hash_bytes((const unsigned char *) schema, VARSIZE(schema));

	jv_arena_init_pg(&arena, cxt);
	root = jv_from_jsonb(&arena, s->source);
	s->js = js_compile(&arena, root, &pg_hooks, problems, nproblems);
	MemoryContextSwitchTo(old);
	*cxtp = cxt;
	if (s->js == NULL)
		return NULL;
	cb->func = schema_reset_callback;
	cb->arg = s;
	MemoryContextRegisterResetCallback(cxt, cb);
	return s;
}

static void
report_bad_schema(MemoryContext cxt, JsError *problems, int nproblems)
{
	char	   *msg = pstrdup(problems->message);
	char	   *path = pstrdup(problems->path);
	char	   *hint = problems->hint ? sentence(problems->hint) : NULL;

	MemoryContextDelete(cxt);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid JSON schema: %s", msg),
			 nproblems > 1 ?
			 errdetail_plural("At schema path \"%s\" (and %d more problem; algawf.check_schema() lists them all).",
							  "At schema path \"%s\" (and %d more problems; algawf.check_schema() lists them all).",
							  nproblems - 1, path, nproblems - 1) :
			 errdetail("At schema path \"%s\".", path),
			 hint ? errhint("%s", hint) : 0));
}

AlgawfSchema *
algawf_schema_compile(Jsonb *schema, MemoryContext cxt)
{
	MemoryContext scxt;
	JsError    *problems = NULL;
	int			nproblems = 0;
	AlgawfSchema *s = compile_into(schema, &scxt, &problems, &nproblems);

	if (s == NULL)
		report_bad_schema(scxt, problems, nproblems);
	MemoryContextSetParent(scxt, cxt);
	return s;
}

List *
algawf_schema_check(Jsonb *schema)
{
	MemoryContext scxt;
	JsError    *problems = NULL;
	int			nproblems = 0;
	AlgawfSchema *s = compile_into(schema, &scxt, &problems, &nproblems);
	List	   *result = NIL;
	JsError    *e;

	if (s != NULL)
	{
		MemoryContextDelete(scxt);
		return NIL;
	}
	for (e = problems; e; e = e->next)
	{
		AlgawfSchemaError *pe = palloc(sizeof(AlgawfSchemaError));

		pe->path = pstrdup(e->path);
		pe->message = problem_text(e);
		result = lappend(result, pe);
	}
	MemoryContextDelete(scxt);
	return result;
}

/* ---- cache --------------------------------------------------------------- */

#define SCHEMA_CACHE_SIZE 64

static AlgawfSchema *schema_cache[SCHEMA_CACHE_SIZE];
static uint64 schema_clock = 0;
static MemoryContext schema_cache_cxt = NULL;

AlgawfSchema *
algawf_schema_cached(Jsonb *schema)
{
	uint32		size = VARSIZE(schema);
	uint32		hash = hash_bytes((const unsigned char *) schema, size);
	int			i,
				victim = 0;
	AlgawfSchema *s;

	for (i = 0; i < SCHEMA_CACHE_SIZE; i++)
	{
		s = schema_cache[i];
		if (s == NULL)
		{
			victim = i;
			continue;
		}
		if (s->hash == hash && VARSIZE(s->source) == size && memcmp(s->source, schema, size) == 0)
		{
			s->last_used = ++schema_clock;
			return s;
		}
		if (schema_cache[victim] != NULL && s->last_used < schema_cache[victim]->last_used)
			victim = i;
	}
	if (schema_cache_cxt == NULL)
		schema_cache_cxt = AllocSetContextCreate(CacheMemoryContext, "algawf JSON schema cache",
												 ALLOCSET_SMALL_SIZES);
	/* compile first: a bad schema must not evict a good one */
	s = algawf_schema_compile(schema, schema_cache_cxt);
	if (schema_cache[victim] != NULL)
		MemoryContextDelete(schema_cache[victim]->cxt);
	s->last_used = ++schema_clock;
	schema_cache[victim] = s;
	return s;
}

/* ---- validate ------------------------------------------------------------ */

static MemoryContext validate_cxt = NULL;

int
algawf_schema_validate(AlgawfSchema *s, Jsonb *value, bool stop_at_first, List **errors)
{
	MemoryContext old;
	JvArena		arena;
	Jv		   *v;
	JsError    *errs = NULL;
	JsError    *e;
	int			n;

	if (validate_cxt == NULL)
		validate_cxt = AllocSetContextCreate(TopMemoryContext, "algawf JSON validation",
											 ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(validate_cxt);
	jv_arena_init_pg(&arena, validate_cxt);
	old = MemoryContextSwitchTo(validate_cxt);
	v = jv_from_jsonb(&arena, value);
	n = js_validate(s->js, v, &arena, stop_at_first, errors ? &errs : NULL);
	MemoryContextSwitchTo(old);
	if (errors)
	{
		*errors = NIL;
		for (e = errs; e; e = e->next)
		{
			AlgawfSchemaError *pe = palloc(sizeof(AlgawfSchemaError));

			pe->path = pstrdup(e->path);
			pe->message = pstrdup(e->message);
			*errors = lappend(*errors, pe);
		}
	}
	MemoryContextReset(validate_cxt);
	return n;
}

/* ---- SQL ----------------------------------------------------------------- */

static void
emit_rows(FunctionCallInfo fcinfo, List *rows)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	foreach(lc, rows)
	{
		AlgawfSchemaError *e = lfirst(lc);
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(e->path);
		values[1] = CStringGetTextDatum(e->message);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

PG_FUNCTION_INFO_V1(algawf_validate_json);
Datum
algawf_validate_json(PG_FUNCTION_ARGS)
{
	Jsonb	   *schema = PG_GETARG_JSONB_P(0);
	Jsonb	   *value = PG_GETARG_JSONB_P(1);
	AlgawfSchema *s = algawf_schema_cached(schema);
	List	   *errors = NIL;

	(void) algawf_schema_validate(s, value, false, &errors);
	emit_rows(fcinfo, errors);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(algawf_check_schema);
Datum
algawf_check_schema(PG_FUNCTION_ARGS)
{
	Jsonb	   *schema = PG_GETARG_JSONB_P(0);

	emit_rows(fcinfo, algawf_schema_check(schema));
	return (Datum) 0;
}
