/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_policy_eval.c - decide flows and transactions against the compiled
 * policy (dpi_policy_int.h), as ../shared/policy-model.md says:
 *
 * - each end checks its own direction: the client's egress, the server's
 *   ingress; an end no policy restricts in that direction passes;
 * - the rules of an end form a union: a flow passes an end when some rule
 *   matches its peer and port; if one of those rules has no L7 rules the end
 *   is done, otherwise each transaction must match an L7 entry of one of
 *   them (entries OR'd, fields AND'd);
 * - data an end with L7 rules can't inspect gets that end's onUnparsed;
 * - a signature in a set an end's policy denies on denies the transaction;
 * - each failing end fails in its own mode: protect denies, monitor
 *   audits, learn records; the strictest failing end makes the verdict.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dpi_app.h"
#include "dpi_hs.h"
#include "dpi_http.h"
#include "dpi_policy_int.h"

struct dpi_policy_scratch {
	struct dpi_hs_scratch *hs;
	uint32_t *stamp[PC__MAX];
	uint32_t epoch;
};

/* Candidate rules of one end: at most this many are looked at per
 * decision; an end with more rules for one peer and port is unusual. */
#define POL_CAND 64

static const char *const side_dir[2] = {"egress", "ingress"};

void dpi_policy_scratch_free(struct dpi_policy_scratch *s)
{
	if (!s)
		return;
	dpi_hs_scratch_free(s->hs);
	for (unsigned c = 0; c < PC__MAX; c++)
		free(s->stamp[c]);
	free(s);
}

int dpi_policy_scratch_new(const struct dpi_policy *p, struct dpi_policy_scratch **ret)
{
	struct dpi_policy_scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (unsigned c = 0; c < PC__MAX; c++) {
		if (!p->ndb[c])
			continue;
		s->stamp[c] = calloc(p->npat[c], sizeof(uint32_t));
		if (!s->stamp[c])
			goto nomem;
		for (unsigned i = 0; i < p->ndb[c]; i++)
			if (dpi_hs_scratch_fit(&s->hs, p->db[c][i]) < 0)
				goto nomem;
	}
	*ret = s;
	return 0;
nomem:
	dpi_policy_scratch_free(s);
	return -ENOMEM;
}

void dpi_worker_adopt_policy(struct dpi_worker *w, const struct dpi_policy *p,
			     struct dpi_policy_scratch *s)
{
	dpi_policy_scratch_free(w->ps);
	w->pol = p;
	w->ps = p ? s : NULL;
	if (!p)
		dpi_policy_scratch_free(s);
}

int dpi_worker_set_policy(struct dpi_worker *w, const struct dpi_policy *p)
{
	struct dpi_policy_scratch *s = NULL;

	if (p && dpi_policy_scratch_new(p, &s) < 0)
		return -ENOMEM;
	dpi_worker_adopt_policy(w, p, s);
	return 0;
}

/* ------------------------------------------------------------- L3 / L4 */

static bool peer_ok(const struct dpi_policy *p, const struct pol_rule *r,
		    const struct dpi_pol_flow *pf, unsigned side)
{
	unsigned other = side ^ 1;

	if (!r->has_peers)
		return true;
	for (uint32_t i = 0; i < r->npeers; i++) {
		const struct pol_peer *pe = &r->peers[i];
		bool hit;

		if (pe->kind == BH_PEER_SELECTOR) {
			hit = dpi_pol_sel_match(p, &pe->sel, pf->wl[other]);
		} else {
			hit = dpi_pol_cidr_has(&pe->cidr, &pf->addr[other]);
			for (uint32_t j = 0; hit && j < pe->nexcept; j++)
				hit = !dpi_pol_cidr_has(&pe->except[j], &pf->addr[other]);
		}
		if (hit)
			return true;
	}
	return false;
}

static bool range_ok(const struct pol_rule *r, const struct dpi_pol_flow *pf)
{
	for (uint32_t i = 0; i < r->nports; i++)
		if (r->ports[i].proto == pf->ipproto && r->ports[i].lo <= pf->port &&
		    r->ports[i].hi >= pf->port)
			return true;
	return false;
}

