/*
 * http.h — the executors' HTTP engine: libcurl's multi interface, many
 * transfers in flight, driven from the executor's wait loop.
 *
 * Everything here runs outside any transaction.  Memory for transfers and
 * results is malloc'd (libcurl callbacks must never ereport or palloc);
 * results are handed over with http_next_done() and released with
 * http_result_free().
 */
#ifndef ALGAWF_HTTP_H
#define ALGAWF_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct HttpSpec
{
	const char *method;			/* GET, POST, ... */
	const char *url;
	const char *const *headers; /* "Name: value" lines */
	int			nheaders;
	const char *body;			/* may be NULL */
	size_t		body_len;
	long		timeout_ms;		/* total */
	long		connect_timeout_ms;
	size_t		max_response;	/* body bytes kept; more fails the transfer */
	const char *user_agent;
	const char *protocols;		/* CURLOPT_PROTOCOLS_STR, e.g. "http,https" */
} HttpSpec;

typedef enum HttpOutcome
{
	HTTP_RESPONSE = 0,			/* a response arrived (any status) */
	HTTP_TIMEOUT,				/* connect or total time limit */
	HTTP_CONNECT_FAILED,		/* refused, unreachable, TLS handshake */
	HTTP_RESOLVE_FAILED,		/* DNS */
	HTTP_TOO_LARGE,				/* body over max_response */
	HTTP_CONNECTION_LOST,		/* sent, then the peer closed or reset */
	HTTP_FAILED					/* anything else libcurl reports */
} HttpOutcome;

typedef struct HttpResult
{
	HttpOutcome outcome;
	long		status;			/* HTTP status when outcome is HTTP_RESPONSE */
	char	   *body;			/* NUL-terminated, body_len bytes */
	size_t		body_len;
	char	   *headers;		/* the final response's header block, NUL-terminated */
	size_t		headers_len;
	char		error[256];		/* libcurl's message when outcome != HTTP_RESPONSE */
	long		elapsed_ms;
} HttpResult;

typedef struct HttpSocket
{
	int			fd;
	bool		want_read;
	bool		want_write;
} HttpSocket;

/* start a transfer; false with err filled when it could not be started */
extern bool http_start(const HttpSpec *spec, uint64_t tag, char *err, size_t errlen);

extern int	http_inflight(void);

/* how many sockets libcurl waits on */
extern int	http_socket_count(void);

/* the sockets libcurl waits on; returns how many (at most max) */
extern int	http_sockets(HttpSocket *out, int max);

/* ms until libcurl needs http_on_timeout(); -1 when it needs none */
extern long http_timeout_ms(void);

/* drive transfers: a socket became ready / the timeout expired */
extern void http_on_socket(int fd, bool readable, bool writable);
extern void http_on_timeout(void);

/* a finished transfer, if any: its tag and result (caller frees) */
extern bool http_next_done(uint64_t *tag, HttpResult *res);
extern void http_result_free(HttpResult *res);

/* cancel everything in flight (at exit) */
extern void http_abort_all(void);

/* "https", "api.example.com", 443 from a URL; false if it does not parse */
extern bool http_url_parts(const char *url, char *scheme, size_t scheme_len,
						   char *host, size_t host_len, int *port);

#endif							/* ALGAWF_HTTP_H */
