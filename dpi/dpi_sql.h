/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sql.h - the SQL lexer and statement analyser shared by the MySQL and
 * PostgreSQL parsers.
 *
 * Both work on one complete query text (a COM_QUERY payload, a Query or Parse
 * message), not on a stream: the wire parsers assemble the text, this code
 * says what it does. The lexer (dpi_sql_lex.c) cuts the text into tokens the
 * way the server's own lexer would; the analyser (dpi_sql.c) splits it into
 * statements and reports, for each, the kind of statement and every table it
 * names, which is what SQL policy rules are written against.
 *
 * The analyser is not a SQL parser: it recognises the clauses that name
 * tables (FROM, JOIN, INTO, UPDATE, DELETE, TABLE, the DDL heads, ...) in
 * text that may be invalid, and errs on the side of reporting too much. Where
 * it cannot be sure that it saw every table (a cap was reached, the text is
 * cut off, a literal's end depends on a server setting, SQL is built at run
 * time), it says so in a flag, so a caller enforcing an allowlist can treat
 * the query as unparsed instead of trusting an incomplete table list.
 *
 * Nothing here allocates, prints or keeps global state; every function is
 * thread-safe on distinct objects.
 */
#ifndef DPI_SQL_H
#define DPI_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpi_parser.h"

enum dpi_sql_dialect {
	DPI_SQL_MYSQL, /* MySQL and MariaDB with default sql_mode */
	DPI_SQL_PGSQL, /* PostgreSQL with standard_conforming_strings on */
};

/* ------------------------------------------------------------------ lexer */

enum dpi_sql_tok {
	DPI_SQL_TOK_EOF = 0,  /* end of the text; text is empty */
	DPI_SQL_TOK_WORD,     /* keyword or unquoted identifier (also MySQL 1abc) */
	DPI_SQL_TOK_QIDENT,   /* quoted identifier: MySQL `x` (and "x" with ANSI_QUOTES),
			       * PostgreSQL "x", U&"x" */
	DPI_SQL_TOK_STRING,   /* literal: '..', MySQL "..", E'', B'', X'', N'', U&'', $$..$$ */
	DPI_SQL_TOK_NUMBER,   /* 12, 1.5e3, .5, 0x1F, 0b101 */
	DPI_SQL_TOK_PARAM,    /* placeholder: PostgreSQL $1, MySQL ? */
	DPI_SQL_TOK_VARIABLE, /* MySQL @var, @'var', @@sysvar */
	DPI_SQL_TOK_OP,       /* operator (= <> || :: ->> ...) or a stray byte */
	DPI_SQL_TOK_PUNCT,    /* one of ( ) , ; . [ ] { } : */
	DPI_SQL_TOK_COMMENT,  /* -- , #, block comments, MySQL executable comment marks */
	DPI_SQL_TOK_ERROR,    /* unterminated literal, identifier or comment (to the end) */
};

/* Token flags. */
#define DPI_SQL_TF_ESCAPES 0x0001      /* body has doubled quotes or backslash escapes */
#define DPI_SQL_TF_AMBIGUOUS 0x0002    /* where it ends depends on a server setting (a
					* backslash before a quote: NO_BACKSLASH_ESCAPES,
					* ANSI_QUOTES, standard_conforming_strings) */
