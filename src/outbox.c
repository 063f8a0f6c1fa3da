/*
 * outbox.c — the executor's side of the HTTP outbox (algawf.http_requests).
 *
 *   claim   short transaction: pending rows -> 'sending', lease_owner = this
 *           executor, lease_expires_at = now() + algawf.lease_duration,
 *           attempt + 1; committed before anything is sent
 *   send    libcurl multi, outside any transaction, no row locks held
 *   renew   while requests are in flight, their leases are pushed forward
 *   record  short transaction: response or error written (only if this
 *           executor still holds the lease), the waiting run resumed
 *
 * A request whose executor died stays 'sending' until its lease lapses (or,
 * after a server restart, at once); tick duties put it back to 'pending' and
 * it is sent again with the same Idempotency-Key.  After MAX_DELIVERIES
 * sends without a recorded result it fails as TRANSIENT_FAILURE.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "action.h"
#include "executor_int.h"
#include "guc.h"
#include "http.h"
#include "http_action.h"
#include "http_decl_pg.h"
#include "shmem.h"
#include "wake.h"

#define MAX_DELIVERIES 5
#define CLAIM_BATCH 100

typedef struct Inflight
{
	uint64		tag;
	pg_uuid_t	tenant;
	pg_uuid_t	request_id;
	char	   *expect;			/* expect_status as text ("{200,201}") or NULL */
	List	   *secrets;		/* secret values sent: scrubbed from the response */
	int			decl_phase;		/* declarative request (http_decl_pg.c): 1 the request, 2 its token request */
	char		fingerprint[17];	/* of the token it sent */
} Inflight;

static List *inflight = NIL;	/* of Inflight *, in TopMemoryContext */
static uint64 next_tag = 1;

static const char *SQL_CLAIM =
"/* algawf executor: claim HTTP requests */ "
"WITH c AS ("
"  SELECT tenant, request_id FROM algawf.http_requests"
"   WHERE status = 'pending' AND next_attempt_at <= now()"
"   ORDER BY next_attempt_at LIMIT $1"
"   FOR UPDATE SKIP LOCKED) "
"UPDATE algawf.http_requests r"
"   SET status = 'sending', attempt = r.attempt + 1, lease_owner = $2,"
"       lease_expires_at = now() + $3 * interval '1 second' "
"  FROM c WHERE r.tenant = c.tenant AND r.request_id = c.request_id "
"RETURNING r.tenant, r.request_id, r.method, r.url, r.headers, r.body, r.timeout_ms,"
"          r.idempotency_key, r.correlation_id, r.attempt, r.expect_status::text, r.body_json,"
"          r.decl IS NOT NULL";

static const char *SQL_RECORD =
"/* algawf executor: record an HTTP result */ "
"SELECT algawf._outbox_record($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

static const char *SQL_RENEW =
"/* algawf executor: renew HTTP leases */ "
"UPDATE algawf.http_requests SET lease_expires_at = now() + $2 * interval '1 second' "
" WHERE status = 'sending' AND lease_owner = $1";

/* the value with {"$secret": NAME} replaced, or NULL with *why set */
static Jsonb *
resolve_or_explain(Jsonb *value, Inflight *f, const char **why, const char **code,
				   const char **category)
{
	ResolvedSecrets rs;
	Jsonb	   *resolved;
	ListCell   *lc;
	MemoryContext old;

	memset(&rs, 0, sizeof(rs));
	resolved = secrets_resolve(value, &f->tenant, &rs);
	old = MemoryContextSwitchTo(TopMemoryContext);
	foreach(lc, rs.values)
		f->secrets = lappend(f->secrets, pstrdup(lfirst(lc)));
	MemoryContextSwitchTo(old);
	if (resolved == NULL)
	{
		*why = psprintf("secret \"%s\" is not set for this tenant", rs.missing ? rs.missing : "?");
		*code = "NOT_FOUND";
		*category = "ValidationError";
	}
	return resolved;
}

