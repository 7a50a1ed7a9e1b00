/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_worker.c - the packet path of one worker after decode: defragmentation,
 * flow lookup, TCP streams, flow records and anomaly events.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/socket.h>

#include "bulkhead/dpi.h"
#include "dp_csum.h"
#include "dp_defrag.h"
#include "dp_flow.h"
#include "dp_tcp.h"
#include "dp_edges.h"
#include "dp_worker.h"

_Static_assert(DP_ANOM__MAX <= 64, "anom_seen is a 64-bit mask");
_Static_assert(DP_ANOM__MAX <= sizeof(((struct dp_stats *)0)->anomaly_by_id) / sizeof(uint64_t),
	       "dp_stats.anomaly_by_id too small");

/* How often (packet time) idle flows are looked for. Expiry is also checked
 * on lookup, so this only bounds memory, never changes a result. */
#define EXPIRE_EVERY_US 1000000

/* Names of bridge ports (inline), by ifindex. */
struct port_slot {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
};
#define PORT_CACHE 64

struct dp_worker {
	unsigned id;
	bh_event_fn ev;
	void *ev_ctx;
	dp_stream_tap_fn tap;
	void *tap_ctx;
	dp_drop_fn drop;
	void *drop_ctx;
	bool policy;
	bool offload;
	enum dp_verdict verdict;     /* of the packet being processed */
	struct dp_flow_table *flows;
	struct dp_defrag *defrag;
	struct dpi_worker *dpi;
	struct dp_tcp_config tcp;
	uint64_t next_expire_us;
	const struct dp_packet *cur; /* packet being processed, for event context */
	struct dp_stats st;
	struct dp_edges *edges;      /* inline: who talked to whom; NULL: off */
	struct port_slot ports[PORT_CACHE];
};

void dp_engine_config_init(struct dp_engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = 1;
	cfg->max_flows = 1u << 20;
	cfg->stream_cap = 64u << 10;
	cfg->defrag_mem_cap = 16u << 20;
	cfg->defrag = true;
}

static const char *const reason_names[DP_R__MAX] = {
	[DP_R_RULE] = "rule",
	[DP_R_UNRESTRICTED] = "unrestricted",
	[DP_R_NO_RULE] = "no-rule",
	[DP_R_L7_NO_MATCH] = "l7-no-match",
	[DP_R_SIGNATURE] = "signature",
	[DP_R_SPOOFED] = "spoofed",
	[DP_R_UNPARSED] = "unparsed",
	[DP_R_ANOMALY] = "anomaly",
	[DP_R_NO_POLICY] = "no-policy",
};

const char *dp_reason_name(enum dp_reason r)
{
	return (unsigned)r < DP_R__MAX ? reason_names[r] : "?";
}

enum dp_reason dp_reason_of(const struct bh_verdict *v)
{
	if (!v->reason)
		return DP_R_RULE;
	/* An allowing rule's name is the reason: it may spell anything. */
	if (v->action == BH_ACT_ALLOW)
		return strcmp(v->reason, "unrestricted") ? DP_R_RULE : DP_R_UNRESTRICTED;
	for (unsigned r = DP_R_NO_RULE; r < DP_R__MAX; r++)
		if (!strcmp(v->reason, reason_names[r]))
			return (enum dp_reason)r;
	return DP_R_RULE;
}

bool dp_anomaly_names(unsigned id, const char **ret_type, const char **ret_event)
{
	if (id == 0 || id >= DP_ANOM__MAX)
		return false;
	*ret_type = dp_anomaly_type((enum dp_anomaly)id);
	*ret_event = dp_anomaly_event((enum dp_anomaly)id);
	return true;
}

/* The name of bridge port @ifindex (NULL for 0: replay). Asks the kernel
 * once per port; a port that went away keeps its number as a name. */
static const char *port_name(struct dp_worker *w, uint32_t ifindex)
{
	struct port_slot *s = &w->ports[ifindex % PORT_CACHE];

	if (!ifindex)
		return NULL;
	if (s->ifindex != ifindex) {
		if (!if_indextoname(ifindex, s->name))
			snprintf(s->name, sizeof(s->name), "if%u", ifindex);
		s->ifindex = ifindex;
	}
	return s->name;
}

/* Inline events about flow @f name the bridge port of its client (port[0]
 * is that of direction 0, to the server), or while no client packet was
 * seen, that of the packet at hand. */
static const char *flow_port(struct dp_worker *w, const struct dp_flow *f,
			     const struct dp_packet *p)
{
	if (f->port[0])
		return port_name(w, f->port[0]);
	return p ? port_name(w, p->in_ifindex) : NULL;
}

