/*
 * launcher.c — the "algawf launcher" background worker.
 *
 * Registered at server start when algawf is preloaded (and algawf.workers >
 * 0).  It connects to no database (it reads only the shared catalog
 * pg_database), finds algawf.database and keeps algawf.workers executors
 * running there: it starts them, restarts one that exits (after a short pause
 * if it failed), stops them while DDL needs the database to itself
 * (ddl_guard.c) and waits — without polling — while the database does not
 * exist.  It sleeps on its latch; the postmaster sets it when an executor
 * starts or stops, and backends set it at the commit of CREATE/ALTER/DROP
 * DATABASE.
 */
#include "postgres.h"

#include <signal.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
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
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "guc.h"
#include "shmem.h"
#include "worker.h"

#define RESTART_PAUSE_MS	5000	/* after an executor failed */
#define REGISTER_RETRY_MS	60000	/* after max_worker_processes ran out */

typedef struct ExecutorHandle
{
	BackgroundWorkerHandle *handle;
	TimestampTz started_at;
	TimestampTz restart_at;		/* 0: may start now */
} ExecutorHandle;

static ExecutorHandle executors[ALGAWF_MAX_WORKERS];
static bool warned_missing_db = false;
static bool warned_no_slots = false;

void
algawf_launcher_register(void)
{
	BackgroundWorker w;

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = 5;
	snprintf(w.bgw_library_name, BGW_MAXLEN, "algawf");
	snprintf(w.bgw_function_name, BGW_MAXLEN, "algawf_launcher_main");
	snprintf(w.bgw_name, BGW_MAXLEN, "algawf launcher");
	snprintf(w.bgw_type, BGW_MAXLEN, "algawf launcher");
	RegisterBackgroundWorker(&w);
}

static void
launcher_detach(int code, Datum arg)
{
	SpinLockAcquire(&algawf_shared->mutex);
	if (algawf_shared->launcher_pid == MyProcPid)
	{
		algawf_shared->launcher_pid = 0;
		algawf_shared->launcher_latch = NULL;
	}
	SpinLockRelease(&algawf_shared->mutex);
}

/*
 * Executors left by a previous launcher (one that was terminated on its own)
 * cannot be supervised: ask them to stop and wait until they have.
 */
static void
stop_orphans(void)
{
	int			i;
	int			waited = 0;

	for (;;)
	{
		int			alive = 0;

		SpinLockAcquire(&algawf_shared->mutex);
		for (i = 0; i < algawf_shared->nslots; i++)
		{
			pid_t		pid = algawf_shared->slots[i].pid;

			if (pid != 0)
			{
				if (kill(pid, 0) == 0)
				{
					alive++;
					if (waited == 0)
						kill(pid, SIGTERM);
				}
				else
					algawf_shared->slots[i].pid = 0;	/* gone without cleaning up */
			}
		}
		SpinLockRelease(&algawf_shared->mutex);
		if (alive == 0 || waited >= 300)
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		waited++;
	}
}

/*
 * The served database's oid, or InvalidOid.  Taking a share lock on the
 * database waits for a concurrent DROP/RENAME DATABASE to finish, so that
 * executors are not started into a database that is going away.
 */
