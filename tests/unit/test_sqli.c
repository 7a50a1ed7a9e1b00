/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_sqli.c - the SQL injection detector (dpi/dpi_sqli.c).
 *
 *   test_sqli [CORPUS_DIR]
 *
 * Specific positive and negative cases per family, the API's edges, and the
 * labelled corpus: CORPUS_DIR (or $BH_SQLI_CORPUS, else tests/data/sqli
 * from the source root) holds attack.txt and benign.txt, one value per
 * line. The corpus must give a true-positive rate of at least 99% and a
 * false-positive rate of at most 0.1%; the figures and the first 20
 * misclassified lines of each file are printed. Every value is copied to
 * end at a guard page, so reading one byte past it faults.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bh_test.h"
#include "dpi_sql.h"
#include "dpi_sqli.h"

static int check_value(const void *v, size_t len, unsigned flags, struct dpi_sqli_result *r)
{
	uint8_t *copy = guard_dup(v, len);
	int rc = dpi_sqli_check(copy, len, flags, r);

	/* the fragment lies inside the value; benign results are empty */
	if (rc >= 0 && (r->off > len || r->len > len - r->off || !r->reason ||
			(rc == 0 && (r->family != DPI_SQLI_NONE || r->len || r->reason[0])) ||
			(rc == 1 && (r->family == DPI_SQLI_NONE || !r->len || !r->reason[0]))))
		rc = -100;
	guard_free(copy, len);
	return rc;
}

/* @fam: expected family, or -1 for "any injection". */
static void expect(const char *file, int line, int fam, const char *v, unsigned flags)
{
	struct dpi_sqli_result r;
	int rc = check_value(v, strlen(v), flags, &r);
	int want = fam != DPI_SQLI_NONE;

	bh_test_checks++;
	if (rc != want || (fam > 0 && r.family != fam)) {
		bh_test_failures++;
		fprintf(stderr, "%s:%d: [%s]\n  got rc %d %s (score %u), expected %s\n", file, line, v,
			rc, dpi_sqli_family_name(r.family), r.score,
			fam < 0 ? "injection" : dpi_sqli_family_name((unsigned)fam));
	}
}

#define POS(fam, v) expect(__FILE__, __LINE__, fam, v, 0)
#define ANY(v) expect(__FILE__, __LINE__, -1, v, 0)
#define NEG(v) expect(__FILE__, __LINE__, DPI_SQLI_NONE, v, 0)
#define POSF(fam, v, flags) expect(__FILE__, __LINE__, fam, v, flags)
#define NEGF(v, flags) expect(__FILE__, __LINE__, DPI_SQLI_NONE, v, flags)

/* --------------------------------------------------------------- families */

static void test_tautology(void)
{
	POS(DPI_SQLI_TAUTOLOGY, "1' OR '1'='1");
	POS(DPI_SQLI_TAUTOLOGY, "' or ''='");
	POS(DPI_SQLI_TAUTOLOGY, "admin' OR 1=1-- -");
	POS(DPI_SQLI_TAUTOLOGY, "') or ('a'='a");
	POS(DPI_SQLI_TAUTOLOGY, "\" or \"x\"=\"x");
	POS(DPI_SQLI_TAUTOLOGY, "1 OR 1=1");
	POS(DPI_SQLI_TAUTOLOGY, "1) OR (1=1");
	POS(DPI_SQLI_TAUTOLOGY, "1'||'1'='1");
	POS(DPI_SQLI_TAUTOLOGY, "x' OR 'a' LIKE 'a");
	POS(DPI_SQLI_TAUTOLOGY, "' or true--");
	POS(DPI_SQLI_TAUTOLOGY, "1' or 1#");
	POS(DPI_SQLI_TAUTOLOGY, "1 OR 0x31=0x31");
	POS(DPI_SQLI_TAUTOLOGY, "x' OR 3 BETWEEN 1 AND 5-- ");
	NEG("true or false");
	NEG("2 or 3");
	NEG("cats or dogs");
	NEG("1 = 1");
	NEG("x >= 1 and y <= 2");
	NEG("rating >= 4 and price < 100");
}

