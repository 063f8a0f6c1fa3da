/*
 * hostlist.h — the HTTP host allowlist (algawf.http_allowed_hosts and the
 * hosts integrations configure).  Pure C: also linked into fuzz targets.
 *
 * A list is comma-separated entries: "api.example.com" (that host, any
 * port), "api.example.com:8443" (that host and port), "*.example.com" (any
 * subdomain, not example.com itself), "*" (every host).  IPv6 literals are
 * written in brackets: "[::1]:8080".  Matching ignores case and a trailing
 * dot of the host.
 */
#ifndef ALGAWF_HOSTLIST_H
#define ALGAWF_HOSTLIST_H

#include <stdbool.h>

extern bool hostlist_allows(const char *list, const char *host, int port);

#endif							/* ALGAWF_HOSTLIST_H */
