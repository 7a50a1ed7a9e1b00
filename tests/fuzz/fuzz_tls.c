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

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct dpi_tls_state st;
	uint8_t *pend[2] = {NULL, NULL};
	size_t plen[2] = {0, 0}, off = 0;
	bool dead[2] = {false, false};

	dpi_tls_init(&st);
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
	for (int i = 0; i < 2; i++) {
		pend[i] = malloc(DPI_MAX_PENDING);
		if (!pend[i])
			abort();
	}
	while (off + 3 <= len) {
		unsigned dir = buf[off] & 1u;
		size_t n = (size_t)buf[off + 1] << 8 | buf[off + 2];

		off += 3;
		if (n > len - off)
			n = len - off;
		if (!dead[dir]) {
			size_t k = n < DPI_MAX_PENDING - plen[dir] ? n : DPI_MAX_PENDING - plen[dir];

			memcpy(pend[dir] + plen[dir], buf + off, k);
			plen[dir] += k;
			while (plen[dir]) {
				uint8_t *c = malloc(plen[dir]);
				int r;

				if (!c)
					abort();
				memcpy(c, pend[dir], plen[dir]);
				r = dpi_tls_parse(&st, dir, c, plen[dir], &cb, NULL);
				free(c);
				if (r < 0) {
					dead[dir] = true;
					break;
				}
				if ((size_t)r > plen[dir])
					abort();
				if (r == 0) {
					/* A parser stuck on a full buffer breaks the contract. */
					if (plen[dir] == DPI_MAX_PENDING)
						abort();
					break;
				}
				memmove(pend[dir], pend[dir] + r, plen[dir] - (size_t)r);
				plen[dir] -= (size_t)r;
			}
		}
		off += n;
	}
	free(pend[0]);
	free(pend[1]);
	return 0;
}
