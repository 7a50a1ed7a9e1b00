/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_sqli_stmt.c - the statement-level SQL injection detector
 * (dpi/dpi_sqli_stmt.c).
 *
 *   test_sqli_stmt [CORPUS_DIR]
 *
 * Cases per family in both dialects, benign shapes the detector must leave
 * alone (generated ORM SQL, builders' WHERE 1=1, driver and client
 * queries, migrations), the API's edges and bounds, and the labelled
 * corpus: CORPUS_DIR (or $BH_SQLI_STMT_CORPUS, else tests/data/sqli-stmt
 * from the source root) holds attack.txt and benign.txt, one statement per
 * line as "d TAB tag TAB statement" (d: m MySQL, p PostgreSQL; M and P mean
 * the statement is backslash-escaped). The corpus must give a
 * true-positive rate of at least 95% and a false-positive rate of at most
 * 0.1%; the figures, the misses per tag and the first misclassified lines
 * are printed. Every statement is copied to end at a guard page, so reading
 * one byte past it faults.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bh_test.h"
#include "dpi_sql.h"
#include "dpi_sqli.h"
#include "dpi_sqli_stmt.h"

#define M DPI_SQL_MYSQL
#define P DPI_SQL_PGSQL

static int check_stmt(enum dpi_sql_dialect d, const void *v, size_t len,
		      struct dpi_sqli_stmt_result *r)
{
	uint8_t *copy = guard_dup(v, len);
	int rc = dpi_sqli_stmt_check(d, copy, len, r);

	/* the fragment lies inside the text; benign results are empty */
	if (rc >= 0 && (r->off > len || r->len > len - r->off || !r->reason ||
			(rc != (r->score >= DPI_SQLI_STMT_THRESHOLD)) ||
			(rc == 0 && (r->family != DPI_SQLI_NONE || r->len || r->reason[0])) ||
			(rc == 1 && (r->family == DPI_SQLI_NONE || !r->reason[0]))))
		rc = -100;
	guard_free(copy, len);
	return rc;
}

/* @fam: expected family, -1 for "any injection", DPI_SQLI_NONE for benign. */
static void expect(const char *file, int line, enum dpi_sql_dialect d, int fam, const char *v)
{
	struct dpi_sqli_stmt_result r;
	int rc = check_stmt(d, v, strlen(v), &r);
	int want = fam != DPI_SQLI_NONE;

	bh_test_checks++;
	if (rc != want || (fam > 0 && r.family != fam)) {
		bh_test_failures++;
		fprintf(stderr, "%s:%d: %s [%s]\n  got rc %d %s (%s, score %u), expected %s\n", file,
			line, d == M ? "mysql" : "pgsql", v, rc, dpi_sqli_family_name(r.family),
			r.reason ? r.reason : "?", r.score,
			fam < 0 ? "injection" : dpi_sqli_family_name((unsigned)fam));
	}
}

#define POS(d, fam, v) expect(__FILE__, __LINE__, d, fam, v)
#define POS2(fam, v)                                                                          \
	do {                                                                                  \
		POS(M, fam, v);                                                               \
		POS(P, fam, v);                                                               \
	} while (0)
#define NEG(d, v) expect(__FILE__, __LINE__, d, DPI_SQLI_NONE, v)
#define NEG2(v)                                                                               \
	do {                                                                                  \
		NEG(M, v);                                                                    \
		NEG(P, v);                                                                    \
	} while (0)

/* --------------------------------------------------------------- families */

