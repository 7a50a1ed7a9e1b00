/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_http.c - libFuzzer target for the HTTP/1.x parser (dpi_http.c and
 * dpi_uri.c), driven the way the stream layer drives it.
 *
 * Input: one byte choosing how the stream is cut (low 2 bits: pieces of
 * 1..8, 1..64 or 1..1024 bytes, or whole steps; the rest seeds the cuts),
 * then the bytes to the server. "@@@<" switches to the bytes to the client,
 * "@@@>" back; "@@@G" plus one byte is a gap of that many bytes (+1) in the
 * current direction, "@@@E" its end. Both directions end at the end of the
 * input.
 *
 * Like the real caller, the simulation keeps what the parser left
 * unconsumed and presents it again with the next piece, each time in a
 * fresh allocation of exactly that size, so AddressSanitizer sees any read
 * past a segment or any slice kept after its call. Callbacks touch every
 * byte they are given and check the parser's promises; a broken promise
 * aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_http.h"

struct fz {
	uint8_t *pend[2];
	size_t plen[2];
	bool failed[2];
	bool gate; /* a CONNECT/Upgrade request: bytes may be held for it */
	uint64_t seed;
	unsigned mode;
	struct dpi_http_state *st;
};

static void touch(struct dpi_slice s)
{
	uint8_t x = 0;

	if (s.len && !s.p)
		abort();
	for (uint32_t i = 0; i < s.len; i++)
		x ^= s.p[i];
	__asm__ volatile("" : : "r"(x));
}

static bool contains(struct dpi_slice s, const char *lit)
{
	size_t n = strlen(lit);

	for (size_t i = 0; i + n <= s.len; i++)
		if (!memcmp(s.p + i, lit, n))
			return true;
	return false;
}

static bool ends_with(struct dpi_slice s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len >= n && !memcmp(s.p + s.len - n, lit, n);
}

static void check_headers(const struct dpi_http_header *h, uint32_t n)
{
	if (n > DPI_HTTP_MAX_HEADERS || (n && !h))
		abort();
	for (uint32_t i = 0; i < n; i++) {
		if (!h[i].name.len)
			abort();
		touch(h[i].name);
		touch(h[i].value);
	}
}

static void check_params(const struct dpi_uri_param *p, uint32_t n)
{
	if (n > DPI_HTTP_MAX_PARAMS || (n && !p))
		abort();
	for (uint32_t i = 0; i < n; i++) {
		touch(p[i].name);
		touch(p[i].value);
	}
}

static void on_request(void *ctx, const struct dpi_http_request *q)
{
	struct fz *f = ctx;
	struct dpi_slice n = q->uri_norm;

	if (q->flags & (DPI_HTTP_F_CONNECT | DPI_HTTP_F_UPGRADE))
		f->gate = true;
	touch(q->method);
	touch(q->uri);
	touch(q->query);
	touch(q->protocol);
	touch(q->host);
	touch(q->user_agent);
	touch(q->content_type);
	touch(q->upgrade);
	touch(q->body);
	touch(n);
	touch(q->hostname);
	check_headers(q->headers, q->n_headers);
	check_params(q->params, q->n_params);
	check_params(q->form, q->n_form);
	if (!q->method.len || !q->uri.len || (q->version != 10 && q->version != 11))
		abort();
	if (q->body.len > DPI_HTTP_MAX_BODY || q->body.len > q->body_len)
		abort();
	for (uint32_t i = 0; i < q->hostname.len; i++)
		if (q->hostname.p[i] >= 'A' && q->hostname.p[i] <= 'Z')
			abort();
	/* Normalised paths: rooted, no empty, "." or ".." segments left. */
	if (q->flags & DPI_HTTP_F_CONNECT) {
		if (n.len)
			abort();
	} else if (!(n.len == 1 && n.p[0] == '*')) {
		if (!n.len || n.p[0] != '/' || n.len > q->uri.len + 1 || contains(n, "//") ||
		    contains(n, "/./") || contains(n, "/../") || ends_with(n, "/.") ||
		    ends_with(n, "/.."))
			abort();
	}
}

static void on_response(void *ctx, const struct dpi_http_response *s)
{
	(void)ctx;
	touch(s->protocol);
	touch(s->reason);
	touch(s->content_type);
	check_headers(s->headers, s->n_headers);
	if (s->status < 100 || s->status > 599 || (s->status < 200 && s->status != 101))
		abort();
	if ((s->flags & DPI_HTTP_F_HEAD || s->status == 204 || s->status == 304) && s->body_len &&
	    !(s->flags & DPI_HTTP_F_OPAQUE))
		abort();
}