static void tuple_from_packet(struct bh_tuple *t, const struct dp_packet *p)
{
	memset(t, 0, sizeof(*t));
	t->family = p->family;
	t->proto = p->proto;
	t->vlan_cnt = p->vlan_cnt;
	memcpy(t->vlan, p->vlan, sizeof(t->vlan));
	t->src = p->src;
	t->dst = p->dst;
	/* IPv4 names its protocol up front; IPv6 only after its extension
	 * headers, which a broken packet may not get through. */
	t->has_proto = p->family == AF_INET || p->l3_hlen || p->has_l4;
	if (p->has_l4) {
		t->has_ports = true;
		t->sport = p->sport;
		t->dport = p->dport;
	}
}

static void tuple_from_flow(struct bh_tuple *t, const struct dp_flow *f, uint8_t icmp_type,
			    uint8_t icmp_code)
{
	const struct dp_flow_key *k = &f->key;

	memset(t, 0, sizeof(*t));
	t->family = k->family;
	t->proto = k->proto;
	t->has_proto = true;
	t->has_ports = true;
	t->vlan[0] = k->vlan[0];
	t->vlan[1] = k->vlan[1];
	t->vlan_cnt = k->vlan[1] ? 2 : k->vlan[0] ? 1 : 0;
	if (f->client_is_a) {
		t->src = k->a;
		t->sport = k->pa;
		t->dst = k->b;
		t->dport = k->pb;
	} else {
		t->src = k->b;
		t->sport = k->pb;
		t->dst = k->a;
		t->dport = k->pa;
	}
	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) {
		t->sport = icmp_type;
		t->dport = icmp_code;
	}
}

static void emit_anomaly(struct dp_worker *w, struct dp_flow *f, const struct dp_packet *p,
			 enum dp_anomaly a)
{
	struct bh_event ev;

