/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_pgsql.c - PostgreSQL protocol parser (see dpi_pgsql.h).
 *
 * Messages the parser reads are parsed in place once the caller holds all
 * of them; the rest are consumed as they stream. A step of the loop returns
 * the bytes it consumed, 0 when it needs more bytes, or -1 when the stream
 * is not PostgreSQL. A step that makes the direction opaque returns what it
 * consumed up to there; the loop hands the rest to on_tls/on_gssenc and
 * consumes it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_bigbuf.h"
#include "dpi_pgsql.h"

/* Largest message parsed in place: it must fit the caller's pending buffer. */
#define INLINE_MAX (DPI_MAX_PENDING - 1u)

enum { PH_STARTUP, PH_AWAIT_ANSWER, PH_TYPED, PH_OPAQUE };	/* dpi_pgsql_dir.phase */
enum { STREAM_SKIP, STREAM_COPY };

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void anomaly(const struct dpi_pgsql_cb *cb, void *ctx, const char *ev)
{
	if (cb && cb->on_anomaly)
		cb->on_anomaly(ctx, ev);
}

/* The NUL-terminated string at *@p (before @end); false without a NUL. */
static bool cstr(const uint8_t **p, const uint8_t *end, struct dpi_slice *ret)
{
	const uint8_t *nul = *p < end ? memchr(*p, 0, (size_t)(end - *p)) : NULL;

	if (!nul)
		return false;
	ret->p = *p;
	ret->len = (uint32_t)(nul - *p);
	*p = nul + 1;
	return true;
}

static void set_name(char *dst, uint16_t *dst_len, struct dpi_slice s,
		     const struct dpi_pgsql_cb *cb, void *ctx)
{
	uint32_t n = s.len;

	if (n > DPI_PGSQL_NAME_MAX) {
		anomaly(cb, ctx, "pgsql.name_too_long");
		n = DPI_PGSQL_NAME_MAX;
	}
	if (n)
		memcpy(dst, s.p, n);
	*dst_len = (uint16_t)n;
}

static bool slice_is(struct dpi_slice s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && !memcmp(s.p, lit, n);
}

/* The loop announces it with the rest of the call's bytes. */
static void go_encrypted(struct dpi_pgsql_state *st, unsigned dir, bool gss)
{
	st->d[dir].phase = PH_OPAQUE;
	st->d[dir].enc = gss ? 'G' : 'S';
}

/* ---- startup (client) -------------------------------------------------- */

static void startup(struct dpi_pgsql_state *st, const uint8_t *p, uint32_t n,
		    const struct dpi_pgsql_cb *cb, void *ctx)
{
	const uint8_t *cur = p + 8, *end = p + n;
	struct dpi_pgsql_startup s = {.protocol = be32(p + 4)};
	bool have_db = false, ok = true;

	/* key\0value\0 ... \0 */
	while (cur < end && *cur) {
		struct dpi_slice k, v;

		if (!cstr(&cur, end, &k) || !cstr(&cur, end, &v)) {
			ok = false;
			break;
		}
		if (slice_is(k, "user")) {
			s.user = v;
		} else if (slice_is(k, "database")) {
			s.database = v;
			have_db = true;
		} else if (slice_is(k, "application_name")) {
			s.application_name = v;
		} else if (slice_is(k, "options")) {
			s.options = v;
		} else if (slice_is(k, "replication")) {
			s.replication = v;
		}
	}
	if (!ok || cur >= end || cur + 1 != end || !s.user.len)
		anomaly(cb, ctx, "pgsql.malformed");
	if (!have_db || !s.database.len) {
		/* The server's default: the database named after the user. */
		s.database = s.user;
		s.database_defaulted = true;
	}
	st->protocol = s.protocol;
	set_name(st->user, &st->user_len, s.user, cb, ctx);
	set_name(st->db, &st->db_len, s.database, cb, ctx);
	if (cb && cb->on_startup)
		cb->on_startup(ctx, &s);
}

