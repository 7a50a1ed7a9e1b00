/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_sql.c - the SQL lexer and statement analyser (dpi/dpi_sql*.c).
 *
 * Every input is copied to end at a guard page, so reading one byte past
 * the text faults. Statement expectations are written as
 * "VERB:table,table; VERB:..." (the analyser's normalised names).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bh_test.h"
#include "dpi_sql.h"

#define MY DPI_SQL_MYSQL
#define PG DPI_SQL_PGSQL
#define BOTH 2

static struct dpi_sql_result res;

/* ------------------------------------------------------------- helpers */

static int analyze(enum dpi_sql_dialect d, const char *sql, size_t len, uint8_t **ret_copy)
{
	uint8_t *copy = guard_dup(sql, len);

	*ret_copy = copy;
	return dpi_sql_analyze(d, copy, len, &res);
}

/* Every name and statement slice lies in the input or the scratch. */
static int slices_ok(const uint8_t *in, size_t len)
{
	for (uint32_t i = 0; i < res.nstmts; i++) {
		const struct dpi_sql_stmt *st = &res.stmts[i];

		if ((size_t)st->off + st->len > len || st->first_table + st->ntables > res.ntables)
			return 0;
		if (st->verb == DPI_SQL_VERB_NONE || st->verb >= DPI_SQL_VERB__MAX)
			return 0;
	}
	for (uint32_t i = 0; i < res.ntables; i++) {
		const struct dpi_sql_table *t = &res.tables[i];
		const uint8_t *p = t->name.p;
		int in_input = p >= in && p + t->name.len <= in + len;
		int in_scratch = p >= res.scratch && p + t->name.len <= res.scratch + res.scratch_used;

		if (t->name.len == 0 || !(in_input || in_scratch) || t->schema_len >= t->name.len)
			return 0;
	}
	return 1;
}

static void describe(char *out, size_t cap)
{
	size_t n = 0;

	out[0] = 0;
	for (uint32_t i = 0; i < res.nstmts && n < cap; i++) {
		const struct dpi_sql_stmt *st = &res.stmts[i];

		n += (size_t)snprintf(out + n, cap - n, "%s%s:", i ? "; " : "",
				      dpi_sql_verb_name(st->verb));
		for (unsigned j = 0; j < st->ntables && n < cap; j++) {
			const struct dpi_sql_table *t = dpi_sql_stmt_table(&res, st, j);

			n += (size_t)snprintf(out + n, cap - n, "%s%.*s", j ? "," : "",
					      (int)t->name.len, (const char *)t->name.p);
		}
	}
}

static int sql_cases;

/* Analyse @sql in @d (or BOTH) and compare with @expect; with @flags, also
 * require those query flags and, with @noflags, their absence. */
static void check_sql_full(const char *file, int line, int d, const char *sql,
			   const char *expect, uint32_t flags, uint32_t noflags)
{
	for (int dd = 0; dd < 2; dd++) {
		char got[4096];
		uint8_t *copy;
		size_t len = strlen(sql);
		int rc;

		if (d != BOTH && d != dd)
			continue;
		sql_cases++;
		rc = analyze((enum dpi_sql_dialect)dd, sql, len, &copy);
		describe(got, sizeof(got));
		bh_test_checks++;
		if (rc != 0 || strcmp(got, expect) != 0 || (res.flags & flags) != flags ||
		    (res.flags & noflags) || !slices_ok(copy, len)) {
			bh_test_failures++;
			fprintf(stderr, "%s:%d: [%s] %s\n  got      %s (rc %d, flags %#x)\n  expected %s (flags %#x, not %#x)\n",
				file, line, dd == PG ? "pgsql" : "mysql", sql, got, rc, res.flags,
				expect, flags, noflags);
		}
		guard_free(copy, len);
	}
}

#define SQL(d, sql, expect) check_sql_full(__FILE__, __LINE__, d, sql, expect, 0, 0)
#define SQLF(d, sql, expect, flags) check_sql_full(__FILE__, __LINE__, d, sql, expect, flags, 0)
#define SQLNF(d, sql, expect, noflags) \
	check_sql_full(__FILE__, __LINE__, d, sql, expect, 0, noflags)

/* Token types as letters: Word Quoted-ident String Number Param Variable
 * Op pUnct Comment Error. */
static void lex_shape(enum dpi_sql_dialect d, const char *sql, char *out, size_t cap)
{
	static const char code[] = "-WQSNPVOUCE";
	struct dpi_sql_lexer lx;
	struct dpi_sql_token t;
	size_t len = strlen(sql), n = 0;
	uint8_t *copy = guard_dup(sql, len);

	if (dpi_sql_lexer_init(&lx, d, copy, len) < 0)
		abort();
	while (n + 1 < cap && dpi_sql_next(&lx, &t) == 1) {
		/* every token lies inside the input */
		if (t.text.p < copy || t.text.p + t.text.len > copy + len || t.body.p < t.text.p ||
		    t.body.p + t.body.len > t.text.p + t.text.len)
			out[n++] = '!';
		else
			out[n++] = code[t.type];
	}
	out[n] = 0;
	CHECK_EQ(t.type, DPI_SQL_TOK_EOF);
	CHECK_EQ(dpi_sql_next(&lx, &t), 0); /* stays at the end */
	guard_free(copy, len);
}

static void check_lex(const char *file, int line, enum dpi_sql_dialect d, const char *sql,
		      const char *expect)
{
	char got[512];

	lex_shape(d, sql, got, sizeof(got));
	bh_test_checks++;
	if (strcmp(got, expect) != 0) {
		bh_test_failures++;
		fprintf(stderr, "%s:%d: [%s] lex %s\n  got      %s\n  expected %s\n", file, line,
			d == PG ? "pgsql" : "mysql", sql, got, expect);
	}
}

#define LEX(d, sql, expect) check_lex(__FILE__, __LINE__, d, sql, expect)

/* The @i-th token of @sql (0-based, comments included). */
static struct dpi_sql_token nth_token(enum dpi_sql_dialect d, const char *sql, unsigned i,
				      uint8_t **ret_copy)
{
	struct dpi_sql_lexer lx;
	struct dpi_sql_token t = {0};
	size_t len = strlen(sql);

	*ret_copy = guard_dup(sql, len);
	if (dpi_sql_lexer_init(&lx, d, *ret_copy, len) < 0)
		abort();
	for (unsigned k = 0; k <= i; k++)
		if (dpi_sql_next(&lx, &t) == 0)
			break;
	return t;
}

static int tok_is(enum dpi_sql_dialect d, const char *sql, unsigned i, int type,
		  const char *text, const char *body, unsigned flags)
{
	uint8_t *copy;
	struct dpi_sql_token t = nth_token(d, sql, i, &copy);
	int ok = t.type == type && t.text.len == strlen(text) &&
		 memcmp(t.text.p, text, t.text.len) == 0 && (t.flags & flags) == flags;

	if (ok && body)
		ok = t.body.len == strlen(body) && memcmp(t.body.p, body, t.body.len) == 0;
	if (!ok)
		fprintf(stderr, "  token %u of %s: type %d text <%.*s> body <%.*s> flags %#x\n", i,
			sql, t.type, (int)t.text.len, t.text.p, (int)t.body.len, t.body.p, t.flags);
	guard_free(copy, strlen(sql));
	return ok;
}

/* --------------------------------------------------------------- lexer */

static void test_lex_basic(void)
{
	LEX(MY, "", "");
	LEX(MY, "   \t\n", "");
	LEX(MY, "SELECT a, b FROM t;", "WWUWWWU");
	LEX(MY, "select `a``b` from \"x\" where y = 'z'", "WQWSWWOS");
	LEX(PG, "select \"a\"\"b\" from 'x' where y = E'z'", "WQWSWWOS");
	LEX(MY, "1 1.5 .5 1e10 1.5e-3 0x1F 0b101 1abc 0x1g", "NNNNNNNWW");
	LEX(PG, "1 1.5 .5 1e10 1.5e-3 0x1F 0b101 0o17 1abc", "NNNNNNNNNW");
	LEX(MY, "? ?", "PP");
	LEX(PG, "$1 $23", "PP");
	LEX(MY, "@a @'b c' @`d` @@global.x", "VVVVUW");
	LEX(MY, "a<=>b a->>'$.x' a:=1 a!=b", "WOWWOSWONWOW");
	LEX(PG, "a::int a->>'x' a @> b a<>b", "WOWWOSWOWWOW");
	/* PostgreSQL a=-1 is "=" then "-" (no trailing +/- without ~!@#...). */
	LEX(PG, "a=-1", "WOON");
	LEX(PG, "a@-1", "WON");
	LEX(MY, "t.1col db.`t`", "WUWWUQ");
	CHECK(tok_is(MY, "db.1t", 2, DPI_SQL_TOK_WORD, "1t", NULL, 0));
	CHECK(tok_is(MY, "db. 1", 2, DPI_SQL_TOK_NUMBER, "1", NULL, 0));
	CHECK(tok_is(MY, "SELECT 1union", 1, DPI_SQL_TOK_WORD, "1union", NULL, 0));
	CHECK(tok_is(PG, "SELECT 1union", 1, DPI_SQL_TOK_NUMBER, "1", NULL, 0));
	CHECK(dpi_sql_word_is(&(struct dpi_sql_token){.type = DPI_SQL_TOK_WORD,
						    .text = {(const uint8_t *)"UnIoN", 5}},
			      "union"));
	CHECK(!dpi_sql_word_is(&(struct dpi_sql_token){.type = DPI_SQL_TOK_QIDENT,
						     .text = {(const uint8_t *)"union", 5}},
			       "union"));
}

static void test_lex_strings(void)
{
	/* MySQL: backslash escapes and doubled quotes, in '' and "". */
	CHECK(tok_is(MY, "'a\\'b''c' x", 0, DPI_SQL_TOK_STRING, "'a\\'b''c'", "a\\'b''c",
		     DPI_SQL_TF_ESCAPES));
	CHECK(tok_is(MY, "\"a\\\"b\" x", 0, DPI_SQL_TOK_STRING, "\"a\\\"b\"", "a\\\"b", 0));
	CHECK(tok_is(MY, "'a\\\\' x", 0, DPI_SQL_TOK_STRING, "'a\\\\'", "a\\\\", 0));
	/* PostgreSQL: no backslash escapes in '' (standard_conforming_strings) */
	CHECK(tok_is(PG, "'a\\' x", 0, DPI_SQL_TOK_STRING, "'a\\'", "a\\",
		     DPI_SQL_TF_AMBIGUOUS));
	CHECK(tok_is(PG, "'a\\\\' x", 0, DPI_SQL_TOK_STRING, "'a\\\\'", NULL, 0));
	CHECK(tok_is(PG, "E'a\\'b' x", 0, DPI_SQL_TOK_STRING, "E'a\\'b'", "a\\'b",
		     DPI_SQL_TF_PREFIX | DPI_SQL_TF_ESCAPES));
	CHECK(tok_is(PG, "e'\\\\' x", 0, DPI_SQL_TOK_STRING, "e'\\\\'", "\\\\", 0));
	CHECK(tok_is(PG, "B'0101' X'1F' U&'d\\0061t' N'n'", 2, DPI_SQL_TOK_STRING,
		     "U&'d\\0061t'", "d\\0061t", DPI_SQL_TF_PREFIX));
	CHECK(tok_is(PG, "U&\"d\\0061t\"", 0, DPI_SQL_TOK_QIDENT, "U&\"d\\0061t\"", NULL, 0));
	CHECK(tok_is(MY, "x'4142' b'01' N'\\'x'", 2, DPI_SQL_TOK_STRING, "N'\\'x'", "\\'x", 0));
	/* MySQL: E'..' is a word and a string. */
	LEX(MY, "E'x'", "WS");
	/* Dollar quoting: tags, $ inside, nested other tags. */
	CHECK(tok_is(PG, "$$a;b$$ x", 0, DPI_SQL_TOK_STRING, "$$a;b$$", "a;b", DPI_SQL_TF_DOLLAR));
	CHECK(tok_is(PG, "$fn$ $$ ' $x$ $fn$ x", 0, DPI_SQL_TOK_STRING, "$fn$ $$ ' $x$ $fn$",
		     " $$ ' $x$ ", DPI_SQL_TF_DOLLAR));
	CHECK(tok_is(PG, "$a$ $A$ $a$", 0, DPI_SQL_TOK_STRING, "$a$ $A$ $a$", NULL, 0));
	LEX(PG, "a$b$ $", "WO");
	LEX(PG, "$1a", "PW");
	LEX(PG, "$_x$$_x$", "S");
	/* Quoted identifiers. */
	CHECK(tok_is(MY, "`a``b`", 0, DPI_SQL_TOK_QIDENT, "`a``b`", "a``b", DPI_SQL_TF_ESCAPES));
	CHECK(tok_is(PG, "\"A\"\"B\"", 0, DPI_SQL_TOK_QIDENT, "\"A\"\"B\"", "A\"\"B",
		     DPI_SQL_TF_ESCAPES));
	LEX(PG, "`x`", "OWO");
	/* Ambiguity: MySQL \' (NO_BACKSLASH_ESCAPES would end the string) */
	CHECK(tok_is(MY, "'ab\\'' x", 0, DPI_SQL_TOK_STRING, "'ab\\''", NULL, DPI_SQL_TF_AMBIGUOUS));
	CHECK(tok_is(MY, "'ab\\\\' x", 0, DPI_SQL_TOK_STRING, "'ab\\\\'", NULL, 0));
	{
		uint8_t *c;
		struct dpi_sql_token t = nth_token(MY, "'a\\\\' x", 0, &c);

		CHECK(!(t.flags & DPI_SQL_TF_AMBIGUOUS));
		guard_free(c, 7);
	}
}

static void lex_mode(enum dpi_sql_dialect d, uint8_t mode, const char *sql, char *out, size_t cap)
{
	static const char code[] = "-WQSNPVOUCE";
	struct dpi_sql_lexer lx;
	struct dpi_sql_token t;
	size_t len = strlen(sql), n = 0;
	uint8_t *copy = guard_dup(sql, len);

	dpi_sql_lexer_init(&lx, d, copy, len);
	lx.mode = mode;
	while (n + 1 < cap && dpi_sql_next(&lx, &t) == 1)
		out[n++] = code[t.type];
	out[n] = 0;
	guard_free(copy, len);
}

static void test_lex_modes(void)
{
	char got[64];

	lex_mode(MY, DPI_SQL_MODE_NO_BACKSLASH_ESCAPES, "'a\\' b '", got, sizeof(got));
	CHECK(strcmp(got, "SWE") == 0);
	lex_mode(MY, DPI_SQL_MODE_NO_BACKSLASH_ESCAPES, "\"a\\\" b", got, sizeof(got));
	CHECK(strcmp(got, "SW") == 0);
	lex_mode(MY, DPI_SQL_MODE_ANSI_QUOTES, "\"a\"\"\\\" 'b\\''", got, sizeof(got));
	CHECK(strcmp(got, "QS") == 0);
	lex_mode(MY, DPI_SQL_MODE_SKIP_VERSIONED, "/*!50000 SELECT /* x */ 1 */ a", got,
		 sizeof(got));
	CHECK(strcmp(got, "CW") == 0);
	lex_mode(MY, DPI_SQL_MODE_SKIP_VERSIONED, "/*! SELECT 1 */ a", got, sizeof(got));
	CHECK(strcmp(got, "CWNCW") == 0); /* no version: always runs */
	lex_mode(MY, DPI_SQL_MODE_SKIP_VERSIONED, "/*M! SELECT /* x */ 1 */ a", got, sizeof(got));
	CHECK(strcmp(got, "CNOOW") == 0); /* MySQL: a plain comment */
	lex_mode(MY, DPI_SQL_MODE_SKIP_VERSIONED, "/*!50000 SELECT 1", got, sizeof(got));
	CHECK(strcmp(got, "E") == 0);
	lex_mode(PG, DPI_SQL_MODE_PG_ESCAPES, "'a\\'' b", got, sizeof(got));
	CHECK(strcmp(got, "SW") == 0);
	lex_mode(PG, 0, "'a\\'' b", got, sizeof(got));
	CHECK(strcmp(got, "E") == 0);
	CHECK(tok_is(MY, "/*!50000 x */", 0, DPI_SQL_TOK_COMMENT, "/*!50000", NULL,
		     DPI_SQL_TF_EXEC_OPEN | DPI_SQL_TF_VERSIONED));
	{
		uint8_t *c;
		struct dpi_sql_token t = nth_token(MY, "/*! x */", 0, &c);

		CHECK(!(t.flags & DPI_SQL_TF_VERSIONED));
		guard_free(c, 8);
	}
}

static void test_lex_comments(void)
{
	LEX(MY, "a -- c\nb", "WCW");
	LEX(MY, "a --c\nb", "WOOWW"); /* MySQL needs a space after -- */
	LEX(MY, "a --", "WC");
	LEX(MY, "a --\tc", "WC");
	LEX(PG, "a --c\nb", "WCW");
	LEX(MY, "a # c\nb", "WCW");
	LEX(PG, "a # b", "WOW");
	LEX(MY, "a /* x */ b", "WCW");
	LEX(MY, "SEL/**/ECT", "WCW");
	/* PostgreSQL nests block comments; MySQL doesn't. */
	LEX(PG, "a /* x /* y */ z */ b", "WCW");
	LEX(MY, "a /* x /* y */ z */ b", "WCWOOW");
	CHECK(tok_is(PG, "/* x /* y */ z */", 0, DPI_SQL_TOK_COMMENT, "/* x /* y */ z */",
		     " x /* y */ z ", DPI_SQL_TF_NESTED));
	/* MySQL executable comments: the content is SQL. */
	LEX(MY, "/*!50000 SELECT 1 */", "CWNC");
	LEX(MY, "/*! SELECT 1 */", "CWNC");
	LEX(MY, "/*M!100100 SELECT 1 */", "CWNC");
	LEX(MY, "/*!50000 SELECT /* c */ 1 */", "CWCNC");
	CHECK(tok_is(MY, "/*!500001 x */", 0, DPI_SQL_TOK_COMMENT, "/*!500001", "500001",
		     DPI_SQL_TF_EXEC_OPEN));
	CHECK(tok_is(MY, "/*!50000 x */", 2, DPI_SQL_TOK_COMMENT, "*/", NULL,
		     DPI_SQL_TF_EXEC_CLOSE));
	LEX(PG, "/*!50000 SELECT 1 */", "C");
	LEX(MY, "a */ b", "WOOW"); /* a close outside one is operators */
	LEX(MY, "/*+ BKA(t) */ x", "CW");
	LEX(PG, "a*/*c*/b", "WOCW");
	LEX(PG, "a+-- c\nb", "WOCW");
}

static void test_lex_unterminated(void)
{
	LEX(MY, "SELECT 'abc", "WE");
	LEX(MY, "SELECT \"abc", "WE");
	LEX(MY, "SELECT 'abc\\'", "WE");
	LEX(MY, "SELECT 'abc\\", "WE");
	LEX(PG, "SELECT 'abc''", "WE");
	LEX(PG, "SELECT E'abc\\'", "WE");
	LEX(MY, "SELECT `abc", "WE");
	LEX(PG, "SELECT \"abc", "WE");
	LEX(PG, "SELECT $$abc$", "WE");
	LEX(PG, "SELECT $t$abc$t", "WE");
	LEX(MY, "SELECT /* abc", "WE");
	LEX(PG, "SELECT /* a /* b */", "WE");
	LEX(MY, "SELECT @'abc", "WE");
	/* an executable comment open at the end: one empty error token */
	LEX(MY, "/*!50000 SELECT 1", "CWNE");
	LEX(MY, "/*!50000 SELECT 'x", "CWE");
	CHECK(tok_is(MY, "'ab", 0, DPI_SQL_TOK_ERROR, "'ab", NULL, DPI_SQL_TF_UNTERM_STRING));
	CHECK(tok_is(MY, "`ab", 0, DPI_SQL_TOK_ERROR, "`ab", NULL, DPI_SQL_TF_UNTERM_IDENT));
	CHECK(tok_is(MY, "/*ab", 0, DPI_SQL_TOK_ERROR, "/*ab", NULL, DPI_SQL_TF_UNTERM_COMMENT));
	{
		struct dpi_sql_lexer lx;

		CHECK_EQ(dpi_sql_lexer_init(&lx, MY, NULL, 1), -EINVAL);
		CHECK_EQ(dpi_sql_lexer_init(&lx, MY, NULL, 0), 0);
	}
}

/* Every byte of a few inputs, cut at every length: the lexer stays inside
 * and always ends. */
static void test_lex_all_prefixes(void)
{
	static const char *const inputs[] = {
		"SELECT `a``b`.\"c\\\"d\" FROM t WHERE x = 'e\\'f''g' /* h */ -- i\n#j\n",
		"/*!50000 SELECT */ /*M!1 x */ @'v' @@g.x 0x1f 1e+5 .5 ?<=>->>",
		"SELECT $t$ $$ $t$, E'\\'', U&'x', B'1', $1 /* a /* b */ */ --c\r\nx::int",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		size_t len = strlen(inputs[i]);

		for (size_t cut = 0; cut <= len; cut++) {
			for (int d = 0; d < 2; d++) {
				uint8_t *c = guard_dup(inputs[i], cut);
				struct dpi_sql_lexer lx;
				struct dpi_sql_token t;
				size_t n = 0, bytes = 0;
				int bad = 0;

				dpi_sql_lexer_init(&lx, (enum dpi_sql_dialect)d, c, cut);
				while (dpi_sql_next(&lx, &t) == 1 && n++ < cut + 2) {
					bytes += t.text.len;
					if (t.text.p < c || t.text.p + t.text.len > c + cut)
						bad = 1;
				}
				CHECK(!bad);
				CHECK(n <= cut + 1);
				CHECK(bytes <= cut);
				guard_free(c, cut);
			}
		}
	}
}

/* ------------------------------------------------------------ analyser */

static void test_verbs(void)
{
	SQL(BOTH, "SELECT 1", "SELECT:");
	SQL(BOTH, "select * from orders", "SELECT:orders");
	SQL(BOTH, "INSERT INTO orders VALUES (1)", "INSERT:orders");
	SQL(BOTH, "UPDATE orders SET a = 1", "UPDATE:orders");
	SQL(BOTH, "DELETE FROM orders WHERE id = 1", "DELETE:orders");
	SQL(MY, "REPLACE INTO orders (a) VALUES (1)", "REPLACE:orders");
	SQL(PG, "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a "
		"WHEN NOT MATCHED THEN INSERT (id) VALUES (s.id)",
	    "MERGE:t,s");
	SQL(BOTH, "CREATE TABLE t (id int)", "CREATE:t");
	SQL(BOTH, "DROP TABLE t", "DROP:t");
	SQL(BOTH, "ALTER TABLE t ADD COLUMN c int", "ALTER:t");
	SQL(BOTH, "TRUNCATE TABLE t", "TRUNCATE:t");
	SQL(PG, "TRUNCATE t", "TRUNCATE:t");
	SQL(BOTH, "GRANT SELECT ON t TO u", "GRANT:t");
	SQL(BOTH, "REVOKE ALL ON t FROM u", "REVOKE:t");
	SQL(BOTH, "GRANT admin TO u", "GRANT:");
	SQL(BOTH, "CALL proc(1, 'x')", "CALL:");
	SQL(BOTH, "EXECUTE stmt1", "EXECUTE:");
	SQL(MY, "EXECUTE s USING @a, @b", "EXECUTE:");
	SQL(BOTH, "EXEC x", "EXECUTE:");
	SQL(PG, "PREPARE q (int) AS SELECT * FROM t WHERE id = $1", "PREPARE:t");
	SQL(BOTH, "DEALLOCATE PREPARE s", "DEALLOCATE:");
	SQL(MY, "DROP PREPARE s", "DEALLOCATE:");
	SQL(MY, "SET NAMES utf8mb4", "SET:");
	SQL(PG, "SET search_path TO app, public", "SET:");
	SQL(MY, "SET @x = (SELECT max(id) FROM t)", "SET:t");
	SQL(PG, "SHOW server_version", "SHOW:");
	SQL(MY, "SHOW TABLES", "SHOW:");
	SQL(MY, "SHOW TABLES FROM db", "SHOW:");
	SQL(MY, "SHOW FULL COLUMNS FROM t", "SHOW:t");
	SQL(MY, "SHOW INDEX FROM t FROM db", "SHOW:db.t");
	SQL(MY, "SHOW CREATE TABLE `T`", "SHOW:T");
	SQL(MY, "USE shop", "USE:");
	SQL(BOTH, "BEGIN", "BEGIN:");
	SQL(MY, "BEGIN WORK", "BEGIN:");
	SQL(BOTH, "START TRANSACTION READ ONLY", "START:");
	SQL(BOTH, "COMMIT", "COMMIT:");
	SQL(PG, "END", "COMMIT:");
	SQL(MY, "END", "OTHER:");
	SQL(BOTH, "ROLLBACK", "ROLLBACK:");
	SQL(PG, "ABORT", "ROLLBACK:");
	SQL(BOTH, "ROLLBACK TO SAVEPOINT s1", "ROLLBACK:");
	SQL(BOTH, "SAVEPOINT s1", "SAVEPOINT:");
	SQL(BOTH, "RELEASE SAVEPOINT s1", "RELEASE:");
	SQL(BOTH, "EXPLAIN SELECT * FROM t", "EXPLAIN:t");
	SQL(PG, "EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1", "EXPLAIN:t");
	SQL(MY, "EXPLAIN FORMAT=JSON SELECT * FROM t", "EXPLAIN:t");
	SQL(MY, "EXPLAIN t", "EXPLAIN:t");
	SQL(MY, "DESCRIBE t", "DESCRIBE:t");
	SQL(MY, "DESC db.t", "DESCRIBE:db.t");
	SQL(MY, "DESCRIBE SELECT * FROM t", "DESCRIBE:t");
	SQL(MY, "EXPLAIN FOR CONNECTION 4", "EXPLAIN:");
	SQL(PG, "COPY t FROM STDIN", "COPY:t");
	SQL(PG, "COPY t (a, b) TO '/tmp/x' WITH (FORMAT csv)", "COPY:t");
	SQL(PG, "COPY (SELECT * FROM a JOIN b USING (id)) TO STDOUT", "COPY:a,b");
	SQL(MY, "LOCK TABLES t1 READ, t2 AS x WRITE", "LOCK:t1,t2");
	SQL(PG, "LOCK TABLE t1, ONLY t2 IN ACCESS EXCLUSIVE MODE NOWAIT", "LOCK:t1,t2");
	SQL(MY, "UNLOCK TABLES", "UNLOCK:");
	SQL(PG, "ANALYZE", "ANALYZE:");
	SQL(PG, "ANALYZE VERBOSE t (a, b), u", "ANALYZE:t,u");
	SQL(PG, "ANALYSE t", "ANALYZE:t");
	SQL(MY, "ANALYZE NO_WRITE_TO_BINLOG TABLE t1, t2", "ANALYZE:t1,t2");
	SQL(PG, "VACUUM (VERBOSE, ANALYZE) t", "VACUUM:t");
	SQL(PG, "VACUUM FULL FREEZE t1, t2", "VACUUM:t1,t2");
	SQL(PG, "VACUUM", "VACUUM:");
	SQL(MY, "LOAD DATA LOCAL INFILE '/tmp/f' REPLACE INTO TABLE t FIELDS TERMINATED BY ','",
	    "LOAD:t");
	SQL(PG, "LOAD 'auto_explain'", "LOAD:");
	SQL(MY, "HANDLER t OPEN AS h", "HANDLER:t");
	SQL(MY, "DO SLEEP(1)", "DO:");
	SQLF(PG, "DO $$BEGIN DELETE FROM t; END$$", "DO:", DPI_SQL_F_DYNAMIC);
	SQL(PG, "LISTEN ch", "LISTEN:");
	SQL(PG, "UNLISTEN *", "UNLISTEN:");
	SQL(PG, "NOTIFY ch, 'payload'", "NOTIFY:");
	SQL(PG, "DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t", "DECLARE:t");
	SQL(PG, "FETCH NEXT FROM c", "FETCH:");
	SQL(PG, "CLOSE c", "CLOSE:");
	SQL(BOTH, "VALUES (1, 2), (3, 4)", "SELECT:");
	SQL(BOTH, "TABLE orders", "SELECT:orders");
	SQL(PG, "CHECKPOINT", "OTHER:");
	SQLF(PG, "SELECT query_to_xml('select * from secret', true, true, '')", "SELECT:",
	     DPI_SQL_F_DYNAMIC);
	SQLF(PG, "SELECT pg_catalog.TABLE_TO_XML('secret', true, true, '') FROM t", "SELECT:t",
	     DPI_SQL_F_DYNAMIC);
	SQLF(PG, "SELECT * FROM dblink('db', 'select 1') AS x(a int)", "SELECT:", DPI_SQL_F_DYNAMIC);
	SQLNF(PG, "SELECT dblink_x(1), query_to_xml FROM t", "SELECT:t", DPI_SQL_F_DYNAMIC);
	SQL(MY, "FLUSH PRIVILEGES", "OTHER:");
	SQL(MY, "OPTIMIZE TABLE t1, t2", "OTHER:t1,t2");
	SQL(BOTH, "frobnicate the database", "OTHER:");
	SQL(BOTH, "42", "OTHER:");
	/* the word the verb was read from */
	{
		uint8_t *c;

		analyze(PG, "  /* x */ desc t", 16, &c);
		CHECK_EQ(res.stmts[0].verb, DPI_SQL_VERB_DESCRIBE);
		CHECK_EQ(res.stmts[0].word.len, 4);
		CHECK(memcmp(res.stmts[0].word.p, "desc", 4) == 0);
		CHECK_EQ(res.stmts[0].off, 2);
		CHECK_EQ(res.stmts[0].len, 14);
		guard_free(c, 16);
	}
	CHECK(strcmp(dpi_sql_verb_name(DPI_SQL_VERB_SELECT), "SELECT") == 0);
	CHECK(strcmp(dpi_sql_verb_name(DPI_SQL_VERB_CLOSE), "CLOSE") == 0);
	CHECK(strcmp(dpi_sql_verb_name(999), "NONE") == 0);
	for (unsigned v = 0; v < DPI_SQL_VERB__MAX; v++)
		CHECK(dpi_sql_verb_name(v)[0] != 0);
}

static void test_joins(void)
{
	SQL(BOTH, "SELECT * FROM a INNER JOIN b ON a.id = b.id", "SELECT:a,b");
	SQL(BOTH, "SELECT * FROM a LEFT JOIN b ON a.id = b.id RIGHT OUTER JOIN c USING (id)",
	    "SELECT:a,b,c");
	SQL(PG, "SELECT * FROM a FULL OUTER JOIN b ON true", "SELECT:a,b");
	SQL(BOTH, "SELECT * FROM a CROSS JOIN b NATURAL JOIN c NATURAL LEFT JOIN d",
	    "SELECT:a,b,c,d");
	SQL(MY, "SELECT * FROM a STRAIGHT_JOIN b ON a.x = b.x", "SELECT:a,b");
	SQL(MY, "SELECT STRAIGHT_JOIN * FROM a, b", "SELECT:a,b");
	SQL(BOTH, "SELECT * FROM a, b, c WHERE a.x = b.x", "SELECT:a,b,c");
	SQL(BOTH, "SELECT * FROM a x, b AS y, c \"z\"", "SELECT:a,b,c");
	SQL(BOTH, "SELECT * FROM a JOIN b ON a.id = b.id, c", "SELECT:a,b,c");
	SQL(BOTH, "SELECT * FROM a JOIN b ON (a.id = b.id AND b.x IN (1, 2)), c", "SELECT:a,b,c");
	SQL(BOTH, "SELECT * FROM a LEFT JOIN (b JOIN c ON b.x = c.x) ON a.y = b.y", "SELECT:a,b,c");
	SQL(MY, "SELECT * FROM (a, b) JOIN c", "SELECT:a,b,c");
	SQL(MY, "SELECT * FROM { OJ a LEFT OUTER JOIN b ON a.x = b.x }, c", "SELECT:a,b,c");
	SQL(BOTH, "SELECT * FROM a JOIN a ON true JOIN A ON true", "SELECT:a");
	SQL(MY, "SELECT * FROM a USE INDEX (i1) JOIN b FORCE KEY FOR JOIN (i2), c", "SELECT:a,b,c");
	SQL(MY, "SELECT * FROM a IGNORE INDEX FOR ORDER BY (i), b", "SELECT:a,b");
	SQL(MY, "SELECT * FROM a PARTITION (p0, p1) AS x, b", "SELECT:a,b");
	SQL(PG, "SELECT * FROM ONLY a, b * AS y", "SELECT:a,b");
	SQL(PG, "SELECT * FROM a TABLESAMPLE SYSTEM (10) REPEATABLE (1), b", "SELECT:a,b");
	SQL(MY, "SELECT 1 FROM DUAL", "SELECT:");
	SQL(PG, "SELECT 1 FROM dual", "SELECT:dual");
	/* aliases that look like keywords, keywords that end lists */
	SQL(BOTH, "SELECT * FROM a status, b WHERE x = 1 GROUP BY y, z ORDER BY y, z LIMIT 1",
	    "SELECT:a,b");
	SQL(MY, "SELECT * FROM a LIMIT 1, 2", "SELECT:a");
	SQL(BOTH, "SELECT * FROM a FOR UPDATE OF a, b", "SELECT:a");
	SQL(MY, "SELECT * FROM a LOCK IN SHARE MODE", "SELECT:a");
	SQL(MY, "SELECT * FROM a FOR SYSTEM_TIME ALL, b", "SELECT:a,b");
	SQL(PG, "SELECT * FROM a WINDOW w AS (PARTITION BY x, y)", "SELECT:a");
	/* a word the dialect doesn't reserve is an alias, and the list goes on */
	SQL(PG, "SELECT * FROM t value, secret", "SELECT:t,secret");
	SQL(PG, "SELECT * FROM t value (a, b), secret", "SELECT:t,secret");
	SQL(PG, "SELECT * FROM t set, secret", "SELECT:t,secret");
	SQL(PG, "SELECT * FROM t lock, secret", "SELECT:t,secret");
	SQL(MY, "SELECT * FROM t offset, secret", "SELECT:t,secret");
	SQL(MY, "SELECT * FROM t returning, secret", "SELECT:t,secret");
	SQL(BOTH, "SELECT * FROM t window, secret", "SELECT:t,secret");
	SQL(BOTH, "SELECT * FROM t minus, secret", "SELECT:t,secret");
	SQL(MY, "SELECT * FROM t value STRAIGHT_JOIN secret", "SELECT:t,secret");
	SQL(BOTH, "SELECT * FROM a JOIN b ON CASE WHEN a.x THEN 1 ELSE 0 END = 1, c", "SELECT:a,b,c");
	SQL(PG, "UPDATE t SET a = 1, b = 2 FROM u WHERE t.x = u.x", "UPDATE:t,u");
	SQL(PG, "SELECT * FROM t LIMIT 1 OFFSET 2", "SELECT:t");
}

static void test_subqueries(void)
{
	SQL(BOTH, "SELECT * FROM (SELECT * FROM t) AS x", "SELECT:t");
	SQL(BOTH, "SELECT * FROM (SELECT * FROM t) x (a, b), u", "SELECT:t,u");
	SQL(BOTH, "SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE v > (SELECT 1 FROM w))",
	    "SELECT:t,u,w");
	SQL(BOTH, "SELECT (SELECT max(x) FROM u) AS m, a FROM t", "SELECT:u,t");
	SQL(BOTH, "SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id)", "SELECT:t,u");
	SQL(BOTH, "SELECT a FROM t UNION SELECT a FROM u UNION ALL SELECT a FROM v", "SELECT:t,u,v");
	SQL(BOTH, "SELECT a FROM t INTERSECT SELECT a FROM u EXCEPT SELECT a FROM v",
	    "SELECT:t,u,v");
	SQL(BOTH, "(SELECT a FROM t) UNION (SELECT a FROM u) ORDER BY a", "SELECT:t,u");
	SQL(BOTH, "((SELECT a FROM t))", "SELECT:t");
	SQL(BOTH, "SELECT * FROM ((SELECT a FROM t) UNION (SELECT a FROM u)) x", "SELECT:t,u");
	SQL(BOTH, "SELECT * FROM ((SELECT a FROM t) x JOIN u ON true, v)", "SELECT:t,u,v");
	SQL(PG, "SELECT * FROM generate_series(1, 10) g", "SELECT:");
	SQL(PG, "SELECT * FROM unnest(ARRAY[1,2]) WITH ORDINALITY AS t(a, n), u", "SELECT:u");
	SQL(PG, "SELECT * FROM a, LATERAL (SELECT * FROM b WHERE b.x = a.x) s", "SELECT:a,b");
	SQL(PG, "SELECT * FROM a JOIN LATERAL f(a.x) ON true", "SELECT:a");
	SQL(PG, "SELECT * FROM ROWS FROM (f(1), g(2)) AS r, t", "SELECT:t");
	SQL(PG, "SELECT * FROM pg_catalog.generate_series(1, 3), t", "SELECT:t");
	SQL(MY, "SELECT * FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a INT PATH '$')) j, t",
	    "SELECT:t");
	SQL(BOTH, "SELECT * FROM f((SELECT x FROM t))", "SELECT:t");
	/* FROM that is not a table list */
	SQL(BOTH, "SELECT EXTRACT(YEAR FROM d), SUBSTRING(s FROM 2 FOR 3) FROM t", "SELECT:t");
	SQL(PG, "SELECT TRIM(LEADING 'x' FROM s) FROM t", "SELECT:t");
	SQL(PG, "SELECT * FROM t WHERE a IS DISTINCT FROM b AND c IS NOT DISTINCT FROM d",
	    "SELECT:t");
	SQL(PG, "SELECT TRIM(LEADING 'x' FROM (SELECT s FROM u)) FROM t", "SELECT:u,t");
}

static void test_cte(void)
{
	SQL(BOTH, "WITH a AS (SELECT * FROM t) SELECT * FROM a", "SELECT:t");
	SQL(BOTH, "WITH a AS (SELECT * FROM t), b AS (SELECT * FROM a JOIN u ON true) "
		  "SELECT * FROM b, v",
	    "SELECT:t,u,v");
	SQL(BOTH, "WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 9) "
		  "SELECT * FROM r",
	    "SELECT:");
	/* a non-recursive CTE doesn't see its own name: that one is the table */
	SQL(BOTH, "WITH t AS (SELECT * FROM t) SELECT * FROM t", "SELECT:t");
	/* a CTE name is only in scope where it was defined */
	SQL(BOTH, "SELECT * FROM (WITH s AS (SELECT 1) SELECT * FROM s) a, s", "SELECT:s");
	SQL(BOTH, "WITH s AS (SELECT 1) SELECT 1; SELECT * FROM s", "SELECT:; SELECT:s");
	/* schema-qualified names are never CTEs */
	SQL(PG, "WITH s AS (SELECT 1) SELECT * FROM public.s, s", "SELECT:public.s");
	/* the target of a DML statement is a table even if a CTE has its name */
	SQL(PG, "WITH s AS (SELECT 1) UPDATE s SET x = 1", "UPDATE:s");
	SQL(PG, "WITH s AS (SELECT * FROM t) INSERT INTO s SELECT * FROM s", "INSERT:t,s");
	SQL(PG, "WITH s AS (SELECT * FROM t) DELETE FROM s", "DELETE:t,s");
	/* data-modifying CTEs: the statement also deletes */
	SQL(PG, "WITH d AS (DELETE FROM old WHERE x RETURNING *) INSERT INTO arch SELECT * FROM d",
	    "INSERT:old,arch");
	SQL(PG, "WITH x AS MATERIALIZED (SELECT * FROM t), y AS NOT MATERIALIZED (TABLE u) "
		"SELECT * FROM x, y",
	    "SELECT:t,u");
	SQL(PG, "WITH RECURSIVE s (id) AS (SELECT id FROM t UNION SELECT id FROM s) "
		"SEARCH DEPTH FIRST BY id SET o CYCLE id SET c USING p SELECT * FROM s",
	    "SELECT:t");
	SQL(MY, "INSERT INTO t WITH c AS (SELECT * FROM u) SELECT * FROM c", "INSERT:t,u");
	SQL(PG, "WITH c AS (SELECT 1) (SELECT * FROM c, t)", "SELECT:t");
	SQL(MY, "WITH c AS (SELECT * FROM u) UPDATE t JOIN c ON t.id = c.id SET t.x = c.x",
	    "UPDATE:u,t");
	SQL(PG, "CREATE VIEW v AS WITH c AS (SELECT * FROM u) SELECT * FROM c", "CREATE:v,u");
	{
		uint8_t *c;
		const char *q = "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d";

		analyze(PG, q, strlen(q), &c);
		CHECK_EQ(res.stmts[0].verb, DPI_SQL_VERB_SELECT);
		CHECK(res.stmts[0].verbs & (1ull << DPI_SQL_VERB_DELETE));
		guard_free(c, strlen(q));
	}
}

static void test_dml(void)
{
	SQL(BOTH, "INSERT INTO t (a, b) SELECT x, y FROM u WHERE z", "INSERT:t,u");
	SQL(BOTH, "INSERT INTO t SELECT * FROM u", "INSERT:t,u");
	SQL(MY, "INSERT t VALUE (1)", "INSERT:t");
	SQL(MY, "INSERT LOW_PRIORITY IGNORE INTO t SET a = 1, b = 2", "INSERT:t");
	SQL(MY, "INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a), b = b + 1",
	    "INSERT:t");
	SQL(MY, "INSERT INTO t SELECT * FROM u ON DUPLICATE KEY UPDATE a = 1, b = 2", "INSERT:t,u");
	SQL(MY, "INSERT INTO t VALUES (1) AS new ON DUPLICATE KEY UPDATE a = new.a", "INSERT:t");
	SQL(MY, "INSERT INTO t TABLE u", "INSERT:t,u");
	SQL(MY, "INSERT INTO t PARTITION (p1) (a) VALUES (1)", "INSERT:t");
	SQL(PG, "INSERT INTO t AS x (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = x.b + 1, "
		"c = EXCLUDED.c WHERE x.d > 0 RETURNING *",
	    "INSERT:t");
	SQL(PG, "INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT k DO NOTHING", "INSERT:t");
	SQL(PG, "INSERT INTO t DEFAULT VALUES", "INSERT:t");
	SQL(PG, "INSERT INTO t OVERRIDING SYSTEM VALUE VALUES (1)", "INSERT:t");
	SQL(BOTH, "INSERT INTO t VALUES ((SELECT max(a) FROM u))", "INSERT:t,u");
	SQL(PG, "UPDATE t SET a = u.a FROM u, v WHERE t.id = u.id AND u.x = v.x", "UPDATE:t,u,v");
	SQL(PG, "UPDATE ONLY t AS x SET a = 1 RETURNING a", "UPDATE:t");
	SQL(MY, "UPDATE t1, t2 SET t1.a = t2.a, t2.b = 1 WHERE t1.id = t2.id", "UPDATE:t1,t2");
	SQL(MY, "UPDATE LOW_PRIORITY t1 JOIN t2 ON t1.id = t2.id SET t1.a = 1", "UPDATE:t1,t2");
	SQL(BOTH, "UPDATE t SET a = (SELECT b FROM u WHERE u.id = t.id)", "UPDATE:t,u");
	SQL(MY, "DELETE t1, t2 FROM t1 INNER JOIN t2 INNER JOIN t3 WHERE t1.id = t2.id",
	    "DELETE:t1,t2,t3");
	SQL(MY, "DELETE a FROM t1 AS a JOIN t2 AS b ON a.id = b.id", "DELETE:t1,t2");
	SQL(MY, "DELETE t1.*, t2.* FROM t1 JOIN t2", "DELETE:t1,t2");
	SQL(MY, "DELETE FROM a1, a2 USING t1 AS a1 INNER JOIN t2 AS a2", "DELETE:t1,t2");
	SQL(MY, "DELETE FROM x USING t AS y", "DELETE:t,x");
	SQL(MY, "DELETE LOW_PRIORITY QUICK IGNORE FROM t WHERE a ORDER BY b LIMIT 1", "DELETE:t");
	SQL(PG, "DELETE FROM t USING u WHERE t.id = u.id RETURNING t.*", "DELETE:u,t");
	SQL(PG, "DELETE FROM ONLY t * AS x WHERE x.a", "DELETE:t");
	SQL(PG, "DELETE FROM t WHERE id IN (SELECT id FROM u)", "DELETE:t,u");
	SQL(MY, "REPLACE INTO t SELECT * FROM u", "REPLACE:t,u");
	SQL(PG, "MERGE INTO t AS x USING (SELECT * FROM s) AS y ON x.id = y.id "
		"WHEN MATCHED THEN DELETE",
	    "MERGE:t,s");
	SQL(PG, "SELECT * INTO newtab FROM t", "SELECT:newtab,t");
	SQL(PG, "SELECT * INTO TEMPORARY TABLE newtab FROM t", "SELECT:newtab,t");
	SQL(MY, "SELECT a INTO @x FROM t", "SELECT:t");
	SQL(MY, "SELECT a FROM t INTO OUTFILE '/tmp/x'", "SELECT:t");
	SQL(MY, "SELECT a FROM t INTO @x, @y", "SELECT:t");
}

static void test_ddl(void)
{
	SQL(BOTH, "CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, "
		  "u int REFERENCES u (id) ON DELETE CASCADE)",
	    "CREATE:t,u");
	SQL(MY, "CREATE TEMPORARY TABLE t (a int, FOREIGN KEY (a) REFERENCES db.u (id))",
	    "CREATE:t,db.u");
	SQL(MY, "CREATE TABLE t2 LIKE t1", "CREATE:t2,t1");
	SQL(PG, "CREATE TABLE t2 (LIKE t1 INCLUDING ALL)", "CREATE:t2,t1");
	SQL(PG, "CREATE TABLE t2 (a int CHECK (a LIKE 'x%'), LIKE t1, b text)", "CREATE:t2,t1");
	SQL(PG, "ALTER TABLE t INHERIT p", "ALTER:t,p");
	SQL(PG, "CREATE TABLE t AS SELECT * FROM u", "CREATE:t,u");
	SQL(MY, "CREATE TABLE t SELECT * FROM u", "CREATE:t,u");
	SQL(PG, "CREATE TABLE t AS TABLE u", "CREATE:t,u");
	SQL(PG, "CREATE UNLOGGED TABLE t (a int) INHERITS (p1, p2)", "CREATE:t,p1,p2");
	SQL(PG, "CREATE TABLE m PARTITION OF p FOR VALUES IN (1)", "CREATE:m,p");
	SQL(BOTH, "CREATE OR REPLACE VIEW v AS SELECT * FROM t JOIN u USING (id)", "CREATE:v,t,u");
	SQL(MY, "CREATE ALGORITHM=MERGE DEFINER=`root`@`localhost` SQL SECURITY DEFINER "
		"VIEW v (a) AS SELECT a FROM t",
	    "CREATE:v,t");
	SQL(PG, "CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT * FROM t WITH NO DATA",
	    "CREATE:mv,t");
	SQL(BOTH, "CREATE UNIQUE INDEX i ON t (a, b)", "CREATE:t");
	SQL(PG, "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY t USING btree (a)", "CREATE:t");
	SQL(PG, "CREATE INDEX ON t (a)", "CREATE:t");
	SQL(MY, "CREATE INDEX i USING BTREE ON t (a)", "CREATE:t");
	SQL(MY, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW "
		"INSERT INTO audit SELECT * FROM u",
	    "CREATE:t,audit,u");
	SQL(PG, "CREATE TRIGGER trg AFTER INSERT OR UPDATE OF a ON t FOR EACH ROW "
		"EXECUTE FUNCTION f()",
	    "CREATE:t");
	SQL(PG, "CREATE RULE r AS ON SELECT TO t DO INSTEAD SELECT * FROM u", "CREATE:t,u");
	SQL(PG, "CREATE POLICY p ON t USING (owner = current_user)", "CREATE:t");
	SQLF(PG, "CREATE FUNCTION f() RETURNS int AS $$ SELECT count(*) FROM t $$ LANGUAGE sql",
	     "CREATE:", DPI_SQL_F_DYNAMIC);
	SQL(MY, "CREATE FUNCTION f() RETURNS INT DETERMINISTIC RETURN (SELECT count(*) FROM t)",
	    "CREATE:t");
	SQL(MY, "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t WHERE x", "CREATE:t");
	SQL(BOTH, "CREATE DATABASE shop", "CREATE:");
	SQL(PG, "CREATE SCHEMA app", "CREATE:");
	SQL(MY, "CREATE USER u IDENTIFIED BY 'p'", "CREATE:");
	SQL(PG, "CREATE SEQUENCE s START 1", "CREATE:");
	SQL(BOTH, "DROP TABLE IF EXISTS a, b CASCADE", "DROP:a,b");
	SQL(MY, "DROP TEMPORARY TABLE t", "DROP:t");
	SQL(BOTH, "DROP VIEW v", "DROP:v");
	SQL(PG, "DROP MATERIALIZED VIEW IF EXISTS mv", "DROP:mv");
	SQL(MY, "DROP INDEX i ON t", "DROP:t");
	SQL(PG, "DROP INDEX CONCURRENTLY i", "DROP:");
	SQL(PG, "DROP TRIGGER trg ON t", "DROP:t");
	SQL(BOTH, "DROP DATABASE shop", "DROP:");
	SQL(PG, "ALTER TABLE IF EXISTS ONLY t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u",
	    "ALTER:t,u");
	SQL(PG, "ALTER TABLE t RENAME TO t2", "ALTER:t,t2");
	SQL(PG, "ALTER TABLE t RENAME a TO b", "ALTER:t");
	SQL(PG, "ALTER TABLE t RENAME COLUMN a TO b", "ALTER:t");
	SQL(MY, "ALTER TABLE t RENAME t2", "ALTER:t,t2");
	SQL(MY, "ALTER TABLE t RENAME COLUMN a TO b, RENAME INDEX i TO j", "ALTER:t");
	SQL(MY, "ALTER TABLE t EXCHANGE PARTITION p WITH TABLE t2", "ALTER:t,t2");
	SQL(PG, "ALTER TABLE p ATTACH PARTITION m FOR VALUES IN (2)", "ALTER:p,m");
	SQL(MY, "ALTER TABLE t ADD COLUMN c int, DROP COLUMN d, MODIFY e int", "ALTER:t");
	SQL(PG, "ALTER USER u WITH PASSWORD 'x'", "ALTER:");
	SQL(PG, "ALTER SCHEMA s RENAME TO s2", "ALTER:");
	SQL(MY, "RENAME TABLE a TO b, c TO d", "RENAME:a,b,c,d");
	SQL(MY, "RENAME USER a TO b", "RENAME:");
	SQL(PG, "TRUNCATE ONLY a, b RESTART IDENTITY CASCADE", "TRUNCATE:a,b");
	SQL(PG, "TRUNCATE ONLY (secret)", "TRUNCATE:secret");
	SQL(MY, "GRANT SELECT, INSERT ON shop.* TO 'app'@'%'", "GRANT:shop.*");
	SQL(MY, "GRANT ALL PRIVILEGES ON *.* TO u WITH GRANT OPTION", "GRANT:*.*");
	SQL(MY, "GRANT SELECT (a, b), UPDATE (c) ON TABLE db.t TO u", "GRANT:db.t");
	SQL(MY, "GRANT EXECUTE ON PROCEDURE db.p TO u", "GRANT:");
	SQL(PG, "GRANT SELECT ON t1, public.t2 TO app", "GRANT:t1,public.t2");
	SQL(PG, "GRANT SELECT ON ALL TABLES IN SCHEMA s1, s2 TO app", "GRANT:s1.*,s2.*");
	SQL(PG, "GRANT USAGE ON SCHEMA s TO app", "GRANT:");
	SQL(PG, "REVOKE INSERT ON TABLE t FROM app", "REVOKE:t");
}

static void test_names(void)
{
	SQL(PG, "SELECT * FROM \"Schema\".\"Table\", public.orders, \"a\"\"b\"",
	    "SELECT:Schema.Table,public.orders,a\"b");
	SQL(MY, "SELECT * FROM `Db`.`T`, db.t, `a``b`, Orders", "SELECT:Db.T,db.t,a`b,orders");
	SQL(BOTH, "SELECT * FROM Public . Orders", "SELECT:public.orders");
	SQL(BOTH, "SELECT * FROM public/**/./**/orders", "SELECT:public.orders");
	SQL(PG, "SELECT * FROM cat.sch.tab", "SELECT:cat.sch.tab");
	SQL(MY, "SELECT * FROM .secret", "SELECT:secret");
	SQL(MY, "SELECT * FROM db.1t", "SELECT:db.1t");
	SQL(MY, "SELECT * FROM db.`t`", "SELECT:db.t");
	/* MySQL "x" in a table's place: ANSI_QUOTES makes it a name */
	SQL(MY, "SELECT * FROM \"secret\"", "SELECT:secret");
	SQL(MY, "SELECT * FROM \"a\\\"b\"", "SELECT:a\"b");
	SQL(PG, "SELECT * FROM \"\"", "SELECT:");
	/* PostgreSQL truncates identifiers to 63 bytes */
	SQL(PG, "SELECT * FROM aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffgggXYZ",
	    "SELECT:aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffggg");
	SQL(MY, "SELECT * FROM aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffgggXYZ",
	    "SELECT:aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffgggxyz");
	SQL(BOTH, "SELECT * FROM ☃, caf\xc3\xa9", "SELECT:☃,caf\xc3\xa9");
	{
		/* zero-copy where nothing changes; normalised copies otherwise */
		uint8_t *c;
		const char *q = "SELECT * FROM public.orders, Items, \"Q\", \"a\"\"b\"";

		analyze(PG, q, strlen(q), &c);
		CHECK_EQ(res.ntables, 4);
		CHECK(res.tables[0].name.p == c + 14);
		CHECK_EQ(res.tables[0].schema_len, 6);
		CHECK(res.tables[1].name.p >= res.scratch &&
		      res.tables[1].name.p < res.scratch + sizeof(res.scratch));
		CHECK(res.tables[2].name.p == c + 37);
		CHECK(res.tables[2].flags & DPI_SQL_TBL_QUOTED);
		CHECK(!(res.tables[1].flags & DPI_SQL_TBL_QUOTED));
		CHECK(res.tables[3].name.p >= res.scratch &&
		      res.tables[3].name.p < res.scratch + sizeof(res.scratch));
		CHECK_EQ(res.scratch_used, 8); /* "items" + "a\"b" */
		guard_free(c, strlen(q));
	}
}

static void test_lexical_traps(void)
{
	/* strings containing ; -- and FROM */
	SQLNF(BOTH, "SELECT 'a;b -- FROM x /* y' FROM t", "SELECT:t", DPI_SQL_F_STACKED);
	SQL(MY, "SELECT \"a;b FROM x\" FROM t", "SELECT:t");
	SQL(MY, "SELECT 'it\\'s; FROM x' FROM t", "SELECT:t");
	SQL(BOTH, "SELECT 'it''s; FROM x' FROM t", "SELECT:t");
	SQL(PG, "SELECT E'it\\'s; FROM x' FROM t", "SELECT:t");
	SQL(PG, "SELECT $$ ; FROM x $$, $q$ $$ ; FROM y $q$ FROM t", "SELECT:t");
	/* in PostgreSQL a backslash doesn't escape: the string ends early */
	SQLF(PG, "SELECT 'a\\'; DELETE FROM x; --'", "SELECT:; DELETE:x", DPI_SQL_F_AMBIGUOUS);
	SQLF(MY, "SELECT 'a\\'; DELETE FROM x; --'", "SELECT:", DPI_SQL_F_AMBIGUOUS);
	/* comments hiding keywords */
	SQLF(BOTH, "SEL/**/ECT * FROM t", "OTHER:", DPI_SQL_F_COMMENT);
	SQL(BOTH, "SELECT * FROM/* x */t", "SELECT:t");
	SQL(BOTH, "SELECT * FROM t -- , secret", "SELECT:t");
	SQL(MY, "SELECT * FROM t # , secret", "SELECT:t");
	SQL(PG, "SELECT * FROM t /* , /* nested */ , secret */", "SELECT:t");
	SQL(MY, "SELECT * FROM t /* , /* nested */ , secret */", "SELECT:t,secret");
	SQL(MY, "SELECT * FROM t --, secret", "SELECT:t,secret");
	/* executable comments run */
	SQLF(MY, "/*!50000 SELECT * FROM t */", "SELECT:t", DPI_SQL_F_EXEC_COMMENT);
	SQL(MY, "SELECT * FROM t /*!, secret */", "SELECT:t,secret");
	SQL(MY, "SELECT 1 /*!50000 ; DROP TABLE x */", "SELECT:; DROP:x");
	SQL(MY, "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;", "SET:");
	SQL(PG, "/*!50000 DROP TABLE x */ SELECT 1", "SELECT:");
	/* MySQL 1union is one identifier */
	SQL(MY, "SELECT * FROM t WHERE id = 1union SELECT * FROM secret", "SELECT:t,secret");
	SQL(MY, "SELECT * FROM t WHERE a = 0x1fUNION", "SELECT:t");
}

/* Text whose reading depends on a server setting is read under each: where
 * another reading runs more, the query is DIVERGENT (and INCOMPLETE). */
static void test_divergent(void)
{
	const uint32_t D = DPI_SQL_F_DIVERGENT;

	/* NO_BACKSLASH_ESCAPES ends the string at \' */
	SQLF(MY, "SELECT * FROM t WHERE a = 'x\\' UNION SELECT * FROM secret -- '", "SELECT:t",
	     D | DPI_SQL_F_AMBIGUOUS);
	SQLF(MY, "SELECT * FROM t WHERE a = 'x\\'; DROP TABLE secret; -- '", "SELECT:t", D);
	SQLF(MY, "SELECT * FROM t WHERE a = 'x\\'; DROP TABLE t; -- '", "SELECT:t", D);
	/* ANSI_QUOTES: "..." is an identifier, without escapes */
	SQLF(MY, "SELECT * FROM t WHERE a = \"x\\\" UNION SELECT * FROM secret -- \"", "SELECT:t",
	     D);
	/* a server older than the version reads a comment, which ends elsewhere */
	SQLF(MY, "SELECT a /*!99999 \"*/ FROM secret -- \" */", "SELECT:", D);
	SQLF(MY, "SELECT a /*M!100500 '*/ FROM secret -- ' */", "SELECT:", D);
	/* combined: an old server with NO_BACKSLASH_ESCAPES */
	SQLF(MY, "SELECT 1 /*!99999 'a\\' */ ; DROP TABLE x; -- ' */", "SELECT:", D);
	/* standard_conforming_strings off: \' escapes in PostgreSQL */
	SQLF(PG, "SELECT * FROM t WHERE a = 'x\\'' UNION SELECT * FROM secret --'", "SELECT:t", D);
	/* benign: escapes that change nothing that runs */
	SQLNF(MY, "SELECT * FROM t WHERE n = 'O\\'Brien'", "SELECT:t", D);
	SQLNF(MY, "INSERT INTO t VALUES ('it\\'s; ok', \"say \\\"hi\\\"; now\")", "INSERT:t", D);
	SQLNF(MY, "SELECT 'a\\' b; c'", "SELECT:", D);
	SQLNF(MY, "UPDATE t SET a = 'x\\'y', b = 'z' WHERE id = 1", "UPDATE:t", D);
	SQLNF(PG, "SELECT 'a\\' UNION SELECT * FROM u --'", "SELECT:u", D);
	SQLNF(MY, "/*!40101 SET NAMES utf8 */", "SET:", D);
	SQLNF(MY, "/*!40000 ALTER TABLE `t` DISABLE KEYS */", "ALTER:t", D);
	SQLNF(MY, "SELECT /*!40001 SQL_NO_CACHE */ * FROM t", "SELECT:t", D);
	SQLNF(MY, "/*!50001 CREATE VIEW v AS SELECT * FROM t */", "CREATE:v,t", D);
	/* the skipped reading runs less: fine */
	SQLNF(MY, "SELECT 1 /*!99999 FROM secret */", "SELECT:secret", D);
}

static void test_multi(void)
{
	SQLF(BOTH, "SELECT * FROM a; DELETE FROM b; DROP TABLE c",
	     "SELECT:a; DELETE:b; DROP:c", DPI_SQL_F_STACKED);
	SQLNF(BOTH, "SELECT 1;", "SELECT:", DPI_SQL_F_STACKED);
	SQLNF(BOTH, ";;SELECT 1;;; ;", "SELECT:", DPI_SQL_F_STACKED);
	SQL(BOTH, "", "");
	SQL(BOTH, " ; -- x\n", "");
	SQL(BOTH, "SELECT 1 FROM a); SELECT 2 FROM b", "SELECT:a; SELECT:b");
	SQL(BOTH, "SELECT (1; SELECT 2 FROM b", "SELECT:; SELECT:b");
	{
		uint8_t *c;
		const char *q = "SELECT 1 ; /* c */ UPDATE t SET a=1 -- x\n;";

		analyze(MY, q, strlen(q), &c);
		CHECK_EQ(res.nstmts, 2);
		CHECK_EQ(res.stmts[0].off, 0);
		CHECK_EQ(res.stmts[0].len, 8);
		CHECK_EQ(res.stmts[0].flags & DPI_SQL_F_COMMENT, 0);
		CHECK_EQ(res.stmts[1].off, 11);
		CHECK_EQ(res.stmts[1].len, strlen("/* c */ UPDATE t SET a=1 -- x"));
		CHECK(res.stmts[1].flags & DPI_SQL_F_COMMENT);
		CHECK(res.flags & DPI_SQL_F_STACKED);
		guard_free(c, strlen(q));
	}
}

static void test_unterminated(void)
{
	SQLF(BOTH, "SELECT * FROM t WHERE a = 'abc", "SELECT:t", DPI_SQL_F_UNTERMINATED);
	SQLF(MY, "SELECT * FROM t WHERE a = \"abc", "SELECT:t", DPI_SQL_F_UNTERMINATED);
	SQLF(BOTH, "SELECT * FROM t /* x", "SELECT:t", DPI_SQL_F_UNTERMINATED);
	SQLF(PG, "SELECT * FROM t /* x /* y */", "SELECT:t", DPI_SQL_F_UNTERMINATED);
	SQLF(PG, "SELECT $a$ x FROM t", "SELECT:", DPI_SQL_F_UNTERMINATED);
	SQLF(PG, "SELECT * FROM \"t", "SELECT:", DPI_SQL_F_UNTERMINATED);
	SQLF(MY, "SELECT * FROM `t", "SELECT:", DPI_SQL_F_UNTERMINATED);
	SQLF(MY, "/*!50000 SELECT * FROM t", "SELECT:t", DPI_SQL_F_UNTERMINATED);
	SQLF(BOTH, "SELECT 1; 'x", "SELECT:", DPI_SQL_F_UNTERMINATED);
	SQLNF(BOTH, "SELECT 'x' FROM t", "SELECT:t", DPI_SQL_F_INCOMPLETE);
}

static void test_real_queries(void)
{
	/* pgbench's built-in TPC-B-like script, -M extended/prepared */
	SQL(PG, "BEGIN", "BEGIN:");
	SQL(PG, "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
	    "UPDATE:pgbench_accounts");
	SQL(PG, "SELECT abalance FROM pgbench_accounts WHERE aid = $1", "SELECT:pgbench_accounts");
	SQL(PG, "UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2",
	    "UPDATE:pgbench_tellers");
	SQL(PG, "UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2",
	    "UPDATE:pgbench_branches");
	SQL(PG, "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
		"VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)",
	    "INSERT:pgbench_history");
	SQL(PG, "END", "COMMIT:");
	/* pgbench -M simple sends the same text with values; its init */
	SQL(PG, "BEGIN;UPDATE pgbench_accounts SET abalance = abalance + -4021 WHERE aid = 6;"
		"SELECT abalance FROM pgbench_accounts WHERE aid = 6;END;",
	    "BEGIN:; UPDATE:pgbench_accounts; SELECT:pgbench_accounts; COMMIT:");
	SQL(PG, "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, "
		"pgbench_tellers",
	    "DROP:pgbench_accounts,pgbench_branches,pgbench_history,pgbench_tellers");
	SQL(PG, "create table pgbench_history(tid int,bid int,aid int,delta int,"
		"mtime timestamp,filler char(22))",
	    "CREATE:pgbench_history");
	SQL(PG, "copy pgbench_accounts from stdin with (freeze on)", "COPY:pgbench_accounts");
	SQL(PG, "alter table pgbench_branches add primary key (bid)", "ALTER:pgbench_branches");
	SQL(PG, "vacuum analyze pgbench_branches", "VACUUM:pgbench_branches");
	/* psql's \d */
	SQL(PG, "SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c "
		"LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default "
		"AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 2, 3;",
	    "SELECT:pg_catalog.pg_class,pg_catalog.pg_namespace");
	/* Django (PostgreSQL) */
	SQL(PG, "SELECT \"orders_order\".\"id\", \"orders_order\".\"created\", "
		"\"customers_customer\".\"name\", \"T4\".\"sku\" FROM \"orders_order\" "
		"INNER JOIN \"customers_customer\" ON (\"orders_order\".\"customer_id\" = "
		"\"customers_customer\".\"id\") LEFT OUTER JOIN \"orders_item\" \"T4\" ON "
		"(\"orders_order\".\"id\" = \"T4\".\"order_id\") WHERE (\"orders_order\".\"status\" "
		"IN ($1, $2) AND \"orders_order\".\"created\" >= $3 AND NOT (\"orders_order\".\"id\" "
		"IN (SELECT U0.\"order_id\" FROM \"orders_refund\" U0 WHERE U0.\"state\" = $4))) "
		"ORDER BY \"orders_order\".\"created\" DESC LIMIT 21",
	    "SELECT:orders_order,customers_customer,orders_item,orders_refund");
	/* Hibernate (MySQL) */
	SQL(MY, "select order0_.id as id1_0_, order0_.customer_id as customer3_0_, "
		"customer1_.name as name2_1_ from orders order0_ inner join customers customer1_ "
		"on order0_.customer_id=customer1_.id left outer join order_items items2_ on "
		"order0_.id=items2_.order_id where order0_.status=? and (order0_.id in (select "
		"refund3_.order_id from refunds refund3_ where refund3_.state=?)) limit ?",
	    "SELECT:orders,customers,order_items,refunds");
	/* Rails (MySQL) */
	SQL(MY, "SELECT `users`.* FROM `users` INNER JOIN `memberships` ON "
		"`memberships`.`user_id` = `users`.`id` WHERE `memberships`.`group_id` = 1 LIMIT 11",
	    "SELECT:users,memberships");
	/* mysqldump */
	SQLNF(MY, "/*!40101 SET @saved_cs_client = @@character_set_client */;\n"
		"/*!50503 SET character_set_client = utf8mb4 */;\n"
		"CREATE TABLE `t` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `s` varchar(8) "
		"DEFAULT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
		"LOCK TABLES `t` WRITE;\n/*!40000 ALTER TABLE `t` DISABLE KEYS */;\n"
		"INSERT INTO `t` VALUES (1,'a\\'b;'),(2,'c');\n"
		"/*!40000 ALTER TABLE `t` ENABLE KEYS */;\nUNLOCK TABLES;",
	    "SET:; SET:; CREATE:t; LOCK:t; ALTER:t; INSERT:t; ALTER:t; UNLOCK:", DPI_SQL_F_DIVERGENT);
}

/* ----------------------------------------------------------------- caps */

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(hl + ul * n + tl + 1);

	if (!s)
		abort();
	memcpy(s, head, hl);
	for (size_t i = 0; i < n; i++)
		memcpy(s + hl + i * ul, unit, ul);
	memcpy(s + hl + ul * n, tail, tl + 1);
	return s;
}

