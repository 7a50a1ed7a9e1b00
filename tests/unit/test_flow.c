/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_flow.c - the flow table: symmetric keys, insert/lookup/remove, the
 * per-class LRU lists, eviction order, expiry, slot reuse, and 100k random
 * operations checked against a plain array.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "bh_test.h"
#include "dp_flow.h"

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint32_t rnd(void)
{
	return bh_xorshift(&rng_state);
}

/* A decoded packet between two IPv4 endpoints (the last octet given). */
static struct dp_packet pkt4(uint8_t a, uint16_t sp, uint8_t b, uint16_t dp, uint8_t proto)
{
	struct dp_packet p;
	uint8_t va[4] = {10, 0, 0, a}, vb[4] = {10, 0, 0, b};

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.proto = proto;
	dp_addr_from_v4(&p.src, va);
	dp_addr_from_v4(&p.dst, vb);
	p.sport = sp;
	p.dport = dp;
	p.has_l4 = true;
	return p;
}

static struct dp_packet reverse(const struct dp_packet *p)
{
	struct dp_packet r = *p;

	r.src = p->dst;
	r.dst = p->src;
	r.sport = p->dport;
	r.dport = p->sport;
	return r;
}

static int key_eq(const struct dp_flow_key *x, const struct dp_flow_key *y)
{
	return memcmp(x, y, sizeof(*x)) == 0;
}

static struct dp_flow_table *mk_table(uint32_t cap, const struct dp_flow_timeouts *to)
{
	struct dp_flow_table *t = NULL;

	CHECK_EQ(dp_flow_table_new(cap, to, &t), 0);
	if (!t)
		abort();
	return t;
}

static struct dp_flow *ins(struct dp_flow_table *t, const struct dp_flow_key *k)
{
	return dp_flow_insert(t, k, dp_flow_hash(t, k));
}

static struct dp_flow *look(struct dp_flow_table *t, const struct dp_flow_key *k)
{
	return dp_flow_lookup(t, k, dp_flow_hash(t, k));
}

/* Key number @i: distinct for every i < 2^24. */
static struct dp_flow_key key_n(uint32_t i)
{
	struct dp_packet p = pkt4((uint8_t)(i & 0xff), (uint16_t)(1024 + (i >> 8)), 200, 443,
				  IPPROTO_TCP);
	struct dp_flow_key k;

	p.vlan_cnt = 1;
	p.vlan[0] = (uint16_t)(i >> 20);
	dp_flow_key_make(&k, &p);
	return k;
}

static void test_key_symmetry(void)
{
	struct dp_packet p = pkt4(1, 40000, 2, 80, IPPROTO_TCP), r = reverse(&p);
	struct dp_flow_key k1, k2;

	CHECK_EQ(dp_flow_key_make(&k1, &p), 0);
	CHECK_EQ(dp_flow_key_make(&k2, &r), 1);
	CHECK(key_eq(&k1, &k2));
	CHECK_EQ(k1.pa, 40000);
	CHECK_EQ(k1.pb, 80);
	CHECK_EQ(k1.proto, IPPROTO_TCP);
	CHECK_EQ(k1.family, AF_INET);
	CHECK(memcmp(&k1.a, &p.src, 16) == 0);

	/* The higher address first: direction 1. */
	p = pkt4(9, 1, 3, 2, IPPROTO_UDP);
	r = reverse(&p);
	CHECK_EQ(dp_flow_key_make(&k1, &p), 1);
	CHECK_EQ(dp_flow_key_make(&k2, &r), 0);
	CHECK(key_eq(&k1, &k2));
	CHECK_EQ(k1.pa, 2);

	/* Same address both ends: the port orders them. */
	p = pkt4(5, 9000, 5, 53, IPPROTO_UDP);
	r = reverse(&p);
	CHECK_EQ(dp_flow_key_make(&k1, &p), 1);
	CHECK_EQ(dp_flow_key_make(&k2, &r), 0);
	CHECK(key_eq(&k1, &k2));
	/* ... and a packet to itself is direction 0. */
	p = pkt4(5, 53, 5, 53, IPPROTO_UDP);
	CHECK_EQ(dp_flow_key_make(&k1, &p), 0);

	/* Protocol and family are part of the key. */
	p = pkt4(1, 40000, 2, 80, IPPROTO_TCP);
	dp_flow_key_make(&k1, &p);
	p.proto = IPPROTO_UDP;
	dp_flow_key_make(&k2, &p);
	CHECK(!key_eq(&k1, &k2));

	/* IPv6. */
	{
		struct dp_packet q;

		memset(&q, 0, sizeof(q));
		q.family = AF_INET6;
		q.proto = IPPROTO_TCP;
		q.has_l4 = true;
		q.src.b[0] = 0x20;
		q.src.b[15] = 7;
		q.dst.b[0] = 0x20;
		q.dst.b[15] = 3;
		q.sport = 1;
		q.dport = 2;
		r = reverse(&q);
		CHECK_EQ(dp_flow_key_make(&k1, &q), 1);
		CHECK_EQ(dp_flow_key_make(&k2, &r), 0);
		CHECK(key_eq(&k1, &k2));
		CHECK_EQ(k1.family, AF_INET6);
	}
}

