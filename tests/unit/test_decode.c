/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_decode.c - L2/L3/L4 decoding: every link type, VLANs, IPv4 options and
 * fragments, IPv6 extension headers and fragments, TCP/UDP/ICMP, every fatal
 * anomaly, every truncation point, and 200k random mutations.
 *
 * Every frame is decoded from a buffer that ends at a guard page, so a
 * one-byte over-read faults.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "bh_test.h"
#include "dp_csum.h"
#include "dp_decode.h"

/* ---- frame builder ---- */

struct fb {
	uint8_t b[1024];
	uint32_t n;
};

static void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void wr32(uint8_t *b, uint32_t v)
{
	wr16(b, (uint16_t)(v >> 16));
	wr16(b + 2, (uint16_t)v);
}

static void put(struct fb *f, const void *d, uint32_t n)
{
	memcpy(f->b + f->n, d, n);
	f->n += n;
}

static void put8(struct fb *f, uint8_t v)
{
	f->b[f->n++] = v;
}

static void put16(struct fb *f, uint16_t v)
{
	wr16(f->b + f->n, v);
	f->n += 2;
}

static void put32(struct fb *f, uint32_t v)
{
	wr32(f->b + f->n, v);
	f->n += 4;
}

static void pad(struct fb *f, uint32_t n, uint8_t v)
{
	memset(f->b + f->n, v, n);
	f->n += n;
}

static const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 1};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 2};
static const uint8_t V4_A[4] = {10, 1, 2, 3};
static const uint8_t V4_B[4] = {192, 168, 7, 9};
static const uint8_t V6_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t V6_B[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2};

/* Ethernet header with @nvlan tags (tpids[i], ids[i]) before @et. */
static void eth(struct fb *f, uint16_t et, unsigned nvlan, const uint16_t *tpids,
		const uint16_t *ids)
{
	put(f, MAC_B, 6);
	put(f, MAC_A, 6);
	for (unsigned i = 0; i < nvlan; i++) {
		put16(f, tpids[i]);
		put16(f, (uint16_t)(0xe000 | ids[i])); /* PCP 7: must be masked */
	}
	put16(f, et);
}

/* IPv4 header with @optlen bytes of options; total length fixed later by
 * ip4_fix(). Returns the header's offset. */
static uint32_t ip4(struct fb *f, uint8_t proto, const uint8_t *opts, uint32_t optlen,
		    uint16_t id, uint16_t frag)
{
	uint32_t off = f->n;

	put8(f, (uint8_t)(0x40 | (20 + optlen) / 4));
	put8(f, 0);
	put16(f, 0);
	put16(f, id);
	put16(f, frag);
	put8(f, 61);
	put8(f, proto);
	put16(f, 0);
	put(f, V4_A, 4);
	put(f, V4_B, 4);
	if (optlen)
		put(f, opts, optlen);
	return off;
}

static void ip4_fix(struct fb *f, uint32_t off)
{
	wr16(f->b + off + 2, (uint16_t)(f->n - off));
}

static uint32_t ip6(struct fb *f, uint8_t nh)
{
	uint32_t off = f->n;

	put32(f, 0x60000000);
	put16(f, 0);
	put8(f, nh);
	put8(f, 47);
	put(f, V6_A, 16);
	put(f, V6_B, 16);
	return off;
}

static void ip6_fix(struct fb *f, uint32_t off)
{
	wr16(f->b + off + 4, (uint16_t)(f->n - off - 40));
}

/* Generic extension header of (@len8 + 1) * 8 bytes of PadN. */
static void ext6(struct fb *f, uint8_t nh, uint8_t len8)
{
	uint32_t total = ((uint32_t)len8 + 1) * 8;

	put8(f, nh);
	put8(f, len8);
	put8(f, 1); /* PadN */
	put8(f, (uint8_t)(total - 4));
	pad(f, total - 4, 0);
}

static void frag6(struct fb *f, uint8_t nh, uint32_t off, int mf, uint32_t id)
{
	put8(f, nh);
	put8(f, 0);
	put16(f, (uint16_t)(off | (mf ? 1 : 0)));
	put32(f, id);
}

/* TCP header with @optlen bytes of options (a multiple of 4). */
static uint32_t tcp(struct fb *f, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
		    uint8_t flags, const uint8_t *opts, uint32_t optlen)
{
	uint32_t off = f->n;

	put16(f, sp);
	put16(f, dp);
	put32(f, seq);
	put32(f, ack);
	put8(f, (uint8_t)(((20 + optlen) / 4) << 4));
	put8(f, flags);
	put16(f, 29200);
	put16(f, 0);
	put16(f, 0);
	if (optlen)
		put(f, opts, optlen);
	return off;
}

static uint32_t udp(struct fb *f, uint16_t sp, uint16_t dp, uint16_t paylen)
{
	uint32_t off = f->n;

	put16(f, sp);
	put16(f, dp);
	put16(f, (uint16_t)(8 + paylen));
	put16(f, 0);
	return off;
}

static void payload(struct fb *f, uint32_t n, uint8_t salt)
{
	for (uint32_t i = 0; i < n; i++)
		put8(f, (uint8_t)(i * 13 + salt));
}

/* MSS, SACK-permitted, timestamps, NOP, window scale 7: 20 bytes. */
static const uint8_t TCP_OPTS[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1,
				     0, 0, 0, 0, 1, 3, 3, 7};

/* ---- decoding from a guard buffer ---- */

struct dec {
	struct dp_packet p;
	uint8_t *g;
	uint32_t len;
	int rc;
};

static void dec_run(struct dec *d, enum dp_link link, const uint8_t *buf, uint32_t len)
{
	memset(d, 0, sizeof(*d));
	d->g = guard_dup(buf, len);
	d->len = len;
	d->p.data = d->g;
	d->p.caplen = len;
	d->p.wirelen = len;
	d->rc = dp_decode(&d->p, link);
}

static void dec_done(struct dec *d)
{
	guard_free(d->g, d->len);
}

/* Decode and release at once, for when only the return value matters. */
static int decode_rc(enum dp_link link, const uint8_t *buf, uint32_t len)
{
	struct dec d;
	int rc;

	dec_run(&d, link, buf, len);
	rc = d.rc;
	dec_done(&d);
	return rc;
}

static int is_v4(const union bh_addr *a, const uint8_t *v4)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(a->b, pfx, 12) == 0 && memcmp(a->b + 12, v4, 4) == 0;
}

#define ANOM(x) (-(int)DP_ANOM_##x)

/* The L3/L4 checks shared by every link type's IPv4/TCP frame. */
static void check_v4_tcp(const struct dec *d, uint32_t l3, uint32_t paylen)
{
	const struct dp_packet *p = &d->p;

	CHECK_EQ(d->rc, 0);
	CHECK_EQ(p->family, AF_INET);
	CHECK_EQ(p->l3_off, l3);
	CHECK_EQ(p->l3_hlen, 20);
	CHECK_EQ(p->l3_len, 20 + 40 + paylen);
	CHECK_EQ(p->ttl, 61);
	CHECK(is_v4(&p->src, V4_A));
	CHECK(is_v4(&p->dst, V4_B));
	CHECK_EQ(p->proto, IPPROTO_TCP);
	CHECK(p->has_l4);
	CHECK(!p->is_frag);
	CHECK_EQ(p->l4_off, l3 + 20);
	CHECK_EQ(p->sport, 40000);
	CHECK_EQ(p->dport, 443);
	CHECK_EQ(p->seq, 0x11223344u);
	CHECK_EQ(p->ack, 0xaabbccddu);
	CHECK_EQ(p->tcp_flags, DP_TH_ACK | DP_TH_PSH);
	CHECK_EQ(p->win, 29200);
	CHECK_EQ(p->wscale, 7);
	CHECK_EQ(p->payload_off, l3 + 60);
	CHECK_EQ(p->payload_len, paylen);
	CHECK_EQ(p->soft_anom, DP_ANOM_NONE);
	if (p->payload_len == paylen && paylen)
		CHECK_EQ(dp_packet_payload(p)[paylen - 1], (uint8_t)((paylen - 1) * 13 + 5));
}

/* IPv4/TCP (40-byte TCP header) with @paylen bytes of payload. */
static void v4_tcp_body(struct fb *f, uint32_t paylen)
{
	uint32_t l3 = ip4(f, IPPROTO_TCP, NULL, 0, 0x1234, 0x4000);

	tcp(f, 40000, 443, 0x11223344u, 0xaabbccddu, DP_TH_ACK | DP_TH_PSH, TCP_OPTS,
	    sizeof(TCP_OPTS));
	payload(f, paylen, 5);
	ip4_fix(f, l3);
}