static bool startup_like(const uint8_t *p)
{
	uint32_t len = be32(p), code = be32(p + 4);

	if (len < 8 || len > DPI_PGSQL_MAX_STARTUP)
		return false;
	return code >> 16 == 3 || code == DPI_PGSQL_SSL_CODE || code == DPI_PGSQL_GSSENC_CODE ||
	       code == DPI_PGSQL_CANCEL_CODE;
}

static long step_startup(struct dpi_pgsql_state *st, const uint8_t *cur, size_t avail,
			 const struct dpi_pgsql_cb *cb, void *ctx)
{
	struct dpi_pgsql_dir *d = &st->d[DPI_TO_SERVER];
	uint32_t len, code;

	if (d->phase == PH_AWAIT_ANSWER) {
		uint8_t asked = st->req;

		if (st->answer == 'S' || st->answer == 'G') {
			go_encrypted(st, DPI_TO_SERVER, st->answer == 'G');
			return 0;
		}
		if (st->answer != 'N') {
			/* The answer has not been seen: what the client sends
			 * next tells. */
			if (cur[0] == 0x16) {
				go_encrypted(st, DPI_TO_SERVER, false);
				return 0;
			}
			if (avail < 8)
				return 0;
			if (!startup_like(cur)) {
				go_encrypted(st, DPI_TO_SERVER, asked == 'G');
				return 0;
			}
		}
		d->phase = PH_STARTUP;
	}
	if (cur[0] == 0x16) {
		/* A TLS record where a length should be: direct SSL. */
		st->client_tls = true;
		go_encrypted(st, DPI_TO_SERVER, false);
		return 0;
	}
	if (avail < 8)
		return 0;
	len = be32(cur);
	code = be32(cur + 4);
	if (len < 8 || len > DPI_PGSQL_MAX_STARTUP) {
		anomaly(cb, ctx, "pgsql.length_invalid");
		return -1;
	}
	if (code == DPI_PGSQL_SSL_CODE || code == DPI_PGSQL_GSSENC_CODE) {
		if (len != 8) {
			anomaly(cb, ctx, "pgsql.length_invalid");
			return -1;
		}
		st->req = code == DPI_PGSQL_SSL_CODE ? 'S' : 'G';
		st->answer = 0;
		d->phase = PH_AWAIT_ANSWER;
		return 8;
	}
	if (avail < len)
		return 0;
	if (code == DPI_PGSQL_CANCEL_CODE) {
		if (len < 16) {
			anomaly(cb, ctx, "pgsql.length_invalid");
			return -1;
		}
		if (cb && cb->on_cancel)
			cb->on_cancel(ctx, be32(cur + 8));
		/* Nothing follows a cancel on its connection. */
		d->phase = PH_OPAQUE;
		return len;
	}
	if (code >> 16 == 2) {
		anomaly(cb, ctx, "pgsql.protocol_unsupported");
		return -1;
	}
	if (code >> 16 != 3) {
		anomaly(cb, ctx, "pgsql.malformed");
		return -1;
	}
	startup(st, cur, len, cb, ctx);
	st->req = 0;
	d->phase = PH_TYPED;
	return len;
}

/* ---- typed messages ---------------------------------------------------- */

static bool client_type(uint8_t t)
{
	return t && strchr("QPBESXpDCHFdcf", t);
}

static bool server_type(uint8_t t)
{
	return t && strchr("RKSZTDCENI123ntsAGHWdcVv", t);
}

/* Types whose payload the parser reads (the rest stream). */
static bool wanted(unsigned dir, uint8_t t)
{
	if (dir == DPI_TO_SERVER)
		return t == 'Q' || t == 'P';
	return t == 'E' || t == 'R' || t == 'C' || t == 'Z';
}

