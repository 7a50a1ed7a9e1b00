/* SPDX-License-Identifier: GPL-2.0-only */
/* dpi_policy.c - stub, being written. */
#include <errno.h>
#include <stdlib.h>

#include "bulkhead/dpi.h"

struct dpi_policy {
	int dummy;
};

const char *bh_mode_name(unsigned m)
{
	static const char *const n[] = {"protect", "monitor", "learn"};

	return m < BH_MODE__MAX ? n[m] : NULL;
}

const char *bh_action_name(unsigned a)
{
	static const char *const n[] = {"allow", "deny", "audit", "learn"};

	return a < BH_ACT__MAX ? n[a] : NULL;
}

int dpi_policy_new(const struct bh_policy_doc *doc, dpi_policy_error_fn err, void *err_ctx,
		   struct dpi_policy **ret)
{
	(void)doc;
	(void)err;
	(void)err_ctx;
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void dpi_policy_free(struct dpi_policy *p)
{
	free(p);
}
