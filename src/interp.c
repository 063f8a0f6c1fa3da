/*
 * interp.c — the step interpreter.
 *
 * A run executes segment by segment.  wf_run_segment() locks the run row,
 * loads its data and resume state, executes steps until the run ends, parks
 * (a wait, a retry back-off, a child run, a deferred external call) or uses up
 * its step budget, and writes everything back -- step rows, waits, approvals,
 * the actions' own writes and the run row -- in the caller's transaction.  A
 * crash before commit loses the whole segment, so it re-executes from the last
 * committed state and database effects happen exactly once.
 *
 * Each step runs in a subtransaction: a step that throws (an expression error,
 * a failed engine statement) leaves no writes behind and its failure is
 * handled like an action's (retry, onError, tryCatch, onItemError, run
 * failure).  Data is updated persistently (an assignment copies only the
 * objects along its path), so a failing step leaves payload/vars/meta/error
 * as they were.
 *
 * Resume state (workflow_runs.state, jsonb), designed so that a segment can
 * stop before any step and continue later:
 *
 *   {
 *     "v": 1,
 *     "frames": [            -- the stack of blocks being executed, bottom first
 *       {"owner": null, "branch": "root", "pc": 2},
 *       {"owner": "root.steps[2]", "branch": "body", "pc": 0, "started": <us>,
 *        "items": [...], "index": 3, "prev": <saved vars[itemVar]>, "hasPrev": true,
 *        "itemErrors": 0},
 *       {"owner": "root.steps[2].body.steps[0]", "branch": "try", "pc": 1, "started": <us>}
 *     ],
 *     "attempt": 2,          -- attempt number of the step at the top frame's pc
 *     "wait": {"id": <uuid>, "kind": "event", "seq": 12, "started": <us>},
 *                            -- when parked: the wait row and the WAITING step row
 *     "failed": {...}        -- frames/attempt at the moment of failure, for
 *                               algawf.retry(run, from_failed_step => true)
 *   }
 *
 * A frame is a block (root steps, then/else of control.if, body of
 * control.forEach, try/catch of control.tryCatch) with the index (pc) of the
 * next step to execute in it.  The step at the top frame's pc is the current
 * step; when it completes, pc advances; when a block is exhausted, its frame
 * is popped and the owning control step completes (forEach first moves to its
 * next item).  A failure unwinds frames down to the nearest try frame (which
 * becomes a catch frame) or forEach body with onItemError "continue"; past
 * the bottom, the run fails.  "started" times are microseconds since the
 * PostgreSQL epoch; the owning control step's row is written when its frame
 * is popped.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "definition.h"
#include "dispatch.h"
#include "expr_pg.h"
#include "guc.h"
#include "interp.h"
#include "jsonschema_pg.h"
#include "jval_pg.h"
#include "jvjsonb_pg.h"
#include "jvutil.h"
#include "stmt.h"

#define R_PAYLOAD	0
#define R_VARS		1
#define R_META		2
#define R_ERROR		3
#define R_COUNT		4

typedef struct Frame
{
	WfStep	   *owner;			/* NULL for the root frame */
	WfBranch	branch;
	WfBlock    *block;
	int			pc;
	TimestampTz started;
	Jv		   *items;			/* forEach */
	int			index;
	Jv		   *prev;
	bool		has_prev;
	int			item_errors;
} Frame;

typedef enum Phase
{
	PH_ENGINE,
	PH_EXPR,
	PH_VALIDATE
} Phase;

typedef struct StepErr
{
	ActionErrorCategory cat;
	const char *code;
	const char *message;
	const char *hint;
	const char *detail;
	bool		retryable;
	int			retry_after_ms;
} StepErr;

typedef enum Outcome
{
	OC_NEXT,
	OC_PUSHED,
	OC_PARK,
	OC_FAIL,
	OC_RETURN
} Outcome;

typedef struct StepResult
{
	Outcome		oc;
	StepErr		err;
	const char *wait_kind;
	pg_uuid_t	wait_id;
	TimestampTz wait_due;		/* 0 = no timer */
	bool		has_invocation;
	pg_uuid_t	invocation_id;
} StepResult;

typedef struct Resume
{
	bool		active;
	const char *kind;
	bool		timed_out;
	Jv		   *resolution;
	int			seq;			/* the WAITING step row, or -1 */
	TimestampTz started;
} Resume;

typedef struct WaitState
{
	bool		active;
	pg_uuid_t	id;
	char		kind[16];
	int			seq;
	TimestampTz started;
} WaitState;

typedef struct RunCtx
{
	pg_uuid_t	tenant;
	pg_uuid_t	run_id;
	pg_uuid_t	workflow_id;
	int			version;
	WfDef	   *def;
	MemoryContext cxt;
	MemoryContext step_cxt;
	JvArena		arena;			/* run data, lives for the segment */
	JvArena		sarena;			/* per step */
	Jv		   *roots[R_COUNT];	/* payload, vars, meta, error (NULL when none) */
	Jv		   *env;
	Jv		   *system;
	Frame	   *frames;
	int			nframes;
	int			maxframes;
	int			attempt;
	int			next_seq;
	bool		has_actor;
	pg_uuid_t	actor;
	bool		has_parent;
	pg_uuid_t	parent_run_id;
	pg_uuid_t	root_run_id;
	int			call_depth;
	int			depth;			/* inline nesting */
	TimestampTz started_at;
	TimestampTz deadline;		/* 0 = none */
	bool		has_concurrency_limit;
	bool		inline_mode;
	int			steps;
	Jsonb	   *ctx_jb;
	bool		ctx_dirty;
	JvJsonbCache *jcache;		/* serialized subtrees of the run's data */
	Phase		phase;
	Resume		resume;
	WaitState	wait;
	Jv		   *failed_snapshot;
	const char *current_path;
} RunCtx;

/* ---- statements ---------------------------------------------------------- */

