/*
 * dispatch.c — algawf_dispatch(): every action call, from the interpreter or
 * from algawf.call_action(), passes through here.
 *
 * Per call: tenant check -> registry row -> resolve $secret markers ->
 * validate input -> family enabled / integration active -> actor permissions
 * -> idempotency key (replay a SUCCEEDED invocation; claim the key for
 * side-effectful actions) -> execute in a subtransaction, as algawf_service
 * under row-level security for the call's tenant, with the call's timeout ->
 * validate output -> invocation row (redacted) -> audit row.
 *
 * Bookkeeping (registry, secrets, invocations, audit) runs as the extension
 * owner with a pinned search_path; permission checks and the implementation
 * run as algawf_service, so row-level security applies to them whatever role
 * the caller has.  An action's failure comes back in the ActionResult with
 * its writes rolled back; only internal errors and query cancels are thrown.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "port.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "action.h"
#include "dispatch.h"
#include "guc.h"
#include "http_action.h"
#include "http_decl_pg.h"
#include "jsonschema_pg.h"
#include "jval_pg.h"
#include "registry.h"
#include "tenancy.h"

#define MAX_KEY_LEN 500
#define MAX_DETAIL_ERRORS 10

typedef struct Dispatch
{
	const ActionCall *call;
	ActionDef  *action;
	ActionResult res;
	MemoryContext cxt;			/* the caller's */
	RedactSpec	redact;			/* for everything stored, and messages */
	List	   *secrets;		/* resolved secret values: never returned either */
	List	   *redacted;		/* values the input's redaction removed */
	Jsonb	   *stored_input;	/* redacted */
	Jsonb	   *resolved_input; /* secrets resolved */
	char	   *key;
	char	   *sqlstate;		/* of a mapped SQL error */
	TimestampTz start;
	pg_uuid_t	invocation_id;
	bool		claimed;		/* a RUNNING row holds the key */
	bool		executed;		/* the implementation ran (or was attempted) */
	bool		no_row;			/* write no invocation row (tenant refused) */
} Dispatch;

const char *
action_error_category_name(ActionErrorCategory c)
{
	switch (c)
	{
		case AEC_NONE:
			return NULL;
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
	}
	return NULL;
}

static const char *
default_hint(Dispatch *d, const char *code)
{
	const char *id = d->call->action_id;

	if (strcmp(code, "VALIDATION_ERROR") == 0)
		return psprintf("Make the step's input match the action's input schema: SELECT input_schema FROM algawf.catalog WHERE action_id = '%s';", id);
	if (strcmp(code, "PERMISSION_DENIED") == 0)
		return "Give the acting user a PSA role with the permission, or run the workflow as a user who has it.";
	if (strcmp(code, "NOT_FOUND") == 0)
		return "Check that the referenced record exists in this tenant.";
	if (strcmp(code, "CONFLICT") == 0)
		return "A record with the same unique values already exists: look it up instead of creating it, or change the values.";
	if (strcmp(code, "RATE_LIMITED") == 0)
		return "The service is rate limiting this tenant: retry later (step retry with back-off).";
	if (strcmp(code, "TRANSIENT_FAILURE") == 0)
		return "A temporary condition: retrying the step usually succeeds (give it a retry policy).";
	if (strcmp(code, "INTEGRATION_INACTIVE") == 0)
		return "Connect and activate the integration for this tenant.";
	return "This is a defect in the action or the engine; the detail says where.";
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

static char *
uuid_text(const pg_uuid_t *u)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(u)));
}

/* record a failure (strings copied into the caller's context, scrubbed of secret values) */
static void
fail(Dispatch *d, ActionErrorCategory cat, const char *code, bool retryable,
	 const char *message, const char *detail, const char *hint)
{
	MemoryContext old = MemoryContextSwitchTo(d->cxt);

	d->res.ok = false;
	d->res.deferred = false;
	d->res.output = NULL;
	d->res.category = cat;
	d->res.code = code;
	d->res.retryable = retryable;
	d->res.message = algawf_scrub_text(message, &d->redact);
	d->res.detail = detail ? algawf_scrub_text(detail, &d->redact) : NULL;
	d->res.hint = algawf_scrub_text(hint ? hint : default_hint(d, code), &d->redact);
	MemoryContextSwitchTo(old);
}

/* ---- SPI helpers --------------------------------------------------------- */

/*
 * Run one of the dispatcher's statements with a plan prepared once per
 * backend (keyed by the statement's address: they are all literals).
 */
typedef struct PlanEntry
{
	const char *sql;
	SPIPlanPtr	plan;
	struct PlanEntry *next;
} PlanEntry;

static int
spi_run(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, bool read_only, long tcount)
{
	static PlanEntry *plans = NULL;
	PlanEntry  *e;

	for (e = plans; e; e = e->next)
		if (e->sql == sql)
			break;
	if (e == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(sql, nargs, types);

		if (p == NULL)
			elog(ERROR, "dispatcher could not prepare (%s): %s", SPI_result_code_string(SPI_result), sql);
		SPI_keepplan(p);
		e = MemoryContextAlloc(TopMemoryContext, sizeof(PlanEntry));
		e->sql = sql;
		e->plan = p;
		e->next = plans;
		plans = e;
	}
	return SPI_execute_plan(e->plan, values, nulls, read_only, tcount);
}

static void
spi_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expect)
{
	int			rc = spi_run(sql, nargs, types, values, nulls, false, 0);

	if (rc != expect)
		elog(ERROR, "dispatcher query failed (%s): %s", SPI_result_code_string(rc), sql);
}

static bool
spi_bool(const char *sql, int nargs, Oid *types, Datum *values, bool dflt)
{
	int			rc = spi_run(sql, nargs, types, values, NULL, true, 1);
	bool		isnull;
	Datum		v;

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "dispatcher query failed (%s): %s", SPI_result_code_string(rc), sql);
	if (SPI_processed == 0)
		return dflt;
	v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? dflt : DatumGetBool(v);
}

/* ---- JSON helpers -------------------------------------------------------- */

static void
json_kv(StringInfo b, bool *first, const char *key, const char *value)
{
	if (!*first)
		appendStringInfoChar(b, ',');
	*first = false;
	escape_json(b, key);
	appendStringInfoChar(b, ':');
	if (value == NULL)
		appendStringInfoString(b, "null");
	else
		escape_json(b, value);
}

static void
json_kraw(StringInfo b, bool *first, const char *key, const char *raw)
{
	if (!*first)
		appendStringInfoChar(b, ',');
	*first = false;
	escape_json(b, key);
	appendStringInfoChar(b, ':');
	appendStringInfoString(b, raw);
}

static Jsonb *
jsonb_from_text(const char *s)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(s)));
}

static Jsonb *
error_jsonb(Dispatch *d)
{
	StringInfoData b;
	bool		first = true;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	json_kv(&b, &first, "category", action_error_category_name(d->res.category));
	json_kv(&b, &first, "code", d->res.code);
	json_kv(&b, &first, "message", d->res.message);
	if (d->res.detail)
		json_kv(&b, &first, "detail", d->res.detail);
	json_kv(&b, &first, "hint", d->res.hint);
	json_kraw(&b, &first, "retryable", d->res.retryable ? "true" : "false");
	if (d->sqlstate)
		json_kv(&b, &first, "sqlstate", d->sqlstate);
	appendStringInfoChar(&b, '}');
	return jsonb_from_text(b.data);
}

