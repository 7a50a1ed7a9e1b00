/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_dns.c - the DNS parser against dpi_dns.h: real dig/dnsmasq messages
 * from tests/data/real-dns.pcap, hand-built responses (CNAME chains, MX, TXT,
 * NXDOMAIN with SOA, AXFR), compression pointers (backward, forward, loops,
 * the hop cap), label and name length limits, escaping and case folding,
 * every truncation of valid messages, TCP framing split at every byte, the
 * probe, and random mutations. Every input ends at a guard page.
 */
#include <errno.h>
#include <string.h>

#include "bh_test.h"
#include "dpi_dns.h"

static struct dpi_dns_scratch *scratch; /* one per test binary, as per worker */

/* ---- vectors from tests/data/real-dns.pcap (tshark -e udp.payload / tcp.payload) ---- */

/* UDP: dig web.bh.test A -> dnsmasq, and the answer. */
static const char real_a_q[] =
	"a6ec01200001000000000001037765620262680474657374000001000100002904d000000000000c"
	"000a0008b0318db3de55791f";
static const char real_a_r[] =
	"a6ec858000010001000000010377656202626804746573740000010001c00c000100010000000000"
	"040a63010a00002904d0000000000000";
static const char real_aaaa_r[] =
	"79448580000100010000000103776562026268047465737400001c0001c00c001c00010000000000"
	"10fd00009900000000000000000000001000002904d0000000000000";
static const char real_nx_r[] =
	"095481830001000000000001076d697373696e670262680474657374000001000100002904d00000"
	"00000000";
static const char real_mx_q[] =
	"292401200001000000000001026268047465737400000f000100002904d000000000000c000a0008"
	"464e151358e616b8";
static const char real_mx_r[] =
	"292485800001000100000001026268047465737400000f0001c00c000f000100000000000f000a03"
	"77656202626804746573740000002904d0000000000000";
/* TCP (with the length prefix): dig +tcp info.bh.test TXT, both directions. */
static const char real_txt_tcp_q[] =
	"00350c8e0120000100000000000104696e666f0262680474657374000010000100002904d0000000"
	"00000c000a00084b8e7ce9cbb48281";
static const char real_txt_tcp_r[] =
	"00480c8e8580000100010000000104696e666f02626804746573740000100001c00c001000010000"
	"000000131262756c6b686561642074657374207a6f6e6500002904d0000000000000";
static const char real_a_tcp_q[] =
	"0034666a0120000100000000000103646e730262680474657374000001000100002904d000000000"
	"000c000a000849b9e93490910650";
