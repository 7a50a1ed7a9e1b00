/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bulkheadd_ops.c - the control operations of PROTOCOL.md, on the main
 * thread. Arguments were checked by ctl_req_decode(); what reads the flow
 * tables runs briefly on the worker threads (dp_inline_flows()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/bh_policy.h"
#include "bulkheadd.h"
#include "ctl_eve.h"
#include "ctl_proto.h"

#define FLOWS_DEFAULT 1000

static void reply_node(struct ctl_conn *c, const struct ctl_req *req, int r, json_t *res,
		       struct ctl_node_err *e)
{
	if (r < 0)
		ctl_conn_error(c, req->id, e->code, e->msg, e->details);
	else
		ctl_conn_reply(c, req->id, res);
}

/* ------------------------------------------------------------ flows */

struct flow_filter {
	const char *workload, *app;
	bool has_src, has_dst;
	union bh_addr src, dst;
	uint8_t src_plen, dst_plen;
	int port;                    /* -1: any */
	int proto;                   /* -1: any */
	int action;                  /* -1: any */
	int offloaded;               /* -1: any */
};

struct flow_walk {
	struct flow_filter f;
	size_t limit;
	json_t *list[DP_MAX_WORKERS];
	size_t matched[DP_MAX_WORKERS];
	bool oom[DP_MAX_WORKERS];
};

static int proto_num(const char *s)
{
	if (!strcmp(s, "TCP"))
		return IPPROTO_TCP;
	if (!strcmp(s, "UDP"))
		return IPPROTO_UDP;
	if (!strcmp(s, "ICMP"))
		return IPPROTO_ICMP;
	if (!strcmp(s, "IPv6-ICMP"))
		return IPPROTO_ICMPV6;
	return -1;
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_ICMP: return "ICMP";
	case IPPROTO_ICMPV6: return "IPv6-ICMP";
	default: return "other";
	}
}

static int action_num(const char *s)
{
	for (unsigned a = 0; a < BH_ACT__MAX; a++)
		if (!strcmp(s, bh_action_name((enum bh_action)a)))
			return (int)a;
	return -1;
}

static bool name_is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static bool flow_match(const struct flow_filter *f, const struct dp_flow_info *fi)
{
	if (f->workload && !name_is(fi->src_workload, f->workload) &&
	    !name_is(fi->dest_workload, f->workload))
		return false;
	if (f->app && strcmp(fi->app_proto, f->app))
		return false;
	if (f->has_src && !ctl_cidr_match(&f->src, f->src_plen, &fi->tuple.src))
		return false;
	if (f->has_dst && !ctl_cidr_match(&f->dst, f->dst_plen, &fi->tuple.dst))
		return false;
	if (f->port >= 0 && fi->tuple.dport != f->port)
		return false;
	if (f->proto >= 0 && fi->tuple.proto != f->proto)
		return false;
	if (f->action >= 0 && (!fi->verdict || (int)fi->verdict->action != f->action))
		return false;
	if (f->offloaded >= 0 && fi->offloaded != (f->offloaded != 0))
		return false;
	return true;
}

static json_t *verdict_json(const struct bh_verdict *v)
{
	if (!v)
		return json_null();
	return json_pack("{s:s, s:s?, s:s?, s:s?, s:s?}", "action", bh_action_name(v->action),
			 "reason", v->reason, "policy", v->policy, "rule", v->rule, "mode",
			 v->mode < BH_MODE__MAX ? bh_mode_name(v->mode) : NULL);
}

static json_t *time_json(uint64_t us)
{
	char ts[40];

	ctl_eve_time(ts, sizeof(ts), us);
	return json_string(ts);
}