static void v6_tcp_body(struct fb *f, uint32_t paylen)
{
	uint32_t l3 = ip6(f, IPPROTO_TCP);

	tcp(f, 40000, 443, 0x11223344u, 0xaabbccddu, DP_TH_ACK | DP_TH_PSH, TCP_OPTS,
	    sizeof(TCP_OPTS));
	payload(f, paylen, 5);
	ip6_fix(f, l3);
}

/* ---- Ethernet, VLANs ---- */

static void test_eth_v4_tcp(void)
{
	struct fb f = {0};
	struct dec d;

	eth(&f, 0x0800, 0, NULL, NULL);
	v4_tcp_body(&f, 100);
	dec_run(&d, DP_LINK_ETHERNET, f.b, f.n);
	check_v4_tcp(&d, 14, 100);
	CHECK_EQ(d.p.vlan_cnt, 0);
	dec_done(&d);
}

static void test_vlan(void)
{
	static const uint16_t q[] = {0x8100}, qq[] = {0x88a8, 0x8100}, old[] = {0x9100, 0x8100},
			      three[] = {0x88a8, 0x8100, 0x8100};
	static const uint16_t id1[] = {100}, id2[] = {200, 100}, id3[] = {1, 2, 3};
	struct fb f = {0};
	struct dec d;

	eth(&f, 0x0800, 1, q, id1);
	v4_tcp_body(&f, 10);
	dec_run(&d, DP_LINK_ETHERNET, f.b, f.n);
	check_v4_tcp(&d, 18, 10);
	CHECK_EQ(d.p.vlan_cnt, 1);
	CHECK_EQ(d.p.vlan[0], 100);
	dec_done(&d);

	f.n = 0;
	eth(&f, 0x0800, 2, qq, id2);
	v4_tcp_body(&f, 10);
	dec_run(&d, DP_LINK_ETHERNET, f.b, f.n);
	check_v4_tcp(&d, 22, 10);
	CHECK_EQ(d.p.vlan_cnt, 2);
	CHECK_EQ(d.p.vlan[0], 200);
	CHECK_EQ(d.p.vlan[1], 100);
	dec_done(&d);

	f.n = 0;
	eth(&f, 0x86dd, 2, old, id2);
	v6_tcp_body(&f, 3);
	dec_run(&d, DP_LINK_ETHERNET, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.vlan_cnt, 2);
	CHECK_EQ(d.p.family, AF_INET6);
	CHECK_EQ(d.p.l3_off, 22);
	CHECK_EQ(d.p.payload_len, 3);
	dec_done(&d);

	/* A third tag is one too many; the first two are kept. */
	f.n = 0;
	eth(&f, 0x0800, 3, three, id3);
	v4_tcp_body(&f, 10);
	dec_run(&d, DP_LINK_ETHERNET, f.b, f.n);
	CHECK_EQ(d.rc, ANOM(VLAN_TOO_MANY));
	CHECK_EQ(d.p.vlan_cnt, 2);
	CHECK_EQ(d.p.vlan[0], 1);
	CHECK_EQ(d.p.vlan[1], 2);
	CHECK_EQ(d.p.family, 0);
	dec_done(&d);

	/* A tag cut short. */
	f.n = 0;
	eth(&f, 0x0800, 1, q, id1);
	CHECK_EQ(decode_rc(DP_LINK_ETHERNET, f.b, 16), ANOM(VLAN_TRUNC));
	CHECK_EQ(decode_rc(DP_LINK_ETHERNET, f.b, 17), ANOM(VLAN_TRUNC));
	/* The tag alone, nothing after the inner ethertype. */
	CHECK_EQ(decode_rc(DP_LINK_ETHERNET, f.b, 18), ANOM(IPV4_TRUNC));
}

static void test_non_ip(void)
{
	struct fb f = {0};
	struct dec d;

	eth(&f, 0x0806, 0, NULL, NULL); /* ARP */
	pad(&f, 28, 0);
	dec_run(&d, DP_LINK_ETHERNET, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.family, 0);
	CHECK(!d.p.has_l4);
	dec_done(&d);
	CHECK_EQ(decode_rc(DP_LINK_ETHERNET, f.b, 14), 0);
	CHECK_EQ(decode_rc(DP_LINK_ETHERNET, f.b, 13), ANOM(ETH_TRUNC));
	CHECK_EQ(decode_rc(DP_LINK_ETHERNET, f.b, 0), ANOM(ETH_TRUNC));
	CHECK_EQ(decode_rc((enum dp_link)99, f.b, f.n), ANOM(LINK_UNSUPPORTED));
}

/* ---- other links ---- */

static void test_sll(void)
{
	struct fb f = {0};
	struct dec d;

	put16(&f, 0);      /* to us */
	put16(&f, 1);      /* ARPHRD_ETHER */
	put16(&f, 6);
	put(&f, MAC_A, 6);
	put16(&f, 0);
	put16(&f, 0x0800);
	v4_tcp_body(&f, 7);
	dec_run(&d, DP_LINK_SLL, f.b, f.n);
	check_v4_tcp(&d, 16, 7);
	dec_done(&d);
	CHECK_EQ(decode_rc(DP_LINK_SLL, f.b, 15), ANOM(SLL_TRUNC));
	CHECK_EQ(decode_rc(DP_LINK_SLL, f.b, 16), ANOM(IPV4_TRUNC));

	f.n = 0;
	put16(&f, 0x86dd); /* SLL2: protocol first */
	put16(&f, 0);
	put32(&f, 3);      /* ifindex */
	put16(&f, 1);
	put8(&f, 4);       /* outgoing */
	put8(&f, 6);
	put(&f, MAC_A, 6);
	put16(&f, 0);
	v6_tcp_body(&f, 9);
	dec_run(&d, DP_LINK_SLL2, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.family, AF_INET6);
	CHECK_EQ(d.p.l3_off, 20);
	CHECK_EQ(d.p.l3_hlen, 40);
	CHECK(memcmp(d.p.src.b, V6_A, 16) == 0);
	CHECK(memcmp(d.p.dst.b, V6_B, 16) == 0);
	CHECK_EQ(d.p.sport, 40000);
	CHECK_EQ(d.p.payload_off, 20 + 40 + 40);
	CHECK_EQ(d.p.payload_len, 9);
	dec_done(&d);
	CHECK_EQ(decode_rc(DP_LINK_SLL2, f.b, 19), ANOM(SLL_TRUNC));
	CHECK_EQ(decode_rc(DP_LINK_SLL2, f.b, 20), ANOM(IPV6_TRUNC));
}

static void test_raw(void)
{
	struct fb f = {0};
	struct dec d;

	v4_tcp_body(&f, 11);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	check_v4_tcp(&d, 0, 11);
	dec_done(&d);
	dec_run(&d, DP_LINK_IPV4, f.b, f.n);
	check_v4_tcp(&d, 0, 11);
	dec_done(&d);
	CHECK_EQ(decode_rc(DP_LINK_IPV6, f.b, f.n), ANOM(IPV6_BAD_VER));
	CHECK_EQ(decode_rc(DP_LINK_IPV6, f.b, 39), ANOM(IPV6_TRUNC));
	CHECK_EQ(decode_rc(DP_LINK_RAW, f.b, 0), ANOM(IPV4_TRUNC));

	f.n = 0;
	v6_tcp_body(&f, 0);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.family, AF_INET6);
	CHECK_EQ(d.p.ttl, 47);
	CHECK_EQ(d.p.l3_len, 80);
	CHECK_EQ(d.p.payload_len, 0);
	CHECK_EQ(d.p.wscale, 7);
	dec_done(&d);
	dec_run(&d, DP_LINK_IPV6, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.family, AF_INET6);
	dec_done(&d);
	CHECK_EQ(decode_rc(DP_LINK_IPV4, f.b, f.n), ANOM(IPV4_BAD_VER));

	/* dp_decode_ip is the raw decoder. */
	memset(&d, 0, sizeof(d));
	d.g = guard_dup(f.b, f.n);
	d.len = f.n;
	d.p.data = d.g;
	d.p.caplen = f.n;
	CHECK_EQ(dp_decode_ip(&d.p), 0);
	CHECK_EQ(d.p.family, AF_INET6);
	CHECK_EQ(d.p.sport, 40000);
	dec_done(&d);

	f.b[0] = 0x50;
	CHECK_EQ(decode_rc(DP_LINK_RAW, f.b, f.n), ANOM(IPV4_BAD_VER));
}