static uint32_t add_cands(const struct dpi_policy *p, const struct dpi_pol_flow *pf,
			  unsigned side, uint64_t key, bool ranges, uint32_t *out, uint32_t n)
{
	const struct pol_slot *s = dpi_pol_find(p, key);

	for (uint32_t i = 0; s && i < s->n && n < POL_CAND; i++) {
		const struct pol_rule *r = &p->rules[p->refs[s->first + i]];

		if ((!ranges || range_ok(r, pf)) && peer_ok(p, r, pf, side))
			out[n++] = p->refs[s->first + i];
	}
	return n;
}

/* Rules of end @side matching the flow's peer and port. */
static uint32_t candidates(const struct dpi_policy *p, const struct dpi_pol_flow *pf,
			   unsigned side, uint32_t *out)
{
	uint32_t wl = pf->wl[side], n = 0;
	bool ports = pf->ipproto == IPPROTO_TCP || pf->ipproto == IPPROTO_UDP;

	if (ports) {
		n = add_cands(p, pf, side, pol_key(wl, side, pf->ipproto, pf->port), false, out, n);
		n = add_cands(p, pf, side, pol_key(wl, side, 255, 0), true, out, n);
	}
	return add_cands(p, pf, side, pol_key(wl, side, 0, 0), false, out, n);
}

/* What one end says. */
struct side_res {
	bool restricted, fail;
	const char *reason;
	uint32_t sid;
	const struct pol_rule *rule;
};

static bool restricted(const struct dpi_policy *p, const struct dpi_pol_flow *pf, unsigned side)
{
	return pf->wl[side] != POL_NONE && p->wl[pf->wl[side]].restricted[side];
}

/* The end allows the flow only through L7 rules: its transactions are
 * checked. */
static bool l7_end(const struct dpi_pol_flow *pf, unsigned side)
{
	return pf->by[side] && pf->by[side]->has_l7;
}

/* What end @side said of the flow at L3/L4 (dpi_pol_open() found it). */
static void side_l4(const struct dpi_policy *p, const struct dpi_pol_flow *pf, unsigned side,
		    struct side_res *r)
{
	memset(r, 0, sizeof(*r));
	if (!restricted(p, pf, side))
		return;
	r->restricted = true;
	r->rule = pf->by[side];
	if (!r->rule) {
		r->fail = true;
		r->reason = "no-rule";
	}
}

/* The rule that allows the flow at end @side: one without L7 rules if
 * there is one (the end is then done), else the first. */
static const struct pol_rule *allowing_rule(const struct dpi_policy *p,
					    const struct dpi_pol_flow *pf, unsigned side)
{
	const struct pol_rule *by = NULL;
	uint32_t c[POL_CAND], n;

	if (!restricted(p, pf, side))
		return NULL;
	n = candidates(p, pf, side, c);
	for (uint32_t i = 0; i < n; i++) {
		const struct pol_rule *x = &p->rules[c[i]];

		if (!by || (by->has_l7 && !x->has_l7))
			by = x;
	}
	return by;
}

static uint8_t side_mode(const struct dpi_policy *p, const struct dpi_pol_flow *pf, unsigned side)
{
	return p->wl[pf->wl[side]].mode;
}

