/* SPDX-License-Identifier: GPL-2.0-only */
/* dpi_sig.c - signature engine core: prefilter and confirmation (see dpi_sig.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_hs.h"
#include "dpi_sig_int.h"

/* One chain evaluation on one value. */
struct chain {
	struct dpi_sig_scratch *s;
	const struct dpi_rule *r;
	struct dpi_hs_db *const *mdb;         /* this rule's */
	const uint8_t *v;
	uint32_t vlen;
	size_t ng;
	unsigned budget;
};

/* ------------------------------------------------------------------ compile */

unsigned dpi_sig_pcre_flags(const struct dpi_rule_match *m)
{
	unsigned f = 0;

	for (const char *p = m->pcre_flags ? m->pcre_flags : ""; *p; p++) {
		if (*p == 'i')
			f |= DPI_HS_CASELESS;
		else if (*p == 's')
			f |= DPI_HS_DOTALL;
		else if (*p == 'm')
			f |= DPI_HS_MULTILINE;
	}
	return f;
}

char *dpi_sig_pcre_expr(const struct dpi_rule_match *m)
{
	const char *fl = m->pcre_flags ? m->pcre_flags : "";
	bool x = strchr(fl, 'x'), a = strchr(fl, 'A');
	size_t n = strlen(m->pcre) + 16;
	char *e = malloc(n);

	if (!e)
		return NULL;
	snprintf(e, n, "%s%s%s%s", x ? "(?x)" : "", a ? "\\A(?:" : "", m->pcre, a ? ")" : "");
	return e;
}

static int compile_pcre(const struct dpi_rule *r, const struct dpi_rule_match *m,
			struct dpi_hs_db **ret, char *err, size_t errlen)
{
	struct dpi_hs_pattern p = {.flags = dpi_sig_pcre_flags(m) | DPI_HS_SINGLEMATCH, .id = r->sid};
	char herr[256] = "";
	char *e = dpi_sig_pcre_expr(m);
	int k;

	if (!e)
		return -ENOMEM;
	p.expr = e;
	k = dpi_hs_compile(&p, 1, false, ret, herr, sizeof(herr));
	if (k == -EINVAL)
		snprintf(err, errlen, "%s:%u: sid %u: pcre \"/%s/%s\" not supported by Hyperscan: %s",
			 r->file ? r->file : "?", m->line ? m->line : r->line, r->sid, m->pcre,
			 m->pcre_flags ? m->pcre_flags : "", herr);
	free(e);
	return k;
}

/* The rule's prefilter pattern: sets @p (expr malloc'ed) and *@buf, or
 * returns 0 with p->expr NULL when the rule has none. */
static int prefilter_of(const struct dpi_rule *r, uint32_t id, struct dpi_hs_pattern *p,
			enum dpi_rule_buffer *buf)
{
	const struct dpi_rule_match *m;
	const uint8_t *lit;
	size_t len;

	*p = (struct dpi_hs_pattern){.id = id};
	m = dpi_rule_fast_pattern(r, &lit, &len);
	/* A dotprefix literal may start with the '.' the transform adds. */
	if (m && len && !(m->transforms & DPI_RT_DOTPREFIX)) {
		size_t n = 4 * len + 1;
		char *e = malloc(n);

		if (!e)
			return -ENOMEM;
		if (dpi_hs_literal(lit, len, e, n) < 0) {
			free(e);
			return -ENOMEM;
		}
		p->expr = e;
		p->flags = DPI_HS_SINGLEMATCH;
		if (m->nocase || (m->transforms & DPI_RT_TO_LOWERCASE))
			p->flags |= DPI_HS_CASELESS;
		*buf = m->buffer;
		return 0;
	}
	for (size_t i = 0; i < r->n_matches; i++) {
		m = &r->matches[i];
		if (m->type != DPI_RM_PCRE || m->negated || m->relative || m->transforms)
			continue;
		p->expr = dpi_sig_pcre_expr(m);
		if (!p->expr)
			return -ENOMEM;
		p->flags = dpi_sig_pcre_flags(m) | DPI_HS_SINGLEMATCH;
		*buf = m->buffer;
		return 0;
	}
	return 0;
}