static void test_null_loop(void)
{
	static const uint32_t v6fam[] = {24, 28, 30};
	struct fb f = {0};
	struct dec d;
	uint32_t fam = 2;

	put(&f, &fam, 4); /* host byte order */
	v4_tcp_body(&f, 5);
	dec_run(&d, DP_LINK_NULL, f.b, f.n);
	check_v4_tcp(&d, 4, 5);
	dec_done(&d);
	/* The same frame as LOOP: a file from a host of the other byte order,
	 * accepted either way. */
	dec_run(&d, DP_LINK_LOOP, f.b, f.n);
	check_v4_tcp(&d, 4, 5);
	dec_done(&d);
	CHECK_EQ(decode_rc(DP_LINK_NULL, f.b, 3), ANOM(NULL_TRUNC));
	CHECK_EQ(decode_rc(DP_LINK_NULL, f.b, 0), ANOM(NULL_TRUNC));
	CHECK_EQ(decode_rc(DP_LINK_NULL, f.b, 4), ANOM(IPV4_TRUNC));

	for (unsigned i = 0; i < 3; i++) {
		f.n = 0;
		put(&f, &v6fam[i], 4);
		v6_tcp_body(&f, 5);
		dec_run(&d, DP_LINK_NULL, f.b, f.n);
		CHECK_EQ(d.rc, 0);
		CHECK_EQ(d.p.family, AF_INET6);
		CHECK_EQ(d.p.l3_off, 4);
		CHECK_EQ(d.p.payload_len, 5);
		dec_done(&d);

		f.n = 0;
		put32(&f, v6fam[i]); /* network order */
		v6_tcp_body(&f, 5);
		dec_run(&d, DP_LINK_LOOP, f.b, f.n);
		CHECK_EQ(d.rc, 0);
		CHECK_EQ(d.p.family, AF_INET6);
		CHECK_EQ(d.p.payload_len, 5);
		dec_done(&d);
		dec_run(&d, DP_LINK_NULL, f.b, f.n); /* swapped for NULL */
		CHECK_EQ(d.rc, 0);
		CHECK_EQ(d.p.family, AF_INET6);
		dec_done(&d);
	}

	f.n = 0;
	put32(&f, 2);
	v4_tcp_body(&f, 5);
	dec_run(&d, DP_LINK_LOOP, f.b, f.n);
	check_v4_tcp(&d, 4, 5);
	dec_done(&d);
	CHECK_EQ(decode_rc(DP_LINK_LOOP, f.b, 2), ANOM(NULL_TRUNC));

	/* A family that is neither IPv4 nor IPv6 in either byte order. */
	f.n = 0;
	put32(&f, 7);
	v4_tcp_body(&f, 5);
	dec_run(&d, DP_LINK_LOOP, f.b, f.n);
	CHECK_EQ(d.rc, ANOM(L3_UNSUPPORTED));
	CHECK_EQ(d.p.family, 0);
	CHECK(!d.p.has_l4);
	dec_done(&d);
	CHECK_EQ(decode_rc(DP_LINK_NULL, f.b, f.n), ANOM(L3_UNSUPPORTED));
}

/* ---- IPv4 ---- */

static void test_ipv4_options(void)
{
	static const uint8_t ok[] = {148, 4, 0, 0, 1, 1, 1, 0}; /* router alert, NOPs, EOL */
	static const uint8_t eol_then_junk[] = {0, 0xff, 0xff, 0xff};
	static const uint8_t short_len[] = {7, 1, 0, 0};      /* length < 2 */
	static const uint8_t long_len[] = {1, 7, 9, 0};       /* runs past the header */
	static const uint8_t no_len[] = {1, 1, 1, 7};         /* kind, then the end */
	struct fb f = {0};
	struct dec d;
	uint32_t l3;

	l3 = ip4(&f, IPPROTO_UDP, ok, sizeof(ok), 1, 0);
	udp(&f, 53, 5353, 4);
	payload(&f, 4, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.l3_hlen, 28);
	CHECK_EQ(d.p.l4_off, 28);
	CHECK_EQ(d.p.sport, 53);
	CHECK_EQ(d.p.payload_len, 4);
	CHECK_EQ(d.p.soft_anom, DP_ANOM_NONE);
	dec_done(&d);

	f.n = 0;
	l3 = ip4(&f, IPPROTO_UDP, eol_then_junk, 4, 1, 0);
	udp(&f, 53, 5353, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.soft_anom, DP_ANOM_NONE);
	dec_done(&d);

	f.n = 0;
	l3 = ip4(&f, IPPROTO_UDP, short_len, 4, 1, 0);
	udp(&f, 53, 5353, 2);
	payload(&f, 2, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0); /* soft: the packet is still decoded */
	CHECK_EQ(d.p.soft_anom, DP_ANOM_IPV4_OPT_INVALID);
	CHECK(d.p.has_l4);
	CHECK_EQ(d.p.payload_len, 2);
	dec_done(&d);

	f.n = 0;
	l3 = ip4(&f, IPPROTO_UDP, long_len, 4, 1, 0);
	udp(&f, 53, 5353, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.soft_anom, DP_ANOM_IPV4_OPT_INVALID);
	dec_done(&d);

	f.n = 0;
	l3 = ip4(&f, IPPROTO_UDP, no_len, 4, 1, 0);
	udp(&f, 53, 5353, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.soft_anom, DP_ANOM_IPV4_OPT_MALFORMED);
	CHECK_EQ(d.p.dport, 5353);
	dec_done(&d);

	/* 40 bytes of options, the most an IHL can say. */
	{
		uint8_t big[40];

		memset(big, 1, sizeof(big));
		f.n = 0;
		l3 = ip4(&f, IPPROTO_TCP, big, sizeof(big), 1, 0);
		tcp(&f, 1, 2, 3, 4, DP_TH_SYN, NULL, 0);
		ip4_fix(&f, l3);
		dec_run(&d, DP_LINK_RAW, f.b, f.n);
		CHECK_EQ(d.rc, 0);
		CHECK_EQ(d.p.l3_hlen, 60);
		CHECK_EQ(d.p.wscale, 0xff);
		CHECK_EQ(d.p.tcp_flags, DP_TH_SYN);
		dec_done(&d);
	}
}

static void test_ipv4_errors(void)
{
	struct fb f = {0};
	struct dec d;
	uint8_t b[256];

	v4_tcp_body(&f, 8);
	memcpy(b, f.b, f.n);

	b[0] = 0x44; /* IHL 16 bytes */
	CHECK_EQ(decode_rc(DP_LINK_RAW, b, f.n), ANOM(IPV4_HLEN_SMALL));
	b[0] = 0x4f; /* a 60-byte header, 59 bytes captured */
	CHECK_EQ(decode_rc(DP_LINK_RAW, b, 59), ANOM(IPV4_HLEN_BIG));
	memcpy(b, f.b, f.n);
	b[0] = 0x65;
	CHECK_EQ(decode_rc(DP_LINK_IPV4, b, f.n), ANOM(IPV4_BAD_VER));
	memcpy(b, f.b, f.n);
	wr16(b + 2, 19); /* smaller than the header */
	CHECK_EQ(decode_rc(DP_LINK_RAW, b, f.n), ANOM(IPV4_IPLEN_SMALL));

	/* Longer than captured: the addresses are still valid. */
	wr16(b + 2, (uint16_t)(f.n + 1));
	dec_run(&d, DP_LINK_RAW, b, f.n);
	CHECK_EQ(d.rc, ANOM(IPV4_TRUNC_PKT));
	CHECK_EQ(d.p.family, AF_INET);
	CHECK(is_v4(&d.p.src, V4_A));
	CHECK(is_v4(&d.p.dst, V4_B));
	CHECK_EQ(d.p.proto, IPPROTO_TCP);
	CHECK(!d.p.has_l4);
	dec_done(&d);

	/* TCP header length below 20 or beyond the datagram. */
	memcpy(b, f.b, f.n);
	b[20 + 12] = 0x40;
	CHECK_EQ(decode_rc(DP_LINK_RAW, b, f.n), ANOM(TCP_HLEN_SMALL));
	b[20 + 12] = 0xf0; /* 60 > 40 + 8 */
	dec_run(&d, DP_LINK_RAW, b, f.n);
	CHECK_EQ(d.rc, ANOM(TCP_HLEN_BIG));
	CHECK_EQ(d.p.family, AF_INET);
	CHECK_EQ(d.p.l3_len, f.n);
	dec_done(&d);
}

