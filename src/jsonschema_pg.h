/*
 * jsonschema_pg.h — the JSON Schema validator for the backend: PostgreSQL's
 * regex engine for "pattern", Jsonb in, ereport out, and a backend-local cache
 * of compiled schemas.
 */
#ifndef ALGAWF_JSONSCHEMA_PG_H
#define ALGAWF_JSONSCHEMA_PG_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

typedef struct AlgawfSchema AlgawfSchema;

typedef struct AlgawfSchemaError
{
	char	   *path;			/* JSON pointer: of the value (validation) or of the schema (check) */
	char	   *message;
} AlgawfSchemaError;

/*
 * Check and compile a schema into cxt (it lives until cxt is reset or deleted).
 * A bad schema raises invalid_parameter_value (22023) with errdetail naming the
 * schema path of the first problem and errhint saying how to fix it.
 */
extern AlgawfSchema *algawf_schema_compile(Jsonb *schema, MemoryContext cxt);

/*
 * The compiled schema from a backend-local cache keyed by the schema's bytes
 * (compiled and cached on a miss; same errors as algawf_schema_compile).  The
 * cache holds the 64 most recently used schemas: the result stays valid until
 * 64 other distinct schemas have been looked up, so look it up again rather
 * than keeping it across calls that may validate other schemas.
 */
extern AlgawfSchema *algawf_schema_cached(Jsonb *schema);

/*
 * Validate a value; returns the number of errors (0 = valid).  When errors is
 * not NULL it receives a List of AlgawfSchemaError * (instance paths),
 * allocated in CurrentMemoryContext; stop_at_first stops at the first error.
 */
extern int	algawf_schema_validate(AlgawfSchema *s, Jsonb *value, bool stop_at_first, List **errors);

/* Schema problems without throwing (NIL when the schema is fine): AlgawfSchemaError * with schema paths. */
extern List *algawf_schema_check(Jsonb *schema);

#endif							/* ALGAWF_JSONSCHEMA_PG_H */
