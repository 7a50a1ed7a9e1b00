/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_metrics.c - the Prometheus endpoint: libmicrohttpd on a listening
 * socket bound here (so a failure comes back as a precise errno and message,
 * which MHD_start_daemon()'s bare NULL doesn't give), and the exposition
 * format's writers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ctl_metrics.h"
#include "ctl_utf8.h"

#define CONTENT_TYPE_PROM "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"
#define LISTEN_BACKLOG 32

struct ctl_metrics {
	struct MHD_Daemon *d;
	ctl_metrics_fill_fn fill;
	void *ctx;
	uint16_t port;
	atomic_uint_fast64_t scrapes;
	atomic_bool started;   /* MHD_start_daemon() returned: stop catching its log */
	atomic_flag err_taken; /* start_err has its writer (the first complaint) */
	char start_err[160];   /* MHD's first complaint while starting */
};

/* ---- the address ---- */

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	bool any; /* ":PORT": IPv6 and IPv4, or IPv4 alone without IPv6 */
};

static int fail(char *err, size_t errlen, int r, const char *addr_port, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* "--metrics ADDR:PORT: <fmt>" into @err; returns @r. */
static int fail(char *err, size_t errlen, int r, const char *addr_port, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!errlen)
		return r;
	n = snprintf(err, errlen, "--metrics %s: ", addr_port ? addr_port : "(null)");
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* A port of 1-5 decimal digits, 0-65535. */
static int parse_port(const char *s, uint16_t *ret_port, const char **ret_why)
{
	unsigned long v = 0;
	size_t i;

	if (!*s) {
		*ret_why = "no port after ':'";
		return -EINVAL;
	}
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9') {
			*ret_why = "port is not a decimal number";
			return -EINVAL;
		}
		if (v <= 65535)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535) {
		*ret_why = "port out of range (0-65535)";
		return -EINVAL;
	}
	*ret_port = (uint16_t)v;
	return 0;
}

/* "A.B.C.D:PORT", "[IPV6]:PORT" or ":PORT"; numeric only. */
static int parse_addr_port(const char *s, struct listen_addr *la, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon, *port_s, *why = NULL;
	size_t hlen;
	uint16_t port = 0;
	int r;

	memset(la, 0, sizeof(*la));
	if (!s || !*s)
		return fail(err, errlen, -EINVAL, s, "empty; expected ADDR:PORT");
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&la->ss;

		if (!close)
			return fail(err, errlen, -EINVAL, s, "missing ']' after the IPv6 address");
		if (close[1] != ':')
			return fail(err, errlen, -EINVAL, s, "expected ':PORT' after ']'");
		hlen = (size_t)(close - (s + 1));
		if (hlen == 0 || hlen >= sizeof(host))
			goto bad_v6;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad_v6;
		port_s = close + 2;
		r = parse_port(port_s, &port, &why);
		if (r < 0)
			return fail(err, errlen, r, s, "%s", why);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		la->len = sizeof(*sin6);
		return 0;
bad_v6:
		return fail(err, errlen, -EINVAL, s,
			    "not a numeric IPv6 address (host names are not resolved)");
	}

	colon = strrchr(s, ':');
	if (!colon)
		return fail(err, errlen, -EINVAL, s,
			    "expected ADDR:PORT, e.g. 127.0.0.1:9464, [::1]:9464 or :9464");
	if (strchr(s, ':') != colon)
		return fail(err, errlen, -EINVAL, s,
			    "an IPv6 address goes in brackets, e.g. [::1]:9464");
	r = parse_port(colon + 1, &port, &why);
	if (r < 0)
		return fail(err, errlen, r, s, "%s", why);
	hlen = (size_t)(colon - s);
	if (hlen == 0) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&la->ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons(port);
		la->len = sizeof(*sin6);
		la->any = true;
		return 0;
	}
	{
		struct sockaddr_in *sin = (struct sockaddr_in *)&la->ss;

		if (hlen >= sizeof(host))
			goto bad_v4;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		/* inet_pton() takes dotted decimal only: no "127.1", no octal */
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			goto bad_v4;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		la->len = sizeof(*sin);
		return 0;
	}
bad_v4:
	return fail(err, errlen, -EINVAL, s,
		    "not a numeric IPv4 address (host names are not resolved)");
}

