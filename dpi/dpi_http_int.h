/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_http_int.h - what the HTTP parser's two halves share: the state, the
 * anomalies, and a few byte-level helpers. dpi_http.c runs the per-direction
 * state machine (framing, bodies, chunks, pipelining, reporting);
 * dpi_http_head.c reads a complete head (start line, header fields, request
 * target) into the view. Not part of the module's API.
 */
#ifndef DPI_HTTP_INT_H
#define DPI_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dpi_http.h"
#include "dpi_uri.h"

/* Every anomaly this parser reports: its enum name and its event string. */
#define HTTP_ANOMALIES(X)                                       \
	X(A_REQUEST_LINE, "http.request_line_invalid")          \
	X(A_RESPONSE_LINE, "http.response_line_invalid")        \
	X(A_HEADER_INVALID, "http.header_invalid")              \
	X(A_HEADER_LIMIT, "http.header_limit")                  \
	X(A_BARE_LF, "http.bare_lf")                            \
	X(A_BARE_CR, "http.bare_cr")                            \
	X(A_OBS_FOLD, "http.obs_fold")                          \
	X(A_CL_INVALID, "http.content_length_invalid")          \
	X(A_CL_DUPLICATE, "http.content_length_duplicate")      \
	X(A_CL_TE_BOTH, "http.cl_te_both")                      \
	X(A_TE_INVALID, "http.te_invalid")                      \
	X(A_TE_HTTP10, "http.te_http10")                        \
	X(A_CHUNK_INVALID, "http.chunk_invalid")                \
	X(A_TRAILER_INVALID, "http.trailer_invalid")            \
	X(A_HOST_MISSING, "http.host_missing")                  \
	X(A_HOST_DUPLICATE, "http.host_duplicate")              \
	X(A_URI_ESCAPE, "http.uri_invalid_escape")              \
	X(A_URI_NUL, "http.uri_encoded_nul")                    \
	X(A_URI_ABOVE_ROOT, "http.uri_above_root")              \
	X(A_PARAM_LIMIT, "http.param_limit")                    \
	X(A_PIPELINE, "http.too_many_pipelined")                \
	X(A_UNSOLICITED, "http.response_unsolicited")           \
	X(A_UPGRADE_UNREQUESTED, "http.upgrade_unrequested")    \
	X(A_BODY_GAP, "http.body_gap")                          \
	X(A_STREAM_GAP, "http.stream_gap")                      \
	X(A_EOF_IN_HEAD, "http.eof_in_head")                    \
	X(A_EOF_IN_BODY, "http.eof_in_body")

enum anom {
#define X(e, name) e,
	HTTP_ANOMALIES(X)
#undef X
	A__MAX
};

_Static_assert(A__MAX <= 32, "anomalies are deduplicated in a 32-bit mask");

/* Where a direction is in its message. */
enum dstate {
	S_HEAD,       /* before or inside a start line and header fields */
	S_BODY_CL,    /* Content-Length body, d->remaining left */
	S_CHUNK_SIZE, /* chunk-size line */
	S_CHUNK_DATA, /* chunk data, d->remaining left */
	S_CHUNK_END,  /* CRLF after chunk data */
	S_TRAILER,    /* trailer section after the last chunk */
	S_BODY_CLOSE, /* response body delimited by the connection's close */
	S_DEAD,       /* failed, or ended */
};

/* A growable buffer the state owns. */
struct gbuf {
	uint8_t *p;
	size_t cap;
};

/* One direction of the connection. */
struct http_dir {
	enum dstate state;
	uint32_t scan;       /* S_HEAD, line states: bytes already examined */
	uint32_t line_start; /* S_HEAD: offset of the line being scanned */
	bool method_done;    /* S_HEAD: start line's first word checked */
	bool live;           /* the view holds an unreported message's head */
	uint32_t held;       /* bytes the last parse left unconsumed */
	uint32_t anoms;      /* anomalies reported for the current message */
	uint32_t trailer_len;
	uint64_t remaining;  /* S_BODY_CL: body bytes; S_CHUNK_DATA: chunk bytes */
	uint64_t body_len;
	uint64_t msgs;       /* messages completed, interim responses included */
	const uint8_t *head_base;
	uint32_t head_len;
	struct gbuf head;    /* copy of a head that outlives its call */
	struct dpi_http_header hdr[DPI_HTTP_MAX_HEADERS];
};

