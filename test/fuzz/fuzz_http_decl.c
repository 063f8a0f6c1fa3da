/*
 * fuzz_http_decl.c — libFuzzer target for declarative HTTP actions' pure-C
 * parts: request template checks and rendering (http_decl.c), Link header
 * parsing, auth header building and token parsing (auth.c), the rate limit
 * window (ratelimit.c).  Linked standalone (no PostgreSQL).
 *
 * Input: a JSON document {"request": template, "input": value, "bindings":
 * object, "auth": configuration, "token": answer, "link": text, "base": url}
 * (any member may be missing or of the wrong type); bytes that are not JSON
 * are used as a Link header and as an ISO 8601 timestamp.  Any crash,
 * sanitizer report, leak or timeout is a bug.
 *
 *   make -C test/fuzz && test/fuzz/bin/fuzz_http_decl -max_total_time=30 test/fuzz/seeds/http_decl
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http_decl.h"
#include "ratelimit.h"

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
	ExprLimits	lim;
	ExprHooks	hooks = {NULL, fixed_now, NULL, NULL, NULL, NULL};
	DeclEnv		env;
	DeclError	err;
	DeclRequest req;
	DeclPaging	pg;
	size_t		errpos;
	const char *errmsg;
	Jv		   *doc;

	if (size > 64 * 1024)
		return 0;
	jv_arena_init(&a);
	expr_default_limits(&lim);
	lim.budget = 20000;
	lim.max_depth = 100;
	lim.max_result = 64 * 1024;
	lim.max_string = 64 * 1024;
	lim.max_memory = 16 * 1024 * 1024;
	env.lim = &lim;
	env.hooks = &hooks;
	env.funcset = EXPR_FUNCSET_EXTENDED;

	doc = jv_parse(&a, (const char *) data, size, 64, &errpos, &errmsg);
	if (doc == NULL || doc->type != JV_OBJECT)
	{
		char	   *s = malloc(size + 1);

		memcpy(s, data, size);
		s[size] = '\0';
		(void) decl_link_next(&a, s, size, "https://api.example.com/v1/items?page=1");
		(void) auth_parse_iso8601(s, size);
		(void) decl_hole_end(s, size);
		free(s);
	}
	else
	{
		Jv		   *request = jv_object_get(doc, "request", 7);
		Jv		   *input = jv_object_get(doc, "input", 5);
		Jv		   *bindings = jv_object_get(doc, "bindings", 8);
		Jv		   *auth = jv_object_get(doc, "auth", 4);
		Jv		   *token = jv_object_get(doc, "token", 5);
		Jv		   *link = jv_object_get(doc, "link", 4);
		Jv		   *base = jv_object_get(doc, "base", 4);
		const char *name,
				   *value,
				   *problem;
		AuthTokenRequest tr;
		AuthToken	tok;

		if (bindings && bindings->type != JV_OBJECT)
			bindings = NULL;
		if (request)
		{
			(void) decl_check_request(&a, request, &env, &err);
			(void) decl_build_request(&a, request, input, bindings, NULL, NULL, &env, &req, &err);
			if (decl_paging(&a, request, &pg) && pg.next)
			{
				Jv		   *r = NULL;

				(void) decl_eval_expr(&a, pg.next, strlen(pg.next), input, bindings, &env, "next", &r, &err);
			}
		}
		if (auth)
		{
			(void) auth_check_config(&a, auth);
			(void) auth_static_header(&a, auth, &name, &value, &problem);
			(void) auth_token_request(&a, auth, NULL, &tr, &problem);
			if (auth_uses_token(auth_kind(auth)))
				auth_token_header(&a, auth, "tok", &name, &value);
		}
		if (token)
		{
			(void) auth_parse_token(&a, AUTH_OAUTH2_CLIENT_CREDENTIALS, token, 1700000000000LL, &tok, &problem);
			(void) auth_parse_token(&a, AUTH_KNOX, token, 1700000000000LL, &tok, &problem);
		}
		if (link && link->type == JV_STRING)
			(void) decl_link_next(&a, jv_strndup(&a, link->u.str.s, link->u.str.len), link->u.str.len,
								  base && base->type == JV_STRING ? jv_strndup(&a, base->u.str.s, base->u.str.len) : NULL);
	}

	/* the rate limit window over the input bytes as times */
	{
		int64_t		log[RL_MAX_REQUESTS];
		int			n = 0;
		size_t		i;

		for (i = 0; i + 1 < size && i < 2000; i += 2)
			(void) rl_acquire(log, &n, 1 + data[i] % 70, 1 + data[i + 1] * 37, (int64_t) i * 13);
	}
	jv_arena_reset(&a);
	return 0;
}
