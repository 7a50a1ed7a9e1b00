/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_policy.c - libFuzzer target for the policy loader (ctl_policy.h) and,
 * for what it accepts, the policy compiler (dpi_policy_new()).
 *
 * Input: one policy file, YAML or JSON (JSON when it starts with '{' or
 * '['). It is copied into an allocation of exactly its size, so ASan sees
 * any read past it. The loader's promises are checked: every message is
 * "fuzz.yaml:LINE:COL: text" or "fuzz.yaml: text", a success has no
 * message and a failure at least one (at most 100 and the line that says
 * there were more), reading twice gives the same answer; on success every
 * element is walked: strings are touched, addresses, ports and places are
 * in range. A violation aborts.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/dpi.h"
#include "ctl_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.yaml"

struct seen {
	unsigned msgs;
	uint64_t hash;
	uint32_t lines;   /* of the input: no place may lie past them */
};

static void mix(struct seen *s, const char *p)
{
	for (; *p; p++)
		s->hash = (s->hash ^ (uint8_t)*p) * 0x100000001b3ull;
}

static void on_error(void *ctx, const char *msg)
{
	struct seen *s = ctx;
	unsigned line, col;
	int off = 0;

	s->msgs++;
	mix(s, msg);
	if (strncmp(msg, NAME ":", sizeof(NAME)) != 0)
		abort();
	msg += sizeof(NAME);
	if (msg[0] == ' ')
		return; /* about the whole input */
	if (sscanf(msg, "%u:%u: %n", &line, &col, &off) != 2 || !off || !line || !col ||
	    line > s->lines + 1 || !msg[off])
		abort();
}

static void on_compile(void *ctx, bool warning, const char *msg)
{
	(void)warning;
	mix(ctx, msg);
}

static void check_loc(const struct seen *s, const struct bh_loc *l)
{
	if (!l->file || strcmp(l->file, NAME) != 0 || !l->line || !l->col ||
	    l->line > s->lines + 1)
		abort();
}

static void check_str(struct seen *s, const char *str)
{
	if (!str)
		abort();
	mix(s, str);
}

static void check_cidr(struct seen *s, const struct bh_cidr *c)
{
	union bh_addr a = c->net;

	if (c->plen > 128)
		abort();
	/* Host bits are zero. */
	for (unsigned i = c->plen; i < 128; i++)
		if (a.b[i / 8] & (0x80u >> (i % 8)))
			abort();
	check_loc(s, &c->loc);
}

static void check_selector(struct seen *s, const struct bh_selector *sel)
{
	for (uint32_t i = 0; i < sel->nlabels; i++) {
		check_str(s, sel->labels[i].key);
		check_str(s, sel->labels[i].value);
		check_loc(s, &sel->labels[i].loc);
	}
	for (uint32_t i = 0; i < sel->nexprs; i++) {
		const struct bh_sel_expr *e = &sel->exprs[i];

		check_str(s, e->key);
		if ((e->op <= BH_SEL_NOT_IN) != (e->nvalues > 0) || e->op > BH_SEL_DOES_NOT_EXIST)
			abort();
		for (uint32_t k = 0; k < e->nvalues; k++)
			check_str(s, e->values[k]);
		check_loc(s, &e->loc);
	}
}

static void check_l7(struct seen *s, const struct bh_rule *r)
{
	for (uint32_t i = 0; i < r->nhttp; i++) {
		const struct bh_http_rule *h = &r->http[i];

		if (!h->method && !h->path && !h->host && !h->nheaders)
			abort();
		for (uint32_t k = 0; k < h->nheaders; k++)
			check_str(s, h->headers[k].name);
		check_loc(s, &h->loc);
	}
	for (uint32_t i = 0; i < r->ndns; i++)
		if (!r->dns[i].match_name == !r->dns[i].match_pattern)
			abort();
	for (uint32_t i = 0; i < r->nsql; i++) {
		const struct bh_sql_rule *q = &r->sql[i];

		if (!q->nstatements && !q->ntables)
			abort();
		for (uint32_t k = 0; k < q->nstatements; k++) {
			check_str(s, q->statements[k]);
			check_loc(s, &q->statement_locs[k]);
		}
		for (uint32_t k = 0; k < q->ntables; k++)
			check_str(s, q->tables[k]);
	}
}