static void report_query(struct dpi_pgsql_state *st, uint8_t type, const uint8_t *p, uint32_t n,
			 bool truncated, const struct dpi_pgsql_cb *cb, void *ctx)
{
	const uint8_t *cur = p, *end = p + n;
	struct dpi_pgsql_query q = {
		.user = {(const uint8_t *)st->user, st->user_len},
		.database = {(const uint8_t *)st->db, st->db_len},
		.truncated = truncated,
	};

	if (type == 'Q') {
		q.kind = DPI_PGSQL_SIMPLE;
		if (!cstr(&cur, end, &q.text)) {
			/* No NUL: cut short (truncated), or broken. */
			q.text.p = p;
			q.text.len = n;
			if (!truncated)
				anomaly(cb, ctx, "pgsql.malformed");
		} else if (cur != end) {
			anomaly(cb, ctx, "pgsql.malformed");
		}
	} else {
		q.kind = DPI_PGSQL_PARSE;
		if (!cstr(&cur, end, &q.statement)) {
			anomaly(cb, ctx,
				truncated ? "pgsql.statement_truncated" : "pgsql.malformed");
			return;
		}
		if (!cstr(&cur, end, &q.text)) {
			q.text.p = cur;
			q.text.len = (uint32_t)(end - cur);
			if (!truncated)
				anomaly(cb, ctx, "pgsql.malformed");
		} else if (end - cur >= 2) {
			q.param_types = (uint16_t)(cur[0] << 8 | cur[1]);
			if ((size_t)(end - cur) != 2u + 4u * q.param_types && !truncated)
				anomaly(cb, ctx, "pgsql.malformed");
		} else if (!truncated) {
			anomaly(cb, ctx, "pgsql.malformed");
		}
	}
	if (truncated)
		anomaly(cb, ctx, "pgsql.statement_truncated");
	if (cb && cb->on_query)
		cb->on_query(ctx, &q);
}

static void server_error(struct dpi_pgsql_state *st, const uint8_t *p, uint32_t n,
			 const struct dpi_pgsql_cb *cb, void *ctx)
{
	const uint8_t *cur = p, *end = p + n;
	struct dpi_pgsql_error e = {.during_startup = !st->ready};
	struct dpi_slice sev = {NULL, 0};

	while (cur < end && *cur) {
		uint8_t f = *cur++;
		struct dpi_slice v;

		if (!cstr(&cur, end, &v)) {
			anomaly(cb, ctx, "pgsql.malformed");
			return;
		}
		switch (f) {
		case 'S': sev = v; break;
		case 'V': e.severity = v; break;
		case 'C': e.code = v; break;
		case 'M': e.message = v; break;
		case 'D': e.detail = v; break;
		default: break;
		}
	}
	if (cur >= end || cur + 1 != end)
		anomaly(cb, ctx, "pgsql.malformed");
	if (!e.severity.len)
		e.severity = sev;
	if (cb && cb->on_error)
		cb->on_error(ctx, &e);
}

/* A whole message the parser reads: @p[0..n) is its payload. */
static void message(struct dpi_pgsql_state *st, unsigned dir, uint8_t type, const uint8_t *p,
		    uint32_t n, bool truncated, const struct dpi_pgsql_cb *cb, void *ctx)
{
	struct dpi_slice tag;
	const uint8_t *cur = p;

	if (dir == DPI_TO_SERVER) {
		report_query(st, type, p, n, truncated, cb, ctx);
		return;
	}
	switch (type) {
	case 'E':
		server_error(st, p, n, cb, ctx);
		break;
	case 'R':
		if (n < 4) {
			anomaly(cb, ctx, "pgsql.malformed");
			break;
		}
		if (cb && cb->on_auth)
			cb->on_auth(ctx, be32(p));
		break;
	case 'C':
		if (!cstr(&cur, p + n, &tag) || cur != p + n) {
			anomaly(cb, ctx, "pgsql.malformed");
			break;
		}
		if (cb && cb->on_complete)
			cb->on_complete(ctx, tag);
		break;
	case 'Z':
		if (n != 1) {
			anomaly(cb, ctx, "pgsql.malformed");
			break;
		}
		st->ready = true;
		if (cb && cb->on_ready)
			cb->on_ready(ctx, p[0]);
		break;
	default:
		break;
	}
}

