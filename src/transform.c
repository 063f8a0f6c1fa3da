/*
 * transform.c — the built-in transform.* actions over text, objects and
 * arrays, with Alga PSA's ids, inputs, outputs and semantics (JavaScript
 * String() coercion, defaults for omitted fields).  The JSON and regex ones
 * are in transform_json.c and transform_regex.c.
 *
 * Each builtin gets its input already validated against the registered input
 * schema; it raises invalid_parameter_value (-> VALIDATION_ERROR) for input
 * the schema cannot express and no_data_found (-> NOT_FOUND) for "nothing
 * matched" failures.  Lengths and positions count characters (code points);
 * JavaScript counts UTF-16 units, which differs only outside the BMP.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "action.h"

/* ---- helpers ------------------------------------------------------------- */

Jv *
tf_check(Jv *v)
{
	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("transform result too large")));
	return v;
}

Jv *
tf_arg(Jv *input, const char *key)
{
	if (input == NULL || input->type != JV_OBJECT)
		return NULL;
	return jv_object_get(input, key, strlen(key));
}

void
tf_set(JvArena *a, Jv *obj, const char *key, Jv *v)
{
	if (!jv_object_set(a, obj, key, strlen(key), v))
		(void) tf_check(NULL);
}

static void
append_js_string(JvBuf *b, Jv *v, bool in_array)
{
	char		num[32];
	size_t		i;

	if (v == NULL || v->type == JV_NULL)
	{
		/* String(null) is "null", but coerceText() and Array.join() give "" */
		return;
	}
	switch (v->type)
	{
		case JV_BOOL:
			jv_buf_append(b, v->u.b ? "true" : "false", v->u.b ? 4 : 5);
			break;
		case JV_NUMBER:
			jv_buf_append(b, num, jv_format_number(v->u.num, num));
			break;
		case JV_STRING:
			jv_buf_append(b, v->u.str.s, v->u.str.len);
			break;
		case JV_ARRAY:
			for (i = 0; i < v->u.arr.n; i++)
			{
				if (i > 0)
					jv_buf_appendc(b, ',');
				append_js_string(b, v->u.arr.items[i], true);
			}
			break;
		case JV_OBJECT:
			jv_buf_append(b, "[object Object]", 15);
			break;
		default:
			break;
	}
	(void) in_array;
}

/* JavaScript String(v) as Alga's coerceText(): null and undefined give "" */
const char *
tf_text(JvArena *a, Jv *v, size_t *len)
{
	JvBuf		b;

	if (v != NULL && v->type == JV_STRING)
	{
		*len = v->u.str.len;
		return v->u.str.s;
	}
	jv_buf_init(&b, a);
	append_js_string(&b, v, false);
	if (b.failed)
		(void) tf_check(NULL);
	*len = b.len;
	return b.data ? b.data : "";
}

static Jv *
str(JvArena *a, const char *s, size_t len)
{
	return tf_check(jv_string(a, s, len));
}

static Jv *
text_result(JvArena *a, const char *s, size_t len)
{
	Jv		   *out = tf_check(jv_object(a, 1));

	tf_set(a, out, "text", str(a, s, len));
	return out;
}

static const char *
opt_string(Jv *input, const char *key, const char *dflt, size_t *len)
{
	Jv		   *v = tf_arg(input, key);

	if (v == NULL || v->type != JV_STRING)
	{
		*len = strlen(dflt);
		return dflt;
	}
	*len = v->u.str.len;
	return v->u.str.s;
}

static bool
opt_bool(Jv *input, const char *key, bool dflt)
{
	Jv		   *v = tf_arg(input, key);

	return (v && v->type == JV_BOOL) ? v->u.b : dflt;
}

static Jv *
opt_array(JvArena *a, Jv *input, const char *key)
{
	Jv		   *v = tf_arg(input, key);

	return (v && v->type == JV_ARRAY) ? v : tf_check(jv_array(a, 0));
}

/* byte offset of the n-th character of s (n <= character count) */
static size_t
char_offset(const char *s, size_t len, size_t n)
{
	size_t		off = 0;

	while (n > 0 && off < len)
	{
		off += pg_mblen(s + off);
		n--;
	}
	return off > len ? len : off;
}

static size_t
char_count(const char *s, size_t len)
{
	return pg_mbstrlen_with_len(s, (int) len);
}

/* ---- text ---------------------------------------------------------------- */

