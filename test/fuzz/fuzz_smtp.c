/*
 * fuzz_smtp.c — libFuzzer target for the SMTP message builder.
 *
 * Input: a queued request as JSON ({server, envelope, message}).  When it
 * reads as a request, the RFC 5322 message is built, and then:
 *   - every header line is one of the headers the builder writes, or a
 *     continuation line starting with a space: no input can inject a header;
 *   - every line ends in CRLF and is at most 998 bytes (78 in the bodies);
 *   - no line is a lone "." (it would end the SMTP DATA phase);
 *   - there is no Bcc header.
 * Nothing is sent: smtp_build_message is pure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jval.h"
#include "smtp.h"

static const char *const headers[] = {
	"Date: ", "From: ", "To: ", "Cc: ", "Reply-To: ", "Subject: ", "Message-ID: ", "MIME-Version: ", "Content-Type: ",
	"Content-Transfer-Encoding: ", NULL
};

static void
check(const char *msg, size_t len)
{
	const char *p = msg;
	const char *end = msg + len;
	int			in_headers = 1;
	int			in_part_headers = 0;

	while (p < end)
	{
		const char *nl = memchr(p, '\n', end - p);
		size_t		linelen;

		if (nl == NULL || nl == p || nl[-1] != '\r')
			abort();			/* every line ends in CRLF */
		linelen = nl - 1 - p;
		if (linelen > 998)
			abort();
		if (memchr(p, '\r', linelen) != NULL)
			abort();			/* no bare CR inside a line */
		if (linelen == 1 && p[0] == '.')
			abort();			/* a lone dot */
		if (in_headers)
		{
			if (linelen == 0)
				in_headers = 0;
			else if (p[0] != ' ')
			{
				int			i,
							known = 0;

				for (i = 0; headers[i]; i++)
					if (linelen >= strlen(headers[i]) && strncmp(p, headers[i], strlen(headers[i])) == 0)
						known = 1;
				if (!known)
					abort();	/* an injected header */
			}
		}
		else
		{
			if (linelen >= 2 && p[0] == '-' && p[1] == '-')
				in_part_headers = 1;
			else if (in_part_headers && linelen == 0)
				in_part_headers = 0;
			else if (!in_part_headers && linelen > 78 &&
					 strncmp(p, "This is a multi-part", 20) != 0)
				abort();		/* quoted-printable keeps body lines short */
			if (strncasecmp(p, "Bcc:", 4) == 0 && in_part_headers)
				abort();
		}
		p = nl + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	JvArena		a;
	Jv		   *req;
	size_t		errpos;
	const char *errmsg;
	SmtpMessage m;
	SmtpServer	s;
	char		errbuf[SMTP_ERRBUF_SIZE];
	char	   *msg;
	size_t		len;

	jv_arena_init(&a);
	a.limit = 4 * 1024 * 1024;
	req = jv_parse(&a, (const char *) data, size, 64, &errpos, &errmsg);
	if (req && smtp_request_from_jv(&a, req, &m, &s, errbuf))
	{
		msg = smtp_build_message(&m, &len, errbuf);
		if (msg)
		{
			if (strlen(msg) != len)
				abort();
			check(msg, len);
			free(msg);
		}
	}
	jv_arena_reset(&a);
	return 0;
}
