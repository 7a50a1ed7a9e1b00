/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sqli.c - SQL injection detection by the shape of the injected
 * fragment. See dpi_sqli.h for the idea; this file has four parts:
 *
 *   keywords   what a word means to the grammar (reserved, callable,
 *              literal, statement verb) and which words are evidence
 *              (functions for timing, error and out-of-band channels,
 *              system catalogues);
 *   tokens     the SQL lexer's tokens folded into a few classes;
 *   grammar    a lenient recursive-descent reader of what follows the
 *              break, recording evidence (family and score) as it goes;
 *   readings   the normalised copy and the contexts x dialects loop.
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
#include <string.h>
#include <strings.h>

#include "dpi_sql.h"
#include "dpi_sqli.h"

/* -------------------------------------------------------------- keywords */

#define KF_RES 0x0001  /* reserved: never a bare identifier */
#define KF_CALL 0x0002 /* reserved, but a function when '(' follows */
#define KF_LIT 0x0004  /* a value on its own: NULL, TRUE, CURRENT_USER */
#define KF_VERB 0x0008 /* starts a statement */
#define KF_TIME 0x0010 /* called: time-based channel */
#define KF_ERR 0x0020  /* called: error-based channel */
#define KF_OOB 0x0040  /* called or executed: file, network or command channel */
#define KF_INFO 0x0080 /* names system information: version, catalogues */
#define KF_OBJ 0x0100  /* an object kind after DROP / CREATE / ALTER */
#define KF_PKG 0x0200  /* a package whose functions are a channel (dbms_pipe.x) */
#define KF_SCHEMA 0x0400 /* a system schema: master..xp_dirtree is xp_dirtree */
#define KF_GEOM 0x0800 /* error-based only around a subquery: POLYGON((SELECT ..)) */

/* Sorted by byte value (dpi_sqli_selftest() checks). */
#define KW_LIST(X) \
	X(all, KF_RES) \
	X(alter, KF_RES | KF_VERB) \
	X(analyse, 0) \
	X(and, KF_RES) \
	X(any, KF_RES | KF_CALL) \
	X(as, KF_RES) \
	X(asc, KF_RES) \
	X(ascii, KF_INFO) \
	X(begin, KF_RES | KF_VERB) \
	X(benchmark, KF_TIME) \
	X(between, KF_RES) \
	X(binary, KF_RES) \
	X(both, KF_RES) \
	X(by, KF_RES) \
	X(call, KF_RES | KF_VERB) \
	X(case, KF_RES) \
	X(cast, KF_RES | KF_CALL) \
	X(char, KF_RES | KF_CALL | KF_INFO) \
	X(chr, KF_INFO) \
	X(collate, KF_RES) \
	X(column_name, KF_INFO) \
	X(concat, KF_INFO) \
	X(concat_ws, KF_INFO) \
	X(convert, KF_RES | KF_CALL) \
	X(copy, KF_RES | KF_VERB) \
	X(create, KF_RES | KF_VERB) \
	X(cross, KF_RES) \
	X(ctxsys, KF_ERR | KF_PKG) \
	X(current_database, KF_INFO) \
	X(current_date, KF_RES | KF_LIT) \
	X(current_time, KF_RES | KF_LIT) \
	X(current_timestamp, KF_RES | KF_LIT) \
	X(current_user, KF_RES | KF_LIT | KF_CALL | KF_INFO) \
	X(data, 0) \
	X(database, KF_RES | KF_CALL | KF_INFO | KF_OBJ) \
	X(db_name, KF_INFO) \
	X(dblink, KF_OOB) \
	X(dblink_connect, KF_OOB) \
	X(dbms_ldap, KF_OOB | KF_PKG) \
	X(dbms_lock, KF_TIME | KF_PKG) \
	X(dbms_pipe, KF_TIME | KF_PKG) \
	X(dbo, KF_SCHEMA) \
	X(declare, KF_RES | KF_VERB) \
	X(default, KF_RES | KF_LIT) \
	X(delay, 0) \
	X(delete, KF_RES | KF_VERB) \
	X(desc, KF_RES) \
	X(describe, KF_RES | KF_VERB) \
	X(distinct, KF_RES) \
	X(distinctrow, KF_RES) \
	X(div, KF_RES) \
	X(do, KF_RES | KF_VERB) \
	X(drop, KF_RES | KF_VERB) \
	X(dumpfile, KF_RES) \
	X(else, KF_RES) \
	X(end, KF_RES) \
	X(escape, 0) \
	X(event, KF_OBJ) \
	X(except, KF_RES) \
	X(exec, KF_RES | KF_VERB) \
	X(execute, KF_RES | KF_VERB) \
	X(exists, KF_RES | KF_CALL) \
	X(explain, KF_RES | KF_VERB) \
	X(extractvalue, KF_ERR) \
	X(false, KF_RES | KF_LIT) \
	X(fetch, KF_RES) \
	X(for, KF_RES) \
	X(from, KF_RES) \
	X(full, KF_RES) \
	X(function, KF_OBJ) \
	X(geometrycollection, KF_ERR | KF_GEOM) \
	X(get_lock, KF_TIME) \
	X(glob, KF_RES | KF_CALL) \
	X(grant, KF_RES | KF_VERB) \
	X(group, KF_RES) \
	X(group_concat, KF_INFO) \
	X(gtid_subset, KF_ERR) \
	X(gtid_subtract, KF_ERR) \
	X(having, KF_RES) \
	X(host_name, KF_INFO) \
	X(httpuritype, KF_OOB) \
	X(if, KF_RES | KF_CALL | KF_VERB) \
	X(iif, KF_INFO) \
	X(ilike, KF_RES) \
	X(in, KF_RES) \
	X(index, KF_RES | KF_OBJ) \
	X(infile, KF_RES) \
	X(information_schema, KF_INFO) \
	X(inner, KF_RES) \
	X(insert, KF_RES | KF_CALL | KF_VERB) \
	X(intersect, KF_RES) \
	X(interval, KF_RES) \
	X(into, KF_RES) \
	X(is, KF_RES) \
	X(join, KF_RES) \
	X(leading, KF_RES) \
	X(left, KF_RES | KF_CALL) \
	X(length, KF_INFO) \
	X(like, KF_RES | KF_CALL) \
	X(limit, KF_RES) \
	X(linestring, KF_ERR | KF_GEOM) \
	X(lo_export, KF_OOB) \
	X(lo_import, KF_OOB) \
	X(load, KF_RES | KF_VERB) \
	X(load_file, KF_OOB) \
	X(login, KF_OBJ) \
	X(master, KF_SCHEMA) \
	X(mid, KF_INFO) \
	X(mod, KF_RES | KF_CALL) \
	X(msdb, KF_SCHEMA) \
	X(multilinestring, KF_ERR | KF_GEOM) \
	X(multipoint, KF_ERR | KF_GEOM) \
	X(multipolygon, KF_ERR | KF_GEOM) \
	X(name_const, KF_ERR) \
	X(natural, KF_RES) \
	X(not, KF_RES) \
	X(null, KF_RES | KF_LIT) \
	X(offset, KF_RES) \
	X(on, KF_RES) \
	X(opendatasource, KF_OOB) \
	X(openquery, KF_OOB) \
	X(openrowset, KF_OOB) \
	X(or, KF_RES) \
	X(ord, KF_INFO) \
	X(order, KF_RES) \
	X(outer, KF_RES) \
	X(outfile, KF_RES) \
	X(pg_catalog, KF_INFO | KF_SCHEMA) \
	X(pg_ls_dir, KF_OOB) \
	X(pg_read_file, KF_OOB) \
	X(pg_shadow, KF_INFO) \
	X(pg_sleep, KF_TIME) \
	X(pg_sleep_for, KF_TIME) \
	X(pg_sleep_until, KF_TIME) \
	X(pg_user, KF_INFO) \
	X(polygon, KF_ERR | KF_GEOM) \
	X(procedure, KF_RES | KF_OBJ) \
	X(program, 0) \
	X(randomblob, KF_TIME) \
	X(receive_message, 0) \
	X(regexp, KF_RES) \
	X(rename, KF_RES | KF_VERB) \
	X(replace, KF_RES | KF_CALL | KF_VERB) \
	X(revoke, KF_RES | KF_VERB) \
	X(right, KF_RES | KF_CALL) \
	X(rlike, KF_RES) \
	X(role, KF_OBJ) \
	X(schema, KF_RES | KF_CALL | KF_INFO | KF_OBJ) \
	X(select, KF_RES | KF_VERB) \
	X(separator, 0) \
	X(sequence, KF_OBJ) \
	X(session_user, KF_RES | KF_LIT | KF_CALL | KF_INFO) \
	X(set, KF_RES | KF_VERB) \
	X(show, KF_RES | KF_VERB) \
	X(shutdown, KF_RES | KF_VERB) \
	X(similar, KF_RES) \
	X(sleep, KF_TIME) \
	X(some, KF_RES | KF_CALL) \
	X(sounds, KF_RES) \
	X(sp_oacreate, KF_OOB) \
	X(sqlite_master, KF_INFO) \
	X(sqlite_version, KF_INFO) \
	X(straight_join, KF_RES) \
	X(substr, KF_INFO) \
	X(substring, KF_INFO) \
	X(sys, KF_SCHEMA) \
	X(sys_eval, KF_OOB) \
	X(sys_exec, KF_OOB) \
	X(syscolumns, KF_INFO) \
	X(sysobjects, KF_INFO) \
	X(system_user, KF_RES | KF_LIT | KF_CALL | KF_INFO) \
	X(table, KF_RES | KF_OBJ) \
	X(table_name, KF_INFO) \
	X(table_schema, KF_INFO) \
	X(temporary, KF_OBJ) \
	X(then, KF_RES) \
	X(to, KF_RES) \
	X(top, KF_RES) \
	X(trailing, KF_RES) \
	X(trigger, KF_RES | KF_OBJ) \
	X(true, KF_RES | KF_LIT) \
	X(truncate, KF_RES | KF_CALL | KF_VERB) \
	X(union, KF_RES) \
	X(unknown, KF_RES | KF_LIT) \
	X(update, KF_RES | KF_VERB) \
	X(updatexml, KF_ERR) \
	X(use, KF_RES | KF_VERB) \
	X(user, KF_RES | KF_LIT | KF_CALL | KF_INFO | KF_OBJ) \
	X(user_name, KF_INFO) \
	X(using, KF_RES) \
	X(utl_http, KF_OOB | KF_PKG) \
	X(utl_inaddr, KF_OOB | KF_PKG) \
	X(values, KF_RES | KF_CALL) \
	X(version, KF_INFO) \
	X(view, KF_OBJ) \
	X(waitfor, KF_RES | KF_VERB | KF_TIME) \
	X(when, KF_RES) \
	X(where, KF_RES) \
	X(with, KF_RES) \
	X(xmltype, KF_ERR) \
	X(xor, KF_RES) \
	X(xp_cmdshell, KF_OOB) \
	X(xp_dirtree, KF_OOB) \
	X(xp_fileexist, KF_OOB) \
	X(xp_regread, KF_OOB) \
	X(xp_subdirs, KF_OOB)

