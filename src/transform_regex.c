/*
 * transform_regex.c — transform.regex_match, regex_extract and regex_replace
 * on PostgreSQL's regular expression engine (ARE), with Alga PSA's inputs,
 * outputs and limits.
 *
 * JavaScript patterns are translated where the two dialects differ: named
 * groups (?<name>...) and \k<name> (PostgreSQL has numbered groups only),
 * \b and \B (word boundaries are \y and \Y in an ARE), \xhh.  Flags: i, m, s
 * map to the engine's options; g is implied or ignored as in Alga; u, d, v
 * are accepted and change nothing; y (sticky) is refused.  Without s, "."
 * and negated brackets do not match a newline (PostgreSQL's newline-sensitive
 * mode; JavaScript lets [^x] match one).  Indexes count characters.
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/pg_collation.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "regex/regex.h"
#include "utils/builtins.h"

#include "action.h"

#define REGEX_MAX_TEXT_LENGTH 100000
#define REGEX_MAX_PATTERN_LENGTH 2000
#define REGEX_DEFAULT_MAX_MATCHES 100
#define REGEX_MAX_MATCHES_LIMIT 1000

typedef struct JsRegex
{
	const char *action;
	regex_t		re;
	int			ngroups;
	char	  **names;			/* names[1..ngroups], NULL when unnamed */
	bool		has_names;
	pg_wchar   *data;			/* the text */
	int			dlen;
	regmatch_t *m;
} JsRegex;

static void pg_attribute_noreturn()
regex_input_error(const char *action, const char *fmt,...) pg_attribute_printf(2, 3);

static void
regex_input_error(const char *action, const char *fmt,...)
{
	char		buf[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
			 errmsg("%s: %s", action, buf)));
}

/* translate a JavaScript pattern into an ARE; records group names */
static char *
translate_pattern(JsRegex *r, const char *p, size_t len)
{
	StringInfoData out;
	size_t		i = 0;
	bool		in_class = false;
	int			group = 0;
	int			cap = 16;

	initStringInfo(&out);
	r->names = palloc0(sizeof(char *) * (cap + 1));
	while (i < len)
	{
		char		c = p[i];

		if (c == '\\' && i + 1 < len)
		{
			char		e = p[i + 1];

			if (!in_class && e == 'k' && i + 2 < len && p[i + 2] == '<')
			{
				const char *close = memchr(p + i + 3, '>', len - i - 3);
				int			g;
				char	   *name;

				if (close == NULL)
					regex_input_error(r->action, "invalid regex pattern: unterminated \\k<name>");
				name = pnstrdup(p + i + 3, close - (p + i + 3));
				for (g = 1; g <= group; g++)
					if (r->names[g] && strcmp(r->names[g], name) == 0)
						break;
				if (g > group)
					regex_input_error(r->action, "invalid regex pattern: \\k<%s> refers to no earlier group", name);
				appendStringInfo(&out, "\\%d", g);
				i = close - p + 1;
				continue;
			}
			if (!in_class && e == 'b')
			{
				appendStringInfoString(&out, "\\y");
				i += 2;
				continue;
			}
			if (!in_class && e == 'B')
			{
				appendStringInfoString(&out, "\\Y");
				i += 2;
				continue;
			}
			if (e == 'x' && i + 3 < len && isxdigit((unsigned char) p[i + 2]) && isxdigit((unsigned char) p[i + 3]))
			{
				appendStringInfo(&out, "\\u00%c%c", p[i + 2], p[i + 3]);
				i += 4;
				continue;
			}
			appendStringInfoChar(&out, c);
			appendStringInfoChar(&out, e);
			i += 2;
			continue;
		}
		if (in_class)
		{
			if (c == ']')
				in_class = false;
			appendStringInfoChar(&out, c);
			i++;
			continue;
		}
		if (c == '[')
		{
			in_class = true;
			appendStringInfoChar(&out, c);
			i++;
			/* a leading ] or ^] is literal in an ARE, like JavaScript's [^]] is not: keep as is */
			continue;
		}
		if (c == '(')
		{
			if (i + 1 < len && p[i + 1] == '?')
			{
				if (i + 2 < len && p[i + 2] == '<' && i + 3 < len && p[i + 3] != '=' && p[i + 3] != '!')
				{
					const char *close = memchr(p + i + 3, '>', len - i - 3);

					if (close == NULL)
						regex_input_error(r->action, "invalid regex pattern: unterminated group name");
					group++;
					if (group > cap)
					{
						r->names = repalloc(r->names, sizeof(char *) * (cap * 2 + 1));
						memset(r->names + cap + 1, 0, sizeof(char *) * cap);
						cap *= 2;
					}
					r->names[group] = pnstrdup(p + i + 3, close - (p + i + 3));
					r->has_names = true;
					appendStringInfoChar(&out, '(');
					i = close - p + 1;
					continue;
				}
				appendStringInfoString(&out, "(?");
				i += 2;
				continue;
			}
			group++;
			if (group > cap)
			{
				r->names = repalloc(r->names, sizeof(char *) * (cap * 2 + 1));
				memset(r->names + cap + 1, 0, sizeof(char *) * cap);
				cap *= 2;
			}
		}
		appendStringInfoChar(&out, c);
		i++;
	}
	return out.data;
}

