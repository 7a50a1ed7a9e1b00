/* SPDX-License-Identifier: GPL-2.0-only */
/* test_hs.c - the Hyperscan layer: block and streaming scans, literals. */
#include <errno.h>
#include <string.h>

#include "bh_test.h"
#include "dpi_hs.h"

struct hits {
	unsigned n;
	unsigned id[16];
	uint64_t from[16], to[16];
	unsigned stop_after; /* 0: never */
};

static int on_hit(void *ctx, unsigned id, uint64_t from, uint64_t to)
{
	struct hits *h = ctx;

	if (h->n < 16) {
		h->id[h->n] = id;
		h->from[h->n] = from;
		h->to[h->n] = to;
	}
	h->n++;
	return h->stop_after && h->n >= h->stop_after;
}

static void test_block(void)
{
	static const struct dpi_hs_pattern pats[] = {
		{.expr = "union\\s+select", .flags = DPI_HS_CASELESS | DPI_HS_SOM, .id = 7},
		{.expr = "/etc/passwd", .flags = DPI_HS_SINGLEMATCH, .id = 9},
	};
	static const char text[] = "id=1 UNION   Select 2 -- /etc/passwd /etc/passwd";
	struct dpi_hs_db *db = NULL;
	struct dpi_hs_scratch *s = NULL;
	struct hits h = {0};
	uint8_t *g = guard_dup(text, sizeof(text) - 1);
	char err[256];

	CHECK_EQ(dpi_hs_compile(pats, 2, false, &db, err, sizeof(err)), 0);
	CHECK(dpi_hs_db_size(db) > 0);
	CHECK_EQ(dpi_hs_scratch_fit(&s, db), 0);
	CHECK_EQ(dpi_hs_scan(db, s, g, sizeof(text) - 1, on_hit, &h), 0);
	CHECK_EQ(h.n, 2); /* SINGLEMATCH: /etc/passwd once */
	CHECK_EQ(h.id[0], 7);
	CHECK_EQ(h.from[0], 5);
	CHECK_EQ(h.to[0], 19);
	CHECK_EQ(h.id[1], 9);
	/* A callback may stop the scan. */
	memset(&h, 0, sizeof(h));
	h.stop_after = 1;
	CHECK_EQ(dpi_hs_scan(db, s, g, sizeof(text) - 1, on_hit, &h), 1);
	CHECK_EQ(h.n, 1);
	/* A block database can't be streamed. */
	{
		struct dpi_hs_stream *st = NULL;

		CHECK_EQ(dpi_hs_stream_open(db, &st), -EINVAL);
	}
	guard_free(g, sizeof(text) - 1);
	dpi_hs_scratch_free(s);
	dpi_hs_db_free(db);
}

static void test_stream(void)
{
	static const struct dpi_hs_pattern pats[] = {{.expr = "\\$\\{jndi:", .flags = DPI_HS_CASELESS, .id = 3}};
	struct dpi_hs_db *db = NULL;
	struct dpi_hs_scratch *s = NULL;
	struct dpi_hs_stream *st = NULL;
	struct hits h = {0};
	char err[256];
	uint8_t *a = guard_dup("User-Agent: ${JN", 16);
	uint8_t *b = guard_dup("DI:ldap://x}", 12);

	CHECK_EQ(dpi_hs_compile(pats, 1, true, &db, err, sizeof(err)), 0);
	CHECK_EQ(dpi_hs_scratch_fit(&s, db), 0);
	CHECK_EQ(dpi_hs_stream_open(db, &st), 0);
	CHECK_EQ(dpi_hs_stream_scan(st, s, a, 16, on_hit, &h), 0);
	CHECK_EQ(h.n, 0);
	CHECK_EQ(dpi_hs_stream_scan(st, s, b, 12, on_hit, &h), 0);
	CHECK_EQ(h.n, 1); /* split across the two pieces */
	CHECK_EQ(h.to[0], 19); /* "User-Agent: " + "${jndi:" */
	dpi_hs_stream_close(st, s, on_hit, &h);
	/* Block scans with a streaming database are refused. */
	CHECK_EQ(dpi_hs_scan(db, s, a, 16, on_hit, &h), -EINVAL);
	dpi_hs_stream_close(NULL, s, NULL, NULL);
	guard_free(a, 16);
	guard_free(b, 12);
	dpi_hs_scratch_free(s);
	dpi_hs_db_free(db);
}

