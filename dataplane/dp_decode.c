/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_decode.c - L2 (Ethernet, 802.1Q/QinQ, Linux cooked v1/v2, BSD loopback,
 * raw), L3 (IPv4 with options, IPv6 with extension headers) and L4 (TCP, UDP,
 * ICMP, ICMPv6) decoding.
 *
 * A cursor walks p->data; every read is preceded by a length check against
 * p->caplen. Nothing here allocates or keeps state.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "dp_decode.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define SLL_HLEN 16
#define SLL2_HLEN 20
#define NULL_HLEN 4

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int fail(enum dp_anomaly a)
{
	return -(int)a;
}

static void soft(struct dp_packet *p, enum dp_anomaly a)
{
	if (p->soft_anom == DP_ANOM_NONE)
		p->soft_anom = a;
}

/* TCP options: only the window scale is kept; a malformed option list is a
 * soft anomaly (the segment is still usable). */
static void decode_tcp_options(struct dp_packet *p, const uint8_t *o, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		uint8_t kind = o[i];

		if (kind == 0)
			return;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || o[i + 1] > len - i) {
			soft(p, DP_ANOM_TCP_OPT_INVALID);
			return;
		}
		if (kind == 3 && o[i + 1] == 3)
			p->wscale = o[i + 2] > 14 ? 14 : o[i + 2];
		i += o[i + 1];
	}
}

static int decode_l4(struct dp_packet *p, uint32_t off, uint32_t end)
{
	const uint8_t *b = p->data + off;
	uint32_t avail = end - off;

	p->l4_off = off;
	switch (p->proto) {
	case IPPROTO_TCP: {
		uint32_t hl;

		if (avail < 20)
			return fail(DP_ANOM_TCP_TRUNC);
		hl = (uint32_t)(b[12] >> 4) * 4;
		if (hl < 20)
			return fail(DP_ANOM_TCP_HLEN_SMALL);
		if (hl > avail)
			return fail(DP_ANOM_TCP_HLEN_BIG);
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		p->seq = rd32(b + 4);
		p->ack = rd32(b + 8);
		p->tcp_flags = b[13];
		p->win = rd16(b + 14);
		p->wscale = 0xff;
		if (hl > 20)
			decode_tcp_options(p, b + 20, hl - 20);
		if ((p->tcp_flags & (DP_TH_SYN | DP_TH_FIN)) == (DP_TH_SYN | DP_TH_FIN) ||
		    (p->tcp_flags & (DP_TH_SYN | DP_TH_RST)) == (DP_TH_SYN | DP_TH_RST))
			soft(p, DP_ANOM_TCP_BAD_FLAGS);
		p->payload_off = off + hl;
		p->payload_len = avail - hl;
		break;
	}
	case IPPROTO_UDP: {
		uint16_t ulen;

		if (avail < 8)
			return fail(DP_ANOM_UDP_TRUNC);
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		ulen = rd16(b + 4);
		/* A fragment's UDP length covers the whole datagram. */
		if (!p->is_frag && (ulen < 8 || ulen > avail))
			return fail(DP_ANOM_UDP_BAD_LEN);
		if (!p->is_frag && ulen < avail)
			avail = ulen; /* trailing bytes inside the IP datagram */
		p->payload_off = off + 8;
		p->payload_len = avail - 8;
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((p->proto == IPPROTO_ICMP) != (p->family == AF_INET))
			return fail(DP_ANOM_ICMP_PROTO_MISMATCH);
		/* Every ICMP message has at least type, code, checksum and a
		 * 4-byte rest-of-header (RFC 792, RFC 4443). */
		if (avail < 8)
			return fail(p->proto == IPPROTO_ICMP ? DP_ANOM_ICMPV4_TRUNC
							     : DP_ANOM_ICMPV6_TRUNC);
		p->sport = b[0];
		p->dport = b[1];
		p->payload_off = off + 8;
		p->payload_len = avail - 8;
		break;
	default:
		/* Other protocols are tracked by address pair only. */
		p->payload_off = off;
		p->payload_len = avail;
		break;
	}
	p->has_l4 = true;
	return 0;
}

/* IPv4 options: each is checked for a sane length; the content is not used. */
static void decode_ipv4_options(struct dp_packet *p, const uint8_t *o, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		if (o[i] == 0) /* end of list */
			return;
		if (o[i] == 1) { /* NOP */
			i++;
			continue;
		}
		if (i + 1 >= len) {
			soft(p, DP_ANOM_IPV4_OPT_MALFORMED);
			return;
		}
		if (o[i + 1] < 2 || o[i + 1] > len - i) {
			soft(p, DP_ANOM_IPV4_OPT_INVALID);
			return;
		}
		i += o[i + 1];
	}
}

