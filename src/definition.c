/*
 * definition.c — parse a workflow definition into WfDef, check it for
 * publishing, and cache published versions per backend.
 *
 * Parsing is lenient where Alga's designer is (unknown fields are ignored and
 * kept; literals are accepted where Alga wants {"$expr"}) and strict where the
 * runtime would otherwise misbehave.  Every problem is recorded with the step
 * path and one of Alga's codes; parsing goes on so that publishing reports all
 * of them at once.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "definition.h"
#include "dispatch.h"
#include "expr_pg.h"
#include "guc.h"
#include "jval_pg.h"
#include "jvutil.h"

typedef struct ParseCtx
{
	WfDef	   *def;
	List	  **problems;
	HTAB	   *ids;
	List	   *all;			/* WfStep * */
} ParseCtx;

typedef struct IdEntry
{
	char		key[NAMEDATALEN * 4];
} IdEntry;

/* every expression of the definition with where it is, for wf_check */
typedef struct ExprRef
{
	const char *path;
	const char *what;
	const char *src;
} ExprRef;


/* ---- small helpers ------------------------------------------------------- */

Jv *
jv_get(const Jv *obj, const char *key)
{
	if (obj == NULL || obj->type != JV_OBJECT)
		return NULL;
	return jv_object_get(obj, key, strlen(key));
}

char *
jv_cstring(const Jv *v)
{
	if (v == NULL || v->type != JV_STRING)
		return NULL;
	return pnstrdup(v->u.str.s, v->u.str.len);
}

static bool
jv_is_int(const Jv *v, int64 min, int64 max, int64 *out)
{
	if (v == NULL || v->type != JV_NUMBER)
		return false;
	if (!isfinite(v->u.num) || floor(v->u.num) != v->u.num)
		return false;
	if (v->u.num < (double) min || v->u.num > (double) max)
		return false;
	if (out)
		*out = (int64) v->u.num;
	return true;
}

static bool
jv_is_expr(const Jv *v)
{
	return v && v->type == JV_OBJECT && jv_get(v, "$expr") != NULL;
}

static bool
jv_is_secret(const Jv *v)
{
	Jv		   *s = jv_get(v, "$secret");

	return s != NULL && s->type == JV_STRING;
}

static void
problem(ParseCtx *pc, const char *severity, const char *path, const char *code,
		const char *fmt,...)
	pg_attribute_printf(5, 6);

static void
problem(ParseCtx *pc, const char *severity, const char *path, const char *code,
		const char *fmt,...)
{
	StringInfoData buf;
	WfProblem  *p;
	va_list		args;

	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	if (pc->problems == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("published workflow definition is invalid at %s: %s: %s", path, code, buf.data)));
	p = palloc(sizeof(WfProblem));
	p->severity = severity;
	p->path = pstrdup(path);
	p->code = code;
	p->message = buf.data;
	*pc->problems = lappend(*pc->problems, p);
}

#define ERR(pc, path, code, ...) problem(pc, "error", path, code, __VA_ARGS__)

const char *
wf_branch_name(WfBranch b)
{
	switch (b)
	{
		case WB_ROOT:
			return "root";
		case WB_THEN:
			return "then";
		case WB_ELSE:
			return "else";
		case WB_TRY:
			return "try";
		case WB_CATCH:
			return "catch";
		case WB_BODY:
			return "body";
	}
	return "?";
}

static const struct
{
	const char *name;
	WfStepKind	kind;
}			step_kinds[] =
{
	{"action.call", WS_ACTION_CALL},
	{"transform.assign", WS_ASSIGN},
	{"state.set", WS_STATE_SET},
	{"control.if", WS_IF},
	{"control.forEach", WS_FOREACH},
	{"control.tryCatch", WS_TRYCATCH},
	{"control.callWorkflow", WS_CALL_WORKFLOW},
	{"control.return", WS_RETURN},
	{"time.wait", WS_TIME_WAIT},
	{"event.wait", WS_EVENT_WAIT},
	{"human.task", WS_HUMAN_TASK},
	{NULL, WS_UNKNOWN}
};

const char *
wf_step_kind_name(WfStepKind k)
{
	int			i;

	for (i = 0; step_kinds[i].name; i++)
		if (step_kinds[i].kind == k)
			return step_kinds[i].name;
	return "unknown";
}

ActionErrorCategory
wf_category_from_name(const char *name)
{
	if (name == NULL)
		return AEC_NONE;
	if (strcmp(name, "ValidationError") == 0)
		return AEC_VALIDATION;
	if (strcmp(name, "ExpressionError") == 0)
		return AEC_EXPRESSION;
	if (strcmp(name, "TransientError") == 0)
		return AEC_TRANSIENT;
	if (strcmp(name, "ActionError") == 0)
		return AEC_ACTION;
	if (strcmp(name, "TimeoutError") == 0)
		return AEC_TIMEOUT;
	if (strcmp(name, "Cancellation") == 0)
		return AEC_CANCELLATION;
	return AEC_NONE;
}

/* ---- assignment paths ---------------------------------------------------- */

bool
wf_assign_path_valid(const char *path, const char **why)
{
	const char *p;
	const char *seg;

	if (path == NULL || path[0] == '\0')
	{
		*why = "Assignment path must be a non-empty string";
		return false;
	}
	if (!(strncmp(path, "payload.", 8) == 0 || strncmp(path, "vars.", 5) == 0 ||
		  strncmp(path, "meta.", 5) == 0 || strncmp(path, "error.", 6) == 0 ||
		  path[0] == '/'))
	{
		*why = psprintf("Assignment path must be scoped (payload/vars/meta/error or JSON pointer): %s", path);
		return false;
	}
	/* every segment after the root; '.' and '/' both separate */
	p = path[0] == '/' ? path + 1 : strchr(path, '.') + 1;
	if (*p == '\0')
	{
		*why = psprintf("Assignment path has no key after its root: %s", path);
		return false;
	}
	seg = p;
	{
		int			nseg = 1;
		const char *q;

		for (q = p; *q; q++)
			if (*q == '.' || *q == '/')
				nseg++;
		if (nseg > 64)
		{
			*why = psprintf("Assignment path has more than 64 segments: %.40s...", path);
			return false;
		}
	}
	for (;; p++)
	{
		if (*p == '.' || *p == '/' || *p == '\0')
		{
			size_t		n = p - seg;

			if ((n == 9 && strncmp(seg, "__proto__", 9) == 0) ||
				(n == 9 && strncmp(seg, "prototype", 9) == 0) ||
				(n == 11 && strncmp(seg, "constructor", 11) == 0))
			{
				*why = psprintf("Assignment path contains forbidden segment: %.*s", (int) n, seg);
				return false;
			}
			if (*p == '\0')
				break;
			seg = p + 1;
		}
	}
	return true;
}

