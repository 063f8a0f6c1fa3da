/*
 * expr_pg.c — PostgreSQL glue for the expression language: compile and
 * cache, evaluate over Jsonb, render templates, report errors with SQLSTATEs
 * and caret excerpts, and the SQL functions algawf.eval, algawf.check_expr
 * and algawf.render_template.
 *
 * Input Jsonb is never converted as a whole: the core sees lazy values
 * (JVF_LAZY) whose members are materialized one level at a time, on first
 * access, straight from the JsonbContainer (strings and keys point into the
 * Jsonb, nothing is copied).  Untouched sub-documents in the result are
 * copied back as binary containers.
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "expr.h"
#include "expr_pg.h"
#include "guc.h"
#include "jval_pg.h"

struct AlgawfExpr
{
	Expr	   *expr;
	int			funcset;
	char	   *src;
};

/* ---- errors ----------------------------------------------------------------- */

/* a one-line excerpt of src around byte offset pos, with a caret under it */
static char *
caret_excerpt(const char *src, size_t len, int pos)
{
	StringInfoData buf;
	size_t		start,
				end,
				i;
	int			col = 0;

	if (pos < 0 || src == NULL)
		return pstrdup("");
	if ((size_t) pos > len)
		pos = (int) len;
	start = pos;
	while (start > 0 && src[start - 1] != '\n' && pos - (int) start < 40)
		start--;
	while (start < (size_t) pos && ((unsigned char) src[start] & 0xC0) == 0x80)
		start++;
	end = pos;
	while (end < len && src[end] != '\n' && end - pos < 40)
		end++;
	while (end < len && ((unsigned char) src[end] & 0xC0) == 0x80)
		end++;
	initStringInfo(&buf);
	appendStringInfoString(&buf, "  ");
	if (start > 0 && src[start - 1] != '\n')
	{
		appendStringInfoString(&buf, "...");
		col += 3;
	}
	for (i = start; i < end; i++)
	{
		char		ch = src[i];

		appendStringInfoChar(&buf, (ch == '\t' || ch == '\r') ? ' ' : ch);
		if (i < (size_t) pos && ((unsigned char) ch & 0xC0) != 0x80)
			col++;
	}
	if (end < len && src[end] != '\n')
		appendStringInfoString(&buf, "...");
	appendStringInfoString(&buf, "\n  ");
	for (i = 0; i < (size_t) col; i++)
		appendStringInfoChar(&buf, ' ');
	appendStringInfoChar(&buf, '^');
	return buf.data;
}

static int
sqlstate_for(const ExprError *err, bool compiling)
{
	switch (err->kind)
	{
		case EXPR_ERR_SYNTAX:
			return compiling ? ERRCODE_SYNTAX_ERROR : ERRCODE_DATA_EXCEPTION;
		case EXPR_ERR_UNSUPPORTED:
			return ERRCODE_FEATURE_NOT_SUPPORTED;
		case EXPR_ERR_LIMIT:
			return compiling ? ERRCODE_STATEMENT_TOO_COMPLEX : ERRCODE_DATA_EXCEPTION;
		case EXPR_ERR_EVAL:
			break;
	}
	return ERRCODE_DATA_EXCEPTION;
}

static void
report_error(const char *src, size_t len, const ExprError *err, bool compiling, bool is_template)
{
	int			charpos = expr_char_pos(src, len, err->pos);
	const char *what = is_template ? "template" : "expression";

	if (compiling)
		ereport(ERROR,
				(errcode(sqlstate_for(err, true)),
				 errmsg("invalid %s: %s: %s", what, err->code, err->message),
				 err->pos >= 0 ?
				 errdetail("INVALID_EXPR %s at position %d:\n%s", err->code, charpos,
						   caret_excerpt(src, len, err->pos)) :
				 errdetail("INVALID_EXPR %s.", err->code),
				 err->kind == EXPR_ERR_UNSUPPORTED ?
				 errhint("algawf expressions are a subset of JSONata; see the list of supported features and functions in doc/expr.md.") : 0));
	ereport(ERROR,
			(errcode(sqlstate_for(err, false)),
			 errmsg("%s: %s", err->code, err->message),
			 err->pos >= 0 ?
			 errdetail("ExpressionError %s at position %d:\n%s", err->code, charpos,
					   caret_excerpt(src, len, err->pos)) :
			 errdetail("ExpressionError %s in %s \"%s\".", err->code, what,
					   len > 200 ? psprintf("%.200s...", src) : src),
			 err->kind == EXPR_ERR_LIMIT ?
			 errhint("The limits are set by algawf.expr_budget, algawf.expr_max_depth, algawf.expr_max_result, algawf.expr_max_string and algawf.expr_max_memory.") : 0));
}

