/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_http.c - HTTP/1.x request and response parser (see dpi_http.h).
 *
 * Each direction is a small state machine. A head is never consumed piece by
 * piece: it stays in the caller's buffer until its empty line has arrived
 * (at most DPI_HTTP_MAX_HEAD bytes), with d->scan remembering how far it was
 * examined so that a head dribbled in one byte at a time costs O(n), not
 * O(n^2). Then it is parsed in one pass with slices into the buffer. Bodies
 * are consumed as they arrive. When a message is still unreported at the end
 * of a call, its head is copied into the state and its slices moved there
 * (keep_head), so the common single-segment message is never copied.
 *
 * Framing follows RFC 9112 section 6, strictly where a disagreement between
 * us and the server would let a request through uninspected (request
 * smuggling): an invalid Content-Length, a request Transfer-Encoding not
 * ending in chunked, or an invalid chunk size stop the direction instead of
 * guessing. What doesn't change framing (bare LF, obs-fold, extra spaces in
 * the request line) is accepted and reported.
 *
 * This file finds where each message and its body begin and end; reading
 * a complete head (start line, header fields, request target) is
 * dpi_http_head.c's.
 */
#include "dpi_http.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_http_int.h"

static const char *const anom_names[A__MAX] = {
#define X(e, name) [e] = name,
	HTTP_ANOMALIES(X)
#undef X
};

_Static_assert(DPI_HTTP_MAX_HEAD < DPI_MAX_PENDING, "a head must fit what the caller holds");

/* Outstanding requests remember only what the response's framing needs. */
#define K_HEAD    1u
#define K_CONNECT 2u
#define K_UPGRADE 4u

/* Buffers above this size are released when their message ends. */
#define KEEP_BUF (8u * 1024u)

/* ---- small helpers ---- */

void dpi_http_anom(struct dpi_http_state *st, unsigned dir, enum anom a)
{
	struct http_dir *d = &st->d[dir];

	if (d->anoms & (1u << a))
		return;
	d->anoms |= 1u << a;
	if (st->cb && st->cb->on_anomaly)
		st->cb->on_anomaly(st->ctx, anom_names[a]);
}

static int gbuf_reserve(struct gbuf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256;
	uint8_t *np;

	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np)
		return -ENOMEM;
	b->p = np;
	b->cap = cap;
	return 0;
}

static void gbuf_trim(struct gbuf *b)
{
	if (b->cap > KEEP_BUF) {
		free(b->p);
		b->p = NULL;
		b->cap = 0;
	}
}

static bool slice_eq(struct dpi_slice s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(s.p, lit, n) == 0;
}

/* ---- pipelining queue ---- */

static void queue_push(struct dpi_http_state *st, uint8_t kind)
{
	if (st->q_lost || st->q_len == DPI_HTTP_MAX_PIPELINE) {
		/* Later requests join the lost ones, so that order is kept.
		 * Reported once per overflow, not once per request. */
		if (!st->q_lost++)
			dpi_http_anom(st, DPI_TO_SERVER, A_PIPELINE);
		return;
	}
	st->queue[(st->q_head + st->q_len) % DPI_HTTP_MAX_PIPELINE] = kind;
	st->q_len++;
}

/* Kind of the request the next response answers; false when none is
 * outstanding. */
static bool queue_pop(struct dpi_http_state *st, uint8_t *kind)
{
	*kind = 0;
	if (st->q_len) {
		*kind = st->queue[st->q_head];
		st->q_head = (st->q_head + 1) % DPI_HTTP_MAX_PIPELINE;
		st->q_len--;
		return true;
	}
	if (st->q_lost) {
		st->q_lost--;
		return true;
	}
	return false;
}

/* ---- reporting ---- */

