/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_policy.c - compile policy documents (bh_policy.h) into the immutable
 * snapshot of dpi_policy_int.h.
 *
 * Checks that need the whole document live here, so every way a document
 * comes in (files, the control socket) gets them: regexes Hyperscan can't
 * compile, L7 rules shadowed by an L4-only rule for the same peers and port
 * (policy-model.md, semantic 4; dpi_policy_shadow.c), an address bound to
 * two workloads, and selectors naming labels no workload has (a warning).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dpi_hs.h"
#include "dpi_policy_int.h"

const char *bh_mode_name(unsigned m)
{
	static const char *const n[] = {"protect", "monitor", "learn"};

	return m < BH_MODE__MAX ? n[m] : NULL;
}

const char *bh_action_name(unsigned a)
{
	static const char *const n[] = {"allow", "deny", "audit", "learn"};

	return a < BH_ACT__MAX ? n[a] : NULL;
}

/* ------------------------------------------------------------------ arena */

struct pol_arena {
	struct pol_arena *next;
	size_t used, cap;
	max_align_t mem[];
};

static void *arena_alloc(struct pol_arena **a, size_t n)
{
	struct pol_arena *c = *a;
	void *p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!n)
		n = sizeof(max_align_t);
	if (!c || c->cap - c->used < n) {
		size_t cap = n > (64u << 10) ? n : (64u << 10);

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = *a;
		c->used = 0;
		c->cap = cap;
		*a = c;
	}
	p = (char *)c->mem + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

static void arena_free(struct pol_arena *a)
{
	while (a) {
		struct pol_arena *n = a->next;

		free(a);
		a = n;
	}
}

/* ---------------------------------------------------------------- builder */

struct intern_slot {
	const char *s;
	uint32_t id;
};

struct pattern {
	char *expr;       /* what Hyperscan compiles: the regex past its literal prefix */
	const char *orig; /* the regex as written (of the first entry using it) */
	unsigned flags;
	const struct bh_loc *loc;
	const char *what;
};

struct ent {
	uint64_t key;
	uint32_t rule;
};

struct build {
	struct dpi_policy *p;
	const struct bh_policy_doc *doc;
	dpi_policy_error_fn err;
	void *err_ctx;
	unsigned errors;
	struct intern_slot *in;
	uint32_t in_mask, nin;
	/* rule index entries before grouping */
	struct ent *ent;
	size_t nent, capent;
	struct pattern *pat[PC__MAX];
	uint32_t capp[PC__MAX];
	uint32_t *ptab[PC__MAX];  /* pattern ids by text, for dedup (POL_NONE: empty) */
	uint32_t ptab_mask[PC__MAX];
	/* per policy: the workloads it selects */
	uint32_t **sel;
	uint32_t *nsel;
	/* label (k, v) -> workloads having it, for selectors */
	struct pol_label *post_key;
	uint32_t *post_wl;
	uint32_t npost;
};

static void report(struct build *b, bool warning, const struct bh_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(struct build *b, bool warning, const struct bh_loc *loc, const char *fmt, ...)
{
	char msg[768];
	int n = 0;
	va_list ap;

	if (!warning)
		b->errors++;
	if (!b->err)
		return;
	if (loc && loc->file)
		n = snprintf(msg, sizeof(msg), "%s:%u:%u: ", loc->file, loc->line, loc->col);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	if (warning) {
		int m = snprintf(msg + n, sizeof(msg) - (size_t)n, "warning: ");

		if (m > 0 && (size_t)m < sizeof(msg) - (size_t)n)
			n += m;
	}
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	b->err(b->err_ctx, warning, msg);
}

static char *dupstr(struct build *b, const char *s, size_t n)
{
	char *d = arena_alloc(&b->p->arena, n + 1);

	if (d)
		memcpy(d, s, n);
	return d;
}

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/* Interned id of @s (labels keys and values share one table), POL_NONE on
 * allocation failure; @add false: POL_NONE when unknown. */
static uint32_t intern(struct build *b, const char *s, bool add)
{
	uint32_t i;

	if (!b->in || (add && (b->nin + 1) * 2 > b->in_mask)) {
		uint32_t nmask = b->in ? b->in_mask * 2 + 1 : 1023;
		struct intern_slot *n = calloc((size_t)nmask + 1, sizeof(*n));

		if (!n)
			return POL_NONE;
		for (uint32_t j = 0; b->in && j <= b->in_mask; j++) {
			if (!b->in[j].s)
				continue;
			i = str_hash(b->in[j].s) & nmask;
			while (n[i].s)
				i = (i + 1) & nmask;
			n[i] = b->in[j];
		}
		free(b->in);
		b->in = n;
		b->in_mask = nmask;
	}
	for (i = str_hash(s) & b->in_mask; b->in[i].s; i = (i + 1) & b->in_mask)
		if (!strcmp(b->in[i].s, s))
			return b->in[i].id;
	if (!add)
		return POL_NONE;
	b->in[i].s = dupstr(b, s, strlen(s));
	if (!b->in[i].s)
		return POL_NONE;
	b->in[i].id = b->nin++;
	return b->in[i].id;
}

static int lab_cmp(const void *x, const void *y)
{
	const struct pol_label *a = x, *c = y;

	if (a->k != c->k)
		return a->k < c->k ? -1 : 1;
	return a->v < c->v ? -1 : a->v > c->v;
}

/* -------------------------------------------------------------- workloads */

static bool cidr_has(const union bh_addr *net, uint8_t plen, const union bh_addr *a)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(net->b, a->b, full))
		return false;
	return !rest || !((net->b[full] ^ a->b[full]) & (uint8_t)(0xff << (8 - rest)));
}

bool dpi_pol_cidr_has(const struct pol_cidr *c, const union bh_addr *a)
{
	return cidr_has(&c->net, c->plen, a);
}

