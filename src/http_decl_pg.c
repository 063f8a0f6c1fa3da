/*
 * http_decl_pg.c — declarative HTTP actions inside the backend (see
 * http_decl_pg.h for the flow).  The template and mapping work is plain C in
 * http_decl.c; this file is the PostgreSQL side: registry check, dispatcher
 * and executor hooks, the prepare/finish SQL hooks, algawf.http_preview().
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "action.h"
#include "auth_pg.h"
#include "guc.h"
#include "http_action.h"
#include "http_decl.h"
#include "http_decl_pg.h"
#include "jsonschema_pg.h"
#include "jval_pg.h"
#include "ratelimit_pg.h"
#include "registry.h"
#include "tenancy.h"
#include "wake.h"

#define DEFAULT_MAX_ATTEMPTS 3
#define MAX_RATE_LIMITED 5
#define MAX_AUTH_RETRIES 1
#define MAX_RETRY_AFTER_MS (10L * 60 * 1000)
#define TOKEN_WAIT_MS 250
#define MAX_ITEMS_KEPT 10000

/* ------------------------------------------------------------------------
 * Expression environment
 */

static void
hook_interrupt(void *ctx)
{
	CHECK_FOR_INTERRUPTS();
}

static double
hook_now(void *ctx)
{
	return floor((double) GetCurrentTimestamp() / 1000.0) + 946684800000.0;
}

static void
hook_stack(void *ctx)
{
	check_stack_depth();
}

static const ExprHooks decl_hooks = {hook_interrupt, hook_now, NULL, hook_stack, NULL, NULL};

static void
decl_env(DeclEnv *env, ExprLimits *lim)
{
	lim->budget = algawf_expr_budget;
	lim->max_depth = algawf_expr_max_depth;
	lim->max_result = (size_t) algawf_expr_max_result;
	lim->max_string = (size_t) algawf_expr_max_string;
	lim->max_memory = (size_t) algawf_expr_max_memory * 1024;
	env->lim = lim;
	env->hooks = &decl_hooks;
	env->funcset = EXPR_FUNCSET_EXTENDED;
}

/* ------------------------------------------------------------------------
 * Small helpers
 */

static Jsonb *
jb_parse(const char *s)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(s)));
}

static Jsonb *
jb_member(Jsonb *obj, const char *key)
{
	JsonbValue *v;

	if (obj == NULL || !JB_ROOT_IS_OBJECT(obj) || JB_ROOT_IS_SCALAR(obj))
		return NULL;
	v = getKeyJsonValueFromContainer(&obj->root, key, strlen(key), NULL);
	if (v == NULL)
		return NULL;
	return JsonbValueToJsonb(v);
}

static char *
jb_string(Jsonb *obj, const char *key)
{
	JsonbValue *v;

	if (obj == NULL || !JB_ROOT_IS_OBJECT(obj) || JB_ROOT_IS_SCALAR(obj))
		return NULL;
	v = getKeyJsonValueFromContainer(&obj->root, key, strlen(key), NULL);
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static char *
uuid_text(const pg_uuid_t *u)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(u)));
}

static bool
uuid_is_zero(const pg_uuid_t *u)
{
	int			i;

	for (i = 0; i < UUID_LEN; i++)
		if (u->data[i])
			return false;
	return true;
}

static Jv  *
jv_of(JvArena *a, Jsonb *j)
{
	return j ? jv_from_jsonb(a, j) : NULL;
}

static void
set(JvArena *a, Jv *obj, const char *key, Jv *v)
{
	if (v)
		jv_object_set(a, obj, key, strlen(key), v);
}

static Jv  *
jstr(JvArena *a, const char *s)
{
	return s ? jv_string(a, s, strlen(s)) : NULL;
}

/* JSONata truthiness */
static bool
truthy(const Jv *v)
{
	if (v == NULL)
		return false;
	switch (v->type)
	{
		case JV_NULL:
			return false;
		case JV_BOOL:
			return v->u.b;
		case JV_NUMBER:
			return v->u.num != 0;
		case JV_STRING:
			return v->u.str.len > 0;
		case JV_ARRAY:
			{
				size_t		i;

				for (i = 0; i < v->u.arr.n; i++)
					if (truthy(v->u.arr.items[i]))
						return true;
				return false;
			}
		case JV_OBJECT:
			return v->u.obj.n > 0;
	}
	return false;
}

static void
set_tenant_local(const pg_uuid_t *tenant)
{
	(void) set_config_option("algawf.tenant", uuid_text(tenant), PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
}

static const char *
category_name(ActionErrorCategory c)
{
	switch (c)
	{
		case AEC_VALIDATION:
			return "ValidationError";
		case AEC_EXPRESSION:
			return "ExpressionError";
		case AEC_TRANSIENT:
			return "TransientError";
		case AEC_TIMEOUT:
			return "TimeoutError";
		case AEC_CANCELLATION:
			return "Cancellation";
		default:
			return "ActionError";
	}
}

static ActionErrorCategory
category_of(const char *name)
{
	if (name == NULL)
		return AEC_ACTION;
	if (strcmp(name, "ValidationError") == 0)
		return AEC_VALIDATION;
	if (strcmp(name, "ExpressionError") == 0)
		return AEC_EXPRESSION;
	if (strcmp(name, "TransientError") == 0)
		return AEC_TRANSIENT;
	if (strcmp(name, "TimeoutError") == 0)
		return AEC_TIMEOUT;
	if (strcmp(name, "Cancellation") == 0)
		return AEC_CANCELLATION;
	return AEC_ACTION;
}

static ActionErrorCategory
category_for_code(const char *code)
{
	if (strcmp(code, "RATE_LIMITED") == 0 || strcmp(code, "TRANSIENT_FAILURE") == 0)
		return AEC_TRANSIENT;
	return AEC_ACTION;
}

/* {category, code, message, hint?, detail?, retryable, retryAfterMs?, status?} */
static Jsonb *
error_json(ActionErrorCategory cat, const char *code, const char *message, const char *hint,
		   const char *detail, bool retryable, long retry_after_ms, long status)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"category\": %s, \"code\": %s, \"message\": %s, \"retryable\": %s",
					 json_quote(category_name(cat)), json_quote(code), json_quote(message),
					 retryable ? "true" : "false");
	if (hint)
		appendStringInfo(&b, ", \"hint\": %s", json_quote(hint));
	if (detail)
		appendStringInfo(&b, ", \"detail\": %s", json_quote(detail));
	if (retry_after_ms >= 0)
		appendStringInfo(&b, ", \"retryAfterMs\": %ld", retry_after_ms);
	if (status > 0)
		appendStringInfo(&b, ", \"status\": %ld", status);
	appendStringInfoChar(&b, '}');
	return jb_parse(b.data);
}

static void
result_fail(ActionResult *r, ActionErrorCategory cat, const char *code, const char *message,
			const char *detail, const char *hint)
{
	r->ok = false;
	r->deferred = false;
	r->category = cat;
	r->code = code;
	r->message = message;
	r->detail = detail;
	r->hint = hint;
	r->retryable = cat == AEC_TRANSIENT || cat == AEC_TIMEOUT;
}

/* SQLSTATE of an error a prepare/finish hook raised -> the error model */
static void
map_sqlstate(int code, ActionErrorCategory *cat, const char **c, bool *retry)
{
	int			cls = ERRCODE_TO_CATEGORY(code);

	*cat = AEC_ACTION;
	*c = "INTERNAL_ERROR";
	*retry = false;
	if (code == ERRCODE_UNIQUE_VIOLATION || code == ERRCODE_EXCLUSION_VIOLATION)
		*c = "CONFLICT";
	else if (cls == ERRCODE_TRANSACTION_ROLLBACK || code == ERRCODE_LOCK_NOT_AVAILABLE ||
			 cls == ERRCODE_INSUFFICIENT_RESOURCES || cls == ERRCODE_CONNECTION_EXCEPTION)
	{
		*cat = AEC_TRANSIENT;
		*c = "TRANSIENT_FAILURE";
		*retry = true;
	}
	else if (code == ERRCODE_INSUFFICIENT_PRIVILEGE)
		*c = "PERMISSION_DENIED";
	else if (code == ERRCODE_FOREIGN_KEY_VIOLATION || code == ERRCODE_NO_DATA_FOUND ||
			 code == ERRCODE_NO_DATA || code == ERRCODE_UNDEFINED_OBJECT)
		*c = "NOT_FOUND";
	else if (code == ERRCODE_CHECK_VIOLATION || code == ERRCODE_NOT_NULL_VIOLATION || cls == ERRCODE_DATA_EXCEPTION)
	{
		*cat = AEC_VALIDATION;
		*c = "VALIDATION_ERROR";
	}
}

/* ------------------------------------------------------------------------
 * SQL hooks (prepare, finish, local): (ctx jsonb, data jsonb) -> jsonb,
 * run in a subtransaction as algawf_service under row-level security.
 */

static Oid
hook_function(const char *name, char **problem)
{
	char	   *sig;
	Oid			fn;
	int			sqlstate;

	if (name == NULL)
		return InvalidOid;
	sig = strchr(name, '(') ? pstrdup(name) : psprintf("%s(jsonb,jsonb)", name);
	fn = lookup_regprocedure(sig);
	if (!OidIsValid(fn))
	{
		if (problem)
			*problem = psprintf("function %s does not exist", sig);
		return InvalidOid;
	}
	if ((*problem = sql_action_function_problem(fn, &sqlstate)) != NULL)
		return InvalidOid;
	return fn;
}