static Jsonb *
call_context_jsonb(Dispatch *d, int timeout_ms)
{
	const ActionCall *c = d->call;
	StringInfoData b;
	bool		first = true;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	json_kv(&b, &first, "tenantId", uuid_text(&c->tenant));
	json_kv(&b, &first, "runId", uuid_is_zero(&c->run_id) ? NULL : uuid_text(&c->run_id));
	json_kv(&b, &first, "workflowId", c->workflow_id);
	if (c->workflow_id)
		json_kraw(&b, &first, "workflowVersion", psprintf("%d", c->workflow_version));
	json_kv(&b, &first, "stepPath", c->step_path);
	json_kv(&b, &first, "actorUserId", c->has_actor ? uuid_text(&c->actor) : NULL);
	json_kv(&b, &first, "actionId", d->action->action_id);
	json_kraw(&b, &first, "actionVersion", psprintf("%d", d->action->version));
	json_kraw(&b, &first, "attempt", psprintf("%d", c->attempt > 0 ? c->attempt : 1));
	json_kv(&b, &first, "idempotencyKey", d->key);
	json_kv(&b, &first, "invocationId", uuid_text(&d->invocation_id));
	json_kraw(&b, &first, "timeoutMs", psprintf("%d", timeout_ms));
	appendStringInfoChar(&b, '}');
	return jsonb_from_text(b.data);
}

static char *
sha256_hex(const char *data, size_t len)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *out = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);
	int			i;

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	for (i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
	return out;
}

/* ---- target ids for the audit log ---------------------------------------- */

static bool
is_id_key(const char *k, int len)
{
	if ((len == 9 && memcmp(k, "tenant_id", 9) == 0) || (len == 8 && memcmp(k, "tenantId", 8) == 0))
		return false;
	if (len == 2 && memcmp(k, "id", 2) == 0)
		return true;
	if (len > 3 && memcmp(k + len - 3, "_id", 3) == 0)
		return true;
	if (len > 2 && k[len - 2] == 'I' && k[len - 1] == 'd')
		return true;
	return false;
}

static void
collect_ids(JsonbContainer *c, StringInfo path, StringInfo out, bool *first, int depth, int *count)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbValue	key = {0};
	int			index = 0;
	int			base = path->len;

	if (depth > 4 || JsonContainerIsScalar(c))
		return;
	check_stack_depth();
	it = JsonbIteratorInit(c);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE && *count < 50)
	{
		if (tok == WJB_KEY)
		{
			key = v;
			continue;
		}
		if (tok != WJB_VALUE && tok != WJB_ELEM)
			continue;
		path->len = base;
		path->data[base] = '\0';
		if (tok == WJB_VALUE)
		{
			if (base > 0)
				appendStringInfoChar(path, '.');
			appendBinaryStringInfo(path, key.val.string.val, key.val.string.len);
		}
		else
			appendStringInfo(path, "[%d]", index++);

		if (v.type == jbvBinary)
			collect_ids(v.val.binary.data, path, out, first, depth + 1, count);
		else if (tok == WJB_VALUE && is_id_key(key.val.string.val, key.val.string.len) &&
				 (v.type == jbvString || v.type == jbvNumeric))
		{
			if (!*first)
				appendStringInfoChar(out, ',');
			*first = false;
			escape_json(out, path->data);
			appendStringInfoChar(out, ':');
			if (v.type == jbvString)
			{
				char	   *s = pnstrdup(v.val.string.val, v.val.string.len);

				escape_json(out, s);
			}
			else
				appendStringInfoString(out, DatumGetCString(DirectFunctionCall1(numeric_out,
																				NumericGetDatum(v.val.numeric))));
			(*count)++;
		}
	}
	path->len = base;
	path->data[base] = '\0';
}

static Jsonb *
target_ids(Jsonb *output)
{
	StringInfoData out;
	StringInfoData path;
	bool		first = true;
	int			count = 0;

	initStringInfo(&out);
	initStringInfo(&path);
	appendStringInfoChar(&out, '{');
	if (output)
		collect_ids(&output->root, &path, &out, &first, 0, &count);
	appendStringInfoChar(&out, '}');
	return jsonb_from_text(out.data);
}

/* ---- tenant -------------------------------------------------------------- */