static Inflight *
inflight_find(uint64 tag)
{
	ListCell   *lc;

	foreach(lc, inflight)
	{
		Inflight   *f = lfirst(lc);

		if (f->tag == tag)
			return f;
	}
	return NULL;
}

static void
inflight_remove(Inflight *f)
{
	inflight = list_delete_ptr(inflight, f);
	if (f->expect)
		pfree(f->expect);
	list_free_deep(f->secrets);
	pfree(f);
}

/* the "Name: value" lines for a claimed row */
static char **
header_lines(Jsonb *headers, const char *idem, const char *corr, bool has_body, int *n)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	  **lines;
	int			cap = 8;
	int			k = 0;
	bool		has_ctype = false;
	char	   *key = NULL;

	lines = palloc(sizeof(char *) * cap);
	if (headers && JB_ROOT_IS_OBJECT(headers))
	{
		it = JsonbIteratorInit(&headers->root);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
				key = pnstrdup(v.val.string.val, v.val.string.len);
			else if (tok == WJB_VALUE && key)
			{
				char	   *val;

				if (v.type == jbvString)
					val = pnstrdup(v.val.string.val, v.val.string.len);
				else if (v.type == jbvNumeric)
					val = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
				else if (v.type == jbvBool)
					val = pstrdup(v.val.boolean ? "true" : "false");
				else
					continue;	/* nulls and objects are not headers */
				if (pg_strcasecmp(key, "content-type") == 0)
					has_ctype = true;
				/* no header injection: values are one line */
				if (strpbrk(val, "\r\n") || strpbrk(key, "\r\n: "))
					continue;
				if (k + 4 >= cap)
				{
					cap *= 2;
					lines = repalloc(lines, sizeof(char *) * cap);
				}
				lines[k++] = psprintf("%s: %s", key, val);
			}
		}
	}
	if (k + 4 >= cap)
		lines = repalloc(lines, sizeof(char *) * (cap + 4));
	if (idem && idem[0])
		lines[k++] = psprintf("Idempotency-Key: %s", idem);
	if (corr && corr[0])
		lines[k++] = psprintf("X-Correlation-Id: %s", corr);
	if (has_body && !has_ctype)
		lines[k++] = pstrdup("Content-Type: application/octet-stream");
	*n = k;
	return lines;
}

static void
record_one(const pg_uuid_t *tenant, const pg_uuid_t *request_id, const char *status,
		   const HttpResult *res, Jsonb *error)
{
	Oid			types[10] = {UUIDOID, UUIDOID, TEXTOID, TEXTOID, INT4OID, JSONBOID, TEXTOID, JSONBOID,
	JSONBOID, INT4OID};
	Datum		args[10];
	char		nulls[10];

	memset(nulls, ' ', sizeof(nulls));
	args[0] = UUIDPGetDatum(tenant);
	args[1] = UUIDPGetDatum(request_id);
	args[2] = CStringGetTextDatum(exec.lease_owner);
	args[3] = CStringGetTextDatum(status);
	if (res && res->outcome == HTTP_RESPONSE)
	{
		Jsonb	   *json = http_body_json(res->headers, res->body, res->body_len);

		args[4] = Int32GetDatum((int32) res->status);
		args[5] = JsonbPGetDatum(http_headers_jsonb(res->headers));
		args[6] = PointerGetDatum(cstring_to_text_with_len(res->body ? res->body : "", (int) res->body_len));
		if (json)
			args[7] = JsonbPGetDatum(json);
		else
			nulls[7] = 'n';
	}
	else
		nulls[4] = nulls[5] = nulls[6] = nulls[7] = 'n';
	if (error)
		args[8] = JsonbPGetDatum(error);
	else
		nulls[8] = 'n';
	if (res)
		args[9] = Int32GetDatum((int32) Min(res->elapsed_ms, PG_INT32_MAX));
	else
		nulls[9] = 'n';
	if (SPI_execute_plan(executor_plan(PLAN_OUTBOX_RECORD, SQL_RECORD, 10, types), args, nulls, false, 0)
		!= SPI_OK_SELECT)
		elog(ERROR, "algawf executor: recording an HTTP result failed");
}

