/*
 * transform_json.c — transform.parse_json, query_json, stringify_json and
 * compose_text (markdown from a block document with workflow references).
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "action.h"
#include "jval_pg.h"

static bool
all_finite(const Jv *v)
{
	size_t		i;

	switch (v->type)
	{
		case JV_NUMBER:
			return isfinite(v->u.num);
		case JV_ARRAY:
			for (i = 0; i < v->u.arr.n; i++)
				if (!all_finite(v->u.arr.items[i]))
					return false;
			return true;
		case JV_OBJECT:
			for (i = 0; i < v->u.obj.n; i++)
				if (!all_finite(v->u.obj.pairs[i].val))
					return false;
			return true;
		default:
			return true;
	}
}

Jv *
tf_parse_json(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	Jv		   *src = tf_arg(input, "source");
	Jv		   *v;
	Jv		   *out = tf_check(jv_object(a, 2));

	if (src && src->type == JV_STRING)
	{
		size_t		errpos = 0;
		const char *msg = NULL;

		v = jv_parse(a, src->u.str.s, src->u.str.len, 0, &errpos, &msg);
		if (v == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("JSON parse failed: %s at position %zu", msg, errpos),
					 errhint("source must be JSON text, e.g. \"{\\\"a\\\": 1}\", or a literal object or array.")));
		if (!all_finite(v))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("JSON parse failed: parsed value is not a finite JSON value")));
	}
	else if (src && (src->type == JV_OBJECT || src->type == JV_ARRAY))
		v = src;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("JSON parse failed: source must be a JSON string or a literal object/array")));
	tf_set(a, out, "value", v);
	tf_set(a, out, "type", tf_check(jv_string(a, jv_type_name(v->type), strlen(jv_type_name(v->type)))));
	return out;
}

Jv *
tf_stringify_json(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	Jv		   *src = tf_arg(input, "source");
	Jv		   *sp = tf_arg(input, "spacing");
	int			spacing = 0;
	JvBuf		b;
	Jv		   *out = tf_check(jv_object(a, 1));

	if (src == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("JSON stringify failed: source must be JSON-serializable")));
	if (sp && sp->type == JV_NUMBER && sp->u.num > 0)
		spacing = sp->u.num > 8 ? 8 : (int) sp->u.num;
	jv_buf_init(&b, a);
	jv_serialize(&b, src, spacing);
	if (b.failed)
		(void) tf_check(NULL);
	tf_set(a, out, "text", tf_check(jv_string(a, b.data, b.len)));
	return out;
}

Jv *
tf_query_json(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	Jv		   *src = tf_arg(input, "source");
	Jv		   *expr = tf_arg(input, "expression");
	Jv		   *root;
	Jv		   *out = tf_check(jv_object(a, 1));
	Jsonb	   *result;
	char	   *expr_text;

	if (expr == NULL || expr->type != JV_STRING || expr->u.str.len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("JSON query expression validation failed: expression must be a non-empty string")));
	expr_text = pnstrdup(expr->u.str.s, expr->u.str.len);

	/* the expression sees the step's data roots plus "source" */
	if (ctx->expr_context && JB_ROOT_IS_OBJECT(ctx->expr_context) && !JB_ROOT_IS_SCALAR(ctx->expr_context))
		root = jv_from_jsonb(a, ctx->expr_context);
	else
		root = tf_check(jv_object(a, 1));
	tf_set(a, root, "source", src ? src : tf_check(jv_null(a)));

	result = dispatch_eval_expr(expr_text, jv_to_jsonb(root), NULL);
	tf_set(a, out, "value", result ? jv_from_jsonb(a, result) : tf_check(jv_null(a)));
	return out;
}

/* ---- compose_text -------------------------------------------------------- */

static void pg_attribute_noreturn()
compose_error(const char *fmt,...) pg_attribute_printf(1, 2);

static void
compose_error(const char *fmt,...)
{
	char		buf[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", buf),
			 errhint("transform.compose_text takes outputs [{id, label, stableKey, document: {version: 1, blocks: [...]}}] "
					 "from the step's config (or the input's \"outputs\").")));
}

