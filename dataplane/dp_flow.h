/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_flow.h - the per-worker flow table.
 *
 * A flow is keyed symmetrically (both directions find the same entry), owned
 * by exactly one worker and never locked. Flows live in a slab addressed by
 * 32-bit indices, so the base state stays small (see bench/flow_bench).
 * Capacity is fixed at creation; inserting into a full table evicts the least
 * recently used flow. Each flow sits in the LRU list of its timeout class, so
 * every list is ordered by expiry and expiring is O(expired).
 */
#ifndef DP_FLOW_H
#define DP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "bulkhead/bh_event.h"
#include "dp_decode.h"

#define DP_FLOW_NIL UINT32_MAX

/* Endpoints are ordered (lower address/port first) so both directions of a
 * conversation produce the same key. */
struct dp_flow_key {
	union bh_addr a, b;
	uint16_t pa, pb;
	uint16_t vlan[2];
	uint8_t proto;
	uint8_t family;
	uint8_t pad[6];  /* explicit: keys are hashed and compared as bytes */
};
_Static_assert(sizeof(struct dp_flow_key) == 48, "no implicit padding in the flow key");

/* Timeout classes: one LRU list each. */
enum dp_flow_class {
	DP_FC_TCP_NEW,
	DP_FC_TCP_EST,
	DP_FC_TCP_CLOSING,
	DP_FC_TCP_CLOSED,
	DP_FC_UDP_NEW,
	DP_FC_UDP_EST,
	DP_FC_OTHER,
	DP_FC__MAX
};

struct dp_sbuf; /* lazily allocated reassembly buffers, dp_tcp.c */

/* Per-direction TCP stream state. */
struct dp_stream {
	uint32_t next;          /* next sequence number to deliver */
	uint32_t fin_seq;       /* sequence number of the FIN (DP_ST_FIN) */
	uint16_t flags;         /* DP_ST_* */
	uint16_t gaps;
	uint16_t overlaps;
	uint16_t conflicts;
	uint32_t gap_bytes;
	uint16_t overflows;
	uint16_t pad;
	uint64_t delivered;
	struct dp_sbuf *buf;    /* out-of-order segments and unacked bytes */
};

#define DP_ST_INIT 0x01      /* next is valid */
#define DP_ST_SYN 0x02       /* SYN seen */
#define DP_ST_FIN 0x04       /* FIN seen, fin_seq valid */
#define DP_ST_EOF 0x08       /* end of stream delivered */
#define DP_ST_MIDSTREAM 0x10 /* picked up without a SYN */
#define DP_ST_RST 0x20       /* reset */

struct dp_flow {
	uint32_t hnext;              /* hash chain */
	uint32_t lprev, lnext;       /* LRU list of its class */
	uint8_t fclass;              /* enum dp_flow_class */
	uint8_t client_is_a : 1;     /* key endpoint a is the client */
	uint8_t ended : 1;           /* record already emitted */
	uint8_t denied : 1;          /* policy: drop every packet from now on */
	uint8_t offloaded : 1;       /* inline: the kernel passes it now */
	uint8_t tcp_state;           /* enum bh_tcp_state */
	uint8_t tcp_flags[2];        /* per direction, 0 = to server */
	uint8_t wscale[2];
	uint8_t app_proto;           /* dpi's id; 0 unknown */
	uint16_t anom_count;
	uint8_t l7_anoms;            /* applayer anomaly events emitted */
	uint8_t alerts;              /* alert events emitted (saturating) */
	uint32_t seq_in_flow;        /* events emitted so far (order key) */
	uint32_t self;               /* own slab index */
	uint64_t anom_seen;          /* bit per anomaly id: one event per kind */
	struct dp_flow_key key;
	uint64_t flow_id;
	uint64_t first_pkt;          /* packet number of the first packet */
	uint64_t start_us, last_us;
	uint64_t pkts[2], bytes[2];
	struct dp_stream stream[2];
	void *l7;                    /* dpi's per-flow state */
	uint32_t port[2];            /* inline: bridge port (ifindex) per direction */
	const char *source;          /* capture file of the first packet */
};

struct dp_flow_table;

struct dp_flow_timeouts {
	uint64_t us[DP_FC__MAX];
};

/* Defaults like Suricata's: TCP new 30 s, established 600 s, closing 120 s,
 * closed 10 s; UDP new 30 s, established 120 s; others 30 s. */
void dp_flow_timeouts_init(struct dp_flow_timeouts *t);

/* Build a flow key from a decoded packet; returns the direction of the packet
 * relative to the key (0: src is endpoint a). */
unsigned dp_flow_key_make(struct dp_flow_key *k, const struct dp_packet *p);

/* Keyed hash of @k for table lookups (seeded per table). */
uint32_t dp_flow_hash(const struct dp_flow_table *t, const struct dp_flow_key *k);

/* Unseeded 51-bit flow id of @k started at @start_us: the same in every run
 * and for every worker count. */
uint64_t dp_flow_id(const struct dp_flow_key *k, uint64_t start_us);

/* Returns 0 and sets *ret, or -ENOMEM/-EINVAL. @capacity >= 1. */
int dp_flow_table_new(uint32_t capacity, const struct dp_flow_timeouts *to,
		      struct dp_flow_table **ret);
void dp_flow_table_free(struct dp_flow_table *t);

/* The flow for @k or NULL. */
struct dp_flow *dp_flow_lookup(struct dp_flow_table *t, const struct dp_flow_key *k, uint32_t hash);

/* The least recently used flow over all classes, or NULL if empty. The caller
 * evicts it (emits and removes) before inserting into a full table. */
struct dp_flow *dp_flow_lru(struct dp_flow_table *t);

bool dp_flow_table_full(const struct dp_flow_table *t);
uint32_t dp_flow_count(const struct dp_flow_table *t);

/* Insert a zeroed flow for @k (the table must not be full). */
struct dp_flow *dp_flow_insert(struct dp_flow_table *t, const struct dp_flow_key *k, uint32_t hash);

/* Move @f to the head of class @cls after activity at f->last_us. */
void dp_flow_touch(struct dp_flow_table *t, struct dp_flow *f, enum dp_flow_class cls);

/* Unlink and free @f (its stream buffers must be released first). */
void dp_flow_remove(struct dp_flow_table *t, struct dp_flow *f);

/* The oldest flow of any class that is expired at @now_us, or NULL. */
struct dp_flow *dp_flow_expired(struct dp_flow_table *t, uint64_t now_us);

/* Whether @f is past its idle timeout at @now_us. */
bool dp_flow_is_expired(const struct dp_flow_table *t, const struct dp_flow *f, uint64_t now_us);

/* Iterate all flows (any order); @fn may not modify the table. */
void dp_flow_foreach(struct dp_flow_table *t, void (*fn)(void *ctx, struct dp_flow *f), void *ctx);

#endif
