/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_pgsql.h - PostgreSQL frontend/backend protocol (v3) parser.
 *
 * Follows dpi_parser.h. One struct dpi_pgsql_state per flow carries both
 * directions; feed the client's bytes with DPI_TO_SERVER and the server's with
 * DPI_TO_CLIENT in wire order.
 *
 * Startup: the client's first messages are untyped [length][code]...:
 * SSLRequest and GSSENCRequest (the server answers one byte: 'S' or 'G' and
 * the stream is encrypted, 'N' and the client goes on in clear: another
 * request or the StartupMessage), CancelRequest, StartupMessage (protocol 3.x,
 * NUL-terminated key/value pairs). A client that opens with a TLS record
 * (PostgreSQL 17 direct SSL) is TLS from its first byte.
 * The server's answer byte is recognised from what the client asked, and
 * without it by content ('S'/'G' cannot begin a server message; an 'N' whose
 * length field is absurd is the answer), so the directions need not be fed in
 * strict order.
 *
 * Encryption: the direction turns opaque where encrypted bytes begin.
 * on_tls() (or on_gssenc()) receives the bytes of this call from there on
 * (the start of the TLS stream, possibly empty: a caller wanting the SNI
 * feeds them, and the direction's later bytes, to dpi_tls); this call and
 * every later one consume everything they are given.
 *
 * Then typed messages [type][4-byte length including itself][payload], both
 * ways. Reported: 'Q' simple query and 'P' Parse (statement name and text; the
 * statement is not analysed here), the server's ErrorResponse, authentication
 * requests, CommandComplete tags and ReadyForQuery; every message by type
 * through on_message. Messages the parser does not read (DataRow, CopyData,
 * Bind...) are consumed as they stream, never buffered, whatever their size.
 * A Query or Parse too long for DPI_MAX_PENDING is copied as it streams into a
 * buffer of the state (allocated for that statement only) capped at
 * DPI_PGSQL_MAX_STATEMENT; past the cap the text is reported with .truncated
 * and the anomaly "pgsql.statement_truncated".
 *
 * Anomalies: pgsql.malformed (fatal when the framing itself is broken: an
 * unknown message type, a bad startup code), pgsql.length_invalid (length < 4,
 * above DPI_PGSQL_MAX_MESSAGE, or a startup packet outside 8..10000: fatal),
 * pgsql.protocol_unsupported (protocol 2: fatal), pgsql.statement_truncated,
 * pgsql.message_too_large (an ErrorResponse or similar too long to hold:
 * skipped), pgsql.name_too_long.
 *
 * Not thread-safe: one state per flow.
 */
#ifndef DPI_PGSQL_H
#define DPI_PGSQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpi_parser.h"

/* Longest message accepted (PostgreSQL's own limit is 1 GiB - 1). */
#define DPI_PGSQL_MAX_MESSAGE 0x3fffffffu
/* Most statement bytes kept for a Query/Parse that streams. */
#define DPI_PGSQL_MAX_STATEMENT (1u << 20)
/* Most bytes of the user and database names kept for on_query. */
#define DPI_PGSQL_NAME_MAX 256u
/* Longest startup packet (PostgreSQL's MAX_STARTUP_PACKET_LENGTH). */
#define DPI_PGSQL_MAX_STARTUP 10000u

#define DPI_PGSQL_PROTOCOL_3_0 196608u
#define DPI_PGSQL_CANCEL_CODE 80877102u
#define DPI_PGSQL_SSL_CODE 80877103u
#define DPI_PGSQL_GSSENC_CODE 80877104u

struct dpi_pgsql_startup {
	uint32_t protocol;		/* 196608 for 3.0 */
	struct dpi_slice user;
	struct dpi_slice database;	/* the user when the client sent none */
	bool database_defaulted;
	struct dpi_slice application_name;
	struct dpi_slice options;
	struct dpi_slice replication;
};

enum dpi_pgsql_query_kind {
	DPI_PGSQL_SIMPLE,	/* 'Q' */
	DPI_PGSQL_PARSE,	/* 'P' */
};

struct dpi_pgsql_query {
	enum dpi_pgsql_query_kind kind;
	struct dpi_slice statement;	/* Parse: the prepared statement's name ("" unnamed) */
	struct dpi_slice text;
	uint16_t param_types;		/* Parse: parameter types given */
	bool truncated;			/* text cut at DPI_PGSQL_MAX_STATEMENT */
	/* From the StartupMessage (copies held by the state). */
	struct dpi_slice user;
	struct dpi_slice database;
};

struct dpi_pgsql_error {
	struct dpi_slice severity;	/* 'V' (not localized), else 'S' */
	struct dpi_slice code;		/* SQLSTATE, e.g. 42601 */
	struct dpi_slice message;	/* 'M' */
	struct dpi_slice detail;	/* 'D', often empty */
	bool during_startup;		/* before the first ReadyForQuery */
};

/* Every callback may be NULL. Slices are valid only during the call. */
struct dpi_pgsql_cb {
	void (*on_startup)(void *ctx, const struct dpi_pgsql_startup *s);
	void (*on_cancel)(void *ctx, uint32_t pid);
	/* Encryption begins in direction @dir; @data[0..len) are its first
	 * bytes in this call (see above). */
	void (*on_tls)(void *ctx, unsigned dir, const uint8_t *data, size_t len);
	void (*on_gssenc)(void *ctx, unsigned dir, const uint8_t *data, size_t len);
	void (*on_query)(void *ctx, const struct dpi_pgsql_query *q);
	void (*on_error)(void *ctx, const struct dpi_pgsql_error *e);
	/* Authentication request from the server (0: AuthenticationOk). */
	void (*on_auth)(void *ctx, uint32_t code);
	void (*on_complete)(void *ctx, struct dpi_slice tag);
	void (*on_ready)(void *ctx, uint8_t status);
	/* Every typed message, when its header is read (@len: the length
	 * field, including itself). */
	void (*on_message)(void *ctx, unsigned dir, uint8_t type, uint32_t len);
	dpi_anom_fn on_anomaly;
};

/* Per-direction stream position; private. */
struct dpi_pgsql_dir {
	uint8_t phase;
	uint8_t enc;		/* opaque because encryption began: 'S' or 'G' */
	uint8_t stream;		/* what the streamed bytes become */
	uint8_t type;		/* type of the message being streamed */
	uint32_t left;		/* its bytes still to stream */
};

/* One flow. The fields are private; the struct is public so that callers can
 * embed it. Initialise with dpi_pgsql_init(), release with dpi_pgsql_fini(). */
struct dpi_pgsql_state {
	struct dpi_pgsql_dir d[2];
	uint8_t req;		/* 'S' or 'G': an encryption request unanswered */
	uint8_t answer;		/* the answer to the last request */
	bool client_tls;	/* the client went TLS without asking (direct SSL) */
	bool ready;		/* a ReadyForQuery was seen */
	bool failed;
	uint32_t protocol;
	uint8_t *big;
	uint32_t big_len, big_cap;
	bool big_truncated;
	uint16_t user_len, db_len;
	char user[DPI_PGSQL_NAME_MAX];
	char db[DPI_PGSQL_NAME_MAX];
};

/* Prepares @st for a new flow. Never fails. */
void dpi_pgsql_init(struct dpi_pgsql_state *st);

/* Frees what @st allocated (a streamed statement). Accepts a zeroed state. */
void dpi_pgsql_fini(struct dpi_pgsql_state *st);

/* Parses bytes of direction @dir (DPI_TO_SERVER: from the client). Slices
 * passed to callbacks point into @buf or @st. Returns bytes consumed (> 0),
 * DPI_NEED_MORE, or -EBADMSG (anomaly reported; every later call fails). */
int dpi_pgsql_parse(struct dpi_pgsql_state *st, unsigned dir, const uint8_t *buf, size_t len,
		    const struct dpi_pgsql_cb *cb, void *ctx);

/* True once direction @dir is opaque: encrypted (TLS, GSS), or closing (the
 * client sent CancelRequest or Terminate; later bytes are consumed unread). */
bool dpi_pgsql_opaque(const struct dpi_pgsql_state *st, unsigned dir);

/* Content detection for the client's first bytes: SSLRequest,
 * GSSENCRequest, CancelRequest, or a protocol-3 StartupMessage of plausible
 * length. Needs 8 bytes (false before). Thread-safe. */
bool dpi_pgsql_probe(const uint8_t *buf, size_t len);

#endif
