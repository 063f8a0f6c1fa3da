/*
 * expr_datetime.c — date/time picture strings for $fromMillis, $toMillis and
 * $now: the XPath F&O format-dateTime markers ([Y0001], [MNn], [D1o], [Z01:01t]
 * ...) as the reference JSONata implements them, for formatting and parsing.
 * All times are UTC shifted by the requested offset.
 */
#include "expr_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) ---- */

int64_t
expr_days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	unsigned	yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned) (y - era * 400);
	doy = (unsigned) ((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t) doe - 719468;
}

void
expr_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era;
	unsigned	doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned) (z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t) yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y += *m <= 2;
}

#define MS_DAY 86400000.0

/* Date.UTC(year, month0) for month0 possibly outside 0..11 */
static double
utc_month_start(double year, double month0)
{
	double		y;
	double		m = month0 - 12 * floor(month0 / 12);

	/* Date.UTC reads years 0..99 as 1900..1999 */
	if (year >= 0 && year <= 99)
		year += 1900;
	y = year + floor(month0 / 12);

	return (double) expr_days_from_civil((int64_t) y, (int) m + 1, 1) * MS_DAY;
}

typedef struct Tm
{
	int64_t		year;
	int			month;			/* 1..12 */
	int			day;
	int			hour,
				minute,
				second,
				ms;
	int			wday;			/* 1 = Monday .. 7 = Sunday */
	double		millis;			/* the instant itself */
} Tm;

static void
to_tm(double millis, Tm *t)
{
	double		days;
	double		rem;
	int64_t		w;

	/* callers keep instants within JavaScript's range; never cast beyond int64 */
	if (!(fabs(millis) < 1e17))
		millis = 0;
	days = floor(millis / MS_DAY);
	rem = millis - days * MS_DAY;

	expr_civil_from_days((int64_t) days, &t->year, &t->month, &t->day);
	t->hour = (int) (rem / 3600000);
	t->minute = (int) fmod(floor(rem / 60000), 60);
	t->second = (int) fmod(floor(rem / 1000), 60);
	t->ms = (int) fmod(rem, 1000);
	w = ((int64_t) days + 4) % 7;	/* 1970-01-01 was a Thursday */
	if (w < 0)
		w += 7;
	t->wday = w == 0 ? 7 : (int) w;
	t->millis = millis;
}

/* ISO 8601: week 1 contains the first Thursday (of the year or, per XPath, the month) */
static double
start_of_first_week(double year, double month0)
{
	double		jan1 = utc_month_start(year, month0);
	Tm			t;
	int			dow;

	to_tm(jan1, &t);
	dow = t.wday;
	return dow > 4 ? jan1 + (8 - dow) * MS_DAY : jan1 - (dow - 1) * MS_DAY;
}

static double
delta_weeks(double start, double end)
{
	return (end - start) / (MS_DAY * 7) + 1;
}

/* the value of component c (integer components; 'P' gives 0 am / 1 pm) */
static double
component_value(const Tm *t, char c)
{
	switch (c)
	{
		case 'Y':
			return (double) t->year;
		case 'M':
			return t->month;
		case 'D':
			return t->day;
		case 'd':
			{
				double		today = (double) expr_days_from_civil(t->year, t->month, t->day) * MS_DAY;
				double		first = (double) expr_days_from_civil(t->year, 1, 1) * MS_DAY;

				return (today - first) / MS_DAY + 1;
			}
		case 'F':
			return t->wday;
		case 'W':
			{
				double		y = (double) t->year;
				double		start = start_of_first_week(y, 0);
				double		today = (double) expr_days_from_civil(t->year, t->month, t->day) * MS_DAY;
				double		week = delta_weeks(start, today);

				if (week > 52)
				{
					if (today >= start_of_first_week(y + 1, 0))
						week = 1;
				}
				else if (week < 1)
					week = delta_weeks(start_of_first_week(y - 1, 0), today);
				return floor(week);
			}
		case 'w':
			{
				double		y = (double) t->year;
				double		m = t->month - 1;
				double		start = start_of_first_week(y, m);
				double		today = (double) expr_days_from_civil(t->year, t->month, t->day) * MS_DAY;
				double		week = delta_weeks(start, today);

				if (week > 4)
				{
					if (today >= start_of_first_week(m == 11 ? y + 1 : y, m == 11 ? 0 : m + 1))
						week = 1;
				}
				else if (week < 1)
					week = delta_weeks(start_of_first_week(m == 0 ? y - 1 : y, m == 0 ? 11 : m - 1), today);
				return floor(week);
			}
		case 'X':
			{
				double		y = (double) t->year;

				if (t->millis < start_of_first_week(y, 0))
					return y - 1;
				if (t->millis >= start_of_first_week(y + 1, 0))
					return y + 1;
				return y;
			}
		case 'x':
			{
				double		y = (double) t->year;
				double		m = t->month - 1;

				if (t->millis < start_of_first_week(y, m))
					return m == 0 ? 12 : m;
				if (t->millis >= start_of_first_week(m == 11 ? y + 1 : y, m == 11 ? 0 : m + 1))
					return m == 11 ? 1 : m + 2;
				return m + 1;
			}
		case 'H':
			return t->hour;
		case 'h':
			return t->hour % 12 == 0 ? 12 : t->hour % 12;
		case 'P':
			return t->hour >= 12 ? 1 : 0;
		case 'm':
			return t->minute;
		case 's':
			return t->second;
		case 'f':
			return t->ms;
	}
	return 0;
}

/* ---- integer pictures ----------------------------------------------------- */

typedef enum
{
	PF_DECIMAL,
	PF_LETTERS,
	PF_ROMAN,
	PF_WORDS,
	PF_SEQUENCE
} Primary;

enum
{
	CASE_LOWER,
	CASE_UPPER,
	CASE_TITLE
};

typedef struct Sep
{
	int			position;
	unsigned	ch;
} Sep;

typedef struct IntFormat
{
	Primary		primary;
	int			tcase;
	bool		ordinal;
	unsigned	zero;			/* code point of the digit zero */
	int			mandatory;
	int			optional;
	bool		regular;
	int			nsep;
	Sep			seps[32];		/* regular: seps[0] holds interval and character */
	int			parse_width;
} IntFormat;

