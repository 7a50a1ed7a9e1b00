/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sql.c - the statement analyser: splits a query into statements and
 * finds, for each, its verb and every table it names.
 *
 * It reads the token stream once, left to right, with a few tokens of
 * lookahead, and never needs the text to be valid SQL. Each pair of
 * parentheses is a "level" (a C stack frame, capped by DPI_SQL_MAX_DEPTH);
 * a level knows whether it is a query (so FROM names tables, unlike in
 * EXTRACT(x FROM y)) and whether it is inside a table list (so a comma or a
 * JOIN introduces a table). Clause keywords end a table list; a word that is
 * not a keyword after a table is its alias.
 *
 * The policy question is "is every table this statement touches allowed?",
 * so the failure that matters is a missed table: wherever the text is
 * ambiguous the analyser keeps reading names as tables (an extra table only
 * denies a query that the server would have rejected or that touches what it
 * names), and where it has to stop early it sets a DPI_SQL_F_INCOMPLETE flag.
 * Names that are not tables are left out only when it is sure: aliases, CTE
 * names in their scope, functions in FROM.
 *
 * This file holds the machinery every statement shares: keywords, the
 * cursor, names, table references, parentheses and the clause scan of a
 * level. Which statement a word starts, and how each kind's head names its
 * tables, is in dpi_sql_stmt.c (dpi_sql_dispatch()).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_sql.h"
#include "dpi_sql_int.h"

/* Keyword names and KF_* flags, in the order of enum kw. */
#define N KF_NOALIAS
#define R KF_NONAME
#define S KF_STMT
#define M KF_END_MY
#define P KF_END_PG
#define B (KF_END_MY | KF_END_PG)

static const struct kw_def {
	char name[20];
	uint8_t flags;
} kw_defs[KW__MAX - 1] = {
	{"ABORT", 0}, {"ADD", N}, {"AFTER", 0}, {"ALGORITHM", 0}, {"ALL", 0}, {"ALTER", N},
	{"ANALYSE", 0}, {"ANALYZE", 0}, {"AND", N|R}, {"AS", N}, {"ATTACH", N},
	{"BEFORE", 0}, {"BEGIN", 0}, {"BINARY", 0}, {"BY", N}, {"CALL", 0}, {"CASCADE", N},
	{"CHANGE", N}, {"CLOSE", N}, {"COLUMN", 0}, {"COLUMNS", 0}, {"COMMIT", 0},
	{"CONFLICT", 0}, {"CONTINUE", N}, {"COPY", 0}, {"CREATE", 0}, {"CROSS", N},
	{"CYCLE", 0}, {"DEALLOCATE", 0}, {"DECLARE", 0}, {"DEFAULT", N}, {"DELAYED", 0},
	{"DELETE", N|S}, {"DESC", 0}, {"DESCRIBE", 0}, {"DETACH", N}, {"DISTINCT", 0},
	{"DO", N}, {"DROP", N}, {"DUAL", 0}, {"DUMPFILE", 0}, {"DUPLICATE", 0},
	{"ELSE", N}, {"END", N}, {"EVENT", 0}, {"EXCEPT", N|P}, {"EXEC", 0},
	{"EXECUTE", 0}, {"EXISTS", 0}, {"EXPLAIN", 0}, {"EXTENDED", 0}, {"FETCH", N|B},
	{"FIELDS", 0}, {"FOR", N}, {"FORCE", N}, {"FORMAT", 0}, {"FREEZE", 0},
	{"FROM", N|R}, {"FULL", N}, {"FUNCTION", 0}, {"GRANT", 0}, {"GROUP", N|R|B},
	{"HANDLER", 0}, {"HAVING", N|R|B}, {"HIGH_PRIORITY", 0}, {"IF", 0}, {"IGNORE", N},
	{"IMMEDIATE", 0}, {"IN", N}, {"INDEX", 0}, {"INDEXES", 0}, {"INHERITS", N},
	{"INNER", N}, {"INSERT", N|S}, {"INTERSECT", N|P}, {"INTO", N|R|B}, {"IS", N},
	{"JOIN", N|R}, {"KEY", 0}, {"KEYS", 0}, {"LATERAL", N}, {"LEFT", N}, {"LIKE", N},
	{"LIMIT", N|R|B}, {"LISTEN", 0}, {"LOAD", 0}, {"LOCAL", N}, {"LOCK", N|M},
	{"LOW_PRIORITY", N}, {"MATERIALIZED", 0}, {"MERGE", S}, {"MINUS", N},
	{"MODIFY", N}, {"NATURAL", N}, {"NOT", N|R}, {"NOTIFY", 0}, {"NOWAIT", N},
	{"NO_WRITE_TO_BINLOG", 0}, {"OF", N}, {"OFFSET", N|P}, {"OJ", 0}, {"ON", N|R},
	{"ONLY", N}, {"OPEN", N}, {"OR", N|R}, {"ORDER", N|R|B}, {"ORDINALITY", 0},
	{"OUTER", N}, {"OUTFILE", 0}, {"OVERRIDING", N}, {"PARTITION", N},
	{"PARTITIONS", 0}, {"POLICY", 0}, {"PREPARE", 0}, {"PROCEDURE", N|M},
	{"QUALIFY", N}, {"QUICK", 0}, {"READ", N}, {"RECURSIVE", 0}, {"REFERENCES", 0},
	{"RELEASE", 0}, {"RENAME", N}, {"REPLACE", N}, {"RESTART", N}, {"RESTRICT", N},
	{"RETURNING", N|P}, {"REVOKE", 0}, {"RIGHT", N}, {"ROLLBACK", 0}, {"ROWS", 0},
	{"RULE", 0}, {"SAVEPOINT", 0}, {"SCHEMA", 0}, {"SEARCH", 0}, {"SELECT", N|R|S|B},
	{"SET", N|M}, {"SHOW", 0}, {"SKIP_LOCKED", 0}, {"START", 0}, {"STRAIGHT_JOIN", N},
	{"SYSTEM_TIME", 0}, {"TABLE", N|R|S}, {"TABLES", 0}, {"TABLESAMPLE", N},
	{"TEMP", 0}, {"TEMPORARY", 0}, {"THEN", N}, {"TO", N}, {"TRIGGER", 0},
	{"TRUNCATE", 0}, {"UNION", N|R|B}, {"UNLISTEN", 0}, {"UNLOCK", 0}, {"UNLOGGED", 0},
	{"UPDATE", N|S}, {"USE", N}, {"USING", N|R}, {"VACUUM", 0}, {"VALUE", N},
	{"VALUES", N|S|M}, {"VERBOSE", 0}, {"VIEW", 0}, {"WHEN", N|R}, {"WHERE", N|R|B},
	{"WINDOW", N|B}, {"WITH", N|R|S}, {"WRITE", N},
};
#undef N
#undef R
#undef S
#undef M
#undef P
#undef B

