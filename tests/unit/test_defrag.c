/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_defrag.c - IPv4/IPv6 reassembly: ordering, overlaps, limits, expiry,
 * memcap, and that the output decodes as an ordinary datagram.
 *
 * Every fragment is built, copied to a buffer that ends at a guard page and
 * decoded with dp_decode_ip() exactly as the engine would before reassembly.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "bh_test.h"
#include "dp_decode.h"
#include "dp_defrag.h"

#define SPORT 5353
#define DPORT 53

struct anoms {
	unsigned n[DP_ANOM__MAX];
	unsigned with_pkt[DP_ANOM__MAX];
};

static void on_anom(void *ctx, const struct dp_packet *p, enum dp_anomaly a)
{
	struct anoms *an = ctx;

	if ((unsigned)a < DP_ANOM__MAX) {
		an->n[a]++;
		if (p)
			an->with_pkt[a]++;
	}
}

static unsigned anom_total(const struct anoms *an)
{
	unsigned i, t = 0;

	for (i = 0; i < DP_ANOM__MAX; i++)
		t += an->n[i];
	return t;
}

/* What the last dp_defrag_add() returned. */
struct result {
	int r;
	const uint8_t *buf;
	size_t len;
	uint32_t frags;
	uint64_t wirelen;
};

static void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint16_t csum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Decode @pkt from a guard buffer and hand it to @d. */
static struct result feed(struct dp_defrag *d, struct anoms *an, const uint8_t *pkt,
			  size_t len, uint64_t ts_us, uint16_t vlan)
{
	struct result res = {0};
	struct dp_packet p;
	uint8_t *g = guard_dup(pkt, len);

	memset(&p, 0, sizeof(p));
	p.data = g;
	p.caplen = (uint32_t)len;
	p.wirelen = (uint32_t)len + 14;
	p.ts_us = ts_us;
	CHECK_EQ(dp_decode_ip(&p), 0);
	CHECK(p.is_frag);
	if (vlan) {
		p.vlan[0] = vlan;
		p.vlan_cnt = 1;
	}
	{
		struct dp_defrag_result out = {0};

		res.r = dp_defrag_add(d, &p, on_anom, an, &out);
		res.buf = out.buf;
		res.len = out.len;
		res.frags = out.frags;
		res.wirelen = out.wirelen;
	}
	guard_free(g, len);
	return res;
}

/* IPv4 fragment with @hlen-byte header (options are NOPs) carrying
 * data[off, off + len) of the datagram. Returns the packet length. */
static size_t mk4(uint8_t *b, uint32_t hlen, uint16_t id, uint8_t proto, const uint8_t *data,
		  uint32_t off, uint32_t len, int mf)
{
	memset(b, 0, hlen);
	b[0] = (uint8_t)(0x40 | hlen / 4);
	wr16(b + 2, (uint16_t)(hlen + len));
	wr16(b + 4, id);
	wr16(b + 6, (uint16_t)((mf ? 0x2000 : 0) | off / 8));
	b[8] = 64;
	b[9] = proto;
	b[12] = 10, b[13] = 0, b[14] = 0, b[15] = 1;
	b[16] = 10, b[17] = 0, b[18] = 0, b[19] = 2;
	memset(b + 20, 1, hlen - 20); /* NOP options */
	wr16(b + 10, csum(b, hlen));
	memcpy(b + hlen, data + off, len);
	return hlen + len;
}

/* IPv6 fragment, optionally with an 8-byte hop-by-hop header before the
 * fragment header. */
static size_t mk6(uint8_t *b, int hbh, uint32_t id, const uint8_t *data, uint32_t off,
		  uint32_t len, int mf)
{
	uint32_t h = 40, i;

	memset(b, 0, 40);
	b[0] = 0x60;
	b[7] = 64;
	b[8] = 0x20, b[9] = 0x01, b[10] = 0x0d, b[11] = 0xb8, b[23] = 1;
	b[24] = 0x20, b[25] = 0x01, b[26] = 0x0d, b[27] = 0xb8, b[39] = 2;
	if (hbh) {
		b[6] = IPPROTO_HOPOPTS;
		memset(b + h, 0, 8);
		b[h] = IPPROTO_FRAGMENT;
		b[h + 1] = 0;
		b[h + 2] = 1; /* PadN, 4 bytes */
		b[h + 3] = 4;
		h += 8;
	} else {
		b[6] = IPPROTO_FRAGMENT;
	}
	b[h] = IPPROTO_UDP;
	b[h + 1] = 0;
	wr16(b + h + 2, (uint16_t)(off | (mf ? 1 : 0)));
	for (i = 0; i < 4; i++)
		b[h + 4 + i] = (uint8_t)(id >> (24 - 8 * i));
	h += 8;
	memcpy(b + h, data + off, len);
	wr16(b + 4, (uint16_t)(h - 40 + len));
	return h + len;
}

