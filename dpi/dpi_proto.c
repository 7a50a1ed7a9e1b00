/* SPDX-License-Identifier: GPL-2.0-only */
#include "bulkhead/dpi.h"

static const char *const names[DPI_PROTO__MAX] = {
	[DPI_PROTO_UNKNOWN] = "unknown",
	[DPI_PROTO_HTTP] = "http",
	[DPI_PROTO_DNS] = "dns",
	[DPI_PROTO_MYSQL] = "mysql",
	[DPI_PROTO_PGSQL] = "pgsql",
	[DPI_PROTO_TLS] = "tls",
};

const char *dpi_proto_name(unsigned p)
{
	return p < DPI_PROTO__MAX ? names[p] : "unknown";
}
