/*
 * http_action.c — the http.request action (see http_action.h) and the
 * mapping from HTTP outcomes to algawf's error model:
 *
 *   expected status (expectStatus, else 2xx)     -> ok
 *   400, 422 and other 4xx                       -> ActionError VALIDATION_ERROR
 *   401, 403                                     -> ActionError PERMISSION_DENIED
 *   404                                          -> ActionError NOT_FOUND
 *   409                                          -> ActionError CONFLICT
 *   408                                          -> TimeoutError TRANSIENT_FAILURE (retryable)
 *   429                                          -> TransientError RATE_LIMITED (retryable, Retry-After)
 *   5xx                                          -> TransientError TRANSIENT_FAILURE (retryable, Retry-After)
 *   3xx (redirects are not followed)             -> ActionError VALIDATION_ERROR
 *   timeout (connect or total)                   -> TimeoutError TRANSIENT_FAILURE (retryable)
 *   connection refused/reset, DNS failure        -> TransientError TRANSIENT_FAILURE (retryable)
 *   response over algawf.http_max_response       -> ActionError VALIDATION_ERROR
 *   host not in algawf.http_allowed_hosts        -> ActionError PERMISSION_DENIED
 */
#include "postgres.h"

#include <ctype.h>

#include <curl/curl.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "guc.h"
#include "hostlist.h"
#include "http_action.h"
#include "jval.h"
#include "jval_pg.h"
#include "tenancy.h"
#include "wake.h"

#define MAX_RETRY_AFTER_MS (3600L * 1000)
#define MAX_TIMEOUT_MS 600000

char *
json_quote(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	escape_json(&buf, s ? s : "");
	return buf.data;
}

/* ------------------------------------------------------------------------
 * URL checks
 */

const char *
http_url_problem(const char *url)
{
	char		scheme[16];
	char		host[256];
	int			port;

	if (url == NULL || url[0] == '\0')
		return "the url is empty";
	if (!http_url_parts(url, scheme, sizeof(scheme), host, sizeof(host), &port))
		return psprintf("\"%s\" is not a valid URL", url);
	if (pg_strcasecmp(scheme, "http") != 0 && pg_strcasecmp(scheme, "https") != 0)
		return psprintf("scheme \"%s\" is not allowed: http.request speaks http and https only", scheme);
	if (!hostlist_allows(algawf_http_allowed_hosts, host, port))
		return psprintf("host \"%s\" (port %d) is not in algawf.http_allowed_hosts", host, port);
	return NULL;
}

/* ------------------------------------------------------------------------
 * Responses
 */

