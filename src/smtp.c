/*
 * smtp.c — one e-mail over SMTP with libcurl, and the RFC 5322 / MIME
 * message it sends.  See smtp.h.
 *
 * No PostgreSQL here: this runs between transactions and inside libcurl
 * callbacks, which must never ereport (a longjmp through libcurl's frames
 * corrupts it).  Memory is malloc'd and freed before returning; errors are
 * values with a message in the caller's buffer.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "smtp.h"

/* ---- a growable string (malloc) ----------------------------------------- */

typedef struct Sb
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		oom;
} Sb;

static void
sb_grow(Sb *b, size_t more)
{
	size_t		need;
	char	   *p;

	if (b->oom)
		return;
	need = b->len + more + 1;
	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 1024;
	while (b->cap < need)
		b->cap *= 2;
	p = realloc(b->data, b->cap);
	if (p == NULL)
	{
		b->oom = true;
		return;
	}
	b->data = p;
}

static void
sb_putn(Sb *b, const char *s, size_t n)
{
	sb_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
sb_puts(Sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void
sb_putc(Sb *b, char c)
{
	sb_putn(b, &c, 1);
}

static void sb_printf(Sb *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));
static void seterr(char *errbuf, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(Sb *b, const char *fmt,...)
{
	char		buf[512];
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_putn(b, buf, (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1);
}

static void
seterr(char *errbuf, const char *fmt,...)
{
	va_list		ap;

	if (errbuf == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, SMTP_ERRBUF_SIZE, fmt, ap);
	va_end(ap);
}

/* ---- checks --------------------------------------------------------------- */

static bool
has_line_break(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

static bool
is_ascii_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e)
			return false;
	return true;
}

bool
smtp_address_valid(const char *email)
{
	const char *at;
	const char *c;
	size_t		len;

	if (email == NULL)
		return false;
	len = strlen(email);
	if (len < 3 || len > 254)
		return false;
	at = strchr(email, '@');
	if (at == NULL || at == email || strchr(at + 1, '@') != NULL || at[1] == '\0' || at - email > 64)
		return false;
	/* local part: dot-atom */
	if (email[0] == '.' || at[-1] == '.')
		return false;
	for (c = email; c < at; c++)
	{
		if (isalnum((unsigned char) *c))
			continue;
		if (strchr("!#$%&'*+/=?^_`{|}~.-", *c) == NULL || *c == '\0')
			return false;
		if (*c == '.' && c[1] == '.')
			return false;
	}
	/* domain: letters, digits, hyphens and dots, no empty labels */
	if (at[1] == '.' || email[len - 1] == '.' || strchr(at, '.') == NULL)
		return false;
	for (c = at + 1; *c; c++)
	{
		if (isalnum((unsigned char) *c) || *c == '-')
			continue;
		if (*c == '.' && c[1] != '.' && c[1] != '\0')
			continue;
		return false;
	}
	return true;
}

/* ---- encodings ------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
sb_base64(Sb *b, const unsigned char *p, size_t n)
{
	size_t		i;

	for (i = 0; i + 2 < n; i += 3)
	{
		sb_putc(b, b64[p[i] >> 2]);
		sb_putc(b, b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		sb_putc(b, b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)]);
		sb_putc(b, b64[p[i + 2] & 63]);
	}
	if (n - i == 1)
	{
		sb_putc(b, b64[p[i] >> 2]);
		sb_putc(b, b64[(p[i] & 3) << 4]);
		sb_puts(b, "==");
	}
	else if (n - i == 2)
	{
		sb_putc(b, b64[p[i] >> 2]);
		sb_putc(b, b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		sb_putc(b, b64[(p[i + 1] & 15) << 2]);
		sb_putc(b, '=');
	}
}

/*
 * RFC 2047 encoded words (UTF-8, base64) for header text that is not plain
 * ASCII, at most 45 input bytes (60 encoded characters) per word, never
 * splitting a UTF-8 sequence, words separated by folding white space.
 */
static void
sb_encoded_words(Sb *b, const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		n = strlen(s);
	size_t		pos = 0;
	bool		first = true;

	while (pos < n)
	{
		size_t		take = n - pos > 45 ? 45 : n - pos;

		/* back up to a character boundary */
		while (take > 0 && pos + take < n && (p[pos + take] & 0xc0) == 0x80)
			take--;
		if (take == 0)
			take = n - pos > 45 ? 45 : n - pos;
		if (!first)
			sb_puts(b, "\r\n ");
		sb_puts(b, "=?UTF-8?B?");
		sb_base64(b, p + pos, take);
		sb_puts(b, "?=");
		pos += take;
		first = false;
	}
}

/* an unstructured header field (Subject): ASCII as it is, else encoded words */
static void
sb_header_text(Sb *b, const char *name, const char *value)
{
	sb_puts(b, name);
	sb_puts(b, ": ");
	if (is_ascii_printable(value))
		sb_puts(b, value);
	else
		sb_encoded_words(b, value);
	sb_puts(b, "\r\n");
}

/* "Display Name" <email>, or <email> */
static void
sb_address(Sb *b, const SmtpAddress *a)
{
	if (a->name && a->name[0])
	{
		if (is_ascii_printable(a->name))
		{
			const char *c;

			sb_putc(b, '"');
			for (c = a->name; *c; c++)
			{
				if (*c == '"' || *c == '\\')
					sb_putc(b, '\\');
				sb_putc(b, *c);
			}
			sb_puts(b, "\" ");
		}
		else
		{
			sb_encoded_words(b, a->name);
			sb_putc(b, ' ');
		}
	}
	sb_putc(b, '<');
	sb_puts(b, a->email);
	sb_putc(b, '>');
}

/* To/Cc: addresses separated by commas, one per folded line after the first */
static void
sb_address_list(Sb *b, const char *name, const SmtpAddress *list, int n)
{
	int			i;

	sb_puts(b, name);
	sb_puts(b, ": ");
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			sb_puts(b, ",\r\n ");
		sb_address(b, &list[i]);
	}
	sb_puts(b, "\r\n");
}

/*
 * Quoted-printable (RFC 2045) with CRLF line ends: lines of at most 76
 * characters, "=" and non-ASCII bytes escaped, white space before a line
 * end escaped, and a "." starting a line escaped (so no line of the body
 * can end the SMTP DATA phase, whatever the transport does).  Bare CR or LF
 * in the input become CRLF.
 */
static void
sb_quoted_printable(Sb *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *) s;
	int			col = 0;

	while (*p)
	{
		unsigned char c = *p;
		bool		eol_next;
		char		enc[4];
		int			enc_len;

		if (c == '\r' || c == '\n')
		{
			sb_puts(b, "\r\n");
			col = 0;
			if (c == '\r' && p[1] == '\n')
				p++;
			p++;
			continue;
		}
		eol_next = (p[1] == '\0' || p[1] == '\r' || p[1] == '\n');
		if ((c >= 33 && c <= 126 && c != '=' && !(c == '.' && col == 0)) ||
			((c == ' ' || c == '\t') && !eol_next))
		{
			enc[0] = (char) c;
			enc_len = 1;
		}
		else
		{
			enc[0] = '=';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			enc_len = 3;
		}
		/* soft line break: keep lines at most 76 characters, "=" included */
		if (col + enc_len > 75)
		{
			sb_puts(b, "=\r\n");
			col = 0;
			if (enc_len == 1 && c == '.')
			{
				/* a "." now starting a line */
				enc[0] = '=';
				enc[1] = '2';
				enc[2] = 'E';
				enc_len = 3;
			}
		}
		sb_putn(b, enc, enc_len);
		col += enc_len;
		p++;
	}
}

