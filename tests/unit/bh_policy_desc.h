/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bh_policy_desc.h - a loaded document set as text that doesn't depend on the
 * order or place of its documents: two loads of the same documents give the
 * same text (test_docset and fuzz_docset compare loads with it).
 */
#ifndef BH_POLICY_DESC_H
#define BH_POLICY_DESC_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/bh_policy.h"

static inline void put_addr(FILE *f, const union bh_addr *a, uint8_t plen)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a->b, s, sizeof(s));
	fprintf(f, " %s/%u", s, plen);
}

static inline void put_selector(FILE *f, const struct bh_selector *s)
{
	fprintf(f, " sel(");
	for (uint32_t i = 0; i < s->nlabels; i++)
		fprintf(f, "%s=%s,", s->labels[i].key, s->labels[i].value);
	for (uint32_t i = 0; i < s->nexprs; i++) {
		fprintf(f, "%s %d [", s->exprs[i].key, (int)s->exprs[i].op);
		for (uint32_t k = 0; k < s->exprs[i].nvalues; k++)
			fprintf(f, "%s,", s->exprs[i].values[k]);
		fprintf(f, "]");
	}
	fprintf(f, ")");
}

static inline void put_rules(FILE *f, const char *dir, const struct bh_rule *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++, r++) {
		fprintf(f, " %s[%s peers=%d:", dir, r->name ? r->name : "-", r->has_peers);
		for (uint32_t k = 0; k < r->npeers; k++) {
			const struct bh_peer *p = &r->peers[k];

			if (p->kind == BH_PEER_SELECTOR) {
				put_selector(f, &p->sel);
			} else {
				put_addr(f, &p->cidr.net, p->cidr.plen);
				for (uint32_t e = 0; e < p->nexcept; e++)
					put_addr(f, &p->except[e].net, p->except[e].plen);
			}
		}
		fprintf(f, " ports:");
		for (uint32_t k = 0; k < r->nports; k++)
			fprintf(f, " %u-%u/%u", r->ports[k].port, r->ports[k].end_port,
				r->ports[k].proto);
		fprintf(f, " l7=%d", r->has_l7);
		for (uint32_t k = 0; k < r->nhttp; k++)
			fprintf(f, " http(%s %s %s %u)", r->http[k].method ? r->http[k].method : "-",
				r->http[k].path ? r->http[k].path : "-",
				r->http[k].host ? r->http[k].host : "-", r->http[k].nheaders);
		for (uint32_t k = 0; k < r->ndns; k++)
			fprintf(f, " dns(%s %s)", r->dns[k].match_name ? r->dns[k].match_name : "-",
				r->dns[k].match_pattern ? r->dns[k].match_pattern : "-");
		for (uint32_t k = 0; k < r->nsql; k++) {
			fprintf(f, " sql(");
			for (uint32_t v = 0; v < r->sql[k].nstatements; v++)
				fprintf(f, "%s,", r->sql[k].statements[v]);
			for (uint32_t v = 0; v < r->sql[k].ntables; v++)
				fprintf(f, "%s,", r->sql[k].tables[v]);
			fprintf(f, ")");
		}
		fprintf(f, "]");
	}
}

static inline int bh_desc_cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The documents loaded, one line each, sorted: the same for two loads of
 * the same documents, whatever their order and places. malloc'd. */
static inline char *bh_policy_describe(const struct bh_policy_doc *d)
{
	uint32_t n = d->nworkloads + d->npolicies;
	char **lines = calloc(n ? n : 1, sizeof(*lines));
	size_t sizes, total = 1;
	char *out, *p;

	if (!lines)
		abort();
	for (uint32_t i = 0; i < n; i++) {
		FILE *f = open_memstream(&lines[i], &sizes);

		if (!f)
			abort();
		if (i < d->nworkloads) {
			const struct bh_workload *w = &d->workloads[i];

			fprintf(f, "W %s if=%s labels:", w->name, w->interface ? w->interface : "-");
			for (uint32_t k = 0; k < w->nlabels; k++)
				fprintf(f, " %s=%s", w->labels[k].key, w->labels[k].value);
			fprintf(f, " addrs:");
			for (uint32_t k = 0; k < w->naddrs; k++)
				put_addr(f, &w->addrs[k].net, w->addrs[k].plen);
		} else {
			const struct bh_policy *pol = &d->policies[i - d->nworkloads];

			fprintf(f, "P %s mode=%d in=%d eg=%d sig=%x/%d unparsed=%d", pol->name,
				(int)pol->mode, pol->has_ingress, pol->has_egress, pol->sig_sets,
				pol->sig_deny, pol->unparsed_allow);
			put_selector(f, &pol->selector);
			put_rules(f, "in", pol->ingress, pol->ningress);
			put_rules(f, "eg", pol->egress, pol->negress);
		}
		if (fclose(f) != 0 || !lines[i])
			abort();
		total += strlen(lines[i]) + 1;
	}
	qsort(lines, n, sizeof(*lines), bh_desc_cmp_line);
	out = p = malloc(total);
	if (!out)
		abort();
	for (uint32_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);

		memcpy(p, lines[i], l);
		p[l] = '\n';
		p += l + 1;
		free(lines[i]);
	}
	*p = '\0';
	free(lines);
	return out;
}

#endif
