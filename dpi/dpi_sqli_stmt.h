/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sqli_stmt.h - SQL injection detection in one whole SQL statement text
 * as an application sends it to the database (a MySQL COM_QUERY, a
 * PostgreSQL Query or Parse message).
 *
 * dpi_sqli.h judges one HTTP value on its own; this is its counterpart on
 * the database side of the application. When the application concatenates
 * a value into its SQL, the injected fragment arrives inside an otherwise
 * ordinary statement, and what gives it away is the *shape* the statement
 * then has, read from the SQL lexer's tokens (dpi_sql.h), never a regex
 * list. Evidence is what generated and hand-written application SQL
 * practically never contains:
 *
 *   - OR (MySQL also || and XOR) followed by a comparison of constants
 *     that is true or can't be evaluated: OR 1=1, OR 'a'='a', OR 2>1, OR
 *     'x' LIKE 'x', OR TRUE. A false one (OR 1=0, Rails' empty-list form)
 *     and NULL IS NULL (the optional-filter idiom) are benign. AND, WHERE,
 *     HAVING, CASE WHEN with constants are suspicious unless it is the
 *     1=1 / 1=0 / TRUE / FALSE that query builders emit (and no comment
 *     follows it).
 *   - a comparison of a value extracted from system information
 *     (ASCII(SUBSTRING(version(),1,1)) > 52, LENGTH(database()) = 8); a
 *     subquery in a condition selecting system information or a
 *     credential column; a catalogue read in the condition of a query
 *     that reads none.
 *   - UNION SELECT after a FROM or WHERE whose branch reads a system
 *     catalogue (information_schema, pg_catalog, mysql.user, pg_shadow,
 *     sqlite_master ...), selects version(), user(), @@version ..., only
 *     constants (NULL padding, 1,2,3) or credential columns. Queries that
 *     read catalogues or system information themselves (psql, drivers,
 *     ORMs' introspection) are left alone.
 *   - a line comment that ends the statement with an unbalanced quote, a
 *     continuation of the condition it cut off (admin'-- ' AND pass = 'x')
 *     or nothing at all ("-- -"); an unterminated block comment.
 *   - a stacked statement after a SELECT (or WITH) with a WHERE clause
 *     that is DDL, DML or privileged (DROP, ALTER, GRANT, COPY, EXEC, ...)
 *     or reads system information, or after an UPDATE/DELETE with a WHERE
 *     clause that is DDL or privileged. Migration scripts stack DDL too,
 *     but never after a WHERE.
 *   - calls of timing functions (SLEEP, BENCHMARK, PG_SLEEP, WAITFOR DELAY,
 *     DBMS_LOCK.SLEEP ...), error channels (EXTRACTVALUE / UPDATEXML with
 *     concat(0x7e, ...), GTID_SUBSET, CAST(version() AS int)) and file,
 *     network or command channels (LOAD_FILE, INTO OUTFILE, xp_cmdshell,
 *     dblink ...) inside a data statement that reads or writes a table. A
 *     statement that only calls one (SELECT pg_sleep(0.1), SELECT SLEEP(1),
 *     used by health checks and tests) is benign: an injected call always
 *     sits inside the application's query.
 *   - string construction in a comparison (= CHAR(97,100,109), = 0x61646d69),
 *     a MySQL executable comment after WHERE, PROCEDURE ANALYSE.
 *
 * Bounded work: at most DPI_SQLI_STMT_MAX_TOKENS tokens of the text are
 * read, and lookahead (at most a few hundred tokens from one place) comes
 * out of a budget of DPI_SQLI_STMT_BUDGET lexer steps for the whole call;
 * past either, the rest is not analysed and DPI_SQLI_STMT_F_TRUNCATED says
 * so. Expression nesting in the lookahead is capped (12 levels). Nothing
 * allocates; a call uses less than 16 KB of stack. No global state.
 */
#ifndef DPI_SQLI_STMT_H
#define DPI_SQLI_STMT_H

#include <stddef.h>
#include <stdint.h>

#include "dpi_sql.h"
#include "dpi_sqli.h"

#define DPI_SQLI_STMT_MAX_TOKENS 16384u                    /* tokens read from the text */
#define DPI_SQLI_STMT_BUDGET (4u * DPI_SQLI_STMT_MAX_TOKENS) /* lexer steps incl. lookahead */
#define DPI_SQLI_STMT_THRESHOLD 50u /* score from which a statement is injection-shaped */

/* Result flags. */
#define DPI_SQLI_STMT_F_TRUNCATED 0x01 /* a cap was reached: the rest was not analysed */

struct dpi_sqli_stmt_result {
	uint8_t family;     /* enum dpi_sqli_family; DPI_SQLI_NONE when benign */
	uint8_t flags;      /* DPI_SQLI_STMT_F_*, set whether or not a match was found */
	uint16_t pad;
	uint32_t score;     /* 0..100; >= DPI_SQLI_STMT_THRESHOLD is injection-shaped */
	uint32_t off, len;  /* the suspicious fragment, in bytes of the statement text
			     * (for an alert excerpt); 0, 0 when benign */
	const char *reason; /* static string, e.g. "or-tautology"; "" when benign */
};

/*
 * Decide whether the @len bytes at @sql (not NUL-terminated; any bytes), a
 * query text in @d's dialect, carry an injected fragment. Fills @ret with the
 * strongest evidence found (family NONE, score below the threshold and
 * reason "" when benign).
 *
 * Returns 1 (injection-shaped), 0 (not) or -EINVAL (@ret NULL, @sql NULL with
 * @len > 0, @d unknown, or @len > UINT32_MAX; @ret untouched). Never reads
 * outside [@sql, @sql + @len), keeps no pointer to it, allocates nothing.
 * Thread-safe.
 */
int dpi_sqli_stmt_check(enum dpi_sql_dialect d, const uint8_t *sql, size_t len,
			struct dpi_sqli_stmt_result *ret);

/* 0 when the built-in keyword table is sorted as the lookup requires, else
 * the index of the first entry out of order. For the unit test. */
int dpi_sqli_stmt_selftest(void);

#endif
