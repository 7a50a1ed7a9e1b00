/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_evq.c - per-producer single-producer/single-consumer byte rings
 * between the workers and the event outputs, and what the one consumer does
 * with what it drains: aggregate repeated alerts, keep the recent events.
 *
 * A ring is a power-of-two byte array and two monotonic 64-bit positions:
 * head (bytes ever written, the producer's) and tail (bytes ever consumed,
 * the consumer's), each on its own cache line. A record is a 16-byte header
 * (text length, type, aggregation key) and the text, padded to 16 bytes, so
 * that the space left before the array's end is always a multiple of 16:
 * a record that does not fit there is preceded by a padding header that
 * sends the consumer back to offset 0, and every record's text is
 * contiguous (the consumer hands a pointer into the ring to its callback,
 * no copy). The producer publishes with a release store of head after
 * writing the bytes; the consumer releases the bytes with a release store of
 * tail after its callback returned. Neither side ever waits for the other.
 *
 * Aggregation windows all last the same time and open at the drain's clock,
 * which never goes back, so they end in the order they opened: a FIFO of
 * open windows is the time-ordered structure, and a window only ever leaves
 * from its front. An open-addressing table (linear probing, deletion by
 * backward shift) finds a key's window.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_evq.h"

#define CACHELINE 64
#define REC_ALIGN 16u
#define REC_PAD 0xffffu           /* header type of a padding record */
#define AGG_NONE UINT32_MAX
#define AGG_KEEP_CAP 4096u        /* a closed window's text buffer kept when no larger */
#define SPLICE_MAX 96u            /* ,"aggregated":{"count":N,"window_ms":W} */

struct evq_rec {
	uint32_t len; /* text bytes */
	uint16_t type;
	uint16_t unused;
	uint64_t agg_key;
};
_Static_assert(sizeof(struct evq_rec) == REC_ALIGN, "record header is one alignment unit");

struct evq_ring {
	/* Read-only after ctl_evq_new(). */
	_Alignas(CACHELINE) uint8_t *buf;
	uint64_t size, mask;
	/* The producer's line. */
	_Alignas(CACHELINE) _Atomic uint64_t head;
	_Atomic uint64_t queued, dropped;
	uint64_t tail_seen;      /* producer only: the last tail it loaded */
	/* The consumer's line. */
	_Alignas(CACHELINE) _Atomic uint64_t tail;
};

struct evq_agg {
	uint64_t key, end_us, held;
	char *text;              /* the last held alert, @len bytes */
	size_t len, cap;
	uint32_t next;           /* the next window to end, or the next free entry */
	uint16_t type;
};

struct evq_recent {
	char *text;
	size_t len, cap;
	unsigned type;
	bool valid;              /* false when the copy could not be allocated */
};

struct ctl_evq {
	struct evq_ring *rings;
	unsigned producers;
	size_t max_event;
	_Atomic uint64_t bad_dropped; /* pushes with a producer id out of range */

	/* Consumer only below; the counters are atomics for ctl_evq_stats(). */
	_Alignas(CACHELINE) _Atomic uint64_t aggregated;
	_Atomic uint64_t summaries, output;
	uint64_t now_us;              /* the latest clock drain was given */

	uint32_t window_ms;
	uint64_t window_us;
	struct evq_agg *agg;
	unsigned agg_n;
	uint32_t *slots;              /* entry index + 1, 0: empty */
	size_t slot_mask;
	uint32_t free_head;           /* free entries, linked by next */
	uint32_t fifo_head, fifo_tail;/* open windows, oldest first */

	char *splice;                 /* a summary being built: max_event + SPLICE_MAX */

	struct evq_recent *recent;
	unsigned recent_n;
	uint64_t recent_total;        /* events ever copied in */
};

static size_t round16(size_t n)
{
	return (n + REC_ALIGN - 1) & ~(size_t)(REC_ALIGN - 1);
}

static uint64_t pow2_at_least(uint64_t n)
{
	uint64_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* Relaxed increment for a counter that only one thread writes: no locked
 * read-modify-write on the push path. */
static void bump(_Atomic uint64_t *c, uint64_t by)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
			      memory_order_relaxed);
}

/* ------------------------------------------------------------ the rings */