static void test_tautology(void)
{
	POS2(DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE name = '' OR '1'='1' AND pass = 'x'");
	POS2(DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE id = 1 OR 1=1");
	POS2(DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE id = 1 OR 2>1 LIMIT 1");
	POS2(DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE name = 'x' OR 'x' LIKE 'x'");
	POS2(DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE (name = '' OR ('a'='a'))");
	POS2(DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE id = 1 OR TRUE");
	POS2(DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE id = 1 OR NOT 1=2");
	POS2(DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE id = 1 OR 3 BETWEEN 1 AND 5");
	POS2(DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE id = 1 OR 1 IN (1,2)");
	POS2(DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE id = 1 OR ASCII('a')=97");
	POS2(DPI_SQLI_TAUTOLOGY, "UPDATE users SET role = 'user' WHERE id = 5 OR 5-4=1");
	POS(M, DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE id = 1 || 1=1");
	POS(M, DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE id = 1 OR 0x31=0x31");
	POS(M, DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE id = 1 OR CHAR(49)=CHAR(49)");
	POS(M, DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE name = 'a' OR 'A'='a'");
	POS(P, DPI_SQLI_TAUTOLOGY, "SELECT * FROM users WHERE id = 1 OR 1::int=1");
	/* false or null constants: generated code, not a tautology */
	NEG2("SELECT * FROM users WHERE (role = 'admin' OR 1=0)");
	NEG2("SELECT * FROM users WHERE name = 'x' OR 'a'='b'");
	NEG2("SELECT * FROM users WHERE (name = NULL OR NULL IS NULL)");
	NEG2("SELECT * FROM users WHERE (name = 'x' OR 'x' IS NULL)");
	NEG2("SELECT * FROM users WHERE a = 1 OR FALSE");
	/* || is concatenation in PostgreSQL */
	NEG(P, "SELECT * FROM users WHERE name = 'a' || 'b'");
	/* a column or a placeholder makes the operand non-constant */
	NEG2("SELECT * FROM users WHERE id = 1 OR 1=id");
	NEG2("SELECT * FROM users WHERE id = 1 OR 1 = 1 + id");
	NEG(P, "SELECT * FROM users WHERE (name = $1 OR $1 IS NULL)");
	NEG(M, "SELECT * FROM users WHERE (name = ? OR ? = '')");
}

static void test_boolean_blind(void)
{
	POS2(DPI_SQLI_BOOLEAN_BLIND, "SELECT * FROM users WHERE id = 1 AND 2>1");
	POS2(DPI_SQLI_BOOLEAN_BLIND, "SELECT * FROM users WHERE id = 1 AND 'a'='a'");
	POS2(DPI_SQLI_BOOLEAN_BLIND, "SELECT * FROM users WHERE id = 1 AND 1=2");
	POS2(DPI_SQLI_BOOLEAN_BLIND, "SELECT * FROM users WHERE id = 1 AND 3*2=6");
	POS(M, DPI_SQLI_BOOLEAN_BLIND, "SELECT * FROM t WHERE id = 1 AND ASCII(SUBSTRING(version(),1,1))>52");
	POS(M, DPI_SQLI_BOOLEAN_BLIND, "SELECT * FROM t WHERE id = 1 AND LENGTH(database())=8");
	POS(M, DPI_SQLI_BOOLEAN_BLIND, "SELECT * FROM t WHERE id = 1 && SUBSTRING(@@version,1,1)='8'");
	POS(P, DPI_SQLI_BOOLEAN_BLIND, "SELECT * FROM t WHERE id = 1 AND ascii(substr(current_user,1,1))>100");
	POS(P, DPI_SQLI_BOOLEAN_BLIND,
	    "SELECT * FROM t WHERE id = 1 AND SUBSTR((SELECT passwd FROM pg_shadow LIMIT 1),1,1)='m'");
	POS(M, DPI_SQLI_BOOLEAN_BLIND, "SELECT * FROM users WHERE name = CHAR(97,100,109,105,110)");
	POS(M, DPI_SQLI_BOOLEAN_BLIND, "SELECT * FROM users WHERE name = 0x61646d696e");
	POS(P, DPI_SQLI_BOOLEAN_BLIND, "SELECT * FROM users WHERE name = CHR(97)||CHR(100)");
	/* what query builders emit */
	NEG2("SELECT * FROM users WHERE 1=1 AND name = 'x' AND 1=1");
	NEG2("SELECT * FROM users WHERE active = 1 AND 1=0");
	NEG2("SELECT * FROM users WHERE id IN (NULL) AND (1 != 1)");
	NEG2("SELECT * FROM users WHERE (id = 5 and 1 = 1)");
	NEG2("SELECT * FROM users WHERE TRUE AND id > 5");
	NEG2("SELECT * FROM orders WHERE total BETWEEN 10 AND 20 AND qty NOT BETWEEN 1 AND 2");
	NEG2("SELECT * FROM users WHERE length(name) > 3 AND substring(code, 1, 2) = 'AB'");
	NEG(M, "SELECT * FROM t WHERE table_schema = DATABASE() AND table_name = 'x'");
	NEG(P, "SELECT * FROM t WHERE owner = current_user AND n.nspname = current_schema()");
	NEG(M, "SELECT name FROM devices WHERE id = 0x3F2A9C0B7D1E4F5A8B6C1D2E3F4A5B6C");
	NEG(M, "SELECT REPLACE(body, CHAR(13), '') FROM posts WHERE sep = CHAR(9)");
}

static void test_union(void)
{
	POS2(DPI_SQLI_UNION,
	     "SELECT id FROM items WHERE id = 1 UNION SELECT table_name,2 FROM information_schema.tables");
	POS2(DPI_SQLI_UNION, "SELECT a, b FROM t WHERE id = -1 UNION SELECT NULL,NULL");
	POS2(DPI_SQLI_UNION, "SELECT a, b, c FROM t WHERE id = -1 UNION ALL SELECT 1,2,3");
	POS2(DPI_SQLI_UNION, "SELECT a FROM t WHERE id = -1 UNION SELECT version()");
	POS2(DPI_SQLI_UNION, "SELECT a, b FROM t WHERE x = '' UNION SELECT username, password FROM users");
	POS(M, DPI_SQLI_UNION, "SELECT a FROM t WHERE id = -1 UNION SELECT @@version");
	POS(M, DPI_SQLI_UNION, "SELECT a, b FROM t WHERE id = 1 UNION SELECT user, authentication_string FROM mysql.user");
	POS(M, DPI_SQLI_UNION, "SELECT a, b FROM t WHERE id = 1 UNION SELECT name, sql FROM sqlite_master");
	POS(P, DPI_SQLI_UNION, "SELECT a, b FROM t WHERE id = 1 UNION SELECT usename, passwd FROM pg_shadow");
	POS(P, DPI_SQLI_UNION, "SELECT a FROM t WHERE id = 1 UNION SELECT current_database()");
	POS(P, DPI_SQLI_UNION, "SELECT a, b FROM t WHERE id = 1 UNION SELECT relname, 1 FROM pg_catalog.pg_class");
	POS(M, -1, "SELECT a FROM t WHERE id = 1 /*!50000UNION*/ /*!50000SELECT*/ 1");
	POS(M, DPI_SQLI_OOB, "SELECT a FROM t WHERE id = 1 UNION SELECT 'x' INTO OUTFILE '/tmp/x'");
	/* reporting unions, catalogue unions, health checks */
	NEG2("SELECT 1 UNION SELECT 2");
	NEG2("SELECT 'version' AS k, version() AS v UNION ALL SELECT 'user', current_user");
	NEG2("SELECT id, name, NULL AS email FROM vendors WHERE active = 1 UNION SELECT id, name, email FROM customers");
	NEG2("SELECT 'order' AS kind, id FROM orders WHERE user_id = 5 UNION ALL SELECT 'comment', id FROM comments WHERE author_id = 5");
	NEG2("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' UNION SELECT table_name FROM information_schema.views");
	NEG2("SELECT x.id FROM (SELECT id, null AS extra, 1 AS clazz_ FROM a UNION ALL SELECT id, extra, 2 AS clazz_ FROM b) x WHERE x.id = 5");
}

static void test_stacked(void)
{
	POS2(DPI_SQLI_STACKED, "SELECT * FROM items WHERE id = 1; DROP TABLE users");
	POS2(DPI_SQLI_STACKED, "SELECT * FROM items WHERE name = 'x'; DELETE FROM users;-- '");
	POS2(DPI_SQLI_STACKED, "SELECT * FROM items WHERE id = 1; INSERT INTO admins VALUES (1, 'x')");
	POS2(DPI_SQLI_STACKED, "UPDATE items SET a = 1 WHERE id = 1; ALTER TABLE users ADD x int");
	POS2(DPI_SQLI_STACKED, "SELECT * FROM items WHERE id = 1; GRANT ALL ON users TO evil");
	POS(P, DPI_SQLI_STACKED, "SELECT * FROM items WHERE id = 1; COPY t FROM PROGRAM 'id'");
	POS(P, DPI_SQLI_STACKED, "SELECT * FROM items WHERE id = 1; SELECT usename FROM pg_shadow");
	POS(M, DPI_SQLI_STACKED, "SELECT * FROM items WHERE id = 1; SELECT @@version");
	POS(M, DPI_SQLI_TIME, "SELECT * FROM items WHERE id = 1; SELECT SLEEP(5)");
	POS(P, DPI_SQLI_TIME, "SELECT * FROM items WHERE id = 1; SELECT pg_sleep(5)");
	/* scripts and batches */
	NEG2("SELECT 1; SELECT name FROM customers WHERE id = 2");
	NEG2("CREATE TABLE a (id int); CREATE INDEX a_i ON a (id); INSERT INTO a VALUES (1)");
	NEG2("BEGIN; UPDATE a SET x = 1 WHERE id = 2; COMMIT");
	NEG2("SELECT id FROM products WHERE price > 10 LIMIT 10; SELECT FOUND_ROWS()");
	NEG(M, "SET FOREIGN_KEY_CHECKS=0; TRUNCATE TABLE t; SET FOREIGN_KEY_CHECKS=1");
	NEG(M, "/*!40101 SET NAMES utf8mb4 */;\nDROP TABLE IF EXISTS `t`;\nCREATE TABLE `t` (`id` int);\nLOCK TABLES `t` WRITE;\nINSERT INTO `t` VALUES (1);\nUNLOCK TABLES;");
	NEG(P, "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.t (id integer);");
}

static void test_comment(void)
{
	POS2(DPI_SQLI_COMMENT, "SELECT * FROM users WHERE user = 'admin'-- ' AND password = 'x'");
	POS2(DPI_SQLI_COMMENT, "SELECT * FROM users WHERE (user = 'admin')-- ') AND password = 'x'");
	POS(M, DPI_SQLI_COMMENT, "SELECT * FROM users WHERE user = 'admin'#' AND password = 'x'");
	POS(M, DPI_SQLI_COMMENT, "SELECT * FROM users WHERE user = 'admin'/*' AND password = 'x'");
	POS(P, DPI_SQLI_COMMENT, "SELECT * FROM users WHERE user = 'admin'--' AND password = 'x'");
	POS(M, DPI_SQLI_COMMENT, "SELECT * FROM users WHERE user = \"admin\"-- \" AND password = \"x\"");
	POS2(DPI_SQLI_COMMENT, "SELECT * FROM t WHERE id = 1 ORDER BY 10-- - LIMIT 1");
	POS2(DPI_SQLI_COMMENT, "SELECT * FROM t WHERE id = 1-- AND owner_id = 5");
	POS(M, DPI_SQLI_COMMENT, "SELECT * FROM t WHERE id = 1 /*!50000AND*/ 1=1");
	/* comments applications write */
	NEG2("SELECT o.id\n  FROM orders o\n  -- only paid orders; refunds are elsewhere\n WHERE o.status = 'paid'\n"
	     "   AND o.total > 5 -- user's threshold\n ORDER BY o.id");
	NEG2("SELECT * FROM t WHERE id = 5 /*controller='users',action='show'*/");
	NEG2("/* load com.example.User */ select u.id from users u where u.id=5");
	NEG2("-- name: GetAuthor :one\nSELECT id, name FROM authors\nWHERE id = 5 LIMIT 1");
	NEG2("SELECT id\nFROM t\nWHERE a = 'x'\n  AND id > 5 -- keyset pagination\nLIMIT 50");
	NEG2("SELECT *\n  FROM t\n WHERE 1=1 -- every filter below starts with AND\n   AND a = 'x'");
	POS2(DPI_SQLI_BOOLEAN_BLIND, "SELECT * FROM t WHERE a = 1 AND 1=1;-- ");
	NEG(M, "SELECT /* a comment; with a semicolon */ COUNT(*) FROM `orders` /*!40101 WHERE total > 0 */");
	NEG(M, "SELECT /*!40001 SQL_NO_CACHE */ * FROM `orders`");
	NEG(P, "BEGIN;\n-- V2__flag.sql: it's safe to re-run\nALTER TABLE t ADD COLUMN f boolean;\nCOMMIT;");
}

static void test_time(void)
{
	POS(M, DPI_SQLI_TIME, "SELECT * FROM items WHERE id = 1 AND SLEEP(5)");
	POS(M, DPI_SQLI_TIME, "SELECT * FROM items WHERE id = 1 AND IF(1=1,SLEEP(5),0)");
	POS(M, DPI_SQLI_TIME, "SELECT * FROM items WHERE id = 1 OR BENCHMARK(10000000,SHA1('x'))");
	POS(M, DPI_SQLI_TIME, "SELECT * FROM items ORDER BY (SELECT SLEEP(5))");
	POS(M, DPI_SQLI_TIME, "SELECT SLEEP(5) FROM users");
	POS(M, DPI_SQLI_TIME, "SELECT * FROM items WHERE id = 1; WAITFOR DELAY '0:0:5'");
	POS(M, DPI_SQLI_TIME, "SELECT * FROM items WHERE id = 1 AND 1=DBMS_PIPE.RECEIVE_MESSAGE('a',5)");
	POS(P, DPI_SQLI_TIME, "SELECT * FROM items ORDER BY (SELECT pg_sleep(5))");
	POS(P, DPI_SQLI_TIME, "SELECT * FROM items WHERE id = 1 AND (SELECT 1 FROM pg_sleep(5)) IS NULL");
	POS(P, DPI_SQLI_TIME, "UPDATE items SET n = 1 WHERE id = 1 AND pg_sleep_for('5 seconds') IS NULL");
	/* a statement that only calls one: health checks, tests, locks */
	NEG(P, "SELECT pg_sleep(0.1)");
	NEG(M, "SELECT SLEEP(1)");
	NEG(M, "DO SLEEP(0.5)");
	NEG(M, "SELECT BENCHMARK(1000000, MD5('test'))");
	NEG(M, "SELECT GET_LOCK('schema_migrations', 10)");
	NEG(M, "SELECT GET_LOCK('cron', 0) FROM DUAL");
	NEG(P, "DO $$ BEGIN PERFORM pg_sleep(0.2); END $$");
	NEG(P, "SELECT id FROM t WHERE note = 'SLEEP(5)' AND body = $$pg_sleep(1)$$");
}

static void test_error_oob(void)
{
	POS(M, DPI_SQLI_ERROR, "SELECT * FROM items WHERE id = 1 AND extractvalue(1,concat(0x7e,version()))");
	POS(M, DPI_SQLI_ERROR, "SELECT * FROM items WHERE id = 1 AND updatexml(null,concat(0x0a,(SELECT user())),null)");
	POS(M, DPI_SQLI_ERROR, "SELECT * FROM items WHERE id = 1 AND GTID_SUBSET(CONCAT(0x7e,(SELECT user()),0x7e),1)");
	POS(M, DPI_SQLI_ERROR, "SELECT * FROM items WHERE id = 1 AND EXP(~(SELECT * FROM (SELECT user())x))");
	POS(M, DPI_SQLI_ERROR, "SELECT * FROM items WHERE id = 1 AND (SELECT 1 FROM (SELECT COUNT(*),CONCAT(version(),"
			       "FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)a)");
	POS(M, DPI_SQLI_ERROR, "SELECT * FROM items WHERE id = 1 AND POLYGON((SELECT * FROM (SELECT * FROM (SELECT @@version) f) x))");
	POS(P, DPI_SQLI_ERROR, "SELECT * FROM items WHERE id = 1 AND CAST(version() AS int) = 1");
	POS(P, DPI_SQLI_ERROR, "SELECT * FROM items WHERE id = 1 AND 1=CAST((SELECT current_user) AS int)");
	POS(P, DPI_SQLI_ERROR, "SELECT * FROM items WHERE id = 1 AND version()::int = 1");
	POS(M, DPI_SQLI_ERROR, "SELECT * FROM items WHERE id = 1 AND 1=CONVERT(int, (SELECT @@version))");
	POS(M, DPI_SQLI_OOB, "SELECT * FROM items WHERE id = 1 AND LOAD_FILE('/etc/passwd') IS NOT NULL");
	POS(M, DPI_SQLI_OOB, "SELECT * FROM items WHERE id = 1; EXEC xp_cmdshell 'whoami'");
	POS(M, DPI_SQLI_OOB, "SELECT * FROM items WHERE id = 1 INTO OUTFILE '/tmp/x'");
	POS(P, DPI_SQLI_OOB, "SELECT * FROM items WHERE id = 1 AND (SELECT pg_read_file('/etc/passwd')) IS NOT NULL");
	POS(P, DPI_SQLI_OOB, "SELECT * FROM items WHERE id = 1 AND 1=UTL_INADDR.GET_HOST_NAME('x')");
	POS(M, DPI_SQLI_CLAUSE, "SELECT * FROM items WHERE id = 1 PROCEDURE ANALYSE()");
	NEG(M, "SELECT ExtractValue(doc, '/invoice/total') FROM xml_invoices WHERE id = 31");
	NEG(M, "SELECT id FROM xml_invoices WHERE ExtractValue(doc, '/invoice/@currency') = 'CHF'");
	NEG(M, "UPDATE xml_invoices SET doc = UpdateXML(doc, '/a', '<a>x</a>') WHERE id = 31");
	NEG(M, "SELECT GTID_SUBSET('3E11FA47-71CA-11E1-9E33-C80AA9429562:21-57', @@GLOBAL.gtid_executed)");
	NEG(M, "SELECT LOAD_FILE('/var/lib/mysql-files/seed.csv')");
	NEG(M, "SELECT id, name INTO OUTFILE '/var/lib/mysql-files/x.csv' FROM products");
	NEG(P, "SELECT CAST(count(*) AS int) FROM orders WHERE status = 'open'");
	NEG(P, "SELECT version()::text");
	NEG(P, "SELECT id FROM t WHERE FLOOR(RAND()*10) = 3 AND exp(x) > 1");
	NEG(P, "COPY (SELECT id FROM users WHERE active) TO STDOUT WITH CSV HEADER");
}

static void test_benign_shapes(void)
{
	NEG2("SELECT 1");
	NEG(M, "SELECT version()");
	NEG(M, "SELECT @@version_comment limit 1");
	NEG(M, "SHOW VARIABLES LIKE 'sql_mode'");
	NEG(M, "SET NAMES utf8mb4");
	NEG(P, "SELECT current_database(), current_user");
	NEG(M, "SELECT column_name FROM information_schema.columns WHERE table_name = 'u' AND table_schema = DATABASE()");
	NEG(P, "SELECT c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	       "WHERE c.relname OPERATOR(pg_catalog.~) '^(orders)$' COLLATE pg_catalog.default AND "
	       "pg_catalog.pg_table_is_visible(c.oid) ORDER BY 2, 3;");
	NEG(P, "UPDATE pgbench_accounts SET abalance = abalance + -3377 WHERE aid = 9699;");
	NEG(P, "SELECT abalance FROM pgbench_accounts WHERE aid = $1;");
	NEG(M, "SELECT * FROM users WHERE name = 'O\\'Brien' OR name = 'O''Neil'");
	NEG(P, "SELECT * FROM users WHERE name = 'O''Brien'");
	/* attack text stored by an application that escapes properly */
	NEG(M, "SELECT * FROM t WHERE name = 'admin\\'-- ' AND x = 1");
	NEG(M, "INSERT INTO t (a) VALUES ('\\' OR \\'1\\'=\\'1')");
	NEG(P, "INSERT INTO t (a) VALUES (''' OR ''1''=''1'), (''' UNION SELECT version()--')");
	NEG(P, "SELECT * FROM t WHERE a = '1; DROP TABLE users' AND b = '1 OR 1=1'");
}

/* -------------------------------------------------------------------- API */

static void test_api(void)
{
	struct dpi_sqli_stmt_result r;
	const char *q = "SELECT * FROM t WHERE id = 1 OR 1=1";
	uint8_t *g;

	CHECK_EQ(dpi_sqli_stmt_selftest(), 0);
	memset(&r, 0x5a, sizeof(r));
	CHECK_EQ(dpi_sqli_stmt_check(M, (const uint8_t *)q, strlen(q), NULL), -EINVAL);
	CHECK_EQ(dpi_sqli_stmt_check(M, NULL, 1, &r), -EINVAL);
	CHECK_EQ(dpi_sqli_stmt_check((enum dpi_sql_dialect)7, (const uint8_t *)q, strlen(q), &r), -EINVAL);
	CHECK_EQ(r.score, 0x5a5a5a5a); /* untouched on failure */
	CHECK_EQ(dpi_sqli_stmt_check(M, NULL, 0, &r), 0);
	CHECK(r.reason && !r.reason[0] && r.family == DPI_SQLI_NONE && r.flags == 0);
	g = guard_dup("", 0);
	CHECK_EQ(dpi_sqli_stmt_check(P, g, 0, &r), 0);
	guard_free(g, 0);
	/* the fragment points at the evidence */
	CHECK_EQ(check_stmt(M, q, strlen(q), &r), 1);
	CHECK_EQ(r.off, 29);
	CHECK_EQ(r.len, 6);
	CHECK(!strcmp(r.reason, "or-tautology"));
	CHECK_EQ(r.family, DPI_SQLI_TAUTOLOGY);
	CHECK(r.score >= DPI_SQLI_STMT_THRESHOLD && r.score <= 100);
	/* unterminated literals, identifiers, comments; stray bytes */
	NEG2("SELECT * FROM t WHERE a = 'abc");
	NEG2("SELECT * FROM t WHERE a = \"abc");
	NEG(M, "SELECT * FROM `t WHERE a = 1");
	NEG(P, "SELECT * FROM t WHERE a = $x$abc");
	NEG(M, "/*!50000 SELECT 1");
	NEG2("/*");
	NEG2("'");
	NEG2(";;;");
	NEG2("OR");
	NEG2("OR 1=1");
	NEG2("UNION SELECT");
	NEG2("\x01\x02\xff\xfe");
	POS(M, -1, "SELECT * FROM t WHERE a = 'x' OR 1=1 AND b = 'abc");
}

/* Long and deep texts: bounded time, no faults, the cap reported. */
static void test_bounds(void)
{
	static const char tail[] = " OR 1=1";
	size_t big = 1u << 20, n;
	struct dpi_sqli_stmt_result r;
	struct timespec t0, t1;
	uint64_t seed = 0x5137;
	char *buf = malloc(big + 64);
	double ms;

	if (!buf) {
		CHECK(0);
		return;
	}
	/* 1 MB of a benign IN list, then an injection past the token cap */
	n = (size_t)snprintf(buf, big, "SELECT * FROM t WHERE id IN (");
	while (n + 16 < big) {
		memcpy(buf + n, "12345,", 6);
		n += 6;
	}
	memcpy(buf + n, "1)", 2);
	n += 2;
	memcpy(buf + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(check_stmt(M, buf, n, &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK(r.flags & DPI_SQLI_STMT_F_TRUNCATED);
	CHECK(ms < 1000);
	printf("  1 MB statement: %.2f ms\n", ms);
	/* 1 MB of ORs with constant operands: lookahead stays in its budget */
	n = 0;
	while (n + 16 < big) {
		memcpy(buf + n, "a OR 1+1+1+1 ", 13);
		n += 13;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(check_stmt(P, buf, n, &r) >= 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK(ms < 1000);
	printf("  1 MB of ORs: %.2f ms\n", ms);
	/* deep nesting */
	memset(buf, '(', big);
	CHECK(check_stmt(M, buf, big, &r) >= 0);
	n = (size_t)snprintf(buf, 64, "SELECT * FROM t WHERE a = 1 OR ");
	memset(buf + n, '(', 4000);
	CHECK(check_stmt(P, buf, n + 4000, &r) >= 0);
	/* short evidence is found, one byte before the guard page */
	CHECK_EQ(check_stmt(M, "SELECT a FROM t WHERE b = 1 OR 1", 32, &r), 1);
	CHECK_EQ(check_stmt(M, "SELECT a FROM t WHERE b = 'x'-- '", 33, &r), 1);
	CHECK_EQ(check_stmt(P, "SELECT a FROM t WHERE b = 1; DROP", 33, &r), 1);
	/* random texts from SQL-ish bytes */
	for (int k = 0; k < 4000; k++) {
		static const char alphabet[] = "'\"()-#/*!;=<>|&%01xaORUNIONSELECTWHERE ,.\\`@$:~";
		size_t len = bh_xorshift(&seed) % 300;

		for (size_t i = 0; i < len; i++) {
			uint32_t x = bh_xorshift(&seed);

			buf[i] = (x & 3) ? alphabet[x % (sizeof(alphabet) - 1)] : (char)(x >> 8);
		}
		CHECK(check_stmt(k & 1 ? P : M, buf, len, &r) >= 0);
	}
	free(buf);
}

/* ---------------------------------------------------------------- corpus */


/* Undo the corpus escapes of an upper-case line in place; returns the length. */
static size_t unescape(char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len) {
			char c = s[++i];

			s[o++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
		} else {
			s[o++] = s[i];
		}
	}
	return o;
}

#define MAX_TAGS 32

struct tally {
	char tag[MAX_TAGS][32];
	size_t lines[MAX_TAGS], wrong[MAX_TAGS];
	unsigned ntags;
};

static void tally(struct tally *t, const char *tag, size_t tlen, bool wrong)
{
	unsigned i;

	if (tlen >= sizeof(t->tag[0]))
		tlen = sizeof(t->tag[0]) - 1;
	for (i = 0; i < t->ntags; i++)
		if (strlen(t->tag[i]) == tlen && !memcmp(t->tag[i], tag, tlen))
			break;
	if (i == t->ntags) {
		if (t->ntags == MAX_TAGS)
			return;
		memcpy(t->tag[i], tag, tlen);
		t->tag[i][tlen] = 0;
		t->ntags++;
	}
	t->lines[i]++;
	t->wrong[i] += wrong;
}

/* Run every line; count those whose verdict is @want, print the first 25
 * others. Returns the number of lines. */
static size_t run_corpus(struct bh_corpus *c, int want, const char *what, size_t *ret_ok)
{
	size_t lines = 0, ok = 0, shown = 0, start = 0;
	struct tally t;

	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i <= c->size; i++) {
		struct dpi_sqli_stmt_result r;
		char *line = c->data + start, *tag, *sql;
		size_t len = i - start;
		enum dpi_sql_dialect d;
		int rc;

		if (i < c->size && c->data[i] != '\n')
			continue;
		start = i + 1;
		if (len < 4 || !(tag = memchr(line, '\t', len)) ||
		    !(sql = memchr(tag + 1, '\t', len - (size_t)(tag + 1 - line)))) {
			CHECK(len == 0);
			continue;
		}
		tag++;
		sql++;
		len -= (size_t)(sql - line);
		d = (line[0] | 0x20) == 'p' ? P : M;
		if (line[0] == 'M' || line[0] == 'P')
			len = unescape(sql, len);
		lines++;
		rc = check_stmt(d, sql, len, &r);
		CHECK(rc >= 0);
		tally(&t, tag, (size_t)(sql - 1 - tag), rc != want);
		if (rc == want)
			ok++;
		else if (shown++ < 25)
			printf("  %s (%c): %.*s%s%s\n", what, line[0], (int)(len > 400 ? 400 : len), sql,
			       want ? "" : "   <- ", want ? "" : r.reason);
	}
	for (unsigned k = 0; k < t.ntags; k++)
		printf("  %-8s %-18s %6zu lines, %4zu %s\n", want ? "attack" : "benign", t.tag[k],
		       t.lines[k], t.wrong[k], what);
	*ret_ok = ok;
	return lines;
}

static const char *corpus_dir = "tests/data/sqli-stmt";

static void test_corpus(void)
{
	struct bh_corpus atk, ben;
	size_t na, nb, tp, tn;
	double tpr, fpr;

	if (bh_corpus_load(corpus_dir, "attack.txt", &atk) < 0 || bh_corpus_load(corpus_dir, "benign.txt", &ben) < 0) {
		fprintf(stderr, "corpus not found in %s (pass the directory as argv[1])\n", corpus_dir);
		CHECK(0);
		return;
	}
	na = run_corpus(&atk, 1, "missed", &tp);
	nb = run_corpus(&ben, 0, "flagged", &tn);
	tpr = na ? 100.0 * (double)tp / (double)na : 0;
	fpr = nb ? 100.0 * (double)(nb - tn) / (double)nb : 100;
	printf("corpus: attack %zu statements, TPR %.3f%% (%zu/%zu, %zu missed); benign %zu statements, "
	       "FPR %.3f%% (%zu/%zu flagged)\n",
	       na, tpr, tp, na, na - tp, nb, fpr, nb - tn, nb);
	CHECK(na >= 2000);
	CHECK(nb >= 3000);
	CHECK(tpr >= 95.0);
	CHECK(fpr <= 0.1);
	free(atk.data);
	free(ben.data);
}

int main(int argc, char **argv)
{
	const char *env = getenv("BH_SQLI_STMT_CORPUS");

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
	RUN(test_benign_shapes);
	RUN(test_api);
	RUN(test_bounds);
	RUN(test_corpus);
	return bh_test_summary();
}
