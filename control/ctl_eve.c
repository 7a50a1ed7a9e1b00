/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_eve.c - EVE JSON formatting (field names follow Suricata's EVE so that
 * existing jq pipelines and shippers work) and the ordered replay writer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bulkhead/bh_policy.h"
#include "ctl_eve.h"
#include "dpi_dns.h"

void ctl_eve_time(char *out, size_t outlen, uint64_t ts_us)
{
	time_t sec = (time_t)(ts_us / 1000000u);
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ts_us % 1000000u));
}

bool ctl_addr_mapped(const union bh_addr *a)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	return !memcmp(a->b, mapped, sizeof(mapped));
}

const char *ctl_addr_text(const union bh_addr *a, uint8_t family, char *out)
{
	if (family == AF_INET || (!family && ctl_addr_mapped(a)))
		inet_ntop(AF_INET, a->b + 12, out, INET6_ADDRSTRLEN);
	else
		inet_ntop(AF_INET6, a->b, out, INET6_ADDRSTRLEN);
	return out;
}

static void put_addr(struct ctl_buf *b, const char *key, uint8_t family, const union bh_addr *a)
{
	char s[INET6_ADDRSTRLEN];

	ctl_json_kstr(b, key, ctl_addr_text(a, family == AF_INET ? AF_INET : AF_INET6, s));
}