/* Messages of a fixed length (the length field, including itself). */
static uint32_t fixed_len(unsigned dir, uint8_t t)
{
	if (dir == DPI_TO_SERVER)
		return strchr("SXHc", t) ? 4 : 0;
	return t == 'Z' ? 5 : 0;
}

static long step_typed(struct dpi_pgsql_state *st, unsigned dir, const uint8_t *cur, size_t avail,
		       const struct dpi_pgsql_cb *cb, void *ctx)
{
	struct dpi_pgsql_dir *d = &st->d[dir];
	uint8_t type = cur[0];
	uint32_t len, fixed;

	if (avail < 5)
		return 0;
	len = be32(cur + 1);
	if (!(dir == DPI_TO_SERVER ? client_type(type) : server_type(type))) {
		anomaly(cb, ctx, "pgsql.malformed");
		return -1;
	}
	if (len < 4 || len > DPI_PGSQL_MAX_MESSAGE) {
		anomaly(cb, ctx, "pgsql.length_invalid");
		return -1;
	}
	fixed = fixed_len(dir, type);
	if (wanted(dir, type)) {
		if (len <= INLINE_MAX - 1) {
			if (avail < 1u + len)
				return 0;
			if (cb && cb->on_message)
				cb->on_message(ctx, dir, type, len);
			message(st, dir, type, cur + 5, len - 4, false, cb, ctx);
			return 1 + (long)len;
		}
		d->type = type;
		d->left = len - 4;
		if (dir == DPI_TO_SERVER) {
			d->stream = STREAM_COPY;
		} else {
			anomaly(cb, ctx, "pgsql.message_too_large");
			d->stream = STREAM_SKIP;
		}
	} else {
		if (fixed && len != fixed)
			anomaly(cb, ctx, "pgsql.malformed");
		d->stream = STREAM_SKIP;
		d->left = len - 4;
	}
	if (cb && cb->on_message)
		cb->on_message(ctx, dir, type, len);
	if (dir == DPI_TO_SERVER && type == 'X')
		d->phase = PH_OPAQUE;	/* Terminate: nothing should follow */
	return 5;
}

/* The server's first bytes: maybe the one-byte answer to a request. */
static long step_server_start(struct dpi_pgsql_state *st, const uint8_t *cur, size_t avail,
			      const struct dpi_pgsql_cb *cb, void *ctx)
{
	struct dpi_pgsql_dir *d = &st->d[DPI_TO_CLIENT];
	uint8_t b = cur[0];

	if (st->client_tls) {
		go_encrypted(st, DPI_TO_CLIENT, false);
		return 0;
	}
	if (b == 'S' || b == 'G') {
		/* ParameterStatus never opens the conversation: an answer. */
		st->answer = b;
		st->req = 0;
		go_encrypted(st, DPI_TO_CLIENT, b == 'G');
		return 1;
	}
	if (b == 'N') {
		if (!st->req) {
			uint32_t len;

			if (avail < 5)
				return 0;
			len = be32(cur + 1);
			if (len >= 4 && len <= DPI_PGSQL_MAX_STARTUP) {
				d->phase = PH_TYPED;	/* a NoticeResponse */
				return step_typed(st, DPI_TO_CLIENT, cur, avail, cb, ctx);
			}
		}
		st->answer = 'N';
		st->req = 0;
		return 1;
	}
	d->phase = PH_TYPED;
	return step_typed(st, DPI_TO_CLIENT, cur, avail, cb, ctx);
}

/* ---- streaming --------------------------------------------------------- */

