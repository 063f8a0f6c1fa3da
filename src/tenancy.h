/*
 * tenancy.h — the current tenant, as the row-level security policies see it.
 */
#ifndef ALGAWF_TENANCY_H
#define ALGAWF_TENANCY_H

#include "utils/uuid.h"

/* false when no tenant is set or the outer role may not act for it */
extern bool algawf_tenant_get(pg_uuid_t *out);

/* the tenant, or an insufficient_privilege error saying why not */
extern pg_uuid_t *algawf_tenant_require(void);

#endif							/* ALGAWF_TENANCY_H */