bool ctl_evq_push(struct ctl_evq *q, unsigned p, unsigned type, uint64_t agg_key, const char *text,
		  size_t len)
{
	struct evq_ring *r;
	struct evq_rec hdr;
	uint64_t h, off, contig, need, total;

	if (p >= q->producers) {
		atomic_fetch_add_explicit(&q->bad_dropped, 1, memory_order_relaxed);
		return false;
	}
	r = &q->rings[p];
	if (len && text[len - 1] == '\n')
		len--;
	if (len > q->max_event || type >= REC_PAD)
		goto drop;
	h = atomic_load_explicit(&r->head, memory_order_relaxed);
	need = REC_ALIGN + round16(len);
	off = h & r->mask;
	contig = r->size - off;
	total = need <= contig ? need : contig + need;
	if (h + total - r->tail_seen > r->size) {
		r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h + total - r->tail_seen > r->size)
			goto drop;
	}
	if (need > contig) {
		/* contig is a non-zero multiple of 16: a header fits. */
		hdr = (struct evq_rec){.type = REC_PAD};
		memcpy(r->buf + off, &hdr, sizeof(hdr));
		off = 0;
	}
	hdr = (struct evq_rec){.len = (uint32_t)len, .type = (uint16_t)type, .agg_key = agg_key};
	memcpy(r->buf + off, &hdr, sizeof(hdr));
	if (len)
		memcpy(r->buf + off + sizeof(hdr), text, len);
	atomic_store_explicit(&r->head, h + total, memory_order_release);
	bump(&r->queued, 1);
	return true;
drop:
	bump(&r->dropped, 1);
	return false;
}

size_t ctl_evq_max_event(const struct ctl_evq *q)
{
	return q->max_event;
}

uint64_t ctl_evq_dropped(const struct ctl_evq *q, unsigned p)
{
	if (p >= q->producers)
		return 0;
	return atomic_load_explicit(&q->rings[p].dropped, memory_order_relaxed);
}

void ctl_evq_stats(const struct ctl_evq *q, struct ctl_evq_stats *ret)
{
	struct ctl_evq_stats s = {
		.dropped = atomic_load_explicit(&q->bad_dropped, memory_order_relaxed),
		.aggregated = atomic_load_explicit(&q->aggregated, memory_order_relaxed),
		.summaries = atomic_load_explicit(&q->summaries, memory_order_relaxed),
		.output = atomic_load_explicit(&q->output, memory_order_relaxed),
	};

	for (unsigned p = 0; p < q->producers; p++) {
		s.queued += atomic_load_explicit(&q->rings[p].queued, memory_order_relaxed);
		s.dropped += atomic_load_explicit(&q->rings[p].dropped, memory_order_relaxed);
	}
	*ret = s;
}

/* ------------------------------------------------------------ passing on */

static void recent_keep(struct ctl_evq *q, unsigned type, const char *text, size_t len)
{
	struct evq_recent *s;

	if (!q->recent_n)
		return;
	s = &q->recent[q->recent_total++ % q->recent_n];
	s->valid = false;
	if (len > s->cap || (s->cap > AGG_KEEP_CAP && len <= AGG_KEEP_CAP)) {
		size_t cap = len < 256 ? 256 : len;
		char *t = malloc(cap);

		if (!t)
			return;  /* a hole in the recent list, not worth more */
		free(s->text);
		s->text = t;
		s->cap = cap;
	}
	memcpy(s->text, text, len);
	s->len = len;
	s->type = type;
	s->valid = true;
}

static void pass(struct ctl_evq *q, unsigned type, const char *text, size_t len, ctl_evq_fn fn,
		 void *ctx)
{
	recent_keep(q, type, text, len);
	bump(&q->output, 1);
	if (fn)
		fn(ctx, type, text, len);
}

size_t ctl_evq_recent(struct ctl_evq *q, size_t n, ctl_evq_fn fn, void *ctx)
{
	uint64_t have = q->recent_total < q->recent_n ? q->recent_total : q->recent_n;
	size_t done = 0;

	if (n > have)
		n = (size_t)have;
	for (uint64_t i = q->recent_total - n; i < q->recent_total; i++) {
		struct evq_recent *s = &q->recent[i % q->recent_n];

		if (!s->valid)
			continue;
		if (fn)
			fn(ctx, s->type, s->text, s->len);
		done++;
	}
	return done;
}

/* ------------------------------------------------------------ aggregation */

static size_t agg_home(const struct ctl_evq *q, uint64_t key)
{
	/* The caller's key is a hash already, but maybe a weak one: mix. */
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ull;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebull;
	key ^= key >> 31;
	return (size_t)key & q->slot_mask;
}

/* The slot holding @key's entry, or the empty slot where it would go. */
static size_t agg_slot(const struct ctl_evq *q, uint64_t key)
{
	size_t i = agg_home(q, key);

	while (q->slots[i] && q->agg[q->slots[i] - 1].key != key)
		i = (i + 1) & q->slot_mask;
	return i;
}

static void agg_unlink(struct ctl_evq *q, uint64_t key)
{
	size_t i = agg_slot(q, key), j = i;

	/* Backward-shift deletion: move up every later entry of the cluster
	 * whose home is not in (i, j], so that no probe sequence breaks. */
	q->slots[i] = 0;
	for (;;) {
		size_t k;

		j = (j + 1) & q->slot_mask;
		if (!q->slots[j])
			return;
		k = agg_home(q, q->agg[q->slots[j] - 1].key);
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		q->slots[i] = q->slots[j];
		q->slots[j] = 0;
		i = j;
	}
}

