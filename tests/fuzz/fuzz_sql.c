/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_sql.c - libFuzzer target for the SQL lexer and statement analyser.
 *
 * Input: one byte choosing the dialect (bit 0: 0 MySQL, 1 PostgreSQL) and a
 * lexer mode for the lexer-only check (bits 1-4, DPI_SQL_MODE_*), then the
 * query text. The analyser takes a whole query, not a stream, so
 * instead of splitting the input into segments the text is copied into an
 * allocation of exactly its length: AddressSanitizer sees any read past it.
 * The results are checked for consistency, and every byte of every token and
 * table name is touched, so a bad pointer or length faults here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_sql.h"

static uint8_t touch(const uint8_t *p, size_t len)
{
	uint8_t x = 0;

	for (size_t i = 0; i < len; i++)
		x ^= p[i];
	return x;
}

static void check_lexer(enum dpi_sql_dialect d, uint8_t mode, const uint8_t *text, size_t len)
{
	struct dpi_sql_lexer lx;
	struct dpi_sql_token t;
	size_t calls = 0;
	uint8_t x = 0;

	if (dpi_sql_lexer_init(&lx, d, text, len) < 0)
		abort();
	lx.mode = mode;
	while (dpi_sql_next(&lx, &t) == 1) {
		if (++calls > len + 1)
			abort(); /* every token but one consumes a byte */
		if (t.text.p < text || t.text.len > len || t.text.p + t.text.len > text + len ||
		    t.body.p < t.text.p || t.body.p + t.body.len > t.text.p + t.text.len)
			abort();
		if (t.text.len == 0 && t.type != DPI_SQL_TOK_ERROR)
			abort();
		x ^= touch(t.text.p, t.text.len);
	}
	if (t.type != DPI_SQL_TOK_EOF || dpi_sql_next(&lx, &t) != 0)
		abort();
	__asm__ volatile("" : : "r"(x));
}

static void check_result(const struct dpi_sql_result *r, const uint8_t *text, size_t len)
{
	uint8_t x = 0;

	if (r->nstmts > DPI_SQL_MAX_STMTS || r->ntables > DPI_SQL_MAX_TABLES ||
	    r->scratch_used > DPI_SQL_SCRATCH || r->ntokens > DPI_SQL_MAX_TOKENS)
		abort();
	if (r->nstmts > 1 && !(r->flags & DPI_SQL_F_STACKED))
		abort();
	for (uint32_t i = 0; i < r->nstmts; i++) {
		const struct dpi_sql_stmt *st = &r->stmts[i];

		if ((size_t)st->off + st->len > len || st->ntables > DPI_SQL_MAX_STMT_TABLES ||
		    st->first_table + st->ntables > r->ntables)
			abort();
		if (st->verb == DPI_SQL_VERB_NONE || st->verb >= DPI_SQL_VERB__MAX ||
		    !(st->verbs & (1ull << st->verb)) || (st->flags & ~r->flags))
			abort();
		x ^= touch(text + st->off, st->len);
		x ^= touch(st->word.p, st->word.len);
		x ^= (uint8_t)dpi_sql_verb_name(st->verb)[0];
		for (unsigned j = 0; j < st->ntables; j++) {
			const struct dpi_sql_table *t = dpi_sql_stmt_table(r, st, j);
			const uint8_t *p = t->name.p;
			int in_text = p >= text && p + t->name.len <= text + len;
			int in_scratch = p >= r->scratch && p + t->name.len <= r->scratch + r->scratch_used;

			if (t->name.len == 0 || !(in_text || in_scratch) || t->schema_len >= t->name.len)
				abort();
			for (unsigned k = 0; k < j; k++) { /* distinct within a statement */
				const struct dpi_sql_table *o = dpi_sql_stmt_table(r, st, k);

				if (o->name.len == t->name.len &&
				    memcmp(o->name.p, t->name.p, t->name.len) == 0)
					abort();
			}
			x ^= touch(p, t->name.len);
		}
	}
	__asm__ volatile("" : : "r"(x));
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	enum dpi_sql_dialect d;
	struct dpi_sql_result *r;
	uint8_t *text;

	if (len < 1)
		return 0;
	d = (buf[0] & 1) ? DPI_SQL_PGSQL : DPI_SQL_MYSQL;
	len--;
	text = malloc(len ? len : 1);
	r = malloc(sizeof(*r));
	if (!text || !r)
		abort();
	memcpy(text, buf + 1, len);
	check_lexer(d, (uint8_t)((buf[0] >> 1) & 0x0f), text, len);
	if (dpi_sql_analyze(d, text, len, r) != 0)
		abort();
	check_result(r, text, len);
	free(r);
	free(text);
	return 0;
}
