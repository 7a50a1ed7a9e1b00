/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_worker.h - one worker: decode results in, flows, defragmentation and
 * TCP streams owned, events out. Not thread-safe: each worker is driven by
 * exactly one thread; workers share nothing.
 */
#ifndef DP_WORKER_H
#define DP_WORKER_H

#include "bulkhead/dp_engine.h"
#include "bulkhead/dp_inline.h"
#include "bulkhead/dpi.h"
#include "dp_decode.h"

struct dp_worker;

/* Returns 0 and sets *ret, or -errno. @id is passed to the event callback. */
int dp_worker_new(const struct dp_engine_config *cfg, unsigned id, bh_event_fn ev,
		  void *ev_ctx, struct dp_worker **ret);
void dp_worker_free(struct dp_worker *w);

/* Process packet @p, already decoded with result @decode_rc (dp_decode()).
 * The packet's bytes need only live for the call. */
void dp_worker_process(struct dp_worker *w, struct dp_packet *p, int decode_rc);

/* Expire idle flows and fragments at packet time @now_us. */
void dp_worker_advance(struct dp_worker *w, uint64_t now_us);

/* End of input at @end_us: emit every remaining flow (reason timeout if it
 * had expired by then, else shutdown). */
void dp_worker_finish(struct dp_worker *w, uint64_t end_us);

const struct dp_stats *dp_worker_stats(const struct dp_worker *w);

/* Flows in the worker's table now. */
uint32_t dp_worker_active_flows(const struct dp_worker *w);

/* Inline: what to do with the packet dp_worker_process() just saw. */
enum dp_verdict {
	DP_V_ACCEPT,
	DP_V_DROP,
	DP_V_OFFLOAD, /* accept; the flow's verdict is final: pass it in the kernel */
	DP_V_DENY,    /* drop; the flow is denied: the kernel rejects it (reset) */
};
enum dp_verdict dp_worker_verdict(const struct dp_worker *w);

/* Inline: what is denied gets no answer, so it is reported at once. */
void dp_worker_set_inline(struct dp_worker *w);

/* Inline: hand final flows to the kernel (DP_V_OFFLOAD); off by default. */
void dp_worker_set_offload(struct dp_worker *w, bool on);


/* Switch to policy @p (NULL: none), with @s made for it by
 * dpi_policy_scratch_new() (owned from now on), and decide every flow again
 * under it; offloaded flows come back to user space (the caller retires the
 * kernel's marks of the old generation). Never fails. */
void dp_worker_adopt_policy(struct dp_worker *w, const struct dpi_policy *p,
			    struct dpi_policy_scratch *s);

/* Every flow in the table to @fn (dp_inline_flows()), as queue @queue. */
void dp_worker_flows(struct dp_worker *w, unsigned queue, dp_flow_info_fn fn, void *ctx);

/* Inline: count decisions by edge (dp_edges.h), at most @cap edges.
 * Returns 0 or -ENOMEM. NULL while off. */
struct dp_edges;
int dp_worker_enable_edges(struct dp_worker *w, uint32_t cap);
const struct dp_edges *dp_worker_edges(const struct dp_worker *w);

/* Bring counters kept by dpi/ (alerts held back) into the worker's stats;
 * from the worker's thread, or once it stopped. */
void dp_worker_sync_stats(struct dp_worker *w);

/* Symmetric shard of a decoded packet over @n workers: both directions of a
 * conversation, and all fragments of a datagram, map to the same worker
 * (address pair and protocol, as NFQUEUE's --queue-balance hashes). */
unsigned dp_shard(const struct dp_packet *p, unsigned n);

#endif
