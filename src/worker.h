/*
 * worker.h — background execution: the launcher (launcher.c), the executors
 * (executor.c) and the DDL guard (ddl_guard.c).
 */
#ifndef ALGAWF_WORKER_H
#define ALGAWF_WORKER_H

#include "postgres.h"

/* registers the launcher; _PG_init, only while preloading */
extern void algawf_launcher_register(void);

/* installs the object-access and utility hooks; _PG_init, only while preloading */
extern void algawf_ddl_guard_init(void);

/* background worker entry points (bgw_function_name) */
extern PGDLLEXPORT void algawf_launcher_main(Datum arg);
extern PGDLLEXPORT void algawf_executor_main(Datum arg);

/* true in an executor process */
extern bool algawf_is_executor;

#endif							/* ALGAWF_WORKER_H */
