/*
 * auth.c — authentication schemes (see auth.h).  Plain C.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http_decl.h"

#define DEFAULT_TOKEN_LIFETIME_MS (3600LL * 1000)
#define DEFAULT_KNOX_LIFETIME_MS (10LL * 3600 * 1000)

static const struct
{
	const char *name;
	AuthKind	kind;
}			KINDS[] = {
	{"none", AUTH_NONE},
	{"header", AUTH_HEADER},
	{"bearer", AUTH_BEARER},
	{"basic", AUTH_BASIC},
	{"oauth2_client_credentials", AUTH_OAUTH2_CLIENT_CREDENTIALS},
	{"oauth2_refresh_token", AUTH_OAUTH2_REFRESH_TOKEN},
	{"knox", AUTH_KNOX},
	{NULL, AUTH_INVALID}
};

AuthKind
auth_kind(const Jv *cfg)
{
	Jv		   *s;
	int			i;

	if (cfg == NULL || cfg->type != JV_OBJECT)
		return AUTH_INVALID;
	s = jv_object_get(cfg, "scheme", 6);
	if (s == NULL || s->type != JV_STRING)
		return AUTH_INVALID;
	for (i = 0; KINDS[i].name; i++)
		if (strlen(KINDS[i].name) == s->u.str.len && memcmp(KINDS[i].name, s->u.str.s, s->u.str.len) == 0)
			return KINDS[i].kind;
	return AUTH_INVALID;
}

const char *
auth_kind_name(AuthKind k)
{
	int			i;

	for (i = 0; KINDS[i].name; i++)
		if (KINDS[i].kind == k)
			return KINDS[i].name;
	return "invalid";
}

bool
auth_uses_token(AuthKind k)
{
	return k == AUTH_OAUTH2_CLIENT_CREDENTIALS || k == AUTH_OAUTH2_REFRESH_TOKEN || k == AUTH_KNOX;
}

/* a field that is a string or a {"$secret"} marker */
static bool
credential(const Jv *cfg, const char *key)
{
	Jv		   *v = jv_object_get(cfg, key, strlen(key));

	return v != NULL && ((v->type == JV_STRING && v->u.str.len > 0) || decl_secret_marker(v, NULL) != NULL);
}

static bool
plain_string(const Jv *cfg, const char *key)
{
	Jv		   *v = jv_object_get(cfg, key, strlen(key));

	return v != NULL && v->type == JV_STRING && v->u.str.len > 0;
}

const char *
auth_check_config(JvArena *a, const Jv *cfg)
{
	AuthKind	k = auth_kind(cfg);

	switch (k)
	{
		case AUTH_INVALID:
			return "\"scheme\" must be one of none, header, bearer, basic, oauth2_client_credentials, oauth2_refresh_token, knox";
		case AUTH_NONE:
			return NULL;
		case AUTH_HEADER:
			if (!plain_string(cfg, "name") || !credential(cfg, "value"))
				return "the header scheme needs \"name\" and \"value\"";
			return NULL;
		case AUTH_BEARER:
			return credential(cfg, "token") ? NULL : "the bearer scheme needs \"token\"";
		case AUTH_BASIC:
			return credential(cfg, "username") && credential(cfg, "password") ? NULL :
				"the basic scheme needs \"username\" and \"password\"";
		case AUTH_OAUTH2_CLIENT_CREDENTIALS:
			return plain_string(cfg, "tokenUrl") && credential(cfg, "clientId") && credential(cfg, "clientSecret") ? NULL :
				"the oauth2_client_credentials scheme needs \"tokenUrl\", \"clientId\" and \"clientSecret\"";
		case AUTH_OAUTH2_REFRESH_TOKEN:
			return plain_string(cfg, "tokenUrl") && credential(cfg, "clientId") && credential(cfg, "clientSecret") &&
				credential(cfg, "refreshToken") ? NULL :
				"the oauth2_refresh_token scheme needs \"tokenUrl\", \"clientId\", \"clientSecret\" and \"refreshToken\"";
		case AUTH_KNOX:
			return plain_string(cfg, "loginUrl") && credential(cfg, "username") && credential(cfg, "password") ? NULL :
				"the knox scheme needs \"loginUrl\", \"username\" and \"password\"";
	}
	return "unknown scheme";
}

