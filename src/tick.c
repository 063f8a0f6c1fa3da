/*
 * tick.c — the timer duties an executor does when they are due: firing
 * schedules, recovering lapsed leases of HTTP requests, retention.  The same
 * SQL function (algawf._tick_duties) serves algawf.tick(), which pg_cron
 * calls every minute, so the duties happen whether or not the executors run;
 * firing is idempotent (fire keys, SKIP LOCKED), so both may run at once.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/timestamp.h"

#include "executor_int.h"
#include "shmem.h"

#define RETENTION_EVERY_MS	(3600 * 1000)	/* purge at most hourly from a worker */

static TimestampTz last_purge = 0;

static const char *SQL_TICK =
"/* algawf executor: tick */ "
"SELECT fired, recovered, purged, more, next_purge_at FROM algawf._tick_duties($1, false)";

bool
tick_duties_in_worker(void)
{
	Oid			types[1] = {BOOLOID};
	Datum		args[1];
	TimestampTz now = GetCurrentTimestamp();
	bool		purge = last_purge == 0 ||
		TimestampDifferenceExceeds(last_purge, now, RETENTION_EVERY_MS);
	int64		work = 0;
	bool		more = false;
	TimestampTz next_purge = 0;
	int			i;

	args[0] = BoolGetDatum(purge);
	executor_xact_begin("algawf: tick duties");
	if (SPI_execute_plan(executor_plan(PLAN_TICK, SQL_TICK, 1, types), args, NULL, false, 1)
		!= SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "algawf executor: tick duties failed");
	for (i = 1; i <= 3; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i, &isnull);

		if (!isnull)
			work += DatumGetInt32(d);
	}
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull);

		more = !isnull && DatumGetBool(d);
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &isnull);
		if (!isnull)
			next_purge = DatumGetTimestampTz(d);
	}
	executor_xact_commit();

	if (purge)
		last_purge = now;
	/*
	 * Next time: at once if a batch limit was hit.  Otherwise schedules and
	 * leases come back through the executor's next-due query (any wake-up
	 * runs the duties again); retention when the oldest finished run becomes
	 * purgeable, but not more often than hourly — and never when there is no
	 * finished history.
	 */
	if (more)
		exec.tick_due = now;
	else if (next_purge != 0)
	{
		TimestampTz earliest = TimestampTzPlusMilliseconds(last_purge, RETENTION_EVERY_MS);

		exec.tick_due = Max(next_purge, earliest);
	}
	else
		exec.tick_due = TICK_NONE;
	return work > 0 || more;
}