/* A UDP datagram of @len bytes (header included) with a recognisable body. */
static void mk_udp(uint8_t *data, uint32_t len, uint8_t salt)
{
	uint32_t i;

	wr16(data, SPORT);
	wr16(data + 2, DPORT);
	wr16(data + 4, (uint16_t)len);
	wr16(data + 6, 0);
	for (i = 8; i < len; i++)
		data[i] = (uint8_t)(i * 7 + salt);
}

static struct dp_defrag *mk_defrag(size_t mem_cap, uint32_t max_frags)
{
	struct dp_defrag_config cfg;
	struct dp_defrag *d = NULL;

	dp_defrag_config_init(&cfg);
	if (mem_cap)
		cfg.mem_cap = mem_cap;
	if (max_frags)
		cfg.max_frags = max_frags;
	CHECK_EQ(dp_defrag_new(&cfg, &d), 0);
	if (!d)
		abort();
	return d;
}

/* Decode the reassembled datagram from a guard buffer; check it is a plain
 * UDP datagram whose payload is data[8, dlen). */
static void check_udp_out(const struct result *res, int family, const uint8_t *data,
			  uint32_t dlen, uint32_t want_hlen)
{
	struct dp_packet p;
	uint8_t *g;

	CHECK_EQ(res->r, 1);
	if (res->r != 1)
		return;
	CHECK_EQ(res->len, want_hlen + dlen);
	g = guard_dup(res->buf, res->len);
	memset(&p, 0, sizeof(p));
	p.data = g;
	p.caplen = p.wirelen = (uint32_t)res->len;
	CHECK_EQ(dp_decode_ip(&p), 0);
	CHECK_EQ(p.family, family);
	CHECK(!p.is_frag);
	CHECK_EQ(p.proto, IPPROTO_UDP);
	CHECK_EQ(p.l3_hlen, want_hlen);
	CHECK_EQ(p.l3_len, res->len);
	CHECK(p.has_l4);
	CHECK_EQ(p.sport, SPORT);
	CHECK_EQ(p.dport, DPORT);
	CHECK_EQ(p.payload_len, dlen - 8);
	CHECK(p.payload_len == dlen - 8 &&
	      memcmp(dp_packet_payload(&p), data + 8, dlen - 8) == 0);
	if (family == AF_INET) {
		CHECK_EQ(csum(g, want_hlen), 0);
		CHECK_EQ(rd16(g + 6) & 0x3fff, 0);
	}
	guard_free(g, res->len);
}

static void test_v4_in_order(void)
{
	uint8_t data[108], pkt[200];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	struct result res;
	size_t n, wl = 0;

	mk_udp(data, sizeof(data), 0);
	n = mk4(pkt, 20, 7, IPPROTO_UDP, data, 0, 40, 1);
	wl += n + 14;
	res = feed(d, &an, pkt, n, 1, 0);
	CHECK_EQ(res.r, 0);
	CHECK(dp_defrag_mem(d) >= 40);
	n = mk4(pkt, 20, 7, IPPROTO_UDP, data, 40, 40, 1);
	wl += n + 14;
	CHECK_EQ(feed(d, &an, pkt, n, 2, 0).r, 0);
	n = mk4(pkt, 20, 7, IPPROTO_UDP, data, 80, 28, 0);
	wl += n + 14;
	res = feed(d, &an, pkt, n, 3, 0);
	check_udp_out(&res, AF_INET, data, sizeof(data), 20);
	CHECK_EQ(res.frags, 3);
	CHECK_EQ(res.wirelen, wl);
	CHECK_EQ(anom_total(&an), 0);
	CHECK_EQ(dp_defrag_mem(d), 0);
	dp_defrag_free(d);
}

