/*
 * webhooks.c — webhook triggers: a per-workflow secret token that starts a
 * run of the workflow with the request body as its payload.
 *
 * Token: "awh_" <tenant, 32 hex> <webhook id, 32 hex> "_" <secret, 43
 * base64url characters (32 random bytes)>.  The tenant and webhook id are a
 * selector (the row is found by its primary key, so the token also names the
 * tenant: no tenant membership is needed to call algawf.webhook()); only the
 * SHA-256 of the secret is stored, and it is compared in constant time.  The
 * token is shown once, by algawf.create_webhook().
 *
 * Deliveries: with a delivery id, the run's trigger_fire_key is
 * "webhook:<workflow id>:<delivery id>"; a repeated delivery returns the run
 * the first one started.  Concurrent duplicates serialize on a transaction
 * advisory lock on the key, so exactly one run is started.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "events.h"
#include "guc.h"
#include "interp.h"
#include "stmt.h"
#include "tenancy.h"

#define TOKEN_PREFIX	"awh_"
#define SECRET_BYTES	32
#define SECRET_CHARS	43		/* base64url of 32 bytes, unpadded */
#define TOKEN_LEN		(4 + 32 + 32 + 1 + SECRET_CHARS)

static WfStmt st_workflow_exists = {
	"SELECT 1 FROM algawf.workflow_definitions d WHERE d.tenant = $1 AND d.workflow_id = $2",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_insert = {
	"INSERT INTO algawf.webhooks (tenant, webhook_id, workflow_id, token_hash, token_hint, created_by) "
	"VALUES ($1, $2, $3, $4, $5, $6)",
	6, {UUIDOID, UUIDOID, UUIDOID, BYTEAOID, TEXTOID, UUIDOID}
};

static WfStmt st_lookup = {
	"SELECT w.workflow_id, w.token_hash, w.revoked_at IS NOT NULL FROM algawf.webhooks w "
	"WHERE w.tenant = $1 AND w.webhook_id = $2",
	2, {UUIDOID, UUIDOID}
};

static WfStmt st_lock = {
	"SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended($1, 0))",
	1, {TEXTOID}
};

static WfStmt st_existing = {
	"SELECT r.run_id FROM algawf.workflow_runs r WHERE r.tenant = $1 AND r.trigger_fire_key = $2",
	2, {UUIDOID, TEXTOID}
};

static WfStmt st_used = {
	"UPDATE algawf.webhooks w SET last_delivery_at = clock_timestamp() "
	"WHERE w.tenant = $1 AND w.webhook_id = $2 "
	"  AND (w.last_delivery_at IS NULL OR w.last_delivery_at < clock_timestamp() - interval '1 minute')",
	2, {UUIDOID, UUIDOID}
};

static const char b64url[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
sha256(const char *data, size_t len, uint8 *out)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, out, PG_SHA256_DIGEST_LENGTH) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute SHA-256: %s", pg_cryptohash_error(ctx))));
	pg_cryptohash_free(ctx);
}

static bool
equal_ct(const uint8 *a, const uint8 *b, size_t n)
{
	volatile uint8 diff = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

static void
hex16(char *out, const pg_uuid_t *u)
{
	static const char hex[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < UUID_LEN; i++)
	{
		out[2 * i] = hex[u->data[i] >> 4];
		out[2 * i + 1] = hex[u->data[i] & 15];
	}
}

static bool
unhex16(const char *in, pg_uuid_t *u)
{
	int			i;

	for (i = 0; i < 2 * UUID_LEN; i++)
	{
		char		c = in[i];
		int			v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return false;
		if (i % 2 == 0)
			u->data[i / 2] = (uint8) (v << 4);
		else
			u->data[i / 2] |= (uint8) v;
	}
	return true;
}

static void
invalid_token(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("invalid webhook token"),
			 errhint("Tokens come from algawf.create_webhook(workflow_id); a revoked or mistyped token is refused.")));
}

