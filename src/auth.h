/*
 * auth.h — authentication schemes of declarative HTTP actions.  Plain C over
 * jval.h (no PostgreSQL), so the header building and token parsing link into
 * fuzz targets; the token cache and secret resolution are in auth_pg.c.
 *
 * An auth configuration is an object of the integration's connection, with
 * every credential a {"$secret": NAME} marker until the request is sent:
 *
 *   {"scheme": "none"}
 *   {"scheme": "header", "name": "X-API-KEY", "value": secret, "prefix"?: ""}
 *   {"scheme": "bearer", "token": secret}
 *   {"scheme": "basic", "username": secret, "password": secret}
 *   {"scheme": "oauth2_client_credentials", "tokenUrl", "clientId", "clientSecret",
 *    "scope"?, "clientAuth"?: "body" | "basic"}
 *   {"scheme": "oauth2_refresh_token", "tokenUrl", "clientId", "clientSecret",
 *    "refreshToken", "scope"?, "clientAuth"?}
 *   {"scheme": "knox", "loginUrl", "username", "password", "header"?: "Authorization",
 *    "prefix"?: "Token "}
 *
 * Token schemes (oauth2_*, knox) fetch a token from their endpoint, cache it
 * (algawf.integration_tokens), send it until it expires or the API answers
 * 401, then fetch a new one.
 */
#ifndef ALGAWF_AUTH_H
#define ALGAWF_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jval.h"

typedef enum AuthKind
{
	AUTH_INVALID = -1,
	AUTH_NONE = 0,
	AUTH_HEADER,
	AUTH_BEARER,
	AUTH_BASIC,
	AUTH_OAUTH2_CLIENT_CREDENTIALS,
	AUTH_OAUTH2_REFRESH_TOKEN,
	AUTH_KNOX
} AuthKind;

extern AuthKind auth_kind(const Jv *cfg);
extern const char *auth_kind_name(AuthKind k);
extern bool auth_uses_token(AuthKind k);

/*
 * Check a configuration's shape (secrets unresolved): scheme known, the
 * fields it needs present.  NULL when fine, else a message (static or in a).
 */
extern const char *auth_check_config(JvArena *a, const Jv *cfg);

/*
 * The header a static scheme (header, bearer, basic) sends, from a
 * configuration whose secrets are resolved (strings).  False with *problem.
 */
extern bool auth_static_header(JvArena *a, const Jv *cfg, const char **name, const char **value,
							   const char **problem);

/* the header that carries a token of a token scheme */
extern void auth_token_header(JvArena *a, const Jv *cfg, const char *token,
							  const char **name, const char **value);

typedef struct AuthTokenRequest
{
	const char *url;
	const char *content_type;
	const char *body;
	const char *auth_header;	/* "Authorization: Basic ..." for clientAuth basic, or NULL */
} AuthTokenRequest;

/*
 * The token request of a token scheme (secrets resolved).  refresh_token: a
 * rotated refresh token from the cache, used instead of the configured one;
 * may be NULL.
 */
extern bool auth_token_request(JvArena *a, const Jv *cfg, const char *refresh_token,
							   AuthTokenRequest *out, const char **problem);

typedef struct AuthToken
{
	const char *access_token;
	const char *refresh_token;	/* a new refresh token, or NULL */
	int64_t		expires_at_ms;	/* Unix ms */
} AuthToken;

/* parse the token endpoint's JSON answer; now_ms: the current time */
extern bool auth_parse_token(JvArena *a, AuthKind kind, const Jv *body, int64_t now_ms,
							 AuthToken *out, const char **problem);

/* a short fingerprint of a token (to tell whether the cached one changed) */
extern void auth_fingerprint(const char *token, char out[17]);

/* standard base64 */
extern const char *auth_base64(JvArena *a, const char *s, size_t len);

/* Unix ms of an ISO 8601 UTC timestamp ("2024-05-01T10:00:00Z", fractions and offsets allowed); -1 if not one */
extern int64_t auth_parse_iso8601(const char *s, size_t len);

#endif							/* ALGAWF_AUTH_H */
