/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_cli.c - the `bulkhead` commands that talk to the daemon: the command
 * line, the connection to the control socket (blocking, with a timeout
 * while a reply is due), requests out and replies in. What is printed of a
 * result is ctl_cli_render.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "bulkhead/dpi.h"
#include "ctl_cli.h"
#include "ctl_proto.h"

#define EXIT_REFUSED 1
#define EXIT_FAIL 2

/* Compiling a large policy takes a while; anything longer is a daemon that
 * no longer answers. */
#define REPLY_TIMEOUT_S 120

/* Exit statuses are returned as they are; this one means "stop quietly"
 * (a reader of our stdout went away). */
#define QUIET_STOP 3

void ctl_cli_usage(FILE *f)
{
	fputs("       bulkhead [--socket PATH] [--json] COMMAND ...\n"
	      "       bulkhead policy apply FILE... [--dry-run]\n"
	      "       bulkhead policy diff FILE...\n"
	      "       bulkhead policy show\n"
	      "       bulkhead workloads [list]\n"
	      "       bulkhead workloads add FILE... [--dry-run]\n"
	      "       bulkhead workloads rm NAME... [--dry-run]\n"
	      "       bulkhead flows [--workload NAME] [--src ADDR] [--dst ADDR] [--port N]\n"
	      "                      [--proto P] [--app P] [--action A]\n"
	      "                      [--offloaded|--not-offloaded] [--limit N]\n"
	      "       bulkhead stats\n"
	      "       bulkhead events [--follow] [--type T]... [--last N]\n"
	      "       bulkhead learn export [--reset] [-o FILE]\n"
	      "       bulkhead graph\n"
	      "       bulkhead logs reopen\n"
	      "       bulkhead ping\n",
	      f);
}

/* ------------------------------------------------------------ options */

enum {
	O_SOCKET,
	O_JSON,
	O_HELP,
	O_DRY_RUN,
	O_WORKLOAD,
	O_SRC,
	O_DST,
	O_PORT,
	O_PROTO,
	O_APP,
	O_ACTION,
	O_OFFLOADED,
	O_NOT_OFFLOADED,
	O_LIMIT,
	O_FOLLOW,
	O_TYPE,
	O_LAST,
	O_RESET,
	O_OUTPUT,
	O__MAX
};

#define BIT(o) (1u << (o))
#define GLOBAL_OPTS (BIT(O_SOCKET) | BIT(O_JSON) | BIT(O_HELP))
#define FLOW_OPTS                                                                        \
	(BIT(O_WORKLOAD) | BIT(O_SRC) | BIT(O_DST) | BIT(O_PORT) | BIT(O_PROTO) | BIT(O_APP) | \
	 BIT(O_ACTION) | BIT(O_OFFLOADED) | BIT(O_NOT_OFFLOADED) | BIT(O_LIMIT))

static const struct option long_opts[] = {
	{"socket", required_argument, NULL, O_SOCKET},
	{"json", no_argument, NULL, O_JSON},
	{"help", no_argument, NULL, O_HELP},
	{"dry-run", no_argument, NULL, O_DRY_RUN},
	{"workload", required_argument, NULL, O_WORKLOAD},
	{"src", required_argument, NULL, O_SRC},
	{"dst", required_argument, NULL, O_DST},
	{"port", required_argument, NULL, O_PORT},
	{"proto", required_argument, NULL, O_PROTO},
	{"app", required_argument, NULL, O_APP},
	{"action", required_argument, NULL, O_ACTION},
	{"offloaded", no_argument, NULL, O_OFFLOADED},
	{"not-offloaded", no_argument, NULL, O_NOT_OFFLOADED},
	{"limit", required_argument, NULL, O_LIMIT},
	{"follow", no_argument, NULL, O_FOLLOW},
	{"type", required_argument, NULL, O_TYPE},
	{"last", required_argument, NULL, O_LAST},
	{"reset", no_argument, NULL, O_RESET},
	{"output", required_argument, NULL, O_OUTPUT},
	{0},
};

struct cli {
	const char *cmd;        /* "policy apply", for messages */
	const char *socket;
	bool json;
	unsigned seen;          /* BIT(O_*) of the options given */
	json_t *filter;         /* flows */
	long long limit, last;
	json_t *types;          /* events */
	const char *output;     /* learn export -o */
	char **args;            /* positional arguments */
	int nargs;
};

struct conn {
	int fd;
	const char *path;
	struct ctl_frame_rx rx;
	long long next_id;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Prints "bulkhead: MESSAGE" and a hint; returns -EINVAL. */
__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("bulkhead: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(bulkhead --help lists the commands)\n", stderr);
	return -EINVAL;
}

/* ------------------------------------------------------------ socket */

