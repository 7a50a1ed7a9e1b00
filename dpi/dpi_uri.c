/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_uri.c - percent-decoding, path normalisation and parameter splitting
 * for the HTTP parser. See dpi_uri.h for the rules.
 */
#include "dpi_uri.h"

#include <stdbool.h>
#include <string.h>

/*
 * Decode the character at in[*i] (advancing *i past it) into out[*w]. A
 * valid escape writes one byte; "%00" and invalid escapes write themselves
 * undecoded. Returns the decoded byte, or -1 when the bytes written are not a
 * single decoded character (so they can never act as a separator or a dot).
 */
static int decode_one(const uint8_t *in, size_t len, size_t *i, int plus, uint8_t *out,
		      size_t *w, unsigned *flags)
{
	uint8_t c = in[*i];

	if (c == '%') {
		int hi = *i + 2 < len ? dpi_hexval(in[*i + 1]) : -1;
		int lo = hi >= 0 ? dpi_hexval(in[*i + 2]) : -1;

		if (hi < 0 || lo < 0) {
			*flags |= DPI_URI_BAD_ESCAPE;
			out[(*w)++] = '%';
			(*i)++;
			return -1;
		}
		if (hi == 0 && lo == 0) {
			*flags |= DPI_URI_ENCODED_NUL;
			out[(*w)++] = '%';
			out[(*w)++] = '0';
			out[(*w)++] = '0';
			*i += 3;
			return -1;
		}
		c = (uint8_t)(hi << 4 | lo);
		*i += 3;
	} else {
		if (plus && c == '+')
			c = ' ';
		(*i)++;
	}
	out[(*w)++] = c;
	return c;
}

size_t dpi_uri_decode(const uint8_t *in, size_t len, int plus, uint8_t *out, unsigned *flags)
{
	size_t i = 0, w = 0;

	while (i < len)
		decode_one(in, len, &i, plus, out, &w, flags);
	return w;
}

/*
 * One pass: each segment is decoded straight into @out behind a '/', then
 * judged. "" and "." vanish, ".." also removes the previous segment. Every
 * '/' written stands for a separator read (or the one leading '/'), and a
 * dropped segment frees at least the byte a trailing '/' needs, so the output
 * never exceeds @len + 1 bytes.
 */
size_t dpi_uri_normalize_path(const uint8_t *in, size_t len, uint8_t *out, unsigned *flags)
{
	size_t i = 0, w = 0;
	bool named_last = false;

	for (;;) {
		size_t seg = w, slen;
		bool sep = false;
		int c;

		out[w++] = '/';
		while (i < len) {
			size_t at = w;

			c = decode_one(in, len, &i, 0, out, &w, flags);
			if (c == '/') {
				w = at;
				sep = true;
				break;
			}
		}
		slen = w - seg - 1;
		if (slen == 0 || (slen == 1 && out[seg + 1] == '.')) {
			w = seg;
			named_last = false;
		} else if (slen == 2 && out[seg + 1] == '.' && out[seg + 2] == '.') {
			w = seg;
			if (w == 0)
				*flags |= DPI_URI_ABOVE_ROOT;
			while (w > 0 && out[w - 1] != '/')
				w--;
			if (w > 0)
				w--;
			named_last = false;
		} else {
			named_last = true;
		}
		if (!sep)
			break;
	}
	if (w == 0 || !named_last)
		out[w++] = '/';
	return w;
}

size_t dpi_uri_params(const uint8_t *in, size_t len, struct dpi_uri_param *params, size_t max,
		      uint8_t *out, unsigned *flags)
{
	size_t i = 0, w = 0, n = 0;

	while (i < len) {
		size_t start = i, end, eq;

		while (i < len && in[i] != '&')
			i++;
		end = i;
		if (i < len)
			i++; /* the '&' */
		if (end == start)
			continue;
		if (n == max) {
			*flags |= DPI_URI_PARAM_LIMIT;
			break;
		}
		for (eq = start; eq < end && in[eq] != '='; eq++)
			;
		params[n].name.p = out + w;
		params[n].name.len = (uint32_t)dpi_uri_decode(in + start, eq - start, 1, out + w, flags);
		w += params[n].name.len;
		params[n].value.p = out + w;
		params[n].value.len = 0;
		if (eq < end) {
			params[n].value.len =
				(uint32_t)dpi_uri_decode(in + eq + 1, end - eq - 1, 1, out + w, flags);
			w += params[n].value.len;
		}
		n++;
	}
	return n;
}

static struct dpi_slice mkslice(const uint8_t *p, size_t len)
{
	struct dpi_slice s = {len ? p : NULL, (uint32_t)len};

	return s;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

/* RFC 3986 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static bool is_scheme(const uint8_t *p, size_t n)
{
	if (!n || !(lower(p[0]) >= 'a' && lower(p[0]) <= 'z'))
		return false;
	for (size_t i = 1; i < n; i++) {
		uint8_t c = lower(p[i]);

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
		      c == '.'))
			return false;
	}
	return true;
}

void dpi_uri_split_target(const uint8_t *u, size_t len, struct dpi_uri_target *t)
{
	size_t ps = 0, pe;

	memset(t, 0, sizeof(*t));
	if (len == 1 && u[0] == '*') {
		t->form = DPI_URI_ASTERISK;
		return;
	}
	t->form = DPI_URI_ORIGIN;
	if (len && u[0] != '/') {
		const uint8_t *colon = memchr(u, ':', len);
		size_t c = colon ? (size_t)(colon - u) : 0;

		t->form = DPI_URI_OTHER;
		if (colon && is_scheme(u, c) && len - c >= 3 && u[c + 1] == '/' && u[c + 2] == '/') {
			size_t as = c + 3, ae = as;

			while (ae < len && u[ae] != '/' && u[ae] != '?' && u[ae] != '#')
				ae++;
			t->form = DPI_URI_ABSOLUTE;
			t->authority = mkslice(u + as, ae - as);
			ps = ae;
		}
	}
	for (pe = ps; pe < len && u[pe] != '?'; pe++)
		;
	t->path = mkslice(u + ps, pe - ps);
	if (pe < len) {
		t->has_query = 1;
		t->query = mkslice(u + pe + 1, len - pe - 1);
	}
}

size_t dpi_uri_hostname(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t s = 0, e = len;

	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (in[i] == '@')
			s = i + 1;
	if (s < e && in[s] == '[') {
		const uint8_t *rb = memchr(in + s, ']', e - s);

		s++;
		if (rb)
			e = (size_t)(rb - in);
	} else if (s < e) {
		const uint8_t *colon = memchr(in + s, ':', e - s);

		/* One colon: a port. More: an unbracketed IPv6 address. */
		if (colon && !memchr(colon + 1, ':', (size_t)(in + e - colon - 1)))
			e = (size_t)(colon - in);
	}
	while (e > s && in[e - 1] == '.')
		e--;
	for (size_t i = s; i < e; i++)
		out[i - s] = lower(in[i]);
	return e > s ? e - s : 0;
}
