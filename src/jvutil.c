/*
 * jvutil.c — deep copy, key removal and path assignment over jval trees.
 */
#include <string.h>

#include "jvutil.h"

Jv *
jv_copy(JvArena *a, const Jv *v)
{
	Jv		   *r;
	size_t		i;

	if (v == NULL)
		return NULL;
	switch (v->type)
	{
		case JV_NULL:
			return jv_null(a);
		case JV_BOOL:
			return jv_bool(a, v->u.b);
		case JV_NUMBER:
			return jv_number(a, v->u.num);
		case JV_STRING:
			return jv_string(a, v->u.str.s, v->u.str.len);
		case JV_ARRAY:
			r = jv_array(a, v->u.arr.n);
			if (r == NULL)
				return NULL;
			for (i = 0; i < v->u.arr.n; i++)
			{
				Jv		   *item = jv_copy(a, v->u.arr.items[i]);

				if (item == NULL || !jv_array_push(a, r, item))
					return NULL;
			}
			return r;
		case JV_OBJECT:
			r = jv_object(a, v->u.obj.n);
			if (r == NULL)
				return NULL;
			for (i = 0; i < v->u.obj.n; i++)
			{
				const JvPair *p = &v->u.obj.pairs[i];
				char	   *k = jv_strndup(a, p->key, p->klen);
				Jv		   *item = jv_copy(a, p->val);

				if (k == NULL || item == NULL || !jv_object_set(a, r, k, p->klen, item))
					return NULL;
			}
			return r;
	}
	return NULL;
}

bool
jv_object_remove(Jv *obj, const char *key, size_t klen)
{
	size_t		i;

	if (obj == NULL || obj->type != JV_OBJECT)
		return false;
	for (i = 0; i < obj->u.obj.n; i++)
	{
		JvPair	   *p = &obj->u.obj.pairs[i];

		if (p->klen == klen && memcmp(p->key, key, klen) == 0)
		{
			memmove(&obj->u.obj.pairs[i], &obj->u.obj.pairs[i + 1],
					(obj->u.obj.n - i - 1) * sizeof(JvPair));
			obj->u.obj.n--;
			return true;
		}
	}
	return false;
}

bool
jv_set_path(JvArena *a, Jv *root, const char *path, size_t len, Jv *v)
{
	Jv		   *cur = root;
	size_t		start = 0;

	while (start <= len)
	{
		size_t		end = start;
		const char *seg;
		size_t		slen;

		while (end < len && path[end] != '.')
			end++;
		seg = path + start;
		slen = end - start;
		if (slen == 0)
		{
			/* empty segments (a..b, trailing dot) are skipped, as Alga does */
			if (end >= len)
				break;
			start = end + 1;
			continue;
		}
		if (end >= len)
		{
			char	   *k;

			if (v == NULL)
			{
				jv_object_remove(cur, seg, slen);
				return true;
			}
			k = jv_strndup(a, seg, slen);
			return k != NULL && jv_object_set(a, cur, k, slen, v);
		}
		else
		{
			Jv		   *next = jv_object_get(cur, seg, slen);

			if (next == NULL || next->type != JV_OBJECT)
			{
				char	   *k;

				if (v == NULL)
					return true;	/* nothing to remove */
				next = jv_object(a, 4);
				k = jv_strndup(a, seg, slen);
				if (next == NULL || k == NULL || !jv_object_set(a, cur, k, slen, next))
					return false;
			}
			cur = next;
		}
		start = end + 1;
	}
	return true;
}

Jv *
jv_get_path(const Jv *root, const char *path, size_t len)
{
	const Jv   *cur = root;
	size_t		start = 0;

	while (start < len)
	{
		size_t		end = start;

		while (end < len && path[end] != '.')
			end++;
		if (end > start)
		{
			cur = jv_object_get(cur, path + start, end - start);
			if (cur == NULL)
				return NULL;
		}
		start = end + 1;
	}
	return (Jv *) cur;
}
