/*
 * dispatch_expr.c — the expression language as the dispatcher uses it:
 * actionProvided idempotency keys and transform.query_json.
 *
 * The language's entry points (src/expr_pg.h) are referenced weakly, so the
 * dispatcher links and works, minus these two features, in a tree without
 * the expression language; with it, the real functions are used.
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "action.h"
#include "guc.h"
#include "registry.h"

/* as declared in expr_pg.h */
typedef struct AlgawfExpr AlgawfExpr;
extern AlgawfExpr *algawf_expr_cached(const char *src, int funcset) __attribute__((weak));
extern bool algawf_expr_validate(const char *src, int funcset, int *pos, char **code,
								 char **message) __attribute__((weak));
extern Jsonb *algawf_expr_eval(AlgawfExpr *e, Jsonb *input, Jsonb *bindings) __attribute__((weak));

static bool
have_expr(void)
{
	return algawf_expr_cached != NULL && algawf_expr_validate != NULL && algawf_expr_eval != NULL;
}

static void
no_expr(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("the expression language is not available in this build")));
}

void
check_key_expression(const char *expr, const char *action)
{
	int			pos = 0;
	char	   *code = NULL;
	char	   *message = NULL;

	if (!have_expr())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("actionProvided idempotency keys need the expression language, which this build lacks")));
	if (!algawf_expr_validate(expr, FUNCSET_EXTENDED, &pos, &code, &message))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid action definition %s: the idempotency key expression does not compile: %s",
						action, message ? message : "invalid expression"),
				 errdetail("At \"idempotency.key\" of the definition, character %d%s%s%s.", pos,
						   code ? " (" : "", code ? code : "", code ? ")" : ""),
				 errhint("The key expression is evaluated over the action's input, e.g. \"'ticket:' & ticket_id\".")));
}

/* the key text: strings as they are, other values as JSON; NULL for undefined and null */
static char *
key_text(Jsonb *v)
{
	JsonbValue	scalar;

	if (v == NULL)
		return NULL;
	if (JB_ROOT_IS_SCALAR(v))
	{
		if (!JsonbExtractScalar(&v->root, &scalar) || scalar.type == jbvNull)
			return NULL;
		if (scalar.type == jbvString)
			return pnstrdup(scalar.val.string.val, scalar.val.string.len);
	}
	return JsonbToCString(NULL, &v->root, VARSIZE(v));
}

char *
dispatch_eval_key(const char *expr, Jsonb *input, char **error)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	char	   *volatile result = NULL;

	*error = NULL;
	if (!have_expr())
	{
		*error = "the expression language is not available in this build";
		return NULL;
	}
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		AlgawfExpr *e = algawf_expr_cached(expr, FUNCSET_EXTENDED);
		Jsonb	   *v = algawf_expr_eval(e, input, NULL);

		MemoryContextSwitchTo(oldcxt);
		result = key_text(v);
		if (result == NULL)
			*error = "the expression gave no value";
		else if (result[0] == '\0')
		{
			result = NULL;
			*error = "the expression gave an empty string";
		}
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);
		*error = edata->message ? edata->message : "evaluation failed";
		result = NULL;
	}
	PG_END_TRY();
	return result;
}

Jsonb *
dispatch_eval_expr(const char *expr, Jsonb *input, Jsonb *bindings)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	Jsonb	   *volatile result = NULL;

	if (!have_expr())
		no_expr();
	PG_TRY();
	{
		AlgawfExpr *e = algawf_expr_cached(expr, FUNCSET_EXTENDED);

		result = algawf_expr_eval(e, input, bindings);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		bool		compile;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			PG_RE_THROW();
		FlushErrorState();
		compile = edata->sqlerrcode != ERRCODE_DATA_EXCEPTION;
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("JSON query expression %s failed: %s", compile ? "validation" : "evaluation",
						edata->message ? edata->message : "error"),
				 edata->detail ? errdetail("%s", edata->detail) : 0,
				 errhint("%s", edata->hint ? edata->hint :
						 "The expression is JSONata (algawf's subset); the input is available as \"source\".")));
	}
	PG_END_TRY();
	return result;
}