/* A listening, close-on-exec, non-blocking TCP socket on @la. */
static int listen_on(const struct listen_addr *la, int *ret_fd, uint16_t *ret_port)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int family = la->ss.ss_family, fd = -1, one = 1, r;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 && la->any && errno == EAFNOSUPPORT) {
		/* A kernel without IPv6: ":PORT" means every IPv4 address. */
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = ((const struct sockaddr_in6 *)&la->ss)->sin6_port,
					   .sin_addr.s_addr = htonl(INADDR_ANY) };
		struct listen_addr v4 = { .len = sizeof(sin) };

		memcpy(&v4.ss, &sin, sizeof(sin));
		return listen_on(&v4, ret_fd, ret_port);
	}
	if (fd < 0)
		return -errno;
	/* A restart must not wait for the last run's TIME_WAIT connections;
	 * a socket that listens on the port still gives EADDRINUSE. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail_errno;
	if (family == AF_INET6) {
		int v6only = la->any ? 0 : 1;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
			goto fail_errno;
	}
	if (bind(fd, (const struct sockaddr *)&la->ss, la->len) < 0)
		goto fail_errno;
	if (listen(fd, LISTEN_BACKLOG) < 0)
		goto fail_errno;
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) < 0)
		goto fail_errno;
	*ret_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						      : ((struct sockaddr_in *)&bound)->sin_port);
	*ret_fd = fd;
	return 0;
fail_errno:
	r = -errno;
	close(fd);
	return r;
}

/* ---- the server ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct ctl_metrics *m = cls;
	size_t n;

	/* Only start-up complaints are kept, for ctl_metrics_start()'s error;
	 * later ones (a client that went away...) are the client's business. */
	if (atomic_load(&m->started) || atomic_flag_test_and_set(&m->err_taken))
		return;
	vsnprintf(m->start_err, sizeof(m->start_err), fmt, ap);
	n = strlen(m->start_err);
	while (n && (m->start_err[n - 1] == '\n' || m->start_err[n - 1] == '.'))
		m->start_err[--n] = '\0';
}

/* Queue @resp with @status (and Content-Type @type), then drop our
 * reference: MHD keeps its own until the response has been sent. */
static enum MHD_Result send_response(struct MHD_Connection *c, unsigned int status,
				     struct MHD_Response *resp, const char *type,
				     const char *allow)
{
	enum MHD_Result r = MHD_NO;

	if (!resp)
		return MHD_NO; /* out of memory: MHD closes the connection */
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES)
		goto out;
	if (allow && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)
		goto out;
	r = MHD_queue_response(c, status, resp);
out:
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result send_static(struct MHD_Connection *c, unsigned int status,
				   const char *text, const char *allow)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);

	return send_response(c, status, resp, CONTENT_TYPE_TEXT, allow);
}

static enum MHD_Result send_metrics(struct ctl_metrics *m, struct MHD_Connection *c)
{
	struct MHD_Response *resp;
	struct ctl_buf b;

	memset(&b, 0, sizeof(b));
	m->fill(m->ctx, &b);
	atomic_fetch_add(&m->scrapes, 1);
	if (b.oom) {
		ctl_buf_free(&b);
		return send_static(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "out of memory while writing the metrics\n", NULL);
	}
	if (!b.len) {
		ctl_buf_free(&b);
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	} else {
		/* MHD frees b.p with free() once the response is gone */
		resp = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_FREE);
		if (!resp)
			ctl_buf_free(&b);
	}
	return send_response(c, MHD_HTTP_OK, resp, CONTENT_TYPE_PROM, NULL);
}

static const char root_page[] = "bulkheadd: the metrics are at /metrics\n";

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct ctl_metrics *m = cls;
	bool known = !strcmp(url, "/metrics") || !strcmp(url, "/");

	(void)version;
	(void)upload_data;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		/* Answered at once, with the headers: the body is never read
		 * and MHD closes the connection after the answer. */
		if (!known)
			return send_static(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n",
					   NULL);
		return send_static(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
				   "GET, HEAD");
	}
	/* A GET or HEAD is answered once the whole request is in (MHD calls
	 * again with no data), so that the connection stays usable for the
	 * next one: an answer queued at the first call makes MHD close it. */
	if (!*req_cls) {
		*req_cls = m; /* any mark: the headers of this request were seen */
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a GET with a body: ignored */
		return MHD_YES;
	}
	if (!known)
		return send_static(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n", NULL);
	if (!strcmp(url, "/"))
		return send_static(c, MHD_HTTP_OK, root_page, NULL);
	/* HEAD fills too: its Content-Length is that of the GET */
	return send_metrics(m, c);
}

int ctl_metrics_start(const char *addr_port, ctl_metrics_fill_fn fill, void *ctx,
		      struct ctl_metrics **ret, char *err, size_t errlen)
{
	struct ctl_metrics *m = NULL;
	struct listen_addr la;
	uint16_t port = 0;
	int fd = -1, mhd_fd = -1, r;