/* @e's summary: its last held alert with the aggregation member spliced in
 * before the final '}'. */
static void agg_summary(struct ctl_evq *q, struct evq_agg *e, ctl_evq_fn fn, void *ctx)
{
	char member[SPLICE_MAX];
	size_t end = e->len, before;
	int m;

	while (end && (e->text[end - 1] == ' ' || e->text[end - 1] == '\t' ||
		       e->text[end - 1] == '\r' || e->text[end - 1] == '\n'))
		end--;
	if (!end || e->text[end - 1] != '}') {
		/* Not an object (a caller's bug): the text as it was, no count. */
		pass(q, e->type, e->text, e->len, fn, ctx);
		bump(&q->summaries, 1);
		return;
	}
	before = end - 1;
	while (before && (e->text[before - 1] == ' ' || e->text[before - 1] == '\t' ||
			  e->text[before - 1] == '\r' || e->text[before - 1] == '\n'))
		before--;
	m = snprintf(member, sizeof(member), "%s\"aggregated\":{\"count\":%llu,\"window_ms\":%u}",
		     before && e->text[before - 1] == '{' ? "" : ",", (unsigned long long)e->held,
		     (unsigned)q->window_ms);
	if (m < 0 || (size_t)m >= sizeof(member))
		abort(); /* cannot happen: SPLICE_MAX fits the widest numbers */
	memcpy(q->splice, e->text, end - 1);
	memcpy(q->splice + end - 1, member, (size_t)m);
	memcpy(q->splice + end - 1 + m, e->text + end - 1, e->len - (end - 1));
	bump(&q->summaries, 1);
	pass(q, e->type, q->splice, e->len + (size_t)m, fn, ctx);
}

/* Close the oldest window: its summary if it held alerts, then the entry
 * back to the free list. */
static size_t agg_close_oldest(struct ctl_evq *q, ctl_evq_fn fn, void *ctx)
{
	uint32_t idx = q->fifo_head;
	struct evq_agg *e = &q->agg[idx];
	size_t n = 0;

	q->fifo_head = e->next;
	if (q->fifo_head == AGG_NONE)
		q->fifo_tail = AGG_NONE;
	if (e->held) {
		agg_summary(q, e, fn, ctx);
		n = 1;
	}
	agg_unlink(q, e->key);
	if (e->cap > AGG_KEEP_CAP) {
		free(e->text);
		e->text = NULL;
		e->cap = 0;
	}
	e->held = 0;
	e->len = 0;
	e->next = q->free_head;
	q->free_head = idx;
	return n;
}

/* Hold an alert of an open window: false when its copy could not be made
 * (then it is passed on instead). */
static bool agg_hold(struct evq_agg *e, unsigned type, const char *text, size_t len)
{
	if (len > e->cap) {
		size_t cap = len < 512 ? 512 : len;
		char *t = malloc(cap);

		if (!t)
			return false;
		free(e->text);
		e->text = t;
		e->cap = cap;
	}
	memcpy(e->text, text, len);
	e->len = len;
	e->type = (uint16_t)type;
	e->held++;
	return true;
}

/* One drained event: held in its key's window, or passed on. Returns the
 * number passed. */
static size_t take(struct ctl_evq *q, unsigned type, uint64_t key, const char *text, size_t len,
		   ctl_evq_fn fn, void *ctx)
{
	if (key && q->window_us) {
		size_t i = agg_slot(q, key);

		if (q->slots[i]) {
			if (agg_hold(&q->agg[q->slots[i] - 1], type, text, len)) {
				bump(&q->aggregated, 1);
				return 0;
			}
		} else if (q->free_head != AGG_NONE) {
			uint32_t idx = q->free_head;
			struct evq_agg *e = &q->agg[idx];

			q->free_head = e->next;
			e->key = key;
			e->end_us = q->now_us + q->window_us;
			e->held = 0;
			e->len = 0;
			e->next = AGG_NONE;
			if (q->fifo_tail == AGG_NONE)
				q->fifo_head = idx;
			else
				q->agg[q->fifo_tail].next = idx;
			q->fifo_tail = idx;
			q->slots[i] = idx + 1;
		}
		/* else: the table is full, the alert passes unaggregated. */
	}
	pass(q, type, text, len, fn, ctx);
	return 1;
}

/* ------------------------------------------------------------ the consumer */

