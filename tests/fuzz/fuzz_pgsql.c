/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_pgsql.c - libFuzzer target for the PostgreSQL parser (dpi_pgsql).
 *
 * Input: records [flags: 1 byte][length: 2 bytes, big endian][bytes]; bit 0
 * of flags is the direction (0: to the server). Flags 0xfe or 0xff followed,
 * after the length, by 'R' and a 2-byte count (big endian) repeat the bytes
 * that many times, fed in pieces of up to 64 KiB, so that short inputs reach
 * the paths of payloads over DPI_MAX_PENDING and over the statement cap. The
 * 'R' keeps the 0xff bytes common in both protocols from expanding most
 * mutated inputs into megabytes, which would slow the fuzzer tenfold.
 *
 * The target feeds the bytes as the engine does: a pending buffer per
 * direction, capped at DPI_MAX_PENDING, consumed bytes dropped; each call
 * sees a separately allocated copy of exactly the pending bytes, so
 * AddressSanitizer catches a read past a segment. Callbacks touch every byte
 * of every slice.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_pgsql.h"
#include "fuzz_feed.h"

static void touch(struct dpi_slice s)
{
	uint8_t x = 0;

	for (uint32_t i = 0; i < s.len; i++)
		x ^= s.p[i];
	__asm__ volatile("" : : "r"(x));
}

static void on_startup(void *ctx, const struct dpi_pgsql_startup *s)
{
	(void)ctx;
	touch(s->user);
	touch(s->database);
	touch(s->application_name);
	touch(s->options);
	touch(s->replication);
}

static void on_cancel(void *ctx, uint32_t pid)
{
	(void)ctx;
	(void)pid;
}

static void on_switch(void *ctx, unsigned dir, const uint8_t *data, size_t len)
{
	struct dpi_slice s = {data, (uint32_t)len};

	(void)ctx;
	if (dir > 1 || len > DPI_MAX_PENDING)
		abort();
	touch(s);
}

static void on_query(void *ctx, const struct dpi_pgsql_query *q)
{
	(void)ctx;
	touch(q->statement);
	touch(q->text);
	touch(q->user);
	touch(q->database);
	if (q->user.len > DPI_PGSQL_NAME_MAX || q->database.len > DPI_PGSQL_NAME_MAX ||
	    q->text.len > DPI_PGSQL_MAX_STATEMENT)
		abort();
}

static void on_error(void *ctx, const struct dpi_pgsql_error *e)
{
	(void)ctx;
	touch(e->severity);
	touch(e->code);
	touch(e->message);
	touch(e->detail);
}

static void on_auth(void *ctx, uint32_t code)
{
	(void)ctx;
	(void)code;
}

static void on_complete(void *ctx, struct dpi_slice tag)
{
	(void)ctx;
	touch(tag);
}

static void on_ready(void *ctx, uint8_t status)
{
	(void)ctx;
	(void)status;
}

static void on_message(void *ctx, unsigned dir, uint8_t type, uint32_t len)
{
	(void)ctx;
	(void)type;
	if (dir > 1 || len < 4 || len > DPI_PGSQL_MAX_MESSAGE)
		abort();
}

static void on_anomaly(void *ctx, const char *ev)
{
	(void)ctx;
	if (strncmp(ev, "pgsql.", 6) != 0)
		abort();
}

static const struct dpi_pgsql_cb cb = {
	.on_startup = on_startup,
	.on_cancel = on_cancel,
	.on_tls = on_switch,
	.on_gssenc = on_switch,
	.on_query = on_query,
	.on_error = on_error,
	.on_auth = on_auth,
	.on_complete = on_complete,
	.on_ready = on_ready,
	.on_message = on_message,
	.on_anomaly = on_anomaly,
};

static int parse(void *ctx, unsigned dir, const uint8_t *buf, size_t len)
{
	return dpi_pgsql_parse(ctx, dir, buf, len, &cb, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct dpi_pgsql_state st = {0};

	dpi_pgsql_init(&st);
	fuzz_feed_records(buf, len, parse, &st, dpi_pgsql_probe, FUZZ_FEED_REPEAT);
	dpi_pgsql_fini(&st);
	return 0;
}
