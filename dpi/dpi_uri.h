/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_uri.h - percent-decoding and path normalisation for HTTP request
 * targets, query strings and application/x-www-form-urlencoded bodies.
 *
 * Rules and signatures match normalised paths, so the normalisation follows
 * what common origin servers (nginx, Apache) do before routing rather than
 * the letter of RFC 3986: escapes are decoded first, and a decoded "%2F" or
 * "%2E" takes part in slash collapsing and dot-segment removal. Otherwise a
 * request for /a/%2e%2e/admin would slip past a rule on /admin.
 *
 * All functions are pure: they read their input, write only the output
 * buffer the caller passes, keep no state, and are thread-safe.
 */
#ifndef DPI_URI_H
#define DPI_URI_H

#include <stddef.h>
#include <stdint.h>

#include "dpi_parser.h"

/* Flags the functions OR into *flags. */
#define DPI_URI_BAD_ESCAPE  (1u << 0) /* '%' without two hex digits: kept as is */
#define DPI_URI_ENCODED_NUL (1u << 1) /* "%00": kept encoded, never decoded to NUL */
#define DPI_URI_ABOVE_ROOT  (1u << 2) /* a ".." tried to climb above "/": dropped */
#define DPI_URI_PARAM_LIMIT (1u << 3) /* more parameters than the caller had room for */

/* One decoded name=value pair; both slices point into the caller's output
 * buffer. A pair without '=' has an empty value. */
struct dpi_uri_param {
	struct dpi_slice name;
	struct dpi_slice value;
};

/* The four shapes of a request target (RFC 9112 3.2), less authority-form,
 * which only CONNECT uses and the caller recognises by the method. */
enum dpi_uri_form {
	DPI_URI_ORIGIN,   /* "/path?query" */
	DPI_URI_ABSOLUTE, /* "scheme://authority/path?query" */
	DPI_URI_ASTERISK, /* "*" */
	DPI_URI_OTHER,    /* anything else: path and query split as for origin */
};

/* Parts of a request target: slices into the target. */
struct dpi_uri_target {
	enum dpi_uri_form form;
	struct dpi_slice authority; /* absolute-form only */
	struct dpi_slice path;      /* without the query */
	struct dpi_slice query;     /* after the first '?' */
	int has_query;
};

/* The value of hex digit @c (either case), or -1. Shared by every decoder
 * of %XX-style escapes. */
static inline int dpi_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Split the request target @u (@len bytes) into @t. Never fails. */
void dpi_uri_split_target(const uint8_t *u, size_t len, struct dpi_uri_target *t);

/*
 * The host of a Host value or an authority, as policies compare it: without
 * userinfo, port, IPv6 brackets and trailing dots, lower-cased, into @out
 * (room for @len bytes). Returns its length.
 */
size_t dpi_uri_hostname(const uint8_t *in, size_t len, uint8_t *out);

/*
 * Percent-decode @len bytes at @in into @out, which must have room for @len
 * bytes (decoding never grows). With @plus, '+' decodes to a space (query
 * strings and form bodies). Invalid escapes and "%00" are copied undecoded
 * and flagged. Returns the decoded length.
 */
size_t dpi_uri_decode(const uint8_t *in, size_t len, int plus, uint8_t *out, unsigned *flags);

/*
 * Normalise the path part of a request target (no query): percent-decode,
 * collapse runs of '/', remove "." and ".." segments (RFC 3986 5.2.4, never
 * climbing above the root), and make it start with '/'. A trailing '/' is
 * kept, and one is added after a final "." or "..", as 5.2.4 does. @out
 * must have room for @len + 1 bytes. Returns the normalised length (>= 1).
 */
size_t dpi_uri_normalize_path(const uint8_t *in, size_t len, uint8_t *out, unsigned *flags);

/*
 * Split @in (a query string without '?', or a form body) on '&', each piece
 * on its first '=', and decode names and values (percent and '+') into @out,
 * which must have room for @len bytes. Empty pieces are skipped. At most
 * @max pairs are stored in @params (the rest are flagged DPI_URI_PARAM_LIMIT
 * and not decoded); their slices point into @out. Returns the number stored.
 */
size_t dpi_uri_params(const uint8_t *in, size_t len, struct dpi_uri_param *params, size_t max,
		      uint8_t *out, unsigned *flags);

#endif