static bytea *
bytea_of(const uint8 *p, size_t n)
{
	bytea	   *b = palloc(VARHDRSZ + n);

	SET_VARSIZE(b, VARHDRSZ + n);
	memcpy(VARDATA(b), p, n);
	return b;
}

/* algawf.create_webhook(workflow_id uuid) RETURNS text */
PG_FUNCTION_INFO_V1(algawf_create_webhook);
Datum
algawf_create_webhook(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *tenant = algawf_tenant_require();
	pg_uuid_t  *wf;
	pg_uuid_t	id;
	uint8		raw[SECRET_BYTES + 1];
	char		secret[SECRET_CHARS + 1];
	uint8		hash[PG_SHA256_DIGEST_LENGTH];
	char	   *token;
	Datum		v[6];
	char		n[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	EvPriv		priv;
	int			i;
	int			j;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("workflow_id must not be NULL")));
	wf = PG_GETARG_UUID_P(0);

	algawf_ev_enter(&priv, true);
	v[0] = UUIDPGetDatum(tenant);
	v[1] = UUIDPGetDatum(wf);
	if (wf_stmt_exec(&st_workflow_exists, v, NULL, true, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("workflow %s does not exist",
						DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(wf))))));

	id = wf_new_uuid();
	memset(raw, 0, sizeof(raw));
	if (!pg_strong_random(raw, SECRET_BYTES))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	/* base64url, no padding: 32 bytes -> 43 characters */
	for (i = 0, j = 0; i < SECRET_BYTES; i += 3)
	{
		uint32		w = ((uint32) raw[i] << 16) |
			((uint32) (i + 1 < SECRET_BYTES ? raw[i + 1] : 0) << 8) |
			(uint32) (i + 2 < SECRET_BYTES ? raw[i + 2] : 0);

		secret[j++] = b64url[(w >> 18) & 63];
		secret[j++] = b64url[(w >> 12) & 63];
		if (i + 1 < SECRET_BYTES)
			secret[j++] = b64url[(w >> 6) & 63];
		if (i + 2 < SECRET_BYTES)
			secret[j++] = b64url[w & 63];
	}
	secret[j] = '\0';
	Assert(j == SECRET_CHARS);
	sha256(secret, SECRET_CHARS, hash);

	token = palloc(TOKEN_LEN + 1);
	memcpy(token, TOKEN_PREFIX, 4);
	hex16(token + 4, tenant);
	hex16(token + 36, &id);
	token[68] = '_';
	memcpy(token + 69, secret, SECRET_CHARS);
	token[TOKEN_LEN] = '\0';

	v[0] = UUIDPGetDatum(tenant);
	v[1] = UUIDPGetDatum(&id);
	v[2] = UUIDPGetDatum(wf);
	v[3] = PointerGetDatum(bytea_of(hash, sizeof(hash)));
	v[4] = CStringGetTextDatum(psprintf("...%s", secret + SECRET_CHARS - 4));
	if (algawf_user && algawf_user[0])
		v[5] = DirectFunctionCall1(uuid_in, CStringGetDatum(algawf_user));
	else
		n[5] = 'n';
	wf_stmt_exec(&st_insert, v, n, false, 0);
	algawf_ev_leave(&priv);

	explicit_bzero(raw, sizeof(raw));
	PG_RETURN_TEXT_P(cstring_to_text(token));
}