enum kw {
	K_NONE = 0,
#define X(n, f) K_##n,
	KW_LIST(X)
#undef X
	K__MAX
};
_Static_assert(K__MAX <= 256, "keyword ids fit a token's byte");

static const struct kwent {
	const char *name;
	uint16_t flags;
} kws[] = {
#define X(n, f) {#n, f},
	KW_LIST(X)
#undef X
};

#define KW_MAXLEN 31

/* The keyword id of @len bytes at @s (any case), or K_NONE. */
static unsigned kw_lookup(const uint8_t *s, size_t len)
{
	char low[KW_MAXLEN + 1];
	size_t lo = 0, hi = sizeof(kws) / sizeof(kws[0]);

	if (len == 0 || len > KW_MAXLEN)
		return K_NONE;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];

		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		low[i] = (char)c;
	}
	low[len] = 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(low, kws[mid].name);

		if (r == 0)
			return (unsigned)mid + 1;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return K_NONE;
}

static unsigned kw_flags(unsigned kw)
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

/* ---------------------------------------------------------------- tokens */

enum tc {
	TC_EOF = 0, /* end of the reading (or the token cap) */
	TC_END,     /* a comment or NUL that cuts the rest of the query off */
	TC_NUM,     /* number or placeholder */
	TC_STR,     /* string literal (one left open is closed by the query's quote) */
	TC_VAR,     /* MySQL @var, @@sysvar */
	TC_ID,      /* identifier, quoted identifier, or a non-reserved keyword */
	TC_KW,      /* reserved keyword */
	TC_CMP,     /* comparison operator */
	TC_OP,      /* any other operator */
	TC_LOGIC,   /* MySQL && and || */
	TC_STAR,    /* '*' */
	TC_LP,
	TC_RP,
	TC_COMMA,
	TC_SEMI,
	TC_DOT,
	TC_LB, /* '[' (MSSQL [name]) */
	TC_RB,
	TC_BAD, /* stray byte or punctuation no SQL value uses here */
};

#define TF_UNARY 0x01  /* operator that may be a prefix: - + ~ ! */
#define TF_SYSVAR 0x02 /* @@name */
#define TF_CAST 0x04   /* PostgreSQL "::" */
#define TF_ASSIGN 0x08 /* ":=" */
#define TF_OPEN 0x10   /* string left open: the query's own quote closes it */

struct tk {
	uint8_t tc; /* enum tc */
	uint8_t kw; /* enum kw (TC_KW, and TC_ID words that are in the table) */
	uint8_t f;  /* TF_* */
	uint8_t pad;
	uint32_t off, len; /* in the reading's text */
};

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
			k->tc = (kw_flags(kw) & KF_RES) ? TC_KW : TC_ID;
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

/* --------------------------------------------------------------- grammar */

