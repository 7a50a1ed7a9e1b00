/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_detect.c - which protocol a flow speaks, from its first bytes.
 *
 * Content decides, ports are hints: HTTP on 5432 is HTTP. Each probe answers
 * for the bytes it has; a prefix that could still become a match keeps the
 * flow undecided until more bytes (or the end of the stream) arrive.
 */
#include <netinet/in.h>
#include <string.h>

#include "dpi_app.h"
#include "dpi_dns.h"
#include "dpi_mysql.h"
#include "dpi_pgsql.h"
#include "dpi_tls.h"

enum match { NO, MAYBE, YES };

/* An HTTP request line starts with a method token and a space. The token is
 * checked against the registered methods most clients send, so binary
 * protocols starting with capital letters don't pass. */
static enum match http_request(const uint8_t *b, size_t len)
{
	static const char *const methods[] = {
		"GET",     "POST",   "PUT",    "DELETE",   "HEAD",    "OPTIONS", "PATCH",
		"CONNECT", "TRACE",  "PROPFIND", "PROPPATCH", "MKCOL", "COPY",  "MOVE",
		"LOCK",    "UNLOCK", "REPORT", "SEARCH",   "PURGE",
	};
	bool prefix = false;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t ml = strlen(methods[i]);

		if (len > ml) {
			if (memcmp(b, methods[i], ml) == 0 && b[ml] == ' ')
				return YES;
		} else if (memcmp(b, methods[i], len) == 0) {
			prefix = true; /* "GE", or "GET" without its space yet */
		}
	}
	return prefix ? MAYBE : NO;
}

int dpi_detect_stream(const uint8_t *c, size_t clen, const uint8_t *s, size_t slen, bool eof)
{
	enum match http = NO;

	if (clen) {
		http = http_request(c, clen);
		if (http == YES)
			return DPI_PROTO_HTTP;
		if (dpi_tls_probe(c, clen))
			return DPI_PROTO_TLS;
		if (dpi_pgsql_probe(c, clen))
			return DPI_PROTO_PGSQL;
		if (clen >= 14 && dpi_dns_probe(c, clen, true))
			return DPI_PROTO_DNS;
	}
	/* MySQL servers speak first. */
	if (slen && dpi_mysql_probe_greeting(s, slen))
		return DPI_PROTO_MYSQL;
	if (eof)
		return DPI_PROTO_UNKNOWN;
	/* Client bytes that may still turn out to be a known protocol: the
	 * probes need at most a record or message header to tell. */
	if (clen && (http == MAYBE || clen < 14))
		return -1;
	if (!clen && slen < 16)
		return -1; /* the server spoke first: a greeting needs a few bytes */
	return DPI_PROTO_UNKNOWN;
}

int dpi_detect_datagram(const uint8_t *buf, size_t len, uint16_t server_port)
{
	(void)server_port;
	if (dpi_dns_probe(buf, len, false))
		return DPI_PROTO_DNS;
	return DPI_PROTO_UNKNOWN;
}

enum dpi_proto dpi_port_hint(uint8_t ipproto, uint16_t port)
{
	switch (port) {
	case 53:
		return DPI_PROTO_DNS;
	case 80:
	case 8080:
		return ipproto == IPPROTO_TCP ? DPI_PROTO_HTTP : DPI_PROTO_UNKNOWN;
	case 443:
		return ipproto == IPPROTO_TCP ? DPI_PROTO_TLS : DPI_PROTO_UNKNOWN;
	case 3306:
		return DPI_PROTO_MYSQL;
	case 5432:
		return DPI_PROTO_PGSQL;
	default:
		return DPI_PROTO_UNKNOWN;
	}
}