	w->st.anomalies++;
	w->st.anomaly_by_id[a]++;
	if (f) {
		if (f->anom_count < UINT16_MAX)
			f->anom_count++;
		/* One event per kind and flow: a hostile peer can't flood the
		 * output, and the counters still see every occurrence. */
		if (f->anom_seen & (1ULL << a))
			return;
		f->anom_seen |= 1ULL << a;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = BH_EV_ANOMALY;
	ev.anomaly.type = dp_anomaly_type(a);
	ev.anomaly.event = dp_anomaly_event(a);
	if (p) {
		ev.ts_us = p->ts_us;
		ev.pkt_no = p->pkt_no;
		ev.source = p->source;
		ev.in_iface = f ? flow_port(w, f, p) : port_name(w, p->in_ifindex);
	} else if (f) {
		ev.ts_us = f->last_us;
		ev.source = f->source;
		ev.in_iface = flow_port(w, f, NULL);
	}
	if (f) {
		ev.has_tuple = true;
		ev.has_flow = true;
		tuple_from_flow(&ev.tuple, f, (uint8_t)(p ? p->sport : 0),
				(uint8_t)(p ? p->dport : 0));
		ev.flow_id = f->flow_id;
		ev.app_proto = dpi_proto_name(dpi_flow_proto(f->l7));
		ev.order[0] = f->first_pkt;
		ev.order[1] = ++f->seq_in_flow;
	} else if (p) {
		ev.has_tuple = p->family != 0;
		if (ev.has_tuple)
			tuple_from_packet(&ev.tuple, p);
		ev.order[0] = p->pkt_no;
		ev.order[1] = 0;
	}
	w->ev(w->ev_ctx, w->id, &ev);
}

static void flow_meta(const struct dp_flow *f, struct dpi_flow_meta *m)
{
	m->ipproto = f->key.proto;
	m->client_port = f->client_is_a ? f->key.pa : f->key.pb;
	m->server_port = f->client_is_a ? f->key.pb : f->key.pa;
	m->client_addr = f->client_is_a ? f->key.a.b : f->key.b.b;
	m->server_addr = f->client_is_a ? f->key.b.b : f->key.a.b;
}

/* Common fields of an event about flow @f, at the packet being processed
 * (or the flow's last activity when the flow is being ended). */
static void flow_event(struct dp_worker *w, struct dp_flow *f, struct bh_event *ev)
{
	const struct dp_packet *p = w->cur;

	ev->ts_us = p ? p->ts_us : f->last_us;
	ev->pkt_no = p ? p->pkt_no : 0;
	ev->source = p ? p->source : f->source;
	ev->in_iface = flow_port(w, f, p);
	ev->has_tuple = true;
	ev->has_flow = true;
	tuple_from_flow(&ev->tuple, f, f->wscale[0], f->wscale[1]);
	ev->flow_id = f->flow_id;
	ev->app_proto = dpi_proto_name(dpi_flow_proto(f->l7));
	ev->order[0] = f->first_pkt;
	ev->order[1] = ++f->seq_in_flow;
	dpi_flow_workloads(f->l7, &ev->src_workload, &ev->dest_workload);
}

static void l7_record(void *ctx, void *cookie, struct bh_event *ev)
{
	struct dp_worker *w = ctx;
	struct dp_flow *f = cookie;

	if (ev->type == BH_EV_ALERT) {
		w->st.alerts++;
		if (f->alerts < UINT8_MAX)
			f->alerts++;
	} else
		w->st.l7_records++;
	if (ev->verdict && ev->verdict->action < BH_ACT__MAX) {
		w->st.tx_verdicts[ev->verdict->action]++;
		w->st.tx_reasons[ev->verdict->action][dp_reason_of(ev->verdict)]++;
	}
	flow_event(w, f, ev);
	w->ev(w->ev_ctx, w->id, ev);
}

/* Parsers' anomalies are named by strings; a flow gets at most
 * L7_ANOM_EVENTS events of them, every one is counted. */
#define L7_ANOM_EVENTS 8

static void l7_anomaly(void *ctx, void *cookie, const char *event)
{
	struct dp_worker *w = ctx;
	struct dp_flow *f = cookie;
	struct bh_event ev;

	w->st.anomalies++;
	w->st.l7_anomalies++;
	if (f->anom_count < UINT16_MAX)
		f->anom_count++;
	if (f->l7_anoms >= L7_ANOM_EVENTS)
		return;
	f->l7_anoms++;
	memset(&ev, 0, sizeof(ev));
	ev.type = BH_EV_ANOMALY;
	ev.anomaly.type = "applayer";
	ev.anomaly.event = event;
	flow_event(w, f, &ev);
	w->ev(w->ev_ctx, w->id, &ev);
}

/* An end of @f by workload name, else address. */
static const char *end_name(const struct dp_flow *f, const struct bh_workload_ref *wl,
			    unsigned side, char *buf)
{
	const struct dp_flow_key *k = &f->key;
	const union bh_addr *a = (side == 0) == f->client_is_a ? &k->a : &k->b;

	if (wl)
		return wl->name;
	if (k->family == AF_INET)
		return inet_ntop(AF_INET, &a->w[3], buf, INET6_ADDRSTRLEN);
	return inet_ntop(AF_INET6, a->b, buf, INET6_ADDRSTRLEN);
}

static void count_edge(struct dp_worker *w, const struct dp_flow *f, unsigned action)
{
	const struct bh_workload_ref *c, *s;
	char cb[INET6_ADDRSTRLEN], sb[INET6_ADDRSTRLEN];
	const char *cn, *sn;

	dpi_flow_workloads(f->l7, &c, &s);
	cn = end_name(f, c, 0, cb);
	sn = end_name(f, s, 1, sb);
	dp_edges_add(w->edges, cn ? cn : "?", sn ? sn : "?", f->key.proto,
		     f->client_is_a ? f->key.pb : f->key.pa, action, f->start_us);
}

/* A decision after the flow opened: DENY drops the packet at hand and
 * every later one (the flow is reset). */
static void l7_verdict(void *ctx, void *cookie, const struct bh_verdict *v)
{
	struct dp_worker *w = ctx;
	struct dp_flow *f = cookie;

	if (v->action == BH_ACT_DENY && !f->denied) {
		f->denied = true;
		w->st.flows_reset++;
		if (w->edges) /* allowed at L4, denied now: the edge saw a denial */
			count_edge(w, f, BH_ACT_DENY);
	}
}

static void tcp_anom(void *ctx, struct dp_flow *f, const struct dp_packet *p, enum dp_anomaly a)
{
	struct dp_worker *w = ctx;

	emit_anomaly(w, f, p, a);
}

static void tcp_data(void *ctx, struct dp_flow *f, unsigned dir, const uint8_t *data,
		     uint32_t len, unsigned flags)
{
	struct dp_worker *w = ctx;
	struct dpi_flow_meta m;
	unsigned tf = 0;

	if (flags & DP_SD_GAP) {
		w->st.stream_gaps++;
		tf |= DP_TAP_GAP;
	} else if (flags & DP_SD_EOF) {
		tf |= DP_TAP_EOF;
	} else {
		w->st.stream_delivered += len;
	}
	flow_meta(f, &m);
	dpi_stream(w->dpi, (struct dpi_flow **)&f->l7, f, &m, dir, data, len,
		   (flags & DP_SD_GAP ? DPI_DATA_GAP : 0) | (flags & DP_SD_EOF ? DPI_DATA_EOF : 0));
	if (w->tap)
		w->tap(w->tap_ctx, w->id, f->flow_id, dir, data, len, tf);
}

static void defrag_anom(void *ctx, const struct dp_packet *p, enum dp_anomaly a)
{
	struct dp_worker *w = ctx;

	emit_anomaly(w, NULL, p, a);
}

int dp_worker_new(const struct dp_engine_config *cfg, unsigned id, bh_event_fn ev,
		  void *ev_ctx, struct dp_worker **ret)
{
	struct dp_worker *w;
	uint32_t cap;
	int r;

	if (!cfg->workers || cfg->workers > DP_MAX_WORKERS || !ev)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->id = id;
	w->ev = ev;
	w->ev_ctx = ev_ctx;
	w->tap = cfg->stream_tap;
	w->tap_ctx = cfg->stream_tap_ctx;
	w->drop = cfg->drop;
	w->drop_ctx = cfg->drop_ctx;
	w->tcp.cap = cfg->stream_cap;
	w->tcp.max_segs = 1024;
	w->tcp.data = tcp_data;
	w->tcp.anom = tcp_anom;
	w->tcp.ctx = w;
	{
		struct dpi_ops ops = {.record = l7_record, .anomaly = l7_anomaly,
				      .verdict = l7_verdict, .ctx = w};

		r = dpi_worker_new(&ops, &w->dpi);
		if (r < 0)
			goto fail;
		if (cfg->sigs) {
			r = dpi_worker_set_sigs(w->dpi, cfg->sigs);
			if (r < 0)
				goto fail;
		}
		if (cfg->policy) {
			r = dpi_worker_set_policy(w->dpi, cfg->policy);
			if (r < 0)
				goto fail;
			w->policy = true;
		}
	}
	cap = cfg->max_flows / cfg->workers;
	r = dp_flow_table_new(cap ? cap : 1, NULL, &w->flows);
	if (r < 0)
		goto fail;
	if (cfg->defrag) {
		struct dp_defrag_config dc;

		dp_defrag_config_init(&dc);
		dc.mem_cap = cfg->defrag_mem_cap;
		r = dp_defrag_new(&dc, &w->defrag);
		if (r < 0)
			goto fail;
	}
	*ret = w;
	return 0;
fail:
	dp_worker_free(w);
	return r;
}

static void free_flow_bufs(void *ctx, struct dp_flow *f)
{
	struct dp_worker *w = ctx;
	struct dp_tcp_config quiet = {0};

	/* Freed without reporting: the worker is going away. */
	dp_tcp_flush(&quiet, f);
	dpi_flow_discard(w->dpi, (struct dpi_flow **)&f->l7);
}

void dp_worker_free(struct dp_worker *w)
{
	if (!w)
		return;
	if (w->flows) {
		if (w->dpi)
			dp_flow_foreach(w->flows, free_flow_bufs, w);
		dp_flow_table_free(w->flows);
	}
	dpi_worker_free(w->dpi);
	dp_defrag_free(w->defrag);
	dp_edges_free(w->edges);
	free(w);
}

static void end_flow(struct dp_worker *w, struct dp_flow *f, enum bh_flow_end why)
{
	struct bh_event ev;
	struct bh_flow_record *r = &ev.flow;

	const struct dp_packet *cur = w->cur;
	const struct bh_verdict *fv;
	struct bh_verdict v;
	const char *app;

	/* Whatever the flow's end produces (reassembly flush, open
	 * transactions) belongs to the flow, not to the packet at hand. */
	w->cur = NULL;
	if (f->key.proto == IPPROTO_TCP)
		dp_tcp_flush(&w->tcp, f);
	app = dpi_proto_name(dpi_flow_proto(f->l7));
	memset(&ev, 0, sizeof(ev));
	fv = dpi_flow_verdict(f->l7);
	if (fv) {
		v = *fv;
		ev.verdict = &v;
	}
	dpi_flow_workloads(f->l7, &ev.src_workload, &ev.dest_workload);
	dpi_flow_end(w->dpi, (struct dpi_flow **)&f->l7, f);
	w->cur = cur;
	ev.type = BH_EV_FLOW;
	ev.ts_us = f->start_us;
	ev.pkt_no = f->first_pkt;
	ev.source = f->source;
	ev.in_iface = flow_port(w, f, NULL);
	ev.has_tuple = true;
	ev.has_flow = true;
	tuple_from_flow(&ev.tuple, f, f->wscale[0], f->wscale[1]);
	ev.flow_id = f->flow_id;
	ev.app_proto = app;
	ev.order[0] = f->first_pkt;
	ev.order[1] = ++f->seq_in_flow;
	r->flow_id = f->flow_id;
	r->start_us = f->start_us;
	r->end_us = f->last_us;
	memcpy(r->pkts, f->pkts, sizeof(r->pkts));
	memcpy(r->bytes, f->bytes, sizeof(r->bytes));
	memcpy(r->tcp_flags, f->tcp_flags, sizeof(r->tcp_flags));
	r->tcp_state = f->key.proto == IPPROTO_TCP ? (enum bh_tcp_state)f->tcp_state : BH_TCP_NONE;
	r->end = why;
	r->app_proto = app;
	r->anomalies = f->anom_count;
	r->alerts = f->alerts;
	for (unsigned d = 0; d < 2; d++) {
		const struct dp_stream *s = &f->stream[d];

		r->stream[d].delivered = s->delivered;
		r->stream[d].gaps = s->gaps;
		r->stream[d].gap_bytes = s->gap_bytes;
		r->stream[d].overlaps = s->overlaps;
		r->stream[d].conflicts = s->conflicts;
		r->stream[d].overflows = s->overflows;
		w->st.stream_overlaps += s->overlaps;
		w->st.stream_conflicts += s->conflicts;
		w->st.stream_overflows += s->overflows;
	}
	w->ev(w->ev_ctx, w->id, &ev);
	if (why == BH_END_TIMEOUT)
		w->st.flows_timeout++;
	else if (why == BH_END_EVICTED)
		w->st.flows_evicted++;
	dp_flow_remove(w->flows, f);
}

/* Inline: record @p's bridge port as direction @dir's, and check it
 * against the port the sending workload is bound to: the spoof verdict (the
 * flow's, from now on), or NULL. */
static const struct bh_verdict *port_first(struct dp_worker *w, struct dp_flow *f, unsigned dir,
					   const struct dp_packet *p)
{
	const struct bh_verdict *v;

	f->port[dir] = p->in_ifindex;
	v = dpi_flow_port(w->dpi, f->l7, dir, port_name(w, p->in_ifindex));
	if (v)
		w->st.pkts_spoofed++;
	return v;
}

/* The policy's L3/L4 decision, at the flow's first packet @p (direction
 * @dir): a spoofed one decides it too. */
static void flow_open(struct dp_worker *w, struct dp_flow *f, const struct dp_packet *p,
		      unsigned dir)
{
	struct dpi_flow_meta m;
	const struct bh_verdict *v, *spoof;

	flow_meta(f, &m);
	v = dpi_flow_open(w->dpi, (struct dpi_flow **)&f->l7, f, &m);
	if (!v)
		return;
	if (p->in_ifindex && (spoof = port_first(w, f, dir, p)))
		v = spoof;
	if (v->action < BH_ACT__MAX) {
		w->st.flow_verdicts[v->action]++;
		w->st.flow_reasons[v->action][dp_reason_of(v)]++;
		if (w->edges)
			count_edge(w, f, v->action);
	}
	f->denied = v->action == BH_ACT_DENY;
}

/* The packet at hand is dropped: counted, and handed to the drop tap. */
static void drop_packet(struct dp_worker *w)
{
	const struct dp_packet *p = w->cur;

	w->verdict = DP_V_DROP;
	w->st.pkts_dropped++;
	if (w->drop && p) {
		struct dp_dropped d = {p->data, p->caplen, p->wirelen, p->ts_us, p->pkt_no, p->dlt};
		/* The tap gets the packet as it would have gone on the wire. */
		uint8_t *copy = p->csum_partial ? malloc(p->caplen) : NULL;

		if (copy) {
			memcpy(copy, p->data, p->caplen);
			dp_csum_l4(copy, p->caplen);
			d.data = copy;
		}
		w->drop(w->drop_ctx, w->id, &d);
		free(copy);
	}
}

/* ICMP type and code are kept in the wscale bytes of non-TCP flows: the
 * flow record reports the first packet's, as Suricata does. */
static struct dp_flow *flow_get(struct dp_worker *w, struct dp_packet *p, unsigned *ret_dir)
{
	struct dp_flow_key k;
	unsigned kdir = dp_flow_key_make(&k, p);
	uint32_t h = dp_flow_hash(w->flows, &k);
	struct dp_flow *f = dp_flow_lookup(w->flows, &k, h);