char *
wf_normalize_save_as(const char *path)
{
	while (*path == ' ')
		path++;
	if (strncmp(path, "payload.", 8) == 0 || strncmp(path, "vars.", 5) == 0 ||
		strncmp(path, "meta.", 5) == 0 || strncmp(path, "error.", 6) == 0 || path[0] == '/')
		return pstrdup(path);
	return psprintf("vars.%s", path);
}

/* ---- expressions and mappings ------------------------------------------- */

static void
note_expr(ParseCtx *pc, const char *path, const char *what, const char *src)
{
	ExprRef    *r;

	if (pc->problems == NULL)
		return;
	r = palloc(sizeof(ExprRef));
	r->path = path;
	r->what = what;
	r->src = src;
	pc->def->exprs = lappend(pc->def->exprs, r);
}

/*
 * An expression position: {"$expr": "..."} or (leniently) a literal.  NULL
 * when absent and not required.
 */
static WfExpr *
parse_expr(ParseCtx *pc, Jv *v, const char *path, const char *what, bool required, bool literal_ok)
{
	WfExpr	   *e;

	if (v == NULL)
	{
		if (required)
			ERR(pc, path, "INVALID_CONFIG", "%s is required", what);
		return NULL;
	}
	e = palloc0(sizeof(WfExpr));
	if (jv_is_expr(v))
	{
		Jv		   *src = jv_get(v, "$expr");

		if (src->type != JV_STRING)
		{
			ERR(pc, path, "INVALID_CONFIG", "%s: \"$expr\" must be a string", what);
			return NULL;
		}
		e->src = jv_cstring(src);
		if (e->src[0] == '\0' || strspn(e->src, " \t\r\n") == strlen(e->src))
		{
			ERR(pc, path, "INVALID_EXPR", "%s: expression is empty", what);
			return NULL;
		}
		note_expr(pc, path, what, e->src);
		return e;
	}
	if (!literal_ok)
	{
		ERR(pc, path, "INVALID_CONFIG", "%s must be an expression ({\"$expr\": \"...\"})", what);
		return NULL;
	}
	e->literal = v;
	return e;
}

/* collect $expr inside a mapping value (recursively) */
static void
note_mapping_exprs(ParseCtx *pc, Jv *v, const char *path, const char *what)
{
	size_t		i;

	if (v == NULL)
		return;
	if (jv_is_expr(v))
	{
		parse_expr(pc, v, path, what, false, false);
		return;
	}
	if (jv_get(v, "$secret") != NULL)
	{
		if (!jv_is_secret(v) || jv_get(v, "$secret")->u.str.len == 0)
			ERR(pc, path, "INVALID_CONFIG", "%s: \"$secret\" must name a secret", what);
		return;
	}
	if (v->type == JV_ARRAY)
		for (i = 0; i < v->u.arr.n; i++)
			note_mapping_exprs(pc, v->u.arr.items[i], path, what);
	else if (v->type == JV_OBJECT)
		for (i = 0; i < v->u.obj.n; i++)
			note_mapping_exprs(pc, v->u.obj.pairs[i].val, path,
							   psprintf("%s.%.*s", what, (int) v->u.obj.pairs[i].klen, v->u.obj.pairs[i].key));
}

/*
 * key -> expression map (assign, outputMapping, contextData, callWorkflow's
 * inputMapping).  check_paths: keys are assignment paths.
 */
static void
parse_assign_list(ParseCtx *pc, Jv *obj, const char *path, const char *what,
				  bool check_paths, WfAssignList *out)
{
	size_t		i;

	memset(out, 0, sizeof(*out));
	if (obj == NULL)
		return;
	if (obj->type != JV_OBJECT)
	{
		ERR(pc, path, "INVALID_CONFIG", "%s must be an object", what);
		return;
	}
	out->n = obj->u.obj.n;
	out->keys = palloc0(sizeof(char *) * (out->n + 1));
	out->exprs = palloc0(sizeof(WfExpr *) * (out->n + 1));
	for (i = 0; i < obj->u.obj.n; i++)
	{
		JvPair	   *p = &obj->u.obj.pairs[i];
		char	   *key = pnstrdup(p->key, p->klen);
		const char *why;

		out->keys[i] = key;
		if (check_paths && !wf_assign_path_valid(key, &why))
			ERR(pc, path, "INVALID_ASSIGN_PATH", "%s", why);
		out->exprs[i] = parse_expr(pc, p->val, path, psprintf("%s[\"%s\"]", what, key), true, true);
	}
}

