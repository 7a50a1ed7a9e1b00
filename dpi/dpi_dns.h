/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_dns.h - DNS message parser (RFC 1035) for UDP datagrams and TCP streams.
 *
 * One message is decoded into a struct dpi_dns_msg: header, questions, answers
 * (A/AAAA rendered as text, CNAME/NS/PTR/MX targets decoded, TXT strings as
 * slices), and authority/additional records, which are walked for validation
 * only. Everything the peer controls is capped: kept questions, kept answers,
 * TXT strings kept per record, compression-pointer hops, label and name length.
 *
 * Names are decoded to the text the policy compares (policy-model.md): labels
 * joined by '.', no trailing dot (the root is ""), A-Z folded to a-z. Bytes
 * that cannot appear literally are escaped as in RFC 1035 zone files, so that
 * two different wire names never give the same text: a '.' or '\' inside a
 * label becomes "\." or "\\", a byte outside 0x21..0x7e becomes "\DDD"
 * (three decimal digits). With those escapes a name of 255 wire bytes takes
 * at most 1003 characters (four labels of 63/63/63/61 bytes, every byte
 * escaped), hence DPI_DNS_NAME_TEXT_MAX.
 *
 * Malformed messages: the parser never reads outside the message and never
 * loops; it stops at the first structural fault (truncation, bad label,
 * pointer loop, name too long, counts that cannot fit), marks the message
 * `malformed`, and lists the fault in `anomalies`. What was decoded before the
 * fault (the header, often the question) stays valid, because the policy and
 * the event still want it. Faults that leave the structure intact (trailing
 * bytes, RDATA of the wrong size for its type, a cap on kept items) are
 * anomalies on a message that is not malformed.
 *
 * Compression pointers must point strictly before the place where the current
 * run of labels began (the name's start, or the previous pointer's target).
 * Every encoder points back into names written earlier, so real messages pass;
 * the positions read then strictly decrease, so no loop is possible, and at
 * most DPI_DNS_MAX_HOPS pointers are followed per name. Anything else is
 * "dns.pointer_loop".
 *
 * Anomalies (static strings, reported at most once per message):
 *   dns.truncated        message ends inside a field (also: shorter than the
 *                        12-byte header)
 *   dns.counts_invalid   the header's record counts cannot fit in the length
 *   dns.pointer_loop     a compression pointer that is not strictly backward,
 *                        or more than DPI_DNS_MAX_HOPS of them in one name
 *   dns.label_too_long   a length byte of 64..127 (0b01 prefix: the extended
 *                        label types that once gave these bytes a meaning are
 *                        obsolete, RFC 6891 section 5, so what is on the wire
 *                        is a label the encoder failed to cap at 63)
 *   dns.label_invalid    a length byte of 128..191 (0b10 prefix, reserved)
 *   dns.name_too_long    a name longer than 255 bytes in wire form
 *   dns.rdata_invalid    RDATA that does not match its type (an A record that
 *                        is not 4 bytes, a CNAME target that overruns or does
 *                        not fill its RDATA, a TXT string overrunning it)
 *   dns.trailing_data    bytes after the last record the counts announce
 *   dns.question_limit   more than DPI_DNS_MAX_QUESTIONS questions (the rest
 *                        are validated, not kept)
 *   dns.answer_limit     more than DPI_DNS_MAX_ANSWERS answers (ditto)
 *   dns.txt_limit        a TXT record with more than DPI_DNS_MAX_TXT strings
 *   dns.message_too_large  (TCP) a length prefix larger than the caller can
 *                        hold (DPI_MAX_PENDING); the message is skipped
 *
 * Thread safety: no globals; a scratch and a TCP state belong to one thread.
 */
#ifndef DPI_DNS_H
#define DPI_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpi_parser.h"

#define DPI_DNS_HEADER_LEN 12u
#define DPI_DNS_MAX_QUESTIONS 8u  /* questions kept per message */
#define DPI_DNS_MAX_ANSWERS 32u   /* answer records kept per message */
#define DPI_DNS_MAX_TXT 8u        /* TXT strings kept per record */
#define DPI_DNS_MAX_HOPS 16u      /* compression pointers followed per name */
#define DPI_DNS_MAX_ANOMALIES 8u  /* distinct anomalies recorded per message */
#define DPI_DNS_NAME_WIRE_MAX 255u
#define DPI_DNS_NAME_TEXT_MAX 1004u /* 1003 characters + NUL, see above */
#define DPI_DNS_ADDR_TEXT_MAX 46u   /* INET6_ADDRSTRLEN */

