/*
 * smtp_pg.c — algawf.email_outbox delivery (see smtp_pg.h) and the SQL
 * procedure algawf.deliver_email().
 *
 * The procedure must run outside a transaction block (it commits between
 * claiming and sending, like VACUUM refuses to run inside one): the SMTP
 * conversation then happens while this backend holds no locks and no
 * snapshot, so a slow or dead mail server never blocks anyone.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/uuid.h"

#include "jval_pg.h"
#include "smtp.h"
#include "smtp_pg.h"

typedef struct EmailJob
{
	pg_uuid_t	tenant;
	pg_uuid_t	outbox_id;
	int			attempts;
	int			max_attempts;
	Jsonb	   *request;		/* {server, envelope, message} */
	char	   *password;		/* cleared after sending */
	const char *prep_code;		/* set when the message could not even be tried */
	char	   *prep_error;
	SmtpResult	result;
	bool		done;
} EmailJob;

struct EmailBatch
{
	MemoryContext cxt;
	int			n;
	EmailJob   *jobs;
};

#define CLAIM_SQL \
	"WITH c AS (" \
	"  SELECT o.tenant, o.outbox_id FROM algawf.email_outbox o" \
	"   WHERE (o.status = 'pending' AND o.next_attempt_at <= pg_catalog.now())" \
	"      OR (o.status = 'sending' AND o.lease_expires_at < pg_catalog.now())" \
	"   ORDER BY o.next_attempt_at" \
	"   LIMIT $1" \
	"   FOR UPDATE SKIP LOCKED) " \
	"UPDATE algawf.email_outbox o" \
	"   SET status = 'sending', attempts = o.attempts + 1," \
	"       lease_expires_at = pg_catalog.now() + pg_catalog.make_interval(secs => $2)" \
	"  FROM c WHERE o.tenant = c.tenant AND o.outbox_id = c.outbox_id " \
	"RETURNING o.tenant, o.outbox_id, o.attempts, o.max_attempts," \
	"          pg_catalog.jsonb_build_object('server', o.server, 'envelope', o.envelope, 'message', o.message)," \
	"          o.server ->> 'password_secret'"

#define PASSWORD_SQL \
	"SELECT pg_catalog.set_config('algawf.tenant', $1::pg_catalog.text, true), algawf._email_smtp_password($2)"

#define RECORD_SQL \
	"UPDATE algawf.email_outbox o" \
	"   SET status = $3, lease_expires_at = NULL," \
	"       sent_at = CASE WHEN $3 = 'sent' THEN pg_catalog.now() END," \
	"       next_attempt_at = CASE WHEN $3 = 'pending' THEN pg_catalog.now() + pg_catalog.make_interval(secs => $4)" \
	"                              ELSE o.next_attempt_at END," \
	"       smtp_response = $5, last_error = $6 " \
	" WHERE o.tenant = $1 AND o.outbox_id = $2 AND o.status = 'sending'"

