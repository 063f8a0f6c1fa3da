/*
 * http_decl.h — declarative HTTP actions: an action's registered request
 * template turned into a concrete request, and a response turned into the
 * action's output.  Plain C over jval.h and the expression core (expr.h), so
 * it links into standalone libFuzzer targets; the backend glue is
 * http_decl_pg.c.
 *
 * A request template (implementation.request of an action) is a JSON object:
 *
 *   method        "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
 *   url           "/v2/device/{{ device_id }}": a path joined to the base URL,
 *                 or an absolute http(s) URL; every {{ }} hole is
 *                 percent-encoded (encodeURIComponent)
 *   base          expression giving the base URL (default $connection.baseUrl)
 *   query         {name: value template}; undefined and null values are left out,
 *                 arrays repeat the name
 *   headers       {name: value template}
 *   body          JSON value template (sent as application/json), or
 *   form          {name: value template} (application/x-www-form-urlencoded)
 *   auth          name of an auth configuration of the connection, "none"
 *   expectStatus  status or [statuses] that count as success (default 2xx)
 *   response      expression over the response body ($) giving the output
 *   errors        [{status, when?, code, message, hint?, retryable?}]
 *   paginate      {style: "cursor" | "starting_after" | "link", items?, next?,
 *                  param?, maxPages?, maxItems?}
 *   retry         {maxAttempts?, onTimeout?}
 *   rateLimit     {bucket?, requests?, perSeconds?}
 *   timeoutMs     per request
 *
 * Value templates: {"$expr": "..."} is evaluated; {"$secret": "NAME"} is kept
 * as is (resolved only when the request is sent); a string with {{ }} holes
 * is rendered; objects and arrays are walked, members that evaluate to
 * undefined are left out; anything else is a literal.
 *
 * Expressions see the action's input as $ and the bindings $input,
 * $connection, $prepared (request side), and for the response side the body
 * as $ with $status, $headers, $input, $connection, $prepared, $items (all
 * pages' items) and $page.
 */
#ifndef ALGAWF_HTTP_DECL_H
#define ALGAWF_HTTP_DECL_H

#include <stdbool.h>
#include <stddef.h>

#include "expr.h"
#include "jval.h"

typedef struct DeclEnv
{
	const ExprLimits *lim;
	const ExprHooks *hooks;		/* may be NULL */
	int			funcset;		/* EXPR_FUNCSET_* */
} DeclEnv;

typedef struct DeclError
{
	char		where[96];		/* "request.url", "request.query.pageSize", "response" */
	char		message[512];
	bool		expression;		/* an expression failed (vs a malformed template or value) */
} DeclError;

/* a concrete request */
typedef struct DeclRequest
{
	const char *method;
	const char *url;			/* with the query string */
	Jv		   *headers;		/* object: name -> string, or {"$secret": NAME} */
	Jv		   *body_json;		/* JSON body (may hold $secret markers), or NULL */
	const char *body_text;		/* form body, or NULL */
	const char *content_type;	/* of the body, or NULL */
} DeclRequest;

/*
 * Check a request template when the action is registered: known keys, types,
 * every expression compiles.  False with err filled on the first problem.
 */
extern bool decl_check_request(JvArena *a, const Jv *request, const DeclEnv *env, DeclError *err);

/*
 * Evaluate a value template (see above).  Returns the value, NULL for
 * undefined; *failed and err are set when evaluation failed.
 */
extern Jv  *decl_eval_value(JvArena *a, const Jv *tmpl, Jv *input, Jv *bindings,
							const DeclEnv *env, const char *where, DeclError *err, bool *failed);

/*
 * Build the concrete request.  extra_query: more query parameters (a
 * pagination cursor), or NULL.  url_override: use this URL instead of
 * rendering the template (a Link header's next page), or NULL.
 */
extern bool decl_build_request(JvArena *a, const Jv *request, Jv *input, Jv *bindings,
							   const Jv *extra_query, const char *url_override,
							   const DeclEnv *env, DeclRequest *out, DeclError *err);

/* evaluate an expression source; *result NULL for undefined */
extern bool decl_eval_expr(JvArena *a, const char *src, size_t len, Jv *context, Jv *bindings,
						   const DeclEnv *env, const char *where, Jv **result, DeclError *err);

/* URL-encode (encodeURIComponent: keeps A-Z a-z 0-9 - _ . ~ ! * ' ( )) */
extern void decl_urlencode(JvBuf *b, const char *s, size_t len, bool form);

/* the text of a scalar as a query/header value; NULL for objects and arrays */
extern const char *decl_scalar_text(JvArena *a, const Jv *v, size_t *len);

/* {"$secret": "NAME"} ? the name : NULL */
extern const char *decl_secret_marker(const Jv *v, size_t *len);

/* ---- pagination --------------------------------------------------------- */

typedef enum DeclPageStyle
{
	DECL_PAGE_NONE = 0,
	DECL_PAGE_CURSOR,			/* next cursor from an expression, sent as a query parameter */
	DECL_PAGE_LINK				/* RFC 8288 Link header, rel="next" */
} DeclPageStyle;

typedef struct DeclPaging
{
	DeclPageStyle style;
	const char *items;			/* expression: this page's items (default $) */
	const char *next;			/* expression: the next cursor (cursor style) */
	const char *param;			/* query parameter for the cursor */
	int			max_pages;		/* default 10 */
	const char *max_items;		/* expression over the input, or NULL */
} DeclPaging;

/* read request.paginate (defaults filled in); false when absent */
extern bool decl_paging(JvArena *a, const Jv *request, DeclPaging *p);

/*
 * The URL of the rel="next" link in a Link header value, resolved against
 * base (the URL of the request that got it); NULL when there is none.
 */
extern const char *decl_link_next(JvArena *a, const char *link, size_t len, const char *base);

/* true when a and b have the same scheme, host and port */
extern bool decl_same_origin(const char *a, const char *b);

/* ---- helpers shared with the glue --------------------------------------- */

/* the member of an object as a NUL-terminated string, or NULL */
extern const char *decl_get_string(JvArena *a, const Jv *obj, const char *key);

/* find a hole's end: s points after "{{"; returns the offset of the closing "}}" or -1 */
extern long decl_hole_end(const char *s, size_t len);

#endif							/* ALGAWF_HTTP_DECL_H */
