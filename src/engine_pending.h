/*
 * engine_pending.h — the expression language's entry points (src/expr_pg.h on
 * the expr branch), referenced weakly: the engine links and works without the
 * language (every expression then fails with an ExpressionError saying so),
 * and uses the real functions as soon as they are in the tree.  Replaced by
 * #include "expr_pg.h" once the expression language is merged.
 */
#ifndef ALGAWF_ENGINE_PENDING_H
#define ALGAWF_ENGINE_PENDING_H

#include "postgres.h"
#include "utils/jsonb.h"

typedef struct AlgawfExpr AlgawfExpr;
extern AlgawfExpr *algawf_expr_compile(const char *src, int funcset, MemoryContext cxt) __attribute__((weak));
extern AlgawfExpr *algawf_expr_cached(const char *src, int funcset) __attribute__((weak));
extern bool algawf_expr_validate(const char *src, int funcset, int *pos, char **code,
								 char **message) __attribute__((weak));
extern Jsonb *algawf_expr_eval(AlgawfExpr *e, Jsonb *input, Jsonb *bindings) __attribute__((weak));
extern text *algawf_template_render(const char *tmpl, int funcset, Jsonb *input,
									Jsonb *bindings) __attribute__((weak));

static inline bool
wf_have_expr(void)
{
	return algawf_expr_compile != NULL && algawf_expr_cached != NULL && algawf_expr_validate != NULL &&
		algawf_expr_eval != NULL && algawf_template_render != NULL;
}

#endif