/* the result, or NULL with *edata (the hook's error; its writes rolled back) */
static Jsonb *
call_hook(Oid fn, Jsonb *ctx, Jsonb *data, ErrorData **edata)
{
	MemoryContext old = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool was_locked = algawf_identity_locked;
	Jsonb	   *volatile result = NULL;

	*edata = NULL;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(old);
	PG_TRY();
	{
		PrivSave	svc;
		FmgrInfo	flinfo;
		LOCAL_FCINFO(fcinfo, 2);
		Datum		d;
		bool		pushed = false;

		priv_enter(&svc, algawf_service_oid());
		algawf_identity_locked = true;
		fmgr_info(fn, &flinfo);
		InitFunctionCallInfoData(*fcinfo, &flinfo, 2, InvalidOid, NULL, NULL);
		fcinfo->args[0].value = JsonbPGetDatum(ctx);
		fcinfo->args[0].isnull = false;
		fcinfo->args[1].value = JsonbPGetDatum(data);
		fcinfo->args[1].isnull = false;
		if (!ActiveSnapshotSet())
		{
			PushActiveSnapshot(GetTransactionSnapshot());
			pushed = true;
		}
		d = FunctionCallInvoke(fcinfo);
		if (pushed)
			PopActiveSnapshot();
		algawf_identity_locked = was_locked;
		priv_leave(&svc);
		{
			MemoryContext o2 = MemoryContextSwitchTo(old);

			result = fcinfo->isnull ? jb_parse("null") : DatumGetJsonbPCopy(d);
			MemoryContextSwitchTo(o2);
		}
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(old);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *e;

		algawf_identity_locked = was_locked;
		MemoryContextSwitchTo(old);
		e = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(old);
		CurrentResourceOwner = oldowner;
		if (e->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(e);
		*edata = e;
		result = NULL;
	}
	PG_END_TRY();
	return result;
}

/* ------------------------------------------------------------------------
 * Registry
 */

static const char *const IMPL_KEYS[] = {"kind", "request", "prepare", "finish", "local", NULL};

char *
http_decl_check_impl(Jsonb *impl, const char **path, const char **hint)
{
	JvArena		a;
	Jv		   *j;
	Jv		   *req;
	DeclEnv		env;
	ExprLimits	lim;
	DeclError	err;
	size_t		i;
	char	   *problem = NULL;

	*path = "implementation";
	*hint = NULL;
	jv_arena_init_pg(&a, CurrentMemoryContext);
	j = jv_from_jsonb(&a, impl);
	for (i = 0; i < j->u.obj.n; i++)
	{
		int			k;

		for (k = 0; IMPL_KEYS[k]; k++)
			if (strlen(IMPL_KEYS[k]) == j->u.obj.pairs[i].klen &&
				memcmp(IMPL_KEYS[k], j->u.obj.pairs[i].key, j->u.obj.pairs[i].klen) == 0)
				break;
		if (IMPL_KEYS[k] == NULL)
		{
			*hint = "An http implementation has kind, request, and optionally prepare, finish, local.";
			return psprintf("unknown key \"%.*s\" in an http implementation",
							(int) j->u.obj.pairs[i].klen, j->u.obj.pairs[i].key);
		}
	}
	req = jv_object_get(j, "request", 7);
	if (req == NULL)
	{
		if (jv_object_get(j, "prepare", 7) || jv_object_get(j, "finish", 6) || jv_object_get(j, "local", 5))
		{
			*path = "implementation.request";
			return pstrdup("prepare, finish and local need a request template");
		}
		return NULL;
	}
	decl_env(&env, &lim);
	memset(&err, 0, sizeof(err));
	if (!decl_check_request(&a, req, &env, &err))
	{
		*path = psprintf("implementation.%s", err.where[0] ? err.where : "request");
		*hint = "See doc/integrations.md for the request template format.";
		return pstrdup(err.message);
	}
	{
		const char *hooks[2] = {"prepare", "finish"};
		int			h;

		for (h = 0; h < 2; h++)
		{
			Jv		   *v = jv_object_get(j, hooks[h], strlen(hooks[h]));

			if (v == NULL)
				continue;
			*path = psprintf("implementation.%s", hooks[h]);
			if (v->type != JV_STRING)
				return pstrdup("must name a function (ctx jsonb, data jsonb) RETURNS jsonb");
			if (!OidIsValid(hook_function(pnstrdup(v->u.str.s, v->u.str.len), &problem)))
			{
				*hint = "Hooks run like SQL actions: (ctx jsonb, data jsonb) RETURNS jsonb, executable by algawf_service, not SECURITY DEFINER of a role that bypasses row-level security.";
				return problem;
			}
		}
	}
	{
		Jv		   *l = jv_object_get(j, "local", 5);

		if (l != NULL)
		{
			const char *when = decl_get_string(&a, l, "when");
			const char *fn = decl_get_string(&a, l, "function");
			ExprError	xe;

			*path = "implementation.local";
			if (l->type != JV_OBJECT || when == NULL || fn == NULL)
				return pstrdup("\"local\" is {\"when\": expression over the input, \"function\": \"schema.fn\"}");
			memset(&xe, 0, sizeof(xe));
			if (expr_compile(&a, when, strlen(when), env.funcset, lim.max_depth, &xe) == NULL)
				return psprintf("local.when does not compile: %s: %s", xe.code, xe.message);
			if (!OidIsValid(hook_function(fn, &problem)))
				return problem;
		}
	}
	return NULL;
}

bool
http_decl_is_declarative(const ActionDef *a)
{
	return a->kind == IMPL_HTTP && a->impl && jb_get(&a->impl->root, "request") != NULL;
}

Oid
http_decl_local_function(const ActionDef *a, Jsonb *input)
{
	Jsonb	   *local;
	char	   *when;
	char	   *fn;
	JvArena		ar;
	DeclEnv		env;
	ExprLimits	lim;
	DeclError	err;
	Jv		   *v = NULL;
	char	   *problem = NULL;
	Oid			f;

	if (!http_decl_is_declarative(a) || (local = jb_member(a->impl, "local")) == NULL)
		return InvalidOid;
	when = jb_string(local, "when");
	fn = jb_string(local, "function");
	if (when == NULL || fn == NULL)
		return InvalidOid;
	jv_arena_init_pg(&ar, CurrentMemoryContext);
	decl_env(&env, &lim);
	if (!decl_eval_expr(&ar, when, strlen(when), jv_of(&ar, input), NULL, &env, "local.when", &v, &err))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("local.when of action %s failed: %s", a->action_id, err.message)));
	if (!truthy(v))
		return InvalidOid;
	f = hook_function(fn, &problem);
	if (!OidIsValid(f))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("action %s cannot answer locally: %s", a->action_id, problem)));
	return f;
}

/* ------------------------------------------------------------------------
 * Dispatcher
 */

static Jsonb *
hook_ctx(const ActionCall *call, const ActionDef *a, const char *key, const pg_uuid_t *invocation_id)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"tenantId\": %s, \"runId\": %s, \"workflowId\": %s, \"stepPath\": %s, "
					 "\"actorUserId\": %s, \"actionId\": %s, \"actionVersion\": %d, \"attempt\": %d, "
					 "\"idempotencyKey\": %s, \"invocationId\": %s}",
					 json_quote(uuid_text(&call->tenant)),
					 uuid_is_zero(&call->run_id) ? "null" : json_quote(uuid_text(&call->run_id)),
					 call->workflow_id ? json_quote(call->workflow_id) : "null",
					 call->step_path ? json_quote(call->step_path) : "null",
					 call->has_actor ? json_quote(uuid_text(&call->actor)) : "null",
					 json_quote(a->action_id), a->version, call->attempt > 0 ? call->attempt : 1,
					 key ? json_quote(key) : "null", json_quote(uuid_text(invocation_id)));
	return jb_parse(b.data);
}

