/*
 * executor.c — an "algawf executor" background worker.
 *
 * Started by the launcher, connected to algawf.database as the bootstrap
 * superuser.  Each round it
 *   1. records finished HTTP transfers (short transaction) and renews the
 *      leases of those still in flight,
 *   2. does the timer duties that are due (schedules, lease recovery,
 *      retention: tick.c),
 *   3. claims outbox requests up to algawf.http_max_inflight and starts them
 *      (claim committed first; sent outside any transaction),
 *   4. executes runnable run segments, one transaction each (runq.c),
 * and when a round finds nothing to do it sleeps on its latch — and on the
 * sockets of HTTP transfers in flight — until the earliest timer.  Nothing
 * wakes it periodically: new work sets its latch at commit (wake.c).
 *
 * It checks that the extension exists before touching its tables, takes its
 * table locks conditionally, steps aside for DROP EXTENSION and leaves the
 * database for DROP DATABASE (ddl_guard.c).
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "executor_int.h"
#include "guc.h"
#include "http.h"
#include "shmem.h"
#include "smtp_pg.h"
#include "worker.h"

/* messages claimed per e-mail round */
#define EMAIL_BATCH 20

bool		algawf_is_executor = false;

ExecutorState exec = {.slot = -1};

static MemoryContext round_cxt = NULL;
static bool in_xact = false;
static int	consecutive_errors = 0;

/* ------------------------------------------------------------------------
 * Slot bookkeeping
 */

static void
slot_release(int code, Datum arg)
{
	WorkerSlot *s = &algawf_shared->slots[exec.slot];

	http_abort_all();
	SpinLockAcquire(&algawf_shared->mutex);
	if (s->pid == MyProcPid)
	{
		s->pid = 0;
		s->latch = NULL;
		s->state = WS_STOPPED;
		s->has_run = false;
		s->http_inflight = 0;
		s->exit_code = code;
	}
	SpinLockRelease(&algawf_shared->mutex);
}

static bool
slot_take(int slot)
{
	WorkerSlot *s = &algawf_shared->slots[slot];
	bool		ok = false;

	SpinLockAcquire(&algawf_shared->mutex);
	if (s->pid == 0 || kill(s->pid, 0) != 0)
	{
		s->pid = MyProcPid;
		s->latch = MyLatch;
		s->generation++;
		s->state = WS_STARTING;
		s->started_at = s->state_since = GetCurrentTimestamp();
		s->has_run = false;
		s->http_inflight = 0;
		s->sleep_until = 0;
		s->exit_code = 1;		/* until it stops cleanly */
		ok = true;
	}
	SpinLockRelease(&algawf_shared->mutex);
	return ok;
}

void
executor_set_state(WorkerState st)
{
	algawf_slot_set_state(exec.slot, st);
}

static void
slot_count(int64 runs, int64 http_done, int64 wakeups)
{
	WorkerSlot *s = &algawf_shared->slots[exec.slot];

	SpinLockAcquire(&algawf_shared->mutex);
	s->runs_done += runs;
	s->http_done += http_done;
	s->wakeups += wakeups;
	s->http_inflight = http_inflight();
	SpinLockRelease(&algawf_shared->mutex);
}

void
executor_count_runs(int n)
{
	slot_count(n, 0, 0);
}

void
executor_count_http(int n)
{
	slot_count(0, n, 0);
}

/* ------------------------------------------------------------------------
 * Transactions
 */