static const char real_a_tcp_r[] =
	"0038666a8580000100010000000103646e7302626804746573740000010001c00c00010001000000"
	"0000040a63013500002904d0000000000000";

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; h[0] && h[1] && n < cap; h += 2) {
		unsigned v = 0;

		for (int i = 0; i < 2; i++) {
			char c = h[i];

			v = v << 4 | (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
		}
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* ---- a message builder ---- */

struct mb {
	uint8_t b[8192];
	size_t n;
};

static void mb_u8(struct mb *m, unsigned v)
{
	if (m->n >= sizeof(m->b))
		abort();
	m->b[m->n++] = (uint8_t)v;
}

static void mb_u16(struct mb *m, unsigned v)
{
	mb_u8(m, v >> 8 & 0xff);
	mb_u8(m, v & 0xff);
}

static void mb_u32(struct mb *m, uint32_t v)
{
	mb_u16(m, v >> 16);
	mb_u16(m, v & 0xffff);
}

static void mb_bytes(struct mb *m, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mb_u8(m, ((const uint8_t *)p)[i]);
}

static void mb_hdr(struct mb *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
		   unsigned ns, unsigned ar)
{
	m->n = 0;
	mb_u16(m, id);
	mb_u16(m, flags);
	mb_u16(m, qd);
	mb_u16(m, an);
	mb_u16(m, ns);
	mb_u16(m, ar);
}

/* Labels of dotted @name; without a terminating zero when @ptr >= 0, which
 * is then written as a compression pointer. Returns the name's offset. */
static size_t mb_name_ptr(struct mb *m, const char *name, int ptr)
{
	size_t at = m->n;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		mb_u8(m, (unsigned)l);
		mb_bytes(m, name, l);
		name += l + (dot ? 1 : 0);
	}
	if (ptr >= 0)
		mb_u16(m, 0xc000u | (unsigned)ptr);
	else
		mb_u8(m, 0);
	return at;
}

static size_t mb_name(struct mb *m, const char *name)
{
	return mb_name_ptr(m, name, -1);
}

static void mb_q(struct mb *m, const char *name, unsigned type)
{
	mb_name(m, name);
	mb_u16(m, type);
	mb_u16(m, DPI_DNS_CLASS_IN);
}

/* Record header after its owner name; returns where RDLENGTH sits. */
static size_t mb_rr(struct mb *m, unsigned type, uint32_t ttl)
{
	size_t at;

	mb_u16(m, type);
	mb_u16(m, DPI_DNS_CLASS_IN);
	mb_u32(m, ttl);
	at = m->n;
	mb_u16(m, 0);
	return at;
}

static void mb_rdend(struct mb *m, size_t at)
{
	size_t l = m->n - at - 2;

	m->b[at] = (uint8_t)(l >> 8);
	m->b[at + 1] = (uint8_t)l;
}

/* ---- parsing behind a guard page ---- */

struct res {
	uint8_t *g;
	size_t n;
	int r;
	struct dpi_dns_msg msg;
};

static struct res *parse(const uint8_t *b, size_t n)
{
	static struct res res;

	res.g = guard_dup(b, n);
	res.n = n;
	res.r = dpi_dns_parse_msg(res.g, n, &res.msg, scratch);
	return &res;
}

static void done(struct res *r)
{
	guard_free(r->g, r->n);
}

static bool has_anom(const struct dpi_dns_msg *msg, const char *ev)
{
	for (unsigned i = 0; i < msg->n_anomalies; i++)
		if (!strcmp(msg->anomalies[i], ev))
			return true;
	return false;
}

static bool name_is(const struct dpi_dns_name *nm, const char *s)
{
	return nm->text && strlen(nm->text) == nm->len && !strcmp(nm->text, s);
}

/* ---- real messages ---- */

static void test_real_udp(void)
{
	uint8_t b[512];
	size_t n;
	struct res *r;

	n = unhex(real_a_q, b, sizeof(b));
	r = parse(b, n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.id, 0xa6ec);
	CHECK(!r->msg.qr);
	CHECK(r->msg.rd);
	CHECK(r->msg.ad);
	CHECK_EQ(r->msg.opcode, 0);
	CHECK_EQ(r->msg.n_questions, 1);
	CHECK(name_is(&r->msg.questions[0].name, "web.bh.test"));
	CHECK_EQ(r->msg.questions[0].name.labels, 3);
	CHECK(!r->msg.questions[0].name.non_ldh);
	CHECK_EQ(r->msg.questions[0].qtype, DPI_DNS_TYPE_A);
	CHECK_EQ(r->msg.questions[0].qclass, DPI_DNS_CLASS_IN);
	CHECK_EQ(r->msg.arcount, 1);
	CHECK_EQ(r->msg.n_anomalies, 0);
	CHECK(dpi_dns_probe(r->g, n, false));
	done(r);

	n = unhex(real_a_r, b, sizeof(b));
	r = parse(b, n);
	CHECK_EQ(r->r, 0);
	CHECK(r->msg.qr);
	CHECK(r->msg.aa);
	CHECK(r->msg.ra);
	CHECK_EQ(r->msg.rcode, 0);
	CHECK_EQ(r->msg.n_answers, 1);
	CHECK(name_is(&r->msg.answers[0].name, "web.bh.test"));
	CHECK_EQ(r->msg.answers[0].rrtype, DPI_DNS_TYPE_A);
	CHECK_EQ(r->msg.answers[0].ttl, 0);
	CHECK_EQ(r->msg.answers[0].kind, DPI_DNS_RDATA_ADDR);
	CHECK(!strcmp(r->msg.answers[0].addr, "10.99.1.10"));
	CHECK_EQ(r->msg.answers[0].rdata.len, 4);
	CHECK(r->msg.answers[0].rdata.p == r->g + n - 11 - 4); /* zero-copy */
	CHECK(!dpi_dns_probe(r->g, n, false));
	CHECK(!strcmp(dpi_dns_rrtype_name(r->msg.answers[0].rrtype), "A"));
	CHECK(!strcmp(dpi_dns_rcode_name(r->msg.rcode), "NOERROR"));
	done(r);

	n = unhex(real_aaaa_r, b, sizeof(b));
	r = parse(b, n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.answers[0].rrtype, DPI_DNS_TYPE_AAAA);
	CHECK(!strcmp(r->msg.answers[0].addr, "fd00:99::10"));
	done(r);

	n = unhex(real_nx_r, b, sizeof(b));
	r = parse(b, n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.rcode, DPI_DNS_RCODE_NXDOMAIN);
	CHECK(!strcmp(dpi_dns_rcode_name(r->msg.rcode), "NXDOMAIN"));
	CHECK(dpi_dns_rcode_name(11) == NULL);
	CHECK(!strcmp(dpi_dns_rrtype_name(DPI_DNS_TYPE_AXFR), "AXFR"));
	CHECK(dpi_dns_rrtype_name(0xff00) == NULL);
	CHECK_EQ(r->msg.n_answers, 0);
	CHECK(name_is(&r->msg.questions[0].name, "missing.bh.test"));
	done(r);

	n = unhex(real_mx_q, b, sizeof(b));
	r = parse(b, n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.questions[0].qtype, DPI_DNS_TYPE_MX);
	CHECK(dpi_dns_probe(r->g, n, false));
	done(r);

	n = unhex(real_mx_r, b, sizeof(b));
	r = parse(b, n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.answers[0].kind, DPI_DNS_RDATA_MX);
	CHECK_EQ(r->msg.answers[0].mx_pref, 10);
	CHECK(name_is(&r->msg.answers[0].target, "web.bh.test"));
	CHECK(name_is(&r->msg.answers[0].name, "bh.test"));
	done(r);
}

/* ---- hand-built responses ---- */

static void test_cname_chain(void)
{
	struct mb m;
	struct res *r;
	size_t at, q, t1, t2;
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	/* www.Example.COM CNAME edge.cdn.example.net CNAME e1.cdn.example.net,
	 * e1 A 192.0.2.1 and AAAA 2001:db8::1; every owner is a pointer. */
	mb_hdr(&m, 0x1234, 0x8180, 1, 4, 0, 0);
	q = m.n;
	mb_q(&m, "www.Example.COM", DPI_DNS_TYPE_A);
	mb_u16(&m, 0xc000u | (unsigned)q);
	at = mb_rr(&m, DPI_DNS_TYPE_CNAME, 300);
	t1 = mb_name(&m, "edge.cdn.example.net");
	mb_rdend(&m, at);
	mb_u16(&m, 0xc000u | (unsigned)t1);
	at = mb_rr(&m, DPI_DNS_TYPE_CNAME, 60);
	t2 = mb_name_ptr(&m, "e1", (int)t1 + 5); /* -> cdn.example.net */
	mb_rdend(&m, at);
	mb_u16(&m, 0xc000u | (unsigned)t2);
	at = mb_rr(&m, DPI_DNS_TYPE_A, 20);
	mb_bytes(&m, "\xc0\x00\x02\x01", 4);
	mb_rdend(&m, at);
	mb_u16(&m, 0xc000u | (unsigned)t2);
	at = mb_rr(&m, DPI_DNS_TYPE_AAAA, 20);
	mb_bytes(&m, v6, 16);
	mb_rdend(&m, at);

	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.n_anomalies, 0);
	CHECK(name_is(&r->msg.questions[0].name, "www.example.com"));
	CHECK_EQ(r->msg.n_answers, 4);
	CHECK(name_is(&r->msg.answers[0].name, "www.example.com"));
	CHECK_EQ(r->msg.answers[0].kind, DPI_DNS_RDATA_NAME);
	CHECK_EQ(r->msg.answers[0].ttl, 300);
	CHECK(name_is(&r->msg.answers[0].target, "edge.cdn.example.net"));
	CHECK(name_is(&r->msg.answers[1].name, "edge.cdn.example.net"));
	CHECK(name_is(&r->msg.answers[1].target, "e1.cdn.example.net"));
	CHECK(name_is(&r->msg.answers[2].name, "e1.cdn.example.net"));
	CHECK(!strcmp(r->msg.answers[2].addr, "192.0.2.1"));
	CHECK(!strcmp(r->msg.answers[3].addr, "2001:db8::1"));
	done(r);
}

static void test_txt_and_nxdomain_soa(void)
{
	struct mb m;
	struct res *r;
	size_t at, q;

	mb_hdr(&m, 7, 0x8180, 1, 1, 0, 0);
	q = m.n;
	mb_q(&m, "_dmarc.example.org", DPI_DNS_TYPE_TXT);
	mb_u16(&m, 0xc000u | (unsigned)q);
	at = mb_rr(&m, DPI_DNS_TYPE_TXT, 3600);
	mb_u8(&m, 8);
	mb_bytes(&m, "v=DMARC1", 8);
	mb_u8(&m, 0);
	mb_u8(&m, 3);
	mb_bytes(&m, "a\0b", 3);
	mb_rdend(&m, at);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK(name_is(&r->msg.questions[0].name, "_dmarc.example.org"));
	CHECK(r->msg.questions[0].name.non_ldh);
	CHECK(!r->msg.questions[0].name.escaped);
	CHECK_EQ(r->msg.answers[0].kind, DPI_DNS_RDATA_TXT);
	CHECK_EQ(r->msg.answers[0].n_txt, 3);
	CHECK_EQ(r->msg.answers[0].txt[0].len, 8);
	CHECK(!memcmp(r->msg.answers[0].txt[0].p, "v=DMARC1", 8));
	CHECK_EQ(r->msg.answers[0].txt[1].len, 0);
	CHECK_EQ(r->msg.answers[0].txt[2].len, 3);
	CHECK(!memcmp(r->msg.answers[0].txt[2].p, "a\0b", 3));
	done(r);

	/* TXT with more strings than kept: anomaly, first ones kept. */
	mb_hdr(&m, 7, 0x8180, 1, 1, 0, 0);
	q = m.n;
	mb_q(&m, "t.example", DPI_DNS_TYPE_TXT);
	mb_u16(&m, 0xc000u | (unsigned)q);
	at = mb_rr(&m, DPI_DNS_TYPE_TXT, 1);
	for (unsigned i = 0; i < DPI_DNS_MAX_TXT + 2; i++) {
		mb_u8(&m, 1);
		mb_u8(&m, 'a' + i);
	}
	mb_rdend(&m, at);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK(has_anom(&r->msg, "dns.txt_limit"));
	CHECK_EQ(r->msg.answers[0].n_txt, DPI_DNS_MAX_TXT + 2);
	CHECK_EQ(r->msg.answers[0].txt[DPI_DNS_MAX_TXT - 1].p[0], 'a' + DPI_DNS_MAX_TXT - 1);
	done(r);

	/* TXT string overrunning its RDATA (the message's end) by one byte:
	 * not fatal, kind OTHER. */
	mb_hdr(&m, 7, 0x8180, 1, 1, 0, 0);
	mb_q(&m, "t.example", DPI_DNS_TYPE_TXT);
	mb_u16(&m, 0xc00c);
	at = mb_rr(&m, DPI_DNS_TYPE_TXT, 1);
	mb_u8(&m, 4);
	mb_bytes(&m, "abc", 3);
	mb_rdend(&m, at);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK(!r->msg.malformed);
	CHECK(has_anom(&r->msg, "dns.rdata_invalid"));
	CHECK_EQ(r->msg.answers[0].kind, DPI_DNS_RDATA_OTHER);
	done(r);

	/* NXDOMAIN with the zone's SOA in authority (validated, not kept). */
	mb_hdr(&m, 8, 0x8183, 1, 0, 1, 0);
	mb_q(&m, "nope.example.com", DPI_DNS_TYPE_A);
	mb_u16(&m, 0xc000u | 17); /* example.com */
	at = mb_rr(&m, DPI_DNS_TYPE_SOA, 900);
	mb_name_ptr(&m, "ns1", 17);
	mb_name_ptr(&m, "hostmaster", 17);
	for (int i = 0; i < 5; i++)
		mb_u32(&m, 1000u + (unsigned)i);
	mb_rdend(&m, at);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.n_anomalies, 0);
	CHECK_EQ(r->msg.rcode, DPI_DNS_RCODE_NXDOMAIN);
	CHECK_EQ(r->msg.nscount, 1);
	CHECK_EQ(r->msg.n_answers, 0);
	done(r);

	/* The same SOA with a pointer loop inside its RDATA: malformed. */
	m.b[m.n - 20 - 2] = 0xc0;
	m.b[m.n - 20 - 1] = (uint8_t)(m.n - 20 - 2);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(r->msg.malformed);
	CHECK(has_anom(&r->msg, "dns.pointer_loop"));
	CHECK(name_is(&r->msg.questions[0].name, "nope.example.com"));
	done(r);
}