/* ---- compile ---------------------------------------------------------------- */

int
algawf_funcset_from_name(const char *name)
{
	if (name == NULL)
		return algawf_function_set;
	if (pg_strcasecmp(name, "alga") == 0)
		return FUNCSET_ALGA;
	if (pg_strcasecmp(name, "extended") == 0)
		return FUNCSET_EXTENDED;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown function set \"%s\"", name),
			 errhint("Use 'alga' (Alga PSA's allowlist: nowIso, coalesce, len, toString, append) or 'extended' (alga plus the supported JSONata functions).")));
	return FUNCSET_EXTENDED;
}

static int
core_funcset(int funcset)
{
	return funcset == FUNCSET_ALGA ? EXPR_FUNCSET_ALGA : EXPR_FUNCSET_EXTENDED;
}

static JvArena *
new_arena(MemoryContext cxt)
{
	JvArena    *a = MemoryContextAllocZero(cxt, sizeof(JvArena));

	jv_arena_init_pg(a, cxt);
	return a;
}

AlgawfExpr *
algawf_expr_compile(const char *src, int funcset, MemoryContext cxt)
{
	JvArena    *a = new_arena(cxt);
	ExprError	err;
	Expr	   *e;
	AlgawfExpr *x;

	e = expr_compile(a, src, strlen(src), core_funcset(funcset), algawf_expr_max_depth, &err);
	if (e == NULL)
		report_error(src, strlen(src), &err, true, false);
	x = MemoryContextAlloc(cxt, sizeof(AlgawfExpr));
	x->expr = e;
	x->funcset = funcset;
	x->src = (char *) expr_source(e, NULL);
	return x;
}

bool
algawf_expr_validate(const char *src, int funcset, int *pos, char **code, char **message)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "algawf expr validate",
											  ALLOCSET_SMALL_SIZES);
	JvArena    *a = new_arena(cxt);
	ExprError	err;
	Expr	   *e;

	e = expr_compile(a, src, strlen(src), core_funcset(funcset), algawf_expr_max_depth, &err);
	if (e == NULL)
	{
		*pos = expr_char_pos(src, strlen(src), err.pos);
		*code = pstrdup(err.code);
		*message = pstrdup(err.message);
	}
	MemoryContextDelete(cxt);
	return e != NULL;
}

const char *
algawf_expr_source(AlgawfExpr *e)
{
	return e->src;
}

/* ---- cache -------------------------------------------------------------------- */

#define CACHE_BUCKETS 512

typedef struct CacheEntry
{
	struct CacheEntry *next;
	uint32		hash;
	int			funcset;
	bool		is_template;
	char	   *src;
	void	   *compiled;		/* AlgawfExpr * or ExprTemplate * */
} CacheEntry;

static MemoryContext cache_cxt = NULL;
static CacheEntry *cache[CACHE_BUCKETS];

static CacheEntry *
cache_find(const char *src, int funcset, bool is_template, uint32 *hash_out)
{
	size_t		len = strlen(src);
	uint32		h = hash_bytes((const unsigned char *) src, (int) len) ^ (uint32) (funcset * 7919 + is_template);
	CacheEntry *ce;

	*hash_out = h;
	if (cache_cxt == NULL)
		return NULL;
	for (ce = cache[h % CACHE_BUCKETS]; ce; ce = ce->next)
		if (ce->hash == h && ce->funcset == funcset && ce->is_template == is_template &&
			strcmp(ce->src, src) == 0)
			return ce;
	return NULL;
}

