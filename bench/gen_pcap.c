/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gen_pcap - write a large synthetic Ethernet capture for benchmarks.
 *
 * The same options and seed give the same file, byte for byte (integer-only
 * PRNG and arithmetic). A fixed number of session slots run concurrently; each
 * step picks a slot at random and emits that session's next packet, so
 * conversations interleave as on a busy link:
 *   - TCP: 3-way handshake with MSS/SACK/TS/WS options, 1-4 HTTP/1.1
 *     exchanges (small GETs, some POST uploads; responses mostly small, some
 *     large, a few bulk; 1448-byte segments over IPv4, 1428 over IPv6,
 *     timestamps option on every segment), delayed ACKs every second segment,
 *     FIN close (a few RST); ~0.4% of data segments are sent out of order and
 *     ~0.4% retransmitted with identical bytes.
 *   - UDP DNS query/response pairs (valid DNS wire format, some retried).
 *   - ICMP / ICMPv6 echo request/reply.
 * ~10% of sessions are IPv6. Checksums (IPv4, TCP, UDP, ICMP) are valid.
 * Timestamps advance at a mean line rate given by -r with jitter.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FILLER_SIZE (1u << 16)
#define OUTBUF_SIZE (8u << 20)
#define MAX_FRAME 1600
#define HDR_MAX 1100

enum kind { K_TCP, K_DNS, K_ICMP };

enum tstate {
	T_SYN,
	T_SYNACK,
	T_HSACK,
	T_XFER,
	T_FIN_C,
	T_FIN_S,
	T_LASTACK,
	T_DONE,
};

struct host {
	uint8_t v6;
	uint8_t addr[16];
	uint8_t mac[6];
	uint16_t next_port;
	uint16_t ip_id;
};

struct sess {
	uint8_t kind, state, v6;
	uint8_t xdir;            /* direction of the current transfer: 0 client->server */
	uint8_t unacked;         /* receiver's segments not yet acknowledged */
	uint8_t has_pend;
	uint8_t pend_hole;        /* pending segment was overtaken: a hole */
	uint8_t step_no;          /* ICMP: packets sent */
	uint8_t rst_close;
	uint8_t exchanges_left;
	struct host *c, *s;
	uint16_t cport, sport;
	uint32_t isn[2];
	uint64_t off[2];         /* data bytes sent (new) per direction */
	uint64_t xstart, xend;   /* current message in stream xdir */
	uint64_t pend_off;
	uint32_t pend_len;
	uint32_t salt;
	uint32_t tsval[2];
	uint16_t mss;
	uint16_t id;             /* DNS id, ICMP id */
	uint16_t icmp_seq;
	uint16_t hdr_len;
	char hdr[HDR_MAX];       /* message header at xstart of stream xdir */
};

struct gen {
	uint64_t rng;
	uint64_t now_ns;
	uint32_t rate_mbit;
	FILE *out;
	uint8_t *buf;
	size_t used;
	uint8_t filler[FILLER_SIZE];
	struct host *clients4, *clients6, *servers4, *servers6, dns4, dns6;
	unsigned nc4, nc6, ns4, ns6;
	struct sess *slots;
	unsigned nslots;
	/* what was written */
	uint64_t pkts, bytes, tcp, udp, icmp, v6pkts;
	uint64_t sess_tcp, sess_dns, sess_icmp, reordered, retransmitted;
	int err;
};

/* xoshiro-like quality is not needed; splitmix64 is deterministic and fast. */
static uint64_t rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(struct gen *g, uint32_t n)
{
	return (uint32_t)(((rnd(g) >> 32) * (uint64_t)n) >> 32);
}

/* True with probability num/den. */
static bool chance(struct gen *g, uint32_t num, uint32_t den)
{
	return rnd_below(g, den) < num;
}

/* Log-uniform-ish integer in [lo, hi): a power-of-two octave, then uniform
 * within it. Integer-only, so files are identical on every libm. */