	if (errlen)
		err[0] = '\0';
	r = parse_addr_port(addr_port, &la, err, errlen);
	if (r < 0)
		return r;
	if (!fill || !ret)
		return fail(err, errlen, -EINVAL, addr_port, "no fill function");
	m = calloc(1, sizeof(*m));
	if (!m) {
		r = fail(err, errlen, -ENOMEM, addr_port, "out of memory");
		goto out;
	}
	m->fill = fill;
	m->ctx = ctx;
	atomic_init(&m->scrapes, 0);
	atomic_init(&m->started, false);
	atomic_flag_clear(&m->err_taken);
	r = listen_on(&la, &fd, &port);
	if (r < 0) {
		fail(err, errlen, r, addr_port, "%s",
		     r == -EADDRINUSE ? "address in use" : strerror(-r));
		goto out;
	}
	m->port = port;
	/* MHD closes the socket it was given at stop, and on some of its
	 * failure paths but not others: it gets a copy, so that ours is
	 * closed exactly once whatever happens. Should a start fail before
	 * MHD took the copy, that one descriptor leaks (never seen with the
	 * fixed options below). */
	mhd_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (mhd_fd < 0) {
		r = -errno;
		fail(err, errlen, r, addr_port, "dup: %s", strerror(-r));
		goto out;
	}
	/* One internal thread serves every connection (epoll or poll), and
	 * it has SIGPIPE blocked and sends with MSG_NOSIGNAL on its own:
	 * MHD_OPTION_SIGPIPE_HANDLED_BY_APP is for the external-loop modes
	 * only. ITC lets ctl_metrics_stop() wake the thread at once. */
	m->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG,
				0, NULL, NULL, on_request, m,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m,
				MHD_OPTION_LISTEN_SOCKET, (MHD_socket)mhd_fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CTL_METRICS_CONN_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CTL_METRICS_CONN_TIMEOUT,
				MHD_OPTION_END);
	if (!m->d) {
		r = fail(err, errlen, -EIO, addr_port, "cannot start the HTTP server: %s",
			 m->start_err[0] ? m->start_err : "libmicrohttpd gave no reason");
		goto out;
	}
	atomic_store(&m->started, true);
	*ret = m;
	m = NULL;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(m);
	return r;
}

uint16_t ctl_metrics_port(const struct ctl_metrics *m)
{
	return m->port;
}

uint64_t ctl_metrics_scrapes(const struct ctl_metrics *m)
{
	return atomic_load(&m->scrapes);
}

void ctl_metrics_stop(struct ctl_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}

/* ---- the exposition format ---- */

void ctl_prom_family(struct ctl_buf *b, const char *name, const char *type, const char *help)
{
	const char *p;

	ctl_buf_printf(b, "# HELP %s ", name);
	for (p = help; *p; p++) {
		if (*p == '\\')
			ctl_buf_puts(b, "\\\\");
		else if (*p == '\n')
			ctl_buf_puts(b, "\\n");
		else
			ctl_buf_put(b, p, 1);
	}
	ctl_buf_printf(b, "\n# TYPE %s %s\n", name, type);
}

static void label_value(struct ctl_buf *b, const char *v)
{
	const unsigned char *p = (const unsigned char *)v, *end = p + strlen(v), *run = p;
	size_t n;

	while (p < end) {
		if (*p == '\\' || *p == '"' || *p == '\n') {
			ctl_buf_put(b, run, (size_t)(p - run));
			ctl_buf_puts(b, *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : "\\n");
			run = ++p;
			continue;
		}
		n = ctl_utf8_seq(p, (size_t)(end - p));
		if (!n) {
			ctl_buf_put(b, run, (size_t)(p - run));
			ctl_buf_puts(b, "\xef\xbf\xbd"); /* U+FFFD */
			run = ++p;
			continue;
		}
		p += n;
	}
	ctl_buf_put(b, run, (size_t)(p - run));
}

static void sample_head(struct ctl_buf *b, const char *name, const char *const *labels)
{
	size_t i;

	ctl_buf_puts(b, name);
	if (!labels || !labels[0])
		goto out;
	ctl_buf_puts(b, "{");
	for (i = 0; labels[i]; i += 2) {
		ctl_buf_printf(b, "%s%s=\"", i ? "," : "", labels[i]);
		label_value(b, labels[i + 1] ? labels[i + 1] : "");
		ctl_buf_puts(b, "\"");
	}
	ctl_buf_puts(b, "}");
out:
	ctl_buf_puts(b, " ");
}

void ctl_prom_u64(struct ctl_buf *b, const char *name, const char *const *labels, uint64_t v)
{
	sample_head(b, name, labels);
	ctl_buf_printf(b, "%llu\n", (unsigned long long)v);
}

void ctl_prom_f64(struct ctl_buf *b, const char *name, const char *const *labels, double v)
{
	char num[32];
	int prec;

	sample_head(b, name, labels);
	if (isnan(v)) {
		ctl_buf_puts(b, "NaN\n");
		return;
	}
	if (isinf(v)) {
		ctl_buf_puts(b, v > 0 ? "+Inf\n" : "-Inf\n");
		return;
	}
	/* The shortest of %.1g..%.17g that reads back as @v: 0.1, not
	 * 0.10000000000000001. %.17g always does. (The "C" locale's decimal
	 * point: bulkheadd never calls setlocale().) */
	for (prec = 1; prec < 17; prec++) {
		snprintf(num, sizeof(num), "%.*g", prec, v);
		if (strtod(num, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(num, sizeof(num), "%.17g", v);
	ctl_buf_printf(b, "%s\n", num);
}
