/*
 * http.c — libcurl multi driver for the executors (see http.h).
 *
 * The executor asks which sockets libcurl waits on (http_sockets) and for how
 * long (http_timeout_ms), puts them in its WaitEventSet next to its latch,
 * and reports readiness back (http_on_socket / http_on_timeout).  Finished
 * transfers queue up for http_next_done().
 *
 * No function here may ereport or palloc: it all runs between transactions
 * and inside libcurl's callbacks.  Out of memory is a failed transfer.
 */
#include "postgres.h"

#include <time.h>

#include <curl/curl.h>

#include "http.h"

#define MAX_HEADER_BLOCK (64 * 1024)

typedef struct Xfer
{
	CURL	   *easy;
	uint64_t	tag;
	struct curl_slist *hdrs;
	char	   *body;
	char	   *buf;
	size_t		len;
	size_t		cap;
	size_t		max;
	bool		too_large;
	bool		oom;
	char	   *hbuf;
	size_t		hlen;
	size_t		hcap;
	struct timespec started;
	char		errbuf[CURL_ERROR_SIZE];
	struct Xfer *prev;			/* in-flight list */
	struct Xfer *next;
} Xfer;

typedef struct Done
{
	uint64_t	tag;
	HttpResult	res;
	struct Done *next;
} Done;

static CURLM *multi = NULL;
static int	ninflight = 0;
static Xfer *inflight_head = NULL;
static Done *done_head = NULL;
static Done *done_tail = NULL;

static HttpSocket *socks = NULL;
static int	nsocks = 0;
static int	socks_cap = 0;

static bool timer_armed = false;
static struct timespec timer_at;

static void
now_mono(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static long
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (long) ((b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000);
}

static int
socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	int			i;

	for (i = 0; i < nsocks; i++)
		if (socks[i].fd == (int) s)
			break;
	if (what == CURL_POLL_REMOVE)
	{
		if (i < nsocks)
			socks[i] = socks[--nsocks];
		return 0;
	}
	if (i == nsocks)
	{
		if (nsocks == socks_cap)
		{
			int			ncap = socks_cap ? socks_cap * 2 : 16;
			HttpSocket *n = realloc(socks, sizeof(HttpSocket) * ncap);

			if (n == NULL)
				return -1;
			socks = n;
			socks_cap = ncap;
		}
		socks[nsocks].fd = (int) s;
		nsocks++;
	}
	socks[i].want_read = (what == CURL_POLL_IN || what == CURL_POLL_INOUT);
	socks[i].want_write = (what == CURL_POLL_OUT || what == CURL_POLL_INOUT);
	return 0;
}

static int
timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	if (timeout_ms < 0)
		timer_armed = false;
	else
	{
		now_mono(&timer_at);
		timer_at.tv_sec += timeout_ms / 1000;
		timer_at.tv_nsec += (timeout_ms % 1000) * 1000000L;
		if (timer_at.tv_nsec >= 1000000000L)
		{
			timer_at.tv_sec++;
			timer_at.tv_nsec -= 1000000000L;
		}
		timer_armed = true;
	}
	return 0;
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	Xfer	   *x = userp;
	size_t		n = size * nmemb;

	if (x->len + n > x->max)
	{
		x->too_large = true;
		return 0;
	}
	if (x->len + n + 1 > x->cap)
	{
		size_t		ncap = x->cap ? x->cap : 4096;
		char	   *nb;

		while (ncap < x->len + n + 1)
			ncap *= 2;
		nb = realloc(x->buf, ncap);
		if (nb == NULL)
		{
			x->oom = true;
			return 0;
		}
		x->buf = nb;
		x->cap = ncap;
	}
	memcpy(x->buf + x->len, data, n);
	x->len += n;
	x->buf[x->len] = '\0';
	return n;
}

static size_t
header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	Xfer	   *x = userp;
	size_t		n = size * nmemb;

	/* a new status line starts a new response (after 1xx): keep only the last */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		x->hlen = 0;
	if (x->hlen + n > MAX_HEADER_BLOCK)
		return n;				/* ignore the excess, keep the transfer */
	if (x->hlen + n + 1 > x->hcap)
	{
		size_t		ncap = x->hcap ? x->hcap : 1024;
		char	   *nb;

		while (ncap < x->hlen + n + 1)
			ncap *= 2;
		nb = realloc(x->hbuf, ncap);
		if (nb == NULL)
		{
			x->oom = true;
			return 0;
		}
		x->hbuf = nb;
		x->hcap = ncap;
	}
	memcpy(x->hbuf + x->hlen, data, n);
	x->hlen += n;
	x->hbuf[x->hlen] = '\0';
	return n;
}