static void
parse_retry(ParseCtx *pc, Jv *r, const char *path, WfRetry *out)
{
	int64		n;
	Jv		   *v;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return;
	if (r->type != JV_OBJECT)
	{
		ERR(pc, path, "INVALID_CONFIG", "retry must be an object");
		return;
	}
	out->present = true;
	out->multiplier = 2;
	out->jitter = true;
	if (!jv_is_int(jv_get(r, "maxAttempts"), 1, 1000, &n))
		ERR(pc, path, "INVALID_CONFIG", "retry.maxAttempts must be an integer between 1 and 1000");
	else
		out->max_attempts = (int) n;
	if (!jv_is_int(jv_get(r, "backoffMs"), 0, INT_MAX, &n))
		ERR(pc, path, "INVALID_CONFIG", "retry.backoffMs must be a non-negative integer");
	else
		out->backoff_ms = (int) n;
	v = jv_get(r, "backoffMultiplier");
	if (v)
	{
		if (v->type != JV_NUMBER || !(v->u.num > 0) || !isfinite(v->u.num))
			ERR(pc, path, "INVALID_CONFIG", "retry.backoffMultiplier must be a positive number");
		else
			out->multiplier = v->u.num;
	}
	v = jv_get(r, "jitter");
	if (v)
	{
		if (v->type != JV_BOOL)
			ERR(pc, path, "INVALID_CONFIG", "retry.jitter must be a boolean");
		else
			out->jitter = v->u.b;
	}
	v = jv_get(r, "maxDelayMs");
	if (v)
	{
		if (!jv_is_int(v, 1, INT_MAX, &n))
			ERR(pc, path, "INVALID_CONFIG", "retry.maxDelayMs must be a positive integer");
		else
			out->max_delay_ms = (int) n;
	}
	v = jv_get(r, "retryOn");
	if (v)
	{
		size_t		i;

		if (v->type != JV_ARRAY)
			ERR(pc, path, "INVALID_CONFIG", "retry.retryOn must be an array of error categories");
		else
			for (i = 0; i < v->u.arr.n; i++)
			{
				char	   *c = jv_cstring(v->u.arr.items[i]);
				ActionErrorCategory cat = wf_category_from_name(c);

				if (cat == AEC_NONE || cat == AEC_CANCELLATION)
					ERR(pc, path, "INVALID_CONFIG",
						"retry.retryOn: unknown error category %s (expected ValidationError, ExpressionError, TransientError, ActionError or TimeoutError)",
						c ? c : "(not a string)");
				else
					out->retry_on |= WF_CAT_BIT(cat);
			}
	}
}

static void
parse_on_error(ParseCtx *pc, Jv *v, const char *path, bool *out)
{
	Jv		   *p;

	if (v == NULL)
		return;
	p = jv_get(v, "policy");
	if (v->type != JV_OBJECT || p == NULL || p->type != JV_STRING)
	{
		ERR(pc, path, "INVALID_CONFIG", "onError must be {\"policy\": \"fail\" | \"continue\"}");
		return;
	}
	if (p->u.str.len == 8 && memcmp(p->u.str.s, "continue", 8) == 0)
		*out = true;
	else if (p->u.str.len == 4 && memcmp(p->u.str.s, "fail", 4) == 0)
		*out = false;
	else
		ERR(pc, path, "INVALID_CONFIG", "onError.policy must be \"fail\" or \"continue\"");
}

static const char *
opt_string_code(ParseCtx *pc, Jv *obj, const char *key, const char *path, const char *what,
				bool required, const char *code)
{
	Jv		   *v = jv_get(obj, key);

	if (v == NULL)
	{
		if (required)
			ERR(pc, path, code, "%s is required", what);
		return NULL;
	}
	if (v->type != JV_STRING || v->u.str.len == 0)
	{
		ERR(pc, path, code, "%s must be a non-empty string", what);
		return NULL;
	}
	return jv_cstring(v);
}

static const char *
opt_string(ParseCtx *pc, Jv *obj, const char *key, const char *path, const char *what, bool required)
{
	return opt_string_code(pc, obj, key, path, what, required, "INVALID_CONFIG");
}

static int64
opt_int(ParseCtx *pc, Jv *obj, const char *key, const char *path, const char *what, int64 min, int64 max)
{
	Jv		   *v = jv_get(obj, key);
	int64		n;

	if (v == NULL)
		return 0;
	if (!jv_is_int(v, min, max, &n))
	{
		if (max >= INT_MAX)
			ERR(pc, path, "INVALID_CONFIG", "%s must be a %s integer", what, min > 0 ? "positive" : "non-negative");
		else
			ERR(pc, path, "INVALID_CONFIG", "%s must be an integer between " INT64_FORMAT " and " INT64_FORMAT,
				what, min, max);
		return 0;
	}
	return n;
}

/* ---- steps --------------------------------------------------------------- */

static WfStep *parse_step(ParseCtx *pc, Jv *js, const char *path, WfStep *parent,
						  WfBranch br, int pos, int depth);

static void
parse_block(ParseCtx *pc, Jv *arr, WfStep *owner, WfBranch br, int depth, bool required,
			WfBlock *out)
{
	const char *owner_path = owner ? owner->path : "root";
	size_t		i;

	out->n = 0;
	out->steps = NULL;
	if (arr == NULL)
	{
		if (required)
			ERR(pc, owner_path, owner ? "INVALID_CONFIG" : "INVALID_WORKFLOW_DEFINITION",
				"%s must be an array of steps", br == WB_ROOT ? "steps" : wf_branch_name(br));
		return;
	}
	if (arr->type != JV_ARRAY)
	{
		ERR(pc, owner_path, owner ? "INVALID_CONFIG" : "INVALID_WORKFLOW_DEFINITION",
			"%s must be an array of steps", br == WB_ROOT ? "steps" : wf_branch_name(br));
		return;
	}
	if (depth > 64)
	{
		ERR(pc, owner_path, "INVALID_WORKFLOW_DEFINITION", "steps are nested more than 64 levels deep");
		return;
	}
	out->steps = palloc0(sizeof(WfStep *) * (arr->u.arr.n + 1));
	for (i = 0; i < arr->u.arr.n; i++)
	{
		char	   *path = br == WB_ROOT ? psprintf("root.steps[%d]", (int) i)
			: psprintf("%s.%s.steps[%d]", owner_path, wf_branch_name(br), (int) i);
		WfStep	   *s = parse_step(pc, arr->u.arr.items[i], path, owner, br, (int) i, depth);

		if (s)
			out->steps[out->n++] = s;
	}
}

static const char *const filter_ops[] = {
	"=", "!=", "in", "not_in", "exists", "not_exists", "contains", "starts_with",
	"ends_with", ">", ">=", "<", "<=", NULL
};