static Jv *
tf_truncate_text(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	size_t		tlen,
				elen,
				slen;
	const char *text = tf_text(a, tf_arg(input, "text"), &tlen);
	Jv		   *maxv = tf_arg(input, "maxLength");
	const char *strategy = opt_string(input, "strategy", "end", &slen);
	const char *ellipsis = opt_string(input, "ellipsis", "...", &elen);
	double		max;
	size_t		nchars,
				echars,
				avail;
	JvBuf		b;

	if (maxv == NULL || maxv->type != JV_NUMBER)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("transform.truncate_text: maxLength must be a number")));
	max = maxv->u.num;
	if (max <= 0)
		return text_result(a, "", 0);
	nchars = char_count(text, tlen);
	if ((double) nchars <= max)
		return text_result(a, text, tlen);
	if (elen == 0)
		return text_result(a, text, char_offset(text, tlen, (size_t) max));
	echars = char_count(ellipsis, elen);
	if ((double) echars >= max)
		return text_result(a, ellipsis, char_offset(ellipsis, elen, (size_t) max));

	avail = (size_t) max - echars;
	jv_buf_init(&b, a);
	if (slen == 5 && memcmp(strategy, "start", 5) == 0)
	{
		size_t		from = char_offset(text, tlen, nchars - avail);

		jv_buf_append(&b, ellipsis, elen);
		jv_buf_append(&b, text + from, tlen - from);
	}
	else if (slen == 6 && memcmp(strategy, "middle", 6) == 0)
	{
		size_t		head = (avail + 1) / 2;
		size_t		tail = avail / 2;
		size_t		from = char_offset(text, tlen, nchars - tail);

		jv_buf_append(&b, text, char_offset(text, tlen, head));
		jv_buf_append(&b, ellipsis, elen);
		jv_buf_append(&b, text + from, tlen - from);
	}
	else
	{
		jv_buf_append(&b, text, char_offset(text, tlen, avail));
		jv_buf_append(&b, ellipsis, elen);
	}
	if (b.failed)
		(void) tf_check(NULL);
	return text_result(a, b.data, b.len);
}

static Jv *
join_values(JvArena *a, Jv *arr, const char *sep, size_t seplen)
{
	JvBuf		b;
	size_t		i;

	jv_buf_init(&b, a);
	jv_buf_append(&b, "", 0);
	for (i = 0; i < arr->u.arr.n; i++)
	{
		size_t		len;
		const char *s;

		if (i > 0)
			jv_buf_append(&b, sep, seplen);
		s = tf_text(a, arr->u.arr.items[i], &len);
		jv_buf_append(&b, s, len);
	}
	if (b.failed)
		(void) tf_check(NULL);
	return text_result(a, b.data, b.len);
}

static Jv *
tf_concat_text(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	size_t		seplen;
	const char *sep = opt_string(input, "separator", "", &seplen);

	return join_values(a, opt_array(a, input, "values"), sep, seplen);
}

static Jv *
tf_join_text(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	size_t		seplen;
	const char *sep = opt_string(input, "delimiter", "", &seplen);

	return join_values(a, opt_array(a, input, "items"), sep, seplen);
}

