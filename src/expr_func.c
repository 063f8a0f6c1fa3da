/*
 * expr_func.c — built-in functions: JSONata's (the 'extended' set) and Alga
 * PSA's allowlist (nowIso coalesce len toString append), with JSONata's
 * signature checking (T0410/T0411/T0412) for the former.
 */
#include "expr_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- signatures ------------------------------------------------------------ */

typedef struct Param
{
	char		set[12];		/* symbols this parameter accepts */
	char		type;			/* 'a' for arrays (wrapping), else the type letter */
	char		subtype;		/* a<X>: X */
	char		quant;			/* 0, '?' or '+' */
	bool		context;		/* '-': the context fills a missing argument */
} Param;

typedef struct Sig
{
	int			n;
	Param		p[6];
} Sig;

static void
parse_sig(const char *s, Sig *sig)
{
	Param	   *prev = NULL;

	memset(sig, 0, sizeof(*sig));
	if (*s == '<')
		s++;
	for (; *s && *s != ':' && *s != '>'; s++)
	{
		Param	   *p = &sig->p[sig->n];

		switch (*s)
		{
			case 'b':
			case 'n':
			case 's':
			case 'l':
			case 'o':
				p->set[0] = *s;
				p->set[1] = 'm';
				p->type = *s;
				prev = p;
				sig->n++;
				break;
			case 'a':
				strcpy(p->set, "asnblfom");
				p->type = 'a';
				prev = p;
				sig->n++;
				break;
			case 'f':
				strcpy(p->set, "f");
				p->type = 'f';
				prev = p;
				sig->n++;
				break;
			case 'j':
				strcpy(p->set, "asnblom");
				p->type = 'j';
				prev = p;
				sig->n++;
				break;
			case 'x':
				strcpy(p->set, "asnblfom");
				p->type = 'x';
				prev = p;
				sig->n++;
				break;
			case '-':
				prev->context = true;
				prev->quant = '?';
				break;
			case '?':
			case '+':
				prev->quant = *s;
				break;
			case '(':
				{
					int			k = 0;

					s++;
					while (*s && *s != ')')
						p->set[k++] = *s++;
					p->set[k++] = 'm';
					p->type = '(';
					prev = p;
					sig->n++;
					break;
				}
			case '<':
				prev->subtype = s[1];
				while (*s && *s != '>')
					s++;
				break;
		}
	}
}

static char
symbol_of(Jv *v)
{
	switch (vt(v))
	{
		case VT_FUNC:
			return 'f';
		case VT_STR:
			return 's';
		case VT_NUM:
			return 'n';
		case VT_BOOL:
			return 'b';
		case VT_NULL:
			return 'l';
		case VT_ARR:
			return 'a';
		case VT_OBJ:
			return 'o';
		default:
			return 'm';
	}
}

static bool
sig_match(const Sig *s, int pi, const char *syms, int si, int nsyms, int *counts)
{
	const Param *p;
	int			max = 0;
	int			min;
	int			k;

	if (pi == s->n)
		return si == nsyms;
	p = &s->p[pi];
	while (si + max < nsyms && strchr(p->set, syms[si + max]) != NULL &&
		   (p->quant == '+' || max < 1))
		max++;
	min = p->quant == '?' ? 0 : 1;
	for (k = max; k >= min; k--)
	{
		counts[pi] = k;
		if (sig_match(s, pi + 1, syms, si + k, nsyms, counts))
			return true;
	}
	return false;
}

static const char *
type_name_of_symbol(char c)
{
	switch (c)
	{
		case 'n':
			return "numbers";
		case 's':
			return "strings";
		case 'o':
			return "objects";
		case 'b':
			return "booleans";
		default:
			return "values";
	}
}

/* validate and coerce args against fn's signature; returns the new arg vector */
static Jv **
validate_args(Ctx *c, const FuncDef *fn, const Sig *s, Jv **args, int nargs, Jv *context,
			  int pos, int *outn)
{
	char		syms[64];
	int			counts[8];
	Jv		  **out;
	int			argi = 0;
	int			o = 0;
	int			pi,
				k;

	if (nargs > 60)
		ex_throw(c, pos, "T0410", "Too many arguments for function $%s", fn->name);
	for (k = 0; k < nargs; k++)
		syms[k] = symbol_of(args[k]);
	syms[nargs] = '\0';
	if (!sig_match(s, 0, syms, 0, nargs, counts))
	{
		/* find the first argument that does not fit */
		int			good = 0;

		for (pi = 0; pi < s->n && good < nargs; pi++)
		{
			if (strchr(s->p[pi].set, syms[good]) != NULL)
				good++;
			else if (s->p[pi].quant != '?')
				break;
		}
		ex_throw(c, pos, "T0410", "Argument %d of function $%s does not match function signature",
				 good + 1, fn->name);
	}
	out = jv_alloc(c->a, (nargs + s->n + 1) * sizeof(Jv *));
	if (out == NULL)
		ex_oom(c);
	for (pi = 0; pi < s->n; pi++)
	{
		const Param *p = &s->p[pi];

		if (counts[pi] == 0)
		{
			if (p->context)
			{
				char		cs = symbol_of(context);

				if (strchr(p->set, cs) == NULL)
					ex_throw(c, pos, "T0411",
							 "Context value is not a compatible type with argument %d of function $%s",
							 argi + 1, fn->name);
				out[o++] = context;
			}
			else
			{
				out[o++] = argi < nargs ? args[argi] : NULL;
				argi++;
			}
			continue;
		}
		for (k = 0; k < counts[pi]; k++)
		{
			Jv		   *arg = args[argi];

			if (p->type == 'a')
			{
				char		single = syms[argi];

				if (single == 'm')
					arg = NULL;
				else
				{
					bool		ok = true;

					if (p->subtype)
					{
						if (single != 'a' && single != p->subtype)
							ok = false;
						else if (single == 'a' && arg->u.arr.n > 0)
						{
							size_t		i;

							ex_force(c, arg);
							for (i = 0; i < arg->u.arr.n; i++)
								if (symbol_of(arg->u.arr.items[i]) != p->subtype)
								{
									ok = false;
									break;
								}
						}
					}
					if (!ok)
						ex_throw(c, pos, "T0412",
								 "Argument %d of function $%s must be an array of %s",
								 argi + 1, fn->name, type_name_of_symbol(p->subtype));
					if (single != 'a')
					{
						Jv		   *w = jv_array(c->a, 1);

						if (w == NULL)
							ex_oom(c);
						ex_push(c, w, arg);
						arg = w;
					}
				}
			}
			out[o++] = arg;
			argi++;
		}
	}
	*outn = o;
	return out;
}

/* ---- helpers ------------------------------------------------------------- */

#define ARG(i)		((i) < nargs ? args[i] : NULL)
#define NUM(v)		((v)->u.num)

static size_t
jv_n(Ctx *c, Jv *v)
{
	(void) c;
	return v->u.arr.n;
}

static Jv *
jv_at(Ctx *c, Jv *v, size_t i)
{
	if (v->flags & (JVF_LAZY | JVF_RANGE))
		ex_force(c, v);
	return v->u.arr.items[i];
}

static Jv *
new_arr(Ctx *c, size_t cap)
{
	Jv		   *a = jv_array(c->a, cap);

	if (a == NULL)
		ex_oom(c);
	return a;
}

static Jv *
chk_null(Ctx *c)
{
	Jv		   *v = jv_null(c->a);

	if (v == NULL)
		ex_oom(c);
	return v;
}

static char *
ex_buf(Ctx *c, size_t n)
{
	char	   *p = jv_alloc(c->a, n + 1);

	if (p == NULL)
		ex_oom(c);
	return p;
}