static WfStmt st_load = {
	"SELECT r.status, r.workflow_id, r.workflow_version, r.payload, r.vars, r.meta, r.error, r.state, "
	"r.actor, r.parent_run_id, r.root_run_id, r.call_depth, r.next_seq, r.started_at, r.deadline_at, "
	"v.definition_hash, d.concurrency_limit IS NOT NULL, "
	"coalesce(extract(epoch FROM d.run_max_duration) * 1000, -1)::float8 "
	"FROM algawf.workflow_runs r "
	"JOIN algawf.workflow_definition_versions v "
	"  ON v.tenant = r.tenant AND v.workflow_id = r.workflow_id AND v.version = r.workflow_version "
	"JOIN algawf.workflow_definitions d ON d.tenant = r.tenant AND d.workflow_id = r.workflow_id "
	"WHERE r.tenant = $1 AND r.run_id = $2 FOR UPDATE OF r",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_save = {
	"UPDATE algawf.workflow_runs SET status = $3, payload = $4, vars = $5, meta = $6, error = $7, "
	"state = $8, runnable_at = $9, current_path = $10, next_seq = $11, started_at = $12, "
	"deadline_at = $13, completed_at = $14, steps_executed = steps_executed + $15, "
	"segments = segments + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = clock_timestamp() "
	"WHERE tenant = $1 AND run_id = $2",
	15, {UUIDOID, UUIDOID, TEXTOID, JSONBOID, JSONBOID, JSONBOID, JSONBOID, JSONBOID,
	TIMESTAMPTZOID, TEXTOID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID}
};

static WfStmt st_step_insert = {
	"INSERT INTO algawf.workflow_run_steps (tenant, run_id, seq, step_path, step_id, step_type, "
	"action_id, action_version, attempt, iteration, status, started_at, completed_at, duration_ms, "
	"error, wait_id, invocation_id) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
	17, {UUIDOID, UUIDOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, INT4OID, INT4OID,
	TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, FLOAT8OID, JSONBOID, UUIDOID, UUIDOID}
};

static WfStmt st_step_update = {
	"UPDATE algawf.workflow_run_steps SET status = $4, completed_at = $5, duration_ms = $6, "
	"error = $7, invocation_id = coalesce($8, invocation_id) "
	"WHERE tenant = $1 AND run_id = $2 AND seq = $3",
	8, {UUIDOID, UUIDOID, INT4OID, TEXTOID, TIMESTAMPTZOID, FLOAT8OID, JSONBOID, UUIDOID}
};

static WfStmt st_wait_insert = {
	"INSERT INTO algawf.workflow_run_waits (tenant, wait_id, run_id, step_path, kind, event_name, "
	"correlation_key, filters, timeout_at, task_id, child_run_id, invocation_id) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
	12, {UUIDOID, UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TIMESTAMPTZOID,
	UUIDOID, UUIDOID, UUIDOID}
};

static WfStmt st_wait_load = {
	"SELECT status, kind, resolution, timeout_at, task_id FROM algawf.workflow_run_waits "
	"WHERE tenant = $1 AND wait_id = $2 FOR UPDATE",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_wait_update = {
	"UPDATE algawf.workflow_run_waits SET status = $3, resolution = coalesce($4, resolution), "
	"resolved_at = clock_timestamp() WHERE tenant = $1 AND wait_id = $2",
	4, {UUIDOID, UUIDOID, TEXTOID, JSONBOID}
};

static WfStmt st_wait_close_all = {
	"UPDATE algawf.workflow_run_waits SET status = 'CANCELED', resolved_at = clock_timestamp() "
	"WHERE tenant = $1 AND run_id = $2 AND status = 'WAITING'",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_approval_expire = {
	"UPDATE algawf.approvals SET status = 'expired' "
	"WHERE tenant = $1 AND task_id = $2 AND status = 'pending'",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_approval_cancel_all = {
	"UPDATE algawf.approvals SET status = 'canceled' "
	"WHERE tenant = $1 AND run_id = $2 AND status = 'pending'",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_log = {
	"INSERT INTO algawf.workflow_run_logs (tenant, run_id, seq, level, step_path, message, context) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7)",
	7, {UUIDOID, UUIDOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID}
};

static WfStmt st_env = {
	"SELECT coalesce(jsonb_object_agg(name, value ORDER BY workflow_id NULLS FIRST), '{}') "
	"FROM algawf.workflow_variables WHERE tenant = $1 AND (workflow_id IS NULL OR workflow_id = $2)",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_def_lock = {
	"SELECT concurrency_limit FROM algawf.workflow_definitions "
	"WHERE tenant = $1 AND workflow_id = $2 FOR NO KEY UPDATE",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_active_count = {
	"SELECT count(*) FROM algawf.workflow_runs WHERE tenant = $1 AND workflow_id = $2 "
	"AND status IN ('RUNNING', 'WAITING') AND started_at IS NOT NULL AND run_id <> $3",
	3, {UUIDOID, UUIDOID, UUIDOID}
};

static WfStmt st_hold = {
	"UPDATE algawf.workflow_runs SET runnable_at = NULL, lease_owner = NULL, lease_expires_at = NULL, "
	"updated_at = clock_timestamp() WHERE tenant = $1 AND run_id = $2",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_wake_queued = {
	"UPDATE algawf.workflow_runs SET runnable_at = clock_timestamp() WHERE tenant = $1 AND run_id = "
	"(SELECT run_id FROM algawf.workflow_runs WHERE tenant = $1 AND workflow_id = $2 "
	" AND status = 'RUNNING' AND started_at IS NULL AND runnable_at IS NULL "
	" ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_parent_lock = {
	"SELECT 1 FROM algawf.workflow_runs WHERE tenant = $1 AND run_id = $2 FOR UPDATE",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_parent_wake = {
	"WITH w AS (UPDATE algawf.workflow_run_waits SET status = 'RESOLVED', resolution = $3, "
	"  resolved_at = clock_timestamp() WHERE tenant = $1 AND child_run_id = $2 AND kind = 'child' "
	"  AND status = 'WAITING' RETURNING run_id) "
	"UPDATE algawf.workflow_runs r SET status = 'RUNNING', runnable_at = clock_timestamp(), "
	"updated_at = clock_timestamp() FROM w WHERE r.tenant = $1 AND r.run_id = w.run_id "
	"AND r.status = 'WAITING'",
	3, {UUIDOID, UUIDOID, JSONBOID}
};

static WfStmt st_auto_pause = {
	"UPDATE algawf.workflow_definitions d SET is_paused = true, updated_at = now(), "
	"paused_reason = format('auto-paused: failure rate reached %s over the last %s finished runs', "
	"  d.failure_rate_threshold, d.failure_rate_min_runs) "
	"WHERE d.tenant = $1 AND d.workflow_id = $2 AND d.auto_pause_on_failure AND NOT d.is_paused "
	"AND (SELECT count(*) >= d.failure_rate_min_runs AND "
	"     count(*) FILTER (WHERE x.status = 'FAILED')::numeric / count(*) >= d.failure_rate_threshold "
	"     FROM (SELECT r.status FROM algawf.workflow_runs r WHERE r.tenant = $1 AND r.workflow_id = $2 "
	"           AND r.completed_at IS NOT NULL ORDER BY r.completed_at DESC "
	"           LIMIT d.failure_rate_min_runs) x) "
	"RETURNING d.paused_reason",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_cancel_children = {
	"SELECT algawf.cancel(run_id, 'parent run ' || lower($3)) FROM algawf.workflow_runs "
	"WHERE tenant = $1 AND parent_run_id = $2 AND status IN ('RUNNING', 'WAITING')",
	3, {UUIDOID, UUIDOID, TEXTOID}
};

static WfStmt st_seq = {
	"UPDATE algawf.workflow_runs SET next_seq = $3 WHERE tenant = $1 AND run_id = $2",
	3, {UUIDOID, UUIDOID, INT4OID}
};

static WfStmt st_child_row = {
	"SELECT status, vars, payload, meta, error FROM algawf.workflow_runs WHERE tenant = $1 AND run_id = $2",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_resolve_wf = {
	"SELECT d.workflow_id FROM algawf.workflow_definitions d "
	"WHERE d.tenant = $1 AND (d.workflow_id::text = lower($2) OR d.key = $2) "
	"ORDER BY d.workflow_id::text = lower($2) DESC LIMIT 1",
	2, {UUIDOID, TEXTOID}
};

static WfStmt st_role = {
	"SELECT role_id FROM psa.roles WHERE tenant = $1 "
	"AND (role_id::text = lower($2) OR lower(role_name) = lower($2)) LIMIT 1",
	2, {UUIDOID, TEXTOID}
};

static WfStmt st_approval_insert = {
	"INSERT INTO algawf.approvals (tenant, task_id, run_id, wait_id, step_path, task_type, title, "
	"description, context_data, assignee_type, assignee_id, expires_at) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
	12, {UUIDOID, UUIDOID, UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID,
	UUIDOID, TIMESTAMPTZOID}
};

static WfStmt st_run_info = {
	"SELECT d.is_paused, v.version, v.payload_schema, v.published_by, d.name, d.published_version "
	"FROM algawf.workflow_definitions d "
	"LEFT JOIN algawf.workflow_definition_versions v ON v.tenant = d.tenant "
	"  AND v.workflow_id = d.workflow_id AND v.version = coalesce($3, d.published_version) "
	"WHERE d.tenant = $1 AND d.workflow_id = $2",
	3, {UUIDOID, UUIDOID, INT4OID}
};

static WfStmt st_run_insert = {
	"INSERT INTO algawf.workflow_runs (tenant, run_id, workflow_id, workflow_version, status, "
	"runnable_at, input, payload, trigger_type, trigger_event_id, trigger_fire_key, trigger_metadata, "
	"parent_run_id, parent_step_path, root_run_id, call_depth, actor) "
	"VALUES ($1, $2, $3, $4, 'RUNNING', clock_timestamp(), $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
	14, {UUIDOID, UUIDOID, UUIDOID, INT4OID, JSONBOID, TEXTOID, UUIDOID, TEXTOID, JSONBOID,
	UUIDOID, TEXTOID, UUIDOID, INT4OID, UUIDOID}
};

/* ---- small helpers ------------------------------------------------------- */

static Jv *
chk(Jv *v)
{
	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("workflow run data too large")));
	return v;
}

static Jv *
jstr(JvArena *a, const char *s)
{
	return chk(jv_string(a, s, strlen(s)));
}

static void
oset(JvArena *a, Jv *obj, const char *key, Jv *v)
{
	if (!jv_object_set(a, obj, key, strlen(key), chk(v)))
		chk(NULL);
}

pg_uuid_t
wf_new_uuid(void)
{
	pg_uuid_t	u;

	if (!pg_strong_random(u.data, UUID_LEN))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	u.data[6] = (u.data[6] & 0x0f) | 0x40;
	u.data[8] = (u.data[8] & 0x3f) | 0x80;
	return u;
}

static char *
uuid_text(const pg_uuid_t *u)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(u)));
}

static bool
uuid_parse(const char *s, pg_uuid_t *out)
{
	int			i,
				j = 0;
	int			hi = -1;

	for (i = 0; s[i]; i++)
	{
		char		c = s[i];
		int			v;

		if (c == '-' && (i == 8 || i == 13 || i == 18 || i == 23))
			continue;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return false;
		if (j >= UUID_LEN)
			return false;
		if (hi < 0)
			hi = v;
		else
		{
			out->data[j++] = (unsigned char) ((hi << 4) | v);
			hi = -1;
		}
	}
	return i == 36 && j == UUID_LEN;
}

char *
wf_iso_time(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(t) || timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		return pstrdup("");
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
					tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
					(int) (fsec / 1000));
}

static const char *
cat_name(ActionErrorCategory c)
{
	switch (c)
	{
		case AEC_VALIDATION:
			return "ValidationError";
		case AEC_EXPRESSION:
			return "ExpressionError";
		case AEC_TRANSIENT:
			return "TransientError";
		case AEC_ACTION:
			return "ActionError";
		case AEC_TIMEOUT:
			return "TimeoutError";
		case AEC_CANCELLATION:
			return "Cancellation";
		default:
			return "ActionError";
	}
}

/* JavaScript String(v) for scalars; JSON for structures; "" for undefined/null */
static char *
jv_to_text(const Jv *v)
{
	char		buf[32];

	if (v == NULL || v->type == JV_NULL)
		return pstrdup("");
	switch (v->type)
	{
		case JV_STRING:
			return pnstrdup(v->u.str.s, v->u.str.len);
		case JV_BOOL:
			return pstrdup(v->u.b ? "true" : "false");
		case JV_NUMBER:
			jv_format_number(v->u.num, buf);
			return pstrdup(buf);
		default:
			{
				JvArena		a;
				JvBuf		b;
				char	   *r;

				jv_arena_init_pg(&a, CurrentMemoryContext);
				jv_buf_init(&b, &a);
				jv_serialize(&b, v, 0);
				r = pstrdup(jv_buf_cstring(&b));
				jv_arena_reset(&a);
				return r;
			}
	}
}

static Datum
jv_datum(const Jv *v)
{
	return JsonbPGetDatum(jv_to_jsonb(v));
}

/* for the run's own data (payload, vars, meta, state): unchanged parts are copied */
static Datum
run_datum(RunCtx *rc, const Jv *v)
{
	return JsonbPGetDatum(jv_to_jsonb_cached(v, rc->jcache));
}

static Jv *
jsonb_to_jv(JvArena *a, Datum d)
{
	Jsonb	   *jb = DatumGetJsonbPCopy(d);

	return chk(jv_from_jsonb(a, jb));
}

/* ---- expression context and evaluation ---------------------------------- */

static Frame *
innermost_loop(RunCtx *rc, int below)
{
	int			i;

	for (i = below - 1; i >= 0; i--)
		if (rc->frames[i].branch == WB_BODY)
			return &rc->frames[i];
	return NULL;
}

static Jsonb *
expr_input(RunCtx *rc)
{
	MemoryContext old;
	Jv		   *ctx;
	Jv		   *vars = rc->roots[R_VARS];
	Frame	   *loop = innermost_loop(rc, rc->nframes);
	size_t		i;

	if (rc->ctx_jb && !rc->ctx_dirty)
		return rc->ctx_jb;
	old = MemoryContextSwitchTo(rc->cxt);
	ctx = chk(jv_object(&rc->arena, (vars ? vars->u.obj.n : 0) + 8));
	/* every vars key as a bare name; the roots below win over them */
	if (vars && vars->type == JV_OBJECT)
		for (i = 0; i < vars->u.obj.n; i++)
			if (!jv_object_set(&rc->arena, ctx, vars->u.obj.pairs[i].key, vars->u.obj.pairs[i].klen,
							   vars->u.obj.pairs[i].val))
				chk(NULL);
	oset(&rc->arena, ctx, "payload", rc->roots[R_PAYLOAD]);
	oset(&rc->arena, ctx, "vars", rc->roots[R_VARS]);
	oset(&rc->arena, ctx, "meta", rc->roots[R_META]);
	if (rc->roots[R_ERROR])
		oset(&rc->arena, ctx, "error", rc->roots[R_ERROR]);
	if (loop)
	{
		Jv		   *local = chk(jv_object(&rc->arena, 5));
		int			n = (int) loop->items->u.arr.n;

		oset(&rc->arena, local, "item", loop->items->u.arr.items[loop->index]);
		oset(&rc->arena, local, "index", jv_number(&rc->arena, loop->index));
		oset(&rc->arena, local, "length", jv_number(&rc->arena, n));
		oset(&rc->arena, local, "isFirst", jv_bool(&rc->arena, loop->index == 0));
		oset(&rc->arena, local, "isLast", jv_bool(&rc->arena, loop->index == n - 1));
		oset(&rc->arena, ctx, "local", local);
	}
	oset(&rc->arena, ctx, "system", rc->system);
	oset(&rc->arena, ctx, "env", rc->env);
	if (rc->ctx_jb)
		pfree(rc->ctx_jb);
	rc->ctx_jb = jv_to_jsonb_cached(ctx, rc->jcache);
	MemoryContextSwitchTo(old);
	rc->ctx_dirty = false;
	return rc->ctx_jb;
}

/* evaluate; NULL = undefined.  The result lives in the step arena. */
static Jv *
ev(RunCtx *rc, WfExpr *e)
{
	Phase		saved = rc->phase;
	Jsonb	   *out;

	if (e == NULL)
		return NULL;
	if (e->src == NULL)
		return e->literal;
	rc->phase = PH_EXPR;
	if (e->compiled == NULL)
		e->compiled = algawf_expr_compile(e->src, rc->def->funcset, rc->def->cxt);
	out = algawf_expr_eval((AlgawfExpr *) e->compiled, expr_input(rc), NULL);
	rc->phase = saved;
	if (out == NULL)
		return NULL;
	return chk(jv_from_jsonb(&rc->sarena, out));
}

static bool
has_template(const Jv *v)
{
	return v->type == JV_STRING && v->u.str.len >= 4 &&
		memmem(v->u.str.s, v->u.str.len, "{{", 2) != NULL;
}

static Jv *
render_template(RunCtx *rc, const Jv *v)
{
	Phase		saved = rc->phase;
	char	   *tmpl = pnstrdup(v->u.str.s, v->u.str.len);
	text	   *t;

	rc->phase = PH_EXPR;
	t = algawf_template_render(tmpl, rc->def->funcset, expr_input(rc), NULL);
	rc->phase = saved;
	return chk(jv_string(&rc->sarena, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
}

/*
 * Resolve a mapping value: {"$expr"} evaluated, {"$secret"} kept for the
 * dispatcher, template strings rendered, structures resolved recursively.
 * Undefined object members are left out; undefined array items become null.
 */
static Jv *
resolve_mapping(RunCtx *rc, Jv *v, bool templates)
{
	size_t		i;
	Jv		   *r;

	if (v == NULL)
		return NULL;
	if (v->type == JV_OBJECT && jv_get(v, "$expr"))
	{
		WfExpr		e;

		memset(&e, 0, sizeof(e));
		e.src = jv_cstring(jv_get(v, "$expr"));
		/* compiled through the expression module's backend cache */
			rc->phase = PH_EXPR;
		e.compiled = algawf_expr_cached(e.src, rc->def->funcset);
		r = ev(rc, &e);
		rc->phase = PH_ENGINE;
		return r;
	}
	if (v->type == JV_OBJECT && jv_get(v, "$secret"))
		return v;
	if (templates && has_template(v))
		return render_template(rc, v);
	if (v->type == JV_ARRAY)
	{
		r = chk(jv_array(&rc->sarena, v->u.arr.n));
		for (i = 0; i < v->u.arr.n; i++)
		{
			Jv		   *item = resolve_mapping(rc, v->u.arr.items[i], templates);

			if (!jv_array_push(&rc->sarena, r, item ? item : chk(jv_null(&rc->sarena))))
				chk(NULL);
		}
		return r;
	}
	if (v->type == JV_OBJECT)
	{
		r = chk(jv_object(&rc->sarena, v->u.obj.n));
		for (i = 0; i < v->u.obj.n; i++)
		{
			Jv		   *item = resolve_mapping(rc, v->u.obj.pairs[i].val, templates);

			if (item && !jv_object_set(&rc->sarena, r, v->u.obj.pairs[i].key, v->u.obj.pairs[i].klen, item))
				chk(NULL);
		}
		return r;
	}
	return v;
}

/* ---- data mutation ------------------------------------------------------- */

/*
 * Data is never changed in place: an assignment builds a new root that shares
 * everything but the objects along the assigned path (jv_with_path).  A step
 * that fails is undone by putting the old root pointers back.
 */
static void
set_root_path(RunCtx *rc, int which, const char *rest, Jv *val)
{
	Jv		   *root = rc->roots[which];
	Jv		   *owned = val ? chk(jv_copy(&rc->arena, val)) : NULL;

	if (which == R_ERROR && root == NULL)
	{
		root = chk(jv_object(&rc->arena, 4));
		oset(&rc->arena, root, "message", jstr(&rc->arena, ""));
		oset(&rc->arena, root, "at", jstr(&rc->arena, wf_iso_time(GetCurrentTimestamp())));
	}
	rc->roots[which] = chk(jv_with_path(&rc->arena, root, rest, strlen(rest), owned));
	rc->ctx_dirty = true;
}

/* path is a validated assignment path; val NULL (undefined) removes the key */
static void
assign_path(RunCtx *rc, const char *path, Jv *val)
{
	int			which;
	const char *rest;

	if (path[0] == '/')
	{
		/* JSON pointer into payload: /a/b~1c -> a.b/c, as Alga does */
		StringInfoData b;
		const char *p;

		initStringInfo(&b);
		for (p = path + 1; *p; p++)
		{
			if (*p == '/')
				appendStringInfoChar(&b, '.');
			else if (p[0] == '~' && p[1] == '1')
			{
				appendStringInfoChar(&b, '/');
				p++;
			}
			else if (p[0] == '~' && p[1] == '0')
			{
				appendStringInfoChar(&b, '~');
				p++;
			}
			else
				appendStringInfoChar(&b, *p);
		}
		which = R_PAYLOAD;
		rest = b.data;
	}
	else if (strncmp(path, "payload.", 8) == 0)
		which = R_PAYLOAD, rest = path + 8;
	else if (strncmp(path, "vars.", 5) == 0)
		which = R_VARS, rest = path + 5;
	else if (strncmp(path, "meta.", 5) == 0)
		which = R_META, rest = path + 5;
	else if (strncmp(path, "error.", 6) == 0)
		which = R_ERROR, rest = path + 6;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid assignment path \"%s\"", path)));
	set_root_path(rc, which, rest, val);
}

/* vars[name] = val (a name, not a path: dots are part of it) */
static void
set_var(RunCtx *rc, const char *name, Jv *val)
{
	Jv		   *vars = rc->roots[R_VARS];
	Jv		   *copy = chk(jv_object(&rc->arena, (vars ? vars->u.obj.n : 0) + 1));
	size_t		i;

	for (i = 0; vars && i < vars->u.obj.n; i++)
		if (!jv_object_set(&rc->arena, copy, vars->u.obj.pairs[i].key, vars->u.obj.pairs[i].klen,
						   vars->u.obj.pairs[i].val))
			chk(NULL);
	if (val == NULL)
		jv_object_remove(copy, name, strlen(name));
	else
	{
		char	   *k = jv_strndup(&rc->arena, name, strlen(name));

		if (k == NULL || !jv_object_set(&rc->arena, copy, k, strlen(k), chk(jv_copy(&rc->arena, val))))
			chk(NULL);
	}
	rc->roots[R_VARS] = copy;
	rc->ctx_dirty = true;
}

static void
apply_assign_list(RunCtx *rc, WfAssignList *l)
{
	int			i;

	for (i = 0; i < l->n; i++)
		assign_path(rc, l->keys[i], ev(rc, l->exprs[i]));
}

/* ---- error objects ------------------------------------------------------- */

static Jv *
error_object(RunCtx *rc, const StepErr *e, WfStep *s)
{
	JvArena    *a = &rc->arena;
	Jv		   *o = chk(jv_object(a, 10));

	oset(a, o, "category", jstr(a, cat_name(e->cat)));
	oset(a, o, "code", jstr(a, e->code ? e->code : "INTERNAL_ERROR"));
	oset(a, o, "message", jstr(a, e->message ? e->message : ""));
	if (s)
	{
		oset(a, o, "stepPath", jstr(a, s->path));
		oset(a, o, "stepId", jstr(a, s->id));
		oset(a, o, "nodePath", jstr(a, s->path));
	}
	if (e->hint)
		oset(a, o, "hint", jstr(a, e->hint));
	if (e->detail)
		oset(a, o, "detail", jstr(a, e->detail));
	oset(a, o, "retryable", jv_bool(a, e->retryable));
	oset(a, o, "at", jstr(a, wf_iso_time(GetCurrentTimestamp())));
	return o;
}

/* the "error" root, as Alga's applyErrorToEnv */
static void
set_error_root(RunCtx *rc, Jv *eo, const StepErr *e, WfStep *s)
{
	JvArena    *a = &rc->arena;
	Jv		   *o = chk(jv_object(a, 5));

	oset(a, o, "name", jstr(a, cat_name(e->cat)));
	oset(a, o, "message", jstr(a, e->message ? e->message : ""));
	oset(a, o, "nodePath", jstr(a, s ? s->path : ""));
	oset(a, o, "at", jv_get(eo, "at"));
	oset(a, o, "data", eo);
	rc->roots[R_ERROR] = o;
	rc->ctx_dirty = true;
}

static void
err_set(StepErr *e, ActionErrorCategory cat, const char *code, const char *msg, const char *hint)
{
	memset(e, 0, sizeof(*e));
	e->cat = cat;
	e->code = code;
	e->message = msg;
	e->hint = hint;
	e->retryable = (cat == AEC_TRANSIENT || cat == AEC_TIMEOUT);
}

/* ---- rows ---------------------------------------------------------------- */

static int
step_iteration(RunCtx *rc, int below)
{
	Frame	   *f = innermost_loop(rc, below);

	return f ? f->index : -1;
}

static int
insert_step_row(RunCtx *rc, WfStep *s, const char *status, int attempt, int iteration,
				TimestampTz started, TimestampTz completed, Jv *err,
				const pg_uuid_t *wait_id, const pg_uuid_t *inv)
{
	Datum		v[17];
	char		n[17];
	int			seq = rc->next_seq++;

	memset(n, ' ', sizeof(n));
	v[0] = UUIDPGetDatum(&rc->tenant);
	v[1] = UUIDPGetDatum(&rc->run_id);
	v[2] = Int32GetDatum(seq);
	v[3] = CStringGetTextDatum(s->path);
	v[4] = CStringGetTextDatum(s->id);
	v[5] = CStringGetTextDatum(s->type);
	if (s->kind == WS_ACTION_CALL && s->action_id)
	{
		v[6] = CStringGetTextDatum(s->action_id);
		v[7] = Int32GetDatum(s->action_version);
	}
	else
		n[6] = n[7] = 'n';
	v[8] = Int32GetDatum(attempt);
	if (iteration >= 0)
		v[9] = Int32GetDatum(iteration);
	else
		n[9] = 'n';
	v[10] = CStringGetTextDatum(status);
	v[11] = TimestampTzGetDatum(started);
	if (completed)
	{
		v[12] = TimestampTzGetDatum(completed);
		v[13] = Float8GetDatum((completed - started) / 1000.0);
	}
	else
		n[12] = n[13] = 'n';
	if (err)
		v[14] = jv_datum(err);
	else
		n[14] = 'n';
	if (wait_id)
		v[15] = UUIDPGetDatum(wait_id);
	else
		n[15] = 'n';
	if (inv)
		v[16] = UUIDPGetDatum(inv);
	else
		n[16] = 'n';
	wf_stmt_exec(&st_step_insert, v, n, false, 0);
	return seq;
}

static void
update_step_row(RunCtx *rc, int seq, const char *status, TimestampTz started, TimestampTz completed,
				Jv *err, const pg_uuid_t *inv)
{
	Datum		v[8];
	char		n[8];

	memset(n, ' ', sizeof(n));
	v[0] = UUIDPGetDatum(&rc->tenant);
	v[1] = UUIDPGetDatum(&rc->run_id);
	v[2] = Int32GetDatum(seq);
	v[3] = CStringGetTextDatum(status);
	v[4] = TimestampTzGetDatum(completed);
	v[5] = Float8GetDatum((completed - started) / 1000.0);
	if (err)
		v[6] = jv_datum(err);
	else
		n[6] = 'n';
	if (inv)
		v[7] = UUIDPGetDatum(inv);
	else
		n[7] = 'n';
	wf_stmt_exec(&st_step_update, v, n, false, 0);
}

static void
run_log(RunCtx *rc, const char *level, const char *path, const char *msg, Jv *context)
{
	Datum		v[7];
	char		n[7];

	memset(n, ' ', sizeof(n));
	v[0] = UUIDPGetDatum(&rc->tenant);
	v[1] = UUIDPGetDatum(&rc->run_id);
	v[2] = Int32GetDatum(rc->next_seq++);
	v[3] = CStringGetTextDatum(level);
	if (path)
		v[4] = CStringGetTextDatum(path);
	else
		n[4] = 'n';
	v[5] = CStringGetTextDatum(msg);
	if (context)
		v[6] = jv_datum(context);
	else
		n[6] = 'n';
	wf_stmt_exec(&st_log, v, n, false, 0);
}

static pg_uuid_t
insert_wait(RunCtx *rc, WfStep *s, const char *kind, const char *event_name, const char *key,
			Jv *filters, TimestampTz due, const pg_uuid_t *task, const pg_uuid_t *child,
			const pg_uuid_t *inv)
{
	Datum		v[12];
	char		n[12];
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

	*id = wf_new_uuid();
	memset(n, ' ', sizeof(n));
	v[0] = UUIDPGetDatum(&rc->tenant);
	v[1] = UUIDPGetDatum(id);
	v[2] = UUIDPGetDatum(&rc->run_id);
	v[3] = CStringGetTextDatum(s->path);
	v[4] = CStringGetTextDatum(kind);
	if (event_name)
		v[5] = CStringGetTextDatum(event_name);
	else
		n[5] = 'n';
	if (key)
		v[6] = CStringGetTextDatum(key);
	else
		n[6] = 'n';
	if (filters)
		v[7] = jv_datum(filters);
	else
		n[7] = 'n';
	if (due)
		v[8] = TimestampTzGetDatum(due);
	else
		n[8] = 'n';
	if (task)
		v[9] = UUIDPGetDatum(task);
	else
		n[9] = 'n';
	if (child)
		v[10] = UUIDPGetDatum(child);
	else
		n[10] = 'n';
	if (inv)
		v[11] = UUIDPGetDatum(inv);
	else
		n[11] = 'n';
	wf_stmt_exec(&st_wait_insert, v, n, false, 0);
	return *id;
}

static void
update_wait(RunCtx *rc, const pg_uuid_t *wait_id, const char *status)
{
	Datum		v[4];
	char		n[4] = {' ', ' ', ' ', 'n'};

	v[0] = UUIDPGetDatum(&rc->tenant);
	v[1] = UUIDPGetDatum(wait_id);
	v[2] = CStringGetTextDatum(status);
	v[3] = (Datum) 0;
	wf_stmt_exec(&st_wait_update, v, n, false, 0);
}

/* ---- resume state -------------------------------------------------------- */

static WfBlock *
frame_block(WfDef *def, WfStep *owner, WfBranch b)
{
	switch (b)
	{
		case WB_ROOT:
			return &def->root;
		case WB_THEN:
			return &owner->then_block;
		case WB_ELSE:
			return &owner->else_block;
		case WB_TRY:
			return &owner->try_block;
		case WB_CATCH:
			return &owner->catch_block;
		case WB_BODY:
			return &owner->body;
	}
	return NULL;
}

static Frame *
push_frame(RunCtx *rc, WfStep *owner, WfBranch b, TimestampTz started)
{
	Frame	   *f;

	if (rc->nframes == rc->maxframes)
	{
		rc->maxframes *= 2;
		rc->frames = repalloc(rc->frames, sizeof(Frame) * rc->maxframes);
	}
	f = &rc->frames[rc->nframes++];
	memset(f, 0, sizeof(*f));
	f->owner = owner;
	f->branch = b;
	f->block = frame_block(rc->def, owner, b);
	f->started = started;
	return f;
}

static Jv *
frames_to_jv(RunCtx *rc)
{
	JvArena    *a = &rc->arena;
	Jv		   *arr = chk(jv_array(a, rc->nframes));
	int			i;

	for (i = 0; i < rc->nframes; i++)
	{
		Frame	   *f = &rc->frames[i];
		Jv		   *o = chk(jv_object(a, 9));

		oset(a, o, "owner", f->owner ? jstr(a, f->owner->path) : jv_null(a));
		oset(a, o, "branch", jstr(a, wf_branch_name(f->branch)));
		oset(a, o, "pc", jv_number(a, f->pc));
		if (f->owner)
			oset(a, o, "started", jv_number(a, (double) f->started));
		if (f->branch == WB_BODY)
		{
			oset(a, o, "items", f->items);
			oset(a, o, "index", jv_number(a, f->index));
			oset(a, o, "hasPrev", jv_bool(a, f->has_prev));
			if (f->has_prev)
				oset(a, o, "prev", f->prev);
			oset(a, o, "itemErrors", jv_number(a, f->item_errors));
		}
		if (!jv_array_push(a, arr, o))
			chk(NULL);
	}
	return arr;
}

static Jv *
state_to_jv(RunCtx *rc, bool finished)
{
	JvArena    *a = &rc->arena;
	Jv		   *st = chk(jv_object(a, 5));

	oset(a, st, "v", jv_number(a, 1));
	oset(a, st, "frames", finished ? jv_array(a, 0) : frames_to_jv(rc));
	oset(a, st, "attempt", jv_number(a, rc->attempt));
	if (rc->wait.active && !finished)
	{
		Jv		   *w = chk(jv_object(a, 4));

		oset(a, w, "id", jstr(a, uuid_text(&rc->wait.id)));
		oset(a, w, "kind", jstr(a, rc->wait.kind));
		oset(a, w, "seq", jv_number(a, rc->wait.seq));
		oset(a, w, "started", jv_number(a, (double) rc->wait.started));
		oset(a, st, "wait", w);
	}
	if (rc->failed_snapshot)
		oset(a, st, "failed", rc->failed_snapshot);
	return st;
}

static int
jv_int(const Jv *v, int dflt)
{
	return v && v->type == JV_NUMBER ? (int) v->u.num : dflt;
}

static void
load_frames(RunCtx *rc, Jv *frames)
{
	size_t		i;

	rc->nframes = 0;
	for (i = 0; frames && frames->type == JV_ARRAY && i < frames->u.arr.n; i++)
	{
		Jv		   *o = frames->u.arr.items[i];
		char	   *owner_path = jv_cstring(jv_get(o, "owner"));
		char	   *branch = jv_cstring(jv_get(o, "branch"));
		WfStep	   *owner = owner_path ? wf_find_step(rc->def, owner_path) : NULL;
		WfBranch	b = WB_ROOT;
		Frame	   *f;

		if (branch == NULL)
			elog(ERROR, "algawf: corrupt run state (frame without branch)");
		if (strcmp(branch, "then") == 0)
			b = WB_THEN;
		else if (strcmp(branch, "else") == 0)
			b = WB_ELSE;
		else if (strcmp(branch, "try") == 0)
			b = WB_TRY;
		else if (strcmp(branch, "catch") == 0)
			b = WB_CATCH;
		else if (strcmp(branch, "body") == 0)
			b = WB_BODY;
		if (b != WB_ROOT && owner == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("run state refers to step %s, which its workflow version does not have",
							owner_path ? owner_path : "(none)")));
		f = push_frame(rc, owner, b, (TimestampTz) (jv_get(o, "started") ? jv_get(o, "started")->u.num : 0));
		f->pc = jv_int(jv_get(o, "pc"), 0);
		if (b == WB_BODY)
		{
			f->items = jv_get(o, "items");
			f->index = jv_int(jv_get(o, "index"), 0);
			f->has_prev = jv_get(o, "hasPrev") && jv_get(o, "hasPrev")->type == JV_BOOL &&
				jv_get(o, "hasPrev")->u.b;
			f->prev = jv_get(o, "prev");
			f->item_errors = jv_int(jv_get(o, "itemErrors"), 0);
			if (f->items == NULL || f->items->type != JV_ARRAY)
				elog(ERROR, "algawf: corrupt run state (loop without items)");
		}
	}
}

static void
save_run(RunCtx *rc, const char *status, TimestampTz runnable_at, TimestampTz completed, Jv *error)
{
	Datum		v[15];
	char		n[15];
	bool		finished = completed != 0;

	memset(n, ' ', sizeof(n));
	v[0] = UUIDPGetDatum(&rc->tenant);
	v[1] = UUIDPGetDatum(&rc->run_id);
	v[2] = CStringGetTextDatum(status);
	v[3] = run_datum(rc, rc->roots[R_PAYLOAD]);
	v[4] = run_datum(rc, rc->roots[R_VARS]);
	v[5] = run_datum(rc, rc->roots[R_META]);
	if (error)
		v[6] = jv_datum(error);
	else
		n[6] = 'n';
	v[7] = run_datum(rc, state_to_jv(rc, finished));
	if (runnable_at)
		v[8] = TimestampTzGetDatum(runnable_at);
	else
		n[8] = 'n';
	if (rc->current_path)
		v[9] = CStringGetTextDatum(rc->current_path);
	else
		n[9] = 'n';
	v[10] = Int32GetDatum(rc->next_seq);
	if (rc->started_at)
		v[11] = TimestampTzGetDatum(rc->started_at);
	else
		n[11] = 'n';
	if (rc->deadline)
		v[12] = TimestampTzGetDatum(rc->deadline);
	else
		n[12] = 'n';
	if (completed)
		v[13] = TimestampTzGetDatum(completed);
	else
		n[13] = 'n';
	v[14] = Int32GetDatum(rc->steps);
	wf_stmt_exec(&st_save, v, n, false, 0);
	rc->steps = 0;
}

static TimestampTz
wake_time(RunCtx *rc, TimestampTz due)
{
	if (rc->deadline && (due == 0 || rc->deadline < due))
		return rc->deadline;
	return due;
}

/* ---- run completion ------------------------------------------------------ */

static Jv *
child_result(RunCtx *rc, const char *status, Jv *error)
{
	JvArena    *a = &rc->arena;
	Jv		   *r = chk(jv_object(a, 6));

	oset(a, r, "runId", jstr(a, uuid_text(&rc->run_id)));
	oset(a, r, "status", jstr(a, status));
	oset(a, r, "payload", rc->roots[R_PAYLOAD]);
	oset(a, r, "vars", rc->roots[R_VARS]);
	oset(a, r, "meta", rc->roots[R_META]);
	if (error)
		oset(a, r, "error", error);
	return r;
}

static void
finish_run(RunCtx *rc, const char *status, Jv *error)
{
	TimestampTz now = GetCurrentTimestamp();
	Datum		v[3];
	bool		ok = strcmp(status, "SUCCEEDED") == 0;

	rc->wait.active = false;
	v[0] = UUIDPGetDatum(&rc->tenant);
	v[1] = UUIDPGetDatum(&rc->run_id);
	if (!ok)
	{
		wf_stmt_exec(&st_wait_close_all, v, NULL, false, 0);
		wf_stmt_exec(&st_approval_cancel_all, v, NULL, false, 0);
		/* child runs still going would wait for nobody */
		v[2] = CStringGetTextDatum(status);
		wf_stmt_exec(&st_cancel_children, v, NULL, false, 0);
	}
	/* log first, so that the run row is saved with its final next_seq */
	run_log(rc, ok ? "INFO" : "ERROR", rc->current_path, ok ? "Run completed" : "Run failed", error);
	save_run(rc, status, 0, now, error);

	if (rc->has_parent)
	{
		v[1] = UUIDPGetDatum(&rc->parent_run_id);
		wf_stmt_exec(&st_parent_lock, v, NULL, false, 0);
		v[1] = UUIDPGetDatum(&rc->run_id);
		v[2] = jv_datum(child_result(rc, status, error));
		wf_stmt_exec(&st_parent_wake, v, NULL, false, 0);
	}
	v[1] = UUIDPGetDatum(&rc->workflow_id);
	if (strcmp(status, "FAILED") == 0 && wf_stmt_exec(&st_auto_pause, v, NULL, false, 0) > 0)
	{
		bool		isnull;
		char	   *reason = TextDatumGetCString(wf_result(1, &isnull));

		run_log(rc, "WARN", NULL, "Workflow auto-paused", jstr(&rc->arena, reason));
		v[1] = UUIDPGetDatum(&rc->run_id);
		v[2] = Int32GetDatum(rc->next_seq);
		wf_stmt_exec(&st_seq, v, NULL, false, 0);
		v[1] = UUIDPGetDatum(&rc->workflow_id);
		ereport(WARNING,
				(errmsg("workflow %s was paused: %s", uuid_text(&rc->workflow_id), reason),
				 errhint("Resume it with SELECT algawf.set_paused('%s', false).",
						 uuid_text(&rc->workflow_id))));
	}
	if (rc->has_concurrency_limit)
		wf_stmt_exec(&st_wake_queued, v, NULL, false, 0);
}

/* ---- step execution ------------------------------------------------------ */

static void exec_step(RunCtx *rc, WfStep *s, StepResult *res);

static void
park(StepResult *res, const char *kind, pg_uuid_t wait_id, TimestampTz due)
{
	res->oc = OC_PARK;
	res->wait_kind = kind;
	res->wait_id = wait_id;
	res->wait_due = due;
}

static void
fail(StepResult *res, ActionErrorCategory cat, const char *code, const char *msg, const char *hint)
{
	res->oc = OC_FAIL;
	err_set(&res->err, cat, code, msg, hint);
}

static TimestampTz
add_ms(TimestampTz t, int64 ms)
{
	return t + ms * 1000;
}

static void
exec_action_call(RunCtx *rc, WfStep *s, StepResult *res)
{
	ActionCall	call;
	ActionResult ar;
	Jv		   *input;
	Jv		   *out = NULL;

	if (rc->resume.active)
	{
		/* a deferred external call came back: {ok, output} or {ok: false, error} */
		Jv		   *r = rc->resume.resolution;
		Jv		   *ok = jv_get(r, "ok");

		if (rc->resume.timed_out)
		{
			fail(res, AEC_TIMEOUT, "TIMEOUT", psprintf("action %s timed out", s->action_id), NULL);
			return;
		}
		if (ok && ok->type == JV_BOOL && ok->u.b)
			out = jv_get(r, "output");
		else
		{
			Jv		   *e = jv_get(r, "error");
			Jv		   *retry = jv_get(e, "retryable");

			fail(res, wf_category_from_name(jv_cstring(jv_get(e, "category"))),
				 jv_cstring(jv_get(e, "code")), jv_cstring(jv_get(e, "message")),
				 jv_cstring(jv_get(e, "hint")));
			if (res->err.cat == AEC_NONE)
				res->err.cat = AEC_ACTION;
			if (retry && retry->type == JV_BOOL)
				res->err.retryable = retry->u.b;
			res->err.retry_after_ms = jv_int(jv_get(e, "retryAfterMs"), 0);
			return;
		}
		if (s->save_as)
			assign_path(rc, s->save_as, out);
		res->oc = OC_NEXT;
		return;
	}

	input = s->input_mapping ? resolve_mapping(rc, s->input_mapping, true) : chk(jv_object(&rc->sarena, 0));
	memset(&call, 0, sizeof(call));
	call.tenant = rc->tenant;
	call.run_id = rc->run_id;
	call.has_actor = rc->has_actor;
	call.actor = rc->actor;
	call.workflow_id = uuid_text(&rc->workflow_id);
	call.workflow_version = rc->version;
	call.step_path = s->path;
	call.action_id = s->action_id;
	call.action_version = s->action_version;
	call.input = jv_to_jsonb(input);
	if (s->idempotency_key)
	{
		Jv		   *k = ev(rc, s->idempotency_key);

		if (k != NULL && k->type != JV_NULL)
			call.idempotency_key = jv_to_text(k);
	}
	call.attempt = rc->attempt;
	call.timeout_ms = s->timeout_ms;
	if (s->config)
	{
		if (s->config_jb == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(rc->def->cxt);

			s->config_jb = jv_to_jsonb(s->config);
			MemoryContextSwitchTo(old);
		}
		call.step_config = s->config_jb;
	}
	call.expr_context = expr_input(rc);

	rc->phase = PH_ENGINE;
	ar = algawf_dispatch(&call);
	res->has_invocation = true;
	res->invocation_id = ar.invocation_id;
	if (ar.deferred)
	{
		pg_uuid_t	w = insert_wait(rc, s, "action", NULL, NULL, NULL,
									s->timeout_ms ? add_ms(GetCurrentTimestamp(), s->timeout_ms) : 0,
									NULL, NULL, &ar.invocation_id);

		park(res, "action", w, s->timeout_ms ? add_ms(GetCurrentTimestamp(), s->timeout_ms) : 0);
		return;
	}
	if (!ar.ok)
	{
		res->oc = OC_FAIL;
		memset(&res->err, 0, sizeof(res->err));
		res->err.cat = ar.category == AEC_NONE ? AEC_ACTION : ar.category;
		res->err.code = ar.code ? ar.code : "INTERNAL_ERROR";
		res->err.message = ar.message ? ar.message : "action failed";
		res->err.hint = ar.hint;
		res->err.detail = ar.detail;
		res->err.retryable = ar.retryable;
		res->err.retry_after_ms = ar.retry_after_ms;
		return;
	}
	if (s->save_as)
		assign_path(rc, s->save_as, ar.output ? chk(jv_from_jsonb(&rc->sarena, ar.output)) : NULL);
	res->oc = OC_NEXT;
}

static void
apply_child_result(RunCtx *rc, WfStep *s, Jv *r, StepResult *res)
{
	char	   *status = jv_cstring(jv_get(r, "status"));

	if (status && strcmp(status, "SUCCEEDED") == 0)
	{
		int			i;

		if (s->output_map.n > 0)
		{
			Jv		   *child = chk(jv_object(&rc->sarena, 4));

			oset(&rc->sarena, child, "payload", jv_get(r, "payload") ? jv_get(r, "payload") : jv_object(&rc->sarena, 0));
			oset(&rc->sarena, child, "vars", jv_get(r, "vars") ? jv_get(r, "vars") : jv_object(&rc->sarena, 0));
			oset(&rc->sarena, child, "meta", jv_get(r, "meta") ? jv_get(r, "meta") : jv_object(&rc->sarena, 0));
			oset(&rc->sarena, child, "runId", jv_get(r, "runId") ? jv_get(r, "runId") : jv_null(&rc->sarena));
			set_var(rc, "childRun", child);
			for (i = 0; i < s->output_map.n; i++)
				assign_path(rc, s->output_map.keys[i], ev(rc, s->output_map.exprs[i]));
			set_var(rc, "childRun", NULL);
		}
		res->oc = OC_NEXT;
	}
	else
	{
		Jv		   *e = jv_get(r, "error");
		char	   *msg = jv_cstring(jv_get(e, "message"));
		Jv		   *retry = jv_get(e, "retryable");
		ActionErrorCategory cat = wf_category_from_name(jv_cstring(jv_get(e, "category")));

		fail(res, cat == AEC_NONE ? AEC_ACTION : cat,
			 jv_cstring(jv_get(e, "code")) ? jv_cstring(jv_get(e, "code")) : "INTERNAL_ERROR",
			 psprintf("child workflow %s %s%s%s", s->workflow_ref,
					  status && strcmp(status, "CANCELED") == 0 ? "was canceled" : "failed",
					  msg ? ": " : "", msg ? msg : ""),
			 NULL);
		if (retry && retry->type == JV_BOOL)
			res->err.retryable = retry->u.b;
	}
}

static void
exec_call_workflow(RunCtx *rc, WfStep *s, StepResult *res)
{
	WfRunRequest req;
	Jv		   *input;
	Datum		v[2];
	bool		isnull;
	pg_uuid_t	child;
	int			i;

	if (rc->resume.active)
	{
		apply_child_result(rc, s, rc->resume.resolution, res);
		return;
	}

	input = chk(jv_object(&rc->sarena, s->input_map.n));
	for (i = 0; i < s->input_map.n; i++)
	{
		Jv		   *val = ev(rc, s->input_map.exprs[i]);

		if (val && !jv_object_set(&rc->sarena, input, s->input_map.keys[i], strlen(s->input_map.keys[i]), val))
			chk(NULL);
	}

	v[0] = UUIDPGetDatum(&rc->tenant);
	v[1] = CStringGetTextDatum(s->workflow_ref);
	if (wf_stmt_exec(&st_resolve_wf, v, NULL, false, 1) == 0)
	{
		fail(res, AEC_VALIDATION, "NOT_FOUND",
			 psprintf("callWorkflow target %s does not exist", s->workflow_ref),
			 "Publish the called workflow, or fix workflowId.");
		return;
	}
	memset(&req, 0, sizeof(req));
	req.tenant = rc->tenant;
	req.workflow_id = *DatumGetUUIDP(wf_result(1, &isnull));
	req.version = s->workflow_version;
	req.payload = jv_to_jsonb(input);
	req.trigger_type = "child";
	req.has_parent = true;
	req.parent_run_id = rc->run_id;
	req.root_run_id = rc->root_run_id;
	req.parent_step_path = s->path;
	req.call_depth = rc->call_depth + 1;
	req.allow_paused = true;
	rc->phase = PH_VALIDATE;
	child = wf_create_run(&req);
	rc->phase = PH_ENGINE;

	/* run the child inline, in this transaction, as far as it goes */
	if (rc->depth < algawf_max_call_depth)
	{
		const char *r;

		do
			r = wf_run_segment(&rc->tenant, &child, true, rc->depth + 1);
		while (strcmp(r, "yielded") == 0);
		if (strcmp(r, "succeeded") == 0 || strcmp(r, "failed") == 0 || strcmp(r, "canceled") == 0)
		{
			Jv		   *cr = chk(jv_object(&rc->sarena, 6));

			v[1] = UUIDPGetDatum(&child);
			if (wf_stmt_exec(&st_child_row, v, NULL, false, 1) == 0)
				elog(ERROR, "algawf: child run %s vanished", uuid_text(&child));
			oset(&rc->sarena, cr, "status", jstr(&rc->sarena, TextDatumGetCString(wf_result(1, &isnull))));
			oset(&rc->sarena, cr, "vars", jsonb_to_jv(&rc->sarena, wf_result(2, &isnull)));
			oset(&rc->sarena, cr, "payload", jsonb_to_jv(&rc->sarena, wf_result(3, &isnull)));
			oset(&rc->sarena, cr, "meta", jsonb_to_jv(&rc->sarena, wf_result(4, &isnull)));
			{
				Datum		e = wf_result(5, &isnull);

				if (!isnull)
					oset(&rc->sarena, cr, "error", jsonb_to_jv(&rc->sarena, e));
			}
			oset(&rc->sarena, cr, "runId", jstr(&rc->sarena, uuid_text(&child)));
			apply_child_result(rc, s, cr, res);
			return;
		}
	}
	park(res, "child", insert_wait(rc, s, "child", NULL, NULL, NULL, 0, NULL, &child, NULL), 0);
}

static TimestampTz
parse_time(RunCtx *rc, const char *s)
{
	Phase		saved = rc->phase;
	TimestampTz t;

	rc->phase = PH_VALIDATE;
	t = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(s),
												ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	rc->phase = saved;
	return t;
}

static void
exec_time_wait(RunCtx *rc, WfStep *s, StepResult *res)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz due;

	if (rc->resume.active)
	{
		res->oc = OC_NEXT;
		return;
	}
	if (s->until_mode)
	{
		if (s->until_literal)
			due = parse_time(rc, s->until_literal);
		else
		{
			Jv		   *u = ev(rc, s->until_expr);

			if (u == NULL || u->type != JV_STRING)
			{
				fail(res, AEC_EXPRESSION, "EXPRESSION_ERROR",
					 "time.wait until did not evaluate to a timestamp string", NULL);
				return;
			}
			due = parse_time(rc, jv_to_text(u));
		}
	}
	else
	{
		int64		ms = s->duration_ms;

		if (s->duration_expr)
		{
			Jv		   *d = ev(rc, s->duration_expr);

			if (d == NULL || d->type != JV_NUMBER || !(d->u.num >= 0) || !isfinite(d->u.num))
			{
				fail(res, AEC_EXPRESSION, "EXPRESSION_ERROR",
					 "time.wait durationMs did not evaluate to a non-negative number", NULL);
				return;
			}
			ms = (int64) d->u.num;
		}
		due = add_ms(now, ms);
	}
	if (due <= now)
	{
		res->oc = OC_NEXT;
		return;
	}
	park(res, "time", insert_wait(rc, s, "time", NULL, NULL, NULL, due, NULL, NULL, NULL), due);
}

static void
exec_event_wait(RunCtx *rc, WfStep *s, StepResult *res)
{
	Jv		   *key;
	TimestampTz due = 0;

	if (rc->resume.active)
	{
		Jv		   *r = rc->resume.resolution;

		if (rc->resume.timed_out)
		{
			fail(res, AEC_TIMEOUT, "TIMEOUT", psprintf("Timeout waiting for event %s", s->event_name),
				 "Raise config.timeoutMs, or catch the TimeoutError with control.tryCatch.");
			return;
		}
		set_var(rc, "event", jv_get(r, "payload") ? jv_get(r, "payload") : jv_object(&rc->sarena, 0));
		set_var(rc, "eventName", jstr(&rc->sarena, s->event_name));
		apply_assign_list(rc, &s->assign);
		res->oc = OC_NEXT;
		return;
	}
	key = ev(rc, s->correlation_key);
	if (s->wait_timeout_ms)
		due = add_ms(GetCurrentTimestamp(), s->wait_timeout_ms);
	park(res, "event", insert_wait(rc, s, "event", s->event_name, jv_to_text(key), s->filters, due,
								   NULL, NULL, NULL), due);
}

static void
exec_human_task(RunCtx *rc, WfStep *s, StepResult *res)
{
	Jv		   *title;
	Jv		   *desc = NULL;
	Jv		   *ctxdata;
	TimestampTz due = 0;
	pg_uuid_t	task = wf_new_uuid();
	pg_uuid_t	wait;
	pg_uuid_t	assignee;
	bool		has_assignee = false;
	Datum		v[12];
	char		n[12];
	int			i;

	if (rc->resume.active)
	{
		if (rc->resume.timed_out)
		{
			fail(res, AEC_TIMEOUT, "TIMEOUT",
				 psprintf("%s task expired before it was decided",
						  s->task_type && strcmp(s->task_type, "approval") == 0 ? "approval" : "human"),
				 "Raise config.expiresInMs, or catch the TimeoutError with control.tryCatch.");
			return;
		}
		set_var(rc, "event", rc->resume.resolution ? rc->resume.resolution : jv_object(&rc->sarena, 0));
		set_var(rc, "eventName", jstr(&rc->sarena, "HUMAN_TASK_COMPLETED"));
		apply_assign_list(rc, &s->assign);
		res->oc = OC_NEXT;
		return;
	}

	title = ev(rc, s->title);
	if (title && title->type == JV_STRING && has_template(title))
		title = render_template(rc, title);
	if (s->description)
	{
		desc = ev(rc, s->description);
		if (desc && desc->type == JV_STRING && has_template(desc))
			desc = render_template(rc, desc);
	}
	ctxdata = chk(jv_object(&rc->sarena, s->context_data.n));
	for (i = 0; i < s->context_data.n; i++)
	{
		Jv		   *val = ev(rc, s->context_data.exprs[i]);

		if (val && !jv_object_set(&rc->sarena, ctxdata, s->context_data.keys[i],
								  strlen(s->context_data.keys[i]), val))
			chk(NULL);
	}
	if (s->assignee_type)
	{
		const char *id = s->assignee_id;

		if (s->assignee_expr)
			id = jv_to_text(ev(rc, s->assignee_expr));
		rc->phase = PH_VALIDATE;
		if (strcmp(s->assignee_type, "role") == 0 && !uuid_parse(id, &assignee))
		{
			Datum		rv[2];
			bool		isnull;

			rv[0] = UUIDPGetDatum(&rc->tenant);
			rv[1] = CStringGetTextDatum(id);
			if (wf_stmt_exec(&st_role, rv, NULL, false, 1) == 0)
			{
				fail(res, AEC_VALIDATION, "NOT_FOUND", psprintf("role %s does not exist", id),
					 "Name an existing psa.roles role (id or name).");
				return;
			}
			assignee = *DatumGetUUIDP(wf_result(1, &isnull));
		}
		else if (!uuid_parse(id, &assignee))
		{
			fail(res, AEC_VALIDATION, "VALIDATION_ERROR",
				 psprintf("assignee id \"%s\" is not a UUID", id), NULL);
			return;
		}
		rc->phase = PH_ENGINE;
		has_assignee = true;
	}
	if (s->expires_in_ms)
		due = add_ms(GetCurrentTimestamp(), s->expires_in_ms);

	wait = insert_wait(rc, s, "human", "HUMAN_TASK_COMPLETED", NULL, NULL, due, &task, NULL, NULL);
	memset(n, ' ', sizeof(n));
	v[0] = UUIDPGetDatum(&rc->tenant);
	v[1] = UUIDPGetDatum(&task);
	v[2] = UUIDPGetDatum(&rc->run_id);
	v[3] = UUIDPGetDatum(&wait);
	v[4] = CStringGetTextDatum(s->path);
	v[5] = CStringGetTextDatum(s->task_type);
	v[6] = CStringGetTextDatum(jv_to_text(title));
	if (desc && desc->type != JV_NULL)
		v[7] = CStringGetTextDatum(jv_to_text(desc));
	else
		n[7] = 'n';
	v[8] = jv_datum(ctxdata);
	if (has_assignee)
	{
		v[9] = CStringGetTextDatum(s->assignee_type);
		v[10] = UUIDPGetDatum(&assignee);
	}
	else
		n[9] = n[10] = 'n';
	if (due)
		v[11] = TimestampTzGetDatum(due);
	else
		n[11] = 'n';
	wf_stmt_exec(&st_approval_insert, v, n, false, 0);
	park(res, "human", wait, due);
}

static void
exec_step(RunCtx *rc, WfStep *s, StepResult *res)
{
	Jv		   *v;

	res->oc = OC_NEXT;
	switch (s->kind)
	{
		case WS_ASSIGN:
			apply_assign_list(rc, &s->assign);
			break;
		case WS_STATE_SET:
			assign_path(rc, "meta.state", jstr(&rc->sarena, s->state));
			break;
		case WS_RETURN:
			res->oc = OC_RETURN;
			break;
		case WS_IF:
			{
				WfBlock    *b;

				v = ev(rc, s->condition);
				if (v != NULL && v->type != JV_BOOL)
				{
					fail(res, AEC_EXPRESSION, "EXPRESSION_ERROR",
						 psprintf("control.if condition did not evaluate to boolean (got %s)",
								  jv_type_name(v->type)),
						 "Compare explicitly, e.g. payload.count > 0.");
					return;
				}
				b = (v && v->u.b) ? &s->then_block : &s->else_block;
				if (b->n > 0)
				{
					push_frame(rc, s, (v && v->u.b) ? WB_THEN : WB_ELSE, GetCurrentTimestamp());
					res->oc = OC_PUSHED;
				}
				break;
			}
		case WS_FOREACH:
			{
				Frame	   *f;
				Jv		   *prev;

				v = ev(rc, s->items);
				if (v != NULL && v->type != JV_ARRAY)
				{
					fail(res, AEC_VALIDATION, "VALIDATION_ERROR",
						 psprintf("control.forEach items did not evaluate to an array (got %s)",
								  jv_type_name(v->type)), NULL);
					return;
				}
				if (v == NULL || v->u.arr.n == 0 || s->body.n == 0)
					break;
				prev = jv_get(rc->roots[R_VARS], s->item_var);
				f = push_frame(rc, s, WB_BODY, GetCurrentTimestamp());
				f->items = chk(jv_copy(&rc->arena, v));
				f->index = 0;
				f->has_prev = prev != NULL;
				f->prev = prev;
				set_var(rc, s->item_var, f->items->u.arr.items[0]);
				res->oc = OC_PUSHED;
				break;
			}
		case WS_TRYCATCH:
			if (s->try_block.n > 0)
			{
				push_frame(rc, s, WB_TRY, GetCurrentTimestamp());
				res->oc = OC_PUSHED;
			}
			break;
		case WS_CALL_WORKFLOW:
			exec_call_workflow(rc, s, res);
			break;
		case WS_ACTION_CALL:
			exec_action_call(rc, s, res);
			break;
		case WS_TIME_WAIT:
			exec_time_wait(rc, s, res);
			break;
		case WS_EVENT_WAIT:
			exec_event_wait(rc, s, res);
			break;
		case WS_HUMAN_TASK:
			exec_human_task(rc, s, res);
			break;
		case WS_UNKNOWN:
			fail(res, AEC_VALIDATION, "VALIDATION_ERROR", psprintf("Unknown node type %s", s->type), NULL);
			break;
	}
}

/* errors that must abort the caller, not become a step failure */
static bool
must_rethrow(ErrorData *ed)
{
	return ERRCODE_TO_CATEGORY(ed->sqlerrcode) == ERRCODE_OPERATOR_INTERVENTION ||
		ed->sqlerrcode == ERRCODE_OUT_OF_MEMORY ||
		ed->sqlerrcode == ERRCODE_DATA_CORRUPTED;
}

static void
classify(RunCtx *rc, ErrorData *ed, StepErr *e)
{
	int			code = ed->sqlerrcode;

	memset(e, 0, sizeof(*e));
	e->message = ed->message ? ed->message : "error";
	e->detail = ed->detail;
	e->hint = ed->hint;
	if (rc->phase == PH_EXPR)
	{
		e->cat = AEC_EXPRESSION;
		e->code = "EXPRESSION_ERROR";
	}
	else if (rc->phase == PH_VALIDATE ||
			 ERRCODE_TO_CATEGORY(code) == ERRCODE_DATA_EXCEPTION ||
			 code == ERRCODE_NOT_NULL_VIOLATION || code == ERRCODE_CHECK_VIOLATION ||
			 code == ERRCODE_FOREIGN_KEY_VIOLATION)
	{
		e->cat = AEC_VALIDATION;
		e->code = code == ERRCODE_UNDEFINED_OBJECT ? "NOT_FOUND" : "VALIDATION_ERROR";
	}
	else if (code == ERRCODE_UNIQUE_VIOLATION)
	{
		e->cat = AEC_ACTION;
		e->code = "CONFLICT";
	}
	else if (code == ERRCODE_T_R_SERIALIZATION_FAILURE || code == ERRCODE_T_R_DEADLOCK_DETECTED ||
			 code == ERRCODE_LOCK_NOT_AVAILABLE)
	{
		e->cat = AEC_TRANSIENT;
		e->code = "TRANSIENT_FAILURE";
		e->retryable = true;
	}
	else if (code == ERRCODE_INSUFFICIENT_PRIVILEGE)
	{
		e->cat = AEC_ACTION;
		e->code = "PERMISSION_DENIED";
	}
	else if (code == ERRCODE_UNDEFINED_OBJECT || code == ERRCODE_NO_DATA_FOUND)
	{
		e->cat = AEC_ACTION;
		e->code = "NOT_FOUND";
	}
	else
	{
		e->cat = AEC_ACTION;
		e->code = "INTERNAL_ERROR";
	}
}

static void
exec_step_guarded(RunCtx *rc, WfStep *s, StepResult *res)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	Jv		   *saved[R_COUNT];
	int			saved_nframes = rc->nframes;
	volatile bool failed = false;

	memcpy(saved, rc->roots, sizeof(saved));
	rc->phase = PH_ENGINE;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(rc->step_cxt);
	PG_TRY();
	{
		exec_step(rc, s, res);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(rc->cxt);
		ed = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (must_rethrow(ed))
			ReThrowError(ed);
		res->oc = OC_FAIL;
		classify(rc, ed, &res->err);
		failed = true;
	}
	PG_END_TRY();
	if (failed || res->oc == OC_FAIL)
	{
		memcpy(rc->roots, saved, sizeof(saved));
		rc->nframes = saved_nframes;
		rc->ctx_dirty = true;
	}
	rc->phase = PH_ENGINE;
}

/* ---- control flow -------------------------------------------------------- */

static void
advance(RunCtx *rc)
{
	if (rc->nframes > 0)
		rc->frames[rc->nframes - 1].pc++;
	rc->attempt = 1;
}

/* pop the top frame, writing its owner's step row */
static void
pop_frame(RunCtx *rc, const char *status, Jv *err)
{
	Frame	   *f = &rc->frames[rc->nframes - 1];

	if (f->owner)
	{
		if (f->branch == WB_BODY)
			set_var(rc, f->owner->item_var, f->has_prev ? f->prev : NULL);
		insert_step_row(rc, f->owner, status, 1, step_iteration(rc, rc->nframes - 1),
						f->started, GetCurrentTimestamp(), err, NULL, NULL);
	}
	rc->nframes--;
}

static void
complete_frame(RunCtx *rc)
{
	Frame	   *f = &rc->frames[rc->nframes - 1];

	if (f->branch == WB_BODY && f->index + 1 < (int) f->items->u.arr.n)
	{
		f->index++;
		f->pc = 0;
		set_var(rc, f->owner->item_var, f->items->u.arr.items[f->index]);
		rc->attempt = 1;
		return;
	}
	if (f->branch == WB_ROOT)
	{
		rc->nframes--;
		return;
	}
	pop_frame(rc, "SUCCEEDED", NULL);
	advance(rc);
}

typedef enum Flow
{
	FLOW_CONTINUE,
	FLOW_PARKED,
	FLOW_FAILED
} Flow;

static double
backoff_ms(const WfRetry *r, int attempt, int retry_after_ms)
{
	double		d = r->backoff_ms * pow(r->multiplier, attempt - 1);

	if (r->jitter)
		d *= 0.8 + pg_prng_double(&pg_global_prng_state) * 0.4;
	if (r->max_delay_ms && d > r->max_delay_ms)
		d = r->max_delay_ms;
	if (retry_after_ms > d)
		d = retry_after_ms;
	return d;
}

static bool
should_retry(const StepErr *e, const WfRetry *r, int attempt)
{
	if (!r->present || attempt >= r->max_attempts)
		return false;
	if (!e->retryable || e->cat == AEC_VALIDATION || e->cat == AEC_EXPRESSION ||
		e->cat == AEC_CANCELLATION)
		return false;
	if (r->retry_on && !(r->retry_on & WF_CAT_BIT(e->cat)))
		return false;
	return true;
}

static Flow
unwind(RunCtx *rc, Jv *eo)
{
	Jv		   *snapshot = chk(jv_object(&rc->arena, 2));

	oset(&rc->arena, snapshot, "frames", frames_to_jv(rc));
	oset(&rc->arena, snapshot, "attempt", jv_number(&rc->arena, 1));
	while (rc->nframes > 0)
	{
		Frame	   *f = &rc->frames[rc->nframes - 1];

		if (f->branch == WB_BODY && f->owner->item_error_continue)
		{
			f->item_errors++;
			f->pc = f->block->n;
			rc->attempt = 1;
			run_log(rc, "WARN", f->owner->path, "Item error (continued)", eo);
			return FLOW_CONTINUE;
		}
		if (f->branch == WB_TRY)
		{
			if (f->owner->capture_as)
				set_var(rc, f->owner->capture_as, eo);
			f->branch = WB_CATCH;
			f->block = &f->owner->catch_block;
			f->pc = 0;
			rc->attempt = 1;
			run_log(rc, "INFO", f->owner->path, "Error caught", eo);
			return FLOW_CONTINUE;
		}
		pop_frame(rc, "FAILED", eo);
	}
	rc->failed_snapshot = snapshot;
	finish_run(rc, "FAILED", eo);
	return FLOW_FAILED;
}

static Flow
handle_failure(RunCtx *rc, WfStep *s, StepErr *e, TimestampTz started, int seq, const pg_uuid_t *inv)
{
	TimestampTz now = GetCurrentTimestamp();
	Jv		   *eo = error_object(rc, e, s);
	int			iter = step_iteration(rc, rc->nframes);

	if (should_retry(e, &s->retry, rc->attempt))
	{
		double		delay = backoff_ms(&s->retry, rc->attempt, e->retry_after_ms);
		Jv		   *ctx = chk(jv_object(&rc->arena, 3));

		if (seq >= 0)
			update_step_row(rc, seq, "RETRY_SCHEDULED", started, now, eo, inv);
		else
			insert_step_row(rc, s, "RETRY_SCHEDULED", rc->attempt, iter, started, now, eo, NULL, inv);
		oset(&rc->arena, ctx, "attempt", jv_number(&rc->arena, rc->attempt));
		oset(&rc->arena, ctx, "delayMs", jv_number(&rc->arena, floor(delay)));
		oset(&rc->arena, ctx, "error", eo);
		run_log(rc, "WARN", s->path, "Retry scheduled", ctx);
		rc->attempt++;
		if (delay < 1)
			return FLOW_CONTINUE;
		{
			TimestampTz due = add_ms(now, (int64) delay);
			pg_uuid_t	w = insert_wait(rc, s, "retry", NULL, NULL, NULL, due, NULL, NULL, NULL);

			rc->wait.active = true;
			rc->wait.id = w;
			strlcpy(rc->wait.kind, "retry", sizeof(rc->wait.kind));
			rc->wait.seq = -1;
			rc->wait.started = 0;
			rc->current_path = s->path;
			save_run(rc, "WAITING", wake_time(rc, due), 0, NULL);
			return FLOW_PARKED;
		}
	}
	if (seq >= 0)
		update_step_row(rc, seq, "FAILED", started, now, eo, inv);
	else
		insert_step_row(rc, s, "FAILED", rc->attempt, iter, started, now, eo, NULL, inv);
	set_error_root(rc, eo, e, s);
	if (s->on_error_continue)
	{
		run_log(rc, "WARN", s->path, "Step error (continued)", eo);
		advance(rc);
		return FLOW_CONTINUE;
	}
	rc->current_path = s->path;
	return unwind(rc, eo);
}

static const char *
run_loop(RunCtx *rc)
{
	for (;;)
	{
		Frame	   *f;
		WfStep	   *s;
		StepResult	res;
		Resume		resumed;
		TimestampTz started;
		TimestampTz now;
		int			iter;

		CHECK_FOR_INTERRUPTS();
		if (rc->nframes == 0)
		{
			finish_run(rc, "SUCCEEDED", NULL);
			return "succeeded";
		}
		f = &rc->frames[rc->nframes - 1];
		if (f->pc >= f->block->n)
		{
			complete_frame(rc);
			continue;
		}
		s = f->block->steps[f->pc];
		rc->current_path = s->path;
		now = GetCurrentTimestamp();
		if (rc->deadline && now >= rc->deadline)
		{
			StepErr		e;

			err_set(&e, AEC_TIMEOUT, "TIMEOUT", "run exceeded its maximum duration",
					"Raise algawf.run_max_duration or the workflow's run_max_duration.");
			e.retryable = false;
			rc->failed_snapshot = NULL;
			finish_run(rc, "FAILED", error_object(rc, &e, s));
			return "failed";
		}
		if (!rc->inline_mode && rc->steps >= algawf_segment_max_steps)
		{
			save_run(rc, "RUNNING", now, 0, NULL);
			return "yielded";
		}

		resumed = rc->resume;
		started = resumed.active && resumed.started ? resumed.started : now;
		memset(&res, 0, sizeof(res));
		MemoryContextReset(rc->step_cxt);
		jv_arena_init_pg(&rc->sarena, rc->step_cxt);
		iter = step_iteration(rc, rc->nframes);
		exec_step_guarded(rc, s, &res);
		rc->resume.active = false;
		rc->steps++;
		now = GetCurrentTimestamp();

		switch (res.oc)
		{
			case OC_NEXT:
				if (resumed.active && resumed.seq >= 0)
					update_step_row(rc, resumed.seq, "SUCCEEDED", started, now, NULL,
									res.has_invocation ? &res.invocation_id : NULL);
				else
					insert_step_row(rc, s, "SUCCEEDED", rc->attempt, iter, started, now, NULL, NULL,
									res.has_invocation ? &res.invocation_id : NULL);
				advance(rc);
				break;
			case OC_PUSHED:
				rc->attempt = 1;
				break;
			case OC_RETURN:
				insert_step_row(rc, s, "SUCCEEDED", rc->attempt, iter, started, now, NULL, NULL, NULL);
				while (rc->nframes > 0)
					pop_frame(rc, "SUCCEEDED", NULL);
				finish_run(rc, "SUCCEEDED", NULL);
				return "succeeded";
			case OC_PARK:
				rc->wait.active = true;
				rc->wait.id = res.wait_id;
				strlcpy(rc->wait.kind, res.wait_kind, sizeof(rc->wait.kind));
				rc->wait.started = started;
				rc->wait.seq = insert_step_row(rc, s, "WAITING", rc->attempt, iter, started, 0, NULL,
											   &res.wait_id,
											   res.has_invocation ? &res.invocation_id : NULL);
				save_run(rc, "WAITING", wake_time(rc, res.wait_due), 0, NULL);
				return "waiting";
			case OC_FAIL:
				switch (handle_failure(rc, s, &res.err, started, resumed.active ? resumed.seq : -1,
									   res.has_invocation ? &res.invocation_id : NULL))
				{
					case FLOW_CONTINUE:
						break;
					case FLOW_PARKED:
						return "waiting";
					case FLOW_FAILED:
						return "failed";
				}
				break;
		}
	}
}

/* ---- segment entry ------------------------------------------------------- */

/*
 * The run was parked: find out what happened to its wait.  Returns NULL to
 * go on executing, or the segment's result when the run stays parked.
 */
static const char *
check_wait(RunCtx *rc)
{
	Datum		v[2];
	bool		isnull;
	char	   *status;
	char	   *kind;
	TimestampTz due = 0;
	TimestampTz now = GetCurrentTimestamp();
	Datum		d;

	v[0] = UUIDPGetDatum(&rc->tenant);
	v[1] = UUIDPGetDatum(&rc->wait.id);
	if (wf_stmt_exec(&st_wait_load, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("run %s waits on a wait row that does not exist", uuid_text(&rc->run_id))));
	status = TextDatumGetCString(wf_result(1, &isnull));
	kind = TextDatumGetCString(wf_result(2, &isnull));
	d = wf_result(3, &isnull);
	memset(&rc->resume, 0, sizeof(rc->resume));
	rc->resume.kind = kind;
	rc->resume.seq = rc->wait.seq;
	rc->resume.started = rc->wait.started;
	if (!isnull)
		rc->resume.resolution = jsonb_to_jv(&rc->arena, d);
	d = wf_result(4, &isnull);
	if (!isnull)
		due = DatumGetTimestampTz(d);

	if (strcmp(status, "WAITING") == 0)
	{
		if (due && due <= now)
		{
			if (strcmp(kind, "time") == 0 || strcmp(kind, "retry") == 0)
				update_wait(rc, &rc->wait.id, "RESOLVED");
			else
			{
				Datum		task = wf_result(5, &isnull);

				update_wait(rc, &rc->wait.id, "TIMED_OUT");
				rc->resume.timed_out = true;
				if (strcmp(kind, "human") == 0 && !isnull)
				{
					Datum		av[2];

					av[0] = UUIDPGetDatum(&rc->tenant);
					av[1] = task;
					wf_stmt_exec(&st_approval_expire, av, NULL, false, 0);
				}
			}
		}
		else if (rc->deadline && now >= rc->deadline)
		{
			/* the run loop fails it; the wait is closed with the run */
		}
		else
		{
			/* not due: stay parked */
			save_run(rc, "WAITING", wake_time(rc, due), 0, NULL);
			return "waiting";
		}
	}
	else if (strcmp(status, "TIMED_OUT") == 0)
		rc->resume.timed_out = true;
	else if (strcmp(status, "CANCELED") == 0)
		return "canceled";

	/* a retry back-off re-executes the step from scratch */
	rc->resume.active = strcmp(kind, "retry") != 0;
	rc->wait.active = false;
	run_log(rc, "INFO", rc->current_path,
			rc->resume.timed_out ? "Run resumed (wait timed out)" : "Run resumed", NULL);
	return NULL;
}

static void
load_env(RunCtx *rc)
{
	Datum		v[2];
	bool		isnull;

	v[0] = UUIDPGetDatum(&rc->tenant);
	v[1] = UUIDPGetDatum(&rc->workflow_id);
	wf_stmt_exec(&st_env, v, NULL, false, 1);
	rc->env = jsonb_to_jv(&rc->arena, wf_result(1, &isnull));
}

static void
build_system(RunCtx *rc)
{
	JvArena    *a = &rc->arena;
	Jv		   *s = chk(jv_object(a, 6));

	oset(a, s, "runId", jstr(a, uuid_text(&rc->run_id)));
	oset(a, s, "workflowId", jstr(a, uuid_text(&rc->workflow_id)));
	oset(a, s, "workflowVersion", jv_number(a, rc->version));
	oset(a, s, "tenantId", jstr(a, uuid_text(&rc->tenant)));
	oset(a, s, "actorUserId", rc->has_actor ? jstr(a, uuid_text(&rc->actor)) : jv_null(a));
	oset(a, s, "rootRunId", jstr(a, uuid_text(&rc->root_run_id)));
	rc->system = s;
}

/* may this not-yet-started run start, given the workflow's concurrency limit? */
static bool
may_start(RunCtx *rc)
{
	Datum		v[3];
	bool		isnull;
	Datum		lim;
	int64		active;

	v[0] = UUIDPGetDatum(&rc->tenant);
	v[1] = UUIDPGetDatum(&rc->workflow_id);
	wf_stmt_exec(&st_def_lock, v, NULL, false, 1);
	lim = wf_result(1, &isnull);
	if (isnull)
		return true;
	v[2] = UUIDPGetDatum(&rc->run_id);
	wf_stmt_exec(&st_active_count, v, NULL, false, 1);
	active = DatumGetInt64(wf_result(1, &isnull));
	return active < DatumGetInt32(lim);
}

static const char *run_segment(const pg_uuid_t *tenant, const pg_uuid_t *run_id, bool inline_mode,
							   int depth);

const char *
wf_run_segment(const pg_uuid_t *tenant, const pg_uuid_t *run_id, bool inline_mode, int depth)
{
	const char *volatile result = NULL;

	wf_cache_trim();
	wf_cache_pin();
	PG_TRY();
	{
		result = run_segment(tenant, run_id, inline_mode, depth);
	}
	PG_FINALLY();
	{
		wf_cache_unpin();
	}
	PG_END_TRY();
	return result;
}

static const char *
run_segment(const pg_uuid_t *tenant, const pg_uuid_t *run_id, bool inline_mode, int depth)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "algawf run segment",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	RunCtx	   *rc = palloc0(sizeof(RunCtx));
	Datum		v[2];
	bool		isnull;
	char	   *status;
	char	   *hash;
	Datum		d;
	Jv		   *state = NULL;
	double		max_ms;
	const char *result;

	check_stack_depth();
	rc->tenant = *tenant;
	rc->run_id = *run_id;
	rc->cxt = cxt;
	rc->step_cxt = AllocSetContextCreate(cxt, "algawf step", ALLOCSET_DEFAULT_SIZES);
	rc->inline_mode = inline_mode;
	rc->depth = depth;
	rc->attempt = 1;
	rc->maxframes = 8;
	rc->frames = palloc(sizeof(Frame) * rc->maxframes);
	jv_arena_init_pg(&rc->arena, cxt);
	rc->jcache = jvjsonb_cache_create(cxt);

	v[0] = UUIDPGetDatum(tenant);
	v[1] = UUIDPGetDatum(run_id);
	if (wf_stmt_exec(&st_load, v, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("run %s not found", uuid_text(run_id)),
				 errhint("Runs are visible only to their tenant (algawf.tenant).")));
	status = TextDatumGetCString(wf_result(1, &isnull));
	if (strcmp(status, "SUCCEEDED") == 0 || strcmp(status, "FAILED") == 0 ||
		strcmp(status, "CANCELED") == 0)
	{
		result = strcmp(status, "SUCCEEDED") == 0 ? "succeeded" :
			strcmp(status, "FAILED") == 0 ? "failed" : "canceled";
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
		return result;
	}
	rc->workflow_id = *DatumGetUUIDP(wf_result(2, &isnull));
	rc->version = DatumGetInt32(wf_result(3, &isnull));
	rc->roots[R_PAYLOAD] = jsonb_to_jv(&rc->arena, wf_result(4, &isnull));
	rc->roots[R_VARS] = jsonb_to_jv(&rc->arena, wf_result(5, &isnull));
	rc->roots[R_META] = jsonb_to_jv(&rc->arena, wf_result(6, &isnull));
	d = wf_result(7, &isnull);
	rc->roots[R_ERROR] = isnull ? NULL : jsonb_to_jv(&rc->arena, d);
	d = wf_result(8, &isnull);
	if (!isnull)
		state = jsonb_to_jv(&rc->arena, d);
	d = wf_result(9, &isnull);
	if (!isnull)
	{
		rc->has_actor = true;
		rc->actor = *DatumGetUUIDP(d);
	}
	d = wf_result(10, &isnull);
	if (!isnull)
	{
		rc->has_parent = true;
		rc->parent_run_id = *DatumGetUUIDP(d);
	}
	d = wf_result(11, &isnull);
	rc->root_run_id = isnull ? *run_id : *DatumGetUUIDP(d);
	rc->call_depth = DatumGetInt32(wf_result(12, &isnull));
	rc->next_seq = DatumGetInt32(wf_result(13, &isnull));
	d = wf_result(14, &isnull);
	rc->started_at = isnull ? 0 : DatumGetTimestampTz(d);
	d = wf_result(15, &isnull);
	rc->deadline = isnull ? 0 : DatumGetTimestampTz(d);
	hash = TextDatumGetCString(wf_result(16, &isnull));
	rc->has_concurrency_limit = DatumGetBool(wf_result(17, &isnull));
	max_ms = DatumGetFloat8(wf_result(18, &isnull));

	rc->def = wf_cache_get(tenant, &rc->workflow_id, rc->version, hash);
	if (rc->roots[R_VARS]->type != JV_OBJECT)
		rc->roots[R_VARS] = chk(jv_object(&rc->arena, 4));
	if (rc->roots[R_META]->type != JV_OBJECT)
		rc->roots[R_META] = chk(jv_object(&rc->arena, 4));

	if (state && jv_get(state, "frames") && jv_get(state, "frames")->u.arr.n > 0)
	{
		Jv		   *w = jv_get(state, "wait");

		load_frames(rc, jv_get(state, "frames"));
		rc->attempt = jv_int(jv_get(state, "attempt"), 1);
		if (w)
		{
			rc->wait.active = true;
			if (!uuid_parse(jv_cstring(jv_get(w, "id")), &rc->wait.id))
				elog(ERROR, "algawf: corrupt run state (wait id)");
			strlcpy(rc->wait.kind, jv_cstring(jv_get(w, "kind")), sizeof(rc->wait.kind));
			rc->wait.seq = jv_int(jv_get(w, "seq"), -1);
			rc->wait.started = (TimestampTz) (jv_get(w, "started") ? jv_get(w, "started")->u.num : 0);
		}
		rc->failed_snapshot = jv_get(state, "failed");
	}
	else
		push_frame(rc, NULL, WB_ROOT, 0);
	if (rc->nframes > 0 && rc->frames[rc->nframes - 1].pc < rc->frames[rc->nframes - 1].block->n)
		rc->current_path = rc->frames[rc->nframes - 1].block->steps[rc->frames[rc->nframes - 1].pc]->path;

	load_env(rc);
	build_system(rc);
	rc->ctx_dirty = true;

	if (rc->started_at == 0)
	{
		TimestampTz now = GetCurrentTimestamp();

		if (rc->has_concurrency_limit && !may_start(rc))
		{
			wf_stmt_exec(&st_hold, v, NULL, false, 0);
			MemoryContextSwitchTo(old);
			MemoryContextDelete(cxt);
			return "queued";
		}
		rc->started_at = now;
		if (max_ms < 0)
			max_ms = (double) algawf_run_max_duration * 1000.0;
		if (max_ms > 0)
			rc->deadline = add_ms(now, (int64) max_ms);
		run_log(rc, "INFO", NULL, "Run started", NULL);
	}

	result = NULL;
	if (rc->wait.active)
		result = check_wait(rc);
	if (result == NULL)
		result = run_loop(rc);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return result;
}