static uint64_t rnd_log(struct gen *g, uint64_t lo, uint64_t hi)
{
	unsigned blo = 63 - (unsigned)__builtin_clzll(lo), bhi = 63 - (unsigned)__builtin_clzll(hi);
	unsigned b = blo + rnd_below(g, bhi - blo + 1);
	uint64_t base = 1ULL << b, v = base + (rnd(g) % base);

	if (v < lo)
		v = lo + (v % (hi - lo));
	if (v >= hi)
		v = lo + (v % (hi - lo));
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void putle32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int flush_out(struct gen *g)
{
	if (g->used && fwrite(g->buf, 1, g->used, g->out) != g->used) {
		g->err = errno ? -errno : -EIO;
		return g->err;
	}
	g->used = 0;
	return 0;
}

/* Start a frame: returns where the Ethernet header goes, after room for the
 * pcap record header. */
static uint8_t *frame_begin(struct gen *g)
{
	if (OUTBUF_SIZE - g->used < 16 + MAX_FRAME)
		flush_out(g);
	return g->buf + g->used + 16;
}

static void frame_end(struct gen *g, size_t len)
{
	uint8_t *rec = g->buf + g->used;
	uint64_t gap = (uint64_t)(len + 24) * 8 * 1000 / g->rate_mbit; /* + preamble, IFG, FCS */

	/* Jitter in [0.25, 1.75) of the line-rate gap keeps the mean rate. */
	g->now_ns += gap * (256 + rnd_below(g, 1536)) / 1024;
	putle32(rec, (uint32_t)(g->now_ns / 1000000000u));
	putle32(rec + 4, (uint32_t)(g->now_ns / 1000u % 1000000u));
	putle32(rec + 8, (uint32_t)len);
	putle32(rec + 12, (uint32_t)len);
	g->used += 16 + len;
	g->pkts++;
	g->bytes += 16 + len;
}

/* Ethernet + IP header from @src to @dst; returns the L4 offset. */
static size_t ip_header(uint8_t *f, struct host *src, const struct host *dst, uint8_t proto,
			size_t l4len, uint8_t ttl)
{
	memcpy(f, dst->mac, 6);
	memcpy(f + 6, src->mac, 6);
	if (!src->v6) {
		uint8_t *ip = f + 14;

		put16(f + 12, 0x0800);
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(20 + l4len));
		put16(ip + 4, src->ip_id++);
		put16(ip + 6, 0x4000);
		ip[8] = ttl;
		ip[9] = proto;
		put16(ip + 10, 0);
		memcpy(ip + 12, src->addr + 12, 4);
		memcpy(ip + 16, dst->addr + 12, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		return 34;
	} else {
		uint8_t *ip = f + 14;

		put16(f + 12, 0x86dd);
		put32(ip, 0x60000000u | ((uint32_t)src->ip_id++ & 0xfffff));
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = proto;
		ip[7] = ttl;
		memcpy(ip + 8, src->addr, 16);
		memcpy(ip + 24, dst->addr, 16);
		return 54;
	}
}

/* Pseudo-header sum for the L4 checksum. */
static uint32_t pseudo_sum(const struct host *src, const struct host *dst, uint8_t proto,
			   size_t l4len)
{
	uint32_t s = 0;

	if (src->v6) {
		s = csum_add(s, src->addr, 16);
		s = csum_add(s, dst->addr, 16);
	} else {
		s = csum_add(s, src->addr + 12, 4);
		s = csum_add(s, dst->addr + 12, 4);
	}
	return s + proto + (uint32_t)l4len;
}

/* Byte @o of stream @dir of @s during the current transfer. */
static void stream_bytes(const struct gen *g, const struct sess *s, unsigned dir, uint64_t o,
			 uint8_t *dst, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++, o++) {
		uint64_t r = o - s->xstart;

		if (dir == s->xdir && o >= s->xstart && r < s->hdr_len)
			dst[i] = (uint8_t)s->hdr[r];
		else
			dst[i] = g->filler[(o + s->salt + dir * 7919u) & (FILLER_SIZE - 1)];
	}
}

/* Bytes of stream @d the other side has received in order: up to a hole
 * left by an overtaken segment. A receiver never acknowledges past it. */
