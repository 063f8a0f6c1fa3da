/*
 * cron_pg.h — cron schedules on real time: IANA time zones and DST.
 */
#ifndef ALGAWF_CRON_PG_H
#define ALGAWF_CRON_PG_H

#include "postgres.h"

#include "pgtime.h"
#include "utils/timestamp.h"

#include "cron.h"

/* parse, ereport(ERROR, invalid_parameter_value) with the reason on failure */
extern void algawf_cron_parse_or_error(const char *expr, CronSpec *spec);

/* the zone, or ereport(ERROR) naming it */
extern pg_tz *algawf_timezone_or_error(const char *name);

/*
 * The first fire strictly after `after`; false if the expression never fires
 * (for instance "0 0 30 2 *").  DST rules: see cron_pg.c.
 */
extern bool algawf_cron_next(const CronSpec *spec, pg_tz *tz, TimestampTz after, TimestampTz *out);

/*
 * The latest fire in (from, upto], i.e. the slot a schedule that last fired
 * at `from` should catch up with at `upto`; false if none.
 */
extern bool algawf_cron_latest(const CronSpec *spec, pg_tz *tz, TimestampTz from, TimestampTz upto,
							   TimestampTz *out);

/* for publish-time validation: NULL when fine, else a palloc'd message */
extern char *algawf_cron_problem(const char *expr, const char *timezone);

#endif							/* ALGAWF_CRON_PG_H */
