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

/* the non-empty '.'-separated segments of path (empty segments are skipped, as Alga does) */
typedef struct Seg
{
	const char *s;
	size_t		len;
} Seg;

#define MAX_SEGS 256

/* returns the number of segments, or MAX_SEGS + 1 when there are more */
static size_t
split_path(const char *path, size_t len, Seg *segs)
{
	size_t		n = 0;
	size_t		start = 0;

	while (start <= len)
	{
		size_t		end = start;

		while (end < len && path[end] != '.')
			end++;
		if (end > start)
		{
			if (n == MAX_SEGS)
				return MAX_SEGS + 1;
			segs[n].s = path + start;
			segs[n].len = end - start;
			n++;
		}
		start = end + 1;
	}
	return n;
}

bool
jv_set_path(JvArena *a, Jv *root, const char *path, size_t len, Jv *v)
{
	Seg			segs[MAX_SEGS];
	size_t		n = split_path(path, len, segs);
	Jv		   *cur = root;
	size_t		i;
	char	   *k;

	if (n > MAX_SEGS)
		return false;
	if (n == 0)
		return true;
	for (i = 0; i + 1 < n; i++)
	{
		Jv		   *next = jv_object_get(cur, segs[i].s, segs[i].len);

		if (next == NULL || next->type != JV_OBJECT)
		{
			if (v == NULL)
				return true;	/* nothing to remove */
			next = jv_object(a, 4);
			k = jv_strndup(a, segs[i].s, segs[i].len);
			if (next == NULL || k == NULL || !jv_object_set(a, cur, k, segs[i].len, next))
				return false;
		}
		cur = next;
	}
	if (v == NULL)
	{
		jv_object_remove(cur, segs[n - 1].s, segs[n - 1].len);
		return true;
	}
	k = jv_strndup(a, segs[n - 1].s, segs[n - 1].len);
	return k != NULL && jv_object_set(a, cur, k, segs[n - 1].len, v);
}

/* a new object with the same pairs (keys and values shared) */
static Jv *
jv_shallow_copy(JvArena *a, const Jv *obj)
{
	Jv		   *r;
	size_t		n = (obj && obj->type == JV_OBJECT) ? obj->u.obj.n : 0;

	r = jv_object(a, n + 1);
	if (r == NULL)
		return NULL;
	if (n)
	{
		memcpy(r->u.obj.pairs, obj->u.obj.pairs, n * sizeof(JvPair));
		r->u.obj.n = n;
	}
	return r;
}

Jv *
jv_with_path(JvArena *a, const Jv *root, const char *path, size_t len, Jv *v)
{
	Seg			segs[MAX_SEGS];
	size_t		n = split_path(path, len, segs);
	Jv		   *new_root = n > MAX_SEGS ? NULL : jv_shallow_copy(a, root);
	Jv		   *cur = new_root;
	const Jv   *old = (root && root->type == JV_OBJECT) ? root : NULL;
	size_t		i;
	char	   *k;

	if (new_root == NULL || n == 0)
		return new_root;
	for (i = 0; i + 1 < n; i++)
	{
		const Jv   *child = old ? jv_object_get(old, segs[i].s, segs[i].len) : NULL;
		Jv		   *copy;

		if (child && child->type != JV_OBJECT)
			child = NULL;
		if (v == NULL && child == NULL)
			return new_root;	/* nothing to remove */
		copy = jv_shallow_copy(a, child);
		k = jv_strndup(a, segs[i].s, segs[i].len);
		if (copy == NULL || k == NULL || !jv_object_set(a, cur, k, segs[i].len, copy))
			return NULL;
		cur = copy;
		old = child;
	}
	if (v == NULL)
	{
		jv_object_remove(cur, segs[n - 1].s, segs[n - 1].len);
		return new_root;
	}
	k = jv_strndup(a, segs[n - 1].s, segs[n - 1].len);
	if (k == NULL || !jv_object_set(a, cur, k, segs[n - 1].len, v))
		return NULL;
	return new_root;
}

Jv *
jv_get_path(const Jv *root, const char *path, size_t len)
{
	Seg			segs[MAX_SEGS];
	size_t		n = split_path(path, len, segs);
	const Jv   *cur = root;
	size_t		i;

	if (n > MAX_SEGS)
		return NULL;
	for (i = 0; i < n && cur; i++)
		cur = jv_object_get(cur, segs[i].s, segs[i].len);
	return (Jv *) cur;
}