static uint64_t received(const struct sess *s, unsigned d)
{
	if (s->has_pend && s->pend_hole && s->xdir == d)
		return s->pend_off;
	return s->off[d];
}

/* One TCP segment of @s in direction @dir: stream bytes [off, off+len). */
static void emit_tcp(struct gen *g, struct sess *s, unsigned dir, uint8_t flags, uint64_t off,
		     uint32_t len)
{
	struct host *src = dir ? s->s : s->c, *dst = dir ? s->c : s->s;
	uint8_t *f = frame_begin(g), *t;
	bool syn = flags & 0x02;
	size_t optlen = syn ? 20 : 12, l4len = 20 + optlen + len, l4;
	uint32_t seq = s->isn[dir] + 1 + (uint32_t)off;

	if (syn)
		seq = s->isn[dir];
	l4 = ip_header(f, src, dst, 6, l4len, dir ? 57 : 64);
	t = f + l4;
	put16(t, dir ? s->sport : s->cport);
	put16(t + 2, dir ? s->cport : s->sport);
	put32(t + 4, seq);
	put32(t + 8, (flags & 0x10) ? s->isn[!dir] + 1 + (uint32_t)received(s, !dir) : 0);
	t[12] = (uint8_t)((20 + optlen) / 4) << 4;
	t[13] = flags;
	put16(t + 14, syn ? 64240 : 502); /* 502 << wscale 7 */
	put16(t + 16, 0);
	put16(t + 18, 0);
	s->tsval[dir] += 1 + rnd_below(g, 3);
	if (syn) {
		uint8_t *o = t + 20;

		o[0] = 2, o[1] = 4;
		put16(o + 2, s->v6 ? 1440 : 1460);
		o[4] = 4, o[5] = 2;      /* SACK permitted */
		o[6] = 8, o[7] = 10;     /* timestamps */
		put32(o + 8, s->tsval[dir]);
		put32(o + 12, dir ? s->tsval[0] : 0);
		o[16] = 1;               /* NOP */
		o[17] = 3, o[18] = 3, o[19] = 7; /* window scale 7 */
	} else {
		uint8_t *o = t + 20;

		o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
		put32(o + 4, s->tsval[dir]);
		put32(o + 8, s->tsval[!dir]);
	}
	if (len)
		stream_bytes(g, s, dir, off, t + 20 + optlen, len);
	put16(t + 16, csum_fold(csum_add(pseudo_sum(src, dst, 6, l4len), t, l4len)));
	frame_end(g, l4 + l4len);
	g->tcp++;
	g->v6pkts += s->v6;
}

static struct host *pick_client(struct gen *g, bool v6)
{
	return v6 ? &g->clients6[rnd_below(g, g->nc6)] : &g->clients4[rnd_below(g, g->nc4)];
}

/* Popular servers get more sessions: the min of two uniform draws. */
static struct host *pick_server(struct gen *g, bool v6)
{
	unsigned n = v6 ? g->ns6 : g->ns4, a = rnd_below(g, n), b = rnd_below(g, n);

	return v6 ? &g->servers6[a < b ? a : b] : &g->servers4[a < b ? a : b];
}

static uint16_t eph_port(struct host *h)
{
	uint16_t p = h->next_port++;

	if (h->next_port < 32768 || h->next_port > 60999)
		h->next_port = 32768;
	return p;
}