static void test_boolean_blind(void)
{
	POS(DPI_SQLI_BOOLEAN_BLIND, "1 AND 1=2");
	POS(DPI_SQLI_BOOLEAN_BLIND, "1' AND 'a'='a");
	POS(DPI_SQLI_BOOLEAN_BLIND, "1 AND ASCII(SUBSTRING((SELECT password FROM users LIMIT 1),1,1))>64");
	POS(DPI_SQLI_BOOLEAN_BLIND, "1 and substring(@@version,1,1)=5");
	POS(DPI_SQLI_BOOLEAN_BLIND, "x' AND LENGTH(database())=8-- -");
	POS(DPI_SQLI_BOOLEAN_BLIND, "1 AND CAST(username AS CHAR)='a'");
	ANY("1 RLIKE (SELECT (CASE WHEN (1=1) THEN 1 ELSE 0x28 END))");
	NEG("cats and dogs");
	NEG("1 and 1");
	NEG("Tom & Jerry");
}

static void test_union(void)
{
	POS(DPI_SQLI_UNION, "1 UNION SELECT 1,2,3");
	POS(DPI_SQLI_UNION, "-1 UNION ALL SELECT NULL,NULL-- -");
	POS(DPI_SQLI_UNION, "' UNION SELECT username,password FROM users--");
	POS(DPI_SQLI_UNION, "1 UNION/**/SELECT 1,2");
	POS(DPI_SQLI_UNION, "1 /*!50000UNION*/ /*!50000SELECT*/ 1,2");
	POS(DPI_SQLI_UNION, "1 UN/**/ION SEL/**/ECT 1,2");       /* comment-stripping apps */
	POS(DPI_SQLI_UNION, "1e0UNION SELECT 1,2");              /* scientific notation */
	POS(DPI_SQLI_UNION, "0.1UNION SELECT 1,2");
	POS(DPI_SQLI_UNION, "1 uNiOn aLl sElEcT 1,2");
	POS(DPI_SQLI_UNION, "1%0aUNION%0aSELECT%0a1,2");          /* residual encoding */
	POS(DPI_SQLI_UNION, "1\tUNION\tSELECT\t1,2");
	POS(DPI_SQLI_UNION, "1\xa0" "UNION\xa0" "SELECT\xa0" "1,2");       /* latin1 NBSP */
	POS(DPI_SQLI_UNION, "' UNION SELECT `password` FROM `users`-- ");
	POS(DPI_SQLI_UNION, "' UNION SELECT CHAR(97,100),0x61646d696e--");
	POS(DPI_SQLI_UNION, "x' UNION SELECT @@version,NULL FROM dual-- -");
	POS(DPI_SQLI_UNION, "1 UNION(SELECT 1,2)");
	NEG("select the best union plan");
	NEG("select a union representative");
	NEG("union select");
	NEG("1 union select");
	NEG("the union select committee");
	NEG("site:example.com \"union select\"");
	NEG("What's the difference between UNION and UNION ALL?");
}

static void test_stacked(void)
{
	POS(DPI_SQLI_STACKED, "1; DROP TABLE users");
	POS(DPI_SQLI_STACKED, "Robert'); DROP TABLE Students;--");
	POS(DPI_SQLI_STACKED, "x'; UPDATE users SET password='x' WHERE username='admin'-- ");
	POS(DPI_SQLI_STACKED, "1; INSERT INTO users (a,b) VALUES ('x','y')");
	POS(DPI_SQLI_STACKED, "'; DELETE FROM sessions--");
	POS(DPI_SQLI_STACKED, "'; shutdown with nowait; --");
	POS(DPI_SQLI_STACKED, "'; DESC users; --");
	POS(DPI_SQLI_STACKED, "1; DECLARE @q VARCHAR(99) SET @q='x' EXEC(@q)");
	NEG("drop shipping");
	NEG("Hello; delete my account please");
	NEG("Note; update your profile");
	NEG("1;2;3");
	NEG("key=value; other=thing");
	NEG("millet exec summary template");
	NEG("SELECT * FROM employees WHERE salary > 50000");
	NEG("DROP TABLE IF EXISTS foo;");
}