static CacheEntry *
cache_add(const char *src, int funcset, bool is_template, uint32 h, void *compiled)
{
	CacheEntry *ce = MemoryContextAlloc(cache_cxt, sizeof(CacheEntry));

	ce->hash = h;
	ce->funcset = funcset;
	ce->is_template = is_template;
	ce->src = MemoryContextStrdup(cache_cxt, src);
	ce->compiled = compiled;
	ce->next = cache[h % CACHE_BUCKETS];
	cache[h % CACHE_BUCKETS] = ce;
	return ce;
}

static void
cache_init(void)
{
	if (cache_cxt == NULL)
	{
		cache_cxt = AllocSetContextCreate(TopMemoryContext, "algawf expression cache",
										  ALLOCSET_DEFAULT_SIZES);
		memset(cache, 0, sizeof(cache));
	}
}

AlgawfExpr *
algawf_expr_cached(const char *src, int funcset)
{
	uint32		h;
	CacheEntry *ce = cache_find(src, funcset, false, &h);
	AlgawfExpr *x;

	if (ce)
		return (AlgawfExpr *) ce->compiled;
	cache_init();
	/* compile under the current context; adopt it only when it succeeded */
	{
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "algawf cached expression",
												  ALLOCSET_SMALL_SIZES);

		x = algawf_expr_compile(src, funcset, cxt);
		MemoryContextSetParent(cxt, cache_cxt);
	}
	cache_add(src, funcset, false, h, x);
	return x;
}

static ExprTemplate *
template_cached(const char *tmpl, int funcset)
{
	uint32		h;
	CacheEntry *ce = cache_find(tmpl, funcset, true, &h);
	MemoryContext cxt;
	JvArena    *a;
	ExprError	err;
	ExprTemplate *t;

	if (ce)
		return (ExprTemplate *) ce->compiled;
	cache_init();
	cxt = AllocSetContextCreate(CurrentMemoryContext, "algawf cached template", ALLOCSET_SMALL_SIZES);
	a = new_arena(cxt);
	t = expr_template_compile(a, tmpl, strlen(tmpl), core_funcset(funcset),
							  algawf_expr_max_depth, &err);
	if (t == NULL)
	{
		char	   *copy = pstrdup(tmpl);

		MemoryContextDelete(cxt);
		report_error(copy, strlen(copy), &err, true, true);
	}
	MemoryContextSetParent(cxt, cache_cxt);
	cache_add(tmpl, funcset, true, h, t);
	return t;
}

/* ---- Jsonb -> lazy Jv ----------------------------------------------------------- */

/*
 * Numeric -> double.  The common case (at most 15 significant digits and a
 * small exponent) is computed exactly from the on-disk base-10000 digits with
 * one correctly rounded multiplication or division; anything else goes
 * through the text form, as numeric_float8 does.
 */
static double
numeric_to_double(Numeric n)
{
	const uint16 *hdr = (const uint16 *) VARDATA(n);
	uint16		h = hdr[0];
	bool		is_short = (h & 0xC000) == 0x8000;
	bool		neg;
	int			weight;
	const int16 *digits;
	int			ndigits;
	int			i;
	uint64		m = 0;
	int			exp10;
	static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

	if ((h & 0xC000) == 0xC000)	/* NaN, infinities */
		goto slow;
	if (is_short)
	{
		neg = (h & 0x2000) != 0;
		weight = (h & 0x0040) ? (int) (~0x003F | (h & 0x003F)) : (int) (h & 0x003F);
		digits = (const int16 *) (hdr + 1);
		ndigits = (VARSIZE(n) - VARHDRSZ - sizeof(uint16)) / sizeof(int16);
	}
	else
	{
		neg = (h & 0xC000) == 0x4000;
		weight = (int16) hdr[1];
		digits = (const int16 *) (hdr + 2);
		ndigits = (VARSIZE(n) - VARHDRSZ - 2 * sizeof(uint16)) / sizeof(int16);
	}
	if (ndigits == 0)
		return 0.0;
	if (ndigits > 4)
		goto slow;
	for (i = 0; i < ndigits; i++)
		m = m * 10000 + (uint64) digits[i];
	if (m >= (UINT64CONST(1) << 53))
		goto slow;
	exp10 = 4 * (weight - (ndigits - 1));
	if (exp10 >= 0 && exp10 <= 22)
		return neg ? -((double) m * pow10[exp10]) : (double) m * pow10[exp10];
	if (exp10 < 0 && exp10 >= -22)
		return neg ? -((double) m / pow10[-exp10]) : (double) m / pow10[-exp10];
slow:
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(n)));
}

