/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dpi_mysql.h - MySQL / MariaDB client/server protocol parser.
 *
 * Follows dpi_parser.h. One struct dpi_mysql_state per flow carries both
 * directions; feed the client's bytes with DPI_TO_SERVER and the server's with
 * DPI_TO_CLIENT, in the order they were seen on the wire (the parser pairs
 * responses with commands through the packets' sequence ids, and the two
 * directions share what the handshake negotiated).
 *
 * Wire format: packets are [3-byte LE length][1-byte sequence id][payload].
 * A payload of exactly 0xffffff bytes continues in the next packet.
 *
 * What is reported:
 *  - the server greeting (protocol 10),
 *  - the client's HandshakeResponse (user, database, auth plugin) and
 *    COM_CHANGE_USER as logins,
 *  - SSLRequest: the direction turns opaque where TLS starts. on_tls()
 *    receives the bytes of this call from there on (the start of the TLS
 *    stream, possibly empty: a caller wanting the SNI feeds them, and the
 *    direction's later bytes, to dpi_tls); this call and every later one
 *    consume everything they are given. The server direction follows at its
 *    next packet. CLIENT_COMPRESS makes both directions opaque the same way
 *    (no on_tls), with the anomaly "mysql.compressed".
 *  - COM_QUERY, COM_STMT_PREPARE and COM_INIT_DB with their text (the
 *    statement is not analysed here), every other command by number,
 *  - ERR packets (login failures included), and the end of each command's
 *    response.
 *
 * Statement size: a command packet that fits in DPI_MAX_PENDING is parsed in
 * place (zero-copy). A longer one, and every multi-packet payload, is copied
 * as it streams into a buffer of the state, allocated for that statement only
 * and capped at DPI_MYSQL_MAX_STATEMENT; the text beyond the cap is dropped,
 * the query is reported with .truncated set and the anomaly
 * "mysql.statement_truncated". Other large packets (rows, blobs, LOCAL INFILE
 * data) are skipped as they stream, never buffered.
 *
 * Anomalies: mysql.malformed, mysql.seq_invalid, mysql.packet_too_large (a
 * handshake packet larger than DPI_MAX_PENDING: fatal),
 * mysql.statement_truncated, mysql.name_too_long (user or database longer
 * than DPI_MYSQL_NAME_MAX: kept truncated for on_query), mysql.compressed.
 *
 * Not thread-safe: one state per flow.
 */
#ifndef DPI_MYSQL_H
#define DPI_MYSQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpi_parser.h"

/* Most statement bytes kept for a statement that streams (see above). */
#define DPI_MYSQL_MAX_STATEMENT (1u << 20)
/* Most bytes of the user and database names kept for on_query. */
#define DPI_MYSQL_NAME_MAX 256u
/* Query attributes (CLIENT_QUERY_ATTRIBUTES) parsed before a COM_QUERY. */
#define DPI_MYSQL_MAX_QUERY_ATTRS 64u

/* Capability flags the parser acts on. */
#define DPI_MYSQL_CLIENT_CONNECT_WITH_DB (1u << 3)
#define DPI_MYSQL_CLIENT_COMPRESS (1u << 5)
#define DPI_MYSQL_CLIENT_PROTOCOL_41 (1u << 9)
#define DPI_MYSQL_CLIENT_SSL (1u << 11)
#define DPI_MYSQL_CLIENT_SECURE_CONNECTION (1u << 15)
#define DPI_MYSQL_CLIENT_PLUGIN_AUTH (1u << 19)
#define DPI_MYSQL_CLIENT_CONNECT_ATTRS (1u << 20)
#define DPI_MYSQL_CLIENT_PLUGIN_AUTH_LENENC (1u << 21)
#define DPI_MYSQL_CLIENT_SESSION_TRACK (1u << 23)
#define DPI_MYSQL_CLIENT_DEPRECATE_EOF (1u << 24)
#define DPI_MYSQL_CLIENT_ZSTD_COMPRESSION (1u << 26)
#define DPI_MYSQL_CLIENT_QUERY_ATTRIBUTES (1u << 27)

/* Command bytes (the first payload byte of a command packet). */
enum dpi_mysql_command {
	DPI_MYSQL_COM_SLEEP = 0x00,
	DPI_MYSQL_COM_QUIT = 0x01,
	DPI_MYSQL_COM_INIT_DB = 0x02,
	DPI_MYSQL_COM_QUERY = 0x03,
	DPI_MYSQL_COM_FIELD_LIST = 0x04,
	DPI_MYSQL_COM_PING = 0x0e,
	DPI_MYSQL_COM_CHANGE_USER = 0x11,
	DPI_MYSQL_COM_STMT_PREPARE = 0x16,
	DPI_MYSQL_COM_STMT_EXECUTE = 0x17,
	DPI_MYSQL_COM_STMT_SEND_LONG_DATA = 0x18,
	DPI_MYSQL_COM_STMT_CLOSE = 0x19,
};

struct dpi_mysql_greeting {
	uint8_t protocol;		/* 10 */
	struct dpi_slice server_version;
	uint32_t connection_id;
	uint32_t capabilities;		/* 16 bits only from servers that send no more */
	struct dpi_slice auth_plugin;	/* empty when not sent */
};

struct dpi_mysql_login {
	struct dpi_slice user;
	struct dpi_slice database;	/* empty: no database selected */
	struct dpi_slice auth_plugin;	/* empty when not sent */
	uint32_t capabilities;		/* the client's */
	uint8_t charset;
	bool change_user;		/* COM_CHANGE_USER rather than the handshake */
};

enum dpi_mysql_query_kind {
	DPI_MYSQL_QUERY,	/* COM_QUERY */
	DPI_MYSQL_PREPARE,	/* COM_STMT_PREPARE */
	DPI_MYSQL_INIT_DB,	/* COM_INIT_DB: text is the database name */
};

struct dpi_mysql_query {
	enum dpi_mysql_query_kind kind;
	struct dpi_slice text;
	bool truncated;			/* text was cut at DPI_MYSQL_MAX_STATEMENT */
	/* The session's user and current database before this command (copies
	 * held by the state, at most DPI_MYSQL_NAME_MAX bytes). */
	struct dpi_slice user;
	struct dpi_slice database;
};

struct dpi_mysql_error {
	uint16_t code;			/* e.g. 1045 access denied, 1064 syntax */
	struct dpi_slice sqlstate;	/* 5 characters, or empty (pre-4.1) */
	struct dpi_slice message;
	bool during_login;		/* answer to the handshake or COM_CHANGE_USER */
};

enum dpi_mysql_response_kind {
	DPI_MYSQL_RESP_OK,
	DPI_MYSQL_RESP_ERR,
	DPI_MYSQL_RESP_RESULTSET,	/* a result set ended (EOF/OK after rows) */
};

struct dpi_mysql_response {
	enum dpi_mysql_response_kind kind;
	uint8_t command;		/* the command answered; 0xff for the login */
	uint64_t affected_rows;		/* OK */
	uint64_t rows;			/* RESULTSET */
	uint16_t error_code;		/* ERR */
};

/* Every callback may be NULL. Slices are valid only during the call. */
struct dpi_mysql_cb {
	void (*on_greeting)(void *ctx, const struct dpi_mysql_greeting *g);
	void (*on_login)(void *ctx, const struct dpi_mysql_login *l);
	/* TLS begins in direction @dir; @data[0..len) are its first bytes in
	 * this call (see above). */
	void (*on_tls)(void *ctx, unsigned dir, const uint8_t *data, size_t len);
	void (*on_query)(void *ctx, const struct dpi_mysql_query *q);
	/* Every command other than QUERY, STMT_PREPARE, INIT_DB, CHANGE_USER. */
	void (*on_command)(void *ctx, uint8_t command);
	void (*on_error)(void *ctx, const struct dpi_mysql_error *e);
	/* The end of a response: once per OK, ERR, or result set. */
	void (*on_response)(void *ctx, const struct dpi_mysql_response *r);
	dpi_anom_fn on_anomaly;
};

/* Per-direction stream position; private. */
struct dpi_mysql_dir {
	uint8_t phase;
	bool tls;		/* opaque because TLS began: on_tls owed */
	bool more;		/* the packet being read is 0xffffff long */
	uint8_t stream;		/* what the bytes of a streamed payload become */
	uint32_t left;		/* bytes of the current packet still to stream */
};

/* One flow. The fields are private; the struct is public so that callers can
 * embed it. Initialise with dpi_mysql_init(), release with dpi_mysql_fini(). */
struct dpi_mysql_state {
	struct dpi_mysql_dir d[2];
	uint32_t server_caps;
	uint32_t client_caps;
	bool have_greeting;
	bool have_client_caps;
	bool tls;		/* SSLRequest seen */
	bool compressed;	/* CLIENT_COMPRESS negotiated */
	bool failed;
	uint8_t seq;		/* last sequence id seen in either direction */
	bool seq_valid;
	/* The command being answered and where its response stands. */
	uint8_t cmd;
	uint8_t resp;
	bool login_pending;	/* the login's answer is still to come */
	uint64_t resp_cols;
	uint64_t resp_rows;
	/* Statement streamed out of place (see above). */
	uint8_t *big;
	uint32_t big_len, big_cap;
	bool big_truncated;
	/* Session: user and current database (pending_db: a COM_INIT_DB not yet
	 * answered). */
	uint16_t user_len, db_len, pending_db_len;
	bool db_change_pending;
	char user[DPI_MYSQL_NAME_MAX];
	char db[DPI_MYSQL_NAME_MAX];
	char pending_db[DPI_MYSQL_NAME_MAX];
};

/* Prepares @st for a new flow. Never fails. */
void dpi_mysql_init(struct dpi_mysql_state *st);

/* Frees what @st allocated (a streamed statement). @st may then be
 * reinitialised or discarded. Accepts a zeroed state. */
void dpi_mysql_fini(struct dpi_mysql_state *st);

/* Parses bytes of direction @dir (DPI_TO_SERVER: from the client). @cb and
 * @ctx are the caller's; slices passed to callbacks point into @buf or into
 * @st. Returns bytes consumed (> 0), DPI_NEED_MORE, or -EBADMSG (anomaly
 * reported; the flow is not MySQL or broken: every later call fails too). */
int dpi_mysql_parse(struct dpi_mysql_state *st, unsigned dir, const uint8_t *buf, size_t len,
		    const struct dpi_mysql_cb *cb, void *ctx);

/* True once direction @dir is opaque (TLS, compression). */
bool dpi_mysql_opaque(const struct dpi_mysql_state *st, unsigned dir);

/* Static name of command @cmd ("COM_QUERY", ...; "COM_UNKNOWN"). */
const char *dpi_mysql_command_name(uint8_t cmd);

/* Content detection for the server's first bytes: a packet with sequence id 0
 * holding a protocol-10 greeting (NUL-terminated printable version string,
 * plausible length). Needs the header and version string; false when they
 * are not all in @buf yet. Reads only @buf[0..len). Thread-safe. */
bool dpi_mysql_probe_greeting(const uint8_t *buf, size_t len);

#endif
