/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_defrag.h - IPv4 and IPv6 fragment reassembly for replay.
 *
 * Inline, conntrack reassembles before the NFQUEUE hook; a capture file has
 * the fragments as they were on the wire, so replay reassembles them here.
 * One instance per worker (no locking); fragments of one datagram always
 * reach the same worker because sharding hashes addresses and protocol only.
 */
#ifndef DP_DEFRAG_H
#define DP_DEFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "dp_decode.h"

struct dp_defrag;

struct dp_defrag_config {
	size_t mem_cap;          /* bytes of fragment data held at most */
	uint64_t timeout_us;     /* an incomplete datagram is dropped after this */
	uint32_t max_frags;      /* fragments per datagram at most */
};

/* Defaults: 16 MiB, 30 s (as Linux ipfrag_time), 256 fragments. */
void dp_defrag_config_init(struct dp_defrag_config *cfg);

/* Returns 0 and sets *ret, or -ENOMEM / -EINVAL. */
int dp_defrag_new(const struct dp_defrag_config *cfg, struct dp_defrag **ret);

/* NULL is fine. */
void dp_defrag_free(struct dp_defrag *d);

/* Callback for anomalies found while reassembling: @p is the fragment that
 * revealed it or, for a datagram dropped by timeout or memcap eviction, a
 * stand-in for its first fragment seen (addresses, protocol, VLANs, ts_us,
 * pkt_no and source; no bytes). Never NULL. */
typedef void (*dp_defrag_anom_fn)(void *ctx, const struct dp_packet *p, enum dp_anomaly a);

/* A reassembled datagram. */
struct dp_defrag_result {
	const uint8_t *buf;   /* contiguous IP datagram, owned by the dp_defrag */
	size_t len;
	uint32_t frags;       /* fragments it was built from */
	uint64_t wirelen;     /* sum of their wirelen */
	uint64_t first_us;    /* time of the first fragment seen */
	uint64_t first_pkt;   /* its packet number */
};

/*
 * Add fragment @p (decoded by dp_decode() or dp_decode_ip(), p->is_frag set).
 * Datagrams are keyed by (family, src, dst, proto, frag_id, VLAN ids). @anom
 * may be NULL.
 *
 * Returns:
 *   0  the fragment was absorbed (or dropped, with an anomaly reported);
 *   1  the datagram is complete and *ret describes it. The buffer (IPv4:
 *      header of the first fragment, MF and offset cleared, total length and
 *      checksum fixed; IPv6: unfragmentable part of the first fragment without
 *      the fragment header, next-header and payload length fixed) is valid
 *      until the next call on @d;
 *  <0  -ENOMEM, or -EINVAL for a packet that is not a consistent fragment.
 *
 * Overlaps: the first bytes received win (as BSD and Suricata's default);
 * an overlap with identical bytes is FRAG_OVERLAP, with different bytes
 * FRAG_OVERLAP_CONFLICT. A datagram over 65535 bytes is FRAG_TOO_LARGE and
 * dropped. Also runs expiry using p->ts_us as the clock.
 */
int dp_defrag_add(struct dp_defrag *d, const struct dp_packet *p, dp_defrag_anom_fn anom,
		  void *anom_ctx, struct dp_defrag_result *ret);

/* Drop incomplete datagrams older than the timeout at time @now_us,
 * reporting FRAG_TIMEOUT for each. */
void dp_defrag_expire(struct dp_defrag *d, uint64_t now_us, dp_defrag_anom_fn anom,
		      void *anom_ctx);

/* Bytes currently held, per-datagram and per-piece overheads included. */
size_t dp_defrag_mem(const struct dp_defrag *d);

#endif