static bool
ensure_tenant(Dispatch *d)
{
	pg_uuid_t	cur;

	if (algawf_tenant_get(&cur) && memcmp(&cur, &d->call->tenant, UUID_LEN) == 0)
		return true;
	(void) set_config_option("algawf.tenant", uuid_text(&d->call->tenant), PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (algawf_tenant_get(&cur) && memcmp(&cur, &d->call->tenant, UUID_LEN) == 0)
		return true;
	fail(d, AEC_ACTION, "PERMISSION_DENIED", false,
		 psprintf("role \"%s\" may not act for tenant %s",
				  GetUserNameFromId(GetOuterUserId(), false), uuid_text(&d->call->tenant)),
		 NULL,
		 psprintf("An owner grants access with SELECT algawf.add_tenant_member('%s', '<role>'), or run as a member of algawf_service.",
				  uuid_text(&d->call->tenant)));
	d->no_row = true;
	return false;
}

/* ---- checks before execution --------------------------------------------- */

static bool
validate_value(Dispatch *d, Jsonb *schema, Jsonb *value, bool is_input)
{
	AlgawfSchema *s = algawf_schema_cached(schema);
	List	   *errors = NIL;
	int			n = algawf_schema_validate(s, value, false, &errors);
	StringInfoData detail;
	ListCell   *lc;
	int			i = 0;
	AlgawfSchemaError *first;

	if (n == 0)
		return true;
	first = linitial(errors);
	initStringInfo(&detail);
	foreach(lc, errors)
	{
		AlgawfSchemaError *e = lfirst(lc);

		if (i == MAX_DETAIL_ERRORS)
		{
			appendStringInfo(&detail, "\n... and %d more", n - i);
			break;
		}
		appendStringInfo(&detail, "%s%s: %s", i ? "\n" : "", e->path[0] ? e->path : "(root)", e->message);
		i++;
	}
	if (is_input)
		fail(d, AEC_VALIDATION, "VALIDATION_ERROR", false,
			 psprintf("input of %s@%d does not match its input schema at \"%s\": %s",
					  d->action->action_id, d->action->version, first->path, first->message),
			 detail.data, NULL);
	else
		fail(d, AEC_ACTION, "INTERNAL_ERROR", false,
			 psprintf("output of %s@%d does not match its output schema at \"%s\": %s",
					  d->action->action_id, d->action->version, first->path, first->message),
			 detail.data,
			 "The action's implementation returned output its schema does not allow (its writes were rolled back); fix the implementation or the schema.");
	return false;
}

static bool
check_availability(Dispatch *d)
{
	Oid			types[2] = {UUIDOID, TEXTOID};
	Datum		values[2];

	values[0] = UUIDPGetDatum(&d->call->tenant);
	values[1] = CStringGetTextDatum(d->action->family);
	if (!spi_bool("SELECT enabled FROM algawf.action_families "
				  "WHERE tenant OPERATOR(pg_catalog.=) $1 AND family OPERATOR(pg_catalog.=) $2",
				  2, types, values, true))
	{
		fail(d, AEC_ACTION, "INTEGRATION_INACTIVE", false,
			 psprintf("action family \"%s\" is disabled for this tenant", d->action->family),
			 psprintf("Action %s belongs to family \"%s\".", d->action->action_id, d->action->family),
			 psprintf("An admin enables it with SELECT algawf.set_family_enabled('%s', true);", d->action->family));
		return false;
	}
	if (d->action->integration)
	{
		values[0] = CStringGetTextDatum(d->action->integration);
		if (!spi_bool("SELECT algawf.integration_active($1)", 1, types + 1, values, false))
		{
			fail(d, AEC_ACTION, "INTEGRATION_INACTIVE", false,
				 psprintf("integration \"%s\" is not active for this tenant", d->action->integration),
				 psprintf("Action %s needs the %s integration.", d->action->action_id, d->action->integration),
				 psprintf("Connect and activate %s for the tenant (psa.rmm_integrations / psa.teams_integrations), "
						  "or override with SELECT algawf.set_integration_active('%s', true);",
						  d->action->integration, d->action->integration));
			return false;
		}
	}
	return true;
}

static bool
check_permissions(Dispatch *d)
{
	ListCell   *lc;
	PrivSave	svc;
	bool		ok = true;
	bool		have_fn;
	Oid			types[3] = {UUIDOID, TEXTOID, TEXTOID};

	if (d->action->permissions == NIL)
		return true;
	if (!d->call->has_actor)
	{
		fail(d, AEC_ACTION, "PERMISSION_DENIED", false,
			 psprintf("action %s needs permission %s but the call has no acting user",
					  d->action->action_id, (char *) linitial(d->action->permissions)),
			 NULL,
			 "Set algawf.user to the acting PSA user (psa.users.user_id); workflow runs act as the publisher of their version.");
		return false;
	}
	have_fn = OidIsValid(lookup_regprocedure("psa.user_has_permission(uuid,text,text)"));
	if (!have_fn)
	{
		fail(d, AEC_ACTION, "PERMISSION_DENIED", false,
			 psprintf("cannot check permission %s: psa.user_has_permission() is missing",
					  (char *) linitial(d->action->permissions)),
			 NULL, "Install algawf_psa (CREATE EXTENSION algawf CASCADE does).");
		return false;
	}

	priv_enter(&svc, algawf_service_oid());
	foreach(lc, d->action->permissions)
	{
		char	   *perm = lfirst(lc);
		char	   *colon = strchr(perm, ':');
		Datum		values[3];

		values[0] = UUIDPGetDatum(&d->call->actor);
		values[1] = CStringGetTextDatum(pnstrdup(perm, colon - perm));
		values[2] = CStringGetTextDatum(colon + 1);
		if (!spi_bool("SELECT psa.user_has_permission($1, $2, $3)", 3, types, values, false))
		{
			fail(d, AEC_ACTION, "PERMISSION_DENIED", false,
				 psprintf("user %s lacks permission %s required by action %s",
						  uuid_text(&d->call->actor), perm, d->action->action_id),
				 psprintf("Required: %s.", perm),
				 psprintf("Give the user a role with permission %s in this tenant (psa.user_roles, psa.role_permissions), "
						  "or run the workflow as a user who has it.", perm));
			ok = false;
			break;
		}
	}
	priv_leave(&svc);
	return ok;
}

/* ---- idempotency --------------------------------------------------------- */

static bool
compute_key(Dispatch *d)
{
	const ActionCall *c = d->call;
	char	   *key = NULL;

	if (c->idempotency_key && c->idempotency_key[0])
		key = pstrdup(c->idempotency_key);
	if (key == NULL && d->action->action_provided)
	{
		char	   *error = NULL;

		key = dispatch_eval_key(d->action->key_expr, c->input, &error);
		if (key == NULL && error != NULL)
		{
			fail(d, AEC_EXPRESSION, "VALIDATION_ERROR", false,
				 psprintf("idempotency key expression of %s@%d failed: %s",
						  d->action->action_id, d->action->version, error),
				 psprintf("Expression: %s", d->action->key_expr),
				 "The action derives its idempotency key from its input; supply the fields the expression reads.");
			return false;
		}
	}
	/* the engine key; also when an action-provided key expression gave no value */
	if (key == NULL && !uuid_is_zero(&c->run_id))
	{
		char	   *text = JsonbToCString(NULL, &c->input->root, VARSIZE(c->input));

		key = psprintf("%s:%s:%s:%s@%d:%s", uuid_text(&c->tenant), uuid_text(&c->run_id),
					   c->step_path ? c->step_path : "", d->action->action_id, d->action->version,
					   sha256_hex(text, strlen(text)));
	}
	if (key && strlen(key) > MAX_KEY_LEN)
		key = psprintf("sha256:%s", sha256_hex(key, strlen(key)));
	d->key = key ? MemoryContextStrdup(d->cxt, key) : NULL;
	return true;
}

/* a non-FAILED invocation with the key: true when it decided the result */
static bool
lookup_key(Dispatch *d)
{
	Oid			types[3] = {UUIDOID, TEXTOID, TEXTOID};
	Datum		values[3];
	int			rc;
	HeapTuple	tup;
	TupleDesc	td;
	bool		isnull;
	char	   *status;
	Datum		v;

	values[0] = UUIDPGetDatum(&d->call->tenant);
	values[1] = CStringGetTextDatum(d->action->action_id);
	values[2] = CStringGetTextDatum(d->key);
	rc = spi_run("SELECT invocation_id, status, output FROM algawf.workflow_action_invocations "
							   "WHERE tenant OPERATOR(pg_catalog.=) $1 AND action_id OPERATOR(pg_catalog.=) $2 "
							   "AND idempotency_key OPERATOR(pg_catalog.=) $3 AND status OPERATOR(pg_catalog.<>) 'FAILED'",
							   3, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "idempotency lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return false;
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	memcpy(&d->res.invocation_id, DatumGetUUIDP(SPI_getbinval(tup, td, 1, &isnull)), UUID_LEN);
	status = TextDatumGetCString(SPI_getbinval(tup, td, 2, &isnull));
	if (strcmp(status, "SUCCEEDED") == 0)
	{
		MemoryContext old = MemoryContextSwitchTo(d->cxt);

		v = SPI_getbinval(tup, td, 3, &isnull);
		d->res.ok = true;
		d->res.replayed = true;
		d->res.output = isnull ? jsonb_from_text("null") : DatumGetJsonbPCopy(v);
		MemoryContextSwitchTo(old);
		return true;
	}
	if (strcmp(status, "DEFERRED") == 0)
	{
		/*
		 * An external request of this call is queued or done: the call runs
		 * again under the same invocation, and the implementation answers
		 * from the outbox (still deferred, or the recorded result).
		 */
		memcpy(&d->invocation_id, &d->res.invocation_id, UUID_LEN);
		d->claimed = true;
		return false;
	}
	fail(d, AEC_TRANSIENT, "CONFLICT", true,
		 psprintf("another invocation of %s with the same idempotency key is still running", d->action->action_id),
		 psprintf("Idempotency key: %s", d->key),
		 "Retry the step once the other invocation has finished.");
	d->no_row = true;
	return true;
}

/* ---- rows ---------------------------------------------------------------- */

#define INV_COLUMNS "tenant, invocation_id, run_id, workflow_id, workflow_version, step_path, action_id, " \
	"action_version, idempotency_key, status, attempt, actor, input, output, error, error_code, started_at, " \
	"finished_at, duration_ms"

static void
insert_invocation(Dispatch *d, const char *status, bool returning_claim)
{
	const ActionCall *c = d->call;
	Oid			types[19] = {UUIDOID, UUIDOID, UUIDOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, INT4OID,
		TEXTOID, TEXTOID, INT4OID, UUIDOID, JSONBOID, JSONBOID, JSONBOID, TEXTOID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, FLOAT8OID};
	Datum		values[19];
	char		nulls[19];
	bool		finished = strcmp(status, "SUCCEEDED") == 0 || strcmp(status, "FAILED") == 0;
	TimestampTz now = GetCurrentTimestamp();
	bool		failed = strcmp(status, "FAILED") == 0;
	Jsonb	   *output = NULL;
	int			rc;

	memset(nulls, ' ', sizeof(nulls));
	if (d->res.ok && d->res.output && !d->res.deferred)
		output = algawf_redact(d->res.output, &d->redact);

	values[0] = UUIDPGetDatum(&c->tenant);
	values[1] = UUIDPGetDatum(&d->invocation_id);
	values[2] = UUIDPGetDatum(&c->run_id);
	nulls[2] = uuid_is_zero(&c->run_id) ? 'n' : ' ';
	values[3] = c->workflow_id ? CStringGetTextDatum(c->workflow_id) : (Datum) 0;
	nulls[3] = c->workflow_id ? ' ' : 'n';
	values[4] = Int32GetDatum(c->workflow_version);
	nulls[4] = c->workflow_id ? ' ' : 'n';
	values[5] = c->step_path ? CStringGetTextDatum(c->step_path) : (Datum) 0;
	nulls[5] = c->step_path ? ' ' : 'n';
	values[6] = CStringGetTextDatum(c->action_id);
	values[7] = Int32GetDatum(c->action_version);
	values[8] = d->key ? CStringGetTextDatum(d->key) : (Datum) 0;
	nulls[8] = d->key ? ' ' : 'n';
	values[9] = CStringGetTextDatum(status);
	values[10] = Int32GetDatum(c->attempt > 0 ? c->attempt : 1);
	values[11] = UUIDPGetDatum(&c->actor);
	nulls[11] = c->has_actor ? ' ' : 'n';
	values[12] = d->stored_input ? JsonbPGetDatum(d->stored_input) : (Datum) 0;
	nulls[12] = d->stored_input ? ' ' : 'n';
	values[13] = output ? JsonbPGetDatum(output) : (Datum) 0;
	nulls[13] = output ? ' ' : 'n';
	values[14] = failed ? JsonbPGetDatum(error_jsonb(d)) : (Datum) 0;
	nulls[14] = failed ? ' ' : 'n';
	values[15] = failed ? CStringGetTextDatum(d->res.code) : (Datum) 0;
	nulls[15] = failed ? ' ' : 'n';
	values[16] = TimestampTzGetDatum(d->start);
	values[17] = TimestampTzGetDatum(now);
	nulls[17] = finished ? ' ' : 'n';
	values[18] = Float8GetDatum((double) (now - d->start) / 1000.0);
	nulls[18] = finished ? ' ' : 'n';

	rc = spi_run("INSERT INTO algawf.workflow_action_invocations (" INV_COLUMNS ") "
							   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) "
							   "ON CONFLICT DO NOTHING RETURNING 1",
							   19, types, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "invocation insert failed: %s", SPI_result_code_string(rc));
	if (returning_claim)
		d->claimed = SPI_processed > 0;
	else if (SPI_processed == 0 && d->key)
	{
		/* an identical keyed invocation committed meanwhile: keep ours without the key */
		d->key = NULL;
		values[8] = (Datum) 0;
		nulls[8] = 'n';
		spi_exec("INSERT INTO algawf.workflow_action_invocations (" INV_COLUMNS ") "
				 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
				 19, types, values, nulls, SPI_OK_INSERT);
	}
}

static void
finish_invocation(Dispatch *d, const char *status)
{
	Oid			types[7] = {UUIDOID, UUIDOID, TEXTOID, JSONBOID, JSONBOID, TEXTOID, FLOAT8OID};
	Datum		values[7];
	char		nulls[7];
	bool		failed = strcmp(status, "FAILED") == 0;
	bool		finished = strcmp(status, "DEFERRED") != 0;
	TimestampTz now = GetCurrentTimestamp();
	Jsonb	   *output = NULL;

	memset(nulls, ' ', sizeof(nulls));
	if (d->res.ok && d->res.output)
		output = algawf_redact(d->res.output, &d->redact);
	values[0] = UUIDPGetDatum(&d->call->tenant);
	values[1] = UUIDPGetDatum(&d->invocation_id);
	values[2] = CStringGetTextDatum(status);
	values[3] = output ? JsonbPGetDatum(output) : (Datum) 0;
	nulls[3] = output ? ' ' : 'n';
	values[4] = failed ? JsonbPGetDatum(error_jsonb(d)) : (Datum) 0;
	nulls[4] = failed ? ' ' : 'n';
	values[5] = failed ? CStringGetTextDatum(d->res.code) : (Datum) 0;
	nulls[5] = failed ? ' ' : 'n';
	values[6] = Float8GetDatum((double) (now - d->start) / 1000.0);
	nulls[6] = finished ? ' ' : 'n';
	spi_exec("UPDATE algawf.workflow_action_invocations SET status = $3, output = $4, error = $5, "
			 "error_code = $6, duration_ms = $7, "
			 "finished_at = CASE WHEN $7 IS NULL THEN NULL ELSE pg_catalog.clock_timestamp() END "
			 "WHERE tenant OPERATOR(pg_catalog.=) $1 AND invocation_id OPERATOR(pg_catalog.=) $2",
			 7, types, values, nulls, SPI_OK_UPDATE);
}

static void
write_audit(Dispatch *d, const char *outcome)
{
	const ActionCall *c = d->call;
	Oid			types[13] = {UUIDOID, UUIDOID, NAMEOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, JSONBOID,
	UUIDOID, TEXTOID, INT4OID, TEXTOID, UUIDOID};
	Datum		values[13];
	char		nulls[13];
	bool		failed = strcmp(outcome, "FAILED") == 0;
	Jsonb	   *targets;

	memset(nulls, ' ', sizeof(nulls));
	targets = target_ids(d->res.ok && d->res.output ? algawf_redact(d->res.output, &d->redact) : NULL);
	values[0] = UUIDPGetDatum(&c->tenant);
	values[1] = UUIDPGetDatum(&c->actor);
	nulls[1] = c->has_actor ? ' ' : 'n';
	values[2] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetOuterUserId(), false)));
	values[3] = CStringGetTextDatum(c->action_id);
	values[4] = Int32GetDatum(c->action_version);
	values[5] = CStringGetTextDatum(outcome);
	values[6] = failed ? CStringGetTextDatum(d->res.code) : (Datum) 0;
	nulls[6] = failed ? ' ' : 'n';
	values[7] = JsonbPGetDatum(targets);
	values[8] = UUIDPGetDatum(&c->run_id);
	nulls[8] = uuid_is_zero(&c->run_id) ? 'n' : ' ';
	values[9] = c->workflow_id ? CStringGetTextDatum(c->workflow_id) : (Datum) 0;
	nulls[9] = c->workflow_id ? ' ' : 'n';
	values[10] = Int32GetDatum(c->workflow_version);
	nulls[10] = c->workflow_id ? ' ' : 'n';
	values[11] = c->step_path ? CStringGetTextDatum(c->step_path) : (Datum) 0;
	nulls[11] = c->step_path ? ' ' : 'n';
	values[12] = UUIDPGetDatum(&d->invocation_id);
	spi_exec("INSERT INTO algawf.audit_log (tenant, actor, db_role, action_id, action_version, outcome, "
			 "error_code, target_ids, run_id, workflow_id, workflow_version, step_path, invocation_id) "
			 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
			 13, types, values, nulls, SPI_OK_INSERT);
}