static void test_rdata_invalid(void)
{
	struct mb m;
	struct res *r;
	size_t at;

	/* A with 5 bytes, then a valid A: anomaly, the message goes on. */
	mb_hdr(&m, 9, 0x8180, 1, 2, 0, 0);
	mb_q(&m, "a.example", DPI_DNS_TYPE_A);
	mb_u16(&m, 0xc00c);
	at = mb_rr(&m, DPI_DNS_TYPE_A, 1);
	mb_bytes(&m, "\1\2\3\4\5", 5);
	mb_rdend(&m, at);
	mb_u16(&m, 0xc00c);
	at = mb_rr(&m, DPI_DNS_TYPE_A, 1);
	mb_bytes(&m, "\1\2\3\4", 4);
	mb_rdend(&m, at);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK(has_anom(&r->msg, "dns.rdata_invalid"));
	CHECK_EQ(r->msg.n_answers, 2);
	CHECK_EQ(r->msg.answers[0].kind, DPI_DNS_RDATA_OTHER);
	CHECK(!strcmp(r->msg.answers[1].addr, "1.2.3.4"));
	done(r);

	/* SRV: validated, not kept; too short, or a target that loops. */
	mb_hdr(&m, 9, 0x8180, 1, 3, 0, 0);
	mb_q(&m, "_ldap._tcp.example", DPI_DNS_TYPE_SRV);
	mb_u16(&m, 0xc00c);
	at = mb_rr(&m, DPI_DNS_TYPE_SRV, 1);
	mb_bytes(&m, "\0\1\0\2\1\x85", 6);
	mb_name_ptr(&m, "dc1", 12 + 11); /* -> example */
	mb_rdend(&m, at);
	mb_u16(&m, 0xc00c);
	at = mb_rr(&m, DPI_DNS_TYPE_SRV, 1);
	mb_bytes(&m, "\0\1\0\2\1\x85", 6);
	mb_rdend(&m, at);
	mb_u16(&m, 0xc00c);
	at = mb_rr(&m, DPI_DNS_TYPE_SRV, 1);
	mb_bytes(&m, "\0\1\0\2\1\x85", 6);
	mb_name_ptr(&m, "dc2", (int)m.n);
	mb_rdend(&m, at);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(has_anom(&r->msg, "dns.rdata_invalid"));
	CHECK(has_anom(&r->msg, "dns.pointer_loop"));
	CHECK_EQ(r->msg.n_answers, 2);
	CHECK_EQ(r->msg.answers[0].kind, DPI_DNS_RDATA_OTHER);
	CHECK_EQ(r->msg.answers[0].rdata.len, 6 + 6);
	done(r);

	/* Empty RDATA (UPDATE style) is fine for any type. */
	mb_hdr(&m, 9, 0x2800, 1, 1, 0, 0);
	mb_q(&m, "example.com", DPI_DNS_TYPE_SOA);
	mb_u16(&m, 0xc00c);
	mb_u16(&m, DPI_DNS_TYPE_A);
	mb_u16(&m, 255);
	mb_u32(&m, 0);
	mb_u16(&m, 0);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.opcode, 5);
	CHECK_EQ(r->msg.n_anomalies, 0);
	CHECK_EQ(r->msg.answers[0].kind, DPI_DNS_RDATA_OTHER);
	CHECK_EQ(r->msg.answers[0].rrclass, 255);
	done(r);
}

static void test_cname_rdata_bounds(void)
{
	struct mb m;
	struct res *r;
	size_t at;

	mb_hdr(&m, 9, 0x8180, 1, 1, 0, 0);
	mb_q(&m, "a.example", DPI_DNS_TYPE_CNAME);
	mb_u16(&m, 0xc00c);
	at = mb_rr(&m, DPI_DNS_TYPE_CNAME, 1);
	mb_name(&m, "b.example");
	mb_u8(&m, 0xff); /* one byte past the name, inside RDATA */
	mb_rdend(&m, at);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK(has_anom(&r->msg, "dns.rdata_invalid"));
	CHECK_EQ(r->msg.answers[0].kind, DPI_DNS_RDATA_OTHER);
	done(r);

	/* Target overrunning RDATA into the next record. */
	mb_hdr(&m, 9, 0x8180, 1, 2, 0, 0);
	mb_q(&m, "a.example", DPI_DNS_TYPE_CNAME);
	mb_u16(&m, 0xc00c);
	at = mb_rr(&m, DPI_DNS_TYPE_CNAME, 1);
	mb_name(&m, "b.example");
	mb_rdend(&m, at);
	m.b[at + 1] = 4; /* "\1b\7ex": cut inside the second label */
	{
		struct mb m2 = m;

		/* Rebuild so that the second record starts right after 4 bytes. */
		m2.n = at + 2 + 4;
		mb_u16(&m2, 0xc00c);
		at = mb_rr(&m2, DPI_DNS_TYPE_A, 1);
		mb_bytes(&m2, "\1\2\3\4", 4);
		mb_rdend(&m2, at);
		r = parse(m2.b, m2.n);
		CHECK_EQ(r->r, 0);
		CHECK(has_anom(&r->msg, "dns.rdata_invalid"));
		CHECK_EQ(r->msg.n_answers, 2);
		CHECK_EQ(r->msg.answers[0].kind, DPI_DNS_RDATA_OTHER);
		CHECK_EQ(r->msg.answers[1].kind, DPI_DNS_RDATA_ADDR);
		done(r);
	}
}

