/*
 * algawf.c — module entry point.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "guc.h"
#include "shmem.h"
#include "wake.h"
#include "worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	algawf_define_gucs();

	/* pg_upgrade loads libraries to check them; start nothing then */
	if (IsBinaryUpgrade)
		return;

	/* wake-at-commit: one transaction callback per process */
	algawf_wake_init();

	/*
	 * Background execution needs shared memory and the launcher, which only
	 * shared_preload_libraries can provide; loaded later, everything else
	 * works and algawf.status() says how to turn the workers on.
	 */
	if (!process_shared_preload_libraries_in_progress)
		return;
	algawf_shmem_init();
	algawf_ddl_guard_init();
	if (algawf_workers > 0)
		algawf_launcher_register();
}
