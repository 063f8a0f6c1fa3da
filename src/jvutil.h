/*
 * jvutil.h — small operations on jval trees the interpreter needs: deep copy,
 * key removal, and assignment along a dotted path creating objects on the way.
 * Plain C (no PostgreSQL headers).
 */
#ifndef ALGAWF_JVUTIL_H
#define ALGAWF_JVUTIL_H

#include "jval.h"

/* deep copy into arena (strings and keys copied); NULL on allocation failure */
extern Jv  *jv_copy(JvArena *a, const Jv *v);

/* remove a key from an object (keeps the order of the others); false if absent */
extern bool jv_object_remove(Jv *obj, const char *key, size_t klen);

/*
 * Paths have at most 256 non-empty segments; longer ones fail (false/NULL).
 *
 * Set root.<seg1>.<seg2>... = v, where segs are the '.'-separated parts of path
 * (len bytes); intermediate values that are not objects are replaced by
 * objects.  v == NULL removes the last key.  root must be an object.  Returns
 * false on allocation failure.
 */
extern bool jv_set_path(JvArena *a, Jv *root, const char *path, size_t len, Jv *v);

/*
 * Persistent update: a new root equal to root with <path> set to v (v NULL
 * removes the last key).  Only the objects along the path are copied
 * (shallowly); everything else is shared with root, which is left unchanged.
 * root may be NULL or not an object (treated as {}).  NULL on allocation
 * failure.
 */
extern Jv  *jv_with_path(JvArena *a, const Jv *root, const char *path, size_t len, Jv *v);

/* root.<segs...>, or NULL when absent */
extern Jv  *jv_get_path(const Jv *root, const char *path, size_t len);

#endif							/* ALGAWF_JVUTIL_H */
