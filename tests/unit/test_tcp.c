/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_tcp.c - TCP state tracking and stream reassembly against the contract
 * in dp_tcp.h: ordering, overlaps (first wins), conflict detection on
 * retransmissions, gaps, the buffer cap, sequence wrap, mid-stream pickup,
 * FIN/RST, and randomized differential runs against the original stream.
 *
 * Packets are hand-made struct dp_packet whose payload sits in a buffer that
 * ends at a guard page; the deliveries are rebuilt per direction.
 */
#include <errno.h>
#include <string.h>

#include "bh_test.h"
#include "dp_tcp.h"

/* ---- what the callbacks saw ---- */

struct dir_out {
	uint8_t *buf;      /* stream bytes by offset since the first delivery */
	uint8_t *kind;     /* per offset: 1 delivered, 2 gap */
	uint32_t len, cap; /* bytes + gap bytes so far */
	uint64_t bytes, gap_bytes;
	unsigned deliveries, gaps, eofs, midstream, first_flags;
	unsigned after_eof, bad;
};

struct out {
	struct dir_out d[2];
	unsigned anoms[DP_ANOM__MAX];
	unsigned anoms_without_pkt;
	struct dp_flow *flow;
	/* Order of events: 'D' data, 'G' gap, 'E' eof, per direction. */
	char log[2][64];
	unsigned nlog[2];
};

static void grow_to(struct dir_out *d, uint32_t need)
{
	if (need <= d->cap)
		return;
	uint32_t cap = d->cap ? d->cap : 4096;

	while (cap < need)
		cap *= 2;
	d->buf = realloc(d->buf, cap);
	d->kind = realloc(d->kind, cap);
	if (!d->buf || !d->kind)
		abort();
	memset(d->kind + d->cap, 0, cap - d->cap);
	d->cap = cap;
}

static void logc(struct out *o, unsigned dir, char c)
{
	if (o->nlog[dir] < sizeof(o->log[dir]) - 1)
		o->log[dir][o->nlog[dir]++] = c;
}

static void on_data(void *ctx, struct dp_flow *f, unsigned dir, const uint8_t *data, uint32_t len,
		    unsigned flags)
{
	struct out *o = ctx;
	struct dir_out *d;

	if (dir > 1 || f != o->flow) {
		o->d[0].bad++;
		return;
	}
	d = &o->d[dir];
	if (d->eofs)
		d->after_eof++;
	if (flags & DP_SD_EOF) {
		d->eofs++;
		logc(o, dir, 'E');
		if (len || data)
			d->bad++;
		return;
	}
	if (len == 0)
		d->bad++; /* empty deliveries are noise */
	grow_to(d, d->len + len);
	if (flags & DP_SD_GAP) {
		if (data)
			d->bad++;
		memset(d->kind + d->len, 2, len);
		memset(d->buf + d->len, 0, len);
		d->gaps++;
		d->gap_bytes += len;
		logc(o, dir, 'G');
	} else {
		if (!data)
			d->bad++;
		else
			memcpy(d->buf + d->len, data, len);
		memset(d->kind + d->len, 1, len);
		if (d->deliveries == 0)
			d->first_flags = flags;
		d->deliveries++;
		d->bytes += len;
		logc(o, dir, 'D');
	}
	if (flags & DP_SD_MIDSTREAM)
		d->midstream++;
	d->len += len;
}

static void on_anom(void *ctx, struct dp_flow *f, const struct dp_packet *p, enum dp_anomaly a)
{
	struct out *o = ctx;

	if (f != o->flow)
		o->d[0].bad++;
	if ((unsigned)a < DP_ANOM__MAX)
		o->anoms[a]++;
	if (!p)
		o->anoms_without_pkt++;
}

static unsigned anom_total(const struct out *o)
{
	unsigned t = 0;

	for (unsigned i = 0; i < DP_ANOM__MAX; i++)
		t += o->anoms[i];
	return t;
}

/* ---- a flow and its packets ---- */

struct tc {
	struct dp_tcp_config cfg;
	struct dp_flow f;
	struct out o;
	uint32_t max_buffered;
};

static void tc_init(struct tc *t, uint32_t cap, uint32_t max_segs)
{
	memset(t, 0, sizeof(*t));
	t->cfg.cap = cap;
	t->cfg.max_segs = max_segs;
	t->cfg.data = on_data;
	t->cfg.anom = on_anom;
	t->cfg.ctx = &t->o;
	t->o.flow = &t->f;
}

static void tc_done(struct tc *t)
{
	dp_tcp_flush(&t->cfg, &t->f);
	CHECK_EQ(dp_tcp_buffered(&t->f), 0);
	CHECK(t->f.stream[0].buf == NULL && t->f.stream[1].buf == NULL);
	for (unsigned i = 0; i < 2; i++) {
		CHECK_EQ(t->o.d[i].bad, 0);
		CHECK_EQ(t->o.d[i].after_eof, 0);
		CHECK(t->o.d[i].eofs <= 1);
		free(t->o.d[i].buf);
		free(t->o.d[i].kind);
	}
}

static int tx(struct tc *t, unsigned dir, uint32_t seq, uint32_t ack, uint8_t flags,
	      const uint8_t *data, uint32_t len)
{
	struct dp_packet p;
	uint8_t *g = guard_dup(data, len);
	uint32_t b;
	int r;

	memset(&p, 0, sizeof(p));
	p.data = g;
	p.caplen = p.wirelen = len;
	p.has_l4 = true;
	p.payload_off = 0;
	p.payload_len = len;
	p.seq = seq;
	p.ack = ack;
	p.tcp_flags = flags;
	p.wscale = 0xff;
	r = dp_tcp_packet(&t->cfg, &t->f, dir, &p);
	guard_free(g, len);
	b = dp_tcp_buffered(&t->f);
	if (b > t->max_buffered)
		t->max_buffered = b;
	return r;
}

/* The byte at stream offset @i of direction @dir. */
static uint8_t pat(unsigned dir, uint32_t i)
{
	return (uint8_t)(i * 131u + (i >> 8) * 7u + 1u + dir * 91u);
}

