/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_learn.h - learning: from the events of a replay (or, later, of learn
 * mode inline), the WorkloadPolicy documents that allow exactly what was
 * seen. Peers by workload labels, ports, and L7 entries generalised: numeric
 * and UUID path segments become patterns, DNS names, SQL statement kinds and
 * tables.
 */
#ifndef CTL_LEARN_H
#define CTL_LEARN_H

#include <stdio.h>

#include "bulkhead/bh_event.h"

struct ctl_learn;

/* Returns 0 and sets *@ret, or -ENOMEM. */
int ctl_learn_new(struct ctl_learn **ret);

/* One event (flow, http, dns, sql, ...; others are ignored). Thread-safe.
 * Copies what it keeps. */
void ctl_learn_event(struct ctl_learn *l, const struct bh_event *ev);

/* Writes the learned WorkloadPolicy documents as YAML to @out, in a stable
 * order. Returns 0, or -errno (message in @err). */
int ctl_learn_write(struct ctl_learn *l, FILE *out, char *err, size_t errlen);

void ctl_learn_free(struct ctl_learn *l);

#endif
