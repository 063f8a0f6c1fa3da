/*
 * http_decl.c — declarative HTTP request templates (see http_decl.h).
 * Plain C: no PostgreSQL headers.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_decl.h"

#define MAX_URL_LEN 8192

static const char *const METHODS[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};

static const char *const REQUEST_KEYS[] = {
	"method", "url", "base", "query", "headers", "body", "form", "auth", "expectStatus",
	"response", "errors", "paginate", "retry", "rateLimit", "timeoutMs", "then", NULL
};

static const char *const THEN_KEYS[] = {
	"name", "method", "url", "base", "query", "headers", "body", "form", "expectStatus", "require", "error", NULL
};

static const char *const ERROR_CODES[] = {
	"VALIDATION_ERROR", "PERMISSION_DENIED", "NOT_FOUND", "CONFLICT", "RATE_LIMITED",
	"TRANSIENT_FAILURE", "INTEGRATION_INACTIVE", "INTERNAL_ERROR", NULL
};

static void
set_err(DeclError *err, const char *where, bool expression, const char *fmt, const char *a1, const char *a2)
{
	if (err == NULL)
		return;
	snprintf(err->where, sizeof(err->where), "%s", where ? where : "");
	snprintf(err->message, sizeof(err->message), fmt, a1 ? a1 : "", a2 ? a2 : "");
	err->expression = expression;
}

static bool
streq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

const char *
decl_get_string(JvArena *a, const Jv *obj, const char *key)
{
	Jv		   *v;

	if (obj == NULL || obj->type != JV_OBJECT)
		return NULL;
	v = jv_object_get(obj, key, strlen(key));
	if (v == NULL || v->type != JV_STRING)
		return NULL;
	return jv_strndup(a, v->u.str.s, v->u.str.len);
}

/* {"<key>": "<string>"} with that single key: the string, else NULL */
static const char *
single_key_string(const Jv *v, const char *key, size_t *len)
{
	if (v == NULL || v->type != JV_OBJECT || v->u.obj.n != 1)
		return NULL;
	if (!streq(v->u.obj.pairs[0].key, v->u.obj.pairs[0].klen, key))
		return NULL;
	if (v->u.obj.pairs[0].val->type != JV_STRING)
		return NULL;
	if (len)
		*len = v->u.obj.pairs[0].val->u.str.len;
	return v->u.obj.pairs[0].val->u.str.s;
}

const char *
decl_secret_marker(const Jv *v, size_t *len)
{
	return single_key_string(v, "$secret", len);
}

static const char *
expr_marker(const Jv *v, size_t *len)
{
	return single_key_string(v, "$expr", len);
}

/* ------------------------------------------------------------------------
 * Expressions
 */

static void
expr_error(DeclError *err, const char *where, const char *src, size_t len, const ExprError *xe)
{
	char		msg[512];
	int			pos = xe->pos >= 0 ? expr_char_pos(src, len, xe->pos) : 0;

	if (pos > 0)
		snprintf(msg, sizeof(msg), "%s: %s (at character %d of \"%.*s\")", xe->code, xe->message,
				 pos, (int) (len > 120 ? 120 : len), src);
	else
		snprintf(msg, sizeof(msg), "%s: %s (in \"%.*s\")", xe->code, xe->message,
				 (int) (len > 120 ? 120 : len), src);
	set_err(err, where, true, "%s%s", msg, NULL);
}

static Expr *
compile(JvArena *a, const char *src, size_t len, const DeclEnv *env, const char *where, DeclError *err)
{
	ExprError	xe;
	Expr	   *e;

	memset(&xe, 0, sizeof(xe));
	e = expr_compile(a, src, len, env->funcset, env->lim ? env->lim->max_depth : 100, &xe);
	if (e == NULL)
		expr_error(err, where, src, len, &xe);
	return e;
}

bool
decl_eval_expr(JvArena *a, const char *src, size_t len, Jv *context, Jv *bindings,
			   const DeclEnv *env, const char *where, Jv **result, DeclError *err)
{
	ExprError	xe;
	Expr	   *e = compile(a, src, len, env, where, err);
	ExprLimits	lim;

	*result = NULL;
	if (e == NULL)
		return false;
	if (env->lim)
		lim = *env->lim;
	else
		expr_default_limits(&lim);
	memset(&xe, 0, sizeof(xe));
	if (!expr_eval(e, a, context, bindings, &lim, env->hooks, result, &xe))
	{
		expr_error(err, where, src, len, &xe);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * Text of values
 */

const char *
decl_scalar_text(JvArena *a, const Jv *v, size_t *len)
{
	char		num[32];
	int			n;

	switch (v->type)
	{
		case JV_STRING:
			*len = v->u.str.len;
			return jv_strndup(a, v->u.str.s, v->u.str.len);
		case JV_NUMBER:
			n = jv_format_number(v->u.num, num);
			*len = (size_t) n;
			return jv_strndup(a, num, (size_t) n);
		case JV_BOOL:
			*len = v->u.b ? 4 : 5;
			return v->u.b ? "true" : "false";
		case JV_NULL:
			*len = 4;
			return "null";
		default:
			return NULL;
	}
}

/* $string()-like text of any value */
static const char *
value_text(JvArena *a, const Jv *v, size_t *len)
{
	const char *s = decl_scalar_text(a, v, len);
	JvBuf		b;

	if (s != NULL)
		return s;
	jv_buf_init(&b, a);
	jv_serialize(&b, v, 0);
	s = jv_buf_cstring(&b);
	*len = b.len;
	return b.failed ? NULL : s;
}

void
decl_urlencode(JvBuf *b, const char *s, size_t len, bool form)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			jv_buf_appendc(b, (char) c);
		else if (c == ' ' && form)
			jv_buf_appendc(b, '+');
		else
		{
			jv_buf_appendc(b, '%');
			jv_buf_appendc(b, hex[c >> 4]);
			jv_buf_appendc(b, hex[c & 15]);
		}
	}
}