/* ---- execution ----------------------------------------------------------- */

static void
map_error(Dispatch *d, ErrorData *e, bool timed_out, int timeout_ms)
{
	int			code = e->sqlerrcode;
	int			cls = ERRCODE_TO_CATEGORY(code);
	ActionErrorCategory cat = AEC_ACTION;
	const char *c = "INTERNAL_ERROR";
	bool		retry = false;
	char	   *message = e->message ? e->message : "unknown error";

	d->sqlstate = MemoryContextStrdup(d->cxt, unpack_sql_state(code));
	if (timed_out)
	{
		fail(d, AEC_TIMEOUT, "TRANSIENT_FAILURE", true,
			 psprintf("action %s@%d timed out after %d ms", d->action->action_id, d->action->version, timeout_ms),
			 e->message,
			 "Give the step a larger timeout or make the action faster; the step may be retried.");
		return;
	}
	if (d->action->kind == IMPL_BUILTIN && strcmp(d->action->builtin_name, "transform.query_json") == 0 &&
		(code == ERRCODE_SYNTAX_ERROR || code == ERRCODE_FEATURE_NOT_SUPPORTED ||
		 code == ERRCODE_STATEMENT_TOO_COMPLEX || code == ERRCODE_DATA_EXCEPTION))
	{
		/* the expression language's own errors */
		fail(d, AEC_EXPRESSION, "VALIDATION_ERROR", false, message, e->detail, e->hint);
		return;
	}
	if (code == ERRCODE_UNIQUE_VIOLATION || code == ERRCODE_EXCLUSION_VIOLATION)
		c = "CONFLICT";
	else if (code == ERRCODE_T_R_SERIALIZATION_FAILURE || code == ERRCODE_T_R_DEADLOCK_DETECTED ||
			 code == ERRCODE_LOCK_NOT_AVAILABLE || cls == ERRCODE_TRANSACTION_ROLLBACK ||
			 cls == ERRCODE_INSUFFICIENT_RESOURCES || cls == ERRCODE_CONNECTION_EXCEPTION)
	{
		cat = AEC_TRANSIENT;
		c = "TRANSIENT_FAILURE";
		retry = true;
	}
	else if (code == ERRCODE_QUERY_CANCELED)
	{
		/* a statement_timeout inside the action's own statements */
		cat = AEC_TIMEOUT;
		c = "TRANSIENT_FAILURE";
		retry = true;
	}
	else if (code == ERRCODE_INSUFFICIENT_PRIVILEGE)
		c = "PERMISSION_DENIED";
	else if (code == ERRCODE_FOREIGN_KEY_VIOLATION || code == ERRCODE_NO_DATA_FOUND ||
			 code == ERRCODE_NO_DATA || code == ERRCODE_UNDEFINED_OBJECT)
		c = "NOT_FOUND";
	else if (code == ERRCODE_CHECK_VIOLATION || code == ERRCODE_NOT_NULL_VIOLATION ||
			 cls == ERRCODE_DATA_EXCEPTION)
	{
		cat = AEC_VALIDATION;
		c = "VALIDATION_ERROR";
	}
	fail(d, cat, c, retry, message, e->detail,
		 e->hint ? e->hint :
		 strcmp(c, "VALIDATION_ERROR") == 0 ? "The action refused a value of its input: fix the value the message names." :
		 strcmp(c, "NOT_FOUND") == 0 && d->action->kind == IMPL_BUILTIN ? "Nothing matched; see the message." :
		 NULL);
}