static void test_literal_and_errors(void)
{
	static const uint8_t lit[] = {'a', '.', '*', 0, 0xff, '|', 'Z'};
	char pat[64], err[256];
	struct dpi_hs_pattern p = {.expr = pat, .id = 1};
	struct dpi_hs_db *db = NULL, *db2 = NULL;
	struct dpi_hs_scratch *s = NULL;
	struct hits h = {0};
	static const uint8_t hay[] = {'x', 'a', '.', '*', 0, 0xff, '|', 'Z', 'a', 'b', '*'};
	struct dpi_hs_pattern bad = {.expr = "(unclosed", .id = 42};
	struct dpi_hs_pattern other = {.expr = "zzz+", .id = 2};

	CHECK(dpi_hs_literal(lit, sizeof(lit), pat, sizeof(pat)) > 0);
	CHECK(strcmp(pat, "a\\x2e\\x2a\\x00\\xff\\x7cZ") == 0);
	CHECK_EQ(dpi_hs_literal(lit, sizeof(lit), pat, 8), -ENOSPC);
	CHECK(dpi_hs_literal(lit, sizeof(lit), pat, sizeof(pat)) > 0);
	CHECK_EQ(dpi_hs_compile(&p, 1, false, &db, err, sizeof(err)), 0);
	CHECK_EQ(dpi_hs_scratch_fit(&s, db), 0);
	CHECK_EQ(dpi_hs_scan(db, s, hay, sizeof(hay), on_hit, &h), 0);
	CHECK_EQ(h.n, 1); /* the literal, not "a.*" as a regex */
	CHECK_EQ(h.to[0], 8);
	/* A failing pattern is named by its id; nothing is returned. */
	CHECK_EQ(dpi_hs_compile(&bad, 1, false, &db2, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "pattern 42") != NULL);
	CHECK(db2 == NULL);
	CHECK_EQ(dpi_hs_compile(&bad, 0, false, &db2, err, sizeof(err)), -EINVAL);
	/* One scratch fits several databases. */
	CHECK_EQ(dpi_hs_compile(&other, 1, false, &db2, err, sizeof(err)), 0);
	CHECK_EQ(dpi_hs_scratch_fit(&s, db2), 0);
	memset(&h, 0, sizeof(h));
	CHECK_EQ(dpi_hs_scan(db2, s, (const uint8_t *)"azzzz", 5, on_hit, &h), 0);
	CHECK(h.n >= 1);
	CHECK_EQ(dpi_hs_scan(db, s, hay, sizeof(hay), on_hit, &h), 0);
	dpi_hs_scratch_free(s);
	dpi_hs_db_free(db);
	dpi_hs_db_free(db2);
	dpi_hs_db_free(NULL);
	dpi_hs_scratch_free(NULL);
}

/*
 * libhs 5.4.0 reads past the end of a scanned buffer with its fat Teddy
 * literal matcher on AVX512VBMI CPUs (VectorCamp/vectorscan#322): with
 * nine short literals and a buffer that ends at a guard page, it faults.
 * dpi_hs_scan() and dpi_hs_stream_scan() copy such buffers first; on any
 * CPU, this must not crash and must find the matches. Every length up to
 * 96 bytes puts the end at every distance from the page.
 */
static int count_cb(void *ctx, unsigned id, uint64_t from, uint64_t to)
{
	(void)id;
	(void)from;
	(void)to;
	(*(unsigned *)ctx)++;
	return 0;
}

static void test_overread_at_page_end(void)
{
	static const char corpus[] = "VAt hat pat sat fat rat mat cat bat VAt hat pat sat fat rat mat "
				     "cat bat VAt hat pat sat fat rat mat ca";
	struct dpi_hs_pattern p = {.expr = "bat|cat|mat|rat|fat|sat|pat|hat|vat",
				   .flags = DPI_HS_CASELESS};
	struct dpi_hs_db *db = NULL, *sdb = NULL;
	struct dpi_hs_scratch *s = NULL;
	char err[256];

	CHECK_EQ(dpi_hs_compile(&p, 1, false, &db, err, sizeof(err)), 0);
	CHECK_EQ(dpi_hs_compile(&p, 1, true, &sdb, err, sizeof(err)), 0);
	CHECK_EQ(dpi_hs_scratch_fit(&s, db), 0);
	CHECK_EQ(dpi_hs_scratch_fit(&s, sdb), 0);
	for (size_t len = 1; len < sizeof(corpus); len++) {
		uint8_t *g = guard_dup(corpus, len);
		unsigned n = 0, m = 0;
		struct dpi_hs_stream *st = NULL;

		CHECK_EQ(dpi_hs_scan(db, s, g, len, count_cb, &n), 0);
		CHECK_EQ(dpi_hs_stream_open(sdb, &st), 0);
		CHECK_EQ(dpi_hs_stream_scan(st, s, g, len, count_cb, &m), 0);
		dpi_hs_stream_close(st, s, count_cb, &m);
		CHECK_EQ(n, m);
		CHECK_EQ(n, (unsigned)(len + 1) / 4);
		guard_free(g, len);
	}
	dpi_hs_scratch_free(s);
	dpi_hs_db_free(db);
	dpi_hs_db_free(sdb);
}

int main(void)
{
	RUN(test_overread_at_page_end);
	RUN(test_block);
	RUN(test_stream);
	RUN(test_literal_and_errors);
	return bh_test_summary();
}