static void test_comment(void)
{
	POS(DPI_SQLI_COMMENT, "admin'--");
	POS(DPI_SQLI_COMMENT, "admin' #");
	POS(DPI_SQLI_COMMENT, "admin'/*");
	POS(DPI_SQLI_COMMENT, "admin')-- -");
	POS(DPI_SQLI_COMMENT, "admin\"--");
	POS(DPI_SQLI_COMMENT, "admin'%00");                       /* NUL truncation */
	POS(DPI_SQLI_COMMENT, "admin';--");
	NEG("It's over -- she's gone");
	NEG("1 -- 2");
	NEG("#1 best seller -- order now");
	NEG("--help");
	NEG("/* comment */");
}

static void test_time(void)
{
	POS(DPI_SQLI_TIME, "1' AND SLEEP(5)#");
	POS(DPI_SQLI_TIME, "1 AND (SELECT * FROM (SELECT(SLEEP(5)))a)");
	POS(DPI_SQLI_TIME, "1 AND BENCHMARK(5000000,MD5(1))");
	POS(DPI_SQLI_TIME, "1; SELECT pg_sleep(5)--");
	POS(DPI_SQLI_TIME, "' AND 1=(SELECT 1 FROM PG_SLEEP(5))--");
	POS(DPI_SQLI_TIME, "'; WAITFOR DELAY '0:0:5'--");
	POS(DPI_SQLI_TIME, "1 WAITFOR DELAY '0:0:5'");            /* MSSQL, no ';' */
	POS(DPI_SQLI_TIME, "1;DECLARE @x CHAR(9);SET @x=0x303a303a35;WAITFOR DELAY @x--");
	POS(DPI_SQLI_TIME, "1' AND 1=DBMS_PIPE.RECEIVE_MESSAGE('a',5)--");
	POS(DPI_SQLI_TIME, "'||pg_sleep(5)||'");
	POS(DPI_SQLI_TIME, "if(now()=sysdate(),sleep(5),0)");
	POS(DPI_SQLI_TIME, "0'XOR(if(now()=sysdate(),sleep(5),0))XOR'Z");
	POS(DPI_SQLI_TIME, "1 AND 1=LIKE('ABCDEFG',UPPER(HEX(RANDOMBLOB(500000000/2))))");
	NEG("sleep 8 hours");
	NEG("sleep(8 hours)");
	NEG("benchmark(2023)");
	NEG("Waitfor it...");
}

static void test_error_oob(void)
{
	POS(DPI_SQLI_ERROR, "1' AND EXTRACTVALUE(1,CONCAT(0x7e,(SELECT version())))--");
	POS(DPI_SQLI_ERROR, "1 AND UPDATEXML(1,CONCAT(0x7e,user()),1)");
	POS(DPI_SQLI_ERROR, "1 AND GTID_SUBSET(CONCAT(0x7e,(SELECT version())),1)");
	POS(DPI_SQLI_ERROR, "1 AND 1=CTXSYS.DRITHSX.SN(1,(SELECT user FROM dual))");
	POS(DPI_SQLI_ERROR, "1 PROCEDURE ANALYSE(EXTRACTVALUE(1,CONCAT(0x3a,version())),1)");
	ANY("' AND 1=CONVERT(int,@@version)--");
	ANY("1 AND 1=CAST((SELECT version()) AS int)");
	POS(DPI_SQLI_OOB, "'; EXEC master..xp_dirtree '\\\\x.example\\a'--");
	POS(DPI_SQLI_OOB, "1; EXEC xp_cmdshell 'whoami'");
	POS(DPI_SQLI_OOB, "' UNION SELECT LOAD_FILE('/etc/passwd'),NULL--");
	POS(DPI_SQLI_OOB, "-1 UNION SELECT 1,2 INTO OUTFILE '/var/www/x.php'");
	POS(DPI_SQLI_OOB, "1; COPY (SELECT '') TO PROGRAM 'nslookup x.example'");
	POS(DPI_SQLI_OOB, "' AND UTL_HTTP.REQUEST('http://x.example/') IS NOT NULL--");
	NEG("load file");
	NEG("outfile");
}

