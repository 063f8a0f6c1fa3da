/*
 * expr_parse.c — lexer, Pratt parser and post-parse rewriting for the
 * expression language.  The grammar, binding powers and error codes follow
 * the reference JSONata implementation; features outside the supported
 * subset are rejected here, at compile time, with a message naming them.
 */
#include "expr_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens -------------------------------------------------------------- */

typedef enum TokType
{
	TK_END,
	TK_OP,
	TK_STRING,
	TK_NUMBER,
	TK_NAME,
	TK_VAR,
	TK_VALUE
} TokType;

typedef enum OpId
{
	OP_NONE,
	OP_DOT, OP_LBRACK, OP_RBRACK, OP_LBRACE, OP_RBRACE, OP_LPAREN, OP_RPAREN,
	OP_COMMA, OP_AT, OP_HASH, OP_SEMI, OP_COLON, OP_QUESTION, OP_PLUS, OP_MINUS,
	OP_STAR, OP_SLASH, OP_PERCENT, OP_PIPE, OP_EQ, OP_LT, OP_GT, OP_CARET,
	OP_STARSTAR, OP_DOTDOT, OP_ASSIGN, OP_NE, OP_LE, OP_GE, OP_APPLY, OP_ELVIS,
	OP_COALESCE, OP_AND, OP_OR, OP_IN, OP_AMP, OP_BANG, OP_TILDE,
	OP__COUNT
} OpId;

static const char *const op_text[OP__COUNT] = {
	"", ".", "[", "]", "{", "}", "(", ")", ",", "@", "#", ";", ":", "?", "+", "-",
	"*", "/", "%", "|", "=", "<", ">", "^", "**", "..", ":=", "!=", "<=", ">=", "~>", "?:",
	"??", "and", "or", "in", "&", "!", "~"
};

/* left binding power of each operator when it appears in infix position */
static int
op_lbp(OpId op)
{
	switch (op)
	{
		case OP_DOT:
			return 75;
		case OP_LBRACK:
		case OP_LPAREN:
		case OP_AT:
		case OP_HASH:
			return 80;
		case OP_LBRACE:
			return 70;
		case OP_STAR:
		case OP_SLASH:
		case OP_PERCENT:
			return 60;
		case OP_PLUS:
		case OP_MINUS:
		case OP_AMP:
			return 50;
		case OP_EQ:
		case OP_LT:
		case OP_GT:
		case OP_NE:
		case OP_LE:
		case OP_GE:
		case OP_CARET:
		case OP_APPLY:
		case OP_ELVIS:
		case OP_COALESCE:
		case OP_IN:
			return 40;
		case OP_AND:
			return 30;
		case OP_OR:
			return 25;
		case OP_QUESTION:
			return 20;
		case OP_ASSIGN:
			return 10;
		default:
			return 0;
	}
}

typedef struct Tok
{
	TokType		type;
	OpId		op;
	const char *str;			/* decoded string, name, variable name */
	size_t		slen;
	double		num;
	int			value;			/* TK_VALUE: 0 null, 1 true, 2 false */
	int			pos;
} Tok;

typedef struct Parser
{
	JvArena    *a;
	const char *s;
	size_t		len;
	size_t		pos;
	int			funcset;
	int			depth;
	int			max_depth;
	ExprError  *err;
	jmp_buf		jb;
	Tok			tok;
} Parser;

static void perr(Parser *p, ExprErrorKind kind, int pos, const char *code, const char *fmt,...)
			__attribute__((noreturn, format(printf, 5, 6)));

static void
perr(Parser *p, ExprErrorKind kind, int pos, const char *code, const char *fmt,...)
{
	va_list		ap;

	p->err->kind = kind;
	snprintf(p->err->code, sizeof(p->err->code), "%s", code);
	p->err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
	longjmp(p->jb, 1);
}

#define SYNTAX(p, pos, code, ...)	perr(p, EXPR_ERR_SYNTAX, pos, code, __VA_ARGS__)
#define UNSUPPORTED(p, pos, ...)	perr(p, EXPR_ERR_UNSUPPORTED, pos, "U1001", __VA_ARGS__)

static void *
palloc0_arena(Parser *p, size_t size)
{
	void	   *m = jv_alloc(p->a, size);

	if (m == NULL)
		perr(p, EXPR_ERR_LIMIT, -1, "L1005", "out of memory while compiling the expression");
	memset(m, 0, size);
	return m;
}

static Node *
new_node(Parser *p, NodeKind kind, int pos)
{
	Node	   *n = palloc0_arena(p, sizeof(Node));

	n->kind = kind;
	n->pos = pos;
	return n;
}

/* growable node list */
typedef struct NodeList
{
	Node	  **items;
	int			n;
	int			cap;
} NodeList;

static void
list_push(Parser *p, NodeList *l, Node *n)
{
	if (l->n == l->cap)
	{
		int			ncap = l->cap ? l->cap * 2 : 4;
		Node	  **items = palloc0_arena(p, ncap * sizeof(Node *));

		if (l->n)
			memcpy(items, l->items, l->n * sizeof(Node *));
		l->items = items;
		l->cap = ncap;
	}
	l->items[l->n++] = n;
}

static void
append_to(Parser *p, Node ***items, int *n, Node *x)
{
	Node	  **ni = palloc0_arena(p, (*n + 1) * sizeof(Node *));

	if (*n)
		memcpy(ni, *items, *n * sizeof(Node *));
	ni[*n] = x;
	*items = ni;
	(*n)++;
}

