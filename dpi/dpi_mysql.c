/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_mysql.c - MySQL / MariaDB protocol parser (see dpi_mysql.h).
 *
 * Each direction walks packets. A packet whose payload the parser must read
 * (greeting, handshake, the first packet of a response, OK/ERR/EOF, the
 * commands that carry text) is parsed in place once the caller holds all of
 * it; anything else is consumed as it streams, so rows and blobs are never
 * buffered. Sequence ids are one counter across both directions: a command
 * restarts it at 0 and every later packet of the exchange, in either
 * direction, must carry the next value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dpi_bigbuf.h"
#include "dpi_mysql.h"

#define MAX_PAYLOAD 0xffffffu
/* Largest packet parsed in place: it must fit the caller's pending buffer. */
#define INLINE_MAX (DPI_MAX_PENDING - 4u)

#define SERVER_MORE_RESULTS_EXISTS 0x0008u
#define SERVER_SESSION_STATE_CHANGED 0x4000u
#define SESSION_TRACK_SCHEMA 1u

enum { PH_START, PH_AUTH, PH_COMMAND, PH_OPAQUE };	/* dpi_mysql_dir.phase */
enum { STREAM_SKIP, STREAM_COPY };			/* dpi_mysql_dir.stream */

/* Where the server's answer to the current command stands (state.resp). */
enum {
	R_NONE,		/* nothing expected */
	R_FIRST,	/* OK, ERR, LOCAL INFILE request or a column count */
	R_COLS,		/* column definitions, resp_cols left */
	R_COLS_EOF,	/* the EOF after the column definitions */
	R_ROWS,		/* rows until EOF/OK or ERR */
	R_AUTH,		/* COM_CHANGE_USER: an authentication exchange */
	R_OTHER,	/* not tracked: only ERR packets are looked at */
};

/* A bounded reader over one payload. */
struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static bool rd_has(struct rd *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return false;
	}
	return true;
}

