/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_server.c - the control socket's server side: one epoll set for the
 * listening socket and every connection, non-blocking I/O, a byte queue of
 * frames per connection. Replies are never dropped; events are, per
 * subscriber, once its queue holds more than the backlog, so a client that
 * stops reading slows nothing but itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_server.h"

#define READ_CHUNK 65536
#define REPLY_MAX (512u << 20) /* queued replies a peer doesn't read: closed */

struct ctl_conn {
	struct ctl_server *s;
	struct ctl_conn *next, **pprev;
	int fd;
	uid_t uid;
	bool closing;            /* close once the queue is written */
	bool want_out;           /* EPOLLOUT is armed */
	struct ctl_frame_rx rx;
	char *out;
	size_t off, len, cap;    /* queued bytes: out[off..len) */
	/* events.subscribe */
	json_t *sub_id;
	uint32_t sub_types;
	bool follow;
	uint64_t dropped;        /* events lost since the last notice */
};

struct ctl_server {
	struct ctl_server_config cfg;
	char *path;
	int lfd, epfd;
	struct ctl_conn *conns;
	unsigned nconns, nsubs;
	uint64_t connections, requests, errors, refused, events_sent, events_dropped;
};

static void conn_close(struct ctl_conn *c)
{
	struct ctl_server *s = c->s;

	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	s->nconns--;
	if (c->sub_id) {
		json_decref(c->sub_id);
		if (c->follow)
			s->nsubs--;
	}
	ctl_frame_rx_free(&c->rx);
	free(c->out);
	free(c);
}

