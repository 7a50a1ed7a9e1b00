/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_mysql.c - libFuzzer target for the MySQL parser (dpi_mysql).
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

#include "dpi_mysql.h"
#include "fuzz_feed.h"

static void touch(struct dpi_slice s)
{
	uint8_t x = 0;

	for (uint32_t i = 0; i < s.len; i++)
		x ^= s.p[i];
	__asm__ volatile("" : : "r"(x));
}

static void on_greeting(void *ctx, const struct dpi_mysql_greeting *g)
{
	(void)ctx;
	touch(g->server_version);
	touch(g->auth_plugin);
}

static void on_login(void *ctx, const struct dpi_mysql_login *l)
{
	(void)ctx;
	touch(l->user);
	touch(l->database);
	touch(l->auth_plugin);
}

static void on_tls(void *ctx, unsigned dir, const uint8_t *data, size_t len)
{
	struct dpi_slice s = {data, (uint32_t)len};

	(void)ctx;
	if (dir > 1 || len > DPI_MAX_PENDING)
		abort();
	touch(s);
}

static void on_query(void *ctx, const struct dpi_mysql_query *q)
{
	(void)ctx;
	touch(q->text);
	touch(q->user);
	touch(q->database);
	if (q->user.len > DPI_MYSQL_NAME_MAX || q->database.len > DPI_MYSQL_NAME_MAX ||
	    q->text.len > DPI_MYSQL_MAX_STATEMENT)
		abort();
}

static void on_command(void *ctx, uint8_t cmd)
{
	(void)ctx;
	if (!dpi_mysql_command_name(cmd))
		abort();
}

static void on_error(void *ctx, const struct dpi_mysql_error *e)
{
	(void)ctx;
	touch(e->sqlstate);
	touch(e->message);
}

static void on_response(void *ctx, const struct dpi_mysql_response *r)
{
	(void)ctx;
	(void)r;
}

static void on_anomaly(void *ctx, const char *ev)
{
	(void)ctx;
	if (strncmp(ev, "mysql.", 6) != 0)
		abort();
}

static const struct dpi_mysql_cb cb = {
	.on_greeting = on_greeting,
	.on_login = on_login,
	.on_tls = on_tls,
	.on_query = on_query,
	.on_command = on_command,
	.on_error = on_error,
	.on_response = on_response,
	.on_anomaly = on_anomaly,
};

static int parse(void *ctx, unsigned dir, const uint8_t *buf, size_t len)
{
	return dpi_mysql_parse(ctx, dir, buf, len, &cb, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct dpi_mysql_state st = {0};

	dpi_mysql_init(&st);
	fuzz_feed_records(buf, len, parse, &st, dpi_mysql_probe_greeting, FUZZ_FEED_REPEAT);
	dpi_mysql_fini(&st);
	return 0;
}
