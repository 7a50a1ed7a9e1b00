/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sqli_stmt.c - SQL injection detection in a whole statement by its
 * token shape. See dpi_sqli_stmt.h for the evidence and why it is evidence.
 *
 * One pass over the lexer's tokens (dpi_sql.h) keeps a little state per
 * statement: its verb; whether FROM, WHERE, ORDER/GROUP/LIMIT, UNION, a
 * system catalogue or system information was seen; the previous statement.
 * At the few tokens where an injected fragment starts (OR, AND, WHERE,
 * HAVING, WHEN, UNION, a channel function's name, a comment, the first word
 * after ';') it looks ahead on a copy of the lexer, which is plain data: a
 * copy is a saved position. The lookahead reads an operand with a small
 * grammar that only understands constants (numbers, strings, TRUE, FALSE,
 * NULL, calls and arithmetic on them, subqueries selecting one, NOT,
 * comparisons, LIKE, BETWEEN, IN, IS) and evaluates what it can: OR 1=1 is
 * true, OR 1=0 false (generated code), OR ASCII('a')=97 constant but not
 * evaluated, still an injection's shape. A column, a placeholder, a
 * volatile call (NOW(), RAND()) or a subquery makes an operand
 * non-constant; system information (version(), @@version, a subquery
 * inside SUBSTRING) is tracked as such, since comparing it with a constant
 * is how blind injection reads it.
 *
 * Scores (DPI_SQLI_STMT_THRESHOLD is 50): 95 timing and out-of-band calls,
 * a UNION branch reading system information or a catalogue, WAITFOR; 90 OR
 * with a true constant comparison, stacked DDL, error-based calls around
 * system information, UNION of constants, an executable comment after
 * WHERE; 85 OR with an unevaluated constant comparison, stacked DML, a
 * comment with an unbalanced quote; 80 comparisons of system information,
 * an unterminated comment, PROCEDURE ANALYSE; 70-75 AND with constants the
 * query builders don't emit, CASE WHEN on constants, subqueries selecting
 * system information or credentials, string construction, a comment that
 * cuts off a condition; 60 hex text compared, an empty trailing comment ("-- -", "#").
 * The strongest evidence wins; the scan stops at 95.
 *
 * Lookahead is capped per place (64 tokens for an operand, 256 for a UNION
 * branch) and every lookahead step comes out of one budget per call, so
 * the work stays linear in the capped token count.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dpi_sql.h"
#include "dpi_sqli.h"
#include "dpi_sqli_stmt.h"

/* -------------------------------------------------------------- keywords */

#define KF_LOGIC 0x000001   /* AND OR XOR */
#define KF_PRED 0x000002    /* continues a predicate: LIKE IN IS BETWEEN ... */
#define KF_ARITH 0x000004   /* DIV MOD */
#define KF_END 0x000008     /* can follow a complete operand: clause words */
#define KF_LIT 0x000010     /* TRUE FALSE NULL UNKNOWN */
#define KF_DDL 0x000020     /* a stacked statement verb: schema, privilege, code */
#define KF_DML 0x000040     /* a stacked statement verb: data */
#define KF_INTTYPE 0x000080 /* a numeric type name (error-based casts) */
#define KF_TIME 0x000100    /* called: timing channel */
#define KF_PKG 0x000200     /* the channel is a package: name '.' function */
#define KF_ERR 0x000400     /* called: error channel */
#define KF_ANY 0x000800     /* a channel wherever the word appears (MSSQL, Oracle) */
#define KF_GEOM 0x001000    /* error channel around a subquery: POLYGON((SELECT ..)) */
#define KF_OOB 0x002000     /* called: file, network or command channel */
#define KF_INFO 0x004000    /* called: system information (version(), user()) */
#define KF_BARE 0x008000    /* system information without parentheses too */
#define KF_EXTR 0x010000    /* extracts from its argument: SUBSTRING, ASCII, ... */
#define KF_CHAR 0x020000    /* builds a string from code points */
#define KF_CAT 0x040000     /* a system catalogue (schema or table) */
#define KF_SCHEMA 0x080000  /* ... only as a schema qualifier: mysql.user */
#define KF_CRED 0x100000    /* a credential column */
#define KF_VOLATILE 0x200000 /* differs between calls: RAND(), NOW(): not a constant */

/* Sorted by byte value (dpi_sqli_stmt_selftest() checks); '$' is read as
 * '_' (Oracle's v$version). */
