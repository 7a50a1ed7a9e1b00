/* SPDX-License-Identifier: GPL-2.0-only */
/* dpi_sig_int.h - inside the signature engine: the compiled database and the
 * scratch, shared by dpi_sig.c (transactions) and dpi_sig_stream.c (raw
 * streams, Hyperscan streaming mode). */
#ifndef DPI_SIG_INT_H
#define DPI_SIG_INT_H

#include "dpi_hs.h"
#include "dpi_sig.h"

/* Bytes of a stream kept from earlier segments, so that the excerpt of a
 * match split across segments is whole. */
#define DPI_SIG_TAIL 64u

struct dpi_sig_db {
	const struct dpi_rule_set *rules;
	struct dpi_hs_db *bdb[DPI_RB__COUNT]; /* prefilter per buffer, id = rule index */
	struct dpi_hs_db **mdb;               /* per match (mbase[r] + i): pcre confirm */
	size_t *mbase;
	uint32_t *always;                     /* rules without a prefilter pattern */
	size_t n_always;
	size_t n_words;                       /* candidate bitmap words */
	bool block_stream;                    /* block-mode rules on DPI_RB_STREAM */
	struct dpi_hs_scratch *proto;         /* fitted to every database here;
					       * workers' scratches are clones */

	/* Raw-stream rules that streaming mode decides alone (see
	 * dpi_sig_streamable()): one pattern per match, the patterns of a
	 * rule contiguous, pattern id = index. */
	struct dpi_hs_db *sdb;
	bool *streamed;                       /* per rule */
	uint32_t n_spat, n_srules;
	uint32_t *spat_srule;                 /* pattern -> stream rule */
	uint16_t *spat_len;                   /* literal length, 0 for a pcre */
	bool *spat_anchored;                  /* has an offset bound: void after a gap */
	uint32_t *srule_rule, *srule_first, *srule_n;  /* stream rule -> rule, patterns */
};

struct dpi_sig_scratch {
	const struct dpi_sig_db *db;
	struct dpi_hs_scratch *hs;
	uint64_t *cand;                       /* bitmap, all zero between scans */
	uint8_t *xbuf;                        /* a transformed value */
	uint8_t excerpt[DPI_SIG_TAIL * 2];    /* a stream match's bytes */
	/* Confirmation of one rule: its match positions and the chain being
	 * evaluated (match indices of one buffer and transforms). */
	uint32_t start[DPI_RULES_MAX_MATCHES], end[DPI_RULES_MAX_MATCHES];
	uint16_t grp[DPI_RULES_MAX_MATCHES];
	bool dependent[DPI_RULES_MAX_MATCHES];
	bool done[DPI_RULES_MAX_MATCHES];
	uint32_t hit_value[DPI_RULES_MAX_MATCHES];
};

/* A pcre's flags as DPI_HS_* (i s m), and its pattern as Hyperscan source
 * with x and A expressed inline (malloc'ed; NULL on ENOMEM). /A anchors at
 * the start of the scanned data: of the value in block mode, of the
 * stream in streaming mode. */
unsigned dpi_sig_pcre_flags(const struct dpi_rule_match *m);
char *dpi_sig_pcre_expr(const struct dpi_rule_match *m);

/* True when every match of @r is on the raw stream and can be decided by a
 * streaming database: contents (offset/depth/startswith allowed, no
 * relative keywords, endswith, negation or transforms) and plain pcres. */
bool dpi_sig_streamable(const struct dpi_rule *r);

/* Builds db->sdb and its tables from the rules marked in db->streamed.
 * Returns 0, -EINVAL (message in @err), -ENOMEM. */
int dpi_sig_stream_compile(struct dpi_sig_db *db, char *err, size_t errlen);
void dpi_sig_stream_free(struct dpi_sig_db *db);

#endif
