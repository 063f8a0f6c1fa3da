/*
 * definition.h — a workflow definition (Alga V2 JSON) parsed into a tree of
 * steps, the checks publishing runs over it, and a backend-local cache of
 * published versions.
 *
 * The JSON is parsed once (into a jval tree) and each step records the
 * pieces the interpreter needs: its kind, its path, its nested blocks, its
 * expressions (compiled on first use), retry and error policy.  Designer-only
 * fields are ignored and kept in the stored JSON.
 */
#ifndef ALGAWF_DEFINITION_H
#define ALGAWF_DEFINITION_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "dispatch.h"
#include "jval.h"

typedef enum WfStepKind
{
	WS_UNKNOWN = 0,
	WS_ACTION_CALL,
	WS_ASSIGN,
	WS_STATE_SET,
	WS_IF,
	WS_FOREACH,
	WS_TRYCATCH,
	WS_CALL_WORKFLOW,
	WS_RETURN,
	WS_TIME_WAIT,
	WS_EVENT_WAIT,
	WS_HUMAN_TASK
} WfStepKind;

typedef enum WfBranch
{
	WB_ROOT = 0,
	WB_THEN,
	WB_ELSE,
	WB_TRY,
	WB_CATCH,
	WB_BODY
} WfBranch;

/*
 * A value position of the definition: an expression ({"$expr": "..."},
 * compiled on first evaluation) or, where Alga's designer writes plain
 * values, a literal.
 */
typedef struct WfExpr
{
	const char *src;			/* NULL for a literal */
	Jv		   *literal;
	void	   *compiled;		/* AlgawfExpr *, in the definition's context */
} WfExpr;

typedef struct WfBlock
{
	int			n;
	struct WfStep **steps;
} WfBlock;

/* path -> expression pairs (assign, outputMapping, contextData, inputMapping of callWorkflow) */
typedef struct WfAssignList
{
	int			n;
	const char **keys;
	WfExpr	  **exprs;
} WfAssignList;

/* category bits for retryOn */
#define WF_CAT_BIT(c)	(1u << (c))

typedef struct WfRetry
{
	bool		present;
	int			max_attempts;
	int			backoff_ms;
	double		multiplier;
	bool		jitter;
	int			max_delay_ms;	/* 0 = none */
	uint32		retry_on;		/* 0 = any retryable error */
} WfRetry;

typedef struct WfStep
{
	const char *id;
	const char *type;
	const char *name;
	const char *path;			/* root.steps[2].then.steps[0] */
	WfStepKind	kind;
	struct WfStep *parent;		/* enclosing control step, or NULL */
	WfBranch	branch;
	int			position;
	int			depth;
	Jv		   *json;			/* the step's JSON */
	Jv		   *config;			/* its "config" (node steps), or NULL */
	Jsonb	   *config_jb;		/* the same as Jsonb, made on first use */

	WfRetry		retry;
	bool		on_error_continue;
	int			timeout_ms;		/* 0 = default */

	/* control.if */
	WfExpr	   *condition;
	WfBlock		then_block;
	WfBlock		else_block;

	/* control.forEach */
	WfExpr	   *items;
	const char *item_var;
	WfBlock		body;
	bool		item_error_continue;

	/* control.tryCatch */
	WfBlock		try_block;
	WfBlock		catch_block;
	const char *capture_as;

	/* control.callWorkflow */
	const char *workflow_ref;
	int			workflow_version;	/* 0 = published */
	WfAssignList input_map;
	WfAssignList output_map;

	/* action.call */
	const char *action_id;
	int			action_version;
	Jv		   *input_mapping;	/* object, or NULL */
	const char *save_as;		/* normalized (vars.x) */
	WfExpr	   *idempotency_key;

	/* transform.assign, event.wait, human.task */
	WfAssignList assign;

	/* state.set */
	const char *state;

	/* time.wait */
	bool		until_mode;
	int64		duration_ms;
	WfExpr	   *duration_expr;
	WfExpr	   *until_expr;
	const char *until_literal;

	/* event.wait */
	const char *event_name;
	WfExpr	   *correlation_key;
	Jv		   *filters;		/* array, or NULL */
	int64		wait_timeout_ms;

	/* human.task */
	const char *task_type;
	WfExpr	   *title;
	const char *title_literal;
	WfExpr	   *description;
	const char *description_literal;
	WfAssignList context_data;
	const char *assignee_type;	/* "user" | "role" | NULL */
	const char *assignee_id;
	WfExpr	   *assignee_expr;
	int64		expires_in_ms;
} WfStep;

typedef struct WfDef
{
	MemoryContext cxt;
	JvArena		arena;
	Jv		   *json;
	const char *name;
	const char *id;
	const char *key;
	const char *payload_schema_ref;
	int			funcset;
	WfBlock		root;
	int			nsteps;
	WfStep	  **all;			/* every step, in document order */
	List	   *exprs;			/* expressions to check at publish (ExprRef *) */
} WfDef;

typedef struct WfProblem
{
	const char *severity;		/* "error" | "warning" */
	const char *path;
	const char *code;
	const char *message;
} WfProblem;

/*
 * Parse a definition.  With problems != NULL, structural problems are
 * appended there (as WfProblem *) and parsing goes on; with problems == NULL
 * (a published version) the first problem is an internal error.  The result
 * lives in a new context under parent.
 */
extern WfDef *wf_parse(Jsonb *definition, int funcset, List **problems, MemoryContext parent);

/*
 * The checks of publishing that need the database or other modules:
 * expressions, actions, secrets, callWorkflow targets and recursion, payload
 * schema ref.  self_id may be NULL (standalone validation).
 */
extern void wf_check(WfDef *def, const pg_uuid_t *tenant, const pg_uuid_t *self_id, List **problems);

extern WfStep *wf_find_step(WfDef *def, const char *path);
extern const char *wf_branch_name(WfBranch b);
extern const char *wf_step_kind_name(WfStepKind k);

/* the published version, parsed once per backend (keyed by tenant, workflow, version, hash) */
extern WfDef *wf_cache_get(const pg_uuid_t *tenant, const pg_uuid_t *workflow_id, int version,
						   const char *hash);
extern void wf_cache_trim(void);
extern void wf_cache_pin(void);
extern void wf_cache_unpin(void);

/* "vars.x" for "x"; NULL for a path that is not assignable (with *why set) */
extern bool wf_assign_path_valid(const char *path, const char **why);
extern char *wf_normalize_save_as(const char *path);

/* error categories by name (ValidationError, ...) */
extern ActionErrorCategory wf_category_from_name(const char *name);

/* a jval string as a palloc'd C string */
extern char *jv_cstring(const Jv *v);
extern Jv  *jv_get(const Jv *obj, const char *key);

#endif							/* ALGAWF_DEFINITION_H */