static void
regex_compile(JsRegex *r, const char *action, Jv *input, bool *global)
{
	Jv		   *pat = tf_arg(input, "pattern");
	Jv		   *fl = tf_arg(input, "flags");
	const char *flags = (fl && fl->type == JV_STRING) ? fl->u.str.s : "";
	size_t		flen = (fl && fl->type == JV_STRING) ? fl->u.str.len : 0;
	int			cflags = REG_ADVANCED | REG_NLSTOP;
	bool		seen[128] = {0};
	size_t		i;
	char	   *are;
	pg_wchar   *w;
	int			wlen;
	int			rc;

	memset(r, 0, sizeof(*r));
	r->action = action;
	*global = false;
	if (pat == NULL || pat->type != JV_STRING || pat->u.str.len == 0)
		regex_input_error(action, "pattern must be a non-empty string");
	if (pg_mbstrlen_with_len(pat->u.str.s, (int) pat->u.str.len) > REGEX_MAX_PATTERN_LENGTH)
		regex_input_error(action, "pattern length %d exceeds maximum %d",
						  pg_mbstrlen_with_len(pat->u.str.s, (int) pat->u.str.len), REGEX_MAX_PATTERN_LENGTH);
	for (i = 0; i < flen; i++)
	{
		unsigned char f = (unsigned char) flags[i];

		if (f >= 128 || strchr("dgimsuvy", f) == NULL)
			regex_input_error(action, "invalid regex flags \"%.*s\": unsupported flag \"%c\"", (int) flen, flags, f);
		if (seen[f])
			regex_input_error(action, "invalid regex flags \"%.*s\": duplicate flag \"%c\"", (int) flen, flags, f);
		seen[f] = true;
		switch (f)
		{
			case 'i':
				cflags |= REG_ICASE;
				break;
			case 'm':
				cflags |= REG_NLANCH;
				break;
			case 's':
				cflags &= ~REG_NLSTOP;
				break;
			case 'g':
				*global = true;
				break;
			case 'y':
				regex_input_error(action, "the sticky flag \"y\" is not supported by PostgreSQL's regex engine");
				break;
			default:
				break;
		}
	}
	are = translate_pattern(r, pat->u.str.s, pat->u.str.len);
	w = palloc((strlen(are) + 1) * sizeof(pg_wchar));
	wlen = pg_mb2wchar_with_len(are, w, (int) strlen(are));
	rc = pg_regcomp(&r->re, w, wlen, cflags, DEFAULT_COLLATION_OID);
	if (rc != REG_OKAY)
	{
		char		msg[128];

		pg_regerror(rc, &r->re, msg, sizeof(msg));
		regex_input_error(action, "invalid regex pattern \"%.*s\": %s", (int) pat->u.str.len, pat->u.str.s, msg);
	}
	r->ngroups = (int) r->re.re_nsub;
	r->m = palloc(sizeof(regmatch_t) * (r->ngroups + 1));
}

static void
regex_set_text(JsRegex *r, JvArena *a, Jv *input)
{
	size_t		tlen;
	const char *text = tf_text(a, tf_arg(input, "text"), &tlen);
	int			nchars = pg_mbstrlen_with_len(text, (int) tlen);

	if (nchars > REGEX_MAX_TEXT_LENGTH)
	{
		pg_regfree(&r->re);
		regex_input_error(r->action, "text length %d exceeds maximum %d", nchars, REGEX_MAX_TEXT_LENGTH);
	}
	r->data = palloc((tlen + 1) * sizeof(pg_wchar));
	r->dlen = pg_mb2wchar_with_len(text, r->data, (int) tlen);
}

/* next match at or after start; false when none */
static bool
regex_exec(JsRegex *r, int start)
{
	int			rc;

	if (start > r->dlen)
		return false;
	CHECK_FOR_INTERRUPTS();
	rc = pg_regexec(&r->re, r->data, r->dlen, start, NULL, r->ngroups + 1, r->m, 0);
	if (rc == REG_NOMATCH)
		return false;
	if (rc != REG_OKAY)
	{
		char		msg[128];

		pg_regerror(rc, &r->re, msg, sizeof(msg));
		pg_regfree(&r->re);
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("%s: regular expression failed: %s", r->action, msg)));
	}
	return true;
}

