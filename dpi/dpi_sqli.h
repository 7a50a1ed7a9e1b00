/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sqli.h - SQL injection detection in one user-controlled value (an
 * HTTP parameter value, a body value, a URI path segment).
 *
 * A regex list either misses obfuscated payloads or fires on English. This
 * detector instead asks what the value would *do* inside a query. The value
 * is read as SQL in each place an attacker could be: as-is (a numeric slot,
 * "... WHERE id = VALUE"), and right after the quote that opens a
 * single-quoted or (MySQL) double-quoted string slot, so that a quote in the
 * value is seen as the string break it is. Each reading is lexed with the
 * MySQL and the PostgreSQL lexer (dpi_sql.h; PostgreSQL's rules also stand
 * in for MSSQL, Oracle and SQLite: no backslash escapes, "--" without a
 * space), and what follows the break is parsed with a small, lenient SQL
 * grammar: boolean clauses, UNION SELECT, stacked statements, trailing
 * clauses, comments that cut the query off. A reading only counts when the
 * injected fragment is valid SQL up to the end of the value (or a comment)
 * *and* it carries evidence that it changes the query: a tautology or a
 * comparison of literals, a UNION with a real select list, a statement verb
 * after ';', a call of a function used for timing, error or out-of-band
 * channels, a subquery. Text like "select a union representative" or
 * "O'Brien" is not valid SQL at the point where it would have to be, and JSON
 * never survives the first token.
 *
 * Before that, a second copy of the value is normalised against evasions:
 * further rounds of percent-decoding (%XX and %uXXXX, '+' as space, "%00"
 * ends the value as a NUL would for a C API), a lone 0xA0 byte as space
 * (MySQL with latin1), and block comments glued between word characters
 * removed ("UN/ ** /ION", for applications that strip comments). MySQL
 * executable comments, plain block comments, case, hex and scientific
 * literals, backticks and CHAR() are the lexer's and the grammar's business.
 *
 * Bounded work: at most DPI_SQLI_MAX_INPUT bytes of the value are looked at,
 * at most DPI_SQLI_MAX_TOKENS tokens per reading, nesting at most
 * DPI_SQLI_MAX_DEPTH, and at most fifteen readings (three copies of the value x
 * five context and dialect pairs). Nothing allocates; a call
 * uses about 20 KB of stack. No global state: thread-safe.
 */
#ifndef DPI_SQLI_H
#define DPI_SQLI_H

#include <stddef.h>
#include <stdint.h>

#define DPI_SQLI_MAX_INPUT 4096u /* bytes of the value considered */
#define DPI_SQLI_MAX_TOKENS 256u /* tokens per reading; past it the reading ends */
#define DPI_SQLI_MAX_DEPTH 32u   /* nested parentheses, subqueries, calls */
#define DPI_SQLI_THRESHOLD 50u   /* score from which a value is an injection */

/* ctx_flags: what the caller knows about the value. 0 is the usual choice
 * for an HTTP parameter value that was percent-decoded once. */
#define DPI_SQLI_CTX_NO_NUMERIC 0x01 /* don't read the value as-is (numeric slot) */
#define DPI_SQLI_CTX_NO_SQUOTE 0x02  /* don't read it inside '...' */
#define DPI_SQLI_CTX_NO_DQUOTE 0x04  /* don't read it inside "..." (MySQL) */
#define DPI_SQLI_CTX_NO_MYSQL 0x08   /* skip the MySQL lexer */
#define DPI_SQLI_CTX_NO_PGSQL 0x10   /* skip the PostgreSQL (and MSSQL/Oracle) lexer */
#define DPI_SQLI_CTX_NO_DECODE 0x20  /* no normalised second copy at all */
#define DPI_SQLI_CTX_PLUS 0x40       /* the value was not '+'-decoded (a path segment,
				      * a raw query): '+' may stand for a space */

enum dpi_sqli_family {
	DPI_SQLI_NONE = 0,
	DPI_SQLI_TAUTOLOGY,     /* OR 1=1, OR 'a'='a' */
	DPI_SQLI_BOOLEAN_BLIND, /* AND 1=2, AND ascii(substring(...))>64 */
	DPI_SQLI_UNION,         /* UNION [ALL] SELECT ... */
	DPI_SQLI_STACKED,       /* ; DROP TABLE ..., MSSQL statement juxtaposition */
	DPI_SQLI_COMMENT,       /* admin'-- : the rest of the query cut off */
	DPI_SQLI_TIME,          /* sleep, benchmark, pg_sleep, waitfor, dbms_pipe */
	DPI_SQLI_ERROR,         /* extractvalue, updatexml, gtid_subset, xmltype */
	DPI_SQLI_OOB,           /* load_file, into outfile, xp_dirtree, utl_http, copy program */
	DPI_SQLI_SUBQUERY,      /* a subquery where a value belongs */
	DPI_SQLI_CLAUSE,        /* ORDER BY n, GROUP BY, HAVING, LIMIT, PROCEDURE appended */
	DPI_SQLI_FAMILY__MAX
};

/* Where the injected fragment sits. */
enum dpi_sqli_context {
	DPI_SQLI_IN_NUMERIC = 0, /* value read as-is */
	DPI_SQLI_IN_SQUOTE,      /* value breaks out of '...' */
	DPI_SQLI_IN_DQUOTE,      /* value breaks out of "..." */
};

/* How the matching reading was derived from the value. */
#define DPI_SQLI_R_DECODED 0x01   /* further percent-decoding */
#define DPI_SQLI_R_GLUED 0x02     /* comments between word characters removed */
#define DPI_SQLI_R_SPACE 0x04     /* 0xA0 or '+' read as space */
#define DPI_SQLI_R_NUL 0x08       /* cut at a NUL byte or "%00" */
#define DPI_SQLI_R_TRUNCATED 0x10 /* the value is longer than DPI_SQLI_MAX_INPUT:
				   * set whenever that is so, match or not */

struct dpi_sqli_result {
	uint8_t family;     /* enum dpi_sqli_family; NONE when benign */
	uint8_t context;    /* enum dpi_sqli_context of the match */
	uint8_t dialect;    /* enum dpi_sql_dialect of the lexer that matched */
	uint8_t reading;    /* DPI_SQLI_R_* */
	uint32_t score;     /* 0..100; >= DPI_SQLI_THRESHOLD is an injection */
	uint32_t off, len;  /* the suspicious fragment, in bytes of the caller's value
			     * (for an alert excerpt); 0, 0 when benign */
	const char *reason; /* static string, e.g. "string-break+or-tautology";
			     * "" when benign */
};

/*
 * Decide whether the @len bytes at @value (not NUL-terminated; any bytes)
 * are a SQL injection, reading them as @ctx_flags (DPI_SQLI_CTX_*) allow.
 * Fills @ret with the best reading found (the highest score; family NONE
 * and score below the threshold when benign).
 *
 * Returns 1 (injection), 0 (benign) or -EINVAL (@ret NULL, or @value NULL
 * with @len > 0; @ret untouched). Never reads outside [@value, @value +
 * @len), keeps no pointer to it. Thread-safe.
 */
int dpi_sqli_check(const uint8_t *value, size_t len, unsigned ctx_flags,
		   struct dpi_sqli_result *ret);

/* Short name of @family ("union-select", ...; "none" out of range). Static. */
const char *dpi_sqli_family_name(unsigned family);

/* 0 when the built-in keyword table is sorted as the lookup requires, else
 * the index of the first entry out of order. For the unit test. */
int dpi_sqli_selftest(void);

#endif