static int conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	int r;

	c->fd = -1;
	c->path = path;
	c->next_id = 1;
	ctl_frame_rx_init(&c->rx, CTL_FRAME_MAX);
	if (n == 0 || n >= sizeof(sa.sun_path)) {
		fprintf(stderr, "bulkhead: %s: not a usable socket path (1 to %zu bytes)\n", path,
			sizeof(sa.sun_path) - 1);
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, n);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		r = -errno;
		fprintf(stderr, "bulkhead: socket: %s\n", strerror(-r));
		return r;
	}
	do
		r = connect(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	r = -errno;
	switch (-r) {
	case ENOENT:
		fprintf(stderr, "bulkhead: the daemon isn't running at %s (no such socket)\n", path);
		break;
	case ECONNREFUSED:
		fprintf(stderr, "bulkhead: the daemon isn't running at %s (nobody listens there)\n",
			path);
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr,
			"bulkhead: %s: permission denied: the control socket is root's (run bulkhead as root)\n",
			path);
		break;
	default:
		fprintf(stderr, "bulkhead: %s: %s\n", path, strerror(-r));
		break;
	}
	return r;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	ctl_frame_rx_free(&c->rx);
}

/* Bounds every later read and write by @secs (0: wait for ever). */
static void conn_timeout(struct conn *c, unsigned secs)
{
	struct timeval tv = {.tv_sec = secs};

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int send_all(struct conn *c, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				fprintf(stderr, "bulkhead: %s: the daemon takes no more input (timed out)\n",
					c->path);
			else if (errno == EPIPE || errno == ECONNRESET)
				return -EPIPE; /* the caller reads why, if it was said */
			else
				fprintf(stderr, "bulkhead: %s: send: %s\n", c->path, strerror(errno));
			return -EIO;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int read_frame(struct conn *c, json_t **ret);
static void print_error(enum ctl_op op, const json_t *error);

/* Sends {"v":1,"id":N,"op":OP,"args":ARGS} (@args stolen, may be NULL);
 * the id in *@ret_id. */
static int send_request(struct conn *c, enum ctl_op op, json_t *args, long long *ret_id)
{
	json_t *req = json_object();
	char *frame = NULL;
	size_t len;
	int r = -ENOMEM;

	if (!req ||
	    json_object_set_new(req, "v", json_integer(CTL_PROTO_VERSION)) < 0 ||
	    json_object_set_new(req, "id", json_integer(c->next_id)) < 0 ||
	    json_object_set_new(req, "op", json_string(ctl_op_name(op))) < 0 ||
	    (args && json_object_set_new(req, "args", args) < 0)) {
		args = NULL;
		goto out;
	}
	args = NULL;
	r = ctl_frame_encode(req, &frame, &len);
	if (r == -E2BIG) {
		fprintf(stderr, "bulkhead: %s: the request is larger than the protocol's %u MiB\n",
			ctl_op_name(op), CTL_FRAME_MAX >> 20);
		goto out;
	}
	if (r < 0)
		goto out;
	r = send_all(c, frame, len);
	if (r == 0)
		*ret_id = c->next_id++;
	if (r == -EPIPE) {
		/* The daemon closed first: it may have said why (a peer it
		 * doesn't serve gets one error reply, then the close). */
		json_t *f = NULL, *ok;

		if (read_frame(c, &f) > 0 && (ok = json_object_get(f, "ok")) && json_is_false(ok)) {
			print_error(op, json_object_get(f, "error"));
			r = EXIT_REFUSED;
		} else {
			fprintf(stderr, "bulkhead: %s: the daemon closed the connection\n", c->path);
			r = -EIO;
		}
		json_decref(f);
	}
out:
	json_decref(args);
	json_decref(req);
	free(frame);
	return r;
}

/* The next frame as a JSON object in *@ret: 1, 0 at the end of the
 * stream, -EINTR when SIGINT came, or another -errno (reported). */
static int read_frame(struct conn *c, json_t **ret)
{
	char buf[65536];

	*ret = NULL;
	for (;;) {
		const char *msg;
		size_t len;
		json_error_t e;
		ssize_t k;
		int r;

		/* Checked between frames too: a follower with a backlog to
		 * print would otherwise never wait in recv() to see it. */
		if (interrupted)
			return -EINTR;
		r = ctl_frame_rx_next(&c->rx, &msg, &len);
		if (r == CTL_RX_FRAME) {
			*ret = json_loadb(msg, len, 0, &e);
			if (!json_is_object(*ret)) {
				json_decref(*ret);
				*ret = NULL;
				fprintf(stderr, "bulkhead: %s: the daemon sent a frame that is not a JSON object\n",
					c->path);
				return -EPROTO;
			}
			return 1;
		}
		if (r == CTL_RX_TOO_LARGE || r == CTL_RX_EMPTY) {
			fprintf(stderr, "bulkhead: %s: the daemon sent a frame of %zu bytes (1 to %u allowed)\n",
				c->path, len, CTL_FRAME_MAX);
			return -EPROTO;
		}
		k = recv(c->fd, buf, sizeof(buf), 0);
		if (k < 0) {
			if (errno == EINTR) {
				if (interrupted)
					return -EINTR;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				fprintf(stderr, "bulkhead: %s: no answer from the daemon in %d s\n",
					c->path, REPLY_TIMEOUT_S);
			else
				fprintf(stderr, "bulkhead: %s: recv: %s\n", c->path, strerror(errno));
			return -EIO;
		}
		if (k == 0) {
			if (ctl_frame_rx_pending(&c->rx))
				fprintf(stderr, "bulkhead: %s: the daemon closed the connection in the middle of a frame\n",
					c->path);
			return ctl_frame_rx_pending(&c->rx) ? -EPROTO : 0;
		}
		if (ctl_frame_rx_push(&c->rx, buf, (size_t)k) < 0)
			return -ENOMEM;
	}
}

static bool jint_member(const json_t *o, const char *key, long long *ret)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return false;
	*ret = (long long)json_integer_value(v);
	return true;
}

static bool id_is(const json_t *frame, long long id)
{
	json_t *v = json_object_get(frame, "id");

	return json_is_integer(v) && json_integer_value(v) == id;
}

/* Prints an error reply as "bulkhead: OP: MESSAGE" and its details. */
static void print_error(enum ctl_op op, const json_t *error)
{
	json_t *msg = json_object_get(error, "message"), *code = json_object_get(error, "code");
	json_t *details = json_object_get(error, "details"), *d;
	size_t i;

	fprintf(stderr, "bulkhead: %s: %s\n", ctl_op_name(op),
		json_is_string(msg) ? json_string_value(msg)
		: json_is_string(code) ? json_string_value(code)
				       : "refused (the daemon gave no reason)");
	if (json_is_array(details))
		json_array_foreach (details, i, d)
			if (json_is_string(d))
				fprintf(stderr, "%s\n", json_string_value(d));
}

/* Reads the reply to request @id: 0 with the result (an object, maybe
 * empty) in *@ret, EXIT_REFUSED after printing an error reply, or -errno
 * (reported). */
static int read_reply(struct conn *c, enum ctl_op op, long long id, json_t **ret)
{
	json_t *frame = NULL, *ok, *res, *v;
	int r = read_frame(c, &frame);

	*ret = NULL;
	if (r == 0) {
		fprintf(stderr, "bulkhead: %s: the daemon closed the connection without an answer\n",
			ctl_op_name(op));
		return -EPIPE;
	}
	if (r < 0)
		return r;
	v = json_object_get(frame, "v");
	ok = json_object_get(frame, "ok");
	if (json_is_false(ok) && json_is_null(json_object_get(frame, "id"))) {
		/* Refused before the request was read (not served, a bad
		 * frame): the error is ours all the same. */
		print_error(op, json_object_get(frame, "error"));
		r = EXIT_REFUSED;
		goto out;
	}
	if (!json_is_integer(v) || json_integer_value(v) != CTL_PROTO_VERSION ||
	    !json_is_boolean(ok) || !id_is(frame, id)) {
		fprintf(stderr, "bulkhead: %s: the daemon's answer is not a reply to request %lld\n",
			ctl_op_name(op), id);
		r = -EPROTO;
		goto out;
	}
	if (!json_is_true(ok)) {
		print_error(op, json_object_get(frame, "error"));
		r = EXIT_REFUSED;
		goto out;
	}
	res = json_object_get(frame, "result");
	*ret = json_is_object(res) ? json_incref(res) : json_object();
	r = *ret ? 0 : -ENOMEM;
out:
	json_decref(frame);
	return r;
}

/* One request and its reply on a new connection. */
static int call(struct conn *c, enum ctl_op op, json_t *args, json_t **ret)
{
	long long id;
	int r = send_request(c, op, args, &id);

	if (r != 0)
		return r;
	return read_reply(c, op, id, ret);
}

/* ------------------------------------------------------------ output */

/* stdout's state at the end: 0, QUIET_STOP when its reader went away, or
 * -EIO (reported). */
static int check_stdout(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		return QUIET_STOP;
	fprintf(stderr, "bulkhead: standard output: %s\n", strerror(errno));
	return -EIO;
}

static int print_json(const json_t *result)
{
	if (json_dumpf(result, stdout, JSON_INDENT(2)) == 0)
		fputc('\n', stdout);
	return 0;
}

/* ------------------------------------------------------------ files */

/* The file @path ("-": standard input) whole, at most 16 MiB of UTF-8 text,
 * in malloc'd *@ret. */
static int read_text(const char *path, char **ret, size_t *ret_len)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int r = 0;

	if (fd < 0) {
		r = -errno;
		fprintf(stderr, "bulkhead: %s: %s\n", path, strerror(-r));
		return r;
	}
	for (;;) {
		ssize_t k;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb;

			if (ncap > CTL_FILE_TEXT_MAX + 1)
				ncap = CTL_FILE_TEXT_MAX + 1;
			nb = realloc(buf, ncap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		k = read(fd, buf + len, cap - len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			fprintf(stderr, "bulkhead: %s: %s\n", path, strerror(-r));
			goto out;
		}
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > CTL_FILE_TEXT_MAX) {
			fprintf(stderr, "bulkhead: %s: larger than %u MiB\n", path,
				CTL_FILE_TEXT_MAX >> 20);
			r = -EFBIG;
			goto out;
		}
	}
	if (memchr(buf, '\0', len) || !ctl_utf8_valid(buf, len)) {
		fprintf(stderr, "bulkhead: %s: not UTF-8 text\n", path);
		r = -EINVAL;
		goto out;
	}
	*ret = buf;
	*ret_len = len;
	buf = NULL;
out:
	if (fd != STDIN_FILENO)
		close(fd);
	free(buf);
	return r;
}

/* {"files": [{"name", "text"}...]} of the positional arguments. */
static int files_args(const struct cli *cl, json_t **ret)
{
	json_t *args = json_object(), *files = json_array();
	size_t total = 0;
	int r = -ENOMEM;

	if (!args || !files || json_object_set(args, "files", files) < 0)
		goto out;
	for (int i = 0; i < cl->nargs; i++) {
		const char *path = cl->args[i], *name = path, *slash;
		char label[CTL_FILE_NAME_MAX + 1];
		json_t *f;
		char *text = NULL;
		size_t len = 0, nlen;

		r = read_text(path, &text, &len);
		if (r < 0)
			goto out;
		total += len;
		if (total > CTL_FRAME_MAX) {
			fprintf(stderr, "bulkhead: %s: the files add up to more than the protocol's %u MiB\n",
				cl->cmd, CTL_FRAME_MAX >> 20);
			free(text);
			r = -E2BIG;
			goto out;
		}
		if (!strcmp(path, "-"))
			name = "stdin";
		/* The name only labels messages: a long path is cut to its file,
		 * bytes that are not UTF-8 become '?'. */
		slash = strrchr(name, '/');
		if (strlen(name) > CTL_FILE_NAME_MAX && slash && slash[1])
			name = slash + 1;
		nlen = strnlen(name, CTL_FILE_NAME_MAX);
		memcpy(label, name, nlen);
		label[nlen] = '\0';
		ctl_utf8_fix(label);
		f = json_object();
		if (!f || json_array_append_new(files, f) < 0 ||
		    json_object_set_new(f, "name", json_string(label)) < 0 ||
		    json_object_set_new(f, "text", json_stringn(text, len)) < 0) {
			free(text);
			r = -ENOMEM;
			goto out;
		}
		free(text);
	}
	*ret = args;
	args = NULL;
	r = 0;
out:
	json_decref(files);
	json_decref(args);
	return r;
}

/* ------------------------------------------------------------ commands */

static int set_bool(json_t *o, const char *key, bool v)
{
	return json_object_set_new(o, key, json_boolean(v)) < 0 ? -ENOMEM : 0;
}

/* policy apply, policy diff, workloads add, workloads rm: the change. */
static int run_change(struct cli *cl, struct conn *c, enum ctl_op op, bool dry_run)
{
	json_t *args = NULL, *res = NULL, *names;
	long long id, prev = -1;
	int r;

	if (op == CTL_OP_WORKLOADS_REMOVE) {
		args = json_object();
		names = json_array();
		if (!args || json_object_set_new(args, "names", names) < 0) {
			r = -ENOMEM;
			goto out;
		}
		for (int i = 0; i < cl->nargs; i++) {
			size_t n = strlen(cl->args[i]);

			if (!n || n > CTL_WORKLOAD_NAME_MAX || !ctl_utf8_valid(cl->args[i], n)) {
				r = usage_error("workloads rm: '%s' is not a workload name",
						cl->args[i]);
				goto out;
			}
			if (json_array_append_new(names, json_string(cl->args[i])) < 0) {
				r = -ENOMEM;
				goto out;
			}
		}
	} else {
		r = files_args(cl, &args);
		if (r < 0)
			goto out;
	}
	if (set_bool(args, "dry_run", dry_run) < 0) {
		r = -ENOMEM;
		goto out;
	}
	r = send_request(c, op, args, &id);
	args = NULL;
	if (r != 0)
		goto out;
	r = read_reply(c, op, id, &res);
	if (r != 0)
		goto out;
	/* The generation the change replaced, for "(was M)". */
	if (!jint_member(res, "previous_generation", &prev))
		(void)jint_member(res, "generation", &prev);
	if (cl->json)
		print_json(res);
	else
		ctl_cli_print_change(stdout, stderr, res, prev);
out:
	json_decref(args);
	json_decref(res);
	return r;
}

static int run_simple(struct cli *cl, struct conn *c, enum ctl_op op)
{
	json_t *res = NULL;
	int r = call(c, op, NULL, &res);

	if (r != 0)
		return r;
	if (cl->json) {
		print_json(res);
	} else if (op == CTL_OP_PING) {
		ctl_cli_print_ping(stdout, res);
	} else if (op == CTL_OP_WORKLOADS_LIST) {
		ctl_cli_print_workloads(stdout, res);
	} else if (op == CTL_OP_STATS) {
		ctl_cli_print_stats(stdout, res);
	} else if (op == CTL_OP_GRAPH) {
		ctl_cli_print_graph(stdout, res);
	} else if (op == CTL_OP_LOGS_REOPEN) {
		json_t *list = json_object_get(res, "reopened"), *v;
		size_t i;

		fputs("reopened:", stdout);
		if (json_is_array(list))
			json_array_foreach (list, i, v)
				if (json_is_string(v))
					printf(" %s", json_string_value(v));
		fputc('\n', stdout);
	} else if (op == CTL_OP_POLICY_GET) {
		json_t *text = json_object_get(res, "text");

		if (json_is_true(json_object_get(res, "closed")))
			fputs("bulkhead: the daemon denies everything: its state file was unreadable\n",
			      stderr);
		if (!json_is_string(text)) {
			fputs("bulkhead: policy.get: the daemon sent no text\n", stderr);
			r = -EPROTO;
		} else {
			fwrite(json_string_value(text), 1, json_string_length(text), stdout);
		}
	}
	json_decref(res);
	return r;
}

static int run_flows(struct cli *cl, struct conn *c)
{
	json_t *args = json_object(), *res = NULL;
	int r = -ENOMEM;

	if (!args)
		return -ENOMEM;
	if (cl->filter && json_object_set(args, "filter", cl->filter) < 0)
		goto out;
	if ((cl->seen & BIT(O_LIMIT)) &&
	    json_object_set_new(args, "limit", json_integer(cl->limit)) < 0)
		goto out;
	r = call(c, CTL_OP_FLOWS_LIST, args, &res);
	args = NULL;
	if (r != 0)
		goto out;
	if (cl->json)
		print_json(res);
	else
		ctl_cli_print_flows(stdout, res, time(NULL));
out:
	json_decref(args);
	json_decref(res);
	return r;
}

/* One frame of a subscription: 1 to go on, 0 at its end, or what
 * check_stdout() says. */
static int event_frame(struct cli *cl, const json_t *frame)
{
	json_t *ev = json_object_get(frame, "event"), *dropped = json_object_get(frame, "dropped");

	if (json_is_object(ev)) {
		if (cl->json) {
			if (json_dumpf(ev, stdout, JSON_COMPACT) == 0)
				fputc('\n', stdout);
		} else {
			ctl_cli_print_event(stdout, ev);
		}
		if (ferror(stdout))
			return check_stdout();
	} else if (dropped) {
		fprintf(stderr, "bulkhead: %lld events lost (reading too slowly)\n",
			json_is_integer(dropped) ? (long long)json_integer_value(dropped) : 0ll);
	} else if (json_is_true(json_object_get(frame, "end"))) {
		return 0;
	}
	return 1;
}

static int run_events(struct cli *cl, struct conn *c)
{
	bool follow = cl->seen & BIT(O_FOLLOW);
	json_t *args = json_object(), *res = NULL, *frame = NULL;
	long long id;
	int r = -ENOMEM;

	if (!args)
		return -ENOMEM;
	if ((cl->types && json_object_set(args, "types", cl->types) < 0) ||
	    json_object_set_new(args, "recent",
				json_integer(cl->seen & BIT(O_LAST) ? cl->last : follow ? 0 : 20)) < 0 ||
	    set_bool(args, "follow", follow) < 0)
		goto out;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (follow) {
		struct sigaction sa = {.sa_handler = on_sigint};

		/* No SA_RESTART: recv() returns, and we end like at EOF. */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	r = send_request(c, CTL_OP_EVENTS_SUBSCRIBE, args, &id);
	args = NULL;
	if (r != 0)
		goto out;
	r = read_reply(c, CTL_OP_EVENTS_SUBSCRIBE, id, &res);
	if (r != 0)
		goto out;
	if (follow)
		conn_timeout(c, 0);
	for (;;) {
		r = read_frame(c, &frame);
		if (r == -EINTR) {
			r = 0;
			break;
		}
		if (r == 0) {
			if (!follow) {
				fputs("bulkhead: events.subscribe: the daemon closed the connection before the end\n",
				      stderr);
				r = -EPIPE;
			} else {
				fputs("bulkhead: the daemon closed the connection\n", stderr);
			}
			break;
		}
		if (r < 0)
			break;
		if (!id_is(frame, id)) {
			fputs("bulkhead: events.subscribe: a frame for another request\n", stderr);
			r = -EPROTO;
			break;
		}
		r = event_frame(cl, frame);
		json_decref(frame);
		frame = NULL;
		if (r != 1)
			break;
	}
out:
	json_decref(frame);
	json_decref(args);
	json_decref(res);
	return r;
}

static int run_learn(struct cli *cl, struct conn *c)
{
	json_t *args = json_object(), *res = NULL, *yaml;
	FILE *f = NULL;
	int r = -ENOMEM;

	if (!args || set_bool(args, "reset", cl->seen & BIT(O_RESET)) < 0)
		goto out;
	r = call(c, CTL_OP_LEARN_EXPORT, args, &res);
	args = NULL;
	if (r != 0)
		goto out;
	if (cl->json && !cl->output) {
		print_json(res);
		goto out;
	}
	yaml = json_object_get(res, "yaml");
	if (!json_is_string(yaml)) {
		fputs("bulkhead: learn.export: the daemon sent no yaml\n", stderr);
		r = -EPROTO;
		goto out;
	}
	if (!cl->output || !strcmp(cl->output, "-")) {
		fwrite(json_string_value(yaml), 1, json_string_length(yaml), stdout);
		goto out;
	}
	f = fopen(cl->output, "we");
	if (!f || fwrite(json_string_value(yaml), 1, json_string_length(yaml), f) !=
			  json_string_length(yaml)) {
		r = -errno;
		fprintf(stderr, "bulkhead: %s: %s\n", cl->output, strerror(errno));
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		r = -errno;
		fprintf(stderr, "bulkhead: %s: %s\n", cl->output, strerror(errno));
		goto out;
	}
	f = NULL;
	if (cl->json) {
		print_json(res);
	} else {
		char num[32];
		json_t *n = json_object_get(res, "policies");

		snprintf(num, sizeof(num), "%lld",
			 json_is_integer(n) ? (long long)json_integer_value(n) : 0ll);
		fprintf(stderr, "bulkhead: %s policies written to %s\n",
			json_is_integer(n) ? num : "the", cl->output);
	}
out:
	if (f)
		fclose(f);
	json_decref(args);
	json_decref(res);
	return r;
}

/* ------------------------------------------------------------ command line */

struct command {
	const char *word, *sub;     /* sub "" : the command has no sub-command */
	enum ctl_op op;
	unsigned opts;              /* BIT(O_*) it takes besides the global ones */
	int min_args, max_args;
};

static const struct command commands[] = {
	{"ping", "", CTL_OP_PING, 0, 0, 0},
	{"policy", "apply", CTL_OP_POLICY_APPLY, BIT(O_DRY_RUN), 1, CTL_FILES_MAX},
	{"policy", "diff", CTL_OP_POLICY_APPLY, 0, 1, CTL_FILES_MAX},
	{"policy", "show", CTL_OP_POLICY_GET, 0, 0, 0},
	{"workloads", "list", CTL_OP_WORKLOADS_LIST, 0, 0, 0},
	{"workloads", "add", CTL_OP_WORKLOADS_ADD, BIT(O_DRY_RUN), 1, CTL_FILES_MAX},
	{"workloads", "rm", CTL_OP_WORKLOADS_REMOVE, BIT(O_DRY_RUN), 1, CTL_NAMES_MAX},
	{"workloads", "remove", CTL_OP_WORKLOADS_REMOVE, BIT(O_DRY_RUN), 1, CTL_NAMES_MAX},
	{"flows", "", CTL_OP_FLOWS_LIST, FLOW_OPTS, 0, 0},
	{"stats", "", CTL_OP_STATS, 0, 0, 0},
	{"events", "", CTL_OP_EVENTS_SUBSCRIBE, BIT(O_FOLLOW) | BIT(O_TYPE) | BIT(O_LAST), 0, 0},
	{"learn", "export", CTL_OP_LEARN_EXPORT, BIT(O_RESET) | BIT(O_OUTPUT), 0, 0},
	{"graph", "", CTL_OP_GRAPH, 0, 0, 0},
	{"logs", "reopen", CTL_OP_LOGS_REOPEN, 0, 0, 0},
};

static int parse_num(const char *opt, const char *s, long long min, long long max,
		     long long *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "bulkhead: %s: '%s' is not a number in %lld..%lld\n", opt, s, min,
			max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int filter_set(struct cli *cl, const char *key, json_t *v)
{
	if (!cl->filter)
		cl->filter = json_object();
	if (!cl->filter || json_object_set_new(cl->filter, key, v) < 0)
		return -ENOMEM;
	return 0;
}

/* The value of option @o. */
static int take_option(struct cli *cl, int o, const char *arg)
{
	static const char *const protos[][2] = {
		{"tcp", "TCP"}, {"udp", "UDP"}, {"icmp", "ICMP"}, {"ipv6-icmp", "IPv6-ICMP"},
		{"icmp6", "IPv6-ICMP"}, {"icmpv6", "IPv6-ICMP"},
	};
	static const char *const actions[] = {"allow", "deny", "audit", "learn"};
	union bh_addr a;
	uint8_t plen;
	long long v;
	size_t i;

	switch (o) {
	case O_SOCKET:
		cl->socket = arg;
		return 0;
	case O_JSON:
		cl->json = true;
		return 0;
	case O_WORKLOAD:
		if (!*arg || strlen(arg) > CTL_WORKLOAD_NAME_MAX)
			return usage_error("--workload: '%s' is not a workload name", arg);
		return filter_set(cl, "workload", json_string(arg));
	case O_SRC:
	case O_DST:
		if (ctl_cidr_parse(arg, &a, &plen) < 0)
			return usage_error(o == O_SRC ? "--src: '%s' is not an address or CIDR"
						      : "--dst: '%s' is not an address or CIDR",
					   arg);
		return filter_set(cl, o == O_SRC ? "src" : "dst", json_string(arg));
	case O_PORT:
		if (parse_num("--port", arg, 0, 65535, &v) < 0)
			return -EINVAL;
		return filter_set(cl, "port", json_integer(v));
	case O_PROTO:
		for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
			if (!strcasecmp(protos[i][0], arg))
				return filter_set(cl, "proto", json_string(protos[i][1]));
		return usage_error("--proto: '%s' is not tcp, udp, icmp or ipv6-icmp", arg);
	case O_APP:
		for (i = 0; i < DPI_PROTO__MAX; i++)
			if (!strcasecmp(dpi_proto_name((unsigned)i), arg))
				return filter_set(cl, "app_proto",
						  json_string(dpi_proto_name((unsigned)i)));
		return usage_error("--app: '%s' is not http, dns, mysql, pgsql, tls or unknown",
				   arg);
	case O_ACTION:
		for (i = 0; i < 4; i++)
			if (!strcasecmp(actions[i], arg))
				return filter_set(cl, "action", json_string(actions[i]));
		return usage_error("--action: '%s' is not allow, deny, audit or learn", arg);
	case O_OFFLOADED:
	case O_NOT_OFFLOADED:
		if (cl->seen & BIT(o == O_OFFLOADED ? O_NOT_OFFLOADED : O_OFFLOADED))
			return usage_error("--offloaded and --not-offloaded exclude each other");
		return filter_set(cl, "offloaded", json_boolean(o == O_OFFLOADED));
	case O_LIMIT:
		return parse_num("--limit", arg, 1, CTL_LIMIT_MAX, &cl->limit);
	case O_LAST:
		return parse_num("--last", arg, 0, CTL_RECENT_MAX, &cl->last);
	case O_TYPE:
		if (!ctl_event_type_known(arg))
			return usage_error("--type: '%s' is not alert, anomaly, dns, flow, http, sql, stats or tls",
					   arg);
		if (!cl->types)
			cl->types = json_array();
		if (!cl->types || json_array_append_new(cl->types, json_string(arg)) < 0)
			return -ENOMEM;
		return 0;
	case O_OUTPUT:
		cl->output = arg;
		return 0;
	default:
		return 0;
	}
}

static const char *option_name(int o)
{
	for (const struct option *p = long_opts; p->name; p++)
		if (p->val == o)
			return p->name;
	return "?";
}

/* Options and arguments after the command words: argv[0] is the last
 * command word. */
static int parse_rest(struct cli *cl, const struct command *cmd, int argc, char **argv)
{
	unsigned allowed = GLOBAL_OPTS | cmd->opts;
	int o, r;

	opterr = 0;
	optind = 0;
	while ((o = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
		if (o == 'o')
			o = O_OUTPUT;
		else if (o == 'h')
			o = O_HELP;
		if (o == '?')
			return usage_error("%s: unknown option", argv[optind - 1]);
		if (o == ':')
			return usage_error("%s: needs a value", argv[optind - 1]);
		if (!(allowed & BIT(o))) {
			fprintf(stderr, "bulkhead: %s: --%s is not an option of this command\n",
				cl->cmd, option_name(o));
			return -EINVAL;
		}
		r = take_option(cl, o, optarg);
		if (r < 0)
			return r;
		cl->seen |= BIT(o);
	}
	cl->args = argv + optind;
	cl->nargs = argc - optind;
	if (cl->seen & BIT(O_HELP))
		return 0;
	if (cl->nargs < cmd->min_args) {
		fprintf(stderr, "bulkhead: %s: needs %s\n", cl->cmd,
			cmd->op == CTL_OP_WORKLOADS_REMOVE ? "a workload name" : "a file");
		return -EINVAL;
	}
	if (cl->nargs > cmd->max_args) {
		if (cmd->max_args == 0)
			fprintf(stderr, "bulkhead: %s: unexpected argument '%s'\n", cl->cmd,
				cl->args[0]);
		else
			fprintf(stderr, "bulkhead: %s: at most %d arguments\n", cl->cmd,
				cmd->max_args);
		return -EINVAL;
	}
	return 0;
}

/* Global options before the command words; returns the index of the first
 * word, or -EINVAL (reported), or 0 for --help. */
static int parse_leading(struct cli *cl, int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--json")) {
			cl->json = true;
		} else if (!strcmp(a, "--socket")) {
			if (i + 1 >= argc)
				return usage_error("%s: needs a value", a);
			cl->socket = argv[++i];
		} else if (!strncmp(a, "--socket=", 9)) {
			cl->socket = a + 9;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			return 0;
		} else {
			return usage_error("%s: unknown option", a);
		}
	}
	if (i >= argc)
		return usage_error("no command given");
	return i;
}

static void cli_usage(FILE *f)
{
	fputs("usage: bulkhead replay ... (bulkhead replay --help)\n", f);
	ctl_cli_usage(f);
}

int ctl_cli_main(int argc, char **argv)
{
	struct cli cl = {0};
	struct conn c = {.fd = -1};
	const struct command *cmd = NULL;
	const char *word, *sub = NULL, *env;
	char name[64];
	int i, r;

	/* A reader that goes away is an EPIPE to handle, not a death. */
	signal(SIGPIPE, SIG_IGN);
	i = parse_leading(&cl, argc, argv);
	if (i == 0) {
		cli_usage(stdout);
		return 0;
	}
	if (i < 0)
		return EXIT_FAIL;
	word = argv[i];
	if (i + 1 < argc && argv[i + 1][0] != '-')
		sub = argv[i + 1];
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		const struct command *p = &commands[k];

		if (strcmp(p->word, word))
			continue;
		if (!p->sub[0]) {
			cmd = p;
			sub = NULL;
			break;
		}
		if (sub && !strcmp(p->sub, sub)) {
			cmd = p;
			break;
		}
	}
	/* `bulkhead workloads` alone lists them. */
	if (!cmd && !strcmp(word, "workloads") && !sub) {
		cmd = &commands[4];
	}
	if (!cmd) {
		bool known = false;

		for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
			known |= !strcmp(commands[k].word, word);
		if (!strcmp(word, "replay"))
			usage_error("replay takes no global options: bulkhead replay [OPTIONS] PCAP...");
		else if (!known)
			usage_error("unknown command '%s'", word);
		else if (sub)
			fprintf(stderr, "bulkhead: %s: unknown sub-command '%s'\n", word, sub);
		else
			fprintf(stderr, "bulkhead: %s: needs a sub-command\n", word);
		cli_usage(stderr);
		return EXIT_FAIL;
	}
	snprintf(name, sizeof(name), "%s%s%s", word, sub ? " " : "", sub ? sub : "");
	cl.cmd = name;
	if (sub)
		i++;
	r = parse_rest(&cl, cmd, argc - i, argv + i);
	if (r < 0)
		goto out;
	if (cl.seen & BIT(O_HELP)) {
		cli_usage(stdout);
		goto out;
	}
	env = getenv("BULKHEAD_SOCKET");
	if (!cl.socket)
		cl.socket = env && *env ? env : CTL_CLI_SOCKET;
	r = conn_open(&c, cl.socket);
	if (r < 0)
		goto out;
	conn_timeout(&c, REPLY_TIMEOUT_S);
	switch (cmd->op) {
	case CTL_OP_POLICY_APPLY:
	case CTL_OP_WORKLOADS_ADD:
	case CTL_OP_WORKLOADS_REMOVE:
		r = run_change(&cl, &c, cmd->op,
			       (cl.seen & BIT(O_DRY_RUN)) || !strcmp(cmd->sub, "diff"));
		break;
	case CTL_OP_FLOWS_LIST:
		r = run_flows(&cl, &c);
		break;
	case CTL_OP_EVENTS_SUBSCRIBE:
		r = run_events(&cl, &c);
		break;
	case CTL_OP_LEARN_EXPORT:
		r = run_learn(&cl, &c);
		break;
	default:
		r = run_simple(&cl, &c, cmd->op);
		break;
	}
out:
	conn_close(&c);
	json_decref(cl.filter);
	json_decref(cl.types);
	if (r == -ENOMEM)
		fputs("bulkhead: out of memory\n", stderr);
	if (r >= 0 && r != QUIET_STOP) {
		int s = check_stdout();

		if (s != 0)
			r = s;
	}
	if (r == QUIET_STOP)
		return 0;
	if (r < 0)
		return EXIT_FAIL;
	return r;
}
