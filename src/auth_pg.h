/*
 * auth_pg.h — authentication of declarative requests inside the backend:
 * credentials resolved from tenant secrets when a request is sent, and the
 * token cache (algawf.integration_tokens) of the OAuth2 and Knox schemes.
 * Every function runs in the caller's transaction (caller connected to SPI).
 */
#ifndef ALGAWF_AUTH_PG_H
#define ALGAWF_AUTH_PG_H

#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "auth.h"

typedef enum AuthOutcome
{
	AUTH_OUT_NONE,				/* send without credentials */
	AUTH_OUT_HEADER,			/* send with header_name: header_value */
	AUTH_OUT_NEED_TOKEN,		/* send token_request first */
	AUTH_OUT_WAIT,				/* another executor is fetching the token: try again shortly */
	AUTH_OUT_FAIL				/* cannot authenticate: code, message, hint */
} AuthOutcome;

typedef struct AuthSetup
{
	AuthOutcome outcome;
	const char *header_name;
	const char *header_value;
	char		fingerprint[17];	/* of the cached token sent */
	const char *credential;		/* the key or token inside header_value (to scrub from answers) */
	AuthTokenRequest token_request;
	const char *code;
	const char *message;
	const char *hint;
} AuthSetup;

/*
 * What to send for auth configuration cfg (secrets as markers) of a tenant;
 * auth_key names the configuration in the token cache ("<integration>:<name>").
 */
extern void auth_setup(const pg_uuid_t *tenant, const char *auth_key, Jsonb *cfg, const char *vendor,
					   AuthSetup *out);

/* a token endpoint answered 2xx: store the token; false with *problem when the answer has none */
extern bool auth_store_token(const pg_uuid_t *tenant, const char *auth_key, Jsonb *cfg, Jsonb *body,
							 const char **problem);

/* the token fetch failed: let another try */
extern void auth_release(const pg_uuid_t *tenant, const char *auth_key);

/* the API refused the token with this fingerprint (401) */
extern void auth_invalidate(const pg_uuid_t *tenant, const char *auth_key, const char *fingerprint);

/* the secret names a configuration references (markers), for hints */
extern char *auth_secret_names(Jsonb *cfg);

#endif							/* ALGAWF_AUTH_PG_H */
