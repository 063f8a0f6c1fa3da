/*
 * cron.h — cron expressions: parsing and matching on wall-clock time.
 *
 * Pure C (no PostgreSQL headers): also linked into the fuzz target.  Time
 * here is "naive" local time: seconds since 1970-01-01 00:00 of the wall
 * clock, as if the zone were UTC.  cron_pg.c maps it to real instants with
 * the zone's rules (DST).
 *
 * Syntax: five fields, minute hour day-of-month month day-of-week, each a
 * comma-separated list of '*', N, N-M, with an optional /STEP ("*\/15",
 * "1-30/5", "5/10" = 5-max/10).  Months JAN-DEC and days SUN-SAT by name
 * (any case); day-of-week 0-7 with 0 and 7 both Sunday.  Macros @yearly
 * (@annually), @monthly, @weekly, @daily (@midnight), @hourly.  When both
 * day fields are restricted a day matches if either matches (as Vixie cron).
 */
#ifndef ALGAWF_CRON_H
#define ALGAWF_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct CronSpec
{
	uint64_t	minutes;		/* bit m: minute m, 0-59 */
	uint32_t	hours;			/* bit h: 0-23 */
	uint32_t	mdays;			/* bit d: 1-31 */
	uint16_t	months;			/* bit m: 1-12 */
	uint8_t		wdays;			/* bit w: 0-6, Sunday = 0 */
	bool		mday_star;		/* day-of-month field began with '*' */
	bool		wday_star;		/* day-of-week field began with '*' */
} CronSpec;

/* true on success; otherwise err holds a message naming the bad part */
extern bool cron_parse(const char *expr, CronSpec *spec, char *err, size_t errlen);

/* does the spec fire at this naive minute? */
extern bool cron_matches(const CronSpec *spec, int64_t naive);

/* the spec's hour field covers all 24 hours (an "every hour" job) */
extern bool cron_every_hour(const CronSpec *spec);

/*
 * The first naive minute m with from <= m < limit at which the spec fires
 * (from is rounded up to a whole minute).  false if there is none.
 */
extern bool cron_next_naive(const CronSpec *spec, int64_t from, int64_t limit, int64_t *out);

/* civil date helpers (proleptic Gregorian) */
extern int64_t cron_days_from_civil(int64_t y, unsigned m, unsigned d);
extern void cron_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif							/* ALGAWF_CRON_H */
