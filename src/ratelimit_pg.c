/*
 * ratelimit_pg.c — request limits in algawf.rate_limits (see ratelimit_pg.h).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "ratelimit.h"
#include "ratelimit_pg.h"

static int64
now_unix_ms(void)
{
	return (GetCurrentTimestamp() / 1000) + INT64CONST(946684800000);
}

int64
ratelimit_acquire(const pg_uuid_t *tenant, const char *bucket, int requests, int64 window_ms)
{
	Oid			types[4] = {UUIDOID, TEXTOID, INT4OID, INT8OID};
	Datum		args[4];
	int64	   *log;
	int			n = 0;
	int64		wait;
	bool		isnull;
	Datum		d;

	if (requests <= 0 || window_ms <= 0)
		return 0;
	args[0] = UUIDPGetDatum(tenant);
	args[1] = CStringGetTextDatum(bucket);
	args[2] = Int32GetDatum(requests);
	args[3] = Int64GetDatum(window_ms);
	if (SPI_execute_with_args("INSERT INTO algawf.rate_limits (tenant, bucket, requests, window_ms) "
							  "VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, bucket) DO NOTHING",
							  4, types, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "algawf: rate limit row insert failed");
	if (SPI_execute_with_args("SELECT sends FROM algawf.rate_limits WHERE tenant = $1 AND bucket = $2 FOR UPDATE",
							  2, types, args, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "algawf: rate limit row lookup failed");

	log = palloc(sizeof(int64) * RL_MAX_REQUESTS);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
	{
		ArrayType  *arr = DatumGetArrayTypeP(d);
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;
		int			i;

		deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &nelems);
		for (i = 0; i < nelems && n < RL_MAX_REQUESTS; i++)
			if (!nulls[i])
				log[n++] = DatumGetInt64(elems[i]);
	}

	/*
	 * A send is counted when it is claimed; the vendor sees it a little later
	 * (and the first of a window perhaps later than the last): a margin of 2%
	 * of the window (at least 100 ms) keeps the vendor's own count within the
	 * limit too.
	 */
	wait = rl_acquire(log, &n, requests, window_ms + Max(INT64CONST(100), window_ms / 50), now_unix_ms());

	{
		Oid			utypes[6] = {UUIDOID, TEXTOID, INT8ARRAYOID, INT4OID, INT8OID, INT8OID};
		Datum		uargs[6];
		Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
		int			i;

		for (i = 0; i < n; i++)
			elems[i] = Int64GetDatum(log[i]);
		uargs[0] = args[0];
		uargs[1] = args[1];
		uargs[2] = PointerGetDatum(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		uargs[3] = args[2];
		uargs[4] = Int64GetDatum(wait > 0 ? 1 : 0);
		uargs[5] = Int64GetDatum(window_ms);
		if (SPI_execute_with_args("UPDATE algawf.rate_limits SET sends = $3, requests = $4, "
								  "window_ms = $6, delayed = delayed + $5, updated_at = now() "
								  "WHERE tenant = $1 AND bucket = $2",
								  6, utypes, uargs, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "algawf: rate limit row update failed");
	}
	return wait;
}