/* What an expression contains. */
#define S_LIT 0x0001    /* a literal (number, string, NULL, variable) */
#define S_ID 0x0002     /* a column or other identifier */
#define S_FUNC 0x0004   /* a function call */
#define S_SUBQ 0x0008   /* a subquery */
#define S_CMP 0x0010    /* a comparison */
#define S_LITCMP 0x0020 /* a comparison of two literals, or of an operand with itself */
#define S_INFO 0x0040   /* system information: version(), @@version, catalogues */
#define S_BOOL 0x0080   /* TRUE or FALSE */
#define S_STRONG 0x0100 /* a subquery whose select list is more than one identifier */
#define S_OP 0x0200     /* an arithmetic or other operator */

struct ps {
	const struct tk *t;
	const uint8_t *text;
	unsigned i, n, depth;
	bool mysql, bad;
	bool quoted;       /* the fragment follows a string break */
	uint8_t quote;     /* ... of this quote character */
	bool open_quote;   /* ... which follows a space: it opens a quotation */
	bool strong_start; /* as-is: the value starts with a literal or subquery */
	bool lit_logic;    /* the last clause was OR/AND with a bare literal */
	unsigned score;    /* best evidence so far */
	unsigned fam;      /* its family */
	uint32_t ev_end;   /* end of the fragment that carried it */
	uint32_t end;      /* end of the last token consumed */
	uint32_t last_off; /* the last operand's span, for "x=x" */
	uint32_t last_len;
};

static const struct tk *cur(const struct ps *p)
{
	return &p->t[p->i];
}

static const struct tk *peek(const struct ps *p, unsigned k)
{
	return &p->t[p->i + k < p->n ? p->i + k : p->n];
}

static void adv(struct ps *p)
{
	if (p->i < p->n) {
		p->end = p->t[p->i].off + p->t[p->i].len;
		p->i++;
	}
}

static unsigned fail(struct ps *p)
{
	p->bad = true;
	return 0;
}

static bool is_kw(const struct tk *t, unsigned kw)
{
	return (t->tc == TC_KW || t->tc == TC_ID) && t->kw == kw;
}

static bool at_stop(const struct tk *t)
{
	return t->tc == TC_EOF || t->tc == TC_END;
}

static void found(struct ps *p, unsigned fam, unsigned score)
{
	if (score > p->score) {
		p->score = score;
		p->fam = fam;
		p->ev_end = p->end;
	}
}

/* Literal-only: literals, possibly through functions and operators. */
static bool lit_only(unsigned s)
{
	return (s & S_LIT) && !(s & (S_ID | S_SUBQ));
}

static bool same_text(const struct ps *p, uint32_t ao, uint32_t al, uint32_t bo, uint32_t bl)
{
	if (al != bl || al == 0 || al > 64)
		return false;
	for (uint32_t i = 0; i < al; i++) {
		uint8_t a = p->text[ao + i], b = p->text[bo + i];

		if (a >= 'A' && a <= 'Z')
			a |= 0x20;
		if (b >= 'A' && b <= 'Z')
			b |= 0x20;
		if (a != b)
			return false;
	}
	return true;
}

static unsigned expr(struct ps *p, bool logic);
static unsigned operand(struct ps *p);
static unsigned select_body(struct ps *p);
static unsigned select_chain(struct ps *p);
static unsigned paren(struct ps *p);
static void stmt(struct ps *p, unsigned penalty);

/* Arity a dangerous function needs to be the real thing ("benchmark(2023)"
 * in a search box is not MySQL's BENCHMARK(count, expr)); 0: any. */
static unsigned danger_arity(unsigned kw)
{
	switch (kw) {
	case K_benchmark:
	case K_extractvalue:
	case K_gtid_subset:
	case K_gtid_subtract:
	case K_name_const:
		return 2;
	case K_updatexml:
		return 3;
	case K_sleep:
	case K_pg_sleep:
		return 1;
	default:
		return 0;
	}
}

static void note_call(struct ps *p, unsigned kf)
{
	if (kf & KF_TIME)
		found(p, DPI_SQLI_TIME, 95);
	if (kf & KF_ERR)
		found(p, DPI_SQLI_ERROR, 95);
	if (kf & KF_OOB)
		found(p, DPI_SQLI_OOB, 95);
}

/* Function arguments from '(' to ')'. Lenient about the keywords some
 * functions take between arguments (CAST(x AS t), SUBSTRING(x FROM 1 FOR 1),
 * GROUP_CONCAT(x SEPARATOR ','), TRIM(LEADING ..)). *ret_args counts them. */
static unsigned call_args(struct ps *p, unsigned *ret_args)
{
	unsigned s = 0, args = 0;
	bool need_sep = false;

	adv(p); /* ( */
	if (++p->depth > DPI_SQLI_MAX_DEPTH)
		return fail(p);
	while (!p->bad) {
		const struct tk *t = cur(p);

		if (t->tc == TC_RP) {
			adv(p);
			break;
		}
		if (at_stop(t))
			break; /* open at the end: the query's text may close it */
		if (t->tc == TC_COMMA) {
			adv(p);
			need_sep = false;
			continue;
		}
		if ((t->tc == TC_KW &&
		     (t->kw == K_as || t->kw == K_using || t->kw == K_from || t->kw == K_for ||
		      t->kw == K_in || t->kw == K_order || t->kw == K_by || t->kw == K_distinct ||
		      t->kw == K_all || t->kw == K_leading || t->kw == K_trailing ||
		      t->kw == K_both || t->kw == K_asc || t->kw == K_desc)) ||
		    is_kw(t, K_separator)) {
			bool type = t->kw == K_as || t->kw == K_using;

			adv(p);
			need_sep = false;
			/* a type or charset: CHAR, SIGNED INTEGER, DECIMAL(10,2), utf8 */
			while (type && (cur(p)->tc == TC_ID || cur(p)->tc == TC_KW)) {
				adv(p);
				if (cur(p)->tc == TC_LP)
					paren(p);
				need_sep = true;
			}
			continue;
		}
		if (need_sep)
			return fail(p);
		if (t->tc == TC_STAR) {
			adv(p);
		} else if (is_kw(t, K_select)) {
			adv(p);
			s |= select_chain(p);
		} else {
			s |= expr(p, true);
		}
		if (!args)
			args = 1;
		need_sep = true;
		if (cur(p)->tc == TC_COMMA)
			args++;
	}
	p->depth--;
	*ret_args = args;
	return s;
}

/* A possibly qualified name: a.b, a..b (MSSQL), [dbo].[t], `db`.`t`.
 * Returns the keyword flags of its parts. */
#define KF_DANGER (KF_TIME | KF_ERR | KF_OOB | KF_GEOM)

static unsigned qname(struct ps *p)
{
	unsigned kf = 0, first = 0, last = 0, parts = 0;
	bool after_dot = false;

	for (;;) {
		const struct tk *t = cur(p);

		if (t->tc == TC_ID || (after_dot && t->tc == TC_KW)) {
			last = kw_flags(t->kw);
			if (!parts++)
				first = last;
			kf |= last & ~KF_DANGER;
			adv(p);
		} else if (t->tc == TC_LB) {
			adv(p);
			while (!at_stop(cur(p)) && cur(p)->tc != TC_RB && cur(p)->tc != TC_BAD)
				adv(p);
			if (cur(p)->tc != TC_RB)
				return fail(p);
			adv(p);
		} else {
			return fail(p);
		}
		if (cur(p)->tc != TC_DOT || peek(p, 1)->tc == TC_STAR)
			break;
		adv(p);
		if (cur(p)->tc == TC_DOT)
			adv(p);
		after_dot = true;
	}
	/* sleep() and master..xp_dirtree are channels, time.sleep() and
	 * polygon.get_xy() are someone's code */
	if (parts <= 1 || (first & KF_SCHEMA))
		kf |= last & KF_DANGER;
	else if (first & KF_PKG)
		kf |= first & KF_DANGER;
	return kf;
}

