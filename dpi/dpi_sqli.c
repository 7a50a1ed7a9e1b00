/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sqli.c - SQL injection detection by the shape of the injected
 * fragment. See dpi_sqli.h for the idea; the detector has four parts:
 *
 *   keywords   what a word means to the grammar (reserved, callable,
 *              literal, statement verb) and which words are evidence
 *              (functions for timing, error and out-of-band channels,
 *              system catalogues);
 *   tokens     the SQL lexer's tokens folded into a few classes;
 *   grammar    a lenient recursive-descent reader of what follows the
 *              break, recording evidence (family and score) as it goes
 *              (dpi_sqli_grammar.c);
 *   readings   the normalised copy and the contexts x dialects loop.
 *
 * This file holds keywords, tokens and readings; dpi_sqli_int.h holds what
 * they share with the grammar.
 *
 * The grammar is lenient where a server is (it accepts constructs it does
 * not model in function arguments and after statement verbs) and strict
 * where English is not SQL: two bare words in a row, a reserved word where a
 * value belongs, a stray byte. Evidence recorded before a syntax error still
 * counts when it is strong (85 and up, less 5): this grammar is smaller than
 * any server's, and a payload followed by syntax it doesn't model must not
 * slip through, while text that merely starts like SQL rarely carries strong
 * evidence.
 *
 * Scores (DPI_SQLI_THRESHOLD is 50): 95 a call of a timing, error or
 * out-of-band function with SQL-looking arguments, WAITFOR, INTO OUTFILE,
 * UNION with a real select list; 85-90 a statement after ';', OR/AND with a
 * comparison of literals or of a function or subquery, a subquery; 70-80
 * ORDER/GROUP BY of column numbers, OR name='x' after a quote, a comment
 * right after a quote; 40-60 weaker shapes that need a second sign. A line
 * comment after the fragment adds 20 (it cuts off the rest of the query).
 * Read as-is, a value that starts with a bare word loses 30: that is where
 * text starts, not where a number goes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dpi_sql.h"
#include "dpi_sqli.h"
#include "dpi_uri.h"
#include "dpi_sqli_int.h"

/* -------------------------------------------------------------- keywords */

static const struct kwent {
	const char *name;
	uint16_t flags;
} kws[] = {
#define X(n, f) {#n, f},
	KW_LIST(X)
#undef X
};

#define KW_MAXLEN 31

static int kw_cmp(const void *key, const void *ent)
{
	return strcmp(key, ((const struct kwent *)ent)->name);
}

/* The keyword id of @len bytes at @s (any case), or K_NONE. */
static unsigned kw_lookup(const uint8_t *s, size_t len)
{
	char low[KW_MAXLEN + 1];
	const struct kwent *hit;

	if (len == 0 || len > KW_MAXLEN)
		return K_NONE;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];

		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		low[i] = (char)c;
	}
	low[len] = 0;
	hit = bsearch(low, kws, sizeof(kws) / sizeof(kws[0]), sizeof(kws[0]), kw_cmp);
	return hit ? (unsigned)(hit - kws) + 1 : K_NONE;
}

unsigned dpi_sqli_kw_flags(unsigned kw)
{
	return kw > K_NONE && kw < K__MAX ? kws[kw - 1].flags : 0;
}