static void test_v4_out_of_order(void)
{
	/* Last first, then the middle ones backwards, the first one last. */
	static const uint32_t order[] = {3, 2, 1, 0};
	uint8_t data[200], pkt[300];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	struct result res = {0};
	unsigned i;

	mk_udp(data, sizeof(data), 3);
	for (i = 0; i < 4; i++) {
		uint32_t off = order[i] * 56;
		uint32_t len = order[i] == 3 ? sizeof(data) - off : 56;
		size_t n = mk4(pkt, 20, 9, IPPROTO_UDP, data, off, len, order[i] != 3);

		res = feed(d, &an, pkt, n, 10 + i, 0);
		if (i < 3)
			CHECK_EQ(res.r, 0);
	}
	check_udp_out(&res, AF_INET, data, sizeof(data), 20);
	CHECK_EQ(res.frags, 4);
	CHECK_EQ(anom_total(&an), 0);
	CHECK_EQ(dp_defrag_mem(d), 0);
	dp_defrag_free(d);
}

/* The first fragment's options are kept; later fragments carry fewer. */
static void test_v4_options(void)
{
	uint8_t data[64], pkt[128];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	struct result res;
	size_t n;

	mk_udp(data, sizeof(data), 5);
	n = mk4(pkt, 20, 11, IPPROTO_UDP, data, 32, 32, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0);
	n = mk4(pkt, 28, 11, IPPROTO_UDP, data, 0, 32, 1);
	res = feed(d, &an, pkt, n, 2, 0);
	check_udp_out(&res, AF_INET, data, sizeof(data), 28);
	CHECK_EQ(anom_total(&an), 0);
	dp_defrag_free(d);
}

static void test_v6_hbh_out_of_order(void)
{
	static const uint32_t order[] = {1, 2, 0};
	uint8_t data[150], pkt[300];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	struct result res = {0};
	unsigned i;

	mk_udp(data, sizeof(data), 9);
	for (i = 0; i < 3; i++) {
		uint32_t off = order[i] * 64;
		uint32_t len = order[i] == 2 ? sizeof(data) - off : 64;
		size_t n = mk6(pkt, 1, 0xdeadbeef, data, off, len, order[i] != 2);

		res = feed(d, &an, pkt, n, 100 + i, 0);
		if (i < 2)
			CHECK_EQ(res.r, 0);
	}
	check_udp_out(&res, AF_INET6, data, sizeof(data), 48);
	if (res.r == 1) {
		CHECK_EQ(res.buf[6], IPPROTO_HOPOPTS);
		CHECK_EQ(res.buf[40], IPPROTO_UDP);
		CHECK_EQ(rd16(res.buf + 4), 8 + sizeof(data));
		CHECK_EQ(res.buf[42], 1); /* the hop-by-hop options survive */
	}
	CHECK_EQ(res.frags, 3);
	CHECK_EQ(anom_total(&an), 0);
	CHECK_EQ(dp_defrag_mem(d), 0);
	dp_defrag_free(d);
}

static void test_v6_plain(void)
{
	uint8_t data[80], pkt[200];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	struct result res;
	size_t n;

	mk_udp(data, sizeof(data), 1);
	n = mk6(pkt, 0, 1, data, 0, 48, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0);
	n = mk6(pkt, 0, 1, data, 48, 32, 0);
	res = feed(d, &an, pkt, n, 2, 0);
	check_udp_out(&res, AF_INET6, data, sizeof(data), 40);
	if (res.r == 1) {
		CHECK_EQ(res.buf[6], IPPROTO_UDP);
		CHECK_EQ(rd16(res.buf + 4), sizeof(data));
	}
	dp_defrag_free(d);
}

static void test_duplicate(void)
{
	uint8_t data[72], pkt[128];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	struct result res;
	size_t n, mem;

	mk_udp(data, sizeof(data), 2);
	n = mk4(pkt, 20, 1, IPPROTO_UDP, data, 0, 24, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0);
	n = mk4(pkt, 20, 1, IPPROTO_UDP, data, 24, 24, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 2, 0).r, 0);
	mem = dp_defrag_mem(d);
	CHECK_EQ(feed(d, &an, pkt, n, 3, 0).r, 0);
	CHECK_EQ(dp_defrag_mem(d), mem); /* nothing new held */
	CHECK_EQ(an.n[DP_ANOM_FRAG_OVERLAP], 1);
	CHECK_EQ(an.with_pkt[DP_ANOM_FRAG_OVERLAP], 1);
	/* A second duplicate is not reported again. */
	CHECK_EQ(feed(d, &an, pkt, n, 4, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_OVERLAP], 1);
	n = mk4(pkt, 20, 1, IPPROTO_UDP, data, 48, 24, 0);
	res = feed(d, &an, pkt, n, 5, 0);
	check_udp_out(&res, AF_INET, data, sizeof(data), 20);
	CHECK_EQ(res.frags, 5);
	CHECK_EQ(an.n[DP_ANOM_FRAG_OVERLAP_CONFLICT], 0);
	CHECK_EQ(dp_defrag_mem(d), 0);
	dp_defrag_free(d);
}

