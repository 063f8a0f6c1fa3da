/*
 * wake.h — waking the background executors without polling.
 *
 * Any code that makes work for the executors calls one of these inside the
 * transaction that makes it; nothing happens until (and unless) that
 * transaction commits.  One transaction callback, registered once in
 * _PG_init, sets the executors' latches at XACT_EVENT_COMMIT.  All of them
 * are cheap no-ops when algawf is not preloaded.
 */
#ifndef ALGAWF_WAKE_H
#define ALGAWF_WAKE_H

#include "utils/timestamp.h"

/* a run was queued or resumed (runnable now): wake an executor at commit */
extern void algawf_wake_at_commit(void);

/*
 * a timer was set (run parked until t, retry back-off, wait timeout,
 * approval expiry, schedule's next fire, outbox retry): at commit make sure
 * a sleeping executor wakes no later than t
 */
extern void algawf_wake_at(TimestampTz t);

/* wake the executors now (not transactional) */
extern void algawf_wake_executors(bool all);

/* wake the launcher now */
extern void algawf_wake_launcher(void);

/* registers the transaction callback; called once from _PG_init */
extern void algawf_wake_init(void);

/*
 * DDL guard (ddl_guard.c) bookkeeping, released at the end of the
 * transaction that took it: "the executors must leave the database" and
 * "the executors must not touch the extension's tables".
 */
extern void algawf_hold_db_busy(void);
extern void algawf_hold_ext_busy(void);
extern void algawf_wake_launcher_at_commit(void);
extern void algawf_wake_all_at_commit(void);

#endif							/* ALGAWF_WAKE_H */