static const unsigned decimal_groups[] = {
	0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66,
	0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946,
	0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0,
	0xA9F0, 0xAA50, 0xABF0, 0xFF10
};

static unsigned
utf8_next(const char *s, size_t len, size_t *i)
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

static void
put_cp(JvBuf *b, unsigned cp)
{
	char		out[4];
	int			n;

	if (cp < 0x80)
		out[0] = (char) cp, n = 1;
	else if (cp < 0x800)
		out[0] = (char) (0xC0 | (cp >> 6)), out[1] = (char) (0x80 | (cp & 0x3F)), n = 2;
	else if (cp < 0x10000)
		out[0] = (char) (0xE0 | (cp >> 12)), out[1] = (char) (0x80 | ((cp >> 6) & 0x3F)),
			out[2] = (char) (0x80 | (cp & 0x3F)), n = 3;
	else
		out[0] = (char) (0xF0 | (cp >> 18)), out[1] = (char) (0x80 | ((cp >> 12) & 0x3F)),
			out[2] = (char) (0x80 | ((cp >> 6) & 0x3F)), out[3] = (char) (0x80 | (cp & 0x3F)), n = 4;
	jv_buf_append(b, out, n);
}

static int
gcd(int a, int b)
{
	return b == 0 ? a : gcd(b, a % b);
}

static void
analyse_integer(Ctx *c, const char *pic, size_t len, IntFormat *f)
{
	const char *semi = NULL;
	size_t		plen = len;
	size_t		i;

	memset(f, 0, sizeof(*f));
	f->primary = PF_DECIMAL;
	f->tcase = CASE_LOWER;
	f->zero = 0x30;
	for (i = len; i > 0; i--)
		if (pic[i - 1] == ';')
		{
			semi = pic + i - 1;
			break;
		}
	if (semi)
	{
		plen = semi - pic;
		if (semi + 1 < pic + len && semi[1] == 'o')
			f->ordinal = true;
	}
	if (plen == 1 && (pic[0] == 'A' || pic[0] == 'a'))
	{
		f->primary = PF_LETTERS;
		f->tcase = pic[0] == 'A' ? CASE_UPPER : CASE_LOWER;
		return;
	}
	if (plen == 1 && (pic[0] == 'I' || pic[0] == 'i'))
	{
		f->primary = PF_ROMAN;
		f->tcase = pic[0] == 'I' ? CASE_UPPER : CASE_LOWER;
		return;
	}
	if (plen == 1 && pic[0] == 'W')
	{
		f->primary = PF_WORDS;
		f->tcase = CASE_UPPER;
		return;
	}
	if (plen == 2 && pic[0] == 'W' && pic[1] == 'w')
	{
		f->primary = PF_WORDS;
		f->tcase = CASE_TITLE;
		return;
	}
	if (plen == 1 && pic[0] == 'w')
	{
		f->primary = PF_WORDS;
		return;
	}
	{
		/* decimal digit pattern, read right to left */
		unsigned	cps[128];
		int			n = 0,
					k;
		int			sep_pos = 0;
		bool		have_zero = false;
		Sep			seps[32];
		int			nsep = 0;

		i = 0;
		while (i < plen && n < 128)
			cps[n++] = utf8_next(pic, plen, &i);
		for (k = n - 1; k >= 0; k--)
		{
			unsigned	cp = cps[k];
			bool		digit = false;
			size_t		g;

			for (g = 0; g < sizeof(decimal_groups) / sizeof(decimal_groups[0]); g++)
				if (cp >= decimal_groups[g] && cp <= decimal_groups[g] + 9)
				{
					digit = true;
					f->mandatory++;
					sep_pos++;
					if (!have_zero)
					{
						f->zero = decimal_groups[g];
						have_zero = true;
					}
					else if (decimal_groups[g] != f->zero)
						ex_throw(c, -1, "D3131",
								 "In a decimal digit pattern, all digits must be from the same decimal group");
					break;
				}
			if (!digit)
			{
				if (cp == '#')
				{
					sep_pos++;
					f->optional++;
				}
				else if (nsep < 32)
				{
					seps[nsep].position = sep_pos;
					seps[nsep].ch = cp;
					nsep++;
				}
			}
		}
		if (f->mandatory == 0)
		{
			f->primary = PF_SEQUENCE;
			return;
		}
		/* regular grouping: one character, equally spaced */
		if (nsep > 0)
		{
			bool		same = true;
			int			factor = seps[0].position;

			for (k = 1; k < nsep; k++)
			{
				if (seps[k].ch != seps[0].ch)
					same = false;
				factor = gcd(factor, seps[k].position);
			}
			if (same && factor > 0)
			{
				int			idx;

				for (idx = 1; idx <= nsep; idx++)
				{
					bool		found = false;

					for (k = 0; k < nsep; k++)
						if (seps[k].position == idx * factor)
							found = true;
					if (!found)
						same = false;
				}
			}
			if (same && factor > 0)
			{
				f->regular = true;
				f->nsep = 1;
				f->seps[0].position = factor;
				f->seps[0].ch = seps[0].ch;
				return;
			}
		}
		f->regular = false;
		f->nsep = nsep;
		memcpy(f->seps, seps, nsep * sizeof(Sep));
	}
}

static const char *const few[] = {"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven",
	"Eight", "Nine", "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen",
"Seventeen", "Eighteen", "Nineteen"};
static const char *const ordinals[] = {"Zeroth", "First", "Second", "Third", "Fourth", "Fifth",
	"Sixth", "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Twelfth", "Thirteenth",
"Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"};
static const char *const decades[] = {"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy",
"Eighty", "Ninety", "Hundred"};
static const char *const magnitudes[] = {"Thousand", "Million", "Billion", "Trillion"};

