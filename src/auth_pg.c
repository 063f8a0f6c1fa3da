/*
 * auth_pg.c — credentials and the token cache of declarative requests (see
 * auth_pg.h).  Secret values exist only in this process's memory while a
 * request is being sent; tokens are stored encrypted (algawf._token_put).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "action.h"
#include "auth_pg.h"
#include "http_decl.h"
#include "jval_pg.h"

#define TOKEN_LEASE_SECONDS 30

static void
collect_names(JsonbContainer *c, List **names)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *name = secret_marker_name(c);

	if (name)
	{
		*names = lappend(*names, name);
		return;
	}
	if (JsonContainerIsScalar(c))
		return;
	check_stack_depth();
	it = JsonbIteratorInit(c);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if ((tok == WJB_VALUE || tok == WJB_ELEM) && v.type == jbvBinary)
			collect_names(v.val.binary.data, names);
}

char *
auth_secret_names(Jsonb *cfg)
{
	List	   *names = NIL;
	ListCell   *lc;
	StringInfoData b;

	if (cfg == NULL)
		return pstrdup("");
	collect_names(&cfg->root, &names);
	initStringInfo(&b);
	foreach(lc, names)
		appendStringInfo(&b, "%s%s", b.len ? ", " : "", (char *) lfirst(lc));
	return b.data;
}

static char *
sha256_hex(const char *data, size_t len)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *out = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);
	int			i;

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	for (i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
	return out;
}

/*
 * The configuration (markers, not values) and when each of its secrets last
 * changed: a new client secret or refresh token makes cached tokens stale.
 */
static char *
config_hash(const pg_uuid_t *tenant, Jsonb *cfg)
{
	List	   *names = NIL;
	StringInfoData b;
	Datum	   *elems;
	ListCell   *lc;
	int			i = 0;
	Oid			types[2] = {UUIDOID, TEXTARRAYOID};
	Datum		args[2];
	bool		isnull;

	collect_names(&cfg->root, &names);
	initStringInfo(&b);
	appendStringInfoString(&b, JsonbToCString(NULL, &cfg->root, VARSIZE(cfg)));
	elems = palloc(sizeof(Datum) * Max(list_length(names), 1));
	foreach(lc, names)
		elems[i++] = CStringGetTextDatum((char *) lfirst(lc));
	args[0] = UUIDPGetDatum(tenant);
	args[1] = PointerGetDatum(construct_array(elems, i, TEXTOID, -1, false, TYPALIGN_INT));
	if (SPI_execute_with_args("SELECT algawf._secrets_changed($1, $2)", 2, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "algawf: secret change lookup failed");
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			appendStringInfo(&b, "|%s", TextDatumGetCString(d));
	}
	return sha256_hex(b.data, b.len);
}

static void
fail(AuthSetup *out, const char *code, const char *message, const char *hint)
{
	out->outcome = AUTH_OUT_FAIL;
	out->code = code;
	out->message = message;
	out->hint = hint;
}

/* the configuration with its secrets resolved, or NULL (failure recorded in out) */
static Jv *
resolved_config(JvArena *a, const pg_uuid_t *tenant, Jsonb *cfg, const char *vendor, AuthSetup *out)
{
	ResolvedSecrets rs = {0};
	Jsonb	   *r = secrets_resolve(cfg, tenant, &rs);

	if (r == NULL)
	{
		fail(out, "NOT_FOUND",
			 psprintf("%s credentials: secret \"%s\" is not set for this tenant", vendor, rs.missing),
			 psprintf("An admin sets it with SELECT algawf.set_secret('%s', '<value>');", rs.missing));
		return NULL;
	}
	return jv_from_jsonb(a, r);
}