static Jsonb *
run_sql_function(Dispatch *d, Jsonb *ctx, Jsonb *input)
{
	Oid			fn = d->action->sql_function;
	int			sqlstate;
	char	   *problem = sql_action_function_problem(fn, &sqlstate);
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;
	bool		pushed = false;

	if (problem)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("action %s cannot run: %s", d->action->action_id, problem),
				 errhint("Fix the function, then re-register the action: SELECT algawf.register_action(definition, replace => true).")));
	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 2, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = JsonbPGetDatum(ctx);
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = JsonbPGetDatum(input);
	fcinfo->args[1].isnull = false;
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	result = FunctionCallInvoke(fcinfo);
	if (pushed)
		PopActiveSnapshot();
	if (fcinfo->isnull)
		return jsonb_from_text("null");
	return DatumGetJsonbPCopy(result);
}

static Jsonb *
run_builtin(Dispatch *d, Jsonb *input)
{
	BuiltinFn	fn = builtin_lookup(d->action->builtin_name);
	MemoryContext arena_cxt;
	JvArena		a;
	Jv		   *in;
	Jv		   *out;
	Jsonb	   *result;
	BuiltinContext bc;

	if (fn == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("builtin \"%s\" is not part of this algawf build", d->action->builtin_name)));
	arena_cxt = AllocSetContextCreate(CurrentMemoryContext, "builtin action", ALLOCSET_DEFAULT_SIZES);
	jv_arena_init_pg(&a, arena_cxt);
	bc.call = d->call;
	bc.expr_context = d->call->expr_context;
	bc.step_config = d->call->step_config;
	in = jv_from_jsonb(&a, input);
	out = fn(&a, in, &bc);
	result = jv_to_jsonb(out);
	MemoryContextDelete(arena_cxt);
	return result;
}

static void
execute(Dispatch *d)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	int			timeout_ms = d->call->timeout_ms > 0 ? d->call->timeout_ms : d->action->timeout_ms;
	volatile bool armed = false;
	volatile TimestampTz deadline = 0;
	volatile TimestampTz outer_fin = 0;
	volatile bool was_locked = algawf_identity_locked;
	Jsonb	   *ctx = call_context_jsonb(d, timeout_ms);

	d->executed = true;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		PrivSave	svc;
		Jsonb	   *output;
		TimestampTz now = GetCurrentTimestamp();

		deadline = TimestampTzPlusMilliseconds(now, timeout_ms);
		outer_fin = get_timeout_active(STATEMENT_TIMEOUT) ? get_timeout_finish_time(STATEMENT_TIMEOUT) : 0;
		if (outer_fin == 0 || deadline < outer_fin)
		{
			enable_timeout_at(STATEMENT_TIMEOUT, deadline);
			armed = true;
		}

		priv_enter(&svc, algawf_service_oid());
		algawf_identity_locked = true;
		if (d->action->kind == IMPL_SQL)
			output = run_sql_function(d, ctx, d->resolved_input);
		else
			output = run_builtin(d, d->resolved_input);
		algawf_identity_locked = was_locked;
		priv_leave(&svc);

		if (armed)
		{
			if (outer_fin)
				enable_timeout_at(STATEMENT_TIMEOUT, outer_fin);
			else
				disable_timeout(STATEMENT_TIMEOUT, false);
			armed = false;
		}

		if (validate_value(d, d->action->output_schema, output, false))
		{
			ReleaseCurrentSubTransaction();
			if (d->secrets != NIL)
			{
				/* secrets are for the implementation: never back into workflow data */
				RedactSpec	only_secrets = {0};

				only_secrets.secret_values = d->secrets;
				output = algawf_redact(output, &only_secrets);
			}
			d->res.ok = true;
			d->res.output = (Jsonb *) MemoryContextAlloc(d->cxt, VARSIZE(output));
			memcpy(d->res.output, output, VARSIZE(output));
		}
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		bool		ours = false;

		algawf_identity_locked = was_locked;
		if (armed)
		{
			ours = GetCurrentTimestamp() >= deadline;
			if (outer_fin)
				enable_timeout_at(STATEMENT_TIMEOUT, outer_fin);
			else
				disable_timeout(STATEMENT_TIMEOUT, false);
		}
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;

		/*
		 * A cancel that is not our timer (the user's cancel, the calling
		 * statement's own statement_timeout) belongs to the caller.
		 */
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED && !ours)
			ReThrowError(edata);
		map_error(d, edata, ours && edata->sqlerrcode == ERRCODE_QUERY_CANCELED, timeout_ms);
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

/*
 * HTTP and SMTP actions never call out from this transaction: their
 * implementation writes an outbox row and answers "deferred" (the run parks);
 * the worker sends the request after commit and records the result; when the
 * run resumes, the same call (same key, same invocation) finds the result.
 */
