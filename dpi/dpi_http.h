/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_http.h - HTTP/1.0 and HTTP/1.1 parser, both directions of one
 * connection, following the conventions of dpi_parser.h.
 *
 * One struct dpi_http_state per TCP connection. Bytes to the server are
 * requests, bytes to the client responses. Each request is a transaction
 * numbered from 0 (tx_id); responses are paired with requests by order, as
 * pipelining requires, so response n answers request n. Interim 1xx
 * responses (100 Continue, 103 Early Hints) are not reported; 101 is final.
 *
 * Callbacks:
 *   on_request   once per request, when its head is complete and its body
 *                is complete or has filled the kept prefix
 *                (DPI_HTTP_MAX_BODY), whichever comes first; a request without
 *                a body is reported as soon as its head is complete.
 *   on_response  once per final response, when its body has ended.
 *   on_anomaly   "http.*" events (static strings), each reported at most once
 *                per message; see the list at the end of this file.
 * A response may be reported before its request when the server answers
 * early (e.g. 413 while the body is still arriving): pair them by tx_id.
 *
 * Storage: fields that are raw bytes of the head (method, uri, headers, ...)
 * are slices into @buf when the whole message arrived in one call, or into a
 * copy of the head that the state keeps when the message spans calls.
 * Decoded fields (uri_norm, hostname, params, form) and the request body
 * prefix (de-chunked) live in buffers the state owns. Either way every
 * pointer in a view is valid only during the callback that receives it.
 *
 * Tunnels: after a 2xx answer to CONNECT, or a 101 Switching Protocols, the
 * bytes that follow in both directions are not HTTP. That response carries
 * DPI_HTTP_F_OPAQUE, the dpi_http_parse() call that reads it returns the
 * bytes consumed up to the end of its head, and from then on
 * dpi_http_opaque() is true and dpi_http_parse() consumes whatever it is
 * given without looking at it (a caller that wants to inspect the tunnel
 * hands those bytes to another parser instead). Between a CONNECT or
 * Upgrade request and its answer, requests that follow are parsed as usual
 * (a refused CONNECT may be followed by more requests), but bytes to the
 * server that aren't a request may be the tunnel, sent early: they are held
 * (DPI_NEED_MORE, nothing consumed) instead of failing, until the answer
 * either opens the tunnel or makes them a failure on the next call.
 *
 * Memory: the state is about 11 KiB; buffers for head copies, decoded fields
 * and the body prefix are allocated when a message needs them, grow to their
 * caps, and those above 8 KiB are released when their message ends.
 *
 * Not thread-safe: one state per flow, used by the flow's worker only.
 */
#ifndef DPI_HTTP_H
#define DPI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpi_parser.h"
#include "dpi_uri.h"

#define DPI_HTTP_MAX_HEAD     (16u * 1024u) /* start line + header fields + CRLF */
#define DPI_HTTP_MAX_HEADERS  100u          /* header fields kept per message */
#define DPI_HTTP_MAX_PARAMS   64u           /* query parameters, and form ones */
#define DPI_HTTP_MAX_BODY     (64u * 1024u) /* request body prefix kept */
#define DPI_HTTP_MAX_PIPELINE 32u           /* requests awaiting a response */
#define DPI_HTTP_MAX_METHOD   32u           /* method token length */
#define DPI_HTTP_MAX_CHUNK_LINE 4096u       /* chunk-size line with extensions */

struct dpi_http_header {
	struct dpi_slice name;  /* as sent: compare case-insensitively */
	struct dpi_slice value; /* without surrounding whitespace; a folded value
				 * (obs-fold) spans its CRLF and leading blanks */
};

