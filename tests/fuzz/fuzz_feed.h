/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_feed.h - the stream parsers' fuzz targets' common driver: it reads the
 * input as records [flags: 1 byte][length: 2 bytes, big endian][bytes], bit 0
 * of flags the direction, and feeds them as the engine does: a pending buffer
 * per direction, capped at DPI_MAX_PENDING, consumed bytes dropped; each call
 * sees a separately allocated copy of exactly the pending bytes, so
 * AddressSanitizer catches a read past a segment.
 *
 * With FUZZ_FEED_REPEAT, flags 0xfe or 0xff followed, after the length, by
 * 'R' and a 2-byte count (big endian) repeat the bytes that many times, fed
 * in pieces of up to 64 KiB (see fuzz_mysql.c).
 */
#ifndef FUZZ_FEED_H
#define FUZZ_FEED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_parser.h"

/* Most bytes one input may expand to through repeated records: past the
 * statement copy cap (1 MiB), yet small enough to keep the fuzzer fast.
 * Payloads past 16 MiB are the unit tests' (test_multi_packet). */
#define MAX_STREAM (1280u << 10)
#define REPEAT_PIECE 65536u

enum { FUZZ_FEED_PLAIN = 0, FUZZ_FEED_REPEAT = 1 };

/* Parses @len bytes of direction @dir into the parser state @ctx; returns
 * what the parser returns. */
typedef int (*fuzz_parse_fn)(void *ctx, unsigned dir, const uint8_t *buf, size_t len);
typedef bool (*fuzz_probe_fn)(const uint8_t *buf, size_t len);

struct fuzz_feeder {
	fuzz_parse_fn parse;
	void *ctx;
	uint8_t *pend[2];
	size_t plen[2];
	bool dead[2];
};

/* Appends @n bytes to direction @dir's pending buffer and parses, as the
 * engine does; each call sees an allocation of exactly the pending bytes. */
static inline void fuzz_feed(struct fuzz_feeder *f, unsigned dir, const uint8_t *p, size_t n)
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
			r = f->parse(f->ctx, dir, c, f->plen[dir]);
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

/* Runs @probe on the first record, then feeds every record of @buf to
 * @parse with @ctx (an initialised parser state, still the caller's to fini).
 * @mode is FUZZ_FEED_PLAIN or FUZZ_FEED_REPEAT. Not thread-safe: the pending
 * buffers are static. */
static inline void fuzz_feed_records(const uint8_t *buf, size_t len, fuzz_parse_fn parse,
				     void *ctx, fuzz_probe_fn probe, int mode)
{
	static uint8_t piece[REPEAT_PIECE];
	static uint8_t pend[2][DPI_MAX_PENDING];
	struct fuzz_feeder f = { .parse = parse, .ctx = ctx };
	size_t off = 0, total = 0;

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
		(void)probe(c, n);
		free(c);
	}
	/* The parser never sees these, only exact-size copies: static storage
	 * spares ASan two 64 KiB allocations per input. */
	f.pend[0] = pend[0];
	f.pend[1] = pend[1];
	while (off + 3 <= len) {
		unsigned dir = buf[off] & 1u;
		size_t reps = 1, n = (size_t)buf[off + 1] << 8 | buf[off + 2];

		if (mode == FUZZ_FEED_REPEAT && (buf[off] & 0xfeu) == 0xfeu && off + 6 <= len &&
		    buf[off + 3] == 'R') {
			reps = (size_t)buf[off + 4] << 8 | buf[off + 5];
			off += 3;
		}
		off += 3;
		if (n > len - off)
			n = len - off;
		if (reps == 1 || n == 0) {
			fuzz_feed(&f, dir, buf + off, n);
			total += n;
		} else {
			/* As many whole copies as a piece holds, fed piece by piece. */
			size_t per = n <= REPEAT_PIECE ? REPEAT_PIECE / n : 1, k = 0;

			for (size_t i = 0; i < per; i++)
				memcpy(piece + i * n, buf + off, n);
			while (reps && total < MAX_STREAM && !f.dead[dir]) {
				k = reps < per ? reps : per;
				fuzz_feed(&f, dir, piece, k * n);
				total += k * n;
				reps -= k;
			}
		}
		off += n;
	}
}

#endif