static const char *
find_bytes(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	size_t		i;

	if (nlen == 0)
		return hay;
	if (nlen > hlen)
		return NULL;
	for (i = 0; i + nlen <= hlen; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}

static unsigned
utf8_decode(const char *s, size_t len, size_t *i)
{
	unsigned char c = (unsigned char) s[*i];
	unsigned	cp;
	int			extra;

	if (c < 0x80)
	{
		(*i)++;
		return c;
	}
	if ((c & 0xE0) == 0xC0)
		cp = c & 0x1F, extra = 1;
	else if ((c & 0xF0) == 0xE0)
		cp = c & 0x0F, extra = 2;
	else if ((c & 0xF8) == 0xF0)
		cp = c & 0x07, extra = 3;
	else
	{
		(*i)++;
		return 0xFFFD;
	}
	(*i)++;
	while (extra-- > 0 && *i < len && ((unsigned char) s[*i] & 0xC0) == 0x80)
		cp = (cp << 6) | ((unsigned char) s[(*i)++] & 0x3F);
	return cp;
}

static int
utf8_encode(unsigned cp, char *out)
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

/* JavaScript's Array.prototype.slice bounds over n items */
static void
js_slice(double len, double start, double end, size_t *from, size_t *to)
{
	start = isnan(start) ? 0 : trunc(start);
	end = isnan(end) ? 0 : trunc(end);
	if (start < 0)
		start = start + len < 0 ? 0 : start + len;
	else if (start > len)
		start = len;
	if (end < 0)
		end = end + len < 0 ? 0 : end + len;
	else if (end > len)
		end = len;
	*from = (size_t) start;
	*to = end > start ? (size_t) end : (size_t) start;
}

static Jv *
substring_chars(Ctx *c, Jv *s, size_t from, size_t to)
{
	size_t		b0 = ex_utf8_offset(s->u.str.s, s->u.str.len, from);
	size_t		b1 = ex_utf8_offset(s->u.str.s, s->u.str.len, to);

	return ex_str_nocopy(c, s->u.str.s + b0, b1 - b0);
}

/* ---- aggregation ------------------------------------------------------------- */

static Jv *
f_sum(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *a = ARG(0);
	double		t = 0;
	size_t		i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < jv_n(c, a); i++)
		t += NUM(jv_at(c, a, i));
	ex_tick(c, (long) (jv_n(c, a) / 64));
	return ex_num(c, t);
}

static Jv *
f_count(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *a = ARG(0);

	return ex_num(c, a == NULL ? 0 : (double) jv_n(c, a));
}

static Jv *
minmax(Ctx *c, Jv *a, bool max)
{
	double		r;
	size_t		i;

	if (a == NULL || jv_n(c, a) == 0)
		return NULL;
	r = NUM(jv_at(c, a, 0));
	for (i = 1; i < jv_n(c, a); i++)
	{
		double		x = NUM(jv_at(c, a, i));

		if (isnan(x) || (max ? x > r : x < r))
			r = x;
	}
	return ex_num(c, r);
}

static Jv *
f_max(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return minmax(c, ARG(0), true);
}

static Jv *
f_min(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return minmax(c, ARG(0), false);
}

static Jv *
f_average(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *a = ARG(0);
	double		t = 0;
	size_t		i;

	if (a == NULL || jv_n(c, a) == 0)
		return NULL;
	for (i = 0; i < jv_n(c, a); i++)
		t += NUM(jv_at(c, a, i));
	return ex_num(c, t / (double) jv_n(c, a));
}

/* ---- strings ---------------------------------------------------------------- */

static Jv *
f_string(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *pretty = ARG(1);

	return ex_to_string(c, ARG(0), pretty != NULL && pretty->u.b, pos);
}

static Jv *
f_substring(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *s = ARG(0);
	Jv		   *start = ARG(1);
	Jv		   *length = ARG(2);
	double		len,
				st;
	size_t		from,
				to;

	if (s == NULL)
		return NULL;
	len = (double) ex_utf8_count(s->u.str.s, s->u.str.len);
	st = start ? NUM(start) : 0;
	if (len + st < 0)
		st = 0;
	if (length != NULL)
	{
		double		end;

		if (NUM(length) <= 0)
			return ex_str(c, "", 0);
		end = st >= 0 ? st + NUM(length) : len + st + NUM(length);
		js_slice(len, st, end, &from, &to);
	}
	else
		js_slice(len, st, len, &from, &to);
	return substring_chars(c, s, from, to);
}

static Jv *
f_substring_before(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *s = ARG(0);
	Jv		   *t = ARG(1);
	const char *at;

	if (s == NULL)
		return NULL;
	if (t == NULL)
		return s;
	at = find_bytes(s->u.str.s, s->u.str.len, t->u.str.s, t->u.str.len);
	if (at == NULL)
		return s;
	return ex_str_nocopy(c, s->u.str.s, at - s->u.str.s);
}

static Jv *
f_substring_after(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *s = ARG(0);
	Jv		   *t = ARG(1);
	const char *at;

	if (s == NULL)
		return NULL;
	if (t == NULL)
		return s;
	at = find_bytes(s->u.str.s, s->u.str.len, t->u.str.s, t->u.str.len);
	if (at == NULL)
		return s;
	at += t->u.str.len;
	return ex_str_nocopy(c, at, s->u.str.s + s->u.str.len - at);
}

static unsigned
to_lower_cp(unsigned cp)
{
	if (cp < 0x80)
		return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
	if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
		(cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) ||
		(cp >= 0x410 && cp <= 0x42F) || (cp >= 0xFF21 && cp <= 0xFF3A))
		return cp + 32;
	if (cp >= 0x400 && cp <= 0x40F)
		return cp + 80;
	if (cp >= 0x531 && cp <= 0x556)
		return cp + 48;
	if (cp >= 0x24B6 && cp <= 0x24CF)
		return cp + 26;
	if (cp == 0x178)
		return 0xFF;
	if (cp == 0x386)
		return 0x3AC;
	if (cp >= 0x388 && cp <= 0x38A)
		return cp + 37;
	if (cp == 0x38C)
		return 0x3CC;
	if (cp == 0x38E || cp == 0x38F)
		return cp + 63;
	if (((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177) ||
		 (cp >= 0x460 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x4BF) ||
		 (cp >= 0x4D0 && cp <= 0x52F) || (cp >= 0x1E00 && cp <= 0x1E95) ||
		 (cp >= 0x1EA0 && cp <= 0x1EFF)) && (cp % 2) == 0)
		return cp + 1;
	if (((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E) ||
		 (cp >= 0x4C1 && cp <= 0x4CE)) && (cp % 2) == 1)
		return cp + 1;
	return cp;
}

static unsigned
to_upper_cp(unsigned cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') ? cp - 32 : cp;
	if ((cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) ||
		(cp >= 0x3B1 && cp <= 0x3CB && cp != 0x3C2) ||
		(cp >= 0x430 && cp <= 0x44F) || (cp >= 0xFF41 && cp <= 0xFF5A))
		return cp - 32;
	if (cp == 0x3C2)
		return 0x3A3;
	if (cp >= 0x450 && cp <= 0x45F)
		return cp - 80;
	if (cp >= 0x561 && cp <= 0x586)
		return cp - 48;
	if (cp >= 0x24D0 && cp <= 0x24E9)
		return cp - 26;
	if (cp == 0xFF)
		return 0x178;
	if (cp == 0xB5)
		return 0x39C;
	if (cp == 0x3AC)
		return 0x386;
	if (cp >= 0x3AD && cp <= 0x3AF)
		return cp - 37;
	if (cp == 0x3CC)
		return 0x38C;
	if (cp == 0x3CD || cp == 0x3CE)
		return cp - 63;
	if (((cp >= 0x101 && cp <= 0x138) || (cp >= 0x14B && cp <= 0x178) ||
		 (cp >= 0x461 && cp <= 0x482) || (cp >= 0x48B && cp <= 0x4C0) ||
		 (cp >= 0x4D1 && cp <= 0x530) || (cp >= 0x1E01 && cp <= 0x1E96) ||
		 (cp >= 0x1EA1 && cp <= 0x1F00)) && (cp % 2) == 1)
		return cp - 1;
	if (((cp >= 0x13A && cp <= 0x149) || (cp >= 0x17A && cp <= 0x17F) ||
		 (cp >= 0x4C2 && cp <= 0x4CF)) && (cp % 2) == 0)
		return cp - 1;
	return cp;
}