/* ---- names ---- */

static void put_label_n(struct mb *m, unsigned n, uint8_t c)
{
	mb_u8(m, n);
	for (unsigned i = 0; i < n; i++)
		mb_u8(m, c);
}

/* A query whose name is labels of the given lengths (0-terminated list). */
static void mb_query_labels(struct mb *m, const unsigned *lens, uint8_t c)
{
	mb_hdr(m, 1, 0x0100, 1, 0, 0, 0);
	for (; *lens; lens++)
		put_label_n(m, *lens, c);
	mb_u8(m, 0);
	mb_u16(m, DPI_DNS_TYPE_A);
	mb_u16(m, DPI_DNS_CLASS_IN);
}

static void test_label_limits(void)
{
	static const unsigned l63[] = {63, 3, 0}, l64[] = {64, 3, 0};
	struct mb m;
	struct res *r;

	mb_query_labels(&m, l63, 'a');
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.questions[0].name.len, 63 + 1 + 3);
	CHECK(dpi_dns_probe(r->g, r->n, false));
	done(r);

	mb_query_labels(&m, l64, 'a');
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(r->msg.malformed);
	CHECK(has_anom(&r->msg, "dns.label_too_long"));
	CHECK_EQ(r->msg.n_questions, 0);
	CHECK_EQ(r->msg.id, 1);
	CHECK(!dpi_dns_probe(r->g, r->n, false));
	done(r);

	/* 0x80 and 0xbf: the reserved label type. */
	for (unsigned t = 0x80; t <= 0xbf; t += 0x3f) {
		mb_hdr(&m, 1, 0x0100, 1, 0, 0, 0);
		mb_u8(&m, t);
		mb_bytes(&m, "\0\0\0\0\0\0", 6);
		r = parse(m.b, m.n);
		CHECK_EQ(r->r, -EBADMSG);
		CHECK(has_anom(&r->msg, "dns.label_invalid"));
		done(r);
	}
}

static void test_name_limits(void)
{
	/* Wire length = sum(label + 1) + 1; text = wire - 2. */
	static const unsigned w255[] = {63, 63, 63, 61, 0}, w256[] = {63, 63, 63, 62, 0},
			      w254[] = {63, 63, 63, 60, 0}, w257[] = {63, 63, 63, 63, 0};
	struct mb m;
	struct res *r;

	mb_query_labels(&m, w254, 'x');
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.questions[0].name.len, 252);
	done(r);

	mb_query_labels(&m, w255, 'x');
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.questions[0].name.len, 253);
	CHECK_EQ(r->msg.questions[0].name.labels, 4);
	CHECK(dpi_dns_probe(r->g, r->n, false));
	done(r);

	mb_query_labels(&m, w256, 'x');
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(has_anom(&r->msg, "dns.name_too_long"));
	CHECK(!dpi_dns_probe(r->g, r->n, false));
	done(r);

	mb_query_labels(&m, w257, 'x');
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(has_anom(&r->msg, "dns.name_too_long"));
	done(r);

	/* The longest text: 255 wire bytes, every byte escaped. */
	mb_query_labels(&m, w255, 0xff);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.questions[0].name.len, DPI_DNS_NAME_TEXT_MAX - 1);
	CHECK(r->msg.questions[0].name.escaped);
	CHECK(!strncmp(r->msg.questions[0].name.text, "\\255\\255", 8));
	done(r);

	/* Too long only through a pointer: 200 bytes + a pointer to 62+... */
	{
		size_t at;

		mb_hdr(&m, 1, 0x8180, 1, 1, 0, 0);
		put_label_n(&m, 63, 'a');
		put_label_n(&m, 63, 'b');
		mb_u8(&m, 0);
		mb_u16(&m, 1);
		mb_u16(&m, 1);
		/* owner: 63+63+... in place, then a pointer to the question */
		at = m.n;
		put_label_n(&m, 63, 'c');
		mb_u16(&m, 0xc00c); /* 64 + 129 + 1 = fine: 193 */
		mb_u16(&m, 1);
		mb_u16(&m, 1);
		mb_u32(&m, 0);
		mb_u16(&m, 4);
		mb_u32(&m, 0);
		r = parse(m.b, m.n);
		CHECK_EQ(r->r, 0);
		CHECK_EQ(r->msg.answers[0].name.len, 63 * 3 + 2);
		done(r);
		/* Too long: a second 63-byte label in place. */
		m.n = at;
		put_label_n(&m, 63, 'c');
		put_label_n(&m, 63, 'd');
		mb_u16(&m, 0xc00c); /* 64 + 64 + 128 + 1 = 257 */
		mb_u16(&m, 1);
		mb_u16(&m, 1);
		mb_u32(&m, 0);
		mb_u16(&m, 4);
		mb_u32(&m, 0);
		r = parse(m.b, m.n);
		CHECK_EQ(r->r, -EBADMSG);
		CHECK(has_anom(&r->msg, "dns.name_too_long"));
		done(r);
	}
}

static void test_escape_and_case(void)
{
	struct mb m;
	struct res *r;

	mb_hdr(&m, 1, 0x0100, 2, 0, 0, 0);
	mb_name(&m, "MiXeD.CaSe.EXAMPLE.Org");
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	/* labels "a.b", "x\0 y\\", "\xc3\xa9t\xe9" */
	mb_u8(&m, 3);
	mb_bytes(&m, "A.b", 3);
	mb_u8(&m, 5);
	mb_bytes(&m, "x\0 y\\", 5);
	mb_u8(&m, 4);
	mb_bytes(&m, "\xc3\xa9T\x7f", 4);
	mb_u8(&m, 0);
	mb_u16(&m, 1);
	mb_u16(&m, 1);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK(name_is(&r->msg.questions[0].name, "mixed.case.example.org"));
	CHECK(!r->msg.questions[0].name.non_ldh);
	CHECK(!r->msg.questions[0].name.escaped);
	CHECK(name_is(&r->msg.questions[1].name, "a\\.b.x\\000\\032y\\\\.\\195\\169t\\127"));
	CHECK_EQ(r->msg.questions[1].name.labels, 3);
	CHECK(r->msg.questions[1].name.non_ldh);
	CHECK(r->msg.questions[1].name.escaped);
	done(r);

	/* The root, as in the priming query "NS .". */
	mb_hdr(&m, 1, 0x0000, 1, 0, 0, 0);
	mb_q(&m, "", DPI_DNS_TYPE_NS);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK(name_is(&r->msg.questions[0].name, ""));
	CHECK_EQ(r->msg.questions[0].name.labels, 0);
	CHECK(dpi_dns_probe(r->g, r->n, false));
	done(r);
}

/* ---- compression pointers ---- */

/* A response to "a.example": an opaque record carrying crafted name bytes
 * @rd at CARRIER_RDATA, then an A record whose owner is a pointer to
 * @owner_ptr (16 bytes, the last of the message). */
static void mb_ptr_msg(struct mb *m, const uint8_t *rd, size_t rdn, unsigned owner_ptr)
{
	size_t at;

	mb_hdr(m, 2, 0x8180, 1, 2, 0, 0);
	mb_q(m, "a.example", DPI_DNS_TYPE_A);
	mb_u16(m, 0xc00c);
	at = mb_rr(m, 0xff00, 0);
	mb_bytes(m, rd, rdn);
	mb_rdend(m, at);
	mb_u16(m, 0xc000u | owner_ptr);
	at = mb_rr(m, DPI_DNS_TYPE_A, 0);
	mb_bytes(m, "\1\1\1\1", 4);
	mb_rdend(m, at);
}

