/*
 * redact.c — what never reaches a stored row in clear: declared redact paths,
 * {"$secret": ...} markers, values under sensitive-looking keys, and the
 * resolved secret values wherever they reappear inside strings.
 *
 * Paths are dotted keys with [n] / [*] for array items and * for any key
 * ("credentials.password", "items[*].token", "*.apiKey").  Array levels the
 * path does not mention are crossed transparently, as JSONata paths do:
 * "recipients.email" also covers recipients[3].email.
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "action.h"

#define REDACTED "[REDACTED]"

typedef enum SegKind
{
	SEG_KEY,
	SEG_ANYKEY,
	SEG_INDEX,
	SEG_ANYINDEX
} SegKind;

typedef struct PathSeg
{
	SegKind		kind;
	char	   *key;
	int			index;
} PathSeg;

typedef struct RedactPath
{
	int			n;
	PathSeg    *segs;
} RedactPath;

/* one step of the actual path while walking a value */
typedef struct ActualSeg
{
	bool		is_index;
	const char *key;
	int			klen;
	int			index;
} ActualSeg;

#define MAX_WALK_DEPTH 256

static RedactPath *
parse_path(const char *s, char **problem)
{
	RedactPath *p = palloc0(sizeof(RedactPath));
	int			cap = 8;
	const char *c = s;

	p->segs = palloc(sizeof(PathSeg) * cap);
	if (*c == '\0')
	{
		*problem = psprintf("empty redact path");
		return NULL;
	}
	while (*c)
	{
		PathSeg		seg;

		if (p->n > 0 && *c == '.')
			c++;
		if (*c == '[')
		{
			const char *close = strchr(c, ']');

			if (close == NULL)
			{
				*problem = psprintf("redact path \"%s\": unclosed [", s);
				return NULL;
			}
			if (close == c + 2 && c[1] == '*')
				seg.kind = SEG_ANYINDEX;
			else
			{
				const char *d;

				if (close == c + 1)
				{
					*problem = psprintf("redact path \"%s\": empty []", s);
					return NULL;
				}
				for (d = c + 1; d < close; d++)
					if (!isdigit((unsigned char) *d))
					{
						*problem = psprintf("redact path \"%s\": [%.*s] is neither an index nor *", s,
											(int) (close - c - 1), c + 1);
						return NULL;
					}
				seg.kind = SEG_INDEX;
				seg.index = atoi(c + 1);
			}
			seg.key = NULL;
			c = close + 1;
		}
		else
		{
			const char *start = c;

			while (*c && *c != '.' && *c != '[')
			{
				if (*c == ']')
				{
					*problem = psprintf("redact path \"%s\": unexpected ]", s);
					return NULL;
				}
				c++;
			}
			if (c == start)
			{
				*problem = psprintf("redact path \"%s\": empty key", s);
				return NULL;
			}
			seg.key = pnstrdup(start, c - start);
			seg.kind = strcmp(seg.key, "*") == 0 ? SEG_ANYKEY : SEG_KEY;
			seg.index = 0;
		}
		if (p->n == cap)
		{
			cap *= 2;
			p->segs = repalloc(p->segs, sizeof(PathSeg) * cap);
		}
		p->segs[p->n++] = seg;
		if (*c && *c != '.' && *c != '[')
		{
			*problem = psprintf("redact path \"%s\": unexpected \"%c\"", s, *c);
			return NULL;
		}
		if (*c == '.' && c[1] == '\0')
		{
			*problem = psprintf("redact path \"%s\": ends with a dot", s);
			return NULL;
		}
	}
	return p;
}

List *
redact_parse_paths(List *paths, bool throw_error, char **problem)
{
	List	   *out = NIL;
	ListCell   *lc;

	if (problem)
		*problem = NULL;
	foreach(lc, paths)
	{
		char	   *msg = NULL;
		RedactPath *p = parse_path((const char *) lfirst(lc), &msg);

		if (p == NULL)
		{
			if (throw_error)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s", msg),
						 errhint("Paths are dotted keys with [*] or [n] for array items and * for any key, e.g. \"credentials.password\", \"items[*].token\".")));
			if (problem)
				*problem = msg;
			return NIL;
		}
		out = lappend(out, p);
	}
	return out;
}