static Jv *
change_case(Ctx *c, Jv *s, bool upper)
{
	char	   *out;
	size_t		i = 0,
				o = 0;

	if (s == NULL)
		return NULL;
	out = ex_buf(c, s->u.str.len * 3 + 4);	/* an invalid byte becomes U+FFFD, 3 bytes */
	while (i < s->u.str.len)
	{
		unsigned	cp = utf8_decode(s->u.str.s, s->u.str.len, &i);

		if (upper && cp == 0xDF)
		{
			out[o++] = 'S';
			out[o++] = 'S';
			continue;
		}
		o += utf8_encode(upper ? to_upper_cp(cp) : to_lower_cp(cp), out + o);
	}
	return ex_str_nocopy(c, out, o);
}

static Jv *
f_lowercase(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return change_case(c, ARG(0), false);
}

static Jv *
f_uppercase(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return change_case(c, ARG(0), true);
}

static Jv *
f_length(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *s = ARG(0);

	if (s == NULL)
		return NULL;
	return ex_num(c, (double) ex_utf8_count(s->u.str.s, s->u.str.len));
}

static Jv *
f_trim(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *s = ARG(0);
	char	   *out;
	size_t		i,
				o = 0;
	bool		inws = false;

	if (s == NULL)
		return NULL;
	out = ex_buf(c, s->u.str.len);
	for (i = 0; i < s->u.str.len; i++)
	{
		char		ch = s->u.str.s[i];

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
		{
			if (!inws)
				out[o++] = ' ';
			inws = true;
		}
		else
		{
			out[o++] = ch;
			inws = false;
		}
	}
	i = 0;
	if (o > 0 && out[0] == ' ')
		i = 1;
	if (o > i && out[o - 1] == ' ')
		o--;
	return ex_str_nocopy(c, out + i, o - i);
}

static Jv *
f_pad(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *s = ARG(0);
	Jv		   *w = ARG(1);
	Jv		   *ch = ARG(2);
	const char *pc = " ";
	size_t		pclen = 1;
	double		width;
	double		padlen;
	size_t		need,
				i,
				o = 0;
	char	   *out;
	size_t		padbytes = 0;
	size_t		pcchars;

	if (s == NULL)
		return NULL;
	if (ch != NULL && ch->u.str.len > 0)
	{
		pc = ch->u.str.s;
		pclen = ch->u.str.len;
	}
	width = w ? NUM(w) : 0;
	padlen = floor(fabs(width)) - (double) ex_utf8_count(s->u.str.s, s->u.str.len);
	if (!(padlen > 0))
		return s;
	if (padlen > (double) (c->max_string ? c->max_string : (size_t) 1 << 30))
		ex_throw(c, pos, "L1004",
				 "padding to %.0f characters exceeds the maximum string length (algawf.expr_max_string = %zu)",
				 padlen, c->max_string);
	need = (size_t) padlen;
	pcchars = ex_utf8_count(pc, pclen);
	{
		/* byte offsets of the pad string's characters, then `need` of them cyclically */
		size_t	   *offs = jv_alloc(c->a, (pclen + 1) * sizeof(size_t));
		size_t		k = 0,
					b = 0;

		if (offs == NULL)
			ex_oom(c);
		while (b < pclen)
		{
			offs[k++] = b;
			b++;
			while (b < pclen && ((unsigned char) pc[b] & 0xC0) == 0x80)
				b++;
		}
		offs[k] = pclen;
		pcchars = k;
		for (i = 0; i < need; i++)
			padbytes += offs[i % pcchars + 1] - offs[i % pcchars];
		ex_tick(c, (long) (need / 64));
		ex_check_string(c, padbytes + s->u.str.len, pos);
		out = ex_buf(c, padbytes + s->u.str.len);
		if (width < 0)
			for (i = 0; i < need; i++)
			{
				size_t		n = offs[i % pcchars + 1] - offs[i % pcchars];

				memcpy(out + o, pc + offs[i % pcchars], n);
				o += n;
			}
		memcpy(out + o, s->u.str.s, s->u.str.len);
		o += s->u.str.len;
		if (width > 0)
			for (i = 0; i < need; i++)
			{
				size_t		n = offs[i % pcchars + 1] - offs[i % pcchars];

				memcpy(out + o, pc + offs[i % pcchars], n);
				o += n;
			}
	}
	return ex_str_nocopy(c, out, o);
}

static void
no_matcher(Ctx *c, Jv *v, int pos, const char *fname)
{
	if (vt(v) == VT_FUNC)
		ex_throw(c, pos, "U1001",
				 "$%s() with a function or regular expression argument is not supported", fname);
}

static Jv *
f_contains(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *s = ARG(0);
	Jv		   *t = ARG(1);

	if (s == NULL)
		return NULL;
	no_matcher(c, t, pos, "contains");
	if (t == NULL)
		return NULL;
	return ex_bool(c, find_bytes(s->u.str.s, s->u.str.len, t->u.str.s, t->u.str.len) != NULL);
}

static Jv *
f_replace(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *s = ARG(0);
	Jv		   *pat = ARG(1);
	Jv		   *rep = ARG(2);
	Jv		   *lim = ARG(3);
	JvBuf		b;
	size_t		at = 0;
	double		count = 0;

	if (s == NULL)
		return NULL;
	no_matcher(c, pat, pos, "replace");
	no_matcher(c, rep, pos, "replace");
	if (pat == NULL || rep == NULL)
		ex_throw(c, pos, "T0410", "Argument %d of function $replace does not match function signature",
				 pat == NULL ? 2 : 3);
	if (pat->u.str.len == 0)
		ex_throw(c, pos, "D3010", "Second argument of replace function cannot be an empty string");
	if (lim != NULL && NUM(lim) < 0)
		ex_throw(c, pos, "D3011", "Fourth argument of replace function must evaluate to a positive number");
	jv_buf_init(&b, c->a);
	for (;;)
	{
		const char *hit;

		if (lim != NULL && count >= NUM(lim))
			break;
		hit = find_bytes(s->u.str.s + at, s->u.str.len - at, pat->u.str.s, pat->u.str.len);
		if (hit == NULL)
			break;
		jv_buf_append(&b, s->u.str.s + at, hit - (s->u.str.s + at));
		jv_buf_append(&b, rep->u.str.s, rep->u.str.len);
		at = hit - s->u.str.s + pat->u.str.len;
		count++;
		ex_check_string(c, b.len, pos);
		ex_tick(c, 1);
	}
	jv_buf_append(&b, s->u.str.s + at, s->u.str.len - at);
	if (b.failed)
		ex_oom(c);
	return ex_str_nocopy(c, b.data ? b.data : "", b.len);
}

static Jv *
f_split(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *s = ARG(0);
	Jv		   *sep = ARG(1);
	Jv		   *lim = ARG(2);
	Jv		   *r;
	double		limit = INFINITY;
	size_t		at = 0;

	if (s == NULL)
		return NULL;
	no_matcher(c, sep, pos, "split");
	if (lim != NULL && NUM(lim) < 0)
		ex_throw(c, pos, "D3020", "Third argument of split function must evaluate to a positive number");
	r = new_arr(c, 4);
	if (lim != NULL)
		limit = floor(NUM(lim));
	if (sep == NULL)
		ex_throw(c, pos, "T0410", "Argument 2 of function $split does not match function signature");
	if (limit <= 0)
		return r;
	if (sep->u.str.len == 0)
	{
		size_t		i = 0;

		while (i < s->u.str.len && (double) r->u.arr.n < limit)
		{
			size_t		st = i;

			utf8_decode(s->u.str.s, s->u.str.len, &i);
			ex_push(c, r, ex_str_nocopy(c, s->u.str.s + st, i - st));
		}
		return r;
	}
	for (;;)
	{
		const char *hit;

		if ((double) r->u.arr.n >= limit)
			break;
		hit = find_bytes(s->u.str.s + at, s->u.str.len - at, sep->u.str.s, sep->u.str.len);
		if (hit == NULL)
		{
			ex_push(c, r, ex_str_nocopy(c, s->u.str.s + at, s->u.str.len - at));
			break;
		}
		ex_push(c, r, ex_str_nocopy(c, s->u.str.s + at, hit - (s->u.str.s + at)));
		at = hit - s->u.str.s + sep->u.str.len;
		ex_tick(c, 1);
	}
	return r;
}

