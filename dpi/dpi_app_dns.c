/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_app_dns.c - one `dns` record per DNS message, over UDP (a datagram is
 * a message) and TCP (length-prefixed messages in the stream).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_app.h"
#include "dpi_dns.h"
#include "dpi_inspect.h"

struct dns_flow {
	struct dpi_dns_tcp_state tcp;
};

struct call {
	struct dpi_worker *w;
	void *cookie;
};

static struct bh_str name_str(const struct dpi_dns_name *n)
{
	return (struct bh_str){n->text, n->len};
}

static void on_message(void *ctx, unsigned dir, const struct dpi_dns_msg *m)
{
	struct call *c = ctx;
	struct bh_dns_answer ans[DPI_DNS_MAX_ANSWERS];
	/* Room for the rendered MX answers ("10 mail.example"). */
	char mx[DPI_DNS_MAX_ANSWERS][DPI_DNS_NAME_TEXT_MAX + 8];
	struct bh_event ev;

	struct bh_verdict v;
	bool query = dir == DPI_TO_SERVER && !m->qr;

	if (dpi_pol_dropped(&c->w->cur->pol))
		return;
	if (m->malformed && !m->n_questions) {
		/* nothing to name; its anomalies were reported */
		dpi_inspect_dns(c->w, c->cookie, dir, m, NULL);
		if (query)
			dpi_pol_unparsed(c->w, c->w->cur, c->cookie, "policy.dns_malformed");
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = BH_EV_DNS;
	ev.dns.response = m->qr;
	ev.dns.id = m->id;
	ev.dns.rcode = m->rcode;
	if (m->n_questions) {
		ev.dns.rrname = name_str(&m->questions[0].name);
		ev.dns.rrtype = m->questions[0].qtype;
	}
	for (unsigned i = 0; i < m->n_answers; i++) {
		const struct dpi_dns_rr *rr = &m->answers[i];
		struct bh_dns_answer *a = &ans[i];
		int n;

		memset(a, 0, sizeof(*a));
		a->rrname = name_str(&rr->name);
		a->rrtype = rr->rrtype;
		a->ttl = rr->ttl;
		switch (rr->kind) {
		case DPI_DNS_RDATA_ADDR:
			a->rdata = (struct bh_str){rr->addr, (uint32_t)strlen(rr->addr)};
			break;
		case DPI_DNS_RDATA_NAME:
			a->rdata = name_str(&rr->target);
			break;
		case DPI_DNS_RDATA_MX:
			n = snprintf(mx[i], sizeof(mx[i]), "%u %.*s", rr->mx_pref,
				     (int)rr->target.len, rr->target.text);
			a->rdata = (struct bh_str){mx[i], n > 0 ? (uint32_t)n : 0};
			break;
		case DPI_DNS_RDATA_TXT:
			if (rr->n_txt)
				a->rdata = (struct bh_str){(const char *)rr->txt[0].p, rr->txt[0].len};
			break;
		default:
			break;
		}
	}
	ev.dns.answers = ans;
	ev.dns.nanswers = m->n_answers;
	dpi_inspect_dns(c->w, c->cookie, dir, m, &ev);
	c->w->pol_tx.seen = true;
	if (query && dpi_pol_dns(c->w, c->w->cur, c->cookie, &ev.dns, &v))
		ev.verdict = &v;
	dpi_record(c->w, c->cookie, &ev);
}

static void on_anomaly(void *ctx, const char *event)
{
	struct call *c = ctx;

	dpi_anomaly(c->w, c->cookie, event);
}

static const struct dpi_dns_cb callbacks = {
	.on_message = on_message,
	.on_anomaly = on_anomaly,
};

static struct dpi_dns_scratch *scratch(struct dpi_worker *w)
{
	if (!w->dns)
		w->dns = malloc(sizeof(*w->dns));
	return w->dns;
}

static int dns_init(struct dpi_flow *f)
{
	struct dns_flow *df = calloc(1, sizeof(*df));

	if (!df)
		return -ENOMEM;
	f->st = df;
	return 0;
}

static int dns_parse(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
		     const uint8_t *buf, size_t len)
{
	struct dns_flow *df = f->st;
	struct call c = {w, cookie};

	if (!scratch(w))
		return -ENOMEM;
	/* The scratch pointer is re-set on every call: it belongs to the
	 * worker, not the flow. */
	df->tcp.scratch = w->dns;
	return dpi_dns_tcp_parse(&df->tcp, dir, buf, len, &callbacks, &c);
}

static void dns_datagram(struct dpi_worker *w, struct dpi_flow *f, void *cookie, unsigned dir,
			 const uint8_t *buf, size_t len)
{
	struct call c = {w, cookie};

	(void)f;
	if (!scratch(w)) {
		dpi_anomaly(w, cookie, "applayer.no_memory");
		return;
	}
	dpi_dns_udp_parse(w->dns, dir, buf, len, &callbacks, &c);
}

static void dns_end(struct dpi_worker *w, struct dpi_flow *f, void *cookie)
{
	(void)w;
	(void)cookie;
	free(f->st);
	f->st = NULL;
}

const struct dpi_app dpi_app_dns = {
	.proto = DPI_PROTO_DNS,
	.init = dns_init,
	.parse = dns_parse,
	.gap = dpi_app_no_resync,
	.end = dns_end,
	.datagram = dns_datagram,
};
