/*
 * dispatch.h — the one door through which every action call passes.
 *
 * The interpreter resolves a step's inputMapping ($expr parts evaluated,
 * literals kept) and leaves {"$secret": "NAME"} markers in place; the
 * dispatcher resolves secrets only for the execution itself, so they never
 * reach a stored row, a log line or an error.
 *
 * Per call: resolve secrets -> validate input against the action's schema ->
 * family enabled / integration available -> actor permission -> idempotency
 * (a SUCCEEDED invocation with the same key returns its stored output) ->
 * execute (SQL actions in a subtransaction) -> validate output -> invocation
 * row (redacted) -> audit row for side-effectful actions.
 */
#ifndef ALGAWF_DISPATCH_H
#define ALGAWF_DISPATCH_H

#include "postgres.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

/* Error categories and codes of DESIGN §7. */
typedef enum ActionErrorCategory
{
	AEC_NONE = 0,
	AEC_VALIDATION,				/* ValidationError */
	AEC_EXPRESSION,				/* ExpressionError */
	AEC_TRANSIENT,				/* TransientError */
	AEC_ACTION,					/* ActionError */
	AEC_TIMEOUT,				/* TimeoutError */
	AEC_CANCELLATION			/* Cancellation */
} ActionErrorCategory;

typedef struct ActionCall
{
	pg_uuid_t	tenant;
	pg_uuid_t	run_id;
	bool		has_actor;
	pg_uuid_t	actor;			/* psa.users.user_id the run acts as */
	const char *workflow_id;	/* uuid text, for logs and audit */
	int			workflow_version;
	const char *step_path;		/* e.g. root.steps[2].then.steps[0] */
	const char *action_id;
	int			action_version;
	Jsonb	   *input;			/* mapped input, $secret markers unresolved */
	const char *idempotency_key;	/* step's own key (evaluated), or NULL: engine key */
	int			attempt;		/* 1-based */
	int			timeout_ms;		/* 0 = the action's default */

	/*
	 * Optional (NULL when not applicable).  transform.compose_text renders
	 * the step's config.outputs against the data roots, and
	 * transform.query_json evaluates over the data roots plus its source,
	 * as Alga's handlers do with ctx.stepConfig / ctx.expressionContext.
	 */
	Jsonb	   *step_config;	/* the step's config object */
	Jsonb	   *expr_context;	/* {payload, vars, meta, error, system, ...} */
} ActionCall;

typedef struct ActionResult
{
	bool		ok;
	bool		replayed;		/* output came from an earlier SUCCEEDED invocation */
	bool		deferred;		/* external call queued (HTTP/SMTP outbox): the run parks */
	Jsonb	   *output;			/* when ok */
	ActionErrorCategory category;	/* when !ok */
	const char *code;			/* VALIDATION_ERROR, PERMISSION_DENIED, NOT_FOUND, ... */
	const char *message;
	const char *detail;			/* redacted */
	const char *hint;			/* remediation */
	bool		retryable;
	int			retry_after_ms; /* from Retry-After, else 0 */
	pg_uuid_t	invocation_id;
} ActionResult;

/*
 * Execute one call.  Never throws for action failures (they come back in the
 * result, their writes rolled back); throws only for internal errors or
 * query cancel.  Runs with the caller's snapshot and transaction.
 */
extern ActionResult algawf_dispatch(const ActionCall *call);

/*
 * Record the outcome of a DEFERRED invocation (an HTTP/SMTP request the
 * worker has sent): status SUCCEEDED with output, or FAILED with error
 * ({category, code, message, detail?, hint?, retryable?}); the output is
 * redacted like any other; side-effectful actions get their audit row.
 * Returns false when the invocation was already finished (nothing changes).
 * Throws if there is no such invocation for the tenant.
 */
extern bool algawf_dispatch_complete(const pg_uuid_t *tenant, const pg_uuid_t *invocation_id,
									 bool ok, Jsonb *output, Jsonb *error);

/* "ValidationError", "ActionError", ... */
extern const char *action_error_category_name(ActionErrorCategory c);

/*
 * Publish-time check of a step's action reference: exists, enabled for the
 * tenant; returns NULL when fine, else a palloc'd message and sets *code to
 * UNKNOWN_ACTION / INVALID_ACTION_CONFIG.  input (the step's inputMapping,
 * may be NULL) is checked where decidable: missing required keys, literals of
 * the wrong type; {"$expr": ...} and {"$secret": ...} values count as present
 * with an unknown value.
 */
extern char *algawf_action_check(const char *action_id, int version, Jsonb *input_literals,
								 const char **code);

#endif							/* ALGAWF_DISPATCH_H */
