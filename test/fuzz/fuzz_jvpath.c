/*
 * fuzz_jvpath — the interpreter's data updates (src/jvutil.c): input is
 * "PATH\nJSON\nVALUE".  jv_with_path() must never change the tree it is given
 * (runs undo a failed step by keeping the old root), must put the value where
 * jv_get_path() then finds it (or remove the key when there is no value), and
 * jv_copy() must give an equal tree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jval.h"
#include "jvutil.h"

static char *
dump(JvArena *a, const Jv *v)
{
	JvBuf		b;

	jv_buf_init(&b, a);
	jv_serialize(&b, v, 0);
	return b.failed ? NULL : strdup(jv_buf_cstring(&b));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *) data;
	const char *nl1 = memchr(s, '\n', size);
	const char *nl2;
	JvArena		a;
	Jv		   *root;
	Jv		   *val = NULL;
	Jv		   *updated;
	Jv		   *copy;
	size_t		errpos;
	const char *errmsg;
	char	   *before;
	char	   *after;
	size_t		plen;

	if (nl1 == NULL)
		return 0;
	nl2 = memchr(nl1 + 1, '\n', size - (nl1 + 1 - s));
	if (nl2 == NULL)
		return 0;
	plen = nl1 - s;
	jv_arena_init(&a);
	a.limit = 1 << 22;
	root = jv_parse(&a, nl1 + 1, nl2 - nl1 - 1, 64, &errpos, &errmsg);
	if (root == NULL)
		goto done;
	if ((size_t) (s + size - nl2 - 1) > 0)
		val = jv_parse(&a, nl2 + 1, s + size - nl2 - 1, 64, &errpos, &errmsg);

	before = dump(&a, root);
	copy = jv_copy(&a, root);
	if (copy && !jv_equal(copy, root))
		abort();
	updated = jv_with_path(&a, root, s, plen, val);
	after = dump(&a, root);
	if (before && after && strcmp(before, after) != 0)
		abort();				/* the original changed */
	if (updated)
	{
		/* the last non-empty segment names where the value went */
		size_t		i = plen;
		bool		any = false;

		for (i = 0; i < plen; i++)
			if (s[i] != '.')
				any = true;
		if (any)
		{
			Jv		   *got = jv_get_path(updated, s, plen);

			if (val && (got == NULL || !jv_equal(got, val)))
				abort();
			if (!val && got != NULL)
				abort();
		}
	}
	free(before);
	free(after);
done:
	jv_arena_reset(&a);
	return 0;
}
