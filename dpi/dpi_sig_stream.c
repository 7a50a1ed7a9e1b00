/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sig_stream.c - raw-stream rules in Hyperscan streaming mode (see
 * dpi_sig.h): a pattern split across segments still matches, and a rule
 * alerts once per direction when all its patterns have matched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_sig_int.h"

struct dpi_sig_stream {
	const struct dpi_sig_db *db;   /* the database it was opened for */
	struct dpi_hs_stream *hs;
	uint64_t off;          /* bytes scanned by the current Hyperscan stream */
	bool rebased;          /* a gap came: offset-bound patterns are void */
	uint32_t tail_len;
	uint8_t tail[DPI_SIG_TAIL];
	bool pending;          /* some rule waits for the flow's application */
	/* pattern hit bits (n_spat), then fired and pending bits (n_srules
	 * each); a rule is pending when its patterns matched before the flow's
	 * application was known */
	uint64_t bits[];
};

static bool content_streamable(const struct dpi_rule_match *m)
{
	return !m->negated && m->rel_to < 0 && !m->has_distance && !m->has_within &&
	       !m->endswith && m->len > 0 && m->len <= UINT16_MAX;
}

bool dpi_sig_streamable(const struct dpi_rule *r)
{
	if (!r->n_matches)
		return false;
	for (size_t i = 0; i < r->n_matches; i++) {
		const struct dpi_rule_match *m = &r->matches[i];

		if (m->buffer != DPI_RB_STREAM || m->transforms)
			return false;
		if (m->type == DPI_RM_CONTENT && content_streamable(m))
			continue;
		if (m->type == DPI_RM_PCRE && !m->negated && !m->relative)
			continue;
		return false;
	}
	return true;
}

void dpi_sig_stream_free(struct dpi_sig_db *db)
{
	dpi_hs_db_free(db->sdb);
	free(db->spat_srule);
	free(db->spat_len);
	free(db->spat_anchored);
	free(db->srule_rule);
	free(db->srule_first);
	free(db->srule_n);
}

/* One match as a streaming pattern; p->expr is malloc'ed. */
static int pattern_of(const struct dpi_rule_match *m, uint32_t id, struct dpi_hs_pattern *p,
		      bool *ret_anchored)
{
	size_t n;
	char *e;

	*p = (struct dpi_hs_pattern){.id = id, .flags = DPI_HS_SINGLEMATCH};
	*ret_anchored = false;
	if (m->type == DPI_RM_PCRE) {
		p->expr = dpi_sig_pcre_expr(m);
		if (!p->expr)
			return -ENOMEM;
		p->flags |= dpi_sig_pcre_flags(m);
		*ret_anchored = m->pcre_flags && strchr(m->pcre_flags, 'A');
		return 0;
	}
	n = 4 * m->len + 1;
	e = malloc(n);
	if (!e)
		return -ENOMEM;
	if (dpi_hs_literal(m->bytes, m->len, e, n) < 0) {
		free(e);
		return -ENOMEM;
	}
	p->expr = e;
	if (m->nocase)
		p->flags |= DPI_HS_CASELESS;
	if (m->has_offset || m->has_depth || m->startswith) {
		uint64_t off = m->has_offset ? m->offset : 0;

		p->min_end = off + m->len;
		if (m->startswith)
			p->max_end = off + m->len;
		else if (m->has_depth)
			p->max_end = off + m->depth;
		*ret_anchored = true;
	}
	return 0;
}

int dpi_sig_stream_compile(struct dpi_sig_db *db, char *err, size_t errlen)
{
	const struct dpi_rule_set *rs = db->rules;
	struct dpi_hs_pattern *pats = NULL;
	uint32_t np = 0, nsr = 0;
	int r = -ENOMEM;

	for (size_t i = 0; i < rs->n_rules; i++) {
		if (!db->streamed[i])
			continue;
		if (np + rs->rules[i].n_matches > UINT32_MAX / 2) {
			snprintf(err, errlen, "too many raw-stream patterns");
			return -EINVAL;
		}
		np += (uint32_t)rs->rules[i].n_matches;
		nsr++;
	}
	if (!np)
		return 0;
	pats = calloc(np, sizeof(*pats));
	db->spat_srule = calloc(np, sizeof(*db->spat_srule));
	db->spat_len = calloc(np, sizeof(*db->spat_len));
	db->spat_anchored = calloc(np, sizeof(*db->spat_anchored));
	db->srule_rule = calloc(nsr, sizeof(*db->srule_rule));
	db->srule_first = calloc(nsr, sizeof(*db->srule_first));
	db->srule_n = calloc(nsr, sizeof(*db->srule_n));
	if (!pats || !db->spat_srule || !db->spat_len || !db->spat_anchored || !db->srule_rule ||
	    !db->srule_first || !db->srule_n)
		goto out;
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct dpi_rule *ru = &rs->rules[i];
		uint32_t sr = db->n_srules;

		if (!db->streamed[i])
			continue;
		db->srule_rule[sr] = (uint32_t)i;
		db->srule_first[sr] = db->n_spat;
		db->srule_n[sr] = (uint32_t)ru->n_matches;
		db->n_srules++;
		for (size_t j = 0; j < ru->n_matches; j++) {
			const struct dpi_rule_match *m = &ru->matches[j];
			uint32_t id = db->n_spat;

			r = pattern_of(m, id, &pats[id], &db->spat_anchored[id]);
			if (r < 0)
				goto out;
			db->spat_srule[id] = sr;
			db->spat_len[id] = m->type == DPI_RM_CONTENT ? (uint16_t)m->len : 0;
			db->n_spat++;
		}
	}
	{
		char herr[256] = "";

		r = dpi_hs_compile(pats, np, true, &db->sdb, herr, sizeof(herr));
		if (r == -EINVAL) {
			unsigned id;
			const struct dpi_rule *ru = NULL;

			/* herr is "pattern ID: ...": name the rule instead */
			if (sscanf(herr, "pattern %u", &id) == 1 && id < np)
				ru = &rs->rules[db->srule_rule[db->spat_srule[id]]];
			if (ru)
				snprintf(err, errlen, "%s:%u: sid %u: raw-stream pattern: %s",
					 ru->file ? ru->file : "?", ru->line, ru->sid, herr);
			else
				snprintf(err, errlen, "raw-stream database: %s", herr);
		}
	}