static void
parse_filters(ParseCtx *pc, Jv *f, const char *path, WfStep *s)
{
	size_t		i;

	if (f == NULL)
		return;
	if (f->type != JV_ARRAY)
	{
		ERR(pc, path, "INVALID_CONFIG", "filters must be an array of {path, op, value}");
		return;
	}
	for (i = 0; i < f->u.arr.n; i++)
	{
		Jv		   *c = f->u.arr.items[i];
		Jv		   *op = jv_get(c, "op");
		Jv		   *p = jv_get(c, "path");
		bool		ok = false;
		int			k;

		if (c->type != JV_OBJECT || p == NULL || p->type != JV_STRING || p->u.str.len == 0)
		{
			ERR(pc, path, "INVALID_CONFIG", "filters[%d].path must be a non-empty string", (int) i);
			continue;
		}
		if (op && op->type == JV_STRING)
			for (k = 0; filter_ops[k]; k++)
				if (strlen(filter_ops[k]) == op->u.str.len &&
					memcmp(filter_ops[k], op->u.str.s, op->u.str.len) == 0)
					ok = true;
		if (!ok)
			ERR(pc, path, "INVALID_CONFIG",
				"filters[%d].op must be one of =, !=, in, not_in, exists, not_exists, contains, starts_with, ends_with, >, >=, <, <=",
				(int) i);
		else if ((op->u.str.len == 2 && memcmp(op->u.str.s, "in", 2) == 0) ||
				 (op->u.str.len == 6 && memcmp(op->u.str.s, "not_in", 6) == 0))
		{
			Jv		   *val = jv_get(c, "value");

			if (val == NULL || val->type != JV_ARRAY)
				ERR(pc, path, "INVALID_CONFIG", "filters[%d].value must be an array for op %.*s",
					(int) i, (int) op->u.str.len, op->u.str.s);
		}
	}
	s->filters = f;
}

static void
parse_node_config(ParseCtx *pc, WfStep *s)
{
	Jv		   *c = s->config;
	const char *path = s->path;

	if (c != NULL && c->type != JV_OBJECT)
	{
		ERR(pc, path, "INVALID_CONFIG", "config must be an object");
		c = s->config = NULL;
	}
	switch (s->kind)
	{
		case WS_ACTION_CALL:
			{
				Jv		   *id = jv_get(c, "actionId");
				Jv		   *im;
				int64		ver;

				if (id == NULL || id->type != JV_STRING || id->u.str.len == 0 ||
					!jv_is_int(jv_get(c, "version"), 1, INT_MAX, &ver))
					ERR(pc, path, "INVALID_ACTION_CONFIG", "action.call requires actionId and version");
				else
				{
					s->action_id = jv_cstring(id);
					s->action_version = (int) ver;
				}
				im = jv_get(c, "inputMapping");
				if (im && im->type != JV_OBJECT)
					ERR(pc, path, "INVALID_ACTION_CONFIG", "inputMapping must be an object");
				else
				{
					s->input_mapping = im;
					note_mapping_exprs(pc, im, path, "inputMapping");
				}
				if (jv_get(c, "saveAs"))
				{
					const char *sa = opt_string(pc, c, "saveAs", path, "saveAs", false);
					const char *why;

					if (sa)
					{
						s->save_as = wf_normalize_save_as(sa);
						if (!wf_assign_path_valid(s->save_as, &why))
							ERR(pc, path, "INVALID_ASSIGN_PATH", "saveAs: %s", why);
					}
				}
				s->idempotency_key = parse_expr(pc, jv_get(c, "idempotencyKey"), path, "idempotencyKey", false, true);
				if (jv_get(c, "onError"))
					parse_on_error(pc, jv_get(c, "onError"), path, &s->on_error_continue);
				if (jv_get(c, "timeoutMs"))
					s->timeout_ms = (int) opt_int(pc, c, "timeoutMs", path, "timeoutMs", 1, INT_MAX);
				break;
			}
		case WS_ASSIGN:
			if (jv_get(c, "assign") == NULL)
				ERR(pc, path, "INVALID_CONFIG", "transform.assign requires config.assign");
			parse_assign_list(pc, jv_get(c, "assign"), path, "assign", true, &s->assign);
			break;
		case WS_STATE_SET:
			s->state = opt_string(pc, c, "state", path, "config.state", true);
			break;
		case WS_TIME_WAIT:
			{
				const char *mode = opt_string(pc, c, "mode", path, "config.mode", false);
				Jv		   *d = jv_get(c, "durationMs");
				Jv		   *u = jv_get(c, "until");

				if (mode == NULL)
					mode = u && !d ? "until" : "duration";
				if (strcmp(mode, "duration") == 0)
				{
					if (jv_is_expr(d))
						s->duration_expr = parse_expr(pc, d, path, "durationMs", true, false);
					else if (!jv_is_int(d, 0, INT64CONST(1) << 50, &s->duration_ms))
						ERR(pc, path, "INVALID_CONFIG", "time.wait (duration) requires durationMs, a non-negative integer or an expression");
				}
				else if (strcmp(mode, "until") == 0)
				{
					s->until_mode = true;
					if (u && u->type == JV_STRING)
						s->until_literal = jv_cstring(u);
					else
						s->until_expr = parse_expr(pc, u, path, "until", true, false);
				}
				else
					ERR(pc, path, "INVALID_CONFIG", "time.wait mode must be \"duration\" or \"until\"");
				break;
			}
		case WS_EVENT_WAIT:
			s->event_name = opt_string(pc, c, "eventName", path, "config.eventName", true);
			s->correlation_key = parse_expr(pc, jv_get(c, "correlationKey"), path, "correlationKey", true, true);
			parse_filters(pc, jv_get(c, "filters"), path, s);
			s->wait_timeout_ms = opt_int(pc, c, "timeoutMs", path, "config.timeoutMs", 1, INT64CONST(1) << 50);
			parse_assign_list(pc, jv_get(c, "assign"), path, "assign", true, &s->assign);
			break;
		case WS_HUMAN_TASK:
			{
				Jv		   *a = jv_get(c, "assignee");

				s->task_type = opt_string(pc, c, "taskType", path, "config.taskType", true);
				s->title = parse_expr(pc, jv_get(c, "title"), path, "title", true, true);
				s->description = parse_expr(pc, jv_get(c, "description"), path, "description", false, true);
				parse_assign_list(pc, jv_get(c, "contextData"), path, "contextData", false, &s->context_data);
				parse_assign_list(pc, jv_get(c, "assign"), path, "assign", true, &s->assign);
				s->expires_in_ms = opt_int(pc, c, "expiresInMs", path, "config.expiresInMs", 1, INT64CONST(1) << 50);
				if (a)
				{
					const char *t = opt_string(pc, a, "type", path, "assignee.type", true);
					Jv		   *id = jv_get(a, "id");

					if (a->type != JV_OBJECT)
						ERR(pc, path, "INVALID_CONFIG", "assignee must be {\"type\": \"user\" | \"role\", \"id\": ...}");
					else if (t && strcmp(t, "user") != 0 && strcmp(t, "role") != 0)
						ERR(pc, path, "INVALID_CONFIG", "assignee.type must be \"user\" or \"role\"");
					else
						s->assignee_type = t;
					if (id == NULL)
						ERR(pc, path, "INVALID_CONFIG", "assignee.id is required");
					else if (jv_is_expr(id))
						s->assignee_expr = parse_expr(pc, id, path, "assignee.id", true, false);
					else if (id->type == JV_STRING && id->u.str.len > 0)
						s->assignee_id = jv_cstring(id);
					else
						ERR(pc, path, "INVALID_CONFIG", "assignee.id must be a user/role id, a role name or an expression");
				}
				else if (s->task_type && strcmp(s->task_type, "approval") == 0)
					ERR(pc, path, "INVALID_CONFIG", "an approval task requires config.assignee {type: \"user\" | \"role\", id}");
				break;
			}
		default:
			break;
	}
}

