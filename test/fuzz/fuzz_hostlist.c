/*
 * fuzz_hostlist.c — the HTTP host allowlist matcher: no crashes on any list
 * or host, "*" allows everything, an empty list nothing, and a host always
 * allows itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		buf[512];
	char	   *host;
	char	   *nl;
	int			port;

	if (size < 2 || size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	port = data[0] * 256 + data[1];
	nl = memchr(buf + 2, '\n', size - 2);
	if (nl == NULL)
		return 0;
	*nl = '\0';
	host = nl + 1;
	(void) hostlist_allows(buf + 2, host, port);
	if (host[0] && strchr(host, ',') == NULL && !hostlist_allows("*", host, port))
		abort();
	if (hostlist_allows("", host, port))
		abort();
	if (host[0] && strchr(host, ',') == NULL && strchr(host, ' ') == NULL && strchr(host, '\t') == NULL &&
		strchr(host, ':') == NULL && host[0] != '*' && host[strlen(host) - 1] != '.' &&
		!hostlist_allows(host, host, port))
		abort();
	return 0;
}