static void mask_addr(union bh_addr *a, uint8_t plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;

		if (bits < 8)
			a->b[i] &= (uint8_t)(0xff00 >> bits);
	}
}

/* Every input bit reaches the low bits the table uses: IPv4-mapped
 * addresses differ only in their last four bytes. */
static uint32_t addr_hash(const union bh_addr *a, uint8_t plen)
{
	uint64_t h = a->q[0] * 0x9e3779b97f4a7c15ULL ^ a->q[1] ^ plen;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

static struct pol_addr *addr_slot(const struct dpi_policy *p, const union bh_addr *a,
				  uint8_t plen)
{
	for (uint32_t i = addr_hash(a, plen) & p->addr_mask;; i = (i + 1) & p->addr_mask) {
		struct pol_addr *s = &p->addr[i];

		if (s->wl == POL_NONE || (s->plen == plen && !memcmp(s->a.b, a->b, 16)))
			return s;
	}
}

uint32_t dpi_pol_addr_lookup(const struct dpi_policy *p, const union bh_addr *addr)
{
	if (!p->addr)
		return POL_NONE;
	for (uint32_t i = 0; i < p->nplens; i++) {
		union bh_addr m = *addr;
		const struct pol_addr *s;

		mask_addr(&m, p->plens[i]);
		s = addr_slot(p, &m, p->plens[i]);
		if (s->wl != POL_NONE)
			return s->wl;
	}
	return POL_NONE;
}

static void fmt_cidr(const struct bh_cidr *c, char *out, size_t n)
{
	static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	bool is4 = !memcmp(c->net.b, v4, 12) && c->plen >= 96;
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(is4 ? AF_INET : AF_INET6, c->net.b + (is4 ? 12 : 0), a, sizeof(a));
	snprintf(out, n, "%s/%u", a, is4 ? c->plen - 96u : c->plen);
}

static int add_workloads(struct build *b)
{
	struct dpi_policy *p = b->p;
	const struct bh_policy_doc *d = b->doc;
	uint32_t naddr = 0;
	bool used[129] = {false};

	p->nwl = d->nworkloads;
	p->wl = arena_alloc(&p->arena, sizeof(*p->wl) * (d->nworkloads ? d->nworkloads : 1));
	if (!p->wl)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->nworkloads; i++)
		naddr += d->workloads[i].naddrs;
	p->addr_mask = 15;
	while (p->addr_mask < naddr * 2)
		p->addr_mask = p->addr_mask * 2 + 1;
	p->addr = malloc(sizeof(*p->addr) * ((size_t)p->addr_mask + 1));
	if (!p->addr)
		return -ENOMEM;
	for (uint32_t i = 0; i <= p->addr_mask; i++)
		p->addr[i].wl = POL_NONE;
	for (uint32_t i = 0; i < d->nworkloads; i++) {
		const struct bh_workload *s = &d->workloads[i];
		struct pol_wl *w = &p->wl[i];
		struct bh_kv *kv;

		w->ref.name = dupstr(b, s->name, strlen(s->name));
		w->iface = s->interface ? dupstr(b, s->interface, strlen(s->interface)) : NULL;
		w->lab = arena_alloc(&p->arena, sizeof(*w->lab) * (s->nlabels + 1));
		kv = arena_alloc(&p->arena, sizeof(*kv) * (s->nlabels + 1));
		if (!w->ref.name || !w->lab || !kv || (s->interface && !w->iface))
			return -ENOMEM;
		for (uint32_t l = 0; l < s->nlabels; l++) {
			w->lab[l].k = intern(b, s->labels[l].key, true);
			w->lab[l].v = intern(b, s->labels[l].value, true);
			if (w->lab[l].k == POL_NONE || w->lab[l].v == POL_NONE)
				return -ENOMEM;
			kv[l].key = dupstr(b, s->labels[l].key, strlen(s->labels[l].key));
			kv[l].value = dupstr(b, s->labels[l].value, strlen(s->labels[l].value));
			if (!kv[l].key || !kv[l].value)
				return -ENOMEM;
		}
		qsort(w->lab, s->nlabels, sizeof(*w->lab), lab_cmp);
		for (uint32_t x = 1; x < s->nlabels; x++)
			for (uint32_t y = x; y > 0 && strcmp(kv[y - 1].key, kv[y].key) > 0; y--) {
				struct bh_kv t = kv[y];

				kv[y] = kv[y - 1];
				kv[y - 1] = t;
			}
		w->ref.labels = kv;
		w->ref.nlabels = s->nlabels;
		w->mode = BH_MODE_LEARN;
		w->first_policy[0] = w->first_policy[1] = POL_NONE;
		w->unparsed_allow = true;
		for (uint32_t a = 0; a < s->naddrs; a++) {
			union bh_addr m = s->addrs[a].net;
			uint8_t plen = s->addrs[a].plen > 128 ? 128 : s->addrs[a].plen;
			struct pol_addr *slot;

			mask_addr(&m, plen);
			slot = addr_slot(p, &m, plen);
			if (slot->wl != POL_NONE) {
				char t[64];

				fmt_cidr(&s->addrs[a], t, sizeof(t));
				report(b, false, &s->addrs[a].loc,
				       "address %s is already bound to workload `%s`", t,
				       p->wl[slot->wl].ref.name);
				continue;
			}
			slot->a = m;
			slot->plen = plen;
			slot->wl = i;
			used[plen] = true;
		}
	}
	for (int l = 128; l >= 0; l--)
		if (used[l])
			p->plens[p->nplens++] = (uint8_t)l;
	return 0;
}

/* ------------------------------------------------------------- selectors */

static int post_cmp(const void *x, const void *y)
{
	return lab_cmp(x, y);
}

