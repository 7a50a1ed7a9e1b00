/* SPDX-License-Identifier: GPL-2.0-only */
/* dpi_hs.c - Hyperscan databases, scratch and streams (see dpi_hs.h). */
#include <errno.h>
#include <hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_hs.h"

struct dpi_hs_db {
	hs_database_t *db;
	bool stream;
};

struct dpi_hs_scratch {
	hs_scratch_t *s;
	uint8_t *pad;          /* a copy of a buffer that ends near a page end */
	size_t padcap;
};

/*
 * Hyperscan 5.4.0 (Debian 12's libhs; vectorscan before 5.4.12, see
 * VectorCamp/vectorscan#322) can read up to 32 bytes past the end of the
 * buffer it scans, with wide vector loads on CPUs that have them (seen with
 * AVX512VBMI). A buffer that ends within that distance of a page boundary
 * may have an unmapped page after it: such a buffer is copied into the
 * scratch's padded copy first, so a value an attacker places at the end of
 * a page can't crash the engine. It concerns about 1 buffer in 64.
 */
#define HS_OVERREAD 64u
#define PAGE 4096u

static const uint8_t *safe_buf(struct dpi_hs_scratch *s, const uint8_t *buf, size_t len)
{
	/* where the last byte sits in its page: a read of HS_OVERREAD more
	 * bytes must stay in that page */
	uintptr_t last = ((uintptr_t)buf + len - 1) & (PAGE - 1);

	if (!len || last + HS_OVERREAD < PAGE)
		return buf;
	if (len + HS_OVERREAD > s->padcap) {
		/* Rare (values are capped at 64 KiB by the callers, and the
		 * first use of this size allocates for the rest). */
		size_t cap = s->padcap ? s->padcap : 65536;
		uint8_t *n;

		while (cap < len + HS_OVERREAD)
			cap *= 2;
		n = realloc(s->pad, cap);
		if (!n)
			return NULL;
		s->pad = n;
		s->padcap = cap;
	}
	memcpy(s->pad, buf, len);
	return s->pad;
}

struct dpi_hs_stream {
	hs_stream_t *st;
	const struct dpi_hs_db *db;
};

struct cb {
	dpi_hs_match_fn fn;
	void *ctx;
};

static unsigned hs_flags(unsigned f)
{
	unsigned r = 0;

	if (f & DPI_HS_CASELESS)
		r |= HS_FLAG_CASELESS;
	if (f & DPI_HS_DOTALL)
		r |= HS_FLAG_DOTALL;
	if (f & DPI_HS_MULTILINE)
		r |= HS_FLAG_MULTILINE;
	if (f & DPI_HS_SINGLEMATCH)
		r |= HS_FLAG_SINGLEMATCH;
	if (f & DPI_HS_SOM)
		r |= HS_FLAG_SOM_LEFTMOST;
	return r;
}

int dpi_hs_compile(const struct dpi_hs_pattern *p, size_t n, bool stream,
		   struct dpi_hs_db **ret, char *err, size_t errlen)
{
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	hs_expr_ext_t *ext = NULL;
	const hs_expr_ext_t **extp = NULL;
	hs_compile_error_t *cerr = NULL;
	struct dpi_hs_db *d = NULL;
	unsigned mode = stream ? HS_MODE_STREAM | HS_MODE_SOM_HORIZON_LARGE : HS_MODE_BLOCK;
	int r = -ENOMEM;

	if (!n || n > UINT32_MAX) {
		snprintf(err, errlen, "no patterns");
		return -EINVAL;
	}
	exprs = malloc(n * sizeof(*exprs));
	flags = malloc(n * sizeof(*flags));
	ids = malloc(n * sizeof(*ids));
	ext = calloc(n, sizeof(*ext));
	extp = calloc(n, sizeof(*extp));
	d = calloc(1, sizeof(*d));
	if (!exprs || !flags || !ids || !ext || !extp || !d)
		goto out;
	for (size_t i = 0; i < n; i++) {
		exprs[i] = p[i].expr;
		flags[i] = hs_flags(p[i].flags);
		ids[i] = p[i].id;
		if (p[i].min_end) {
			ext[i].flags |= HS_EXT_FLAG_MIN_OFFSET;
			ext[i].min_offset = p[i].min_end;
		}
		if (p[i].max_end) {
			ext[i].flags |= HS_EXT_FLAG_MAX_OFFSET;
			ext[i].max_offset = p[i].max_end;
		}
		extp[i] = ext[i].flags ? &ext[i] : NULL;
	}
	if (hs_compile_ext_multi(exprs, flags, ids, extp, (unsigned)n, mode, NULL, &d->db,
				 &cerr) != HS_SUCCESS) {
		if (cerr && cerr->expression >= 0 && (size_t)cerr->expression < n)
			snprintf(err, errlen, "pattern %u: %s", p[cerr->expression].id,
				 cerr->message);
		else
			snprintf(err, errlen, "%s", cerr ? cerr->message : "compile failed");
		hs_free_compile_error(cerr);
		r = -EINVAL;
		goto out;
	}
	d->stream = stream;
	*ret = d;
	d = NULL;
	r = 0;
out:
	free(exprs);
	free(flags);
	free(ids);
	free(ext);
	free(extp);
	free(d);
	return r;
}