static void test_conflict(void)
{
	uint8_t data[64], evil[64], want[64], pkt[128];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	struct result res;
	size_t n;

	mk_udp(data, sizeof(data), 4);
	memcpy(evil, data, sizeof(evil));
	memset(evil + 16, 0xee, sizeof(evil) - 16);
	/* [0,24) original, then [16,40) evil: [16,24) conflicts, [24,40) new. */
	n = mk4(pkt, 20, 2, IPPROTO_UDP, data, 0, 24, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0);
	n = mk4(pkt, 20, 2, IPPROTO_UDP, evil, 16, 24, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 2, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_OVERLAP_CONFLICT], 1);
	CHECK_EQ(an.with_pkt[DP_ANOM_FRAG_OVERLAP_CONFLICT], 1);
	CHECK_EQ(an.n[DP_ANOM_FRAG_OVERLAP], 0);
	/* The original over [8,40): conflicts again over [24,40) (no second
	 * report), and only its identical [8,16) would be a plain overlap. */
	n = mk4(pkt, 20, 2, IPPROTO_UDP, data, 8, 32, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 3, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_OVERLAP_CONFLICT], 1);
	n = mk4(pkt, 20, 2, IPPROTO_UDP, data, 40, 24, 0);
	res = feed(d, &an, pkt, n, 4, 0);
	memcpy(want, data, sizeof(want));
	memcpy(want + 24, evil + 24, 16); /* first received wins */
	check_udp_out(&res, AF_INET, want, sizeof(want), 20);
	dp_defrag_free(d);
}

static void test_timeout(void)
{
	uint8_t data[64], pkt[128];
	struct anoms an = {0};
	struct dp_defrag_config cfg;
	struct dp_defrag *d = mk_defrag(0, 0);
	struct result res;
	size_t n;

	dp_defrag_config_init(&cfg);
	mk_udp(data, sizeof(data), 6);
	n = mk4(pkt, 20, 3, IPPROTO_UDP, data, 0, 32, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 1000, 0).r, 0);
	CHECK(dp_defrag_mem(d) > 0);
	dp_defrag_expire(d, 1000 + cfg.timeout_us, on_anom, &an);
	CHECK_EQ(an.n[DP_ANOM_FRAG_TIMEOUT], 0); /* not older than, yet */
	dp_defrag_expire(d, 1001 + cfg.timeout_us, on_anom, &an);
	CHECK_EQ(an.n[DP_ANOM_FRAG_TIMEOUT], 1);
	CHECK_EQ(an.with_pkt[DP_ANOM_FRAG_TIMEOUT], an.n[DP_ANOM_FRAG_TIMEOUT]); /* stand-ins */
	CHECK_EQ(dp_defrag_mem(d), 0);
	/* The rest alone starts a new datagram that cannot complete. */
	n = mk4(pkt, 20, 3, IPPROTO_UDP, data, 32, 32, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 2000 + cfg.timeout_us, 0).r, 0);

	/* Expiry also runs from dp_defrag_add with the packet's clock. */
	n = mk4(pkt, 20, 4, IPPROTO_UDP, data, 0, 32, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 3000 + 3 * cfg.timeout_us, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_TIMEOUT], 2);
	/* A clock that steps back does not expire anything. */
	n = mk4(pkt, 20, 4, IPPROTO_UDP, data, 32, 32, 0);
	res = feed(d, &an, pkt, n, 5, 0);
	check_udp_out(&res, AF_INET, data, sizeof(data), 20);
	CHECK_EQ(dp_defrag_mem(d), 0);
	dp_defrag_free(d);
}