static const char *
find_bytes(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	size_t		i;

	if (nlen == 0 || nlen > hlen)
		return NULL;
	for (i = 0; i + nlen <= hlen; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}

/* JavaScript replacement patterns for a string search: $$ $& $` $' */
static void
append_replacement(JvBuf *b, const char *rep, size_t rlen, const char *text, size_t tlen,
				   size_t mstart, size_t mlen)
{
	size_t		i;

	for (i = 0; i < rlen; i++)
	{
		if (rep[i] == '$' && i + 1 < rlen)
		{
			char		c = rep[i + 1];

			if (c == '$')
			{
				jv_buf_appendc(b, '$');
				i++;
				continue;
			}
			if (c == '&')
			{
				jv_buf_append(b, text + mstart, mlen);
				i++;
				continue;
			}
			if (c == '`')
			{
				jv_buf_append(b, text, mstart);
				i++;
				continue;
			}
			if (c == '\'')
			{
				jv_buf_append(b, text + mstart + mlen, tlen - mstart - mlen);
				i++;
				continue;
			}
		}
		jv_buf_appendc(b, rep[i]);
	}
}

static Jv *
tf_replace_text(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	size_t		tlen,
				slen,
				rlen;
	const char *text = tf_text(a, tf_arg(input, "text"), &tlen);
	const char *search = opt_string(input, "search", "", &slen);
	const char *rep = opt_string(input, "replacement", "", &rlen);
	bool		all = opt_bool(input, "replaceAll", true);
	JvBuf		b;
	const char *p = text;
	const char *end = text + tlen;
	const char *hit;

	if (slen == 0)
		return text_result(a, text, tlen);
	jv_buf_init(&b, a);
	jv_buf_append(&b, "", 0);
	if (all)
	{
		/* text.split(search).join(replacement): no $ patterns */
		while ((hit = find_bytes(p, end - p, search, slen)) != NULL)
		{
			jv_buf_append(&b, p, hit - p);
			jv_buf_append(&b, rep, rlen);
			p = hit + slen;
		}
		jv_buf_append(&b, p, end - p);
	}
	else if ((hit = find_bytes(text, tlen, search, slen)) != NULL)
	{
		jv_buf_append(&b, text, hit - text);
		append_replacement(&b, rep, rlen, text, tlen, hit - text, slen);
		jv_buf_append(&b, hit + slen, end - hit - slen);
	}
	else
		jv_buf_append(&b, text, tlen);
	if (b.failed)
		(void) tf_check(NULL);
	return text_result(a, b.data, b.len);
}

static Jv *
tf_split_text(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	size_t		tlen,
				dlen;
	const char *text = tf_text(a, tf_arg(input, "text"), &tlen);
	Jv		   *dv = tf_arg(input, "delimiter");
	bool		remove_empty = opt_bool(input, "removeEmpty", false);
	Jv		   *items = tf_check(jv_array(a, 8));
	Jv		   *out = tf_check(jv_object(a, 1));
	const char *delim;
	const char *p = text;
	const char *end = text + tlen;
	const char *hit;

	if (dv == NULL || dv->type != JV_STRING)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("transform.split_text: delimiter must be a string")));
	delim = dv->u.str.s;
	dlen = dv->u.str.len;
	if (dlen == 0)
	{
		/* "abc".split("") -> ["a", "b", "c"] */
		while (p < end)
		{
			int			l = pg_mblen(p);

			if (!jv_array_push(a, items, str(a, p, l)))
				(void) tf_check(NULL);
			p += l;
		}
	}
	else
	{
		for (;;)
		{
			size_t		seglen;

			hit = find_bytes(p, end - p, delim, dlen);
			seglen = hit ? (size_t) (hit - p) : (size_t) (end - p);
			if (!(remove_empty && seglen == 0))
				if (!jv_array_push(a, items, str(a, p, seglen)))
					(void) tf_check(NULL);
			if (hit == NULL)
				break;
			p = hit + dlen;
		}
	}
	tf_set(a, out, "items", items);
	return out;
}

static Jv *
case_map(JvArena *a, Jv *input, bool to_upper)
{
	size_t		tlen;
	const char *s = tf_text(a, tf_arg(input, "text"), &tlen);
	text	   *t = cstring_to_text_with_len(s, (int) tlen);
	text	   *r;

	r = DatumGetTextPP(DirectFunctionCall1Coll(to_upper ? upper : lower,
											   DEFAULT_COLLATION_OID, PointerGetDatum(t)));
	return text_result(a, VARDATA_ANY(r), VARSIZE_ANY_EXHDR(r));
}

static Jv *
tf_lowercase_text(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	return case_map(a, input, false);
}

static Jv *
tf_uppercase_text(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	return case_map(a, input, true);
}