/* ------------------------------------------------------------------------
 * Templates with {{ }} holes
 */

long
decl_hole_end(const char *s, size_t len)
{
	size_t		i = 0;
	int			depth = 0;
	char		quote = 0;

	while (i < len)
	{
		char		c = s[i];

		if (quote)
		{
			if (c == '\\' && quote != '`')
				i++;
			else if (c == quote)
				quote = 0;
			i++;
			continue;
		}
		if (c == '"' || c == '\'' || c == '`')
			quote = c;
		else if (c == '/' && i + 1 < len && s[i + 1] == '*')
		{
			/* a comment: skip to its end */
			i += 2;
			while (i + 1 < len && !(s[i] == '*' && s[i + 1] == '/'))
				i++;
			i++;
		}
		else if (c == '{')
			depth++;
		else if (c == '}')
		{
			if (depth == 0 && i + 1 < len && s[i + 1] == '}')
				return (long) i;
			if (depth > 0)
				depth--;
		}
		i++;
	}
	return -1;
}

static bool
has_hole(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i + 1 < len; i++)
		if (s[i] == '{' && s[i + 1] == '{')
			return true;
	return false;
}

/*
 * Render a template; encode: percent-encode each hole's text.  check_only:
 * compile the holes, evaluate nothing.  Returns the text (NUL-terminated) or
 * NULL on error.
 */
static const char *
render(JvArena *a, const char *s, size_t len, Jv *input, Jv *bindings, const DeclEnv *env,
	   const char *where, bool encode, bool check_only, DeclError *err, size_t *outlen)
{
	JvBuf		b;
	size_t		i = 0;

	jv_buf_init(&b, a);
	while (i < len)
	{
		if (i + 1 < len && s[i] == '{' && s[i + 1] == '{')
		{
			long		end = decl_hole_end(s + i + 2, len - i - 2);
			const char *src = s + i + 2;
			Jv		   *v = NULL;

			if (end < 0)
			{
				set_err(err, where, false, "unclosed {{ in template \"%.200s\"%s", jv_strndup(a, s, len), NULL);
				return NULL;
			}
			if (check_only)
			{
				if (compile(a, src, (size_t) end, env, where, err) == NULL)
					return NULL;
			}
			else
			{
				if (!decl_eval_expr(a, src, (size_t) end, input, bindings, env, where, &v, err))
					return NULL;
				if (v != NULL)
				{
					size_t		tl;
					const char *t = value_text(a, v, &tl);

					if (t == NULL)
					{
						set_err(err, where, false, "out of memory rendering a template%s%s", NULL, NULL);
						return NULL;
					}
					if (encode)
						decl_urlencode(&b, t, tl, false);
					else
						jv_buf_append(&b, t, tl);
				}
			}
			i += 2 + (size_t) end + 2;
			continue;
		}
		jv_buf_appendc(&b, s[i]);
		i++;
	}
	if (b.failed)
	{
		set_err(err, where, false, "out of memory rendering a template%s%s", NULL, NULL);
		return NULL;
	}
	*outlen = b.len;
	return jv_buf_cstring(&b);
}

/* ------------------------------------------------------------------------
 * Value templates
 */

static void
sub_where(char *buf, size_t size, const char *where, const char *key, size_t klen, long index)
{
	if (index >= 0)
		snprintf(buf, size, "%s[%ld]", where, index);
	else
		snprintf(buf, size, "%s.%.*s", where, (int) (klen > 40 ? 40 : klen), key);
}

