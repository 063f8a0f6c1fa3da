/*
 * algawf.c — module entry point.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	algawf_define_gucs();

	/* pg_upgrade loads libraries to check them; start nothing then */
	if (IsBinaryUpgrade)
		return;
}