static Jv *
lazy_container(JvArena *a, JsonbContainer *c, size_t bytes)
{
	Jv		   *v = JsonContainerIsArray(c) ? jv_array(a, 0) : jv_object(a, 0);

	if (v == NULL)
		return NULL;
	v->flags |= JVF_LAZY;
	v->u.arr.items = (Jv **) c;
	v->u.arr.n = JsonContainerSize(c);
	v->u.arr.cap = bytes;
	return v;
}

static Jv *
from_jbv(JvArena *a, JsonbValue *jbv)
{
	switch (jbv->type)
	{
		case jbvNull:
			return jv_null(a);
		case jbvBool:
			return jv_bool(a, jbv->val.boolean);
		case jbvString:
			return jv_string_nocopy(a, jbv->val.string.val, jbv->val.string.len);
		case jbvNumeric:
			return jv_number(a, numeric_to_double(jbv->val.numeric));
		case jbvBinary:
			return lazy_container(a, jbv->val.binary.data, jbv->val.binary.len);
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) jbv->type);
	}
	return NULL;
}

static void
materialize(void *ctx, JvArena *a, Jv *v)
{
	JsonbContainer *c = (JsonbContainer *) v->u.arr.items;
	size_t		n = v->u.arr.n;
	JsonbIterator *it;
	JsonbValue	jbv;
	JsonbIteratorToken tok;
	JsonbValue	key = {0};

	if (v->type == JV_ARRAY)
	{
		Jv		  **items = jv_alloc(a, (n ? n : 1) * sizeof(Jv *));
		size_t		i = 0;

		if (items == NULL)
			return;
		it = JsonbIteratorInit(c);
		while ((tok = JsonbIteratorNext(&it, &jbv, true)) != WJB_DONE)
		{
			if (tok == WJB_ELEM && i < n)
			{
				Jv		   *item = from_jbv(a, &jbv);

				if (item == NULL)
					return;
				items[i++] = item;
			}
		}
		v->u.arr.items = items;
		v->u.arr.n = i;
		v->u.arr.cap = n ? n : 1;
	}
	else
	{
		JvPair	   *pairs = jv_alloc(a, (n ? n : 1) * sizeof(JvPair));
		size_t		i = 0;

		if (pairs == NULL)
			return;
		it = JsonbIteratorInit(c);
		while ((tok = JsonbIteratorNext(&it, &jbv, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
				key = jbv;
			else if (tok == WJB_VALUE && i < n)
			{
				Jv		   *item = from_jbv(a, &jbv);

				if (item == NULL)
					return;
				pairs[i].key = key.val.string.val;
				pairs[i].klen = key.val.string.len;
				pairs[i].val = item;
				i++;
			}
		}
		v->u.obj.pairs = pairs;
		v->u.obj.n = i;
		v->u.obj.cap = n ? n : 1;
	}
	v->flags &= ~JVF_LAZY;
}

static Jv *
lazy_get(void *ctx, JvArena *a, Jv *obj, const char *key, size_t klen)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer((JsonbContainer *) obj->u.obj.pairs, key, (int) klen, &v) == NULL)
		return NULL;
	return from_jbv(a, &v);
}

static Jv *
lazy_from_jsonb(JvArena *a, Jsonb *jb)
{
	Jv		   *v;

	if (jb == NULL)
		return NULL;
	if (JB_ROOT_IS_SCALAR(jb))
	{
		JsonbValue	sc;

		if (!JsonbExtractScalar(&jb->root, &sc))
			elog(ERROR, "could not extract jsonb scalar");
		v = from_jbv(a, &sc);
	}
	else
		v = lazy_container(a, &jb->root, VARSIZE(jb));
	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("L1005: out of memory for the expression input")));
	return v;
}