static void arm(struct ctl_conn *c)
{
	bool want = c->len > c->off;
	struct epoll_event ev = {.events = (c->closing ? 0 : EPOLLIN) | (want ? EPOLLOUT : 0),
				 .data.ptr = c};

	if (want == c->want_out && !c->closing)
		return;
	c->want_out = want;
	epoll_ctl(c->s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Append @n bytes to the queue; false on ENOMEM (the connection closes). */
static bool queue(struct ctl_conn *c, const char *p, size_t n)
{
	if (c->off && c->off == c->len)
		c->off = c->len = 0;
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *nb;

		if (c->off) { /* reclaim what was written */
			memmove(c->out, c->out + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		while (cap < c->len + n)
			cap *= 2;
		if (cap > c->cap) {
			nb = realloc(c->out, cap);
			if (!nb)
				return false;
			c->out = nb;
			c->cap = cap;
		}
	}
	memcpy(c->out + c->len, p, n);
	c->len += n;
	return true;
}

static void send_frame(struct ctl_conn *c, const char *frame, size_t n)
{
	if (c->len - c->off + n > REPLY_MAX || !queue(c, frame, n)) {
		c->closing = true; /* a peer that reads nothing, or no memory */
		c->off = c->len = 0;
	}
	arm(c);
}

static void send_json(struct ctl_conn *c, json_t *msg)
{
	char *frame;
	size_t n;

	if (msg && ctl_frame_encode(msg, &frame, &n) == 0) {
		send_frame(c, frame, n);
		free(frame);
	} else {
		c->closing = true;
		arm(c);
	}
	json_decref(msg);
}

void ctl_conn_reply(struct ctl_conn *c, const json_t *id, json_t *result)
{
	send_json(c, ctl_reply_ok(id, result));
}

void ctl_conn_error(struct ctl_conn *c, const json_t *id, const char *code, const char *message,
		    json_t *details)
{
	c->s->errors++;
	send_json(c, ctl_reply_error(id, code, message, details));
}

uid_t ctl_conn_uid(const struct ctl_conn *c)
{
	return c->uid;
}

void ctl_conn_subscribe(struct ctl_conn *c, const json_t *id, uint32_t types, bool follow)
{
	if (c->sub_id) {
		json_decref(c->sub_id);
		if (c->follow)
			c->s->nsubs--;
	}
	c->sub_id = json_deep_copy(id);
	c->sub_types = types;
	c->follow = follow;
	c->dropped = 0;
	if (follow)
		c->s->nsubs++;
}

/* A stream frame that is not an event: {"v":1,"id":..,KEY:VALUE}. */
static void notice(struct ctl_conn *c, const char *key, json_t *value)
{
	json_t *m = json_object();

	if (m) {
		json_object_set_new(m, "v", json_integer(CTL_PROTO_VERSION));
		json_object_set(m, "id", c->sub_id ? c->sub_id : json_null());
		json_object_set_new(m, key, value);
	} else {
		json_decref(value);
	}
	send_json(c, m);
}

/* What @c lost since it was last told. */
static void tell_dropped(struct ctl_conn *c)
{
	if (!c->dropped)
		return;
	notice(c, "dropped", json_integer((json_int_t)c->dropped));
	c->dropped = 0;
}

void ctl_conn_event(struct ctl_conn *c, const char *text, size_t len)
{
	size_t backlog = c->s->cfg.event_backlog;
	char *frame;
	size_t n;

	if (c->closing || !c->sub_id)
		return;
	if (c->len - c->off + len + 64 > backlog ||
	    ctl_frame_encode_event(c->sub_id, text, len, &frame, &n) < 0) {
		c->dropped++;
		c->s->events_dropped++;
		return;
	}
	tell_dropped(c);
	send_frame(c, frame, n);
	free(frame);
	c->s->events_sent++;
}

void ctl_conn_end(struct ctl_conn *c)
{
	tell_dropped(c);
	notice(c, "end", json_true());
	json_decref(c->sub_id);
	c->sub_id = NULL;
}

void ctl_server_broadcast(struct ctl_server *s, unsigned type, const char *text, size_t len)
{
	if (!s || !s->nsubs)
		return;
	for (struct ctl_conn *c = s->conns; c; c = c->next)
		if (c->sub_id && c->follow && (c->sub_types & (1u << type)))
			ctl_conn_event(c, text, len);
}

/* ------------------------------------------------------------ reading */

static void on_frame(struct ctl_conn *c, const char *msg, size_t len)
{
	struct ctl_req req;
	struct ctl_err err;

	c->s->requests++;
	if (ctl_req_decode(msg, len, &req, &err) < 0) {
		ctl_conn_error(c, err.id, err.code, err.message, NULL);
		ctl_err_free(&err);
		return;
	}
	c->s->cfg.on_req(c->s->cfg.ctx, c, &req);
	ctl_req_free(&req);
}

static void conn_read(struct ctl_conn *c)
{
	char buf[READ_CHUNK];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		const char *msg;
		size_t len;
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) { /* EOF or an error: nothing more will be read */
			c->closing = true;
			return;
		}
		if (ctl_frame_rx_push(&c->rx, buf, (size_t)n) < 0) {
			c->closing = true;
			return;
		}
		while (!c->closing && (r = ctl_frame_rx_next(&c->rx, &msg, &len)) != CTL_RX_NONE) {
			char m[96];

			if (r == CTL_RX_FRAME) {
				on_frame(c, msg, len);
			} else if (r == CTL_RX_TOO_LARGE) {
				c->s->requests++;
				snprintf(m, sizeof(m), "frame of %zu bytes: the limit is %u", len,
					 CTL_FRAME_MAX);
				ctl_conn_error(c, NULL, "too-large", m, NULL);
			} else {
				c->s->requests++;
				ctl_conn_error(c, NULL, "bad-frame", "empty frame", NULL);
			}
		}
	}
}

static void conn_write(struct ctl_conn *c)
{
	while (c->off < c->len) {
		ssize_t n = send(c->fd, c->out + c->off, c->len - c->off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) { /* the peer is gone */
			c->off = c->len = 0;
			c->closing = true;
			break;
		}
		c->off += (size_t)n;
	}
	/* A subscriber that caught up hears of what it lost now, not with
	 * the next event (there may be none for a while). */
	if (c->sub_id && !c->closing && c->len - c->off < c->s->cfg.event_backlog / 2)
		tell_dropped(c);
	arm(c);
}

static void do_accept(struct ctl_server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = {.events = EPOLLIN};
		struct ucred cr;
		socklen_t crlen = sizeof(cr);
		struct ctl_conn *c;

		if (fd < 0)
			return; /* EAGAIN, or EMFILE and the like: try at the next wake-up */
		if (s->nconns >= s->cfg.max_conns ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0 ||
		    !(c = calloc(1, sizeof(*c)))) {
			s->refused++;
			close(fd);
			continue;
		}
		c->s = s;
		c->fd = fd;
		c->uid = cr.uid;
		ctl_frame_rx_init(&c->rx, CTL_FRAME_MAX);
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			s->refused++;
			ctl_frame_rx_free(&c->rx);
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->pprev = &c->next;
		c->pprev = &s->conns;
		s->conns = c;
		s->nconns++;
		s->connections++;
		/* The socket file is 0600 already; this holds when someone
		 * loosened its mode or passed the fd on. */
		if (cr.uid != 0 && cr.uid != geteuid()) {
			char m[128];

			s->refused++;
			snprintf(m, sizeof(m), "uid %u may not use the control socket: root only",
				 (unsigned)cr.uid);
			ctl_conn_error(c, NULL, "permission-denied", m, NULL);
			c->closing = true;
			arm(c);
		}
	}
}

