/*
 * expr_cli.c — standalone driver for the expression core (no PostgreSQL).
 *
 *   expr_cli eval EXPR [INPUT-JSON [BINDINGS-JSON]]   print the result
 *   expr_cli bool EXPR [INPUT-JSON [BINDINGS-JSON]]   print its truth value (conditions)
 *   expr_cli suite JSONATA-DIR [GROUP...]             run conformance cases
 *
 * Build: make -C test/tools
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

static char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n + 1);
	if (fread(buf, 1, n, f) != (size_t) n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	*len = n;
	return buf;
}

static Jv *
parse_json(JvArena *a, const char *s, size_t len)
{
	size_t		pos;
	const char *msg;
	Jv		   *v = jv_parse(a, s, len, 0, &pos, &msg);

	if (!v)
		fprintf(stderr, "bad JSON at %zu: %s\n", pos, msg);
	return v;
}

static void
print_jv(const Jv *v)
{
	JvArena		a;
	JvBuf		b;

	jv_arena_init(&a);
	jv_buf_init(&b, &a);
	jv_serialize(&b, v, 0);
	printf("%.*s", (int) b.len, b.data);
	jv_arena_reset(&a);
}

static int
cmd_eval(int argc, char **argv)
{
	JvArena		a;
	ExprError	err;
	Expr	   *e;
	Jv		   *input = NULL,
			   *bindings = NULL,
			   *result;
	ExprLimits	lim;
	int			funcset = getenv("FUNCSET") && strcmp(getenv("FUNCSET"), "alga") == 0 ?
		EXPR_FUNCSET_ALGA : EXPR_FUNCSET_EXTENDED;

	jv_arena_init(&a);
	expr_default_limits(&lim);
	if (getenv("BUDGET"))
		lim.budget = atol(getenv("BUDGET"));
	e = expr_compile(&a, argv[2], strlen(argv[2]), funcset, 100, &err);
	if (!e)
	{
		printf("compile error %s at %d: %s\n", err.code, err.pos, err.message);
		return 1;
	}
	if (argc > 3)
		input = parse_json(&a, argv[3], strlen(argv[3]));
	if (argc > 4)
		bindings = parse_json(&a, argv[4], strlen(argv[4]));
	if (strcmp(argv[1], "bool") == 0)
	{
		bool		truth;

		if (!expr_eval_boolean(e, &a, input, bindings, &lim, NULL, &truth, &err))
		{
			printf("error %s at %d: %s\n", err.code, err.pos, err.message);
			return 1;
		}
		printf("%s\n", truth ? "true" : "false");
		return 0;
	}
	if (!expr_eval(e, &a, input, bindings, &lim, NULL, &result, &err))
	{
		printf("error %s at %d: %s\n", err.code, err.pos, err.message);
		return 1;
	}
	if (result == NULL)
		printf("undefined\n");
	else
	{
		print_jv(result);
		printf("\n");
	}
	jv_arena_reset(&a);
	return 0;
}

static int
cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *) x, *(char *const *) y);
}

static int	total_pass,
			total_fail;

static void
run_case(const char *dir, const char *group, const char *file, int idx, Jv *tc, JvArena *a,
		 int *pass, int *fail)
{
	Jv		   *exprv = jv_object_get(tc, "expr", 4);
	Jv		   *data = jv_object_get(tc, "data", 4);
	Jv		   *dataset = jv_object_get(tc, "dataset", 7);
	Jv		   *bindings = jv_object_get(tc, "bindings", 8);
	Jv		   *expected = jv_object_get(tc, "result", 6);
	Jv		   *undef = jv_object_get(tc, "undefinedResult", 15);
	Jv		   *code = jv_object_get(tc, "code", 4);
	Jv		   *errobj = jv_object_get(tc, "error", 5);
	const char *src;
	size_t		srclen;
	char		path[1024];
	ExprError	err;
	Expr	   *e;
	Jv		   *result;
	ExprLimits	lim;
	bool		ok;
	const char *verdict = NULL;
	char		got[400] = "";

	expr_default_limits(&lim);
	lim.budget = 100000000;
	lim.max_result = 64 * 1024 * 1024;
	lim.max_memory = 512 * 1024 * 1024;
	if (exprv == NULL)
	{
		Jv		   *ef = jv_object_get(tc, "expr-file", 9);

		snprintf(path, sizeof(path), "%s/groups/%s/%.*s", dir, group, (int) ef->u.str.len, ef->u.str.s);
		src = read_file(path, &srclen);
	}
	else
	{
		src = exprv->u.str.s;
		srclen = exprv->u.str.len;
	}
	if (data == NULL && dataset && dataset->type == JV_STRING)
	{
		size_t		len;
		char	   *txt;

		snprintf(path, sizeof(path), "%s/datasets/%.*s.json", dir, (int) dataset->u.str.len, dataset->u.str.s);
		txt = read_file(path, &len);
		data = parse_json(a, txt, len);
	}
	e = expr_compile(a, src, srclen, EXPR_FUNCSET_EXTENDED, 100, &err);
	if (!e)
	{
		ok = false;
		result = NULL;
	}
	else
		ok = expr_eval(e, a, data, bindings, &lim, NULL, &result, &err);
	if (code == NULL && errobj != NULL)
		code = jv_object_get(errobj, "code", 4);
	if (code)
	{
		if (!ok)
			verdict = NULL;
		else
			verdict = "expected error";
	}
	else if (!ok)
		verdict = "error";
	else if (undef && undef->type == JV_BOOL && undef->u.b)
	{
		if (result != NULL)
			verdict = "expected undefined";
	}
	else if (result == NULL || !jv_equal(result, expected))
		verdict = "wrong result";
	if (verdict == NULL)
	{
		(*pass)++;
		total_pass++;
		return;
	}
	(*fail)++;
	total_fail++;
	if (!ok)
		snprintf(got, sizeof(got), "%s: %s", err.code, err.message);
	printf("  FAIL %s/%s#%d [%s] %.*s\n", group, file, idx, verdict, (int) (srclen > 120 ? 120 : srclen), src);
	if (ok)
	{
		printf("     got: ");
		if (result)
			print_jv(result);
		else
			printf("undefined");
		printf("\n");
	}
	else
		printf("     got: %s\n", got);
	if (expected)
	{
		printf("     want: ");
		print_jv(expected);
		printf("\n");
	}
	if (code)
		printf("     want code: %.*s\n", (int) code->u.str.len, code->u.str.s);
}

static void
run_group(const char *dir, const char *group)
{
	char		path[1024];
	DIR		   *d;
	struct dirent *de;
	char	   *names[1000];
	int			n = 0,
				i;
	int			pass = 0,
				fail = 0;

	snprintf(path, sizeof(path), "%s/groups/%s", dir, group);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL && n < 1000)
		if (strstr(de->d_name, ".json"))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(char *), cmp_names);
	for (i = 0; i < n; i++)
	{
		JvArena		a;
		size_t		len;
		char	   *txt;
		Jv		   *tc;

		jv_arena_init(&a);
		snprintf(path, sizeof(path), "%s/groups/%s/%s", dir, group, names[i]);
		txt = read_file(path, &len);
		tc = parse_json(&a, txt, len);
		if (tc && tc->type == JV_ARRAY)
		{
			size_t		k;

			for (k = 0; k < tc->u.arr.n; k++)
				run_case(dir, group, names[i], (int) k, tc->u.arr.items[k], &a, &pass, &fail);
		}
		else if (tc)
			run_case(dir, group, names[i], 0, tc, &a, &pass, &fail);
		jv_arena_reset(&a);
		free(txt);
	}
	printf("%-32s %4d passed %4d failed\n", group, pass, fail);
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && (strcmp(argv[1], "eval") == 0 || strcmp(argv[1], "bool") == 0))
		return cmd_eval(argc, argv);
	if (argc >= 3 && strcmp(argv[1], "suite") == 0)
	{
		int			i;

		for (i = 3; i < argc; i++)
			run_group(argv[2], argv[i]);
		printf("total: %d passed, %d failed\n", total_pass, total_fail);
		return total_fail ? 1 : 0;
	}
	fprintf(stderr, "usage: expr_cli eval EXPR [INPUT [BINDINGS]] | suite DIR GROUP...\n");
	return 2;
}