static void start_request(struct gen *g, struct sess *s)
{
	static const char *const paths[] = {"/", "/index.html", "/api/v1/items", "/static/app.js",
					    "/img/logo.png", "/download/file.bin", "/search"};
	uint32_t want = 180 + rnd_below(g, 700);
	uint64_t body = 0;
	int n;

	if (chance(g, 5, 100))
		body = rnd_log(g, 2048, 65536);
	n = snprintf(s->hdr, sizeof(s->hdr),
		     "%s %s?id=%u HTTP/1.1\r\nHost: srv%u.example.net\r\n"
		     "User-Agent: bench/1.0\r\nAccept: */*\r\nConnection: keep-alive\r\n",
		     body ? "POST" : "GET", paths[rnd_below(g, 7)], rnd_below(g, 100000),
		     (unsigned)(s->s - (s->v6 ? g->servers6 : g->servers4)));
	if (body)
		n += snprintf(s->hdr + n, sizeof(s->hdr) - (size_t)n,
			      "Content-Type: application/octet-stream\r\nContent-Length: %llu\r\n",
			      (unsigned long long)body);
	if ((uint32_t)n + 12 < want) {
		uint32_t pad = want - (uint32_t)n - 12;

		memcpy(s->hdr + n, "Cookie: s=", 10);
		n += 10;
		for (uint32_t i = 0; i < pad; i++)
			s->hdr[n++] = (char)('a' + (s->salt + i * 7) % 26);
		s->hdr[n++] = '\r';
		s->hdr[n++] = '\n';
	}
	s->hdr[n++] = '\r';
	s->hdr[n++] = '\n';
	s->hdr_len = (uint16_t)n;
	s->xdir = 0;
	s->xstart = s->off[0];
	s->xend = s->xstart + (uint64_t)n + body;
	s->unacked = 0;
	s->has_pend = 0;
	s->state = T_XFER;
}

static void start_response(struct gen *g, struct sess *s)
{
	uint32_t r = rnd_below(g, 1000);
	uint64_t body;
	int n;

	if (r < 3)
		body = rnd_log(g, 1u << 20, 16u << 20);     /* bulk */
	else if (r < 33)
		body = rnd_log(g, 64u << 10, 1u << 20);     /* large */
	else if (r < 283)
		body = rnd_log(g, 4u << 10, 64u << 10);     /* medium */
	else
		body = rnd_log(g, 100, 4u << 10);           /* small */
	n = snprintf(s->hdr, sizeof(s->hdr),
		     "HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: application/octet-stream\r\n"
		     "Content-Length: %llu\r\nConnection: keep-alive\r\n\r\n",
		     (unsigned long long)body);
	s->hdr_len = (uint16_t)n;
	s->xdir = 1;
	s->xstart = s->off[1];
	s->xend = s->xstart + (uint64_t)n + body;
	s->unacked = 0;
	s->has_pend = 0;
}

static void tcp_step(struct gen *g, struct sess *s)
{
	unsigned d = s->xdir;

	switch (s->state) {
	case T_SYN:
		emit_tcp(g, s, 0, 0x02, 0, 0);
		s->state = T_SYNACK;
		return;
	case T_SYNACK:
		emit_tcp(g, s, 1, 0x12, 0, 0);
		s->state = T_HSACK;
		return;
	case T_HSACK:
		emit_tcp(g, s, 0, 0x10, 0, 0);
		start_request(g, s);
		return;
	case T_XFER:
		break;
	case T_FIN_C:
		if (s->rst_close) {
			emit_tcp(g, s, 1, 0x14, s->off[1], 0);
			s->state = T_DONE;
			return;
		}
		emit_tcp(g, s, 0, 0x11, s->off[0], 0);
		s->off[0]++; /* the FIN takes a sequence number */
		s->state = T_FIN_S;
		return;
	case T_FIN_S:
		emit_tcp(g, s, 1, 0x11, s->off[1], 0);
		s->off[1]++;
		s->state = T_LASTACK;
		return;
	case T_LASTACK:
		emit_tcp(g, s, 0, 0x10, s->off[0], 0);
		s->state = T_DONE;
		return;
	default:
		return;
	}

	/* The receiver acknowledges every second full segment. */
	if (s->unacked >= 2) {
		emit_tcp(g, s, !d, 0x10, s->off[!d], 0);
		s->unacked = 0;
		return;
	}
	if (s->has_pend) {
		s->has_pend = 0; /* its own ACK field may now cover it */
		emit_tcp(g, s, d, 0x10, s->pend_off, s->pend_len);
		s->unacked++;
		return;
	}
	if (s->off[d] < s->xend) {
		uint64_t left = s->xend - s->off[d];
		uint32_t len = left < s->mss ? (uint32_t)left : s->mss;
		uint8_t fl = 0x10;

		if (left > (uint64_t)s->mss * 2 && chance(g, 1, 256)) {
			/* Out of order: the next segment overtakes this one. */
			s->pend_off = s->off[d];
			s->pend_len = len;
			s->has_pend = 1;
			s->pend_hole = 1;
			emit_tcp(g, s, d, 0x10, s->off[d] + len, s->mss);
			s->off[d] += len + s->mss;
			g->reordered++;
			s->unacked++;
			return;
		}
		if (left == len)
			fl |= 0x08; /* PSH on the last segment of a message */
		/* The ACK field reflects what the sender has received. */
		emit_tcp(g, s, d, fl, s->off[d], len);
		if (len == s->mss && chance(g, 1, 256)) {
			/* Spurious retransmission of the same bytes. */
			s->pend_off = s->off[d];
			s->pend_len = len;
			s->has_pend = 1;
			s->pend_hole = 0;
			g->retransmitted++;
		}
		s->off[d] += len;
		s->unacked++;
		return;
	}
	/* Message complete. */
	if (d == 0) {
		start_response(g, s); /* the response's first segment acks the request */
		tcp_step(g, s);
		return;
	}
	if (s->unacked) {
		emit_tcp(g, s, 0, 0x10, s->off[0], 0);
		s->unacked = 0;
		return;
	}
	if (s->exchanges_left > 1) {
		s->exchanges_left--;
		start_request(g, s);
		tcp_step(g, s);
		return;
	}
	s->state = T_FIN_C;
	tcp_step(g, s);
}