static uint8_t stream_bytes[2][1 << 16];

static void init_patterns(void)
{
	for (unsigned d = 0; d < 2; d++)
		for (uint32_t i = 0; i < sizeof(stream_bytes[d]); i++)
			stream_bytes[d][i] = pat(d, i);
}

#define ISN_C 1000u
#define ISN_S 50000u
#define A (DP_TH_ACK)
#define AP (DP_TH_ACK | DP_TH_PSH)

/* Client data [off, off + len) of the pattern; acks the server's start. */
static int cdata(struct tc *t, uint32_t off, uint32_t len)
{
	return tx(t, 0, ISN_C + 1 + off, ISN_S + 1, AP, stream_bytes[0] + off, len);
}

static int sdata(struct tc *t, uint32_t off, uint32_t len, uint32_t ack_off)
{
	return tx(t, 1, ISN_S + 1 + off, ISN_C + 1 + ack_off, AP, stream_bytes[1] + off, len);
}

/* Server acknowledges client bytes up to @off. */
static void sack(struct tc *t, uint32_t off)
{
	tx(t, 1, t->f.stream[1].flags & DP_ST_INIT ? t->f.stream[1].next : ISN_S + 1,
	   ISN_C + 1 + off, A, NULL, 0);
}

static void handshake(struct tc *t)
{
	tx(t, 0, ISN_C, 0, DP_TH_SYN, NULL, 0);
	tx(t, 1, ISN_S, ISN_C + 1, DP_TH_SYN | DP_TH_ACK, NULL, 0);
	tx(t, 0, ISN_C + 1, ISN_S + 1, A, NULL, 0);
}

/* Direction @dir delivered exactly the pattern [0, len), no gaps. */
static void check_clean(const struct tc *t, unsigned dir, uint32_t len)
{
	const struct dir_out *d = &t->o.d[dir];

	CHECK_EQ(d->len, len);
	CHECK_EQ(d->bytes, len);
	CHECK_EQ(d->gaps, 0);
	CHECK(d->len == len && memcmp(d->buf, stream_bytes[dir], len) == 0);
	CHECK_EQ(t->f.stream[dir].delivered, len);
}

/* ---- the cases ---- */

static void test_states(void)
{
	struct tc t;
	struct dp_packet p;

	tc_init(&t, 1 << 16, 64);
	CHECK_EQ(t.f.tcp_state, BH_TCP_NONE);
	CHECK_EQ(dp_tcp_class(&t.f), DP_FC_TCP_NEW);

	/* A SYN carrying window scale 7. */
	memset(&p, 0, sizeof(p));
	p.data = (const uint8_t *)"";
	p.seq = ISN_C;
	p.tcp_flags = DP_TH_SYN;
	p.wscale = 7;
	CHECK_EQ(dp_tcp_packet(&t.cfg, &t.f, 0, &p), 0);
	CHECK_EQ(t.f.tcp_state, BH_TCP_NEW);
	CHECK_EQ(dp_tcp_class(&t.f), DP_FC_TCP_NEW);
	CHECK_EQ(t.f.wscale[0], 7);
	CHECK(t.f.stream[0].flags & DP_ST_SYN);
	CHECK(!(t.f.stream[0].flags & DP_ST_MIDSTREAM));
	CHECK_EQ(t.f.stream[0].next, ISN_C + 1);

	tx(&t, 1, ISN_S, ISN_C + 1, DP_TH_SYN | DP_TH_ACK, NULL, 0);
	CHECK_EQ(t.f.tcp_state, BH_TCP_SYN_RECV);
	CHECK_EQ(dp_tcp_class(&t.f), DP_FC_TCP_NEW);
	CHECK_EQ(t.f.wscale[1], 0); /* not sent: left alone */
	/* The server's ACK-only packets do not establish. */
	tx(&t, 1, ISN_S + 1, ISN_C + 1, A, NULL, 0);
	CHECK_EQ(t.f.tcp_state, BH_TCP_SYN_RECV);
	tx(&t, 0, ISN_C + 1, ISN_S + 1, A, NULL, 0);
	CHECK_EQ(t.f.tcp_state, BH_TCP_ESTABLISHED);
	CHECK_EQ(dp_tcp_class(&t.f), DP_FC_TCP_EST);
	CHECK_EQ(t.f.tcp_flags[0], DP_TH_SYN | DP_TH_ACK);
	CHECK_EQ(t.f.tcp_flags[1], DP_TH_SYN | DP_TH_ACK);

	cdata(&t, 0, 10);
	tx(&t, 0, ISN_C + 11, ISN_S + 1, DP_TH_FIN | A, NULL, 0);
	CHECK_EQ(t.f.tcp_state, BH_TCP_CLOSING);
	CHECK_EQ(dp_tcp_class(&t.f), DP_FC_TCP_CLOSING);
	CHECK_EQ(t.o.d[0].eofs, 1);
	CHECK_EQ(t.o.d[1].eofs, 0);
	tx(&t, 1, ISN_S + 1, ISN_C + 12, DP_TH_FIN | A, NULL, 0);
	CHECK_EQ(t.f.tcp_state, BH_TCP_CLOSED);
	CHECK_EQ(dp_tcp_class(&t.f), DP_FC_TCP_CLOSED);
	CHECK_EQ(t.o.d[1].eofs, 1);
	CHECK(t.f.tcp_flags[0] & DP_TH_FIN);
	check_clean(&t, 0, 10);
	CHECK_EQ(anom_total(&t.o), 0);
	tc_done(&t);

	/* RST closes from any state. */
	tc_init(&t, 1 << 16, 64);
	tx(&t, 0, ISN_C, 0, DP_TH_SYN, NULL, 0);
	tx(&t, 1, 0, ISN_C + 1, DP_TH_RST | A, NULL, 0);
	CHECK_EQ(t.f.tcp_state, BH_TCP_CLOSED);
	CHECK_EQ(dp_tcp_class(&t.f), DP_FC_TCP_CLOSED);
	tc_done(&t);

	/* A retransmitted SYN is fine; one with another ISN is not. */
	tc_init(&t, 1 << 16, 64);
	tx(&t, 0, ISN_C, 0, DP_TH_SYN, NULL, 0);
	tx(&t, 0, ISN_C, 0, DP_TH_SYN, NULL, 0);
	CHECK_EQ(anom_total(&t.o), 0);
	tx(&t, 0, ISN_C + 7777, 0, DP_TH_SYN, NULL, 0);
	CHECK_EQ(t.o.anoms[DP_ANOM_TCP_SYN_DATA_MISMATCH], 1);
	CHECK_EQ(t.f.stream[0].next, ISN_C + 7778); /* the latest SYN counts */
	tc_done(&t);
}