static void test_caps(void)
{
	uint8_t *c;
	char *q, buf[64];
	size_t len;

	/* statements */
	q = repeat("", "SELECT 1;", DPI_SQL_MAX_STMTS + 5, "");
	CHECK_EQ(analyze(MY, q, strlen(q), &c), 0);
	CHECK_EQ(res.nstmts, DPI_SQL_MAX_STMTS);
	CHECK(res.flags & DPI_SQL_F_TOO_MANY_STMTS);
	CHECK(res.flags & DPI_SQL_F_INCOMPLETE);
	guard_free(c, strlen(q));
	free(q);
	q = repeat("", "SELECT 1;", DPI_SQL_MAX_STMTS, "");
	analyze(MY, q, strlen(q), &c);
	CHECK_EQ(res.nstmts, DPI_SQL_MAX_STMTS);
	CHECK(!(res.flags & DPI_SQL_F_TOO_MANY_STMTS));
	guard_free(c, strlen(q));
	free(q);

	/* tables per statement and per query */
	len = 0;
	q = malloc(100000);
	len += (size_t)snprintf(q + len, 100000 - len, "SELECT * FROM t0");
	for (int i = 1; i < 80; i++)
		len += (size_t)snprintf(q + len, 100000 - len, ", t%d", i);
	analyze(PG, q, len, &c);
	CHECK_EQ(res.stmts[0].ntables, DPI_SQL_MAX_STMT_TABLES);
	CHECK(res.flags & DPI_SQL_F_TOO_MANY_TABLES);
	guard_free(c, len);
	len = 0;
	for (int s = 0; s < 6; s++) {
		len += (size_t)snprintf(q + len, 100000 - len, "SELECT * FROM s%d_0", s);
		for (int i = 1; i < 50; i++)
			len += (size_t)snprintf(q + len, 100000 - len, ", s%d_%d", s, i);
		q[len++] = ';';
	}
	analyze(PG, q, len, &c);
	CHECK_EQ(res.ntables, DPI_SQL_MAX_TABLES);
	CHECK_EQ(res.nstmts, 6);
	CHECK(res.flags & DPI_SQL_F_TOO_MANY_TABLES);
	CHECK(!(res.stmts[0].flags & DPI_SQL_F_TOO_MANY_TABLES));
	CHECK(res.stmts[5].flags & DPI_SQL_F_TOO_MANY_TABLES);
	CHECK(slices_ok(c, len));
	guard_free(c, len);

	/* scratch: long names that need normalising */
	len = (size_t)snprintf(q, 100000, "SELECT * FROM ");
	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(q + len, 100000 - len, "%s\"%03d%0120d\"", i ? ", " : "", i, 0);
	analyze(MY, q, len, &c); /* MySQL "x": quoted, zero-copy */
	CHECK(!(res.flags & DPI_SQL_F_SCRATCH_FULL));
	guard_free(c, len);
	len = (size_t)snprintf(q, 100000, "SELECT * FROM ");
	for (int s = 0; s < 4; s++) {
		for (int i = 0; i < 60; i++)
			len += (size_t)snprintf(q + len, 100000 - len, "%sA%d_%03d%0100d",
						i ? ", " : "", s, i, 0);
		len += (size_t)snprintf(q + len, 100000 - len, "; SELECT * FROM ");
	}
	analyze(MY, q, len, &c);
	CHECK(res.flags & DPI_SQL_F_SCRATCH_FULL);
	CHECK(res.scratch_used <= DPI_SQL_SCRATCH);
	CHECK(slices_ok(c, len));
	guard_free(c, len);
	free(q);

	/* nesting */
	q = repeat("SELECT * FROM ", "(SELECT * FROM ", 20, "t");
	analyze(PG, q, strlen(q), &c);
	CHECK_EQ(res.stmts[0].ntables, 1);
	CHECK(!(res.flags & DPI_SQL_F_TOO_DEEP));
	guard_free(c, strlen(q));
	free(q);
	q = repeat("SELECT * FROM ", "(SELECT * FROM ", 100, "t");
	analyze(PG, q, strlen(q), &c);
	CHECK(res.flags & DPI_SQL_F_TOO_DEEP);
	guard_free(c, strlen(q));
	free(q);
	q = repeat("SELECT ", "(", 200000, "");
	analyze(MY, q, strlen(q), &c);
	CHECK(res.flags & DPI_SQL_F_TOO_DEEP);
	CHECK(res.flags & DPI_SQL_F_TOO_MANY_TOKENS);
	guard_free(c, strlen(q));
	free(q);
	q = repeat("", "EXPLAIN ", 1000, "SELECT * FROM t");
	analyze(MY, q, strlen(q), &c);
	CHECK(res.flags & DPI_SQL_F_TOO_DEEP);
	CHECK_EQ(res.stmts[0].verb, DPI_SQL_VERB_EXPLAIN);
	guard_free(c, strlen(q));
	free(q);
	q = repeat("", "WITH a AS (SELECT 1) ", 1000, "SELECT * FROM t");
	analyze(PG, q, strlen(q), &c);
	CHECK(res.flags & DPI_SQL_F_TOO_DEEP);
	guard_free(c, strlen(q));
	free(q);
	q = repeat("SELECT * FROM ", "LATERAL { OJ ONLY ", 10000, "t");
	analyze(MY, q, strlen(q), &c);
	CHECK_EQ(res.stmts[0].ntables, 1);
	guard_free(c, strlen(q));
	free(q);
	/* a paren that closes past the cap is skipped whole, the rest read */
	q = repeat("SELECT * FROM a WHERE x = ", "(", 70, "");
	free(q);
	{
		char *open = repeat("", "(", 70, "");
		char *close = repeat("", ")", 70, "");
		size_t n = (size_t)snprintf(NULL, 0, "SELECT %s1%s FROM a, b", open, close);

		q = malloc(n + 1);
		snprintf(q, n + 1, "SELECT %s1%s FROM a, b", open, close);
		analyze(MY, q, n, &c);
		describe(buf, sizeof(buf));
		CHECK(strcmp(buf, "SELECT:a,b") == 0);
		CHECK(res.flags & DPI_SQL_F_TOO_DEEP);
		guard_free(c, n);
		free(q);
		free(open);
		free(close);
	}

	/* tokens */
	q = repeat("SELECT 1", ",1", DPI_SQL_MAX_TOKENS, " FROM t");
	analyze(MY, q, strlen(q), &c);
	CHECK(res.flags & DPI_SQL_F_TOO_MANY_TOKENS);
	CHECK_EQ(res.ntokens, DPI_SQL_MAX_TOKENS);
	CHECK_EQ(res.stmts[0].ntables, 0);
	guard_free(c, strlen(q));
	free(q);
	q = repeat("SELECT 1 ", "/**/", DPI_SQL_MAX_TOKENS, " FROM t");
	analyze(PG, q, strlen(q), &c);
	CHECK(res.flags & DPI_SQL_F_TOO_MANY_TOKENS);
	guard_free(c, strlen(q));
	free(q);

	/* many CTEs and aliases: past the internal caps, extra names are
	 * reported as tables (safe), never written out of bounds */
	q = repeat("WITH c0 AS (SELECT 1)", ", c AS (SELECT 1)", 100, " SELECT * FROM c, c0");
	analyze(PG, q, strlen(q), &c);
	describe(buf, sizeof(buf));
	CHECK(strcmp(buf, "SELECT:c") == 0 || strcmp(buf, "SELECT:") == 0);
	guard_free(c, strlen(q));
	free(q);
	q = repeat("DELETE ", "x, ", 100, "y FROM t");
	analyze(MY, q, strlen(q), &c);
	CHECK(slices_ok(c, strlen(q)));
	guard_free(c, strlen(q));
	free(q);

	/* arguments */
	CHECK_EQ(dpi_sql_analyze(MY, NULL, 1, &res), -EINVAL);
	CHECK_EQ(dpi_sql_analyze(MY, (const uint8_t *)"x", 1, NULL), -EINVAL);
	CHECK_EQ(dpi_sql_analyze(MY, NULL, 0, &res), 0);
	CHECK_EQ(res.nstmts, 0);
}