static size_t dns_name(uint8_t *p, struct gen *g, uint32_t site)
{
	static const char *const labels[] = {"www", "api", "cdn", "mail", "static", "login"};
	const char *l = labels[rnd_below(g, 6)];
	size_t n = 0, ll = strlen(l);
	char mid[16];
	int ml = snprintf(mid, sizeof(mid), "site%u", site);

	p[n++] = (uint8_t)ll;
	memcpy(p + n, l, ll);
	n += ll;
	p[n++] = (uint8_t)ml;
	memcpy(p + n, mid, (size_t)ml);
	n += (size_t)ml;
	p[n++] = 7;
	memcpy(p + n, "example", 7);
	n += 7;
	p[n++] = 3;
	memcpy(p + n, "com", 3);
	n += 3;
	p[n++] = 0;
	return n;
}

static void emit_udp(struct gen *g, struct sess *s, unsigned dir, const uint8_t *pl, size_t len)
{
	struct host *src = dir ? s->s : s->c, *dst = dir ? s->c : s->s;
	uint8_t *f = frame_begin(g), *u;
	size_t l4len = 8 + len, l4 = ip_header(f, src, dst, 17, l4len, dir ? 60 : 64);
	uint16_t c;

	u = f + l4;
	put16(u, dir ? s->sport : s->cport);
	put16(u + 2, dir ? s->cport : s->sport);
	put16(u + 4, (uint16_t)l4len);
	put16(u + 6, 0);
	memcpy(u + 8, pl, len);
	c = csum_fold(csum_add(pseudo_sum(src, dst, 17, l4len), u, l4len));
	put16(u + 6, c ? c : 0xffff);
	frame_end(g, l4 + l4len);
	g->udp++;
	g->v6pkts += s->v6;
}

/* DNS: query (retried now and then), then the answer. The question is
 * rebuilt from the session's salt so the reply repeats it exactly. */