static Jv *
f_join(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *a = ARG(0);
	Jv		   *sep = ARG(1);
	JvBuf		b;
	size_t		i;

	if (a == NULL)
		return NULL;
	jv_buf_init(&b, c->a);
	for (i = 0; i < jv_n(c, a); i++)
	{
		Jv		   *s = jv_at(c, a, i);

		if (i && sep)
			jv_buf_append(&b, sep->u.str.s, sep->u.str.len);
		jv_buf_append(&b, s->u.str.s, s->u.str.len);
		ex_check_string(c, b.len, pos);
	}
	if (b.failed)
		ex_oom(c);
	return ex_str_nocopy(c, b.data ? b.data : "", b.len);
}

/* ---- numbers --------------------------------------------------------------- */

static bool
decimal_syntax(const char *s, size_t len)
{
	size_t		i = 0;

	if (i < len && s[i] == '-')
		i++;
	if (i >= len || !(s[i] >= '0' && s[i] <= '9'))
		return false;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i < len && s[i] == '.')
	{
		i++;
		if (i >= len || !(s[i] >= '0' && s[i] <= '9'))
			return false;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || !(s[i] >= '0' && s[i] <= '9'))
			return false;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == len;
}

static Jv *
f_number(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *v = ARG(0);

	switch (vt(v))
	{
		case VT_UNDEF:
			return NULL;
		case VT_NUM:
			return v;
		case VT_BOOL:
			return ex_num(c, v->u.b ? 1 : 0);
		case VT_STR:
			{
				const char *s = v->u.str.s;
				size_t		len = v->u.str.len;
				char		tmp[128];

				if (len < sizeof(tmp) && decimal_syntax(s, len))
				{
					double		d;

					memcpy(tmp, s, len);
					tmp[len] = '\0';
					d = strtod(tmp, NULL);
					if (isfinite(d))
						return ex_num(c, d);
				}
				if (len > 2 && len < 60 && s[0] == '0')
				{
					int			base = 0;
					size_t		i;
					double		d = 0;

					if (s[1] == 'x' || s[1] == 'X')
						base = 16;
					else if (s[1] == 'o' || s[1] == 'O')
						base = 8;
					else if (s[1] == 'b' || s[1] == 'B')
						base = 2;
					for (i = 2; base && i < len; i++)
					{
						int			dv;
						char		ch = s[i];

						if (ch >= '0' && ch <= '9')
							dv = ch - '0';
						else if (ch >= 'a' && ch <= 'f')
							dv = ch - 'a' + 10;
						else if (ch >= 'A' && ch <= 'F')
							dv = ch - 'A' + 10;
						else
							dv = 99;
						if (dv >= base)
							base = 0;
						else
							d = d * base + dv;
					}
					if (base)
						return ex_num(c, d);
				}
				break;
			}
		default:
			break;
	}
	{
		char		buf[80];
		JvBuf		b;

		jv_buf_init(&b, c->a);
		ex_stringify(c, &b, v, false, 0, pos);
		snprintf(buf, sizeof(buf), "%.*s", (int) (b.len > 60 ? 60 : b.len), b.data ? b.data : "");
		ex_throw(c, pos, "D3030", "Unable to cast value to a number: %s", buf);
	}
	return NULL;
}

static Jv *
f_floor(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return ARG(0) ? ex_num(c, floor(NUM(ARG(0)))) : NULL;
}

static Jv *
f_ceil(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return ARG(0) ? ex_num(c, ceil(NUM(ARG(0)))) : NULL;
}

static Jv *
f_abs(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return ARG(0) ? ex_num(c, fabs(NUM(ARG(0)))) : NULL;
}

static Jv *
f_sqrt(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *v = ARG(0);

	if (v == NULL)
		return NULL;
	if (NUM(v) < 0)
	{
		char		buf[40];

		jv_format_number(NUM(v), buf);
		ex_throw(c, pos, "D3060", "The sqrt function cannot be applied to a negative number: %s", buf);
	}
	return ex_num(c, sqrt(NUM(v)));
}

static Jv *
f_power(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *b = ARG(0);
	Jv		   *e = ARG(1);
	double		r;

	if (b == NULL)
		return NULL;
	if (e == NULL)
		ex_throw(c, pos, "T0410", "Argument 2 of function $power does not match function signature");
	r = pow(NUM(b), NUM(e));
	if (!isfinite(r))
	{
		char		b1[40],
					b2[40];

		jv_format_number(NUM(b), b1);
		jv_format_number(NUM(e), b2);
		ex_throw(c, pos, "D3061",
				 "The power function has resulted in a value that cannot be represented as a JSON number: base=%s, exponent=%s",
				 b1, b2);
	}
	return ex_num(c, r);
}

/* shift the decimal point by writing and re-reading the number, as JSONata does */
static double
shift_decimal(double v, double places)
{
	char		buf[64];
	char	   *e;
	double		exp = 0;

	jv_format_number(v, buf);
	e = strchr(buf, 'e');
	if (e)
	{
		exp = strtod(e + 1, NULL);
		*e = '\0';
	}
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "e%.0f", exp + places);
	return strtod(buf, NULL);
}

static double
js_round(double x)
{
	double		r = floor(x);

	if (x - r >= 0.5)
		r += 1;
	return r;
}

static Jv *
f_round(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *v = ARG(0);
	Jv		   *p = ARG(1);
	double		x,
				r,
				prec = 0;

	if (v == NULL)
		return NULL;
	x = NUM(v);
	if (p != NULL)
		prec = NUM(p);
	if (prec != 0)
		x = shift_decimal(x, prec);
	r = js_round(x);
	if (fabs(r - x) == 0.5 && fabs(fmod(r, 2)) == 1)
		r -= 1;
	if (prec != 0)
		r = shift_decimal(r, -prec);
	if (r == 0)
		r = 0;					/* no negative zero */
	return ex_num(c, r);
}

/* ---- booleans --------------------------------------------------------------- */

static Jv *
f_boolean(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	bool		defined;
	bool		b = ex_boolean(c, ARG(0), &defined);

	return defined ? ex_bool(c, b) : NULL;
}

static Jv *
f_not(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	bool		defined;
	bool		b = ex_boolean(c, ARG(0), &defined);

	return defined ? ex_bool(c, !b) : NULL;
}

static Jv *
f_exists(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return ex_bool(c, ARG(0) != NULL);
}

static Jv *
f_type(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *v = ARG(0);
	const char *t;

	switch (vt(v))
	{
		case VT_UNDEF:
			return NULL;
		case VT_NULL:
			t = "null";
			break;
		case VT_NUM:
			t = "number";
			break;
		case VT_STR:
			t = "string";
			break;
		case VT_BOOL:
			t = "boolean";
			break;
		case VT_ARR:
			t = "array";
			break;
		case VT_FUNC:
			t = "function";
			break;
		default:
			t = "object";
	}
	return ex_str_nocopy(c, t, strlen(t));
}

/* ---- arrays and objects -------------------------------------------------- */

static Jv *
f_zip(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *r = new_arr(c, 4);
	size_t		len = (size_t) -1;
	size_t		i;
	int			k;

	if (nargs == 0)
		return r;
	for (k = 0; k < nargs; k++)
	{
		size_t		n = vt(args[k]) == VT_ARR ? jv_n(c, args[k]) : 0;

		if (n < len)
			len = n;
	}
	for (i = 0; i < len; i++)
	{
		Jv		   *tuple = new_arr(c, nargs);

		for (k = 0; k < nargs; k++)
			ex_push(c, tuple, jv_at(c, args[k], i));
		ex_push(c, r, tuple);
	}
	return r;
}