static unsigned case_expr(struct ps *p)
{
	unsigned s = S_FUNC;

	adv(p); /* CASE */
	if (!is_kw(cur(p), K_when))
		s |= expr(p, true);
	while (!p->bad && is_kw(cur(p), K_when)) {
		adv(p);
		s |= expr(p, true);
		if (!is_kw(cur(p), K_then))
			return fail(p);
		adv(p);
		s |= expr(p, true);
	}
	if (!p->bad && is_kw(cur(p), K_else)) {
		adv(p);
		s |= expr(p, true);
	}
	if (p->bad)
		return 0;
	if (is_kw(cur(p), K_end))
		adv(p);
	else if (!at_stop(cur(p)))
		return fail(p);
	return s;
}

/* '(' subquery ')' or '(' expression list ')'. */
static unsigned paren(struct ps *p)
{
	unsigned s;

	adv(p); /* ( */
	if (++p->depth > DPI_SQLI_MAX_DEPTH)
		return fail(p);
	if (is_kw(cur(p), K_select)) {
		adv(p);
		s = select_chain(p);
		if (!p->bad && (s & S_STRONG))
			found(p, DPI_SQLI_SUBQUERY, 85);
	} else {
		s = expr(p, true);
		while (!p->bad && cur(p)->tc == TC_COMMA) {
			adv(p);
			s |= expr(p, true);
		}
	}
	if (!p->bad) {
		if (cur(p)->tc == TC_RP)
			adv(p);
		else if (!at_stop(cur(p)))
			fail(p);
	}
	p->depth--;
	return p->bad ? 0 : s;
}

static unsigned primary(struct ps *p)
{
	const struct tk *t = cur(p);
	unsigned kf, s, args = 0;

	switch (t->tc) {
	case TC_NUM:
		adv(p);
		return S_LIT;
	case TC_STR:
		adv(p);
		while (p->mysql && cur(p)->tc == TC_STR) /* 'a' 'b' is 'ab' */
			adv(p);
		return S_LIT;
	case TC_VAR:
		adv(p);
		return S_LIT | ((t->f & TF_SYSVAR) ? S_INFO : 0);
	case TC_ID:
	case TC_LB:
		/* charset introducer: _utf8'x', _binary 0x41 */
		if (t->tc == TC_ID && t->len > 1 && p->text[t->off] == '_' &&
		    (peek(p, 1)->tc == TC_STR || peek(p, 1)->tc == TC_NUM)) {
			adv(p);
			adv(p);
			return S_LIT;
		}
		kf = qname(p);
		if (p->bad)
			return 0;
		if (cur(p)->tc != TC_LP)
			return S_ID | ((kf & KF_INFO) ? S_INFO : 0);
		s = call_args(p, &args);
		if (p->bad)
			return 0;
		/* the real thing takes literals or a subquery: sleep(5), not
		 * sleep(timestep); POLYGON((SELECT ...)), not Polygon(xy) */
		if ((t->tc == TC_ID && danger_arity(t->kw) && args != danger_arity(t->kw)) ||
		    !(s & (S_LIT | S_SUBQ | S_INFO)) || ((kf & KF_GEOM) && !(s & S_SUBQ)))
			kf &= ~(unsigned)KF_DANGER;
		note_call(p, kf);
		return S_FUNC | s | ((kf & KF_INFO) ? S_INFO : 0);
	case TC_KW:
		kf = kw_flags(t->kw);
		if (t->kw == K_case)
			return case_expr(p);
		if (peek(p, 1)->tc == TC_LP && (kf & KF_CALL)) {
			adv(p);
			s = call_args(p, &args);
			note_call(p, kf);
			return p->bad ? 0 : S_FUNC | s | ((kf & KF_INFO) ? S_INFO : 0);
		}
		if (kf & KF_LIT) {
			adv(p);
			return S_LIT | ((kf & KF_INFO) ? S_INFO : 0) |
			       ((t->kw == K_true || t->kw == K_false) ? S_BOOL : 0);
		}
		if (t->kw == K_interval) {
			adv(p);
			s = operand(p);
			if (cur(p)->tc == TC_ID)
				adv(p);
			return s | S_LIT;
		}
		return fail(p);
	case TC_LP:
		return paren(p);
	default:
		return fail(p);
	}
}

/* Prefix operators, a primary, postfix casts and COLLATE. */
static unsigned operand(struct ps *p)
{
	uint32_t start;
	unsigned s;

	while (!at_stop(cur(p)) &&
	       ((cur(p)->tc == TC_OP && (cur(p)->f & TF_UNARY)) || is_kw(cur(p), K_not) ||
		is_kw(cur(p), K_binary)))
		adv(p);
	start = cur(p)->off;
	s = primary(p);
	while (!p->bad) {
		const struct tk *t = cur(p);

		if (t->tc == TC_OP && (t->f & TF_CAST)) {
			adv(p);
			if (cur(p)->tc != TC_ID && cur(p)->tc != TC_KW)
				return fail(p);
			adv(p);
			if (cur(p)->tc == TC_LP)
				paren(p);
			while (cur(p)->tc == TC_LB && peek(p, 1)->tc == TC_RB) {
				adv(p);
				adv(p);
			}
		} else if (is_kw(t, K_collate)) {
			adv(p);
			if (cur(p)->tc != TC_ID && cur(p)->tc != TC_STR)
				return fail(p);
			adv(p);
		} else {
			break;
		}
	}
	p->last_off = start;
	p->last_len = p->end > start ? p->end - start : 0;
	return p->bad ? 0 : s;
}

/* The operators after a left operand whose summary is @left. With @logic,
 * AND/OR/XOR continue the expression; without, they end it (a clause). */
