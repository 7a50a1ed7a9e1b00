/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_server.h - the daemon's end of the control socket (PROTOCOL.md): a
 * Unix stream socket, peer credentials checked, requests decoded and handed
 * to the daemon one at a time, replies and event streams queued per
 * connection. Everything runs on one thread (the daemon's main thread),
 * driven by ctl_server_run() when the fd of ctl_server_fd() is readable.
 */
#ifndef CTL_SERVER_H
#define CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl_proto.h"

struct ctl_server;
struct ctl_conn;

/* A request for the daemon: it answers with ctl_conn_reply() (once,
 * before returning, or later while the connection lives). @req is the
 * server's; the handler may keep nothing of it past the call. */
typedef void (*ctl_server_req_fn)(void *ctx, struct ctl_conn *c, const struct ctl_req *req);

struct ctl_server_config {
	const char *path;        /* the socket; its directory is made 0700 */
	ctl_server_req_fn on_req;
	void *ctx;
	size_t event_backlog;    /* bytes of events queued per subscriber (0: 4 MiB) */
	unsigned max_conns;      /* 0: 64 */
};

/*
 * Create, bind and listen. A socket file left by a dead daemon is
 * replaced; one a live daemon answers on is -EADDRINUSE. The socket is
 * mode 0600. Returns 0 or -errno with @err saying what failed.
 */
int ctl_server_open(const struct ctl_server_config *c, struct ctl_server **ret, char *err,
		    size_t errlen);

/* An fd that is readable when ctl_server_run() has work (epoll). */
int ctl_server_fd(const struct ctl_server *s);

/* Accept, read, answer and write whatever is ready; never blocks. */
void ctl_server_run(struct ctl_server *s);

/* Send @result (stolen) as the reply to @req's id, or an error. */
void ctl_conn_reply(struct ctl_conn *c, const json_t *id, json_t *result);
void ctl_conn_error(struct ctl_conn *c, const json_t *id, const char *code, const char *message,
		    json_t *details);

/* The peer's credentials. */
uid_t ctl_conn_uid(const struct ctl_conn *c);

/*
 * Subscribe @c to events: of the types in @types (bit 1 << type, type a
 * BH_EV_* or CTL_EV_STATS), as frames with @id; with @follow until it
 * closes, else only what ctl_conn_event() is given before ctl_conn_end().
 */
void ctl_conn_subscribe(struct ctl_conn *c, const json_t *id, uint32_t types, bool follow);

/* One event to one subscriber (the recent ones at subscription), and the
 * end of a non-following subscription. */
void ctl_conn_event(struct ctl_conn *c, const char *text, size_t len);
void ctl_conn_end(struct ctl_conn *c);

/* One event to every following subscriber of its @type. A subscriber whose
 * backlog is full loses it (counted, and told with a "dropped" frame). */
void ctl_server_broadcast(struct ctl_server *s, unsigned type, const char *text, size_t len);

struct ctl_server_stats {
	uint64_t connections, requests, errors, refused;
	uint64_t events_sent, events_dropped;
	unsigned clients, subscribers;
};
void ctl_server_stats(const struct ctl_server *s, struct ctl_server_stats *ret);

/* Close every connection, remove the socket file. NULL is fine. */
void ctl_server_close(struct ctl_server *s);

#endif
