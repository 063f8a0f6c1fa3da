/*
 * hostlist.c — host allowlist matching (see hostlist.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostlist.h"

static bool
span_equal_ci(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

static bool
entry_allows(const char *e, size_t elen, const char *host, size_t hlen, int port)
{
	const char *colon = NULL;
	size_t		i;
	size_t		namelen = elen;
	int			eport = -1;

	if (elen == 1 && e[0] == '*')
		return true;

	/* split off ":port" (after a closing bracket for IPv6 literals) */
	for (i = elen; i > 0; i--)
	{
		if (e[i - 1] == ':')
		{
			colon = e + i - 1;
			break;
		}
		if (e[i - 1] == ']' || !isdigit((unsigned char) e[i - 1]))
			break;
	}
	if (colon && colon > e && (e[0] != '[' || colon[-1] == ']'))
	{
		char		buf[8];
		size_t		plen = elen - (size_t) (colon - e) - 1;

		if (plen == 0 || plen >= sizeof(buf))
			return false;
		memcpy(buf, colon + 1, plen);
		buf[plen] = '\0';
		eport = atoi(buf);
		namelen = (size_t) (colon - e);
	}
	if (eport >= 0 && eport != port)
		return false;

	if (namelen > 2 && e[0] == '*' && e[1] == '.')
	{
		/* "*.example.com": a proper subdomain */
		size_t		suffix = namelen - 1;	/* ".example.com" */

		return hlen > suffix && span_equal_ci(host + hlen - suffix, suffix, e + 1, suffix);
	}
	return span_equal_ci(e, namelen, host, hlen);
}

bool
hostlist_allows(const char *list, const char *host, int port)
{
	const char *p = list;
	size_t		hlen;

	if (list == NULL || host == NULL || host[0] == '\0')
		return false;
	hlen = strlen(host);
	if (hlen > 1 && host[hlen - 1] == '.')
		hlen--;

	while (*p)
	{
		const char *start;
		const char *end;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > start + 1 && end[-1] == '.' && end[-2] != '*')
			end--;				/* trailing dot of the entry */
		if (end > start && entry_allows(start, (size_t) (end - start), host, hlen, port))
			return true;
	}
	return false;
}
