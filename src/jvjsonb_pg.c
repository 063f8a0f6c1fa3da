/*
 * jvjsonb_pg.c — encode a jval tree in Jsonb's on-disk format directly,
 * copying the bytes of cached subtrees (see jvjsonb_pg.h).
 *
 * The format is the one jsonb_util.c's convertJsonbValue() writes: a container
 * is a header word (count and JB_FOBJECT/JB_FARRAY), one JEntry per child (an
 * object's keys first, sorted by length then bytes, then its values), and the
 * children's data; every JB_OFFSET_STRIDE'th JEntry holds an end offset
 * instead of a length; numerics and containers are padded to int alignment,
 * the padding counting as part of their data.  Padding is relative to the
 * container's start, which is itself int-aligned, so a container's bytes can
 * be copied to any int-aligned position.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "jval_pg.h"
#include "jvjsonb_pg.h"

#define CACHE_MIN_BYTES		128		/* smaller containers are cheaper to re-encode */
#define CACHE_MAX_BYTES		(16 * 1024 * 1024)

typedef struct CacheEntry
{
	const Jv   *key;
	char	   *bytes;
	int			len;
} CacheEntry;

struct JvJsonbCache
{
	MemoryContext parent;
	MemoryContext cxt;
	HTAB	   *h;
	Size		total;
};

static void
cache_reset(JvJsonbCache *c)
{
	HASHCTL		hctl;

	if (c->cxt)
		MemoryContextDelete(c->cxt);
	c->cxt = AllocSetContextCreate(c->parent, "algawf jsonb cache", ALLOCSET_DEFAULT_SIZES);
	memset(&hctl, 0, sizeof(hctl));
	hctl.keysize = sizeof(const Jv *);
	hctl.entrysize = sizeof(CacheEntry);
	hctl.hcxt = c->cxt;
	c->h = hash_create("algawf jsonb cache", 256, &hctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	c->total = 0;
}

JvJsonbCache *
jvjsonb_cache_create(MemoryContext cxt)
{
	JvJsonbCache *c = MemoryContextAllocZero(cxt, sizeof(JvJsonbCache));

	c->parent = cxt;
	cache_reset(c);
	return c;
}

static void
pad_to_int(StringInfo b)
{
	int			pad = INTALIGN(b->len) - b->len;

	if (pad > 0)
	{
		enlargeStringInfo(b, pad);
		memset(b->data + b->len, 0, pad);
		b->len += pad;
		b->data[b->len] = '\0';
	}
}

static void
check_len(int len)
{
	if (len > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("total size of jsonb object elements exceeds the maximum of %d bytes",
						JENTRY_OFFLENMASK)));
}

static void encode_container(StringInfo b, const Jv *v, JvJsonbCache *cache);

/* append v's data; return its JEntry (type | length of the data appended) */
static JEntry
encode_value(StringInfo b, const Jv *v, JvJsonbCache *cache)
{
	int			start = b->len;

	switch (v->type)
	{
		case JV_NULL:
			return JENTRY_ISNULL;
		case JV_BOOL:
			return v->u.b ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE;
		case JV_STRING:
			check_len(v->u.str.len);
			appendBinaryStringInfo(b, v->u.str.s, v->u.str.len);
			return JENTRY_ISSTRING | (JEntry) v->u.str.len;
		case JV_NUMBER:
			{
				char		buf[32];
				Numeric		n;

				if (!isfinite(v->u.num))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("number %s cannot be represented in JSON",
									isnan(v->u.num) ? "NaN" : "Infinity")));
				jv_format_number(v->u.num, buf);
				n = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
														ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
				pad_to_int(b);
				appendBinaryStringInfo(b, (char *) n, VARSIZE_ANY(n));
				return JENTRY_ISNUMERIC | (JEntry) (b->len - start);
			}
		case JV_ARRAY:
		case JV_OBJECT:
			pad_to_int(b);
			encode_container(b, v, cache);
			check_len(b->len - start);
			return JENTRY_ISCONTAINER | (JEntry) (b->len - start);
	}
	elog(ERROR, "algawf: unexpected jval type %d", (int) v->type);
	return 0;
}

static int
key_cmp(const JvPair *a, const JvPair *b)
{
	int			c;

	if (a->klen != b->klen)
		return a->klen < b->klen ? -1 : 1;
	c = memcmp(a->key, b->key, a->klen);
	return c;
}

static int
pair_ptr_cmp(const void *x, const void *y)
{
	return key_cmp(*(const JvPair *const *) x, *(const JvPair *const *) y);
}

/* write child JEntries at jentries[first...] as lengths, every stride'th as an end offset */
static void
put_entry(StringInfo b, int jentry_pos, int index, JEntry meta, int *totallen)
{
	int			len = JBE_OFFLENFLD(meta);

	*totallen += len;
	check_len(*totallen);
	if ((index % JB_OFFSET_STRIDE) == 0)
		meta = (meta & JENTRY_TYPEMASK) | (JEntry) *totallen | JENTRY_HAS_OFF;
	memcpy(b->data + jentry_pos + index * sizeof(JEntry), &meta, sizeof(JEntry));
}