/* The verdict of two ends' results. */
static void decide(const struct dpi_policy *p, const struct dpi_pol_flow *pf,
		   const struct side_res res[2], struct bh_verdict *v)
{
	static const uint8_t strict[BH_MODE__MAX] = {2, 1, 0};
	static const enum bh_action act[BH_MODE__MAX] = {BH_ACT_DENY, BH_ACT_AUDIT, BH_ACT_LEARN};
	int worst = -1, by = -1;

	for (int s = 1; s >= 0; s--) {
		if (res[s].fail && (worst < 0 || strict[side_mode(p, pf, (unsigned)s)] >
							  strict[side_mode(p, pf, (unsigned)worst)]))
			worst = s;
		if (res[s].restricted && by < 0)
			by = s;
	}
	memset(v, 0, sizeof(*v));
	if (worst >= 0) {
		const struct side_res *r = &res[worst];
		uint32_t pol = r->rule ? r->rule->policy : p->wl[pf->wl[worst]].first_policy[worst];

		v->mode = side_mode(p, pf, (unsigned)worst);
		v->action = act[v->mode];
		v->reason = r->reason;
		v->sid = r->sid;
		v->policy = pol != POL_NONE ? p->pol[pol].name : NULL;
		v->rule = r->rule && strcmp(r->reason, "no-rule") ? r->rule->name : NULL;
		v->direction = side_dir[worst];
		return;
	}
	v->action = BH_ACT_ALLOW;
	/* The end whose L7 entries allowed it says most about why. */
	for (int s = 1; s >= 0; s--)
		if (res[s].restricted && res[s].rule && res[s].rule->has_l7) {
			by = s;
			break;
		}
	if (by < 0) {
		v->mode = BH_MODE__MAX;
		v->reason = "unrestricted";
		return;
	}
	v->mode = side_mode(p, pf, (unsigned)by);
	v->direction = side_dir[by];
	if (res[by].rule) {
		v->reason = v->rule = res[by].rule->name;
		v->policy = p->pol[res[by].rule->policy].name;
	} else {
		v->reason = "unrestricted";
	}
}

const struct bh_verdict *dpi_pol_open(struct dpi_worker *w, struct dpi_flow *f,
				      const struct dpi_flow_meta *m)
{
	const struct dpi_policy *p = w->pol;
	struct dpi_pol_flow *pf = &f->pol;
	struct side_res res[2];

	memset(pf, 0, sizeof(*pf));
	pf->on = true;
	pf->p = p;
	pf->ipproto = m->ipproto;
	pf->port = m->server_port;
	if (p->closed) {
		/* No policy could be read: nothing passes until one is applied. */
		pf->wl[POL_CLIENT] = pf->wl[POL_SERVER] = POL_NONE;
		pf->v = (struct bh_verdict){.action = BH_ACT_DENY, .mode = BH_MODE_PROTECT,
					    .reason = "no-policy"};
		pf->dropped = true;
		return &pf->v;
	}
	if (m->client_addr)
		memcpy(pf->addr[POL_CLIENT].b, m->client_addr, 16);
	if (m->server_addr)
		memcpy(pf->addr[POL_SERVER].b, m->server_addr, 16);
	pf->wl[POL_CLIENT] = m->client_addr ? dpi_pol_addr_lookup(p, &pf->addr[POL_CLIENT]) : POL_NONE;
	pf->wl[POL_SERVER] = m->server_addr ? dpi_pol_addr_lookup(p, &pf->addr[POL_SERVER]) : POL_NONE;
	for (unsigned s = 0; s < 2; s++) {
		pf->by[s] = allowing_rule(p, pf, s);
		side_l4(p, pf, s, &res[s]);
	}
	decide(p, pf, res, &pf->v);
	pf->dropped = pf->v.action == BH_ACT_DENY;
	return &pf->v;
}

/* ------------------------------------------------------------------ L7 */

enum l7_kind { L7_HTTP, L7_DNS, L7_SQL };

struct l7_tx {
	enum l7_kind kind;
	const struct dpi_http_request *http;
	const struct bh_dns *dns;
	const struct bh_sql *sql;
};

struct scan_ctx {
	uint32_t *stamp;
	uint32_t epoch;
};

static int on_match(void *ctx, unsigned id, uint64_t from, uint64_t to)
{
	struct scan_ctx *c = ctx;

	(void)from;
	(void)to;
	c->stamp[id] = c->epoch;
	return 0;
}

/* Scan @s with the database of class @c holding pattern @id; returns the
 * epoch whose stamps are the patterns that matched all of it (0: none). */