void dpi_hs_db_free(struct dpi_hs_db *db)
{
	if (!db)
		return;
	hs_free_database(db->db);
	free(db);
}

size_t dpi_hs_db_size(const struct dpi_hs_db *db)
{
	size_t n = 0;

	if (db && hs_database_size(db->db, &n) != HS_SUCCESS)
		n = 0;
	return n;
}

int dpi_hs_scratch_fit(struct dpi_hs_scratch **s, const struct dpi_hs_db *db)
{
	struct dpi_hs_scratch *n = *s;
	bool fresh = !n;

	if (fresh) {
		n = calloc(1, sizeof(*n));
		if (!n)
			return -ENOMEM;
	}
	/* hs_alloc_scratch grows an existing scratch in place to fit @db. */
	if (hs_alloc_scratch(db->db, &n->s) != HS_SUCCESS) {
		if (fresh)
			free(n);
		return -ENOMEM;
	}
	*s = n;
	return 0;
}

int dpi_hs_scratch_clone(const struct dpi_hs_scratch *proto, struct dpi_hs_scratch **ret)
{
	struct dpi_hs_scratch *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	if (hs_clone_scratch(proto->s, &n->s) != HS_SUCCESS) {
		free(n);
		return -ENOMEM;
	}
	*ret = n;
	return 0;
}

void dpi_hs_scratch_free(struct dpi_hs_scratch *s)
{
	if (!s)
		return;
	free(s->pad);
	hs_free_scratch(s->s);
	free(s);
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *ctx)
{
	struct cb *c = ctx;

	(void)flags;
	return c->fn(c->ctx, id, from, to) ? 1 : 0;
}

static int result(hs_error_t e)
{
	if (e == HS_SUCCESS)
		return 0;
	return e == HS_SCAN_TERMINATED ? 1 : -EINVAL;
}

int dpi_hs_scan(const struct dpi_hs_db *db, struct dpi_hs_scratch *s, const uint8_t *buf,
		size_t len, dpi_hs_match_fn fn, void *ctx)
{
	struct cb c = {fn, ctx};

	if (!db || db->stream || !s || !s->s || len > UINT32_MAX)
		return -EINVAL;
	buf = safe_buf(s, buf, len);
	if (!buf)
		return -ENOMEM;
	return result(hs_scan(db->db, (const char *)buf, (unsigned)len, 0, s->s, on_match, &c));
}

int dpi_hs_stream_open(const struct dpi_hs_db *db, struct dpi_hs_stream **ret)
{
	struct dpi_hs_stream *st;

	if (!db || !db->stream)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if (hs_open_stream(db->db, 0, &st->st) != HS_SUCCESS) {
		free(st);
		return -ENOMEM;
	}
	st->db = db;
	*ret = st;
	return 0;
}

int dpi_hs_stream_scan(struct dpi_hs_stream *st, struct dpi_hs_scratch *s, const uint8_t *buf,
		       size_t len, dpi_hs_match_fn fn, void *ctx)
{
	struct cb c = {fn, ctx};

	if (!st || !s || !s->s || len > UINT32_MAX)
		return -EINVAL;
	buf = safe_buf(s, buf, len);
	if (!buf)
		return -ENOMEM;
	return result(hs_scan_stream(st->st, (const char *)buf, (unsigned)len, 0, s->s,
				     on_match, &c));
}

int dpi_hs_stream_reset(struct dpi_hs_stream *st, struct dpi_hs_scratch *s)
{
	if (!st)
		return -EINVAL;
	/* No callback: what would have matched at the end is dropped. */
	return result(hs_reset_stream(st->st, 0, s ? s->s : NULL, NULL, NULL));
}

void dpi_hs_stream_close(struct dpi_hs_stream *st, struct dpi_hs_scratch *s, dpi_hs_match_fn fn,
			 void *ctx)
{
	struct cb c = {fn, ctx};

	if (!st)
		return;
	hs_close_stream(st->st, fn && s ? s->s : NULL, fn && s ? on_match : NULL, &c);
	free(st);
}

int dpi_hs_literal(const uint8_t *lit, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = lit[i];
		bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			     (c >= 'A' && c <= 'Z');

		if (o + (plain ? 1 : 4) >= outlen)
			return -ENOSPC;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= outlen)
		return -ENOSPC;
	out[o] = '\0';
	return (int)o;
}