/* ---- lexer --------------------------------------------------------------- */

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v';
}

static bool
is_op_char(char c)
{
	return c != '\0' && strchr(".[]{}(),@#;:?+-*/%|=<>^&!~", c) != NULL;
}

static int
hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
put_utf8(unsigned cp, char *out)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		/* lone surrogates are kept as WTF-8; they are rejected on output */
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

static bool
read_u4(Parser *p, size_t at, unsigned *cp)
{
	unsigned	v = 0;
	int			i;

	if (at + 4 > p->len)
		return false;
	for (i = 0; i < 4; i++)
	{
		int			h = hexdigit(p->s[at + i]);

		if (h < 0)
			return false;
		v = (v << 4) | (unsigned) h;
	}
	*cp = v;
	return true;
}

static void
lex_string(Parser *p, Tok *t)
{
	char		quote = p->s[p->pos];
	size_t		start = ++p->pos;
	size_t		i = start;
	char	   *out;
	size_t		n = 0;

	/* the decoded string is never longer than the source text */
	while (i < p->len && p->s[i] != quote)
	{
		if (p->s[i] == '\\')
			i++;
		i++;
	}
	out = palloc0_arena(p, (i > p->len ? p->len : i) - start + 1);
	while (p->pos < p->len)
	{
		char		c = p->s[p->pos];

		if (c == quote)
		{
			p->pos++;
			out[n] = '\0';
			t->type = TK_STRING;
			t->str = out;
			t->slen = n;
			return;
		}
		if (c != '\\')
		{
			out[n++] = c;
			p->pos++;
			continue;
		}
		p->pos++;
		if (p->pos >= p->len)
			break;
		c = p->s[p->pos];
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				out[n++] = c;
				break;
			case 'b':
				out[n++] = '\b';
				break;
			case 'f':
				out[n++] = '\f';
				break;
			case 'n':
				out[n++] = '\n';
				break;
			case 'r':
				out[n++] = '\r';
				break;
			case 't':
				out[n++] = '\t';
				break;
			case 'u':
				{
					unsigned	cp,
								lo;

					if (!read_u4(p, p->pos + 1, &cp))
						SYNTAX(p, (int) p->pos - 1, "S0104",
							   "The escape sequence \\u must be followed by 4 hex digits");
					p->pos += 4;
					if (cp >= 0xD800 && cp <= 0xDBFF && p->pos + 6 < p->len &&
						p->s[p->pos + 1] == '\\' && p->s[p->pos + 2] == 'u' &&
						read_u4(p, p->pos + 3, &lo) && lo >= 0xDC00 && lo <= 0xDFFF)
					{
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						p->pos += 6;
					}
					if (cp == 0)
						SYNTAX(p, (int) p->pos - 5, "S0104",
							   "The escape sequence \\u0000 is not allowed in text");
					n += put_utf8(cp, out + n);
					break;
				}
			default:
				SYNTAX(p, (int) p->pos - 1, "S0103",
					   "Unsupported escape sequence: \\%c", c);
		}
		p->pos++;
	}
	SYNTAX(p, (int) start - 1, "S0101",
		   "String literal must be terminated by a matching quote");
}