/* the value of a header in the block (first occurrence), palloc'd, or NULL */
static char *
header_value(const char *block, const char *name)
{
	size_t		nlen = strlen(name);
	const char *p = block;

	while (p && *p)
	{
		const char *eol = strchr(p, '\n');
		size_t		len = eol ? (size_t) (eol - p) : strlen(p);

		if (len > nlen && pg_strncasecmp(p, name, nlen) == 0 && p[nlen] == ':')
		{
			const char *v = p + nlen + 1;
			const char *e = p + len;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
				e--;
			return pnstrdup(v, e - v);
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

long
http_retry_after_ms(const char *block)
{
	char	   *v = header_value(block ? block : "", "retry-after");
	long		ms = -1;

	if (v == NULL || v[0] == '\0')
		return -1;
	if (isdigit((unsigned char) v[0]))
	{
		char	   *end;
		long		secs = strtol(v, &end, 10);

		if (*end == '\0' || *end == ' ')
			ms = secs > MAX_RETRY_AFTER_MS / 1000 ? MAX_RETRY_AFTER_MS : secs * 1000;
	}
	else
	{
		time_t		when = curl_getdate(v, NULL);

		if (when != (time_t) -1)
		{
			time_t		now = time(NULL);

			ms = when <= now ? 0 : (long) Min((when - now) * 1000L, MAX_RETRY_AFTER_MS);
		}
	}
	return ms;
}

Jsonb *
http_headers_jsonb(const char *block)
{
	StringInfoData buf;
	const char *p = block ? block : "";
	bool		first_line = true;
	List	   *names = NIL;
	List	   *values = NIL;
	ListCell   *ln,
			   *lv;
	bool		any = false;

	while (*p)
	{
		const char *eol = strchr(p, '\n');
		size_t		len = eol ? (size_t) (eol - p) : strlen(p);
		const char *colon = memchr(p, ':', len);

		if (!first_line && colon && colon > p)
		{
			char	   *name = pnstrdup(p, colon - p);
			const char *v = colon + 1;
			const char *e = p + len;
			char	   *value;
			bool		merged = false;
			char	   *c;

			for (c = name; *c; c++)
				*c = pg_tolower((unsigned char) *c);
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
				e--;
			value = pnstrdup(v, e - v);
			forboth(ln, names, lv, values)
			{
				if (strcmp(lfirst(ln), name) == 0)
				{
					lfirst(lv) = psprintf("%s, %s", (char *) lfirst(lv), value);
					merged = true;
					break;
				}
			}
			if (!merged)
			{
				names = lappend(names, name);
				values = lappend(values, value);
			}
		}
		first_line = false;
		if (!eol)
			break;
		p = eol + 1;
	}

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	forboth(ln, names, lv, values)
	{
		if (any)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, lfirst(ln));
		appendStringInfoString(&buf, ": ");
		escape_json(&buf, lfirst(lv));
		any = true;
	}
	appendStringInfoChar(&buf, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

Jsonb *
http_body_json(const char *block, const char *body, size_t len)
{
	char	   *ctype = header_value(block ? block : "", "content-type");
	JvArena		arena;
	Jv		   *v;
	size_t		errpos;
	const char *errmsg;
	Jsonb	   *result = NULL;

	if (ctype == NULL || body == NULL || len == 0)
		return NULL;
	/* application/json, application/problem+json, text/json ... */
	if (strstr(ctype, "json") == NULL && strstr(ctype, "JSON") == NULL)
		return NULL;
	jv_arena_init_pg(&arena, CurrentMemoryContext);
	v = jv_parse(&arena, body, len, 0, &errpos, &errmsg);
	if (v != NULL)
		result = jv_to_jsonb(v);
	jv_arena_reset(&arena);
	return result;
}

static bool
status_expected(long status, const char *expect)
{
	const char *p;

	if (expect == NULL || expect[0] == '\0' || strcmp(expect, "{}") == 0)
		return status >= 200 && status < 300;
	for (p = expect; *p; p++)
	{
		if (isdigit((unsigned char) *p))
		{
			char	   *end;
			long		v = strtol(p, &end, 10);

			if (v == status)
				return true;
			p = end - 1;
		}
	}
	return false;
}

static Jsonb *
error_jsonb(const char *category, const char *code, const char *message, bool retryable,
			long retry_after_ms, long status)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"category\": %s, \"code\": %s, \"message\": %s, \"retryable\": %s",
					 json_quote(category), json_quote(code), json_quote(message),
					 retryable ? "true" : "false");
	if (retry_after_ms >= 0)
		appendStringInfo(&buf, ", \"retryAfterMs\": %ld", retry_after_ms);
	if (status > 0)
		appendStringInfo(&buf, ", \"status\": %ld", status);
	appendStringInfoChar(&buf, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

void
http_verdict(const HttpResult *res, const char *expect, HttpVerdict *v)
{
	long		s = res->status;
	long		ra;

	v->ok = false;
	v->error = NULL;
	switch (res->outcome)
	{
		case HTTP_RESPONSE:
			break;
		case HTTP_TIMEOUT:
			v->error = error_jsonb("TimeoutError", "TRANSIENT_FAILURE",
								   psprintf("the request timed out: %s", res->error), true, -1, 0);
			return;
		case HTTP_CONNECT_FAILED:
		case HTTP_RESOLVE_FAILED:
		case HTTP_CONNECTION_LOST:
			v->error = error_jsonb("TransientError", "TRANSIENT_FAILURE",
								   psprintf("the request failed: %s", res->error), true, -1, 0);
			return;
		case HTTP_TOO_LARGE:
			v->error = error_jsonb("ActionError", "VALIDATION_ERROR",
								   psprintf("the response is larger than algawf.http_max_response (%d bytes)",
											algawf_http_max_response), false, -1, 0);
			return;
		case HTTP_FAILED:
			v->error = error_jsonb("ActionError", "INTERNAL_ERROR",
								   psprintf("the request failed: %s", res->error), false, -1, 0);
			return;
	}

	if (status_expected(s, expect))
	{
		v->ok = true;
		return;
	}
	ra = http_retry_after_ms(res->headers);
	if (s == 429)
		v->error = error_jsonb("TransientError", "RATE_LIMITED",
							   psprintf("rate limited (HTTP 429)%s", ra >= 0 ? psprintf("; retry after %ld ms", ra) : ""),
							   true, ra, s);
	else if (s >= 500)
		v->error = error_jsonb("TransientError", "TRANSIENT_FAILURE",
							   psprintf("the server answered HTTP %ld", s), true, ra, s);
	else if (s == 408)
		v->error = error_jsonb("TimeoutError", "TRANSIENT_FAILURE",
							   "the server answered HTTP 408 (request timeout)", true, ra, s);
	else if (s == 401 || s == 403)
		v->error = error_jsonb("ActionError", "PERMISSION_DENIED",
							   psprintf("the server refused the request (HTTP %ld)", s), false, -1, s);
	else if (s == 404)
		v->error = error_jsonb("ActionError", "NOT_FOUND", "the server answered HTTP 404 (not found)", false, -1, s);
	else if (s == 409)
		v->error = error_jsonb("ActionError", "CONFLICT", "the server answered HTTP 409 (conflict)", false, -1, s);
	else if (s >= 300 && s < 400)
	{
		char	   *loc = header_value(res->headers ? res->headers : "", "location");

		v->error = error_jsonb("ActionError", "VALIDATION_ERROR",
							   psprintf("the server answered HTTP %ld (redirect%s%s); redirects are not followed",
										s, loc ? " to " : "", loc ? loc : ""), false, -1, s);
	}
	else
		v->error = error_jsonb("ActionError", "VALIDATION_ERROR",
							   psprintf("the server answered HTTP %ld", s), false, -1, s);
}

/* ------------------------------------------------------------------------
 * The action
 */

static ActionErrorCategory
category_of(const char *name)
{
	if (strcmp(name, "ValidationError") == 0)
		return AEC_VALIDATION;
	if (strcmp(name, "TransientError") == 0)
		return AEC_TRANSIENT;
	if (strcmp(name, "TimeoutError") == 0)
		return AEC_TIMEOUT;
	if (strcmp(name, "Cancellation") == 0)
		return AEC_CANCELLATION;
	if (strcmp(name, "ExpressionError") == 0)
		return AEC_EXPRESSION;
	return AEC_ACTION;
}

static void
fail(ActionResult *r, ActionErrorCategory cat, const char *code, const char *message, const char *hint)
{
	r->ok = false;
	r->deferred = false;
	r->category = cat;
	r->code = code;
	r->message = message;
	r->hint = hint;
	r->retryable = (cat == AEC_TRANSIENT || cat == AEC_TIMEOUT);
}

static JsonbValue *
get_key(Jsonb *obj, const char *key)
{
	if (obj == NULL || !JB_ROOT_IS_OBJECT(obj))
		return NULL;
	return getKeyJsonValueFromContainer(&obj->root, key, strlen(key), NULL);
}

static char *
jbv_text(JsonbValue *v)
{
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	if (v->type == jbvBool)
		return pstrdup(v->val.boolean ? "true" : "false");
	return NULL;
}

static Jsonb *
jbv_jsonb(JsonbValue *v)
{
	return JsonbValueToJsonb(v);
}

static void
append_urlencoded(StringInfo buf, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			appendStringInfoChar(buf, c);
		else
		{
			appendStringInfoChar(buf, '%');
			appendStringInfoChar(buf, hex[c >> 4]);
			appendStringInfoChar(buf, hex[c & 15]);
		}
	}
}

/* k=v&k=v from an object (arrays give repeated keys); NULL when not an object of scalars */
static char *
urlencode_object(Jsonb *obj, const char **problem)
{
	StringInfoData buf;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	bool		first = true;
	int			depth = 0;

	if (!JB_ROOT_IS_OBJECT(obj))
	{
		*problem = "must be an object";
		return NULL;
	}
	initStringInfo(&buf);
	it = JsonbIteratorInit(&obj->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
		{
			if (++depth > (tok == WJB_BEGIN_ARRAY ? 2 : 1))
			{
				*problem = "values must be strings, numbers, booleans or arrays of them";
				return NULL;
			}
			continue;
		}
		if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
		{
			depth--;
			continue;
		}
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok == WJB_VALUE || tok == WJB_ELEM)
		{
			char	   *s;

			if (v.type == jbvNull)
				continue;
			s = jbv_text(&v);
			if (s == NULL)
			{
				*problem = "values must be strings, numbers, booleans or arrays of them";
				return NULL;
			}
			if (!first)
				appendStringInfoChar(&buf, '&');
			append_urlencoded(&buf, key);
			appendStringInfoChar(&buf, '=');
			append_urlencoded(&buf, s);
			first = false;
		}
	}
	return buf.data;
}

static const char *
action_error_category_name_local(ActionErrorCategory c)
{
	switch (c)
	{
		case AEC_VALIDATION:
			return "ValidationError";
		case AEC_EXPRESSION:
			return "ExpressionError";
		case AEC_TRANSIENT:
			return "TransientError";
		case AEC_ACTION:
			return "ActionError";
		case AEC_TIMEOUT:
			return "TimeoutError";
		case AEC_CANCELLATION:
			return "Cancellation";
		case AEC_NONE:
			break;
	}
	return "ActionError";
}

/* a recorded row -> the call's result */
static void
result_from_row(HeapTuple tup, TupleDesc td, ActionResult *r)
{
	char	   *status = SPI_getvalue(tup, td, 2);
	bool		isnull;

	if (strcmp(status, "pending") == 0 || strcmp(status, "sending") == 0)
	{
		r->ok = true;
		r->deferred = true;
		return;
	}
	if (strcmp(status, "done") == 0)
	{
		JsonbParseState *st = NULL;
		JsonbValue	k,
					v;
		Datum		d;
		JsonbValue *res;

		pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
		k.type = jbvString;
		k.val.string.val = "status";
		k.val.string.len = 6;
		pushJsonbValue(&st, WJB_KEY, &k);
		v.type = jbvNumeric;
		v.val.numeric = int64_to_numeric(DatumGetInt32(SPI_getbinval(tup, td, 3, &isnull)));
		pushJsonbValue(&st, WJB_VALUE, &v);

		k.val.string.val = "headers";
		k.val.string.len = 7;
		pushJsonbValue(&st, WJB_KEY, &k);
		d = SPI_getbinval(tup, td, 4, &isnull);
		if (isnull)
		{
			v.type = jbvNull;
			pushJsonbValue(&st, WJB_VALUE, &v);
		}
		else
		{
			v.type = jbvBinary;
			v.val.binary.data = &DatumGetJsonbP(d)->root;
			v.val.binary.len = VARSIZE(DatumGetJsonbP(d)) - VARHDRSZ;
			pushJsonbValue(&st, WJB_VALUE, &v);
		}

		k.val.string.val = "body";
		k.val.string.len = 4;
		pushJsonbValue(&st, WJB_KEY, &k);
		{
			char	   *body = SPI_getvalue(tup, td, 5);

			v.type = jbvString;
			v.val.string.val = body ? body : "";
			v.val.string.len = body ? strlen(body) : 0;
			pushJsonbValue(&st, WJB_VALUE, &v);
		}

		d = SPI_getbinval(tup, td, 6, &isnull);
		if (!isnull)
		{
			Jsonb	   *j = DatumGetJsonbP(d);

			k.val.string.val = "json";
			k.val.string.len = 4;
			pushJsonbValue(&st, WJB_KEY, &k);
			if (JB_ROOT_IS_SCALAR(j))
			{
				JsonbValue	sv;

				JsonbExtractScalar(&j->root, &sv);
				pushJsonbValue(&st, WJB_VALUE, &sv);
			}
			else
			{
				v.type = jbvBinary;
				v.val.binary.data = &j->root;
				v.val.binary.len = VARSIZE(j) - VARHDRSZ;
				pushJsonbValue(&st, WJB_VALUE, &v);
			}
		}
		res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
		r->ok = true;
		r->deferred = false;
		r->output = JsonbValueToJsonb(res);
		return;
	}
	if (strcmp(status, "canceled") == 0)
	{
		fail(r, AEC_CANCELLATION, "INTERNAL_ERROR", "the HTTP request was canceled before it was sent", NULL);
		r->retryable = false;
		return;
	}
	/* failed */
	{
		Datum		d = SPI_getbinval(tup, td, 7, &isnull);
		Jsonb	   *err = isnull ? NULL : DatumGetJsonbP(d);
		JsonbValue *cat = get_key(err, "category");
		JsonbValue *code = get_key(err, "code");
		JsonbValue *msg = get_key(err, "message");
		JsonbValue *retry = get_key(err, "retryable");
		JsonbValue *after = get_key(err, "retryAfterMs");

		fail(r, cat ? category_of(jbv_text(cat)) : AEC_ACTION,
			 code ? jbv_text(code) : "INTERNAL_ERROR",
			 msg ? jbv_text(msg) : "the HTTP request failed",
			 NULL);
		if (retry && retry->type == jbvBool)
			r->retryable = retry->val.boolean;
		if (after && after->type == jbvNumeric)
			r->retry_after_ms = DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(after->val.numeric)));
		if (r->code && strcmp(r->code, "PERMISSION_DENIED") == 0 && strstr(r->message, "http_allowed_hosts"))
			r->hint = "Add the host to algawf.http_allowed_hosts (postgresql.conf, then SELECT pg_reload_conf()).";
	}
}