/* TSO captures say total length 0: the capture's length is used. */
static void test_tso(void)
{
	struct fb f = {0};
	struct dec d;

	eth(&f, 0x0800, 0, NULL, NULL);
	v4_tcp_body(&f, 900);
	wr16(f.b + 14 + 2, 0);
	dec_run(&d, DP_LINK_ETHERNET, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.l3_len, f.n - 14);
	CHECK_EQ(d.p.payload_len, 900);
	dec_done(&d);
}

/* Ethernet pads short frames to 60 bytes; the IP length decides. */
static void test_trailer(void)
{
	struct fb f = {0};
	struct dec d;
	uint32_t l3;

	eth(&f, 0x0800, 0, NULL, NULL);
	l3 = ip4(&f, IPPROTO_TCP, NULL, 0, 1, 0);
	tcp(&f, 40000, 443, 1, 2, DP_TH_ACK, NULL, 0);
	payload(&f, 2, 0);
	ip4_fix(&f, l3); /* 42 */
	pad(&f, 60 - f.n, 0xee);
	dec_run(&d, DP_LINK_ETHERNET, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.l3_len, 42);
	CHECK_EQ(d.p.payload_off, 14 + 40);
	CHECK_EQ(d.p.payload_len, 2);
	dec_done(&d);

	/* UDP: the shorter of IP and UDP lengths, never the frame. */
	f.n = 0;
	eth(&f, 0x0800, 0, NULL, NULL);
	l3 = ip4(&f, IPPROTO_UDP, NULL, 0, 1, 0);
	udp(&f, 1000, 53, 1);
	payload(&f, 1, 0);
	ip4_fix(&f, l3);
	pad(&f, 60 - f.n, 0xee);
	dec_run(&d, DP_LINK_ETHERNET, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.payload_len, 1);
	dec_done(&d);

	/* IPv6 likewise. */
	f.n = 0;
	eth(&f, 0x86dd, 0, NULL, NULL);
	v6_tcp_body(&f, 1);
	pad(&f, 20, 0xee);
	dec_run(&d, DP_LINK_ETHERNET, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.l3_len, 81);
	CHECK_EQ(d.p.payload_len, 1);
	dec_done(&d);
}