static const char *proto_name(uint8_t proto, char *tmp, size_t tmplen)
{
	switch (proto) {
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_ICMP: return "ICMP";
	case IPPROTO_ICMPV6: return "IPv6-ICMP";
	case IPPROTO_SCTP: return "SCTP";
	case IPPROTO_GRE: return "GRE";
	case IPPROTO_ESP: return "ESP";
	default:
		snprintf(tmp, tmplen, "%u", proto);
		return tmp;
	}
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

static void put_tuple(struct ctl_buf *b, const struct bh_tuple *t)
{
	char tmp[8];

	if (t->vlan_cnt) {
		ctl_json_open_array(b, "vlan");
		for (unsigned i = 0; i < t->vlan_cnt && i < 2; i++) {
			ctl_json_elem(b);
			ctl_buf_printf(b, "%u", t->vlan[i]);
		}
		ctl_json_close_array(b);
	}
	bool ports = t->has_proto && t->has_ports && has_ports(t->proto);

	put_addr(b, "src_ip", t->family, &t->src);
	if (ports)
		ctl_json_ku64(b, "src_port", t->sport);
	put_addr(b, "dest_ip", t->family, &t->dst);
	if (ports)
		ctl_json_ku64(b, "dest_port", t->dport);
	if (!t->has_proto)
		return;
	ctl_json_kstr(b, "proto", proto_name(t->proto, tmp, sizeof(tmp)));
	if (is_icmp(t->proto) && t->has_ports) {
		ctl_json_ku64(b, "icmp_type", t->sport);
		ctl_json_ku64(b, "icmp_code", t->dport);
	}
}

const char *ctl_eve_tcp_state(enum bh_tcp_state s)
{
	switch (s) {
	case BH_TCP_NEW: return "syn_sent";
	case BH_TCP_SYN_RECV: return "syn_recv";
	case BH_TCP_ESTABLISHED: return "established";
	case BH_TCP_CLOSING: return "closing";
	case BH_TCP_CLOSED: return "closed";
	default: return "none";
	}
}

static const char *end_name(enum bh_flow_end e)
{
	switch (e) {
	case BH_END_TIMEOUT: return "timeout";
	case BH_END_EVICTED: return "evicted";
	case BH_END_REUSED: return "tcp_reuse";
	default: return "shutdown";
	}
}

static void put_tcp(struct ctl_buf *b, const struct bh_flow_record *r)
{
	static const char *const names[8] = {"fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr"};
	uint8_t all = r->tcp_flags[0] | r->tcp_flags[1];

	ctl_json_kobj(b, "tcp");
	ctl_json_key(b, "tcp_flags");
	ctl_buf_printf(b, "\"%02x\"", all);
	ctl_json_key(b, "tcp_flags_ts");
	ctl_buf_printf(b, "\"%02x\"", r->tcp_flags[0]);
	ctl_json_key(b, "tcp_flags_tc");
	ctl_buf_printf(b, "\"%02x\"", r->tcp_flags[1]);
	for (unsigned i = 0; i < 8; i++)
		if (all & (1u << i))
			ctl_json_kbool(b, names[i], true);
	ctl_json_kstr(b, "state", ctl_eve_tcp_state(r->tcp_state));
	ctl_json_close(b);
}

static void put_stream(struct ctl_buf *b, const char *key, const struct bh_stream_stats *s)
{
	ctl_json_kobj(b, key);
	ctl_json_ku64(b, "delivered", s->delivered);
	ctl_json_ku64(b, "gaps", s->gaps);
	ctl_json_ku64(b, "gap_bytes", s->gap_bytes);
	ctl_json_ku64(b, "overlaps", s->overlaps);
	ctl_json_ku64(b, "conflicts", s->conflicts);
	ctl_json_ku64(b, "overflows", s->overflows);
	ctl_json_close(b);
}

static void put_flow(struct ctl_buf *b, const struct bh_event *ev)
{
	const struct bh_flow_record *r = &ev->flow;
	char ts[40];
	const char *state;

	if (r->tcp_state == BH_TCP_CLOSED)
		state = "closed";
	else if (r->pkts[0] && r->pkts[1])
		state = "established";
	else
		state = "new";
	ctl_json_kobj(b, "flow");
	ctl_json_ku64(b, "pkts_toserver", r->pkts[0]);
	ctl_json_ku64(b, "pkts_toclient", r->pkts[1]);
	ctl_json_ku64(b, "bytes_toserver", r->bytes[0]);
	ctl_json_ku64(b, "bytes_toclient", r->bytes[1]);
	ctl_eve_time(ts, sizeof(ts), r->start_us);
	ctl_json_kstr(b, "start", ts);
	ctl_eve_time(ts, sizeof(ts), r->end_us);
	ctl_json_kstr(b, "end", ts);
	ctl_json_ku64(b, "age", (r->end_us - r->start_us) / 1000000u);
	ctl_json_kstr(b, "state", state);
	ctl_json_kstr(b, "reason", end_name(r->end));
	ctl_json_ku64(b, "anomalies", r->anomalies);
	ctl_json_kbool(b, "alerted", r->alerts > 0);
	ctl_json_close(b);
	if (ev->tuple.proto == IPPROTO_TCP) {
		put_tcp(b, r);
		ctl_json_kobj(b, "stream");
		put_stream(b, "toserver", &r->stream[0]);
		put_stream(b, "toclient", &r->stream[1]);
		ctl_json_close(b);
	}
}

static void kbstr(struct ctl_buf *b, const char *key, struct bh_str v)
{
	ctl_json_key(b, key);
	ctl_json_str(b, v.p ? v.p : "", v.len);
}

/* kbstr, but absent when empty: EVE leaves out fields it has no value for. */
static void kbstr_opt(struct ctl_buf *b, const char *key, struct bh_str v)
{
	if (v.len)
		kbstr(b, key, v);
}

static void put_http(struct ctl_buf *b, const struct bh_http *h)
{
	ctl_json_kobj(b, "http");
	kbstr_opt(b, "hostname", h->hostname);
	kbstr(b, "url", h->url);
	kbstr(b, "url_normalized", h->url_normalized);
	kbstr_opt(b, "http_user_agent", h->user_agent);
	kbstr_opt(b, "http_content_type", h->content_type);
	kbstr(b, "http_method", h->method);
	kbstr(b, "protocol", h->protocol);
	if (h->status)
		ctl_json_ku64(b, "status", h->status);
	ctl_json_ku64(b, "length", h->length);
	ctl_json_ku64(b, "request_length", h->request_length);
	ctl_json_close(b);
}

/* The DNS parser names types and rcodes; unnamed ones are written as
 * TYPEn / RCODEn (RFC 3597 style). */
static const char *dns_name(const char *name, const char *prefix, unsigned v, char *tmp,
			    size_t tmplen)
{
	if (name)
		return name;
	snprintf(tmp, tmplen, "%s%u", prefix, v);
	return tmp;
}

static const char *rrtype_name(uint16_t t, char *tmp, size_t tmplen)
{
	return dns_name(dpi_dns_rrtype_name(t), "TYPE", t, tmp, tmplen);
}

static const char *rcode_name(uint8_t rc, char *tmp, size_t tmplen)
{
	return dns_name(dpi_dns_rcode_name(rc), "RCODE", rc, tmp, tmplen);
}

static void put_dns(struct ctl_buf *b, const struct bh_dns *d)
{
	char tmp[16];

	ctl_json_kobj(b, "dns");
	ctl_json_kstr(b, "type", d->response ? "answer" : "query");
	ctl_json_ku64(b, "id", d->id);
	kbstr(b, "rrname", d->rrname);
	ctl_json_kstr(b, "rrtype", rrtype_name(d->rrtype, tmp, sizeof(tmp)));
	if (d->response) {
		ctl_json_kstr(b, "rcode", rcode_name(d->rcode, tmp, sizeof(tmp)));
		ctl_json_open_array(b, "answers");
		for (uint32_t i = 0; i < d->nanswers; i++) {
			const struct bh_dns_answer *a = &d->answers[i];

			ctl_json_elem(b);
			ctl_json_open(b);
			kbstr(b, "rrname", a->rrname);
			ctl_json_kstr(b, "rrtype", rrtype_name(a->rrtype, tmp, sizeof(tmp)));
			ctl_json_ku64(b, "ttl", a->ttl);
			kbstr(b, "rdata", a->rdata);
			ctl_json_close(b);
		}
		ctl_json_close_array(b);
	}
	ctl_json_close(b);
}

static void put_sql(struct ctl_buf *b, const struct bh_sql *q)
{
	ctl_json_kobj(b, "sql");
	ctl_json_kstr(b, "dialect", q->dialect);
	ctl_json_kstr(b, "kind", q->kind);
	kbstr_opt(b, "user", q->user);
	kbstr_opt(b, "database", q->database);
	kbstr(b, "statement", q->statement);
	if (q->truncated)
		ctl_json_kbool(b, "truncated", true);
	ctl_json_open_array(b, "commands");
	for (uint32_t i = 0; i < q->ncommands; i++) {
		const struct bh_sql_command *c = &q->commands[i];

		ctl_json_elem(b);
		ctl_json_open(b);
		ctl_json_kstr(b, "verb", c->verb);
		ctl_json_open_array(b, "tables");
		for (uint32_t t = 0; t < c->ntables; t++) {
			ctl_json_elem(b);
			ctl_json_str(b, c->tables[t].p, c->tables[t].len);
		}
		ctl_json_close_array(b);
		ctl_json_close(b);
	}
	ctl_json_close_array(b);
	ctl_json_close(b);
}

static void put_tls(struct ctl_buf *b, const struct bh_tls *t)
{
	char v[16];

	ctl_json_kobj(b, "tls");
	kbstr_opt(b, "sni", t->sni);
	if (t->version >= 0x0301 && t->version <= 0x0304)
		snprintf(v, sizeof(v), "TLS 1.%u", t->version - 0x0301);
	else if (t->version == 0x0300)
		snprintf(v, sizeof(v), "SSLv3");
	else
		snprintf(v, sizeof(v), "0x%04x", t->version);
	ctl_json_kstr(b, "version", v);
	ctl_json_close(b);
}

/* Suricata's alert object, plus what bulkhead adds: the signature set, the
 * inspection buffer that matched and an excerpt of the matching bytes; then
 * the transaction the alert is about, under its own event type's key. */
static void put_alert(struct ctl_buf *b, const struct bh_alert *a)
{
	ctl_json_kobj(b, "alert");
	ctl_json_kstr(b, "action", a->action ? a->action : "allowed");
	ctl_json_ku64(b, "gid", a->gid);
	ctl_json_ku64(b, "signature_id", a->sid);
	ctl_json_ku64(b, "rev", a->rev);
	ctl_json_kstr(b, "signature", a->msg ? a->msg : "");
	ctl_json_kstr(b, "category", a->category ? a->category : "");
	ctl_json_ku64(b, "severity", a->severity);
	ctl_json_kstr(b, "set", a->set ? a->set : "custom");
	if (a->field)
		ctl_json_kstr(b, "field", a->field);
	kbstr(b, "excerpt", a->excerpt);
	if (a->detail)
		ctl_json_kstr(b, "detail", a->detail);
	ctl_json_close(b);
	switch (a->tx_type) {
	case BH_EV_HTTP:
		put_http(b, &a->tx.http);
		break;
	case BH_EV_DNS:
		put_dns(b, &a->tx.dns);
		break;
	case BH_EV_SQL:
		put_sql(b, &a->tx.sql);
		break;
	case BH_EV_TLS:
		put_tls(b, &a->tx.tls);
		break;
	default:
		break;
	}
}

static void put_workload(struct ctl_buf *b, const char *key, const struct bh_workload_ref *w)
{
	ctl_json_kobj(b, key);
	ctl_json_kstr(b, "name", w->name);
	ctl_json_kobj(b, "labels");
	for (uint32_t i = 0; i < w->nlabels; i++)
		ctl_json_kstr(b, w->labels[i].key, w->labels[i].value);
	ctl_json_close(b);
	ctl_json_close(b);
}

/* interfaces.md: {"action", "reason", "policy", "rule", "mode"}, plus the
 * end that decided and the signature. */
static void put_verdict(struct ctl_buf *b, const struct bh_verdict *v)
{
	ctl_json_kobj(b, "verdict");
	ctl_json_kstr(b, "action", bh_action_name(v->action) ? bh_action_name(v->action) : "unknown");
	ctl_json_kstr(b, "reason", v->reason ? v->reason : "unknown");
	if (v->policy)
		ctl_json_kstr(b, "policy", v->policy);
	if (v->rule)
		ctl_json_kstr(b, "rule", v->rule);
	if (bh_mode_name(v->mode))
		ctl_json_kstr(b, "mode", bh_mode_name(v->mode));
	if (v->direction)
		ctl_json_kstr(b, "direction", v->direction);
	if (v->sid)
		ctl_json_ku64(b, "signature_id", v->sid);
	ctl_json_close(b);
}

static const char *const event_names[BH_EV__MAX] = {
	[BH_EV_FLOW] = "flow", [BH_EV_ANOMALY] = "anomaly", [BH_EV_HTTP] = "http",
	[BH_EV_DNS] = "dns",   [BH_EV_SQL] = "sql",         [BH_EV_TLS] = "tls",
	[BH_EV_ALERT] = "alert",
};

void ctl_eve_format(struct ctl_buf *b, const struct bh_event *ev)
{
	char ts[40];

	ctl_json_open(b);
	ctl_eve_time(ts, sizeof(ts), ev->ts_us);
	ctl_json_kstr(b, "timestamp", ts);
	if (ev->has_flow)
		ctl_json_ku64(b, "flow_id", ev->flow_id);
	if (ev->source)
		ctl_json_kstr(b, "pcap_file", ev->source);
	if (ev->in_iface)
		ctl_json_kstr(b, "in_iface", ev->in_iface);
	if (ev->pkt_no && ev->type != BH_EV_FLOW)
		ctl_json_ku64(b, "pcap_cnt", ev->pkt_no);
	ctl_json_kstr(b, "event_type", ev->type < BH_EV__MAX ? event_names[ev->type] : "unknown");
	if (ev->has_tuple)
		put_tuple(b, &ev->tuple);
	if (ev->has_flow)
		ctl_json_kstr(b, "app_proto", ev->app_proto ? ev->app_proto : "unknown");
	if (ev->src_workload)
		put_workload(b, "src_workload", ev->src_workload);
	if (ev->dest_workload)
		put_workload(b, "dest_workload", ev->dest_workload);
	if (ev->verdict)
		put_verdict(b, ev->verdict);
	switch (ev->type) {
	case BH_EV_FLOW:
		put_flow(b, ev);
		break;
	case BH_EV_ANOMALY:
		ctl_json_kobj(b, "anomaly");
		ctl_json_kstr(b, "type", ev->anomaly.type);
		ctl_json_kstr(b, "event", ev->anomaly.event);
		ctl_json_close(b);
		break;
	case BH_EV_HTTP:
		put_http(b, &ev->http);
		break;
	case BH_EV_DNS:
		put_dns(b, &ev->dns);
		break;
	case BH_EV_SQL:
		put_sql(b, &ev->sql);
		break;
	case BH_EV_TLS:
		put_tls(b, &ev->tls);
		break;
	case BH_EV_ALERT:
		put_alert(b, &ev->alert);
		break;
	case BH_EV__MAX:
		break;
	}
	ctl_json_close(b);
	ctl_buf_put(b, "\n", 1);
}

struct rec {
	uint64_t order[2];
	size_t off;
	uint32_t len;
	uint32_t thread;
};

struct lane {
	struct ctl_buf text;
	struct rec *recs;
	size_t n, cap;
	bool lost;
	uint64_t count[BH_EV__MAX];
};

struct ctl_eve_sorter {
	unsigned n;
	struct lane *lanes;
};

int ctl_eve_sorter_new(unsigned nthreads, struct ctl_eve_sorter **ret)
{
	struct ctl_eve_sorter *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->n = nthreads;
	s->lanes = calloc(nthreads, sizeof(*s->lanes));
	if (!s->lanes) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

void ctl_eve_sorter_add(void *sorter, unsigned worker, const struct bh_event *ev)
{
	struct ctl_eve_sorter *s = sorter;
	struct lane *l;
	size_t start;

	if (worker >= s->n)
		return;
	l = &s->lanes[worker];
	if (ev->type < BH_EV__MAX)
		l->count[ev->type]++;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 1024;
		struct rec *r = realloc(l->recs, nc * sizeof(*r));

		if (!r) {
			l->lost = true;
			return;
		}
		l->recs = r;
		l->cap = nc;
	}
	start = l->text.len;
	ctl_eve_format(&l->text, ev);
	if (l->text.oom) {
		l->lost = true;
		l->text.oom = false;
		l->text.len = start;
		return;
	}
	l->recs[l->n++] = (struct rec){
		.order = {ev->order[0], ev->order[1]},
		.off = start,
		.len = (uint32_t)(l->text.len - start),
		.thread = worker,
	};
}

static int cmp_rec(const void *a, const void *b, void *arg)
{
	const struct rec *x = a, *y = b;
	const struct ctl_eve_sorter *s = arg;
	const char *tx, *ty;
	int c;

	if (x->order[0] != y->order[0])
		return x->order[0] < y->order[0] ? -1 : 1;
	if (x->order[1] != y->order[1])
		return x->order[1] < y->order[1] ? -1 : 1;
	tx = s->lanes[x->thread].text.p + x->off;
	ty = s->lanes[y->thread].text.p + y->off;
	c = memcmp(tx, ty, x->len < y->len ? x->len : y->len);
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

int ctl_eve_sorter_write(struct ctl_eve_sorter *s, FILE *out)
{
	size_t total = 0, k = 0;
	struct rec *all;
	bool lost = false;

	for (unsigned i = 0; i < s->n; i++) {
		total += s->lanes[i].n;
		lost |= s->lanes[i].lost;
	}
	all = malloc((total ? total : 1) * sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (unsigned i = 0; i < s->n; i++) {
		if (!s->lanes[i].n)
			continue; /* recs may be NULL */
		memcpy(all + k, s->lanes[i].recs, s->lanes[i].n * sizeof(*all));
		k += s->lanes[i].n;
	}
	qsort_r(all, total, sizeof(*all), cmp_rec, s);
	for (size_t i = 0; i < total; i++)
		fwrite(s->lanes[all[i].thread].text.p + all[i].off, 1, all[i].len, out);
	free(all);
	if (fflush(out) != 0 || ferror(out))
		return -EIO;
	return lost ? -ENOMEM : 0;
}

uint64_t ctl_eve_sorter_count(const struct ctl_eve_sorter *s, enum bh_event_type t)
{
	uint64_t n = 0;

	if (t >= BH_EV__MAX)
		return 0;
	for (unsigned i = 0; i < s->n; i++)
		n += s->lanes[i].count[t];
	return n;
}

void ctl_eve_sorter_free(struct ctl_eve_sorter *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		ctl_buf_free(&s->lanes[i].text);
		free(s->lanes[i].recs);
	}
	free(s->lanes);
	free(s);
}
