/*
 * jval.c — arena, constructors, JSON text in and out.  No PostgreSQL headers:
 * this file is linked into the standalone fuzz targets as well.
 */
#include "jval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JV_BLOCK_MIN	8192

struct JvBlock
{
	JvBlock    *next;
	size_t		size;
	size_t		used;
	/* payload follows, max-aligned */
	double		payload[];
};

static void *
malloc_block(void *ctx, size_t size)
{
	(void) ctx;
	return malloc(size);
}

static void
free_block(void *ctx, void *p)
{
	(void) ctx;
	free(p);
}

void
jv_arena_init(JvArena *a)
{
	memset(a, 0, sizeof(*a));
	a->block_alloc = malloc_block;
	a->block_free = free_block;
}

void
jv_arena_reset(JvArena *a)
{
	JvBlock    *b = a->head;

	while (b)
	{
		JvBlock    *next = b->next;

		a->block_free(a->ctx, b);
		b = next;
	}
	a->head = NULL;
	a->used = 0;
	a->exhausted = false;
}

void *
jv_alloc(JvArena *a, size_t size)
{
	JvBlock    *b = a->head;
	void	   *p;

	size = (size + 15) & ~(size_t) 15;
	if (a->limit && a->used + size > a->limit)
	{
		a->exhausted = true;
		return NULL;
	}
	if (b == NULL || b->size - b->used < size)
	{
		size_t		bsize = size > JV_BLOCK_MIN ? size : JV_BLOCK_MIN;

		if (b && b->size * 2 > bsize && b->size < (1 << 20))
			bsize = b->size * 2 > size ? b->size * 2 : size;
		b = a->block_alloc(a->ctx, sizeof(JvBlock) + bsize);
		if (b == NULL)
		{
			a->exhausted = true;
			return NULL;
		}
		b->size = bsize;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = (char *) b->payload + b->used;
	b->used += size;
	a->used += size;
	return p;
}

char *
jv_strndup(JvArena *a, const char *s, size_t len)
{
	char	   *p = jv_alloc(a, len + 1);

	if (p == NULL)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static Jv *
jv_new(JvArena *a, JvType t)
{
	Jv		   *v = jv_alloc(a, sizeof(Jv));

	if (v == NULL)
		return NULL;
	memset(v, 0, sizeof(Jv));
	v->type = t;
	return v;
}

Jv *
jv_null(JvArena *a)
{
	return jv_new(a, JV_NULL);
}

Jv *
jv_bool(JvArena *a, bool b)
{
	Jv		   *v = jv_new(a, JV_BOOL);

	if (v)
		v->u.b = b;
	return v;
}

Jv *
jv_number(JvArena *a, double d)
{
	Jv		   *v = jv_new(a, JV_NUMBER);

	if (v)
		v->u.num = d;
	return v;
}

Jv *
jv_string_nocopy(JvArena *a, const char *s, size_t len)
{
	Jv		   *v = jv_new(a, JV_STRING);

	if (v)
	{
		v->u.str.s = s;
		v->u.str.len = len;
	}
	return v;
}

Jv *
jv_string(JvArena *a, const char *s, size_t len)
{
	char	   *copy = jv_strndup(a, s, len);

	return copy ? jv_string_nocopy(a, copy, len) : NULL;
}

Jv *
jv_array(JvArena *a, size_t cap)
{
	Jv		   *v = jv_new(a, JV_ARRAY);

	if (v && cap)
	{
		v->u.arr.items = jv_alloc(a, cap * sizeof(Jv *));
		if (v->u.arr.items == NULL)
			return NULL;
		v->u.arr.cap = cap;
	}
	return v;
}

Jv *
jv_object(JvArena *a, size_t cap)
{
	Jv		   *v = jv_new(a, JV_OBJECT);

	if (v && cap)
	{
		v->u.obj.pairs = jv_alloc(a, cap * sizeof(JvPair));
		if (v->u.obj.pairs == NULL)
			return NULL;
		v->u.obj.cap = cap;
	}
	return v;
}

bool
jv_array_push(JvArena *a, Jv *arr, Jv *v)
{
	if (arr->u.arr.n == arr->u.arr.cap)
	{
		size_t		ncap = arr->u.arr.cap ? arr->u.arr.cap * 2 : 4;
		Jv		  **items = jv_alloc(a, ncap * sizeof(Jv *));

		if (items == NULL)
			return false;
		if (arr->u.arr.n)
			memcpy(items, arr->u.arr.items, arr->u.arr.n * sizeof(Jv *));
		arr->u.arr.items = items;
		arr->u.arr.cap = ncap;
	}
	arr->u.arr.items[arr->u.arr.n++] = v;
	return true;
}

Jv *
jv_object_get(const Jv *obj, const char *key, size_t klen)
{
	size_t		i;

	if (obj == NULL || obj->type != JV_OBJECT)
		return NULL;
	for (i = 0; i < obj->u.obj.n; i++)
	{
		const JvPair *p = &obj->u.obj.pairs[i];

		if (p->klen == klen && memcmp(p->key, key, klen) == 0)
			return p->val;
	}
	return NULL;
}

bool
jv_object_set(JvArena *a, Jv *obj, const char *key, size_t klen, Jv *v)
{
	size_t		i;

	for (i = 0; i < obj->u.obj.n; i++)
	{
		JvPair	   *p = &obj->u.obj.pairs[i];

		if (p->klen == klen && memcmp(p->key, key, klen) == 0)
		{
			p->val = v;
			return true;
		}
	}
	if (obj->u.obj.n == obj->u.obj.cap)
	{
		size_t		ncap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 4;
		JvPair	   *pairs = jv_alloc(a, ncap * sizeof(JvPair));

		if (pairs == NULL)
			return false;
		if (obj->u.obj.n)
			memcpy(pairs, obj->u.obj.pairs, obj->u.obj.n * sizeof(JvPair));
		obj->u.obj.pairs = pairs;
		obj->u.obj.cap = ncap;
	}
	obj->u.obj.pairs[obj->u.obj.n].key = key;
	obj->u.obj.pairs[obj->u.obj.n].klen = klen;
	obj->u.obj.pairs[obj->u.obj.n].val = v;
	obj->u.obj.n++;
	return true;
}

bool
jv_equal(const Jv *x, const Jv *y)
{
	size_t		i;

	if (x == y)
		return true;
	if (x == NULL || y == NULL || x->type != y->type)
		return false;
	switch (x->type)
	{
		case JV_NULL:
			return true;
		case JV_BOOL:
			return x->u.b == y->u.b;
		case JV_NUMBER:
			return x->u.num == y->u.num;
		case JV_STRING:
			return x->u.str.len == y->u.str.len &&
				memcmp(x->u.str.s, y->u.str.s, x->u.str.len) == 0;
		case JV_ARRAY:
			if (x->u.arr.n != y->u.arr.n)
				return false;
			for (i = 0; i < x->u.arr.n; i++)
				if (!jv_equal(x->u.arr.items[i], y->u.arr.items[i]))
					return false;
			return true;
		case JV_OBJECT:
			if (x->u.obj.n != y->u.obj.n)
				return false;
			for (i = 0; i < x->u.obj.n; i++)
			{
				const JvPair *p = &x->u.obj.pairs[i];

				if (!jv_equal(p->val, jv_object_get(y, p->key, p->klen)))
					return false;
			}
			return true;
	}
	return false;
}

const char *
jv_type_name(JvType t)
{
	switch (t)
	{
		case JV_NULL:
			return "null";
		case JV_BOOL:
			return "boolean";
		case JV_NUMBER:
			return "number";
		case JV_STRING:
			return "string";
		case JV_ARRAY:
			return "array";
		case JV_OBJECT:
			return "object";
	}
	return "unknown";
}

/* ---- buffers ------------------------------------------------------------- */

void
jv_buf_init(JvBuf *b, JvArena *a)
{
	memset(b, 0, sizeof(*b));
	b->arena = a;
}

static bool
jv_buf_reserve(JvBuf *b, size_t extra)
{
	size_t		ncap;
	char	   *nd;

	if (b->failed)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	ncap = b->cap ? b->cap * 2 : 64;
	while (ncap < b->len + extra + 1)
		ncap *= 2;
	nd = jv_alloc(b->arena, ncap);
	if (nd == NULL)
	{
		b->failed = true;
		return false;
	}
	if (b->len)
		memcpy(nd, b->data, b->len);
	b->data = nd;
	b->cap = ncap;
	return true;
}

void
jv_buf_append(JvBuf *b, const char *s, size_t len)
{
	if (!jv_buf_reserve(b, len))
		return;
	memcpy(b->data + b->len, s, len);
	b->len += len;
}

void
jv_buf_appendc(JvBuf *b, char c)
{
	if (!jv_buf_reserve(b, 1))
		return;
	b->data[b->len++] = c;
}

const char *
jv_buf_cstring(JvBuf *b)
{
	if (!jv_buf_reserve(b, 0))
		return NULL;
	b->data[b->len] = '\0';
	return b->data;
}

/* ---- numbers ------------------------------------------------------------- */

int
jv_format_number(double d, char *buf)
{
	char		digits[32];
	int			ndig;
	int			exp10;
	int			prec;
	char	   *p;
	char	   *e;
	int			n = 0;
	bool		neg;

	if (isnan(d))
		return sprintf(buf, "NaN");
	if (isinf(d))
		return sprintf(buf, d < 0 ? "-Infinity" : "Infinity");
	if (d == 0)
		return sprintf(buf, "0");

	/*
	 * Fast path, exact: for 1e-6 <= |d| < 2^53, the shortest decimal with k
	 * fractional digits is m / 10^k for the smallest k whose rounded
	 * m = d * 10^k divides back to d (both operands exact, the division
	 * correctly rounded, so this is the same test as strtod round-tripping).
	 * Ties, where two neighbours could qualify, go to the slow path.
	 */
	{
		static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
		double		a = fabs(d);
		int			k;

		if (a >= 1e-6 && a < 9007199254740992.0)
			for (k = 0; k <= 22; k++)
			{
				double		scaled = a * p10[k];
				double		m;

				if (scaled >= 9007199254740992.0)
					break;
				m = floor(scaled + 0.5);
				if (fabs(scaled - m) > 0.49)
					break;
				if (m / p10[k] == a)
				{
					char		tmp[32];
					int			len = 0;
					int			o = 0;
					uint64_t	u = (uint64_t) m;
					char		rev[32];

					do
					{
						rev[len++] = (char) ('0' + u % 10);
						u /= 10;
					} while (u);
					for (o = 0; o < len; o++)
						tmp[o] = rev[len - 1 - o];
					o = 0;

					if (d < 0)
						buf[o++] = '-';
					if (k == 0)
					{
						memcpy(buf + o, tmp, len);
						o += len;
					}
					else if (len > k)
					{
						memcpy(buf + o, tmp, len - k);
						o += len - k;
						buf[o++] = '.';
						memcpy(buf + o, tmp + len - k, k);
						o += k;
					}
					else
					{
						int			z;

						buf[o++] = '0';
						buf[o++] = '.';
						for (z = 0; z < k - len; z++)
							buf[o++] = '0';
						memcpy(buf + o, tmp, len);
						o += len;
					}
					buf[o] = '\0';
					return o;
				}
			}
	}

	/* shortest %.Ne that round-trips, as JavaScript does */
	for (prec = 1; prec <= 17; prec++)
	{
		snprintf(digits, sizeof(digits), "%.*e", prec - 1, d);
		if (strtod(digits, NULL) == d)
			break;
	}
	neg = digits[0] == '-';
	p = digits + (neg ? 1 : 0);
	e = strchr(p, 'e');
	exp10 = atoi(e + 1);
	/* collect mantissa digits without the point */
	{
		char		m[24];
		int			k = 0;
		char	   *q;

		for (q = p; q < e; q++)
			if (*q != '.')
				m[k++] = *q;
		while (k > 1 && m[k - 1] == '0')
			k--;
		m[k] = '\0';
		ndig = k;

		if (neg)
			buf[n++] = '-';
		if (exp10 >= 21 || exp10 <= -7)
		{
			buf[n++] = m[0];
			if (ndig > 1)
			{
				buf[n++] = '.';
				memcpy(buf + n, m + 1, ndig - 1);
				n += ndig - 1;
			}
			n += sprintf(buf + n, "e%c%d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
		}
		else if (exp10 < 0)
		{
			int			z;

			buf[n++] = '0';
			buf[n++] = '.';
			for (z = 0; z < -exp10 - 1; z++)
				buf[n++] = '0';
			memcpy(buf + n, m, ndig);
			n += ndig;
		}
		else if (ndig <= exp10 + 1)
		{
			int			z;

			memcpy(buf + n, m, ndig);
			n += ndig;
			for (z = ndig; z < exp10 + 1; z++)
				buf[n++] = '0';
		}
		else
		{
			memcpy(buf + n, m, exp10 + 1);
			n += exp10 + 1;
			buf[n++] = '.';
			memcpy(buf + n, m + exp10 + 1, ndig - exp10 - 1);
			n += ndig - exp10 - 1;
		}
	}
	buf[n] = '\0';
	return n;
}

/* ---- serializer ---------------------------------------------------------- */

void
jv_buf_append_json_string(JvBuf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t		i;
	size_t		run = 0;

	jv_buf_appendc(b, '"');
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		const char *esc = NULL;
		char		u[7];

		switch (c)
		{
			case '"':
				esc = "\\\"";
				break;
			case '\\':
				esc = "\\\\";
				break;
			case '\n':
				esc = "\\n";
				break;
			case '\r':
				esc = "\\r";
				break;
			case '\t':
				esc = "\\t";
				break;
			case '\b':
				esc = "\\b";
				break;
			case '\f':
				esc = "\\f";
				break;
			default:
				if (c < 0x20)
				{
					u[0] = '\\';
					u[1] = 'u';
					u[2] = '0';
					u[3] = '0';
					u[4] = hex[c >> 4];
					u[5] = hex[c & 15];
					u[6] = '\0';
					esc = u;
				}
		}
		if (esc)
		{
			if (run)
				jv_buf_append(b, s + i - run, run);
			run = 0;
			jv_buf_append(b, esc, strlen(esc));
		}
		else
			run++;
	}
	if (run)
		jv_buf_append(b, s + len - run, run);
	jv_buf_appendc(b, '"');
}

static void
indent(JvBuf *b, int pretty, int level)
{
	int			i;

	if (pretty <= 0)
		return;
	jv_buf_appendc(b, '\n');
	for (i = 0; i < pretty * level; i++)
		jv_buf_appendc(b, ' ');
}

static void
serialize(JvBuf *b, const Jv *v, int pretty, int level)
{
	char		num[32];
	size_t		i;

	if (v == NULL)
	{
		jv_buf_append(b, "null", 4);
		return;
	}
	switch (v->type)
	{
		case JV_NULL:
			jv_buf_append(b, "null", 4);
			break;
		case JV_BOOL:
			if (v->u.b)
				jv_buf_append(b, "true", 4);
			else
				jv_buf_append(b, "false", 5);
			break;
		case JV_NUMBER:
			if (!isfinite(v->u.num))
				jv_buf_append(b, "null", 4);
			else
				jv_buf_append(b, num, jv_format_number(v->u.num, num));
			break;
		case JV_STRING:
			jv_buf_append_json_string(b, v->u.str.s, v->u.str.len);
			break;
		case JV_ARRAY:
			jv_buf_appendc(b, '[');
			for (i = 0; i < v->u.arr.n; i++)
			{
				if (i)
					jv_buf_appendc(b, ',');
				indent(b, pretty, level + 1);
				serialize(b, v->u.arr.items[i], pretty, level + 1);
			}
			if (v->u.arr.n)
				indent(b, pretty, level);
			jv_buf_appendc(b, ']');
			break;
		case JV_OBJECT:
			jv_buf_appendc(b, '{');
			for (i = 0; i < v->u.obj.n; i++)
			{
				const JvPair *p = &v->u.obj.pairs[i];

				if (i)
					jv_buf_appendc(b, ',');
				indent(b, pretty, level + 1);
				jv_buf_append_json_string(b, p->key, p->klen);
				jv_buf_appendc(b, ':');
				if (pretty > 0)
					jv_buf_appendc(b, ' ');
				serialize(b, p->val, pretty, level + 1);
			}
			if (v->u.obj.n)
				indent(b, pretty, level);
			jv_buf_appendc(b, '}');
			break;
	}
}

void
jv_serialize(JvBuf *b, const Jv *v, int pretty)
{
	serialize(b, v, pretty, 0);
}

/* ---- parser -------------------------------------------------------------- */

typedef struct JvParser
{
	JvArena    *a;
	const char *s;
	size_t		len;
	size_t		pos;
	int			depth;
	int			max_depth;
	const char *err;
} JvParser;

static Jv  *parse_value(JvParser *p);

static void
skip_ws(JvParser *p)
{
	while (p->pos < p->len)
	{
		char		c = p->s[p->pos];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			p->pos++;
		else
			break;
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
encode_utf8(unsigned cp, char *out)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

static bool
read_hex4(JvParser *p, unsigned *out)
{
	unsigned	v = 0;
	int			i;

	if (p->pos + 4 > p->len)
		return false;
	for (i = 0; i < 4; i++)
	{
		int			h = hexval(p->s[p->pos + i]);

		if (h < 0)
			return false;
		v = (v << 4) | (unsigned) h;
	}
	p->pos += 4;
	*out = v;
	return true;
}

/* returns an arena copy of the decoded string; p->pos after the closing quote */
static char *
parse_string_raw(JvParser *p, size_t *outlen)
{
	size_t		start = ++p->pos;	/* skip opening quote */
	size_t		i = start;
	bool		plain = true;
	char	   *out;
	size_t		n = 0;

	while (i < p->len && p->s[i] != '"')
	{
		if (p->s[i] == '\\')
		{
			plain = false;
			i++;
		}
		else if ((unsigned char) p->s[i] < 0x20)
		{
			p->pos = i;
			p->err = "control character in string";
			return NULL;
		}
		i++;
	}
	if (i >= p->len)
	{
		p->pos = p->len;
		p->err = "unterminated string";
		return NULL;
	}
	if (plain)
	{
		out = jv_strndup(p->a, p->s + start, i - start);
		p->pos = i + 1;
		*outlen = i - start;
		if (out == NULL)
			p->err = "out of memory";
		return out;
	}
	out = jv_alloc(p->a, i - start + 1);
	if (out == NULL)
	{
		p->err = "out of memory";
		return NULL;
	}
	while (p->pos < i)
	{
		char		c = p->s[p->pos++];

		if (c != '\\')
		{
			out[n++] = c;
			continue;
		}
		c = p->s[p->pos++];
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				out[n++] = c;
				break;
			case 'b':
				out[n++] = '\b';
				break;
			case 'f':
				out[n++] = '\f';
				break;
			case 'n':
				out[n++] = '\n';
				break;
			case 'r':
				out[n++] = '\r';
				break;
			case 't':
				out[n++] = '\t';
				break;
			case 'u':
				{
					unsigned	cp;

					if (!read_hex4(p, &cp))
					{
						p->err = "bad \\u escape";
						return NULL;
					}
					if (cp >= 0xD800 && cp <= 0xDBFF && p->pos + 6 <= i &&
						p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u')
					{
						unsigned	lo;
						size_t		save = p->pos;

						p->pos += 2;
						if (read_hex4(p, &lo) && lo >= 0xDC00 && lo <= 0xDFFF)
							cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						else
							p->pos = save;
					}
					if (cp >= 0xD800 && cp <= 0xDFFF)
						cp = 0xFFFD;	/* lone surrogate: not representable in UTF-8 */
					if (cp == 0)
					{
						p->err = "\\u0000 is not allowed in text";
						return NULL;
					}
					n += encode_utf8(cp, out + n);
					break;
				}
			default:
				p->pos--;
				p->err = "bad escape in string";
				return NULL;
		}
	}
	out[n] = '\0';
	p->pos = i + 1;
	*outlen = n;
	return out;
}

static Jv *
parse_number(JvParser *p)
{
	size_t		start = p->pos;
	char		tmp[64];
	char	   *big = NULL;
	size_t		n;
	double		d;

	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || !(p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
	{
		p->err = "bad number";
		return NULL;
	}
	if (p->s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '.')
	{
		p->pos++;
		if (p->pos >= p->len || !(p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
		{
			p->err = "bad number";
			return NULL;
		}
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
	{
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || !(p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
		{
			p->err = "bad number";
			return NULL;
		}
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	n = p->pos - start;
	if (n < sizeof(tmp))
	{
		memcpy(tmp, p->s + start, n);
		tmp[n] = '\0';
		d = strtod(tmp, NULL);
	}
	else
	{
		big = jv_strndup(p->a, p->s + start, n);
		if (big == NULL)
		{
			p->err = "out of memory";
			return NULL;
		}
		d = strtod(big, NULL);
	}
	return jv_number(p->a, d);
}

static bool
match_word(JvParser *p, const char *w, size_t n)
{
	if (p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0)
	{
		p->pos += n;
		return true;
	}
	p->err = "unexpected token";
	return false;
}

static Jv *
parse_value(JvParser *p)
{
	Jv		   *v;

	skip_ws(p);
	if (p->pos >= p->len)
	{
		p->err = "unexpected end of input";
		return NULL;
	}
	switch (p->s[p->pos])
	{
		case '{':
			if (++p->depth > p->max_depth)
			{
				p->err = "nesting too deep";
				return NULL;
			}
			p->pos++;
			v = jv_object(p->a, 0);
			if (v == NULL)
				break;
			skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == '}')
			{
				p->pos++;
				p->depth--;
				return v;
			}
			for (;;)
			{
				char	   *key;
				size_t		klen;
				Jv		   *val;

				skip_ws(p);
				if (p->pos >= p->len || p->s[p->pos] != '"')
				{
					p->err = "expected a string key";
					return NULL;
				}
				key = parse_string_raw(p, &klen);
				if (key == NULL)
					return NULL;
				skip_ws(p);
				if (p->pos >= p->len || p->s[p->pos] != ':')
				{
					p->err = "expected ':'";
					return NULL;
				}
				p->pos++;
				val = parse_value(p);
				if (val == NULL)
					return NULL;
				if (!jv_object_set(p->a, v, key, klen, val))
					break;
				skip_ws(p);
				if (p->pos < p->len && p->s[p->pos] == ',')
				{
					p->pos++;
					continue;
				}
				if (p->pos < p->len && p->s[p->pos] == '}')
				{
					p->pos++;
					p->depth--;
					return v;
				}
				p->err = "expected ',' or '}'";
				return NULL;
			}
			break;
		case '[':
			if (++p->depth > p->max_depth)
			{
				p->err = "nesting too deep";
				return NULL;
			}
			p->pos++;
			v = jv_array(p->a, 0);
			if (v == NULL)
				break;
			skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == ']')
			{
				p->pos++;
				p->depth--;
				return v;
			}
			for (;;)
			{
				Jv		   *item = parse_value(p);

				if (item == NULL)
					return NULL;
				if (!jv_array_push(p->a, v, item))
					break;
				skip_ws(p);
				if (p->pos < p->len && p->s[p->pos] == ',')
				{
					p->pos++;
					continue;
				}
				if (p->pos < p->len && p->s[p->pos] == ']')
				{
					p->pos++;
					p->depth--;
					return v;
				}
				p->err = "expected ',' or ']'";
				return NULL;
			}
			break;
		case '"':
			{
				size_t		len;
				char	   *s = parse_string_raw(p, &len);

				return s ? jv_string_nocopy(p->a, s, len) : NULL;
			}
		case 't':
			return match_word(p, "true", 4) ? jv_bool(p->a, true) : NULL;
		case 'f':
			return match_word(p, "false", 5) ? jv_bool(p->a, false) : NULL;
		case 'n':
			return match_word(p, "null", 4) ? jv_null(p->a) : NULL;
		default:
			return parse_number(p);
	}
	if (p->err == NULL)
		p->err = "out of memory";
	return NULL;
}

Jv *
jv_parse(JvArena *a, const char *text, size_t len, int max_depth,
		 size_t *errpos, const char **errmsg)
{
	JvParser	p;
	Jv		   *v;

	memset(&p, 0, sizeof(p));
	p.a = a;
	p.s = text;
	p.len = len;
	p.max_depth = max_depth > 0 ? max_depth : 512;
	v = parse_value(&p);
	if (v != NULL)
	{
		skip_ws(&p);
		if (p.pos < p.len)
		{
			p.err = "trailing characters after JSON value";
			v = NULL;
		}
	}
	if (v == NULL)
	{
		if (errpos)
			*errpos = p.pos;
		if (errmsg)
			*errmsg = p.err ? p.err : "out of memory";
	}
	return v;
}
