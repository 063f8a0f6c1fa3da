/*
 * expr_pg.h — the expression language from inside the backend: compile
 * (with a backend-local cache), validate, evaluate over Jsonb, and render
 * {{ }} templates.  The core (expr.h) is plain C; this is its PG face.
 *
 * Errors are raised with ereport:
 *   42601 syntax error, 0A000 feature outside the subset / function set,
 *   54001 expression nested too deeply (compile time),
 *   22000 evaluation error or evaluation limit (budget, depth, size, memory).
 * The message starts with the JSONata code (S0202, T2001, D3030...) or the
 * algawf code (U1001 unsupported, U1002 not in the function set, L1001 budget,
 * L1002 depth, L1003 result size, L1004 string length, L1005 memory); errdetail
 * carries the position and a caret excerpt of the expression.
 */
#ifndef ALGAWF_EXPR_PG_H
#define ALGAWF_EXPR_PG_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "guc.h"

typedef struct AlgawfExpr AlgawfExpr;	/* compiled expression, lives in the given context */

/* compile; ereport(ERROR) on a syntax error or unsupported feature */
extern AlgawfExpr *algawf_expr_compile(const char *src, int funcset, MemoryContext cxt);

/* backend-local cache keyed by (src, funcset); entries live until backend exit */
extern AlgawfExpr *algawf_expr_cached(const char *src, int funcset);

/*
 * Collect instead of throwing: true when valid; otherwise fills *pos (1-based
 * character position, 0 if unknown), *code and *message (palloc'd).
 */
extern bool algawf_expr_validate(const char *src, int funcset, int *pos, char **code,
								 char **message);

/*
 * Evaluate with input as the context ($; NULL = undefined) and bindings a
 * jsonb object of $name variables (NULL = none).  Returns NULL for undefined.
 */
extern Jsonb *algawf_expr_eval(AlgawfExpr *e, Jsonb *input, Jsonb *bindings);

/* evaluate as a condition: JSONata's $boolean() of the result; undefined is false */
extern bool algawf_expr_eval_bool(AlgawfExpr *e, Jsonb *input, Jsonb *bindings);

/* templates: "Hello {{ payload.name }}" -> text (compiled templates are cached) */
extern text *algawf_template_render(const char *tmpl, int funcset, Jsonb *input,
									Jsonb *bindings);

/* true when s contains a {{ }} hole (so callers can skip rendering plain strings) */
extern bool algawf_is_template(const char *s);

/* the source text of a compiled expression */
extern const char *algawf_expr_source(AlgawfExpr *e);

/* parse a function-set name ('alga' / 'extended'; NULL = the algawf.function_set GUC) */
extern int	algawf_funcset_from_name(const char *name);

#endif							/* ALGAWF_EXPR_PG_H */