static Jv *
eval_value(JvArena *a, const Jv *tmpl, Jv *input, Jv *bindings, const DeclEnv *env,
		   const char *where, bool check_only, DeclError *err, bool *failed, int depth)
{
	const char *src;
	size_t		len;
	size_t		i;

	if (tmpl == NULL)
		return NULL;
	if (depth > 64)
	{
		set_err(err, where, false, "template nested too deeply%s%s", NULL, NULL);
		*failed = true;
		return NULL;
	}
	if (env->hooks && env->hooks->stack_check)
		env->hooks->stack_check(env->hooks->ctx);
	switch (tmpl->type)
	{
		case JV_STRING:
			if (!has_hole(tmpl->u.str.s, tmpl->u.str.len))
				return (Jv *) tmpl;
			{
				size_t		ol;
				const char *t = render(a, tmpl->u.str.s, tmpl->u.str.len, input, bindings, env,
									   where, false, check_only, err, &ol);

				if (t == NULL)
				{
					*failed = true;
					return NULL;
				}
				return check_only ? (Jv *) tmpl : jv_string_nocopy(a, t, ol);
			}
		case JV_OBJECT:
			if ((src = expr_marker(tmpl, &len)) != NULL)
			{
				Jv		   *v = NULL;

				if (check_only)
				{
					if (compile(a, src, len, env, where, err) == NULL)
						*failed = true;
					return (Jv *) tmpl;
				}
				if (!decl_eval_expr(a, src, len, input, bindings, env, where, &v, err))
					*failed = true;
				return v;
			}
			if (decl_secret_marker(tmpl, NULL) != NULL)
				return (Jv *) tmpl;
			{
				Jv		   *o = jv_object(a, tmpl->u.obj.n);

				for (i = 0; i < tmpl->u.obj.n; i++)
				{
					char		w[160];
					Jv		   *v;

					sub_where(w, sizeof(w), where, tmpl->u.obj.pairs[i].key, tmpl->u.obj.pairs[i].klen, -1);
					v = eval_value(a, tmpl->u.obj.pairs[i].val, input, bindings, env, w, check_only,
								   err, failed, depth + 1);
					if (*failed)
						return NULL;
					if (v != NULL && o != NULL)
						jv_object_set(a, o, tmpl->u.obj.pairs[i].key, tmpl->u.obj.pairs[i].klen, v);
				}
				return o;
			}
		case JV_ARRAY:
			{
				Jv		   *arr = jv_array(a, tmpl->u.arr.n);

				for (i = 0; i < tmpl->u.arr.n; i++)
				{
					char		w[160];
					Jv		   *v;

					sub_where(w, sizeof(w), where, NULL, 0, (long) i);
					v = eval_value(a, tmpl->u.arr.items[i], input, bindings, env, w, check_only,
								   err, failed, depth + 1);
					if (*failed)
						return NULL;
					if (v != NULL && arr != NULL)
						jv_array_push(a, arr, v);
				}
				return arr;
			}
		default:
			return (Jv *) tmpl;
	}
}

Jv *
decl_eval_value(JvArena *a, const Jv *tmpl, Jv *input, Jv *bindings,
				const DeclEnv *env, const char *where, DeclError *err, bool *failed)
{
	*failed = false;
	return eval_value(a, tmpl, input, bindings, env, where, false, err, failed, 0);
}

/* ------------------------------------------------------------------------
 * Query strings
 */

static bool
append_param(JvArena *a, JvBuf *b, bool *first, const char *key, size_t klen, const Jv *v,
			 bool form, const char *where, DeclError *err)
{
	size_t		i;
	size_t		tl;
	const char *t;

	if (v == NULL || v->type == JV_NULL)
		return true;
	if (v->type == JV_ARRAY)
	{
		for (i = 0; i < v->u.arr.n; i++)
		{
			if (v->u.arr.items[i]->type == JV_ARRAY || v->u.arr.items[i]->type == JV_OBJECT)
			{
				set_err(err, where, false, "parameter \"%.60s\" must be a scalar or an array of scalars%s",
						jv_strndup(a, key, klen), NULL);
				return false;
			}
			if (!append_param(a, b, first, key, klen, v->u.arr.items[i], form, where, err))
				return false;
		}
		return true;
	}
	if (decl_secret_marker(v, NULL) != NULL)
	{
		set_err(err, where, false, "parameter \"%.60s\" holds a secret: secrets are never put in URLs or form bodies%s",
				jv_strndup(a, key, klen), NULL);
		return false;
	}
	t = decl_scalar_text(a, v, &tl);
	if (t == NULL)
	{
		set_err(err, where, false, "parameter \"%.60s\" must be a scalar or an array of scalars%s",
				jv_strndup(a, key, klen), NULL);
		return false;
	}
	if (!*first)
		jv_buf_appendc(b, '&');
	*first = false;
	decl_urlencode(b, key, klen, form);
	jv_buf_appendc(b, '=');
	decl_urlencode(b, t, tl, form);
	return true;
}

static bool
append_params(JvArena *a, JvBuf *b, bool *first, const Jv *obj, bool form, const char *where, DeclError *err)
{
	size_t		i;

	if (obj == NULL)
		return true;
	if (obj->type != JV_OBJECT)
	{
		set_err(err, where, false, "must evaluate to an object of parameters%s%s", NULL, NULL);
		return false;
	}
	for (i = 0; i < obj->u.obj.n; i++)
		if (!append_param(a, b, first, obj->u.obj.pairs[i].key, obj->u.obj.pairs[i].klen,
						  obj->u.obj.pairs[i].val, form, where, err))
			return false;
	return true;
}

/* ------------------------------------------------------------------------
 * The request
 */

static bool
valid_header_name(const char *s, size_t len)
{
	size_t		i;

	if (len == 0 || len > 100)
		return false;
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (!(isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL))
			return false;
	}
	return true;
}