static void
inflight_unlink(Xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else if (inflight_head == x)
		inflight_head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
}

static void
xfer_free(Xfer *x)
{
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	free(x->body);
	free(x->buf);
	free(x->hbuf);
	free(x);
}

static bool
ensure_multi(void)
{
	static bool global_done = false;

	if (multi)
		return true;
	if (!global_done)
	{
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return false;
		global_done = true;
	}
	multi = curl_multi_init();
	if (multi == NULL)
		return false;
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	return true;
}

static HttpOutcome
outcome_of(CURLcode rc, const Xfer *x)
{
	if (x->too_large)
		return HTTP_TOO_LARGE;
	switch (rc)
	{
		case CURLE_OK:
			return HTTP_RESPONSE;
		case CURLE_OPERATION_TIMEDOUT:
			return HTTP_TIMEOUT;
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
			return HTTP_RESOLVE_FAILED;
		case CURLE_COULDNT_CONNECT:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
			return HTTP_CONNECT_FAILED;
		case CURLE_FILESIZE_EXCEEDED:
			return HTTP_TOO_LARGE;
		case CURLE_GOT_NOTHING:
		case CURLE_RECV_ERROR:
		case CURLE_SEND_ERROR:
		case CURLE_PARTIAL_FILE:
			return HTTP_CONNECTION_LOST;
		default:
			return HTTP_FAILED;
	}
}

static void
collect_done(void)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
	{
		Xfer	   *x = NULL;
		Done	   *d;
		struct timespec now;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &x);
		curl_multi_remove_handle(multi, msg->easy_handle);
		ninflight--;
		if (x == NULL)
			continue;
		inflight_unlink(x);

		d = calloc(1, sizeof(Done));
		if (d == NULL)
		{
			/* cannot report it: the lease lapses and the request is retried */
			xfer_free(x);
			continue;
		}
		d->tag = x->tag;
		d->res.outcome = x->oom ? HTTP_FAILED : outcome_of(msg->data.result, x);
		if (d->res.outcome == HTTP_RESPONSE)
			curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &d->res.status);
		else if (x->oom)
			snprintf(d->res.error, sizeof(d->res.error), "out of memory receiving the response");
		else if (x->too_large)
			snprintf(d->res.error, sizeof(d->res.error), "response body larger than %zu bytes", x->max);
		else
			snprintf(d->res.error, sizeof(d->res.error), "%s",
					 x->errbuf[0] ? x->errbuf : curl_easy_strerror(msg->data.result));
		d->res.body = x->buf ? x->buf : strdup("");
		d->res.body_len = x->buf ? x->len : 0;
		d->res.headers = x->hbuf ? x->hbuf : strdup("");
		d->res.headers_len = x->hbuf ? x->hlen : 0;
		x->buf = NULL;
		x->hbuf = NULL;
		now_mono(&now);
		d->res.elapsed_ms = ms_between(&x->started, &now);
		xfer_free(x);

		if (done_tail)
			done_tail->next = d;
		else
			done_head = d;
		done_tail = d;
	}
}

