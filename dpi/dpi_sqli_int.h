/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sqli_int.h - what the SQL injection detector's two halves share: the
 * keyword ids and flags, the token classes, the parser state and the
 * grammar's entry points. dpi_sqli.c holds the keyword table, folds the
 * lexer's tokens into classes and runs the readings; dpi_sqli_grammar.c
 * reads the tokens and records evidence. Not part of the module's API.
 */
#ifndef DPI_SQLI_INT_H
#define DPI_SQLI_INT_H

#include <stdbool.h>
#include <stdint.h>

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

/* The KF_* flags of keyword @kw (0 for K_NONE). */
unsigned dpi_sqli_kw_flags(unsigned kw);

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

/* One operand at the cursor: a value, call, subquery, ...; returns what it
 * contains (S_*). */
unsigned dpi_sqli_operand(struct ps *p);
/* What follows the value's first operand (as-is) or the string break, to
 * the end; @first: summary (S_*) of the operand the fragment continues. */
void dpi_sqli_tail(struct ps *p, unsigned first, bool quoted);

#endif