static uint64_t rd_uint(struct rd *r, unsigned n)
{
	uint64_t v = 0;

	if (!rd_has(r, n))
		return 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static void rd_skip(struct rd *r, uint64_t n)
{
	if (!rd_has(r, 0) || (uint64_t)(r->end - r->p) < n) {
		r->bad = true;
		return;
	}
	r->p += n;
}

/* Length-encoded integer. 0xfb (NULL) and 0xff are errors here. */
static uint64_t rd_lenenc(struct rd *r)
{
	uint8_t b;

	if (!rd_has(r, 1))
		return 0;
	b = *r->p++;
	if (b < 0xfb)
		return b;
	if (b == 0xfc)
		return rd_uint(r, 2);
	if (b == 0xfd)
		return rd_uint(r, 3);
	if (b == 0xfe)
		return rd_uint(r, 8);
	r->bad = true;
	return 0;
}

/* Failed reads give an empty slice at the cursor, never a NULL pointer that
 * later arithmetic would trip on. */
static struct dpi_slice rd_bytes(struct rd *r, uint64_t n)
{
	struct dpi_slice s = {r->p, 0};

	if (!rd_has(r, 0) || (uint64_t)(r->end - r->p) < n) {
		r->bad = true;
		return s;
	}
	s.p = r->p;
	s.len = (uint32_t)n;
	r->p += n;
	return s;
}

static struct dpi_slice rd_lenenc_str(struct rd *r)
{
	uint64_t n = rd_lenenc(r);

	return rd_bytes(r, n);
}

/* NUL-terminated string; without the NUL, the rest of the payload is the
 * string only if @eof_ok (some fields end at the packet end). */
static struct dpi_slice rd_cstr(struct rd *r, bool eof_ok)
{
	struct dpi_slice s = {r->p, 0};
	const uint8_t *nul;

	if (!rd_has(r, 0))
		return s;
	nul = memchr(r->p, 0, (size_t)(r->end - r->p));
	s.p = r->p;
	if (nul) {
		s.len = (uint32_t)(nul - r->p);
		r->p = nul + 1;
	} else if (eof_ok) {
		s.len = (uint32_t)(r->end - r->p);
		r->p = r->end;
	} else {
		s.len = 0;
		r->bad = true;
	}
	return s;
}

static uint32_t le24(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static void anomaly(const struct dpi_mysql_cb *cb, void *ctx, const char *ev)
{
	if (cb && cb->on_anomaly)
		cb->on_anomaly(ctx, ev);
}

/* The capabilities both ends agreed on (the client's alone if the greeting
 * was not seen). */
static uint32_t caps(const struct dpi_mysql_state *st)
{
	return st->have_greeting ? st->client_caps & st->server_caps : st->client_caps;
}

static void set_name(char *dst, uint16_t *dst_len, struct dpi_slice s,
		     const struct dpi_mysql_cb *cb, void *ctx)
{
	uint32_t n = s.len;

	if (n > DPI_MYSQL_NAME_MAX) {
		anomaly(cb, ctx, "mysql.name_too_long");
		n = DPI_MYSQL_NAME_MAX;
	}
	if (n)
		memcpy(dst, s.p, n);
	*dst_len = (uint16_t)n;
}

static struct dpi_slice name_slice(const char *s, uint16_t len)
{
	struct dpi_slice r = {(const uint8_t *)s, len};

	return r;
}

/* The sequence id of a packet that continues the current exchange. */
static void seq_next(struct dpi_mysql_state *st, uint8_t seq, const struct dpi_mysql_cb *cb,
		     void *ctx)
{
	if (st->seq_valid && seq != (uint8_t)(st->seq + 1))
		anomaly(cb, ctx, "mysql.seq_invalid");
	st->seq = seq;
	st->seq_valid = true;
}

static void go_opaque(struct dpi_mysql_state *st, unsigned dir)
{
	st->d[dir].phase = PH_OPAQUE;
}

/* ---- server packets ---------------------------------------------------- */

static void report_response(struct dpi_mysql_state *st, int kind, uint64_t affected, uint16_t code,
			    const struct dpi_mysql_cb *cb, void *ctx)
{
	struct dpi_mysql_response r = {
		.kind = (enum dpi_mysql_response_kind)kind,
		.command = st->login_pending ? 0xff : st->cmd,
		.affected_rows = affected,
		.rows = st->resp_rows,
		.error_code = code,
	};

	if (cb && cb->on_response)
		cb->on_response(ctx, &r);
}

static void server_err(struct dpi_mysql_state *st, const uint8_t *p, uint32_t n,
		       const struct dpi_mysql_cb *cb, void *ctx)
{
	struct rd r = {p + 1, p + n, false};
	struct dpi_mysql_error e = {0};

	e.code = (uint16_t)rd_uint(&r, 2);
	if (r.bad) {
		anomaly(cb, ctx, "mysql.malformed");
		return;
	}
	/* "#" and a five-character SQLSTATE precede the message since 4.1. */
	if (r.end - r.p >= 6 && r.p[0] == '#') {
		e.sqlstate.p = r.p + 1;
		e.sqlstate.len = 5;
		r.p += 6;
	}
	e.message.p = r.p;
	e.message.len = (uint32_t)(r.end - r.p);
	e.during_login = st->login_pending;
	if (cb && cb->on_error)
		cb->on_error(ctx, &e);
	report_response(st, DPI_MYSQL_RESP_ERR, 0, e.code, cb, ctx);
	if (st->db_change_pending && st->cmd == DPI_MYSQL_COM_INIT_DB)
		st->db_change_pending = false;
	st->resp = R_NONE;
}

/* OK packet (or an EOF-marked OK with CLIENT_DEPRECATE_EOF). Returns the
 * status flags; follows a schema change the server reports. */
static uint16_t server_ok(struct dpi_mysql_state *st, const uint8_t *p, uint32_t n,
			  bool resultset_end, const struct dpi_mysql_cb *cb, void *ctx)
{
	struct rd r = {p + 1, p + n, false};
	uint64_t affected;
	uint16_t status = 0;

	affected = rd_lenenc(&r);
	(void)rd_lenenc(&r);
	if (caps(st) & DPI_MYSQL_CLIENT_PROTOCOL_41) {
		status = (uint16_t)rd_uint(&r, 2);
		rd_skip(&r, 2);
	}
	if (r.bad) {
		anomaly(cb, ctx, "mysql.malformed");
		return 0;
	}
	if (st->db_change_pending && st->cmd == DPI_MYSQL_COM_INIT_DB && !st->login_pending) {
		memcpy(st->db, st->pending_db, st->pending_db_len);
		st->db_len = st->pending_db_len;
		st->db_change_pending = false;
	}
	if ((caps(st) & DPI_MYSQL_CLIENT_SESSION_TRACK) && r.p < r.end) {
		(void)rd_lenenc_str(&r);	/* info */
		if ((status & SERVER_SESSION_STATE_CHANGED) && !r.bad) {
			struct dpi_slice all = rd_lenenc_str(&r);
			struct rd s = {all.p, all.p + all.len, r.bad};

			while (!s.bad && s.p < s.end) {
				uint8_t type = (uint8_t)rd_uint(&s, 1);
				struct dpi_slice data = rd_lenenc_str(&s);

				if (!s.bad && type == SESSION_TRACK_SCHEMA) {
					struct rd d = {data.p, data.p + data.len, false};
					struct dpi_slice db = rd_lenenc_str(&d);

					if (!d.bad)
						set_name(st->db, &st->db_len, db, cb, ctx);
				}
			}
			if (s.bad)
				anomaly(cb, ctx, "mysql.malformed");
		}
	}
	report_response(st, resultset_end ? DPI_MYSQL_RESP_RESULTSET : DPI_MYSQL_RESP_OK,
			affected, 0, cb, ctx);
	return status;
}

static void server_greeting(struct dpi_mysql_state *st, const uint8_t *p, uint32_t n,
			    const struct dpi_mysql_cb *cb, void *ctx)
{
	struct rd r = {p, p + n, false};
	struct dpi_mysql_greeting g = {0};
	uint8_t auth_len;

	g.protocol = (uint8_t)rd_uint(&r, 1);
	g.server_version = rd_cstr(&r, false);
	g.connection_id = (uint32_t)rd_uint(&r, 4);
	rd_skip(&r, 9);		/* auth data part 1, filler */
	g.capabilities = (uint32_t)rd_uint(&r, 2);
	if (r.bad) {
		anomaly(cb, ctx, "mysql.malformed");
		return;
	}
	if (r.p < r.end) {
		rd_skip(&r, 3);	/* charset, status */
		g.capabilities |= (uint32_t)rd_uint(&r, 2) << 16;
		auth_len = (uint8_t)rd_uint(&r, 1);
		rd_skip(&r, 10);
		if (g.capabilities & DPI_MYSQL_CLIENT_SECURE_CONNECTION)
			rd_skip(&r, auth_len > 21 ? auth_len - 8u : 13u);
		if (g.capabilities & DPI_MYSQL_CLIENT_PLUGIN_AUTH)
			g.auth_plugin = rd_cstr(&r, true);
		if (r.bad) {
			/* The fixed part was fine: report what we have. */
			anomaly(cb, ctx, "mysql.malformed");
			g.auth_plugin.p = NULL;
			g.auth_plugin.len = 0;
		}
	}
	st->server_caps = g.capabilities;
	st->have_greeting = true;
	if (cb && cb->on_greeting)
		cb->on_greeting(ctx, &g);
}

/* Authentication exchange (after the handshake response or COM_CHANGE_USER). */
static void server_auth(struct dpi_mysql_state *st, const uint8_t *p, uint32_t n,
			const struct dpi_mysql_cb *cb, void *ctx)
{
	switch (n ? p[0] : 0xfd) {
	case 0x00:
		server_ok(st, p, n, false, cb, ctx);
		st->login_pending = false;
		st->resp = R_NONE;
		st->d[DPI_TO_CLIENT].phase = PH_COMMAND;
		break;
	case 0xff:
		server_err(st, p, n, cb, ctx);
		break;
	case 0xfe:	/* auth switch request */
	case 0x01:	/* more data */
		break;
	default:
		anomaly(cb, ctx, "mysql.malformed");
		break;
	}
}

/* Does the response state need this server packet whole? @first is its first
 * byte. */
static bool server_needs_whole(const struct dpi_mysql_state *st, uint8_t first, uint32_t plen)
{
	if (first == 0xff)
		return true;
	switch (st->resp) {
	case R_FIRST:
	case R_COLS_EOF:
	case R_AUTH:
		return true;
	case R_ROWS:
		return first == 0xfe && plen < MAX_PAYLOAD;
	default:
		return false;
	}
}

/* A whole server packet of the command phase. */
static void server_response(struct dpi_mysql_state *st, const uint8_t *p, uint32_t n,
			    const struct dpi_mysql_cb *cb, void *ctx)
{
	uint8_t b = n ? p[0] : 0;
	bool deprecate_eof = caps(st) & DPI_MYSQL_CLIENT_DEPRECATE_EOF;

	if (st->resp == R_AUTH) {
		server_auth(st, p, n, cb, ctx);
		return;
	}
	if (n && b == 0xff) {
		server_err(st, p, n, cb, ctx);
		return;
	}
	switch (st->resp) {
	case R_FIRST:
		if (n == 0) {
			anomaly(cb, ctx, "mysql.malformed");
			st->resp = R_OTHER;
		} else if (b == 0x00) {
			if (st->cmd == DPI_MYSQL_COM_STMT_PREPARE) {
				/* stmt id, counts; parameter and column definitions follow. */
				report_response(st, DPI_MYSQL_RESP_OK, 0, 0, cb, ctx);
				st->resp = R_OTHER;
			} else {
				uint16_t status = server_ok(st, p, n, false, cb, ctx);

				st->resp = status & SERVER_MORE_RESULTS_EXISTS ? R_FIRST : R_NONE;
			}
		} else if (b == 0xfb) {
			/* LOCAL INFILE request: the client streams the file, then the
			 * server answers with OK or ERR. */
			st->resp = R_FIRST;
		} else {
			struct rd r = {p, p + n, false};

			st->resp_cols = rd_lenenc(&r);
			st->resp_rows = 0;
			if (r.bad || st->resp_cols == 0) {
				anomaly(cb, ctx, "mysql.malformed");
				st->resp = R_OTHER;
			} else if (r.p < r.end && *r.p == 0) {
				/* metadata_follows = 0 (MySQL's optional metadata,
				 * MariaDB's cached metadata): no column definitions. */
				st->resp = deprecate_eof ? R_ROWS : R_COLS_EOF;
			} else {
				st->resp = R_COLS;
			}
		}
		break;
	case R_COLS:
		if (--st->resp_cols == 0)
			st->resp = deprecate_eof ? R_ROWS : R_COLS_EOF;
		break;
	case R_COLS_EOF:
		if (b != 0xfe)
			anomaly(cb, ctx, "mysql.malformed");
		st->resp = R_ROWS;
		break;
	case R_ROWS:
		if (b == 0xfe && (deprecate_eof ? n < MAX_PAYLOAD : n < 9)) {
			uint16_t status = 0;

			if (deprecate_eof) {
				status = server_ok(st, p, n, true, cb, ctx);
			} else {
				struct rd r = {p + 1, p + n, false};

				if (caps(st) & DPI_MYSQL_CLIENT_PROTOCOL_41) {
					rd_skip(&r, 2);
					status = (uint16_t)rd_uint(&r, 2);
				}
				report_response(st, DPI_MYSQL_RESP_RESULTSET, 0, 0, cb, ctx);
			}
			st->resp = status & SERVER_MORE_RESULTS_EXISTS ? R_FIRST : R_NONE;
		} else {
			st->resp_rows++;
		}
		break;
	default:
		break;
	}
}

/* ---- client packets ---------------------------------------------------- */

static void report_query(struct dpi_mysql_state *st, enum dpi_mysql_query_kind kind,
			 const uint8_t *text, uint32_t len, bool truncated,
			 const struct dpi_mysql_cb *cb, void *ctx)
{
	struct dpi_mysql_query q = {
		.kind = kind,
		.text = {text, len},
		.truncated = truncated,
		.user = name_slice(st->user, st->user_len),
		.database = name_slice(st->db, st->db_len),
	};

	if (truncated)
		anomaly(cb, ctx, "mysql.statement_truncated");
	if (cb && cb->on_query)
		cb->on_query(ctx, &q);
}

/* Size in the binary protocol of a value of column type @type: a fixed size,
 * or -1 for a length-encoded string (also right for the date and time types,
 * whose one-byte length is a short lenenc). */
static int binary_size(uint8_t type)
{
	switch (type) {
	case 6:		/* NULL */
		return 0;
	case 1:		/* TINY */
		return 1;
	case 2:		/* SHORT */
	case 13:	/* YEAR */
		return 2;
	case 3:		/* LONG */
	case 4:		/* FLOAT */
	case 9:		/* INT24 */
		return 4;
	case 5:		/* DOUBLE */
	case 8:		/* LONGLONG */
		return 8;
	default:
		return -1;
	}
}

/* Skips the query attributes in front of a COM_QUERY's text (r->p after the
 * command byte). False when they cannot be parsed. */
static bool skip_query_attrs(struct rd *r)
{
	uint8_t types[DPI_MYSQL_MAX_QUERY_ATTRS];
	const uint8_t *nulls;
	uint64_t n = rd_lenenc(r);

	(void)rd_lenenc(r);	/* parameter set count, always 1 */
	if (r->bad || n > DPI_MYSQL_MAX_QUERY_ATTRS)
		return false;
	if (n == 0)
		return true;
	if (!rd_has(r, (n + 7) / 8 + 1))
		return false;
	nulls = r->p;
	r->p += (n + 7) / 8;
	if (*r->p++ != 1)	/* new_params_bind_flag: types must follow */
		return false;
	for (uint64_t i = 0; i < n; i++) {
		types[i] = (uint8_t)rd_uint(r, 2);
		(void)rd_lenenc_str(r);	/* name */
	}
	for (uint64_t i = 0; i < n && !r->bad; i++) {
		int sz;

		if (nulls[i / 8] & (1u << (i % 8)))
			continue;
		sz = binary_size(types[i]);
		if (sz >= 0)
			rd_skip(r, (uint64_t)sz);
		else
			(void)rd_lenenc_str(r);
	}
	return !r->bad;
}

static void client_change_user(struct dpi_mysql_state *st, const uint8_t *p, uint32_t n,
			       const struct dpi_mysql_cb *cb, void *ctx)
{
	struct rd r = {p + 1, p + n, false};
	struct dpi_mysql_login l = {.change_user = true, .capabilities = st->client_caps};

	l.user = rd_cstr(&r, false);
	if (st->client_caps & DPI_MYSQL_CLIENT_SECURE_CONNECTION)
		(void)rd_bytes(&r, rd_uint(&r, 1));
	else
		(void)rd_cstr(&r, true);
	if (r.p < r.end)
		l.database = rd_cstr(&r, true);
	if (r.p + 2 <= r.end) {
		l.charset = (uint8_t)rd_uint(&r, 2);
		if (st->client_caps & DPI_MYSQL_CLIENT_PLUGIN_AUTH)
			l.auth_plugin = rd_cstr(&r, true);
	}
	if (r.bad) {
		anomaly(cb, ctx, "mysql.malformed");
		return;
	}
	set_name(st->user, &st->user_len, l.user, cb, ctx);
	set_name(st->db, &st->db_len, l.database, cb, ctx);
	st->db_change_pending = false;
	st->login_pending = true;
	if (cb && cb->on_login)
		cb->on_login(ctx, &l);
}

/* A whole command payload @p[0..n) (n >= 1), in place or reassembled. */
static void client_command(struct dpi_mysql_state *st, const uint8_t *p, uint32_t n, bool truncated,
			   const struct dpi_mysql_cb *cb, void *ctx)
{
	struct rd r = {p + 1, p + n, false};
	struct dpi_slice text;

	switch (p[0]) {
	case DPI_MYSQL_COM_QUERY:
		if ((caps(st) & DPI_MYSQL_CLIENT_QUERY_ATTRIBUTES) && !skip_query_attrs(&r)) {
			/* A truncated payload may cut the attributes short too. */
			anomaly(cb, ctx,
				truncated ? "mysql.statement_truncated" : "mysql.malformed");
			return;
		}
		report_query(st, DPI_MYSQL_QUERY, r.p, (uint32_t)(r.end - r.p), truncated, cb, ctx);
		break;
	case DPI_MYSQL_COM_STMT_PREPARE:
		report_query(st, DPI_MYSQL_PREPARE, r.p, (uint32_t)(r.end - r.p), truncated, cb,
			     ctx);
		break;
	case DPI_MYSQL_COM_INIT_DB:
		text.p = r.p;
		text.len = (uint32_t)(r.end - r.p);
		report_query(st, DPI_MYSQL_INIT_DB, text.p, text.len, truncated, cb, ctx);
		/* The database changes when the server says OK. */
		set_name(st->pending_db, &st->pending_db_len, text, cb, ctx);
		st->db_change_pending = true;
		break;
	case DPI_MYSQL_COM_CHANGE_USER:
		client_change_user(st, p, n, cb, ctx);
		break;
	default:
		break;
	}
}

static bool is_text_command(uint8_t cmd)
{
	return cmd == DPI_MYSQL_COM_QUERY || cmd == DPI_MYSQL_COM_STMT_PREPARE ||
	       cmd == DPI_MYSQL_COM_INIT_DB;
}

/* The response the server owes command @cmd. */
static uint8_t response_for(uint8_t cmd)
{
	switch (cmd) {
	case DPI_MYSQL_COM_QUIT:
	case DPI_MYSQL_COM_STMT_CLOSE:
	case DPI_MYSQL_COM_STMT_SEND_LONG_DATA:
		return R_NONE;
	case DPI_MYSQL_COM_CHANGE_USER:
		return R_AUTH;
	case DPI_MYSQL_COM_QUERY:
	case DPI_MYSQL_COM_STMT_EXECUTE:
	case DPI_MYSQL_COM_STMT_PREPARE:
	case DPI_MYSQL_COM_INIT_DB:
	case DPI_MYSQL_COM_PING:
	case 0x0c:	/* PROCESS_KILL */
	case 0x07:	/* REFRESH */
	case 0x1a:	/* STMT_RESET */
	case 0x1b:	/* SET_OPTION */
	case 0x1f:	/* RESET_CONNECTION */
		return R_FIRST;
	default:
		return R_OTHER;
	}
}

/* Starts a new command whose first byte is @cmd. */
static void command_start(struct dpi_mysql_state *st, uint8_t cmd, const struct dpi_mysql_cb *cb,
			  void *ctx)
{
	/* A COM_INIT_DB nobody answered (pipelining): assume it worked. */
	if (st->db_change_pending) {
		memcpy(st->db, st->pending_db, st->pending_db_len);
		st->db_len = st->pending_db_len;
		st->db_change_pending = false;
	}
	st->cmd = cmd;
	st->resp = response_for(cmd);
	st->resp_rows = 0;
	st->seq = 0;
	st->seq_valid = true;
	if (!is_text_command(cmd) && cmd != DPI_MYSQL_COM_CHANGE_USER && cb && cb->on_command)
		cb->on_command(ctx, cmd);
}

/* HandshakeResponse41 / 320, or an SSLRequest. Returns true for SSLRequest. */
static bool client_handshake(struct dpi_mysql_state *st, const uint8_t *p, uint32_t n,
			     const struct dpi_mysql_cb *cb, void *ctx)
{
	struct rd r = {p, p + n, false};
	struct dpi_mysql_login l = {0};
	uint32_t c;

	c = (uint32_t)rd_uint(&r, 2);
	if (c & DPI_MYSQL_CLIENT_PROTOCOL_41) {
		c |= (uint32_t)rd_uint(&r, 2) << 16;
		rd_skip(&r, 4);		/* max packet */
		l.charset = (uint8_t)rd_uint(&r, 1);
		rd_skip(&r, 23);
		if (!r.bad && r.p == r.end && (c & DPI_MYSQL_CLIENT_SSL)) {
			st->client_caps = c;
			st->have_client_caps = true;
			return true;
		}
		l.user = rd_cstr(&r, false);
		if (c & DPI_MYSQL_CLIENT_PLUGIN_AUTH_LENENC)
			(void)rd_lenenc_str(&r);
		else if (c & DPI_MYSQL_CLIENT_SECURE_CONNECTION)
			(void)rd_bytes(&r, rd_uint(&r, 1));
		else
			(void)rd_cstr(&r, false);
		if ((c & DPI_MYSQL_CLIENT_CONNECT_WITH_DB) && r.p < r.end)
			l.database = rd_cstr(&r, true);
		if ((c & DPI_MYSQL_CLIENT_PLUGIN_AUTH) && r.p < r.end)
			l.auth_plugin = rd_cstr(&r, true);
		if ((c & DPI_MYSQL_CLIENT_CONNECT_ATTRS) && r.p < r.end)
			(void)rd_lenenc_str(&r);
	} else {
		rd_skip(&r, 3);		/* max packet */
		if (!r.bad && r.p == r.end && (c & DPI_MYSQL_CLIENT_SSL)) {
			st->client_caps = c;
			st->have_client_caps = true;
			return true;
		}
		l.user = rd_cstr(&r, false);
		if (c & DPI_MYSQL_CLIENT_CONNECT_WITH_DB) {
			(void)rd_cstr(&r, false);
			l.database = rd_cstr(&r, true);
		} else {
			(void)rd_cstr(&r, true);
		}
	}
	st->client_caps = c;
	st->have_client_caps = true;
	if (r.bad) {
		anomaly(cb, ctx, "mysql.malformed");
		return false;
	}
	l.capabilities = c;
	set_name(st->user, &st->user_len, l.user, cb, ctx);
	set_name(st->db, &st->db_len, l.database, cb, ctx);
	st->login_pending = true;
	if (caps(st) & (DPI_MYSQL_CLIENT_COMPRESS | DPI_MYSQL_CLIENT_ZSTD_COMPRESSION))
		st->compressed = true;
	if (cb && cb->on_login)
		cb->on_login(ctx, &l);
	return false;
}

/* ---- streaming --------------------------------------------------------- */

static void big_free(struct dpi_mysql_state *st)
{
	dpi_bigbuf_free(&st->big, &st->big_len, &st->big_cap, &st->big_truncated);
}

static void big_append(struct dpi_mysql_state *st, const uint8_t *p, uint32_t n)
{
	dpi_bigbuf_append(&st->big, &st->big_len, &st->big_cap, &st->big_truncated,
			  DPI_MYSQL_MAX_STATEMENT, p, n);
}

/* The end of a streamed payload. */
static void stream_end(struct dpi_mysql_state *st, struct dpi_mysql_dir *d,
		       const struct dpi_mysql_cb *cb, void *ctx)
{
	if (d->stream == STREAM_COPY) {
		if (st->big_len)
			client_command(st, st->big, st->big_len, st->big_truncated, cb, ctx);
		else
			anomaly(cb, ctx, "mysql.statement_truncated");
		big_free(st);
	}
	d->stream = STREAM_SKIP;
}

/* Consumes the 4-byte header of a packet of @plen bytes and streams its
 * payload (and its continuations) as @mode. */
static void stream_start(struct dpi_mysql_dir *d, uint32_t plen, uint8_t mode)
{
	d->stream = mode;
	d->left = plen;
	d->more = plen == MAX_PAYLOAD;
}

/* ---- the packet loop --------------------------------------------------- */

/* A step of the packet loop returns the bytes it consumed, 0 when it needs
 * more bytes, STEP_FAIL when the stream is not MySQL. A step that makes the
 * direction opaque returns what it consumed up to there; the loop then
 * hands the rest to on_tls and consumes it. */
#define STEP_FAIL (-1)

/* The compressed protocol starts after the login: opaque from there on. */
static void compressed_switch(struct dpi_mysql_state *st, unsigned dir,
			      const struct dpi_mysql_cb *cb, void *ctx)
{
	if (st->d[!dir].phase != PH_OPAQUE)
		anomaly(cb, ctx, "mysql.compressed");
	go_opaque(st, dir);
}

static long step_server(struct dpi_mysql_state *st, const uint8_t *cur, size_t avail,
			const struct dpi_mysql_cb *cb, void *ctx)
{
	struct dpi_mysql_dir *d = &st->d[DPI_TO_CLIENT];
	uint32_t plen = le24(cur);
	uint8_t seq = cur[3];
	bool whole;

	if (d->phase == PH_START) {
		if (plen > INLINE_MAX) {
			anomaly(cb, ctx, "mysql.packet_too_large");
			return STEP_FAIL;
		}
		if (avail < 4u + plen)
			return 0;
		if (plen == 0 || (cur[4] != 10 && cur[4] != 0xff)) {
			anomaly(cb, ctx, "mysql.malformed");
			return STEP_FAIL;
		}
		if (seq != 0)
			anomaly(cb, ctx, "mysql.seq_invalid");
		st->seq = seq;
		st->seq_valid = true;
		if (cur[4] == 10) {
			server_greeting(st, cur + 4, plen, cb, ctx);
			d->phase = PH_AUTH;
		} else {
			st->login_pending = true;	/* refused before the login */
			server_err(st, cur + 4, plen, cb, ctx);
			d->phase = PH_AUTH;
		}
		return (long)(4 + plen);
	}
	if (st->tls || (d->phase == PH_AUTH && cur[0] == 0x16 && cur[1] == 0x03 &&
			st->seq_valid && seq != (uint8_t)(st->seq + 1))) {
		go_opaque(st, DPI_TO_CLIENT);
		d->tls = true;
		return 0;
	}
	if (d->phase == PH_COMMAND && st->compressed) {
		compressed_switch(st, DPI_TO_CLIENT, cb, ctx);
		return 0;
	}
	if (plen && avail < 5)
		return 0;
	if (d->phase == PH_AUTH)
		whole = true;
	else
		whole = server_needs_whole(st, plen ? cur[4] : 0, plen);
	if (whole && plen <= INLINE_MAX && avail < 4u + plen)
		return 0;
	seq_next(st, seq, cb, ctx);
	if (whole && plen <= INLINE_MAX) {
		if (d->phase == PH_AUTH) {
			server_auth(st, cur + 4, plen, cb, ctx);
			if (d->phase == PH_COMMAND && st->compressed)
				compressed_switch(st, DPI_TO_CLIENT, cb, ctx);
		} else {
			server_response(st, cur + 4, plen, cb, ctx);
		}
		return (long)(4 + plen);
	}
	if (whole) {
		anomaly(cb, ctx, "mysql.packet_too_large");
		if (d->phase == PH_COMMAND)
			st->resp = R_OTHER;
	} else if (d->phase == PH_COMMAND && st->resp == R_COLS && --st->resp_cols == 0)
		st->resp = (caps(st) & DPI_MYSQL_CLIENT_DEPRECATE_EOF) ? R_ROWS : R_COLS_EOF;
	else if (d->phase == PH_COMMAND && st->resp == R_ROWS)
		st->resp_rows++;
	stream_start(d, plen, STREAM_SKIP);
	return 4;
}

static long step_client(struct dpi_mysql_state *st, const uint8_t *cur, size_t avail,
			const struct dpi_mysql_cb *cb, void *ctx)
{
	struct dpi_mysql_dir *d = &st->d[DPI_TO_SERVER];
	uint32_t plen = le24(cur);
	uint8_t seq = cur[3], cmd;

	if (d->phase == PH_START) {
		if (plen > INLINE_MAX) {
			anomaly(cb, ctx, "mysql.packet_too_large");
			return STEP_FAIL;
		}
		if (avail < 4u + plen)
			return 0;
		seq_next(st, seq, cb, ctx);
		d->phase = PH_AUTH;
		if (client_handshake(st, cur + 4, plen, cb, ctx)) {
			st->tls = true;
			go_opaque(st, DPI_TO_SERVER);
			d->tls = true;
		}
		return (long)(4 + plen);
	}
	if (seq != 0) {
		/* Authentication data, LOCAL INFILE contents, a COM_CHANGE_USER
		 * exchange: never a command. */
		seq_next(st, seq, cb, ctx);
		stream_start(d, plen, STREAM_SKIP);
		return 4;
	}
	if (st->compressed) {
		compressed_switch(st, DPI_TO_SERVER, cb, ctx);
		return 0;
	}
	d->phase = PH_COMMAND;
	if (plen == 0) {
		anomaly(cb, ctx, "mysql.malformed");
		st->seq = 0;
		st->seq_valid = true;
		return 4;
	}
	if (avail < 5)
		return 0;
	cmd = cur[4];
	if (is_text_command(cmd) || cmd == DPI_MYSQL_COM_CHANGE_USER) {
		if (plen < MAX_PAYLOAD && plen <= INLINE_MAX) {
			if (avail < 4u + plen)
				return 0;
			command_start(st, cmd, cb, ctx);
			client_command(st, cur + 4, plen, false, cb, ctx);
			return (long)(4 + plen);
		}
		command_start(st, cmd, cb, ctx);
		if (cmd == DPI_MYSQL_COM_CHANGE_USER) {
			anomaly(cb, ctx, "mysql.packet_too_large");
			stream_start(d, plen, STREAM_SKIP);
			return 4;
		}
		big_free(st);
		stream_start(d, plen, STREAM_COPY);
		return 4;
	}
	command_start(st, cmd, cb, ctx);
	stream_start(d, plen, STREAM_SKIP);
	return 4;
}

int dpi_mysql_parse(struct dpi_mysql_state *st, unsigned dir, const uint8_t *buf, size_t len,
		    const struct dpi_mysql_cb *cb, void *ctx)
{
	const uint8_t *cur = buf, *end = buf + len;
	struct dpi_mysql_dir *d;

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
			if (!d->left && !d->more)
				stream_end(st, d, cb, ctx);
			continue;
		}
		if (avail < 4)
			break;
		if (d->more) {
			/* The next piece of a multi-packet payload. */
			uint32_t plen = le24(cur);

			seq_next(st, cur[3], cb, ctx);
			cur += 4;
			d->left = plen;
			d->more = plen == MAX_PAYLOAD;
			if (!plen)
				stream_end(st, d, cb, ctx);
			continue;
		}
		r = dir == DPI_TO_SERVER ? step_client(st, cur, avail, cb, ctx)
					 : step_server(st, cur, avail, cb, ctx);
		if (r < 0) {
			st->failed = true;
			big_free(st);
			return -EBADMSG;
		}
		cur += r;
		if (d->phase == PH_OPAQUE) {
			if (d->tls && cb && cb->on_tls)
				cb->on_tls(ctx, dir, cur, (size_t)(end - cur));
			return (int)len;
		}
		if (r == 0)
			break;
	}
	return (int)(cur - buf);
}

