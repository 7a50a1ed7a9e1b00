/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_mysql.c - libFuzzer target for the MySQL parser (dpi_mysql).
 *
 * Input: records [flags: 1 byte][length: 2 bytes, big endian][bytes]; bit 0
 * of flags is the direction (0: to the server); with bit 1 set a 2-byte
 * repeat count (big endian) follows the length and the bytes are fed that
 * many times, so that short inputs reach the paths of payloads over
 * DPI_MAX_PENDING and past 16 MiB. The target feeds them as the
 * engine does: a pending buffer per direction, capped at DPI_MAX_PENDING,
 * consumed bytes dropped; each call sees a separately allocated copy of
 * exactly the pending bytes, so AddressSanitizer catches a read past a
 * segment. Callbacks touch every byte of every slice.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_mysql.h"

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

static void on_tls(void *ctx, unsigned dir)
{
	(void)ctx;
	if (dir > 1)
		abort();
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

/* Most bytes one input may expand to through repeated records: enough for a
 * 16 MiB multi-packet payload and a statement over the copy cap. */
#define MAX_STREAM (24u << 20)

struct feeder {
	struct dpi_mysql_state st;
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
			r = dpi_mysql_parse(&f->st, dir, c, f->plen[dir], &cb, NULL);
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
	struct feeder f = {0};
	size_t off = 0, total = 0;

	dpi_mysql_init(&f.st);
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
		(void)dpi_mysql_probe_greeting(c, n);
		free(c);
	}
	for (int i = 0; i < 2; i++) {
		f.pend[i] = malloc(DPI_MAX_PENDING);
		if (!f.pend[i])
			abort();
	}
	while (off + 3 <= len) {
		unsigned dir = buf[off] & 1u;
		size_t reps = 1, n = (size_t)buf[off + 1] << 8 | buf[off + 2];

		if (buf[off] & 2u) {
			if (off + 5 > len)
				break;
			reps = (size_t)buf[off + 3] << 8 | buf[off + 4];
			off += 2;
		}
		off += 3;
		if (n > len - off)
			n = len - off;
		for (size_t i = 0; i < reps && total + n <= MAX_STREAM; i++) {
			feed(&f, dir, buf + off, n);
			total += n;
			if (n == 0 || f.dead[dir])
				break;
		}
		off += n;
	}
	dpi_mysql_fini(&f.st);
	free(f.pend[0]);
	free(f.pend[1]);
	return 0;
}
