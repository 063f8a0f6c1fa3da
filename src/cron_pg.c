/*
 * cron_pg.c — next fire times of cron expressions in IANA time zones.
 *
 * A zone's time line is cut into segments of constant UTC offset at its
 * transitions (pg_next_dst_boundary).  Within a segment wall-clock time maps
 * one-to-one to instants, so the pure matcher (cron.c) finds the next wall
 * time and the offset turns it into an instant.  At the transitions:
 *
 *  - Expressions whose hour field covers every hour ("*", "every 15
 *    minutes") follow real time: wall times skipped by a spring-forward do
 *    not fire, and wall times repeated by a fall-back fire in both passes —
 *    "*\/15 * * * *" keeps firing every 15 minutes through both changes.
 *
 *  - Expressions with specific hours fire once per matching wall-clock day:
 *    a time skipped by a spring-forward fires at the moment of the jump
 *    ("30 2 * * *" in America/New_York on 2025-03-09 fires at 03:00 EDT);
 *    a time repeated by a fall-back fires at its first occurrence only
 *    ("30 1 * * *" on 2025-11-02 fires at 01:30 EDT, not again at 01:30 EST).
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "cron_pg.h"

#define HORIZON_SECS	((pg_time_t) 30 * 366 * 86400)	/* look this far ahead at most */
#define LOOKBACK_SECS	((pg_time_t) 6 * 3600)	/* a transition's effect on wall time is < 6 h */

void
algawf_cron_parse_or_error(const char *expr, CronSpec *spec)
{
	char		err[256];

	if (!cron_parse(expr, spec, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid cron expression \"%s\"", expr),
				 errdetail("%s", err),
				 errhint("Five fields: minute hour day-of-month month day-of-week, e.g. \"*/15 8-17 * * mon-fri\"; or @hourly, @daily, @weekly, @monthly, @yearly.")));
}

pg_tz *
algawf_timezone_or_error(const char *name)
{
	pg_tz	   *tz = (name && name[0]) ? pg_tzset(name) : NULL;

	if (tz == NULL || !pg_tz_acceptable(tz))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" is not recognized", name ? name : ""),
				 errhint("Use an IANA time zone name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\" (see pg_timezone_names).")));
	return tz;
}

char *
algawf_cron_problem(const char *expr, const char *timezone)
{
	CronSpec	spec;
	char		err[256];
	pg_tz	   *tz;
	TimestampTz next;

	if (!cron_parse(expr, &spec, err, sizeof(err)))
		return psprintf("invalid cron expression \"%s\": %s", expr, err);
	tz = (timezone && timezone[0]) ? pg_tzset(timezone) : NULL;
	if (tz == NULL || !pg_tz_acceptable(tz))
		return psprintf("time zone \"%s\" is not recognized", timezone ? timezone : "");
	if (!algawf_cron_next(&spec, tz, GetCurrentTimestamp(), &next))
		return psprintf("cron expression \"%s\" never fires", expr);
	return NULL;
}

static long
offset_at(pg_time_t t, pg_tz *tz)
{
	struct pg_tm *tm = pg_localtime(&t, tz);

	return tm ? tm->tm_gmtoff : 0;
}

/*
 * First fire at or after instant a (whole seconds).  See the file header for
 * what happens at transitions.
 */
static bool
next_fire_secs(const CronSpec *spec, pg_tz *tz, pg_time_t a, pg_time_t *out)
{
	bool		fixed = !cron_every_hour(spec);
	pg_time_t	horizon = a + HORIZON_SECS;

	while (a < horizon)
	{
		long		off,
					prev_off,
					after_off;
		int			before_isdst,
					after_isdst;
		pg_time_t	boundary;
		pg_time_t	seg_end;
		int64		skip_from = 0,
					skip_to = 0;	/* naive window already fired (fall-back) */
		int64		from_naive;
		int64		found;
		int			r;

		CHECK_FOR_INTERRUPTS();

		r = pg_next_dst_boundary(&a, &off, &before_isdst, &boundary, &after_off, &after_isdst, tz);
		if (r < 0)
			return false;
		seg_end = (r == 1 && boundary < horizon) ? boundary : horizon;

		/* just after a fall-back, the repeated wall times already fired */
		if (fixed)
		{
			prev_off = offset_at(a - LOOKBACK_SECS, tz);
			if (prev_off > off)
			{
				pg_time_t	probe = a - LOOKBACK_SECS;
				long		o1,
							o2;
				int			d1,
							d2;
				pg_time_t	p;

				if (pg_next_dst_boundary(&probe, &o1, &d1, &p, &o2, &d2, tz) == 1 && p <= a)
				{
					skip_from = (int64) p + off;
					skip_to = (int64) p + prev_off;
				}
			}
		}

		from_naive = (int64) a + off;
		while (cron_next_naive(spec, from_naive, (int64) seg_end + off, &found))
		{
			if (found >= skip_from && found < skip_to)
			{
				from_naive = skip_to;	/* past the repeated window */
				continue;
			}
			*out = (pg_time_t) (found - off);
			return true;
		}

		if (seg_end >= horizon)
			return false;

		/* a spring-forward skips wall times: a fixed-time job fires at the jump */
		if (fixed && after_off > off)
		{
			int64		gap_from = (int64) boundary + off;
			int64		gap_to = (int64) boundary + after_off;

			if (cron_next_naive(spec, gap_from, gap_to, &found) && boundary >= a)
			{
				*out = boundary;
				return true;
			}
		}
		a = boundary;
	}
	return false;
}