static void
run_external(Dispatch *d)
{
	d->executed = true;
	/* declarative request templates: integration modules (http_decl_pg.c) */
	if (d->action->kind == IMPL_HTTP && http_decl_is_declarative(d->action))
	{
		ActionResult r;

		http_decl_dispatch(d->call, d->action, d->call->input, d->key, &d->invocation_id, &r);
		if (r.ok)
		{
			MemoryContext old = MemoryContextSwitchTo(d->cxt);

			d->res.ok = true;
			d->res.deferred = r.deferred;
			if (r.output)
			{
				d->res.output = (Jsonb *) palloc(VARSIZE(r.output));
				memcpy(d->res.output, r.output, VARSIZE(r.output));
			}
			MemoryContextSwitchTo(old);
		}
		else
			fail(d, r.category, r.code ? r.code : "INTERNAL_ERROR", r.retryable,
				 r.message ? r.message : "the request failed", r.detail, r.hint);
		return;
	}
	if (d->action->kind == IMPL_HTTP && jb_get(&d->action->impl->root, "request") == NULL)
	{
		ActionResult r;

		memset(&r, 0, sizeof(r));
		/* the input is the request; secrets stay unresolved until it is sent */
		algawf_http_request_action(d->call, d->call->input, d->key, &r);
		if (r.ok)
		{
			MemoryContext old = MemoryContextSwitchTo(d->cxt);

			d->res.ok = true;
			d->res.deferred = r.deferred;
			if (r.output)
			{
				d->res.output = (Jsonb *) palloc(VARSIZE(r.output));
				memcpy(d->res.output, r.output, VARSIZE(r.output));
			}
			MemoryContextSwitchTo(old);
			if (d->res.output && !d->res.deferred &&
				!validate_value(d, d->action->output_schema, d->res.output, false))
				return;
			if (d->res.output && d->secrets != NIL)
			{
				RedactSpec	only_secrets = {0};

				only_secrets.secret_values = d->secrets;
				old = MemoryContextSwitchTo(d->cxt);
				d->res.output = algawf_redact(d->res.output, &only_secrets);
				MemoryContextSwitchTo(old);
			}
		}
		else
		{
			fail(d, r.category, r.code ? r.code : "INTERNAL_ERROR", r.retryable,
				 r.message ? r.message : "the request failed", r.detail, r.hint);
			d->res.retry_after_ms = r.retry_after_ms;
		}
		return;
	}
	fail(d, AEC_ACTION, "INTERNAL_ERROR", false,
		 psprintf("smtp actions are not yet available in this build (action %s)", d->action->action_id),
		 "SMTP sending is not part of this build.",
		 "Use an SQL or built-in action, or an http action.");
}

/* ---- the call ------------------------------------------------------------ */

static void
run_call(Dispatch *d)
{
	const ActionCall *c = d->call;
	ResolvedSecrets rs = {0};

	d->action = action_lookup(c->action_id, c->action_version);
	if (d->action == NULL)
	{
		fail(d, AEC_VALIDATION, "NOT_FOUND", false,
			 psprintf("action %s version %d is not registered", c->action_id, c->action_version),
			 NULL, "SELECT action_id, version FROM algawf.catalog lists the registered actions.");
		d->stored_input = algawf_redact(c->input, &d->redact);
		return;
	}
	d->redact.paths = redact_parse_paths(d->action->redact, false, NULL);
	d->redact.collect = &d->redacted;
	d->stored_input = algawf_redact(c->input, &d->redact);
	d->redact.collect = NULL;
	d->redact.secret_values = d->redacted;

	d->resolved_input = secrets_resolve(c->input, &c->tenant, &rs);
	d->secrets = rs.values;
	d->redact.secret_values = list_concat(list_copy(rs.values), d->redacted);
	if (d->resolved_input == NULL)
	{
		fail(d, AEC_VALIDATION, "NOT_FOUND", false,
			 psprintf("secret \"%s\" is not set for this tenant", rs.missing),
			 NULL,
			 psprintf("An admin sets it with SELECT algawf.set_secret('%s', '<value>');", rs.missing));
		return;
	}

	if (!validate_value(d, d->action->input_schema, d->resolved_input, true))
		return;
	if (!check_availability(d))
		return;
	if (!check_permissions(d))
		return;
	if (!compute_key(d))
		return;

	if (d->key)
	{
		if (lookup_key(d))
			return;
		if (d->action->side_effectful && !d->claimed)
		{
			insert_invocation(d, "RUNNING", true);
			if (!d->claimed)
			{
				/* someone committed the same key between our lookup and insert */
				if (!lookup_key(d))
					elog(ERROR, "idempotency key conflict without a visible holder");
				return;
			}
		}
	}

	/* a declarative http action may answer some inputs locally (http_decl_pg.c) */
	if (d->action->kind == IMPL_HTTP)
	{
		Oid			local = http_decl_local_function(d->action, d->resolved_input);

		if (OidIsValid(local))
		{
			d->action->kind = IMPL_SQL;
			d->action->sql_function = local;
		}
	}
	if (d->action->kind == IMPL_SQL || d->action->kind == IMPL_BUILTIN)
		execute(d);
	else
		run_external(d);
}

ActionResult
algawf_dispatch(const ActionCall *call)
{
	Dispatch	d;
	PrivSave	owner;
	int			nest;
	MemoryContext work;

	memset(&d, 0, sizeof(d));
	d.call = call;
	d.cxt = CurrentMemoryContext;
	d.start = GetCurrentTimestamp();
	d.redact.markers = true;
	d.redact.sensitive_keys = true;
	if (!pg_strong_random(d.invocation_id.data, UUID_LEN))
		elog(ERROR, "could not generate a random invocation id");
	d.invocation_id.data[6] = (d.invocation_id.data[6] & 0x0f) | 0x40;
	d.invocation_id.data[8] = (d.invocation_id.data[8] & 0x3f) | 0x80;

	if (call->action_id == NULL || call->input == NULL)
		elog(ERROR, "algawf_dispatch: action_id and input are required");

	work = AllocSetContextCreate(d.cxt, "algawf dispatch", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(work);
	nest = NewGUCNestLevel();
	if (ensure_tenant(&d))
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		MemoryContextSwitchTo(work);
		priv_enter(&owner, algawf_owner_oid());

		run_call(&d);

		if (!d.no_row && !d.res.replayed)
		{
			const char *status = d.res.deferred ? "DEFERRED" : d.res.ok ? "SUCCEEDED" : "FAILED";

			if (d.claimed)
				finish_invocation(&d, status);
			else
				insert_invocation(&d, status, false);
			if (d.action && d.action->side_effectful && d.executed)
				write_audit(&d, d.res.deferred ? "DEFERRED" : d.res.ok ? "SUCCEEDED" : "FAILED");
			else if (d.action && d.action->side_effectful && !d.res.ok &&
					 strcmp(d.res.code, "PERMISSION_DENIED") == 0)
				write_audit(&d, "FAILED");
			memcpy(&d.res.invocation_id, &d.invocation_id, UUID_LEN);
		}

		priv_leave(&owner);
		SPI_finish();
	}
	AtEOXact_GUC(true, nest);
	MemoryContextSwitchTo(d.cxt);
	MemoryContextDelete(work);
	return d.res;
}

/* ---- publish-time check -------------------------------------------------- */

static const char *
jbv_json_type(JsonbValue *v)
{
	if (v->type == jbvNumeric)
		return "number";
	return jbv_type_name(v);
}

static bool
type_allows(JsonbValue *type, JsonbValue *val)
{
	const char *t = jbv_json_type(val);

	if (type->type == jbvString)
	{
		char	   *want = pnstrdup(type->val.string.val, type->val.string.len);

		if (strcmp(want, t) == 0)
			return true;
		if (strcmp(want, "integer") == 0 && val->type == jbvNumeric)
		{
			int64		dummy;

			return jbv_get_int(val, PG_INT64_MIN / 2, PG_INT64_MAX / 2, &dummy);
		}
		return false;
	}
	if (jbv_is_array(type))
	{
		JsonbIterator *it = JsonbIteratorInit(type->val.binary.data);
		JsonbValue	e;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
			if (tok == WJB_ELEM && e.type == jbvString && type_allows(&e, val))
				return true;
		return false;
	}
	return true;
}

