/*
 * expr_eval.c — the evaluator.  Semantics follow the reference JSONata
 * implementation (2.x): sequences flatten as JSONata's do, singleton
 * sequences collapse, undefined is distinct from null, and number-to-string
 * conversion uses JavaScript's rules.
 *
 * Values are Jv (jval.h) with evaluator flags (expr_int.h); NULL is
 * undefined.  Everything is allocated from the evaluation's arena; errors
 * longjmp to expr_eval().
 */
#include "expr_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static Jv  *eval_node(Ctx *c, Node *n, Jv *input, Frame *env);

/* ---- errors, budget, allocation ------------------------------------------ */

void
ex_throw(Ctx *c, int pos, const char *code, const char *fmt,...)
{
	va_list		ap;
	ExprError  *err = c->err;

	switch (code[0])
	{
		case 'S':
			err->kind = EXPR_ERR_SYNTAX;
			break;
		case 'U':
			err->kind = EXPR_ERR_UNSUPPORTED;
			break;
		case 'L':
			err->kind = EXPR_ERR_LIMIT;
			break;
		default:
			err->kind = EXPR_ERR_EVAL;
	}
	snprintf(err->code, sizeof(err->code), "%s", code);
	/* a limit hit deep inside a function points at the node that was running */
	if (pos < 0 && code[0] == 'L' && strcmp(code, "L1003") != 0)
		pos = c->cur_pos;
	err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	longjmp(c->jb, 1);
}

void
ex_oom(Ctx *c)
{
	ex_throw(c, -1, "L1005",
			 "expression evaluation exceeded its memory limit (algawf.expr_max_memory)");
}

void
ex_tick(Ctx *c, long units)
{
	c->budget -= units;
	if (c->budget < 0)
		ex_throw(c, -1, "L1001",
				 "expression evaluation exceeded its budget of steps (algawf.expr_budget)");
	c->ticks += units;
	if (c->ticks >= 512)
	{
		c->ticks = 0;
		if (c->hooks->interrupt)
			c->hooks->interrupt(c->hooks->ctx);
	}
}

static void *
ex_alloc(Ctx *c, size_t size)
{
	void	   *p = jv_alloc(c->a, size);

	if (p == NULL)
		ex_oom(c);
	return p;
}

static Jv *
chk(Ctx *c, Jv *v)
{
	if (v == NULL)
		ex_oom(c);
	return v;
}

Jv *
ex_seq(Ctx *c, size_t cap)
{
	Jv		   *s = chk(c, jv_array(c->a, cap));

	s->flags |= JVF_SEQ;
	return s;
}

void
ex_push(Ctx *c, Jv *arr, Jv *v)
{
	if (!jv_array_push(c->a, arr, v))
		ex_oom(c);
}

Jv *
ex_num(Ctx *c, double d)
{
	return chk(c, jv_number(c->a, d));
}

Jv *
ex_bool(Ctx *c, bool b)
{
	return chk(c, jv_bool(c->a, b));
}

void
ex_check_string(Ctx *c, size_t len, int pos)
{
	if (c->max_string && len > c->max_string)
		ex_throw(c, pos, "L1004",
				 "string of %zu bytes exceeds the maximum string length (algawf.expr_max_string = %zu)",
				 len, c->max_string);
}

Jv *
ex_str(Ctx *c, const char *s, size_t len)
{
	ex_check_string(c, len, -1);
	return chk(c, jv_string(c->a, s, len));
}

Jv *
ex_str_nocopy(Ctx *c, const char *s, size_t len)
{
	ex_check_string(c, len, -1);
	return chk(c, jv_string_nocopy(c->a, s, len));
}

Jv *
ex_obj(Ctx *c, size_t cap)
{
	return chk(c, jv_object(c->a, cap));
}

void
ex_obj_set(Ctx *c, Jv *obj, const char *k, size_t klen, Jv *v)
{
	if (!jv_object_set(c->a, obj, k, klen, v))
		ex_oom(c);
}

/* materialize lazy input members and lazy ranges */
Jv *
ex_force(Ctx *c, Jv *v)
{
	if (v == NULL)
		return v;
	if (v->flags & JVF_LAZY)
	{
		c->hooks->materialize(c->hooks->ctx, c->a, v);
		if (c->a->exhausted)
			ex_oom(c);
	}
	else if (v->flags & JVF_RANGE)
	{
		size_t		n = v->u.arr.n;
		double		start = (double) (int64_t) v->u.arr.cap;
		Jv		  **items = ex_alloc(c, (n ? n : 1) * sizeof(Jv *));
		Jv		   *nums = ex_alloc(c, (n ? n : 1) * sizeof(Jv));
		size_t		i;

		ex_tick(c, (long) (n / 16));
		memset(nums, 0, n * sizeof(Jv));
		for (i = 0; i < n; i++)
		{
			nums[i].type = JV_NUMBER;
			nums[i].u.num = start + (double) i;
			items[i] = &nums[i];
		}
		v->u.arr.items = items;
		v->u.arr.cap = n;
		v->flags &= ~JVF_RANGE;
	}
	return v;
}

static inline size_t
arr_n(const Jv *v)
{
	return v->u.arr.n;
}

static inline Jv *
arr_at(Ctx *c, Jv *v, size_t i)
{
	if (v->flags & (JVF_LAZY | JVF_RANGE))
		ex_force(c, v);
	return v->u.arr.items[i];
}

Jv *
ex_obj_get(Ctx *c, Jv *obj, const char *k, size_t klen)
{
	size_t		i;

	if (obj->flags & JVF_LAZY)
	{
		if (c->hooks->lazy_get)
		{
			Jv		   *v = c->hooks->lazy_get(c->hooks->ctx, c->a, obj, k, klen);

			if (c->a->exhausted)
				ex_oom(c);
			return v;
		}
		ex_force(c, obj);
	}
	for (i = 0; i < obj->u.obj.n; i++)
	{
		JvPair	   *p = &obj->u.obj.pairs[i];

		if (p->klen == klen && memcmp(p->key, k, klen) == 0)
			return p->val;
	}
	return NULL;
}

static Jv *
func_value(Ctx *c, const FuncDef *fn)
{
	Jv		   *v = chk(c, jv_null(c->a));

	v->flags |= JVF_FUNC;
	v->u.str.s = (const char *) fn;
	return v;
}

Jv *
expr_func_value(Ctx *c, const FuncDef *fn)
{
	return func_value(c, fn);
}

static const FuncDef *
func_of(const Jv *v)
{
	return (const FuncDef *) v->u.str.s;
}

static void
stack_check(Ctx *c, int depth)
{
	if (depth > 10000)
		ex_throw(c, -1, "L1002", "value nesting exceeds 10000 levels");
	if (c->hooks->stack_check)
		c->hooks->stack_check(c->hooks->ctx);
}

/* ---- UTF-8 ----------------------------------------------------------------- */