/* ---- run creation -------------------------------------------------------- */

pg_uuid_t
wf_create_run(const WfRunRequest *req)
{
	Datum		v[14];
	char		n[14];
	bool		isnull;
	Datum		d;
	int			version;
	pg_uuid_t	run_id = wf_new_uuid();
	bool		has_actor = req->has_actor;
	pg_uuid_t	actor = req->actor;
	char	   *name;

	memset(n, ' ', sizeof(n));
	v[0] = UUIDPGetDatum(&req->tenant);
	v[1] = UUIDPGetDatum(&req->workflow_id);
	v[2] = Int32GetDatum(req->version);
	if (req->version == 0)
		n[2] = 'n';
	if (wf_stmt_exec(&st_run_info, v, n, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("workflow %s does not exist", uuid_text(&req->workflow_id))));
	name = TextDatumGetCString(wf_result(5, &isnull));
	d = wf_result(2, &isnull);
	if (isnull)
	{
		bool		never;

		wf_result(6, &never);
		if (req->version && !never)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("workflow \"%s\" has no version %d", name, req->version)));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("workflow \"%s\" has no published version", name),
				 errhint("Publish it with SELECT algawf.publish('%s').", uuid_text(&req->workflow_id))));
	}
	version = DatumGetInt32(d);
	if (DatumGetBool(wf_result(1, &isnull)) && !req->allow_paused)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("workflow \"%s\" is paused", name),
				 errhint("Resume it with SELECT algawf.set_paused('%s', false).",
						 uuid_text(&req->workflow_id))));
	d = wf_result(3, &isnull);
	if (!isnull)
	{
		AlgawfSchema *sc = algawf_schema_cached(DatumGetJsonbP(d));
		List	   *errs = NIL;

		if (algawf_schema_validate(sc, req->payload, false, &errs) > 0)
		{
			StringInfoData buf;
			ListCell   *lc;

			initStringInfo(&buf);
			foreach(lc, errs)
			{
				AlgawfSchemaError *e = lfirst(lc);

				appendStringInfo(&buf, "%s%s: %s", buf.len ? "\n" : "",
								 e->path && e->path[0] ? e->path : "/", e->message);
			}
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("payload does not match the payload schema of workflow \"%s\"", name),
					 errdetail("%s", buf.data)));
		}
	}
	if (!has_actor)
	{
		d = wf_result(4, &isnull);
		if (!isnull)
		{
			has_actor = true;
			actor = *DatumGetUUIDP(d);
		}
	}
	if (req->has_parent && req->call_depth > algawf_max_call_depth)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("workflow calls are nested more than %d deep", algawf_max_call_depth),
				 errhint("Raise algawf.max_call_depth, or check the workflows for recursion.")));

	memset(n, ' ', sizeof(n));
	v[0] = UUIDPGetDatum(&req->tenant);
	v[1] = UUIDPGetDatum(&run_id);
	v[2] = UUIDPGetDatum(&req->workflow_id);
	v[3] = Int32GetDatum(version);
	v[4] = JsonbPGetDatum(req->payload);
	v[5] = CStringGetTextDatum(req->trigger_type ? req->trigger_type : "manual");
	if (req->has_event_id)
		v[6] = UUIDPGetDatum(&req->event_id);
	else
		n[6] = 'n';
	if (req->fire_key)
		v[7] = CStringGetTextDatum(req->fire_key);
	else
		n[7] = 'n';
	if (req->trigger_metadata)
		v[8] = JsonbPGetDatum(req->trigger_metadata);
	else
		n[8] = 'n';
	if (req->has_parent)
	{
		v[9] = UUIDPGetDatum(&req->parent_run_id);
		v[10] = CStringGetTextDatum(req->parent_step_path ? req->parent_step_path : "");
		v[11] = UUIDPGetDatum(&req->root_run_id);
	}
	else
	{
		n[9] = n[10] = 'n';
		v[11] = UUIDPGetDatum(&run_id);
	}
	v[12] = Int32GetDatum(req->call_depth);
	if (has_actor)
		v[13] = UUIDPGetDatum(&actor);
	else
		n[13] = 'n';
	wf_stmt_exec(&st_run_insert, v, n, false, 0);
	return run_id;
}