int dpi_sqli_selftest(void)
{
	for (size_t i = 1; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (strcmp(kws[i - 1].name, kws[i].name) >= 0 ||
		    strlen(kws[i].name) > KW_MAXLEN)
			return (int)i;
	return 0;
}

static bool op_is(const struct dpi_sql_token *t, const char *s)
{
	size_t n = strlen(s);

	return t->text.len == n && memcmp(t->text.p, s, n) == 0;
}

static void classify_op(const struct dpi_sql_token *t, bool mysql, struct tk *k)
{
	static const char *const cmps[] = {"=", "<>", "!=", "<", ">", "<=", ">=", "<=>"};
	uint8_t c = t->text.p[0];

	for (size_t i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++)
		if (op_is(t, cmps[i])) {
			k->tc = TC_CMP;
			return;
		}
	if (op_is(t, "*")) {
		k->tc = TC_STAR;
		return;
	}
	if (mysql && (op_is(t, "&&") || op_is(t, "||"))) {
		k->tc = TC_LOGIC;
		return;
	}
	if (op_is(t, "::")) {
		k->tc = TC_OP;
		k->f = TF_CAST;
		return;
	}
	if (op_is(t, ":=")) {
		k->tc = TC_OP;
		k->f = TF_ASSIGN;
		return;
	}
	/* what each lexer returns for a byte that is no operator at all */
	if (!strchr(mysql ? "+-*/%<>=!~^&|" : "~!@#^&|`?+-*/%<>=", c) || c == 0 ||
	    (!mysql && c == '`')) {
		k->tc = TC_BAD;
		return;
	}
	k->tc = TC_OP;
	if (t->text.len == 1 && (c == '-' || c == '+' || c == '~' || c == '!' || (!mysql && c == '@')))
		k->f = TF_UNARY;
}

/*
 * Lex bytes [@from, @to) of @base with @d's rules into @out (room for
 * DPI_SQLI_MAX_TOKENS + 1: a TC_EOF always follows). Block comments and
 * executable-comment marks are whitespace; a line comment or an
 * unterminated block comment ends the reading with TC_END. Offsets are
 * relative to @base. Returns the token count (without the TC_EOF).
 */
static unsigned tokenize(const uint8_t *base, size_t from, size_t to, enum dpi_sql_dialect d,
			 bool cut, struct tk *out)
{
	struct dpi_sql_lexer lx;
	struct dpi_sql_token t;
	bool mysql = d == DPI_SQL_MYSQL;
	unsigned n = 0;

	if (dpi_sql_lexer_init(&lx, d, base + from, to - from) < 0)
		goto out;
	while (n < DPI_SQLI_MAX_TOKENS && dpi_sql_next(&lx, &t) == 1) {
		struct tk *k = &out[n];

		memset(k, 0, sizeof(*k));
		k->off = (uint32_t)(t.text.p - base);
		k->len = t.text.len;
		switch (t.type) {
		case DPI_SQL_TOK_COMMENT:
			if (!(t.flags & DPI_SQL_TF_LINE))
				continue;
			k->tc = TC_END;
			n++;
			goto out;
		case DPI_SQL_TOK_ERROR:
			if (t.flags & DPI_SQL_TF_UNTERM_STRING) {
				k->tc = TC_STR; /* the query's own quote closes it */
				k->f = TF_OPEN;
			} else if (t.flags & DPI_SQL_TF_UNTERM_COMMENT) {
				k->tc = TC_END;
			} else {
				k->tc = TC_BAD;
			}
			n++;
			goto out;
		case DPI_SQL_TOK_WORD: {
			unsigned kw = kw_lookup(t.text.p, t.text.len);

			k->kw = (uint8_t)kw;
			k->tc = (dpi_sqli_kw_flags(kw) & KF_RES) ? TC_KW : TC_ID;
			break;
		}
		case DPI_SQL_TOK_QIDENT:
			k->tc = TC_ID;
			break;
		case DPI_SQL_TOK_STRING:
			k->tc = TC_STR;
			break;
		case DPI_SQL_TOK_NUMBER:
		case DPI_SQL_TOK_PARAM:
			k->tc = TC_NUM;
			break;
		case DPI_SQL_TOK_VARIABLE:
			k->tc = TC_VAR;
			if (t.text.len > 2 && t.text.p[1] == '@')
				k->f = TF_SYSVAR;
			break;
		case DPI_SQL_TOK_OP:
			classify_op(&t, mysql, k);
			if (!mysql && t.text.p[0] == '@' &&
			    (t.text.len == 1 || (t.text.len == 2 && t.text.p[1] == '@'))) {
				/* MSSQL @var and @@version, which PostgreSQL's lexer
				 * reads as an operator and a word */
				struct dpi_sql_lexer ahead = lx;
				struct dpi_sql_token w;

				if (dpi_sql_next(&ahead, &w) == 1 && w.type == DPI_SQL_TOK_WORD &&
				    w.text.p == t.text.p + t.text.len) {
					lx = ahead;
					k->tc = TC_VAR;
					k->f = t.text.len == 2 ? TF_SYSVAR : 0;
					k->len += w.text.len;
				}
			}
			break;
		case DPI_SQL_TOK_PUNCT:
			switch (t.text.p[0]) {
			case '(': k->tc = TC_LP; break;
			case ')': k->tc = TC_RP; break;
			case ',': k->tc = TC_COMMA; break;
			case ';': k->tc = TC_SEMI; break;
			case '.': k->tc = TC_DOT; break;
			case '[': k->tc = TC_LB; break;
			case ']': k->tc = TC_RB; break;
			default: k->tc = TC_BAD; break;
			}
			break;
		default:
			k->tc = TC_BAD;
			break;
		}
		n++;
	}
	if (cut && n < DPI_SQLI_MAX_TOKENS) { /* the NUL that ended the copy */
		memset(&out[n], 0, sizeof(out[n]));
		out[n].tc = TC_END;
		out[n++].off = (uint32_t)to;
	}
out:
	memset(&out[n], 0, sizeof(out[n]));
	out[n].tc = TC_EOF;
	out[n].off = (uint32_t)to;
	return n;
}

/* -------------------------------------------------------------- readings */

#define R3(s) {s, "string-break+" s, "dquote-break+" s}
static const char *const reasons[DPI_SQLI_FAMILY__MAX][3] = {
	[DPI_SQLI_NONE] = {"", "", ""},
	[DPI_SQLI_TAUTOLOGY] = R3("or-tautology"),
	[DPI_SQLI_BOOLEAN_BLIND] = R3("boolean-blind"),
	[DPI_SQLI_UNION] = R3("union-select"),
	[DPI_SQLI_STACKED] = R3("stacked-statement"),
	[DPI_SQLI_COMMENT] = R3("comment-truncation"),
	[DPI_SQLI_TIME] = R3("time-based (sleep/benchmark/pg_sleep/waitfor)"),
	[DPI_SQLI_ERROR] = R3("error-based (extractvalue/updatexml)"),
	[DPI_SQLI_OOB] = R3("out-of-band (load_file/outfile/xp_dirtree/utl_http)"),
	[DPI_SQLI_SUBQUERY] = R3("subquery"),
	[DPI_SQLI_CLAUSE] = R3("clause-injection (order by/group by/having/limit)"),
};

const char *dpi_sqli_family_name(unsigned family)
{
	static const char *const names[DPI_SQLI_FAMILY__MAX] = {
		"none",           "or-tautology", "boolean-blind", "union-select",
		"stacked-statement", "comment-truncation", "time-based", "error-based",
		"out-of-band",    "subquery",     "clause-injection",
	};

	return family < DPI_SQLI_FAMILY__MAX ? names[family] : "none";
}

/* One copy of the value, maybe normalised; map[i] is the offset in the
 * caller's value of the byte the copy's byte i came from (map[len]: where
 * the copy ends). map NULL: the copy is the value itself. */
struct view {
	const uint8_t *p;
	size_t len;
	const uint16_t *map;
	unsigned reading;
	bool cut; /* ended at a NUL: the rest of the query is cut off */
};

struct work {
	struct tk toks[DPI_SQLI_MAX_TOKENS + 1];
	uint8_t buf[DPI_SQLI_MAX_INPUT];
	uint16_t map[DPI_SQLI_MAX_INPUT + 1];
};

/* Length of a percent escape at s[i] ("%XX" 3, "%uXXXX" below 0x100 6), its
 * byte in *ret_c; 0 when there is none. */
static size_t escape_at(const uint8_t *s, size_t len, size_t i, uint8_t *ret_c)
{
	int a, b;

	if (s[i] != '%')
		return 0;
	if (i + 2 < len && (a = dpi_hexval(s[i + 1])) >= 0 && (b = dpi_hexval(s[i + 2])) >= 0) {
		*ret_c = (uint8_t)(a << 4 | b);
		return 3;
	}
	if (i + 5 < len && (s[i + 1] | 0x20) == 'u' && s[i + 2] == '0' && s[i + 3] == '0' &&
	    (a = dpi_hexval(s[i + 4])) >= 0 && (b = dpi_hexval(s[i + 5])) >= 0) {
		*ret_c = (uint8_t)(a << 4 | b);
		return 6;
	}
	return 0;
}

static bool word_byte(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

/*
 * The normalised copy of @v (@len <= DPI_SQLI_MAX_INPUT) into w->buf and
 * w->map. Returns its length; *ret_reading says what changed (0: nothing,
 * the copy is useless).
 */
static size_t normalise(const uint8_t *v, size_t len, unsigned ctx, struct work *w,
			unsigned *ret_reading)
{
	uint8_t *b = w->buf;
	uint16_t *m = w->map;
	unsigned reading = 0;
	bool plus = ctx & DPI_SQLI_CTX_PLUS;

	memcpy(b, v, len);
	for (size_t i = 0; i <= len; i++)
		m[i] = (uint16_t)i;
	/* further percent-decoding, as an application that decodes again would
	 * (urldecode: '+' is a space then) */
	for (int round = 0; round < 3; round++) {
		size_t r = 0, o = 0;
		bool any = false;
		uint8_t c;

		for (size_t i = 0; i < len; i++)
			if (escape_at(b, len, i, &c)) {
				any = true;
				break;
			}
		if (!any)
			break;
		reading |= DPI_SQLI_R_DECODED;
		while (r < len) {
			size_t n = escape_at(b, len, r, &c);

			m[o] = m[r];
			if (n) {
				b[o++] = c;
				r += n;
			} else {
				b[o++] = b[r] == '+' ? ' ' : b[r];
				r++;
			}
		}
		m[o] = m[len];
		len = o;
	}
	/* a NUL ends the text for C-string APIs and many drivers */
	for (size_t i = 0; i < len; i++)
		if (b[i] == 0) {
			len = i;
			reading |= DPI_SQLI_R_NUL;
			break;
		}
	for (size_t i = 0; i < len; i++) {
		/* a lone 0xA0 (not inside UTF-8) is a space for MySQL in latin1 */
		if (b[i] == 0xa0 && (i == 0 || b[i - 1] < 0x80) && (i + 1 == len || b[i + 1] < 0x80)) {
			b[i] = ' ';
			reading |= DPI_SQLI_R_SPACE;
		} else if (plus && b[i] == '+') {
			b[i] = ' ';
			reading |= DPI_SQLI_R_SPACE;
		}
	}
	*ret_reading = reading;
	return len;
}

/* Remove, in place, block comments glued between word characters
 * (UN/ * * /ION) from the copy in w->buf, w->map. Returns the new length. */
static size_t unglue(size_t len, struct work *w, unsigned *ret_reading)
{
	uint8_t *b = w->buf;
	uint16_t *m = w->map;
	unsigned reading = 0;

	for (size_t i = 1; i + 3 < len; i++) {
		size_t j;

		if (b[i] != '/' || b[i + 1] != '*' || b[i + 2] == '!' || !word_byte(b[i - 1]))
			continue;
		for (j = i + 2; j + 1 < len && !(b[j] == '*' && b[j + 1] == '/'); j++)
			;
		if (j + 2 >= len || !word_byte(b[j + 2]))
			continue;
		j += 2; /* first byte after the comment */
		memmove(b + i, b + j, len - j);
		memmove(m + i, m + j, (len - j + 1) * sizeof(m[0]));
		len -= j - i;
		reading |= DPI_SQLI_R_GLUED;
	}
	*ret_reading |= reading;
	return len;
}

/* Offset in the caller's value of byte @o of @vw (o <= vw->len). */
static uint32_t map_off(const struct view *vw, uint32_t o)
{
	if (o > vw->len)
		o = (uint32_t)vw->len;
	return vw->map ? vw->map[o] : o;
}

/* Position of the quote that ends a string opened before the value, or -1. */
static long find_break(const uint8_t *s, size_t len, uint8_t q, bool bs)
{
	for (size_t i = 0; i < len; i++) {
		if (bs && s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] == q) {
			if (i + 1 < len && s[i + 1] == q) {
				i++;
				continue;
			}
			return (long)i;
		}
	}
	return -1;
}

/* One reading: @vw in context @ctx with dialect @d. Updates @best. */
static void reading(const struct view *vw, enum dpi_sqli_context ctx, enum dpi_sql_dialect d,
		    struct work *w, struct dpi_sqli_result *best)
{
	struct ps p;
	size_t from = 0;
	uint32_t frag;
	unsigned score;

	if (ctx != DPI_SQLI_IN_NUMERIC) {
		long q = find_break(vw->p, vw->len, ctx == DPI_SQLI_IN_SQUOTE ? '\'' : '"',
				    d == DPI_SQL_MYSQL);

		if (q < 0)
			return;
		from = (size_t)q + 1;
	}
	memset(&p, 0, sizeof(p));
	p.t = w->toks;
	p.text = vw->p;
	p.mysql = d == DPI_SQL_MYSQL;
	p.n = tokenize(vw->p, from, vw->len, d, vw->cut, w->toks);
	if (ctx != DPI_SQLI_IN_NUMERIC) {
		frag = (uint32_t)from - 1;
		p.end = (uint32_t)from;
		p.quoted = true;
		p.quote = ctx == DPI_SQLI_IN_SQUOTE ? '\'' : '"';
		p.open_quote = from > 1 && (vw->p[from - 2] == ' ' || vw->p[from - 2] == '\t');
		dpi_sqli_tail(&p, S_LIT, true);
		score = p.score;
	} else {
		const struct tk *t = &p.t[p.i];
		unsigned first = 0;
		bool weak = true;

		frag = t->off;
		if (!(t->tc == TC_SEMI || ((t->tc == TC_KW || t->tc == TC_ID) && t->kw == K_union) ||
		      t->tc == TC_EOF)) {
			first = dpi_sqli_operand(&p);
			/* a number, a string, a call with literals, a subquery; not
			 * a word or isinstance(value, tuple) */
			weak = !(first & (S_LIT | S_SUBQ));
			p.strong_start = !weak;
			if (p.score == 0)
				frag = p.t[p.i].off;
		}
		if (!p.bad)
			dpi_sqli_tail(&p, first, false);
		score = p.score;
		/* a bare word is where text starts, not where a number goes */
		if (weak && p.fam != DPI_SQLI_TIME && p.fam != DPI_SQLI_ERROR &&
		    p.fam != DPI_SQLI_OOB)
			score = score > 30 ? score - 30 : 0;
	}
	if (p.bad)
		score = score >= 85 ? score - 5 : 0;
	if (score <= best->score)
		return;
	if (p.ev_end < frag)
		p.ev_end = frag;
	best->family = (uint8_t)p.fam;
	best->context = (uint8_t)ctx;
	best->dialect = (uint8_t)d;
	best->reading = (uint8_t)vw->reading;
	best->score = score;
	best->off = map_off(vw, frag);
	best->len = map_off(vw, p.ev_end) - best->off;
	best->reason = reasons[p.fam][ctx];
}

/* Every reading of one view. */
static void view_readings(const struct view *vw, unsigned ctx_flags, struct work *w,
			  struct dpi_sqli_result *best)
{
	bool sq = memchr(vw->p, '\'', vw->len) != NULL;
	bool dq = memchr(vw->p, '"', vw->len) != NULL;

	for (int d = 0; d < 2 && best->score < 95; d++) {
		enum dpi_sql_dialect dl = d ? DPI_SQL_PGSQL : DPI_SQL_MYSQL;

		if (ctx_flags & (d ? DPI_SQLI_CTX_NO_PGSQL : DPI_SQLI_CTX_NO_MYSQL))
			continue;
		if (!(ctx_flags & DPI_SQLI_CTX_NO_NUMERIC))
			reading(vw, DPI_SQLI_IN_NUMERIC, dl, w, best);
		if (sq && !(ctx_flags & DPI_SQLI_CTX_NO_SQUOTE))
			reading(vw, DPI_SQLI_IN_SQUOTE, dl, w, best);
		if (dq && !d && !(ctx_flags & DPI_SQLI_CTX_NO_DQUOTE))
			reading(vw, DPI_SQLI_IN_DQUOTE, dl, w, best);
	}
}

int dpi_sqli_check(const uint8_t *value, size_t len, unsigned ctx_flags,
		   struct dpi_sqli_result *ret)
{
	struct work w;
	struct dpi_sqli_result best;
	unsigned truncated = 0;
	bool need_norm = false, glue = false;

	if (!ret || (!value && len))
		return -EINVAL;
	if (!value)
		value = (const uint8_t *)"";
	if (len > DPI_SQLI_MAX_INPUT) {
		len = DPI_SQLI_MAX_INPUT;
		truncated = DPI_SQLI_R_TRUNCATED;
	}
	memset(&best, 0, sizeof(best));
	best.reason = "";
	view_readings(&(struct view){value, len, NULL, 0, false}, ctx_flags, &w, &best);
	if (!(ctx_flags & DPI_SQLI_CTX_NO_DECODE)) {
		for (size_t i = 0; i < len; i++) {
			uint8_t c = value[i];

			need_norm |= c == '%' || c == 0 || c == 0xa0 ||
				     (c == '+' && (ctx_flags & DPI_SQLI_CTX_PLUS));
			glue |= c == '/' && i + 1 < len && value[i + 1] == '*';
		}
	}
	if ((need_norm || glue) && best.score < 95) {
		/* the normalised copy, then the same without glued comments (a
		 * separate reading: elsewhere a comment is a space, 1/ * * /OR) */
		unsigned r = 0;
		size_t n = normalise(value, len, ctx_flags, &w, &r);
		struct view vw = {w.buf, n, w.map, r, (r & DPI_SQLI_R_NUL) != 0};

		if (r)
			view_readings(&vw, ctx_flags, &w, &best);
		if (glue && best.score < 95) {
			vw.len = unglue(n, &w, &vw.reading);
			if (vw.reading & DPI_SQLI_R_GLUED)
				view_readings(&vw, ctx_flags, &w, &best);
		}
	}
	best.reading |= (uint8_t)truncated;
	if (best.score < DPI_SQLI_THRESHOLD) {
		best.family = DPI_SQLI_NONE;
		best.off = best.len = 0;
		best.reason = "";
	}
	*ret = best;
	return best.score >= DPI_SQLI_THRESHOLD;
}