/* Postings: every (k, v) of every workload, sorted, with the workload. */
static int build_postings(struct build *b)
{
	struct dpi_policy *p = b->p;
	struct { struct pol_label l; uint32_t wl; } *v;
	uint32_t n = 0;

	for (uint32_t i = 0; i < p->nwl; i++)
		n += p->wl[i].ref.nlabels;
	v = malloc(sizeof(*v) * (n + 1));
	b->post_key = malloc(sizeof(*b->post_key) * (n + 1));
	b->post_wl = malloc(sizeof(*b->post_wl) * (n + 1));
	if (!v || !b->post_key || !b->post_wl) {
		free(v);
		return -ENOMEM;
	}
	n = 0;
	for (uint32_t i = 0; i < p->nwl; i++)
		for (uint32_t l = 0; l < p->wl[i].ref.nlabels; l++) {
			v[n].l = p->wl[i].lab[l];
			v[n++].wl = i;
		}
	qsort(v, n, sizeof(*v), post_cmp);
	for (uint32_t i = 0; i < n; i++) {
		b->post_key[i] = v[i].l;
		b->post_wl[i] = v[i].wl;
	}
	b->npost = n;
	free(v);
	return 0;
}

/* [lo, hi) of the postings of (k, v). */
static void postings(const struct build *b, struct pol_label l, uint32_t *lo, uint32_t *hi)
{
	uint32_t a = 0, z = b->npost;

	while (a < z) {
		uint32_t m = a + (z - a) / 2;

		if (lab_cmp(&b->post_key[m], &l) < 0)
			a = m + 1;
		else
			z = m;
	}
	*lo = a;
	z = b->npost;
	while (a < z) {
		uint32_t m = a + (z - a) / 2;

		if (lab_cmp(&b->post_key[m], &l) <= 0)
			a = m + 1;
		else
			z = m;
	}
	*hi = a;
}

static bool has_label(const struct pol_wl *w, uint32_t k, uint32_t *ret_v)
{
	uint32_t a = 0, z = w->ref.nlabels;

	while (a < z) {
		uint32_t m = a + (z - a) / 2;

		if (w->lab[m].k == k) {
			*ret_v = w->lab[m].v;
			return true;
		}
		if (w->lab[m].k < k)
			a = m + 1;
		else
			z = m;
	}
	return false;
}

bool dpi_pol_sel_match(const struct dpi_policy *p, const struct pol_sel *s, uint32_t wl)
{
	const struct pol_wl *w;

	if (wl == POL_NONE)
		return false;
	w = &p->wl[wl];
	for (uint32_t i = 0; i < s->nlab; i++) {
		uint32_t v;

		if (!has_label(w, s->lab[i].k, &v) || v != s->lab[i].v)
			return false;
	}
	for (uint32_t i = 0; i < s->nex; i++) {
		const struct pol_expr *e = &s->ex[i];
		uint32_t v;
		bool has = has_label(w, e->k, &v), in = false;

		for (uint32_t j = 0; has && j < e->nv; j++)
			in |= e->v[j] == v;
		switch (e->op) {
		case BH_SEL_IN: if (!in) return false; break;
		case BH_SEL_NOT_IN: if (in) return false; break;
		case BH_SEL_EXISTS: if (!has) return false; break;
		default: if (has) return false; break;
		}
	}
	return true;
}

/* Compile @s; a label no workload carries stays unmatched (an id no
 * workload has) and is warned about. */
static int compile_sel(struct build *b, const struct bh_selector *s, struct pol_sel *ret)
{
	struct dpi_policy *p = b->p;
	struct pol_label *lab = arena_alloc(&p->arena, sizeof(*lab) * (s->nlabels + 1));
	struct pol_expr *ex = arena_alloc(&p->arena, sizeof(*ex) * (s->nexprs + 1));

	if (!lab || !ex)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nlabels; i++) {
		lab[i].k = intern(b, s->labels[i].key, true);
		lab[i].v = intern(b, s->labels[i].value, true);
		if (lab[i].k == POL_NONE || lab[i].v == POL_NONE)
			return -ENOMEM;
		if (p->nwl) {
			uint32_t lo, hi;

			postings(b, lab[i], &lo, &hi);
			if (lo == hi)
				report(b, true, &s->labels[i].loc, "no workload has the label %s=%s",
				       s->labels[i].key, s->labels[i].value);
		}
	}
	qsort(lab, s->nlabels, sizeof(*lab), lab_cmp);
	for (uint32_t i = 0; i < s->nexprs; i++) {
		uint32_t *v = arena_alloc(&p->arena, sizeof(*v) * (s->exprs[i].nvalues + 1));

		if (!v)
			return -ENOMEM;
		ex[i].k = intern(b, s->exprs[i].key, true);
		ex[i].op = (uint8_t)s->exprs[i].op;
		ex[i].nv = s->exprs[i].nvalues;
		for (uint32_t j = 0; j < ex[i].nv; j++)
			if ((v[j] = intern(b, s->exprs[i].values[j], true)) == POL_NONE)
				return -ENOMEM;
		ex[i].v = v;
		if (ex[i].k == POL_NONE)
			return -ENOMEM;
	}
	*ret = (struct pol_sel){lab, s->nlabels, ex, s->nexprs};
	return 0;
}

/* The workloads @s selects, into an array of b->p->nwl entries. */
static uint32_t select_wl(struct build *b, const struct pol_sel *s, uint32_t *out)
{
	uint32_t n = 0, lo = 0, hi = b->p->nwl;
	bool by_post = false;

	/* The rarest required label narrows the candidates. */
	for (uint32_t i = 0; i < s->nlab; i++) {
		uint32_t l, h;

		postings(b, s->lab[i], &l, &h);
		if (!by_post || h - l < hi - lo) {
			lo = l;
			hi = h;
			by_post = true;
		}
	}
	for (uint32_t i = lo; i < hi; i++) {
		uint32_t wl = by_post ? b->post_wl[i] : i;

		if (dpi_pol_sel_match(b->p, s, wl))
			out[n++] = wl;
	}
	return n;
}

