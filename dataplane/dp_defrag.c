/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp_defrag.c - IPv4 and IPv6 fragment reassembly for replay; see dp_defrag.h.
 *
 * A datagram being reassembled keeps its data as a sorted array of
 * non-overlapping segments. A new fragment only contributes the bytes no
 * earlier fragment covered (first bytes win), so the array never needs
 * trimming and the covered byte count tells completion. Each fragment's new
 * bytes live in one malloc'd chunk that its segments point into; the segment
 * that starts the chunk owns it.
 *
 * Datagrams sit in a chained hash table and on an age list ordered by
 * creation: the head is both the next to time out and the first to evict.
 * Everything held is accounted in d->mem, overheads included, so mem_cap
 * bounds real memory and not just payload bytes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "dp_csum.h"
#include "dp_defrag.h"

/* Reassembled IPv4 total length, or IPv6 payload length, at most. */
#define IP_MAXLEN 65535u
#define IPV6_HLEN 40u
#define IPV6_FRAG_HLEN 8u
/* Output: IPv6 is the larger case (40-byte header outside payload length). */
#define OUT_MAX (IP_MAXLEN + IPV6_HLEN)

/* Bounds for the hash table: one bucket per KiB of mem_cap. */
#define BUCKETS_MIN 64u
#define BUCKETS_MAX 65536u

struct frag_key {
	union bh_addr src, dst;
	uint32_t id;
	uint16_t vlan[DP_MAX_VLAN];
	uint8_t family, proto, vlan_cnt, pad0;
	uint8_t pad1[3];
};
_Static_assert(sizeof(struct frag_key) % 8 == 0, "key is hashed as 64-bit words");

struct frag_seg {
	uint32_t off, len;
	uint8_t *data;
	bool owns; /* data is the start of a chunk: free it with this segment */
};

struct frag_dg {
	struct frag_dg *hnext, **hpprev; /* hash chain */
	struct frag_dg *newer, *older;   /* age list */
	struct frag_key key;
	uint64_t created_us;
	uint64_t first_pkt;  /* number of the first fragment seen */
	const char *source;  /* and its capture file */
	uint64_t wirelen;
	size_t mem;          /* bytes this datagram accounts for in d->mem */
	uint32_t nfrags;
	uint32_t end;        /* datagram data length, once the last fragment came */
	uint32_t max_end;    /* highest fragment end seen */
	uint32_t covered;    /* bytes of [0, end) held */
	bool has_last;
	bool overlap_seen, conflict_seen;
	uint8_t nh;          /* IPv6: next header from the first fragment */
	uint8_t *hdr;        /* first fragment's L3 header (IPv6: unfragmentable part) */
	uint32_t hdr_len;
	uint32_t nh_pos;     /* IPv6: offset in hdr of the byte naming the frag header */
	struct frag_seg *segs;
	uint32_t nsegs, segs_cap;
};

struct dp_defrag {
	struct dp_defrag_config cfg;
	struct frag_dg **buckets;
	uint32_t nbuckets; /* a power of two */
	uint64_t seed[2];
	struct frag_dg *oldest, *newest;
	size_t mem;
	uint8_t *out;
};

#define DG_OVERHEAD sizeof(struct frag_dg)
#define SEG_OVERHEAD sizeof(struct frag_seg)

void dp_defrag_config_init(struct dp_defrag_config *cfg)
{
	cfg->mem_cap = 16u << 20;
	cfg->timeout_us = 30000000;
	cfg->max_frags = 256;
}