void ctl_server_run(struct ctl_server *s)
{
	struct epoll_event evs[32];
	int n = epoll_wait(s->epfd, evs, 32, 0);

	for (int i = 0; i < n; i++) {
		struct ctl_conn *c = evs[i].data.ptr;

		if (!c) {
			do_accept(s);
			continue;
		}
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			if (!c->closing)
				conn_read(c);
		conn_write(c);
		if (c->closing && c->off == c->len)
			conn_close(c);
	}
}

/* ------------------------------------------------------------ setup */

/* Is a daemon answering on @path? */
static bool alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool r;

	if (fd < 0)
		return false;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return r;
}

static int make_dir(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	size_t n = strlen(path);
	struct stat st;

	memcpy(dir, path, n + 1);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		int r = -errno;

		snprintf(err, errlen, "%s: %s", dir, strerror(-r));
		return r;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return -ENOTDIR;
	}
	return 0;
}

int ctl_server_open(const struct ctl_server_config *cfg, struct ctl_server **ret, char *err,
		    size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct ctl_server *s;
	mode_t old;
	int r;

	if (!cfg->path || !*cfg->path || strlen(cfg->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path: empty or longer than %zu bytes",
			 sizeof(sa.sun_path) - 1);
		return -EINVAL;
	}
	memcpy(sa.sun_path, cfg->path, strlen(cfg->path) + 1);
	r = make_dir(cfg->path, err, errlen);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (!s->cfg.event_backlog)
		s->cfg.event_backlog = 4u << 20;
	if (!s->cfg.max_conns)
		s->cfg.max_conns = 64;
	s->lfd = s->epfd = -1;
	s->path = strdup(cfg->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!s->path || s->lfd < 0 || s->epfd < 0) {
		r = s->path ? -errno : -ENOMEM;
		snprintf(err, errlen, "%s: %s", cfg->path, strerror(-r));
		goto fail;
	}
	if (alive(&sa)) {
		r = -EADDRINUSE;
		snprintf(err, errlen, "%s: another bulkheadd answers on it", cfg->path);
		goto fail;
	}
	unlink(cfg->path); /* a dead daemon's */
	old = umask(0177); /* born 0600: no window with a looser mode */
	r = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(cfg->path, 0600) < 0 || listen(s->lfd, 16) < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", cfg->path, strerror(-r));
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->path);
	free(s);
	return r;
}

int ctl_server_fd(const struct ctl_server *s)
{
	return s->epfd;
}

void ctl_server_stats(const struct ctl_server *s, struct ctl_server_stats *ret)
{
	*ret = (struct ctl_server_stats){
		.connections = s->connections,
		.requests = s->requests,
		.errors = s->errors,
		.refused = s->refused,
		.events_sent = s->events_sent,
		.events_dropped = s->events_dropped,
		.clients = s->nconns,
		.subscribers = s->nsubs,
	};
}

void ctl_server_close(struct ctl_server *s)
{
	if (!s)
		return;
	while (s->conns) {
		conn_write(s->conns); /* what fits without waiting */
		conn_close(s->conns);
	}
	close(s->lfd);
	close(s->epfd);
	unlink(s->path);
	free(s->path);
	free(s);
}
