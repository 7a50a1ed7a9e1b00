/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_hs.h - a thin layer over Hyperscan for the signature engine: compile a
 * set of patterns into an immutable database (block or streaming mode),
 * scan fields or streams with a per-worker scratch.
 *
 * A database is compiled off the data path (control thread) and then only
 * read, so any number of workers may scan it at once, each with its own
 * scratch (Hyperscan's rule: one scratch per thread at a time).
 */
#ifndef DPI_HS_H
#define DPI_HS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dpi_hs_db;
struct dpi_hs_scratch;
struct dpi_hs_stream;

/* Pattern flags (a subset of Hyperscan's, same meaning). */
#define DPI_HS_CASELESS 0x01
#define DPI_HS_DOTALL 0x02
#define DPI_HS_MULTILINE 0x04
#define DPI_HS_SINGLEMATCH 0x08 /* report each pattern at most once per scan */
#define DPI_HS_SOM 0x10         /* report the leftmost start of each match */

struct dpi_hs_pattern {
	const char *expr; /* PCRE-like syntax; NUL-terminated */
	unsigned flags;   /* DPI_HS_* */
	unsigned id;      /* reported with each match */
	/* Bounds on where a match may end, counted from the start of the
	 * block or stream (Hyperscan's min_offset / max_offset); 0 = none. */
	uint64_t min_end, max_end;
};

/*
 * Compile @n patterns (n >= 1) for block (@stream false) or streaming mode.
 * Returns 0 and sets *ret, or -EINVAL with a message naming the failing
 * pattern's id written to @err, or -ENOMEM. Thread-safe.
 */
int dpi_hs_compile(const struct dpi_hs_pattern *p, size_t n, bool stream,
		   struct dpi_hs_db **ret, char *err, size_t errlen);

/* NULL is fine. Only once no worker scans the database any more. */
void dpi_hs_db_free(struct dpi_hs_db *db);

/* Bytes the compiled database takes. */
size_t dpi_hs_db_size(const struct dpi_hs_db *db);

/*
 * Make *@s (NULL at first) large enough for @db: allocates or grows it.
 * Returns 0 or -ENOMEM (*@s unchanged). One scratch serves every database
 * it was fitted to; it belongs to one thread.
 */
int dpi_hs_scratch_fit(struct dpi_hs_scratch **s, const struct dpi_hs_db *db);
void dpi_hs_scratch_free(struct dpi_hs_scratch *s);

/* A new scratch fitted to everything @proto was fitted to (Hyperscan's
 * hs_clone_scratch: one allocation instead of fitting database by
 * database). @proto is only read. Returns 0 or -ENOMEM. */
int dpi_hs_scratch_clone(const struct dpi_hs_scratch *proto, struct dpi_hs_scratch **ret);

/* Match callback: @from is 0 unless the pattern has DPI_HS_SOM. Return
 * nonzero to stop scanning. */
typedef int (*dpi_hs_match_fn)(void *ctx, unsigned id, uint64_t from, uint64_t to);

/* Scan @len bytes (block mode). Returns 0, 1 if the callback stopped the
 * scan, or -EINVAL (wrong mode, scratch not fitted). */
int dpi_hs_scan(const struct dpi_hs_db *db, struct dpi_hs_scratch *s, const uint8_t *buf,
		size_t len, dpi_hs_match_fn fn, void *ctx);

/* Streaming mode: a stream keeps the state between the pieces of one
 * direction, so a pattern split across segments still matches. */
int dpi_hs_stream_open(const struct dpi_hs_db *db, struct dpi_hs_stream **ret);
int dpi_hs_stream_scan(struct dpi_hs_stream *st, struct dpi_hs_scratch *s, const uint8_t *buf,
		       size_t len, dpi_hs_match_fn fn, void *ctx);
/* Back to the state of a new stream (its offsets restart at 0), dropping
 * pending end-of-stream matches. Returns 0 or -EINVAL. */
int dpi_hs_stream_reset(struct dpi_hs_stream *st, struct dpi_hs_scratch *s);
/* Ends the stream (end-anchored patterns report now) and frees it; @fn may
 * be NULL to discard. NULL @st is fine. */
void dpi_hs_stream_close(struct dpi_hs_stream *st, struct dpi_hs_scratch *s, dpi_hs_match_fn fn,
			 void *ctx);

/*
 * Write literal bytes @lit as a pattern matching exactly them (every byte
 * that isn't alphanumeric becomes \xNN), NUL-terminated, into @out. Returns
 * the length written, or -ENOSPC if @outlen is too small (4 * len + 1 is
 * always enough).
 */
int dpi_hs_literal(const uint8_t *lit, size_t len, char *out, size_t outlen);

#endif