EmailBatch *
email_outbox_claim(int max_messages, int lease_seconds, MemoryContext cxt)
{
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2];
	int			rc;
	uint64		i;
	EmailBatch *b;
	MemoryContext old;
	SPITupleTable *tt;

	values[0] = Int32GetDatum(max_messages);
	values[1] = Int32GetDatum(lease_seconds);
	rc = SPI_execute_with_args(CLAIM_SQL, 2, types, values, NULL, false, 0);
	if (rc != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "claiming queued e-mail failed: %s", SPI_result_code_string(rc));
	tt = SPI_tuptable;

	old = MemoryContextSwitchTo(cxt);
	b = palloc0(sizeof(EmailBatch));
	b->cxt = cxt;
	b->n = (int) SPI_processed;
	b->jobs = palloc0(sizeof(EmailJob) * (b->n + 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = tt->vals[i];
		TupleDesc	td = tt->tupdesc;
		EmailJob   *j = &b->jobs[i];
		bool		isnull;

		memcpy(&j->tenant, DatumGetUUIDP(SPI_getbinval(tup, td, 1, &isnull)), UUID_LEN);
		memcpy(&j->outbox_id, DatumGetUUIDP(SPI_getbinval(tup, td, 2, &isnull)), UUID_LEN);
		j->attempts = DatumGetInt32(SPI_getbinval(tup, td, 3, &isnull));
		j->max_attempts = DatumGetInt32(SPI_getbinval(tup, td, 4, &isnull));
		j->request = DatumGetJsonbPCopy(SPI_getbinval(tup, td, 5, &isnull));
		(void) SPI_getbinval(tup, td, 6, &isnull);
		if (!isnull)
		{
			/* the server needs a password: the tenant's secret, resolved for this message only */
			Oid			ptypes[2] = {UUIDOID, UUIDOID};
			Datum		pvalues[2];
			char	   *secret = SPI_getvalue(tup, td, 6);
			bool		pnull;
			Datum		pw;

			pvalues[0] = UUIDPGetDatum(&j->tenant);
			pvalues[1] = UUIDPGetDatum(&j->outbox_id);
			MemoryContextSwitchTo(old);
			rc = SPI_execute_with_args(PASSWORD_SQL, 2, ptypes, pvalues, NULL, false, 1);
			MemoryContextSwitchTo(cxt);
			if (rc != SPI_OK_SELECT || SPI_processed != 1)
				elog(ERROR, "resolving an SMTP password failed: %s", SPI_result_code_string(rc));
			pw = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &pnull);
			if (pnull)
			{
				j->prep_code = "NOT_FOUND";
				j->prep_error = psprintf("the SMTP password secret \"%s\" is not set for this tenant", secret);
			}
			else
				j->password = TextDatumGetCString(pw);
		}
	}
	MemoryContextSwitchTo(old);
	return b;
}

/* libcurl progress callback hook: stop on query cancel or shutdown (a flag test, never an ereport) */
static bool
interrupt_pending(void *arg)
{
	return InterruptPending;
}

void
email_outbox_send(EmailBatch *b)
{
	int			i;

	for (i = 0; i < b->n; i++)
	{
		EmailJob   *j = &b->jobs[i];
		JvArena		a;
		Jv		   *req;
		SmtpMessage m;
		SmtpServer	s;
		char		errbuf[SMTP_ERRBUF_SIZE];

		if (InterruptPending)
			break;				/* the rest keep their lease and are claimed again */
		j->done = true;
		if (j->prep_code)
			continue;
		jv_arena_init_pg(&a, b->cxt);
		req = jv_from_jsonb(&a, j->request);
		if (!smtp_request_from_jv(&a, req, &m, &s, errbuf))
		{
			j->prep_code = "VALIDATION_ERROR";
			j->prep_error = MemoryContextStrdup(b->cxt, errbuf);
			continue;
		}
		s.password = j->password;
		s.should_abort = interrupt_pending;
		smtp_send_ex(&m, &s, &j->result);
		if (j->password)
		{
			explicit_bzero(j->password, strlen(j->password));
			j->password = NULL;
		}
		if (j->result.status == SMTP_INVALID)
		{
			j->prep_code = "VALIDATION_ERROR";
			j->prep_error = MemoryContextStrdup(b->cxt, j->result.error);
		}
	}
}

static void
push_key(JsonbParseState **st, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &k);
}

static void
push_text(JsonbParseState **st, const char *key, const char *text)
{
	JsonbValue	v;

	push_key(st, key);
	v.type = jbvString;
	v.val.string.val = (char *) text;
	v.val.string.len = strlen(text);
	pushJsonbValue(st, WJB_VALUE, &v);
}

static void
push_int(JsonbParseState **st, const char *key, int64 n)
{
	JsonbValue	v;

	push_key(st, key);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(n);
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* last_error: {code, message, smtp_code, attempt, retryable} */
static Datum
error_json(EmailJob *j, const char *code, const char *message, bool retryable)
{
	JsonbParseState *st = NULL;
	JsonbValue	v;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_text(&st, "code", code ? code : "INTERNAL_ERROR");
	push_text(&st, "message", message ? message : "");
	push_int(&st, "smtp_code", j->result.smtp_code);
	push_int(&st, "attempt", j->attempts);
	push_key(&st, "retryable");
	v.type = jbvBool;
	v.val.boolean = retryable;
	pushJsonbValue(&st, WJB_VALUE, &v);
	return JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL)));
}