/* ICMP, fragments without L4 and unknown protocols go by address pair. */
static void test_key_no_ports(void)
{
	struct dp_packet req = pkt4(1, 8, 2, 0, IPPROTO_ICMP); /* echo request */
	struct dp_packet rep = pkt4(2, 0, 1, 0, IPPROTO_ICMP); /* echo reply */
	struct dp_flow_key k1, k2;

	CHECK_EQ(dp_flow_key_make(&k1, &req), 0);
	CHECK_EQ(dp_flow_key_make(&k2, &rep), 1);
	CHECK(key_eq(&k1, &k2));
	CHECK_EQ(k1.pa, 0);
	CHECK_EQ(k1.pb, 0);

	req.proto = rep.proto = IPPROTO_ICMPV6;
	dp_flow_key_make(&k1, &req);
	dp_flow_key_make(&k2, &rep);
	CHECK(key_eq(&k1, &k2));

	req = pkt4(1, 1234, 2, 80, IPPROTO_TCP);
	req.has_l4 = false;
	dp_flow_key_make(&k1, &req);
	CHECK_EQ(k1.pa, 0);
	CHECK_EQ(k1.pb, 0);

	req = pkt4(1, 1234, 2, 80, 47 /* GRE */);
	dp_flow_key_make(&k1, &req);
	CHECK_EQ(k1.pa, 0);
	req = pkt4(1, 1234, 2, 80, 132 /* SCTP */);
	dp_flow_key_make(&k1, &req);
	CHECK_EQ(k1.pa, 1234);
}

static void test_key_vlan(void)
{
	struct dp_packet p = pkt4(1, 40000, 2, 80, IPPROTO_TCP), r;
	struct dp_flow_key k0, k1, k2, k3;

	dp_flow_key_make(&k0, &p);
	p.vlan_cnt = 1;
	p.vlan[0] = 100;
	p.vlan[1] = 999; /* not counted: ignored */
	dp_flow_key_make(&k1, &p);
	CHECK(!key_eq(&k0, &k1));
	CHECK_EQ(k1.vlan[0], 100);
	CHECK_EQ(k1.vlan[1], 0);
	r = reverse(&p);
	dp_flow_key_make(&k2, &r);
	CHECK(key_eq(&k1, &k2));
	p.vlan_cnt = 2;
	dp_flow_key_make(&k3, &p);
	CHECK(!key_eq(&k1, &k3));
	CHECK_EQ(k3.vlan[1], 999);
	p.vlan_cnt = 1;
	p.vlan[0] = 101;
	dp_flow_key_make(&k2, &p);
	CHECK(!key_eq(&k1, &k2));
}