/* Message flags (views' .flags). */
#define DPI_HTTP_F_CONTENT_LENGTH  (1u << 0)  /* content_length is valid */
#define DPI_HTTP_F_CHUNKED         (1u << 1)  /* body in chunked coding */
#define DPI_HTTP_F_BODY_TRUNCATED  (1u << 2)  /* request body exceeds the kept prefix */
#define DPI_HTTP_F_INCOMPLETE      (1u << 3)  /* cut by end of stream or a gap */
#define DPI_HTTP_F_GAP             (1u << 4)  /* a stream gap was skipped in the body */
#define DPI_HTTP_F_FRAMING_INVALID (1u << 5)  /* body length unknowable: last message */
#define DPI_HTTP_F_CONNECT         (1u << 6)  /* CONNECT request, or its response */
#define DPI_HTTP_F_UPGRADE         (1u << 7)  /* request with Upgrade, or its response */
#define DPI_HTTP_F_HEAD            (1u << 8)  /* HEAD request, or its response */
#define DPI_HTTP_F_OPAQUE          (1u << 9)  /* response: a tunnel follows */
#define DPI_HTTP_F_EXPECT_CONTINUE (1u << 10) /* request: Expect: 100-continue */
#define DPI_HTTP_F_CLOSE           (1u << 11) /* connection ends after this message */
#define DPI_HTTP_F_ABSOLUTE_FORM   (1u << 12) /* request target is an absolute URI */
#define DPI_HTTP_F_UNSOLICITED     (1u << 13) /* response without outstanding request */
#define DPI_HTTP_F_ANOMALY         (1u << 14) /* an anomaly was reported for it */

/* Slices with len 0 are absent or empty. version is 10 or 11 (HTTP/1.x with
 * x > 1 counts as 11). */
struct dpi_http_request {
	uint64_t tx_id;
	struct dpi_slice method;       /* "GET", case as sent */
	struct dpi_slice uri;          /* request target as sent */
	struct dpi_slice uri_norm;     /* decoded, normalised path, no query (dpi_uri.h);
					* "*" for OPTIONS *, empty for CONNECT */
	struct dpi_slice query;        /* raw, after '?' */
	struct dpi_slice protocol;     /* "HTTP/1.1" */
	struct dpi_slice host;         /* Host value, or an absolute-form authority */
	struct dpi_slice hostname;     /* host lower-cased, without userinfo, port,
					* brackets and trailing dot */
	struct dpi_slice user_agent;
	struct dpi_slice content_type;
	struct dpi_slice upgrade;      /* Upgrade header value */
	const struct dpi_http_header *headers;
	uint32_t n_headers;            /* <= DPI_HTTP_MAX_HEADERS */
	const struct dpi_uri_param *params; /* query string, decoded */
	uint32_t n_params;
	const struct dpi_uri_param *form;   /* x-www-form-urlencoded body prefix */
	uint32_t n_form;
	struct dpi_slice body;         /* body prefix, de-chunked, <= DPI_HTTP_MAX_BODY */
	uint64_t body_len;             /* body bytes seen when reported */
	uint64_t content_length;
	unsigned version;
	uint32_t flags;
};

struct dpi_http_response {
	uint64_t tx_id;                /* the request this answers */
	struct dpi_slice protocol;
	struct dpi_slice reason;
	struct dpi_slice content_type;
	const struct dpi_http_header *headers;
	uint32_t n_headers;
	uint64_t body_len;             /* body bytes (de-chunked), gaps included */
	uint64_t content_length;
	unsigned status;               /* 100..599 */
	unsigned version;
	uint32_t flags;
};

/* Any callback may be NULL. A callback must not call back into the parser
 * with the same state. */
struct dpi_http_cb {
	void (*on_request)(void *ctx, const struct dpi_http_request *req);
	void (*on_response)(void *ctx, const struct dpi_http_response *resp);
	dpi_anom_fn on_anomaly;
};

struct dpi_http_state;

/* Allocate a state for one connection into *ret_st. Returns 0 or -ENOMEM
 * (*ret_st untouched). Free with dpi_http_free(). Thread-safe. */