/* ---- ids and dates -------------------------------------------------------- */

static void
random_hex(char *out, int nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[32];
	int			fd;
	int			i;
	bool		got = false;

	if (nbytes > (int) sizeof(buf))
		nbytes = sizeof(buf);
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
	{
		got = read(fd, buf, nbytes) == nbytes;
		close(fd);
	}
	if (!got)
	{
		struct timespec ts;
		uint64_t	x;

		clock_gettime(CLOCK_REALTIME, &ts);
		x = ((uint64_t) ts.tv_sec * 1000000007u) ^ (uint64_t) ts.tv_nsec ^ ((uint64_t) getpid() << 32);
		for (i = 0; i < nbytes; i++)
		{
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (unsigned char) x;
		}
	}
	for (i = 0; i < nbytes; i++)
	{
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

/* RFC 5322 date in UTC, independent of the process's locale */
static void
rfc5322_now(char *out, size_t outlen)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d +0000",
			 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- the message ---------------------------------------------------------- */

static bool
check_address(const SmtpAddress *a, const char *field, char *errbuf)
{
	if (!smtp_address_valid(a->email))
	{
		seterr(errbuf, "%s: \"%.200s\" is not a valid e-mail address", field, a->email ? a->email : "(null)");
		return false;
	}
	if (has_line_break(a->name))
	{
		seterr(errbuf, "%s: the display name contains a line break (header injection refused)", field);
		return false;
	}
	return true;
}

static bool
check_message(const SmtpMessage *m, char *errbuf)
{
	int			i;

	if (!check_address(&m->from, "from", errbuf))
		return false;
	if (m->reply_to && !check_address(m->reply_to, "reply_to", errbuf))
		return false;
	if (m->nto < 1)
	{
		seterr(errbuf, "to: at least one recipient is required");
		return false;
	}
	if (m->nto + m->ncc + m->nbcc > SMTP_MAX_RECIPIENTS)
	{
		seterr(errbuf, "too many recipients (at most %d)", SMTP_MAX_RECIPIENTS);
		return false;
	}
	for (i = 0; i < m->nto; i++)
		if (!check_address(&m->to[i], "to", errbuf))
			return false;
	for (i = 0; i < m->ncc; i++)
		if (!check_address(&m->cc[i], "cc", errbuf))
			return false;
	for (i = 0; i < m->nbcc; i++)
		if (!check_address(&m->bcc[i], "bcc", errbuf))
			return false;
	if (m->subject == NULL)
	{
		seterr(errbuf, "subject: required");
		return false;
	}
	if (has_line_break(m->subject) || strlen(m->subject) > 998)
	{
		seterr(errbuf, "subject: line breaks and more than 998 bytes are refused (header injection)");
		return false;
	}
	if (has_line_break(m->message_id) || has_line_break(m->date))
	{
		seterr(errbuf, "message_id/date: line breaks are refused (header injection)");
		return false;
	}
	if (m->message_id && (m->message_id[0] != '<' || m->message_id[strlen(m->message_id) - 1] != '>' ||
						  strchr(m->message_id, ' ') != NULL || strlen(m->message_id) > 250))
	{
		seterr(errbuf, "message_id: \"%.100s\" is not of the form <id@domain>", m->message_id);
		return false;
	}
	if (m->text == NULL && m->html == NULL)
	{
		seterr(errbuf, "a text or an html body is required");
		return false;
	}
	return true;
}

static void
sb_body_part(Sb *b, const char *subtype, const char *body)
{
	sb_printf(b, "Content-Type: text/%s; charset=UTF-8\r\n", subtype);
	sb_puts(b, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	sb_quoted_printable(b, body);
	sb_puts(b, "\r\n");
}

char *
smtp_build_message(const SmtpMessage *m, size_t *len, char *errbuf)
{
	Sb			b = {0};
	char		date[64];
	char		rnd[65];

	if (!check_message(m, errbuf))
		return NULL;

	if (m->date)
		snprintf(date, sizeof(date), "%s", m->date);
	else
		rfc5322_now(date, sizeof(date));
	sb_printf(&b, "Date: %s\r\n", date);
	sb_puts(&b, "From: ");
	sb_address(&b, &m->from);
	sb_puts(&b, "\r\n");
	sb_address_list(&b, "To", m->to, m->nto);
	if (m->ncc > 0)
		sb_address_list(&b, "Cc", m->cc, m->ncc);
	if (m->reply_to)
	{
		sb_puts(&b, "Reply-To: ");
		sb_address(&b, m->reply_to);
		sb_puts(&b, "\r\n");
	}
	sb_header_text(&b, "Subject", m->subject);
	if (m->message_id)
		sb_printf(&b, "Message-ID: %s\r\n", m->message_id);
	else
	{
		random_hex(rnd, 16);
		sb_printf(&b, "Message-ID: <%s@%s>\r\n", rnd, strchr(m->from.email, '@') + 1);
	}
	sb_puts(&b, "MIME-Version: 1.0\r\n");

	if (m->text && m->html)
	{
		char		boundary[80];

		/* "=_" never occurs in quoted-printable text, so the boundary cannot either */
		random_hex(rnd, 12);
		snprintf(boundary, sizeof(boundary), "=_algawf_%s", rnd);
		sb_printf(&b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
		sb_puts(&b, "This is a multi-part message in MIME format.\r\n");
		sb_printf(&b, "--%s\r\n", boundary);
		sb_body_part(&b, "plain", m->text);
		sb_printf(&b, "--%s\r\n", boundary);
		sb_body_part(&b, "html", m->html);
		sb_printf(&b, "--%s--\r\n", boundary);
	}
	else if (m->text)
		sb_body_part(&b, "plain", m->text);
	else
		sb_body_part(&b, "html", m->html);

	if (b.oom)
	{
		free(b.data);
		seterr(errbuf, "out of memory building the message");
		return NULL;
	}
	if (len)
		*len = b.len;
	return b.data;
}

/* ---- the transfer --------------------------------------------------------- */

struct SmtpTransfer
{
	CURL	   *easy;
	struct curl_slist *rcpt;
	char	   *data;			/* the message */
	size_t		len;
	size_t		pos;
	char		url[600];
	char		mail_from[300];
	char		reply[256];		/* last reply line from the server */
	char		curl_error[CURL_ERROR_SIZE];
	struct timespec started;
	bool		(*should_abort) (void *arg);
	void	   *abort_arg;
	bool		aborted;
};

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	SmtpTransfer *t = arg;
	size_t		room = size * nitems;
	size_t		left = t->len - t->pos;
	size_t		n = left < room ? left : room;

	memcpy(buf, t->data + t->pos, n);
	t->pos += n;
	return n;
}

/* keeps the server's last reply line (CURLINFO_HEADER_IN carries SMTP replies) */
static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	SmtpTransfer *t = arg;
	size_t		n;

	(void) h;
	if (type != CURLINFO_HEADER_IN || size == 0)
		return 0;
	/* the goodbye after QUIT says nothing about the message: keep the reply before it */
	if (size >= 3 && memcmp(data, "221", 3) == 0 && t->reply[0])
		return 0;
	n = size < sizeof(t->reply) - 1 ? size : sizeof(t->reply) - 1;
	memcpy(t->reply, data, n);
	while (n > 0 && (t->reply[n - 1] == '\n' || t->reply[n - 1] == '\r'))
		n--;
	t->reply[n] = '\0';
	return 0;
}

static int
progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	SmtpTransfer *t = arg;

	(void) dltotal;
	(void) dlnow;
	(void) ultotal;
	(void) ulnow;
	if (t->should_abort && t->should_abort(t->abort_arg))
	{
		t->aborted = true;
		return 1;
	}
	return 0;
}

static bool
host_valid(const char *host)
{
	const char *c;

	if (host == NULL || host[0] == '\0' || strlen(host) > 253)
		return false;
	for (c = host; *c; c++)
		if (!(isalnum((unsigned char) *c) || *c == '.' || *c == '-' || *c == ':' || *c == '_'))
			return false;
	return true;
}

static struct curl_slist *
add_rcpt(struct curl_slist *list, const char *email, bool *oom)
{
	char		buf[300];
	struct curl_slist *l;

	snprintf(buf, sizeof(buf), "<%s>", email);
	l = curl_slist_append(list, buf);
	if (l == NULL)
		*oom = true;
	return l ? l : list;
}

SmtpTransfer *
smtp_transfer_new(const SmtpMessage *m, const SmtpServer *s, char *errbuf)
{
	SmtpTransfer *t;
	bool		oom = false;
	int			i;
	bool		ipv6;
	static bool curl_ready = false;

	if (!host_valid(s->host) || s->port < 1 || s->port > 65535)
	{
		seterr(errbuf, "invalid SMTP server \"%.100s\" port %d", s->host ? s->host : "(null)", s->port);
		return NULL;
	}
	if (has_line_break(s->username) || has_line_break(s->password) || has_line_break(s->helo_domain))
	{
		seterr(errbuf, "line breaks in the SMTP user name, password or EHLO name are refused");
		return NULL;
	}
	if (!curl_ready)
	{
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		{
			seterr(errbuf, "could not initialise libcurl");
			return NULL;
		}
		curl_ready = true;
	}

	t = calloc(1, sizeof(SmtpTransfer));
	if (t == NULL)
	{
		seterr(errbuf, "out of memory");
		return NULL;
	}
	t->data = smtp_build_message(m, &t->len, errbuf);
	if (t->data == NULL)
	{
		free(t);
		return NULL;
	}
	t->easy = curl_easy_init();
	if (t->easy == NULL)
	{
		smtp_transfer_free(t);
		seterr(errbuf, "could not create a libcurl handle");
		return NULL;
	}

	ipv6 = strchr(s->host, ':') != NULL;
	snprintf(t->url, sizeof(t->url), "%s://%s%s%s:%d/%s",
			 s->security == SMTP_SECURITY_TLS ? "smtps" : "smtp",
			 ipv6 ? "[" : "", s->host, ipv6 ? "]" : "", s->port,
			 s->helo_domain ? s->helo_domain : "");
	snprintf(t->mail_from, sizeof(t->mail_from), "<%s>", m->from.email);
	for (i = 0; i < m->nto; i++)
		t->rcpt = add_rcpt(t->rcpt, m->to[i].email, &oom);
	for (i = 0; i < m->ncc; i++)
		t->rcpt = add_rcpt(t->rcpt, m->cc[i].email, &oom);
	for (i = 0; i < m->nbcc; i++)
		t->rcpt = add_rcpt(t->rcpt, m->bcc[i].email, &oom);
	if (oom)
	{
		smtp_transfer_free(t);
		seterr(errbuf, "out of memory");
		return NULL;
	}
	t->should_abort = s->should_abort;
	t->abort_arg = s->abort_arg;

	curl_easy_setopt(t->easy, CURLOPT_URL, t->url);
	curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(t->easy, CURLOPT_REDIR_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->curl_error);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, s->timeout_ms > 0 ? s->timeout_ms : 60000L);
	curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms > 0 ? s->connect_timeout_ms : 10000L);
	curl_easy_setopt(t->easy, CURLOPT_MAIL_FROM, t->mail_from);
	curl_easy_setopt(t->easy, CURLOPT_MAIL_RCPT, t->rcpt);
	curl_easy_setopt(t->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(t->easy, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(t->easy, CURLOPT_READDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t) t->len);
	curl_easy_setopt(t->easy, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(t->easy, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(t->easy, CURLOPT_DEBUGDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(t->easy, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(t->easy, CURLOPT_XFERINFODATA, t);
	if (s->security == SMTP_SECURITY_STARTTLS)
		curl_easy_setopt(t->easy, CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);
	if (s->security != SMTP_SECURITY_NONE)
	{
		curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYPEER, s->insecure_tls ? 0L : 1L);
		curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYHOST, s->insecure_tls ? 0L : 2L);
		if (s->ca_file)
			curl_easy_setopt(t->easy, CURLOPT_CAINFO, s->ca_file);
	}
	if (s->username && s->username[0])
	{
		curl_easy_setopt(t->easy, CURLOPT_USERNAME, s->username);
		curl_easy_setopt(t->easy, CURLOPT_PASSWORD, s->password ? s->password : "");
	}
	clock_gettime(CLOCK_MONOTONIC, &t->started);
	return t;
}

void *
smtp_transfer_easy(SmtpTransfer *t)
{
	return t->easy;
}

static void
classify_reply(SmtpResult *r)
{
	long		c = r->smtp_code;

	if (c >= 400 && c < 500)
	{
		r->status = SMTP_TRANSIENT;
		r->code = "TRANSIENT_FAILURE";
	}
	else if (c == 530 || c == 534 || c == 535 || c == 538)
	{
		r->status = SMTP_PERMANENT;
		r->code = "PERMISSION_DENIED";
	}
	else if (c == 501 || c == 550 || c == 551 || c == 553 || c == 555)
	{
		r->status = SMTP_PERMANENT;
		r->code = "VALIDATION_ERROR";
	}
	else
	{
		r->status = SMTP_PERMANENT;
		r->code = "INTERNAL_ERROR";
	}
}

void
smtp_transfer_result(SmtpTransfer *t, int curl_code, SmtpResult *r)
{
	long		resp = 0;
	struct timespec now;

	memset(r, 0, sizeof(*r));
	r->curl_code = curl_code;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &resp);
	r->smtp_code = resp;
	snprintf(r->reply, sizeof(r->reply), "%s", t->reply);
	clock_gettime(CLOCK_MONOTONIC, &now);
	r->elapsed_ms = (now.tv_sec - t->started.tv_sec) * 1000 + (now.tv_nsec - t->started.tv_nsec) / 1000000;

	if (curl_code == CURLE_OK)
	{
		r->status = SMTP_OK;
		r->code = NULL;
		return;
	}
	snprintf(r->error, sizeof(r->error), "%s%s%s",
			 curl_easy_strerror((CURLcode) curl_code),
			 t->curl_error[0] ? ": " : "", t->curl_error);

	if (t->aborted)
	{
		r->status = SMTP_TRANSIENT;
		r->code = "TRANSIENT_FAILURE";
		snprintf(r->error, sizeof(r->error), "sending was interrupted");
		return;
	}
	switch (curl_code)
	{
		case CURLE_LOGIN_DENIED:
		case CURLE_AUTH_ERROR:
			r->status = SMTP_PERMANENT;
			r->code = "PERMISSION_DENIED";
			return;
		case CURLE_USE_SSL_FAILED:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
			r->status = SMTP_PERMANENT;
			r->code = "INTERNAL_ERROR";
			return;
		default:
			break;
	}
	if (resp >= 400)
	{
		classify_reply(r);
		return;
	}
	/* connection refused or lost, timeouts, name resolution, TLS handshake: try again */
	r->status = SMTP_TRANSIENT;
	r->code = "TRANSIENT_FAILURE";
}

void
smtp_transfer_free(SmtpTransfer *t)
{
	if (t == NULL)
		return;
	if (t->easy)
		curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->rcpt);
	free(t->data);
	free(t);
}

