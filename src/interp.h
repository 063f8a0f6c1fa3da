/*
 * interp.h — the step interpreter: creates runs and executes a claimed run
 * segment by segment (see interp.c for the resume state).
 *
 * All functions expect to be called with SPI connected, inside the caller's
 * transaction; the caller holds (or the function takes) the run's row lock.
 */
#ifndef ALGAWF_INTERP_H
#define ALGAWF_INTERP_H

#include "postgres.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "jval.h"

typedef struct WfRunRequest
{
	pg_uuid_t	tenant;
	pg_uuid_t	workflow_id;
	int			version;		/* 0 = the published version */
	Jsonb	   *payload;
	const char *trigger_type;	/* manual, event, schedule, recurring, child, retry, webhook */
	bool		has_actor;		/* explicit actor (manual runs: the caller's algawf.user) */
	pg_uuid_t	actor;
	bool		has_parent;
	pg_uuid_t	parent_run_id;
	pg_uuid_t	root_run_id;
	const char *parent_step_path;
	int			call_depth;
	const char *fire_key;		/* trigger_fire_key, or NULL */
	bool		has_event_id;
	pg_uuid_t	event_id;
	Jsonb	   *trigger_metadata;
	bool		allow_paused;	/* child runs of a paused workflow still run */
} WfRunRequest;

/*
 * Queue a run: checks the workflow exists, is published and not paused,
 * validates the payload against the version's payload schema, inserts the
 * run (status RUNNING, runnable now).  ereports on any problem.
 */
extern pg_uuid_t wf_create_run(const WfRunRequest *req);

/*
 * Execute the run until it ends, parks or (outside inline mode) uses up its
 * step budget.  Returns "succeeded", "failed", "canceled", "waiting",
 * "queued" (held back by the workflow's concurrency limit) or "yielded".
 * depth counts nested inline child runs.
 */
extern const char *wf_run_segment(const pg_uuid_t *tenant, const pg_uuid_t *run_id,
								  bool inline_mode, int depth);

/* Alga's event.wait filters over an event payload */
extern bool wf_event_filters_match(const Jv *filters, const Jv *payload);

/* 2024-01-02T03:04:05.678Z */
extern char *wf_iso_time(TimestampTz t);

extern pg_uuid_t wf_new_uuid(void);

#endif							/* ALGAWF_INTERP_H */