static int decode_ipv4(struct dp_packet *p, uint32_t off)
{
	const uint8_t *b = p->data + off;
	uint32_t avail = p->caplen - off;
	uint32_t hl, tl;
	uint16_t fo;

	if (avail < 20)
		return fail(DP_ANOM_IPV4_TRUNC);
	if (b[0] >> 4 != 4)
		return fail(DP_ANOM_IPV4_BAD_VER);
	hl = (uint32_t)(b[0] & 0x0f) * 4;
	if (hl < 20)
		return fail(DP_ANOM_IPV4_HLEN_SMALL);
	if (hl > avail)
		return fail(DP_ANOM_IPV4_HLEN_BIG);
	tl = rd16(b + 2);
	/* TSO captures carry total length 0: trust the captured length. */
	if (tl == 0)
		tl = avail;
	if (tl < hl)
		return fail(DP_ANOM_IPV4_IPLEN_SMALL);
	p->family = AF_INET;
	p->l3_off = off;
	p->l3_hlen = hl;
	p->proto = b[9];
	p->ttl = b[8];
	dp_addr_from_v4(&p->src, b + 12);
	dp_addr_from_v4(&p->dst, b + 16);
	if (tl > avail)
		return fail(DP_ANOM_IPV4_TRUNC_PKT);
	p->l3_len = tl;
	if (hl > 20)
		decode_ipv4_options(p, b + 20, hl - 20);

	fo = rd16(b + 6);
	if (fo & 0x3fff) { /* MF or a non-zero offset */
		p->is_frag = true;
		p->frag_mf = fo & 0x2000;
		p->frag_off = (uint32_t)(fo & 0x1fff) * 8;
		p->frag_id = rd16(b + 4);
		p->payload_off = off + hl;
		p->payload_len = tl - hl;
		if (p->frag_off != 0)
			return 0;
		/* First fragment: decode L4 when its header is all there, so the
		 * flow is known; a short first fragment just waits for reassembly. */
		if (decode_l4(p, off + hl, off + tl) < 0) {
			p->has_l4 = false;
			p->payload_off = off + hl;
			p->payload_len = tl - hl;
		}
		return 0;
	}
	return decode_l4(p, off + hl, off + tl);
}

static int decode_ipv6(struct dp_packet *p, uint32_t off)
{
	const uint8_t *b = p->data + off;
	uint32_t avail = p->caplen - off;
	uint32_t end, cur, nh_off;
	uint32_t seen = 0;
	uint8_t nh;
	unsigned n;

	if (avail < 40)
		return fail(DP_ANOM_IPV6_TRUNC);
	if (b[0] >> 4 != 6)
		return fail(DP_ANOM_IPV6_BAD_VER);
	p->family = AF_INET6;
	p->l3_off = off;
	memcpy(p->src.b, b + 8, 16);
	memcpy(p->dst.b, b + 24, 16);
	p->ttl = b[7];
	end = 40 + (uint32_t)rd16(b + 4);
	/* Jumbograms (payload length 0) are not supported: use the capture. */
	if (end == 40)
		end = avail;
	if (end > avail)
		return fail(DP_ANOM_IPV6_TRUNC_PKT);
	p->l3_len = end;
	end += off;

	nh = b[6];
	nh_off = off + 6;
	cur = off + 40;
	for (n = 0;; n++) {
		const uint8_t *h = p->data + cur;
		uint32_t hl;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_FRAGMENT && nh != 135 /* mobility */)
			break;
		if (n >= DP_MAX_IPV6_EXTHDRS)
			return fail(DP_ANOM_IPV6_EXTHDR_TOO_MANY);
		if (end - cur < 8)
			return fail(DP_ANOM_IPV6_EXTHDR_TRUNC);
		if (nh == IPPROTO_HOPOPTS && n != 0)
			soft(p, DP_ANOM_IPV6_EXTHDR_DUPL);
		if (nh != IPPROTO_DSTOPTS && (seen & (1u << (nh & 31))))
			soft(p, DP_ANOM_IPV6_EXTHDR_DUPL);
		seen |= 1u << (nh & 31);

		if (nh == IPPROTO_FRAGMENT) {
			uint16_t fo = rd16(h + 2);

			if (p->is_frag)
				return fail(DP_ANOM_IPV6_FRAG_HDR_MISPLACED);
			p->is_frag = true;
			p->frag_hdr_off = cur;
			p->frag_nh_off = nh_off;
			p->frag_off = (uint32_t)(fo >> 3) * 8;
			p->frag_mf = fo & 1;
			p->frag_id = rd32(h + 4);
			hl = 8;
			/* An atomic fragment (offset 0, no MF) is an ordinary packet. */
			if (p->frag_off == 0 && !p->frag_mf)
				p->is_frag = false;
		} else {
			hl = ((uint32_t)h[1] + 1) * 8;
			if (hl > end - cur)
				return fail(DP_ANOM_IPV6_EXTHDR_TRUNC);
		}
		nh_off = cur;
		nh = h[0];
		cur += hl;
		if (p->is_frag)
			break; /* what follows belongs to the reassembled datagram */
	}
	p->proto = nh;
	p->l3_hlen = cur - off;
	if (p->is_frag) {
		p->payload_off = cur;
		p->payload_len = end - cur;
		if (p->frag_off != 0)
			return 0;
		if (decode_l4(p, cur, end) < 0) {
			p->has_l4 = false;
			p->payload_off = cur;
			p->payload_len = end - cur;
		}
		return 0;
	}
	return decode_l4(p, cur, end);
}