static WfStep *
parse_step(ParseCtx *pc, Jv *js, const char *path, WfStep *parent, WfBranch br, int pos, int depth)
{
	WfStep	   *s;
	Jv		   *v;
	int			i;

	CHECK_FOR_INTERRUPTS();
	if (js == NULL || js->type != JV_OBJECT)
	{
		ERR(pc, path, "INVALID_WORKFLOW_DEFINITION", "a step must be an object");
		return NULL;
	}
	s = palloc0(sizeof(WfStep));
	s->path = path;
	s->parent = parent;
	s->branch = br;
	s->position = pos;
	s->depth = depth;
	s->json = js;

	v = jv_get(js, "id");
	if (v == NULL || v->type != JV_STRING || v->u.str.len == 0)
	{
		ERR(pc, path, "INVALID_WORKFLOW_DEFINITION", "step id is required (a non-empty string)");
		s->id = "";
	}
	else
	{
		bool		found;
		IdEntry    *e;

		s->id = jv_cstring(v);
		if (strlen(s->id) < sizeof(e->key))
		{
			e = hash_search(pc->ids, s->id, HASH_ENTER, &found);
			if (found)
				ERR(pc, path, "DUPLICATE_STEP_ID", "Duplicate step id %s", s->id);
		}
	}
	v = jv_get(js, "type");
	if (v == NULL || v->type != JV_STRING || v->u.str.len == 0)
	{
		ERR(pc, path, "INVALID_WORKFLOW_DEFINITION", "step type is required (a non-empty string)");
		s->type = "";
	}
	else
		s->type = jv_cstring(v);
	v = jv_get(js, "name");
	if (v && v->type == JV_STRING)
		s->name = jv_cstring(v);
	for (i = 0; step_kinds[i].name; i++)
		if (strcmp(step_kinds[i].name, s->type) == 0)
			s->kind = step_kinds[i].kind;
	pc->all = lappend(pc->all, s);

	parse_retry(pc, jv_get(js, "retry"), path, &s->retry);
	parse_on_error(pc, jv_get(js, "onError"), path, &s->on_error_continue);
	if (jv_get(js, "timeoutMs"))
		s->timeout_ms = (int) opt_int(pc, js, "timeoutMs", path, "timeoutMs", 1, INT_MAX);
	s->config = jv_get(js, "config");

	switch (s->kind)
	{
		case WS_IF:
			s->condition = parse_expr(pc, jv_get(js, "condition"), path, "condition", true, true);
			parse_block(pc, jv_get(js, "then"), s, WB_THEN, depth + 1, true, &s->then_block);
			parse_block(pc, jv_get(js, "else"), s, WB_ELSE, depth + 1, false, &s->else_block);
			break;
		case WS_FOREACH:
			s->items = parse_expr(pc, jv_get(js, "items"), path, "items", true, true);
			s->item_var = opt_string(pc, js, "itemVar", path, "itemVar", true);
			parse_block(pc, jv_get(js, "body"), s, WB_BODY, depth + 1, true, &s->body);
			v = jv_get(js, "onItemError");
			if (v)
			{
				char	   *p = jv_cstring(v);

				if (p && strcmp(p, "continue") == 0)
					s->item_error_continue = true;
				else if (p == NULL || strcmp(p, "fail") != 0)
					ERR(pc, path, "INVALID_CONFIG", "onItemError must be \"fail\" or \"continue\"");
			}
			if (jv_get(js, "concurrency"))
				opt_int(pc, js, "concurrency", path, "concurrency", 1, 1000);
			break;
		case WS_TRYCATCH:
			parse_block(pc, jv_get(js, "try"), s, WB_TRY, depth + 1, true, &s->try_block);
			parse_block(pc, jv_get(js, "catch"), s, WB_CATCH, depth + 1, false, &s->catch_block);
			s->capture_as = opt_string(pc, js, "captureErrorAs", path, "captureErrorAs", false);
			break;
		case WS_CALL_WORKFLOW:
			s->workflow_ref = opt_string(pc, js, "workflowId", path, "workflowId", true);
			s->workflow_version = (int) opt_int(pc, js, "workflowVersion", path, "workflowVersion", 1, INT_MAX);
			parse_assign_list(pc, jv_get(js, "inputMapping"), path, "inputMapping", false, &s->input_map);
			parse_assign_list(pc, jv_get(js, "outputMapping"), path, "outputMapping", false, &s->output_map);
			for (i = 0; i < s->output_map.n; i++)
			{
				const char *k = s->output_map.keys[i];
				const char *why;

				/* unscoped keys go to payload, as in Alga */
				if (!(strncmp(k, "payload.", 8) == 0 || strncmp(k, "vars.", 5) == 0 ||
					  strncmp(k, "meta.", 5) == 0 || strncmp(k, "error.", 6) == 0 || k[0] == '/'))
					k = s->output_map.keys[i] = psprintf("payload.%s", k);
				if (!wf_assign_path_valid(k, &why))
					ERR(pc, path, "INVALID_ASSIGN_PATH", "outputMapping: %s", why);
			}
			break;
		case WS_RETURN:
			break;
		case WS_UNKNOWN:
			ERR(pc, path, "UNKNOWN_NODE_TYPE", "Unknown node type: %s", s->type);
			break;
		default:
			parse_node_config(pc, s);
			break;
	}
	return s;
}

