/* SPDX-License-Identifier: GPL-2.0-only */
/* dpi_builtin.h - the built-in rule files, embedded at build time
 * (dpi/rules/embed.py writes dpi_builtin_rules.c). */
#ifndef DPI_BUILTIN_H
#define DPI_BUILTIN_H

#include <stddef.h>

#include "bulkhead/dpi.h"

struct dpi_builtin_text {
	enum dpi_set set;
	const char *name;    /* "dpi/rules/sqli.rules", for messages */
	const char *text;
	size_t len;
};

extern const struct dpi_builtin_text dpi_builtin_texts[];
extern const size_t dpi_builtin_ntexts;

#endif