static void on_anomaly(void *ctx, const char *ev)
{
	(void)ctx;
	if (strncmp(ev, "http.", 5) != 0)
		abort();
}

static const struct dpi_http_cb cbs = {on_request, on_response, on_anomaly};

static void drop(struct fz *f, unsigned dir)
{
	free(f->pend[dir]);
	f->pend[dir] = NULL;
	f->plen[dir] = 0;
}

static void feed(struct fz *f, unsigned dir, const uint8_t *data, size_t len)
{
	size_t tot = f->plen[dir] + len;
	uint8_t *buf;

	if (f->failed[dir] || !len)
		return;
	buf = malloc(tot);
	if (!buf)
		abort();
	if (f->plen[dir])
		memcpy(buf, f->pend[dir], f->plen[dir]);
	memcpy(buf + f->plen[dir], data, len);
	drop(f, dir);
	for (;;) {
		int r = dpi_http_parse(f->st, dir, buf, tot, &cbs, f);
		uint8_t *rest;

		if (r < 0) {
			/* A failed direction stays failed. */
			if (dpi_http_parse(f->st, dir, buf, tot, &cbs, f) != r && r == -EBADMSG &&
			    !dpi_http_opaque(f->st))
				abort();
			f->failed[dir] = true;
			break;
		}
		if ((size_t)r > tot)
			abort();
		if (r == 0 || (size_t)r == tot) {
			if ((size_t)r < tot) {
				f->plen[dir] = tot;
				f->pend[dir] = buf;
				buf = NULL;
				/* A head never needs more than its cap held,
				 * except bytes that may belong to a tunnel. */
				if (tot > DPI_HTTP_MAX_HEAD && !(dir == DPI_TO_SERVER && f->gate))
					abort();
				if (tot > DPI_MAX_PENDING) { /* the caller's cap */
					drop(f, dir);
					f->failed[dir] = true;
				}
			}
			break;
		}
		/* Present the rest in a new exact-size allocation. */
		tot -= (size_t)r;
		rest = malloc(tot);
		if (!rest)
			abort();
		memcpy(rest, buf + r, tot);
		free(buf);
		buf = rest;
	}
	free(buf);
}

static size_t piece_len(struct fz *f, size_t left)
{
	static const uint32_t max[] = {8, 64, 1024};
	size_t n;

	if (f->mode == 3)
		return left;
	f->seed ^= f->seed << 13;
	f->seed ^= f->seed >> 7;
	f->seed ^= f->seed << 17;
	n = 1 + (size_t)(f->seed >> 33) % max[f->mode];
	return n < left ? n : left;
}

static void feed_step(struct fz *f, unsigned dir, const uint8_t *p, size_t len)
{
	while (len) {
		size_t n = piece_len(f, len);

		feed(f, dir, p, n);
		p += n;
		len -= n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct fz f = {0};
	unsigned dir = DPI_TO_SERVER;
	size_t i = 1, start = 1;

	if (len < 1)
		return 0;
	f.mode = buf[0] & 3;
	f.seed = 0x9e3779b97f4a7c15ull * (uint64_t)(buf[0] | 0x100);
	if (dpi_http_new(&f.st) < 0)
		abort();
	while (i < len) {
		if (i + 4 <= len && buf[i] == '@' && buf[i + 1] == '@' && buf[i + 2] == '@') {
			uint8_t cmd = buf[i + 3];

			feed_step(&f, dir, buf + start, i - start);
			i += 4;
			if (cmd == '<') {
				dir = DPI_TO_CLIENT;
			} else if (cmd == '>') {
				dir = DPI_TO_SERVER;
			} else if (cmd == 'G' && i < len) {
				drop(&f, dir);
				dpi_http_gap(f.st, dir, (uint32_t)buf[i] + 1, &cbs, &f);
				i++;
			} else if (cmd == 'E') {
				drop(&f, dir);
				dpi_http_eof(f.st, dir, &cbs, &f);
				f.failed[dir] = true;
			}
			start = i;
			continue;
		}
		i++;
	}
	feed_step(&f, dir, buf + start, len - start);
	for (unsigned d = 0; d < 2; d++) {
		drop(&f, d);
		dpi_http_eof(f.st, d, &cbs, &f);
	}
	dpi_http_free(f.st);
	return 0;
}
