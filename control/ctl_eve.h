/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_eve.h - events as EVE-shaped JSON lines, and the ordered writer replay
 * uses so that its output is the same for every worker count.
 */
#ifndef CTL_EVE_H
#define CTL_EVE_H

#include <stdio.h>

#include "bulkhead/bh_event.h"
#include "ctl_json.h"

/* Append @ev as one JSON object and a newline to @b. Thread-safe for
 * distinct buffers. */
void ctl_eve_format(struct ctl_buf *b, const struct bh_event *ev);

/* The text of address @a into @out (INET6_ADDRSTRLEN bytes), returned: IPv4
 * when @family is AF_INET, or when it is 0 and @a is IPv4-mapped; else
 * IPv6. */
const char *ctl_addr_text(const union bh_addr *a, uint8_t family, char *out);

/* @a is IPv4-mapped (::ffff:a.b.c.d). */
bool ctl_addr_mapped(const union bh_addr *a);

/* Format an RFC 3339 UTC timestamp with microseconds ("...T10:51:42.123456Z")
 * into @out (at least 32 bytes). */
void ctl_eve_time(char *out, size_t outlen, uint64_t ts_us);

/* The name EVE gives a TCP state ("established", ...), static. */
const char *ctl_eve_tcp_state(enum bh_tcp_state s);

struct ctl_eve_sorter;

/* A sink collecting events from @nthreads threads (thread i only ever passes
 * worker = i) in memory. Returns 0 or -ENOMEM. */
int ctl_eve_sorter_new(unsigned nthreads, struct ctl_eve_sorter **ret);

/* bh_event_fn: format and keep @ev. */
void ctl_eve_sorter_add(void *sorter, unsigned worker, const struct bh_event *ev);

/* Write every event kept, ordered by (flow's first packet, event sequence in
 * the flow, text), to @out. Returns 0, -ENOMEM (some events were lost to
 * memory: output incomplete) or -EIO. */
int ctl_eve_sorter_write(struct ctl_eve_sorter *s, FILE *out);

/* Events kept, per event type (BH_EV_*), for summaries. */
uint64_t ctl_eve_sorter_count(const struct ctl_eve_sorter *s, enum bh_event_type t);

void ctl_eve_sorter_free(struct ctl_eve_sorter *s);

#endif