/* On the worker thread of @queue: only this queue's slots are touched. */
static int flow_one(void *ctx, unsigned queue, const struct dp_flow_info *fi)
{
	struct flow_walk *w = ctx;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	json_t *o;

	if (!flow_match(&w->f, fi))
		return 0;
	if (w->matched[queue]++ >= w->limit)
		return 0; /* counted, not listed */
	ctl_addr_text(&fi->tuple.src, fi->tuple.family, s);
	ctl_addr_text(&fi->tuple.dst, fi->tuple.family, d);
	o = json_pack("{s:I, s:i, s:s, s:i, s:s, s:i, s:s, s:s, s:s?, s:s?, s:o, s:I, s:I, s:I, "
		      "s:I, s:o, s:o, s:s, s:b, s:b}",
		      "flow_id", (json_int_t)(fi->flow_id & 0x1fffffffffffffull), "queue",
		      (int)queue, "src_ip", s, "src_port", fi->tuple.sport, "dest_ip", d,
		      "dest_port", fi->tuple.dport, "proto", proto_name(fi->tuple.proto),
		      "app_proto", fi->app_proto, "src_workload", fi->src_workload,
		      "dest_workload", fi->dest_workload, "verdict", verdict_json(fi->verdict),
		      "pkts_toserver", (json_int_t)fi->pkts[0], "pkts_toclient",
		      (json_int_t)fi->pkts[1], "bytes_toserver", (json_int_t)fi->bytes[0],
		      "bytes_toclient", (json_int_t)fi->bytes[1], "start", time_json(fi->start_us),
		      "last", time_json(fi->last_us), "state",
		      fi->tuple.proto == IPPROTO_TCP ? ctl_eve_tcp_state((enum bh_tcp_state)fi->tcp_state) : "-",
		      "offloaded", fi->offloaded, "denied", fi->denied);
	if (!o || json_array_append_new(w->list[queue], o) < 0)
		w->oom[queue] = true;
	return 0;
}

static bool parse_filter(const json_t *args, struct flow_filter *f)
{
	const json_t *flt = json_object_get(args, "filter");
	const json_t *v;

	memset(f, 0, sizeof(*f));
	f->port = f->proto = f->action = f->offloaded = -1;
	if (!flt)
		return true;
	f->workload = json_string_value(json_object_get(flt, "workload"));
	f->app = json_string_value(json_object_get(flt, "app_proto"));
	if ((v = json_object_get(flt, "src")))
		f->has_src = ctl_cidr_parse(json_string_value(v), &f->src, &f->src_plen) == 0;
	if ((v = json_object_get(flt, "dst")))
		f->has_dst = ctl_cidr_parse(json_string_value(v), &f->dst, &f->dst_plen) == 0;
	if ((v = json_object_get(flt, "port")))
		f->port = (int)json_integer_value(v);
	if ((v = json_object_get(flt, "proto")))
		f->proto = proto_num(json_string_value(v));
	if ((v = json_object_get(flt, "action")))
		f->action = action_num(json_string_value(v));
	if ((v = json_object_get(flt, "offloaded")))
		f->offloaded = json_is_true(v);
	return true;
}

static void op_flows(struct bhd *d, struct ctl_conn *c, const struct ctl_req *req)
{
	const json_t *lim = json_object_get(req->args, "limit");
	struct flow_walk *w = calloc(1, sizeof(*w));
	unsigned nq = dp_inline_queues(d->dp);
	json_t *all = json_array(), *res;
	size_t total = 0, listed = 0;
	bool oom = !w || !all;

	if (w) {
		parse_filter(req->args, &w->f);
		w->limit = lim ? (size_t)json_integer_value(lim) : FLOWS_DEFAULT;
		for (unsigned i = 0; i < nq; i++)
			oom |= !(w->list[i] = json_array());
	}
	if (oom) {
		ctl_conn_error(c, req->id, "internal", "out of memory", NULL);
		goto out;
	}
	dp_inline_flows(d->dp, flow_one, w);
	/* Each queue listed up to the limit; together, the limit again. */
	for (unsigned i = 0; i < nq; i++) {
		size_t k;
		json_t *o;

		total += w->matched[i];
		oom |= w->oom[i];
		json_array_foreach(w->list[i], k, o) {
			if (listed == w->limit)
				break;
			json_array_append(all, o);
			listed++;
		}
	}
	res = json_pack("{s:O, s:I, s:b}", "flows", all, "total", (json_int_t)total, "truncated",
			listed < total || oom);
	if (res)
		ctl_conn_reply(c, req->id, res);
	else
		ctl_conn_error(c, req->id, "internal", "out of memory", NULL);
out:
	for (unsigned i = 0; w && i < nq; i++)
		json_decref(w->list[i]);
	free(w);
	json_decref(all);
}