static void test_basic(void)
{
	struct dp_flow_table *t = mk_table(4, NULL);
	struct dp_flow_key k[5];
	struct dp_flow *f[5];
	struct dp_flow_table *bad = NULL;

	CHECK_EQ(dp_flow_table_new(0, NULL, &bad), -EINVAL);
	CHECK(bad == NULL);
	dp_flow_table_free(NULL);

	for (int i = 0; i < 5; i++)
		k[i] = key_n((uint32_t)i);
	CHECK_EQ(dp_flow_count(t), 0);
	CHECK(dp_flow_lru(t) == NULL);
	CHECK(look(t, &k[0]) == NULL);
	for (int i = 0; i < 4; i++) {
		CHECK(!dp_flow_table_full(t));
		f[i] = ins(t, &k[i]);
		CHECK(f[i] != NULL);
		if (!f[i])
			abort();
		CHECK(key_eq(&f[i]->key, &k[i]));
		CHECK_EQ(f[i]->fclass, DP_FC_OTHER);
		CHECK_EQ(f[i]->pkts[0] + f[i]->bytes[1] + f[i]->stream[0].next, 0);
		CHECK(f[i]->stream[0].buf == NULL && f[i]->l7 == NULL);
		CHECK_EQ(dp_flow_count(t), (uint32_t)i + 1);
	}
	CHECK(dp_flow_table_full(t));
	CHECK(ins(t, &k[4]) == NULL);
	CHECK_EQ(dp_flow_count(t), 4);
	for (int i = 0; i < 4; i++)
		CHECK(look(t, &k[i]) == f[i]);
	CHECK(look(t, &k[4]) == NULL);

	/* The hash is stable for a table. */
	CHECK_EQ(dp_flow_hash(t, &k[1]), dp_flow_hash(t, &k[1]));

	dp_flow_remove(t, f[1]);
	CHECK_EQ(dp_flow_count(t), 3);
	CHECK(look(t, &k[1]) == NULL);
	CHECK(look(t, &k[0]) == f[0]);
	CHECK(look(t, &k[2]) == f[2]);
	CHECK(!dp_flow_table_full(t));

	/* The freed slot is reused, zeroed. */
	f[1]->pkts[0] = 77;
	f[4] = ins(t, &k[4]);
	CHECK(f[4] == f[1]);
	if (f[4]) {
		CHECK_EQ(f[4]->pkts[0], 0);
		CHECK(key_eq(&f[4]->key, &k[4]));
	}
	CHECK(look(t, &k[4]) == f[4]);
	CHECK(look(t, &k[1]) == NULL);

	/* Remove everything, then fill again. */
	for (int i = 0; i < 5; i++)
		if (i != 1)
			dp_flow_remove(t, f[i]);
	CHECK_EQ(dp_flow_count(t), 0);
	CHECK(dp_flow_lru(t) == NULL);
	for (int i = 0; i < 4; i++)
		CHECK(ins(t, &k[i]) != NULL);
	for (int i = 0; i < 4; i++)
		CHECK(look(t, &k[i]) != NULL);
	CHECK(dp_flow_table_full(t));
	dp_flow_table_free(t);
}

/* Keys whose padding differs still find each other: the table must not
 * depend on how the caller's key was built beyond dp_flow_key_make(). */
static void test_key_copy(void)
{
	struct dp_flow_table *t = mk_table(8, NULL);
	struct dp_flow_key k = key_n(3), k2;
	struct dp_flow *f = ins(t, &k);

	k2 = k;
	CHECK(f != NULL);
	CHECK(look(t, &k2) == f);
	CHECK(f && memcmp(&f->key, &k, sizeof(k)) == 0);
	dp_flow_table_free(t);
}

struct visit {
	unsigned n;
	struct dp_flow *seen[16];
};

static void on_flow(void *ctx, struct dp_flow *f)
{
	struct visit *v = ctx;

	if (v->n < 16)
		v->seen[v->n] = f;
	v->n++;
}