bool
algawf_cron_next(const CronSpec *spec, pg_tz *tz, TimestampTz after, TimestampTz *out)
{
	pg_time_t	a = timestamptz_to_time_t(after);
	pg_time_t	r;

	/* strictly after: fires are whole seconds */
	if (time_t_to_timestamptz(a) > after)
		a--;
	a++;
	if (!next_fire_secs(spec, tz, a, &r))
		return false;
	*out = time_t_to_timestamptz(r);
	return true;
}

bool
algawf_cron_latest(const CronSpec *spec, pg_tz *tz, TimestampTz from, TimestampTz upto,
				   TimestampTz *out)
{
	TimestampTz cur = from;
	TimestampTz next;
	bool		any = false;
	int			n = 0;

	for (;;)
	{
		if (!algawf_cron_next(spec, tz, cur, &next) || next > upto)
			return any;
		*out = cur = next;
		any = true;
		if (++n == 10000)
		{
			/* a long outage of a frequent schedule: look only at the last two days */
			TimestampTz recent = upto - (TimestampTz) 2 * USECS_PER_DAY;

			if (recent > cur)
				cur = recent;
			n = 0;
		}
	}
}

/* ------------------------------------------------------------------------
 * SQL
 */

PG_FUNCTION_INFO_V1(algawf_cron_next_sql);
Datum
algawf_cron_next_sql(PG_FUNCTION_ARGS)
{
	char	   *expr = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *zone = text_to_cstring(PG_GETARG_TEXT_PP(1));
	TimestampTz after = PG_GETARG_TIMESTAMPTZ(2);
	CronSpec	spec;
	pg_tz	   *tz;
	TimestampTz next;

	algawf_cron_parse_or_error(expr, &spec);
	tz = algawf_timezone_or_error(zone);
	if (!algawf_cron_next(&spec, tz, after, &next))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(next);
}

PG_FUNCTION_INFO_V1(algawf_cron_preview);
Datum
algawf_cron_preview(PG_FUNCTION_ARGS)
{
	FuncCallContext *fc;
	typedef struct
	{
		CronSpec	spec;
		pg_tz	   *tz;
		TimestampTz cur;
	}			PreviewState;
	PreviewState *st;
	TimestampTz next;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		char	   *expr = text_to_cstring(PG_GETARG_TEXT_PP(0));
		char	   *zone = text_to_cstring(PG_GETARG_TEXT_PP(1));
		int			count = PG_GETARG_INT32(3);

		if (count < 0 || count > 10000)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("count must be between 0 and 10000")));
		fc = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fc->multi_call_memory_ctx);
		st = palloc(sizeof(PreviewState));
		algawf_cron_parse_or_error(expr, &st->spec);
		st->tz = algawf_timezone_or_error(zone);
		st->cur = PG_GETARG_TIMESTAMPTZ(2);
		fc->user_fctx = st;
		fc->max_calls = count;
		MemoryContextSwitchTo(old);
	}
	fc = SRF_PERCALL_SETUP();
	st = fc->user_fctx;
	if (fc->call_cntr < fc->max_calls && algawf_cron_next(&st->spec, st->tz, st->cur, &next))
	{
		st->cur = next;
		SRF_RETURN_NEXT(fc, TimestampTzGetDatum(next));
	}
	SRF_RETURN_DONE(fc);
}

PG_FUNCTION_INFO_V1(algawf_cron_latest_sql);
Datum
algawf_cron_latest_sql(PG_FUNCTION_ARGS)
{
	char	   *expr = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *zone = text_to_cstring(PG_GETARG_TEXT_PP(1));
	CronSpec	spec;
	pg_tz	   *tz;
	TimestampTz latest;

	algawf_cron_parse_or_error(expr, &spec);
	tz = algawf_timezone_or_error(zone);
	if (!algawf_cron_latest(&spec, tz, PG_GETARG_TIMESTAMPTZ(2), PG_GETARG_TIMESTAMPTZ(3), &latest))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(latest);
}