static int kw_cmp(const void *key, const void *ent)
{
	return strcmp(key, ((const struct kw_def *)ent)->name);
}

static enum kw kw_lookup(const struct dpi_sql_token *t)
{
	char up[sizeof(kw_defs[0].name)];
	const struct kw_def *hit;

	if (t->type != DPI_SQL_TOK_WORD || t->text.len >= sizeof(up))
		return KW_NONE;
	for (size_t i = 0; i < t->text.len; i++) {
		uint8_t c = t->text.p[i];

		if (c >= 0x80)
			return KW_NONE;
		up[i] = (char)(c >= 'a' && c <= 'z' ? c - 0x20 : c);
	}
	up[t->text.len] = 0;
	hit = bsearch(up, kw_defs, KW__MAX - 1, sizeof(kw_defs[0]), kw_cmp);
	return hit ? (enum kw)(hit - kw_defs + 1) : KW_NONE;
}

unsigned dpi_sql_kw_flags(enum kw k)
{
	return k == KW_NONE ? 0 : kw_defs[k - 1].flags;
}

/* ------------------------------------------------------------ the cursor */

/* Read the next significant token into cur, passing comments. */
static void fetch(struct sp *p)
{
	struct dpi_sql_token *t = &p->cur.t;

	p->cur.kw = KW_NONE;
	for (;;) {
		if (p->r->ntokens >= DPI_SQL_MAX_TOKENS) {
			flag(p, DPI_SQL_F_TOO_MANY_TOKENS);
			break;
		}
		if (dpi_sql_next(&p->lx, t) == 0)
			break;
		p->r->ntokens++;
		if (!p->stmt_start)
			p->stmt_start = t->text.p;
		if (t->type == DPI_SQL_TOK_COMMENT) {
			flag(p, DPI_SQL_F_COMMENT);
			if (t->flags & DPI_SQL_TF_EXEC_OPEN)
				flag(p, DPI_SQL_F_EXEC_COMMENT);
			if (t->flags & DPI_SQL_TF_VERSIONED)
				p->saw_versioned = true;
			p->last_end = t->text.p + t->text.len;
			continue;
		}
		if (t->type == DPI_SQL_TOK_ERROR) {
			flag(p, DPI_SQL_F_UNTERMINATED);
			p->syntax_error = true;
			p->last_end = t->text.p + t->text.len;
			break;
		}
		if (t->flags & DPI_SQL_TF_AMBIGUOUS) {
			flag(p, DPI_SQL_F_AMBIGUOUS);
			p->saw_amb = true;
		}
		p->cur.kw = kw_lookup(t);
		return;
	}
	p->eof = true;
	t->type = DPI_SQL_TOK_EOF;
	t->text.p = p->lx.cur;
	t->text.len = 0;
	t->body = t->text;
}

void dpi_sql_advance(struct sp *p)
{
	if (p->eof)
		return;
	p->prev2 = p->prev1;
	p->prev1 = p->cur.kw;
	p->prev_comma = is_punct(&p->cur, ',');
	p->last_end = p->cur.t.text.p + p->cur.t.text.len;
	fetch(p);
}

/* The @n-th significant token after cur (n >= 1), without consuming. */
static void peek(const struct sp *p, unsigned n, struct tok *ret)
{
	struct dpi_sql_lexer lx = p->lx;
	unsigned budget = DPI_SQL_MAX_TOKENS;

	ret->kw = KW_NONE;
	ret->t.type = DPI_SQL_TOK_EOF;
	ret->t.text.len = 0;
	if (p->eof)
		return;
	while (n && budget--) {
		if (dpi_sql_next(&lx, &ret->t) == 0 || ret->t.type == DPI_SQL_TOK_ERROR) {
			ret->t.type = DPI_SQL_TOK_EOF;
			ret->t.text.len = 0;
			return;
		}
		if (ret->t.type != DPI_SQL_TOK_COMMENT)
			n--;
	}
	if (n) {
		ret->t.type = DPI_SQL_TOK_EOF;
		return;
	}
	ret->kw = kw_lookup(&ret->t);
}

enum kw dpi_sql_peek_kw(const struct sp *p, unsigned n)
{
	struct tok t;

	peek(p, n, &t);
	return t.kw;
}

static bool peek_punct(const struct sp *p, unsigned n, char c)
{
	struct tok t;

	peek(p, n, &t);
	return is_punct(&t, c);
}

/* Past the ')' matching the '(' just consumed, without analysing. */
static void skip_balanced(struct sp *p)
{
	size_t depth = 1;

	while (!p->eof && !cur_punct(p, ';')) {
		if (cur_punct(p, '('))
			depth++;
		else if (cur_punct(p, ')') && --depth == 0) {
			dpi_sql_advance(p);
			return;
		}
		dpi_sql_advance(p);
	}
	p->syntax_error = true;
}

/* ------------------------------------------------------------------ names */

#define MAX_PG_IDENT 63 /* NAMEDATALEN - 1: PostgreSQL truncates longer names */

static void put(struct sp *p, uint8_t c, bool *ovf)
{
	if (p->r->scratch_used < DPI_SQL_SCRATCH)
		p->r->scratch[p->r->scratch_used++] = c;
	else
		*ovf = true;
}