static void test_memcap(void)
{
	uint8_t data[1024], pkt[1100];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	struct result res;
	size_t n, one;

	mk_udp(data, sizeof(data), 7);
	/* Measure what one half-datagram costs, then allow two and a half. */
	n = mk4(pkt, 20, 20, IPPROTO_UDP, data, 0, 512, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0);
	one = dp_defrag_mem(d);
	CHECK(one >= 512);
	dp_defrag_free(d);

	d = mk_defrag(one * 5 / 2, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0); /* id 20 */
	n = mk4(pkt, 20, 21, IPPROTO_UDP, data, 0, 512, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 2, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_MEMCAP], 0);
	n = mk4(pkt, 20, 22, IPPROTO_UDP, data, 0, 512, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 3, 0).r, 0);
	/* id 20, the oldest, made room. */
	CHECK_EQ(an.n[DP_ANOM_FRAG_MEMCAP], 1);
	CHECK_EQ(an.with_pkt[DP_ANOM_FRAG_MEMCAP], an.n[DP_ANOM_FRAG_MEMCAP]); /* stand-ins */
	CHECK(dp_defrag_mem(d) <= one * 5 / 2);

	/* id 20 is gone: its second half completes nothing. */
	n = mk4(pkt, 20, 20, IPPROTO_UDP, data, 512, 512, 0);
	res = feed(d, &an, pkt, n, 4, 0);
	CHECK_EQ(res.r, 0);
	/* ... and that second half evicted id 21, so id 22 still completes. */
	CHECK_EQ(an.n[DP_ANOM_FRAG_MEMCAP], 2);
	n = mk4(pkt, 20, 22, IPPROTO_UDP, data, 512, 512, 0);
	res = feed(d, &an, pkt, n, 5, 0);
	check_udp_out(&res, AF_INET, data, sizeof(data), 20);
	dp_defrag_free(d);

	/* A fragment bigger than the whole cap is dropped by itself. */
	d = mk_defrag(256, 0);
	memset(&an, 0, sizeof(an));
	n = mk4(pkt, 20, 23, IPPROTO_UDP, data, 0, 512, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_MEMCAP], 1);
	CHECK_EQ(an.with_pkt[DP_ANOM_FRAG_MEMCAP], 1);
	CHECK_EQ(dp_defrag_mem(d), 0);
	dp_defrag_free(d);
}

static void test_too_large(void)
{
	uint8_t *data = calloc(1, 65536 + 64), pkt[200];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	size_t n;

	if (!data)
		abort();
	mk_udp(data, 64, 8);
	n = mk4(pkt, 20, 30, IPPROTO_UDP, data, 0, 64, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0);
	/* 20 + 65512 + 8 = 65540 */
	n = mk4(pkt, 20, 30, IPPROTO_UDP, data, 65512, 8, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 2, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_TOO_LARGE], 1);
	CHECK_EQ(dp_defrag_mem(d), 0);
	/* 20 + 65512 + 3 = 65535 fits. */
	n = mk4(pkt, 20, 31, IPPROTO_UDP, data, 65512, 3, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 3, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_TOO_LARGE], 1);
	CHECK(dp_defrag_mem(d) > 0);
	/* A first fragment with options then makes it too large. */
	n = mk4(pkt, 24, 31, IPPROTO_UDP, data, 0, 64, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 4, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_TOO_LARGE], 2);
	CHECK_EQ(dp_defrag_mem(d), 0);

	/* IPv6 counts the payload only: 65528 + 8 > 65535, 65528 + 7 is not. */
	n = mk6(pkt, 0, 32, data, 65528, 8, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 5, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_TOO_LARGE], 3);
	n = mk6(pkt, 0, 33, data, 65528, 7, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 6, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_TOO_LARGE], 3);
	/* ... but the hop-by-hop header counts too. */
	n = mk6(pkt, 1, 34, data, 65528, 7, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 7, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_TOO_LARGE], 4);
	dp_defrag_free(d);
	free(data);
}

