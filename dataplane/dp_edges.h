/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_edges.h - who talked to whom: flow decisions counted by client,
 * server, protocol and server port, for `bulkhead graph`. One table per
 * worker, driven by the worker's thread only.
 */
#ifndef DP_EDGES_H
#define DP_EDGES_H

#include <stdint.h>

#include "bulkhead/dp_inline.h"

struct dp_edges;

/* A table of at most @cap edges. Returns 0 or -ENOMEM. */
int dp_edges_new(uint32_t cap, struct dp_edges **ret);
void dp_edges_free(struct dp_edges *e);

/* Count a decision @action (enum bh_action) at @ts_us of a flow from @src
 * to @dst (workload names or address text; copied, cut at
 * DP_EDGE_NAME - 1 bytes). A full table counts the edge as lost. */
void dp_edges_add(struct dp_edges *e, const char *src, const char *dst, uint8_t proto,
		  uint16_t port, unsigned action, uint64_t ts_us);

/* Every edge, to @fn (stops early when it returns non-zero). */
typedef int (*dp_edges_fn)(void *ctx, const struct dp_edge *e);
void dp_edges_foreach(const struct dp_edges *e, dp_edges_fn fn, void *ctx);

/* Edges not counted because the table was full. */
uint64_t dp_edges_lost(const struct dp_edges *e);

#endif