#define DPI_SQL_TF_PREFIX 0x0004       /* E'', B'', X'', N'', U&'' or U&"" */
#define DPI_SQL_TF_DOLLAR 0x0008       /* dollar-quoted $tag$...$tag$ */
#define DPI_SQL_TF_LINE 0x0010         /* comment: "--" or "#" to the end of the line */
#define DPI_SQL_TF_NESTED 0x0020       /* comment: PostgreSQL block comment with nested ones */
#define DPI_SQL_TF_EXEC_OPEN 0x0040    /* comment: opens a MySQL executable comment, slash
					* star bang [version] (or MariaDB's M-bang form); what
					* follows up to its close is lexed as SQL */
#define DPI_SQL_TF_EXEC_CLOSE 0x0080   /* comment: the star slash closing one */
#define DPI_SQL_TF_UNTERM_STRING 0x0100  /* error: unterminated string literal */
#define DPI_SQL_TF_UNTERM_IDENT 0x0200   /* error: unterminated quoted identifier */
#define DPI_SQL_TF_UNTERM_COMMENT 0x0400 /* error: unterminated (or executable) comment */
#define DPI_SQL_TF_VERSIONED 0x0800    /* EXEC_OPEN with a version (or MariaDB's form): a
					* server older than that reads it as a comment */

/* Lexer modes: the server settings that move the end of a literal or
 * comment. The default (0) is each server's default configuration. */
#define DPI_SQL_MODE_NO_BACKSLASH_ESCAPES 0x01 /* MySQL sql_mode NO_BACKSLASH_ESCAPES */
#define DPI_SQL_MODE_ANSI_QUOTES 0x02          /* MySQL sql_mode ANSI_QUOTES: "x" is QIDENT */
#define DPI_SQL_MODE_SKIP_VERSIONED 0x04       /* MySQL older than every versioned
						* executable comment: they are comments */
#define DPI_SQL_MODE_PG_ESCAPES 0x08           /* PostgreSQL standard_conforming_strings
						* off: backslash escapes in '' */

struct dpi_sql_token {
	uint8_t type;          /* enum dpi_sql_tok */
	uint8_t quote;         /* STRING/QIDENT/VARIABLE: opening delimiter ' " ` $; else 0 */
	uint16_t flags;        /* DPI_SQL_TF_* */
	struct dpi_slice text; /* the token as written, delimiters and prefix included */
	struct dpi_slice body; /* STRING/QIDENT: between the delimiters, still escaped;
				* COMMENT: inside the markers (EXEC_OPEN: the version
				* digits); otherwise equal to text */
};

/* A cursor over one query text. Plain data: copying it saves a position
 * (that is how lookahead works). */
struct dpi_sql_lexer {
	const uint8_t *buf, *cur, *end;
	const uint8_t *ident_end; /* end of the last identifier token (MySQL "db.1t") */
	uint8_t dialect;          /* enum dpi_sql_dialect */
	uint8_t in_exec;          /* inside a MySQL executable comment */
	uint8_t force_ident;      /* MySQL: next token is an identifier even if it
				   * starts with a digit (after "ident.") */
	uint8_t mode;             /* DPI_SQL_MODE_*: 0 after init; may be set before
				   * the first dpi_sql_next() */
};

/*
 * Start lexing @len bytes at @buf (need not be NUL-terminated; a NUL byte is
 * an ordinary stray byte, so PostgreSQL callers pass the text up to its
 * terminator) in the default mode; set lx->mode before the first token for
 * another. The lexer keeps @buf; it must outlive the lexer and the tokens.
 * Returns 0, -EINVAL (NULL @buf with @len > 0) or -E2BIG (@len > UINT32_MAX);
 * @lx is unchanged on failure.
 */
int dpi_sql_lexer_init(struct dpi_sql_lexer *lx, enum dpi_sql_dialect dialect,
		       const uint8_t *buf, size_t len);

/*
 * Next token into @ret_tok: returns 1 with a token (whose text is never
 * empty, except the one ERROR token reporting an executable comment still
 * open at the end), or 0 at the end (ret_tok->type == DPI_SQL_TOK_EOF).
 * Every call but that one consumes at least one byte, so a loop over it
 * ends within len + 2 calls. After an ERROR token the next call returns 0.
 * Whitespace is skipped; comments are returned.
 */
int dpi_sql_next(struct dpi_sql_lexer *lx, struct dpi_sql_token *ret_tok);

/* Whether @tok is a WORD equal to @kw (ASCII, case-insensitive; @kw is a
 * NUL-terminated keyword such as "UNION"). */
bool dpi_sql_word_is(const struct dpi_sql_token *tok, const char *kw);

/* --------------------------------------------------------------- analyser */

/* Statement kinds. Synonyms map to one verb: DESC -> DESCRIBE, EXEC ->
 * EXECUTE, ANALYSE -> ANALYZE; in PostgreSQL END -> COMMIT and ABORT ->
 * ROLLBACK; VALUES and TABLE (queries on their own) -> SELECT; MySQL DROP
 * PREPARE -> DEALLOCATE. A statement starting with WITH gets the verb of its
 * main statement. Anything else is OTHER (its first word is in stmt.word). */
enum dpi_sql_verb {
	DPI_SQL_VERB_NONE = 0,
	DPI_SQL_VERB_OTHER,
	DPI_SQL_VERB_SELECT,
	DPI_SQL_VERB_INSERT,
	DPI_SQL_VERB_UPDATE,
	DPI_SQL_VERB_DELETE,
	DPI_SQL_VERB_REPLACE,
	DPI_SQL_VERB_MERGE,
	DPI_SQL_VERB_CREATE,
	DPI_SQL_VERB_DROP,
	DPI_SQL_VERB_ALTER,
	DPI_SQL_VERB_RENAME,
	DPI_SQL_VERB_TRUNCATE,
	DPI_SQL_VERB_GRANT,
	DPI_SQL_VERB_REVOKE,
	DPI_SQL_VERB_CALL,
	DPI_SQL_VERB_EXECUTE,
	DPI_SQL_VERB_PREPARE,
	DPI_SQL_VERB_DEALLOCATE,
	DPI_SQL_VERB_SET,
	DPI_SQL_VERB_SHOW,
	DPI_SQL_VERB_USE,
	DPI_SQL_VERB_BEGIN,
	DPI_SQL_VERB_START,
	DPI_SQL_VERB_COMMIT,
	DPI_SQL_VERB_ROLLBACK,
	DPI_SQL_VERB_SAVEPOINT,
	DPI_SQL_VERB_RELEASE,
	DPI_SQL_VERB_EXPLAIN,
	DPI_SQL_VERB_DESCRIBE,
	DPI_SQL_VERB_COPY,
	DPI_SQL_VERB_LOCK,
	DPI_SQL_VERB_UNLOCK,
	DPI_SQL_VERB_ANALYZE,
	DPI_SQL_VERB_VACUUM,
	DPI_SQL_VERB_LOAD,
	DPI_SQL_VERB_HANDLER,
	DPI_SQL_VERB_DO,
	DPI_SQL_VERB_LISTEN,
	DPI_SQL_VERB_UNLISTEN,
	DPI_SQL_VERB_NOTIFY,
	DPI_SQL_VERB_DECLARE,
	DPI_SQL_VERB_FETCH,
	DPI_SQL_VERB_CLOSE,
	DPI_SQL_VERB__MAX
};
_Static_assert(DPI_SQL_VERB__MAX <= 64, "verbs fit the statement's verb mask");

/* Upper-case name of @v ("SELECT", ..., "OTHER"; "NONE" out of range).
 * Static storage, thread-safe. */
const char *dpi_sql_verb_name(unsigned v);

/* Caps. Reaching one sets a flag; nothing is ever written past them. */
#define DPI_SQL_MAX_STMTS 64         /* statements per query */
#define DPI_SQL_MAX_TABLES 256       /* tables per query, all statements */
#define DPI_SQL_MAX_STMT_TABLES 64   /* distinct tables per statement */
#define DPI_SQL_MAX_DEPTH 64         /* nesting: parentheses, subqueries, EXPLAIN ... */
#define DPI_SQL_MAX_TOKENS 100000u   /* tokens per query, comments included */
#define DPI_SQL_SCRATCH 16384        /* bytes of normalised names per query */

/* Query and statement flags (a query's flags are the union of its
 * statements' plus STACKED and TOO_MANY_STMTS). */
#define DPI_SQL_F_COMMENT 0x0001         /* has a comment */
#define DPI_SQL_F_EXEC_COMMENT 0x0002    /* has a MySQL executable comment */
#define DPI_SQL_F_STACKED 0x0004         /* more than one (non-empty) statement */
#define DPI_SQL_F_UNTERMINATED 0x0008    /* unterminated string, identifier or comment */
#define DPI_SQL_F_AMBIGUOUS 0x0010       /* a literal whose end depends on a server
					  * setting (a backslash before a quote) */
#define DPI_SQL_F_DYNAMIC 0x0020         /* SQL built at run time the analyser can't see:
					  * PREPARE .. FROM, EXECUTE IMMEDIATE, DO with a
					  * code string, a function body in a string */
#define DPI_SQL_F_TOO_MANY_STMTS 0x0040  /* statements past DPI_SQL_MAX_STMTS not analysed */
#define DPI_SQL_F_TOO_MANY_TABLES 0x0080 /* a table list is incomplete */
#define DPI_SQL_F_TOO_DEEP 0x0100        /* nesting past DPI_SQL_MAX_DEPTH not analysed */
#define DPI_SQL_F_TOO_MANY_TOKENS 0x0200 /* text past DPI_SQL_MAX_TOKENS not analysed */
#define DPI_SQL_F_SCRATCH_FULL 0x0400    /* a normalised name didn't fit: table missing */
#define DPI_SQL_F_DIVERGENT 0x0800       /* query only: read with another server setting
					  * (DPI_SQL_MODE_*), the text runs a verb or
					  * names a table for a verb that the reported
					  * statements don't (a literal or executable
					  * comment that hides SQL from this analysis) */
