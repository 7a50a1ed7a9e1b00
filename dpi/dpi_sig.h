/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_sig.h - the signature engine core: compiles a loaded rule set
 * (dpi_rules.h) into Hyperscan prefilter databases, one per inspection
 * buffer, and inspects one transaction at a time: prefilter, then a full
 * confirmation of every candidate rule in C.
 *
 * Prefilter: each rule contributes one pattern, to the database of the
 * buffer it belongs to: its fast pattern (dpi_rule_fast_pattern()) as a
 * literal, else its first plain pcre (not negated, not relative, no
 * transform). A rule with neither is a candidate in every transaction of its
 * application.
 *
 * Confirmation, Suricata semantics where this engine can give them:
 *   - The matches of one buffer (same buffer and transforms) must all hold on
 *     one value of that buffer (one http.param, one dns.query name); a
 *     buffer the transaction doesn't have fails the rule, negated or not.
 *   - content: nocase, offset/depth (depth counts from offset),
 *     distance/within relative to the end of the match named by rel_to
 *     (within counts from there plus distance, as in Suricata), startswith,
 *     endswith, negation (the content must not occur in its window).
 *   - Relative chains backtrack: when a later match fails, the earlier
 *     content it depends on is retried at its next occurrence. At most
 *     DPI_SIG_MAX_BACKTRACK retries per buffer value and rule, so a hostile
 *     value costs a bounded amount of work; past the bound the rule does not
 *     match (a possible false negative, never a false positive).
 *   - pcre: confirmed by its own Hyperscan database (flags i s m map to
 *     Hyperscan's; x becomes (?x), A anchors at the start of its window; E
 *     and G are ignored: they change which bytes a match covers, not
 *     whether it exists). /R scans from the end of the previous match, so
 *     ^ anchors there, as in Suricata. A pcre's match end is the first one
 *     Hyperscan reports (the shortest); a relative chain does not backtrack
 *     into other ends of a pcre. A pcre Hyperscan cannot compile
 *     (backreferences, lookaround, ...) fails dpi_sig_compile() with the
 *     rule's file:line and sid.
 *   - isdataat N: data at offset N (N < size); relative: N more bytes after
 *     the previous match. bsize: value size in [min, max].
 *   - Transforms (dotprefix, to_lowercase) are applied to a copy in the
 *     scratch, at most DPI_SIG_XFORM_MAX bytes: a longer value is inspected
 *     truncated through a transform.
 *   - A rule with no match at all alerts on every transaction of its app.
 *
 * Header checks done here: the rule's app equals the transaction's (a rule
 * of app NONE, tcp/udp/ip with stream content only, applies to every
 * transaction that carries a DPI_RB_STREAM value), and flow:to_server /
 * to_client against the transaction's direction. Addresses and ports are the
 * caller's (dpi_sig_rule_applies()); so are the transport protocol,
 * flow state, threshold and the action.
 *
 * Raw streams: a rule whose matches are all on the raw stream and all
 * streamable (contents with at most offset/depth/startswith/nocase, pcres
 * without /R or transforms) is compiled into one Hyperscan *streaming*
 * database: every match is a pattern, offset/depth become bounds on the
 * match's end in the stream, and the rule alerts, once per stream, when
 * each of its patterns has matched somewhere in the direction so far (so a
 * pattern split across segments still matches). dpi_sig_stream_*() drive
 * it per direction. Other raw-stream rules (relative contents, negation,
 * isdataat, ...) are inspected in block mode by dpi_sig_inspect() on
 * whatever contiguous payload the caller passes as DPI_RB_STREAM (a
 * segment, a datagram). A rule that mixes the raw stream with parsed
 * buffers is refused by dpi_sig_compile().
 *
 * Threads: a compiled database is immutable and shared read-only; each
 * worker owns one scratch. dpi_sig_inspect() allocates nothing.
 */
#ifndef BULKHEAD_DPI_SIG_H
#define BULKHEAD_DPI_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpi_parser.h"
#include "dpi_rules.h"

#define DPI_SIG_MAX_BACKTRACK 64        /* occurrence retries per value and rule */
#define DPI_SIG_XFORM_MAX (64u * 1024u) /* bytes of a transformed value */

struct dpi_sig_db;
struct dpi_sig_scratch;

/* One transaction's buffers: @vals[b] points to @nvals[b] values of buffer b
 * (NULL / 0 when absent). @dir is DPI_TO_SERVER (0) or DPI_TO_CLIENT. */
struct dpi_sig_tx {
	const struct dpi_slice *vals[DPI_RB__COUNT];
	uint32_t nvals[DPI_RB__COUNT];
	enum dpi_rule_app app;
	unsigned dir;
};

/* Where a rule was confirmed: its first non-negated content or pcre
 * matched bytes [from, to) of value @value of buffer @buffer (for an
 * excerpt). A rule without one reports its first match's buffer and value
 * with an empty range. */
