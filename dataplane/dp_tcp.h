/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_tcp.h - TCP state tracking and per-direction stream reassembly.
 *
 * Each direction of a flow delivers its bytes in sequence order, exactly once,
 * to a callback: straight from the packet when it is the next expected
 * segment (zero copy), from a bounded buffer of out-of-order segments
 * otherwise. Bytes that will never arrive (the peer acknowledged past them,
 * the buffer cap was reached, or the flow ended with a hole) are reported as a
 * gap of known length, never skipped silently. Delivered bytes are kept until
 * the peer acknowledges them, so a retransmission carrying different bytes is
 * caught (tcp.overlap_conflict); on any overlap the bytes seen first win.
 */
#ifndef DP_TCP_H
#define DP_TCP_H

#include <stdint.h>

#include "dp_anomaly.h"
#include "dp_decode.h"
#include "dp_flow.h"

/* Flags of a delivery. */
#define DP_SD_GAP 0x01      /* @len bytes are missing; data is NULL */
#define DP_SD_EOF 0x02      /* the direction ended (FIN, RST or flow end) */
#define DP_SD_MIDSTREAM 0x04 /* stream picked up without its start */

/* Delivery of in-order bytes of direction @dir (0 = to server) of @f. */
typedef void (*dp_tcp_data_fn)(void *ctx, struct dp_flow *f, unsigned dir,
			       const uint8_t *data, uint32_t len, unsigned flags);
/* Anomaly on @f caused by packet @p (NULL when none). */
typedef void (*dp_tcp_anom_fn)(void *ctx, struct dp_flow *f, const struct dp_packet *p,
			       enum dp_anomaly a);

struct dp_tcp_config {
	uint32_t cap;        /* bytes buffered per direction (out-of-order + unacked) */
	uint32_t max_segs;   /* out-of-order segments per direction */
	dp_tcp_data_fn data;
	dp_tcp_anom_fn anom;
	void *ctx;
};

/*
 * Process TCP packet @p of @f travelling in direction @dir (0: client to
 * server). Updates state, flags and stream counters, delivers what became
 * in order. Returns 0, or -ENOMEM when a buffer could not be allocated (the
 * bytes concerned are then reported as a gap).
 */
int dp_tcp_packet(const struct dp_tcp_config *cfg, struct dp_flow *f, unsigned dir,
		  const struct dp_packet *p);

/* End both directions of @f: report holes as gaps, deliver what is buffered,
 * signal EOF, free the buffers. Idempotent. */
void dp_tcp_flush(const struct dp_tcp_config *cfg, struct dp_flow *f);

/* Bytes currently buffered by @f (both directions). */
uint32_t dp_tcp_buffered(const struct dp_flow *f);

/* The flow's timeout class from its TCP state. */
enum dp_flow_class dp_tcp_class(const struct dp_flow *f);

#endif