#define KW_LIST(X) \
	X(all, 0) X(all_tab_columns, KF_CAT) X(all_tables, KF_CAT) X(all_users, KF_CAT) \
	X(alter, KF_DDL) X(analyse, 0) X(and, KF_LOGIC) X(as, 0) X(asc, KF_END) \
	X(ascii, KF_EXTR) X(authentication_string, KF_CRED) X(banner, 0) X(benchmark, KF_TIME) \
	X(between, KF_PRED) X(bigint, KF_INTTYPE) X(bin, KF_EXTR) X(binary, 0) X(by, 0) \
	X(call, KF_DDL) X(case, 0) X(cast, 0) X(char, KF_CHAR) X(char_length, KF_EXTR) \
	X(chr, KF_CHAR) X(clock_timestamp, KF_VOLATILE) X(collate, 0) X(concat, KF_EXTR) \
	X(concat_ws, KF_EXTR) X(convert, 0) X(copy, KF_DDL) X(create, KF_DDL) \
	X(ctxsys, KF_ERR | KF_PKG | KF_ANY) X(curdate, KF_VOLATILE) \
	X(current_database, KF_INFO) X(current_date, KF_VOLATILE) X(current_schema, KF_INFO) \
	X(current_time, KF_VOLATILE) X(current_timestamp, KF_VOLATILE) \
	X(current_user, KF_INFO | KF_BARE) X(curtime, KF_VOLATILE) X(database, KF_INFO) \
	X(db_name, KF_INFO) X(dba_users, KF_CAT) X(dblink, KF_OOB) X(dblink_connect, KF_OOB) \
	X(dblink_exec, KF_OOB) X(dbms_ldap, KF_OOB | KF_PKG | KF_ANY) \
	X(dbms_lock, KF_TIME | KF_PKG) X(dbms_pipe, KF_TIME | KF_PKG) X(decimal, KF_INTTYPE) \
	X(declare, KF_DDL) X(delay, 0) X(delete, KF_DML) X(desc, KF_END) X(distinct, 0) \
	X(distinctrow, 0) X(div, KF_ARITH) X(do, KF_DDL) X(drop, KF_DDL) X(dual, 0) \
	X(dumpfile, 0) X(else, KF_END) X(elt, KF_EXTR) X(end, KF_END) X(escape, 0) \
	X(except, KF_END) X(exec, KF_DDL) X(execute, KF_DDL) X(exists, 0) X(exp, 0) \
	X(extractvalue, KF_ERR) X(false, KF_LIT) X(fetch, KF_END) X(floor, 0) X(for, KF_END) \
	X(from, KF_END) X(gen_random_uuid, KF_VOLATILE) X(geometrycollection, KF_GEOM) \
	X(get_lock, KF_TIME) X(glob, KF_PRED) X(grant, KF_DDL) X(group, KF_END) \
	X(group_concat, KF_EXTR) X(gtid_subset, KF_ERR) X(gtid_subtract, KF_ERR) \
	X(handler, KF_DDL) X(having, KF_END) X(hex, KF_EXTR) X(host_name, KF_INFO) \
	X(httpuritype, KF_OOB | KF_ANY) X(ifnull, KF_EXTR) X(ilike, KF_PRED) X(in, KF_PRED) \
	X(inet_server_addr, KF_INFO) X(information_schema, KF_CAT) X(insert, KF_DML) \
	X(int, KF_INTTYPE) X(integer, KF_INTTYPE) X(intersect, KF_END) X(into, KF_END) \
	X(is, KF_PRED) X(join, KF_END) X(json_keys, KF_GEOM) X(left, KF_EXTR | KF_END) \
	X(len, KF_EXTR) X(length, KF_EXTR) X(like, KF_PRED) X(limit, KF_END) \
	X(linestring, KF_GEOM) X(lo_export, KF_OOB) X(lo_import, KF_OOB) X(load, KF_DDL) \
	X(load_file, KF_OOB) X(localtime, KF_VOLATILE) X(localtimestamp, KF_VOLATILE) \
	X(lock, KF_END) X(lower, KF_EXTR) X(make_set, KF_EXTR) X(master, KF_CAT | KF_SCHEMA) \
	X(match, 0) X(merge, KF_DML) X(mid, KF_EXTR) X(mod, KF_ARITH) X(msysobjects, KF_CAT) \
	X(multilinestring, KF_GEOM) X(multipoint, KF_GEOM) X(multipolygon, KF_GEOM) \
	X(mysql, KF_CAT | KF_SCHEMA) X(name_const, KF_ERR) X(nextval, KF_VOLATILE) X(not, 0) \
	X(now, KF_VOLATILE) X(null, KF_LIT) X(numeric, KF_INTTYPE) X(offset, KF_END) \
	X(on, KF_END) X(opendatasource, KF_OOB | KF_ANY) X(openrowset, KF_OOB | KF_ANY) \
	X(or, KF_LOGIC) X(ord, KF_EXTR) X(order, KF_END) X(outfile, 0) X(pass, KF_CRED) \
	X(pass_hash, KF_CRED) X(passwd, KF_CRED) X(password, KF_CRED) \
	X(password_hash, KF_CRED) X(performance_schema, KF_CAT) X(pg_attribute, KF_CAT) \
	X(pg_authid, KF_CAT) X(pg_catalog, KF_CAT) X(pg_class, KF_CAT) X(pg_database, KF_CAT) \
	X(pg_ls_dir, KF_OOB) X(pg_namespace, KF_CAT) X(pg_proc, KF_CAT) \
	X(pg_read_binary_file, KF_OOB) X(pg_read_file, KF_OOB) X(pg_roles, KF_CAT) \
	X(pg_shadow, KF_CAT) X(pg_sleep, KF_TIME) X(pg_sleep_for, KF_TIME) \
	X(pg_sleep_until, KF_TIME) X(pg_stat_activity, KF_CAT) X(pg_tables, KF_CAT) \
	X(pg_user, KF_CAT) X(polygon, KF_GEOM) X(prepare, KF_DDL) X(procedure, KF_END) \
	X(program, 0) X(pwd, KF_CRED) X(rand, KF_VOLATILE) X(random, KF_VOLATILE) \
	X(randomblob, KF_TIME) X(regexp, KF_PRED) X(rename, KF_DDL) X(replace, KF_DML) \
	X(returning, KF_END) X(reverse, KF_EXTR) X(revoke, KF_DDL) X(right, KF_EXTR | KF_END) \
	X(rlike, KF_PRED) X(schema, KF_INFO) X(select, 0) X(session_user, KF_INFO | KF_BARE) \
	X(set, KF_DML) X(share, 0) X(shutdown, KF_DDL) X(signed, KF_INTTYPE) \
	X(similar, KF_PRED) X(sleep, KF_TIME) X(sounds, KF_PRED) \
	X(sp_oacreate, KF_OOB | KF_ANY) X(sqlite_master, KF_CAT) X(sqlite_schema, KF_CAT) \
	X(sqlite_temp_master, KF_CAT) X(sqlite_version, KF_INFO) \
	X(statement_timestamp, KF_VOLATILE) X(string_agg, KF_EXTR) X(substr, KF_EXTR) \
	X(substring, KF_EXTR) X(suser_sname, KF_INFO) X(sys, KF_CAT | KF_SCHEMA) \
	X(sys_eval, KF_OOB) X(sys_exec, KF_OOB) X(syscolumns, KF_CAT) X(sysdatabases, KF_CAT) \
	X(sysdate, KF_VOLATILE) X(sysobjects, KF_CAT) X(system_user, KF_INFO | KF_BARE) \
	X(sysusers, KF_CAT) X(then, KF_END) X(time, 0) X(true, KF_LIT) X(truncate, KF_DDL) \
	X(unicode, KF_EXTR) X(union, KF_END) X(unix_timestamp, KF_VOLATILE) X(unknown, KF_LIT) \
	X(unsigned, KF_INTTYPE) X(update, KF_DML) X(updatexml, KF_ERR) X(upper, KF_EXTR) \
	X(user, KF_INFO) X(user_name, KF_INFO) X(user_tables, KF_CAT) X(using, 0) \
	X(utc_timestamp, KF_VOLATILE) X(utl_http, KF_OOB | KF_PKG | KF_ANY) \
	X(utl_inaddr, KF_OOB | KF_PKG | KF_ANY) X(uuid, KF_VOLATILE) X(v_version, KF_CAT) \
	X(values, 0) X(version, KF_INFO) X(waitfor, 0) X(when, KF_END) X(where, KF_END) \
	X(window, KF_END) X(with, 0) X(xmltype, KF_ERR | KF_ANY) X(xor, KF_LOGIC) \
	X(xp_cmdshell, KF_OOB | KF_ANY) X(xp_dirtree, KF_OOB | KF_ANY) \
	X(xp_fileexist, KF_OOB | KF_ANY) X(xp_regread, KF_OOB | KF_ANY)

enum kw {
	K_NONE = 0,
#define X(n, f) K_##n,
	KW_LIST(X)
#undef X
	K__MAX
};

static const struct kwent {
	const char *name;
	uint32_t flags;
} kws[] = {
#define X(n, f) {#n, f},
	KW_LIST(X)
#undef X
};

#define KW_MAXLEN 31
#define NKW (sizeof(kws) / sizeof(kws[0]))

static int kw_cmp(const void *key, const void *ent)
{
	return strcmp(key, ((const struct kwent *)ent)->name);
}

static unsigned kw_lookup(const uint8_t *s, size_t len)
{
	char low[KW_MAXLEN + 1];
	const struct kwent *hit;

	if (len == 0 || len > KW_MAXLEN)
		return K_NONE;
	for (size_t i = 0; i < len; i++)
		low[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] | 0x20) : s[i] == '$' ? '_' : (char)s[i];
	low[len] = 0;
	hit = bsearch(low, kws, NKW, sizeof(kws[0]), kw_cmp);
	return hit ? (unsigned)(hit - kws) + 1 : K_NONE;
}

static uint32_t kwf(unsigned kw)
{
	return kw > K_NONE && kw < K__MAX ? kws[kw - 1].flags : 0;
}

int dpi_sqli_stmt_selftest(void)
{
	for (size_t i = 1; i < NKW; i++)
		if (strcmp(kws[i - 1].name, kws[i].name) >= 0 || strlen(kws[i].name) > KW_MAXLEN)
			return (int)i;
	return 0;
}

/* ---------------------------------------------------------------- tokens */

#define EOT DPI_SQL_TOK_EOF

/* A token as the detector keeps it: offsets into the text, its keyword. */
struct tk {
	uint8_t type; /* enum dpi_sql_tok; EOT also ends a lookahead early */
	uint8_t c;    /* first byte of the text */
	uint16_t tf;  /* DPI_SQL_TF_* */
	uint16_t kw;  /* enum kw of a WORD, or of a QIDENT's body */
	uint32_t off, len, boff, blen;
};

/* What one statement (text between ';') has shown so far. */
struct stmt {
	uint16_t verb; /* keyword of its first word; K_select for "(SELECT" */
	bool started, where, from, clause, unioned, stacked, locking;
	bool catalog, info; /* read a catalogue / system information before WHERE */
	bool between;       /* BETWEEN read, its AND still to come at depth bdepth */
	unsigned bdepth;
	const char *preason; /* a channel call in a statement that only calls it, so far */
	uint8_t pfam, pscore;
	uint32_t poff, pend;
};

struct scan {
	const uint8_t *base;
	uint32_t len, semi; /* semi: offset of the ';' that ended prev */
	bool mysql, truncated, have_prev, data; /* data: a data statement was seen */
	unsigned budget;  /* lookahead lexer steps left */
	unsigned depth;   /* parentheses in this statement */
	uint64_t selects; /* bit n: a SELECT at depth n (mod 64) is open */
	struct dpi_sql_lexer lx;
	struct stmt cur, prev;
	struct tk last; /* previous significant token (EOT: none yet) */
	unsigned score, fam;
	uint32_t off, end;
	const char *reason;
};

static uint32_t tend(const struct tk *t)
{
	return t->off + t->len;
}

