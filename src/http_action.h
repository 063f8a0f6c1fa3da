/*
 * http_action.h — the http.request action and the HTTP error model.
 *
 * http.request never calls out from the transaction that runs it: the first
 * call of a step attempt checks the input and the host allowlist and writes
 * an outbox row (algawf.http_requests) in that transaction, and answers
 * "deferred" (the run parks).  An executor sends the request after commit and
 * records the result; the run resumes and the same call then finds the
 * recorded result and returns it (or its error).
 */
#ifndef ALGAWF_HTTP_ACTION_H
#define ALGAWF_HTTP_ACTION_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "dispatch.h"
#include "http.h"

/*
 * The action.  input: {method, url, headers?, query?, json? | form? | body?,
 * timeoutMs?, expectStatus?} with secrets unresolved; idempotency_key: the
 * call's effective key (sent as Idempotency-Key).  Fills result: ok and
 * deferred (the request is queued or in flight; invocation_id is the
 * request's id), ok with output {status, headers, body, json?} when the
 * request of this call attempt has been answered already, or an error
 * (invalid input, PERMISSION_DENIED for a host not allowed, or the recorded
 * failure).  The executor that records the result resolves the run's
 * 'action' wait at the call's step path with {ok, output} or {ok: false,
 * error}.
 * Connects to SPI itself; runs in the caller's transaction.
 */
extern void algawf_http_request_action(const ActionCall *call, Jsonb *input,
									   const char *idempotency_key, ActionResult *result);

/* NULL when the URL may be called now (http/https, host allowed), else why not */
extern const char *http_url_problem(const char *url);

/* how a finished transfer counts */
typedef struct HttpVerdict
{
	bool		ok;
	Jsonb	   *error;			/* {category, code, message, retryable, retryAfterMs?, status?} */
} HttpVerdict;

/* expect_status: the row's expect_status as text ("{200,204}") or NULL for 2xx */
extern void http_verdict(const HttpResult *res, const char *expect_status, HttpVerdict *v);

/* the response header block as a jsonb object (lower-case names) */
extern Jsonb *http_headers_jsonb(const char *block);

/* the body parsed as JSON when the headers say it is JSON and it parses, else NULL */
extern Jsonb *http_body_json(const char *block, const char *body, size_t len);

/* Retry-After (seconds or HTTP date) in ms, or -1 */
extern long http_retry_after_ms(const char *block);

/* a JSON string literal for s */
extern char *json_quote(const char *s);

#endif							/* ALGAWF_HTTP_ACTION_H */