out:
	for (uint32_t k = 0; pats && k < np; k++)
		free((char *)pats[k].expr);
	free(pats);
	return r;
}

bool dpi_sig_db_has_streams(const struct dpi_sig_db *db)
{
	return db && db->sdb;
}

static size_t words(uint32_t n)
{
	return (n + 63u) / 64u;
}

int dpi_sig_stream_open(const struct dpi_sig_db *db, struct dpi_sig_stream **ret)
{
	struct dpi_sig_stream *st;
	size_t nw;

	*ret = NULL;
	if (!db || !db->sdb)
		return 0;
	nw = words(db->n_spat) + 2 * words(db->n_srules);
	st = calloc(1, sizeof(*st) + nw * sizeof(uint64_t));
	if (!st)
		return -ENOMEM;
	if (dpi_hs_stream_open(db->sdb, &st->hs) < 0) {
		free(st);
		return -ENOMEM;
	}
	st->db = db;
	*ret = st;
	return 0;
}

void dpi_sig_stream_close(struct dpi_sig_scratch *s, struct dpi_sig_stream *st)
{
	if (!st)
		return;
	dpi_hs_stream_close(st->hs, s ? s->hs : NULL, NULL, NULL);
	free(st);
}

int dpi_sig_stream_gap(const struct dpi_sig_db *db, struct dpi_sig_scratch *s,
		       struct dpi_sig_stream *st)
{
	if (!db || !st || !s || s->db != db || st->db != db)
		return -EINVAL;
	st->off = 0;
	st->rebased = true;
	st->tail_len = 0;
	return dpi_hs_stream_reset(st->hs, s->hs);
}

int dpi_sig_stream_reset(const struct dpi_sig_db *db, struct dpi_sig_scratch *s,
			 struct dpi_sig_stream *st)
{
	if (!db || !st || !s || s->db != db || st->db != db)
		return -EINVAL;
	st->off = 0;
	st->rebased = false;
	st->pending = false;
	st->tail_len = 0;
	memset(st->bits, 0, (words(db->n_spat) + 2 * words(db->n_srules)) * sizeof(uint64_t));
	return dpi_hs_stream_reset(st->hs, s->hs);
}

struct scan {
	const struct dpi_sig_db *db;
	struct dpi_sig_scratch *s;
	struct dpi_sig_stream *st;
	enum dpi_rule_app app;
	unsigned dir;
	const uint8_t *buf;
	size_t len;
	dpi_sig_alert_fn fn;
	void *ctx;
	int alerts;
};

static bool bit(const uint64_t *b, size_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}

static void set_bit(uint64_t *b, size_t i)
{
	b[i / 64] |= UINT64_C(1) << (i % 64);
}

/* The @n bytes of the stream that end at offset @to (of the Hyperscan
 * stream), from the tail and the current buffer, into the scratch. */
static uint32_t excerpt(struct scan *c, uint64_t to, uint32_t n)
{
	uint64_t buf_start = c->st->off; /* offset of c->buf[0] */
	uint32_t got = 0;

	if (n > sizeof(c->s->excerpt))
		n = sizeof(c->s->excerpt);
	if (to > buf_start + c->len)
		to = buf_start + c->len;
	if (n > to)
		n = (uint32_t)to;
	for (uint64_t o = to - n; o < to; o++) {
		if (o >= buf_start) {
			c->s->excerpt[got++] = c->buf[o - buf_start];
		} else if (buf_start - o <= c->st->tail_len) {
			c->s->excerpt[got++] = c->st->tail[c->st->tail_len - (buf_start - o)];
		}
	}
	return got;
}