/* A transaction carries either the raw stream or parsed buffers, never
 * both: a rule that needs both can't match, so it is refused. */
static int check_buffers(const struct dpi_rule *r, char *err, size_t errlen)
{
	bool stream = false, other = false;

	for (size_t j = 0; j < r->n_matches; j++) {
		if (r->matches[j].buffer == DPI_RB_STREAM)
			stream = true;
		else
			other = true;
	}
	if (stream && other) {
		snprintf(err, errlen,
			 "%s:%u: sid %u: matches on the raw stream and on a parsed buffer "
			 "in one rule are not supported; split it in two rules",
			 r->file ? r->file : "?", r->line, r->sid);
		return -EINVAL;
	}
	return 0;
}

void dpi_sig_db_free(struct dpi_sig_db *db)
{
	if (!db)
		return;
	for (size_t b = 0; b < DPI_RB__COUNT; b++)
		dpi_hs_db_free(db->bdb[b]);
	if (db->mdb && db->mbase && db->rules) {
		size_t n = db->mbase[db->rules->n_rules];

		for (size_t i = 0; i < n; i++)
			dpi_hs_db_free(db->mdb[i]);
	}
	dpi_sig_stream_free(db);
	dpi_hs_scratch_free(db->proto);
	free(db->mdb);
	free(db->mbase);
	free(db->always);
	free(db->streamed);
	free(db);
}

bool dpi_sig_db_has_block_stream(const struct dpi_sig_db *db)
{
	return db && db->block_stream;
}

size_t dpi_sig_db_rules(const struct dpi_sig_db *db)
{
	return db ? db->rules->n_rules : 0;
}