/*
 * Record every finished transfer, in one short transaction.  Results whose
 * body is not valid text (NUL bytes) are recorded as a failure.
 */
bool
outbox_record_finished(void)
{
	uint64		tag;
	HttpResult	res;
	int			n = 0;
	bool		began = false;

	while (http_next_done(&tag, &res))
	{
		Inflight   *f = inflight_find(tag);

		if (f == NULL)
		{
			http_result_free(&res);
			continue;
		}
		if (!began)
		{
			executor_xact_begin("algawf: recording HTTP results");
			began = true;
		}

		/*
		 * Move everything into palloc'd memory first: if recording fails, the
		 * error handler cleans up, and the request (still 'sending') is sent
		 * again once its lease lapses.
		 */
		{
			pg_uuid_t	tenant = f->tenant;
			pg_uuid_t	request_id = f->request_id;
			char	   *expect = f->expect ? pstrdup(f->expect) : NULL;
			HttpResult	copy = res;
			HttpVerdict verdict;
			int			decl_phase = f->decl_phase;
			char		fingerprint[17];

			copy.body = palloc(res.body_len + 1);
			memcpy(copy.body, res.body, res.body_len);
			copy.body[res.body_len] = '\0';
			copy.headers = pstrdup(res.headers ? res.headers : "");
			memcpy(fingerprint, f->fingerprint, sizeof(fingerprint));
			http_result_free(&res);

			if (copy.outcome == HTTP_RESPONSE && memchr(copy.body, '\0', copy.body_len) != NULL)
			{
				copy.outcome = HTTP_FAILED;
				snprintf(copy.error, sizeof(copy.error), "the response body is binary (contains NUL bytes); http.request handles text only");
			}
			if (f->secrets != NIL)
			{
				/* an echoing server must not bring the secrets back into the run */
				RedactSpec	spec;

				memset(&spec, 0, sizeof(spec));
				spec.secret_values = f->secrets;
				copy.body = algawf_scrub_text(copy.body, &spec);
				copy.body_len = strlen(copy.body);
				copy.headers = algawf_scrub_text(copy.headers, &spec);
			}
			inflight_remove(f);
			if (decl_phase)
			{
				/* declarative: token, retries, pages, mapping, completion */
				http_decl_on_result(&tenant, &request_id, exec.lease_owner, decl_phase, fingerprint, &copy);
				n++;
				continue;
			}
			http_verdict(&copy, expect, &verdict);
			record_one(&tenant, &request_id, verdict.ok ? "done" : "failed",
					   &copy, verdict.ok ? NULL : verdict.error);
		}
		n++;
	}
	if (began)
		executor_xact_commit();
	if (n > 0)
		executor_count_http(n);
	return n > 0;
}

static Jsonb *
simple_error(const char *category, const char *code, const char *message, bool retryable)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(
		psprintf("{\"category\": %s, \"code\": %s, \"message\": %s, \"retryable\": %s}",
				 json_quote(category), json_quote(code), json_quote(message),
				 retryable ? "true" : "false"))));
}

