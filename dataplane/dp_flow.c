/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_flow.c - symmetric flow table with per-class LRU lists.
 *
 * Storage is a slab of fixed-size chunks indexed by 32-bit ids, allocated as
 * the table fills; a free list recycles removed flows. Buckets hold the index
 * of a chain head. Nothing here is thread-safe: one table per worker.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dp_flow.h"

#define CHUNK_SHIFT 14
#define CHUNK_SIZE (1u << CHUNK_SHIFT)

struct lru {
	uint32_t head, tail;
};

struct dp_flow_table {
	uint32_t capacity, count;
	uint32_t nbuckets;          /* power of two */
	uint32_t used;              /* slab slots handed out so far */
	uint32_t free_head;         /* recycled slots, chained through hnext */
	uint64_t seed[2];
	uint32_t *buckets;
	struct dp_flow **chunks;
	uint32_t nchunks;
	struct lru lru[DP_FC__MAX];
	struct dp_flow_timeouts to;
};

void dp_flow_timeouts_init(struct dp_flow_timeouts *t)
{
	static const uint64_t s = 1000000;

	t->us[DP_FC_TCP_NEW] = 30 * s;
	t->us[DP_FC_TCP_EST] = 600 * s;
	t->us[DP_FC_TCP_CLOSING] = 120 * s;
	t->us[DP_FC_TCP_CLOSED] = 10 * s;
	t->us[DP_FC_UDP_NEW] = 30 * s;
	t->us[DP_FC_UDP_EST] = 120 * s;
	t->us[DP_FC_OTHER] = 30 * s;
}

static inline struct dp_flow *slot(const struct dp_flow_table *t, uint32_t i)
{
	return &t->chunks[i >> CHUNK_SHIFT][i & (CHUNK_SIZE - 1)];
}

static inline uint32_t index_of(const struct dp_flow_table *t, const struct dp_flow *f)
{
	(void)t;
	return f->self;
}

static int addr_port_cmp(const union bh_addr *x, uint16_t px, const union bh_addr *y, uint16_t py)
{
	int c = memcmp(x->b, y->b, 16);

	if (c)
		return c;
	return (int)px - (int)py;
}

unsigned dp_flow_key_make(struct dp_flow_key *k, const struct dp_packet *p)
{
	uint16_t sp = p->sport, dp = p->dport;
	unsigned dir;

	memset(k, 0, sizeof(*k));
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6 || !p->has_l4 ||
	    (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP && p->proto != 132))
		sp = dp = 0; /* tracked by address pair (and protocol) */
	if (addr_port_cmp(&p->src, sp, &p->dst, dp) <= 0) {
		k->a = p->src;
		k->pa = sp;
		k->b = p->dst;
		k->pb = dp;
		dir = 0;
	} else {
		k->a = p->dst;
		k->pa = dp;
		k->b = p->src;
		k->pb = sp;
		dir = 1;
	}
	k->vlan[0] = p->vlan_cnt > 0 ? p->vlan[0] : 0;
	k->vlan[1] = p->vlan_cnt > 1 ? p->vlan[1] : 0;
	k->proto = p->proto;
	k->family = p->family;
	return dir;
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Keyed hash over the key's 8-byte words. Not cryptographic, but seeded per
 * table so a peer cannot aim its flows at one bucket without knowing it. */
static uint64_t key_hash(const struct dp_flow_key *k, uint64_t s0, uint64_t s1)
{
	uint64_t w[sizeof(*k) / 8 + 1] = {0};
	uint64_t h = s0;

	memcpy(w, k, sizeof(*k));
	for (size_t i = 0; i < sizeof(w) / 8; i++)
		h = mix64(h ^ w[i] ^ s1) + (h << 7);
	return mix64(h);
}

uint32_t dp_flow_hash(const struct dp_flow_table *t, const struct dp_flow_key *k)
{
	return (uint32_t)key_hash(k, t->seed[0], t->seed[1]);
}

uint64_t dp_flow_id(const struct dp_flow_key *k, uint64_t start_us)
{
	return key_hash(k, 0x62756c6b68656164ULL ^ start_us, 0x9e3779b97f4a7c15ULL) &
	       ((1ULL << 51) - 1);
}

int dp_flow_table_new(uint32_t capacity, const struct dp_flow_timeouts *to,
		      struct dp_flow_table **ret)
{
	struct dp_flow_table *t;
	uint32_t nb = 1;

	if (capacity == 0 || capacity > (1u << 30))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	while (nb < capacity)
		nb <<= 1;
	t->capacity = capacity;
	t->nbuckets = nb;
	t->free_head = DP_FLOW_NIL;
	t->nchunks = (capacity + CHUNK_SIZE - 1) / CHUNK_SIZE;
	t->buckets = malloc(sizeof(*t->buckets) * nb);
	t->chunks = calloc(t->nchunks, sizeof(*t->chunks));
	if (!t->buckets || !t->chunks) {
		dp_flow_table_free(t);
		return -ENOMEM;
	}
	memset(t->buckets, 0xff, sizeof(*t->buckets) * nb);
	for (unsigned c = 0; c < DP_FC__MAX; c++)
		t->lru[c].head = t->lru[c].tail = DP_FLOW_NIL;
	if (to)
		t->to = *to;
	else
		dp_flow_timeouts_init(&t->to);
	if (getrandom(t->seed, sizeof(t->seed), 0) != sizeof(t->seed)) {
		/* Without entropy the table still works, only less DoS-proof. */
		t->seed[0] = (uint64_t)(uintptr_t)t;
		t->seed[1] = (uint64_t)(uintptr_t)t->buckets;
	}
	*ret = t;
	return 0;
}