void
executor_xact_begin(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	in_xact = true;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

void
executor_xact_commit(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	in_xact = false;
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

bool
executor_busy_flags(bool *db_busy, bool *ext_busy)
{
	int			d,
				e;

	SpinLockAcquire(&algawf_shared->mutex);
	d = algawf_shared->db_busy;
	e = algawf_shared->ext_busy;
	SpinLockRelease(&algawf_shared->mutex);
	if (db_busy)
		*db_busy = d > 0;
	if (ext_busy)
		*ext_busy = e > 0;
	return d > 0 || e > 0;
}

/*
 * Inside a transaction: is the extension installed and usable here?  Takes
 * the run table's lock conditionally: if DDL holds it (or waits for it), the
 * executor stays off this round instead of queueing behind (or in front of)
 * the DDL.  *contended is set in that case.
 */
bool
executor_extension_ready(bool *contended)
{
	Oid			ext;
	Oid			nsp;
	Oid			runs;

	*contended = false;
	ext = get_extension_oid("algawf", true);
	if (!OidIsValid(ext))
		return false;
	nsp = get_namespace_oid("algawf", true);
	if (!OidIsValid(nsp))
		return false;
	runs = get_relname_relid("workflow_runs", nsp);
	if (!OidIsValid(runs))
		return false;
	if (!ConditionalLockRelationOid(runs, RowExclusiveLock))
	{
		*contended = true;
		return false;
	}
	exec.runs_rel = runs;
	exec.has_outbox = OidIsValid(get_relname_relid("http_requests", nsp));
	exec.has_email = OidIsValid(get_relname_relid("email_outbox", nsp));
	return true;
}

/* forget prepared plans: the extension's objects may be gone or new */
void
executor_forget_plans(void)
{
	int			i;

	for (i = 0; i < EXEC_NPLANS; i++)
	{
		if (exec.plans[i])
			SPI_freeplan(exec.plans[i]);
		exec.plans[i] = NULL;
	}
}

SPIPlanPtr
executor_plan(int which, const char *sql, int nargs, Oid *argtypes)
{
	if (exec.plans[which] == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(sql, nargs, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed for algawf executor query %d: %s",
				 which, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed");
		exec.plans[which] = p;
	}
	return exec.plans[which];
}

/* ------------------------------------------------------------------------
 * Waiting
 */

/* returns true when woken by the latch or the timeout (not only by sockets) */
static bool
wait_for_work(TimestampTz until)
{
	int			nsocks = http_socket_count();
	HttpSocket *socks = palloc(sizeof(HttpSocket) * Max(nsocks, 1));
	long		http_ms = http_timeout_ms();
	long		timeout = -1;
	WaitEventSet *set;
	WaitEvent	events[64];
	int			nev;
	bool		woken = false;
	int			i;
	TimestampTz now = GetCurrentTimestamp();

	nsocks = http_sockets(socks, nsocks);

	if (until != 0)
		timeout = until <= now ? 0 : TimestampDifferenceMilliseconds(now, until) + 1;
	if (http_ms >= 0 && (timeout < 0 || http_ms < timeout))
		timeout = http_ms;

	SpinLockAcquire(&algawf_shared->mutex);
	algawf_shared->slots[exec.slot].sleep_until = until;
	SpinLockRelease(&algawf_shared->mutex);

	set = CreateWaitEventSet(CurrentMemoryContext, nsocks + 2);
	AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	for (i = 0; i < nsocks; i++)
	{
		uint32		ev = (socks[i].want_read ? WL_SOCKET_READABLE : 0) |
			(socks[i].want_write ? WL_SOCKET_WRITEABLE : 0);

		if (ev)
			AddWaitEventToSet(set, ev, socks[i].fd, NULL, NULL);
	}
	nev = WaitEventSetWait(set, timeout, events, lengthof(events), PG_WAIT_EXTENSION);
	FreeWaitEventSet(set);

	if (nev == 0)
		woken = true;			/* timeout */
	for (i = 0; i < nev; i++)
	{
		if (events[i].events & WL_LATCH_SET)
			woken = true;
		if (events[i].events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE))
			http_on_socket(events[i].fd,
						   (events[i].events & WL_SOCKET_READABLE) != 0,
						   (events[i].events & WL_SOCKET_WRITEABLE) != 0);
	}
	if (http_inflight() > 0 && http_timeout_ms() == 0)
		http_on_timeout();
	if (woken)
		slot_count(0, 0, 1);
	return woken;
}

/* ------------------------------------------------------------------------
 * The round
 */

/*
 * E-mail queued by email.send: claimed in one transaction, sent over SMTP
 * outside any (smtp.c, no locks held), recorded in another.  One batch per
 * round, so runs keep moving between batches.
 */
static bool
email_round(void)
{
	EmailBatch *batch;
	int			sent,
				retrying,
				failed;

	TimestampTz now = GetCurrentTimestamp();

	/*
	 * Look after each wake-up, and at most once a second while runs keep the
	 * executor busy, so that an idle-free round does not pay a transaction.
	 */
	if (!exec.has_email || !algawf_worker_email || exec.email_due > now)
		return false;
	exec.email_due = TimestampTzPlusMilliseconds(now, 1000);
	executor_set_state(WS_CLAIMING);
	executor_xact_begin("algawf: claiming e-mail");
	/* the lease outlasts a whole batch of blocking SMTP sends */
	batch = email_outbox_claim(EMAIL_BATCH, Max(algawf_lease_duration, 300),
							   AllocSetContextCreate(TopMemoryContext, "algawf e-mail batch",
													 ALLOCSET_DEFAULT_SIZES));
	executor_xact_commit();
	if (email_outbox_batch_size(batch) == 0)
	{
		email_outbox_free(batch);
		return false;
	}
	executor_set_state(WS_SENDING);
	email_outbox_send(batch);
	executor_xact_begin("algawf: recording e-mail");
	email_outbox_record(batch, &sent, &retrying, &failed);
	executor_xact_commit();
	email_outbox_free(batch);
	exec.email_due = 0;			/* more may be waiting */
	return true;
}

/*
 * One round of work.  Returns true when it did something (the caller loops
 * again at once); otherwise *until is when a timer is next due (0: none).
 */
static bool
executor_round(TimestampTz *until)
{
	bool		db_busy,
				ext_busy;
	bool		did = false;
	bool		contended;
	bool		ready;
	TimestampTz now;

	*until = 0;
	executor_busy_flags(&db_busy, &ext_busy);
	if (db_busy)
	{
		/* DROP DATABASE & co. want us out; the launcher brings us back */
		ereport(DEBUG1, (errmsg("algawf executor leaving the database for DDL")));
		proc_exit(0);
	}

	if (ext_busy)
	{
		executor_set_state(http_inflight() > 0 ? WS_SENDING : WS_PAUSED);
		return false;
	}

	executor_set_state(WS_CLAIMING);
	executor_xact_begin("algawf: checking the extension");
	ready = executor_extension_ready(&contended);
	executor_xact_commit();
	if (!ready)
	{
		executor_forget_plans();
		if (!contended)
			outbox_forget_all();
		exec.tick_due = 0;
		if (contended)
		{
			/* DDL holds the tables; look again shortly */
			*until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);
			executor_set_state(WS_PAUSED);
		}
		else
			executor_set_state(WS_NO_EXTENSION);
		return false;
	}

	/* HTTP results first: they are outside any transaction until recorded */
	did |= outbox_record_finished();

	now = GetCurrentTimestamp();
	if (exec.tick_due <= now)
	{
		executor_set_state(WS_TICK);
		did |= tick_duties_in_worker();
	}

	if (outbox_lease_renew_due())
		outbox_renew_leases();

	executor_set_state(WS_CLAIMING);
	did |= outbox_claim_and_start();

	did |= runq_execute_batch();

	did |= email_round();

	if (!did)
	{
		*until = runq_next_due();
		if (exec.tick_due != TICK_NONE && (*until == 0 || exec.tick_due < *until))
			*until = exec.tick_due;
		if (http_inflight() > 0)
		{
			TimestampTz renew = outbox_next_renewal();

			if (renew != 0 && (*until == 0 || renew < *until))
				*until = renew;
		}
	}
	return did;
}

static void
handle_error(void)
{
	ErrorData  *edata;
	bool		db_busy,
				ext_busy;

	/* Since not using PG_TRY, must reset error stack by hand */
	error_context_stack = NULL;
	HOLD_INTERRUPTS();
	QueryCancelPending = false;
	disable_all_timeouts(false);

	MemoryContextSwitchTo(TopMemoryContext);
	edata = CopyErrorData();
	executor_busy_flags(&db_busy, &ext_busy);
	/* a cancel sent by the DDL guard is expected: say nothing */
	if (!(edata->sqlerrcode == ERRCODE_QUERY_CANCELED && (db_busy || ext_busy)))
	{
		EmitErrorReport();
		algawf_slot_record_error(exec.slot, edata->message);
		consecutive_errors++;
	}

	AbortCurrentTransaction();
	in_xact = false;
	runq_after_error();
	FreeErrorData(edata);
	FlushErrorState();
	executor_forget_plans();
	if (round_cxt)
		MemoryContextReset(round_cxt);
	pgstat_report_activity(STATE_IDLE, NULL);
	RESUME_INTERRUPTS();
}

void
algawf_executor_main(Datum arg)
{
	sigjmp_buf	local_sigjmp_buf;
	Oid			db;

	exec.slot = DatumGetInt32(arg);
	memcpy(&db, MyBgworkerEntry->bgw_extra, sizeof(Oid));

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	algawf_is_executor = true;

	if (algawf_shared == NULL || exec.slot < 0 || exec.slot >= algawf_shared->nslots)
		proc_exit(1);
	if (!slot_take(exec.slot))
		proc_exit(0);			/* a duplicate: another process holds the slot */
	before_shmem_exit(slot_release, 0);
	if (executor_busy_flags(NULL, NULL))
	{
		bool		db_busy;

		executor_busy_flags(&db_busy, NULL);
		if (db_busy)
			proc_exit(0);
	}

	BackgroundWorkerInitializeConnectionByOid(db, InvalidOid, 0);
	pgstat_report_appname(MyBgworkerEntry->bgw_name);
	SetConfigOption("application_name", MyBgworkerEntry->bgw_name, PGC_USERSET, PGC_S_SESSION);

	snprintf(exec.lease_owner, sizeof(exec.lease_owner), "%lx:%d:%d",
			 (unsigned long) algawf_shared->boot_time, exec.slot + 1, MyProcPid);

	round_cxt = AllocSetContextCreate(TopMemoryContext, "algawf executor round",
									  ALLOCSET_DEFAULT_SIZES);

	if (sigsetjmp(local_sigjmp_buf, 1) != 0)
	{
		handle_error();
		/* do not spin on a persistent error */
		if (consecutive_errors > 0)
		{
			long		ms = Min(1000L * (1L << Min(consecutive_errors - 1, 5)), 30000L);

			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 ms, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
	PG_exception_stack = &local_sigjmp_buf;

	for (;;)
	{
		TimestampTz until;
		bool		did;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		ResetLatch(MyLatch);

		MemoryContextSwitchTo(round_cxt);
		did = executor_round(&until);
		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(round_cxt);
		consecutive_errors = did ? 0 : consecutive_errors;

		SpinLockAcquire(&algawf_shared->mutex);
		algawf_shared->slots[exec.slot].rounds++;
		SpinLockRelease(&algawf_shared->mutex);

		if (did)
			continue;

		/* nothing to do: sleep until new work, a timer or an HTTP event */
		{
			uint64		shared_deadline = pg_atomic_read_u64(&algawf_shared->deadline);
			TimestampTz now = GetCurrentTimestamp();

			if (shared_deadline != 0)
			{
				if ((TimestampTz) shared_deadline <= now)
				{
					/* it is due: this round's queries already saw its rows; clear it */
					pg_atomic_compare_exchange_u64(&algawf_shared->deadline, &shared_deadline, 0);
				}
				else if (until == 0 || (TimestampTz) shared_deadline < until)
					until = (TimestampTz) shared_deadline;
			}
		}
		if (http_inflight() == 0)
		{
			WorkerState st;

			SpinLockAcquire(&algawf_shared->mutex);
			st = algawf_shared->slots[exec.slot].state;
			SpinLockRelease(&algawf_shared->mutex);
			if (st != WS_NO_EXTENSION && st != WS_PAUSED)
				executor_set_state(WS_IDLE);
		}
		else
			executor_set_state(WS_SENDING);

		/* statistics held back by the 1 s flush interval go out before sleeping */
		pgstat_report_stat(true);

		MemoryContextSwitchTo(round_cxt);
		if (wait_for_work(until))
			exec.tick_due = 0;	/* whatever woke us, the timer duties look too */
		exec.email_due = 0;		/* a wake-up may be a queued e-mail or its retry time */
		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(round_cxt);
	}
}
