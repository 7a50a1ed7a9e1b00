/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bh_wire.h - client messages the unit tests send through a dpi worker.
 */
#ifndef BH_WIRE_H
#define BH_WIRE_H

#include <stdint.h>
#include <string.h>

/* A PostgreSQL client's startup (user and database "shop") and one simple
 * Query with @sql into @out (at least strlen(sql) + 64 bytes). Returns the
 * length. */
static inline size_t bh_pg_query(uint8_t *out, const char *sql)
{
	static const char params[] = "user\0shop\0database\0shop\0";
	size_t n = 0, plen = sizeof(params), qlen = strlen(sql) + 1;
	uint32_t len = (uint32_t)(8 + plen);

	out[n++] = (uint8_t)(len >> 24);
	out[n++] = (uint8_t)(len >> 16);
	out[n++] = (uint8_t)(len >> 8);
	out[n++] = (uint8_t)len;
	memcpy(out + n, "\x00\x03\x00\x00", 4);
	n += 4;
	memcpy(out + n, params, plen);
	n += plen;
	out[n++] = 'Q';
	len = (uint32_t)(4 + qlen);
	out[n++] = (uint8_t)(len >> 24);
	out[n++] = (uint8_t)(len >> 16);
	out[n++] = (uint8_t)(len >> 8);
	out[n++] = (uint8_t)len;
	memcpy(out + n, sql, qlen);
	return n + qlen;
}

#endif
