/*
 * jvjsonb_pg.h — jval to Jsonb, reusing the serialized bytes of subtrees
 * already serialized.
 *
 * The interpreter never changes a jval in place (assignments copy the path
 * they change), so a subtree that keeps its address keeps its content.  The
 * cache maps subtree addresses to their Jsonb container bytes: building the
 * expression context or saving the run then copies unchanged parts instead
 * of re-encoding them, and a step costs what it changed, not the size of the
 * data.  Only use it for trees whose nodes live until the cache is dropped.
 */
#ifndef ALGAWF_JVJSONB_PG_H
#define ALGAWF_JVJSONB_PG_H

#include "postgres.h"
#include "utils/jsonb.h"

#include "jval.h"

typedef struct JvJsonbCache JvJsonbCache;

/* a cache living in cxt (bounded: it empties itself past a few MB) */
extern JvJsonbCache *jvjsonb_cache_create(MemoryContext cxt);

/* Jsonb of v, in CurrentMemoryContext; cache may be NULL */
extern Jsonb *jv_to_jsonb_cached(const Jv *v, JvJsonbCache *cache);

#endif							/* ALGAWF_JVJSONB_PG_H */