static bool
is_ident_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool
is_ident_char(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* ^([A-Za-z_][A-Za-z0-9_]*|\$index)(\.[A-Za-z_$][A-Za-z0-9_$]*|\[\d+\])*$ */
static bool
reference_path_valid(const char *s, size_t len)
{
	size_t		i = 0;

	if (len >= 6 && memcmp(s, "$index", 6) == 0)
		i = 6;
	else
	{
		if (i >= len || !is_ident_start(s[i]))
			return false;
		while (i < len && is_ident_char(s[i]))
			i++;
	}
	while (i < len)
	{
		if (s[i] == '.')
		{
			i++;
			if (i >= len || !(is_ident_start(s[i]) || s[i] == '$'))
				return false;
			while (i < len && (is_ident_char(s[i]) || s[i] == '$'))
				i++;
		}
		else if (s[i] == '[')
		{
			size_t		start = ++i;

			while (i < len && s[i] >= '0' && s[i] <= '9')
				i++;
			if (i == start || i >= len || s[i] != ']')
				return false;
			i++;
		}
		else
			return false;
	}
	return true;
}

static bool
stable_key_valid(const char *s, size_t len)
{
	size_t		i;

	if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Alga: path.replace(/\[(\d+)\]/g, '.$1').split('.'), walked from the context */
static Jv *
resolve_reference(Jv *context, const char *path, size_t len, bool *found)
{
	Jv		   *cur = context;
	size_t		i = 0;

	*found = false;
	while (i < len)
	{
		size_t		start;

		if (path[i] == '.' || path[i] == '[')
			i++;
		start = i;
		while (i < len && path[i] != '.' && path[i] != '[' && path[i] != ']')
			i++;
		if (i < len && path[i] == ']')
		{
			if (i == start)
				return NULL;
		}
		if (cur == NULL)
			return NULL;
		if (cur->type == JV_ARRAY)
		{
			size_t		k;
			size_t		idx = 0;

			if (i == start)
				return NULL;
			for (k = start; k < i; k++)
			{
				if (path[k] < '0' || path[k] > '9')
					return NULL;
				idx = idx * 10 + (path[k] - '0');
				if (idx > (size_t) 1 << 40)
					return NULL;
			}
			cur = idx < cur->u.arr.n ? cur->u.arr.items[idx] : NULL;
		}
		else if (cur->type == JV_OBJECT)
			cur = jv_object_get(cur, path + start, i - start);
		else
			return NULL;
		if (i < len && path[i] == ']')
			i++;
	}
	*found = cur != NULL;
	return cur;
}

static void
append_reference_value(JvBuf *b, JvArena *a, Jv *v)
{
	size_t		len;
	const char *s;

	if (v->type == JV_STRING || v->type == JV_NUMBER || v->type == JV_BOOL)
	{
		s = tf_text(a, v, &len);
		jv_buf_append(b, s, len);
	}
	else if (v->type == JV_NULL)
		jv_buf_append(b, "null", 4);
	else
		jv_serialize(b, v, 0);
}

static bool
has_mark(Jv *marks, const char *m)
{
	size_t		i;

	if (marks == NULL || marks->type != JV_ARRAY)
		return false;
	for (i = 0; i < marks->u.arr.n; i++)
	{
		Jv		   *x = marks->u.arr.items[i];

		if (x->type == JV_STRING && x->u.str.len == strlen(m) && memcmp(x->u.str.s, m, x->u.str.len) == 0)
			return true;
	}
	return false;
}

static void
render_inline(JvBuf *b, JvArena *a, Jv *children, Jv *context, const char *key)
{
	size_t		i;

	if (children == NULL || children->type != JV_ARRAY)
		compose_error("Compose Text output \"%s\": block children must be an array", key);
	for (i = 0; i < children->u.arr.n; i++)
	{
		Jv		   *node = children->u.arr.items[i];
		Jv		   *type = tf_arg(node, "type");

		if (type && type->type == JV_STRING && type->u.str.len == 4 && memcmp(type->u.str.s, "text", 4) == 0)
		{
			Jv		   *text = tf_arg(node, "text");
			Jv		   *marks = tf_arg(node, "marks");
			Jv		   *href = tf_arg(node, "href");
			JvBuf		c;
			size_t		k;
			static const char *const order[] = {"code", "bold", "italic"};

			if (text == NULL || text->type != JV_STRING)
				compose_error("Compose Text output \"%s\": text nodes need a string \"text\"", key);
			if (has_mark(marks, "link") && (href == NULL || href->type != JV_STRING))
				compose_error("Text nodes using the link mark require href.");
			if (!has_mark(marks, "link") && href != NULL)
				compose_error("href is only supported when the link mark is present.");
			jv_buf_init(&c, a);
			jv_buf_append(&c, "", 0);
			for (k = 0; k < text->u.str.len; k++)
			{
				if (text->u.str.s[k] == '\n')
					jv_buf_append(&c, "  \n", 3);
				else
					jv_buf_appendc(&c, text->u.str.s[k]);
			}
			for (k = 0; k < 3; k++)
			{
				JvBuf		w;

				if (!has_mark(marks, order[k]) || c.len == 0)
					continue;
				jv_buf_init(&w, a);
				if (k == 0)
				{
					jv_buf_appendc(&w, '`');
					jv_buf_append(&w, c.data, c.len);
					jv_buf_appendc(&w, '`');
				}
				else if (k == 1)
				{
					jv_buf_append(&w, "**", 2);
					jv_buf_append(&w, c.data, c.len);
					jv_buf_append(&w, "**", 2);
				}
				else
				{
					jv_buf_appendc(&w, '_');
					jv_buf_append(&w, c.data, c.len);
					jv_buf_appendc(&w, '_');
				}
				c = w;
			}
			if (has_mark(marks, "link"))
			{
				jv_buf_appendc(b, '[');
				jv_buf_append(b, c.data, c.len);
				jv_buf_append(b, "](", 2);
				jv_buf_append(b, href->u.str.s, href->u.str.len);
				jv_buf_appendc(b, ')');
			}
			else
				jv_buf_append(b, c.data, c.len);
		}
		else if (type && type->type == JV_STRING && type->u.str.len == 9 &&
				 memcmp(type->u.str.s, "reference", 9) == 0)
		{
			Jv		   *path = tf_arg(node, "path");
			Jv		   *label = tf_arg(node, "label");
			Jv		   *v;
			bool		found;

			if (path == NULL || path->type != JV_STRING || path->u.str.len == 0)
				compose_error("Compose Text output \"%s\": reference nodes need a \"path\"", key);
			if (label == NULL || label->type != JV_STRING || label->u.str.len == 0)
				compose_error("Compose Text output \"%s\": reference nodes need a \"label\"", key);
			if (!reference_path_valid(path->u.str.s, path->u.str.len))
				compose_error("Reference paths must be simple workflow references (got \"%.*s\").",
							  (int) path->u.str.len, path->u.str.s);
			v = resolve_reference(context, path->u.str.s, path->u.str.len, &found);
			if (!found)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("Compose Text output \"%s\" is missing reference \"%.*s\".",
								key, (int) path->u.str.len, path->u.str.s),
						 errhint("The reference must resolve in the step's data (payload, vars, meta, ...).")));
			append_reference_value(b, a, v);
		}
		else
			compose_error("Compose Text output \"%s\": unknown inline node type", key);
	}
}

