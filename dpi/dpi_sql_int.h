/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sql_int.h - what the statement analyser's two halves share: the
 * keywords, the cursor over the token stream, and the entry points of each
 * half. dpi_sql.c reads names, table references, parentheses and the clauses
 * common to every statement; dpi_sql_stmt.c recognises the kind of
 * statement and reads the head of each kind. Not part of the module's API.
 */
#ifndef DPI_SQL_INT_H
#define DPI_SQL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dpi_sql.h"

/* Keywords the analyser acts on, sorted: dpi_sql.c looks them up in a table
 * in the same order (a binary search). */
enum kw {
	KW_NONE = 0,
	KW_ABORT, KW_ADD, KW_AFTER, KW_ALGORITHM, KW_ALL, KW_ALTER, KW_ANALYSE, KW_ANALYZE,
	KW_AND, KW_AS, KW_ATTACH, KW_BEFORE, KW_BEGIN, KW_BINARY, KW_BY, KW_CALL,
	KW_CASCADE, KW_CHANGE, KW_CLOSE, KW_COLUMN, KW_COLUMNS, KW_COMMIT, KW_CONFLICT,
	KW_CONTINUE, KW_COPY, KW_CREATE, KW_CROSS, KW_CYCLE, KW_DEALLOCATE, KW_DECLARE,
	KW_DEFAULT, KW_DELAYED, KW_DELETE, KW_DESC, KW_DESCRIBE, KW_DETACH, KW_DISTINCT,
	KW_DO, KW_DROP, KW_DUAL, KW_DUMPFILE, KW_DUPLICATE, KW_ELSE, KW_END, KW_EVENT,
	KW_EXCEPT, KW_EXEC, KW_EXECUTE, KW_EXISTS, KW_EXPLAIN, KW_EXTENDED, KW_FETCH,
	KW_FIELDS, KW_FOR, KW_FORCE, KW_FORMAT, KW_FREEZE, KW_FROM, KW_FULL, KW_FUNCTION,
	KW_GRANT, KW_GROUP, KW_HANDLER, KW_HAVING, KW_HIGH_PRIORITY, KW_IF, KW_IGNORE,
	KW_IMMEDIATE, KW_IN, KW_INDEX, KW_INDEXES, KW_INHERITS, KW_INNER, KW_INSERT,
	KW_INTERSECT, KW_INTO, KW_IS, KW_JOIN, KW_KEY, KW_KEYS, KW_LATERAL, KW_LEFT,
	KW_LIKE, KW_LIMIT, KW_LISTEN, KW_LOAD, KW_LOCAL, KW_LOCK, KW_LOW_PRIORITY,
	KW_MATERIALIZED, KW_MERGE, KW_MINUS, KW_MODIFY, KW_NATURAL, KW_NOT, KW_NOTIFY,
	KW_NOWAIT, KW_NO_WRITE_TO_BINLOG, KW_OF, KW_OFFSET, KW_OJ, KW_ON, KW_ONLY, KW_OPEN,
	KW_OR, KW_ORDER, KW_ORDINALITY, KW_OUTER, KW_OUTFILE, KW_OVERRIDING, KW_PARTITION,
	KW_PARTITIONS, KW_POLICY, KW_PREPARE, KW_PROCEDURE, KW_QUALIFY, KW_QUICK, KW_READ,
	KW_RECURSIVE, KW_REFERENCES, KW_RELEASE, KW_RENAME, KW_REPLACE, KW_RESTART,
	KW_RESTRICT, KW_RETURNING, KW_REVOKE, KW_RIGHT, KW_ROLLBACK, KW_ROWS, KW_RULE,
	KW_SAVEPOINT, KW_SCHEMA, KW_SEARCH, KW_SELECT, KW_SET, KW_SHOW, KW_SKIP_LOCKED,
	KW_START, KW_STRAIGHT_JOIN, KW_SYSTEM_TIME, KW_TABLE, KW_TABLES, KW_TABLESAMPLE,
	KW_TEMP, KW_TEMPORARY, KW_THEN, KW_TO, KW_TRIGGER, KW_TRUNCATE, KW_UNION,
	KW_UNLISTEN, KW_UNLOCK, KW_UNLOGGED, KW_UPDATE, KW_USE, KW_USING, KW_VACUUM,
	KW_VALUE, KW_VALUES, KW_VERBOSE, KW_VIEW, KW_WHEN, KW_WHERE, KW_WINDOW, KW_WITH,
	KW_WRITE,
	KW__MAX
};

