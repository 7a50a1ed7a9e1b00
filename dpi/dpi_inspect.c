/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_inspect.c - signatures on transactions and raw streams (see
 * dpi_inspect.h): the alert path shared by every protocol, flood control,
 * and the DNS, SQL, TLS and raw-stream inspections. HTTP, which has the
 * most buffers, is in dpi_inspect_http.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_inspect_int.h"

int dpi_worker_set_sigs(struct dpi_worker *w, const struct dpi_sigs *s)
{
	struct dpi_sig_scratch *sc = NULL;
	struct dpi_inspect_buf *ib = NULL;
	struct dpi_sig_stream *udp = NULL;

	if (s) {
		if (dpi_sig_scratch_new(s->db, &sc) < 0)
			return -ENOMEM;
		ib = calloc(1, sizeof(*ib));
		if (!ib || dpi_sig_stream_open(s->db, &udp) < 0) {
			free(ib);
			dpi_sig_scratch_free(sc);
			return -ENOMEM;
		}
		ib->udp = udp;
	}
	if (w->ib)
		dpi_sig_stream_close(w->sig, w->ib->udp);
	dpi_sig_scratch_free(w->sig);
	free(w->ib);
	w->sigs = s;
	w->sig = sc;
	w->ib = ib;
	return 0;
}

void dpi_worker_set_inline(struct dpi_worker *w, bool on)
{
	w->inline_mode = on;
}

void dpi_worker_alert_counts(const struct dpi_worker *w, uint64_t *ret_emitted,
			     uint64_t *ret_suppressed)
{
	*ret_emitted = w->alerts;
	*ret_suppressed = w->alerts_suppressed;
}

uint32_t dpi_flow_alerts(const struct dpi_flow *f)
{
	return f ? f->alerts.total : 0;
}

void dpi_inspect_flow_free(struct dpi_worker *w, struct dpi_flow *f)
{
	for (unsigned d = 0; d < 2; d++) {
		dpi_sig_stream_close(w->sig, f->sst[d]);
		f->sst[d] = NULL;
	}
}

/* Flood control: a flow emits each sid once and at most
 * DPI_ALERTS_PER_FLOW alerts; the rest are counted. */
static bool flood_ok(struct dpi_flow *f, uint32_t sid)
{
	struct dpi_flow_alerts *a = &f->alerts;

	a->total++;
	for (unsigned i = 0; i < a->n; i++)
		if (a->sid[i] == sid)
			return false;
	if (a->n >= DPI_ALERTS_PER_FLOW)
		return false;
	a->sid[a->n++] = sid;
	return true;
}