static void test_in_order(void)
{
	struct tc t;

	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	CHECK_EQ(cdata(&t, 0, 100), 0);
	CHECK_EQ(cdata(&t, 100, 200), 0);
	check_clean(&t, 0, 300);
	CHECK_EQ(t.o.d[0].deliveries, 2);
	CHECK_EQ(t.o.d[0].midstream, 0);
	CHECK_EQ(t.f.stream[0].next, ISN_C + 301);
	/* Delivered but unacknowledged bytes are retained... */
	CHECK_EQ(dp_tcp_buffered(&t.f), 300);
	/* ... until the peer acknowledges them. */
	sdata(&t, 0, 50, 120);
	CHECK_EQ(dp_tcp_buffered(&t.f), 180 + 50);
	sack(&t, 300);
	tx(&t, 0, ISN_C + 301, ISN_S + 51, A, NULL, 0);
	CHECK_EQ(dp_tcp_buffered(&t.f), 0);
	check_clean(&t, 1, 50);
	CHECK_EQ(anom_total(&t.o), 0);
	tc_done(&t);
	CHECK_EQ(t.o.d[0].eofs, 1); /* flow end */
}

static void test_out_of_order(void)
{
	struct tc t;

	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 200, 100);
	CHECK_EQ(t.o.d[0].deliveries, 0);
	CHECK_EQ(dp_tcp_buffered(&t.f), 100);
	cdata(&t, 0, 100);
	CHECK_EQ(t.o.d[0].bytes, 100);
	cdata(&t, 100, 100);
	check_clean(&t, 0, 300);
	CHECK_EQ(t.o.d[0].deliveries, 3);
	CHECK_EQ(t.f.stream[0].overlaps, 0);
	CHECK_EQ(anom_total(&t.o), 0);
	tc_done(&t);
}