/* Keyword flags (the letters of dpi_sql.c's keyword table). */
#define KF_NOALIAS 0x01 /* N: never taken as a bare alias after a table */
#define KF_NONAME 0x02  /* R: never a table name (reserved in both dialects) */
#define KF_STMT 0x04    /* S: starts a statement inside parentheses */
#define KF_END_MY 0x08  /* M: ends a table list in MySQL (reserved there) */
#define KF_END_PG 0x10  /* P: ends a table list in PostgreSQL (reserved there) */

/* ------------------------------------------------------------ the cursor */

#define MAX_CTES 64     /* CTE names in scope */
#define MAX_ALIASES 64  /* aliases per statement (multi-table DELETE targets) */
#define MAX_DEFERRED 32 /* DELETE targets waiting for the aliases */

/* A significant token and its keyword (KW_NONE if it is none). */
struct tok {
	struct dpi_sql_token t;
	enum kw kw;
};

/* A normalised table name (struct dpi_sql_table's fields, and its parts). */
struct name {
	struct dpi_slice s;
	uint32_t schema_len;
	uint32_t flags;
	unsigned parts;
};

/* The analyser's cursor and what it collects for the statement being read. */
struct sp {
	struct dpi_sql_lexer lx; /* positioned after cur */
	struct tok cur;          /* current significant token (EOF when eof) */
	enum kw prev1, prev2;    /* keywords of the two tokens consumed last */
	bool prev_comma;         /* the token consumed last was ',' */
	bool eof;                /* end, an unterminated token, or the token cap */
	bool mysql;
	struct dpi_sql_result *r;
	struct dpi_sql_stmt *st;
	const uint8_t *stmt_start; /* first token (comments too) after the last ';' */
	const uint8_t *last_end;   /* end of the last token consumed */
	uint32_t sflags;           /* flags of the statement being read */
	uint32_t pflags;           /* flags of the whole pass */
	bool shadow;               /* a pass under another server setting: compare only */
	bool saw_amb, saw_versioned; /* what makes another setting worth a pass */
	bool syntax_error;         /* the statement can't be valid (unbalanced, cut off) */
	unsigned nest;
	unsigned ncte, nalias, ndeferred;
	struct dpi_slice cte[MAX_CTES];
	struct dpi_slice alias[MAX_ALIASES];
	struct name deferred[MAX_DEFERRED];
	struct dpi_sql_stmt shadow_st;
};

/* One pair of parentheses (or the statement's top). */
struct level {
	uint8_t verb;          /* verb of the (sub)statement this level is in */
	bool in_paren;         /* ends at ')' */
	bool is_query;         /* FROM names tables here */
	bool in_from;          /* inside a table list: ',' and JOIN add tables */
	bool refs_targets;     /* the list names targets (DROP, TRUNCATE, LOCK) */
	bool resolve_targets;  /* DELETE targets may be aliases of USING/FROM tables */
	bool body;             /* routine/trigger body: statements may start anywhere */
	bool alter_table;      /* ALTER TABLE/VIEW: RENAME TO names a table */
	bool saw_from;         /* a FROM was read: STRAIGHT_JOIN is a join */
	bool create_cols;      /* CREATE TABLE's element list: ", LIKE u" */
	unsigned cte_mark, deferred_mark;
};

/* How a table reference at the cursor is used. */
enum ref_mode {
	REF,      /* a table read (FROM, JOIN): CTE names and functions are not tables */
	TARGET,   /* a table written or defined, may have an alias */
	NAMEONLY, /* a table name and nothing else (DDL) */
	DEFER,    /* a DELETE target, reported at the end unless it is an alias */
};