static bool
match_from(const RedactPath *p, int pi, const ActualSeg *act, int n, int ai)
{
	for (;;)
	{
		const PathSeg *s;

		if (pi == p->n)
			return ai == n;
		if (ai == n)
			return false;
		s = &p->segs[pi];
		if (act[ai].is_index)
		{
			if (s->kind == SEG_INDEX)
			{
				if (s->index != act[ai].index)
					return false;
			}
			else if (s->kind == SEG_KEY)
			{
				/* cross an array level the path does not mention */
				ai++;
				continue;
			}
			/* ANYINDEX, ANYKEY match any item */
		}
		else
		{
			if (s->kind == SEG_INDEX || s->kind == SEG_ANYINDEX)
				return false;
			if (s->kind == SEG_KEY &&
				!(strlen(s->key) == (size_t) act[ai].klen && memcmp(s->key, act[ai].key, act[ai].klen) == 0))
				return false;
		}
		pi++;
		ai++;
	}
}

static bool
path_matches(const RedactSpec *spec, const ActualSeg *act, int n)
{
	ListCell   *lc;

	foreach(lc, spec->paths)
		if (match_from((const RedactPath *) lfirst(lc), 0, act, n, 0))
			return true;
	return false;
}

bool
redact_key_is_sensitive(const char *key, int len)
{
	static const char *const words[] = {"secret", "token", "password", "api_key", "apikey", "api-key",
	"authorization", NULL};
	char	   *lower = palloc(len + 1);
	int			i;
	bool		found = false;

	for (i = 0; i < len; i++)
		lower[i] = (char) tolower((unsigned char) key[i]);
	lower[len] = '\0';
	for (i = 0; words[i] && !found; i++)
		if (strstr(lower, words[i]) != NULL)
			found = true;
	pfree(lower);
	return found;
}