static bool
is_http_url(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

bool
decl_build_request(JvArena *a, const Jv *request, Jv *input, Jv *bindings,
				   const Jv *extra_query, const char *url_override,
				   const DeclEnv *env, DeclRequest *out, DeclError *err)
{
	const char *method = decl_get_string(a, request, "method");
	Jv		   *urlt = request ? jv_object_get(request, "url", 3) : NULL;
	JvBuf		url;
	bool		failed = false;
	int			i;

	memset(out, 0, sizeof(*out));
	if (method == NULL)
	{
		set_err(err, "request.method", false, "the request template has no method%s%s", NULL, NULL);
		return false;
	}
	for (i = 0; METHODS[i]; i++)
		if (strcmp(METHODS[i], method) == 0)
			break;
	if (METHODS[i] == NULL)
	{
		set_err(err, "request.method", false, "method \"%.20s\" is not one of GET, POST, PUT, PATCH, DELETE%s", method, NULL);
		return false;
	}
	out->method = METHODS[i];

	jv_buf_init(&url, a);
	if (url_override)
		jv_buf_append(&url, url_override, strlen(url_override));
	else
	{
		size_t		ul;
		const char *path;

		if (urlt != NULL && expr_marker(urlt, NULL) != NULL)
		{
			/* {"$expr": ...}: the expression builds the URL or path itself (no encoding) */
			size_t		el;
			const char *src = expr_marker(urlt, &el);
			Jv		   *uv = NULL;

			if (!decl_eval_expr(a, src, el, input, bindings, env, "request.url", &uv, err))
				return false;
			if (uv == NULL || uv->type != JV_STRING || uv->u.str.len == 0)
			{
				set_err(err, "request.url", false, "the url expression gave no string%s%s", NULL, NULL);
				return false;
			}
			path = jv_strndup(a, uv->u.str.s, uv->u.str.len);
			ul = uv->u.str.len;
		}
		else if (urlt == NULL || urlt->type != JV_STRING)
		{
			set_err(err, "request.url", false, "the request template has no url%s%s", NULL, NULL);
			return false;
		}
		else
		{
			path = render(a, urlt->u.str.s, urlt->u.str.len, input, bindings, env, "request.url",
						  true, false, err, &ul);
			if (path == NULL)
				return false;
		}
		if (path[0] == '/')
		{
			Jv		   *basev = NULL;
			const char *bsrc = decl_get_string(a, request, "base");
			size_t		bl;
			const char *base;

			if (bsrc == NULL)
				bsrc = "$connection.baseUrl";
			if (!decl_eval_expr(a, bsrc, strlen(bsrc), input, bindings, env, "request.base", &basev, err))
				return false;
			if (basev == NULL || basev->type != JV_STRING || basev->u.str.len == 0)
			{
				set_err(err, "request.base", false,
						"no base URL: \"%.100s\" gave no string (the integration's instance URL is not set?)", bsrc, NULL);
				return false;
			}
			base = jv_strndup(a, basev->u.str.s, basev->u.str.len);
			bl = basev->u.str.len;
			if (!is_http_url(base))
			{
				set_err(err, "request.base", false, "the base URL \"%.200s\" is not an http(s) URL%s", base, NULL);
				return false;
			}
			while (bl > 0 && base[bl - 1] == '/')
				bl--;
			jv_buf_append(&url, base, bl);
		}
		else if (!is_http_url(path))
		{
			set_err(err, "request.url", false,
					"the url \"%.200s\" is neither a path (starting with /) nor an http(s) URL%s", path, NULL);
			return false;
		}
		jv_buf_append(&url, path, ul);

		/* the template's query */
		{
			Jv		   *qt = jv_object_get(request, "query", 5);
			Jv		   *q;
			bool		first;

			if (qt != NULL)
			{
				q = eval_value(a, qt, input, bindings, env, "request.query", false, err, &failed, 0);
				if (failed)
					return false;
				jv_buf_cstring(&url);
				first = strchr(url.data, '?') == NULL;
				if (q != NULL && q->type == JV_OBJECT && q->u.obj.n > 0)
				{
					JvBuf		qs;
					bool		qfirst = true;

					jv_buf_init(&qs, a);
					if (!append_params(a, &qs, &qfirst, q, false, "request.query", err))
						return false;
					if (qs.len > 0)
					{
						jv_buf_appendc(&url, first ? '?' : '&');
						jv_buf_append(&url, qs.data, qs.len);
					}
				}
				else if (q != NULL && q->type != JV_OBJECT)
				{
					set_err(err, "request.query", false, "must evaluate to an object of parameters%s%s", NULL, NULL);
					return false;
				}
			}
		}
	}
	if (extra_query != NULL && extra_query->type == JV_OBJECT && extra_query->u.obj.n > 0)
	{
		JvBuf		qs;
		bool		qfirst = true;
		bool		first;

		jv_buf_cstring(&url);
		first = strchr(url.data, '?') == NULL;
		jv_buf_init(&qs, a);
		if (!append_params(a, &qs, &qfirst, extra_query, false, "request.query", err))
			return false;
		if (qs.len > 0)
		{
			jv_buf_appendc(&url, first ? '?' : '&');
			jv_buf_append(&url, qs.data, qs.len);
		}
	}
	if (url.failed || url.len > MAX_URL_LEN)
	{
		set_err(err, "request.url", false, "the URL is longer than 8192 bytes%s%s", NULL, NULL);
		return false;
	}
	out->url = jv_buf_cstring(&url);

	/* headers */
	out->headers = jv_object(a, 4);
	{
		Jv		   *ht = jv_object_get(request, "headers", 7);

		if (ht != NULL)
		{
			Jv		   *h = eval_value(a, ht, input, bindings, env, "request.headers", false, err, &failed, 0);
			size_t		k;

			if (failed)
				return false;
			if (h != NULL && h->type != JV_OBJECT)
			{
				set_err(err, "request.headers", false, "must evaluate to an object%s%s", NULL, NULL);
				return false;
			}
			for (k = 0; h != NULL && k < h->u.obj.n; k++)
			{
				JvPair	   *p = &h->u.obj.pairs[k];
				Jv		   *v = p->val;

				if (!valid_header_name(p->key, p->klen))
				{
					set_err(err, "request.headers", false, "\"%.60s\" is not a valid header name%s",
							jv_strndup(a, p->key, p->klen), NULL);
					return false;
				}
				if (v->type == JV_NULL)
					continue;
				if (decl_secret_marker(v, NULL) == NULL)
				{
					size_t		tl;
					const char *t = decl_scalar_text(a, v, &tl);

					if (t == NULL)
					{
						set_err(err, "request.headers", false, "header \"%.60s\" must be a string%s",
								jv_strndup(a, p->key, p->klen), NULL);
						return false;
					}
					if (memchr(t, '\r', tl) || memchr(t, '\n', tl))
					{
						set_err(err, "request.headers", false, "header \"%.60s\" contains a line break%s",
								jv_strndup(a, p->key, p->klen), NULL);
						return false;
					}
					v = jv_string_nocopy(a, t, tl);
				}
				jv_object_set(a, out->headers, p->key, p->klen, v);
			}
		}
	}

	/* body */
	{
		Jv		   *bt = jv_object_get(request, "body", 4);
		Jv		   *ft = jv_object_get(request, "form", 4);

		if (bt != NULL && ft != NULL)
		{
			set_err(err, "request.body", false, "give \"body\" or \"form\", not both%s%s", NULL, NULL);
			return false;
		}
		if (bt != NULL)
		{
			out->body_json = eval_value(a, bt, input, bindings, env, "request.body", false, err, &failed, 0);
			if (failed)
				return false;
			if (out->body_json != NULL)
				out->content_type = "application/json";
		}
		else if (ft != NULL)
		{
			Jv		   *f = eval_value(a, ft, input, bindings, env, "request.form", false, err, &failed, 0);
			JvBuf		fb;
			bool		first = true;

			if (failed)
				return false;
			jv_buf_init(&fb, a);
			if (!append_params(a, &fb, &first, f, true, "request.form", err))
				return false;
			out->body_text = jv_buf_cstring(&fb);
			out->content_type = "application/x-www-form-urlencoded";
		}
	}
	return true;
}

/* ------------------------------------------------------------------------
 * Checking a template at registration
 */

static bool
check_expr_string(JvArena *a, const Jv *obj, const char *key, const DeclEnv *env, const char *where, DeclError *err)
{
	Jv		   *v = jv_object_get(obj, key, strlen(key));

	if (v == NULL)
		return true;
	if (v->type != JV_STRING)
	{
		set_err(err, where, false, "must be an expression (a string)%s%s", NULL, NULL);
		return false;
	}
	return compile(a, v->u.str.s, v->u.str.len, env, where, err) != NULL;
}

static bool
check_template_value(JvArena *a, const Jv *v, const DeclEnv *env, const char *where, DeclError *err)
{
	bool		failed = false;

	eval_value(a, v, NULL, NULL, env, where, true, err, &failed, 0);
	return !failed;
}

static bool
check_int(const Jv *v, double lo, double hi)
{
	return v->type == JV_NUMBER && v->u.num >= lo && v->u.num <= hi && v->u.num == (double) (long long) v->u.num;
}

bool
decl_check_request(JvArena *a, const Jv *request, const DeclEnv *env, DeclError *err)
{
	size_t		i;
	Jv		   *v;
	const char *m;

	if (request == NULL || request->type != JV_OBJECT)
	{
		set_err(err, "request", false, "the request template must be an object%s%s", NULL, NULL);
		return false;
	}
	for (i = 0; i < request->u.obj.n; i++)
	{
		int			k;

		for (k = 0; REQUEST_KEYS[k]; k++)
			if (streq(request->u.obj.pairs[i].key, request->u.obj.pairs[i].klen, REQUEST_KEYS[k]))
				break;
		if (REQUEST_KEYS[k] == NULL)
		{
			set_err(err, "request", false,
					"unknown key \"%.60s\" (known: method, url, base, query, headers, body, form, auth, expectStatus, response, errors, paginate, retry, rateLimit, timeoutMs, then)%s",
					jv_strndup(a, request->u.obj.pairs[i].key, request->u.obj.pairs[i].klen), NULL);
			return false;
		}
	}
	m = decl_get_string(a, request, "method");
	for (i = 0; m && METHODS[i]; i++)
		if (strcmp(METHODS[i], m) == 0)
			break;
	if (m == NULL || METHODS[i] == NULL)
	{
		set_err(err, "request.method", false, "\"method\" must be one of GET, POST, PUT, PATCH, DELETE%s%s", NULL, NULL);
		return false;
	}
	v = jv_object_get(request, "url", 3);
	if (v != NULL && expr_marker(v, NULL) != NULL)
	{
		size_t		el;
		const char *src = expr_marker(v, &el);

		if (compile(a, src, el, env, "request.url", err) == NULL)
			return false;
	}
	else if (v == NULL || v->type != JV_STRING || v->u.str.len == 0)
	{
		set_err(err, "request.url", false, "\"url\" must be a path template (\"/v2/devices/{{ id }}\") or an absolute URL template%s%s", NULL, NULL);
		return false;
	}
	else
	{
		size_t		ol;

		if (render(a, v->u.str.s, v->u.str.len, NULL, NULL, env, "request.url", true, true, err, &ol) == NULL)
			return false;
		if (v->u.str.s[0] != '/' && v->u.str.s[0] != '{' && !is_http_url(jv_strndup(a, v->u.str.s, v->u.str.len)))
		{
			set_err(err, "request.url", false, "\"url\" must start with / (a path below the base URL) or http(s)://%s%s", NULL, NULL);
			return false;
		}
	}
	if (!check_expr_string(a, request, "base", env, "request.base", err) ||
		!check_expr_string(a, request, "response", env, "request.response", err))
		return false;
	if ((v = jv_object_get(request, "query", 5)) != NULL &&
		(v->type != JV_OBJECT || !check_template_value(a, v, env, "request.query", err)))
	{
		if (v->type != JV_OBJECT)
			set_err(err, "request.query", false, "\"query\" must be an object%s%s", NULL, NULL);
		return false;
	}
	if ((v = jv_object_get(request, "headers", 7)) != NULL &&
		(v->type != JV_OBJECT || !check_template_value(a, v, env, "request.headers", err)))
	{
		if (v->type != JV_OBJECT)
			set_err(err, "request.headers", false, "\"headers\" must be an object%s%s", NULL, NULL);
		return false;
	}
	if ((v = jv_object_get(request, "body", 4)) != NULL && !check_template_value(a, v, env, "request.body", err))
		return false;
	if ((v = jv_object_get(request, "form", 4)) != NULL &&
		(v->type != JV_OBJECT || !check_template_value(a, v, env, "request.form", err)))
	{
		if (v->type != JV_OBJECT)
			set_err(err, "request.form", false, "\"form\" must be an object%s%s", NULL, NULL);
		return false;
	}
	if (jv_object_get(request, "body", 4) && jv_object_get(request, "form", 4))
	{
		set_err(err, "request.body", false, "give \"body\" or \"form\", not both%s%s", NULL, NULL);
		return false;
	}
	if ((v = jv_object_get(request, "auth", 4)) != NULL && (v->type != JV_STRING || v->u.str.len == 0))
	{
		set_err(err, "request.auth", false, "\"auth\" must name an auth configuration of the connection (\"default\") or be \"none\"%s%s", NULL, NULL);
		return false;
	}
	if ((v = jv_object_get(request, "expectStatus", 12)) != NULL)
	{
		bool		ok = check_int(v, 100, 599);

		if (v->type == JV_ARRAY && v->u.arr.n > 0)
		{
			ok = true;
			for (i = 0; i < v->u.arr.n; i++)
				ok = ok && check_int(v->u.arr.items[i], 100, 599);
		}
		if (!ok)
		{
			set_err(err, "request.expectStatus", false, "\"expectStatus\" must be a status code or an array of them%s%s", NULL, NULL);
			return false;
		}
	}
	if ((v = jv_object_get(request, "timeoutMs", 9)) != NULL && !check_int(v, 1, 600000))
	{
		set_err(err, "request.timeoutMs", false, "\"timeoutMs\" must be an integer from 1 to 600000%s%s", NULL, NULL);
		return false;
	}
	if ((v = jv_object_get(request, "errors", 6)) != NULL)
	{
		if (v->type != JV_ARRAY)
		{
			set_err(err, "request.errors", false, "\"errors\" must be an array of {status, code, message, hint?}%s%s", NULL, NULL);
			return false;
		}
		for (i = 0; i < v->u.arr.n; i++)
		{
			Jv		   *e = v->u.arr.items[i];
			Jv		   *st;
			const char *code;
			char		w[64];
			int			k;

			snprintf(w, sizeof(w), "request.errors[%d]", (int) i);
			if (e->type != JV_OBJECT)
			{
				set_err(err, w, false, "each error rule must be an object%s%s", NULL, NULL);
				return false;
			}
			st = jv_object_get(e, "status", 6);
			if (st != NULL && !check_int(st, 100, 599) && st->type != JV_ARRAY)
			{
				set_err(err, w, false, "\"status\" must be a status code or an array of them%s%s", NULL, NULL);
				return false;
			}
			code = decl_get_string(a, e, "code");
			for (k = 0; code && ERROR_CODES[k]; k++)
				if (strcmp(ERROR_CODES[k], code) == 0)
					break;
			if (code == NULL || ERROR_CODES[k] == NULL)
			{
				set_err(err, w, false, "\"code\" must be one of the error model's codes (NOT_FOUND, CONFLICT, PERMISSION_DENIED, VALIDATION_ERROR, ...)%s%s", NULL, NULL);
				return false;
			}
			if (!check_expr_string(a, e, "when", env, w, err))
				return false;
			if (jv_object_get(e, "message", 7) && !check_template_value(a, jv_object_get(e, "message", 7), env, w, err))
				return false;
			if (jv_object_get(e, "hint", 4) && !check_template_value(a, jv_object_get(e, "hint", 4), env, w, err))
				return false;
		}
	}
	if ((v = jv_object_get(request, "paginate", 8)) != NULL)
	{
		const char *style = decl_get_string(a, v, "style");

		if (v->type != JV_OBJECT || style == NULL ||
			(strcmp(style, "cursor") != 0 && strcmp(style, "starting_after") != 0 && strcmp(style, "link") != 0))
		{
			set_err(err, "request.paginate", false, "\"paginate.style\" must be \"cursor\", \"starting_after\" or \"link\"%s%s", NULL, NULL);
			return false;
		}
		if (strcmp(style, "cursor") == 0 && (decl_get_string(a, v, "next") == NULL || decl_get_string(a, v, "param") == NULL))
		{
			set_err(err, "request.paginate", false, "cursor pagination needs \"next\" (an expression giving the next cursor) and \"param\" (the query parameter)%s%s", NULL, NULL);
			return false;
		}
		if (!check_expr_string(a, v, "items", env, "request.paginate.items", err) ||
			!check_expr_string(a, v, "next", env, "request.paginate.next", err) ||
			!check_expr_string(a, v, "maxItems", env, "request.paginate.maxItems", err))
			return false;
		if (jv_object_get(v, "maxPages", 8) && !check_int(jv_object_get(v, "maxPages", 8), 1, 1000))
		{
			set_err(err, "request.paginate.maxPages", false, "\"maxPages\" must be an integer from 1 to 1000%s%s", NULL, NULL);
			return false;
		}
	}
	if ((v = jv_object_get(request, "retry", 5)) != NULL)
	{
		Jv		   *n = jv_object_get(v, "maxAttempts", 11);
		Jv		   *t = jv_object_get(v, "onTimeout", 9);

		if (v->type != JV_OBJECT || (n && !check_int(n, 1, 10)) || (t && t->type != JV_BOOL))
		{
			set_err(err, "request.retry", false, "\"retry\" is {maxAttempts: 1..10, onTimeout: boolean}%s%s", NULL, NULL);
			return false;
		}
	}
	if ((v = jv_object_get(request, "then", 4)) != NULL)
	{
		if (v->type != JV_ARRAY || v->u.arr.n == 0 || v->u.arr.n > 5)
		{
			set_err(err, "request.then", false, "\"then\" must be an array of 1 to 5 follow-up requests%s%s", NULL, NULL);
			return false;
		}
		for (i = 0; i < v->u.arr.n; i++)
		{
			Jv		   *t = v->u.arr.items[i];
			Jv		   *sub;
			Jv		   *e;
			char		w[64];
			size_t		k;

			snprintf(w, sizeof(w), "request.then[%d]", (int) i);
			if (t->type != JV_OBJECT || decl_get_string(a, t, "name") == NULL)
			{
				set_err(err, w, false, "each follow-up request is an object with a \"name\"%s%s", NULL, NULL);
				return false;
			}
			sub = jv_object(a, t->u.obj.n);
			for (k = 0; k < t->u.obj.n; k++)
			{
				int			m;

				for (m = 0; THEN_KEYS[m]; m++)
					if (streq(t->u.obj.pairs[k].key, t->u.obj.pairs[k].klen, THEN_KEYS[m]))
						break;
				if (THEN_KEYS[m] == NULL)
				{
					set_err(err, w, false, "unknown key \"%.60s\" in a follow-up request (known: name, method, url, base, query, headers, body, form, expectStatus, require, error)%s",
							jv_strndup(a, t->u.obj.pairs[k].key, t->u.obj.pairs[k].klen), NULL);
					return false;
				}
				if (!streq(t->u.obj.pairs[k].key, t->u.obj.pairs[k].klen, "name") &&
					!streq(t->u.obj.pairs[k].key, t->u.obj.pairs[k].klen, "require") &&
					!streq(t->u.obj.pairs[k].key, t->u.obj.pairs[k].klen, "error"))
					jv_object_set(a, sub, t->u.obj.pairs[k].key, t->u.obj.pairs[k].klen, t->u.obj.pairs[k].val);
			}
			if (!decl_check_request(a, sub, env, err))
			{
				char		where[96];

				snprintf(where, sizeof(where), "%s.%s", w, err->where + (strncmp(err->where, "request.", 8) == 0 ? 8 : 0));
				snprintf(err->where, sizeof(err->where), "%s", where);
				return false;
			}
			if (!check_expr_string(a, t, "require", env, w, err))
				return false;
			if ((e = jv_object_get(t, "error", 5)) != NULL)
			{
				const char *code = decl_get_string(a, e, "code");
				int			m;

				for (m = 0; code && ERROR_CODES[m]; m++)
					if (strcmp(ERROR_CODES[m], code) == 0)
						break;
				if (e->type != JV_OBJECT || code == NULL || ERROR_CODES[m] == NULL ||
					(jv_object_get(e, "message", 7) && !check_template_value(a, jv_object_get(e, "message", 7), env, w, err)) ||
					(jv_object_get(e, "hint", 4) && !check_template_value(a, jv_object_get(e, "hint", 4), env, w, err)))
				{
					if (e->type != JV_OBJECT || code == NULL || ERROR_CODES[m] == NULL)
						set_err(err, w, false, "\"error\" is {code (of the error model), message, hint?}%s%s", NULL, NULL);
					return false;
				}
			}
		}
	}
	if ((v = jv_object_get(request, "rateLimit", 9)) != NULL)
	{
		Jv		   *n = jv_object_get(v, "requests", 8);
		Jv		   *p = jv_object_get(v, "perSeconds", 10);
		Jv		   *b = jv_object_get(v, "bucket", 6);

		if (v->type != JV_OBJECT || (n && !check_int(n, 1, 1000)) || (p && !check_int(p, 1, 86400)) ||
			(b && b->type != JV_STRING))
		{
			set_err(err, "request.rateLimit", false, "\"rateLimit\" is {bucket?: name, requests: 1..1000, perSeconds: 1..86400}%s%s", NULL, NULL);
			return false;
		}
	}
	return true;
}

/* ------------------------------------------------------------------------
 * Pagination
 */

bool
decl_paging(JvArena *a, const Jv *request, DeclPaging *p)
{
	Jv		   *v = request ? jv_object_get(request, "paginate", 8) : NULL;
	Jv		   *s;
	Jv		   *x;
	const char *t;

	memset(p, 0, sizeof(*p));
	if (v == NULL || v->type != JV_OBJECT)
		return false;
	s = jv_object_get(v, "style", 5);
	if (s == NULL || s->type != JV_STRING)
		return false;
	p->max_pages = 10;
	if ((x = jv_object_get(v, "maxPages", 8)) != NULL && x->type == JV_NUMBER)
		p->max_pages = (int) x->u.num;
	if (streq(s->u.str.s, s->u.str.len, "link"))
		p->style = DECL_PAGE_LINK;
	else
	{
		p->style = DECL_PAGE_CURSOR;
		if (streq(s->u.str.s, s->u.str.len, "starting_after"))
		{
			p->items = "data";
			p->next = "has_more = true ? data[-1].id";
			p->param = "starting_after";
		}
	}
	if ((t = decl_get_string(a, v, "items")) != NULL)
		p->items = t;
	if ((t = decl_get_string(a, v, "next")) != NULL)
		p->next = t;
	if ((t = decl_get_string(a, v, "param")) != NULL)
		p->param = t;
	if ((t = decl_get_string(a, v, "maxItems")) != NULL)
		p->max_items = t;
	return true;
}

/* origin parts: scheme, host, port (default by scheme) */
static bool
origin_of(const char *url, char *scheme, size_t ss, char *host, size_t hs, int *port)
{
	const char *p = strstr(url, "://");
	const char *h;
	const char *e;
	const char *colon;
	size_t		n;

	if (p == NULL || (size_t) (p - url) >= ss)
		return false;
	memcpy(scheme, url, p - url);
	scheme[p - url] = '\0';
	h = p + 3;
	e = h;
	while (*e && *e != '/' && *e != '?' && *e != '#')
		e++;
	colon = NULL;
	if (*h == '[')
	{
		const char *rb = memchr(h, ']', e - h);

		if (rb == NULL)
			return false;
		if (rb + 1 < e && rb[1] == ':')
			colon = rb + 1;
	}
	else
		colon = memchr(h, ':', e - h);
	n = (size_t) ((colon ? colon : e) - h);
	if (n == 0 || n >= hs)
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon)
		*port = atoi(colon + 1);
	else
		*port = strcmp(scheme, "https") == 0 ? 443 : 80;
	return true;
}