/* Header flag bits (second 16-bit word of the header). */
#define DPI_DNS_FLAG_QR 0x8000u
#define DPI_DNS_FLAG_AA 0x0400u
#define DPI_DNS_FLAG_TC 0x0200u
#define DPI_DNS_FLAG_RD 0x0100u
#define DPI_DNS_FLAG_RA 0x0080u
#define DPI_DNS_FLAG_AD 0x0020u
#define DPI_DNS_FLAG_CD 0x0010u

/* Types and classes the parser renders or that callers commonly test. */
#define DPI_DNS_TYPE_A 1u
#define DPI_DNS_TYPE_NS 2u
#define DPI_DNS_TYPE_CNAME 5u
#define DPI_DNS_TYPE_SOA 6u
#define DPI_DNS_TYPE_PTR 12u
#define DPI_DNS_TYPE_MX 15u
#define DPI_DNS_TYPE_TXT 16u
#define DPI_DNS_TYPE_AAAA 28u
#define DPI_DNS_TYPE_SRV 33u
#define DPI_DNS_TYPE_OPT 41u
#define DPI_DNS_TYPE_IXFR 251u
#define DPI_DNS_TYPE_AXFR 252u
#define DPI_DNS_TYPE_ANY 255u
#define DPI_DNS_CLASS_IN 1u

#define DPI_DNS_RCODE_NOERROR 0u
#define DPI_DNS_RCODE_SERVFAIL 2u
#define DPI_DNS_RCODE_NXDOMAIN 3u

/* A decoded name. @text points into the scratch the message was decoded
 * with: NUL-terminated, @len characters, lower-case, escaped as described at
 * the top of this file. */
struct dpi_dns_name {
	const char *text;
	uint16_t len;
	uint8_t labels;  /* 0 for the root */
	bool non_ldh;    /* a byte other than a-z, A-Z, 0-9, '-' (e.g. '_', '*') */
	bool escaped;    /* @text holds "\DDD", "\." or "\\" escapes */
};

struct dpi_dns_question {
	struct dpi_dns_name name;
	uint16_t qtype;
	uint16_t qclass;
};

enum dpi_dns_rdata_kind {
	DPI_DNS_RDATA_OTHER = 0, /* type and length only (see rdata) */
	DPI_DNS_RDATA_ADDR,      /* A, AAAA: addr */
	DPI_DNS_RDATA_NAME,      /* CNAME, NS, PTR: target */
	DPI_DNS_RDATA_MX,        /* MX: mx_pref and target */
	DPI_DNS_RDATA_TXT,       /* TXT: txt[0..n_txt) */
};

struct dpi_dns_rr {
	struct dpi_dns_name name;
	uint16_t rrtype;
	uint16_t rrclass;
	uint32_t ttl;
	struct dpi_slice rdata;      /* raw RDATA, a slice of the message */
	enum dpi_dns_rdata_kind kind; /* OTHER also when RDATA was invalid */
	char addr[DPI_DNS_ADDR_TEXT_MAX]; /* ADDR: dotted quad / RFC 5952 */
	uint16_t mx_pref;
	struct dpi_dns_name target;  /* NAME, MX */
	uint16_t n_txt;              /* TXT strings in the record (all) */
	struct dpi_slice txt[DPI_DNS_MAX_TXT]; /* the first ones, raw bytes */
};

struct dpi_dns_msg {
	uint32_t len;               /* bytes of the message (no TCP prefix) */
	uint16_t id;
	uint16_t flags;             /* the raw second header word */
	bool qr;                    /* response */
	bool aa, tc, rd, ra, ad, cd;
	uint8_t opcode;             /* 0 query, 1 iquery, 2 status, 4 notify, 5 update */
	uint8_t rcode;              /* header RCODE (4 bits, no EDNS extension) */
	uint16_t qdcount, ancount, nscount, arcount; /* as the header says */
	uint8_t n_questions;        /* kept: min(qdcount, cap), fewer if malformed */
	uint8_t n_answers;          /* kept: min(ancount, cap), fewer if malformed */
	struct dpi_dns_question questions[DPI_DNS_MAX_QUESTIONS];
	struct dpi_dns_rr answers[DPI_DNS_MAX_ANSWERS];
	bool malformed;             /* decoding stopped at a structural fault */
	uint8_t n_anomalies;
	const char *anomalies[DPI_DNS_MAX_ANOMALIES]; /* static strings */
};