/* bytes of the JavaScript white space or line terminator at s, else 0 */
static int
js_space_len(const unsigned char *s, size_t avail)
{
	if (avail >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' ||
					   s[0] == '\v' || s[0] == '\f'))
		return 1;
	if (avail >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
		return 2;				/* U+00A0 */
	if (avail >= 3)
	{
		unsigned	cp;

		if ((s[0] & 0xF0) != 0xE0)
			return 0;
		cp = ((s[0] & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
			cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF)
			return 3;
	}
	return 0;
}

static void
js_trim_bounds(const char *text, size_t tlen, size_t *pstart, size_t *pend)
{
	const unsigned char *s = (const unsigned char *) text;
	size_t		start = 0;
	size_t		end = tlen;
	int			l;
	bool		utf8 = GetDatabaseEncoding() == PG_UTF8;

	while (start < end && (l = js_space_len(s + start, utf8 ? end - start : 1)) > 0)
		start += l;
	/* from the right: step back over whole characters */
	while (end > start)
	{
		size_t		back = 1;

		if (utf8)
			while (back < 4 && back < end - start && (s[end - back] & 0xC0) == 0x80)
				back++;
		if (js_space_len(s + end - back, utf8 ? back : 1) == (int) back)
			end -= back;
		else
			break;
	}
	*pstart = start;
	*pend = end;
}

static Jv *
tf_trim_text(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	size_t		tlen,
				start,
				end;
	const char *text = tf_text(a, tf_arg(input, "text"), &tlen);

	js_trim_bounds(text, tlen, &start, &end);
	return text_result(a, text + start, end - start);
}

/* ---- values, objects, arrays --------------------------------------------- */

static Jv *
tf_coalesce_value(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	Jv		   *cands = opt_array(a, input, "candidates");
	bool		empty_missing = opt_bool(input, "treatEmptyStringAsMissing", true);
	Jv		   *out = tf_check(jv_object(a, 2));
	size_t		i;

	for (i = 0; i < cands->u.arr.n; i++)
	{
		Jv		   *c = cands->u.arr.items[i];

		if (c->type == JV_NULL)
			continue;
		if (empty_missing && c->type == JV_STRING)
		{
			size_t		start,
						end;

			js_trim_bounds(c->u.str.s, c->u.str.len, &start, &end);
			if (start == end)
				continue;
		}
		tf_set(a, out, "value", c);
		tf_set(a, out, "matchedIndex", tf_check(jv_number(a, (double) i)));
		return out;
	}
	tf_set(a, out, "matchedIndex", tf_check(jv_null(a)));
	return out;
}

static Jv *
object_result(JvArena *a, Jv *obj)
{
	Jv		   *out = tf_check(jv_object(a, 1));

	tf_set(a, out, "object", obj);
	return out;
}

static Jv *
tf_build_object(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	Jv		   *fields = opt_array(a, input, "fields");
	size_t		n = fields->u.arr.n;
	const char **keys = (const char **) palloc0(sizeof(char *) * (n + 1));
	size_t	   *klens = palloc0(sizeof(size_t) * (n + 1));
	Jv		  **vals = palloc0(sizeof(Jv *) * (n + 1));
	size_t		nk = 0;
	size_t		i,
				j;
	Jv		   *obj;

	/* Object.fromEntries: later entries win; an undefined value drops the key */
	for (i = 0; i < n; i++)
	{
		Jv		   *f = fields->u.arr.items[i];
		Jv		   *k = tf_arg(f, "key");

		if (k == NULL || k->type != JV_STRING || k->u.str.len == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("transform.build_object: fields[%zu].key must be a non-empty string", i)));
		for (j = 0; j < nk; j++)
			if (klens[j] == k->u.str.len && memcmp(keys[j], k->u.str.s, klens[j]) == 0)
				break;
		if (j == nk)
		{
			keys[nk] = k->u.str.s;
			klens[nk] = k->u.str.len;
			nk++;
		}
		vals[j] = tf_arg(f, "value");
	}
	obj = tf_check(jv_object(a, nk));
	for (j = 0; j < nk; j++)
		if (vals[j] != NULL)
			if (!jv_object_set(a, obj, keys[j], klens[j], vals[j]))
				(void) tf_check(NULL);
	return object_result(a, obj);
}

static Jv *
tf_pick_fields(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	Jv		   *source = tf_arg(input, "source");
	Jv		   *fields = opt_array(a, input, "fields");
	Jv		   *obj = tf_check(jv_object(a, fields->u.arr.n));
	size_t		i;

	if (source == NULL || source->type != JV_OBJECT)
		return object_result(a, obj);
	for (i = 0; i < fields->u.arr.n; i++)
	{
		Jv		   *f = fields->u.arr.items[i];
		Jv		   *v;

		if (f->type != JV_STRING)
			continue;
		v = jv_object_get(source, f->u.str.s, f->u.str.len);
		if (v)
			if (!jv_object_set(a, obj, f->u.str.s, f->u.str.len, v))
				(void) tf_check(NULL);
	}
	return object_result(a, obj);
}