static unsigned expr_rest(struct ps *p, bool logic, unsigned left)
{
	unsigned s = left;
	uint32_t loff = p->last_off, llen = p->last_len;

	if (++p->depth > DPI_SQLI_MAX_DEPTH)
		return fail(p);
	while (!p->bad) {
		const struct tk *t = cur(p);
		unsigned r, kw = (t->tc == TC_KW || t->tc == TC_ID) ? t->kw : K_NONE;
		bool cmp = false;

		if (t->tc == TC_KW && kw == K_not) {
			const struct tk *n = peek(p, 1);

			if (!is_kw(n, K_like) && !is_kw(n, K_ilike) && !is_kw(n, K_rlike) &&
			    !is_kw(n, K_regexp) && !is_kw(n, K_in) && !is_kw(n, K_between) &&
			    !is_kw(n, K_similar) && !is_kw(n, K_glob))
				break;
			adv(p);
			t = cur(p);
			kw = t->kw;
		}
		if (t->tc == TC_CMP) {
			adv(p);
			cmp = true;
		} else if (t->tc == TC_OP || t->tc == TC_STAR) {
			if (t->f & TF_ASSIGN)
				break;
			adv(p);
			r = operand(p);
			s |= r | S_OP;
			left |= r;
			llen = 0;
			continue;
		} else if (t->tc == TC_LOGIC || (t->tc == TC_KW && (kw == K_and || kw == K_or ||
								    kw == K_xor))) {
			if (!logic)
				break;
			adv(p);
			r = operand(p);
			s |= r;
			left = r;
			loff = p->last_off;
			llen = p->last_len;
			continue;
		} else if (t->tc == TC_KW && (kw == K_div || kw == K_mod)) {
			adv(p);
			r = operand(p);
			s |= r | S_OP;
			left |= r;
			llen = 0;
			continue;
		} else if (t->tc == TC_KW && kw == K_is) {
			adv(p);
			if (is_kw(cur(p), K_not))
				adv(p);
			if (is_kw(cur(p), K_null) || is_kw(cur(p), K_true) ||
			    is_kw(cur(p), K_false) || is_kw(cur(p), K_unknown)) {
				adv(p);
				s |= S_CMP | (lit_only(left) ? S_LITCMP : 0);
				continue;
			}
			if (!is_kw(cur(p), K_distinct) || !is_kw(peek(p, 1), K_from))
				return fail(p);
			adv(p);
			adv(p);
			cmp = true;
		} else if (t->tc == TC_KW && (kw == K_like || kw == K_ilike || kw == K_rlike ||
					      kw == K_regexp || kw == K_glob)) {
			adv(p);
			cmp = true;
		} else if (t->tc == TC_KW && (kw == K_sounds || kw == K_similar)) {
			adv(p);
			if (!is_kw(cur(p), kw == K_sounds ? K_like : K_to))
				return fail(p);
			adv(p);
			cmp = true;
		} else if (t->tc == TC_KW && kw == K_in) {
			adv(p);
			if (cur(p)->tc != TC_LP)
				return fail(p);
			r = paren(p);
			s |= r | S_CMP | ((lit_only(left) && lit_only(r)) ? S_LITCMP : 0);
			continue;
		} else if (t->tc == TC_KW && kw == K_between) {
			unsigned r2;

			adv(p);
			r = operand(p);
			if (p->bad || !is_kw(cur(p), K_and))
				return fail(p);
			adv(p);
			r2 = operand(p);
			s |= r | r2 | S_CMP |
			     ((lit_only(left) && lit_only(r) && lit_only(r2)) ? S_LITCMP : 0);
			continue;
		} else {
			break;
		}
		if (cmp) {
			r = operand(p);
			if (p->bad)
				break;
			s |= r | S_CMP;
			if ((lit_only(left) && lit_only(r)) ||
			    (llen && same_text(p, loff, llen, p->last_off, p->last_len)))
				s |= S_LITCMP;
			if (is_kw(cur(p), K_escape)) {
				adv(p);
				operand(p);
			}
			left = r;
			loff = p->last_off;
			llen = p->last_len;
		}
	}
	p->depth--;
	return p->bad ? 0 : s;
}

static unsigned expr(struct ps *p, bool logic)
{
	unsigned s = operand(p);

	if (p->bad)
		return 0;
	return expr_rest(p, logic, s);
}

/* [AS] alias after a select item or a table. */
static void alias(struct ps *p)
{
	if (is_kw(cur(p), K_as)) {
		adv(p);
		if (cur(p)->tc != TC_ID && cur(p)->tc != TC_STR)
			fail(p);
		else
			adv(p);
	} else if (cur(p)->tc == TC_ID && cur(p)->kw != K_separator) {
		adv(p);
	}
}

static void from_list(struct ps *p);

static void from_item(struct ps *p)
{
	const struct tk *t = cur(p);
	unsigned kf, args;

	if (t->tc == TC_LP) {
		adv(p);
		if (++p->depth > DPI_SQLI_MAX_DEPTH) {
			fail(p);
			return;
		}
		if (is_kw(cur(p), K_select)) {
			adv(p);
			select_chain(p);
		} else {
			from_list(p);
		}
		p->depth--;
		if (p->bad)
			return;
		if (cur(p)->tc == TC_RP)
			adv(p);
		else if (!at_stop(cur(p)))
			fail(p);
	} else if (t->tc == TC_ID || t->tc == TC_LB ||
		   (t->tc == TC_KW && (kw_flags(t->kw) & KF_CALL) && peek(p, 1)->tc == TC_DOT)) {
		/* mysql.user, information_schema.tables, dbo.[t] */
		if (t->tc == TC_KW) {
			adv(p);
			adv(p);
		}
		kf = qname(p);
		if (!p->bad && cur(p)->tc == TC_LP) { /* table function: pg_sleep(5) */
			call_args(p, &args);
			note_call(p, kf);
		}
	} else {
		fail(p);
		return;
	}
	if (p->bad)
		return;
	alias(p);
	if (is_kw(cur(p), K_with) && peek(p, 1)->tc == TC_LP) { /* WITH (NOLOCK) */
		adv(p);
		paren(p);
	}
}

static void from_list(struct ps *p)
{
	while (!p->bad) {
		const struct tk *t;

		from_item(p);
		t = cur(p);
		if (t->tc == TC_COMMA) {
			adv(p);
			continue;
		}
		if (is_kw(t, K_natural) || is_kw(t, K_inner) || is_kw(t, K_left) ||
		    is_kw(t, K_right) || is_kw(t, K_full) || is_kw(t, K_cross) ||
		    is_kw(t, K_join) || is_kw(t, K_straight_join)) {
			while (!is_kw(cur(p), K_join) && !is_kw(cur(p), K_straight_join) &&
			       cur(p)->tc == TC_KW)
				adv(p);
			if (!is_kw(cur(p), K_join) && !is_kw(cur(p), K_straight_join)) {
				fail(p);
				return;
			}
			adv(p);
			from_item(p);
			if (is_kw(cur(p), K_on)) {
				adv(p);
				expr(p, true);
			} else if (is_kw(cur(p), K_using) && peek(p, 1)->tc == TC_LP) {
				adv(p);
				paren(p);
			}
			if (cur(p)->tc == TC_COMMA) {
				adv(p);
				continue;
			}
			if (is_kw(cur(p), K_natural) || is_kw(cur(p), K_inner) ||
			    is_kw(cur(p), K_left) || is_kw(cur(p), K_right) || is_kw(cur(p), K_full) ||
			    is_kw(cur(p), K_cross) || is_kw(cur(p), K_join))
				continue;
		}
		break;
	}
}

/* ORDER BY / GROUP BY list: 1 if every item is a number (a column probe). */
static bool by_list(struct ps *p)
{
	bool all_num = true;

	while (!p->bad) {
		const struct tk *t = cur(p);
		unsigned before = p->i;

		if (t->tc == TC_NUM && (peek(p, 1)->tc == TC_COMMA || at_stop(peek(p, 1)) ||
					peek(p, 1)->tc == TC_RP || peek(p, 1)->tc == TC_SEMI ||
					is_kw(peek(p, 1), K_asc) || is_kw(peek(p, 1), K_desc))) {
			adv(p);
		} else {
			expr(p, true);
			all_num = false;
		}
		if (p->i == before)
			fail(p);
		if (is_kw(cur(p), K_asc) || is_kw(cur(p), K_desc))
			adv(p);
		if (cur(p)->tc != TC_COMMA)
			break;
		adv(p);
	}
	if (!p->bad && is_kw(cur(p), K_with) && peek(p, 1)->tc == TC_ID) { /* WITH ROLLUP */
		adv(p);
		adv(p);
	}
	return all_num && !p->bad;
}

