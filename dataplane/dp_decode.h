/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_decode.h - L2/L3/L4 decoding into struct dp_packet.
 *
 * Every offset in struct dp_packet is relative to p->data, so a decoded packet
 * may be copied (with its bytes) without re-decoding.
 */
#ifndef DP_DECODE_H
#define DP_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkhead/bh_event.h"
#include "dp_anomaly.h"

/* Link types the decoder understands (independent of libpcap's numbering). */
enum dp_link {
	DP_LINK_ETHERNET,
	DP_LINK_SLL,  /* Linux cooked capture v1 */
	DP_LINK_SLL2, /* Linux cooked capture v2 */
	DP_LINK_RAW,  /* IPv4 or IPv6 by version nibble (also NFQUEUE) */
	DP_LINK_IPV4,
	DP_LINK_IPV6,
	DP_LINK_NULL, /* BSD loopback, host byte order family */
	DP_LINK_LOOP, /* OpenBSD loopback, network byte order family */
};

#define DP_MAX_VLAN 2
#define DP_MAX_IPV6_EXTHDRS 8

/* TCP flags as on the wire. */
#define DP_TH_FIN 0x01
#define DP_TH_SYN 0x02
#define DP_TH_RST 0x04
#define DP_TH_PSH 0x08
#define DP_TH_ACK 0x10
#define DP_TH_URG 0x20
#define DP_TH_ECE 0x40
#define DP_TH_CWR 0x80

struct dp_packet {
	const uint8_t *data;   /* first byte of the frame (L3 for raw links) */
	uint32_t caplen;       /* bytes present at data */
	uint32_t wirelen;      /* original frame length */
	uint64_t ts_us;
	uint64_t pkt_no;       /* 1-based, within its source */
	const char *source;    /* pcap file name or NULL */
	int dlt;               /* pcap link type of data (for --write-dropped) */
	uint32_t in_ifindex;   /* inline: bridge port it entered by (0: unknown) */
	bool csum_partial;     /* inline: L4 checksum not computed yet (offload) */

	/* L2 */
	uint16_t vlan[DP_MAX_VLAN];
	uint8_t vlan_cnt;

	/* L3: family is 0 when decoding stopped before an IP header. */
	uint8_t family;        /* AF_INET / AF_INET6 */
	uint8_t proto;         /* L4 protocol, after IPv6 extension headers */
	uint8_t ttl;
	uint32_t l3_off;
	uint32_t l3_hlen;      /* IPv4 header, or IPv6 header + ext headers */
	uint32_t l3_len;       /* datagram length from the header (<= caplen) */
	union bh_addr src, dst;

	/* Fragments: is_frag is set for every fragment, first one included.
	 * L4 fields are decoded only for a first fragment that carries them
	 * (frag_off == 0) and only as far as the bytes go; then payload_off and
	 * payload_len describe the L4 payload, not the fragment's data, which
	 * is always [l3_off + l3_hlen, l3_off + l3_len). */
	bool is_frag;
	bool frag_mf;          /* more fragments follow */
	uint32_t frag_id;
	uint32_t frag_off;     /* byte offset of this fragment's payload */
	uint32_t frag_hdr_off; /* IPv6: offset of the fragment header (from data) */
	uint32_t frag_nh_off;  /* IPv6: offset of the byte naming the fragment header */

	/* L4: valid when has_l4. */
	bool has_l4;
	uint32_t l4_off;
	uint16_t sport, dport; /* ICMP: type, code */
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint16_t win;
	uint8_t wscale;        /* 0xff: no window scale option */

	uint32_t payload_off, payload_len;

	/* First non-fatal anomaly noticed while decoding (DP_ANOM_NONE if none). */
	enum dp_anomaly soft_anom;
};

static inline const uint8_t *dp_packet_payload(const struct dp_packet *p)
{
	return p->data + p->payload_off;
}

/*
 * Decode the frame in p->data/p->caplen (fields above "L2" must be set by
 * the caller) of link type @link. Returns 0 when the packet decoded as far as
 * it goes (p->family may still be 0 for non-IP frames, a fragment has no L4),
 * or -(enum dp_anomaly) for a malformed packet; fields decoded before the
 * error stay valid (e.g. the addresses of a truncated TCP packet).
 * Thread-safe; reads nothing past caplen.
 */
int dp_decode(struct dp_packet *p, enum dp_link link);

/* Decode an IPv4/IPv6 datagram starting at p->data (l3_off = 0), as for a
 * reassembled datagram or an NFQUEUE payload. Same contract as dp_decode(). */
int dp_decode_ip(struct dp_packet *p);

/* IPv4 addresses in struct bh_addr are IPv4-mapped IPv6. */
static inline void dp_addr_from_v4(union bh_addr *a, const uint8_t *v4)
{
	a->q[0] = 0;
	a->w[2] = 0;
	a->b[10] = 0xff;
	a->b[11] = 0xff;
	a->b[12] = v4[0];
	a->b[13] = v4[1];
	a->b[14] = v4[2];
	a->b[15] = v4[3];
}

#endif