/* MySQL string escapes (as in a "..." string read as an ANSI_QUOTES name). */
static uint8_t mysql_unescape(uint8_t c)
{
	switch (c) {
	case '0': return 0;
	case 'b': return '\b';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'Z': return 0x1a;
	default: return c;
	}
}

/* Append the normalised form of one name part; returns whether it is
 * byte-for-byte the token's text (WORD) or body (quoted). */
static bool put_part(struct sp *p, const struct dpi_sql_token *t, bool *ovf)
{
	const uint8_t *s = t->body.p;
	uint32_t n = t->body.len;
	bool same = true;

	if (t->type == DPI_SQL_TOK_WORD || t->type == DPI_SQL_TOK_OP) {
		for (uint32_t i = 0; i < n; i++) {
			uint8_t c = s[i];

			if (c >= 'A' && c <= 'Z') {
				c |= 0x20;
				same = false;
			}
			put(p, c, ovf);
		}
		return same;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (c == t->quote && i + 1 < n && s[i + 1] == t->quote) {
			i++;
			same = false;
		} else if (c == '\\' && t->type == DPI_SQL_TOK_STRING && i + 1 < n) {
			c = s[++i];
			if (c == '%' || c == '_')
				put(p, '\\', ovf);
			else
				c = mysql_unescape(c);
			same = false;
		}
		put(p, c, ovf);
	}
	return same;
}

static bool name_token(const struct sp *p, const struct tok *t, bool first, bool star)
{
	switch (t->t.type) {
	case DPI_SQL_TOK_WORD:
		return !first || !(dpi_sql_kw_flags(t->kw) & KF_NONAME);
	case DPI_SQL_TOK_QIDENT:
		return true;
	case DPI_SQL_TOK_STRING: /* MySQL "x" is a name under ANSI_QUOTES */
		return p->mysql && t->t.quote == '"' && !(t->t.flags & DPI_SQL_TF_PREFIX);
	case DPI_SQL_TOK_OP:
		return star && t->t.text.len == 1 && t->t.text.p[0] == '*';
	default:
		return false;
	}
}

/*
 * A possibly qualified name at cur (at most @max_parts parts; '*' parts
 * with @star), normalised. Returns false, consuming nothing, when cur is not
 * a name; false after consuming it when it was empty or didn't fit the
 * scratch space (flagged).
 */
bool dpi_sql_parse_name(struct sp *p, bool star, unsigned max_parts, struct name *ret)
{
	struct dpi_sql_result *r = p->r;
	uint32_t mark = r->scratch_used, last_dot = 0, flags = 0;
	const uint8_t *zstart = NULL, *zend = NULL;
	struct dpi_slice qbody = {0};
	bool ovf = false, words = true, zc = true;
	unsigned parts = 0;
	struct tok nx;

	if (p->mysql && cur_punct(p, '.')) { /* MySQL ".t" (table_ident) */
		peek(p, 1, &nx);
		if (!name_token(p, &nx, true, false))
			return false;
		dpi_sql_advance(p);
	}
	if (p->eof || !name_token(p, &p->cur, true, star))
		return false;
	for (;;) {
		const struct dpi_sql_token *t = &p->cur.t;
		uint32_t part_start;
		bool same;

		if (parts) {
			last_dot = r->scratch_used - mark;
			put(p, '.', &ovf);
		}
		part_start = r->scratch_used;
		same = put_part(p, t, &ovf);
		if (!p->mysql && !ovf && r->scratch_used - part_start > MAX_PG_IDENT) {
			uint32_t k = MAX_PG_IDENT;

			while (k > 0 && (r->scratch[part_start + k] & 0xc0) == 0x80)
				k--; /* don't cut a UTF-8 character */
			r->scratch_used = part_start + k;
			same = false;
		}
		if (t->type == DPI_SQL_TOK_WORD || t->type == DPI_SQL_TOK_OP) {
			if (parts == 0)
				zstart = t->text.p;
			else if (!zend || t->text.p != zend + 1 || *zend != '.')
				zc = false;
			zend = t->text.p + t->text.len;
		} else {
			words = false;
			flags |= DPI_SQL_TBL_QUOTED;
			qbody = t->body;
		}
		if (!same)
			zc = false;
		parts++;
		dpi_sql_advance(p);
		if (parts >= max_parts || !cur_punct(p, '.'))
			break;
		peek(p, 1, &nx);
		if (!name_token(p, &nx, false, star))
			break;
		dpi_sql_advance(p);
	}
	ret->parts = parts;
	ret->flags = flags;
	ret->schema_len = parts > 1 ? last_dot : 0;
	if (zc && words) {
		ret->s.p = zstart;
		ret->s.len = (uint32_t)(zend - zstart);
		r->scratch_used = mark;
	} else if (zc && parts == 1) {
		ret->s = qbody;
		r->scratch_used = mark;
	} else if (ovf) {
		r->scratch_used = mark;
		flag(p, DPI_SQL_F_SCRATCH_FULL);
		return false;
	} else {
		ret->s.p = r->scratch + mark;
		ret->s.len = r->scratch_used - mark;
	}
	if (ret->s.len == 0) {
		r->scratch_used = mark;
		return false;
	}
	return true;
}

/* "@a.@b" (@b may be a literal suffix such as "*") as a new name. */
bool dpi_sql_name_join(struct sp *p, const struct dpi_slice *a, const struct dpi_slice *b,
		       uint32_t flags, struct name *ret)
{
	struct dpi_sql_result *r = p->r;
	uint32_t mark = r->scratch_used;
	bool ovf = false;

	for (uint32_t i = 0; i < a->len; i++)
		put(p, a->p[i], &ovf);
	put(p, '.', &ovf);
	for (uint32_t i = 0; i < b->len; i++)
		put(p, b->p[i], &ovf);
	if (ovf) {
		r->scratch_used = mark;
		flag(p, DPI_SQL_F_SCRATCH_FULL);
		return false;
	}
	ret->s.p = r->scratch + mark;
	ret->s.len = r->scratch_used - mark;
	ret->schema_len = a->len;
	ret->flags = flags;
	ret->parts = 2;
	return true;
}