void
algawf_http_request_action(const ActionCall *call, Jsonb *input, const char *idempotency_key,
						   ActionResult *r)
{
	Oid			ltypes[4] = {UUIDOID, UUIDOID, TEXTOID, INT4OID};
	Datum		largs[4];
	JsonbValue *v;
	char	   *method = "GET";
	char	   *url;
	char	   *body = NULL;
	Jsonb	   *body_json = NULL;
	Jsonb	   *headers = NULL;
	int			timeout_ms = 0;
	char	   *expect = NULL;
	const char *problem;
	int			nbody = 0;
	MemoryContext caller = CurrentMemoryContext;

	memset(r, 0, sizeof(*r));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* 1. a request of this call already in the outbox? */
	largs[0] = UUIDPGetDatum(&call->tenant);
	largs[1] = UUIDPGetDatum(&call->run_id);
	largs[2] = CStringGetTextDatum(idempotency_key ? idempotency_key : "");
	largs[3] = Int32GetDatum(call->attempt);
	if (SPI_execute_with_args(
							  "SELECT request_id, status, response_status, response_headers, response_body, response_json, error "
							  "FROM algawf.http_requests "
							  "WHERE tenant = $1 AND run_id = $2 AND idempotency_key = $3 AND call_attempt = $4 "
							  "ORDER BY created_at DESC LIMIT 1",
							  4, ltypes, largs, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "algawf: outbox lookup failed");
	if (SPI_processed == 1)
	{
		bool		isnull;

		result_from_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, r);
		r->invocation_id = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		goto done;
	}

	/* 2. a new request: check the input */
	if ((v = get_key(input, "method")) != NULL)
	{
		char	   *m = jbv_text(v);
		char	   *c;

		if (m == NULL)
			goto bad_method;
		for (c = m; *c; c++)
			*c = pg_toupper((unsigned char) *c);
		if (strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0 && strcmp(m, "PUT") != 0 &&
			strcmp(m, "PATCH") != 0 && strcmp(m, "DELETE") != 0 && strcmp(m, "HEAD") != 0 &&
			strcmp(m, "OPTIONS") != 0)
			goto bad_method;
		method = m;
	}
	if ((v = get_key(input, "url")) == NULL || v->type != jbvString)
	{
		fail(r, AEC_VALIDATION, "VALIDATION_ERROR", "http.request: \"url\" is required and must be a string", NULL);
		goto done;
	}
	url = pnstrdup(v->val.string.val, v->val.string.len);

	if ((v = get_key(input, "query")) != NULL && v->type != jbvNull)
	{
		Jsonb	   *q = jbv_jsonb(v);
		char	   *qs = urlencode_object(q, &problem);

		if (qs == NULL)
		{
			fail(r, AEC_VALIDATION, "VALIDATION_ERROR", psprintf("http.request: \"query\" %s", problem), NULL);
			goto done;
		}
		if (qs[0])
			url = psprintf("%s%s%s", url, strchr(url, '?') ? "&" : "?", qs);
	}

	if ((v = get_key(input, "headers")) != NULL && v->type != jbvNull)
	{
		headers = jbv_jsonb(v);
		if (!JB_ROOT_IS_OBJECT(headers))
		{
			fail(r, AEC_VALIDATION, "VALIDATION_ERROR", "http.request: \"headers\" must be an object", NULL);
			goto done;
		}
	}

	if ((v = get_key(input, "json")) != NULL)
	{
		body_json = jbv_jsonb(v);
		nbody++;
		headers = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
													 JsonbPGetDatum(DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"Content-Type\": \"application/json\"}")))),
													 JsonbPGetDatum(headers ? headers : DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))))));
	}
	if ((v = get_key(input, "form")) != NULL)
	{
		Jsonb	   *f = jbv_jsonb(v);

		body = urlencode_object(f, &problem);
		if (body == NULL)
		{
			fail(r, AEC_VALIDATION, "VALIDATION_ERROR", psprintf("http.request: \"form\" %s", problem), NULL);
			goto done;
		}
		nbody++;
		headers = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
													 JsonbPGetDatum(DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"Content-Type\": \"application/x-www-form-urlencoded\"}")))),
													 JsonbPGetDatum(headers ? headers : DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))))));
	}
	if ((v = get_key(input, "body")) != NULL && v->type != jbvNull)
	{
		if (v->type != jbvString)
		{
			fail(r, AEC_VALIDATION, "VALIDATION_ERROR", "http.request: \"body\" must be a string (use \"json\" for JSON)", NULL);
			goto done;
		}
		body = pnstrdup(v->val.string.val, v->val.string.len);
		nbody++;
	}
	if (nbody > 1)
	{
		fail(r, AEC_VALIDATION, "VALIDATION_ERROR", "http.request: give at most one of \"json\", \"form\" and \"body\"", NULL);
		goto done;
	}

	if ((v = get_key(input, "timeoutMs")) != NULL && v->type != jbvNull)
	{
		if (v->type != jbvNumeric)
		{
			fail(r, AEC_VALIDATION, "VALIDATION_ERROR", "http.request: \"timeoutMs\" must be a number", NULL);
			goto done;
		}
		timeout_ms = DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(v->val.numeric)));
		if (timeout_ms < 1 || timeout_ms > MAX_TIMEOUT_MS)
		{
			fail(r, AEC_VALIDATION, "VALIDATION_ERROR", "http.request: \"timeoutMs\" must be between 1 and 600000", NULL);
			goto done;
		}
	}
	else if (call->timeout_ms > 0)
		timeout_ms = Min(call->timeout_ms, MAX_TIMEOUT_MS);

	if ((v = get_key(input, "expectStatus")) != NULL && v->type != jbvNull)
	{
		Jsonb	   *e = jbv_jsonb(v);
		char	   *txt = JsonbToCString(NULL, &e->root, VARSIZE(e));
		char	   *c;

		for (c = txt; *c; c++)
		{
			if (!(isdigit((unsigned char) *c) || *c == ',' || *c == ' ' || *c == '[' || *c == ']'))
			{
				fail(r, AEC_VALIDATION, "VALIDATION_ERROR", "http.request: \"expectStatus\" must be a status code or an array of them", NULL);
				goto done;
			}
			if (*c == '[')
				*c = '{';
			if (*c == ']')
				*c = '}';
		}
		expect = txt[0] == '{' ? txt : psprintf("{%s}", txt);
	}

	/* 3. SSRF: the host must be allowed (checked again when sent) */
	if ((problem = http_url_problem(url)) != NULL)
	{
		fail(r, AEC_ACTION, "PERMISSION_DENIED", psprintf("http.request: %s", problem),
			 "Add the host to algawf.http_allowed_hosts (postgresql.conf, then SELECT pg_reload_conf()).");
		goto done;
	}

	/* 4. into the outbox, committed with the run's state */
	{
		Oid			types[13] = {UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID,
		TEXTOID, INT4OID, TEXTOID, INT4OID, TEXTOID, JSONBOID};
		Datum		args[13];
		char		nulls[13];
		bool		isnull;

		memset(nulls, ' ', sizeof(nulls));
		args[0] = UUIDPGetDatum(&call->tenant);
		args[1] = UUIDPGetDatum(&call->run_id);
		args[2] = CStringGetTextDatum(call->step_path ? call->step_path : "");
		args[3] = CStringGetTextDatum(call->action_id ? call->action_id : "http.request");
		args[4] = CStringGetTextDatum(method);
		args[5] = CStringGetTextDatum(url);
		args[6] = headers ? JsonbPGetDatum(headers) : DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
		if (body)
			args[7] = CStringGetTextDatum(body);
		else
			nulls[7] = 'n';
		if (timeout_ms > 0)
			args[8] = Int32GetDatum(timeout_ms);
		else
			nulls[8] = 'n';
		args[9] = CStringGetTextDatum(idempotency_key ? idempotency_key : "");
		args[10] = Int32GetDatum(call->attempt > 0 ? call->attempt : 1);
		if (expect)
			args[11] = CStringGetTextDatum(expect);
		else
			nulls[11] = 'n';
		if (body_json)
			args[12] = JsonbPGetDatum(body_json);
		else
			nulls[12] = 'n';
		if (SPI_execute_with_args(
								  "INSERT INTO algawf.http_requests (tenant, run_id, step_path, action_id, method, url, headers, body, "
								  "  timeout_ms, idempotency_key, call_attempt, expect_status, body_json, correlation_id) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::int[], $13, $2::text) "
								  "RETURNING request_id",
								  13, types, args, nulls, false, 1) != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "algawf: outbox insert failed");
		r->invocation_id = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		r->ok = true;
		r->deferred = true;
		algawf_wake_at_commit();
	}
	goto done;

