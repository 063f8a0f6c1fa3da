/*
 * registry.c — algawf.register_action(): checks an action definition and
 * stores it in algawf.actions; action_lookup() reads a row for the dispatcher.
 *
 * register_action is not SECURITY DEFINER: it resolves the implementation's
 * function name with the caller's search_path, then writes the row as the
 * extension owner (the only role that may write the registry) with a pinned
 * search_path.  It is granted to algawf_admin.
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "action.h"
#include "jsonschema_pg.h"
#include "registry.h"
#include "http_decl_pg.h"

/* ---- roles and extensions ------------------------------------------------ */

bool
extension_info(const char *name, Oid *owner, Oid *nsp)
{
	Oid			extoid = get_extension_oid(name, true);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	if (!OidIsValid(extoid))
		return false;
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		Form_pg_extension e = (Form_pg_extension) GETSTRUCT(tup);

		if (owner)
			*owner = e->extowner;
		if (nsp)
			*nsp = e->extnamespace;
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

Oid
algawf_owner_oid(void)
{
	static LocalTransactionId cached_lxid = InvalidLocalTransactionId;
	static Oid	cached_owner = InvalidOid;

	if (cached_lxid != MyProc->lxid || !OidIsValid(cached_owner))
	{
		Oid			owner;

		if (!extension_info("algawf", &owner, NULL))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("extension \"algawf\" is not installed in this database"),
					 errhint("CREATE EXTENSION algawf CASCADE;")));
		cached_owner = owner;
		cached_lxid = MyProc->lxid;
	}
	return cached_owner;
}

Oid
algawf_service_oid(void)
{
	return get_role_oid("algawf_service", false);
}

void
priv_enter(PrivSave *s, Oid role)
{
	GetUserIdAndSecContext(&s->user, &s->sec);
	s->nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	SetUserIdAndSecContext(role, s->sec | SECURITY_LOCAL_USERID_CHANGE);
}

void
priv_leave(PrivSave *s)
{
	SetUserIdAndSecContext(s->user, s->sec);
	AtEOXact_GUC(true, s->nest);
}

/* ---- SQL action functions ------------------------------------------------ */

/* to_regprocedure(): the function's oid, or InvalidOid when there is none */
Oid
lookup_regprocedure(const char *signature)
{
	LOCAL_FCINFO(fc, 1);
	Datum		result;

	InitFunctionCallInfoData(*fc, NULL, 1, InvalidOid, NULL, NULL);
	fc->args[0].value = CStringGetTextDatum(signature);
	fc->args[0].isnull = false;
	result = to_regprocedure(fc);
	return fc->isnull ? InvalidOid : DatumGetObjectId(result);
}

char *
sql_action_function_problem(Oid fn, int *sqlstate)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	Form_pg_proc p;
	char	   *problem = NULL;
	Oid			service = algawf_service_oid();

	*sqlstate = ERRCODE_WRONG_OBJECT_TYPE;
	if (!HeapTupleIsValid(tup))
	{
		*sqlstate = ERRCODE_UNDEFINED_FUNCTION;
		return psprintf("its SQL function (oid %u) no longer exists", fn);
	}
	p = (Form_pg_proc) GETSTRUCT(tup);
	if (p->prokind != PROKIND_FUNCTION)
		problem = psprintf("%s is not a plain function", format_procedure(fn));
	else if (p->pronargs != 2 || p->proargtypes.values[0] != JSONBOID ||
			 p->proargtypes.values[1] != JSONBOID)
		problem = psprintf("%s must take exactly (ctx jsonb, input jsonb)", format_procedure(fn));
	else if (p->prorettype != JSONBOID || p->proretset)
		problem = psprintf("%s must return jsonb (one value, not a set)", format_procedure(fn));
	else if (p->prosecdef && (superuser_arg(p->proowner) || has_bypassrls_privilege(p->proowner)))
		problem = psprintf("%s is SECURITY DEFINER and owned by %s, which bypasses row-level security",
						   format_procedure(fn), GetUserNameFromId(p->proowner, false));
	else if (pg_proc_aclcheck(fn, service, ACL_EXECUTE) != ACLCHECK_OK)
	{
		problem = psprintf("role algawf_service may not execute %s", format_procedure(fn));
		*sqlstate = ERRCODE_INSUFFICIENT_PRIVILEGE;
	}
	ReleaseSysCache(tup);
	return problem;
}

