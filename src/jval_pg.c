/*
 * jval_pg.c — Jsonb <-> Jv, and MemoryContext-backed arenas.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "jval_pg.h"

static void *
context_block_alloc(void *ctx, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) ctx, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
context_block_free(void *ctx, void *p)
{
	pfree(p);
}

void
jv_arena_init_pg(JvArena *a, MemoryContext cxt)
{
	jv_arena_init(a);
	a->block_alloc = context_block_alloc;
	a->block_free = context_block_free;
	a->ctx = cxt;
}

static Jv  *from_container(JvArena *a, JsonbContainer *c);

static void
out_of_memory(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("JSON value too large for the expression arena")));
}

static Jv *
check(Jv *v)
{
	if (v == NULL)
		out_of_memory();
	return v;
}

static Jv *
from_scalar(JvArena *a, JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return check(jv_null(a));
		case jbvBool:
			return check(jv_bool(a, v->val.boolean));
		case jbvString:
			return check(jv_string_nocopy(a, v->val.string.val, v->val.string.len));
		case jbvNumeric:
			return check(jv_number(a, DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
																		  NumericGetDatum(v->val.numeric)))));
		case jbvBinary:
			return from_container(a, v->val.binary.data);
		default:
			elog(ERROR, "unexpected jsonb value type %d", v->type);
	}
	return NULL;
}

static Jv *
from_container(JvArena *a, JsonbContainer *c)
{
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			stacksize = 32;
	Jv		  **stack = palloc(stacksize * sizeof(Jv *));
	int			depth = -1;
	Jv		   *result = NULL;
	JsonbValue	key = {0};

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		Jv		   *item = NULL;

		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
			case WJB_BEGIN_OBJECT:
				if (tok == WJB_BEGIN_ARRAY && v.val.array.rawScalar)
					continue;	/* the scalar follows as WJB_ELEM */
				if (depth + 1 >= stacksize)
				{
					stacksize *= 2;
					stack = repalloc(stack, stacksize * sizeof(Jv *));
				}
				item = tok == WJB_BEGIN_ARRAY ? check(jv_array(a, v.val.array.nElems))
					: check(jv_object(a, v.val.object.nPairs));
				if (depth >= 0)
				{
					Jv		   *parent = stack[depth];

					if (parent->type == JV_ARRAY)
						check(jv_array_push(a, parent, item) ? item : NULL);
					else
						check(jv_object_set(a, parent, key.val.string.val, key.val.string.len, item) ? item : NULL);
				}
				else
					result = item;
				stack[++depth] = item;
				break;
			case WJB_END_ARRAY:
			case WJB_END_OBJECT:
				if (depth >= 0 && !(tok == WJB_END_ARRAY && stack[depth]->type != JV_ARRAY))
					depth--;
				break;
			case WJB_KEY:
				key = v;
				break;
			case WJB_VALUE:
			case WJB_ELEM:
				item = from_scalar(a, &v);
				if (depth < 0)
				{
					result = item;	/* raw scalar */
					break;
				}
				if (stack[depth]->type == JV_ARRAY)
					check(jv_array_push(a, stack[depth], item) ? item : NULL);
				else
				{
					check(jv_object_set(a, stack[depth], key.val.string.val, key.val.string.len, item) ? item : NULL);
				}
				break;
			default:
				break;
		}
	}
	pfree(stack);
	return result ? result : check(jv_null(a));
}

Jv *
jv_from_jsonb(JvArena *a, Jsonb *jb)
{
	return from_container(a, &jb->root);
}

Jv *
jv_from_jsonb_value(JvArena *a, JsonbValue *jbv)
{
	return from_scalar(a, jbv);
}

static JsonbValue *
push_jv(JsonbParseState **state, const Jv *v, JsonbIteratorToken tok)
{
	JsonbValue	s;
	size_t		i;

	check_stack_depth();
	switch (v->type)
	{
		case JV_NULL:
			s.type = jbvNull;
			break;
		case JV_BOOL:
			s.type = jbvBool;
			s.val.boolean = v->u.b;
			break;
		case JV_NUMBER:
			if (!isfinite(v->u.num))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("number %s cannot be represented in JSON", isnan(v->u.num) ? "NaN" : "Infinity")));
			else
			{
				char		buf[32];

				jv_format_number(v->u.num, buf);
				s.type = jbvNumeric;
				s.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
																	ObjectIdGetDatum(InvalidOid),
																	Int32GetDatum(-1)));
			}
			break;
		case JV_STRING:
			s.type = jbvString;
			s.val.string.val = (char *) v->u.str.s;
			s.val.string.len = v->u.str.len;
			break;
		case JV_ARRAY:
			pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
			for (i = 0; i < v->u.arr.n; i++)
				push_jv(state, v->u.arr.items[i], WJB_ELEM);
			return pushJsonbValue(state, WJB_END_ARRAY, NULL);
		case JV_OBJECT:
			pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
			for (i = 0; i < v->u.obj.n; i++)
			{
				JsonbValue	k;

				k.type = jbvString;
				k.val.string.val = (char *) v->u.obj.pairs[i].key;
				k.val.string.len = v->u.obj.pairs[i].klen;
				pushJsonbValue(state, WJB_KEY, &k);
				push_jv(state, v->u.obj.pairs[i].val, WJB_VALUE);
			}
			return pushJsonbValue(state, WJB_END_OBJECT, NULL);
	}
	return pushJsonbValue(state, tok, &s);
}

Jsonb *
jv_to_jsonb(const Jv *v)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;

	if (v->type != JV_ARRAY && v->type != JV_OBJECT)
	{
		/* a raw scalar is stored as a one-element pseudo array */
		JsonbValue	arr;

		arr.type = jbvArray;
		arr.val.array.rawScalar = true;
		arr.val.array.nElems = 1;
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, &arr);
		push_jv(&state, v, WJB_ELEM);
		res = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	else
		res = push_jv(&state, v, WJB_VALUE);
	return JsonbValueToJsonb(res);
}