static bool is_p(const struct tk *t, char c)
{
	return t->type == DPI_SQL_TOK_PUNCT && t->c == (uint8_t)c;
}

static bool is_w(const struct tk *t, unsigned kw)
{
	return t->type == DPI_SQL_TOK_WORD && t->kw == kw;
}

static bool is_op(const struct scan *s, const struct tk *t, const char *op)
{
	size_t n = strlen(op);

	return t->type == DPI_SQL_TOK_OP && t->len == n && memcmp(s->base + t->off, op, n) == 0;
}

static bool is_sysvar(const struct scan *s, const struct tk *t)
{
	return t->type == DPI_SQL_TOK_VARIABLE && t->len > 2 && s->base[t->off + 1] == '@';
}

static bool is_data(unsigned verb)
{
	return verb == K_select || verb == K_with || verb == K_insert || verb == K_update ||
	       verb == K_delete || verb == K_replace;
}

/* The comparison operator @t is (OP_*), or 0. */
enum { OP_EQ = 1, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE, OP_NSEQ };

static int tk_cmp(const struct scan *s, const struct tk *t)
{
	static const char *const ops[] = {"=", "==", "<>", "!=", "<", ">", "<=", ">=", "<=>"};
	static const uint8_t op[] = {OP_EQ, OP_EQ, OP_NE, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE, OP_NSEQ};

	for (size_t i = 0; t->type == DPI_SQL_TOK_OP && i < sizeof(op); i++)
		if (is_op(s, t, ops[i]))
			return op[i];
	return 0;
}

/* Next token of @lx into @t; @budget NULL for the main cursor (capped by
 * the caller), else the lookahead budget, which this charges. */
static bool lex(struct scan *s, struct dpi_sql_lexer *lx, unsigned *budget, struct tk *t)
{
	struct dpi_sql_token x;

	memset(t, 0, sizeof(*t));
	t->off = s->len;
	if (budget && *budget == 0) {
		s->truncated = true;
		return false;
	}
	if (budget)
		(*budget)--;
	if (dpi_sql_next(lx, &x) != 1)
		return false;
	t->type = x.type;
	t->tf = x.flags;
	t->off = (uint32_t)(x.text.p - s->base);
	t->len = x.text.len;
	t->boff = (uint32_t)(x.body.p - s->base);
	t->blen = x.body.len;
	t->c = x.text.len ? x.text.p[0] : 0;
	if (x.type == DPI_SQL_TOK_WORD)
		t->kw = (uint16_t)kw_lookup(x.text.p, x.text.len);
	else if (x.type == DPI_SQL_TOK_QIDENT)
		t->kw = (uint16_t)kw_lookup(x.body.p, x.body.len);
	return true;
}

/* Record evidence; the strongest wins, the first of equals. */
static void ev(struct scan *s, unsigned fam, unsigned score, const char *reason, uint32_t off,
	       uint32_t end)
{
	if (score <= s->score)
		return;
	s->score = score;
	s->fam = fam;
	s->reason = reason;
	s->off = off < s->len ? off : s->len;
	s->end = end < s->off ? s->off : end > s->len ? s->len : end;
}

/* ------------------------------------------------------------- lookahead */

struct la {
	struct scan *s;
	struct dpi_sql_lexer lx;
	struct tk t;   /* current token */
	uint32_t pend; /* end of the token before it */
	unsigned left; /* tokens this lookahead may still read */
	bool done;     /* t is the end of what can be read ... */
	bool capped;   /* ... because of the cap */
	bool cut;      /* ... because of a comment */
	bool builder;  /* only 0, 1, TRUE, FALSE, =, <>, != so far: query-builder filler */
	bool cmp;      /* a comparison or predicate was read */
	bool nullidiom; /* NULL IS NULL: the optional-filter idiom */
	bool inttype;  /* system information cast to a number */
	bool marker;   /* 0x7e, '~', 0x3a: what error-based payloads wrap output in */
};

/* Advance: block comments and executable-comment marks are whitespace; a
 * line comment, an unterminated literal or comment, the end of the text,
 * the cap and the budget all read as EOT. */
static void la_next(struct la *a)
{
	if (a->t.type != EOT)
		a->pend = tend(&a->t);
	while (!a->done) {
		if (a->left == 0 || !lex(a->s, &a->lx, &a->s->budget, &a->t)) {
			a->capped = a->left == 0;
			break;
		}
		if (a->t.type == DPI_SQL_TOK_COMMENT && !(a->t.tf & DPI_SQL_TF_LINE))
			continue;
		if (a->t.type != DPI_SQL_TOK_COMMENT && a->t.type != DPI_SQL_TOK_ERROR) {
			a->left--;
			return;
		}
		a->cut = a->t.type == DPI_SQL_TOK_COMMENT || (a->t.tf & DPI_SQL_TF_UNTERM_COMMENT);
		break;
	}
	a->done = true;
	a->t.type = EOT;
	a->t.len = 0;
	a->t.kw = 0;
}

/* A lookahead from the main cursor: its current token is @at (the main
 * pass's current one), or with @at NULL the token after it. */
static void la_init(struct la *a, struct scan *s, unsigned cap, const struct tk *at)
{
	memset(a, 0, sizeof(*a));
	a->s = s;
	a->lx = s->lx;
	a->left = cap;
	a->builder = true;
	if (at) {
		a->t = *at;
		a->pend = at->off;
	} else {
		a->t.type = EOT;
		a->pend = (uint32_t)(s->lx.cur - s->base);
		la_next(a);
	}
}

static bool la_peek_p(const struct la *a, char c)
{
	struct la b = *a;

	la_next(&b);
	return is_p(&b.t, c);
}

/* The significant token after the main cursor. */
static struct tk peek(struct scan *s)
{
	struct la a;

	la_init(&a, s, 4, NULL);
	return a.t;
}

/* Consume through the ')' closing a group whose '(' was just read. */
static bool skip_group(struct la *a)
{
	for (unsigned depth = 1; a->t.type != EOT && !is_p(&a->t, ';'); la_next(a)) {
		if (is_p(&a->t, '('))
			depth++;
		else if (is_p(&a->t, ')') && --depth == 0) {
			la_next(a);
			return true;
		}
	}
	return false;
}

/* --------------------------------------------------- constant expressions */

/* What an operand is: not a constant (a column, a placeholder, ...), a
 * subquery, a constant of known or unknown value, or derived from system
 * information. */
enum { V_NOT = 0, V_SUBQ, V_NUM, V_STR, V_BOOL, V_NULL, V_UNK, V_INFO };

struct val {
	uint8_t k;
	bool esc;            /* V_STR with escapes: compare as written only */
	int64_t n;           /* V_NUM, V_BOOL */
	uint32_t off, len;   /* as written */
	uint32_t boff, blen; /* V_STR: body */
};

#define MAX_PDEPTH 12

static struct val vk(uint8_t k)
{
	struct val v;

	memset(&v, 0, sizeof(v));
	v.k = k;
	return v;
}

static struct val truth(bool b)
{
	struct val v = vk(V_BOOL);

	v.n = b;
	return v;
}

static bool nc(const struct val *v)
{
	return v->k == V_NOT || v->k == V_SUBQ;
}

static bool parse_int(const uint8_t *p, uint32_t n, int64_t *ret)
{
	int64_t v = 0;

	if (n == 0 || n > 18)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*ret = v;
	return true;
}

static bool num_of(const struct la *a, const struct val *v, int64_t *ret)
{
	if (v->k == V_NUM || v->k == V_BOOL) {
		*ret = v->n;
		return true;
	}
	return v->k == V_STR && !v->esc && parse_int(a->s->base + v->boff, v->blen, ret);
}

/* Compare two byte ranges of the text (MySQL: ASCII case-insensitive, as its
 * default collations are). */
static int bytes_cmp(const struct la *a, uint32_t o1, uint32_t n1, uint32_t o2, uint32_t n2)
{
	for (uint32_t i = 0; i < n1 && i < n2; i++) {
		uint8_t x = a->s->base[o1 + i], y = a->s->base[o2 + i];

		if (a->s->mysql && x >= 'A' && x <= 'Z')
			x |= 0x20;
		if (a->s->mysql && y >= 'A' && y <= 'Z')
			y |= 0x20;
		if (x != y)
			return x < y ? -1 : 1;
	}
	return n1 == n2 ? 0 : n1 < n2 ? -1 : 1;
}