static void test_subquery_clause(void)
{
	POS(DPI_SQLI_SUBQUERY, "(SELECT password FROM users LIMIT 1)");
	POS(DPI_SQLI_SUBQUERY, "'||(SELECT banner FROM v$version WHERE rownum=1)||'");
	POS(DPI_SQLI_SUBQUERY, "'+(SELECT TOP 1 password FROM users)+'");
	POS(DPI_SQLI_SUBQUERY, "test', (SELECT @@version), 'x')#");
	POS(DPI_SQLI_CLAUSE, "1' ORDER BY 10-- -");
	POS(DPI_SQLI_CLAUSE, "1 ORDER BY 5");
	POS(DPI_SQLI_CLAUSE, "' GROUP BY id HAVING 1=1--");
	NEG("(select one)");
	NEG("order by price");
	NEG("1 order by price");
	NEG("Group by: Category; Order by: Price");
}

/* Values that are text, not SQL, whatever words they contain. */
static void test_benign_text(void)
{
	static const char *const vals[] = {
		"O'Brien", "D'Angelo", "Sinéad O'Connor", "it's a dog's life", "rock 'n' roll",
		"Don't -- please", "drop shipping", "order by price", "select your seat",
		"5'11\"", "6' 2\" tall", "'Tom' and 'Jerry'", "\"new york\" or \"boston\"",
		"{\"a\": 1, \"b\": \"x' or 1\"}", "[1, 2, 3]", "dGVzdCBzdHJpbmc=", "/usr/local/bin",
		"C:\\Users\\O'Brien\\Documents", "o'brien@example.com", "2024-01-05T10:00:00Z",
		"$19.99", "+1 (555) 123-4567", "50% off", "100%25", "caf%C3%A9", "O%27Brien",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
		"if (c == '=') { return; }", "=IF(B2>0,\"yes\",\"no\")", "(a OR b) AND NOT c",
		"title:\"foo\" AND author:bar", "He said, 'hello'; then he left.", "'", "\"", "''",
		"", "--", "#", ";", "/**/", "%", "%00", "\xa0", "a/**/b",
	};

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		NEG(vals[i]);
}

/* ------------------------------------------------------------- API edges */