static void
parse_trigger(ParseCtx *pc, Jv *t)
{
	const char *type;

	if (t == NULL || t->type == JV_NULL)
		return;
	if (t->type != JV_OBJECT)
	{
		ERR(pc, "root.trigger", "INVALID_WORKFLOW_DEFINITION", "trigger must be an object");
		return;
	}
	type = jv_cstring(jv_get(t, "type"));
	if (type == NULL)
		ERR(pc, "root.trigger", "INVALID_WORKFLOW_DEFINITION", "trigger.type is required (event, schedule or recurring)");
	else if (strcmp(type, "event") == 0)
	{
		if (opt_string_code(pc, t, "eventName", "root.trigger", "trigger.eventName", true,
							"INVALID_WORKFLOW_DEFINITION") == NULL)
			return;
		if (jv_get(t, "payloadMapping"))
		{
			if (jv_get(t, "payloadMapping")->type != JV_OBJECT)
				ERR(pc, "root.trigger", "INVALID_WORKFLOW_DEFINITION", "trigger.payloadMapping must be an object");
			else
				note_mapping_exprs(pc, jv_get(t, "payloadMapping"), "root.trigger", "payloadMapping");
		}
	}
	else if (strcmp(type, "schedule") == 0)
		opt_string_code(pc, t, "runAt", "root.trigger", "trigger.runAt", true, "INVALID_WORKFLOW_DEFINITION");
	else if (strcmp(type, "recurring") == 0)
	{
		opt_string_code(pc, t, "cron", "root.trigger", "trigger.cron", true, "INVALID_WORKFLOW_DEFINITION");
		opt_string_code(pc, t, "timezone", "root.trigger", "trigger.timezone", true, "INVALID_WORKFLOW_DEFINITION");
	}
	else
		ERR(pc, "root.trigger", "INVALID_WORKFLOW_DEFINITION",
			"trigger.type must be event, schedule or recurring, not %s", type);
}

