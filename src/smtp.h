/*
 * smtp.h — sending one e-mail over SMTP with libcurl (smtp://, smtps://,
 * STARTTLS), and building the RFC 5322 message it sends.
 *
 * Plain C: no PostgreSQL headers, no ereport, no palloc.  Everything here may
 * run outside any transaction and inside libcurl callbacks; memory is
 * malloc'd and errors come back as values with a message in a caller's
 * buffer.  The PostgreSQL side (claiming queued messages, recording results)
 * is smtp_pg.c.
 */
#ifndef ALGAWF_SMTP_H
#define ALGAWF_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "jval.h"

#define SMTP_ERRBUF_SIZE 512
#define SMTP_MAX_RECIPIENTS 100

typedef enum SmtpSecurity
{
	SMTP_SECURITY_NONE,			/* plain smtp:// */
	SMTP_SECURITY_STARTTLS,		/* smtp:// upgraded with STARTTLS (required) */
	SMTP_SECURITY_TLS			/* implicit TLS, smtps:// */
} SmtpSecurity;

typedef struct SmtpAddress
{
	const char *email;
	const char *name;			/* display name, or NULL */
} SmtpAddress;

typedef struct SmtpMessage
{
	SmtpAddress from;
	const SmtpAddress *reply_to;	/* or NULL */
	const SmtpAddress *to;
	int			nto;
	const SmtpAddress *cc;
	int			ncc;
	const SmtpAddress *bcc;		/* envelope only, never in the headers */
	int			nbcc;
	const char *subject;
	const char *text;			/* text/plain body, or NULL */
	const char *html;			/* text/html body, or NULL (one of the two is required) */
	const char *message_id;		/* "<id@domain>", or NULL to generate one */
	const char *date;			/* RFC 5322 date, or NULL for now */
} SmtpMessage;

typedef struct SmtpServer
{
	const char *host;
	int			port;
	SmtpSecurity security;
	const char *username;		/* NULL: no AUTH */
	const char *password;
	long		timeout_ms;		/* whole transfer; 0 = 60 s */
	long		connect_timeout_ms; /* 0 = 10 s */
	bool		insecure_tls;	/* skip certificate and host name checks (tests only) */
	const char *ca_file;		/* NULL: the system's CA store */
	const char *helo_domain;	/* EHLO name, NULL: libcurl's default */
	/* polled during the transfer; returning true aborts it (query cancel, shutdown) */
	bool		(*should_abort) (void *arg);
	void	   *abort_arg;
} SmtpServer;

typedef enum SmtpStatus
{
	SMTP_OK = 0,
	SMTP_INVALID,				/* the message or server settings are unusable; nothing was sent */
	SMTP_TRANSIENT,				/* try again later: connection problems, timeouts, 4xx replies */
	SMTP_PERMANENT				/* refused for good: 5xx replies, authentication, TLS */
} SmtpStatus;

typedef struct SmtpResult
{
	SmtpStatus	status;
	const char *code;			/* algawf error code (NULL when sent): TRANSIENT_FAILURE,
								 * VALIDATION_ERROR, PERMISSION_DENIED, INTERNAL_ERROR */
	long		smtp_code;		/* the server's last reply code, 0 if none */
	int			curl_code;		/* CURLcode */
	char		reply[256];		/* the server's last reply line */
	char		error[SMTP_ERRBUF_SIZE];
	long		elapsed_ms;
} SmtpResult;

/*
 * The message as sent (RFC 5322, CRLF line ends, MIME multipart/alternative
 * when both bodies are given, quoted-printable UTF-8 bodies, RFC 2047 encoded
 * non-ASCII header text).  Refuses CR/LF in any header field (header
 * injection) and malformed addresses.  Returns malloc'd text, or NULL with a
 * message in errbuf (SMTP_ERRBUF_SIZE bytes).
 */
extern char *smtp_build_message(const SmtpMessage *m, size_t *len, char *errbuf);

/* true when email is an address smtp_build_message accepts */
extern bool smtp_address_valid(const char *email);

/* Send one message (blocking).  errbuf (SMTP_ERRBUF_SIZE bytes) gets the error. */
extern SmtpStatus smtp_send(const SmtpMessage *m, const SmtpServer *s, char *errbuf);

/* The same, with the whole result. */
extern SmtpStatus smtp_send_ex(const SmtpMessage *m, const SmtpServer *s, SmtpResult *r);

/*
 * For a libcurl multi handle: a prepared transfer whose easy handle the
 * caller adds to its multi handle (smtp_transfer_easy returns a CURL *), and
 * whose CURLcode it passes to smtp_transfer_result when done.
 */
typedef struct SmtpTransfer SmtpTransfer;
extern SmtpTransfer *smtp_transfer_new(const SmtpMessage *m, const SmtpServer *s, char *errbuf);
extern void *smtp_transfer_easy(SmtpTransfer *t);
extern void smtp_transfer_result(SmtpTransfer *t, int curl_code, SmtpResult *r);
extern void smtp_transfer_free(SmtpTransfer *t);

/*
 * A queued request as algawf.email_outbox stores it -- {"server": {host,
 * port, security, username}, "envelope": {...}, "message": {from, to, cc,
 * bcc, reply_to, subject, text, html, message_id, date}} -- read into m and
 * s.  Strings point into the Jv tree (or the arena); bcc comes from the
 * message's "bcc" or, when absent, from envelope recipients not in to/cc.
 * The password is not part of the request: set s->password yourself.
 * Returns false with errbuf set on a malformed request.
 */
extern bool smtp_request_from_jv(JvArena *a, const Jv *request, SmtpMessage *m, SmtpServer *s, char *errbuf);

#endif							/* ALGAWF_SMTP_H */