#define CARRIER_RDATA 39 /* 12 + 15 (question) + 2 + 10 */

static void test_pointers(void)
{
	uint8_t rd[64];
	struct mb m;
	struct res *r;
	unsigned n;

	/* Valid backward pointer with a label before it. */
	n = 0;
	rd[n++] = 3;
	memcpy(rd + n, "www", 3);
	n += 3;
	rd[n++] = 0xc0;
	rd[n++] = 12;
	mb_ptr_msg(&m, rd, n, CARRIER_RDATA);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK(name_is(&r->msg.answers[1].name, "www.a.example"));
	done(r);

	/* Forward pointer: the owner points past itself. */
	mb_ptr_msg(&m, rd, n, 0);
	m.b[m.n - 16 + 1] = (uint8_t)(m.n - 16 + 4); /* into its own record */
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(has_anom(&r->msg, "dns.pointer_loop"));
	CHECK_EQ(r->msg.n_answers, 1);
	done(r);

	/* Self-loop: a pointer to itself. */
	mb_ptr_msg(&m, rd, n, 0);
	m.b[m.n - 16 + 1] = (uint8_t)(m.n - 16);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(has_anom(&r->msg, "dns.pointer_loop"));
	done(r);

	/* Label then a pointer back to that label: www.www.www... */
	rd[0] = 3;
	memcpy(rd + 1, "www", 3);
	rd[4] = 0xc0;
	rd[5] = CARRIER_RDATA;
	mb_ptr_msg(&m, rd, 6, CARRIER_RDATA);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(has_anom(&r->msg, "dns.pointer_loop"));
	done(r);

	/* Two pointers pointing at each other: P1 -> P2 -> P1. */
	rd[0] = 0xc0;
	rd[1] = CARRIER_RDATA + 2;
	rd[2] = 0xc0;
	rd[3] = CARRIER_RDATA;
	mb_ptr_msg(&m, rd, 4, CARRIER_RDATA + 2);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(has_anom(&r->msg, "dns.pointer_loop"));
	done(r);
	mb_ptr_msg(&m, rd, 4, CARRIER_RDATA);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(has_anom(&r->msg, "dns.pointer_loop"));
	done(r);

	/* A chain P1 -> question, Pk -> P(k-1): following it from P(h) is h
	 * hops after the owner's own pointer. Exactly DPI_DNS_MAX_HOPS pass. */
	n = 0;
	for (unsigned k = 0; k < 20; k++) {
		unsigned target = k ? CARRIER_RDATA + 2 * (k - 1) : 12;

		rd[n++] = 0xc0;
		rd[n++] = (uint8_t)target;
	}
	for (unsigned hops = 1; hops <= 20; hops++) {
		/* Owner -> P(hops-1) (index hops-2) ... : total hops = hops. */
		unsigned target = hops == 1 ? 12 : CARRIER_RDATA + 2 * (hops - 2);

		mb_ptr_msg(&m, rd, n, target);
		r = parse(m.b, m.n);
		if (hops <= DPI_DNS_MAX_HOPS) {
			CHECK_EQ(r->r, 0);
			CHECK(name_is(&r->msg.answers[1].name, "a.example"));
		} else {
			CHECK_EQ(r->r, -EBADMSG);
			CHECK(has_anom(&r->msg, "dns.pointer_loop"));
		}
		done(r);
	}

	/* A pointer cut in half at the end of the message. */
	mb_hdr(&m, 2, 0x8180, 1, 0, 0, 0);
	mb_u8(&m, 1);
	mb_u8(&m, 'a');
	mb_u8(&m, 0xc0);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(has_anom(&r->msg, "dns.counts_invalid") || has_anom(&r->msg, "dns.truncated"));
	done(r);
}

/* ---- header-level faults and caps ---- */

static void test_counts_and_caps(void)
{
	struct mb m;
	struct res *r;
	size_t at;

	/* 65535 answers announced in a small message. */
	mb_hdr(&m, 3, 0x8180, 1, 0xffff, 0, 0);
	mb_q(&m, "a.example", DPI_DNS_TYPE_A);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(has_anom(&r->msg, "dns.counts_invalid"));
	CHECK_EQ(r->msg.ancount, 0xffff);
	CHECK_EQ(r->msg.n_questions, 0);
	done(r);

	/* Trailing bytes. */
	mb_hdr(&m, 3, 0x0100, 1, 0, 0, 0);
	mb_q(&m, "a.example", DPI_DNS_TYPE_A);
	mb_bytes(&m, "junk", 4);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK(!r->msg.malformed);
	CHECK(has_anom(&r->msg, "dns.trailing_data"));
	done(r);

	/* Questions over the cap: validated, first ones kept. */
	mb_hdr(&m, 3, 0x0100, DPI_DNS_MAX_QUESTIONS + 3, 0, 0, 0);
	for (unsigned i = 0; i < DPI_DNS_MAX_QUESTIONS + 3; i++) {
		char nm[16] = "q0.example";

		nm[1] = (char)('a' + i);
		mb_q(&m, nm, DPI_DNS_TYPE_A);
	}
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK(has_anom(&r->msg, "dns.question_limit"));
	CHECK_EQ(r->msg.n_questions, DPI_DNS_MAX_QUESTIONS);
	CHECK(name_is(&r->msg.questions[DPI_DNS_MAX_QUESTIONS - 1].name, "qh.example"));
	done(r);
	m.b[m.n - 5] = 0x40; /* a fault in a question beyond the cap still counts */
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(has_anom(&r->msg, "dns.label_too_long"));
	done(r);

	/* Answers over the cap. */
	mb_hdr(&m, 3, 0x8180, 1, DPI_DNS_MAX_ANSWERS + 8, 0, 1);
	mb_q(&m, "many.example", DPI_DNS_TYPE_A);
	for (unsigned i = 0; i < DPI_DNS_MAX_ANSWERS + 8; i++) {
		mb_u16(&m, 0xc00c);
		at = mb_rr(&m, DPI_DNS_TYPE_A, i);
		mb_u8(&m, 10);
		mb_u8(&m, 0);
		mb_u8(&m, 0);
		mb_u8(&m, i);
		mb_rdend(&m, at);
	}
	mb_u8(&m, 0); /* OPT */
	mb_u16(&m, DPI_DNS_TYPE_OPT);
	mb_u16(&m, 1232);
	mb_u32(&m, 0);
	mb_u16(&m, 0);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK(has_anom(&r->msg, "dns.answer_limit"));
	CHECK_EQ(r->msg.n_answers, DPI_DNS_MAX_ANSWERS);
	CHECK(!strcmp(r->msg.answers[DPI_DNS_MAX_ANSWERS - 1].addr, "10.0.0.31"));
	CHECK_EQ(r->msg.answers[DPI_DNS_MAX_ANSWERS - 1].ttl, DPI_DNS_MAX_ANSWERS - 1);
	done(r);

	/* Shorter than a header, and empty. */
	r = parse(m.b, 11);
	CHECK_EQ(r->r, -EBADMSG);
	CHECK(has_anom(&r->msg, "dns.truncated"));
	CHECK_EQ(r->msg.n_anomalies, 1);
	done(r);
	r = parse(m.b, 0);
	CHECK_EQ(r->r, -EBADMSG);
	done(r);
	CHECK_EQ(dpi_dns_parse_msg(NULL, 0, NULL, scratch), -EINVAL);
}

