/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_dns.c - libFuzzer target for the DNS parser (dpi_dns.h).
 *
 * Input: [mode][seed][bytes...]
 *   mode & 3 == 0: the bytes are one message: dpi_dns_parse_msg() and the
 *                  UDP probe;
 *   mode & 3 == 1: one datagram through dpi_dns_udp_parse();
 *   otherwise:     a TCP stream (length-prefixed messages; mode bit 2 picks
 *                  the direction), cut into pieces whose sizes come from
 *                  @seed. The harness acts as the flow's caller: it appends
 *                  each piece to its pending bytes, hands the parser an
 *                  allocation of exactly that many bytes (so ASan sees any
 *                  read past them), drops what was consumed. The same stream
 *                  is then fed whole, and both runs must report the same
 *                  messages and anomalies.
 * Every reported field is touched and checked against the header's promises;
 * a violation aborts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

static struct dpi_dns_scratch *scratch;

struct run {
	uint64_t hash;
	unsigned msgs, anoms;
};

static void mix(struct run *r, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		r->hash = (r->hash ^ b[i]) * 0x100000001b3ull;
}

static void touch(const uint8_t *p, size_t n)
{
	uint8_t x = 0;

	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	__asm__ volatile("" : : "r"(x));
}

static void check_name(const struct dpi_dns_name *nm)
{
	if (!nm->text || strlen(nm->text) != nm->len || nm->len >= DPI_DNS_NAME_TEXT_MAX)
		abort();
	for (size_t i = 0; i < nm->len; i++) {
		char c = nm->text[i];

		if (c >= 'A' && c <= 'Z')
			abort();
		if ((unsigned char)c < 0x21 || (unsigned char)c > 0x7e)
			abort();
	}
	if (nm->labels == 0 && nm->len)
		abort();
}

static void check_msg(const struct dpi_dns_msg *m, const uint8_t *buf, size_t len)
{
	if (m->n_questions > DPI_DNS_MAX_QUESTIONS || m->n_questions > m->qdcount ||
	    m->n_answers > DPI_DNS_MAX_ANSWERS || m->n_answers > m->ancount ||
	    m->n_anomalies > DPI_DNS_MAX_ANOMALIES || m->len != len)
		abort();
	if (m->malformed && m->n_anomalies == 0)
		abort();
	if ((m->rcode <= 10) != (dpi_dns_rcode_name(m->rcode) != NULL))
		abort();
	for (unsigned i = 0; i < m->n_anomalies; i++)
		if (!m->anomalies[i] || strncmp(m->anomalies[i], "dns.", 4))
			abort();
	for (unsigned i = 0; i < m->n_questions; i++)
		check_name(&m->questions[i].name);
	for (unsigned i = 0; i < m->n_answers; i++) {
		const struct dpi_dns_rr *rr = &m->answers[i];

		check_name(&rr->name);
		if (dpi_dns_rrtype_name(rr->rrtype) && !*dpi_dns_rrtype_name(rr->rrtype))
			abort();
		if (rr->rdata.p < buf || rr->rdata.p + rr->rdata.len > buf + len)
			abort();
		touch(rr->rdata.p, rr->rdata.len);
		switch (rr->kind) {
		case DPI_DNS_RDATA_ADDR:
			if (strlen(rr->addr) >= DPI_DNS_ADDR_TEXT_MAX)
				abort();
			break;
		case DPI_DNS_RDATA_NAME:
		case DPI_DNS_RDATA_MX:
			check_name(&rr->target);
			break;
		case DPI_DNS_RDATA_TXT:
			for (unsigned t = 0; t < rr->n_txt && t < DPI_DNS_MAX_TXT; t++) {
				if (rr->txt[t].p < rr->rdata.p ||
				    rr->txt[t].p + rr->txt[t].len > rr->rdata.p + rr->rdata.len)
					abort();
				touch(rr->txt[t].p, rr->txt[t].len);
			}
			break;
		default:
			break;
		}
	}
}