static uint32_t scan(struct dpi_worker *w, enum pol_class c, uint32_t id, const uint8_t *s,
		     size_t n)
{
	struct dpi_policy_scratch *ps = w->ps;
	struct scan_ctx sc;

	if (id / POL_SLICE >= w->pol->ndb[c])
		return 0;
	if (++ps->epoch == 0) { /* wrapped: forget every old stamp */
		for (unsigned k = 0; k < PC__MAX; k++)
			if (ps->stamp[k])
				memset(ps->stamp[k], 0, sizeof(uint32_t) * w->pol->npat[k]);
		ps->epoch = 1;
	}
	sc = (struct scan_ctx){ps->stamp[c], ps->epoch};
	dpi_hs_scan(w->pol->db[c][id / POL_SLICE], ps->hs, s, n, on_match, &sc);
	return ps->epoch;
}

static bool match(struct dpi_worker *w, enum pol_class c, const struct pol_match *m,
		  const uint8_t *s, size_t n)
{
	uint32_t e;

	if (m->id == POL_NONE)
		return m->litlen == n && !memcmp(m->lit, s, n);
	if (m->litlen > n || (m->litlen && memcmp(m->lit, s, m->litlen)))
		return false;
	e = scan(w, c, m->id, s + m->litlen, n - m->litlen);
	return e && w->ps->stamp[c][m->id] == e;
}

static bool hdr_ok(struct dpi_worker *w, const struct pol_hdr *h, const struct dpi_http_request *r)
{
	for (uint32_t i = 0; i < r->n_headers; i++) {
		const struct dpi_http_header *x = &r->headers[i];
		if (x->name.len != h->namelen ||
		    strncasecmp((const char *)x->name.p, h->name, h->namelen))
			continue;
		if (h->any || match(w, PC_HVAL, &h->val, x->value.p, x->value.len))
			return true;
	}
	return false;
}

static bool http_ok(struct dpi_worker *w, const struct pol_http *e, struct l7_tx *t)
{
	const struct dpi_http_request *r = t->http;

	if (e->has_method && !match(w, PC_METHOD, &e->method, r->method.p, r->method.len))
		return false;
	if (e->has_path && !match(w, PC_PATH, &e->path, r->uri_norm.p, r->uri_norm.len))
		return false;
	if (e->has_host && !match(w, PC_HOST, &e->host, r->hostname.p, r->hostname.len))
		return false;
	for (uint32_t i = 0; i < e->nhdr; i++)
		if (!hdr_ok(w, &e->hdr[i], r))
			return false;
	return true;
}

static bool dns_ok(const struct pol_dns *e, const struct bh_dns *q)
{
	const struct bh_str *n = &q->rrname;

	if (e->lab)
		return dpi_pol_dns_match(e->lab, e->nlab, n->p, n->len);
	return e->namelen == n->len && !strncasecmp(e->name, n->p, n->len);
}

/* The next label of @name at *@off: its start and length; false at the
 * end. */
static bool next_label(const char *name, uint32_t len, uint32_t *off, const char **ret,
		       uint32_t *ret_len)
{
	const char *dot;

	if (*off > len || (*off == len && len))
		return false;
	*ret = name + *off;
	dot = memchr(*ret, '.', len - *off);
	*ret_len = dot ? (uint32_t)(dot - *ret) : len - *off;
	*off += *ret_len + 1;
	return true;
}

bool dpi_pol_dns_match(const struct pol_dlabel *lab, uint32_t nlab, const char *name,
		       uint32_t len)
{
	/* Wildcard matching with '?' (DL_ANY) and '*' (DL_STAR) over labels:
	 * on a mismatch, the last star takes one more label. */
	uint32_t i = 0, off = 0, star = UINT32_MAX, star_off = 0, l_len;
	const char *l;

	if (!len) /* the root has no label to match */
		return !nlab;
	while (next_label(name, len, &off, &l, &l_len)) {
		if (i < nlab && (lab[i].kind == DL_ANY ||
				 (lab[i].kind == DL_LIT && lab[i].len == l_len &&
				  !strncasecmp(lab[i].s, l, l_len)))) {
			i++;
			continue;
		}
		if (i < nlab && lab[i].kind == DL_STAR) {
			star = i++;
			star_off = off - l_len - 1; /* this label again, after the star */
			off = star_off;
			continue;
		}
		if (star == UINT32_MAX)
			return false;
		i = star + 1;
		off = star_off;
		next_label(name, len, &off, &l, &l_len); /* the star takes it */
		star_off = off;
	}
	while (i < nlab && lab[i].kind == DL_STAR)
		i++;
	return i == nlab;
}