static struct val negate(struct val v)
{
	if (v.k == V_BOOL || v.k == V_NUM)
		return truth(v.n == 0);
	return nc(&v) ? vk(V_NOT) : v;
}

static struct val compare(const struct la *a, const struct val *l, int op, const struct val *r)
{
	int64_t x, y;
	int c;

	if (nc(l) || nc(r))
		return vk(V_NOT);
	if (l->k == V_INFO || r->k == V_INFO)
		return vk(V_INFO);
	if (l->k == V_NULL || r->k == V_NULL)
		return truth(op == OP_NSEQ && l->k == r->k);
	if (l->k == V_STR && r->k == V_STR && !l->esc && !r->esc)
		c = bytes_cmp(a, l->boff, l->blen, r->boff, r->blen);
	else if (num_of(a, l, &x) && num_of(a, r, &y))
		c = (x > y) - (x < y);
	else if (l->len && bytes_cmp(a, l->off, l->len, r->off, r->len) == 0)
		c = 0; /* the same text on both sides: 0x31=0x31, CHAR(49)=CHAR(49) */
	else
		return vk(V_UNK);
	switch (op) {
	case OP_EQ: case OP_NSEQ: return truth(c == 0);
	case OP_NE: return truth(c != 0);
	case OP_LT: return truth(c < 0);
	case OP_GT: return truth(c > 0);
	case OP_LE: return truth(c <= 0);
	default: return truth(c >= 0);
	}
}

static struct val pred(struct la *a, unsigned d);

/* A subquery; a->t is its SELECT, after the '('. One constant selected
 * ((SELECT 1), (SELECT version()), (SELECT 1 FROM users LIMIT 1)) is that
 * constant; any other is V_SUBQ. Consumes through the ')'. */
static struct val subq(struct la *a, unsigned d)
{
	struct la save = *a;
	struct val v;

	a->builder = save.builder = false;
	la_next(a);
	v = pred(a, d + 1);
	if (!nc(&v) && (is_w(&a->t, K_from) || is_p(&a->t, ')'))) {
		if (!skip_group(a))
			return vk(V_NOT);
		return v.k == V_INFO ? v : vk(V_UNK);
	}
	*a = save;
	return vk(skip_group(a) ? V_SUBQ : V_NOT);
}

/* A call; a->t is the function's name and '(' follows. */
static struct val call(struct la *a, unsigned d)
{
	unsigned kw = a->t.kw;
	uint32_t f = kwf(kw);
	bool info = f & KF_INFO, notc = (f & KF_VOLATILE) != 0, typed = false;

	a->builder = false;
	la_next(a);
	la_next(a);
	if (is_p(&a->t, ')')) { /* f(): version() is information, others vary */
		la_next(a);
		return vk(info ? V_INFO : V_NOT);
	}
	for (;;) {
		if (is_w(&a->t, K_select)) /* EXISTS(SELECT ..) */
			return vk(skip_group(a) && (f & KF_EXTR) ? V_INFO : V_NOT);
		if (a->t.type == DPI_SQL_TOK_WORD && (kwf(a->t.kw) & KF_INTTYPE) && !la_peek_p(a, '(')) {
			typed = true; /* CONVERT(int, x), CONVERT(x, SIGNED) */
			la_next(a);
		} else {
			struct val v = pred(a, d + 1);

			info |= v.k == V_INFO || (v.k == V_SUBQ && (f & KF_EXTR));
			notc |= nc(&v) && !(v.k == V_SUBQ && (f & KF_EXTR));
		}
		if (is_w(&a->t, K_as)) { /* CAST(x AS type[(n)]) */
			la_next(a);
			if (a->t.type == DPI_SQL_TOK_WORD) {
				typed |= (kwf(a->t.kw) & KF_INTTYPE) != 0;
				la_next(a);
			}
			if (is_p(&a->t, '(')) {
				la_next(a);
				if (!skip_group(a))
					return vk(V_NOT);
			}
		} else if (is_w(&a->t, K_using)) { /* CONVERT(x USING utf8) */
			la_next(a);
			la_next(a);
		}
		if (is_p(&a->t, ',') || is_w(&a->t, K_from) || is_w(&a->t, K_for)) {
			la_next(a);
			continue;
		}
		if (!is_p(&a->t, ')'))
			return vk(V_NOT);
		la_next(a);
		break;
	}
	a->inttype |= (kw == K_cast || kw == K_convert) && typed && info;
	return vk(notc ? V_NOT : info ? V_INFO : V_UNK);
}

static struct val term(struct la *a, unsigned d)
{
	const struct tk *t = &a->t;
	struct val v = vk(V_NOT);
	uint32_t from = t->off, f = kwf(t->kw);
	const uint8_t *p = a->s->base + t->off;
	uint8_t c = t->c;

	if (d > MAX_PDEPTH)
		return v;
	if (a->s->mysql && is_w(t, K_binary)) { /* BINARY 'a' */
		la_next(a);
		return term(a, d + 1);
	}
	switch (t->type) {
	case DPI_SQL_TOK_OP:
		if (!a->s->mysql && is_op(a->s, t, "@@")) { /* MSSQL's @@version */
			la_next(a);
			if (a->t.type != DPI_SQL_TOK_WORD)
				return v;
			v.k = V_INFO;
			la_next(a);
			break;
		}
		if (t->len != 1 || !(c == '-' || c == '+' || c == '~' || (c == '!' && a->s->mysql)))
			return v;
		a->builder = false;
		la_next(a);
		v = term(a, d + 1);
		if (c == '!')
			v = negate(v);
		else if (c == '-' && v.k == V_NUM)
			v.n = -v.n; /* |n| < 10^18 */
		else if (c != '+' && !nc(&v) && v.k != V_INFO)
			v.k = V_UNK;
		break;
	case DPI_SQL_TOK_NUMBER:
		v.k = parse_int(p, t->len, &v.n) ? V_NUM : V_UNK;
		a->builder &= t->len == 1 && (c == '0' || c == '1');
		a->marker |= t->len == 4 && c == '0' && (p[1] | 0x20) == 'x' &&
			     ((p[2] == '7' && (p[3] | 0x20) == 'e') || (p[2] == '3' && (p[3] | 0x20) == 'a'));
		la_next(a);
		break;
	case DPI_SQL_TOK_STRING:
		a->builder = false;
		a->marker |= t->blen == 1 && a->s->base[t->boff] == '~';
		v.k = (t->tf & DPI_SQL_TF_PREFIX) ? V_UNK : V_STR;
		v.esc = (t->tf & (DPI_SQL_TF_ESCAPES | DPI_SQL_TF_AMBIGUOUS)) != 0;
		v.boff = t->boff;
		v.blen = t->blen;
		la_next(a);
		while (a->s->mysql && a->t.type == DPI_SQL_TOK_STRING) { /* 'a' 'b' */
			v.k = V_UNK;
			la_next(a);
		}
		break;
	case DPI_SQL_TOK_VARIABLE:
		v.k = is_sysvar(a->s, t) ? V_INFO : V_NOT;
		la_next(a);
		break;
	case DPI_SQL_TOK_PUNCT:
		if (c != '(')
			return v;
		la_next(a);
		if (is_w(&a->t, K_select)) {
			v = subq(a, d);
			break;
		}
		v = pred(a, d + 1);
		if (!is_p(&a->t, ')'))
			return vk(V_NOT);
		la_next(a);
		break;
	case DPI_SQL_TOK_WORD:
		if (f & KF_LIT) {
			v = truth(t->kw == K_true);
			v.k = t->kw == K_true || t->kw == K_false ? V_BOOL : V_NULL;
			la_next(a);
		} else if (la_peek_p(a, '(')) {
			v = call(a, d);
		} else if ((f & KF_BARE) || (!a->s->mysql && t->kw == K_user)) {
			v.k = V_INFO; /* CURRENT_USER; in PostgreSQL also USER */
			la_next(a);
		} else {
			return v; /* a column or a keyword */
		}
		break;
	default:
		return v;
	}
	while (is_op(a->s, &a->t, "::")) { /* PostgreSQL casts */
		la_next(a);
		if (a->t.type != DPI_SQL_TOK_WORD)
			return vk(V_NOT);
		a->inttype |= v.k == V_INFO && (kwf(a->t.kw) & KF_INTTYPE);
		if (v.k == V_STR || v.k == V_BOOL)
			v.k = V_UNK;
		la_next(a);
	}
	if (is_w(&a->t, K_collate)) {
		la_next(a);
		la_next(a);
	}
	v.off = from;
	v.len = a->pend > from ? a->pend - from : 0;
	return v;
}