bool
outbox_claim_and_start(void)
{
	int			room = algawf_http_max_inflight - http_inflight();
	Oid			types[3] = {INT4OID, TEXTOID, INT4OID};
	Datum		args[3];
	uint64		i;
	int			started = 0;
	int			failed = 0;
	SPITupleTable *tt;
	uint64		nrows;

	if (room <= 0)
		return false;
	if (!exec.has_outbox)
		return false;

	executor_xact_begin("algawf: claiming HTTP requests");
	args[0] = Int32GetDatum(Min(room, CLAIM_BATCH));
	args[1] = CStringGetTextDatum(exec.lease_owner);
	args[2] = Int32GetDatum(algawf_lease_duration);
	if (SPI_execute_plan(executor_plan(PLAN_OUTBOX_CLAIM, SQL_CLAIM, 3, types), args, NULL, false, 0)
		!= SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "algawf executor: claiming HTTP requests failed");
	tt = SPI_tuptable;
	nrows = SPI_processed;

	/* the claim must be committed before anything is sent */
	for (i = 0; i < nrows; i++)
	{
		HeapTuple	tup = tt->vals[i];
		TupleDesc	td = tt->tupdesc;
		bool		isnull;
		Inflight   *f;
		MemoryContext old;
		char	   *method = SPI_getvalue(tup, td, 3);
		char	   *url = SPI_getvalue(tup, td, 4);
		Datum		hd = SPI_getbinval(tup, td, 5, &isnull);
		Jsonb	   *headers = isnull ? NULL : DatumGetJsonbP(hd);
		char	   *body = SPI_getvalue(tup, td, 6);
		Datum		td_ms = SPI_getbinval(tup, td, 7, &isnull);
		int			timeout_ms = isnull ? algawf_http_timeout : DatumGetInt32(td_ms);
		char	   *idem = SPI_getvalue(tup, td, 8);
		char	   *corr = SPI_getvalue(tup, td, 9);
		int			attempt = DatumGetInt32(SPI_getbinval(tup, td, 10, &isnull));
		char	   *expect = SPI_getvalue(tup, td, 11);
		Datum		bj = SPI_getbinval(tup, td, 12, &isnull);
		Jsonb	   *body_json = isnull ? NULL : DatumGetJsonbP(bj);
		bool		is_decl = DatumGetBool(SPI_getbinval(tup, td, 13, &isnull));
		DeclSend	ds;
		const char *why = NULL;
		const char *why_code = "PERMISSION_DENIED";
		const char *why_category = "ActionError";
		bool		why_retry = false;
		HttpSpec	spec;
		char	  **lines;
		int			nlines;
		char		err[256];

		old = MemoryContextSwitchTo(TopMemoryContext);
		f = palloc0(sizeof(Inflight));
		f->tag = next_tag++;
		f->tenant = *DatumGetUUIDP(SPI_getbinval(tup, td, 1, &isnull));
		f->request_id = *DatumGetUUIDP(SPI_getbinval(tup, td, 2, &isnull));
		f->expect = expect ? pstrdup(expect) : NULL;
		inflight = lappend(inflight, f);
		MemoryContextSwitchTo(old);

		if (attempt > MAX_DELIVERIES)
		{
			why = psprintf("sent %d times without a recorded result (the sending worker kept dying); giving up",
						   attempt - 1);
			why_code = "TRANSIENT_FAILURE";
			why_category = "TransientError";
		}
		else if (is_decl)
		{
			/* declarative: credentials, rate limit, secrets (http_decl_pg.c) */
			DeclClaim dc = http_decl_on_claim(&f->tenant, &f->request_id, exec.lease_owner, idem, corr, &ds);

			if (dc == DECL_CLAIM_SKIP || dc == DECL_CLAIM_DONE)
			{
				inflight_remove(f);
				if (dc == DECL_CLAIM_DONE)
					failed++;
				continue;
			}
			f->decl_phase = dc == DECL_CLAIM_TOKEN ? 2 : 1;
			memcpy(f->fingerprint, ds.fingerprint, sizeof(f->fingerprint));
			url = (char *) ds.url;
			why = http_url_problem(url);
			if (ds.secrets != NIL)
			{
				MemoryContext old2 = MemoryContextSwitchTo(TopMemoryContext);
				ListCell   *lc;

				foreach(lc, ds.secrets)
					f->secrets = lappend(f->secrets, pstrdup((char *) lfirst(lc)));
				MemoryContextSwitchTo(old2);
			}
		}
		else
			why = http_url_problem(url);
		/* secrets are resolved now, into this process's memory only (declarative: by its hook) */
		if (why == NULL && !is_decl && headers && jsonb_has_secret_marker(headers))
			headers = resolve_or_explain(headers, f, &why, &why_code, &why_category);
		if (why == NULL && !is_decl && body_json && jsonb_has_secret_marker(body_json))
			body_json = resolve_or_explain(body_json, f, &why, &why_code, &why_category);
		if (why)
		{
			if (f->decl_phase)
			{
				/* checked when queued; a setting changed since: fail it like the dispatcher would */
				HttpResult	none;

				memset(&none, 0, sizeof(none));
				none.outcome = HTTP_FAILED;
				snprintf(none.error, sizeof(none.error), "%s", why);
				http_decl_on_result(&f->tenant, &f->request_id, exec.lease_owner, f->decl_phase, f->fingerprint, &none);
			}
			else
				record_one(&f->tenant, &f->request_id, "failed", NULL,
						   simple_error(why_category, why_code, why, why_retry));
			inflight_remove(f);
			failed++;
			continue;
		}

		memset(&spec, 0, sizeof(spec));
		if (f->decl_phase)
		{
			method = (char *) ds.method;
			body = (char *) ds.body;
			lines = (char **) ds.headers;
			nlines = ds.nheaders;
			timeout_ms = (int) ds.timeout_ms;
		}
		else
		{
			if (body_json)
				body = JsonbToCString(NULL, &body_json->root, VARSIZE(body_json));
			lines = header_lines(headers, idem, corr, body != NULL, &nlines);
		}
		spec.method = method ? method : "GET";
		spec.url = url;
		spec.headers = (const char *const *) lines;
		spec.nheaders = nlines;
		spec.body = body;
		spec.body_len = body ? strlen(body) : 0;
		spec.timeout_ms = timeout_ms > 0 ? timeout_ms : algawf_http_timeout;
		spec.connect_timeout_ms = Min(algawf_http_connect_timeout, spec.timeout_ms);
		spec.max_response = (size_t) algawf_http_max_response;
		spec.user_agent = "algawf/" ALGAWF_VERSION;
		spec.protocols = "http,https";
		/* headers hold resolved secrets only in this process's memory */
		if (!http_start(&spec, f->tag, err, sizeof(err)))
		{
			record_one(&f->tenant, &f->request_id, "failed", NULL,
					   simple_error("TransientError", "TRANSIENT_FAILURE", err, true));
			inflight_remove(f);
			failed++;
			continue;
		}
		started++;
	}
	executor_xact_commit();
	if (started > 0)
		exec.last_renewal = GetCurrentTimestamp();
	if (failed > 0)
		executor_count_http(failed);
	return started > 0 || failed > 0;
}