void dpi_mysql_init(struct dpi_mysql_state *st)
{
	memset(st, 0, sizeof(*st));
}

void dpi_mysql_fini(struct dpi_mysql_state *st)
{
	if (st)
		big_free(st);
}

bool dpi_mysql_opaque(const struct dpi_mysql_state *st, unsigned dir)
{
	return dir <= DPI_TO_CLIENT && st->d[dir].phase == PH_OPAQUE;
}

const char *dpi_mysql_command_name(uint8_t cmd)
{
	static const char *const names[] = {
		"COM_SLEEP", "COM_QUIT", "COM_INIT_DB", "COM_QUERY", "COM_FIELD_LIST",
		"COM_CREATE_DB", "COM_DROP_DB", "COM_REFRESH", "COM_SHUTDOWN", "COM_STATISTICS",
		"COM_PROCESS_INFO", "COM_CONNECT", "COM_PROCESS_KILL", "COM_DEBUG", "COM_PING",
		"COM_TIME", "COM_DELAYED_INSERT", "COM_CHANGE_USER", "COM_BINLOG_DUMP",
		"COM_TABLE_DUMP", "COM_CONNECT_OUT", "COM_REGISTER_SLAVE", "COM_STMT_PREPARE",
		"COM_STMT_EXECUTE", "COM_STMT_SEND_LONG_DATA", "COM_STMT_CLOSE", "COM_STMT_RESET",
		"COM_SET_OPTION", "COM_STMT_FETCH", "COM_DAEMON", "COM_BINLOG_DUMP_GTID",
		"COM_RESET_CONNECTION", "COM_CLONE",
	};

	if (cmd < sizeof(names) / sizeof(names[0]))
		return names[cmd];
	if (cmd == 0xfa)
		return "COM_STMT_BULK_EXECUTE";	/* MariaDB */
	return "COM_UNKNOWN";
}

bool dpi_mysql_probe_greeting(const uint8_t *buf, size_t len)
{
	uint32_t plen;
	size_t i;

	if (len < 6)
		return false;
	plen = le24(buf);
	/* Protocol 10, sequence 0, a greeting of sane size. */
	if (buf[3] != 0 || buf[4] != 10 || plen < 16 || plen > 1024)
		return false;
	/* A non-empty printable version string ending in NUL. */
	for (i = 5; i < len && i < 4u + plen; i++) {
		if (buf[i] == 0)
			return i > 5;
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return false;
	}
	return false;
}