struct dpi_http_state {
	struct http_dir d[2];
	struct dpi_http_request req;
	struct dpi_http_response resp;
	struct dpi_uri_param qparams[DPI_HTTP_MAX_PARAMS];
	struct dpi_uri_param fparams[DPI_HTTP_MAX_PARAMS];
	struct gbuf dec;   /* uri_norm, hostname, query parameters */
	size_t dec_used;
	struct gbuf body;  /* request body prefix */
	size_t body_kept;
	struct gbuf fdec;  /* form parameters */
	bool collecting;   /* request body still goes into st->body */
	bool fired;        /* current request reported */
	bool form;         /* current request is x-www-form-urlencoded */
	bool opaque;
	uint8_t queue[DPI_HTTP_MAX_PIPELINE];
	uint32_t q_head, q_len;
	uint64_t q_lost;   /* requests past a full queue, kinds forgotten */
	uint64_t n_req, n_resp;
	bool gate;         /* a CONNECT/Upgrade request awaits its answer: bytes
			    * to the server that aren't HTTP may be the tunnel's */
	uint64_t gate_tx;
	uint8_t gate_kind;
	const struct dpi_http_cb *cb; /* of the current call only */
	void *ctx;
};

/* What the header fields say about framing, gathered while parsing a head. */
struct head_info {
	unsigned version;
	bool cl_seen, cl_bad, te_seen, te_last_chunked, host_seen, absolute;
	unsigned te_chunked;
	uint64_t cl;
	bool conn_close, conn_keepalive, expect_continue;
	uint32_t n_headers;
	struct dpi_slice authority; /* absolute-form or CONNECT target */
};

/* A start line split into words (dpi_http_check_request_line()). */
struct words {
	struct dpi_slice w[3];
	unsigned n;
	bool lenient; /* separators other than single SPs */
};

/* ---- byte helpers ---- */

static inline bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static inline bool is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

static inline bool slice_ieq(struct dpi_slice s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

static inline struct dpi_slice mkslice(const uint8_t *p, size_t len)
{
	struct dpi_slice s = {len ? p : NULL, (uint32_t)len};

	return s;
}

/* ---- dpi_http.c ---- */

/* Report anomaly @a on @dir through the current call's callbacks, at most
 * once per message. */
void dpi_http_anom(struct dpi_http_state *st, unsigned dir, enum anom a);

/* ---- dpi_http_head.c ---- */

/* Request line: returns -1 if it is not one, 0 if fine, 1 if accepted with
 * irregular whitespace; the words in @ws. */
int dpi_http_check_request_line(const uint8_t *l, size_t n, struct words *ws);

/* Status line: returns as dpi_http_check_request_line(); *status and *reason
 * filled on success. */
int dpi_http_check_status_line(const uint8_t *l, size_t n, unsigned *status,
			       struct dpi_slice *reason);

/* Report the anomalies dpi_uri.h's DPI_URI_* @flags stand for. */
void dpi_http_uri_flags_anom(struct dpi_http_state *st, unsigned flags);

/* Split st->req.uri; normalise the path and decode the query into st->dec
 * (reserved by the caller). */
void dpi_http_parse_target(struct dpi_http_state *st, struct head_info *hi);

/* @h as policies compare it into st->req.hostname, in st->dec. */
void dpi_http_set_hostname(struct dpi_http_state *st, struct dpi_slice h);

/* Control characters other than HT in a field line (CR is bare_cr's). */
bool dpi_http_has_ctl(const uint8_t *p, size_t n);

/* Parse a complete head p[0..n) (it ends with the empty line's LF): the
 * start line into the view, the fields into d->hdr and @hi. Returns 0 or
 * -EBADMSG for a start line that isn't one. */
int dpi_http_parse_head(struct dpi_http_state *st, unsigned dir, const uint8_t *p, size_t n,
			struct head_info *hi);

#endif