static void dns_step(struct gen *g, struct sess *s)
{
	uint8_t m[512];
	size_t n = 12, q;
	uint64_t save = g->rng;
	bool aaaa = s->salt & 1;

	put16(m, s->id);
	put16(m + 2, s->state == 2 ? 0x8180 : 0x0100);
	put16(m + 4, 1);
	put16(m + 6, 0);
	put16(m + 8, 0);
	put16(m + 10, 0);
	g->rng = s->salt; /* same name for query, retry and answer */
	q = dns_name(m + n, g, s->salt % 5000);
	g->rng = save;
	n += q;
	put16(m + n, aaaa ? 28 : 1);
	put16(m + n + 2, 1);
	n += 4;
	if (s->state < 2) {
		emit_udp(g, s, 0, m, n);
		s->state = (s->state == 0 && chance(g, 3, 100)) ? 1 : 2;
		return;
	}
	{
		unsigned an = 1 + (s->salt >> 8) % 4;

		put16(m + 6, (uint16_t)an);
		for (unsigned i = 0; i < an; i++) {
			put16(m + n, 0xc00c);
			put16(m + n + 2, aaaa ? 28 : 1);
			put16(m + n + 4, 1);
			put32(m + n + 6, 300);
			put16(m + n + 10, aaaa ? 16 : 4);
			n += 12;
			for (unsigned k = 0; k < (aaaa ? 16u : 4u); k++)
				m[n++] = (uint8_t)(s->salt >> (k % 4 * 8)) ^ (uint8_t)(i * 31 + k);
		}
	}
	emit_udp(g, s, 1, m, n);
	s->state = T_DONE;
}

static void icmp_step(struct gen *g, struct sess *s)
{
	unsigned dir = s->step_no & 1;
	struct host *src = dir ? s->s : s->c, *dst = dir ? s->c : s->s;
	uint8_t *f = frame_begin(g), *ic;
	size_t l4len = 8 + 56, l4;
	uint8_t proto = s->v6 ? 58 : 1;
	uint32_t sum;

	l4 = ip_header(f, src, dst, proto, l4len, dir ? 57 : 64);
	ic = f + l4;
	ic[0] = s->v6 ? (dir ? 129 : 128) : (dir ? 0 : 8);
	ic[1] = 0;
	put16(ic + 2, 0);
	put16(ic + 4, s->id);
	put16(ic + 6, s->icmp_seq);
	for (unsigned i = 0; i < 56; i++)
		ic[8 + i] = (uint8_t)(0x10 + i);
	put32(ic + 8, (uint32_t)(g->now_ns / 1000000000u));
	sum = csum_add(s->v6 ? pseudo_sum(src, dst, 58, l4len) : 0, ic, l4len);
	put16(ic + 2, csum_fold(sum));
	frame_end(g, l4 + l4len);
	g->icmp++;
	g->v6pkts += s->v6;
	if (dir)
		s->icmp_seq++;
	if (++s->step_no >= 2u * s->exchanges_left)
		s->state = T_DONE;
}

static void sess_new(struct gen *g, struct sess *s)
{
	uint32_t r = rnd_below(g, 100);

	memset(s, 0, offsetof(struct sess, hdr));
	s->v6 = chance(g, 1, 10);
	s->c = pick_client(g, s->v6);
	s->salt = (uint32_t)rnd(g);
	s->id = (uint16_t)rnd(g);
	if (r < 55) {
		static const uint16_t ports[] = {80, 80, 80, 80, 80, 80, 80, 8080, 8000, 80};

		s->kind = K_TCP;
		s->s = pick_server(g, s->v6);
		s->cport = eph_port(s->c);
		s->sport = ports[rnd_below(g, 10)];
		s->isn[0] = (uint32_t)rnd(g);
		s->isn[1] = (uint32_t)rnd(g);
		s->tsval[0] = (uint32_t)rnd(g);
		s->tsval[1] = (uint32_t)rnd(g);
		s->mss = s->v6 ? 1428 : 1448;
		s->exchanges_left = (uint8_t)(1 + rnd_below(g, 4));
		s->rst_close = chance(g, 2, 100);
		s->state = T_SYN;
		g->sess_tcp++;
	} else if (r < 97) {
		s->kind = K_DNS;
		s->s = s->v6 ? &g->dns6 : &g->dns4;
		s->cport = eph_port(s->c);
		s->sport = 53;
		g->sess_dns++;
	} else {
		s->kind = K_ICMP;
		s->s = pick_server(g, s->v6);
		s->exchanges_left = (uint8_t)(1 + rnd_below(g, 4));
		g->sess_icmp++;
	}
}