bool
http_start(const HttpSpec *spec, uint64_t tag, char *err, size_t errlen)
{
	Xfer	   *x;
	int			i;
	CURLcode	rc = CURLE_OK;
	int			running;

	if (!ensure_multi())
	{
		snprintf(err, errlen, "libcurl could not be initialized");
		return false;
	}
	x = calloc(1, sizeof(Xfer));
	if (x == NULL || (x->easy = curl_easy_init()) == NULL)
	{
		free(x);
		snprintf(err, errlen, "out of memory");
		return false;
	}
	x->tag = tag;
	x->max = spec->max_response;
	now_mono(&x->started);

	for (i = 0; i < spec->nheaders; i++)
	{
		struct curl_slist *n = curl_slist_append(x->hdrs, spec->headers[i]);

		if (n == NULL)
			goto oom;
		x->hdrs = n;
	}
	/* no "Expect: 100-continue" round trip */
	{
		struct curl_slist *n = curl_slist_append(x->hdrs, "Expect:");

		if (n == NULL)
			goto oom;
		x->hdrs = n;
	}

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(x->easy, opt, val); } while (0)
	SET(CURLOPT_URL, spec->url);
	SET(CURLOPT_PRIVATE, (char *) x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_NOPROGRESS, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROTOCOLS_STR, spec->protocols ? spec->protocols : "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, spec->protocols ? spec->protocols : "http,https");
	SET(CURLOPT_TIMEOUT_MS, spec->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, spec->connect_timeout_ms);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) spec->max_response);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_HTTPHEADER, x->hdrs);
	if (spec->user_agent)
		SET(CURLOPT_USERAGENT, spec->user_agent);

	if (strcmp(spec->method, "GET") == 0 && spec->body == NULL)
		SET(CURLOPT_HTTPGET, 1L);
	else if (strcmp(spec->method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else
	{
		if (spec->body != NULL || strcmp(spec->method, "POST") == 0 ||
			strcmp(spec->method, "PUT") == 0 || strcmp(spec->method, "PATCH") == 0)
		{
			x->body = malloc(spec->body_len + 1);
			if (x->body == NULL)
				goto oom;
			if (spec->body_len)
				memcpy(x->body, spec->body, spec->body_len);
			x->body[spec->body_len] = '\0';
			SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) spec->body_len);
			SET(CURLOPT_POSTFIELDS, x->body);
		}
		if (strcmp(spec->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, spec->method);
	}
#undef SET
	if (rc != CURLE_OK)
	{
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		xfer_free(x);
		return false;
	}
	if (curl_multi_add_handle(multi, x->easy) != CURLM_OK)
	{
		snprintf(err, errlen, "libcurl refused the transfer");
		xfer_free(x);
		return false;
	}
	ninflight++;
	x->next = inflight_head;
	if (inflight_head)
		inflight_head->prev = x;
	inflight_head = x;
	/* let libcurl start (resolve, connect) right away */
	curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect_done();
	return true;

oom:
	snprintf(err, errlen, "out of memory");
	xfer_free(x);
	return false;
}

int
http_inflight(void)
{
	return ninflight;
}

int
http_socket_count(void)
{
	return nsocks;
}

int
http_sockets(HttpSocket *out, int max)
{
	int			i;

	for (i = 0; i < nsocks && i < max; i++)
		out[i] = socks[i];
	return i;
}

long
http_timeout_ms(void)
{
	struct timespec now;
	long		ms;

	if (!timer_armed || multi == NULL)
		return -1;
	now_mono(&now);
	ms = ms_between(&now, &timer_at);
	return ms < 0 ? 0 : ms;
}

void
http_on_socket(int fd, bool readable, bool writable)
{
	int			running;
	int			ev = (readable ? CURL_CSELECT_IN : 0) | (writable ? CURL_CSELECT_OUT : 0);

	if (multi == NULL)
		return;
	curl_multi_socket_action(multi, (curl_socket_t) fd, ev, &running);
	collect_done();
}

void
http_on_timeout(void)
{
	int			running;

	if (multi == NULL)
		return;
	timer_armed = false;
	curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect_done();
}

bool
http_next_done(uint64_t *tag, HttpResult *res)
{
	Done	   *d = done_head;

	if (d == NULL)
		return false;
	done_head = d->next;
	if (done_head == NULL)
		done_tail = NULL;
	*tag = d->tag;
	*res = d->res;
	free(d);
	return true;
}

void
http_result_free(HttpResult *res)
{
	free(res->body);
	free(res->headers);
	res->body = NULL;
	res->headers = NULL;
}

void
http_abort_all(void)
{
	if (multi == NULL)
		return;
	while (inflight_head)
	{
		Xfer	   *x = inflight_head;

		inflight_unlink(x);
		curl_multi_remove_handle(multi, x->easy);
		xfer_free(x);
	}
	ninflight = 0;
	nsocks = 0;
	timer_armed = false;
}

bool
http_url_parts(const char *url, char *scheme, size_t scheme_len,
			   char *host, size_t host_len, int *port)
{
	CURLU	   *u = curl_url();
	char	   *s = NULL;
	char	   *h = NULL;
	char	   *p = NULL;
	bool		ok = false;

	if (u == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK)
	{
		snprintf(scheme, scheme_len, "%s", s);
		snprintf(host, host_len, "%s", h);
		*port = atoi(p);
		ok = true;
	}
	curl_free(s);
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return ok;
}