static size_t drain_ring(struct ctl_evq *q, struct evq_ring *r, ctl_evq_fn fn, void *ctx)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	size_t n = 0;

	while (t != h) {
		uint64_t off = t & r->mask;
		struct evq_rec hdr;

		memcpy(&hdr, r->buf + off, sizeof(hdr));
		if (hdr.type == REC_PAD) {
			t += r->size - off;
			continue;
		}
		n += take(q, hdr.type, hdr.agg_key, (const char *)r->buf + off + sizeof(hdr), hdr.len,
			  fn, ctx);
		t += REC_ALIGN + round16(hdr.len);
		/* Room for the producer as soon as the callback is done with it. */
		atomic_store_explicit(&r->tail, t, memory_order_release);
	}
	atomic_store_explicit(&r->tail, t, memory_order_release);
	return n;
}

size_t ctl_evq_drain(struct ctl_evq *q, uint64_t now_us, ctl_evq_fn fn, void *ctx)
{
	size_t n = 0;

	/* A clock going back would break the windows' order: hold it still. */
	if (now_us > q->now_us)
		q->now_us = now_us;
	/* Windows first: an alert seen now belongs to a window still open now. */
	while (q->fifo_head != AGG_NONE && q->agg[q->fifo_head].end_us <= q->now_us)
		n += agg_close_oldest(q, fn, ctx);
	for (unsigned p = 0; p < q->producers; p++)
		n += drain_ring(q, &q->rings[p], fn, ctx);
	return n;
}

size_t ctl_evq_flush(struct ctl_evq *q, ctl_evq_fn fn, void *ctx)
{
	size_t n = ctl_evq_drain(q, q->now_us, fn, ctx);

	while (q->fifo_head != AGG_NONE)
		n += agg_close_oldest(q, fn, ctx);
	return n;
}

/* ------------------------------------------------------------ life */

int ctl_evq_new(const struct ctl_evq_config *c, struct ctl_evq **ret)
{
	struct ctl_evq *q = NULL;
	uint64_t size;
	size_t slots;
	int r = -EINVAL;

	if (!c->producers || c->producers > CTL_EVQ_MAX_PRODUCERS ||
	    c->ring_bytes > CTL_EVQ_MAX_RING || c->recent > CTL_EVQ_MAX_RECENT ||
	    c->agg_keys > CTL_EVQ_MAX_AGG_KEYS)
		goto out;
	r = -ENOMEM;
	q = calloc(1, sizeof(*q));
	if (!q)
		goto out;
	q->fifo_head = q->fifo_tail = q->free_head = AGG_NONE;

	size = pow2_at_least(c->ring_bytes < CTL_EVQ_MIN_RING ? CTL_EVQ_MIN_RING : c->ring_bytes);
	q->max_event = (size_t)(size / 4 - REC_ALIGN);
	q->rings = aligned_alloc(CACHELINE, sizeof(*q->rings) * c->producers);
	if (!q->rings)
		goto out;
	memset(q->rings, 0, sizeof(*q->rings) * c->producers);
	q->producers = c->producers;
	for (unsigned p = 0; p < c->producers; p++) {
		q->rings[p].buf = aligned_alloc(CACHELINE, size);
		if (!q->rings[p].buf)
			goto out;
		q->rings[p].size = size;
		q->rings[p].mask = size - 1;
	}

	q->window_ms = c->alert_window_ms;
	q->window_us = (uint64_t)c->alert_window_ms * 1000;
	q->agg_n = c->agg_keys ? c->agg_keys : 4096;
	q->agg = calloc(q->agg_n, sizeof(*q->agg));
	slots = (size_t)pow2_at_least((uint64_t)q->agg_n * 2);
	q->slots = calloc(slots, sizeof(*q->slots));
	q->splice = malloc(q->max_event + SPLICE_MAX);
	if (!q->agg || !q->slots || !q->splice)
		goto out;
	q->slot_mask = slots - 1;
	for (unsigned i = q->agg_n; i-- > 0;) {
		q->agg[i].next = q->free_head;
		q->free_head = i;
	}

	q->recent_n = c->recent;
	if (c->recent) {
		q->recent = calloc(c->recent, sizeof(*q->recent));
		if (!q->recent)
			goto out;
	}
	*ret = q;
	q = NULL;
	r = 0;
out:
	ctl_evq_free(q);
	return r;
}

void ctl_evq_free(struct ctl_evq *q)
{
	if (!q)
		return;
	if (q->rings)
		for (unsigned p = 0; p < q->producers; p++)
			free(q->rings[p].buf);
	free(q->rings);
	if (q->agg)
		for (unsigned i = 0; i < q->agg_n; i++)
			free(q->agg[i].text);
	free(q->agg);
	free(q->slots);
	free(q->splice);
	if (q->recent)
		for (unsigned i = 0; i < q->recent_n; i++)
			free(q->recent[i].text);
	free(q->recent);
	free(q);
}