char *
algawf_action_check(const char *action_id, int version, Jsonb *input_literals, const char **code)
{
	ActionDef  *a;
	PrivSave	owner;
	char	   *problem = NULL;
	pg_uuid_t	tenant;
	bool		have_tenant = algawf_tenant_get(&tenant);
	MemoryContext cxt = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(cxt);
	priv_enter(&owner, algawf_owner_oid());
	a = action_lookup(action_id, version);
	if (a == NULL)
	{
		*code = "UNKNOWN_ACTION";
		problem = psprintf("action %s version %d is not registered", action_id, version);
	}
	else if (have_tenant)
	{
		Oid			types[2] = {UUIDOID, TEXTOID};
		Datum		values[2];

		values[0] = UUIDPGetDatum(&tenant);
		values[1] = CStringGetTextDatum(a->family);
		if (!spi_bool("SELECT enabled FROM algawf.action_families "
					  "WHERE tenant OPERATOR(pg_catalog.=) $1 AND family OPERATOR(pg_catalog.=) $2",
					  2, types, values, true))
		{
			*code = "UNKNOWN_ACTION";
			problem = psprintf("action family \"%s\" is disabled for this tenant", a->family);
		}
	}
	priv_leave(&owner);
	SPI_finish();
	if (problem || input_literals == NULL || !JB_ROOT_IS_OBJECT(input_literals))
		return problem;

	/* required keys present; literal values of the declared type */
	{
		JsonbValue *req = jb_get(&a->input_schema->root, "required");
		JsonbValue *props = jb_get(&a->input_schema->root, "properties");

		if (req && jbv_is_array(req))
		{
			JsonbIterator *it = JsonbIteratorInit(req->val.binary.data);
			JsonbValue	e;
			JsonbIteratorToken tok;

			while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
			{
				if (tok != WJB_ELEM || e.type != jbvString)
					continue;
				if (getKeyJsonValueFromContainer(&input_literals->root, e.val.string.val, e.val.string.len, NULL) == NULL)
				{
					*code = "INVALID_ACTION_CONFIG";
					return psprintf("input of %s@%d is missing required field \"%.*s\"",
									action_id, version, e.val.string.len, e.val.string.val);
				}
			}
		}
		if (props && jbv_is_object(props))
		{
			JsonbIterator *it = JsonbIteratorInit(&input_literals->root);
			JsonbValue	k;
			JsonbValue	v;
			JsonbIteratorToken tok;

			while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
			{
				JsonbValue *ps,
						   *type;

				if (tok != WJB_KEY)
					continue;
				tok = JsonbIteratorNext(&it, &v, true);
				if (v.type == jbvBinary && JsonContainerIsObject(v.val.binary.data) &&
					(jb_get(v.val.binary.data, "$expr") || jb_get(v.val.binary.data, "$secret")))
					continue;
				ps = getKeyJsonValueFromContainer(props->val.binary.data, k.val.string.val, k.val.string.len, NULL);
				if (ps == NULL || !jbv_is_object(ps))
					continue;
				type = jb_get(ps->val.binary.data, "type");
				if (type && !type_allows(type, &v))
				{
					*code = "INVALID_ACTION_CONFIG";
					return psprintf("input field \"%.*s\" of %s@%d must be %s, not %s",
									k.val.string.len, k.val.string.val, action_id, version,
									type->type == jbvString ? pnstrdup(type->val.string.val, type->val.string.len) : "of another type",
									jbv_json_type(&v));
				}
			}
		}
	}
	return NULL;
}

/* ---- algawf.call_action / algawf.try_action ------------------------------ */

static ActionResult
call_from_sql(FunctionCallInfo fcinfo, ActionCall *c)
{
	memset(c, 0, sizeof(*c));
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("action_id and input must not be null")));
	c->tenant = *algawf_tenant_require();
	if (algawf_user && algawf_user[0])
	{
		c->has_actor = true;
		memcpy(&c->actor, DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(algawf_user))), UUID_LEN);
	}
	c->action_id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	c->input = PG_GETARG_JSONB_P(1);
	c->action_version = PG_ARGISNULL(2) ? 1 : PG_GETARG_INT32(2);
	c->idempotency_key = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	c->timeout_ms = PG_ARGISNULL(4) ? 0 : PG_GETARG_INT32(4);
	if (c->timeout_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout_ms must not be negative")));
	c->step_path = "call_action";
	c->attempt = 1;
	/* try_action can stand in for a step of a run (engine idempotency keys) */
	if (PG_NARGS() > 5 && !PG_ARGISNULL(5))
		memcpy(&c->run_id, PG_GETARG_UUID_P(5), UUID_LEN);
	if (PG_NARGS() > 6 && !PG_ARGISNULL(6))
		c->step_path = text_to_cstring(PG_GETARG_TEXT_PP(6));
	if (PG_NARGS() > 7 && !PG_ARGISNULL(7))
		c->attempt = PG_GETARG_INT32(7);
	return algawf_dispatch(c);
}

static int
category_sqlstate(ActionErrorCategory cat)
{
	switch (cat)
	{
		case AEC_VALIDATION:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case AEC_EXPRESSION:
			return ERRCODE_DATA_EXCEPTION;
		case AEC_TRANSIENT:
			return ERRCODE_T_R_SERIALIZATION_FAILURE;
		case AEC_TIMEOUT:
		case AEC_CANCELLATION:
			return ERRCODE_QUERY_CANCELED;
		case AEC_ACTION:
		case AEC_NONE:
			break;
	}
	return ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
}

static Jsonb *
deferred_jsonb(ActionResult *r)
{
	return jsonb_from_text(psprintf("{\"deferred\": true, \"invocationId\": \"%s\"}",
									uuid_text(&r->invocation_id)));
}

