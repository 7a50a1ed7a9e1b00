/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bulkheadd_metrics.c - the Prometheus exposition of bulkheadd, written on
 * the metrics server's thread from the engine's counters (which publish
 * themselves under their own locks) and what the main thread published in
 * `pub`.
 */
#include <stdio.h>
#include <string.h>

#include "bulkheadd.h"

void bhd_publish(struct bhd *d)
{
	struct ctl_server_stats ss = {0};

	if (d->srv)
		ctl_server_stats(d->srv, &ss);
	pthread_mutex_lock(&d->pub.lock);
	d->pub.generation = ctl_node_generation(d->node);
	d->pub.closed = ctl_node_closed(d->node);
	d->pub.compile_ms = ctl_node_compile_ms(d->node);
	d->pub.applies = d->applies;
	d->pub.apply_errors = d->apply_errors;
	d->pub.events_written = d->eve ? ctl_evout_written(d->eve) : 0;
	d->pub.event_write_errors = d->eve ? ctl_evout_errors(d->eve) : 0;
	d->pub.ctl_requests = ss.requests;
	d->pub.ctl_errors = ss.errors;
	d->pub.ctl_refused = ss.refused;
	d->pub.ctl_clients = ss.clients;
	d->pub.subscribers = ss.subscribers;
	d->pub.sub_events_dropped = ss.events_dropped;
	pthread_mutex_unlock(&d->pub.lock);
}

/* The kernel's side of a queue (/proc/net/netfilter/nfnetlink_queue):
 * packets it dropped because the queue was full, and because our socket
 * could not take them. */
struct kq {
	unsigned long long dropped, user_dropped, ids;
};

/* Queues @base .. @base + @n - 1 into @ret[0..n) (zeros for one not
 * listed), from one read of the file. */
static void kernel_queues(unsigned base, unsigned n, struct kq *ret)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	char line[256];

	memset(ret, 0, n * sizeof(*ret));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned q, portid, total, mode, range;
		unsigned long long qd, ud, seq;

		if (sscanf(line, "%u %u %u %u %u %llu %llu %llu", &q, &portid, &total, &mode,
			   &range, &qd, &ud, &seq) == 8 &&
		    q >= base && q - base < n)
			ret[q - base] = (struct kq){qd, ud, seq};
	}
	fclose(f);
}

static void per_queue(struct ctl_buf *b, const char *name, const char *type, const char *help,
		      const char *const *qlabels, unsigned nq, const uint64_t *v)
{
	ctl_prom_family(b, name, type, help);
	for (unsigned i = 0; i < nq; i++) {
		const char *l[] = {"queue", qlabels[i], NULL};

		ctl_prom_u64(b, name, l, v[i]);
	}
}

static void decisions(struct ctl_buf *b, const char *kind, const uint64_t (*v)[DP_R__MAX])
{
	for (unsigned a = 0; a < BH_ACT__MAX; a++)
		for (unsigned r = 0; r < DP_R__MAX; r++) {
			const char *l[] = {"kind",   kind,
					   "action", bh_action_name(a),
					   "reason", dp_reason_name((enum dp_reason)r),
					   NULL};

			if (v[a][r] || r == DP_R_NO_RULE)
				ctl_prom_u64(b, "bulkhead_decisions_total", l, v[a][r]);
		}
}