/* ------------------------------------------------------------ graph */

struct edge_walk {
	json_t *edges[DP_MAX_WORKERS];
};

static int edge_one(void *ctx, unsigned queue, const struct dp_edge *e)
{
	struct edge_walk *w = ctx;
	char ts[40];

	ctl_eve_time(ts, sizeof(ts), e->last_us);
	json_array_append_new(w->edges[queue],
			      json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:I, s:s}", "src",
					e->src, "dst", e->dst, "proto", proto_name(e->proto),
					"port", e->port, "allow", (json_int_t)e->count[BH_ACT_ALLOW],
					"deny", (json_int_t)e->count[BH_ACT_DENY], "audit",
					(json_int_t)e->count[BH_ACT_AUDIT], "learn",
					(json_int_t)e->count[BH_ACT_LEARN], "last_seen", ts));
	return 0;
}

static const char *const count_keys[] = {"allow", "deny", "audit", "learn"};

/* The same edge seen on two queues (two address pairs) is one. */
static void merge_edge(json_t *out, json_t *e)
{
	size_t i;
	json_t *x;

	json_array_foreach(out, i, x) {
		if (!json_equal(json_object_get(x, "src"), json_object_get(e, "src")) ||
		    !json_equal(json_object_get(x, "dst"), json_object_get(e, "dst")) ||
		    !json_equal(json_object_get(x, "proto"), json_object_get(e, "proto")) ||
		    !json_equal(json_object_get(x, "port"), json_object_get(e, "port")))
			continue;
		for (unsigned k = 0; k < 4; k++)
			json_object_set_new(
				x, count_keys[k],
				json_integer(json_integer_value(json_object_get(x, count_keys[k])) +
					     json_integer_value(json_object_get(e, count_keys[k]))));
		if (strcmp(json_string_value(json_object_get(e, "last_seen")),
			   json_string_value(json_object_get(x, "last_seen"))) > 0)
			json_object_set(x, "last_seen", json_object_get(e, "last_seen"));
		return;
	}
	json_array_append(out, e);
}

static void op_graph(struct bhd *d, struct ctl_conn *c, const struct ctl_req *req)
{
	unsigned nq = dp_inline_queues(d->dp);
	struct edge_walk w = {0};
	json_t *all = json_array();

	for (unsigned i = 0; i < nq; i++)
		w.edges[i] = json_array();
	dp_inline_edges(d->dp, edge_one, &w);
	for (unsigned i = 0; i < nq; i++) {
		size_t k;
		json_t *e;

		json_array_foreach(w.edges[i], k, e)
			merge_edge(all, e);
		json_decref(w.edges[i]);
	}
	ctl_conn_reply(c, req->id, json_pack("{s:o}", "edges", all));
}

/* ------------------------------------------------------------ the rest */

