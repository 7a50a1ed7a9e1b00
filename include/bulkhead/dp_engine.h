/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_engine.h - the dataplane's contract with the binaries: a pool of workers
 * that own flows, fed by a packet source (pcap replay now, NFQUEUE later).
 */
#ifndef BULKHEAD_DP_ENGINE_H
#define BULKHEAD_DP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/bh_event.h"

#define DP_MAX_WORKERS 64

struct dpi_sigs;
struct dpi_policy;

/* Optional tap on reassembled TCP streams (debugging, `--dump-streams`):
 * in-order bytes of direction @dir (0 = to server) of flow @flow_id; @data is
 * NULL for a gap of @len bytes (DP_SD_GAP in @flags, see below) and for the
 * end of the direction (len 0). Called from worker threads. */
typedef void (*dp_stream_tap_fn)(void *ctx, unsigned worker, uint64_t flow_id, unsigned dir,
				 const uint8_t *data, uint32_t len, unsigned flags);
#define DP_TAP_GAP 0x01
#define DP_TAP_EOF 0x02

/* A packet the policy drops (in replay: would drop), as captured: @dlt is
 * its pcap link type, @pkt_no its number in the input. Called from worker
 * threads; @data is valid for the call only. */
struct dp_dropped {
	const uint8_t *data;
	uint32_t caplen, wirelen;
	uint64_t ts_us, pkt_no;
	int dlt;
};
typedef void (*dp_drop_fn)(void *ctx, unsigned worker, const struct dp_dropped *d);

struct dp_engine_config {
	unsigned workers;        /* 1..DP_MAX_WORKERS */
	uint32_t max_flows;      /* total, split evenly across workers */
	uint32_t stream_cap;     /* reassembly bytes buffered per direction */
	size_t defrag_mem_cap;   /* bytes of fragments held per worker */
	bool defrag;             /* reassemble IP fragments (replay) */
	dp_stream_tap_fn stream_tap;
	void *stream_tap_ctx;
	/* Signatures every worker applies (NULL: none); shared read-only,
	 * owned by the caller, must outlive the engine. */
	const struct dpi_sigs *sigs;
	/* Policy every worker enforces (NULL: inspection only); the same
	 * ownership rule. */
	const struct dpi_policy *policy;
	dp_drop_fn drop;
	void *drop_ctx;
};

/* Defaults: 1 worker, 1 Mi flows, 64 KiB per direction, 16 MiB defrag. */
void dp_engine_config_init(struct dp_engine_config *cfg);

/* Counters of one worker (or of the source thread), summed by the caller. */
/* The reason of a verdict (bh_verdict.reason), in classes: counters can't
 * be kept per rule name. */
enum dp_reason {
	DP_R_RULE,          /* allowed by a named rule */
	DP_R_UNRESTRICTED,  /* no policy restricts either end */
	DP_R_NO_RULE,
	DP_R_L7_NO_MATCH,
	DP_R_SIGNATURE,
	DP_R_SPOOFED,
	DP_R_UNPARSED,
	DP_R_ANOMALY,
	DP_R_NO_POLICY,     /* the node fails closed (dpi_policy_new_closed()) */
	DP_R__MAX
};

/* The class of @v's reason; its name ("rule", "no-rule", ...), static. */
enum dp_reason dp_reason_of(const struct bh_verdict *v);
const char *dp_reason_name(enum dp_reason r);

struct dp_stats {
	uint64_t pkts, bytes;            /* offered to the engine */
	uint64_t pkts_decoded;           /* reached flow lookup */
	uint64_t pkts_invalid;           /* dropped by decode */
	uint64_t frags, frags_reassembled, frags_dropped;
	uint64_t flows_created, flows_timeout, flows_evicted, flows_active;
	uint64_t tcp_pkts, udp_pkts, icmp_pkts, other_pkts;
	uint64_t stream_delivered, stream_gaps, stream_overlaps;
	uint64_t stream_conflicts, stream_overflows;
	uint64_t l7_records;             /* http/dns/sql/tls events */
	uint64_t l7_anomalies;           /* applayer anomalies (in anomalies too) */
	uint64_t alerts;                 /* alert events */
	uint64_t alerts_suppressed;      /* alerts held back by flood control */
	uint64_t anomalies;
	/* Policy: decisions by action (enum bh_action) for flows (L3/L4)
	 * and transactions, and the packets dropped. */
	uint64_t flow_verdicts[4];
	uint64_t tx_verdicts[4];
	uint64_t flows_reset;            /* allowed at L4, denied later */
	uint64_t pkts_dropped;
	/* Inline: flows handed to the kernel's fast path, and packets that
	 * claimed a workload's address from another bridge port. */
	uint64_t flows_offloaded;
	uint64_t pkts_spoofed;
	/* Decisions by action and reason class (enum dp_reason). */
	uint64_t flow_reasons[4][DP_R__MAX];
	uint64_t tx_reasons[4][DP_R__MAX];
	uint64_t anomaly_by_id[96];      /* indexed by dp_anomaly id */
};

/* Names of anomaly counter @id (e.g. "decode", "ipv4.trunc_pkt"), static
 * storage. Returns false past the last id. */
bool dp_anomaly_names(unsigned id, const char **ret_type, const char **ret_event);

struct dp_replay;

/* Progress callback for replay: bytes of input consumed so far and total
 * (0 when unknown). Called from the reader thread. */
typedef void (*dp_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/*
 * Create a replay engine: @cfg->workers threads, events to @ev (see
 * bh_event.h for threading). Returns 0 and sets *ret, or -errno.
 */
int dp_replay_new(const struct dp_engine_config *cfg, bh_event_fn ev, void *ev_ctx,
		  struct dp_replay **ret);

/*
 * Replay pcap/pcapng files in order through the workers, as one capture
 * (timestamps continue across files). Blocks until every packet is processed
 * and every flow emitted. On an input error writes a message naming the file
 * to @err (size @errlen) and returns -EINVAL (bad/unsupported file) or
 * -errno; events already emitted stay valid.
 */
int dp_replay_run(struct dp_replay *r, char *const *files, size_t nfiles,
		  dp_progress_fn progress, void *progress_ctx, char *err, size_t errlen);

/* Sum of all threads' counters. Call after dp_replay_run(). */
void dp_replay_stats(const struct dp_replay *r, struct dp_stats *ret);

/* Free; NULL is fine. */
void dp_replay_free(struct dp_replay *r);

#endif
