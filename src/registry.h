/*
 * registry.h — helpers of registry.c shared with the dispatcher: privilege
 * switching, extension lookups, Jsonb field access.
 */
#ifndef ALGAWF_REGISTRY_H
#define ALGAWF_REGISTRY_H

#include "postgres.h"
#include "utils/jsonb.h"

/*
 * Run as another role (SECURITY_LOCAL_USERID_CHANGE: no SET ROLE inside)
 * with search_path pinned to pg_catalog, pg_temp, like a SECURITY DEFINER
 * function.  An error unwinds both with the (sub)transaction.
 */
typedef struct PrivSave
{
	Oid			user;
	int			sec;
	int			nest;
} PrivSave;

extern void priv_enter(PrivSave *s, Oid role);
extern void priv_leave(PrivSave *s);

extern bool extension_info(const char *name, Oid *owner, Oid *nsp);
extern Oid	lookup_regprocedure(const char *signature);

extern const char *jbv_type_name(const JsonbValue *v);
extern bool jbv_is_object(const JsonbValue *v);
extern bool jbv_is_array(const JsonbValue *v);
extern JsonbValue *jb_get(JsonbContainer *c, const char *key);
extern char *jb_get_text(JsonbContainer *c, const char *key);
extern Jsonb *jbv_to_jsonb(JsonbValue *v);
extern bool jbv_get_int(const JsonbValue *v, int64 lo, int64 hi, int64 *out);

/* ereports 22023 when an actionProvided key expression does not compile */
extern void check_key_expression(const char *expr, const char *action);

#endif							/* ALGAWF_REGISTRY_H */
