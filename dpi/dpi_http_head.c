/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_http_head.c - the syntax of an HTTP/1.x head: the request or status
 * line, the header fields (with what they say about framing, gathered in
 * struct head_info for dpi_http.c to decide on), and the request target,
 * normalised and decoded with dpi_uri.h.
 *
 * It reads a head that is already complete, in one pass, with slices into
 * the caller's buffer; what is odd but doesn't change framing is accepted
 * and reported as an anomaly. The state machine that finds the head's end,
 * and everything after the head, is dpi_http.c's.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "dpi_http.h"
#include "dpi_http_int.h"

/* ---- field values ---- */

/* Whitespace around a field value, including the CR LF of folded lines. */
static bool is_fws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct dpi_slice trim(const uint8_t *p, size_t len)
{
	while (len && is_fws(p[0])) {
		p++;
		len--;
	}
	while (len && is_fws(p[len - 1]))
		len--;
	return mkslice(p, len);
}

/*
 * Next element of a comma-separated list (Connection, Transfer-Encoding):
 * its token, trimmed, without parameters. Skips empty elements. Returns false
 * at the end of @v.
 */
static bool next_token(struct dpi_slice v, size_t *pos, struct dpi_slice *tok)
{
	size_t i = *pos;

	while (i < v.len) {
		size_t s = i, e;

		while (i < v.len && v.p[i] != ',')
			i++;
		e = i;
		if (i < v.len)
			i++;
		for (size_t k = s; k < e; k++)
			if (v.p[k] == ';') {
				e = k;
				break;
			}
		*tok = trim(v.p + s, e - s);
		if (tok->len) {
			*pos = i;
			return true;
		}
	}
	*pos = i;
	return false;
}

/* Content-Length: one decimal, or a list of identical ones (RFC 9112 6.3).
 * Returns 0 (*dup set for a list), or -1. */
static int parse_cl(struct dpi_slice v, uint64_t *ret, bool *dup)
{
	size_t i = 0;
	bool have = false;
	uint64_t first = 0;

	for (;;) {
		uint64_t x = 0;
		size_t digits = 0;

		while (i < v.len && is_fws(v.p[i]))
			i++;
		while (i < v.len && is_digit(v.p[i])) {
			unsigned dg = v.p[i] - '0';

			if (x > (UINT64_MAX - dg) / 10)
				return -1;
			x = x * 10 + dg;
			i++;
			digits++;
		}
		if (!digits)
			return -1;
		while (i < v.len && is_fws(v.p[i]))
			i++;
		if (have) {
			if (x != first)
				return -1;
			*dup = true;
		}
		first = x;
		have = true;
		if (i == v.len)
			break;
		if (v.p[i] != ',')
			return -1;
		i++;
	}
	*ret = first;
	return 0;
}

/* ---- start lines ---- */

/* Split on runs of SP/HT into at most 3 words (RFC 9112 3: recipients may
 * parse on whitespace). Returns -1 if more than three. */
static int split3(const uint8_t *l, size_t n, struct words *ws)
{
	size_t i = 0;

	memset(ws, 0, sizeof(*ws));
	while (i < n) {
		size_t s, gap = 0;

		while (i < n && is_ows(l[i])) {
			if (l[i] != ' ')
				ws->lenient = true;
			i++;
			gap++;
		}
		if (gap > 1 || (gap && (ws->n == 0 || i == n)))
			ws->lenient = true;
		if (i == n)
			break;
		if (ws->n == 3)
			return -1;
		s = i;
		while (i < n && !is_ows(l[i]))
			i++;
		ws->w[ws->n++] = mkslice(l + s, i - s);
	}
	return 0;
}

/* "HTTP/1.x" -> 10 or 11; 0 if not HTTP/1. */
static unsigned parse_version(struct dpi_slice v)
{
	if (v.len != 8 || memcmp(v.p, "HTTP/1.", 7) != 0 || !is_digit(v.p[7]))
		return 0;
	return v.p[7] == '0' ? 10 : 11;
}

/* Request line: returns -1 if it is not one, 0 if fine, 1 if accepted with
 * irregular whitespace. */