static Jv *
wide_string(JvArena *a, JsRegex *r, int so, int eo)
{
	int			n = eo - so;
	char	   *buf = palloc((size_t) n * pg_database_encoding_max_length() + 1);
	int			blen = pg_wchar2mb_with_len(r->data + so, buf, n);

	return tf_check(jv_string(a, buf, blen));
}

static void
append_wide(JvBuf *b, JsRegex *r, int so, int eo)
{
	int			n = eo - so;
	char	   *buf;
	int			blen;

	if (n <= 0)
		return;
	buf = palloc((size_t) n * pg_database_encoding_max_length() + 1);
	blen = pg_wchar2mb_with_len(r->data + so, buf, n);
	jv_buf_append(b, buf, blen);
	pfree(buf);
}

static Jv *
groups_array(JvArena *a, JsRegex *r)
{
	Jv		   *g = tf_check(jv_array(a, r->ngroups));
	int			i;

	for (i = 1; i <= r->ngroups; i++)
		if (!jv_array_push(a, g, r->m[i].rm_so < 0 ? tf_check(jv_null(a))
						   : wide_string(a, r, r->m[i].rm_so, r->m[i].rm_eo)))
			(void) tf_check(NULL);
	return g;
}

static Jv *
named_groups(JvArena *a, JsRegex *r)
{
	Jv		   *o = tf_check(jv_object(a, 0));
	int			i;

	for (i = 1; i <= r->ngroups; i++)
		if (r->names[i])
			tf_set(a, o, r->names[i], r->m[i].rm_so < 0 ? tf_check(jv_null(a))
				   : wide_string(a, r, r->m[i].rm_so, r->m[i].rm_eo));
	return o;
}

static bool
require_match(Jv *input)
{
	Jv		   *v = tf_arg(input, "requireMatch");

	return v && v->type == JV_BOOL && v->u.b;
}

Jv *
tf_regex_match(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	const char *action = "transform.regex_match";
	JsRegex		r;
	bool		global;
	Jv		   *out = tf_check(jv_object(a, 5));

	regex_compile(&r, action, input, &global);
	regex_set_text(&r, a, input);
	if (!regex_exec(&r, 0))
	{
		pg_regfree(&r.re);
		if (require_match(input))
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("%s: no match found but requireMatch is true", action),
					 errhint("Set requireMatch to false to get \"matched\": false instead of an error.")));
		tf_set(a, out, "matched", tf_check(jv_bool(a, false)));
		tf_set(a, out, "match", tf_check(jv_null(a)));
		tf_set(a, out, "index", tf_check(jv_null(a)));
		tf_set(a, out, "groups", tf_check(jv_array(a, 0)));
		tf_set(a, out, "namedGroups", tf_check(jv_object(a, 0)));
		return out;
	}
	tf_set(a, out, "matched", tf_check(jv_bool(a, true)));
	tf_set(a, out, "match", wide_string(a, &r, r.m[0].rm_so, r.m[0].rm_eo));
	tf_set(a, out, "index", tf_check(jv_number(a, r.m[0].rm_so)));
	tf_set(a, out, "groups", groups_array(a, &r));
	tf_set(a, out, "namedGroups", named_groups(a, &r));
	pg_regfree(&r.re);
	return out;
}

Jv *
tf_regex_extract(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	const char *action = "transform.regex_extract";
	JsRegex		r;
	bool		global;
	Jv		   *mm = tf_arg(input, "maxMatches");
	double		max = REGEX_DEFAULT_MAX_MATCHES;
	Jv		   *matches = tf_check(jv_array(a, 8));
	Jv		   *out = tf_check(jv_object(a, 4));
	int			start = 0;

	if (mm && mm->type == JV_NUMBER)
		max = mm->u.num;
	if (max > REGEX_MAX_MATCHES_LIMIT)
		regex_input_error(action, "maxMatches %g exceeds maximum %d", max, REGEX_MAX_MATCHES_LIMIT);
	if (max < 1)
		regex_input_error(action, "maxMatches must be a positive integer");
	regex_compile(&r, action, input, &global);
	regex_set_text(&r, a, input);
	while ((double) matches->u.arr.n < max && regex_exec(&r, start))
	{
		Jv		   *m = tf_check(jv_object(a, 4));

		tf_set(a, m, "text", wide_string(a, &r, r.m[0].rm_so, r.m[0].rm_eo));
		tf_set(a, m, "index", tf_check(jv_number(a, r.m[0].rm_so)));
		tf_set(a, m, "groups", groups_array(a, &r));
		tf_set(a, m, "namedGroups", named_groups(a, &r));
		if (!jv_array_push(a, matches, m))
			(void) tf_check(NULL);
		start = r.m[0].rm_eo == r.m[0].rm_so ? r.m[0].rm_eo + 1 : r.m[0].rm_eo;
	}
	pg_regfree(&r.re);
	if (matches->u.arr.n == 0 && require_match(input))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("%s: no match found but requireMatch is true", action)));
	tf_set(a, out, "matched", tf_check(jv_bool(a, matches->u.arr.n > 0)));
	tf_set(a, out, "count", tf_check(jv_number(a, (double) matches->u.arr.n)));
	tf_set(a, out, "first", matches->u.arr.n > 0 ? matches->u.arr.items[0] : tf_check(jv_null(a)));
	tf_set(a, out, "matches", matches);
	return out;
}

