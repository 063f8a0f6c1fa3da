/*
 * jval.h — the in-memory JSON value shared by the expression language and the
 * JSON-schema validator.
 *
 * This layer is plain C with no PostgreSQL dependency, so the parser, the
 * evaluator and the validator can be linked into standalone libFuzzer targets.
 * Inside the backend, the arena's blocks come from a MemoryContext (see
 * jval_pg.c); standalone they come from malloc.
 *
 * Values are immutable once built, except by the code that is still building
 * them; an object keeps its keys in insertion order (JSONata relies on it).
 */
#ifndef ALGAWF_JVAL_H
#define ALGAWF_JVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum JvType
{
	JV_NULL,
	JV_BOOL,
	JV_NUMBER,
	JV_STRING,
	JV_ARRAY,
	JV_OBJECT
} JvType;

typedef struct Jv Jv;

typedef struct JvPair
{
	const char *key;
	size_t		klen;
	Jv		   *val;
} JvPair;

struct Jv
{
	JvType		type;
	uint32_t	flags;			/* free for users of the layer (e.g. sequence marks) */
	union
	{
		bool		b;
		double		num;
		struct
		{
			const char *s;		/* not NUL-terminated in general */
			size_t		len;
		}			str;
		struct
		{
			Jv		  **items;
			size_t		n;
			size_t		cap;
		}			arr;
		struct
		{
			JvPair	   *pairs;
			size_t		n;
			size_t		cap;
		}			obj;
	}			u;
};

/* ---- arena --------------------------------------------------------------- */

typedef struct JvBlock JvBlock;

typedef struct JvArena
{
	JvBlock    *head;
	size_t		used;			/* bytes handed out, for result-size limits */
	size_t		limit;			/* 0 = unlimited; exceeding it makes jv_alloc fail */
	bool		exhausted;		/* set when limit was hit */
	void	   *(*block_alloc) (void *ctx, size_t size);
	void		(*block_free) (void *ctx, void *p);
	void	   *ctx;
} JvArena;

/* malloc-backed arena; jv_arena_reset frees everything it handed out */
extern void jv_arena_init(JvArena *a);
extern void jv_arena_reset(JvArena *a);

/* NULL only when the arena's limit is exceeded or the allocator fails */
extern void *jv_alloc(JvArena *a, size_t size);
extern char *jv_strndup(JvArena *a, const char *s, size_t len);

/* ---- constructors -------------------------------------------------------- */

extern Jv  *jv_null(JvArena *a);
extern Jv  *jv_bool(JvArena *a, bool b);
extern Jv  *jv_number(JvArena *a, double d);
extern Jv  *jv_string(JvArena *a, const char *s, size_t len);	/* copies */
extern Jv  *jv_string_nocopy(JvArena *a, const char *s, size_t len);
extern Jv  *jv_array(JvArena *a, size_t cap);
extern Jv  *jv_object(JvArena *a, size_t cap);

/* false on allocation failure */
extern bool jv_array_push(JvArena *a, Jv *arr, Jv *v);
/* replaces the value of an existing key (keeps its position), else appends */
extern bool jv_object_set(JvArena *a, Jv *obj, const char *key, size_t klen, Jv *v);

/* ---- access -------------------------------------------------------------- */

extern Jv  *jv_object_get(const Jv *obj, const char *key, size_t klen);
extern bool jv_equal(const Jv *x, const Jv *y);	/* deep, JSON equality */
extern const char *jv_type_name(JvType t);

/* ---- text ---------------------------------------------------------------- */

typedef struct JvBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	JvArena    *arena;			/* growth allocates from here */
	bool		failed;
} JvBuf;

extern void jv_buf_init(JvBuf *b, JvArena *a);
extern void jv_buf_append(JvBuf *b, const char *s, size_t len);
extern void jv_buf_appendc(JvBuf *b, char c);
extern const char *jv_buf_cstring(JvBuf *b);	/* NUL-terminates */

/*
 * Parse JSON text.  On error returns NULL and sets *errpos (byte offset) and
 * *errmsg (static string).  max_depth bounds nesting (0 = 512).
 */
extern Jv  *jv_parse(JvArena *a, const char *text, size_t len, int max_depth,
					 size_t *errpos, const char **errmsg);

/* Serialize compactly, like JSON.stringify(v); pretty > 0 indents by that many spaces. */
extern void jv_serialize(JvBuf *b, const Jv *v, int pretty);

/*
 * Format a double the way JavaScript's Number.prototype.toString does
 * (shortest round-trip digits; exponent form outside 1e-7 .. 1e21).
 * buf needs 32 bytes; returns the length written.
 */
extern int	jv_format_number(double d, char *buf);

/* Append s as a JSON string literal (with quotes and escapes). */
extern void jv_buf_append_json_string(JvBuf *b, const char *s, size_t len);

#endif							/* ALGAWF_JVAL_H */