/* a resolved string field (NUL-terminated copy), or NULL */
static const char *
field(JvArena *a, const Jv *cfg, const char *key)
{
	return decl_get_string(a, cfg, key);
}

const char *
auth_base64(JvArena *a, const char *s, size_t len)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		outlen = 4 * ((len + 2) / 3);
	char	   *out = jv_alloc(a, outlen + 1);
	size_t		i,
				o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i + 2 < len; i += 3)
	{
		unsigned	v = ((unsigned char) s[i] << 16) | ((unsigned char) s[i + 1] << 8) | (unsigned char) s[i + 2];

		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = tbl[(v >> 6) & 63];
		out[o++] = tbl[v & 63];
	}
	if (i < len)
	{
		unsigned	v = (unsigned char) s[i] << 16;

		if (i + 1 < len)
			v |= (unsigned char) s[i + 1] << 8;
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

static bool
one_line(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

static const char *
concat(JvArena *a, const char *x, const char *y)
{
	JvBuf		b;

	jv_buf_init(&b, a);
	jv_buf_append(&b, x, strlen(x));
	jv_buf_append(&b, y, strlen(y));
	return jv_buf_cstring(&b);
}

bool
auth_static_header(JvArena *a, const Jv *cfg, const char **name, const char **value,
				   const char **problem)
{
	AuthKind	k = auth_kind(cfg);

	*name = *value = NULL;
	switch (k)
	{
		case AUTH_HEADER:
			{
				const char *n = field(a, cfg, "name");
				const char *v = field(a, cfg, "value");
				const char *p = field(a, cfg, "prefix");

				if (n == NULL || v == NULL)
				{
					*problem = "the API key header's name or value is missing";
					return false;
				}
				*name = n;
				*value = p ? concat(a, p, v) : v;
				break;
			}
		case AUTH_BEARER:
			{
				const char *t = field(a, cfg, "token");

				if (t == NULL)
				{
					*problem = "the bearer token is missing";
					return false;
				}
				*name = "Authorization";
				*value = concat(a, "Bearer ", t);
				break;
			}
		case AUTH_BASIC:
			{
				const char *u = field(a, cfg, "username");
				const char *p = field(a, cfg, "password");
				const char *up;

				if (u == NULL || p == NULL)
				{
					*problem = "the basic credentials are missing";
					return false;
				}
				up = concat(a, concat(a, u, ":"), p);
				*name = "Authorization";
				*value = concat(a, "Basic ", auth_base64(a, up, strlen(up)));
				break;
			}
		default:
			*problem = "not a static scheme";
			return false;
	}
	if (!one_line(*value))
	{
		*problem = "a credential contains a line break";
		return false;
	}
	return true;
}

void
auth_token_header(JvArena *a, const Jv *cfg, const char *token, const char **name, const char **value)
{
	if (auth_kind(cfg) == AUTH_KNOX)
	{
		const char *h = field(a, cfg, "header");
		const char *p = field(a, cfg, "prefix");

		*name = h ? h : "Authorization";
		*value = concat(a, p ? p : "Token ", token);
	}
	else
	{
		*name = "Authorization";
		*value = concat(a, "Bearer ", token);
	}
}

static void
form_param(JvBuf *b, bool *first, const char *k, const char *v)
{
	if (v == NULL)
		return;
	if (!*first)
		jv_buf_appendc(b, '&');
	*first = false;
	decl_urlencode(b, k, strlen(k), true);
	jv_buf_appendc(b, '=');
	decl_urlencode(b, v, strlen(v), true);
}

bool
auth_token_request(JvArena *a, const Jv *cfg, const char *refresh_token,
				   AuthTokenRequest *out, const char **problem)
{
	AuthKind	k = auth_kind(cfg);
	JvBuf		b;
	bool		first = true;

	memset(out, 0, sizeof(*out));
	jv_buf_init(&b, a);
	if (k == AUTH_KNOX)
	{
		const char *u = field(a, cfg, "username");
		const char *p = field(a, cfg, "password");

		out->url = field(a, cfg, "loginUrl");
		if (u == NULL || p == NULL || out->url == NULL)
		{
			*problem = "the Knox login URL, username or password is missing";
			return false;
		}
		jv_buf_append(&b, "{\"username\":", 12);
		jv_buf_append_json_string(&b, u, strlen(u));
		jv_buf_append(&b, ",\"password\":", 12);
		jv_buf_append_json_string(&b, p, strlen(p));
		jv_buf_appendc(&b, '}');
		out->content_type = "application/json";
		out->body = jv_buf_cstring(&b);
		return true;
	}
	if (k == AUTH_OAUTH2_CLIENT_CREDENTIALS || k == AUTH_OAUTH2_REFRESH_TOKEN)
	{
		const char *id = field(a, cfg, "clientId");
		const char *secret = field(a, cfg, "clientSecret");
		const char *scope = field(a, cfg, "scope");
		const char *how = field(a, cfg, "clientAuth");
		bool		basic = how != NULL && strcmp(how, "basic") == 0;

		out->url = field(a, cfg, "tokenUrl");
		if (id == NULL || secret == NULL || out->url == NULL)
		{
			*problem = "the token URL, client id or client secret is missing";
			return false;
		}
		if (k == AUTH_OAUTH2_CLIENT_CREDENTIALS)
			form_param(&b, &first, "grant_type", "client_credentials");
		else
		{
			const char *rt = refresh_token ? refresh_token : field(a, cfg, "refreshToken");

			if (rt == NULL)
			{
				*problem = "the refresh token is missing";
				return false;
			}
			form_param(&b, &first, "grant_type", "refresh_token");
			form_param(&b, &first, "refresh_token", rt);
		}
		if (basic)
		{
			const char *up = concat(a, concat(a, id, ":"), secret);

			out->auth_header = concat(a, "Authorization: Basic ", auth_base64(a, up, strlen(up)));
		}
		else
		{
			form_param(&b, &first, "client_id", id);
			form_param(&b, &first, "client_secret", secret);
		}
		form_param(&b, &first, "scope", scope);
		out->content_type = "application/x-www-form-urlencoded";
		out->body = jv_buf_cstring(&b);
		return true;
	}
	*problem = "not a token scheme";
	return false;
}

static int
digits(const char *s, size_t len, size_t *i, int n)
{
	int			v = 0;
	int			k;

	for (k = 0; k < n; k++)
	{
		if (*i >= len || !isdigit((unsigned char) s[*i]))
			return -1;
		v = v * 10 + (s[*i] - '0');
		(*i)++;
	}
	return v;
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t
auth_parse_iso8601(const char *s, size_t len)
{
	size_t		i = 0;
	int			y,
				mo,
				d,
				h = 0,
				mi = 0,
				se = 0;
	int64_t		ms = 0;
	int64_t		off = 0;

	if ((y = digits(s, len, &i, 4)) < 0 || i >= len || s[i++] != '-' ||
		(mo = digits(s, len, &i, 2)) < 1 || mo > 12 || i >= len || s[i++] != '-' ||
		(d = digits(s, len, &i, 2)) < 1 || d > 31)
		return -1;
	if (i < len && (s[i] == 'T' || s[i] == ' '))
	{
		i++;
		if ((h = digits(s, len, &i, 2)) < 0 || h > 23 || i >= len || s[i++] != ':' ||
			(mi = digits(s, len, &i, 2)) < 0 || mi > 59)
			return -1;
		if (i < len && s[i] == ':')
		{
			i++;
			if ((se = digits(s, len, &i, 2)) < 0 || se > 60)
				return -1;
			if (i < len && s[i] == '.')
			{
				int			scale = 100;

				i++;
				while (i < len && isdigit((unsigned char) s[i]))
				{
					ms += (s[i] - '0') * scale;
					scale /= 10;
					i++;
				}
			}
		}
		if (i < len && (s[i] == 'Z' || s[i] == 'z'))
			i++;
		else if (i < len && (s[i] == '+' || s[i] == '-'))
		{
			int			sign = s[i] == '-' ? -1 : 1;
			int			oh,
						om = 0;

			i++;
			if ((oh = digits(s, len, &i, 2)) < 0)
				return -1;
			if (i < len && s[i] == ':')
				i++;
			if (i < len)
				om = digits(s, len, &i, 2);
			if (om < 0)
				return -1;
			off = sign * ((int64_t) oh * 3600 + om * 60) * 1000;
		}
	}
	if (i != len)
		return -1;
	return (days_from_civil(y, mo, d) * 86400 + (int64_t) h * 3600 + mi * 60 + se) * 1000 + ms - off;
}

bool
auth_parse_token(JvArena *a, AuthKind kind, const Jv *body, int64_t now_ms,
				 AuthToken *out, const char **problem)
{
	Jv		   *v;

	memset(out, 0, sizeof(*out));
	if (body == NULL || body->type != JV_OBJECT)
	{
		*problem = "the token endpoint did not answer a JSON object";
		return false;
	}
	if (kind == AUTH_KNOX)
	{
		const char *keys[] = {"token", "auth_token", "key", NULL};
		int			i;

		for (i = 0; keys[i] && out->access_token == NULL; i++)
			out->access_token = decl_get_string(a, body, keys[i]);
		out->expires_at_ms = now_ms + DEFAULT_KNOX_LIFETIME_MS;
		if ((v = jv_object_get(body, "expiry", 6)) != NULL && v->type == JV_STRING)
		{
			int64_t		t = auth_parse_iso8601(v->u.str.s, v->u.str.len);

			if (t > now_ms)
				out->expires_at_ms = t;
		}
	}
	else
	{
		out->access_token = decl_get_string(a, body, "access_token");
		out->refresh_token = decl_get_string(a, body, "refresh_token");
		out->expires_at_ms = now_ms + DEFAULT_TOKEN_LIFETIME_MS;
		if ((v = jv_object_get(body, "expires_in", 10)) != NULL)
		{
			double		secs = -1;

			if (v->type == JV_NUMBER)
				secs = v->u.num;
			else if (v->type == JV_STRING)
			{
				char		buf[32];

				snprintf(buf, sizeof(buf), "%.*s", (int) (v->u.str.len > 30 ? 30 : v->u.str.len), v->u.str.s);
				secs = atof(buf);
			}
			if (secs > 0 && secs < 100.0 * 86400 * 365)
				out->expires_at_ms = now_ms + (int64_t) (secs * 1000);
		}
	}
	if (out->access_token == NULL || out->access_token[0] == '\0')
	{
		*problem = kind == AUTH_KNOX ? "the login answer has no \"token\"" : "the token answer has no \"access_token\"";
		return false;
	}
	if (!one_line(out->access_token) || (out->refresh_token && !one_line(out->refresh_token)))
	{
		*problem = "the token contains a line break";
		return false;
	}
	return true;
}

void
auth_fingerprint(const char *token, char out[17])
{
	uint64_t	h = 1469598103934665603ULL;
	const unsigned char *p;

	for (p = (const unsigned char *) token; p && *p; p++)
	{
		h ^= *p;
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016llx", (unsigned long long) h);
}
