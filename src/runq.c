/*
 * runq.c — claiming and executing runs in an executor.
 *
 * The queue is algawf.workflow_runs itself (see the engine's tables): a run
 * is runnable when it is RUNNING or WAITING with runnable_at <= now().  One
 * run segment is one transaction:
 *
 *   BEGIN
 *     pick a run: SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1
 *     SET LOCAL algawf.tenant = <its tenant>
 *     SELECT algawf.run_segment(run_id)      -- the interpreter
 *   COMMIT
 *
 * The row lock is the claim: other executors skip the row, and if this
 * process dies its transaction is rolled back and the run is claimable again
 * at once — nothing is lost and no effect of the segment survives.
 *
 * Fairness: each claim goes round the tenants that have due runs, starting
 * after the tenant served last (a cursor in shared memory, common to all
 * executors), so one tenant's backlog delays another tenant's run by at most
 * one segment per executor.
 *
 * concurrency_limit: a run that has not started yet is taken only while fewer
 * than concurrency_limit runs of its workflow are started and unfinished;
 * executors starting a run of the same workflow serialize on an advisory
 * transaction lock (taken with try-lock, so they never wait on each other).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "executor_int.h"
#include "guc.h"
#include "http.h"
#include "shmem.h"
#include "wake.h"

#define SEGMENTS_PER_ROUND	20	/* then look at HTTP and timers again */
#define ROUND_BUDGET_MS		500
#define MAX_TENANTS_PER_CLAIM 10000

/* a run whose segment raised an error: pushed back before the next claim */
static bool defer_pending = false;
static pg_uuid_t defer_run;
static pg_uuid_t defer_tenant;
static int	defer_count = 0;
static pg_uuid_t last_failed_run;

static const char *SQL_TENANTS =
"/* algawf executor: tenants with due runs */ "
"WITH RECURSIVE t(tenant) AS ("
"  (SELECT tenant FROM algawf.workflow_runs"
"    WHERE status IN ('RUNNING', 'WAITING') AND runnable_at IS NOT NULL"
"    ORDER BY tenant LIMIT 1)"
"  UNION ALL"
"  SELECT (SELECT r.tenant FROM algawf.workflow_runs r"
"           WHERE r.status IN ('RUNNING', 'WAITING') AND r.runnable_at IS NOT NULL"
"             AND r.tenant > t.tenant ORDER BY r.tenant LIMIT 1)"
"  FROM t WHERE t.tenant IS NOT NULL"
") "
"SELECT t.tenant FROM t WHERE t.tenant IS NOT NULL AND EXISTS ("
"  SELECT 1 FROM algawf.workflow_runs d"
"   WHERE d.tenant = t.tenant AND d.status IN ('RUNNING', 'WAITING')"
"     AND d.runnable_at IS NOT NULL AND d.runnable_at <= now())";

/*
 * No join: the plan must be "walk the (tenant, runnable_at) index, stop at
 * the first lockable row" whatever the statistics say (a burst of new runs
 * has none yet), and it is planned for each tenant anew (a custom plan: one
 * tenant's backlog must not make the plan for another tenant's single run
 * walk through it).
 */
static const char *SQL_PICK =
"/* algawf executor: claim */ "
"SELECT r.run_id FROM algawf.workflow_runs r "
"WHERE r.tenant = $1 AND r.status IN ('RUNNING', 'WAITING') "
"  AND r.runnable_at IS NOT NULL AND r.runnable_at <= now() "
"  AND (r.started_at IS NOT NULL OR NOT EXISTS ("
"       SELECT 1 FROM algawf.workflow_definitions d"
"        WHERE d.tenant = r.tenant AND d.workflow_id = r.workflow_id"
"          AND (d.is_paused"
"               OR (d.concurrency_limit IS NOT NULL"
"                   AND NOT (pg_try_advisory_xact_lock(hashtextextended(r.tenant::text || r.workflow_id::text, 7270))"
"                            AND (SELECT count(*) FROM algawf.workflow_runs x"
"                                  WHERE x.tenant = r.tenant AND x.workflow_id = r.workflow_id"
"                                    AND x.status IN ('RUNNING', 'WAITING') AND x.started_at IS NOT NULL)"
"                                < d.concurrency_limit))))) "
"ORDER BY r.tenant, r.runnable_at "
"LIMIT 1 "
"FOR UPDATE OF r SKIP LOCKED";