/* The arithmetic operator at a->t: its byte, or 0. */
static int arith_op(const struct la *a)
{
	const struct tk *t = &a->t;

	if (t->type == DPI_SQL_TOK_WORD)
		return (kwf(t->kw) & KF_ARITH) ? '/' : 0;
	if (t->type != DPI_SQL_TOK_OP)
		return 0;
	if (t->len == 1 && t->c && memchr("+-*/%&|^", t->c, 8))
		return t->c;
	if (is_op(a->s, t, "<<") || is_op(a->s, t, ">>") || (!a->s->mysql && is_op(a->s, t, "||")))
		return 'x';
	return 0;
}

static struct val expr(struct la *a, unsigned d)
{
	struct val l = term(a, d);
	uint32_t from = l.off;
	int op;

	while (!nc(&l) && (op = arith_op(a)) != 0) {
		struct val r;
		int64_t x;

		a->builder = false;
		la_next(a);
		r = term(a, d + 1);
		if (nc(&r))
			return vk(V_NOT);
		if (l.k == V_INFO || r.k == V_INFO)
			l.k = V_INFO;
		else if (l.k == V_NUM && r.k == V_NUM && op == '+' && !__builtin_add_overflow(l.n, r.n, &x))
			l.n = x;
		else if (l.k == V_NUM && r.k == V_NUM && op == '-' && !__builtin_sub_overflow(l.n, r.n, &x))
			l.n = x;
		else if (l.k == V_NUM && r.k == V_NUM && op == '*' && !__builtin_mul_overflow(l.n, r.n, &x))
			l.n = x;
		else
			l.k = V_UNK;
		l.off = from;
		l.len = a->pend - from;
	}
	return l;
}

/* The rest of [NOT] BETWEEN / IN / LIKE ..., keyword @kw just read. A
 * constant's value is not worked out (V_UNK), except for a pattern equal to
 * the value or '%'. */
static struct val pred_kw(struct la *a, unsigned d, const struct val *l, unsigned kw, bool neg)
{
	bool info = l->k == V_INFO;
	struct val r, hi;

	if (kw == K_in) {
		if (!is_p(&a->t, '('))
			return vk(V_NOT);
		la_next(a);
		if (is_w(&a->t, K_select)) { /* IN (SELECT 1) */
			r = subq(a, d + 1);
			return nc(&r) ? vk(V_NOT) : vk(info || r.k == V_INFO ? V_INFO : V_UNK);
		}
		for (;;) {
			r = expr(a, d + 1);
			if (nc(&r))
				return vk(V_NOT);
			info |= r.k == V_INFO;
			if (is_p(&a->t, ')'))
				break;
			if (!is_p(&a->t, ','))
				return vk(V_NOT);
			la_next(a);
		}
		la_next(a);
		return vk(info ? V_INFO : V_UNK);
	}
	if (kw == K_similar || kw == K_sounds) /* SIMILAR TO, SOUNDS LIKE */
		la_next(a);
	r = expr(a, d);
	if (kw == K_between) {
		if (nc(&r) || !is_w(&a->t, K_and))
			return vk(V_NOT);
		la_next(a);
		hi = expr(a, d);
		return nc(&hi) ? vk(V_NOT) : vk(info || r.k == V_INFO || hi.k == V_INFO ? V_INFO : V_UNK);
	}
	if (is_w(&a->t, K_escape)) {
		la_next(a);
		(void)expr(a, d);
	}
	if (nc(&r))
		return vk(V_NOT);
	if (info || r.k == V_INFO)
		return vk(V_INFO);
	if ((l->len && bytes_cmp(a, l->off, l->len, r.off, r.len) == 0) ||
	    (r.k == V_STR && r.blen == 1 && a->s->base[r.boff] == '%' && kw != K_regexp && kw != K_rlike))
		return truth(!neg);
	return vk(V_UNK);
}

/* A predicate on constants: NOT p, e op e, e IS [NOT] x, e [NOT] LIKE /
 * BETWEEN / IN ..., or a bare value. */
static struct val pred(struct la *a, unsigned d)
{
	struct val l, r;
	bool neg = false;
	unsigned kw;
	int op;

	if (d > MAX_PDEPTH)
		return vk(V_NOT);
	if (is_w(&a->t, K_not)) {
		a->builder = false;
		la_next(a);
		return negate(pred(a, d + 1));
	}
	l = expr(a, d);
	if (nc(&l))
		return l;
	if ((op = tk_cmp(a->s, &a->t)) != 0) {
		a->builder &= op == OP_EQ || op == OP_NE;
		a->cmp = true;
		la_next(a);
		r = expr(a, d);
		return compare(a, &l, op, &r);
	}
	if (is_w(&a->t, K_is)) {
		a->builder = false;
		a->cmp = true;
		la_next(a);
		if (is_w(&a->t, K_not)) {
			neg = true;
			la_next(a);
		}
		kw = a->t.kw;
		if (a->t.type != DPI_SQL_TOK_WORD || !(kwf(kw) & KF_LIT))
			return vk(V_NOT);
		la_next(a);
		if (kw == K_null || kw == K_unknown) {
			a->nullidiom |= l.k == V_NULL && !neg;
			return l.k == V_INFO ? l : truth((l.k == V_NULL) != neg);
		}
		if (l.k == V_INFO || l.k == V_UNK)
			return l;
		return truth((l.k != V_NULL && (l.n != 0) == (kw == K_true)) != neg);
	}
	if (is_w(&a->t, K_not)) {
		neg = true;
		la_next(a);
	}
	if (a->t.type != DPI_SQL_TOK_WORD || !(kwf(a->t.kw) & KF_PRED))
		return neg ? vk(V_NOT) : l;
	kw = a->t.kw;
	a->builder = false;
	a->cmp = true;
	la_next(a);
	return pred_kw(a, d, &l, kw, neg);
}

/* Whether a->t can follow a complete operand of a condition. */
static bool operand_ends(const struct la *a)
{
	const struct tk *t = &a->t;

	if (a->capped)
		return false;
	if (t->type == EOT)
		return true;
	if (t->type == DPI_SQL_TOK_PUNCT)
		return t->c == ')' || t->c == ';' || t->c == ',';
	if (t->type == DPI_SQL_TOK_WORD)
		return (kwf(t->kw) & (KF_END | KF_LOGIC)) != 0;
	return a->s->mysql && (is_op(a->s, t, "||") || is_op(a->s, t, "&&"));
}

/* ------------------------------------------------------------- evidence */

enum { M_OR, M_AND, M_STRICT, M_HAVING, M_WHEN };

/* The operand after OR / AND / WHERE / HAVING / WHEN at @op. M_AND leaves
 * the query builders' 1=1, 1=0, TRUE alone unless a comment follows them;
 * M_STRICT (MySQL &&), M_HAVING and M_WHEN don't. */
static void check_logic(struct scan *s, const struct tk *op, int mode)
{
	static const char *const reasons[] = {"or-tautology", "and-constant-comparison",
					      "and-constant-comparison", "having-constant-comparison",
					      "case-constant-condition"};
	struct la a;
	struct val v;
	uint32_t end;

	la_init(&a, s, 64, NULL);
	v = pred(&a, 0);
	if (nc(&v) || !operand_ends(&a) || s->truncated)
		return;
	end = a.pend;
	if (is_p(&a.t, ';'))
		la_next(&a);
	if (a.cut) { /* a comment that ends the statement, not WHERE 1=1 -- note\n AND .. */
		struct tk t;

		while (lex(s, &a.lx, &s->budget, &t) && t.type == DPI_SQL_TOK_COMMENT)
			;
		a.cut = !s->truncated && (t.type == EOT || is_p(&t, ';'));
	}
	if (v.k == V_INFO) {
		if (a.cmp)
			ev(s, DPI_SQLI_BOOLEAN_BLIND, 80, "blind-extraction", op->off, end);
	} else if (mode == M_OR) {
		if ((v.k == V_BOOL || v.k == V_NUM) && v.n && !a.nullidiom)
			ev(s, DPI_SQLI_TAUTOLOGY, a.cmp ? 90 : 85, reasons[0], op->off, end);
		else if (v.k == V_UNK)
			ev(s, DPI_SQLI_TAUTOLOGY, a.cmp ? 85 : 70, "or-constant-comparison", op->off, end);
	} else if (a.cmp && (!a.builder || mode != M_AND || a.cut)) {
		ev(s, mode == M_HAVING ? DPI_SQLI_CLAUSE : DPI_SQLI_BOOLEAN_BLIND, a.builder ? 75 : 70,
		   reasons[mode], op->off, end);
	}
}

