/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sql_lex.c - the SQL lexer of both dialects.
 *
 * It follows the servers' own lexers (MySQL's sql_lex.cc, PostgreSQL's
 * scan.l) where they decide what is code and what is data: where a literal,
 * a quoted identifier or a comment ends. Getting one of those wrong would let
 * text the server executes pass as a string, so every divergence that depends
 * on a server setting is flagged (DPI_SQL_TF_AMBIGUOUS) rather than guessed.
 *
 * A cursor and an end pointer; every read is preceded by a bounds check.
 */
#include <errno.h>
#include <string.h>

#include "dpi_sql.h"

static inline bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static inline bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_alpha(uint8_t c)
{
	c |= 0x20;
	return c >= 'a' && c <= 'z';
}

static inline bool is_xdigit(uint8_t c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Bytes >= 0x80 are identifier characters in both servers (UTF-8). */
static inline bool is_ident_start(uint8_t c)
{
	return is_alpha(c) || c == '_' || c >= 0x80;
}

static inline bool is_ident_cont(uint8_t c)
{
	return is_ident_start(c) || is_digit(c) || c == '$';
}

/* PostgreSQL dollar-quote tags: an identifier without '$'. */
static inline bool is_dolq_cont(uint8_t c)
{
	return is_ident_start(c) || is_digit(c);
}

/* PostgreSQL operator characters (scan.l op_chars). */
static inline bool is_pg_op(uint8_t c)
{
	return c && strchr("~!@#^&|`?+-*/%<>=", c) != NULL;
}

int dpi_sql_lexer_init(struct dpi_sql_lexer *lx, enum dpi_sql_dialect dialect,
		       const uint8_t *buf, size_t len)
{
	if (!lx || (!buf && len))
		return -EINVAL;
	if (len > UINT32_MAX)
		return -E2BIG;
	if (!buf)
		buf = (const uint8_t *)""; /* no arithmetic on NULL */
	memset(lx, 0, sizeof(*lx));
	lx->buf = buf;
	lx->cur = buf;
	lx->end = buf + len;
	lx->dialect = dialect == DPI_SQL_PGSQL ? DPI_SQL_PGSQL : DPI_SQL_MYSQL;
	return 0;
}

static int emit(struct dpi_sql_lexer *lx, struct dpi_sql_token *t, enum dpi_sql_tok type,
		const uint8_t *start, const uint8_t *end, unsigned flags)
{
	t->type = (uint8_t)type;
	t->quote = 0;
	t->flags = (uint16_t)flags;
	t->text.p = start;
	t->text.len = (uint32_t)(end - start);
	t->body = t->text;
	lx->cur = end;
	if (type == DPI_SQL_TOK_WORD || type == DPI_SQL_TOK_QIDENT)
		lx->ident_end = end;
	if (type == DPI_SQL_TOK_ERROR)
		lx->in_exec = 0; /* one error for the rest of the text */
	return 1;
}

static int emit_body(struct dpi_sql_lexer *lx, struct dpi_sql_token *t, enum dpi_sql_tok type,
		     const uint8_t *start, const uint8_t *end, const uint8_t *bs,
		     const uint8_t *be, uint8_t quote, unsigned flags)
{
	emit(lx, t, type, start, end, flags);
	t->quote = quote;
	t->body.p = bs;
	t->body.len = (uint32_t)(be - bs);
	return 1;
}

/* A comment to the end of the line; @body starts after the marker. MySQL
 * ends it at '\n' only, PostgreSQL at '\n' or '\r'. The newline itself is
 * whitespace, not part of the comment. */
static int lex_line_comment(struct dpi_sql_lexer *lx, struct dpi_sql_token *t,
			    const uint8_t *start, const uint8_t *body)
{
	const uint8_t *p = body;
	bool pg = lx->dialect == DPI_SQL_PGSQL;

	while (p < lx->end && *p != '\n' && !(pg && *p == '\r'))
		p++;
	return emit_body(lx, t, DPI_SQL_TOK_COMMENT, start, p, body, p, 0, DPI_SQL_TF_LINE);
}

/* A block comment at @start ("slash star"). PostgreSQL nests them; MySQL
 * ends at the first star-slash. */
static int lex_block_comment(struct dpi_sql_lexer *lx, struct dpi_sql_token *t,
			     const uint8_t *start)
{
	const uint8_t *p = start + 2, *end = lx->end;
	bool pg = lx->dialect == DPI_SQL_PGSQL;
	unsigned flags = 0;
	size_t depth = 1;

	while (p < end) {
		if (*p == '*' && p + 1 < end && p[1] == '/') {
			p += 2;
			if (--depth == 0)
				return emit_body(lx, t, DPI_SQL_TOK_COMMENT, start, p, start + 2,
						 p - 2, 0, flags);
		} else if (pg && *p == '/' && p + 1 < end && p[1] == '*') {
			p += 2;
			depth++;
			flags |= DPI_SQL_TF_NESTED;
		} else {
			p++;
		}
	}
	return emit(lx, t, DPI_SQL_TOK_ERROR, start, end, DPI_SQL_TF_UNTERM_COMMENT);
}

/*
 * MySQL executable comment at @start: slash star bang, or MariaDB's slash
 * star M bang, then an optional 5- or 6-digit version. The server runs the
 * content when it is at least that version; not knowing the server's
 * version, read the content as code (mode SKIP_VERSIONED reads it the other
 * way). MySQL itself treats the MariaDB form as a comment.
 */
static int lex_exec_open(struct dpi_sql_lexer *lx, struct dpi_sql_token *t,
			 const uint8_t *start, const uint8_t *after, bool mariadb)
{
	const uint8_t *p = after, *end = lx->end;
	unsigned flags = DPI_SQL_TF_EXEC_OPEN;
	size_t n = 0;

	while (n < 6 && p + n < end && is_digit(p[n]))
		n++;
	if (n < 5)
		n = 0;
	if (n || mariadb)
		flags |= DPI_SQL_TF_VERSIONED;
	if ((flags & DPI_SQL_TF_VERSIONED) && (lx->mode & DPI_SQL_MODE_SKIP_VERSIONED)) {
		/* a server too old for it: a comment that may hold one
		 * nested comment (sql_lex.cc consume_comment(lip, 1)) */
		const uint8_t *q = p + n;
		bool inner = false;

		if (mariadb)
			return lex_block_comment(lx, t, start);
		while (q < end) {
			if (!inner && *q == '/' && q + 1 < end && q[1] == '*') {
				inner = true;
				q += 2;
			} else if (*q == '*' && q + 1 < end && q[1] == '/') {
				q += 2;
				if (!inner)
					return emit_body(lx, t, DPI_SQL_TOK_COMMENT, start, q, p + n,
							 q - 2, 0, DPI_SQL_TF_VERSIONED);
				inner = false;
			} else {
				q++;
			}
		}
		return emit(lx, t, DPI_SQL_TOK_ERROR, start, end, DPI_SQL_TF_UNTERM_COMMENT);
	}
	lx->in_exec = 1;
	return emit_body(lx, t, DPI_SQL_TOK_COMMENT, start, p + n, p, p + n, 0, flags);
}

/*
 * A literal or quoted identifier whose body starts at @body and ends at the
 * next unescaped @q. A doubled @q stands for one; with @bs_escapes a
 * backslash escapes the next byte. @amb: flag a backslash run of odd length
 * right before a quote, where the other setting of the server would end (or
 * not end) the literal.
 */
static int lex_quoted(struct dpi_sql_lexer *lx, struct dpi_sql_token *t, enum dpi_sql_tok type,
		      const uint8_t *start, const uint8_t *body, uint8_t q, bool bs_escapes,
		      bool amb, unsigned flags)
{
	const uint8_t *p = body, *end = lx->end;
	size_t run = 0; /* backslashes right before p */

	while (p < end) {
		uint8_t c = *p;

		if (c == '\\' && bs_escapes) {
			if (p + 1 >= end)
				break;
			if (amb && p[1] == q)
				flags |= DPI_SQL_TF_AMBIGUOUS;
			flags |= DPI_SQL_TF_ESCAPES;
			p += 2;
			continue;
		}
		if (c == q) {
			if (amb && (run & 1))
				flags |= DPI_SQL_TF_AMBIGUOUS;
			if (p + 1 < end && p[1] == q) {
				flags |= DPI_SQL_TF_ESCAPES;
				p += 2;
				run = 0;
				continue;
			}
			return emit_body(lx, t, type, start, p + 1, body, p, q, flags);
		}
		run = c == '\\' ? run + 1 : 0;
		p++;
	}
	return emit(lx, t, DPI_SQL_TOK_ERROR, start, end,
		    type == DPI_SQL_TOK_QIDENT ? DPI_SQL_TF_UNTERM_IDENT
					       : DPI_SQL_TF_UNTERM_STRING);
}

/* PostgreSQL '$': a parameter $n, a dollar-quoted string, or a stray '$'. */
static int lex_dollar(struct dpi_sql_lexer *lx, struct dpi_sql_token *t, const uint8_t *start)
{
	const uint8_t *p = start + 1, *end = lx->end, *body, *s;
	size_t taglen;

	if (p < end && is_digit(*p)) {
		while (p < end && is_digit(*p))
			p++;
		return emit(lx, t, DPI_SQL_TOK_PARAM, start, p, 0);
	}
	if (p < end && is_ident_start(*p))
		while (p < end && is_dolq_cont(*p))
			p++;
	if (p >= end || *p != '$')
		return emit(lx, t, DPI_SQL_TOK_OP, start, start + 1, 0);
	body = p + 1;
	taglen = (size_t)(body - start);
	for (s = body; (size_t)(end - s) >= taglen; s++) {
		s = memchr(s, '$', (size_t)(end - s) - taglen + 1);
		if (!s)
			break;
		if (memcmp(s, start, taglen) == 0)
			return emit_body(lx, t, DPI_SQL_TOK_STRING, start, s + taglen, body, s,
					 '$', DPI_SQL_TF_DOLLAR);
	}
	return emit(lx, t, DPI_SQL_TOK_ERROR, start, end, DPI_SQL_TF_UNTERM_STRING);
}

/* A run of identifier characters from @p. */
static const uint8_t *ident_run(const uint8_t *p, const uint8_t *end)
{
	while (p < end && is_ident_cont(*p))
		p++;
	return p;
}

/*
 * A number. MySQL (MY_LEX_NUMBER_IDENT) reads digits followed by identifier
 * characters as an identifier ("1abc", "0x1g", "1e" not followed by an
 * exponent); PostgreSQL ends the number and the rest is another token.
 */
static int lex_number(struct dpi_sql_lexer *lx, struct dpi_sql_token *t, const uint8_t *start)
{
	const uint8_t *p = start, *end = lx->end;
	bool mysql = lx->dialect == DPI_SQL_MYSQL, plain = true;

	if (*p == '0' && p + 2 < end) {
		uint8_t r = p[1] | 0x20;

		if ((r == 'x' && is_xdigit(p[2])) || (r == 'b' && (p[2] == '0' || p[2] == '1')) ||
		    (r == 'o' && !mysql && p[2] >= '0' && p[2] <= '7')) {
			p += 2;
			while (p < end && (r == 'x' ? is_xdigit(*p) : is_digit(*p)))
				p++;
			goto ident_tail;
		}
	}
	while (p < end && is_digit(*p))
		p++;
	if (p < end && *p == '.') {
		plain = false;
		p++;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p | 0x20) == 'e') {
		const uint8_t *e = p + 1;

		if (e < end && (*e == '+' || *e == '-'))
			e++;
		if (e < end && is_digit(*e)) {
			plain = false;
			p = e;
			while (p < end && is_digit(*p))
				p++;
		}
	}
	if (!plain)
		return emit(lx, t, DPI_SQL_TOK_NUMBER, start, p, 0);
ident_tail:
	if (mysql && p < end && is_ident_cont(*p))
		return emit(lx, t, DPI_SQL_TOK_WORD, start, ident_run(p, end), 0);
	return emit(lx, t, DPI_SQL_TOK_NUMBER, start, p, 0);
}