static void test_too_many(void)
{
	uint8_t data[64], pkt[128];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 4);
	struct result res;
	uint32_t i;
	size_t n;

	mk_udp(data, sizeof(data), 10);
	for (i = 0; i < 4; i++) {
		n = mk4(pkt, 20, 40, IPPROTO_UDP, data, i * 8, 8, 1);
		CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0);
	}
	CHECK_EQ(an.n[DP_ANOM_FRAG_TOO_MANY], 0);
	n = mk4(pkt, 20, 40, IPPROTO_UDP, data, 32, 32, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 2, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_TOO_MANY], 1);
	CHECK_EQ(an.with_pkt[DP_ANOM_FRAG_TOO_MANY], 1);
	CHECK_EQ(dp_defrag_mem(d), 0);

	/* Exactly max_frags completes. */
	for (i = 0; i < 3; i++) {
		n = mk4(pkt, 20, 41, IPPROTO_UDP, data, i * 16, 16, 1);
		CHECK_EQ(feed(d, &an, pkt, n, 3, 0).r, 0);
	}
	n = mk4(pkt, 20, 41, IPPROTO_UDP, data, 48, 16, 0);
	res = feed(d, &an, pkt, n, 4, 0);
	check_udp_out(&res, AF_INET, data, sizeof(data), 20);
	CHECK_EQ(res.frags, 4);
	dp_defrag_free(d);
}

static void test_bad_len(void)
{
	uint8_t data[64], pkt[128];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	size_t n;

	mk_udp(data, sizeof(data), 11);
	/* A middle fragment of 10 bytes. */
	n = mk4(pkt, 20, 50, IPPROTO_UDP, data, 0, 16, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0);
	n = mk4(pkt, 20, 50, IPPROTO_UDP, data, 16, 10, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 2, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_BAD_LEN], 1);
	CHECK_EQ(dp_defrag_mem(d), 0);

	/* Data past the end the last fragment fixed. */
	n = mk4(pkt, 20, 51, IPPROTO_UDP, data, 16, 16, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 3, 0).r, 0);
	n = mk4(pkt, 20, 51, IPPROTO_UDP, data, 32, 8, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 4, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_BAD_LEN], 2);
	CHECK_EQ(dp_defrag_mem(d), 0);

	/* Two last fragments that disagree. */
	n = mk4(pkt, 20, 52, IPPROTO_UDP, data, 16, 16, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 5, 0).r, 0);
	n = mk4(pkt, 20, 52, IPPROTO_UDP, data, 16, 8, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 6, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_BAD_LEN], 3);
	CHECK_EQ(dp_defrag_mem(d), 0);

	/* A last fragment ending before data already held. */
	n = mk4(pkt, 20, 53, IPPROTO_UDP, data, 32, 16, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 7, 0).r, 0);
	n = mk4(pkt, 20, 53, IPPROTO_UDP, data, 16, 8, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 8, 0).r, 0);
	CHECK_EQ(an.n[DP_ANOM_FRAG_BAD_LEN], 4);
	CHECK_EQ(an.with_pkt[DP_ANOM_FRAG_BAD_LEN], 4);
	CHECK_EQ(dp_defrag_mem(d), 0);
	dp_defrag_free(d);
}

static void test_zero_len(void)
{
	uint8_t data[32], pkt[64];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	struct result res;
	size_t n, mem;

	mk_udp(data, sizeof(data), 12);
	n = mk4(pkt, 20, 60, IPPROTO_UDP, data, 0, 32, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0);
	mem = dp_defrag_mem(d);
	/* Zero bytes with MF: ignored, even at an odd place. */
	n = mk4(pkt, 20, 60, IPPROTO_UDP, data, 64, 0, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 2, 0).r, 0);
	CHECK_EQ(dp_defrag_mem(d), mem);
	/* A zero-byte last fragment ends the datagram. */
	n = mk4(pkt, 20, 60, IPPROTO_UDP, data, 32, 0, 0);
	res = feed(d, &an, pkt, n, 3, 0);
	check_udp_out(&res, AF_INET, data, sizeof(data), 20);
	CHECK_EQ(res.frags, 2);
	CHECK_EQ(anom_total(&an), 0);
	dp_defrag_free(d);
}

static void test_interleaved(void)
{
	uint8_t a[96], b[96], pkt[160];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	struct result res;
	size_t n;

	mk_udp(a, sizeof(a), 13);
	mk_udp(b, sizeof(b), 99);
	n = mk4(pkt, 20, 70, IPPROTO_UDP, a, 0, 32, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0);
	n = mk4(pkt, 20, 71, IPPROTO_UDP, b, 32, 32, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 2, 0).r, 0);
	n = mk4(pkt, 20, 70, IPPROTO_UDP, a, 64, 32, 0);
	CHECK_EQ(feed(d, &an, pkt, n, 3, 0).r, 0);
	n = mk4(pkt, 20, 71, IPPROTO_UDP, b, 0, 32, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 4, 0).r, 0);
	n = mk4(pkt, 20, 71, IPPROTO_UDP, b, 64, 32, 0);
	res = feed(d, &an, pkt, n, 5, 0);
	check_udp_out(&res, AF_INET, b, sizeof(b), 20);
	n = mk4(pkt, 20, 70, IPPROTO_UDP, a, 32, 32, 1);
	res = feed(d, &an, pkt, n, 6, 0);
	check_udp_out(&res, AF_INET, a, sizeof(a), 20);
	CHECK_EQ(anom_total(&an), 0);
	CHECK_EQ(dp_defrag_mem(d), 0);
	dp_defrag_free(d);
}