int dpi_http_check_request_line(const uint8_t *l, size_t n, struct words *ws)
{
	if (split3(l, n, ws) < 0 || ws->n != 3)
		return -1;
	if (ws->w[0].len > DPI_HTTP_MAX_METHOD)
		return -1;
	for (size_t i = 0; i < ws->w[0].len; i++)
		if (!is_tchar(ws->w[0].p[i]))
			return -1;
	if (!parse_version(ws->w[2]))
		return -1;
	return ws->lenient ? 1 : 0;
}

/* Status line: "HTTP/1.x" SP 3DIGIT [SP reason]. Returns -1, 0 or 1 as
 * dpi_http_check_request_line(); *status and *reason filled on success. */
int dpi_http_check_status_line(const uint8_t *l, size_t n, unsigned *status,
			       struct dpi_slice *reason)
{
	size_t i = 8, sp = 0;
	int lenient = 0;

	if (n < 8 || !parse_version(mkslice(l, 8)))
		return -1;
	while (i < n && is_ows(l[i])) {
		if (l[i] != ' ')
			lenient = 1;
		i++;
		sp++;
	}
	if (sp == 0 || n - i < 3 || !is_digit(l[i]) || !is_digit(l[i + 1]) || !is_digit(l[i + 2]))
		return -1;
	if (sp > 1)
		lenient = 1;
	*status = (unsigned)(l[i] - '0') * 100 + (unsigned)(l[i + 1] - '0') * 10 +
		  (unsigned)(l[i + 2] - '0');
	if (*status < 100 || *status > 599)
		return -1;
	i += 3;
	*reason = mkslice(NULL, 0);
	if (i < n) {
		if (!is_ows(l[i]))
			return -1;
		*reason = mkslice(l + i + 1, n - i - 1);
	}
	return lenient;
}

/* ---- request target ---- */

void dpi_http_uri_flags_anom(struct dpi_http_state *st, unsigned flags)
{
	if (flags & DPI_URI_BAD_ESCAPE)
		dpi_http_anom(st, DPI_TO_SERVER, A_URI_ESCAPE);
	if (flags & DPI_URI_ENCODED_NUL)
		dpi_http_anom(st, DPI_TO_SERVER, A_URI_NUL);
	if (flags & DPI_URI_ABOVE_ROOT)
		dpi_http_anom(st, DPI_TO_SERVER, A_URI_ABOVE_ROOT);
	if (flags & DPI_URI_PARAM_LIMIT)
		dpi_http_anom(st, DPI_TO_SERVER, A_PARAM_LIMIT);
}

/* Split the target; normalise the path and decode the query into st->dec
 * (reserved by the caller). */
void dpi_http_parse_target(struct dpi_http_state *st, struct head_info *hi)
{
	struct dpi_http_request *rq = &st->req;
	struct dpi_slice u = rq->uri;
	struct dpi_uri_target t;
	unsigned flags = 0;
	uint8_t *out;

	for (size_t i = 0; i < u.len; i++)
		if (u.p[i] < 0x20 || u.p[i] == 0x7f) {
			dpi_http_anom(st, DPI_TO_SERVER, A_REQUEST_LINE);
			break;
		}
	if (rq->flags & DPI_HTTP_F_CONNECT) {
		hi->authority = u; /* authority-form: no path */
		return;
	}
	dpi_uri_split_target(u.p, u.len, &t);
	if (t.form == DPI_URI_ASTERISK) {
		static const uint8_t star[] = "*";

		rq->uri_norm = mkslice(star, 1);
		return;
	}
	if (t.form == DPI_URI_ABSOLUTE) {
		hi->authority = t.authority;
		rq->flags |= DPI_HTTP_F_ABSOLUTE_FORM;
	} else if (t.form == DPI_URI_OTHER) {
		/* Normalised as if it started with '/', and reported. */
		dpi_http_anom(st, DPI_TO_SERVER, A_REQUEST_LINE);
	}
	out = st->dec.p + st->dec_used;
	rq->uri_norm = mkslice(out, dpi_uri_normalize_path(t.path.p, t.path.len, out, &flags));
	st->dec_used += rq->uri_norm.len;
	if (t.has_query) {
		rq->query = t.query;
		out = st->dec.p + st->dec_used;
		rq->n_params = (uint32_t)dpi_uri_params(t.query.p, t.query.len, st->qparams,
							DPI_HTTP_MAX_PARAMS, out, &flags);
		rq->params = st->qparams;
		st->dec_used += t.query.len;
	}
	dpi_http_uri_flags_anom(st, flags);
}