/* Table @t of a statement against rule table @rt: the same name, or one
 * side qualified with the session's database (MySQL) or PostgreSQL's
 * default schema and the other bare. */
static bool table_eq(const char *rt, const struct bh_str *t, const struct bh_sql *s)
{
	size_t rl = strlen(rt);
	const char *dot;
	struct bh_str q = {0};

	if (rl == t->len && !strncasecmp(rt, t->p, rl))
		return true;
	if (!strcmp(s->dialect, "pgsql"))
		q = (struct bh_str){"public", 6};
	else
		q = s->database;
	if (!q.len)
		return false;
	dot = memchr(t->p, '.', t->len);
	if (dot && !strchr(rt, '.')) /* stmt qualified, rule bare */
		return (size_t)(dot - t->p) == q.len && !strncasecmp(t->p, q.p, q.len) &&
		       t->len - q.len - 1 == rl && !strncasecmp(dot + 1, rt, rl);
	if (!dot && strchr(rt, '.')) /* stmt bare, rule qualified */
		return rl == q.len + 1 + t->len && !strncasecmp(rt, q.p, q.len) &&
		       rt[q.len] == '.' && !strncasecmp(rt + q.len + 1, t->p, t->len);
	return false;
}

static int verb_index(const struct dpi_policy *p, const char *verb)
{
	for (uint32_t i = 0; i < p->nverbs; i++)
		if (!strcmp(p->verbs[i], verb))
			return (int)i;
	return -1;
}

static bool verb_ok(const struct pol_sql *q, int vi)
{
	return !q->verbs || (vi >= 0 && (q->verbs & 1ull << vi));
}

/* One statement against the SQL entries of the candidate rules: some entry
 * must allow its kind, and each of its tables must be allowed by an entry
 * allowing its kind (the rules' entries are a union). */
static bool stmt_ok(const struct dpi_policy *p, const uint32_t *c, uint32_t n,
		    const char *verb, const struct bh_str *tables, uint32_t ntables,
		    const struct bh_sql *s, const struct pol_rule **by)
{
	int vi = verb_index(p, verb);
	bool kind = false;

	for (uint32_t i = 0; i < n && !kind; i++)
		for (uint32_t e = 0; e < p->rules[c[i]].nsql && !kind; e++)
			if (verb_ok(&p->rules[c[i]].sql[e], vi)) {
				kind = true;
				*by = &p->rules[c[i]];
			}
	if (!kind)
		return false;
	for (uint32_t t = 0; t < ntables; t++) {
		bool ok = false;

		for (uint32_t i = 0; i < n && !ok; i++) {
			const struct pol_rule *r = &p->rules[c[i]];

			for (uint32_t e = 0; e < r->nsql && !ok; e++) {
				const struct pol_sql *q = &r->sql[e];

				if (!verb_ok(q, vi))
					continue;
				ok = !q->ntables;
				for (uint32_t k = 0; k < q->ntables && !ok; k++)
					ok = table_eq(q->tables[k], &tables[t], s);
			}
		}
		if (!ok)
			return false;
	}
	return true;
}

static bool sql_ok(const struct dpi_policy *p, const uint32_t *c, uint32_t n, struct l7_tx *t,
		   const struct pol_rule **by)
{
	const struct bh_sql *s = t->sql;

	if (!strcmp(s->kind, "init_db"))
		return stmt_ok(p, c, n, "USE", NULL, 0, s, by);
	for (uint32_t i = 0; i < s->ncommands; i++)
		if (!stmt_ok(p, c, n, s->commands[i].verb, s->commands[i].tables,
			     s->commands[i].ntables, s, by))
			return false;
	return true;
}

static bool has_kind(const struct pol_rule *r, enum l7_kind k)
{
	return k == L7_HTTP ? r->nhttp : k == L7_DNS ? r->ndns : r->nsql;
}

/* End @side on transaction @t (NULL: only whether its rules have entries
 * of @kind). */
