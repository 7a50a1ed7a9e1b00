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

/* DNS over TCP: a length prefix and a header that may still become a query
 * once the rest of the message arrives. */
static enum match dns_tcp_prefix(const uint8_t *b, size_t len)
{
	size_t mlen;

	if (len < 2)
		return MAYBE;
	mlen = (size_t)b[0] << 8 | b[1];
	if (mlen < 12 || len >= mlen + 2)
		return NO; /* complete (the probe has decided) or impossible */
	if (len < 2 + 12)
		return MAYBE;
	/* A query (QR clear), a standard opcode, one question. */
	if ((b[4] & 0x80) || ((b[4] >> 3) & 0x0f) > 5 || b[6] != 0 || b[7] != 1)
		return NO;
	return MAYBE;
}

/* MySQL greeting: [3-byte length][seq 0][protocol 10]... still arriving. */
static enum match mysql_greeting_prefix(const uint8_t *b, size_t len)
{
	size_t plen;

	if (len < 5)
		return len < 4 || b[3] == 0 ? MAYBE : NO;
	plen = (size_t)b[0] | (size_t)b[1] << 8 | (size_t)b[2] << 16;
	if (b[3] != 0 || b[4] != 10 || plen < 20 || plen > 1024 || len >= plen + 4)
		return NO;
	return MAYBE;
}

int dpi_detect_stream(const uint8_t *c, size_t clen, const uint8_t *s, size_t slen, bool eof)
{
	enum match http = NO, dns = NO, mysql = NO;

	if (clen) {
		http = http_request(c, clen);
		if (http == YES)
			return DPI_PROTO_HTTP;
		if (dpi_tls_probe(c, clen))
			return DPI_PROTO_TLS;
		if (dpi_pgsql_probe(c, clen))
			return DPI_PROTO_PGSQL;
		if (dpi_dns_probe(c, clen, true))
			return DPI_PROTO_DNS;
		dns = dns_tcp_prefix(c, clen);
	}
	/* MySQL servers speak first. */
	if (slen) {
		if (dpi_mysql_probe_greeting(s, slen))
			return DPI_PROTO_MYSQL;
		mysql = mysql_greeting_prefix(s, slen);
	}
	if (eof)
		return DPI_PROTO_UNKNOWN;
	/* A prefix that may still become a match keeps the flow undecided:
	 * where segments break is the sender's choice, and must not decide
	 * whether the flow is inspected. The TLS and PostgreSQL probes need
	 * at most 8 bytes, hence the floor. */
	if (clen && (http == MAYBE || dns == MAYBE || clen < 8))
		return -1;
	if (!clen && (mysql == MAYBE || !slen))
		return -1;
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