static int decode_l3(struct dp_packet *p, uint16_t ethertype, uint32_t off)
{
	switch (ethertype) {
	case ETHERTYPE_IPV4:
		return decode_ipv4(p, off);
	case ETHERTYPE_IPV6:
		return decode_ipv6(p, off);
	default:
		/* ARP, LLDP and friends: not an anomaly, just not ours. */
		return 0;
	}
}

static int decode_raw(struct dp_packet *p, uint32_t off)
{
	if (p->caplen <= off)
		return fail(DP_ANOM_IPV4_TRUNC);
	switch (p->data[off] >> 4) {
	case 4:
		return decode_ipv4(p, off);
	case 6:
		return decode_ipv6(p, off);
	default:
		return fail(DP_ANOM_IPV4_BAD_VER);
	}
}

static int decode_ethernet(struct dp_packet *p)
{
	uint32_t off = 12;
	uint16_t et;

	if (p->caplen < ETH_HLEN)
		return fail(DP_ANOM_ETH_TRUNC);
	et = rd16(p->data + off);
	off += 2;
	while (et == ETHERTYPE_VLAN || et == ETHERTYPE_QINQ || et == ETHERTYPE_QINQ_OLD) {
		if (p->vlan_cnt == DP_MAX_VLAN)
			return fail(DP_ANOM_VLAN_TOO_MANY);
		if (p->caplen - off < VLAN_HLEN)
			return fail(DP_ANOM_VLAN_TRUNC);
		p->vlan[p->vlan_cnt++] = rd16(p->data + off) & 0x0fff;
		et = rd16(p->data + off + 2);
		off += VLAN_HLEN;
	}
	return decode_l3(p, et, off);
}

static int null_family(uint32_t fam)
{
	switch (fam) {
	case 2:
		return AF_INET;
	case 24: /* the IPv6 value differs across BSDs */
	case 28:
	case 30:
		return AF_INET6;
	default:
		return 0;
	}
}

static int decode_null(struct dp_packet *p, bool net_order)
{
	uint32_t fam;
	int af;

	if (p->caplen < NULL_HLEN)
		return fail(DP_ANOM_NULL_TRUNC);
	if (net_order)
		fam = rd32(p->data);
	else
		memcpy(&fam, p->data, 4);
	/* DLT_NULL is in the byte order of the capturing host, which a file
	 * written elsewhere may not share: accept the other order too. */
	af = null_family(fam);
	if (!af)
		af = null_family(__builtin_bswap32(fam));
	switch (af) {
	case AF_INET:
		return decode_ipv4(p, NULL_HLEN);
	case AF_INET6:
		return decode_ipv6(p, NULL_HLEN);
	default:
		return fail(DP_ANOM_L3_UNSUPPORTED);
	}
}

/* Clear every decoded field from @off on, so a dp_packet reused for another
 * frame carries nothing over from the last one. */
static void reset_from(struct dp_packet *p, size_t off)
{
	memset((uint8_t *)p + off, 0, sizeof(*p) - off);
}

int dp_decode(struct dp_packet *p, enum dp_link link)
{
	reset_from(p, offsetof(struct dp_packet, vlan));
	switch (link) {
	case DP_LINK_ETHERNET:
		return decode_ethernet(p);
	case DP_LINK_SLL:
		if (p->caplen < SLL_HLEN)
			return fail(DP_ANOM_SLL_TRUNC);
		return decode_l3(p, rd16(p->data + 14), SLL_HLEN);
	case DP_LINK_SLL2:
		if (p->caplen < SLL2_HLEN)
			return fail(DP_ANOM_SLL_TRUNC);
		return decode_l3(p, rd16(p->data), SLL2_HLEN);
	case DP_LINK_RAW:
		return decode_raw(p, 0);
	case DP_LINK_IPV4:
		return decode_ipv4(p, 0);
	case DP_LINK_IPV6:
		return decode_ipv6(p, 0);
	case DP_LINK_NULL:
		return decode_null(p, false);
	case DP_LINK_LOOP:
		return decode_null(p, true);
	}
	return fail(DP_ANOM_LINK_UNSUPPORTED);
}

int dp_decode_ip(struct dp_packet *p)
{
	/* The caller's VLAN tags stay: a reassembled datagram has no L2. */
	reset_from(p, offsetof(struct dp_packet, family));
	return decode_raw(p, 0);
}

static const struct {
	const char *type, *event;
} anomaly_names[] = {
	[DP_ANOM_NONE] = {"none", "none"},
#define DP_ANOM_NAME(id, t, e) [DP_ANOM_##id] = {t, e},
	DP_ANOMALIES(DP_ANOM_NAME)
#undef DP_ANOM_NAME
};

const char *dp_anomaly_type(enum dp_anomaly a)
{
	return (unsigned)a < DP_ANOM__MAX ? anomaly_names[a].type : "unknown";
}

const char *dp_anomaly_event(enum dp_anomaly a)
{
	return (unsigned)a < DP_ANOM__MAX ? anomaly_names[a].event : "unknown";
}