char *
secret_marker_name(JsonbContainer *c)
{
	JsonbValue *v;

	if (!JsonContainerIsObject(c) || JsonContainerSize(c) != 1)
		return NULL;
	v = getKeyJsonValueFromContainer(c, "$secret", 7, NULL);
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* replace every occurrence of a secret value (3+ bytes) in s */
char *
algawf_scrub_text(const char *s, const RedactSpec *spec)
{
	ListCell   *lc;
	char	   *cur;

	if (s == NULL || spec == NULL || spec->secret_values == NIL)
		return s ? pstrdup(s) : NULL;
	cur = pstrdup(s);
	foreach(lc, spec->secret_values)
	{
		const char *secret = lfirst(lc);
		size_t		slen = strlen(secret);
		StringInfoData buf;
		const char *p;
		const char *hit;

		if (slen < 3 || strstr(cur, secret) == NULL)
			continue;
		initStringInfo(&buf);
		p = cur;
		while ((hit = strstr(p, secret)) != NULL)
		{
			appendBinaryStringInfo(&buf, p, hit - p);
			appendStringInfoString(&buf, REDACTED);
			p = hit + slen;
		}
		appendStringInfoString(&buf, p);
		cur = buf.data;
	}
	return cur;
}

/* remember the text of redacted scalars (3+ bytes), to scrub them from messages */
static void
collect_values(const RedactSpec *spec, JsonbValue *v)
{
	char	   *text = NULL;

	check_stack_depth();
	if (v->type == jbvString)
		text = pnstrdup(v->val.string.val, v->val.string.len);
	else if (v->type == jbvNumeric)
		text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	else if (v->type == jbvBinary)
	{
		JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
		JsonbValue	e;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
			if (tok == WJB_VALUE || tok == WJB_ELEM)
				collect_values(spec, &e);
		return;
	}
	if (text && strlen(text) >= 3)
		*spec->collect = lappend(*spec->collect, text);
}

static void
push_redacted(JsonbParseState **st, JsonbIteratorToken tok)
{
	JsonbValue	r;

	r.type = jbvString;
	r.val.string.val = REDACTED;
	r.val.string.len = strlen(REDACTED);
	(void) pushJsonbValue(st, tok, &r);
}

static JsonbValue *redact_container(JsonbParseState **st, JsonbContainer *c, const RedactSpec *spec,
									ActualSeg *path, int depth);

/* one value at path[0..depth) */
static void
redact_value(JsonbParseState **st, JsonbValue *v, JsonbIteratorToken tok, const RedactSpec *spec,
			 ActualSeg *path, int depth, bool sensitive_key)
{
	if (depth > 0 && (sensitive_key || (spec->paths && path_matches(spec, path, depth))))
	{
		if (spec->collect)
			collect_values(spec, v);
		push_redacted(st, tok);
		return;
	}
	if (v->type == jbvBinary)
	{
		if (spec->markers && secret_marker_name(v->val.binary.data) != NULL)
		{
			push_redacted(st, tok);
			return;
		}
		if (depth >= MAX_WALK_DEPTH)
		{
			(void) pushJsonbValue(st, tok, v);
			return;
		}
		redact_container(st, v->val.binary.data, spec, path, depth);
		return;
	}
	if (v->type == jbvString && spec->secret_values != NIL)
	{
		char	   *s = pnstrdup(v->val.string.val, v->val.string.len);
		char	   *scrubbed = algawf_scrub_text(s, spec);

		if (strcmp(s, scrubbed) != 0)
		{
			JsonbValue	r;

			r.type = jbvString;
			r.val.string.val = scrubbed;
			r.val.string.len = strlen(scrubbed);
			(void) pushJsonbValue(st, tok, &r);
			return;
		}
	}
	(void) pushJsonbValue(st, tok, v);
}

static JsonbValue *
redact_container(JsonbParseState **st, JsonbContainer *c, const RedactSpec *spec,
				 ActualSeg *path, int depth)
{
	JsonbValue *result = NULL;
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbValue	key = {0};
	int			index = 0;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
				/* v carries the raw-scalar flag */
				(void) pushJsonbValue(st, tok, &v);
				break;
			case WJB_BEGIN_OBJECT:
				(void) pushJsonbValue(st, tok, NULL);
				break;
			case WJB_END_ARRAY:
			case WJB_END_OBJECT:
				result = pushJsonbValue(st, tok, NULL);
				break;
			case WJB_KEY:
				key = v;
				(void) pushJsonbValue(st, tok, &v);
				break;
			case WJB_VALUE:
				path[depth].is_index = false;
				path[depth].key = key.val.string.val;
				path[depth].klen = key.val.string.len;
				redact_value(st, &v, tok, spec, path, depth + 1,
							 spec->sensitive_keys && redact_key_is_sensitive(key.val.string.val, key.val.string.len));
				break;
			case WJB_ELEM:
				if (JsonContainerIsScalar(c))
				{
					redact_value(st, &v, tok, spec, path, depth, false);
					break;
				}
				path[depth].is_index = true;
				path[depth].index = index++;
				redact_value(st, &v, tok, spec, path, depth + 1, false);
				break;
			default:
				break;
		}
	}
	return result;
}

Jsonb *
algawf_redact(Jsonb *value, const RedactSpec *spec)
{
	JsonbParseState *st = NULL;
	ActualSeg  *path;
	JsonbValue *result;

	if (value == NULL)
		return NULL;
	path = palloc(sizeof(ActualSeg) * (MAX_WALK_DEPTH + 1));
	result = redact_container(&st, &value->root, spec, path, 0);
	pfree(path);
	return JsonbValueToJsonb(result);
}

PG_FUNCTION_INFO_V1(algawf_redact_sql);
Datum
algawf_redact_sql(PG_FUNCTION_ARGS)
{
	Jsonb	   *value = PG_GETARG_JSONB_P(0);
	RedactSpec	spec = {0};

	if (!PG_ARGISNULL(1))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		int			i;
		List	   *paths = NIL;

		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		for (i = 0; i < n; i++)
			if (!nulls[i])
				paths = lappend(paths, TextDatumGetCString(elems[i]));
		spec.paths = redact_parse_paths(paths, true, NULL);
	}
	spec.markers = true;
	spec.sensitive_keys = true;
	PG_RETURN_JSONB_P(algawf_redact(value, &spec));
}
