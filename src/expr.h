/*
 * expr.h — the algawf expression language: a JSONata subset.
 *
 * Pure C on top of jval.h (no PostgreSQL headers), so the lexer, parser,
 * evaluator and functions link into standalone libFuzzer targets.  The
 * backend glue (expr_pg.c) supplies hooks for interrupts, the clock and lazy
 * materialization of Jsonb input.
 *
 * Lifetimes: a compiled Expr lives in the arena given to expr_compile and is
 * immutable afterwards (it may be shared by any number of evaluations).  An
 * evaluation allocates only from the arena given to expr_eval; errors unwind
 * with longjmp inside the core, so nothing but arena memory is ever held.
 */
#ifndef ALGAWF_EXPR_H
#define ALGAWF_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "jval.h"

/* function sets (same values as AlgawfFunctionSet in guc.h) */
#define EXPR_FUNCSET_ALGA		0
#define EXPR_FUNCSET_EXTENDED	1

/*
 * Jv.flags bit owned by the glue: an array or object whose members have not
 * been materialized yet.  u.arr.items / u.obj.pairs then hold an opaque handle,
 * u.arr.n / u.obj.n the member count and u.arr.cap / u.obj.cap an estimate of
 * its size in bytes.  The core calls hooks->materialize before looking inside.
 */
#define JVF_LAZY		0x0100

/* error classes, derived from the code */
typedef enum ExprErrorKind
{
	EXPR_ERR_SYNTAX,			/* S0xxx: malformed expression */
	EXPR_ERR_UNSUPPORTED,		/* U1xxx: outside the supported subset / function set */
	EXPR_ERR_EVAL,				/* T/D codes: evaluation error */
	EXPR_ERR_LIMIT				/* L1xxx: budget, depth, size limits */
} ExprErrorKind;

typedef struct ExprError
{
	ExprErrorKind kind;
	char		code[8];		/* JSONata code (S0202, T2001, D3030...) or U/L codes */
	int			pos;			/* byte offset into the source, -1 if unknown */
	char		message[384];
} ExprError;

typedef struct ExprLimits
{
	long		budget;			/* evaluation steps (AST nodes visited + loop work) */
	int			max_depth;		/* nesting depth: parse and evaluation */
	size_t		max_result;		/* size of the result, in bytes of JSON */
	size_t		max_string;		/* length of any string built */
	size_t		max_memory;		/* bytes the evaluation may allocate (0 = unlimited) */
} ExprLimits;

typedef struct ExprHooks
{
	/* called periodically inside loops; may longjmp out (CHECK_FOR_INTERRUPTS) */
	void		(*interrupt) (void *ctx);
	/* milliseconds since the Unix epoch; NULL = time(NULL) based */
	double		(*now_ms) (void *ctx);
	/* turn a JVF_LAZY value into a normal one (members may be lazy again) */
	void		(*materialize) (void *ctx, JvArena *a, Jv *v);
	/* called by recursive walkers over data; may longjmp out (check_stack_depth) */
	void		(*stack_check) (void *ctx);
	/*
	 * Optional: the member key of a JVF_LAZY object without materializing the
	 * others (NULL when absent; on allocation failure set a->exhausted).
	 */
	Jv		   *(*lazy_get) (void *ctx, JvArena *a, Jv *obj, const char *key, size_t klen);
	void	   *ctx;
} ExprHooks;

typedef struct Expr Expr;
typedef struct ExprTemplate ExprTemplate;

extern void expr_default_limits(ExprLimits *lim);

/*
 * Compile src (UTF-8, len bytes).  Returns NULL and fills *err on a syntax
 * error or an unsupported feature.  The Expr and everything it references
 * live in arena a.
 */
extern Expr *expr_compile(JvArena *a, const char *src, size_t len, int funcset,
						  int max_depth, ExprError *err);

/*
 * Evaluate e with input as the context ($; NULL = undefined) and bindings a
 * JSON object of $name variables (NULL = none).  All allocation comes from a
 * (its limit is set from lim->max_memory for the duration).  Returns false and
 * fills *err on error; otherwise *result is the value (NULL = undefined).
 * The result never contains functions; it may share lazy members of input.
 */
extern bool expr_eval(const Expr *e, JvArena *a, Jv *input, Jv *bindings,
					  const ExprLimits *lim, const ExprHooks *hooks,
					  Jv **result, ExprError *err);

/*
 * Evaluate as a condition: *truth is JSONata's $boolean() of the result,
 * false when it is undefined.  Same error handling as expr_eval.
 */
extern bool expr_eval_boolean(const Expr *e, JvArena *a, Jv *input, Jv *bindings,
							  const ExprLimits *lim, const ExprHooks *hooks, bool *truth,
							  ExprError *err);

/* the source an Expr was compiled from (for error excerpts) */
extern const char *expr_source(const Expr *e, size_t *len);

/*
 * Templates: "Hello {{ payload.name }}" — literal text with {{ expression }}
 * holes.  Each hole is compiled like expr_compile; err->pos is relative to
 * the whole template.
 */
extern ExprTemplate *expr_template_compile(JvArena *a, const char *tmpl, size_t len,
										   int funcset, int max_depth, ExprError *err);

/*
 * Render: undefined holes render as "", strings as themselves, everything
 * else as $string() would.  Returns the text (NUL-terminated, in arena a) and
 * its length in *outlen, or NULL with *err filled.
 */
extern const char *expr_template_render(const ExprTemplate *t, JvArena *a, Jv *input,
										Jv *bindings, const ExprLimits *lim,
										const ExprHooks *hooks, size_t *outlen,
										ExprError *err);

/* byte offset -> 1-based character position in src */
extern int	expr_char_pos(const char *src, size_t len, int byte_pos);

#endif							/* ALGAWF_EXPR_H */