/* The table lists may be incomplete: a caller enforcing table rules should
 * treat the query as unparsed. (UNTERMINATED belongs here because a server
 * would reject what follows anyway; AMBIGUOUS alone is common in benign
 * MySQL, 'O\\'Brien', and only DIVERGENT says it matters; DYNAMIC is the
 * caller's call.) */
#define DPI_SQL_F_INCOMPLETE                                                             \
	(DPI_SQL_F_UNTERMINATED | DPI_SQL_F_TOO_MANY_STMTS | DPI_SQL_F_TOO_MANY_TABLES |   \
	 DPI_SQL_F_TOO_DEEP | DPI_SQL_F_TOO_MANY_TOKENS | DPI_SQL_F_SCRATCH_FULL |         \
	 DPI_SQL_F_DIVERGENT)

/* Table flags. */
#define DPI_SQL_TBL_QUOTED 0x01 /* some part was quoted (kept as written) */

/*
 * A table named by a statement: "name" or "schema.name" (PostgreSQL may have
 * "db.schema.name"), normalised: unquoted parts lower-cased (ASCII), quoted
 * parts without their quotes and with escapes undone, parts joined by '.',
 * PostgreSQL parts truncated to 63 bytes as the server does. MySQL GRANT
 * targets may contain '*' ("db.*"). @name points into the analysed text when
 * it needed no normalisation (zero-copy), else into the result's scratch.
 */