static void big_free(struct dpi_pgsql_state *st)
{
	dpi_bigbuf_free(&st->big, &st->big_len, &st->big_cap, &st->big_truncated);
}

static void big_append(struct dpi_pgsql_state *st, const uint8_t *p, uint32_t n)
{
	dpi_bigbuf_append(&st->big, &st->big_len, &st->big_cap, &st->big_truncated,
			  DPI_PGSQL_MAX_STATEMENT, p, n);
}

int dpi_pgsql_parse(struct dpi_pgsql_state *st, unsigned dir, const uint8_t *buf, size_t len,
		    const struct dpi_pgsql_cb *cb, void *ctx)
{
	const uint8_t *cur = buf, *end;
	struct dpi_pgsql_dir *d;

	if (st->failed)
		return -EBADMSG;
	if (dir > DPI_TO_CLIENT)
		return -EINVAL;
	if (len > DPI_MAX_PENDING * 16u)
		len = DPI_MAX_PENDING * 16u;	/* keeps the int return exact */
	end = buf + len;
	d = &st->d[dir];
	if (d->phase == PH_OPAQUE)
		return (int)len;
	while (cur < end && d->phase != PH_OPAQUE) {
		size_t avail = (size_t)(end - cur);
		long r;

		if (d->left) {
			uint32_t n = avail < d->left ? (uint32_t)avail : d->left;

			if (d->stream == STREAM_COPY)
				big_append(st, cur, n);
			cur += n;
			d->left -= n;
			if (!d->left && d->stream == STREAM_COPY) {
				message(st, dir, d->type, st->big ? st->big : cur, st->big_len,
					st->big_truncated || !st->big, cb, ctx);
				big_free(st);
				d->stream = STREAM_SKIP;
			}
			continue;
		}
		if (dir == DPI_TO_SERVER)
			r = d->phase == PH_TYPED ? step_typed(st, dir, cur, avail, cb, ctx)
						 : step_startup(st, cur, avail, cb, ctx);
		else
			r = d->phase == PH_TYPED ? step_typed(st, dir, cur, avail, cb, ctx)
						 : step_server_start(st, cur, avail, cb, ctx);
		if (r < 0) {
			st->failed = true;
			big_free(st);
			return -EBADMSG;
		}
		cur += r;
		if (d->phase == PH_OPAQUE) {
			void (*fn)(void *, unsigned, const uint8_t *, size_t) = NULL;

			if (cb && d->enc == 'S')
				fn = cb->on_tls;
			else if (cb && d->enc == 'G')
				fn = cb->on_gssenc;
			if (fn)
				fn(ctx, dir, cur, (size_t)(end - cur));
			return (int)len;
		}
		if (r == 0)
			break;
	}
	return (int)(cur - buf);
}

void dpi_pgsql_init(struct dpi_pgsql_state *st)
{
	memset(st, 0, sizeof(*st));
}

void dpi_pgsql_fini(struct dpi_pgsql_state *st)
{
	if (st)
		big_free(st);
}

bool dpi_pgsql_opaque(const struct dpi_pgsql_state *st, unsigned dir)
{
	return dir <= DPI_TO_CLIENT && st->d[dir].phase == PH_OPAQUE;
}

bool dpi_pgsql_probe(const uint8_t *buf, size_t len)
{
	uint32_t n, code;

	if (len < 8)
		return false;
	n = be32(buf);
	code = be32(buf + 4);
	if (code == DPI_PGSQL_SSL_CODE || code == DPI_PGSQL_GSSENC_CODE)
		return n == 8;
	if (code == DPI_PGSQL_CANCEL_CODE)
		return n >= 16 && n <= 8 + 4 + 256;
	if (code >> 16 != 3 || (code & 0xffff) > 0xff || n < 9 || n > DPI_PGSQL_MAX_STARTUP)
		return false;
	/* The first parameter name, when present: printable ASCII. */
	return len == 8 || (buf[8] > 0x20 && buf[8] < 0x7f);
}
