/*
 * ratelimit.c — sliding-window request log (see ratelimit.h).  Plain C.
 */
#include <string.h>

#include "ratelimit.h"

int64_t
rl_acquire(int64_t *log, int *n, int limit, int64_t window_ms, int64_t now_ms)
{
	int			keep = 0;
	int			i;

	if (limit < 1)
		limit = 1;
	if (limit > RL_MAX_REQUESTS)
		limit = RL_MAX_REQUESTS;
	if (window_ms < 1)
		window_ms = 1;
	if (*n < 0)
		*n = 0;
	if (*n > RL_MAX_REQUESTS)
		*n = RL_MAX_REQUESTS;

	/* forget the sends that left the window (and any from the future: a clock step) */
	for (i = 0; i < *n; i++)
		if (log[i] > now_ms - window_ms && log[i] <= now_ms)
			log[keep++] = log[i];
	*n = keep;

	/* a smaller limit than before: only the newest sends count */
	if (*n > limit)
	{
		memmove(log, log + (*n - limit), sizeof(int64_t) * limit);
		*n = limit;
	}
	if (*n < limit)
	{
		/* keep it sorted (times can only be equal or later, but be safe) */
		i = *n;
		while (i > 0 && log[i - 1] > now_ms)
		{
			log[i] = log[i - 1];
			i--;
		}
		log[i] = now_ms;
		(*n)++;
		return 0;
	}
	return log[0] + window_ms - now_ms;
}