/* ---- Jv -> Jsonb ---------------------------------------------------------------- */

static JsonbValue *push_value(JsonbParseState **st, Jv *v, JsonbIteratorToken tok);

static JsonbValue *
push_value(JsonbParseState **st, Jv *v, JsonbIteratorToken tok)
{
	JsonbValue	s;
	size_t		i;

	check_stack_depth();
	if (v == NULL || (v->type == JV_NULL))
	{
		s.type = jbvNull;
		return pushJsonbValue(st, tok, &s);
	}
	if (v->flags & JVF_LAZY)
	{
		s.type = jbvBinary;
		s.val.binary.data = (JsonbContainer *) v->u.arr.items;
		s.val.binary.len = (int) v->u.arr.cap;
		return pushJsonbValue(st, tok, &s);
	}
	switch (v->type)
	{
		case JV_BOOL:
			s.type = jbvBool;
			s.val.boolean = v->u.b;
			break;
		case JV_NUMBER:
			s.type = jbvNumeric;
			if (v->u.num == floor(v->u.num) && fabs(v->u.num) < 9007199254740992.0)
				s.val.numeric = int64_to_numeric((int64) v->u.num);
			else
			{
				char		buf[32];

				jv_format_number(v->u.num, buf);
				s.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
																	ObjectIdGetDatum(InvalidOid),
																	Int32GetDatum(-1)));
			}
			break;
		case JV_STRING:
			s.type = jbvString;
			s.val.string.val = (char *) v->u.str.s;
			s.val.string.len = (int) v->u.str.len;
			break;
		case JV_ARRAY:
			pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
			for (i = 0; i < v->u.arr.n; i++)
				push_value(st, v->u.arr.items[i], WJB_ELEM);
			return pushJsonbValue(st, WJB_END_ARRAY, NULL);
		case JV_OBJECT:
			pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
			for (i = 0; i < v->u.obj.n; i++)
			{
				JsonbValue	k;

				k.type = jbvString;
				k.val.string.val = (char *) v->u.obj.pairs[i].key;
				k.val.string.len = (int) v->u.obj.pairs[i].klen;
				pushJsonbValue(st, WJB_KEY, &k);
				push_value(st, v->u.obj.pairs[i].val, WJB_VALUE);
			}
			return pushJsonbValue(st, WJB_END_OBJECT, NULL);
		default:
			s.type = jbvNull;
			break;
	}
	return pushJsonbValue(st, tok, &s);
}

/* build the result Jsonb in the caller's memory context */
static Jsonb *
result_to_jsonb(Jv *v, Jsonb *input, MemoryContext evalcxt, MemoryContext outcxt)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;
	MemoryContext old;

	if (v->flags & JVF_LAZY)
	{
		JsonbContainer *c = (JsonbContainer *) v->u.arr.items;
		JsonbValue	bin;

		if (input != NULL && c == &input->root)
		{
			Jsonb	   *copy;

			old = MemoryContextSwitchTo(outcxt);
			copy = palloc(VARSIZE(input));
			memcpy(copy, input, VARSIZE(input));
			MemoryContextSwitchTo(old);
			return copy;
		}
		bin.type = jbvBinary;
		bin.val.binary.data = c;
		bin.val.binary.len = (int) v->u.arr.cap;
		old = MemoryContextSwitchTo(outcxt);
		res = (JsonbValue *) JsonbValueToJsonb(&bin);
		MemoryContextSwitchTo(old);
		return (Jsonb *) res;
	}
	old = MemoryContextSwitchTo(evalcxt);
	if (v->type != JV_ARRAY && v->type != JV_OBJECT)
	{
		JsonbValue	arr;

		arr.type = jbvArray;
		arr.val.array.rawScalar = true;
		arr.val.array.nElems = 1;
		pushJsonbValue(&st, WJB_BEGIN_ARRAY, &arr);
		push_value(&st, v, WJB_ELEM);
		res = pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	}
	else
		res = push_value(&st, v, WJB_VALUE);
	MemoryContextSwitchTo(outcxt);
	{
		Jsonb	   *jb = JsonbValueToJsonb(res);

		MemoryContextSwitchTo(old);
		return jb;
	}
}