static void
words_of(JvBuf *b, double num, bool prev, bool ord)
{
	if (num <= 19)
	{
		if (prev)
			jv_buf_append(b, " and ", 5);
		jv_buf_append(b, ord ? ordinals[(int) num] : few[(int) num],
					  strlen(ord ? ordinals[(int) num] : few[(int) num]));
	}
	else if (num < 100)
	{
		int			tens = (int) (num / 10);
		int			rem = (int) fmod(num, 10);
		const char *dw = decades[tens - 2];

		if (prev)
			jv_buf_append(b, " and ", 5);
		if (rem > 0)
		{
			jv_buf_append(b, dw, strlen(dw));
			jv_buf_appendc(b, '-');
			words_of(b, rem, false, ord);
		}
		else if (ord)
		{
			jv_buf_append(b, dw, strlen(dw) - 1);
			jv_buf_append(b, "ieth", 4);
		}
		else
			jv_buf_append(b, dw, strlen(dw));
	}
	else if (num < 1000)
	{
		int			hundreds = (int) (num / 100);
		double		rem = fmod(num, 100);

		if (prev)
			jv_buf_append(b, ", ", 2);
		jv_buf_append(b, few[hundreds], strlen(few[hundreds]));
		jv_buf_append(b, " Hundred", 8);
		if (rem > 0)
			words_of(b, rem, true, ord);
		else if (ord)
			jv_buf_append(b, "th", 2);
	}
	else
	{
		int			mag = (int) floor(log10(num) / 3);
		double		factor,
					mant,
					rem;

		if (mag > 4)
			mag = 4;
		factor = pow(10, mag * 3);
		mant = floor(num / factor);
		rem = num - mant * factor;
		if (prev)
			jv_buf_append(b, ", ", 2);
		words_of(b, mant, false, false);
		jv_buf_appendc(b, ' ');
		jv_buf_append(b, magnitudes[mag - 1], strlen(magnitudes[mag - 1]));
		if (rem > 0)
			words_of(b, rem, true, ord);
		else if (ord)
			jv_buf_append(b, "th", 2);
	}
}

static void
recase(char *s, size_t len, int tcase)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		if (tcase == CASE_UPPER && s[i] >= 'a' && s[i] <= 'z')
			s[i] -= 32;
		else if (tcase == CASE_LOWER && s[i] >= 'A' && s[i] <= 'Z')
			s[i] += 32;
	}
}

/* _formatInteger: append the formatted value to b */
static void
format_integer(Ctx *c, JvBuf *b, double value, const IntFormat *f)
{
	bool		neg = value < 0;
	size_t		start;

	value = fabs(value);
	if (neg)
		jv_buf_appendc(b, '-');
	start = b->len;
	switch (f->primary)
	{
		case PF_LETTERS:
			{
				char		tmp[64];
				int			n = 0,
							k;
				double		v = value;

				while (v > 0 && n < 63)
				{
					tmp[n++] = (char) ((f->tcase == CASE_UPPER ? 'A' : 'a') + (int) fmod(v - 1, 26));
					v = floor((v - 1) / 26);
				}
				for (k = n - 1; k >= 0; k--)
					jv_buf_appendc(b, tmp[k]);
				break;
			}
		case PF_ROMAN:
			{
				static const int vals[] = {1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1};
				static const char *const syms[] = {"m", "cm", "d", "cd", "c", "xc", "l", "xl", "x", "ix", "v", "iv", "i"};
				double		v = value;
				int			k;

				if (v > 100000)
					ex_throw(c, -1, "D3130", "Number too large for roman numerals");
				for (k = 0; k < 13; k++)
					while (v >= vals[k])
					{
						jv_buf_append(b, syms[k], strlen(syms[k]));
						v -= vals[k];
					}
				if (f->tcase == CASE_UPPER)
					recase(b->data + start, b->len - start, CASE_UPPER);
				break;
			}
		case PF_WORDS:
			words_of(b, value, false, f->ordinal);
			if (f->tcase != CASE_TITLE)
				recase(b->data + start, b->len - start, f->tcase);
			break;
		case PF_DECIMAL:
			{
				char		digits[64];
				int			nd = 0,
							k;
				char		num[40];
				unsigned	cps[128];
				int			ncp = 0;

				jv_format_number(value, num);
				if (strchr(num, 'e') != NULL || strlen(num) > 40)
					ex_throw(c, -1, "D3130", "Number too large to format with a picture");
				for (k = 0; num[k]; k++)
					digits[nd++] = num[k];
				for (k = nd; k < f->mandatory && ncp < 100; k++)
					cps[ncp++] = '0';
				for (k = 0; k < nd && ncp < 120; k++)
					cps[ncp++] = (unsigned char) digits[k];
				if (f->zero != 0x30)
					for (k = 0; k < ncp; k++)
						if (cps[k] >= '0' && cps[k] <= '9')
							cps[k] = cps[k] - '0' + f->zero;
				/* grouping separators, counted from the right */
				{
					bool		sep_after[128] = {false};
					unsigned	sep_char[128];

					if (f->regular)
					{
						int			groups = (ncp - 1) / f->seps[0].position;
						int			g;

						for (g = groups; g > 0; g--)
						{
							int			pos = ncp - g * f->seps[0].position;

							if (pos > 0)
							{
								sep_after[pos - 1] = true;
								sep_char[pos - 1] = f->seps[0].ch;
							}
						}
					}
					else
						for (k = 0; k < f->nsep; k++)
						{
							int			pos = ncp - f->seps[k].position;

							if (pos > 0 && pos <= ncp)
							{
								sep_after[pos - 1] = true;
								sep_char[pos - 1] = f->seps[k].ch;
							}
						}
					for (k = 0; k < ncp; k++)
					{
						put_cp(b, cps[k]);
						if (sep_after[k] && k < ncp - 1)
							put_cp(b, sep_char[k]);
					}
				}
				if (f->ordinal)
				{
					char		last = ncp ? (char) (cps[ncp - 1] - f->zero + '0') : '0';
					char		prev = ncp > 1 ? (char) (cps[ncp - 2] - f->zero + '0') : 0;
					const char *suffix = "th";

					if (prev != '1')
					{
						if (last == '1')
							suffix = "st";
						else if (last == '2')
							suffix = "nd";
						else if (last == '3')
							suffix = "rd";
					}
					jv_buf_append(b, suffix, 2);
				}
				break;
			}
		case PF_SEQUENCE:
			ex_throw(c, -1, "D3130", "Formatting or parsing an integer with this picture is not supported");
	}
}

/* ---- date/time pictures --------------------------------------------------- */

