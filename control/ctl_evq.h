/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_evq.h - the daemon's event path between the workers and the outputs:
 * one lock-free byte ring per producer thread (a full ring drops and counts,
 * it never blocks a worker), one consumer that drains them in order per
 * producer, aggregates repeated alerts and keeps the most recent events for
 * late subscribers.
 */
#ifndef CTL_EVQ_H
#define CTL_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_EV_STATS 7u /* == BH_EV__MAX: a type for the daemon's own events (stats, policy) */

/* Bounds ctl_evq_new() accepts. */
#define CTL_EVQ_MAX_PRODUCERS 4096u
#define CTL_EVQ_MIN_RING 256u              /* smaller ring_bytes are rounded up to this */
#define CTL_EVQ_MAX_RING ((size_t)1 << 30)
#define CTL_EVQ_MAX_RECENT (1u << 20)
#define CTL_EVQ_MAX_AGG_KEYS (1u << 22)

struct ctl_evq;

struct ctl_evq_config {
	unsigned producers;       /* threads that push: producer ids 0..producers-1 */
	size_t ring_bytes;        /* per producer; rounded up to a power of two */
	unsigned recent;          /* events kept for late subscribers (0: none) */
	uint32_t alert_window_ms; /* repeated alerts within this window aggregated; 0: off */
	unsigned agg_keys;        /* aggregation table size (0: 4096) */
};

/*
 * A queue for @c->producers producers and one consumer. Everything is
 * allocated here: rings, the aggregation table (@c->agg_keys entries) and
 * the recent-event slots. @c is read, not kept. Returns 0 with the queue in
 * *@ret (free with ctl_evq_free()), -EINVAL for a config out of bounds (no
 * producer, or past the CTL_EVQ_MAX_* values), or -ENOMEM.
 */
int ctl_evq_new(const struct ctl_evq_config *c, struct ctl_evq **ret);

/* Frees @q and every event still in it (NULL fine). Nobody may use @q any
 * more: join the producers and the consumer first. */
void ctl_evq_free(struct ctl_evq *q);

/* The largest @len ctl_evq_push() accepts (without a trailing newline):
 * about a quarter of the ring. */
size_t ctl_evq_max_event(const struct ctl_evq *q);

/*
 * Producer @p only (one thread per p at a time): queue one event: @text is
 * one JSON object (@len bytes, a trailing '\n' is allowed and dropped, copied
 * into the ring: the caller keeps it), @type a BH_EV_* value or
 * CTL_EV_STATS, @agg_key for alerts (0: never aggregated; the caller hashes
 * signature id, addresses, server port, protocol).
 * Wait-free; never blocks or allocates. Returns true, or false when the ring
 * had no room, the event is longer than ctl_evq_max_event() or @p is out of
 * range (the event is dropped and counted).
 */
bool ctl_evq_push(struct ctl_evq *q, unsigned p, unsigned type, uint64_t agg_key, const char *text,
		  size_t len);

/*
 * The consumer (one thread): every event queued so far, in order per
 * producer (producers taken in turn), after aggregation, passed to @fn (text
 * without newline, valid during the call; @fn must not call back into @q
 * except ctl_evq_stats()/ctl_evq_dropped()). Windows that ended by @now_us
 * (a monotonic clock, microseconds) are closed first, their summaries passed
 * on before the new events; an alert opens its window at the @now_us of the
 * drain that sees it. Returns the number of events passed (summaries
 * included). @fn may be NULL: events are consumed, counted and kept in the
 * recent ring, passed to nobody.
 */
typedef void (*ctl_evq_fn)(void *ctx, unsigned type, const char *text, size_t len);
size_t ctl_evq_drain(struct ctl_evq *q, uint64_t now_us, ctl_evq_fn fn, void *ctx);

/* At shutdown (consumer thread): drain (at the last @now_us seen), then end
 * every open window now, passing the summaries of those that held alerts.
 * Returns the number of events passed. */
size_t ctl_evq_flush(struct ctl_evq *q, ctl_evq_fn fn, void *ctx);

/* The last @n events passed on (oldest first, summaries included), consumer
 * thread only; text valid during the call. Returns how many were passed to
 * @fn (at most the config's `recent`). */
size_t ctl_evq_recent(struct ctl_evq *q, size_t n, ctl_evq_fn fn, void *ctx);

struct ctl_evq_stats {
	uint64_t queued;     /* pushes that succeeded */
	uint64_t dropped;    /* pushes that failed (ring full, too long, bad producer) */
	uint64_t aggregated; /* alerts held in a window instead of passed on */
	uint64_t summaries;  /* summary events passed on at the end of windows */
	uint64_t output;     /* events passed on by drain/flush (summaries included) */
};

/* Any thread (relaxed atomics: each counter is exact, their sum a moment
 * apart). */
void ctl_evq_stats(const struct ctl_evq *q, struct ctl_evq_stats *ret);

/* Events dropped at producer @p (any thread; 0 for @p out of range). */
uint64_t ctl_evq_dropped(const struct ctl_evq *q, unsigned p);

#endif