static void test_retransmission(void)
{
	uint8_t evil[200];
	struct tc t;

	memcpy(evil, stream_bytes[0], sizeof(evil));
	memset(evil + 50, 0xee, 100);

	/* Identical: an overlap, nothing else. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	cdata(&t, 0, 100);
	cdata(&t, 20, 30);
	check_clean(&t, 0, 100);
	CHECK_EQ(t.f.stream[0].overlaps, 2);
	CHECK_EQ(t.f.stream[0].conflicts, 0);
	CHECK_EQ(anom_total(&t.o), 0);
	tc_done(&t);

	/* Different bytes before the ACK: caught, the first bytes stay. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	tx(&t, 0, ISN_C + 1, ISN_S + 1, AP, evil, 100);
	CHECK_EQ(t.f.stream[0].overlaps, 1);
	CHECK_EQ(t.f.stream[0].conflicts, 1);
	CHECK_EQ(t.o.anoms[DP_ANOM_TCP_OVERLAP_CONFLICT], 1);
	check_clean(&t, 0, 100);
	/* Overlapping the end and extending: the old part is compared, the
	 * new part is delivered. */
	tx(&t, 0, ISN_C + 1 + 50, ISN_S + 1, AP, evil + 50, 100); /* [50,150) */
	CHECK_EQ(t.f.stream[0].overlaps, 2);
	CHECK_EQ(t.f.stream[0].conflicts, 2);
	CHECK_EQ(t.o.d[0].len, 150);
	CHECK(memcmp(t.o.d[0].buf, stream_bytes[0], 100) == 0);
	CHECK(memcmp(t.o.d[0].buf + 100, evil + 100, 50) == 0);
	tc_done(&t);

	/* After a partial ACK only the unacknowledged part can be compared. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	sack(&t, 60);
	CHECK_EQ(dp_tcp_buffered(&t.f), 40);
	tx(&t, 0, ISN_C + 1, ISN_S + 1, AP, evil, 60); /* [50,60) differs, acked */
	CHECK_EQ(t.f.stream[0].conflicts, 0);
	tx(&t, 0, ISN_C + 1, ISN_S + 1, AP, evil, 100); /* [60,100) differs too */
	CHECK_EQ(t.f.stream[0].conflicts, 1);
	check_clean(&t, 0, 100);
	tc_done(&t);

	/* After the ACK the retained copy is released: by the contract ("kept
	 * until the peer acknowledges them") a different retransmission is then
	 * only an overlap. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	sack(&t, 100);
	CHECK_EQ(dp_tcp_buffered(&t.f), 0);
	tx(&t, 0, ISN_C + 1, ISN_S + 1, AP, evil, 100);
	CHECK_EQ(t.f.stream[0].overlaps, 1);
	CHECK_EQ(t.f.stream[0].conflicts, 0);
	CHECK_EQ(anom_total(&t.o), 0);
	check_clean(&t, 0, 100);
	tc_done(&t);
}

static void test_ooo_overlaps(void)
{
	uint8_t evil[400];
	struct tc t;

	memcpy(evil, stream_bytes[0], sizeof(evil));
	memset(evil + 150, 0xee, 50);

	/* Original first, then a conflicting overlap: the original wins. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 100, 100);
	tx(&t, 0, ISN_C + 1 + 150, ISN_S + 1, AP, evil + 150, 100); /* [150,250) */
	CHECK_EQ(t.f.stream[0].overlaps, 1);
	CHECK_EQ(t.f.stream[0].conflicts, 1);
	CHECK_EQ(t.o.anoms[DP_ANOM_TCP_OVERLAP_CONFLICT], 1);
	CHECK_EQ(dp_tcp_buffered(&t.f), 150);
	cdata(&t, 0, 100);
	check_clean(&t, 0, 250);
	tc_done(&t);

	/* The conflicting bytes first: they win. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	tx(&t, 0, ISN_C + 1 + 100, ISN_S + 1, AP, evil + 100, 100); /* [100,200) */
	cdata(&t, 100, 100);
	CHECK_EQ(t.f.stream[0].conflicts, 1);
	cdata(&t, 0, 100);
	CHECK_EQ(t.o.d[0].len, 200);
	CHECK(memcmp(t.o.d[0].buf, evil, 200) == 0);
	tc_done(&t);

	/* Identical partial overlap extending the data. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 100, 100);
	cdata(&t, 150, 150);
	CHECK_EQ(t.f.stream[0].overlaps, 1);
	CHECK_EQ(t.f.stream[0].conflicts, 0);
	CHECK_EQ(dp_tcp_buffered(&t.f), 200);
	cdata(&t, 0, 100);
	check_clean(&t, 0, 300);
	CHECK_EQ(anom_total(&t.o), 0);
	tc_done(&t);

	/* One segment spanning several buffered ones fills every hole. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 100, 50);
	cdata(&t, 200, 50);
	cdata(&t, 280, 10);
	cdata(&t, 50, 300); /* [50,350) */
	CHECK_EQ(t.f.stream[0].overlaps, 1);
	CHECK_EQ(dp_tcp_buffered(&t.f), 300);
	cdata(&t, 0, 60); /* overlaps the buffered [50,60) */
	check_clean(&t, 0, 350);
	CHECK_EQ(t.f.stream[0].overlaps, 2);
	CHECK_EQ(t.f.stream[0].conflicts, 0);
	CHECK_EQ(anom_total(&t.o), 0);
	tc_done(&t);

	/* A segment inside a buffered one. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 100, 100);
	cdata(&t, 120, 10);
	CHECK_EQ(t.f.stream[0].overlaps, 1);
	CHECK_EQ(dp_tcp_buffered(&t.f), 100);
	cdata(&t, 0, 100);
	check_clean(&t, 0, 200);
	tc_done(&t);
}

static void test_gap_ack(void)
{
	struct tc t;

	/* The peer acknowledges past a hole with data buffered behind it. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	cdata(&t, 200, 100);
	sack(&t, 300);
	CHECK_EQ(t.o.d[0].gaps, 1);
	CHECK_EQ(t.o.d[0].gap_bytes, 100);
	CHECK_EQ(t.f.stream[0].gaps, 1);
	CHECK_EQ(t.f.stream[0].gap_bytes, 100);
	CHECK_EQ(t.o.anoms[DP_ANOM_TCP_GAP], 1);
	CHECK_EQ(t.o.d[0].bytes, 200);
	CHECK_EQ(t.o.d[0].len, 300);
	CHECK(t.o.d[0].len == 300 && memcmp(t.o.d[0].buf + 200, stream_bytes[0] + 200, 100) == 0);
	CHECK(t.o.d[0].kind[99] == 1 && t.o.d[0].kind[100] == 2 && t.o.d[0].kind[199] == 2 &&
	      t.o.d[0].kind[200] == 1);
	CHECK_EQ(dp_tcp_buffered(&t.f), 0);
	/* Later data goes on in order. */
	cdata(&t, 300, 50);
	CHECK_EQ(t.o.d[0].bytes, 250);
	CHECK(memcmp(t.o.d[0].buf + 300, stream_bytes[0] + 300, 50) == 0);
	CHECK(strcmp(t.o.log[0], "DGDD") == 0);
	tc_done(&t);

	/* The ACK ends exactly where the buffered data starts. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	cdata(&t, 200, 100);
	sack(&t, 200);
	CHECK_EQ(t.o.d[0].gap_bytes, 100);
	CHECK_EQ(t.o.d[0].bytes, 200); /* [200,300) is in order now: delivered */
	CHECK_EQ(dp_tcp_buffered(&t.f), 100);
	tc_done(&t);

	/* ... and a FIN behind it ends the stream then. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	tx(&t, 0, ISN_C + 201, ISN_S + 1, AP | DP_TH_FIN, stream_bytes[0] + 200, 100);
	CHECK_EQ(t.o.d[0].eofs, 0);
	sack(&t, 200);
	CHECK_EQ(t.o.d[0].bytes, 200);
	CHECK_EQ(t.o.d[0].eofs, 1);
	CHECK(strcmp(t.o.log[0], "DGDE") == 0);
	tc_done(&t);

	/* Past the buffered data too: two gaps. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	cdata(&t, 200, 100);
	sack(&t, 400);
	CHECK_EQ(t.o.d[0].gaps, 2);
	CHECK_EQ(t.o.d[0].gap_bytes, 200);
	CHECK_EQ(t.o.d[0].len, 400);
	CHECK(strcmp(t.o.log[0], "DGDG") == 0);
	CHECK_EQ(t.f.stream[0].next, ISN_C + 401);
	/* A retransmission of a byte we never saw is just an overlap now. */
	cdata(&t, 100, 100);
	CHECK_EQ(t.o.d[0].bytes, 200);
	CHECK_EQ(t.f.stream[0].conflicts, 0);
	tc_done(&t);

	/* An ACK for what was delivered, or behind it, is no gap. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	sack(&t, 50);
	sack(&t, 100);
	sack(&t, 10);
	CHECK_EQ(t.o.d[0].gaps, 0);
	/* An ACK absurdly far ahead is ignored. */
	tx(&t, 1, ISN_S + 1, ISN_C + 101 + (1u << 31) - 5, A, NULL, 0);
	CHECK_EQ(t.o.d[0].gaps, 0);
	tc_done(&t);
}