/* the extension is gone: nothing in flight can be recorded any more */
void
outbox_forget_all(void)
{
	uint64		tag;
	HttpResult	res;

	http_abort_all();
	while (http_next_done(&tag, &res))
		http_result_free(&res);
	while (inflight != NIL)
		inflight_remove(linitial(inflight));
	exec.last_renewal = 0;
}

TimestampTz
outbox_next_renewal(void)
{
	if (http_inflight() == 0 || exec.last_renewal == 0)
		return 0;
	return TimestampTzPlusMilliseconds(exec.last_renewal, (int64) algawf_lease_duration * 1000 / 3);
}

bool
outbox_lease_renew_due(void)
{
	TimestampTz t = outbox_next_renewal();

	return t != 0 && t <= GetCurrentTimestamp();
}

void
outbox_renew_leases(void)
{
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		args[2];

	executor_xact_begin("algawf: renewing HTTP leases");
	args[0] = CStringGetTextDatum(exec.lease_owner);
	args[1] = Int32GetDatum(algawf_lease_duration);
	SPI_execute_plan(executor_plan(PLAN_OUTBOX_RENEW, SQL_RENEW, 2, types), args, NULL, false, 0);
	executor_xact_commit();
	exec.last_renewal = GetCurrentTimestamp();
}