void dp_flow_table_free(struct dp_flow_table *t)
{
	if (!t)
		return;
	if (t->chunks)
		for (uint32_t c = 0; c < t->nchunks; c++)
			free(t->chunks[c]);
	free(t->chunks);
	free(t->buckets);
	free(t);
}

struct dp_flow *dp_flow_lookup(struct dp_flow_table *t, const struct dp_flow_key *k, uint32_t hash)
{
	uint32_t i = t->buckets[hash & (t->nbuckets - 1)];

	while (i != DP_FLOW_NIL) {
		struct dp_flow *f = slot(t, i);

		if (memcmp(&f->key, k, sizeof(*k)) == 0)
			return f;
		i = f->hnext;
	}
	return NULL;
}

static void lru_unlink(struct dp_flow_table *t, struct dp_flow *f)
{
	struct lru *l = &t->lru[f->fclass];

	if (f->lprev != DP_FLOW_NIL)
		slot(t, f->lprev)->lnext = f->lnext;
	else
		l->head = f->lnext;
	if (f->lnext != DP_FLOW_NIL)
		slot(t, f->lnext)->lprev = f->lprev;
	else
		l->tail = f->lprev;
}

static void lru_push(struct dp_flow_table *t, struct dp_flow *f, uint32_t idx)
{
	struct lru *l = &t->lru[f->fclass];

	f->lprev = DP_FLOW_NIL;
	f->lnext = l->head;
	if (l->head != DP_FLOW_NIL)
		slot(t, l->head)->lprev = idx;
	else
		l->tail = idx;
	l->head = idx;
}

bool dp_flow_table_full(const struct dp_flow_table *t)
{
	return t->count >= t->capacity;
}

uint32_t dp_flow_count(const struct dp_flow_table *t)
{
	return t->count;
}

struct dp_flow *dp_flow_insert(struct dp_flow_table *t, const struct dp_flow_key *k, uint32_t hash)
{
	uint32_t idx, b = hash & (t->nbuckets - 1);
	struct dp_flow *f;

	if (t->count >= t->capacity)
		return NULL;
	if (t->free_head != DP_FLOW_NIL) {
		idx = t->free_head;
		f = slot(t, idx);
		t->free_head = f->hnext;
	} else {
		uint32_t c = t->used >> CHUNK_SHIFT;

		if (!t->chunks[c]) {
			/* The last chunk holds only what the capacity needs, so a
			 * small table stays small. */
			uint32_t n = t->capacity - c * CHUNK_SIZE;

			t->chunks[c] = malloc(sizeof(struct dp_flow) * (n < CHUNK_SIZE ? n : CHUNK_SIZE));
			if (!t->chunks[c])
				return NULL;
		}
		idx = t->used++;
		f = slot(t, idx);
	}
	memset(f, 0, sizeof(*f));
	f->self = idx;
	f->key = *k;
	f->hnext = t->buckets[b];
	t->buckets[b] = idx;
	f->fclass = DP_FC_OTHER;
	lru_push(t, f, idx);
	t->count++;
	return f;
}

void dp_flow_touch(struct dp_flow_table *t, struct dp_flow *f, enum dp_flow_class cls)
{
	uint32_t idx;

	if (t->lru[f->fclass].head != DP_FLOW_NIL && slot(t, t->lru[f->fclass].head) == f &&
	    f->fclass == cls)
		return; /* already the most recent of its class */
	idx = index_of(t, f);
	lru_unlink(t, f);
	f->fclass = (uint8_t)cls;
	lru_push(t, f, idx);
}

void dp_flow_remove(struct dp_flow_table *t, struct dp_flow *f)
{
	uint32_t idx = index_of(t, f);
	uint32_t *pp = &t->buckets[dp_flow_hash(t, &f->key) & (t->nbuckets - 1)];

	while (*pp != DP_FLOW_NIL && *pp != idx)
		pp = &slot(t, *pp)->hnext;
	if (*pp == idx)
		*pp = f->hnext;
	lru_unlink(t, f);
	f->hnext = t->free_head;
	t->free_head = idx;
	t->count--;
}

bool dp_flow_is_expired(const struct dp_flow_table *t, const struct dp_flow *f, uint64_t now_us)
{
	return now_us > f->last_us && now_us - f->last_us > t->to.us[f->fclass];
}

/* The least recently used flow over all classes' tails; with @now_us, only
 * among those expired then. Each list is ordered by activity, so its tail
 * is its oldest and the answer is one of at most DP_FC__MAX tails. */
static struct dp_flow *oldest_tail(struct dp_flow_table *t, const uint64_t *now_us)
{
	struct dp_flow *best = NULL;

	for (unsigned c = 0; c < DP_FC__MAX; c++) {
		struct dp_flow *f;

		if (t->lru[c].tail == DP_FLOW_NIL)
			continue;
		f = slot(t, t->lru[c].tail);
		if (now_us && !dp_flow_is_expired(t, f, *now_us))
			continue;
		if (!best || f->last_us < best->last_us)
			best = f;
	}
	return best;
}

struct dp_flow *dp_flow_lru(struct dp_flow_table *t)
{
	return oldest_tail(t, NULL);
}

struct dp_flow *dp_flow_expired(struct dp_flow_table *t, uint64_t now_us)
{
	return oldest_tail(t, &now_us);
}

void dp_flow_foreach(struct dp_flow_table *t, void (*fn)(void *ctx, struct dp_flow *f), void *ctx)
{
	for (unsigned c = 0; c < DP_FC__MAX; c++)
		for (uint32_t i = t->lru[c].head; i != DP_FLOW_NIL; i = slot(t, i)->lnext)
			fn(ctx, slot(t, i));
}