/* cap bounds out-of-order plus retained bytes, per direction. */
static void test_overflow(void)
{
	struct tc t;

	tc_init(&t, 1000, 1000);
	handshake(&t);
	for (uint32_t i = 0; i < 5; i++)
		cdata(&t, 100 + i * 300, 200); /* [100,300) [400,600) ... [1300,1500) */
	CHECK_EQ(dp_tcp_buffered(&t.f), 1000);
	CHECK_EQ(t.f.stream[0].overflows, 0);
	cdata(&t, 1600, 200);
	CHECK_EQ(t.f.stream[0].overflows, 1);
	CHECK_EQ(t.o.anoms[DP_ANOM_TCP_BUFFER_OVERFLOW], 1);
	CHECK_EQ(t.o.d[0].gaps, 1);
	CHECK_EQ(t.o.d[0].gap_bytes, 100);
	CHECK_EQ(t.o.d[0].bytes, 200);
	CHECK(dp_tcp_buffered(&t.f) <= 1000);
	/* Fill the holes: everything else arrives. */
	for (uint32_t i = 0; i < 5; i++)
		cdata(&t, 300 + i * 300, 100);
	CHECK_EQ(t.o.d[0].len, 1800);
	CHECK_EQ(t.o.d[0].bytes, 1700);
	CHECK(memcmp(t.o.d[0].buf + 100, stream_bytes[0] + 100, 1700) == 0);
	CHECK(t.max_buffered <= 1000);
	tc_done(&t);

	/* A segment larger than the cap. */
	tc_init(&t, 1000, 1000);
	handshake(&t);
	cdata(&t, 100, 1200);
	CHECK_EQ(t.f.stream[0].overflows, 1);
	CHECK_EQ(t.o.d[0].gap_bytes, 100);
	CHECK_EQ(t.o.d[0].bytes, 1200);
	CHECK(t.max_buffered <= 1000);
	tc_done(&t);

	/* In-order data never acknowledged: retained bytes stay within cap. */
	tc_init(&t, 1000, 1000);
	handshake(&t);
	cdata(&t, 0, 600);
	cdata(&t, 600, 400);
	cdata(&t, 1000, 24);
	cdata(&t, 1024, 1500);
	for (uint32_t i = 0; i < 50; i++)
		cdata(&t, 2524 + i * 77, 77);
	CHECK(t.max_buffered <= 1000);
	check_clean(&t, 0, 2524 + 50 * 77);
	tc_done(&t);

	/* Retained and out-of-order bytes together stay within the cap. */
	tc_init(&t, 1000, 1000);
	handshake(&t);
	cdata(&t, 0, 700);
	cdata(&t, 800, 250);
	CHECK(dp_tcp_buffered(&t.f) <= 1000);
	cdata(&t, 1100, 300);
	CHECK(dp_tcp_buffered(&t.f) <= 1000);
	cdata(&t, 700, 100);
	CHECK(t.max_buffered <= 1000);
	CHECK_EQ(t.o.d[0].len, 1050); /* [1050,1100) never came */
	CHECK_EQ(t.o.d[0].gaps, 0);
	check_clean(&t, 0, 1050);
	tc_done(&t);
}

static void test_max_segs(void)
{
	struct tc t;

	tc_init(&t, 1 << 20, 3);
	handshake(&t);
	cdata(&t, 10, 10);
	cdata(&t, 30, 10);
	cdata(&t, 50, 10);
	CHECK_EQ(t.f.stream[0].overflows, 0);
	cdata(&t, 70, 10);
	CHECK_EQ(t.f.stream[0].overflows, 1);
	CHECK_EQ(t.o.d[0].gaps, 1);
	CHECK_EQ(t.o.d[0].gap_bytes, 10);
	CHECK_EQ(t.o.d[0].bytes, 10); /* [10,20) */
	cdata(&t, 20, 10);
	cdata(&t, 40, 10);
	cdata(&t, 60, 10);
	CHECK_EQ(t.o.d[0].len, 80);
	CHECK_EQ(t.o.d[0].bytes, 70);
	CHECK(memcmp(t.o.d[0].buf + 10, stream_bytes[0] + 10, 70) == 0);
	tc_done(&t);
}

static void test_wrap(void)
{
	const uint32_t isn = 0xfffffff0u;
	struct tc t;

	tc_init(&t, 1 << 16, 64);
	tx(&t, 0, isn, 0, DP_TH_SYN, NULL, 0);
	tx(&t, 1, 7, isn + 1, DP_TH_SYN | DP_TH_ACK, NULL, 0);
	tx(&t, 0, isn + 1, 8, A, NULL, 0);
	/* [100,200) then [0,100): both cross nothing; [200,300) at 0x...c5. */
	tx(&t, 0, isn + 1 + 100, 8, AP, stream_bytes[0] + 100, 100);
	tx(&t, 0, isn + 1, 8, AP, stream_bytes[0], 100);
	tx(&t, 0, isn + 1 + 250, 8, AP, stream_bytes[0] + 250, 50);
	tx(&t, 0, isn + 1 + 200, 8, AP, stream_bytes[0] + 200, 50);
	check_clean(&t, 0, 300);
	CHECK_EQ(t.f.stream[0].next, isn + 301);
	/* A retransmission across the wrap point is compared. */
	tx(&t, 0, isn + 1 + 5, 8, AP, stream_bytes[0] + 5, 20);
	CHECK_EQ(t.f.stream[0].overlaps, 1);
	CHECK_EQ(t.f.stream[0].conflicts, 0);
	/* ACK across the wrap, with a hole. */
	tx(&t, 0, isn + 1 + 400, 8, AP | DP_TH_FIN, stream_bytes[0] + 400, 10);
	tx(&t, 1, 8, isn + 1 + 411, A, NULL, 0);
	CHECK_EQ(t.o.d[0].gap_bytes, 100);
	CHECK_EQ(t.o.d[0].bytes, 310);
	CHECK_EQ(t.o.d[0].eofs, 1);
	CHECK_EQ(dp_tcp_buffered(&t.f), 0);
	CHECK_EQ(anom_total(&t.o), 1); /* the gap */
	tc_done(&t);
}