size_t
ex_utf8_count(const char *s, size_t len)
{
	size_t		n = 0;
	size_t		i;

	for (i = 0; i < len; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* byte offset of the nchars'th character (len if beyond the end) */
size_t
ex_utf8_offset(const char *s, size_t len, size_t nchars)
{
	size_t		i = 0;
	size_t		n = 0;

	while (i < len)
	{
		if (((unsigned char) s[i] & 0xC0) != 0x80)
		{
			if (n == nchars)
				return i;
			n++;
		}
		i++;
	}
	return len;
}

/* ---- value predicates ------------------------------------------------------ */

bool
ex_is_numeric(Ctx *c, Jv *v)
{
	if (vt(v) != VT_NUM)
		return false;
	if (isnan(v->u.num))
		return false;
	if (isinf(v->u.num))
		ex_throw(c, -1, "D1001", "Number out of range: %s",
				 v->u.num > 0 ? "Infinity" : "-Infinity");
	return true;
}

static bool
is_integer(double d)
{
	return isfinite(d) && floor(d) == d;
}

/* JSONata's $boolean(); *defined = false for undefined input */
bool
ex_boolean(Ctx *c, Jv *v, bool *defined)
{
	size_t		i;

	*defined = true;
	switch (vt(v))
	{
		case VT_UNDEF:
			*defined = false;
			return false;
		case VT_ARR:
			if (arr_n(v) == 1)
			{
				bool		d;

				return ex_boolean(c, arr_at(c, v, 0), &d);
			}
			for (i = 0; i < arr_n(v); i++)
			{
				bool		d;

				if (ex_boolean(c, arr_at(c, v, i), &d))
					return true;
			}
			return false;
		case VT_STR:
			return v->u.str.len > 0;
		case VT_NUM:
			return ex_is_numeric(c, v) && v->u.num != 0;
		case VT_OBJ:
			return v->u.obj.n > 0;
		case VT_BOOL:
			return v->u.b;
		default:
			return false;
	}
}

static bool
boolize(Ctx *c, Jv *v)
{
	bool		d;

	return ex_boolean(c, v, &d);
}

static int
cmp_keys(const void *a, const void *b)
{
	const JvPair *x = *(const JvPair *const *) a;
	const JvPair *y = *(const JvPair *const *) b;
	size_t		n = x->klen < y->klen ? x->klen : y->klen;
	int			r = memcmp(x->key, y->key, n);

	if (r)
		return r;
	return x->klen < y->klen ? -1 : x->klen > y->klen;
}

bool
ex_deep_equal(Ctx *c, Jv *a, Jv *b)
{
	VType		ta = vt(a),
				tb = vt(b);
	size_t		i;

	if (a == b)
		return true;
	if (ta != tb)
		return false;
	switch (ta)
	{
		case VT_UNDEF:
		case VT_NULL:
			return true;
		case VT_BOOL:
			return a->u.b == b->u.b;
		case VT_NUM:
			return a->u.num == b->u.num;
		case VT_STR:
			return a->u.str.len == b->u.str.len &&
				memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
		case VT_FUNC:
			return func_of(a) == func_of(b);
		case VT_ARR:
			if (arr_n(a) != arr_n(b))
				return false;
			ex_tick(c, 1);
			for (i = 0; i < arr_n(a); i++)
				if (!ex_deep_equal(c, arr_at(c, a, i), arr_at(c, b, i)))
					return false;
			return true;
		case VT_OBJ:
			ex_force(c, a);
			ex_force(c, b);
			if (a->u.obj.n != b->u.obj.n)
				return false;
			ex_tick(c, 1);
			for (i = 0; i < a->u.obj.n; i++)
			{
				JvPair	   *p = &a->u.obj.pairs[i];
				Jv		   *other = NULL;
				size_t		j;

				for (j = 0; j < b->u.obj.n; j++)
					if (b->u.obj.pairs[j].klen == p->klen &&
						memcmp(b->u.obj.pairs[j].key, p->key, p->klen) == 0)
					{
						other = b->u.obj.pairs[j].val;
						break;
					}
				if (j == b->u.obj.n || !ex_deep_equal(c, p->val, other))
					return false;
			}
			return true;
	}
	(void) cmp_keys;
	return false;
}

/* fn.append: concatenation; a non-array argument counts as a singleton */
Jv *
ex_append(Ctx *c, Jv *a, Jv *b)
{
	Jv		   *r;
	size_t		i;

	if (a == NULL)
		return b;
	if (b == NULL)
		return a;
	r = chk(c, jv_array(c->a, (vt(a) == VT_ARR ? arr_n(a) : 1) + (vt(b) == VT_ARR ? arr_n(b) : 1)));
	if (vt(a) == VT_ARR)
		for (i = 0; i < arr_n(a); i++)
			ex_push(c, r, arr_at(c, a, i));
	else
		ex_push(c, r, a);
	if (vt(b) == VT_ARR)
		for (i = 0; i < arr_n(b); i++)
			ex_push(c, r, arr_at(c, b, i));
	else
		ex_push(c, r, b);
	ex_tick(c, (long) (arr_n(r) / 64));
	return r;
}

/* fn.lookup: field access, mapped over arrays and flattened one level */
Jv *
ex_lookup(Ctx *c, Jv *input, const char *k, size_t klen)
{
	switch (vt(input))
	{
		case VT_ARR:
			{
				Jv		   *res = ex_seq(c, 0);
				size_t		i,
							j;

				for (i = 0; i < arr_n(input); i++)
				{
					Jv		   *r = ex_lookup(c, arr_at(c, input, i), k, klen);

					if (r == NULL)
						continue;
					if (vt(r) == VT_ARR)
					{
						for (j = 0; j < arr_n(r); j++)
							ex_push(c, res, arr_at(c, r, j));
					}
					else
						ex_push(c, res, r);
				}
				ex_tick(c, (long) (arr_n(input) / 64));
				return res;
			}
		case VT_OBJ:
			return ex_obj_get(c, input, k, klen);
		default:
			return NULL;
	}
}

/* ---- numbers and strings ------------------------------------------------- */

void
ex_format_number15(double d, char *buf)
{
	char		tmp[40];
	int			sig = 0;
	bool		lead = true;
	const char *q;

	if (is_integer(d) || !isfinite(d))
	{
		jv_format_number(d, buf);
		return;
	}
	/* when the shortest form has at most 15 significant digits it is the answer */
	jv_format_number(d, buf);
	for (q = buf; *q && *q != 'e'; q++)
	{
		if (*q < '0' || *q > '9')
			continue;
		if (lead && *q == '0')
			continue;
		lead = false;
		sig++;
	}
	if (sig <= 15)
		return;
	snprintf(tmp, sizeof(tmp), "%.14e", d);
	jv_format_number(strtod(tmp, NULL), buf);
}

static void
indent(JvBuf *b, int level)
{
	int			i;

	jv_buf_appendc(b, '\n');
	for (i = 0; i < level * 2; i++)
		jv_buf_appendc(b, ' ');
}

/* JSON.stringify(v, jsonata's replacer, pretty ? 2 : 0) */
void
ex_stringify(Ctx *c, JvBuf *b, Jv *v, bool pretty, int level, int pos)
{
	char		num[40];
	size_t		i;

	if (b->failed)
		ex_oom(c);
	if (c->max_string && b->len > c->max_string)
		ex_check_string(c, b->len, pos);
	switch (vt(v))
	{
		case VT_UNDEF:
		case VT_NULL:
			jv_buf_append(b, "null", 4);
			break;
		case VT_FUNC:
			jv_buf_append(b, "\"\"", 2);
			break;
		case VT_BOOL:
			if (v->u.b)
				jv_buf_append(b, "true", 4);
			else
				jv_buf_append(b, "false", 5);
			break;
		case VT_NUM:
			if (isnan(v->u.num))
				jv_buf_append(b, "null", 4);
			else
			{
				(void) ex_is_numeric(c, v); /* D1001 for infinities */
				ex_format_number15(v->u.num, num);
				jv_buf_append(b, num, strlen(num));
			}
			break;
		case VT_STR:
			jv_buf_append_json_string(b, v->u.str.s, v->u.str.len);
			break;
		case VT_ARR:
			stack_check(c, level);
			jv_buf_appendc(b, '[');
			for (i = 0; i < arr_n(v); i++)
			{
				if (i)
					jv_buf_appendc(b, ',');
				if (pretty)
					indent(b, level + 1);
				ex_stringify(c, b, arr_at(c, v, i), pretty, level + 1, pos);
			}
			if (pretty && arr_n(v))
				indent(b, level);
			jv_buf_appendc(b, ']');
			break;
		case VT_OBJ:
			stack_check(c, level);
			ex_force(c, v);
			jv_buf_appendc(b, '{');
			for (i = 0; i < v->u.obj.n; i++)
			{
				JvPair	   *p = &v->u.obj.pairs[i];

				if (i)
					jv_buf_appendc(b, ',');
				if (pretty)
					indent(b, level + 1);
				jv_buf_append_json_string(b, p->key, p->klen);
				jv_buf_appendc(b, ':');
				if (pretty)
					jv_buf_appendc(b, ' ');
				ex_stringify(c, b, p->val, pretty, level + 1, pos);
			}
			if (pretty && v->u.obj.n)
				indent(b, level);
			jv_buf_appendc(b, '}');
			break;
	}
	if (b->failed)
		ex_oom(c);
}

/* $string(v, pretty) */
Jv *
ex_to_string(Ctx *c, Jv *v, bool pretty, int pos)
{
	JvBuf		b;

	switch (vt(v))
	{
		case VT_UNDEF:
			return NULL;
		case VT_STR:
			return v;
		case VT_FUNC:
			return ex_str(c, "", 0);
		case VT_NUM:
			if (!isfinite(v->u.num))
				ex_throw(c, pos, "D3001",
						 "Attempting to invoke string function on Infinity or NaN");
			break;
		case VT_ARR:
			if ((v->flags & JVF_OUTER) && arr_n(v) > 0)
				v = arr_at(c, v, 0);
			break;
		default:
			break;
	}
	jv_buf_init(&b, c->a);
	ex_stringify(c, &b, v, pretty, 0, pos);
	ex_check_string(c, b.len, pos);
	return ex_str_nocopy(c, b.data ? b.data : "", b.len);
}

/* ---- environment --------------------------------------------------------- */

static Jv *
env_lookup(Ctx *c, Frame *env, const char *name, size_t nlen, bool *found)
{
	Frame	   *f;
	Binding    *b;

	for (f = env; f; f = f->parent)
		for (b = f->head; b; b = b->next)
			if (b->nlen == nlen && memcmp(b->name, name, nlen) == 0)
			{
				*found = true;
				return b->val;
			}
	if (c->bindings && vt(c->bindings) == VT_OBJ)
	{
		Jv		   *v;

		ex_force(c, c->bindings);
		v = ex_obj_get(c, c->bindings, name, nlen);
		if (v)
		{
			*found = true;
			return v;
		}
	}
	*found = false;
	return NULL;
}

static void
env_bind(Ctx *c, Frame *env, const char *name, size_t nlen, Jv *val)
{
	Binding    *b;

	for (b = env->head; b; b = b->next)
		if (b->nlen == nlen && memcmp(b->name, name, nlen) == 0)
		{
			b->val = val;
			return;
		}
	b = ex_alloc(c, sizeof(Binding));
	b->name = name;
	b->nlen = nlen;
	b->val = val;
	b->next = env->head;
	env->head = b;
}

static Jv *
eval_variable(Ctx *c, Node *n, Jv *input, Frame *env)
{
	bool		found;
	Jv		   *v;
	const FuncDef *fn;

	if (n->nlen == 0)
		return (vt(input) == VT_ARR && (input->flags & JVF_OUTER)) ? arr_at(c, input, 0) : input;
	if (n->nlen == 1 && n->name[0] == '$')
		return c->root;
	v = env_lookup(c, env, n->name, n->nlen, &found);
	if (found)
		return v;
	fn = expr_find_function(n->name, n->nlen, c->funcset, false);
	if (fn)
		return func_value(c, fn);
	return NULL;
}

/* ---- paths --------------------------------------------------------------- */

static Jv *eval_filter(Ctx *c, Node *pred, Jv *input, Frame *env);
static Jv *eval_group(Ctx *c, Node *g, Jv *input, Frame *env);
static Jv *eval_sort(Ctx *c, Node *sort, Jv *input, Frame *env);

static Jv *
seq_of(Ctx *c, Jv *v)
{
	Jv		   *s = ex_seq(c, 1);

	ex_push(c, s, v);			/* may push undefined, as createSequence(undefined) */
	return s;
}

static Jv *
eval_step(Ctx *c, Node *step, Jv *inseq, Frame *env, bool last)
{
	Jv		   *result;
	Jv		   *rs;
	size_t		i,
				j;
	int			k;

	if (step->kind == NK_SORT)
	{
		rs = eval_sort(c, step, inseq, env);
		for (k = 0; k < step->nstages; k++)
			rs = eval_filter(c, step->stages[k], rs, env);
		return rs;
	}
	result = ex_seq(c, arr_n(inseq));
	for (i = 0; i < arr_n(inseq); i++)
	{
		Jv		   *res = eval_node(c, step, arr_at(c, inseq, i), env);

		for (k = 0; k < step->nstages; k++)
			res = eval_filter(c, step->stages[k], res, env);
		if (res != NULL)
			ex_push(c, result, res);
	}
	if (last && arr_n(result) == 1 && vt(result->u.arr.items[0]) == VT_ARR &&
		!(result->u.arr.items[0]->flags & JVF_SEQ))
		return result->u.arr.items[0];
	rs = ex_seq(c, arr_n(result));
	for (i = 0; i < arr_n(result); i++)
	{
		Jv		   *res = result->u.arr.items[i];

		if (vt(res) != VT_ARR || (res->flags & JVF_CONS))
			ex_push(c, rs, res);
		else
			for (j = 0; j < arr_n(res); j++)
				ex_push(c, rs, arr_at(c, res, j));
	}
	return rs;
}

static Jv *
eval_path(Ctx *c, Node *n, Jv *input, Frame *env)
{
	Jv		   *inseq;
	Jv		   *rs = NULL;
	int			i;

	if (vt(input) == VT_ARR && n->items[0]->kind != NK_VARIABLE)
		inseq = input;
	else
		inseq = seq_of(c, input);
	for (i = 0; i < n->nitems; i++)
	{
		Node	   *step = n->items[i];

		if (i == 0 && (step->flags & NF_CONSARRAY))
			rs = eval_node(c, step, inseq, env);
		else
			rs = eval_step(c, step, inseq, env, i == n->nitems - 1);
		if (rs == NULL || (vt(rs) == VT_ARR && arr_n(rs) == 0))
			break;
		if (vt(rs) != VT_ARR)
			rs = seq_of(c, rs);
		inseq = rs;
	}
	if ((n->flags & NF_KEEP_SINGLETON) && rs != NULL)
	{
		if (vt(rs) == VT_ARR && (rs->flags & JVF_CONS) && !(rs->flags & JVF_SEQ))
			rs = seq_of(c, rs);
		if (vt(rs) == VT_ARR)
			rs->flags |= JVF_KEEP;
	}
	if (n->group)
		rs = eval_group(c, n->group, rs, env);
	return rs;
}

static bool
all_numbers(Ctx *c, Jv *v)
{
	size_t		i;

	for (i = 0; i < arr_n(v); i++)
		if (!ex_is_numeric(c, arr_at(c, v, i)))
			return false;
	return true;
}

static Jv *
eval_filter(Ctx *c, Node *pred, Jv *input, Frame *env)
{
	Jv		   *results = ex_seq(c, 0);
	size_t		n,
				i,
				j;

	if (vt(input) != VT_ARR)
		input = seq_of(c, input);
	n = arr_n(input);
	if (pred->kind == NK_NUMBER)
	{
		double		idx = floor(pred->lit->u.num);
		Jv		   *item;

		if (idx < 0)
			idx += (double) n;
		if (idx < 0 || idx >= (double) n)
			return results;
		item = arr_at(c, input, (size_t) idx);
		if (item != NULL)
		{
			if (vt(item) == VT_ARR)
				return item;
			ex_push(c, results, item);
		}
		return results;
	}
	for (i = 0; i < n; i++)
	{
		Jv		   *item = arr_at(c, input, i);
		Jv		   *res;

		if (item == NULL)
			continue;
		res = eval_node(c, pred, item, env);
		if (ex_is_numeric(c, res))
		{
			double		ii = floor(res->u.num);

			if (ii < 0)
				ii += (double) n;
			if (ii == (double) i)
				ex_push(c, results, item);
		}
		else if (vt(res) == VT_ARR && all_numbers(c, res))
		{
			for (j = 0; j < arr_n(res); j++)
			{
				double		ii = floor(arr_at(c, res, j)->u.num);

				if (ii < 0)
					ii += (double) n;
				if (ii == (double) i)
					ex_push(c, results, item);
			}
		}
		else if (boolize(c, res))
			ex_push(c, results, item);
	}
	return results;
}

/* ---- object constructor / group-by -------------------------------------- */

typedef struct GroupEntry
{
	const char *key;
	size_t		klen;
	Jv		   *data;
	int			pair;
	int			next;			/* chain in the hash bucket, -1 = end */
} GroupEntry;

static uint32_t
hash_bytes(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		h ^= (unsigned char) s[i];
		h *= 16777619u;
	}
	return h;
}

static Jv *
eval_group(Ctx *c, Node *g, Jv *input, Frame *env)
{
	int			npairs = g->nitems / 2;
	GroupEntry *entries = NULL;
	int			nentries = 0,
				cap = 0;
	int			buckets[64];
	Jv		   *result;
	size_t		i;
	int			k,
				e;

	for (k = 0; k < 64; k++)
		buckets[k] = -1;
	if (vt(input) != VT_ARR)
		input = seq_of(c, input);
	if (arr_n(input) == 0)
		input = seq_of(c, NULL);
	for (i = 0; i < arr_n(input); i++)
	{
		Jv		   *item = arr_at(c, input, i);

		for (k = 0; k < npairs; k++)
		{
			Jv		   *key = eval_node(c, g->items[2 * k], item, env);
			uint32_t	h;

			if (key == NULL)
				continue;
			if (vt(key) != VT_STR)
			{
				char		buf[40];
				JvBuf		b;

				jv_buf_init(&b, c->a);
				ex_stringify(c, &b, key, false, 0, g->pos);
				snprintf(buf, sizeof(buf), "%.30s", b.data ? b.data : "");
				ex_throw(c, g->pos, "T1003",
						 "Key in object structure must evaluate to a string; got: %s", buf);
			}
			h = hash_bytes(key->u.str.s, key->u.str.len) & 63;
			for (e = buckets[h]; e >= 0; e = entries[e].next)
				if (entries[e].klen == key->u.str.len &&
					memcmp(entries[e].key, key->u.str.s, key->u.str.len) == 0)
					break;
			if (e >= 0)
			{
				if (entries[e].pair != k)
					ex_throw(c, g->pos, "D1009",
							 "Multiple key definitions evaluate to same key: %.*s",
							 (int) (key->u.str.len > 60 ? 60 : key->u.str.len), key->u.str.s);
				entries[e].data = ex_append(c, entries[e].data, item);
			}
			else
			{
				if (nentries == cap)
				{
					GroupEntry *ne;

					cap = cap ? cap * 2 : 8;
					ne = ex_alloc(c, cap * sizeof(GroupEntry));
					if (nentries)
						memcpy(ne, entries, nentries * sizeof(GroupEntry));
					entries = ne;
				}
				entries[nentries].key = key->u.str.s;
				entries[nentries].klen = key->u.str.len;
				entries[nentries].data = item;
				entries[nentries].pair = k;
				entries[nentries].next = buckets[h];
				buckets[h] = nentries;
				nentries++;
			}
		}
	}
	result = ex_obj(c, nentries);
	for (e = 0; e < nentries; e++)
	{
		Jv		   *val = eval_node(c, g->items[2 * entries[e].pair + 1], entries[e].data, env);

		if (val != NULL)
			ex_obj_set(c, result, entries[e].key, entries[e].klen, val);
	}
	return result;
}

/* ---- order-by ------------------------------------------------------------ */

typedef struct SortState
{
	Ctx		   *c;
	Node	   *sort;
	Jv		   *items;
	Jv		  **keys;			/* nitems * nterms, evaluated on demand */
	uint8_t    *done;
	Frame	   *env;
} SortState;

static Jv *
sort_key(SortState *s, size_t item, int term)
{
	size_t		slot = item * s->sort->nitems + term;

	if (!s->done[slot])
	{
		s->keys[slot] = eval_node(s->c, s->sort->items[term]->lhs,
								  s->items->u.arr.items[item], s->env);
		s->done[slot] = 1;
	}
	return s->keys[slot];
}

/* true when item a must come after item b */
static bool
sort_swap(SortState *s, size_t a, size_t b)
{
	Ctx		   *c = s->c;
	int			comp = 0;
	int			t;

	for (t = 0; comp == 0 && t < s->sort->nitems; t++)
	{
		Jv		   *aa = sort_key(s, a, t);
		Jv		   *bb = sort_key(s, b, t);
		VType		ta = vt(aa),
					tb = vt(bb);

		if (ta == VT_UNDEF)
		{
			comp = tb == VT_UNDEF ? 0 : 1;
			continue;
		}
		if (tb == VT_UNDEF)
		{
			comp = -1;
			continue;
		}
		if (!(ta == VT_STR || ta == VT_NUM) || !(tb == VT_STR || tb == VT_NUM))
			ex_throw(c, s->sort->pos, "T2008",
					 "The expressions within an order-by clause must evaluate to numeric or string values");
		if (ta != tb)
			ex_throw(c, s->sort->pos, "T2007",
					 "Type mismatch when comparing values in order-by clause");
		if (ta == VT_NUM)
		{
			(void) ex_is_numeric(c, aa);
			(void) ex_is_numeric(c, bb);
			if (aa->u.num == bb->u.num)
				continue;
			comp = aa->u.num < bb->u.num ? -1 : 1;
		}
		else
		{
			size_t		n = aa->u.str.len < bb->u.str.len ? aa->u.str.len : bb->u.str.len;
			int			r = memcmp(aa->u.str.s, bb->u.str.s, n);

			if (r == 0 && aa->u.str.len == bb->u.str.len)
				continue;
			comp = (r < 0 || (r == 0 && aa->u.str.len < bb->u.str.len)) ? -1 : 1;
		}
		if (s->sort->items[t]->flags & NF_DESCENDING)
			comp = -comp;
	}
	return comp == 1;
}

static Jv *
eval_sort(Ctx *c, Node *sort, Jv *input, Frame *env)
{
	SortState	s;
	size_t		n,
				width,
				i;
	size_t	   *idx,
			   *tmp;
	Jv		   *result;

	if (input == NULL)
		return NULL;
	if (vt(input) != VT_ARR)
		return input;
	n = arr_n(input);
	if (n <= 1)
		return input;
	ex_force(c, input);
	s.c = c;
	s.sort = sort;
	s.items = input;
	s.env = env;
	s.keys = ex_alloc(c, n * sort->nitems * sizeof(Jv *));
	s.done = ex_alloc(c, n * sort->nitems);
	memset(s.done, 0, n * sort->nitems);
	idx = ex_alloc(c, n * sizeof(size_t));
	tmp = ex_alloc(c, n * sizeof(size_t));
	for (i = 0; i < n; i++)
		idx[i] = i;
	/* bottom-up stable merge sort */
	for (width = 1; width < n; width *= 2)
	{
		size_t		lo;

		for (lo = 0; lo < n; lo += 2 * width)
		{
			size_t		mid = lo + width < n ? lo + width : n;
			size_t		hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t		l = lo,
						r = mid,
						o = lo;

			while (l < mid && r < hi)
			{
				if (sort_swap(&s, idx[l], idx[r]))
					tmp[o++] = idx[r++];
				else
					tmp[o++] = idx[l++];
			}
			while (l < mid)
				tmp[o++] = idx[l++];
			while (r < hi)
				tmp[o++] = idx[r++];
		}
		memcpy(idx, tmp, n * sizeof(size_t));
		ex_tick(c, (long) (n / 16) + 1);
	}
	result = chk(c, jv_array(c->a, n));
	for (i = 0; i < n; i++)
		ex_push(c, result, input->u.arr.items[idx[i]]);
	return result;
}

/* ---- wildcards ------------------------------------------------------------ */

static void
flatten_into(Ctx *c, Jv *out, Jv *v, int depth)
{
	size_t		i;

	if (vt(v) == VT_ARR)
	{
		stack_check(c, depth);
		for (i = 0; i < arr_n(v); i++)
			flatten_into(c, out, arr_at(c, v, i), depth + 1);
	}
	else
		ex_push(c, out, v);
}

static Jv *
eval_wildcard(Ctx *c, Jv *input)
{
	Jv		   *results = ex_seq(c, 0);
	bool		plain = false;
	size_t		i;

	if (vt(input) == VT_ARR && (input->flags & JVF_OUTER) && arr_n(input) > 0)
		input = arr_at(c, input, 0);
	if (vt(input) == VT_OBJ)
	{
		ex_force(c, input);
		for (i = 0; i < input->u.obj.n; i++)
		{
			Jv		   *value = input->u.obj.pairs[i].val;

			if (vt(value) == VT_ARR)
			{
				flatten_into(c, results, value, 0);
				plain = true;
			}
			else
				ex_push(c, results, value);
		}
	}
	else if (vt(input) == VT_ARR)
	{
		for (i = 0; i < arr_n(input); i++)
		{
			Jv		   *value = arr_at(c, input, i);

			if (vt(value) == VT_ARR)
			{
				flatten_into(c, results, value, 0);
				plain = true;
			}
			else
				ex_push(c, results, value);
		}
	}
	if (plain)
		results->flags &= ~JVF_SEQ;
	return results;
}

static void
descendants(Ctx *c, Jv *v, Jv *out, int depth)
{
	size_t		i;

	stack_check(c, depth);
	ex_tick(c, 1);
	if (vt(v) == VT_ARR)
	{
		for (i = 0; i < arr_n(v); i++)
			descendants(c, arr_at(c, v, i), out, depth + 1);
		return;
	}
	ex_push(c, out, v);
	if (vt(v) == VT_OBJ)
	{
		ex_force(c, v);
		for (i = 0; i < v->u.obj.n; i++)
			descendants(c, v->u.obj.pairs[i].val, out, depth + 1);
	}
}

static Jv *
eval_descendants(Ctx *c, Jv *input)
{
	Jv		   *out;

	if (input == NULL)
		return NULL;
	out = ex_seq(c, 0);
	descendants(c, input, out, 0);
	if (arr_n(out) == 1)
		return out->u.arr.items[0];
	return out;
}

/* ---- operators ----------------------------------------------------------- */

static const char *
binop_text(int op)
{
	static const char *const t[] = {"+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">=",
	"&", "and", "or", "in", ".."};

	return t[op];
}

static void
value_text(Ctx *c, Jv *v, char *buf, size_t size)
{
	JvBuf		b;

	if (v == NULL)
	{
		snprintf(buf, size, "undefined");
		return;
	}
	jv_buf_init(&b, c->a);
	ex_stringify(c, &b, v, false, 0, -1);
	snprintf(buf, size, "%.*s%s", (int) (b.len > 60 ? 60 : b.len), b.data ? b.data : "",
			 b.len > 60 ? "..." : "");
}

static Jv *
concat_strings(Ctx *c, Jv *l, Jv *r, int pos)
{
	Jv		   *ls = ex_to_string(c, l, false, pos);
	Jv		   *rs = ex_to_string(c, r, false, pos);
	size_t		ll = ls ? ls->u.str.len : 0;
	size_t		rl = rs ? rs->u.str.len : 0;
	char	   *out;

	ex_check_string(c, ll + rl, pos);
	out = ex_alloc(c, ll + rl + 1);
	if (ll)
		memcpy(out, ls->u.str.s, ll);
	if (rl)
		memcpy(out + ll, rs->u.str.s, rl);
	out[ll + rl] = '\0';
	return chk(c, jv_string_nocopy(c->a, out, ll + rl));
}

static Jv *
eval_range(Ctx *c, Node *n, Jv *l, Jv *r)
{
	double		size;
	Jv		   *res;

	if (l != NULL && !(vt(l) == VT_NUM && is_integer(l->u.num)))
		ex_throw(c, n->pos, "T2003",
				 "The left side of the range operator (..) must evaluate to an integer");
	if (r != NULL && !(vt(r) == VT_NUM && is_integer(r->u.num)))
		ex_throw(c, n->pos, "T2004",
				 "The right side of the range operator (..) must evaluate to an integer");
	if (l == NULL || r == NULL || l->u.num > r->u.num)
		return NULL;
	size = r->u.num - l->u.num + 1;
	if (size > 1e7)
		ex_throw(c, n->pos, "D2014",
				 "The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate %.0f.",
				 size);
	/* a lazy sequence: materialized only if something looks at its items */
	res = ex_seq(c, 0);
	res->flags |= JVF_RANGE;
	res->u.arr.n = (size_t) size;
	res->u.arr.cap = (size_t) (int64_t) l->u.num;
	return res;
}

static Jv *
eval_binary(Ctx *c, Node *n, Jv *input, Frame *env)
{
	Jv		   *l = eval_node(c, n->lhs, input, env);
	Jv		   *r;
	char		b1[80],
				b2[80];

	if (n->op == BO_AND)
		return ex_bool(c, boolize(c, l) && boolize(c, eval_node(c, n->rhs, input, env)));
	if (n->op == BO_OR)
		return ex_bool(c, boolize(c, l) || boolize(c, eval_node(c, n->rhs, input, env)));
	r = eval_node(c, n->rhs, input, env);
	switch (n->op)
	{
		case BO_ADD:
		case BO_SUB:
		case BO_MUL:
		case BO_DIV:
		case BO_MOD:
			{
				double		x,
							y,
							res = 0;

				if (l != NULL && !ex_is_numeric(c, l))
					ex_throw(c, n->pos, "T2001",
							 "The left side of the %s operator must evaluate to a number",
							 binop_text(n->op));
				if (r != NULL && !ex_is_numeric(c, r))
					ex_throw(c, n->pos, "T2002",
							 "The right side of the %s operator must evaluate to a number",
							 binop_text(n->op));
				if (l == NULL || r == NULL)
					return NULL;
				x = l->u.num;
				y = r->u.num;
				switch (n->op)
				{
					case BO_ADD:
						res = x + y;
						break;
					case BO_SUB:
						res = x - y;
						break;
					case BO_MUL:
						res = x * y;
						break;
					case BO_DIV:
						res = x / y;
						break;
					default:
						res = fmod(x, y);
						break;
				}
				return ex_num(c, res);
			}
		case BO_EQ:
		case BO_NE:
			if (l == NULL || r == NULL)
				return ex_bool(c, false);
			return ex_bool(c, ex_deep_equal(c, l, r) == (n->op == BO_EQ));
		case BO_LT:
		case BO_LE:
		case BO_GT:
		case BO_GE:
			{
				VType		lt = vt(l),
							rt = vt(r);
				int			cmp;

				if (!(lt == VT_UNDEF || lt == VT_STR || lt == VT_NUM) ||
					!(rt == VT_UNDEF || rt == VT_STR || rt == VT_NUM))
					ex_throw(c, n->pos, "T2010",
							 "The expressions either side of operator \"%s\" must evaluate to numeric or string values",
							 binop_text(n->op));
				if (lt == VT_UNDEF || rt == VT_UNDEF)
					return NULL;
				if (lt != rt)
				{
					value_text(c, l, b1, sizeof(b1));
					value_text(c, r, b2, sizeof(b2));
					ex_throw(c, n->pos, "T2009",
							 "The values %s and %s either side of operator \"%s\" must be of the same data type",
							 b1, b2, binop_text(n->op));
				}
				if (lt == VT_NUM)
				{
					double		x = l->u.num,
								y = r->u.num;

					switch (n->op)
					{
						case BO_LT:
							return ex_bool(c, x < y);
						case BO_LE:
							return ex_bool(c, x <= y);
						case BO_GT:
							return ex_bool(c, x > y);
						default:
							return ex_bool(c, x >= y);
					}
				}
				{
					size_t		m = l->u.str.len < r->u.str.len ? l->u.str.len : r->u.str.len;

					cmp = memcmp(l->u.str.s, r->u.str.s, m);
					if (cmp == 0)
						cmp = l->u.str.len < r->u.str.len ? -1 : l->u.str.len > r->u.str.len;
				}
				switch (n->op)
				{
					case BO_LT:
						return ex_bool(c, cmp < 0);
					case BO_LE:
						return ex_bool(c, cmp <= 0);
					case BO_GT:
						return ex_bool(c, cmp > 0);
					default:
						return ex_bool(c, cmp >= 0);
				}
			}
		case BO_CONCAT:
			return concat_strings(c, l, r, n->pos);
		case BO_IN:
			{
				size_t		i;

				if (l == NULL || r == NULL)
					return ex_bool(c, false);
				if (vt(r) != VT_ARR)
					return ex_bool(c, ex_deep_equal(c, r, l));
				for (i = 0; i < arr_n(r); i++)
					if (ex_deep_equal(c, arr_at(c, r, i), l))
						return ex_bool(c, true);
				return ex_bool(c, false);
			}
		case BO_RANGE:
			return eval_range(c, n, l, r);
	}
	return NULL;
}

/* ---- calls ------------------------------------------------------------------ */

static Jv *
eval_call(Ctx *c, Node *n, Jv *input, Frame *env, Jv *applyto, bool has_applyto)
{
	const FuncDef *fn;
	Jv		  **args;
	int			nargs = 0;
	int			i;

	if (n->flags & NF_BARE_CALL)
		fn = n->fn;
	else
	{
		Jv		   *proc = eval_node(c, n->lhs, input, env);

		if (vt(proc) != VT_FUNC)
		{
			Node	   *pn = n->lhs;

			if (proc == NULL && pn->kind == NK_PATH && pn->items[0]->kind == NK_NAME &&
				expr_find_function(pn->items[0]->name, pn->items[0]->nlen, c->funcset, false))
				ex_throw(c, n->pos, "T1005",
						 "Attempted to invoke a non-function. Did you mean $%s?",
						 pn->items[0]->name);
			ex_throw(c, n->pos, "T1006", "Attempted to invoke a non-function");
		}
		fn = func_of(proc);
	}
	args = ex_alloc(c, (n->nitems + 2) * sizeof(Jv *));
	if (has_applyto)
		args[nargs++] = applyto;
	for (i = 0; i < n->nitems; i++)
		args[nargs++] = eval_node(c, n->items[i], input, env);
	return expr_apply(c, fn, args, nargs, input, n->pos);
}

static Jv *
eval_apply(Ctx *c, Node *n, Jv *input, Frame *env)
{
	Jv		   *lhs = eval_node(c, n->lhs, input, env);
	Jv		   *func;
	Jv		   *args[1];

	if (n->rhs->kind == NK_CALL)
		return eval_call(c, n->rhs, input, env, lhs, true);
	func = eval_node(c, n->rhs, input, env);
	if (vt(func) != VT_FUNC)
		ex_throw(c, n->pos, "T2006",
				 "The right side of the function application operator ~> must be a function");
	if (vt(lhs) == VT_FUNC)
		ex_throw(c, n->pos, "U1001",
				 "function composition (function ~> function) is not supported");
	args[0] = lhs;
	return expr_apply(c, func_of(func), args, 1, NULL, n->pos);
}

/* ---- array constructor ------------------------------------------------------ */

static Jv *
eval_array(Ctx *c, Node *n, Jv *input, Frame *env)
{
	Jv		   *result;
	int			i;

	/* [a..b] alone stays lazy: $count([1..1e7]) needs no ten million values */
	if (n->nitems == 1 && n->items[0]->kind == NK_BINARY && n->items[0]->op == BO_RANGE)
	{
		Jv		   *r = eval_node(c, n->items[0], input, env);

		if (r == NULL)
			result = chk(c, jv_array(c->a, 0));
		else
		{
			result = r;
			result->flags &= ~JVF_SEQ;
		}
		if (n->flags & NF_CONSARRAY)
			result->flags |= JVF_CONS;
		return result;
	}
	result = chk(c, jv_array(c->a, n->nitems));
	for (i = 0; i < n->nitems; i++)
	{
		Node	   *item = n->items[i];
		Jv		   *value = eval_node(c, item, input, env);

		if (value == NULL)
			continue;
		if (item->kind == NK_ARRAY)
			ex_push(c, result, value);
		else if (vt(value) == VT_ARR)
		{
			size_t		j;

			for (j = 0; j < arr_n(value); j++)
				ex_push(c, result, arr_at(c, value, j));
			ex_tick(c, (long) (arr_n(value) / 64));
		}
		else
			ex_push(c, result, value);
	}
	if (n->flags & NF_CONSARRAY)
		result->flags |= JVF_CONS;
	return result;
}

/* ---- dispatcher -------------------------------------------------------------- */

static Jv *
eval_node(Ctx *c, Node *n, Jv *input, Frame *env)
{
	Jv		   *r = NULL;
	int			i;

	ex_tick(c, 1);
	c->cur_pos = n->pos;
	if (++c->depth > c->max_depth)
		ex_throw(c, n->pos, "L1002",
				 "expression evaluation exceeds the maximum nesting depth (algawf.expr_max_depth = %d)",
				 c->max_depth);
	switch (n->kind)
	{
		case NK_PATH:
			r = eval_path(c, n, input, env);
			break;
		case NK_NAME:
			r = ex_lookup(c, input, n->name, n->nlen);
			break;
		case NK_STRING:
		case NK_NUMBER:
		case NK_VALUE:
			r = n->lit;
			break;
		case NK_VARIABLE:
			r = eval_variable(c, n, input, env);
			break;
		case NK_WILDCARD:
			r = eval_wildcard(c, input);
			break;
		case NK_DESCENDANT:
			r = eval_descendants(c, input);
			break;
		case NK_BINARY:
			r = eval_binary(c, n, input, env);
			break;
		case NK_NEG:
			r = eval_node(c, n->lhs, input, env);
			if (r != NULL)
			{
				if (!ex_is_numeric(c, r))
				{
					char		buf[80];

					value_text(c, r, buf, sizeof(buf));
					ex_throw(c, n->pos, "D1002", "Cannot negate a non-numeric value: %s", buf);
				}
				r = ex_num(c, -r->u.num);
			}
			break;
		case NK_ARRAY:
			r = eval_array(c, n, input, env);
			break;
		case NK_OBJECT:
			r = eval_group(c, n, input, env);
			break;
		case NK_CONDITION:
			if (boolize(c, eval_node(c, n->lhs, input, env)))
				r = eval_node(c, n->rhs, input, env);
			else if (n->third)
				r = eval_node(c, n->third, input, env);
			break;
		case NK_COALESCE:
			r = eval_node(c, n->lhs, input, env);
			if (r == NULL)
				r = eval_node(c, n->rhs, input, env);
			break;
		case NK_DEFAULT:
			r = eval_node(c, n->lhs, input, env);
			if (!boolize(c, r))
				r = eval_node(c, n->rhs, input, env);
			break;
		case NK_BLOCK:
			{
				Frame		frame;

				frame.parent = env;
				frame.head = NULL;
				for (i = 0; i < n->nitems; i++)
					r = eval_node(c, n->items[i], input, &frame);
				break;
			}
		case NK_BIND:
			r = eval_node(c, n->rhs, input, env);
			if (env == NULL)
				ex_throw(c, n->pos, "S0212", "cannot bind a variable here");
			env_bind(c, env, n->lhs->name, n->lhs->nlen, r);
			break;
		case NK_CALL:
			r = eval_call(c, n, input, env, NULL, false);
			break;
		case NK_APPLY:
			r = eval_apply(c, n, input, env);
			break;
		case NK_SORT:
			r = eval_sort(c, n, input, env);
			break;
		default:
			ex_throw(c, n->pos, "S0206", "Unknown expression type");
	}
	for (i = 0; i < n->npreds; i++)
		r = eval_filter(c, n->preds[i], r, env);
	if (n->group && n->kind != NK_PATH)
		r = eval_group(c, n->group, r, env);
	if (r != NULL && vt(r) == VT_ARR && (r->flags & JVF_SEQ))
	{
		if (n->flags & NF_KEEP_ARRAY)
			r->flags |= JVF_KEEP;
		if (arr_n(r) == 0)
			r = NULL;
		else if (arr_n(r) == 1 && !(r->flags & JVF_KEEP))
			r = arr_at(c, r, 0);
	}
	c->depth--;
	return r;
}

/* ---- results ----------------------------------------------------------------- */

static bool
has_lone_surrogate(const char *s, size_t len)
{
	const char *p = s;
	const char *end = s + len;

	/* NUL cannot be stored in PostgreSQL text either ($decodeUrl("%00")) */
	if (memchr(s, 0, len) != NULL)
		return true;

	while ((p = memchr(p, 0xED, end - p)) != NULL)
	{
		if (p + 1 < end && ((unsigned char) p[1] & 0xE0) == 0xA0)
			return true;
		p++;
	}
	return false;
}

/*
 * Check the result before it leaves the core: no lone surrogates, no
 * infinities, size within max_result.  Functions inside become null (arrays)
 * or disappear (objects), as JSON.stringify does.  Returns the JSON size.
 */
static size_t
finalize(Ctx *c, Jv *v, int depth)
{
	size_t		size = 0;
	size_t		i;
	char		num[40];

	stack_check(c, depth);
	switch (vt(v))
	{
		case VT_UNDEF:
		case VT_NULL:
		case VT_FUNC:
			return 4;
		case VT_BOOL:
			return 5;
		case VT_NUM:
			if (!isfinite(v->u.num))
				ex_throw(c, -1, "D1001", "Number out of range: %s",
						 isnan(v->u.num) ? "NaN" : v->u.num > 0 ? "Infinity" : "-Infinity");
			(void) num;
			/* integers: exact; other numbers: an upper estimate (formatting costs more) */
			if (is_integer(v->u.num) && fabs(v->u.num) < 9007199254740992.0)
			{
				uint64_t	u = (uint64_t) fabs(v->u.num);
				size_t		n = v->u.num < 0 ? 2 : 1;

				while (u >= 10)
				{
					u /= 10;
					n++;
				}
				return n;
			}
			return 24;
		case VT_STR:
			if (has_lone_surrogate(v->u.str.s, v->u.str.len))
				ex_throw(c, -1, "D3140",
						 "the result contains a NUL character or a lone UTF-16 surrogate, which text cannot hold");
			return v->u.str.len + 2;
		case VT_ARR:
			if (v->flags & JVF_LAZY)
				return v->u.arr.cap;
			size = 2;
			for (i = 0; i < arr_n(v); i++)
			{
				Jv		   *item = arr_at(c, v, i);

				if (vt(item) == VT_FUNC || item == NULL)
				{
					Jv		   *nul = chk(c, jv_null(c->a));

					v->u.arr.items[i] = nul;
				}
				size += finalize(c, v->u.arr.items[i], depth + 1) + 1;
				if (size > c->max_result)
					break;
			}
			return size;
		case VT_OBJ:
			if (v->flags & JVF_LAZY)
				return v->u.obj.cap;
			size = 2;
			for (i = 0; i < v->u.obj.n; i++)
			{
				JvPair	   *p = &v->u.obj.pairs[i];

				if (vt(p->val) == VT_FUNC || p->val == NULL)
				{
					memmove(p, p + 1, (v->u.obj.n - i - 1) * sizeof(JvPair));
					v->u.obj.n--;
					i--;
					continue;
				}
				size += p->klen + 4 + finalize(c, p->val, depth + 1);
				if (size > c->max_result)
					break;
			}
			return size;
	}
	return 0;
}

static double
default_now(void *ctx)
{
	struct timespec ts;

	(void) ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return floor((double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6);
}

static const ExprHooks no_hooks = {NULL, default_now, NULL, NULL, NULL, NULL};

void
expr_default_limits(ExprLimits *lim)
{
	lim->budget = 100000;
	lim->max_depth = 100;
	lim->max_result = 256 * 1024;
	lim->max_string = 1024 * 1024;
	lim->max_memory = 64 * 1024 * 1024;
}

static void
ctx_init(Ctx *c, const Expr *e, JvArena *a, Jv *input, Jv *bindings,
		 const ExprLimits *lim, const ExprHooks *hooks, ExprError *err)
{
	memset(err, 0, sizeof(*err));
	err->pos = -1;
	c->cur_pos = -1;
	c->a = a;
	c->err = err;
	c->expr = e;
	c->hooks = hooks ? hooks : &no_hooks;
	c->budget = lim->budget > 0 ? lim->budget : 100000;
	c->max_depth = lim->max_depth > 0 ? lim->max_depth : 100;
	c->max_string = lim->max_string;
	c->max_result = lim->max_result ? lim->max_result : (size_t) -1;
	c->funcset = e ? e->funcset : EXPR_FUNCSET_EXTENDED;
	c->bindings = bindings;
	(void) input;
}

static Jv *
wrap_input(Ctx *c, Jv *input)
{
	if (vt(input) == VT_ARR && !(input->flags & JVF_SEQ))
	{
		Jv		   *w = ex_seq(c, 1);

		ex_push(c, w, input);
		w->flags |= JVF_OUTER;
		return w;
	}
	return input;
}

bool
expr_eval(const Expr *e, JvArena *a, Jv *input, Jv *bindings, const ExprLimits *lim,
		  const ExprHooks *hooks, Jv **result, ExprError *err)
{
	Ctx			c;
	size_t		saved_limit = a->limit;
	Jv		   *r;
	Jv		   *w;
	Frame		top = {NULL, NULL};

	memset(&c, 0, sizeof(c));
	ctx_init(&c, e, a, input, bindings, lim, hooks, err);
	if (lim->max_memory)
		a->limit = a->used + lim->max_memory;
	if (setjmp(c.jb) != 0)
	{
		a->limit = saved_limit;
		a->exhausted = false;
		*result = NULL;
		return false;
	}
	w = wrap_input(&c, input);
	c.root = w;
	r = eval_node(&c, e->root, w, &top);
	if (r != NULL)
	{
		if (vt(r) == VT_FUNC)
			r = NULL;
		else if (finalize(&c, r, 0) > c.max_result)
			ex_throw(&c, -1, "L1003",
					 "expression result exceeds the maximum size (algawf.expr_max_result = %zu bytes)",
					 c.max_result);
	}
	a->limit = saved_limit;
	*result = r;
	return true;
}

bool
expr_eval_boolean(const Expr *e, JvArena *a, Jv *input, Jv *bindings, const ExprLimits *lim,
				  const ExprHooks *hooks, bool *truth, ExprError *err)
{
	Ctx			c;
	size_t		saved_limit = a->limit;
	Jv		   *w;
	Frame		top = {NULL, NULL};

	memset(&c, 0, sizeof(c));
	ctx_init(&c, e, a, input, bindings, lim, hooks, err);
	if (lim->max_memory)
		a->limit = a->used + lim->max_memory;
	if (setjmp(c.jb) != 0)
	{
		a->limit = saved_limit;
		a->exhausted = false;
		*truth = false;
		return false;
	}
	w = wrap_input(&c, input);
	c.root = w;
	*truth = boolize(&c, eval_node(&c, e->root, w, &top));
	a->limit = saved_limit;
	return true;
}

const char *
expr_template_render(const ExprTemplate *t, JvArena *a, Jv *input, Jv *bindings,
					 const ExprLimits *lim, const ExprHooks *hooks, size_t *outlen,
					 ExprError *err)
{
	Ctx			c;
	size_t		saved_limit = a->limit;
	JvBuf		b;
	Jv		   *w;
	volatile int i = 0;
	const char *out;

	memset(&c, 0, sizeof(c));
	ctx_init(&c, t->nparts ? t->exprs[0] : NULL, a, input, bindings, lim, hooks, err);
	if (lim->max_memory)
		a->limit = a->used + lim->max_memory;
	if (setjmp(c.jb) != 0)
	{
		a->limit = saved_limit;
		a->exhausted = false;
		/* positions are relative to the hole's expression: make them template-relative */
		if (err->pos >= 0 && i < t->nparts)
			err->pos += t->offsets[i];
		return NULL;
	}
	jv_buf_init(&b, a);
	w = wrap_input(&c, input);
	c.root = w;
	for (i = 0; i < t->nparts; i++)
	{
		jv_buf_append(&b, t->text[i], t->textlen[i]);
		if (t->exprs[i])
		{
			Jv		   *v;
			Frame		top = {NULL, NULL};

			c.expr = t->exprs[i];
			c.funcset = t->exprs[i]->funcset;
			c.depth = 0;

			v = eval_node(&c, t->exprs[i]->root, w, &top);
			if (v != NULL && vt(v) != VT_STR)
				v = ex_to_string(&c, v, false, -1);
			if (v != NULL)
			{
				if (has_lone_surrogate(v->u.str.s, v->u.str.len))
					ex_throw(&c, -1, "D3140",
							 "the result contains a NUL character or a lone UTF-16 surrogate, which text cannot hold");
				jv_buf_append(&b, v->u.str.s, v->u.str.len);
			}
		}
		if (b.failed)
			ex_oom(&c);
		if (b.len > c.max_result)
			ex_throw(&c, -1, "L1003",
					 "rendered template exceeds the maximum size (algawf.expr_max_result = %zu bytes)",
					 c.max_result);
	}
	out = jv_buf_cstring(&b);
	if (out == NULL)
		ex_oom(&c);
	a->limit = saved_limit;
	*outlen = b.len;
	return out;
}
