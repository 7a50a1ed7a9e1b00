/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bh_feed.h - the unit tests' stand-in for the engine's caller of a stream
 * parser: a pending buffer per direction that new bytes are appended to, a
 * parse call on a guard-page copy of it, and the consumed bytes dropped.
 * bh_feed_replay_all_cuts() then replays a captured trace whole, cut at every
 * offset, in 1-byte pieces and in random pieces, and checks that every way of
 * cutting gives the same transcript and the same errors.
 *
 * The parsers (mysql, pgsql, tls) differ only in their state and callbacks;
 * a test wraps them in its own struct whose first member is a struct bh_feed.
 */
#ifndef BH_FEED_H
#define BH_FEED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bh_test.h"
#include "dpi_parser.h"

/* Parses @len bytes of direction @dir for @ctx; returns what the parser
 * returns (bytes consumed, 0 for "need more", or a negative error). */
typedef int (*bh_parse_fn)(void *ctx, unsigned dir, const uint8_t *buf, size_t len);

struct bh_feed {
	uint8_t *pend[2];
	size_t plen[2];
	int err[2];		/* the first negative return */
	bool overflow;		/* the parser left more than DPI_MAX_PENDING */
	unsigned calls;
	bh_parse_fn parse;
	void *ctx;
};

static inline void bh_feed_init(struct bh_feed *f, bh_parse_fn parse, void *ctx)
{
	memset(f, 0, sizeof(*f));
	f->parse = parse;
	f->ctx = ctx;
	for (int i = 0; i < 2; i++) {
		f->pend[i] = malloc(DPI_MAX_PENDING);
		if (!f->pend[i])
			abort();
	}
}

static inline void bh_feed_fini(struct bh_feed *f)
{
	free(f->pend[0]);
	free(f->pend[1]);
}

/* Appends @n bytes of direction @dir and parses until the parser wants more,
 * fails (then the direction is dead), or consumed everything. */
static inline void bh_feed(struct bh_feed *f, unsigned dir, const uint8_t *p, size_t n)
{
	while (n && !f->err[dir]) {
		size_t room = DPI_MAX_PENDING - f->plen[dir], k = n < room ? n : room;

		if (k == 0) {
			f->overflow = true;
			return;
		}
		memcpy(f->pend[dir] + f->plen[dir], p, k);
		f->plen[dir] += k;
		p += k;
		n -= k;
		while (f->plen[dir]) {
			uint8_t *g = guard_dup(f->pend[dir], f->plen[dir]);
			int r = f->parse(f->ctx, dir, g, f->plen[dir]);

			guard_free(g, f->plen[dir]);
			f->calls++;
			if (r < 0) {
				f->err[dir] = r;
				f->plen[dir] = 0;
				break;
			}
			if (r == 0)
				break;
			if ((size_t)r > f->plen[dir])
				abort();
			memmove(f->pend[dir], f->pend[dir] + r, f->plen[dir] - (size_t)r);
			f->plen[dir] -= (size_t)r;
		}
	}
}

/* One captured TCP payload, as hex. */
struct bh_seg {
	unsigned dir;
	const char *hex;
};

#define NSEG(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))

static inline size_t bh_unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2) {
		unsigned v;

		if (sscanf(h, "%2x", &v) != 1)
			abort();
		out[n++] = (uint8_t)v;
	}
	return n;
}

struct bh_trace {
	unsigned nseg;
	unsigned dir[64];
	uint8_t *data[64];
	size_t len[64];
	size_t total;
};

static inline void bh_trace_load(struct bh_trace *t, const struct bh_seg *segs, unsigned n)
{
	memset(t, 0, sizeof(*t));
	if (n > 64)
		abort();
	t->nseg = n;
	for (unsigned i = 0; i < n; i++) {
		t->dir[i] = segs[i].dir;
		t->data[i] = malloc(strlen(segs[i].hex) / 2 + 1);
		if (!t->data[i])
			abort();
		t->len[i] = bh_unhex(segs[i].hex, t->data[i]);
		t->total += t->len[i];
	}
}

static inline void bh_trace_free(struct bh_trace *t)
{
	for (unsigned i = 0; i < t->nseg; i++)
		free(t->data[i]);
}

enum bh_cut { BH_CUT_NONE, BH_CUT_AT, BH_CUT_BYTES, BH_CUT_RANDOM };

/* Replays @t into @f, cutting segments as @how says (@arg: the global offset
 * for BH_CUT_AT, the seed for BH_CUT_RANDOM). */
static inline void bh_feed_replay(struct bh_feed *f, const struct bh_trace *t, enum bh_cut how,
				  uint64_t arg)
{
	size_t off = 0;

	for (unsigned i = 0; i < t->nseg; i++) {
		const uint8_t *p = t->data[i];
		size_t n = t->len[i];

		while (n) {
			size_t k = n;

			if (how == BH_CUT_AT && arg > off && arg < off + n)
				k = arg - off;
			else if (how == BH_CUT_BYTES)
				k = 1;
			else if (how == BH_CUT_RANDOM)
				k = 1 + bh_xorshift(&arg) % 97;
			if (k > n)
				k = n;
			bh_feed(f, t->dir[i], p, k);
			p += k;
			n -= k;
			off += k;
		}
	}
}

/* What bh_feed_replay_all_cuts() needs to know about a test's own struct,
 * whose first member must be the struct bh_feed. */
struct bh_feed_ops {
	size_t size;					/* of the test's struct */
	void (*init)(void *sim);			/* zeroes and initialises */
	void (*fini)(void *sim);
	const char *(*log)(const void *sim, size_t *ret_len);	/* NUL-terminated */
};