static void test_midstream(void)
{
	struct tc t;

	tc_init(&t, 1 << 16, 64);
	tx(&t, 0, 123456, 777, AP, stream_bytes[0], 100);
	CHECK_EQ(t.f.tcp_state, BH_TCP_ESTABLISHED);
	CHECK(t.f.stream[0].flags & DP_ST_MIDSTREAM);
	CHECK_EQ(t.o.d[0].first_flags, DP_SD_MIDSTREAM);
	tx(&t, 0, 123556, 777, AP, stream_bytes[0] + 100, 100);
	CHECK_EQ(t.o.d[0].midstream, 1); /* only the first delivery */
	check_clean(&t, 0, 200);
	tx(&t, 1, 777, 123656, AP, stream_bytes[1], 10);
	CHECK_EQ(t.o.d[1].first_flags, DP_SD_MIDSTREAM);
	CHECK_EQ(t.o.d[1].midstream, 1);
	/* A FIN alone can start a direction too. */
	tc_done(&t);

	tc_init(&t, 1 << 16, 64);
	tx(&t, 1, 9000, 1, DP_TH_FIN | A, NULL, 0);
	CHECK(t.f.stream[1].flags & DP_ST_INIT);
	CHECK_EQ(t.o.d[1].eofs, 1);
	CHECK_EQ(t.f.tcp_state, BH_TCP_CLOSING);
	tc_done(&t);
}

static void test_syn_data(void)
{
	struct tc t;

	tc_init(&t, 1 << 16, 64);
	tx(&t, 0, ISN_C, 0, DP_TH_SYN, stream_bytes[0], 50);
	check_clean(&t, 0, 50);
	CHECK_EQ(t.o.d[0].midstream, 0);
	CHECK_EQ(t.f.stream[0].next, ISN_C + 51);
	/* The SYN retransmitted with its data: an identical overlap. */
	tx(&t, 0, ISN_C, 0, DP_TH_SYN, stream_bytes[0], 50);
	CHECK_EQ(t.f.stream[0].overlaps, 1);
	CHECK_EQ(t.f.stream[0].conflicts, 0);
	CHECK_EQ(t.o.anoms[DP_ANOM_TCP_SYN_DATA_MISMATCH], 0);
	tx(&t, 1, ISN_S, ISN_C + 51, DP_TH_SYN | DP_TH_ACK, NULL, 0);
	cdata(&t, 50, 50);
	check_clean(&t, 0, 100);
	CHECK_EQ(dp_tcp_buffered(&t.f), 50);
	tc_done(&t);
}

static void test_fin(void)
{
	struct tc t;

	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	tx(&t, 0, ISN_C + 201, ISN_S + 1, AP | DP_TH_FIN, stream_bytes[0] + 200, 100);
	CHECK_EQ(t.o.d[0].eofs, 0);
	CHECK_EQ(t.f.tcp_state, BH_TCP_CLOSING);
	cdata(&t, 100, 100);
	check_clean(&t, 0, 300);
	CHECK_EQ(t.o.d[0].eofs, 1);
	CHECK(strcmp(t.o.log[0], "DDDE") == 0);
	/* Data after the end. */
	cdata(&t, 300, 10);
	CHECK_EQ(t.o.anoms[DP_ANOM_TCP_DATA_AFTER_CLOSE], 1);
	CHECK_EQ(t.o.d[0].len, 300);
	/* The other side closes too. */
	tx(&t, 1, ISN_S + 1, ISN_C + 302, DP_TH_FIN | A, NULL, 0);
	CHECK_EQ(t.f.tcp_state, BH_TCP_CLOSED);
	CHECK_EQ(t.o.d[1].eofs, 1);
	tc_done(&t);

	/* A FIN with a hole before it: the peer's ACK of the FIN reports the
	 * gap and ends the stream. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	tx(&t, 0, ISN_C + 201, ISN_S + 1, DP_TH_FIN | A, NULL, 0);
	CHECK_EQ(t.o.d[0].eofs, 0);
	sack(&t, 201); /* acknowledges the FIN's sequence number too */
	CHECK_EQ(t.o.d[0].gap_bytes, 100);
	CHECK_EQ(t.o.d[0].eofs, 1);
	CHECK(strcmp(t.o.log[0], "DGE") == 0);
	tc_done(&t);

	/* Unacknowledged, the hole before a FIN is reported at flow end. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	cdata(&t, 150, 20);
	tx(&t, 0, ISN_C + 201, ISN_S + 1, DP_TH_FIN | A, NULL, 0);
	dp_tcp_flush(&t.cfg, &t.f);
	CHECK_EQ(t.o.d[0].gap_bytes, 80);
	CHECK_EQ(t.o.d[0].gaps, 2);
	CHECK_EQ(t.o.d[0].len, 200);
	CHECK(strcmp(t.o.log[0], "DGDGE") == 0);
	CHECK_EQ(t.o.anoms_without_pkt, 2);
	tc_done(&t);
}

static void test_rst(void)
{
	struct tc t;

	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	cdata(&t, 200, 100);
	sdata(&t, 0, 50, 100);
	CHECK(dp_tcp_buffered(&t.f) > 0);
	tx(&t, 1, ISN_S + 51, ISN_C + 101, DP_TH_RST | A, NULL, 0);
	CHECK_EQ(t.f.tcp_state, BH_TCP_CLOSED);
	CHECK(t.f.stream[0].flags & DP_ST_RST);
	CHECK(t.f.stream[1].flags & DP_ST_RST);
	CHECK_EQ(t.o.d[0].eofs, 1);
	CHECK_EQ(t.o.d[1].eofs, 1);
	CHECK_EQ(t.o.d[0].gap_bytes, 100);
	CHECK_EQ(t.o.d[0].bytes, 200);
	CHECK(strcmp(t.o.log[0], "DGDE") == 0);
	CHECK_EQ(dp_tcp_buffered(&t.f), 0);
	CHECK(t.f.stream[0].buf == NULL);
	/* Anything after the reset is data after close. */
	cdata(&t, 300, 10);
	sdata(&t, 50, 10, 100);
	CHECK_EQ(t.o.anoms[DP_ANOM_TCP_DATA_AFTER_CLOSE], 2);
	CHECK_EQ(dp_tcp_buffered(&t.f), 0);
	tc_done(&t);

	/* A forged RST outside the sender's window ends nothing: reassembly
	 * carries on and the attempt is an anomaly. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 100);
	tx(&t, 1, ISN_S + 1 + 0x40000000u, ISN_C + 101, DP_TH_RST | A, NULL, 0);
	tx(&t, 0, ISN_C + 1 - 500, ISN_S + 1, DP_TH_RST, NULL, 0);
	CHECK_EQ(t.o.anoms[DP_ANOM_TCP_RST_INVALID], 2);
	CHECK(t.f.tcp_state != BH_TCP_CLOSED);
	CHECK(!(t.f.stream[0].flags & DP_ST_RST));
	cdata(&t, 100, 100);
	check_clean(&t, 0, 200);
	CHECK_EQ(t.o.d[0].eofs, 0);
	/* In-window (here: at the next expected byte) it does end the flow. */
	tx(&t, 0, ISN_C + 201, ISN_S + 1, DP_TH_RST, NULL, 0);
	CHECK_EQ(t.f.tcp_state, BH_TCP_CLOSED);
	CHECK_EQ(t.o.d[0].eofs, 1);
	tc_done(&t);

	/* Payload on a RST of an initialised direction is delivered first. */
	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	tx(&t, 0, ISN_C + 1, ISN_S + 1, DP_TH_RST | A, stream_bytes[0], 30);
	check_clean(&t, 0, 30);
	CHECK_EQ(t.o.d[0].eofs, 1);
	tc_done(&t);

	/* A RST with payload on a direction never seen is not a stream. */
	tc_init(&t, 1 << 16, 64);
	tx(&t, 0, 5, 0, DP_TH_RST, stream_bytes[0], 30);
	CHECK_EQ(t.o.d[0].bytes, 0);
	CHECK_EQ(t.f.tcp_state, BH_TCP_CLOSED);
	tc_done(&t);
}

