/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_tls.h - TLS ClientHello (and ServerHello) parser.
 *
 * Follows dpi_parser.h. Feed the client's bytes with DPI_TO_SERVER: the
 * parser reads the handshake records (content type 22) that carry the
 * ClientHello, which may be split across several records and any number of
 * TCP segments, and reports legacy version, the highest supported_versions
 * entry (so TLS 1.3 shows as 0x0304), SNI and ALPN. The server's bytes
 * (DPI_TO_CLIENT) give the ServerHello's selected version and cipher suite.
 *
 * No state is kept between calls until the hello is complete: the parser
 * returns DPI_NEED_MORE until every record of it is in @buf. The caps keep
 * that within DPI_MAX_PENDING: the handshake message may be at most
 * DPI_TLS_MAX_HELLO bytes in at most DPI_TLS_MAX_RECORDS records.
 *
 * Done: once the hello (or an alert in its place) is reported the direction
 * is opaque (encrypted or of no interest); that call and every later one
 * consume all they are given (return @len), and dpi_tls_done() is true.
 *
 * Anomalies: tls.malformed (not a TLS handshake, broken hello: fatal),
 * tls.record_too_large (a record over 2^14 bytes: fatal), tls.hello_too_large
 * (over DPI_TLS_MAX_HELLO: fatal), tls.fragmented (over DPI_TLS_MAX_RECORDS
 * records: fatal), tls.sni_invalid (not a hostname, over 255 bytes, or two
 * host names: reported, sni_valid false), tls.duplicate_extension (an
 * extension the parser reads sent twice: the first one counts).
 *
 * Not thread-safe: one state per flow.
 */
#ifndef DPI_TLS_H
#define DPI_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpi_parser.h"

#define DPI_TLS_MAX_HELLO 16384u	/* handshake message body */
#define DPI_TLS_MAX_RECORDS 32u		/* records one hello may span */
#define DPI_TLS_MAX_RECORD 16384u	/* plaintext record (RFC 8446 5.1) */
#define DPI_TLS_MAX_SNI 255u
#define DPI_TLS_MAX_ALPN 8u		/* ALPN names reported */

struct dpi_tls_client_hello {
	uint16_t record_version;	/* of the first record */
	uint16_t legacy_version;	/* ClientHello.legacy_version */
	uint16_t version;		/* max supported_versions, else legacy */
	bool has_sni;
	bool sni_valid;			/* a plausible host name */
	struct dpi_slice sni;		/* at most DPI_TLS_MAX_SNI bytes */
	uint8_t alpn_count;
	bool alpn_truncated;		/* more than DPI_TLS_MAX_ALPN names */
	struct dpi_slice alpn[DPI_TLS_MAX_ALPN];
	/* Raw fields for fingerprints (JA3/JA4-style). */
	struct dpi_slice cipher_suites;
	struct dpi_slice extensions;
};

struct dpi_tls_server_hello {
	uint16_t legacy_version;
	uint16_t version;		/* supported_versions, else legacy */
	uint16_t cipher_suite;
	bool hello_retry;		/* a HelloRetryRequest */
};

/* Every callback may be NULL. Slices are valid only during the call. */
struct dpi_tls_cb {
	void (*on_client_hello)(void *ctx, const struct dpi_tls_client_hello *h);
	void (*on_server_hello)(void *ctx, const struct dpi_tls_server_hello *h);
	/* An alert record where the hello should be (e.g. the server refusing
	 * the client's versions); the direction is done. Plaintext alerts are
	 * two bytes: @level (1 warning, 2 fatal) and @description. */
	void (*on_alert)(void *ctx, unsigned dir, uint8_t level, uint8_t description);
	dpi_anom_fn on_anomaly;
};

/* One flow; fields private. Initialise with dpi_tls_init(). Holds no
 * allocation: no fini needed. */
struct dpi_tls_state {
	uint8_t phase[2];
};

/* Prepares @st for a new flow. Never fails. */
void dpi_tls_init(struct dpi_tls_state *st);

/* Parses bytes of direction @dir (DPI_TO_SERVER: the client's). Returns
 * @len once the hello is reported (and ever after), DPI_NEED_MORE while it is
 * incomplete, or -EBADMSG (anomaly reported; every later call fails). Slices
 * point into @buf or the parser's stack, valid during the callback. */
int dpi_tls_parse(struct dpi_tls_state *st, unsigned dir, const uint8_t *buf, size_t len,
		  const struct dpi_tls_cb *cb, void *ctx);

/* True once direction @dir's hello was reported. */
bool dpi_tls_done(const struct dpi_tls_state *st, unsigned dir);

/* "SSLv3", "TLSv1", "TLS 1.1", "TLS 1.2", "TLS 1.3" (Suricata's EVE names),
 * or "unknown". Static storage, thread-safe. */
const char *dpi_tls_version_name(uint16_t version);

/* Content detection: a handshake record (0x16, version 3.0-3.4) of
 * plausible length whose first message, when present, is a ClientHello.
 * Needs 3 bytes; checks the rest as far as @len goes. Thread-safe. */
bool dpi_tls_probe(const uint8_t *buf, size_t len);

#endif