static void side_l7(struct dpi_worker *w, const struct dpi_pol_flow *pf, unsigned side,
		    enum l7_kind kind, struct l7_tx *t, struct side_res *r)
{
	const struct dpi_policy *p = w->pol;
	uint32_t c[POL_CAND], n, m = 0;

	side_l4(p, pf, side, r);
	if (!r->restricted || r->fail)
		return;
	n = candidates(p, pf, side, c);
	for (uint32_t i = 0; i < n; i++) {
		const struct pol_rule *x = &p->rules[c[i]];

		if (!x->has_l7) {
			r->rule = x;
			return;
		}
		if (has_kind(x, kind))
			c[m++] = c[i];
	}
	r->rule = &p->rules[c[0]];
	if (!m) {
		r->fail = true;
		r->reason = "unparsed";
		return;
	}
	if (!t)
		return;
	if (kind == L7_SQL) {
		const struct pol_rule *by = NULL;

		if (sql_ok(p, c, m, t, &by)) {
			r->rule = by ? by : &p->rules[c[0]];
			return;
		}
	} else {
		for (uint32_t i = 0; i < m; i++) {
			const struct pol_rule *x = &p->rules[c[i]];

			for (uint32_t e = 0; e < (kind == L7_HTTP ? x->nhttp : x->ndns); e++)
				if (kind == L7_HTTP ? http_ok(w, &x->http[e], t)
						    : dns_ok(&x->dns[e], t->dns)) {
					r->rule = x;
					return;
				}
		}
	}
	r->fail = true;
	r->reason = "l7-no-match";
	r->rule = &p->rules[c[0]];
}

/* Act on a decision taken after the flow opened. */
static void apply(struct dpi_worker *w, struct dpi_flow *f, void *cookie, struct bh_verdict *v)
{
	if (v->action == BH_ACT_ALLOW)
		return;
	if (v->action == BH_ACT_DENY) {
		f->pol.dropped = true;
		f->pol.v = *v;
	}
	if (w->ops.verdict)
		w->ops.verdict(w->ops.ctx, cookie, v);
}

/* Signatures the ends' policies deny on, raised during the transaction. */
static void sig_results(struct dpi_worker *w, struct side_res res[2])
{
	for (unsigned s = 0; s < 2; s++)
		if (w->pol_tx.sid[s] && !res[s].fail) {
			res[s].restricted = true;
			res[s].fail = true;
			res[s].reason = "signature";
			res[s].sid = w->pol_tx.sid[s];
		}
}

static void decide_tx(struct dpi_worker *w, struct dpi_flow *f, void *cookie, enum l7_kind kind,
		      struct l7_tx *t, struct bh_verdict *v)
{
	struct side_res res[2];

	for (unsigned s = 0; s < 2; s++)
		if (l7_end(&f->pol, s))
			side_l7(w, &f->pol, s, kind, t, &res[s]);
		else
			side_l4(w->pol, &f->pol, s, &res[s]);
	sig_results(w, res);
	memset(w->pol_tx.sid, 0, sizeof(w->pol_tx.sid));
	decide(w->pol, &f->pol, res, v);
	apply(w, f, cookie, v);
}

static bool active(const struct dpi_worker *w, const struct dpi_flow *f)
{
	return w->pol && f && f->pol.on && !f->pol.dropped;
}

bool dpi_pol_http(struct dpi_worker *w, struct dpi_flow *f, void *cookie,
		  const struct dpi_http_request *r, struct bh_verdict *v)
{
	struct l7_tx t = {.kind = L7_HTTP, .http = r};

	if (!active(w, f))
		return false;
	decide_tx(w, f, cookie, L7_HTTP, &t, v);
	return true;
}

bool dpi_pol_dns(struct dpi_worker *w, struct dpi_flow *f, void *cookie, const struct bh_dns *q,
		 struct bh_verdict *v)
{
	struct l7_tx t = {.kind = L7_DNS, .dns = q};

	if (!active(w, f))
		return false;
	decide_tx(w, f, cookie, L7_DNS, &t, v);
	return true;
}