SmtpStatus
smtp_send_ex(const SmtpMessage *m, const SmtpServer *s, SmtpResult *r)
{
	SmtpTransfer *t;
	CURLcode	rc;

	memset(r, 0, sizeof(*r));
	t = smtp_transfer_new(m, s, r->error);
	if (t == NULL)
	{
		r->status = SMTP_INVALID;
		r->code = "VALIDATION_ERROR";
		return r->status;
	}
	rc = curl_easy_perform(t->easy);
	smtp_transfer_result(t, (int) rc, r);
	smtp_transfer_free(t);
	return r->status;
}

SmtpStatus
smtp_send(const SmtpMessage *m, const SmtpServer *s, char *errbuf)
{
	SmtpResult	r;

	smtp_send_ex(m, s, &r);
	if (r.status != SMTP_OK && errbuf)
		snprintf(errbuf, SMTP_ERRBUF_SIZE, "%s%s%s", r.error, r.reply[0] ? " (server: " : "",
				 r.reply[0] ? r.reply : "");
	if (r.status != SMTP_OK && errbuf && r.reply[0])
		strncat(errbuf, ")", SMTP_ERRBUF_SIZE - strlen(errbuf) - 1);
	return r.status;
}

/* ---- the queued request --------------------------------------------------- */

static const char *
jv_str(JvArena *a, const Jv *obj, const char *key)
{
	Jv		   *v = obj ? jv_object_get(obj, key, strlen(key)) : NULL;

	if (v == NULL || v->type != JV_STRING)
		return NULL;
	return jv_strndup(a, v->u.str.s, v->u.str.len);
}