/* JSONata's number syntax: (0|[1-9][0-9]*)(\.[0-9]+)?([Ee][-+]?[0-9]+)? */
static bool
lex_number(Parser *p, Tok *t)
{
	size_t		i = p->pos;
	const char *s = p->s;
	char		tmp[128];
	char	   *buf = tmp;
	size_t		n;
	double		d;

	if (i >= p->len || !(s[i] >= '0' && s[i] <= '9'))
		return false;
	if (s[i] == '0')
		i++;
	else
		while (i < p->len && s[i] >= '0' && s[i] <= '9')
			i++;
	if (i + 1 < p->len && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9')
	{
		i++;
		while (i < p->len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < p->len && (s[i] == 'e' || s[i] == 'E'))
	{
		size_t		j = i + 1;

		if (j < p->len && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < p->len && s[j] >= '0' && s[j] <= '9')
		{
			while (j < p->len && s[j] >= '0' && s[j] <= '9')
				j++;
			i = j;
		}
	}
	n = i - p->pos;
	if (n >= sizeof(tmp))
		buf = palloc0_arena(p, n + 1);
	memcpy(buf, s + p->pos, n);
	buf[n] = '\0';
	d = strtod(buf, NULL);
	if (!isfinite(d))
		SYNTAX(p, (int) p->pos, "S0102", "Number out of range: %s", buf);
	t->type = TK_NUMBER;
	t->num = d;
	p->pos = i;
	return true;
}

/*
 * Read the next token.  infix: the previous token ended an operand, so '/'
 * is division; otherwise '/' would start a regular expression.
 */
static void
next_token(Parser *p, bool infix)
{
	Tok		   *t = &p->tok;
	const char *s = p->s;
	char		c;

	memset(t, 0, sizeof(*t));
	for (;;)
	{
		while (p->pos < p->len && is_ws(s[p->pos]))
			p->pos++;
		if (p->pos + 1 < p->len && s[p->pos] == '/' && s[p->pos + 1] == '*')
		{
			size_t		start = p->pos;

			p->pos += 2;
			while (!(p->pos + 1 < p->len && s[p->pos] == '*' && s[p->pos + 1] == '/'))
			{
				if (p->pos >= p->len)
					SYNTAX(p, (int) start, "S0106", "Comment has no closing tag");
				p->pos++;
			}
			p->pos += 2;
			continue;
		}
		break;
	}
	t->pos = (int) p->pos;
	if (p->pos >= p->len)
	{
		t->type = TK_END;
		return;
	}
	c = s[p->pos];
	if (c == '\0')
		SYNTAX(p, t->pos, "S0204", "Unexpected NUL character in expression");
	if (!infix && c == '/')
		UNSUPPORTED(p, t->pos, "regular expressions (/.../) are not supported");

#define TWO(a, b, id) \
	if (c == (a) && p->pos + 1 < p->len && s[p->pos + 1] == (b)) \
	{ p->pos += 2; t->type = TK_OP; t->op = (id); return; }

	TWO('.', '.', OP_DOTDOT);
	TWO(':', '=', OP_ASSIGN);
	TWO('!', '=', OP_NE);
	TWO('>', '=', OP_GE);
	TWO('<', '=', OP_LE);
	TWO('*', '*', OP_STARSTAR);
	TWO('~', '>', OP_APPLY);
	TWO('?', ':', OP_ELVIS);
	TWO('?', '?', OP_COALESCE);
	TWO('=', '=', OP_EQ);		/* "==" is accepted as "=" (Alga compatibility) */
#undef TWO

	if (is_op_char(c))
	{
		static const char chars[] = ".[]{}(),@#;:?+-*/%|=<>^&!~";
		static const OpId ids[] = {
			OP_DOT, OP_LBRACK, OP_RBRACK, OP_LBRACE, OP_RBRACE, OP_LPAREN, OP_RPAREN,
			OP_COMMA, OP_AT, OP_HASH, OP_SEMI, OP_COLON, OP_QUESTION, OP_PLUS, OP_MINUS,
			OP_STAR, OP_SLASH, OP_PERCENT, OP_PIPE, OP_EQ, OP_LT, OP_GT, OP_CARET,
			OP_AMP, OP_BANG, OP_TILDE
		};

		p->pos++;
		t->type = TK_OP;
		t->op = ids[strchr(chars, c) - chars];
		if (t->op == OP_BANG || t->op == OP_TILDE)
			SYNTAX(p, t->pos, "S0204", "Unknown operator: \"%c\"", c);
		return;
	}
	if (c == '"' || c == '\'')
	{
		lex_string(p, t);
		return;
	}
	if (lex_number(p, t))
		return;
	if (c == '`')
	{
		const char *end = memchr(s + p->pos + 1, '`', p->len - p->pos - 1);

		if (end == NULL)
			SYNTAX(p, t->pos, "S0105",
				   "Quoted property name must be terminated with a backquote (`)");
		t->type = TK_NAME;
		t->slen = end - (s + p->pos + 1);
		t->str = jv_strndup(p->a, s + p->pos + 1, t->slen);
		if (t->str == NULL)
			palloc0_arena(p, (size_t) -1 / 2);	/* reports out of memory */
		p->pos = end - s + 1;
		return;
	}
	/* names and variables run to whitespace or an operator character */
	{
		size_t		i = p->pos;
		const char *name;
		size_t		nlen;

		while (i < p->len && !is_ws(s[i]) && !is_op_char(s[i]) && s[i] != '\0')
			i++;
		if (c == '$')
		{
			name = s + p->pos + 1;
			nlen = i - p->pos - 1;
			t->type = TK_VAR;
		}
		else
		{
			name = s + p->pos;
			nlen = i - p->pos;
			t->type = TK_NAME;
			if (nlen == 2 && memcmp(name, "or", 2) == 0)
				t->type = TK_OP, t->op = OP_OR;
			else if (nlen == 2 && memcmp(name, "in", 2) == 0)
				t->type = TK_OP, t->op = OP_IN;
			else if (nlen == 3 && memcmp(name, "and", 3) == 0)
				t->type = TK_OP, t->op = OP_AND;
			else if (nlen == 4 && memcmp(name, "true", 4) == 0)
				t->type = TK_VALUE, t->value = 1;
			else if (nlen == 5 && memcmp(name, "false", 5) == 0)
				t->type = TK_VALUE, t->value = 2;
			else if (nlen == 4 && memcmp(name, "null", 4) == 0)
				t->type = TK_VALUE, t->value = 0;
		}
		t->str = jv_strndup(p->a, name, nlen);
		if (t->str == NULL)
			palloc0_arena(p, (size_t) -1 / 2);
		t->slen = nlen;
		p->pos = i;
	}
}

/* ---- parser -------------------------------------------------------------- */

static Node *expression(Parser *p, int rbp);

static const char *
tok_text(Parser *p, const Tok *t, char *buf, size_t bufsz)
{
	switch (t->type)
	{
		case TK_END:
			return "(end)";
		case TK_OP:
			return op_text[t->op];
		case TK_NUMBER:
			snprintf(buf, bufsz, "%g", t->num);
			return buf;
		case TK_VALUE:
			return t->value == 1 ? "true" : t->value == 2 ? "false" : "null";
		case TK_VAR:
			snprintf(buf, bufsz, "$%.*s", (int) (t->slen > 60 ? 60 : t->slen), t->str);
			return buf;
		default:
			snprintf(buf, bufsz, "%.*s", (int) (t->slen > 60 ? 60 : t->slen), t->str);
			return buf;
	}
}

/* require the current token to be operator op, then move past it */
static void
expect(Parser *p, OpId op, bool infix)
{
	if (!(p->tok.type == TK_OP && p->tok.op == op))
	{
		char		buf[80];

		if (p->tok.type == TK_END)
			SYNTAX(p, p->tok.pos, "S0203", "Expected \"%s\" before end of expression",
				   op_text[op]);
		SYNTAX(p, p->tok.pos, "S0202", "Expected \"%s\", got \"%s\"", op_text[op],
			   tok_text(p, &p->tok, buf, sizeof(buf)));
	}
	next_token(p, infix);
}

static bool
tok_is(Parser *p, OpId op)
{
	return p->tok.type == TK_OP && p->tok.op == op;
}

static Node *
leaf_from_token(Parser *p, const Tok *t)
{
	Node	   *n;

	switch (t->type)
	{
		case TK_NAME:
			n = new_node(p, NK_NAME, t->pos);
			n->name = t->str;
			n->nlen = t->slen;
			return n;
		case TK_VAR:
			n = new_node(p, NK_VARIABLE, t->pos);
			n->name = t->str;
			n->nlen = t->slen;
			return n;
		case TK_STRING:
			n = new_node(p, NK_STRING, t->pos);
			n->lit = jv_string_nocopy(p->a, t->str, t->slen);
			break;
		case TK_NUMBER:
			n = new_node(p, NK_NUMBER, t->pos);
			n->lit = jv_number(p->a, t->num);
			break;
		case TK_VALUE:
			n = new_node(p, NK_VALUE, t->pos);
			n->lit = t->value == 0 ? jv_null(p->a) : jv_bool(p->a, t->value == 1);
			break;
		default:
			return NULL;
	}
	if (n->lit == NULL)
		palloc0_arena(p, (size_t) -1 / 2);
	return n;
}

/* { k: v, ... } after the opening brace; pairs stored k,v,k,v */
static void
parse_object_pairs(Parser *p, Node *n)
{
	NodeList	l = {0};

	if (!tok_is(p, OP_RBRACE))
	{
		for (;;)
		{
			Node	   *k = expression(p, 0);
			Node	   *v;

			expect(p, OP_COLON, false);
			v = expression(p, 0);
			list_push(p, &l, k);
			list_push(p, &l, v);
			if (!tok_is(p, OP_COMMA))
				break;
			expect(p, OP_COMMA, false);
		}
	}
	expect(p, OP_RBRACE, true);
	n->items = l.items;
	n->nitems = l.n;
}

static Node *
nud(Parser *p, Tok *t)
{
	Node	   *n;
	char		buf[80];

	switch (t->type)
	{
		case TK_END:
			SYNTAX(p, t->pos, "S0207", "Unexpected end of expression");
		case TK_NAME:
		case TK_VAR:
		case TK_STRING:
		case TK_NUMBER:
		case TK_VALUE:
			return leaf_from_token(p, t);
		case TK_OP:
			break;
	}
	switch (t->op)
	{
		case OP_AND:
		case OP_OR:
		case OP_IN:
			n = new_node(p, NK_RAW_KEYWORD, t->pos);
			n->name = op_text[t->op];
			n->nlen = strlen(n->name);
			return n;
		case OP_MINUS:
			n = new_node(p, NK_NEG, t->pos);
			n->lhs = expression(p, 70);
			return n;
		case OP_STAR:
			return new_node(p, NK_WILDCARD, t->pos);
		case OP_STARSTAR:
			return new_node(p, NK_DESCENDANT, t->pos);
		case OP_PERCENT:
			UNSUPPORTED(p, t->pos, "the parent operator (%%) is not supported");
		case OP_PIPE:
			UNSUPPORTED(p, t->pos, "transforms (| ... | ... |) are not supported");
		case OP_LPAREN:
			{
				NodeList	l = {0};

				n = new_node(p, NK_BLOCK, t->pos);
				while (!tok_is(p, OP_RPAREN))
				{
					list_push(p, &l, expression(p, 0));
					if (!tok_is(p, OP_SEMI))
						break;
					expect(p, OP_SEMI, false);
				}
				expect(p, OP_RPAREN, true);
				n->items = l.items;
				n->nitems = l.n;
				return n;
			}
		case OP_LBRACK:
			{
				NodeList	l = {0};

				n = new_node(p, NK_ARRAY, t->pos);
				if (!tok_is(p, OP_RBRACK))
				{
					for (;;)
					{
						Node	   *item = expression(p, 0);

						if (tok_is(p, OP_DOTDOT))
						{
							Node	   *range = new_node(p, NK_BINARY, p->tok.pos);

							range->op = BO_RANGE;
							range->lhs = item;
							expect(p, OP_DOTDOT, false);
							range->rhs = expression(p, 0);
							item = range;
						}
						list_push(p, &l, item);
						if (!tok_is(p, OP_COMMA))
							break;
						expect(p, OP_COMMA, false);
					}
				}
				expect(p, OP_RBRACK, true);
				n->items = l.items;
				n->nitems = l.n;
				return n;
			}
		case OP_LBRACE:
			n = new_node(p, NK_OBJECT, t->pos);
			parse_object_pairs(p, n);
			return n;
		default:
			SYNTAX(p, t->pos, "S0211", "The symbol %s cannot be used as a unary operator",
				   tok_text(p, t, buf, sizeof(buf)));
	}
	return NULL;
}

static BinOp
binop_for(OpId op)
{
	switch (op)
	{
		case OP_PLUS:
			return BO_ADD;
		case OP_MINUS:
			return BO_SUB;
		case OP_STAR:
			return BO_MUL;
		case OP_SLASH:
			return BO_DIV;
		case OP_PERCENT:
			return BO_MOD;
		case OP_EQ:
			return BO_EQ;
		case OP_NE:
			return BO_NE;
		case OP_LT:
			return BO_LT;
		case OP_LE:
			return BO_LE;
		case OP_GT:
			return BO_GT;
		case OP_GE:
			return BO_GE;
		case OP_AMP:
			return BO_CONCAT;
		case OP_AND:
			return BO_AND;
		case OP_OR:
			return BO_OR;
		default:
			return BO_IN;
	}
}

static Node *
led(Parser *p, Tok *t, Node *left)
{
	Node	   *n;
	int			bp = op_lbp(t->op);

	switch (t->op)
	{
		case OP_DOT:
			n = new_node(p, NK_RAW_DOT, t->pos);
			n->lhs = left;
			n->rhs = expression(p, bp);
			return n;
		case OP_LPAREN:
			{
				NodeList	l = {0};

				if (left->kind == NK_NAME &&
					((left->nlen == 8 && memcmp(left->name, "function", 8) == 0) ||
					 (left->nlen == 2 && memcmp(left->name, "\xCE\xBB", 2) == 0)))
					UNSUPPORTED(p, left->pos, "function definitions (lambdas) are not supported");
				n = new_node(p, NK_CALL, left->pos);
				n->lhs = left;
				if (!tok_is(p, OP_RPAREN))
				{
					for (;;)
					{
						if (tok_is(p, OP_QUESTION))
							UNSUPPORTED(p, p->tok.pos, "partial function application (?) is not supported");
						list_push(p, &l, expression(p, 0));
						if (!tok_is(p, OP_COMMA))
							break;
						expect(p, OP_COMMA, false);
					}
				}
				expect(p, OP_RPAREN, true);
				n->items = l.items;
				n->nitems = l.n;
				return n;
			}
		case OP_LBRACK:
			if (tok_is(p, OP_RBRACK))
			{
				Node	   *step = left;

				while (step && step->kind == NK_RAW_PRED)
					step = step->lhs;
				step->flags |= NF_KEEP_ARRAY;
				expect(p, OP_RBRACK, false);
				return left;
			}
			n = new_node(p, NK_RAW_PRED, t->pos);
			n->lhs = left;
			n->rhs = expression(p, 0);
			expect(p, OP_RBRACK, true);
			return n;
		case OP_CARET:
			{
				NodeList	l = {0};

				n = new_node(p, NK_RAW_SORT, t->pos);
				n->lhs = left;
				expect(p, OP_LPAREN, false);
				for (;;)
				{
					Node	   *term = new_node(p, NK_SORT, p->tok.pos);

					if (tok_is(p, OP_LT))
						expect(p, OP_LT, false);
					else if (tok_is(p, OP_GT))
					{
						term->flags |= NF_DESCENDING;
						expect(p, OP_GT, false);
					}
					term->lhs = expression(p, 0);
					list_push(p, &l, term);
					if (!tok_is(p, OP_COMMA))
						break;
					expect(p, OP_COMMA, false);
				}
				expect(p, OP_RPAREN, false);
				n->items = l.items;
				n->nitems = l.n;
				return n;
			}
		case OP_LBRACE:
			n = new_node(p, NK_RAW_GROUP, t->pos);
			n->lhs = left;
			parse_object_pairs(p, n);
			return n;
		case OP_ASSIGN:
			if (left->kind != NK_VARIABLE)
				SYNTAX(p, left->pos, "S0212",
					   "The left side of := must be a variable name (start with $)");
			n = new_node(p, NK_BIND, t->pos);
			n->lhs = left;
			n->rhs = expression(p, bp - 1);
			return n;
		case OP_AT:
			UNSUPPORTED(p, t->pos, "joins (the @ focus variable binding) are not supported");
		case OP_HASH:
			UNSUPPORTED(p, t->pos, "joins (the # positional variable binding) are not supported");
		case OP_QUESTION:
			n = new_node(p, NK_CONDITION, t->pos);
			n->lhs = left;
			n->rhs = expression(p, 0);
			if (tok_is(p, OP_COLON))
			{
				expect(p, OP_COLON, false);
				n->third = expression(p, 0);
			}
			return n;
		case OP_COALESCE:
			n = new_node(p, NK_COALESCE, t->pos);
			n->lhs = left;
			n->rhs = expression(p, 0);
			return n;
		case OP_ELVIS:
			n = new_node(p, NK_DEFAULT, t->pos);
			n->lhs = left;
			n->rhs = expression(p, 0);
			return n;
		case OP_APPLY:
			n = new_node(p, NK_APPLY, t->pos);
			n->lhs = left;
			n->rhs = expression(p, bp);
			return n;
		default:
			n = new_node(p, NK_BINARY, t->pos);
			n->op = binop_for(t->op);
			n->lhs = left;
			n->rhs = expression(p, bp);
			return n;
	}
}

static Node *
expression(Parser *p, int rbp)
{
	Tok			t;
	Node	   *left;

	if (++p->depth > p->max_depth)
		perr(p, EXPR_ERR_LIMIT, p->tok.pos, "L1002",
			 "expression nesting exceeds the maximum depth (%d)", p->max_depth);
	t = p->tok;
	next_token(p, true);
	left = nud(p, &t);
	while (p->tok.type == TK_OP && rbp < op_lbp(p->tok.op))
	{
		t = p->tok;
		next_token(p, false);
		left = led(p, &t, left);
	}
	p->depth--;
	return left;
}

/* ---- post-parse rewriting ------------------------------------------------ */

static Node *process(Parser *p, Node *e);

static Node *
make_path(Parser *p, Node *first)
{
	Node	   *path = new_node(p, NK_PATH, first->pos);

	append_to(p, &path->items, &path->nitems, first);
	return path;
}

static void
check_function(Parser *p, Node *call)
{
	Node	   *proc = call->lhs;
	const FuncDef *fn;

	if (proc->kind == NK_VARIABLE)
	{
		fn = expr_find_unsupported(proc->name, proc->nlen);
		if (fn && p->funcset == EXPR_FUNCSET_EXTENDED)
			UNSUPPORTED(p, proc->pos, "$%s() is not supported: %s", proc->name, fn->unsupported);
		fn = expr_find_function(proc->name, proc->nlen, p->funcset, false);
		if (fn == NULL && p->funcset == EXPR_FUNCSET_ALGA)
			perr(p, EXPR_ERR_UNSUPPORTED, proc->pos, "U1002",
				 "function $%s is not in the 'alga' function set (allowed: nowIso, coalesce, len, toString, append)",
				 proc->name);
		call->fn = fn;
		return;
	}
	if (proc->kind == NK_PATH && proc->nitems == 1 && proc->items[0]->kind == NK_NAME &&
		proc->items[0]->nstages == 0 && proc->items[0]->npreds == 0 && proc->group == NULL &&
		!(proc->items[0]->flags & NF_KEEP_ARRAY))
	{
		Node	   *name = proc->items[0];

		fn = expr_find_function(name->name, name->nlen, p->funcset, true);
		if (fn)
		{
			call->fn = fn;
			call->flags |= NF_BARE_CALL;
			return;
		}
		if (p->funcset == EXPR_FUNCSET_ALGA)
			perr(p, EXPR_ERR_UNSUPPORTED, name->pos, "U1002",
				 "function %s is not in the 'alga' function set (allowed: nowIso, coalesce, len, toString, append)",
				 name->name);
		return;
	}
	if (p->funcset == EXPR_FUNCSET_ALGA)
		perr(p, EXPR_ERR_UNSUPPORTED, call->pos, "U1002",
			 "only the functions nowIso, coalesce, len, toString and append may be called in the 'alga' function set");
}

static Node *
process(Parser *p, Node *e)
{
	Node	   *r = e;
	int			i;

	if (++p->depth > p->max_depth)
		perr(p, EXPR_ERR_LIMIT, e->pos, "L1002",
			 "expression nesting exceeds the maximum depth (%d)", p->max_depth);
	switch (e->kind)
	{
		case NK_RAW_DOT:
			{
				/* a.b.c... is a left-deep chain: walk it without recursing */
				NodeList	chain = {0};
				Node	   *x = e;
				Node	   *lstep;
				int			k;

				while (x->kind == NK_RAW_DOT)
				{
					list_push(p, &chain, x);
					x = x->lhs;
				}
				lstep = process(p, x);
				r = lstep->kind == NK_PATH ? lstep : make_path(p, lstep);
				for (k = chain.n - 1; k >= 0; k--)
				{
					Node	   *dot = chain.items[k];
					Node	   *rest = process(p, dot->rhs);
					bool		keep = false;

					if (rest->kind == NK_PATH)
					{
						for (i = 0; i < rest->nitems; i++)
							append_to(p, &r->items, &r->nitems, rest->items[i]);
					}
					else
					{
						if (rest->npreds)
						{
							rest->stages = rest->preds;
							rest->nstages = rest->npreds;
							rest->preds = NULL;
							rest->npreds = 0;
						}
						append_to(p, &r->items, &r->nitems, rest);
					}
					for (i = 0; i < r->nitems; i++)
					{
						Node	   *step = r->items[i];

						if (step->kind == NK_NUMBER || step->kind == NK_VALUE)
						{
							char		buf[40];

							if (step->kind == NK_NUMBER)
								jv_format_number(step->lit->u.num, buf);
							else
								snprintf(buf, sizeof(buf), "%s",
										 step->lit->type == JV_NULL ? "null" : step->lit->u.b ? "true" : "false");
							SYNTAX(p, step->pos, "S0213",
								   "The literal value %s cannot be used as a step within a path expression", buf);
						}
						if (step->kind == NK_STRING)
						{
							step->kind = NK_NAME;
							step->name = step->lit->u.str.s;
							step->nlen = step->lit->u.str.len;
						}
						if (step->flags & NF_KEEP_ARRAY)
							keep = true;
					}
					if (keep)
						r->flags |= NF_KEEP_SINGLETON;
					if (r->items[0]->kind == NK_ARRAY)
						r->items[0]->flags |= NF_CONSARRAY;
					if (r->items[r->nitems - 1]->kind == NK_ARRAY)
						r->items[r->nitems - 1]->flags |= NF_CONSARRAY;
					if (k > 0 && (dot->flags & NF_KEEP_ARRAY))
						r->flags |= NF_KEEP_ARRAY;
				}
				break;
			}
		case NK_RAW_PRED:
			{
				Node	   *step;
				Node	   *pred;
				bool		stages;

				r = process(p, e->lhs);
				step = r;
				stages = false;
				if (r->kind == NK_PATH)
				{
					step = r->items[r->nitems - 1];
					stages = true;
				}
				if (step->group)
					SYNTAX(p, e->pos, "S0209",
						   "A predicate cannot follow a grouping expression in a step");
				pred = process(p, e->rhs);
				if (stages)
					append_to(p, &step->stages, &step->nstages, pred);
				else
					append_to(p, &step->preds, &step->npreds, pred);
				break;
			}
		case NK_RAW_GROUP:
			{
				Node	   *g = new_node(p, NK_OBJECT, e->pos);

				r = process(p, e->lhs);
				if (r->group)
					SYNTAX(p, e->pos, "S0210",
						   "Each step can only have one grouping expression");
				g->nitems = e->nitems;
				g->items = palloc0_arena(p, (e->nitems + 1) * sizeof(Node *));
				for (i = 0; i < e->nitems; i++)
					g->items[i] = process(p, e->items[i]);
				r->group = g;
				break;
			}
		case NK_RAW_SORT:
			{
				Node	   *sort = new_node(p, NK_SORT, e->pos);

				r = process(p, e->lhs);
				if (r->kind != NK_PATH)
					r = make_path(p, r);
				sort->nitems = e->nitems;
				sort->items = palloc0_arena(p, (e->nitems + 1) * sizeof(Node *));
				for (i = 0; i < e->nitems; i++)
				{
					Node	   *term = e->items[i];

					term->lhs = process(p, term->lhs);
					sort->items[i] = term;
				}
				append_to(p, &r->items, &r->nitems, sort);
				break;
			}
		case NK_RAW_KEYWORD:
			e->kind = NK_NAME;
			r = make_path(p, e);
			if (e->flags & NF_KEEP_ARRAY)
				r->flags |= NF_KEEP_SINGLETON;
			break;
		case NK_NAME:
			r = make_path(p, e);
			if (e->flags & NF_KEEP_ARRAY)
				r->flags |= NF_KEEP_SINGLETON;
			break;
		case NK_BINARY:
		case NK_BIND:
		case NK_APPLY:
		case NK_COALESCE:
		case NK_DEFAULT:
			e->lhs = process(p, e->lhs);
			e->rhs = process(p, e->rhs);
			if (e->kind == NK_APPLY && e->rhs->kind != NK_CALL &&
				!(e->rhs->kind == NK_VARIABLE) && p->funcset == EXPR_FUNCSET_ALGA)
				perr(p, EXPR_ERR_UNSUPPORTED, e->rhs->pos, "U1002",
					 "the right side of ~> must be a function call");
			break;
		case NK_NEG:
			e->lhs = process(p, e->lhs);
			if (e->lhs->kind == NK_NUMBER)
			{
				r = e->lhs;
				r->lit = jv_number(p->a, -r->lit->u.num);
				if (r->lit == NULL)
					palloc0_arena(p, (size_t) -1 / 2);
			}
			break;
		case NK_ARRAY:
		case NK_OBJECT:
		case NK_BLOCK:
			for (i = 0; i < e->nitems; i++)
			{
				Node	   *part = process(p, e->items[i]);

				e->items[i] = part;
				if (e->kind == NK_BLOCK &&
					((part->flags & NF_CONSARRAY) ||
					 (part->kind == NK_PATH && (part->items[0]->flags & NF_CONSARRAY))))
					e->flags |= NF_CONSARRAY;
			}
			break;
		case NK_CONDITION:
			e->lhs = process(p, e->lhs);
			e->rhs = process(p, e->rhs);
			if (e->third)
				e->third = process(p, e->third);
			break;
		case NK_CALL:
			for (i = 0; i < e->nitems; i++)
				e->items[i] = process(p, e->items[i]);
			e->lhs = process(p, e->lhs);
			check_function(p, e);
			break;
		default:
			/* literals, variables, wildcards: nothing to do */
			break;
	}
	if (e->flags & NF_KEEP_ARRAY)
		r->flags |= NF_KEEP_ARRAY;
	p->depth--;
	return r;
}

Expr *
expr_compile(JvArena *a, const char *src, size_t len, int funcset, int max_depth,
			 ExprError *err)
{
	Parser		p;
	Node	   *e;
	Expr	   *x;
	char	   *copy;

	memset(&p, 0, sizeof(p));
	memset(err, 0, sizeof(*err));
	err->pos = -1;
	p.a = a;
	p.err = err;
	p.funcset = funcset;
	p.max_depth = max_depth > 0 ? max_depth : 100;
	if (setjmp(p.jb) != 0)
		return NULL;
	copy = palloc0_arena(&p, len + 1);
	memcpy(copy, src, len);
	p.s = copy;
	p.len = len;
	if (memchr(copy, '\0', len) != NULL)
		SYNTAX(&p, (int) ((char *) memchr(copy, '\0', len) - copy), "S0204",
			   "Unexpected NUL character in expression");
	next_token(&p, false);
	e = expression(&p, 0);
	if (p.tok.type != TK_END)
	{
		char		buf[80];

		SYNTAX(&p, p.tok.pos, "S0201", "Syntax error: \"%s\"",
			   tok_text(&p, &p.tok, buf, sizeof(buf)));
	}
	p.depth = 0;
	e = process(&p, e);
	x = palloc0_arena(&p, sizeof(Expr));
	x->root = e;
	x->src = copy;
	x->srclen = len;
	x->funcset = funcset;
	return x;
}

const char *
expr_source(const Expr *e, size_t *len)
{
	if (len)
		*len = e->srclen;
	return e->src;
}

int
expr_char_pos(const char *src, size_t len, int byte_pos)
{
	int			n = 1;
	size_t		i;

	if (byte_pos < 0)
		return 0;
	for (i = 0; i < (size_t) byte_pos && i < len; i++)
		if (((unsigned char) src[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* ---- templates ----------------------------------------------------------- */

/*
 * Find the "}}" that closes a hole starting at s[i]: skip string literals,
 * backquoted names and comments, and braces opened inside the expression.
 */
static size_t
template_hole_end(const char *s, size_t len, size_t i)
{
	int			depth = 0;

	while (i < len)
	{
		char		c = s[i];

		if (c == '"' || c == '\'' || c == '`')
		{
			i++;
			while (i < len && s[i] != c)
			{
				if (s[i] == '\\' && c != '`')
					i++;
				i++;
			}
			i++;
			continue;
		}
		if (c == '/' && i + 1 < len && s[i + 1] == '*')
		{
			i += 2;
			while (i + 1 < len && !(s[i] == '*' && s[i + 1] == '/'))
				i++;
			i += 2;
			continue;
		}
		if (c == '{')
			depth++;
		else if (c == '}')
		{
			if (depth == 0 && i + 1 < len && s[i + 1] == '}')
				return i;
			if (depth > 0)
				depth--;
		}
		i++;
	}
	return (size_t) -1;
}

ExprTemplate *
expr_template_compile(JvArena *a, const char *tmpl, size_t len, int funcset,
					  int max_depth, ExprError *err)
{
	ExprTemplate *t;
	size_t		i = 0;
	size_t		text_start = 0;
	int			cap = 4;
	char	   *copy;

	memset(err, 0, sizeof(*err));
	err->pos = -1;
	t = jv_alloc(a, sizeof(ExprTemplate));
	copy = jv_strndup(a, tmpl, len);
	if (t == NULL || copy == NULL)
		goto oom;
	memset(t, 0, sizeof(*t));
	t->src = copy;
	t->srclen = len;
	t->text = jv_alloc(a, cap * sizeof(char *));
	t->textlen = jv_alloc(a, cap * sizeof(size_t));
	t->exprs = jv_alloc(a, cap * sizeof(Expr *));
	t->offsets = jv_alloc(a, cap * sizeof(int));
	if (!t->text || !t->textlen || !t->exprs || !t->offsets)
		goto oom;
	for (;;)
	{
		const char *open = NULL;
		size_t		j;
		Expr	   *e = NULL;

		for (j = i; j + 1 < len; j++)
			if (copy[j] == '{' && copy[j + 1] == '{')
			{
				open = copy + j;
				break;
			}
		if (t->nparts == cap)
		{
			const char **nt = jv_alloc(a, cap * 2 * sizeof(char *));
			size_t	   *nl = jv_alloc(a, cap * 2 * sizeof(size_t));
			Expr	  **ne = jv_alloc(a, cap * 2 * sizeof(Expr *));
			int		   *no = jv_alloc(a, cap * 2 * sizeof(int));

			if (!nt || !nl || !ne || !no)
				goto oom;
			memcpy(nt, t->text, cap * sizeof(char *));
			memcpy(nl, t->textlen, cap * sizeof(size_t));
			memcpy(ne, t->exprs, cap * sizeof(Expr *));
			memcpy(no, t->offsets, cap * sizeof(int));
			t->text = nt;
			t->textlen = nl;
			t->exprs = ne;
			t->offsets = no;
			cap *= 2;
		}
		if (open == NULL)
		{
			t->text[t->nparts] = copy + text_start;
			t->textlen[t->nparts] = len - text_start;
			t->exprs[t->nparts] = NULL;
			t->offsets[t->nparts] = 0;
			t->nparts++;
			return t;
		}
		{
			size_t		estart = (open - copy) + 2;
			size_t		eend = template_hole_end(copy, len, estart);

			if (eend == (size_t) -1)
			{
				err->kind = EXPR_ERR_SYNTAX;
				snprintf(err->code, sizeof(err->code), "S0203");
				err->pos = (int) (open - copy);
				snprintf(err->message, sizeof(err->message),
						 "template expression opened with {{ is not closed with }}");
				return NULL;
			}
			e = expr_compile(a, copy + estart, eend - estart, funcset, max_depth, err);
			if (e == NULL)
			{
				if (err->pos >= 0)
					err->pos += (int) estart;
				return NULL;
			}
			t->text[t->nparts] = copy + text_start;
			t->textlen[t->nparts] = (open - copy) - text_start;
			t->exprs[t->nparts] = e;
			t->offsets[t->nparts] = (int) estart;
			t->nparts++;
			i = eend + 2;
			text_start = i;
		}
	}
oom:
	err->kind = EXPR_ERR_LIMIT;
	snprintf(err->code, sizeof(err->code), "L1005");
	snprintf(err->message, sizeof(err->message), "out of memory while compiling the template");
	return NULL;
}