static bool is_catalog(struct scan *s, const struct tk *t)
{
	uint32_t f = kwf(t->kw);
	struct tk nx;

	if ((t->type != DPI_SQL_TOK_WORD && t->type != DPI_SQL_TOK_QIDENT) || !(f & KF_CAT))
		return false;
	if (!(f & KF_SCHEMA))
		return true;
	nx = peek(s); /* mysql.user, not a column named mysql */
	return is_p(&nx, '.');
}

/* A UNION after a FROM or WHERE: what its branch selects. */
static void check_union(struct scan *s, const struct tk *u)
{
	bool list = true, start = true, all_const = true, all_num = true, info = false, cat = false;
	bool cred = false, outfile = false, from_real = false, nul = false;
	unsigned depth = 0, items = 0;
	struct la a;

	/* SELECT 1 UNION SELECT 2; catalogue and system information views */
	if ((!s->cur.from && !s->cur.where) || s->cur.catalog || s->cur.info)
		return;
	la_init(&a, s, 256, NULL);
	while (is_w(&a.t, K_all) || is_w(&a.t, K_distinct) || is_p(&a.t, '('))
		la_next(&a);
	if (!is_w(&a.t, K_select))
		return;
	la_next(&a);
	while (is_w(&a.t, K_all) || is_w(&a.t, K_distinct) || is_w(&a.t, K_distinctrow))
		la_next(&a);
	for (; a.t.type != EOT && !is_p(&a.t, ';'); la_next(&a)) {
		const struct tk *t = &a.t;
		uint32_t f = t->type == DPI_SQL_TOK_WORD || t->type == DPI_SQL_TOK_QIDENT ? kwf(t->kw) : 0;
		struct la b = a;

		if (list && depth == 0 && start) { /* is this select-list item a constant? */
			struct val v = pred(&b, 0);

			all_const &= !nc(&v) && (operand_ends(&b) || is_w(&b.t, K_as));
			all_num &= v.k == V_NUM || v.k == V_NULL;
			info |= v.k == V_INFO;
			nul |= is_w(t, K_null);
			start = false;
			items++;
			b = a;
		}
		if ((is_p(t, ')') && depth-- == 0) ||
		    (depth == 0 && (is_w(t, K_union) || is_w(t, K_intersect) || is_w(t, K_except))))
			break;
		depth += is_p(t, '(');
		la_next(&b);
		info |= is_sysvar(s, t) || (t->type == DPI_SQL_TOK_WORD && (f & KF_BARE)) ||
			(t->type == DPI_SQL_TOK_WORD && (f & KF_INFO) && is_p(&b.t, '('));
		cat |= (f & KF_CAT) && (!(f & KF_SCHEMA) || is_p(&b.t, '.'));
		outfile |= is_w(t, K_into) && (is_w(&b.t, K_outfile) || is_w(&b.t, K_dumpfile));
		if (!list)
			continue;
		cred |= (f & KF_CRED) != 0;
		if (depth == 0 && is_p(t, ','))
			start = true;
		if (depth == 0 && t->type == DPI_SQL_TOK_WORD && (f & (KF_END | KF_LOGIC))) {
			list = false;
			from_real = is_w(t, K_from) && !is_w(&b.t, K_dual);
		}
	}
	if (s->truncated)
		return;
	if (info || cat)
		ev(s, DPI_SQLI_UNION, 95, info ? "union-select-sysinfo" : "union-select-catalog", u->off,
		   a.pend);
	else if (outfile)
		ev(s, DPI_SQLI_OOB, 95, "union-into-outfile", u->off, a.pend);
	else if (all_const && ((!from_real && (s->cur.where || nul)) ||
			       (all_num && items > 1 && s->cur.where)))
		ev(s, DPI_SQLI_UNION, from_real ? 85 : 90, "union-select-constants", u->off, a.pend);
	else if (cred && s->cur.where)
		ev(s, DPI_SQLI_UNION, 80, "union-select-credentials", u->off, a.pend);
}

/* Whether the statement around a channel call does more than call it:
 * SELECT pg_sleep(1) is a health check, an injected call sits in the
 * application's query. */
static bool in_context(const struct scan *s)
{
	const struct stmt *c = &s->cur;

	return c->stacked || (is_data(c->verb) && (c->where || c->from || c->clause || c->unioned ||
						   (c->verb != K_select && c->verb != K_with)));
}

static void ctx_ev(struct scan *s, unsigned fam, unsigned score, const char *reason, uint32_t off,
		   uint32_t end)
{
	struct stmt *c = &s->cur;

	if (in_context(s)) {
		ev(s, fam, score, reason, off, end);
	} else if (!c->preason) { /* decided at the end of the statement */
		c->preason = reason;
		c->pfam = (uint8_t)fam;
		c->pscore = (uint8_t)score;
		c->poff = off;
		c->pend = end;
	}
}

/* Code points or hex text where a string belongs: = CHAR(97,100,109),
 * = CHR(97)||CHR(100), = 0x61646d696e. @t is the CHAR/CHR word or the
 * hex literal. */
static void check_construct(struct scan *s, const struct tk *t)
{
	const uint8_t *p = s->base + t->boff;
	bool word = t->type == DPI_SQL_TOK_WORD;
	uint32_t n = t->blen, i = 0;
	unsigned args = 0;
	struct la a;

	if (!s->cur.where)
		return;
	if (!word) {
		if (t->type == DPI_SQL_TOK_NUMBER && n > 2 && p[0] == '0' && (p[1] | 0x20) == 'x')
			i = 2;
		else if (t->type != DPI_SQL_TOK_STRING || (s->base[t->off] | 0x20) != 'x')
			return;
		if (n - i < 6 || (n - i) % 2)
			return;
		for (; i < n; i += 2) { /* printable text, not a binary key */
			unsigned hi = p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10;
			unsigned lo = p[i + 1] <= '9' ? p[i + 1] - '0' : (p[i + 1] | 0x20) - 'a' + 10;

			if (hi > 15 || lo > 15 || (hi << 4 | lo) < 0x20 || (hi << 4 | lo) > 0x7e)
				return;
		}
	}
	la_init(&a, s, 64, NULL);
	if (word) {
		for (la_next(&a); a.t.type == DPI_SQL_TOK_NUMBER; la_next(&a)) {
			args++;
			la_next(&a);
			if (!is_p(&a.t, ','))
				break;
		}
		if (!args || !is_p(&a.t, ')'))
			return;
		la_next(&a);
		if (args < 3 && !is_op(s, &a.t, "||") && !is_op(s, &s->last, "||"))
			return;
	}
	if (tk_cmp(s, &s->last) || is_w(&s->last, K_like) || tk_cmp(s, &a.t))
		ev(s, DPI_SQLI_BOOLEAN_BLIND, word ? 70 : 60,
		   word ? "char-construction" : "hex-string-comparison", t->off,
		   word ? a.pend : tend(t));
}

/* A word that may name a channel function: a call of it, or a package
 * function (dbms_lock.sleep). */
