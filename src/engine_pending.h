/*
 * engine_pending.h — TEMPORARY: the interfaces of the expression language and
 * the dispatcher as announced, until their branches land (then this file and
 * engine_pending.c are deleted and the real headers included).
 */
#ifndef ALGAWF_ENGINE_PENDING_H
#define ALGAWF_ENGINE_PENDING_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

typedef struct AlgawfExpr AlgawfExpr;
extern AlgawfExpr *algawf_expr_compile(const char *src, int funcset, MemoryContext cxt);
extern AlgawfExpr *algawf_expr_cached(const char *src, int funcset);
extern bool algawf_expr_validate(const char *src, int funcset, int *pos, char **code, char **message);
extern Jsonb *algawf_expr_eval(AlgawfExpr *e, Jsonb *input, Jsonb *bindings);
extern text *algawf_template_render(const char *tmpl, int funcset, Jsonb *input, Jsonb *bindings);


#endif