/* ---------------------------------------------------------------- matchers */

static bool is_literal(const char *s)
{
	return !strpbrk(s, "\\^$.|?*+()[]{}");
}

/*
 * The length of the literal text @re starts with, when the regex is that
 * text followed by the rest (0: it can't be split). A fleet's regexes differ
 * mostly in such prefixes (/svc-17/items/[0-9a-f]{8}): compared as bytes,
 * they leave a few distinct tails for Hyperscan, whose compile time is
 * nearly all of a large policy's. Not split: caseless patterns, an
 * alternation at the top level (a|b), and tails with assertions that look
 * at what precedes them (^, \b, \B, \A, \G).
 */
static size_t literal_prefix(const char *re, unsigned flags)
{
	size_t n = strcspn(re, "\\^$.|?*+()[]{}");
	int depth = 0;
	bool cls = false;

	if ((flags & DPI_HS_CASELESS) || !n || !re[n])
		return 0;
	if (strchr("?*+{", re[n]))
		n--; /* the quantifier takes the last literal byte */
	for (const char *c = re; *c; c++) {
		if (*c == '\\') {
			if (c[1] && strchr("bBAGZz", c[1]))
				return 0;
			if (c[1])
				c++;
		} else if (cls) {
			cls = *c != ']';
		} else if (*c == '[') {
			cls = true;
			if (c[1] == '^')
				c++;
			if (c[1] == ']')
				c++; /* a leading ']' is a member */
		} else if (*c == '(') {
			depth++;
		} else if (*c == ')') {
			depth--;
		} else if ((*c == '|' && depth <= 0) || *c == '^') {
			return 0;
		}
	}
	return n;
}

static int pat_grow(struct build *b, enum pol_class c)
{
	uint32_t ncap = b->capp[c] ? b->capp[c] * 2 : 64;
	struct pattern *n = realloc(b->pat[c], sizeof(*n) * ncap);
	uint32_t *t = malloc(sizeof(*t) * ncap * 2);

	if (n)
		b->pat[c] = n;
	if (!n || !t) {
		free(t);
		return -ENOMEM;
	}
	b->capp[c] = ncap;
	free(b->ptab[c]);
	b->ptab[c] = t;
	b->ptab_mask[c] = ncap * 2 - 1;
	memset(t, 0xff, sizeof(*t) * ncap * 2);
	for (uint32_t i = 0; i < b->p->npat[c]; i++) {
		uint32_t h = (str_hash(n[i].expr) ^ n[i].flags) & b->ptab_mask[c];

		while (t[h] != POL_NONE)
			h = (h + 1) & b->ptab_mask[c];
		t[h] = i;
	}
	return 0;
}

/* A matcher for @s in class @c: literals are compared directly; a regex
 * becomes its literal prefix and a pattern of the class's database for the
 * rest (deduplicated there: fleets repeat the same tails). */
static int add_match(struct build *b, enum pol_class c, const char *s, unsigned flags,
		     const struct bh_loc *loc, const char *what, struct pol_match *ret)
{
	struct dpi_policy *p = b->p;
	size_t plen;
	const char *tail;
	char *expr, *orig;

	ret->id = POL_NONE;
	if (is_literal(s) && !(flags & DPI_HS_CASELESS)) {
		ret->lit = dupstr(b, s, strlen(s));
		ret->litlen = (uint32_t)strlen(s);
		return ret->lit ? 0 : -ENOMEM;
	}
	plen = literal_prefix(s, flags);
	tail = s + plen;
	ret->lit = plen ? dupstr(b, s, plen) : NULL;
	ret->litlen = (uint32_t)plen;
	if (plen && !ret->lit)
		return -ENOMEM;
	if (p->npat[c] == b->capp[c] && pat_grow(b, c) < 0)
		return -ENOMEM;
	for (uint32_t h = (str_hash(tail) ^ flags) & b->ptab_mask[c];;
	     h = (h + 1) & b->ptab_mask[c]) {
		uint32_t i = b->ptab[c][h];

		if (i == POL_NONE) {
			b->ptab[c][h] = p->npat[c];
			break;
		}
		if (!strcmp(b->pat[c][i].expr, tail) && b->pat[c][i].flags == flags) {
			ret->id = i;
			return 0;
		}
	}
	expr = dupstr(b, tail, strlen(tail));
	orig = dupstr(b, s, strlen(s));
	if (!expr || !orig)
		return -ENOMEM;
	b->pat[c][p->npat[c]] = (struct pattern){expr, orig, flags, loc, what};
	ret->id = p->npat[c]++;
	return 0;
}

/* DNS pattern @pat (lower-cased, no trailing dot, '*' a whole label: the
 * loader checked) into labels. */
static int dns_labels(struct build *b, const char *pat, struct pol_dns *d)
{
	uint32_t n = 1, k = 0;
	struct pol_dlabel *lab;

	for (const char *c = pat; *c; c++)
		n += (*c == '.') + (*c == '*');
	lab = arena_alloc(&b->p->arena, sizeof(*lab) * n);
	if (!lab)
		return -ENOMEM;
	for (const char *c = pat; *c;) {
		size_t len = strcspn(c, ".");

		if (len == 1 && *c == '*') {
			lab[k++] = (struct pol_dlabel){DL_ANY, 0, NULL};
			lab[k++] = (struct pol_dlabel){DL_STAR, 0, NULL};
		} else {
			char *l = dupstr(b, c, len);

			if (!l || len > 255)
				return -ENOMEM;
			for (size_t i = 0; i < len; i++)
				l[i] = (char)(l[i] >= 'A' && l[i] <= 'Z' ? l[i] + 32 : l[i]);
			lab[k++] = (struct pol_dlabel){DL_LIT, (uint8_t)len, l};
		}
		c += len + (c[len] == '.');
	}
	d->lab = lab;
	d->nlab = k;
	return 0;
}

