/*
 * cron.c — cron expression parser and wall-clock matcher (see cron.h).
 * Pure C: no PostgreSQL headers, no allocation.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron.h"

typedef struct Field
{
	const char *name;
	int			min;
	int			max;
	const char *const *names;	/* index 0 = value min (months) or 0 (days) */
	int			nnames;
} Field;

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"
};
static const char *const day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

static const Field fields[5] = {
	{"minute", 0, 59, NULL, 0},
	{"hour", 0, 23, NULL, 0},
	{"day-of-month", 1, 31, NULL, 0},
	{"month", 1, 12, month_names, 12},
	{"day-of-week", 0, 7, day_names, 7},
};

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* days since 1970-01-01 of a civil date (Howard Hinnant's algorithm) */
int64_t
cron_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe,
				doy,
				doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = (unsigned) (y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t) doe - 719468;
}

void
cron_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		era;
	unsigned	doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = (unsigned) (z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t) yoe + era * 400 + (*m <= 2);
}

static bool
set_error(char *err, size_t errlen, const char *fmt, const char *field, const char *tok, int toklen)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, field, toklen, tok);
	return false;
}

/* a number or (for months and days) a name; advances *p */
static bool
parse_value(const Field *f, const char **p, const char *end, int *out)
{
	const char *s = *p;

	if (s < end && isdigit((unsigned char) *s))
	{
		int			v = 0;
		int			n = 0;

		while (s < end && isdigit((unsigned char) *s))
		{
			if (++n > 3)
				return false;
			v = v * 10 + (*s - '0');
			s++;
		}
		*p = s;
		*out = v;
		return true;
	}
	if (f->names && end - s >= 3)
	{
		int			i;

		for (i = 0; i < f->nnames; i++)
		{
			if (tolower((unsigned char) s[0]) == f->names[i][0] &&
				tolower((unsigned char) s[1]) == f->names[i][1] &&
				tolower((unsigned char) s[2]) == f->names[i][2] &&
				(end - s == 3 || !isalpha((unsigned char) s[3])))
			{
				*p = s + 3;
				*out = f->names == month_names ? i + 1 : i;
				return true;
			}
		}
	}
	return false;
}

/* one field: comma list of items; sets bits in *bits */
static bool
parse_field(const Field *f, const char *s, int len, uint64_t *bits, bool *star,
			char *err, size_t errlen)
{
	const char *p = s;
	const char *end = s + len;

	*bits = 0;
	*star = (len > 0 && s[0] == '*');
	while (p < end)
	{
		const char *item = p;
		const char *item_end = memchr(p, ',', end - p);
		int			lo,
					hi,
					step = 1;
		int			v;
		bool		whole = false;

		if (item_end == NULL)
			item_end = end;
		if (item_end == item)
			return set_error(err, errlen, "%s field: empty list item in \"%.*s\"", f->name, s, len);

		if (*p == '*')
		{
			lo = f->min;
			hi = f->max;
			whole = true;
			p++;
		}
		else
		{
			if (!parse_value(f, &p, item_end, &lo))
				return set_error(err, errlen, "%s field: \"%.*s\" is not a valid value", f->name,
								 item, (int) (item_end - item));
			hi = lo;
			if (p < item_end && *p == '-')
			{
				p++;
				if (!parse_value(f, &p, item_end, &hi))
					return set_error(err, errlen, "%s field: \"%.*s\" is not a valid range", f->name,
									 item, (int) (item_end - item));
			}
		}
		if (p < item_end && *p == '/')
		{
			const char *st = ++p;

			step = 0;
			while (p < item_end && isdigit((unsigned char) *p) && p - st < 3)
			{
				step = step * 10 + (*p - '0');
				p++;
			}
			if (p == st || step == 0)
				return set_error(err, errlen, "%s field: \"%.*s\" needs a step of at least 1", f->name,
								 item, (int) (item_end - item));
			/* "N/step" means N through the maximum */
			if (!whole && hi == lo)
				hi = f->max;
		}
		if (p != item_end)
			return set_error(err, errlen, "%s field: unexpected text in \"%.*s\" (supported: *, N, N-M, /STEP, names; not L, W, #, ?)",
							 f->name, item, (int) (item_end - item));
		if (lo < f->min || lo > f->max || hi < f->min || hi > f->max)
		{
			if (err && errlen)
				snprintf(err, errlen, "%s field: \"%.*s\" is out of range %d-%d", f->name,
						 (int) (item_end - item), item, f->min, f->max);
			return false;
		}
		if (lo > hi)
			return set_error(err, errlen, "%s field: range \"%.*s\" runs backwards", f->name,
							 item, (int) (item_end - item));
		for (v = lo; v <= hi; v += step)
			*bits |= (uint64_t) 1 << v;

		p = item_end;
		if (p < end)
		{
			p++;				/* the comma */
			if (p == end)
				return set_error(err, errlen, "%s field: \"%.*s\" ends with a comma", f->name, s, len);
		}
	}
	return true;
}