static void check_call(struct scan *s, const struct tk *w, uint32_t f)
{
	unsigned fam = (f & KF_TIME) ? DPI_SQLI_TIME :
		       (f & (KF_ERR | KF_GEOM)) ? DPI_SQLI_ERROR : DPI_SQLI_OOB;
	struct tk nx = peek(s);
	struct la a;
	struct val v;

	if (f & KF_ANY) {
		ev(s, fam, 95, "mssql-oracle-channel", w->off, tend(&nx));
		return;
	}
	if (f & KF_PKG) {
		if (is_p(&nx, '.'))
			ctx_ev(s, fam, 95, "package-channel", w->off, tend(&nx));
		return;
	}
	if (!is_p(&nx, '('))
		return;
	if (f & KF_CHAR) {
		check_construct(s, w);
		return;
	}
	la_init(&a, s, 128, w);
	if (f & (KF_TIME | KF_OOB | KF_GEOM)) {
		la_next(&a);
		la_next(&a);
		if (f & KF_GEOM) { /* POLYGON((SELECT ...)) */
			if (is_p(&a.t, '('))
				la_next(&a);
			if (!is_w(&a.t, K_select))
				return;
		}
		skip_group(&a);
		ctx_ev(s, fam, (f & KF_GEOM) ? 90 : 95,
		       (f & KF_TIME) ? "time-function" : (f & KF_OOB) ? "out-of-band-function" : "error-function",
		       w->off, a.pend);
		return;
	}
	if (w->kw == K_exp || w->kw == K_floor) { /* EXP(~(..)), FLOOR(RAND(0)*2) */
		la_next(&a);
		la_next(&a);
		if (w->kw == K_exp ? is_op(s, &a.t, "~") : is_w(&a.t, K_rand) && la_peek_p(&a, '(')) {
			la_next(&a);
			la_next(&a);
			if (w->kw == K_exp || a.t.type == DPI_SQL_TOK_NUMBER)
				ctx_ev(s, DPI_SQLI_ERROR, 90, "error-function", w->off, a.pend);
		}
		return;
	}
	v = term(&a, 0); /* EXTRACTVALUE(1, CONCAT(0x7e, version())), CAST(version() AS int) */
	if (s->truncated)
		return;
	if ((f & KF_ERR) && (v.k == V_INFO || a.marker))
		ctx_ev(s, DPI_SQLI_ERROR, 95, "error-function", w->off, a.pend);
	else if (v.k == V_INFO && a.inttype)
		ctx_ev(s, DPI_SQLI_ERROR, 90, "error-cast", w->off, a.pend);
}

/* A subquery in a condition or in the values an INSERT / UPDATE writes
 * (the main cursor is after its SELECT) that selects system information or
 * a credential column. */
static void check_subquery(struct scan *s)
{
	bool cred = false;
	struct la a, b;
	struct val v;

	la_init(&a, s, 64, NULL);
	for (b = a; b.t.type != EOT && !is_w(&b.t, K_from) && !is_p(&b.t, ')'); la_next(&b))
		cred |= (b.t.type == DPI_SQL_TOK_WORD || b.t.type == DPI_SQL_TOK_QIDENT) &&
			(kwf(b.t.kw) & KF_CRED);
	v = pred(&a, 0);
	if (s->truncated)
		return;
	if (v.k == V_INFO && (is_p(&a.t, ')') || is_w(&a.t, K_from)))
		ev(s, DPI_SQLI_SUBQUERY, 75, "subquery-sysinfo", s->last.off, a.pend);
	else if (cred)
		ev(s, DPI_SQLI_SUBQUERY, 70, "subquery-credentials", s->last.off, b.pend);
}

/* Whether a line comment's text continues the condition it cut off: a
 * closing quote or parenthesis, AND col = .., LIMIT n, ORDER BY, within its
 * first tokens. */
static bool continuation(struct scan *s, const struct tk *c)
{
	struct dpi_sql_lexer lx;
	struct tk t[6];
	unsigned n = 0;

	if (dpi_sql_lexer_init(&lx, s->mysql ? DPI_SQL_MYSQL : DPI_SQL_PGSQL, s->base + c->boff,
			       c->blen) < 0)
		return false;
	while (n < 6 && lex(s, &lx, &s->budget, &t[n]))
		n++;
	for (unsigned i = 0; i < n && i < 4; i++) {
		const struct tk *x = &t[i], *y = &t[i + 1 < n ? i + 1 : i], *z = &t[i + 2 < n ? i + 2 : i];

		if (is_p(x, ')') || x->type == DPI_SQL_TOK_ERROR ||
		    (is_w(x, K_limit) && (y->type == DPI_SQL_TOK_NUMBER || y->type == DPI_SQL_TOK_PARAM)) ||
		    ((is_w(x, K_order) || is_w(x, K_group)) && is_w(y, K_by)) ||
		    ((is_w(x, K_and) || is_w(x, K_or)) && z != y &&
		     (y->type == DPI_SQL_TOK_WORD || y->type == DPI_SQL_TOK_QIDENT) &&
		     (is_p(z, '.') || tk_cmp(s, z) || (z->type == DPI_SQL_TOK_WORD && (kwf(z->kw) & KF_PRED)))))
			return true;
	}
	return false;
}

/* The statement a comment belongs to: the current one, or after its ';'
 * the previous one; only data statements (scripts end in comments). */
static const struct stmt *comment_stmt(const struct scan *s)
{
	const struct stmt *st = s->cur.started ? &s->cur : s->have_prev ? &s->prev : NULL;

	return st && s->last.type != EOT && (st->where || is_data(st->verb)) ? st : NULL;
}

static void check_line_comment(struct scan *s, const struct tk *c)
{
	const struct stmt *st = comment_stmt(s);
	const uint8_t *b = s->base + c->boff;
	unsigned sq = 0, dq = 0, junk = 0;
	bool odd, rest_empty, quote_first;
	uint32_t i;
	struct tk nx = peek(s);

	for (i = 0; i < c->blen; i++) {
		sq += b[i] == '\'';
		dq += b[i] == '"';
	}
	for (i = 0; i < c->blen && (b[i] == ' ' || b[i] == '\t' || b[i] == '-' || b[i] == '+'); i++)
		;
	odd = (sq & 1) || (s->mysql && (dq & 1));
	quote_first = i < c->blen && (b[i] == '\'' || (s->mysql && b[i] == '"'));
	for (; i < c->blen && b[i] > ' '; i++)
		junk++;
	if (i < c->blen && b[i] != '\r' && b[i] != '\n')
		junk = 99; /* more than one word */
	rest_empty = nx.type == EOT || is_p(&nx, ';');
	if (s->truncated) /* the peek may have run out of budget */
		return;
	if (!st) { /* after a stacked statement: UPDATE t SET a = ''; DROP VIEW v;--' */
		if (s->data && odd && quote_first && rest_empty)
			ev(s, DPI_SQLI_COMMENT, 85, "comment-unbalanced-quote", s->last.off, tend(c));
	} else if (odd && (rest_empty || quote_first)) {
		ev(s, DPI_SQLI_COMMENT, 85, "comment-unbalanced-quote", s->last.off, tend(c));
	} else if (rest_empty && (st->where || st->stacked) && junk <= 1) { /* "-- -", "#" */
		ev(s, DPI_SQLI_COMMENT, 60, "comment-trailing", s->last.off, tend(c));
	} else if (rest_empty && st->where &&
		   (s->last.type == DPI_SQL_TOK_STRING || s->last.type == DPI_SQL_TOK_NUMBER ||
		    is_p(&s->last, ')')) &&
		   continuation(s, c)) {
		ev(s, DPI_SQLI_COMMENT, 70, "comment-cut-condition", s->last.off, tend(c));
	}
}

/* ----------------------------------------------------------- main pass */

static void stmt_start(struct scan *s, const struct tk *t)
{
	const struct stmt *p = &s->prev;
	struct stmt *c = &s->cur;
	uint32_t f = t->type == DPI_SQL_TOK_WORD ? kwf(t->kw) : 0;
	bool reader = p->verb == K_select || p->verb == K_with;

	c->started = true;
	c->verb = is_p(t, '(') ? K_select : t->type == DPI_SQL_TOK_WORD ? t->kw : K_NONE;
	s->data |= is_data(c->verb);
	/* after a WHERE of a SELECT (or an UPDATE / DELETE): what a migration
	 * script never does */
	if (!s->have_prev || !p->where || (!reader && p->verb != K_update && p->verb != K_delete))
		return;
	c->stacked = true;
	if (f & KF_DDL)
		ev(s, DPI_SQLI_STACKED, 90, "stacked-statement", s->semi, tend(t));
	else if (reader && (f & KF_DML) && !p->locking) /* not SELECT .. FOR UPDATE; UPDATE */
		ev(s, DPI_SQLI_STACKED, 85, "stacked-statement", s->semi, tend(t));
}