static bool
jv_address(JvArena *a, const Jv *v, SmtpAddress *out)
{
	if (v == NULL)
		return false;
	if (v->type == JV_STRING)
	{
		out->email = jv_strndup(a, v->u.str.s, v->u.str.len);
		out->name = NULL;
		return out->email != NULL;
	}
	if (v->type != JV_OBJECT)
		return false;
	out->email = jv_str(a, v, "email");
	out->name = jv_str(a, v, "name");
	return out->email != NULL;
}

static bool
jv_address_list(JvArena *a, const Jv *obj, const char *key, const SmtpAddress **out, int *n, char *errbuf)
{
	Jv		   *v = obj ? jv_object_get(obj, key, strlen(key)) : NULL;
	SmtpAddress *list;
	size_t		i;

	*out = NULL;
	*n = 0;
	if (v == NULL || v->type == JV_NULL)
		return true;
	if (v->type != JV_ARRAY || v->u.arr.n > SMTP_MAX_RECIPIENTS)
	{
		seterr(errbuf, "message.%s must be an array of at most %d addresses", key, SMTP_MAX_RECIPIENTS);
		return false;
	}
	list = jv_alloc(a, sizeof(SmtpAddress) * (v->u.arr.n + 1));
	if (list == NULL)
	{
		seterr(errbuf, "out of memory");
		return false;
	}
	for (i = 0; i < v->u.arr.n; i++)
		if (!jv_address(a, v->u.arr.items[i], &list[i]))
		{
			seterr(errbuf, "message.%s[%d] is not an address", key, (int) i);
			return false;
		}
	*out = list;
	*n = (int) v->u.arr.n;
	return true;
}

