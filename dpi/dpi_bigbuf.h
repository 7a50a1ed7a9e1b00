/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_bigbuf.h - the SQL parsers' copy of a statement too big for the
 * pending buffer: it grows by doubling from 64 KiB up to a hard cap, and past
 * the cap (or when realloc fails) the rest is dropped and the copy marked
 * truncated. The fields live in each parser's public state struct, so the
 * helpers take pointers to them. Not thread-safe; one copy per flow state.
 */
#ifndef DPI_BIGBUF_H
#define DPI_BIGBUF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Frees *@buf (may be NULL) and resets the copy to empty. */
static inline void dpi_bigbuf_free(uint8_t **buf, uint32_t *len, uint32_t *cap, bool *truncated)
{
	free(*buf);
	*buf = NULL;
	*len = *cap = 0;
	*truncated = false;
}

/* Appends @n bytes of @p to the copy, growing it up to @max bytes; what does
 * not fit is dropped and *@truncated set. The copy owns *@buf. */
static inline void dpi_bigbuf_append(uint8_t **buf, uint32_t *len, uint32_t *cap,
				     bool *truncated, uint32_t max, const uint8_t *p, uint32_t n)
{
	uint32_t room;

	if (*len + n > *cap && *cap < max) {
		uint32_t c = *cap ? *cap : 65536u;
		uint8_t *nb;

		while (c < *len + n && c < max)
			c *= 2;
		if (c > max)
			c = max;
		nb = realloc(*buf, c);
		if (nb) {
			*buf = nb;
			*cap = c;
		}
	}
	room = *cap - *len;
	if (n > room) {
		*truncated = true;
		n = room;
	}
	if (n) {
		memcpy(*buf + *len, p, n);
		*len += n;
	}
}

#endif