/* ---- Jsonb helpers ------------------------------------------------------- */

const char *
jbv_type_name(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "string";
		case jbvNumeric:
			return "number";
		case jbvBool:
			return "boolean";
		case jbvArray:
			return "array";
		case jbvObject:
			return "object";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "array" :
				JsonContainerIsObject(v->val.binary.data) ? "object" : "scalar";
		default:
			return "unknown";
	}
}

bool
jbv_is_object(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

bool
jbv_is_array(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		!JsonContainerIsScalar(v->val.binary.data);
}

JsonbValue *
jb_get(JsonbContainer *c, const char *key)
{
	if (!JsonContainerIsObject(c))
		return NULL;
	return getKeyJsonValueFromContainer(c, key, strlen(key), NULL);
}

char *
jb_get_text(JsonbContainer *c, const char *key)
{
	JsonbValue *v = jb_get(c, key);

	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

Jsonb *
jbv_to_jsonb(JsonbValue *v)
{
	return JsonbValueToJsonb(v);
}

/* integral number in [lo, hi], else false */
bool
jbv_get_int(const JsonbValue *v, int64 lo, int64 hi, int64 *out)
{
	char	   *s;
	char	   *end;
	double		d;

	if (v->type != jbvNumeric)
		return false;
	s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	d = strtod(s, &end);
	if (*end != '\0' || d != floor(d) || d < (double) lo || d > (double) hi)
		return false;
	*out = (int64) d;
	return true;
}

/* ---- the definition ------------------------------------------------------ */

typedef struct DefCtx
{
	Jsonb	   *def;
	const char *id;				/* for messages, once known */
} DefCtx;

static void pg_attribute_noreturn()
def_error(DefCtx *d, const char *field, const char *hint, const char *fmt,...)
	pg_attribute_printf(4, 5);

static void
def_error(DefCtx *d, const char *field, const char *hint, const char *fmt,...)
{
	char		buf[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid action definition%s%s: %s",
					d->id ? " " : "", d->id ? d->id : "", buf),
			 errdetail("At \"%s\" of the definition.", field),
			 hint ? errhint("%s", hint) : 0));
}

/* the value of key or its alias (both present is an error) */
static JsonbValue *
def_field(DefCtx *d, const char *key, const char *alias, const char **used)
{
	JsonbValue *a = jb_get(&d->def->root, key);
	JsonbValue *b = alias ? jb_get(&d->def->root, alias) : NULL;

	if (a && b)
		def_error(d, key, "Use one spelling.", "both \"%s\" and \"%s\" are given", key, alias);
	if (used)
		*used = b ? alias : key;
	return a ? a : b;
}

static char *
def_string(DefCtx *d, JsonbValue *v, const char *field, bool nonempty)
{
	if (v->type != jbvString)
		def_error(d, field, NULL, "\"%s\" must be a string, not %s", field, jbv_type_name(v));
	if (nonempty && v->val.string.len == 0)
		def_error(d, field, NULL, "\"%s\" must not be empty", field);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static bool
def_bool(DefCtx *d, JsonbValue *v, const char *field)
{
	if (v->type != jbvBool)
		def_error(d, field, NULL, "\"%s\" must be true or false, not %s", field, jbv_type_name(v));
	return v->val.boolean;
}

/* array of strings; each checked by pattern (a POSIX regex) when given */
static List *
def_string_array(DefCtx *d, JsonbValue *v, const char *field)
{
	List	   *out = NIL;
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	int			i = 0;

	if (!jbv_is_array(v))
		def_error(d, field, NULL, "\"%s\" must be an array of strings, not %s", field, jbv_type_name(v));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (e.type != jbvString || e.val.string.len == 0)
			def_error(d, psprintf("%s[%d]", field, i), NULL,
					  "\"%s\" must hold non-empty strings", field);
		out = lappend(out, pnstrdup(e.val.string.val, e.val.string.len));
		i++;
	}
	return out;
}