/* The patterns of class @c as Hyperscan sees them: anchored at both ends
 * (whole-field match). */
static int wrap_class(struct build *b, enum pol_class c, struct dpi_hs_pattern *hp,
		      char **wrapped)
{
	for (uint32_t i = 0; i < b->p->npat[c]; i++) {
		const struct pattern *pt = &b->pat[c][i];
		size_t len = strlen(pt->expr) * 4 + 64;

		wrapped[i] = malloc(len);
		if (!wrapped[i])
			return -ENOMEM;
		snprintf(wrapped[i], len, "\\A(?:%s)\\z", pt->expr);
		hp[i] = (struct dpi_hs_pattern){.expr = wrapped[i],
						.flags = pt->flags | DPI_HS_SINGLEMATCH |
							 DPI_HS_DOTALL,
						.id = i};
	}
	return 0;
}

/* A class that didn't compile: find every pattern Hyperscan refuses, one
 * compile at a time, and report each at its place. */
static void report_bad(struct build *b, enum pol_class c, struct dpi_hs_pattern *hp, uint32_t n)
{
	uint32_t base = n ? hp[0].id : 0; /* a slice: ids run on from here */

	for (uint32_t live = n; live;) {
		struct dpi_hs_db *db = NULL;
		char err[256];
		unsigned bad;
		int r = dpi_hs_compile(hp, live, false, &db, err, sizeof(err));

		dpi_hs_db_free(db);
		if (r != -EINVAL || sscanf(err, "pattern %u:", &bad) != 1 || bad < base ||
		    bad - base >= n) {
			if (r == -EINVAL)
				report(b, false, NULL, "policy regexes: %s", err);
			return;
		}
		{
			const struct pattern *pt = &b->pat[c][bad];
			const char *why = strchr(err, ':');

			report(b, false, pt->loc, "%s `%s` doesn't compile in Hyperscan%s", pt->what,
			       pt->orig, why ? why : "");
		}
		for (uint32_t i = 0; i < live; i++)
			if (hp[i].id == bad) {
				hp[i] = hp[--live];
				break;
			}
	}
}

/* One Hyperscan database to build: a slice of a class. */
struct cjob {
	const struct dpi_hs_pattern *hp;
	uint32_t n;
	struct dpi_hs_db *db;
	int r;
};

struct cqueue {
	struct cjob *jobs;
	unsigned n;
	unsigned next; /* atomic: the next job to take */
};

static void *cworker(void *arg)
{
	struct cqueue *q = arg;
	unsigned i;

	while ((i = __atomic_fetch_add(&q->next, 1, __ATOMIC_RELAXED)) < q->n) {
		struct cjob *j = &q->jobs[i];
		char err[256];

		j->r = dpi_hs_compile(j->hp, j->n, false, &j->db, err, sizeof(err));
	}
	return NULL;
}

