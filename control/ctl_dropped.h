/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_dropped.h - `--write-dropped FILE.pcap`: the packets a policy drops,
 * collected from every worker and written in input order, so the file is
 * the same for every worker count.
 */
#ifndef CTL_DROPPED_H
#define CTL_DROPPED_H

#include <stddef.h>
#include <stdint.h>

#include "bulkhead/dp_engine.h"

struct ctl_dropped;

/* Returns 0 and sets *@ret, or -ENOMEM. */
int ctl_dropped_new(struct ctl_dropped **ret);

/* dp_drop_fn: keep a copy of @d. Thread-safe. */
void ctl_dropped_add(void *ctx, unsigned worker, const struct dp_dropped *d);

/* Write the packets kept to @path (pcap, the link type of the first; packets
 * of another link type are left out and counted in *@ret_skipped). Returns
 * the number written, or -errno with a message in @err. */
long ctl_dropped_write(struct ctl_dropped *x, const char *path, size_t *ret_skipped, char *err,
		       size_t errlen);

void ctl_dropped_free(struct ctl_dropped *x);

/*
 * Inline: dropped packets written as they come (flushed after each), of
 * link type @dlt; packets of another are left out. Thread-safe add.
 */
struct ctl_dropped_stream;
int ctl_dropped_stream_open(const char *path, int dlt, struct ctl_dropped_stream **ret, char *err,
			    size_t errlen);
void ctl_dropped_stream_add(void *ctx, unsigned worker, const struct dp_dropped *d);
/* Close; returns the packets written. NULL is fine. */
uint64_t ctl_dropped_stream_close(struct ctl_dropped_stream *s);

#endif