static void test_ipv4_frag(void)
{
	struct fb f = {0};
	struct dec d;
	uint32_t l3;

	/* First fragment (MF, offset 0) carrying the whole TCP header. */
	l3 = ip4(&f, IPPROTO_TCP, NULL, 0, 0xbeef, 0x2000);
	tcp(&f, 40000, 443, 7, 8, DP_TH_ACK, NULL, 0);
	payload(&f, 16, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK(d.p.is_frag);
	CHECK(d.p.frag_mf);
	CHECK_EQ(d.p.frag_off, 0);
	CHECK_EQ(d.p.frag_id, 0xbeef);
	CHECK(d.p.has_l4);
	CHECK_EQ(d.p.sport, 40000);
	CHECK_EQ(d.p.seq, 7);
	CHECK_EQ(d.p.payload_off, 40);
	CHECK_EQ(d.p.payload_len, 16);
	dec_done(&d);

	/* A first fragment too short for the TCP header: no L4, no error. */
	f.n = 0;
	l3 = ip4(&f, IPPROTO_TCP, NULL, 0, 0xbeef, 0x2000);
	payload(&f, 8, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK(d.p.is_frag);
	CHECK(!d.p.has_l4);
	CHECK_EQ(d.p.payload_off, 20);
	CHECK_EQ(d.p.payload_len, 8);
	dec_done(&d);

	/* A UDP first fragment: its length covers the datagram, not checked. */
	f.n = 0;
	l3 = ip4(&f, IPPROTO_UDP, NULL, 0, 3, 0x2000);
	udp(&f, 1, 2, 1000);
	payload(&f, 16, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK(d.p.has_l4);
	CHECK_EQ(d.p.payload_len, 16);
	dec_done(&d);

	/* A later fragment: no L4; the payload is the fragment's data. */
	f.n = 0;
	l3 = ip4(&f, IPPROTO_TCP, NULL, 0, 0xbeef, 0x2000 | 185);
	payload(&f, 24, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK(d.p.is_frag);
	CHECK(d.p.frag_mf);
	CHECK_EQ(d.p.frag_off, 1480);
	CHECK_EQ(d.p.proto, IPPROTO_TCP);
	CHECK(!d.p.has_l4);
	CHECK_EQ(d.p.payload_off, 20);
	CHECK_EQ(d.p.payload_len, 24);
	dec_done(&d);

	/* The last fragment (no MF); DF alone is not a fragment. */
	wr16(f.b + 6, 185);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK(d.p.is_frag);
	CHECK(!d.p.frag_mf);
	dec_done(&d);
	wr16(f.b + 6, 0x4000);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK(!d.p.is_frag);
	/* Now an ordinary datagram whose 24 bytes are no TCP header (the data
	 * offset nibble of byte 12, 156, says 36 bytes). */
	CHECK_EQ(d.rc, ANOM(TCP_HLEN_BIG));
	dec_done(&d);
}

/* ---- IPv6 ---- */

static void test_ipv6_exthdrs(void)
{
	struct fb f = {0};
	struct dec d;
	uint32_t l3;

	l3 = ip6(&f, IPPROTO_HOPOPTS);
	ext6(&f, IPPROTO_DSTOPTS, 0);
	ext6(&f, IPPROTO_TCP, 1);
	tcp(&f, 40000, 443, 1, 2, DP_TH_SYN, TCP_OPTS, sizeof(TCP_OPTS));
	payload(&f, 4, 0);
	ip6_fix(&f, l3);
	dec_run(&d, DP_LINK_IPV6, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.proto, IPPROTO_TCP);
	CHECK_EQ(d.p.l3_hlen, 40 + 8 + 16);
	CHECK_EQ(d.p.l4_off, 64);
	CHECK(d.p.has_l4);
	CHECK(!d.p.is_frag);
	CHECK_EQ(d.p.payload_off, 64 + 40);
	CHECK_EQ(d.p.payload_len, 4);
	CHECK_EQ(d.p.soft_anom, DP_ANOM_NONE);
	dec_done(&d);

	/* The chain ends inside the datagram: every cut point. */
	for (uint32_t n = 40; n < 64; n++) {
		uint8_t b[64];

		memcpy(b, f.b, n);
		wr16(b + 4, (uint16_t)(n - 40));
		CHECK_EQ(decode_rc(DP_LINK_IPV6, b, n), ANOM(IPV6_EXTHDR_TRUNC));
	}

	/* Hop-by-hop twice, or not first: soft. */
	f.n = 0;
	l3 = ip6(&f, IPPROTO_DSTOPTS);
	ext6(&f, IPPROTO_HOPOPTS, 0);
	ext6(&f, IPPROTO_NONE, 0);
	ip6_fix(&f, l3);
	dec_run(&d, DP_LINK_IPV6, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.soft_anom, DP_ANOM_IPV6_EXTHDR_DUPL);
	CHECK_EQ(d.p.proto, IPPROTO_NONE);
	CHECK_EQ(d.p.payload_len, 0);
	dec_done(&d);
	f.n = 0;
	l3 = ip6(&f, IPPROTO_ROUTING);
	ext6(&f, IPPROTO_ROUTING, 0);
	ext6(&f, IPPROTO_NONE, 0);
	ip6_fix(&f, l3);
	dec_run(&d, DP_LINK_IPV6, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.soft_anom, DP_ANOM_IPV6_EXTHDR_DUPL);
	dec_done(&d);
	/* Two destination options headers are legal (before and after routing). */
	f.n = 0;
	l3 = ip6(&f, IPPROTO_DSTOPTS);
	ext6(&f, IPPROTO_ROUTING, 0);
	ext6(&f, IPPROTO_DSTOPTS, 0);
	ext6(&f, IPPROTO_NONE, 0);
	ip6_fix(&f, l3);
	dec_run(&d, DP_LINK_IPV6, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.soft_anom, DP_ANOM_NONE);
	dec_done(&d);

	/* DP_MAX_IPV6_EXTHDRS headers are fine, one more is not. */
	for (unsigned cnt = DP_MAX_IPV6_EXTHDRS; cnt <= DP_MAX_IPV6_EXTHDRS + 1; cnt++) {
		f.n = 0;
		l3 = ip6(&f, IPPROTO_DSTOPTS);
		for (unsigned i = 0; i < cnt; i++)
			ext6(&f, i + 1 < cnt ? IPPROTO_DSTOPTS : IPPROTO_UDP, 0);
		udp(&f, 1, 2, 0);
		ip6_fix(&f, l3);
		dec_run(&d, DP_LINK_IPV6, f.b, f.n);
		if (cnt == DP_MAX_IPV6_EXTHDRS) {
			CHECK_EQ(d.rc, 0);
			CHECK_EQ(d.p.proto, IPPROTO_UDP);
			CHECK_EQ(d.p.l3_hlen, 40 + 8 * cnt);
		} else {
			CHECK_EQ(d.rc, ANOM(IPV6_EXTHDR_TOO_MANY));
			CHECK_EQ(d.p.family, AF_INET6);
		}
		dec_done(&d);
	}

	/* Errors of the fixed header. */
	f.n = 0;
	v6_tcp_body(&f, 4);
	CHECK_EQ(decode_rc(DP_LINK_IPV6, f.b, 39), ANOM(IPV6_TRUNC));
	dec_run(&d, DP_LINK_IPV6, f.b, f.n - 1);
	CHECK_EQ(d.rc, ANOM(IPV6_TRUNC_PKT));
	CHECK_EQ(d.p.family, AF_INET6);
	CHECK(memcmp(d.p.src.b, V6_A, 16) == 0);
	dec_done(&d);
	f.b[0] = 0x45;
	CHECK_EQ(decode_rc(DP_LINK_IPV6, f.b, f.n), ANOM(IPV6_BAD_VER));
	/* Payload length 0 (jumbogram): the capture decides. */
	f.n = 0;
	v6_tcp_body(&f, 4);
	wr16(f.b + 4, 0);
	dec_run(&d, DP_LINK_IPV6, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.payload_len, 4);
	dec_done(&d);
}

static void test_ipv6_frag(void)
{
	struct fb f = {0};
	struct dec d;
	uint32_t l3;

	/* First fragment right after the fixed header, on Ethernet. */
	eth(&f, 0x86dd, 0, NULL, NULL);
	l3 = ip6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_TCP, 0, 1, 0x01020304);
	tcp(&f, 40000, 443, 9, 10, DP_TH_ACK, NULL, 0);
	payload(&f, 32, 0);
	ip6_fix(&f, l3);
	dec_run(&d, DP_LINK_ETHERNET, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK(d.p.is_frag);
	CHECK(d.p.frag_mf);
	CHECK_EQ(d.p.frag_off, 0);
	CHECK_EQ(d.p.frag_id, 0x01020304);
	CHECK_EQ(d.p.frag_hdr_off, 14 + 40);
	CHECK_EQ(d.p.frag_nh_off, 14 + 6);
	CHECK_EQ(d.p.proto, IPPROTO_TCP);
	CHECK_EQ(d.p.l3_hlen, 48);
	CHECK(d.p.has_l4);
	CHECK_EQ(d.p.seq, 9);
	CHECK_EQ(d.p.payload_off, 14 + 48 + 20);
	CHECK_EQ(d.p.payload_len, 32);
	dec_done(&d);

	/* Non-first, behind a hop-by-hop header. */
	f.n = 0;
	l3 = ip6(&f, IPPROTO_HOPOPTS);
	ext6(&f, IPPROTO_FRAGMENT, 0);
	frag6(&f, IPPROTO_UDP, 1232, 0, 77);
	payload(&f, 40, 0);
	ip6_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK(d.p.is_frag);
	CHECK(!d.p.frag_mf);
	CHECK_EQ(d.p.frag_off, 1232);
	CHECK_EQ(d.p.frag_id, 77);
	CHECK_EQ(d.p.frag_hdr_off, 48);
	CHECK_EQ(d.p.frag_nh_off, 40);
	CHECK_EQ(d.p.proto, IPPROTO_UDP);
	CHECK_EQ(d.p.l3_hlen, 56);
	CHECK(!d.p.has_l4);
	CHECK_EQ(d.p.payload_off, 56);
	CHECK_EQ(d.p.payload_len, 40);
	dec_done(&d);

	/* A first fragment with a short L4 header: no L4, not an error. */
	f.n = 0;
	l3 = ip6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_TCP, 0, 1, 5);
	payload(&f, 8, 0);
	ip6_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK(d.p.is_frag);
	CHECK(!d.p.has_l4);
	CHECK_EQ(d.p.payload_off, 48);
	CHECK_EQ(d.p.payload_len, 8);
	dec_done(&d);

	/* Atomic fragment: an ordinary packet. */
	f.n = 0;
	l3 = ip6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_UDP, 0, 0, 5);
	udp(&f, 7, 8, 3);
	payload(&f, 3, 0);
	ip6_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK(!d.p.is_frag);
	CHECK(d.p.has_l4);
	CHECK_EQ(d.p.sport, 7);
	CHECK_EQ(d.p.payload_len, 3);
	dec_done(&d);

	/* A fragment header cut short. */
	for (uint32_t n = 40; n < 48; n++) {
		uint8_t b[48];

		memcpy(b, f.b, n);
		wr16(b + 4, (uint16_t)(n - 40));
		CHECK_EQ(decode_rc(DP_LINK_RAW, b, n), ANOM(IPV6_EXTHDR_TRUNC));
	}
}

/* ---- L4 ---- */

static void test_tcp_options_flags(void)
{
	static const uint8_t big_ws[] = {3, 3, 20, 0};
	static const uint8_t bad_len[] = {2, 1, 0, 0};    /* length < 2 */
	static const uint8_t past_end[] = {1, 1, 8, 10}; /* runs past the header */
	static const uint8_t dangling[] = {1, 1, 1, 3};  /* kind without length */
	static const uint8_t eol[] = {0, 3, 3, 9};       /* wscale after EOL: ignored */
	struct {
		const uint8_t *o;
		uint8_t flags;
		uint8_t ws;
		enum dp_anomaly a;
	} cases[] = {
		{big_ws, DP_TH_SYN, 14, DP_ANOM_NONE},
		{bad_len, DP_TH_SYN, 0xff, DP_ANOM_TCP_OPT_INVALID},
		{past_end, DP_TH_SYN, 0xff, DP_ANOM_TCP_OPT_INVALID},
		{dangling, DP_TH_SYN, 0xff, DP_ANOM_TCP_OPT_INVALID},
		{eol, DP_TH_SYN, 0xff, DP_ANOM_NONE},
		{eol, DP_TH_SYN | DP_TH_FIN, 0xff, DP_ANOM_TCP_BAD_FLAGS},
		{eol, DP_TH_SYN | DP_TH_RST, 0xff, DP_ANOM_TCP_BAD_FLAGS},
		{eol, DP_TH_FIN | DP_TH_RST | DP_TH_ACK, 0xff, DP_ANOM_NONE},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fb f = {0};
		struct dec d;
		uint32_t l3 = ip4(&f, IPPROTO_TCP, NULL, 0, 1, 0);

		tcp(&f, 1, 2, 3, 4, cases[i].flags, cases[i].o, 4);
		ip4_fix(&f, l3);
		dec_run(&d, DP_LINK_RAW, f.b, f.n);
		CHECK_EQ(d.rc, 0);
		CHECK(d.p.has_l4);
		CHECK_EQ(d.p.wscale, cases[i].ws);
		CHECK_EQ(d.p.soft_anom, cases[i].a);
		CHECK_EQ(d.p.payload_off, 44);
		CHECK_EQ(d.p.payload_len, 0);
		dec_done(&d);
	}
}

static void test_udp(void)
{
	struct fb f = {0};
	struct dec d;
	uint32_t l3, u;

	l3 = ip4(&f, IPPROTO_UDP, NULL, 0, 1, 0);
	u = udp(&f, 5353, 53, 12);
	payload(&f, 12, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.sport, 5353);
	CHECK_EQ(d.p.dport, 53);
	CHECK_EQ(d.p.payload_off, 28);
	CHECK_EQ(d.p.payload_len, 12);
	dec_done(&d);

	wr16(f.b + u + 4, 7);
	CHECK_EQ(decode_rc(DP_LINK_RAW, f.b, f.n), ANOM(UDP_BAD_LEN));
	wr16(f.b + u + 4, 21); /* one more than the datagram holds */
	CHECK_EQ(decode_rc(DP_LINK_RAW, f.b, f.n), ANOM(UDP_BAD_LEN));
	wr16(f.b + u + 4, 8); /* trailing bytes inside the datagram */
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.payload_len, 0);
	dec_done(&d);
	wr16(f.b + u + 4, 15);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.payload_len, 7);
	dec_done(&d);

	/* Shorter than a UDP header. */
	f.n = 0;
	l3 = ip4(&f, IPPROTO_UDP, NULL, 0, 1, 0);
	pad(&f, 7, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, ANOM(UDP_TRUNC));
	CHECK(!d.p.has_l4);
	dec_done(&d);

	/* IPv6 UDP. */
	f.n = 0;
	l3 = ip6(&f, IPPROTO_UDP);
	udp(&f, 546, 547, 5);
	payload(&f, 5, 0);
	ip6_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.sport, 546);
	CHECK_EQ(d.p.payload_len, 5);
	dec_done(&d);
}

