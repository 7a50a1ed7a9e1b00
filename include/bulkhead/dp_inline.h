/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_inline.h - the inline packet source: NFQUEUE queues, one worker thread
 * each, verdicts back to the kernel; and the kernel rules that send bridged
 * traffic to those queues (dp_rules_*).
 */
#ifndef BULKHEAD_DP_INLINE_H
#define BULKHEAD_DP_INLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/dp_engine.h"

/*
 * Marks. A verdict that hands a flow to the kernel sets the packet's mark
 * (within DP_MARK_MASK) and repeats the hook; the kernel rules copy it to the
 * connection's mark, and later packets of the connection are decided by it:
 *   DP_MARK_OFFLOAD | generation << 16   accept (the fast path)
 *   DP_MARK_DENY                         reject (TCP reset, ICMP unreachable)
 * The generation changes with the policy, so flows offloaded under an older
 * one come back to user space.
 */
#define DP_MARK_MASK 0x03ff0000u
#define DP_MARK_DENY 0x02000000u
#define DP_MARK_OFFLOAD 0x01000000u
#define DP_MARK_GEN_MASK 0x00ff0000u
#define DP_MARK_GEN_SHIFT 16

static inline uint32_t dp_mark_offload(unsigned generation)
{
	return DP_MARK_OFFLOAD | ((generation << DP_MARK_GEN_SHIFT) & DP_MARK_GEN_MASK);
}

struct dp_inline_config {
	uint16_t queue_base;     /* queues queue_base .. + workers - 1 */
	bool fail_open;          /* NFQA_CFG_F_FAIL_OPEN */
	bool offload;            /* hand final flows to the kernel */
	uint32_t rcvbuf;         /* socket receive buffer, bytes */
	uint32_t queue_maxlen;   /* packets the kernel holds per queue */
};

/* Counters of one queue. */
struct dp_queue_stats {
	uint64_t packets, bytes;     /* reached user space */
	uint64_t accepted, dropped;  /* verdicts */
	uint64_t offloaded, denied;  /* of those: marked for the kernel */
	uint64_t verdict_msgs;       /* verdict messages sent (batches count once) */
	uint64_t enobufs;            /* the socket overran: packets lost to it */
	uint64_t missed;             /* packet ids never seen: passed by the kernel
	                              * when failing open, else dropped by it */
	uint64_t resets_sent;        /* to the receivers of denied packets */
	uint64_t errors;             /* kernel errors on verdicts, bad messages */
};

struct dp_inline;

/*
 * Bind the queues (each to its own netlink socket) and create one worker per
 * queue; nothing is received until dp_inline_start(). @cfg->workers is the
 * number of queues. On failure writes what failed to @err and returns
 * -errno (-EBUSY: a queue is bound by another process).
 */
int dp_inline_new(const struct dp_engine_config *cfg, const struct dp_inline_config *icfg,
		  bh_event_fn ev, void *ev_ctx, struct dp_inline **ret, char *err, size_t errlen);

/* Start the worker threads. Returns 0 or -errno. */
int dp_inline_start(struct dp_inline *d);

/* Stop the threads (verdicts for what they hold are sent), then end every
 * flow (events emitted from the calling thread, worker = queue index). */
void dp_inline_stop(struct dp_inline *d);

/*
 * Decide with @p from now on (NULL: no policy), and mark offloaded flows
 * with @generation. Returns once every worker switched (the caller may then
 * free the old policy), 0 or -ENOMEM (some workers kept the old one: the
 * caller keeps it too).
 */
int dp_inline_set_policy(struct dp_inline *d, const struct dpi_policy *p, unsigned generation);

/* Counters: of queue @i (index, not number), and the engine's summed over
 * workers. Fresh to about 100 ms while running; exact once stopped. */
void dp_inline_queue_stats(struct dp_inline *d, unsigned i, struct dp_queue_stats *ret);
void dp_inline_stats(struct dp_inline *d, struct dp_stats *ret);
unsigned dp_inline_queues(const struct dp_inline *d);

/*
 * What the flow tables hold, for `bulkhead flows`: @fn is called once per
 * flow ON THE WORKER THREADS (queues in parallel, each flow on its queue's
 * thread, while that thread handles no packets), so it must be quick and
 * may only touch state of its @queue; strings in @fi live for the call.
 * A non-zero return stops that queue's walk. Returns once every queue is
 * done: 0. Not for concurrent callers.
 */