/* Run the queue on every CPU. */
static void run_queue(struct cqueue *q)
{
	pthread_t th[16];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned nth = 0;

	if (cpus > 16)
		cpus = 16;
	while ((long)nth + 1 < cpus && nth + 1 < q->n && !pthread_create(&th[nth], NULL, cworker, q))
		nth++;
	cworker(q);
	for (unsigned i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
}

/* Every class in slices of POL_SLICE patterns, compiled by every CPU. A
 * slice that fails is searched for the patterns Hyperscan refuses, each
 * reported at its place. */
static int compile_classes(struct build *b)
{
	struct dpi_policy *p = b->p;
	struct dpi_hs_pattern *hp[PC__MAX] = {0};
	char **wrapped[PC__MAX] = {0};
	struct cqueue q = {0};
	unsigned first[PC__MAX];
	int r = 0;

	for (unsigned c = 0; c < PC__MAX && !r; c++) {
		hp[c] = calloc(p->npat[c] + 1, sizeof(**hp));
		wrapped[c] = calloc(p->npat[c] + 1, sizeof(**wrapped));
		r = !hp[c] || !wrapped[c] ? -ENOMEM : wrap_class(b, c, hp[c], wrapped[c]);
		q.n += (p->npat[c] + POL_SLICE - 1) / POL_SLICE;
	}
	q.jobs = r ? NULL : calloc(q.n + 1, sizeof(*q.jobs));
	if (r || !q.jobs) {
		r = -ENOMEM;
		goto out;
	}
	q.n = 0;
	for (unsigned c = 0; c < PC__MAX; c++) {
		first[c] = q.n;
		for (uint32_t lo = 0; lo < p->npat[c]; lo += POL_SLICE)
			q.jobs[q.n++] = (struct cjob){
				.hp = hp[c] + lo,
				.n = p->npat[c] - lo < POL_SLICE ? p->npat[c] - lo : POL_SLICE};
	}
	run_queue(&q);
	for (unsigned c = 0; c < PC__MAX; c++) {
		unsigned n = (p->npat[c] + POL_SLICE - 1) / POL_SLICE;

		p->db[c] = calloc(n + 1, sizeof(*p->db[c]));
		if (!p->db[c])
			r = -ENOMEM;
		for (unsigned i = 0; i < n; i++) {
			struct cjob *j = &q.jobs[first[c] + i];

			if (j->r == -ENOMEM)
				r = -ENOMEM;
			else if (j->r == -EINVAL)
				report_bad(b, c, (struct dpi_hs_pattern *)j->hp, j->n);
			if (p->db[c] && j->r == 0)
				p->db[c][p->ndb[c]++] = j->db;
			else
				dpi_hs_db_free(j->db);
		}
	}
out:
	for (unsigned c = 0; c < PC__MAX; c++) {
		for (uint32_t i = 0; wrapped[c] && i < p->npat[c]; i++)
			free(wrapped[c][i]);
		free(wrapped[c]);
		free(hp[c]);
	}
	free(q.jobs);
	return r;
}

/* ------------------------------------------------------------------ rules */

static int verb_id(struct build *b, const char *v)
{
	struct dpi_policy *p = b->p;

	for (uint32_t i = 0; i < p->nverbs; i++)
		if (!strcmp(p->verbs[i], v))
			return (int)i;
	if (p->nverbs == 64)
		return -E2BIG;
	p->verbs[p->nverbs] = dupstr(b, v, strlen(v));
	if (!p->verbs[p->nverbs])
		return -ENOMEM;
	return (int)p->nverbs++;
}

static int compile_l7(struct build *b, const struct bh_rule *s, struct pol_rule *r)
{
	struct dpi_policy *p = b->p;
	struct pol_http *h = arena_alloc(&p->arena, sizeof(*h) * (s->nhttp + 1));
	struct pol_dns *d = arena_alloc(&p->arena, sizeof(*d) * (s->ndns + 1));
	struct pol_sql *q = arena_alloc(&p->arena, sizeof(*q) * (s->nsql + 1));
	int e = 0;

	if (!h || !d || !q)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nhttp && !e; i++) {
		const struct bh_http_rule *x = &s->http[i];
		struct pol_hdr *hd = arena_alloc(&p->arena, sizeof(*hd) * (x->nheaders + 1));

		if (!hd)
			return -ENOMEM;
		if ((h[i].has_method = x->method))
			e = add_match(b, PC_METHOD, x->method, 0, &x->method_loc, "method regex",
				      &h[i].method);
		if (!e && (h[i].has_path = x->path))
			e = add_match(b, PC_PATH, x->path, 0, &x->path_loc, "path regex", &h[i].path);
		if (!e && (h[i].has_host = x->host))
			e = add_match(b, PC_HOST, x->host, DPI_HS_CASELESS, &x->host_loc,
				      "host regex", &h[i].host);
		for (uint32_t j = 0; j < x->nheaders && !e; j++) {
			hd[j].name = dupstr(b, x->headers[j].name, strlen(x->headers[j].name));
			hd[j].namelen = (uint32_t)strlen(x->headers[j].name);
			hd[j].any = !x->headers[j].value;
			if (!hd[j].name)
				return -ENOMEM;
			if (!hd[j].any)
				e = add_match(b, PC_HVAL, x->headers[j].value, 0,
					      &x->headers[j].value_loc, "header value regex",
					      &hd[j].val);
		}
		h[i].hdr = hd;
		h[i].nhdr = x->nheaders;
	}
	for (uint32_t i = 0; i < s->ndns && !e; i++) {
		const struct bh_dns_rule *x = &s->dns[i];

		if (x->match_pattern)
			e = dns_labels(b, x->match_pattern, &d[i]);
		else if (x->match_name) {
			size_t n = strlen(x->match_name);
			char *lc = dupstr(b, x->match_name, n);

			if (!lc)
				return -ENOMEM;
			for (size_t k = 0; k < n; k++)
				lc[k] = (char)(lc[k] >= 'A' && lc[k] <= 'Z' ? lc[k] + 32 : lc[k]);
			if (n && lc[n - 1] == '.')
				lc[--n] = 0;
			d[i].name = lc;
			d[i].namelen = (uint32_t)n;
		}
	}
	for (uint32_t i = 0; i < s->nsql && !e; i++) {
		const struct bh_sql_rule *x = &s->sql[i];
		char **t = arena_alloc(&p->arena, sizeof(*t) * (x->ntables + 1));

		if (!t)
			return -ENOMEM;
		for (uint32_t j = 0; j < x->nstatements; j++) {
			int v = verb_id(b, x->statements[j]);

			if (v == -E2BIG) {
				report(b, false, x->statement_locs ? &x->statement_locs[j] : &x->loc,
				       "more than 64 statement kinds in one policy set");
				continue;
			}
			if (v < 0)
				return v;
			q[i].verbs |= 1ull << v;
		}
		for (uint32_t j = 0; j < x->ntables; j++) {
			size_t n = strlen(x->tables[j]);

			if (!(t[j] = dupstr(b, x->tables[j], n)))
				return -ENOMEM;
			for (size_t k = 0; k < n; k++)
				t[j][k] = (char)(t[j][k] >= 'A' && t[j][k] <= 'Z' ? t[j][k] + 32
										 : t[j][k]);
		}
		q[i].tables = (const char *const *)t;
		q[i].ntables = x->ntables;
	}
	r->http = h;
	r->nhttp = s->nhttp;
	r->dns = d;
	r->ndns = s->ndns;
	r->sql = q;
	r->nsql = s->nsql;
	return e;
}