/* algawf.webhook(token text, payload jsonb, delivery_id text) RETURNS uuid */
PG_FUNCTION_INFO_V1(algawf_webhook);
Datum
algawf_webhook(PG_FUNCTION_ARGS)
{
	char	   *token;
	pg_uuid_t	tenant;
	pg_uuid_t	id;
	pg_uuid_t	wf;
	uint8		hash[PG_SHA256_DIGEST_LENGTH];
	uint8		stored[PG_SHA256_DIGEST_LENGTH];
	bool		found;
	bool		revoked = false;
	bool		ok;
	Jsonb	   *payload;
	char	   *delivery = NULL;
	char	   *fire_key = NULL;
	Datum		v[2];
	bool		isnull;
	EvPriv		priv;
	pg_uuid_t  *run_id = palloc(sizeof(pg_uuid_t));
	WfRunRequest rr;
	JsonbParseState *st = NULL;
	JsonbValue	jv;

	if (PG_ARGISNULL(0))
		invalid_token();
	token = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (strlen(token) != TOKEN_LEN || strncmp(token, TOKEN_PREFIX, 4) != 0 || token[68] != '_' ||
		!unhex16(token + 4, &tenant) || !unhex16(token + 36, &id))
		invalid_token();
	payload = PG_ARGISNULL(1) ? DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")))
		: PG_GETARG_JSONB_P(1);
	if (!PG_ARGISNULL(2))
	{
		delivery = text_to_cstring(PG_GETARG_TEXT_PP(2));
		if (delivery[0] == '\0' || strlen(delivery) > 200)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("delivery_id must be 1 to 200 characters long")));
	}

	algawf_ev_enter(&priv, true);
	v[0] = UUIDPGetDatum(&tenant);
	v[1] = UUIDPGetDatum(&id);
	found = wf_stmt_exec(&st_lookup, v, NULL, true, 1) > 0;
	memset(stored, 0xff, sizeof(stored));
	if (found)
	{
		bytea	   *h = DatumGetByteaPP(wf_result(2, &isnull));

		wf = *DatumGetUUIDP(wf_result(1, &isnull));
		revoked = DatumGetBool(wf_result(3, &isnull));
		if (VARSIZE_ANY_EXHDR(h) == sizeof(stored))
			memcpy(stored, VARDATA_ANY(h), sizeof(stored));
	}
	/* always hash and compare, found or not */
	sha256(token + 69, SECRET_CHARS, hash);
	ok = equal_ct(hash, stored, sizeof(hash));
	if (!found || !ok)
		invalid_token();
	if (revoked)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("webhook token has been revoked"),
				 errhint("Create a new one with algawf.create_webhook(workflow_id).")));

	if (delivery)
	{
		char	   *wfs = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&wf)));
		char	   *ts = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&tenant)));
		Datum		k[2];

		fire_key = psprintf("webhook:%s:%s", wfs, delivery);
		k[0] = CStringGetTextDatum(psprintf("%s/%s", ts, fire_key));
		wf_stmt_exec(&st_lock, k, NULL, false, 0);
		k[0] = UUIDPGetDatum(&tenant);
		k[1] = CStringGetTextDatum(fire_key);
		if (wf_stmt_exec(&st_existing, k, NULL, false, 1) > 0)
		{
			*run_id = *DatumGetUUIDP(wf_result(1, &isnull));
			algawf_ev_leave(&priv);
			PG_RETURN_UUID_P(run_id);
		}
	}

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	jv.type = jbvString;
	jv.val.string.val = "webhookId";
	jv.val.string.len = 9;
	pushJsonbValue(&st, WJB_KEY, &jv);
	jv.val.string.val = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&id)));
	jv.val.string.len = strlen(jv.val.string.val);
	pushJsonbValue(&st, WJB_VALUE, &jv);
	jv.val.string.val = "deliveryId";
	jv.val.string.len = 10;
	pushJsonbValue(&st, WJB_KEY, &jv);
	if (delivery)
	{
		jv.val.string.val = delivery;
		jv.val.string.len = strlen(delivery);
	}
	else
		jv.type = jbvNull;
	pushJsonbValue(&st, WJB_VALUE, &jv);

	memset(&rr, 0, sizeof(rr));
	rr.tenant = tenant;
	rr.workflow_id = wf;
	rr.version = 0;
	rr.payload = payload;
	rr.trigger_type = "webhook";
	rr.fire_key = fire_key;
	rr.trigger_metadata = JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
	*run_id = wf_create_run(&rr);
	wf_stmt_exec(&st_used, v, NULL, false, 0);
	algawf_ev_leave(&priv);
	PG_RETURN_UUID_P(run_id);
}