/* MySQL operators: the multi-byte ones its lexer knows, else one byte. */
static int lex_mysql_op(struct dpi_sql_lexer *lx, struct dpi_sql_token *t, const uint8_t *start)
{
	static const char *const ops[] = {"<=>", "->>", "<=", ">=", "<>", "!=", "<<",
					  ">>",  "&&",  "||", "->", ":="};
	size_t avail = (size_t)(lx->end - start);

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i]);

		if (n <= avail && memcmp(start, ops[i], n) == 0)
			return emit(lx, t, DPI_SQL_TOK_OP, start, start + n, 0);
	}
	return emit(lx, t, DPI_SQL_TOK_OP, start, start + 1, 0);
}

/*
 * PostgreSQL operators (scan.l {operator}): a run of operator characters,
 * cut before an embedded comment start, and without trailing '+'/'-' unless
 * it contains one of ~!@#^&|`?% (so "a=-1" is "=" and "-").
 */
static int lex_pg_op(struct dpi_sql_lexer *lx, struct dpi_sql_token *t, const uint8_t *start)
{
	const uint8_t *p = start, *end = lx->end;
	bool special = false;
	size_t n;

	while (p < end && is_pg_op(*p)) {
		if (p > start && p + 1 < end &&
		    ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*')))
			break;
		p++;
	}
	n = (size_t)(p - start);
	for (size_t i = 0; i < n; i++)
		if (strchr("~!@#^&|`?%", start[i]))
			special = true;
	while (n > 1 && !special && (start[n - 1] == '+' || start[n - 1] == '-'))
		n--;
	return emit(lx, t, DPI_SQL_TOK_OP, start, start + n, 0);
}

/* MySQL user and system variables: @name, @'name', @"name", @`name`,
 * @@name, @@global.name (the ".name" is lexed separately). */
static int lex_variable(struct dpi_sql_lexer *lx, struct dpi_sql_token *t, const uint8_t *start)
{
	const uint8_t *p = start + 1, *end = lx->end;

	if (p < end && *p == '@')
		p++;
	if (p < end && (*p == '\'' || *p == '"' || *p == '`') && p == start + 1) {
		bool bs = *p != '`' && !(lx->mode & DPI_SQL_MODE_NO_BACKSLASH_ESCAPES);
		int r = lex_quoted(lx, t, DPI_SQL_TOK_VARIABLE, start, p + 1, *p, bs, *p != '`', 0);

		if (t->type == DPI_SQL_TOK_ERROR && *p == '`')
			t->flags = DPI_SQL_TF_UNTERM_IDENT;
		return r;
	}
	if (p < end && is_ident_cont(*p))
		return emit(lx, t, DPI_SQL_TOK_VARIABLE, start, ident_run(p, end), 0);
	return emit(lx, t, DPI_SQL_TOK_OP, start, p, 0);
}

int dpi_sql_next(struct dpi_sql_lexer *lx, struct dpi_sql_token *t)
{
	const uint8_t *s, *end = lx->end;
	bool mysql = lx->dialect == DPI_SQL_MYSQL;
	bool force = lx->force_ident;
	/* backslash escapes in '' (and MySQL "") strings */
	bool bs = mysql ? !(lx->mode & DPI_SQL_MODE_NO_BACKSLASH_ESCAPES)
			: (lx->mode & DPI_SQL_MODE_PG_ESCAPES) != 0;
	uint8_t c, c1;

	lx->force_ident = 0;
	while (lx->cur < end && is_space(*lx->cur))
		lx->cur++;
	s = lx->cur;
	if (s >= end) {
		if (lx->in_exec) /* the executable comment never closed */
			return emit(lx, t, DPI_SQL_TOK_ERROR, s, s, DPI_SQL_TF_UNTERM_COMMENT);
		emit(lx, t, DPI_SQL_TOK_EOF, s, s, 0);
		return 0;
	}
	c = *s;
	c1 = s + 1 < end ? s[1] : 0;

	if (force && is_ident_cont(c))
		return emit(lx, t, DPI_SQL_TOK_WORD, s, ident_run(s, end), 0);

	/* Comments. */
	if (c == '/' && c1 == '*') {
		if (mysql && s + 2 < end && s[2] == '!')
			return lex_exec_open(lx, t, s, s + 3, false);
		if (mysql && s + 3 < end && s[2] == 'M' && s[3] == '!')
			return lex_exec_open(lx, t, s, s + 4, true);
		return lex_block_comment(lx, t, s);
	}
	if (mysql && lx->in_exec && c == '*' && c1 == '/') {
		lx->in_exec = 0;
		return emit(lx, t, DPI_SQL_TOK_COMMENT, s, s + 2, DPI_SQL_TF_EXEC_CLOSE);
	}
	if (c == '-' && c1 == '-') {
		/* MySQL wants a space or control character (or the end) after "--". */
		if (!mysql || s + 2 >= end || s[2] <= ' ' || s[2] == 0x7f)
			return lex_line_comment(lx, t, s, s + 2);
	}
	if (mysql && c == '#')
		return lex_line_comment(lx, t, s, s + 1);

	/* Prefixed literals: E'', B'', X'', N'', U&'' and U&"". */
	if (c1 == '\'') {
		uint8_t l = c | 0x20;

		if (l == 'e' && !mysql)
			return lex_quoted(lx, t, DPI_SQL_TOK_STRING, s, s + 2, '\'', true, false,
					  DPI_SQL_TF_PREFIX);
		if (l == 'b' || l == 'x')
			return lex_quoted(lx, t, DPI_SQL_TOK_STRING, s, s + 2, '\'', false, false,
					  DPI_SQL_TF_PREFIX);
		if (l == 'n')
			return lex_quoted(lx, t, DPI_SQL_TOK_STRING, s, s + 2, '\'', bs, true,
					  DPI_SQL_TF_PREFIX);
	}
	if (!mysql && (c | 0x20) == 'u' && c1 == '&' && s + 2 < end &&
	    (s[2] == '\'' || s[2] == '"'))
		return lex_quoted(lx, t, s[2] == '"' ? DPI_SQL_TOK_QIDENT : DPI_SQL_TOK_STRING, s,
				  s + 3, s[2], false, s[2] == '\'', DPI_SQL_TF_PREFIX);

	switch (c) {
	case '\'':
		return lex_quoted(lx, t, DPI_SQL_TOK_STRING, s, s + 1, '\'', bs, true, 0);
	case '"':
		if (mysql && !(lx->mode & DPI_SQL_MODE_ANSI_QUOTES)) /* see dpi_sql.c for names */
			return lex_quoted(lx, t, DPI_SQL_TOK_STRING, s, s + 1, '"', bs, true, 0);
		return lex_quoted(lx, t, DPI_SQL_TOK_QIDENT, s, s + 1, '"', false, false, 0);
	case '`':
		if (mysql)
			return lex_quoted(lx, t, DPI_SQL_TOK_QIDENT, s, s + 1, '`', false, false, 0);
		break;
	case '$':
		if (!mysql)
			return lex_dollar(lx, t, s);
		return emit(lx, t, DPI_SQL_TOK_WORD, s, ident_run(s, end), 0);
	case '?':
		if (mysql)
			return emit(lx, t, DPI_SQL_TOK_PARAM, s, s + 1, 0);
		break;
	case '@':
		if (mysql)
			return lex_variable(lx, t, s);
		break;
	case ':':
		if (c1 == '=' || (!mysql && c1 == ':'))
			return emit(lx, t, DPI_SQL_TOK_OP, s, s + 2, 0);
		return emit(lx, t, DPI_SQL_TOK_PUNCT, s, s + 1, 0);
	case '.':
		if (mysql && lx->ident_end == s && s + 1 < end && is_ident_cont(s[1])) {
			/* "db.1t": MySQL reads what follows "ident." as an identifier */
			lx->force_ident = 1;
			return emit(lx, t, DPI_SQL_TOK_PUNCT, s, s + 1, 0);
		}
		if (is_digit(c1))
			return lex_number(lx, t, s);
		return emit(lx, t, DPI_SQL_TOK_PUNCT, s, s + 1, 0);
	case '(':
	case ')':
	case ',':
	case ';':
	case '[':
	case ']':
	case '{':
	case '}':
		return emit(lx, t, DPI_SQL_TOK_PUNCT, s, s + 1, 0);
	default:
		break;
	}
	if (is_digit(c))
		return lex_number(lx, t, s);
	if (is_ident_start(c))
		return emit(lx, t, DPI_SQL_TOK_WORD, s, ident_run(s, end), 0);
	if (mysql) {
		if (c && strchr("+-*/%<>=!~^&|", c))
			return lex_mysql_op(lx, t, s);
	} else if (is_pg_op(c)) {
		return lex_pg_op(lx, t, s);
	}
	/* Anything else ('\\', control bytes, NUL) is a stray byte. */
	return emit(lx, t, DPI_SQL_TOK_OP, s, s + 1, 0);
}

bool dpi_sql_word_is(const struct dpi_sql_token *tok, const char *kw)
{
	size_t n = strlen(kw);

	if (tok->type != DPI_SQL_TOK_WORD || tok->text.len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t a = tok->text.p[i], b = (uint8_t)kw[i];

		if (a >= 'A' && a <= 'Z')
			a |= 0x20;
		if (b >= 'A' && b <= 'Z')
			b |= 0x20;
		if (a != b)
			return false;
	}
	return true;
}