int dpi_http_new(struct dpi_http_state **ret_st);

/* Free @st and its buffers. Accepts NULL. */
void dpi_http_free(struct dpi_http_state *st);

/*
 * Parse @len bytes of direction @dir (DPI_TO_SERVER: requests,
 * DPI_TO_CLIENT: responses), the unconsumed bytes of the previous call
 * first. Consumes as much as it can, reporting through @cb (called with
 * @ctx); keeps no pointer into @buf after returning. Returns bytes consumed
 * (> 0), DPI_NEED_MORE, or:
 *   -EBADMSG  not HTTP (the first message), or framing lost (an invalid
 *             start line later, invalid Content-Length or chunk size, a head
 *             over DPI_HTTP_MAX_HEAD, a gap outside a body). The direction
 *             stays failed: later calls return -EBADMSG too.
 *   -ENOMEM   a buffer could not be allocated (the direction fails too).
 *   -EINVAL   bad arguments.
 * At most DPI_HTTP_MAX_HEAD - 1 < DPI_MAX_PENDING bytes are left
 * unconsumed (a head or a chunk line in the making), except possible tunnel
 * bytes (above); bodies are consumed as they arrive.
 */
int dpi_http_parse(struct dpi_http_state *st, unsigned dir, const uint8_t *buf, size_t len,
		   const struct dpi_http_cb *cb, void *ctx);

/*
 * A hole of @len bytes in direction @dir, after every byte handed over so
 * far; the bytes the last dpi_http_parse() left unconsumed precede the hole
 * and can't be completed, so the caller drops them. Inside a body the hole is
 * skipped ("http.body_gap"; a request not yet reported is reported now, with
 * DPI_HTTP_F_GAP; its body holds the bytes before the hole). Anywhere else
 * the direction fails ("http.stream_gap"), a message in progress is reported
 * with DPI_HTTP_F_INCOMPLETE.
 */
void dpi_http_gap(struct dpi_http_state *st, unsigned dir, uint32_t len,
		  const struct dpi_http_cb *cb, void *ctx);

/*
 * End of direction @dir (FIN or RST; unconsumed bytes are dropped). A body
 * delimited by the connection's close ends normally. A message cut short is
 * reported with DPI_HTTP_F_INCOMPLETE and "http.eof_in_body", a partial head
 * as "http.eof_in_head". Later calls for @dir return -EBADMSG.
 */
void dpi_http_eof(struct dpi_http_state *st, unsigned dir, const struct dpi_http_cb *cb,
		  void *ctx);

/* True once a tunnel (CONNECT, Upgrade) has replaced HTTP on @st. */
bool dpi_http_opaque(const struct dpi_http_state *st);

/*
 * Anomalies:
 *   http.request_line_invalid   http.response_line_invalid
 *   http.header_invalid         bad field name, no colon, space before colon,
 *                               control characters in a value
 *   http.header_limit           more than DPI_HTTP_MAX_HEADERS fields, or a head
 *                               or trailer section over DPI_HTTP_MAX_HEAD
 *   http.bare_lf  http.bare_cr  http.obs_fold
 *   http.content_length_invalid not a decimal number, overflow, or duplicates
 *                               that disagree
 *   http.content_length_duplicate  duplicates that agree
 *   http.cl_te_both             Content-Length and Transfer-Encoding (smuggling)
 *   http.te_invalid             request coding not ending in a single chunked
 *   http.te_http10              Transfer-Encoding in an HTTP/1.0 message
 *   http.chunk_invalid          http.trailer_invalid
 *   http.host_missing           http.host_duplicate
 *   http.uri_invalid_escape     http.uri_encoded_nul   http.uri_above_root
 *   http.param_limit            http.too_many_pipelined
 *   http.response_unsolicited   http.upgrade_unrequested
 *   http.body_gap  http.stream_gap  http.eof_in_head  http.eof_in_body
 */

#endif