/* SipHash-1-3: fragment keys are attacker-chosen, so a keyed hash keeps a
 * flood of crafted ids from piling into one chain. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static uint64_t key_hash(const struct dp_defrag *d, const struct frag_key *k)
{
	uint64_t v[4] = {
		d->seed[0] ^ 0x736f6d6570736575ULL,
		d->seed[1] ^ 0x646f72616e646f6dULL,
		d->seed[0] ^ 0x6c7967656e657261ULL,
		d->seed[1] ^ 0x7465646279746573ULL,
	};
	const uint8_t *b = (const uint8_t *)k;
	uint64_t m;
	size_t i;

	for (i = 0; i < sizeof(*k); i += 8) {
		memcpy(&m, b + i, 8);
		v[3] ^= m;
		sipround(v);
		v[0] ^= m;
	}
	m = (uint64_t)sizeof(*k) << 56;
	v[3] ^= m;
	sipround(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	sipround(v);
	sipround(v);
	sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

int dp_defrag_new(const struct dp_defrag_config *cfg, struct dp_defrag **ret)
{
	struct dp_defrag *d = NULL;
	size_t want;
	int r;

	if (!cfg || !ret || cfg->mem_cap == 0 || cfg->max_frags == 0) {
		r = -EINVAL;
		goto out;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		r = -ENOMEM;
		goto out;
	}
	d->cfg = *cfg;
	want = cfg->mem_cap / 1024;
	d->nbuckets = BUCKETS_MIN;
	while (d->nbuckets < want && d->nbuckets < BUCKETS_MAX)
		d->nbuckets <<= 1;
	d->buckets = calloc(d->nbuckets, sizeof(*d->buckets));
	d->out = malloc(OUT_MAX);
	if (!d->buckets || !d->out) {
		r = -ENOMEM;
		goto out;
	}
	/* Without entropy the table still works, only less flood-resistant. */
	if (getrandom(d->seed, sizeof(d->seed), GRND_NONBLOCK) != (ssize_t)sizeof(d->seed)) {
		d->seed[0] = (uint64_t)(uintptr_t)d;
		d->seed[1] = (uint64_t)(uintptr_t)d->buckets;
	}
	*ret = d;
	d = NULL;
	r = 0;
out:
	dp_defrag_free(d);
	return r;
}

static void dg_unlink(struct dp_defrag *d, struct frag_dg *dg)
{
	*dg->hpprev = dg->hnext;
	if (dg->hnext)
		dg->hnext->hpprev = dg->hpprev;
	if (dg->older)
		dg->older->newer = dg->newer;
	else
		d->oldest = dg->newer;
	if (dg->newer)
		dg->newer->older = dg->older;
	else
		d->newest = dg->older;
	d->mem -= dg->mem;
}

/* Frees a datagram that is not (or no longer) linked. */
static void dg_free(struct frag_dg *dg)
{
	uint32_t i;

	if (!dg)
		return;
	for (i = 0; i < dg->nsegs; i++)
		if (dg->segs[i].owns)
			free(dg->segs[i].data);
	free(dg->segs);
	free(dg->hdr);
	free(dg);
}

static void dg_drop(struct dp_defrag *d, struct frag_dg *dg)
{
	dg_unlink(d, dg);
	dg_free(dg);
}

void dp_defrag_free(struct dp_defrag *d)
{
	if (!d)
		return;
	while (d->oldest)
		dg_drop(d, d->oldest);
	free(d->buckets);
	free(d->out);
	free(d);
}

static void report(dp_defrag_anom_fn anom, void *ctx, const struct dp_packet *p,
		   enum dp_anomaly a)
{
	if (anom)
		anom(ctx, p, a);
}

/* Report @a for fragment @p and forget its datagram (if it has one). */
static void reject(struct dp_defrag *d, struct frag_dg *dg, const struct dp_packet *p,
		   enum dp_anomaly a, dp_defrag_anom_fn anom, void *ctx)
{
	report(anom, ctx, p, a);
	if (dg)
		dg_drop(d, dg);
}

/* Report @a for the whole of @dg, which no packet at hand represents: a
 * stand-in for its first fragment carries the datagram's identity. */
static void report_dg(dp_defrag_anom_fn anom, void *ctx, const struct frag_dg *dg,
		      enum dp_anomaly a)
{
	struct dp_packet p;

	if (!anom)
		return;
	memset(&p, 0, sizeof(p));
	p.family = dg->key.family;
	p.proto = dg->key.proto;
	p.src = dg->key.src;
	p.dst = dg->key.dst;
	p.vlan_cnt = dg->key.vlan_cnt;
	memcpy(p.vlan, dg->key.vlan, sizeof(p.vlan));
	p.is_frag = true;
	p.frag_id = dg->key.id;
	p.ts_us = dg->created_us;
	p.pkt_no = dg->first_pkt;
	p.source = dg->source;
	anom(ctx, &p, a);
}

static bool timed_out(const struct dp_defrag *d, const struct frag_dg *dg, uint64_t now_us)
{
	/* Capture timestamps may step backwards: that is not age. */
	return now_us > dg->created_us && now_us - dg->created_us > d->cfg.timeout_us;
}

void dp_defrag_expire(struct dp_defrag *d, uint64_t now_us, dp_defrag_anom_fn anom,
		      void *anom_ctx)
{
	/* The age list is in creation order, but creation times need not be
	 * monotonic in a capture; stopping at the first young datagram keeps
	 * expiry O(expired) and a stale one behind it goes at most one
	 * clock-step late. */
	while (d->oldest && timed_out(d, d->oldest, now_us)) {
		report_dg(anom, anom_ctx, d->oldest, DP_ANOM_FRAG_TIMEOUT);
		dg_drop(d, d->oldest);
	}
}