static bool
str_is(Jv *v, const char *s)
{
	return v && v->type == JV_STRING && v->u.str.len == strlen(s) && memcmp(v->u.str.s, s, v->u.str.len) == 0;
}

static void
render_document(JvBuf *out, JvArena *a, Jv *doc, Jv *context, const char *key)
{
	Jv		   *blocks = tf_arg(doc, "blocks");
	Jv		   *version = tf_arg(doc, "version");
	size_t		i;
	bool		first = true;

	if (version == NULL || version->type != JV_NUMBER || version->u.num != 1)
		compose_error("Compose Text output \"%s\": document.version must be 1", key);
	if (blocks == NULL || blocks->type != JV_ARRAY)
		compose_error("Compose Text output \"%s\": document.blocks must be an array", key);
	for (i = 0; i < blocks->u.arr.n; i++)
	{
		Jv		   *block = blocks->u.arr.items[i];
		Jv		   *type = tf_arg(block, "type");

		if (!first)
			jv_buf_append(out, "\n\n", 2);
		first = false;
		if (str_is(type, "bullet_list_item") || str_is(type, "ordered_list_item"))
		{
			bool		bullet = str_is(type, "bullet_list_item");
			int			counter = 1;
			size_t		cursor = i;

			while (cursor < blocks->u.arr.n && str_is(tf_arg(blocks->u.arr.items[cursor], "type"),
													 bullet ? "bullet_list_item" : "ordered_list_item"))
			{
				char		num[16];

				if (cursor > i)
					jv_buf_appendc(out, '\n');
				if (bullet)
					jv_buf_append(out, "- ", 2);
				else
				{
					snprintf(num, sizeof(num), "%d. ", counter);
					jv_buf_append(out, num, strlen(num));
				}
				render_inline(out, a, tf_arg(blocks->u.arr.items[cursor], "children"), context, key);
				cursor++;
				counter++;
			}
			i = cursor - 1;
		}
		else if (str_is(type, "code_block"))
		{
			Jv		   *text = tf_arg(block, "text");
			const char *fence;

			if (text == NULL || text->type != JV_STRING)
				compose_error("Compose Text output \"%s\": code_block needs a string \"text\"", key);
			fence = memmem(text->u.str.s, text->u.str.len, "```", 3) ? "````" : "```";
			jv_buf_append(out, fence, strlen(fence));
			jv_buf_appendc(out, '\n');
			jv_buf_append(out, text->u.str.s, text->u.str.len);
			jv_buf_appendc(out, '\n');
			jv_buf_append(out, fence, strlen(fence));
		}
		else if (str_is(type, "paragraph"))
			render_inline(out, a, tf_arg(block, "children"), context, key);
		else if (str_is(type, "heading"))
		{
			Jv		   *level = tf_arg(block, "level");
			int			l;

			if (level == NULL || level->type != JV_NUMBER ||
				!(level->u.num == 1 || level->u.num == 2 || level->u.num == 3))
				compose_error("Compose Text output \"%s\": heading level must be 1, 2 or 3", key);
			for (l = 0; l < (int) level->u.num; l++)
				jv_buf_appendc(out, '#');
			jv_buf_appendc(out, ' ');
			render_inline(out, a, tf_arg(block, "children"), context, key);
		}
		else if (str_is(type, "blockquote"))
		{
			JvBuf		inner;
			size_t		k;

			jv_buf_init(&inner, a);
			jv_buf_append(&inner, "", 0);
			render_inline(&inner, a, tf_arg(block, "children"), context, key);
			jv_buf_append(out, "> ", 2);
			for (k = 0; k < inner.len; k++)
			{
				jv_buf_appendc(out, inner.data[k]);
				if (inner.data[k] == '\n')
					jv_buf_append(out, "> ", 2);
			}
		}
		else
			compose_error("Compose Text output \"%s\": unknown block type", key);
	}
}