void
auth_setup(const pg_uuid_t *tenant, const char *auth_key, Jsonb *cfg, const char *vendor, AuthSetup *out)
{
	JvArena		a;
	Jv		   *jcfg;
	AuthKind	kind;
	const char *problem;

	memset(out, 0, sizeof(*out));
	if (cfg == NULL)
	{
		out->outcome = AUTH_OUT_NONE;
		return;
	}
	jv_arena_init_pg(&a, CurrentMemoryContext);
	jcfg = jv_from_jsonb(&a, cfg);
	kind = auth_kind(jcfg);
	if ((problem = auth_check_config(&a, jcfg)) != NULL)
	{
		fail(out, "INTEGRATION_INACTIVE",
			 psprintf("the %s connection's auth configuration is invalid: %s", vendor, problem),
			 "Fix the integration module's resolver or the integration's settings.");
		return;
	}
	if (kind == AUTH_NONE)
	{
		out->outcome = AUTH_OUT_NONE;
		return;
	}
	if (!auth_uses_token(kind))
	{
		Jv		   *res = resolved_config(&a, tenant, cfg, vendor, out);

		if (res == NULL)
			return;
		if (!auth_static_header(&a, res, &out->header_name, &out->header_value, &problem))
		{
			fail(out, "PERMISSION_DENIED", psprintf("%s credentials: %s", vendor, problem),
				 psprintf("Check the secrets %s.", auth_secret_names(cfg)));
			return;
		}
		out->credential = decl_get_string(&a, res, kind == AUTH_HEADER ? "value" : kind == AUTH_BEARER ? "token" : "password");
		out->outcome = AUTH_OUT_HEADER;
		return;
	}

	/* token schemes: the cache first */
	{
		char	   *hash = config_hash(tenant, cfg);
		Oid			types[3] = {UUIDOID, TEXTOID, TEXTOID};
		Datum		args[3];
		bool		isnull;
		char	   *cached_refresh = NULL;
		Jv		   *res;

		args[0] = UUIDPGetDatum(tenant);
		args[1] = CStringGetTextDatum(auth_key);
		args[2] = CStringGetTextDatum(hash);
		if (SPI_execute_with_args("SELECT access_token, refresh_token, fingerprint, usable FROM algawf._token_get($1, $2, $3)",
								  3, types, args, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "algawf: token cache lookup failed");
		if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull)) && !isnull)
		{
			char	   *token = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			char	   *fp = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);

			auth_token_header(&a, jcfg, token, &out->header_name, &out->header_value);
			out->credential = token;
			strlcpy(out->fingerprint, fp ? fp : "", sizeof(out->fingerprint));
			out->outcome = AUTH_OUT_HEADER;
			return;
		}
		cached_refresh = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		args[2] = Int32GetDatum(TOKEN_LEASE_SECONDS);
		types[2] = INT4OID;
		if (SPI_execute_with_args("SELECT algawf._token_lease($1, $2, $3)", 3, types, args, NULL, false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "algawf: token lease failed");
		if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		{
			out->outcome = AUTH_OUT_WAIT;
			return;
		}
		res = resolved_config(&a, tenant, cfg, vendor, out);
		if (res == NULL)
		{
			auth_release(tenant, auth_key);
			return;
		}
		if (!auth_token_request(&a, res, cached_refresh, &out->token_request, &problem))
		{
			auth_release(tenant, auth_key);
			fail(out, "PERMISSION_DENIED", psprintf("%s credentials: %s", vendor, problem),
				 psprintf("Check the secrets %s.", auth_secret_names(cfg)));
			return;
		}
		out->outcome = AUTH_OUT_NEED_TOKEN;
	}
}

bool
auth_store_token(const pg_uuid_t *tenant, const char *auth_key, Jsonb *cfg, Jsonb *body, const char **problem)
{
	JvArena		a;
	Jv		   *jcfg;
	AuthToken	tok;
	char		fp[17];
	Oid			types[7] = {UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		args[7];
	char		nulls[7];
	int64		now_ms = GetCurrentTimestamp() / 1000 + INT64CONST(946684800000);

	jv_arena_init_pg(&a, CurrentMemoryContext);
	jcfg = jv_from_jsonb(&a, cfg);
	if (!auth_parse_token(&a, auth_kind(jcfg), body ? jv_from_jsonb(&a, body) : NULL, now_ms, &tok, problem))
		return false;
	auth_fingerprint(tok.access_token, fp);
	memset(nulls, ' ', sizeof(nulls));
	args[0] = UUIDPGetDatum(tenant);
	args[1] = CStringGetTextDatum(auth_key);
	args[2] = CStringGetTextDatum(config_hash(tenant, cfg));
	args[3] = CStringGetTextDatum(tok.access_token);
	if (tok.refresh_token)
		args[4] = CStringGetTextDatum(tok.refresh_token);
	else
		nulls[4] = 'n';
	args[5] = CStringGetTextDatum(fp);
	args[6] = TimestampTzGetDatum((TimestampTz) ((tok.expires_at_ms - INT64CONST(946684800000)) * 1000));
	if (SPI_execute_with_args("SELECT algawf._token_put($1, $2, $3, $4, $5, $6, $7)", 7, types, args, nulls, false, 0)
		!= SPI_OK_SELECT)
		elog(ERROR, "algawf: storing a token failed");
	return true;
}

void
auth_release(const pg_uuid_t *tenant, const char *auth_key)
{
	Oid			types[2] = {UUIDOID, TEXTOID};
	Datum		args[2];

	args[0] = UUIDPGetDatum(tenant);
	args[1] = CStringGetTextDatum(auth_key);
	SPI_execute_with_args("SELECT algawf._token_release($1, $2)", 2, types, args, NULL, false, 0);
}

void
auth_invalidate(const pg_uuid_t *tenant, const char *auth_key, const char *fingerprint)
{
	Oid			types[3] = {UUIDOID, TEXTOID, TEXTOID};
	Datum		args[3];

	if (fingerprint == NULL || fingerprint[0] == '\0')
		return;
	args[0] = UUIDPGetDatum(tenant);
	args[1] = CStringGetTextDatum(auth_key);
	args[2] = CStringGetTextDatum(fingerprint);
	SPI_execute_with_args("SELECT algawf._token_invalidate($1, $2, $3)", 3, types, args, NULL, false, 0);
}
