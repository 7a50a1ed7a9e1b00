/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_decisions.h - the human view of a replay with a policy: one line per
 * decision (flow or transaction), in capture order, saying what was
 * allowed or denied and why.
 */
#ifndef CTL_DECISIONS_H
#define CTL_DECISIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "bulkhead/bh_event.h"

struct ctl_decisions;

int ctl_decisions_new(struct ctl_decisions **ret);

/* bh_event_fn: keep a line for @ev if it carries a verdict. Thread-safe. */
void ctl_decisions_add(void *ctx, unsigned worker, const struct bh_event *ev);

/* Print the lines in capture order; @only_denied: just the decisions that
 * aren't "allow". Returns the number of lines printed. */
size_t ctl_decisions_write(struct ctl_decisions *d, FILE *out, bool only_denied);

/* Decisions kept, and how many are not "allow". */
size_t ctl_decisions_count(const struct ctl_decisions *d, size_t *ret_not_allowed);

void ctl_decisions_free(struct ctl_decisions *d);

#endif