size_t dp_defrag_mem(const struct dp_defrag *d)
{
	return d ? d->mem : 0;
}

/* Evict oldest datagrams other than @keep until @need more bytes fit. */
static bool make_room(struct dp_defrag *d, size_t need, const struct frag_dg *keep,
		      dp_defrag_anom_fn anom, void *ctx)
{
	struct frag_dg *dg = d->oldest;

	if (need > d->cfg.mem_cap)
		return false;
	while (d->mem > d->cfg.mem_cap - need && dg) {
		struct frag_dg *next = dg->newer;

		if (dg != keep) {
			report_dg(anom, ctx, dg, DP_ANOM_FRAG_MEMCAP);
			dg_drop(d, dg);
		}
		dg = next;
	}
	return d->mem <= d->cfg.mem_cap - need;
}

static void key_from_packet(struct frag_key *k, const struct dp_packet *p)
{
	uint8_t i, n = p->vlan_cnt < DP_MAX_VLAN ? p->vlan_cnt : DP_MAX_VLAN;

	/* Zeroed whole, padding included: the key is hashed and compared as bytes. */
	memset(k, 0, sizeof(*k));
	k->src = p->src;
	k->dst = p->dst;
	k->id = p->frag_id;
	k->family = p->family;
	k->proto = p->proto;
	k->vlan_cnt = n;
	for (i = 0; i < n; i++)
		k->vlan[i] = p->vlan[i];
}

static struct frag_dg **bucket(struct dp_defrag *d, const struct frag_key *k)
{
	return &d->buckets[key_hash(d, k) & (d->nbuckets - 1)];
}

static struct frag_dg *lookup(struct dp_defrag *d, const struct frag_key *k)
{
	struct frag_dg *dg;

	for (dg = *bucket(d, k); dg; dg = dg->hnext)
		if (memcmp(&dg->key, k, sizeof(*k)) == 0)
			return dg;
	return NULL;
}

/*
 * Checks the decoder's offsets before trusting them: the caller may hand us
 * a packet that is not (or not consistently) a fragment.
 *
 * The fragment's data is [l3_off + l3_hlen, l3_off + l3_len), not the
 * payload_off/payload_len slice: on a first fragment the decoder points
 * those past the L4 header. For IPv6, l3_hlen ends after the fragment header.
 */
static bool frag_sane(const struct dp_packet *p)
{
	uint64_t dend = (uint64_t)p->l3_off + p->l3_len;

	if (!p->is_frag || p->l3_hlen > p->l3_len || dend > p->caplen)
		return false;
	if (p->family == AF_INET)
		return p->l3_hlen >= 20 && p->l3_hlen <= 60;
	if (p->family == AF_INET6)
		return (uint64_t)p->l3_off + IPV6_HLEN <= p->frag_hdr_off &&
		       p->frag_nh_off >= p->l3_off && p->frag_nh_off < p->frag_hdr_off &&
		       (uint64_t)p->frag_hdr_off + IPV6_FRAG_HLEN == (uint64_t)p->l3_off + p->l3_hlen;
	return false;
}

/* Bytes the reassembled length field counts besides the data: the whole
 * IPv4 header, or IPv6's unfragmentable extension headers. */
static uint32_t frag_overhead(const struct dp_packet *p)
{
	if (p->family == AF_INET)
		return p->l3_hlen;
	return p->frag_hdr_off - p->l3_off - IPV6_HLEN;
}

static uint32_t dg_overhead(const struct frag_dg *dg)
{
	return dg->key.family == AF_INET ? dg->hdr_len : dg->hdr_len - IPV6_HLEN;
}

