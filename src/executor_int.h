/*
 * executor_int.h — what the executor's parts share: executor.c (process and
 * loop), runq.c (claiming and executing runs), tick.c (timer duties),
 * outbox.c (HTTP requests).
 */
#ifndef ALGAWF_EXECUTOR_INT_H
#define ALGAWF_EXECUTOR_INT_H

#include "postgres.h"

#include "executor/spi.h"
#include "utils/timestamp.h"

#include "shmem.h"

/* prepared statements kept across transactions (SPI_keepplan) */
typedef enum ExecPlan
{
	PLAN_TENANTS,
	PLAN_SEGMENT,
	PLAN_NEXT_DUE,
	PLAN_DEFER,
	PLAN_OUTBOX_CLAIM,
	PLAN_OUTBOX_RECORD,
	PLAN_OUTBOX_RENEW,
	PLAN_TICK,
	EXEC_NPLANS
} ExecPlan;

typedef struct ExecutorState
{
	int			slot;			/* 0-based */
	char		lease_owner[64];	/* boot:slot:pid */
	Oid			runs_rel;
	bool		has_outbox;		/* algawf.http_requests exists */
	bool		has_email;		/* algawf.email_outbox exists */
	TimestampTz email_due;		/* when to look for queued e-mail next */
	SPIPlanPtr	plans[EXEC_NPLANS];
	TimestampTz tick_due;		/* when tick duties are next due: 0 now, TICK_NONE never */
	TimestampTz last_renewal;
	bool		has_current_run;
	pg_uuid_t	current_run;
	pg_uuid_t	current_tenant;
} ExecutorState;

extern ExecutorState exec;

#define TICK_NONE PG_INT64_MAX

/* executor.c */
extern void executor_set_state(WorkerState st);
extern void executor_count_runs(int n);
extern void executor_count_http(int n);
extern void executor_xact_begin(const char *activity);
extern void executor_xact_commit(void);
extern bool executor_busy_flags(bool *db_busy, bool *ext_busy);
extern bool executor_extension_ready(bool *contended);
extern void executor_forget_plans(void);
extern SPIPlanPtr executor_plan(int which, const char *sql, int nargs, Oid *argtypes);

/* runq.c */
extern bool runq_execute_batch(void);
extern TimestampTz runq_next_due(void);
extern void runq_after_error(void);

/* tick.c */
extern bool tick_duties_in_worker(void);

/* outbox.c */
extern bool outbox_record_finished(void);
extern bool outbox_claim_and_start(void);
extern bool outbox_lease_renew_due(void);
extern void outbox_renew_leases(void);
extern TimestampTz outbox_next_renewal(void);
extern void outbox_forget_all(void);

#endif							/* ALGAWF_EXECUTOR_INT_H */