WfDef *
wf_parse(Jsonb *definition, int funcset, List **problems, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "algawf definition", ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	WfDef	   *def = palloc0(sizeof(WfDef));
	ParseCtx	pc;
	HASHCTL		hctl;
	Jsonb	   *copy;
	Jv		   *v;
	ListCell   *lc;
	int			i;

	def->cxt = cxt;
	def->funcset = funcset;
	jv_arena_init_pg(&def->arena, cxt);
	copy = palloc(VARSIZE(definition));
	memcpy(copy, definition, VARSIZE(definition));
	def->json = jv_from_jsonb(&def->arena, copy);

	memset(&pc, 0, sizeof(pc));
	pc.def = def;
	pc.problems = problems;
	memset(&hctl, 0, sizeof(hctl));
	hctl.keysize = sizeof(((IdEntry *) 0)->key);
	hctl.entrysize = sizeof(IdEntry);
	hctl.hcxt = cxt;
	pc.ids = hash_create("algawf step ids", 64, &hctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	if (def->json->type != JV_OBJECT)
	{
		ERR(&pc, "root", "INVALID_WORKFLOW_DEFINITION", "a workflow definition must be a JSON object");
		MemoryContextSwitchTo(old);
		return def;
	}
	v = jv_get(def->json, "name");
	if (v == NULL || v->type != JV_STRING || v->u.str.len == 0)
		ERR(&pc, "root", "INVALID_WORKFLOW_DEFINITION", "name is required (a non-empty string)");
	else
		def->name = jv_cstring(v);
	v = jv_get(def->json, "id");
	if (v && (v->type != JV_STRING || v->u.str.len == 0))
		ERR(&pc, "root", "INVALID_WORKFLOW_DEFINITION", "id must be a non-empty string");
	else
		def->id = jv_cstring(v);
	def->key = opt_string_code(&pc, def->json, "key", "root", "key", false, "INVALID_WORKFLOW_DEFINITION");
	if (jv_get(def->json, "version") && !jv_is_int(jv_get(def->json, "version"), 1, INT_MAX, NULL))
		ERR(&pc, "root", "INVALID_WORKFLOW_DEFINITION", "version must be a positive integer");
	v = jv_get(def->json, "description");
	if (v && v->type != JV_STRING && v->type != JV_NULL)
		ERR(&pc, "root", "INVALID_WORKFLOW_DEFINITION", "description must be a string");
	def->payload_schema_ref = opt_string_code(&pc, def->json, "payloadSchemaRef", "root", "payloadSchemaRef",
											  false, "INVALID_WORKFLOW_DEFINITION");
	v = jv_get(def->json, "functionSet");
	if (v)
	{
		char	   *fs = jv_cstring(v);

		if (fs && strcmp(fs, "alga") == 0)
			def->funcset = FUNCSET_ALGA;
		else if (fs && strcmp(fs, "extended") == 0)
			def->funcset = FUNCSET_EXTENDED;
		else
			ERR(&pc, "root", "INVALID_WORKFLOW_DEFINITION", "functionSet must be \"alga\" or \"extended\"");
	}
	parse_trigger(&pc, jv_get(def->json, "trigger"));
	parse_block(&pc, jv_get(def->json, "steps"), NULL, WB_ROOT, 0, true, &def->root);

	def->nsteps = list_length(pc.all);
	def->all = palloc(sizeof(WfStep *) * (def->nsteps + 1));
	i = 0;
	foreach(lc, pc.all)
		def->all[i++] = lfirst(lc);

	MemoryContextSwitchTo(old);
	return def;
}

WfStep *
wf_find_step(WfDef *def, const char *path)
{
	int			i;

	for (i = 0; i < def->nsteps; i++)
		if (strcmp(def->all[i]->path, path) == 0)
			return def->all[i];
	return NULL;
}

/* ---- publish checks ------------------------------------------------------ */

static bool
secret_exists(const pg_uuid_t *tenant, const char *name)
{
	Oid			argtypes[2] = {UUIDOID, TEXTOID};
	Datum		args[2];
	int			rc;

	/* the secrets table belongs to the dispatcher; absent means no secrets */
	rc = SPI_execute("SELECT to_regclass('algawf.tenant_secrets') IS NOT NULL", false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		return false;
	{
		bool		isnull;

		if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
			return false;
	}
	args[0] = UUIDPGetDatum(tenant);
	args[1] = CStringGetTextDatum(name);
	rc = SPI_execute_with_args("SELECT 1 FROM algawf.tenant_secrets WHERE tenant = $1 AND name = $2",
							   2, argtypes, args, NULL, false, 1);
	return rc == SPI_OK_SELECT && SPI_processed > 0;
}

static void
check_secrets(ParseCtx *pc, const pg_uuid_t *tenant, Jv *v, const char *path)
{
	size_t		i;

	if (v == NULL)
		return;
	if (jv_is_secret(v))
	{
		char	   *name = jv_cstring(jv_get(v, "$secret"));

		if (name[0] && !secret_exists(tenant, name))
			ERR(pc, path, "SECRET_NOT_FOUND", "Secret %s does not exist for this tenant", name);
		return;
	}
	if (jv_is_expr(v))
		return;
	if (v->type == JV_ARRAY)
		for (i = 0; i < v->u.arr.n; i++)
			check_secrets(pc, tenant, v->u.arr.items[i], path);
	else if (v->type == JV_OBJECT)
		for (i = 0; i < v->u.obj.n; i++)
			check_secrets(pc, tenant, v->u.obj.pairs[i].val, path);
}

/*
 * Resolve a callWorkflow reference (uuid or key) to the workflow id and the
 * version that would run.  Returns false when the workflow does not exist;
 * *version 0 when the requested (or published) version does not exist.
 */
static bool
resolve_workflow(const pg_uuid_t *tenant, const char *ref, int want_version,
				 pg_uuid_t *wf_id, int *version)
{
	Oid			argtypes[3] = {UUIDOID, TEXTOID, INT4OID};
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	int			rc;
	bool		isnull;
	Datum		d;

	args[0] = UUIDPGetDatum(tenant);
	args[1] = CStringGetTextDatum(ref);
	args[2] = Int32GetDatum(want_version);
	if (want_version == 0)
		nulls[2] = 'n';
	rc = SPI_execute_with_args(
							   "SELECT d.workflow_id, "
							   "  (SELECT v.version FROM algawf.workflow_definition_versions v "
							   "    WHERE v.tenant = d.tenant AND v.workflow_id = d.workflow_id "
							   "      AND v.version = coalesce($3, d.published_version)) "
							   "FROM algawf.workflow_definitions d "
							   "WHERE d.tenant = $1 AND (d.workflow_id::text = lower($2) OR d.key = $2) "
							   "ORDER BY d.workflow_id::text = lower($2) DESC LIMIT 1",
							   3, argtypes, args, nulls, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed == 0)
		return false;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	*wf_id = *DatumGetUUIDP(d);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	*version = isnull ? 0 : DatumGetInt32(d);
	return true;
}

/* does workflow (wf, version) call `self`, directly or through others? */
static bool
calls_reach(const pg_uuid_t *tenant, const pg_uuid_t *wf, int version, const pg_uuid_t *self,
			List **visited, int depth)
{
	Oid			argtypes[3] = {UUIDOID, UUIDOID, INT4OID};
	Datum		args[3];
	int			rc;
	uint64		i,
				n;
	SPITupleTable *tt;
	ListCell   *lc;

	if (depth > 32)
		return false;
	foreach(lc, *visited)
	{
		char	   *seen = lfirst(lc);

		if (memcmp(seen, wf->data, UUID_LEN) == 0)
			return false;
	}
	*visited = lappend(*visited, pnstrdup((const char *) wf->data, UUID_LEN));

	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(wf);
	args[2] = Int32GetDatum(version);
	rc = SPI_execute_with_args(
							   "SELECT DISTINCT config->>'workflowId', coalesce((config->>'workflowVersion')::int, 0) "
							   "FROM algawf.workflow_steps "
							   "WHERE tenant = $1 AND workflow_id = $2 AND version = $3 "
							   "  AND step_type = 'control.callWorkflow'",
							   3, argtypes, args, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		return false;
	tt = SPI_tuptable;
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		char	   *ref = SPI_getvalue(tt->vals[i], tt->tupdesc, 1);
		int			want = atoi(SPI_getvalue(tt->vals[i], tt->tupdesc, 2));
		pg_uuid_t	target;
		int			tver;

		if (ref == NULL || !resolve_workflow(tenant, ref, want, &target, &tver))
			continue;
		if (self && memcmp(target.data, self->data, UUID_LEN) == 0)
			return true;
		if (tver > 0 && calls_reach(tenant, &target, tver, self, visited, depth + 1))
			return true;
	}
	return false;
}

/* is the payloadSchemaRef registered (for the tenant, or built in)? */
static bool
schema_ref_known(const char *ref)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	int			rc;

	args[0] = CStringGetTextDatum(ref);
	rc = SPI_execute_with_args("SELECT algawf.resolve_schema_ref($1) IS NOT NULL",
							   1, argtypes, args, NULL, false, 1);
	if (rc == SPI_OK_SELECT && SPI_processed == 1)
	{
		bool		isnull;

		return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	return false;
}

void
wf_check(WfDef *def, const pg_uuid_t *tenant, const pg_uuid_t *self_id, List **problems)
{
	ParseCtx	pc;
	ListCell   *lc;
	int			i;

	memset(&pc, 0, sizeof(pc));
	pc.def = def;
	pc.problems = problems;

	/* expressions */
	foreach(lc, def->exprs)
	{
		ExprRef    *r = lfirst(lc);
		int			pos = 0;
		char	   *code = NULL;
		char	   *msg = NULL;

		if (!algawf_expr_validate(r->src, def->funcset, &pos, &code, &msg))
			ERR(&pc, r->path, "INVALID_EXPR", "%s: %s%s%s (at position %d in \"%s\")",
				r->what, code ? code : "", code ? ": " : "", msg ? msg : "invalid expression",
				pos, r->src);
	}

	for (i = 0; i < def->nsteps; i++)
	{
		WfStep	   *s = def->all[i];

		CHECK_FOR_INTERRUPTS();
		if (s->kind == WS_ACTION_CALL && s->action_id)
		{
			const char *code = NULL;
			Jsonb	   *im = s->input_mapping ? jv_to_jsonb(s->input_mapping) : NULL;
			char	   *msg = algawf_action_check(s->action_id, s->action_version, im, &code);

			if (msg)
				ERR(&pc, s->path, code ? code : "UNKNOWN_ACTION", "%s", msg);
			check_secrets(&pc, tenant, s->input_mapping, s->path);
		}
		else if (s->kind == WS_CALL_WORKFLOW && s->workflow_ref)
		{
			pg_uuid_t	target;
			int			ver;
			bool		self_ref = false;

			if (def->id && strcmp(def->id, s->workflow_ref) == 0)
				self_ref = true;
			if (def->key && strcmp(def->key, s->workflow_ref) == 0)
				self_ref = true;
			if (self_ref)
			{
				ERR(&pc, s->path, "RECURSIVE_WORKFLOW", "control.callWorkflow calls the workflow itself");
				continue;
			}
			if (!resolve_workflow(tenant, s->workflow_ref, s->workflow_version, &target, &ver))
			{
				ERR(&pc, s->path, "UNKNOWN_WORKFLOW", "callWorkflow target %s does not exist", s->workflow_ref);
				continue;
			}
			if (self_id && memcmp(target.data, self_id->data, UUID_LEN) == 0)
			{
				ERR(&pc, s->path, "RECURSIVE_WORKFLOW", "control.callWorkflow calls the workflow itself");
				continue;
			}
			if (ver == 0)
			{
				if (s->workflow_version)
					ERR(&pc, s->path, "UNKNOWN_WORKFLOW", "callWorkflow target %s has no version %d",
						s->workflow_ref, s->workflow_version);
				else
					ERR(&pc, s->path, "UNKNOWN_WORKFLOW", "callWorkflow target %s has no published version",
						s->workflow_ref);
				continue;
			}
			if (self_id)
			{
				List	   *visited = NIL;

				if (calls_reach(tenant, &target, ver, self_id, &visited, 0))
					ERR(&pc, s->path, "RECURSIVE_WORKFLOW",
						"callWorkflow target %s calls this workflow back (recursion)", s->workflow_ref);
			}
		}
	}

	if (def->payload_schema_ref && !schema_ref_known(def->payload_schema_ref))
		problem(&pc, "warning", "root", "UNKNOWN_SCHEMA_REF",
				"payloadSchemaRef %s is not a registered schema; payloads will not be validated",
				def->payload_schema_ref);
}

/* ---- cache of published versions ----------------------------------------- */

typedef struct DefCacheKey
{
	pg_uuid_t	tenant;
	pg_uuid_t	workflow_id;
	int			version;
} DefCacheKey;

typedef struct DefCacheEntry
{
	DefCacheKey key;
	char		hash[72];
	WfDef	   *def;
} DefCacheEntry;

static HTAB *def_cache = NULL;
static MemoryContext def_cache_cxt = NULL;

#define DEF_CACHE_MAX 512

/*
 * Empty the cache when it holds too many versions, unless a segment is
 * executing (pinned): a nested child run, or a run an action starts inline,
 * must never free the definition its caller is executing.
 */
static int	def_cache_pins = 0;

void
wf_cache_pin(void)
{
	def_cache_pins++;
}

void
wf_cache_unpin(void)
{
	if (def_cache_pins > 0)
		def_cache_pins--;
}

void
wf_cache_trim(void)
{
	if (def_cache_pins == 0 && def_cache != NULL && hash_get_num_entries(def_cache) > DEF_CACHE_MAX)
	{
		MemoryContextDelete(def_cache_cxt);
		def_cache_cxt = NULL;
		def_cache = NULL;
	}
}

WfDef *
wf_cache_get(const pg_uuid_t *tenant, const pg_uuid_t *workflow_id, int version, const char *hash)
{
	DefCacheKey key;
	DefCacheEntry *e;
	bool		found;
	Oid			argtypes[3] = {UUIDOID, UUIDOID, INT4OID};
	Datum		args[3];
	int			rc;
	bool		isnull;
	Jsonb	   *jb;
	char	   *fs;
	WfDef	   *def;

	if (def_cache == NULL)
	{
		HASHCTL		hctl;

		def_cache_cxt = AllocSetContextCreate(CacheMemoryContext, "algawf definition cache",
											  ALLOCSET_DEFAULT_SIZES);
		memset(&hctl, 0, sizeof(hctl));
		hctl.keysize = sizeof(DefCacheKey);
		hctl.entrysize = sizeof(DefCacheEntry);
		hctl.hcxt = def_cache_cxt;
		def_cache = hash_create("algawf definitions", 64, &hctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	memset(&key, 0, sizeof(key));
	key.tenant = *tenant;
	key.workflow_id = *workflow_id;
	key.version = version;
	e = hash_search(def_cache, &key, HASH_FIND, &found);
	if (found && strcmp(e->hash, hash) == 0)
		return e->def;

	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(workflow_id);
	args[2] = Int32GetDatum(version);
	rc = SPI_execute_with_args("SELECT definition, function_set FROM algawf.workflow_definition_versions "
							   "WHERE tenant = $1 AND workflow_id = $2 AND version = $3",
							   3, argtypes, args, NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("workflow version %d not found", version)));
	jb = DatumGetJsonbP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	fs = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	def = wf_parse(jb, strcmp(fs, "alga") == 0 ? FUNCSET_ALGA : FUNCSET_EXTENDED, NULL, def_cache_cxt);

	/* a replaced entry's definition may still be in use: it goes with the next trim */
	e = hash_search(def_cache, &key, HASH_ENTER, &found);
	strlcpy(e->hash, hash, sizeof(e->hash));
	e->def = def;
	return def;
}