static const char *SQL_SEGMENT =
"/* algawf executor: segment */ SELECT algawf.run_segment($1)";

static const char *SQL_NEXT_DUE =
"/* algawf executor: next timer */ SELECT algawf._worker_next_due()";

static const char *SQL_DEFER =
"/* algawf executor: defer a failing run */ "
"UPDATE algawf.workflow_runs SET runnable_at = now() + $3 * interval '1 second' "
"WHERE tenant = $1 AND run_id = $2 AND status IN ('RUNNING', 'WAITING') AND runnable_at IS NOT NULL";

static int
uuid_order(const pg_uuid_t *a, const pg_uuid_t *b)
{
	return memcmp(a->data, b->data, UUID_LEN);
}

static void
set_tenant_local(const pg_uuid_t *tenant)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(tenant)));

	(void) set_config_option("algawf.tenant", s, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
}

/* a run that failed with an internal error is retried later, not at once */
static void
apply_deferral(void)
{
	Oid			types[3] = {UUIDOID, UUIDOID, INT4OID};
	Datum		args[3];
	int			seconds;

	if (!defer_pending)
		return;
	defer_pending = false;
	if (uuid_order(&defer_run, &last_failed_run) == 0)
		defer_count++;
	else
		defer_count = 1;
	last_failed_run = defer_run;
	seconds = Min(1 << Min(defer_count, 9), 300);

	executor_xact_begin("algawf: deferring a failing run");
	args[0] = UUIDPGetDatum(&defer_tenant);
	args[1] = UUIDPGetDatum(&defer_run);
	args[2] = Int32GetDatum(seconds);
	SPI_execute_plan(executor_plan(PLAN_DEFER, SQL_DEFER, 3, types), args, NULL, false, 0);
	executor_xact_commit();
	ereport(LOG,
			(errmsg("algawf executor: run %s failed with an internal error; retrying it in %d s",
					DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&defer_run))), seconds)));
}

void
runq_after_error(void)
{
	bool		db_busy,
				ext_busy;

	executor_busy_flags(&db_busy, &ext_busy);
	if (exec.has_current_run && !db_busy && !ext_busy)
	{
		defer_pending = true;
		defer_run = exec.current_run;
		defer_tenant = exec.current_tenant;
	}
	exec.has_current_run = false;
	algawf_slot_set_run(exec.slot, NULL, NULL);
}

/*
 * The tenants with due runs, fetched at most every TENANTS_TTL_MS: the
 * skip-scan is the dearest query of a claim while a backlog drains (the
 * index still holds the entries of the runs just finished), and a tenant
 * that queues its first run waits at most that long to be seen.
 */
#define TENANTS_TTL_MS 100

static pg_uuid_t *tenant_cache = NULL;
static int	tenant_count = 0;
static TimestampTz tenants_at = 0;

static void
fetch_tenants(void)
{
	int			i;
	int			n;

	if (SPI_execute_plan(executor_plan(PLAN_TENANTS, SQL_TENANTS, 0, NULL), NULL, NULL, false,
						 MAX_TENANTS_PER_CLAIM) != SPI_OK_SELECT)
		elog(ERROR, "algawf executor: tenant query failed");
	n = (int) SPI_processed;
	if (tenant_cache)
		pfree(tenant_cache);
	tenant_cache = MemoryContextAlloc(TopMemoryContext, sizeof(pg_uuid_t) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		tenant_cache[i] = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	}
	tenant_count = n;
	tenants_at = GetCurrentTimestamp();
}

