/*
 * jval_pg.h — the bridge between jval (plain C) and the backend: arenas whose
 * blocks live in a MemoryContext, and Jsonb <-> Jv conversion.
 */
#ifndef ALGAWF_JVAL_PG_H
#define ALGAWF_JVAL_PG_H

#include "postgres.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "jval.h"

/* blocks are palloc'd in cxt and vanish with it (jv_arena_reset frees them early) */
extern void jv_arena_init_pg(JvArena *a, MemoryContext cxt);

extern Jv  *jv_from_jsonb(JvArena *a, Jsonb *jb);
extern Jv  *jv_from_jsonb_value(JvArena *a, JsonbValue *jbv);
extern Jsonb *jv_to_jsonb(const Jv *v);

#endif							/* ALGAWF_JVAL_PG_H */