static void stmt_end(struct scan *s)
{
	struct stmt *c = &s->cur;

	if (c->preason && in_context(s))
		ev(s, c->pfam, c->pscore, c->preason, c->poff, c->pend);
	if (c->started) {
		s->prev = *c;
		s->have_prev = true;
	}
	memset(c, 0, sizeof(*c));
	s->depth = 0;
	s->selects = 0;
}

/* System information or a catalogue named: evidence in a stacked
 * statement or a condition, else it marks the statement as one that reads
 * them (psql, drivers, ORMs' introspection). */
static void note_system(struct scan *s, const struct tk *t, bool cat)
{
	struct stmt *c = &s->cur;

	if (c->stacked && !c->where)
		ev(s, DPI_SQLI_STACKED, 85, cat ? "stacked-select-catalog" : "stacked-select-sysinfo",
		   s->semi, tend(t));
	else if (cat && c->where && !c->catalog && !c->unioned)
		ev(s, DPI_SQLI_SUBQUERY, 75, "catalog-in-condition", t->off, tend(t));
	if (!c->where && !c->unioned)
		*(cat ? &c->catalog : &c->info) = true;
}

static void step_word(struct scan *s, const struct tk *t)
{
	struct stmt *c = &s->cur;
	uint32_t f = kwf(t->kw);
	struct tk nx;

	switch (t->kw) {
	case K_where:
		c->where = c->clause = true;
		check_logic(s, t, M_AND);
		break;
	case K_having:
		c->clause = true;
		check_logic(s, t, M_HAVING);
		break;
	case K_when:
		check_logic(s, t, M_WHEN);
		break;
	case K_order: case K_group: case K_limit:
		c->clause = true;
		break;
	case K_from: case K_join: /* a query's, not EXTRACT(x FROM y)'s */
		nx = peek(s);
		c->from |= !is_w(&nx, K_dual) && (s->depth == 0 || (s->selects >> (s->depth & 63) & 1));
		break;
	case K_or: case K_xor:
		check_logic(s, t, M_OR);
		break;
	case K_and:
		if (c->between && s->depth == c->bdepth)
			c->between = false;
		else
			check_logic(s, t, M_AND);
		break;
	case K_between:
		c->between = true;
		c->bdepth = s->depth;
		break;
	case K_union:
		check_union(s, t);
		c->unioned = true;
		break;
	case K_select: /* = (SELECT @@version), || (SELECT password FROM users) || */
		s->selects |= 1ull << (s->depth & 63);
		if ((c->where || (is_data(c->verb) && c->verb != K_select && c->verb != K_with)) &&
		    is_p(&s->last, '('))
			check_subquery(s);
		break;
	case K_for: case K_lock: /* FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE */
		nx = peek(s);
		c->locking |= is_w(&nx, K_update) || is_w(&nx, K_share) || is_w(&nx, K_in);
		break;
	case K_waitfor:
		nx = peek(s);
		if (is_w(&nx, K_delay) || is_w(&nx, K_time))
			ev(s, DPI_SQLI_TIME, 95, "waitfor-delay", t->off, tend(&nx));
		break;
	case K_into:
		nx = peek(s);
		if ((is_w(&nx, K_outfile) || is_w(&nx, K_dumpfile)) && (c->where || c->unioned || c->stacked))
			ev(s, DPI_SQLI_OOB, 95, "into-outfile", t->off, tend(&nx));
		break;
	case K_procedure:
		nx = peek(s);
		if (is_w(&nx, K_analyse))
			ev(s, DPI_SQLI_CLAUSE, 80, "procedure-analyse", t->off, tend(&nx));
		break;
	default:
		break;
	}
	if (is_catalog(s, t))
		note_system(s, t, true);
	else if (!c->where && !c->unioned && t->len > 3 &&
		 !strncasecmp((const char *)s->base + t->off, "pg_", 3)) /* pg_stat_activity ... */
		c->catalog = true;
	if ((f & KF_BARE) || ((f & KF_INFO) && is_p((nx = peek(s), &nx), '(')))
		note_system(s, t, false);
	if ((f & (KF_TIME | KF_ERR | KF_OOB | KF_INFO | KF_CHAR | KF_GEOM | KF_ANY)) ||
	    t->kw == K_exp || t->kw == K_floor || t->kw == K_cast || t->kw == K_convert)
		check_call(s, t, f);
}

static void step(struct scan *s, const struct tk *t)
{
	struct stmt *c = &s->cur;
	struct tk nx;

	switch (t->type) {
	case DPI_SQL_TOK_COMMENT:
		if ((t->tf & DPI_SQL_TF_EXEC_OPEN) && c->where && is_data(c->verb)) {
			nx = peek(s); /* ... WHERE id = 1, then UNION inside one */
			if (is_w(&nx, K_union) || is_w(&nx, K_select) || (kwf(nx.kw) & KF_LOGIC))
				ev(s, DPI_SQLI_COMMENT, 90, "executable-comment-in-where", t->off, tend(&nx));
		}
		if (t->tf & DPI_SQL_TF_LINE)
			check_line_comment(s, t);
		return;
	case DPI_SQL_TOK_ERROR:
		if ((t->tf & DPI_SQL_TF_UNTERM_COMMENT) && t->len && comment_stmt(s))
			ev(s, DPI_SQLI_COMMENT, 80, "comment-unterminated", s->last.off, s->len);
		return;
	case DPI_SQL_TOK_PUNCT:
		if (t->c == ';') {
			stmt_end(s);
			s->semi = t->off;
			return;
		}
		if (t->c == '(') {
			s->depth++;
		} else if (t->c == ')' && s->depth > 0) {
			s->selects &= ~(1ull << (s->depth & 63));
			s->depth--;
			c->between &= s->depth >= c->bdepth;
		}
		break;
	default:
		break;
	}
	if (!c->started) {
		stmt_start(s, t);
		if (t->type == DPI_SQL_TOK_WORD && (kwf(t->kw) & KF_LOGIC)) /* not a statement */
			goto out;
	}
	switch (t->type) {
	case DPI_SQL_TOK_WORD:
		step_word(s, t);
		break;
	case DPI_SQL_TOK_QIDENT:
		if (is_catalog(s, t))
			note_system(s, t, true);
		break;
	case DPI_SQL_TOK_OP:
		if (s->mysql && (is_op(s, t, "||") || is_op(s, t, "&&")))
			check_logic(s, t, t->c == '|' ? M_OR : M_STRICT);
		break;
	case DPI_SQL_TOK_NUMBER: case DPI_SQL_TOK_STRING:
		check_construct(s, t);
		break;
	case DPI_SQL_TOK_VARIABLE:
		if (is_sysvar(s, t))
			note_system(s, t, false);
		break;
	default:
		break;
	}
out:
	s->last = *t;
}

int dpi_sqli_stmt_check(enum dpi_sql_dialect d, const uint8_t *sql, size_t len,
			struct dpi_sqli_stmt_result *ret)
{
	struct scan s;
	struct tk t;

	if (!ret || (!sql && len) || (d != DPI_SQL_MYSQL && d != DPI_SQL_PGSQL) || len > UINT32_MAX)
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.base = sql ? sql : (const uint8_t *)"";
	s.len = (uint32_t)len;
	s.mysql = d == DPI_SQL_MYSQL;
	s.budget = DPI_SQLI_STMT_BUDGET - DPI_SQLI_STMT_MAX_TOKENS;
	s.reason = "";
	s.last.type = EOT;
	if (dpi_sql_lexer_init(&s.lx, d, s.base, len) < 0)
		return -EINVAL;
	for (unsigned n = 0; s.score < 95 && lex(&s, &s.lx, NULL, &t); n++) {
		if (n == DPI_SQLI_STMT_MAX_TOKENS) {
			s.truncated = true;
			break;
		}
		step(&s, &t);
	}
	stmt_end(&s);
	memset(ret, 0, sizeof(*ret));
	ret->flags = s.truncated ? DPI_SQLI_STMT_F_TRUNCATED : 0;
	ret->reason = "";
	if (s.score < DPI_SQLI_STMT_THRESHOLD)
		return 0;
	ret->family = (uint8_t)s.fam;
	ret->score = s.score;
	ret->off = s.off;
	ret->len = s.end - s.off;
	ret->reason = s.reason;
	return 1;
}