void bhd_metrics_fill(void *ctx, struct ctl_buf *b)
{
	struct bhd *d = ctx;
	unsigned nq = dp_inline_queues(d->dp);
	char qname[DP_MAX_WORKERS][8];
	const char *ql[DP_MAX_WORKERS];
	uint64_t v[11][DP_MAX_WORKERS];
	struct kq kq[DP_MAX_WORKERS];
	struct ctl_evq_stats es;
	struct dp_stats st;
	struct bhd_pub pub;

	pthread_mutex_lock(&d->pub.lock);
	pub = d->pub;
	pthread_mutex_unlock(&d->pub.lock);
	dp_inline_stats(d->dp, &st);
	ctl_evq_stats(d->evq, &es);
	kernel_queues(d->o.queue_base, nq, kq);
	for (unsigned i = 0; i < nq; i++) {
		struct dp_queue_stats q;
		const struct kq *k = &kq[i];

		snprintf(qname[i], sizeof(qname[i]), "%u", d->o.queue_base + i);
		ql[i] = qname[i];
		dp_inline_queue_stats(d->dp, i, &q);
		v[0][i] = q.packets;
		v[1][i] = q.bytes;
		v[2][i] = q.accepted;
		v[3][i] = q.dropped;
		v[4][i] = q.offloaded;
		v[5][i] = q.denied;
		v[6][i] = q.enobufs;
		v[7][i] = q.missed;
		v[8][i] = k->dropped;
		v[9][i] = k->user_dropped;
		v[10][i] = k->ids;
	}
	ctl_prom_family(b, "bulkhead_up", "gauge", "1 while bulkheadd enforces");
	ctl_prom_u64(b, "bulkhead_up", NULL, 1);
	per_queue(b, "bulkhead_queue_packets_total", "counter",
		  "Packets that reached user space, per NFQUEUE queue", ql, nq, v[0]);
	per_queue(b, "bulkhead_queue_bytes_total", "counter", "Bytes of those packets", ql, nq,
		  v[1]);
	ctl_prom_family(b, "bulkhead_verdicts_total", "counter",
	       "Verdicts per queue: accept (offload included) and drop (reject included)");
	for (unsigned i = 0; i < nq; i++) {
		const char *la[] = {"queue", ql[i], "verdict", "accept", NULL};
		const char *ld[] = {"queue", ql[i], "verdict", "drop", NULL};

		ctl_prom_u64(b, "bulkhead_verdicts_total", la, v[2][i]);
		ctl_prom_u64(b, "bulkhead_verdicts_total", ld, v[3][i]);
	}
	per_queue(b, "bulkhead_offloaded_packets_total", "counter",
		  "Accepted with the fast-path mark: the rest of the flow stays in the kernel", ql,
		  nq, v[4]);
	per_queue(b, "bulkhead_rejected_packets_total", "counter",
		  "Dropped with the deny mark: the kernel resets the sender", ql, nq, v[5]);
	per_queue(b, "bulkhead_enobufs_total", "counter",
		  "Times the queue socket overran (packets lost to it)", ql, nq, v[6]);
	per_queue(b, "bulkhead_queue_missed_total", "counter",
		  "Packet ids never seen: passed by the kernel (fail-open) or dropped by it", ql, nq,
		  v[7]);
	if (d->o.fail_open) {
		/* The kernel counts no fail-open pass: a packet that finds the
		 * queue full gets no id. The queue rule counts every packet;
		 * what got no id and was not dropped passed, and so did ids
		 * never delivered (missed). Kept monotonic: the two counters
		 * are read a moment apart. */
		uint64_t rule, ids = 0, missed = 0, passes;
		char err[256];

		if (dp_rules_queue_packets(&d->rc, &rule, err, sizeof(err)) == 0) {
			for (unsigned i = 0; i < nq; i++) {
				ids += v[10][i] + v[8][i];
				missed += v[7][i];
			}
			passes = (rule > ids ? rule - ids : 0) + missed;
			if (passes > d->failopen_passes)
				d->failopen_passes = passes;
		}
		ctl_prom_family(b, "bulkhead_fail_open_passes_total", "counter",
		       "Packets the kernel passed uninspected while failing open (queue full, "
		       "or not delivered to the daemon)");
		ctl_prom_u64(b, "bulkhead_fail_open_passes_total", NULL, d->failopen_passes);
	}
	per_queue(b, "bulkhead_kernel_queue_dropped_total", "counter",
		  "Dropped by the kernel: queue full (fail-closed)", ql, nq, v[8]);
	per_queue(b, "bulkhead_kernel_user_dropped_total", "counter",
		  "Dropped by the kernel: the socket could not take them", ql, nq, v[9]);
	ctl_prom_family(b, "bulkhead_decisions_total", "counter",
	       "Policy decisions by kind (flow at L3/L4, transaction at L7), action and reason");
	decisions(b, "flow", st.flow_reasons);
	decisions(b, "transaction", st.tx_reasons);
	ctl_prom_family(b, "bulkhead_flows_active", "gauge", "Flows in the tables");
	ctl_prom_u64(b, "bulkhead_flows_active", NULL, st.flows_active);
	ctl_prom_family(b, "bulkhead_flows_total", "counter", "Flows seen");
	ctl_prom_u64(b, "bulkhead_flows_total", NULL, st.flows_created);
	ctl_prom_family(b, "bulkhead_flows_offloaded_total", "counter",
	       "Flows handed to the kernel's fast path");
	ctl_prom_u64(b, "bulkhead_flows_offloaded_total", NULL, st.flows_offloaded);
	ctl_prom_family(b, "bulkhead_flows_reset_total", "counter",
	       "Flows allowed at L4 and denied later (a transaction, or a new policy)");
	ctl_prom_u64(b, "bulkhead_flows_reset_total", NULL, st.flows_reset);
	ctl_prom_family(b, "bulkhead_packets_spoofed_total", "counter",
	       "Packets from a workload's address through another bridge port");
	ctl_prom_u64(b, "bulkhead_packets_spoofed_total", NULL, st.pkts_spoofed);
	ctl_prom_family(b, "bulkhead_alerts_total", "counter", "Signature alerts raised");
	ctl_prom_u64(b, "bulkhead_alerts_total", NULL, st.alerts);
	ctl_prom_family(b, "bulkhead_anomalies_total", "counter", "Decode, stream and protocol anomalies");
	ctl_prom_u64(b, "bulkhead_anomalies_total", NULL, st.anomalies);
	ctl_prom_family(b, "bulkhead_policy_generation", "gauge", "The policy generation in force");
	ctl_prom_u64(b, "bulkhead_policy_generation", NULL, pub.generation);
	ctl_prom_family(b, "bulkhead_policy_closed", "gauge",
	       "1 while the node denies everything because no policy could be read");
	ctl_prom_u64(b, "bulkhead_policy_closed", NULL, pub.closed);
	ctl_prom_family(b, "bulkhead_policy_compile_seconds", "gauge",
	       "How long the policy in force took to compile");
	ctl_prom_f64(b, "bulkhead_policy_compile_seconds", NULL, pub.compile_ms / 1e3);
	ctl_prom_family(b, "bulkhead_policy_applies_total", "counter", "Policies put in force since start");
	ctl_prom_u64(b, "bulkhead_policy_applies_total", NULL, pub.applies);
	ctl_prom_family(b, "bulkhead_events_total", "counter", "Events queued by the workers");
	ctl_prom_u64(b, "bulkhead_events_total", NULL, es.queued);
	ctl_prom_family(b, "bulkhead_events_dropped_total", "counter",
	       "Events lost: the queue was full (where), or a subscriber read too slowly");
	{
		const char *lq[] = {"where", "queue", NULL};
		const char *ls[] = {"where", "subscriber", NULL};

		ctl_prom_u64(b, "bulkhead_events_dropped_total", lq, es.dropped);
		ctl_prom_u64(b, "bulkhead_events_dropped_total", ls, pub.sub_events_dropped);
	}
	ctl_prom_family(b, "bulkhead_events_aggregated_total", "counter",
	       "Repeated alerts folded into an aggregate event");
	ctl_prom_u64(b, "bulkhead_events_aggregated_total", NULL, es.aggregated);
	ctl_prom_family(b, "bulkhead_events_written_total", "counter", "Events written to the --eve file");
	ctl_prom_u64(b, "bulkhead_events_written_total", NULL, pub.events_written);
	ctl_prom_family(b, "bulkhead_event_write_errors_total", "counter", "Failed writes to the --eve file");
	ctl_prom_u64(b, "bulkhead_event_write_errors_total", NULL, pub.event_write_errors);
	ctl_prom_family(b, "bulkhead_control_requests_total", "counter", "Control socket requests");
	ctl_prom_u64(b, "bulkhead_control_requests_total", NULL, pub.ctl_requests);
	ctl_prom_family(b, "bulkhead_control_errors_total", "counter", "Control requests answered with an error");
	ctl_prom_u64(b, "bulkhead_control_errors_total", NULL, pub.ctl_errors);
	ctl_prom_family(b, "bulkhead_control_refused_total", "counter",
	       "Control connections refused (not root, or too many)");
	ctl_prom_u64(b, "bulkhead_control_refused_total", NULL, pub.ctl_refused);
	ctl_prom_family(b, "bulkhead_event_subscribers", "gauge", "Clients following events");
	ctl_prom_u64(b, "bulkhead_event_subscribers", NULL, pub.subscribers);
}
