/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi.h - the contract between the dataplane and the inspection engine.
 * Application protocols are named by small ids so that a flow stores one
 * byte; the names are the EVE `app_proto` values.
 */
#ifndef BULKHEAD_DPI_H
#define BULKHEAD_DPI_H

#include <stdint.h>

enum dpi_proto {
	DPI_PROTO_UNKNOWN = 0,
	DPI_PROTO_HTTP,
	DPI_PROTO_DNS,
	DPI_PROTO_MYSQL,
	DPI_PROTO_PGSQL,
	DPI_PROTO_TLS,
	DPI_PROTO__MAX
};

/* EVE name of @p ("http", ..., "unknown" for anything out of range). Static
 * storage, thread-safe. */
const char *dpi_proto_name(unsigned p);

#endif