/* JavaScript GetSubstitution: $$ $& $` $' $n $nn $<name> */
static void
expand_replacement(JvBuf *b, JsRegex *r, const char *rep, size_t rlen)
{
	size_t		i;

	for (i = 0; i < rlen; i++)
	{
		char		c = rep[i];

		if (c != '$' || i + 1 >= rlen)
		{
			jv_buf_appendc(b, c);
			continue;
		}
		c = rep[i + 1];
		if (c == '$')
		{
			jv_buf_appendc(b, '$');
			i++;
		}
		else if (c == '&')
		{
			append_wide(b, r, r->m[0].rm_so, r->m[0].rm_eo);
			i++;
		}
		else if (c == '`')
		{
			append_wide(b, r, 0, r->m[0].rm_so);
			i++;
		}
		else if (c == '\'')
		{
			append_wide(b, r, r->m[0].rm_eo, r->dlen);
			i++;
		}
		else if (c >= '0' && c <= '9')
		{
			int			n1 = c - '0';
			int			n2 = (i + 2 < rlen && rep[i + 2] >= '0' && rep[i + 2] <= '9') ? n1 * 10 + (rep[i + 2] - '0') : -1;
			int			g = -1;

			if (n2 >= 1 && n2 <= r->ngroups)
			{
				g = n2;
				i += 2;
			}
			else if (n1 >= 1 && n1 <= r->ngroups)
			{
				g = n1;
				i += 1;
			}
			if (g < 0)
			{
				jv_buf_appendc(b, '$');
				continue;
			}
			if (r->m[g].rm_so >= 0)
				append_wide(b, r, r->m[g].rm_so, r->m[g].rm_eo);
		}
		else if (c == '<' && r->has_names)
		{
			const char *close = memchr(rep + i + 2, '>', rlen - i - 2);
			char	   *name;
			int			g;

			if (close == NULL)
			{
				jv_buf_appendc(b, '$');
				continue;
			}
			name = pnstrdup(rep + i + 2, close - (rep + i + 2));
			for (g = 1; g <= r->ngroups; g++)
				if (r->names[g] && strcmp(r->names[g], name) == 0)
					break;
			if (g <= r->ngroups && r->m[g].rm_so >= 0)
				append_wide(b, r, r->m[g].rm_so, r->m[g].rm_eo);
			i = close - rep;
		}
		else
			jv_buf_appendc(b, '$');
	}
}

Jv *
tf_regex_replace(JvArena *a, Jv *input, const BuiltinContext *ctx)
{
	const char *action = "transform.regex_replace";
	JsRegex		r;
	bool		global;
	Jv		   *rv = tf_arg(input, "replacement");
	Jv		   *all = tf_arg(input, "replaceAll");
	bool		replace_all = !(all && all->type == JV_BOOL && !all->u.b);
	JvBuf		b;
	int			start = 0;
	int			copied = 0;
	int			count = 0;
	Jv		   *out = tf_check(jv_object(a, 2));

	if (rv == NULL || rv->type != JV_STRING)
		regex_input_error(action, "replacement must be a string");
	regex_compile(&r, action, input, &global);
	regex_set_text(&r, a, input);
	jv_buf_init(&b, a);
	jv_buf_append(&b, "", 0);
	while (regex_exec(&r, start))
	{
		count++;
		if (count > REGEX_MAX_MATCHES_LIMIT)
		{
			pg_regfree(&r.re);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: match count exceeded maximum %d", action, REGEX_MAX_MATCHES_LIMIT),
					 errhint("Narrow the pattern, or replace only the first match (replaceAll: false).")));
		}
		append_wide(&b, &r, copied, r.m[0].rm_so);
		expand_replacement(&b, &r, rv->u.str.s, rv->u.str.len);
		copied = r.m[0].rm_eo;
		if (!replace_all)
			break;
		start = r.m[0].rm_eo == r.m[0].rm_so ? r.m[0].rm_eo + 1 : r.m[0].rm_eo;
	}
	append_wide(&b, &r, copied, r.dlen);
	pg_regfree(&r.re);
	if (b.failed)
		(void) tf_check(NULL);
	tf_set(a, out, "text", tf_check(jv_string(a, b.data, b.len)));
	tf_set(a, out, "replacementCount", tf_check(jv_number(a, count)));
	return out;
}