/* The same offsets under different ids, protocols or VLANs are different
 * datagrams: no overlap, no mixing. */
static void test_no_mixing(void)
{
	uint8_t a[48], b[48], pkt[128];
	struct anoms an = {0};
	struct dp_defrag *d = mk_defrag(0, 0);
	struct result res;
	size_t n;

	mk_udp(a, sizeof(a), 14);
	mk_udp(b, sizeof(b), 200);
	n = mk4(pkt, 20, 80, IPPROTO_UDP, a, 0, 24, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 1, 0).r, 0);
	n = mk4(pkt, 20, 81, IPPROTO_UDP, b, 0, 24, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 2, 0).r, 0);
	n = mk4(pkt, 20, 80, IPPROTO_UDP, b, 0, 24, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 3, 7).r, 0); /* VLAN 7 */
	n = mk4(pkt, 20, 80, IPPROTO_TCP, b, 0, 24, 1);
	CHECK_EQ(feed(d, &an, pkt, n, 4, 0).r, 0);
	CHECK_EQ(anom_total(&an), 0);
	n = mk4(pkt, 20, 81, IPPROTO_UDP, b, 24, 24, 0);
	res = feed(d, &an, pkt, n, 5, 0);
	check_udp_out(&res, AF_INET, b, sizeof(b), 20);
	n = mk4(pkt, 20, 80, IPPROTO_UDP, a, 24, 24, 0);
	res = feed(d, &an, pkt, n, 6, 0);
	check_udp_out(&res, AF_INET, a, sizeof(a), 20);
	n = mk4(pkt, 20, 80, IPPROTO_UDP, b, 24, 24, 0);
	res = feed(d, &an, pkt, n, 7, 7);
	check_udp_out(&res, AF_INET, b, sizeof(b), 20);
	CHECK_EQ(anom_total(&an), 0);
	dp_defrag_free(d);
}

static void test_api(void)
{
	static const uint8_t udp[] = {
		0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x14, 0xe9, 0, 53, 0, 8, 0, 0,
	};
	struct dp_defrag_config cfg;
	struct dp_defrag *d = NULL;
	struct dp_packet p;

	dp_defrag_config_init(&cfg);
	CHECK_EQ(cfg.mem_cap, 16u << 20);
	CHECK_EQ(cfg.timeout_us, 30000000);
	CHECK_EQ(cfg.max_frags, 256);
	cfg.max_frags = 0;
	CHECK_EQ(dp_defrag_new(&cfg, &d), -EINVAL);
	CHECK(d == NULL);
	dp_defrag_free(NULL);
	CHECK_EQ(dp_defrag_mem(NULL), 0);

	d = mk_defrag(0, 0);
	memset(&p, 0, sizeof(p));
	p.data = udp;
	p.caplen = p.wirelen = sizeof(udp);
	CHECK_EQ(dp_decode_ip(&p), 0);
	CHECK(!p.is_frag);
	{
		struct dp_defrag_result out = {0};

		CHECK_EQ(dp_defrag_add(d, &p, NULL, NULL, &out), -EINVAL);
		CHECK(out.buf == NULL);
	}
	dp_defrag_free(d);
}

int main(void)
{
	RUN(test_api);
	RUN(test_v4_in_order);
	RUN(test_v4_out_of_order);
	RUN(test_v4_options);
	RUN(test_v6_hbh_out_of_order);
	RUN(test_v6_plain);
	RUN(test_duplicate);
	RUN(test_conflict);
	RUN(test_timeout);
	RUN(test_memcap);
	RUN(test_too_large);
	RUN(test_too_many);
	RUN(test_bad_len);
	RUN(test_zero_len);
	RUN(test_interleaved);
	RUN(test_no_mixing);
	return bh_test_summary();
}