static char *
trimmed_lower(Jv *s)
{
	size_t		start = 0,
				end = s->u.str.len;
	char	   *r;
	size_t		i;

	while (start < end && isspace((unsigned char) s->u.str.s[start]))
		start++;
	while (end > start && isspace((unsigned char) s->u.str.s[end - 1]))
		end--;
	r = pnstrdup(s->u.str.s + start, end - start);
	for (i = 0; r[i]; i++)
		r[i] = pg_tolower((unsigned char) r[i]);
	return r;
}

Jv *
tf_compose_text(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	Jv		   *outputs = tf_arg(input, "outputs");
	Jv		   *context = tf_arg(input, "context");
	Jv		   *result = tf_check(jv_object(a, 4));
	size_t		i,
				j;

	if (outputs == NULL && ctx->step_config && JB_ROOT_IS_OBJECT(ctx->step_config) &&
		!JB_ROOT_IS_SCALAR(ctx->step_config))
		outputs = tf_arg(jv_from_jsonb(a, ctx->step_config), "outputs");
	if (context == NULL && ctx->expr_context && JB_ROOT_IS_OBJECT(ctx->expr_context) &&
		!JB_ROOT_IS_SCALAR(ctx->expr_context))
		context = jv_from_jsonb(a, ctx->expr_context);
	if (context == NULL)
		context = tf_check(jv_object(a, 0));

	if (outputs == NULL || outputs->type != JV_ARRAY || outputs->u.arr.n == 0)
		compose_error("Compose Text requires at least one output.");

	for (i = 0; i < outputs->u.arr.n; i++)
	{
		Jv		   *o = outputs->u.arr.items[i];
		Jv		   *id = tf_arg(o, "id");
		Jv		   *label = tf_arg(o, "label");
		Jv		   *key = tf_arg(o, "stableKey");
		Jv		   *doc = tf_arg(o, "document");

		if (id == NULL || id->type != JV_STRING || strlen(trimmed_lower(id)) == 0)
			compose_error("outputs[%zu].id must be a non-empty string", i);
		if (label == NULL || label->type != JV_STRING || strlen(trimmed_lower(label)) == 0)
			compose_error("outputs[%zu].label must be a non-empty string", i);
		if (key == NULL || key->type != JV_STRING || !stable_key_valid(key->u.str.s, key->u.str.len))
			compose_error("Stable keys must be lowercase snake_case identifiers (outputs[%zu].stableKey).", i);
		if (doc == NULL || doc->type != JV_OBJECT)
			compose_error("outputs[%zu].document must be an object {version: 1, blocks: [...]}", i);
		for (j = 0; j < i; j++)
		{
			Jv		   *p = outputs->u.arr.items[j];

			if (strcmp(trimmed_lower(tf_arg(p, "label")), trimmed_lower(label)) == 0)
				compose_error("Output labels must be unique within the step (outputs[%zu].label).", i);
			if (jv_equal(tf_arg(p, "stableKey"), key))
				compose_error("Stable keys must be unique within the step (outputs[%zu].stableKey).", i);
		}
	}
	for (i = 0; i < outputs->u.arr.n; i++)
	{
		Jv		   *o = outputs->u.arr.items[i];
		Jv		   *key = tf_arg(o, "stableKey");
		char	   *k = pnstrdup(key->u.str.s, key->u.str.len);
		JvBuf		md;

		jv_buf_init(&md, a);
		jv_buf_append(&md, "", 0);
		render_document(&md, a, tf_arg(o, "document"), context, k);
		if (md.failed)
			(void) tf_check(NULL);
		tf_set(a, result, k, tf_check(jv_string(a, md.data, md.len)));
	}
	return result;
}
