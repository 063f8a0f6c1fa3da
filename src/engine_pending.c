/*
 * engine_pending.c — TEMPORARY weak definitions of the functions the
 * expression language and dispatcher branches provide, so the
 * engine loads and its control flow can be tested before they land.  The
 * real (strong) definitions replace them at link time; this file is deleted
 * once both are merged.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "dispatch.h"
#include "engine_pending.h"

__attribute__((weak)) AlgawfExpr *
algawf_expr_compile(const char *src, int funcset, MemoryContext cxt)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("the expression language is not available in this build")));
	return NULL;
}

__attribute__((weak)) AlgawfExpr *
algawf_expr_cached(const char *src, int funcset)
{
	return algawf_expr_compile(src, funcset, CurrentMemoryContext);
}

__attribute__((weak)) bool
algawf_expr_validate(const char *src, int funcset, int *pos, char **code, char **message)
{
	return true;
}

__attribute__((weak)) Jsonb *
algawf_expr_eval(AlgawfExpr *e, Jsonb *input, Jsonb *bindings)
{
	return NULL;
}

__attribute__((weak)) text *
algawf_template_render(const char *tmpl, int funcset, Jsonb *input, Jsonb *bindings)
{
	return cstring_to_text(tmpl);
}

__attribute__((weak)) ActionResult
algawf_dispatch(const ActionCall *call)
{
	ActionResult r;

	memset(&r, 0, sizeof(r));
	r.ok = false;
	r.category = AEC_ACTION;
	r.code = "NOT_FOUND";
	r.message = psprintf("action %s@%d is not available in this build", call->action_id, call->action_version);
	return r;
}

__attribute__((weak)) const char *
action_error_category_name(ActionErrorCategory c)
{
	return "ActionError";
}

__attribute__((weak)) char *
algawf_action_check(const char *action_id, int version, Jsonb *input_literals, const char **code)
{
	*code = "UNKNOWN_ACTION";
	return psprintf("Unknown action %s@%d", action_id, version);
}