static const struct
{
	const char *name;
	const char *expansion;
}			macros[] = {
	{"@yearly", "0 0 1 1 *"},
	{"@annually", "0 0 1 1 *"},
	{"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"},
	{"@daily", "0 0 * * *"},
	{"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

bool
cron_parse(const char *expr, CronSpec *spec, char *err, size_t errlen)
{
	const char *p;
	const char *starts[6];
	int			lens[6];
	int			n = 0;
	uint64_t	bits[5];
	bool		stars[5];
	int			i;

	memset(spec, 0, sizeof(*spec));
	if (expr == NULL)
	{
		snprintf(err, errlen, "cron expression is empty");
		return false;
	}
	while (*expr == ' ' || *expr == '\t' || *expr == '\n' || *expr == '\r')
		expr++;
	if (*expr == '@')
	{
		size_t		len = 0;

		while (expr[len] && !isspace((unsigned char) expr[len]))
			len++;
		for (p = expr + len; *p; p++)
			if (!isspace((unsigned char) *p))
			{
				snprintf(err, errlen, "unexpected text after %.*s", (int) len, expr);
				return false;
			}
		for (i = 0; i < (int) (sizeof(macros) / sizeof(macros[0])); i++)
			if (strlen(macros[i].name) == len && strncasecmp(expr, macros[i].name, len) == 0)
				return cron_parse(macros[i].expansion, spec, err, errlen);
		snprintf(err, errlen, "unknown macro \"%.*s\" (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)",
				 (int) (len > 40 ? 40 : len), expr);
		return false;
	}

	p = expr;
	while (*p)
	{
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		if (n == 5)
		{
			snprintf(err, errlen, "a cron expression has 5 fields (minute hour day-of-month month day-of-week), found more");
			return false;
		}
		starts[n] = p;
		while (*p && !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		lens[n] = (int) (p - starts[n]);
		n++;
	}
	if (n != 5)
	{
		snprintf(err, errlen, "a cron expression has 5 fields (minute hour day-of-month month day-of-week), found %d", n);
		return false;
	}
	for (i = 0; i < 5; i++)
		if (!parse_field(&fields[i], starts[i], lens[i], &bits[i], &stars[i], err, errlen))
			return false;

	spec->minutes = bits[0];
	spec->hours = (uint32_t) bits[1];
	spec->mdays = (uint32_t) bits[2];
	spec->months = (uint16_t) bits[3];
	/* day-of-week 7 is Sunday */
	spec->wdays = (uint8_t) ((bits[4] & 0x7f) | ((bits[4] >> 7) & 1));
	spec->mday_star = stars[2];
	spec->wday_star = stars[4];
	return true;
}

bool
cron_every_hour(const CronSpec *spec)
{
	return (spec->hours & 0xffffff) == 0xffffff;
}

static bool
day_matches(const CronSpec *spec, int64_t days, unsigned mon, unsigned mday)
{
	int			wday = (int) (((days % 7) + 7 + 4) % 7);	/* 1970-01-01 was a Thursday */
	bool		dm,
				wm;

	if (!(spec->months & (1u << mon)))
		return false;
	dm = (spec->mdays >> mday) & 1;
	wm = (spec->wdays >> wday) & 1;
	if (spec->mday_star || spec->wday_star)
		return dm && wm;
	return dm || wm;
}

bool
cron_matches(const CronSpec *spec, int64_t naive)
{
	int64_t		days = floor_div(naive, 86400);
	int64_t		secs = naive - days * 86400;
	int64_t		y;
	unsigned	m,
				d;

	cron_civil_from_days(days, &y, &m, &d);
	if (!day_matches(spec, days, m, d))
		return false;
	return ((spec->hours >> (secs / 3600)) & 1) && ((spec->minutes >> ((secs % 3600) / 60)) & 1);
}

static int
next_bit(uint64_t bits, int from, int max)
{
	int			i;

	for (i = from; i <= max; i++)
		if ((bits >> i) & 1)
			return i;
	return -1;
}

bool
cron_next_naive(const CronSpec *spec, int64_t from, int64_t limit, int64_t *out)
{
	int64_t		start = floor_div(from + 59, 60) * 60;	/* round up to a minute */
	int64_t		days = floor_div(start, 86400);
	int			minute_of_day = (int) ((start - days * 86400) / 60);

	if (spec->minutes == 0 || spec->hours == 0 || spec->months == 0)
		return false;

	while (days * 86400 < limit)
	{
		int64_t		y;
		unsigned	m,
					d;

		cron_civil_from_days(days, &y, &m, &d);
		if (!(spec->months & (1u << m)))
		{
			/* skip to the first day of the next month */
			days = cron_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1);
			minute_of_day = 0;
			continue;
		}
		if (day_matches(spec, days, m, d))
		{
			int			h = next_bit(spec->hours, minute_of_day / 60, 23);

			while (h >= 0)
			{
				int			mi = next_bit(spec->minutes, h == minute_of_day / 60 ? minute_of_day % 60 : 0, 59);

				if (mi >= 0)
				{
					int64_t		t = days * 86400 + h * 3600 + mi * 60;

					if (t >= limit)
						return false;
					*out = t;
					return true;
				}
				h = next_bit(spec->hours, h + 1, 23);
			}
		}
		days++;
		minute_of_day = 0;
	}
	return false;
}
