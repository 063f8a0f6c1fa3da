/*
 * jsonschema.c — JSON Schema subset: check + compile a schema once, validate
 * many values against the compiled form.  No PostgreSQL headers: this file is
 * linked into the standalone fuzz targets too.
 *
 * Supported (see doc/jsonschema.md): type (names or arrays of names,
 * "integer" = a number without a fractional part), properties, required,
 * additionalProperties, minProperties, maxProperties, items, minItems,
 * maxItems, uniqueItems, enum, const, minLength, maxLength, pattern, format
 * (uuid, email, date, date-time, uri), minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum (number form, or the draft-4 boolean form), multipleOf,
 * allOf, anyOf, oneOf, not, local $ref ("#", "#/$defs/...", any JSON pointer
 * to a subschema of the document), $defs/definitions.  Annotations are
 * accepted and ignored; x-* keys are ignored; anything else is refused.
 *
 * $ref is applied together with its sibling keywords (2019-09+ semantics).
 */
#include "jsonschema.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define JS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define JS_PRINTF(f, a)
#endif

/* ---- compiled form ------------------------------------------------------- */

#define JT_NULL		0x01
#define JT_BOOLEAN	0x02
#define JT_OBJECT	0x04
#define JT_ARRAY	0x08
#define JT_NUMBER	0x10
#define JT_STRING	0x20
#define JT_INTEGER	0x40

typedef enum JsFormat
{
	JF_NONE = 0,
	JF_UUID,
	JF_EMAIL,
	JF_DATE,
	JF_DATE_TIME,
	JF_URI
} JsFormat;

static const char *const format_names[] = {NULL, "uuid", "email", "date", "date-time", "uri"};

typedef struct JsNode JsNode;

typedef struct JsProp
{
	const char *key;
	size_t		klen;
	JsNode	   *schema;
} JsProp;

typedef struct JsReq
{
	const char *key;
	size_t		klen;
	int			prop;			/* index into props, or -1 */
	int			index;			/* position in "required" (for schema paths) */
} JsReq;

typedef struct JsEnumEntry
{
	uint64_t	hash;
	const Jv   *val;
} JsEnumEntry;

struct JsNode
{
	bool		always_false;	/* the boolean schema false */
	bool		trivial;		/* accepts everything (true, {}, annotations only) */
	uint32_t	types;			/* 0 = any */

	/* objects */
	JsProp	   *props;			/* sorted by key */
	int			nprops;
	JsReq	   *req;
	int			nreq;
	JsNode	   *additional;		/* NULL = anything */
	int64_t		min_props;		/* -1 = none */
	int64_t		max_props;

	/* arrays */
	JsNode	   *items;
	int64_t		min_items;
	int64_t		max_items;
	bool		unique;

	/* strings */
	int64_t		min_len;
	int64_t		max_len;
	void	   *re;
	const char *pattern;
	JsFormat	format;

	/* numbers */
	bool		has_min,
				has_max,
				has_xmin,
				has_xmax,
				has_mult;
	double		min,
				max,
				xmin,
				xmax,
				mult;

	/* any type */
	JsEnumEntry *enums;			/* sorted by hash */
	int			nenum;
	const Jv   *enum_src;
	const Jv   *const_val;
	JsNode	  **all;
	int			nall;
	JsNode	  **any;
	int			nany;
	JsNode	  **one;
	int			none;
	JsNode	   *not;
	JsNode	   *ref;

	/* compile time only */
	const char *ref_str;
	size_t		ref_len;
	const char *ref_path;
	int			dfs_state;
};

typedef struct JsRegexList
{
	void	   *re;
	struct JsRegexList *next;
} JsRegexList;

struct JsSchema
{
	JsNode	   *root;
	size_t		nnodes;
	bool		branches;		/* has anyOf/oneOf/not: work can grow exponentially */
	JsHooks		hooks;
	JsRegexList *regexes;
};

/* ---- paths --------------------------------------------------------------- */

typedef struct PathSeg
{
	const struct PathSeg *up;
	const char *key;			/* NULL: index */
	size_t		klen;
	size_t		index;
} PathSeg;

static void
path_append(JvBuf *b, const PathSeg *p)
{
	size_t		i;

	if (p == NULL)
		return;
	path_append(b, p->up);
	jv_buf_appendc(b, '/');
	if (p->key == NULL)
	{
		char		num[32];
		int			n = snprintf(num, sizeof(num), "%zu", p->index);

		jv_buf_append(b, num, n);
		return;
	}
	for (i = 0; i < p->klen; i++)
	{
		char		ch = p->key[i];

		if (ch == '~')
			jv_buf_append(b, "~0", 2);
		else if (ch == '/')
			jv_buf_append(b, "~1", 2);
		else
			jv_buf_appendc(b, ch);
	}
}

static const char *
path_string(JvArena *a, const PathSeg *p)
{
	JvBuf		b;

	jv_buf_init(&b, a);
	jv_buf_append(&b, "", 0);
	path_append(&b, p);
	return b.failed ? NULL : jv_buf_cstring(&b);
}

/* ---- text helpers -------------------------------------------------------- */

/* largest n' <= n such that s[0..n') does not end inside a UTF-8 sequence */
static size_t
utf8_clip(const char *s, size_t n)
{
	size_t		k = n;

	while (k > 0 && ((unsigned char) s[k] & 0xC0) == 0x80)
		k--;
	return k;
}