void dpi_inspect_emit(struct dpi_worker *w, void *cookie, const struct dpi_hit *h,
		      const struct bh_event *rec)
{
	struct bh_event ev;
	struct bh_alert *a = &ev.alert;
	const char *action;
	uint32_t sid;

	if (!(w->sigs->sets & (1u << h->set)))
		return;
	sid = h->rule ? h->rule->sid : dpi_csigs[h->csig].sid;
	/* The policy hears of every match: flood control only thins the
	 * events. */
	action = w->cur ? dpi_pol_alert(w, w->cur, h->set, sid) : "allowed";
	if (w->cur && !flood_ok(w->cur, sid)) {
		w->alerts_suppressed++;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = BH_EV_ALERT;
	a->action = action;
	a->sid = sid;
	a->set = dpi_set_name(h->set);
	a->field = h->field;
	a->detail = h->detail;
	if (h->rule) {
		a->gid = h->rule->gid;
		a->rev = h->rule->rev;
		a->msg = h->rule->msg;
		a->category = h->rule->category;
		a->severity = h->rule->priority;
	} else {
		const struct dpi_csig_info *cs = &dpi_csigs[h->csig];

		a->gid = 1;
		a->rev = 1;
		a->msg = cs->msg;
		if (!dpi_rules_classtype(cs->classtype, &a->category, &a->severity)) {
			a->category = NULL;
			a->severity = 3;
		}
	}
	a->excerpt = (struct bh_str){(const char *)h->ex,
				     h->exlen < BH_ALERT_EXCERPT ? h->exlen : BH_ALERT_EXCERPT};
	a->tx_type = BH_EV_FLOW;
	if (rec) {
		a->tx_type = rec->type;
		switch (rec->type) {
		case BH_EV_HTTP: a->tx.http = rec->http; break;
		case BH_EV_DNS: a->tx.dns = rec->dns; break;
		case BH_EV_SQL: a->tx.sql = rec->sql; break;
		case BH_EV_TLS: a->tx.tls = rec->tls; break;
		default: a->tx_type = BH_EV_FLOW; break;
		}
	}
	w->alerts++;
	if (w->ops.record)
		w->ops.record(w->ops.ctx, cookie, &ev);
}

void dpi_inspect_csig(struct dpi_worker *w, void *cookie, enum dpi_csig cs, const char *field,
		      const uint8_t *ex, uint32_t exlen, const char *detail,
		      const struct bh_event *rec)
{
	struct dpi_hit h = {.csig = cs, .set = dpi_csigs[cs].set, .field = field,
			    .ex = ex, .exlen = exlen, .detail = detail};

	dpi_inspect_emit(w, cookie, &h, rec);
}

/* Addresses, ports and transport of a rule against the current flow.
 * Direction @dir of the bytes: 0 = client to server. */
static bool rule_applies(const struct dpi_worker *w, const struct dpi_rule *r, unsigned dir)
{
	const struct dpi_flow_meta *m = w->meta;
	uint8_t ipproto = w->cur ? w->cur->ipproto : 0;
	const uint8_t *src, *dst;
	uint16_t sp, dp;

	switch (r->proto) {
	case DPI_RULE_PROTO_TCP:
	case DPI_RULE_PROTO_HTTP:
	case DPI_RULE_PROTO_TLS:
		if (ipproto != IPPROTO_TCP)
			return false;
		break;
	case DPI_RULE_PROTO_UDP:
		if (ipproto != IPPROTO_UDP)
			return false;
		break;
	default:
		break;
	}
	/* Transactions and stream bytes come after the handshake. */
	if (r->flow_state == DPI_FLOW_NOT_ESTABLISHED && ipproto == IPPROTO_TCP)
		return false;
	if (!m || !m->client_addr || !m->server_addr)
		return r->src.any && r->dst.any && r->sport.any && r->dport.any;
	src = dir ? m->server_addr : m->client_addr;
	dst = dir ? m->client_addr : m->server_addr;
	sp = dir ? m->server_port : m->client_port;
	dp = dir ? m->client_port : m->server_port;
	return dpi_sig_rule_applies(r, src, sp, dst, dp);
}

struct sig_call {
	struct dpi_worker *w;
	void *cookie;
	const struct bh_event *rec;
	unsigned dir;
};

static void on_rule(void *ctx, const struct dpi_sig_alert *a)
{
	struct sig_call *c = ctx;
	const struct dpi_sigs *s = c->w->sigs;
	struct dpi_hit h;

	if (!rule_applies(c->w, a->rule, c->dir))
		return;
	h = (struct dpi_hit){.rule = a->rule,
			     .set = s->rule_set[a->rule - s->rules->rules],
			     .field = dpi_rule_buffer_name(a->buffer),
			     .ex = a->excerpt,
			     .exlen = a->excerpt_len};
	dpi_inspect_emit(c->w, c->cookie, &h, c->rec);
}

void dpi_inspect_rules(struct dpi_worker *w, void *cookie, const struct dpi_sig_tx *tx,
		       const struct bh_event *rec)
{
	struct sig_call c = {w, cookie, rec, tx->dir};

	if (dpi_sig_inspect(w->sigs->db, w->sig, tx, on_rule, &c) < 0)
		dpi_anomaly(w, cookie, "applayer.signature_error");
}

enum dpi_rule_app dpi_inspect_app(const struct dpi_flow *f)
{
	switch (f ? f->proto : DPI_PROTO_UNKNOWN) {
	case DPI_PROTO_HTTP: return DPI_RULE_APP_HTTP;
	case DPI_PROTO_DNS: return DPI_RULE_APP_DNS;
	case DPI_PROTO_MYSQL:
	case DPI_PROTO_PGSQL: return DPI_RULE_APP_SQL;
	case DPI_PROTO_TLS: return DPI_RULE_APP_TLS;
	default: return DPI_RULE_APP_NONE;
	}
}

/* ------------------------------------------------------------ raw bytes */

static void block_stream(struct dpi_worker *w, void *cookie, unsigned dir, const uint8_t *data,
			 uint32_t len)
{
	struct dpi_slice v = {data, len};
	struct dpi_sig_tx tx = {.app = dpi_inspect_app(w->cur), .dir = dir};

	if (!dpi_sig_db_has_block_stream(w->sigs->db) || !len)
		return;
	tx.vals[DPI_RB_STREAM] = &v;
	tx.nvals[DPI_RB_STREAM] = 1;
	dpi_inspect_rules(w, cookie, &tx, NULL);
}

void dpi_inspect_stream(struct dpi_worker *w, void *cookie, unsigned dir, const uint8_t *data,
			uint32_t len, bool gap)
{
	struct dpi_flow *f = w->cur;
	const struct dpi_sigs *s = w->sigs;
	struct sig_call c = {w, cookie, NULL, dir};

	if (!s || !f || dir > 1)
		return;
	if (dpi_sig_db_has_streams(s->db)) {
		if (!f->sst[dir] && dpi_sig_stream_open(s->db, &f->sst[dir]) < 0) {
			dpi_anomaly(w, cookie, "applayer.no_memory");
		} else if (gap) {
			dpi_sig_stream_gap(s->db, w->sig, f->sst[dir]);
		} else if (len && dpi_sig_stream_scan(s->db, w->sig, f->sst[dir],
						      dpi_inspect_app(f), dir, data, len,
						      on_rule, &c) < 0) {
			dpi_anomaly(w, cookie, "applayer.signature_error");
		}
	}
	if (!gap)
		block_stream(w, cookie, dir, data, len);
}

void dpi_inspect_datagram(struct dpi_worker *w, void *cookie, unsigned dir,
			  const uint8_t *data, uint32_t len)
{
	const struct dpi_sigs *s = w->sigs;
	struct sig_call c = {w, cookie, NULL, dir};

	if (!s || dir > 1 || !len)
		return;
	/* Each datagram is a stream of its own. */
	if (w->ib->udp && (dpi_sig_stream_reset(s->db, w->sig, w->ib->udp) < 0 ||
			   dpi_sig_stream_scan(s->db, w->sig, w->ib->udp, dpi_inspect_app(w->cur),
					       dir, data, len, on_rule, &c) < 0))
		dpi_anomaly(w, cookie, "applayer.signature_error");
	block_stream(w, cookie, dir, data, len);
}

/* ------------------------------------------------------------------ DNS */

static bool has_anomaly(const struct dpi_dns_msg *m, const char *name)
{
	for (unsigned i = 0; i < m->n_anomalies && i < DPI_DNS_MAX_ANOMALIES; i++)
		if (m->anomalies[i] && strcmp(m->anomalies[i], name) == 0)
			return true;
	return false;
}

void dpi_inspect_dns(struct dpi_worker *w, void *cookie, unsigned dir,
		     const struct dpi_dns_msg *m, const struct bh_event *rec)
{
	struct dpi_inspect_buf *ib = w->ib;
	const uint8_t *q0 = NULL;
	uint32_t q0len = 0;

	if (!w->sigs)
		return;
	if (m->n_questions) {
		q0 = (const uint8_t *)m->questions[0].name.text;
		q0len = m->questions[0].name.len;
	}
	if (!m->qr) {
		struct dpi_sig_tx tx = {.app = DPI_RULE_APP_DNS, .dir = dir};

		for (unsigned i = 0; i < m->n_questions; i++) {
			const struct dpi_dns_question *q = &m->questions[i];

			ib->dnsq[i] = (struct dpi_slice){(const uint8_t *)q->name.text, q->name.len};
			dpi_inspect_dns_tunnel(w, cookie, q, rec);
			if (q->qtype == 252 || q->qtype == 251)
				dpi_inspect_csig(w, cookie, DPI_CS_DNS_ZONE_TRANSFER, "dns.query",
						 ib->dnsq[i].p, ib->dnsq[i].len,
						 q->qtype == 252 ? "AXFR" : "IXFR", rec);
			else if (q->qtype == 255)
				dpi_inspect_csig(w, cookie, DPI_CS_DNS_ANY, "dns.query",
						 ib->dnsq[i].p, ib->dnsq[i].len, "ANY", rec);
		}
		if (m->n_questions) {
			tx.vals[DPI_RB_DNS_QUERY] = ib->dnsq;
			tx.nvals[DPI_RB_DNS_QUERY] = m->n_questions;
			dpi_inspect_rules(w, cookie, &tx, rec);
		}
	}
	if (has_anomaly(m, "dns.pointer_loop"))
		dpi_inspect_csig(w, cookie, DPI_CS_DNS_POINTER_LOOP, "dns", q0, q0len,
				 "dns.pointer_loop", rec);
	else if (m->malformed)
		dpi_inspect_csig(w, cookie, DPI_CS_DNS_MALFORMED, "dns", q0, q0len,
				 m->n_anomalies ? m->anomalies[0] : NULL, rec);
}

/* ------------------------------------------------------------ SQL, TLS */

void dpi_inspect_sql(struct dpi_worker *w, void *cookie, enum dpi_sql_dialect d,
		     struct dpi_slice text, const struct bh_event *rec)
{
	struct dpi_sig_tx tx = {.app = DPI_RULE_APP_SQL, .dir = DPI_TO_SERVER};

	if (!w->sigs)
		return;
	tx.vals[DPI_RB_SQL_QUERY] = &text;
	tx.nvals[DPI_RB_SQL_QUERY] = 1;
	dpi_inspect_rules(w, cookie, &tx, rec);
	dpi_inspect_sql_statement(w, cookie, d, text, rec);
}

void dpi_inspect_tls(struct dpi_worker *w, void *cookie, const struct bh_event *rec)
{
	struct dpi_slice sni = {(const uint8_t *)rec->tls.sni.p, rec->tls.sni.len};
	struct dpi_sig_tx tx = {.app = DPI_RULE_APP_TLS, .dir = DPI_TO_SERVER};

	if (!w->sigs)
		return;
	if (sni.len) {
		tx.vals[DPI_RB_TLS_SNI] = &sni;
		tx.nvals[DPI_RB_TLS_SNI] = 1;
	}
	dpi_inspect_rules(w, cookie, &tx, rec);
}
