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
#include "fuzz_feed.h"

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

static int parse(void *ctx, unsigned dir, const uint8_t *buf, size_t len)
{
	return dpi_tls_parse(ctx, dir, buf, len, &cb, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct dpi_tls_state st = {0};

	dpi_tls_init(&st);
	fuzz_feed_records(buf, len, parse, &st, dpi_tls_probe, FUZZ_FEED_PLAIN);
	return 0;
}