static void on_msg(void *ctx, unsigned dir, const struct dpi_dns_msg *m)
{
	struct run *r = ctx;

	/* The slices point into the caller's buffer, which the harness does
	 * not know here; the whole-message checks run in the UDP/msg modes. */
	if (m->n_questions > DPI_DNS_MAX_QUESTIONS || m->n_answers > DPI_DNS_MAX_ANSWERS)
		abort();
	for (unsigned i = 0; i < m->n_questions; i++) {
		check_name(&m->questions[i].name);
		mix(r, m->questions[i].name.text, m->questions[i].name.len);
	}
	for (unsigned i = 0; i < m->n_answers; i++) {
		check_name(&m->answers[i].name);
		touch(m->answers[i].rdata.p, m->answers[i].rdata.len);
		mix(r, m->answers[i].rdata.p, m->answers[i].rdata.len);
	}
	mix(r, &dir, sizeof(dir));
	mix(r, &m->id, sizeof(m->id));
	mix(r, &m->len, sizeof(m->len));
	mix(r, &m->malformed, sizeof(m->malformed));
	r->msgs++;
}

static void on_anom(void *ctx, const char *ev)
{
	struct run *r = ctx;

	if (!ev || strncmp(ev, "dns.", 4))
		abort();
	mix(r, ev, strlen(ev));
	r->anoms++;
}

static const struct dpi_dns_cb cbs = {.on_message = on_msg, .on_anomaly = on_anom};

static uint32_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 16);
}

/* Feeds @data as the flow's caller would, in pieces of at most @maxpiece
 * (0: all at once). */
static void feed_tcp(const uint8_t *data, size_t len, unsigned dir, uint64_t seed,
		     size_t maxpiece, struct run *r)
{
	struct dpi_dns_tcp_state st;
	uint8_t *pend = NULL;
	size_t plen = 0, off = 0;

	dpi_dns_tcp_init(&st, scratch);
	while (off < len) {
		size_t piece = maxpiece ? 1 + next(&seed) % maxpiece : len - off;
		uint8_t *np;

		if (piece > len - off)
			piece = len - off;
		/* A fresh allocation of exactly the pending bytes per call. */
		np = malloc(plen + piece);
		if (!np)
			abort();
		if (plen)
			memcpy(np, pend, plen);
		memcpy(np + plen, data + off, piece);
		free(pend);
		pend = np;
		plen += piece;
		off += piece;
		for (;;) {
			int c = dpi_dns_tcp_parse(&st, dir, pend, plen, &cbs, r);

			if (c < 0 || (size_t)c > plen)
				abort();
			if (c == 0)
				break;
			np = malloc(plen - (size_t)c ? plen - (size_t)c : 1);
			if (!np)
				abort();
			memcpy(np, pend + c, plen - (size_t)c);
			free(pend);
			pend = np;
			plen -= (size_t)c;
		}
		/* The parser must never need more than the caller may hold. */
		if (plen > DPI_MAX_PENDING)
			abort();
	}
	free(pend);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	uint8_t mode, seed, *copy;

	if (!scratch) {
		scratch = calloc(1, sizeof(*scratch));
		if (!scratch)
			abort();
	}
	if (len < 2)
		return 0;
	mode = buf[0];
	seed = buf[1];
	buf += 2;
	len -= 2;
	copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, buf, len);

	if ((mode & 3) == 0) {
		struct dpi_dns_msg *m = &scratch->msg;
		int rc = dpi_dns_parse_msg(copy, len, m, scratch);

		if (rc != 0 && rc != -EBADMSG)
			abort();
		if ((rc != 0) != m->malformed)
			abort();
		check_msg(m, copy, len);
		(void)dpi_dns_probe(copy, len, false);
		(void)dpi_dns_probe(copy, len, true);
	} else if ((mode & 3) == 1) {
		struct run r = {0};
		int rc = dpi_dns_udp_parse(scratch, DPI_TO_SERVER, copy, len, &cbs, &r);

		if (rc != (len < DPI_DNS_HEADER_LEN ? -EBADMSG : (int)len))
			abort();
		check_msg(&scratch->msg, copy, len);
	} else {
		struct run a = {.hash = 0xcbf29ce484222325ull}, b = a;
		unsigned dir = mode >> 2 & 1;
		size_t maxpiece = 1 + (seed & 0x7f);

		feed_tcp(copy, len, dir, 0x9e3779b97f4a7c15ull ^ seed, maxpiece, &a);
		feed_tcp(copy, len, dir, 0, 0, &b);
		if (a.hash != b.hash || a.msgs != b.msgs || a.anoms != b.anoms)
			abort();
		(void)dpi_dns_probe(copy, len, true);
	}
	free(copy);
	return 0;
}