static void op_stats(struct bhd *d, struct ctl_conn *c, const struct ctl_req *req)
{
	struct ctl_buf b = {0};
	struct ctl_server_stats ss;
	json_t *o;
	char ts[40] = "";

	bhd_stats_object(d, &b);
	o = b.oom ? NULL : json_loadb(b.p, b.len, 0, NULL);
	ctl_buf_free(&b);
	if (!o) {
		ctl_conn_error(c, req->id, "internal", "out of memory", NULL);
		return;
	}
	ctl_server_stats(d->srv, &ss);
	json_object_set_new(json_object_get(o, "events"), "subscribers",
			    json_integer(ss.subscribers));
	json_object_set_new(json_object_get(o, "events"), "subscriber_drops",
			    json_integer((json_int_t)ss.events_dropped));
	if (ctl_node_applied_us(d->node))
		ctl_eve_time(ts, sizeof(ts), ctl_node_applied_us(d->node));
	json_object_set_new(o, "policy",
			    json_pack("{s:I, s:f, s:s?, s:b, s:I, s:I}", "generation",
				      (json_int_t)ctl_node_generation(d->node), "compile_ms",
				      ctl_node_compile_ms(d->node), "applied_at",
				      *ts ? ts : NULL, "closed", ctl_node_closed(d->node),
				      "applies", (json_int_t)d->applies, "apply_errors",
				      (json_int_t)d->apply_errors));
	json_object_set_new(o, "control",
			    json_pack("{s:I, s:I, s:I, s:I, s:i}", "connections",
				      (json_int_t)ss.connections, "requests",
				      (json_int_t)ss.requests, "errors", (json_int_t)ss.errors,
				      "refused", (json_int_t)ss.refused, "clients", ss.clients));
	ctl_conn_reply(c, req->id, o);
}

static const char *const type_names[] = {"flow", "anomaly", "http", "dns",
					 "sql",  "tls",     "alert", "stats"};

struct recent_ctx {
	struct ctl_conn *c;
	uint32_t types;
	size_t sent;
};

static void recent_one(void *ctx, unsigned type, const char *text, size_t len)
{
	struct recent_ctx *r = ctx;

	if (type < 32 && (r->types & (1u << type))) {
		if (r->c)
			ctl_conn_event(r->c, text, len);
		r->sent++;
	}
}

static void op_subscribe(struct bhd *d, struct ctl_conn *c, const struct ctl_req *req)
{
	const json_t *types = json_object_get(req->args, "types");
	const json_t *recent = json_object_get(req->args, "recent");
	bool follow = json_is_true(json_object_get(req->args, "follow"));
	struct recent_ctx r = {c, 0, 0};
	size_t i;
	json_t *t;

	if (!types)
		r.types = ~0u;
	json_array_foreach(types, i, t)
		for (unsigned k = 0; k < sizeof(type_names) / sizeof(type_names[0]); k++)
			if (!strcmp(json_string_value(t), type_names[k]))
				r.types |= 1u << k;
	ctl_conn_subscribe(c, req->id, r.types, follow);
	if (recent && json_integer_value(recent) > 0) {
		size_t want = (size_t)json_integer_value(recent);
		struct recent_ctx count = {NULL, r.types, 0};

		/* The matching ones among the last @want kept. */
		ctl_evq_recent(d->evq, want, recent_one, &count);
		ctl_conn_reply(c, req->id, json_pack("{s:b, s:I}", "subscribed", true, "recent",
						     (json_int_t)count.sent));
		ctl_evq_recent(d->evq, want, recent_one, &r);
	} else {
		ctl_conn_reply(c, req->id, json_pack("{s:b, s:i}", "subscribed", true, "recent", 0));
	}
	if (!follow)
		ctl_conn_end(c);
}

