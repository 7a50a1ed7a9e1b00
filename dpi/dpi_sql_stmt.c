/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sql_stmt.c - the kinds of statement: which verb a statement's first
 * word makes it (synonyms and the dialects' differences included), and, for
 * each verb, how its head names tables: INSERT INTO t, DELETE t1, t2 FROM ..,
 * the DDL heads (CREATE/DROP/ALTER of tables, views, indexes, triggers,
 * rules, policies), GRANT ON, SHOW, EXPLAIN, maintenance commands, and the
 * statements that nest another one (EXPLAIN, PREPARE .. AS, DECLARE .. FOR).
 *
 * dpi_sql_dispatch() reads the head only; the clauses after it (FROM, JOIN,
 * subqueries, ...) are the level scan's in dpi_sql.c, whose cursor and name
 * readers (dpi_sql_int.h) this file uses.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dpi_sql.h"
#include "bulkhead/dpi.h"
#include "dpi_sql_int.h"

static const char *const verb_names[DPI_SQL_VERB__MAX] = {
	[DPI_SQL_VERB_NONE] = "NONE",         [DPI_SQL_VERB_OTHER] = "OTHER",
	[DPI_SQL_VERB_SELECT] = "SELECT",     [DPI_SQL_VERB_INSERT] = "INSERT",
	[DPI_SQL_VERB_UPDATE] = "UPDATE",     [DPI_SQL_VERB_DELETE] = "DELETE",
	[DPI_SQL_VERB_REPLACE] = "REPLACE",   [DPI_SQL_VERB_MERGE] = "MERGE",
	[DPI_SQL_VERB_CREATE] = "CREATE",     [DPI_SQL_VERB_DROP] = "DROP",
	[DPI_SQL_VERB_ALTER] = "ALTER",       [DPI_SQL_VERB_RENAME] = "RENAME",
	[DPI_SQL_VERB_TRUNCATE] = "TRUNCATE", [DPI_SQL_VERB_GRANT] = "GRANT",
	[DPI_SQL_VERB_REVOKE] = "REVOKE",     [DPI_SQL_VERB_CALL] = "CALL",
	[DPI_SQL_VERB_EXECUTE] = "EXECUTE",   [DPI_SQL_VERB_PREPARE] = "PREPARE",
	[DPI_SQL_VERB_DEALLOCATE] = "DEALLOCATE", [DPI_SQL_VERB_SET] = "SET",
	[DPI_SQL_VERB_SHOW] = "SHOW",         [DPI_SQL_VERB_USE] = "USE",
	[DPI_SQL_VERB_BEGIN] = "BEGIN",       [DPI_SQL_VERB_START] = "START",
	[DPI_SQL_VERB_COMMIT] = "COMMIT",     [DPI_SQL_VERB_ROLLBACK] = "ROLLBACK",
	[DPI_SQL_VERB_SAVEPOINT] = "SAVEPOINT", [DPI_SQL_VERB_RELEASE] = "RELEASE",
	[DPI_SQL_VERB_EXPLAIN] = "EXPLAIN",   [DPI_SQL_VERB_DESCRIBE] = "DESCRIBE",
	[DPI_SQL_VERB_COPY] = "COPY",         [DPI_SQL_VERB_LOCK] = "LOCK",
	[DPI_SQL_VERB_UNLOCK] = "UNLOCK",     [DPI_SQL_VERB_ANALYZE] = "ANALYZE",
	[DPI_SQL_VERB_VACUUM] = "VACUUM",     [DPI_SQL_VERB_LOAD] = "LOAD",
	[DPI_SQL_VERB_HANDLER] = "HANDLER",   [DPI_SQL_VERB_DO] = "DO",
	[DPI_SQL_VERB_LISTEN] = "LISTEN",     [DPI_SQL_VERB_UNLISTEN] = "UNLISTEN",
	[DPI_SQL_VERB_NOTIFY] = "NOTIFY",     [DPI_SQL_VERB_DECLARE] = "DECLARE",
	[DPI_SQL_VERB_FETCH] = "FETCH",       [DPI_SQL_VERB_CLOSE] = "CLOSE",
};

const char *dpi_sql_verb_name(unsigned v)
{
	return v < DPI_SQL_VERB__MAX && verb_names[v] ? verb_names[v] : "NONE";
}

/* -------------------------------------------------------- statement heads */

static uint8_t verb_of(const struct sp *p, enum kw k)
{
	switch (k) {
	case KW_SELECT:
	case KW_VALUES:
	case KW_TABLE: return DPI_SQL_VERB_SELECT;
	case KW_INSERT: return DPI_SQL_VERB_INSERT;
	case KW_UPDATE: return DPI_SQL_VERB_UPDATE;
	case KW_DELETE: return DPI_SQL_VERB_DELETE;
	case KW_REPLACE: return DPI_SQL_VERB_REPLACE;
	case KW_MERGE: return DPI_SQL_VERB_MERGE;
	case KW_CREATE: return DPI_SQL_VERB_CREATE;
	case KW_DROP:
		return dpi_sql_peek_kw(p, 1) == KW_PREPARE ? DPI_SQL_VERB_DEALLOCATE
							   : DPI_SQL_VERB_DROP;
	case KW_ALTER: return DPI_SQL_VERB_ALTER;
	case KW_RENAME: return DPI_SQL_VERB_RENAME;
	case KW_TRUNCATE: return DPI_SQL_VERB_TRUNCATE;
	case KW_GRANT: return DPI_SQL_VERB_GRANT;
	case KW_REVOKE: return DPI_SQL_VERB_REVOKE;
	case KW_CALL: return DPI_SQL_VERB_CALL;
	case KW_EXEC:
	case KW_EXECUTE: return DPI_SQL_VERB_EXECUTE;
	case KW_PREPARE: return DPI_SQL_VERB_PREPARE;
	case KW_DEALLOCATE: return DPI_SQL_VERB_DEALLOCATE;
	case KW_SET: return DPI_SQL_VERB_SET;
	case KW_SHOW: return DPI_SQL_VERB_SHOW;
	case KW_USE: return DPI_SQL_VERB_USE;
	case KW_BEGIN: return DPI_SQL_VERB_BEGIN;
	case KW_START: return DPI_SQL_VERB_START;
	case KW_COMMIT: return DPI_SQL_VERB_COMMIT;
	case KW_ROLLBACK: return DPI_SQL_VERB_ROLLBACK;
	case KW_SAVEPOINT: return DPI_SQL_VERB_SAVEPOINT;
	case KW_RELEASE: return DPI_SQL_VERB_RELEASE;
	case KW_EXPLAIN: return DPI_SQL_VERB_EXPLAIN;
	case KW_DESC:
	case KW_DESCRIBE: return DPI_SQL_VERB_DESCRIBE;
	case KW_COPY: return DPI_SQL_VERB_COPY;
	case KW_LOCK: return DPI_SQL_VERB_LOCK;
	case KW_UNLOCK: return DPI_SQL_VERB_UNLOCK;
	case KW_ANALYSE:
	case KW_ANALYZE: return DPI_SQL_VERB_ANALYZE;
	case KW_VACUUM: return DPI_SQL_VERB_VACUUM;
	case KW_LOAD: return DPI_SQL_VERB_LOAD;
	case KW_HANDLER: return DPI_SQL_VERB_HANDLER;
	case KW_DO: return DPI_SQL_VERB_DO;
	case KW_LISTEN: return DPI_SQL_VERB_LISTEN;
	case KW_UNLISTEN: return DPI_SQL_VERB_UNLISTEN;
	case KW_NOTIFY: return DPI_SQL_VERB_NOTIFY;
	case KW_DECLARE: return DPI_SQL_VERB_DECLARE;
	case KW_FETCH: return DPI_SQL_VERB_FETCH;
	case KW_CLOSE: return DPI_SQL_VERB_CLOSE;
	case KW_END: return p->mysql ? DPI_SQL_VERB_OTHER : DPI_SQL_VERB_COMMIT;
	case KW_ABORT: return p->mysql ? DPI_SQL_VERB_OTHER : DPI_SQL_VERB_ROLLBACK;
	default: return DPI_SQL_VERB_OTHER;
	}
}

static void skip_if_exists(struct sp *p)
{
	if (cur_kw(p, KW_IF)) {
		dpi_sql_advance(p);
		if (cur_kw(p, KW_NOT))
			dpi_sql_advance(p);
		if (cur_kw(p, KW_EXISTS))
			dpi_sql_advance(p);
	}
}

/* Advance to ON within a DDL head (CREATE INDEX i .. ON t, triggers,
 * rules, policies, MySQL DROP INDEX i ON t). */
static bool skip_to_on(struct sp *p)
{
	for (unsigned i = 0; i < 64; i++) {
		if (cur_kw(p, KW_ON))
			return true;
		if (p->eof || cur_punct(p, ';') || cur_punct(p, '(') || cur_punct(p, ')'))
			return false;
		dpi_sql_advance(p);
	}
	return false;
}

/* The object keyword of a CREATE/DROP/ALTER within the next @max tokens
 * (after OR REPLACE, TEMPORARY, DEFINER=.., ALGORITHM=.., ...). */
static enum kw find_kind(struct sp *p, unsigned max, const enum kw *kinds, size_t nkinds)
{
	for (unsigned i = 0; i < max; i++) {
		if (p->eof || cur_punct(p, ';') || cur_punct(p, '(') || cur_punct(p, ')'))
			return KW_NONE;
		for (size_t k = 0; k < nkinds; k++)
			if (p->cur.kw == kinds[k])
				return kinds[k];
		dpi_sql_advance(p);
	}
	return KW_NONE;
}

static void head_create(struct sp *p, struct level *lv)
{
	static const enum kw kinds[] = {KW_TABLE,     KW_VIEW,      KW_INDEX, KW_TRIGGER,
					KW_FUNCTION,  KW_PROCEDURE, KW_EVENT, KW_RULE,
					KW_POLICY};
	enum kw kind = find_kind(p, 24, kinds, sizeof(kinds) / sizeof(kinds[0]));

	if (kind == KW_NONE)
		return;
	dpi_sql_advance(p);
	switch (kind) {
	case KW_TABLE:
	case KW_VIEW:
		skip_if_exists(p);
		dpi_sql_parse_table_ref(p, lv, NAMEONLY);
		if (cur_kw(p, KW_LIKE)) {
			dpi_sql_advance(p);
			dpi_sql_parse_table_ref(p, lv, NAMEONLY);
		} else if (cur_punct(p, '(')) {
			dpi_sql_paren(p, lv, P_LIKE, false);
		} else if (cur_kw(p, KW_PARTITION) && dpi_sql_peek_kw(p, 1) == KW_OF) {
			dpi_sql_advance(p);
			dpi_sql_advance(p);
			dpi_sql_parse_table_ref(p, lv, NAMEONLY);
		}
		break;
	case KW_INDEX:
	case KW_TRIGGER:
	case KW_POLICY:
		if (skip_to_on(p)) {
			dpi_sql_advance(p);
			dpi_sql_parse_table_ref(p, lv, NAMEONLY);
		}
		lv->body = kind == KW_TRIGGER;
		break;
	case KW_RULE: /* CREATE RULE r AS ON SELECT TO t DO ... */
		if (skip_to_on(p)) {
			dpi_sql_advance(p);
			dpi_sql_advance(p);
			if (cur_kw(p, KW_TO)) {
				dpi_sql_advance(p);
				dpi_sql_parse_table_ref(p, lv, NAMEONLY);
			}
		}
		lv->body = true;
		break;
	default: /* FUNCTION, PROCEDURE, EVENT: the body may hold statements */
		lv->body = true;
		break;
	}
}

static void head_drop(struct sp *p, struct level *lv)
{
	static const enum kw kinds[] = {KW_TABLE,   KW_TABLES, KW_VIEW,   KW_INDEX,
					KW_TRIGGER, KW_RULE,   KW_POLICY, KW_PREPARE};
	enum kw kind = find_kind(p, 8, kinds, sizeof(kinds) / sizeof(kinds[0]));

	switch (kind) {
	case KW_TABLE:
	case KW_TABLES:
	case KW_VIEW:
		dpi_sql_advance(p);
		skip_if_exists(p);
		lv->in_from = true;
		lv->refs_targets = true;
		dpi_sql_parse_table_ref(p, lv, TARGET);
		break;
	case KW_INDEX:
	case KW_TRIGGER:
	case KW_RULE:
	case KW_POLICY:
		if (skip_to_on(p)) {
			dpi_sql_advance(p);
			dpi_sql_parse_table_ref(p, lv, NAMEONLY);
		}
		break;
	default:
		break;
	}
}

static void head_alter(struct sp *p, struct level *lv)
{
	static const enum kw kinds[] = {KW_TABLE, KW_VIEW};

	if (find_kind(p, 16, kinds, 2) == KW_NONE)
		return;
	dpi_sql_advance(p);
	skip_if_exists(p);
	if (cur_kw(p, KW_ALL)) /* ALTER TABLE ALL IN TABLESPACE */
		return;
	dpi_sql_parse_table_ref(p, lv, NAMEONLY);
	lv->alter_table = true;
}

static bool word_in(const struct sp *p, const char *const *words)
{
	for (; *words; words++)
		if (dpi_sql_word_is(&p->cur.t, *words))
			return true;
	return false;
}

/* GRANT/REVOKE privileges ON [TABLE] t, ... (MySQL: *, *.*, db.*, db.t;
 * PostgreSQL: ALL TABLES IN SCHEMA s, reported as "s.*"). */
static void head_grant(struct sp *p, struct level *lv)
{
	static const char *const not_tables[] = {
		"SEQUENCE", "DATABASE", "DOMAIN",     "FOREIGN", "LANGUAGE",  "LARGE",
		"SCHEMA",   "TYPE",     "TABLESPACE", "ROUTINE", "PARAMETER", "ALL",
		"FUNCTION", "PROCEDURE", NULL};
	static const struct dpi_slice star = {(const uint8_t *)"*", 1};
	struct name n, j;

	dpi_sql_advance(p);
	while (!p->eof && !cur_punct(p, ';') && !cur_kw(p, KW_ON)) {
		if (cur_kw(p, KW_TO) || cur_kw(p, KW_FROM) || (lv->in_paren && cur_punct(p, ')')))
			return;
		if (cur_punct(p, '('))
			dpi_sql_paren(p, lv, P_SUB, false);
		else
			dpi_sql_advance(p);
	}
	if (!cur_kw(p, KW_ON))
		return;
	dpi_sql_advance(p);
	if (!p->mysql && cur_kw(p, KW_ALL) && dpi_sql_peek_kw(p, 1) == KW_TABLES) {
		dpi_sql_advance(p);
		dpi_sql_advance(p);
		if (cur_kw(p, KW_IN))
			dpi_sql_advance(p);
		if (cur_kw(p, KW_SCHEMA))
			dpi_sql_advance(p);
		do {
			if (dpi_sql_parse_name(p, false, 1, &n) &&
			    dpi_sql_name_join(p, &n.s, &star, n.flags, &j))
				dpi_sql_report(p, &j, false);
		} while (cur_punct(p, ',') && (dpi_sql_advance(p), true));
		return;
	}
	if (cur_kw(p, KW_TABLE))
		dpi_sql_advance(p);
	else if (word_in(p, not_tables))
		return;
	do {
		if (!dpi_sql_parse_name(p, true, 3, &n))
			return;
		dpi_sql_report(p, &n, false);
	} while (cur_punct(p, ',') && (dpi_sql_advance(p), true));
}

/* SHOW [FULL] COLUMNS|INDEX.. FROM t [FROM db], SHOW CREATE TABLE|VIEW t. */
static void head_show(struct sp *p, struct level *lv)
{
	struct name n, db, j;

	dpi_sql_advance(p);
	while (cur_kw(p, KW_FULL) || cur_kw(p, KW_EXTENDED))
		dpi_sql_advance(p);
	if (cur_kw(p, KW_COLUMNS) || cur_kw(p, KW_FIELDS) || cur_kw(p, KW_INDEX) ||
	    cur_kw(p, KW_INDEXES) || cur_kw(p, KW_KEYS)) {
		dpi_sql_advance(p);
		if (!cur_kw(p, KW_FROM) && !cur_kw(p, KW_IN))
			return;
		dpi_sql_advance(p);
		if (!dpi_sql_parse_name(p, false, 2, &n))
			return;
		if (n.parts == 1 && (cur_kw(p, KW_FROM) || cur_kw(p, KW_IN))) {
			dpi_sql_advance(p);
			if (dpi_sql_parse_name(p, false, 1, &db) &&
			    dpi_sql_name_join(p, &db.s, &n.s, db.flags | n.flags, &j)) {
				dpi_sql_report(p, &j, false);
				return;
			}
		}
		dpi_sql_report(p, &n, false);
	} else if (cur_kw(p, KW_CREATE) &&
		   (dpi_sql_peek_kw(p, 1) == KW_TABLE || dpi_sql_peek_kw(p, 1) == KW_VIEW)) {
		dpi_sql_advance(p);
		dpi_sql_advance(p);
		dpi_sql_parse_table_ref(p, lv, NAMEONLY);
	}
}

/* EXPLAIN/DESCRIBE [options] statement, or MySQL DESCRIBE t. */
static void head_explain(struct sp *p, struct level *lv)
{
	dpi_sql_advance(p);
	for (;;) {
		if (cur_kw(p, KW_ANALYZE) || cur_kw(p, KW_ANALYSE) || cur_kw(p, KW_VERBOSE) ||
		    cur_kw(p, KW_EXTENDED) || cur_kw(p, KW_PARTITIONS)) {
			dpi_sql_advance(p);
		} else if (cur_kw(p, KW_FORMAT)) {
			dpi_sql_advance(p);
			if (cur_op(p, "="))
				dpi_sql_advance(p);
			dpi_sql_advance(p);
		} else if (cur_punct(p, '(') &&
			   !(dpi_sql_kw_flags(dpi_sql_peek_kw(p, 1)) & KF_STMT)) {
			dpi_sql_paren(p, lv, P_SUB, false); /* PostgreSQL (ANALYZE, BUFFERS) */
		} else {
			break;
		}
	}
	if (p->eof || cur_kw(p, KW_FOR)) /* MySQL EXPLAIN FOR CONNECTION n */
		return;
	if (cur_punct(p, '('))
		dpi_sql_paren(p, lv, P_SUB, false);
	else if (p->cur.t.type == DPI_SQL_TOK_WORD && verb_of(p, p->cur.kw) != DPI_SQL_VERB_OTHER)
		dpi_sql_dispatch(p, lv, false);
	else
		dpi_sql_parse_table_ref(p, lv, NAMEONLY);
}

/* ANALYZE/VACUUM [options] [t [(cols)], ...]; MySQL ANALYZE TABLE t, ... */
static void head_maintenance(struct sp *p, struct level *lv)
{
	dpi_sql_advance(p);
	for (;;) {
		if (cur_kw(p, KW_VERBOSE) || cur_kw(p, KW_FULL) || cur_kw(p, KW_FREEZE) ||
		    cur_kw(p, KW_ANALYZE) || cur_kw(p, KW_ANALYSE) || cur_kw(p, KW_SKIP_LOCKED) ||
		    cur_kw(p, KW_NO_WRITE_TO_BINLOG) || cur_kw(p, KW_LOCAL) || cur_kw(p, KW_TABLE))
			dpi_sql_advance(p);
		else if (cur_punct(p, '('))
			dpi_sql_paren(p, lv, P_SUB, false);
		else
			break;
	}
	if (dpi_sql_cur_name_token(p, false)) {
		lv->in_from = true;
		lv->refs_targets = true;
		dpi_sql_parse_table_ref(p, lv, TARGET);
	}
}

static void skip_modifiers(struct sp *p, const enum kw *mods)
{
	for (bool again = true; again;) {
		again = false;
		for (const enum kw *m = mods; *m != KW_NONE; m++)
			if (cur_kw(p, *m)) {
				dpi_sql_advance(p);
				again = true;
			}
	}
}

/*
 * A statement starting at cur (a word): sets the level's verb, records it
 * (as the statement's verb when @top), reads the head that names tables in
 * a verb-specific way and leaves the rest to scan_level() (dpi_sql.c).
 * Returns the verb.
 */
uint8_t dpi_sql_dispatch(struct sp *p, struct level *lv, bool top)
{
	static const enum kw ins_mods[] = {KW_LOW_PRIORITY, KW_DELAYED, KW_HIGH_PRIORITY,
					   KW_IGNORE, KW_NONE};
	static const enum kw del_mods[] = {KW_LOW_PRIORITY, KW_QUICK, KW_IGNORE, KW_NONE};
	enum kw k = p->cur.kw;
	uint8_t v;

	if (!enter(p)) {
		dpi_sql_advance(p);
		return 0;
	}
	if (k == KW_WITH && dpi_sql_is_cte_with(p)) {
		dpi_sql_parse_with(p, lv);
		v = dpi_sql_level_start(p, lv, top);
		if (!v && !p->eof && p->cur.t.type == DPI_SQL_TOK_WORD)
			v = dpi_sql_dispatch(p, lv, top); /* WITH .. UPDATE/DELETE etc. */
		leave(p);
		return v;
	}
	v = verb_of(p, k);
	if (top && p->st->verb == DPI_SQL_VERB_NONE) {
		p->st->verb = v;
		p->st->word = p->cur.t.text;
	}
	p->st->verbs |= 1ull << v;
	lv->verb = v;
	lv->is_query = false;
	lv->in_from = false;
	lv->refs_targets = false;
	lv->alter_table = false;

	switch (k) {
	case KW_SELECT:
		dpi_sql_advance(p);
		lv->is_query = true;
		break;
	case KW_TABLE:
		dpi_sql_advance(p);
		dpi_sql_parse_table_ref(p, lv, REF);
		break;
	case KW_INSERT:
	case KW_REPLACE:
		dpi_sql_advance(p);
		skip_modifiers(p, ins_mods);
		if (cur_kw(p, KW_INTO))
			dpi_sql_advance(p);
		dpi_sql_parse_table_ref(p, lv, TARGET);
		break;
	case KW_UPDATE:
		dpi_sql_advance(p);
		skip_modifiers(p, del_mods);
		lv->is_query = true;
		lv->in_from = true;
		dpi_sql_parse_table_ref(p, lv, TARGET);
		break;
	case KW_DELETE:
		dpi_sql_advance(p);
		skip_modifiers(p, del_mods);
		lv->is_query = true;
		if (cur_kw(p, KW_FROM)) {
			/* DELETE FROM t [USING ..]: with USING (MySQL) the FROM
			 * list names targets that may be USING aliases */
			dpi_sql_advance(p);
			do
				dpi_sql_parse_table_ref(p, lv, DEFER);
			while (cur_punct(p, ',') && (dpi_sql_advance(p), true));
			if (!cur_kw(p, KW_USING))
				dpi_sql_resolve_deferred(p, lv);
		} else {
			/* MySQL DELETE t1[.*], a2 FROM t1 JOIN t2 AS a2 .. */
			do
				dpi_sql_parse_table_ref(p, lv, DEFER);
			while (cur_punct(p, ',') && (dpi_sql_advance(p), true));
			if (cur_kw(p, KW_FROM)) {
				dpi_sql_advance(p);
				lv->in_from = true;
				lv->resolve_targets = true;
				dpi_sql_parse_table_ref(p, lv, REF);
			}
		}
		break;
	case KW_MERGE:
		dpi_sql_advance(p);
		if (cur_kw(p, KW_INTO))
			dpi_sql_advance(p);
		dpi_sql_parse_table_ref(p, lv, TARGET);
		break;
	case KW_CREATE:
		dpi_sql_advance(p);
		head_create(p, lv);
		break;
	case KW_DROP:
		dpi_sql_advance(p);
		head_drop(p, lv);
		break;
	case KW_ALTER:
		dpi_sql_advance(p);
		head_alter(p, lv);
		break;
	case KW_TRUNCATE:
		dpi_sql_advance(p);
		if (cur_kw(p, KW_TABLE))
			dpi_sql_advance(p);
		lv->in_from = true;
		lv->refs_targets = true;
		dpi_sql_parse_table_ref(p, lv, TARGET);
		break;
	case KW_LOCK:
		dpi_sql_advance(p);
		if (cur_kw(p, KW_TABLE) || cur_kw(p, KW_TABLES))
			dpi_sql_advance(p);
		else if (p->mysql && dpi_sql_word_is(&p->cur.t, "INSTANCE"))
			break;
		lv->in_from = true;
		lv->refs_targets = true;
		dpi_sql_parse_table_ref(p, lv, TARGET);
		break;
	case KW_RENAME: /* MySQL RENAME TABLE a TO b, c TO d */
		dpi_sql_advance(p);
		if (cur_kw(p, KW_TABLE) || cur_kw(p, KW_TABLES)) {
			dpi_sql_advance(p);
			lv->in_from = true;
			lv->refs_targets = true;
			dpi_sql_parse_table_ref(p, lv, NAMEONLY);
		}
		break;
	case KW_GRANT:
	case KW_REVOKE:
		head_grant(p, lv);
		break;
	case KW_SHOW:
		head_show(p, lv);
		break;
	case KW_EXPLAIN:
	case KW_DESC:
	case KW_DESCRIBE:
		head_explain(p, lv);
		break;
	case KW_COPY:
		dpi_sql_advance(p);
		if (cur_kw(p, KW_BINARY))
			dpi_sql_advance(p);
		if (cur_punct(p, '('))
			dpi_sql_paren(p, lv, P_SUB, false);
		else
			dpi_sql_parse_table_ref(p, lv, NAMEONLY);
		break;
	case KW_HANDLER:
		dpi_sql_advance(p);
		dpi_sql_parse_table_ref(p, lv, NAMEONLY);
		break;
	case KW_ANALYZE:
	case KW_ANALYSE:
	case KW_VACUUM:
		head_maintenance(p, lv);
		break;
	case KW_EXEC:
	case KW_EXECUTE:
		dpi_sql_advance(p);
		if (cur_kw(p, KW_IMMEDIATE)) /* MariaDB EXECUTE IMMEDIATE 'sql' */
			flag(p, DPI_SQL_F_DYNAMIC);
		break;
	case KW_PREPARE:
		dpi_sql_advance(p);
		if (dpi_sql_cur_name_token(p, false))
			dpi_sql_advance(p);
		if (cur_kw(p, KW_FROM)) { /* MySQL PREPARE s FROM 'sql' | @var */
			flag(p, DPI_SQL_F_DYNAMIC);
			dpi_sql_advance(p);
			break;
		}
		if (cur_punct(p, '('))
			dpi_sql_paren(p, lv, P_SUB, false);
		if (cur_kw(p, KW_AS)) { /* PostgreSQL PREPARE s [(types)] AS stmt */
			dpi_sql_advance(p);
			dpi_sql_level_start(p, lv, false);
			if (!p->eof && p->cur.t.type == DPI_SQL_TOK_WORD &&
			    verb_of(p, p->cur.kw) != DPI_SQL_VERB_OTHER)
				dpi_sql_dispatch(p, lv, false);
		}
		break;
	case KW_DECLARE: /* DECLARE c [..] CURSOR [..] FOR stmt */
		dpi_sql_advance(p);
		for (unsigned i = 0; i < 16 && !p->eof && !cur_kw(p, KW_FOR) &&
				     !cur_punct(p, ';') && !cur_punct(p, '(') && !cur_punct(p, ')');
		     i++)
			dpi_sql_advance(p);
		if (cur_kw(p, KW_FOR)) {
			dpi_sql_advance(p);
			if (cur_punct(p, '('))
				dpi_sql_paren(p, lv, P_SUB, false);
			else if (!p->eof && p->cur.t.type == DPI_SQL_TOK_WORD &&
				 verb_of(p, p->cur.kw) != DPI_SQL_VERB_OTHER)
				dpi_sql_dispatch(p, lv, false);
		}
		break;
	case KW_DO:
		dpi_sql_advance(p);
		if (!p->mysql) /* DO [LANGUAGE l] 'code': an anonymous code block */
			flag(p, DPI_SQL_F_DYNAMIC);
		break;
	default:
		dpi_sql_advance(p);
		break;
	}
	leave(p);
	return v;
}
bool dpi_sql_verb_known(const char *name)
{
	for (unsigned v = DPI_SQL_VERB_SELECT; v < DPI_SQL_VERB__MAX; v++)
		if (verb_names[v] && !strcmp(verb_names[v], name))
			return true;
	return false;
}