bool
decl_same_origin(const char *a, const char *b)
{
	char		s1[16],
				s2[16],
				h1[256],
				h2[256];
	int			p1,
				p2;

	if (!origin_of(a, s1, sizeof(s1), h1, sizeof(h1), &p1) ||
		!origin_of(b, s2, sizeof(s2), h2, sizeof(h2), &p2))
		return false;
	return strcasecmp(s1, s2) == 0 && strcasecmp(h1, h2) == 0 && p1 == p2;
}

const char *
decl_link_next(JvArena *a, const char *link, size_t len, const char *base)
{
	size_t		i = 0;

	while (i < len)
	{
		const char *lt;
		const char *gt;
		size_t		j;
		bool		is_next = false;
		char		quote = 0;

		while (i < len && (link[i] == ' ' || link[i] == ',' || link[i] == '\t'))
			i++;
		if (i >= len || link[i] != '<')
			return NULL;
		lt = link + i + 1;
		gt = memchr(lt, '>', len - (size_t) (lt - link));
		if (gt == NULL)
			return NULL;
		/* parameters up to the next comma outside quotes */
		j = (size_t) (gt - link) + 1;
		while (j < len && (quote || link[j] != ','))
		{
			if (quote)
			{
				if (link[j] == quote)
					quote = 0;
			}
			else if (link[j] == '"')
				quote = '"';
			else if ((link[j] == 'r' || link[j] == 'R') && j + 3 < len && strncasecmp(link + j, "rel", 3) == 0)
			{
				size_t		k = j + 3;

				while (k < len && link[k] == ' ')
					k++;
				if (k < len && link[k] == '=')
				{
					k++;
					while (k < len && link[k] == ' ')
						k++;
					if (k < len && link[k] == '"')
						k++;
					/* rel may hold several space-separated types */
					while (k < len && link[k] != '"' && link[k] != ';' && link[k] != ',')
					{
						size_t		w = k;

						while (w < len && link[w] != ' ' && link[w] != '"' && link[w] != ';' && link[w] != ',')
							w++;
						if (w - k == 4 && strncasecmp(link + k, "next", 4) == 0)
							is_next = true;
						k = w;
						while (k < len && link[k] == ' ')
							k++;
					}
				}
			}
			j++;
		}
		if (is_next)
		{
			size_t		ul = (size_t) (gt - lt);
			const char *u = jv_strndup(a, lt, ul);

			if (u == NULL)
				return NULL;
			if (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0)
				return u;
			if (u[0] == '/' && base != NULL)
			{
				/* origin of base + path */
				const char *p = strstr(base, "://");
				const char *e;
				JvBuf		b;

				if (p == NULL)
					return NULL;
				e = p + 3;
				while (*e && *e != '/' && *e != '?' && *e != '#')
					e++;
				jv_buf_init(&b, a);
				jv_buf_append(&b, base, (size_t) (e - base));
				jv_buf_append(&b, u, ul);
				return jv_buf_cstring(&b);
			}
			return NULL;
		}
		i = j;
	}
	return NULL;
}