static bool header_ok(const struct dpi_rule *r, enum dpi_rule_app app, unsigned dir)
{
	if (r->app != DPI_RULE_APP_NONE && r->app != app)
		return false;
	if (r->flow_dir == DPI_FLOW_TO_SERVER && dir != DPI_TO_SERVER)
		return false;
	if (r->flow_dir == DPI_FLOW_TO_CLIENT && dir != DPI_TO_CLIENT)
		return false;
	return true;
}

static void fire(struct scan *c, uint32_t sr, uint32_t excerpt_len)
{
	const struct dpi_sig_db *db = c->db;
	struct dpi_sig_alert a = {.rule = &db->rules->rules[db->srule_rule[sr]],
				  .buffer = DPI_RB_STREAM};

	set_bit(c->st->bits + words(db->n_spat), sr);
	a.excerpt = c->s->excerpt;
	a.excerpt_len = excerpt_len;
	a.to = excerpt_len;
	if (c->fn)
		c->fn(c->ctx, &a);
	c->alerts++;
}

static int on_match(void *ctx, unsigned id, uint64_t from, uint64_t to)
{
	struct scan *c = ctx;
	const struct dpi_sig_db *db = c->db;
	uint64_t *pbits = c->st->bits, *fired = c->st->bits + words(db->n_spat);
	uint32_t sr, first, n;
	const struct dpi_rule *r;

	(void)from;
	if (id >= db->n_spat || (c->st->rebased && db->spat_anchored[id]))
		return 0;
	set_bit(pbits, id);
	sr = db->spat_srule[id];
	if (bit(fired, sr))
		return 0;
	first = db->srule_first[sr];
	n = db->srule_n[sr];
	for (uint32_t k = 0; k < n; k++)
		if (!bit(pbits, first + k))
			return 0;
	r = &db->rules->rules[db->srule_rule[sr]];
	if (!header_ok(r, c->app, c->dir)) {
		if (r->app != DPI_RULE_APP_NONE && c->app == DPI_RULE_APP_NONE) {
			set_bit(fired + words(db->n_srules), sr);
			c->st->pending = true;
		}
		return 0;
	}
	fire(c, sr, excerpt(c, to, db->spat_len[id] ? db->spat_len[id] : DPI_SIG_TAIL));
	return 0;
}

/* Rules that completed while the application was unknown, now that it is
 * known; their excerpt is what the tail still holds. */
static void settle_pending(struct scan *c)
{
	const struct dpi_sig_db *db = c->db;
	uint64_t *fired = c->st->bits + words(db->n_spat), *pend = fired + words(db->n_srules);

	c->st->pending = false;
	for (uint32_t sr = 0; sr < db->n_srules; sr++) {
		const struct dpi_rule *r = &db->rules->rules[db->srule_rule[sr]];

		if (!bit(pend, sr))
			continue;
		pend[sr / 64] &= ~(UINT64_C(1) << (sr % 64));
		if (!bit(fired, sr) && header_ok(r, c->app, c->dir)) {
			memcpy(c->s->excerpt, c->st->tail, c->st->tail_len);
			fire(c, sr, c->st->tail_len);
		}
	}
}

/* Keep the last DPI_SIG_TAIL bytes seen, for excerpts across segments. */
static void keep_tail(struct dpi_sig_stream *st, const uint8_t *buf, size_t len)
{
	if (len >= DPI_SIG_TAIL) {
		memcpy(st->tail, buf + len - DPI_SIG_TAIL, DPI_SIG_TAIL);
		st->tail_len = DPI_SIG_TAIL;
		return;
	}
	if (st->tail_len + len > DPI_SIG_TAIL) {
		size_t drop = st->tail_len + len - DPI_SIG_TAIL;

		memmove(st->tail, st->tail + drop, st->tail_len - drop);
		st->tail_len -= (uint32_t)drop;
	}
	memcpy(st->tail + st->tail_len, buf, len);
	st->tail_len += (uint32_t)len;
}

int dpi_sig_stream_scan(const struct dpi_sig_db *db, struct dpi_sig_scratch *s,
			struct dpi_sig_stream *st, enum dpi_rule_app app, unsigned dir,
			const uint8_t *buf, size_t len, dpi_sig_alert_fn fn, void *ctx)
{
	struct scan c = {db, s, st, app, dir, buf, len, fn, ctx, 0};
	int r;

	if (!db || !s || s->db != db || !st || st->db != db || (!buf && len))
		return -EINVAL;
	if (st->pending && app != DPI_RULE_APP_NONE)
		settle_pending(&c);
	if (!len)
		return c.alerts;
	r = dpi_hs_stream_scan(st->hs, s->hs, buf, len, on_match, &c);
	if (r < 0)
		return r;
	st->off += len;
	keep_tail(st, buf, len);
	return c.alerts;
}
