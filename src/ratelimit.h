/*
 * ratelimit.h — per integration and tenant request limits, shared by every
 * executor: a sliding-window log ("at most N requests in any P seconds"),
 * kept in algawf.rate_limits (see ratelimit_pg.c).  The arithmetic is plain C.
 *
 * Unlike a token bucket, a window log never lets more than N requests through
 * in any window of P seconds, which is what vendors such as Huntress (60 per
 * minute) enforce.
 */
#ifndef ALGAWF_RATELIMIT_H
#define ALGAWF_RATELIMIT_H

#include <stdint.h>

#define RL_MAX_REQUESTS 1000

/*
 * log: the send times (Unix ms, ascending) of the requests still in the
 * window, *n of them (capacity RL_MAX_REQUESTS).  Returns 0 when a request
 * may go now (and records it), else how many ms until one may.
 */
extern int64_t rl_acquire(int64_t *log, int *n, int limit, int64_t window_ms, int64_t now_ms);

#endif							/* ALGAWF_RATELIMIT_H */