static void test_window(void)
{
	struct tc t;

	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 10);
	tx(&t, 0, ISN_C + 11 + (1u << 30) + 1, ISN_S + 1, AP, stream_bytes[0], 10);
	CHECK_EQ(t.o.anoms[DP_ANOM_TCP_SEQ_OUT_OF_WINDOW], 1);
	tx(&t, 0, ISN_C + 11 - (1u << 30) - 1, ISN_S + 1, AP, stream_bytes[0], 10);
	CHECK_EQ(t.o.anoms[DP_ANOM_TCP_SEQ_OUT_OF_WINDOW], 2);
	tx(&t, 0, ISN_C + 11 + 0x80000000u, ISN_S + 1, AP, stream_bytes[0], 10);
	CHECK_EQ(t.o.anoms[DP_ANOM_TCP_SEQ_OUT_OF_WINDOW], 3);
	CHECK_EQ(t.f.stream[0].overlaps, 0);
	CHECK_EQ(dp_tcp_buffered(&t.f), 10);
	cdata(&t, 10, 10);
	check_clean(&t, 0, 20);
	tc_done(&t);
}

static void test_flush(void)
{
	struct tc t;
	unsigned n0, n1;

	/* Nothing to do on a fresh flow. */
	tc_init(&t, 1 << 16, 64);
	dp_tcp_flush(&t.cfg, &t.f);
	dp_tcp_flush(&t.cfg, &t.f);
	CHECK_EQ(t.o.nlog[0] + t.o.nlog[1], 0);
	tc_done(&t);

	tc_init(&t, 1 << 16, 64);
	handshake(&t);
	cdata(&t, 0, 10);
	cdata(&t, 20, 10);
	cdata(&t, 40, 10);
	sdata(&t, 10, 10, 0);
	dp_tcp_flush(&t.cfg, &t.f);
	CHECK(strcmp(t.o.log[0], "DGDGDE") == 0);
	CHECK(strcmp(t.o.log[1], "GDE") == 0);
	CHECK_EQ(dp_tcp_buffered(&t.f), 0);
	CHECK(t.f.stream[0].buf == NULL && t.f.stream[1].buf == NULL);
	n0 = t.o.nlog[0];
	n1 = t.o.nlog[1];
	dp_tcp_flush(&t.cfg, &t.f);
	CHECK_EQ(t.o.nlog[0], n0);
	CHECK_EQ(t.o.nlog[1], n1);
	CHECK_EQ(t.f.stream[0].gaps, 2);
	tc_done(&t);

	/* Without callbacks nothing breaks. */
	tc_init(&t, 1 << 16, 64);
	t.cfg.data = NULL;
	t.cfg.anom = NULL;
	handshake(&t);
	cdata(&t, 0, 10);
	cdata(&t, 20, 10);
	sack(&t, 40);
	CHECK_EQ(t.f.stream[0].gap_bytes, 20);
	CHECK_EQ(t.f.stream[0].delivered, 20);
	dp_tcp_flush(&t.cfg, &t.f);
	tc_done(&t);

	/* cap 0: nothing buffered or retained, out-of-order data overflows. */
	tc_init(&t, 0, 64);
	handshake(&t);
	cdata(&t, 0, 10);
	CHECK_EQ(dp_tcp_buffered(&t.f), 0);
	cdata(&t, 20, 10);
	CHECK_EQ(dp_tcp_buffered(&t.f), 0);
	CHECK_EQ(t.o.d[0].gap_bytes, 10);
	CHECK_EQ(t.o.d[0].bytes, 20);
	tc_done(&t);
}

/* ---- randomized differential ---- */

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint32_t rnd(void)
{
	return bh_xorshift(&rng_state);
}

struct segspec {
	uint32_t off, len;
};

#define RAND_LEN 20000

/* Cut [0, RAND_LEN) into random segments, add random identical sub-ranges,
 * shuffle. Returns the count. */