/* the module label for messages ("NinjaOne"), else the integration name or the family */
static char *
vendor_label(const ActionDef *a)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1];

	if (a->integration == NULL)
		return pstrdup(a->family);
	args[0] = CStringGetTextDatum(a->integration);
	if (SPI_execute_with_args("SELECT label FROM algawf.integration_modules WHERE name = $1",
							  1, types, args, NULL, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
		return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return pstrdup(a->integration);
}

/* a recorded request of this invocation: true when it decided the result */
static bool
existing_request(const ActionCall *call, const pg_uuid_t *invocation_id, ActionResult *r)
{
	Oid			types[2] = {UUIDOID, UUIDOID};
	Datum		args[2];
	char	   *status;
	bool		isnull;
	Datum		d;
	Jsonb	   *res;

	args[0] = UUIDPGetDatum(&call->tenant);
	args[1] = UUIDPGetDatum(invocation_id);
	if (SPI_execute_with_args("SELECT status, decl_state -> 'result' FROM algawf.http_requests "
							  "WHERE tenant = $1 AND invocation_id = $2 ORDER BY created_at DESC LIMIT 1",
							  2, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "algawf: outbox lookup failed");
	if (SPI_processed == 0)
		return false;
	status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (strcmp(status, "pending") == 0 || strcmp(status, "sending") == 0)
	{
		r->ok = true;
		r->deferred = true;
		return true;
	}
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	res = isnull ? NULL : DatumGetJsonbPCopy(d);
	if (strcmp(status, "canceled") == 0 || res == NULL)
	{
		result_fail(r, AEC_CANCELLATION, "INTERNAL_ERROR", "the HTTP request was canceled before it was sent", NULL, NULL);
		return true;
	}
	{
		JsonbValue *ok = getKeyJsonValueFromContainer(&res->root, "ok", 2, NULL);

		if (ok && ok->type == jbvBool && ok->val.boolean)
		{
			r->ok = true;
			r->output = jb_member(res, "output");
			if (r->output == NULL)
				r->output = jb_parse("null");
		}
		else
		{
			Jsonb	   *e = jb_member(res, "error");
			JsonbValue *retry = e ? getKeyJsonValueFromContainer(&e->root, "retryable", 9, NULL) : NULL;

			result_fail(r, category_of(jb_string(e, "category")),
						jb_string(e, "code") ? jb_string(e, "code") : "INTERNAL_ERROR",
						jb_string(e, "message") ? jb_string(e, "message") : "the request failed",
						jb_string(e, "detail"), jb_string(e, "hint"));
			if (retry && retry->type == jbvBool)
				r->retryable = retry->val.boolean;
		}
	}
	return true;
}

/* {bucket, requests, windowMs} from the request's and the connection's limits, or NULL */
static Jv  *
rate_config(JvArena *a, const ActionDef *ad, Jv *request, Jv *conn)
{
	Jv		   *rr = jv_object_get(request, "rateLimit", 9);
	Jv		   *cr = conn ? jv_object_get(conn, "rateLimit", 9) : NULL;
	Jv		   *req = NULL,
			   *per = NULL,
			   *bucket = NULL;
	Jv		   *out;

	if (rr && rr->type == JV_OBJECT)
	{
		req = jv_object_get(rr, "requests", 8);
		per = jv_object_get(rr, "perSeconds", 10);
		bucket = jv_object_get(rr, "bucket", 6);
	}
	if (cr && cr->type == JV_OBJECT)
	{
		if (req == NULL)
			req = jv_object_get(cr, "requests", 8);
		if (per == NULL)
			per = jv_object_get(cr, "perSeconds", 10);
	}
	if (req == NULL || per == NULL || req->type != JV_NUMBER || per->type != JV_NUMBER ||
		req->u.num < 1 || per->u.num <= 0)
		return NULL;
	out = jv_object(a, 3);
	set(a, out, "bucket", bucket && bucket->type == JV_STRING ? bucket :
		jstr(a, ad->integration ? ad->integration : ad->family));
	set(a, out, "requests", jv_number(a, Min(req->u.num, 1000)));
	set(a, out, "windowMs", jv_number(a, per->u.num * 1000));
	return out;
}

static char *
expect_status_text(Jv *request)
{
	Jv		   *e = jv_object_get(request, "expectStatus", 12);
	StringInfoData b;
	size_t		i;

	if (e == NULL)
		return NULL;
	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	if (e->type == JV_NUMBER)
		appendStringInfo(&b, "%d", (int) e->u.num);
	else if (e->type == JV_ARRAY)
		for (i = 0; i < e->u.arr.n; i++)
			appendStringInfo(&b, "%s%d", i ? "," : "", (int) e->u.arr.items[i]->u.num);
	appendStringInfoChar(&b, '}');
	return b.data;
}

/*
 * Build the request of a call: connection, prepare hook, template.  On
 * failure fills r and returns false.  Used by the dispatcher and by
 * http_preview (which sends nothing).
 */
typedef struct Built
{
	JvArena		arena;
	Jv		   *request;		/* the template */
	Jv		   *conn;			/* the connection without auth */
	Jsonb	   *conn_jb;
	Jv		   *auth;			/* the chosen auth configuration, or NULL */
	const char *auth_name;
	Jv		   *input;
	Jsonb	   *prepared;
	Jv		   *rate;
	char	   *vendor;
	DeclRequest req;
	Jsonb	   *headers;		/* with Content-Type and Accept */
	char	   *body_text;
	Jsonb	   *body_json;
} Built;

static bool
build_call(const ActionCall *call, const ActionDef *a, Jsonb *input, const char *key,
		   const pg_uuid_t *invocation_id, Built *b, ActionResult *r)
{
	Jsonb	   *conn_full = NULL;
	DeclEnv		env;
	ExprLimits	lim;
	DeclError	err;
	Jv		   *bindings;
	Jv		   *auths = NULL;

	jv_arena_init_pg(&b->arena, CurrentMemoryContext);
	decl_env(&env, &lim);
	b->request = jv_from_jsonb(&b->arena, jb_member(a->impl, "request"));
	b->vendor = vendor_label(a);

	/* the connection */
	if (a->integration)
	{
		Oid			types[2] = {TEXTOID, UUIDOID};
		Datum		args[2];
		bool		isnull;
		Datum		d;

		args[0] = CStringGetTextDatum(a->integration);
		args[1] = UUIDPGetDatum(&call->tenant);
		if (SPI_execute_with_args("SELECT algawf._integration_connection($1, $2)", 2, types, args, NULL, false, 1)
			!= SPI_OK_SELECT)
			elog(ERROR, "algawf: connection lookup failed");
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (isnull)
		{
			result_fail(r, AEC_ACTION, "INTEGRATION_INACTIVE",
						psprintf("integration \"%s\" has no registered module", a->integration), NULL,
						"Install the integration module (actions/<integration>.sql registers it with algawf.register_integration).");
			return false;
		}
		conn_full = DatumGetJsonbPCopy(d);
		{
			JsonbValue *c = getKeyJsonValueFromContainer(&conn_full->root, "connected", 9, NULL);

			if (!(c && c->type == jbvBool && c->val.boolean))
			{
				char	   *reason = jb_string(conn_full, "reason");

				result_fail(r, AEC_ACTION, "INTEGRATION_INACTIVE",
							psprintf("integration \"%s\" is not connected for this tenant%s%s", a->integration,
									 reason ? ": " : "", reason ? reason : ""),
							psprintf("Action %s needs the %s integration.", a->action_id, b->vendor),
							psprintf("Connect and activate %s for the tenant: SELECT integration, reason FROM algawf.integration_status; says what is missing.",
									 b->vendor));
				return false;
			}
		}
	}
	else
		conn_full = jb_parse("{}");
	b->conn = jv_from_jsonb(&b->arena, conn_full);
	auths = jv_object_get(b->conn, "auth", 4);
	{
		/* the connection as expressions see it: no auth configurations */
		Jv		   *c = jv_object(&b->arena, b->conn->u.obj.n);
		size_t		i;

		for (i = 0; i < b->conn->u.obj.n; i++)
			if (!(b->conn->u.obj.pairs[i].klen == 4 && memcmp(b->conn->u.obj.pairs[i].key, "auth", 4) == 0))
				jv_object_set(&b->arena, c, b->conn->u.obj.pairs[i].key, b->conn->u.obj.pairs[i].klen,
							  b->conn->u.obj.pairs[i].val);
		b->conn = c;
		b->conn_jb = jv_to_jsonb(c);
	}

	/* the auth configuration */
	b->auth_name = decl_get_string(&b->arena, b->request, "auth");
	if (b->auth_name == NULL)
		b->auth_name = auths && jv_object_get(auths, "default", 7) ? "default" : "none";
	if (strcmp(b->auth_name, "none") != 0)
	{
		b->auth = auths && auths->type == JV_OBJECT ? jv_object_get(auths, b->auth_name, strlen(b->auth_name)) : NULL;
		if (b->auth == NULL)
		{
			result_fail(r, AEC_ACTION, "INTEGRATION_INACTIVE",
						psprintf("the %s connection has no auth configuration \"%s\"", b->vendor, b->auth_name),
						NULL, "The integration module's resolver must return auth.<name> for the actions that use it; check the integration's settings.");
			return false;
		}
	}
	b->rate = rate_config(&b->arena, a, b->request, b->conn);

	/* the prepare hook */
	b->input = jv_from_jsonb(&b->arena, input);
	b->prepared = NULL;
	{
		char	   *prep = jb_string(a->impl, "prepare");

		if (prep)
		{
			char	   *problem = NULL;
			Oid			fn = hook_function(prep, &problem);
			ErrorData  *e = NULL;

			if (!OidIsValid(fn))
			{
				result_fail(r, AEC_ACTION, "INTERNAL_ERROR", psprintf("action %s cannot run its prepare hook: %s", a->action_id, problem),
							NULL, NULL);
				return false;
			}
			b->prepared = call_hook(fn, hook_ctx(call, a, key, invocation_id), input, &e);
			if (b->prepared == NULL)
			{
				ActionErrorCategory cat;
				const char *code;
				bool		retry;

				map_sqlstate(e->sqlerrcode, &cat, &code, &retry);
				result_fail(r, cat, code, e->message ? pstrdup(e->message) : "the prepare hook failed",
							e->detail ? pstrdup(e->detail) : NULL, e->hint ? pstrdup(e->hint) : NULL);
				r->retryable = retry;
				return false;
			}
		}
	}

	bindings = jv_object(&b->arena, 3);
	set(&b->arena, bindings, "input", b->input);
	set(&b->arena, bindings, "connection", b->conn);
	set(&b->arena, bindings, "prepared", b->prepared ? jv_from_jsonb(&b->arena, b->prepared) : jv_null(&b->arena));
	memset(&err, 0, sizeof(err));
	if (!decl_build_request(&b->arena, b->request, b->input, bindings, NULL, NULL, &env, &b->req, &err))
	{
		result_fail(r, err.expression ? AEC_EXPRESSION : AEC_VALIDATION, "VALIDATION_ERROR",
					psprintf("%s: cannot build the %s request: %s", a->action_id, b->vendor, err.message),
					psprintf("At %s of the request template.", err.where),
					err.expression ? "An expression of the action's request template failed for this input; check the input against the action's schema." :
					"Check the action's input and the integration's settings (base URL).");
		return false;
	}

	/* headers: the template's, Accept and the body's Content-Type unless given */
	{
		Jv		   *h = b->req.headers;
		bool		has_accept = false,
					has_ctype = false;
		size_t		i;

		for (i = 0; i < h->u.obj.n; i++)
		{
			if (pg_strncasecmp(h->u.obj.pairs[i].key, "accept", 6) == 0 && h->u.obj.pairs[i].klen == 6)
				has_accept = true;
			if (pg_strncasecmp(h->u.obj.pairs[i].key, "content-type", 12) == 0 && h->u.obj.pairs[i].klen == 12)
				has_ctype = true;
		}
		if (!has_accept)
			set(&b->arena, h, "Accept", jstr(&b->arena, "application/json"));
		if (!has_ctype && b->req.content_type)
			set(&b->arena, h, "Content-Type", jstr(&b->arena, b->req.content_type));
		b->headers = jv_to_jsonb(h);
	}
	b->body_text = b->req.body_text ? pstrdup(b->req.body_text) : NULL;
	b->body_json = b->req.body_json ? jv_to_jsonb(b->req.body_json) : NULL;
	return true;
}

void
http_decl_dispatch(const ActionCall *call, const ActionDef *a, Jsonb *input,
				   const char *key, const pg_uuid_t *invocation_id, ActionResult *r)
{
	Built		b;
	const char *problem;
	Jv		   *decl;
	int			timeout_ms;

	memset(r, 0, sizeof(*r));
	memcpy(&r->invocation_id, invocation_id, UUID_LEN);
	if (existing_request(call, invocation_id, r))
		return;
	memset(&b, 0, sizeof(b));
	if (!build_call(call, a, input, key, invocation_id, &b, r))
		return;
	if ((problem = http_url_problem(b.req.url)) != NULL)
	{
		result_fail(r, AEC_ACTION, "PERMISSION_DENIED", psprintf("%s: %s", a->action_id, problem), NULL,
					"Add the host to algawf.http_allowed_hosts (postgresql.conf, then SELECT pg_reload_conf()).");
		return;
	}

	{
		Jv		   *t = jv_object_get(b.request, "timeoutMs", 9);

		timeout_ms = t && t->type == JV_NUMBER ? (int) t->u.num :
			call->timeout_ms > 0 ? call->timeout_ms : a->timeout_ms;
		timeout_ms = Min(Max(timeout_ms, 1), 600000);
	}

	decl = jv_object(&b.arena, 16);
	set(&b.arena, decl, "action", jstr(&b.arena, a->action_id));
	set(&b.arena, decl, "version", jv_number(&b.arena, a->version));
	set(&b.arena, decl, "integration", a->integration ? jstr(&b.arena, a->integration) : jv_null(&b.arena));
	set(&b.arena, decl, "vendor", jstr(&b.arena, b.vendor));
	set(&b.arena, decl, "invocation", jstr(&b.arena, uuid_text(invocation_id)));
	set(&b.arena, decl, "ctx", jv_from_jsonb(&b.arena, hook_ctx(call, a, key, invocation_id)));
	set(&b.arena, decl, "input", b.input);
	set(&b.arena, decl, "prepared", b.prepared ? jv_from_jsonb(&b.arena, b.prepared) : jv_null(&b.arena));
	set(&b.arena, decl, "connection", b.conn);
	set(&b.arena, decl, "authName", jstr(&b.arena, b.auth_name));
	set(&b.arena, decl, "auth", b.auth ? b.auth : jv_null(&b.arena));
	set(&b.arena, decl, "authKey", jstr(&b.arena, psprintf("%s:%s", a->integration ? a->integration : a->family, b.auth_name)));
	set(&b.arena, decl, "request", b.request);
	set(&b.arena, decl, "rate", b.rate ? b.rate : jv_null(&b.arena));
	{
		char	   *fin = jb_string(a->impl, "finish");

		set(&b.arena, decl, "finish", fin ? jstr(&b.arena, fin) : jv_null(&b.arena));
	}

	{
		Oid			types[16] = {UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID,
		INT4OID, TEXTOID, INT4OID, TEXTOID, JSONBOID, TEXTOID, UUIDOID, JSONBOID};
		Datum		args[16];
		char		nulls[16];
		char	   *expect = expect_status_text(b.request);

		memset(nulls, ' ', sizeof(nulls));
		args[0] = UUIDPGetDatum(&call->tenant);
		args[1] = UUIDPGetDatum(&call->run_id);
		nulls[1] = uuid_is_zero(&call->run_id) ? 'n' : ' ';
		args[2] = CStringGetTextDatum(call->step_path ? call->step_path : "");
		args[3] = CStringGetTextDatum(a->action_id);
		args[4] = CStringGetTextDatum(b.req.method);
		args[5] = CStringGetTextDatum(b.req.url);
		args[6] = JsonbPGetDatum(b.headers);
		if (b.body_text)
			args[7] = CStringGetTextDatum(b.body_text);
		else
			nulls[7] = 'n';
		args[8] = Int32GetDatum(timeout_ms);
		args[9] = CStringGetTextDatum(key ? key : "");
		args[10] = Int32GetDatum(call->attempt > 0 ? call->attempt : 1);
		if (expect)
			args[11] = CStringGetTextDatum(expect);
		else
			nulls[11] = 'n';
		if (b.body_json)
			args[12] = JsonbPGetDatum(b.body_json);
		else
			nulls[12] = 'n';
		args[13] = CStringGetTextDatum(uuid_is_zero(&call->run_id) ? uuid_text(invocation_id) : uuid_text(&call->run_id));
		args[14] = UUIDPGetDatum(invocation_id);
		args[15] = JsonbPGetDatum(jv_to_jsonb(decl));
		if (SPI_execute_with_args("INSERT INTO algawf.http_requests (tenant, run_id, step_path, action_id, method, url, "
								  "  headers, body, timeout_ms, idempotency_key, call_attempt, expect_status, body_json, "
								  "  correlation_id, invocation_id, decl, decl_state) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::int[], $13, $14, $15, $16, "
								  "  '{\"page\": 1, \"items\": [], \"transient\": 0, \"limited\": 0, \"auth\": 0}')",
								  16, types, args, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "algawf: outbox insert failed");
	}
	algawf_wake_at_commit();
	r->ok = true;
	r->deferred = true;
}

/* ------------------------------------------------------------------------
 * Executor: the row of a claimed request
 */

typedef struct Row
{
	JvArena		arena;
	Jsonb	   *decl_jb;
	Jv		   *decl;
	Jv		   *state;
	char	   *method;
	char	   *url;
	Jsonb	   *headers;
	char	   *body;
	Jsonb	   *body_json;
	int			timeout_ms;
	char	   *expect;
	pg_uuid_t	invocation;
	const char *vendor;
	const char *auth_key;
	Jsonb	   *auth_cfg;
} Row;

static bool
load_row(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *owner, Row *row)
{
	Oid			types[3] = {UUIDOID, UUIDOID, TEXTOID};
	Datum		args[3];
	HeapTuple	tup;
	TupleDesc	td;
	bool		isnull;
	Datum		d;

	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(request_id);
	args[2] = CStringGetTextDatum(owner);
	if (SPI_execute_with_args("SELECT decl, decl_state, method, url, headers, body, body_json, timeout_ms, "
							  "  expect_status::text, invocation_id "
							  "FROM algawf.http_requests WHERE tenant = $1 AND request_id = $2 "
							  "  AND status = 'sending' AND lease_owner = $3",
							  3, types, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "algawf: outbox row lookup failed");
	if (SPI_processed != 1)
		return false;
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	jv_arena_init_pg(&row->arena, CurrentMemoryContext);
	d = SPI_getbinval(tup, td, 1, &isnull);
	if (isnull)
		return false;
	row->decl_jb = DatumGetJsonbPCopy(d);
	row->decl = jv_from_jsonb(&row->arena, row->decl_jb);
	d = SPI_getbinval(tup, td, 2, &isnull);
	row->state = isnull ? jv_object(&row->arena, 4) : jv_from_jsonb(&row->arena, DatumGetJsonbP(d));
	row->method = SPI_getvalue(tup, td, 3);
	row->url = SPI_getvalue(tup, td, 4);
	d = SPI_getbinval(tup, td, 5, &isnull);
	row->headers = isnull ? NULL : DatumGetJsonbPCopy(d);
	row->body = SPI_getvalue(tup, td, 6);
	d = SPI_getbinval(tup, td, 7, &isnull);
	row->body_json = isnull ? NULL : DatumGetJsonbPCopy(d);
	d = SPI_getbinval(tup, td, 8, &isnull);
	row->timeout_ms = isnull ? algawf_http_timeout : DatumGetInt32(d);
	row->expect = SPI_getvalue(tup, td, 9);
	d = SPI_getbinval(tup, td, 10, &isnull);
	if (!isnull)
		memcpy(&row->invocation, DatumGetUUIDP(d), UUID_LEN);
	row->vendor = decl_get_string(&row->arena, row->decl, "vendor");
	if (row->vendor == NULL)
		row->vendor = "the service";
	row->auth_key = decl_get_string(&row->arena, row->decl, "authKey");
	{
		Jv		   *ac = jv_object_get(row->decl, "auth", 4);

		row->auth_cfg = ac && ac->type == JV_OBJECT ? jv_to_jsonb(ac) : NULL;
	}
	return true;
}

static int
state_int(Row *row, const char *key)
{
	Jv		   *v = jv_object_get(row->state, key, strlen(key));

	return v && v->type == JV_NUMBER ? (int) v->u.num : 0;
}

static void
state_set_int(Row *row, const char *key, int v)
{
	set(&row->arena, row->state, key, jv_number(&row->arena, v));
}

static void
requeue_full(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *owner, Row *row,
			 long delay_ms, const char *new_url, Jsonb *new_body, bool keep_attempt, long status, Jsonb *error,
			 const char *method, Jsonb *headers, const char *body_text)
{
	Oid			types[13] = {UUIDOID, UUIDOID, TEXTOID, INT8OID, JSONBOID, TEXTOID, JSONBOID, INT4OID, JSONBOID, BOOLOID,
	TEXTOID, JSONBOID, TEXTOID};
	Datum		args[13];
	char		nulls[13];

	memset(nulls, ' ', sizeof(nulls));
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(request_id);
	args[2] = CStringGetTextDatum(owner);
	args[3] = Int64GetDatum(delay_ms);
	args[4] = JsonbPGetDatum(jv_to_jsonb(row->state));
	if (new_url)
		args[5] = CStringGetTextDatum(new_url);
	else
		nulls[5] = 'n';
	if (new_body)
		args[6] = JsonbPGetDatum(new_body);
	else
		nulls[6] = 'n';
	if (status > 0)
		args[7] = Int32GetDatum((int32) status);
	else
		nulls[7] = 'n';
	if (error)
		args[8] = JsonbPGetDatum(error);
	else
		nulls[8] = 'n';
	args[9] = BoolGetDatum(keep_attempt);
	if (method)
		args[10] = CStringGetTextDatum(method);
	else
		nulls[10] = 'n';
	if (headers)
		args[11] = JsonbPGetDatum(headers);
	else
		nulls[11] = 'n';
	if (body_text)
		args[12] = CStringGetTextDatum(body_text);
	else
		nulls[12] = 'n';
	if (SPI_execute_with_args("SELECT algawf._decl_requeue($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
							  13, types, args, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "algawf: requeueing a request failed");
	if (delay_ms > 0)
		algawf_wake_at(TimestampTzPlusMilliseconds(GetCurrentTimestamp(), delay_ms));
	else
		algawf_wake_at_commit();
}

static void
requeue(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *owner, Row *row,
		long delay_ms, const char *new_url, Jsonb *new_body, bool keep_attempt, long status, Jsonb *error)
{
	requeue_full(tenant, request_id, owner, row, delay_ms, new_url, new_body, keep_attempt, status, error,
				 NULL, NULL, NULL);
}

/*
 * The final result: the invocation completed (redacted, audited), the row
 * done or failed, the waiting run resumed with {ok, output} / {ok: false, error}.
 */
static void
finish_row(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *owner, Row *row,
		   bool ok, Jsonb *output, Jsonb *error, const HttpResult *res)
{
	Jsonb	   *result;
	Oid			types[11] = {UUIDOID, UUIDOID, TEXTOID, TEXTOID, INT4OID, JSONBOID, TEXTOID, JSONBOID, JSONBOID, JSONBOID, INT4OID};
	Datum		args[11];
	char		nulls[11];
	StringInfoData b;

	initStringInfo(&b);
	if (ok)
		appendStringInfo(&b, "{\"ok\": true, \"output\": %s}",
						 output ? JsonbToCString(NULL, &output->root, VARSIZE(output)) : "null");
	else
		appendStringInfo(&b, "{\"ok\": false, \"error\": %s}", JsonbToCString(NULL, &error->root, VARSIZE(error)));
	result = jb_parse(b.data);

	/* the stored state keeps the result (a repeated call answers from it), not the items */
	set(&row->arena, row->state, "items", jv_array(&row->arena, 0));
	set(&row->arena, row->state, "result", jv_from_jsonb(&row->arena, result));

	memset(nulls, ' ', sizeof(nulls));
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(request_id);
	args[2] = CStringGetTextDatum(owner);
	args[3] = CStringGetTextDatum(ok ? "done" : "failed");
	if (res && res->outcome == HTTP_RESPONSE)
	{
		Jsonb	   *json = http_body_json(res->headers, res->body, res->body_len);

		args[4] = Int32GetDatum((int32) res->status);
		args[5] = JsonbPGetDatum(http_headers_jsonb(res->headers));
		args[6] = PointerGetDatum(cstring_to_text_with_len(res->body ? res->body : "", (int) res->body_len));
		if (json)
			args[7] = JsonbPGetDatum(json);
		else
			nulls[7] = 'n';
	}
	else
		nulls[4] = nulls[5] = nulls[6] = nulls[7] = 'n';
	args[8] = JsonbPGetDatum(result);
	args[9] = JsonbPGetDatum(jv_to_jsonb(row->state));
	if (res)
		args[10] = Int32GetDatum((int32) Min(res->elapsed_ms, PG_INT32_MAX));
	else
		nulls[10] = 'n';
	if (SPI_execute_with_args("SELECT algawf._decl_finish($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
							  11, types, args, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "algawf: recording a declarative result failed");

	/*
	 * Then the invocation (redacted, audited).  The run's wait is resolved
	 * above with the live output first, as SQL actions hand theirs to the
	 * step: redaction is for the stored rows (the invocation's completion
	 * would otherwise resume the run with the stored, redacted output).
	 */
	if (!uuid_is_zero(&row->invocation))
		(void) algawf_dispatch_complete(tenant, &row->invocation, ok, ok ? output : NULL, ok ? NULL : error);
}

static void
finish_error(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *owner, Row *row,
			 ActionErrorCategory cat, const char *code, const char *message, const char *hint,
			 const char *detail, bool retryable, long retry_after_ms, const HttpResult *res)
{
	finish_row(tenant, request_id, owner, row, false, NULL,
			   error_json(cat, code, message, hint, detail, retryable, retry_after_ms,
						  res && res->outcome == HTTP_RESPONSE ? res->status : 0),
			   res);
}

/* ------------------------------------------------------------------------
 * Executor: claim
 */

static const char *
header_line(const char *name, const char *value)
{
	return psprintf("%s: %s", name, value);
}

DeclClaim
http_decl_on_claim(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *owner,
				   const char *idempotency_key, const char *correlation_id, DeclSend *out)
{
	Row			row;
	AuthSetup	as;
	const char **lines;
	int			n = 0;
	int			cap;
	Jsonb	   *headers;
	Jsonb	   *body_json;
	ResolvedSecrets rs = {0};

	memset(out, 0, sizeof(*out));
	memset(&row, 0, sizeof(row));
	set_tenant_local(tenant);
	if (!load_row(tenant, request_id, owner, &row))
		return DECL_CLAIM_SKIP;

	/* 1. credentials */
	auth_setup(tenant, row.auth_key ? row.auth_key : "", row.auth_cfg, row.vendor, &as);
	switch (as.outcome)
	{
		case AUTH_OUT_FAIL:
			finish_error(tenant, request_id, owner, &row, category_for_code(as.code), as.code, as.message,
						 as.hint, NULL, false, -1, NULL);
			return DECL_CLAIM_DONE;
		case AUTH_OUT_WAIT:
			requeue(tenant, request_id, owner, &row, TOKEN_WAIT_MS, NULL, NULL, true, 0, NULL);
			return DECL_CLAIM_SKIP;
		case AUTH_OUT_NEED_TOKEN:
			{
				const char *problem = http_url_problem(as.token_request.url);
				const char **tl = palloc(sizeof(char *) * 4);
				int			k = 0;

				if (problem)
				{
					auth_release(tenant, row.auth_key);
					finish_error(tenant, request_id, owner, &row, AEC_ACTION, "PERMISSION_DENIED",
								 psprintf("%s token endpoint: %s", row.vendor, problem),
								 "Add the host to algawf.http_allowed_hosts (postgresql.conf, then SELECT pg_reload_conf()).",
								 NULL, false, -1, NULL);
					return DECL_CLAIM_DONE;
				}
				tl[k++] = header_line("Content-Type", as.token_request.content_type);
				tl[k++] = "Accept: application/json";
				if (as.token_request.auth_header)
					tl[k++] = as.token_request.auth_header;
				out->method = "POST";
				out->url = as.token_request.url;
				out->headers = tl;
				out->nheaders = k;
				out->body = as.token_request.body;
				out->timeout_ms = Min(row.timeout_ms, 60000);
				state_set_int(&row, "tokenFetches", state_int(&row, "tokenFetches") + 1);
				return DECL_CLAIM_TOKEN;
			}
		case AUTH_OUT_NONE:
		case AUTH_OUT_HEADER:
			break;
	}

	/* 2. the rate limit of the integration and tenant */
	{
		Jv		   *rate = jv_object_get(row.decl, "rate", 4);

		if (rate && rate->type == JV_OBJECT)
		{
			const char *bucket = decl_get_string(&row.arena, rate, "bucket");
			Jv		   *rq = jv_object_get(rate, "requests", 8);
			Jv		   *wm = jv_object_get(rate, "windowMs", 8);

			if (bucket && rq && wm && rq->type == JV_NUMBER && wm->type == JV_NUMBER)
			{
				int64		wait = ratelimit_acquire(tenant, bucket, (int) rq->u.num, (int64) wm->u.num);

				if (wait > 0)
				{
					state_set_int(&row, "rateWaits", state_int(&row, "rateWaits") + 1);
					requeue(tenant, request_id, owner, &row, (long) Min(wait, PG_INT32_MAX), NULL, NULL, true, 0, NULL);
					return DECL_CLAIM_SKIP;
				}
			}
		}
	}

	/* 3. secrets in headers and body, in memory only */
	headers = row.headers ? secrets_resolve(row.headers, tenant, &rs) : NULL;
	body_json = (headers || row.headers == NULL) && row.body_json ? secrets_resolve(row.body_json, tenant, &rs) : row.body_json;
	if ((row.headers && headers == NULL) || (row.body_json && body_json == NULL))
	{
		finish_error(tenant, request_id, owner, &row, AEC_VALIDATION, "NOT_FOUND",
					 psprintf("secret \"%s\" is not set for this tenant", rs.missing),
					 psprintf("An admin sets it with SELECT algawf.set_secret('%s', '<value>');", rs.missing),
					 NULL, false, -1, NULL);
		return DECL_CLAIM_DONE;
	}

	cap = 8 + (headers ? JB_ROOT_COUNT(headers) : 0);
	lines = palloc(sizeof(char *) * cap);
	if (headers && JB_ROOT_IS_OBJECT(headers))
	{
		JsonbIterator *it = JsonbIteratorInit(&headers->root);
		JsonbValue	v;
		JsonbIteratorToken tok;
		char	   *key = NULL;

		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
				key = pnstrdup(v.val.string.val, v.val.string.len);
			else if (tok == WJB_VALUE && key && v.type == jbvString)
			{
				char	   *val = pnstrdup(v.val.string.val, v.val.string.len);

				if (strpbrk(val, "\r\n") || strpbrk(key, "\r\n: "))
					continue;
				/* the auth scheme's header wins */
				if (as.outcome == AUTH_OUT_HEADER && pg_strcasecmp(key, as.header_name) == 0)
					continue;
				if (n < cap - 4)
					lines[n++] = header_line(key, val);
			}
		}
	}
	if (as.outcome == AUTH_OUT_HEADER)
		lines[n++] = header_line(as.header_name, as.header_value);
	if (idempotency_key && idempotency_key[0])
		lines[n++] = header_line("Idempotency-Key", idempotency_key);
	if (correlation_id && correlation_id[0])
		lines[n++] = header_line("X-Correlation-Id", correlation_id);

	out->method = row.method;
	out->url = row.url;
	out->headers = lines;
	out->nheaders = n;
	out->body = body_json ? JsonbToCString(NULL, &body_json->root, VARSIZE(body_json)) : row.body;
	out->timeout_ms = row.timeout_ms;
	strlcpy(out->fingerprint, as.fingerprint, sizeof(out->fingerprint));
	out->secrets = list_copy(rs.values);
	if (as.outcome == AUTH_OUT_HEADER && as.credential && strlen(as.credential) >= 4)
		out->secrets = lappend(out->secrets, (char *) as.credential);
	return DECL_CLAIM_SEND;
}

/* ------------------------------------------------------------------------
 * Executor: results
 */

static bool
transient_outcome(const HttpResult *res, bool *is_timeout, bool *is_429)
{
	*is_timeout = false;
	*is_429 = false;
	switch (res->outcome)
	{
		case HTTP_TIMEOUT:
			*is_timeout = true;
			return true;
		case HTTP_CONNECT_FAILED:
		case HTTP_RESOLVE_FAILED:
		case HTTP_CONNECTION_LOST:
			return true;
		case HTTP_RESPONSE:
			if (res->status == 429)
			{
				*is_429 = true;
				return true;
			}
			return res->status >= 500 || res->status == 408;
		default:
			return false;
	}
}

static long
backoff_ms(int n)
{
	long		d = 500L << Min(n, 8);

	return Min(d, 30000L);
}

static bool
status_expected(long status, const char *expect)
{
	const char *p;

	if (expect == NULL || expect[0] == '\0' || strcmp(expect, "{}") == 0)
		return status >= 200 && status < 300;
	for (p = expect; *p; p++)
	{
		if (isdigit((unsigned char) *p))
		{
			char	   *end;
			long		v = strtol(p, &end, 10);

			if (v == status)
				return true;
			p = end - 1;
		}
	}
	return false;
}

static bool
json_content(const HttpResult *res)
{
	const char *p = res->headers;

	while (p && *p)
	{
		const char *eol = strchr(p, '\n');
		size_t		len = eol ? (size_t) (eol - p) : strlen(p);

		if (len > 13 && pg_strncasecmp(p, "content-type:", 13) == 0)
		{
			char	   *v = pnstrdup(p + 13, len - 13);
			char	   *c;

			for (c = v; *c; c++)
				*c = pg_tolower((unsigned char) *c);
			return strstr(v, "json") != NULL;
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

static const char *
header_of(const HttpResult *res, const char *name, size_t *len)
{
	const char *p = res->headers;
	size_t		nl = strlen(name);

	while (p && *p)
	{
		const char *eol = strchr(p, '\n');
		size_t		l = eol ? (size_t) (eol - p) : strlen(p);

		if (l > nl && pg_strncasecmp(p, name, nl) == 0 && p[nl] == ':')
		{
			const char *v = p + nl + 1;
			const char *e = p + l;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == ' '))
				e--;
			*len = (size_t) (e - v);
			return v;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* the response body as a Jv: parsed JSON, a string, or NULL (empty); false when JSON is malformed */
static bool
response_body(JvArena *a, const HttpResult *res, Jv **body, const char **problem, size_t *errpos)
{
	const char *msg = NULL;
	bool		looks_json = res->body_len > 0 &&
		(res->body[0] == '{' || res->body[0] == '[');

	*body = NULL;
	if (res->body_len == 0)
		return true;
	if (json_content(res) || looks_json)
	{
		Jv		   *v = jv_parse(a, res->body, res->body_len, 0, errpos, &msg);

		if (v == NULL)
		{
			if (json_content(res))
			{
				*problem = msg ? msg : "invalid JSON";
				return false;
			}
		}
		else
		{
			*body = v;
			return true;
		}
	}
	*body = jv_string(a, res->body, res->body_len);
	return true;
}

static Jv  *
response_bindings(Row *row, const HttpResult *res, Jv *items)
{
	JvArena    *a = &row->arena;
	Jv		   *b = jv_object(a, 8);
	Jv		   *p = jv_object_get(row->decl, "prepared", 8);

	set(a, b, "input", jv_object_get(row->decl, "input", 5));
	set(a, b, "connection", jv_object_get(row->decl, "connection", 10));
	set(a, b, "prepared", p ? p : jv_null(a));
	set(a, b, "status", jv_number(a, res->status));
	set(a, b, "headers", jv_from_jsonb(a, http_headers_jsonb(res->headers)));
	set(a, b, "page", jv_number(a, Max(state_int(row, "page"), 1)));
	set(a, b, "items", items ? items : jv_array(a, 0));
	set(a, b, "main", jv_object_get(row->state, "main", 4));
	set(a, b, "results", jv_object_get(row->state, "results", 7) ? jv_object_get(row->state, "results", 7) : jv_object(a, 0));
	return b;
}

/* the error of a non-success answer: the template's rules, else the standard mapping */
static void
answer_error(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *owner, Row *row,
			 const HttpResult *res, Jv *body)
{
	Jv		   *request = jv_object_get(row->decl, "request", 7);
	Jv		   *rules = request ? jv_object_get(request, "errors", 6) : NULL;
	DeclEnv		env;
	ExprLimits	lim;
	DeclError	err;
	Jv		   *bindings = response_bindings(row, res, NULL);
	size_t		i;
	HttpVerdict v;
	long		ra = http_retry_after_ms(res->headers);

	decl_env(&env, &lim);
	for (i = 0; rules && rules->type == JV_ARRAY && i < rules->u.arr.n; i++)
	{
		Jv		   *rule = rules->u.arr.items[i];
		Jv		   *st = jv_object_get(rule, "status", 6);
		const char *when = decl_get_string(&row->arena, rule, "when");
		bool		match = st == NULL;
		bool		failed;
		Jv		   *msg,
				   *hint;
		const char *code;
		Jv		   *retry;

		if (res->outcome != HTTP_RESPONSE)
			break;
		if (st && st->type == JV_NUMBER)
			match = (long) st->u.num == res->status;
		else if (st && st->type == JV_ARRAY)
		{
			size_t		k;

			for (k = 0; k < st->u.arr.n; k++)
				if (st->u.arr.items[k]->type == JV_NUMBER && (long) st->u.arr.items[k]->u.num == res->status)
					match = true;
		}
		if (!match)
			continue;
		if (when)
		{
			Jv		   *w = NULL;

			if (!decl_eval_expr(&row->arena, when, strlen(when), body, bindings, &env, "errors.when", &w, &err) ||
				!truthy(w))
				continue;
		}
		code = decl_get_string(&row->arena, rule, "code");
		msg = decl_eval_value(&row->arena, jv_object_get(rule, "message", 7), body, bindings, &env, "errors.message", &err, &failed);
		hint = failed ? NULL : decl_eval_value(&row->arena, jv_object_get(rule, "hint", 4), body, bindings, &env, "errors.hint", &err, &failed);
		retry = jv_object_get(rule, "retryable", 9);
		finish_error(tenant, request_id, owner, row, category_for_code(code), code,
					 msg && msg->type == JV_STRING ? pnstrdup(msg->u.str.s, msg->u.str.len) :
					 psprintf("%s answered HTTP %ld", row->vendor, res->status),
					 hint && hint->type == JV_STRING ? pnstrdup(hint->u.str.s, hint->u.str.len) : NULL,
					 NULL,
					 retry && retry->type == JV_BOOL ? retry->u.b : category_for_code(code) == AEC_TRANSIENT,
					 ra, res);
		return;
	}

	http_verdict(res, row->expect, &v);
	{
		Jsonb	   *e = v.error;
		char	   *code = jb_string(e, "code");
		char	   *message = jb_string(e, "message");
		JsonbValue *retry = getKeyJsonValueFromContainer(&e->root, "retryable", 9, NULL);
		const char *hint = NULL;
		char	   *detail = NULL;

		if (code == NULL)
			code = "INTERNAL_ERROR";
		if (strcmp(code, "PERMISSION_DENIED") == 0)
			hint = row->auth_cfg ?
				psprintf("Check the %s credentials (secrets %s) and the permissions of the API key or application.",
						 row->vendor, auth_secret_names(row->auth_cfg)) :
				psprintf("%s refused the request; check the integration's settings.", row->vendor);
		else if (strcmp(code, "NOT_FOUND") == 0)
			hint = psprintf("Check the ids in the action's input: %s does not know them.", row->vendor);
		else if (strcmp(code, "RATE_LIMITED") == 0)
			hint = psprintf("%s is rate limiting this tenant: retry later (step retry with back-off).", row->vendor);
		if (res->outcome == HTTP_RESPONSE && res->body_len > 0)
			detail = psprintf("%s answered: %.300s", row->vendor, res->body);
		finish_error(tenant, request_id, owner, row, category_of(jb_string(e, "category")), code,
					 psprintf("%s: %s", row->vendor, message ? message : "the request failed"),
					 hint, detail, retry && retry->type == jbvBool && retry->val.boolean, ra, res);
	}
}

static void
answer_success(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *owner, Row *row,
			   const HttpResult *res, Jv *body)
{
	Jv		   *request = jv_object_get(row->decl, "request", 7);
	Jv		   *input = jv_object_get(row->decl, "input", 5);
	DeclEnv		env;
	ExprLimits	lim;
	DeclError	err;
	DeclPaging	pg;
	Jv		   *items = jv_object_get(row->state, "items", 5);
	Jv		   *output = NULL;
	Jsonb	   *out_jb;
	const char *resp;
	long		max_items = -1;

	decl_env(&env, &lim);
	memset(&err, 0, sizeof(err));
	if (items == NULL || items->type != JV_ARRAY)
		items = jv_array(&row->arena, 8);

	if (state_int(row, "then") > 0)
	{
		/* a follow-up request answered: keep its body, go on with the main one's */
		Jv		   *then = jv_object_get(request, "then", 4);
		Jv		   *item = then->u.arr.items[state_int(row, "then") - 1];
		Jv		   *results = jv_object_get(row->state, "results", 7);
		const char *name = decl_get_string(&row->arena, item, "name");

		if (results == NULL || results->type != JV_OBJECT)
			results = jv_object(&row->arena, 2);
		jv_object_set(&row->arena, results, name, strlen(name), body ? body : jv_null(&row->arena));
		set(&row->arena, row->state, "results", results);
		body = jv_object_get(row->state, "main", 4);
	}
	else if (decl_paging(&row->arena, request, &pg))
	{
		Jv		   *page_items = body;
		Jv		   *bindings = response_bindings(row, res, items);
		const char *next_url = NULL;
		Jv		   *cursor = NULL;
		int			page = Max(state_int(row, "page"), 1);

		if (pg.items && !decl_eval_expr(&row->arena, pg.items, strlen(pg.items), body, bindings, &env,
										"paginate.items", &page_items, &err))
			goto expr_failed;
		/* copy into a fresh array: items from the parsed state are shared */
		{
			Jv		   *all = jv_array(&row->arena, items->u.arr.n + 8);
			size_t		i;

			for (i = 0; i < items->u.arr.n; i++)
				jv_array_push(&row->arena, all, items->u.arr.items[i]);
			if (page_items && page_items->type == JV_ARRAY)
				for (i = 0; i < page_items->u.arr.n && all->u.arr.n < MAX_ITEMS_KEPT; i++)
					jv_array_push(&row->arena, all, page_items->u.arr.items[i]);
			else if (page_items && all->u.arr.n < MAX_ITEMS_KEPT)
				jv_array_push(&row->arena, all, page_items);
			items = all;
		}
		if (pg.max_items)
		{
			Jv		   *m = NULL;

			if (!decl_eval_expr(&row->arena, pg.max_items, strlen(pg.max_items), input, bindings, &env,
								"paginate.maxItems", &m, &err))
				goto expr_failed;
			if (m && m->type == JV_NUMBER && m->u.num >= 0)
				max_items = (long) m->u.num;
		}
		if (pg.style == DECL_PAGE_CURSOR && pg.next)
		{
			bindings = response_bindings(row, res, items);
			if (!decl_eval_expr(&row->arena, pg.next, strlen(pg.next), body, bindings, &env,
								"paginate.next", &cursor, &err))
				goto expr_failed;
			if (cursor && (cursor->type == JV_NULL || (cursor->type == JV_STRING && cursor->u.str.len == 0) ||
						   cursor->type == JV_ARRAY || cursor->type == JV_OBJECT || cursor->type == JV_BOOL))
				cursor = NULL;
		}
		else if (pg.style == DECL_PAGE_LINK)
		{
			size_t		ll;
			const char *link = header_of(res, "link", &ll);

			if (link)
				next_url = decl_link_next(&row->arena, link, ll, row->url);
			if (next_url && !decl_same_origin(next_url, row->url))
				next_url = NULL;
		}
		if ((cursor || next_url) && page < pg.max_pages &&
			(max_items < 0 || (long) items->u.arr.n < max_items))
		{
			/* another page */
			set(&row->arena, row->state, "items", items);
			state_set_int(row, "page", page + 1);
			state_set_int(row, "transient", 0);
			state_set_int(row, "limited", 0);
			if (cursor)
			{
				Jv		   *extra = jv_object(&row->arena, 1);
				DeclRequest nr;
				Jv		   *rb = jv_object(&row->arena, 3);
				Jv		   *p = jv_object_get(row->decl, "prepared", 8);

				set(&row->arena, row->state, "cursor", cursor);
				jv_object_set(&row->arena, extra, pg.param, strlen(pg.param), cursor);
				set(&row->arena, rb, "input", input);
				set(&row->arena, rb, "connection", jv_object_get(row->decl, "connection", 10));
				set(&row->arena, rb, "prepared", p ? p : jv_null(&row->arena));
				if (!decl_build_request(&row->arena, request, input, rb, extra, NULL, &env, &nr, &err))
					goto expr_failed;
				next_url = nr.url;
			}
			if (http_url_problem(next_url) != NULL)
			{
				finish_error(tenant, request_id, owner, row, AEC_ACTION, "PERMISSION_DENIED",
							 psprintf("%s: the next page %s", row->vendor, http_url_problem(next_url)),
							 "Add the host to algawf.http_allowed_hosts.", NULL, false, -1, res);
				return;
			}
			requeue(tenant, request_id, owner, row, 0, next_url, row->body_json, false, res->status, NULL);
			return;
		}
		if (max_items >= 0 && (long) items->u.arr.n > max_items)
			items->u.arr.n = (size_t) max_items;
	}

	/* follow-up requests ("then"), one after the other */
	{
		Jv		   *then = jv_object_get(request, "then", 4);
		int			k = state_int(row, "then");

		if (then && then->type == JV_ARRAY && k < (int) then->u.arr.n)
		{
			Jv		   *item = then->u.arr.items[k];
			Jv		   *sub = jv_object(&row->arena, item->u.obj.n);
			Jv		   *rb = response_bindings(row, res, items);
			const char *req_expr = decl_get_string(&row->arena, item, "require");
			DeclRequest nr;
			size_t		i;

			if (k == 0)
			{
				set(&row->arena, row->state, "main", body ? body : jv_null(&row->arena));
				set(&row->arena, row->state, "items", items);
				rb = response_bindings(row, res, items);
			}
			if (req_expr)
			{
				Jv		   *ok = NULL;

				if (!decl_eval_expr(&row->arena, req_expr, strlen(req_expr), input, rb, &env, "then.require", &ok, &err))
					goto expr_failed;
				if (!truthy(ok))
				{
					Jv		   *e = jv_object_get(item, "error", 5);
					const char *code = e ? decl_get_string(&row->arena, e, "code") : NULL;
					bool		failed;
					Jv		   *msg = e ? decl_eval_value(&row->arena, jv_object_get(e, "message", 7), input, rb, &env, "then.error", &err, &failed) : NULL;
					Jv		   *hint = e ? decl_eval_value(&row->arena, jv_object_get(e, "hint", 4), input, rb, &env, "then.error", &err, &failed) : NULL;

					if (code == NULL)
						code = "VALIDATION_ERROR";
					finish_error(tenant, request_id, owner, row, category_for_code(code), code,
								 msg && msg->type == JV_STRING ? pnstrdup(msg->u.str.s, msg->u.str.len) :
								 psprintf("%s: the follow-up request \"%s\" cannot be made", row->vendor,
										  decl_get_string(&row->arena, item, "name")),
								 hint && hint->type == JV_STRING ? pnstrdup(hint->u.str.s, hint->u.str.len) : NULL,
								 NULL, false, -1, res);
					return;
				}
			}
			for (i = 0; i < item->u.obj.n; i++)
			{
				JvPair	   *pr = &item->u.obj.pairs[i];

				if (!(pr->klen == 4 && memcmp(pr->key, "name", 4) == 0) &&
					!(pr->klen == 7 && memcmp(pr->key, "require", 7) == 0) &&
					!(pr->klen == 5 && memcmp(pr->key, "error", 5) == 0))
					jv_object_set(&row->arena, sub, pr->key, pr->klen, pr->val);
			}
			if (!decl_build_request(&row->arena, sub, input, rb, NULL, NULL, &env, &nr, &err))
				goto expr_failed;
			if (http_url_problem(nr.url) != NULL)
			{
				finish_error(tenant, request_id, owner, row, AEC_ACTION, "PERMISSION_DENIED",
							 psprintf("%s: the follow-up request %s", row->vendor, http_url_problem(nr.url)),
							 "Add the host to algawf.http_allowed_hosts.", NULL, false, -1, res);
				return;
			}
			{
				Jv		   *h = nr.headers;

				if (jv_object_get(h, "Accept", 6) == NULL)
					set(&row->arena, h, "Accept", jstr(&row->arena, "application/json"));
				if (nr.content_type && jv_object_get(h, "Content-Type", 12) == NULL)
					set(&row->arena, h, "Content-Type", jstr(&row->arena, nr.content_type));
				state_set_int(row, "then", k + 1);
				state_set_int(row, "transient", 0);
				state_set_int(row, "limited", 0);
				requeue_full(tenant, request_id, owner, row, 0, nr.url,
							 nr.body_json ? jv_to_jsonb(nr.body_json) : NULL, false, res->status, NULL,
							 nr.method, jv_to_jsonb(h), nr.body_text);
			}
			return;
		}
	}

	/* the output */
	resp = request ? decl_get_string(&row->arena, request, "response") : NULL;
	if (resp)
	{
		Jv		   *bindings = response_bindings(row, res, items);

		if (!decl_eval_expr(&row->arena, resp, strlen(resp), body, bindings, &env, "response", &output, &err))
			goto expr_failed;
		if (output == NULL)
			output = jv_null(&row->arena);
	}
	else
		output = body ? body : jv_object(&row->arena, 0);
	out_jb = jv_to_jsonb(output);

	/* the finish hook */
	{
		const char *fin = decl_get_string(&row->arena, row->decl, "finish");

		if (fin)
		{
			char	   *problem = NULL;
			Oid			fn = hook_function(fin, &problem);
			ErrorData  *e = NULL;
			Jv		   *data = jv_object(&row->arena, 4);
			Jv		   *p = jv_object_get(row->decl, "prepared", 8);
			Jsonb	   *ctx = jv_object_get(row->decl, "ctx", 3) ? jv_to_jsonb(jv_object_get(row->decl, "ctx", 3)) : jb_parse("{}");
			Jsonb	   *fo;

			if (!OidIsValid(fn))
			{
				finish_error(tenant, request_id, owner, row, AEC_ACTION, "INTERNAL_ERROR",
							 psprintf("the finish hook cannot run: %s", problem), NULL, NULL, false, -1, res);
				return;
			}
			set(&row->arena, data, "input", input);
			set(&row->arena, data, "output", output);
			set(&row->arena, data, "prepared", p ? p : jv_null(&row->arena));
			set(&row->arena, data, "connection", jv_object_get(row->decl, "connection", 10));
			fo = call_hook(fn, ctx, jv_to_jsonb(data), &e);
			if (fo == NULL)
			{
				ActionErrorCategory cat;
				const char *code;
				bool		retry;

				map_sqlstate(e->sqlerrcode, &cat, &code, &retry);
				finish_error(tenant, request_id, owner, row, cat, code, e->message ? pstrdup(e->message) : "the finish hook failed",
							 e->hint ? pstrdup(e->hint) : NULL, e->detail ? pstrdup(e->detail) : NULL, retry, -1, res);
				return;
			}
			out_jb = fo;
		}
	}

	/* the output schema */
	{
		const char *aid = decl_get_string(&row->arena, row->decl, "action");
		Jv		   *ver = jv_object_get(row->decl, "version", 7);
		ActionDef  *ad = aid && ver ? action_lookup(aid, (int) ver->u.num) : NULL;

		if (ad)
		{
			List	   *errors = NIL;
			int			nerr = algawf_schema_validate(algawf_schema_cached(ad->output_schema), out_jb, false, &errors);

			if (nerr > 0)
			{
				AlgawfSchemaError *first = linitial(errors);

				finish_error(tenant, request_id, owner, row, AEC_ACTION, "INTERNAL_ERROR",
							 psprintf("output of %s@%d does not match its output schema at \"%s\": %s",
									  ad->action_id, ad->version, first->path, first->message),
							 psprintf("%s's answer did not map to the action's output; the response mapping or the schema needs fixing.", row->vendor),
							 psprintf("%s answered: %.300s", row->vendor, res->body ? res->body : ""),
							 false, -1, res);
				return;
			}
		}
	}
	finish_row(tenant, request_id, owner, row, true, out_jb, NULL, res);
	return;

expr_failed:
	finish_error(tenant, request_id, owner, row, AEC_EXPRESSION, "VALIDATION_ERROR",
				 psprintf("%s: mapping the answer failed at %s: %s", row->vendor, err.where, err.message),
				 "The action's response mapping does not fit what the service answered.",
				 psprintf("%s answered: %.300s", row->vendor, res->body ? res->body : ""), false, -1, res);
}

static void
on_result_inner(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *owner,
				int phase, const char *fingerprint, const HttpResult *res)
{
	Row			row;
	bool		is_timeout,
				is_429;
	bool		transient;
	Jv		   *request;
	Jv		   *retry;
	int			max_attempts = DEFAULT_MAX_ATTEMPTS;
	bool		on_timeout = true;
	long		ra;

	memset(&row, 0, sizeof(row));
	set_tenant_local(tenant);
	if (!load_row(tenant, request_id, owner, &row))
		return;					/* the lease lapsed: someone else took over */
	request = jv_object_get(row.decl, "request", 7);
	retry = request ? jv_object_get(request, "retry", 5) : NULL;
	if (retry && retry->type == JV_OBJECT)
	{
		Jv		   *m = jv_object_get(retry, "maxAttempts", 11);
		Jv		   *t = jv_object_get(retry, "onTimeout", 9);

		if (m && m->type == JV_NUMBER)
			max_attempts = (int) m->u.num;
		if (t && t->type == JV_BOOL)
			on_timeout = t->u.b;
	}
	transient = transient_outcome(res, &is_timeout, &is_429);
	ra = http_retry_after_ms(res->headers);

	if (phase == 2)
	{
		/* the token endpoint answered */
		if (res->outcome == HTTP_RESPONSE && res->status >= 200 && res->status < 300)
		{
			const char *problem = NULL;
			Jsonb	   *json = NULL;
			JvArena		ja;
			size_t		ep;
			const char *em;
			Jv		   *v;

			jv_arena_init_pg(&ja, CurrentMemoryContext);
			v = res->body_len ? jv_parse(&ja, res->body, res->body_len, 0, &ep, &em) : NULL;
			if (v)
				json = jv_to_jsonb(v);
			if (!auth_store_token(tenant, row.auth_key, row.auth_cfg, json, &problem))
			{
				auth_release(tenant, row.auth_key);
				finish_error(tenant, request_id, owner, &row, AEC_ACTION, "PERMISSION_DENIED",
							 psprintf("%s login: %s", row.vendor, problem),
							 psprintf("Check the %s credentials (secrets %s).", row.vendor, auth_secret_names(row.auth_cfg)),
							 NULL, false, -1, res);
				return;
			}
			requeue(tenant, request_id, owner, &row, 0, NULL, NULL, false, 0, NULL);
			return;
		}
		auth_release(tenant, row.auth_key);
		if (transient && state_int(&row, "transient") + 1 < max_attempts && (!is_timeout || on_timeout))
		{
			int			n = state_int(&row, "transient");

			state_set_int(&row, "transient", n + 1);
			requeue(tenant, request_id, owner, &row, ra >= 0 && ra <= MAX_RETRY_AFTER_MS ? ra : backoff_ms(n),
					NULL, NULL, false, res->outcome == HTTP_RESPONSE ? res->status : 0, NULL);
			return;
		}
		if (res->outcome == HTTP_RESPONSE && res->status >= 400 && res->status < 500 && res->status != 429 && res->status != 408)
		{
			finish_error(tenant, request_id, owner, &row, AEC_ACTION, "PERMISSION_DENIED",
						 psprintf("%s refused the credentials (HTTP %ld from the token endpoint)", row.vendor, res->status),
						 psprintf("Check the %s credentials (secrets %s): the client id, secret or refresh token is wrong, expired or revoked.",
								  row.vendor, auth_secret_names(row.auth_cfg)),
						 res->body_len ? psprintf("the token endpoint answered: %.300s", res->body) : NULL,
						 false, -1, res);
			return;
		}
		{
			HttpVerdict v;

			http_verdict(res, NULL, &v);
			finish_error(tenant, request_id, owner, &row,
						 category_of(jb_string(v.error, "category")),
						 jb_string(v.error, "code") ? jb_string(v.error, "code") : "TRANSIENT_FAILURE",
						 psprintf("%s login: %s", row.vendor, jb_string(v.error, "message")),
						 NULL, NULL, transient, ra, res);
		}
		return;
	}

	/* the request itself: a refused token is fetched again once */
	if (res->outcome == HTTP_RESPONSE && res->status == 401 && row.auth_cfg &&
		auth_uses_token(auth_kind(jv_object_get(row.decl, "auth", 4))) &&
		state_int(&row, "auth") < MAX_AUTH_RETRIES)
	{
		auth_invalidate(tenant, row.auth_key, fingerprint);
		state_set_int(&row, "auth", state_int(&row, "auth") + 1);
		requeue(tenant, request_id, owner, &row, 0, NULL, NULL, false, res->status, NULL);
		return;
	}

	/* 429 with Retry-After, 5xx and timeouts: again later */
	if (transient && (!is_timeout || on_timeout))
	{
		const char *counter = is_429 ? "limited" : "transient";
		int			n = state_int(&row, counter);
		int			limit = is_429 ? Max(max_attempts, MAX_RATE_LIMITED) : max_attempts;

		if (n + 1 < limit && (ra < 0 || ra <= MAX_RETRY_AFTER_MS))
		{
			state_set_int(&row, counter, n + 1);
			requeue(tenant, request_id, owner, &row, ra >= 0 ? ra : backoff_ms(n), NULL, NULL, false,
					res->outcome == HTTP_RESPONSE ? res->status : 0, NULL);
			return;
		}
	}

	if (state_int(&row, "then") > 0)
	{
		/* a follow-up request: its own expectStatus, else 2xx */
		Jv		   *then = jv_object_get(request, "then", 4);
		Jv		   *item = then && then->type == JV_ARRAY && state_int(&row, "then") <= (int) then->u.arr.n ?
			then->u.arr.items[state_int(&row, "then") - 1] : NULL;
		Jv		   *e = item ? jv_object_get(item, "expectStatus", 12) : NULL;
		StringInfoData b;

		initStringInfo(&b);
		appendStringInfoChar(&b, '{');
		if (e && e->type == JV_NUMBER)
			appendStringInfo(&b, "%d", (int) e->u.num);
		else if (e && e->type == JV_ARRAY)
		{
			size_t		i;

			for (i = 0; i < e->u.arr.n; i++)
				appendStringInfo(&b, "%s%d", i ? "," : "", (int) e->u.arr.items[i]->u.num);
		}
		appendStringInfoChar(&b, '}');
		row.expect = b.data;
	}
	if (res->outcome == HTTP_RESPONSE && status_expected(res->status, row.expect))
	{
		Jv		   *body = NULL;
		const char *problem = NULL;
		size_t		errpos = 0;

		if (!response_body(&row.arena, res, &body, &problem, &errpos))
		{
			finish_error(tenant, request_id, owner, &row, AEC_ACTION, "INTERNAL_ERROR",
						 psprintf("%s answered malformed JSON (%s at byte %zu)", row.vendor, problem, errpos),
						 psprintf("%s sent an answer that is not valid JSON; if it persists, check the integration's base URL.", row.vendor),
						 psprintf("%s answered: %.300s", row.vendor, res->body), false, -1, res);
			return;
		}
		answer_success(tenant, request_id, owner, &row, res, body);
		return;
	}
	{
		Jv		   *body = NULL;
		const char *problem;
		size_t		errpos;

		if (res->outcome == HTTP_RESPONSE)
			(void) response_body(&row.arena, res, &body, &problem, &errpos);
		answer_error(tenant, request_id, owner, &row, res, body);
	}
}

void
http_decl_on_result(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *owner,
					int phase, const char *fingerprint, const HttpResult *res)
{
	MemoryContext old = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(old);
	PG_TRY();
	{
		on_result_inner(tenant, request_id, owner, phase, fingerprint, res);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(old);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(old);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED || edata->elevel >= FATAL)
			ReThrowError(edata);
	}
	PG_END_TRY();

	if (edata)
	{
		/* processing failed: the call fails (not the other results of this batch) */
		Row			row;

		memset(&row, 0, sizeof(row));
		ereport(LOG,
				(errmsg("algawf: processing the answer to request %s failed: %s",
						uuid_text(request_id), edata->message)));
		set_tenant_local(tenant);
		if (load_row(tenant, request_id, owner, &row))
			finish_error(tenant, request_id, owner, &row, AEC_ACTION, "INTERNAL_ERROR",
						 psprintf("processing %s's answer failed: %s", row.vendor, edata->message),
						 edata->hint, edata->detail, false, -1, res);
	}
}

/* ------------------------------------------------------------------------
 * SQL: algawf.http_preview(action_id, input, version), algawf._creating_extension()
 */

PG_FUNCTION_INFO_V1(algawf_http_preview);
Datum
algawf_http_preview(PG_FUNCTION_ARGS)
{
	ActionCall	call;
	ActionDef  *a;
	ActionResult r;
	Built		b;
	pg_uuid_t	inv;
	PrivSave	owner;
	MemoryContext cxt = CurrentMemoryContext;
	StringInfoData s;
	RedactSpec	red = {0};
	Jsonb	   *result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	memset(&call, 0, sizeof(call));
	memset(&r, 0, sizeof(r));
	memset(&inv, 0, sizeof(inv));
	memset(&b, 0, sizeof(b));
	call.tenant = *algawf_tenant_require();
	call.action_id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	call.action_version = PG_ARGISNULL(2) ? 1 : PG_GETARG_INT32(2);
	call.input = PG_GETARG_JSONB_P(1);
	call.step_path = "http_preview";
	call.attempt = 1;
	if (algawf_user && algawf_user[0])
	{
		call.has_actor = true;
		memcpy(&call.actor, DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(algawf_user))), UUID_LEN);
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(cxt);
	priv_enter(&owner, algawf_owner_oid());
	a = action_lookup(call.action_id, call.action_version);
	if (a == NULL || !http_decl_is_declarative(a))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s@%d is not a declarative HTTP action", call.action_id, call.action_version)));
	if (!build_call(&call, a, call.input, NULL, &inv, &b, &r))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s (%s)", r.message, r.code),
				 r.detail ? errdetail("%s", r.detail) : 0,
				 r.hint ? errhint("%s", r.hint) : 0));
	priv_leave(&owner);

	red.markers = true;
	red.sensitive_keys = true;
	initStringInfo(&s);
	appendStringInfo(&s, "{\"method\": %s, \"url\": %s, \"headers\": %s, \"body\": %s, "
					 "\"auth\": %s, \"rateLimit\": %s, \"integration\": %s, \"problem\": %s}",
					 json_quote(b.req.method), json_quote(b.req.url),
					 JsonbToCString(NULL, &algawf_redact(b.headers, &red)->root, 0),
					 b.body_json ? JsonbToCString(NULL, &algawf_redact(b.body_json, &red)->root, 0) :
					 b.body_text ? json_quote(b.body_text) : "null",
					 b.auth ? psprintf("{\"name\": %s, \"scheme\": %s}", json_quote(b.auth_name),
									   json_quote(auth_kind_name(auth_kind(b.auth)))) : "null",
					 b.rate ? JsonbToCString(NULL, &jv_to_jsonb(b.rate)->root, 0) : "null",
					 a->integration ? json_quote(a->integration) : "null",
					 http_url_problem(b.req.url) ? json_quote(http_url_problem(b.req.url)) : "null");
	result = jb_parse(s.data);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

PG_FUNCTION_INFO_V1(algawf_creating_extension);
Datum
algawf_creating_extension(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(creating_extension);
}