static bool is_form(struct dpi_slice ct)
{
	static const char form[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(form) - 1;

	if (ct.len < n || !slice_ieq(mkslice(ct.p, n), form))
		return false;
	return ct.len == n || ct.p[n] == ';' || is_ows(ct.p[n]);
}

static int fire_request(struct dpi_http_state *st, uint32_t flags)
{
	struct http_dir *d = &st->d[DPI_TO_SERVER];
	struct dpi_http_request *rq = &st->req;

	if (st->fired)
		return 0;
	st->fired = true;
	st->collecting = false;
	d->live = false;
	rq->flags |= flags;
	rq->body = mkslice(st->body.p, st->body_kept);
	rq->body_len = d->body_len;
	if (st->form && st->body_kept) {
		unsigned uf = 0;

		if (gbuf_reserve(&st->fdec, st->body_kept) < 0)
			return -ENOMEM;
		rq->form = st->fparams;
		rq->n_form = (uint32_t)dpi_uri_params(st->body.p, st->body_kept, st->fparams,
						      DPI_HTTP_MAX_PARAMS, st->fdec.p, &uf);
		dpi_http_uri_flags_anom(st, uf & (DPI_URI_BAD_ESCAPE | DPI_URI_ENCODED_NUL |
						  DPI_URI_PARAM_LIMIT));
	}
	if (d->anoms)
		rq->flags |= DPI_HTTP_F_ANOMALY;
	if (st->cb && st->cb->on_request)
		st->cb->on_request(st->ctx, rq);
	return 0;
}

static void fire_response(struct dpi_http_state *st, uint32_t flags)
{
	struct http_dir *d = &st->d[DPI_TO_CLIENT];
	struct dpi_http_response *rs = &st->resp;

	if (!d->live)
		return;
	d->live = false;
	rs->flags |= flags;
	rs->body_len = d->body_len;
	if (d->anoms)
		rs->flags |= DPI_HTTP_F_ANOMALY;
	if (st->cb && st->cb->on_response)
		st->cb->on_response(st->ctx, rs);
}

/* The current message of @dir has ended: report it, get ready for the
 * next. */
static int msg_end(struct dpi_http_state *st, unsigned dir)
{
	struct http_dir *d = &st->d[dir];
	int r = 0;

	if (dir == DPI_TO_SERVER) {
		r = fire_request(st, 0);
		d->state = S_HEAD;
		gbuf_trim(&st->dec);
		gbuf_trim(&st->body);
		gbuf_trim(&st->fdec);
	} else {
		fire_response(st, 0);
		d->state = S_HEAD;
	}
	gbuf_trim(&d->head);
	d->anoms = 0;
	d->msgs++;
	return r;
}

/* Append request body bytes to the kept prefix. */
static int body_data(struct dpi_http_state *st, unsigned dir, const uint8_t *p, size_t n)
{
	struct http_dir *d = &st->d[dir];
	size_t room, take;

	d->body_len += n;
	if (dir != DPI_TO_SERVER || !st->collecting)
		return 0;
	room = DPI_HTTP_MAX_BODY - st->body_kept;
	take = n < room ? n : room;
	if (take) {
		size_t want = st->body_kept + take;

		/* Known length: one allocation of the final size. */
		if (st->req.flags & DPI_HTTP_F_CONTENT_LENGTH && !(st->req.flags & DPI_HTTP_F_CHUNKED))
			want = st->req.content_length < DPI_HTTP_MAX_BODY
				       ? (size_t)st->req.content_length
				       : DPI_HTTP_MAX_BODY;
		if (gbuf_reserve(&st->body, want < st->body_kept + take ? st->body_kept + take : want) < 0)
			return -ENOMEM;
		memcpy(st->body.p + st->body_kept, p, take);
		st->body_kept += take;
	}
	if (n > room) {
		d->body_len -= n - take;
		/* body_len counts what was seen when reported, then goes on. */
		int r = fire_request(st, DPI_HTTP_F_BODY_TRUNCATED);

		d->body_len += n - take;
		return r;
	}
	return 0;
}

/* Request head complete: decide framing, report or start the body. */
static int request_head(struct dpi_http_state *st, const uint8_t *p, size_t n)
{
	struct http_dir *d = &st->d[DPI_TO_SERVER];
	struct dpi_http_request *rq = &st->req;
	struct head_info hi;
	uint8_t kind = 0;
	int r;

	memset(rq, 0, sizeof(*rq));
	memset(&hi, 0, sizeof(hi));
	/* Room for uri_norm (uri + 1), query parameters and the hostname. */
	if (gbuf_reserve(&st->dec, 2 * n + 16) < 0)
		return -ENOMEM;
	st->dec_used = 0;
	st->body_kept = 0;
	st->fired = false;
	st->collecting = false;
	d->body_len = 0;
	rq->tx_id = st->n_req;
	r = dpi_http_parse_head(st, DPI_TO_SERVER, p, n, &hi);
	if (r < 0)
		return r;
	rq->headers = d->hdr;
	rq->n_headers = hi.n_headers;
	if (slice_eq(rq->method, "CONNECT")) {
		rq->flags |= DPI_HTTP_F_CONNECT;
		kind |= K_CONNECT;
	} else if (slice_eq(rq->method, "HEAD")) {
		rq->flags |= DPI_HTTP_F_HEAD;
		kind |= K_HEAD;
	}
	if (rq->flags & DPI_HTTP_F_UPGRADE)
		kind |= K_UPGRADE;
	dpi_http_parse_target(st, &hi);
	if (hi.authority.len)
		rq->host = hi.authority; /* RFC 9112 3.2.2: the target's wins */
	else if (!hi.host_seen && hi.version == 11)
		dpi_http_anom(st, DPI_TO_SERVER, A_HOST_MISSING);
	dpi_http_set_hostname(st, rq->host);
	if (hi.expect_continue)
		rq->flags |= DPI_HTTP_F_EXPECT_CONTINUE;
	if (hi.conn_close || (hi.version == 10 && !hi.conn_keepalive))
		rq->flags |= DPI_HTTP_F_CLOSE;
	if (hi.cl_seen && !hi.cl_bad) {
		rq->flags |= DPI_HTTP_F_CONTENT_LENGTH;
		rq->content_length = hi.cl;
	}
	st->form = is_form(rq->content_type);

	st->n_req++;
	queue_push(st, kind);
	if (kind & (K_CONNECT | K_UPGRADE)) {
		st->gate = true;
		st->gate_tx = rq->tx_id;
		st->gate_kind = kind;
	}

	d->state = S_HEAD;
	if (hi.te_seen) {
		if (hi.cl_seen)
			dpi_http_anom(st, DPI_TO_SERVER, A_CL_TE_BOTH);
		if (hi.version == 10)
			dpi_http_anom(st, DPI_TO_SERVER, A_TE_HTTP10);
		if (!hi.te_last_chunked || hi.te_chunked != 1) {
			/* RFC 9112 6.3: the length can't be determined. */
			dpi_http_anom(st, DPI_TO_SERVER, A_TE_INVALID);
			r = fire_request(st, DPI_HTTP_F_FRAMING_INVALID);
			return r < 0 ? r : -EBADMSG;
		}
		rq->flags |= DPI_HTTP_F_CHUNKED;
		d->state = S_CHUNK_SIZE;
	} else if (hi.cl_bad) {
		r = fire_request(st, DPI_HTTP_F_FRAMING_INVALID);
		return r < 0 ? r : -EBADMSG;
	} else if (hi.cl_seen && hi.cl) {
		d->remaining = hi.cl;
		d->state = S_BODY_CL;
	}
	if (d->state == S_HEAD) {
		r = msg_end(st, DPI_TO_SERVER);
		return r < 0 ? r : (int)n;
	}
	st->collecting = true;
	d->live = true;
	d->head_base = p;
	d->head_len = (uint32_t)n;
	return (int)n;
}

/* Response head complete: pair it, decide framing, report or start the
 * body. */
static int response_head(struct dpi_http_state *st, const uint8_t *p, size_t n)
{
	struct http_dir *d = &st->d[DPI_TO_CLIENT];
	struct dpi_http_response *rs = &st->resp;
	struct head_info hi;
	uint8_t kind;
	bool opaque = false;
	int r;

	memset(rs, 0, sizeof(*rs));
	memset(&hi, 0, sizeof(hi));
	d->body_len = 0;
	r = dpi_http_parse_head(st, DPI_TO_CLIENT, p, n, &hi);
	if (r < 0)
		return r;
	rs->headers = d->hdr;
	rs->n_headers = hi.n_headers;
	if (hi.cl_seen && !hi.cl_bad) {
		rs->flags |= DPI_HTTP_F_CONTENT_LENGTH;
		rs->content_length = hi.cl;
	}
	if (hi.conn_close || (hi.version == 10 && !hi.conn_keepalive))
		rs->flags |= DPI_HTTP_F_CLOSE;
	if (rs->status < 200 && rs->status != 101) {
		/* Interim: the final response to the same request follows. */
		d->state = S_HEAD;
		d->anoms = 0;
		d->msgs++;
		return (int)n;
	}

	rs->tx_id = st->n_resp;
	if (!queue_pop(st, &kind)) {
		dpi_http_anom(st, DPI_TO_CLIENT, A_UNSOLICITED);
		rs->flags |= DPI_HTTP_F_UNSOLICITED;
	}
	if (st->gate && st->gate_tx == st->n_resp)
		kind = st->gate_kind; /* known even if the queue overflowed */
	st->n_resp++;
	if (kind & K_HEAD)
		rs->flags |= DPI_HTTP_F_HEAD;
	if (kind & K_CONNECT)
		rs->flags |= DPI_HTTP_F_CONNECT;
	if (kind & K_UPGRADE)
		rs->flags |= DPI_HTTP_F_UPGRADE;
	if (rs->status == 101) {
		if (!(kind & K_UPGRADE))
			dpi_http_anom(st, DPI_TO_CLIENT, A_UPGRADE_UNREQUESTED);
		opaque = true;
	} else if (kind & K_CONNECT && rs->status / 100 == 2) {
		opaque = true;
	}
	if (st->gate && st->gate_tx == rs->tx_id)
		st->gate = false;
	d->live = true;
	d->head_base = p;
	d->head_len = (uint32_t)n;
	d->state = S_HEAD;
	if (opaque) {
		st->opaque = true;
		rs->flags |= DPI_HTTP_F_OPAQUE;
	} else if (kind & K_HEAD || rs->status == 204 || rs->status == 304) {
		/* no body, whatever the fields say */
	} else if (hi.te_seen) {
		if (hi.cl_seen)
			dpi_http_anom(st, DPI_TO_CLIENT, A_CL_TE_BOTH);
		if (hi.version == 10)
			dpi_http_anom(st, DPI_TO_CLIENT, A_TE_HTTP10);
		if (hi.te_last_chunked && hi.te_chunked == 1) {
			rs->flags |= DPI_HTTP_F_CHUNKED;
			d->state = S_CHUNK_SIZE;
		} else {
			/* Not chunked last: read until close (RFC 9112 6.3). */
			if (hi.te_chunked)
				dpi_http_anom(st, DPI_TO_CLIENT, A_TE_INVALID);
			d->state = S_BODY_CLOSE;
		}
	} else if (hi.cl_bad) {
		fire_response(st, DPI_HTTP_F_FRAMING_INVALID);
		return -EBADMSG;
	} else if (hi.cl_seen) {
		if (hi.cl) {
			d->remaining = hi.cl;
			d->state = S_BODY_CL;
		}
	} else {
		d->state = S_BODY_CLOSE;
	}
	if (d->state == S_BODY_CLOSE)
		rs->flags |= DPI_HTTP_F_CLOSE;
	if (d->state == S_HEAD)
		msg_end(st, DPI_TO_CLIENT);
	return (int)n;
}

/* ---- states ---- */

/*
 * A head that can't be HTTP. Right after a CONNECT or Upgrade request it may
 * be the tunnel, sent before the answer: hold it until the answer decides
 * (opaque, or a real failure on the next call).
 */
static int head_fail(struct dpi_http_state *st, unsigned dir, int a)
{
	if (dir == DPI_TO_SERVER && st->gate)
		return DPI_NEED_MORE;
	if (a >= 0)
		dpi_http_anom(st, dir, (enum anom)a);
	return -EBADMSG;
}

/* A start line's first bytes, checked as they arrive so that other
 * protocols are turned away at once rather than after a head's worth. */
static int early_check(struct dpi_http_state *st, unsigned dir, const uint8_t *p, size_t n)
{
	struct http_dir *d = &st->d[dir];
	size_t i = d->scan;

	for (; i < n && !d->method_done; i++) {
		uint8_t c = p[i];

		if (dir == DPI_TO_SERVER) {
			if (c == ' ' && i > 0)
				d->method_done = true;
			else if (!is_tchar(c) || i >= DPI_HTTP_MAX_METHOD)
				goto bad;
		} else {
			if (c != (uint8_t)"HTTP/"[i])
				goto bad;
			if (i == 4)
				d->method_done = true;
		}
	}
	d->scan = (uint32_t)i;
	return 0;
bad:
	d->scan = (uint32_t)i;
	return head_fail(st, dir, !d->msgs ? -1 : dir == DPI_TO_SERVER ? A_REQUEST_LINE
								  : A_RESPONSE_LINE);
}

static int do_head(struct dpi_http_state *st, unsigned dir, const uint8_t *p, size_t n)
{
	struct http_dir *d = &st->d[dir];
	size_t lim = n < DPI_HTTP_MAX_HEAD ? n : DPI_HTTP_MAX_HEAD, i;
	int r;

	if (d->scan > n) /* the caller did not re-present what we left: restart */
		d->scan = d->line_start = 0, d->method_done = false;
	if (d->scan == 0) {
		/* Empty lines before a message are ignored (RFC 9112 2.2). */
		i = 0;
		while (i < n && (p[i] == '\n' || (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')))
			i += p[i] == '\n' ? 1 : 2;
		if (i)
			return (int)i;
		if (p[0] == '\r' && n == 1)
			return DPI_NEED_MORE;
	}
	if (!d->method_done) {
		r = early_check(st, dir, p, lim);
		if (r <= 0 && !d->method_done)
			return r;
	}
	i = d->scan;
	while (i < lim) {
		const uint8_t *lf = memchr(p + i, '\n', lim - i);
		size_t e, ls = d->line_start;

		if (!lf) {
			i = lim;
			break;
		}
		e = (size_t)(lf - p);
		if (ls == 0) {
			/* Start line complete: reject a non-HTTP one now. */
			struct words ws;
			struct dpi_slice reason;
			unsigned status;
			size_t ce = e > 0 && p[e - 1] == '\r' ? e - 1 : e;

			if ((dir == DPI_TO_SERVER
				     ? dpi_http_check_request_line(p, ce, &ws)
				     : dpi_http_check_status_line(p, ce, &status, &reason)) < 0)
				return head_fail(st, dir,
						 !d->msgs ? -1
						 : dir == DPI_TO_SERVER ? A_REQUEST_LINE
									: A_RESPONSE_LINE);
		} else if (e == ls || (e == ls + 1 && p[ls] == '\r')) {
			d->scan = d->line_start = 0;
			d->method_done = false;
			return dir == DPI_TO_SERVER ? request_head(st, p, e + 1)
						    : response_head(st, p, e + 1);
		}
		i = e + 1;
		d->line_start = (uint32_t)i;
	}
	d->scan = (uint32_t)i;
	if (lim == DPI_HTTP_MAX_HEAD)
		return head_fail(st, dir, A_HEADER_LIMIT);
	return DPI_NEED_MORE;
}

/* Find the LF ending the line at p[0], looking at most @max bytes; d->scan
 * remembers what was searched. Returns its offset, -1 if more bytes are
 * needed, -2 if the line is longer than @max. */
static long find_line(struct http_dir *d, const uint8_t *p, size_t n, size_t max)
{
	size_t lim = n < max ? n : max;
	const uint8_t *lf;

	if (d->scan > lim)
		d->scan = 0;
	lf = memchr(p + d->scan, '\n', lim - d->scan);
	if (lf) {
		d->scan = 0;
		return lf - p;
	}
	d->scan = (uint32_t)lim;
	return lim == max ? -2 : -1;
}

/* Framing is lost: report the message in progress (defined below). */
static void give_up(struct dpi_http_state *st, unsigned dir, uint32_t flags);

static int do_chunk_size(struct dpi_http_state *st, unsigned dir, const uint8_t *p, size_t n)
{
	struct http_dir *d = &st->d[dir];
	long e = find_line(d, p, n, DPI_HTTP_MAX_CHUNK_LINE);
	size_t i = 0, ce, digits = 0;
	uint64_t size = 0;

	if (e == -1)
		return DPI_NEED_MORE;
	if (e < 0)
		goto bad;
	ce = (size_t)e;
	if (ce > 0 && p[ce - 1] == '\r')
		ce--;
	else
		dpi_http_anom(st, dir, A_BARE_LF);
	for (; i < ce; i++) {
		int v = is_digit(p[i]) ? p[i] - '0'
			: (lower(p[i]) >= 'a' && lower(p[i]) <= 'f') ? lower(p[i]) - 'a' + 10
								       : -1;

		if (v < 0)
			break;
		if (++digits > 16)
			goto bad;
		size = size << 4 | (uint64_t)v;
	}
	if (!digits)
		goto bad;
	while (i < ce && is_ows(p[i]))
		i++;
	if (i < ce) {
		if (p[i] != ';')
			goto bad;
		/* chunk-ext: not interpreted, but no control characters
		 * (a CR here is read as a line end by some servers). */
		for (; i < ce; i++)
			if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
				goto bad;
	}
	if (size == 0) {
		d->trailer_len = 0;
		d->state = S_TRAILER;
	} else {
		d->remaining = size;
		d->state = S_CHUNK_DATA;
	}
	return (int)e + 1;
bad:
	dpi_http_anom(st, dir, A_CHUNK_INVALID);
	give_up(st, dir, DPI_HTTP_F_FRAMING_INVALID);
	return -EBADMSG;
}

static int do_chunk_end(struct dpi_http_state *st, unsigned dir, const uint8_t *p, size_t n)
{
	struct http_dir *d = &st->d[dir];

	if (p[0] == '\n') {
		dpi_http_anom(st, dir, A_BARE_LF);
		d->state = S_CHUNK_SIZE;
		return 1;
	}
	if (p[0] == '\r') {
		if (n < 2)
			return DPI_NEED_MORE;
		if (p[1] == '\n') {
			d->state = S_CHUNK_SIZE;
			return 2;
		}
	}
	dpi_http_anom(st, dir, A_CHUNK_INVALID);
	give_up(st, dir, DPI_HTTP_F_FRAMING_INVALID);
	return -EBADMSG;
}

static int do_trailer(struct dpi_http_state *st, unsigned dir, const uint8_t *p, size_t n)
{
	struct http_dir *d = &st->d[dir];
	long e = find_line(d, p, n, DPI_HTTP_MAX_HEAD - d->trailer_len);
	size_t ce, colon;
	int r;

	if (e == -1)
		return DPI_NEED_MORE;
	if (e < 0) {
		dpi_http_anom(st, dir, A_HEADER_LIMIT);
		return -EBADMSG;
	}
	ce = (size_t)e;
	if (ce > 0 && p[ce - 1] == '\r')
		ce--;
	else
		dpi_http_anom(st, dir, A_BARE_LF);
	if (ce == 0) {
		r = msg_end(st, dir);
		return r < 0 ? r : (int)e + 1;
	}
	for (colon = 0; colon < ce && is_tchar(p[colon]); colon++)
		;
	if (colon == 0 || colon == ce || p[colon] != ':' || dpi_http_has_ctl(p, ce))
		dpi_http_anom(st, dir, A_TRAILER_INVALID);
	d->trailer_len += (uint32_t)e + 1;
	return (int)e + 1;
}

static int do_body(struct dpi_http_state *st, unsigned dir, const uint8_t *p, size_t n)
{
	struct http_dir *d = &st->d[dir];
	size_t take = n;
	int r;

	if (d->state != S_BODY_CLOSE && d->remaining < take)
		take = (size_t)d->remaining;
	r = body_data(st, dir, p, take);
	if (r < 0)
		return r;
	if (d->state == S_BODY_CLOSE)
		return (int)take;
	d->remaining -= take;
	if (d->remaining == 0) {
		if (d->state == S_CHUNK_DATA) {
			d->state = S_CHUNK_END;
		} else {
			r = msg_end(st, dir);
			if (r < 0)
				return r;
		}
	}
	return (int)take;
}

/* ---- head copies ---- */

static void rebase(struct dpi_slice *s, const uint8_t *from, size_t len, const uint8_t *to)
{
	uintptr_t a = (uintptr_t)s->p, f = (uintptr_t)from;

	if (s->p && a >= f && a <= f + len)
		s->p = to + (a - f);
}

/* An unreported message keeps its head past this call: copy it into the
 * state and point the view there. */
static int keep_head(struct dpi_http_state *st, unsigned dir)
{
	struct http_dir *d = &st->d[dir];
	const uint8_t *from = d->head_base;
	size_t len = d->head_len;
	uint32_t nh;

	if (!d->live || from == d->head.p)
		return 0;
	if (gbuf_reserve(&d->head, len) < 0)
		return -ENOMEM;
	memcpy(d->head.p, from, len);
	if (dir == DPI_TO_SERVER) {
		struct dpi_http_request *rq = &st->req;
		struct dpi_slice *f[] = {&rq->method, &rq->uri, &rq->query, &rq->protocol,
					 &rq->host, &rq->user_agent, &rq->content_type,
					 &rq->upgrade};

		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			rebase(f[i], from, len, d->head.p);
		nh = rq->n_headers;
	} else {
		struct dpi_http_response *rs = &st->resp;

		rebase(&rs->protocol, from, len, d->head.p);
		rebase(&rs->reason, from, len, d->head.p);
		rebase(&rs->content_type, from, len, d->head.p);
		nh = rs->n_headers;
	}
	for (uint32_t i = 0; i < nh; i++) {
		rebase(&d->hdr[i].name, from, len, d->head.p);
		rebase(&d->hdr[i].value, from, len, d->head.p);
	}
	d->head_base = d->head.p;
	return 0;
}

/* ---- API ---- */

int dpi_http_new(struct dpi_http_state **ret_st)
{
	struct dpi_http_state *st;

	if (!ret_st)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	*ret_st = st;
	return 0;
}

void dpi_http_free(struct dpi_http_state *st)
{
	if (!st)
		return;
	for (unsigned i = 0; i < 2; i++)
		free(st->d[i].head.p);
	free(st->dec.p);
	free(st->body.p);
	free(st->fdec.p);
	free(st);
}

bool dpi_http_opaque(const struct dpi_http_state *st)
{
	return st && st->opaque;
}

int dpi_http_parse(struct dpi_http_state *st, unsigned dir, const uint8_t *buf, size_t len,
		   const struct dpi_http_cb *cb, void *ctx)
{
	struct http_dir *d;
	size_t off = 0;
	int r = 0;

	if (!st || dir > DPI_TO_CLIENT || (!buf && len))
		return -EINVAL;
	if (len > INT_MAX)
		len = INT_MAX; /* the rest comes back next call */
	if (st->opaque)
		return (int)len;
	d = &st->d[dir];
	if (d->state == S_DEAD)
		return -EBADMSG;
	st->cb = cb;
	st->ctx = ctx;
	while (off < len && !st->opaque) {
		const uint8_t *p = buf + off;
		size_t n = len - off;

		switch (d->state) {
		case S_HEAD:
			r = do_head(st, dir, p, n);
			break;
		case S_BODY_CL:
		case S_CHUNK_DATA:
		case S_BODY_CLOSE:
			r = do_body(st, dir, p, n);
			break;
		case S_CHUNK_SIZE:
			r = do_chunk_size(st, dir, p, n);
			break;
		case S_CHUNK_END:
			r = do_chunk_end(st, dir, p, n);
			break;
		case S_TRAILER:
			r = do_trailer(st, dir, p, n);
			break;
		case S_DEAD:
			r = -EBADMSG;
			break;
		}
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	if (r >= 0)
		r = keep_head(st, dir);
	st->cb = NULL;
	st->ctx = NULL;
	if (r < 0) {
		d->state = S_DEAD;
		d->live = false;
		return r;
	}
	d->held = (uint32_t)(len - off);
	return (int)off;
}

/* Report what the direction had started and fail it. */
static void give_up(struct dpi_http_state *st, unsigned dir, uint32_t flags)
{
	struct http_dir *d = &st->d[dir];

	if (dir == DPI_TO_SERVER) {
		if (d->live)
			fire_request(st, flags); /* -ENOMEM: nothing more to do */
	} else {
		fire_response(st, flags);
	}
	d->state = S_DEAD;
	d->live = false;
}

void dpi_http_gap(struct dpi_http_state *st, unsigned dir, uint32_t len,
		  const struct dpi_http_cb *cb, void *ctx)
{
	struct http_dir *d;
	uint32_t held;

	if (!st || dir > DPI_TO_CLIENT || st->opaque)
		return;
	d = &st->d[dir];
	if (d->state == S_DEAD)
		return;
	held = d->held;
	d->held = 0;
	d->scan = 0;
	if (!len && !held)
		return;
	st->cb = cb;
	st->ctx = ctx;
	if (!held && (d->state == S_BODY_CLOSE ||
		      ((d->state == S_BODY_CL || d->state == S_CHUNK_DATA) && len <= d->remaining))) {
		dpi_http_anom(st, dir, A_BODY_GAP);
		if (dir == DPI_TO_SERVER)
			st->req.flags |= DPI_HTTP_F_GAP;
		else
			st->resp.flags |= DPI_HTTP_F_GAP;
		d->body_len += len;
		if (d->state != S_BODY_CLOSE)
			d->remaining -= len;
		if (dir == DPI_TO_SERVER && st->collecting &&
		    fire_request(st, DPI_HTTP_F_GAP) < 0) {
			give_up(st, dir, 0);
		} else if (d->state != S_BODY_CLOSE && d->remaining == 0) {
			if (d->state == S_CHUNK_DATA)
				d->state = S_CHUNK_END;
			else if (msg_end(st, dir) < 0)
				give_up(st, dir, 0);
		}
	} else {
		dpi_http_anom(st, dir, A_STREAM_GAP);
		give_up(st, dir, DPI_HTTP_F_GAP | DPI_HTTP_F_INCOMPLETE);
	}
	st->cb = NULL;
	st->ctx = NULL;
}

void dpi_http_eof(struct dpi_http_state *st, unsigned dir, const struct dpi_http_cb *cb,
		  void *ctx)
{
	struct http_dir *d;

	if (!st || dir > DPI_TO_CLIENT || st->opaque)
		return;
	d = &st->d[dir];
	if (d->state == S_DEAD)
		return;
	st->cb = cb;
	st->ctx = ctx;
	switch (d->state) {
	case S_HEAD:
		if (d->held)
			dpi_http_anom(st, dir, A_EOF_IN_HEAD);
		break;
	case S_BODY_CLOSE:
		msg_end(st, dir);
		break;
	default:
		dpi_http_anom(st, dir, A_EOF_IN_BODY);
		break;
	}
	give_up(st, dir, DPI_HTTP_F_INCOMPLETE);
	st->cb = NULL;
	st->ctx = NULL;
}