/* ---- evaluation -------------------------------------------------------------------- */

static void
hook_interrupt(void *ctx)
{
	CHECK_FOR_INTERRUPTS();
}

static double
hook_now(void *ctx)
{
	TimestampTz now = GetCurrentTimestamp();

	/* TimestampTz counts microseconds from 2000-01-01; JSONata wants Unix ms */
	return floor((double) now / 1000.0) + 946684800000.0;
}

static void
hook_stack(void *ctx)
{
	check_stack_depth();
}

static const ExprHooks pg_hooks = {hook_interrupt, hook_now, materialize, hook_stack, lazy_get, NULL};

static void
current_limits(ExprLimits *lim)
{
	lim->budget = algawf_expr_budget;
	lim->max_depth = algawf_expr_max_depth;
	lim->max_result = (size_t) algawf_expr_max_result;
	lim->max_string = (size_t) algawf_expr_max_string;
	lim->max_memory = (size_t) algawf_expr_max_memory * 1024;
}

static Jv *
bindings_value(JvArena *a, Jsonb *bindings)
{
	if (bindings == NULL)
		return NULL;
	if (!JB_ROOT_IS_OBJECT(bindings) || JB_ROOT_IS_SCALAR(bindings))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expression bindings must be a JSON object"),
				 errhint("Pass an object whose keys are the variable names without $, e.g. '{\"limit\": 10}'.")));
	return lazy_from_jsonb(a, bindings);
}

/* evaluate e; returns the result Jv (allocated in evalcxt) or NULL for undefined */
static Jv *
evaluate(AlgawfExpr *e, Jsonb *input, Jsonb *bindings, MemoryContext evalcxt)
{
	JvArena    *a = new_arena(evalcxt);
	ExprLimits	lim;
	ExprError	err;
	Jv		   *in,
			   *bind,
			   *result;
	MemoryContext old = MemoryContextSwitchTo(evalcxt);
	bool		ok;

	current_limits(&lim);
	in = lazy_from_jsonb(a, input);
	bind = bindings_value(a, bindings);
	ok = expr_eval(e->expr, a, in, bind, &lim, &pg_hooks, &result, &err);
	MemoryContextSwitchTo(old);
	if (!ok)
		report_error(e->src, strlen(e->src), &err, false, false);
	return result;
}

Jsonb *
algawf_expr_eval(AlgawfExpr *e, Jsonb *input, Jsonb *bindings)
{
	MemoryContext outcxt = CurrentMemoryContext;
	MemoryContext evalcxt = AllocSetContextCreate(CurrentMemoryContext, "algawf expr eval",
												  ALLOCSET_DEFAULT_SIZES);
	Jv		   *result = evaluate(e, input, bindings, evalcxt);
	Jsonb	   *jb = NULL;

	if (result != NULL)
		jb = result_to_jsonb(result, input, evalcxt, outcxt);
	MemoryContextDelete(evalcxt);
	return jb;
}