static void test_api(void)
{
	struct dpi_sqli_result r;
	const char *v = "1' OR '1'='1";
	static char big[DPI_SQLI_MAX_INPUT + 100];
	uint8_t *copy;

	CHECK_EQ(dpi_sqli_selftest(), 0);
	CHECK_EQ(dpi_sqli_check(NULL, 1, 0, &r), -EINVAL);
	CHECK_EQ(dpi_sqli_check((const uint8_t *)v, strlen(v), 0, NULL), -EINVAL);
	CHECK_EQ(dpi_sqli_check(NULL, 0, 0, &r), 0);
	CHECK_EQ(r.family, DPI_SQLI_NONE);

	/* the fragment starts at the quote that breaks out, in the caller's bytes */
	CHECK_EQ(check_value(v, strlen(v), 0, &r), 1);
	CHECK_EQ(r.context, DPI_SQLI_IN_SQUOTE);
	CHECK_EQ(r.off, 1);
	CHECK_EQ(r.len, strlen(v) - 1);
	CHECK(!strcmp(r.reason, "string-break+or-tautology"));
	CHECK(r.score >= DPI_SQLI_THRESHOLD && r.score <= 100);

	/* offsets of a decoded reading map back to the encoded value */
	v = "abc%27%20OR%201%3D1--%20";
	CHECK_EQ(check_value(v, strlen(v), 0, &r), 1);
	CHECK(r.reading & DPI_SQLI_R_DECODED);
	CHECK_EQ(r.off, 3);
	CHECK(!strncmp(v + r.off, "%27", 3));
	CHECK(r.off + r.len <= strlen(v));

	v = "1 UNION SELECT 1,2";
	CHECK_EQ(check_value(v, strlen(v), 0, &r), 1);
	CHECK_EQ(r.context, DPI_SQLI_IN_NUMERIC);
	CHECK(!strncmp(v + r.off, "UNION", 5));
	CHECK(!strcmp(r.reason, "union-select"));

	/* contexts and dialects can be turned off */
	NEGF("1' OR '1'='1", DPI_SQLI_CTX_NO_SQUOTE);
	POSF(DPI_SQLI_TAUTOLOGY, "1\" OR \"1\"=\"1", DPI_SQLI_CTX_NO_SQUOTE);
	NEGF("1\" OR \"1\"=\"1", DPI_SQLI_CTX_NO_DQUOTE | DPI_SQLI_CTX_NO_NUMERIC);
	NEGF("1 UNION SELECT 1,2", DPI_SQLI_CTX_NO_NUMERIC);
	NEGF("1%27%20OR%201%3D1--%20", DPI_SQLI_CTX_NO_DECODE);
	NEGF("1' AND 1=1 #", DPI_SQLI_CTX_NO_MYSQL);              /* '#' is no comment there */
	POSF(DPI_SQLI_BOOLEAN_BLIND, "1' AND 1=1 #", DPI_SQLI_CTX_NO_PGSQL);
	NEGF("admin'--x", DPI_SQLI_CTX_NO_PGSQL); /* MySQL: "--" needs a space, 'admin' - -x */
	POSF(DPI_SQLI_COMMENT, "admin'--x", DPI_SQLI_CTX_NO_MYSQL);
	/* a raw path segment: '+' may be a space */
	NEGF("1+UNION+SELECT+1,2", 0);
	POSF(DPI_SQLI_UNION, "1+UNION+SELECT+1,2", DPI_SQLI_CTX_PLUS);

	/* only the first DPI_SQLI_MAX_INPUT bytes count, and the result says so */
	memset(big, ' ', sizeof(big));
	memcpy(big, "1 UNION SELECT 1,2", 18);
	copy = guard_dup(big, sizeof(big));
	CHECK_EQ(dpi_sqli_check(copy, sizeof(big), 0, &r), 1);
	CHECK(r.reading & DPI_SQLI_R_TRUNCATED);
	guard_free(copy, sizeof(big));
	memset(big, ' ', sizeof(big));
	memcpy(big + DPI_SQLI_MAX_INPUT + 10, "1 UNION SELECT 1,2", 18);
	copy = guard_dup(big, sizeof(big));
	CHECK_EQ(dpi_sqli_check(copy, sizeof(big), 0, &r), 0);
	CHECK(r.reading & DPI_SQLI_R_TRUNCATED);
	guard_free(copy, sizeof(big));

	CHECK(!strcmp(dpi_sqli_family_name(DPI_SQLI_UNION), "union-select"));
	CHECK(!strcmp(dpi_sqli_family_name(1000), "none"));
}