bad_method:
	fail(r, AEC_VALIDATION, "VALIDATION_ERROR",
		 "http.request: \"method\" must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS", NULL);
done:
	/* what the caller keeps must outlive SPI's memory */
	if (r->output)
		r->output = (Jsonb *) SPI_datumTransfer(PointerGetDatum(r->output), false, -1);
	if (r->code)
		r->code = MemoryContextStrdup(caller, r->code);
	if (r->message)
		r->message = MemoryContextStrdup(caller, r->message);
	if (r->hint)
		r->hint = MemoryContextStrdup(caller, r->hint);
	SPI_finish();
}

/*
 * algawf._http_action(input, idempotency_key, run_id, step_path, attempt):
 * the action as the dispatcher calls it, for tests and for callers without
 * a dispatcher.  Returns {ok, deferred, output?, error?}.
 */
PG_FUNCTION_INFO_V1(algawf_http_action_sql);
Datum
algawf_http_action_sql(PG_FUNCTION_ARGS)
{
	ActionCall	call;
	ActionResult r;
	StringInfoData buf;

	memset(&call, 0, sizeof(call));
	call.tenant = *algawf_tenant_require();
	call.run_id = *PG_GETARG_UUID_P(2);
	call.step_path = text_to_cstring(PG_GETARG_TEXT_PP(3));
	call.action_id = "http.request";
	call.action_version = 1;
	call.attempt = PG_GETARG_INT32(4);
	call.input = PG_GETARG_JSONB_P(0);

	algawf_http_request_action(&call, call.input, text_to_cstring(PG_GETARG_TEXT_PP(1)), &r);

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"ok\": %s, \"deferred\": %s", r.ok && !r.deferred ? "true" : "false",
					 r.deferred ? "true" : "false");
	if (r.deferred)
		appendStringInfo(&buf, ", \"invocationId\": \"%s\"",
						 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&r.invocation_id))));
	if (r.ok && !r.deferred && r.output)
		appendStringInfo(&buf, ", \"output\": %s", JsonbToCString(NULL, &r.output->root, VARSIZE(r.output)));
	if (!r.ok && !r.deferred)
	{
		appendStringInfo(&buf, ", \"error\": {\"category\": %s, \"code\": %s, \"message\": %s, \"retryable\": %s",
						 json_quote(action_error_category_name_local(r.category)),
						 json_quote(r.code), json_quote(r.message), r.retryable ? "true" : "false");
		if (r.retry_after_ms > 0)
			appendStringInfo(&buf, ", \"retryAfterMs\": %d", r.retry_after_ms);
		if (r.hint)
			appendStringInfo(&buf, ", \"hint\": %s", json_quote(r.hint));
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

PG_FUNCTION_INFO_V1(algawf_http_url_problem_sql);
Datum
algawf_http_url_problem_sql(PG_FUNCTION_ARGS)
{
	const char *p = http_url_problem(text_to_cstring(PG_GETARG_TEXT_PP(0)));

	if (p == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(p));
}