bool dpi_pol_sql(struct dpi_worker *w, struct dpi_flow *f, void *cookie, const struct bh_sql *s,
		 bool incomplete, struct bh_verdict *v)
{
	struct l7_tx t = {.kind = L7_SQL, .sql = s};

	if (!active(w, f))
		return false;
	/* A table list that may be incomplete can't be held against table
	 * rules. */
	if (incomplete) {
		dpi_pol_unparsed(w, f, cookie, "policy.sql_incomplete");
		if (f->pol.dropped) {
			*v = f->pol.v;
			return true;
		}
	}
	decide_tx(w, f, cookie, L7_SQL, &t, v);
	return true;
}

/* Data an end with L7 rules can't inspect: that end's onUnparsed. */
void dpi_pol_unparsed(struct dpi_worker *w, struct dpi_flow *f, void *cookie, const char *why)
{
	const struct dpi_policy *p = w->pol;
	struct side_res res[2] = {{0}};
	struct bh_verdict v;
	bool any = false;

	if (!active(w, f))
		return;
	for (unsigned s = 0; s < 2; s++) {
		if (!l7_end(&f->pol, s))
			continue;
		any = true;
		res[s].restricted = true;
		res[s].fail = !p->wl[f->pol.wl[s]].unparsed_allow;
		res[s].reason = "unparsed";
	}
	if (!any)
		return;
	dpi_anomaly(w, cookie, why);
	decide(p, &f->pol, res, &v);
	apply(w, f, cookie, &v);
}

/* The flow's protocol is known: is it one its L7 rules speak? */
void dpi_pol_app(struct dpi_worker *w, struct dpi_flow *f, void *cookie)
{
	struct side_res res[2];
	enum l7_kind kind;
	bool bad = false;

	if (!active(w, f) || f->pol.checked_app || !(l7_end(&f->pol, 0) || l7_end(&f->pol, 1)))
		return;
	f->pol.checked_app = true;
	switch (f->proto) {
	case DPI_PROTO_HTTP: kind = L7_HTTP; break;
	case DPI_PROTO_DNS: kind = L7_DNS; break;
	case DPI_PROTO_MYSQL:
	case DPI_PROTO_PGSQL: kind = L7_SQL; break;
	default:
		dpi_pol_unparsed(w, f, cookie, f->proto == DPI_PROTO_TLS ? "policy.encrypted"
									 : "policy.unknown_protocol");
		return;
	}
	for (unsigned s = 0; s < 2; s++) {
		if (!l7_end(&f->pol, s))
			continue;
		side_l7(w, &f->pol, s, kind, NULL, &res[s]);
		bad |= res[s].fail;
	}
	if (bad)
		dpi_pol_unparsed(w, f, cookie, "policy.protocol_mismatch");
}

/* A signature of set @set matched: "blocked" when an end's policy denies
 * on it in protect mode. The transaction being decided (or, outside one,
 * the flow) takes the denial. */
const char *dpi_pol_alert(struct dpi_worker *w, struct dpi_flow *f, unsigned set, uint32_t sid)
{
	const struct dpi_policy *p = w->pol;
	bool blocked = false;

	if (!active(w, f))
		return "allowed";
	for (unsigned s = 0; s < 2; s++) {
		uint32_t wl = f->pol.wl[s];

		if (wl == POL_NONE || !(p->wl[wl].sig_deny & (1u << set)))
			continue;
		if (!w->pol_tx.sid[s])
			w->pol_tx.sid[s] = sid;
		blocked |= p->wl[wl].mode == BH_MODE_PROTECT;
	}
	return blocked ? "blocked" : "allowed";
}

/* After the bytes of a packet: signatures that matched outside a
 * transaction (raw stream, datagram) decide the flow now. */
void dpi_pol_flush(struct dpi_worker *w, struct dpi_flow *f, void *cookie)
{
	struct side_res res[2];
	struct bh_verdict v;

	if (!w->pol_tx.sid[0] && !w->pol_tx.sid[1])
		return;
	if (!active(w, f)) {
		memset(w->pol_tx.sid, 0, sizeof(w->pol_tx.sid));
		return;
	}
	for (unsigned s = 0; s < 2; s++)
		side_l4(w->pol, &f->pol, s, &res[s]);
	sig_results(w, res);
	memset(w->pol_tx.sid, 0, sizeof(w->pol_tx.sid));
	decide(w->pol, &f->pol, res, &v);
	apply(w, f, cookie, &v);
}