/*
 * Storage for decoded names and for the message the stream functions hand to
 * their callback. About 80 KiB: allocate one per worker (not on a small
 * stack), share it between all DNS flows of that worker. Not thread-safe.
 */
struct dpi_dns_scratch {
	char names[DPI_DNS_MAX_QUESTIONS + 2 * DPI_DNS_MAX_ANSWERS][DPI_DNS_NAME_TEXT_MAX];
	struct dpi_dns_msg msg;
};

/* Callbacks; either may be NULL. Anomalies of a message are reported before
 * its on_message. Pointers in @msg are valid only during the call. */
struct dpi_dns_cb {
	void (*on_message)(void *ctx, unsigned dir, const struct dpi_dns_msg *msg);
	dpi_anom_fn on_anomaly;
};

/* Per-flow state of a DNS-over-TCP stream (both directions). Small; the
 * names live in the scratch it points to. */
struct dpi_dns_tcp_state {
	struct dpi_dns_scratch *scratch;
	uint32_t skip[2]; /* bytes of an oversized message still to discard */
};

/*
 * Decodes the one DNS message @buf[0..@len) (a UDP payload, or a TCP message
 * without its length prefix) into @out, names into @scratch. @out is always
 * filled, also on failure (see "Malformed messages" above). @buf and @scratch
 * stay owned by the caller; @out's slices point into @buf and its names into
 * @scratch, valid until either changes. @out may be &@scratch->msg.
 *
 * Returns 0 when the message is well-formed (there may still be anomalies),
 * -EBADMSG when it is malformed (@out->malformed is set), -EINVAL on NULL
 * arguments. Thread-safe as long as @out and @scratch are not shared.
 */
int dpi_dns_parse_msg(const uint8_t *buf, size_t len, struct dpi_dns_msg *out,
		      struct dpi_dns_scratch *scratch);

/*
 * UDP: decodes one datagram with @scratch and reports it through @cb: its
 * anomalies, then on_message (also for a malformed message with a header;
 * check msg->malformed). Returns @len (the datagram is consumed), or -EBADMSG
 * when it is shorter than a DNS header (only "dns.truncated" is reported).
 */
int dpi_dns_udp_parse(struct dpi_dns_scratch *scratch, unsigned dir, const uint8_t *buf,
		      size_t len, const struct dpi_dns_cb *cb, void *ctx);

/* Prepares @st for a new TCP flow; @scratch (not owned) must outlive it. */
void dpi_dns_tcp_init(struct dpi_dns_tcp_state *st, struct dpi_dns_scratch *scratch);

/*
 * TCP (RFC 7766): consumes every complete length-prefixed message at the
 * start of @buf and reports each through @cb as dpi_dns_udp_parse() does (a
 * message shorter than the header gives only "dns.truncated"; parsing goes
 * on, the framing being intact). A message split anywhere is left unconsumed
 * until the rest arrives. A prefix announcing more than DPI_MAX_PENDING - 2
 * bytes raises "dns.message_too_large" and the message is skipped unparsed,
 * so the caller never has to hold more than DPI_MAX_PENDING bytes.
 * Follows dpi_parser.h: returns bytes consumed or DPI_NEED_MORE; no error.
 */
int dpi_dns_tcp_parse(struct dpi_dns_tcp_state *st, unsigned dir, const uint8_t *buf,
		      size_t len, const struct dpi_dns_cb *cb, void *ctx);

/* EVE names: "A", "AAAA", "CNAME", ... for @type, "NOERROR", "NXDOMAIN", ...
 * for @rcode; NULL when the value has no mnemonic here (print the number).
 * Static storage, thread-safe. */
const char *dpi_dns_rrtype_name(unsigned type);
const char *dpi_dns_rcode_name(unsigned rcode);

/*
 * Cheap content test: do the first bytes of a flow look like a DNS query?
 * @tcp: @buf starts with the 2-byte length prefix. Checks QR, Z and RCODE
 * clear, an assigned opcode (0, 1, 2, 4, 5), QDCOUNT 1, record counts that
 * fit the (announced) length, and that the first question is complete in
 * @buf: uncompressed labels of 1..63 bytes, at most 255 in all, a non-zero
 * type, class IN/CH/HS/NONE/ANY.
 * Reads only @buf[0..@len). Thread-safe.
 */
bool dpi_dns_probe(const uint8_t *buf, size_t len, bool tcp);

#endif