/* What a pair of parentheses holds. */
enum paren_kind {
	P_SUB,       /* expression or subquery */
	P_FROM_ITEM, /* derived table or parenthesised join in a table list */
	P_NAMES,     /* a list of table names: INHERITS (a, b) */
	P_LIKE,      /* CREATE TABLE t (LIKE u ...) */
};

static inline void flag(struct sp *p, uint32_t f)
{
	p->sflags |= f;
}

static inline bool is_punct(const struct tok *t, char c)
{
	return t->t.type == DPI_SQL_TOK_PUNCT && t->t.text.p[0] == (uint8_t)c;
}

static inline bool cur_punct(const struct sp *p, char c)
{
	return !p->eof && is_punct(&p->cur, c);
}

static inline bool cur_op(const struct sp *p, const char *op)
{
	size_t n = strlen(op);

	return !p->eof && p->cur.t.type == DPI_SQL_TOK_OP && p->cur.t.text.len == n &&
	       memcmp(p->cur.t.text.p, op, n) == 0;
}

static inline bool cur_kw(const struct sp *p, enum kw k)
{
	return !p->eof && p->cur.kw == k;
}

/* Into one more level of nesting; false (flagged) past DPI_SQL_MAX_DEPTH. */
static inline bool enter(struct sp *p)
{
	if (p->nest >= DPI_SQL_MAX_DEPTH) {
		flag(p, DPI_SQL_F_TOO_DEEP);
		return false;
	}
	p->nest++;
	return true;
}

static inline void leave(struct sp *p)
{
	p->nest--;
}

/* ------------------------------------------------------------- dpi_sql.c */

/* KF_* flags of keyword @k (0 for KW_NONE). */
unsigned dpi_sql_kw_flags(enum kw k);

/* Consume cur: the next significant token becomes cur (EOF at the end). */
void dpi_sql_advance(struct sp *p);

/* Keyword of the @n-th significant token after cur (n >= 1), unconsumed. */
enum kw dpi_sql_peek_kw(const struct sp *p, unsigned n);

/* Whether cur may start a name ('*' parts with @star). */
bool dpi_sql_cur_name_token(const struct sp *p, bool star);

/* A possibly qualified name at cur (at most @max_parts parts), normalised into
 * @ret; false when cur is not a name or it could not be kept (see dpi_sql.c). */
bool dpi_sql_parse_name(struct sp *p, bool star, unsigned max_parts, struct name *ret);

/* "@a.@b" as a new name in the scratch space; false (flagged) if full. */
bool dpi_sql_name_join(struct sp *p, const struct dpi_slice *a, const struct dpi_slice *b,
		       uint32_t flags, struct name *ret);

/* Add @n to the statement's tables (unless a CTE in scope, when @maskable). */
void dpi_sql_report(struct sp *p, const struct name *n, bool maskable);

/* Report the DELETE targets deferred by @lv that aren't aliases. */
void dpi_sql_resolve_deferred(struct sp *p, struct level *lv);

/* One table reference at cur, used as @mode says. */
void dpi_sql_parse_table_ref(struct sp *p, struct level *lv, enum ref_mode mode);

/* Whether WITH at cur starts a CTE list. */
bool dpi_sql_is_cte_with(const struct sp *p);

/* A CTE list at cur (WITH ...): its names are in scope for the rest of @lv. */
void dpi_sql_parse_with(struct sp *p, struct level *lv);

/* The first thing in a level; returns the verb of a statement there, or 0. */
uint8_t dpi_sql_level_start(struct sp *p, struct level *lv, bool top);

/* '(' at cur: analyse up to its ')'; returns the verb of a statement in it, or 0. */
uint8_t dpi_sql_paren(struct sp *p, struct level *parent, enum paren_kind kind, bool top);

/* -------------------------------------------------------- dpi_sql_stmt.c */

/*
 * A statement starting at cur (a word): sets @lv's verb, records it (as the
 * statement's verb when @top), reads the head that names tables in a
 * verb-specific way and leaves the rest to the caller's level. Returns the
 * verb, 0 past DPI_SQL_MAX_DEPTH.
 */
uint8_t dpi_sql_dispatch(struct sp *p, struct level *lv, bool top);

#endif