struct dp_flow_info {
	unsigned queue;                  /* index */
	uint64_t flow_id;
	struct bh_tuple tuple;           /* client to server */
	const char *app_proto;           /* static */
	const char *src_workload, *dest_workload; /* NULL: none */
	const struct bh_verdict *verdict;         /* NULL: no policy */
	uint64_t pkts[2], bytes[2];      /* to server, to client */
	uint64_t start_us, last_us;
	uint8_t tcp_state;               /* enum bh_tcp_state; BH_TCP_NONE for UDP */
	bool offloaded, denied;
};
typedef int (*dp_flow_info_fn)(void *ctx, unsigned queue, const struct dp_flow_info *fi);
int dp_inline_flows(struct dp_inline *d, dp_flow_info_fn fn, void *ctx);

/*
 * Flow decisions since start by client, server (workload name, or the
 * address where no workload has it), protocol and server port. @fn is
 * called as for dp_inline_flows(): on the worker threads, per queue.
 */
#define DP_EDGE_NAME 256
struct dp_edge {
	char src[DP_EDGE_NAME], dst[DP_EDGE_NAME];
	uint8_t proto;
	uint16_t port;
	uint64_t count[4];               /* by enum bh_action */
	uint64_t last_us;
};
typedef int (*dp_edge_fn)(void *ctx, unsigned queue, const struct dp_edge *e);
int dp_inline_edges(struct dp_inline *d, dp_edge_fn fn, void *ctx);

void dp_inline_free(struct dp_inline *d);

/* ---------------------------------------------------------- kernel rules */

enum dp_ipt { DP_IPT_AUTO, DP_IPT_NFT, DP_IPT_LEGACY };

struct dp_rules_config {
	const char *const *bridges;
	size_t nbridges;
	uint16_t queue_base, queues;
	bool fail_open;              /* --queue-bypass */
	bool offload;                /* fast-path rules (marks, no-payload ACKs) */
	unsigned generation;
	enum dp_ipt ipt;             /* AUTO: see dp_rules_detect() */
};

/* Which iptables to use: the one whose tables hold rules (as kube-proxy's
 * wrapper decides), else nft if installed, else legacy. Writes the choice's
 * name ("nft"/"legacy") to *ret_name. Returns 0 or -ENOENT (neither found). */
int dp_rules_detect(enum dp_ipt *ipt, const char **ret_name, char *err, size_t errlen);

/* Remove bulkhead's chains and the FORWARD rules jumping to them, from both
 * iptables and ip6tables of every variant installed (a previous run may have
 * used the other). Rules of others are never touched. Returns the number of
 * jump rules removed, or -errno with @err set. */
int dp_rules_cleanup(char *err, size_t errlen);

/* Install the chains and jumps (after removing stale ones), atomically per
 * family. Returns 0 or -errno with @err naming the command and its message. */
int dp_rules_install(const struct dp_rules_config *c, char *err, size_t errlen);

/* Point the fast path at generation @c->generation (a new policy). */
int dp_rules_set_generation(const struct dp_rules_config *c, char *err, size_t errlen);

/*
 * Conntrack: remove the offload mark from connections marked with
 * @generation's 8 bits (before that generation takes over the fast path:
 * they were offloaded 256·k generations earlier), or with @any from every
 * offloaded connection (at start). Their next packet comes back to user
 * space. *@ret_cleared: how many. 0 or -errno with @err.
 */
int dp_ct_clear_offload(unsigned generation, bool any, uint64_t *ret_cleared, char *err,
			size_t errlen);

/* Packets that reached the NFQUEUE rule since it was installed (both
 * families): with the kernel's queue counters, those passed uninspected
 * (fail-open) can be told. Runs iptables-save; 0 or -errno with @err. */
int dp_rules_queue_packets(const struct dp_rules_config *c, uint64_t *ret, char *err,
			   size_t errlen);

/* The bridge sysctls bridged IP traffic needs to reach iptables: returns 0
 * when set, else -ENOENT (br_netfilter absent) or -EPERM (a setting is 0)
 * with @err explaining; with @fix, sets them first. */
int dp_rules_check_sysctls(bool fix, char *err, size_t errlen);

#endif