static void test_icmp(void)
{
	struct fb f = {0};
	struct dec d;
	uint32_t l3;

	l3 = ip4(&f, IPPROTO_ICMP, NULL, 0, 1, 0);
	put8(&f, 8); /* echo request */
	put8(&f, 0);
	put16(&f, 0);
	put16(&f, 0x1234); /* identifier */
	put16(&f, 1);      /* sequence */
	payload(&f, 12, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.proto, IPPROTO_ICMP);
	CHECK_EQ(d.p.sport, 8);
	CHECK_EQ(d.p.dport, 0);
	CHECK_EQ(d.p.l4_off, 20);
	CHECK_EQ(d.p.payload_off, 28);
	CHECK_EQ(d.p.payload_len, 12);
	dec_done(&d);

	/* Every ICMP message has an 8-byte header. */
	for (uint32_t n = 0; n < 8; n++) {
		f.n = 0;
		l3 = ip4(&f, IPPROTO_ICMP, NULL, 0, 1, 0);
		pad(&f, n, 3);
		ip4_fix(&f, l3);
		CHECK_EQ(decode_rc(DP_LINK_RAW, f.b, f.n), ANOM(ICMPV4_TRUNC));
	}

	f.n = 0;
	l3 = ip4(&f, IPPROTO_ICMPV6, NULL, 0, 1, 0);
	pad(&f, 8, 0);
	ip4_fix(&f, l3);
	CHECK_EQ(decode_rc(DP_LINK_RAW, f.b, f.n), ANOM(ICMP_PROTO_MISMATCH));

	f.n = 0;
	l3 = ip6(&f, IPPROTO_ICMPV6);
	put8(&f, 1); /* destination unreachable */
	put8(&f, 4); /* port unreachable */
	put16(&f, 0);
	put32(&f, 0); /* unused */
	ip6_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(d.p.sport, 1);
	CHECK_EQ(d.p.dport, 4);
	CHECK_EQ(d.p.payload_off, 48);
	CHECK_EQ(d.p.payload_len, 0);
	dec_done(&d);

	f.n = 0;
	l3 = ip6(&f, IPPROTO_ICMPV6);
	pad(&f, 7, 0);
	ip6_fix(&f, l3);
	CHECK_EQ(decode_rc(DP_LINK_RAW, f.b, f.n), ANOM(ICMPV6_TRUNC));

	f.n = 0;
	l3 = ip6(&f, IPPROTO_ICMP);
	pad(&f, 8, 0);
	ip6_fix(&f, l3);
	CHECK_EQ(decode_rc(DP_LINK_RAW, f.b, f.n), ANOM(ICMP_PROTO_MISMATCH));

	/* Other protocols: the rest of the datagram is the payload. */
	f.n = 0;
	l3 = ip4(&f, 47 /* GRE */, NULL, 0, 1, 0);
	pad(&f, 9, 0);
	ip4_fix(&f, l3);
	dec_run(&d, DP_LINK_RAW, f.b, f.n);
	CHECK_EQ(d.rc, 0);
	CHECK(d.p.has_l4);
	CHECK_EQ(d.p.payload_off, 20);
	CHECK_EQ(d.p.payload_len, 9);
	dec_done(&d);
}

/* A struct dp_packet decoded twice keeps nothing of the first frame. */
static void test_reuse(void)
{
	static const uint16_t q[] = {0x8100}, id[] = {5};
	struct fb a = {0}, b = {0};
	struct dp_packet p;
	uint8_t *ga, *gb;
	uint32_t l3;

	eth(&a, 0x0800, 1, q, id);
	v4_tcp_body(&a, 10);
	eth(&b, 0x0806, 0, NULL, NULL); /* ARP */
	pad(&b, 28, 0);
	ga = guard_dup(a.b, a.n);
	gb = guard_dup(b.b, b.n);
	memset(&p, 0, sizeof(p));
	for (int i = 0; i < 3; i++) {
		p.data = ga;
		p.caplen = p.wirelen = a.n;
		CHECK_EQ(dp_decode(&p, DP_LINK_ETHERNET), 0);
		CHECK_EQ(p.vlan_cnt, 1);
		CHECK(p.has_l4);
	}
	p.data = gb;
	p.caplen = p.wirelen = b.n;
	CHECK_EQ(dp_decode(&p, DP_LINK_ETHERNET), 0);
	CHECK_EQ(p.vlan_cnt, 0);
	CHECK_EQ(p.family, 0);
	CHECK(!p.has_l4);
	CHECK_EQ(p.payload_len, 0);
	guard_free(ga, a.n);
	guard_free(gb, b.n);

	/* A non-first fragment after a complete packet has no L4. */
	a.n = 0;
	l3 = ip4(&a, IPPROTO_TCP, NULL, 0, 1, 100);
	payload(&a, 8, 0);
	ip4_fix(&a, l3);
	b.n = 0;
	v4_tcp_body(&b, 4);
	ga = guard_dup(a.b, a.n);
	gb = guard_dup(b.b, b.n);
	memset(&p, 0, sizeof(p));
	p.data = gb;
	p.caplen = b.n;
	CHECK_EQ(dp_decode(&p, DP_LINK_RAW), 0);
	CHECK(p.has_l4);
	p.data = ga;
	p.caplen = a.n;
	CHECK_EQ(dp_decode(&p, DP_LINK_RAW), 0);
	CHECK(p.is_frag);
	CHECK(!p.has_l4);
	CHECK_EQ(p.soft_anom, DP_ANOM_NONE);
	/* dp_decode_ip keeps the caller's VLAN tags (reassembled datagrams). */
	p.data = gb;
	p.caplen = b.n;
	p.vlan[0] = 9;
	p.vlan_cnt = 1;
	CHECK_EQ(dp_decode_ip(&p), 0);
	CHECK(!p.is_frag);
	CHECK(p.has_l4);
	CHECK_EQ(p.vlan_cnt, 1);
	CHECK_EQ(p.vlan[0], 9);
	guard_free(ga, a.n);
	guard_free(gb, b.n);
}

static void test_names(void)
{
	CHECK(strcmp(dp_anomaly_type(DP_ANOM_VLAN_TOO_MANY), "decode") == 0);
	CHECK(strcmp(dp_anomaly_event(DP_ANOM_VLAN_TOO_MANY), "vlan.too_many_layers") == 0);
	CHECK(strcmp(dp_anomaly_event(DP_ANOM_TCP_GAP), "tcp.gap") == 0);
	CHECK(strcmp(dp_anomaly_event(DP_ANOM__MAX), "unknown") == 0);
	CHECK(strcmp(dp_anomaly_type((enum dp_anomaly)-1), "unknown") == 0);
	for (int a = 1; a < DP_ANOM__MAX; a++) {
		CHECK(dp_anomaly_type((enum dp_anomaly)a) != NULL);
		CHECK(dp_anomaly_event((enum dp_anomaly)a) != NULL);
	}
}

/* ---- every truncation point ---- */

/* "n < below gives anomaly a", checked in order; past the last, 0. */
struct cut {
	uint32_t below;
	enum dp_anomaly a;
};