static void
keys_into(Ctx *c, Jv *v, Jv *seen)
{
	size_t		i;

	if (vt(v) == VT_ARR)
	{
		for (i = 0; i < jv_n(c, v); i++)
			keys_into(c, jv_at(c, v, i), seen);
	}
	else if (vt(v) == VT_OBJ)
	{
		ex_force(c, v);
		for (i = 0; i < v->u.obj.n; i++)
			if (ex_obj_get(c, seen, v->u.obj.pairs[i].key, v->u.obj.pairs[i].klen) == NULL)
				ex_obj_set(c, seen, v->u.obj.pairs[i].key, v->u.obj.pairs[i].klen, v);
	}
}

static Jv *
f_keys(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *seen = ex_obj(c, 4);
	Jv		   *r;
	size_t		i;

	keys_into(c, ARG(0), seen);
	r = ex_seq(c, seen->u.obj.n);
	for (i = 0; i < seen->u.obj.n; i++)
		ex_push(c, r, ex_str_nocopy(c, seen->u.obj.pairs[i].key, seen->u.obj.pairs[i].klen));
	return r;
}

static Jv *
f_lookup(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *k = ARG(1);

	if (k == NULL)
		return NULL;
	return ex_lookup(c, ARG(0), k->u.str.s, k->u.str.len);
}

static Jv *
f_append(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return ex_append(c, ARG(0), ARG(1));
}

static void
spread_into(Ctx *c, Jv *v, Jv *r)
{
	size_t		i;

	if (vt(v) == VT_ARR)
	{
		for (i = 0; i < jv_n(c, v); i++)
			spread_into(c, jv_at(c, v, i), r);
	}
	else if (vt(v) == VT_OBJ)
	{
		ex_force(c, v);
		for (i = 0; i < v->u.obj.n; i++)
		{
			Jv		   *o = ex_obj(c, 1);

			ex_obj_set(c, o, v->u.obj.pairs[i].key, v->u.obj.pairs[i].klen, v->u.obj.pairs[i].val);
			ex_push(c, r, o);
		}
	}
	else
		ex_push(c, r, v);
}

static Jv *
f_spread(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *v = ARG(0);
	Jv		   *r;

	if (v == NULL)
		return NULL;
	if (vt(v) != VT_ARR && vt(v) != VT_OBJ)
		return v;
	r = ex_seq(c, 4);
	spread_into(c, v, r);
	return r;
}

static Jv *
f_merge(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *a = ARG(0);
	Jv		   *r;
	size_t		i,
				k;

	if (a == NULL)
		return NULL;
	r = ex_obj(c, 4);
	for (i = 0; i < jv_n(c, a); i++)
	{
		Jv		   *o = jv_at(c, a, i);

		if (vt(o) != VT_OBJ)
			continue;
		ex_force(c, o);
		for (k = 0; k < o->u.obj.n; k++)
			ex_obj_set(c, r, o->u.obj.pairs[k].key, o->u.obj.pairs[k].klen, o->u.obj.pairs[k].val);
	}
	return r;
}

static Jv *
f_reverse(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *a = ARG(0);
	Jv		   *r;
	size_t		i,
				n;

	if (a == NULL)
		return NULL;
	n = jv_n(c, a);
	if (n <= 1)
		return a;
	r = new_arr(c, n);
	for (i = 0; i < n; i++)
		ex_push(c, r, jv_at(c, a, n - 1 - i));
	return r;
}

static Jv *
f_distinct(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *a = ARG(0);
	Jv		   *r;
	size_t		i,
				j;

	if (a == NULL)
		return NULL;
	if (vt(a) != VT_ARR || jv_n(c, a) <= 1)
		return a;
	r = (a->flags & JVF_SEQ) ? ex_seq(c, 4) : new_arr(c, 4);
	for (i = 0; i < jv_n(c, a); i++)
	{
		Jv		   *v = jv_at(c, a, i);
		bool		dup = false;

		for (j = 0; j < r->u.arr.n; j++)
			if (ex_deep_equal(c, v, r->u.arr.items[j]))
			{
				dup = true;
				break;
			}
		ex_tick(c, (long) (r->u.arr.n / 32) + 1);
		if (!dup)
			ex_push(c, r, v);
	}
	return r;
}

static Jv *
f_sort(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *a = ARG(0);
	Jv		   *r;
	size_t		n,
				i,
				width;
	bool		nums = true,
				strs = true;
	Jv		  **src,
			  **tmp;

	if (nargs > 1 && ARG(1) != NULL)
		ex_throw(c, pos, "U1001", "$sort() with a comparator function is not supported");
	if (a == NULL)
		return NULL;
	n = jv_n(c, a);
	if (n <= 1)
		return a;
	for (i = 0; i < n; i++)
	{
		Jv		   *v = jv_at(c, a, i);

		if (!ex_is_numeric(c, v))
			nums = false;
		if (vt(v) != VT_STR)
			strs = false;
	}
	if (!nums && !strs)
		ex_throw(c, pos, "D3070",
				 "The single argument form of the sort function can only be applied to an array of strings or an array of numbers");
	src = jv_alloc(c->a, n * sizeof(Jv *));
	tmp = jv_alloc(c->a, n * sizeof(Jv *));
	if (!src || !tmp)
		ex_oom(c);
	for (i = 0; i < n; i++)
		src[i] = jv_at(c, a, i);
	for (width = 1; width < n; width *= 2)
	{
		size_t		lo;

		for (lo = 0; lo < n; lo += 2 * width)
		{
			size_t		mid = lo + width < n ? lo + width : n;
			size_t		hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t		l = lo,
						rr = mid,
						o = lo;

			while (l < mid && rr < hi)
			{
				bool		gt;

				if (nums)
					gt = NUM(src[l]) > NUM(src[rr]);
				else
				{
					size_t		m = src[l]->u.str.len < src[rr]->u.str.len ? src[l]->u.str.len : src[rr]->u.str.len;
					int			cmp = memcmp(src[l]->u.str.s, src[rr]->u.str.s, m);

					gt = cmp > 0 || (cmp == 0 && src[l]->u.str.len > src[rr]->u.str.len);
				}
				tmp[o++] = gt ? src[rr++] : src[l++];
			}
			while (l < mid)
				tmp[o++] = src[l++];
			while (rr < hi)
				tmp[o++] = src[rr++];
		}
		memcpy(src, tmp, n * sizeof(Jv *));
		ex_tick(c, (long) (n / 16) + 1);
	}
	r = new_arr(c, n);
	for (i = 0; i < n; i++)
		ex_push(c, r, src[i]);
	return r;
}

/* ---- errors ----------------------------------------------------------------- */

static Jv *
f_error(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *m = ARG(0);

	if (m == NULL)
		ex_throw(c, pos, "D3137", "$error() function evaluated");
	ex_throw(c, pos, "D3137", "%.*s", (int) (m->u.str.len > 300 ? 300 : m->u.str.len), m->u.str.s);
	return NULL;
}

static Jv *
f_assert(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *cond = ARG(0);
	Jv		   *m = ARG(1);

	if (cond == NULL || !cond->u.b)
	{
		if (m == NULL)
			ex_throw(c, pos, "D3141", "$assert() statement failed");
		ex_throw(c, pos, "D3141", "%.*s", (int) (m->u.str.len > 300 ? 300 : m->u.str.len), m->u.str.s);
	}
	return NULL;
}

/* ---- URLs and base64 -------------------------------------------------------- */

static bool
has_lone_surrogate(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i + 1 < len; i++)
		if ((unsigned char) s[i] == 0xED && ((unsigned char) s[i + 1] & 0xE0) == 0xA0)
			return true;
	return false;
}