static bool
permission_valid(const char *p)
{
	const char *colon = strchr(p, ':');
	const char *c;

	if (colon == NULL || colon == p || colon[1] == '\0' || strchr(colon + 1, ':'))
		return false;
	for (c = p; *c; c++)
		if (!(*c == ':' || *c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
			return false;
	return true;
}

bool
action_id_valid(const char *id)
{
	const char *c = id;
	bool		dot = false;
	int			seglen = 0;

	if (strlen(id) == 0 || strlen(id) > 200 || !(*c >= 'a' && *c <= 'z'))
		return false;
	for (; *c; c++)
	{
		if (*c == '.')
		{
			if (seglen == 0)
				return false;
			dot = true;
			seglen = 0;
		}
		else if (*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9'))
			seglen++;
		else
			return false;
	}
	return dot && seglen > 0;
}

static bool
name_valid(const char *s)
{
	const char *c = s;

	if (!(*c >= 'a' && *c <= 'z'))
		return false;
	for (; *c; c++)
		if (!(*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
			return false;
	return true;
}

static const char *const allowed_keys[] = {
	"id", "version", "label", "description", "category", "ui",
	"inputSchema", "input_schema", "outputSchema", "output_schema",
	"permissions", "sideEffectful", "side_effectful",
	"idempotency", "idempotencyKey", "idempotency_key",
	"retryHint", "retry_hint", "redact", "availability", "examples",
	"timeoutMs", "timeout_ms", "implementation", NULL
};

static void
check_keys(DefCtx *d)
{
	JsonbIterator *it = JsonbIteratorInit(&d->def->root);
	JsonbValue	v;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		int			i;
		bool		ok = false;
		char	   *k;

		if (tok != WJB_KEY)
			continue;
		k = pnstrdup(v.val.string.val, v.val.string.len);
		for (i = 0; allowed_keys[i]; i++)
			if (strcmp(allowed_keys[i], k) == 0)
				ok = true;
		if (!ok)
			def_error(d, k, "Known keys: id, version, label, description, category, inputSchema, outputSchema, "
					  "permissions, sideEffectful, idempotency, retryHint, redact, availability, examples, "
					  "timeoutMs, implementation.",
					  "unknown key \"%s\"", k);
	}
}

/* errcontext while compiling a schema */
typedef struct SchemaCtxArg
{
	const char *field;
	const char *id;
} SchemaCtxArg;

static void
schema_error_context(void *arg)
{
	SchemaCtxArg *a = (SchemaCtxArg *) arg;

	errcontext("%s of action %s", a->field, a->id ? a->id : "(no id)");
}

static void
compile_schema(DefCtx *d, Jsonb *schema, const char *field, MemoryContext cxt)
{
	ErrorContextCallback cb;
	SchemaCtxArg arg = {field, d->id};

	cb.callback = schema_error_context;
	cb.arg = &arg;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	(void) algawf_schema_compile(schema, cxt);
	error_context_stack = cb.previous;
}

static void
check_example_value(DefCtx *d, Jsonb *schema, Jsonb *value, const char *field)
{
	List	   *errors = NIL;
	AlgawfSchema *s = algawf_schema_cached(schema);

	if (algawf_schema_validate(s, value, true, &errors) > 0)
	{
		AlgawfSchemaError *e = linitial(errors);

		def_error(d, field, "Examples are checked against the action's schemas; fix the example or the schema.",
				  "example does not match the schema at \"%s\": %s", e->path, e->message);
	}
}

typedef struct ParsedDef
{
	char	   *id;
	int			version;
	char	   *label;
	char	   *description;
	char	   *category;
	Jsonb	   *input_schema;
	Jsonb	   *output_schema;
	List	   *permissions;
	bool		side_effectful;
	bool		action_provided;
	char	   *key_expr;
	Jsonb	   *retry_hint;
	List	   *redact;
	Jsonb	   *availability;
	Jsonb	   *examples;
	int			timeout_ms;
	char	   *kind;
	Jsonb	   *impl;
	Oid			sql_function;
	char	   *builtin_name;
} ParsedDef;

static void
parse_implementation(DefCtx *d, JsonbValue *v, ParsedDef *p)
{
	JsonbContainer *c;
	JsonbValue *kind;

	if (v == NULL)
		def_error(d, "implementation", "e.g. {\"kind\": \"sql\", \"function\": \"myschema.my_action\"}",
				  "\"implementation\" is required");
	if (!jbv_is_object(v))
		def_error(d, "implementation", NULL, "\"implementation\" must be an object, not %s", jbv_type_name(v));
	c = v->val.binary.data;
	p->impl = jbv_to_jsonb(v);
	kind = jb_get(c, "kind");
	if (kind == NULL)
		kind = jb_get(c, "type");
	if (kind == NULL || kind->type != jbvString)
		def_error(d, "implementation.kind", "One of sql, http, smtp, builtin.",
				  "\"implementation.kind\" must be a string");
	p->kind = pnstrdup(kind->val.string.val, kind->val.string.len);

	if (strcmp(p->kind, "sql") == 0)
	{
		char	   *fname = jb_get_text(c, "function");
		char	   *problem;
		int			sqlstate;
		Oid			fn;

		if (fname == NULL || fname[0] == '\0')
			def_error(d, "implementation.function", "Name a function (ctx jsonb, input jsonb) RETURNS jsonb, e.g. \"myschema.my_action\".",
					  "a sql implementation needs \"function\"");
		if (strchr(fname, '('))
			fn = lookup_regprocedure(fname);
		else
			fn = lookup_regprocedure(psprintf("%s(jsonb, jsonb)", fname));
		if (!OidIsValid(fn))
			def_error(d, "implementation.function",
					  "Create it first, as FUNCTION name(ctx jsonb, input jsonb) RETURNS jsonb, and schema-qualify its name.",
					  "function %s(jsonb, jsonb) does not exist", fname);
		problem = sql_action_function_problem(fn, &sqlstate);
		if (problem)
			def_error(d, "implementation.function",
					  "SQL actions run as algawf_service with row-level security for the run's tenant: "
					  "the function takes (ctx jsonb, input jsonb), returns jsonb, is executable by algawf_service "
					  "and is not a SECURITY DEFINER function of a role that bypasses row-level security.",
					  "%s", problem);
		p->sql_function = fn;
	}
	else if (strcmp(p->kind, "builtin") == 0)
	{
		char	   *name = jb_get_text(c, "name");

		if (name == NULL)
			def_error(d, "implementation.name", NULL, "a builtin implementation needs \"name\"");
		if (builtin_lookup(name) == NULL)
			def_error(d, "implementation.name", "Built-in implementations are the transform.* functions compiled into algawf.",
					  "unknown builtin \"%s\"", name);
		p->builtin_name = name;
	}
	else if (strcmp(p->kind, "http") == 0)
	{
		JsonbValue *req = jb_get(c, "request");
		const char *path;
		const char *hint;
		char	   *problem;

		/* without a request template the input is the request (http.request) */
		if (req != NULL && !jbv_is_object(req))
			def_error(d, "implementation.request", "e.g. {\"method\": \"GET\", \"url\": \"/v1/items/{{ id }}\"}",
					  "an http implementation's \"request\" must be an object");
		/* declarative requests: the template, its expressions and hooks (http_decl_pg.c) */
		if ((problem = http_decl_check_impl(p->impl, &path, &hint)) != NULL)
			def_error(d, path, hint, "%s", problem);
	}
	else if (strcmp(p->kind, "smtp") == 0)
	{
		/* the message comes from the input; nothing to check yet */
	}
	else
		def_error(d, "implementation.kind", "One of sql, http, smtp, builtin.",
				  "unknown implementation kind \"%s\"", p->kind);
}

static void
parse_definition(Jsonb *def, ParsedDef *p, MemoryContext schema_cxt)
{
	DefCtx		d = {def, NULL};
	JsonbValue *v;
	JsonbContainer *ui = NULL;
	const char *used;
	int64		n;

	memset(p, 0, sizeof(*p));
	if (!JB_ROOT_IS_OBJECT(def) || JB_ROOT_IS_SCALAR(def))
		def_error(&d, "$", NULL, "the definition must be a JSON object");

	v = def_field(&d, "id", NULL, NULL);
	if (v == NULL)
		def_error(&d, "id", "e.g. \"tickets.add_comment\"", "\"id\" is required");
	p->id = def_string(&d, v, "id", true);
	if (!action_id_valid(p->id))
		def_error(&d, "id", "Lower-case family and name separated by dots, e.g. \"tickets.add_comment\".",
				  "\"%s\" is not a valid action id", p->id);
	d.id = p->id;
	check_keys(&d);

	v = def_field(&d, "version", NULL, NULL);
	if (v == NULL)
		p->version = 1;
	else if (!jbv_get_int(v, 1, INT_MAX, &n))
		def_error(&d, "version", NULL, "\"version\" must be a positive integer");
	else
		p->version = (int) n;
	d.id = psprintf("%s@%d", p->id, p->version);

	v = def_field(&d, "ui", NULL, NULL);
	if (v)
	{
		if (!jbv_is_object(v))
			def_error(&d, "ui", NULL, "\"ui\" must be an object");
		ui = v->val.binary.data;
	}
#define TEXT_FIELD(target, key, required) \
	do { \
		JsonbValue *tv = def_field(&d, key, NULL, NULL); \
		if (tv == NULL && ui) tv = jb_get(ui, key); \
		if (tv == NULL && required) \
			def_error(&d, key, NULL, "\"%s\" is required", key); \
		target = tv ? def_string(&d, tv, key, required) : pstrdup(""); \
	} while (0)
	TEXT_FIELD(p->label, "label", true);
	TEXT_FIELD(p->description, "description", false);
	TEXT_FIELD(p->category, "category", true);
#undef TEXT_FIELD

	v = def_field(&d, "inputSchema", "input_schema", &used);
	if (v == NULL || !jbv_is_object(v))
		def_error(&d, "inputSchema", "A JSON Schema object, e.g. {\"type\": \"object\", \"properties\": {...}}.",
				  "\"inputSchema\" must be a JSON Schema object");
	p->input_schema = jbv_to_jsonb(v);
	compile_schema(&d, p->input_schema, used, schema_cxt);

	v = def_field(&d, "outputSchema", "output_schema", &used);
	if (v == NULL || !jbv_is_object(v))
		def_error(&d, "outputSchema", "A JSON Schema object, e.g. {\"type\": \"object\", \"properties\": {...}}.",
				  "\"outputSchema\" must be a JSON Schema object");
	p->output_schema = jbv_to_jsonb(v);
	compile_schema(&d, p->output_schema, used, schema_cxt);

	v = def_field(&d, "permissions", NULL, NULL);
	if (v)
	{
		ListCell   *lc;
		int			i = 0;

		p->permissions = def_string_array(&d, v, "permissions");
		foreach(lc, p->permissions)
		{
			if (!permission_valid(lfirst(lc)))
				def_error(&d, psprintf("permissions[%d]", i),
						  "Each permission is \"resource:action\" as in psa.permissions, e.g. \"ticket:create\".",
						  "\"%s\" is not a permission", (char *) lfirst(lc));
			i++;
		}
	}

	v = def_field(&d, "sideEffectful", "side_effectful", &used);
	if (v == NULL)
		def_error(&d, "sideEffectful", "true when the action changes anything (it is then audited and its key claimed before it runs).",
				  "\"sideEffectful\" is required");
	p->side_effectful = def_bool(&d, v, used);

	/* idempotency: "mode" | {mode, key} (+ top-level idempotencyKey) */
	v = def_field(&d, "idempotency", NULL, NULL);
	{
		char	   *mode = "engineProvided";
		JsonbValue *k = def_field(&d, "idempotencyKey", "idempotency_key", &used);

		if (v && v->type == jbvString)
			mode = def_string(&d, v, "idempotency", true);
		else if (v && jbv_is_object(v))
		{
			JsonbValue *m = jb_get(v->val.binary.data, "mode");
			JsonbValue *kk = jb_get(v->val.binary.data, "key");

			if (m == NULL)
				def_error(&d, "idempotency.mode", "engineProvided or actionProvided.", "\"idempotency.mode\" is required");
			mode = def_string(&d, m, "idempotency.mode", true);
			if (kk && k)
				def_error(&d, "idempotency.key", "Use one of them.", "the key expression is given twice");
			if (kk)
			{
				k = kk;
				used = "idempotency.key";
			}
		}
		else if (v)
			def_error(&d, "idempotency", NULL, "\"idempotency\" must be a string or an object");

		if (strcmp(mode, "engineProvided") == 0)
		{
			if (k)
				def_error(&d, used, "Only actionProvided idempotency takes a key expression.",
						  "a key expression with engineProvided idempotency");
		}
		else if (strcmp(mode, "actionProvided") == 0)
		{
			if (k == NULL)
				def_error(&d, "idempotency.key", "e.g. {\"mode\": \"actionProvided\", \"key\": \"'ticket:' & ticket_id\"}",
						  "actionProvided idempotency needs a key expression");
			p->key_expr = def_string(&d, k, used, true);
			p->action_provided = true;
			check_key_expression(p->key_expr, d.id);
		}
		else
			def_error(&d, "idempotency.mode", "engineProvided or actionProvided.", "unknown idempotency mode \"%s\"", mode);
	}

	v = def_field(&d, "retryHint", "retry_hint", &used);
	if (v && v->type != jbvNull)
	{
		if (!jbv_is_object(v))
			def_error(&d, used, "e.g. {\"retryable\": true, \"maxAttempts\": 3}", "\"%s\" must be an object", used);
		p->retry_hint = jbv_to_jsonb(v);
	}

	v = def_field(&d, "redact", NULL, NULL);
	if (v)
	{
		char	   *problem = NULL;

		p->redact = def_string_array(&d, v, "redact");
		if (redact_parse_paths(p->redact, false, &problem) == NIL && problem)
			def_error(&d, "redact", "Paths are dotted keys with [*] or [n] for array items and * for any key, e.g. \"credentials.password\", \"items[*].token\".",
					  "%s", problem);
	}

	v = def_field(&d, "availability", NULL, NULL);
	if (v && v->type != jbvNull)
	{
		JsonbIterator *it;
		JsonbValue	e;
		JsonbIteratorToken tok;

		if (!jbv_is_object(v))
			def_error(&d, "availability", "e.g. {\"integration\": \"ninjaone\"}", "\"availability\" must be an object");
		it = JsonbIteratorInit(v->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY && !(e.val.string.len == 11 && memcmp(e.val.string.val, "integration", 11) == 0))
				def_error(&d, "availability", "The only availability condition is \"integration\".",
						  "unknown availability key \"%.*s\"", e.val.string.len, e.val.string.val);
			if (tok == WJB_VALUE && (e.type != jbvString || !name_valid(pnstrdup(e.val.string.val, e.val.string.len))))
				def_error(&d, "availability.integration", "A lower-case integration name, e.g. \"ninjaone\".",
						  "\"availability.integration\" must be an integration name");
		}
		p->availability = jbv_to_jsonb(v);
	}

	v = def_field(&d, "examples", NULL, NULL);
	if (v)
	{
		JsonbIterator *it;
		JsonbValue	e;
		JsonbIteratorToken tok;
		int			i = 0;

		if (!jbv_is_array(v))
			def_error(&d, "examples", NULL, "\"examples\" must be an array of {title?, input, output?}");
		p->examples = jbv_to_jsonb(v);
		it = JsonbIteratorInit(v->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		{
			JsonbValue *in,
					   *out;
			char	   *where = psprintf("examples[%d]", i);

			if (tok != WJB_ELEM)
				continue;
			if (!jbv_is_object(&e))
				def_error(&d, where, NULL, "each example must be an object {title?, input, output?}");
			in = jb_get(e.val.binary.data, "input");
			out = jb_get(e.val.binary.data, "output");
			if (in == NULL)
				def_error(&d, where, NULL, "an example needs \"input\"");
			check_example_value(&d, p->input_schema, jbv_to_jsonb(in), psprintf("%s.input", where));
			if (out)
				check_example_value(&d, p->output_schema, jbv_to_jsonb(out), psprintf("%s.output", where));
			i++;
		}
	}

	v = def_field(&d, "timeoutMs", "timeout_ms", &used);
	if (v == NULL)
		p->timeout_ms = 30000;
	else if (!jbv_get_int(v, 1, 3600000, &n))
		def_error(&d, used, NULL, "\"%s\" must be an integer between 1 and 3600000", used);
	else
		p->timeout_ms = (int) n;

	parse_implementation(&d, def_field(&d, "implementation", NULL, NULL), p);
}

/* ---- storing ------------------------------------------------------------- */

static Datum
text_array_datum(List *l)
{
	Datum	   *elems = palloc(sizeof(Datum) * (list_length(l) + 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, l)
		elems[i++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, i, TEXTOID, -1, false, TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(algawf_register_action);
Datum
algawf_register_action(PG_FUNCTION_ARGS)
{
	Jsonb	   *def;
	bool		replace = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	ParsedDef	p;
	MemoryContext tmp;
	PrivSave	save;
	Oid			types[23];
	Datum		values[23];
	char		nulls[23];
	int			rc;
	int			i;
	bool		exists;
	const char *sql;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the action definition must not be null")));
	def = PG_GETARG_JSONB_P(0);

	tmp = AllocSetContextCreate(CurrentMemoryContext, "register_action schemas", ALLOCSET_SMALL_SIZES);
	parse_definition(def, &p, tmp);
	MemoryContextDelete(tmp);

	memset(nulls, ' ', sizeof(nulls));
	i = 0;
#define ARG(t, v, isnull) (types[i] = (t), values[i] = (v), nulls[i] = (isnull) ? 'n' : ' ', i++)
	ARG(TEXTOID, CStringGetTextDatum(p.id), false);	/* $1 */
	ARG(INT4OID, Int32GetDatum(p.version), false);	/* $2 */
	ARG(TEXTOID, CStringGetTextDatum(p.label), false);	/* $3 */
	ARG(TEXTOID, CStringGetTextDatum(p.description), false);	/* $4 */
	ARG(TEXTOID, CStringGetTextDatum(p.category), false);	/* $5 */
	ARG(JSONBOID, JsonbPGetDatum(p.input_schema), false);	/* $6 */
	ARG(JSONBOID, JsonbPGetDatum(p.output_schema), false);	/* $7 */
	ARG(TEXTARRAYOID, text_array_datum(p.permissions), false);	/* $8 */
	ARG(BOOLOID, BoolGetDatum(p.side_effectful), false);	/* $9 */
	ARG(TEXTOID, CStringGetTextDatum(p.action_provided ? "actionProvided" : "engineProvided"), false);	/* $10 */
	ARG(TEXTOID, p.key_expr ? CStringGetTextDatum(p.key_expr) : (Datum) 0, p.key_expr == NULL);	/* $11 */
	ARG(JSONBOID, p.retry_hint ? JsonbPGetDatum(p.retry_hint) : (Datum) 0, p.retry_hint == NULL);	/* $12 */
	ARG(TEXTARRAYOID, text_array_datum(p.redact), false);	/* $13 */
	ARG(JSONBOID, p.availability ? JsonbPGetDatum(p.availability) : (Datum) 0, p.availability == NULL);	/* $14 */
	ARG(JSONBOID, p.examples ? JsonbPGetDatum(p.examples) : (Datum) 0, p.examples == NULL);	/* $15 */
	ARG(INT4OID, Int32GetDatum(p.timeout_ms), false);	/* $16 */
	ARG(TEXTOID, CStringGetTextDatum(p.kind), false);	/* $17 */
	ARG(JSONBOID, JsonbPGetDatum(p.impl), false);	/* $18 */
	ARG(OIDOID, ObjectIdGetDatum(p.sql_function), !OidIsValid(p.sql_function));	/* $19 */
	ARG(TEXTOID, p.builtin_name ? CStringGetTextDatum(p.builtin_name) : (Datum) 0, p.builtin_name == NULL);	/* $20 */
#undef ARG

	priv_enter(&save, algawf_owner_oid());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	rc = SPI_execute_with_args("SELECT 1 FROM algawf.actions WHERE action_id OPERATOR(pg_catalog.=) $1 "
							   "AND version OPERATOR(pg_catalog.=) $2 FOR UPDATE",
							   2, types, values, nulls, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "registry lookup failed: %s", SPI_result_code_string(rc));
	exists = SPI_processed > 0;
	if (exists && !replace)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("action %s version %d is already registered", p.id, p.version),
				 errdetail("Registered versions are immutable: published workflows pin them."),
				 errhint("Register version %d, or pass replace => true while developing the action.",
						 p.version + 1)));

	if (exists)
		sql = "UPDATE algawf.actions SET label = $3, description = $4, category = $5, input_schema = $6, "
			"output_schema = $7, permissions = $8, side_effectful = $9, idempotency = $10, idempotency_key = $11, "
			"retry_hint = $12, redact = $13, availability = $14, examples = COALESCE($15, '[]'), "
			"timeout_ms = $16, implementation = $17, impl = $18, sql_function = $19::pg_catalog.regprocedure, "
			"builtin_name = $20, definition = $21, shipped = $22, "
			"registered_at = CASE WHEN $22 THEN NULL ELSE pg_catalog.now() END, "
			"registered_by = CASE WHEN $22 THEN NULL ELSE CURRENT_USER END "
			"WHERE action_id OPERATOR(pg_catalog.=) $1 AND version OPERATOR(pg_catalog.=) $2";
	else
		sql = "INSERT INTO algawf.actions (action_id, version, label, description, category, input_schema, "
			"output_schema, permissions, side_effectful, idempotency, idempotency_key, retry_hint, redact, "
			"availability, examples, timeout_ms, implementation, impl, sql_function, builtin_name, definition, "
			"shipped, registered_at, registered_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
			"COALESCE($15, '[]'), $16, $17, $18, $19::pg_catalog.regprocedure, $20, $21, $22, "
			"CASE WHEN $22 THEN NULL ELSE pg_catalog.now() END, CASE WHEN $22 THEN NULL ELSE $23 END)";

	types[20] = JSONBOID;
	values[20] = JsonbPGetDatum(def);
	types[21] = BOOLOID;
	values[21] = BoolGetDatum(creating_extension);
	types[22] = NAMEOID;
	values[22] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(save.user, false)));
	rc = SPI_execute_with_args(sql, exists ? 22 : 23, types, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT && rc != SPI_OK_UPDATE)
		elog(ERROR, "registry write failed: %s", SPI_result_code_string(rc));

	SPI_finish();
	priv_leave(&save);

	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s@%d", p.id, p.version)));
}

/* ---- lookup -------------------------------------------------------------- */

static List *
text_array_list(Datum d)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *out = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			out = lappend(out, TextDatumGetCString(elems[i]));
	return out;
}

ActionDef *
action_lookup(const char *action_id, int version)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	int			rc;
	ActionDef  *a;
	HeapTuple	tup;
	TupleDesc	td;
	bool		isnull;
	Datum		d;
	char	   *kind;

	if (plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare("SELECT action_id, version, family, label, input_schema, output_schema, "
									"permissions, side_effectful, idempotency OPERATOR(pg_catalog.=) 'actionProvided', "
									"idempotency_key, redact, integration, timeout_ms, implementation, "
									"sql_function::pg_catalog.oid, builtin_name, impl "
									"FROM algawf.actions "
									"WHERE action_id OPERATOR(pg_catalog.=) $1 AND version OPERATOR(pg_catalog.=) $2",
									2, types);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		plan = p;
	}
	values[0] = CStringGetTextDatum(action_id);
	values[1] = Int32GetDatum(version);
	rc = SPI_execute_plan(plan, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "registry lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return NULL;

	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	a = palloc0(sizeof(ActionDef));
	a->action_id = TextDatumGetCString(SPI_getbinval(tup, td, 1, &isnull));
	a->version = DatumGetInt32(SPI_getbinval(tup, td, 2, &isnull));
	a->family = TextDatumGetCString(SPI_getbinval(tup, td, 3, &isnull));
	a->label = TextDatumGetCString(SPI_getbinval(tup, td, 4, &isnull));
	a->input_schema = DatumGetJsonbPCopy(SPI_getbinval(tup, td, 5, &isnull));
	a->output_schema = DatumGetJsonbPCopy(SPI_getbinval(tup, td, 6, &isnull));
	a->permissions = text_array_list(SPI_getbinval(tup, td, 7, &isnull));
	a->side_effectful = DatumGetBool(SPI_getbinval(tup, td, 8, &isnull));
	a->action_provided = DatumGetBool(SPI_getbinval(tup, td, 9, &isnull));
	d = SPI_getbinval(tup, td, 10, &isnull);
	a->key_expr = isnull ? NULL : TextDatumGetCString(d);
	a->redact = text_array_list(SPI_getbinval(tup, td, 11, &isnull));
	d = SPI_getbinval(tup, td, 12, &isnull);
	a->integration = isnull ? NULL : TextDatumGetCString(d);
	a->timeout_ms = DatumGetInt32(SPI_getbinval(tup, td, 13, &isnull));
	kind = TextDatumGetCString(SPI_getbinval(tup, td, 14, &isnull));
	a->kind = strcmp(kind, "sql") == 0 ? IMPL_SQL :
		strcmp(kind, "http") == 0 ? IMPL_HTTP :
		strcmp(kind, "smtp") == 0 ? IMPL_SMTP : IMPL_BUILTIN;
	d = SPI_getbinval(tup, td, 15, &isnull);
	a->sql_function = isnull ? InvalidOid : DatumGetObjectId(d);
	d = SPI_getbinval(tup, td, 16, &isnull);
	a->builtin_name = isnull ? NULL : TextDatumGetCString(d);
	a->impl = DatumGetJsonbPCopy(SPI_getbinval(tup, td, 17, &isnull));
	return a;
}
