/*
 * action.h — what the dispatcher, the registry and the built-in actions share
 * (internal; the interpreter's interface is dispatch.h).
 */
#ifndef ALGAWF_ACTION_H
#define ALGAWF_ACTION_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "dispatch.h"
#include "jval.h"

typedef enum ActionImplKind
{
	IMPL_SQL,
	IMPL_HTTP,
	IMPL_SMTP,
	IMPL_BUILTIN
} ActionImplKind;

/* one row of algawf.actions, as the dispatcher needs it */
typedef struct ActionDef
{
	char	   *action_id;
	int			version;
	char	   *family;
	char	   *label;
	Jsonb	   *input_schema;
	Jsonb	   *output_schema;
	List	   *permissions;	/* char * "resource:action" */
	bool		side_effectful;
	bool		action_provided;	/* idempotency mode */
	char	   *key_expr;		/* actionProvided key expression */
	List	   *redact;			/* char * paths */
	char	   *integration;	/* availability.integration, or NULL */
	int			timeout_ms;
	ActionImplKind kind;
	Oid			sql_function;
	char	   *builtin_name;
	Jsonb	   *impl;
} ActionDef;

/* ---- registry.c ---- */

/* the row, or NULL; uses SPI (caller is connected) */
extern ActionDef *action_lookup(const char *action_id, int version);

/* true when "family.name" is well formed (same rule as the table's CHECK) */
extern bool action_id_valid(const char *id);

/* the extension owner, the algawf_service role */
extern Oid	algawf_owner_oid(void);
extern Oid	algawf_service_oid(void);

/* problems with an SQL action function running as algawf_service, or NULL (*sqlstate says which kind) */
extern char *sql_action_function_problem(Oid fn, int *sqlstate);

/* ---- redact.c ---- */

typedef struct RedactSpec
{
	List	   *paths;			/* parsed declared paths (opaque) */
	List	   *secret_values;	/* char *: values scrubbed from strings (secrets, redacted values) */
	bool		markers;		/* replace {"$secret": ...} objects */
	bool		sensitive_keys; /* keys matching secret|token|password|api_key|authorization */
	List	  **collect;		/* when set, the text of every scalar replaced is appended here */
} RedactSpec;

/* parse declared paths ("a.b", "items[*].token", "*.password"); ereports 22023 on a bad one */
extern List *redact_parse_paths(List *paths, bool throw_error, char **problem);
extern Jsonb *algawf_redact(Jsonb *value, const RedactSpec *spec);
extern char *algawf_scrub_text(const char *s, const RedactSpec *spec);
extern bool redact_key_is_sensitive(const char *key, int len);

/* {"$secret": "NAME"}: the name, else NULL */
extern char *secret_marker_name(JsonbContainer *c);

/* ---- secrets.c ---- */

typedef struct ResolvedSecrets
{
	List	   *names;			/* char * */
	List	   *values;			/* char * (same order) */
	char	   *missing;		/* first secret not found, or NULL */
} ResolvedSecrets;

/*
 * Replace every {"$secret": "NAME"} in input by the tenant's decrypted value.
 * Runs SPI as the extension owner (caller is connected).  On a missing secret
 * returns NULL with rs->missing set.
 */
extern Jsonb *secrets_resolve(Jsonb *input, const pg_uuid_t *tenant, ResolvedSecrets *rs);
extern bool jsonb_has_secret_marker(Jsonb *input);

/* ---- dispatch_expr.c: the expression language, as the dispatcher uses it ---- */

/*
 * Evaluate an actionProvided idempotency key expression over the input: the
 * key text (strings as they are, other values as JSON), or NULL with *error.
 */
extern char *dispatch_eval_key(const char *expr, Jsonb *input, char **error);

/*
 * Evaluate an expression (transform.query_json): the value, NULL when
 * undefined; ereports 22023 (syntax) or 2203? (evaluation) on failure.
 */
extern Jsonb *dispatch_eval_expr(const char *expr, Jsonb *input, Jsonb *bindings);

/* ---- builtins (transform*.c) ---- */

typedef struct BuiltinContext
{
	const ActionCall *call;
	Jsonb	   *expr_context;	/* data roots for query_json / compose_text, or NULL */
	Jsonb	   *step_config;	/* the step's config, or NULL */
} BuiltinContext;

/* returns the output; ereports with an SQLSTATE the dispatcher maps (22023 -> VALIDATION_ERROR, ...) */
typedef Jv *(*BuiltinFn) (JvArena *a, Jv *input, const BuiltinContext *ctx);

typedef struct BuiltinAction
{
	const char *name;
	BuiltinFn	fn;
} BuiltinAction;

extern BuiltinFn builtin_lookup(const char *name);

/* helpers shared by the transform files */
extern Jv  *tf_arg(Jv *input, const char *key);
extern void tf_set(JvArena *a, Jv *obj, const char *key, Jv *v);
extern Jv  *tf_check(Jv *v);
extern const char *tf_text(JvArena *a, Jv *v, size_t *len);	/* JavaScript String(v) */

extern Jv  *tf_regex_match(JvArena *a, Jv *input, const BuiltinContext *ctx);
extern Jv  *tf_regex_extract(JvArena *a, Jv *input, const BuiltinContext *ctx);
extern Jv  *tf_regex_replace(JvArena *a, Jv *input, const BuiltinContext *ctx);
extern Jv  *tf_parse_json(JvArena *a, Jv *input, const BuiltinContext *ctx);
extern Jv  *tf_query_json(JvArena *a, Jv *input, const BuiltinContext *ctx);
extern Jv  *tf_stringify_json(JvArena *a, Jv *input, const BuiltinContext *ctx);
extern Jv  *tf_compose_text(JvArena *a, Jv *input, const BuiltinContext *ctx);

#endif							/* ALGAWF_ACTION_H */
