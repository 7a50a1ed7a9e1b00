/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_app_sql.c - one `sql` record per statement text a MySQL or PostgreSQL
 * client sends (COM_QUERY, COM_STMT_PREPARE, COM_INIT_DB; simple Query and
 * extended-protocol Parse), with the statement kinds and tables the SQL
 * analyser finds in it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_app.h"
#include "dpi_mysql.h"
#include "dpi_inspect.h"
#include "dpi_pgsql.h"
#include "dpi_sql.h"

/* Statement bytes carried in a record; the analyser sees all of them. */
#define STATEMENT_KEEP (64u * 1024u)

struct call {
	struct dpi_worker *w;
	void *cookie;
};

static struct bh_str str(struct dpi_slice s)
{
	return (struct bh_str){(const char *)s.p, s.len};
}

static void report(struct dpi_worker *w, void *cookie, enum dpi_sql_dialect dialect,
		   const char *kind, struct dpi_slice user, struct dpi_slice db,
		   struct dpi_slice text, bool truncated, bool analyze)
{
	struct bh_sql_command cmds[DPI_SQL_MAX_STMTS];
	struct bh_str tables[DPI_SQL_MAX_TABLES];
	struct bh_event ev;
	struct bh_verdict v;
	bool incomplete = analyze;

	if (dpi_pol_dropped(&w->cur->pol))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = BH_EV_SQL;
	ev.sql.dialect = dialect == DPI_SQL_MYSQL ? "mysql" : "pgsql";
	ev.sql.kind = kind;
	ev.sql.user = str(user);
	ev.sql.database = str(db);
	ev.sql.statement = str(text);
	ev.sql.truncated = truncated;
	if (ev.sql.statement.len > STATEMENT_KEEP) {
		ev.sql.statement.len = STATEMENT_KEEP;
		ev.sql.truncated = true;
	}
	if (analyze) {
		if (!w->sql)
			w->sql = malloc(sizeof(*w->sql));
		if (!w->sql) {
			dpi_anomaly(w, cookie, "applayer.no_memory");
		} else if (dpi_sql_analyze(dialect, text.p, text.len, w->sql) == 0) {
			const struct dpi_sql_result *r = w->sql;

			for (uint32_t i = 0; i < r->nstmts; i++) {
				const struct dpi_sql_stmt *st = &r->stmts[i];

				for (unsigned t = 0; t < st->ntables; t++)
					tables[st->first_table + t] =
						str(dpi_sql_stmt_table(r, st, t)->name);
				cmds[i] = (struct bh_sql_command){
					.verb = dpi_sql_verb_name(st->verb),
					.tables = &tables[st->first_table],
					.ntables = st->ntables,
				};
			}
			ev.sql.commands = cmds;
			ev.sql.ncommands = r->nstmts;
			incomplete = r->flags & DPI_SQL_F_INCOMPLETE;
			if (incomplete)
				dpi_anomaly(w, cookie, "sql.analysis_incomplete");
		}
		dpi_inspect_sql(w, cookie, dialect, text, &ev);
	}
	/* The parser's cut, not the event's copy: the analysis saw it all. */
	if (dpi_pol_sql(w, w->cur, cookie, &ev.sql, incomplete || truncated, &v))
		ev.verdict = &v;
	dpi_record(w, cookie, &ev);
}

static void on_anomaly(void *ctx, const char *event)
{
	struct call *c = ctx;

	dpi_anomaly(c->w, c->cookie, event);
}

/* ---- MySQL ---- */

static void my_query(void *ctx, const struct dpi_mysql_query *q)
{
	struct call *c = ctx;
	static const char *const kinds[] = {
		[DPI_MYSQL_QUERY] = "query", [DPI_MYSQL_PREPARE] = "prepare",
		[DPI_MYSQL_INIT_DB] = "init_db",
	};

	report(c->w, c->cookie, DPI_SQL_MYSQL, kinds[q->kind], q->user, q->database, q->text,
	       q->truncated, q->kind != DPI_MYSQL_INIT_DB);
}

static const struct dpi_mysql_cb my_cb = {
	.on_query = my_query,
	.on_anomaly = on_anomaly,
};

static int my_init(struct dpi_flow *f)
{
	struct dpi_mysql_state *st = malloc(sizeof(*st));

	if (!st)
		return -ENOMEM;
	dpi_mysql_init(st);
	f->st = st;
	return 0;
}

static int my_parse(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		    const uint8_t *buf, size_t len)
{
	struct call c = {w, cookie};

	return dpi_mysql_parse(f->st, dir, buf, len, &my_cb, &c);
}

static void my_end(struct dpi_worker *w, struct dpi_flow *f, void *cookie)
{
	(void)w;
	(void)cookie;
	if (f->st)
		dpi_mysql_fini(f->st);
	free(f->st);
	f->st = NULL;
}

const struct dpi_app dpi_app_mysql = {
	.proto = DPI_PROTO_MYSQL,
	.init = my_init,
	.parse = my_parse,
	.gap = dpi_app_no_resync,
	.end = my_end,
};

/* ---- PostgreSQL ---- */

static void pg_query(void *ctx, const struct dpi_pgsql_query *q)
{
	struct call *c = ctx;

	report(c->w, c->cookie, DPI_SQL_PGSQL, q->kind == DPI_PGSQL_PARSE ? "parse" : "query",
	       q->user, q->database, q->text, q->truncated, true);
}

static const struct dpi_pgsql_cb pg_cb = {
	.on_query = pg_query,
	.on_anomaly = on_anomaly,
};

static int pg_init(struct dpi_flow *f)
{
	struct dpi_pgsql_state *st = malloc(sizeof(*st));

	if (!st)
		return -ENOMEM;
	dpi_pgsql_init(st);
	f->st = st;
	return 0;
}

static int pg_parse(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		    const uint8_t *buf, size_t len)
{
	struct call c = {w, cookie};

	return dpi_pgsql_parse(f->st, dir, buf, len, &pg_cb, &c);
}

static void pg_end(struct dpi_worker *w, struct dpi_flow *f, void *cookie)
{
	(void)w;
	(void)cookie;
	if (f->st)
		dpi_pgsql_fini(f->st);
	free(f->st);
	f->st = NULL;
}

const struct dpi_app dpi_app_pgsql = {
	.proto = DPI_PROTO_PGSQL,
	.init = pg_init,
	.parse = pg_parse,
	.gap = dpi_app_no_resync,
	.end = pg_end,
};