/* One scratch fitted to every database of @db, for workers to clone. */
static int fit_proto(struct dpi_sig_db *db)
{
	int r;

	for (size_t b = 0; b < DPI_RB__COUNT; b++) {
		if (!db->bdb[b])
			continue;
		r = dpi_hs_scratch_fit(&db->proto, db->bdb[b]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < db->mbase[db->rules->n_rules]; i++) {
		if (!db->mdb[i])
			continue;
		r = dpi_hs_scratch_fit(&db->proto, db->mdb[i]);
		if (r < 0)
			return r;
	}
	if (db->sdb)
		return dpi_hs_scratch_fit(&db->proto, db->sdb);
	return 0;
}

int dpi_sig_compile(const struct dpi_rule_set *rules, struct dpi_sig_db **ret, char *err,
		    size_t errlen)
{
	struct dpi_sig_db *db = NULL;
	struct dpi_hs_pattern *pats[DPI_RB__COUNT] = {0};
	size_t npats[DPI_RB__COUNT] = {0};
	size_t nr = rules ? rules->n_rules : 0, total = 0;
	int r = -ENOMEM;

	if (errlen)
		err[0] = '\0';
	if (!rules || nr > UINT32_MAX) {
		snprintf(err, errlen, "no rule set");
		return -EINVAL;
	}
	db = calloc(1, sizeof(*db));
	if (!db)
		goto out;
	db->rules = rules;
	db->n_words = (nr + 63) / 64;
	db->mbase = calloc(nr + 1, sizeof(*db->mbase));
	db->always = calloc(nr ? nr : 1, sizeof(*db->always));
	db->streamed = calloc(nr ? nr : 1, sizeof(*db->streamed));
	if (!db->mbase || !db->always || !db->streamed)
		goto out;
	for (size_t i = 0; i < nr; i++) {
		db->mbase[i] = total;
		total += rules->rules[i].n_matches;
	}
	db->mbase[nr] = total;
	db->mdb = calloc(total ? total : 1, sizeof(*db->mdb));
	for (size_t b = 0; b < DPI_RB__COUNT; b++) {
		pats[b] = calloc(nr ? nr : 1, sizeof(*pats[b]));
		if (!pats[b])
			goto out;
	}
	if (!db->mdb)
		goto out;

	for (size_t i = 0; i < nr; i++) {
		const struct dpi_rule *ru = &rules->rules[i];
		struct dpi_hs_pattern p;
		enum dpi_rule_buffer b = DPI_RB_STREAM;

		if (ru->n_matches > DPI_RULES_MAX_MATCHES) {
			snprintf(err, errlen, "%s:%u: sid %u: too many matches", ru->file, ru->line,
				 ru->sid);
			r = -EINVAL;
			goto out;
		}
		for (size_t j = 0; j < ru->n_matches; j++) {
			if (ru->matches[j].type != DPI_RM_PCRE)
				continue;
			r = compile_pcre(ru, &ru->matches[j], &db->mdb[db->mbase[i] + j], err,
					 errlen);
			if (r < 0)
				goto out;
		}
		r = check_buffers(ru, err, errlen);
		if (r < 0)
			goto out;
		if (dpi_sig_streamable(ru)) {
			db->streamed[i] = true;
			continue;
		}
		if (!ru->n_matches || ru->matches[0].buffer == DPI_RB_STREAM)
			db->block_stream = true;
		r = prefilter_of(ru, (uint32_t)i, &p, &b);
		if (r < 0)
			goto out;
		r = -ENOMEM;
		if (p.expr && b < DPI_RB__COUNT)
			pats[b][npats[b]++] = p;
		else
			db->always[db->n_always++] = (uint32_t)i;
	}
	for (size_t b = 0; b < DPI_RB__COUNT; b++) {
		char herr[256] = "";

		if (!npats[b])
			continue;
		r = dpi_hs_compile(pats[b], npats[b], false, &db->bdb[b], herr, sizeof(herr));
		if (r == -EINVAL)
			snprintf(err, errlen, "%s prefilter: %s", dpi_rule_buffer_name((unsigned)b),
				 herr);
		if (r < 0)
			goto out;
	}
	r = dpi_sig_stream_compile(db, err, errlen);
	if (r < 0)
		goto out;
	r = fit_proto(db);
	if (r < 0)
		goto out;
	*ret = db;
	db = NULL;
	r = 0;
out:
	if (r == -ENOMEM && errlen && !err[0])
		snprintf(err, errlen, "out of memory");
	for (size_t b = 0; b < DPI_RB__COUNT; b++) {
		for (size_t k = 0; pats[b] && k < npats[b]; k++)
			free((char *)pats[b][k].expr);
		free(pats[b]);
	}
	dpi_sig_db_free(db);
	return r;
}

/* ------------------------------------------------------------------ scratch */

void dpi_sig_scratch_free(struct dpi_sig_scratch *s)
{
	if (!s)
		return;
	dpi_hs_scratch_free(s->hs);
	free(s->cand);
	free(s->xbuf);
	free(s);
}

int dpi_sig_scratch_new(const struct dpi_sig_db *db, struct dpi_sig_scratch **ret)
{
	struct dpi_sig_scratch *s = calloc(1, sizeof(*s));
	int r = -ENOMEM;

	if (!s)
		goto out;
	s->db = db;
	s->cand = calloc(db->n_words ? db->n_words : 1, sizeof(*s->cand));
	s->xbuf = malloc(DPI_SIG_XFORM_MAX);
	if (!s->cand || !s->xbuf)
		goto out;
	if (db->proto) {
		r = dpi_hs_scratch_clone(db->proto, &s->hs);
		if (r < 0)
			goto out;
	}
	*ret = s;
	s = NULL;
	r = 0;
out:
	dpi_sig_scratch_free(s);
	return r;
}

/* ------------------------------------------------------------ confirmation */

static inline uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* First occurrence of @m's bytes starting in [from, to - len]; -1 if none. */
static int64_t find(const struct dpi_rule_match *m, const uint8_t *v, int64_t from, int64_t to)
{
	bool nc = m->nocase || (m->transforms & DPI_RT_TO_LOWERCASE);
	size_t len = m->len;

	if (from < 0)
		from = 0;
	if (to - from < (int64_t)len)
		return -1;
	if (!len)
		return from;
	for (int64_t i = from; i + (int64_t)len <= to; i++) {
		size_t k = 0;

		if (nc) {
			while (k < len && lower(v[i + (int64_t)k]) == lower(m->bytes[k]))
				k++;
		} else {
			const uint8_t *q = memchr(v + i, m->bytes[0], (size_t)(to - i) - len + 1);

			if (!q)
				return -1;
			i = q - v;
			while (k < len && v[i + (int64_t)k] == m->bytes[k])
				k++;
		}
		if (k == len)
			return i;
	}
	return -1;
}

struct first_end {
	uint64_t to;
	bool hit;
};

static int on_first(void *ctx, unsigned id, uint64_t from, uint64_t to)
{
	struct first_end *f = ctx;

	(void)id;
	(void)from;
	f->to = to;
	f->hit = true;
	return 1;
}

static bool chain_eval(struct chain *c, size_t gi);

/* Base of a relative match: the end of the match it refers to. */
static int64_t base_of(const struct chain *c, const struct dpi_rule_match *m)
{
	return m->rel_to >= 0 && (size_t)m->rel_to < c->r->n_matches ? c->s->end[m->rel_to] : 0;
}

static bool eval_content(struct chain *c, size_t gi, size_t mi)
{
	const struct dpi_rule_match *m = &c->r->matches[mi];
	int64_t vlen = c->vlen, ws = 0, we = vlen, base = base_of(c, m);
	bool rel = m->rel_to >= 0 && (m->has_distance || m->has_within);

	if (rel) {
		int64_t dist = m->has_distance ? m->distance : 0;

		ws = base + dist;
		if (m->has_within && base + dist + m->within < we)
			we = base + dist + m->within;
	} else {
		if (m->has_offset)
			ws = m->offset;
		if (m->has_depth && ws + m->depth < we)
			we = ws + m->depth;
	}
	if (ws < 0)
		ws = 0;
	if (m->startswith && ws + (int64_t)m->len < we)
		we = ws + (int64_t)m->len;
	if (m->endswith) {
		if (we < vlen)
			ws = vlen + 1; /* cannot end at the value's end */
		else if (vlen - (int64_t)m->len > ws)
			ws = vlen - (int64_t)m->len;
	}
	if (m->negated) {
		if (find(m, c->v, ws, we) >= 0)
			return false;
		c->s->start[mi] = c->s->end[mi] = (uint32_t)(rel ? base : 0);
		return chain_eval(c, gi + 1);
	}
	for (int64_t from = ws;;) {
		int64_t at = find(m, c->v, from, we);

		if (at < 0)
			return false;
		c->s->start[mi] = (uint32_t)at;
		c->s->end[mi] = (uint32_t)(at + (int64_t)m->len);
		if (chain_eval(c, gi + 1))
			return true;
		/* Only a later match relative to this one can do better with
		 * another occurrence. */
		if (!c->s->dependent[mi] || !c->budget)
			return false;
		c->budget--;
		from = at + 1;
	}
}

static bool eval_pcre(struct chain *c, size_t gi, size_t mi)
{
	const struct dpi_rule_match *m = &c->r->matches[mi];
	int64_t ws = m->relative ? base_of(c, m) : 0;
	struct first_end f = {0};
	struct dpi_hs_db *d = c->mdb[mi];

	/* Hyperscan rejects patterns that match the empty string, so an
	 * empty window has no match (and may have a NULL pointer). */
	if (!d || ws >= (int64_t)c->vlen) {
		if (!m->negated)
			return false;
		c->s->start[mi] = c->s->end[mi] = (uint32_t)(ws < c->vlen ? ws : c->vlen);
		return chain_eval(c, gi + 1);
	}
	if (dpi_hs_scan(d, c->s->hs, c->v + ws, (size_t)((int64_t)c->vlen - ws), on_first, &f) < 0)
		return false;
	if (f.hit == m->negated)
		return false;
	c->s->start[mi] = (uint32_t)ws;
	c->s->end[mi] = (uint32_t)(f.hit ? ws + (int64_t)f.to : ws);
	return chain_eval(c, gi + 1);
}

static bool chain_eval(struct chain *c, size_t gi)
{
	size_t mi;
	const struct dpi_rule_match *m;
	bool ok;

	if (gi == c->ng)
		return true;
	mi = c->s->grp[gi];
	m = &c->r->matches[mi];
	switch (m->type) {
	case DPI_RM_CONTENT:
		return eval_content(c, gi, mi);
	case DPI_RM_PCRE:
		return eval_pcre(c, gi, mi);
	case DPI_RM_ISDATAAT: {
		int64_t base = m->relative ? base_of(c, m) : 0;

		ok = m->relative ? base + m->isdataat <= (int64_t)c->vlen
				 : (int64_t)m->isdataat < (int64_t)c->vlen;
		c->s->start[mi] = c->s->end[mi] = (uint32_t)base;
		break;
	}
	case DPI_RM_BSIZE:
		ok = c->vlen >= m->bsize_min && c->vlen <= m->bsize_max;
		c->s->start[mi] = c->s->end[mi] = 0;
		break;
	default:
		return false;
	}
	if (ok == m->negated)
		return false;
	return chain_eval(c, gi + 1);
}

/* @v through @m's transforms: the value itself, or a copy in the scratch. */
static const uint8_t *view(struct dpi_sig_scratch *s, uint8_t xf, const struct dpi_slice *v,
			   uint32_t *ret_len)
{
	uint32_t n = 0, len;

	if (!xf) {
		*ret_len = v->len;
		return v->p;
	}
	if (xf & DPI_RT_DOTPREFIX)
		s->xbuf[n++] = '.';
	len = v->len < DPI_SIG_XFORM_MAX - n ? v->len : DPI_SIG_XFORM_MAX - n;
	for (uint32_t i = 0; i < len; i++)
		s->xbuf[n + i] = (xf & DPI_RT_TO_LOWERCASE) ? lower(v->p[i]) : v->p[i];
	*ret_len = n + len;
	return s->xbuf;
}

static bool confirm(const struct dpi_sig_db *db, struct dpi_sig_scratch *s, size_t ri,
		    const struct dpi_sig_tx *tx)
{
	const struct dpi_rule *r = &db->rules->rules[ri];
	size_t n = r->n_matches;
	struct chain c = {.s = s, .r = r, .mdb = db->mdb + db->mbase[ri]};

	memset(s->done, 0, n * sizeof(s->done[0]));
	memset(s->dependent, 0, n * sizeof(s->dependent[0]));
	for (size_t i = 0; i < n; i++) {
		int rt = r->matches[i].rel_to;

		if (rt >= 0 && (size_t)rt < i)
			s->dependent[rt] = true;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dpi_rule_match *m = &r->matches[i];
		enum dpi_rule_buffer b = m->buffer;
		bool ok = false;

		if (s->done[i])
			continue;
		c.ng = 0;
		for (size_t j = i; j < n; j++) {
			if (r->matches[j].buffer == b && r->matches[j].transforms == m->transforms) {
				s->grp[c.ng++] = (uint16_t)j;
				s->done[j] = true;
			}
		}
		if (b >= DPI_RB__COUNT || !tx->vals[b])
			return false;
		for (uint32_t k = 0; k < tx->nvals[b] && !ok; k++) {
			c.v = view(s, m->transforms, &tx->vals[b][k], &c.vlen);
			c.budget = DPI_SIG_MAX_BACKTRACK;
			ok = chain_eval(&c, 0);
			if (ok)
				for (size_t g = 0; g < c.ng; g++)
					s->hit_value[s->grp[g]] = k;
		}
		if (!ok)
			return false;
	}
	return true;
}

static void report(const struct dpi_sig_scratch *s, const struct dpi_rule *r,
		   const struct dpi_sig_tx *tx, dpi_sig_alert_fn fn, void *ctx)
{
	struct dpi_sig_alert a = {.rule = r, .buffer = DPI_RB_STREAM};
	size_t pick = r->n_matches;

	for (size_t i = 0; i < r->n_matches; i++) {
		const struct dpi_rule_match *m = &r->matches[i];

		if (!m->negated && (m->type == DPI_RM_CONTENT || m->type == DPI_RM_PCRE)) {
			pick = i;
			break;
		}
	}
	if (pick < r->n_matches) {
		const struct dpi_rule_match *m = &r->matches[pick];
		uint32_t vlen, from = s->start[pick], to = s->end[pick];

		a.buffer = m->buffer;
		a.value = s->hit_value[pick];
		vlen = tx->vals[m->buffer][a.value].len;
		if (m->transforms & DPI_RT_DOTPREFIX) {
			/* back to the untransformed value's offsets */
			from = from ? from - 1 : 0;
			to = to ? to - 1 : 0;
		}
		a.from = from < vlen ? from : vlen;
		a.to = to < vlen ? to : vlen;
		if (a.to < a.from)
			a.to = a.from;
		a.excerpt = tx->vals[m->buffer][a.value].p + a.from;
		a.excerpt_len = a.to - a.from;
	} else if (r->n_matches) {
		a.buffer = r->matches[0].buffer;
		a.value = s->hit_value[0];
	}
	fn(ctx, &a);
}

static int on_candidate(void *ctx, unsigned id, uint64_t from, uint64_t to)
{
	uint64_t *cand = ctx;

	(void)from;
	(void)to;
	cand[id / 64] |= UINT64_C(1) << (id % 64);
	return 0;
}

static bool header_ok(const struct dpi_rule *r, const struct dpi_sig_tx *tx)
{
	if (r->app != DPI_RULE_APP_NONE && r->app != tx->app)
		return false;
	if (r->flow_dir == DPI_FLOW_TO_SERVER && tx->dir != DPI_TO_SERVER)
		return false;
	if (r->flow_dir == DPI_FLOW_TO_CLIENT && tx->dir != DPI_TO_CLIENT)
		return false;
	return true;
}

int dpi_sig_inspect(const struct dpi_sig_db *db, struct dpi_sig_scratch *s,
		    const struct dpi_sig_tx *tx, dpi_sig_alert_fn fn, void *ctx)
{
	int r = 0, alerts = 0;

	if (!db || !s || s->db != db || !tx)
		return -EINVAL;
	for (size_t b = 0; b < DPI_RB__COUNT && r >= 0; b++) {
		if (!db->bdb[b] || !tx->vals[b])
			continue;
		for (uint32_t k = 0; k < tx->nvals[b]; k++) {
			const struct dpi_slice *v = &tx->vals[b][k];

			if (!v->len) /* no pattern matches the empty string */
				continue;
			r = dpi_hs_scan(db->bdb[b], s->hs, v->p, v->len, on_candidate, s->cand);
			if (r < 0)
				break;
		}
	}
	for (size_t i = 0; i < db->n_always; i++)
		on_candidate(s->cand, db->always[i], 0, 0);
	/* Walk (and clear) the bitmap even after a failed scan: it must be
	 * all zero for the next transaction. */
	for (size_t w = 0; w < db->n_words; w++) {
		while (s->cand[w]) {
			size_t ri = w * 64 + (size_t)__builtin_ctzll(s->cand[w]);
			const struct dpi_rule *ru = &db->rules->rules[ri];

			s->cand[w] &= s->cand[w] - 1;
			if (r < 0 || !header_ok(ru, tx) || !confirm(db, s, ri, tx))
				continue;
			if (fn)
				report(s, ru, tx, fn, ctx);
			alerts++;
		}
	}
	return r < 0 ? r : alerts;
}

bool dpi_sig_rule_applies(const struct dpi_rule *r, const uint8_t src16[16], uint16_t sport,
			  const uint8_t dst16[16], uint16_t dport)
{
	if (dpi_rule_addrs_match(&r->src, src16) && dpi_rule_ports_match(&r->sport, sport) &&
	    dpi_rule_addrs_match(&r->dst, dst16) && dpi_rule_ports_match(&r->dport, dport))
		return true;
	return r->bidirectional && dpi_rule_addrs_match(&r->src, dst16) &&
	       dpi_rule_ports_match(&r->sport, dport) && dpi_rule_addrs_match(&r->dst, src16) &&
	       dpi_rule_ports_match(&r->dport, sport);
}