static uint32_t mk_segments(struct segspec *s, uint32_t max, uint32_t dups)
{
	uint32_t n = 0, off = 0;

	while (off < RAND_LEN && n < max) {
		uint32_t len = 1 + rnd() % 1460;

		if (len > RAND_LEN - off)
			len = RAND_LEN - off;
		s[n].off = off;
		s[n].len = len;
		n++;
		off += len;
	}
	for (uint32_t i = 0; i < dups && n < max; i++) {
		uint32_t a = rnd() % RAND_LEN, len = 1 + rnd() % 2000;

		if (len > RAND_LEN - a)
			len = RAND_LEN - a;
		s[n].off = a;
		s[n].len = len;
		n++;
	}
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = rnd() % (i + 1);
		struct segspec x = s[i];

		s[i] = s[j];
		s[j] = x;
	}
	return n;
}

static void test_random_exact(void)
{
	static struct segspec segs[256];
	static uint8_t data[RAND_LEN];
	unsigned bad = 0;

	for (unsigned round = 0; round < 200; round++) {
		uint32_t isn = round % 4 == 0 ? 0xffffffffu - rnd() % RAND_LEN : rnd();
		uint32_t n = mk_segments(segs, 256, rnd() % 40);
		struct tc t;

		for (uint32_t i = 0; i < RAND_LEN; i++)
			data[i] = (uint8_t)rnd();
		tc_init(&t, 1 << 20, 100000);
		tx(&t, 0, isn, 0, DP_TH_SYN, NULL, 0);
		for (uint32_t i = 0; i < n; i++)
			tx(&t, 0, isn + 1 + segs[i].off, 0, DP_TH_PSH, data + segs[i].off,
			   segs[i].len);
		tx(&t, 0, isn + 1 + RAND_LEN, 0, DP_TH_FIN, NULL, 0);
		tx(&t, 1, 99, isn + RAND_LEN + 2, DP_TH_ACK, NULL, 0);
		if (t.o.d[0].len != RAND_LEN || t.o.d[0].gaps || t.o.d[0].eofs != 1 ||
		    memcmp(t.o.d[0].buf, data, RAND_LEN) != 0 || t.f.stream[0].conflicts ||
		    anom_total(&t.o) || t.max_buffered > (1u << 20))
			bad++;
		tc_done(&t);
	}
	CHECK_EQ(bad, 0);
}

static void test_random_drops(void)
{
	static struct segspec segs[256];
	static uint8_t data[RAND_LEN];
	unsigned bad = 0, gaps = 0, overflows = 0;

	for (unsigned round = 0; round < 400; round++) {
		uint32_t isn = round % 4 == 0 ? 0xffffffffu - rnd() % RAND_LEN : rnd();
		uint32_t n = mk_segments(segs, 256, rnd() % 20);
		uint32_t drop = rnd() % 5; /* drop one segment in drop + 3 */
		/* Half the rounds run with a small cap and few segments. */
		uint32_t cap = round % 2 ? 1 << 20 : 1000 + rnd() % 8000;
		uint32_t max_segs = round % 2 ? 100000 : 2 + rnd() % 30;
		int acks = round % 3 == 0; /* the peer acks as it goes */
		uint32_t high = 0;
		struct tc t;

		for (uint32_t i = 0; i < RAND_LEN; i++)
			data[i] = (uint8_t)rnd();
		tc_init(&t, cap, max_segs);
		tx(&t, 0, isn, 0, DP_TH_SYN, NULL, 0);
		for (uint32_t i = 0; i < n; i++) {
			if (drop && rnd() % (drop + 3) == 0)
				continue;
			tx(&t, 0, isn + 1 + segs[i].off, 0, DP_TH_PSH, data + segs[i].off,
			   segs[i].len);
			if (segs[i].off + segs[i].len > high)
				high = segs[i].off + segs[i].len;
			if (acks && rnd() % 4 == 0 && high)
				/* A peer acks what it received: at most the highest
				 * byte sent so far. */
				tx(&t, 1, 99, isn + 1 + rnd() % (high + 1), DP_TH_ACK, NULL, 0);
			if (dp_tcp_buffered(&t.f) > cap)
				bad++;
		}
		tx(&t, 0, isn + 1 + RAND_LEN, 0, DP_TH_FIN, NULL, 0);
		tx(&t, 1, 99, isn + RAND_LEN + 2, DP_TH_ACK, NULL, 0);

		/* Every byte accounted for, each delivered one where it belongs. */
		if (t.o.d[0].len != RAND_LEN || t.o.d[0].bytes + t.o.d[0].gap_bytes != RAND_LEN ||
		    t.o.d[0].eofs != 1 || t.f.stream[0].conflicts ||
		    t.f.stream[0].delivered != t.o.d[0].bytes ||
		    t.f.stream[0].gap_bytes != t.o.d[0].gap_bytes)
			bad++;
		for (uint32_t i = 0; i < t.o.d[0].len && i < RAND_LEN; i++)
			if (t.o.d[0].kind[i] == 1 ? t.o.d[0].buf[i] != data[i]
						  : t.o.d[0].kind[i] != 2) {
				bad++;
				break;
			}
		if (t.max_buffered > cap)
			bad++;
		if (t.o.anoms[DP_ANOM_TCP_OVERLAP_CONFLICT] || t.o.anoms[DP_ANOM_TCP_SEQ_OUT_OF_WINDOW])
			bad++;
		gaps += t.o.d[0].gaps;
		overflows += t.f.stream[0].overflows;
		tc_done(&t);
	}
	CHECK_EQ(bad, 0);
	CHECK(gaps > 100);      /* the drops did something */
	CHECK(overflows > 100); /* and so did the small caps */
}

int main(void)
{
	init_patterns();
	RUN(test_states);
	RUN(test_in_order);
	RUN(test_out_of_order);
	RUN(test_retransmission);
	RUN(test_ooo_overlaps);
	RUN(test_gap_ack);
	RUN(test_overflow);
	RUN(test_max_segs);
	RUN(test_wrap);
	RUN(test_midstream);
	RUN(test_syn_data);
	RUN(test_fin);
	RUN(test_rst);
	RUN(test_window);
	RUN(test_flush);
	RUN(test_random_exact);
	RUN(test_random_drops);
	return bh_test_summary();
}