static bool
listed(const SmtpAddress *l, int n, const char *email)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcasecmp(l[i].email, email) == 0)
			return true;
	return false;
}

bool
smtp_request_from_jv(JvArena *a, const Jv *request, SmtpMessage *m, SmtpServer *s, char *errbuf)
{
	const Jv   *server;
	const Jv   *msg;
	const Jv   *env;
	Jv		   *v;
	const char *security;

	memset(m, 0, sizeof(*m));
	memset(s, 0, sizeof(*s));
	if (request == NULL || request->type != JV_OBJECT)
	{
		seterr(errbuf, "the request must be an object {server, envelope, message}");
		return false;
	}
	server = jv_object_get(request, "server", 6);
	msg = jv_object_get(request, "message", 7);
	env = jv_object_get(request, "envelope", 8);
	if (server == NULL || server->type != JV_OBJECT || msg == NULL || msg->type != JV_OBJECT)
	{
		seterr(errbuf, "the request needs \"server\" and \"message\" objects");
		return false;
	}

	s->host = jv_str(a, server, "host");
	v = jv_object_get(server, "port", 4);
	s->port = (v && v->type == JV_NUMBER && v->u.num >= 1 && v->u.num <= 65535) ? (int) v->u.num : 0;
	security = jv_str(a, server, "security");
	if (security == NULL || strcmp(security, "none") == 0)
		s->security = SMTP_SECURITY_NONE;
	else if (strcmp(security, "starttls") == 0)
		s->security = SMTP_SECURITY_STARTTLS;
	else if (strcmp(security, "tls") == 0)
		s->security = SMTP_SECURITY_TLS;
	else
	{
		seterr(errbuf, "server.security must be none, starttls or tls");
		return false;
	}
	s->username = jv_str(a, server, "username");
	v = jv_object_get(server, "timeout_ms", 10);
	if (v && v->type == JV_NUMBER && v->u.num > 0)
		s->timeout_ms = (long) v->u.num;
	v = jv_object_get(server, "insecure_tls", 12);
	s->insecure_tls = v && v->type == JV_BOOL && v->u.b;
	s->helo_domain = jv_str(a, server, "helo_domain");
	if (s->host == NULL || s->port == 0)
	{
		seterr(errbuf, "server needs host and port");
		return false;
	}

	if (!jv_address(a, jv_object_get(msg, "from", 4), &m->from))
	{
		seterr(errbuf, "message.from is required");
		return false;
	}
	v = jv_object_get(msg, "reply_to", 8);
	if (v && v->type != JV_NULL)
	{
		SmtpAddress *rt = jv_alloc(a, sizeof(SmtpAddress));

		if (rt == NULL || !jv_address(a, v, rt))
		{
			seterr(errbuf, "message.reply_to is not an address");
			return false;
		}
		m->reply_to = rt;
	}
	if (!jv_address_list(a, msg, "to", &m->to, &m->nto, errbuf) ||
		!jv_address_list(a, msg, "cc", &m->cc, &m->ncc, errbuf) ||
		!jv_address_list(a, msg, "bcc", &m->bcc, &m->nbcc, errbuf))
		return false;

	/* Bcc lives only in the envelope: recipients that are not in To or Cc */
	if (m->nbcc == 0 && env && env->type == JV_OBJECT)
	{
		Jv		   *r = jv_object_get(env, "recipients", 10);

		if (r && r->type == JV_ARRAY && r->u.arr.n <= SMTP_MAX_RECIPIENTS)
		{
			SmtpAddress *bcc = jv_alloc(a, sizeof(SmtpAddress) * (r->u.arr.n + 1));
			size_t		i;
			int			n = 0;

			if (bcc == NULL)
			{
				seterr(errbuf, "out of memory");
				return false;
			}
			for (i = 0; i < r->u.arr.n; i++)
			{
				SmtpAddress x;

				if (!jv_address(a, r->u.arr.items[i], &x))
				{
					seterr(errbuf, "envelope.recipients[%d] is not an address", (int) i);
					return false;
				}
				if (!listed(m->to, m->nto, x.email) && !listed(m->cc, m->ncc, x.email) && !listed(bcc, n, x.email))
					bcc[n++] = x;
			}
			m->bcc = bcc;
			m->nbcc = n;
		}
	}

	m->subject = jv_str(a, msg, "subject");
	m->text = jv_str(a, msg, "text");
	m->html = jv_str(a, msg, "html");
	m->message_id = jv_str(a, msg, "message_id");
	m->date = jv_str(a, msg, "date");
	return true;
}