/*
 * One clause that may follow a WHERE condition or a select list. Returns
 * the evidence score of seeing it appended to a value (0 when the current
 * token starts none; nothing consumed then).
 */
static unsigned clause(struct ps *p, bool in_select)
{
	const struct tk *t = cur(p);
	unsigned s, args;

	if (t->tc != TC_KW)
		return 0;
	switch (t->kw) {
	case K_where:
		if (!in_select)
			return 0;
		adv(p);
		expr(p, true);
		return 40;
	case K_order:
	case K_group:
		if (!is_kw(peek(p, 1), K_by))
			return 0;
		adv(p);
		adv(p);
		return by_list(p) ? 75 : 45;
	case K_having:
		adv(p);
		s = expr(p, true);
		return (s & S_CMP) ? 75 : 45;
	case K_limit:
		adv(p);
		if (is_kw(cur(p), K_all))
			adv(p);
		else
			operand(p);
		if (cur(p)->tc == TC_COMMA || is_kw(cur(p), K_offset)) {
			adv(p);
			operand(p);
		}
		return 60;
	case K_offset:
		adv(p);
		operand(p);
		if (cur(p)->tc == TC_ID)
			adv(p); /* ROWS */
		return 45;
	case K_fetch:
		adv(p);
		while (cur(p)->tc == TC_ID || cur(p)->tc == TC_NUM)
			adv(p);
		return 45;
	case K_procedure:
		adv(p);
		qname(p);
		if (!p->bad && cur(p)->tc == TC_LP)
			call_args(p, &args);
		return 75;
	case K_into:
		adv(p);
		if (is_kw(cur(p), K_outfile) || is_kw(cur(p), K_dumpfile)) {
			adv(p);
			if (cur(p)->tc != TC_STR) {
				fail(p);
				return 0;
			}
			adv(p);
			/* FIELDS/LINES TERMINATED BY '...' and the like */
			while (!p->bad && (cur(p)->tc == TC_ID || cur(p)->tc == TC_KW ||
					   cur(p)->tc == TC_STR) &&
			       !is_kw(cur(p), K_union) && !is_kw(cur(p), K_from))
				adv(p);
			found(p, DPI_SQLI_OOB, 95);
			return 95;
		}
		if (in_select && (cur(p)->tc == TC_ID || cur(p)->tc == TC_LB)) {
			qname(p); /* MSSQL SELECT ... INTO newtable */
			return 50;
		}
		if (cur(p)->tc != TC_VAR) {
			fail(p);
			return 0;
		}
		while (cur(p)->tc == TC_VAR) {
			adv(p);
			if (cur(p)->tc != TC_COMMA)
				break;
			adv(p);
		}
		return 50;
	case K_for:
		if (!in_select)
			return 0;
		adv(p);
		while (cur(p)->tc == TC_ID || is_kw(cur(p), K_update)) {
			adv(p);
			if (cur(p)->tc == TC_LP)
				paren(p);
			if (cur(p)->tc == TC_COMMA)
				adv(p);
		}
		return 30;
	default:
		return 0;
	}
}

/* After SELECT: the select list, FROM, and the clauses. */
static unsigned select_body(struct ps *p)
{
	unsigned s = 0, items = 0;
	bool strong = false;

	if (++p->depth > DPI_SQLI_MAX_DEPTH)
		return fail(p);
	for (;;) {
		const struct tk *t = cur(p);

		if (is_kw(t, K_all) || is_kw(t, K_distinct) || is_kw(t, K_distinctrow) ||
		    is_kw(t, K_straight_join) ||
		    (t->tc == TC_ID && t->len > 4 && !strncasecmp((const char *)p->text + t->off, "sql_", 4))) {
			adv(p);
		} else if (is_kw(t, K_top)) {
			adv(p);
			operand(p);
			strong = true;
		} else {
			break;
		}
	}
	while (!p->bad) {
		const struct tk *t = cur(p);

		if (t->tc == TC_STAR) {
			adv(p);
			strong = true;
		} else if (t->tc == TC_ID && peek(p, 1)->tc == TC_DOT && peek(p, 2)->tc == TC_STAR) {
			adv(p);
			adv(p);
			adv(p);
			strong = true;
		} else {
			/* the query's closing quote as the only item proves nothing:
			 * ... "union select" in a search box */
			bool open_str = t->tc == TC_STR && (t->f & TF_OPEN);
			unsigned f = expr(p, true);

			if (p->bad)
				break;
			s |= f;
			if (f != S_ID && !open_str)
				strong = true;
			alias(p);
		}
		items++;
		if (cur(p)->tc != TC_COMMA)
			break;
		adv(p);
	}
	if (items >= 2)
		strong = true;
	while (!p->bad) {
		unsigned c;

		if (is_kw(cur(p), K_from)) {
			adv(p);
			from_list(p);
			strong = true;
			continue;
		}
		c = clause(p, true);
		if (!c)
			break;
		strong = true;
	}
	p->depth--;
	if (p->bad)
		return 0;
	return s | S_SUBQ | (strong ? S_STRONG : 0);
}

/* A select body and the UNION / INTERSECT / EXCEPT arms after it, as in
 * a subquery. */
static unsigned select_chain(struct ps *p)
{
	unsigned s = select_body(p);

	while (!p->bad && (is_kw(cur(p), K_union) || is_kw(cur(p), K_intersect) ||
			   is_kw(cur(p), K_except))) {
		adv(p);
		if (is_kw(cur(p), K_all) || is_kw(cur(p), K_distinct))
			adv(p);
		if (cur(p)->tc == TC_LP && is_kw(peek(p, 1), K_select)) {
			s |= paren(p) | S_STRONG;
			continue;
		}
		if (!is_kw(cur(p), K_select))
			return fail(p);
		adv(p);
		s |= select_body(p) | S_STRONG;
	}
	return p->bad ? 0 : s;
}

/* Skip a statement we don't model to its end (';', a comment, the end),
 * still noticing dangerous calls in it. Fails on stray bytes. */
static void skip_stmt(struct ps *p)
{
	unsigned depth = 0;

	while (!p->bad) {
		const struct tk *t = cur(p);

		if (at_stop(t) || (t->tc == TC_SEMI && depth == 0))
			return;
		if (t->tc == TC_BAD || (t->tc == TC_RP && depth == 0))
			return (void)fail(p);
		if (t->tc == TC_ID && peek(p, 1)->tc == TC_LP &&
		    (kw_flags(t->kw) & (KF_TIME | KF_ERR | KF_OOB))) {
			unsigned args;

			adv(p);
			call_args(p, &args);
			note_call(p, kw_flags(t->kw));
			continue;
		}
		if (is_kw(t, K_program) || is_kw(t, K_infile) || is_kw(t, K_outfile))
			found(p, DPI_SQLI_OOB, 95);
		if (t->tc == TC_LP && ++depth > DPI_SQLI_MAX_DEPTH)
			return (void)fail(p);
		if (t->tc == TC_RP)
			depth--;
		adv(p);
	}
}