/* Host as policies compare it, into st->dec. */
void dpi_http_set_hostname(struct dpi_http_state *st, struct dpi_slice h)
{
	uint8_t *out = st->dec.p + st->dec_used;
	size_t n = h.len ? dpi_uri_hostname(h.p, h.len, out) : 0;

	st->req.hostname = mkslice(out, n);
	st->dec_used += n;
}

/* ---- head ---- */

static void header_field(struct dpi_http_state *st, unsigned dir, struct head_info *hi,
			 const uint8_t *l, size_t colon, size_t end)
{
	struct http_dir *d = &st->d[dir];
	struct dpi_slice name, value;
	size_t ne = colon;
	bool dup = false;
	uint64_t cl = 0;

	while (ne && is_ows(l[ne - 1]))
		ne--;
	if (ne != colon)
		dpi_http_anom(st, dir, A_HEADER_INVALID); /* RFC 9112 5.1: must be rejected */
	name = mkslice(l, ne);
	if (!name.len) {
		dpi_http_anom(st, dir, A_HEADER_INVALID);
		return;
	}
	for (size_t i = 0; i < name.len; i++)
		if (!is_tchar(name.p[i])) {
			dpi_http_anom(st, dir, A_HEADER_INVALID);
			break;
		}
	value = trim(l + colon + 1, end - colon - 1);
	if (hi->n_headers < DPI_HTTP_MAX_HEADERS) {
		d->hdr[hi->n_headers].name = name;
		d->hdr[hi->n_headers].value = value;
		hi->n_headers++;
	} else {
		dpi_http_anom(st, dir, A_HEADER_LIMIT);
	}

	/* Framing fields count even past the storage cap: a Content-Length
	 * hidden behind 100 fields must not go unseen. */
	if (slice_ieq(name, "content-length")) {
		if (parse_cl(value, &cl, &dup) < 0 || (hi->cl_seen && cl != hi->cl)) {
			hi->cl_bad = true;
			dpi_http_anom(st, dir, A_CL_INVALID);
		} else if (dup || hi->cl_seen) {
			dpi_http_anom(st, dir, A_CL_DUPLICATE);
		}
		if (!hi->cl_seen && !hi->cl_bad)
			hi->cl = cl;
		hi->cl_seen = true;
	} else if (slice_ieq(name, "transfer-encoding")) {
		struct dpi_slice tok;
		size_t pos = 0;

		hi->te_seen = true;
		while (next_token(value, &pos, &tok)) {
			hi->te_last_chunked = slice_ieq(tok, "chunked");
			hi->te_chunked += hi->te_last_chunked;
		}
	} else if (slice_ieq(name, "connection")) {
		struct dpi_slice tok;
		size_t pos = 0;

		while (next_token(value, &pos, &tok)) {
			if (slice_ieq(tok, "close"))
				hi->conn_close = true;
			else if (slice_ieq(tok, "keep-alive"))
				hi->conn_keepalive = true;
		}
	} else if (slice_ieq(name, "content-type")) {
		struct dpi_slice *ct =
			dir == DPI_TO_SERVER ? &st->req.content_type : &st->resp.content_type;

		if (!ct->p)
			*ct = value;
	} else if (dir == DPI_TO_SERVER) {
		struct dpi_http_request *rq = &st->req;

		if (slice_ieq(name, "host")) {
			if (hi->host_seen)
				dpi_http_anom(st, dir, A_HOST_DUPLICATE);
			else
				rq->host = value;
			hi->host_seen = true;
		} else if (slice_ieq(name, "user-agent")) {
			if (!rq->user_agent.p)
				rq->user_agent = value;
		} else if (slice_ieq(name, "upgrade")) {
			if (!rq->upgrade.p)
				rq->upgrade = value;
			rq->flags |= DPI_HTTP_F_UPGRADE;
		} else if (slice_ieq(name, "expect")) {
			if (slice_ieq(value, "100-continue"))
				hi->expect_continue = true;
		}
	}
}