static void test_lru_classes(void)
{
	struct dp_flow_table *t = mk_table(8, NULL);
	struct dp_flow *f[6];
	struct visit v = {0};

	for (int i = 0; i < 6; i++) {
		struct dp_flow_key k = key_n((uint32_t)i);

		f[i] = ins(t, &k);
		if (!f[i])
			abort();
	}
	/* Spread over classes; as in the engine, activity times grow with
	 * touch order, so every class list is ordered by time too. */
	f[0]->last_us = 10, dp_flow_touch(t, f[0], DP_FC_TCP_EST);
	f[1]->last_us = 20, dp_flow_touch(t, f[1], DP_FC_UDP_NEW);
	f[2]->last_us = 30, dp_flow_touch(t, f[2], DP_FC_TCP_EST);
	f[3]->last_us = 40, dp_flow_touch(t, f[3], DP_FC_TCP_CLOSED);
	f[4]->last_us = 50, dp_flow_touch(t, f[4], DP_FC_OTHER);
	f[5]->last_us = 60, dp_flow_touch(t, f[5], DP_FC_UDP_NEW);
	CHECK_EQ(f[0]->fclass, DP_FC_TCP_EST);
	CHECK_EQ(f[4]->fclass, DP_FC_OTHER);

	dp_flow_foreach(t, on_flow, &v);
	CHECK_EQ(v.n, 6);
	for (int i = 0; i < 6; i++) {
		int once = 0;

		for (unsigned j = 0; j < v.n && j < 16; j++)
			once += v.seen[j] == f[i];
		CHECK_EQ(once, 1);
	}

	/* Least recent over all classes. */
	CHECK(dp_flow_lru(t) == f[0]);
	dp_flow_remove(t, f[0]);
	CHECK(dp_flow_lru(t) == f[1]);
	dp_flow_remove(t, f[1]);
	CHECK(dp_flow_lru(t) == f[2]);

	/* Touching moves to the head; changing class moves lists. */
	f[2]->last_us = 70;
	dp_flow_touch(t, f[2], DP_FC_TCP_CLOSING);
	CHECK_EQ(f[2]->fclass, DP_FC_TCP_CLOSING);
	CHECK(dp_flow_lru(t) == f[3]);
	f[3]->last_us = 80;
	dp_flow_touch(t, f[3], DP_FC_TCP_CLOSED); /* same class, already its head */
	CHECK(dp_flow_lru(t) == f[4]);
	f[4]->last_us = 90;
	dp_flow_touch(t, f[4], DP_FC_OTHER);
	CHECK(dp_flow_lru(t) == f[5]);
	f[5]->last_us = 100;
	dp_flow_touch(t, f[5], DP_FC_UDP_EST);
	CHECK(dp_flow_lru(t) == f[2]);
	dp_flow_remove(t, f[2]);
	CHECK(dp_flow_lru(t) == f[3]);

	memset(&v, 0, sizeof(v));
	dp_flow_foreach(t, on_flow, &v);
	CHECK_EQ(v.n, 3);
	dp_flow_table_free(t);
}

/* Several flows in one class: touch order decides. */
static void test_lru_one_class(void)
{
	struct dp_flow_table *t = mk_table(16, NULL);
	struct dp_flow *f[5];

	for (int i = 0; i < 5; i++) {
		struct dp_flow_key k = key_n((uint32_t)i + 100);

		f[i] = ins(t, &k);
		if (!f[i])
			abort();
		f[i]->last_us = (uint64_t)i + 1;
		dp_flow_touch(t, f[i], DP_FC_UDP_EST);
	}
	CHECK(dp_flow_lru(t) == f[0]);
	f[0]->last_us = 10;
	dp_flow_touch(t, f[0], DP_FC_UDP_EST);
	CHECK(dp_flow_lru(t) == f[1]);
	/* Removing from the middle keeps the list intact. */
	dp_flow_remove(t, f[2]);
	dp_flow_remove(t, f[1]);
	CHECK(dp_flow_lru(t) == f[3]);
	dp_flow_remove(t, f[3]);
	CHECK(dp_flow_lru(t) == f[4]);
	dp_flow_remove(t, f[4]);
	CHECK(dp_flow_lru(t) == f[0]);
	dp_flow_remove(t, f[0]);
	CHECK(dp_flow_lru(t) == NULL);
	CHECK_EQ(dp_flow_count(t), 0);
	dp_flow_table_free(t);
}

