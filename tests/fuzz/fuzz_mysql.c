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

/* Most bytes one input may expand to through repeated records: past the
 * statement copy cap (1 MiB), yet small enough to keep the fuzzer fast.
 * Payloads past 16 MiB are the unit tests' (test_multi_packet). */
#define MAX_STREAM (1280u << 10)
#define REPEAT_PIECE 65536u

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
	static uint8_t piece[REPEAT_PIECE];
	static uint8_t pend[2][DPI_MAX_PENDING];
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
	/* The parser never sees these, only exact-size copies: static storage
	 * spares ASan two 64 KiB allocations per input. */
	f.pend[0] = pend[0];
	f.pend[1] = pend[1];
	while (off + 3 <= len) {
		unsigned dir = buf[off] & 1u;
		size_t reps = 1, n = (size_t)buf[off + 1] << 8 | buf[off + 2];

		if ((buf[off] & 0xfeu) == 0xfeu && off + 6 <= len && buf[off + 3] == 'R') {
			reps = (size_t)buf[off + 4] << 8 | buf[off + 5];
			off += 3;
		}
		off += 3;
		if (n > len - off)
			n = len - off;
		if (reps == 1 || n == 0) {
			feed(&f, dir, buf + off, n);
			total += n;
		} else {
			/* As many whole copies as a piece holds, fed piece by piece. */
			size_t per = n <= REPEAT_PIECE ? REPEAT_PIECE / n : 1, k = 0;

			for (size_t i = 0; i < per; i++)
				memcpy(piece + i * n, buf + off, n);
			while (reps && total < MAX_STREAM && !f.dead[dir]) {
				k = reps < per ? reps : per;
				feed(&f, dir, piece, k * n);
				total += k * n;
				reps -= k;
			}
		}
		off += n;
	}
	dpi_mysql_fini(&f.st);
	return 0;
}
