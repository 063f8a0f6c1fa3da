/*
 * expr_int.h — internals shared by the expression parser, evaluator and
 * function library.  Not for use outside src/expr_*.c.
 */
#ifndef ALGAWF_EXPR_INT_H
#define ALGAWF_EXPR_INT_H

#include <setjmp.h>
#include <stdint.h>

#include "expr.h"

/* Jv.flags used by the evaluator (JVF_LAZY 0x0100 is the glue's) */
#define JVF_SEQ			0x0001	/* array is a JSONata sequence */
#define JVF_KEEP		0x0002	/* sequence keeps singletons (the [] suffix) */
#define JVF_CONS		0x0004	/* array built by an array constructor */
#define JVF_OUTER		0x0008	/* the wrapper around an array input */
#define JVF_FUNC		0x0010	/* a function value: type JV_NULL, u.str.s -> FuncDef */
#define JVF_RANGE		0x0020	/* lazy integer range: u.arr.n items from (int64) u.arr.cap */

/* value categories as the evaluator sees them */
typedef enum VType
{
	VT_UNDEF,
	VT_NULL,
	VT_BOOL,
	VT_NUM,
	VT_STR,
	VT_ARR,
	VT_OBJ,
	VT_FUNC
} VType;

static inline VType
vt(const Jv *v)
{
	if (v == NULL)
		return VT_UNDEF;
	switch (v->type)
	{
		case JV_NULL:
			return (v->flags & JVF_FUNC) ? VT_FUNC : VT_NULL;
		case JV_BOOL:
			return VT_BOOL;
		case JV_NUMBER:
			return VT_NUM;
		case JV_STRING:
			return VT_STR;
		case JV_ARRAY:
			return VT_ARR;
		case JV_OBJECT:
			return VT_OBJ;
	}
	return VT_UNDEF;
}

/* ---- AST ----------------------------------------------------------------- */

typedef enum NodeKind
{
	NK_PATH,
	NK_NAME,
	NK_STRING,
	NK_NUMBER,
	NK_VALUE,					/* true / false / null */
	NK_VARIABLE,
	NK_WILDCARD,
	NK_DESCENDANT,
	NK_BINARY,
	NK_NEG,
	NK_ARRAY,
	NK_OBJECT,
	NK_CONDITION,
	NK_BLOCK,
	NK_BIND,
	NK_CALL,
	NK_APPLY,
	NK_SORT,
	NK_COALESCE,				/* a ?? b */
	NK_DEFAULT,					/* a ?: b */
	/* parse-only forms, rewritten by the post-parse pass */
	NK_RAW_DOT,
	NK_RAW_PRED,
	NK_RAW_GROUP,
	NK_RAW_SORT,
	NK_RAW_KEYWORD				/* and / or / in used as a field name */
} NodeKind;

typedef enum BinOp
{
	BO_ADD,
	BO_SUB,
	BO_MUL,
	BO_DIV,
	BO_MOD,
	BO_EQ,
	BO_NE,
	BO_LT,
	BO_LE,
	BO_GT,
	BO_GE,
	BO_CONCAT,
	BO_AND,
	BO_OR,
	BO_IN,
	BO_RANGE
} BinOp;

/* Node.flags */
#define NF_KEEP_ARRAY		0x0001	/* expr[] */
#define NF_KEEP_SINGLETON	0x0002	/* path contains a step with [] */
#define NF_CONSARRAY		0x0004	/* array constructor as first/last path step */
#define NF_DESCENDING		0x0008	/* sort term */
#define NF_BARE_CALL		0x0010	/* f(x) without $: Alga-style call */

typedef struct FuncDef FuncDef;
typedef struct Node Node;

struct Node
{
	uint8_t		kind;
	uint8_t		op;				/* BinOp for NK_BINARY */
	uint16_t	flags;
	int			pos;			/* byte offset of the token that made the node */
	Node	   *lhs;			/* binary lhs; condition; bind variable; apply lhs; call procedure */
	Node	   *rhs;			/* binary rhs; then; bind value; apply rhs */
	Node	   *third;			/* else */
	Node	  **items;			/* path steps, array items, block, call args, sort terms, object pairs (k,v,k,v...) */
	int			nitems;
	int			nstages;
	Node	  **stages;			/* filters applied to each step result inside a path */
	int			npreds;
	Node	  **preds;			/* filters applied to the node's result */
	Node	   *group;			/* NK_OBJECT used as a group-by on this node's result */
	Jv		   *lit;			/* NK_STRING / NK_NUMBER / NK_VALUE */
	const char *name;			/* NK_NAME / NK_VARIABLE (NUL-terminated) */
	size_t		nlen;
	const FuncDef *fn;			/* NK_CALL: builtin resolved at compile time, if any */
};

struct Expr
{
	Node	   *root;
	const char *src;
	size_t		srclen;
	int			funcset;
};