static size_t
utf8_length(const char *s, size_t len)
{
	size_t		i,
				n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

#define SHOW_MAX 60

/* a value shown in a message: compact JSON, cut at SHOW_MAX bytes */
static const char *
show_value(JvArena *a, const Jv *v)
{
	JvBuf		b;
	const char *s;

	jv_buf_init(&b, a);
	jv_serialize(&b, v, 0);
	s = jv_buf_cstring(&b);
	if (b.failed || s == NULL)
		return "(value)";
	if (b.len > SHOW_MAX)
	{
		size_t		k = utf8_clip(s, SHOW_MAX);
		char	   *t = jv_alloc(a, k + 4);

		if (t == NULL)
			return "(value)";
		memcpy(t, s, k);
		memcpy(t + k, "...", 4);
		return t;
	}
	return s;
}

static const char *
show_key(JvArena *a, const char *key, size_t klen)
{
	Jv			tmp;

	memset(&tmp, 0, sizeof(tmp));
	tmp.type = JV_STRING;
	tmp.u.str.s = key;
	tmp.u.str.len = klen;
	return show_value(a, &tmp);
}

static const char *
show_number(JvArena *a, double d)
{
	char		buf[40];
	int			n = jv_format_number(d, buf);
	char	   *s = jv_strndup(a, buf, n);

	return s ? s : "(number)";
}

/* vsnprintf into the arena, never cutting a UTF-8 sequence */
static const char *
vformat(JvArena *a, const char *fmt, va_list ap) JS_PRINTF(2, 0);

static const char *
vformat(JvArena *a, const char *fmt, va_list ap)
{
	char		buf[1024];
	int			n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		n = 0;
	if ((size_t) n >= sizeof(buf))
		n = (int) utf8_clip(buf, sizeof(buf) - 1);
	return jv_strndup(a, buf, n);
}

static const char *
fmt_text(JvArena *a, const char *fmt,...) JS_PRINTF(2, 3);

static const char *
fmt_text(JvArena *a, const char *fmt,...)
{
	va_list		ap;
	const char *s;

	va_start(ap, fmt);
	s = vformat(a, fmt, ap);
	va_end(ap);
	return s;
}

static bool is_hex(char ch);

/* ---- hashing (enum, uniqueItems) ----------------------------------------- */

static uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
hash_value(const Jv *v, int depth)
{
	uint64_t	h;
	size_t		i;

	if (depth > 64)
		return 0x5bd1e995;		/* equal hashes are confirmed by jv_equal */
	switch (v->type)
	{
		case JV_NULL:
			return 0x9e3779b97f4a7c15ULL;
		case JV_BOOL:
			return v->u.b ? 0x2545f4914f6cdd1dULL : 0x1b873593ULL;
		case JV_NUMBER:
			{
				double		d = v->u.num == 0 ? 0.0 : v->u.num;	/* -0 == 0 */
				uint64_t	bits;

				memcpy(&bits, &d, sizeof(bits));
				return mix64(bits ^ 0x3243f6a8885a308dULL);
			}
		case JV_STRING:
			h = 0xcbf29ce484222325ULL;
			for (i = 0; i < v->u.str.len; i++)
			{
				h ^= (unsigned char) v->u.str.s[i];
				h *= 0x100000001b3ULL;
			}
			return mix64(h);
		case JV_ARRAY:
			h = 0x13198a2e03707344ULL;
			for (i = 0; i < v->u.arr.n; i++)
				h = mix64(h * 31 + hash_value(v->u.arr.items[i], depth + 1));
			return h;
		case JV_OBJECT:
			h = 0xa4093822299f31d0ULL + v->u.obj.n;
			for (i = 0; i < v->u.obj.n; i++)
			{
				const JvPair *p = &v->u.obj.pairs[i];
				uint64_t	kh = 0xcbf29ce484222325ULL;
				size_t		j;

				for (j = 0; j < p->klen; j++)
				{
					kh ^= (unsigned char) p->key[j];
					kh *= 0x100000001b3ULL;
				}
				/* order-independent */
				h += mix64(kh ^ (hash_value(p->val, depth + 1) * 0x9e3779b97f4a7c15ULL));
			}
			return mix64(h);
	}
	return 0;
}

static int
cmp_enum_entry(const void *x, const void *y)
{
	const JsEnumEntry *a = x;
	const JsEnumEntry *b = y;

	return a->hash < b->hash ? -1 : a->hash > b->hash ? 1 : 0;
}

/* ---- compiler ------------------------------------------------------------ */

typedef struct MapEntry
{
	const Jv   *src;
	JsNode	   *node;
} MapEntry;

typedef struct Compiler
{
	JvArena    *a;
	JsSchema   *schema;
	const Jv   *root;
	JsError    *head;
	JsError    *tail;
	int			nproblems;
	bool		oom;
	MapEntry   *map;
	size_t		nmap;
	size_t		capmap;
	JsNode	  **refnodes;
	size_t		nref;
	size_t		capref;
} Compiler;

static void
add_problem(Compiler *c, const char *path, const char *hint, const char *fmt, va_list ap) JS_PRINTF(4, 0);

static void
add_problem(Compiler *c, const char *path, const char *hint, const char *fmt, va_list ap)
{
	JsError    *e = jv_alloc(c->a, sizeof(JsError));

	c->nproblems++;
	if (e == NULL)
	{
		c->oom = true;
		return;
	}
	e->message = vformat(c->a, fmt, ap);
	e->path = path;
	e->hint = hint;
	e->next = NULL;
	if (e->message == NULL || e->path == NULL)
	{
		c->oom = true;
		return;
	}
	if (c->tail)
		c->tail->next = e;
	else
		c->head = e;
	c->tail = e;
}

static void
problem(Compiler *c, const PathSeg *path, const char *hint, const char *fmt,...) JS_PRINTF(4, 5);

static void
problem(Compiler *c, const PathSeg *path, const char *hint, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	add_problem(c, path_string(c->a, path), hint, fmt, ap);
	va_end(ap);
}

static void
problem_at(Compiler *c, const char *path, const char *hint, const char *fmt,...) JS_PRINTF(4, 5);

static void
problem_at(Compiler *c, const char *path, const char *hint, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	add_problem(c, path, hint, fmt, ap);
	va_end(ap);
}

static bool
grow(Compiler *c, void **arr, size_t *cap, size_t n, size_t elsize)
{
	void	   *na;
	size_t		ncap;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 16;
	na = jv_alloc(c->a, ncap * elsize);
	if (na == NULL)
	{
		c->oom = true;
		return false;
	}
	if (n)
		memcpy(na, *arr, n * elsize);
	*arr = na;
	*cap = ncap;
	return true;
}

static JsNode *
new_node(Compiler *c, const Jv *src)
{
	JsNode	   *n = jv_alloc(c->a, sizeof(JsNode));

	if (n == NULL)
	{
		c->oom = true;
		return NULL;
	}
	memset(n, 0, sizeof(JsNode));
	n->min_props = n->max_props = -1;
	n->min_items = n->max_items = -1;
	n->min_len = n->max_len = -1;
	if (src && grow(c, (void **) &c->map, &c->capmap, c->nmap, sizeof(MapEntry)))
	{
		c->map[c->nmap].src = src;
		c->map[c->nmap].node = n;
		c->nmap++;
	}
	return n;
}

static int
cmp_map(const void *x, const void *y)
{
	const MapEntry *a = x;
	const MapEntry *b = y;
	uintptr_t	pa = (uintptr_t) a->src;
	uintptr_t	pb = (uintptr_t) b->src;

	return pa < pb ? -1 : pa > pb ? 1 : 0;
}

static JsNode *
map_find(Compiler *c, const Jv *src)
{
	size_t		lo = 0,
				hi = c->nmap;

	while (lo < hi)
	{
		size_t		mid = (lo + hi) / 2;
		uintptr_t	p = (uintptr_t) c->map[mid].src;

		if (p == (uintptr_t) src)
			return c->map[mid].node;
		if (p < (uintptr_t) src)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
keycmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int			r = memcmp(a, b, alen < blen ? alen : blen);

	if (r != 0)
		return r;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int
cmp_prop(const void *x, const void *y)
{
	const JsProp *a = x;
	const JsProp *b = y;

	return keycmp(a->key, a->klen, b->key, b->klen);
}

static int
find_prop(const JsNode *n, const char *key, size_t klen)
{
	int			lo = 0,
				hi = n->nprops;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			r = keycmp(n->props[mid].key, n->props[mid].klen, key, klen);

		if (r == 0)
			return mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* keywords */
typedef enum KwKind
{
	KW_VALIDATION,
	KW_ANNOTATION,
	KW_UNSUPPORTED
} KwKind;

typedef struct Keyword
{
	const char *name;
	KwKind		kind;
	const char *hint;			/* for unsupported ones */
} Keyword;

static const Keyword keywords[] = {
	{"type", KW_VALIDATION, NULL},
	{"properties", KW_VALIDATION, NULL},
	{"required", KW_VALIDATION, NULL},
	{"additionalProperties", KW_VALIDATION, NULL},
	{"minProperties", KW_VALIDATION, NULL},
	{"maxProperties", KW_VALIDATION, NULL},
	{"items", KW_VALIDATION, NULL},
	{"minItems", KW_VALIDATION, NULL},
	{"maxItems", KW_VALIDATION, NULL},
	{"uniqueItems", KW_VALIDATION, NULL},
	{"enum", KW_VALIDATION, NULL},
	{"const", KW_VALIDATION, NULL},
	{"minLength", KW_VALIDATION, NULL},
	{"maxLength", KW_VALIDATION, NULL},
	{"pattern", KW_VALIDATION, NULL},
	{"format", KW_VALIDATION, NULL},
	{"minimum", KW_VALIDATION, NULL},
	{"maximum", KW_VALIDATION, NULL},
	{"exclusiveMinimum", KW_VALIDATION, NULL},
	{"exclusiveMaximum", KW_VALIDATION, NULL},
	{"multipleOf", KW_VALIDATION, NULL},
	{"allOf", KW_VALIDATION, NULL},
	{"anyOf", KW_VALIDATION, NULL},
	{"oneOf", KW_VALIDATION, NULL},
	{"not", KW_VALIDATION, NULL},
	{"$ref", KW_VALIDATION, NULL},
	{"$defs", KW_VALIDATION, NULL},
	{"definitions", KW_VALIDATION, NULL},
	{"title", KW_ANNOTATION, NULL},
	{"description", KW_ANNOTATION, NULL},
	{"examples", KW_ANNOTATION, NULL},
	{"default", KW_ANNOTATION, NULL},
	{"$schema", KW_ANNOTATION, NULL},
	{"$id", KW_ANNOTATION, NULL},
	{"$comment", KW_ANNOTATION, NULL},
	{"readOnly", KW_ANNOTATION, NULL},
	{"writeOnly", KW_ANNOTATION, NULL},
	{"deprecated", KW_ANNOTATION, NULL},
	{"nullable", KW_UNSUPPORTED, NULL},	/* hint built from "type" */
	{"patternProperties", KW_UNSUPPORTED, "list the properties under \"properties\", or allow the rest with \"additionalProperties\""},
	{"propertyNames", KW_UNSUPPORTED, "list the allowed names under \"properties\" with \"additionalProperties\": false"},
	{"dependentRequired", KW_UNSUPPORTED, "express the dependency with \"anyOf\" of \"required\" alternatives"},
	{"dependentSchemas", KW_UNSUPPORTED, "express the dependency with \"anyOf\" alternatives"},
	{"dependencies", KW_UNSUPPORTED, "express the dependency with \"anyOf\" of \"required\" alternatives"},
	{"if", KW_UNSUPPORTED, "use \"anyOf\" (or \"oneOf\") alternatives instead of if/then/else"},
	{"then", KW_UNSUPPORTED, "use \"anyOf\" (or \"oneOf\") alternatives instead of if/then/else"},
	{"else", KW_UNSUPPORTED, "use \"anyOf\" (or \"oneOf\") alternatives instead of if/then/else"},
	{"prefixItems", KW_UNSUPPORTED, "use an object instead of a positional array, or \"items\" for arrays of one shape"},
	{"additionalItems", KW_UNSUPPORTED, "use \"items\" with a single schema"},
	{"contains", KW_UNSUPPORTED, NULL},
	{"minContains", KW_UNSUPPORTED, NULL},
	{"maxContains", KW_UNSUPPORTED, NULL},
	{"unevaluatedProperties", KW_UNSUPPORTED, "use \"additionalProperties\""},
	{"unevaluatedItems", KW_UNSUPPORTED, "use \"items\""},
	{"contentEncoding", KW_UNSUPPORTED, NULL},
	{"contentMediaType", KW_UNSUPPORTED, NULL},
	{"contentSchema", KW_UNSUPPORTED, NULL},
	{"$anchor", KW_UNSUPPORTED, "refer to the subschema with a JSON pointer: \"$ref\": \"#/$defs/name\""},
	{"$dynamicRef", KW_UNSUPPORTED, "use a local \"$ref\": \"#/$defs/name\""},
	{"$dynamicAnchor", KW_UNSUPPORTED, "use a local \"$ref\": \"#/$defs/name\""},
	{"$recursiveRef", KW_UNSUPPORTED, "use a local \"$ref\": \"#\" or \"#/$defs/name\""},
	{"$recursiveAnchor", KW_UNSUPPORTED, "use a local \"$ref\": \"#\" or \"#/$defs/name\""},
	{"$vocabulary", KW_UNSUPPORTED, NULL},
	{"example", KW_UNSUPPORTED, "use \"examples\": [ ... ] (an array)"},
	{NULL, 0, NULL}
};

static const Keyword *
find_keyword(const char *k, size_t klen)
{
	const Keyword *kw;

	for (kw = keywords; kw->name; kw++)
		if (strlen(kw->name) == klen && memcmp(kw->name, k, klen) == 0)
			return kw;
	return NULL;
}

/* edit distance with a small cap, for "did you mean" */
static int
edit_distance(const char *a, size_t alen, const char *b, size_t blen)
{
	int			prev[64],
				cur[64];
	size_t		i,
				j;

	if (alen >= 63 || blen >= 63)
		return 99;
	for (j = 0; j <= blen; j++)
		prev[j] = (int) j;
	for (i = 1; i <= alen; i++)
	{
		cur[0] = (int) i;
		for (j = 1; j <= blen; j++)
		{
			int			sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
			int			del = prev[j] + 1;
			int			ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(int) * (blen + 1));
	}
	return prev[blen];
}

static const char *
unknown_keyword_hint(Compiler *c, const char *k, size_t klen)
{
	const Keyword *kw;
	const Keyword *best = NULL;
	int			bestd = 3;

	for (kw = keywords; kw->name; kw++)
	{
		int			d;

		if (kw->kind == KW_UNSUPPORTED)
			continue;
		d = edit_distance(k, klen, kw->name, strlen(kw->name));
		if (d < bestd)
		{
			bestd = d;
			best = kw;
		}
	}
	if (best && bestd <= (klen > 4 ? 2 : 1))
		return fmt_text(c->a, "did you mean \"%s\"? Keys of your own must start with \"x-\"", best->name);
	return "keys of your own (annotations for tools) must start with \"x-\", e.g. \"x-ui-widget\"";
}

static const char *
type_word(uint32_t t)
{
	switch (t)
	{
		case JT_NULL:
			return "null";
		case JT_BOOLEAN:
			return "boolean";
		case JT_OBJECT:
			return "object";
		case JT_ARRAY:
			return "array";
		case JT_NUMBER:
			return "number";
		case JT_STRING:
			return "string";
		case JT_INTEGER:
			return "integer";
	}
	return "?";
}

static uint32_t
type_bit(const char *s, size_t len)
{
	static const uint32_t bits[] = {JT_NULL, JT_BOOLEAN, JT_OBJECT, JT_ARRAY, JT_NUMBER, JT_STRING, JT_INTEGER};
	size_t		i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
	{
		const char *w = type_word(bits[i]);

		if (strlen(w) == len && memcmp(w, s, len) == 0)
			return bits[i];
	}
	return 0;
}

/* "string, number or null" */
static const char *
types_text(JvArena *a, uint32_t types)
{
	static const uint32_t order[] = {JT_STRING, JT_NUMBER, JT_INTEGER, JT_BOOLEAN, JT_OBJECT, JT_ARRAY, JT_NULL};
	JvBuf		b;
	int			n = 0,
				total = 0;
	size_t		i;

	for (i = 0; i < 7; i++)
		if (types & order[i])
			total++;
	jv_buf_init(&b, a);
	for (i = 0; i < 7; i++)
	{
		const char *w;

		if (!(types & order[i]))
			continue;
		if (n > 0)
			jv_buf_append(&b, n == total - 1 ? " or " : ", ", n == total - 1 ? 4 : 2);
		w = type_word(order[i]);
		jv_buf_append(&b, w, strlen(w));
		n++;
	}
	return b.failed ? "?" : jv_buf_cstring(&b);
}

static bool
is_integral(double d)
{
	return isfinite(d) && floor(d) == d;
}

/* a non-negative integer keyword value; -2 on a bad value (reported) */
static int64_t
count_keyword(Compiler *c, const Jv *v, const PathSeg *path, const char *kw)
{
	if (v->type != JV_NUMBER || !is_integral(v->u.num) || v->u.num < 0)
	{
		problem(c, path, NULL, "\"%s\" must be a non-negative integer, found %s",
				kw, show_value(c->a, v));
		return -2;
	}
	if (v->u.num > 9007199254740991.0)
		return INT64_MAX;
	return (int64_t) v->u.num;
}

static bool
number_keyword(Compiler *c, const Jv *v, const PathSeg *path, const char *kw, double *out)
{
	if (v->type != JV_NUMBER || !isfinite(v->u.num))
	{
		problem(c, path, NULL, "\"%s\" must be a number, found %s", kw, show_value(c->a, v));
		return false;
	}
	*out = v->u.num;
	return true;
}

static JsNode *compile_node(Compiler *c, const Jv *s, const PathSeg *path, int depth);

/* an array of subschemas: allOf/anyOf/oneOf */
static JsNode **
compile_list(Compiler *c, const Jv *v, const PathSeg *path, const char *kw, int depth, int *count)
{
	JsNode	  **list;
	size_t		i;

	*count = 0;
	if (v->type != JV_ARRAY || v->u.arr.n == 0)
	{
		problem(c, path, NULL, "\"%s\" must be a non-empty array of schemas, found %s",
				kw, show_value(c->a, v));
		return NULL;
	}
	list = jv_alloc(c->a, v->u.arr.n * sizeof(JsNode *));
	if (list == NULL)
	{
		c->oom = true;
		return NULL;
	}
	for (i = 0; i < v->u.arr.n; i++)
	{
		PathSeg		p = {path, NULL, 0, i};

		list[i] = compile_node(c, v->u.arr.items[i], &p, depth + 1);
		if (list[i] == NULL)
			return NULL;
	}
	*count = (int) v->u.arr.n;
	return list;
}

static void
compile_type(Compiler *c, JsNode *n, const Jv *v, const PathSeg *path)
{
	static const char *hint = "use one of \"string\", \"number\", \"integer\", \"boolean\", \"object\", \"array\", \"null\", or an array of them";

	if (v->type == JV_STRING)
	{
		n->types = type_bit(v->u.str.s, v->u.str.len);
		if (n->types == 0)
			problem(c, path, hint, "unknown type %s", show_value(c->a, v));
		return;
	}
	if (v->type == JV_ARRAY && v->u.arr.n > 0)
	{
		size_t		i;

		for (i = 0; i < v->u.arr.n; i++)
		{
			const Jv   *t = v->u.arr.items[i];
			PathSeg		p = {path, NULL, 0, i};
			uint32_t	bit;

			if (t->type != JV_STRING)
			{
				problem(c, &p, hint, "a type name must be a string, found %s", show_value(c->a, t));
				continue;
			}
			bit = type_bit(t->u.str.s, t->u.str.len);
			if (bit == 0)
				problem(c, &p, hint, "unknown type %s", show_value(c->a, t));
			else if (n->types & bit)
				problem(c, &p, "list each type once", "type %s is listed twice", show_value(c->a, t));
			n->types |= bit;
		}
		return;
	}
	problem(c, path, hint, "\"type\" must be a type name or a non-empty array of type names, found %s",
			show_value(c->a, v));
}

static void
compile_properties(Compiler *c, JsNode *n, const Jv *v, const PathSeg *path, int depth)
{
	size_t		i;

	if (v->type != JV_OBJECT)
	{
		problem(c, path, NULL, "\"properties\" must be an object mapping property names to schemas, found %s",
				show_value(c->a, v));
		return;
	}
	n->props = jv_alloc(c->a, (v->u.obj.n ? v->u.obj.n : 1) * sizeof(JsProp));
	if (n->props == NULL)
	{
		c->oom = true;
		return;
	}
	for (i = 0; i < v->u.obj.n; i++)
	{
		const JvPair *pr = &v->u.obj.pairs[i];
		PathSeg		p = {path, pr->key, pr->klen, 0};

		n->props[i].key = pr->key;
		n->props[i].klen = pr->klen;
		n->props[i].schema = compile_node(c, pr->val, &p, depth + 1);
		if (n->props[i].schema == NULL)
			return;
	}
	n->nprops = (int) v->u.obj.n;
	qsort(n->props, n->nprops, sizeof(JsProp), cmp_prop);
}

static void
compile_required(Compiler *c, JsNode *n, const Jv *v, const PathSeg *path)
{
	size_t		i,
				j;

	if (v->type != JV_ARRAY)
	{
		problem(c, path, NULL, "\"required\" must be an array of property names, found %s",
				show_value(c->a, v));
		return;
	}
	n->req = jv_alloc(c->a, (v->u.arr.n ? v->u.arr.n : 1) * sizeof(JsReq));
	if (n->req == NULL)
	{
		c->oom = true;
		return;
	}
	for (i = 0; i < v->u.arr.n; i++)
	{
		const Jv   *r = v->u.arr.items[i];
		PathSeg		p = {path, NULL, 0, i};
		bool		dup = false;

		if (r->type != JV_STRING)
		{
			problem(c, &p, NULL, "a required property name must be a string, found %s",
					show_value(c->a, r));
			continue;
		}
		for (j = 0; j < (size_t) n->nreq; j++)
			if (keycmp(n->req[j].key, n->req[j].klen, r->u.str.s, r->u.str.len) == 0)
				dup = true;
		if (dup)
		{
			problem(c, &p, "list each required property once", "property %s is listed twice",
					show_value(c->a, r));
			continue;
		}
		n->req[n->nreq].key = r->u.str.s;
		n->req[n->nreq].klen = r->u.str.len;
		n->req[n->nreq].prop = -1;
		n->req[n->nreq].index = (int) i;
		n->nreq++;
	}
}

static void
compile_enum(Compiler *c, JsNode *n, const Jv *v, const PathSeg *path)
{
	size_t		i;

	if (v->type != JV_ARRAY || v->u.arr.n == 0)
	{
		problem(c, path, "list the allowed values, e.g. \"enum\": [\"low\", \"high\"]",
				"\"enum\" must be a non-empty array of values, found %s", show_value(c->a, v));
		return;
	}
	n->enums = jv_alloc(c->a, v->u.arr.n * sizeof(JsEnumEntry));
	if (n->enums == NULL)
	{
		c->oom = true;
		return;
	}
	for (i = 0; i < v->u.arr.n; i++)
	{
		n->enums[i].val = v->u.arr.items[i];
		n->enums[i].hash = hash_value(v->u.arr.items[i], 0);
	}
	n->nenum = (int) v->u.arr.n;
	n->enum_src = v;
	qsort(n->enums, n->nenum, sizeof(JsEnumEntry), cmp_enum_entry);
}

static void
compile_pattern(Compiler *c, JsNode *n, const Jv *v, const PathSeg *path)
{
	char		errbuf[256];
	char	   *pat;
	void	   *re;
	JsRegexList *item;
	const JsHooks *h = &c->schema->hooks;

	if (v->type != JV_STRING)
	{
		problem(c, path, NULL, "\"pattern\" must be a string (a regular expression), found %s",
				show_value(c->a, v));
		return;
	}
	if (h->regex_compile == NULL)
	{
		problem(c, path, NULL, "\"pattern\" is not available here (no regular expression engine)");
		return;
	}
	pat = jv_strndup(c->a, v->u.str.s, v->u.str.len);
	item = jv_alloc(c->a, sizeof(JsRegexList));
	if (pat == NULL || item == NULL)
	{
		c->oom = true;
		return;
	}
	errbuf[0] = '\0';
	re = h->regex_compile(h->ctx, pat, v->u.str.len, errbuf, sizeof(errbuf));
	if (re == NULL)
	{
		errbuf[sizeof(errbuf) - 1] = '\0';
		problem(c, path, "patterns use PostgreSQL's regular expression syntax (ARE), searched anywhere in the string; anchor with ^ and $",
				"invalid regular expression %s: %s", show_value(c->a, v),
				errbuf[0] ? errbuf : "does not compile");
		return;
	}
	item->re = re;
	item->next = c->schema->regexes;
	c->schema->regexes = item;
	n->re = re;
	n->pattern = pat;
}

static void
compile_format(Compiler *c, JsNode *n, const Jv *v, const PathSeg *path)
{
	int			i;

	if (v->type == JV_STRING)
	{
		for (i = 1; i <= JF_URI; i++)
			if (strlen(format_names[i]) == v->u.str.len &&
				memcmp(format_names[i], v->u.str.s, v->u.str.len) == 0)
			{
				n->format = (JsFormat) i;
				return;
			}
	}
	problem(c, path, "supported formats: \"uuid\", \"email\", \"date\", \"date-time\", \"uri\"; for anything else use \"pattern\"",
			"unknown format %s", show_value(c->a, v));
}

/* "#", "#/a/b~1c": the subschema it points to, or NULL */
static const Jv *
resolve_pointer(Compiler *c, const char *ref, size_t len, const char **why)
{
	const Jv   *cur = c->root;
	size_t		i = 1;

	if (len == 0 || ref[0] != '#')
	{
		*why = "only local references (\"#\" or \"#/$defs/name\") are supported";
		return NULL;
	}
	if (len == 1)
		return cur;
	if (ref[1] != '/')
	{
		*why = "anchors are not supported; use a JSON pointer such as \"#/$defs/name\"";
		return NULL;
	}
	while (i < len)
	{
		char	   *tok = jv_alloc(c->a, len + 1);
		size_t		tl = 0;

		if (tok == NULL)
		{
			c->oom = true;
			*why = "out of memory";
			return NULL;
		}
		i++;					/* skip '/' */
		while (i < len && ref[i] != '/')
		{
			char		ch = ref[i];

			if (ch == '~' && i + 1 < len && (ref[i + 1] == '0' || ref[i + 1] == '1'))
			{
				ch = ref[i + 1] == '0' ? '~' : '/';
				i += 2;
			}
			else if (ch == '~')
			{
				*why = "invalid escape in JSON pointer (use ~0 for ~ and ~1 for /)";
				return NULL;
			}
			else if (ch == '%' && i + 2 < len && is_hex(ref[i + 1]) && is_hex(ref[i + 2]))
			{
				char		hex[3] = {ref[i + 1], ref[i + 2], 0};

				ch = (char) strtol(hex, NULL, 16);
				i += 3;
			}
			else
				i++;
			tok[tl++] = ch;
		}
		if (cur->type == JV_OBJECT)
			cur = jv_object_get(cur, tok, tl);
		else if (cur->type == JV_ARRAY)
		{
			size_t		idx = 0,
						k;

			if (tl == 0 || (tl > 1 && tok[0] == '0') || tl > 9)
				cur = NULL;
			else
			{
				for (k = 0; k < tl; k++)
				{
					if (tok[k] < '0' || tok[k] > '9')
						break;
					idx = idx * 10 + (tok[k] - '0');
				}
				cur = (k == tl && idx < cur->u.arr.n) ? cur->u.arr.items[idx] : NULL;
			}
		}
		else
			cur = NULL;
		if (cur == NULL)
		{
			*why = "the reference points to nothing in this schema";
			return NULL;
		}
	}
	return cur;
}

static JsNode *
compile_node(Compiler *c, const Jv *s, const PathSeg *path, int depth)
{
	JsNode	   *n;
	size_t		i;
	const Jv   *jxmin = NULL,
			   *jxmax = NULL,
			   *jnullable = NULL,
			   *jtype = NULL;
	const PathSeg *pnullable = NULL;
	PathSeg		pseg[4];
	bool		annotations_only = true;

	if (c->oom)
		return NULL;
	if (depth > JS_MAX_SCHEMA_DEPTH)
	{
		problem(c, path, "flatten the schema, or move repeated parts into \"$defs\" and use \"$ref\"",
				"schema nested more than %d levels deep", JS_MAX_SCHEMA_DEPTH);
		return new_node(c, NULL);
	}
	n = new_node(c, s);
	if (n == NULL)
		return NULL;
	if (s->type == JV_BOOL)
	{
		n->always_false = !s->u.b;
		n->trivial = s->u.b;
		return n;
	}
	if (s->type != JV_OBJECT)
	{
		problem(c, path, "write a schema object such as {\"type\": \"string\"}, or true/false",
				"a schema must be an object or a boolean, found %s", show_value(c->a, s));
		n->trivial = true;
		return n;
	}

	for (i = 0; i < s->u.obj.n && !c->oom; i++)
	{
		const JvPair *pr = &s->u.obj.pairs[i];
		const char *k = pr->key;
		size_t		kl = pr->klen;
		const Jv   *v = pr->val;
		const Keyword *kw;
		PathSeg		p = {path, k, kl, 0};

#define IS(name) (kl == sizeof(name) - 1 && memcmp(k, name, kl) == 0)

		if (kl >= 2 && k[0] == 'x' && k[1] == '-')
			continue;
		kw = find_keyword(k, kl);
		if (kw == NULL)
		{
			problem(c, &p, unknown_keyword_hint(c, k, kl), "unknown keyword %s", show_key(c->a, k, kl));
			continue;
		}
		if (kw->kind == KW_UNSUPPORTED)
		{
			if (IS("nullable"))
			{
				jnullable = v;
				pseg[0] = p;
				pnullable = &pseg[0];
				continue;
			}
			problem(c, &p, kw->hint, "keyword \"%s\" is not supported", kw->name);
			continue;
		}
		if (kw->kind == KW_ANNOTATION)
		{
			if ((IS("title") || IS("description") || IS("$comment") || IS("$schema") || IS("$id")) &&
				v->type != JV_STRING)
				problem(c, &p, NULL, "\"%s\" must be a string, found %s", kw->name, show_value(c->a, v));
			else if ((IS("readOnly") || IS("writeOnly") || IS("deprecated")) && v->type != JV_BOOL)
				problem(c, &p, NULL, "\"%s\" must be true or false, found %s", kw->name, show_value(c->a, v));
			else if (IS("examples") && v->type != JV_ARRAY)
				problem(c, &p, "wrap the example in an array: \"examples\": [ ... ]",
						"\"examples\" must be an array, found %s", show_value(c->a, v));
			continue;
		}
		if (!IS("$defs") && !IS("definitions"))
			annotations_only = false;

		if (IS("type"))
		{
			jtype = v;
			compile_type(c, n, v, &p);
		}
		else if (IS("properties"))
			compile_properties(c, n, v, &p, depth);
		else if (IS("required"))
			compile_required(c, n, v, &p);
		else if (IS("additionalProperties"))
			n->additional = compile_node(c, v, &p, depth + 1);
		else if (IS("minProperties"))
			n->min_props = count_keyword(c, v, &p, kw->name);
		else if (IS("maxProperties"))
			n->max_props = count_keyword(c, v, &p, kw->name);
		else if (IS("items"))
		{
			if (v->type == JV_ARRAY)
				problem(c, &p, "use a single schema for \"items\"; for a fixed sequence of different shapes use an object",
						"\"items\" as an array (tuple validation) is not supported");
			else
				n->items = compile_node(c, v, &p, depth + 1);
		}
		else if (IS("minItems"))
			n->min_items = count_keyword(c, v, &p, kw->name);
		else if (IS("maxItems"))
			n->max_items = count_keyword(c, v, &p, kw->name);
		else if (IS("uniqueItems"))
		{
			if (v->type != JV_BOOL)
				problem(c, &p, NULL, "\"uniqueItems\" must be true or false, found %s", show_value(c->a, v));
			else
				n->unique = v->u.b;
		}
		else if (IS("enum"))
			compile_enum(c, n, v, &p);
		else if (IS("const"))
			n->const_val = v;
		else if (IS("minLength"))
			n->min_len = count_keyword(c, v, &p, kw->name);
		else if (IS("maxLength"))
			n->max_len = count_keyword(c, v, &p, kw->name);
		else if (IS("pattern"))
			compile_pattern(c, n, v, &p);
		else if (IS("format"))
			compile_format(c, n, v, &p);
		else if (IS("minimum"))
			n->has_min = number_keyword(c, v, &p, kw->name, &n->min);
		else if (IS("maximum"))
			n->has_max = number_keyword(c, v, &p, kw->name, &n->max);
		else if (IS("exclusiveMinimum"))
		{
			jxmin = v;
			pseg[1] = p;
		}
		else if (IS("exclusiveMaximum"))
		{
			jxmax = v;
			pseg[2] = p;
		}
		else if (IS("multipleOf"))
		{
			if (number_keyword(c, v, &p, kw->name, &n->mult))
			{
				if (n->mult <= 0)
					problem(c, &p, NULL, "\"multipleOf\" must be greater than 0, found %s", show_value(c->a, v));
				else
					n->has_mult = true;
			}
		}
		else if (IS("allOf"))
			n->all = compile_list(c, v, &p, kw->name, depth, &n->nall);
		else if (IS("anyOf"))
			n->any = compile_list(c, v, &p, kw->name, depth, &n->nany);
		else if (IS("oneOf"))
			n->one = compile_list(c, v, &p, kw->name, depth, &n->none);
		else if (IS("not"))
			n->not = compile_node(c, v, &p, depth + 1);
		else if (IS("$ref"))
		{
			if (v->type != JV_STRING)
				problem(c, &p, "write \"$ref\": \"#/$defs/name\"", "\"$ref\" must be a string, found %s",
						show_value(c->a, v));
			else
			{
				n->ref_str = v->u.str.s;
				n->ref_len = v->u.str.len;
				n->ref_path = path_string(c->a, &p);
				if (grow(c, (void **) &c->refnodes, &c->capref, c->nref, sizeof(JsNode *)))
					c->refnodes[c->nref++] = n;
			}
		}
		else if (IS("$defs") || IS("definitions"))
		{
			size_t		j;

			if (v->type != JV_OBJECT)
			{
				problem(c, &p, NULL, "\"%s\" must be an object mapping names to schemas, found %s",
						kw->name, show_value(c->a, v));
				continue;
			}
			for (j = 0; j < v->u.obj.n; j++)
			{
				PathSeg		dp = {&p, v->u.obj.pairs[j].key, v->u.obj.pairs[j].klen, 0};

				(void) compile_node(c, v->u.obj.pairs[j].val, &dp, depth + 1);
			}
		}
#undef IS
	}
	if (c->oom)
		return NULL;

	/* exclusiveMinimum/Maximum: a number (draft 6+) or a boolean modifying minimum/maximum (draft 4) */
	if (jxmin)
	{
		if (jxmin->type == JV_BOOL)
		{
			if (jxmin->u.b && !n->has_min)
				problem(c, &pseg[1], "write \"exclusiveMinimum\": <number>",
						"\"exclusiveMinimum\": true needs \"minimum\"");
			else if (jxmin->u.b)
			{
				n->has_xmin = true;
				n->xmin = n->min;
				n->has_min = false;
			}
		}
		else
			n->has_xmin = number_keyword(c, jxmin, &pseg[1], "exclusiveMinimum", &n->xmin);
	}
	if (jxmax)
	{
		if (jxmax->type == JV_BOOL)
		{
			if (jxmax->u.b && !n->has_max)
				problem(c, &pseg[2], "write \"exclusiveMaximum\": <number>",
						"\"exclusiveMaximum\": true needs \"maximum\"");
			else if (jxmax->u.b)
			{
				n->has_xmax = true;
				n->xmax = n->max;
				n->has_max = false;
			}
		}
		else
			n->has_xmax = number_keyword(c, jxmax, &pseg[2], "exclusiveMaximum", &n->xmax);
	}

	/* contradictions nothing can satisfy are a designer's mistake: refuse them */
	{
		const PathSeg *at = path;

		if (n->min_len >= 0 && n->max_len >= 0 && n->min_len > n->max_len)
			problem(c, at, NULL, "minLength %lld is greater than maxLength %lld: no string can match",
					(long long) n->min_len, (long long) n->max_len);
		if (n->min_items >= 0 && n->max_items >= 0 && n->min_items > n->max_items)
			problem(c, at, NULL, "minItems %lld is greater than maxItems %lld: no array can match",
					(long long) n->min_items, (long long) n->max_items);
		if (n->min_props >= 0 && n->max_props >= 0 && n->min_props > n->max_props)
			problem(c, at, NULL, "minProperties %lld is greater than maxProperties %lld: no object can match",
					(long long) n->min_props, (long long) n->max_props);
		if (n->has_min && n->has_max && n->min > n->max)
			problem(c, at, NULL, "minimum %s is greater than maximum %s: no number can match",
					show_number(c->a, n->min), show_number(c->a, n->max));
	}

	/* required properties: link to their schemas; refuse ones additionalProperties: false forbids */
	for (i = 0; i < (size_t) n->nreq; i++)
	{
		PathSeg		rp = {path, "required", 8, 0};
		PathSeg		ip = {&rp, NULL, 0, n->req[i].index};

		n->req[i].prop = n->props ? find_prop(n, n->req[i].key, n->req[i].klen) : -1;
		if (n->req[i].prop < 0 && n->additional && n->additional->always_false)
			problem(c, &ip, "add the property under \"properties\", or drop it from \"required\"",
					"required property %s is not allowed by \"additionalProperties\": false",
					show_key(c->a, n->req[i].key, n->req[i].klen));
	}

	if (jnullable)
	{
		const char *hint;

		if (jtype && jtype->type == JV_STRING)
			hint = fmt_text(c->a, "\"nullable\" is OpenAPI 3.0, not JSON Schema: write \"type\": [%s, \"null\"]",
						  show_value(c->a, jtype));
		else
			hint = "\"nullable\" is OpenAPI 3.0, not JSON Schema: write \"type\": [\"string\", \"null\"] (your type plus \"null\")";
		problem(c, pnullable, hint, "keyword \"nullable\" is not supported");
	}

	n->trivial = annotations_only;
	return n;
}

/* same-instance edges: $ref, allOf, anyOf, oneOf, not */
static JsNode *
child_at(JsNode *n, int i)
{
	if (n->ref)
	{
		if (i == 0)
			return n->ref;
		i--;
	}
	if (i < n->nall)
		return n->all[i];
	i -= n->nall;
	if (i < n->nany)
		return n->any[i];
	i -= n->nany;
	if (i < n->none)
		return n->one[i];
	i -= n->none;
	if (i == 0 && n->not)
		return n->not;
	return NULL;
}

typedef struct DfsFrame
{
	JsNode	   *node;
	int			next;
} DfsFrame;

/* refuse $ref loops that never descend into the value: validating them would never end */
static void
check_cycles(Compiler *c)
{
	DfsFrame   *stack;
	size_t		m;

	if (c->nref == 0)
		return;
	stack = jv_alloc(c->a, (c->nmap + 1) * sizeof(DfsFrame));
	if (stack == NULL)
	{
		c->oom = true;
		return;
	}
	for (m = 0; m < c->nmap; m++)
	{
		size_t		top = 0;

		if (c->map[m].node->dfs_state != 0)
			continue;
		stack[top].node = c->map[m].node;
		stack[top].next = 0;
		stack[top].node->dfs_state = 1;
		top = 1;
		while (top > 0)
		{
			DfsFrame   *f = &stack[top - 1];
			JsNode	   *child = child_at(f->node, f->next++);

			if (child == NULL)
			{
				f->node->dfs_state = 2;
				top--;
				continue;
			}
			if (child->dfs_state == 2)
				continue;
			if (child->dfs_state == 1)
			{
				/* a loop: name a $ref on it */
				size_t		k;
				JsNode	   *culprit = NULL;

				for (k = top; k-- > 0;)
				{
					if (stack[k].node->ref)
						culprit = stack[k].node;
					if (stack[k].node == child)
						break;
				}
				if (culprit)
				{
					problem_at(c, culprit->ref_path,
							   "a recursive schema must reach the $ref through \"properties\", \"items\" or \"additionalProperties\"",
							   "\"$ref\" %s loops back to itself without descending into the value",
							   show_key(c->a, culprit->ref_str, culprit->ref_len));
				}
				continue;
			}
			child->dfs_state = 1;
			stack[top].node = child;
			stack[top].next = 0;
			top++;
		}
	}
}

JsSchema *
js_compile(JvArena *arena, const Jv *schema, const JsHooks *hooks,
		   JsError **problems, int *nproblems)
{
	Compiler	c;
	JsSchema   *s;
	size_t		i;

	memset(&c, 0, sizeof(c));
	c.a = arena;
	c.root = schema;
	s = jv_alloc(arena, sizeof(JsSchema));
	if (s == NULL)
		goto oom;
	memset(s, 0, sizeof(JsSchema));
	if (hooks)
		s->hooks = *hooks;
	c.schema = s;

	s->root = compile_node(&c, schema, NULL, 0);
	if (c.oom)
		goto oom;

	/* resolve $refs */
	qsort(c.map, c.nmap, sizeof(MapEntry), cmp_map);
	for (i = 0; i < c.nref; i++)
	{
		JsNode	   *n = c.refnodes[i];
		const char *why = NULL;
		const Jv   *target = resolve_pointer(&c, n->ref_str, n->ref_len, &why);

		if (c.oom)
			goto oom;
		if (target)
		{
			n->ref = map_find(&c, target);
			if (n->ref == NULL)
				why = "the reference points into this schema, but not at a subschema";
		}
		if (n->ref == NULL)
		{
			problem_at(&c, n->ref_path, "write \"$ref\": \"#/$defs/name\" and define the schema under \"$defs\"",
					   "cannot resolve \"$ref\" %s: %s", show_key(arena, n->ref_str, n->ref_len), why);
		}
		else
			n->trivial = false;
	}
	if (c.nproblems == 0)
		check_cycles(&c);
	s->nnodes = c.nmap;
	for (i = 0; i < c.nmap; i++)
		if (c.map[i].node->nany || c.map[i].node->none || c.map[i].node->not)
			s->branches = true;
	if (c.oom)
		goto oom;

	if (nproblems)
		*nproblems = c.nproblems;
	if (problems)
		*problems = c.head;
	if (c.nproblems > 0)
	{
		js_schema_free(s);
		return NULL;
	}
	return s;

oom:
	{
		static JsError oom_error = {"", "out of memory while compiling the schema", NULL, NULL};

		if (s)
			js_schema_free(s);
		if (nproblems)
			*nproblems = c.nproblems ? c.nproblems : 1;
		if (problems)
			*problems = c.head ? c.head : &oom_error;
		return NULL;
	}
}

void
js_schema_free(JsSchema *s)
{
	JsRegexList *r;

	if (s == NULL)
		return;
	for (r = s->regexes; r; r = r->next)
		if (r->re && s->hooks.regex_free)
			s->hooks.regex_free(s->hooks.ctx, r->re);
	s->regexes = NULL;
}

/* ---- formats ------------------------------------------------------------- */

static bool
is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

bool
js_format_uuid(const char *s, size_t len)
{
	size_t		i;

	if (len != 36)
		return false;
	for (i = 0; i < 36; i++)
	{
		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return false;
		}
		else if (!is_hex(s[i]))
			return false;
	}
	return true;
}

static int
digits(const char *s, int n)
{
	int			v = 0,
				i;

	for (i = 0; i < n; i++)
	{
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
days_in_month(int y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

bool
js_format_date(const char *s, size_t len)
{
	int			y,
				m,
				d;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 0 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= days_in_month(y, m);
}

/* RFC 3339 date-time: 2024-02-29T13:45:00.123+01:00 */
bool
js_format_date_time(const char *s, size_t len)
{
	int			hh,
				mm,
				ss,
				oh = 0,
				om = 0,
				sign = 0;
	size_t		i;

	if (len < 20 || !js_format_date(s, 10))
		return false;
	if (s[10] != 'T' && s[10] != 't')
		return false;
	if (s[13] != ':' || s[16] != ':')
		return false;
	hh = digits(s + 11, 2);
	mm = digits(s + 14, 2);
	ss = digits(s + 17, 2);
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
		return false;
	i = 19;
	if (i < len && s[i] == '.')
	{
		size_t		start = ++i;

		while (i < len && is_digit(s[i]))
			i++;
		if (i == start)
			return false;
	}
	if (i >= len)
		return false;
	if (s[i] == 'Z' || s[i] == 'z')
	{
		if (i + 1 != len)
			return false;
	}
	else if (s[i] == '+' || s[i] == '-')
	{
		if (len - i != 6 || s[i + 3] != ':')
			return false;
		sign = s[i] == '+' ? 1 : -1;
		oh = digits(s + i + 1, 2);
		om = digits(s + i + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return false;
	}
	else
		return false;
	if (ss == 60)
	{
		/* a leap second is 23:59:60 UTC */
		int			utc = ((hh * 60 + mm) - sign * (oh * 60 + om)) % 1440;

		if (utc < 0)
			utc += 1440;
		if (utc != 23 * 60 + 59)
			return false;
	}
	return true;
}

static bool
atext(char ch)
{
	return is_alpha(ch) || is_digit(ch) || (ch != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", ch) != NULL);
}

/* addr-spec with a dot-atom local part and a host name domain (RFC 5321/5322) */
bool
js_format_email(const char *s, size_t len)
{
	size_t		at,
				i,
				label = 0;

	if (len > 254)
		return false;
	for (at = len; at > 0; at--)
		if (s[at - 1] == '@')
			break;
	if (at == 0)
		return false;
	at--;
	if (at == 0 || at > 64 || at + 1 >= len)
		return false;
	/* local part */
	for (i = 0; i < at; i++)
	{
		if (s[i] == '.')
		{
			if (i == 0 || i == at - 1 || s[i - 1] == '.')
				return false;
		}
		else if (!atext(s[i]))
			return false;
	}
	/* domain: labels of letters, digits and hyphens, not starting or ending with '-' */
	for (i = at + 1; i <= len; i++)
	{
		if (i == len || s[i] == '.')
		{
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-'))
			return false;
		if (label == 0 && s[i] == '-')
			return false;
		label++;
	}
	return true;
}

/* an absolute URI (RFC 3986): scheme ":" then URI characters, %HH escapes */
bool
js_format_uri(const char *s, size_t len)
{
	size_t		i;
	bool		in_authority = false;
	bool		fragment = false;

	if (len == 0 || !is_alpha(s[0]))
		return false;
	for (i = 1; i < len && s[i] != ':'; i++)
		if (!(is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
			return false;
	if (i >= len)
		return false;
	i++;
	if (i + 1 < len && s[i] == '/' && s[i + 1] == '/')
	{
		in_authority = true;
		i += 2;
	}
	for (; i < len; i++)
	{
		char		ch = s[i];

		if (ch == '%')
		{
			if (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return false;
			i += 2;
			continue;
		}
		if (ch == '/' || ch == '?')
			in_authority = false;
		if (ch == '#')
		{
			if (fragment)
				return false;
			fragment = true;
			in_authority = false;
			continue;
		}
		if (ch == '[' || ch == ']')
		{
			if (!in_authority)
				return false;
			continue;
		}
		if (is_alpha(ch) || is_digit(ch))
			continue;
		if (ch != '\0' && strchr("-._~:/?@!$&'()*+,;=", ch) != NULL)
			continue;
		return false;
	}
	return true;
}

/* ---- validation ---------------------------------------------------------- */

/*
 * anyOf/oneOf/not nested in each other can make validation exponential in the
 * schema's nesting; such schemas get a work budget proportional to schema
 * size x value size, and running out is an error (the value is not accepted).
 */
typedef struct Budget
{
	uint64_t	left;
	bool		exhausted;
} Budget;

typedef struct Vctx
{
	const JsSchema *s;
	Budget	   *budget;			/* NULL = unlimited */
	JvArena    *a;
	bool		collect;		/* build messages (else count only) */
	bool		stop;			/* stop at the first error */
	bool		brief;			/* inside first_error: no nested alternatives detail */
	int			nerr;
	int			depth;
	JsError    *head;
	JsError    *tail;
} Vctx;

#define VDONE(v) ((v)->stop && (v)->nerr > 0)

static void
verror(Vctx *v, const PathSeg *p, const char *fmt,...) JS_PRINTF(3, 4);

static void
verror(Vctx *v, const PathSeg *p, const char *fmt,...)
{
	va_list		ap;
	JsError    *e;

	v->nerr++;
	if (!v->collect || (v->budget && v->budget->exhausted))
		return;					/* out of budget: only the final "gave up" is reported */
	e = jv_alloc(v->a, sizeof(JsError));
	if (e == NULL)
		return;
	va_start(ap, fmt);
	e->message = vformat(v->a, fmt, ap);
	va_end(ap);
	e->path = path_string(v->a, p);
	e->hint = NULL;
	e->next = NULL;
	if (e->message == NULL || e->path == NULL)
		return;
	if (v->tail)
		v->tail->next = e;
	else
		v->head = e;
	v->tail = e;
}

static void validate(Vctx *v, const JsNode *n, const Jv *x, const PathSeg *p);

/* does x match n? (no messages, stops at the first error) */
static bool
matches(Vctx *v, const JsNode *n, const Jv *x, const PathSeg *p)
{
	Vctx		sub = *v;

	sub.collect = false;
	sub.stop = true;
	sub.nerr = 0;
	sub.head = sub.tail = NULL;
	validate(&sub, n, x, p);
	return sub.nerr == 0;
}

/* the first error x has against n, as "path: message" */
static const char *
first_error(Vctx *v, const JsNode *n, const Jv *x, const PathSeg *p)
{
	Vctx		sub = *v;

	sub.collect = true;
	sub.stop = true;
	sub.brief = true;
	sub.nerr = 0;
	sub.head = sub.tail = NULL;
	validate(&sub, n, x, p);
	if (sub.head == NULL)
		return "fails";
	if (sub.head->path[0] == '\0')
		return sub.head->message;
	return fmt_text(v->a, "at %s: %s", sub.head->path, sub.head->message);
}

static void
report_no_branch(Vctx *v, JsNode **list, int count, const char *kw, const Jv *x, const PathSeg *p)
{
	JvBuf		b;
	int			i;

	if (!v->collect || (v->budget && v->budget->exhausted))
	{
		v->nerr++;
		return;
	}
	if (v->brief)
	{
		verror(v, p, "value matches none of the %d schemas in \"%s\"", count, kw);
		return;
	}
	jv_buf_init(&b, v->a);
	for (i = 0; i < count && i < 4; i++)
	{
		const char *fe = first_error(v, list[i], x, p);

		if (i > 0)
			jv_buf_append(&b, "; ", 2);
		jv_buf_appendc(&b, '#');
		{
			char		num[16];
			int			k = snprintf(num, sizeof(num), "%d", i);

			jv_buf_append(&b, num, k);
		}
		jv_buf_append(&b, ": ", 2);
		jv_buf_append(&b, fe, strlen(fe));
	}
	if (count > 4)
		jv_buf_append(&b, "; ...", 5);
	verror(v, p, "value matches none of the %d schemas in \"%s\" (%s)", count, kw,
		   b.failed ? "..." : jv_buf_cstring(&b));
}

static bool
type_ok(uint32_t types, const Jv *x)
{
	switch (x->type)
	{
		case JV_NULL:
			return types & JT_NULL;
		case JV_BOOL:
			return types & JT_BOOLEAN;
		case JV_OBJECT:
			return types & JT_OBJECT;
		case JV_ARRAY:
			return types & JT_ARRAY;
		case JV_STRING:
			return types & JT_STRING;
		case JV_NUMBER:
			return (types & JT_NUMBER) || ((types & JT_INTEGER) && is_integral(x->u.num));
	}
	return false;
}

static bool
enum_contains(const JsNode *n, const Jv *x)
{
	uint64_t	h = hash_value(x, 0);
	int			lo = 0,
				hi = n->nenum;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (n->enums[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n->nenum && n->enums[lo].hash == h; lo++)
		if (jv_equal(n->enums[lo].val, x))
			return true;
	return false;
}

static const char *
enum_text(JvArena *a, const Jv *list)
{
	JvBuf		b;
	size_t		i;

	jv_buf_init(&b, a);
	for (i = 0; i < list->u.arr.n && i < 10; i++)
	{
		const char *t = show_value(a, list->u.arr.items[i]);

		if (i > 0)
			jv_buf_append(&b, ", ", 2);
		jv_buf_append(&b, t, strlen(t));
	}
	if (list->u.arr.n > 10)
	{
		char		more[48];
		int			k = snprintf(more, sizeof(more), ", ... (%zu values)", list->u.arr.n);

		jv_buf_append(&b, more, k);
	}
	return b.failed ? "..." : jv_buf_cstring(&b);
}

static const char *
allowed_text(JvArena *a, const JsNode *n)
{
	JvBuf		b;
	int			i;

	if (n->nprops == 0)
		return "no properties are allowed";
	jv_buf_init(&b, a);
	jv_buf_append(&b, "allowed: ", 9);
	for (i = 0; i < n->nprops && i < 12; i++)
	{
		const char *t = show_key(a, n->props[i].key, n->props[i].klen);

		if (i > 0)
			jv_buf_append(&b, ", ", 2);
		jv_buf_append(&b, t, strlen(t));
	}
	if (n->nprops > 12)
		jv_buf_append(&b, ", ...", 5);
	return b.failed ? "..." : jv_buf_cstring(&b);
}

typedef struct UniqEntry
{
	uint64_t	hash;
	size_t		index;
} UniqEntry;

static int
cmp_uniq(const void *x, const void *y)
{
	const UniqEntry *a = x;
	const UniqEntry *b = y;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index ? 1 : 0;
}

static int
cmp_uniq_index(const void *x, const void *y)
{
	const UniqEntry *a = x;
	const UniqEntry *b = y;

	return a->index < b->index ? -1 : a->index > b->index ? 1 : 0;
}

static void
check_unique(Vctx *v, const Jv *x, const PathSeg *p)
{
	size_t		n = x->u.arr.n,
				i,
				j;

	if (n < 2)
		return;
	if (n <= 16)
	{
		for (i = 1; i < n; i++)
			for (j = 0; j < i; j++)
				if (jv_equal(x->u.arr.items[i], x->u.arr.items[j]))
				{
					PathSeg		ip = {p, NULL, 0, i};

					verror(v, &ip, "duplicate of item %zu (uniqueItems)", j);
					if (VDONE(v))
						return;
					break;
				}
		return;
	}
	{
		UniqEntry  *e = jv_alloc(v->a, n * sizeof(UniqEntry));
		UniqEntry  *dups;
		size_t		ndups = 0;
		size_t		group = 0;

		if (e == NULL)
		{
			verror(v, p, "out of memory checking uniqueItems");
			return;
		}
		for (i = 0; i < n; i++)
		{
			e[i].hash = hash_value(x->u.arr.items[i], 0);
			e[i].index = i;
		}
		qsort(e, n, sizeof(UniqEntry), cmp_uniq);
		/* dups[k] = (index of the first occurrence, index of the duplicate), reusing hash */
		dups = jv_alloc(v->a, n * sizeof(UniqEntry));
		if (dups == NULL)
		{
			verror(v, p, "out of memory checking uniqueItems");
			return;
		}
		for (i = 1; i < n; i++)
		{
			if (e[i].hash != e[group].hash)
			{
				group = i;
				continue;
			}
			/* the earliest equal item of the same hash group (sorted by index) */
			for (j = group; j < i; j++)
				if (jv_equal(x->u.arr.items[e[i].index], x->u.arr.items[e[j].index]))
				{
					dups[ndups].hash = e[j].index;
					dups[ndups].index = e[i].index;
					ndups++;
					break;
				}
			if (ndups > 0 && !v->collect)
				break;
		}
		qsort(dups, ndups, sizeof(UniqEntry), cmp_uniq_index);
		for (i = 0; i < ndups && i < 100; i++)
		{
			PathSeg		ip = {p, NULL, 0, dups[i].index};

			verror(v, &ip, "duplicate of item %zu (uniqueItems)", (size_t) dups[i].hash);
			if (VDONE(v))
				return;
		}
	}
}

static void
validate_object(Vctx *v, const JsNode *n, const Jv *x, const PathSeg *p)
{
	uint64_t	seenbits = 0;
	bool	   *seen = NULL;
	size_t		i;
	int			r;

	if (n->nprops > 64 && n->nreq > 0)
	{
		seen = jv_alloc(v->a, n->nprops);
		if (seen == NULL)
		{
			verror(v, p, "out of memory validating an object");
			return;
		}
		memset(seen, 0, n->nprops);
	}
	if (n->nprops > 0 || n->additional)
	{
		for (i = 0; i < x->u.obj.n; i++)
		{
			const JvPair *pr = &x->u.obj.pairs[i];
			int			pi = n->nprops ? find_prop(n, pr->key, pr->klen) : -1;
			PathSeg		cp = {p, pr->key, pr->klen, 0};

			if (pi >= 0)
			{
				if (seen)
					seen[pi] = true;
				else if (pi < 64)
					seenbits |= (uint64_t) 1 << pi;
				validate(v, n->props[pi].schema, pr->val, &cp);
			}
			else if (n->additional)
			{
				if (n->additional->always_false)
				{
					if (v->collect)
						verror(v, &cp, "property %s is not allowed (%s)",
							   show_key(v->a, pr->key, pr->klen), allowed_text(v->a, n));
					else
						v->nerr++;
				}
				else
					validate(v, n->additional, pr->val, &cp);
			}
			if (VDONE(v))
				return;
		}
	}
	for (r = 0; r < n->nreq; r++)
	{
		const JsReq *q = &n->req[r];
		bool		present;

		if (q->prop >= 0)
			present = seen ? seen[q->prop] : ((seenbits >> q->prop) & 1) != 0;
		else
			present = jv_object_get(x, q->key, q->klen) != NULL;
		if (!present)
		{
			PathSeg		cp = {p, q->key, q->klen, 0};

			if (v->collect)
				verror(v, &cp, "required property %s is missing", show_key(v->a, q->key, q->klen));
			else
				v->nerr++;
			if (VDONE(v))
				return;
		}
	}
	if (n->min_props >= 0 && x->u.obj.n < (uint64_t) n->min_props)
		verror(v, p, "number of properties %zu is less than minProperties %lld",
			   x->u.obj.n, (long long) n->min_props);
	if (n->max_props >= 0 && x->u.obj.n > (uint64_t) n->max_props)
		verror(v, p, "number of properties %zu is greater than maxProperties %lld",
			   x->u.obj.n, (long long) n->max_props);
}

static void
validate_array(Vctx *v, const JsNode *n, const Jv *x, const PathSeg *p)
{
	size_t		i;

	if (n->min_items >= 0 && x->u.arr.n < (uint64_t) n->min_items)
	{
		verror(v, p, "array length %zu is less than minItems %lld", x->u.arr.n, (long long) n->min_items);
		if (VDONE(v))
			return;
	}
	if (n->max_items >= 0 && x->u.arr.n > (uint64_t) n->max_items)
	{
		verror(v, p, "array length %zu is greater than maxItems %lld", x->u.arr.n, (long long) n->max_items);
		if (VDONE(v))
			return;
	}
	if (n->items && !n->items->trivial)
	{
		for (i = 0; i < x->u.arr.n; i++)
		{
			PathSeg		cp = {p, NULL, 0, i};

			if (n->items->always_false)
				verror(v, &cp, "no items are allowed (\"items\": false)");
			else
				validate(v, n->items, x->u.arr.items[i], &cp);
			if (VDONE(v))
				return;
		}
	}
	if (n->unique)
		check_unique(v, x, p);
}

static void
validate_string(Vctx *v, const JsNode *n, const Jv *x, const PathSeg *p)
{
	const char *s = x->u.str.s;
	size_t		len = x->u.str.len;

	if (n->min_len >= 0 || n->max_len >= 0)
	{
		size_t		chars = utf8_length(s, len);

		if (n->min_len >= 0 && chars < (uint64_t) n->min_len)
			verror(v, p, "string length %zu is less than minLength %lld",
				   chars, (long long) n->min_len);
		if (n->max_len >= 0 && chars > (uint64_t) n->max_len)
			verror(v, p, "string length %zu is greater than maxLength %lld",
				   chars, (long long) n->max_len);
		if (VDONE(v))
			return;
	}
	if (n->re && !v->s->hooks.regex_match(v->s->hooks.ctx, n->re, s, len))
	{
		if (v->collect)
			verror(v, p, "string %s does not match pattern %s", show_value(v->a, x),
				   show_key(v->a, n->pattern, strlen(n->pattern)));
		else
			v->nerr++;
		if (VDONE(v))
			return;
	}
	if (n->format != JF_NONE)
	{
		bool		ok = false;

		switch (n->format)
		{
			case JF_UUID:
				ok = js_format_uuid(s, len);
				break;
			case JF_EMAIL:
				ok = js_format_email(s, len);
				break;
			case JF_DATE:
				ok = js_format_date(s, len);
				break;
			case JF_DATE_TIME:
				ok = js_format_date_time(s, len);
				break;
			case JF_URI:
				ok = js_format_uri(s, len);
				break;
			case JF_NONE:
				ok = true;
				break;
		}
		if (!ok)
		{
			if (v->collect)
				verror(v, p, "string %s is not a valid %s", show_value(v->a, x), format_names[n->format]);
			else
				v->nerr++;
		}
	}
}

static void
validate_number(Vctx *v, const JsNode *n, const Jv *x, const PathSeg *p)
{
	double		d = x->u.num;

#define NUMERR(cond, fmt, bound) \
	do { \
		if (cond) \
		{ \
			if (v->collect) \
				verror(v, p, fmt, show_number(v->a, d), show_number(v->a, bound)); \
			else \
				v->nerr++; \
			if (VDONE(v)) \
				return; \
		} \
	} while (0)

	if (n->has_min)
		NUMERR(d < n->min, "%s is less than minimum %s", n->min);
	if (n->has_xmin)
		NUMERR(d <= n->xmin, "%s is not greater than exclusiveMinimum %s", n->xmin);
	if (n->has_max)
		NUMERR(d > n->max, "%s is greater than maximum %s", n->max);
	if (n->has_xmax)
		NUMERR(d >= n->xmax, "%s is not less than exclusiveMaximum %s", n->xmax);
	if (n->has_mult)
	{
		double		q = d / n->mult;
		bool		ok = isfinite(q) && fabs(q - nearbyint(q)) <= 1e-9 * (fabs(q) > 1 ? fabs(q) : 1);

		NUMERR(!ok, "%s is not a multiple of %s", n->mult);
	}
#undef NUMERR
}

static void
validate(Vctx *v, const JsNode *n, const Jv *x, const PathSeg *p)
{
	int			i;

	if (n->trivial)
		return;
	if (n->always_false)
	{
		verror(v, p, "no value is allowed here (schema false)");
		return;
	}
	if (v->budget)
	{
		if (v->budget->left == 0)
		{
			v->budget->exhausted = true;
			v->nerr++;
			return;
		}
		v->budget->left--;
	}
	if (v->s->hooks.check)
		v->s->hooks.check(v->s->hooks.ctx);
	if (++v->depth > JS_MAX_VALIDATE_DEPTH)
	{
		verror(v, p, "value nested too deeply to validate (more than %d levels of schema)", JS_MAX_VALIDATE_DEPTH);
		v->depth--;
		return;
	}

	if (n->types && !type_ok(n->types, x))
	{
		if (!v->collect)
			v->nerr++;
		else if (x->type == JV_NUMBER && (n->types & JT_INTEGER))
			verror(v, p, "expected %s, found non-integer number %s", types_text(v->a, n->types),
				   show_number(v->a, x->u.num));
		else
			verror(v, p, "expected %s, found %s", types_text(v->a, n->types), jv_type_name(x->type));
		/* the type-specific keywords do not apply; the rest would only repeat the problem */
		goto out;
	}

	switch (x->type)
	{
		case JV_OBJECT:
			if (n->nprops || n->additional || n->nreq || n->min_props >= 0 || n->max_props >= 0)
				validate_object(v, n, x, p);
			break;
		case JV_ARRAY:
			if (n->items || n->min_items >= 0 || n->max_items >= 0 || n->unique)
				validate_array(v, n, x, p);
			break;
		case JV_STRING:
			if (n->min_len >= 0 || n->max_len >= 0 || n->re || n->format)
				validate_string(v, n, x, p);
			break;
		case JV_NUMBER:
			if (n->has_min || n->has_max || n->has_xmin || n->has_xmax || n->has_mult)
				validate_number(v, n, x, p);
			break;
		default:
			break;
	}
	if (VDONE(v))
		goto out;

	if (n->nenum && !enum_contains(n, x))
	{
		if (v->collect)
			verror(v, p, "value %s is not one of %s", show_value(v->a, x), enum_text(v->a, n->enum_src));
		else
			v->nerr++;
		if (VDONE(v))
			goto out;
	}
	if (n->const_val && !jv_equal(n->const_val, x))
	{
		if (v->collect)
			verror(v, p, "value %s is not the constant %s", show_value(v->a, x), show_value(v->a, n->const_val));
		else
			v->nerr++;
		if (VDONE(v))
			goto out;
	}
	if (n->ref)
	{
		validate(v, n->ref, x, p);
		if (VDONE(v))
			goto out;
	}
	for (i = 0; i < n->nall; i++)
	{
		validate(v, n->all[i], x, p);
		if (VDONE(v))
			goto out;
	}
	if (n->nany)
	{
		bool		ok = false;

		for (i = 0; i < n->nany && !ok; i++)
			ok = matches(v, n->any[i], x, p);
		if (!ok)
			report_no_branch(v, n->any, n->nany, "anyOf", x, p);
		if (VDONE(v))
			goto out;
	}
	if (n->none)
	{
		int			first = -1,
					second = -1;

		for (i = 0; i < n->none && second < 0; i++)
			if (matches(v, n->one[i], x, p))
			{
				if (first < 0)
					first = i;
				else
					second = i;
			}
		if (first < 0)
			report_no_branch(v, n->one, n->none, "oneOf", x, p);
		else if (second >= 0)
			verror(v, p, "value matches more than one schema in \"oneOf\" (#%d and #%d)", first, second);
		if (VDONE(v))
			goto out;
	}
	if (n->not && matches(v, n->not, x, p))
		verror(v, p, "value must not match the schema in \"not\"");
out:
	v->depth--;
}

/* number of values in v (v itself, array items, object members, recursively) */
static uint64_t
count_values(const Jv *v)
{
	uint64_t	n = 1;
	size_t		i;

	if (v->type == JV_ARRAY)
		for (i = 0; i < v->u.arr.n; i++)
			n += v->u.arr.items[i]->type >= JV_ARRAY ? count_values(v->u.arr.items[i]) : 1;
	else if (v->type == JV_OBJECT)
		for (i = 0; i < v->u.obj.n; i++)
			n += v->u.obj.pairs[i].val->type >= JV_ARRAY ? count_values(v->u.obj.pairs[i].val) : 1;
	return n;
}

int
js_validate(const JsSchema *s, const Jv *value, JvArena *scratch,
			bool stop_at_first, JsError **errors)
{
	Vctx		v;
	Budget		budget;

	memset(&v, 0, sizeof(v));
	v.s = s;
	v.a = scratch;
	v.collect = errors != NULL;
	v.stop = stop_at_first;
	if (s->branches)
	{
		uint64_t	size = count_values(value);

		budget.left = 1000000 + 4 * (uint64_t) s->nnodes * size;
		budget.exhausted = false;
		v.budget = &budget;
	}
	validate(&v, s->root, value, NULL);
	if (v.budget && budget.exhausted)
	{
		v.budget = NULL;
		verror(&v, NULL, "validation gave up: the schema's anyOf/oneOf/not alternatives need too much work for this value");
	}
	if (errors)
		*errors = v.head;
	return v.nerr;
}
