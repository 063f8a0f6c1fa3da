/*
 * dispatch_expr.c — the expression language as the dispatcher uses it:
 * actionProvided idempotency keys and transform.query_json.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "action.h"
#include "registry.h"

void
check_key_expression(const char *expr, const char *action)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("actionProvided idempotency keys need the expression language, which this build lacks")));
}

char *
dispatch_eval_key(const char *expr, Jsonb *input, char **error)
{
	*error = "the expression language is not available in this build";
	return NULL;
}

Jsonb *
dispatch_eval_expr(const char *expr, Jsonb *input, Jsonb *bindings)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("the expression language is not available in this build")));
	return NULL;
}
