/*
 * fuzz_expr.c — libFuzzer target for the expression language: lexer, parser,
 * evaluator, functions and templates, linked standalone (no PostgreSQL).
 *
 * Input layout: byte 0 picks the function set (bit 0) and whether the text is
 * rendered as a template (bit 1); the expression follows up to the first NUL;
 * whatever comes after the NUL, if it parses as JSON, is the input document.
 * Every evaluation runs under small limits, so hostile expressions must end in
 * a clean error: any crash, sanitizer report, leak or timeout is a bug.
 *
 *   make -C test/fuzz && test/fuzz/bin/fuzz_expr -max_total_time=30 test/fuzz/seeds/expr
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static double
fixed_now(void *ctx)
{
	(void) ctx;
	return 1700000000000.0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	JvArena		a;
	ExprError	err;
	ExprLimits	lim;
	ExprHooks	hooks = {NULL, fixed_now, NULL, NULL, NULL, NULL};
	const char *text;
	size_t		tlen;
	const uint8_t *nul;
	Jv		   *input = NULL;
	int			funcset;
	bool		tmpl;

	if (size < 1 || size > 64 * 1024)
		return 0;
	funcset = (data[0] & 1) ? EXPR_FUNCSET_ALGA : EXPR_FUNCSET_EXTENDED;
	tmpl = (data[0] & 2) != 0;
	text = (const char *) data + 1;
	nul = memchr(data + 1, 0, size - 1);
	tlen = nul ? (size_t) (nul - (data + 1)) : size - 1;

	jv_arena_init(&a);
	expr_default_limits(&lim);
	lim.budget = 20000;
	lim.max_depth = 100;
	lim.max_result = 64 * 1024;
	lim.max_string = 64 * 1024;
	lim.max_memory = 16 * 1024 * 1024;

	if (nul && (size_t) (nul - data) + 1 < size)
	{
		size_t		pos;
		const char *msg;

		input = jv_parse(&a, (const char *) nul + 1, size - (nul - data) - 1, 64, &pos, &msg);
	}

	if (tmpl)
	{
		ExprTemplate *t = expr_template_compile(&a, text, tlen, funcset, lim.max_depth, &err);

		if (t)
		{
			size_t		outlen;

			(void) expr_template_render(t, &a, input, NULL, &lim, &hooks, &outlen, &err);
		}
	}
	else
	{
		Expr	   *e = expr_compile(&a, text, tlen, funcset, lim.max_depth, &err);

		if (e)
		{
			Jv		   *result;

			if (expr_eval(e, &a, input, NULL, &lim, &hooks, &result, &err) && result)
			{
				JvBuf		b;

				jv_buf_init(&b, &a);
				jv_serialize(&b, result, 0);
			}
		}
		else if (err.pos > (int) tlen)
			abort();			/* error positions must lie inside the text */
	}
	jv_arena_reset(&a);
	return 0;
}