struct ExprTemplate
{
	int			nparts;
	const char **text;			/* literal text before part i */
	size_t	   *textlen;
	Expr	  **exprs;			/* NULL for the trailing text-only part */
	int		   *offsets;		/* byte offset of each expression in the template */
	const char *src;
	size_t		srclen;
};

/* ---- evaluation context -------------------------------------------------- */

typedef struct Binding
{
	struct Binding *next;
	const char *name;
	size_t		nlen;
	Jv		   *val;
} Binding;

typedef struct Frame
{
	struct Frame *parent;
	Binding    *head;
} Frame;

typedef struct Ctx
{
	JvArena    *a;
	jmp_buf		jb;
	ExprError  *err;
	const Expr *expr;
	const ExprHooks *hooks;
	long		budget;
	long		ticks;
	int			depth;
	int			max_depth;
	size_t		max_string;
	size_t		max_result;
	Jv		   *root;			/* $$ */
	Jv		   *bindings;		/* user $name variables (object) */
	int			funcset;
	int			cur_pos;		/* position of the node being evaluated, for limit errors */
	double		now;			/* $now()/$millis(): one instant per evaluation */
	bool		now_set;
} Ctx;

/* ---- functions ----------------------------------------------------------- */

typedef Jv *(*FuncImpl) (Ctx *c, Jv **args, int nargs, Jv *input, int pos);

struct FuncDef
{
	const char *name;
	const char *sig;			/* JSONata signature, NULL = no validation */
	FuncImpl	impl;
	int			sets;			/* bit 0: alga, bit 1: extended */
	bool		alga_bare;		/* callable without $ */
	const char *unsupported;	/* non-NULL: rejected, names the feature */
};

#define FS_ALGA		1
#define FS_EXT		2

/* expr_func.c */
extern const FuncDef *expr_find_function(const char *name, size_t len, int funcset, bool bare);
extern const FuncDef *expr_find_unsupported(const char *name, size_t len);
extern bool expr_is_builtin_name(const char *name, size_t len);
extern Jv  *expr_apply(Ctx *c, const FuncDef *fn, Jv **args, int nargs, Jv *input, int pos);
extern Jv  *expr_func_value(Ctx *c, const FuncDef *fn);

/* expr_eval.c — helpers shared with the function library */
extern void ex_throw(Ctx *c, int pos, const char *code, const char *fmt,...)
			__attribute__((noreturn, format(printf, 4, 5)));
extern void ex_oom(Ctx *c);
extern Jv  *ex_force(Ctx *c, Jv *v);
extern void ex_tick(Ctx *c, long units);
extern Jv  *ex_seq(Ctx *c, size_t cap);
extern void ex_push(Ctx *c, Jv *arr, Jv *v);
extern Jv  *ex_num(Ctx *c, double d);
extern Jv  *ex_bool(Ctx *c, bool b);
extern Jv  *ex_str(Ctx *c, const char *s, size_t len);	/* copies, checks max_string */
extern Jv  *ex_str_nocopy(Ctx *c, const char *s, size_t len);
extern Jv  *ex_obj(Ctx *c, size_t cap);
extern void ex_obj_set(Ctx *c, Jv *obj, const char *k, size_t klen, Jv *v);
extern Jv  *ex_obj_get(Ctx *c, Jv *obj, const char *k, size_t klen);
extern bool ex_is_numeric(Ctx *c, Jv *v);	/* throws D1001 on infinities */
extern bool ex_boolean(Ctx *c, Jv *v, bool *defined);
extern bool ex_deep_equal(Ctx *c, Jv *a, Jv *b);
extern Jv  *ex_append(Ctx *c, Jv *a, Jv *b);
extern Jv  *ex_lookup(Ctx *c, Jv *input, const char *k, size_t klen);
extern void ex_check_string(Ctx *c, size_t len, int pos);

/* $string semantics: JSON with 15-significant-digit numbers, functions as "" */
extern Jv  *ex_to_string(Ctx *c, Jv *v, bool pretty, int pos);
extern void ex_stringify(Ctx *c, JvBuf *b, Jv *v, bool pretty, int level, int pos);
extern void ex_format_number15(double d, char *buf);

/* expr_datetime.c */
extern int64_t expr_days_from_civil(int64_t y, int m, int d);
extern void expr_civil_from_days(int64_t z, int64_t *y, int *m, int *d);
extern const char *expr_format_datetime(Ctx *c, double millis, const char *picture, size_t plen,
										const char *tz, size_t tzlen, size_t *outlen, int pos);
extern bool expr_parse_datetime(Ctx *c, const char *s, size_t len, const char *picture,
								size_t plen, double now, double *result, int pos);

/* UTF-8 helpers */
extern size_t ex_utf8_count(const char *s, size_t len);
extern size_t ex_utf8_offset(const char *s, size_t len, size_t nchars);

#endif							/* ALGAWF_EXPR_INT_H */