/* ---- event.wait filters (Alga's operators) ------------------------------- */

static bool
is_scalar(const Jv *v)
{
	return v->type == JV_NULL || v->type == JV_STRING || v->type == JV_NUMBER || v->type == JV_BOOL;
}

static bool
strict_equal(const Jv *a, const Jv *b)
{
	if (a->type != b->type || !is_scalar(a))
		return false;
	return jv_equal(a, b);
}

static int
jv_strcmp(const Jv *a, const Jv *b)
{
	size_t		n = Min(a->u.str.len, b->u.str.len);
	int			c = memcmp(a->u.str.s, b->u.str.s, n);

	if (c != 0)
		return c;
	return a->u.str.len < b->u.str.len ? -1 : a->u.str.len > b->u.str.len ? 1 : 0;
}

static bool
filter_clause(const Jv *payload, const Jv *f)
{
	const Jv   *pathv = jv_get(f, "path");
	const Jv   *opv = jv_get(f, "op");
	const Jv   *want = jv_get(f, "value");
	const Jv   *cur = payload;
	char		op[16];
	size_t		start = 0;
	bool		found = true;
	const char *p;
	size_t		len;

	if (pathv == NULL || pathv->type != JV_STRING || opv == NULL || opv->type != JV_STRING ||
		opv->u.str.len >= sizeof(op))
		return false;
	memcpy(op, opv->u.str.s, opv->u.str.len);
	op[opv->u.str.len] = '\0';
	p = pathv->u.str.s;
	len = pathv->u.str.len;
	while (start <= len && found)
	{
		size_t		end = start;
		size_t		a,
					b;

		while (end < len && p[end] != '.')
			end++;
		a = start;
		b = end;
		while (a < b && p[a] == ' ')
			a++;
		while (b > a && p[b - 1] == ' ')
			b--;
		if (b > a)
		{
			if (cur == NULL || cur->type != JV_OBJECT)
				found = false;
			else
			{
				cur = jv_object_get(cur, p + a, b - a);
				if (cur == NULL)
					found = false;
			}
		}
		start = end + 1;
	}
	if (strcmp(op, "exists") == 0)
		return found && is_scalar(cur);
	if (strcmp(op, "not_exists") == 0)
		return !found || !is_scalar(cur);
	if (!found || !is_scalar(cur))
		return false;
	if (strcmp(op, "in") == 0 || strcmp(op, "not_in") == 0)
	{
		bool		inc = false;
		size_t		i;

		if (want == NULL || want->type != JV_ARRAY)
			return false;
		for (i = 0; i < want->u.arr.n && !inc; i++)
			inc = strict_equal(cur, want->u.arr.items[i]);
		return strcmp(op, "in") == 0 ? inc : !inc;
	}
	if (strcmp(op, "=") == 0 || strcmp(op, "!=") == 0)
	{
		bool		eq = want != NULL && strict_equal(cur, want);

		return strcmp(op, "=") == 0 ? eq : !eq;
	}
	if (strcmp(op, "contains") == 0 || strcmp(op, "starts_with") == 0 || strcmp(op, "ends_with") == 0)
	{
		if (cur->type != JV_STRING || want == NULL || want->type != JV_STRING)
			return false;
		if (strcmp(op, "contains") == 0)
			return want->u.str.len == 0 ||
				memmem(cur->u.str.s, cur->u.str.len, want->u.str.s, want->u.str.len) != NULL;
		if (want->u.str.len > cur->u.str.len)
			return false;
		if (strcmp(op, "starts_with") == 0)
			return memcmp(cur->u.str.s, want->u.str.s, want->u.str.len) == 0;
		return memcmp(cur->u.str.s + cur->u.str.len - want->u.str.len, want->u.str.s, want->u.str.len) == 0;
	}
	if (want == NULL || !((cur->type == JV_NUMBER && want->type == JV_NUMBER) ||
						  (cur->type == JV_STRING && want->type == JV_STRING)))
		return false;
	{
		int			c;

		if (cur->type == JV_NUMBER)
			c = cur->u.num < want->u.num ? -1 : cur->u.num > want->u.num ? 1 : 0;
		else
			c = jv_strcmp(cur, want);
		if (strcmp(op, ">") == 0)
			return c > 0;
		if (strcmp(op, ">=") == 0)
			return c >= 0;
		if (strcmp(op, "<") == 0)
			return c < 0;
		if (strcmp(op, "<=") == 0)
			return c <= 0;
	}
	return false;
}

bool
wf_event_filters_match(const Jv *filters, const Jv *payload)
{
	size_t		i;

	if (filters == NULL || filters->type != JV_ARRAY)
		return true;
	for (i = 0; i < filters->u.arr.n; i++)
		if (!filter_clause(payload, filters->u.arr.items[i]))
			return false;
	return true;
}