/* Each prefix of complex queries: no over-read, sane results. */
static void test_truncation(void)
{
	static const char *const queries[] = {
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r WHERE n<3), "
		"d AS (DELETE FROM \"Old\".\"T\" RETURNING *) SELECT a.*, (SELECT max(x) FROM u) "
		"FROM r JOIN LATERAL f(r.n) g ON true LEFT JOIN (b NATURAL JOIN c) ON 1=1, "
		"public.d AS dd WHERE x IS DISTINCT FROM y AND s = E'\\'' AND t = $q$;$q$ "
		"/* a /* b */ */ -- c\n; INSERT INTO t (a) SELECT 1 ON CONFLICT DO NOTHING",
		"/*!50000 SELECT*/ `a``b`.c, @v, @@g.x FROM db.`t1` t1 USE INDEX (i) "
		"STRAIGHT_JOIN { OJ t2 LEFT JOIN t3 ON t2.a=t3.a } WHERE x = 'a\\'b' # c\n"
		"UNION SELECT 1union FROM .t4; DELETE t5, a FROM t5 JOIN t6 AS a; "
		"GRANT ALL ON *.* TO 'u'@'%'; SHOW COLUMNS FROM t7 FROM db;",
		"CREATE TABLE t (a int REFERENCES u(id), LIKE v) INHERITS (w); ALTER TABLE x "
		"RENAME TO y; DROP INDEX i ON z; MERGE INTO m USING n ON true WHEN MATCHED "
		"THEN DELETE; COPY (SELECT * FROM o) TO STDOUT; LOCK TABLES p READ, q WRITE;",
	};

	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		size_t len = strlen(queries[i]);
		int bad = 0;

		for (size_t cut = 0; cut <= len; cut++) {
			for (int d = 0; d < 2; d++) {
				uint8_t *c;

				if (analyze((enum dpi_sql_dialect)d, queries[i], cut, &c) != 0 ||
				    !slices_ok(c, cut))
					bad++;
				guard_free(c, cut);
			}
		}
		CHECK_EQ(bad, 0);
	}
}