	if (f && dp_flow_is_expired(w->flows, f, p->ts_us)) {
		end_flow(w, f, BH_END_TIMEOUT);
		f = NULL;
	}
	/* A fresh SYN on a closed connection starts a new one (port reuse),
	 * as a TCP stack and tshark's tcp.stream see it. */
	if (f && p->proto == IPPROTO_TCP && f->tcp_state == BH_TCP_CLOSED &&
	    (p->tcp_flags & (DP_TH_SYN | DP_TH_ACK | DP_TH_RST)) == DP_TH_SYN) {
		end_flow(w, f, BH_END_REUSED);
		f = NULL;
	}
	if (!f) {
		if (dp_flow_table_full(w->flows)) {
			struct dp_flow *old = dp_flow_lru(w->flows);

			emit_anomaly(w, old, p, DP_ANOM_FLOW_EVICTED);
			end_flow(w, old, BH_END_EVICTED);
		}
		f = dp_flow_insert(w->flows, &k, h);
		if (!f)
			return NULL;
		w->st.flows_created++;
		f->start_us = p->ts_us;
		f->first_pkt = p->pkt_no;
		f->source = p->source;
		f->flow_id = dp_flow_id(&k, p->ts_us);
		/* The client is the sender of the first packet, unless that
		 * packet is a SYN/ACK: then we missed the SYN of its receiver. */
		f->client_is_a = kdir == 0;
		if (p->proto == IPPROTO_TCP &&
		    (p->tcp_flags & (DP_TH_SYN | DP_TH_ACK)) == (DP_TH_SYN | DP_TH_ACK))
			f->client_is_a = !f->client_is_a;
		if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
			f->wscale[0] = (uint8_t)p->sport;
			f->wscale[1] = (uint8_t)p->dport;
		}
		if (w->policy)
			flow_open(w, f, p, kdir ^ (f->client_is_a ? 0u : 1u));
	}
	*ret_dir = kdir ^ (f->client_is_a ? 0u : 1u);
	return f;
}