static void assignments(struct ps *p)
{
	while (!p->bad) {
		if (cur(p)->tc == TC_VAR)
			adv(p);
		else
			qname(p);
		if (p->bad)
			return;
		if (cur(p)->tc != TC_CMP && !(cur(p)->f & TF_ASSIGN))
			return (void)fail(p);
		adv(p);
		expr(p, true);
		if (cur(p)->tc != TC_COMMA)
			return;
		adv(p);
	}
}

/* A statement after ';' (or, MSSQL, right after an expression: @penalty). */
static void stmt(struct ps *p, unsigned penalty)
{
	const struct tk *t = cur(p);
	unsigned kw = (t->tc == TC_KW || t->tc == TC_ID) ? t->kw : K_NONE;
	unsigned score = 0, s, kf;

	if (++p->depth > DPI_SQLI_MAX_DEPTH)
		return (void)fail(p);
	switch (kw) {
	case K_select:
		adv(p);
		s = select_body(p);
		score = (s & S_STRONG) ? 90 : 55;
		break;
	case K_insert:
	case K_replace:
		adv(p);
		if (is_kw(cur(p), K_into))
			adv(p);
		qname(p);
		if (!p->bad && cur(p)->tc == TC_LP && !is_kw(peek(p, 1), K_select))
			paren(p);
		if (p->bad)
			break;
		if (is_kw(cur(p), K_values) || (cur(p)->tc == TC_ID && cur(p)->len == 5 &&
						 !strncasecmp((const char *)p->text + cur(p)->off, "value", 5))) {
			adv(p);
			do {
				if (cur(p)->tc == TC_COMMA)
					adv(p);
				if (cur(p)->tc != TC_LP) {
					fail(p);
					break;
				}
				paren(p);
			} while (!p->bad && cur(p)->tc == TC_COMMA);
		} else if (is_kw(cur(p), K_select)) {
			adv(p);
			select_body(p);
		} else if (is_kw(cur(p), K_set)) {
			adv(p);
			assignments(p);
		} else {
			fail(p);
		}
		score = 90;
		break;
	case K_update:
		adv(p);
		qname(p);
		if (!p->bad && cur(p)->tc == TC_ID)
			adv(p);
		if (p->bad || !is_kw(cur(p), K_set)) {
			fail(p);
			break;
		}
		adv(p);
		assignments(p);
		if (!p->bad && is_kw(cur(p), K_where)) {
			adv(p);
			expr(p, true);
		}
		score = 90;
		break;
	case K_delete:
		adv(p);
		if (!is_kw(cur(p), K_from)) {
			fail(p);
			break;
		}
		adv(p);
		qname(p);
		if (!p->bad && is_kw(cur(p), K_where)) {
			adv(p);
			expr(p, true);
		}
		score = 90;
		break;
	case K_drop:
	case K_create:
	case K_alter:
		adv(p);
		if (kw == K_create && is_kw(cur(p), K_or)) { /* OR REPLACE */
			adv(p);
			adv(p);
		}
		if (!(kw_flags(cur(p)->kw) & KF_OBJ) ||
		    (cur(p)->tc != TC_KW && cur(p)->tc != TC_ID)) {
			fail(p);
			break;
		}
		adv(p);
		if (is_kw(cur(p), K_if)) { /* IF [NOT] EXISTS */
			while (is_kw(cur(p), K_if) || is_kw(cur(p), K_not) || is_kw(cur(p), K_exists))
				adv(p);
		}
		if (cur(p)->tc != TC_ID && cur(p)->tc != TC_LB) {
			fail(p);
			break;
		}
		skip_stmt(p);
		score = 90;
		break;
	case K_truncate:
	case K_rename:
		adv(p);
		if (is_kw(cur(p), K_table))
			adv(p);
		qname(p);
		skip_stmt(p);
		score = 90;
		break;
	case K_grant:
	case K_revoke:
		adv(p);
		if (at_stop(cur(p))) {
			fail(p);
			break;
		}
		skip_stmt(p);
		score = 85;
		break;
	case K_exec:
	case K_execute:
		adv(p);
		if (cur(p)->tc == TC_LP) { /* EXEC('dynamic sql') */
			paren(p);
			score = 85;
			break;
		}
		if (cur(p)->tc == TC_VAR) /* EXEC @rc = proc */
			assignments(p);
		t = cur(p);
		kf = qname(p);
		if (p->bad)
			break;
		if (kf & KF_OOB)
			found(p, DPI_SQLI_OOB, 95);
		skip_stmt(p);
		/* a system procedure (sp_, xp_) is what an attacker runs */
		score = (t->tc == TC_ID && t->len > 3 && p->text[t->off + 2] == '_' &&
			 ((p->text[t->off] | 0x20) == 's' || (p->text[t->off] | 0x20) == 'x') &&
			 (p->text[t->off + 1] | 0x20) == 'p') ? 90 : 60;
		break;
	case K_declare:
		adv(p);
		if (cur(p)->tc != TC_VAR) {
			fail(p);
			break;
		}
		skip_stmt(p);
		score = 85;
		break;
	case K_set:
		adv(p);
		assignments(p);
		score = 70;
		break;
	case K_shutdown:
		adv(p);
		if (is_kw(cur(p), K_with)) {
			adv(p);
			if (cur(p)->tc == TC_ID)
				adv(p);
		}
		if (!at_stop(cur(p)) && cur(p)->tc != TC_SEMI)
			fail(p);
		score = 85;
		break;
	case K_waitfor:
		adv(p);
		if (!is_kw(cur(p), K_delay) && cur(p)->tc != TC_ID) { /* DELAY, TIME */
			fail(p);
			break;
		}
		adv(p);
		operand(p); /* '0:0:5', @d */
		if (!p->bad)
			found(p, DPI_SQLI_TIME, 95);
		break;
	case K_if:
		adv(p);
		expr(p, true);
		if (p->bad || at_stop(cur(p)))
			break;
		stmt(p, 0);
		if (!p->bad && is_kw(cur(p), K_else)) {
			adv(p);
			stmt(p, 0);
		}
		score = 60;
		break;
	case K_desc:
	case K_describe:
	case K_explain:
	case K_do: /* MySQL DO expr, ...: DO SLEEP(5) */
		adv(p);
		do {
			if (cur(p)->tc == TC_COMMA)
				adv(p);
			expr(p, true);
		} while (!p->bad && cur(p)->tc == TC_COMMA);
		score = 60;
		break;
	case K_begin:
	case K_call:
	case K_copy:
	case K_load:
	case K_use:
	case K_show:
		adv(p);
		if (at_stop(cur(p))) {
			fail(p);
			break;
		}
		skip_stmt(p);
		score = (kw == K_begin || kw == K_use) ? 50 : 70;
		break;
	default:
		fail(p);
		break;
	}
	p->depth--;
	if (!p->bad && score > penalty)
		found(p, DPI_SQLI_STACKED, score - penalty);
}