static Jv *
tf_rename_fields(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	Jv		   *source = tf_arg(input, "source");
	Jv		   *renames = opt_array(a, input, "renames");
	size_t		n = (source && source->type == JV_OBJECT) ? source->u.obj.n : 0;
	size_t		cap = n + renames->u.arr.n + 1;
	const char **keys = (const char **) palloc0(sizeof(char *) * cap);
	size_t	   *klens = palloc0(sizeof(size_t) * cap);
	Jv		  **vals = palloc0(sizeof(Jv *) * cap);
	bool	   *gone = palloc0(sizeof(bool) * cap);
	size_t		nk = 0;
	size_t		i,
				j;
	Jv		   *obj;

	for (i = 0; i < n; i++)
	{
		keys[nk] = source->u.obj.pairs[i].key;
		klens[nk] = source->u.obj.pairs[i].klen;
		vals[nk] = source->u.obj.pairs[i].val;
		nk++;
	}
	for (i = 0; i < renames->u.arr.n; i++)
	{
		Jv		   *r = renames->u.arr.items[i];
		Jv		   *from = tf_arg(r, "from");
		Jv		   *to = tf_arg(r, "to");
		size_t		f,
					t;

		if (from == NULL || to == NULL || from->type != JV_STRING || to->type != JV_STRING)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("transform.rename_fields: renames[%zu] needs string \"from\" and \"to\"", i)));
		for (f = 0; f < nk; f++)
			if (!gone[f] && klens[f] == from->u.str.len && memcmp(keys[f], from->u.str.s, klens[f]) == 0)
				break;
		if (f == nk)
			continue;
		for (t = 0; t < nk; t++)
			if (!gone[t] && klens[t] == to->u.str.len && memcmp(keys[t], to->u.str.s, klens[t]) == 0)
				break;
		if (t == f)
			continue;
		if (t == nk)
		{
			keys[nk] = to->u.str.s;
			klens[nk] = to->u.str.len;
			gone[nk] = false;
			nk++;
		}
		vals[t] = vals[f];
		gone[f] = true;
	}
	obj = tf_check(jv_object(a, nk));
	for (j = 0; j < nk; j++)
		if (!gone[j])
			if (!jv_object_set(a, obj, keys[j], klens[j], vals[j]))
				(void) tf_check(NULL);
	return object_result(a, obj);
}

static Jv *
items_result(JvArena *a, Jv *arr)
{
	Jv		   *out = tf_check(jv_object(a, 1));

	tf_set(a, out, "items", arr);
	return out;
}

static Jv *
tf_append_array(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	Jv		   *items = opt_array(a, input, "items");
	Jv		   *values = opt_array(a, input, "values");
	Jv		   *arr = tf_check(jv_array(a, items->u.arr.n + values->u.arr.n));
	size_t		i;

	for (i = 0; i < items->u.arr.n; i++)
		if (!jv_array_push(a, arr, items->u.arr.items[i]))
			(void) tf_check(NULL);
	for (i = 0; i < values->u.arr.n; i++)
		if (!jv_array_push(a, arr, values->u.arr.items[i]))
			(void) tf_check(NULL);
	return items_result(a, arr);
}

static Jv *
tf_build_array(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	Jv		   *items = opt_array(a, input, "items");
	Jv		   *arr = tf_check(jv_array(a, items->u.arr.n));
	size_t		i;

	for (i = 0; i < items->u.arr.n; i++)
		if (!jv_array_push(a, arr, items->u.arr.items[i]))
			(void) tf_check(NULL);
	return items_result(a, arr);
}

/* ---- the table ----------------------------------------------------------- */

static const BuiltinAction builtins[] = {
	{"transform.parse_json", tf_parse_json},
	{"transform.query_json", tf_query_json},
	{"transform.stringify_json", tf_stringify_json},
	{"transform.compose_text", tf_compose_text},
	{"transform.regex_match", tf_regex_match},
	{"transform.regex_extract", tf_regex_extract},
	{"transform.regex_replace", tf_regex_replace},
	{"transform.truncate_text", tf_truncate_text},
	{"transform.concat_text", tf_concat_text},
	{"transform.replace_text", tf_replace_text},
	{"transform.split_text", tf_split_text},
	{"transform.join_text", tf_join_text},
	{"transform.lowercase_text", tf_lowercase_text},
	{"transform.uppercase_text", tf_uppercase_text},
	{"transform.trim_text", tf_trim_text},
	{"transform.coalesce_value", tf_coalesce_value},
	{"transform.build_object", tf_build_object},
	{"transform.pick_fields", tf_pick_fields},
	{"transform.rename_fields", tf_rename_fields},
	{"transform.append_array", tf_append_array},
	{"transform.build_array", tf_build_array},
	{NULL, NULL}
};

BuiltinFn
builtin_lookup(const char *name)
{
	int			i;

	for (i = 0; builtins[i].name; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return builtins[i].fn;
	return NULL;
}