/* Inline: @p entered by the bridge port its direction's first packet did.
 * The first packet of the other direction is checked like the flow's first
 * (a spoofed one denies the flow); a later packet from another port is
 * dropped by the caller, without harming the flow. */
static bool port_ok(struct dp_worker *w, struct dp_flow *f, unsigned dir,
		    const struct dp_packet *p)
{
	const struct bh_verdict *v;

	if (!p->in_ifindex)
		return true;
	if (f->port[dir])
		return f->port[dir] == p->in_ifindex;
	v = port_first(w, f, dir, p);
	if (v && v->action == BH_ACT_DENY && !f->denied) {
		f->denied = true;
		w->st.flows_reset++;
	}
	return true;
}

/* @p's flow gets @npkts packets of @bytes; @last_us is the time of the last
 * of them (a reassembled datagram starts at its first fragment, ends at its
 * last). */
static void flow_packet(struct dp_worker *w, struct dp_packet *p, uint32_t npkts, uint64_t bytes,
			uint64_t last_us)
{
	struct dp_flow *f;
	unsigned dir;
	enum dp_flow_class cls;

	f = flow_get(w, p, &dir);
	if (!f)
		return;
	if (!port_ok(w, f, dir, p)) {
		w->st.pkts_spoofed++;
		drop_packet(w);
		return;
	}
	f->pkts[dir] += npkts;
	f->bytes[dir] += bytes;
	if (last_us > f->last_us)
		f->last_us = last_us;
	if (p->soft_anom)
		emit_anomaly(w, f, p, p->soft_anom);
	switch (p->proto) {
	case IPPROTO_TCP:
		w->st.tcp_pkts++;
		dp_tcp_packet(&w->tcp, f, dir, p);
		cls = dp_tcp_class(f);
		break;
	case IPPROTO_UDP:
		w->st.udp_pkts++;
		cls = f->pkts[0] && f->pkts[1] ? DP_FC_UDP_EST : DP_FC_UDP_NEW;
		if (p->payload_len) {
			struct dpi_flow_meta m;

			flow_meta(f, &m);
			dpi_datagram(w->dpi, (struct dpi_flow **)&f->l7, f, &m, dir,
				     dp_packet_payload(p), p->payload_len);
		}
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		w->st.icmp_pkts++;
		cls = DP_FC_OTHER;
		break;
	default:
		w->st.other_pkts++;
		cls = DP_FC_OTHER;
		break;
	}
	if (f->denied && p->proto == IPPROTO_TCP)
		cls = DP_FC_TCP_CLOSED; /* nothing more to see: expire soon */
	dp_flow_touch(w->flows, f, cls);
	if (f->denied) {
		drop_packet(w);
		/* Every packet: one that was queued before the connection's
		 * mark, or a SYN retransmitted on the same ports, gets its
		 * reset too. */
		if (w->offload)
			w->verdict = DP_V_DENY;
	} else if (w->offload && !f->offloaded && dpi_flow_final(w->dpi, f->l7)) {
		f->offloaded = 1;
		w->st.flows_offloaded++;
		w->verdict = DP_V_OFFLOAD;
	}
}