static bool slice_eq(const struct dpi_slice *a, const struct dpi_slice *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static bool in_list(const struct dpi_slice *list, unsigned n, const struct name *nm)
{
	if (nm->parts != 1)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (slice_eq(&list[i], &nm->s))
			return true;
	return false;
}

void dpi_sql_report(struct sp *p, const struct name *n, bool maskable)
{
	struct dpi_sql_result *r = p->r;
	struct dpi_sql_stmt *st = p->st;
	uint32_t idx;

	if (maskable && in_list(p->cte, p->ncte, n))
		return; /* a CTE in scope, not a table */
	for (unsigned i = 0; i < st->ntables; i++)
		if (slice_eq(&r->tables[st->first_table + i].name, &n->s))
			return;
	/* a shadow pass writes its statement's tables past the real ones,
	 * without counting them */
	idx = st->first_table + st->ntables;
	if (st->ntables >= DPI_SQL_MAX_STMT_TABLES || idx >= DPI_SQL_MAX_TABLES) {
		flag(p, DPI_SQL_F_TOO_MANY_TABLES);
		return;
	}
	r->tables[idx].name = n->s;
	r->tables[idx].schema_len = n->schema_len;
	r->tables[idx].flags = n->flags;
	st->ntables++;
	if (!p->shadow)
		r->ntables++;
}

static void push_cte(struct sp *p, const struct name *n)
{
	if (p->ncte < MAX_CTES)
		p->cte[p->ncte++] = n->s;
	/* else: later references are reported as tables, which is safe */
}

static void defer(struct sp *p, const struct name *n)
{
	if (p->ndeferred < MAX_DEFERRED)
		p->deferred[p->ndeferred++] = *n;
	else
		dpi_sql_report(p, n, false);
}

/* Report the DELETE targets deferred by @lv: those naming an alias of a
 * table of the statement are that table, already reported. */
void dpi_sql_resolve_deferred(struct sp *p, struct level *lv)
{
	for (unsigned i = lv->deferred_mark; i < p->ndeferred; i++) {
		const struct name *n = &p->deferred[i];

		if (!(lv->resolve_targets && in_list(p->alias, p->nalias, n)))
			dpi_sql_report(p, n, false);
	}
	p->ndeferred = lv->deferred_mark;
}

/* ----------------------------------------------------------------- parser */

static void scan_level(struct sp *p, struct level *lv);

static void level_init(const struct sp *p, struct level *lv, uint8_t verb, bool in_paren)
{
	memset(lv, 0, sizeof(*lv));
	lv->verb = verb;
	lv->in_paren = in_paren;
	lv->cte_mark = p->ncte;
	lv->deferred_mark = p->ndeferred;
}

bool dpi_sql_cur_name_token(const struct sp *p, bool star)
{
	return !p->eof && name_token(p, &p->cur, true, star);
}

/* WITH that starts a CTE list (not WITH ORDINALITY, WITH ROLLUP, WITH (...)). */
bool dpi_sql_is_cte_with(const struct sp *p)
{
	struct tok a, b;

	peek(p, 1, &a);
	if (a.kw == KW_RECURSIVE)
		return true;
	if (a.kw == KW_ORDINALITY || !name_token(p, &a, true, false))
		return false;
	peek(p, 2, &b);
	return b.kw == KW_AS || is_punct(&b, '(');
}

/* A word that starts a statement inside parentheses: (SELECT ..), (VALUES ..),
 * (TABLE t), (WITH ..), and PostgreSQL data-modifying CTEs (DELETE ..). */
static bool starts_stmt(const struct sp *p)
{
	if (p->eof || !(dpi_sql_kw_flags(p->cur.kw) & KF_STMT))
		return false;
	if (p->cur.kw == KW_WITH)
		return dpi_sql_is_cte_with(p);
	if (p->cur.kw == KW_TABLE) {
		struct tok t;

		peek(p, 1, &t);
		return name_token(p, &t, true, false);
	}
	return true;
}

static void record_alias(struct sp *p, const struct name *n)
{
	if (p->nalias < MAX_ALIASES)
		p->alias[p->nalias++] = n->s;
}

/* [AS] alias [(column aliases)] after a table reference. */
static void parse_alias(struct sp *p, struct level *lv)
{
	struct name n;

	if (cur_kw(p, KW_AS)) {
		dpi_sql_advance(p);
		if (p->eof || p->cur.t.type == DPI_SQL_TOK_STRING) {
			if (!p->eof && p->cur.t.quote == '\'')
				dpi_sql_advance(p); /* MySQL accepts AS 'alias' */
			else if (!p->eof && dpi_sql_parse_name(p, false, 1, &n))
				record_alias(p, &n);
		} else if (dpi_sql_parse_name(p, false, 1, &n)) {
			record_alias(p, &n);
		}
	} else if (!p->eof && (p->cur.t.type == DPI_SQL_TOK_QIDENT ||
			       (p->cur.t.type == DPI_SQL_TOK_WORD &&
				!(dpi_sql_kw_flags(p->cur.kw) & KF_NOALIAS)))) {
		if (dpi_sql_parse_name(p, false, 1, &n))
			record_alias(p, &n);
	} else {
		return;
	}
	if (cur_punct(p, '('))
		dpi_sql_paren(p, lv, P_SUB, false);
}

/*
 * PostgreSQL functions that run SQL, or read a table, named in a string:
 * query_to_xml('select * from secret', ..), table_to_xml('secret', ..),
 * dblink(.., 'sql'). Their tables are invisible here.
 */
static bool pg_dynamic_function(const uint8_t *name, size_t len)
{
	static const char *const names[] = {
		"query_to_xml",  "query_to_xmlschema", "query_to_xml_and_xmlschema",
		"table_to_xml",  "table_to_xmlschema", "table_to_xml_and_xmlschema",
		"schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema",
		"database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema",
		"dblink",        "dblink_exec",        "dblink_open", "dblink_send_query",
		NULL};
	struct dpi_sql_token t = {.type = DPI_SQL_TOK_WORD, .text = {name, (uint32_t)len}};

	if (len < 6 || len > 29 || !strchr("qtsdQTSD", name[0]))
		return false;
	for (const char *const *n = names; *n; n++)
		if (dpi_sql_word_is(&t, *n))
			return true;
	return false;
}

static void use_name(struct sp *p, struct level *lv, const struct name *n, enum ref_mode mode)
{
	if (mode == DEFER)
		defer(p, n);
	else
		dpi_sql_report(p, n, mode == REF && !lv->refs_targets);
}

/*
 * One table reference: [LATERAL] [ONLY] name [*] [PARTITION (..)] [[AS] alias]
 * [index hints], a derived table or parenthesised join (REF), a table
 * function (REF: not a table), MySQL's { OJ ... } or DUAL.
 */
void dpi_sql_parse_table_ref(struct sp *p, struct level *lv, enum ref_mode mode)
{
	struct name n;

	for (;;) {
		if (cur_kw(p, KW_LATERAL)) {
			dpi_sql_advance(p);
		} else if (cur_punct(p, '{')) { /* ODBC { OJ t1 LEFT JOIN t2 ON .. } */
			dpi_sql_advance(p);
			if (!p->eof && dpi_sql_word_is(&p->cur.t, "OJ"))
				dpi_sql_advance(p);
		} else if (cur_kw(p, KW_ONLY)) {
			dpi_sql_advance(p);
			if (cur_punct(p, '(') && mode != REF) { /* PostgreSQL ONLY (t) */
				dpi_sql_advance(p);
				if (dpi_sql_parse_name(p, false, 3, &n))
					use_name(p, lv, &n, mode);
				if (cur_punct(p, ')'))
					dpi_sql_advance(p);
				goto alias;
			}
		} else {
			break;
		}
	}
	if (cur_punct(p, '(')) {
		if (mode != REF)
			return;
		dpi_sql_paren(p, lv, P_FROM_ITEM, false);
		parse_alias(p, lv);
		return;
	}
	if (cur_kw(p, KW_ROWS) && dpi_sql_peek_kw(p, 1) == KW_FROM) { /* ROWS FROM (f(), g()) */
		dpi_sql_advance(p);
		dpi_sql_advance(p);
		if (cur_punct(p, '('))
			dpi_sql_paren(p, lv, P_SUB, false);
		goto func_tail;
	}
	if (p->mysql && cur_kw(p, KW_DUAL)) {
		dpi_sql_advance(p);
		return;
	}
	if (!dpi_sql_parse_name(p, false, 4, &n))
		return;
	if (mode == REF && cur_punct(p, '(')) { /* a function, not a table */
		uint32_t base = n.schema_len ? n.schema_len + 1 : 0;

		if (!p->mysql && pg_dynamic_function(n.s.p + base, n.s.len - base))
			flag(p, DPI_SQL_F_DYNAMIC);
		dpi_sql_paren(p, lv, P_SUB, false);
		goto func_tail;
	}
	if (cur_punct(p, '.')) { /* MySQL DELETE t.* FROM */
		struct tok t;

		peek(p, 1, &t);
		if (t.t.type == DPI_SQL_TOK_OP && t.t.text.len == 1 && t.t.text.p[0] == '*') {
			dpi_sql_advance(p);
			dpi_sql_advance(p);
		}
	}
	if (!p->mysql && cur_op(p, "*"))
		dpi_sql_advance(p);
	use_name(p, lv, &n, mode);
	if (cur_kw(p, KW_PARTITION) && peek_punct(p, 1, '(')) { /* MySQL PARTITION (p0) */
		dpi_sql_advance(p);
		dpi_sql_paren(p, lv, P_SUB, false);
	}
alias:
	if (mode == NAMEONLY)
		return;
	parse_alias(p, lv);
	/* MySQL index hints: {USE|FORCE|IGNORE} {INDEX|KEY} [FOR ..] (list) */
	while ((cur_kw(p, KW_USE) || cur_kw(p, KW_FORCE) || cur_kw(p, KW_IGNORE)) &&
	       (dpi_sql_peek_kw(p, 1) == KW_INDEX || dpi_sql_peek_kw(p, 1) == KW_KEY)) {
		dpi_sql_advance(p);
		dpi_sql_advance(p);
		if (cur_kw(p, KW_FOR)) {
			dpi_sql_advance(p);
			dpi_sql_advance(p); /* JOIN, ORDER, GROUP */
			if (cur_kw(p, KW_BY))
				dpi_sql_advance(p);
		}
		if (cur_punct(p, '('))
			dpi_sql_paren(p, lv, P_SUB, false);
	}
	return;
func_tail:
	if (cur_kw(p, KW_WITH) && dpi_sql_peek_kw(p, 1) == KW_ORDINALITY) {
		dpi_sql_advance(p);
		dpi_sql_advance(p);
	}
	parse_alias(p, lv);
}

/* INTO outside INSERT/MERGE: SELECT .. INTO [TEMP] [TABLE] t (PostgreSQL
 * creates t), LOAD DATA .. INTO TABLE t; MySQL INTO @var/OUTFILE is not a
 * table. */
static void parse_into(struct sp *p, struct level *lv)
{
	dpi_sql_advance(p);
	while (cur_kw(p, KW_TEMP) || cur_kw(p, KW_TEMPORARY) || cur_kw(p, KW_UNLOGGED) ||
	       cur_kw(p, KW_TABLE))
		dpi_sql_advance(p);
	if (p->eof || p->cur.t.type == DPI_SQL_TOK_VARIABLE || cur_kw(p, KW_OUTFILE) ||
	    cur_kw(p, KW_DUMPFILE))
		return;
	dpi_sql_parse_table_ref(p, lv, NAMEONLY);
}

/*
 * WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (stmt) [SEARCH ..|
 * CYCLE ..], ... The names are in scope for the rest of @lv (and what it
 * contains); a CTE's own body sees its name only when RECURSIVE.
 */
void dpi_sql_parse_with(struct sp *p, struct level *lv)
{
	bool rec = false;
	struct name n;

	dpi_sql_advance(p);
	if (cur_kw(p, KW_RECURSIVE)) {
		rec = true;
		dpi_sql_advance(p);
	}
	for (;;) {
		if (!dpi_sql_parse_name(p, false, 1, &n))
			return;
		if (cur_punct(p, '('))
			dpi_sql_paren(p, lv, P_SUB, false);
		if (!cur_kw(p, KW_AS))
			return;
		dpi_sql_advance(p);
		if (cur_kw(p, KW_NOT))
			dpi_sql_advance(p);
		if (cur_kw(p, KW_MATERIALIZED))
			dpi_sql_advance(p);
		if (rec)
			push_cte(p, &n);
		if (!cur_punct(p, '('))
			return;
		dpi_sql_paren(p, lv, P_SUB, false);
		if (!rec)
			push_cte(p, &n);
		if (cur_kw(p, KW_SEARCH) || cur_kw(p, KW_CYCLE))
			while (!p->eof && !cur_punct(p, ',') && !cur_punct(p, ';') &&
			       !cur_punct(p, ')') && !cur_punct(p, '(') && !starts_stmt(p))
				dpi_sql_advance(p);
		if (!cur_punct(p, ','))
			return;
		dpi_sql_advance(p);
	}
}

/* The first thing in a level: a statement (any word at a statement's top),
 * or parentheses around one. Returns its verb, 0 if none. */
uint8_t dpi_sql_level_start(struct sp *p, struct level *lv, bool top)
{
	uint8_t v;

	if (cur_punct(p, '(')) {
		v = dpi_sql_paren(p, lv, P_SUB, top);
		if (v)
			lv->verb = v;
		return v;
	}
	if (starts_stmt(p) || (top && !p->eof && p->cur.t.type == DPI_SQL_TOK_WORD))
		return dpi_sql_dispatch(p, lv, top);
	return 0;
}

/* '(' at cur: analyse up to its ')' as a level of @kind. Returns the verb
 * of a statement starting it, 0 if none. */
uint8_t dpi_sql_paren(struct sp *p, struct level *parent, enum paren_kind kind, bool top)
{
	struct level lv;
	uint8_t v = 0;

	dpi_sql_advance(p);
	if (!enter(p)) {
		skip_balanced(p);
		return 0;
	}
	level_init(p, &lv, parent->verb, true);
	switch (kind) {
	case P_FROM_ITEM:
		if (starts_stmt(p)) {
			v = dpi_sql_dispatch(p, &lv, top);
			break;
		}
		lv.in_from = true;
		dpi_sql_parse_table_ref(p, &lv, REF);
		break;
	case P_NAMES:
		lv.in_from = true;
		lv.refs_targets = true;
		dpi_sql_parse_table_ref(p, &lv, TARGET);
		break;
	case P_LIKE: /* CREATE TABLE t (..): LIKE u may be any element */
		lv.create_cols = true;
		if (cur_kw(p, KW_LIKE)) {
			dpi_sql_advance(p);
			dpi_sql_parse_table_ref(p, &lv, NAMEONLY);
		}
		break;
	case P_SUB:
		v = dpi_sql_level_start(p, &lv, top);
		break;
	}
	scan_level(p, &lv);
	leave(p);
	if (cur_punct(p, ')'))
		dpi_sql_advance(p);
	else
		p->syntax_error = true; /* ';' or the end inside parentheses */
	return v;
}

/* Statements that may start anywhere in a routine or trigger body. */
static bool body_stmt(const struct sp *p)
{
	switch (p->cur.kw) {
	case KW_SELECT:
	case KW_INSERT:
	case KW_UPDATE:
	case KW_DELETE:
	case KW_REPLACE:
	case KW_MERGE:
		return !p->eof;
	case KW_WITH:
		return dpi_sql_is_cte_with(p);
	default:
		return false;
	}
}

/*
 * Whether keyword @k ends the table list of @lv. Only words the dialect
 * reserves do: a server reads any other word after a table as its alias and
 * goes on with the list ("FROM t value, secret" in PostgreSQL), and so must
 * we. For the same reason a keyword followed by ',' is an alias.
 */
static bool ends_list(const struct sp *p, const struct level *lv, enum kw k)
{
	enum kw n;

	switch (k) {
	case KW_ON: /* ON DUPLICATE KEY UPDATE, ON CONFLICT: not a join condition */
		n = dpi_sql_peek_kw(p, 1);
		return n == KW_DUPLICATE || n == KW_CONFLICT;
	case KW_FOR: /* FOR UPDATE, but not MariaDB's FOR SYSTEM_TIME */
		return dpi_sql_peek_kw(p, 1) != KW_SYSTEM_TIME;
	case KW_SET: /* reserved in MySQL; in PostgreSQL only UPDATE/MERGE's */
		if (!p->mysql && lv->verb != DPI_SQL_VERB_UPDATE && lv->verb != DPI_SQL_VERB_MERGE)
			return false;
		break;
	case KW_WHEN: /* MERGE .. ON cond WHEN (not CASE WHEN inside ON) */
		if (lv->verb != DPI_SQL_VERB_MERGE)
			return false;
		break;
	default:
		if (!(dpi_sql_kw_flags(k) & (p->mysql ? KF_END_MY : KF_END_PG)))
			return false;
		break;
	}
	return !peek_punct(p, 1, ',');
}

/* The rest of a level, up to its ')' (not consumed), ';' or the end. */
static void scan_level(struct sp *p, struct level *lv)
{
	while (!p->eof) {
		enum kw k = p->cur.kw;

		if (cur_punct(p, ';'))
			break;
		if (cur_punct(p, ')')) {
			if (lv->in_paren)
				break;
			p->syntax_error = true; /* unbalanced: the server rejects it */
			dpi_sql_advance(p);
			continue;
		}
		if (cur_punct(p, '(')) {
			dpi_sql_paren(p, lv, P_SUB, false);
			continue;
		}
		if (lv->in_from) {
			if (cur_punct(p, ',')) {
				dpi_sql_advance(p);
				dpi_sql_parse_table_ref(p, lv, lv->refs_targets ? TARGET : REF);
				continue;
			}
			if (k != KW_NONE && ends_list(p, lv, k))
				lv->in_from = false;
		}
		if (k == KW_STRAIGHT_JOIN && (lv->in_from || lv->saw_from)) {
			/* a join, unless a SELECT option (before FROM) */
			dpi_sql_advance(p);
			lv->in_from = true;
			dpi_sql_parse_table_ref(p, lv, REF);
			continue;
		}
		switch (k) {
		case KW_JOIN:
			dpi_sql_advance(p);
			lv->in_from = true;
			lv->refs_targets = false;
			dpi_sql_parse_table_ref(p, lv, REF);
			continue;
		case KW_FROM:
			/* not in EXTRACT(x FROM y) (no query at this level) nor
			 * in IS [NOT] DISTINCT FROM */
			if (lv->is_query &&
			    !(p->prev1 == KW_DISTINCT && (p->prev2 == KW_IS || p->prev2 == KW_NOT))) {
				dpi_sql_advance(p);
				lv->in_from = true;
				lv->saw_from = true;
				lv->refs_targets = false;
				dpi_sql_parse_table_ref(p, lv, REF);
				continue;
			}
			break;
		case KW_INTO:
			parse_into(p, lv);
			continue;
		case KW_USING:
			if ((lv->verb == DPI_SQL_VERB_DELETE || lv->verb == DPI_SQL_VERB_MERGE) &&
			    !peek_punct(p, 1, '(')) {
				dpi_sql_advance(p);
				lv->in_from = true;
				lv->refs_targets = false;
				lv->resolve_targets = true;
				dpi_sql_parse_table_ref(p, lv, REF);
				continue;
			}
			break;
		case KW_TABLE: /* INSERT .. TABLE t, UNION TABLE t, OPTIMIZE TABLE t, .. */
			if (lv->verb != DPI_SQL_VERB_SHOW) {
				struct tok t;

				peek(p, 1, &t);
				if (name_token(p, &t, true, false)) {
					dpi_sql_advance(p);
					lv->in_from = true;
					lv->refs_targets = false;
					dpi_sql_parse_table_ref(p, lv, REF);
					continue;
				}
			}
			break;
		case KW_REFERENCES:
			dpi_sql_advance(p);
			dpi_sql_parse_table_ref(p, lv, NAMEONLY);
			continue;
		case KW_INHERITS:
			if (peek_punct(p, 1, '(')) {
				dpi_sql_advance(p);
				dpi_sql_paren(p, lv, P_NAMES, false);
				continue;
			}
			break;
		case KW_WITH:
			if (dpi_sql_is_cte_with(p)) {
				dpi_sql_parse_with(p, lv);
				continue;
			}
			break;
		case KW_SELECT:
			lv->is_query = true;
			p->st->verbs |= 1ull << DPI_SQL_VERB_SELECT;
			break;
		case KW_TO:
			if (lv->verb == DPI_SQL_VERB_RENAME && lv->refs_targets) {
				dpi_sql_advance(p);
				dpi_sql_parse_table_ref(p, lv, NAMEONLY);
				continue;
			}
			break;
		case KW_RENAME: /* ALTER TABLE t RENAME [TO|AS] u; not columns */
			if (lv->alter_table) {
				struct tok t;

				peek(p, 1, &t);
				if (t.kw == KW_TO || t.kw == KW_AS) {
					dpi_sql_advance(p);
					dpi_sql_advance(p);
					dpi_sql_parse_table_ref(p, lv, NAMEONLY);
					continue;
				}
				if (p->mysql && name_token(p, &t, true, false) && t.kw != KW_COLUMN &&
				    t.kw != KW_INDEX && t.kw != KW_KEY &&
				    !dpi_sql_word_is(&t.t, "CONSTRAINT")) {
					dpi_sql_advance(p);
					dpi_sql_parse_table_ref(p, lv, NAMEONLY);
					continue;
				}
			}
			break;
		case KW_ATTACH: /* PostgreSQL partitions are tables */
		case KW_DETACH:
			if (lv->alter_table && dpi_sql_peek_kw(p, 1) == KW_PARTITION) {
				dpi_sql_advance(p);
				dpi_sql_advance(p);
				dpi_sql_parse_table_ref(p, lv, NAMEONLY);
				continue;
			}
			break;
		case KW_LIKE:
			if (lv->create_cols && p->prev_comma) {
				dpi_sql_advance(p);
				dpi_sql_parse_table_ref(p, lv, NAMEONLY);
				continue;
			}
			break;
		case KW_NONE: /* PostgreSQL ALTER TABLE t [NO] INHERIT parent */
			if (lv->alter_table && dpi_sql_word_is(&p->cur.t, "INHERIT")) {
				dpi_sql_advance(p);
				dpi_sql_parse_table_ref(p, lv, NAMEONLY);
				continue;
			}
			break;
		default:
			break;
		}
		if (lv->body && body_stmt(p)) {
			dpi_sql_dispatch(p, lv, false);
			continue;
		}
		if (lv->body && p->cur.t.type == DPI_SQL_TOK_STRING && p->prev1 == KW_AS)
			flag(p, DPI_SQL_F_DYNAMIC); /* CREATE FUNCTION .. AS 'body' */
		else if (!p->mysql && k == KW_NONE && p->cur.t.type == DPI_SQL_TOK_WORD &&
			 pg_dynamic_function(p->cur.t.text.p, p->cur.t.text.len) &&
			 peek_punct(p, 1, '('))
			flag(p, DPI_SQL_F_DYNAMIC);
		dpi_sql_advance(p);
	}
	dpi_sql_resolve_deferred(p, lv);
	p->ncte = lv->cte_mark;
}

/* Whether the statement @s of a shadow pass does nothing the real
 * statements don't: its verb is one of theirs, its nested verbs (subqueries
 * aside: their tables are checked) and tables are among that verb's. */
static bool covered(const struct dpi_sql_result *r, const struct dpi_sql_stmt *s)
{
	const uint64_t sel = 1ull << DPI_SQL_VERB_SELECT;
	uint64_t verbs = 0;
	bool any = false;

	for (uint32_t i = 0; i < r->nstmts; i++)
		if (r->stmts[i].verb == s->verb) {
			any = true;
			verbs |= r->stmts[i].verbs;
		}
	if (!any || (s->verbs & ~verbs & ~sel))
		return false;
	for (unsigned j = 0; j < s->ntables; j++) {
		const struct dpi_slice *name = &r->tables[s->first_table + j].name;
		bool found = false;

		for (uint32_t i = 0; i < r->nstmts && !found; i++) {
			const struct dpi_sql_stmt *st = &r->stmts[i];

			if (st->verb != s->verb)
				continue;
			for (unsigned k = 0; k < st->ntables && !found; k++)
				found = slice_eq(&r->tables[st->first_table + k].name, name);
		}
		if (!found)
			return false;
	}
	return true;
}

/*
 * Read the statements of the query. The real pass fills the result; a
 * shadow pass (another server setting) stops at the first statement that
 * can't be valid, since neither server runs it or anything after it, and
 * returns whether it found one doing something the real pass didn't see.
 */
static bool run_pass(struct sp *p, const uint8_t *sql)
{
	struct dpi_sql_result *r = p->r;
	uint32_t scratch_mark = r->scratch_used;
	const uint32_t limits = DPI_SQL_F_TOO_MANY_TABLES | DPI_SQL_F_TOO_DEEP |
				DPI_SQL_F_TOO_MANY_TOKENS | DPI_SQL_F_SCRATCH_FULL;
	unsigned nstmts = 0;

	fetch(p);
	while (!p->eof) {
		struct dpi_sql_stmt *st;
		struct level lv;

		if (cur_punct(p, ';')) {
			p->stmt_start = NULL;
			dpi_sql_advance(p);
			continue;
		}
		if (nstmts >= DPI_SQL_MAX_STMTS) {
			if (p->shadow)
				return true;
			p->pflags |= DPI_SQL_F_TOO_MANY_STMTS;
			break;
		}
		st = p->shadow ? &p->shadow_st : &r->stmts[nstmts];
		memset(st, 0, sizeof(*st));
		st->first_table = (uint16_t)r->ntables;
		st->off = (uint32_t)(p->stmt_start - sql);
		st->word = p->cur.t.text;
		p->st = st;
		p->nest = 0;
		p->ncte = 0;
		p->nalias = 0;
		p->ndeferred = 0;
		p->syntax_error = false;
		level_init(p, &lv, DPI_SQL_VERB_NONE, false);
		dpi_sql_level_start(p, &lv, true);
		scan_level(p, &lv);
		if (st->verb == DPI_SQL_VERB_NONE) {
			st->verb = DPI_SQL_VERB_OTHER;
			st->verbs |= 1ull << DPI_SQL_VERB_OTHER;
		}
		st->len = (uint32_t)(p->last_end - sql) - st->off;
		st->flags = p->sflags;
		p->pflags |= p->sflags;
		p->sflags = 0;
		nstmts++;
		if (p->shadow) {
			if (p->syntax_error)
				return false;
			if ((st->flags & limits) || !covered(r, st))
				return true;
			r->scratch_used = scratch_mark;
		} else {
			r->nstmts = nstmts;
		}
	}
	p->pflags |= p->sflags;
	return false;
}

static void sp_init(struct sp *p, enum dpi_sql_dialect dialect, const uint8_t *sql, size_t len,
		    struct dpi_sql_result *r, uint8_t mode)
{
	memset(p, 0, offsetof(struct sp, cte));
	dpi_sql_lexer_init(&p->lx, dialect, sql, len);
	p->lx.mode = mode;
	p->r = r;
	p->mysql = dialect != DPI_SQL_PGSQL;
}

int dpi_sql_analyze(enum dpi_sql_dialect dialect, const uint8_t *sql, size_t len,
		    struct dpi_sql_result *ret_res)
{
	struct dpi_sql_result *r = ret_res;
	unsigned pending, done;
	struct sp p;

	if (!r || (!sql && len))
		return -EINVAL;
	if (len > UINT32_MAX)
		return -E2BIG;
	r->flags = 0;
	r->nstmts = 0;
	r->ntables = 0;
	r->ntokens = 0;
	r->scratch_used = 0;
	sp_init(&p, dialect, sql, len, r, 0);
	run_pass(&p, sql);
	r->flags = p.pflags;
	if (r->nstmts > 1)
		r->flags |= DPI_SQL_F_STACKED;
	if (r->flags & DPI_SQL_F_INCOMPLETE)
		return 0; /* already not to be trusted */

	/*
	 * A literal or a versioned comment whose extent depends on the
	 * server's settings: read the text again under each setting (and
	 * each combination the new readings call for) and compare.
	 */
	pending = 0;
	done = 1u << 0;
	for (uint8_t mode = 0;;) {
		if (dialect == DPI_SQL_PGSQL) {
			if (p.saw_amb)
				pending |= 1u << (mode | DPI_SQL_MODE_PG_ESCAPES);
		} else {
			if (p.saw_amb && !(mode & DPI_SQL_MODE_ANSI_QUOTES))
				pending |= 1u << (mode | DPI_SQL_MODE_NO_BACKSLASH_ESCAPES);
			if (p.saw_amb && !(mode & DPI_SQL_MODE_NO_BACKSLASH_ESCAPES))
				pending |= 1u << (mode | DPI_SQL_MODE_ANSI_QUOTES);
			if (p.saw_versioned)
				pending |= 1u << (mode | DPI_SQL_MODE_SKIP_VERSIONED);
		}
		pending &= ~done;
		if (!pending)
			break;
		mode = (uint8_t)__builtin_ctz(pending);
		done |= 1u << mode;
		{
			uint32_t ntokens = r->ntokens, scratch = r->scratch_used;
			bool diverged;

			sp_init(&p, dialect, sql, len, r, mode);
			p.shadow = true;
			r->ntokens = 0;
			diverged = run_pass(&p, sql);
			r->ntokens = ntokens;
			r->scratch_used = scratch;
			if (diverged) {
				r->flags |= DPI_SQL_F_DIVERGENT;
				break;
			}
		}
	}
	return 0;
}