static void test_ipv6_text(void)
{
	static const struct {
		uint8_t a[16];
		const char *s;
	} v[] = {
		{{0}, "::"},
		{{[15] = 1}, "::1"},
		{{0x20, 0x01, 0x0d, 0xb8, [15] = 1}, "2001:db8::1"},
		{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, "2001:db8:0:1:1:1:1:1"},
		{{0x20, 0x01, 0, 0, 0, 0, 0, 1, [15] = 1}, "2001:0:0:1::1"},
		{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}, "2001:db8::1:0:0:1"},
		{{0, 1, [14] = 0}, "1::"},
		{{0xfe, 0x80, [8] = 0x02, 0x1a, 0x2b, 0xff, 0xfe, 0x3c, 0x4d, 0x5e},
		 "fe80::21a:2bff:fe3c:4d5e"},
		{{[10] = 0xff, 0xff, 192, 0, 2, 128}, "::ffff:192.0.2.128"},
		{{0xAB, 0xCD, 0, 0x0F, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "abcd:f:1000::"},
		{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		 "102:304:506:708:90a:b0c:d0e:f10"},
	};
	struct mb m;
	struct res *r;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t at;

		mb_hdr(&m, 4, 0x8180, 1, 1, 0, 0);
		mb_q(&m, "v6.example", DPI_DNS_TYPE_AAAA);
		mb_u16(&m, 0xc00c);
		at = mb_rr(&m, DPI_DNS_TYPE_AAAA, 1);
		mb_bytes(&m, v[i].a, 16);
		mb_rdend(&m, at);
		r = parse(m.b, m.n);
		CHECK_EQ(r->r, 0);
		CHECK(!strcmp(r->msg.answers[0].addr, v[i].s));
		if (strcmp(r->msg.answers[0].addr, v[i].s))
			fprintf(stderr, "  got %s want %s\n", r->msg.answers[0].addr, v[i].s);
		done(r);
	}
}

/* ---- every truncation of valid messages ---- */

static void build_axfr_msg(struct mb *m)
{
	size_t at, q;

	mb_hdr(m, 0x5a5a, 0x8400, 1, 4, 0, 0);
	q = m->n;
	mb_q(m, "zone.example", DPI_DNS_TYPE_AXFR);
	mb_u16(m, 0xc000u | (unsigned)q);
	at = mb_rr(m, DPI_DNS_TYPE_SOA, 3600);
	mb_name_ptr(m, "ns", (int)q);
	mb_name_ptr(m, "admin", (int)q);
	for (int i = 0; i < 5; i++)
		mb_u32(m, 7);
	mb_rdend(m, at);
	mb_u16(m, 0xc000u | (unsigned)q);
	at = mb_rr(m, DPI_DNS_TYPE_NS, 3600);
	mb_name_ptr(m, "ns", (int)q);
	mb_rdend(m, at);
	mb_name_ptr(m, "www", (int)q);
	at = mb_rr(m, DPI_DNS_TYPE_A, 3600);
	mb_bytes(m, "\xc6\x33\x64\x05", 4);
	mb_rdend(m, at);
	mb_u16(m, 0xc000u | (unsigned)q);
	at = mb_rr(m, DPI_DNS_TYPE_SOA, 3600);
	mb_name_ptr(m, "ns", (int)q);
	mb_name_ptr(m, "admin", (int)q);
	for (int i = 0; i < 5; i++)
		mb_u32(m, 7);
	mb_rdend(m, at);
}

static void check_all_truncations(const uint8_t *b, size_t n)
{
	struct res *r = parse(b, n);
	unsigned id = n >= 2 ? (unsigned)(b[0] << 8 | b[1]) : 0;

	CHECK_EQ(r->r, 0);
	done(r);
	for (size_t k = 0; k < n; k++) {
		r = parse(b, k);
		CHECK_EQ(r->r, -EBADMSG);
		CHECK(r->msg.malformed);
		CHECK(r->msg.n_anomalies >= 1);
		CHECK(has_anom(&r->msg, "dns.truncated") || has_anom(&r->msg, "dns.counts_invalid"));
		if (k >= DPI_DNS_HEADER_LEN)
			CHECK_EQ(r->msg.id, id);
		for (unsigned i = 0; i < r->msg.n_questions; i++)
			CHECK_EQ(strlen(r->msg.questions[i].name.text), r->msg.questions[i].name.len);
		done(r);
	}
}

static void test_truncations(void)
{
	uint8_t b[512];
	struct mb m;
	struct res *r;
	static const char *const real[] = {real_a_q, real_a_r, real_aaaa_r, real_nx_r, real_mx_r};

	for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++)
		check_all_truncations(b, unhex(real[i], b, sizeof(b)));
	build_axfr_msg(&m);
	check_all_truncations(m.b, m.n);

	/* The zone transfer itself parses fine: SOA, NS, A, SOA. */
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.n_anomalies, 0);
	CHECK_EQ(r->msg.questions[0].qtype, DPI_DNS_TYPE_AXFR);
	CHECK_EQ(r->msg.n_answers, 4);
	CHECK_EQ(r->msg.answers[0].rrtype, DPI_DNS_TYPE_SOA);
	CHECK_EQ(r->msg.answers[0].kind, DPI_DNS_RDATA_OTHER);
	CHECK(name_is(&r->msg.answers[1].target, "ns.zone.example"));
	CHECK(name_is(&r->msg.answers[2].name, "www.zone.example"));
	CHECK(!strcmp(r->msg.answers[2].addr, "198.51.100.5"));
	done(r);

	/* The AXFR query is an ordinary query to the probe and the parser. */
	mb_hdr(&m, 0x5a5a, 0x0000, 1, 0, 0, 0);
	mb_q(&m, "zone.example", DPI_DNS_TYPE_AXFR);
	r = parse(m.b, m.n);
	CHECK_EQ(r->r, 0);
	CHECK_EQ(r->msg.questions[0].qtype, 252);
	CHECK(dpi_dns_probe(r->g, r->n, false));
	done(r);
}

/* ---- TCP framing ---- */

struct seen {
	unsigned msgs, anoms, malformed;
	uint16_t ids[16];
	char qname[16][64];
	const char *anom[16];
	unsigned dirs;
};

static void on_msg(void *ctx, unsigned dir, const struct dpi_dns_msg *msg)
{
	struct seen *s = ctx;

	if (s->msgs < 16) {
		s->ids[s->msgs] = msg->id;
		s->qname[s->msgs][0] = '\0';
		if (msg->n_questions && msg->questions[0].name.len < 64)
			memcpy(s->qname[s->msgs], msg->questions[0].name.text,
			       msg->questions[0].name.len + 1);
	}
	s->dirs |= 1u << dir;
	s->malformed += msg->malformed;
	s->msgs++;
}

static void on_anom(void *ctx, const char *ev)
{
	struct seen *s = ctx;

	if (s->anoms < 16)
		s->anom[s->anoms] = ev;
	s->anoms++;
}

static const struct dpi_dns_cb cbs = {.on_message = on_msg, .on_anomaly = on_anom};

/* The caller's side: a pending buffer, append each piece, call the parser on
 * a guard-page copy, drop what it consumed. Returns bytes left pending. */