static void sweep(enum dp_link link, const struct fb *f, const struct cut *cuts,
		  unsigned ncuts)
{
	unsigned bad = 0;

	for (uint32_t n = 0; n <= f->n; n++) {
		struct dec d;
		int want = 0;

		for (unsigned i = 0; i < ncuts; i++)
			if (n < cuts[i].below) {
				want = -(int)cuts[i].a;
				break;
			}
		dec_run(&d, link, f->b, n);
		if (d.rc != want && bad++ < 5)
			fprintf(stderr, "link %d len %u/%u: rc %d, expected %d\n", link, n, f->n,
				d.rc, want);
		if (d.p.has_l4)
			CHECK(d.p.payload_off + d.p.payload_len <= n);
		dec_done(&d);
	}
	CHECK_EQ(bad, 0);
}

static void test_truncation_raw(void)
{
	static const uint16_t q[] = {0x8100, 0x8100}, ids[] = {1, 2};
	struct fb f = {0};
	uint32_t fam;

	/* IPv4 length says more than present: IPv4 errors, never L4 ones. */
	eth(&f, 0x0800, 0, NULL, NULL);
	v4_tcp_body(&f, 10);
	{
		const struct cut c[] = {{14, DP_ANOM_ETH_TRUNC}, {34, DP_ANOM_IPV4_TRUNC},
					{f.n, DP_ANOM_IPV4_TRUNC_PKT}};
		sweep(DP_LINK_ETHERNET, &f, c, 3);
	}
	f.n = 0;
	eth(&f, 0x86dd, 2, q, ids);
	v6_tcp_body(&f, 10);
	{
		const struct cut c[] = {{14, DP_ANOM_ETH_TRUNC}, {18, DP_ANOM_VLAN_TRUNC},
					{22, DP_ANOM_VLAN_TRUNC}, {62, DP_ANOM_IPV6_TRUNC},
					{f.n, DP_ANOM_IPV6_TRUNC_PKT}};
		sweep(DP_LINK_ETHERNET, &f, c, 5);
	}
	f.n = 0;
	pad(&f, 14, 0);
	put16(&f, 0x0800);
	v4_tcp_body(&f, 3);
	{
		const struct cut c[] = {{16, DP_ANOM_SLL_TRUNC}, {36, DP_ANOM_IPV4_TRUNC},
					{f.n, DP_ANOM_IPV4_TRUNC_PKT}};
		sweep(DP_LINK_SLL, &f, c, 3);
	}
	f.n = 0;
	put16(&f, 0x86dd);
	pad(&f, 18, 0);
	v6_tcp_body(&f, 3);
	{
		const struct cut c[] = {{20, DP_ANOM_SLL_TRUNC}, {60, DP_ANOM_IPV6_TRUNC},
					{f.n, DP_ANOM_IPV6_TRUNC_PKT}};
		sweep(DP_LINK_SLL2, &f, c, 3);
	}
	f.n = 0;
	fam = 2;
	put(&f, &fam, 4);
	v4_tcp_body(&f, 3);
	{
		const struct cut c[] = {{4, DP_ANOM_NULL_TRUNC}, {24, DP_ANOM_IPV4_TRUNC},
					{f.n, DP_ANOM_IPV4_TRUNC_PKT}};
		sweep(DP_LINK_NULL, &f, c, 3);
	}
	f.n = 0;
	put32(&f, 30);
	v6_tcp_body(&f, 3);
	{
		const struct cut c[] = {{4, DP_ANOM_NULL_TRUNC}, {44, DP_ANOM_IPV6_TRUNC},
					{f.n, DP_ANOM_IPV6_TRUNC_PKT}};
		sweep(DP_LINK_LOOP, &f, c, 3);
	}
	f.n = 0;
	v6_tcp_body(&f, 3);
	{
		/* An empty raw frame has no version nibble: reported as IPv4. */
		const struct cut c[] = {{1, DP_ANOM_IPV4_TRUNC}, {40, DP_ANOM_IPV6_TRUNC},
					{f.n, DP_ANOM_IPV6_TRUNC_PKT}};
		sweep(DP_LINK_RAW, &f, c, 3);
	}
	f.n = 0;
	{
		static const uint8_t opts[] = {1, 1, 1, 1, 1, 1, 1, 0};
		uint32_t l3 = ip4(&f, IPPROTO_UDP, opts, sizeof(opts), 1, 0);

		udp(&f, 1, 2, 4);
		payload(&f, 4, 0);
		ip4_fix(&f, l3);
	}
	{
		const struct cut c[] = {{20, DP_ANOM_IPV4_TRUNC}, {28, DP_ANOM_IPV4_HLEN_BIG},
					{f.n, DP_ANOM_IPV4_TRUNC_PKT}};
		sweep(DP_LINK_IPV4, &f, c, 3);
	}
}

/* The IP length rewritten to match each cut, so the L4 checks are reached. */
static void test_truncation_l4(void)
{
	static const struct {
		uint8_t family, proto;
		uint32_t l4min, l4full;
		enum dp_anomaly small, big;
	} kinds[] = {
		{4, IPPROTO_TCP, 20, 40, DP_ANOM_TCP_TRUNC, DP_ANOM_TCP_HLEN_BIG},
		{6, IPPROTO_TCP, 20, 40, DP_ANOM_TCP_TRUNC, DP_ANOM_TCP_HLEN_BIG},
		{4, IPPROTO_UDP, 8, 8, DP_ANOM_UDP_TRUNC, DP_ANOM_NONE},
		{6, IPPROTO_UDP, 8, 8, DP_ANOM_UDP_TRUNC, DP_ANOM_NONE},
		{4, IPPROTO_ICMP, 8, 8, DP_ANOM_ICMPV4_TRUNC, DP_ANOM_NONE},
		{6, IPPROTO_ICMPV6, 8, 8, DP_ANOM_ICMPV6_TRUNC, DP_ANOM_NONE},
	};
	unsigned bad = 0;

	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct fb f = {0};
		uint32_t l3, hl, l4;

		eth(&f, kinds[k].family == 4 ? 0x0800 : 0x86dd, 0, NULL, NULL);
		if (kinds[k].family == 4) {
			l3 = ip4(&f, kinds[k].proto, NULL, 0, 1, 0);
			hl = 20;
		} else {
			l3 = ip6(&f, IPPROTO_HOPOPTS);
			ext6(&f, kinds[k].proto, 0);
			hl = 48;
		}
		l4 = f.n;
		if (kinds[k].proto == IPPROTO_TCP)
			tcp(&f, 1, 2, 3, 4, DP_TH_ACK, TCP_OPTS, sizeof(TCP_OPTS));
		else if (kinds[k].proto == IPPROTO_UDP)
			udp(&f, 1, 2, 0);
		else
			pad(&f, 8, 0);
		payload(&f, 6, 1);

		for (uint32_t n = l4; n <= f.n; n++) {
			uint8_t b[256];
			uint32_t avail = n - l4;
			struct dec d;
			int want = 0;

			memcpy(b, f.b, n);
			if (kinds[k].family == 4)
				wr16(b + l3 + 2, (uint16_t)(n - l3));
			else
				wr16(b + l3 + 4, (uint16_t)(n - l3 - 40));
			if (kinds[k].proto == IPPROTO_UDP && avail >= 8)
				wr16(b + l4 + 4, (uint16_t)avail);
			if (avail < kinds[k].l4min)
				want = -(int)kinds[k].small;
			else if (avail < kinds[k].l4full)
				want = -(int)kinds[k].big;
			dec_run(&d, DP_LINK_ETHERNET, b, n);
			if (d.rc != want && bad++ < 5)
				fprintf(stderr, "kind %u len %u: rc %d, expected %d\n", k, n, d.rc,
					want);
			/* Fields decoded before the error stay valid. */
			CHECK_EQ(d.p.family, kinds[k].family == 4 ? AF_INET : AF_INET6);
			CHECK_EQ(d.p.l3_len, n - l3);
			CHECK_EQ(d.p.proto, kinds[k].proto);
			CHECK_EQ(d.p.l3_hlen, hl);
			if (want == 0) {
				CHECK(d.p.has_l4);
				CHECK_EQ(d.p.payload_off, l4 + kinds[k].l4full);
				CHECK_EQ(d.p.payload_len, avail - kinds[k].l4full);
			}
			dec_done(&d);
		}
	}
	CHECK_EQ(bad, 0);
}