typedef struct Part
{
	bool		literal;
	const char *text;			/* literal text */
	size_t		tlen;
	char		component;
	const char *pres1;
	size_t		p1len;
	char		pres2;
	int			names;			/* 0 none, else CASE_* + 1 */
	bool		has_width;
	int			wmin,
				wmax;			/* -1 = unspecified */
	bool		has_int;
	IntFormat	ifmt;
	int			n;				/* Y: digits kept, -1 = all */
} Part;

typedef struct Picture
{
	int			nparts;
	Part	   *parts;
} Picture;

static const char *
default_presentation(char c)
{
	switch (c)
	{
		case 'Y':
		case 'M':
		case 'D':
		case 'd':
		case 'W':
		case 'w':
		case 'X':
		case 'x':
		case 'H':
		case 'h':
		case 'f':
			return "1";
		case 'F':
		case 'P':
		case 'C':
		case 'E':
			return "n";
		case 'm':
		case 's':
			return "01";
		case 'Z':
		case 'z':
			return "01:01";
	}
	return NULL;
}

static void *
dt_alloc(Ctx *c, size_t n)
{
	void	   *p = jv_alloc(c->a, n);

	if (p == NULL)
		ex_oom(c);
	return p;
}

static void
add_literal(Ctx *c, Picture *pic, int *cap, const char *s, size_t len)
{
	char	   *out;
	size_t		i,
				o = 0;
	Part	   *p;

	if (len == 0)
		return;
	out = dt_alloc(c, len + 1);
	for (i = 0; i < len; i++)
	{
		out[o++] = s[i];
		if (s[i] == ']' && i + 1 < len && s[i + 1] == ']')
			i++;
	}
	if (pic->nparts == *cap)
	{
		Part	   *np = dt_alloc(c, *cap * 2 * sizeof(Part));

		memcpy(np, pic->parts, *cap * sizeof(Part));
		pic->parts = np;
		*cap *= 2;
	}
	p = &pic->parts[pic->nparts++];
	memset(p, 0, sizeof(*p));
	p->literal = true;
	p->text = out;
	p->tlen = o;
}

static int
parse_width(const char *s, size_t len)
{
	int			v = 0;
	size_t		i;

	if (len == 0 || (len == 1 && s[0] == '*'))
		return -1;
	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		if (v < 100000)
			v = v * 10 + (s[i] - '0');
	return i == 0 ? -1 : v;
}