/* Random bytes from an SQL-ish alphabet: must not crash or over-read. */
static void test_random(void)
{
	static const char *const atoms[] = {
		"SELECT ", "FROM ", "t ", "JOIN ", "(", ")", ",", ";", "'", "\"", "`", "$$", "$a$",
		"/*", "*/", "/*!", "-- ", "#", "\n", "\\", "E'", "WITH ", "AS ", "DELETE ",
		"UPDATE ", "SET ", "INTO ", "USING ", ".", "*", "{ OJ ", "}", "LATERAL ", "ONLY ",
		"x ", "1 ", "?", "$1", "@v", "UNION ", "IS ", "DISTINCT ", "TABLE ", "CREATE ",
		"DROP ", "ALTER ", "RENAME ", "TO ", "GRANT ", "ON ", "INSERT ", "VALUES ",
		"EXPLAIN ", "RECURSIVE ", "\"Q\"", "`q`", "U&'", "B'", "@'", "ROWS ", "WHERE ",
	};
	uint64_t seed = 0x5eed5eedull;
	char q[600];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 0;
		int n = (int)(bh_xorshift(&seed) % 40);
		uint8_t *c;
		int bad = 0;

		for (int k = 0; k < n; k++) {
			const char *a = atoms[bh_xorshift(&seed) % (sizeof(atoms) / sizeof(atoms[0]))];
			size_t al = strlen(a);

			if (len + al >= sizeof(q))
				break;
			memcpy(q + len, a, al);
			len += al;
		}
		if (analyze((enum dpi_sql_dialect)(iter & 1), q, len, &c) != 0 || !slices_ok(c, len))
			bad = 1;
		guard_free(c, len);
		if (bad) {
			CHECK(!bad);
			fprintf(stderr, "  input: %.*s\n", (int)len, q);
			break;
		}
	}
	CHECK(1);
}

int main(void)
{
	RUN(test_lex_basic);
	RUN(test_lex_strings);
	RUN(test_lex_comments);
	RUN(test_lex_modes);
	RUN(test_lex_unterminated);
	RUN(test_lex_all_prefixes);
	RUN(test_verbs);
	RUN(test_joins);
	RUN(test_subqueries);
	RUN(test_cte);
	RUN(test_dml);
	RUN(test_ddl);
	RUN(test_names);
	RUN(test_lexical_traps);
	RUN(test_divergent);
	RUN(test_multi);
	RUN(test_unterminated);
	RUN(test_real_queries);
	RUN(test_caps);
	RUN(test_truncation);
	RUN(test_random);
	printf("%d SQL statements analysed\n", sql_cases);
	return bh_test_summary();
}
