/*
 * guc.h — every algawf.* setting, defined in guc.c.
 */
#ifndef ALGAWF_GUC_H
#define ALGAWF_GUC_H

typedef enum AlgawfFunctionSet
{
	FUNCSET_ALGA,
	FUNCSET_EXTENDED
} AlgawfFunctionSet;

extern char *algawf_tenant;

/*
 * While true (the dispatcher runs an action's implementation), algawf.tenant
 * and algawf.user refuse changes: an action cannot switch itself to another
 * tenant's rows or actor.
 */
extern bool algawf_identity_locked;

extern char *algawf_user;
extern char *algawf_database;
extern int	algawf_workers;

extern int	algawf_expr_budget;
extern int	algawf_expr_max_depth;
extern int	algawf_expr_max_result;
extern int	algawf_expr_max_string;
extern int	algawf_expr_max_memory;
extern int	algawf_function_set;

/* background execution, schedules, HTTP outbox (worker.md) */
extern int	algawf_lease_duration;	/* seconds */
extern bool algawf_worker_email;
extern int	algawf_retention;	/* seconds; 0 keeps history forever */
extern int	algawf_http_max_inflight;
extern char *algawf_http_allowed_hosts;
extern int	algawf_http_timeout;	/* ms, total */
extern int	algawf_http_connect_timeout;	/* ms */
extern int	algawf_http_max_response;	/* bytes */
extern int	algawf_run_max_duration;
extern int	algawf_segment_max_steps;
extern int	algawf_max_call_depth;

extern bool algawf_emit_events;

extern void algawf_define_gucs(void);

#endif							/* ALGAWF_GUC_H */