void
email_outbox_record(EmailBatch *b, int *sent, int *retrying, int *failed)
{
	Oid			types[6] = {UUIDOID, UUIDOID, TEXTOID, INT4OID, TEXTOID, JSONBOID};
	int			i;

	*sent = *retrying = *failed = 0;
	for (i = 0; i < b->n; i++)
	{
		EmailJob   *j = &b->jobs[i];
		Datum		values[6];
		char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
		const char *status;
		int			backoff = 0;
		int			rc;

		if (!j->done)
			continue;
		values[0] = UUIDPGetDatum(&j->tenant);
		values[1] = UUIDPGetDatum(&j->outbox_id);
		if (j->prep_code)
		{
			status = "failed";
			values[5] = error_json(j, j->prep_code, j->prep_error, false);
		}
		else if (j->result.status == SMTP_OK)
		{
			status = "sent";
			nulls[5] = 'n';
		}
		else
		{
			bool		again = j->result.status == SMTP_TRANSIENT && j->attempts < j->max_attempts;
			char	   *msg = j->result.reply[0]
				? psprintf("%s (server: %s)", j->result.error, j->result.reply)
				: pstrdup(j->result.error);

			status = again ? "pending" : "failed";
			/* 30 s, 1, 2, 4, ... minutes, at most an hour */
			backoff = Min(30 << Min(j->attempts - 1, 7), 3600);
			values[5] = error_json(j, j->result.status == SMTP_TRANSIENT && !again ? "TRANSIENT_FAILURE" : j->result.code,
								   msg, again);
		}
		values[2] = CStringGetTextDatum(status);
		values[3] = Int32GetDatum(backoff);
		if (j->result.reply[0])
			values[4] = CStringGetTextDatum(j->result.reply);
		else
			nulls[4] = 'n';
		rc = SPI_execute_with_args(RECORD_SQL, 6, types, values, nulls, false, 0);
		if (rc != SPI_OK_UPDATE)
			elog(ERROR, "recording an e-mail delivery failed: %s", SPI_result_code_string(rc));
		if (strcmp(status, "sent") == 0)
			(*sent)++;
		else if (strcmp(status, "pending") == 0)
			(*retrying)++;
		else
			(*failed)++;
	}
}

int
email_outbox_batch_size(EmailBatch *b)
{
	return b ? b->n : 0;
}

void
email_outbox_free(EmailBatch *b)
{
	int			i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		if (b->jobs[i].password)
			explicit_bzero(b->jobs[i].password, strlen(b->jobs[i].password));
	MemoryContextDelete(b->cxt);
}

/*
 * CALL algawf.deliver_email(max_messages, INOUT sent, INOUT retrying, INOUT failed)
 */
PG_FUNCTION_INFO_V1(algawf_deliver_email);
Datum
algawf_deliver_email(PG_FUNCTION_ARGS)
{
	int			max_messages = PG_ARGISNULL(0) ? 100 : PG_GETARG_INT32(0);
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext cxt;
	EmailBatch *volatile batch = NULL;
	int			sent = 0,
				retrying = 0,
				failed = 0;
	TupleDesc	tupdesc;
	Datum		out[3];
	bool		outnull[3] = {false, false, false};

	if (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
		castNode(CallContext, fcinfo->context)->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("algawf.deliver_email() cannot run inside a transaction block"),
				 errdetail("It commits after claiming the messages so that the SMTP conversation holds no locks."),
				 errhint("Run CALL algawf.deliver_email(); on its own, not in BEGIN ... COMMIT or a function.")));
	if (max_messages < 1 || max_messages > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_messages must be between 1 and 10000")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "algawf.deliver_email: unexpected result type");
	tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));

	cxt = AllocSetContextCreate(TopMemoryContext, "algawf email delivery", ALLOCSET_DEFAULT_SIZES);
	PG_TRY();
	{
		if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		batch = email_outbox_claim(max_messages, 300, cxt);
		SPI_commit();

		if (email_outbox_batch_size(batch) > 0)
		{
			email_outbox_send(batch);
			CHECK_FOR_INTERRUPTS();
			email_outbox_record(batch, &sent, &retrying, &failed);
			SPI_commit();
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		if (batch)
			email_outbox_free(batch);
		else
			MemoryContextDelete(cxt);
	}
	PG_END_TRY();

	MemoryContextSwitchTo(callcxt);
	out[0] = Int32GetDatum(sent);
	out[1] = Int32GetDatum(retrying);
	out[2] = Int32GetDatum(failed);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, out, outnull)));
}
