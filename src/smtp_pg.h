/*
 * smtp_pg.h — delivering algawf.email_outbox: claim queued messages in one
 * transaction, send them with smtp.c outside any transaction, record the
 * results in another.  CALL algawf.deliver_email() strings the three
 * together with commits in between; the background worker may do the same
 * from its own loop:
 *
 *     StartTransactionCommand(); SPI_connect(); PushActiveSnapshot(...);
 *     batch = email_outbox_claim(100, worker_cxt);
 *     SPI_finish(); PopActiveSnapshot(); CommitTransactionCommand();
 *
 *     email_outbox_send(batch);                 -- no transaction, no locks
 *
 *     StartTransactionCommand(); SPI_connect(); PushActiveSnapshot(...);
 *     email_outbox_record(batch, &sent, &retrying, &failed);
 *     SPI_finish(); PopActiveSnapshot(); CommitTransactionCommand();
 *     email_outbox_free(batch);
 *
 * The claim sees what row-level security lets the current role see: a
 * superuser (the worker) claims every tenant's messages, a tenant member
 * only its tenant's.  A claimed message holds a lease (status sending,
 * lease_expires_at); a sender that dies leaves it to be claimed again when
 * the lease expires.
 */
#ifndef ALGAWF_SMTP_PG_H
#define ALGAWF_SMTP_PG_H

#include "postgres.h"
#include "utils/memutils.h"

typedef struct EmailBatch EmailBatch;

/* in a transaction with SPI connected; the batch lives in cxt */
extern EmailBatch *email_outbox_claim(int max_messages, int lease_seconds, MemoryContext cxt);

/* outside any transaction (or in one that holds nothing): sends each message; never throws */
extern void email_outbox_send(EmailBatch *b);

/* in a transaction with SPI connected */
extern void email_outbox_record(EmailBatch *b, int *sent, int *retrying, int *failed);

extern int	email_outbox_batch_size(EmailBatch *b);
extern void email_outbox_free(EmailBatch *b);

#endif							/* ALGAWF_SMTP_PG_H */