static int compile_rule(struct build *b, uint32_t pol, unsigned side, uint32_t idx,
			const struct bh_rule *s, struct pol_rule *r)
{
	struct dpi_policy *p = b->p;
	struct pol_peer *pe = arena_alloc(&p->arena, sizeof(*pe) * (s->npeers + 1));
	struct pol_port *po = arena_alloc(&p->arena, sizeof(*po) * (s->nports + 1));
	int e;

	if (!pe || !po)
		return -ENOMEM;
	if (s->name)
		r->name = dupstr(b, s->name, strlen(s->name));
	else {
		char n[600];

		snprintf(n, sizeof(n), "%s/%s[%u]", b->doc->policies[pol].name,
			 side == POL_SERVER ? "ingress" : "egress", idx);
		r->name = dupstr(b, n, strlen(n));
	}
	if (!r->name)
		return -ENOMEM;
	r->policy = pol;
	r->side = (uint8_t)side;
	r->has_peers = s->has_peers;
	r->has_l7 = s->has_l7;
	for (uint32_t i = 0; i < s->npeers; i++) {
		const struct bh_peer *x = &s->peers[i];

		pe[i].kind = (uint8_t)x->kind;
		if (x->kind == BH_PEER_SELECTOR) {
			if ((e = compile_sel(b, &x->sel, &pe[i].sel)) < 0)
				return e;
		} else {
			struct pol_cidr *ex = arena_alloc(&p->arena, sizeof(*ex) * (x->nexcept + 1));

			if (!ex)
				return -ENOMEM;
			pe[i].cidr = (struct pol_cidr){x->cidr.net, x->cidr.plen};
			for (uint32_t j = 0; j < x->nexcept; j++)
				ex[j] = (struct pol_cidr){x->except[j].net, x->except[j].plen};
			pe[i].except = ex;
			pe[i].nexcept = x->nexcept;
		}
	}
	for (uint32_t i = 0; i < s->nports; i++)
		po[i] = (struct pol_port){s->ports[i].port,
					  s->ports[i].end_port ? s->ports[i].end_port
							       : s->ports[i].port,
					  s->ports[i].proto};
	r->peers = pe;
	r->npeers = s->npeers;
	r->ports = po;
	r->nports = s->nports;
	return s->has_l7 ? compile_l7(b, s, r) : 0;
}

/* ------------------------------------------------------------------ index */

static int ent_cmp(const void *x, const void *y)
{
	const struct ent *a = x, *c = y;

	if (a->key != c->key)
		return a->key < c->key ? -1 : 1;
	return a->rule < c->rule ? -1 : a->rule > c->rule;
}

static int add_ent(struct build *b, uint64_t key, uint32_t rule)
{
	if (b->nent == b->capent) {
		size_t n = b->capent ? b->capent * 2 : 4096;
		void *v = realloc(b->ent, sizeof(*b->ent) * n);

		if (!v)
			return -ENOMEM;
		b->ent = v;
		b->capent = n;
	}
	b->ent[b->nent].key = key;
	b->ent[b->nent++].rule = rule;
	return 0;
}

static uint32_t key_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (uint32_t)k;
}

const struct pol_slot *dpi_pol_find(const struct dpi_policy *p, uint64_t key)
{
	if (!p->idx)
		return NULL;
	for (uint32_t i = key_hash(key) & p->idx_mask;; i = (i + 1) & p->idx_mask) {
		if (p->idx[i].key == key)
			return &p->idx[i];
		if (!p->idx[i].key)
			return NULL;
	}
}

/* Index rule @r for workload @wl: one key per port, or the any-port key,
 * plus the range key for port ranges. */
static int index_rule(struct build *b, uint32_t wl, uint32_t r)
{
	const struct pol_rule *x = &b->p->rules[r];
	int e = 0;

	if (!x->nports)
		return add_ent(b, pol_key(wl, x->side, 0, 0), r);
	for (uint32_t i = 0; i < x->nports && !e; i++) {
		const struct pol_port *po = &x->ports[i];

		if (po->lo == po->hi)
			e = add_ent(b, pol_key(wl, x->side, po->proto, po->lo), r);
		else
			e = add_ent(b, pol_key(wl, x->side, 255, 0), r);
	}
	return e;
}

static int build_index(struct build *b)
{
	struct dpi_policy *p = b->p;
	uint32_t nslots = 0;

	if (b->nent)
		qsort(b->ent, b->nent, sizeof(*b->ent), ent_cmp);
	p->refs = malloc(sizeof(*p->refs) * (b->nent + 1));
	if (!p->refs)
		return -ENOMEM;
	for (size_t i = 0; i < b->nent; i++)
		nslots += !i || b->ent[i].key != b->ent[i - 1].key;
	p->idx_mask = 15;
	while (p->idx_mask < nslots * 2)
		p->idx_mask = p->idx_mask * 2 + 1;
	p->idx = calloc((size_t)p->idx_mask + 1, sizeof(*p->idx));
	if (!p->idx)
		return -ENOMEM;
	for (size_t i = 0, n = 0; i < b->nent; i++) {
		struct pol_slot *s;
		uint32_t h;

		if (i && b->ent[i].key == b->ent[i - 1].key) {
			if (b->ent[i].rule == b->ent[i - 1].rule)
				continue;
		} else {
			for (h = key_hash(b->ent[i].key) & p->idx_mask; p->idx[h].key;
			     h = (h + 1) & p->idx_mask)
				;
			p->idx[h] = (struct pol_slot){b->ent[i].key, (uint32_t)n, 0};
		}
		s = (struct pol_slot *)dpi_pol_find(p, b->ent[i].key);
		p->refs[n++] = b->ent[i].rule;
		s->n++;
	}
	return 0;
}

/* ---------------------------------------------------------------- policies */

