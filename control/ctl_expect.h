/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_expect.h - rule tests: `bulkhead replay --expect FILE` compares the
 * decisions of a replay with a file of expectations and prints a readable
 * diff. The format is documented in tests/data/policy/README.md.
 */
#ifndef CTL_EXPECT_H
#define CTL_EXPECT_H

#include <stdio.h>

#include "bulkhead/bh_event.h"
#include "ctl_policy.h"

struct ctl_expect;

/* Read an expectations file. Errors are reported as "FILE:LINE:COL:
 * message"; returns 0 and sets *@ret, -EINVAL (errors), -errno, -ENOMEM. */
int ctl_expect_load(const char *file, ctl_policy_error_fn err, void *err_ctx,
		    struct ctl_expect **ret);

/* The same for a buffer (@name names it in messages). */
int ctl_expect_load_mem(const char *name, const char *buf, size_t len, ctl_policy_error_fn err,
			void *err_ctx, struct ctl_expect **ret);

/* One event of the replay (any type; the ones carrying a verdict count).
 * Thread-safe: called from every worker. Copies what it keeps. */
void ctl_expect_event(struct ctl_expect *x, const struct bh_event *ev);

/* After the replay: writes the mismatches (in file order, deterministic for
 * every worker count) and a summary line to @out. Returns the number of
 * mismatches (0: every expectation held). */
unsigned ctl_expect_report(struct ctl_expect *x, FILE *out);

void ctl_expect_free(struct ctl_expect *x);

#endif
