/*
 * jsonschema.h — the JSON Schema subset that action input/output schemas use,
 * compiled once into a C structure and then used to validate many values.
 *
 * Plain C over jval.h (no PostgreSQL headers), so the same code is linked into
 * the libFuzzer target.  The `pattern` keyword needs a regex engine, which the
 * caller supplies through JsHooks: the backend plugs in PostgreSQL's engine
 * (jsonschema_pg.c), the fuzz target a trivial matcher.
 *
 * Paths are JSON pointers (RFC 6901): schema paths in compile problems
 * ("/properties/email/format"), instance paths in validation errors
 * ("/items/2/email"); the root is "".
 */
#ifndef ALGAWF_JSONSCHEMA_H
#define ALGAWF_JSONSCHEMA_H

#include "jval.h"

typedef struct JsHooks
{
	/*
	 * Compile a regular expression (pattern is NUL-terminated, len bytes).
	 * Returns an opaque handle, or NULL with a message written to errbuf.
	 * When compile is NULL, any `pattern` keyword is refused.
	 */
	void	   *(*regex_compile) (void *ctx, const char *pattern, size_t len,
								  char *errbuf, size_t errbuflen);
	/* unanchored search: true when the regex matches somewhere in s */
	bool		(*regex_match) (void *ctx, void *re, const char *s, size_t len);
	void		(*regex_free) (void *ctx, void *re);

	/*
	 * Called once per subschema visited while validating (may be NULL): the
	 * backend checks for interrupts and stack depth here (and may longjmp).
	 */
	void		(*check) (void *ctx);
	void	   *ctx;
} JsHooks;

/* a schema problem (schema path) or a validation error (instance path) */
typedef struct JsError
{
	const char *path;
	const char *message;
	const char *hint;			/* how to fix it, or NULL */
	struct JsError *next;
} JsError;

typedef struct JsSchema JsSchema;

/* limits */
#define JS_MAX_SCHEMA_DEPTH		200	/* nested subschemas */
#define JS_MAX_VALIDATE_DEPTH	1000	/* subschema applications along one path */

/*
 * Check and compile a schema.  Everything (the compiled form, problems) is
 * allocated in arena; the compiled form keeps pointers into `schema`, which
 * must outlive it.  On any problem returns NULL, and *problems (when not
 * NULL) receives every problem found, in document order, each with the schema
 * path where it is; *nproblems their count.
 */
extern JsSchema *js_compile(JvArena *arena, const Jv *schema, const JsHooks *hooks,
							JsError **problems, int *nproblems);

/* release what the hooks allocated (compiled regexes); the arena is the caller's */
extern void js_schema_free(JsSchema *s);

/*
 * Validate a value.  Returns the number of errors (0 = valid).  When errors is
 * not NULL, *errors receives them as a list allocated in scratch, in the order
 * found; with stop_at_first, validation stops at the first error.  scratch is
 * also used for temporary memory (uniqueItems) and may be reset afterwards.
 * A failed allocation counts as an error ("out of memory").
 */
extern int	js_validate(const JsSchema *s, const Jv *value, JvArena *scratch,
						bool stop_at_first, JsError **errors);

/* format checks, exported for tests and other callers */
extern bool js_format_uuid(const char *s, size_t len);
extern bool js_format_email(const char *s, size_t len);
extern bool js_format_date(const char *s, size_t len);
extern bool js_format_date_time(const char *s, size_t len);
extern bool js_format_uri(const char *s, size_t len);

#endif							/* ALGAWF_JSONSCHEMA_H */