/* OR/AND followed by the operand summary @r. */
static void logic_evidence(struct ps *p, bool is_or, unsigned r)
{
	unsigned fam = is_or ? DPI_SQLI_TAUTOLOGY : DPI_SQLI_BOOLEAN_BLIND;

	p->lit_logic = false;
	if (r & S_LITCMP)
		found(p, fam, is_or ? 90 : 85);
	else if ((r & S_CMP) && (r & (S_FUNC | S_SUBQ | S_INFO)))
		found(p, DPI_SQLI_BOOLEAN_BLIND, 88); /* above the subquery it holds */
	else if (r & S_SUBQ)
		found(p, DPI_SQLI_BOOLEAN_BLIND, (r & S_STRONG) ? 85 : 60);
	else if (r & S_CMP) /* OR name='x': after a quote; as-is it is often code */
		found(p, fam, p->quoted ? 70 : 45);
	else if (r & S_BOOL) /* OR TRUE; after a bare number it may be English */
		found(p, fam, p->quoted ? 60 : 45);
	else if (lit_only(r)) /* ' OR ''-' (but ' OR 'x' is also code: print " or ") */
		p->lit_logic = true, found(p, fam, p->quoted && (r & S_OP) ? 55 : 40);
}

/*
 * What follows the value's first operand (as-is) or the string break:
 * closing parentheses, boolean clauses, operators, UNION, clauses, stacked
 * statements, until the end or a comment. @first: summary of the operand
 * the fragment continues.
 */
static void tail(struct ps *p, unsigned first, bool quoted)
{
	bool only_closers = true;

	while (!p->bad) {
		const struct tk *t = cur(p);
		unsigned kw = (t->tc == TC_KW || t->tc == TC_ID) ? t->kw : K_NONE, c;

		if (t->tc == TC_EOF)
			break;
		if (t->tc == TC_END) {
			adv(p);
			/* '#' and '--' in quotes are text about comments, not one */
			if (p->quote && memchr(p->text + t->off, p->quote, t->len))
				break;
			/* admin'-- cuts the query; say "#!/bin/sh" quotes a text */
			if (quoted && only_closers && !p->open_quote)
				found(p, DPI_SQLI_COMMENT, 80);
			else if (p->lit_logic)
				found(p, p->fam, 65);
			else if (p->score >= 40 && p->score < 100 && (quoted || p->strong_start))
				found(p, p->fam, p->score + 20 > 95 ? 95 : p->score + 20);
			p->ev_end = p->end;
			break;
		}
		if (t->tc == TC_RP) {
			adv(p);
			continue;
		}
		if (t->tc == TC_COMMA) {
			/* the value is one of a list: VALUES ('x', 'VALUE'), IN (...) */
			adv(p);
			only_closers = false;
			first = expr(p, true);
			continue;
		}
		if (t->tc == TC_SEMI) {
			adv(p);
			if (!at_stop(cur(p)) && cur(p)->tc != TC_SEMI) {
				only_closers = false;
				stmt(p, 0);
			}
			continue;
		}
		only_closers = false;
		if (t->tc == TC_LOGIC || (t->tc == TC_KW && (kw == K_and || kw == K_or || kw == K_xor))) {
			bool is_or = kw == K_or || kw == K_xor ||
				     (t->tc == TC_LOGIC && p->text[t->off] == '|');
			unsigned r;

			adv(p);
			r = expr(p, false);
			if (!p->bad)
				logic_evidence(p, is_or, r);
			first = r;
			continue;
		}
		if (t->tc == TC_CMP || t->tc == TC_OP || t->tc == TC_STAR ||
		    (t->tc == TC_KW && (kw == K_like || kw == K_ilike || kw == K_rlike ||
					kw == K_regexp || kw == K_in || kw == K_is ||
					kw == K_between || kw == K_not || kw == K_div ||
					kw == K_mod || kw == K_sounds || kw == K_similar ||
					kw == K_glob || kw == K_collate))) {
			unsigned before = p->i, r;

			if (kw == K_collate) {
				adv(p);
				if (cur(p)->tc == TC_ID)
					adv(p);
				continue;
			}
			r = expr_rest(p, false, first);
			if (p->i == before)
				fail(p);
			if (!p->bad && (r & S_LITCMP))
				found(p, DPI_SQLI_TAUTOLOGY, 45);
			first = r;
			continue;
		}
		if (kw == K_union || kw == K_intersect || kw == K_except) {
			unsigned open = 0, s;

			adv(p);
			if (is_kw(cur(p), K_all) || is_kw(cur(p), K_distinct))
				adv(p);
			while (cur(p)->tc == TC_LP) {
				adv(p);
				open++;
			}
			if (!is_kw(cur(p), K_select) || open > DPI_SQLI_MAX_DEPTH) {
				fail(p);
				break;
			}
			adv(p);
			s = select_body(p);
			while (!p->bad && open && cur(p)->tc == TC_RP) {
				adv(p);
				open--;
			}
			if (!p->bad) /* UNION SELECT name: a comment or more must confirm it */
				found(p, DPI_SQLI_UNION, (s & S_STRONG) ? 95 : 45);
			continue;
		}
		c = clause(p, false);
		if (c) {
			if (!p->bad)
				found(p, DPI_SQLI_CLAUSE, c);
			continue;
		}
		if (p->bad)
			break;
		if ((kw_flags(kw) & KF_VERB) && !p->mysql && kw != K_select) {
			/* MSSQL runs "1 WAITFOR DELAY ..." and "x' EXEC ..." without ';' */
			stmt(p, kw == K_waitfor ? 0 : 25);
			continue;
		}
		fail(p);
	}
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

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Length of a percent escape at s[i] ("%XX" 3, "%uXXXX" below 0x100 6), its
 * byte in *ret_c; 0 when there is none. */
static size_t escape_at(const uint8_t *s, size_t len, size_t i, uint8_t *ret_c)
{
	int a, b;

	if (s[i] != '%')
		return 0;
	if (i + 2 < len && (a = hexval(s[i + 1])) >= 0 && (b = hexval(s[i + 2])) >= 0) {
		*ret_c = (uint8_t)(a << 4 | b);
		return 3;
	}
	if (i + 5 < len && (s[i + 1] | 0x20) == 'u' && s[i + 2] == '0' && s[i + 3] == '0' &&
	    (a = hexval(s[i + 4])) >= 0 && (b = hexval(s[i + 5])) >= 0) {
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
		tail(&p, S_LIT, true);
		score = p.score;
	} else {
		const struct tk *t = cur(&p);
		unsigned first = 0;
		bool weak = true;

		frag = t->off;
		if (!(t->tc == TC_SEMI || is_kw(t, K_union) || t->tc == TC_EOF)) {
			first = operand(&p);
			/* a number, a string, a call with literals, a subquery; not
			 * a word or isinstance(value, tuple) */
			weak = !(first & (S_LIT | S_SUBQ));
			p.strong_start = !weak;
			if (p.score == 0)
				frag = cur(&p)->off;
		}
		if (!p.bad)
			tail(&p, first, false);
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
