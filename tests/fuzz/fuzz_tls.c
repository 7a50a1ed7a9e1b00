/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_tls.c - libFuzzer target for the TLS hello parser (dpi_tls).
 *
 * Input: records [flags: 1 byte][length: 2 bytes, big endian][bytes]; bit 0
 * of flags is the direction (0: to the server). The target feeds them as the
 * engine does: a pending buffer per direction, capped at DPI_MAX_PENDING,
 * consumed bytes dropped; each call sees a separately allocated copy of
 * exactly the pending bytes, so AddressSanitizer catches a read past a
 * segment. Callbacks touch every byte of every slice.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_tls.h"

static void touch(struct dpi_slice s)
{
	uint8_t x = 0;

	for (uint32_t i = 0; i < s.len; i++)
		x ^= s.p[i];
	__asm__ volatile("" : : "r"(x));
}

static void on_client_hello(void *ctx, const struct dpi_tls_client_hello *h)
{
	(void)ctx;
	touch(h->sni);
	touch(h->cipher_suites);
	touch(h->extensions);
	if (h->sni.len > DPI_TLS_MAX_SNI || h->alpn_count > DPI_TLS_MAX_ALPN)
		abort();
	for (unsigned i = 0; i < h->alpn_count; i++)
		touch(h->alpn[i]);
	if (!dpi_tls_version_name(h->version))
		abort();
}

static void on_server_hello(void *ctx, const struct dpi_tls_server_hello *h)
{
	(void)ctx;
	(void)h;
}

static void on_alert(void *ctx, unsigned dir, uint8_t level, uint8_t description)
{
	(void)ctx;
	(void)level;
	(void)description;
	if (dir > 1)
		abort();
}

static void on_anomaly(void *ctx, const char *ev)
{
	(void)ctx;
	if (strncmp(ev, "tls.", 4) != 0)
		abort();
}

static const struct dpi_tls_cb cb = {
	.on_client_hello = on_client_hello,
	.on_server_hello = on_server_hello,
	.on_alert = on_alert,
	.on_anomaly = on_anomaly,
};

struct feeder {
	struct dpi_tls_state st;
	uint8_t *pend[2];
	size_t plen[2];
	bool dead[2];
};

/* Appends @n bytes to direction @dir's pending buffer and parses, as the
 * engine does; each call sees an allocation of exactly the pending bytes. */
static void feed(struct feeder *f, unsigned dir, const uint8_t *p, size_t n)
{
	while (n && !f->dead[dir]) {
		size_t k = n < DPI_MAX_PENDING - f->plen[dir] ? n : DPI_MAX_PENDING - f->plen[dir];

		memcpy(f->pend[dir] + f->plen[dir], p, k);
		f->plen[dir] += k;
		p += k;
		n -= k;
		while (f->plen[dir]) {
			uint8_t *c = malloc(f->plen[dir]);
			int r;

			if (!c)
				abort();
			memcpy(c, f->pend[dir], f->plen[dir]);
			r = dpi_tls_parse(&f->st, dir, c, f->plen[dir], &cb, NULL);
			free(c);
			if (r < 0) {
				f->dead[dir] = true;
				break;
			}
			if ((size_t)r > f->plen[dir])
				abort();
			if (r == 0) {
				/* A parser stuck on a full buffer breaks the contract. */
				if (f->plen[dir] == DPI_MAX_PENDING)
					abort();
				break;
			}
			memmove(f->pend[dir], f->pend[dir] + r, f->plen[dir] - (size_t)r);
			f->plen[dir] -= (size_t)r;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static uint8_t pend[2][DPI_MAX_PENDING];
	struct feeder f = {0};
	size_t off = 0;

	dpi_tls_init(&f.st);
	if (len >= 3) {
		/* The probe on the first record as the detector would see it. */
		size_t n = (size_t)buf[1] << 8 | buf[2];
		uint8_t *c;

		if (n > len - 3)
			n = len - 3;
		c = malloc(n ? n : 1);
		if (!c)
			abort();
		memcpy(c, buf + 3, n);
		(void)dpi_tls_probe(c, n);
		free(c);
	}
	/* The parser never sees these, only exact-size copies: static storage
	 * spares ASan two 64 KiB allocations per input. */
	f.pend[0] = pend[0];
	f.pend[1] = pend[1];
	while (off + 3 <= len) {
		unsigned dir = buf[off] & 1u;
		size_t n = (size_t)buf[off + 1] << 8 | buf[off + 2];

		off += 3;
		if (n > len - off)
			n = len - off;
		feed(&f, dir, buf + off, n);
		off += n;
	}
	return 0;
}
