/*
 * dispatch_expr.c — the expression language as the dispatcher uses it:
 * actionProvided idempotency keys and transform.query_json.
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "action.h"
#include "expr_pg.h"
#include "guc.h"
#include "registry.h"


void
check_key_expression(const char *expr, const char *action)
{
	int			pos = 0;
	char	   *code = NULL;
	char	   *message = NULL;

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
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		AlgawfExpr *e = algawf_expr_cached(expr, FUNCSET_EXTENDED);
		Jsonb	   *v = algawf_expr_eval(e, input, NULL);

		MemoryContextSwitchTo(oldcxt);
		/* no value (undefined, null or ""): the caller falls back to the engine key, as Alga does */
		result = key_text(v);
		if (result != NULL && result[0] == '\0')
			result = NULL;
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
