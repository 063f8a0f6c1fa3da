/*
 * shmem.h — state shared by the launcher, the executors and every backend:
 * one slot per executor (for algawf.worker_status), the executors' latches
 * (for wake-at-commit), the earliest known timer, and the flags DDL sets to
 * make the executors step aside.
 *
 * Exists only when algawf is in shared_preload_libraries; algawf_shared is
 * NULL otherwise.
 */
#ifndef ALGAWF_SHMEM_H
#define ALGAWF_SHMEM_H

#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/s_lock.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#define ALGAWF_MAX_WORKERS 64
#define ALGAWF_ERROR_LEN 256

typedef enum WorkerState
{
	WS_STOPPED = 0,				/* slot unused or process gone */
	WS_STARTING,
	WS_IDLE,					/* sleeping on its latch */
	WS_CLAIMING,				/* looking for work */
	WS_RUNNING,					/* executing a run segment */
	WS_SENDING,					/* only HTTP requests in flight */
	WS_TICK,					/* schedules, expiry, lease recovery, retention */
	WS_NO_EXTENSION,			/* database has no (usable) algawf extension */
	WS_PAUSED					/* DDL asked the executors to step aside */
} WorkerState;

typedef struct WorkerSlot
{
	pid_t		pid;
	int			state;			/* WorkerState */
	Latch	   *latch;
	uint32		generation;		/* bumped at each start of this slot */
	int			exit_code;		/* of the last process in the slot: 0 = stopped cleanly */
	TimestampTz started_at;
	TimestampTz state_since;
	TimestampTz sleep_until;	/* 0 when sleeping without a timeout */
	bool		has_run;
	pg_uuid_t	current_run;
	pg_uuid_t	current_tenant;
	int64		runs_done;		/* segments executed */
	int64		http_done;		/* HTTP requests completed (any outcome) */
	int			http_inflight;
	int64		wakeups;		/* latch or timer wake-ups */
	int64		rounds;			/* rounds that looked for work */
	int64		errors;
	TimestampTz last_error_at;
	char		last_error[ALGAWF_ERROR_LEN];
} WorkerSlot;

typedef struct AlgawfShared
{
	slock_t		mutex;			/* protects everything below but the atomics */
	TimestampTz boot_time;		/* when shared memory was set up: lease epoch */
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	Oid			database;		/* algawf.database's oid, once the launcher found it */
	int			db_busy;		/* DDL on the database in progress (count) */
	int			ext_busy;		/* DROP/ALTER EXTENSION algawf in progress (count) */
	uint32		wake_rr;		/* round-robin cursor for waking one executor */
	pg_uuid_t	fair_cursor;	/* last tenant served: claims go round the tenants */
	bool		fair_cursor_set;
	TimestampTz last_tick;		/* last completed tick duties (any process) */
	int			nslots;
	pg_atomic_uint64 deadline;	/* earliest timer signalled by a backend (TimestampTz), 0 none */
	WorkerSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} AlgawfShared;

extern AlgawfShared *algawf_shared;

/* called from _PG_init when preloaded */
extern void algawf_shmem_init(void);

/* from the slot's own process */
extern void algawf_slot_set_state(int slot, WorkerState state);
extern void algawf_slot_set_run(int slot, const pg_uuid_t *tenant, const pg_uuid_t *run);
extern void algawf_slot_record_error(int slot, const char *message);

extern const char *algawf_worker_state_name(int state);

/* lower the shared deadline to t (atomic min); returns true if it was lowered */
extern bool algawf_deadline_lower(TimestampTz t);

#endif							/* ALGAWF_SHMEM_H */