/* try the cached tenants in round-robin order from the shared cursor */
static bool
pick_run(pg_uuid_t *tenant, pg_uuid_t *run)
{
	Oid			uuid_type = UUIDOID;
	int			start = 0;
	int			i;
	pg_uuid_t	cursor;
	bool		cursor_set;

	SpinLockAcquire(&algawf_shared->mutex);
	cursor = algawf_shared->fair_cursor;
	cursor_set = algawf_shared->fair_cursor_set;
	SpinLockRelease(&algawf_shared->mutex);
	if (cursor_set)
	{
		for (start = 0; start < tenant_count; start++)
			if (uuid_order(&tenant_cache[start], &cursor) > 0)
				break;
		if (start == tenant_count)
			start = 0;
	}
	for (i = 0; i < tenant_count; i++)
	{
		pg_uuid_t  *t = &tenant_cache[(start + i) % tenant_count];
		Datum		arg = UUIDPGetDatum(t);

		if (SPI_execute_with_args(SQL_PICK, 1, &uuid_type, &arg, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "algawf executor: claim query failed");
		if (SPI_processed == 1)
		{
			bool		isnull;

			*run = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			*tenant = *t;
			return true;
		}
	}
	return false;
}

/*
 * Claim and execute one segment.  Returns false when no run could be
 * claimed.  *more says whether other tenants had due runs too.
 */
static bool
execute_one(bool *more)
{
	Oid			uuid_type = UUIDOID;
	bool		found;
	pg_uuid_t	tenant;
	pg_uuid_t	run;
	bool		fresh = false;

	*more = false;
	executor_xact_begin("algawf: claiming a run");

	if (tenant_count == 0 ||
		TimestampDifferenceExceeds(tenants_at, GetCurrentTimestamp(), TENANTS_TTL_MS))
	{
		fetch_tenants();
		fresh = true;
	}
	found = pick_run(&tenant, &run);
	if (!found && !fresh)
	{
		/* nothing among the tenants known: maybe new ones queued something */
		fetch_tenants();
		found = pick_run(&tenant, &run);
	}
	if (!found)
	{
		tenant_count = 0;
		executor_xact_commit();
		return false;
	}
	*more = tenant_count > 1;

	SpinLockAcquire(&algawf_shared->mutex);
	algawf_shared->fair_cursor = tenant;
	algawf_shared->fair_cursor_set = true;
	SpinLockRelease(&algawf_shared->mutex);

	exec.has_current_run = true;
	exec.current_run = run;
	exec.current_tenant = tenant;
	algawf_slot_set_run(exec.slot, &tenant, &run);
	executor_set_state(WS_RUNNING);
	pgstat_report_activity(STATE_RUNNING, "algawf: executing a run segment");

	set_tenant_local(&tenant);
	{
		Datum		arg = UUIDPGetDatum(&run);

		if (SPI_execute_plan(executor_plan(PLAN_SEGMENT, SQL_SEGMENT, 1, &uuid_type), &arg, NULL, false, 0)
			!= SPI_OK_SELECT)
			elog(ERROR, "algawf executor: run_segment failed");
	}
	executor_xact_commit();

	exec.has_current_run = false;
	algawf_slot_set_run(exec.slot, NULL, NULL);
	executor_count_runs(1);
	executor_set_state(WS_CLAIMING);
	return true;
}

bool
runq_execute_batch(void)
{
	int			n = 0;
	bool		woke_sibling = false;
	TimestampTz start = GetCurrentTimestamp();

	apply_deferral();

	while (n < SEGMENTS_PER_ROUND)
	{
		bool		more;

		CHECK_FOR_INTERRUPTS();
		if (executor_busy_flags(NULL, NULL))
			break;
		if (!execute_one(&more))
			break;
		n++;
		/* a backlog: make sure another executor helps */
		if ((more || n > 1) && !woke_sibling)
		{
			algawf_wake_executors(false);
			woke_sibling = true;
		}
		if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(), ROUND_BUDGET_MS))
			break;
		if (http_inflight() > 0)
			break;				/* let the loop service the sockets */
	}
	return n > 0;
}

TimestampTz
runq_next_due(void)
{
	TimestampTz due = 0;
	bool		isnull;
	Datum		d;

	executor_xact_begin("algawf: computing the next timer");
	if (SPI_execute_plan(executor_plan(PLAN_NEXT_DUE, SQL_NEXT_DUE, 0, NULL), NULL, NULL, true, 1)
		!= SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "algawf executor: next-due query failed");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		due = DatumGetTimestampTz(d);
	executor_xact_commit();
	return due;
}