PG_FUNCTION_INFO_V1(algawf_call_action);
Datum
algawf_call_action(PG_FUNCTION_ARGS)
{
	ActionCall	c;
	ActionResult r = call_from_sql(fcinfo, &c);

	if (r.ok && r.deferred)
		PG_RETURN_JSONB_P(deferred_jsonb(&r));
	if (r.ok)
		PG_RETURN_JSONB_P(r.output);
	ereport(ERROR,
			(errcode(category_sqlstate(r.category)),
			 errmsg("action %s@%d failed: %s", c.action_id, c.action_version, r.message),
			 r.detail ? errdetail("%s (%s) at %s: %s", r.code, action_error_category_name(r.category),
								  c.step_path, r.detail)
			 : errdetail("%s (%s) at %s", r.code, action_error_category_name(r.category), c.step_path),
			 r.hint ? errhint("%s", r.hint) : 0));
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(algawf_try_action);
Datum
algawf_try_action(PG_FUNCTION_ARGS)
{
	ActionCall	c;
	ActionResult r = call_from_sql(fcinfo, &c);
	StringInfoData b;
	bool		first = true;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	json_kraw(&b, &first, "ok", r.ok ? "true" : "false");
	if (r.ok && !r.deferred && r.output)
		json_kraw(&b, &first, "output", JsonbToCString(NULL, &r.output->root, VARSIZE(r.output)));
	json_kraw(&b, &first, "replayed", r.replayed ? "true" : "false");
	json_kraw(&b, &first, "deferred", r.deferred ? "true" : "false");
	if (!r.ok)
	{
		StringInfoData e;
		bool		efirst = true;

		initStringInfo(&e);
		appendStringInfoChar(&e, '{');
		json_kv(&e, &efirst, "category", action_error_category_name(r.category));
		json_kv(&e, &efirst, "code", r.code);
		json_kv(&e, &efirst, "message", r.message);
		json_kv(&e, &efirst, "detail", r.detail);
		json_kv(&e, &efirst, "hint", r.hint);
		json_kraw(&e, &efirst, "retryable", r.retryable ? "true" : "false");
		appendStringInfoChar(&e, '}');
		json_kraw(&b, &first, "error", e.data);
	}
	json_kv(&b, &first, "invocationId", uuid_is_zero(&r.invocation_id) ? NULL : uuid_text(&r.invocation_id));
	appendStringInfoChar(&b, '}');
	PG_RETURN_JSONB_P(jsonb_from_text(b.data));
}

PG_FUNCTION_INFO_V1(algawf_check_action_sql);
Datum
algawf_check_action_sql(PG_FUNCTION_ARGS)
{
	const char *code = NULL;
	char	   *problem;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	TupleDesc	td;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	problem = algawf_action_check(text_to_cstring(PG_GETARG_TEXT_PP(0)),
								  PG_ARGISNULL(1) ? 1 : PG_GETARG_INT32(1),
								  PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2), &code);
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "check_action must return a record");
	td = BlessTupleDesc(td);
	if (problem == NULL)
	{
		nulls[0] = nulls[1] = true;
		values[0] = values[1] = (Datum) 0;
	}
	else
	{
		values[0] = CStringGetTextDatum(code);
		values[1] = CStringGetTextDatum(problem);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

/* ---- completing deferred invocations ------------------------------------- */

static const char *const known_codes[] = {
	"VALIDATION_ERROR", "PERMISSION_DENIED", "NOT_FOUND", "CONFLICT", "RATE_LIMITED",
	"TRANSIENT_FAILURE", "INTEGRATION_INACTIVE", "INTERNAL_ERROR", NULL
};

static ActionErrorCategory
category_from_name(const char *s)
{
	ActionErrorCategory c;

	for (c = AEC_VALIDATION; c <= AEC_CANCELLATION; c++)
		if (s && strcmp(s, action_error_category_name(c)) == 0)
			return c;
	return AEC_ACTION;
}

bool
algawf_dispatch_complete(const pg_uuid_t *tenant, const pg_uuid_t *invocation_id,
						 bool ok, Jsonb *output, Jsonb *error)
{
	MemoryContext cxt = CurrentMemoryContext;
	PrivSave	owner;
	Oid			types[2] = {UUIDOID, UUIDOID};
	Datum		values[2];
	int			rc;
	HeapTuple	tup;
	TupleDesc	td;
	bool		isnull;
	Dispatch	d;
	ActionCall	call;
	char	   *status;
	Datum		v;
	bool		changed = false;

	memset(&d, 0, sizeof(d));
	memset(&call, 0, sizeof(call));
	d.call = &call;
	d.cxt = cxt;
	d.redact.markers = true;
	d.redact.sensitive_keys = true;
	memcpy(&d.invocation_id, invocation_id, UUID_LEN);
	memcpy(&call.tenant, tenant, UUID_LEN);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(cxt);
	priv_enter(&owner, algawf_owner_oid());

	values[0] = UUIDPGetDatum(tenant);
	values[1] = UUIDPGetDatum(invocation_id);
	rc = spi_run("SELECT action_id, action_version, status, started_at, run_id, workflow_id, workflow_version, "
				 "step_path, actor, idempotency_key FROM algawf.workflow_action_invocations "
				 "WHERE tenant OPERATOR(pg_catalog.=) $1 AND invocation_id OPERATOR(pg_catalog.=) $2 FOR UPDATE",
				 2, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "invocation lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("invocation %s does not exist for this tenant", uuid_text(invocation_id))));
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	call.action_id = TextDatumGetCString(SPI_getbinval(tup, td, 1, &isnull));
	call.action_version = DatumGetInt32(SPI_getbinval(tup, td, 2, &isnull));
	status = TextDatumGetCString(SPI_getbinval(tup, td, 3, &isnull));
	d.start = DatumGetTimestampTz(SPI_getbinval(tup, td, 4, &isnull));
	v = SPI_getbinval(tup, td, 5, &isnull);
	if (!isnull)
		memcpy(&call.run_id, DatumGetUUIDP(v), UUID_LEN);
	v = SPI_getbinval(tup, td, 6, &isnull);
	call.workflow_id = isnull ? NULL : TextDatumGetCString(v);
	v = SPI_getbinval(tup, td, 7, &isnull);
	call.workflow_version = isnull ? 0 : DatumGetInt32(v);
	v = SPI_getbinval(tup, td, 8, &isnull);
	call.step_path = isnull ? NULL : TextDatumGetCString(v);
	v = SPI_getbinval(tup, td, 9, &isnull);
	call.has_actor = !isnull;
	if (!isnull)
		memcpy(&call.actor, DatumGetUUIDP(v), UUID_LEN);
	v = SPI_getbinval(tup, td, 10, &isnull);
	d.key = isnull ? NULL : TextDatumGetCString(v);

	if (strcmp(status, "DEFERRED") == 0 || strcmp(status, "RUNNING") == 0)
	{
		d.action = action_lookup(call.action_id, call.action_version);
		if (d.action)
			d.redact.paths = redact_parse_paths(d.action->redact, false, NULL);
		d.claimed = true;
		if (ok)
		{
			d.res.ok = true;
			d.res.output = output ? output : jsonb_from_text("null");
			finish_invocation(&d, "SUCCEEDED");
		}
		else
		{
			char	   *code = error ? jb_get_text(&error->root, "code") : NULL;
			char	   *cat = error ? jb_get_text(&error->root, "category") : NULL;
			char	   *msg = error ? jb_get_text(&error->root, "message") : NULL;
			JsonbValue *retry = error ? jb_get(&error->root, "retryable") : NULL;
			int			i;
			bool		known = false;

			for (i = 0; code && known_codes[i]; i++)
				if (strcmp(code, known_codes[i]) == 0)
				{
					code = (char *) known_codes[i];
					known = true;
				}
			fail(&d, category_from_name(cat), known ? code : "INTERNAL_ERROR",
				 retry && retry->type == jbvBool && retry->val.boolean,
				 msg ? msg : "the external request failed",
				 error ? jb_get_text(&error->root, "detail") : NULL,
				 error ? jb_get_text(&error->root, "hint") : NULL);
			finish_invocation(&d, "FAILED");
		}
		if (d.action && d.action->side_effectful)
			write_audit(&d, ok ? "SUCCEEDED" : "FAILED");
		changed = true;
	}

	priv_leave(&owner);
	SPI_finish();
	return changed;
}

PG_FUNCTION_INFO_V1(algawf_complete_invocation);
Datum
algawf_complete_invocation(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant = algawf_tenant_require();
	Jsonb	   *result;
	JsonbValue *ok;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("invocation_id and result must not be null")));
	result = PG_GETARG_JSONB_P(1);
	ok = jb_get(&result->root, "ok");
	if (ok == NULL || ok->type != jbvBool)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("result must be {\"ok\": true, \"output\": ...} or {\"ok\": false, \"error\": {...}}")));
	{
		JsonbValue *out = jb_get(&result->root, "output");
		JsonbValue *err = jb_get(&result->root, "error");

		PG_RETURN_BOOL(algawf_dispatch_complete(tenant, PG_GETARG_UUID_P(0), ok->val.boolean,
												out ? JsonbValueToJsonb(out) : NULL,
												err && jbv_is_object(err) ? JsonbValueToJsonb(err) : NULL));
	}
}