static void process_packet(struct dp_worker *w, struct dp_packet *p, int decode_rc)
{
	w->st.pkts++;
	w->st.bytes += p->wirelen;
	if (p->ts_us >= w->next_expire_us) {
		dp_worker_advance(w, p->ts_us);
		w->next_expire_us = p->ts_us + EXPIRE_EVERY_US;
	}
	if (decode_rc < 0) {
		w->st.pkts_invalid++;
		emit_anomaly(w, NULL, p, (enum dp_anomaly)-decode_rc);
		return;
	}
	if (!p->family)
		return; /* not IP: nothing to track */
	if (p->is_frag) {
		struct dp_defrag_result d;
		struct dp_packet r;
		int rc;

		w->st.frags++;
		if (!w->defrag) {
			w->st.frags_dropped++;
			return;
		}
		if (p->soft_anom)
			emit_anomaly(w, NULL, p, p->soft_anom);
		rc = dp_defrag_add(w->defrag, p, defrag_anom, w, &d);
		if (rc <= 0) {
			if (rc < 0)
				w->st.frags_dropped++;
			return;
		}
		w->st.frags_reassembled++;
		/* The datagram is one packet of its flow that started with its
		 * first fragment: flow start and order follow that fragment. */
		memset(&r, 0, sizeof(r));
		r.data = d.buf;
		r.caplen = r.wirelen = (uint32_t)d.len;
		r.ts_us = d.first_us;
		r.pkt_no = d.first_pkt;
		r.source = p->source;
		r.vlan_cnt = p->vlan_cnt;
		memcpy(r.vlan, p->vlan, sizeof(r.vlan));
		rc = dp_decode_ip(&r);
		if (rc < 0) {
			emit_anomaly(w, NULL, &r, (enum dp_anomaly)-rc);
			return;
		}
		if (r.is_frag) /* a fragment inside a fragment: not a datagram */
			return;
		w->st.pkts_decoded++;
		flow_packet(w, &r, d.frags, d.wirelen, p->ts_us);
		return;
	}
	w->st.pkts_decoded++;
	flow_packet(w, p, 1, p->wirelen, p->ts_us);
}