/* append the container for v at an int-aligned position */
static void
encode_container(StringInfo b, const Jv *v, JvJsonbCache *cache)
{
	int			start = b->len;
	CacheEntry *e = NULL;
	bool		found = false;
	uint32		header;
	int			n;
	int			jentry_pos;
	int			totallen = 0;
	int			i;

	Assert(b->len == INTALIGN(b->len));
	if (cache)
	{
		e = hash_search(cache->h, &v, HASH_FIND, &found);
		if (found)
		{
			appendBinaryStringInfo(b, e->bytes, e->len);
			return;
		}
	}

	if (v->type == JV_ARRAY)
	{
		n = (int) v->u.arr.n;
		header = (uint32) n | JB_FARRAY;
		appendBinaryStringInfo(b, (char *) &header, sizeof(uint32));
		jentry_pos = b->len;
		enlargeStringInfo(b, n * sizeof(JEntry));
		b->len += n * sizeof(JEntry);
		for (i = 0; i < n; i++)
			put_entry(b, jentry_pos, i, encode_value(b, v->u.arr.items[i], cache), &totallen);
	}
	else
	{
		const JvPair **sorted;

		n = (int) v->u.obj.n;
		sorted = palloc(sizeof(JvPair *) * (n + 1));
		for (i = 0; i < n; i++)
			sorted[i] = &v->u.obj.pairs[i];
		if (n > 1)
			qsort(sorted, n, sizeof(JvPair *), pair_ptr_cmp);
		header = (uint32) n | JB_FOBJECT;
		appendBinaryStringInfo(b, (char *) &header, sizeof(uint32));
		jentry_pos = b->len;
		enlargeStringInfo(b, 2 * n * sizeof(JEntry));
		b->len += 2 * n * sizeof(JEntry);
		for (i = 0; i < n; i++)
		{
			check_len(sorted[i]->klen);
			appendBinaryStringInfo(b, sorted[i]->key, sorted[i]->klen);
			put_entry(b, jentry_pos, i, JENTRY_ISSTRING | (JEntry) sorted[i]->klen, &totallen);
		}
		for (i = 0; i < n; i++)
			put_entry(b, jentry_pos, i + n, encode_value(b, sorted[i]->val, cache), &totallen);
		pfree(sorted);
	}

	if (cache && b->len - start >= CACHE_MIN_BYTES)
	{
		int			len = b->len - start;

		if (cache->total + len > CACHE_MAX_BYTES)
			return;				/* full: emptied at the next top-level call */
		e = hash_search(cache->h, &v, HASH_ENTER, &found);
		e->bytes = MemoryContextAlloc(cache->cxt, len);
		memcpy(e->bytes, b->data + start, len);
		e->len = len;
		cache->total += len;
	}
}

Jsonb *
jv_to_jsonb_cached(const Jv *v, JvJsonbCache *cache)
{
	StringInfoData b;
	Jsonb	   *res;

	if (cache && cache->total > CACHE_MAX_BYTES / 2)
		cache_reset(cache);
	initStringInfo(&b);
	/* varlena header, filled in below */
	appendBinaryStringInfo(&b, "\0\0\0\0", VARHDRSZ);
	if (v->type == JV_ARRAY || v->type == JV_OBJECT)
		encode_container(&b, v, cache);
	else
	{
		/* a raw scalar: a one-element array flagged JB_FSCALAR */
		uint32		header = 1 | JB_FARRAY | JB_FSCALAR;
		int			jentry_pos;
		int			totallen = 0;

		appendBinaryStringInfo(&b, (char *) &header, sizeof(uint32));
		jentry_pos = b.len;
		enlargeStringInfo(&b, sizeof(JEntry));
		b.len += sizeof(JEntry);
		put_entry(&b, jentry_pos, 0, encode_value(&b, v, cache), &totallen);
	}
	res = (Jsonb *) b.data;
	SET_VARSIZE(res, b.len);
	return res;
}

/*
 * algawf._jv_reencode(jsonb) -> boolean: whether the jsonb, converted to a jval
 * and encoded here (twice: cold, then from the cache), is byte for byte what
 * PostgreSQL's own encoder produces.  For the tests.
 */
PG_FUNCTION_INFO_V1(algawf_jv_reencode);
Datum
algawf_jv_reencode(PG_FUNCTION_ARGS)
{
	Jsonb	   *in = PG_GETARG_JSONB_P(0);
	JvArena		a;
	Jv		   *v;
	Jsonb	   *theirs;
	Jsonb	   *ours;
	Jsonb	   *again;
	JvJsonbCache *cache = jvjsonb_cache_create(CurrentMemoryContext);

	jv_arena_init_pg(&a, CurrentMemoryContext);
	v = jv_from_jsonb(&a, in);
	theirs = jv_to_jsonb(v);
	ours = jv_to_jsonb_cached(v, cache);
	again = jv_to_jsonb_cached(v, cache);
	PG_RETURN_BOOL(VARSIZE(theirs) == VARSIZE(ours) && VARSIZE(theirs) == VARSIZE(again) &&
				   memcmp(theirs, ours, VARSIZE(ours)) == 0 &&
				   memcmp(theirs, again, VARSIZE(again)) == 0);
}
