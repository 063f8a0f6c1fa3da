/*
 * http_decl_pg.h — declarative HTTP actions inside the backend: the
 * registry's check, the dispatcher's hook (template -> outbox row), and the
 * executor's hooks (auth, rate limit and secrets when a request is sent; token
 * fetch, 401 refresh, retries, pagination, response mapping and the
 * invocation's completion when its answer arrives).
 *
 * Flow of one call:
 *   dispatcher  http_decl_dispatch(): connection from the module's resolver,
 *               prepare hook, request rendered (secrets stay markers), outbox
 *               row with the call's decl (template, input, connection, auth
 *               configuration, rate limit) -> "deferred", the run parks
 *   executor    claim: http_decl_on_claim(): token from the cache (or a token
 *               request first), rate limit (or back to the queue), secrets
 *               resolved in memory -> sent with libcurl multi
 *   executor    record: http_decl_on_result(): token stored / 401 -> new token
 *               / 429, 5xx, timeout -> retry later / next page / mapped output,
 *               output schema, finish hook -> invocation completed, run resumed
 */
#ifndef ALGAWF_HTTP_DECL_PG_H
#define ALGAWF_HTTP_DECL_PG_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "action.h"
#include "dispatch.h"
#include "http.h"

/*
 * Registry: NULL when an http implementation's declarative parts (request,
 * prepare, finish, local) are well formed, else the problem, with *path (in
 * the definition) and *hint.
 */
extern char *http_decl_check_impl(Jsonb *impl, const char **path, const char **hint);

/* true for an http implementation with a request template */
extern bool http_decl_is_declarative(const ActionDef *a);

/*
 * Dispatcher: the local function to run instead of sending (implementation
 * local.when is true for this input), or InvalidOid.
 */
extern Oid	http_decl_local_function(const ActionDef *a, Jsonb *input);

/* Dispatcher: queue the request (or answer from the call's earlier request). */
extern void http_decl_dispatch(const ActionCall *call, const ActionDef *a, Jsonb *input,
							   const char *key, const pg_uuid_t *invocation_id, ActionResult *r);

/* Executor: what to do with a claimed declarative request */
typedef enum DeclClaim
{
	DECL_CLAIM_SEND,			/* send out->... */
	DECL_CLAIM_TOKEN,			/* send the token request out->... first */
	DECL_CLAIM_SKIP,			/* put back in the queue (rate limit, token being fetched) */
	DECL_CLAIM_DONE				/* finished here (a failure recorded) */
} DeclClaim;

typedef struct DeclSend
{
	const char *method;
	const char *url;
	const char *const *headers;	/* "Name: value" lines, credentials included */
	int			nheaders;
	const char *body;
	long		timeout_ms;
	char		fingerprint[17];	/* of the token sent, "" for none */
	List	   *secrets;		/* secret values sent (char *): scrubbed from the answer */
} DeclSend;

extern DeclClaim http_decl_on_claim(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *owner,
									const char *idempotency_key, const char *correlation_id,
									DeclSend *out);

/* Executor: a declarative request's transfer finished (phase 1 the request, 2 its token request) */
extern void http_decl_on_result(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *owner,
								int phase, const char *fingerprint, const HttpResult *res);

#endif							/* ALGAWF_HTTP_DECL_PG_H */