/* ---- random mutations ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	return bh_xorshift(&rng_state);
}

#define MUT_MAX 512

static void test_random(void)
{
	static const uint16_t q[] = {0x88a8, 0x8100}, ids[] = {10, 20};
	static const enum dp_link links[] = {DP_LINK_ETHERNET, DP_LINK_SLL,  DP_LINK_SLL2,
					     DP_LINK_RAW,      DP_LINK_IPV4, DP_LINK_IPV6,
					     DP_LINK_NULL,     DP_LINK_LOOP};
	struct fb bodies[6];
	static const uint8_t zero[MUT_MAX];
	uint8_t *g = guard_dup(zero, MUT_MAX); /* frames are copied to its end */
	unsigned ok = 0, fails = 0;
	uint32_t l3;

	memset(bodies, 0, sizeof(bodies));
	v4_tcp_body(&bodies[0], 30);
	v6_tcp_body(&bodies[1], 30);
	l3 = ip6(&bodies[2], IPPROTO_HOPOPTS);
	ext6(&bodies[2], IPPROTO_FRAGMENT, 1);
	frag6(&bodies[2], IPPROTO_UDP, 0, 1, 42);
	udp(&bodies[2], 1, 2, 20);
	payload(&bodies[2], 20, 0);
	ip6_fix(&bodies[2], l3);
	{
		static const uint8_t opts[] = {148, 4, 0, 0, 7, 7, 4, 1, 2, 3, 4, 0};

		l3 = ip4(&bodies[3], IPPROTO_TCP, opts, sizeof(opts), 9, 0x2000);
		tcp(&bodies[3], 1, 2, 3, 4, DP_TH_SYN, TCP_OPTS, sizeof(TCP_OPTS));
		payload(&bodies[3], 8, 0);
		ip4_fix(&bodies[3], l3);
	}
	l3 = ip4(&bodies[4], IPPROTO_ICMP, NULL, 0, 1, 0);
	pad(&bodies[4], 16, 8);
	ip4_fix(&bodies[4], l3);
	l3 = ip6(&bodies[5], IPPROTO_DSTOPTS);
	ext6(&bodies[5], IPPROTO_ROUTING, 2);
	ext6(&bodies[5], IPPROTO_ICMPV6, 0);
	pad(&bodies[5], 12, 0x80);
	ip6_fix(&bodies[5], l3);

	for (unsigned it = 0; it < 200000; it++) {
		enum dp_link link = links[it % 8];
		const struct fb *body = &bodies[rnd() % 6];
		int v6 = (body->b[0] >> 4) == 6;
		struct fb f = {0};
		struct dp_packet p;
		uint32_t n, flips;
		uint8_t *buf;
		int rc;

		switch (link) {
		case DP_LINK_ETHERNET:
			eth(&f, v6 ? 0x86dd : 0x0800, rnd() % 3, q, ids);
			break;
		case DP_LINK_SLL:
			pad(&f, 14, 0);
			put16(&f, v6 ? 0x86dd : 0x0800);
			break;
		case DP_LINK_SLL2:
			put16(&f, v6 ? 0x86dd : 0x0800);
			pad(&f, 18, 0);
			break;
		case DP_LINK_NULL: {
			uint32_t fam = v6 ? 30 : 2;

			put(&f, &fam, 4);
			break;
		}
		case DP_LINK_LOOP:
			put32(&f, v6 ? 24 : 2);
			break;
		default:
			break;
		}
		put(&f, body->b, body->n);
		n = f.n;
		/* Bit flips, biased towards the headers. */
		flips = rnd() % 5;
		for (uint32_t i = 0; i < flips; i++) {
			uint32_t at = rnd() % (rnd() % 2 ? 80 : n);

			if (at < n)
				f.b[at] ^= (uint8_t)(1u << (rnd() % 8));
		}
		if (rnd() % 4 == 0) /* a random byte */
			f.b[rnd() % n] = (uint8_t)rnd();
		if (rnd() % 2) /* truncate */
			n = rnd() % (n + 1);
		else if (rnd() % 8 == 0) { /* or extend with junk */
			uint32_t extra = rnd() % 64;

			for (uint32_t i = 0; i < extra; i++)
				f.b[n + i] = (uint8_t)rnd();
			n += extra;
		}

		buf = g + MUT_MAX - n;
		memcpy(buf, f.b, n);
		memset(&p, 0, sizeof(p));
		p.data = buf;
		p.caplen = p.wirelen = n;
		rc = dp_decode(&p, link);
		if (rc > 0 || rc <= -DP_ANOM__MAX ||
		    (rc < 0 && strcmp(dp_anomaly_type((enum dp_anomaly)-rc), "decode") != 0)) {
			fails++;
			continue;
		}
		if (rc == 0)
			ok++;
		if (p.family) {
			if (p.l3_off > n || (rc == 0 && p.l3_off + p.l3_len > n))
				fails++;
			if (rc == 0 && p.l3_hlen > p.l3_len)
				fails++;
		}
		if (p.has_l4 && (p.payload_off + p.payload_len > n || p.l4_off > p.payload_off))
			fails++;
		if (p.is_frag && p.family == AF_INET6 && p.frag_hdr_off + 8 > n)
			fails++;
		if (p.soft_anom != DP_ANOM_NONE &&
		    strcmp(dp_anomaly_type(p.soft_anom), "decode") != 0)
			fails++;
		if (p.has_l4 && p.payload_len) {
			/* Touch every payload byte: ASan checks the bounds. */
			volatile uint8_t sum = 0;
			const uint8_t *pl = dp_packet_payload(&p);

			for (uint32_t i = 0; i < p.payload_len; i++)
				sum = (uint8_t)(sum + pl[i]);
			(void)sum;
		}
	}
	CHECK_EQ(fails, 0);
	CHECK(ok > 10000); /* the mutations did not only produce garbage */
	guard_free(g, MUT_MAX);
}

/* dp_csum_l4: checksums as scapy computes them (IPv4/TCP, IPv6/UDP with an
 * odd payload), recomputed from zero inside a guard-page buffer; lengths
 * past the bytes present leave the packet untouched. */
static void test_csum(void)
{
	static const uint8_t v4tcp[] = {
		0x45, 0x00, 0x00, 0x3a, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x66, 0xbb, 0x0a, 0x00,
		0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x1f, 0x90, 0x00, 0x00, 0x03, 0xe8,
		0x00, 0x00, 0x07, 0xd0, 0x50, 0x18, 0x20, 0x00, 0xd5, 0x8e, 0x00, 0x00, 0x47, 0x45,
		0x54, 0x20, 0x2f, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, 0x0d, 0x0a,
		0x0d, 0x0a};
	static const uint8_t v6udp[] = {
		0x60, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x11, 0x40, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x14, 0xe9,
		0x00, 0x35, 0x00, 0x0b, 0x2c, 0x53, 0x61, 0x62, 0x63};
	static const struct {
		const uint8_t *pkt;
		uint32_t len, off;
	} c[] = {{v4tcp, sizeof(v4tcp), 36}, {v6udp, sizeof(v6udp), 46}};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t *g = guard_dup(c[i].pkt, c[i].len);

		g[c[i].off] = 0x12; /* a partial sum, as the kernel leaves it */
		g[c[i].off + 1] = 0x34;
		dp_csum_l4(g, c[i].len);
		CHECK(memcmp(g, c[i].pkt, c[i].len) == 0);
		guard_free(g, c[i].len);
		/* one byte short of what the header says: left alone */
		g = guard_dup(c[i].pkt, c[i].len - 1);
		g[c[i].off] = 0x12;
		dp_csum_l4(g, c[i].len - 1);
		CHECK_EQ(g[c[i].off], 0x12);
		guard_free(g, c[i].len - 1);
	}
}

int main(void)
{
	RUN(test_eth_v4_tcp);
	RUN(test_vlan);
	RUN(test_non_ip);
	RUN(test_sll);
	RUN(test_raw);
	RUN(test_null_loop);
	RUN(test_ipv4_options);
	RUN(test_ipv4_errors);
	RUN(test_tso);
	RUN(test_trailer);
	RUN(test_ipv4_frag);
	RUN(test_ipv6_exthdrs);
	RUN(test_ipv6_frag);
	RUN(test_tcp_options_flags);
	RUN(test_udp);
	RUN(test_icmp);
	RUN(test_reuse);
	RUN(test_names);
	RUN(test_truncation_raw);
	RUN(test_truncation_l4);
	RUN(test_random);
	RUN(test_csum);
	return bh_test_summary();
}