/* the oid of the database named algawf.database, by a heap scan of pg_database */
static Oid
find_database(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	Oid			db = InvalidOid;

	/* no index: this process has no database, so only nailed relations are at hand */
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database d = (Form_pg_database) GETSTRUCT(tup);

		if (strcmp(NameStr(d->datname), algawf_database) == 0 && !database_is_invalid_form(d))
		{
			db = d->oid;
			break;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return db;
}

/*
 * The served database's oid, or InvalidOid.  Taking a share lock on the
 * database waits for a concurrent DROP/RENAME DATABASE to finish, so that
 * executors are not started into a database that is going away.
 */
static Oid
lookup_database(void)
{
	Oid			db;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	db = find_database();
	if (OidIsValid(db))
	{
		LockSharedObject(DatabaseRelationId, db, 0, AccessShareLock);
		/* the lock waited for any DDL on it to end: look again */
		CommitTransactionCommand();
		StartTransactionCommand();
		(void) GetTransactionSnapshot();
		if (find_database() != db)
			db = InvalidOid;
	}
	CommitTransactionCommand();
	pgstat_report_stat(false);
	return db;
}

static bool
start_executor(int i, Oid db)
{
	BackgroundWorker w;

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(w.bgw_library_name, BGW_MAXLEN, "algawf");
	snprintf(w.bgw_function_name, BGW_MAXLEN, "algawf_executor_main");
	snprintf(w.bgw_name, BGW_MAXLEN, "algawf executor %d", i + 1);
	snprintf(w.bgw_type, BGW_MAXLEN, "algawf executor");
	w.bgw_main_arg = Int32GetDatum(i);
	memcpy(w.bgw_extra, &db, sizeof(Oid));
	w.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&w, &executors[i].handle))
	{
		executors[i].handle = NULL;
		if (!warned_no_slots)
			ereport(WARNING,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("algawf launcher could not start executor %d: no free background worker slot", i + 1),
					 errhint("Raise max_worker_processes (it must cover algawf.workers plus other background workers).")));
		warned_no_slots = true;
		executors[i].restart_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), REGISTER_RETRY_MS);
		return false;
	}
	executors[i].started_at = GetCurrentTimestamp();
	executors[i].restart_at = 0;
	return true;
}

/* Forget executors that have exited; schedule their restart. */
static void
reap_executors(void)
{
	int			i;
	TimestampTz now = GetCurrentTimestamp();

	for (i = 0; i < algawf_shared->nslots; i++)
	{
		pid_t		pid;
		bool		clean;

		if (executors[i].handle == NULL)
			continue;
		if (GetBackgroundWorkerPid(executors[i].handle, &pid) != BGWH_STOPPED)
			continue;
		pfree(executors[i].handle);
		executors[i].handle = NULL;

		SpinLockAcquire(&algawf_shared->mutex);
		clean = algawf_shared->slots[i].exit_code == 0;
		SpinLockRelease(&algawf_shared->mutex);
		/* an executor that failed waits a little before it is started again */
		executors[i].restart_at = clean ? 0 : TimestampTzPlusMilliseconds(now, RESTART_PAUSE_MS);
	}
}

void
algawf_launcher_main(Datum arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("algawf launcher");

	SpinLockAcquire(&algawf_shared->mutex);
	algawf_shared->launcher_pid = MyProcPid;
	algawf_shared->launcher_latch = MyLatch;
	SpinLockRelease(&algawf_shared->mutex);
	before_shmem_exit(launcher_detach, 0);

	stop_orphans();

	for (;;)
	{
		int			db_busy;
		long		timeout = -1;
		int			i;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		ResetLatch(MyLatch);

		reap_executors();

		SpinLockAcquire(&algawf_shared->mutex);
		db_busy = algawf_shared->db_busy;
		SpinLockRelease(&algawf_shared->mutex);

		if (db_busy == 0)
		{
			Oid			db = lookup_database();

			SpinLockAcquire(&algawf_shared->mutex);
			algawf_shared->database = db;
			db_busy = algawf_shared->db_busy;
			SpinLockRelease(&algawf_shared->mutex);

			if (!OidIsValid(db))
			{
				if (!warned_missing_db)
					ereport(LOG,
							(errmsg("algawf launcher: database \"%s\" does not exist; background execution waits until it is created",
									algawf_database),
							 errhint("Set algawf.database in postgresql.conf to the database where CREATE EXTENSION algawf was run.")));
				warned_missing_db = true;
			}
			else if (db_busy == 0)
			{
				TimestampTz now = GetCurrentTimestamp();

				warned_missing_db = false;
				for (i = 0; i < algawf_shared->nslots && i < algawf_workers; i++)
				{
					if (executors[i].handle != NULL)
						continue;
					if (executors[i].restart_at != 0 && executors[i].restart_at > now)
					{
						long		ms = TimestampDifferenceMilliseconds(now, executors[i].restart_at) + 1;

						if (timeout < 0 || ms < timeout)
							timeout = ms;
						continue;
					}
					if (!start_executor(i, db))
					{
						if (timeout < 0 || timeout > REGISTER_RETRY_MS)
							timeout = REGISTER_RETRY_MS;
					}
				}
			}
		}

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | (timeout >= 0 ? WL_TIMEOUT : 0),
						 timeout, PG_WAIT_EXTENSION);
	}
}