static void test_expiry(void)
{
	struct dp_flow_timeouts to, def;
	struct dp_flow_table *t;
	struct dp_flow *f[DP_FC__MAX];

	dp_flow_timeouts_init(&def);
	CHECK_EQ(def.us[DP_FC_TCP_NEW], 30000000);
	CHECK_EQ(def.us[DP_FC_TCP_EST], 600000000);
	CHECK_EQ(def.us[DP_FC_TCP_CLOSING], 120000000);
	CHECK_EQ(def.us[DP_FC_TCP_CLOSED], 10000000);
	CHECK_EQ(def.us[DP_FC_UDP_NEW], 30000000);
	CHECK_EQ(def.us[DP_FC_UDP_EST], 120000000);
	CHECK_EQ(def.us[DP_FC_OTHER], 30000000);

	/* Class c times out after (c + 1) * 100 us; all last seen at 1000. */
	for (int c = 0; c < DP_FC__MAX; c++)
		to.us[c] = (uint64_t)(c + 1) * 100;
	t = mk_table(16, &to);
	for (int c = 0; c < DP_FC__MAX; c++) {
		struct dp_flow_key k = key_n((uint32_t)c);

		f[c] = ins(t, &k);
		if (!f[c])
			abort();
		f[c]->last_us = 1000;
		dp_flow_touch(t, f[c], (enum dp_flow_class)c);
	}
	CHECK(dp_flow_expired(t, 1000) == NULL);
	CHECK(dp_flow_expired(t, 1100) == NULL); /* not older than, yet */
	CHECK(!dp_flow_is_expired(t, f[0], 1100));
	CHECK(dp_flow_is_expired(t, f[0], 1101));
	CHECK(!dp_flow_is_expired(t, f[1], 1101));
	CHECK(!dp_flow_is_expired(t, f[0], 500)); /* a clock that stepped back */
	CHECK(dp_flow_expired(t, 500) == NULL);

	/* At 1350, classes 0, 1 and 2 are expired; nothing else. */
	for (int round = 0; round < 3; round++) {
		struct dp_flow *e = dp_flow_expired(t, 1350);
		int c;

		CHECK(e != NULL);
		if (!e)
			break;
		c = e->fclass;
		CHECK(c <= 2);
		CHECK(e == f[c]);
		dp_flow_remove(t, e);
	}
	CHECK(dp_flow_expired(t, 1350) == NULL);
	CHECK_EQ(dp_flow_count(t), DP_FC__MAX - 3);

	/* The oldest expired flow comes first, whatever its class. */
	f[3]->last_us = 900;
	dp_flow_touch(t, f[3], DP_FC_TCP_CLOSED); /* 400 us */
	f[6]->last_us = 100;
	dp_flow_touch(t, f[6], DP_FC_OTHER); /* 700 us */
	CHECK(dp_flow_expired(t, 800) == NULL);
	CHECK(dp_flow_expired(t, 801) == f[6]);
	CHECK(dp_flow_expired(t, 1350) == f[6]); /* both expired: oldest first */
	dp_flow_remove(t, f[6]);
	CHECK(dp_flow_expired(t, 1300) == NULL);
	CHECK(dp_flow_expired(t, 1301) == f[3]);

	/* A class change takes the new class's timeout. */
	f[4]->last_us = 1000;
	dp_flow_touch(t, f[4], DP_FC_TCP_NEW); /* 100 us */
	CHECK(dp_flow_is_expired(t, f[4], 1101));
	dp_flow_table_free(t);
}

static void test_flow_id(void)
{
	struct dp_flow_key k = key_n(12345), k2 = key_n(12346);
	uint64_t id = dp_flow_id(&k, 1700000000000000ULL);

	CHECK_EQ(id, dp_flow_id(&k, 1700000000000000ULL));
	CHECK(id < (1ULL << 51));
	CHECK(dp_flow_id(&k, 1700000000000001ULL) != id);
	CHECK(dp_flow_id(&k2, 1700000000000000ULL) != id);
	for (uint32_t i = 0; i < 10000; i++) {
		struct dp_flow_key kk = key_n(i);

		CHECK(dp_flow_id(&kk, i * 7919ULL) < (1ULL << 51));
	}
	/* Unseeded: two tables, same key, same id (the id does not take a
	 * table); the table hashes may differ, lookups work in both. */
	{
		struct dp_flow_table *a = mk_table(4, NULL), *b = mk_table(4, NULL);

		CHECK(ins(a, &k) != NULL);
		CHECK(ins(b, &k) != NULL);
		CHECK(look(a, &k) != NULL);
		CHECK(look(b, &k) != NULL);
		dp_flow_table_free(a);
		dp_flow_table_free(b);
	}
}

static void test_sizes(void)
{
	CHECK(sizeof(struct dp_flow) <= 256);
	CHECK_EQ(sizeof(struct dp_flow_key) % 8, 0);
}

/* 100k inserts with random removes and lookups, against a plain array. */
#define REF_CAP 40000 /* spans three slab chunks */

struct ref {
	uint32_t *ids;     /* key numbers present */
	uint32_t n;
	struct dp_flow **fl;
	int32_t *pos;      /* key number -> index in ids, -1 when absent */
};