void dp_worker_process(struct dp_worker *w, struct dp_packet *p, int decode_rc)
{
	/* Events raised while processing belong to this packet. */
	w->cur = p;
	w->verdict = DP_V_ACCEPT;
	process_packet(w, p, decode_rc);
	w->cur = NULL;
}

void dp_worker_advance(struct dp_worker *w, uint64_t now_us)
{
	struct dp_flow *f;

	while ((f = dp_flow_expired(w->flows, now_us)))
		end_flow(w, f, BH_END_TIMEOUT);
	if (w->defrag)
		dp_defrag_expire(w->defrag, now_us, defrag_anom, w);
}

struct finish_ctx {
	struct dp_flow **v;
	size_t n;
};

static void collect(void *ctx, struct dp_flow *f)
{
	struct finish_ctx *c = ctx;

	c->v[c->n++] = f;
}

void dp_worker_finish(struct dp_worker *w, uint64_t end_us)
{
	struct finish_ctx c = {0};
	uint32_t n = dp_flow_count(w->flows);

	if (w->defrag)
		dp_defrag_expire(w->defrag, UINT64_MAX, defrag_anom, w);
	w->st.flows_active = n;
	if (!n)
		return;
	c.v = malloc(sizeof(*c.v) * n);
	if (!c.v) {
		/* Out of memory at the very end: drain by LRU instead. */
		struct dp_flow *f;

		while ((f = dp_flow_lru(w->flows)))
			end_flow(w, f, BH_END_SHUTDOWN);
		return;
	}
	dp_flow_foreach(w->flows, collect, &c);
	for (size_t i = 0; i < c.n; i++)
		end_flow(w, c.v[i],
			 dp_flow_is_expired(w->flows, c.v[i], end_us) ? BH_END_TIMEOUT
								      : BH_END_SHUTDOWN);
	free(c.v);
}

