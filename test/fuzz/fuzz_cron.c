/*
 * fuzz_cron.c — cron expressions: the parser never crashes or overreads, and
 * for every expression it accepts, cron_next_naive returns the first matching
 * minute (checked by brute force over a short window) and agrees with
 * cron_matches.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		buf[256];
	char		err[256];
	CronSpec	spec;
	static const int64_t starts[] = {0, 951782400 /* 2000-02-29 */, 1710030600, -86400 * 365, 4102444799};
	size_t		i;

	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (!cron_parse(buf, &spec, err, sizeof(err)))
	{
		if (err[0] == '\0')
			abort();			/* a refusal always says why */
		return 0;
	}
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
	{
		int64_t		from = starts[i] + (int64_t) (size * 37);
		int64_t		limit = from + 3 * 86400;
		int64_t		next;
		bool		found = cron_next_naive(&spec, from, limit, &next);
		int64_t		m;
		int64_t		first = from - (((from % 60) + 60) % 60);	/* floor to a minute */

		if (first < from)
			first += 60;		/* ceiling */
		if (found)
		{
			if (next < from || next >= limit || next % 60 != 0 || !cron_matches(&spec, next))
				abort();
			for (m = first; m < next; m += 60)
				if (cron_matches(&spec, m))
					abort();
		}
		else
		{
			for (m = first; m < limit; m += 60)
				if (cron_matches(&spec, m))
					abort();
		}
	}
	return 0;
}