struct dpi_sig_alert {
	const struct dpi_rule *rule;
	enum dpi_rule_buffer buffer;
	uint32_t value;
	uint32_t from, to;
	/* The matched bytes themselves (for a raw-stream match: up to
	 * 2 * DPI_SIG_TAIL bytes ending where the match ended, which may span
	 * segments); valid for the call only. */
	const uint8_t *excerpt;
	uint32_t excerpt_len;
};

/* Called once per confirmed rule and transaction, in rule order. The alert
 * is valid for the call only. */
typedef void (*dpi_sig_alert_fn)(void *ctx, const struct dpi_sig_alert *a);

/*
 * Compiles @rules (borrowed: it must outlive the database). Returns 0 and
 * sets *@ret (free with dpi_sig_db_free()); -EINVAL with a message in @err
 * ("FILE:LINE: sid N: ...") when a pattern cannot be compiled; -ENOMEM.
 * *@ret is untouched on failure. Thread-safe; slow (control thread).
 */
int dpi_sig_compile(const struct dpi_rule_set *rules, struct dpi_sig_db **ret, char *err,
		    size_t errlen);

/* NULL is fine. Only once no worker uses the database or its scratches. */
void dpi_sig_db_free(struct dpi_sig_db *db);

/* Number of rules compiled. */
size_t dpi_sig_db_rules(const struct dpi_sig_db *db);

/*
 * A scratch for one worker, fitted to @db (and usable only with it).
 * Returns 0 and sets *@ret, or -ENOMEM. Free with dpi_sig_scratch_free()
 * (NULL is fine).
 */
int dpi_sig_scratch_new(const struct dpi_sig_db *db, struct dpi_sig_scratch **ret);
void dpi_sig_scratch_free(struct dpi_sig_scratch *s);

/*
 * Inspects one transaction: @fn is called for every rule that matches it,
 * at most once per rule. Returns the number of alerts, or -EINVAL if a scan
 * failed (scratch not made for @db). No allocation; thread-safe for
 * distinct scratches.
 */
int dpi_sig_inspect(const struct dpi_sig_db *db, struct dpi_sig_scratch *s,
		    const struct dpi_sig_tx *tx, dpi_sig_alert_fn fn, void *ctx);

/*
 * Raw-stream scanning, one struct dpi_sig_stream per direction of a flow.
 * dpi_sig_stream_open() returns 0 and sets *@ret (NULL when @db has no
 * streamed rule: nothing to do), or -ENOMEM. dpi_sig_stream_scan() scans
 * the next @len bytes of the direction; @app is the flow's application
 * (DPI_RULE_APP_NONE while unknown: rules of an application wait for it)
 * and @dir the direction; @fn gets each rule that completes, with
 * buffer DPI_RB_STREAM and the excerpt. Returns the number of alerts or
 * -EINVAL (also for a stream opened for another database).
 * dpi_sig_stream_gap() restarts the stream after a hole: patterns
 * never match across it, and patterns bound to an offset no longer match
 * (the offsets after a hole are unknown). dpi_sig_stream_close() frees
 * (NULL is fine). Thread-safe for distinct scratches and streams.
 */
struct dpi_sig_stream;
bool dpi_sig_db_has_streams(const struct dpi_sig_db *db);
int dpi_sig_stream_open(const struct dpi_sig_db *db, struct dpi_sig_stream **ret);
int dpi_sig_stream_scan(const struct dpi_sig_db *db, struct dpi_sig_scratch *s,
			struct dpi_sig_stream *st, enum dpi_rule_app app, unsigned dir,
			const uint8_t *buf, size_t len, dpi_sig_alert_fn fn, void *ctx);
int dpi_sig_stream_gap(const struct dpi_sig_db *db, struct dpi_sig_scratch *s,
		       struct dpi_sig_stream *st);
void dpi_sig_stream_close(struct dpi_sig_scratch *s, struct dpi_sig_stream *st);
/* Back to a new stream (offsets from 0, nothing matched, nothing fired):
 * for a stream reused for each datagram. Returns 0 or -EINVAL. */
int dpi_sig_stream_reset(const struct dpi_sig_db *db, struct dpi_sig_scratch *s,
			 struct dpi_sig_stream *st);

/* True when dpi_sig_inspect() has rules for DPI_RB_STREAM values (raw-stream
 * rules streaming mode can't decide, and rules without any match). */
bool dpi_sig_db_has_block_stream(const struct dpi_sig_db *db);

/* The rule's addresses and ports (either direction for <>); 16-byte
 * addresses, IPv4 mapped as ::ffff:a.b.c.d. Thread-safe. */
bool dpi_sig_rule_applies(const struct dpi_rule *r, const uint8_t src16[16], uint16_t sport,
			  const uint8_t dst16[16], uint16_t dport);

#endif
