/*
 * ratelimit_pg.h — the request limits of integrations, per tenant and bucket,
 * in algawf.rate_limits (see ratelimit.h).  The row lock serialises the
 * executors, so a limit holds across all of them.
 */
#ifndef ALGAWF_RATELIMIT_PG_H
#define ALGAWF_RATELIMIT_PG_H

#include "postgres.h"

#include "utils/uuid.h"

/*
 * 0 when a request of the bucket may be sent now (it is counted), else the
 * ms to wait.  Runs in the caller's transaction (caller connected to SPI).
 */
extern int64 ratelimit_acquire(const pg_uuid_t *tenant, const char *bucket, int requests, int64 window_ms);

#endif							/* ALGAWF_RATELIMIT_PG_H */