struct dpi_sql_table {
	struct dpi_slice name;
	uint32_t schema_len; /* bytes before the last '.', 0 when unqualified */
	uint32_t flags;      /* DPI_SQL_TBL_* */
};

struct dpi_sql_stmt {
	uint32_t off, len;     /* the statement's text in the input (no ';') */
	struct dpi_slice word; /* the word its verb was read from, as written (the
				* main statement's after WITH); else its first token */
	uint8_t verb;          /* enum dpi_sql_verb, never NONE */
	uint8_t pad;
	uint16_t ntables;      /* tables of this statement: */
	uint16_t first_table;  /* result.tables[first_table .. + ntables) */
	uint16_t pad2;
	uint32_t flags;        /* DPI_SQL_F_* seen in this statement */
	uint64_t verbs;        /* bit (1 << verb) for its verb and for the verb of
				* every statement nested in it: data-modifying CTEs,
				* the statement EXPLAINed, PREPAREd AS, DECLAREd, COPYed,
				* CREATE ... AS; subqueries count as SELECT */
};

/*
 * The analysis of one query. Large (about 26 KB): keep one per worker, not
 * on a small stack. Only the first nstmts statements and their tables are
 * meaningful; dpi_sql_analyze() doesn't clear the rest.
 */
struct dpi_sql_result {
	uint32_t flags;   /* DPI_SQL_F_* */
	uint32_t nstmts;
	uint32_t ntables; /* used entries of tables[] */
	uint32_t ntokens; /* tokens read */
	uint32_t scratch_used;
	struct dpi_sql_stmt stmts[DPI_SQL_MAX_STMTS];
	struct dpi_sql_table tables[DPI_SQL_MAX_TABLES];
	uint8_t scratch[DPI_SQL_SCRATCH];
};

/*
 * Analyse the query text @sql (@len bytes, @dialect's rules) into @ret_res:
 * statements split on ';' outside literals and comments (empty ones are
 * dropped), each with its verb, its distinct tables (in order of appearance,
 * but MySQL multi-table DELETE targets last) and flags. Names of CTEs and
 * aliases are not tables; tables inside CTEs, subqueries, derived tables and
 * UNION arms are. Function calls in FROM are not tables.
 *
 * The text is read as the server reads it in its default configuration.
 * When a literal's end depends on a server setting, or a versioned MySQL
 * executable comment may be a plain comment, the text is read again under
 * each alternative (DPI_SQL_MODE_*, at most five more passes, nothing kept):
 * if one of them runs a verb or names a table for a verb that the result
 * doesn't, DPI_SQL_F_DIVERGENT is set.
 *
 * Returns 0 (even for invalid SQL: look at the flags), -EINVAL (NULL @ret_res, or
 * NULL @sql with @len > 0) or -E2BIG (@len > UINT32_MAX); @ret_res is untouched on
 * failure. Table names point into @sql or into @ret_res->scratch: valid while both
 * are. Never reads outside [@sql, @sql + @len). Thread-safe on distinct @ret_res.
 */
int dpi_sql_analyze(enum dpi_sql_dialect dialect, const uint8_t *sql, size_t len,
		    struct dpi_sql_result *ret_res);

/* The @i-th table of statement @st of @r (i < st->ntables). */
static inline const struct dpi_sql_table *dpi_sql_stmt_table(const struct dpi_sql_result *r,
							     const struct dpi_sql_stmt *st,
							     unsigned i)
{
	return &r->tables[st->first_table + i];
}

#endif