static void
analyse_picture(Ctx *c, const char *s, size_t len, Picture *pic)
{
	size_t		start = 0,
				pos = 0;
	int			cap = 8;

	pic->nparts = 0;
	pic->parts = dt_alloc(c, cap * sizeof(Part));
	while (pos < len)
	{
		if (s[pos] == '[')
		{
			const char *close;
			char	   *marker;
			size_t		mlen = 0,
						k;
			Part	   *p;
			const char *comma = NULL;
			const char *pres;
			size_t		plen;

			if (pos + 1 < len && s[pos + 1] == '[')
			{
				add_literal(c, pic, &cap, s + start, pos - start);
				add_literal(c, pic, &cap, "[", 1);
				pos += 2;
				start = pos;
				continue;
			}
			add_literal(c, pic, &cap, s + start, pos - start);
			start = pos;
			close = memchr(s + pos, ']', len - pos);
			if (close == NULL)
				ex_throw(c, -1, "D3135", "No matching closing bracket ']' in date/time picture string");
			marker = dt_alloc(c, close - (s + pos) + 1);
			for (k = pos + 1; k < (size_t) (close - s); k++)
				if (!(s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r' || s[k] == '\f' || s[k] == '\v'))
					marker[mlen++] = s[k];
			marker[mlen] = '\0';
			if (pic->nparts == cap)
			{
				Part	   *np = dt_alloc(c, cap * 2 * sizeof(Part));

				memcpy(np, pic->parts, cap * sizeof(Part));
				pic->parts = np;
				cap *= 2;
			}
			p = &pic->parts[pic->nparts];
			memset(p, 0, sizeof(*p));
			p->component = mlen ? marker[0] : '\0';
			p->wmin = p->wmax = -1;
			for (k = mlen; k > 0; k--)
				if (marker[k - 1] == ',')
				{
					comma = marker + k - 1;
					break;
				}
			if (comma)
			{
				const char *w = comma + 1;
				size_t		wlen = marker + mlen - w;
				const char *dash = memchr(w, '-', wlen);

				p->has_width = true;
				if (dash == NULL)
					p->wmin = parse_width(w, wlen);
				else
				{
					p->wmin = parse_width(w, dash - w);
					p->wmax = parse_width(dash + 1, w + wlen - dash - 1);
				}
				pres = marker + 1;
				plen = comma - pres;
				if (comma == marker)
				{
					/* JavaScript's substring(1, 0) is substring(0, 1) */
					pres = marker;
					plen = 1;
				}
			}
			else
			{
				pres = marker + 1;
				plen = mlen > 0 ? mlen - 1 : 0;
			}
			if (plen == 1)
			{
				p->pres1 = pres;
				p->p1len = 1;
			}
			else if (plen > 1)
			{
				char		last = pres[plen - 1];

				if (strchr("atco", last) != NULL)
				{
					p->pres2 = last;
					p->pres1 = pres;
					p->p1len = plen - 1;
				}
				else
				{
					p->pres1 = pres;
					p->p1len = plen;
				}
			}
			else
			{
				p->pres1 = default_presentation(p->component);
				p->p1len = p->pres1 ? strlen(p->pres1) : 0;
			}
			if (p->pres1 == NULL)
				ex_throw(c, -1, "D3132", "Unknown component specifier %c in date/time picture string",
						 p->component ? p->component : '?');
			if (p->p1len > 0 && p->pres1[0] == 'n')
				p->names = CASE_LOWER + 1;
			else if (p->p1len > 0 && p->pres1[0] == 'N')
				p->names = (p->p1len > 1 && p->pres1[1] == 'n') ? CASE_TITLE + 1 : CASE_UPPER + 1;
			else if (strchr("YMDdFWwXxHhmsf", p->component) != NULL && p->component)
			{
				char		ipic[160];
				size_t		il = p->p1len < 150 ? p->p1len : 150;

				memcpy(ipic, p->pres1, il);
				if (p->pres2)
				{
					ipic[il++] = ';';
					ipic[il++] = p->pres2;
				}
				analyse_integer(c, ipic, il, &p->ifmt);
				p->has_int = true;
				if (p->wmin >= 0 && p->ifmt.mandatory < p->wmin)
					p->ifmt.mandatory = p->wmin;
				if (p->component == 'Y')
				{
					p->n = -1;
					if (p->wmax >= 0)
					{
						p->n = p->wmax;
						p->ifmt.mandatory = p->n;
					}
					else if (p->ifmt.mandatory + p->ifmt.optional >= 2)
						p->n = p->ifmt.mandatory + p->ifmt.optional;
				}
				/* an integer right after another needs a fixed width to be parsed */
				if (pic->nparts > 0 && pic->parts[pic->nparts - 1].has_int)
					pic->parts[pic->nparts - 1].ifmt.parse_width = pic->parts[pic->nparts - 1].ifmt.mandatory;
			}
			if (p->component == 'Z' || p->component == 'z')
			{
				analyse_integer(c, p->pres1, p->p1len, &p->ifmt);
				p->has_int = false;
			}
			pic->nparts++;
			pos = close - s;
			start = pos + 1;
		}
		pos++;
	}
	add_literal(c, pic, &cap, s + start, pos > len ? 0 : pos - start);
}

static const char *const month_names[] = {"January", "February", "March", "April", "May", "June",
"July", "August", "September", "October", "November", "December"};
static const char *const day_names[] = {"", "Monday", "Tuesday", "Wednesday", "Thursday",
"Friday", "Saturday", "Sunday"};

/* JavaScript's parseInt(timezone) split into hours and minutes, as JSONata does */
static bool
timezone_offset(const char *s, size_t len, double *hours, double *minutes)
{
	size_t		i = 0;
	double		v = 0;
	bool		neg = false;
	bool		any = false;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	while (i < len && s[i] >= '0' && s[i] <= '9')
	{
		v = v * 10 + (s[i++] - '0');
		any = true;
	}
	if (!any)
		return false;
	if (neg)
		v = -v;
	*hours = floor(v / 100);
	*minutes = fmod(v, 100);
	return true;
}

const char *
expr_format_datetime(Ctx *c, double millis, const char *picture, size_t plen,
					 const char *tz, size_t tzlen, size_t *outlen, int pos)
{
	static const char iso[] = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";
	Picture		pic;
	double		oh = 0,
				om = 0;
	Tm			t;
	JvBuf		b;
	int			i;

	if (!isfinite(millis) || fabs(millis) > 8.64e15)
		ex_throw(c, pos, "D3110", "The timestamp cannot be represented as a date");
	if (tz != NULL && !timezone_offset(tz, tzlen, &oh, &om))
		ex_throw(c, pos, "D3134", "The timezone \"%.*s\" is not of the form \xC2\xB1HHMM",
				 (int) (tzlen > 30 ? 30 : tzlen), tz);
	if (picture == NULL)
	{
		picture = iso;
		plen = sizeof(iso) - 1;
	}
	analyse_picture(c, picture, plen, &pic);
	to_tm(floor(millis) + (60 * oh + om) * 60000, &t);
	jv_buf_init(&b, c->a);
	for (i = 0; i < pic.nparts; i++)
	{
		Part	   *p = &pic.parts[i];
		char		comp = p->component;

		if (b.failed)
			ex_oom(c);
		ex_check_string(c, b.len, pos);
		if (p->literal)
		{
			jv_buf_append(&b, p->text, p->tlen);
			continue;
		}
		if (comp && strchr("YMDdFWwXxHhms", comp) != NULL)
		{
			double		v = component_value(&t, comp);

			if (comp == 'Y' && p->n != -1)
				v = fmod(v, pow(10, p->n));
			if (p->names)
			{
				const char *name;
				size_t		nlen,
							st;

				if (comp == 'M' || comp == 'x')
					name = month_names[(int) v - 1];
				else if (comp == 'F')
					name = day_names[(int) v];
				else
					ex_throw(c, pos, "D3133",
							 "The 'name' modifier can only be applied to months and days in the date/time picture string, not %c",
							 comp);
				nlen = strlen(name);
				if (p->has_width && p->wmax >= 0 && (int) nlen > p->wmax)
					nlen = p->wmax;
				st = b.len;
				jv_buf_append(&b, name, nlen);
				if (!b.failed && p->names - 1 != CASE_TITLE)
					recase(b.data + st, nlen, p->names - 1);
			}
			else
				format_integer(c, &b, v, &p->ifmt);
		}
		else if (comp == 'f')
			format_integer(c, &b, component_value(&t, 'f'), &p->ifmt);
		else if (comp == 'Z' || comp == 'z')
		{
			double		offset = oh * 100 + om;
			size_t		st;

			if (comp == 'z')
				jv_buf_append(&b, "GMT", 3);
			st = b.len;
			if (offset >= 0)
				jv_buf_appendc(&b, '+');
			if (p->ifmt.regular)
				format_integer(c, &b, offset, &p->ifmt);
			else if (p->ifmt.mandatory == 1 || p->ifmt.mandatory == 2)
			{
				format_integer(c, &b, oh, &p->ifmt);
				if (om != 0)
				{
					IntFormat	two;

					analyse_integer(c, "00", 2, &two);
					jv_buf_appendc(&b, ':');
					format_integer(c, &b, om, &two);
				}
			}
			else if (p->ifmt.mandatory == 3 || p->ifmt.mandatory == 4)
				format_integer(c, &b, offset, &p->ifmt);
			else
				ex_throw(c, pos, "D3134",
						 "The timezone integer format specifier cannot have more than four digits");
			if (offset == 0 && p->pres2 == 't')
			{
				b.len = st - (comp == 'z' ? 3 : 0);
				jv_buf_appendc(&b, 'Z');
			}
		}
		else if (comp == 'P')
		{
			const char *ap = t.hour >= 12 ? "pm" : "am";

			jv_buf_append(&b, (p->names - 1 == CASE_UPPER) ? (t.hour >= 12 ? "PM" : "AM") : ap, 2);
		}
		else if (comp == 'C' || comp == 'E')
			jv_buf_append(&b, "ISO", 3);
		else
			jv_buf_append(&b, "undefined", 9);	/* as JSONata: an unknown component has no value */
	}
	if (b.failed)
		ex_oom(c);
	ex_check_string(c, b.len, pos);
	*outlen = b.len;
	return b.data ? b.data : "";
}

/* ---- parsing ----------------------------------------------------------------- */

typedef enum
{
	MK_LITERAL,
	MK_TZ,
	MK_FRACTION,
	MK_DECIMAL,
	MK_LETTERS,
	MK_ROMAN,
	MK_WORDS,
	MK_NAME
} MatchKind;

typedef struct Matcher
{
	MatchKind	kind;
	const Part *part;
	bool		upper;
	size_t		start,
				end;			/* the captured span */
} Matcher;

static bool
ci_eq(char a, char b)
{
	if (a >= 'A' && a <= 'Z')
		a += 32;
	if (b >= 'A' && b <= 'Z')
		b += 32;
	return a == b;
}

static size_t
run_of(const char *s, size_t len, size_t at, const char *set)
{
	size_t		n = 0;

	while (at + n < len && s[at + n] != '\0' && strchr(set, s[at + n]) != NULL)
		n++;
	return n;
}

static const char *const word_list[] = {
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
	"nineteen", "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh",
	"eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
	"sixteenth", "seventeenth", "eighteenth", "nineteenth", "twenty", "twentieth", "thirty",
	"thirtieth", "forty", "fortieth", "fifty", "fiftieth", "sixty", "sixtieth", "seventy",
	"seventieth", "eighty", "eightieth", "ninety", "ninetieth", "hundred", "hundredth",
	"thousand", "thousandth", "million", "millionth", "billion", "billionth", "trillion",
	"trillionth", "and", NULL
};
static const double word_values[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
	20, 20, 30, 30, 40, 40, 50, 50, 60, 60, 70, 70, 80, 80, 90, 90, 100, 100,
	1e3, 1e3, 1e6, 1e6, 1e9, 1e9, 1e12, 1e12, -1
};

/* can s[at, at+len) be split into number words, "and" and the separators - , space? */
static bool
segmentable(const char *s, size_t at, size_t len)
{
	bool		ok[256];
	size_t		i;
	int			w;

	if (len >= 255)
		return false;
	memset(ok, 0, sizeof(ok));
	ok[0] = true;
	for (i = 0; i < len; i++)
	{
		if (!ok[i])
			continue;
		if (s[at + i] == '-' || s[at + i] == ',' || s[at + i] == ' ')
			ok[i + 1] = true;
		for (w = 0; word_list[w]; w++)
		{
			size_t		wl = strlen(word_list[w]);
			size_t		k;

			if (i + wl > len)
				continue;
			for (k = 0; k < wl; k++)
				if (!ci_eq(s[at + i + k], word_list[w][k]))
					break;
			if (k == wl)
				ok[i + wl] = true;
		}
	}
	return ok[len];
}

static bool match_from(Ctx *c, Matcher *m, int nm, int i, const char *s, size_t len, size_t at);

static bool
try_end(Ctx *c, Matcher *m, int nm, int i, const char *s, size_t len, size_t at, size_t end)
{
	m[i].start = at;
	m[i].end = end;
	return match_from(c, m, nm, i + 1, s, len, end);
}

static bool
match_from(Ctx *c, Matcher *m, int nm, int i, const char *s, size_t len, size_t at)
{
	Matcher    *x;
	size_t		n,
				k;

	ex_tick(c, 1);
	if (i == nm)
		return at == len;
	x = &m[i];
	switch (x->kind)
	{
		case MK_LITERAL:
			if (at + x->part->tlen > len)
				return false;
			for (k = 0; k < x->part->tlen; k++)
				if (!ci_eq(s[at + k], x->part->text[k]))
					return false;
			return try_end(c, m, nm, i, s, len, at, at + x->part->tlen);
		case MK_TZ:
			{
				size_t		p = at;
				size_t		d1,
							d2;
				unsigned	sepch = 0;

				if (x->part->component == 'z')
				{
					if (p + 3 > len || !ci_eq(s[p], 'g') || !ci_eq(s[p + 1], 'm') || !ci_eq(s[p + 2], 't'))
						return false;
					p += 3;
				}
				if (p >= len || (s[p] != '+' && s[p] != '-'))
					return false;
				p++;
				if (x->part->ifmt.regular)
					sepch = x->part->ifmt.seps[0].ch;
				d1 = run_of(s, len, p, "0123456789");
				for (n = d1; n >= 1; n--)
				{
					if (sepch == 0)
					{
						if (try_end(c, m, nm, i, s, len, at, p + n))
							return true;
						continue;
					}
					if (p + n < len && (unsigned char) s[p + n] == sepch)
					{
						d2 = run_of(s, len, p + n + 1, "0123456789");
						for (k = d2; k >= 1; k--)
							if (try_end(c, m, nm, i, s, len, at, p + n + 1 + k))
								return true;
					}
				}
				return false;
			}
		case MK_FRACTION:
			for (n = run_of(s, len, at, "0123456789"); n >= 1; n--)
				if (try_end(c, m, nm, i, s, len, at, at + n))
					return true;
			return false;
		case MK_DECIMAL:
			{
				size_t		d = run_of(s, len, at, "0123456789");
				int			w = x->part->ifmt.parse_width;
				size_t		lo = 1,
							hi = d;

				if (w > 0)
				{
					if (d < (size_t) w)
						return false;
					lo = hi = w;
				}
				for (n = hi; n >= lo && n >= 1; n--)
				{
					if (x->part->ifmt.ordinal)
					{
						static const char *const sfx[] = {"th", "st", "nd", "rd"};
						int			q;

						if (at + n + 2 > len)
							continue;
						for (q = 0; q < 4; q++)
							if (ci_eq(s[at + n], sfx[q][0]) && ci_eq(s[at + n + 1], sfx[q][1]))
								break;
						if (q < 4 && try_end(c, m, nm, i, s, len, at, at + n + 2))
							return true;
						continue;
					}
					if (try_end(c, m, nm, i, s, len, at, at + n))
						return true;
				}
				return false;
			}
		case MK_LETTERS:
		case MK_NAME:
			for (n = run_of(s, len, at, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"); n >= 1; n--)
				if (try_end(c, m, nm, i, s, len, at, at + n))
					return true;
			return false;
		case MK_ROMAN:
			for (n = run_of(s, len, at, "MDCLXVImdclxvi"); n >= 1; n--)
				if (try_end(c, m, nm, i, s, len, at, at + n))
					return true;
			return false;
		case MK_WORDS:
			for (n = run_of(s, len, at, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-, "); n >= 1; n--)
				if (segmentable(s, at, n) && try_end(c, m, nm, i, s, len, at, at + n))
					return true;
			return false;
	}
	return false;
}

static double
parse_js_int(const char *s, size_t len)
{
	size_t		i = 0;
	double		v = 0;
	bool		neg = false,
				any = false;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	while (i < len && s[i] >= '0' && s[i] <= '9')
	{
		v = v * 10 + (s[i++] - '0');
		any = true;
	}
	if (!any)
		return NAN;
	return neg ? -v : v;
}

static double
words_to_number(const char *s, size_t len)
{
	double		segs[64];
	int			nseg = 1;
	size_t		i = 0;

	segs[0] = 0;
	while (i < len)
	{
		size_t		j = i;
		double		value = NAN;
		int			w;

		/* tokens are separated by ", ", " and ", space, backslash or '-' */
		while (j < len && s[j] != ' ' && s[j] != '-' && s[j] != ',' && s[j] != '\\')
			j++;
		for (w = 0; word_list[w]; w++)
		{
			size_t		wl = strlen(word_list[w]);
			size_t		k;

			if (wl != j - i || word_values[w] < 0)
				continue;
			for (k = 0; k < wl; k++)
				if (!ci_eq(s[i + k], word_list[w][k]))
					break;
			if (k == wl)
			{
				value = word_values[w];
				break;
			}
		}
		if (j > i && !(j - i == 3 && ci_eq(s[i], 'a') && ci_eq(s[i + 1], 'n') && ci_eq(s[i + 2], 'd')))
		{
			if (value < 100)
			{
				double		top = segs[--nseg];

				if (top >= 1000)
				{
					segs[nseg++] = top;
					top = 0;
				}
				if (nseg < 63)
					segs[nseg++] = top + value;
			}
			else if (!isnan(value))
				segs[nseg - 1] *= value;
			else
				segs[nseg - 1] = NAN;
		}
		i = j < len ? j + 1 : j;
	}
	{
		double		total = 0;
		int			k;

		for (k = 0; k < nseg; k++)
			total += segs[k];
		return total;
	}
}

/* the component value a captured span denotes (NaN when it denotes nothing) */
static double
parse_span(const Matcher *x, const char *s)
{
	const char *v = s + x->start;
	size_t		len = x->end - x->start;
	const Part *p = x->part;
	size_t		i;

	switch (x->kind)
	{
		case MK_TZ:
			{
				double		hours = 0,
							minutes = 0;

				if (p->component == 'z')
					v += 3, len -= 3;
				if (p->ifmt.regular)
				{
					const char *sep = memchr(v, (int) p->ifmt.seps[0].ch, len);

					hours = parse_js_int(v, sep - v);
					minutes = parse_js_int(sep + 1, v + len - sep - 1);
				}
				else if (len - 1 <= 2)
					hours = parse_js_int(v, len);
				else
				{
					hours = parse_js_int(v, 3);
					minutes = parse_js_int(v + 3, len - 3);
				}
				return hours * 60 + minutes;
			}
		case MK_FRACTION:
			{
				double		ms = 0,
							scale = 100;

				for (i = 0; i < len && i < 3; i++, scale /= 10)
					ms += (v[i] - '0') * scale;
				return ms;
			}
		case MK_DECIMAL:
			{
				char		digits[128];
				size_t		n = 0;

				if (p->ifmt.ordinal)
					len -= 2;
				for (i = 0; i < len && n < 120; i++)
					if (v[i] >= '0' && v[i] <= '9')
						digits[n++] = v[i];
				return parse_js_int(digits, n);
			}
		case MK_LETTERS:
			{
				double		d = 0;
				char		a = x->upper ? 'A' : 'a';

				for (i = 0; i < len; i++)
					d += (v[len - i - 1] - a + 1) * pow(26, (double) i);
				return d;
			}
		case MK_ROMAN:
			{
				double		d = 0;
				int			max = 1;

				for (i = len; i > 0; i--)
				{
					char		ch = v[i - 1];
					int			val;

					if (ch >= 'a' && ch <= 'z')
						ch -= 32;
					val = ch == 'M' ? 1000 : ch == 'D' ? 500 : ch == 'C' ? 100 : ch == 'L' ? 50 :
						ch == 'X' ? 10 : ch == 'V' ? 5 : 1;
					if (val < max)
						d -= val;
					else
					{
						max = val;
						d += val;
					}
				}
				return d;
			}
		case MK_WORDS:
			return words_to_number(v, len);
		case MK_NAME:
			{
				int			k;

				if (p->component == 'M' || p->component == 'x')
				{
					for (k = 0; k < 12; k++)
					{
						size_t		nl = strlen(month_names[k]);

						if (p->wmax > 0 && (int) nl > p->wmax)
							nl = p->wmax;
						if (nl == len && memcmp(month_names[k], v, len) == 0)
							return k + 1;
					}
					return NAN;
				}
				if (p->component == 'F')
				{
					for (k = 1; k <= 7; k++)
					{
						size_t		nl = strlen(day_names[k]);

						if (p->wmax > 0 && (int) nl > p->wmax)
							nl = p->wmax;
						if (nl == len && memcmp(day_names[k], v, len) == 0)
							return k;
					}
					return NAN;
				}
				/* P */
				if (len == 2 && (memcmp(v, "am", 2) == 0 || memcmp(v, "AM", 2) == 0))
					return 0;
				if (len == 2 && (memcmp(v, "pm", 2) == 0 || memcmp(v, "PM", 2) == 0))
					return 1;
				return NAN;
			}
		default:
			return NAN;
	}
}

/*
 * $toMillis(timestamp, picture).  Returns false for "undefined" (the picture
 * does not match, or it captures nothing).
 */
bool
expr_parse_datetime(Ctx *c, const char *s, size_t len, const char *picture, size_t plen,
					double now, double *result, int pos)
{
	static const char order[] = "YXMxWwdDFPHhmsfZz";
	Picture		pic;
	Matcher    *m;
	int			i;
	double		val[128];
	bool		present[128];
	bool		any = false;
	int			mask;
	bool		dateA,
				dateB,
				dateC,
				dateD,
				timeA,
				timeB;
	const char *comps;
	bool		start_specified = false,
				end_specified = false;
	Tm			tnow;
	double		millis;

	(void) order;
	analyse_picture(c, picture, plen, &pic);
	m = dt_alloc(c, (pic.nparts + 1) * sizeof(Matcher));
	for (i = 0; i < pic.nparts; i++)
	{
		Part	   *p = &pic.parts[i];

		m[i].part = p;
		m[i].upper = false;
		if (p->literal)
			m[i].kind = MK_LITERAL;
		else if (p->component == 'Z' || p->component == 'z')
			m[i].kind = MK_TZ;
		else if (p->component == 'f')
			m[i].kind = MK_FRACTION;
		else if (p->has_int)
		{
			switch (p->ifmt.primary)
			{
				case PF_LETTERS:
					m[i].kind = MK_LETTERS;
					m[i].upper = p->ifmt.tcase == CASE_UPPER;
					break;
				case PF_ROMAN:
					m[i].kind = MK_ROMAN;
					break;
				case PF_WORDS:
					m[i].kind = MK_WORDS;
					break;
				case PF_DECIMAL:
					m[i].kind = MK_DECIMAL;
					break;
				case PF_SEQUENCE:
					ex_throw(c, pos, "D3130", "Formatting or parsing an integer with this picture is not supported");
			}
		}
		else
		{
			if (!(p->component == 'M' || p->component == 'x' || p->component == 'F' || p->component == 'P'))
				ex_throw(c, pos, "D3133",
						 "The 'name' modifier can only be applied to months and days in the date/time picture string, not %c",
						 p->component);
			m[i].kind = MK_NAME;
		}
	}
	if (!match_from(c, m, pic.nparts, 0, s, len, 0))
		return false;
	memset(present, 0, sizeof(present));
	for (i = 0; i < pic.nparts; i++)
	{
		unsigned char comp = (unsigned char) m[i].part->component;

		if (m[i].kind == MK_LITERAL)
			continue;
		present[comp] = true;
		val[comp] = parse_span(&m[i], s);
		any = true;
	}
	if (!any)
		return false;
#define DEFINED(ch) (present[(unsigned char) (ch)] && !isnan(val[(unsigned char) (ch)]))
	mask = 0;
	{
		const char *d = "YXMxWwdD";

		for (i = 0; d[i]; i++)
			mask = (mask << 1) | (DEFINED(d[i]) && val[(unsigned char) d[i]] != 0 ? 1 : 0);
	}
#define IS_TYPE(t) (!(~(t) & mask) && ((t) & mask))
	dateA = IS_TYPE(161);
	dateB = !dateA && IS_TYPE(130);
	dateC = IS_TYPE(84);
	dateD = !dateC && IS_TYPE(72);
	mask = 0;
	{
		const char *t = "PHhmsf";

		for (i = 0; t[i]; i++)
			mask = (mask << 1) | (DEFINED(t[i]) && val[(unsigned char) t[i]] != 0 ? 1 : 0);
	}
	timeA = IS_TYPE(23);
	timeB = !timeA && IS_TYPE(47);
	comps = dateB ? "YDHmsf" : dateC ? "XxwFHmsf" : dateD ? "XWFHmsf" : "YMDHmsf";
	if (timeB)
		comps = dateB ? "YDPhmsf" : dateC ? "XxwFPhmsf" : dateD ? "XWFPhmsf" : "YMDPhmsf";
	to_tm(floor(now), &tnow);
	for (i = 0; comps[i]; i++)
	{
		unsigned char part = (unsigned char) comps[i];

		if (!DEFINED(part))
		{
			if (start_specified)
			{
				val[part] = strchr("MDd", part) ? 1 : 0;
				end_specified = true;
			}
			else
				/* JSONata's default for P is the text am/pm, never equal to 1 */
				val[part] = part == 'P' ? -1 : component_value(&tnow, part);
			present[part] = true;
		}
		else
		{
			start_specified = true;
			if (end_specified)
				ex_throw(c, pos, "D3136",
						 "The date/time picture string is missing specifiers required to parse the timestamp");
		}
	}
	if (dateC || dateD)
		ex_throw(c, pos, "D3136",
				 "The date/time picture string is missing specifiers required to parse the timestamp");
	{
		double		Y = val['Y'];
		double		M = DEFINED('M') && val['M'] > 0 ? val['M'] - 1 : 0;
		double		D = DEFINED('D') ? val['D'] : 1;
		double		H,
					mi = val['m'],
					se = val['s'],
					f = val['f'];

		if (dateB)
		{
			double		first;
			Tm			dt;

			if (!(fabs(Y) <= 300000 && fabs(val['d']) <= 1e8))
			{
				*result = NAN;
				return true;
			}
			first = utc_month_start(Y, 0);
			to_tm(first + (val['d'] - 1) * MS_DAY, &dt);
			M = dt.month - 1;
			D = dt.day;
		}
		if (timeB)
		{
			H = val['h'] == 12 ? 0 : val['h'];
			if (val['P'] == 1)
				H += 12;
		}
		else
			H = val['H'];
		if (isnan(Y) || isnan(M) || isnan(D) || isnan(H) || isnan(mi) || isnan(se) || isnan(f))
			return false;
		/* beyond JavaScript's date range the result is NaN, as Date.UTC's would be */
		if (fabs(Y) > 300000 || fabs(M) > 1e7 || fabs(D) > 1e9 || fabs(H) > 1e10 ||
			fabs(mi) > 1e12 || fabs(se) > 1e13 || fabs(f) > 1e16)
		{
			*result = NAN;
			return true;
		}
		millis = utc_month_start(Y, M) + (trunc(D) - 1) * MS_DAY + trunc(H) * 3600000.0 +
			trunc(mi) * 60000.0 + trunc(se) * 1000.0 + trunc(f);
		if (DEFINED('Z') && val['Z'] != 0)
			millis -= val['Z'] * 60000.0;
		else if (DEFINED('z') && val['z'] != 0)
			millis -= val['z'] * 60000.0;
	}
#undef DEFINED
#undef IS_TYPE
	*result = millis;
	return true;
}