bool
algawf_expr_eval_bool(AlgawfExpr *e, Jsonb *input, Jsonb *bindings)
{
	MemoryContext evalcxt = AllocSetContextCreate(CurrentMemoryContext, "algawf expr condition",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(evalcxt);
	JvArena    *a = new_arena(evalcxt);
	ExprLimits	lim;
	ExprError	err;
	bool		truth;
	bool		ok;

	current_limits(&lim);
	ok = expr_eval_boolean(e->expr, a, lazy_from_jsonb(a, input), bindings_value(a, bindings),
						   &lim, &pg_hooks, &truth, &err);
	MemoryContextSwitchTo(old);
	if (!ok)
		report_error(e->src, strlen(e->src), &err, false, false);
	MemoryContextDelete(evalcxt);
	return truth;
}

bool
algawf_is_template(const char *s)
{
	return strstr(s, "{{") != NULL;
}

text *
algawf_template_render(const char *tmpl, int funcset, Jsonb *input, Jsonb *bindings)
{
	ExprTemplate *t = template_cached(tmpl, funcset);
	MemoryContext outcxt = CurrentMemoryContext;
	MemoryContext evalcxt = AllocSetContextCreate(CurrentMemoryContext, "algawf template",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(evalcxt);
	JvArena    *a = new_arena(evalcxt);
	ExprLimits	lim;
	ExprError	err;
	size_t		len;
	const char *out;
	text	   *result;

	current_limits(&lim);
	out = expr_template_render(t, a, lazy_from_jsonb(a, input), bindings_value(a, bindings),
							   &lim, &pg_hooks, &len, &err);
	MemoryContextSwitchTo(old);
	if (out == NULL)
		report_error(tmpl, strlen(tmpl), &err, false, true);
	MemoryContextSwitchTo(outcxt);
	result = cstring_to_text_with_len(out, (int) len);
	MemoryContextDelete(evalcxt);
	return result;
}

/* ---- SQL functions ------------------------------------------------------------------ */

typedef struct EvalCallCache
{
	char	   *src;
	int			funcset;
	AlgawfExpr *expr;
	MemoryContext cxt;
} EvalCallCache;

/* compile once per call site: SELECT algawf.eval('x.y', doc) FROM t reuses the AST */
static AlgawfExpr *
call_site_expr(FunctionCallInfo fcinfo, const char *src, int funcset)
{
	EvalCallCache *cc = (EvalCallCache *) fcinfo->flinfo->fn_extra;

	if (cc != NULL && cc->src != NULL && cc->funcset == funcset && strcmp(cc->src, src) == 0)
		return cc->expr;
	if (cc == NULL)
	{
		cc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(EvalCallCache));
		fcinfo->flinfo->fn_extra = cc;
	}
	if (cc->cxt != NULL)
	{
		MemoryContextDelete(cc->cxt);
		cc->cxt = NULL;
		cc->src = NULL;
		cc->expr = NULL;
	}
	{
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "algawf.eval expression",
												  ALLOCSET_SMALL_SIZES);
		AlgawfExpr *x = algawf_expr_compile(src, funcset, cxt);

		MemoryContextSetParent(cxt, fcinfo->flinfo->fn_mcxt);
		cc->cxt = cxt;
		cc->expr = x;
		cc->src = MemoryContextStrdup(cxt, src);
		cc->funcset = funcset;
	}
	return cc->expr;
}

PG_FUNCTION_INFO_V1(algawf_eval);
Datum
algawf_eval(PG_FUNCTION_ARGS)
{
	char	   *src;
	Jsonb	   *input = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	Jsonb	   *bindings = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	int			funcset = algawf_funcset_from_name(PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)));
	AlgawfExpr *e;
	Jsonb	   *result;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	src = text_to_cstring(PG_GETARG_TEXT_PP(0));
	e = call_site_expr(fcinfo, src, funcset);
	result = algawf_expr_eval(e, input, bindings);
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(result);
}

PG_FUNCTION_INFO_V1(algawf_check_expr);
Datum
algawf_check_expr(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			funcset = algawf_funcset_from_name(PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	int			pos;
	char	   *code,
			   *message;

#if PG_VERSION_NUM >= 160000
	InitMaterializedSRF(fcinfo, 0);
#else
	SetSingleFuncCall(fcinfo, 0);
#endif
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	if (!algawf_expr_validate(text_to_cstring(PG_GETARG_TEXT_PP(0)), funcset, &pos, &code, &message))
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int32GetDatum(pos);
		values[1] = CStringGetTextDatum(code);
		values[2] = CStringGetTextDatum(message);
		if (pos <= 0)
			nulls[0] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(algawf_render_template);
Datum
algawf_render_template(PG_FUNCTION_ARGS)
{
	Jsonb	   *input = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	Jsonb	   *bindings = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	int			funcset = algawf_funcset_from_name(PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)));

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(algawf_template_render(text_to_cstring(PG_GETARG_TEXT_PP(0)), funcset,
											input, bindings));
}