/* Deep nesting, long token runs and every byte value: bounded, no faults. */
static void test_bounds(void)
{
	static char buf[DPI_SQLI_MAX_INPUT];
	struct dpi_sqli_result r;
	uint64_t seed = 0x5a17;
	size_t n;

	memset(buf, '(', sizeof(buf));
	CHECK(check_value(buf, sizeof(buf), 0, &r) >= 0);
	n = 0;
	while (n + 4 < sizeof(buf)) {
		memcpy(buf + n, "1,", 2);
		n += 2;
	}
	CHECK(check_value(buf, n, 0, &r) >= 0);
	/* an injection after more tokens than a reading looks at */
	n = 0;
	while (n + 40 < 2000) {
		memcpy(buf + n, "a ", 2);
		n += 2;
	}
	memcpy(buf + n, "x' OR 1=1-- ", 12);
	n += 12;
	CHECK_EQ(check_value(buf, n, 0, &r), 1); /* the string reading starts at the quote */
	for (int k = 0; k < 2000; k++) {
		static const char alphabet[] = "'\"()-#/*;=%0aUNIONSELECT ,\\`@";
		size_t len = bh_xorshift(&seed) % 200;

		for (size_t i = 0; i < len; i++) {
			uint32_t x = bh_xorshift(&seed);

			buf[i] = (x & 3) ? alphabet[x % (sizeof(alphabet) - 1)] : (char)(x >> 8);
		}
		CHECK(check_value(buf, len, bh_xorshift(&seed) & 0x7f, &r) >= 0);
	}
}

/* ---------------------------------------------------------------- corpus */


/* Run every line; count the lines whose verdict is @want, print the first
 * 20 others. Returns the number of lines. */
static size_t run_corpus(const struct bh_corpus *c, int want, const char *what, size_t *ret_ok)
{
	size_t lines = 0, ok = 0, shown = 0, start = 0;

	for (size_t i = 0; i <= c->size; i++) {
		struct dpi_sqli_result r;
		int rc;

		if (i < c->size && c->data[i] != '\n')
			continue;
		if (i > start) {
			lines++;
			rc = check_value(c->data + start, i - start, 0, &r);
			CHECK(rc >= 0);
			if (rc == want)
				ok++;
			else if (shown++ < 20)
				printf("  %s: %.*s%s%s\n", what, (int)(i - start), c->data + start,
				       want ? "" : "   <- ", want ? "" : r.reason);
		}
		start = i + 1;
	}
	*ret_ok = ok;
	return lines;
}

static const char *corpus_dir = "tests/data/sqli";

static void test_corpus(void)
{
	const char *dir = corpus_dir;
	struct bh_corpus atk, ben;
	size_t na, nb, tp, tn;
	double tpr, fpr;

	if (bh_corpus_load(dir, "attack.txt", &atk) < 0 || bh_corpus_load(dir, "benign.txt", &ben) < 0) {
		fprintf(stderr, "corpus not found in %s (pass the directory as argv[1])\n", dir);
		CHECK(0);
		return;
	}
	na = run_corpus(&atk, 1, "missed", &tp);
	nb = run_corpus(&ben, 0, "false positive", &tn);
	tpr = na ? 100.0 * (double)tp / (double)na : 0;
	fpr = nb ? 100.0 * (double)(nb - tn) / (double)nb : 100;
	printf("corpus: attack %zu lines, TPR %.3f%% (%zu missed); benign %zu lines, FPR %.3f%% (%zu flagged)\n",
	       na, tpr, na - tp, nb, fpr, nb - tn);
	CHECK(na >= 1000);
	CHECK(nb >= 10000);
	CHECK(tpr >= 99.0);
	CHECK(fpr <= 0.1);
	free(atk.data);
	free(ben.data);
}

int main(int argc, char **argv)
{
	const char *env = getenv("BH_SQLI_CORPUS");

	if (argc > 1)
		corpus_dir = argv[1];
	else if (env && *env)
		corpus_dir = env;
	RUN(test_tautology);
	RUN(test_boolean_blind);
	RUN(test_union);
	RUN(test_stacked);
	RUN(test_comment);
	RUN(test_time);
	RUN(test_error_oob);
	RUN(test_subquery_clause);
	RUN(test_benign_text);
	RUN(test_api);
	RUN(test_bounds);
	RUN(test_corpus);
	return bh_test_summary();
}