/* First segment that ends after @off. */
static uint32_t seg_find(const struct frag_dg *dg, uint32_t off)
{
	uint32_t lo = 0, hi = dg->nsegs;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (dg->segs[mid].off + dg->segs[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Without changing @dg: how fragment data @buf at [s, e) overlaps what is
 * held, how many new bytes it brings and in how many pieces. */
static void seg_scan(const struct frag_dg *dg, const uint8_t *buf, uint32_t s, uint32_t e,
		     bool *ret_overlap, bool *ret_conflict, uint32_t *ret_bytes,
		     uint32_t *ret_pieces)
{
	uint32_t i = seg_find(dg, s), c = s, bytes = 0, pieces = 0;
	bool overlap = false, conflict = false;

	while (c < e) {
		const struct frag_seg *sg = i < dg->nsegs ? &dg->segs[i] : NULL;

		if (sg && sg->off <= c) {
			uint32_t oe = sg->off + sg->len < e ? sg->off + sg->len : e;

			overlap = true;
			if (memcmp(sg->data + (c - sg->off), buf + (c - s), oe - c) != 0)
				conflict = true;
			c = oe;
			i++;
		} else {
			uint32_t ge = sg && sg->off < e ? sg->off : e;

			bytes += ge - c;
			pieces++;
			c = ge;
		}
	}
	*ret_overlap = overlap;
	*ret_conflict = conflict;
	*ret_bytes = bytes;
	*ret_pieces = pieces;
}

/* Fill the holes of [s, e) from @buf into @chunk; segs has room for them. */
static void seg_fill(struct frag_dg *dg, const uint8_t *buf, uint32_t s, uint32_t e,
		     uint8_t *chunk)
{
	uint32_t i = seg_find(dg, s), c = s;
	uint8_t *w = chunk;

	while (c < e) {
		struct frag_seg *sg = i < dg->nsegs ? &dg->segs[i] : NULL;
		uint32_t ge;

		if (sg && sg->off <= c) {
			c = sg->off + sg->len;
			i++;
			continue;
		}
		ge = sg && sg->off < e ? sg->off : e;
		memmove(&dg->segs[i + 1], &dg->segs[i], (dg->nsegs - i) * sizeof(*sg));
		dg->segs[i] = (struct frag_seg){
			.off = c, .len = ge - c, .data = w, .owns = w == chunk};
		memcpy(w, buf + (c - s), ge - c);
		w += ge - c;
		dg->covered += ge - c;
		dg->nsegs++;
		i++;
		c = ge;
	}
}

static int seg_reserve(struct frag_dg *dg, uint32_t more)
{
	struct frag_seg *n;
	size_t cap;

	if ((size_t)dg->nsegs + more <= dg->segs_cap)
		return 0;
	cap = dg->segs_cap ? (size_t)dg->segs_cap * 2 : 4;
	while (cap < (size_t)dg->nsegs + more)
		cap *= 2;
	n = realloc(dg->segs, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	dg->segs = n;
	dg->segs_cap = (uint32_t)cap;
	return 0;
}

/* Lay out the complete datagram in d->out; returns its length. */
static size_t build(struct dp_defrag *d, const struct frag_dg *dg)
{
	uint8_t *o = d->out;
	uint32_t i, len;

	memcpy(o, dg->hdr, dg->hdr_len);
	for (i = 0; i < dg->nsegs; i++)
		memcpy(o + dg->hdr_len + dg->segs[i].off, dg->segs[i].data, dg->segs[i].len);
	if (dg->key.family == AF_INET) {
		uint16_t csum;

		len = dg->hdr_len + dg->end;
		o[2] = (uint8_t)(len >> 8);
		o[3] = (uint8_t)len;
		/* Keep DF and the reserved bit; clear MF and the offset. */
		o[6] &= 0xc0;
		o[7] = 0;
		o[10] = 0;
		o[11] = 0;
		csum = dp_csum_fold(dp_csum_add(0, o, dg->hdr_len));
		o[10] = (uint8_t)(csum >> 8);
		o[11] = (uint8_t)csum;
		return len;
	}
	len = dg->hdr_len - IPV6_HLEN + dg->end;
	o[4] = (uint8_t)(len >> 8);
	o[5] = (uint8_t)len;
	o[dg->nh_pos] = dg->nh;
	return (size_t)dg->hdr_len + dg->end;
}

int dp_defrag_add(struct dp_defrag *d, const struct dp_packet *p, dp_defrag_anom_fn anom,
		  void *anom_ctx, struct dp_defrag_result *ret)
{
	const uint8_t *buf;
	uint32_t s, len, e, bytes, pieces, hdr_len = 0;
	struct frag_dg *dg, *fresh = NULL;
	bool overlap, conflict, first;
	uint8_t *chunk = NULL, *hdr = NULL;
	struct frag_key k;
	size_t need;
	int r;

	dp_defrag_expire(d, p->ts_us, anom, anom_ctx);
	if (!frag_sane(p)) {
		r = -EINVAL;
		goto out;
	}
	buf = p->data + p->l3_off + p->l3_hlen;
	len = p->l3_len - p->l3_hlen;
	s = p->frag_off;
	e = s + len;
	/* Carries nothing and ends nothing (RFC 8200 allows no such fragment,
	 * but it is harmless). */
	if (len == 0 && p->frag_mf) {
		r = 0;
		goto out;
	}

	key_from_packet(&k, p);
	dg = lookup(d, &k);
	if (p->frag_mf && len % 8 != 0) {
		reject(d, dg, p, DP_ANOM_FRAG_BAD_LEN, anom, anom_ctx);
		r = 0;
		goto out;
	}
	/* Until the first fragment names the header, this fragment's own header
	 * stands in for it; the first one's is checked again when it comes. */
	if ((dg && dg->hdr ? dg_overhead(dg) : frag_overhead(p)) +
		    (uint64_t)(dg && dg->max_end > e ? dg->max_end : e) > IP_MAXLEN) {
		reject(d, dg, p, DP_ANOM_FRAG_TOO_LARGE, anom, anom_ctx);
		r = 0;
		goto out;
	}
	if (dg && ((dg->has_last && (e > dg->end || (!p->frag_mf && e != dg->end))) ||
		   (!dg->has_last && !p->frag_mf && dg->max_end > e))) {
		reject(d, dg, p, DP_ANOM_FRAG_BAD_LEN, anom, anom_ctx);
		r = 0;
		goto out;
	}
	if (dg && dg->nfrags >= d->cfg.max_frags) {
		reject(d, dg, p, DP_ANOM_FRAG_TOO_MANY, anom, anom_ctx);
		r = 0;
		goto out;
	}

	if (!dg) {
		fresh = calloc(1, sizeof(*fresh));
		if (!fresh) {
			r = -ENOMEM;
			goto out;
		}
		fresh->key = k;
		fresh->created_us = p->ts_us;
		fresh->first_pkt = p->pkt_no;
		fresh->source = p->source;
		dg = fresh;
	}
	first = s == 0 && !dg->hdr;
	seg_scan(dg, buf, s, e, &overlap, &conflict, &bytes, &pieces);
	if (overlap && !dg->overlap_seen && !conflict) {
		dg->overlap_seen = true;
		report(anom, anom_ctx, p, DP_ANOM_FRAG_OVERLAP);
	}
	if (conflict && !dg->conflict_seen) {
		dg->conflict_seen = true;
		report(anom, anom_ctx, p, DP_ANOM_FRAG_OVERLAP_CONFLICT);
	}

	if (first)
		hdr_len = p->family == AF_INET ? p->l3_hlen : p->frag_hdr_off - p->l3_off;
	need = (fresh ? DG_OVERHEAD : 0) + hdr_len + bytes + (size_t)pieces * SEG_OVERHEAD;
	if (!make_room(d, need, dg, anom, anom_ctx)) {
		report(anom, anom_ctx, p, DP_ANOM_FRAG_MEMCAP);
		r = 0;
		goto out;
	}

	/* Allocate everything before changing @dg, so -ENOMEM leaves it intact. */
	if (seg_reserve(dg, pieces) < 0 || (bytes && !(chunk = malloc(bytes))) ||
	    (first && !(hdr = malloc(hdr_len)))) {
		r = -ENOMEM;
		goto out;
	}
	if (first) {
		memcpy(hdr, p->data + p->l3_off, hdr_len);
		dg->hdr = hdr;
		dg->hdr_len = hdr_len;
		if (p->family == AF_INET6) {
			dg->nh_pos = p->frag_nh_off - p->l3_off;
			dg->nh = p->proto;
		}
		hdr = NULL;
	}
	if (bytes) {
		seg_fill(dg, buf, s, e, chunk);
		chunk = NULL;
	}
	dg->nfrags++;
	dg->wirelen += p->wirelen;
	if (e > dg->max_end)
		dg->max_end = e;
	if (!p->frag_mf) {
		dg->has_last = true;
		dg->end = e;
	}
	dg->mem += need;
	d->mem += need;
	if (fresh) {
		struct frag_dg **b = bucket(d, &k);

		fresh->hnext = *b;
		if (*b)
			(*b)->hpprev = &fresh->hnext;
		fresh->hpprev = b;
		*b = fresh;
		fresh->older = d->newest;
		if (d->newest)
			d->newest->newer = fresh;
		else
			d->oldest = fresh;
		d->newest = fresh;
		fresh = NULL;
	}

	if (!dg->has_last || !dg->hdr || dg->covered != dg->end) {
		r = 0;
		goto out;
	}
	ret->len = build(d, dg);
	ret->buf = d->out;
	ret->frags = dg->nfrags;
	ret->wirelen = dg->wirelen;
	ret->first_us = dg->created_us;
	ret->first_pkt = dg->first_pkt;
	dg_drop(d, dg);
	r = 1;
out:
	free(chunk);
	free(hdr);
	dg_free(fresh);
	return r;
}
