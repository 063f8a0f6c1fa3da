/*
 * wake.c — wake-at-commit for the background executors.
 *
 * A transaction that queues or resumes a run marks itself
 * (algawf_wake_at_commit); a transaction that sets a timer records the
 * earliest one (algawf_wake_at).  The transaction callback acts on
 * XACT_EVENT_COMMIT only — by then the new rows are visible to any snapshot
 * an executor takes — and forgets everything on abort.  An executor that is
 * idle is woken; if none is idle, every executor's latch is set so that the
 * busy ones look for work once more before they sleep.
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "storage/spin.h"

#include "shmem.h"
#include "wake.h"

static bool wake_pending = false;
static bool wake_all_pending = false;
static bool wake_launcher_pending = false;
static TimestampTz timer_pending = 0;
static int	db_busy_held = 0;
static int	ext_busy_held = 0;

void
algawf_wake_at_commit(void)
{
	wake_pending = true;
}

void
algawf_wake_all_at_commit(void)
{
	wake_all_pending = true;
}

void
algawf_wake_launcher_at_commit(void)
{
	wake_launcher_pending = true;
}

void
algawf_wake_at(TimestampTz t)
{
	if (timer_pending == 0 || t < timer_pending)
		timer_pending = t;
}

void
algawf_wake_executors(bool all)
{
	AlgawfShared *sh = algawf_shared;
	Latch	   *targets[ALGAWF_MAX_WORKERS];
	int			ntargets = 0;
	int			i;

	if (sh == NULL)
		return;

	SpinLockAcquire(&sh->mutex);
	if (!all)
	{
		/* one idle executor, round robin */
		for (i = 0; i < sh->nslots; i++)
		{
			int			k = (sh->wake_rr + i) % sh->nslots;
			WorkerSlot *s = &sh->slots[k];

			if (s->pid != 0 && s->latch != NULL && s->state == WS_IDLE)
			{
				targets[ntargets++] = s->latch;
				sh->wake_rr = k + 1;
				break;
			}
		}
	}
	if (ntargets == 0)
	{
		for (i = 0; i < sh->nslots; i++)
		{
			WorkerSlot *s = &sh->slots[i];

			if (s->pid != 0 && s->latch != NULL)
				targets[ntargets++] = s->latch;
		}
	}
	SpinLockRelease(&sh->mutex);

	for (i = 0; i < ntargets; i++)
		SetLatch(targets[i]);
}

void
algawf_wake_launcher(void)
{
	AlgawfShared *sh = algawf_shared;
	Latch	   *l;

	if (sh == NULL)
		return;
	SpinLockAcquire(&sh->mutex);
	l = sh->launcher_pid != 0 ? sh->launcher_latch : NULL;
	SpinLockRelease(&sh->mutex);
	if (l)
		SetLatch(l);
}

/*
 * DROP DATABASE & co.: executors leave the database at once; the launcher
 * restarts them when this transaction has ended (its lock is gone then).
 */
/*
 * Ask the executors to notice a DDL flag now: wake them all, and cancel the
 * statement of those inside a transaction (they catch the cancel, see the
 * flag and step aside).
 */
static void
nudge_executors(void)
{
	AlgawfShared *sh = algawf_shared;
	int			i;
	pid_t		pids[ALGAWF_MAX_WORKERS];
	int			npids = 0;

	SpinLockAcquire(&sh->mutex);
	for (i = 0; i < sh->nslots; i++)
	{
		WorkerSlot *s = &sh->slots[i];

		if (s->pid != 0 && (s->state == WS_CLAIMING || s->state == WS_RUNNING || s->state == WS_TICK))
			pids[npids++] = s->pid;
	}
	SpinLockRelease(&sh->mutex);
	for (i = 0; i < npids; i++)
		kill(pids[i], SIGINT);
	algawf_wake_executors(true);
}

/*
 * DROP DATABASE & co.: executors leave the database at once; the launcher
 * restarts them when this transaction has ended (its lock is gone then).
 */
void
algawf_hold_db_busy(void)
{
	AlgawfShared *sh = algawf_shared;

	if (sh == NULL)
		return;
	SpinLockAcquire(&sh->mutex);
	sh->db_busy++;
	SpinLockRelease(&sh->mutex);
	db_busy_held++;
	nudge_executors();
}

/* DROP EXTENSION algawf: executors keep their hands off until it is over */
void
algawf_hold_ext_busy(void)
{
	AlgawfShared *sh = algawf_shared;

	if (sh == NULL)
		return;
	SpinLockAcquire(&sh->mutex);
	sh->ext_busy++;
	SpinLockRelease(&sh->mutex);
	ext_busy_held++;
	nudge_executors();
}

static void
release_busy(void)
{
	AlgawfShared *sh = algawf_shared;
	bool		db = db_busy_held > 0;
	bool		ext = ext_busy_held > 0;

	if (sh == NULL || (!db && !ext))
		return;
	SpinLockAcquire(&sh->mutex);
	sh->db_busy -= db_busy_held;
	sh->ext_busy -= ext_busy_held;
	if (sh->db_busy < 0)
		sh->db_busy = 0;
	if (sh->ext_busy < 0)
		sh->ext_busy = 0;
	SpinLockRelease(&sh->mutex);
	db_busy_held = 0;
	ext_busy_held = 0;
	if (db)
		algawf_wake_launcher();
	if (ext)
		algawf_wake_executors(true);
}

static void
algawf_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (algawf_shared != NULL)
			{
				if (timer_pending != 0 && algawf_deadline_lower(timer_pending))
					wake_pending = true;	/* let a sleeper re-arm its timeout */
				if (wake_pending || wake_all_pending)
					algawf_wake_executors(wake_all_pending);
				if (wake_launcher_pending)
					algawf_wake_launcher();
			}
			release_busy();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			release_busy();
			break;
		case XACT_EVENT_PREPARE:
			/* the rows become visible at COMMIT PREPARED, which wakes (ddl_guard.c) */
			release_busy();
			break;
		default:
			return;
	}
	wake_pending = false;
	wake_all_pending = false;
	wake_launcher_pending = false;
	timer_pending = 0;
}

void
algawf_wake_init(void)
{
	RegisterXactCallback(algawf_xact_callback, NULL);
}