static void step(struct gen *g)
{
	struct sess *s = &g->slots[rnd_below(g, g->nslots)];

	if (s->state == T_DONE)
		sess_new(g, s);
	switch (s->kind) {
	case K_TCP:
		tcp_step(g, s);
		break;
	case K_DNS:
		dns_step(g, s);
		break;
	default:
		icmp_step(g, s);
		break;
	}
}

static void host_init(struct gen *g, struct host *h, bool v6, const uint8_t *addr)
{
	memset(h, 0, sizeof(*h));
	h->v6 = v6;
	if (v6) {
		memcpy(h->addr, addr, 16);
	} else {
		h->addr[10] = h->addr[11] = 0xff;
		memcpy(h->addr + 12, addr, 4);
	}
	h->mac[0] = 0x02; /* locally administered */
	h->mac[1] = h->addr[5];
	memcpy(h->mac + 2, h->addr + 12, 4);
	h->next_port = (uint16_t)(32768 + rnd_below(g, 28000));
	h->ip_id = (uint16_t)rnd(g);
}

static int hosts_init(struct gen *g, unsigned nclients)
{
	uint8_t a[16];

	g->nc4 = nclients;
	g->nc6 = nclients / 10 ? nclients / 10 : 1;
	g->ns4 = 48;
	g->ns6 = 8;
	g->clients4 = calloc(g->nc4, sizeof(struct host));
	g->clients6 = calloc(g->nc6, sizeof(struct host));
	g->servers4 = calloc(g->ns4, sizeof(struct host));
	g->servers6 = calloc(g->ns6, sizeof(struct host));
	if (!g->clients4 || !g->clients6 || !g->servers4 || !g->servers6)
		return -ENOMEM;
	for (unsigned i = 0; i < g->nc4; i++) {
		uint8_t v4[4] = {10, (uint8_t)(1 + i / 250), 0, (uint8_t)(1 + i % 250)};

		host_init(g, &g->clients4[i], false, v4);
	}
	for (unsigned i = 0; i < g->ns4; i++) {
		uint8_t v4[4] = {i % 2 ? 198 : 192, i % 2 ? 51 : 0, i % 2 ? 100 : 2,
				 (uint8_t)(10 + i / 2)};

		host_init(g, &g->servers4[i], false, v4);
	}
	host_init(g, &g->dns4, false, (const uint8_t[]){10, 0, 0, 53});
	memset(a, 0, sizeof(a));
	a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
	for (unsigned i = 0; i < g->nc6; i++) {
		a[5] = 1;
		a[14] = (uint8_t)(i >> 8);
		a[15] = (uint8_t)(i + 1);
		host_init(g, &g->clients6[i], true, a);
	}
	for (unsigned i = 0; i < g->ns6; i++) {
		a[5] = 2;
		a[14] = 0;
		a[15] = (uint8_t)(i + 1);
		host_init(g, &g->servers6[i], true, a);
	}
	a[5] = 0x53;
	a[15] = 1;
	host_init(g, &g->dns6, true, a);
	return 0;
}

static int parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: gen_pcap [-s SIZE | -n PACKETS] [-c SESSIONS] [-H HOSTS] [-r MBIT]\n"
	      "                [-S SEED] -o FILE|-\n"
	      "  -s SIZE      stop at this file size (K/M/G suffixes; default 256M)\n"
	      "  -n PACKETS   stop after this many packets\n"
	      "  -c SESSIONS  concurrent sessions (default 2000)\n"
	      "  -H HOSTS     IPv4 clients (default 300; IPv6 clients: a tenth)\n"
	      "  -r MBIT      mean line rate for timestamps (default 400)\n"
	      "  -S SEED      PRNG seed (default 1)\n",
	      f);
}