uint32_t dp_worker_active_flows(const struct dp_worker *w)
{
	return dp_flow_count(w->flows);
}

enum dp_verdict dp_worker_verdict(const struct dp_worker *w)
{
	return w->verdict;
}

void dp_worker_set_offload(struct dp_worker *w, bool on)
{
	w->offload = on;
}

void dp_worker_set_inline(struct dp_worker *w)
{
	dpi_worker_set_inline(w->dpi, true);
}

static void redecide(void *ctx, struct dp_flow *f)
{
	struct dp_worker *w = ctx;
	struct dpi_flow_meta m;
	const struct bh_verdict *v;

	f->offloaded = 0;
	/* Without a policy too: the flow's decision state points into the
	 * old one, which goes away (dpi_flow_redecide() clears it). */
	if (!f->l7)
		return;
	flow_meta(f, &m);
	v = dpi_flow_redecide(w->dpi, f->l7, f, &m);
	if (v && v->action == BH_ACT_DENY && !f->denied) {
		f->denied = true;
		w->st.flows_reset++;
	}
}

void dp_worker_adopt_policy(struct dp_worker *w, const struct dpi_policy *p,
			    struct dpi_policy_scratch *s)
{
	dpi_worker_adopt_policy(w->dpi, p, s);
	w->policy = p != NULL;
	dp_flow_foreach(w->flows, redecide, w);
}

/* ------------------------------------------------------------ inspection */

struct info_walk {
	struct dp_worker *w;
	unsigned queue;
	dp_flow_info_fn fn;
	void *ctx;
	bool stop;
};

static void info_one(void *ctx, struct dp_flow *f)
{
	struct info_walk *iw = ctx;
	struct dp_flow_info fi;

	if (iw->stop || f->ended)
		return;
	memset(&fi, 0, sizeof(fi));
	fi.queue = iw->queue;
	fi.flow_id = f->flow_id;
	tuple_from_flow(&fi.tuple, f, f->wscale[0], f->wscale[1]);
	fi.app_proto = dpi_proto_name(dpi_flow_proto(f->l7));
	{
		const struct bh_workload_ref *cw, *sw;

		dpi_flow_workloads(f->l7, &cw, &sw);
		fi.src_workload = cw ? cw->name : NULL;
		fi.dest_workload = sw ? sw->name : NULL;
	}
	fi.verdict = dpi_flow_verdict(f->l7);
	memcpy(fi.pkts, f->pkts, sizeof(fi.pkts));
	memcpy(fi.bytes, f->bytes, sizeof(fi.bytes));
	fi.start_us = f->start_us;
	fi.last_us = f->last_us;
	fi.tcp_state = f->key.proto == IPPROTO_TCP ? f->tcp_state : BH_TCP_NONE;
	fi.offloaded = f->offloaded;
	fi.denied = f->denied;
	if (iw->fn(iw->ctx, iw->queue, &fi))
		iw->stop = true;
}

void dp_worker_flows(struct dp_worker *w, unsigned queue, dp_flow_info_fn fn, void *ctx)
{
	struct info_walk iw = {w, queue, fn, ctx, false};

	dp_flow_foreach(w->flows, info_one, &iw);
}

int dp_worker_enable_edges(struct dp_worker *w, uint32_t cap)
{
	if (w->edges)
		return 0;
	return dp_edges_new(cap, &w->edges);
}

const struct dp_edges *dp_worker_edges(const struct dp_worker *w)
{
	return w->edges;
}

const struct dp_stats *dp_worker_stats(const struct dp_worker *w)
{
	return &w->st;
}

void dp_worker_sync_stats(struct dp_worker *w)
{
	uint64_t emitted;

	dpi_worker_alert_counts(w->dpi, &emitted, &w->st.alerts_suppressed);
}

unsigned dp_shard(const struct dp_packet *p, unsigned n)
{
	const union bh_addr *lo = &p->src, *hi = &p->dst;
	uint64_t h;

	if (n <= 1 || !p->family)
		return 0;
	if (memcmp(lo->b, hi->b, 16) > 0) {
		lo = &p->dst;
		hi = &p->src;
	}
	h = (lo->q[0] ^ (hi->q[0] * 0x9e3779b97f4a7c15ULL)) + lo->q[1] * 0xc2b2ae3d27d4eb4fULL +
	    hi->q[1] + p->proto;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (unsigned)(h % n);
}