/* Control characters other than HT in a field line (CR is bare_cr's). */
bool dpi_http_has_ctl(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\r') || p[i] == 0x7f)
			return true;
	return false;
}

/*
 * Parse a complete head p[0..n) (it ends with the empty line's LF): the
 * start line into the view, the fields into d->hdr and @hi. Returns 0 or
 * -EBADMSG for a start line that isn't one.
 */
int dpi_http_parse_head(struct dpi_http_state *st, unsigned dir, const uint8_t *p, size_t n,
			struct head_info *hi)
{
	size_t pos = 0, cur = SIZE_MAX, cur_colon = 0, cur_end = 0;
	bool first = true;

	while (pos < n) {
		const uint8_t *lf = memchr(p + pos, '\n', n - pos);
		size_t e = (size_t)(lf - p), ce = e;

		if (ce > pos && p[ce - 1] == '\r')
			ce--;
		else
			dpi_http_anom(st, dir, A_BARE_LF);
		if (memchr(p + pos, '\r', ce - pos))
			dpi_http_anom(st, dir, A_BARE_CR);
		if (first) {
			struct words ws;
			unsigned status = 0;
			struct dpi_slice reason;
			int r;

			first = false;
			if (dir == DPI_TO_SERVER) {
				r = dpi_http_check_request_line(p + pos, ce - pos, &ws);
				if (r < 0) {
					dpi_http_anom(st, dir, A_REQUEST_LINE);
					return -EBADMSG;
				}
				st->req.method = ws.w[0];
				st->req.uri = ws.w[1];
				st->req.protocol = ws.w[2];
				hi->version = st->req.version = parse_version(ws.w[2]);
			} else {
				r = dpi_http_check_status_line(p + pos, ce - pos, &status, &reason);
				if (r < 0) {
					dpi_http_anom(st, dir, A_RESPONSE_LINE);
					return -EBADMSG;
				}
				st->resp.protocol = mkslice(p + pos, 8);
				st->resp.status = status;
				st->resp.reason = reason;
				hi->version = st->resp.version = parse_version(st->resp.protocol);
			}
			if (r > 0)
				dpi_http_anom(st, dir,
					      dir == DPI_TO_SERVER ? A_REQUEST_LINE : A_RESPONSE_LINE);
		} else if (ce == pos) {
			break; /* the empty line */
		} else if (is_ows(p[pos])) {
			/* obs-fold: continues the previous field's value; before
			 * any field it is ignored (RFC 9112 2.2). */
			dpi_http_anom(st, dir, A_OBS_FOLD);
			if (dpi_http_has_ctl(p + pos, ce - pos))
				dpi_http_anom(st, dir, A_HEADER_INVALID);
			if (cur != SIZE_MAX)
				cur_end = ce;
		} else {
			const uint8_t *colon;

			if (cur != SIZE_MAX)
				header_field(st, dir, hi, p + cur, cur_colon, cur_end - cur);
			cur = SIZE_MAX;
			colon = memchr(p + pos, ':', ce - pos);
			if (!colon) {
				dpi_http_anom(st, dir, A_HEADER_INVALID);
			} else {
				cur = pos;
				cur_colon = (size_t)(colon - p) - pos;
				cur_end = ce;
				if (dpi_http_has_ctl(colon + 1, ce - (size_t)(colon + 1 - p)))
					dpi_http_anom(st, dir, A_HEADER_INVALID);
			}
		}
		pos = e + 1;
	}
	if (cur != SIZE_MAX)
		header_field(st, dir, hi, p + cur, cur_colon, cur_end - cur);
	return 0;
}