static size_t feed_pieces(struct dpi_dns_tcp_state *st, unsigned dir, const uint8_t *s, size_t n,
			  const size_t *cuts, size_t ncuts, struct seen *seen)
{
	uint8_t pend[2 * 65536];
	size_t plen = 0, prev = 0;

	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : n;
		uint8_t *g;
		int r;

		memcpy(pend + plen, s + prev, end - prev);
		plen += end - prev;
		prev = end;
		for (;;) {
			g = guard_dup(pend, plen);
			r = dpi_dns_tcp_parse(st, dir, g, plen, &cbs, seen);
			guard_free(g, plen);
			CHECK(r >= 0 && (size_t)r <= plen);
			if (r <= 0 || (size_t)r > plen)
				break;
			memmove(pend, pend + r, plen - (size_t)r);
			plen -= (size_t)r;
		}
		CHECK(plen <= DPI_MAX_PENDING);
	}
	return plen;
}

static size_t stream_of(uint8_t *out, const char *const *hexes, size_t nh)
{
	size_t n = 0;

	for (size_t i = 0; i < nh; i++)
		n += unhex(hexes[i], out + n, 4096);
	return n;
}

static void test_tcp_framing(void)
{
	static const char *const two[] = {real_txt_tcp_q, real_a_tcp_q};
	struct dpi_dns_tcp_state st;
	uint8_t s[4096];
	size_t n = stream_of(s, two, 2), cut;
	struct seen seen;

	/* Two messages in one buffer. */
	for (cut = 0; cut <= n; cut++) {
		memset(&seen, 0, sizeof(seen));
		dpi_dns_tcp_init(&st, scratch);
		CHECK_EQ(feed_pieces(&st, DPI_TO_SERVER, s, n, &cut, 1, &seen), 0);
		CHECK_EQ(seen.msgs, 2);
		CHECK_EQ(seen.anoms, 0);
		CHECK_EQ(seen.ids[0], 0x0c8e);
		CHECK_EQ(seen.ids[1], 0x666a);
		CHECK(!strcmp(seen.qname[0], "info.bh.test"));
		CHECK(!strcmp(seen.qname[1], "dns.bh.test"));
		CHECK_EQ(seen.dirs, 1);
	}

	/* Every pair of cuts (three pieces). */
	for (size_t a = 0; a <= n; a += 3)
		for (size_t b = a; b <= n; b += 5) {
			size_t cuts[2] = {a, b};

			memset(&seen, 0, sizeof(seen));
			dpi_dns_tcp_init(&st, scratch);
			CHECK_EQ(feed_pieces(&st, DPI_TO_SERVER, s, n, cuts, 2, &seen), 0);
			CHECK_EQ(seen.msgs, 2);
		}

	/* One byte at a time. */
	{
		size_t cuts[4096];

		for (size_t i = 0; i < n; i++)
			cuts[i] = i + 1;
		memset(&seen, 0, sizeof(seen));
		dpi_dns_tcp_init(&st, scratch);
		CHECK_EQ(feed_pieces(&st, DPI_TO_CLIENT, s, n, cuts, n - 1, &seen), 0);
		CHECK_EQ(seen.msgs, 2);
		CHECK_EQ(seen.dirs, 2);
		CHECK_EQ(seen.ids[1], 0x666a);
	}

	/* A partial message: NEED_MORE, nothing reported. */
	{
		uint8_t *g = guard_dup(s, 20);

		memset(&seen, 0, sizeof(seen));
		dpi_dns_tcp_init(&st, scratch);
		CHECK_EQ(dpi_dns_tcp_parse(&st, 0, g, 20, &cbs, &seen), DPI_NEED_MORE);
		CHECK_EQ(dpi_dns_tcp_parse(&st, 0, g, 1, &cbs, &seen), DPI_NEED_MORE);
		CHECK_EQ(dpi_dns_tcp_parse(&st, 0, g, 0, &cbs, &seen), DPI_NEED_MORE);
		CHECK_EQ(seen.msgs, 0);
		guard_free(g, 20);
	}
}

static void test_tcp_responses_and_faults(void)
{
	static const char *const resp[] = {real_txt_tcp_r, real_a_tcp_r};
	struct dpi_dns_tcp_state st;
	struct seen seen;
	uint8_t s[70000];
	size_t n = stream_of(s, resp, 2), cuts[1];
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	memset(&seen, 0, sizeof(seen));
	dpi_dns_tcp_init(&st, scratch);
	CHECK_EQ(feed_pieces(&st, DPI_TO_CLIENT, s, n, NULL, 0, &seen), 0);
	CHECK_EQ(seen.msgs, 2);
	CHECK_EQ(seen.ids[0], 0x0c8e);

	/* A zero-length and a 5-byte message between two good ones: reported
	 * as truncated, the stream goes on. */
	{
		uint8_t t[4096];
		size_t tn = unhex(real_a_tcp_q, t, sizeof(t));

		memcpy(t + tn, "\0\0\0\5abcde", 9);
		tn += 9;
		tn += unhex(real_txt_tcp_q, t + tn, sizeof(t) - tn);
		memset(&seen, 0, sizeof(seen));
		dpi_dns_tcp_init(&st, scratch);
		CHECK_EQ(feed_pieces(&st, 0, t, tn, NULL, 0, &seen), 0);
		CHECK_EQ(seen.msgs, 2);
		CHECK_EQ(seen.anoms, 2);
		CHECK(seen.anom[0] && !strcmp(seen.anom[0], "dns.truncated"));
		CHECK_EQ(seen.ids[1], 0x0c8e);
	}

	/* A malformed message with a header: anomaly first, then the message
	 * flagged malformed; the next one is fine. */
	{
		uint8_t t[4096];
		size_t tn = unhex(real_a_tcp_q, t, sizeof(t)), m2;

		m2 = tn;
		tn += unhex(real_a_tcp_q, t + tn, sizeof(t) - tn);
		t[m2 + 2 + 12] = 0xc0; /* first label -> pointer */
		t[m2 + 2 + 13] = 0x0c; /* ... to itself */
		tn += unhex(real_txt_tcp_q, t + tn, sizeof(t) - tn);
		memset(&seen, 0, sizeof(seen));
		dpi_dns_tcp_init(&st, scratch);
		CHECK_EQ(feed_pieces(&st, 0, t, tn, NULL, 0, &seen), 0);
		CHECK_EQ(seen.msgs, 3);
		CHECK_EQ(seen.malformed, 1);
		CHECK_EQ(seen.anoms, 1);
		CHECK(seen.anom[0] && !strcmp(seen.anom[0], "dns.pointer_loop"));
	}

	/* A 65535-byte message cannot be held (64 KiB + 2): it is skipped
	 * with an anomaly and the stream resumes at the next prefix. */
	{
		size_t tn = 0, pieces[64], np = 0;

		s[tn++] = 0xff;
		s[tn++] = 0xff;
		memset(s + tn, 0xab, 65535);
		tn += 65535;
		tn += unhex(real_a_tcp_q, s + tn, sizeof(s) - tn);
		for (size_t at = 1000; at < tn && np < 64; at += 1000 + bh_xorshift(&rng) % 2000)
			pieces[np++] = at;
		memset(&seen, 0, sizeof(seen));
		dpi_dns_tcp_init(&st, scratch);
		CHECK_EQ(feed_pieces(&st, 0, s, tn, pieces, np, &seen), 0);
		CHECK_EQ(seen.msgs, 1);
		CHECK_EQ(seen.ids[0], 0x666a);
		CHECK_EQ(seen.anoms, 1);
		CHECK(seen.anom[0] && !strcmp(seen.anom[0], "dns.message_too_large"));
	}

	/* The largest message the caller can hold is parsed: 65534 bytes. */
	{
		struct mb m;
		size_t at, tn;

		mb_hdr(&m, 0x4242, 0x8180, 1, 1, 0, 0);
		mb_q(&m, "big.example", DPI_DNS_TYPE_TXT);
		mb_u16(&m, 0xc00c);
		at = mb_rr(&m, 0xff01, 0);
		mb_rdend(&m, at);
		tn = 0;
		s[tn++] = 0xff;
		s[tn++] = 0xfe;
		memcpy(s + tn, m.b, m.n);
		at = tn + at;
		tn += m.n;
		memset(s + tn, 0, 65534 - m.n);
		tn += 65534 - m.n;
		s[at] = (uint8_t)((65534 - m.n) >> 8);
		s[at + 1] = (uint8_t)(65534 - m.n);
		cuts[0] = 30000;
		memset(&seen, 0, sizeof(seen));
		dpi_dns_tcp_init(&st, scratch);
		CHECK_EQ(feed_pieces(&st, 0, s, tn, cuts, 1, &seen), 0);
		CHECK_EQ(seen.msgs, 1);
		CHECK_EQ(seen.anoms, 0);
		CHECK_EQ(seen.ids[0], 0x4242);
	}
}

