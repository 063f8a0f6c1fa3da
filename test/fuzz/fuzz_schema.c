/*
 * fuzz_schema.c — libFuzzer target for the JSON Schema validator.
 *
 * Input: a schema (JSON text), a newline, a value (JSON text).  The schema is
 * checked and compiled; when it compiles, the value is validated in both
 * modes (all errors, first error), and the results must agree.  The value is
 * also tried as a schema.  `pattern` uses a literal substring matcher here
 * (PostgreSQL's engine is only available inside the backend); a pattern
 * containing "((" is treated as invalid, to exercise that path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"

static void *
lit_compile(void *ctx, const char *pattern, size_t len, char *errbuf, size_t errbuflen)
{
	char	   *copy;

	(void) ctx;
	if (strstr(pattern, "((") != NULL)
	{
		snprintf(errbuf, errbuflen, "parentheses nested without content");
		return NULL;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, pattern, len);
	copy[len] = '\0';
	return copy;
}

static bool
lit_match(void *ctx, void *re, const char *s, size_t len)
{
	const char *pat = re;
	size_t		plen = strlen(pat);
	size_t		i;

	(void) ctx;
	if (plen == 0)
		return true;
	for (i = 0; i + plen <= len; i++)
		if (memcmp(s + i, pat, plen) == 0)
			return true;
	return false;
}

static void
lit_free(void *ctx, void *re)
{
	(void) ctx;
	free(re);
}

static const JsHooks hooks = {lit_compile, lit_match, lit_free, NULL, NULL};

static void
check_errors(const JsError *e, int n, int cap)
{
	int			count = 0;

	for (; e; e = e->next)
	{
		if (e->path == NULL || e->message == NULL)
			abort();
		if (e->path[0] != '\0' && e->path[0] != '/')
			abort();
		count++;
	}
	if (count > n || (cap && count > cap))
		abort();
}

static void
run(JvArena *a, const Jv *schema, const Jv *value)
{
	JsError    *problems = NULL;
	int			nproblems = 0;
	JsSchema   *s = js_compile(a, schema, &hooks, &problems, &nproblems);

	if (s == NULL)
	{
		if (nproblems <= 0 || problems == NULL)
			abort();
		check_errors(problems, nproblems, 0);
		return;
	}
	if (nproblems != 0)
		abort();
	if (value)
	{
		JsError    *all = NULL;
		JsError    *first = NULL;
		int			nall = js_validate(s, value, a, false, &all);
		int			nfirst = js_validate(s, value, a, true, &first);
		int			ncount = js_validate(s, value, a, true, NULL);

		if ((nall == 0) != (nfirst == 0) || (nall == 0) != (ncount == 0))
			abort();
		if ((nall == 0) != (all == NULL) && !a->exhausted)
			abort();
		check_errors(all, nall, 0);
		check_errors(first, nfirst, 1);
	}
	js_schema_free(s);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	JvArena		a;
	const char *text = (const char *) data;
	const char *nl = memchr(text, '\n', size);
	size_t		slen = nl ? (size_t) (nl - text) : size;
	size_t		errpos;
	const char *errmsg;
	Jv		   *schema;
	Jv		   *value = NULL;

	if (size > 1 << 16)
		return 0;
	jv_arena_init(&a);
	a.limit = 256 << 20;
	schema = jv_parse(&a, text, slen, 256, &errpos, &errmsg);
	if (nl)
		value = jv_parse(&a, nl + 1, size - slen - 1, 256, &errpos, &errmsg);
	if (schema)
		run(&a, schema, value);
	if (value)
		run(&a, value, schema);
	jv_arena_reset(&a);
	return 0;
}
