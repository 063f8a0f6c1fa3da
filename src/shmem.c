/*
 * shmem.c — algawf's shared memory: executor slots, latches, the shared
 * timer, DDL flags.  Set up only when algawf is preloaded.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#include "guc.h"
#include "shmem.h"

AlgawfShared *algawf_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static int
slot_count(void)
{
	return Max(algawf_workers, 1);
}

static Size
shared_size(void)
{
	return add_size(offsetof(AlgawfShared, slots),
					mul_size(sizeof(WorkerSlot), slot_count()));
}

static void
algawf_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(shared_size());
}

static void
algawf_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	algawf_shared = ShmemInitStruct("algawf", shared_size(), &found);
	if (!found)
	{
		memset(algawf_shared, 0, shared_size());
		SpinLockInit(&algawf_shared->mutex);
		algawf_shared->boot_time = GetCurrentTimestamp();
		algawf_shared->database = InvalidOid;
		algawf_shared->nslots = slot_count();
		pg_atomic_init_u64(&algawf_shared->deadline, 0);
	}
	LWLockRelease(AddinShmemInitLock);
}

void
algawf_shmem_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = algawf_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = algawf_shmem_startup;
}

void
algawf_slot_set_state(int slot, WorkerState state)
{
	WorkerSlot *s;

	if (algawf_shared == NULL || slot < 0 || slot >= algawf_shared->nslots)
		return;
	s = &algawf_shared->slots[slot];
	SpinLockAcquire(&algawf_shared->mutex);
	if (s->state != (int) state)
	{
		s->state = state;
		s->state_since = GetCurrentTimestamp();
	}
	if (state != WS_RUNNING)
		s->has_run = false;
	SpinLockRelease(&algawf_shared->mutex);
}

void
algawf_slot_set_run(int slot, const pg_uuid_t *tenant, const pg_uuid_t *run)
{
	WorkerSlot *s;

	if (algawf_shared == NULL || slot < 0 || slot >= algawf_shared->nslots)
		return;
	s = &algawf_shared->slots[slot];
	SpinLockAcquire(&algawf_shared->mutex);
	if (run)
	{
		s->has_run = true;
		s->current_run = *run;
		s->current_tenant = *tenant;
	}
	else
		s->has_run = false;
	SpinLockRelease(&algawf_shared->mutex);
}

void
algawf_slot_record_error(int slot, const char *message)
{
	WorkerSlot *s;

	if (algawf_shared == NULL || slot < 0 || slot >= algawf_shared->nslots)
		return;
	s = &algawf_shared->slots[slot];
	SpinLockAcquire(&algawf_shared->mutex);
	s->errors++;
	s->last_error_at = GetCurrentTimestamp();
	strlcpy(s->last_error, message ? message : "", ALGAWF_ERROR_LEN);
	SpinLockRelease(&algawf_shared->mutex);
}

const char *
algawf_worker_state_name(int state)
{
	switch ((WorkerState) state)
	{
		case WS_STOPPED:
			return "stopped";
		case WS_STARTING:
			return "starting";
		case WS_IDLE:
			return "idle";
		case WS_CLAIMING:
			return "claiming";
		case WS_RUNNING:
			return "running";
		case WS_SENDING:
			return "sending";
		case WS_TICK:
			return "tick";
		case WS_NO_EXTENSION:
			return "no extension";
		case WS_PAUSED:
			return "paused";
	}
	return "unknown";
}

bool
algawf_deadline_lower(TimestampTz t)
{
	uint64		cur;

	if (algawf_shared == NULL)
		return false;
	cur = pg_atomic_read_u64(&algawf_shared->deadline);
	for (;;)
	{
		if (cur != 0 && (TimestampTz) cur <= t)
			return false;
		if (pg_atomic_compare_exchange_u64(&algawf_shared->deadline, &cur, (uint64) t))
			return true;
	}
}