static void test_udp_wrapper(void)
{
	uint8_t b[512], *g;
	size_t n = unhex(real_nx_r, b, sizeof(b));
	struct seen seen;

	memset(&seen, 0, sizeof(seen));
	g = guard_dup(b, n);
	CHECK_EQ(dpi_dns_udp_parse(scratch, DPI_TO_CLIENT, g, n, &cbs, &seen), (int)n);
	guard_free(g, n);
	CHECK_EQ(seen.msgs, 1);
	CHECK_EQ(seen.ids[0], 0x0954);
	CHECK(!strcmp(seen.qname[0], "missing.bh.test"));

	memset(&seen, 0, sizeof(seen));
	g = guard_dup(b, 7);
	CHECK_EQ(dpi_dns_udp_parse(scratch, DPI_TO_CLIENT, g, 7, &cbs, &seen), -EBADMSG);
	guard_free(g, 7);
	CHECK_EQ(seen.msgs, 0);
	CHECK_EQ(seen.anoms, 1);
	CHECK_EQ(dpi_dns_udp_parse(scratch, 0, b, n, NULL, NULL), (int)n);
}

static void test_probe(void)
{
	uint8_t b[512], *g;
	size_t n;
	static const char http[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03,
				      0x03, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99};
	static const uint8_t pg_ssl[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};

	n = unhex(real_a_tcp_q, b, sizeof(b));
	g = guard_dup(b, n);
	CHECK(dpi_dns_probe(g, n, true));
	CHECK(!dpi_dns_probe(g, n, false));
	guard_free(g, n);
	/* The first segment may stop after the question. */
	g = guard_dup(b, 2 + 12 + 13 + 4);
	CHECK(dpi_dns_probe(g, 2 + 12 + 13 + 4, true));
	guard_free(g, 2 + 12 + 13 + 4);
	for (size_t k = 0; k < 2 + 12 + 13 + 4; k++) {
		g = guard_dup(b, k);
		CHECK(!dpi_dns_probe(g, k, true));
		guard_free(g, k);
	}
	n = unhex(real_txt_tcp_r, b, sizeof(b));
	g = guard_dup(b, n);
	CHECK(!dpi_dns_probe(g, n, true));
	guard_free(g, n);

	g = guard_dup(http, sizeof(http) - 1);
	CHECK(!dpi_dns_probe(g, sizeof(http) - 1, false));
	CHECK(!dpi_dns_probe(g, sizeof(http) - 1, true));
	guard_free(g, sizeof(http) - 1);
	g = guard_dup(tls, sizeof(tls));
	CHECK(!dpi_dns_probe(g, sizeof(tls), false));
	CHECK(!dpi_dns_probe(g, sizeof(tls), true));
	guard_free(g, sizeof(tls));
	g = guard_dup(pg_ssl, sizeof(pg_ssl));
	CHECK(!dpi_dns_probe(g, sizeof(pg_ssl), false));
	CHECK(!dpi_dns_probe(g, sizeof(pg_ssl), true));
	guard_free(g, sizeof(pg_ssl));
	CHECK(!dpi_dns_probe(NULL, 0, false));

	/* Opcode 3 (unassigned) and 6, QDCOUNT 2, a compressed first name. */
	n = unhex(real_a_q, b, sizeof(b));
	b[2] = 0x18;
	CHECK(!dpi_dns_probe(b, n, false));
	b[2] = 0x30;
	CHECK(!dpi_dns_probe(b, n, false));
	b[2] = 0x20; /* NOTIFY */
	CHECK(dpi_dns_probe(b, n, false));
	b[2] = 0x01;
	b[5] = 2;
	CHECK(!dpi_dns_probe(b, n, false));
	b[5] = 1;
	b[7] = 3; /* three answers cannot fit with the question */
	CHECK(!dpi_dns_probe(b, n, false));
	b[7] = 0;
	b[12] = 0xc0;
	CHECK(!dpi_dns_probe(b, n, false));
}

/* ---- random mutations of valid messages: no crash, sane output ---- */

static void test_mutations(void)
{
	static const char *const real[] = {real_a_r, real_aaaa_r, real_mx_r, real_nx_r, real_a_q};
	uint64_t rng = 42;
	uint8_t base[8][4096];
	size_t bn[8], nb = 0;
	struct mb m;

	for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++, nb++)
		bn[nb] = unhex(real[i], base[nb], sizeof(base[nb]));
	build_axfr_msg(&m);
	memcpy(base[nb], m.b, m.n);
	bn[nb++] = m.n;
	for (unsigned it = 0; it < 20000; it++) {
		unsigned k = bh_xorshift(&rng) % nb, flips = 1 + bh_xorshift(&rng) % 4;
		uint8_t b[4096];
		size_t n = bn[k];
		struct res *r;

		memcpy(b, base[k], n);
		for (unsigned f = 0; f < flips; f++)
			b[bh_xorshift(&rng) % n] = (uint8_t)bh_xorshift(&rng);
		if (bh_xorshift(&rng) % 4 == 0)
			n = bh_xorshift(&rng) % n;
		r = parse(b, n);
		CHECK(r->r == 0 || r->r == -EBADMSG);
		CHECK(r->msg.malformed == (r->r != 0));
		CHECK(r->msg.n_questions <= DPI_DNS_MAX_QUESTIONS);
		CHECK(r->msg.n_answers <= DPI_DNS_MAX_ANSWERS);
		for (unsigned i = 0; i < r->msg.n_answers; i++) {
			const struct dpi_dns_rr *rr = &r->msg.answers[i];

			CHECK(rr->rdata.p >= r->g && rr->rdata.p + rr->rdata.len <= r->g + n);
			CHECK_EQ(strlen(rr->name.text), rr->name.len);
		}
		done(r);
	}
}

int main(void)
{
	scratch = calloc(1, sizeof(*scratch));
	if (!scratch)
		return 1;
	RUN(test_real_udp);
	RUN(test_cname_chain);
	RUN(test_txt_and_nxdomain_soa);
	RUN(test_rdata_invalid);
	RUN(test_cname_rdata_bounds);
	RUN(test_label_limits);
	RUN(test_name_limits);
	RUN(test_escape_and_case);
	RUN(test_pointers);
	RUN(test_counts_and_caps);
	RUN(test_ipv6_text);
	RUN(test_truncations);
	RUN(test_tcp_framing);
	RUN(test_tcp_responses_and_faults);
	RUN(test_udp_wrapper);
	RUN(test_probe);
	RUN(test_mutations);
	free(scratch);
	return bh_test_summary();
}
