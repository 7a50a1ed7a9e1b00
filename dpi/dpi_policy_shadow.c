/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_policy_shadow.c - L7 rules that another rule makes useless: an
 * L4-only rule allowing the same peers and port would let everything
 * through that the L7 rules were written to check (policy-model.md,
 * semantic 4). That is a load-time error, found within each policy and
 * between every two policies that select a common workload (their rules
 * form one union there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_policy_int.h"

static bool cidr_covers(const struct bh_cidr *c, const union bh_addr *a)
{
	const struct pol_cidr pc = {c->net, c->plen};

	return dpi_pol_cidr_has(&pc, a);
}

static bool sel_same(const struct bh_selector *a, const struct bh_selector *c)
{
	if (a->nlabels != c->nlabels || a->nexprs != c->nexprs)
		return false;
	for (uint32_t i = 0; i < a->nlabels; i++) {
		uint32_t j;

		for (j = 0; j < c->nlabels; j++)
			if (!strcmp(a->labels[i].key, c->labels[j].key) &&
			    !strcmp(a->labels[i].value, c->labels[j].value))
				break;
		if (j == c->nlabels)
			return false;
	}
	for (uint32_t i = 0; i < a->nexprs; i++) {
		const struct bh_sel_expr *x = &a->exprs[i], *y = &c->exprs[i];

		if (strcmp(x->key, y->key) || x->op != y->op || x->nvalues != y->nvalues)
			return false;
		for (uint32_t k = 0; k < x->nvalues; k++)
			if (strcmp(x->values[k], y->values[k]))
				return false;
	}
	return true;
}

/* @b covers peer @a: the same selector, or a CIDR holding a's. */
static bool peer_covers(const struct bh_rule *wide, const struct bh_peer *a)
{
	if (!wide->has_peers)
		return true;
	for (uint32_t i = 0; i < wide->npeers; i++) {
		const struct bh_peer *w = &wide->peers[i];

		if (w->kind != a->kind)
			continue;
		if (w->kind == BH_PEER_SELECTOR ? sel_same(&w->sel, &a->sel)
						: (w->cidr.plen <= a->cidr.plen && !w->nexcept &&
						   cidr_covers(&w->cidr, &a->cidr.net)))
			return true;
	}
	return false;
}

static bool port_covers(const struct bh_rule *wide, const struct bh_port *a)
{
	if (!wide->nports)
		return true;
	for (uint32_t i = 0; i < wide->nports; i++) {
		const struct bh_port *w = &wide->ports[i];
		uint16_t whi = w->end_port ? w->end_port : w->port;
		uint16_t ahi = a->end_port ? a->end_port : a->port;

		if (w->proto == a->proto && w->port <= a->port && whi >= ahi)
			return true;
	}
	return false;
}

/* Does L4-only rule @wide make some peer and port of L7 rule @l7 allowed
 * without its L7 rules? */
static bool shadows(const struct bh_rule *wide, const struct bh_rule *l7)
{
	bool peer = !l7->has_peers ? !wide->has_peers : false;
	bool port = !l7->nports ? !wide->nports : false;

	for (uint32_t i = 0; i < l7->npeers && !peer; i++)
		peer = peer_covers(wide, &l7->peers[i]);
	for (uint32_t i = 0; i < l7->nports && !port; i++)
		port = port_covers(wide, &l7->ports[i]);
	return peer && port;
}

struct out {
	pol_err_fn fn;
	void *ctx;
};

static void check_shadow_lists(const struct out *o, const struct bh_policy *pa,
			       const struct bh_rule *la, uint32_t na, const struct bh_policy *pb,
			       const struct bh_rule *lb, uint32_t nb, const char *also)
{
	for (uint32_t i = 0; i < na; i++) {
		if (!la[i].has_l7)
			continue;
		for (uint32_t j = 0; j < nb; j++) {
			if (lb[j].has_l7 || !shadows(&lb[j], &la[i]))
				continue;
			char msg[768];

			snprintf(msg, sizeof(msg),
				 "shadowed: rule `%s`%s%s%s allows the same peers and port without L7 "
				 "rules, so these L7 rules would have no effect%s",
				 lb[j].name ? lb[j].name : "(unnamed)", pa != pb ? " of policy `" : "",
				 pa != pb ? pb->name : "", pa != pb ? "`" : "", also);
			o->fn(o->ctx, la[i].l7_loc.file ? &la[i].l7_loc : &la[i].loc, msg);
			break;
		}
	}
}

static void check_shadow(const struct out *o, const struct bh_policy *pa,
			 const struct bh_policy *pb, const char *also)
{
	check_shadow_lists(o, pa, pa->ingress, pa->ningress, pb, pb->ingress, pb->ningress, also);
	check_shadow_lists(o, pa, pa->egress, pa->negress, pb, pb->egress, pb->negress, also);
}

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Every two policies that select a common workload, each pair once: the
 * (workload, policy) selections sorted by workload give each workload's
 * policies; their pairs, sorted, come out once each with the first
 * workload they meet on. */
static void check_pairs(const struct out *o, const struct bh_policy_doc *d, uint32_t *const *sel,
			const uint32_t *nsel, const struct pol_wl *wl)
{
	uint64_t *ws = NULL, *pairs = NULL;
	size_t n = 0, np = 0, cap = 0;

	for (uint32_t i = 0; i < d->npolicies; i++)
		n += nsel[i];
	ws = malloc(sizeof(*ws) * (n + 1));
	if (!ws)
		goto nomem;
	n = 0;
	for (uint32_t i = 0; i < d->npolicies; i++)
		for (uint32_t k = 0; k < nsel[i]; k++)
			ws[n++] = (uint64_t)sel[i][k] << 32 | i;
	qsort(ws, n, sizeof(*ws), u64_cmp);
	for (size_t x = 0; x < n; x++) {
		for (size_t y = x + 1; y < n && ws[y] >> 32 == ws[x] >> 32; y++) {
			if (np + 2 > cap) {
				size_t ncap = cap ? cap * 2 : 256;
				uint64_t *nv = realloc(pairs, sizeof(*pairs) * ncap);

				if (!nv)
					goto nomem;
				pairs = nv;
				cap = ncap;
			}
			/* (policy a, policy b) then the workload, in two words */
			pairs[np++] = (ws[x] & 0xffffffffu) << 32 | (ws[y] & 0xffffffffu);
			pairs[np++] = ws[x] >> 32;
		}
	}
	if (np)
		qsort(pairs, np / 2, 2 * sizeof(*pairs), u64_cmp);
	for (size_t i = 0; i < np; i += 2) {
		const struct bh_policy *pa = &d->policies[pairs[i] >> 32];
		const struct bh_policy *pb = &d->policies[pairs[i] & 0xffffffffu];
		char also[300];

		if (i && pairs[i] == pairs[i - 2])
			continue;
		snprintf(also, sizeof(also), " (both select workload `%s`)",
			 wl[pairs[i + 1]].ref.name);
		check_shadow(o, pa, pb, also);
		check_shadow(o, pb, pa, also);
	}
	free(ws);
	free(pairs);
	return;
nomem:
	free(ws);
	free(pairs);
	o->fn(o->ctx, NULL, "out of memory checking rules for shadowing");
}

void dpi_pol_check_shadows(const struct bh_policy_doc *d, uint32_t *const *sel,
			   const uint32_t *nsel, const struct pol_wl *wl, pol_err_fn fn, void *ctx)
{
	const struct out o = {fn, ctx};

	for (uint32_t i = 0; i < d->npolicies; i++)
		check_shadow(&o, &d->policies[i], &d->policies[i], "");
	if (d->npolicies > 1)
		check_pairs(&o, d, sel, nsel, wl);
}