static void op_learn(struct bhd *d, struct ctl_conn *c, const struct ctl_req *req)
{
	bool reset = json_is_true(json_object_get(req->args, "reset"));
	struct ctl_learn *fresh = NULL, *old;
	char *text = NULL, err[256];
	size_t len = 0;
	FILE *mem;
	int r;

	if (reset && ctl_learn_new(&fresh) < 0) {
		ctl_conn_error(c, req->id, "internal", "out of memory", NULL);
		return;
	}
	mem = open_memstream(&text, &len);
	if (!mem) {
		ctl_learn_free(fresh);
		ctl_conn_error(c, req->id, "internal", "out of memory", NULL);
		return;
	}
	pthread_mutex_lock(&d->learn_lock);
	r = ctl_learn_write(d->learn, mem, err, sizeof(err));
	old = d->learn;
	if (reset && r == 0)
		d->learn = fresh;
	pthread_mutex_unlock(&d->learn_lock);
	if (reset && r == 0)
		ctl_learn_free(old);
	else
		ctl_learn_free(fresh);
	if (fclose(mem) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		ctl_conn_error(c, req->id, "internal", r == -ENOMEM ? "out of memory" : err, NULL);
	} else {
		size_t docs = 0;

		for (const char *p = text; p && (p = strstr(p, "kind: WorkloadPolicy")); p++)
			docs++;
		ctl_conn_reply(c, req->id,
			       json_pack("{s:s#, s:I, s:b}", "yaml", text ? text : "", (int)len,
					 "policies", (json_int_t)docs, "reset", reset));
	}
	free(text);
}

static void op_reopen(struct bhd *d, struct ctl_conn *c, const struct ctl_req *req)
{
	char err[512];

	if (!d->eve) {
		ctl_conn_reply(c, req->id, json_pack("{s:[]}", "reopened"));
		return;
	}
	if (ctl_evout_reopen(d->eve, err, sizeof(err)) < 0) {
		ctl_conn_error(c, req->id, "internal", err, NULL);
		return;
	}
	ctl_conn_reply(c, req->id, json_pack("{s:[s]}", "reopened", "eve"));
}

void bhd_request(void *ctx, struct ctl_conn *c, const struct ctl_req *req)
{
	struct bhd *d = ctx;
	struct ctl_node_err e = {0};
	json_t *res = NULL;
	int r;

	/* A change compiles on this thread, which also empties the workers'
	 * event rings: empty them first, so they have all their room for the
	 * events of the compile's duration. */
	if (req->op == CTL_OP_POLICY_APPLY || req->op == CTL_OP_WORKLOADS_ADD ||
	    req->op == CTL_OP_WORKLOADS_REMOVE)
		bhd_drain_events(d);
	switch (req->op) {
	case CTL_OP_PING:
		ctl_conn_reply(c, req->id,
			       json_pack("{s:s, s:i, s:I, s:i}", "version", BULKHEAD_VERSION,
					 "protocol", CTL_PROTO_VERSION, "generation",
					 (json_int_t)ctl_node_generation(d->node), "pid",
					 (int)getpid()));
		break;
	case CTL_OP_POLICY_APPLY:
		r = ctl_node_apply(d->node, req->args, &res, &e);
		reply_node(c, req, r, res, &e);
		break;
	case CTL_OP_POLICY_GET:
		ctl_conn_reply(c, req->id, ctl_node_get(d->node));
		break;
	case CTL_OP_WORKLOADS_LIST:
		ctl_conn_reply(c, req->id, ctl_node_workloads(d->node));
		break;
	case CTL_OP_WORKLOADS_ADD:
		r = ctl_node_workloads_add(d->node, req->args, &res, &e);
		reply_node(c, req, r, res, &e);
		break;
	case CTL_OP_WORKLOADS_REMOVE:
		r = ctl_node_workloads_remove(d->node, req->args, &res, &e);
		reply_node(c, req, r, res, &e);
		break;
	case CTL_OP_FLOWS_LIST:
		op_flows(d, c, req);
		break;
	case CTL_OP_STATS:
		op_stats(d, c, req);
		break;
	case CTL_OP_EVENTS_SUBSCRIBE:
		op_subscribe(d, c, req);
		break;
	case CTL_OP_LEARN_EXPORT:
		op_learn(d, c, req);
		break;
	case CTL_OP_LOGS_REOPEN:
		op_reopen(d, c, req);
		break;
	case CTL_OP_GRAPH:
		op_graph(d, c, req);
		break;
	default:
		ctl_conn_error(c, req->id, "unknown-op", "no such operation", NULL);
		break;
	}
	bhd_publish(d);
}
