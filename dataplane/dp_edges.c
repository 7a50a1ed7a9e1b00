/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_edges.c - the edge table: open addressing over a fixed array, keyed by
 * (src, dst, proto, port). Edges are few (workload pairs, not flows), so a
 * full table is rare and only counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/bh_policy.h"
#include "dp_edges.h"

struct dp_edges {
	uint32_t cap, mask, n;
	uint64_t lost;
	struct dp_edge *slot;
	uint8_t *used;
};

int dp_edges_new(uint32_t cap, struct dp_edges **ret)
{
	struct dp_edges *e = calloc(1, sizeof(*e));
	uint32_t size = 16;

	if (!e)
		return -ENOMEM;
	while (size < cap * 2u && size < (1u << 24))
		size <<= 1;
	e->cap = cap;
	e->mask = size - 1;
	e->slot = calloc(size, sizeof(*e->slot));
	e->used = calloc(size, 1);
	if (!e->slot || !e->used) {
		dp_edges_free(e);
		return -ENOMEM;
	}
	*ret = e;
	return 0;
}

void dp_edges_free(struct dp_edges *e)
{
	if (!e)
		return;
	free(e->slot);
	free(e->used);
	free(e);
}

static uint32_t hash_key(const char *src, const char *dst, uint8_t proto, uint16_t port)
{
	uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)proto << 16 | port);

	for (const char *s = src; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	h = (h ^ 0xff) * 0x100000001b3ull; /* "ab"+"c" is not "a"+"bc" */
	for (const char *s = dst; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return (uint32_t)(h ^ h >> 32);
}

static void copy_name(char *out, const char *s)
{
	size_t n = strlen(s);

	if (n >= DP_EDGE_NAME)
		n = DP_EDGE_NAME - 1;
	memcpy(out, s, n);
	out[n] = 0;
}

void dp_edges_add(struct dp_edges *e, const char *src, const char *dst, uint8_t proto,
		  uint16_t port, unsigned action, uint64_t ts_us)
{
	char s[DP_EDGE_NAME], d[DP_EDGE_NAME];
	uint32_t i;

	if (action >= BH_ACT__MAX)
		return;
	copy_name(s, src);
	copy_name(d, dst);
	for (i = hash_key(s, d, proto, port) & e->mask; e->used[i]; i = (i + 1) & e->mask) {
		struct dp_edge *x = &e->slot[i];

		if (x->proto == proto && x->port == port && !strcmp(x->src, s) &&
		    !strcmp(x->dst, d))
			break;
	}
	if (!e->used[i]) {
		if (e->n == e->cap) {
			e->lost++;
			return;
		}
		e->used[i] = 1;
		e->n++;
		memcpy(e->slot[i].src, s, sizeof(s));
		memcpy(e->slot[i].dst, d, sizeof(d));
		e->slot[i].proto = proto;
		e->slot[i].port = port;
	}
	e->slot[i].count[action]++;
	if (ts_us > e->slot[i].last_us)
		e->slot[i].last_us = ts_us;
}

void dp_edges_foreach(const struct dp_edges *e, dp_edges_fn fn, void *ctx)
{
	for (uint32_t i = 0; i <= e->mask; i++)
		if (e->used[i] && fn(ctx, &e->slot[i]))
			return;
}

uint64_t dp_edges_lost(const struct dp_edges *e)
{
	return e->lost;
}