static void test_random(void)
{
	const uint32_t nkeys = 1u << 20;
	struct dp_flow_table *t = mk_table(REF_CAP, NULL);
	struct ref r;
	uint32_t inserts = 0, removes = 0, bad = 0, full = 0;

	r.ids = calloc(REF_CAP, sizeof(*r.ids));
	r.fl = calloc(REF_CAP, sizeof(*r.fl));
	r.pos = malloc(sizeof(*r.pos) * nkeys);
	r.n = 0;
	if (!r.ids || !r.fl || !r.pos)
		abort();
	memset(r.pos, 0xff, sizeof(*r.pos) * nkeys);

	while (inserts < 100000) {
		uint32_t op = rnd() % 8;

		if (op < 5) {
			uint32_t id = rnd() % nkeys;
			struct dp_flow_key k = key_n(id);
			struct dp_flow *f = look(t, &k);

			if ((f != NULL) != (r.pos[id] >= 0)) {
				bad++;
				continue;
			}
			if (f) {
				if (r.fl[r.pos[id]] != f)
					bad++;
				continue;
			}
			if (dp_flow_table_full(t)) {
				/* Evict the LRU as the worker does. */
				struct dp_flow *old = dp_flow_lru(t);
				uint32_t oid = old ? old->seq_in_flow : 0;

				full++;
				if (!old || r.pos[oid] < 0) {
					bad++;
					break;
				}
				dp_flow_remove(t, old);
				r.n--;
				r.ids[r.pos[oid]] = r.ids[r.n];
				r.fl[r.pos[oid]] = r.fl[r.n];
				r.pos[r.ids[r.n]] = r.pos[oid];
				r.pos[oid] = -1;
			}
			f = ins(t, &k);
			if (!f) {
				bad++;
				break;
			}
			f->seq_in_flow = id; /* remember the key number */
			f->last_us = inserts;
			dp_flow_touch(t, f, (enum dp_flow_class)(rnd() % DP_FC__MAX));
			r.ids[r.n] = id;
			r.fl[r.n] = f;
			r.pos[id] = (int32_t)r.n;
			r.n++;
			inserts++;
		} else if (op < 7 && r.n) {
			uint32_t i = rnd() % r.n, id = r.ids[i];

			if (r.fl[i]->seq_in_flow != id)
				bad++;
			dp_flow_remove(t, r.fl[i]);
			r.n--;
			r.ids[i] = r.ids[r.n];
			r.fl[i] = r.fl[r.n];
			r.pos[r.ids[i]] = (int32_t)i;
			r.pos[id] = -1;
			removes++;
		} else if (r.n) {
			uint32_t i = rnd() % r.n;

			r.fl[i]->last_us = inserts;
			dp_flow_touch(t, r.fl[i], (enum dp_flow_class)(rnd() % DP_FC__MAX));
		}
		if (dp_flow_count(t) != r.n)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(dp_flow_count(t), r.n);
	CHECK(removes > 10000);
	for (uint32_t i = 0; i < r.n; i++) {
		struct dp_flow_key k = key_n(r.ids[i]);

		CHECK(look(t, &k) == r.fl[i]);
	}
	(void)full;
	dp_flow_table_free(t);
	free(r.ids);
	free(r.fl);
	free(r.pos);
}

/* Fill a small table past capacity many times: eviction by LRU keeps it
 * exactly full and always removes the least recent flow. */
static void test_eviction(void)
{
	struct dp_flow_table *t = mk_table(64, NULL);
	uint32_t bad = 0;

	for (uint32_t i = 0; i < 10000; i++) {
		struct dp_flow_key k = key_n(i);
		struct dp_flow *f;

		if (dp_flow_table_full(t)) {
			struct dp_flow *old = dp_flow_lru(t);

			/* Flow i - 64 is the least recent one. */
			if (!old || old->last_us != i - 64)
				bad++;
			if (old)
				dp_flow_remove(t, old);
		}
		f = ins(t, &k);
		if (!f) {
			bad++;
			break;
		}
		f->last_us = i;
		dp_flow_touch(t, f, (enum dp_flow_class)(i % DP_FC__MAX));
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(dp_flow_count(t), 64);
	dp_flow_table_free(t);
}

int main(void)
{
	RUN(test_key_symmetry);
	RUN(test_key_no_ports);
	RUN(test_key_vlan);
	RUN(test_basic);
	RUN(test_key_copy);
	RUN(test_lru_classes);
	RUN(test_lru_one_class);
	RUN(test_expiry);
	RUN(test_flow_id);
	RUN(test_sizes);
	RUN(test_random);
	RUN(test_eviction);
	return bh_test_summary();
}
