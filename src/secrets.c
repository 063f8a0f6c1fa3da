/*
 * secrets.c — resolving {"$secret": "NAME"} markers for one action call.
 *
 * Values are stored encrypted (pgcrypto pgp_sym_encrypt) in
 * algawf.tenant_secrets with a per-database key held in algawf.secret_keys,
 * which only the extension owner can read.  The dispatcher decrypts as the
 * extension owner, here, for the call that references the secret; the clear
 * value lives only in the resolved input handed to the implementation and in
 * the list of values the redactor scrubs from everything stored afterwards.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"

#include "action.h"
#include "registry.h"

static char *
pgcrypto_schema(void)
{
	Oid			nsp;

	if (!extension_info("pgcrypto", NULL, &nsp))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pgcrypto\" is not installed"),
				 errhint("algawf requires it: CREATE EXTENSION pgcrypto;")));
	return get_namespace_name(nsp);
}

/* decrypted value, or NULL when the tenant has no such secret (caller is connected to SPI) */
static char *
lookup_secret(const pg_uuid_t *tenant, const char *name)
{
	char	   *sql;
	Oid			types[2] = {UUIDOID, TEXTOID};
	Datum		values[2];
	int			rc;
	bool		isnull;
	Datum		d;
	char	   *result = NULL;
	PrivSave	save;
	MemoryContext outer = CurrentMemoryContext;

	sql = psprintf("WITH touched AS ("
				   "  UPDATE algawf.tenant_secrets t SET last_used_at = pg_catalog.now()"
				   "   WHERE (t.tenant, t.name) IN (SELECT s.tenant, s.name FROM algawf.tenant_secrets s"
				   "      WHERE s.tenant OPERATOR(pg_catalog.=) $1 AND s.name OPERATOR(pg_catalog.=) $2"
				   "        AND (s.last_used_at IS NULL OR s.last_used_at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) interval '1 minute'))"
				   "      FOR UPDATE SKIP LOCKED)"
				   "   RETURNING 1)"
				   " SELECT %s.pgp_sym_decrypt(s.value, k.key)"
				   "   FROM algawf.tenant_secrets s, algawf.secret_keys k"
				   "  WHERE s.tenant OPERATOR(pg_catalog.=) $1 AND s.name OPERATOR(pg_catalog.=) $2"
				   "    AND k.key_id OPERATOR(pg_catalog.=) 1",
				   quote_identifier(pgcrypto_schema()));
	values[0] = UUIDPGetDatum(tenant);
	values[1] = CStringGetTextDatum(name);

	priv_enter(&save, algawf_owner_oid());
	rc = SPI_execute_with_args(sql, 2, types, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "secret lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0)
	{
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
		{
			MemoryContext old = MemoryContextSwitchTo(outer);

			result = TextDatumGetCString(d);
			MemoryContextSwitchTo(old);
		}
	}
	priv_leave(&save);
	return result;
}

static bool
container_has_marker(JsonbContainer *c)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (secret_marker_name(c))
		return true;
	check_stack_depth();
	it = JsonbIteratorInit(c);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if ((tok == WJB_VALUE || tok == WJB_ELEM) && v.type == jbvBinary &&
			container_has_marker(v.val.binary.data))
			return true;
	return false;
}

bool
jsonb_has_secret_marker(Jsonb *input)
{
	return input != NULL && container_has_marker(&input->root);
}

static char *
resolve_one(const char *name, const pg_uuid_t *tenant, ResolvedSecrets *rs)
{
	ListCell   *ln,
			   *lv;
	char	   *value;

	forboth(ln, rs->names, lv, rs->values)
		if (strcmp((char *) lfirst(ln), name) == 0)
		return (char *) lfirst(lv);
	value = lookup_secret(tenant, name);
	if (value == NULL)
		return NULL;
	rs->names = lappend(rs->names, pstrdup(name));
	rs->values = lappend(rs->values, value);
	return value;
}

static JsonbValue *
resolve_container(JsonbParseState **st, JsonbContainer *c, const pg_uuid_t *tenant, ResolvedSecrets *rs)
{
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbValue *result = NULL;

	check_stack_depth();
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
				(void) pushJsonbValue(st, tok, &v);
				break;
			case WJB_BEGIN_OBJECT:
				(void) pushJsonbValue(st, tok, NULL);
				break;
			case WJB_END_ARRAY:
			case WJB_END_OBJECT:
				result = pushJsonbValue(st, tok, NULL);
				break;
			case WJB_KEY:
				(void) pushJsonbValue(st, tok, &v);
				break;
			case WJB_VALUE:
			case WJB_ELEM:
				if (v.type == jbvBinary)
				{
					char	   *name = secret_marker_name(v.val.binary.data);

					if (name)
					{
						char	   *value = rs->missing ? NULL : resolve_one(name, tenant, rs);
						JsonbValue	s;

						if (value == NULL)
						{
							if (rs->missing == NULL)
								rs->missing = name;
							value = "";
						}
						s.type = jbvString;
						s.val.string.val = value;
						s.val.string.len = strlen(value);
						(void) pushJsonbValue(st, tok, &s);
					}
					else if (container_has_marker(v.val.binary.data))
						(void) resolve_container(st, v.val.binary.data, tenant, rs);
					else
						(void) pushJsonbValue(st, tok, &v);
				}
				else
					(void) pushJsonbValue(st, tok, &v);
				break;
			default:
				break;
		}
	}
	return result;
}

Jsonb *
secrets_resolve(Jsonb *input, const pg_uuid_t *tenant, ResolvedSecrets *rs)
{
	JsonbParseState *st = NULL;
	JsonbValue *result;
	char	   *root_name;

	rs->missing = NULL;
	if (!jsonb_has_secret_marker(input))
		return input;

	/* the whole input being one marker is odd but allowed */
	root_name = secret_marker_name(&input->root);
	if (root_name)
	{
		char	   *value = resolve_one(root_name, tenant, rs);
		JsonbValue	s;

		if (value == NULL)
		{
			rs->missing = root_name;
			return NULL;
		}
		s.type = jbvString;
		s.val.string.val = value;
		s.val.string.len = strlen(value);
		return JsonbValueToJsonb(&s);
	}
	result = resolve_container(&st, &input->root, tenant, rs);
	if (rs->missing)
		return NULL;
	return JsonbValueToJsonb(result);
}