static int add_policies(struct build *b)
{
	struct dpi_policy *p = b->p;
	const struct bh_policy_doc *d = b->doc;
	uint32_t nrules = 0, *tmp;
	int e;

	for (uint32_t i = 0; i < d->npolicies; i++)
		nrules += d->policies[i].ningress + d->policies[i].negress;
	p->npol = d->npolicies;
	p->pol = arena_alloc(&p->arena, sizeof(*p->pol) * (d->npolicies + 1));
	p->rules = calloc(nrules + 1, sizeof(*p->rules));
	p->verbs = arena_alloc(&p->arena, sizeof(*p->verbs) * 64);
	b->sel = calloc(d->npolicies + 1, sizeof(*b->sel));
	b->nsel = calloc(d->npolicies + 1, sizeof(*b->nsel));
	tmp = malloc(sizeof(*tmp) * (p->nwl + 1));
	if (!p->pol || !p->rules || !p->verbs || !b->sel || !b->nsel || !tmp) {
		free(tmp);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < d->npolicies; i++) {
		const struct bh_policy *s = &d->policies[i];
		struct pol_sel sel;
		uint32_t first = p->nrules;

		p->pol[i].name = dupstr(b, s->name, strlen(s->name));
		p->pol[i].mode = (uint8_t)s->mode;
		p->pol[i].sig_sets = s->sig_sets;
		p->pol[i].sig_deny = s->sig_deny;
		p->pol[i].unparsed_allow = s->unparsed_allow;
		p->sig_sets |= s->sig_sets;
		if (!p->pol[i].name)
			goto nomem;
		for (uint32_t j = 0; j < s->ningress; j++)
			if ((e = compile_rule(b, i, POL_SERVER, j, &s->ingress[j],
					      &p->rules[p->nrules++])) < 0)
				goto fail;
		for (uint32_t j = 0; j < s->negress; j++)
			if ((e = compile_rule(b, i, POL_CLIENT, j, &s->egress[j],
					      &p->rules[p->nrules++])) < 0)
				goto fail;
		if ((e = compile_sel(b, &s->selector, &sel)) < 0)
			goto fail;
		b->nsel[i] = select_wl(b, &sel, tmp);
		b->sel[i] = malloc(sizeof(**b->sel) * (b->nsel[i] + 1));
		if (!b->sel[i])
			goto nomem;
		memcpy(b->sel[i], tmp, sizeof(*tmp) * b->nsel[i]);
		for (uint32_t k = 0; k < b->nsel[i]; k++) {
			struct pol_wl *w = &p->wl[tmp[k]];
			static const uint8_t strict[BH_MODE__MAX] = {2, 1, 0};

			w->selected = true;
			if (strict[s->mode] > strict[w->mode])
				w->mode = (uint8_t)s->mode;
			if (s->has_ingress && w->first_policy[POL_SERVER] == POL_NONE)
				w->first_policy[POL_SERVER] = i;
			if (s->has_egress && w->first_policy[POL_CLIENT] == POL_NONE)
				w->first_policy[POL_CLIENT] = i;
			w->restricted[POL_SERVER] |= s->has_ingress;
			w->restricted[POL_CLIENT] |= s->has_egress;
			/* action: alert only alerts, as the engine does for
			 * every set it runs */
			if (s->sig_deny)
				w->sig_deny |= s->sig_sets;
			if (s->has_ingress || s->has_egress)
				w->unparsed_allow &= s->unparsed_allow;
			for (uint32_t r = first; r < p->nrules; r++)
				if ((e = index_rule(b, tmp[k], r)) < 0)
					goto fail;
		}
	}
	free(tmp);
	return 0;
nomem:
	e = -ENOMEM;
fail:
	free(tmp);
	return e;
}

/* dpi_pol_check_shadows()'s messages are errors. */
static void shadow_err(void *ctx, const struct bh_loc *loc, const char *msg)
{
	report(ctx, false, loc, "%s", msg);
}

static void build_free(struct build *b)
{
	free(b->in);
	free(b->ent);
	for (unsigned c = 0; c < PC__MAX; c++) {
		free(b->pat[c]);
		free(b->ptab[c]);
	}
	for (uint32_t i = 0; b->sel && i < b->doc->npolicies; i++)
		free(b->sel[i]);
	free(b->sel);
	free(b->nsel);
	free(b->post_key);
	free(b->post_wl);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int dpi_policy_new(const struct bh_policy_doc *doc, dpi_policy_error_fn err, void *err_ctx,
		   struct dpi_policy **ret)
{
	struct build b = {.doc = doc, .err = err, .err_ctx = err_ctx};
	uint64_t t0 = now_us();
	int e;

	b.p = calloc(1, sizeof(*b.p));
	if (!b.p)
		return -ENOMEM;
	if ((e = add_workloads(&b)) < 0 || (e = build_postings(&b)) < 0 ||
	    (e = add_policies(&b)) < 0)
		goto fail;
	dpi_pol_check_shadows(doc, b.sel, b.nsel, b.p->wl, shadow_err, &b);
	if (!b.errors && (e = compile_classes(&b)) < 0)
		goto fail;
	if (b.errors) {
		e = -EINVAL;
		goto fail;
	}
	if ((e = build_index(&b)) < 0)
		goto fail;
	b.p->info = (struct dpi_policy_info){
		.workloads = b.p->nwl,
		.policies = b.p->npol,
		.rules = b.p->nrules,
	};
	for (uint32_t i = 0; i < b.p->nrules; i++)
		b.p->info.l7_entries += b.p->rules[i].nhttp + b.p->rules[i].ndns +
					b.p->rules[i].nsql;
	for (unsigned c = 0; c < PC__MAX; c++) {
		b.p->info.regexes += b.p->npat[c];
		b.p->info.hs_databases += b.p->ndb[c];
	}
	b.p->info.compile_us = now_us() - t0;
	build_free(&b);
	*ret = b.p;
	return 0;
fail:
	build_free(&b);
	dpi_policy_free(b.p);
	return e;
}

int dpi_policy_new_closed(struct dpi_policy **ret)
{
	struct dpi_policy *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->closed = true;
	*ret = p;
	return 0;
}

bool dpi_policy_closed(const struct dpi_policy *p)
{
	return p && p->closed;
}

void dpi_policy_free(struct dpi_policy *p)
{
	if (!p)
		return;
	for (unsigned c = 0; c < PC__MAX; c++) {
		for (unsigned i = 0; i < p->ndb[c]; i++)
			dpi_hs_db_free(p->db[c][i]);
		free(p->db[c]);
	}
	free(p->rules);
	free(p->refs);
	free(p->idx);
	free(p->addr);
	arena_free(p->arena);
	free(p);
}

unsigned dpi_policy_sig_sets(const struct dpi_policy *p)
{
	return p ? p->sig_sets : 0;
}

void dpi_policy_info(const struct dpi_policy *p, struct dpi_policy_info *ret)
{
	*ret = p->info;
}