static void check_rules(struct seen *s, const struct bh_rule *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (r[i].name)
			check_str(s, r[i].name);
		if (!r[i].has_peers && r[i].npeers)
			abort();
		for (uint32_t k = 0; k < r[i].npeers; k++) {
			const struct bh_peer *p = &r[i].peers[k];

			if (p->kind == BH_PEER_CIDR)
				check_cidr(s, &p->cidr);
			check_selector(s, &p->sel);
			for (uint32_t x = 0; x < p->nexcept; x++)
				check_cidr(s, &p->except[x]);
		}
		for (uint32_t k = 0; k < r[i].nports; k++) {
			const struct bh_port *p = &r[i].ports[k];

			if ((p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP) ||
			    (p->end_port && p->end_port < p->port))
				abort();
		}
		if (!r[i].has_l7 && (r[i].nhttp || r[i].ndns || r[i].nsql))
			abort();
		check_l7(s, &r[i]);
		check_loc(s, &r[i].loc);
	}
}

static void check_doc(struct seen *s, const struct bh_policy_doc *d)
{
	for (uint32_t i = 0; i < d->nworkloads; i++) {
		const struct bh_workload *w = &d->workloads[i];

		check_str(s, w->name);
		for (uint32_t k = 0; k < w->naddrs; k++)
			check_cidr(s, &w->addrs[k]);
		for (uint32_t k = 0; k < w->nlabels; k++)
			check_str(s, w->labels[k].value);
		if (w->interface && (!w->interface[0] || strlen(w->interface) > 15))
			abort();
		check_loc(s, &w->loc);
	}
	for (uint32_t i = 0; i < d->npolicies; i++) {
		const struct bh_policy *p = &d->policies[i];

		check_str(s, p->name);
		if (p->mode >= BH_MODE__MAX || (!p->has_ingress && !p->has_egress) ||
		    (!p->has_ingress && p->ningress) || (!p->has_egress && p->negress))
			abort();
		check_selector(s, &p->selector);
		check_rules(s, p->ingress, p->ningress);
		check_rules(s, p->egress, p->negress);
		check_loc(s, &p->loc);
	}
}

/* Loads @buf; returns the result code, *@s the messages. */
static int load(const char *buf, size_t size, struct seen *s, struct ctl_policy **ret)
{
	int r = ctl_policy_load_mem(NAME, buf, size, on_error, s, ret);

	if (r != 0 && r != -EINVAL && r != -ENOMEM && r != -EFBIG)
		abort();
	if ((r == 0) != (s->msgs == 0) && r != -ENOMEM)
		abort();
	if (s->msgs > 101)
		abort();
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { .lines = 1 }, again;
	struct ctl_policy *p = NULL, *q = NULL;
	struct dpi_policy *dp = NULL;
	char *buf = malloc(size ? size : 1);
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* An upper bound: \r\n counts twice, and NEL and U+2028/9 (which
	 * YAML 1.1 takes as breaks) are counted by a byte of theirs. */
	for (size_t i = 0; i < size; i++)
		s.lines += buf[i] == '\n' || buf[i] == '\r' || (uint8_t)buf[i] == 0x85 ||
			   (uint8_t)buf[i] == 0xe2;
	again = s;
	r = load(buf, size, &s, &p);
	if (load(buf, size, &again, &q) != r || again.msgs != s.msgs || again.hash != s.hash)
		abort();
	ctl_policy_free(q);
	if (r == 0) {
		check_doc(&s, ctl_policy_doc(p));
		if (dpi_policy_new(ctl_policy_doc(p), on_compile, &s, &dp) == 0)
			(void)dpi_policy_sig_sets(dp);
		dpi_policy_free(dp);
	}
	ctl_policy_free(p);
	free(buf);
	return 0;
}