static Jv *
url_encode(Ctx *c, Jv *s, const char *keep, const char *fname, int pos)
{
	static const char hex[] = "0123456789ABCDEF";
	char	   *out;
	size_t		i,
				o = 0;

	if (s == NULL)
		return NULL;
	if (has_lone_surrogate(s->u.str.s, s->u.str.len))
		ex_throw(c, pos, "D3140", "Malformed URL passed to $%s()", fname);
	ex_check_string(c, s->u.str.len * 3, pos);
	out = ex_buf(c, s->u.str.len * 3);
	for (i = 0; i < s->u.str.len; i++)
	{
		unsigned char ch = (unsigned char) s->u.str.s[i];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			(ch < 0x80 && strchr(keep, ch) != NULL && ch != '\0'))
			out[o++] = (char) ch;
		else
		{
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	return ex_str_nocopy(c, out, o);
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static Jv *
url_decode(Ctx *c, Jv *s, const char *reserved, const char *fname, int pos)
{
	char	   *out;
	size_t		i = 0,
				o = 0;

	if (s == NULL)
		return NULL;
	out = ex_buf(c, s->u.str.len);
	while (i < s->u.str.len)
	{
		const char *p = s->u.str.s;

		if (p[i] != '%')
		{
			out[o++] = p[i++];
			continue;
		}
		{
			unsigned char bytes[4];
			int			need,
						k;
			int			h1 = i + 2 < s->u.str.len ? hexval(p[i + 1]) : -1;
			int			h2 = i + 2 < s->u.str.len ? hexval(p[i + 2]) : -1;

			if (h1 < 0 || h2 < 0)
				ex_throw(c, pos, "D3140", "Malformed URL passed to $%s()", fname);
			bytes[0] = (unsigned char) (h1 * 16 + h2);
			if (bytes[0] < 0x80)
			{
				if (strchr(reserved, bytes[0]) != NULL && bytes[0] != 0)
					memcpy(out + o, p + i, 3), o += 3;
				else
					out[o++] = (char) bytes[0];
				i += 3;
				continue;
			}
			need = (bytes[0] & 0xE0) == 0xC0 ? 1 : (bytes[0] & 0xF0) == 0xE0 ? 2 :
				(bytes[0] & 0xF8) == 0xF0 ? 3 : -1;
			if (need < 0)
				ex_throw(c, pos, "D3140", "Malformed URL passed to $%s()", fname);
			for (k = 1; k <= need; k++)
			{
				size_t		at = i + 3 * k;

				if (at + 2 >= s->u.str.len + 1 || p[at] != '%' || hexval(p[at + 1]) < 0 ||
					hexval(p[at + 2]) < 0)
					ex_throw(c, pos, "D3140", "Malformed URL passed to $%s()", fname);
				bytes[k] = (unsigned char) (hexval(p[at + 1]) * 16 + hexval(p[at + 2]));
				if ((bytes[k] & 0xC0) != 0x80)
					ex_throw(c, pos, "D3140", "Malformed URL passed to $%s()", fname);
			}
			memcpy(out + o, bytes, need + 1);
			o += need + 1;
			i += 3 * (need + 1);
		}
	}
	return ex_str_nocopy(c, out, o);
}

static Jv *
f_encode_url_component(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return url_encode(c, ARG(0), "-_.!~*'()", "encodeUrlComponent", pos);
}

static Jv *
f_encode_url(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return url_encode(c, ARG(0), "-_.!~*'();/?:@&=+$,#", "encodeUrl", pos);
}

static Jv *
f_decode_url_component(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return url_decode(c, ARG(0), "", "decodeUrlComponent", pos);
}

static Jv *
f_decode_url(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return url_decode(c, ARG(0), ";/?:@&=+$,#", "decodeUrl", pos);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static Jv *
f_base64encode(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *s = ARG(0);
	unsigned char *bytes;
	size_t		n = 0,
				i = 0,
				o = 0;
	char	   *out;

	if (s == NULL)
		return NULL;
	/* like Node's Buffer.from(str, 'binary'): one byte per character */
	bytes = (unsigned char *) ex_buf(c, s->u.str.len);
	while (i < s->u.str.len)
		bytes[n++] = (unsigned char) (utf8_decode(s->u.str.s, s->u.str.len, &i) & 0xFF);
	out = ex_buf(c, (n + 2) / 3 * 4);
	for (i = 0; i + 2 < n; i += 3)
	{
		out[o++] = b64[bytes[i] >> 2];
		out[o++] = b64[((bytes[i] & 3) << 4) | (bytes[i + 1] >> 4)];
		out[o++] = b64[((bytes[i + 1] & 15) << 2) | (bytes[i + 2] >> 6)];
		out[o++] = b64[bytes[i + 2] & 63];
	}
	if (n - i == 1)
	{
		out[o++] = b64[bytes[i] >> 2];
		out[o++] = b64[(bytes[i] & 3) << 4];
		out[o++] = '=';
		out[o++] = '=';
	}
	else if (n - i == 2)
	{
		out[o++] = b64[bytes[i] >> 2];
		out[o++] = b64[((bytes[i] & 3) << 4) | (bytes[i + 1] >> 4)];
		out[o++] = b64[(bytes[i + 1] & 15) << 2];
		out[o++] = '=';
	}
	return ex_str_nocopy(c, out, o);
}

static Jv *
f_base64decode(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *s = ARG(0);
	char	   *out;
	size_t		i,
				o = 0;
	unsigned	acc = 0;
	int			bits = 0;

	if (s == NULL)
		return NULL;
	out = ex_buf(c, s->u.str.len * 2);
	for (i = 0; i < s->u.str.len; i++)
	{
		const char *at = strchr(b64, s->u.str.s[i]);

		if (s->u.str.s[i] == '=' || at == NULL || s->u.str.s[i] == '\0')
			continue;
		acc = (acc << 6) | (unsigned) (at - b64);
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			o += utf8_encode((acc >> bits) & 0xFF, out + o);
		}
	}
	return ex_str_nocopy(c, out, o);
}

/* ---- dates ---------------------------------------------------------------- */

/* ISO 8601 text for ms since the epoch, shifted by offset minutes */
static Jv *
iso_string(Ctx *c, double ms, int offset_min, bool has_offset)
{
	char		buf[64];
	int64_t		t,
				days,
				rem,
				y;
	int			mo,
				d;
	int			n;

	if (!isfinite(ms) || fabs(ms) > 8.64e15)
		ex_throw(c, -1, "D3110", "The timestamp cannot be represented as a date");
	t = (int64_t) floor(ms) + (int64_t) offset_min * 60000;
	days = t >= 0 ? t / 86400000 : -((-t + 86399999) / 86400000);
	rem = t - days * 86400000;
	expr_civil_from_days(days, &y, &mo, &d);
	if (y >= 0 && y <= 9999)
		n = snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d.%03d", (long long) y, mo, d,
					 (int) (rem / 3600000), (int) (rem / 60000 % 60), (int) (rem / 1000 % 60),
					 (int) (rem % 1000));
	else
		n = snprintf(buf, sizeof(buf), "%c%06lld-%02d-%02dT%02d:%02d:%02d.%03d", y < 0 ? '-' : '+',
					 (long long) (y < 0 ? -y : y), mo, d,
					 (int) (rem / 3600000), (int) (rem / 60000 % 60), (int) (rem / 1000 % 60),
					 (int) (rem % 1000));
	if (!has_offset || offset_min == 0)
		n += snprintf(buf + n, sizeof(buf) - n, "Z");
	else
		n += snprintf(buf + n, sizeof(buf) - n, "%c%02d:%02d", offset_min < 0 ? '-' : '+',
					  abs(offset_min) / 60, abs(offset_min) % 60);
	return ex_str(c, buf, n);
}

static bool
digits(const char *s, size_t len, size_t at, int n, int *out)
{
	int			v = 0;
	int			k;

	if (at + n > len)
		return false;
	for (k = 0; k < n; k++)
	{
		if (s[at + k] < '0' || s[at + k] > '9')
			return false;
		v = v * 10 + (s[at + k] - '0');
	}
	*out = v;
	return true;
}

/* parse "±HHMM" / "±HH:MM" into minutes */
static bool
parse_offset(const char *s, size_t len, int *minutes)
{
	int			sign = 1,
				h,
				m;
	size_t		i = 0;

	if (len > 0 && (s[0] == '+' || s[0] == '-'))
	{
		sign = s[0] == '-' ? -1 : 1;
		i = 1;
	}
	if (!digits(s, len, i, 2, &h))
		return false;
	i += 2;
	if (i < len && s[i] == ':')
		i++;
	if (!digits(s, len, i, 2, &m))
		return false;
	if (i + 2 != len)
		return false;
	*minutes = sign * (h * 60 + m);
	return true;
}

static double
now_ms(Ctx *c)
{
	if (!c->now_set)
	{
		c->now = c->hooks->now_ms ? c->hooks->now_ms(c->hooks->ctx) : 0;
		c->now_set = true;
	}
	return c->now;
}

static Jv *
f_to_millis(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *ts = ARG(0);
	const char *s;
	size_t		len,
				i = 0;
	int			y,
				mo = 1,
				d = 1,
				h = 0,
				mi = 0,
				se = 0,
				off = 0;
	double		ms = 0;

	if (ts == NULL)
		return NULL;
	if (ARG(1) != NULL)
	{
		double		r;

		if (!expr_parse_datetime(c, ts->u.str.s, ts->u.str.len, ARG(1)->u.str.s, ARG(1)->u.str.len,
								 now_ms(c), &r, pos))
			return NULL;
		return ex_num(c, r);
	}
	s = ts->u.str.s;
	len = ts->u.str.len;
	if (!digits(s, len, 0, 4, &y))
		goto bad;
	i = 4;
	if (i < len && s[i] == '-')
	{
		if (!digits(s, len, i + 1, 2, &mo))
			goto bad;
		i += 3;
		if (i < len && s[i] == '-')
		{
			if (!digits(s, len, i + 1, 2, &d))
				goto bad;
			i += 3;
		}
	}
	if (i < len && s[i] == 'T')
	{
		if (!digits(s, len, i + 1, 2, &h) || i + 3 >= len || s[i + 3] != ':' ||
			!digits(s, len, i + 4, 2, &mi) || i + 6 >= len || s[i + 6] != ':' ||
			!digits(s, len, i + 7, 2, &se))
			goto bad;
		i += 9;
		if (i < len && s[i] == '.')
		{
			double		scale = 100;
			size_t		j = i + 1;

			if (j >= len || s[j] < '0' || s[j] > '9')
				goto bad;
			while (j < len && s[j] >= '0' && s[j] <= '9')
			{
				ms += (s[j] - '0') * scale;
				scale /= 10;
				j++;
			}
			ms = floor(ms);
			i = j;
		}
		if (i < len && s[i] == 'Z')
			i++;
		else if (i < len && (s[i] == '+' || s[i] == '-'))
		{
			if (!parse_offset(s + i, len - i, &off))
				goto bad;
			i = len;
		}
	}
	if (i != len || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || se > 59)
		goto bad;
	{
		int64_t		days = expr_days_from_civil(y, mo, d);
		int64_t		y2;
		int			m2,
					d2;

		expr_civil_from_days(days, &y2, &m2, &d2);
		if ((int) m2 != mo || (int) d2 != d)
			goto bad;
		return ex_num(c, (double) days * 86400000.0 + h * 3600000.0 + mi * 60000.0 + se * 1000.0 + ms -
					  off * 60000.0);
	}
bad:
	ex_throw(c, pos, "D3110", "The timestamp %.*s cannot be parsed",
			 (int) (len > 60 ? 60 : len), s);
	return NULL;
}

static Jv *
format_millis(Ctx *c, double ms, Jv *picture, Jv *tz, int pos)
{
	size_t		len;
	const char *out = expr_format_datetime(c, ms, picture ? picture->u.str.s : NULL,
										   picture ? picture->u.str.len : 0,
										   tz ? tz->u.str.s : NULL, tz ? tz->u.str.len : 0,
										   &len, pos);

	return ex_str_nocopy(c, out, len);
}

static Jv *
f_from_millis(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	if (ARG(0) == NULL)
		return NULL;
	return format_millis(c, NUM(ARG(0)), ARG(1), ARG(2), pos);
}

static Jv *
f_now(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return format_millis(c, now_ms(c), ARG(0), ARG(1), pos);
}

static Jv *
f_millis(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return ex_num(c, now_ms(c));
}

/* ---- Alga PSA's allowlist ------------------------------------------------------ */

static Jv *
a_now_iso(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	return iso_string(c, now_ms(c), 0, false);
}

static Jv *
a_coalesce(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	int			i;

	for (i = 0; i < nargs; i++)
		if (vt(args[i]) != VT_UNDEF && vt(args[i]) != VT_NULL)
			return args[i];
	return chk_null(c);
}

static size_t
utf16_length(const char *s, size_t len)
{
	size_t		n = 0,
				i;

	for (i = 0; i < len; i++)
	{
		unsigned char ch = (unsigned char) s[i];

		if ((ch & 0xC0) != 0x80)
			n += (ch & 0xF8) == 0xF0 ? 2 : 1;
	}
	return n;
}

static Jv *
a_len(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *v = ARG(0);

	if (vt(v) == VT_STR)
		return ex_num(c, (double) utf16_length(v->u.str.s, v->u.str.len));
	if (vt(v) == VT_ARR)
		return ex_num(c, (double) jv_n(c, v));
	return ex_num(c, 0);
}

/* JavaScript's String(value) */
static void
js_string(Ctx *c, JvBuf *b, Jv *v, int depth)
{
	char		num[40];
	size_t		i;

	if (depth > 1000)
		ex_throw(c, -1, "L1002", "value nesting too deep for toString()");
	switch (vt(v))
	{
		case VT_UNDEF:
		case VT_NULL:
			if (depth == 0)
				jv_buf_append(b, "null", 4);
			break;
		case VT_BOOL:
			jv_buf_append(b, v->u.b ? "true" : "false", v->u.b ? 4 : 5);
			break;
		case VT_NUM:
			jv_buf_append(b, num, jv_format_number(NUM(v), num));
			break;
		case VT_STR:
			jv_buf_append(b, v->u.str.s, v->u.str.len);
			break;
		case VT_ARR:
			for (i = 0; i < jv_n(c, v); i++)
			{
				if (i)
					jv_buf_appendc(b, ',');
				js_string(c, b, jv_at(c, v, i), depth + 1);
			}
			break;
		case VT_OBJ:
			jv_buf_append(b, "[object Object]", 15);
			break;
		case VT_FUNC:
			break;
	}
	if (b->len > c->max_string && c->max_string)
		ex_check_string(c, b->len, -1);
}

static Jv *
a_to_string(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *v = ARG(0);
	JvBuf		b;

	if (vt(v) == VT_UNDEF || vt(v) == VT_NULL)
		return ex_str(c, "", 0);
	if (vt(v) == VT_STR)
		return v;
	jv_buf_init(&b, c->a);
	js_string(c, &b, v, 1);
	if (b.failed)
		ex_oom(c);
	return ex_str_nocopy(c, b.data ? b.data : "", b.len);
}

static Jv *
a_append(Ctx *c, Jv **args, int nargs, Jv *input, int pos)
{
	Jv		   *list = ARG(0);
	Jv		   *value = ARG(1);
	Jv		   *r = new_arr(c, 4);
	size_t		i;

	if (vt(list) == VT_ARR)
		for (i = 0; i < jv_n(c, list); i++)
			ex_push(c, r, jv_at(c, list, i));
	else if (vt(list) != VT_UNDEF && vt(list) != VT_NULL)
		ex_push(c, r, list);
	if (vt(value) == VT_ARR)
		for (i = 0; i < jv_n(c, value); i++)
			ex_push(c, r, jv_at(c, value, i));
	else
		ex_push(c, r, value ? value : chk_null(c));
	return r;
}

/* ---- the tables --------------------------------------------------------------- */

static const FuncDef jsonata_funcs[] = {
	{"sum", "<a<n>:n>", f_sum, FS_EXT, false, NULL},
	{"count", "<a:n>", f_count, FS_EXT, false, NULL},
	{"max", "<a<n>:n>", f_max, FS_EXT, false, NULL},
	{"min", "<a<n>:n>", f_min, FS_EXT, false, NULL},
	{"average", "<a<n>:n>", f_average, FS_EXT, false, NULL},
	{"string", "<x-b?:s>", f_string, FS_EXT, false, NULL},
	{"substring", "<s-nn?:s>", f_substring, FS_EXT, false, NULL},
	{"substringBefore", "<s-s:s>", f_substring_before, FS_EXT, false, NULL},
	{"substringAfter", "<s-s:s>", f_substring_after, FS_EXT, false, NULL},
	{"lowercase", "<s-:s>", f_lowercase, FS_EXT, false, NULL},
	{"uppercase", "<s-:s>", f_uppercase, FS_EXT, false, NULL},
	{"length", "<s-:n>", f_length, FS_EXT, false, NULL},
	{"trim", "<s-:s>", f_trim, FS_EXT, false, NULL},
	{"pad", "<s-ns?:s>", f_pad, FS_EXT, false, NULL},
	{"contains", "<s-(sf):b>", f_contains, FS_EXT, false, NULL},
	{"replace", "<s-(sf)(sf)n?:s>", f_replace, FS_EXT, false, NULL},
	{"split", "<s-(sf)n?:a<s>>", f_split, FS_EXT, false, NULL},
	{"join", "<a<s>s?:s>", f_join, FS_EXT, false, NULL},
	{"number", "<(nsb)-:n>", f_number, FS_EXT, false, NULL},
	{"floor", "<n-:n>", f_floor, FS_EXT, false, NULL},
	{"ceil", "<n-:n>", f_ceil, FS_EXT, false, NULL},
	{"round", "<n-n?:n>", f_round, FS_EXT, false, NULL},
	{"abs", "<n-:n>", f_abs, FS_EXT, false, NULL},
	{"sqrt", "<n-:n>", f_sqrt, FS_EXT, false, NULL},
	{"power", "<n-n:n>", f_power, FS_EXT, false, NULL},
	{"boolean", "<x-:b>", f_boolean, FS_EXT, false, NULL},
	{"not", "<x-:b>", f_not, FS_EXT, false, NULL},
	{"zip", "<a+>", f_zip, FS_EXT, false, NULL},
	{"keys", "<x-:a<s>>", f_keys, FS_EXT, false, NULL},
	{"lookup", "<x-s:x>", f_lookup, FS_EXT, false, NULL},
	{"append", "<xx:a>", f_append, FS_EXT, false, NULL},
	{"exists", "<x:b>", f_exists, FS_EXT, false, NULL},
	{"spread", "<x-:a<o>>", f_spread, FS_EXT, false, NULL},
	{"merge", "<a<o>:o>", f_merge, FS_EXT, false, NULL},
	{"reverse", "<a:a>", f_reverse, FS_EXT, false, NULL},
	{"error", "<s?:x>", f_error, FS_EXT, false, NULL},
	{"assert", "<bs?:x>", f_assert, FS_EXT, false, NULL},
	{"type", "<x:s>", f_type, FS_EXT, false, NULL},
	{"sort", "<af?:a>", f_sort, FS_EXT, false, NULL},
	{"distinct", "<x:x>", f_distinct, FS_EXT, false, NULL},
	{"base64encode", "<s-:s>", f_base64encode, FS_EXT, false, NULL},
	{"base64decode", "<s-:s>", f_base64decode, FS_EXT, false, NULL},
	{"encodeUrlComponent", "<s-:s>", f_encode_url_component, FS_EXT, false, NULL},
	{"encodeUrl", "<s-:s>", f_encode_url, FS_EXT, false, NULL},
	{"decodeUrlComponent", "<s-:s>", f_decode_url_component, FS_EXT, false, NULL},
	{"decodeUrl", "<s-:s>", f_decode_url, FS_EXT, false, NULL},
	{"toMillis", "<s-s?:n>", f_to_millis, FS_EXT, false, NULL},
	{"fromMillis", "<n-s?s?:s>", f_from_millis, FS_EXT, false, NULL},
	{"now", "<s?s?:s>", f_now, FS_EXT, false, NULL},
	{"millis", "<:n>", f_millis, FS_EXT, false, NULL},
	{NULL, NULL, NULL, 0, false, NULL}
};

static const FuncDef alga_funcs[] = {
	{"nowIso", NULL, a_now_iso, FS_ALGA | FS_EXT, true, NULL},
	{"coalesce", NULL, a_coalesce, FS_ALGA | FS_EXT, true, NULL},
	{"len", NULL, a_len, FS_ALGA | FS_EXT, true, NULL},
	{"toString", NULL, a_to_string, FS_ALGA | FS_EXT, true, NULL},
	{"append", NULL, a_append, FS_ALGA, true, NULL},
	{NULL, NULL, NULL, 0, false, NULL}
};

static const FuncDef unsupported_funcs[] = {
	{"eval", NULL, NULL, 0, false, "$eval evaluates expressions built at run time"},
	{"map", NULL, NULL, 0, false, "higher-order functions need function arguments (lambdas)"},
	{"filter", NULL, NULL, 0, false, "higher-order functions need function arguments (lambdas)"},
	{"reduce", NULL, NULL, 0, false, "higher-order functions need function arguments (lambdas)"},
	{"single", NULL, NULL, 0, false, "higher-order functions need function arguments (lambdas)"},
	{"sift", NULL, NULL, 0, false, "higher-order functions need function arguments (lambdas)"},
	{"each", NULL, NULL, 0, false, "higher-order functions need function arguments (lambdas)"},
	{"match", NULL, NULL, 0, false, "regular expressions"},
	{"formatNumber", NULL, NULL, 0, false, "picture-string formatting"},
	{"formatBase", NULL, NULL, 0, false, "picture-string formatting"},
	{"formatInteger", NULL, NULL, 0, false, "picture-string formatting"},
	{"parseInteger", NULL, NULL, 0, false, "picture-string formatting"},
	{"shuffle", NULL, NULL, 0, false, "non-deterministic functions"},
	{"random", NULL, NULL, 0, false, "non-deterministic functions"},
	{"clone", NULL, NULL, 0, false, "transforms"},
	{NULL, NULL, NULL, 0, false, NULL}
};

static Sig jsonata_sigs[sizeof(jsonata_funcs) / sizeof(jsonata_funcs[0])];
static bool sigs_ready = false;

static const FuncDef *
find_in(const FuncDef *table, const char *name, size_t len)
{
	const FuncDef *f;

	for (f = table; f->name; f++)
		if (strlen(f->name) == len && memcmp(f->name, name, len) == 0)
			return f;
	return NULL;
}

const FuncDef *
expr_find_function(const char *name, size_t len, int funcset, bool bare)
{
	const FuncDef *f;

	if (bare || funcset == EXPR_FUNCSET_ALGA)
		return find_in(alga_funcs, name, len);
	f = find_in(jsonata_funcs, name, len);
	if (f)
		return f;
	f = find_in(alga_funcs, name, len);
	return (f && (f->sets & FS_EXT)) ? f : NULL;
}

const FuncDef *
expr_find_unsupported(const char *name, size_t len)
{
	return find_in(unsupported_funcs, name, len);
}

bool
expr_is_builtin_name(const char *name, size_t len)
{
	return find_in(jsonata_funcs, name, len) || find_in(alga_funcs, name, len);
}

Jv *
expr_apply(Ctx *c, const FuncDef *fn, Jv **args, int nargs, Jv *input, int pos)
{
	if (fn->sig != NULL && fn >= jsonata_funcs &&
		fn < jsonata_funcs + sizeof(jsonata_funcs) / sizeof(jsonata_funcs[0]))
	{
		size_t		idx = fn - jsonata_funcs;

		if (!sigs_ready)
		{
			size_t		i;

			for (i = 0; jsonata_funcs[i].name; i++)
				parse_sig(jsonata_funcs[i].sig, &jsonata_sigs[i]);
			sigs_ready = true;
		}
		args = validate_args(c, fn, &jsonata_sigs[idx], args, nargs, input, pos, &nargs);
	}
	return fn->impl(c, args, nargs, input, pos);
}