int main(int argc, char **argv)
{
	struct gen *g;
	uint64_t max_bytes = 0, max_pkts = 0, v = 0, seed = 1;
	unsigned conc = 2000, clients = 300;
	uint32_t rate = 400;
	const char *path = NULL;
	struct timespec t0, t1;
	int c, ret = 1;

	while ((c = getopt(argc, argv, "s:n:c:H:r:S:o:h")) != -1) {
		if (c != 'o' && c != 'h' && (parse_size(optarg, &v) < 0 || v == 0)) {
			fprintf(stderr, "gen_pcap: -%c: bad number '%s'\n", c, optarg);
			return 2;
		}
		switch (c) {
		case 's': max_bytes = v; break;
		case 'n': max_pkts = v; break;
		case 'c': conc = v > 1000000 ? 1000000 : (unsigned)v; break;
		case 'H': clients = v > 60000 ? 60000 : (unsigned)v; break;
		case 'r': rate = v > 1000000 ? 1000000 : (uint32_t)v; break;
		case 'S': seed = v; break;
		case 'o': path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!max_bytes && !max_pkts)
		max_bytes = 256u << 20;
	g = calloc(1, sizeof(*g));
	if (!g)
		return 1;
	g->rng = seed * 0x2545f4914f6cdd1dULL + 1;
	g->rate_mbit = rate;
	g->now_ns = 1700000000ULL * 1000000000ULL;
	for (size_t i = 0; i < FILLER_SIZE; i++)
		g->filler[i] = (uint8_t)(rnd(g) >> 56);
	g->nslots = conc;
	g->slots = calloc(conc, sizeof(struct sess));
	g->buf = malloc(OUTBUF_SIZE);
	if (!g->slots || !g->buf || hosts_init(g, clients) < 0) {
		fputs("gen_pcap: out of memory\n", stderr);
		goto out;
	}
	for (unsigned i = 0; i < conc; i++)
		g->slots[i].state = T_DONE;
	g->out = strcmp(path, "-") == 0 ? stdout : fopen(path, "wbe");
	if (!g->out) {
		fprintf(stderr, "gen_pcap: %s: %s\n", path, strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* pcap global header: magic, v2.4, thiszone, sigfigs, snaplen, Ethernet */
	putle32(g->buf, 0xa1b2c3d4);
	g->buf[4] = 2, g->buf[5] = 0, g->buf[6] = 4, g->buf[7] = 0;
	memset(g->buf + 8, 0, 8);
	putle32(g->buf + 16, 65535);
	putle32(g->buf + 20, 1);
	g->used = 24;
	g->bytes = 24;
	while (!g->err && (!max_bytes || g->bytes + 16 + 1514 <= max_bytes) &&
	       (!max_pkts || g->pkts < max_pkts))
		step(g);
	flush_out(g);
	if (g->out != stdout && fclose(g->out) != 0 && !g->err)
		g->err = -errno;
	if (g->err) {
		fprintf(stderr, "gen_pcap: %s: write error: %s\n", path, strerror(-g->err));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr,
		"gen_pcap: %s: %llu packets, %llu bytes (tcp %llu, udp %llu, icmp %llu; ipv6 %llu)\n"
		"gen_pcap: sessions started: tcp %llu, dns %llu, icmp %llu; %u concurrent; "
		"%llu segments reordered, %llu retransmitted\n"
		"gen_pcap: capture spans %.3f s at ~%u Mbit/s; generated in %.2f s (seed %llu)\n",
		path, (unsigned long long)g->pkts, (unsigned long long)g->bytes,
		(unsigned long long)g->tcp, (unsigned long long)g->udp,
		(unsigned long long)g->icmp, (unsigned long long)g->v6pkts,
		(unsigned long long)g->sess_tcp, (unsigned long long)g->sess_dns,
		(unsigned long long)g->sess_icmp, conc, (unsigned long long)g->reordered,
		(unsigned long long)g->retransmitted,
		(double)(g->now_ns - 1700000000ULL * 1000000000ULL) / 1e9, rate,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		(unsigned long long)seed);
	ret = 0;
out:
	free(g->clients4);
	free(g->clients6);
	free(g->servers4);
	free(g->servers6);
	free(g->slots);
	free(g->buf);
	free(g);
	return ret;
}