const struct bh_verdict *dpi_flow_verdict(const struct dpi_flow *f)
{
	return f && f->pol.on ? &f->pol.v : NULL;
}

void dpi_flow_workloads(const struct dpi_flow *f, const struct bh_workload_ref **ret_client,
			const struct bh_workload_ref **ret_server)
{
	*ret_client = *ret_server = NULL;
	if (!f || !f->pol.on)
		return;
	if (f->pol.wl[0] != POL_NONE)
		*ret_client = &f->pol.p->wl[f->pol.wl[0]].ref;
	if (f->pol.wl[1] != POL_NONE)
		*ret_server = &f->pol.p->wl[f->pol.wl[1]].ref;
}

/* ------------------------------------------------------------ inline */

const struct bh_verdict *dpi_flow_port(struct dpi_worker *w, struct dpi_flow *f, unsigned side,
				       const char *ifname)
{
	struct dpi_pol_flow *pf = f ? &f->pol : NULL;
	const struct pol_wl *wl;
	struct bh_verdict *v;

	if (!pf || !pf->on || side > 1 || !ifname || pf->wl[side] == POL_NONE)
		return NULL;
	wl = &pf->p->wl[pf->wl[side]];
	if (!wl->iface || !strcmp(wl->iface, ifname))
		return NULL;
	v = &pf->v;
	memset(v, 0, sizeof(*v));
	/* An address is the workload's whether or not a policy selects it:
	 * a workload no policy selects is protected from spoofing too. */
	v->mode = wl->selected ? wl->mode : BH_MODE_PROTECT;
	v->action = v->mode == BH_MODE_PROTECT	 ? BH_ACT_DENY
		    : v->mode == BH_MODE_MONITOR ? BH_ACT_AUDIT
						 : BH_ACT_LEARN;
	v->reason = "spoofed";
	v->direction = side_dir[side];
	if (wl->first_policy[side] != POL_NONE)
		v->policy = pf->p->pol[wl->first_policy[side]].name;
	pf->dropped = v->action == BH_ACT_DENY;
	(void)w;
	return v;
}

const struct bh_verdict *dpi_flow_redecide(struct dpi_worker *w, struct dpi_flow *f,
					   void *cookie, const struct dpi_flow_meta *m)
{
	bool was_dropped;
	struct bh_verdict old;

	if (!f)
		return NULL;
	if (!w->pol) {
		memset(&f->pol, 0, sizeof(f->pol));
		return NULL;
	}
	was_dropped = f->pol.on && f->pol.dropped;
	old = f->pol.v;
	dpi_pol_open(w, f, m);
	if (was_dropped && !f->pol.dropped) {
		/* Reset under the old policy: the connection is gone. Deny
		 * reasons are static text; names of the old policy are not. */
		f->pol.v = (struct bh_verdict){.action = old.action, .mode = old.mode,
					       .reason = old.reason, .direction = old.direction,
					       .sid = old.sid};
		f->pol.dropped = true;
	} else if (f->decided) {
		/* TLS on a port the new policy gives HTTP rules must not
		 * pass uninspected because detection happened before. */
		w->cur = f;
		w->meta = m;
		dpi_pol_app(w, f, cookie);
		w->cur = NULL;
		w->meta = NULL;
	}
	return &f->pol.v;
}

bool dpi_pol_final(const struct dpi_pol_flow *pf)
{
	if (!pf->on)
		return true;
	if (pf->dropped || pf->v.action == BH_ACT_DENY || pf->v.action == BH_ACT_LEARN)
		return false;
	for (unsigned s = 0; s < 2; s++) {
		if (l7_end(pf, s))
			return false;
		if (pf->wl[s] != POL_NONE && pf->p->wl[pf->wl[s]].selected &&
		    pf->p->wl[pf->wl[s]].mode == BH_MODE_LEARN)
			return false;
	}
	return true;
}