static inline bool bh_feed_same(const struct bh_feed_ops *ops, const void *a, const void *b)
{
	const struct bh_feed *fa = a, *fb = b;
	size_t na, nb;
	const char *la = ops->log(a, &na), *lb = ops->log(b, &nb);

	return na == nb && !memcmp(la, lb, na) && fa->err[0] == fb->err[0] &&
	       fa->err[1] == fb->err[1];
}

/* Replays @segs whole into @out (initialised here; the caller fini()s it),
 * then checks that every other way of cutting it gives the same log. */
static inline void bh_feed_replay_all_cuts(const struct bh_feed_ops *ops, void *out,
					   const struct bh_seg *segs, unsigned n)
{
	struct bh_trace t;
	struct bh_feed *fo = out;
	void *s = malloc(ops->size);
	size_t nout, ns;

	if (!s)
		abort();
	bh_trace_load(&t, segs, n);
	ops->init(out);
	bh_feed_replay(fo, &t, BH_CUT_NONE, 0);
	CHECK(!fo->overflow);
	if (getenv("BH_VERBOSE"))
		fputs(ops->log(out, &nout), stderr);
	for (size_t at = 1; at < t.total; at++) {
		ops->init(s);
		bh_feed_replay(s, &t, BH_CUT_AT, at);
		if (!bh_feed_same(ops, s, out)) {
			CHECK(!"log differs when cut");
			fprintf(stderr, "cut at %zu:\n%s\nwhole:\n%s\n", at, ops->log(s, &ns),
				ops->log(out, &nout));
			ops->fini(s);
			break;
		}
		ops->fini(s);
	}
	for (uint64_t seed = 0; seed < 18; seed++) {
		const struct bh_feed *fs = s;
		const char *ls, *lout;

		ops->init(s);
		if (seed == 0)
			bh_feed_replay(s, &t, BH_CUT_BYTES, 0);
		else
			bh_feed_replay(s, &t, BH_CUT_RANDOM, seed * 0x9e3779b97f4a7c15ull);
		ls = ops->log(s, &ns);
		lout = ops->log(out, &nout);
		CHECK_EQ(ns, nout);
		CHECK(ns == nout && !memcmp(ls, lout, ns));
		CHECK_EQ(fs->err[0], fo->err[0]);
		CHECK_EQ(fs->err[1], fo->err[1]);
		ops->fini(s);
	}
	free(s);
	bh_trace_free(&t);
}

/* Whether @log has @line, saying what it has if not. */
static inline bool bh_log_has(const char *log, const char *line)
{
	if (!strstr(log, line)) {
		fprintf(stderr, "missing \"%s\" in:\n%s\n", line, log);
		return false;
	}
	return true;
}

/* No-op for BH_FEED_SIM()'s @fini_fn when the parser state owns no memory. */
#define BH_FEED_NO_FINI (void)

/*
 * Defines the test's caller around one parser: struct sim (the bh_feed, the
 * parser state st, and the test's struct rec, which must be defined already),
 * sim_init()/sim_fini(), sim_feed(), replay_all_cuts() and has(). @init_fn,
 * @fini_fn and @parse_fn are the parser's functions; @cb its callbacks, given
 * &sim.rec as their context.
 */
#define BH_FEED_SIM(state_type, init_fn, fini_fn, parse_fn, cb)                        \
	struct sim {                                                                  \
		struct bh_feed f; /* first, as bh_feed_replay_all_cuts() wants */     \
		state_type st;                                                        \
		struct rec rec;                                                       \
	};                                                                            \
	static int sim_parse(void *ctx, unsigned dir, const uint8_t *buf, size_t len) \
	{                                                                             \
		struct sim *s = ctx;                                                  \
		return parse_fn(&s->st, dir, buf, len, cb, &s->rec);                  \
	}                                                                             \
	static void sim_init(void *sim)                                               \
	{                                                                             \
		struct sim *s = sim;                                                  \
		memset(s, 0, sizeof(*s));                                             \
		init_fn(&s->st);                                                      \
		bh_feed_init(&s->f, sim_parse, s);                                    \
	}                                                                             \
	static void sim_fini(void *sim)                                               \
	{                                                                             \
		struct sim *s = sim;                                                  \
		fini_fn(&s->st);                                                      \
		bh_feed_fini(&s->f);                                                  \
	}                                                                             \
	static const char *sim_log(const void *sim, size_t *ret_len)                  \
	{                                                                             \
		const struct sim *s = sim;                                            \
		*ret_len = s->rec.n;                                                  \
		return s->rec.log;                                                    \
	}                                                                             \
	static const struct bh_feed_ops sim_ops = {                                   \
		.size = sizeof(struct sim),                                           \
		.init = sim_init,                                                     \
		.fini = sim_fini,                                                     \
		.log = sim_log,                                                       \
	};                                                                            \
	static inline void sim_feed(struct sim *s, unsigned dir, const uint8_t *p, size_t n) \
	{                                                                             \
		bh_feed(&s->f, dir, p, n);                                            \
	}                                                                             \
	/* Replays @segs whole into @out (initialised here; caller sim_fini()s),  \
	 * then checks that every other way of cutting it gives the same log. */  \
	static inline void replay_all_cuts(struct sim *out, const struct bh_seg *segs, \
					   unsigned n)                                 \
	{                                                                             \
		bh_feed_replay_all_cuts(&sim_ops, out, segs, n);                      \
	}                                                                             \
	static inline bool has(const struct sim *s, const char *line)                 \
	{                                                                             \
		return bh_log_has(s->rec.log, line);                                  \
	}

#endif
